package batbus

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
)

// frame builds an expected frame of this protocol: msg, addr and 8 data bytes.
func frame(msg Message, addr uint8, data ...byte) can.Frame {
	f := can.Frame{ID: ID(msg, addr), IsExtended: true, Length: uint8(len(data))}
	copy(f.Data[:], data)
	return f
}

// serial174600001 is HQ174600001 (changelog 1.09-14: the first serial v1.07 does not support)
// on the wire: 174 600 001 = 0x0A682F41, little-endian.
var serial174600001 = []byte{0x41, 0x2F, 0x68, 0x0A}

// TestEncodeExact checks frames worked out by hand from docs/battery-bus.md, byte for byte. The
// Status and Extremes frames are also those of canbus/decode/testdata/sample.log, written for the
// provisional protocol whose layout v1 keeps for them.
func TestEncodeExact(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  Encoder
		want can.Frame
	}{
		{
			// 26.48 V = 2648 = 0x0A58; −15.0 A = −150 = 0xFF6A; 60.00 % = 6000 = 0x1770; every
			// status bit; sequence 255.
			name: "Status",
			msg:  Status{Address: 1, Centivolts: 2648, Deciamps: -150, SOCHundredths: 6000, Flags: 0xFF, Sequence: 255},
			want: frame(MsgStatus, 1, 0x58, 0x0A, 0x6A, 0xFF, 0x70, 0x17, 0xFF, 0xFF),
		},
		{
			name: "Status not available",
			msg:  Status{Address: 64, Centivolts: NAUn16, Deciamps: NASn16, SOCHundredths: NAUn16, Flags: StatusCommTimeout, Sequence: 0},
			want: frame(MsgStatus, 64, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0x20, 0x00),
		},
		{
			// 3.305 V = 3305 mV = 0x0CE9; 25.0 °C = 250 = 0x00FA.
			name: "Extremes",
			msg:  Extremes{Address: 1, MinMillivolts: 3305, MaxMillivolts: 3305, MinDeciCelsius: 250, MaxDeciCelsius: 250},
			want: frame(MsgExtremes, 1, 0xE9, 0x0C, 0xE9, 0x0C, 0xFA, 0x00, 0xFA, 0x00),
		},
		{
			// The last frame of 8 cells: cells 6 and 7, the third slot not available.
			name: "CellVoltages",
			msg:  CellVoltages{Address: 2, First: 6, Count: 8, Millivolts: [3]uint16{3300, 3301, NAUn16}},
			want: frame(MsgCellVoltages, 2, 0x06, 0x08, 0xE4, 0x0C, 0xE5, 0x0C, 0xFF, 0xFF),
		},
		{
			// −5.2 °C = −52 = 0xFFCC.
			name: "Temperatures",
			msg:  Temperatures{Address: 2, First: 0, Count: 2, DeciCelsius: [3]int16{-52, 251, NASn16}},
			want: frame(MsgTemperatures, 2, 0x00, 0x02, 0xCC, 0xFF, 0xFB, 0x00, 0xFF, 0x7F),
		},
		{
			name: "Terminals",
			msg:  Terminals{Address: 3, PositiveDeciCelsius: 312, NegativeDeciCelsius: NASn16},
			want: frame(MsgTerminals, 3, 0x38, 0x01, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF),
		},
		{
			// Byte 2: leakage none (00), fan on (01 << 2), self-test failed (3 << 4) = 0x34;
			// byte 3: RAM (bit 1) with the reserved bits 6–7 set = 0xC2; byte 4: humidity
			// sensor fault (bit 5) = 0x20.
			name: "Environment",
			msg: Environment{Address: 3, HumidityPercent: 45, SOHPercent: 97, Leakage: LeakageNone, Fan: FanStateOn,
				SelfTest: SelfTestFailed, SelfTestFailures: SelfTestRAM, SensorFaults: FaultHumidity},
			want: frame(MsgEnvironment, 3, 45, 97, 0x34, 0xC2, 0x20, 0xFF, 0xFF, 0xFF),
		},
		{
			// From its temporary address: 0x80 + 174 600 001 mod 127 = 0x94; product 0x4D02.
			name: "Announce",
			msg:  Announce{Address: 0x94, Nameplate: Nameplate{Prefix: PrefixHQ, Serial: 174_600_001, Product: 0x4D02}},
			want: frame(MsgAnnounce, 0x94, append([]byte{'H', 'Q'}, append(serial174600001, 0x02, 0x4D)...)...),
		},
		{
			// 280 Ah = 0x0118; features passive balancing (bit 0) and SOH (bit 8): byte 5 0x01,
			// byte 6 0x01 with the reserved bits 3–7 set = 0xF9; protocol version 1.
			name: "Describe",
			msg: Describe{Address: 0x94, Chemistry: ChemistryLFP, Cells: 8, CapacityAh: 280, TemperatureSensors: 4,
				Features: FeaturePassiveBalancing | FeatureSOH},
			want: frame(MsgDescribe, 0x94, 0x01, 0x08, 0x18, 0x01, 0x04, 0x01, 0xF9, 0x01),
		},
		{
			name: "Firmware",
			msg:  Firmware{Address: 5, Major: 2, Minor: 3, Processor: 0x23},
			want: frame(MsgFirmware, 5, 2, 3, 0x23, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF),
		},
		{
			name: "Assign",
			msg:  Assign{Prefix: PrefixHQ, Serial: 174_600_001, Address: 1},
			want: frame(MsgAssign, Broadcast, append([]byte{'H', 'Q'}, append(serial174600001, 0x01, 0xFF)...)...),
		},
		{
			name: "AssignAck",
			msg:  AssignAck{Address: 1, Nameplate: Nameplate{Prefix: PrefixHQ, Serial: 174_600_001, Product: 0x4D02}},
			want: frame(MsgAssignAck, 1, append([]byte{'H', 'Q'}, append(serial174600001, 0x02, 0x4D)...)...),
		},
		{
			name: "Release",
			msg:  Release{To: 7, Reason: ReleaseConflict},
			want: frame(MsgRelease, 7, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF),
		},
		{
			name: "Heartbeat",
			msg:  Heartbeat{State: 9, Sequence: 7, DetailSeconds: 2},
			want: frame(MsgHeartbeat, Broadcast, 0x09, 0x07, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF),
		},
		{
			// Bleed cells 0 and 7: mask 0x00000081.
			name: "Command balance",
			msg:  Command{To: 3, Tag: 9, Code: CmdBalance, CellMask: 0x81},
			want: frame(MsgCommand, 3, 0x01, 0x09, 0x81, 0x00, 0x00, 0x00, 0xFF, 0xFF),
		},
		{
			name: "Command transfer stop",
			msg:  Command{To: Broadcast, Tag: 1, Code: CmdTransfer, FromCell: NoCell, ToCell: NoCell},
			want: frame(MsgCommand, Broadcast, 0x02, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF),
		},
		{
			// 200 000 bytes = 0x00030D40.
			name: "Command update begin",
			msg:  Command{To: 4, Tag: 10, Code: CmdUpdateBegin, ImageSize: 200_000, Processor: 0x23},
			want: frame(MsgCommand, 4, 0x07, 0x0A, 0x40, 0x0D, 0x03, 0x00, 0x23, 0xFF),
		},
		{
			name: "Command update block",
			msg:  Command{To: 4, Tag: 11, Code: CmdUpdateBlock, Block: 781, CRC: 0x29B1},
			want: frame(MsgCommand, 4, 0x08, 0x0B, 0x0D, 0x03, 0xB1, 0x29, 0xFF, 0xFF),
		},
		{
			name: "CommandAck",
			msg:  CommandAck{Address: 4, Code: CmdUpdateBlock, Tag: 11, Result: ResultOK, NextBlock: 782},
			want: frame(MsgCommandAck, 4, 0x08, 0x0B, 0x00, 0x0E, 0x03, 0xFF, 0xFF, 0xFF),
		},
		{
			name: "UpdateData",
			msg:  UpdateData{To: 4, Data: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}},
			want: frame(MsgUpdateData, 4, 1, 2, 3, 4, 5, 6, 7, 8),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.msg.Frame()
			assert.Equal(t, tc.want, got)
			back, err := parseAny(got)
			require.NoError(t, err)
			assert.Equal(t, tc.msg, back)
		})
	}
}

