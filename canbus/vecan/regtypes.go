package vecan

import (
	"fmt"
	"math"

	"github.com/lynxsim/lynxsim/firmware"
)

// ValueType is the wire layout of a register value (S3 ve_regs.h type notation, protocol.md §3.3).
// Everything is little-endian (S2 p.17).
type ValueType uint8

// The layouts of the registers in the table. A composite value (Un16Pair, Un8x4, Un8x2Un16,
// ProductID, AppVersion) is one uint32 with its first field in the low bits, as it comes off the
// wire.
const (
	Un8        ValueType = iota + 1 // un8
	Un16                            // un16
	Sn16                            // sn16
	Un32                            // un32
	Sn32                            // sn32
	Un16Pair                        // un16 min : un16 max, both scaled (0x0384-0x0386)
	Un8x4                           // un8 : un8 : un8 : un8 (0x0380, 0x2110, 0xEEFE)
	Un8x2Un16                       // un8 m : un8 n : un16 scaled value (0x0381)
	ProductID                       // un8 identifier : un16 product id : un8 flags (0x0100)
	AppVersion                      // un8 identifier : un24 version 0xHHMMLL (0x0102)
	String                          // stringZeroEnded[N] : un8 padding; long, on PGN 126720
)

var valueTypeNames = [...]string{
	Un8: "un8", Un16: "un16", Sn16: "sn16", Un32: "un32", Sn32: "sn32",
	Un16Pair: "un16:un16", Un8x4: "un8:un8:un8:un8", Un8x2Un16: "un8:un8:un16",
	ProductID: "un8:un16:un8", AppVersion: "un8:un24", String: "string",
}

func (t ValueType) String() string {
	if t == 0 || int(t) >= len(valueTypeNames) {
		return fmt.Sprintf("type %d", uint8(t))
	}
	return valueTypeNames[t]
}

// Size is the number of value bytes of a fixed-size type; 0 for String, whose length is the
// register's.
func (t ValueType) Size() int {
	switch t {
	case Un8:
		return 1
	case Un16, Sn16:
		return 2
	case Un32, Sn32, Un16Pair, Un8x4, Un8x2Un16, ProductID, AppVersion:
		return 4
	}
	return 0
}

// scalar reports whether the value is one number that Scale applies to.
func (t ValueType) scalar() bool { return t >= Un8 && t <= Sn32 }

// RegisterInfo describes one VREG: what it holds, how it goes on the wire and how the Lynx Ion BMS
// treats it. The table (Registers) cites a source for every row.
type RegisterInfo struct {
	ID          Register
	Name        string // velib name (S3), such as "VE_REG_SOC"
	Description string // MG's wording where S2 lists the register, else velib's
	Type        ValueType
	Scale       float64 // physical units per raw step, such as 0.01; 0 reads as 1
	Unit        string  // "V", "A", "%", "K", "Ah", "kWh", "min", "s" or ""

	// NotAvailable is the raw value that means "not available" when HasNotAvailable is set.
	NotAvailable    uint32
	HasNotAvailable bool
	Flags           bool // a bit field: Format shows hex

	// Periodic and OnChange are S2's "Per/Chg" columns (S2 p.17-20): broadcast every 5 s, and
	// within 1 s of a change. Registers S2 does not list carry neither.
	Periodic, OnChange bool
	// Writable registers accept a VREG command (S2 p.20 "Settings … can be read and written",
	// and the changelog items cited per row).
	Writable bool
	// Min and Max bound the physical values a write may carry; both zero means the type's range
	// (see Range).
	Min, Max float64
	// MaxLength is the largest number of value bytes of a String register.
	MaxLength int

	// Since is the first firmware with the register; WritableSince and OnChangeSince the first
	// with writes and with on-change broadcasts. The zero Version means "from the oldest release".
	Since, WritableSince, OnChangeSince firmware.Version

	Source string // where the row comes from
}

// Size is the number of value bytes on the wire: 1, 2 or 4, or for a String register the most it
// carries.
func (r RegisterInfo) Size() int {
	if r.Type == String {
		return r.MaxLength
	}
	return r.Type.Size()
}

// mask keeps the bytes of a value of the register's size.
func (r RegisterInfo) mask() uint32 {
	switch r.Type.Size() {
	case 1:
		return 0xFF
	case 2:
		return 0xFFFF
	}
	return math.MaxUint32
}

// perUnit is the number of raw steps per physical unit (100 for a scale of 0.01), so that
// raw/perUnit gives the nearest float64 to the decimal value (8765/100 is 87.65; 8765*0.01 is not).
func (r RegisterInfo) perUnit() float64 {
	if r.Scale == 0 {
		return 1
	}
	return 1 / r.Scale
}

