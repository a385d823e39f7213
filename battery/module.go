package battery

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Module is the physics of one battery module: its cells in series (cell.go), their temperatures,
// the module's sensors and its actuators (balancing, fans). It is what the plant drives through
// its electrical face (OpenCircuitVolts, ResistanceOhms, Flow: the plant.Cells interface) and
// what the battery's slave firmware measures and commands. It runs no firmware and knows no bus.
//
// The plant sees each module as a voltage source behind a resistance and solves its parallel
// strings from them, then passes each string's current through its modules. For that solution to
// be exact, the source and resistance must be exactly the module's internal ones at the start of
// the step: OpenCircuitVolts is Σ(OCV + v_rc) over the cells and ResistanceOhms Σ R0(T) plus the
// two terminals, both corrected exactly for any bleed resistor or balancer across a cell (see
// cellState.thevenin). The terminal voltage under current I is then
// OpenCircuitVolts() + I·ResistanceOhms(), the sum of the cells' terminal voltages CellVolts
// reports and the terminals' drop.
//
// Temperature is per cell: each cell exchanges heat with the mean of the module's cells (busbars,
// the air inside the case) and, through the module's case, with ambient. Per cell, because a hot
// cell (a fault, a bad contact) must be a single cell that its sensor sees and its neighbours
// follow slowly. Each terminal is a small thermal node of its own, heated by its contact
// resistance and cooled into the module.
//
// A Module is not safe for concurrent use; the driver steps it from one goroutine.
type Module struct {
	typ    Type
	ch     *chemistry
	serial uint32
	cells  []cellState
	// sensorOffsetCelsius is each cell temperature sensor's error (DeviatingTemperatureSensor).
	sensorOffsetCelsius []float64

	ambientCelsius float64
	humidityPct    float64
	leaking        bool
	fanOn          bool
	awake          bool

	// bleedMask has a bit set for every cell whose bleed resistor is on (passive types).
	bleedMask uint32
	// activeFrom and activeTo are the active balancer's cells, activeFrom < 0 while it is idle.
	activeFrom, activeTo int

	// amps is the current of the last Flow, positive while charging; pending is the Flow time at
	// it not yet integrated (Flow).
	amps    float64
	pending time.Duration

	// cellJoulesPerKelvin is one cell's share of the module's heat capacity;
	// couplingWattsPerKelvin its exchange with the module's mean temperature.
	cellJoulesPerKelvin    float64
	couplingWattsPerKelvin float64
	positive, negative     terminal

	// decays holds the exponentials of the last few step lengths and fan states, worked out
	// again only for a new one: the plant's solves and the battery's reports split the pending
	// time into a handful of lengths that repeat (100 ms and 50 ms in the reference system), and
	// four exponentials per module were a tenth of a simulated step's cost. decaysNext is the
	// entry a new length replaces, round robin.
	decays     [4]stepDecays
	decaysNext int
}

// stepDecays are Flow's exponential factors for one step length and fan state.
type stepDecays struct {
	seconds float64
	fanOn   bool
	// rc is e^(−dt/τ) of the cells' RC pair; mean and inner the factors of exchangeHeat; terminal
	// the terminals' factor.
	rc, mean, inner, terminal float64
}

// decaysFor returns the exponential factors of a step of seconds, from the cache when it holds
// them.
func (m *Module) decaysFor(seconds float64) *stepDecays {
	for i := range m.decays {
		if d := &m.decays[i]; d.seconds == seconds && d.fanOn == m.fanOn && d.rc != 0 {
			return d
		}
	}
	d := &m.decays[m.decaysNext]
	m.decaysNext = (m.decaysNext + 1) % len(m.decays)
	cooling := m.coolingWattsPerKelvin()
	*d = stepDecays{
		seconds:  seconds,
		fanOn:    m.fanOn,
		rc:       math.Exp(-seconds / m.typ.RCSeconds),
		mean:     math.Exp(-seconds * cooling / m.cellJoulesPerKelvin),
		inner:    math.Exp(-seconds * (cooling + m.couplingWattsPerKelvin) / m.cellJoulesPerKelvin),
		terminal: math.Exp(-seconds * terminalWattsPerKelvin / terminalJoulesPerKelvin),
	}
	return d
}

// coolingWattsPerKelvin is each cell's share of the module's cooling to ambient, with the fan's
// when it runs.
func (m *Module) coolingWattsPerKelvin() float64 {
	cooling := m.typ.CoolingWattsPerKelvin
	if m.fanOn {
		cooling += m.typ.FanWattsPerKelvin
	}
	return cooling / float64(len(m.cells))
}

