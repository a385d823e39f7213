package batbus

import (
	"fmt"
	"slices"

	"go.einride.tech/can"
)

// The signal tables: the wire format of protocol v1, one MessageSpec per message. The byte
// tables of docs/battery-bus.md and the DBC testdata/battery-bus.dbc say the same;
// TestDBCMatchesSpecs holds the DBC to this file. Every layout, range and period here is a design
// decision of lynxsim (protocol.md §6: MG's protocol is not public).

// Bounds of what a battery module can be (design decisions, docs/battery-bus.md §3).
const (
	// MaxCells is the most cells in series one module may have: 32, the width of the balancing
	// cell mask. 32 cells of 5 V bound the module voltage.
	MaxCells = 32
	// MaxTemperatureSensors is the most cell temperature sensors one module may report.
	MaxTemperatureSensors = 32
	// MaxSerial is the largest serial number: YYWW and five digits (changelog 1.09-14
	// "HQ1746*****") make 9 decimal digits.
	MaxSerial = 999_999_999
	// PerFrame is how many cells (or sensors) one CellVoltages (or Temperatures) frame carries.
	PerFrame = 3
	// MaxMasterState is the highest master state Heartbeat may carry (protocol.md §4.3).
	MaxMasterState = 18
	// MaxImageSize is the largest firmware image: 65 535 blocks of UpdateBlockSize bytes.
	MaxImageSize = 65_535 * UpdateBlockSize
	// Plausibility bounds of the readings: no lithium cell reads above 5 V while working; no
	// sensor of a working battery reads below −60 °C or above 150 °C. Outside them a reading is
	// a broken sensor or a hostile frame, not a measurement.
	maxCellMillivolts   = 5000
	minDeciCelsius      = -600
	maxDeciCelsius      = 1500
	maxModuleCentivolts = MaxCells * maxCellMillivolts / 10 // 160 V
)

// Signal constructors. lo and hi are the raw range.
func un(name string, start, length uint8, lo, hi int64, scale float64, unit string) Signal {
	return newSignal(name, start, length, false, lo, hi, scale, unit)
}

func sn(name string, start, length uint8, lo, hi int64, scale float64, unit string) Signal {
	return newSignal(name, start, length, true, lo, hi, scale, unit)
}

func newSignal(name string, start, length uint8, signed bool, lo, hi int64, scale float64, unit string) Signal {
	s := Signal{Name: name, Start: start, Length: length, Signed: signed, Scale: scale, Unit: unit, Mux: NoMux, rawMin: lo, rawMax: hi}
	s.Min, s.Max = s.physical(lo), s.physical(hi)
	return s
}

func bit(name string, start uint8) Signal { return un(name, start, 1, 0, 1, 1, "") }

// enum is an unsigned signal whose range is its named values, which must be consecutive.
func enum(name string, start, length uint8, values ...Value) Signal {
	s := un(name, start, length, values[0].Raw, values[len(values)-1].Raw, 1, "")
	s.Values = values
	return s
}

func (s Signal) na() Signal        { s.NA = true; return s }
func (s Signal) in(mux int) Signal { s.Mux = mux; return s }
func (s Signal) switches() Signal  { s.IsMux = true; return s }

// Signal indices shared by the three nameplate messages (Announce, AssignAck, Identity).
const (
	npPrefix0 = iota
	npPrefix1
	npSerial
	npProduct
)

func nameplateSignals() []Signal {
	return []Signal{
		un("SerialPrefix0", 0, 8, 'A', 'Z', 1, ""),
		un("SerialPrefix1", 8, 8, 'A', 'Z', 1, ""),
		un("Serial", 16, 32, 0, MaxSerial, 1, ""),
		un("ProductID", 48, 16, 1, 0xFFFE, 1, ""),
	}
}

// Signal indices of Status.
const (
	stVoltage = iota
	stCurrent
	stSOC
	stFlags    // 8 one-bit signals, bit 0 first
	stSequence = stFlags + 8
)

// Signal indices of CellVoltages and Temperatures.
const (
	cvFirst = iota
	cvCount
	cvValues // MaxCells (MaxTemperatureSensors) values follow
)

// Signal indices of Environment.
const (
	evHumidity = iota
	evSOH
	evLeakage
	evFan
	evSelfTest
	evSelfTestFailures                          // 6 bits
	evSensorFaults     = evSelfTestFailures + 6 // 8 bits
)

