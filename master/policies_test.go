package master

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/events"
)

// runningWithCells brings a rig to running with cells between lo and hi millivolts.
func runningWithCells(t *testing.T, v string, lo, hi uint16) *rig {
	r := newRig(t, v, nil)
	r.advance(step)
	r.announce(1, 1, 2, 8)
	r.advance(r.m.cfg.RegistrationQuiet + 50*time.Millisecond)
	r.report(1, lo, hi)
	r.advance(time.Second + r.m.cfg.ContactorCheckTime)
	require.Equal(t, events.StateRunning, r.m.State())
	return r
}

// Changelog 1.09-01: a bank that starts with a cell below the warning level (here 2.55 V, below
// even the 2.60 V fail-safe) gets 2 minutes to see 4 A of charge and 10 minutes to recover.
// v1.08 has no such grace: the under-voltage fail-safe (#14).
func TestCriticalUnderVoltageStartUp(t *testing.T) {
	t.Run("1.08 fails", func(t *testing.T) {
		r := runningWithCells(t, "1.08", 2550, 3200)
		r.advance(30 * time.Second)
		assert.Equal(t, events.ErrUnderVoltage, r.m.Error())
	})
	t.Run("1.09 no charger: shutdown after 2 minutes", func(t *testing.T) {
		r := runningWithCells(t, "1.09", 2550, 3200)
		r.advance(time.Minute)
		assert.Equal(t, events.StateRunning, r.m.State(), "the grace holds the fail-safe back")
		r.advance(time.Minute + r.m.openDelay() + time.Second)
		assert.Equal(t, events.StateShutdown, r.m.State())
		assert.Equal(t, events.ErrNone, r.m.Error())
	})
	t.Run("1.09 charged back in time", func(t *testing.T) {
		r := runningWithCells(t, "1.09", 2550, 3200)
		r.hw.shuntAmps = 20
		r.advance(time.Minute)
		r.report(1, 3000, 3250) // recovered above the 2.90 V warning level
		r.advance(15 * time.Minute)
		assert.Equal(t, events.StateRunning, r.m.State())
	})
	t.Run("1.09 charging but not recovering: shutdown at 10 minutes", func(t *testing.T) {
		r := runningWithCells(t, "1.09", 2550, 3200)
		r.hw.shuntAmps = 5
		r.advance(9 * time.Minute)
		assert.Equal(t, events.StateRunning, r.m.State())
		r.advance(time.Minute + r.m.openDelay() + time.Second)
		assert.Equal(t, events.StateShutdown, r.m.State())
	})
}

// Changelog 1.13-06: automatic shutdown when almost discharged and no energy flows; 1.21-01: it
// shows as error 18 in the last errors from v1.21. Before v1.13 the energy flow is not looked at.
func TestAutoShutdown(t *testing.T) {
	for _, tt := range []struct {
		version  string
		amps     float64
		shutdown bool
		lastErr  uint32
	}{
		{"1.12", -10, true, 0},
		{"1.13", -10, false, 0},
		{"1.20", 0, true, 0},
		{"1.21", 0, true, uint32(events.ErrUnderChargeStandby)},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.m.socPct = 4
			r.hw.shuntAmps = tt.amps
			r.advance(11*time.Minute + r.m.openDelay())
			if tt.shutdown {
				assert.Equal(t, events.StateShutdown, r.m.State())
			} else {
				assert.Equal(t, events.StateRunning, r.m.State())
			}
			last, _ := r.m.Get(0x2110)
			assert.Equal(t, tt.lastErr, last&0xFF)
		})
	}
}

// Changelog 1.23-05: the critical start-up's two minutes count from the contactor closing from
// v1.23; on v1.22 they count from the start, so a slow pre-charge (here about 20 s) eats into them.
func TestStartUpUnderVoltageGivesChargerTime_1_23_05(t *testing.T) {
	for _, tt := range []struct {
		version string
		state   events.State
	}{
		{"1.22", events.StateShutdown},
		{"1.23", events.StateRunning},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, nil)
			r.hw.busVolts, r.hw.riseVoltsPerStep = 0, 0.013 // 1.3 V/s
			r.advance(step)
			r.announce(1, 1, 2, 8)
			r.advance(r.m.cfg.RegistrationQuiet + 50*time.Millisecond)
			r.report(1, 2850, 3200) // above the 2.60 V fail-safe, below the 2.90 V warning
			r.advance(25 * time.Second)
			require.Equal(t, events.StateRunning, r.m.State())
			runningAt := r.now
			r.advance(recoveryChargeWithin - (r.now - runningAt) - 10*time.Second + r.m.openDelay() + time.Second)
			// 1.22 counted from the start, about 20 s earlier: its two minutes are over.
			assert.Equal(t, tt.state, r.m.State())
		})
	}
}

// Changelog 1.30-06: started by the button, the master's own pre-charge lifts the user voltage
// through the charge-detect level. v1.29 takes that for an external charger, which counts as the
// charging the critical start-up waits for, and runs on; v1.30 shuts down after two minutes.
func TestButtonStartIsNoCharger_1_30_06(t *testing.T) {
	for _, tt := range []struct {
		version  string
		detected bool
	}{
		{"1.29", true},
		{"1.30", false},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := runningWithCells(t, tt.version, 2850, 3200)
			// No charger: the first start-up ends in shutdown after two minutes.
			r.advance(recoveryChargeWithin + r.m.openDelay() + r.m.shutdownTime() + time.Second)
			require.Equal(t, events.StateShutdown, r.m.State())
			r.hw.busVolts = 0 // the bus bled down while the master was off
			r.advance(time.Second)

			r.m.PressButton()
			r.advance(step)
			r.announce(1, 1, 2, 8)
			r.advance(r.m.cfg.RegistrationQuiet + 3*time.Second)
			require.Equal(t, events.StateRunning, r.m.State())
			assert.Equal(t, tt.detected, r.m.chargerDetected)
			r.advance(recoveryChargeWithin + r.m.openDelay() + time.Second)
			if tt.detected {
				assert.Equal(t, events.StateRunning, r.m.State(), "the false charger buys ten minutes")
			} else {
				assert.Equal(t, events.StateShutdown, r.m.State())
			}
		})
	}
}
