package master

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/events"
)

// Each bit of VE_REG_BMS_FLAGS the master drives is set by its cause and cleared when the cause is
// gone (protocol.md §4.2). Fail-safe alarms are cleared by the restart that leaves the error
// state.
func TestFlagsSetAndCleared(t *testing.T) {
	const wait = cellAllowedDebounce + 2*time.Second
	heat := func(lo, hi int16) func(r *rig) {
		return func(r *rig) { r.minDeciC, r.maxDeciC = lo, hi; r.report(1, r.minMillivolts, r.maxMillivolts) }
	}
	cells := func(lo, hi uint16) func(r *rig) { return func(r *rig) { r.report(1, lo, hi) } }
	amps := func(a float64) func(r *rig) { return func(r *rig) { r.hw.shuntAmps = a } }
	soc := func(p float64) func(r *rig) { return func(r *rig) { r.m.socPct = p } }
	normal := func(r *rig) {
		r.hw.shuntAmps, r.minDeciC, r.maxDeciC, r.terminalDeciC = 0, 250, 260, 0
		r.report(1, 3360, 3370) // above the 3.35 V at which allowed-to-discharge comes back
		r.m.socPct = 50
	}
	for _, tt := range []struct {
		flag     events.Flag
		version  string
		set      func(r *rig)
		after    time.Duration
		failSafe bool // cleared by Restart, not by the cause going away
	}{
		// Charged: synchronised to 100 % when the cells reach the stop level while charging.
		{events.FlagCharged, "1.38", func(r *rig) { r.m.socPct = 99; r.hw.shuntAmps = 20; r.report(1, 3400, 3530) }, time.Second, false},
		{events.FlagAlmostCharged, "1.38", soc(95), step * 2, false},
		{events.FlagDischarged, "1.38", cells(2790, 3300), wait, false},
		{events.FlagAlmostDischarged, "1.38", soc(8), step * 2, false},
		{events.FlagCharging, "1.38", amps(20), step * 2, false},
		{events.FlagDischarging, "1.38", amps(-20), step * 2, false},
		{events.FlagAlarmOverVoltage, "1.38", cells(3300, 3650), 21 * time.Second, true},
		{events.FlagWarnOverVoltage, "1.38", cells(3300, 3560), wait, false},
		{events.FlagAlarmUnderVoltage, "1.38", cells(2550, 3300), 21 * time.Second, true},
		{events.FlagWarnUnderVoltage, "1.38", cells(2880, 3300), wait, false},
		{events.FlagWarnChargeCurrent, "1.23", amps(150), 6 * time.Second, false}, // against the 140 A limit before 1.24-02
		{events.FlagWarnDischargeCurrent, "1.23", amps(-300), 6 * time.Second, false},
		{events.FlagAlarmOverTemperature, "1.38", heat(300, 610), 11 * time.Second, true},
		{events.FlagWarnOverTemperature, "1.38", heat(300, 510), 11 * time.Second, false},
		{events.FlagWarnUnderTemperatureCharge, "1.38", heat(20, 30), 11 * time.Second, false},
		{events.FlagAlarmUnderTemperatureCharge, "1.38", heat(-10, 0), 11 * time.Second, false},
		{events.FlagWarnUnderTemperatureDischarge, "1.38", heat(-160, -150), 11 * time.Second, false},
		{events.FlagAlarmUnderTemperatureDischarge, "1.38", heat(-210, -200), 11 * time.Second, false},
		{events.FlagLowSOC, "1.38", soc(15), step * 2, false},
		{events.FlagAlarmUnderTemperature, "1.38", heat(-260, -250), 11 * time.Second, true},
		{events.FlagAlarmHighCurrent, "1.38", amps(-1200), 11 * time.Second, false}, // discharge: no critical over-charge

		{events.FlagWarnCellImbalance, "1.38", cells(3200, 3350), time.Minute + time.Second, false},
	} {
		t.Run(tt.flag.String(), func(t *testing.T) {
			r := running(t, tt.version)
			normal(r)
			r.advance(wait)
			require.False(t, r.m.Snapshot().Flags.Has(tt.flag), "clear before")
			tt.set(r)
			r.advance(tt.after)
			require.True(t, r.m.Snapshot().Flags.Has(tt.flag), "set by its cause")
			normal(r)
			if tt.failSafe {
				r.advance(r.m.openDelay() + step)
				require.True(t, r.m.Restart())
				r.advance(r.m.cfg.RegistrationQuiet + step)
				r.announce(1, 1, 2, 8)
			}
			r.advance(time.Minute + wait)
			assert.False(t, r.m.Snapshot().Flags.Has(tt.flag), "cleared")
		})
	}
}
