package plant

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const step = 10 * time.Millisecond

// fake is a module with a constant open-circuit voltage: it records what flows through it and
// never changes, so the plant's own arithmetic can be checked against closed forms.
type fake struct {
	ocv, ohms float64
	amps      float64 // of the last Flow
	ah        float64 // Σ amps·dt
	flows     int
}

func (f *fake) Thevenin() (volts, ohms float64) { return f.ocv, f.ohms }
func (f *fake) Flow(amps float64, dt time.Duration) {
	f.amps = amps
	f.ah += amps * dt.Hours()
	f.flows++
}

// stiff is an ideal battery: the resistance only has to be non-zero for the conductance formula.
func stiff(volts float64) *fake { return &fake{ocv: volts, ohms: 1e-12} }

func cells(fs ...*fake) []Cells {
	out := make([]Cells, len(fs))
	for i, f := range fs {
		out[i] = f
	}
	return out
}

// runTo steps p from its last time to end in steps of dt.
func runTo(p *Plant, dt, end time.Duration) {
	for now := p.last + dt; now <= end; now += dt {
		p.Step(now)
	}
}

// runUntil steps p in steps of dt until done or limit, and returns the time done held first.
func runUntil(p *Plant, dt, limit time.Duration, done func() bool) (time.Duration, bool) {
	for p.last < limit {
		p.Step(p.last + dt)
		if done() {
			return p.last, true
		}
	}
	return p.last, false
}

func newPlant(t testing.TB, cfg Config, fs ...*fake) *Plant {
	p, err := New(cfg, cells(fs...))
	require.NoError(t, err)
	return p
}

// quiet is cfg with a bleed too high to matter (1e30 Ω), for tests of the bank's arithmetic
// against closed forms that leave it out.
func quiet(cfg Config) Config {
	cfg.BleedOhms = 1e30
	return cfg
}

// cfg24 is a 24 V system of series modules: the loads run from 18 V, the NTC pre-charges.
func cfg24(series int) Config { return ConfigFor(series, 24) }

func TestContactor(t *testing.T) {
	tests := []struct {
		name     string
		close    time.Duration
		closedAt time.Duration // after the command, on the 10 ms step grid
	}{
		{"default 30 ms", 30 * time.Millisecond, 30 * time.Millisecond},
		{"35 ms closes on the step that passes it", 35 * time.Millisecond, 40 * time.Millisecond},
		{"instant closes at the next step", 0, 10 * time.Millisecond},
		{"1 s", time.Second, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := quiet(DefaultConfig(1))
			cfg.ContactorClose = tt.close
			bat := &fake{ocv: 26, ohms: 3e-3}
			p := newPlant(t, cfg, bat)
			p.SetChargerAmps(50)
			p.SetLoadAmps(20)
			runTo(p, step, 100*time.Millisecond)
			commanded := p.last

			p.SetContactor(true)
			assert.False(t, p.ContactorClosed(), "the coil takes time")
			for p.last < commanded+tt.closedAt-step {
				p.Step(p.last + step)
				require.False(t, p.ContactorClosed(), "closed early at %v", p.last-commanded)
				require.Zero(t, p.ShuntAmps(), "no load or charger current while open")
			}
			p.Step(p.last + step)
			assert.True(t, p.ContactorClosed(), "closed at %v", p.last-commanded)
			assert.True(t, p.ContactsClosed())
			assert.InDelta(t, 30, p.ShuntAmps(), 1e-12, "charger minus load")
			assert.Equal(t, p.BatteryVolts(), p.BusVolts(), "the bus is the battery once closed")
			assert.Equal(t, 1, p.ContactorCycles())

			// Commanding closed again does not restart the delay.
			p.SetContactor(true)
			assert.True(t, p.ContactorClosed())

			// Opening is immediate, without a step.
			p.SetContactor(false)
			assert.False(t, p.ContactorClosed())
			assert.False(t, p.ContactsClosed())
			p.Step(p.last + step)
			assert.Zero(t, p.ShuntAmps())

			// Closing again takes the whole delay again.
			p.SetContactor(true)
			reclosed := p.last
			for p.last < reclosed+tt.closedAt-step {
				p.Step(p.last + step)
				require.False(t, p.ContactorClosed())
			}
			p.Step(p.last + step)
			assert.True(t, p.ContactorClosed())
			assert.Equal(t, 2, p.ContactorCycles(), "one operation per closing")
		})
	}
}

