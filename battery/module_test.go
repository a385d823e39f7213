package battery

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/plant"
)

// The module is what the plant drives.
var _ plant.Cells = (*Module)(nil)

// testModule builds a module of the named type at soc % and 25 °C. quiet turns self-discharge
// off, for tests that count charge exactly.
func testModule(t testing.TB, name string, soc float64, quiet bool) *Module {
	t.Helper()
	typ, err := LookupType(name)
	require.NoError(t, err)
	if quiet {
		typ.SelfDischargePctPerMonth = 0
	}
	m, err := NewModule(typ, 174600001, soc, 25, 42)
	require.NoError(t, err)
	return m
}

// flowFor passes amps through m for d in steps of dt.
// flowFor passes amps through m for d in steps of dt, and settles m: the tests read its cells
// directly, which the exported methods would settle first.
func flowFor(m *Module, amps float64, d, dt time.Duration) {
	for ; d > 0; d -= dt {
		m.Flow(amps, min(d, dt))
	}
	m.settle()
}

func sumOf(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

func TestNewModule(t *testing.T) {
	for _, typ := range Types() {
		t.Run(typ.Name, func(t *testing.T) {
			m, err := NewModule(typ, 174600001, 50, 20, 7)
			require.NoError(t, err)
			require.Len(t, m.cells, typ.Cells)
			assert.Equal(t, typ, m.Type())
			assert.Equal(t, "HQ174600001", m.SerialString())
			assert.True(t, m.Awake())
			assert.InDelta(t, 50, m.SOCPercent(), 1e-9)
			distinct := map[float64]bool{}
			var ocv, ohms float64
			for i, c := range m.cells {
				assert.InEpsilon(t, typ.CapacityAh, c.capacityAh, cellSpreadCapacity+1e-9, "cell %d capacity within the spread", i)
				assert.InEpsilon(t, typ.CellOhms, c.r0Ohms25, cellSpreadResistance+1e-9, "cell %d R0 within the spread", i)
				assert.InDelta(t, 50, c.socPercent(), 1e-9, "every cell starts at the same SOC")
				assert.Equal(t, 20.0, c.celsius)
				distinct[c.capacityAh] = true
				ocv += m.ch.ocv.at(50)
				ohms += c.r0Ohms
			}
			assert.Len(t, distinct, typ.Cells, "every cell differs, so that they drift apart")
			// At rest, the internal source is the OCV, and the resistance R0 at 20 °C plus the
			// terminals.
			assert.InDelta(t, ocv, m.OpenCircuitVolts(), 1e-9)
			assert.InDelta(t, ohms+2*terminalOhms, m.ResistanceOhms(), 1e-15)
			assert.Greater(t, m.ResistanceOhms(), float64(typ.Cells)*typ.CellOhms*(1-cellSpreadResistance), "20 °C is more resistive than 25 °C")
			assert.Len(t, m.CellCelsius(nil), typ.CellTemperatureSensors)
			assert.Len(t, m.CellVolts(nil), typ.Cells)
		})
	}
	typ := lfp280(t)
	for _, soc := range []float64{-10, 130} {
		m, err := NewModule(typ, 1, soc, 25, 1)
		require.NoError(t, err)
		assert.Equal(t, math.Max(0, math.Min(100, soc)), m.SOCPercent(), "SOC %v is clamped", soc)
	}
	for _, bad := range [][2]float64{{math.NaN(), 25}, {50, math.NaN()}, {50, math.Inf(1)}} {
		_, err := NewModule(typ, 1, bad[0], bad[1], 1)
		assert.Error(t, err, "%v", bad)
	}
}

// Same inputs, same module, step by step; another serial or seed, other cells.
func TestModuleDeterministic(t *testing.T) {
	typ := lfp280(t)
	build := func(serial uint32, seed uint64) *Module {
		m, err := NewModule(typ, serial, 60, 25, seed)
		require.NoError(t, err)
		return m
	}
	a, b := build(174600001, 9), build(174600001, 9)
	assert.Equal(t, a, b)
	for _, m := range []*Module{a, b} {
		require.NoError(t, m.SetBalancing(0b1001))
		flowFor(m, 120, 10*time.Minute, time.Second)
		flowFor(m, -80, 10*time.Minute, 7*time.Second)
	}
	assert.Equal(t, a, b, "identical after identical steps")

	capacities := func(m *Module) []float64 {
		var out []float64
		for _, c := range m.cells {
			out = append(out, c.capacityAh)
		}
		return out
	}
	base := capacities(build(174600001, 9))
	assert.NotEqual(t, base, capacities(build(174600002, 9)), "another serial")
	assert.NotEqual(t, base, capacities(build(174600001, 10)), "another seed")
}

func TestSensorCell(t *testing.T) {
	tests := []struct {
		cells, sensors int
		want           []int
	}{
		{8, 4, []int{1, 3, 5, 7}}, // one per pair of cells
		{8, 3, []int{1, 4, 6}},
		{8, 2, []int{2, 6}},
		{7, 4, []int{0, 2, 4, 6}},
		{4, 2, []int{1, 3}},
		{8, 8, []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{8, 1, []int{4}},
	}
	for _, tt := range tests {
		typ := lfp280(t)
		typ.Cells, typ.CellTemperatureSensors = tt.cells, tt.sensors
		m, err := NewModule(typ, 1, 50, 25, 1)
		require.NoError(t, err)
		var got []int
		for s := range tt.sensors {
			got = append(got, m.SensorCell(s))
		}
		assert.Equal(t, tt.want, got, "%d sensors on %d cells", tt.sensors, tt.cells)
	}
}

// After a current step the terminal voltage relaxes towards the OCV with the RC time constant.
func TestRelaxation(t *testing.T) {
	for _, name := range []string{"LFP-24V-280Ah", "HE-24V-200Ah", "RS-24V-100Ah"} {
		t.Run(name, func(t *testing.T) {
			const amps = 100.0
			typ, err := LookupType(name)
			require.NoError(t, err)
			// Hold the temperature, so that R1 stays put and the RC pair meets its analytic
			// solution exactly: a huge thermal mass does not warm.
			typ.MassKg, typ.SelfDischargePctPerMonth = 1e12, 0
			m, err := NewModule(typ, 1, 40, 25, 1)
			require.NoError(t, err)
			tau := time.Duration(m.typ.RCSeconds * float64(time.Second))
			ocv := func(m *Module) float64 {
				var v float64
				for _, c := range m.cells {
					v += m.ch.ocv.at(c.socPercent())
				}
				return v
			}

			// The step on: at once the voltage rises by I·R; after τ the RC pair has reached
			// 1 − 1/e of I·R1.
			rest := m.TerminalVolts()
			m.Flow(amps, 0)
			assert.InDelta(t, amps*m.ResistanceOhms(), m.TerminalVolts()-rest, 1e-9, "the instant rise is I·R")
			var r1 float64
			for _, c := range m.cells {
				r1 += c.r1Ohms
			}
			flowFor(m, amps, tau, 100*time.Millisecond)
			overpotential := m.OpenCircuitVolts() - ocv(m)
			assert.InEpsilon(t, amps*r1*(1-1/math.E), overpotential, 1e-9, "1 − 1/e of I·R1 after τ")

			// Settle, then the step off: the voltage drops by I·R at once and the rest of the
			// overpotential decays as e^(−t/τ), whatever the step size.
			flowFor(m, amps, 10*tau, time.Second)
			m.Flow(0, 0)
			settled := m.TerminalVolts() - ocv(m)
			assert.InEpsilon(t, amps*r1*(1-math.Exp(-11)), settled, 1e-9, "after 11 τ the RC pair carries I·R1")
			for _, dt := range []time.Duration{time.Millisecond, time.Second, tau} {
				c := *m
				c.cells = append([]cellState(nil), m.cells...)
				flowFor(&c, 0, tau, dt)
				assert.InEpsilon(t, settled/math.E, c.TerminalVolts()-ocv(&c), 1e-9, "1/e left after τ, in steps of %v", dt)
				assert.Equal(t, ocv(m), ocv(&c), "no charge moves at rest")
			}
		})
	}
}

func TestResistanceWithTemperature(t *testing.T) {
	for _, name := range []string{"LFP-24V-280Ah", "HE-24V-100Ah"} {
		t.Run(name, func(t *testing.T) {
			typ, err := LookupType(name)
			require.NoError(t, err)
			cells := map[float64]float64{} // Σ R0 at a temperature
			prev := math.Inf(1)
			for _, celsius := range []float64{-20, -10, 0, 10, 25, 40, 55} {
				m, err := NewModule(typ, 1, 50, celsius, 1)
				require.NoError(t, err)
				r := m.ResistanceOhms()
				assert.Less(t, r, prev, "%v °C: warmer, less resistive", celsius)
				prev = r
				cells[celsius] = r - 2*terminalOhms
			}
			ch := chemistryOf(typ.Chemistry)
			for _, celsius := range []float64{-20, 0, 55} {
				assert.InEpsilon(t, ch.resistanceFactor(celsius)*cells[25], cells[celsius], 1e-12,
					"R0 at %v °C is the Arrhenius factor × R0 at 25 °C", celsius)
			}
			assert.Greater(t, cells[-20], 2.5*cells[25], "much more resistive in the cold")
		})
	}
}

// A module at rest cools to ambient with its time constant C/G: the fans shorten it.
func TestCooling(t *testing.T) {
	tests := []struct {
		name string
		fan  bool
	}{
		{"LFP-24V-280Ah", false},
		{"HE-24V-100Ah", false},
		{"HE-24V-100Ah", true},
		{"LFP-24V-280Ah", true}, // no fans: SetFan does nothing
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testModule(t, tt.name, 50, true)
			m.SetFan(tt.fan)
			hasFans := m.typ.FanWattsPerKelvin > 0
			assert.Equal(t, tt.fan && hasFans, m.FanOn())
			for i := range m.cells {
				m.cells[i].setCelsius(m.ch, 45)
			}
			g := m.typ.CoolingWattsPerKelvin
			if m.FanOn() {
				g += m.typ.FanWattsPerKelvin
			}
			tau := time.Duration(m.typ.MassKg * moduleSpecificHeat / g * float64(time.Second))
			flowFor(m, 0, tau, 10*time.Second)
			for i, c := range m.TrueCellCelsius(nil) {
				assert.InDelta(t, 25+20/math.E, c, 1e-6, "cell %d: 1/e of the excess left after C/G", i)
			}
			for s, c := range m.CellCelsius(nil) {
				assert.Equal(t, m.cells[m.SensorCell(s)].celsius, c, "sensor %d reads its cell", s)
			}
		})
	}
}

