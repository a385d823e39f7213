package scenario

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/plant"
)

// Charge-detect wake-up (0x0375; changelog 1.36-08): a master that shut down starts when a
// charger raises the user-side voltage, if the setting is on; before v1.36 even when it is off.
func TestChargeDetectWakeUp(t *testing.T) {
	for _, tt := range []struct {
		version string
		setting bool
		wakes   bool
	}{
		{"1.35", false, true},
		{"1.36", false, false},
		{"1.36", true, true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Firmware = profile(t, tt.version)
			sys := runToRunning(t, cfg, nil)
			require.Equal(t, events.StateRunning, sys.Master.State())
			if tt.setting {
				sys.Master.Set(sys.Loop.Now(), 0x0375, 1)
			}
			sys.Master.Shutdown()
			sys.Loop.RunFor(2 * time.Minute) // off, and the bus bled down
			require.Equal(t, events.StateShutdown, sys.Master.State())
			require.Less(t, sys.Plant.UserVolts(), 18.0)
			sys.Plant.SetUserCharger(plant.Constant(5), 28)
			sys.Loop.RunFor(30 * time.Second)
			assert.Equal(t, tt.wakes, sys.Master.State() != events.StateShutdown, "state %v", sys.Master.State())
		})
	}
}

// The start button starts a master that is off.
func TestButtonStarts(t *testing.T) {
	sys := runToRunning(t, DefaultConfig(), nil)
	sys.Master.Shutdown()
	sys.Loop.RunFor(time.Minute)
	require.Equal(t, events.StateShutdown, sys.Master.State())
	sys.Master.PressButton()
	sys.Loop.RunUntil(30*time.Second, func() bool { return sys.Master.State() == events.StateRunning })
	assert.Equal(t, events.StateRunning, sys.Master.State())
}
