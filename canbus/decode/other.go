package decode

import (
	"math"
	"strconv"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/canbus/bmscan"
)

// decodeBMS reads an 11-bit frame as the CAN-bus BMS protocols (S2 §1.3, §1.4) through bmscan's
// signal tables, so that names and units are the DBC's. Other 11-bit frames are reported as
// unknown: on VE.Can the master ignores them (changelog 1.16-01).
func (d *Decoder) decodeBMS(m *Message, f can.Frame) {
	m.Protocol = ProtoBMS
	m.Data = append(m.Data, payload(f)...)
	spec, ok := bmscan.SpecOf(f.ID)
	if !ok {
		m.Protocol = ProtoUnknown
		m.Name = "11-bit 0x" + strconv.FormatUint(uint64(f.ID), 16)
		m.Err = "not a CAN-bus BMS frame"
		return
	}
	m.Name = spec.Name
	if cap(d.vals) < len(spec.Signals) {
		d.vals = make([]float64, len(spec.Signals))
	}
	values := d.vals[:len(spec.Signals)]
	if err := spec.Decode(f, values); err != nil {
		m.Err = err.Error()
		return
	}
	for i, s := range spec.Signals {
		m.addNA(s.Name, values[i], s.Unit, math.IsNaN(values[i]))
	}
}

// decodeBatteryBus reads lynxsim's battery-bus protocol (docs/battery-bus.md) through batbus's
// signal tables, so that names, units and enumerations are the DBC's. It reports false for frames
// of other protocols.
func (d *Decoder) decodeBatteryBus(m *Message, f can.Frame) bool {
	msg, addr, ok := batbus.Split(f)
	if !ok {
		return false
	}
	m.Protocol = ProtoBatteryBus
	m.Source = addr
	m.Data = append(m.Data, payload(f)...)
	spec, ok := batbus.SpecOf(msg)
	if !ok {
		m.Name = "Battery bus 0x" + strconv.FormatUint(uint64(msg), 16)
		m.Err = "unknown battery-bus message"
		return true
	}
	m.Name = batbusNames[msg]
	if cap(d.vals) < len(spec.Signals) {
		d.vals = make([]float64, len(spec.Signals))
	}
	values := d.vals[:len(spec.Signals)]
	if err := spec.Decode(f, values); err != nil {
		m.Err = err.Error()
		return true
	}
	for i := range spec.Signals {
		s := &spec.Signals[i]
		v := values[i]
		if s.Mux != batbus.NoMux && math.IsNaN(v) {
			continue // not in this frame of a multiplexed message
		}
		if name, ok := valueName(s, v); ok {
			m.addText(s.Name, name, v)
			continue
		}
		m.addNA(s.Name, v, s.Unit, math.IsNaN(v))
	}
	return true
}

// batbusNames are the message names with the protocol in front, built once.
var batbusNames = func() map[batbus.Message]string {
	out := map[batbus.Message]string{}
	for _, s := range batbus.Specs() {
		out[s.Message] = "Battery " + s.Name
	}
	return out
}()

func valueName(s *batbus.Signal, v float64) (string, bool) {
	for _, val := range s.Values {
		if float64(val.Raw) == v {
			return val.Name, true
		}
	}
	return "", false
}

// Error classes of a SocketCAN error frame's identifier (linux/can/error.h).
var errorClasses = [...]string{
	"tx-timeout", "lost-arbitration", "controller", "protocol-violation",
	"transceiver", "no-ack", "bus-off", "bus-error", "restarted",
}

// decodeErrorFrame names the error classes set in an error frame: one "class" field, the names
// joined by ',' (a field name once per message, so that the JSON object has no duplicate key),
// its value the class bits named.
func decodeErrorFrame(m *Message, f can.Frame) {
	m.Protocol = ProtoErrorFrame
	m.Name = "Error Frame"
	m.Data = append(m.Data, payload(f)...)
	class := f.ID &^ canbus.ErrFlag
	var names string
	var bits uint32
	for bit, name := range errorClasses {
		if class&(1<<bit) != 0 {
			if names != "" {
				names += ","
			}
			names += name
			bits |= 1 << bit
		}
	}
	if names != "" {
		m.addText("class", names, float64(bits))
	}
	m.add("controller", float64(f.Data[1]), "")
	m.add("protocol", float64(f.Data[2]), "")
}
