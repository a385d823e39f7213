package bmscan

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
)

var nan = math.NaN()

// frame builds the expected frame: a standard data frame with len(data) bytes.
func frame(id uint32, data ...byte) can.Frame {
	f := can.Frame{ID: id, Length: uint8(len(data))}
	copy(f.Data[:], data)
	return f
}

// mustText is NewText for test literals.
func mustText(t *testing.T, s string) Text {
	t.Helper()
	x, err := NewText(s)
	require.NoError(t, err)
	return x
}

// sameMessage compares two decoded messages by their encoding, so that NaN equals NaN.
func sameMessage(t *testing.T, want, got Message) {
	t.Helper()
	require.Equal(t, want.ID(), got.ID())
	assert.Equal(t, want.Frame(), got.Frame(), "want %+v, got %+v", want, got)
}

// TestEncodeExact checks hand-computed frames, byte for byte. Each expected byte sequence is
// worked out in the comment from the S2 field definition it tests.
func TestEncodeExact(t *testing.T) {
	hi, lo, err := SplitSerial("HQ2049ABCDE12345")
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		msg  Message
		want can.Frame
	}{
		{
			// S2 p.3: un16 0,1V, sn16 0,1A, sn16 0,1A, un16 0,1V, low byte first.
			// 56.8 V = 568 = 0x0238; 100.0 A = 1000 = 0x03E8; 150.0 A = 1500 = 0x05DC;
			// 44.0 V = 440 = 0x01B8.
			name: "0x351 limits",
			msg:  Limits{ChargeVoltage: 56.8, ChargeCurrent: 100, DischargeCurrent: 150, DischargeVoltage: 44},
			want: frame(0x351, 0x38, 0x02, 0xE8, 0x03, 0xDC, 0x05, 0xB8, 0x01),
		},
		{
			// sn16 (S2 p.3): −12.3 A = −123 = 0xFF85 two's complement.
			name: "0x351 negative current",
			msg:  Limits{ChargeVoltage: 0, ChargeCurrent: -12.3, DischargeCurrent: 0, DischargeVoltage: 0},
			want: frame(0x351, 0x00, 0x00, 0x85, 0xFF, 0x00, 0x00, 0x00, 0x00),
		},
		{
			// Invalid values (S2 p.3): un16 0xFFFF, sn16 0x8000.
			name: "0x351 not available",
			msg:  Limits{nan, nan, nan, nan},
			want: frame(0x351, 0xFF, 0xFF, 0x00, 0x80, 0x00, 0x80, 0xFF, 0xFF),
		},
		{
			// S2 p.3: SOC un16 1%, SOH un16 1%, SOC high resolution un16 0,01%; bytes 0–5.
			// 87 = 0x57; 100 = 0x64; 87.35 % = 8735 = 0x221F.
			name: "0x355 status",
			msg:  Status{SOC: 87, SOH: 100, SOCHighRes: 87.35},
			want: frame(0x355, 0x57, 0x00, 0x64, 0x00, 0x1F, 0x22),
		},
		{
			name: "0x355 not available",
			msg:  Status{nan, nan, nan},
			want: frame(0x355, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF),
		},
		{
			// S2 p.3: voltage un16 0,01V, current sn16 0,1A, temperature sn16 0,1°C; bytes 0–5.
			// 53.12 V = 5312 = 0x14C0; −25.5 A = −255 = 0xFF01; 23.4 °C = 234 = 0x00EA.
			name: "0x356 basic info",
			msg:  BasicInfo{Voltage: 53.12, Current: -25.5, TemperatureC: 23.4},
			want: frame(0x356, 0xC0, 0x14, 0x01, 0xFF, 0xEA, 0x00),
		},
		{
			// −10.5 °C = −105 = 0xFF97.
			name: "0x356 not available and frost",
			msg:  BasicInfo{Voltage: nan, Current: nan, TemperatureC: -10.5},
			want: frame(0x356, 0xFF, 0xFF, 0x00, 0x80, 0x97, 0xFF),
		},
		{
			// S2 p.4: byte 0 bits 0–1 general alarm = 2 (OK) → 0x02, bits 2–3 high voltage = 1
			// (raised) → 0x04, so byte 0 = 0x06; byte 3 bits 0–1 cell imbalance = 2 → 0x02;
			// warnings: byte 5 bits 4–5 low temperature charge = 1 → 0x10; byte 6 bits 6–7 BMS
			// internal = 2 → 0x80.
			name: "0x35A alarms and warnings",
			msg: AlarmsWarnings{
				Alarms:   Conditions{General: OK, HighVoltage: Active, CellImbalance: OK},
				Warnings: Conditions{LowTemperatureCharge: Active, BMSInternal: OK},
			},
			want: frame(0x35A, 0x06, 0x00, 0x00, 0x02, 0x00, 0x10, 0x80, 0x00),
		},
		{
			// All 13 named conditions OK (0b10 each): 0b10101010 = 0xAA in bytes 0–2, and only
			// bits 0–1 of byte 3 (the rest reserved): 0x02.
			name: "0x35A all OK",
			msg:  AlarmsWarnings{Alarms: allConditions(OK), Warnings: allConditions(OK)},
			want: frame(0x35A, 0xAA, 0xAA, 0xAA, 0x02, 0xAA, 0xAA, 0xAA, 0x02),
		},
		{
			// S2 p.5: byte 0 bit 4 "Preventive battery shutdown", 1=active → 0x10; one byte.
			name: "0x35B preventive shutdown",
			msg:  Events{PreventiveShutdown: true},
			want: frame(0x35B, 0x10),
		},
		{
			// S2 p.5 bits 0–3 (not used by the Master LV, but encodable): 0x0F.
			name: "0x35B bits 0-3",
			msg:  Events{SOCRecalibrationStart: true, SOCRecalibrationStop: true, PowerLimitationStart: true, PowerLimitationStop: true},
			want: frame(0x35B, 0x0F),
		},
		{
			// S2 p.5: "MG-BMS" = 4D 47 2D 42 4D 53, NUL padded (assumed) to 8 bytes.
			name: "0x35E default manufacturer",
			msg:  DefaultManufacturer(),
			want: frame(0x35E, 'M', 'G', '-', 'B', 'M', 'S', 0, 0),
		},
		{
			// S2 p.5: master type 0x3A9B low byte first; software version "MSB first",
			// "0x0118 -> V1.24" → 01 18; capacity 460 Ah = 0x01CC low first; hardware
			// configuration 0x0102 low first.
			name: "0x35F system info v1.24",
			msg:  SystemInfo{MasterType: MasterTypeID, SoftwareMajor: 1, SoftwareMinor: 24, CapacityAh: 460, HardwareConfig: 0x0102},
			want: frame(0x35F, 0x9B, 0x3A, 0x01, 0x18, 0xCC, 0x01, 0x02, 0x01),
		},
		{
			// v1.38 → 0x01 0x26; capacity not available → 0xFFFF.
			name: "0x35F v1.38, capacity not available",
			msg:  SystemInfo{MasterType: MasterTypeID, SoftwareMajor: 1, SoftwareMinor: 38, CapacityAh: nan},
			want: frame(0x35F, 0x9B, 0x3A, 0x01, 0x26, 0xFF, 0xFF, 0x00, 0x00),
		},
		{
			// S2 p.9: un16 1mV, 1mV, 1Kelvin, 1Kelvin. 3.281 V = 3281 = 0x0CD1; 3.305 V = 3305 =
			// 0x0CE9; 293 K = 0x0125; 298 K = 0x012A.
			name: "0x373 cell info",
			msg:  CellInfo{MinCellVoltage: 3.281, MaxCellVoltage: 3.305, MinCellTemperatureK: 293, MaxCellTemperatureK: 298},
			want: frame(0x373, 0xD1, 0x0C, 0xE9, 0x0C, 0x25, 0x01, 0x2A, 0x01),
		},
		{
			// S2 p.9: un32 0,01KWh. 1234.56 kWh = 123456 = 0x0001E240; 987.65 kWh = 98765 =
			// 0x000181CD.
			name: "0x378 energy",
			msg:  Energy{ChargedKWh: 1234.56, DischargedKWh: 987.65},
			want: frame(0x378, 0x40, 0xE2, 0x01, 0x00, 0xCD, 0x81, 0x01, 0x00),
		},
		{
			// Invalid un32: 0xFFFFFFFF (S2 p.6).
			name: "0x378 not available",
			msg:  Energy{ChargedKWh: nan, DischargedKWh: 0},
			want: frame(0x378, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00),
		},
		{
			// S2 p.9: first 8 characters.
			name: "0x380 serial high",
			msg:  hi,
			want: frame(0x380, 'H', 'Q', '2', '0', '4', '9', 'A', 'B'),
		},
		{
			// S2 p.10: last 8 characters.
			name: "0x381 serial low",
			msg:  lo,
			want: frame(0x381, 'C', 'D', 'E', '1', '2', '3', '4', '5'),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.msg.Frame()
			assert.Equal(t, tc.want, got, "got %v, want %v", got, tc.want)
			back, err := Parse(got)
			require.NoError(t, err)
			sameMessage(t, tc.msg, back)
		})
	}
}

