package battery

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/lynxsim/lynxsim/canbus/batbus"
)

// describe says what the battery is (batbus Describe).
func (b *Battery) describe(address uint8) batbus.Describe {
	t := b.mod.Type()
	var f batbus.Features
	set := func(on bool, x batbus.Features) {
		if on {
			f |= x
		}
	}
	set(t.Balancing == BalancePassive, batbus.FeaturePassiveBalancing)
	set(t.Balancing == BalanceActive, batbus.FeatureActiveBalancing)
	set(t.FanWattsPerKelvin > 0, batbus.FeatureFan)
	set(t.HumiditySensor, batbus.FeatureHumidity)
	set(t.LeakageSensor, batbus.FeatureLeakage)
	set(t.PositiveTerminalSensor, batbus.FeaturePositiveTerminalSensor)
	set(t.NegativeTerminalSensor, batbus.FeatureNegativeTerminalSensor)
	set(t.SelfTest, batbus.FeatureSelfTest)
	set(t.SOH, batbus.FeatureSOH)
	set(true, batbus.FeatureCurrentSensor)
	return batbus.Describe{
		Address: address, Chemistry: t.Chemistry, Cells: uint8(t.Cells),
		CapacityAh: uint16(math.Round(t.CapacityAh)), TemperatureSensors: uint8(t.CellTemperatureSensors), Features: f,
	}
}

// processorType is the processor a battery reports in Firmware: the RS230 of changelog 1.38-04
// for RS batteries, 1 for the others (lynxsim's numbering, docs/battery-bus.md).
func (b *Battery) processorType() uint8 {
	if b.mod.Type().SelfTest {
		return 2
	}
	return 1
}

func (b *Battery) firmware() batbus.Firmware {
	v := b.mod.Type().Firmware
	return batbus.Firmware{Address: b.address, Major: v.Major, Minor: v.Minor, Processor: b.processorType()}
}

// report sends what is due.
func (b *Battery) report(now time.Duration) {
	if b.babbling {
		// A babbling battery repeats its Status every step, with a frozen sequence number: the
		// fault of a firmware stuck in its transmit loop.
		b.send(b.status(now).Frame())
		return
	}
	if now >= b.nextStatus {
		b.nextStatus = now + batbus.StatusPeriod
		st := b.status(now)
		b.sequence++
		b.send(st.Frame())
	}
	if now >= b.nextExtremes {
		b.nextExtremes = now + batbus.ExtremesPeriod
		b.send(b.extremes().Frame())
	}
	if now >= b.nextDetail {
		b.nextDetail = now + b.detailPeriod
		b.sendCells()
		b.sendTemperatures()
	}
	if now >= b.nextTerminals {
		b.nextTerminals = now + batbus.TerminalsPeriod
		if pos, neg, ok := b.mod.TerminalCelsius(); ok {
			b.send(batbus.Terminals{Address: b.address, PositiveDeciCelsius: b.deciCelsius(pos), NegativeDeciCelsius: b.deciCelsius(neg)}.Frame())
		}
	}
	if now >= b.nextEnvironment {
		b.nextEnvironment = now + batbus.EnvironmentPeriod
		b.send(b.environment().Frame())
	}
	if now >= b.nextIdentity {
		b.nextIdentity = now + batbus.IdentityPeriod
		b.send(batbus.Identity{Address: b.address, Nameplate: b.nameplate}.Frame())
	}
}

func (b *Battery) status(time.Duration) batbus.Status {
	m := b.mod
	var flags batbus.StatusFlags
	from, _ := m.ActiveBalance()
	if m.BalancingMask() != 0 || from >= 0 {
		flags |= batbus.StatusBalancing
	}
	if m.FanOn() {
		flags |= batbus.StatusFanOn
	}
	if b.sensorFaults() != 0 {
		flags |= batbus.StatusSensorFault
	}
	if b.commTimeout {
		flags |= batbus.StatusCommTimeout
	}
	if b.update.active {
		flags |= batbus.StatusUpdating
	}
	return batbus.Status{
		Address:       b.address,
		Centivolts:    uint16(wire(m.TerminalVolts()*100, 0, math.MaxUint16-1)),
		Deciamps:      int16(wire(m.Amps()*10, math.MinInt16, math.MaxInt16-1)),
		SOCHundredths: uint16(wire(m.SOCPercent()*100, 0, 10000)),
		Flags:         flags,
		Sequence:      b.sequence,
	}
}

