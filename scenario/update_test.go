package scenario

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/battery"
	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/firmware"
	"github.com/lynxsim/lynxsim/master"
)

// inStandby runs cfg to running, stops it and waits for standby.
func inStandby(t *testing.T, cfg Config) *System {
	t.Helper()
	sys := runToRunning(t, cfg, nil)
	require.Equal(t, events.StateRunning, sys.Master.State())
	sys.Master.Stop()
	sys.Loop.RunFor(6 * time.Second)
	require.Equal(t, events.StateStandby, sys.Master.State())
	return sys
}

// image is a firmware image of n bytes, not a whole number of blocks.
func image(n int) master.FirmwareImage {
	d := make([]byte, n)
	for i := range d {
		d[i] = byte(i * 7)
	}
	return master.FirmwareImage{Data: d, Processor: 1}
}

// The master updates a real battery's firmware over the battery bus (state 13, docs/battery-bus.md
// §7.4), then registers its batteries again and runs.
func TestBatteryUpdate(t *testing.T) {
	sys := inStandby(t, DefaultConfig())
	require.NoError(t, sys.Master.UpdateBattery(1, image(1000)))
	assert.Equal(t, events.StateSlaveUpdating, sys.Master.State())
	seen := false
	sys.Loop.RunUntil(time.Minute, func() bool {
		seen = seen || sys.Master.State() == events.StateSlaveUpdating
		return sys.Master.State() == events.StateRunning || sys.Master.State() == events.StateError
	})
	assert.True(t, seen)
	assert.Equal(t, events.StateRunning, sys.Master.State(), "error %v", sys.Master.Error())
	updates := 0
	for _, b := range sys.Batteries {
		updates += int(b.Counters().Updates)
	}
	assert.Equal(t, 1, updates, "one battery updated, once")

	// Refused while running, and for nobody.
	assert.Error(t, sys.Master.UpdateBattery(1, image(10)))
}

func TestBatteryUpdateFailures(t *testing.T) {
	t.Run("wrong processor: #29", func(t *testing.T) {
		sys := inStandby(t, DefaultConfig())
		img := image(600)
		img.Processor = 9
		require.NoError(t, sys.Master.UpdateBattery(1, img))
		sys.Loop.RunFor(5 * time.Second)
		assert.Equal(t, events.StateError, sys.Master.State())
		assert.Equal(t, events.ErrSlaveUpdateUnavailable, sys.Master.Error())
	})
	t.Run("battery stops answering: #28", func(t *testing.T) {
		sys := inStandby(t, DefaultConfig())
		require.NoError(t, sys.Master.UpdateBattery(1, image(600)))
		for _, b := range sys.Batteries {
			_, err := b.Inject(battery.FaultDeaf)
			require.NoError(t, err)
		}
		sys.Loop.RunFor(15 * time.Second)
		assert.Equal(t, events.StateError, sys.Master.State())
		assert.Equal(t, events.ErrSlaveUpdate, sys.Master.Error())
	})
	t.Run("bad requests", func(t *testing.T) {
		sys := inStandby(t, DefaultConfig())
		assert.ErrorContains(t, sys.Master.UpdateBattery(9, image(10)), "no battery registered at address 9")
		assert.ErrorContains(t, sys.Master.UpdateBattery(1, master.FirmwareImage{Processor: 1}), "1 to")
		assert.ErrorContains(t, sys.Master.UpdateBattery(1, master.FirmwareImage{Data: []byte{1}}), "processor")
		assert.Equal(t, events.StateStandby, sys.Master.State())
	})
}

// Known issue 1.13-08, opted in on v1.13: the first update fails half way (#28) and, started
// again, completes. Without the opt-in v1.13 updates at once.
func TestBatteryUpdateKnownIssue_1_13_08(t *testing.T) {
	for _, tt := range []struct {
		name     string
		version  string
		optIn    bool
		firstErr events.ErrorCode
	}{
		{"not opted in", "1.13", false, events.ErrNone},
		{"opted in", "1.13", true, events.ErrSlaveUpdate},
		{"opted in, fixed in v1.14", "1.14", true, events.ErrNone},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var opts []firmware.Option
			if tt.optIn {
				opts = append(opts, firmware.WithKnownIssues("1.13-08"))
			}
			p, err := firmware.NewProfile(firmware.MustParse(tt.version), opts...)
			require.NoError(t, err)
			cfg := DefaultConfig()
			cfg.Firmware = p
			sys := inStandby(t, cfg)
			require.NoError(t, sys.Master.UpdateBattery(1, image(2000)))
			sys.Loop.RunUntil(time.Minute, func() bool {
				return sys.Master.State() == events.StateRunning || sys.Master.State() == events.StateError
			})
			assert.Equal(t, tt.firstErr, sys.Master.Error())
			if tt.firstErr == events.ErrNone {
				return
			}
			// "… but can be restarted."
			require.True(t, sys.Master.Restart())
			sys.Loop.RunUntil(time.Minute, func() bool { return sys.Master.State() == events.StateRunning })
			sys.Master.Stop()
			sys.Loop.RunFor(6 * time.Second)
			require.NoError(t, sys.Master.UpdateBattery(1, image(2000)))
			sys.Loop.RunUntil(time.Minute, func() bool {
				return sys.Master.State() == events.StateRunning || sys.Master.State() == events.StateError
			})
			assert.Equal(t, events.StateRunning, sys.Master.State(), "error %v", sys.Master.Error())
		})
	}
}