// terminal is a module terminal: a stud, lug and busbar end with a contact resistance.
type terminal struct {
	celsius float64
	// looseOhms is contact resistance a LooseTerminal fault adds to terminalOhms.
	looseOhms float64
}

// Constants of the module model (assumptions, with their reasons).
const (
	// cellSpread… are the half-widths of the uniform manufacturing spread of cells: ±1 %
	// capacity and ±3 % resistance are within the grading tolerances of matched cells;
	// self-discharge varies most from cell to cell, ±50 % around the type's figure.
	cellSpreadCapacity      = 0.01
	cellSpreadResistance    = 0.03
	cellSpreadSelfDischarge = 0.5
	// cellCouplingSeconds is the time constant with which a cell warmer than its module's mean
	// settles to it (busbars and inner air): ten minutes, against about an hour for the module
	// to ambient.
	cellCouplingSeconds = 600.0
	// terminalOhms is the contact resistance of one module terminal (a torqued M8 lug, L6 "M8
	// stud"): 25 µΩ. It is outside Type.CellOhms, which covers the cells and inter-cell busbars.
	terminalOhms = 25e-6
	// terminalJoulesPerKelvin is a terminal's heat capacity (stud, lug and busbar end, about
	// 0.4 kg of copper and brass at 385 J/(kg·K)); terminalWattsPerKelvin its conduction into the
	// module. Together: a 100 s time constant, and a 3 mΩ loose contact at 150 A (67 W) rises
	// 45 K, into the 64–69 °C derating of changelog 1.19-01.
	terminalJoulesPerKelvin = 150.0
	terminalWattsPerKelvin  = 1.5
	// defaultHumidityPct is the humidity a module's sensor reads without a Humidity fault: a dry
	// indoor installation, well inside L6's "≤ 75 % non-condensing".
	defaultHumidityPct = 40.0
	hoursPerMonth      = 30 * 24
)

// NewModule builds a module of type t with the given serial, every cell at socPercent (clamped to
// 0–100) and at ambientCelsius. The cells' capacities, resistances and self-discharge spread in a
// pattern fixed by seed and serial, so that cells drift apart as real ones do, two modules built
// from the same arguments are identical, and modules with different serials differ.
func NewModule(t Type, serial uint32, socPercent, ambientCelsius float64, seed uint64) (*Module, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if math.IsNaN(socPercent) || math.IsNaN(ambientCelsius) || math.IsInf(ambientCelsius, 0) {
		return nil, fmt.Errorf("battery module: SOC %g %%, ambient %g °C: want numbers", socPercent, ambientCelsius)
	}
	ch := chemistryOf(t.Chemistry)
	heat := t.MassKg * moduleSpecificHeat / float64(t.Cells)
	m := &Module{
		typ: t, ch: ch, serial: serial,
		cells:               make([]cellState, t.Cells),
		sensorOffsetCelsius: make([]float64, t.CellTemperatureSensors),
		ambientCelsius:      ambientCelsius,
		humidityPct:         defaultHumidityPct,
		awake:               true,
		activeFrom:          -1, activeTo: -1,
		cellJoulesPerKelvin:    heat,
		couplingWattsPerKelvin: heat / cellCouplingSeconds,
		positive:               terminal{celsius: ambientCelsius},
		negative:               terminal{celsius: ambientCelsius},
	}
	soc := max(0, min(100, socPercent))
	for i := range m.cells {
		c := &m.cells[i]
		c.healthyAh = t.CapacityAh * (1 + cellSpreadCapacity*spread(seed, serial, i, 1))
		c.capacityAh = c.healthyAh
		c.chargeAh = c.capacityAh * soc / 100
		c.r0Ohms25 = t.CellOhms * (1 + cellSpreadResistance*spread(seed, serial, i, 2))
		c.r1Ohms25 = t.RCOhms * (1 + cellSpreadResistance*spread(seed, serial, i, 3))
		pct := t.SelfDischargePctPerMonth * (1 + cellSpreadSelfDischarge*spread(seed, serial, i, 4))
		c.selfDischargeAmps = c.capacityAh * pct / 100 / hoursPerMonth
		c.setCelsius(ch, ambientCelsius)
	}
	return m, nil
}

