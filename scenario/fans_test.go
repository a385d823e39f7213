package scenario

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/battery"
	"github.com/lynxsim/lynxsim/events"
)

// Changelog 1.13-02: HE fans on above 30 °C (Economic) from v1.13, switched by the master; at
// 32 °C they run. Changelog 1.11-05: at 25 °C they are off after the start-up test.
// HE fans by version: v1.10 leaves them to the batteries' thermostats (auto); from v1.11 a start-up
// test runs them and they are "disabled after startup test when temperature below 31 °C" (changelog
// 1.11-05); from v1.13 the master switches them at 30/29 °C in the default strategy (1.13-02), so
// at 30.5 °C v1.12 turns them off and v1.13 keeps them on.
func TestHEFans(t *testing.T) {
	for _, tt := range []struct {
		version          string
		startupTest      bool
		onAt30_5, onAt32 bool
	}{
		{"1.10", false, false, false},
		{"1.11", true, false, false},
		{"1.12", true, false, false},
		{"1.13", true, true, true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			he, err := battery.LookupType("HE-24V-200Ah")
			require.NoError(t, err)
			cfg := DefaultConfig()
			cfg.BatteryType = he
			cfg.Firmware = profile(t, tt.version)
			sys := runToRunning(t, cfg, nil)
			require.Equal(t, events.StateRunning, sys.Master.State())
			sys.Loop.RunFor(2 * time.Second)
			assert.Equal(t, tt.startupTest, sys.Batteries[0].Module().FanOn(), "the start-up test")
			sys.Loop.RunFor(15 * time.Second)
			assert.False(t, sys.Batteries[0].Module().FanOn(), "25 °C: off")
			cell := float64(sys.Batteries[1].Module().SensorCell(0))
			clear, err := sys.Batteries[1].Inject("hot-cell", cell, 30.5)
			require.NoError(t, err)
			sys.Loop.RunFor(10 * time.Second)
			assert.Equal(t, tt.onAt30_5, sys.Batteries[0].Module().FanOn(), "30.5 °C somewhere in the bank")
			clear()
			_, err = sys.Batteries[1].Inject("hot-cell", cell, 32)
			require.NoError(t, err)
			sys.Loop.RunFor(10 * time.Second)
			assert.Equal(t, tt.onAt32, sys.Batteries[0].Module().FanOn(), "32 °C: every fan on from v1.13")
		})
	}
}
