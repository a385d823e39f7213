package batbus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"go.einride.tech/can"
)

// Signal describes one field of a message in DBC terms. Every typed encoder and parser of the
// package runs on the signal table of its message (Specs), and TestDBCMatchesSpecs holds the
// table identical to testdata/battery-bus.dbc at the root of the repository.
//
// Every signal is little-endian (Intel, DBC "@1"), as in VE.Can. A signal is unsigned unless
// Signed. Physical value = raw × Scale (every Offset is 0).
type Signal struct {
	Name   string
	Start  uint8 // the least significant bit, counted from bit 0 of byte 0
	Length uint8 // bits, 1 to 32
	Signed bool  // two's complement
	Scale  float64
	// Min and Max are the physical range a parser accepts and an encoder is expected to produce,
	// the not-available value excluded. A raw value outside it is an impossible value: the
	// parser rejects the frame with ErrValue.
	Min, Max float64
	Unit     string
	// NA is true when the signal has a "not available" value: all ones for an unsigned signal
	// (0xFF, 0xFFFF, 0xF for 4 bits…), the largest positive value for a signed one (0x7FFF), as
	// VE.Can and NMEA 2000 do. The DBC names it NotAvailable.
	NA bool
	// Mux is the multiplexer value under which the signal is present, or NoMux for a signal
	// present in every frame of its message. IsMux marks the message's multiplexer switch.
	Mux   int
	IsMux bool
	// Values names the raw values of an enumeration (the DBC's VAL_), NotAvailable excluded.
	Values []Value

	rawMin, rawMax int64
}

// NoMux is Signal.Mux of a signal that is not multiplexed.
const NoMux = -1

// Value names one raw value of an enumerated signal.
type Value struct {
	Raw  int64
	Name string
}

// divisor returns 10ⁿ for a Scale of 1/10ⁿ, or 0 for a Scale of 1 or more. Dividing by 100
// rather than multiplying by 0.01 keeps decoded values equal to their decimal literals.
func (s *Signal) divisor() float64 {
	if s.Scale < 1 {
		return math.Round(1 / s.Scale)
	}
	return 0
}

func (s *Signal) physical(raw int64) float64 {
	if d := s.divisor(); d != 0 {
		return float64(raw) / d
	}
	return float64(raw) * s.Scale
}

func (s *Signal) mask() uint64 { return 1<<s.Length - 1 }

// NARaw is the raw value that means "not available" (meaningful only when NA is set).
func (s *Signal) NARaw() int64 {
	if s.Signed {
		return 1<<(s.Length-1) - 1
	}
	return 1<<s.Length - 1
}

// RawRange is the range of raw values a parser accepts, the not-available value excluded.
func (s *Signal) RawRange() (lo, hi int64) { return s.rawMin, s.rawMax }

// Physical converts a raw value (sign-extended for a signed signal) to its physical value; the
// not-available value gives NaN.
func (s *Signal) Physical(raw int64) float64 {
	if s.NA && raw == s.NARaw() {
		return math.NaN()
	}
	return s.physical(raw)
}

func (s *Signal) present(mux int64) bool { return s.Mux == NoMux || int64(s.Mux) == mux }

func (s *Signal) extract(packed uint64) int64 {
	raw := packed >> s.Start & s.mask()
	if s.Signed && raw>>(s.Length-1) != 0 {
		return int64(raw | ^s.mask())
	}
	return int64(raw)
}

func (s *Signal) valid(raw int64) bool {
	return raw >= s.rawMin && raw <= s.rawMax || s.NA && raw == s.NARaw()
}

// Node is the sender of a message.
type Node uint8

// The two kinds of node on the battery bus.
const (
	NodeMaster Node = iota + 1
	NodeBattery
)

func (n Node) String() string {
	switch n {
	case NodeMaster:
		return "Master"
	case NodeBattery:
		return "Battery"
	}
	return "node(" + strconv.Itoa(int(n)) + ")"
}

// Addressing says what the address byte of a message's identifier may hold. For a battery's
// message it is the sender; for the master's, the battery it is for (design decision: the master
// is the only other node, so its messages name their destination, and a battery can filter them
// in its CAN controller's acceptance filter).
type Addressing uint8

// The addressing classes.
const (
	FromBattery            Addressing = iota + 1 // 1–64: an assigned battery
	FromTemporary                                // 0x80–0xFE: an unassigned battery
	FromBatteryOrTemporary                       // either
	ToAll                                        // 0xFF only
	ToBattery                                    // 1–64 only
	ToBatteryOrAll                               // 1–64 or 0xFF
)

