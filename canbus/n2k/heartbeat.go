package n2k

import (
	"encoding/binary"
	"strconv"
	"time"

	"go.einride.tech/can"
)

// PGN 126993 Heartbeat: a single frame, priority 7, every 60 000 ms (protocol.md §1.2 and §2.6;
// S1 126993-heartbeat.yaml `type: Single`, `priority: 7`, `interval: 60000`).
const (
	PGNHeartbeat      PGN   = 126993
	HeartbeatPriority uint8 = 7
	// HeartbeatInterval is the default transmission interval (S1 yaml `interval: 60000`).
	HeartbeatInterval = 60 * time.Second
)

// HeartbeatOffsetNotAvailable stands for the raw offsets 0xFFFF ("Do not change offset", S1
// yaml) and 0xFFFE (error; protocol.md §1.3): no duration.
const HeartbeatOffsetNotAvailable time.Duration = -1

// heartbeatOffsetMax is the largest offset a uint16 of milliseconds carries as a value: two below
// the top, the top two being "not available" and "error" (protocol.md §1.3, S1 fieldtypes.yaml).
const heartbeatOffsetMax = 0xFFFD * time.Millisecond

// ControllerState is the state of a CAN controller as ISO 11898-1 defines it (S1 lookup
// CONTROLLER_STATE, 2 bits).
type ControllerState uint8

// The controller states. 3 is the 2-bit "not available".
const (
	ControllerErrorActive  ControllerState = 0
	ControllerErrorPassive ControllerState = 1
	ControllerBusOff       ControllerState = 2
	ControllerNotAvailable ControllerState = 3
)

func (s ControllerState) String() string {
	switch s {
	case ControllerErrorActive:
		return "Error Active"
	case ControllerErrorPassive:
		return "Error Passive"
	case ControllerBusOff:
		return "Bus Off"
	case ControllerNotAvailable:
		return "Not Available"
	}
	return "ControllerState(" + strconv.Itoa(int(s)) + ")"
}

// EquipmentStatus is the equipment status of a heartbeat (S1 lookup EQUIPMENT_STATUS, 2 bits).
type EquipmentStatus uint8

// The equipment states. 2 has no meaning in S1; 3 is the 2-bit "not available".
const (
	EquipmentOperational  EquipmentStatus = 0
	EquipmentFault        EquipmentStatus = 1
	EquipmentNotAvailable EquipmentStatus = 3
)

func (s EquipmentStatus) String() string {
	switch s {
	case EquipmentOperational:
		return "Operational"
	case EquipmentFault:
		return "Fault"
	case EquipmentNotAvailable:
		return "Not Available"
	}
	return "EquipmentStatus(" + strconv.Itoa(int(s)) + ")"
}

// Heartbeat is PGN 126993. The layout follows S1 126993-heartbeat.yaml bit for bit:
//
//	bytes 0–1   Data transmit offset, uint16, 1 ms (DURATION_UFIX16_MS, resolution 0.001 s)
//	byte  2     Sequence Counter
//	byte  3     bits 0–1 Controller 1 State, bits 2–3 Controller 2 State, bits 4–5 Equipment
//	            Status, bits 6–7 reserved
//	bytes 4–7   reserved (34 reserved bits in all), sent as 1s (S1 fieldtypes.yaml RESERVED)
//
// In practice the offset field carries the node's heartbeat interval: the canboat samples read
// 60.000 s, 6.000 s and 0.060 s, and the yaml's explanation says field 1 "reflects the PGN's
// current Transmission Interval". canboat's own responder (crates/canboat-io nmea_responder.rs)
// writes the interval in 10 ms units instead; that contradicts its database and its samples
// (0xEA60 = 60 000 read as 60.000 s), so the 1 ms of the yaml is used here.
type Heartbeat struct {
	// TransmitOffset is in whole milliseconds, 0 to 65.533 s; HeartbeatOffsetNotAvailable (any
	// negative value when encoding) stands for "not available". Longer offsets are sent as
	// 65.533 s; sub-millisecond parts are rounded.
	TransmitOffset time.Duration
	Sequence       uint8
	Controller1    ControllerState
	Controller2    ControllerState
	Equipment      EquipmentStatus
}

// NewHeartbeat returns the heartbeat of a healthy node with one CAN controller: the default
// interval, controller 1 error-active, controller 2 not available, equipment operational: what
// every S1 126993 sample shows (byte 3 = 0xCC or 0x0C).
func NewHeartbeat(sequence uint8) Heartbeat {
	return Heartbeat{
		TransmitOffset: HeartbeatInterval,
		Sequence:       sequence,
		Controller1:    ControllerErrorActive,
		Controller2:    ControllerNotAvailable,
		Equipment:      EquipmentOperational,
	}
}

// NextHeartbeatSequence returns the sequence counter after s. It counts 0 to 252 and wraps, as
// canboat's node does (S1 crates/canboat-io/src/device/socketcan.rs heartbeat_seq); the
// documents give no rule of their own, and 252 keeps clear of the uint8 "not available" and
// "error" values (protocol.md §1.3).
func NextHeartbeatSequence(s uint8) uint8 {
	if s >= 252 {
		return 0
	}
	return s + 1
}

// Frame encodes h as sent by source, to everyone.
func (h Heartbeat) Frame(source uint8) can.Frame {
	f := can.Frame{
		ID:         ID{Priority: HeartbeatPriority, PGN: PGNHeartbeat, Source: source, Destination: Broadcast}.CANID(),
		IsExtended: true,
		Length:     8,
		Data:       can.Data{0, 0, h.Sequence, 0xC0, 0xFF, 0xFF, 0xFF, 0xFF},
	}
	offset := uint16(0xFFFF)
	if h.TransmitOffset >= 0 {
		offset = uint16(min(h.TransmitOffset, heartbeatOffsetMax).Round(time.Millisecond) / time.Millisecond)
	}
	binary.LittleEndian.PutUint16(f.Data[0:2], offset)
	f.Data[3] |= byte(h.Controller1&3) | byte(h.Controller2&3)<<2 | byte(h.Equipment&3)<<4
	return f
}

// ParseHeartbeat decodes a PGN 126993 frame, which has 8 bytes (S1 yaml, 64 bits of fields).
// Reserved bits are not checked.
func ParseHeartbeat(f can.Frame) (Heartbeat, error) {
	if _, err := parseData(f, PGNHeartbeat, 8, 8); err != nil {
		return Heartbeat{}, err
	}
	offset := HeartbeatOffsetNotAvailable
	if raw := binary.LittleEndian.Uint16(f.Data[0:2]); raw <= 0xFFFD {
		offset = time.Duration(raw) * time.Millisecond
	}
	return Heartbeat{
		TransmitOffset: offset,
		Sequence:       f.Data[2],
		Controller1:    ControllerState(f.Data[3] & 3),
		Controller2:    ControllerState(f.Data[3] >> 2 & 3),
		Equipment:      EquipmentStatus(f.Data[3] >> 4 & 3),
	}, nil
}