func allConditions(s State) Conditions {
	return Conditions{s, s, s, s, s, s, s, s, s, s, s, s, s, [3]State{}}
}

// TestConditionPositions sets each named condition alone and checks its byte and bit against
// the field map of S2 p.4 (the same as the protocol.md §5 table), for alarms and for warnings.
func TestConditionPositions(t *testing.T) {
	for _, tc := range []struct {
		name      string
		byte, bit int // S2 p.4, alarm half
		set       func(*Conditions)
	}{
		{"General", 0, 0, func(c *Conditions) { c.General = Active }},
		{"HighVoltage", 0, 2, func(c *Conditions) { c.HighVoltage = Active }},
		{"LowVoltage", 0, 4, func(c *Conditions) { c.LowVoltage = Active }},
		{"HighTemperature", 0, 6, func(c *Conditions) { c.HighTemperature = Active }},
		{"LowTemperature", 1, 0, func(c *Conditions) { c.LowTemperature = Active }},
		{"HighTemperatureCharge", 1, 2, func(c *Conditions) { c.HighTemperatureCharge = Active }},
		{"LowTemperatureCharge", 1, 4, func(c *Conditions) { c.LowTemperatureCharge = Active }},
		{"HighCurrent", 1, 6, func(c *Conditions) { c.HighCurrent = Active }},
		{"HighChargeCurrent", 2, 0, func(c *Conditions) { c.HighChargeCurrent = Active }},
		{"Contactor", 2, 2, func(c *Conditions) { c.Contactor = Active }},
		{"ShortCircuit", 2, 4, func(c *Conditions) { c.ShortCircuit = Active }},
		{"BMSInternal", 2, 6, func(c *Conditions) { c.BMSInternal = Active }},
		{"CellImbalance", 3, 0, func(c *Conditions) { c.CellImbalance = Active }},
		{"Reserved1", 3, 2, func(c *Conditions) { c.Reserved[0] = Active }},
		{"Reserved2", 3, 4, func(c *Conditions) { c.Reserved[1] = Active }},
		{"Reserved3", 3, 6, func(c *Conditions) { c.Reserved[2] = Active }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Conditions
			tc.set(&c)
			for half, aw := range []AlarmsWarnings{{Alarms: c}, {Warnings: c}} {
				want := frame(IDAlarmsWarnings, 0, 0, 0, 0, 0, 0, 0, 0)
				want.Data[4*half+tc.byte] = 1 << tc.bit // Active = 1 in the low bit of the pair
				assert.Equal(t, want, aw.Frame(), "half %d", half)
				back, err := ParseAlarmsWarnings(want)
				require.NoError(t, err)
				assert.Equal(t, aw, back)
			}
		})
	}
}

