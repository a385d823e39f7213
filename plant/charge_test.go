package plant

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chargeDetectVolts is the user voltage above which the master's charge-detect wake-up starts
// the system (register 0x0375, "automatically startup when user voltage rises above ~18V",
// protocol.md §3.3; limits.md §4.7).
const chargeDetectVolts = 18.0

// A user-side charger raises the bus with the contacts open: a constant current into the bus
// capacitance and the bleed, V = I·R_bleed·(1 − e^(−t/τ)), until its own voltage, which it holds.
// The master watches UserVolts rise above ~18 V.
func TestUserChargerRaisesUserVolts(t *testing.T) {
	const vb, amps, volts = 26.4, 1.0, 28.8
	cfg := DefaultConfig(1)
	bat := stiff(vb)
	p := newPlant(t, cfg, bat)
	p.SetUserCharger(Constant(amps), volts)
	tau := cfg.BleedOhms * cfg.BusFarads
	want := -tau * math.Log(1-chargeDetectVolts/(amps*cfg.BleedOhms)) // 0.18 s
	at, ok := runUntil(p, time.Millisecond, time.Second, func() bool { return p.UserVolts() > chargeDetectVolts })
	require.True(t, ok)
	assert.InDelta(t, want, at.Seconds(), 1e-3)
	assert.Equal(t, p.BusVolts(), p.UserVolts())
	assert.False(t, p.ContactsClosed())
	assert.Zero(t, p.ShuntAmps(), "the bank does not see it")

	// It reaches its voltage exactly, in the closed form's time, and holds it.
	reach := -tau * math.Log(1-volts/(amps*cfg.BleedOhms))
	runTo(p, time.Millisecond, time.Duration(reach*float64(time.Second))-time.Millisecond)
	assert.Less(t, p.UserVolts(), volts)
	runTo(p, 10*time.Millisecond, 10*time.Second)
	assert.Equal(t, volts, p.UserVolts(), "held at its voltage")
	assert.Zero(t, bat.ah)

	// Without it the bus stays empty, and a charger without current raises nothing.
	p = newPlant(t, cfg, stiff(vb))
	runTo(p, step, time.Second)
	assert.Zero(t, p.UserVolts())
	p.SetUserCharger(Constant(0), volts)
	runTo(p, step, 2*time.Second)
	assert.Zero(t, p.UserVolts())
	p.SetUserCharger(Constant(amps), 0)
	runTo(p, step, 3*time.Second)
	assert.Zero(t, p.UserVolts(), "no voltage: removed")
}

// With the contacts closed the user charger charges the bank at its full current while the bank
// is below its voltage, holds the bank terminal at its voltage when its current would lift it
// above, and gives nothing when the bank is above it.
func TestUserChargerThroughClosedContacts(t *testing.T) {
	const ohms = 10e-3
	tests := []struct {
		name      string
		ocv, amps float64
		volts     float64
		want      float64 // bank current, the bleed aside
	}{
		{"below: full current", 26.0, 20, 28.8, 20},
		{"near: holds its voltage", 28.7, 20, 28.8, 10}, // (28.8 − 28.7)/10 mΩ
		{"above: nothing", 29.0, 20, 28.8, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlant(t, quiet(DefaultConfig(1)), &fake{ocv: tt.ocv, ohms: ohms})
			p.SetUserCharger(Constant(tt.amps), tt.volts)
			p.SetContactor(true)
			runTo(p, step, 100*time.Millisecond)
			assert.InDelta(t, tt.want, p.ShuntAmps(), 1e-9)
			assert.LessOrEqual(t, p.BatteryVolts(), math.Max(tt.volts, tt.ocv)+1e-9)
		})
	}
}

// A user charger at its voltage above a pre-charging bus: it holds the bus at its voltage while
// the pre-charge path takes the difference to the lower battery, and the bank is charged
// through the pre-charge path.
func TestUserChargerHoldsAgainstThePrecharge(t *testing.T) {
	const vb, volts = 52.8, 55.0
	cfg := resistor48()
	p := newPlant(t, cfg, stiff(vb))
	p.SetUserCharger(Constant(5), volts)
	p.SetPrecharge(true)
	runTo(p, step, 10*time.Second)
	assert.Equal(t, volts, p.BusVolts())
	assert.InDelta(t, (volts-vb)/cfg.PrechargeOhms, p.ShuntAmps(), 1e-9, "the bank charges through the resistor")
	assert.Positive(t, -p.PrechargeAmps())
}

// Charge conservation: every coulomb the shunt counts passes through the modules, string by
// string, over a sequence that uses every path: pre-charge through the NTC and the external
// circuit with a load on the bus, the contacts closing, profiles of load and charger, a user
// charger, a welded contactor, and a bus short on the open bus.
func TestShuntMatchesModuleFlows(t *testing.T) {
	var fs []*fake
	for i := range 6 { // 2 in series × 3 in parallel, at different voltages and resistances
		s := float64(i / 2)
		fs = append(fs, &fake{ocv: 13.1 + 0.02*s, ohms: 1.2e-3 * (1 + 0.4*s)})
	}
	cfg := cfg24(2)
	cfg.Loads = LoadsOnBus
	p := newPlant(t, cfg, fs...)
	load, err := Ramps(Point{0, 0.01}, Point{10 * sec, 0.01}, Point{20 * sec, 80}, Point{40 * sec, 0})
	require.NoError(t, err)
	charger, err := Steps(Point{0, 0}, Point{25 * sec, 60})
	require.NoError(t, err)
	p.SetLoad(load)
	p.SetCharger(charger)

	var shuntAh float64
	run := func(to time.Duration) {
		for p.last < to {
			p.Step(p.last + step)
			shuntAh += p.ShuntAmps() * step.Hours()
		}
	}
	p.SetPrecharge(true)
	p.SetExternalPrecharge(true)
	run(3 * sec)
	p.SetContactor(true)
	run(4 * sec)
	p.SetPrecharge(false)
	p.SetExternalPrecharge(false)
	p.SetUserCharger(Constant(15), 26.5)
	run(30 * sec)
	require.NoError(t, WeldedContactor().Apply(p))
	p.SetContactor(false)
	run(35 * sec)
	WeldedContactor().Clear(p)
	require.NoError(t, BusShort(0.05).Apply(p))
	p.SetPrecharge(true)
	run(45 * sec)

	var modulesAh float64
	for s := range 3 {
		assert.Equal(t, fs[2*s].ah, fs[2*s+1].ah, "modules in series pass one charge")
		modulesAh += fs[2*s].ah
	}
	assert.InEpsilon(t, shuntAh, modulesAh, 1e-9)
	assert.Greater(t, math.Abs(shuntAh), 1e-3, "the test moved charge")
}

// With no bleed to speak of, the charge the bank gives through the pre-charge paths is the
// charge on the bus capacitance, however the paths share it.
func TestPrechargeChargeIsOnTheBus(t *testing.T) {
	cfg := quiet(DefaultConfig(1))
	bat := stiff(26.4)
	p := newPlant(t, cfg, bat)
	p.SetPrecharge(true)
	p.SetExternalPrecharge(true)
	runTo(p, step, 200*time.Millisecond)
	p.SetExternalPrecharge(false)
	runTo(p, 7*time.Millisecond, 2*time.Second)
	assert.InEpsilon(t, cfg.BusFarads*p.BusVolts(), -bat.ah*3600, 1e-9)
}