// signed reads a masked raw value as the integer it stands for.
func (r RegisterInfo) signed(raw uint32) int64 {
	switch r.Type {
	case Sn16:
		return int64(int16(raw))
	case Sn32:
		return int64(int32(raw))
	}
	return int64(raw & r.mask())
}

// typeBounds are the smallest and largest raw values of a scalar type, less the not-available
// value when that is the top of the range.
func (r RegisterInfo) typeBounds() (lo, hi int64) {
	switch r.Type {
	case Un8:
		lo, hi = 0, math.MaxUint8
	case Un16:
		lo, hi = 0, math.MaxUint16
	case Sn16:
		lo, hi = math.MinInt16, math.MaxInt16
	case Un32:
		lo, hi = 0, math.MaxUint32
	case Sn32:
		lo, hi = math.MinInt32, math.MaxInt32
	}
	if r.HasNotAvailable && r.signed(r.NotAvailable) == hi {
		hi--
	}
	return lo, hi
}

// rawBounds is the range of raw values a write may carry.
func (r RegisterInfo) rawBounds() (lo, hi int64) {
	lo, hi = r.typeBounds()
	if r.Min == 0 && r.Max == 0 {
		return lo, hi
	}
	// Explicit ranges are small (at most 65534 steps in the table): a tolerance of 1e-6 step
	// absorbs the binary representation of decimal bounds such as 6553.4.
	p := r.perUnit()
	return max(lo, int64(math.Ceil(r.Min*p-1e-6))), min(hi, int64(math.Floor(r.Max*p+1e-6)))
}

// Range gives the physical bounds of a write: Min and Max, or the type's range (less the
// not-available value) when both are zero. For composite types it gives 0, 0.
func (r RegisterInfo) Range() (lo, hi float64) {
	if !r.Type.scalar() || r.Min != 0 || r.Max != 0 {
		return r.Min, r.Max
	}
	l, h := r.typeBounds()
	p := r.perUnit()
	return float64(l) / p, float64(h) / p
}

// InRange reports whether a raw value (only the register's bytes count) may be written: within
// rawBounds and not the not-available value. Values of composite types are not range-checked.
func (r RegisterInfo) InRange(raw uint32) bool {
	if !r.Type.scalar() {
		return true
	}
	raw &= r.mask()
	if r.HasNotAvailable && raw == r.NotAvailable&r.mask() {
		return false
	}
	lo, hi := r.rawBounds()
	v := r.signed(raw)
	return v >= lo && v <= hi
}

// Physical converts a raw value of a scalar register to physical units (87.65 for SOC raw 8765).
// It reports false, with NaN, for the not-available value and for composite or string types.
// Only the register's bytes of raw count, so the padding of a parsed frame does no harm.
func (r RegisterInfo) Physical(raw uint32) (float64, bool) {
	if !r.Type.scalar() {
		return math.NaN(), false
	}
	raw &= r.mask()
	if r.HasNotAvailable && raw == r.NotAvailable&r.mask() {
		return math.NaN(), false
	}
	return float64(r.signed(raw)) / r.perUnit(), true
}

// Raw converts a physical value to the raw value of a scalar register, rounding to the nearest
// step. NaN gives the not-available value where the register has one. A value outside Range is an
// error, as is a composite or string type.
func (r RegisterInfo) Raw(physical float64) (uint32, error) {
	if !r.Type.scalar() {
		return 0, fmt.Errorf("vecan: %s (0x%04X) is %s, not one number: pack its fields instead", r.Name, uint16(r.ID), r.Type)
	}
	if math.IsNaN(physical) {
		if r.HasNotAvailable {
			return r.NotAvailable, nil
		}
		return 0, fmt.Errorf("vecan: %s (0x%04X) has no not-available value: give a number", r.Name, uint16(r.ID))
	}
	v := math.Round(physical * r.perUnit())
	lo, hi := r.rawBounds()
	if v < float64(lo) || v > float64(hi) {
		l, h := r.Range()
		return 0, fmt.Errorf("vecan: %s (0x%04X) = %g %s is outside %g..%g", r.Name, uint16(r.ID), physical, r.Unit, l, h)
	}
	return uint32(int64(v)) & r.mask(), nil
}

// PhysicalPair splits an Un16Pair value (min : max) into physical units; a half equal to 0xFFFF
// reads as NaN. It reports false for other types.
func (r RegisterInfo) PhysicalPair(raw uint32) (lo, hi float64, ok bool) {
	if r.Type != Un16Pair {
		return math.NaN(), math.NaN(), false
	}
	half := func(u uint16) float64 {
		if u == math.MaxUint16 {
			return math.NaN()
		}
		return float64(u) / r.perUnit()
	}
	return half(uint16(raw)), half(uint16(raw >> 16)), true
}