func TestStateString(t *testing.T) {
	assert.Equal(t, "unsupported", Unsupported.String())
	assert.Equal(t, "active", Active.String())
	assert.Equal(t, "ok", OK.String())
	assert.Equal(t, "reserved", StateReserved.String())
	assert.Equal(t, "State(9)", State(9).String())
}

// TestDecodeNotAvailable checks that every invalid value of S2 p.3 and p.6 decodes to NaN.
func TestDecodeNotAvailable(t *testing.T) {
	l, err := ParseLimits(frame(0x351, 0xFF, 0xFF, 0x00, 0x80, 0x00, 0x80, 0xFF, 0xFF))
	require.NoError(t, err)
	for _, v := range []float64{l.ChargeVoltage, l.ChargeCurrent, l.DischargeCurrent, l.DischargeVoltage} {
		assert.True(t, math.IsNaN(v), "%+v", l)
	}
	s, err := ParseStatus(frame(0x355, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF))
	require.NoError(t, err)
	assert.True(t, math.IsNaN(s.SOC) && math.IsNaN(s.SOH) && math.IsNaN(s.SOCHighRes), "%+v", s)
	b, err := ParseBasicInfo(frame(0x356, 0xFF, 0xFF, 0x00, 0x80, 0x00, 0x80))
	require.NoError(t, err)
	assert.True(t, math.IsNaN(b.Voltage) && math.IsNaN(b.Current) && math.IsNaN(b.TemperatureC), "%+v", b)
	si, err := ParseSystemInfo(frame(0x35F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF))
	require.NoError(t, err)
	assert.True(t, math.IsNaN(si.CapacityAh))
	// Identifiers have no invalid value: 0xFFFF is just a value.
	si.CapacityAh = 0
	assert.Equal(t, SystemInfo{MasterType: 0xFFFF, SoftwareMajor: 0xFF, SoftwareMinor: 0xFF, HardwareConfig: 0xFFFF}, si)
	c, err := ParseCellInfo(frame(0x373, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF))
	require.NoError(t, err)
	assert.True(t, math.IsNaN(c.MinCellVoltage) && math.IsNaN(c.MaxCellVoltage) &&
		math.IsNaN(c.MinCellTemperatureK) && math.IsNaN(c.MaxCellTemperatureK), "%+v", c)
	e, err := ParseEnergy(frame(0x378, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF))
	require.NoError(t, err)
	assert.True(t, math.IsNaN(e.ChargedKWh) && math.IsNaN(e.DischargedKWh), "%+v", e)

	// One step away from the invalid value is a value.
	l, err = ParseLimits(frame(0x351, 0xFE, 0xFF, 0x01, 0x80, 0xFF, 0x7F, 0, 0))
	require.NoError(t, err)
	assert.Equal(t, Limits{6553.4, -3276.7, 3276.7, 0}, l)
	e, err = ParseEnergy(frame(0x378, 0xFE, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0))
	require.NoError(t, err)
	assert.Equal(t, Energy{42949672.94, 0}, e)
}