// Allows reports whether addr may appear in the identifier of a message of this class.
func (a Addressing) Allows(addr uint8) bool {
	battery := addr >= FirstAddress && addr <= MaxBatteries
	temporary := addr >= FirstTemporary && addr <= LastTemporary
	switch a {
	case FromBattery, ToBattery:
		return battery
	case FromTemporary:
		return temporary
	case FromBatteryOrTemporary:
		return battery || temporary
	case ToAll:
		return addr == Broadcast
	case ToBatteryOrAll:
		return battery || addr == Broadcast
	}
	return false
}

// MessageSpec is the signal table of one message.
type MessageSpec struct {
	Message    Message
	Name       string // the DBC message name
	Sender     Node
	Addressing Addressing
	// Period is the transmission period of a periodic message, 0 for one sent on an event.
	// CellVoltages and Temperatures have the default of their detail period (Heartbeat).
	Period time.Duration
	// Signals, in the order the codec and the DBC list them. Bits no present signal covers are
	// reserved and must be 1.
	Signals []Signal

	mux   int                   // index of the multiplexer switch, -1 without one
	parse func(can.Frame) error // the typed parser
}

// maxSignals bounds the signals of one message (CellVoltages has 2 + MaxCells).
const maxSignals = 40

// raws holds a message's raw values in signal order, sign-extended. It lives on the stack of
// each encoder and parser, which keeps them free of allocations.
type raws [maxSignals]int64

// FrameID returns the identifier of this message from or to addr.
func (m *MessageSpec) FrameID(addr uint8) uint32 { return ID(m.Message, addr) }

// Multiplexer returns the index of the multiplexer switch in Signals, or -1.
func (m *MessageSpec) Multiplexer() int { return m.mux }

// encode builds the frame: every bit 1, then each signal present under the multiplexer value.
func (m *MessageSpec) encode(addr uint8, v *raws) can.Frame {
	packed := ^uint64(0)
	mux := int64(-1)
	if m.mux >= 0 {
		mux = v[m.mux]
	}
	for i := range m.Signals {
		s := &m.Signals[i]
		if !s.present(mux) {
			continue
		}
		packed = packed&^(s.mask()<<s.Start) | (uint64(v[i])&s.mask())<<s.Start
	}
	f := can.Frame{ID: ID(m.Message, addr), IsExtended: true, Length: Length}
	binary.LittleEndian.PutUint64(f.Data[:], packed)
	return f
}

// frameCheck checks everything but the data: an extended data frame of this protocol and
// message, of the right length and address.
func (m *MessageSpec) frameCheck(f can.Frame) error {
	msg, addr, ok := Split(f)
	switch {
	case !ok:
		return &FrameError{ID: f.ID, Message: m.Message, Kind: ErrNotBatbus, Detail: notBatbus(f)}
	case msg != m.Message:
		return m.errorf(f, ErrMessage, "the frame is message 0x%02X (%s)", uint8(msg), msg)
	case f.Length != Length:
		return m.errorf(f, ErrLength, "%d data bytes, want %d", f.Length, Length)
	case !m.Addressing.Allows(addr):
		return m.errorf(f, ErrAddress, "address 0x%02X is not %s", addr, m.Addressing.describe())
	}
	return nil
}

// decode checks f against the table and writes the raw values: frame format, identifier,
// length, address, every present signal's range, the message's own rules, then the reserved
// bits.
func (m *MessageSpec) decode(f can.Frame, v *raws) error {
	if err := m.frameCheck(f); err != nil {
		return err
	}
	packed := binary.LittleEndian.Uint64(f.Data[:])
	mux := int64(-1)
	if m.mux >= 0 {
		mux = m.Signals[m.mux].extract(packed)
	}
	covered := uint64(0)
	for i := range m.Signals {
		s := &m.Signals[i]
		if !s.present(mux) {
			continue
		}
		raw := s.extract(packed)
		if !s.valid(raw) {
			return m.errorf(f, ErrValue, "%s", rangeText(s, raw))
		}
		v[i] = raw
		covered |= s.mask() << s.Start
	}
	if err := m.rules(uint8(f.ID), v); err != nil {
		return err
	}
	if packed|covered != ^uint64(0) {
		data := f.Data // a copy for the error only: f itself stays on the stack
		return m.errorf(f, ErrReserved, "reserved bits 0x%016X are not all 1 (data %X)", ^packed&^covered, data[:])
	}
	return nil
}

// rules checks what the table cannot: the rules across the signals of a message. A switch rather
// than a function value in MessageSpec, so that the raw values do not escape to the heap.
func (m *MessageSpec) rules(addr uint8, v *raws) error {
	switch m.Message {
	case MsgCellVoltages, MsgTemperatures:
		return checkIndexed(m, addr, v)
	case MsgExtremes:
		return checkExtremes(m, addr, v)
	case MsgEnvironment:
		return checkEnvironment(m, addr, v)
	case MsgCommand:
		return checkCommand(m, addr, v)
	case MsgCommandAck:
		return checkCommandAck(m, addr, v)
	}
	return nil
}

