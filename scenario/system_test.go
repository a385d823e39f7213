package scenario

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/events"
)

// recordMinute runs the default system for a simulated minute and returns its candump log.
func recordMinute(t *testing.T) []byte {
	t.Helper()
	ctx := context.Background()
	sys, err := Build(ctx, DefaultConfig())
	require.NoError(t, err)
	defer sys.Close()
	var buf bytes.Buffer
	w := canbus.NewLogWriter(&buf)
	require.NoError(t, sys.Record(ctx, w))
	sys.Loop.RunFor(time.Minute)
	require.NoError(t, sys.RecordErr())
	require.NoError(t, w.Flush())
	return buf.Bytes()
}

// The same simulated minute gives the same frames, byte for byte: the foundation of golden tests
// and of regression runs that compare firmware versions.
func TestDeterministicMinute(t *testing.T) {
	first := recordMinute(t)
	second := recordMinute(t)
	require.NotEmpty(t, first)
	assert.Equal(t, first, second)
	// Both buses are in it, and the VE.Can side carries PGN 127508 and the SOC and state VREGs.
	for _, want := range []string{" batbus 00B101FF#", " vecan 19F21450#00", " vecan 1CEFFF50#6699FF0F", " vecan 1CEFFF50#66997103"} {
		assert.True(t, bytes.Contains(first, []byte(want)), "log has %q", want)
	}
}

// The vertical slice: from power-up through registration and pre-charge to running with the
// contactor closed, within a bounded simulated time.
func TestDefaultSystemReachesRunning(t *testing.T) {
	sys, err := Build(context.Background(), DefaultConfig())
	require.NoError(t, err)
	defer sys.Close()
	seen := map[events.State]bool{}
	reached := sys.Loop.RunUntil(30*time.Second, func() bool {
		s := sys.Master.State()
		seen[s] = true
		return s == events.StateRunning
	})
	require.True(t, reached, "still %v after 30 s", sys.Master.State())
	for _, s := range []events.State{events.StateWaitBoot, events.StatePreCharging, events.StateGoingToRun} {
		assert.True(t, seen[s], "passed through %v", s)
	}
	snap := sys.Master.Snapshot()
	assert.True(t, snap.ContactorClosed)
	assert.Equal(t, 2, snap.Batteries)
	assert.InDelta(t, 60, snap.SOCPercent, 0.5)
	assert.InDelta(t, 26.4, snap.Volts, 0.5, "two 8-cell LFP modules in parallel at 60 %%")
	assert.InDelta(t, -30, snap.Amps, 0.01, "the 30 A default load")
	assert.True(t, snap.Flags.Has(events.FlagAllowedToCharge))
	assert.True(t, snap.Flags.Has(events.FlagDischarging))
	for _, b := range sys.Batteries {
		assert.NotEqual(t, uint8(0xFF), b.Address(), "battery %d got an address", b.Serial())
		assert.Zero(t, b.Counters().Rejected, "the batteries accept every master frame")
	}
	// A healthy bank: the master rejects none of the batteries' frames.
	sys.Loop.RunFor(10 * time.Second)
	assert.Zero(t, sys.Master.Counters().BatteryFramesRejected)
	assert.Zero(t, sys.Master.Counters().BatteryFramesIgnored)
}

func TestBuildRefusesBadBanks(t *testing.T) {
	for _, tt := range []struct {
		name             string
		series, parallel int
	}{{"no series", 0, 1}, {"no parallel", 1, 0}, {"too many", 8, 9}} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Series, cfg.Parallel = tt.series, tt.parallel
			_, err := Build(context.Background(), cfg)
			assert.Error(t, err)
		})
	}
}