// SpreadSOC moves each cell's state of charge by up to ±percent from the module's mean, in a
// pattern fixed by the serial: a bank that starts unbalanced, for scenarios. The charge moved
// sums to nothing over the module but for the clamping at 0 and 100 %.
func (m *Module) SpreadSOC(percent float64) error {
	m.settle()
	if math.IsNaN(percent) || percent < 0 || percent > 50 {
		return fmt.Errorf("battery module: SOC spread %g %%: want 0 to 50", percent)
	}
	n := len(m.cells)
	offsets := make([]float64, n)
	mean := 0.0
	for i := range offsets {
		offsets[i] = spread(0, m.serial, i, 5)
		mean += offsets[i] / float64(n)
	}
	for i := range m.cells {
		c := &m.cells[i]
		soc := max(0, min(100, c.socPercent()+percent*(offsets[i]-mean)))
		c.chargeAh = c.capacityAh * soc / 100
	}
	return nil
}

// spread is a deterministic pseudo-random number in [−1, 1) for one parameter of one cell.
func spread(seed uint64, serial uint32, cell int, param uint64) float64 {
	h := mix(seed)
	h = mix(h ^ uint64(serial))
	h = mix(h ^ uint64(cell))
	h = mix(h ^ param)
	return float64(h>>11)/(1<<52) - 1
}

// mix is SplitMix64's finaliser: every input bit changes about half of the output bits.
func mix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}

// Type returns the module's type.
func (m *Module) Type() Type { return m.typ }

// Serial returns the module's serial number as the battery bus carries it.
func (m *Module) Serial() uint32 { return m.serial }

// SerialString returns the serial as printed on the battery, e.g. "HQ174600001".
func (m *Module) SerialString() string { return FormatSerial(m.typ.SerialPrefix, m.serial) }

// Amps is the current of the last Flow, positive while charging.
func (m *Module) Amps() float64 { return m.amps }

// AmbientCelsius is the temperature of the module's surroundings.
func (m *Module) AmbientCelsius() float64 { return m.ambientCelsius }

// SetAmbientCelsius changes the surroundings' temperature: the module follows it with its thermal
// time constant.
func (m *Module) SetAmbientCelsius(c float64) {
	m.settle()
	m.ambientCelsius = c
}

// OpenCircuitVolts is the module's internal source voltage: Σ(OCV + v_rc) over its cells, exactly
// corrected for bleed resistors and balancers across cells (see Module).
func (m *Module) OpenCircuitVolts() float64 {
	volts, _ := m.Thevenin()
	return volts
}

// ResistanceOhms is the module's internal resistance: Σ R0(T) over its cells (exactly corrected
// for bleed resistors) plus the two terminals' contact resistance.
func (m *Module) ResistanceOhms() float64 {
	_, ohms := m.Thevenin()
	return ohms
}

// Thevenin is OpenCircuitVolts and ResistanceOhms in one pass over the cells: the plant asks for
// both every step.
func (m *Module) Thevenin() (volts, ohms float64) {
	m.settle()
	drawn, injected := m.transferAmps()
	ohms = 2*terminalOhms + m.positive.looseOhms + m.negative.looseOhms
	for i := range m.cells {
		v, r := m.cells[i].thevenin(m.ch, m.bleedSiemens(i), m.drawnAmps(i, drawn, injected))
		volts += v
		ohms += r
	}
	return volts, ohms
}

// TerminalVolts is the voltage across the module's terminals at the current of the last Flow.
func (m *Module) TerminalVolts() float64 {
	volts, ohms := m.Thevenin()
	return volts + m.amps*ohms
}

// Flow passes amps (positive: charging) through the module for dt.
//
// The module integrates lazily: a Flow at the same current as the one before only adds its time
// to what is pending, and the pending time is integrated as one step (flow) before anything reads
// or changes the module, when the current changes, or once it reaches maxPendingFlow. The plant
// holds its solution for a while when nothing changes (plant.Config.SolveInterval), so most of
// its steps cost an addition here. Every exported method that reads or changes the module's state
// settles first: what it sees is the module at the end of the last Flow.
//
// Flow does not allocate.
func (m *Module) Flow(amps float64, dt time.Duration) {
	if dt <= 0 {
		m.settle()
		m.amps = amps
		return
	}
	if m.pending > 0 && amps == m.amps && m.pending < maxPendingFlow {
		m.pending += dt
		return
	}
	m.settle()
	m.amps, m.pending = amps, dt
}

