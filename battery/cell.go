package battery

import "math"

// cellState is one cell of a Module: its charge, the voltage of its RC pair, its temperature and
// its resistances. The equivalent circuit, with I positive while charging:
//
//	terminal ──R0(T)──┬──R1(T)──┬── OCV(SOC) ── terminal
//	                  └───C1────┘
//
//	terminal volts = OCV + v_rc + I·R0
//
// A passive bleed resistor and an active balancer's converter sit across the cell's terminals
// (module.go); the cell sees only the internal current that is left of the string current.
type cellState struct {
	// capacityAh is the cell's present capacity; healthyAh is the one it was built with (the
	// type's, with the cell's spread), which CellDrift scales and Clear restores.
	capacityAh, healthyAh float64
	// chargeAh may leave 0–capacity into the chemistry's abuse range (chemistry.minSOC/maxSOC).
	chargeAh float64
	// rcVolts is the voltage across the RC pair: it follows the current with time constant τ.
	rcVolts float64
	celsius float64
	// r0Ohms25 and r1Ohms25 are the cell's resistances at 25 °C (the type's, with the cell's
	// spread); r0Ohms and r1Ohms those at its present temperature, kept in step by setCelsius.
	r0Ohms25, r1Ohms25 float64
	r0Ohms, r1Ohms     float64
	// selfDischargeAmps is the cell's internal leak: charge lost without passing the terminals.
	selfDischargeAmps float64
	// heatWatts is the mean heat of the last step, between Flow's electrical and thermal parts.
	heatWatts float64

	// Faults (faults.go): a cell-voltage measurement offset, and a temperature held by a fault.
	voltsOffset   float64
	pinned        bool
	pinnedCelsius float64

	// ocvSegment is where on the OCV curve the cell's SOC was last found: the SOC moves little in
	// a step, so the next look-up starts there (curve.atFrom).
	ocvSegment int
	// factorCelsius is the temperature the resistances were last scaled for (setCelsius).
	factorCelsius float64
}

func (c *cellState) socPercent() float64 { return 100 * c.chargeAh / c.capacityAh }

// sourceVolts is the voltage of the cell's internal source: OCV + v_rc.
func (c *cellState) sourceVolts(ch *chemistry) float64 {
	return ch.ocv.atFrom(c.socPercent(), &c.ocvSegment) + c.rcVolts
}

// thevenin is the cell's face at its terminals with a bleed conductance siemens across it and
// drawnAmps taken from it by a balancer (negative: delivered to it). From
// V = E + (I − V·G − J)·R0:
//
//	V = (E − J·R0)/(1 + G·R0) + I · R0/(1 + G·R0)
//
// so the cell is exactly a source of the first term's volts behind the second term's ohms.
func (c *cellState) thevenin(ch *chemistry, siemens, drawnAmps float64) (volts, ohms float64) {
	if siemens == 0 {
		// k is exactly 1 without a bleed: skip the division, most cells most of the time.
		return c.sourceVolts(ch) - drawnAmps*c.r0Ohms, c.r0Ohms
	}
	k := 1 / (1 + siemens*c.r0Ohms)
	return k * (c.sourceVolts(ch) - drawnAmps*c.r0Ohms), k * c.r0Ohms
}

// setCelsius sets the cell's temperature and its resistances with it.
//
// The resistances are scaled again only when the temperature has moved by resistanceStepKelvin:
// the factor's exponential is a large part of a step's work, and between two such moves it
// changes by under 2·10⁻⁵ of itself.
func (c *cellState) setCelsius(ch *chemistry, celsius float64) {
	c.celsius = celsius
	if c.r0Ohms != 0 && math.Abs(celsius-c.factorCelsius) < resistanceStepKelvin {
		return
	}
	c.factorCelsius = celsius
	f := ch.resistanceFactor(celsius)
	c.r0Ohms, c.r1Ohms = c.r0Ohms25*f, c.r1Ohms25*f
}

// resistanceStepKelvin is how far a cell's temperature moves before its resistances are scaled
// again (setCelsius).
const resistanceStepKelvin = 0.001

// pass moves the internal current amps (positive: charging) through the cell for seconds and
// returns the mean heat it made over the step, in watts.
//
// The RC voltage is solved exactly for the constant current, v ← v∞ + (v − v∞)·e^(−dt/τ) with
// v∞ = I·R1 (rcDecay is e^(−dt/τ), shared by the module's cells): the result does not depend on
// the step size, and a step longer than τ does not overshoot. The heat is I²·R0 plus the RC
// pair's loss ∫v²/R1 dt, integrated exactly over the same solution:
//
//	∫₀ᵗ v² = v∞²·t + 2·v∞·a·τ·(1 − e^(−t/τ)) + a²·τ/2·(1 − e^(−2t/τ)),  a = v₀ − v∞
//
// The capacitor's stored energy ½·C1·v² is what ∫v·I dt and this loss differ by; it returns as
// heat when the cell relaxes.
func (c *cellState) pass(ch *chemistry, amps, seconds, tau, rcDecay float64) (watts float64) {
	q := c.chargeAh + (amps-c.selfDischargeAmps)*seconds/3600
	if lo := c.capacityAh * ch.minSOC / 100; q < lo {
		q = lo
	} else if hi := c.capacityAh * ch.maxSOC / 100; q > hi {
		q = hi
	}
	c.chargeAh = q

	settled := amps * c.r1Ohms
	a := c.rcVolts - settled
	c.rcVolts = settled + a*rcDecay
	squared := settled*settled*seconds + 2*settled*a*tau*(1-rcDecay) + a*a*tau/2*(1-rcDecay*rcDecay)
	return amps*amps*c.r0Ohms + squared/seconds/c.r1Ohms
}
