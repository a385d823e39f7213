package plant

import "math"

// zeroCelsius is 0 °C in kelvin, and ntcReferenceKelvin the 25 °C at which an NTC's R25 is given.
const (
	zeroCelsius        = 273.15
	ntcReferenceKelvin = zeroCelsius + 25
)

// element is the internal pre-charge path's resistive element, NTC or resistor, with its heat.
//
// Its temperature follows C·dT/dt = P − G·(T − ambient), solved exactly over an interval of
// constant power P: T settles exponentially towards ambient + P/G with time constant C/G.
type element struct {
	kind                      PrechargeKind
	ohms, beta                float64 // resistor: ohms; NTC: R25 and B
	joulesPerK, wattsPerK     float64
	tripCelsius, resetCelsius float64 // resistor overload protection
	ambient                   float64 // °C

	celsius float64
	tripped bool // the overload protection holds the path open

	// The cooling factor over the last interval, kept because the steady state asks for the
	// same interval every step.
	decaySecs, decay float64
}

func newElement(cfg Config) element {
	e := element{kind: cfg.Precharge, ambient: cfg.AmbientCelsius, celsius: cfg.AmbientCelsius}
	switch cfg.Precharge {
	case PrechargeNTC:
		e.ohms, e.beta = cfg.NTCOhms25, cfg.NTCBetaKelvin
		e.joulesPerK, e.wattsPerK = cfg.NTCJoulesPerKelvin, cfg.NTCWattsPerKelvin
		// The NTC path has no overload protection of its own: its fuse protects it.
		e.tripCelsius, e.resetCelsius = math.Inf(1), math.Inf(1)
	case PrechargeResistor:
		e.ohms = cfg.PrechargeOhms
		e.joulesPerK, e.wattsPerK = cfg.ResistorJoulesPerKelvin, cfg.ResistorWattsPerKelvin
		e.tripCelsius, e.resetCelsius = cfg.ResistorTripCelsius, cfg.ResistorResetCelsius
	}
	return e
}

// ohmsAt is the element's resistance at celsius: the NTC's R25·exp(B·(1/T − 1/298.15 K)), the
// resistor's fixed value (its temperature coefficient is neglected).
func (e *element) ohmsAt(celsius float64) float64 {
	if e.kind != PrechargeNTC {
		return e.ohms
	}
	return e.ohms * math.Exp(e.beta*(1/(celsius+zeroCelsius)-1/ntcReferenceKelvin))
}

// settle is the temperature the element would reach at watts.
func (e *element) settle(watts float64) float64 { return e.ambient + watts/e.wattsPerK }

// ahead is the temperature after secs at a constant watts, without changing the element.
func (e *element) ahead(watts, secs float64) float64 {
	s := e.settle(watts)
	return s + (e.celsius-s)*math.Exp(-secs*e.wattsPerK/e.joulesPerK)
}

// heat moves the element's temperature over secs at a constant watts, and opens or recloses the
// overload protection.
func (e *element) heat(watts, secs float64) {
	if secs != e.decaySecs {
		e.decaySecs, e.decay = secs, math.Exp(-secs*e.wattsPerK/e.joulesPerK)
	}
	s := e.settle(watts)
	e.celsius = s + (e.celsius-s)*e.decay
	switch {
	case e.celsius >= e.tripCelsius:
		e.tripped = true
	case e.tripped && e.celsius <= e.resetCelsius:
		e.tripped = false
	}
}

// fuse is the pre-charge fuse. Its element heats with I² and sheds heat as fast as its rating
// passes it: the melting integral ∫(I² − rating²)dt, which never falls below zero, blows it when it
// reaches the fuse's I²t. Below the rating it never blows; a short pulse blows it at its I²t.
type fuse struct {
	ratedSquared, i2t float64
	used              float64 // A²s
	blown             bool
}

// pass adds the ∫I²dt that passed in secs.
func (f *fuse) pass(ampsSquaredSecs, secs float64) {
	f.used = max(0, f.used+ampsSquaredSecs-f.ratedSquared*secs)
	if f.used >= f.i2t {
		f.blown = true
	}
}

// rest lets the fuse cool for secs without current.
func (f *fuse) rest(secs float64) {
	if f.used > 0 {
		f.used = max(0, f.used-f.ratedSquared*secs)
	}
}
