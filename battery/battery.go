package battery

import (
	"math"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/batbus"
)

// Battery is one simulated battery module: its cells (the electrical side, stepped by the plant
// through Flow) and its slave firmware (a node on the battery bus, stepped by the driver).
type Battery struct {
	typ    Type
	serial uint32
	cells  []cell
	// ambientCelsius is the temperature the module settles to without current.
	ambientCelsius float64

	bus     canbus.Bus
	rx      []can.Frame
	address uint8
	// amps is the current of the last Flow, positive while charging.
	amps         float64
	nextAnnounce time.Duration
	nextReport   time.Duration
	rejected     uint64
}

type cell struct {
	capacityAh float64
	chargeAh   float64
	celsius    float64
}

// Timing of the provisional slave firmware.
const (
	announcePeriod = 500 * time.Millisecond
	reportPeriod   = 500 * time.Millisecond
	// thermalSeconds is the time constant with which a module's cells settle to ambient: a
	// 20–30 kg module in still air, an assumption of this first model.
	thermalSeconds = 3600.0
	// cellHeatCapacity is J/K of one 280 Ah prismatic cell (about 5.4 kg at 1 000 J/(kg·K)).
	cellHeatCapacity = 5400.0
)

// New returns a battery of type t with serial number serial at soc percent and ambient
// temperature, attached to the battery bus. Cell capacities spread by up to ±1 % in a pattern
// fixed by the serial number, so that cells drift apart as real ones do and runs stay repeatable.
func New(t Type, serial uint32, socPercent, ambientCelsius float64, bus canbus.Bus) *Battery {
	b := &Battery{
		typ: t, serial: serial, ambientCelsius: ambientCelsius, bus: bus, address: batbus.Unassigned,
		// Spread the announce phase over 0–400 ms by serial, so that a bank's batteries do not
		// all talk in the same step.
		nextAnnounce: time.Duration(serial%5) * 100 * time.Millisecond,
	}
	b.cells = make([]cell, t.Cells)
	for i := range b.cells {
		// A small, deterministic pseudo-random spread from the serial and the cell index.
		h := uint32(serial)*2654435761 + uint32(i)*40503
		spread := (float64(h%2001)/1000 - 1) * 0.01
		c := &b.cells[i]
		c.capacityAh = t.CapacityAh * (1 + spread)
		c.chargeAh = c.capacityAh * math.Max(0, math.Min(100, socPercent)) / 100
		c.celsius = ambientCelsius
	}
	return b
}

// Type returns the battery's type.
func (b *Battery) Type() Type { return b.typ }

// Serial returns the battery's serial number.
func (b *Battery) Serial() uint32 { return b.serial }

// Address returns the battery-bus address the master assigned, or batbus.Unassigned.
func (b *Battery) Address() uint8 { return b.address }

// Rejected counts frames the firmware received and refused as malformed.
func (b *Battery) Rejected() uint64 { return b.rejected }

// OpenCircuitVolts is the sum of the cells' open-circuit voltages.
func (b *Battery) OpenCircuitVolts() float64 {
	var v float64
	for i := range b.cells {
		v += b.cells[i].ocv()
	}
	return v
}

// ResistanceOhms is the module's internal resistance.
func (b *Battery) ResistanceOhms() float64 { return b.typ.CellOhms * float64(len(b.cells)) }

// Flow passes amps (positive: charging) through the module for dt: the cells' charge changes and
// the I²R loss warms them, while they cool towards ambient.
//
// The temperature follows C·dT/dt = I²R − C·(T − ambient)/τ, solved exactly over dt for the
// constant current: T settles exponentially towards ambient + I²R·τ/C. An explicit Euler step
// would depend on the step size, overshoot past the settling temperature once dt exceeds τ and
// diverge once it exceeds 2τ, as one long Flow in a test or a coarse scenario step can.
func (b *Battery) Flow(amps float64, dt time.Duration) {
	b.amps = amps
	hours := dt.Hours()
	decay := math.Exp(-dt.Seconds() / thermalSeconds)
	// The temperature rise above ambient at which cooling carries away all the I²R heat.
	equilibriumRise := amps * amps * b.typ.CellOhms * thermalSeconds / cellHeatCapacity
	for i := range b.cells {
		c := &b.cells[i]
		c.chargeAh = math.Max(0, math.Min(c.capacityAh, c.chargeAh+amps*hours))
		settled := b.ambientCelsius + equilibriumRise
		c.celsius = settled + (c.celsius-settled)*decay
	}
}

