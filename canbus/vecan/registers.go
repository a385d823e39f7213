package vecan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lynxsim/lynxsim/firmware"
)

// Register ids (protocol.md §3.3; names from velib ve_regs.h, S3). The first group is the Lynx Ion
// BMS / MG Master LV list of S2 p.17-20; the others are the related registers of protocol.md §3.3
// and the two charger-link registers of canboat's VREG sample (protocol.md §3.1).
const (
	RegRequest Register = 0x0001 // VE_REG_REQ: {un16 requested : un16 mask} (protocol.md §3.2)
	RegAck     Register = 0x0002 // VE_REG_ACK: {un16 acknowledged : un16 code}

	RegBLEMode        Register = 0x0090 // VE_REG_BLE_MODE
	RegProductID      Register = 0x0100 // VE_REG_PRODUCT_ID
	RegAppVersion     Register = 0x0102 // VE_REG_APP_VER
	RegDeviceInstance Register = 0x0105 // VE_REG_DEVICE_INSTANCE
	RegSerialNumber   Register = 0x010A // VE_REG_SERIAL_NUMBER
	RegModelName      Register = 0x010B // VE_REG_MODEL_NAME
	RegDescription1   Register = 0x010C // VE_REG_DESCRIPTION1: the device name [I]
	RegUptime         Register = 0x0120 // VE_REG_UPTIME
	RegDeviceMode     Register = 0x0200 // VE_REG_DEVICE_MODE
	RegDeviceState    Register = 0x0201 // VE_REG_DEVICE_STATE

	RegHistDeepestDischarge Register = 0x0300 // VE_REG_HIST_DEEPEST_DISCHARGE
	RegHistCumulativeAh     Register = 0x0305 // VE_REG_HIST_CUMULATIVE_AH
	RegHistMinVoltage       Register = 0x0306 // VE_REG_HIST_MIN_VOLTAGE
	RegHistMaxVoltage       Register = 0x0307 // VE_REG_HIST_MAX_VOLTAGE
	RegHistNrOfAutoSyncs    Register = 0x0309 // VE_REG_HIST_NR_OF_AUTO_SYNCS
	RegHistKWhOut           Register = 0x0310 // VE_REG_HIST_KWH_OUT
	RegHistKWhIn            Register = 0x0311 // VE_REG_HIST_KWH_IN
	RegHistMaxTemperature   Register = 0x0312 // VE_REG_HIST_MAX_TEMPERATURE
	RegHistMinTemperature   Register = 0x0313 // VE_REG_HIST_MIN_TEMPERATURE
	RegRelayControl         Register = 0x034E // VE_REG_RELAY_CONTROL

	RegLynxIonFlags               Register = 0x0370 // VE_REG_LYNX_ION_FLAGS
	RegLynxIonState               Register = 0x0371 // VE_REG_LYNX_ION_BMS_STATE
	RegLynxIonErrorFlags          Register = 0x0372 // VE_REG_LYNX_ION_BMS_ERROR_FLAGS
	RegLynxIonSynchronize         Register = 0x0373 // VE_REG_LYNX_ION_BMS_SYNCHRONIZE
	RegLynxIonSyncGroup           Register = 0x0374 // VE_REG_LYNX_ION_BMS_SYNCHRONIZE_GROUP_NUMBER
	RegLynxIonStartupOnCharge     Register = 0x0375 // VE_REG_LYNX_ION_BMS_STARTUP_ON_CHARGE_DETECT
	RegLynxIonBatteryStrategy     Register = 0x0376 // VE_REG_LYNX_ION_BMS_BATTERY_STRATEGY
	RegLynxIonCombined            Register = 0x0377 // VE_REG_LYNX_ION_BMS_COMBINED
	RegLynxIonCombinedState       Register = 0x0378 // VE_REG_LYNX_ION_BMS_COMBINED_STATE
	RegLynxIonRestartRequest      Register = 0x0379 // VE_REG_LYNX_ION_BMS_RESTART_REQUEST
	RegLynxIonVoltage             Register = 0x037A // VE_REG_LYNX_ION_BMS_VOLTAGE
	RegBatteryConfiguration       Register = 0x0380 // VE_REG_BATTERY_CONFIGURATION
	RegBatteryCellVoltage         Register = 0x0381 // VE_REG_BATTERY_CELL_VOLTAGE
	RegHistCellVoltageMinMax      Register = 0x0384 // VE_REG_HIST_BATTERY_CELL_VOLTAGE_MIN_MAX
	RegMinMaxCellVoltage          Register = 0x0385 // VE_REG_BATTERY_MIN_MAX_CELL_VOLTAGE
	RegMinMaxCellTemperature      Register = 0x0386 // VE_REG_BATTERY_MIN_MAX_CELL_TEMPERATURE
	RegBatteryParallel            Register = 0x0387 // VE_REG_BATTERY_PARALLEL
	RegBatterySeries              Register = 0x0388 // VE_REG_BATTERY_SERIES
	RegChargeVoltageLimit         Register = 0x0390 // VE_REG_BATTERY_LIMIT_CHARGE_VOLTAGE (CVL)
	RegChargeCurrentLimit         Register = 0x0391 // VE_REG_BATTERY_LIMIT_CHARGE_CURRENT (CCL)
	RegDischargeVoltageLimit      Register = 0x0392 // VE_REG_BATTERY_LIMIT_DISCHARGE_VOLTAGE
	RegDischargeCurrentLimit      Register = 0x0393 // VE_REG_BATTERY_LIMIT_DISCHARGE_CURRENT (DCL)
	RegAllowedToChargeMinTemp     Register = 0x0394 // VE_REG_BATTERY_ALLOWED_TO_CHARGE_MIN_TEMP
	RegConsumedAh                 Register = 0x0FFC // VE_REG_CONSUMED_AH
	RegStartSynchronized          Register = 0x0FFD // VE_REG_START_SYNCHRONIZED
	RegTTG                        Register = 0x0FFE // VE_REG_TTG
	RegSOC                        Register = 0x0FFF // VE_REG_SOC
	RegBatteryCapacity            Register = 0x1000 // VE_REG_BATTERY_CAPACITY
	RegLinkVSet                   Register = 0x2001 // VE_REG_LINK_VSET
	RegLinkVSense                 Register = 0x2002 // VE_REG_LINK_VSENSE
	RegLinkChargeCurrentPercent   Register = 0x2014 // VE_REG_LINK_CHARGE_CURRENT_PERCENTAGE
	RegLinkChargeCurrentLimit     Register = 0x2015 // VE_REG_LINK_CHARGE_CURRENT_LIMIT
	RegLinkChargeVoltageSetpoint  Register = 0x2016 // VE_REG_LINK_CHARGE_VOLTAGE_SETPOINT
	RegLinkDischargeCurrentLimit  Register = 0x2017 // VE_REG_LINK_DISCHARGE_CURRENT_LIMIT
	RegLinkDischargeVoltageLimit  Register = 0x201B // VE_REG_LINK_DISCHARGE_VOLTAGE_LIMIT
	RegLinkExtraBatteryCurrent    Register = 0x201C // VE_REG_LINK_EXTRA_BATTERY_CURRENT
	RegBMSFlags                   Register = 0x2100 // VE_REG_BMS_FLAGS
	RegBMSError                   Register = 0x2101 // VE_REG_BMS_ERROR
	RegBMSState                   Register = 0x2102 // VE_REG_BMS_STATE
	RegBMSSettings                Register = 0x2103 // VE_REG_BMS_SETTINGS
	RegBMSWarningsAlarms          Register = 0x2107 // VE_REG_BMS_WARNINGS_ALARMS
	RegBMSIO                      Register = 0x2108 // VE_REG_BMS_IO
	RegBMSLastErrors              Register = 0x2110 // VE_REG_BMS_LAST_ERRORS
	RegBMSLastError1Time          Register = 0x2111 // VE_REG_BMS_LAST_ERROR1_TIME
	RegBMSLastError2Time          Register = 0x2112 // VE_REG_BMS_LAST_ERROR2_TIME
	RegBMSLastError3Time          Register = 0x2113 // VE_REG_BMS_LAST_ERROR3_TIME
	RegBMSLastError4Time          Register = 0x2114 // VE_REG_BMS_LAST_ERROR4_TIME
	RegDCChannel1Voltage          Register = 0xED8D // VE_REG_DC_CHANNEL1_VOLTAGE
	RegDCChannel1Current          Register = 0xED8F // VE_REG_DC_CHANNEL1_CURRENT
	RegBatTemperature             Register = 0xEDEC // VE_REG_BAT_TEMPERATURE
	RegLynxIonShutdownsDueToError Register = 0xEEFC // VE_REG_LYNX_ION_SHUTDOWNS_DUE_ERROR
	RegLynxIonLastError           Register = 0xEEFE // VE_REG_LYNX_ION_LAST_ERROR
	RegLynxIonConsumedAh          Register = 0xEEFF // VE_REG_LYNX_ION_CE
)