// Signal indices of Describe.
const (
	dsChemistry = iota
	dsCells
	dsCapacity
	dsSensors
	dsFeatures // featureCount bits
	dsProtocol = dsFeatures + featureCount
)

// Signal indices of Command.
const (
	cmCode = iota
	cmTag
	cmCellMask
	cmFromCell
	cmToCell
	cmFanMode
	cmSeconds
	cmImageSize
	cmProcessor
	cmBlockIndex
	cmBlockCRC
	cmBlockCount
	cmImageCRC
)

var (
	specAssign = MessageSpec{Message: MsgAssign, Name: "Assign", Sender: NodeMaster, Addressing: ToAll,
		Signals: []Signal{
			un("SerialPrefix0", 0, 8, 'A', 'Z', 1, ""),
			un("SerialPrefix1", 8, 8, 'A', 'Z', 1, ""),
			un("Serial", 16, 32, 0, MaxSerial, 1, ""),
			un("Address", 48, 8, int64(FirstAddress), MaxBatteries, 1, ""),
		}}
	specRelease = MessageSpec{Message: MsgRelease, Name: "Release", Sender: NodeMaster, Addressing: ToBatteryOrAll,
		Signals: []Signal{
			enum("Reason", 0, 8, Value{0, "Restart"}, Value{1, "Conflict"}, Value{2, "Other"}),
		}}
	specCommand = MessageSpec{Message: MsgCommand, Name: "Command", Sender: NodeMaster, Addressing: ToBatteryOrAll,
		Signals: []Signal{
			enum("Code", 0, 8, commandValues()...).switches(),
			un("Tag", 8, 8, 0, 255, 1, ""),
			un("CellMask", 16, 32, 0, 0xFFFF_FFFF, 1, "").in(int(CmdBalance)),
			un("FromCell", 16, 8, 0, MaxCells-1, 1, "").na().in(int(CmdTransfer)),
			un("ToCell", 24, 8, 0, MaxCells-1, 1, "").na().in(int(CmdTransfer)),
			enum("FanMode", 16, 8, Value{0, "Off"}, Value{1, "On"}, Value{2, "Auto"}).in(int(CmdFan)),
			un("IdentifySeconds", 16, 8, 0, 255, 1, "s").in(int(CmdIdentify)),
			un("ImageSize", 16, 32, 1, MaxImageSize, 1, "B").in(int(CmdUpdateBegin)),
			un("Processor", 48, 8, 1, 254, 1, "").in(int(CmdUpdateBegin)),
			un("BlockIndex", 16, 16, 0, 65_534, 1, "").in(int(CmdUpdateBlock)),
			un("BlockCRC", 32, 16, 0, 0xFFFF, 1, "").in(int(CmdUpdateBlock)),
			un("BlockCount", 16, 16, 1, 65_535, 1, "").in(int(CmdUpdateEnd)),
			un("ImageCRC", 32, 16, 0, 0xFFFF, 1, "").in(int(CmdUpdateEnd)),
		}}
	specHeartbeat = MessageSpec{Message: MsgHeartbeat, Name: "Heartbeat", Sender: NodeMaster, Addressing: ToAll,
		Period: HeartbeatPeriod,
		Signals: []Signal{
			enum("State", 0, 8, stateValues()...),
			un("Sequence", 8, 8, 0, 255, 1, ""),
			un("DetailPeriod", 16, 8, 1, MaxDetailSeconds, 1, "s"),
		}}
	specUpdateData = MessageSpec{Message: MsgUpdateData, Name: "UpdateData", Sender: NodeMaster, Addressing: ToBattery,
		Signals: []Signal{
			un("Byte0", 0, 8, 0, 255, 1, ""), un("Byte1", 8, 8, 0, 255, 1, ""),
			un("Byte2", 16, 8, 0, 255, 1, ""), un("Byte3", 24, 8, 0, 255, 1, ""),
			un("Byte4", 32, 8, 0, 255, 1, ""), un("Byte5", 40, 8, 0, 255, 1, ""),
			un("Byte6", 48, 8, 0, 255, 1, ""), un("Byte7", 56, 8, 0, 255, 1, ""),
		}}
	specCommandAck = MessageSpec{Message: MsgCommandAck, Name: "CommandAck", Sender: NodeBattery, Addressing: FromBattery,
		Signals: []Signal{
			un("Code", 0, 8, 0, 255, 1, ""),
			un("Tag", 8, 8, 0, 255, 1, ""),
			enum("Result", 16, 8, Value{0, "OK"}, Value{1, "Refused"}, Value{2, "Unknown"}, Value{3, "Busy"}),
			un("NextBlock", 24, 16, 0, 65_534, 1, "").na(),
		}}
	specAssignAck = MessageSpec{Message: MsgAssignAck, Name: "AssignAck", Sender: NodeBattery, Addressing: FromBattery,
		Signals: nameplateSignals()}
	specStatus = MessageSpec{Message: MsgStatus, Name: "Status", Sender: NodeBattery, Addressing: FromBattery,
		Period: StatusPeriod,
		Signals: []Signal{
			un("Voltage", 0, 16, 0, maxModuleCentivolts, 0.01, "V").na(),
			sn("Current", 16, 16, -32_768, 32_766, 0.1, "A").na(),
			un("SOC", 32, 16, 0, 10_000, 0.01, "%").na(),
			bit("Balancing", 48), bit("FanOn", 49), bit("ShutdownPending", 50), bit("SensorFault", 51),
			bit("SelfTestFailed", 52), bit("CommTimeout", 53), bit("Disconnected", 54), bit("Updating", 55),
			un("Sequence", 56, 8, 0, 255, 1, ""),
		}}
	specExtremes = MessageSpec{Message: MsgExtremes, Name: "Extremes", Sender: NodeBattery, Addressing: FromBattery,
		Period: ExtremesPeriod,
		Signals: []Signal{
			un("MinCellVoltage", 0, 16, 0, maxCellMillivolts, 0.001, "V").na(),
			un("MaxCellVoltage", 16, 16, 0, maxCellMillivolts, 0.001, "V").na(),
			sn("MinCellTemperature", 32, 16, minDeciCelsius, maxDeciCelsius, 0.1, "degC").na(),
			sn("MaxCellTemperature", 48, 16, minDeciCelsius, maxDeciCelsius, 0.1, "degC").na(),
		}}
	specCellVoltages = MessageSpec{Message: MsgCellVoltages, Name: "CellVoltages", Sender: NodeBattery, Addressing: FromBattery,
		Period: CellVoltagesPeriod,
		Signals: indexed("FirstCell", "CellCount", MaxCells, func(i int) Signal {
			return un(fmt.Sprintf("Cell%d", i), uint8(16+16*(i%PerFrame)), 16, 0, maxCellMillivolts, 0.001, "V").na()
		})}
	specTemperatures = MessageSpec{Message: MsgTemperatures, Name: "Temperatures", Sender: NodeBattery, Addressing: FromBattery,
		Period: TemperaturesPeriod,
		Signals: indexed("FirstSensor", "SensorCount", MaxTemperatureSensors, func(i int) Signal {
			return sn(fmt.Sprintf("Temperature%d", i), uint8(16+16*(i%PerFrame)), 16, minDeciCelsius, maxDeciCelsius, 0.1, "degC").na()
		})}
	specTerminals = MessageSpec{Message: MsgTerminals, Name: "Terminals", Sender: NodeBattery, Addressing: FromBattery,
		Period: TerminalsPeriod,
		Signals: []Signal{
			sn("PositiveTerminal", 0, 16, minDeciCelsius, maxDeciCelsius, 0.1, "degC").na(),
			sn("NegativeTerminal", 16, 16, minDeciCelsius, maxDeciCelsius, 0.1, "degC").na(),
		}}
	specEnvironment = MessageSpec{Message: MsgEnvironment, Name: "Environment", Sender: NodeBattery, Addressing: FromBattery,
		Period: EnvironmentPeriod,
		Signals: []Signal{
			un("Humidity", 0, 8, 0, 100, 1, "%").na(),
			un("SOH", 8, 8, 0, 100, 1, "%").na(),
			enum("Leakage", 16, 2, Value{0, "None"}, Value{1, "Detected"}, Value{2, "SensorError"}).na(),
			enum("Fan", 18, 2, Value{0, "Off"}, Value{1, "On"}, Value{2, "Fault"}).na(),
			enum("SelfTest", 20, 4, Value{0, "NotRun"}, Value{1, "Running"}, Value{2, "Passed"}, Value{3, "Failed"}).na(),
			bit("SelfTestCPU", 24), bit("SelfTestRAM", 25), bit("SelfTestFlash", 26),
			bit("SelfTestClock", 27), bit("SelfTestWatchdog", 28), bit("SelfTestADC", 29),
			bit("FaultCellVoltage", 32), bit("FaultCellTemperature", 33), bit("FaultPositiveTerminal", 34),
			bit("FaultNegativeTerminal", 35), bit("FaultCurrent", 36), bit("FaultHumidity", 37),
			bit("FaultLeakage", 38), bit("FaultFan", 39),
		}}
	specIdentity = MessageSpec{Message: MsgIdentity, Name: "Identity", Sender: NodeBattery, Addressing: FromBattery,
		Period: IdentityPeriod, Signals: nameplateSignals()}
	specDescribe = MessageSpec{Message: MsgDescribe, Name: "Describe", Sender: NodeBattery, Addressing: FromBatteryOrTemporary,
		Signals: append([]Signal{
			enum("Chemistry", 0, 8, Value{int64(ChemistryLFP), "LFP"}, Value{int64(ChemistryNMC), "NMC"}),
			un("Cells", 8, 8, 1, MaxCells, 1, ""),
			un("Capacity", 16, 16, 1, 65_535, 1, "Ah"),
			un("TemperatureSensors", 32, 8, 0, MaxTemperatureSensors, 1, ""),
		}, append(featureSignals(), un("ProtocolVersion", 56, 8, ProtocolVersion, ProtocolVersion, 1, ""))...)}
	specFirmware = MessageSpec{Message: MsgFirmware, Name: "Firmware", Sender: NodeBattery, Addressing: FromBattery,
		Signals: []Signal{
			un("FirmwareMajor", 0, 8, 0, 99, 1, ""),
			un("FirmwareMinor", 8, 8, 0, 99, 1, ""),
			un("Processor", 16, 8, 1, 254, 1, ""),
		}}
	specAnnounce = MessageSpec{Message: MsgAnnounce, Name: "Announce", Sender: NodeBattery, Addressing: FromTemporary,
		Period: AnnouncePeriod, Signals: nameplateSignals()}

	// allSpecs lists every message, by code.
	allSpecs = []*MessageSpec{
		&specAssign, &specRelease, &specCommand, &specHeartbeat, &specUpdateData,
		&specCommandAck, &specAssignAck, &specStatus, &specExtremes, &specCellVoltages,
		&specTemperatures, &specTerminals, &specEnvironment, &specIdentity, &specDescribe,
		&specFirmware, &specAnnounce,
	}
	// specs finds a message's table by its code without a map lookup.
	specs [256]*MessageSpec
)

