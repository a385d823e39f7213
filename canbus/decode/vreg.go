package decode

import (
	"encoding/binary"
	"math"
	"strconv"
	"sync"

	"github.com/lynxsim/lynxsim/canbus/n2k"
	"github.com/lynxsim/lynxsim/canbus/vecan"
)

// VREG ids of the transport itself (protocol.md §3.2, S7 reg_rx.c).
const (
	regRequest vecan.Register = 0x0001
	regAck     vecan.Register = 0x0002
)

// vregNames caches "VREG 0x0FFF VE_REG_SOC" per register, so that naming a message does not
// allocate.
var vregNames = sync.OnceValue(func() map[vecan.Register]string {
	names := map[vecan.Register]string{}
	for _, r := range vecan.Registers() {
		names[r.ID] = "VREG " + hexReg(r.ID) + " " + r.Name
	}
	return names
})

func hexReg(r vecan.Register) string {
	s := strconv.FormatUint(uint64(r), 16)
	for len(s) < 4 {
		s = "0" + s
	}
	return "0x" + toUpper(s)
}

func toUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// decodeVREG reads a Victron register frame (PGN 61184, or the fast-packet PGN 126720 for long
// registers): requests, acknowledgements, and register values through the register table.
func decodeVREG(m *Message, id n2k.ID) {
	m.Protocol = ProtoVREG
	data := m.Data
	if len(data) < 4 || data[0] != 0x66 || data[1] != 0x99 {
		// PGN 61184 is proprietary: other manufacturers use it too.
		m.Protocol = ProtoN2K
		m.Name = "Proprietary 61184"
		m.Err = "not a Victron register frame"
		return
	}
	reg := vecan.Register(binary.LittleEndian.Uint16(data[2:4]))
	m.Register = uint16(reg)
	value := data[4:]
	var raw uint32
	for i := 0; i < len(value) && i < 4; i++ {
		raw |= uint32(value[i]) << (8 * i)
	}
	m.Raw = raw
	switch reg {
	case regRequest:
		m.Name = "VREG Request"
		m.addText("register", vregLabel(vecan.Register(raw)), float64(uint16(raw)))
		m.add("mask", float64(raw>>16), "")
		return
	case regAck:
		m.Name = "VREG Ack"
		m.addText("register", vregLabel(vecan.Register(raw)), float64(uint16(raw)))
		code := vecan.AckCode(raw >> 16)
		m.addText("code", code.String(), float64(code))
		return
	}
	info, ok := vecan.LookupRegister(reg)
	if !ok {
		m.Name = "VREG " + hexReg(reg)
		m.Err = "register not known to lynxsim"
		return
	}
	m.Name = vregNames()[reg]
	switch info.Type {
	case vecan.String:
		m.addText("value", cString(value), 0)
	case vecan.Un16Pair:
		lo, hi, _ := info.PhysicalPair(raw)
		m.addNA("min", lo, info.Unit, math.IsNaN(lo))
		m.addNA("max", hi, info.Unit, math.IsNaN(hi))
	case vecan.Un8, vecan.Un16, vecan.Sn16, vecan.Un32, vecan.Sn32:
		if len(value) < info.Size() {
			m.Err = "value shorter than the register"
			return
		}
		if info.Flags {
			m.addText("value", info.Format(raw), float64(raw&mask(info.Size())))
			return
		}
		v, ok := info.Physical(raw)
		m.addNA("value", v, info.Unit, !ok)
	default:
		m.addText("value", info.Format(raw), float64(raw))
	}
}

func mask(size int) uint32 { return uint32(1)<<(8*uint32(size)) - 1 }

func vregLabel(r vecan.Register) string {
	if name, ok := vregNames()[r]; ok {
		return name[len("VREG "):]
	}
	return hexReg(r)
}

// cString reads a zero-ended string, stopping at the first 0x00 or 0xFF padding byte.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 || c == 0xFF {
			return string(b[:i])
		}
	}
	return string(b)
}
