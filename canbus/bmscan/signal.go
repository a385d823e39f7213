package bmscan

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"go.einride.tech/can"
)

// Bus facts shared by both protocols.
const (
	// Bitrate of the CAN bus: "Speed: 500 kbps" (S2 p.3 §1.3.1, p.6 §1.4.1).
	Bitrate = 500_000
	// Interval between two transmissions of every frame: each message table says
	// "Tx 500 ms" (S2 p.3–10).
	Interval = 500 * time.Millisecond
)

// Signal describes one field of a frame in DBC terms. Each frame's encoder and parser run on its
// table of signals, and TestDBC compares every field with testdata/mg_master_lv.dbc.
type Signal struct {
	Name string
	// Start is the DBC start bit: the least significant bit for little-endian (Intel, @1)
	// signals, the most significant bit in saw-tooth numbering for big-endian (Motorola, @0) ones.
	Start     uint8
	Length    uint8 // bits
	BigEndian bool  // Motorola byte order; only the 0x35F software version (S2 p.5: "MSB first")
	Signed    bool  // two's complement ("sn16" in S2)
	// Physical value = raw × Scale + Offset. Every scale is 1 or 1/10ⁿ and every offset 0, so the
	// codec divides by 10ⁿ rather than multiplying by 0.1…, which keeps decoded values equal to
	// their decimal literals.
	Scale, Offset float64
	// Min and Max are the physical range the encoder produces: the raw range without the
	// invalid value.
	Min, Max float64
	Unit     string
	// NA is true when the all-ones raw value (unsigned) or the most negative one (signed) means
	// "not available" (S2 p.3: "Invalid value of a un16 is marked with 0xFFFF and a sn16 with
	// 0x8000"; S2 p.6 adds "a un32 with 0xFFFFFFFF"). It then decodes to NaN.
	NA bool
}

// MessageSpec describes one frame: its standard id, its DBC message name, its data length and its
// signals in the order the Go codec lists them.
type MessageSpec struct {
	ID      uint32
	Name    string
	Length  uint8 // data bytes (DLC)
	Signals []Signal
}

// newSignal fills in Min and Max from the raw range.
func newSignal(name string, start, length uint8, signed bool, scale float64, unit string, na bool) Signal {
	s := Signal{Name: name, Start: start, Length: length, Signed: signed, Scale: scale, Unit: unit, NA: na}
	lo, hi := s.rawRange()
	s.Min, s.Max = s.physical(float64(lo)), s.physical(float64(hi))
	return s
}

// un16 is a little-endian "un16" field of S2 with 0xFFFF as its invalid value.
func un16(name string, start uint8, scale float64, unit string) Signal {
	return newSignal(name, start, 16, false, scale, unit, true)
}

// sn16 is a little-endian "sn16" field of S2 with 0x8000 as its invalid value.
func sn16(name string, start uint8, scale float64, unit string) Signal {
	return newSignal(name, start, 16, true, scale, unit, true)
}

// un32 is a little-endian "un32" field of S2 with 0xFFFFFFFF as its invalid value.
func un32(name string, start uint8, scale float64, unit string) Signal {
	return newSignal(name, start, 32, false, scale, unit, true)
}

// id16 is a little-endian un16 identifier: every raw value is a value, none means "invalid".
func id16(name string, start uint8) Signal { return newSignal(name, start, 16, false, 1, "", false) }

// bits is an unsigned little-endian bit field without an invalid value.
func bits(name string, start, length uint8) Signal {
	return newSignal(name, start, length, false, 1, "", false)
}

// chars is an 8-byte ASCII field as eight uint8 signals named prefix_first … prefix_first+7.
func chars(prefix string, first int) []Signal {
	s := make([]Signal, 8)
	for i := range s {
		s[i] = bits(fmt.Sprintf("%s_%d", prefix, first+i), uint8(8*i), 8)
	}
	return s
}

// divisor returns 10ⁿ for a scale of 1/10ⁿ, or 0 for a scale of 1 or more.
func (s *Signal) divisor() float64 {
	if s.Scale < 1 {
		return math.Round(1 / s.Scale)
	}
	return 0
}

// physical converts a raw integer (as float64) to the physical value.
func (s *Signal) physical(raw float64) float64 {
	if d := s.divisor(); d != 0 {
		return raw/d + s.Offset
	}
	return raw*s.Scale + s.Offset
}

// rawRange is the range of raw values the encoder sends, the invalid value excluded.
func (s *Signal) rawRange() (lo, hi int64) {
	if s.Signed {
		lo, hi = -1<<(s.Length-1), 1<<(s.Length-1)-1
		if s.NA {
			lo++
		}
		return lo, hi
	}
	hi = 1<<s.Length - 1
	if s.NA {
		hi--
	}
	return 0, hi
}

// mask has the signal's Length low bits set.
func (s *Signal) mask() uint64 { return 1<<s.Length - 1 }

// naRaw is the raw bit pattern of "not available": all ones unsigned, 1 then zeros signed.
func (s *Signal) naRaw() uint64 {
	if s.Signed {
		return 1 << (s.Length - 1)
	}
	return s.mask()
}

