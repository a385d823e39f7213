package master

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/events"
)

// beforeMidnight starts a rig on firmware v whose clock reads 23:58 UTC, running one battery at
// the given cell temperature.
func beforeMidnight(t *testing.T, v string, mutate func(*Config)) *rig {
	r := newRig(t, v, func(c *Config) {
		c.Epoch = time.Date(2026, 11, 22, 23, 58, 0, 0, time.UTC)
		if mutate != nil {
			mutate(c)
		}
	})
	r.minDeciC, r.maxDeciC = 100, 100
	r.advance(step)
	r.registerAndReport(1)
	r.advance(time.Second)
	require.Equal(t, events.StateRunning, r.m.State())
	return r
}

// Days change at UTC midnight, today first; the average temperature of the new day starts again
// from v1.11 ("Fixed average temperature today at daily summary", changelog 1.11-04), while v1.10
// carries the day before into it.
func TestDailyAverageTemperature_1_11_04(t *testing.T) {
	for _, tt := range []struct {
		version string
		check   func(t *testing.T, avg float64)
	}{
		{"1.10", func(t *testing.T, avg float64) { assert.Less(t, avg, 25.0, "yesterday's 10 °C still in it") }},
		{"1.11", func(t *testing.T, avg float64) { assert.InDelta(t, 30, avg, 1) }},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := beforeMidnight(t, tt.version, nil)
			r.advance(2 * time.Minute) // past midnight
			r.minDeciC, r.maxDeciC = 300, 300
			r.advance(2 * time.Minute)
			days := r.m.DailySummary()
			require.Len(t, days, 2)
			assert.Equal(t, "2026-11-23", days[0].Day)
			assert.Equal(t, "2026-11-22", days[1].Day)
			assert.InDelta(t, 10, days[1].AverageCelsius, 0.01)
			assert.InDelta(t, 10, days[1].MaxCelsius, 0.01)
			assert.InDelta(t, 30, days[0].MaxCelsius, 0.01)
			tt.check(t, days[0].AverageCelsius)
		})
	}
}

// Changelog 1.34-07 "Updated calculation for discharged energy today": v1.34 counts the energy
// discharged; v1.33 (lynxsim's assumption) the net energy out, which charging reduces.
func TestDischargedEnergyToday_1_34_07(t *testing.T) {
	const inKWh, outKWh = 26.4 * 10 * 60 / 3600 / 1000, 26.4 * 20 * 60 / 3600 / 1000
	for _, tt := range []struct {
		version string
		want    float64
	}{
		{"1.33", outKWh - inKWh},
		{"1.34", outKWh},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			before := r.m.DailySummary()[0]
			r.hw.shuntAmps = 10
			r.advance(time.Minute)
			r.hw.shuntAmps = -20
			r.advance(time.Minute)
			r.hw.shuntAmps = 0
			r.advance(step)
			today := r.m.DailySummary()[0]
			assert.InDelta(t, inKWh, today.ChargedKWh-before.ChargedKWh, 1e-4)
			assert.InDelta(t, tt.want, today.DischargedKWh-before.DischargedKWh, 1e-4)
		})
	}
}

// Changelog 1.15-05: the daily summary gains the highest charge and discharge current and the
// highest and lowest system voltage; 1.13-03: value tracking gains the highest and lowest current.
func TestDailyCurrentsAndTracking_1_15_05_1_13_03(t *testing.T) {
	for _, tt := range []struct {
		version           string
		summary, tracking bool
	}{
		{"1.12", false, false},
		{"1.13", false, true},
		{"1.15", true, true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.hw.shuntAmps = 42
			r.advance(time.Second)
			r.hw.shuntAmps = -17
			r.advance(time.Second)
			today := r.m.DailySummary()[0]
			track := r.m.Tracking()
			if tt.summary {
				assert.InDelta(t, 42, today.MaxChargeAmps, 1e-9)
				assert.InDelta(t, 17, today.MaxDischargeAmps, 1e-9)
				assert.InDelta(t, 26.4, today.MinVolts, 1e-9)
				assert.InDelta(t, 26.4, today.MaxVolts, 1e-9)
			} else {
				assert.True(t, math.IsNaN(today.MaxChargeAmps))
				assert.True(t, math.IsNaN(today.MinVolts))
			}
			if tt.tracking {
				assert.InDelta(t, 42, track.MaxAmps, 1e-9)
				assert.InDelta(t, -17, track.MinAmps, 1e-9)
			} else {
				assert.True(t, math.IsNaN(track.MaxAmps))
			}
		})
	}
}

// The summary and the tracking survive a power cycle; today goes on where it was.
func TestDailySummaryInMemory(t *testing.T) {
	dir := t.TempDir()
	r := beforeMidnight(t, "1.38", func(c *Config) { c.Memory = newMemory(t, dir) })
	r.hw.shuntAmps = 50
	r.advance(3 * time.Minute)
	r.hw.shuntAmps = 0
	r.m.Shutdown()
	r.advance(r.m.openDelay() + step)
	saved := r.m.DailySummary()
	require.Len(t, saved, 2)

	// Powered up again ten minutes later, still the same day: today goes on.
	r2 := newRig(t, "1.38", func(c *Config) {
		c.Epoch = time.Date(2026, 11, 23, 0, 10, 0, 0, time.UTC)
		c.Memory = newMemory(t, dir)
	})
	r2.advance(step)
	r2.registerAndReport(1)
	r2.advance(time.Second)
	got := r2.m.DailySummary()
	require.Len(t, got, 2)
	assert.Equal(t, saved[0].Day, got[0].Day)
	assert.Equal(t, saved[1].Day, got[1].Day)
	assert.InDelta(t, saved[0].ChargedKWh, got[0].ChargedKWh, 1e-9)
	assert.InDelta(t, saved[1].ChargedKWh, got[1].ChargedKWh, 1e-9)
	assert.InDelta(t, saved[0].AverageCelsius, got[0].AverageCelsius, 0.01)
	assert.InDelta(t, 50, r2.m.Tracking().MaxAmps, 1e-9)
}
