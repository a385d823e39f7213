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

// decodeBatteryBus reads lynxsim's private battery-bus frames; it reports false for frames of
// other protocols.
func decodeBatteryBus(m *Message, f can.Frame) bool {
	msg, addr, ok := batbus.Split(f)
	if !ok {
		return false
	}
	m.Protocol = ProtoBatteryBus
	m.Source = addr
	m.Data = append(m.Data, payload(f)...)
	switch msg {
	case batbus.MsgAnnounce:
		m.Name = "Battery Announce"
		a, err := batbus.ParseAnnounce(f)
		if err != nil {
			m.Err = err.Error()
			return true
		}
		m.addText("serial", a.SerialString(), float64(a.Serial))
		m.add("product", float64(a.Product), "")
	case batbus.MsgAssign:
		m.Name = "Battery Assign"
		a, err := batbus.ParseAssign(f)
		if err != nil {
			m.Err = err.Error()
			return true
		}
		m.add("serial", float64(a.Serial), "")
		m.add("address", float64(a.Address), "")
	case batbus.MsgStatus:
		m.Name = "Battery Status"
		s, err := batbus.ParseStatus(f)
		if err != nil {
			m.Err = err.Error()
			return true
		}
		m.add("voltage", float64(s.Centivolts)/100, "V")
		m.add("current", float64(s.Deciamps)/10, "A")
		m.add("soc", float64(s.SOCHundredths)/100, "%")
	case batbus.MsgExtremes:
		m.Name = "Battery Cells"
		c, err := batbus.ParseExtremes(f)
		if err != nil {
			m.Err = err.Error()
			return true
		}
		m.add("minCellVoltage", float64(c.MinMillivolts)/1000, "V")
		m.add("maxCellVoltage", float64(c.MaxMillivolts)/1000, "V")
		m.add("minCellTemperature", float64(c.MinDeciCelsius)/10, "C")
		m.add("maxCellTemperature", float64(c.MaxDeciCelsius)/10, "C")
	default:
		m.Name = "Battery bus 0x" + strconv.FormatUint(uint64(msg), 16)
		m.Err = "unknown battery-bus message"
	}
	return true
}

// Error classes of a SocketCAN error frame's identifier (linux/can/error.h).
var errorClasses = [...]string{
	"tx-timeout", "lost-arbitration", "controller", "protocol-violation",
	"transceiver", "no-ack", "bus-off", "bus-error", "restarted",
}

// decodeErrorFrame names the error classes set in an error frame.
func decodeErrorFrame(m *Message, f can.Frame) {
	m.Protocol = ProtoErrorFrame
	m.Name = "Error Frame"
	m.Data = append(m.Data, payload(f)...)
	class := f.ID &^ canbus.ErrFlag
	for bit, name := range errorClasses {
		if class&(1<<bit) != 0 {
			m.addText("class", name, float64(uint32(1)<<bit))
		}
	}
	m.add("controller", float64(f.Data[1]), "")
	m.add("protocol", float64(f.Data[2]), "")
}