// SOCPercent is the charge of the module: that of its emptiest cell, which limits it.
func (b *Battery) SOCPercent() float64 {
	soc := 100.0
	for i := range b.cells {
		soc = math.Min(soc, b.cells[i].soc())
	}
	return soc
}

// CellVolts returns the lowest and highest cell terminal voltage under the present current.
func (b *Battery) CellVolts() (lowest, highest float64) {
	lowest, highest = math.Inf(1), math.Inf(-1)
	for i := range b.cells {
		v := b.cells[i].ocv() + b.amps*b.typ.CellOhms
		lowest, highest = math.Min(lowest, v), math.Max(highest, v)
	}
	return lowest, highest
}

// CellCelsius returns the lowest and highest cell temperature.
func (b *Battery) CellCelsius() (lowest, highest float64) {
	lowest, highest = math.Inf(1), math.Inf(-1)
	for i := range b.cells {
		lowest, highest = math.Min(lowest, b.cells[i].celsius), math.Max(highest, b.cells[i].celsius)
	}
	return lowest, highest
}

func (c *cell) soc() float64 { return 100 * c.chargeAh / c.capacityAh }

func (c *cell) ocv() float64 { return lfpOCV.at(c.soc()) }

// Step runs the slave firmware: take the master's frames, then announce until registered and
// report once registered.
func (b *Battery) Step(now time.Duration) {
	b.rx = b.bus.Receive(b.rx[:0])
	for _, f := range b.rx {
		msg, _, ok := batbus.Split(f)
		if !ok || msg != batbus.MsgAssign {
			continue
		}
		a, err := batbus.ParseAssign(f)
		if err != nil {
			b.rejected++
			continue
		}
		if a.Prefix == batbus.PrefixHQ && a.Serial == b.serial {
			b.address = a.Address
			b.nextReport = now
		}
	}
	if b.address == batbus.Unassigned {
		if now >= b.nextAnnounce {
			b.nextAnnounce = now + announcePeriod
			_ = b.bus.Send(b.announce().Frame())
			_ = b.bus.Send(b.describe().Frame())
		}
		return
	}
	if now >= b.nextReport {
		b.nextReport = now + reportPeriod
		b.report()
	}
}

func (b *Battery) announce() batbus.Announce {
	return batbus.Announce{
		Address:   batbus.TemporaryAddress(batbus.PrefixHQ, b.serial, 0),
		Nameplate: batbus.Nameplate{Prefix: batbus.PrefixHQ, Serial: b.serial, Product: uint16(b.typ.Model)},
	}
}

// describe is the Describe that follows every announce (protocol v1, docs/battery-bus.md §5.1).
func (b *Battery) describe() batbus.Describe {
	return batbus.Describe{
		Address:   batbus.TemporaryAddress(batbus.PrefixHQ, b.serial, 0),
		Chemistry: b.typ.Chemistry, Cells: uint8(b.typ.Cells), CapacityAh: uint16(b.typ.CapacityAh),
	}
}

func (b *Battery) report() {
	lowV, highV := b.CellVolts()
	lowT, highT := b.CellCelsius()
	terminal := b.OpenCircuitVolts() + b.amps*b.ResistanceOhms()
	// The highest value of each field is its not-available value: saturate one below it.
	_ = b.bus.Send(batbus.Status{
		Address:       b.address,
		Centivolts:    uint16(wire(terminal*100, 0, math.MaxUint16-1)),
		Deciamps:      int16(wire(b.amps*10, math.MinInt16, math.MaxInt16-1)),
		SOCHundredths: uint16(wire(b.SOCPercent()*100, 0, 10000)),
	}.Frame())
	_ = b.bus.Send(batbus.Extremes{
		Address:        b.address,
		MinMillivolts:  uint16(wire(lowV*1000, 0, math.MaxUint16-1)),
		MaxMillivolts:  uint16(wire(highV*1000, 0, math.MaxUint16-1)),
		MinDeciCelsius: int16(wire(lowT*10, math.MinInt16, math.MaxInt16-1)),
		MaxDeciCelsius: int16(wire(highT*10, math.MinInt16, math.MaxInt16-1)),
	}.Frame())
}

// wire rounds v to a whole number of wire units and saturates it to [lo, hi], the range of the
// integer field it goes into. Go leaves a float-to-integer conversion that does not fit to the
// implementation: on amd64, int16(40000.0) is -25536, so an unclamped 4 000 A charge would be
// reported as a 2 553.6 A discharge. Saturating keeps the sign and the direction of the error.
func wire(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, math.Round(v))) }
