// Package batbus owns the private CAN bus between the master and its batteries. MG's own protocol
// is not public (protocol.md §6, §8 item 6), so lynxsim defines one; both the master and the
// simulated batteries speak it, and so can a second lynxsim or any hardware taught it.
//
// PROVISIONAL: this is the first, small version of the protocol (registration, a status and a
// cell-extremes frame, address assignment), enough for the first end-to-end run. The battery issue
// replaces it with the full, documented protocol (every cell, every sensor, commands, a DBC).
//
// Identifiers are 29 bits: 0x0B1 in bits 16–28 marks the protocol, bits 8–15 the message, bits
// 0–7 the battery address (Unassigned before registration, MasterAddress for the master).
// Multi-byte fields are little-endian, like VE.Can.
package batbus

import (
	"encoding/binary"
	"fmt"

	"go.einride.tech/can"
)

// Message identifies a frame's meaning.
type Message uint8

// The messages of the provisional protocol.
const (
	MsgAnnounce Message = 0x01 // battery → all: who I am, until assigned an address
	MsgAssign   Message = 0x02 // master → all: the battery with this serial takes this address
	MsgStatus   Message = 0x10 // battery → master: voltage, current, SOC
	MsgCells    Message = 0x11 // battery → master: lowest and highest cell voltage and temperature
)

// Addresses with a meaning of their own.
const (
	MasterAddress uint8 = 0x00
	Unassigned    uint8 = 0xFF
	MaxBatteries        = 64 // addresses 1 to 64
)

const tag = 0x0B1 << 16

// ID builds the identifier of msg from address addr.
func ID(msg Message, addr uint8) uint32 { return tag | uint32(msg)<<8 | uint32(addr) }

// Split reads an identifier. It reports false for frames that are not of this protocol.
func Split(f can.Frame) (msg Message, addr uint8, ok bool) {
	if !f.IsExtended || f.IsRemote || f.ID&^0xFFFF != tag {
		return 0, 0, false
	}
	return Message(f.ID >> 8), uint8(f.ID), true
}

// Chemistry is the cell chemistry a battery announces.
type Chemistry uint8

// Chemistries.
const (
	ChemistryLFP Chemistry = 1 // LiFePO4
	ChemistryNMC Chemistry = 2 // MG HE batteries (protocol.md §6, limits.md §1.1)
)

func (c Chemistry) String() string {
	switch c {
	case ChemistryLFP:
		return "LFP"
	case ChemistryNMC:
		return "NMC"
	}
	return fmt.Sprintf("chemistry(%d)", uint8(c))
}

// Announce says who a battery is.
type Announce struct {
	Chemistry   Chemistry
	Model       uint8 // the type within the chemistry; batteries of one bank must agree
	Cells       uint8 // in series
	CapacityAh  uint16
	Serial      uint32
	FromAddress uint8 // Unassigned until the master assigns one
}

// Frame encodes a.
func (a Announce) Frame() can.Frame {
	f := frame(MsgAnnounce, a.FromAddress)
	f.Data[0] = uint8(a.Chemistry)<<4 | a.Model&0x0F
	f.Data[1] = a.Cells
	binary.LittleEndian.PutUint16(f.Data[2:4], a.CapacityAh)
	binary.LittleEndian.PutUint32(f.Data[4:8], a.Serial)
	return f
}

// ParseAnnounce decodes an announce frame.
func ParseAnnounce(f can.Frame) (Announce, error) {
	if err := check(f, MsgAnnounce); err != nil {
		return Announce{}, err
	}
	a := Announce{
		Chemistry:   Chemistry(f.Data[0] >> 4),
		Model:       f.Data[0] & 0x0F,
		Cells:       f.Data[1],
		CapacityAh:  binary.LittleEndian.Uint16(f.Data[2:4]),
		Serial:      binary.LittleEndian.Uint32(f.Data[4:8]),
		FromAddress: uint8(f.ID),
	}
	if a.Cells == 0 || a.CapacityAh == 0 {
		return Announce{}, fmt.Errorf("batbus announce from serial %d: %d cells, %d Ah: impossible", a.Serial, a.Cells, a.CapacityAh)
	}
	return a, nil
}

// Assign gives the battery with Serial its address.
type Assign struct {
	Serial  uint32
	Address uint8
}

// Frame encodes a, sent by the master.
func (a Assign) Frame() can.Frame {
	f := frame(MsgAssign, MasterAddress)
	binary.LittleEndian.PutUint32(f.Data[0:4], a.Serial)
	f.Data[4] = a.Address
	return f
}

// ParseAssign decodes an assign frame.
func ParseAssign(f can.Frame) (Assign, error) {
	if err := check(f, MsgAssign); err != nil {
		return Assign{}, err
	}
	a := Assign{Serial: binary.LittleEndian.Uint32(f.Data[0:4]), Address: f.Data[4]}
	if a.Address == 0 || a.Address > MaxBatteries {
		return Assign{}, fmt.Errorf("batbus assign: address %d is outside 1 to %d", a.Address, MaxBatteries)
	}
	return a, nil
}

