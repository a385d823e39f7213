package master

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/lynxsim/lynxsim/events"
)

// A slow NTC pre-charge that needs 40 s (changelog 1.11-03, 1.27-02): v1.10 gives up after its
// shorter limit, v1.26 at 30 s, v1.27 extends by 18 s because the voltage is still rising.
func TestPrechargeLimits(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    events.State
		failAt  time.Duration
	}{
		{"1.10", events.StateError, 10 * time.Second},
		{"1.26", events.StateError, 30 * time.Second},
		{"1.27", events.StateRunning, 0},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, nil)
			r.hw.riseVoltsPerStep = 26.4 / 4000 // 40 s from 0 to 26.4 V at 10 ms steps
			r.advance(step)
			r.registerAndReport(1)
			start := r.now
			r.advance(50 * time.Second)
			assert.Equal(t, tt.want, r.m.State())
			if tt.want == events.StateError {
				assert.Equal(t, events.ErrPreChargeTimeout, r.m.Error())
				assert.InDelta(t, tt.failAt.Seconds(), r.m.stateSince.Seconds()-start.Seconds(), 0.1)
			}
		})
	}
}

// Changelog 1.36-06: a broken pre-charge fuse is reported at once (#25 and "Broken fuse
// detected"); before, the pre-charge runs into its time-out (#35).
func TestBrokenPrechargeFuse(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    events.ErrorCode
		within  time.Duration
	}{
		{"1.35", events.ErrPreChargeTimeout, 31 * time.Second},
		{"1.36", events.ErrPreCharge, 3 * time.Second},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, nil)
			r.hw.fuseBroken = true
			r.advance(step)
			r.registerAndReport(1)
			r.advance(tt.within)
			assert.Equal(t, tt.want, r.m.Error())
		})
	}
}
