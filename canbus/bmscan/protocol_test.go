package bmscan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
)

// TestProtocolFrames: S2 p.3–5 (SMA) and p.6–10 (General, adding 0x373, 0x378, 0x380, 0x381).
func TestProtocolFrames(t *testing.T) {
	sma := []uint32{0x351, 0x355, 0x356, 0x35A, 0x35B, 0x35E, 0x35F}
	general := append(append([]uint32{}, sma...), 0x373, 0x378, 0x380, 0x381)
	assert.Equal(t, sma, SMA.Frames())
	assert.Equal(t, general, General.Frames())
	assert.Nil(t, Protocol(0).Frames())
	assert.Nil(t, Protocol(9).Frames())

	// Frames returns a copy.
	f := SMA.Frames()
	f[0] = 0
	assert.Equal(t, sma, SMA.Frames())

	// Every listed id has a spec, and every spec is sent by General.
	var ids []uint32
	for _, s := range Specs() {
		ids = append(ids, s.ID)
	}
	assert.Equal(t, general, ids)

	assert.Equal(t, "SMA", SMA.String())
	assert.Equal(t, "General BMS", General.String())
	assert.Equal(t, "Protocol(0)", Protocol(0).String())
}

func TestSupports(t *testing.T) {
	for _, tc := range []struct {
		p     Protocol
		volts int
		err   string
	}{
		{SMA, 48, ""},
		{SMA, 24, "bmscan: the SMA protocol supports only 48 V systems, not 24 V"}, // S2 p.3
		{SMA, 12, "bmscan: the SMA protocol supports only 48 V systems, not 12 V"},
		{General, 24, ""}, // S2 p.6
		{General, 48, ""},
		{General, 12, "bmscan: the General BMS protocol supports 24 and 48 V systems, not 12 V"},
		{Protocol(0), 48, "bmscan: unknown protocol 0"},
	} {
		err := Supports(tc.p, tc.volts)
		if tc.err == "" {
			assert.NoError(t, err, "%v %d V", tc.p, tc.volts)
		} else {
			assert.EqualError(t, err, tc.err)
		}
	}
}

// TestCurrentCeiling: changelog 1.20-01, 120.0 A before the fix and 1200.0 A after it.
func TestCurrentCeiling(t *testing.T) {
	assert.Equal(t, 120.0, CurrentCeilingAmps(false))
	assert.Equal(t, 1200.0, CurrentCeilingAmps(true))

	l := Limits{ChargeVoltage: 56.8, ChargeCurrent: 500, DischargeCurrent: 500, DischargeVoltage: 44}
	// 120.0 A = 1200 = 0x04B0; 500.0 A = 5000 = 0x1388.
	assert.Equal(t, frame(0x351, 0x38, 0x02, 0xB0, 0x04, 0xB0, 0x04, 0xB8, 0x01),
		l.Clamp(CurrentCeilingAmps(false)).Frame())
	assert.Equal(t, frame(0x351, 0x38, 0x02, 0x88, 0x13, 0x88, 0x13, 0xB8, 0x01),
		l.Clamp(CurrentCeilingAmps(true)).Frame())
	// 1500 A hits the fixed ceiling: 1200.0 A = 12000 = 0x2EE0.
	l.ChargeCurrent, l.DischargeCurrent = 1500, 80
	assert.Equal(t, frame(0x351, 0x38, 0x02, 0xE0, 0x2E, 0x20, 0x03, 0xB8, 0x01),
		l.Clamp(CurrentCeilingAmps(true)).Frame())

	// Not available stays not available; a NaN or +Inf ceiling clamps nothing.
	n := Limits{ChargeCurrent: nan, DischargeCurrent: 3000}
	c := n.Clamp(120)
	assert.True(t, c.ChargeCurrent != c.ChargeCurrent)
	assert.Equal(t, 120.0, c.DischargeCurrent)
	assert.Equal(t, 3000.0, n.Clamp(nan).DischargeCurrent)
}

