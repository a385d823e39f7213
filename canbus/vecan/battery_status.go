package vecan

import (
	"encoding/binary"
	"math"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/n2k"
)

// PGNBatteryStatus is PGN 127508 Battery Status: a single frame, priority 6, sent every 1 500 ms
// (protocol.md §2.1, S1).
const (
	PGNBatteryStatus      n2k.PGN = 127508
	BatteryStatusPriority uint8   = 6
)

// BatteryStatus is PGN 127508. Fields that are not available are NaN; they go on the wire as the
// NMEA 2000 "not available" value (protocol.md §1.3, S1 fieldtypes.yaml: the highest positive
// value). The Lynx Ion BMS uses three instances (S2 p.11-15): base+0 the pack (voltage, current,
// highest battery temperature), base+1 the lowest cell voltage and temperature, base+2 the
// highest, with the current not available in the last two.
type BatteryStatus struct {
	Instance       uint8
	Volts          float64 // 0.01 V, int16
	Amps           float64 // 0.1 A, int16; positive while the battery is charged (S2 p.13)
	Kelvin         float64 // 0.01 K, uint16
	SequenceID     uint8   // 0xFF: not available
	SequenceIDUsed bool
}

// Frame encodes s as sent by source.
func (s BatteryStatus) Frame(source uint8) can.Frame {
	f := can.Frame{
		ID:         n2k.ID{Priority: BatteryStatusPriority, PGN: PGNBatteryStatus, Source: source, Destination: n2k.Broadcast}.CANID(),
		IsExtended: true,
		Length:     8,
	}
	f.Data[0] = s.Instance
	binary.LittleEndian.PutUint16(f.Data[1:3], uint16(toInt16(s.Volts, 100)))
	binary.LittleEndian.PutUint16(f.Data[3:5], uint16(toInt16(s.Amps, 10)))
	binary.LittleEndian.PutUint16(f.Data[5:7], toUint16(s.Kelvin, 100))
	f.Data[7] = 0xFF
	if s.SequenceIDUsed {
		f.Data[7] = s.SequenceID
	}
	return f
}

// ParseBatteryStatus decodes the data of a PGN 127508 frame. It reports false when the frame is
// not the 8 bytes the PGN has (S2 p.13: single frame).
func ParseBatteryStatus(f can.Frame) (BatteryStatus, bool) {
	if f.Length != 8 {
		return BatteryStatus{}, false
	}
	return BatteryStatus{
		Instance:       f.Data[0],
		Volts:          fromInt16(int16(binary.LittleEndian.Uint16(f.Data[1:3])), 100),
		Amps:           fromInt16(int16(binary.LittleEndian.Uint16(f.Data[3:5])), 10),
		Kelvin:         fromUint16(binary.LittleEndian.Uint16(f.Data[5:7]), 100),
		SequenceID:     f.Data[7],
		SequenceIDUsed: f.Data[7] != 0xFF,
	}, true
}

// Not-available and error sentinels of NMEA 2000 numbers (protocol.md §1.3, S1 fieldtypes.yaml):
// the highest positive value means "not available" and the one below it "error", so the largest
// value a measurement may take is two below the top.
const (
	int16NA     = math.MaxInt16
	int16MaxVal = math.MaxInt16 - 2
	uint16NA    = math.MaxUint16
	uint16Max   = math.MaxUint16 - 2
)

// toInt16 scales v to a signed 16-bit wire value, rounding to the nearest step and saturating at
// the largest valid magnitudes; NaN becomes "not available".
func toInt16(v, perUnit float64) int16 {
	if math.IsNaN(v) {
		return int16NA
	}
	return int16(max(math.MinInt16, min(int16MaxVal, math.Round(v*perUnit))))
}

func toUint16(v, perUnit float64) uint16 {
	if math.IsNaN(v) {
		return uint16NA
	}
	return uint16(max(0, min(uint16Max, math.Round(v*perUnit))))
}

func fromInt16(raw int16, perUnit float64) float64 {
	if raw >= int16MaxVal+1 {
		return math.NaN()
	}
	return float64(raw) / perUnit
}

func fromUint16(raw uint16, perUnit float64) float64 {
	if raw >= uint16Max+1 {
		return math.NaN()
	}
	return float64(raw) / perUnit
}