// A command withdrawn before the contacts close leaves them open, and the next command starts
// its own delay.
func TestContactorCommandWithdrawn(t *testing.T) {
	p := newPlant(t, DefaultConfig(1), stiff(26))
	p.SetContactor(true)
	runTo(p, step, 20*time.Millisecond)
	p.SetContactor(false)
	runTo(p, step, 100*time.Millisecond)
	assert.False(t, p.ContactorClosed())
	p.SetContactor(true)
	runTo(p, step, 120*time.Millisecond)
	assert.False(t, p.ContactorClosed(), "only 20 ms of the new command")
	runTo(p, step, 130*time.Millisecond)
	assert.True(t, p.ContactorClosed())
	assert.Equal(t, 1, p.ContactorCycles())
}

func TestShuntIsChargerMinusLoad(t *testing.T) {
	tests := []struct {
		name          string
		charger, load float64
		want          float64
	}{
		{"charging", 100, 30, 70},
		{"discharging", 0, 80, -80},
		{"balanced", 55.5, 55.5, 0},
		{"negative settings mean none", -10, -20, 0},
		{"negative load", 40, -5, 40},
		// Beyond what any system carries, and what the arithmetic squares without overflow: held
		// to MaxInputAmps.
		{"absurd charger", 1e300, 0, MaxInputAmps},
		{"infinite charger", math.Inf(1), 10, -10},
		{"NaN load", 10, math.NaN(), 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bat := &fake{ocv: 26, ohms: 2.8e-3}
			p := newPlant(t, quiet(DefaultConfig(1)), bat)
			p.SetContactor(true)
			runTo(p, step, 100*time.Millisecond)
			require.True(t, p.ContactorClosed())
			p.SetChargerAmps(tt.charger)
			p.SetLoadAmps(tt.load)
			p.Step(p.last + step)
			assert.InDelta(t, tt.want, p.ShuntAmps(), 1e-12)
			assert.InDelta(t, tt.want, bat.amps, 1e-12, "the module carries the bank current")
			assert.InDelta(t, 26+tt.want*2.8e-3, p.BatteryVolts(), 1e-12, "OCV plus I·R")
			assert.Equal(t, p.BatteryVolts(), p.BusVolts())
		})
	}
}

// A load asking more than MaxInputAmps is held to it, and at the voltage such a current leaves
// (below LoadMinVolts) it is a resistance: whatever the profile asks, the plant's numbers stay
// finite and within the bound.
func TestAbsurdLoadHeld(t *testing.T) {
	for _, asked := range []float64{2 * MaxInputAmps, 1e300, math.MaxFloat64} {
		bat := &fake{ocv: 26, ohms: 2.8e-3}
		p := newPlant(t, quiet(DefaultConfig(1)), bat)
		p.SetContactor(true)
		runTo(p, step, 100*time.Millisecond)
		p.SetLoadAmps(asked)
		runTo(p, step, time.Second)
		for _, v := range []float64{p.ShuntAmps(), bat.amps, p.BatteryVolts(), p.BusVolts()} {
			require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "asked %g A: %v", asked, v)
		}
		assert.Less(t, p.ShuntAmps(), 0.0, "asked %g A: discharging", asked)
		assert.LessOrEqual(t, -p.ShuntAmps(), MaxInputAmps+1, "asked %g A", asked)
	}
}

// The bleed is always across the bus: with the contacts closed the bank feeds it too, V/R_bleed,
// at the terminal voltage V = OCV − I·R that it itself lowers: I = OCV / (R_bleed + R).
func TestBleedDrawsThroughClosedContacts(t *testing.T) {
	const ocv, ohms = 26.0, 2.8e-3
	bat := &fake{ocv: ocv, ohms: ohms}
	cfg := DefaultConfig(1)
	p := newPlant(t, cfg, bat)
	p.SetContactor(true)
	runTo(p, step, 100*time.Millisecond)
	want := -ocv / (cfg.BleedOhms + ohms)
	assert.InDelta(t, want, p.ShuntAmps(), 1e-15)
	assert.InDelta(t, want, bat.amps, 1e-15)
	p.SetLoadAmps(30)
	p.Step(p.last + step)
	assert.InDelta(t, -30-(ocv-30*ohms)/(cfg.BleedOhms+ohms), p.ShuntAmps(), 1e-12)
}

