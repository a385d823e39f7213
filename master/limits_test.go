package master

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Changelog 1.15-04: HE charge rating 0.3 C before v1.15; then 0.6 C (Default/Economic) and
// 1.0 C (Performance). Changelog 1.23-06: a strategy change takes effect at once from v1.23, at
// the next start before.
func TestHEChargeRating(t *testing.T) {
	for _, tt := range []struct {
		version        string
		economic, perf float64
		reason         string
	}{
		{"1.14", 0.3, 0.3, "HE charge rating 0.3C"},
		{"1.15", 0.6, 0.6, "HE charge rating 0.6C (Default)"}, // the change waits for a restart
		{"1.23", 0.6, 1.0, "HE charge rating 0.6C (Default)"},
		{"1.24", 0.6, 1.0, "HE charge rating 0.6C (Economic)"}, // renamed, changelog 1.24-04
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := runningHE(t, tt.version, nil)
			l := r.m.Snapshot().Limits.ChargeAmps
			assert.InDelta(t, 280*tt.economic, l.Value, 1e-9)
			assert.Equal(t, tt.reason, l.Reason)
			r.m.Set(r.now, 0x0376, strategyPerformance)
			r.advance(step)
			assert.InDelta(t, 280*tt.perf, r.m.Snapshot().Limits.ChargeAmps.Value, 1e-9)
		})
	}
}

// Changelog 1.25-11: the temperature taken in 1 °C steps from v1.25, 2 °C before: at 55.5 °C the
// charge current is derated from 55 °C (1 °C steps) or 54 °C (2 °C steps) towards the 60 °C
// alarm of LFP, over a 10 °C band.
func TestTemperatureDeratingSteps(t *testing.T) {
	for _, tt := range []struct {
		version string
		factor  float64
	}{
		{"1.24", 0.6},
		{"1.25", 0.5},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.minDeciC, r.maxDeciC = 250, 555
			r.report(1, 3300, 3310)
			r.advance(step * 2)
			l := r.m.Snapshot().Limits.ChargeAmps
			assert.InDelta(t, 280*0.5*tt.factor, l.Value, 1e-9)
			assert.Equal(t, "temperature derating (hot)", l.Reason)
		})
	}
}

// Changelog 1.19-01: from v1.19 a positive terminal between 64 and 69 °C lowers charge and
// discharge current, to half at 66.5 °C.
func TestTerminalDerating(t *testing.T) {
	for _, tt := range []struct {
		version string
		factor  float64
	}{
		{"1.18", 1},
		{"1.19", 0.5},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := runningHE(t, tt.version, nil)
			r.terminalDeciC = 665
			r.report(1, 3700, 3710)
			r.advance(step * 2)
			s := r.m.Snapshot()
			assert.InDelta(t, 280*1.0*tt.factor, s.Limits.DischargeAmps.Value, 1e-9)
		})
	}
}

// Changelog 1.23-02: the user's maximum charge and discharge currents cap the DVCC limits from v1.23.
func TestMaxCurrentSettings(t *testing.T) {
	for _, tt := range []struct {
		version string
		ccl     float64
	}{
		{"1.22", 140},
		{"1.23", 100},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, func(c *Config) { c.MaxChargeAmps = 100 })
			r.advance(step)
			r.registerAndReport(1)
			r.advance(time.Second)
			assert.InDelta(t, tt.ccl, r.m.Snapshot().Limits.ChargeAmps.Value, 1e-9)
		})
	}
}
