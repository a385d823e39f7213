package vecan

import (
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/n2k"
)

// The VREG client side, for tools (`lynxsim vreg get|set`) and tests: build a request or a command
// for a node and recognise its answer (protocol.md §3.2, S2 p.21, S7 reg_tx_sf.c).

// RequestFrame asks target for one register, from self: register 0x0001 with {reg, mask 0xFFFF},
// addressed (S2 p.21: RequestFrame(0x20, 0x50, 0x0102) is 1CEF5020#669901000201FFFF).
func RequestFrame(self, target uint8, reg Register) can.Frame {
	return RequestMaskFrame(self, target, reg, 0xFFFF)
}

// RequestMaskFrame asks target for the group of registers whose id & mask equals reg & mask. The
// id goes out masked, as velib's veRegRequestMask does (S7 reg_tx_sf.c).
func RequestMaskFrame(self, target uint8, reg Register, mask uint16) can.Frame {
	return VREG{Register: RegRequest, Value: uint32(uint16(reg)&mask) | uint32(mask)<<16, Size: 4}.Frame(self, target)
}

// CommandFrame writes raw to a register of target, from self: the register's frame addressed to
// the node (S7 reg_rx.c: "Commands are addressed"), size value bytes (1, 2 or 4; others are
// clamped to that range), the rest 0xFF.
func CommandFrame(self, target uint8, reg Register, raw uint32, size int) can.Frame {
	return VREG{Register: reg, Value: raw, Size: uint8(min(max(size, 1), 4))}.Frame(self, target)
}

// MatchReply recognises target's answer about reg in a received frame: the value (broadcast, or
// addressed, as S2 p.21's "Reply (is always broadcast)" allows either to be read) or a VACK for
// reg. value holds the four bytes after the register id as they stand; mask it to the register's
// size. ok is false for any other frame.
func MatchReply(f can.Frame, target uint8, reg Register) (value uint32, ack AckCode, isAck, ok bool) {
	if !f.IsExtended || f.IsRemote || f.ID > 0x1FFFFFFF {
		return 0, 0, false, false
	}
	id := n2k.ParseCANID(f.ID)
	if id.PGN != PGNVREG || id.Source != target {
		return 0, 0, false, false
	}
	v, parsed := ParseVREG(f)
	if !parsed {
		return 0, 0, false, false
	}
	if v.Register == RegAck {
		if v.Size < 4 {
			return 0, 0, false, false
		}
		acked, code := parseAck(v.Value)
		if acked != reg {
			return 0, 0, false, false
		}
		return 0, code, true, true
	}
	if v.Register != reg || reg == RegRequest {
		return 0, 0, false, false
	}
	return v.Value, 0, false, true
}
