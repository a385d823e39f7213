package vecan

import (
	"fmt"

	"github.com/lynxsim/lynxsim/firmware"
)

// Model is a Lynx Ion BMS / MG Master LV hardware variant; its product id is 0xA390 + Model
// (S2 p.17; S17 "0xA390-0xA39F have been reserved for the Lynx Ion BMS, where 0xA390 is the
// generic id", limits.md §4.1).
type Model uint8

// The models of S2 p.17.
const (
	ModelGeneral Model = iota // 0xA390
	Model150                  // 0xA391
	Model400                  // 0xA392
	Model600                  // 0xA393
	Model1000                 // 0xA394
)

var modelAmps = [...]string{ModelGeneral: "", Model150: "150", Model400: "400", Model600: "600", Model1000: "1000"}

// ProductID is the model's VE_REG_PRODUCT_ID (S2 p.17).
func (m Model) ProductID() uint16 { return 0xA390 + uint16(m) }

func (m Model) String() string {
	if int(m) >= len(modelAmps) {
		return fmt.Sprintf("model %d", uint8(m))
	}
	if m == ModelGeneral {
		return "general"
	}
	return modelAmps[m] + "A"
}

// NAME codes (protocol.md §2.4; limits.md §7, L5 "Tracking MG device on NMEA2000 CAN bus"). canbus/n2k
// exports the same codes with its Name type; these stay unexported so that there is one public
// copy.
const (
	manufacturerVictron             uint16 = 358  // S1 MANUFACTURER_CODE
	manufacturerMG                  uint16 = 1160 // S1 MANUFACTURER_CODE; L5
	deviceClassElectricalGeneration uint8  = 35   // S1 DEVICE_CLASS; L5
	deviceFunctionBattery           uint8  = 170  // "Battery" in class 35 (S1 DEVICE_FUNCTION; L5; S15: a BMV is 35/170)
	industryMarine                  uint8  = 4    // S1 INDUSTRY_CODE; L5
)

// Identity is how the device presents itself on NMEA 2000: its NAME fields and its Product
// Information. Changelog 1.35-02 adds the choice between the Victron Energy "Lynx Ion BMS" and the
// MG "Master LV".
type Identity struct {
	Name               string // "Lynx Ion BMS" or "Master LV" (changelog 1.35-02)
	Manufacturer       uint16
	DeviceClass        uint8
	DeviceFunction     uint8
	IndustryGroup      uint8
	ProductID          uint16 // VE_REG_PRODUCT_ID and the 126996 product code
	ModelID            string // 126996 Model ID
	NMEA2000Version    uint16 // 126996, 0.001 steps
	CertificationLevel uint8  // 126996; 0xFF not available
	LoadEquivalency    uint8  // 126996, 50 mA steps
}

// Assumptions for what no source gives (protocol.md §8 item 1; limits.md §7):
//
//   - The Victron identity's NAME: manufacturer 358 with class 35 / function 170, industry 4, as
//     protocol.md §2.4 [I] proposes (the MG identity's 1160/35/170/4 is confirmed by L5; a
//     Victron battery monitor uses 35/170, S15).
//   - 126996 Product Code: the product id, 0xA390 + model (S2 p.17), the only product number the
//     sources give for the device.
//   - 126996 strings: Model ID is the product name of the product-id lists, "Lynx Ion BMS 150A"
//     (S17) or "MG Master LV 150" (S2 p.17), without the rating for the general id; Model Version
//     is the identity's Name; Software Version Code is the firmware as the GX shows it ("v1.38").
//   - 126996 numbers: NMEA 2000 version 2.100 (2100), the version the newer canboat samples
//     report; certification level not available (0xFF), as nothing says the product was
//     certified; load equivalency 1 (50 mA), the smallest non-zero value.
const (
	assumedNMEA2000Version    uint16 = 2100
	assumedCertificationLevel uint8  = 0xFF
	assumedLoadEquivalency    uint8  = 1
)

// IdentityVictron is the Victron Energy "Lynx Ion BMS" identity of model m, the one before
// changelog 1.35-02 and its default after.
func IdentityVictron(m Model) Identity {
	model := "Lynx Ion BMS"
	if m != ModelGeneral {
		model += " " + m.String()
	}
	return newIdentity("Lynx Ion BMS", manufacturerVictron, m, model)
}