// Raw converts a physical value to the raw bit pattern of the signal (two's complement, masked to
// Length bits): rounded to the nearest step, saturated to [Min, Max]; NaN gives the invalid value
// when the signal has one and 0 otherwise.
func (s *Signal) Raw(v float64) uint64 {
	if math.IsNaN(v) {
		if s.NA {
			return s.naRaw()
		}
		return 0
	}
	lo, hi := s.rawRange()
	x := v - s.Offset
	if d := s.divisor(); d != 0 {
		x *= d
	} else {
		x /= s.Scale
	}
	x = math.Round(x)
	var r int64
	switch {
	case x <= float64(lo): // also -Inf
		r = lo
	case x >= float64(hi): // also +Inf
		r = hi
	default:
		r = int64(x)
	}
	return uint64(r) & s.mask()
}

// Physical converts a raw bit pattern (Length bits) to the physical value; the invalid value gives
// NaN.
func (s *Signal) Physical(raw uint64) float64 {
	raw &= s.mask()
	if s.NA && raw == s.naRaw() {
		return math.NaN()
	}
	if s.Signed && raw&(1<<(s.Length-1)) != 0 {
		return s.physical(float64(int64(raw | ^s.mask())))
	}
	return s.physical(float64(raw))
}

func (s *Signal) put(d *can.Data, raw uint64) {
	if s.BigEndian {
		d.SetUnsignedBitsBigEndian(s.Start, s.Length, raw)
	} else {
		d.SetUnsignedBitsLittleEndian(s.Start, s.Length, raw)
	}
}

func (s *Signal) get(d *can.Data) uint64 {
	if s.BigEndian {
		return d.UnsignedBitsBigEndian(s.Start, s.Length)
	}
	return d.UnsignedBitsLittleEndian(s.Start, s.Length)
}

// Encode builds the frame from physical values given in the order of m.Signals (missing values
// count as 0). Bytes past Length are zero.
func (m *MessageSpec) Encode(values []float64) can.Frame {
	f := can.Frame{ID: m.ID, Length: m.Length}
	for i := range m.Signals {
		if i >= len(values) {
			break
		}
		s := &m.Signals[i]
		s.put(&f.Data, s.Raw(values[i]))
	}
	return f
}

// Decode checks f with Check and writes the physical value of each signal, in the order of
// m.Signals, to dst; dst must be at least len(m.Signals) long.
func (m *MessageSpec) Decode(f can.Frame, dst []float64) error {
	if err := m.Check(f); err != nil {
		return err
	}
	if len(dst) < len(m.Signals) {
		return fmt.Errorf("bmscan 0x%03X: %d values for %d signals", m.ID, len(dst), len(m.Signals))
	}
	for i := range m.Signals {
		s := &m.Signals[i]
		dst[i] = s.Physical(s.get(&f.Data))
	}
	return nil
}

// Errors a parser returns, wrapped in a *FrameError so that errors.Is finds them.
var (
	ErrExtended = errors.New("extended (29-bit) frame, want standard 11-bit")
	ErrRemote   = errors.New("remote frame, want data frame")
	ErrID       = errors.New("wrong id")
	ErrLength   = errors.New("wrong data length")
	ErrUnknown  = errors.New("unknown id")
)

// FrameError is a parse failure: which message was being parsed, why, and in what words.
type FrameError struct {
	ID     uint32 // the id the parser expected, or the frame's id for ErrUnknown
	Kind   error  // ErrExtended, ErrRemote, ErrID, ErrLength or ErrUnknown
	Detail string
}

// Error reads e.g. "bmscan 0x351: 5 data bytes, want 8".
func (e *FrameError) Error() string { return fmt.Sprintf("bmscan 0x%03X: %s", e.ID, e.Detail) }

// Unwrap returns Kind.
func (e *FrameError) Unwrap() error { return e.Kind }

// Check reports whether f is a data frame of this message: standard format, not remote, the right
// id and exactly Length data bytes.
func (m *MessageSpec) Check(f can.Frame) error {
	switch {
	case f.IsExtended:
		return &FrameError{m.ID, ErrExtended, ErrExtended.Error()}
	case f.IsRemote:
		return &FrameError{m.ID, ErrRemote, ErrRemote.Error()}
	case f.ID != m.ID:
		return &FrameError{m.ID, ErrID, fmt.Sprintf("frame id 0x%03X", f.ID)}
	case f.Length != m.Length:
		return &FrameError{m.ID, ErrLength, fmt.Sprintf("%d data bytes, want %d", f.Length, m.Length)}
	}
	return nil
}

// Specs returns the signal tables of every frame, ordered by id. The slice is a copy; the
// Signals slices in it are shared and must not be modified.
func Specs() []MessageSpec {
	out := make([]MessageSpec, len(specs))
	for i, m := range specs {
		out[i] = *m
	}
	return out
}

// SpecOf returns the signal table of the frame with the given id.
func SpecOf(id uint32) (MessageSpec, bool) {
	i := slices.IndexFunc(specs, func(m *MessageSpec) bool { return m.ID == id })
	if i < 0 {
		return MessageSpec{}, false
	}
	return *specs[i], true
}
