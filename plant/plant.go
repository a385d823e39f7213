// Package plant owns the DC side of a Lynx Ion system: the battery bank as series strings in
// parallel, the main contactor, the pre-charge path, the load-side bus capacitance, and the loads
// and chargers on that bus. It is physics, stepped by the driver before the firmware nodes, and it
// is the master's hardware: the master commands the contactor and pre-charge and reads the
// voltages and the shunt current through the methods of Plant.
//
// PROVISIONAL: the first model has a fixed pre-charge resistance, a contactor that closes after a
// fixed time, and loads and chargers as constant currents that flow only while the contactor is
// closed. The battery issue replaces it with the NTC and resistor paths, contactor faults and
// load profiles.
package plant

import (
	"fmt"
	"math"
	"time"
)

// Cells is the electrical face of one battery module.
type Cells interface {
	OpenCircuitVolts() float64
	ResistanceOhms() float64
	// Flow passes amps (positive: charging) through the module for dt.
	Flow(amps float64, dt time.Duration)
}

// Config sizes the DC side.
type Config struct {
	// Series is the number of modules in each string; the bank's modules are taken in order,
	// Series at a time, to form the parallel strings.
	Series int
	// BusFarads is the load-side capacitance the pre-charge has to fill (inverter input
	// capacitors): 10 mF is an assumption typical of a few kVA of inverters.
	BusFarads float64
	// PrechargeOhms is the pre-charge path's resistance: an assumption (limits.md §4.2: "[?]").
	PrechargeOhms float64
	// BleedOhms discharges the bus while it is disconnected.
	BleedOhms float64
	// ContactorClose is the time from the coil command to the main contacts closing (and the
	// auxiliary feedback contact following them).
	ContactorClose time.Duration
}

// DefaultConfig is the DC side of the embedded default system.
func DefaultConfig(series int) Config {
	return Config{
		Series:         series,
		BusFarads:      10e-3,
		PrechargeOhms:  47,
		BleedOhms:      10e3,
		ContactorClose: 30 * time.Millisecond,
	}
}

// Plant is the DC side.
type Plant struct {
	cfg     Config
	strings [][]Cells
	// solved holds, per string, the working of the last solve: kept here so that a step
	// allocates nothing and reads each module's open-circuit voltage once.
	solved []stringSolution
	last   time.Duration

	contactorCommand bool
	contactorClosed  bool
	closingSince     time.Duration
	prechargeOn      bool

	batteryVolts float64 // bank terminal voltage
	busVolts     float64 // load-side voltage, across the bus capacitance
	shuntAmps    float64 // positive while charging the bank

	loadAmps, chargerAmps float64
}

// New builds the plant around modules, Series of them per string. It refuses a bank that does not
// divide into whole strings.
func New(cfg Config, modules []Cells) (*Plant, error) {
	if cfg.Series < 1 || len(modules) == 0 || len(modules)%cfg.Series != 0 {
		return nil, fmt.Errorf("plant: %d batteries do not form strings of %d in series", len(modules), cfg.Series)
	}
	p := &Plant{cfg: cfg}
	for i := 0; i < len(modules); i += cfg.Series {
		p.strings = append(p.strings, modules[i:i+cfg.Series])
	}
	p.solved = make([]stringSolution, len(p.strings))
	p.batteryVolts = p.solve(0)
	return p, nil
}

// SetLoadAmps sets the current the loads draw while the contactor is closed.
func (p *Plant) SetLoadAmps(a float64) { p.loadAmps = math.Max(0, a) }

// SetChargerAmps sets the current the chargers deliver while the contactor is closed.
func (p *Plant) SetChargerAmps(a float64) { p.chargerAmps = math.Max(0, a) }

// SetContactor commands the main contactor's coil.
func (p *Plant) SetContactor(closed bool) {
	if closed && !p.contactorCommand {
		p.closingSince = p.last
	}
	p.contactorCommand = closed
	if !closed {
		p.contactorClosed = false
	}
}

// SetPrecharge switches the pre-charge path.
func (p *Plant) SetPrecharge(on bool) { p.prechargeOn = on }

// ContactorClosed is the contactor's auxiliary feedback contact.
func (p *Plant) ContactorClosed() bool { return p.contactorClosed }

// BatteryVolts is the bank's terminal voltage as the master measures it.
func (p *Plant) BatteryVolts() float64 { return p.batteryVolts }

// BusVolts is the load-side voltage as the master measures it.
func (p *Plant) BusVolts() float64 { return p.busVolts }

// ShuntAmps is the bank current through the master's shunt, positive while charging.
func (p *Plant) ShuntAmps() float64 { return p.shuntAmps }

// Step moves the DC side to now.
func (p *Plant) Step(now time.Duration) {
	dt := now - p.last
	p.last = now
	if dt <= 0 {
		return
	}
	if p.contactorCommand && !p.contactorClosed && now-p.closingSince >= p.cfg.ContactorClose {
		p.contactorClosed = true
	}
	var total float64 // bank current, positive while charging
	switch {
	case p.contactorClosed:
		total = p.chargerAmps - p.loadAmps
	case p.prechargeOn:
		// The RC charge of the bus through the pre-charge resistance, solved exactly over the
		// step so that the result does not depend on the step size: the bus approaches the
		// battery voltage with time constant R·C (bleed neglected while charging).
		tau := p.cfg.PrechargeOhms * p.cfg.BusFarads
		start := p.busVolts
		p.busVolts = p.batteryVolts + (start-p.batteryVolts)*math.Exp(-dt.Seconds()/tau)
		total = -(p.busVolts - start) * p.cfg.BusFarads / dt.Seconds()
	default:
		tau := p.cfg.BleedOhms * p.cfg.BusFarads
		p.busVolts *= math.Exp(-dt.Seconds() / tau)
	}
	p.batteryVolts = p.solveAndFlow(total, dt)
	if p.contactorClosed {
		p.busVolts = p.batteryVolts
	}
	p.shuntAmps = total
}

// stringSolution is one string in the last solve.
type stringSolution struct {
	offset      float64 // open-circuit voltage above the first string's, V
	conductance float64 // 1/R, S
	amps        float64 // positive while charging
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
func (p *Plant) solve(total float64) float64 {
	var ref, sumG, sumI float64
	for i, s := range p.strings {
		ocv, ohms := stringOCV(s)
		if i == 0 {
			ref = ocv
		}
		sol := &p.solved[i]
		sol.offset, sol.conductance = ocv-ref, 1/ohms
		sumG += sol.conductance
		sumI += sol.offset * sol.conductance
	}
	rise := (total + sumI) / sumG // V − ref
	for i := range p.solved {
		sol := &p.solved[i]
		sol.amps = (rise - sol.offset) * sol.conductance
	}
	return ref + rise
}

// solveAndFlow solves the bank at total amps and passes each string's share through its modules:
// strings at different voltages share unevenly, and circulate current among themselves even when
// the bank current is zero.
func (p *Plant) solveAndFlow(total float64, dt time.Duration) float64 {
	v := p.solve(total)
	for i, s := range p.strings {
		for _, m := range s {
			m.Flow(p.solved[i].amps, dt)
		}
	}
	return v
}

func stringOCV(s []Cells) (ocv, ohms float64) {
	for _, m := range s {
		ocv += m.OpenCircuitVolts()
		ohms += m.ResistanceOhms()
	}
	return ocv, ohms
}