// Status is a battery's periodic measurement.
type Status struct {
	Address       uint8
	Millivolts    uint32 // module voltage; 10 mV on the wire
	Deciamps      int16  // positive while charging
	SOCHundredths uint16 // 0.01 %
}

// Frame encodes s.
func (s Status) Frame() can.Frame {
	f := frame(MsgStatus, s.Address)
	binary.LittleEndian.PutUint16(f.Data[0:2], uint16(min(s.Millivolts/10, 0xFFFF)))
	binary.LittleEndian.PutUint16(f.Data[2:4], uint16(s.Deciamps))
	binary.LittleEndian.PutUint16(f.Data[4:6], s.SOCHundredths)
	f.Data[6], f.Data[7] = 0xFF, 0xFF
	return f
}

// ParseStatus decodes a status frame.
func ParseStatus(f can.Frame) (Status, error) {
	if err := check(f, MsgStatus); err != nil {
		return Status{}, err
	}
	s := Status{
		Address:       uint8(f.ID),
		Millivolts:    uint32(binary.LittleEndian.Uint16(f.Data[0:2])) * 10,
		Deciamps:      int16(binary.LittleEndian.Uint16(f.Data[2:4])),
		SOCHundredths: binary.LittleEndian.Uint16(f.Data[4:6]),
	}
	if s.SOCHundredths > 10000 {
		return Status{}, fmt.Errorf("batbus status from battery %d: SOC %d.%02d %% is above 100 %%", s.Address, s.SOCHundredths/100, s.SOCHundredths%100)
	}
	return s, nil
}

// Cells carries a battery's extreme cell voltages and temperatures.
type Cells struct {
	Address                        uint8
	MinMillivolts, MaxMillivolts   uint16
	MinDeciCelsius, MaxDeciCelsius int16
}

// Frame encodes c.
func (c Cells) Frame() can.Frame {
	f := frame(MsgCells, c.Address)
	binary.LittleEndian.PutUint16(f.Data[0:2], c.MinMillivolts)
	binary.LittleEndian.PutUint16(f.Data[2:4], c.MaxMillivolts)
	binary.LittleEndian.PutUint16(f.Data[4:6], uint16(c.MinDeciCelsius))
	binary.LittleEndian.PutUint16(f.Data[6:8], uint16(c.MaxDeciCelsius))
	return f
}

// Plausibility bounds for cell readings: no lithium cell reads above 5 V or below 0 V while
// working, and no sensor on a working battery reads below -60 °C or above 150 °C. Anything
// outside is a broken sensor or a hostile frame, not a measurement.
const (
	maxCellMillivolts = 5000
	minDeciCelsius    = -600
	maxDeciCelsius    = 1500
)

// ParseCells decodes a cells frame and rejects impossible values.
func ParseCells(f can.Frame) (Cells, error) {
	if err := check(f, MsgCells); err != nil {
		return Cells{}, err
	}
	c := Cells{
		Address:        uint8(f.ID),
		MinMillivolts:  binary.LittleEndian.Uint16(f.Data[0:2]),
		MaxMillivolts:  binary.LittleEndian.Uint16(f.Data[2:4]),
		MinDeciCelsius: int16(binary.LittleEndian.Uint16(f.Data[4:6])),
		MaxDeciCelsius: int16(binary.LittleEndian.Uint16(f.Data[6:8])),
	}
	switch {
	case c.MinMillivolts > c.MaxMillivolts || c.MaxMillivolts > maxCellMillivolts:
		return Cells{}, fmt.Errorf("batbus cells from battery %d: %d to %d mV is impossible", c.Address, c.MinMillivolts, c.MaxMillivolts)
	case c.MinDeciCelsius > c.MaxDeciCelsius || c.MinDeciCelsius < minDeciCelsius || c.MaxDeciCelsius > maxDeciCelsius:
		return Cells{}, fmt.Errorf("batbus cells from battery %d: %.1f to %.1f °C is impossible", c.Address, float64(c.MinDeciCelsius)/10, float64(c.MaxDeciCelsius)/10)
	}
	return c, nil
}

func frame(msg Message, addr uint8) can.Frame {
	return can.Frame{ID: ID(msg, addr), IsExtended: true, Length: 8}
}

func check(f can.Frame, want Message) error {
	msg, _, ok := Split(f)
	if !ok || msg != want {
		return fmt.Errorf("batbus: frame %08X is not message 0x%02X", f.ID, uint8(want))
	}
	if f.Length != 8 {
		return fmt.Errorf("batbus message 0x%02X: %d data bytes, want 8", uint8(want), f.Length)
	}
	return nil
}