// Firmware versions of the changelog items that add a register or its write or on-change path
// (S19, changelog-items.tsv).
var (
	v108 = firmware.MustParse("1.08") // 1.08-02 Time To Go
	v109 = firmware.MustParse("1.09") // 1.09-07 SOC write, 1.09-08 relay, 1.09-09/10 charger link
	v111 = firmware.MustParse("1.11") // 1.11-02 parallel systems SOC synchronization settings
	v118 = firmware.MustParse("1.18") // 1.18-01 combined Lynx Ion BMS systems
	v123 = firmware.MustParse("1.23") // 1.23-07 settings on change; 1.23-09 Bluetooth
	v132 = firmware.MustParse("1.32") // 1.32-01 device name by NMEA2000
)

// Not-available values (protocol.md §3.3, S2 p.17-20, S3): all ones for unsigned, the largest
// positive for signed values.
const (
	naUn8  uint32 = 0xFF
	naUn16 uint32 = 0xFFFF
	naSn16 uint32 = 0x7FFF
	naUn32 uint32 = 0xFFFFFFFF
	naSn32 uint32 = 0x7FFFFFFF
)

// Source strings of the settings rows: S2 p.20 lists them as "Settings: This VREG's can be read
// and written", No/Yes, with "Read 0xFF = Not available (System is in error state)".
const (
	srcSetting = "S2 p.20 (setting, No/Yes, read 0xFF = n/a); S3"
	srcOther   = "protocol.md §3.3 other related (S3); S2 does not list it, so No/No [?]"
)

