package events

import (
	"fmt"
	"strings"

	"github.com/lynxsim/lynxsim/firmware"
)

// Flag is a bit number of VE_REG_BMS_FLAGS (0x2100, un32). Bits 0-21 equal those of the older
// VE_REG_LYNX_ION_FLAGS (0x0370) (protocol.md §4.2, S4).
type Flag uint8

// The bit numbers are protocol.md §4.2 (S4 regs_payload.h VE_REG_BMS_FLG_*, S2 p.18, changelog
// 1.32-06 and 1.35-07 for bits 29-31).
const (
	FlagCharged                        Flag = 0
	FlagAlmostCharged                  Flag = 1
	FlagDischarged                     Flag = 2
	FlagAlmostDischarged               Flag = 3
	FlagCharging                       Flag = 4
	FlagDischarging                    Flag = 5
	FlagBalancing                      Flag = 6
	FlagRelayDischarge                 Flag = 7
	FlagRelayCharge                    Flag = 8
	FlagAlarmOverVoltage               Flag = 9
	FlagWarnOverVoltage                Flag = 10
	FlagAlarmUnderVoltage              Flag = 11
	FlagWarnUnderVoltage               Flag = 12
	FlagWarnChargeCurrent              Flag = 13
	FlagWarnDischargeCurrent           Flag = 14
	FlagAlarmOverTemperature           Flag = 15
	FlagWarnOverTemperature            Flag = 16
	FlagWarnUnderTemperatureCharge     Flag = 17
	FlagAlarmUnderTemperatureCharge    Flag = 18
	FlagWarnUnderTemperatureDischarge  Flag = 19
	FlagAlarmUnderTemperatureDischarge Flag = 20
	FlagLowSOC                         Flag = 21
	FlagAlarmUnderTemperature          Flag = 22
	FlagAlarmShortCircuit              Flag = 23
	FlagAlarmHardwareFailure           Flag = 24
	FlagAllowedToCharge                Flag = 25
	FlagAllowedToDischarge             Flag = 26
	FlagPreAlarm                       Flag = 27
	FlagWarnBadContactor               Flag = 28
	FlagAlarmHighCurrent               Flag = 29
	FlagWarnCellImbalance              Flag = 30
	FlagWarnServiceRequest             Flag = 31
)

// flagBits is the width of VE_REG_BMS_FLAGS: un32 (protocol.md §3.3, S3).
const flagBits = 32

// FlagInfo describes one bit.
type FlagInfo struct {
	Bit Flag `json:"bit"`
	// Name is velib's name without the VE_REG_BMS_FLG_ prefix, e.g. "ALLOWED_TO_CHARGE".
	// velib defines no name for bits 30 and 31; lynxsim names them in velib's style.
	Name string `json:"name"`
	// MGText is MG's wording (S2 p.18); "" where S2 says "Not implemented" or is silent.
	MGText string `json:"mg_text"`
	// DbusPath is the Venus OS path the bit feeds under the S10 convention (alarm and warning
	// pairs onto one /Alarms path, the IO bits onto /Io); "" where no source maps it.
	DbusPath string `json:"dbus_path"`
	// Since is the first firmware version that sets the bit; zero means every version.
	Since firmware.Version `json:"since,omitzero"`
}