// indexed lists the signals of a message that carries PerFrame values of a numbered set per
// frame: the multiplexer (the index of the frame's first value, a multiple of PerFrame), the
// size of the set, then value i under multiplexer value i − i mod PerFrame.
func indexed(first, count string, n int, value func(i int) Signal) []Signal {
	out := []Signal{
		un(first, 0, 8, 0, int64(n-1-(n-1)%PerFrame), 1, "").switches(),
		un(count, 8, 8, 1, int64(n), 1, ""),
	}
	for i := range n {
		out = append(out, value(i).in(i-i%PerFrame))
	}
	return out
}

func featureSignals() []Signal {
	out := make([]Signal, featureCount)
	for i := range featureCount {
		out[i] = bit(featureNames[i], uint8(40+i))
	}
	return out
}

func commandValues() []Value {
	var out []Value
	for c := CmdBalance; c <= lastCommand; c++ {
		out = append(out, Value{int64(c), commandNames[c]})
	}
	return out
}

// stateValues names the master states as VE_REG_LYNX_ION_BMS_STATE does (protocol.md §4.3).
func stateValues() []Value {
	names := [...]string{"WAIT_START", "BEFORE_BOOT", "BEFORE_BOOT_DELAY", "WAIT_BOOT", "INIT",
		"MEAS_BAT_VOLTAGE", "CALC_BAT_VOLTAGE", "WAIT_BUS_VOLTAGE", "WAIT_SHUNT", "RUNNING", "ERROR",
		"UNUSED_11", "SHUTDOWN", "SLAVE_UPDATING", "STANDBY", "GOING_TO_RUN", "PRE_CHARGING",
		"CONTACTOR_CHECK", "PENDING"}
	out := make([]Value, len(names))
	for i, n := range names {
		out[i] = Value{int64(i), n}
	}
	return out
}