// TestSaturateAndRound checks that out-of-range values saturate without producing an invalid
// value, and that rounding goes to the nearest step, halves away from zero.
func TestSaturateAndRound(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  Message
		want can.Frame
	}{
		{"un16 above range", Limits{ChargeVoltage: 7000}, frame(0x351, 0xFE, 0xFF, 0, 0, 0, 0, 0, 0)},
		{"un16 +Inf", Limits{ChargeVoltage: math.Inf(1)}, frame(0x351, 0xFE, 0xFF, 0, 0, 0, 0, 0, 0)},
		{"un16 negative", Limits{ChargeVoltage: -5}, frame(0x351, 0, 0, 0, 0, 0, 0, 0, 0)},
		{"sn16 above range", Limits{ChargeCurrent: 1e9}, frame(0x351, 0, 0, 0xFF, 0x7F, 0, 0, 0, 0)},
		{"sn16 below range", Limits{ChargeCurrent: math.Inf(-1)}, frame(0x351, 0, 0, 0x01, 0x80, 0, 0, 0, 0)},
		{"round half up", Limits{ChargeCurrent: 0.05}, frame(0x351, 0, 0, 0x01, 0x00, 0, 0, 0, 0)},
		{"round half down", Limits{ChargeCurrent: -0.05}, frame(0x351, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0)},
		{"round nearest", Limits{ChargeVoltage: 56.84}, frame(0x351, 0x38, 0x02, 0, 0, 0, 0, 0, 0)},
		{"un32 above range", Energy{ChargedKWh: 1e12}, frame(0x378, 0xFE, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0)},
		{"un32 negative", Energy{ChargedKWh: -1}, frame(0x378, 0, 0, 0, 0, 0, 0, 0, 0)},
		{"state above 3", AlarmsWarnings{Alarms: Conditions{General: 7}}, frame(0x35A, 0x03, 0, 0, 0, 0, 0, 0, 0)},
		{"events reserved above 7", Events{Reserved: 9}, frame(0x35B, 0xE0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.msg.Frame())
		})
	}
}

