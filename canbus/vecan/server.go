package vecan

import (
	"fmt"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/n2k"
)

// AckCode is the code of a VACK (register 0x0002): {un16 acknowledged register : un16 code}
// (protocol.md §3.2; S4/S6 velib vecan/regs.h VACK_*).
type AckCode uint16

// VACK codes (S4, S6).
const (
	AckOK           AckCode = 0x0000 // VACK_OK
	AckErrReq       AckCode = 0x8000 // VACK_ERR_REQ: erroneous request, register unknown
	AckErrCmd       AckCode = 0x8100 // VACK_ERR_CMD: erroneous command, register unknown (or value out of range)
	AckBusy         AckCode = 0x8200 // VACK_ERR_BUSY: temporary failure
	AckInvalid      AckCode = 0x8300 // VACK_ERR_INVALID: fatal error, invalid format
	AckTimeout      AckCode = 0x8400 // VACK_ERR_TIMEOUT: remote timeout
	AckOverflow     AckCode = 0x8500 // VACK_ERR_OVERFLOW: too many invalid requests
	AckInitializing AckCode = 0x8600 // VACK_ERR_INITIALIZING: not completely initialised yet
)

var ackNames = map[AckCode]string{
	AckOK: "OK", AckErrReq: "ERR_REQ", AckErrCmd: "ERR_CMD", AckBusy: "BUSY", AckInvalid: "INVALID",
	AckTimeout: "TIMEOUT", AckOverflow: "OVERFLOW", AckInitializing: "INITIALIZING",
}

func (c AckCode) String() string {
	if s, ok := ackNames[c]; ok {
		return fmt.Sprintf("0x%04X %s", uint16(c), s)
	}
	return fmt.Sprintf("0x%04X", uint16(c))
}

// IsError reports whether the code is a refusal (velib VACK_ERR: bit 15).
func (c AckCode) IsError() bool { return c&0x8000 != 0 }

// Store is what a device exposes through VREGs.
type Store interface {
	// Get gives the raw value of a register; ok=false: the device does not have it.
	Get(reg Register) (raw uint32, ok bool)
	// Set is called only for writable registers with in-range values; the store may still
	// refuse (an error AckCode). AckOK means the value is taken.
	Set(now time.Duration, reg Register, raw uint32) AckCode
}

// LongStore is what a Store also implements when it holds String registers. GetLong appends the
// value bytes as they go on the wire (velib stringZeroEnded[N] : un8 padding) to dst; SetLong is
// called only for writable String registers with at most MaxLength bytes.
type LongStore interface {
	GetLong(reg Register, dst []byte) ([]byte, bool)
	SetLong(now time.Duration, reg Register, value []byte) AckCode
}

// LongReply is an answer that needs a fast packet: the payload of PGN 126720 (AppendLongPayload
// layout), priority 7, from the server's address to Destination. Framing it is canbus/n2k's job.
type LongReply struct {
	Destination uint8
	Payload     []byte
}

// ServerStats counts what Handle did with the frames it was given.
type ServerStats struct {
	Requests uint64 // requests answered with at least one value
	Writes   uint64 // commands the store accepted

	// Refused counts the VACK errors sent, by cause.
	RefusedUnknownRequest uint64 // request for a register the device does not have: 0x8000
	RefusedUnknown        uint64 // command for a register not in the table: 0x8100
	RefusedReadOnly       uint64 // command for a read-only register: 0x8100
	RefusedRange          uint64 // command with an out-of-range value: 0x8100
	RefusedFormat         uint64 // command without all value bytes, or a String by single frame: 0x8300
	RefusedByStore        uint64 // command the store refused: its code

	// Ignored counts frames that got no answer, by cause.
	IgnoredNotVREG    uint64 // not an extended frame of PGN 61184 (11-bit, remote, other PGNs)
	IgnoredNotVictron uint64 // PGN 61184 without the Victron tag or a register id
	IgnoredBroadcast  uint64 // addressed to 255 (protocol.md §3.2: never answered)
	IgnoredOtherNode  uint64 // addressed to another node
	IgnoredAck        uint64 // a VACK addressed to us (velib never acknowledges an acknowledgement)
	IgnoredMalformed  uint64 // a request without its mask, or a source that cannot be answered
	IgnoredNoAddress  uint64 // we have no address (self is 254 or 255)
	NoLongStore       uint64 // String registers asked of a store without LongStore (so not held); not a frame count
}

