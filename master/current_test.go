package master

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
)

// A Lynx Ion BMS 150A discharging 200 A. Changelog 1.24-02: the over-current warning (bit 14)
// is against the master's supported current from v1.24 (before, against the DVCC limit, 560 A
// here). Changelog 1.35-06/07: from v1.35 the overload raises "Alarm high current" (bit 29), and
// lynxsim blocks charge and discharge while it lasts.
func TestOverCurrent(t *testing.T) {
	for _, tt := range []struct {
		version           string
		warning, overload bool
	}{
		{"1.23", false, false},
		{"1.24", true, false},
		{"1.35", true, true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, func(c *Config) { c.Model = vecan.Model150 })
			r.advance(step)
			r.registerAndReport(2)
			r.advance(time.Second)
			r.hw.shuntAmps = -200
			r.advance(15 * time.Second)
			s := r.m.Snapshot()
			assert.Equal(t, tt.warning, s.Flags.Has(events.FlagWarnDischargeCurrent))
			assert.Equal(t, tt.overload, s.Flags.Has(events.FlagAlarmHighCurrent))
			assert.Equal(t, tt.overload, s.Limits.DischargeAmps.Value == 0)
			r.hw.shuntAmps = -20
			r.advance(15 * time.Second)
			assert.False(t, r.m.Snapshot().Flags.Has(events.FlagAlarmHighCurrent), "cleared when the current is back")
		})
	}
}