// examples has values of every message, every command code and the edges of every range; each
// encodes to a valid frame.
func examples() []Encoder {
	np := Nameplate{Prefix: PrefixHQ, Serial: 174_600_001, Product: 0x4D02}
	out := []Encoder{
		Assign{Prefix: PrefixHQ, Serial: 174_600_001, Address: 1},
		Assign{Prefix: [2]byte{'Z', 'A'}, Serial: MaxSerial, Address: MaxBatteries},
		Release{To: Broadcast, Reason: ReleaseRestart},
		Release{To: 64, Reason: ReleaseOther},
		Command{To: 1, Tag: 0, Code: CmdBalance, CellMask: 0},
		Command{To: 1, Tag: 255, Code: CmdBalance, CellMask: 0xFFFF_FFFF},
		Command{To: 2, Tag: 3, Code: CmdTransfer, FromCell: 0, ToCell: 31},
		Command{To: Broadcast, Tag: 4, Code: CmdFan, Fan: FanAuto},
		Command{To: Broadcast, Tag: 5, Code: CmdShutdown},
		Command{To: Broadcast, Tag: 6, Code: CmdWake},
		Command{To: 9, Tag: 7, Code: CmdIdentify, Seconds: 255},
		Command{To: 9, Tag: 8, Code: CmdUpdateBegin, ImageSize: MaxImageSize, Processor: 254},
		Command{To: 9, Tag: 9, Code: CmdUpdateBlock, Block: 65_534, CRC: 0xFFFF},
		Command{To: 9, Tag: 10, Code: CmdUpdateEnd, Blocks: 65_535, CRC: 0},
		Command{To: 9, Tag: 11, Code: CmdUpdateAbort},
		Command{To: Broadcast, Tag: 12, Code: CmdRequestDescribe},
		Command{To: 9, Tag: 13, Code: CmdRequestIdentity},
		Heartbeat{State: 0, Sequence: 0, DetailSeconds: 1},
		Heartbeat{State: MaxMasterState, Sequence: 255, DetailSeconds: MaxDetailSeconds},
		UpdateData{To: 9, Data: [8]byte{0xFF, 0, 0xFF, 0, 0xFF, 0, 0xFF, 0}},
		CommandAck{Address: 9, Code: CmdFan, Tag: 4, Result: ResultBusy, NextBlock: NAUn16},
		CommandAck{Address: 9, Code: 200, Tag: 4, Result: ResultUnknown, NextBlock: NAUn16},
		AssignAck{Address: 64, Nameplate: np},
		Status{Address: 1, Centivolts: 16_000, Deciamps: -32_768, SOCHundredths: 10_000, Flags: StatusBalancing | StatusUpdating, Sequence: 1},
		Status{Address: 2, Centivolts: 0, Deciamps: 32_766, SOCHundredths: 0},
		Extremes{Address: 3, MinMillivolts: 0, MaxMillivolts: 5000, MinDeciCelsius: -600, MaxDeciCelsius: 1500},
		Extremes{Address: 3, MinMillivolts: NAUn16, MaxMillivolts: NAUn16, MinDeciCelsius: NASn16, MaxDeciCelsius: NASn16},
		CellVoltages{Address: 4, First: 0, Count: 1, Millivolts: [3]uint16{3300, NAUn16, NAUn16}},
		CellVoltages{Address: 4, First: 30, Count: 32, Millivolts: [3]uint16{0, 5000, NAUn16}},
		CellVoltages{Address: 4, First: 3, Count: 16, Millivolts: [3]uint16{3301, NAUn16, 3303}},
		Temperatures{Address: 5, First: 0, Count: 4, DeciCelsius: [3]int16{-600, 1500, NASn16}},
		Temperatures{Address: 5, First: 30, Count: 32, DeciCelsius: [3]int16{-1, 0, NASn16}},
		Terminals{Address: 6, PositiveDeciCelsius: -600, NegativeDeciCelsius: 1500},
		Environment{Address: 7, HumidityPercent: NAUn8, SOHPercent: NAUn8, Leakage: LeakageNA, Fan: FanStateNA, SelfTest: SelfTestNA},
		Environment{Address: 7, HumidityPercent: 100, SOHPercent: 0, Leakage: LeakageSensorError, Fan: FanStateFault,
			SelfTest: SelfTestFailed, SelfTestFailures: 0x3F, SensorFaults: 0xFF},
		Identity{Address: 8, Nameplate: Nameplate{Prefix: [2]byte{'A', 'Z'}, Serial: 0, Product: 1}},
		Describe{Address: 8, Chemistry: ChemistryNMC, Cells: 7, CapacityAh: 100, TemperatureSensors: 0, Features: 1<<featureCount - 1},
		Describe{Address: LastTemporary, Chemistry: ChemistryLFP, Cells: MaxCells, CapacityAh: 65_535, TemperatureSensors: MaxTemperatureSensors},
		Firmware{Address: 8, Major: 99, Minor: 0, Processor: 1},
		Announce{Address: FirstTemporary, Nameplate: Nameplate{Prefix: PrefixHQ, Serial: 1, Product: 0xFFFE}},
	}
	// Every frame of a 31-cell module with 32 sensors: every multiplexer value.
	for first := uint8(0); first < MaxCells; first += PerFrame {
		c := CellVoltages{Address: 10, First: first, Count: 31}
		t := Temperatures{Address: 10, First: first, Count: MaxTemperatureSensors}
		for k := range PerFrame {
			c.Millivolts[k], t.DeciCelsius[k] = NAUn16, NASn16
			if i := first + uint8(k); i < 31 {
				c.Millivolts[k] = 3000 + uint16(i)
			}
			if i := first + uint8(k); i < MaxTemperatureSensors {
				t.DeciCelsius[k] = 200 - int16(i)*10
			}
		}
		out = append(out, c, t)
	}
	return out
}