// Decode checks f exactly as the message's typed parser does and writes the physical value of
// every signal to dst, in the order of Signals: NaN for a not-available value and for a signal
// the multiplexer leaves out of this frame. dst must hold len(Signals) values. It allocates
// nothing unless it fails.
func (m *MessageSpec) Decode(f can.Frame, dst []float64) error {
	if len(dst) < len(m.Signals) {
		return fmt.Errorf("batbus %s: %d values for %d signals", m.Name, len(dst), len(m.Signals))
	}
	if err := m.parse(f); err != nil {
		return err
	}
	packed := binary.LittleEndian.Uint64(f.Data[:])
	mux := int64(-1)
	if m.mux >= 0 {
		mux = m.Signals[m.mux].extract(packed)
	}
	for i := range m.Signals {
		s := &m.Signals[i]
		if !s.present(mux) {
			dst[i] = math.NaN()
			continue
		}
		dst[i] = s.Physical(s.extract(packed))
	}
	return nil
}

// Errors a parser returns, wrapped in a *FrameError so that errors.Is finds them.
var (
	ErrNotBatbus      = errors.New("not a battery-bus frame")
	ErrMessage        = errors.New("wrong message")
	ErrUnknown        = errors.New("unknown message")
	ErrLength         = errors.New("wrong data length")
	ErrAddress        = errors.New("impossible address")
	ErrReserved       = errors.New("reserved bits not 1")
	ErrValue          = errors.New("impossible value")
	ErrUnknownCommand = errors.New("unknown command code")
)

// FrameError is a parse failure: the frame, the message the parser expected, the kind (one of
// the Err values above) and what exactly is wrong.
type FrameError struct {
	ID      uint32
	Message Message
	Kind    error
	Detail  string
}

// Error reads e.g. "batbus Status from battery 3: SOC 100.01 % is outside 0 to 100 %".
func (e *FrameError) Error() string {
	if e.Kind == ErrNotBatbus || e.Kind == ErrUnknown {
		return "batbus: " + e.Detail
	}
	spec := specs[e.Message]
	if spec == nil {
		return "batbus: " + e.Detail
	}
	return "batbus " + spec.Name + " " + direction(spec, uint8(e.ID)) + ": " + e.Detail
}

// Unwrap returns Kind.
func (e *FrameError) Unwrap() error { return e.Kind }

func (m *MessageSpec) errorf(f can.Frame, kind error, format string, args ...any) error {
	return &FrameError{ID: f.ID, Message: m.Message, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// direction names the other end of a frame for error messages: "from battery 3", "to all".
func direction(m *MessageSpec, addr uint8) string {
	var who string
	switch {
	case addr == Broadcast:
		who = "all"
	case addr >= FirstTemporary && addr <= LastTemporary:
		who = fmt.Sprintf("temporary address 0x%02X", addr)
	case addr == MasterAddress:
		who = "address 0"
	default:
		who = "battery " + strconv.Itoa(int(addr))
	}
	if m.Sender == NodeMaster {
		return "to " + who
	}
	return "from " + who
}

func (a Addressing) describe() string {
	switch a {
	case FromBattery, ToBattery:
		return "a battery's (1 to 64)"
	case FromTemporary:
		return "a temporary one (0x80 to 0xFE)"
	case FromBatteryOrTemporary:
		return "a battery's (1 to 64) or a temporary one (0x80 to 0xFE)"
	case ToAll:
		return "broadcast (0xFF)"
	case ToBatteryOrAll:
		return "a battery's (1 to 64) or broadcast (0xFF)"
	}
	return "allowed"
}

func notBatbus(f can.Frame) string {
	switch {
	case !f.IsExtended:
		return fmt.Sprintf("standard frame 0x%03X: battery-bus frames are extended", f.ID)
	case f.IsRemote:
		return fmt.Sprintf("remote frame %08X: the battery bus has no remote frames", f.ID)
	}
	return fmt.Sprintf("frame %08X has not the battery-bus tag 0x%03X in bits 16 to 28", f.ID, Tag)
}

// rangeText says why raw is impossible, in physical units.
func rangeText(s *Signal, raw int64) string {
	if s.Values != nil && s.Unit == "" {
		return fmt.Sprintf("%s %d is not a known value", s.Name, raw)
	}
	return fmt.Sprintf("%s %s%s is outside %s to %s%s", s.Name,
		formatPhysical(s, s.physical(raw)), unitText(s.Unit),
		formatPhysical(s, s.Min), formatPhysical(s, s.Max), unitText(s.Unit))
}

func formatPhysical(s *Signal, v float64) string {
	prec := 0
	for d := s.divisor(); d > 1; d /= 10 {
		prec++
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

func unitText(u string) string {
	switch u {
	case "":
		return ""
	case "degC":
		return " °C"
	}
	return " " + u
}
