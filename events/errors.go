package events

import (
	"fmt"

	"github.com/lynxsim/lynxsim/firmware"
)

// ErrorCode is a value of VE_REG_BMS_ERROR (0x2101, un8): the error that stopped the BMS.
// It is a value, not a bit mask (protocol.md §4.1).
type ErrorCode uint8

// The numbers are protocol.md §4.1 (S4/S5 ve_regs_payload.h, S2 p.18-19). The constant names
// follow lynxsim's Go style; ErrorInfo.Name gives velib's name.
const (
	ErrNone                    ErrorCode = 0
	ErrBatteryInit             ErrorCode = 1
	ErrNoBatteryFound          ErrorCode = 2
	ErrUnknownProduct          ErrorCode = 3
	ErrBatteryType             ErrorCode = 4
	ErrNumberOfBatteries       ErrorCode = 5
	ErrNoShuntFound            ErrorCode = 6
	ErrMeasure                 ErrorCode = 7
	ErrCalculate               ErrorCode = 8
	ErrBatteriesInSeries       ErrorCode = 9
	ErrBatteryNumber           ErrorCode = 10
	ErrHardwareFailure         ErrorCode = 11
	ErrWatchdog                ErrorCode = 12
	ErrOverVoltage             ErrorCode = 13
	ErrUnderVoltage            ErrorCode = 14
	ErrOverTemperature         ErrorCode = 15
	ErrUnderTemperature        ErrorCode = 16
	ErrIOExpander              ErrorCode = 17
	ErrUnderChargeStandby      ErrorCode = 18
	ErrContactorStartup        ErrorCode = 20
	ErrADCFailure              ErrorCode = 22
	ErrSlaveFailure            ErrorCode = 23
	ErrPreCharge               ErrorCode = 25
	ErrContactor               ErrorCode = 26
	ErrSlaveUpdate             ErrorCode = 28
	ErrSlaveUpdateUnavailable  ErrorCode = 29
	ErrCalibrationDataLostOld  ErrorCode = 30 // velib: deprecated, use 116
	ErrSettingsDataInvalidOld  ErrorCode = 31 // velib: deprecated, use 119
	ErrBMSCable                ErrorCode = 32
	ErrRefVoltageFailure       ErrorCode = 33
	ErrWrongSystemVoltage      ErrorCode = 34
	ErrPreChargeTimeout        ErrorCode = 35
	ErrATCATDFailure           ErrorCode = 36
	ErrInterlock               ErrorCode = 37
	ErrEmergencyStop           ErrorCode = 38
	ErrCommunicationTimeout    ErrorCode = 39
	ErrSafetyLock              ErrorCode = 40
	ErrTerminalOverTemperature ErrorCode = 41
	ErrCalibrationDataLost     ErrorCode = 116
	ErrSettingsDataInvalid     ErrorCode = 119
)

// ErrorInfo describes one error number.
type ErrorInfo struct {
	Code ErrorCode `json:"code"`
	// Name is velib's name without the VE_VDATA_BMS_ERROR_ prefix, e.g. "PRE_CHARGE".
	Name string `json:"name"`
	// Text is the Venus OS GUI text (S5 bms_error.cpp); "" where the GUI has none.
	Text string `json:"text"`
	// MGText is MG's wording (S2 p.18-19); "" where S2 says "Not implemented" or is silent.
	MGText string `json:"mg_text"`
	// Since is the first firmware version that reports the error and Until the first that no
	// longer does; the zero Version means unbounded.
	Since firmware.Version `json:"since,omitzero"`
	Until firmware.Version `json:"until,omitzero"`
}

// ExistsIn reports whether firmware v can report the error.
func (e ErrorInfo) ExistsIn(v firmware.Version) bool {
	return (e.Since.IsZero() || v.AtLeast(e.Since)) && (e.Until.IsZero() || v.Before(e.Until))
}

