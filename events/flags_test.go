package events

import (
	"encoding/json"
	"testing"

	"github.com/lynxsim/lynxsim/firmware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlagCatalogue(t *testing.T) {
	// Rows of protocol.md §4.2: velib names S4, MG text S2 p.18, dbus paths S10.
	tests := []struct {
		flag     Flag
		bit      uint8
		name     string
		mgText   string
		dbusPath string
		since    string
	}{
		{FlagCharged, 0, "CHARGED", "Charged", "", ""},
		{FlagBalancing, 6, "BALANCE", "Balancing in progress", "/Balancing", ""},
		{FlagAlarmOverVoltage, 9, "ALRM_OVER_VOLTAGE", "", "/Alarms/HighVoltage", ""}, // S2: not implemented
		{FlagWarnOverVoltage, 10, "WARN_OVER_VOLTAGE", "Warning over voltage", "/Alarms/HighVoltage", ""},
		{FlagWarnUnderVoltage, 12, "WARN_UNDER_VOLTAGE", "Warning under voltage", "/Alarms/LowVoltage", ""},
		{FlagAlarmUnderTemperatureDischarge, 20, "ALRM_UNDR_TEMPARATURE_DCHRG", "", "", ""},
		{FlagAlarmHardwareFailure, 24, "ALRM_HARDWARE_FAILURE", "", "/Alarms/InternalFailure", ""},
		{FlagAllowedToCharge, 25, "ALLOWED_TO_CHARGE", "Allowed to charge", "/Io/AllowToCharge", ""},
		{FlagAllowedToDischarge, 26, "ALLOWED_TO_DISCHARGE", "Allowed to discharge", "/Io/AllowToDischarge", ""},
		{FlagWarnBadContactor, 28, "WARN_BAD_CONTACTOR", "", "/Alarms/Contactor", ""},
		{FlagAlarmHighCurrent, 29, "ALRM_HIGH_CURRENT", "", "/Alarms/HighCurrent", "v1.35"},      // changelog 1.35-07
		{FlagWarnCellImbalance, 30, "WARN_CELL_IMBALANCE", "", "/Alarms/CellImbalance", "v1.32"}, // changelog 1.32-06
		{FlagWarnServiceRequest, 31, "WARN_SERVICE_REQUEST", "", "", "v1.32"},
	}
	flags := Flags()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.bit, uint8(tt.flag))
			info := flags[tt.flag]
			assert.Equal(t, tt.flag, info.Bit)
			assert.Equal(t, tt.name, info.Name)
			assert.Equal(t, tt.name, tt.flag.String())
			assert.Equal(t, tt.mgText, info.MGText)
			assert.Equal(t, tt.dbusPath, info.DbusPath)
			if tt.since == "" {
				assert.True(t, info.Since.IsZero())
			} else {
				assert.Equal(t, tt.since, info.Since.String())
			}
		})
	}
}

func TestFlagsList(t *testing.T) {
	flags := Flags()
	require.Len(t, flags, 32) // un32, protocol.md §4.2
	names := map[string]bool{}
	for i, f := range flags {
		assert.Equal(t, Flag(i), f.Bit, "row %d", i)
		assert.NotEmpty(t, f.Name)
		assert.False(t, names[f.Name], "name %s appears once", f.Name)
		names[f.Name] = true
	}
	flags[0].Name = "changed"
	assert.Equal(t, "CHARGED", Flags()[0].Name, "Flags returns a copy")
	assert.Equal(t, "bit 32", Flag(32).String())
}

func TestFlagSetOps(t *testing.T) {
	var s FlagSet
	assert.False(t, s.Has(FlagCharging))
	s = s.With(FlagCharging).With(FlagAllowedToCharge)
	assert.Equal(t, FlagSet(1<<4|1<<25), s)
	assert.True(t, s.Has(FlagCharging))
	assert.True(t, s.Has(FlagAllowedToCharge))
	assert.False(t, s.Has(FlagAllowedToDischarge))

	assert.Equal(t, FlagSet(1<<25), s.Without(FlagCharging))
	assert.Equal(t, s, s.Without(FlagDischarging), "clearing a clear bit changes nothing")
	assert.Equal(t, s.With(FlagLowSOC), s.Set(FlagLowSOC, true))
	assert.Equal(t, s.Without(FlagCharging), s.Set(FlagCharging, false))
	assert.Equal(t, FlagSet(1<<31), FlagSet(0).With(FlagWarnServiceRequest), "the top bit")

	assert.Equal(t, s, s.With(32), "no bit 32 in an un32")
	assert.Equal(t, s, s.Without(200))
	assert.False(t, FlagSet(0xFFFFFFFF).Has(32))
}

func TestFlagSetString(t *testing.T) {
	tests := []struct {
		s    FlagSet
		want string
	}{
		{0, "0"},
		{FlagSet(0).With(FlagAllowedToCharge), "ALLOWED_TO_CHARGE"},
		{FlagSet(0).With(FlagAllowedToDischarge).With(FlagCharged), "CHARGED|ALLOWED_TO_DISCHARGE"},
		{FlagSet(1 << 31), "WARN_SERVICE_REQUEST"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.s.String())
	}
}

func TestFlagSetMask(t *testing.T) {
	all := FlagSet(0xFFFFFFFF)
	tests := []struct {
		version string
		want    FlagSet
	}{
		{"1.07", all &^ (1<<29 | 1<<30 | 1<<31)},
		{"1.31", all &^ (1<<29 | 1<<30 | 1<<31)}, // 30, 31 arrive in 1.32 (changelog 1.32-06), 29 in 1.35 (1.35-07)
		{"1.32", all &^ (1 << 29)},
		{"1.34", all &^ (1 << 29)},
		{"1.35", all},
		{"1.38", all},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			assert.Equal(t, tt.want, all.Mask(firmware.MustParse(tt.version)))
		})
	}
	low := FlagSet(0).With(FlagAllowedToCharge).With(FlagCharging)
	assert.Equal(t, low, low.Mask(firmware.MustParse("1.07")), "bits every version has are kept")
}

func TestFlagInfoJSON(t *testing.T) {
	flags := Flags()
	b, err := json.Marshal(flags[FlagAllowedToCharge])
	require.NoError(t, err)
	assert.JSONEq(t, `{"bit":25,"name":"ALLOWED_TO_CHARGE","mg_text":"Allowed to charge","dbus_path":"/Io/AllowToCharge"}`, string(b))

	b, err = json.Marshal(flags[FlagAlarmHighCurrent])
	require.NoError(t, err)
	assert.JSONEq(t, `{"bit":29,"name":"ALRM_HIGH_CURRENT","mg_text":"","dbus_path":"/Alarms/HighCurrent","since":"v1.35"}`, string(b))

	var back FlagInfo
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, flags[FlagAlarmHighCurrent], back)
}