// Strings in parallel share the bank current by conductance and, at different open-circuit
// voltages, circulate current among themselves even at zero bank current. The expected currents
// come from the two-source closed form I_A = (OCV_B − OCV_A + I·R_B) / (R_A + R_B), not from the
// plant's own formula.
func TestParallelStringsShare(t *testing.T) {
	for _, bank := range []float64{0, 100, -250} {
		for _, contactor := range []bool{true, false} {
			if !contactor && bank != 0 {
				continue
			}
			a1, a2 := &fake{ocv: 13.0, ohms: 1.5e-3}, &fake{ocv: 13.0, ohms: 1.5e-3} // string A: 26.0 V, 3 mΩ
			b1, b2 := &fake{ocv: 13.2, ohms: 1e-3}, &fake{ocv: 13.05, ohms: 1e-3}    // string B: 26.25 V, 2 mΩ
			p := newPlant(t, quiet(cfg24(2)), a1, a2, b1, b2)
			p.SetContactor(contactor)
			runTo(p, step, 100*time.Millisecond)
			p.SetChargerAmps(max(bank, 0))
			p.SetLoadAmps(max(-bank, 0))
			p.Step(p.last + step)

			const ocvA, rA, ocvB, rB = 26.0, 3e-3, 26.25, 2e-3
			wantA := (ocvB - ocvA + bank*rB) / (rA + rB)
			wantB := bank - wantA
			assert.InDelta(t, wantA, a1.amps, 1e-9, "bank %v A", bank)
			assert.InDelta(t, wantB, b1.amps, 1e-9, "bank %v A", bank)
			assert.Equal(t, a1.amps, a2.amps, "modules in series carry one current")
			assert.Equal(t, b1.amps, b2.amps, "modules in series carry one current")
			assert.InDelta(t, bank, a1.amps+b1.amps, 1e-9, "charge conservation")
			assert.InDelta(t, bank, p.ShuntAmps(), 1e-12)
			// Both strings see the bank terminal voltage.
			assert.InDelta(t, ocvA+a1.amps*rA, p.BatteryVolts(), 1e-9)
			assert.InDelta(t, ocvB+b1.amps*rB, p.BatteryVolts(), 1e-9)
			if bank == 0 {
				assert.InDelta(t, 50, a1.amps, 1e-9, "0.25 V over 5 mΩ circulates 50 A")
			}
		}
	}
}

// More strings: every string sees one terminal voltage and the string currents add up to the
// bank current.
func TestManyStringsConserveCharge(t *testing.T) {
	var fs []*fake
	for i := range 12 { // 3 in series × 4 in parallel, all different
		fs = append(fs, &fake{ocv: 8.5 + 0.03*float64(i%5), ohms: 1e-3 * (1 + 0.1*float64(i%7))})
	}
	p := newPlant(t, quiet(cfg24(3)), fs...)
	p.SetContactor(true)
	runTo(p, step, 100*time.Millisecond)
	for _, bank := range []float64{0, 400, -400, 1e-3} {
		p.SetChargerAmps(max(bank, 0))
		p.SetLoadAmps(max(-bank, 0))
		p.Step(p.last + step)
		var sum float64
		for s := 0; s < 4; s++ {
			str := fs[3*s : 3*s+3]
			var ocv, ohms float64
			for _, m := range str {
				require.Equal(t, str[0].amps, m.amps)
				ocv += m.ocv
				ohms += m.ohms
			}
			assert.InDelta(t, p.BatteryVolts(), ocv+str[0].amps*ohms, 1e-9, "string %d", s)
			sum += str[0].amps
		}
		assert.InDelta(t, bank, sum, 1e-9)
	}
}

