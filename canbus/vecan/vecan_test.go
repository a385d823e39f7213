package vecan

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
)

// canboat's decoded sample for PGN 127508 (protocol.md §2.1, S1; reference/canboat/
// 127508-batteryStatus.yaml): 00,1c,0a,07,00,ff,70,ff is instance 0, 25.88 V, 0.7 A, 289.27 K,
// SID not available.
func TestBatteryStatusCanboatSample(t *testing.T) {
	raw := can.Data{0x00, 0x1c, 0x0a, 0x07, 0x00, 0xff, 0x70, 0xff}
	s, ok := ParseBatteryStatus(can.Frame{Length: 8, Data: raw})
	require.True(t, ok)
	assert.Equal(t, uint8(0), s.Instance)
	assert.InDelta(t, 25.88, s.Volts, 1e-9)
	assert.InDelta(t, 0.7, s.Amps, 1e-9)
	assert.InDelta(t, 289.27, s.Kelvin, 1e-9)
	assert.False(t, s.SequenceIDUsed)

	f := s.Frame(0x50)
	assert.Equal(t, raw, f.Data)
	assert.Equal(t, uint32(0x19F21450), f.ID)
	assert.True(t, f.IsExtended)
}

// Instances 1 and 2 carry no current (S2 p.13-14: "not implemented, 0x7FFF").
func TestBatteryStatusNotAvailable(t *testing.T) {
	f := BatteryStatus{Instance: 1, Volts: 3.21, Amps: math.NaN(), Kelvin: math.NaN()}.Frame(0x50)
	assert.Equal(t, can.Data{0x01, 0x41, 0x01, 0xff, 0x7f, 0xff, 0xff, 0xff}, f.Data)
	s, ok := ParseBatteryStatus(f)
	require.True(t, ok)
	assert.True(t, math.IsNaN(s.Amps))
	assert.True(t, math.IsNaN(s.Kelvin))
}

func TestBatteryStatusSaturates(t *testing.T) {
	s, _ := ParseBatteryStatus(BatteryStatus{Volts: 1000, Amps: -5000, Kelvin: -3}.Frame(0))
	assert.InDelta(t, 327.65, s.Volts, 1e-9) // 0x7FFD: the top two values are N/A and error
	assert.InDelta(t, -3276.8, s.Amps, 1e-9)
	assert.InDelta(t, 0, s.Kelvin, 1e-9)
}

func TestParseBatteryStatusShort(t *testing.T) {
	_, ok := ParseBatteryStatus(can.Frame{Length: 7})
	assert.False(t, ok)
}

// VREG frames in the layout of S2 p.17 and p.21.
func TestVREGFrame(t *testing.T) {
	tests := []struct {
		name string
		v    VREG
		dst  uint8
		id   uint32
		data can.Data
	}{
		{"SOC 87.65 % broadcast", VREG{Register: RegSOC, Value: 8765, Size: 2}, 0xFF, 0x1CEFFF50,
			can.Data{0x66, 0x99, 0xFF, 0x0F, 0x3D, 0x22, 0xFF, 0xFF}},
		{"state running broadcast", VREG{Register: RegLynxIonState, Value: 9, Size: 1}, 0xFF, 0x1CEFFF50,
			can.Data{0x66, 0x99, 0x71, 0x03, 0x09, 0xFF, 0xFF, 0xFF}},
		// S2 p.21 verbatim: the request 1CEF5020#669901000201FFFF (register 0x0001 asking for 0x0102).
		{"request from 0x20 as in S2 p.21", VREG{Register: 0x0001, Value: 0xFFFF0102, Size: 4}, 0x50, 0x1CEF5020,
			can.Data{0x66, 0x99, 0x01, 0x00, 0x02, 0x01, 0xFF, 0xFF}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := uint8(0x50)
			if tt.dst != 0xFF {
				src = 0x20
			}
			f := tt.v.Frame(src, tt.dst)
			assert.Equal(t, tt.id, f.ID, "id %08X", f.ID)
			assert.Equal(t, tt.data, f.Data)
			back, ok := ParseVREG(f)
			require.True(t, ok)
			assert.Equal(t, tt.v.Register, back.Register)
			// The value's own bytes come back; the rest is padding. A shift by 32 gives 0 for
			// uint32, so the mask is all ones for a four-byte value.
			mask := uint32(1)<<(8*uint32(tt.v.Size)) - 1
			assert.Equal(t, tt.v.Value, back.Value&mask)
		})
	}
}

func TestParseVREGRejectsOtherManufacturers(t *testing.T) {
	_, ok := ParseVREG(can.Frame{Length: 8, Data: can.Data{0x12, 0x34, 0xFF, 0x0F}})
	assert.False(t, ok)
	_, ok = ParseVREG(can.Frame{Length: 3, Data: can.Data{0x66, 0x99, 0xFF}})
	assert.False(t, ok)
}