func testCycle(tb testing.TB) Cycle {
	hi, lo, err := SplitSerial("HQ2049ABCDE12345")
	require.NoError(tb, err)
	return Cycle{
		Limits:         Limits{ChargeVoltage: 56.8, ChargeCurrent: 500, DischargeCurrent: 150, DischargeVoltage: 44},
		Status:         Status{SOC: 87, SOH: 100, SOCHighRes: 87.35},
		BasicInfo:      BasicInfo{Voltage: 53.12, Current: -25.5, TemperatureC: 23.4},
		AlarmsWarnings: AlarmsWarnings{Alarms: allConditions(OK), Warnings: allConditions(OK)},
		Events:         Events{},
		Manufacturer:   DefaultManufacturer(),
		SystemInfo:     SystemInfo{MasterType: MasterTypeID, SoftwareMajor: 1, SoftwareMinor: 24, CapacityAh: 460},
		CellInfo:       CellInfo{MinCellVoltage: 3.281, MaxCellVoltage: 3.305, MinCellTemperatureK: 293, MaxCellTemperatureK: 298},
		Energy:         Energy{ChargedKWh: 1234.56, DischargedKWh: 987.65},
		SerialHigh:     hi,
		SerialLow:      lo,
	}
}

func TestCycleAppendFrames(t *testing.T) {
	c := testCycle(t)
	for _, p := range []Protocol{SMA, General} {
		frames := c.AppendFrames(nil, p, CurrentCeilingAmps(true))
		require.Len(t, frames, len(p.Frames()))
		for i, f := range frames {
			assert.Equal(t, p.Frames()[i], f.ID)
			m, err := Parse(f)
			require.NoError(t, err, "%v", f)
			assert.Equal(t, f, m.Frame())
		}
		// 0x351 carries the clamped limits.
		l, err := ParseLimits(frames[0])
		require.NoError(t, err)
		assert.Equal(t, 500.0, l.ChargeCurrent)
	}
	frames := c.AppendFrames(make([]can.Frame, 0, 11), SMA, CurrentCeilingAmps(false))
	l, err := ParseLimits(frames[0])
	require.NoError(t, err)
	assert.Equal(t, 120.0, l.ChargeCurrent, "unfixed ceiling (1.20-01)")
	assert.Equal(t, 120.0, l.DischargeCurrent)
	assert.Empty(t, c.AppendFrames(nil, Protocol(0), 1200))
}

// TestZeroAlloc: encoding a whole cycle and parsing each frame with the typed parsers allocate
// nothing.
func TestZeroAlloc(t *testing.T) {
	c := testCycle(t)
	buf := make([]can.Frame, 0, 11)
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		buf = c.AppendFrames(buf[:0], General, CurrentCeilingFixed)
	}))
	frames := c.AppendFrames(nil, General, CurrentCeilingFixed)
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		_, _ = ParseLimits(frames[0])
		_, _ = ParseStatus(frames[1])
		_, _ = ParseBasicInfo(frames[2])
		_, _ = ParseAlarmsWarnings(frames[3])
		_, _ = ParseEvents(frames[4])
		_, _ = ParseManufacturer(frames[5])
		_, _ = ParseSystemInfo(frames[6])
		_, _ = ParseCellInfo(frames[7])
		_, _ = ParseEnergy(frames[8])
		_, _ = ParseSerialHigh(frames[9])
		_, _ = ParseSerialLow(frames[10])
	}))
}

func BenchmarkCycleGeneral(b *testing.B) {
	c := testCycle(b)
	buf := make([]can.Frame, 0, 11)
	b.ReportAllocs()
	for b.Loop() {
		buf = c.AppendFrames(buf[:0], General, CurrentCeilingFixed)
	}
}

func BenchmarkCycleSMA(b *testing.B) {
	c := testCycle(b)
	buf := make([]can.Frame, 0, 11)
	b.ReportAllocs()
	for b.Loop() {
		buf = c.AppendFrames(buf[:0], SMA, CurrentCeilingFixed)
	}
}

func BenchmarkParseCycle(b *testing.B) {
	c := testCycle(b)
	frames := c.AppendFrames(nil, General, CurrentCeilingFixed)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ParseLimits(frames[0])
		_, _ = ParseStatus(frames[1])
		_, _ = ParseBasicInfo(frames[2])
		_, _ = ParseAlarmsWarnings(frames[3])
		_, _ = ParseEvents(frames[4])
		_, _ = ParseManufacturer(frames[5])
		_, _ = ParseSystemInfo(frames[6])
		_, _ = ParseCellInfo(frames[7])
		_, _ = ParseEnergy(frames[8])
		_, _ = ParseSerialHigh(frames[9])
		_, _ = ParseSerialLow(frames[10])
	}
}