func TestNewRefusesBadBanks(t *testing.T) {
	tests := []struct {
		name    string
		series  int
		modules int
	}{
		{"no modules", 1, 0},
		{"series zero", 0, 4},
		{"series negative", -2, 4},
		{"3 into strings of 2", 2, 3},
		{"5 into strings of 4", 4, 5},
		{"fewer than one string", 4, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := make([]*fake, tt.modules)
			for i := range fs {
				fs[i] = stiff(26)
			}
			p, err := New(DefaultConfig(tt.series), cells(fs...))
			require.Error(t, err)
			assert.Nil(t, p)
		})
	}
	for _, ok := range []struct{ series, modules, strings int }{{1, 1, 1}, {2, 4, 2}, {4, 8, 2}, {1, 8, 8}, {8, 8, 1}} {
		fs := make([]*fake, ok.modules)
		for i := range fs {
			fs[i] = stiff(26)
		}
		p, err := New(DefaultConfig(ok.series), cells(fs...))
		require.NoError(t, err)
		assert.Len(t, p.strings, ok.strings)
		assert.InDelta(t, 26*float64(ok.series), p.BatteryVolts(), 1e-9)
	}
}

func TestNewRefusesBadConfigs(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
	}{
		{"no capacitance", func(c *Config) { c.BusFarads = 0 }},
		{"NaN capacitance", func(c *Config) { c.BusFarads = math.NaN() }},
		{"no bleed", func(c *Config) { c.BleedOhms = 0 }},
		{"infinite bleed", func(c *Config) { c.BleedOhms = math.Inf(1) }},
		{"negative closing time", func(c *Config) { c.ContactorClose = -time.Millisecond }},
		{"no pre-charge kind", func(c *Config) { c.Precharge = 0 }},
		{"unknown pre-charge kind", func(c *Config) { c.Precharge = 7 }},
		{"NTC of 0 Ω", func(c *Config) { c.Precharge, c.NTCOhms25 = PrechargeNTC, 0 }},
		{"NTC of negative B", func(c *Config) { c.Precharge, c.NTCBetaKelvin = PrechargeNTC, -1 }},
		{"NTC that does not cool", func(c *Config) { c.Precharge, c.NTCWattsPerKelvin = PrechargeNTC, 0 }},
		{"NTC without heat capacity", func(c *Config) { c.Precharge, c.NTCJoulesPerKelvin = PrechargeNTC, 0 }},
		{"resistor of 0 Ω", func(c *Config) { c.Precharge, c.PrechargeOhms = PrechargeResistor, 0 }},
		{"resistor resets above its trip", func(c *Config) { c.Precharge, c.ResistorResetCelsius = PrechargeResistor, 130 }},
		{"resistor resets below ambient", func(c *Config) { c.Precharge, c.ResistorResetCelsius = PrechargeResistor, 20 }},
		{"fuse without I²t", func(c *Config) { c.FuseAmpsSquaredSeconds = 0 }},
		{"fuse of negative rating", func(c *Config) { c.FuseAmps = -1 }},
		{"external pre-charge of 0 Ω", func(c *Config) { c.ExternalPrechargeOhms = 0 }},
		{"ambient below absolute zero", func(c *Config) { c.AmbientCelsius = -300 }},
		{"unknown load control", func(c *Config) { c.Loads = 5 }},
		{"loads from 0 V", func(c *Config) { c.LoadMinVolts = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig(1)
			tt.change(&cfg)
			p, err := New(cfg, cells(stiff(26)))
			require.Error(t, err)
			assert.Nil(t, p)
		})
	}
	// The values a test may want: an NTC held at its temperature, a fuse that never blows, a
	// resistor protection that never trips, a fuse of rating 0.
	for _, change := range []func(*Config){
		func(c *Config) { c.NTCJoulesPerKelvin = math.Inf(1) },
		func(c *Config) { c.FuseAmpsSquaredSeconds = math.Inf(1) },
		func(c *Config) { c.FuseAmps = 0 },
		func(c *Config) { c.Precharge, c.ResistorTripCelsius = PrechargeResistor, math.Inf(1) },
	} {
		cfg := DefaultConfig(1)
		change(&cfg)
		_, err := New(cfg, cells(stiff(26)))
		assert.NoError(t, err)
	}
}

