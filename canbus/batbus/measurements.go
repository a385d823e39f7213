package batbus

import (
	"go.einride.tech/can"
)

// Measurements (docs/battery-bus.md §6): what every assigned battery sends, periodically, from
// its address. Fields hold wire units (mV, 0.1 °C, …), so that a parsed frame re-encodes to the
// same bytes; the not-available values below mark a reading the battery does not have.

// Not-available values, as VE.Can and NMEA 2000 mark them: all ones unsigned, the largest
// positive value signed.
const (
	NAUn8  uint8  = 0xFF
	NAUn16 uint16 = 0xFFFF
	NASn16 int16  = 0x7FFF
)

// StatusFlags are the status bits of Status (byte 6).
type StatusFlags uint8

// The status bits.
const (
	// StatusBalancing: the battery bleeds or moves charge between cells.
	StatusBalancing StatusFlags = 1 << iota
	// StatusFanOn: a fan runs.
	StatusFanOn
	// StatusShutdownPending: the battery accepted CmdShutdown and will power down.
	StatusShutdownPending
	// StatusSensorFault: a sensor is faulty; Environment says which.
	StatusSensorFault
	// StatusSelfTestFailed: the processor's last self-test failed (changelog 1.38-04);
	// Environment says which test.
	StatusSelfTestFailed
	// StatusCommTimeout: since it was assigned its address, the battery has at least once heard
	// no Heartbeat for HeartbeatTimeout (changelog 1.12-01, 1.17-03: the communication check).
	// It stays set until the battery is released.
	StatusCommTimeout
	// StatusDisconnected: the battery's own contactor or switch is open.
	StatusDisconnected
	// StatusUpdating: a firmware update is in progress (changelog 1.12-04).
	StatusUpdating
)

// Has reports whether every flag of x is set in f.
func (f StatusFlags) Has(x StatusFlags) bool { return f&x == x }

// Status (0x10) is a battery's main measurement, every StatusPeriod.
//
//	bytes 0–1  module voltage, un16, 10 mV, 0–160 V; 0xFFFF not available
//	bytes 2–3  current, sn16, 0.1 A, positive while charging; 0x7FFF not available
//	bytes 4–5  state of charge, un16, 0.01 %, 0–100 %; 0xFFFF not available
//	byte 6     StatusFlags
//	byte 7     sequence, un8, +1 per Status, wrapping: the master sees lost frames and a
//	           battery whose firmware repeats a stale frame
type Status struct {
	Address       uint8 // 1–64
	Centivolts    uint16
	Deciamps      int16
	SOCHundredths uint16
	Flags         StatusFlags
	Sequence      uint8
}

// Frame encodes s.
func (s Status) Frame() can.Frame {
	v := raws{stVoltage: int64(s.Centivolts), stCurrent: int64(s.Deciamps), stSOC: int64(s.SOCHundredths), stSequence: int64(s.Sequence)}
	for i := range 8 {
		v[stFlags+i] = int64(s.Flags >> i & 1)
	}
	return specStatus.encode(s.Address, &v)
}

// Message returns MsgStatus.
func (Status) Message() Message { return MsgStatus }

// ParseStatus decodes a Status frame.
func ParseStatus(f can.Frame) (Status, error) {
	var v raws
	if err := specStatus.decode(f, &v); err != nil {
		return Status{}, err
	}
	s := Status{Address: uint8(f.ID), Centivolts: uint16(v[stVoltage]), Deciamps: int16(v[stCurrent]),
		SOCHundredths: uint16(v[stSOC]), Sequence: uint8(v[stSequence])}
	for i := range 8 {
		s.Flags |= StatusFlags(v[stFlags+i]) << i
	}
	return s, nil
}

