package n2k

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Name is the 64-bit ISO NAME a node claims its address with (PGN 60928). As a number it is
// also the node's rank in address arbitration: the lower NAME wins (ISO 11783-5; S1 canboat
// crates/canboat-io/src/address_claim.rs "Lowest NAME wins").
//
// The bit layout, least significant bit first (protocol.md §2.4, S1
// 060928-isoAddressClaim.yaml):
//
//	bits  0–20  Unique Number (21 bits)
//	bits 21–31  Manufacturer Code (11 bits)
//	bits 32–34  Device Instance Lower (3 bits)
//	bits 35–39  Device Instance Upper (5 bits)
//	bits 40–47  Device Function (8 bits)
//	bit  48     spare (written 0: S1 fieldtypes.yaml SPARE "All spare bits shall be 0")
//	bits 49–55  Device Class (7 bits)
//	bits 56–59  System Instance (4 bits)
//	bits 60–62  Industry Group (3 bits)
//	bit  63     Arbitrary Address Capable
//
// On the wire the 64 bits are little-endian (protocol.md §2.4): Bytes and NameFromBytes.
type Name uint64

// NameFields is the field view of a Name. The spare bit 48 has no field: Fields drops it and
// Name writes it as 0.
type NameFields struct {
	UniqueNumber            uint32 // 21 bits; MG derives it from the serial number (limits.md §7, L5)
	ManufacturerCode        uint16 // 11 bits; ManufacturerVictron, ManufacturerMG
	DeviceInstanceLower     uint8  // 3 bits (ISO ECU instance)
	DeviceInstanceUpper     uint8  // 5 bits (ISO function instance)
	DeviceFunction          uint8  // 8 bits; meaning depends on DeviceClass
	DeviceClass             uint8  // 7 bits
	SystemInstance          uint8  // 4 bits (ISO device class instance)
	IndustryGroup           uint8  // 3 bits; IndustryMarine
	ArbitraryAddressCapable bool   // 1 for NMEA 2000 devices (S1 060928 yaml)
}

// Codes for the NAME fields of a battery monitor or BMS.
const (
	// ManufacturerVictron is Victron Energy (protocol.md §2.4, S1 lookup MANUFACTURER_CODE 358).
	ManufacturerVictron uint16 = 358
	// ManufacturerMG is MG Energy Systems (protocol.md §2.4, S1 lookup MANUFACTURER_CODE 1160;
	// limits.md §7, L5: the Master LV's NAME carries 1160).
	ManufacturerMG uint16 = 1160
	// DeviceClassElectricalGeneration is class 35 (S1 lookup DEVICE_CLASS; L5 for the Master LV;
	// the GX manual lists a BMV as class 35, protocol.md §2.4, S15).
	DeviceClassElectricalGeneration uint8 = 35
	// DeviceFunctionBattery is function 170 within class 35 (S1 lookup DEVICE_FUNCTION (35, 170)
	// "Battery"; L5).
	DeviceFunctionBattery uint8 = 170
	// IndustryMarine is industry group 4 (S1 lookup INDUSTRY_CODE "Marine Industry"; L5).
	IndustryMarine uint8 = 4
)

// Bit positions and widths of the NAME fields (see Name).
const (
	nameUniqueShift   = 0
	nameUniqueBits    = 21
	nameMfrShift      = 21
	nameMfrBits       = 11
	nameInstLoShift   = 32
	nameInstLoBits    = 3
	nameInstHiShift   = 35
	nameInstHiBits    = 5
	nameFunctionShift = 40
	nameFunctionBits  = 8
	nameSpareShift    = 48
	nameClassShift    = 49
	nameClassBits     = 7
	nameSystemShift   = 56
	nameSystemBits    = 4
	nameIndustryShift = 60
	nameIndustryBits  = 3
	nameAACShift      = 63
)

// ErrNameField is wrapped by NameFields.Name when a field does not fit in its bits.
var ErrNameField = errors.New("n2k: NAME field out of range")