// maxPendingFlow bounds the time integrated in one step: the bleed and balancer currents, fixed
// at a step's start, and the heat, averaged over it, stay as accurate as at the battery's report
// period (batbus.StatusPeriod, 500 ms), at which its firmware reads the cells anyway.
const maxPendingFlow = 500 * time.Millisecond

// settle integrates the pending Flow time.
func (m *Module) settle() {
	if m.pending > 0 {
		dt := m.pending
		m.pending = 0
		m.flow(m.amps, dt)
	}
}

// flow passes amps through the module for dt, the current the plant solved for the start of the
// step, held over it. Each cell takes the string current less what its bleed
// resistor or balancer takes at its terminals (fixed at the start of the step: they change over
// hours); its charge and RC voltage move (cellState.pass), the cells exchange heat among
// themselves and with ambient, and the terminals warm with their contact loss.
//
// The thermal exchange is solved exactly over the step for the step's mean heat, like the RC
// voltage: the module's mean temperature follows C·dT̄/dt = P̄ − G·(T̄ − ambient), and each cell's
// difference from the mean d follows C·dd/dt = (P − P̄) − (G + Gc)·d, two independent
// exponentials. An explicit step would overshoot once dt exceeds a time constant.
func (m *Module) flow(amps float64, dt time.Duration) {
	seconds := dt.Seconds()
	tau := m.typ.RCSeconds
	decays := m.decaysFor(seconds)
	drawn, injected := m.transferAmps()
	var converterWatts float64
	if m.activeFrom >= 0 {
		// The converter's loss, drawn·V_from − injected·V_to, is heat beside its source cell.
		converterWatts = drawn*m.cellVolts(m.activeFrom, amps, drawn, injected) -
			injected*m.cellVolts(m.activeTo, amps, drawn, injected)
	}
	for i := range m.cells {
		c := &m.cells[i]
		siemens, j := m.bleedSiemens(i), m.drawnAmps(i, drawn, injected)
		var bleedAmps, bleedWatts float64
		if siemens != 0 {
			volts := m.cellVolts(i, amps, drawn, injected) // the cell's terminals at the start of the step
			bleedAmps, bleedWatts = siemens*volts, siemens*volts*volts
		}
		c.heatWatts = c.pass(m.ch, amps-bleedAmps-j, seconds, tau, decays.rc) + bleedWatts
		if i == m.activeFrom {
			c.heatWatts += converterWatts
		}
	}
	mean := m.exchangeHeat(decays)
	m.positive.heat(amps, mean, decays.terminal)
	m.negative.heat(amps, mean, decays.terminal)
}

// exchangeHeat moves the cells' temperatures over the step of decays (see Flow) and returns the
// module's mean cell temperature after it.
func (m *Module) exchangeHeat(decays *stepDecays) float64 {
	n := float64(len(m.cells))
	cooling := m.coolingWattsPerKelvin()
	var meanCelsius, meanWatts float64
	for i := range m.cells {
		meanCelsius += m.cells[i].celsius
		meanWatts += m.cells[i].heatWatts
	}
	meanCelsius /= n
	meanWatts /= n
	settled := m.ambientCelsius + meanWatts/cooling
	newMean := settled + (meanCelsius-settled)*decays.mean
	inner := cooling + m.couplingWattsPerKelvin
	decay := decays.inner
	for i := range m.cells {
		c := &m.cells[i]
		offset := (c.heatWatts - meanWatts) / inner
		celsius := newMean + offset + (c.celsius-meanCelsius-offset)*decay
		if c.pinned {
			celsius = c.pinnedCelsius
		}
		c.setCelsius(m.ch, celsius)
	}
	return newMean
}

// heat moves the terminal's temperature over a step at amps towards the module's mean
// temperature plus its contact loss, exactly as the cells; decay is e^(−dt·G/C) of the step.
func (t *terminal) heat(amps, moduleCelsius, decay float64) {
	settled := moduleCelsius + amps*amps*(terminalOhms+t.looseOhms)/terminalWattsPerKelvin
	t.celsius = settled + (t.celsius-settled)*decay
}

// cellVolts is cell i's terminal voltage at amps, with the balancer's currents drawn and
// injected.
func (m *Module) cellVolts(i int, amps, drawn, injected float64) float64 {
	source, ohms := m.cells[i].thevenin(m.ch, m.bleedSiemens(i), m.drawnAmps(i, drawn, injected))
	return source + amps*ohms
}