// The pre-charge kind follows the nominal voltage: NTC below 48 V, resistor from 48 V on
// (changelog 1.27-02; 48 V itself is this package's assumption).
func TestPrechargeKindFor(t *testing.T) {
	for _, tt := range []struct {
		volts float64
		want  PrechargeKind
	}{{12, PrechargeNTC}, {24, PrechargeNTC}, {47.99, PrechargeNTC}, {48, PrechargeResistor}, {51.2, PrechargeResistor}, {96, PrechargeResistor}} {
		assert.Equal(t, tt.want, PrechargeKindFor(tt.volts), "%v V", tt.volts)
		assert.Equal(t, tt.want, ConfigFor(1, tt.volts).Precharge, "%v V", tt.volts)
	}
	assert.Equal(t, PrechargeNTC, DefaultConfig(1).Precharge, "one 24 V module")
	assert.Equal(t, PrechargeResistor, DefaultConfig(2).Precharge, "two in series: 48 V")
	assert.Equal(t, "NTC", PrechargeNTC.String())
	assert.Equal(t, "resistor", PrechargeResistor.String())
	assert.InDelta(t, 18, DefaultConfig(1).LoadMinVolts, 1e-12)
	assert.InDelta(t, 36, DefaultConfig(2).LoadMinVolts, 1e-12)
}

// The bank's modules are taken in order, Series at a time.
func TestNewGroupsInOrder(t *testing.T) {
	a, b, c, d := &fake{ocv: 10, ohms: 1e-3}, &fake{ocv: 10, ohms: 1e-3}, &fake{ocv: 11, ohms: 1e-3}, &fake{ocv: 11, ohms: 1e-3}
	p := newPlant(t, cfg24(2), a, b, c, d)
	p.Step(step)
	assert.Equal(t, a.amps, b.amps)
	assert.Equal(t, c.amps, d.amps)
	assert.InDelta(t, 500, a.amps, 1e-9, "2 V over 4 mΩ")
}

func TestBusBleedsWhenDisconnected(t *testing.T) {
	const vb = 26.4
	cfg := DefaultConfig(1)
	bleedTau := cfg.BleedOhms * cfg.BusFarads // 100 s

	t.Run("after pre-charge", func(t *testing.T) {
		bat := stiff(vb)
		p := newPlant(t, cfg, bat)
		p.SetPrecharge(true)
		runTo(p, step, 10*time.Second)
		v0 := p.BusVolts()
		// The bleed and the NTC divide the battery voltage.
		require.InDelta(t, vb*cfg.BleedOhms/(cfg.BleedOhms+p.element.ohmsAt(p.PrechargeCelsius())), v0, 1e-3)
		p.SetPrecharge(false)
		drawn := bat.ah
		start := p.last
		runTo(p, step, start+time.Duration(bleedTau)*time.Second)
		assert.InEpsilon(t, v0/math.E, p.BusVolts(), 1e-9, "one bleed time constant")
		assert.Zero(t, p.ShuntAmps(), "the bleed does not pass the shunt")
		assert.Equal(t, drawn, bat.ah, "nor the battery")
		assert.Equal(t, vb, p.BatteryVolts())
	})

	t.Run("after the contactor opens", func(t *testing.T) {
		p := newPlant(t, cfg, stiff(vb))
		p.SetContactor(true)
		runTo(p, step, time.Second)
		require.InDelta(t, vb, p.BusVolts(), 1e-9)
		p.SetContactor(false)
		start := p.last
		runTo(p, step, start+10*time.Second)
		assert.InEpsilon(t, vb*math.Exp(-10/bleedTau), p.BusVolts(), 1e-9)
		runTo(p, step, start+30*time.Minute)
		assert.Less(t, p.BusVolts(), 1e-6, "eighteen time constants later the bus is empty")
	})

	t.Run("step size does not matter", func(t *testing.T) {
		got := map[time.Duration]float64{}
		for _, dt := range []time.Duration{time.Millisecond, 100 * time.Millisecond, 10 * time.Second} {
			p := newPlant(t, cfg, stiff(vb))
			p.busVolts = vb
			runTo(p, dt, time.Minute)
			got[dt] = p.BusVolts()
		}
		for dt, v := range got {
			assert.InEpsilon(t, vb*math.Exp(-60/bleedTau), v, 1e-9, "step %v", dt)
		}
	})
}

