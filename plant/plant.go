package plant

import (
	"fmt"
	"math"
	"time"
)

// Cells is the electrical face of one battery module.
type Cells interface {
	// Thevenin is the module's internal source voltage and resistance.
	Thevenin() (volts, ohms float64)
	// Flow passes amps (positive: charging) through the module for dt.
	Flow(amps float64, dt time.Duration)
}

// Numerics of the open-bus solution (not physics: they bound the error and the work).
const (
	// substepKelvin is the most the pre-charge element's temperature may change in one substep
	// (estimated from the power at the substep's start). The NTC's resistance then changes by
	// B·0.05 K/T², under 0.3 % at −20 °C, in a substep, and the mid-point resistance makes the
	// scheme second order. Error bound, measured by TestNTCSubstepError (47 mF, 26.4 V, 25 °C
	// and −20 °C, steps of 1 ms to 1 s, against substeps 100 times finer): the bus voltage within
	// 0.2 mV, the NTC temperature within 0.1 mK; the test fails above 1 mV or 1 mK.
	substepKelvin = 0.05
	// fuseSubsteps is the fewest substeps in which the fuse's melting integral may be used up,
	// so that the instant it blows is within 5 % of its time.
	fuseSubsteps = 20
	// maxSubsteps bounds the substeps of one step: past it the substeps grow and precision drops.
	maxSubsteps = 1000
	// maxSegments bounds the threshold crossings the bus voltage makes in one substep.
	maxSegments = 8
)

// Plant is the DC side.
type Plant struct {
	cfg     Config
	strings [][]Cells
	// solved holds, per string, the working of the last solve: kept here so that a step
	// allocates nothing and reads each module's open-circuit voltage once.
	solved []stringSolution
	last   time.Duration

	contactor     contactor
	element       element
	fuse          fuse
	prechargeOn   bool
	externalOn    bool
	interlockOpen bool

	farads       float64 // bus capacitance: Config.BusFarads unless a fault changes it
	shortSiemens float64 // a short across the bus (fault)

	load, charger, userCharger Profile
	userChargerVolts           float64

	// held is what the last solve with the contacts closed was made for, while valid: steps with
	// the same inputs within Config.SolveInterval of solvedAt keep its currents (Step).
	held struct {
		valid        bool
		in           inputs
		shortSiemens float64
		solvedAt     time.Duration
	}

	batteryVolts  float64 // bank terminal voltage
	busVolts      float64 // load-side (user) voltage, across the bus capacitance
	shuntAmps     float64 // positive while charging the bank: the last step's average
	prechargeAmps float64 // through the internal path, bank to bus: the last step's average

	// substepKelvin is the constant of that name; a test tightens it to measure the error.
	substepKelvin float64
}

