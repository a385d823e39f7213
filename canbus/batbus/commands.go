package batbus

import (
	"fmt"
	"strconv"

	"go.einride.tech/can"
)

// Commands (docs/battery-bus.md §7): Command from the master, CommandAck from the battery, and
// UpdateData, the payload of a firmware update.

// CommandCode says what a Command asks for.
type CommandCode uint8

// The command codes (Command byte 0; the arguments are in bytes 2–7).
const (
	CmdBalance         CommandCode = 1  // bleed the cells of CellMask (passive balancing); 0: stop
	CmdTransfer        CommandCode = 2  // move charge FromCell → ToCell (active balancing); both 0xFF: stop
	CmdFan             CommandCode = 3  // FanMode off, on or auto (the battery decides)
	CmdShutdown        CommandCode = 4  // power the electronics down; CAN activity wakes them
	CmdWake            CommandCode = 5  // resume from a shutdown
	CmdIdentify        CommandCode = 6  // blink the battery's LED for IdentifySeconds; 0: stop
	CmdUpdateBegin     CommandCode = 7  // firmware update: ImageSize bytes for Processor
	CmdUpdateBlock     CommandCode = 8  // firmware update: commit block BlockIndex, CRC-16 BlockCRC
	CmdUpdateEnd       CommandCode = 9  // firmware update: BlockCount blocks, image CRC-16 ImageCRC
	CmdUpdateAbort     CommandCode = 10 // firmware update: discard what was received
	CmdRequestDescribe CommandCode = 11 // send Describe and Firmware
	CmdRequestIdentity CommandCode = 12 // send Identity

	lastCommand = CmdRequestIdentity
)

var commandNames = [...]string{CmdBalance: "Balance", CmdTransfer: "Transfer", CmdFan: "Fan",
	CmdShutdown: "Shutdown", CmdWake: "Wake", CmdIdentify: "Identify", CmdUpdateBegin: "UpdateBegin",
	CmdUpdateBlock: "UpdateBlock", CmdUpdateEnd: "UpdateEnd", CmdUpdateAbort: "UpdateAbort",
	CmdRequestDescribe: "RequestDescribe", CmdRequestIdentity: "RequestIdentity"}

// Known reports whether c is a command of protocol v1.
func (c CommandCode) Known() bool { return c >= CmdBalance && c <= lastCommand }

// IsUpdate reports whether c is one of the firmware-update commands, which go to one battery only
// and are answered within UpdateAckTimeout.
func (c CommandCode) IsUpdate() bool { return c >= CmdUpdateBegin && c <= CmdUpdateAbort }

func (c CommandCode) String() string {
	if c.Known() {
		return commandNames[c]
	}
	return "command(" + strconv.Itoa(int(c)) + ")"
}

// FanMode is the argument of CmdFan.
type FanMode uint8

// Fan modes.
const (
	FanOff  FanMode = 0
	FanOn   FanMode = 1
	FanAuto FanMode = 2 // the battery's own thermostat
)

// NoCell is FromCell and ToCell of a CmdTransfer that stops active balancing.
const NoCell uint8 = 0xFF