// TestReservedBitsSurvive: reserved bits a sender set come back out of a parse and re-encode.
func TestReservedBitsSurvive(t *testing.T) {
	f := frame(0x35A, 0, 0, 0, 0xFC, 0, 0, 0, 0xA8)
	aw, err := ParseAlarmsWarnings(f)
	require.NoError(t, err)
	assert.Equal(t, [3]State{StateReserved, StateReserved, StateReserved}, aw.Alarms.Reserved)
	assert.Equal(t, [3]State{OK, OK, OK}, aw.Warnings.Reserved)
	assert.Equal(t, f, aw.Frame())

	ev, err := ParseEvents(frame(0x35B, 0xB0))
	require.NoError(t, err)
	assert.Equal(t, Events{PreventiveShutdown: true, Reserved: 5}, ev)
	assert.Equal(t, frame(0x35B, 0xB0), ev.Frame())
}

// TestParseErrors runs every failure mode through every parser.
func TestParseErrors(t *testing.T) {
	parsers := map[uint32]func(can.Frame) (Message, error){
		IDLimits:         wrap(ParseLimits),
		IDStatus:         wrap(ParseStatus),
		IDBasicInfo:      wrap(ParseBasicInfo),
		IDAlarmsWarnings: wrap(ParseAlarmsWarnings),
		IDEvents:         wrap(ParseEvents),
		IDManufacturer:   wrap(ParseManufacturer),
		IDSystemInfo:     wrap(ParseSystemInfo),
		IDCellInfo:       wrap(ParseCellInfo),
		IDEnergy:         wrap(ParseEnergy),
		IDSerialHigh:     wrap(ParseSerialHigh),
		IDSerialLow:      wrap(ParseSerialLow),
		0:                Parse, // the generic parser, checked against each spec below
	}
	require.Len(t, parsers, len(Specs())+1)
	for _, spec := range Specs() {
		good := can.Frame{ID: spec.ID, Length: spec.Length}
		cases := []struct {
			name string
			f    can.Frame
			kind error
			msg  string
		}{
			{"short", withLength(good, spec.Length-1), ErrLength,
				fmt.Sprintf("bmscan 0x%03X: %d data bytes, want %d", spec.ID, spec.Length-1, spec.Length)},
			{"long", withLength(good, spec.Length+1), ErrLength,
				fmt.Sprintf("bmscan 0x%03X: %d data bytes, want %d", spec.ID, spec.Length+1, spec.Length)},
			{"beyond 8", withLength(good, 15), ErrLength,
				fmt.Sprintf("bmscan 0x%03X: 15 data bytes, want %d", spec.ID, spec.Length)},
			{"extended", func() can.Frame { f := good; f.IsExtended = true; return f }(), ErrExtended,
				fmt.Sprintf("bmscan 0x%03X: extended (29-bit) frame, want standard 11-bit", spec.ID)},
			{"remote", func() can.Frame { f := good; f.IsRemote = true; return f }(), ErrRemote,
				fmt.Sprintf("bmscan 0x%03X: remote frame, want data frame", spec.ID)},
		}
		for _, tc := range cases {
			for _, id := range []uint32{spec.ID, 0} {
				t.Run(fmt.Sprintf("%03X/%s/parser%03X", spec.ID, tc.name, id), func(t *testing.T) {
					m, err := parsers[id](tc.f)
					require.Error(t, err)
					assert.Nil(t, m)
					assert.True(t, errors.Is(err, tc.kind), "%v is not %v", err, tc.kind)
					assert.Equal(t, tc.msg, err.Error())
				})
			}
		}
		// The right frame to the wrong typed parser.
		other := IDLimits
		if spec.ID == IDLimits {
			other = IDStatus
		}
		_, err := parsers[other](good)
		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrID))
		assert.Equal(t, fmt.Sprintf("bmscan 0x%03X: frame id 0x%03X", other, spec.ID), err.Error())
		// And the right one accepts it.
		_, err = parsers[spec.ID](good)
		require.NoError(t, err)
	}
	_, err := Parse(frame(0x352, 0, 0, 0, 0, 0, 0, 0, 0))
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrUnknown))
	assert.Equal(t, "bmscan 0x352: not a frame of the SMA or General BMS protocol", err.Error())
	// The example of the brief, verbatim.
	_, err = ParseLimits(frame(0x351, 1, 2, 3, 4, 5))
	assert.EqualError(t, err, "bmscan 0x351: 5 data bytes, want 8")
}