// Current warms the cells; the mean heat settles where the case carries it to ambient.
func TestModuleHeating(t *testing.T) {
	m := testModule(t, "HE-24V-100Ah", 10, true)
	flowFor(m, 80, time.Hour, time.Second)
	temps := m.TrueCellCelsius(nil)
	var heat float64
	for _, c := range m.cells {
		heat += 80 * 80 * (c.r0Ohms + c.r1Ohms) // settled RC: the whole I²(R0 + R1)
	}
	mean := sumOf(temps) / float64(len(temps))
	assert.Greater(t, mean, 25+1.0, "an hour at 0.8 C warms an HE 100")
	assert.Less(t, mean, 25+heat/m.typ.CoolingWattsPerKelvin, "and stays below the equilibrium")
	// The fans keep it cooler.
	f := testModule(t, "HE-24V-100Ah", 10, true)
	f.SetFan(true)
	flowFor(f, 80, time.Hour, time.Second)
	assert.Less(t, sumOf(f.TrueCellCelsius(nil))/float64(len(temps)), mean-0.5)
	// Cells with more resistance run warmer than their mean.
	hottest, coldest := 0, 0
	for i, c := range m.cells {
		if c.r0Ohms25 > m.cells[hottest].r0Ohms25 {
			hottest = i
		}
		if c.r0Ohms25 < m.cells[coldest].r0Ohms25 {
			coldest = i
		}
	}
	assert.Greater(t, temps[hottest], temps[coldest])
	pos, neg, ok := m.TerminalCelsius()
	require.True(t, ok)
	assert.InDelta(t, mean, pos, 0.5, "the terminal follows the module, plus its small contact loss")
	assert.True(t, math.IsNaN(neg), "the HE has no negative terminal sensor (1.19-01)")
}