// flagTable is protocol.md §4.2 row by row, one row per bit in bit order.
var flagTable = [flagBits]FlagInfo{
	{Bit: FlagCharged, Name: "CHARGED", MGText: "Charged"},
	{Bit: FlagAlmostCharged, Name: "ALMOST_CHARGED", MGText: "Almost charged"},
	{Bit: FlagDischarged, Name: "DISCHARGED", MGText: "Discharged"},
	{Bit: FlagAlmostDischarged, Name: "ALMOST_DISCHARGED", MGText: "Almost discharged"},
	{Bit: FlagCharging, Name: "CHARGING", MGText: "Charging"},
	{Bit: FlagDischarging, Name: "DISCHARGING", MGText: "Discharging"},
	// 0x2100 keeps the old name BALANCE; 0x0370 renamed it BALANCING (S4).
	{Bit: FlagBalancing, Name: "BALANCE", MGText: "Balancing in progress", DbusPath: "/Balancing"},
	// S2 prints the same text for bits 7 and 8.
	{Bit: FlagRelayDischarge, Name: "RELAY_DISCHARGED", MGText: "Main safety contactor closed"},
	{Bit: FlagRelayCharge, Name: "RELAY_CHARGED", MGText: "Main safety contactor closed"},
	{Bit: FlagAlarmOverVoltage, Name: "ALRM_OVER_VOLTAGE", DbusPath: "/Alarms/HighVoltage"},
	{Bit: FlagWarnOverVoltage, Name: "WARN_OVER_VOLTAGE", MGText: "Warning over voltage", DbusPath: "/Alarms/HighVoltage"},
	{Bit: FlagAlarmUnderVoltage, Name: "ALRM_UNDER_VOLTAGE", DbusPath: "/Alarms/LowVoltage"},
	{Bit: FlagWarnUnderVoltage, Name: "WARN_UNDER_VOLTAGE", MGText: "Warning under voltage", DbusPath: "/Alarms/LowVoltage"},
	{Bit: FlagWarnChargeCurrent, Name: "WARN_CHARGE_CURRENT", MGText: "Warning high charge current"},
	{Bit: FlagWarnDischargeCurrent, Name: "WARN_DISCHARGE_CURRENT", MGText: "Warning high discharge current"},
	{Bit: FlagAlarmOverTemperature, Name: "ALRM_OVER_TEMPERATURE", DbusPath: "/Alarms/HighTemperature"},
	{Bit: FlagWarnOverTemperature, Name: "WARN_OVER_TEMPERATURE", MGText: "Warning over temperature", DbusPath: "/Alarms/HighTemperature"},
	{Bit: FlagWarnUnderTemperatureCharge, Name: "WARN_UNDR_TEMPERATURE_CHRG", MGText: "Warning under temperature charge"},
	{Bit: FlagAlarmUnderTemperatureCharge, Name: "ALRM_UNDR_TEMPERATURE_CHRG"},
	{Bit: FlagWarnUnderTemperatureDischarge, Name: "WARN_UNDR_TEMPERATURE_DCHRG", MGText: "Warning under temperature discharge"},
	{Bit: FlagAlarmUnderTemperatureDischarge, Name: "ALRM_UNDR_TEMPARATURE_DCHRG"}, // sic: velib's spelling
	{Bit: FlagLowSOC, Name: "LOW_SOC", MGText: "Low SOC (< 20%)"},
	{Bit: FlagAlarmUnderTemperature, Name: "ALRM_UNDR_TEMPERATURE", DbusPath: "/Alarms/LowTemperature"},
	{Bit: FlagAlarmShortCircuit, Name: "ALRM_SHORT_CIRCUIT"},
	{Bit: FlagAlarmHardwareFailure, Name: "ALRM_HARDWARE_FAILURE", DbusPath: "/Alarms/InternalFailure"},
	{Bit: FlagAllowedToCharge, Name: "ALLOWED_TO_CHARGE", MGText: "Allowed to charge", DbusPath: "/Io/AllowToCharge"},
	{Bit: FlagAllowedToDischarge, Name: "ALLOWED_TO_DISCHARGE", MGText: "Allowed to discharge", DbusPath: "/Io/AllowToDischarge"},
	{Bit: FlagPreAlarm, Name: "PRE_ALARM"},
	{Bit: FlagWarnBadContactor, Name: "WARN_BAD_CONTACTOR", DbusPath: "/Alarms/Contactor"},
	{Bit: FlagAlarmHighCurrent, Name: "ALRM_HIGH_CURRENT", DbusPath: "/Alarms/HighCurrent", Since: since("1.35-07")},
	{Bit: FlagWarnCellImbalance, Name: "WARN_CELL_IMBALANCE", DbusPath: "/Alarms/CellImbalance", Since: since("1.32-06")},
	// No Victron decoder maps bit 31 (protocol.md §4.2 [?]).
	{Bit: FlagWarnServiceRequest, Name: "WARN_SERVICE_REQUEST", Since: since("1.32-06")},
}

// Flags returns the 32 bits of VE_REG_BMS_FLAGS in bit order. The slice is a copy.
func Flags() []FlagInfo { return append([]FlagInfo(nil), flagTable[:]...) }

// String gives velib's name, e.g. "ALLOWED_TO_CHARGE"; a number above 31 gives "bit 40".
func (f Flag) String() string {
	if f >= flagBits {
		return fmt.Sprintf("bit %d", uint8(f))
	}
	return flagTable[f].Name
}

// FlagSet is a VE_REG_BMS_FLAGS value. Operations with a Flag above 31 leave the set unchanged
// and Has reports false, since no such bit exists in the un32.
type FlagSet uint32

// Has reports whether bit f is set.
func (s FlagSet) Has(f Flag) bool { return s&bit(f) != 0 }

// With returns s with bit f set.
func (s FlagSet) With(f Flag) FlagSet { return s | bit(f) }

// Without returns s with bit f cleared.
func (s FlagSet) Without(f Flag) FlagSet { return s &^ bit(f) }

// Set returns s with bit f set when on is true and cleared otherwise.
func (s FlagSet) Set(f Flag, on bool) FlagSet {
	if on {
		return s.With(f)
	}
	return s.Without(f)
}

// bit is the mask of f; a shift of 32 or more gives 0 for an unsigned value in Go.
func bit(f Flag) FlagSet { return 1 << f }

// String gives the names of the set bits, lowest first, joined by "|"; "0" when none is set.
func (s FlagSet) String() string {
	if s == 0 {
		return "0"
	}
	var names []string
	for f := Flag(0); f < flagBits; f++ {
		if s.Has(f) {
			names = append(names, f.String())
		}
	}
	return strings.Join(names, "|")
}

// Mask clears the bits that firmware v does not have, so a master can compute every flag and
// send only what its version would.
func (s FlagSet) Mask(v firmware.Version) FlagSet { return s & FlagsOf(v) }

// FlagsOf is the set of every bit firmware v has: Mask's mask, for a master to keep rather than
// work out every step.
func FlagsOf(v firmware.Version) FlagSet {
	all := ^FlagSet(0)
	for _, info := range flagTable {
		if !info.Since.IsZero() && v.Before(info.Since) {
			all = all.Without(info.Bit)
		}
	}
	return all
}
