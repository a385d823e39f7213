package vecan

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/firmware"
)

func mustVersion(t *testing.T, s string) firmware.Version {
	t.Helper()
	v, err := firmware.Parse(s)
	require.NoError(t, err)
	return v
}

// Every register the brief and protocol.md §3.3 list is in the table.
func TestRegisterTableCoversProtocolMD(t *testing.T) {
	ids := []Register{
		// S2 p.17-20
		0x0100, 0x0102, 0x0105, 0x010A, 0x010B, 0xED8D, 0xED8F, 0x0385, 0x0386, 0x0FFF, 0x0FFE, 0xEEFF,
		0x2110, 0x2111, 0x2112, 0x2113, 0x2114, 0x2100, 0x0371, 0x2101, 0x034E, 0x1000, 0x0380, 0x0300,
		0x0305, 0x0306, 0x0307, 0x0309, 0x0310, 0x0311, 0x0312, 0x0313, 0x0384, 0x0390, 0x0391, 0x0392,
		0x0393, 0x2014, 0x2015, 0x0090,
		// settings, S2 p.20
		0x0374, 0x0375, 0x0376, 0x0377, 0x0379, 0x0387, 0x0388,
		// other related (protocol.md §3.3)
		0x0370, 0x0372, 0x0373, 0x0378, 0x037A, 0xEEFC, 0xEEFE, 0x0FFC, 0x0FFD, 0x0381, 0x0394, 0x2102,
		0x2103, 0x2107, 0x2108, 0x2016, 0x2001, 0x2017, 0x201B, 0xEDEC, 0x0200, 0x0201, 0x0120,
	}
	for _, id := range ids {
		_, ok := LookupRegister(id)
		assert.True(t, ok, "0x%04X", uint16(id))
	}
	_, ok := LookupRegister(0x4242)
	assert.False(t, ok)
}

func TestRegisterTable(t *testing.T) {
	require.NoError(t, checkTable(registerTable))
	for _, r := range Registers() {
		assert.True(t, strings.HasPrefix(r.Name, "VE_REG_"), r.Name)
		assert.NotEmpty(t, r.Source, r.Name)
		if r.Writable && r.Type.scalar() {
			lo, hi := r.rawBounds()
			assert.Less(t, lo, hi, "%s: a writable register takes more than one value", r.Name)
		}
		if r.Type != String {
			assert.Contains(t, []int{1, 2, 4}, r.Size(), r.Name)
		}
	}
	// The checks refuse what the codecs could not use.
	bad := []RegisterInfo{
		{ID: 2, Name: "VE_REG_B", Description: "b", Type: Un8, Source: "s"},
		{ID: 1, Name: "VE_REG_A", Description: "a", Type: Un8, Source: "s"},
	}
	assert.Error(t, checkTable(bad), "order")
	assert.Error(t, checkTable([]RegisterInfo{{ID: 1, Name: "VE_REG_A", Description: "a", Type: String, Source: "s"}}), "no length")
	assert.Error(t, checkTable([]RegisterInfo{{ID: 1, Name: "VE_REG_A", Description: "a", Type: Un8, Source: ""}}), "no source")
	assert.Error(t, checkTable([]RegisterInfo{{ID: 1, Name: "VE_REG_A", Description: "a", Type: Un8, Min: 300, Max: 400, Source: "s"}}), "range outside the type")

	// Registers is a copy.
	rs := Registers()
	rs[0].Name = "changed"
	assert.NotEqual(t, "changed", Registers()[0].Name)
}

// The writable set: S2 p.20's settings and the changelog's writes.
func TestRegisterWritable(t *testing.T) {
	var got []Register
	for _, r := range Registers() {
		if r.Writable {
			got = append(got, r.ID)
		}
	}
	assert.Equal(t, []Register{
		RegBLEMode, RegDescription1, RegRelayControl, RegLynxIonSyncGroup, RegLynxIonStartupOnCharge,
		RegLynxIonBatteryStrategy, RegLynxIonCombined, RegLynxIonRestartRequest, RegBatteryParallel,
		RegBatterySeries, RegSOC, RegLinkChargeCurrentPercent, RegLinkChargeCurrentLimit,
	}, got)
}