func TestPassiveBalancing(t *testing.T) {
	m := testModule(t, "LFP-24V-280Ah", 60, true)
	before := m.CellSOCPercent(nil)
	charge := func(i int) float64 { return m.cells[i].chargeAh }
	q2 := charge(2)
	bleedVolts := m.CellVolts(nil)[2]
	rest := m.OpenCircuitVolts()
	require.NoError(t, m.SetBalancing(1<<2))
	assert.Equal(t, uint32(1<<2), m.BalancingMask())
	assert.Less(t, m.OpenCircuitVolts(), rest, "the bleed loads the cell")
	const hours = 10
	flowFor(m, 0, hours*time.Hour, time.Minute)
	amps := bleedVolts / m.typ.BleedOhms
	// The bled cell loses V/R·t; its voltage hardly moves on the plateau, so V/R is constant.
	assert.InEpsilon(t, amps*hours, q2-charge(2), 1e-3, "the bled cell loses V/R × t")
	assert.InDelta(t, 0.1, amps, 0.005, "33 Ω bleeds about 0.1 A")
	after := m.CellSOCPercent(nil)
	for i := range before {
		if i != 2 {
			assert.Equal(t, before[i], after[i], "cell %d is not bled", i)
		}
	}
	assert.Greater(t, m.cells[2].celsius, m.cells[5].celsius, "the bleed warms its cell")

	require.NoError(t, m.SetBalancing(0))
	q2 = charge(2)
	flowFor(m, 0, time.Hour, time.Minute)
	assert.InDelta(t, q2, charge(2), 1e-12, "balancing off: no more loss")

	require.Error(t, m.SetBalancing(1<<8), "an 8-cell module has no cell 8")
	rs := testModule(t, "RS-24V-100Ah", 50, true)
	assert.ErrorIs(t, rs.SetBalancing(1), ErrNotSupported)
	require.NoError(t, m.SetBalancing(0xFF))
	m.Shutdown()
	assert.Zero(t, m.BalancingMask(), "shutdown stops balancing")
	assert.ErrorIs(t, m.SetBalancing(1), ErrShutDown)
	assert.NoError(t, m.SetBalancing(0))
	m.Wake()
	assert.NoError(t, m.SetBalancing(1))
}