// Refused is the number of VACK errors sent.
func (s ServerStats) Refused() uint64 {
	return s.RefusedUnknownRequest + s.RefusedUnknown + s.RefusedReadOnly + s.RefusedRange + s.RefusedFormat + s.RefusedByStore
}

// Ignored is the number of frames that got no answer.
func (s ServerStats) Ignored() uint64 {
	return s.IgnoredNotVREG + s.IgnoredNotVictron + s.IgnoredBroadcast + s.IgnoredOtherNode + s.IgnoredAck + s.IgnoredMalformed + s.IgnoredNoAddress
}

// Server answers VREG requests and commands for one device (protocol.md §3.2, S2 p.21, S7 reg_rx.c,
// reg_prod.c, reg_prod_cmd.c):
//
//   - A request (register 0x0001: {un16 reqReg, un16 mask}) addressed to us is answered with the
//     value broadcast to 255 when the device has it (S2 p.21: "Reply (is always broadcast)"), or
//     with VACK 0x8000 addressed to the requester (S2 p.21). A mask other than 0xFFFF asks for a
//     group: every register of Registers() that the table knows and the store holds, with
//     id & mask == reqReg, is broadcast in id order, exactly as S7 veRegProdSfReq compares
//     ((regId & mask) == reqReg, the requester having masked reqReg, S7 reg_tx_sf.c
//     veRegRequestMask). So a reqReg with bits outside the mask matches nothing. No match at all
//     gives VACK 0x8000 for reqReg.
//   - A command (addressed to us, any other register) writes: a register the table does not have,
//     and a read-only one, gets VACK 0x8100. Both get the same code because velib's command
//     handler only takes registers flagged V_WRITE (S7 reg_prod_cmd.c veRegProdCmdHandler); any
//     other command stays unhandled and reg_rx.c answers every unhandled command with
//     VACK_ERR_CMD ("erroneous command, register unknown", S4). A value outside the register's
//     range gets VACK 0x8100 and changes nothing (S7 veRegProdCmdSet "Check boundaries"). A frame
//     too short for the register's value gets VACK 0x8300 "invalid format" [I] (velib reads past
//     the end without checking). Otherwise Store.Set decides: on AckOK the new value is
//     broadcast (S7 handleResult → veRegProdSfReqVreg), any other code goes back as a VACK to the
//     sender. velib sends no VACK 0x0000 on success, the broadcast value is the answer; set
//     AckOnSuccess to also send one.
//   - Broadcast frames (to 255), frames to other addresses, VACKs, other PGNs, 11-bit frames
//     (changelog 1.16-01) and frames without the Victron tag are ignored and never answered
//     (protocol.md §3.2: "Commands are addressed, responses broadcasted"; answering broadcasts
//     is what flooded the bus in changelog 1.09-15).
//
// Replies per frame: a single request at most 1, a group request at most len(Registers()), a
// command at most 2 (the broadcast and, with AckOnSuccess, the VACK). String registers are
// answered with LongReplies instead of frames.
type Server struct {
	table func(Register) (RegisterInfo, bool)
	store Store
	long  LongStore // store as a LongStore, nil when it is not one

	// Padding fills value bytes after a value shorter than four bytes (PadBroadcast by default,
	// see PadBroadcast).
	Padding byte
	// AckOnSuccess sends VACK 0x0000 to the writer as well as the value broadcast.
	AckOnSuccess bool

	stats   ServerStats
	replies []LongReply
	buf     []byte
}

// NewServer serves store's registers as table describes them (LookupRegister, or TableFor a
// firmware version).
func NewServer(table func(Register) (RegisterInfo, bool), store Store) *Server {
	s := &Server{table: table, store: store, Padding: PadBroadcast}
	s.long, _ = store.(LongStore)
	return s
}