// Extremes (0x11) sums up a battery's cells every ExtremesPeriod: what the master's protection
// needs first, ahead of the full CellVoltages and Temperatures.
//
//	bytes 0–1  lowest cell voltage, un16, 1 mV, 0–5 000; 0xFFFF not available
//	bytes 2–3  highest cell voltage, un16, 1 mV
//	bytes 4–5  lowest cell temperature, sn16, 0.1 °C, −60–150 °C; 0x7FFF not available
//	bytes 6–7  highest cell temperature, sn16, 0.1 °C
//
// The lowest must not exceed the highest, and a pair is available or not as a whole.
type Extremes struct {
	Address                        uint8 // 1–64
	MinMillivolts, MaxMillivolts   uint16
	MinDeciCelsius, MaxDeciCelsius int16
}

// Frame encodes e.
func (e Extremes) Frame() can.Frame {
	v := raws{int64(e.MinMillivolts), int64(e.MaxMillivolts), int64(e.MinDeciCelsius), int64(e.MaxDeciCelsius)}
	return specExtremes.encode(e.Address, &v)
}

// Message returns MsgExtremes.
func (Extremes) Message() Message { return MsgExtremes }

// ParseExtremes decodes an Extremes frame.
func ParseExtremes(f can.Frame) (Extremes, error) {
	var v raws
	if err := specExtremes.decode(f, &v); err != nil {
		return Extremes{}, err
	}
	return Extremes{Address: uint8(f.ID), MinMillivolts: uint16(v[0]), MaxMillivolts: uint16(v[1]),
		MinDeciCelsius: int16(v[2]), MaxDeciCelsius: int16(v[3])}, nil
}

func checkExtremes(m *MessageSpec, addr uint8, v *raws) error {
	for _, p := range [2]int{0, 2} {
		lo, hi := &m.Signals[p], &m.Signals[p+1]
		loNA, hiNA := v[p] == lo.NARaw(), v[p+1] == hi.NARaw()
		switch {
		case loNA != hiNA:
			return valueError(m.Message, addr, "one of %s and %s is not available, the other is", lo.Name, hi.Name)
		case !loNA && v[p] > v[p+1]:
			return valueError(m.Message, addr, "%s %s%s is above %s %s%s", lo.Name,
				formatPhysical(lo, lo.physical(v[p])), unitText(lo.Unit), hi.Name,
				formatPhysical(hi, hi.physical(v[p+1])), unitText(hi.Unit))
		}
	}
	return nil
}

// CellVoltages (0x12) carries every cell voltage once per CellVoltagesPeriod, PerFrame cells a
// frame: the frames for First = 0, 3, 6, … up to the last cell, sent back to back.
//
//	byte 0     index of the first cell in this frame, 0–30, a multiple of 3 (DBC multiplexer)
//	byte 1     cells in the module, 1–32
//	bytes 2–7  cells First, First+1, First+2: un16, 1 mV, 0–5 000; 0xFFFF not available, and
//	           0xFFFF for a slot at or past the cell count
type CellVoltages struct {
	Address    uint8 // 1–64
	First      uint8
	Count      uint8
	Millivolts [PerFrame]uint16
}

// Frame encodes c.
func (c CellVoltages) Frame() can.Frame {
	var v raws
	v[cvFirst], v[cvCount] = int64(c.First), int64(c.Count)
	for k, mv := range c.Millivolts {
		if i := int(c.First) + k; i < MaxCells {
			v[cvValues+i] = int64(mv)
		}
	}
	return specCellVoltages.encode(c.Address, &v)
}

// Message returns MsgCellVoltages.
func (CellVoltages) Message() Message { return MsgCellVoltages }

// ParseCellVoltages decodes a CellVoltages frame.
func ParseCellVoltages(f can.Frame) (CellVoltages, error) {
	var v raws
	if err := specCellVoltages.decode(f, &v); err != nil {
		return CellVoltages{}, err
	}
	c := CellVoltages{Address: uint8(f.ID), First: uint8(v[cvFirst]), Count: uint8(v[cvCount])}
	for k := range c.Millivolts {
		c.Millivolts[k] = NAUn16
		if i := int(c.First) + k; i < MaxCells {
			c.Millivolts[k] = uint16(v[cvValues+i])
		}
	}
	return c, nil
}