func TestRegisterPhysicalRaw(t *testing.T) {
	tests := []struct {
		reg      Register
		raw      uint32
		physical float64
		format   string
	}{
		{RegSOC, 8765, 87.65, "87.65 %"},
		{RegSOC, 10000, 100, "100.00 %"},
		{RegDCChannel1Voltage, 2640, 26.40, "26.40 V"},
		{RegDCChannel1Current, 0xFF85, -12.3, "-12.3 A"}, // sn16
		{RegChargeCurrentLimit, 1500, 150, "150.0 A"},
		{RegLynxIonConsumedAh, 0xFFFFFF9C, -10, "-10.0 Ah"}, // sn32
		{RegTTG, 125, 125, "125 min"},
		{RegLinkExtraBatteryCurrent, 0xFFFFF510, -2.8, "-2.800 A"},
		{RegHistKWhIn, 123456, 1234.56, "1234.56 kWh"},
		{RegLynxIonState, 9, 9, "9"},
	}
	for _, tt := range tests {
		info, ok := LookupRegister(tt.reg)
		require.True(t, ok)
		got, ok := info.Physical(tt.raw)
		require.True(t, ok, info.Name)
		assert.InDelta(t, tt.physical, got, 1e-9, info.Name)
		assert.Equal(t, tt.format, info.Format(tt.raw), info.Name)
		raw, err := info.Raw(tt.physical)
		require.NoError(t, err, info.Name)
		assert.Equal(t, tt.raw, raw, info.Name)
	}
}

func TestRegisterNotAvailableAndRange(t *testing.T) {
	soc, _ := LookupRegister(RegSOC)
	v, ok := soc.Physical(0xFFFF)
	assert.False(t, ok)
	assert.True(t, math.IsNaN(v))
	assert.Equal(t, "n/a", soc.Format(0xFFFF))
	raw, err := soc.Raw(math.NaN())
	require.NoError(t, err)
	assert.Equal(t, uint32(0xFFFF), raw)
	_, err = soc.Raw(100.01)
	assert.ErrorContains(t, err, "VE_REG_SOC")
	_, err = soc.Raw(-0.01)
	assert.Error(t, err)
	raw, err = soc.Raw(100.004) // rounds to 10000, in range
	require.NoError(t, err)
	assert.Equal(t, uint32(10000), raw)
	assert.True(t, soc.InRange(10000))
	assert.False(t, soc.InRange(10001))
	assert.False(t, soc.InRange(0xFFFF))
	assert.True(t, soc.InRange(0xABCD0000), "only the register's bytes count")
	lo, hi := soc.Range()
	assert.Equal(t, [2]float64{0, 100}, [2]float64{lo, hi})

	// Without explicit bounds the type's range, less the not-available value, applies.
	cvl, _ := LookupRegister(RegChargeVoltageLimit)
	lo, hi = cvl.Range()
	assert.Equal(t, 0.0, lo)
	assert.InDelta(t, 42949672.94, hi, 1e-6)
	assert.True(t, cvl.InRange(0xFFFFFFFE))
	assert.False(t, cvl.InRange(0xFFFFFFFF))
	v8, _ := LookupRegister(RegDCChannel1Voltage)
	lo, hi = v8.Range()
	assert.InDelta(t, -327.68, lo, 1e-9)
	assert.InDelta(t, 327.66, hi, 1e-9)

	ttg, _ := LookupRegister(RegTTG)
	_, err = ttg.Raw(65535) // the not-available value is no measurement
	assert.Error(t, err)
	state, _ := LookupRegister(RegLynxIonState)
	_, err = state.Raw(math.NaN())
	assert.Error(t, err, "no not-available value")

	// Settings: 0..96 batteries in series (S2 p.20).
	series, _ := LookupRegister(RegBatterySeries)
	assert.True(t, series.InRange(96))
	assert.False(t, series.InRange(97))
	assert.False(t, series.InRange(0xFF))
}

