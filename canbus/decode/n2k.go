package decode

import (
	"math"
	"strconv"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/n2k"
	"github.com/lynxsim/lynxsim/canbus/vecan"
)

// fastState reassembles fast packets, one reassembler per interface so that two buses in one log
// never mix.
type fastState struct {
	ifaces []string
	reasm  []*n2k.Reassembler
}

func (s *fastState) for_(iface string) *n2k.Reassembler {
	for i, name := range s.ifaces {
		if name == iface {
			return s.reasm[i]
		}
	}
	s.ifaces = append(s.ifaces, iface)
	r := n2k.NewReassembler(n2k.DefaultFastTimeout)
	s.reasm = append(s.reasm, r)
	return r
}

// FastStats returns the fast-packet reassembly counters summed over the interfaces: every
// counter, so that both ledgers of n2k.ReassemblerStats balance for the sum too.
func (d *Decoder) FastStats() n2k.ReassemblerStats {
	var sum n2k.ReassemblerStats
	for _, r := range d.fast.reasm {
		st := r.Stats()
		sum.Frames += st.Frames
		sum.Ignored += st.Ignored
		sum.BadLength += st.BadLength
		sum.Oversize += st.Oversize
		sum.Repeated += st.Repeated
		sum.Orphans += st.Orphans
		sum.Accepted += st.Accepted
		sum.Started += st.Started
		sum.Completed += st.Completed
		sum.LostFrame += st.LostFrame
		sum.OutOfOrder += st.OutOfOrder
		sum.SequenceChange += st.SequenceChange
		sum.Timeout += st.Timeout
		sum.Evicted += st.Evicted
		sum.InProgress += st.InProgress
	}
	return sum
}

// epoch anchors reassembly timeouts: log time since the first frame of the decoder.
func (d *Decoder) since(t time.Time) time.Duration {
	if d.first.IsZero() {
		d.first = t
	}
	return t.Sub(d.first)
}

// decodeN2K reads a 29-bit frame as NMEA 2000. It reports false while a fast packet is still
// incomplete.
func (d *Decoder) decodeN2K(m *Message, r canbus.Record, f can.Frame) bool {
	id := n2k.ParseCANID(f.ID)
	m.Protocol = ProtoN2K
	m.PGN, m.Priority, m.Source, m.Destination = uint32(id.PGN), id.Priority, id.Source, id.Destination
	data := payload(f)
	if n2k.IsFast(id.PGN) {
		msg, ok := d.fast.for_(r.Interface).Add(d.since(r.Time), f)
		if !ok {
			return false
		}
		data = msg.Payload
	}
	m.Data = append(m.Data, data...)
	switch id.PGN {
	case vecan.PGNBatteryStatus:
		m.Name = "Battery Status"
		s, ok := vecan.ParseBatteryStatus(f)
		if !ok {
			m.Err = "want 8 data bytes"
			return true
		}
		m.add("instance", float64(s.Instance), "")
		m.addNA("voltage", s.Volts, "V", math.IsNaN(s.Volts))
		m.addNA("current", s.Amps, "A", math.IsNaN(s.Amps))
		m.addNA("temperature", s.Kelvin, "K", math.IsNaN(s.Kelvin))
		m.addNA("sid", float64(s.SequenceID), "", !s.SequenceIDUsed)
	case vecan.PGNDCDetailedStatus:
		m.Name = "DC Detailed Status"
		s, ok := vecan.ParseDCDetailedStatus(m.Data)
		if !ok {
			m.Err = "payload too short"
			return true
		}
		m.addNA("sid", float64(s.SID), "", s.SID == 0xFF)
		m.add("instance", float64(s.Instance), "")
		m.addNA("dcType", float64(s.DCType), "", s.DCType == 0xFF)
		m.addNA("stateOfCharge", s.SOCPercent, "%", math.IsNaN(s.SOCPercent))
		m.addNA("stateOfHealth", s.SOHPercent, "%", math.IsNaN(s.SOHPercent))
		m.addNA("timeRemaining", s.TimeRemaining.Minutes(), "min", s.TimeRemaining < 0)
		m.addNA("rippleVoltage", s.RippleVolts, "V", math.IsNaN(s.RippleVolts))
		m.addNA("remainingCapacity", s.RemainingAh, "Ah", math.IsNaN(s.RemainingAh))
	case vecan.PGNProductInformation:
		m.Name = "Product Information"
		p, ok := vecan.ParseProductInformation(m.Data)
		if !ok {
			m.Err = "payload too short"
			return true
		}
		m.add("nmea2000Version", float64(p.NMEA2000Version)/1000, "")
		m.add("productCode", float64(p.ProductCode), "")
		m.addText("modelId", p.ModelID, 0)
		m.addText("softwareVersionCode", p.SoftwareVersion, 0)
		m.addText("modelVersion", p.ModelVersion, 0)
		m.addText("modelSerialCode", p.ModelSerial, 0)
	case n2k.PGNAddressClaim:
		m.Name = "ISO Address Claim"
		if f.Length != 8 {
			m.Err = "want 8 data bytes"
			return true
		}
		fl := n2k.NameFromBytes(f.Data).Fields()
		m.add("uniqueNumber", float64(fl.UniqueNumber), "")
		m.add("manufacturerCode", float64(fl.ManufacturerCode), "")
		m.add("deviceInstanceLower", float64(fl.DeviceInstanceLower), "")
		m.add("deviceInstanceUpper", float64(fl.DeviceInstanceUpper), "")
		m.add("deviceFunction", float64(fl.DeviceFunction), "")
		m.add("deviceClass", float64(fl.DeviceClass), "")
		m.add("systemInstance", float64(fl.SystemInstance), "")
		m.add("industryGroup", float64(fl.IndustryGroup), "")
	case n2k.PGNRequest:
		m.Name = "ISO Request"
		req, err := n2k.ParseRequest(f)
		if err != nil {
			m.Err = err.Error()
			return true
		}
		m.add("pgn", float64(req.PGN), "")
	case n2k.PGNAcknowledgement:
		m.Name = "ISO Acknowledgement"
		ack, err := n2k.ParseAck(f)
		if err != nil {
			m.Err = err.Error()
			return true
		}
		m.addText("control", ack.Control.String(), float64(ack.Control))
		m.add("groupFunction", float64(ack.GroupFunction), "")
		m.add("pgn", float64(ack.PGN), "")
	case n2k.PGNHeartbeat:
		m.Name = "Heartbeat"
		h, err := n2k.ParseHeartbeat(f)
		if err != nil {
			m.Err = err.Error()
			return true
		}
		m.addNA("dataTransmitOffset", h.TransmitOffset.Seconds(), "s", h.TransmitOffset < 0)
		m.add("sequenceCounter", float64(h.Sequence), "")
		m.addText("controller1State", h.Controller1.String(), float64(h.Controller1))
		m.addText("equipmentStatus", h.Equipment.String(), float64(h.Equipment))
	case vecan.PGNVREG, vecan.PGNVREGLong:
		decodeVREG(m, id)
	default:
		m.Name = "PGN " + strconv.FormatUint(uint64(id.PGN), 10)
		m.Err = "PGN not known to lynxsim"
	}
	return true
}