func TestActiveBalancing(t *testing.T) {
	m := testModule(t, "RS-24V-200Ah", 50, true)
	const from, to = 1, 6
	before := make([]float64, len(m.cells))
	for i, c := range m.cells {
		before[i] = c.chargeAh
	}
	eFrom, eTo := m.cells[from].sourceVolts(m.ch), m.cells[to].sourceVolts(m.ch)
	require.NoError(t, m.SetActiveBalance(from, to))
	f, d := m.ActiveBalance()
	assert.Equal(t, [2]int{from, to}, [2]int{f, d})
	const hours = 2
	flowFor(m, 0, hours*time.Hour, 10*time.Second)
	taken := before[from] - m.cells[from].chargeAh
	given := m.cells[to].chargeAh - before[to]
	assert.InDelta(t, m.typ.TransferAmps*hours, taken, 1e-9, "the source cell gives the transfer current")
	// The destination receives the stated efficiency of the source's energy (on the plateau the
	// voltages hardly move over 4 Ah).
	assert.InEpsilon(t, m.typ.TransferEfficiency, given*eTo/(taken*eFrom), 2e-3)
	assert.Less(t, given, taken, "the converter loses charge")
	for i, c := range m.cells {
		if i != from && i != to {
			assert.Equal(t, before[i], c.chargeAh, "cell %d is not involved", i)
		}
	}
	temps := m.TrueCellCelsius(nil)
	assert.Greater(t, temps[from], temps[3], "the converter's loss warms its source cell")

	require.NoError(t, m.SetActiveBalance(-1, 0))
	q := m.cells[from].chargeAh
	flowFor(m, 0, time.Hour, time.Minute)
	assert.Equal(t, q, m.cells[from].chargeAh, "stopped")

	for _, bad := range [][2]int{{1, 1}, {8, 1}, {1, 8}, {1, -1}} {
		assert.Error(t, m.SetActiveBalance(bad[0], bad[1]), "%v", bad)
	}
	assert.ErrorIs(t, testModule(t, "HE-24V-100Ah", 50, true).SetActiveBalance(0, 1), ErrNotSupported)
	require.NoError(t, m.SetActiveBalance(0, 1))
	m.Shutdown()
	f, _ = m.ActiveBalance()
	assert.Negative(t, f, "shutdown stops the balancer")
	assert.ErrorIs(t, m.SetActiveBalance(0, 1), ErrShutDown)
}