// parseAny decodes f with the typed parser of its message. Unlike the typed parsers it allocates
// (the interface value); tests only.
func parseAny(f can.Frame) (Encoder, error) {
	msg, _, ok := Split(f)
	if !ok {
		return nil, Check(f)
	}
	var (
		m   Encoder
		err error
	)
	switch msg {
	case MsgAssign:
		m, err = ParseAssign(f)
	case MsgRelease:
		m, err = ParseRelease(f)
	case MsgCommand:
		m, err = ParseCommand(f)
	case MsgHeartbeat:
		m, err = ParseHeartbeat(f)
	case MsgUpdateData:
		m, err = ParseUpdateData(f)
	case MsgCommandAck:
		m, err = ParseCommandAck(f)
	case MsgAssignAck:
		m, err = ParseAssignAck(f)
	case MsgStatus:
		m, err = ParseStatus(f)
	case MsgExtremes:
		m, err = ParseExtremes(f)
	case MsgCellVoltages:
		m, err = ParseCellVoltages(f)
	case MsgTemperatures:
		m, err = ParseTemperatures(f)
	case MsgTerminals:
		m, err = ParseTerminals(f)
	case MsgEnvironment:
		m, err = ParseEnvironment(f)
	case MsgIdentity:
		m, err = ParseIdentity(f)
	case MsgDescribe:
		m, err = ParseDescribe(f)
	case MsgFirmware:
		m, err = ParseFirmware(f)
	case MsgAnnounce:
		m, err = ParseAnnounce(f)
	default:
		return nil, Check(f)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Every example survives encode → parse → encode, passes Check, and every message has one.
func TestRoundTrips(t *testing.T) {
	seen := map[Message]bool{}
	for _, e := range examples() {
		f := e.Frame()
		require.NoError(t, f.Validate())
		require.NoError(t, Check(f), "%+v", e)
		back, err := parseAny(f)
		require.NoError(t, err, "%+v", e)
		assert.Equal(t, e, back)
		assert.Equal(t, f, back.Frame())
		assert.Equal(t, e.Message(), back.Message())
		msg, _, ok := Split(f)
		require.True(t, ok)
		assert.Equal(t, e.Message(), msg)
		seen[msg] = true
	}
	for _, s := range Specs() {
		assert.True(t, seen[s.Message], "%s has no example", s.Name)
	}
}

// TestAllCommandsHaveExamples: every command code appears in examples, so that the round trips,
// the DBC test and the fuzz seeds cover every multiplexer value.
func TestAllCommandsHaveExamples(t *testing.T) {
	seen := map[CommandCode]bool{}
	for _, e := range examples() {
		if c, ok := e.(Command); ok {
			seen[c.Code] = true
		}
	}
	for c := CmdBalance; c <= lastCommand; c++ {
		assert.True(t, seen[c], "%s", c)
	}
}

// reject is a frame every parser must refuse, the kind of error and words the error must have.
type reject struct {
	name  string
	frame can.Frame
	kind  error
	text  string
}

// with returns f with data byte i set to b.
func with(f can.Frame, i int, b byte) can.Frame { f.Data[i] = b; return f }

func rejects() []reject {
	status := Status{Address: 2, Centivolts: 2640, SOCHundredths: 5000}.Frame()
	extremes := Extremes{Address: 2, MinMillivolts: 3300, MaxMillivolts: 3310, MinDeciCelsius: 250, MaxDeciCelsius: 260}
	cells := CellVoltages{Address: 2, First: 6, Count: 8, Millivolts: [3]uint16{3300, 3301, NAUn16}}
	announce := Announce{Address: 0x94, Nameplate: Nameplate{Prefix: PrefixHQ, Serial: 174_600_001, Product: 2}}
	describe := Describe{Address: 0x94, Chemistry: ChemistryLFP, Cells: 8, CapacityAh: 280, TemperatureSensors: 4}
	env := Environment{Address: 2, HumidityPercent: 40, SOHPercent: 90, Fan: FanStateOn, SelfTest: SelfTestPassed}
	return []reject{
		// Frame format.
		{"standard frame", can.Frame{ID: 0x351, Length: 8}, ErrNotBatbus, "standard frame 0x351"},
		{"remote frame", func() can.Frame { f := status; f.IsRemote = true; return f }(), ErrNotBatbus, "remote frame"},
		{"another protocol's tag", can.Frame{ID: 0x19F21450, IsExtended: true, Length: 8}, ErrNotBatbus, "tag 0x0B1"},
		{"tag with bit 31", func() can.Frame { f := status; f.ID |= 1 << 31; return f }(), ErrNotBatbus, "tag"},
		{"unknown message 0x40", frame(0x40, 1, 0, 0, 0, 0, 0, 0, 0, 0), ErrUnknown, "message 0x40 is not in protocol v1"},
		{"7 data bytes", func() can.Frame { f := status; f.Length = 7; return f }(), ErrLength, "7 data bytes, want 8"},
		{"length 255", func() can.Frame { f := status; f.Length = 255; return f }(), ErrLength, "255 data bytes"},
		// Addresses.
		{"Status from address 0", Status{Address: 0}.Frame(), ErrAddress, "address 0x00 is not a battery's"},
		{"Status from address 65", Status{Address: 65}.Frame(), ErrAddress, "address 0x41"},
		{"Status from a temporary address", Status{Address: 0x80}.Frame(), ErrAddress, "address 0x80"},
		{"Announce from an assigned address", Announce{Address: 5, Nameplate: announce.Nameplate}.Frame(), ErrAddress, "not a temporary one"},
		{"Announce from broadcast", Announce{Address: Broadcast, Nameplate: announce.Nameplate}.Frame(), ErrAddress, "address 0xFF"},
		{"Assign to one battery", func() can.Frame {
			f := Assign{Prefix: PrefixHQ, Serial: 1, Address: 1}.Frame()
			f.ID = ID(MsgAssign, 1)
			return f
		}(), ErrAddress, "broadcast"},
		{"Heartbeat to the master's address", func() can.Frame { f := Heartbeat{}.Frame(); f.ID = ID(MsgHeartbeat, 0); return f }(), ErrAddress, "address 0x00"},
		{"UpdateData to all", UpdateData{To: Broadcast}.Frame(), ErrAddress, "address 0xFF"},
		{"Release to a temporary address", Release{To: 0x90}.Frame(), ErrAddress, "address 0x90"},
		// Impossible values.
		{"SOC above 100 %", Status{Address: 2, SOCHundredths: 10_001}.Frame(), ErrValue, "SOC 100.01 % is outside 0.00 to 100.00 %"},
		{"module above 160 V", Status{Address: 2, Centivolts: 16_001}.Frame(), ErrValue, "Voltage 160.01 V"},
		{"65 V cell", func() can.Frame { e := extremes; e.MaxMillivolts = 65_000; return e.Frame() }(), ErrValue, "MaxCellVoltage 65.000 V is outside 0.000 to 5.000 V"},
		{"−300 °C", func() can.Frame { e := extremes; e.MinDeciCelsius = -3000; return e.Frame() }(), ErrValue, "MinCellTemperature -300.0 °C is outside -60.0 to 150.0 °C"},
		{"lowest cell above highest", func() can.Frame { e := extremes; e.MinMillivolts = 3320; return e.Frame() }(), ErrValue, "MinCellVoltage 3.320 V is above MaxCellVoltage 3.310 V"},
		{"half a temperature pair", func() can.Frame { e := extremes; e.MaxDeciCelsius = NASn16; return e.Frame() }(), ErrValue, "one of MinCellTemperature and MaxCellTemperature is not available"},
		{"33 cells", func() can.Frame { c := cells; c.Count = 33; return c.Frame() }(), ErrValue, "CellCount 33 is outside 1 to 32"},
		{"no cells", func() can.Frame { c := cells; c.Count = 0; return c.Frame() }(), ErrValue, "CellCount 0"},
		{"first cell not a multiple of 3", with(cells.Frame(), 0, 4), ErrValue, "first cell 4 is not a multiple of 3"},
		{"first cell past the count", func() can.Frame { c := cells; c.First, c.Count = 9, 8; return c.Frame() }(), ErrValue, "first cell 9 is not below the cell count 8"},
		{"a cell past the count", func() can.Frame { c := cells; c.Count = 7; return c.Frame() }(), ErrValue, "cell 7 is past the cell count 7"},
		{"200 °C sensor", Temperatures{Address: 2, First: 0, Count: 1, DeciCelsius: [3]int16{2000, NASn16, NASn16}}.Frame(), ErrValue, "Temperature0 200.0 °C"},
		{"hot terminal", Terminals{Address: 2, PositiveDeciCelsius: 1501, NegativeDeciCelsius: NASn16}.Frame(), ErrValue, "PositiveTerminal 150.1 °C"},
		{"humidity 101 %", func() can.Frame { e := env; e.HumidityPercent = 101; return e.Frame() }(), ErrValue, "Humidity 101 %"},
		{"SOH 101 %", func() can.Frame { e := env; e.SOHPercent = 101; return e.Frame() }(), ErrValue, "SOH 101 %"},
		{"self-test state 5", func() can.Frame { e := env; e.SelfTest = 5; return e.Frame() }(), ErrValue, "SelfTest 5 is not a known value"},
		{"failed tests after a pass", func() can.Frame { e := env; e.SelfTestFailures = SelfTestFlash; return e.Frame() }(), ErrValue, "SelfTestFlash is set but SelfTest is Passed"},
		{"lower-case serial prefix", Announce{Address: 0x94, Nameplate: Nameplate{Prefix: [2]byte{'h', 'q'}, Serial: 1, Product: 2}}.Frame(), ErrValue, "SerialPrefix0 104 is outside 65 to 90"},
		{"ten-digit serial", Announce{Address: 0x94, Nameplate: Nameplate{Prefix: PrefixHQ, Serial: MaxSerial + 1, Product: 2}}.Frame(), ErrValue, "Serial 1000000000 is outside 0 to 999999999"},
		{"product 0", Identity{Address: 1, Nameplate: Nameplate{Prefix: PrefixHQ, Serial: 1}}.Frame(), ErrValue, "ProductID 0"},
		{"product 0xFFFF", AssignAck{Address: 1, Nameplate: Nameplate{Prefix: PrefixHQ, Serial: 1, Product: 0xFFFF}}.Frame(), ErrValue, "ProductID 65535"},
		{"a module of 33 cells", func() can.Frame { d := describe; d.Cells = 33; return d.Frame() }(), ErrValue, "Cells 33 is outside 1 to 32"},
		{"a module of no cells", func() can.Frame { d := describe; d.Cells = 0; return d.Frame() }(), ErrValue, "Cells 0"},
		{"0 Ah", func() can.Frame { d := describe; d.CapacityAh = 0; return d.Frame() }(), ErrValue, "Capacity 0 Ah"},
		{"33 temperature sensors", func() can.Frame { d := describe; d.TemperatureSensors = 33; return d.Frame() }(), ErrValue, "TemperatureSensors 33"},
		{"chemistry 3", func() can.Frame { d := describe; d.Chemistry = 3; return d.Frame() }(), ErrValue, "Chemistry 3 is not a known value"},
		{"protocol version 2", with(describe.Frame(), 7, 2), ErrValue, "ProtocolVersion 2 is outside 1 to 1"},
		{"firmware minor 100", Firmware{Address: 1, Major: 1, Minor: 100, Processor: 1}.Frame(), ErrValue, "FirmwareMinor 100"},
		{"processor 0", Firmware{Address: 1}.Frame(), ErrValue, "Processor 0"},
		{"address 0 assigned", Assign{Prefix: PrefixHQ, Serial: 1, Address: 0}.Frame(), ErrValue, "Address 0 is outside 1 to 64"},
		{"address 65 assigned", Assign{Prefix: PrefixHQ, Serial: 1, Address: 65}.Frame(), ErrValue, "Address 65"},
		{"release reason 3", Release{To: 1, Reason: 3}.Frame(), ErrValue, "Reason 3 is not a known value"},
		{"master state 19", Heartbeat{State: 19, DetailSeconds: 1}.Frame(), ErrValue, "State 19"},
		{"no detail period", Heartbeat{State: 9}.Frame(), ErrValue, "DetailPeriod 0 s is outside 1 to 10 s"},
		{"detail period 11 s", Heartbeat{State: 9, DetailSeconds: 11}.Frame(), ErrValue, "DetailPeriod 11 s"},
		{"command code 13", Command{To: 1, Code: 13}.Frame(), ErrUnknownCommand, "command code 13 is not in protocol v1"},
		{"command code 0", Command{To: 1, Code: 0}.Frame(), ErrUnknownCommand, "command code 0"},
		{"fan mode 3", Command{To: 1, Code: CmdFan, Fan: 3}.Frame(), ErrValue, "FanMode 3"},
		{"transfer to the same cell", Command{To: 1, Code: CmdTransfer, FromCell: 2, ToCell: 2}.Frame(), ErrValue, "Transfer from cell 2 to itself"},
		{"transfer to nowhere", Command{To: 1, Code: CmdTransfer, FromCell: 2, ToCell: NoCell}.Frame(), ErrValue, "stop with 0xFF in both"},
		{"transfer from cell 32", Command{To: 1, Code: CmdTransfer, FromCell: 32, ToCell: 1}.Frame(), ErrValue, "FromCell 32 is outside 0 to 31"},
		{"empty image", Command{To: 1, Code: CmdUpdateBegin, Processor: 1}.Frame(), ErrValue, "ImageSize 0 B"},
		{"update to all", Command{To: Broadcast, Code: CmdUpdateBlock}.Frame(), ErrValue, "UpdateBlock goes to one battery, not to all"},
		{"ack result 4", CommandAck{Address: 1, Code: CmdFan, Result: 4, NextBlock: NAUn16}.Frame(), ErrValue, "Result 4 is not a known value"},
		{"ack ok for an unknown code", CommandAck{Address: 1, Code: 13, Result: ResultOK, NextBlock: NAUn16}.Frame(), ErrValue, "result ok for command code 13"},
		// Reserved bits.
		{"reserved status-less byte", with(Terminals{Address: 2}.Frame(), 5, 0x00), ErrReserved, "reserved bits 0x0000FF0000000000 are not all 1"},
		{"reserved feature bit", with(describe.Frame(), 6, 0x00), ErrReserved, "reserved bits"},
		{"reserved byte after a balance mask", with(Command{To: 1, Code: CmdBalance}.Frame(), 7, 0xFE), ErrReserved, "reserved bits"},
		{"arguments of a command without any", with(Command{To: 1, Code: CmdShutdown}.Frame(), 2, 0x00), ErrReserved, "reserved bits"},
		{"the slot past cell 31", with(CellVoltages{Address: 1, First: 30, Count: 32}.Frame(), 7, 0x00), ErrReserved, "reserved bits"},
	}
}

// TestRejects: every parser path refuses what it must, with the right kind and words; Check
// agrees with the typed parser.
func TestRejects(t *testing.T) {
	for _, tc := range rejects() {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAny(tc.frame)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.kind)
			assert.Contains(t, err.Error(), tc.text)
			var fe *FrameError
			require.True(t, errors.As(err, &fe))
			assert.Equal(t, tc.frame.ID, fe.ID)
			checkErr := Check(tc.frame)
			require.Error(t, checkErr)
			assert.Equal(t, err.Error(), checkErr.Error())
		})
	}
}