// wire rounds v to the nearest step and keeps it inside [lo, hi], the values a field can carry
// without becoming its not-available marker or wrapping around.
func wire(v, lo, hi float64) float64 {
	if math.IsNaN(v) {
		return lo
	}
	return max(lo, min(hi, math.Round(v)))
}

func (b *Battery) deciCelsius(c float64) int16 {
	if math.IsNaN(c) {
		return batbus.NASn16
	}
	if b.oldRounding && c < 0 {
		// The battery firmware before the update the master carries from v1.32 ("Updated all
		// batteries firmware, fixed rounding on negative temperatures", changelog 1.32-07):
		// lynxsim's reading is that it truncated toward zero, so that −10.26 °C went out as
		// −10.2 °C [I].
		return int16(max(-600, c*10))
	}
	// Plausible range of the protocol: −60 to 150 °C (docs/battery-bus.md).
	return int16(wire(c*10, -600, 1500))
}

// SetOldTemperatureRounding gives the battery the firmware of before changelog 1.32-07, which
// rounded negative temperatures wrongly: a bank under a master before v1.32 has it.
func (b *Battery) SetOldTemperatureRounding(old bool) { b.oldRounding = old }

func (b *Battery) extremes() batbus.Extremes {
	b.cellBuf = b.mod.CellVolts(b.cellBuf[:0])
	lowV, highV := math.Inf(1), math.Inf(-1)
	for _, v := range b.cellBuf {
		lowV, highV = min(lowV, v), max(highV, v)
	}
	b.tempBuf = b.mod.CellCelsius(b.tempBuf[:0])
	lowT, highT := math.Inf(1), math.Inf(-1)
	for _, c := range b.tempBuf {
		lowT, highT = min(lowT, c), max(highT, c)
	}
	e := batbus.Extremes{Address: b.address,
		MinMillivolts: uint16(wire(lowV*1000, 0, 5000)), MaxMillivolts: uint16(wire(highV*1000, 0, 5000)),
		MinDeciCelsius: b.deciCelsius(lowT), MaxDeciCelsius: b.deciCelsius(highT)}
	if len(b.tempBuf) == 0 {
		e.MinDeciCelsius, e.MaxDeciCelsius = batbus.NASn16, batbus.NASn16
	}
	return e
}

func (b *Battery) sendCells() {
	b.cellBuf = b.mod.CellVolts(b.cellBuf[:0])
	// Count is the module's cell count; slots past it carry "not available".
	for first := 0; first < len(b.cellBuf); first += batbus.PerFrame {
		f := batbus.CellVoltages{Address: b.address, First: uint8(first), Count: uint8(len(b.cellBuf))}
		for k := range batbus.PerFrame {
			f.Millivolts[k] = batbus.NAUn16
			if first+k < len(b.cellBuf) {
				f.Millivolts[k] = uint16(wire(b.cellBuf[first+k]*1000, 0, 5000))
			}
		}
		b.send(f.Frame())
	}
}

func (b *Battery) sendTemperatures() {
	b.tempBuf = b.mod.CellCelsius(b.tempBuf[:0])
	// Count is the module's sensor count; slots past it carry "not available".
	for first := 0; first < len(b.tempBuf); first += batbus.PerFrame {
		f := batbus.Temperatures{Address: b.address, First: uint8(first), Count: uint8(len(b.tempBuf))}
		for k := range batbus.PerFrame {
			f.DeciCelsius[k] = batbus.NASn16
			if first+k < len(b.tempBuf) {
				f.DeciCelsius[k] = b.deciCelsius(b.tempBuf[first+k])
			}
		}
		b.send(f.Frame())
	}
}

func (b *Battery) sensorFaults() batbus.SensorFaults {
	var f batbus.SensorFaults
	b.tempBuf = b.mod.CellCelsius(b.tempBuf[:0])
	for _, c := range b.tempBuf {
		// A sensor outside the plausible range is broken, not a measurement (−60 to 150 °C).
		if math.IsNaN(c) || c < -60 || c > 150 {
			f |= batbus.FaultCellTemperature
		}
	}
	return f
}

