// Package decode turns frames into messages people and programs can read: one message per
// NMEA 2000 PGN (fast packets reassembled), VREG register, CAN-bus BMS frame or battery-bus frame,
// with named fields in physical units. It is what `lynxsim decode` and `lynxsim monitor` print, and
// it formats text and JSON without reflection so that a million-frame log decodes in seconds.
package decode

import (
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
)

// Protocol says which protocol a message was read as.
type Protocol uint8

// The protocols.
const (
	ProtoUnknown    Protocol = iota
	ProtoN2K                 // NMEA 2000 / VE.Can PGN
	ProtoVREG                // Victron register on PGN 61184 or 126720
	ProtoBMS                 // the 11-bit CAN-bus BMS protocols (SMA, General BMS)
	ProtoBatteryBus          // lynxsim's private battery bus
	ProtoErrorFrame          // a controller error frame
)

var protocolNames = [...]string{"unknown", "n2k", "vreg", "bms", "batbus", "error"}

func (p Protocol) String() string {
	if int(p) < len(protocolNames) {
		return protocolNames[p]
	}
	return "unknown"
}

// Field is one named value of a message. Number fields have Text empty; text fields (strings,
// names of enumerations, flag lists) have it set, and Value holds the raw number where there is one.
type Field struct {
	Name  string
	Value float64
	Unit  string
	Text  string
	// NA marks a field the sender declared not available.
	NA bool
}

// Message is one decoded message. The Decoder reuses its Fields and Data between calls: copy what
// must outlive the callback.
type Message struct {
	Time        time.Time
	Interface   string
	Protocol    Protocol
	CANID       uint32
	PGN         uint32 // NMEA 2000 PGN, 0 for other protocols
	Priority    uint8
	Source      uint8
	Destination uint8
	Name        string // e.g. "Battery Status", "VREG 0x0FFF VE_REG_SOC"
	Fields      []Field
	// Data is the payload as received (reassembled for fast packets).
	Data []byte
	// Register and Raw are the register id and its raw value bytes (little-endian, at most four)
	// of a VREG message.
	Register uint16
	Raw      uint32
	// Err says why a frame was not decoded (unknown PGN, malformed payload); Fields are empty then.
	Err string
}

func (m *Message) add(name string, value float64, unit string) {
	m.Fields = append(m.Fields, Field{Name: name, Value: value, Unit: unit})
}

func (m *Message) addNA(name string, value float64, unit string, na bool) {
	m.Fields = append(m.Fields, Field{Name: name, Value: value, Unit: unit, NA: na})
}

func (m *Message) addText(name, text string, value float64) {
	m.Fields = append(m.Fields, Field{Name: name, Value: value, Text: text})
}

// Stats counts what a Decoder has seen.
type Stats struct {
	Frames      uint64 // frames given to Decode
	Messages    uint64 // messages emitted
	Undecoded   uint64 // messages emitted with Err set
	ErrorFrames uint64
	Pending     uint64 // fast-packet frames that have not (yet) completed a message
}

// Decoder decodes a stream of frames. It keeps fast-packet reassembly state per interface, source
// and PGN, so feed it one log or bus in order. It is not safe for concurrent use.
type Decoder struct {
	msg   Message
	stats Stats
	fast  fastState
	first time.Time
	vals  []float64
}

// New returns a Decoder.
func New() *Decoder { return &Decoder{} }

// Stats returns the counters.
func (d *Decoder) Stats() Stats { return d.stats }

// Decode reads one frame and calls emit for each message it completes: one for most frames, none
// for a fast-packet frame that does not end a message.
func (d *Decoder) Decode(r canbus.Record, emit func(*Message)) {
	d.stats.Frames++
	m := &d.msg
	*m = Message{Time: r.Time, Interface: r.Interface, CANID: r.Frame.ID, Fields: m.Fields[:0], Data: m.Data[:0]}
	f := r.Frame
	var done bool
	switch {
	case canbus.IsErrorFrame(f):
		d.stats.ErrorFrames++
		decodeErrorFrame(m, f)
		done = true
	case !f.IsExtended:
		d.decodeBMS(m, f)
		done = true
	case d.decodeBatteryBus(m, f):
		done = true
	default:
		done = d.decodeN2K(m, r, f)
	}
	if !done {
		d.stats.Pending++
		return
	}
	d.stats.Messages++
	if m.Err != "" {
		d.stats.Undecoded++
	}
	emit(m)
}

func payload(f can.Frame) []byte { return f.Data[:min(int(f.Length), 8)] }