// A parser given another message's frame says which message it got.
func TestWrongParser(t *testing.T) {
	_, err := ParseExtremes(Status{Address: 1}.Frame())
	assert.ErrorIs(t, err, ErrMessage)
	assert.EqualError(t, err, "batbus Extremes from battery 1: the frame is message 0x10 (Status)")
	_, err = ParseCommand(Heartbeat{}.Frame())
	assert.ErrorIs(t, err, ErrMessage)
}

func TestErrorNamesTheDirection(t *testing.T) {
	_, err := ParseRelease(Release{To: Broadcast, Reason: 9}.Frame())
	assert.EqualError(t, err, "batbus Release to all: Reason 9 is not a known value")
	_, err = ParseDescribe(Describe{Address: 0x9A}.Frame())
	assert.EqualError(t, err, "batbus Describe from temporary address 0x9A: Chemistry 0 is not a known value")
}

func TestCRC16(t *testing.T) {
	// The check value of CRC-16/CCITT-FALSE (the CRC catalogue's "check" for "123456789").
	assert.Equal(t, uint16(0x29B1), CRC16([]byte("123456789")))
	assert.Equal(t, uint16(0xFFFF), CRC16(nil))
	assert.Equal(t, CRC16([]byte("123456789")), CRC16Update(CRC16([]byte("1234")), []byte("56789")))
}

