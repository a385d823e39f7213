package master

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/events"
)

// Changelog 1.25-05: while the cells still allow charging, SOC stops at 99.9 %; v1.24 counts on
// to 100 %. Both synchronise to 100 % when the cells reach the charge stop level while charging.
func TestSOCHeldBelowFullWhileChargingAllowed(t *testing.T) {
	for _, tt := range []struct {
		version   string
		want      float64
		wantSyncs uint32 // v1.24 is already at 100 %: nothing left to synchronise
	}{
		{"1.24", 100, 0},
		{"1.25", socHoldPercent, 1},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.m.socPct = 99
			r.hw.shuntAmps = 100 // 280 Ah: 1 % is 2.8 Ah, about 100 s at 100 A
			r.advance(5 * time.Minute)
			assert.InDelta(t, tt.want, r.m.Snapshot().SOCPercent, 1e-9)

			// The cells reach the stop level with current still flowing: full.
			r.report(1, 3400, 3530)
			r.advance(50 * time.Millisecond)
			assert.Equal(t, 100.0, r.m.Snapshot().SOCPercent)
			r.advance(cellAllowedDebounce) // allowed-to-charge drops after L7's 10 s (1.12-02)
			syncs, ok := r.m.Get(0x0309)
			require.True(t, ok)
			assert.Equal(t, tt.wantSyncs, syncs)
			assert.False(t, r.m.Snapshot().Flags.Has(events.FlagAllowedToCharge))
		})
	}
}

// Changelog 1.08-02 added time to go; 1.23-08 made it respond faster. The response is the time
// constant of the current average: after a step from 10 A to 100 A discharge, v1.23 reaches the
// new time to go much sooner than v1.22.
func TestTimeToGo(t *testing.T) {
	r := running(t, "1.07")
	r.hw.shuntAmps = -50
	r.advance(time.Minute)
	assert.Equal(t, time.Duration(-1), r.m.timeToGo(), "no time to go before v1.08")

	ttgAfter := func(version string) (before, after time.Duration) {
		r := running(t, version)
		r.hw.shuntAmps = -10
		r.advance(30 * time.Minute)
		before = r.m.timeToGo()
		r.hw.shuntAmps = -100
		r.advance(time.Minute)
		return before, r.m.timeToGo()
	}
	slowBefore, slowAfter := ttgAfter("1.22")
	fastBefore, fastAfter := ttgAfter("1.23")
	// At 10 A, ~140 Ah left: about 14 h either way.
	assert.InDelta(t, 14, slowBefore.Hours(), 1)
	assert.InDelta(t, 14, fastBefore.Hours(), 1)
	// One minute after the step to 100 A the fast filter is nearly there (1.4 h), the slow one
	// still far above it (τ 30 s against 5 min: 88 A against 26 A averaged).
	assert.Less(t, fastAfter.Hours(), 1.7)
	assert.Greater(t, slowAfter.Hours(), 3.0)

	r = running(t, "1.38")
	r.hw.shuntAmps = 20
	r.advance(time.Minute)
	assert.Equal(t, time.Duration(-1), r.m.timeToGo(), "charging: no time to go")
}