// registerTable holds every register of protocol.md §3.3, in id order. Writes are allowed for S2's
// settings and for the registers the changelog makes writable.
var registerTable = []RegisterInfo{
	{ID: RegBLEMode, Name: "VE_REG_BLE_MODE", Description: "Bluetooth enabled (0 disabled, 1 enabled)", Type: Un8,
		NotAvailable: naUn8, HasNotAvailable: true, OnChange: true, Writable: true, Min: 0, Max: 1,
		Since: v123, OnChangeSince: v123, Source: srcSetting + "; rev 7 of S2; changelog 1.23-09"},
	{ID: RegProductID, Name: "VE_REG_PRODUCT_ID", Description: "Product ID (0xA390 general … 0xA394 1000)", Type: ProductID,
		Source: "S2 p.17 (No/No); S3 un8 id : un16 product id : un8 flags"},
	{ID: RegAppVersion, Name: "VE_REG_APP_VER", Description: "Firmware version", Type: AppVersion,
		Source: "S2 p.17 (No/No), p.21 example; S3 un8 id : un24 0xHHMMLL"},
	{ID: RegDeviceInstance, Name: "VE_REG_DEVICE_INSTANCE", Description: "Device instance", Type: Un8,
		Source: "S2 p.17 (No/No; unimplemented in S2 v8)"},
	{ID: RegSerialNumber, Name: "VE_REG_SERIAL_NUMBER", Description: "Serial number", Type: String, MaxLength: 33,
		Source: "S2 p.17 (No/No; unimplemented in S2 v8); S3 stringZeroEnded[32] : un8 padding"},
	{ID: RegModelName, Name: "VE_REG_MODEL_NAME", Description: "Model name", Type: String, MaxLength: 65,
		Source: "S2 p.17 (No/No; unimplemented in S2 v8); S3 stringZeroEnded[64] : un8 padding"},
	// The changelog says the device name can be set "by NMEA2000" without naming the way; velib's
	// user-settable text is Description 1 (S3), so the emulator takes it as the name. [I]
	{ID: RegDescription1, Name: "VE_REG_DESCRIPTION1", Description: "Device name (Description 1)", Type: String, MaxLength: 65,
		Writable: true, Since: v132, WritableSince: v132,
		Source: "S3 stringZeroEnded[64] : un8 padding; changelog 1.32-01 [I]"},
	{ID: RegUptime, Name: "VE_REG_UPTIME", Description: "Uptime", Type: Un32, Scale: 1, Unit: "s", Source: srcOther},
	{ID: RegDeviceMode, Name: "VE_REG_DEVICE_MODE", Description: "Device mode", Type: Un8, Source: srcOther},
	{ID: RegDeviceState, Name: "VE_REG_DEVICE_STATE", Description: "Device state", Type: Un8, Source: srcOther},

	{ID: RegHistDeepestDischarge, Name: "VE_REG_HIST_DEEPEST_DISCHARGE", Description: "Deepest discharge", Type: Sn32, Scale: 0.1, Unit: "Ah",
		Source: "S2 p.19 (No/No)"},
	{ID: RegHistCumulativeAh, Name: "VE_REG_HIST_CUMULATIVE_AH", Description: "Cumulative Ah drawn from the battery", Type: Sn32, Scale: 0.1, Unit: "Ah",
		Source: "S2 p.19 (No/No)"},
	{ID: RegHistMinVoltage, Name: "VE_REG_HIST_MIN_VOLTAGE", Description: "Minimum battery voltage", Type: Sn32, Scale: 0.01, Unit: "V",
		Source: "S2 p.19 (No/No)"},
	{ID: RegHistMaxVoltage, Name: "VE_REG_HIST_MAX_VOLTAGE", Description: "Maximum battery voltage", Type: Sn32, Scale: 0.01, Unit: "V",
		Source: "S2 p.19 (No/No)"},
	{ID: RegHistNrOfAutoSyncs, Name: "VE_REG_HIST_NR_OF_AUTO_SYNCS", Description: "Number of automatic synchronizations", Type: Sn32,
		Source: "S2 p.19 (No/No)"},
	{ID: RegHistKWhOut, Name: "VE_REG_HIST_KWH_OUT", Description: "Discharged energy", Type: Un32, Scale: 0.01, Unit: "kWh",
		Source: "S2 p.19 (No/No)"},
	{ID: RegHistKWhIn, Name: "VE_REG_HIST_KWH_IN", Description: "Charged energy", Type: Un32, Scale: 0.01, Unit: "kWh",
		Source: "S2 p.19 (No/No)"},
	{ID: RegHistMaxTemperature, Name: "VE_REG_HIST_MAX_TEMPERATURE", Description: "Maximum temperature", Type: Un16, Scale: 0.01, Unit: "K",
		Source: "S2 p.19 (No/No)"},
	{ID: RegHistMinTemperature, Name: "VE_REG_HIST_MIN_TEMPERATURE", Description: "Minimum temperature", Type: Un16, Scale: 0.01, Unit: "K",
		Source: "S2 p.19 (No/No)"},
	{ID: RegRelayControl, Name: "VE_REG_RELAY_CONTROL", Description: "Programmable relay state (0 open, 1 closed)", Type: Un8,
		OnChange: true, Writable: true, Min: 0, Max: 1, WritableSince: v109,
		Source: "S2 p.19 (No/Yes); changelog 1.09-08"},

	{ID: RegLynxIonFlags, Name: "VE_REG_LYNX_ION_FLAGS", Description: "Lynx Ion flags (deprecated, bits 0-21 of 0x2100)", Type: Un32, Flags: true,
		Source: srcOther + "; S4"},
	{ID: RegLynxIonState, Name: "VE_REG_LYNX_ION_BMS_STATE", Description: "BMS state", Type: Un8, OnChange: true,
		Source: "S2 p.18 (No/Yes); protocol.md §4.3"},
	// A value, not a bit mask, despite the name (S3).
	{ID: RegLynxIonErrorFlags, Name: "VE_REG_LYNX_ION_BMS_ERROR_FLAGS", Description: "Lynx Ion BMS error (deprecated, see 0x2101)", Type: Un32,
		Source: srcOther},
	{ID: RegLynxIonSynchronize, Name: "VE_REG_LYNX_ION_BMS_SYNCHRONIZE", Description: "Synchronize group (internal)", Type: Un8,
		Since: v111, Source: srcOther + "; changelog 1.11-02 [I]"},
	{ID: RegLynxIonSyncGroup, Name: "VE_REG_LYNX_ION_BMS_SYNCHRONIZE_GROUP_NUMBER", Description: "Synchronize group number (0 disabled, 1-3)", Type: Un8,
		NotAvailable: naUn8, HasNotAvailable: true, OnChange: true, Writable: true, Min: 0, Max: 3,
		Since: v111, OnChangeSince: v123, Source: srcSetting + "; changelog 1.11-02, 1.23-07"},
	{ID: RegLynxIonStartupOnCharge, Name: "VE_REG_LYNX_ION_BMS_STARTUP_ON_CHARGE_DETECT", Description: "Start up when charger detected (0 disabled, 1 enabled)", Type: Un8,
		NotAvailable: naUn8, HasNotAvailable: true, OnChange: true, Writable: true, Min: 0, Max: 1,
		OnChangeSince: v123, Source: srcSetting + "; changelog 1.23-07"},
	{ID: RegLynxIonBatteryStrategy, Name: "VE_REG_LYNX_ION_BMS_BATTERY_STRATEGY", Description: "Battery strategy (0 default/economic, 1 performance)", Type: Un8,
		NotAvailable: naUn8, HasNotAvailable: true, OnChange: true, Writable: true, Min: 0, Max: 1,
		OnChangeSince: v123, Source: srcSetting + "; changelog 1.23-07, 1.24-04"},
	{ID: RegLynxIonCombined, Name: "VE_REG_LYNX_ION_BMS_COMBINED", Description: "Combined BMS (0 disabled, 1 enabled)", Type: Un8,
		NotAvailable: naUn8, HasNotAvailable: true, OnChange: true, Writable: true, Min: 0, Max: 1,
		Since: v118, OnChangeSince: v123, Source: srcSetting + "; changelog 1.18-01, 1.23-07"},
	// S3: "only broadcasted by the Lynx Ion BMS that is pre-charging or in running state"; the
	// timing is not documented, so the table leaves it to the master.
	{ID: RegLynxIonCombinedState, Name: "VE_REG_LYNX_ION_BMS_COMBINED_STATE", Description: "Combined state (1 pre-charging, 2 running)", Type: Un8,
		Since: v118, Source: srcOther + "; changelog 1.18-01"},
	{ID: RegLynxIonRestartRequest, Name: "VE_REG_LYNX_ION_BMS_RESTART_REQUEST", Description: "Re-start request (0 disabled, 1 enabled)", Type: Un8,
		NotAvailable: naUn8, HasNotAvailable: true, OnChange: true, Writable: true, Min: 0, Max: 1,
		OnChangeSince: v123, Source: srcSetting + "; changelog 1.23-07"},
	{ID: RegLynxIonVoltage, Name: "VE_REG_LYNX_ION_BMS_VOLTAGE", Description: "Combined control output voltage", Type: Un32, Scale: 0.01, Unit: "V",
		NotAvailable: naUn32, HasNotAvailable: true, Source: srcOther},
	{ID: RegBatteryConfiguration, Name: "VE_REG_BATTERY_CONFIGURATION", Description: "Batteries : cells per battery : parallel : series", Type: Un8x4,
		OnChange: true, Source: "S2 p.19 (No/Yes)"},
	{ID: RegBatteryCellVoltage, Name: "VE_REG_BATTERY_CELL_VOLTAGE", Description: "Battery m : cell n : voltage", Type: Un8x2Un16, Scale: 0.01, Unit: "V",
		Source: srcOther},
	{ID: RegHistCellVoltageMinMax, Name: "VE_REG_HIST_BATTERY_CELL_VOLTAGE_MIN_MAX", Description: "Historic minimum : maximum cell voltage", Type: Un16Pair, Scale: 0.01, Unit: "V",
		Source: "S2 p.20 (No/No)"},
	{ID: RegMinMaxCellVoltage, Name: "VE_REG_BATTERY_MIN_MAX_CELL_VOLTAGE", Description: "Minimum : maximum cell voltage", Type: Un16Pair, Scale: 0.01, Unit: "V",
		Periodic: true, Source: "S2 p.17 (Yes/No)"},
	{ID: RegMinMaxCellTemperature, Name: "VE_REG_BATTERY_MIN_MAX_CELL_TEMPERATURE", Description: "Minimum : maximum cell temperature", Type: Un16Pair, Scale: 0.01, Unit: "K",
		Periodic: true, Source: "S2 p.17 (Yes/No)"},
	{ID: RegBatteryParallel, Name: "VE_REG_BATTERY_PARALLEL", Description: "Number of batteries in parallel (0 auto, 1-96)", Type: Un8,
		NotAvailable: naUn8, HasNotAvailable: true, OnChange: true, Writable: true, Min: 0, Max: 96,
		OnChangeSince: v123, Source: srcSetting + "; changelog 1.23-07"},
	{ID: RegBatterySeries, Name: "VE_REG_BATTERY_SERIES", Description: "Number of batteries in series (0 auto, 1-96)", Type: Un8,
		NotAvailable: naUn8, HasNotAvailable: true, OnChange: true, Writable: true, Min: 0, Max: 96,
		OnChangeSince: v123, Source: srcSetting + "; changelog 1.23-07"},
	{ID: RegChargeVoltageLimit, Name: "VE_REG_BATTERY_LIMIT_CHARGE_VOLTAGE", Description: "Battery charge voltage (CVL)", Type: Un32, Scale: 0.01, Unit: "V",
		NotAvailable: naUn32, HasNotAvailable: true, Periodic: true, OnChange: true, Source: "S2 p.20 (Yes/Yes)"},
	{ID: RegChargeCurrentLimit, Name: "VE_REG_BATTERY_LIMIT_CHARGE_CURRENT", Description: "DC charge current limitation (CCL)", Type: Un32, Scale: 0.1, Unit: "A",
		NotAvailable: naUn32, HasNotAvailable: true, Periodic: true, OnChange: true, Source: "S2 p.20 (Yes/Yes)"},
	{ID: RegDischargeVoltageLimit, Name: "VE_REG_BATTERY_LIMIT_DISCHARGE_VOLTAGE", Description: "DC discharge voltage", Type: Un32, Scale: 0.01, Unit: "V",
		NotAvailable: naUn32, HasNotAvailable: true, Periodic: true, OnChange: true, Source: "S2 p.20 (Yes/Yes; names fixed in rev 7)"},
	{ID: RegDischargeCurrentLimit, Name: "VE_REG_BATTERY_LIMIT_DISCHARGE_CURRENT", Description: "Battery discharge current limitation (DCL)", Type: Un32, Scale: 0.1, Unit: "A",
		NotAvailable: naUn32, HasNotAvailable: true, Periodic: true, OnChange: true, Source: "S2 p.20 (Yes/Yes; names fixed in rev 7)"},
	{ID: RegAllowedToChargeMinTemp, Name: "VE_REG_BATTERY_ALLOWED_TO_CHARGE_MIN_TEMP", Description: "Allowed-to-charge minimum battery temperature", Type: Un16, Scale: 0.01, Unit: "K",
		Source: srcOther},
	{ID: RegConsumedAh, Name: "VE_REG_CONSUMED_AH", Description: "Consumed Ah", Type: Sn32, Scale: 0.1, Unit: "Ah", Source: srcOther},
	{ID: RegStartSynchronized, Name: "VE_REG_START_SYNCHRONIZED", Description: "Initial battery monitor state (0 unsynchronized, 1 synchronized)", Type: Un8,
		Source: srcOther},
	{ID: RegTTG, Name: "VE_REG_TTG", Description: "Time to go", Type: Un16, Scale: 1, Unit: "min",
		NotAvailable: naUn16, HasNotAvailable: true, Since: v108, Source: "S2 p.17 (No/No); changelog 1.08-02"},
	{ID: RegSOC, Name: "VE_REG_SOC", Description: "State of charge", Type: Un16, Scale: 0.01, Unit: "%",
		NotAvailable: naUn16, HasNotAvailable: true, Periodic: true, OnChange: true, Writable: true, Min: 0, Max: 100, WritableSince: v109,
		Source: "S2 p.17 (Yes/Yes); changelog 1.09-07"},
	{ID: RegBatteryCapacity, Name: "VE_REG_BATTERY_CAPACITY", Description: "Battery installed capacity", Type: Un16, Scale: 1, Unit: "Ah",
		OnChange: true, Source: "S2 p.19 (No/Yes)"},
	{ID: RegLinkVSet, Name: "VE_REG_LINK_VSET", Description: "Charger link voltage set-point", Type: Un16, Scale: 0.01, Unit: "V",
		NotAvailable: naUn16, HasNotAvailable: true, Source: srcOther},
	// Not a Lynx Ion register: a charger's link value, in the table because canboat's VREG
	// sample carries it (protocol.md §3.1) and tools decode it.
	{ID: RegLinkVSense, Name: "VE_REG_LINK_VSENSE", Description: "Charger link battery sense voltage", Type: Un16, Scale: 0.01, Unit: "V",
		NotAvailable: naUn16, HasNotAvailable: true, Source: "S3; S1 victron-61184-vreg.raw (protocol.md §3.1)"},
	// Writable as the brief reads 1.09-09/10. The items only say the BMS now sends a controlled
	// value instead of 0 or 100 %, so whether a write is accepted is [?]; the master's store may
	// refuse it. The range is S2's "valid range 0 till 100".
	{ID: RegLinkChargeCurrentPercent, Name: "VE_REG_LINK_CHARGE_CURRENT_PERCENTAGE", Description: "Charger link percentage", Type: Un8, Scale: 1, Unit: "%",
		NotAvailable: naUn8, HasNotAvailable: true, Periodic: true, OnChange: true, Writable: true, Min: 0, Max: 100, WritableSince: v109,
		Source: "S2 p.20 (Yes/Yes, valid 0..100); changelog 1.09-09 [?]"},
	{ID: RegLinkChargeCurrentLimit, Name: "VE_REG_LINK_CHARGE_CURRENT_LIMIT", Description: "Charger link current limit", Type: Un16, Scale: 0.1, Unit: "A",
		NotAvailable: naUn16, HasNotAvailable: true, Periodic: true, OnChange: true, Writable: true, WritableSince: v109,
		Source: "S2 p.20 (Yes/Yes); changelog 1.09-10 [?]"},
	{ID: RegLinkChargeVoltageSetpoint, Name: "VE_REG_LINK_CHARGE_VOLTAGE_SETPOINT", Description: "Charger link voltage set-point (deprecated, see 0x2001)", Type: Un16, Scale: 0.01, Unit: "V",
		NotAvailable: naUn16, HasNotAvailable: true, Source: srcOther},
	{ID: RegLinkDischargeCurrentLimit, Name: "VE_REG_LINK_DISCHARGE_CURRENT_LIMIT", Description: "Charger link discharge current limit", Type: Un16, Scale: 0.1, Unit: "A",
		NotAvailable: naUn16, HasNotAvailable: true, Source: srcOther},
	{ID: RegLinkDischargeVoltageLimit, Name: "VE_REG_LINK_DISCHARGE_VOLTAGE_LIMIT", Description: "Charger link discharge voltage limit", Type: Un16, Scale: 0.01, Unit: "V",
		NotAvailable: naUn16, HasNotAvailable: true, Source: srcOther},
	// Like 0x2002: a charger-link value from canboat's sample, not sent by the Lynx Ion BMS.
	{ID: RegLinkExtraBatteryCurrent, Name: "VE_REG_LINK_EXTRA_BATTERY_CURRENT", Description: "Charger link extra battery current", Type: Sn32, Scale: 0.001, Unit: "A",
		NotAvailable: naSn32, HasNotAvailable: true, Source: "S3; S1 victron-61184-vreg.raw (protocol.md §3.1)"},
	{ID: RegBMSFlags, Name: "VE_REG_BMS_FLAGS", Description: "Status flags", Type: Un32, Flags: true, OnChange: true,
		Source: "S2 p.18 (No/Yes); protocol.md §4.2"},
	{ID: RegBMSError, Name: "VE_REG_BMS_ERROR", Description: "BMS error", Type: Un8, OnChange: true,
		Source: "S2 p.18-19 (No/Yes); protocol.md §4.1"},
	{ID: RegBMSState, Name: "VE_REG_BMS_STATE", Description: "BMS state", Type: Un8, Source: srcOther},
	// Bit fields go out LSB first, padded to whole bytes (S7 reg_prod.c veRegPadding): 5 bits
	// make an un8, 12 and 14 bits an un16. [I]
	{ID: RegBMSSettings, Name: "VE_REG_BMS_SETTINGS", Description: "BMS settings bits", Type: Un8, Flags: true, Source: srcOther},
	{ID: RegBMSWarningsAlarms, Name: "VE_REG_BMS_WARNINGS_ALARMS", Description: "BMS warnings and alarms, 2-bit fields", Type: Un16, Flags: true, Source: srcOther},
	{ID: RegBMSIO, Name: "VE_REG_BMS_IO", Description: "BMS IO, 2-bit fields", Type: Un16, Flags: true, Source: srcOther},
	{ID: RegBMSLastErrors, Name: "VE_REG_BMS_LAST_ERRORS", Description: "Last error 1 (latest) … 4 (oldest)", Type: Un8x4, OnChange: true,
		Source: "S2 p.17 (No/Yes)"},
	{ID: RegBMSLastError1Time, Name: "VE_REG_BMS_LAST_ERROR1_TIME", Description: "UTC time of last error 1", Type: Un32, Scale: 1, Unit: "s",
		OnChange: true, Source: "S2 p.17 (No/Yes)"},
	{ID: RegBMSLastError2Time, Name: "VE_REG_BMS_LAST_ERROR2_TIME", Description: "UTC time of last error 2", Type: Un32, Scale: 1, Unit: "s",
		OnChange: true, Source: "S2 p.18 (No/Yes)"},
	{ID: RegBMSLastError3Time, Name: "VE_REG_BMS_LAST_ERROR3_TIME", Description: "UTC time of last error 3", Type: Un32, Scale: 1, Unit: "s",
		OnChange: true, Source: "S2 p.18 (No/Yes)"},
	{ID: RegBMSLastError4Time, Name: "VE_REG_BMS_LAST_ERROR4_TIME", Description: "UTC time of last error 4", Type: Un32, Scale: 1, Unit: "s",
		OnChange: true, Source: "S2 p.18 (No/Yes)"},
	{ID: RegDCChannel1Voltage, Name: "VE_REG_DC_CHANNEL1_VOLTAGE", Description: "Voltage", Type: Sn16, Scale: 0.01, Unit: "V",
		NotAvailable: naSn16, HasNotAvailable: true, Periodic: true, Source: "S2 p.17 (Yes/No)"},
	{ID: RegDCChannel1Current, Name: "VE_REG_DC_CHANNEL1_CURRENT", Description: "Current", Type: Sn16, Scale: 0.1, Unit: "A",
		NotAvailable: naSn16, HasNotAvailable: true, Periodic: true, Source: "S2 p.17 (Yes/No)"},
	{ID: RegBatTemperature, Name: "VE_REG_BAT_TEMPERATURE", Description: "Battery temperature", Type: Un16, Scale: 0.01, Unit: "K",
		NotAvailable: naUn16, HasNotAvailable: true, Source: srcOther},
	{ID: RegLynxIonShutdownsDueToError, Name: "VE_REG_LYNX_ION_SHUTDOWNS_DUE_ERROR", Description: "Shutdowns due to error (internal)", Type: Un16,
		Source: srcOther},
	{ID: RegLynxIonLastError, Name: "VE_REG_LYNX_ION_LAST_ERROR", Description: "Last errors (deprecated, see 0x2110)", Type: Un8x4, Source: srcOther},
	{ID: RegLynxIonConsumedAh, Name: "VE_REG_LYNX_ION_CE", Description: "Consumed Ah (deprecated, see 0x0FFC)", Type: Sn32, Scale: 0.1, Unit: "Ah",
		Source: "S2 p.17 (No/No); S3 (= VE_REG_BMV_CE)"},
}