// Stats reports what Handle did so far.
func (s *Server) Stats() ServerStats { return s.stats }

// LongReplies gives the fast-packet answers of the last Handle or HandleLong call. The payloads
// stay valid until the next call.
func (s *Server) LongReplies() []LongReply { return s.replies }

// Handle takes one received frame and appends the answers, all sent from self, to dst. It does
// not allocate when dst has room (and, for String registers, after the first calls have grown the
// server's buffer).
func (s *Server) Handle(now time.Duration, self uint8, f can.Frame, dst []can.Frame) []can.Frame {
	s.replies, s.buf = s.replies[:0], s.buf[:0]
	if !f.IsExtended || f.IsRemote || f.ID > 0x1FFFFFFF {
		s.stats.IgnoredNotVREG++
		return dst
	}
	id := n2k.ParseCANID(f.ID)
	if id.PGN != PGNVREG {
		s.stats.IgnoredNotVREG++
		return dst
	}
	if !s.addressedToUs(self, id) {
		return dst
	}
	v, ok := ParseVREG(f)
	if !ok {
		s.stats.IgnoredNotVictron++
		return dst
	}
	switch v.Register {
	case RegRequest:
		if v.Size < 4 { // no mask: velib's stream reports an error and reg_rx.c returns
			s.stats.IgnoredMalformed++
			return dst
		}
		return s.request(self, id.Source, Register(v.Value), uint16(v.Value>>16), dst)
	case RegAck:
		s.stats.IgnoredAck++ // S7 reg_rx.c: "never nack and ack"
		return dst
	}
	return s.command(now, self, id.Source, v, dst)
}

// addressedToUs applies the addressing rules common to both PGNs, counting what it drops.
func (s *Server) addressedToUs(self uint8, id n2k.ID) bool {
	switch {
	case self >= n2k.NullSource: // without an address a node sends nothing but its claim
		s.stats.IgnoredNoAddress++
	case id.Destination == n2k.Broadcast:
		s.stats.IgnoredBroadcast++
	case id.Destination != self:
		s.stats.IgnoredOtherNode++
	case id.Source >= n2k.NullSource: // 254 cannot send, 255 is not a source: no one to answer
		s.stats.IgnoredMalformed++
	default:
		return true
	}
	return false
}

func (s *Server) request(self, from uint8, reqReg Register, mask uint16, dst []can.Frame) []can.Frame {
	n := len(dst)
	if mask == 0xFFFF {
		if info, ok := s.table(reqReg); ok {
			dst = s.appendValue(self, n2k.Broadcast, info, dst)
		}
	} else {
		for i := range registerTable {
			reg := registerTable[i].ID
			if uint16(reg)&mask != uint16(reqReg) {
				continue
			}
			if info, ok := s.table(reg); ok {
				dst = s.appendValue(self, n2k.Broadcast, info, dst)
			}
		}
	}
	if len(dst) == n && len(s.replies) == 0 {
		s.stats.RefusedUnknownRequest++
		return append(dst, AckFrame(self, from, reqReg, AckErrReq))
	}
	s.stats.Requests++
	return dst
}

// appendValue broadcasts the current value of a register the store holds, as a frame or, for a
// String register, as a long reply; a register the store lacks adds nothing.
func (s *Server) appendValue(self, to uint8, info RegisterInfo, dst []can.Frame) []can.Frame {
	if info.Type == String {
		if s.long == nil {
			s.stats.NoLongStore++
			return dst
		}
		start := len(s.buf)
		head := AppendLongPayload(s.buf, info.ID, nil)
		s.buf = head[:start] // keep the room it may have grown
		buf, ok := s.long.GetLong(info.ID, head)
		if !ok || len(buf) < start+4 {
			return dst
		}
		// A store that hands back more than the register holds is cut to its length.
		s.buf = buf[:min(len(buf), start+4+info.MaxLength)]
		s.replies = append(s.replies, LongReply{Destination: to, Payload: s.buf[start:]})
		return dst
	}
	raw, ok := s.store.Get(info.ID)
	if !ok {
		return dst
	}
	return append(dst, VREG{Register: info.ID, Value: raw & info.mask(), Size: uint8(info.Size())}.FramePadded(self, to, s.Padding))
}

