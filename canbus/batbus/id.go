package batbus

import (
	"strconv"
	"time"

	"go.einride.tech/can"
)

// Bus facts (design decisions of lynxsim, docs/battery-bus.md §2).
const (
	// Bitrate of the battery bus. 250 kbit/s carries a bank of 64 batteries of 16 cells at
	// about half load (docs/battery-bus.md §9) over the tens of metres a large bank spans.
	Bitrate = 250_000
	// Length is the data length of every frame of the protocol.
	Length = 8
	// Tag marks the protocol in bits 16–28 of every identifier.
	Tag = 0x0B1
	// ProtocolVersion is the version of the protocol this package speaks; Describe carries it.
	ProtocolVersion = 1
)

// Message is the message code in bits 8–15 of an identifier. Lower codes win arbitration: the
// master's messages come first, then the batteries' answers, measurements, and last the
// announcements of unassigned batteries, which must not delay a running bank.
type Message uint8

// The messages of protocol v1 (docs/battery-bus.md §4–§7).
const (
	// Master → batteries: the address byte is the destination.
	MsgAssign     Message = 0x01 // to all: the battery with this serial takes this address
	MsgRelease    Message = 0x02 // to one or all: forget your address and announce again
	MsgCommand    Message = 0x03 // to one or all: do something
	MsgHeartbeat  Message = 0x04 // to all, every second: the master is alive
	MsgUpdateData Message = 0x05 // to one: 8 bytes of a firmware image block

	// Batteries → master: the address byte is the sender.
	MsgCommandAck   Message = 0x08 // the result of a command addressed to this battery
	MsgAssignAck    Message = 0x09 // I took the address (from the new address)
	MsgStatus       Message = 0x10 // every 500 ms: voltage, current, SOC, status bits
	MsgExtremes     Message = 0x11 // every 500 ms: lowest and highest cell voltage and temperature
	MsgCellVoltages Message = 0x12 // every second: every cell voltage, 3 per frame
	MsgTemperatures Message = 0x13 // every second: every cell temperature sensor, 3 per frame
	MsgTerminals    Message = 0x14 // every second: terminal temperatures
	MsgEnvironment  Message = 0x15 // every 5 s: humidity, leakage, fan, self-test, faults, SOH
	MsgIdentity     Message = 0x20 // every 5 s: who holds this address
	MsgDescribe     Message = 0x21 // after every Announce, after AssignAck and on request
	MsgFirmware     Message = 0x22 // after AssignAck and on request: versions, processor
	MsgAnnounce     Message = 0x30 // every 500 ms while unassigned, from a temporary address
)

// String returns the message's name, e.g. "Status", or "message(0x42)".
func (m Message) String() string {
	if s := specs[m]; s != nil {
		return s.Name
	}
	return "message(0x" + strconv.FormatUint(uint64(m), 16) + ")"
}

// Addresses (the low byte of an identifier).
const (
	// MasterAddress is the master's own address. No v1 identifier carries it (the address byte
	// names the battery a frame comes from or goes to); it is reserved so that no battery ever
	// takes it, and the DBC lists every message with it as the "any address" placeholder.
	MasterAddress uint8 = 0x00
	// FirstAddress to MaxBatteries are the addresses the master assigns.
	FirstAddress uint8 = 1
	MaxBatteries       = 64
	// FirstTemporary to LastTemporary are the temporary addresses unassigned batteries send
	// from (TemporaryAddress).
	FirstTemporary uint8 = 0x80
	LastTemporary  uint8 = 0xFE
	// Broadcast addresses every battery.
	Broadcast uint8 = 0xFF
	// Unassigned is what an API returns for a battery that holds no assigned address. It is the
	// number of Broadcast and never an address a frame comes from.
	Unassigned = Broadcast
)

