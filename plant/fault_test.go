package plant

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each contactor fault has its effect on what the master reads (the feedback) and on what flows
// (the shunt: the 30 A load runs only through closed main contacts), and clearing it restores the
// healthy contactor.
func TestContactorFaults(t *testing.T) {
	const load = 30.0
	type reading struct {
		feedback, contacts bool
		amps               float64 // the shunt, the bleed aside
	}
	tests := []struct {
		name  string
		fault Fault
		// beforeClose: the fault is applied with the contacts open (else closed, in operation).
		beforeClose bool
		commanded   reading // after commanding closed (for a second)
		released    reading // after releasing the coil again
		cleared     reading // after clearing the fault, the coil still released
	}{
		{"welded in operation", WeldedContactor(), false,
			reading{true, true, -load}, reading{true, true, -load}, reading{false, false, 0}},
		{"welded before closing", WeldedContactor(), true,
			reading{true, true, -load}, reading{true, true, -load}, reading{false, false, 0}},
		{"will not close", ContactorWontClose(), true,
			reading{false, false, 0}, reading{false, false, 0}, reading{false, false, 0}},
		{"will not close, applied while closed: still opens", ContactorWontClose(), false,
			reading{true, true, -load}, reading{false, false, 0}, reading{false, false, 0}},
		{"feedback lost", LostFeedback(), true,
			reading{false, true, -load}, reading{false, false, 0}, reading{false, false, 0}},
		{"feedback stuck closed", StuckFeedback(), true,
			reading{true, true, -load}, reading{true, false, 0}, reading{false, false, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := quiet(DefaultConfig(1))
			p := newPlant(t, cfg, stiff(26.4))
			p.SetLoadAmps(load)
			check := func(want reading, when string) {
				t.Helper()
				assert.Equal(t, want.feedback, p.ContactorClosed(), "feedback %s", when)
				assert.Equal(t, want.contacts, p.ContactsClosed(), "main contacts %s", when)
				assert.InDelta(t, want.amps, p.ShuntAmps(), 1e-9, "shunt %s", when)
			}
			if tt.beforeClose {
				require.NoError(t, tt.fault.Apply(p))
				if tt.name == "feedback stuck closed" {
					p.Step(p.last + step)
					check(reading{true, false, 0}, "stuck before any command")
				}
			}
			p.SetContactor(true)
			runTo(p, step, p.last+time.Second)
			if !tt.beforeClose {
				require.True(t, p.ContactsClosed())
				require.NoError(t, tt.fault.Apply(p))
				p.Step(p.last + step)
			}
			check(tt.commanded, "commanded closed")

			p.SetContactor(false)
			p.Step(p.last + step)
			check(tt.released, "released")

			tt.fault.Clear(p)
			p.Step(p.last + step)
			check(tt.cleared, "cleared")

			// Healthy again: it closes and opens on command.
			p.SetContactor(true)
			runTo(p, step, p.last+100*time.Millisecond)
			check(reading{true, true, -load}, "closed after clearing")
			p.SetContactor(false)
			p.Step(p.last + step)
			check(reading{false, false, 0}, "opened after clearing")
		})
	}
}

// Clearing a contactor that would not close while its coil is still commanded lets it close the
// closing time later.
func TestContactorFreedWhileCommanded(t *testing.T) {
	p := newPlant(t, DefaultConfig(1), stiff(26.4))
	require.NoError(t, ContactorWontClose().Apply(p))
	p.SetContactor(true)
	runTo(p, step, time.Second)
	require.False(t, p.ContactsClosed())
	ContactorWontClose().Clear(p)
	runTo(p, step, time.Second+20*time.Millisecond)
	assert.False(t, p.ContactsClosed(), "the closing time counts from the repair")
	runTo(p, step, time.Second+30*time.Millisecond)
	assert.True(t, p.ContactsClosed())
	assert.Equal(t, 1, p.ContactorCycles())
}

func TestLookupFault(t *testing.T) {
	tests := []struct {
		name string
		args []float64
		want string
	}{
		{"contactor-welded", nil, "contactor-welded"},
		{"Contactor-Welded", nil, "contactor-welded"},
		{"contactor-wont-close", nil, "contactor-wont-close"},
		{"contactor-feedback-lost", nil, "contactor-feedback-lost"},
		{"contactor-feedback-stuck-closed", nil, "contactor-feedback-stuck-closed"},
		{"precharge-fuse-broken", nil, "precharge-fuse-broken"},
		{"bus-short", []float64{0.01}, "bus-short"},
		{"bus-capacitance", []float64{1}, "bus-capacitance"},
	}
	for _, tt := range tests {
		f, err := LookupFault(tt.name, tt.args...)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, f.Name())
	}
	assert.Len(t, FaultNames(), 7)
	assert.Contains(t, FaultNames(), "bus-short(ohms)")
	assert.Contains(t, FaultNames(), "contactor-welded()")

	_, err := LookupFault("contactor-melted")
	require.Error(t, err)
	for _, n := range FaultNames() {
		assert.Contains(t, err.Error(), n, "the error lists the valid names")
	}
	_, err = LookupFault("bus-short")
	assert.ErrorContains(t, err, "wants 1 arguments (ohms), got 0")
	_, err = LookupFault("contactor-welded", 1)
	assert.ErrorContains(t, err, "got 1")

	// An argument the model cannot take fails at Apply and changes nothing.
	p := newPlant(t, DefaultConfig(1), stiff(26.4))
	for _, f := range []Fault{BusShort(0), BusShort(-1), HugeCapacitance(0)} {
		err := f.Apply(p)
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(err.Error(), "plant: fault "+f.Name()), err.Error())
	}
	assert.Zero(t, p.shortSiemens)
	assert.Equal(t, p.cfg.BusFarads, p.farads)
}

// A short across the bus keeps the pre-charge from converging: the bus stays at the divider of
// the path and the short, and the shunt shows the path's current.
func TestBusShortHoldsThePrecharge(t *testing.T) {
	const vb = 52.8
	cfg := resistor48()
	p := newPlant(t, cfg, stiff(vb))
	f, err := LookupFault("bus-short", 0.01)
	require.NoError(t, err)
	require.NoError(t, f.Apply(p))
	p.SetPrecharge(true)
	runTo(p, step, 5*time.Second)
	g := 1/0.01 + 1/cfg.BleedOhms
	assert.InDelta(t, vb/cfg.PrechargeOhms/(1/cfg.PrechargeOhms+g), p.BusVolts(), 1e-9)
	assert.Less(t, p.BusVolts(), 0.02)
	assert.InDelta(t, -(vb-p.BusVolts())/cfg.PrechargeOhms, p.ShuntAmps(), 1e-9)
	f.Clear(p)
	runTo(p, step, 10*time.Second)
	assert.Greater(t, p.BusVolts(), vb-1, "cleared: it converges")
}