// A step that does not move time changes nothing.
func TestStepWithoutTime(t *testing.T) {
	bat := stiff(26)
	p := newPlant(t, DefaultConfig(1), bat)
	p.SetPrecharge(true)
	p.Step(step)
	bus, flows, celsius := p.BusVolts(), bat.flows, p.PrechargeCelsius()
	p.Step(step)
	p.Step(step / 2)
	assert.Equal(t, bus, p.BusVolts())
	assert.Equal(t, flows, bat.flows)
	assert.Equal(t, celsius, p.PrechargeCelsius())
}

// Every amp the shunt counts flows through the modules, however small the string resistance:
// the string currents are solved relative to a reference voltage, not as differences of nearly
// equal absolute voltages. (Strings at different voltages and tiny resistance circulate enormous
// currents, and the rounding error scales with those; such cases have realistic resistances.)
func TestModulesCarryTheShuntCurrent(t *testing.T) {
	tests := []struct {
		ohms     float64
		parallel int
		ocvStep  float64 // V between successive strings' modules
	}{
		{2.8e-3, 1, 0}, {1e-4, 1, 0}, {1e-6, 1, 0}, {1e-9, 1, 0}, {1e-12, 1, 0},
		{2.8e-3, 3, 1e-3}, {1e-4, 3, 1e-3},
		{1e-6, 3, 0}, {1e-9, 3, 0}, {1e-12, 3, 0},
	}
	for _, tt := range tests {
		var fs []*fake
		for i := range 2 * tt.parallel {
			s := float64(i / 2)
			// Strings differ in resistance, so they share unevenly even at one voltage.
			fs = append(fs, &fake{ocv: 26.4 + tt.ocvStep*s, ohms: tt.ohms * (1 + 0.3*s)})
		}
		p := newPlant(t, DefaultConfig(2), fs...)
		p.SetContactor(true)
		p.SetLoadAmps(0.01)
		var shuntAh float64
		for now := step; now <= 10*time.Second; now += step {
			p.Step(now)
			shuntAh += p.ShuntAmps() * step.Hours()
		}
		var modulesAh float64
		for s := 0; s < tt.parallel; s++ {
			modulesAh += fs[2*s].ah // one module per string: its series partner carries the same
		}
		assert.InEpsilon(t, shuntAh, modulesAh, 1e-9, "%v Ω, %d strings %v V apart", tt.ohms, tt.parallel, tt.ocvStep)
	}
}

// With the main contacts closed, a bank below the loads' minimum voltage feeds them as the
// resistance LoadMinVolts/amps: V = OCV / (1 + R·(amps/LoadMinVolts + 1/R_bleed)).
func TestLoadBelowItsMinimumIsAResistance(t *testing.T) {
	const ocv, ohms, load = 30.0, 5e-3, 100.0
	cfg := ConfigFor(1, 48) // loads from 36 V
	bat := &fake{ocv: ocv, ohms: ohms}
	p := newPlant(t, cfg, bat)
	p.SetContactor(true)
	p.SetLoadAmps(load)
	runTo(p, step, 100*time.Millisecond)
	g := load/cfg.LoadMinVolts + 1/cfg.BleedOhms
	v := ocv / (1 + ohms*g)
	assert.InDelta(t, v, p.BatteryVolts(), 1e-9)
	assert.InDelta(t, -v*g, p.ShuntAmps(), 1e-9)
	assert.Less(t, -p.ShuntAmps(), load*ocv/cfg.LoadMinVolts, "less than the full current")

	// Above the minimum it draws its full current again, from the next solve: the plant holds
	// its currents for SolveInterval while its inputs stay the same.
	bat.ocv = 40
	runTo(p, step, p.last+cfg.SolveInterval+step)
	assert.InDelta(t, -load-(40-load*ohms)/(cfg.BleedOhms+ohms), p.ShuntAmps(), 1e-9)
}