// Timing (design decisions, docs/battery-bus.md §8).
const (
	AnnouncePeriod = 500 * time.Millisecond
	StatusPeriod   = 500 * time.Millisecond
	ExtremesPeriod = 500 * time.Millisecond
	// CellVoltagesPeriod and TemperaturesPeriod are the periods of the detail messages when
	// the master's Heartbeat sets no longer one (DetailPeriod).
	CellVoltagesPeriod = time.Second
	TemperaturesPeriod = time.Second
	TerminalsPeriod    = time.Second
	EnvironmentPeriod  = 5 * time.Second
	IdentityPeriod     = 5 * time.Second
	HeartbeatPeriod    = time.Second

	// HeartbeatTimeout: a battery that hears no Heartbeat for this long considers the master
	// lost (three heartbeats missed), sets StatusCommTimeout and goes to its safe state.
	HeartbeatTimeout = 3 * time.Second
	// StatusTimeout: a master that hears no Status from an assigned battery for this long
	// considers the battery lost (four periods missed).
	StatusTimeout = 2 * time.Second
	// AssignAckTimeout and AssignRetries: the master repeats an Assign that is not acknowledged
	// within the timeout, at most AssignRetries times.
	AssignAckTimeout = time.Second
	AssignRetries    = 3
	// CommandAckTimeout and CommandRetries: the same for a Command addressed to one battery. A
	// retry carries the same Tag, so that the battery recognises it and does not act twice.
	CommandAckTimeout = 500 * time.Millisecond
	CommandRetries    = 3
	// UpdateAckTimeout replaces CommandAckTimeout for the firmware-update commands, which may
	// erase or write flash before they answer.
	UpdateAckTimeout = 2 * time.Second
	// UpdateIdleTimeout: a battery that receives no update frame for this long during an update
	// aborts it.
	UpdateIdleTimeout = 30 * time.Second
	// ResponseTime is the longest a battery may take to answer an Assign with AssignAck, and to
	// send its first Status and Extremes after it.
	ResponseTime = 100 * time.Millisecond
	// ShutdownDelay is how long after acknowledging CmdShutdown a battery powers down.
	ShutdownDelay = time.Second
	// UpdateBlockSize is the size of a firmware block: 32 UpdateData frames.
	UpdateBlockSize = 256
)

// ID builds the identifier of msg from or to address addr: Tag in bits 16–28, msg in bits 8–15,
// addr in bits 0–7.
func ID(msg Message, addr uint8) uint32 { return Tag<<16 | uint32(msg)<<8 | uint32(addr) }

// Split reads an identifier. It reports false for frames that are not of this protocol: not
// extended, remote, or without Tag.
func Split(f can.Frame) (msg Message, addr uint8, ok bool) {
	if !f.IsExtended || f.IsRemote || f.ID>>16 != Tag {
		return 0, 0, false
	}
	return Message(f.ID >> 8), uint8(f.ID), true
}

// CRC16 is CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final
// XOR; CRC16([]byte("123456789")) is 0x29B1. It protects firmware blocks and images, and derives
// the temporary addresses of later attempts. Continue a CRC over more data with
// CRC16Update(crc, more).
func CRC16(data []byte) uint16 { return CRC16Update(0xFFFF, data) }

// CRC16Update continues crc over data.
func CRC16Update(crc uint16, data []byte) uint16 {
	for _, b := range data {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// serialBytes is the serial as it goes on the wire: the two prefix letters, then the number
// little-endian.
func serialBytes(prefix [2]byte, serial uint32) [6]byte {
	return [6]byte{prefix[0], prefix[1], byte(serial), byte(serial >> 8), byte(serial >> 16), byte(serial >> 24)}
}

// TemporaryAddress is the address an unassigned battery sends from (design decision), in
// 0x80–0xFE: at attempt 0, 0x80 + serial mod 127, so that the batteries of a bank of consecutive
// serials (one production batch) never share one; at attempt k > 0, 0x80 + CRC16(the 6 serial
// bytes as Announce carries them, then k) mod 127. A battery that hears an Announce from its own
// temporary address with another serial, and whose serial is the greater (CompareSerials), moves
// on to the next attempt (docs/battery-bus.md §5.2). Random serials still share: 64 batteries in
// about 16 pairs (64·63/2/127), which is why the rule exists.
func TemporaryAddress(prefix [2]byte, serial uint32, attempt uint8) uint8 {
	if attempt == 0 {
		return FirstTemporary + uint8(serial%127)
	}
	b := serialBytes(prefix, serial)
	crc := CRC16Update(CRC16(b[:]), []byte{attempt})
	return FirstTemporary + uint8(crc%127)
}

// AnnounceOffset is the phase of a battery's announcements within AnnouncePeriod (design
// decision): (serial mod 50) × 10 ms, so that batteries powered up together do not announce in
// step, and a batch of consecutive serials spreads evenly over the period.
func AnnounceOffset(serial uint32) time.Duration {
	return time.Duration(serial%50) * 10 * time.Millisecond
}

// CompareSerials orders two serials: by prefix, then by number. It returns -1, 0 or +1.
func CompareSerials(prefixA [2]byte, serialA uint32, prefixB [2]byte, serialB uint32) int {
	a := uint64(prefixA[0])<<40 | uint64(prefixA[1])<<32 | uint64(serialA)
	b := uint64(prefixB[0])<<40 | uint64(prefixB[1])<<32 | uint64(serialB)
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// FormatSerial writes a serial as its prefix and 9 digits, e.g. "HQ174600001".
func FormatSerial(prefix [2]byte, serial uint32) string {
	s := strconv.FormatUint(uint64(serial), 10)
	for len(s) < 9 {
		s = "0" + s
	}
	return string(prefix[:]) + s
}
