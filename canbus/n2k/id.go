package n2k

import "fmt"

// PGN is a parameter group number: 18 bits, data page included.
type PGN uint32

// Addresses with a meaning of their own (protocol.md §1.2, S15).
const (
	Broadcast  uint8 = 0xFF // destination of PDU2 messages and of broadcast PDU1 messages
	NullSource uint8 = 0xFE // "cannot claim": the source of a node that lost its address
)

// ID is the content of an NMEA 2000 29-bit CAN identifier. The layout is protocol.md §1.2 (S1
// canboat common/common.c getISO11783BitsFromCanId and getCanIdFromISO11783Bits; S2 p.11).
type ID struct {
	Priority    uint8 // 0 (highest) to 7
	PGN         PGN
	Source      uint8
	Destination uint8 // Broadcast for PDU2 PGNs
}

// PDU1 reports whether p is destination-addressed: its PDU format byte is below 240, so the low
// byte of the identifier carries a destination address rather than part of the PGN.
func (p PGN) PDU1() bool { return (p>>8)&0xFF < 240 }

// CANID encodes id as a 29-bit identifier: priority in bits 26–28, R/DP in 24–25, PDU format in
// 16–23, PDU specific (destination for PDU1, group extension for PDU2) in 8–15, source in 0–7.
func (id ID) CANID() uint32 {
	u := uint32(id.Priority&7)<<26 | uint32(id.PGN&0x3FF00)<<8 | uint32(id.Source)
	if id.PGN.PDU1() {
		u |= uint32(id.Destination) << 8
	} else {
		u |= uint32(id.PGN&0xFF) << 8
	}
	return u
}

// ParseCANID decodes a 29-bit identifier. For PDU1 PGNs the destination comes from the PDU
// specific byte and the PGN's low byte is zero; for PDU2 the destination is Broadcast.
func ParseCANID(u uint32) ID {
	id := ID{
		Priority: uint8(u>>26) & 7,
		PGN:      PGN(u>>8) & 0x3FFFF,
		Source:   uint8(u),
	}
	if id.PGN.PDU1() {
		id.Destination = uint8(id.PGN)
		id.PGN &^= 0xFF
	} else {
		id.Destination = Broadcast
	}
	return id
}

func (id ID) String() string {
	return fmt.Sprintf("pgn %d prio %d src %d dst %d", id.PGN, id.Priority, id.Source, id.Destination)
}