// registerIndex finds a row of registerTable by id. Built once at initialisation.
var registerIndex = indexRegisters(registerTable)

func indexRegisters(table []RegisterInfo) map[Register]int {
	if err := checkTable(table); err != nil {
		panic(err) // the table is data in this file: TestRegisterTable names the row
	}
	m := make(map[Register]int, len(table))
	for i, r := range table {
		m[r.ID] = i
	}
	return m
}

// checkTable refuses rows that the codecs could not use: ids out of order or twice, a missing
// name, type or source, a String without a length, a write range outside the type.
func checkTable(table []RegisterInfo) error {
	for i, r := range table {
		switch {
		case i > 0 && table[i-1].ID >= r.ID:
			return fmt.Errorf("vecan: register table row %d (0x%04X) is not after 0x%04X", i, uint16(r.ID), uint16(table[i-1].ID))
		case r.Name == "" || r.Description == "" || r.Source == "":
			return fmt.Errorf("vecan: register 0x%04X lacks a name, description or source", uint16(r.ID))
		case r.Type == 0 || r.Type > String:
			return fmt.Errorf("vecan: register 0x%04X has no type", uint16(r.ID))
		case (r.Type == String) != (r.MaxLength > 0):
			return fmt.Errorf("vecan: register 0x%04X: a length belongs to String registers and to them only", uint16(r.ID))
		case r.Min > r.Max:
			return fmt.Errorf("vecan: register 0x%04X: Min above Max", uint16(r.ID))
		}
		if lo, hi := r.rawBounds(); r.Type.scalar() && lo > hi {
			return fmt.Errorf("vecan: register 0x%04X: no raw value lies in %g..%g", uint16(r.ID), r.Min, r.Max)
		}
	}
	return nil
}