func TestRegisterComposites(t *testing.T) {
	cells, _ := LookupRegister(RegMinMaxCellVoltage)
	raw, err := cells.RawPair(3.20, 3.35)
	require.NoError(t, err)
	assert.Equal(t, uint32(320|335<<16), raw)
	lo, hi, ok := cells.PhysicalPair(raw)
	require.True(t, ok)
	assert.InDelta(t, 3.20, lo, 1e-9)
	assert.InDelta(t, 3.35, hi, 1e-9)
	assert.Equal(t, "3.20 V : 3.35 V", cells.Format(raw))
	raw, err = cells.RawPair(math.NaN(), 3.3)
	require.NoError(t, err)
	assert.Equal(t, "n/a : 3.30 V", cells.Format(raw))
	_, err = cells.RawPair(-1, 3)
	assert.Error(t, err)
	_, err = cells.Raw(3.2)
	assert.Error(t, err, "a pair is not one number")
	_, ok = cells.Physical(raw)
	assert.False(t, ok)
	soc, _ := LookupRegister(RegSOC)
	_, _, ok = soc.PhysicalPair(0)
	assert.False(t, ok)
	_, err = soc.RawPair(1, 2)
	assert.Error(t, err)

	temps, _ := LookupRegister(RegMinMaxCellTemperature)
	assert.Equal(t, "288.15 K : 298.15 K", temps.Format(28815|29815<<16))

	cfg, _ := LookupRegister(RegBatteryConfiguration)
	assert.Equal(t, "4 : 8 : 2 : 2", cfg.Format(PackUn8x4(4, 8, 2, 2)))
	pid, _ := LookupRegister(RegProductID)
	assert.Equal(t, "id 0, 0xA391, flags 0xFE", pid.Format(PackProductID(0, 0xA391, 0xFE)))
	app, _ := LookupRegister(RegAppVersion)
	assert.Equal(t, "id 0, 0x013800", app.Format(PackAppVersion(0, mustVersion(t, "1.38").AppVer())))
	cell, _ := LookupRegister(RegBatteryCellVoltage)
	assert.Equal(t, "1 : 5 : 3.31 V", cell.Format(PackUn8x2Un16(1, 5, 331)))
	flags, _ := LookupRegister(RegBMSFlags)
	assert.Equal(t, "0x06000180", flags.Format(0x06000180))
	io, _ := LookupRegister(RegBMSIO)
	assert.Equal(t, "0x1234", io.Format(0xFFFF1234))
	serial, _ := LookupRegister(RegSerialNumber)
	assert.Equal(t, 33, serial.Size())
	assert.Equal(t, `"17380123"`, serial.FormatLong([]byte("17380123\x00\x00")))
}

// TableFor hides what a firmware version does not have yet.
func TestTableFor(t *testing.T) {
	tests := []struct {
		fw                          string
		reg                         Register
		present, writable, onChange bool
	}{
		{"1.07", RegTTG, false, false, false},              // 1.08-02
		{"1.08", RegTTG, true, false, false},               // No/No
		{"1.08", RegSOC, true, false, true},                // writes from 1.09-07
		{"1.09", RegSOC, true, true, true},                 //
		{"1.08", RegRelayControl, true, false, true},       // 1.09-08
		{"1.10", RegLynxIonSyncGroup, false, false, false}, // 1.11-02
		{"1.11", RegLynxIonSyncGroup, true, true, false},   // on change from 1.23-07
		{"1.23", RegLynxIonSyncGroup, true, true, true},
		{"1.17", RegLynxIonCombined, false, false, false}, // 1.18-01
		{"1.22", RegBLEMode, false, false, false},         // 1.23-09
		{"1.23", RegBLEMode, true, true, true},
		{"1.31", RegDescription1, false, false, false}, // 1.32-01
		{"1.38", RegDescription1, true, true, false},
	}
	for _, tt := range tests {
		r, ok := TableFor(mustVersion(t, tt.fw))(tt.reg)
		assert.Equal(t, tt.present, ok, "%s 0x%04X present", tt.fw, uint16(tt.reg))
		assert.Equal(t, tt.writable, r.Writable, "%s 0x%04X writable", tt.fw, uint16(tt.reg))
		assert.Equal(t, tt.onChange, r.OnChange, "%s 0x%04X on change", tt.fw, uint16(tt.reg))
	}
}

func TestDefaultBroadcast(t *testing.T) {
	assert.Equal(t, []Register{
		RegBLEMode, RegRelayControl, RegLynxIonState, RegLynxIonSyncGroup, RegLynxIonStartupOnCharge,
		RegLynxIonBatteryStrategy, RegLynxIonCombined, RegLynxIonRestartRequest, RegBatteryConfiguration,
		RegMinMaxCellVoltage, RegMinMaxCellTemperature, RegBatteryParallel, RegBatterySeries,
		RegChargeVoltageLimit, RegChargeCurrentLimit, RegDischargeVoltageLimit, RegDischargeCurrentLimit,
		RegSOC, RegBatteryCapacity, RegLinkChargeCurrentPercent, RegLinkChargeCurrentLimit,
		RegBMSFlags, RegBMSError, RegBMSLastErrors, RegBMSLastError1Time, RegBMSLastError2Time,
		RegBMSLastError3Time, RegBMSLastError4Time, RegDCChannel1Voltage, RegDCChannel1Current,
	}, DefaultBroadcast(LookupRegister))
	old := DefaultBroadcast(TableFor(mustVersion(t, "1.07")))
	assert.NotContains(t, old, RegBLEMode, "1.23-09")
	assert.NotContains(t, old, RegLynxIonSyncGroup, "on change from 1.23-07")
	assert.Contains(t, old, RegSOC)
}

func TestValueTypeString(t *testing.T) {
	assert.Equal(t, "un16:un16", Un16Pair.String())
	assert.Equal(t, "type 99", ValueType(99).String())
	assert.Equal(t, 0, String.Size())
}