func init() {
	specAssign.parse = parser(ParseAssign)
	specRelease.parse = parser(ParseRelease)
	specCommand.parse = parser(ParseCommand)
	specHeartbeat.parse = parser(ParseHeartbeat)
	specUpdateData.parse = parser(ParseUpdateData)
	specCommandAck.parse = parser(ParseCommandAck)
	specAssignAck.parse = parser(ParseAssignAck)
	specStatus.parse = parser(ParseStatus)
	specExtremes.parse = parser(ParseExtremes)
	specCellVoltages.parse = parser(ParseCellVoltages)
	specTemperatures.parse = parser(ParseTemperatures)
	specTerminals.parse = parser(ParseTerminals)
	specEnvironment.parse = parser(ParseEnvironment)
	specIdentity.parse = parser(ParseIdentity)
	specDescribe.parse = parser(ParseDescribe)
	specFirmware.parse = parser(ParseFirmware)
	specAnnounce.parse = parser(ParseAnnounce)

	for _, m := range allSpecs {
		if len(m.Signals) > maxSignals {
			panic(fmt.Sprintf("batbus: %s has %d signals, more than %d", m.Name, len(m.Signals), maxSignals))
		}
		m.mux = slices.IndexFunc(m.Signals, func(s Signal) bool { return s.IsMux })
		specs[m.Message] = m
	}
}

