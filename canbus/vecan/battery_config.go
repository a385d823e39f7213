package vecan

import (
	"encoding/binary"
	"math"

	"github.com/lynxsim/lynxsim/canbus/n2k"
)

// PGN 127513 Battery Configuration Status: "Fast" in canboat, priority 6, sent irregularly
// (protocol.md §2.3, S1 127513-batteryConfigurationStatus.yaml). S2 does not list it for the
// Master LV (S2 p.11) and whether the Lynx Ion BMS sends it is unknown (protocol.md §8 item 2),
// so the emulator does not send it by default; the codec is here for tools, tests and a
// possible decision to send it. canboat itself is unsure of the layout (its notes cite issue #143
// and a 10-byte claim); this follows canboat's field list: 8 bytes.
const (
	PGNBatteryConfigurationStatus      n2k.PGN = 127513
	BatteryConfigurationStatusPriority uint8   = 6
	BatteryConfigurationStatusLength           = 8
)

// Lookups of 127513 (S1 lookups BATTERY_TYPE, YES_NO, BATTERY_VOLTAGE, BATTERY_CHEMISTRY;
// protocol.md §2.3). Four-bit fields read 0xF, the two-bit field 3, when not available.
const (
	BatteryTypeFlooded uint8 = 0
	BatteryTypeGel     uint8 = 1
	BatteryTypeAGM     uint8 = 2

	EqualizationNo  uint8 = 0
	EqualizationYes uint8 = 1

	NominalVoltage6  uint8 = 0
	NominalVoltage12 uint8 = 1
	NominalVoltage24 uint8 = 2
	NominalVoltage32 uint8 = 3
	NominalVoltage36 uint8 = 4
	NominalVoltage42 uint8 = 5
	NominalVoltage48 uint8 = 6

	ChemistryLeadAcid uint8 = 0
	ChemistryLithium  uint8 = 1
	ChemistryNiCd     uint8 = 2
	ChemistryZnO      uint8 = 3
	ChemistryNiMH     uint8 = 4
)

// Peukert exponent: uint8, resolution 0.002, offset 500, so (raw + 500) × 0.002, 1.0 to 1.5
// (S1 fieldtypes.yaml PEUKERT_EXPONENT, rangeMin/rangeMax).
const (
	peukertOffset  = 500
	peukertPerUnit = 500 // 1 / 0.002
	peukertRawMax  = 250 // 1.5
)

// BatteryConfigurationStatus is PGN 127513. Lookup fields keep their raw numbers (four bits, two
// for SupportsEqualization); numbers that are not available are NaN.
type BatteryConfigurationStatus struct {
	Instance                      uint8
	BatteryType                   uint8 // 4 bits
	SupportsEqualization          uint8 // 2 bits
	NominalVoltage                uint8 // 4 bits
	Chemistry                     uint8 // 4 bits
	CapacityAh                    float64
	TemperatureCoefficientPercent float64 // int8, 1 %
	PeukertExponent               float64 // 1.0 to 1.5
	ChargeEfficiencyPercent       float64 // int8, 1 %
}

// AppendPayload appends the 8 payload bytes to dst; the two reserved bits of byte 1 are ones
// (S1 fieldtypes.yaml RESERVED: "All reserved bits shall be 1"). It does not allocate when dst
// has room.
func (c BatteryConfigurationStatus) AppendPayload(dst []byte) []byte {
	dst = append(dst,
		c.Instance,
		c.BatteryType&0x0F|(c.SupportsEqualization&0x03)<<4|0xC0,
		c.NominalVoltage&0x0F|(c.Chemistry&0x0F)<<4)
	dst = binary.LittleEndian.AppendUint16(dst, toUint16(c.CapacityAh, 1))
	return append(dst, percentInt8(c.TemperatureCoefficientPercent), peukertRaw(c.PeukertExponent), percentInt8(c.ChargeEfficiencyPercent))
}

// ParseBatteryConfigurationStatus decodes a reassembled 127513 payload of at least 8 bytes.
func ParseBatteryConfigurationStatus(payload []byte) (BatteryConfigurationStatus, bool) {
	if len(payload) < BatteryConfigurationStatusLength {
		return BatteryConfigurationStatus{}, false
	}
	c := BatteryConfigurationStatus{
		Instance:                      payload[0],
		BatteryType:                   payload[1] & 0x0F,
		SupportsEqualization:          payload[1] >> 4 & 0x03,
		NominalVoltage:                payload[2] & 0x0F,
		Chemistry:                     payload[2] >> 4,
		CapacityAh:                    fromUint16(binary.LittleEndian.Uint16(payload[3:5]), 1),
		TemperatureCoefficientPercent: fromInt8(int8(payload[5])),
		PeukertExponent:               math.NaN(),
		ChargeEfficiencyPercent:       fromInt8(int8(payload[7])),
	}
	if raw := payload[6]; raw < 0xFE {
		c.PeukertExponent = float64(int(raw)+peukertOffset) / peukertPerUnit
	}
	return c, true
}

// percentInt8 rounds a percentage to an int8, saturating at -128..125 (0x7F not available, 0x7E
// error, S1 fieldtypes.yaml NUMBER); NaN is not available.
func percentInt8(v float64) byte {
	if math.IsNaN(v) {
		return 0x7F
	}
	return byte(int8(max(math.MinInt8, min(math.MaxInt8-2, math.Round(v)))))
}

func fromInt8(raw int8) float64 {
	if raw >= math.MaxInt8-1 {
		return math.NaN()
	}
	return float64(raw)
}

// peukertRaw encodes an exponent, saturating at 1.0..1.5; NaN is not available.
func peukertRaw(v float64) byte {
	if math.IsNaN(v) {
		return 0xFF
	}
	return byte(max(0, min(peukertRawMax, math.Round(v*peukertPerUnit)-peukertOffset)))
}
