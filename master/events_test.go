package master

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/events"
)

// diagActive reports whether the protection row called name is active.
func (r *rig) diagActive(name string) bool {
	r.t.Helper()
	for i := range diagnoses {
		if diagnoses[i].name == name {
			return r.m.diag != nil && r.m.diag[i].active
		}
	}
	r.t.Fatalf("no protection row %q", name)
	return false
}

// Changelog 1.17-07: the cell temperature deviation warning, for HE from v1.17 and for LFP 24 V
// batteries only from v1.38 (1.38-09).
func TestCellTemperatureDeviation_1_17_07_1_38_09(t *testing.T) {
	for _, tt := range []struct {
		version string
		nmc     bool
		want    bool
	}{
		{"1.16", true, false},
		{"1.17", true, true},
		{"1.37", false, false},
		{"1.38", false, true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			var r *rig
			if tt.nmc {
				r = runningHE(t, tt.version, nil)
			} else {
				r = running(t, tt.version)
			}
			r.minDeciC, r.maxDeciC = 200, 260 // 6 °C apart
			r.advance(time.Minute + time.Second)
			assert.Equal(t, tt.want, r.diagActive("cell temperature deviation"))
			assert.Equal(t, events.StateRunning, r.m.State(), "a warning only")
		})
	}
}

// Changelog 1.22-02: from the terminal monitoring of v1.19 until v1.22, a battery without terminal
// temperature raised the service warning.
func TestServiceWarningWithoutTerminals_1_22_02(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    bool
	}{
		{"1.18", false},
		{"1.21", true},
		{"1.22", false},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.advance(11 * time.Second)
			assert.Equal(t, tt.want, r.diagActive("service warning (no terminal temperature)"))
			assert.Equal(t, tt.want, r.m.warningActive(), "the Warning relay function sees it")
		})
	}
}

// Changelog 1.23-04: new events from v1.23 — the system voltage outside the batteries' window,
// invalid measurements, a battery's current too high.
func TestNewEvents_1_23_04(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    bool
	}{
		{"1.22", false},
		{"1.23", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			t.Run("system voltage", func(t *testing.T) {
				r := running(t, tt.version)
				require.False(t, r.diagActive("system voltage outside the batteries' window"))
				r.hw.batteryVolts = 29 // the battery says 26.4 V: 10 % off
				r.advance(11 * time.Second)
				assert.Equal(t, tt.want, r.diagActive("system voltage outside the batteries' window"))
			})
			t.Run("invalid measurements", func(t *testing.T) {
				r := running(t, tt.version)
				require.NoError(t, r.bat.Send(batbus.Extremes{Address: 1, MinMillivolts: 3000, MaxMillivolts: 65000}.Frame()))
				r.advance(2 * step)
				assert.Equal(t, tt.want, r.diagActive("invalid measurements"))
				r.advance(time.Minute + time.Second)
				assert.False(t, r.diagActive("invalid measurements"), "cleared a minute after the last")
			})
			t.Run("battery current", func(t *testing.T) {
				r := running(t, tt.version)
				r.statusDeciamps = -3500 // 350 A out of a 280 Ah battery: 1.25C
				r.advance(6 * time.Second)
				assert.Equal(t, tt.want, r.diagActive("battery current too high"))
			})
		})
	}
}

// Changelog 1.17-02: from v1.17 the measured system voltage must fit the configured series. One
// 26.4 V battery-pair set up as two in series is #9 on v1.17; v1.16 runs with it.
func TestSeriesCheckAgainstVoltage_1_17_02(t *testing.T) {
	for _, tt := range []struct {
		version string
		state   events.State
		err     events.ErrorCode
	}{
		{"1.16", events.StateRunning, events.ErrNone},
		{"1.17", events.StateError, events.ErrBatteriesInSeries},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, func(c *Config) { c.Series = 2 })
			r.advance(step)
			r.announce(1, batbus.ChemistryLFP, 2, 8)
			r.announce(2, batbus.ChemistryLFP, 2, 8)
			r.advance(r.m.cfg.RegistrationQuiet + 50*time.Millisecond)
			r.report(2, 3300, 3310)
			r.advance(3 * time.Second)
			assert.Equal(t, tt.state, r.m.State())
			assert.Equal(t, tt.err, r.m.Error())
		})
	}
}

// Changelog 1.30-01: the LFP discharged level moved up (LFPDischargedVolts, 2.85 V): a lowest
// cell of 2.82 V still allows discharge on v1.29 and not on v1.30.
func TestLFPDischargedLevel_1_30_01(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    bool
	}{
		{"1.29", true},
		{"1.30", false},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.report(1, 2820, 3300)
			r.advance(cellAllowedDebounce + time.Second)
			assert.Equal(t, tt.want, r.m.Snapshot().Flags.Has(events.FlagAllowedToDischarge))
		})
	}
}