// bleedSiemens is the conductance across cell i: its bleed resistor's while on.
func (m *Module) bleedSiemens(i int) float64 {
	if m.bleedMask&(1<<i) == 0 {
		return 0
	}
	return 1 / m.typ.BleedOhms
}

// transferAmps is the active balancer's current drawn from its source cell and the current it
// delivers to its destination. Its efficiency is the fraction of the source's power delivered,
// taken against the cells' source voltages (OCV + v_rc): injected·E_to = η·drawn·E_from.
func (m *Module) transferAmps() (drawn, injected float64) {
	if m.activeFrom < 0 {
		return 0, 0
	}
	drawn = m.typ.TransferAmps
	from, to := &m.cells[m.activeFrom], &m.cells[m.activeTo]
	return drawn, m.typ.TransferEfficiency * drawn * from.sourceVolts(m.ch) / to.sourceVolts(m.ch)
}

// drawnAmps is what the active balancer takes from cell i (negative: delivers to it).
func (m *Module) drawnAmps(i int, drawn, injected float64) float64 {
	switch {
	case m.activeFrom < 0:
		return 0
	case i == m.activeFrom:
		return drawn
	case i == m.activeTo:
		return -injected
	}
	return 0
}

// CellVolts appends to dst[:0] the terminal voltage of every cell at the current of the last
// Flow, as the cell-voltage measurement reads it (with any CellVoltageOffset fault).
func (m *Module) CellVolts(dst []float64) []float64 {
	m.settle()
	dst = dst[:0]
	drawn, injected := m.transferAmps()
	for i := range m.cells {
		dst = append(dst, m.cellVolts(i, m.amps, drawn, injected)+m.cells[i].voltsOffset)
	}
	return dst
}

// CellSOCPercent appends to dst[:0] every cell's state of charge. A cell driven into abuse reads
// below 0 or above 100 %.
func (m *Module) CellSOCPercent(dst []float64) []float64 {
	m.settle()
	dst = dst[:0]
	for i := range m.cells {
		dst = append(dst, m.cells[i].socPercent())
	}
	return dst
}

// SensorCell is the cell that cell temperature sensor s sits on: the type's sensors are spread
// evenly, sensor s on cell ⌊(2s+1)·cells / (2·sensors)⌋ (4 sensors on 8 cells: cells 1, 3, 5, 7).
func (m *Module) SensorCell(s int) int {
	return (2*s + 1) * len(m.cells) / (2 * len(m.sensorOffsetCelsius))
}

// CellCelsius appends to dst[:0] what each cell temperature sensor reads: its cell's temperature,
// plus the sensor's error under a DeviatingTemperatureSensor fault.
func (m *Module) CellCelsius(dst []float64) []float64 {
	m.settle()
	dst = dst[:0]
	for s, offset := range m.sensorOffsetCelsius {
		dst = append(dst, m.cells[m.SensorCell(s)].celsius+offset)
	}
	return dst
}

// TrueCellCelsius appends to dst[:0] every cell's real temperature, sensor or not: for tests,
// traces and plots, not for the firmware, which has only CellCelsius.
func (m *Module) TrueCellCelsius(dst []float64) []float64 {
	m.settle()
	dst = dst[:0]
	for i := range m.cells {
		dst = append(dst, m.cells[i].celsius)
	}
	return dst
}

// TerminalCelsius reads the terminal temperature sensors. ok is false for a type without any;
// a type with only one (the HE's positive, changelog 1.19-01) reads NaN for the other.
func (m *Module) TerminalCelsius() (pos, neg float64, ok bool) {
	m.settle()
	pos, neg = math.NaN(), math.NaN()
	if m.typ.PositiveTerminalSensor {
		pos = m.positive.celsius
	}
	if m.typ.NegativeTerminalSensor {
		neg = m.negative.celsius
	}
	return pos, neg, m.typ.PositiveTerminalSensor || m.typ.NegativeTerminalSensor
}

// Humidity reads the humidity sensor, in percent relative humidity; ok is false for a type
// without one (changelog 1.24-05: NMC and RS only).
func (m *Module) Humidity() (pct float64, ok bool) {
	if !m.typ.HumiditySensor {
		return 0, false
	}
	return m.humidityPct, true
}

// Leakage reads the leakage sensor; ok is false for a type without one (changelog 1.34-03: RS).
func (m *Module) Leakage() (leaking, ok bool) {
	if !m.typ.LeakageSensor {
		return false, false
	}
	return m.leaking, true
}