// RawPair packs two physical values into an Un16Pair value, min in the low half; NaN becomes
// 0xFFFF [I] (S3 defines no not-available value for the pairs; 0xFFFF is the un16 convention of
// the other registers). Values outside 0..0xFFFE steps are an error.
func (r RegisterInfo) RawPair(lo, hi float64) (uint32, error) {
	if r.Type != Un16Pair {
		return 0, fmt.Errorf("vecan: %s (0x%04X) is %s, not a min:max pair", r.Name, uint16(r.ID), r.Type)
	}
	half := func(v float64) (uint32, error) {
		if math.IsNaN(v) {
			return math.MaxUint16, nil
		}
		u := math.Round(v * r.perUnit())
		if u < 0 || u > math.MaxUint16-1 {
			return 0, fmt.Errorf("vecan: %s (0x%04X): %g %s does not fit an un16", r.Name, uint16(r.ID), v, r.Unit)
		}
		return uint32(u), nil
	}
	l, err := half(lo)
	if err != nil {
		return 0, err
	}
	h, err := half(hi)
	if err != nil {
		return 0, err
	}
	return l | h<<16, nil
}

// Packing of composite values, first field in the low byte as on the wire.

// PackUn8x4 packs four un8 fields (0x0380 batteries : cells : parallel : series; 0x2110 error 1
// (latest) … error 4).
func PackUn8x4(a, b, c, d uint8) uint32 {
	return uint32(a) | uint32(b)<<8 | uint32(c)<<16 | uint32(d)<<24
}

// PackProductID packs VE_REG_PRODUCT_ID: identifier (0 = this device), product id, flags
// (S3: bit 0 VUP support, the rest reserved; protocol.md §3.3).
func PackProductID(identifier uint8, productID uint16, flags uint8) uint32 {
	return uint32(identifier) | uint32(productID)<<8 | uint32(flags)<<24
}

// PackAppVersion packs VE_REG_APP_VER: identifier, then the un24 version (firmware.Version.AppVer).
// S2 p.21's reply for firmware 1.04 is identifier 0 with 0x010400: bytes 00 00 04 01.
func PackAppVersion(identifier uint8, version uint32) uint32 {
	return uint32(identifier) | (version&0xFFFFFF)<<8
}

// PackUn8x2Un16 packs VE_REG_BATTERY_CELL_VOLTAGE: battery m, cell n, then the un16 value.
func PackUn8x2Un16(m, n uint8, value uint16) uint32 {
	return uint32(m) | uint32(n)<<8 | uint32(value)<<16
}

// Format renders a raw value for people: "87.65 %", "26.40 V", "n/a", flags as hex ("0x06000180"),
// composite values field by field. Error numbers and states stay numbers; naming them is the
// events package's job.
func (r RegisterInfo) Format(raw uint32) string {
	if r.Type.scalar() {
		raw &= r.mask()
		if r.HasNotAvailable && raw == r.NotAvailable&r.mask() {
			return "n/a"
		}
		if r.Flags {
			return fmt.Sprintf("0x%0*X", 2*r.Type.Size(), raw)
		}
		return r.formatNumber(float64(r.signed(raw)))
	}
	switch r.Type {
	case Un16Pair:
		half := func(u uint16) string {
			if u == math.MaxUint16 {
				return "n/a"
			}
			return r.formatNumber(float64(u))
		}
		return half(uint16(raw)) + " : " + half(uint16(raw>>16))
	case Un8x4:
		return fmt.Sprintf("%d : %d : %d : %d", uint8(raw), uint8(raw>>8), uint8(raw>>16), uint8(raw>>24))
	case Un8x2Un16:
		return fmt.Sprintf("%d : %d : %s", uint8(raw), uint8(raw>>8), r.formatNumber(float64(uint16(raw>>16))))
	case ProductID:
		return fmt.Sprintf("id %d, 0x%04X, flags 0x%02X", uint8(raw), uint16(raw>>8), uint8(raw>>24))
	case AppVersion:
		return fmt.Sprintf("id %d, 0x%06X", uint8(raw), raw>>8)
	}
	return fmt.Sprintf("0x%08X", raw)
}

// FormatLong renders the value of a String register: the text up to its terminating zero.
func (r RegisterInfo) FormatLong(value []byte) string {
	for i, b := range value {
		if b == 0 {
			return fmt.Sprintf("%q", value[:i])
		}
	}
	return fmt.Sprintf("%q", value)
}

// formatNumber prints steps of the register as a decimal with as many places as the scale has.
func (r RegisterInfo) formatNumber(steps float64) string {
	p := r.perUnit()
	places := 0
	for q := p; q > 1.5 && places < 6; q /= 10 {
		places++
	}
	s := fmt.Sprintf("%.*f", places, steps/p)
	if r.Unit != "" {
		s += " " + r.Unit
	}
	return s
}