func TestTemporaryAddress(t *testing.T) {
	// Worked out independently (Python, from the definitions in docs/battery-bus.md §5.2):
	// 174 600 001 mod 127 = 20; CRC-16 of "HQ", 41 2F 68 0A, 01 mod 127 = 64.
	assert.Equal(t, uint8(0x94), TemporaryAddress(PrefixHQ, 174_600_001, 0))
	assert.Equal(t, uint8(0x95), TemporaryAddress(PrefixHQ, 174_600_002, 0))
	assert.Equal(t, uint8(0xC0), TemporaryAddress(PrefixHQ, 174_600_001, 1))
	assert.Equal(t, uint8(0xB7), TemporaryAddress(PrefixHQ, 174_600_002, 1))
	assert.Equal(t, 10*time.Millisecond, AnnounceOffset(174_600_001))
	assert.Equal(t, 490*time.Millisecond, AnnounceOffset(174_600_049))

	// Always a temporary address; the next attempt moves most of the time; the phase is within
	// the period on a 10 ms grid.
	moved := 0
	for serial := uint32(174_600_000); serial < 174_610_000; serial++ {
		a := TemporaryAddress(PrefixHQ, serial, 0)
		require.True(t, FromTemporary.Allows(a), "%d: 0x%02X", serial, a)
		for attempt := uint8(1); attempt < 4; attempt++ {
			require.True(t, FromTemporary.Allows(TemporaryAddress(PrefixHQ, serial, attempt)))
		}
		if TemporaryAddress(PrefixHQ, serial, 1) != a {
			moved++
		}
		o := AnnounceOffset(serial)
		require.True(t, o >= 0 && o < AnnouncePeriod && o%(10*time.Millisecond) == 0, "%v", o)
	}
	assert.Greater(t, moved, 9_800)
}

