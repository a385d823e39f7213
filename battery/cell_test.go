package battery

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One step of a cell against the same step cut into many small ones: the charge, the RC voltage
// and the heat are exact for any step size.
func TestCellPass(t *testing.T) {
	tests := []struct {
		name       string
		amps, rcV0 float64
		seconds    float64
	}{
		{"charge from rest", 100, 0, 30},
		{"discharge from a charged RC pair", -150, 0.04, 200},
		{"rest relaxes", 0, 0.03, 60},
		{"a step far beyond τ", 50, -0.02, 3600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fresh := func() cellState {
				c := cellState{capacityAh: 280, healthyAh: 280, chargeAh: 140, rcVolts: tt.rcV0, r0Ohms25: 0.35e-3, r1Ohms25: 0.25e-3}
				c.setCelsius(lfp, 25)
				return c
			}
			const tau = 60.0
			one := fresh()
			heat := one.pass(lfp, tt.amps, tt.seconds, tau, math.Exp(-tt.seconds/tau)) * tt.seconds

			// The same step in a million pieces, with the heat summed from the voltage the
			// pieces pass through: I²·R0 + v²/R1, midpoint rule.
			const n = 1_000_000
			many := fresh()
			dt := tt.seconds / n
			decay := math.Exp(-dt / tau)
			var sumHeat float64
			for range n {
				v0 := many.rcVolts
				many.pass(lfp, tt.amps, dt, tau, decay)
				mid := (v0 + many.rcVolts) / 2
				sumHeat += (tt.amps*tt.amps*many.r0Ohms + mid*mid/many.r1Ohms) * dt
			}
			assert.InDelta(t, many.chargeAh, one.chargeAh, 1e-7, "a million additions round")
			assert.InDelta(t, many.rcVolts, one.rcVolts, 1e-12)
			assert.InEpsilon(t, sumHeat, heat, 1e-6, "the heat of one step is the integral over it")
			// And the analytic solution at the end.
			settled := tt.amps * one.r1Ohms
			want := settled + (tt.rcV0-settled)*math.Exp(-tt.seconds/tau)
			assert.InDelta(t, want, one.rcVolts, 1e-15)
		})
	}
}

// A cell's charge stops at the ends of its chemistry's abuse range, not at 0 and 100 %.
func TestCellPassBounds(t *testing.T) {
	c := cellState{capacityAh: 100, healthyAh: 100, chargeAh: 50, r0Ohms25: 1e-3, r1Ohms25: 1e-3}
	c.setCelsius(nmc, 25)
	c.pass(nmc, 1000, 3600, 40, 0)
	assert.InDelta(t, nmc.maxSOC, c.socPercent(), 1e-12)
	assert.Greater(t, nmc.ocv.at(c.socPercent()), 4.5, "an over-charged NMC cell is far above 4.2 V")
	c.pass(nmc, -1000, 3600, 40, 0)
	assert.InDelta(t, nmc.minSOC, c.socPercent(), 1e-12)
}

// chemicalJoules is the energy a cell holding chargeAh of capacityAh stores above its
// chemistry's lowest state: ∫OCV dq, integrated exactly over the piecewise-linear curve.
func chemicalJoules(ch *chemistry, capacityAh, chargeAh float64) float64 {
	soc := 100 * chargeAh / capacityAh
	c := ch.ocv
	var voltPercent float64
	for i := 1; i < len(c) && c[i-1][0] < soc; i++ {
		a, b := c[i-1][0], math.Min(c[i][0], soc)
		voltPercent += (b - a) * (c.at(a) + c.at(b)) / 2
	}
	return voltPercent / 100 * capacityAh * 3600
}

// powers are the rates of the energy balance at one instant, W.
type powers struct {
	terminal  float64 // into the module's terminals
	r0        float64 // I²·R0 of the cells
	rc        float64 // into the RC pairs, v_rc·I
	bleed     float64 // into the bleed resistors
	converter float64 // the active balancer's loss
	contact   float64 // the terminals' contact resistance
}

func (p powers) add(q powers, scale float64) powers {
	return powers{
		p.terminal + q.terminal*scale, p.r0 + q.r0*scale, p.rc + q.rc*scale,
		p.bleed + q.bleed*scale, p.converter + q.converter*scale, p.contact + q.contact*scale,
	}
}

