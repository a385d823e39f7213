package scenario

import (
	"time"

	"github.com/lynxsim/lynxsim/plant"
)

// dcBus shares the loads and chargers of a combined system (several masters, each with its bank
// behind its own contactor, in parallel on the same loads and chargers, changelog 1.18-01)
// among the banks that are connected: evenly, as equal banks behind equal contactors would take
// it. The banks' own voltages and resistances do not enter: an approximation, close for the
// equal banks lynxsim builds (a bank that fails drops out and the others carry its share).
type dcBus struct {
	units   []*Unit
	load    plant.Profile
	charger plant.Profile
	closed  int // banks connected at the last step
}

// init shares the loads and chargers among units.
func (d *dcBus) init(units []*Unit, loadAmps, chargerAmps float64) {
	d.units, d.load, d.charger = units, plant.Constant(loadAmps), plant.Constant(chargerAmps)
	for _, u := range units {
		u.Plant.SetLoad(plant.ProfileFunc(d.share(func() plant.Profile { return d.load })))
		u.Plant.SetCharger(plant.ProfileFunc(d.share(func() plant.Profile { return d.charger })))
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

// share is one bank's part of a profile: the whole divided among the connected banks.
func (d *dcBus) share(whole func() plant.Profile) func(time.Duration) float64 {
	return func(t time.Duration) float64 {
		p := whole()
		if p == nil {
			return 0
		}
		return p.At(t) / float64(max(d.closed, 1))
	}
}

// Step counts the connected banks before the plants move.
func (d *dcBus) Step(time.Duration) {
	d.closed = 0
	for _, u := range d.units {
		if u.Plant.ContactsClosed() {
			d.closed++
		}
	}
}

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
