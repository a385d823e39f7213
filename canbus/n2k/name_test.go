package n2k

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
)

// MG's example address claim of an MG device at 0x50 (limits.md §7, L5):
// `0x18EEFF50  AE 00 10 91 00 AA 46 C0`.
var mgExampleClaim = can.Frame{
	ID: 0x18EEFF50, IsExtended: true, Length: 8,
	Data: can.Data{0xAE, 0x00, 0x10, 0x91, 0x00, 0xAA, 0x46, 0xC0},
}

func TestNameMGExampleClaim(t *testing.T) {
	id := ParseCANID(mgExampleClaim.ID)
	assert.Equal(t, ID{Priority: 6, PGN: PGNAddressClaim, Source: 0x50, Destination: Broadcast}, id)

	n := NameFromBytes(mgExampleClaim.Data)
	f := n.Fields()
	assert.Equal(t, ManufacturerMG, f.ManufacturerCode)
	assert.Equal(t, uint16(1160), f.ManufacturerCode)
	assert.Equal(t, DeviceFunctionBattery, f.DeviceFunction)
	assert.Equal(t, uint8(170), f.DeviceFunction)
	assert.Equal(t, DeviceClassElectricalGeneration, f.DeviceClass)
	assert.Equal(t, uint8(35), f.DeviceClass)
	assert.Equal(t, IndustryMarine, f.IndustryGroup)
	assert.Equal(t, uint8(4), f.IndustryGroup)
	assert.True(t, f.ArbitraryAddressCapable)
	// L5: instances 0, unique number from the serial number.
	assert.Zero(t, f.DeviceInstanceLower)
	assert.Zero(t, f.DeviceInstanceUpper)
	assert.Zero(t, f.SystemInstance)
	assert.Equal(t, uint32(0x1000AE), f.UniqueNumber)
	assert.False(t, n.Spare())

	back, err := f.Name()
	require.NoError(t, err)
	assert.Equal(t, n, back)
	assert.Equal(t, [8]byte(mgExampleClaim.Data), back.Bytes())

	// The Claimer sends exactly that frame for that NAME at 0x50.
	assert.Equal(t, mgExampleClaim, NewClaimer(n, 0x50).Start(0))
}

// Every canboat 060928 sample decodes to what canboat reads from it, with lookup names compared
// through canboat's own lookup files, and re-encodes to its bytes.
func TestNameCanboatSamples(t *testing.T) {
	def := loadPGN(t, "060928-isoAddressClaim.yaml")
	require.Equal(t, int(PGNAddressClaim), def.PGN)
	manufacturers := loadPairLookup(t, "MANUFACTURER_CODE")
	classes := loadPairLookup(t, "DEVICE_CLASS")
	industries := loadPairLookup(t, "INDUSTRY_CODE")
	functions := loadTripletLookup(t, "DEVICE_FUNCTION")
	require.NotEmpty(t, def.Samples)

	for _, s := range def.Samples {
		t.Run(s.Raw, func(t *testing.T) {
			fr := s.frame(t)
			require.Equal(t, PGNAddressClaim, ParseCANID(fr.ID).PGN)
			require.Equal(t, uint8(8), fr.Length)
			n := NameFromBytes(fr.Data)
			f := n.Fields()
			e := s.Expects

			assert.Equal(t, e["uniqueNumber"], int(f.UniqueNumber))
			assert.Equal(t, manufacturers.code(t, e["manufacturerCode"].(string)), int(f.ManufacturerCode))
			assert.Equal(t, e["deviceInstanceLower"], int(f.DeviceInstanceLower))
			assert.Equal(t, e["deviceInstanceUpper"], int(f.DeviceInstanceUpper))
			assert.Equal(t, classes.code(t, e["deviceClass"].(string)), int(f.DeviceClass))
			switch fn := e["deviceFunction"].(type) {
			case int: // canboat prints the number when (class, function) has no name
				assert.Equal(t, fn, int(f.DeviceFunction))
			case string:
				assert.Equal(t, fn, functions[[2]int{int(f.DeviceClass), int(f.DeviceFunction)}])
			default:
				t.Fatalf("deviceFunction %v: unexpected type", fn)
			}
			assert.Equal(t, e["systemInstance"], int(f.SystemInstance))
			assert.Equal(t, industries.code(t, e["industryGroup"].(string)), int(f.IndustryGroup))
			assert.Equal(t, e["arbitraryAddressCapable"] == "Yes", f.ArbitraryAddressCapable)

			back, err := f.Name()
			require.NoError(t, err)
			assert.Equal(t, n, back)
			assert.Equal(t, [8]byte(fr.Data), back.Bytes())
		})
	}
}

