package plant

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Fault is a named, reusable fault of the DC side, shaped like the battery package's: Apply puts
// it on a plant, Clear takes it off again (the part repaired or replaced); both act at once,
// between steps. Scenario files name them (LookupFault); code calls the constructors.
type Fault interface {
	// Name is the fault's name as LookupFault knows it.
	Name() string
	// Apply puts the fault on p. It fails, changing nothing, on arguments the model cannot take.
	Apply(p *Plant) error
	// Clear takes the fault off p again.
	Clear(p *Plant)
}

// WeldedContactor welds the main contacts: once closed they stay closed when the coil is
// released, so current keeps flowing and the feedback keeps reading closed. Applied while they
// are open, they weld at their next closing. Clear frees them: released, they open at once.
func WeldedContactor() Fault { return weldedContactor{} }

type weldedContactor struct{}

func (weldedContactor) Name() string { return "contactor-welded" }
func (weldedContactor) Apply(p *Plant) error {
	p.contactor.welded = true
	return nil
}
func (weldedContactor) Clear(p *Plant) { p.contactor.unweld() }

// ContactorWontClose keeps the main contacts from closing when the coil is commanded (a coil or
// mechanism failure); contacts already closed still open. Clear frees them: if the coil is still
// commanded they close the closing time later.
func ContactorWontClose() Fault { return contactorWontClose{} }

type contactorWontClose struct{}

func (contactorWontClose) Name() string { return "contactor-wont-close" }
func (contactorWontClose) Apply(p *Plant) error {
	p.contactor.wontClose = true
	return nil
}
func (contactorWontClose) Clear(p *Plant) { p.contactor.free(p.last) }

// LostFeedback makes the auxiliary contact read open whatever the main contacts do: they still
// close and carry the current.
func LostFeedback() Fault { return feedbackFaultOf{"contactor-feedback-lost", feedbackLost} }

// StuckFeedback makes the auxiliary contact read closed whatever the main contacts do.
func StuckFeedback() Fault {
	return feedbackFaultOf{"contactor-feedback-stuck-closed", feedbackStuckClosed}
}

type feedbackFaultOf struct {
	name  string
	fault feedbackFault
}

func (f feedbackFaultOf) Name() string { return f.name }
func (f feedbackFaultOf) Apply(p *Plant) error {
	p.contactor.feedback = f.fault
	return nil
}
func (f feedbackFaultOf) Clear(p *Plant) {
	if p.contactor.feedback == f.fault {
		p.contactor.feedback = feedbackWorks
	}
}

// BrokenFuse breaks the pre-charge fuse: no pre-charge current flows (changelog 1.34-02,
// 1.36-06). Clear fits a new fuse; it also replaces a fuse that blew by itself.
func BrokenFuse() Fault { return brokenFuse{} }

type brokenFuse struct{}

func (brokenFuse) Name() string { return "precharge-fuse-broken" }
func (brokenFuse) Apply(p *Plant) error {
	p.fuse.blown = true
	return nil
}
func (brokenFuse) Clear(p *Plant) { p.fuse.blown, p.fuse.used = false, 0 }

// BusShort puts ohms across the bus: a very low resistance (0.01 Ω) holds the bus near 0 V through
// any pre-charge path, so the pre-charge never converges; with the contacts closed it is a short
// on the bank.
func BusShort(ohms float64) Fault { return busShort{ohms} }

type busShort struct{ ohms float64 }

func (busShort) Name() string { return "bus-short" }
func (f busShort) Apply(p *Plant) error {
	if !(f.ohms > 0) || math.IsInf(f.ohms, 0) {
		return fmt.Errorf("plant: fault bus-short(%g): want positive, finite ohms", f.ohms)
	}
	p.shortSiemens = 1 / f.ohms
	return nil
}
func (busShort) Clear(p *Plant) { p.shortSiemens = 0 }

// HugeCapacitance makes the bus capacitance farads: 1 F through the 47 Ω resistor would take
// 186 s to come within 1 V of 52 V, far beyond the 30 s (+18 s) the master allows (changelog
// 1.11-03, 1.27-02). The bus keeps its voltage. Clear restores Config.BusFarads.
func HugeCapacitance(farads float64) Fault { return hugeCapacitance{farads} }

type hugeCapacitance struct{ farads float64 }

func (hugeCapacitance) Name() string { return "bus-capacitance" }
func (f hugeCapacitance) Apply(p *Plant) error {
	if !(f.farads > 0) || math.IsInf(f.farads, 0) {
		return fmt.Errorf("plant: fault bus-capacitance(%g): want positive, finite farads", f.farads)
	}
	p.farads = f.farads
	return nil
}
func (hugeCapacitance) Clear(p *Plant) { p.farads = p.cfg.BusFarads }

// faultCatalogue is what LookupFault knows: each fault's arguments and how to build it.
var faultCatalogue = map[string]struct {
	args  []string
	build func(a []float64) Fault
}{
	"contactor-welded":                {nil, func([]float64) Fault { return WeldedContactor() }},
	"contactor-wont-close":            {nil, func([]float64) Fault { return ContactorWontClose() }},
	"contactor-feedback-lost":         {nil, func([]float64) Fault { return LostFeedback() }},
	"contactor-feedback-stuck-closed": {nil, func([]float64) Fault { return StuckFeedback() }},
	"precharge-fuse-broken":           {nil, func([]float64) Fault { return BrokenFuse() }},
	"bus-short":                       {[]string{"ohms"}, func(a []float64) Fault { return BusShort(a[0]) }},
	"bus-capacitance":                 {[]string{"farads"}, func(a []float64) Fault { return HugeCapacitance(a[0]) }},
}

// FaultNames returns the faults LookupFault knows, each with its arguments, sorted:
// "bus-capacitance(farads)", ….
func FaultNames() []string {
	out := make([]string, 0, len(faultCatalogue))
	for name, f := range faultCatalogue {
		out = append(out, name+"("+strings.Join(f.args, ", ")+")")
	}
	sort.Strings(out)
	return out
}

// LookupFault builds the fault called name (ignoring case) from its numeric arguments, as a
// scenario file gives them. Its errors list the valid names with their arguments.
func LookupFault(name string, args ...float64) (Fault, error) {
	key := strings.ToLower(name)
	f, ok := faultCatalogue[key]
	if !ok {
		return nil, fmt.Errorf("plant fault %q is unknown: choose one of %s", name, strings.Join(FaultNames(), ", "))
	}
	if len(args) != len(f.args) {
		return nil, fmt.Errorf("plant fault %s wants %d arguments (%s), got %d", key, len(f.args), strings.Join(f.args, ", "), len(args))
	}
	return f.build(args), nil
}
