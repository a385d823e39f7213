package bmscan

import (
	"fmt"
	"strings"

	"go.einride.tech/can"
)

// Text is an 8-byte character field (0x35E, 0x380, 0x381; S2 p.5, p.9, p.10: "Char", bytes 0–7).
// Shorter strings are padded with NUL bytes. S2 does not say how the Master LV pads a short
// string; NUL is assumed (NUL is what C code copying a shorter string into 8 bytes usually
// leaves, and what a reader trimming C strings drops). Parsed bytes are kept as they are, so a
// parsed frame re-encodes unchanged whatever its padding.
type Text [8]byte

// NewText returns s NUL-padded to 8 bytes. s must be at most 8 bytes of printable ASCII
// (0x20–0x7E).
func NewText(s string) (Text, error) {
	var t Text
	if len(s) > len(t) {
		return t, fmt.Errorf("bmscan: text %q is %d bytes, at most 8 fit a frame", s, len(s))
	}
	if err := checkASCII(s); err != nil {
		return t, err
	}
	copy(t[:], s)
	return t, nil
}

func checkASCII(s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return fmt.Errorf("bmscan: text %q has byte 0x%02X at %d, want printable ASCII", s, s[i], i)
		}
	}
	return nil
}

// String returns the text without its trailing NUL padding.
func (t Text) String() string { return strings.TrimRight(string(t[:]), "\x00") }

// DefaultManufacturerName is the manufacturer name S2 gives for frame 0x35E: `Manufacturer name:
// "MG-BMS"` (S2 p.5 and p.8, in the text copy of the guide). protocol.md §5 and §8 item 7 report
// the name as extracting to "?BMS" and the exact string as unknown; the text copy in
// reference/ reads MG-BMS, so that is the default, and Manufacturer takes any other name.
const DefaultManufacturerName = "MG-BMS"

// Manufacturer is frame 0x35E, "Manufacturer name" (S2 p.5, p.8).
type Manufacturer struct {
	Name Text
}

// DefaultManufacturer returns the frame with DefaultManufacturerName.
func DefaultManufacturer() Manufacturer {
	t, _ := NewText(DefaultManufacturerName) // a constant that fits: no error
	return Manufacturer{t}
}

// ID returns 0x35E.
func (Manufacturer) ID() uint32 { return IDManufacturer }

// Frame encodes m.
func (m Manufacturer) Frame() can.Frame { return encodeText(&specManufacturer, m.Name) }

// ParseManufacturer decodes frame 0x35E.
func ParseManufacturer(f can.Frame) (Manufacturer, error) {
	t, err := decodeText(&specManufacturer, f)
	return Manufacturer{t}, err
}

// SerialHigh is frame 0x380, "Serial number high part": "BMS serial number, first 8
// characters." (S2 p.9). General BMS protocol only.
type SerialHigh struct {
	Chars Text
}

// ID returns 0x380.
func (SerialHigh) ID() uint32 { return IDSerialHigh }

// Frame encodes s.
func (s SerialHigh) Frame() can.Frame { return encodeText(&specSerialHigh, s.Chars) }

// ParseSerialHigh decodes frame 0x380.
func ParseSerialHigh(f can.Frame) (SerialHigh, error) {
	t, err := decodeText(&specSerialHigh, f)
	return SerialHigh{t}, err
}

// SerialLow is frame 0x381, "Serial number low part": "BMS serial number, last 8 characters."
// (S2 p.10). General BMS protocol only.
type SerialLow struct {
	Chars Text
}

// ID returns 0x381.
func (SerialLow) ID() uint32 { return IDSerialLow }

// Frame encodes s.
func (s SerialLow) Frame() can.Frame { return encodeText(&specSerialLow, s.Chars) }

// ParseSerialLow decodes frame 0x381.
func ParseSerialLow(f can.Frame) (SerialLow, error) {
	t, err := decodeText(&specSerialLow, f)
	return SerialLow{t}, err
}

// SplitSerial splits a serial number over frames 0x380 and 0x381. S2 p.9–10 speaks of "first 8
// characters" and "last 8 characters", i.e. a 16-character serial number; the format of MG
// serial numbers is not given. A shorter serial is assumed to be sent left-aligned and
// NUL-padded to 16 characters (characters 0–7 in 0x380, 8–15 in 0x381), not right-aligned.
// s must be at most 16 bytes of printable ASCII.
func SplitSerial(s string) (SerialHigh, SerialLow, error) {
	if len(s) > 16 {
		return SerialHigh{}, SerialLow{}, fmt.Errorf("bmscan: serial number %q is %d bytes, at most 16 fit frames 0x380 and 0x381", s, len(s))
	}
	if err := checkASCII(s); err != nil {
		return SerialHigh{}, SerialLow{}, err
	}
	var hi, lo Text
	copy(hi[:], s)
	if len(s) > 8 {
		copy(lo[:], s[8:])
	}
	return SerialHigh{hi}, SerialLow{lo}, nil
}

// JoinSerial is the inverse of SplitSerial: the 16 characters without the trailing NUL padding.
func JoinSerial(hi SerialHigh, lo SerialLow) string {
	var b [16]byte
	copy(b[:8], hi.Chars[:])
	copy(b[8:], lo.Chars[:])
	return strings.TrimRight(string(b[:]), "\x00")
}
