package vecan

import (
	"encoding/binary"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/n2k"
)

// VREG transport (protocol.md §3.1, S2 p.17, S7): PGN 61184 at priority 7, data bytes 0–1 0x66
// 0x99 (Victron's manufacturer tag, 358 | marine), 2–3 the register id, then the value, all
// little-endian, the frame padded with 0xFF to 8 bytes as velib does.
const (
	PGNVREG      n2k.PGN = 61184
	VREGPriority uint8   = 7
)

// Register is a VREG register id.
type Register uint16

// The registers the provisional master of this slice sends (protocol.md §3.3, S2 p.17-20, S3).
// The full table with types, periods and firmware versions comes with the wire issue.
const (
	RegSOC          Register = 0x0FFF // VE_REG_SOC, un16 0.01 %, 0xFFFF not available
	RegLynxIonState Register = 0x0371 // VE_REG_LYNX_ION_BMS_STATE, un8
)

// VREG is one register frame: a value of up to four bytes.
type VREG struct {
	Register Register
	Value    uint32 // little-endian on the wire, Size bytes of it
	Size     uint8  // 1, 2 or 4
}

// Frame encodes v from source to destination (n2k.Broadcast for a broadcast).
func (v VREG) Frame(source, destination uint8) can.Frame {
	f := can.Frame{
		ID:         n2k.ID{Priority: VREGPriority, PGN: PGNVREG, Source: source, Destination: destination}.CANID(),
		IsExtended: true,
		Length:     8,
		Data:       can.Data{0x66, 0x99, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF},
	}
	binary.LittleEndian.PutUint16(f.Data[2:4], uint16(v.Register))
	for i := range min(v.Size, 4) {
		f.Data[4+i] = byte(v.Value >> (8 * i))
	}
	return f
}

// ParseVREG decodes a PGN 61184 frame that carries the Victron tag. It reports false for other
// manufacturers' frames and frames too short to hold a register id or longer than CAN allows. The value is the four bytes
// after the id as they stand (padding included); the register table knows its size.
func ParseVREG(f can.Frame) (VREG, bool) {
	if f.Length < 4 || f.Length > 8 || f.Data[0] != 0x66 || f.Data[1] != 0x99 {
		return VREG{}, false
	}
	v := VREG{Register: Register(binary.LittleEndian.Uint16(f.Data[2:4]))}
	for i := uint8(0); i < 4 && 4+i < f.Length; i++ {
		v.Value |= uint32(f.Data[4+i]) << (8 * i)
		v.Size++
	}
	return v, true
}