func TestShutdown(t *testing.T) {
	m := testModule(t, "HE-24V-100Ah", 50, true)
	m.SetFan(true)
	require.True(t, m.FanOn())
	m.Shutdown()
	assert.False(t, m.Awake())
	assert.False(t, m.FanOn())
	m.SetFan(true)
	assert.False(t, m.FanOn(), "no fans while shut down")
	// The cells stay connected: current still passes, exactly.
	q := m.cells[0].chargeAh
	m.Flow(-50, time.Hour)
	m.settle()
	assert.InDelta(t, q-50, m.cells[0].chargeAh, 1e-9)
	m.Wake()
	m.SetFan(true)
	assert.True(t, m.FanOn())
}

func TestReadbacks(t *testing.T) {
	for _, typ := range Types() {
		t.Run(typ.Name, func(t *testing.T) {
			m, err := NewModule(typ, 1, 50, 25, 1)
			require.NoError(t, err)
			h, ok := m.Humidity()
			assert.Equal(t, typ.HumiditySensor, ok)
			if ok {
				assert.Equal(t, defaultHumidityPct, h)
			}
			leak, ok := m.Leakage()
			assert.Equal(t, typ.LeakageSensor, ok)
			assert.False(t, leak)
			soh, ok := m.SOHPercent()
			assert.Equal(t, typ.SOH, ok)
			if ok {
				assert.InDelta(t, 99.5, soh, 0.5+1e-9, "a new battery: the weakest cell within 1 %")
			}
			pos, neg, ok := m.TerminalCelsius()
			assert.Equal(t, typ.PositiveTerminalSensor || typ.NegativeTerminalSensor, ok)
			assert.Equal(t, typ.PositiveTerminalSensor, pos == 25, "positive %v", pos)
			assert.Equal(t, typ.NegativeTerminalSensor, neg == 25, "negative %v", neg)
		})
	}
}

// The module's SOC is its emptiest cell's.
func TestSOCPercent(t *testing.T) {
	m := testModule(t, "LFP-24V-280Ah", 50, true)
	m.Flow(-100, time.Hour)
	socs := m.CellSOCPercent(nil)
	lowest := math.Inf(1)
	for _, s := range socs {
		lowest = math.Min(lowest, s)
	}
	assert.Equal(t, lowest, m.SOCPercent())
	assert.Greater(t, socs[0]-lowest+socs[7]-lowest, 0.0, "the spread of capacities spreads the SOCs")
	// A deeply discharged module reads 0, not negative.
	m.Flow(-1000, time.Hour)
	assert.Equal(t, 0.0, m.SOCPercent())
	assert.Less(t, m.CellSOCPercent(nil)[0], 0.0, "the cells are in over-discharge")
}

