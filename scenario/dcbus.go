package scenario

import (
	"time"

	"github.com/lynxsim/lynxsim/plant"
)

// dcBus joins the banks of a combined system (several masters, each with its bank behind its own
// contactor, in parallel on the same loads and chargers, changelog 1.18-01). Once a step, before
// the plants move, it solves the shared bus: each connected bank is its Thevenin equivalent
// (open-circuit voltage behind the strings' resistance, plant.Thevenin), the loads and chargers a
// net current, so that
//
//	V_bus = (I_net + Σ G_i·V_i) / Σ G_i,   I_i = G_i·(V_bus − V_i)   (positive: charging)
//
// and each bank's plant carries its I_i: equal banks share evenly, a fuller bank gives more, and
// banks at different voltages exchange current between them. The solve uses the banks as they
// were at the start of the step (the plants' own substeps do the rest); contactor and cable
// resistances are not in it.
type dcBus struct {
	units   []*Unit
	load    plant.Profile
	charger plant.Profile
	amps    []float64 // each bank's current this step, positive charging
}

// init joins units, with the loads and chargers of the configuration.
func (d *dcBus) init(units []*Unit, loadAmps, chargerAmps float64) {
	d.units, d.load, d.charger = units, plant.Constant(loadAmps), plant.Constant(chargerAmps)
	d.amps = make([]float64, len(units))
	for i, u := range units {
		u.Plant.SetLoad(plant.ProfileFunc(func(time.Duration) float64 { return max(0, -d.amps[i]) }))
		u.Plant.SetCharger(plant.ProfileFunc(func(time.Duration) float64 { return max(0, d.amps[i]) }))
	}
}

// Step solves the shared bus for the step about to be taken.
func (d *dcBus) Step(now time.Duration) {
	net := 0.0
	if d.charger != nil {
		net += d.charger.At(now)
	}
	if d.load != nil {
		net -= d.load.At(now)
	}
	var sumG, sumGV float64
	for i, u := range d.units {
		d.amps[i] = 0
		if !u.Plant.ContactsClosed() {
			continue
		}
		v, g := u.Plant.Thevenin()
		sumG += g
		sumGV += g * v
	}
	if sumG == 0 {
		return // no bank connected: the loads and chargers are off the bus
	}
	bus := (net + sumGV) / sumG
	for i, u := range d.units {
		if u.Plant.ContactsClosed() {
			v, g := u.Plant.Thevenin()
			d.amps[i] = g * (bus - v)
		}
	}
}

// busVolts is the shared bus's voltage: the highest of the banks' buses, a connected bank's being
// its battery's.
func (d *dcBus) busVolts() float64 {
	v := 0.0
	for _, u := range d.units {
		v = max(v, u.Plant.BusVolts())
	}
	return v
}

// sharedBus is a unit's plant as its master sees it in a combined system: the bus it measures is
// the shared one, so that a master joining the others finds it at the battery voltage and its
// pre-charge done at once. Everything else is the plant's own.
type sharedBus struct {
	*plant.Plant
	dc *dcBus
}

func (s sharedBus) BusVolts() float64 { return max(s.Plant.BusVolts(), s.dc.busVolts()) }

// SetLoad sets the loads' current (nil: none): on the shared bus in combined mode, else on the
// plant.
func (s *System) SetLoad(p plant.Profile) {
	if s.dc != nil {
		s.dc.load = p
		return
	}
	s.Plant.SetLoad(p)
}

// SetCharger sets the chargers' current (nil: none), as SetLoad.
func (s *System) SetCharger(p plant.Profile) {
	if s.dc != nil {
		s.dc.charger = p
		return
	}
	s.Plant.SetCharger(p)
}