// errorTable is protocol.md §4.1 row by row: velib names (S4/S5), GUI texts (S5 bms_error.cpp),
// MG texts (S2 p.18-19). Versions come from the changelog items that added the errors.
var errorTable = []ErrorInfo{
	{Code: ErrNone, Name: "NONE", Text: "No error", MGText: "No error, system OK"},
	{Code: ErrBatteryInit, Name: "BATTERY_INIT", Text: "Battery initialization error"},
	{Code: ErrNoBatteryFound, Name: "NO_BATTERY_FOUND", Text: "No batteries connected", MGText: "No batteries found"},
	{Code: ErrUnknownProduct, Name: "UNKNOWN_PRODUCT", Text: "Unknown battery"},
	{Code: ErrBatteryType, Name: "BAT_TYPE", Text: "Different battery types", MGText: "Batteries connected are not the same type"},
	{Code: ErrNumberOfBatteries, Name: "NR_OF_BAT", Text: "No. of batteries incorrect", MGText: "Number of batteries connected incorrect"},
	{Code: ErrNoShuntFound, Name: "NO_SHUNT_FND", Text: "Lynx Shunt not found"},
	{Code: ErrMeasure, Name: "MEASURE", Text: "Battery measure error", MGText: "Measure error"},
	{Code: ErrCalculate, Name: "CALCULATE", Text: "Internal calculation error"},
	{Code: ErrBatteriesInSeries, Name: "BAT_NR_SER", Text: "No. of batteries in series incorrect"},
	{Code: ErrBatteryNumber, Name: "BAT_NR", Text: "No. of batteries incorrect"},
	{Code: ErrHardwareFailure, Name: "HARDWARE_FAILURE", Text: "Hardware error"},
	{Code: ErrWatchdog, Name: "WATCHDOG", Text: "Watchdog error", MGText: "Watchdog error"},
	{Code: ErrOverVoltage, Name: "OVER_VOLTAGE", Text: "Over voltage", MGText: "Over voltage detected"},
	{Code: ErrUnderVoltage, Name: "UNDER_VOLTAGE", Text: "Under voltage", MGText: "Under voltage detected"},
	{Code: ErrOverTemperature, Name: "OVER_TEMPERATURE", Text: "Over temperature", MGText: "Over temperature detected"},
	{Code: ErrUnderTemperature, Name: "UNDER_TEMPERATURE", Text: "Under temperature", MGText: "Under temperature detected"},
	{Code: ErrIOExpander, Name: "IO_EXPANDER", Text: "Hardware error"},
	{Code: ErrUnderChargeStandby, Name: "UNDER_CHARGE_STANDBY", Text: "Under-charge standby",
		MGText: "Battery protection automatic shutdown", Since: since("1.21-01")},
	{Code: 19, Name: "RESERVED_19"},
	{Code: ErrContactorStartup, Name: "CONTACTOR_STARTUP", Text: "Safety contactor error"},
	{Code: 21, Name: "RESERVED_21"},
	{Code: ErrADCFailure, Name: "ADC_FAILURE", Text: "ADC error"},
	{Code: ErrSlaveFailure, Name: "SLAVE_FAILURE", Text: "Battery comm. error", MGText: "BMS slave failure"},
	{Code: 24, Name: "RESERVED_24"},
	{Code: ErrPreCharge, Name: "PRE_CHARGE", Text: "Pre-Charge error", MGText: "Pre-charge failure"},
	{Code: ErrContactor, Name: "CONTACTOR", Text: "Safety contactor error", MGText: "Contactor failure"},
	{Code: 27, Name: "RESERVED_27", MGText: "Reserved"},
	{Code: ErrSlaveUpdate, Name: "SLAVE_UPDATE", Text: "Battery update error", MGText: "Slave update failure"},
	{Code: ErrSlaveUpdateUnavailable, Name: "SLAVE_UPDATE_UNAVAILABLE", Text: "Battery update error", MGText: "Slave update unavailable"},
	{Code: ErrCalibrationDataLostOld, Name: "CALIBRATION_DATA_LOST_OLD", Text: "Calibration data lost"},
	{Code: ErrSettingsDataInvalidOld, Name: "SETTINGS_DATA_INVALID_OLD", Text: "Settings invalid"},
	{Code: ErrBMSCable, Name: "BMS_CABLE", Text: "BMS cable error"},
	{Code: ErrRefVoltageFailure, Name: "REF_VOLTAGE_FAILURE", Text: "Reference voltage failure"},
	{Code: ErrWrongSystemVoltage, Name: "WRONG_SYSTEM_VOLTAGE", Text: "Wrong system voltage"},
	{Code: ErrPreChargeTimeout, Name: "PRE_CHARGE_TIMEOUT", Text: "Pre charge timeout"},
	{Code: ErrATCATDFailure, Name: "ATC_ATD_FAILURE", Text: "ATC/ATD failure"},
	{Code: ErrInterlock, Name: "INTERLOCK", Text: "Interlock", Since: since("1.32-05")},
	{Code: ErrEmergencyStop, Name: "EMERGENCY_STOP", Text: "Emergency stop", Since: since("1.32-05")},
	{Code: ErrCommunicationTimeout, Name: "COMMUNICATION_TIMEOUT", Text: "Communication timeout", Since: since("1.32-05")},
	{Code: ErrSafetyLock, Name: "SAFETY_LOCK", Text: "Safety lock", Since: since("1.32-05")},
	{Code: ErrTerminalOverTemperature, Name: "TERMINAL_OVER_TEMPERATURE", Text: "Terminal over temperature", Since: since("1.32-05")},
	{Code: ErrCalibrationDataLost, Name: "CALIBRATION_DATA_LOST", Text: "Calibration data lost"},
	{Code: ErrSettingsDataInvalid, Name: "SETTINGS_DATA_INVALID", Text: "Settings invalid"},
}

// since is the version of the changelog item that introduced a number, so that the version is
// written once, in changelog-items.tsv. An unknown id is a typo in this package's tables:
// TestCatalogueVersions and every other test of the package fail at initialisation.
func since(itemID string) firmware.Version {
	it, ok := firmware.LookupItem(itemID)
	if !ok {
		panic("events: changelog item " + itemID + " is not in firmware's changelog-items.tsv")
	}
	return it.Version
}

// Errors returns every defined error number in numeric order: 0 to 41 (with velib's reserved
// 19, 21, 24 and 27), then 116 and 119. The slice is a copy.
func Errors() []ErrorInfo { return append([]ErrorInfo(nil), errorTable...) }

// LookupError finds the description of c; ok is false when velib does not define c.
func LookupError(c ErrorCode) (ErrorInfo, bool) {
	for _, e := range errorTable {
		if e.Code == c {
			return e, true
		}
	}
	return ErrorInfo{}, false
}

// String renders the error as the Venus OS GUI does, "#25 Pre-Charge error" (S5
// BmsError::getDescription). Where the GUI has no text (the reserved numbers) it gives velib's
// name, "#19 RESERVED_19"; an undefined number gives "#77 unknown error".
func (c ErrorCode) String() string {
	e, ok := LookupError(c)
	switch {
	case !ok:
		return fmt.Sprintf("#%d unknown error", uint8(c))
	case e.Text == "":
		return fmt.Sprintf("#%d %s", uint8(c), e.Name)
	}
	return fmt.Sprintf("#%d %s", uint8(c), e.Text)
}
