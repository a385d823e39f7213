package vecan

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// packName builds the 64-bit NAME from its fields (protocol.md §2.4). canbus/n2k owns the NAME
// type; this is only here to check NameFields against MG's example.
func packName(f NameFields) uint64 {
	u := uint64(f.UniqueNumber&0x1FFFFF) |
		uint64(f.ManufacturerCode&0x7FF)<<21 |
		uint64(f.DeviceInstanceLower&7)<<32 |
		uint64(f.DeviceInstanceUpper&0x1F)<<35 |
		uint64(f.DeviceFunction)<<40 |
		uint64(f.DeviceClass&0x7F)<<49 |
		uint64(f.SystemInstance&0xF)<<56 |
		uint64(f.IndustryGroup&7)<<60
	if f.ArbitraryAddressCapable {
		u |= 1 << 63
	}
	return u
}

// MG's example address claim (limits.md §7, L5): 0x18EEFF50 AE 00 10 91 00 AA 46 C0, unique number
// 0x1000AE, manufacturer 1160, instance 0, function 170, class 35, industry 4, self-configurable.
func TestIdentityMGMatchesL5(t *testing.T) {
	f := IdentityMG(Model150).NameFields(0x1000AE, 0)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], packName(f))
	assert.Equal(t, [8]byte{0xAE, 0x00, 0x10, 0x91, 0x00, 0xAA, 0x46, 0xC0}, b)
}

func TestIdentities(t *testing.T) {
	manufacturers := loadPairs(t, "MANUFACTURER_CODE.yaml")
	classes := loadPairs(t, "DEVICE_CLASS.yaml")
	industries := loadPairs(t, "INDUSTRY_CODE.yaml")
	var functions struct {
		Values [][3]any `yaml:"values"`
	}
	loadYAML(t, "DEVICE_FUNCTION.yaml", &functions)
	function := func(class, fn uint8) string {
		for _, v := range functions.Values {
			if v[0] == int(class) && v[1] == int(fn) {
				return v[2].(string)
			}
		}
		return ""
	}

	tests := []struct {
		id          Identity
		name, maker string
		productID   uint16
		modelID     string
	}{
		{IdentityVictron(ModelGeneral), "Lynx Ion BMS", "Victron Energy", 0xA390, "Lynx Ion BMS"},
		{IdentityVictron(Model150), "Lynx Ion BMS", "Victron Energy", 0xA391, "Lynx Ion BMS 150A"},
		{IdentityVictron(Model1000), "Lynx Ion BMS", "Victron Energy", 0xA394, "Lynx Ion BMS 1000A"},
		{IdentityMG(ModelGeneral), "Master LV", "MG Energy Systems", 0xA390, "MG Master LV"},
		{IdentityMG(Model400), "Master LV", "MG Energy Systems", 0xA392, "MG Master LV 400"},
		{IdentityMG(Model600), "Master LV", "MG Energy Systems", 0xA393, "MG Master LV 600"},
	}
	for _, tt := range tests {
		t.Run(tt.modelID, func(t *testing.T) {
			assert.Equal(t, tt.name, tt.id.Name)
			assert.Equal(t, tt.maker, manufacturers[int(tt.id.Manufacturer)])
			assert.Equal(t, "Electrical Generation", classes[int(tt.id.DeviceClass)])
			assert.Equal(t, "Battery", function(tt.id.DeviceClass, tt.id.DeviceFunction))
			assert.Equal(t, "Marine Industry", industries[int(tt.id.IndustryGroup)])
			assert.Equal(t, tt.productID, tt.id.ProductID)
			assert.Equal(t, tt.modelID, tt.id.ModelID)

			pi := tt.id.ProductInformation(mustVersion(t, "1.38"), "17380123")
			assert.Equal(t, ProductInformation{NMEA2000Version: 2100, ProductCode: tt.productID, ModelID: tt.modelID,
				SoftwareVersion: "v1.38", ModelVersion: tt.name, ModelSerial: "17380123", CertificationLevel: 0xFF,
				LoadEquivalency: 1}, pi)
			back, ok := ParseProductInformation(pi.AppendPayload(nil))
			require.True(t, ok)
			assert.Equal(t, pi, back)
		})
	}
	assert.Equal(t, "model 9", Model(9).String())
	assert.Equal(t, "general", ModelGeneral.String())
}

func TestNameFields(t *testing.T) {
	f := IdentityVictron(Model400).NameFields(0xFFFFFFFF, 0x2B)
	assert.Equal(t, NameFields{UniqueNumber: 0x1FFFFF, ManufacturerCode: 358, DeviceInstanceLower: 3, DeviceInstanceUpper: 5,
		DeviceFunction: 170, DeviceClass: 35, IndustryGroup: 4, ArbitraryAddressCapable: true}, f)
}

func TestUniqueNumber(t *testing.T) {
	assert.Equal(t, uint32(17380123%(1<<21)), UniqueNumber("17380123"))
	assert.Equal(t, uint32(17380124%(1<<21)), UniqueNumber("HQ-1738-0124"), "other characters are skipped")
	assert.Equal(t, uint32(0), UniqueNumber("ABC"))
	assert.Equal(t, uint32(12345678901234567890%(1<<21)), UniqueNumber("12345678901234567890"), "long serials, modulo 2^21")
	assert.Less(t, UniqueNumber("99999999999999999999999"), uint32(1<<21))
}