// Command (0x03), from the master to one battery or all. Every command to one battery is
// answered with a CommandAck; commands to all are not (64 answers at once would say little the
// Status bits do not). The master repeats an unanswered command with the same Tag, at most
// CommandRetries times; a battery that receives a command with the code and Tag of the one it
// last executed answers again without acting again (changelog 1.34-09 "better command handling
// by battery").
//
//	byte 0     CommandCode (the DBC multiplexer)
//	byte 1     tag, un8: the master's number for this command, echoed in CommandAck
//	bytes 2–7  arguments by code (unused bytes reserved, 1):
//	  Balance      bytes 2–5 cell mask, un32, bit i = cell i (0 = first cell); 0 stops
//	  Transfer     byte 2 from cell, byte 3 to cell, 0–31; 0xFF in both stops
//	  Fan          byte 2 FanMode: 0 off, 1 on, 2 auto
//	  Identify     byte 2 seconds, 0–255; 0 stops
//	  UpdateBegin  bytes 2–5 image size in bytes, un32, 1–16 776 960; byte 6 processor type
//	  UpdateBlock  bytes 2–3 block index, un16, 0–65 534; bytes 4–5 CRC-16 of the block
//	  UpdateEnd    bytes 2–3 block count, un16, 1–65 535; bytes 4–5 CRC-16 of the image
//
// Command holds the arguments of every code in their own fields; Frame encodes those of Code and
// ParseCommand leaves the others zero.
type Command struct {
	To   uint8 // 1–64, or Broadcast (not for the firmware-update commands)
	Tag  uint8
	Code CommandCode

	CellMask         uint32  // CmdBalance
	FromCell, ToCell uint8   // CmdTransfer: 0–31, or NoCell in both
	Fan              FanMode // CmdFan
	Seconds          uint8   // CmdIdentify
	ImageSize        uint32  // CmdUpdateBegin
	Processor        uint8   // CmdUpdateBegin: must match the battery's Firmware.Processor
	Block            uint16  // CmdUpdateBlock: the index of the block
	Blocks           uint16  // CmdUpdateEnd: the number of blocks
	CRC              uint16  // CmdUpdateBlock: CRC16 of the block; CmdUpdateEnd: of the image
}

// Frame encodes c.
func (c Command) Frame() can.Frame {
	v := raws{cmCode: int64(c.Code), cmTag: int64(c.Tag)}
	switch c.Code {
	case CmdBalance:
		v[cmCellMask] = int64(c.CellMask)
	case CmdTransfer:
		v[cmFromCell], v[cmToCell] = int64(c.FromCell), int64(c.ToCell)
	case CmdFan:
		v[cmFanMode] = int64(c.Fan)
	case CmdIdentify:
		v[cmSeconds] = int64(c.Seconds)
	case CmdUpdateBegin:
		v[cmImageSize], v[cmProcessor] = int64(c.ImageSize), int64(c.Processor)
	case CmdUpdateBlock:
		v[cmBlockIndex], v[cmBlockCRC] = int64(c.Block), int64(c.CRC)
	case CmdUpdateEnd:
		v[cmBlockCount], v[cmImageCRC] = int64(c.Blocks), int64(c.CRC)
	}
	return specCommand.encode(c.To, &v)
}

// Message returns MsgCommand.
func (Command) Message() Message { return MsgCommand }

// ParseCommand decodes a Command frame. A well-formed frame with a code this version does not
// know fails with ErrUnknownCommand, which a battery answers with ResultUnknown.
func ParseCommand(f can.Frame) (Command, error) {
	if err := specCommand.frameCheck(f); err != nil {
		return Command{}, err
	}
	if code := CommandCode(f.Data[0]); !code.Known() {
		return Command{}, &FrameError{ID: f.ID, Message: MsgCommand, Kind: ErrUnknownCommand,
			Detail: fmt.Sprintf("command code %d is not in protocol v%d", code, ProtocolVersion)}
	}
	var v raws
	if err := specCommand.decode(f, &v); err != nil {
		return Command{}, err
	}
	c := Command{To: uint8(f.ID), Tag: uint8(v[cmTag]), Code: CommandCode(v[cmCode])}
	switch c.Code {
	case CmdBalance:
		c.CellMask = uint32(v[cmCellMask])
	case CmdTransfer:
		c.FromCell, c.ToCell = uint8(v[cmFromCell]), uint8(v[cmToCell])
	case CmdFan:
		c.Fan = FanMode(v[cmFanMode])
	case CmdIdentify:
		c.Seconds = uint8(v[cmSeconds])
	case CmdUpdateBegin:
		c.ImageSize, c.Processor = uint32(v[cmImageSize]), uint8(v[cmProcessor])
	case CmdUpdateBlock:
		c.Block, c.CRC = uint16(v[cmBlockIndex]), uint16(v[cmBlockCRC])
	case CmdUpdateEnd:
		c.Blocks, c.CRC = uint16(v[cmBlockCount]), uint16(v[cmImageCRC])
	}
	return c, nil
}

