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
func TestHEFans(t *testing.T) {
	he, err := battery.LookupType("HE-24V-200Ah")
	require.NoError(t, err)
	cfg := DefaultConfig()
	cfg.BatteryType = he
	cfg.Firmware = profile(t, "1.13")
	sys := runToRunning(t, cfg, nil)
	require.Equal(t, events.StateRunning, sys.Master.State())
	sys.Loop.RunFor(2 * time.Second)
	assert.True(t, sys.Batteries[0].Module().FanOn(), "the start-up test")
	sys.Loop.RunFor(15 * time.Second)
	assert.False(t, sys.Batteries[0].Module().FanOn(), "25 °C: off after the test")
	_, err = sys.Batteries[1].Inject("hot-cell", float64(sys.Batteries[1].Module().SensorCell(0)), 32)
	require.NoError(t, err)
	sys.Loop.RunFor(10 * time.Second)
	assert.True(t, sys.Batteries[0].Module().FanOn(), "32 °C somewhere in the bank: every fan on")
}