// Self-discharge takes a few percent a month, spread over the cells.
func TestSelfDischarge(t *testing.T) {
	m := testModule(t, "LFP-24V-280Ah", 80, false)
	flowFor(m, 0, 30*24*time.Hour, time.Hour)
	var lost []float64
	for _, s := range m.CellSOCPercent(nil) {
		lost = append(lost, 80-s)
	}
	mean := sumOf(lost) / float64(len(lost))
	assert.InDelta(t, m.typ.SelfDischargePctPerMonth, mean, 0.5, "about the type's %/month")
	for i, l := range lost {
		assert.InDelta(t, m.typ.SelfDischargePctPerMonth, l, m.typ.SelfDischargePctPerMonth*cellSpreadSelfDischarge+1e-9, "cell %d", i)
	}
	assert.NotEqual(t, lost[0], lost[1], "cells leak at different rates, so a bank needs balancing")
}

// BenchmarkModuleFlow is one 10 ms step of an 8-cell LFP module with its RC pairs, temperatures
// and two bleed resistors on: the plant's per-module work of a step.
func BenchmarkModuleFlow(b *testing.B) {
	m := testModule(b, "LFP-24V-280Ah", 50, false)
	require.NoError(b, m.SetBalancing(0b1001))
	const step = 10 * time.Millisecond
	amps := 100.0
	b.ReportAllocs()
	for b.Loop() {
		m.Flow(amps, step)
		amps = -amps // stay at 50 %
	}
}

// BenchmarkModulePlantFace is what the plant asks of a module every step besides Flow.
func BenchmarkModulePlantFace(b *testing.B) {
	m := testModule(b, "LFP-24V-280Ah", 50, false)
	b.ReportAllocs()
	var v float64
	for b.Loop() {
		v += m.OpenCircuitVolts() + m.ResistanceOhms()
	}
	_ = v
}

// A module follows its surroundings, and grows more resistive as it cools.
func TestAmbient(t *testing.T) {
	m := testModule(t, "LFP-24V-280Ah", 50, true)
	warm := m.ResistanceOhms()
	m.SetAmbientCelsius(-10)
	assert.Equal(t, -10.0, m.AmbientCelsius())
	flowFor(m, 0, 24*time.Hour, time.Minute)
	for i, c := range m.TrueCellCelsius(nil) {
		assert.InDelta(t, -10, c, 0.01, "cell %d", i)
	}
	pos, neg, _ := m.TerminalCelsius()
	assert.InDelta(t, -10, pos, 0.01)
	assert.InDelta(t, -10, neg, 0.01)
	assert.InEpsilon(t, lfp.resistanceFactor(-10)/lfp.resistanceFactor(25), (m.ResistanceOhms()-2*terminalOhms)/(warm-2*terminalOhms), 1e-3)
}

// SpreadSOC spreads the cells around their mean and refuses nonsense.
func TestSpreadSOC(t *testing.T) {
	typ, err := LookupType("LFP-24V-280Ah")
	require.NoError(t, err)
	m, err := NewModule(typ, 174600001, 50, 25, 0)
	require.NoError(t, err)
	require.NoError(t, m.SpreadSOC(4))
	socs := m.CellSOCPercent(nil)
	lo, hi, sum := 100.0, 0.0, 0.0
	for _, s := range socs {
		lo, hi, sum = min(lo, s), max(hi, s), sum+s
	}
	assert.InDelta(t, 50, sum/float64(len(socs)), 0.01, "the mean stays")
	assert.Greater(t, hi-lo, 1.0, "spread out")
	assert.LessOrEqual(t, hi-lo, 8.0)
	assert.Error(t, m.SpreadSOC(-1))
	assert.Error(t, m.SpreadSOC(80))
}

// atFrom gives what at gives, whatever the hint, and keeps the hint on the segment found.
func TestCurveAtFrom(t *testing.T) {
	c := curve{{0, 2.5}, {10, 3.2}, {90, 3.35}, {100, 3.6}}
	seg := 0
	for _, x := range []float64{-5, 0, 5, 10, 10.5, 50, 89.99, 90, 95, 100, 120, 3, 99} {
		assert.Equal(t, c.at(x), c.atFrom(x, &seg), "x=%g", x)
	}
	seg = 2
	assert.Equal(t, c.at(50), c.atFrom(50, &seg))
	assert.Equal(t, 2, seg)
	seg = 99
	assert.Equal(t, c.at(95), c.atFrom(95, &seg))
	assert.Equal(t, 3, seg)
}