// measure reads the balance's rates from m at its present current: the voltages as the plant
// and the firmware see them (TerminalVolts, CellVolts), the currents from the balancing the test
// set.
func measure(m *Module, buf []float64) powers {
	amps := m.Amps()
	volts := m.CellVolts(buf)
	drawn, injected := m.transferAmps()
	from, to := m.ActiveBalance()
	p := powers{terminal: amps * m.TerminalVolts(), contact: amps * amps * 2 * terminalOhms}
	for i := range m.cells {
		c := &m.cells[i]
		var bleed, balancer float64
		if m.BalancingMask()&(1<<i) != 0 {
			bleed = volts[i] / m.typ.BleedOhms
		}
		switch i {
		case from:
			balancer = drawn
		case to:
			balancer = -injected
		}
		internal := amps - bleed - balancer
		p.r0 += internal * internal * c.r0Ohms
		p.rc += c.rcVolts * internal
		p.bleed += volts[i] * bleed
		p.converter += volts[i] * balancer
	}
	return p
}

// Energy is conserved up to the modelled losses over a full charge–discharge cycle: what goes in
// at the terminals is the change of chemical energy ∫OCV dq plus the losses in R0, the RC pairs,
// the bleed resistors, the active balancer and the terminal contacts. The terminal energy and the
// losses are integrated from the module's voltages at the steps' ends (trapezoid), the chemical
// energy from the cells' charge alone; the model's own bookkeeping is not consulted.
func TestEnergyBalance(t *testing.T) {
	tests := []struct {
		name     string
		mask     uint32 // passive cells bled all cycle
		from, to int    // active balancer, from < 0: none
		fan      bool
	}{
		{"LFP-24V-280Ah", 0b1010_0101, -1, -1, false},
		{"HE-24V-100Ah", 0b101_0011, -1, -1, true},
		{"RS-24V-200Ah", 0, 2, 5, false},
		{"LFP-12V-200Ah", 0, -1, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testModule(t, tt.name, 10, true)
			require.NoError(t, m.SetBalancing(tt.mask))
			if tt.from >= 0 {
				require.NoError(t, m.SetActiveBalance(tt.from, tt.to))
			}
			m.SetFan(tt.fan)
			stored := func() float64 {
				var e float64
				for _, c := range m.cells {
					e += chemicalJoules(m.ch, c.capacityAh, c.chargeAh)
				}
				return e
			}
			start := stored()

			const dt = time.Second
			var total, throughput powers
			buf := make([]float64, 0, maxCells)
			step := func(amps float64) {
				m.Flow(amps, 0) // the new current, no time yet
				before := measure(m, buf)
				m.Flow(amps, dt)
				after := measure(m, buf)
				total = total.add(before, dt.Seconds()/2).add(after, dt.Seconds()/2)
				throughput.terminal += math.Abs(before.terminal+after.terminal) / 2 * dt.Seconds()
			}
			cRate := m.typ.CapacityAh / 2
			highest := func() float64 { return maxOf(m.CellSOCPercent(buf)) }
			for highest() < 90 {
				step(cRate)
			}
			for range 10 * 60 {
				step(0)
			}
			// Down to 40 %, not back to 10 %: the chemical energy changes too.
			for m.SOCPercent() > 40 {
				step(-cRate)
			}
			for range 40 * 60 { // 40 τ: the RC pairs are empty again
				step(0)
			}

			chemical := stored() - start
			losses := total.r0 + total.rc + total.bleed + total.converter + total.contact
			imbalance := total.terminal - chemical - losses
			t.Logf("in %.0f J, chemical %.0f J, R0 %.0f J, RC %.0f J, bleed %.0f J, converter %.0f J, contacts %.0f J; imbalance %.3g J of %.3g J through the terminals",
				total.terminal, chemical, total.r0, total.rc, total.bleed, total.converter, total.contact, imbalance, throughput.terminal)
			assert.InDelta(t, 0, imbalance, 3e-8*throughput.terminal)

			// The balance means something only if every loss is there to be counted.
			assert.Greater(t, total.r0, 1e-3*throughput.terminal)
			assert.Greater(t, total.rc, 1e-4*throughput.terminal)
			assert.Positive(t, total.contact)
			if tt.mask != 0 {
				assert.Greater(t, total.bleed, 1e4, "the bleed resistors take kilojoules")
			}
			if tt.from >= 0 {
				assert.Greater(t, total.converter, 1e4, "the converter loses kilojoules")
			}
			assert.Greater(t, chemical, 0.2*total.terminal, "the cycle ends fuller than it began")
		})
	}
}

func maxOf(v []float64) float64 {
	out := math.Inf(-1)
	for _, x := range v {
		out = math.Max(out, x)
	}
	return out
}