// IdentityMG is the MG Energy Systems "Master LV" identity of model m (changelog 1.35-02; NAME per
// L5).
func IdentityMG(m Model) Identity {
	model := "MG Master LV"
	if m != ModelGeneral && int(m) < len(modelAmps) {
		model += " " + modelAmps[m]
	}
	return newIdentity("Master LV", manufacturerMG, m, model)
}

func newIdentity(name string, manufacturer uint16, m Model, model string) Identity {
	return Identity{
		Name:               name,
		Manufacturer:       manufacturer,
		DeviceClass:        deviceClassElectricalGeneration,
		DeviceFunction:     deviceFunctionBattery,
		IndustryGroup:      industryMarine,
		ProductID:          m.ProductID(),
		ModelID:            model,
		NMEA2000Version:    assumedNMEA2000Version,
		CertificationLevel: assumedCertificationLevel,
		LoadEquivalency:    assumedLoadEquivalency,
	}
}

// NameFields are the fields of the 64-bit ISO NAME (protocol.md §2.4) as plain values, for the
// caller to build canbus/n2k's NAME from. The fields have the names, types and order of
// n2k.NameFields, so a conversion n2k.NameFields(f) builds it while the two agree.
type NameFields struct {
	UniqueNumber            uint32 // 21 bits
	ManufacturerCode        uint16 // 11 bits
	DeviceInstanceLower     uint8  // 3 bits
	DeviceInstanceUpper     uint8  // 5 bits
	DeviceFunction          uint8
	DeviceClass             uint8 // 7 bits
	SystemInstance          uint8 // 4 bits
	IndustryGroup           uint8 // 3 bits
	ArbitraryAddressCapable bool
}

// NameFields gives the NAME of this identity with the unique number (UniqueNumber of the serial;
// cut to 21 bits) and the device instance (split into its lower 3 and upper 5 bits). The system
// instance is 0 and the device is arbitrary-address capable (L5: "self-configurable 1", instances
// 0 and user changeable; S2 p.12: device instance stored).
func (id Identity) NameFields(unique uint32, deviceInstance uint8) NameFields {
	return NameFields{
		UniqueNumber:            unique & 0x1FFFFF,
		ManufacturerCode:        id.Manufacturer & 0x7FF,
		DeviceInstanceLower:     deviceInstance & 0x07,
		DeviceInstanceUpper:     deviceInstance >> 3,
		DeviceFunction:          id.DeviceFunction,
		DeviceClass:             id.DeviceClass & 0x7F,
		IndustryGroup:           id.IndustryGroup & 0x07,
		ArbitraryAddressCapable: true,
	}
}

// UniqueNumber derives the NAME's 21-bit unique number from a serial number. L5 says only that the
// number is "subtracted from serial number"; the emulator reads the serial's decimal digits as one
// number and keeps it modulo 2^21, the bits the field has [I]. Serials of the Lynx Ion BMS are
// digits (changelog 1.23-09: "equal or higher than 1738****"), so neighbouring serials get
// neighbouring numbers and two devices collide only when their serials differ by a multiple of
// 2 097 152. Other characters are skipped; a serial without digits gives 0.
func UniqueNumber(serial string) uint32 {
	var n uint32
	for i := 0; i < len(serial); i++ {
		if c := serial[i]; c >= '0' && c <= '9' {
			n = (n*10 + uint32(c-'0')) & 0x1FFFFF
		}
	}
	return n
}

// ProductInformation is the PGN 126996 this identity sends, for firmware fw and a serial number.
func (id Identity) ProductInformation(fw firmware.Version, serial string) ProductInformation {
	return ProductInformation{
		NMEA2000Version:    id.NMEA2000Version,
		ProductCode:        id.ProductID,
		ModelID:            id.ModelID,
		SoftwareVersion:    fw.String(),
		ModelVersion:       id.Name,
		ModelSerial:        serial,
		CertificationLevel: id.CertificationLevel,
		LoadEquivalency:    id.LoadEquivalency,
	}
}