// Temperatures (0x13) carries every cell temperature sensor once per TemperaturesPeriod, PerFrame
// sensors a frame, as CellVoltages carries cells. A battery without cell sensors sends none.
//
//	byte 0     index of the first sensor in this frame, 0–30, a multiple of 3 (DBC multiplexer)
//	byte 1     cell temperature sensors in the module, 1–32
//	bytes 2–7  sensors First, First+1, First+2: sn16, 0.1 °C, −60–150 °C; 0x7FFF not available
//	           (a broken sensor), and 0x7FFF for a slot at or past the sensor count
type Temperatures struct {
	Address     uint8 // 1–64
	First       uint8
	Count       uint8
	DeciCelsius [PerFrame]int16
}

// Frame encodes t.
func (t Temperatures) Frame() can.Frame {
	var v raws
	v[cvFirst], v[cvCount] = int64(t.First), int64(t.Count)
	for k, dc := range t.DeciCelsius {
		if i := int(t.First) + k; i < MaxTemperatureSensors {
			v[cvValues+i] = int64(dc)
		}
	}
	return specTemperatures.encode(t.Address, &v)
}

// Message returns MsgTemperatures.
func (Temperatures) Message() Message { return MsgTemperatures }

// ParseTemperatures decodes a Temperatures frame.
func ParseTemperatures(f can.Frame) (Temperatures, error) {
	var v raws
	if err := specTemperatures.decode(f, &v); err != nil {
		return Temperatures{}, err
	}
	t := Temperatures{Address: uint8(f.ID), First: uint8(v[cvFirst]), Count: uint8(v[cvCount])}
	for k := range t.DeciCelsius {
		t.DeciCelsius[k] = NASn16
		if i := int(t.First) + k; i < MaxTemperatureSensors {
			t.DeciCelsius[k] = int16(v[cvValues+i])
		}
	}
	return t, nil
}

// Terminals (0x14) carries the terminal temperatures every TerminalsPeriod (changelog 1.19-01:
// DVCC derating from the terminal temperature; 1.30-03: both terminals "if supported by
// battery"). A battery without terminal sensors sends none.
//
//	bytes 0–1  positive terminal, sn16, 0.1 °C, −60–150 °C; 0x7FFF not available
//	bytes 2–3  negative terminal, sn16, 0.1 °C; 0x7FFF not available
type Terminals struct {
	Address                                  uint8 // 1–64
	PositiveDeciCelsius, NegativeDeciCelsius int16
}

// Frame encodes t.
func (t Terminals) Frame() can.Frame {
	v := raws{int64(t.PositiveDeciCelsius), int64(t.NegativeDeciCelsius)}
	return specTerminals.encode(t.Address, &v)
}

// Message returns MsgTerminals.
func (Terminals) Message() Message { return MsgTerminals }

// ParseTerminals decodes a Terminals frame.
func ParseTerminals(f can.Frame) (Terminals, error) {
	var v raws
	if err := specTerminals.decode(f, &v); err != nil {
		return Terminals{}, err
	}
	return Terminals{Address: uint8(f.ID), PositiveDeciCelsius: int16(v[0]), NegativeDeciCelsius: int16(v[1])}, nil
}

// Leakage is the state of a battery's leakage sensor (changelog 1.34-03).
type Leakage uint8

// Leakage states.
const (
	LeakageNone        Leakage = 0
	LeakageDetected    Leakage = 1
	LeakageSensorError Leakage = 2
	LeakageNA          Leakage = 3 // no leakage sensor
)

// FanState is the state of a battery's fans.
type FanState uint8

// Fan states.
const (
	FanStateOff   FanState = 0
	FanStateOn    FanState = 1
	FanStateFault FanState = 2 // commanded on but not turning
	FanStateNA    FanState = 3 // no fan
)

// SelfTest is the state of a battery processor's self-test (changelog 1.38-04, "RS230 Battery
// processors self-tests monitoring").
type SelfTest uint8

// Self-test states.
const (
	SelfTestNotRun  SelfTest = 0
	SelfTestRunning SelfTest = 1
	SelfTestPassed  SelfTest = 2
	SelfTestFailed  SelfTest = 3
	SelfTestNA      SelfTest = 15 // no self-test
)