func (b *Battery) environment() batbus.Environment {
	m, t := b.mod, b.mod.Type()
	e := batbus.Environment{Address: b.address, HumidityPercent: batbus.NAUn8, SOHPercent: batbus.NAUn8,
		Leakage: batbus.LeakageNA, Fan: batbus.FanStateNA, SelfTest: batbus.SelfTestNA, SensorFaults: b.sensorFaults()}
	if pct, ok := m.Humidity(); ok {
		e.HumidityPercent = uint8(wire(pct, 0, 100))
	}
	if pct, ok := m.SOHPercent(); ok {
		e.SOHPercent = uint8(wire(pct, 0, 100))
	}
	if leaking, ok := m.Leakage(); ok {
		e.Leakage = batbus.LeakageNone
		if leaking {
			e.Leakage = batbus.LeakageDetected
		}
	}
	if t.FanWattsPerKelvin > 0 {
		e.Fan = batbus.FanStateOff
		if m.FanOn() {
			e.Fan = batbus.FanStateOn
		}
	}
	if t.SelfTest {
		e.SelfTest = batbus.SelfTestPassed
		if b.selfTestFailures != 0 {
			e.SelfTest, e.SelfTestFailures = batbus.SelfTestFailed, b.selfTestFailures
		}
	}
	return e
}

// command executes a command addressed to this battery (or all) and acknowledges those addressed
// to it alone. A repeat of the last command (same code and tag) is acknowledged again without
// acting twice (changelog 1.34-09).
func (b *Battery) command(now time.Duration, c batbus.Command) {
	if b.deaf {
		return
	}
	broadcast := c.To == batbus.Broadcast
	if !broadcast && b.lastCommand.valid && b.lastCommand.code == c.Code && b.lastCommand.tag == c.Tag {
		b.send(b.lastCommand.ack.Frame())
		return
	}
	res, next := b.execute(now, c)
	b.counters.Commands++
	if broadcast {
		return
	}
	ack := batbus.CommandAck{Address: b.address, Code: c.Code, Tag: c.Tag, Result: res, NextBlock: next}
	b.lastCommand.valid, b.lastCommand.code, b.lastCommand.tag, b.lastCommand.ack = true, c.Code, c.Tag, ack
	b.send(ack.Frame())
}

func (b *Battery) execute(now time.Duration, c batbus.Command) (batbus.Result, uint16) {
	m := b.mod
	refusedIf := func(err error) batbus.Result {
		if err != nil {
			return batbus.ResultRefused
		}
		return batbus.ResultOK
	}
	switch c.Code {
	case batbus.CmdBalance:
		return refusedIf(m.SetBalancing(c.CellMask)), batbus.NAUn16
	case batbus.CmdTransfer:
		if c.FromCell == batbus.NoCell {
			return refusedIf(m.SetActiveBalance(-1, -1)), batbus.NAUn16
		}
		return refusedIf(m.SetActiveBalance(int(c.FromCell), int(c.ToCell))), batbus.NAUn16
	case batbus.CmdFan:
		if m.Type().FanWattsPerKelvin == 0 {
			return batbus.ResultRefused, batbus.NAUn16
		}
		b.fan = c.Fan
		b.thermostat()
		return batbus.ResultOK, batbus.NAUn16
	case batbus.CmdShutdown:
		m.Shutdown()
		return batbus.ResultOK, batbus.NAUn16
	case batbus.CmdWake:
		m.Wake()
		return batbus.ResultOK, batbus.NAUn16
	case batbus.CmdIdentify:
		b.identifyUntil = now + time.Duration(c.Seconds)*time.Second
		return batbus.ResultOK, batbus.NAUn16
	case batbus.CmdRequestDescribe:
		b.send(b.describe(b.address).Frame())
		b.send(b.firmware().Frame())
		return batbus.ResultOK, batbus.NAUn16
	case batbus.CmdRequestIdentity:
		b.send(batbus.Identity{Address: b.address, Nameplate: b.nameplate}.Frame())
		return batbus.ResultOK, batbus.NAUn16
	case batbus.CmdUpdateBegin, batbus.CmdUpdateBlock, batbus.CmdUpdateEnd, batbus.CmdUpdateAbort:
		return b.updateStep(now, c)
	}
	return batbus.ResultUnknown, batbus.NAUn16
}

