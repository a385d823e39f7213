package scenario

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/battery"
	"github.com/lynxsim/lynxsim/events"
)

// LFP balances while charging near the top: the master tells the battery to bleed its high cell,
// the battery does and says so, and the GX sees flag bit 6.
func TestLFPBalancing(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SOCPercent, cfg.LoadAmps, cfg.ChargerAmps = 90, 0, 20
	sys := runToRunning(t, cfg, nil)
	require.Equal(t, events.StateRunning, sys.Master.State())
	_, err := sys.Batteries[0].Inject("over-voltage", 2, 3.45)
	require.NoError(t, err)
	sys.Loop.RunFor(15 * time.Second)
	assert.Equal(t, uint32(1<<2), sys.Batteries[0].Module().BalancingMask())
	assert.Zero(t, sys.Batteries[1].Module().BalancingMask(), "a battery without a high cell does not bleed")
	assert.True(t, sys.Master.Snapshot().Flags.Has(events.FlagBalancing))
}

// Changelog 1.36-01: HE batteries always balance when a cell deviates by more than 25 mV, from
// v1.36; before, only after an idle time, so not while current flows.
func TestHEAlwaysBalance(t *testing.T) {
	he, err := battery.LookupType("HE-24V-200Ah")
	require.NoError(t, err)
	for _, tt := range []struct {
		version  string
		balances bool
	}{
		{"1.35", false},
		{"1.36", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Firmware = profile(t, tt.version)
			cfg.BatteryType = he
			cfg.LoadAmps = 20
			sys := runToRunning(t, cfg, nil)
			require.Equal(t, events.StateRunning, sys.Master.State())
			cells := sys.Batteries[0].Module().CellVolts(nil)
			_, err := sys.Batteries[0].Inject("over-voltage", 4, cells[4]+0.04)
			require.NoError(t, err)
			sys.Loop.RunFor(15 * time.Second)
			assert.Equal(t, tt.balances, sys.Batteries[0].Module().BalancingMask() != 0)
		})
	}
}
