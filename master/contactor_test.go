package master

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/events"
)

// Changelog 1.08-04: the contactor opens 5 s after allowed-to-charge and -discharge drop (2 s
// before v1.08), so that the GX can stop loads and chargers first.
func TestContactorOpeningDelay(t *testing.T) {
	for _, tt := range []struct {
		version string
		delay   time.Duration
		during  events.State // what the state register shows meanwhile
	}{
		{"1.07", 2 * time.Second, events.StateRunning},
		{"1.08", 5 * time.Second, events.StateRunning},
		{"1.37", 5 * time.Second, events.StateRunning},
		{"1.38", 5 * time.Second, events.StatePending}, // changelog 1.38-06
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.m.Stop()
			r.advance(step)
			s := r.m.Snapshot()
			assert.True(t, s.Flags.Has(events.FlagPreAlarm))
			assert.False(t, s.Flags.Has(events.FlagAllowedToCharge))
			assert.False(t, s.Flags.Has(events.FlagAllowedToDischarge))
			assert.Equal(t, Limit{0, "contactor opening"}, s.Limits.ChargeAmps)
			assert.True(t, r.hw.contactorCommand, "still closed during the delay")
			r.advance(tt.delay - 2*step)
			assert.True(t, r.hw.contactorCommand)
			assert.Equal(t, tt.during, r.m.State())
			r.advance(2 * step)
			assert.False(t, r.hw.contactorCommand)
			assert.Equal(t, events.StateStandby, r.m.State())
			assert.False(t, r.m.Snapshot().Flags.Has(events.FlagPreAlarm))
			assert.Equal(t, events.ErrNone, r.m.Error())
		})
	}
}

// Standby and start: the master registers its batteries again and runs.
func TestStopAndStart(t *testing.T) {
	r := running(t, "1.38")
	r.m.Stop()
	r.advance(6 * time.Second)
	require.Equal(t, events.StateStandby, r.m.State())
	r.m.Start()
	r.advance(step)
	assert.True(t, r.m.State().Initializing())
	r.announce(1, 1, 2, 8)
	r.advance(r.m.cfg.RegistrationQuiet + 2*time.Second)
	assert.Equal(t, events.StateRunning, r.m.State())
}

// Changelog 1.09-06: the shutdown state lasts 8 s (2 s before v1.09), with the DVCC charge voltage
// at the actual voltage (changelog 1.17-01: without the offset from v1.17), then the master falls
// silent.
func TestShutdown(t *testing.T) {
	for _, tt := range []struct {
		version    string
		shutdown   time.Duration
		withOffset bool
	}{
		{"1.08", 2 * time.Second, true},
		{"1.16", 8 * time.Second, true},
		{"1.17", 8 * time.Second, false},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.m.Shutdown()
			r.advance(r.m.openDelay() + step)
			require.Equal(t, events.StateShutdown, r.m.State())
			s := r.m.Snapshot()
			want := r.hw.batteryVolts
			if tt.withOffset {
				want += r.m.cfg.ShutdownVoltageOffset
			}
			assert.InDelta(t, want, s.Limits.ChargeVolts.Value, 1e-9)
			assert.Zero(t, s.Limits.ChargeAmps.Value)
			assert.Zero(t, s.Limits.DischargeAmps.Value)
			r.veFrames = r.veFrames[:0]
			r.advance(tt.shutdown - 100*time.Millisecond)
			assert.NotEmpty(t, r.veFrames, "still talking during the shutdown time")
			assert.Equal(t, events.StateShutdown, r.m.State())
			r.advance(200 * time.Millisecond)
			r.veFrames = r.veFrames[:0]
			r.advance(10 * time.Second)
			assert.Empty(t, r.veFrames, "powered down: silent")
		})
	}
}

// Errors while pre-charging open at once: the contactor is not closed yet (changelog 1.25-10:
// fail-safe handling while pre-charging).
func TestFailWhilePrecharging(t *testing.T) {
	r := newRig(t, "1.38", nil)
	r.hw.prechargeStuck = true
	r.advance(step)
	r.registerAndReport(1)
	r.silent = true
	r.advance(3 * time.Second)
	assert.Equal(t, events.StateError, r.m.State())
	assert.False(t, r.hw.precharge)
}