func (s *Server) command(now time.Duration, self, from uint8, v VREG, dst []can.Frame) []can.Frame {
	info, ok := s.table(v.Register)
	switch {
	case !ok:
		s.stats.RefusedUnknown++
		return append(dst, AckFrame(self, from, v.Register, AckErrCmd))
	case !info.Writable:
		s.stats.RefusedReadOnly++
		return append(dst, AckFrame(self, from, v.Register, AckErrCmd))
	case info.Type == String || int(v.Size) < info.Size():
		s.stats.RefusedFormat++
		return append(dst, AckFrame(self, from, v.Register, AckInvalid))
	}
	raw := v.Value & info.mask()
	if !info.InRange(raw) {
		s.stats.RefusedRange++
		return append(dst, AckFrame(self, from, v.Register, AckErrCmd))
	}
	return s.result(self, from, info, s.store.Set(now, info.ID, raw), dst)
}

// result answers a write the way S7 reg_prod_cmd.c handleResult does.
func (s *Server) result(self, from uint8, info RegisterInfo, code AckCode, dst []can.Frame) []can.Frame {
	if code != AckOK {
		s.stats.RefusedByStore++
		return append(dst, AckFrame(self, from, info.ID, code))
	}
	s.stats.Writes++
	dst = s.appendValue(self, n2k.Broadcast, info, dst)
	if s.AckOnSuccess {
		dst = append(dst, AckFrame(self, from, info.ID, AckOK))
	}
	return dst
}

// HandleLong takes one reassembled fast packet of PGN 126720 (id as n2k parsed it) and answers a
// write of a String register, under the same rules as Handle: only addressed to us, VACK 0x8100
// for unknown or read-only registers, 0x8300 for a value longer than the register or a register
// that is not a String, and on AckOK the new value broadcast as a long reply. Requests and other
// frames on this PGN are ignored.
func (s *Server) HandleLong(now time.Duration, self uint8, id n2k.ID, payload []byte, dst []can.Frame) []can.Frame {
	s.replies, s.buf = s.replies[:0], s.buf[:0]
	if id.PGN != PGNVREGLong {
		s.stats.IgnoredNotVREG++
		return dst
	}
	if !s.addressedToUs(self, id) {
		return dst
	}
	reg, value, ok := ParseLongPayload(payload)
	switch {
	case !ok:
		s.stats.IgnoredNotVictron++
		return dst
	case reg == RegRequest || reg == RegAck:
		s.stats.IgnoredMalformed++
		return dst
	}
	info, ok := s.table(reg)
	switch {
	case !ok:
		s.stats.RefusedUnknown++
		return append(dst, AckFrame(self, id.Source, reg, AckErrCmd))
	case !info.Writable:
		s.stats.RefusedReadOnly++
		return append(dst, AckFrame(self, id.Source, reg, AckErrCmd))
	case info.Type != String || len(value) > info.MaxLength || s.long == nil:
		s.stats.RefusedFormat++
		return append(dst, AckFrame(self, id.Source, reg, AckInvalid))
	}
	return s.result(self, id.Source, info, s.long.SetLong(now, reg, value), dst)
}

// AckFrame builds a VACK from self to target: register 0x0002 carrying the acknowledged register
// and the code (protocol.md §3.2; S2 p.21 `1CEF2050#6699020002010080` for 0x0102 with 0x8000).
func AckFrame(self, target uint8, reg Register, code AckCode) can.Frame {
	return VREG{Register: RegAck, Value: uint32(reg) | uint32(code)<<16, Size: 4}.Frame(self, target)
}

// parseAck splits the value of a VACK frame: acknowledged register in the low half, code above.
func parseAck(value uint32) (Register, AckCode) { return Register(value), AckCode(value >> 16) }
