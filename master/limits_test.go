package master

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/canbus/bmscan"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
)

// Changelog 1.15-04: HE charge rating 0.3 C before v1.15; then 0.6 C (Default/Economic) and
// 1.0 C (Performance). Changelog 1.23-06: a strategy change takes effect at once from v1.23, at
// the next start before. Changelog 1.24-04: "Default" is called "Economic" from v1.24.
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
		{"1.23", 99.4}, // 71 % of the 140 A rating: whole percent before v1.32 (1.32-04)
		{"1.32", 100},
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

// Changelog 1.32-04: low current limits in big systems. Sixteen 280 Ah batteries in parallel have
// a 2240 A charge rating; a 10 A maximum charge current came out as 0 A before v1.32 (whole
// percent of the rating, lynxsim's reading) and is 10 A from v1.32.
func TestLowLimitsInBigSystems_1_32_04(t *testing.T) {
	for _, tt := range []struct {
		version string
		ccl     float64
	}{
		{"1.31", 0},
		{"1.32", 10},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, func(c *Config) { c.MaxChargeAmps, c.MaxDischargeAmps = 10, 30 })
			r.advance(step)
			r.registerAndReport(16)
			r.advance(2 * time.Second)
			require.Equal(t, events.StateRunning, r.m.State())
			l := r.m.Snapshot().Limits
			assert.InDelta(t, tt.ccl, l.ChargeAmps.Value, 1e-9, l.ChargeAmps.Reason)
			if tt.version == "1.31" {
				assert.InDelta(t, 0, l.DischargeAmps.Value, 1e-9, "30 A of 4480 A is 0 %")
			} else {
				assert.InDelta(t, 30, l.DischargeAmps.Value, 1e-9)
			}
		})
	}
}

// Changelog 1.09-09 and 1.09-10: the charger link registers carry the controlled percentage and amps from
// v1.09; before, 0 or 100 % and, lynxsim assumes, the rated current or nothing.
func TestChargerLink_1_09_09_1_09_10(t *testing.T) {
	for _, tt := range []struct {
		version       string
		percent, amps float64
	}{
		{"1.08", 100, 140}, // allowed to charge: 100 % and the 140 A rating
		{"1.09", 40, 56},   // the derated 56 A, 40 % of the rating
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			// Derate: cold cells at 4 °C take the charge current to 40 % (10 °C band above 0 °C).
			r.minDeciC, r.maxDeciC = 40, 40
			r.report(1, 3300, 3310)
			r.advance(time.Second)
			l := r.m.Snapshot().Limits.ChargeAmps
			require.InDelta(t, 56, l.Value, 1e-9, l.Reason)
			p, a := r.m.chargerLink()
			assert.InDelta(t, tt.percent, p, 1e-9)
			assert.InDelta(t, tt.amps, a, 1e-9)
			raw, ok := r.m.Get(vecan.RegLinkChargeCurrentPercent)
			require.True(t, ok)
			assert.EqualValues(t, math.Round(tt.percent), raw)
			raw, ok = r.m.Get(vecan.RegLinkChargeCurrentLimit)
			require.True(t, ok)
			assert.EqualValues(t, math.Round(tt.amps*10), raw)
		})
	}
}

// Changelog 1.35-05: on the General (and SMA) protocol, the charge voltage sent for a 48 V bank of
// two HE batteries in series (14 × 4.20 V = 58.8 V) is capped at ExternalMaxSystemVolts from v1.35.
func TestExternalMaxSystemVoltage_1_35_05(t *testing.T) {
	for _, tt := range []struct {
		version string
		cvl     float64
	}{
		{"1.34", 58.8},
		{"1.35", 58.4},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, func(c *Config) { c.External, c.Series = ProtocolGeneral, 2 })
			r.hw.batteryVolts = 52.8 // two batteries in series (changelog 1.17-02 checks it)
			r.advance(step)
			r.announce(1, batbus.ChemistryNMC, 7, 7)
			r.announce(2, batbus.ChemistryNMC, 7, 7)
			r.advance(r.m.cfg.RegistrationQuiet + 50*time.Millisecond)
			r.report(2, 3700, 3710)
			r.advance(3 * time.Second)
			require.Equal(t, events.StateRunning, r.m.State())
			assert.InDelta(t, 58.8, r.m.Snapshot().Limits.ChargeVolts.Value, 1e-9, "the master's own limit is unchanged")
			var got []float64
			for _, f := range r.veFrames {
				if f.ID == bmscan.IDLimits {
					l, err := bmscan.ParseLimits(f)
					require.NoError(t, err)
					got = append(got, l.ChargeVoltage)
				}
			}
			require.NotEmpty(t, got)
			assert.InDelta(t, tt.cvl, got[len(got)-1], 1e-9)
		})
	}
}