// New builds the plant around modules, Series of them per string. It refuses a bank that does not
// divide into whole strings, and a Config the model cannot run with.
func New(cfg Config, modules []Cells) (*Plant, error) {
	if cfg.Series < 1 || len(modules) == 0 || len(modules)%cfg.Series != 0 {
		return nil, fmt.Errorf("plant: %d batteries do not form strings of %d in series", len(modules), cfg.Series)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	p := &Plant{
		cfg:           cfg,
		contactor:     contactor{closeTime: cfg.ContactorClose},
		element:       newElement(cfg),
		fuse:          fuse{ratedSquared: cfg.FuseAmps * cfg.FuseAmps, i2t: cfg.FuseAmpsSquaredSeconds},
		farads:        cfg.BusFarads,
		substepKelvin: substepKelvin,
	}
	for i := 0; i < len(modules); i += cfg.Series {
		p.strings = append(p.strings, modules[i:i+cfg.Series])
	}
	p.solved = make([]stringSolution, len(p.strings))
	p.batteryVolts = p.solve(p.prepare(), 0)
	return p, nil
}

// Config returns the configuration the plant was built with.
func (p *Plant) Config() Config { return p.cfg }

// SetLoad sets the loads' current profile (nil: no load). The loads run as Config.Loads says.
func (p *Plant) SetLoad(amps Profile) { p.load = amps }

// SetCharger sets the chargers' current profile (nil: none). They feed the bank only while the
// main contacts are closed (chargers switched by the allowed-to-charge contact).
func (p *Plant) SetCharger(amps Profile) { p.charger = amps }

// SetUserCharger puts a charger on the user side that the master does not switch: it delivers
// its profile's current while the bus is below volts and holds the bus at volts otherwise, with
// the contacts open or closed. With the contacts open it raises the user voltage that the
// master's charge-detect wake-up watches (0x0375). A nil profile or volts ≤ 0 removes it.
func (p *Plant) SetUserCharger(amps Profile, volts float64) {
	if amps == nil || !(volts > 0) || math.IsInf(volts, 0) {
		p.userCharger, p.userChargerVolts = nil, 0
		return
	}
	p.userCharger, p.userChargerVolts = amps, volts
}

// SetLoadAmps sets a constant load current: SetLoad(Constant(a)), none if a ≤ 0.
func (p *Plant) SetLoadAmps(a float64) { p.load = Constant(max(0, a)) }

// SetChargerAmps sets a constant charger current: SetCharger(Constant(a)), none if a ≤ 0.
func (p *Plant) SetChargerAmps(a float64) { p.charger = Constant(max(0, a)) }

// SetContactor commands the main contactor's coil.
func (p *Plant) SetContactor(closed bool) { p.contactor.set(closed, p.last) }

// SetPrecharge switches the internal pre-charge path.
func (p *Plant) SetPrecharge(on bool) { p.prechargeOn = on }

// SetExternalPrecharge switches the optional external pre-charge circuit, which the master drives
// through its programmable relay (changelog 1.25-03).
func (p *Plant) SetExternalPrecharge(on bool) { p.externalOn = on }

// SetInterlockOpen opens (or closes again) the loop on the master's interlock input: an external
// emergency switch (changelog 1.09-02).
func (p *Plant) SetInterlockOpen(open bool) { p.interlockOpen = open }

// InterlockOpen is the interlock input as the master reads it.
func (p *Plant) InterlockOpen() bool { return p.interlockOpen }

// ContactorClosed is the contactor's auxiliary feedback contact, as the master reads it.
func (p *Plant) ContactorClosed() bool { return p.contactor.auxiliary() }

// ContactsClosed is the state of the main contacts themselves, whatever the feedback says.
func (p *Plant) ContactsClosed() bool { return p.contactor.closed }

// ContactorCycles is the number of times the main contacts have closed.
func (p *Plant) ContactorCycles() int { return p.contactor.cycles }

// BatteryVolts is the bank's terminal voltage as the master measures it.
func (p *Plant) BatteryVolts() float64 { return p.batteryVolts }

// BusVolts is the load-side voltage as the master measures it.
func (p *Plant) BusVolts() float64 { return p.busVolts }

// UserVolts is the user-side voltage the master's charge-detect wake-up watches (0x0375,
// protocol.md §3.3): the bus, measured on the load side of the contactor.
func (p *Plant) UserVolts() float64 { return p.busVolts }

// ShuntAmps is the bank current through the master's shunt, positive while charging: the
// average over the last step, pre-charge current included.
func (p *Plant) ShuntAmps() float64 { return p.shuntAmps }

// PrechargeAmps is the current through the internal pre-charge path, from the bank to the bus:
// the average over the last step.
func (p *Plant) PrechargeAmps() float64 { return p.prechargeAmps }

// PrechargeCelsius is the temperature of the pre-charge element (NTC or resistor).
func (p *Plant) PrechargeCelsius() float64 { return p.element.celsius }

// PrechargeTripped reports the resistor path's overload protection holding the path open.
func (p *Plant) PrechargeTripped() bool { return p.element.tripped }

// FuseBroken reports the pre-charge fuse broken (changelog 1.34-02, 1.36-06).
func (p *Plant) FuseBroken() bool { return p.fuse.blown }

// inputs are the loads' and chargers' currents over one step.
type inputs struct {
	load, loadMin float64 // amps at or above loadMin volts; a resistance below
	charger       float64
	user, userV   float64 // the user-side charger: amps below userV volts
}

// MaxInputAmps bounds a load's or charger's current: far beyond any Lynx Ion system (its
// contactor carries at most 1000 A), and well inside what the plant's arithmetic carries (a
// current of 1e300 A squared for its heat overflows). The CLI and scenario files refuse more; the
// plant holds a profile that asks more to it.
const MaxInputAmps = 100e3

// amps samples a profile: negative, NaN and infinite values count as zero, and a value above
// MaxInputAmps as MaxInputAmps.
func amps(p Profile, t time.Duration) float64 {
	if p == nil {
		return 0
	}
	v := p.At(t)
	if !(v > 0) || math.IsInf(v, 1) {
		return 0
	}
	return min(v, MaxInputAmps)
}

// Step moves the DC side to now.
func (p *Plant) Step(now time.Duration) {
	dt := now - p.last
	if dt <= 0 {
		return
	}
	mid := p.last + dt/2
	p.last = now
	p.contactor.step(now)
	closed := p.contactor.closed
	in := inputs{loadMin: p.cfg.LoadMinVolts}
	if closed || p.cfg.Loads == LoadsOnBus {
		in.load = amps(p.load, mid)
	}
	if closed {
		in.charger = amps(p.charger, mid)
	}
	if p.userCharger != nil {
		in.user, in.userV = amps(p.userCharger, mid), p.userChargerVolts
	}
	secs := dt.Seconds()
	if closed && p.held.valid && in == p.held.in && p.shortSiemens == p.held.shortSiemens && now-p.held.solvedAt <= p.cfg.SolveInterval {
		// Nothing changed: the currents of the last solve hold, and the modules add the step to
		// the time they have pending.
		p.element.heat(0, secs)
		p.fuse.rest(secs)
		p.flow(dt)
		return
	}
	p.held.valid = closed && p.cfg.SolveInterval > 0
	p.held.in, p.held.shortSiemens, p.held.solvedAt = in, p.shortSiemens, now-dt
	b := p.prepare()
	var total float64 // bank current, positive while charging
	if closed {
		// The pre-charge paths are shorted by the contacts: no current, the element cools.
		total = p.closedAmps(b, &in)
		p.element.heat(0, secs)
		p.fuse.rest(secs)
		p.prechargeAmps = 0
	} else {
		total = p.openBus(b, &in, secs)
	}
	p.batteryVolts = p.solve(b, total)
	p.flow(dt)
	if closed {
		p.busVolts = p.batteryVolts
	}
	p.shuntAmps = total
}

// flow passes each string's solved current through its modules for dt.
func (p *Plant) flow(dt time.Duration) {
	for i, s := range p.strings {
		for _, m := range s {
			m.Flow(p.solved[i].amps, dt)
		}
	}
}

// busSiemens is the conductance always across the bus: the bleed and a short (fault).
func (p *Plant) busSiemens() float64 { return 1/p.cfg.BleedOhms + p.shortSiemens }

// closedAmps is the bank current with the main contacts closed: the bus is the bank terminal V,
// and the bank current I_b(V) = ΣG·(V − ref) − ΣI equals what the bus takes from it: the chargers
// and the user charger minus the loads and the bus conductance. Each of these is linear in V on
// each side of its threshold, so V is solved exactly, branch by branch.
func (p *Plant) closedAmps(b bank, in *inputs) float64 {
	gBus := p.busSiemens()
	var user float64
	if in.user > 0 {
		switch {
		case p.closedVolts(b, in, gBus, in.user) <= in.userV:
			user = in.user // below its voltage at full current
		case p.closedVolts(b, in, gBus, 0) >= in.userV:
			// The bus is above the charger's voltage without it: it delivers nothing.
		default:
			// It holds the bus at its voltage, delivering what that takes.
			v := in.userV
			user = max(0, min(in.user, b.amps(v)-p.injected(in, gBus, v)))
		}
	}
	return p.injected(in, gBus, p.closedVolts(b, in, gBus, user)) + user
}

// injected is what the bus gives the bank at v, the user charger apart: the chargers minus the
// loads and the bus conductance.
func (p *Plant) injected(in *inputs, gBus, v float64) float64 {
	return in.charger - loadAmps(in, v) - gBus*v
}

// loadAmps is the loads' current at v: their amps at or above their minimum voltage, the
// resistance that draws those amps at the minimum below it.
func loadAmps(in *inputs, v float64) float64 {
	if in.load == 0 || v >= in.loadMin {
		return in.load
	}
	return in.load * v / in.loadMin
}

// closedVolts solves I_b(V) = injected(V) + user for the terminal voltage V, relative to the first
// string's voltage as solve does.
func (p *Plant) closedVolts(b bank, in *inputs, gBus, user float64) float64 {
	rise := (in.charger + user - in.load + b.sumI - gBus*b.ref) / (b.sumG + gBus)
	if in.load > 0 && b.ref+rise < in.loadMin {
		gLoad := in.load / in.loadMin
		rise = (in.charger + user + b.sumI - (gBus+gLoad)*b.ref) / (b.sumG + gBus + gLoad)
	}
	return b.ref + rise
}

// bank is the bank as one source in the last prepare: the first string's open-circuit voltage
// (the reference), ΣG = Σ 1/Rᵢ and ΣI = Σ (OCVᵢ − ref)/Rᵢ. It is a Thévenin source of
// ref + ΣI/ΣG behind 1/ΣG.
type bank struct{ ref, sumG, sumI float64 }

// amps is the bank current (positive: charging) at terminal volts v.
func (b bank) amps(v float64) float64 { return b.sumG*(v-b.ref) - b.sumI }

// stringSolution is one string in the last solve.
type stringSolution struct {
	offset      float64 // open-circuit voltage above the first string's, V
	conductance float64 // 1/R, S
	amps        float64 // positive while charging
}

// prepare reads every module's open-circuit voltage and resistance, once a step.
func (p *Plant) prepare() bank {
	var b bank
	for i, s := range p.strings {
		ocv, ohms := stringOCV(s)
		if i == 0 {
			b.ref = ocv
		}
		sol := &p.solved[i]
		sol.offset, sol.conductance = ocv-b.ref, 1/ohms
		b.sumG += sol.conductance
		b.sumI += sol.offset * sol.conductance
	}
	return b
}

// solve returns the bank terminal voltage at a bank current of total amps (positive: charging)
// and leaves each string's current in p.solved. The strings are voltage sources with resistance
// in parallel, so V = (total + Σ OCVᵢ/Rᵢ) / Σ 1/Rᵢ and string i carries (V − OCVᵢ)/Rᵢ.
//
// Both are worked out relative to the first string's OCV rather than from absolute volts:
// (V − OCVᵢ) is a difference of two nearly equal numbers, so computed from absolute volts it
// carries an error of about one unit in the last place of V, which 1/Rᵢ turns into amps. The
// string currents then no longer add up to the bank current (by 0.03 % at 1 nΩ, more as the
// resistance falls), and charge counted at the shunt drifts from charge in the modules.
// Relative to a reference the errors scale with the currents themselves.
func (p *Plant) solve(b bank, total float64) float64 {
	rise := (total + b.sumI) / b.sumG // V − ref
	for i := range p.solved {
		sol := &p.solved[i]
		sol.amps = (rise - sol.offset) * sol.conductance
	}
	return b.ref + rise
}

// Thevenin is the bank as seen from its terminals: its open-circuit voltage and its conductance
// (the strings' sources and resistances in parallel), from the modules as they are now. A combined
// system shares its loads among banks by these (scenario's DC bus).
func (p *Plant) Thevenin() (volts, siemens float64) {
	b := p.prepare()
	if b.sumG <= 0 {
		return b.ref, 0
	}
	return b.ref + b.sumI/b.sumG, b.sumG
}

func stringOCV(s []Cells) (ocv, ohms float64) {
	for _, m := range s {
		v, r := m.Thevenin()
		ocv += v
		ohms += r
	}
	return ocv, ohms
}