// The named constants are the codes canboat's lookups give those names.
func TestNameConstantsAgainstLookups(t *testing.T) {
	manufacturers := loadPairLookup(t, "MANUFACTURER_CODE")
	assert.Equal(t, "Victron Energy", manufacturers[int(ManufacturerVictron)])
	assert.Equal(t, "MG Energy Systems", manufacturers[int(ManufacturerMG)])
	assert.Equal(t, "Electrical Generation", loadPairLookup(t, "DEVICE_CLASS")[int(DeviceClassElectricalGeneration)])
	assert.Equal(t, "Marine Industry", loadPairLookup(t, "INDUSTRY_CODE")[int(IndustryMarine)])
	assert.Equal(t, "Battery",
		loadTripletLookup(t, "DEVICE_FUNCTION")[[2]int{int(DeviceClassElectricalGeneration), int(DeviceFunctionBattery)}])
}

func TestNameFieldsBitPositions(t *testing.T) {
	tests := []struct {
		name   string
		fields NameFields
		want   Name
	}{
		{"unique number, bits 0-20", NameFields{UniqueNumber: 1<<21 - 1}, 0x1FFFFF},
		{"manufacturer, bits 21-31", NameFields{ManufacturerCode: 1<<11 - 1}, 0x7FF << 21},
		{"device instance lower, bits 32-34", NameFields{DeviceInstanceLower: 7}, 7 << 32},
		{"device instance upper, bits 35-39", NameFields{DeviceInstanceUpper: 31}, 31 << 35},
		{"device function, bits 40-47", NameFields{DeviceFunction: 0xFF}, 0xFF << 40},
		{"device class, bits 49-55", NameFields{DeviceClass: 127}, 127 << 49},
		{"system instance, bits 56-59", NameFields{SystemInstance: 15}, 15 << 56},
		{"industry group, bits 60-62", NameFields{IndustryGroup: 7}, 7 << 60},
		{"arbitrary address capable, bit 63", NameFields{ArbitraryAddressCapable: true}, 1 << 63},
		{"Victron battery", NameFields{UniqueNumber: 12345, ManufacturerCode: ManufacturerVictron,
			DeviceFunction: DeviceFunctionBattery, DeviceClass: DeviceClassElectricalGeneration,
			IndustryGroup: IndustryMarine, ArbitraryAddressCapable: true},
			Name(12345 | 358<<21 | 170<<40 | 35<<49 | 4<<60 | 1<<63)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := tt.fields.Name()
			require.NoError(t, err)
			assert.Equal(t, tt.want, n, "got %016X", uint64(n))
			assert.Equal(t, tt.fields, n.Fields())
			assert.Equal(t, n, NameFromBytes(n.Bytes()))
		})
	}
}

func TestNameFieldOverflow(t *testing.T) {
	tests := []struct {
		name   string
		fields NameFields
	}{
		{"UniqueNumber", NameFields{UniqueNumber: 1 << 21}},
		{"ManufacturerCode", NameFields{ManufacturerCode: 1 << 11}},
		{"DeviceInstanceLower", NameFields{DeviceInstanceLower: 8}},
		{"DeviceInstanceUpper", NameFields{DeviceInstanceUpper: 32}},
		{"DeviceClass", NameFields{DeviceClass: 128}},
		{"SystemInstance", NameFields{SystemInstance: 16}},
		{"IndustryGroup", NameFields{IndustryGroup: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := tt.fields.Name()
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrNameField))
			assert.Contains(t, err.Error(), tt.name)
			assert.Zero(t, n)
		})
	}
}

func TestNameBytesLittleEndian(t *testing.T) {
	n := Name(0x0102030405060708)
	assert.Equal(t, [8]byte{8, 7, 6, 5, 4, 3, 2, 1}, n.Bytes())
	assert.Equal(t, n, NameFromBytes([8]byte{8, 7, 6, 5, 4, 3, 2, 1}))
}

// The spare bit survives the wire but not the field view; Name writes it as 0.
func TestNameSpareBit(t *testing.T) {
	n := Name(1 << 48)
	assert.True(t, n.Spare())
	back, err := n.Fields().Name()
	require.NoError(t, err)
	assert.Equal(t, Name(0), back)
}