// The collision figures docs/battery-bus.md §5.2 quotes: 64 batteries of consecutive serials
// never share a temporary address; 64 of random serials share one in about 16 pairs, the birthday
// estimate 64·63/2/127; two batteries that shared one at attempt 0 rarely share again at attempt
// 1.
func TestTemporaryCollisions(t *testing.T) {
	pairs := func(serials []uint32, attempt uint8) int {
		seen := map[uint8]int{}
		for _, s := range serials {
			seen[TemporaryAddress(PrefixHQ, s, attempt)]++
		}
		n := 0
		for _, k := range seen {
			n += k * (k - 1) / 2
		}
		return n
	}
	consecutive := make([]uint32, 64)
	for i := range consecutive {
		consecutive[i] = 174_600_100 + uint32(i)
	}
	assert.Zero(t, pairs(consecutive, 0))

	const banks = 500
	state := uint32(1)
	total, again := 0, 0
	for range banks {
		bank := make([]uint32, 64)
		for i := range bank {
			state = state*1_664_525 + 1_013_904_223 // a fixed LCG: the test is repeatable
			bank[i] = state % (MaxSerial + 1)
		}
		total += pairs(bank, 0)
		for i := range bank {
			for j := range i {
				a, b := bank[i], bank[j]
				if TemporaryAddress(PrefixHQ, a, 0) == TemporaryAddress(PrefixHQ, b, 0) &&
					TemporaryAddress(PrefixHQ, a, 1) == TemporaryAddress(PrefixHQ, b, 1) {
					again++
				}
			}
		}
	}
	mean := float64(total) / banks
	t.Logf("random serials: %.1f sharing pairs per bank of 64; %d of %d pairs share again at attempt 1", mean, again, total)
	assert.InDelta(t, 64*63/2/127.0, mean, 1.5)
	assert.Less(t, float64(again), float64(total)/50)
}