func wrap[T Message](parse func(can.Frame) (T, error)) func(can.Frame) (Message, error) {
	return func(f can.Frame) (Message, error) {
		m, err := parse(f)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
}

func withLength(f can.Frame, n uint8) can.Frame {
	f.Length = n
	return f
}

func TestSpecEncodeDecodeEdges(t *testing.T) {
	spec, ok := SpecOf(IDLimits)
	require.True(t, ok)
	err := spec.Decode(frame(0x351, 0, 0, 0, 0, 0, 0, 0, 0), make([]float64, 3))
	assert.EqualError(t, err, "bmscan 0x351: 3 values for 4 signals")
	_, ok = SpecOf(0x352)
	assert.False(t, ok)

	// Missing values encode as 0; NaN in a field without an invalid value encodes as 0.
	assert.Equal(t, frame(0x351, 0x38, 0x02, 0, 0, 0, 0, 0, 0), spec.Encode([]float64{56.8}))
	sys, ok := SpecOf(IDSystemInfo)
	require.True(t, ok)
	assert.False(t, sys.Signals[0].NA)
	assert.Zero(t, sys.Signals[0].Raw(nan))
}

func TestText(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{"", ""},
		{"MG-BMS", ""},
		{"12345678", ""},
		{"123456789", `bmscan: text "123456789" is 9 bytes, at most 8 fit a frame`},
		{"MG\x00BMS", `bmscan: text "MG\x00BMS" has byte 0x00 at 2, want printable ASCII`},
		{"é", `bmscan: text "é" has byte 0xC3 at 0, want printable ASCII`},
	} {
		x, err := NewText(tc.in)
		if tc.err != "" {
			assert.EqualError(t, err, tc.err)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.in, x.String())
	}
	m := Manufacturer{mustText(t, "ACME")}
	assert.Equal(t, frame(0x35E, 'A', 'C', 'M', 'E', 0, 0, 0, 0), m.Frame())
	assert.Equal(t, "MG-BMS", DefaultManufacturer().Name.String())
}

func TestSerial(t *testing.T) {
	for _, tc := range []struct {
		in     string
		hi, lo can.Frame
	}{
		{"HQ2049ABCDE12345", frame(0x380, 'H', 'Q', '2', '0', '4', '9', 'A', 'B'), frame(0x381, 'C', 'D', 'E', '1', '2', '3', '4', '5')},
		// Shorter serials: left-aligned, NUL padded (assumption, see SplitSerial).
		{"HQ2049ABC", frame(0x380, 'H', 'Q', '2', '0', '4', '9', 'A', 'B'), frame(0x381, 'C', 0, 0, 0, 0, 0, 0, 0)},
		{"HQ20", frame(0x380, 'H', 'Q', '2', '0', 0, 0, 0, 0), frame(0x381, 0, 0, 0, 0, 0, 0, 0, 0)},
	} {
		hi, lo, err := SplitSerial(tc.in)
		require.NoError(t, err)
		assert.Equal(t, tc.hi, hi.Frame(), tc.in)
		assert.Equal(t, tc.lo, lo.Frame(), tc.in)
		assert.Equal(t, tc.in, JoinSerial(hi, lo))
	}
	_, _, err := SplitSerial("HQ2049ABCDE123456")
	assert.EqualError(t, err, `bmscan: serial number "HQ2049ABCDE123456" is 17 bytes, at most 16 fit frames 0x380 and 0x381`)
	_, _, err = SplitSerial("HQ\n")
	assert.EqualError(t, err, `bmscan: text "HQ\n" has byte 0x0A at 2, want printable ASCII`)
}

// TestSoftwareVersionByteOrder: the only big-endian field (S2 p.5 "MSB first"). The neighbours
// stay little-endian.
func TestSoftwareVersionByteOrder(t *testing.T) {
	f := frame(0x35F, 0x01, 0x02, 0x01, 0x18, 0x03, 0x04, 0x05, 0x06)
	s, err := ParseSystemInfo(f)
	require.NoError(t, err)
	assert.Equal(t, SystemInfo{MasterType: 0x0201, SoftwareMajor: 1, SoftwareMinor: 24, CapacityAh: 0x0403, HardwareConfig: 0x0605}, s)
	assert.Equal(t, f, s.Frame())
}