// SelfTestFailures says which self-tests failed (Environment byte 3, bits 0–5; the classes of
// IEC 60730 class B start-up and periodic tests, a design decision).
type SelfTestFailures uint8

// The self-test bits.
const (
	SelfTestCPU      SelfTestFailures = 1 << iota // CPU registers
	SelfTestRAM                                   // RAM march test
	SelfTestFlash                                 // program memory CRC
	SelfTestClock                                 // clock against an independent source
	SelfTestWatchdog                              // watchdog reset test
	SelfTestADC                                   // ADC reference
)

// SensorFaults says which sensors are faulty (Environment byte 4).
type SensorFaults uint8

// The sensor fault bits.
const (
	FaultCellVoltage SensorFaults = 1 << iota // a cell voltage measurement
	FaultCellTemperature
	FaultPositiveTerminal
	FaultNegativeTerminal
	FaultCurrent
	FaultHumidity
	FaultLeakage
	FaultFan
)

// Environment (0x15) carries what changes slowly, every EnvironmentPeriod.
//
//	byte 0      humidity, un8, 1 % RH, 0–100; 0xFF not available (changelog 1.24-05)
//	byte 1      state of health, un8, 1 %, 0–100; 0xFF not available (changelog 1.35-01)
//	byte 2      bits 0–1 Leakage, bits 2–3 FanState, bits 4–7 SelfTest
//	byte 3      bits 0–5 SelfTestFailures (only with SelfTest = failed); bits 6–7 reserved
//	byte 4      SensorFaults
//	bytes 5–7   reserved
type Environment struct {
	Address          uint8 // 1–64
	HumidityPercent  uint8
	SOHPercent       uint8
	Leakage          Leakage
	Fan              FanState
	SelfTest         SelfTest
	SelfTestFailures SelfTestFailures
	SensorFaults     SensorFaults
}

// Frame encodes e.
func (e Environment) Frame() can.Frame {
	v := raws{evHumidity: int64(e.HumidityPercent), evSOH: int64(e.SOHPercent), evLeakage: int64(e.Leakage),
		evFan: int64(e.Fan), evSelfTest: int64(e.SelfTest)}
	for i := range 6 {
		v[evSelfTestFailures+i] = int64(e.SelfTestFailures >> i & 1)
	}
	for i := range 8 {
		v[evSensorFaults+i] = int64(e.SensorFaults >> i & 1)
	}
	return specEnvironment.encode(e.Address, &v)
}

// Message returns MsgEnvironment.
func (Environment) Message() Message { return MsgEnvironment }

// ParseEnvironment decodes an Environment frame.
func ParseEnvironment(f can.Frame) (Environment, error) {
	var v raws
	if err := specEnvironment.decode(f, &v); err != nil {
		return Environment{}, err
	}
	e := Environment{Address: uint8(f.ID), HumidityPercent: uint8(v[evHumidity]), SOHPercent: uint8(v[evSOH]),
		Leakage: Leakage(v[evLeakage]), Fan: FanState(v[evFan]), SelfTest: SelfTest(v[evSelfTest])}
	for i := range 6 {
		e.SelfTestFailures |= SelfTestFailures(v[evSelfTestFailures+i]) << i
	}
	for i := range 8 {
		e.SensorFaults |= SensorFaults(v[evSensorFaults+i]) << i
	}
	return e, nil
}

func checkEnvironment(m *MessageSpec, addr uint8, v *raws) error {
	if SelfTest(v[evSelfTest]) == SelfTestFailed {
		return nil
	}
	for i := range 6 {
		if v[evSelfTestFailures+i] != 0 {
			return valueError(m.Message, addr, "%s is set but SelfTest is %s, not Failed",
				m.Signals[evSelfTestFailures+i].Name, m.Signals[evSelfTest].valueName(v[evSelfTest]))
		}
	}
	return nil
}

// valueName names raw by the signal's Values, or NotAvailable.
func (s *Signal) valueName(raw int64) string {
	for _, x := range s.Values {
		if x.Raw == raw {
			return x.Name
		}
	}
	if s.NA && raw == s.NARaw() {
		return "NotAvailable"
	}
	return "?"
}