// Registers returns the register table in id order. The slice is a copy.
func Registers() []RegisterInfo { return slices.Clone(registerTable) }

// LookupRegister finds a register of the table. It does not allocate.
func LookupRegister(id Register) (RegisterInfo, bool) {
	i, ok := registerIndex[id]
	if !ok {
		return RegisterInfo{}, false
	}
	return registerTable[i], true
}

// TableFor gives the register table as firmware v has it: registers added after v are absent,
// and writes and on-change broadcasts added after v are off. Give it to NewServer and
// NewPublisher. The lookup does not allocate.
func TableFor(v firmware.Version) func(Register) (RegisterInfo, bool) {
	has := func(since firmware.Version) bool { return since.IsZero() || v.AtLeast(since) }
	return func(id Register) (RegisterInfo, bool) {
		r, ok := LookupRegister(id)
		if !ok || !has(r.Since) {
			return RegisterInfo{}, false
		}
		r.Writable = r.Writable && has(r.WritableSince)
		r.OnChange = r.OnChange && has(r.OnChangeSince)
		return r, true
	}
}

// DefaultBroadcast lists the registers of table that are periodic or on change (S2 p.17-20
// "Per/Chg"), in id order: what the Lynx Ion BMS broadcasts unasked, for NewPublisher with the
// same table. String registers are never marked so.
func DefaultBroadcast(table func(Register) (RegisterInfo, bool)) []Register {
	var out []Register
	for _, r := range registerTable {
		if info, ok := table(r.ID); ok && (info.Periodic || info.OnChange) && info.Type != String {
			out = append(out, r.ID)
		}
	}
	return out
}

// FindRegister finds a register by id (0x0FFF, 4095), full name (VE_REG_SOC) or the end of its
// name after an underscore (SOC, soc), for people typing one. The error says what to give.
func FindRegister(s string) (RegisterInfo, error) {
	if v, err := strconv.ParseUint(s, 0, 16); err == nil {
		if info, ok := LookupRegister(Register(v)); ok {
			return info, nil
		}
		return RegisterInfo{}, fmt.Errorf("register %s is not in lynxsim's table (lynxsim decode lists the known ones by name)", s)
	}
	want := strings.ToUpper(s)
	var matches []RegisterInfo
	for _, r := range registerTable {
		if r.Name == want {
			return r, nil
		}
		if strings.HasSuffix(r.Name, "_"+want) {
			matches = append(matches, r)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return RegisterInfo{}, fmt.Errorf("register %q is unknown: give an id such as 0x0FFF or a name such as VE_REG_SOC", s)
	}
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = m.Name
	}
	return RegisterInfo{}, fmt.Errorf("register %q is ambiguous: %s", s, strings.Join(names, ", "))
}