func parser[T any](parse func(can.Frame) (T, error)) func(can.Frame) error {
	return func(f can.Frame) error { _, err := parse(f); return err }
}

// Specs returns the signal table of every message, ordered by code. The slice is a copy; the
// Signals slices in it are shared and must not be modified.
func Specs() []MessageSpec {
	out := make([]MessageSpec, len(allSpecs))
	for i, m := range allSpecs {
		out[i] = *m
	}
	return out
}

// SpecOf returns the signal table of msg.
func SpecOf(msg Message) (MessageSpec, bool) {
	if s := specs[msg]; s != nil {
		return *s, true
	}
	return MessageSpec{}, false
}

// Encoder is any message value of this package.
type Encoder interface {
	Message() Message
	Frame() can.Frame
}

// Check reports whether f is a valid frame of protocol v1, exactly as the typed parser of its
// message would: nil, or a *FrameError (ErrNotBatbus for frames of other protocols, ErrUnknown
// for an unknown message code). It allocates nothing unless it fails.
func Check(f can.Frame) error {
	msg, _, ok := Split(f)
	if !ok {
		return &FrameError{ID: f.ID, Kind: ErrNotBatbus, Detail: notBatbus(f)}
	}
	s := specs[msg]
	if s == nil {
		return &FrameError{ID: f.ID, Message: msg, Kind: ErrUnknown, Detail: fmt.Sprintf("frame %08X: message 0x%02X is not in protocol v%d", f.ID, uint8(msg), ProtocolVersion)}
	}
	return s.parse(f)
}

// valueError reports an impossible combination of values found by a message's own rules.
func valueError(msg Message, addr uint8, format string, args ...any) error {
	return &FrameError{ID: ID(msg, addr), Message: msg, Kind: ErrValue, Detail: fmt.Sprintf(format, args...)}
}

// checkIndexed: the first index is a multiple of PerFrame below the count, and the slots at or
// past the count carry the not-available value.
func checkIndexed(m *MessageSpec, addr uint8, v *raws) error {
	what := "cell"
	if m.Message == MsgTemperatures {
		what = "sensor"
	}
	first, count := v[cvFirst], v[cvCount]
	if first%PerFrame != 0 {
		return valueError(m.Message, addr, "first %s %d is not a multiple of %d", what, first, PerFrame)
	}
	if first >= count {
		return valueError(m.Message, addr, "first %s %d is not below the %s count %d", what, first, what, count)
	}
	for i := first + 1; i < min(first+PerFrame, int64(len(m.Signals)-cvValues)); i++ {
		s := &m.Signals[cvValues+i]
		if i >= count && v[cvValues+i] != s.NARaw() {
			return valueError(m.Message, addr, "%s %d is past the %s count %d but not marked not available", what, i, what, count)
		}
	}
	return nil
}