// FanOn says whether the module's fans run.
func (m *Module) FanOn() bool { return m.fanOn }

// SetFan switches the fans. A type without fans, or a shut-down module, ignores it.
func (m *Module) SetFan(on bool) {
	on = on && m.awake && m.typ.FanWattsPerKelvin > 0
	if on == m.fanOn {
		return // no change: nothing to integrate first
	}
	m.settle()
	m.fanOn = on
}

// SOCPercent is the module's state of charge: that of its emptiest cell, which limits how much it
// can deliver, clamped to 0–100 %.
func (m *Module) SOCPercent() float64 {
	m.settle()
	soc := math.Inf(1)
	for i := range m.cells {
		soc = min(soc, m.cells[i].socPercent())
	}
	return max(0, min(100, soc))
}

// SOHPercent is the module's state of health: its weakest cell's capacity against the nominal,
// at most 100 %. ok is false for a type without SOH (changelog 1.35-01: RS only).
func (m *Module) SOHPercent() (pct float64, ok bool) {
	m.settle()
	if !m.typ.SOH {
		return 0, false
	}
	weakest := math.Inf(1)
	for i := range m.cells {
		weakest = min(weakest, m.cells[i].capacityAh)
	}
	return min(100, 100*weakest/m.typ.CapacityAh), true
}

// Errors of the actuators.
var (
	ErrShutDown     = errors.New("battery module is shut down")
	ErrNotSupported = errors.New("not supported by this battery type")
)

// SetBalancing switches the passive bleed resistors: bit i of cellMask on bleeds cell i through
// Type.BleedOhms, a current of V/R from the cell's terminals. 0 stops balancing, on any type;
// any other mask only on passive types, and only while the module is awake.
func (m *Module) SetBalancing(cellMask uint32) error {
	m.settle()
	switch {
	case cellMask == 0:
		// Stopping is always possible, on any type, asleep or awake.
	case m.typ.Balancing != BalancePassive:
		return fmt.Errorf("passive balancing of %s: %w", m.typ.Name, ErrNotSupported)
	case cellMask>>len(m.cells) != 0:
		return fmt.Errorf("balancing mask %#x: %s has %d cells", cellMask, m.typ.Name, len(m.cells))
	case !m.awake:
		return ErrShutDown
	}
	m.bleedMask = cellMask
	return nil
}

// BalancingMask is the set of cells being bled, bit i for cell i.
func (m *Module) BalancingMask() uint32 { return m.bleedMask }

// SetActiveBalance runs the active balancer from cell from to cell to: it draws
// Type.TransferAmps from the source cell's terminals and delivers Type.TransferEfficiency of that
// power to the destination's. A negative from stops it. Choosing the cells (highest to lowest) is
// the firmware's. Only for active types, and only while the module is awake.
func (m *Module) SetActiveBalance(from, to int) error {
	m.settle()
	if m.typ.Balancing != BalanceActive {
		return fmt.Errorf("active balancing of %s: %w", m.typ.Name, ErrNotSupported)
	}
	if from < 0 {
		m.activeFrom, m.activeTo = -1, -1
		return nil
	}
	if from >= len(m.cells) || to < 0 || to >= len(m.cells) || from == to {
		return fmt.Errorf("active balancing from cell %d to %d: want two different cells of 0–%d", from, to, len(m.cells)-1)
	}
	if !m.awake {
		return ErrShutDown
	}
	m.activeFrom, m.activeTo = from, to
	return nil
}

// ActiveBalance is the active balancer's source and destination cell, from < 0 while idle.
func (m *Module) ActiveBalance() (from, to int) { return m.activeFrom, m.activeTo }

// Shutdown puts the module's electronics to sleep: balancing stops and the fans stop, and the
// firmware should fall silent (Awake reports it). The cells stay connected, so current still
// flows as the plant solves it. That is the MG design: the batteries have internal fuses (L6) but
// no switch of their own; the only switch in the power path is the master's contactor ("Safety
// contactors in positive power path", L8), which the plant models. A module that opened its own
// switch would also need a choice of the bank voltage across it that the plant, which owns the
// currents, has to make anyway.
func (m *Module) Shutdown() {
	m.awake = false
	m.bleedMask = 0
	m.activeFrom, m.activeTo = -1, -1
	m.fanOn = false
}

// Wake starts the module's electronics again.
func (m *Module) Wake() { m.awake = true }

// Awake says whether the module's electronics run.
func (m *Module) Awake() bool { return m.awake }
