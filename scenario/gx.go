package scenario

import (
	"math"
	"time"

	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/plant"
)

// gxDVCC is the picture a GX builds of one or more masters for DVCC, and the charger and load it
// governs: charging allowed only if every connected master allows it, discharging likewise, and
// the current limits the lowest of theirs times the connected banks (each bank can take that
// much) [I]. One master: its own limits.
type gxDVCC struct {
	ccl, dcl                    float64
	allowCharge, allowDischarge bool
}

// read takes the limits from the units' masters.
func (g *gxDVCC) read(units []*Unit) {
	g.ccl, g.dcl, g.allowCharge, g.allowDischarge = math.Inf(1), math.Inf(1), true, true
	connected := 0
	for _, u := range units {
		s := u.Master.Snapshot()
		if !s.ContactorClosed {
			continue
		}
		connected++
		g.ccl, g.dcl = min(g.ccl, s.Limits.ChargeAmps.Value), min(g.dcl, s.Limits.DischargeAmps.Value)
		g.allowCharge = g.allowCharge && s.Flags.Has(events.FlagAllowedToCharge)
		g.allowDischarge = g.allowDischarge && s.Flags.Has(events.FlagAllowedToDischarge)
	}
	if connected == 0 {
		g.ccl, g.dcl, g.allowCharge, g.allowDischarge = 0, 0, false, false
		return
	}
	g.ccl, g.dcl = g.ccl*float64(connected), g.dcl*float64(connected)
}

// charger and load are p held to the limits as last read.
func (g *gxDVCC) charger(p plant.Profile) plant.Profile {
	return limited(p, &g.allowCharge, &g.ccl)
}

func (g *gxDVCC) load(p plant.Profile) plant.Profile {
	return limited(p, &g.allowDischarge, &g.dcl)
}

// limited is p held to *limitAmps while *allowed, nothing otherwise, read at every sample.
func limited(p plant.Profile, allowed *bool, limitAmps *float64) plant.Profile {
	return plant.ProfileFunc(func(t time.Duration) float64 {
		if !*allowed || !(*limitAmps > 0) {
			return 0
		}
		return min(p.At(t), *limitAmps)
	})
}
