package vecan

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// S2 p.16's layout: SID, instance, type, SOC, SOH 0xFF, TTG (2), ripple 0xFFFF, Ah (2).
func TestDCDetailedStatusLayout(t *testing.T) {
	s := DCDetailedStatus{SID: 3, Instance: 0, DCType: DCTypeBattery, SOCPercent: 87.65, SOHPercent: math.NaN(),
		TimeRemaining: 1234 * time.Minute, RippleVolts: math.NaN(), RemainingAh: 245}
	assert.Equal(t, []byte{0x03, 0x00, 0x00, 87, 0xFF, 0xD2, 0x04, 0xFF, 0xFF, 0xF5, 0x00}, s.AppendPayload(nil))
}

func TestDCDetailedStatusEncoding(t *testing.T) {
	tests := []struct {
		name string
		s    DCDetailedStatus
		at   int
		want []byte
	}{
		{"SOC 99.9 % is 99 (floor, 1.25-05)", DCDetailedStatus{SOCPercent: 99.9}, 3, []byte{99}},
		{"SOC 100 %", DCDetailedStatus{SOCPercent: 100}, 3, []byte{100}},
		{"SOC 57.999999999 % is 58", DCDetailedStatus{SOCPercent: 0.58 * 100}, 3, []byte{58}},
		{"SOC below 0 is 0", DCDetailedStatus{SOCPercent: -3}, 3, []byte{0}},
		{"SOC above 252 saturates (S2 p.15)", DCDetailedStatus{SOCPercent: 300}, 3, []byte{252}},
		{"SOC unknown", DCDetailedStatus{SOCPercent: math.NaN()}, 3, []byte{0xFF}},
		{"SOH rounds", DCDetailedStatus{SOHPercent: 95.5}, 4, []byte{96}},
		{"TTG rounds to the minute", DCDetailedStatus{TimeRemaining: 90 * time.Second}, 5, []byte{2, 0}},
		{"TTG unknown", DCDetailedStatus{TimeRemaining: TimeRemainingUnknown}, 5, []byte{0xFF, 0xFF}},
		{"TTG saturates at 65532 min", DCDetailedStatus{TimeRemaining: 1000 * time.Hour * 24}, 5, []byte{0xFC, 0xFF}},
		{"ripple mV", DCDetailedStatus{RippleVolts: 0.169}, 7, []byte{0xA9, 0x00}},
		{"Ah saturates", DCDetailedStatus{RemainingAh: 1e9}, 9, []byte{0xFC, 0xFF}},
		{"Ah unknown", DCDetailedStatus{RemainingAh: math.NaN()}, 9, []byte{0xFF, 0xFF}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := tt.s.AppendPayload([]byte{0xAA})
			require.Len(t, out, 1+DCDetailedStatusLength, "appends")
			assert.Equal(t, tt.want, out[1+tt.at:1+tt.at+len(tt.want)])
		})
	}
}

func TestParseDCDetailedStatus(t *testing.T) {
	_, ok := ParseDCDetailedStatus(make([]byte, 8))
	assert.False(t, ok)
	s, ok := ParseDCDetailedStatus([]byte{1, 2, 0, 50, 0xFE, 0xFE, 0xFF, 0xFD, 0xFF, 7, 0, 0xEE})
	require.True(t, ok, "longer payloads are read to their eleventh byte")
	assert.Equal(t, 50.0, s.SOCPercent)
	assert.True(t, math.IsNaN(s.SOHPercent), "0xFE is the error value")
	assert.Negative(t, s.TimeRemaining, "0xFFFE is the error value")
	assert.InDelta(t, 65.533, s.RippleVolts, 1e-9, "0xFFFD is a value")
	assert.Equal(t, 7.0, s.RemainingAh)
	s, ok = ParseDCDetailedStatus([]byte{1, 2, 0, 50, 0, 0, 0, 0, 0, 7})
	require.True(t, ok)
	assert.True(t, math.IsNaN(s.RemainingAh), "a half field is not available")
}

func TestProductInformation(t *testing.T) {
	p := ProductInformation{NMEA2000Version: 2100, ProductCode: 0xA391, ModelID: "Lynx Ion BMS 150A",
		SoftwareVersion: "v1.38", ModelVersion: "Lynx Ion BMS", ModelSerial: strings.Repeat("9", 40),
		CertificationLevel: 0xFF, LoadEquivalency: 1}
	out := p.AppendPayload(nil)
	require.Len(t, out, ProductInformationLength)
	assert.Equal(t, []byte{0x34, 0x08, 0x91, 0xA3}, out[:4])
	assert.Equal(t, "Lynx Ion BMS 150A", string(out[4:21]))
	assert.Equal(t, []byte{0xFF, 0xFF}, out[21:23], "0xFF padding (velib veOutFixedStr)")
	assert.Equal(t, []byte{0xFF, 1}, out[132:])
	back, ok := ParseProductInformation(out)
	require.True(t, ok)
	want := p
	want.ModelSerial = strings.Repeat("9", 32)
	assert.Equal(t, want, back, "the serial is cut to 32 bytes")

	_, ok = ParseProductInformation(out[:131])
	assert.False(t, ok)
	short, ok := ParseProductInformation(out[:132])
	require.True(t, ok)
	assert.Equal(t, uint8(0xFF), short.CertificationLevel)
	assert.Equal(t, uint8(0xFF), short.LoadEquivalency)
}

func TestBatteryConfigurationStatus(t *testing.T) {
	c := BatteryConfigurationStatus{Instance: 0, BatteryType: BatteryTypeFlooded, SupportsEqualization: EqualizationNo,
		NominalVoltage: NominalVoltage48, Chemistry: ChemistryLithium, CapacityAh: 280,
		TemperatureCoefficientPercent: math.NaN(), PeukertExponent: 1.05, ChargeEfficiencyPercent: 99}
	out := c.AppendPayload(nil)
	assert.Equal(t, []byte{0x00, 0xC0, 0x16, 0x18, 0x01, 0x7F, 25, 99}, out)
	back, ok := ParseBatteryConfigurationStatus(out)
	require.True(t, ok)
	assert.True(t, math.IsNaN(back.TemperatureCoefficientPercent))
	back.TemperatureCoefficientPercent = c.TemperatureCoefficientPercent
	assert.InDelta(t, 1.05, back.PeukertExponent, 1e-12)
	back.PeukertExponent = c.PeukertExponent
	assert.Equal(t, c.Instance, back.Instance)
	assert.Equal(t, c.NominalVoltage, back.NominalVoltage)
	assert.Equal(t, c.Chemistry, back.Chemistry)
	assert.Equal(t, c.CapacityAh, back.CapacityAh)
	assert.Equal(t, c.ChargeEfficiencyPercent, back.ChargeEfficiencyPercent)

	sat := BatteryConfigurationStatus{CapacityAh: math.NaN(), TemperatureCoefficientPercent: -500, PeukertExponent: 3,
		ChargeEfficiencyPercent: 500}.AppendPayload(nil)
	assert.Equal(t, []byte{0xFF, 0xFF, 0x80, 250, 125}, sat[3:])
	nan := BatteryConfigurationStatus{PeukertExponent: math.NaN()}.AppendPayload(nil)
	assert.Equal(t, byte(0xFF), nan[6])
	p, _ := ParseBatteryConfigurationStatus(nan)
	assert.True(t, math.IsNaN(p.PeukertExponent))
	_, ok = ParseBatteryConfigurationStatus(out[:7])
	assert.False(t, ok)
}
