package vecan

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/lynxsim/lynxsim/canbus/n2k"
)

// PGN 127506 DC Detailed Status: a fast packet of 11 payload bytes, priority 6, every 1 500 ms
// (protocol.md §2.2, S1 127506-dcDetailedStatus.yaml, S2 p.15-16: "For this PGN it is 0x0B").
// Devices built against NMEA 2000 v1.300 send 9 bytes, without Remaining capacity (S1 minLength 9).
const (
	PGNDCDetailedStatus       n2k.PGN = 127506
	DCDetailedStatusPriority  uint8   = 6
	DCDetailedStatusPeriod            = 1500 * time.Millisecond
	DCDetailedStatusLength            = 11
	DCDetailedStatusMinLength         = 9
)

// DC Type lookup (S2 p.15, S1 lookup DC_SOURCE): the Lynx Ion BMS sends DCTypeBattery.
const (
	DCTypeBattery       uint8 = 0
	DCTypeAlternator    uint8 = 1
	DCTypeConvertor     uint8 = 2
	DCTypeSolarCell     uint8 = 3
	DCTypeWindGenerator uint8 = 4
	DCTypeNotAvailable  uint8 = 0xFF
	SIDNotAvailable     uint8 = 0xFF // S1: a uint8 of 0xFF is not available
)

// TimeRemainingUnknown is what ParseDCDetailedStatus gives for a time remaining that is not
// available (0xFFFF, or the error value 0xFFFE); AppendPayload sends any negative duration so.
const TimeRemainingUnknown = time.Duration(-1)

// Largest values S2 p.15-16 gives for the 127506 fields: "0 to 252 %", "0 to 65532 minutes",
// "0 to 65532 mV", "0 to 65532 Ah". The encoder saturates there; the decoder reads anything below
// the two sentinels (0xFE/0xFF, 0xFFFE/0xFFFF), as canboat does (S1 fieldtypes.yaml NUMBER).
const (
	dcMaxUint8  = 252
	dcMaxUint16 = 65532
)

// DCDetailedStatus is PGN 127506 in physical units. Fields that are not available are NaN, or
// negative for TimeRemaining.
//
// SOC goes out in whole percent, rounded down [I]: S2 gives the resolution (1 %, p.15) but not
// the rounding (protocol.md §7 [?]). Rounding down keeps "100 %" for a battery that is full:
// firmware 1.25-05 holds SOC at 99.9 % while the cells still allow charging so that the GX's
// "SOC == 100" logic (generator stop, BatteryLife, scheduled charge; protocol.md §7) does not see
// a full battery early; rounding to nearest would put 100 on this PGN at 99.5 %.
type DCDetailedStatus struct {
	SID           uint8   // SIDNotAvailable (0xFF) when not used
	Instance      uint8   // the battery instance base (S2 p.12: 127508 instance 0 = DC instance 0)
	DCType        uint8   // DCTypeBattery for the Lynx Ion BMS
	SOCPercent    float64 // uint8, 1 %, rounded down
	SOHPercent    float64 // uint8, 1 %, rounded; NaN (0xFF): MG sends none (S2 p.15), 1.35-01 only for RS batteries
	TimeRemaining time.Duration
	RippleVolts   float64 // uint16, 0.001 V; NaN: MG sends none (S2 p.16)
	RemainingAh   float64 // uint16, 1 Ah ("Amp hours", S2 p.16)
}

// AppendPayload appends the 11 payload bytes (S2 p.15-16 layout) to dst. It does not allocate
// when dst has room.
func (s DCDetailedStatus) AppendPayload(dst []byte) []byte {
	var b [DCDetailedStatusLength]byte
	b[0] = s.SID
	b[1] = s.Instance
	b[2] = s.DCType
	b[3] = percentUint8(math.Floor(s.SOCPercent + 1e-9)) // 1e-9 %: 58.00 arriving as 57.999999… is 58
	b[4] = percentUint8(math.Round(s.SOHPercent))
	binary.LittleEndian.PutUint16(b[5:7], minutesUint16(s.TimeRemaining))
	binary.LittleEndian.PutUint16(b[7:9], scaledUint16(s.RippleVolts, 1000))
	binary.LittleEndian.PutUint16(b[9:11], scaledUint16(s.RemainingAh, 1))
	return append(dst, b[:]...)
}

// ParseDCDetailedStatus decodes a reassembled 127506 payload. It accepts the 9-byte v1.300 form
// (RemainingAh is then NaN) and ignores bytes after the eleventh; shorter payloads are refused.
func ParseDCDetailedStatus(payload []byte) (DCDetailedStatus, bool) {
	if len(payload) < DCDetailedStatusMinLength {
		return DCDetailedStatus{}, false
	}
	s := DCDetailedStatus{
		SID:           payload[0],
		Instance:      payload[1],
		DCType:        payload[2],
		SOCPercent:    fromUint8(payload[3]),
		SOHPercent:    fromUint8(payload[4]),
		TimeRemaining: TimeRemainingUnknown,
		RippleVolts:   fromUint16(binary.LittleEndian.Uint16(payload[7:9]), 1000),
		RemainingAh:   math.NaN(),
	}
	if m := binary.LittleEndian.Uint16(payload[5:7]); m <= uint16Max {
		s.TimeRemaining = time.Duration(m) * time.Minute
	}
	if len(payload) >= DCDetailedStatusLength {
		s.RemainingAh = fromUint16(binary.LittleEndian.Uint16(payload[9:11]), 1)
	}
	return s, true
}

// percentUint8 saturates a whole number to 0..252; NaN is not available.
func percentUint8(v float64) uint8 {
	if math.IsNaN(v) {
		return 0xFF
	}
	return uint8(max(0, min(dcMaxUint8, v)))
}

// minutesUint16 rounds a duration to whole minutes and saturates at 65532; negative is not
// available.
func minutesUint16(d time.Duration) uint16 {
	if d < 0 {
		return uint16NA
	}
	return uint16(min(dcMaxUint16, d.Round(time.Minute)/time.Minute))
}

// scaledUint16 rounds v*perUnit and saturates at 65532; NaN is not available.
func scaledUint16(v, perUnit float64) uint16 {
	if math.IsNaN(v) {
		return uint16NA
	}
	return uint16(max(0, min(dcMaxUint16, math.Round(v*perUnit))))
}

// fromUint8 reads a uint8 field; the top two values (error, not available) are NaN.
func fromUint8(raw uint8) float64 {
	if raw >= 0xFE {
		return math.NaN()
	}
	return float64(raw)
}
