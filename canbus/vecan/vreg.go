package vecan

import (
	"encoding/binary"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/n2k"
)

// VREG transport (protocol.md §3.1, S2 p.17, S7): PGN 61184 at priority 7, data bytes 0–1 0x66
// 0x99 (Victron's manufacturer tag, 358 | marine), 2–3 the register id, then the value, all
// little-endian, the frame always 8 bytes long.
//
// Registers longer than four bytes (strings) travel as a fast packet on PGN 126720 (0x1EF00, data
// page 1) with the same tag and register id in front (protocol.md §3.1, S7 reg_tx_fp.c
// veRegPrepareFp: priority 7, addressed like 61184).
const (
	PGNVREG      n2k.PGN = 61184
	PGNVREGLong  n2k.PGN = 126720
	VREGPriority uint8   = 7
)

// Padding of the bytes after a value shorter than four bytes. Frame pads with 0xFF, the NMEA 2000
// rule for single frames (S7 ve_ostream_n2k.c veOutPadding: "padded with reserved 1's"). velib's
// register broadcaster pads VREG values with 0x00 instead (S7 reg_prod.c veRegPadding, called by
// veRegProdSfSend before the frame goes out), and the one real capture of a short value shows
// exactly that: reg 0x2002 f8 04 00 00 (S1 victron-61184-vreg.raw, protocol.md §3.1 and §8 item 3).
// Server and Publisher therefore pad with PadBroadcast unless told otherwise.
const (
	PadReserved  byte = 0xFF
	PadBroadcast byte = 0x00
)

// Register is a VREG register id.
type Register uint16

// VREG is one register frame: a value of up to four bytes.
type VREG struct {
	Register Register
	Value    uint32 // little-endian on the wire, Size bytes of it
	Size     uint8  // 1, 2 or 4
}

// Frame encodes v from source to destination (n2k.Broadcast for a broadcast), padded with
// PadReserved.
func (v VREG) Frame(source, destination uint8) can.Frame {
	return v.FramePadded(source, destination, PadReserved)
}

// FramePadded encodes v like Frame, filling the bytes after the value with pad.
func (v VREG) FramePadded(source, destination uint8, pad byte) can.Frame {
	f := can.Frame{
		ID:         n2k.ID{Priority: VREGPriority, PGN: PGNVREG, Source: source, Destination: destination}.CANID(),
		IsExtended: true,
		Length:     8,
		Data:       can.Data{victronTagLo, victronTagHi, 0, 0, pad, pad, pad, pad},
	}
	binary.LittleEndian.PutUint16(f.Data[2:4], uint16(v.Register))
	for i := range min(v.Size, 4) {
		f.Data[4+i] = byte(v.Value >> (8 * i))
	}
	return f
}

// Victron's manufacturer tag in bytes 0–1 of every VREG: LE 0x9966 = manufacturer 358 (11 bits),
// reserved 0b11, industry 4 "marine" (3 bits) (protocol.md §3.1, S1 061184-victronVeCanRegister.yaml,
// S7 N2K_MAN_TAG_VICTRON).
const (
	victronTagLo byte = 0x66
	victronTagHi byte = 0x99
)

// AppendLongPayload appends the PGN 126720 payload of a long register to dst: 0x66 0x99, the
// register id little-endian, then value as it stands (S7 veRegPrepareFp). Framing the payload into
// fast-packet frames is canbus/n2k's job. It does not allocate when dst has room.
func AppendLongPayload(dst []byte, reg Register, value []byte) []byte {
	dst = append(dst, victronTagLo, victronTagHi, byte(reg), byte(reg>>8))
	return append(dst, value...)
}

// ParseLongPayload splits a reassembled PGN 126720 payload into register id and value. It reports
// false without the Victron tag or a register id. value aliases payload.
func ParseLongPayload(payload []byte) (reg Register, value []byte, ok bool) {
	if len(payload) < 4 || payload[0] != victronTagLo || payload[1] != victronTagHi {
		return 0, nil, false
	}
	return Register(binary.LittleEndian.Uint16(payload[2:4])), payload[4:], true
}

// ParseVREG decodes a PGN 61184 frame that carries the Victron tag. It reports false for other
// manufacturers' frames and frames too short to hold a register id or longer than CAN allows. The value is the four bytes
// after the id as they stand (padding included); the register table knows its size.
func ParseVREG(f can.Frame) (VREG, bool) {
	if f.Length < 4 || f.Length > 8 || f.Data[0] != victronTagLo || f.Data[1] != victronTagHi {
		return VREG{}, false
	}
	v := VREG{Register: Register(binary.LittleEndian.Uint16(f.Data[2:4]))}
	for i := uint8(0); i < 4 && 4+i < f.Length; i++ {
		v.Value |= uint32(f.Data[4+i]) << (8 * i)
		v.Size++
	}
	return v, true
}