func checkCommand(m *MessageSpec, addr uint8, v *raws) error {
	code := CommandCode(v[cmCode])
	switch {
	case code.IsUpdate() && addr == Broadcast:
		return valueError(m.Message, addr, "%s goes to one battery, not to all", code)
	case code == CmdTransfer:
		from, to := v[cmFromCell], v[cmToCell]
		na := int64(NoCell)
		switch {
		case (from == na) != (to == na):
			return valueError(m.Message, addr, "Transfer from cell %d to cell %d: stop with 0xFF in both", from, to)
		case from != na && from == to:
			return valueError(m.Message, addr, "Transfer from cell %d to itself", from)
		}
	}
	return nil
}

// Result is a battery's answer to a command.
type Result uint8

// Results.
const (
	ResultOK      Result = 0 // done, or started
	ResultRefused Result = 1 // understood but not done: a bad argument, a CRC mismatch, a wrong processor
	ResultUnknown Result = 2 // the code is not known to this battery
	ResultBusy    Result = 3 // cannot act now (e.g. writing flash): repeat later with the same tag
)

func (r Result) String() string {
	switch r {
	case ResultOK:
		return "ok"
	case ResultRefused:
		return "refused"
	case ResultUnknown:
		return "unknown"
	case ResultBusy:
		return "busy"
	}
	return "result(" + strconv.Itoa(int(r)) + ")"
}

// CommandAck (0x08) answers a Command addressed to one battery, from that battery.
//
//	byte 0     the command code, echoed (any value with result unknown)
//	byte 1     the tag, echoed
//	byte 2     Result: 0 ok, 1 refused, 2 unknown, 3 busy
//	bytes 3–4  next block, un16: after a firmware-update command, the index of the block the
//	           battery expects next (so that an interrupted update resumes, changelog 1.13-08);
//	           0xFFFF otherwise
type CommandAck struct {
	Address   uint8 // 1–64
	Code      CommandCode
	Tag       uint8
	Result    Result
	NextBlock uint16 // NAUn16 when not a firmware update
}

// Frame encodes a.
func (a CommandAck) Frame() can.Frame {
	v := raws{int64(a.Code), int64(a.Tag), int64(a.Result), int64(a.NextBlock)}
	return specCommandAck.encode(a.Address, &v)
}

// Message returns MsgCommandAck.
func (CommandAck) Message() Message { return MsgCommandAck }

// ParseCommandAck decodes a CommandAck frame.
func ParseCommandAck(f can.Frame) (CommandAck, error) {
	var v raws
	if err := specCommandAck.decode(f, &v); err != nil {
		return CommandAck{}, err
	}
	return CommandAck{Address: uint8(f.ID), Code: CommandCode(v[0]), Tag: uint8(v[1]), Result: Result(v[2]), NextBlock: uint16(v[3])}, nil
}

func checkCommandAck(m *MessageSpec, addr uint8, v *raws) error {
	if code := CommandCode(v[0]); Result(v[2]) != ResultUnknown && !code.Known() {
		return valueError(m.Message, addr, "result %s for command code %d, which is not in protocol v%d", Result(v[2]), code, ProtocolVersion)
	}
	return nil
}

// UpdateData (0x05), from the master to the battery being updated, carries 8 bytes of the
// firmware block the next CmdUpdateBlock commits: a block is UpdateBlockSize bytes, 32 frames
// sent in order (docs/battery-bus.md §7.3).
type UpdateData struct {
	To   uint8 // 1–64
	Data [8]byte
}

// Frame encodes u.
func (u UpdateData) Frame() can.Frame {
	var v raws
	for i, b := range u.Data {
		v[i] = int64(b)
	}
	return specUpdateData.encode(u.To, &v)
}

// Message returns MsgUpdateData.
func (UpdateData) Message() Message { return MsgUpdateData }

// ParseUpdateData decodes an UpdateData frame.
func ParseUpdateData(f can.Frame) (UpdateData, error) {
	var v raws
	if err := specUpdateData.decode(f, &v); err != nil {
		return UpdateData{}, err
	}
	return UpdateData{To: uint8(f.ID), Data: f.Data}, nil
}