func TestCompareAndFormatSerials(t *testing.T) {
	assert.Equal(t, "HQ174600001", FormatSerial(PrefixHQ, 174_600_001))
	assert.Equal(t, "HQ000000042", FormatSerial(PrefixHQ, 42))
	assert.Equal(t, "HQ174600001", Nameplate{Prefix: PrefixHQ, Serial: 174_600_001}.SerialString())
	assert.Equal(t, -1, CompareSerials(PrefixHQ, 2, PrefixHQ, 10))
	assert.Equal(t, 1, CompareSerials([2]byte{'H', 'R'}, 1, PrefixHQ, MaxSerial))
	assert.Equal(t, 0, CompareSerials(PrefixHQ, 7, PrefixHQ, 7))
}

func TestNames(t *testing.T) {
	assert.Equal(t, "Status", MsgStatus.String())
	assert.Equal(t, "message(0x42)", Message(0x42).String())
	assert.Equal(t, "UpdateBlock", CmdUpdateBlock.String())
	assert.Equal(t, "command(13)", CommandCode(13).String())
	assert.Equal(t, "busy", ResultBusy.String())
	assert.Equal(t, "conflict", ReleaseConflict.String())
	assert.Equal(t, "NMC", ChemistryNMC.String())
	assert.Equal(t, "v2.03", Firmware{Major: 2, Minor: 3}.Version())
	assert.True(t, FeatureSOH.Has(FeatureSOH))
	assert.True(t, (StatusFanOn | StatusBalancing).Has(StatusFanOn))
}

// TestNoAllocations: encoding and parsing allocate nothing, for every message.
func TestNoAllocations(t *testing.T) {
	for _, e := range examples() {
		f := e.Frame()
		allocs := testing.AllocsPerRun(100, func() {
			f = e.Frame()
			if Check(f) != nil {
				t.Fatal("example does not parse")
			}
		})
		assert.Zero(t, allocs, "%T", e)
	}
	spec, _ := SpecOf(MsgCellVoltages)
	dst := make([]float64, len(spec.Signals))
	f := CellVoltages{Address: 1, First: 3, Count: 8, Millivolts: [3]uint16{3300, 3301, 3302}}.Frame()
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = spec.Decode(f, dst) }))
}