// Name packs the fields. It refuses a field wider than its bits rather than truncating it: a
// truncated manufacturer code would claim to be another manufacturer.
func (f NameFields) Name() (Name, error) {
	for _, c := range [...]struct {
		name  string
		value uint64
		bits  uint
	}{
		{"UniqueNumber", uint64(f.UniqueNumber), nameUniqueBits},
		{"ManufacturerCode", uint64(f.ManufacturerCode), nameMfrBits},
		{"DeviceInstanceLower", uint64(f.DeviceInstanceLower), nameInstLoBits},
		{"DeviceInstanceUpper", uint64(f.DeviceInstanceUpper), nameInstHiBits},
		{"DeviceClass", uint64(f.DeviceClass), nameClassBits},
		{"SystemInstance", uint64(f.SystemInstance), nameSystemBits},
		{"IndustryGroup", uint64(f.IndustryGroup), nameIndustryBits},
	} {
		if c.value >= 1<<c.bits {
			return 0, fmt.Errorf("%w: %s %d does not fit in %d bits", ErrNameField, c.name, c.value, c.bits)
		}
	}
	n := uint64(f.UniqueNumber)<<nameUniqueShift |
		uint64(f.ManufacturerCode)<<nameMfrShift |
		uint64(f.DeviceInstanceLower)<<nameInstLoShift |
		uint64(f.DeviceInstanceUpper)<<nameInstHiShift |
		uint64(f.DeviceFunction)<<nameFunctionShift |
		uint64(f.DeviceClass)<<nameClassShift |
		uint64(f.SystemInstance)<<nameSystemShift |
		uint64(f.IndustryGroup)<<nameIndustryShift
	if f.ArbitraryAddressCapable {
		n |= 1 << nameAACShift
	}
	return Name(n), nil
}

// Fields unpacks n. The spare bit is dropped.
func (n Name) Fields() NameFields {
	field := func(shift, bits uint) uint64 { return uint64(n) >> shift & (1<<bits - 1) }
	return NameFields{
		UniqueNumber:            uint32(field(nameUniqueShift, nameUniqueBits)),
		ManufacturerCode:        uint16(field(nameMfrShift, nameMfrBits)),
		DeviceInstanceLower:     uint8(field(nameInstLoShift, nameInstLoBits)),
		DeviceInstanceUpper:     uint8(field(nameInstHiShift, nameInstHiBits)),
		DeviceFunction:          uint8(field(nameFunctionShift, nameFunctionBits)),
		DeviceClass:             uint8(field(nameClassShift, nameClassBits)),
		SystemInstance:          uint8(field(nameSystemShift, nameSystemBits)),
		IndustryGroup:           uint8(field(nameIndustryShift, nameIndustryBits)),
		ArbitraryAddressCapable: n>>nameAACShift&1 == 1,
	}
}

// Spare reports the spare bit 48, which a conforming sender leaves 0.
func (n Name) Spare() bool { return n>>nameSpareShift&1 == 1 }

// ArbitraryAddressCapable reports bit 63: whether the node may move to another address when it
// loses arbitration (S1 060928 yaml: "Value is 1 for NMEA200 devices").
func (n Name) ArbitraryAddressCapable() bool { return n>>nameAACShift&1 == 1 }

// Bytes returns the 8 data bytes of an address claim: n little-endian (protocol.md §2.4).
func (n Name) Bytes() [8]byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(n))
	return b
}

// NameFromBytes decodes the 8 data bytes of an address claim (protocol.md §2.4). A can.Data
// converts directly: NameFromBytes(f.Data).
func NameFromBytes(b [8]byte) Name { return Name(binary.LittleEndian.Uint64(b[:])) }

func (n Name) String() string {
	f := n.Fields()
	return fmt.Sprintf("NAME %016X (unique %d, manufacturer %d, class %d, function %d, instance %d/%d, system %d, industry %d, arbitrary %t)",
		uint64(n), f.UniqueNumber, f.ManufacturerCode, f.DeviceClass, f.DeviceFunction,
		f.DeviceInstanceUpper, f.DeviceInstanceLower, f.SystemInstance, f.IndustryGroup, f.ArbitraryAddressCapable)
}
