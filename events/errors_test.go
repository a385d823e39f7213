package events

import (
	"encoding/json"
	"testing"

	"github.com/lynxsim/lynxsim/firmware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorCatalogue(t *testing.T) {
	// Rows of protocol.md §4.1: GUI text from S5 bms_error.cpp, MG text from S2 p.18-19.
	tests := []struct {
		code   ErrorCode
		num    uint8
		name   string
		text   string
		mgText string
	}{
		{ErrNone, 0, "NONE", "No error", "No error, system OK"},
		{ErrBatteryInit, 1, "BATTERY_INIT", "Battery initialization error", ""}, // S2: not implemented
		{ErrBatteryType, 4, "BAT_TYPE", "Different battery types", "Batteries connected are not the same type"},
		{ErrUnderChargeStandby, 18, "UNDER_CHARGE_STANDBY", "Under-charge standby", "Battery protection automatic shutdown"},
		{19, 19, "RESERVED_19", "", ""},
		{ErrSlaveFailure, 23, "SLAVE_FAILURE", "Battery comm. error", "BMS slave failure"},
		{ErrPreCharge, 25, "PRE_CHARGE", "Pre-Charge error", "Pre-charge failure"},
		{ErrContactor, 26, "CONTACTOR", "Safety contactor error", "Contactor failure"},
		{27, 27, "RESERVED_27", "", "Reserved"},
		{ErrSlaveUpdateUnavailable, 29, "SLAVE_UPDATE_UNAVAILABLE", "Battery update error", "Slave update unavailable"},
		{ErrBMSCable, 32, "BMS_CABLE", "BMS cable error", ""}, // S2 (firmware 1.24) ends at 29
		{ErrInterlock, 37, "INTERLOCK", "Interlock", ""},
		{ErrSafetyLock, 40, "SAFETY_LOCK", "Safety lock", ""},
		{ErrTerminalOverTemperature, 41, "TERMINAL_OVER_TEMPERATURE", "Terminal over temperature", ""},
		{ErrCalibrationDataLost, 116, "CALIBRATION_DATA_LOST", "Calibration data lost", ""},
		{ErrSettingsDataInvalid, 119, "SETTINGS_DATA_INVALID", "Settings invalid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.num, uint8(tt.code))
			info, ok := LookupError(tt.code)
			require.True(t, ok)
			assert.Equal(t, tt.code, info.Code)
			assert.Equal(t, tt.name, info.Name)
			assert.Equal(t, tt.text, info.Text)
			assert.Equal(t, tt.mgText, info.MGText)
		})
	}
}

func TestErrorsList(t *testing.T) {
	all := Errors()
	var codes []ErrorCode
	names := map[string]bool{}
	for _, e := range all {
		codes = append(codes, e.Code)
		assert.False(t, names[e.Name], "name %s appears once", e.Name)
		names[e.Name] = true
	}
	want := make([]ErrorCode, 0, 44)
	for c := ErrorCode(0); c <= 41; c++ { // protocol.md §4.1: every number 0..41 is defined
		want = append(want, c)
	}
	want = append(want, 116, 119) // protocol.md §4.1, S4: the non-volatile data errors
	assert.Equal(t, want, codes)

	all[0].Name = "changed"
	assert.Equal(t, "NONE", Errors()[0].Name, "Errors returns a copy")

	for _, c := range []ErrorCode{42, 100, 101, 201, 255} { // 101-113 and 201-224 belong to the Lynx Smart BMS
		_, ok := LookupError(c)
		assert.False(t, ok, "#%d", c)
	}
}

func TestErrorCodeString(t *testing.T) {
	tests := []struct {
		code ErrorCode
		want string
	}{
		{ErrPreCharge, "#25 Pre-Charge error"}, // S5 BmsError::getDescription: "#" + number + " " + text
		{ErrNone, "#0 No error"},
		{ErrInterlock, "#37 Interlock"},
		{21, "#21 RESERVED_21"},
		{77, "#77 unknown error"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.code.String())
	}
}

// TestCatalogueVersions checks the version ranges the tables take from changelog items.
func TestCatalogueVersions(t *testing.T) {
	tests := []struct {
		code    ErrorCode
		version string
		exists  bool
	}{
		{ErrInterlock, "1.31", false}, // changelog 1.32-05 adds 37-41
		{ErrInterlock, "1.32", true},
		{ErrTerminalOverTemperature, "1.31", false},
		{ErrTerminalOverTemperature, "1.38", true},
		{ErrUnderChargeStandby, "1.20", false}, // changelog 1.21-01 adds 18
		{ErrUnderChargeStandby, "1.21", true},
		{ErrPreCharge, "1.07", true}, // unbounded
		{ErrPreCharge, "1.38", true},
	}
	for _, tt := range tests {
		t.Run(tt.code.String()+"@"+tt.version, func(t *testing.T) {
			info, ok := LookupError(tt.code)
			require.True(t, ok)
			assert.Equal(t, tt.exists, info.ExistsIn(firmware.MustParse(tt.version)))
		})
	}
}

func TestErrorInfoExistsInUntil(t *testing.T) {
	// No error of the catalogue is withdrawn yet; Until is exclusive when one is.
	e := ErrorInfo{Since: firmware.Version{Major: 1, Minor: 10}, Until: firmware.Version{Major: 1, Minor: 20}}
	assert.False(t, e.ExistsIn(firmware.Version{Major: 1, Minor: 9}))
	assert.True(t, e.ExistsIn(firmware.Version{Major: 1, Minor: 10}))
	assert.True(t, e.ExistsIn(firmware.Version{Major: 1, Minor: 19}))
	assert.False(t, e.ExistsIn(firmware.Version{Major: 1, Minor: 20}))
}

func TestErrorInfoJSON(t *testing.T) {
	info, ok := LookupError(ErrInterlock)
	require.True(t, ok)
	b, err := json.Marshal(info)
	require.NoError(t, err)
	assert.JSONEq(t, `{"code":37,"name":"INTERLOCK","text":"Interlock","mg_text":"","since":"v1.32"}`, string(b))

	var back ErrorInfo
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, info, back)

	info, _ = LookupError(ErrPreCharge)
	b, err = json.Marshal(info)
	require.NoError(t, err)
	assert.JSONEq(t, `{"code":25,"name":"PRE_CHARGE","text":"Pre-Charge error","mg_text":"Pre-charge failure"}`, string(b),
		"unbounded versions are omitted")
}