// updateStep runs the firmware-update steps (docs/battery-bus.md): Begin for this processor, then
// per block 32 UpdateData frames committed by UpdateBlock with the block's CRC-16, then End with
// the block count and the image CRC-16. A wrong CRC is refused with the block to send again.
func (b *Battery) updateStep(now time.Duration, c batbus.Command) (batbus.Result, uint16) {
	u := &b.update
	switch c.Code {
	case batbus.CmdUpdateBegin:
		if c.Processor != b.processorType() || c.ImageSize == 0 {
			return batbus.ResultRefused, batbus.NAUn16
		}
		*u = updateState{active: true, imageSize: c.ImageSize, block: u.block[:0], imageCRC: 0xFFFF, lastBlockAt: now}
		return batbus.ResultOK, 0
	case batbus.CmdUpdateAbort:
		*u = updateState{block: u.block[:0]}
		return batbus.ResultOK, batbus.NAUn16
	}
	if !u.active {
		return batbus.ResultRefused, batbus.NAUn16
	}
	switch c.Code {
	case batbus.CmdUpdateBlock:
		data := u.block
		if c.Block != u.nextBlock || len(data) == 0 || batbus.CRC16(data) != c.CRC {
			u.block = u.block[:0]
			return batbus.ResultRefused, u.nextBlock
		}
		u.imageCRC = batbus.CRC16Update(u.imageCRC, data)
		u.nextBlock++
		u.block = u.block[:0]
		return batbus.ResultOK, u.nextBlock
	case batbus.CmdUpdateEnd:
		ok := c.Blocks == u.nextBlock && c.CRC == u.imageCRC
		*u = updateState{block: u.block[:0]}
		if !ok {
			return batbus.ResultRefused, batbus.NAUn16
		}
		b.counters.Updates++
		return batbus.ResultOK, batbus.NAUn16
	}
	return batbus.ResultUnknown, batbus.NAUn16
}

// Firmware faults: what goes wrong in the battery's firmware rather than its cells. Module faults
// (LookupFault) act on the cells; these act on what the battery says.
const (
	FaultSilent    = "silent"     // stops transmitting: the master's communication check must notice
	FaultBabbling  = "babbling"   // floods the bus with its Status every step
	FaultWrongType = "wrong-type" // announces another product id (argument: the id)
	FaultSelfTest  = "self-test"  // an RS230 self-test fails (argument: the failure bits; changelog 1.38-04)
	// FaultStaleAddress: the battery keeps an address from an earlier start-up and reports from
	// it without announcing, until released: the RS registration conflict of changelog 1.38-05
	// (argument: the address).
	FaultStaleAddress = "stale-address"
	// FaultDeaf: the battery keeps reporting but neither executes nor acknowledges commands (a
	// hung command handler): the master's command retries must run out (#39 from v1.32).
	FaultDeaf = "deaf"
)

// Inject puts a named fault on the battery: a firmware fault (silent, babbling, wrong-type,
// self-test) or any module fault of LookupFault. It returns what to call to clear it.
func (b *Battery) Inject(name string, args ...float64) (clear func(), err error) {
	switch strings.ToLower(name) {
	case FaultSilent:
		b.silent = true
		return func() { b.silent = false }, nil
	case FaultBabbling:
		b.babbling = true
		return func() { b.babbling = false }, nil
	case FaultDeaf:
		b.deaf = true
		return func() { b.deaf = false }, nil
	case FaultWrongType:
		if len(args) != 1 || args[0] < 1 || args[0] > 0xFFFE {
			return nil, errors.New("battery fault wrong-type: give the product id to announce, 1 to 65534")
		}
		b.productOverride = uint16(args[0])
		return func() { b.productOverride = 0 }, nil
	case FaultStaleAddress:
		if len(args) != 1 || args[0] < float64(batbus.FirstAddress) || args[0] > batbus.MaxBatteries {
			return nil, fmt.Errorf("battery fault %s: give the address it keeps, 1 to %d", FaultStaleAddress, batbus.MaxBatteries)
		}
		b.address = uint8(args[0])
		return func() {}, nil
	case FaultSelfTest:
		if !b.mod.Type().SelfTest {
			return nil, fmt.Errorf("battery fault self-test: %s has no self-test (RS batteries, changelog 1.38-04)", b.mod.Type().Name)
		}
		bits := batbus.SelfTestCPU
		if len(args) == 1 && args[0] >= 1 && args[0] < 64 {
			bits = batbus.SelfTestFailures(args[0])
		}
		b.selfTestFailures = bits
		return func() { b.selfTestFailures = 0 }, nil
	}
	f, err := LookupFault(name, args...)
	if err != nil {
		return nil, fmt.Errorf("%v; or a firmware fault: %s, %s, %s, %s(product id), %s(bits), %s(address)", err, FaultSilent, FaultBabbling, FaultDeaf, FaultWrongType, FaultSelfTest, FaultStaleAddress)
	}
	if err := f.Apply(b.mod); err != nil {
		return nil, err
	}
	return func() { f.Clear(b.mod) }, nil
}
