package battery

import (
	"math"

	"github.com/lynxsim/lynxsim/canbus/batbus"
)

// chemistry is what a cell chemistry fixes for every type built on it: the open-circuit voltage
// against state of charge, and how resistance and self-discharge behave.
type chemistry struct {
	name string
	// ocv is the open-circuit voltage of a cell against SOC in percent, at 25 °C after rest, over
	// the working range 0–100 % and beyond it (abuse: minSOC below 0 %, maxSOC above 100 %).
	// Beyond the working range the voltage runs away, so that an over-charged or over-discharged
	// cell shows the over- or under-voltage the master protects against, rather than a
	// voltage pinned at its 0 % or 100 % value.
	//
	// The OCV does not depend on temperature: the entropic coefficient of LFP and NMC cells is
	// a few tenths of a millivolt per kelvin, below what the master's 1 mV cell readings would
	// show over a battery's temperature range, and without it ∫OCV dq is a function of the
	// charge alone, which keeps the energy balance exact.
	ocv curve
	// minSOC and maxSOC bound the charge a cell can hold, in percent of its capacity: a cell
	// driven past them is destroyed in reality; the model stops its charge there (the charge
	// that would go beyond goes into side reactions and is lost).
	minSOC, maxSOC float64
	// nominalVolts is the cell's nominal voltage, that of the data sheets.
	nominalVolts float64
	// resistanceKelvin is B in the Arrhenius factor exp(B·(1/T − 1/298.15 K)) by which the
	// series and RC resistances grow in the cold (see resistanceFactor).
	resistanceKelvin float64
}

// abuse extends a 0–100 % OCV curve with the over-discharge points below and the over-charge
// points above it.
func abuse(below, working, above curve) curve {
	out := make(curve, 0, len(below)+len(working)+len(above))
	out = append(out, below...)
	out = append(out, working...)
	return append(out, above...)
}

// lfp is LiFePO4. Nominal 3.2 V is the industry's figure (limits.md §1.2 infers "24V" = 8 × 3.2
// V). The working curve is lfpOCV (types.go). The over-charge points are an assumption following
// published LFP over-charge tests (the voltage leaves the 3.4–3.6 V knee and climbs past 4 V within
// a few percent of extra charge); the over-discharge points likewise (collapse below 2.5 V).
//
// resistanceKelvin 2260 K is an assumption: it doubles the resistance at 0 °C against 25 °C and
// multiplies it by about 3.8 at −20 °C, the ratios published DC-resistance measurements of
// prismatic LFP cells show.
var lfp = &chemistry{
	name:             "LFP",
	ocv:              abuse(curve{{-3, 2.00}, {-1.5, 2.25}}, lfpOCV, curve{{101, 3.70}, {102, 3.95}, {103, 4.30}}),
	minSOC:           -3,
	maxSOC:           103,
	nominalVolts:     3.2,
	resistanceKelvin: 2260,
}

// nmcOCV is the open-circuit voltage of an NMC cell against SOC, at 25 °C: 3.00 V at 0 % and
// 4.20 V at 100 %, the MG HE's cut-off 21.0 V and maximum charge 29.4 V over 7 cells (limits.md
// §1.1, L6). Between them the points follow the shape of published NMC OCV curves (no MG curve is
// public; an assumption): a steep start, a steady slope through the middle, a steeper last 20 %.
var nmcOCV = curve{
	{0, 3.00}, {2, 3.20}, {5, 3.35}, {10, 3.46}, {15, 3.53}, {20, 3.58}, {30, 3.64}, {40, 3.69},
	{50, 3.74}, {60, 3.81}, {70, 3.89}, {80, 3.97}, {90, 4.07}, {95, 4.13}, {100, 4.20},
}

// nmc is the MG HE's Li-ion NMC (limits.md §1.1). Nominal 3.6 V = 25.2 V / 7 (L6). The abuse
// points are an assumption like LFP's. resistanceKelvin 1800 K (an assumption) gives ×1.7 at 0 °C
// and ×2.9 at −20 °C: cylindrical NMC cells lose less to the cold than LFP.
var nmc = &chemistry{
	name:             "NMC",
	ocv:              abuse(curve{{-3, 2.50}, {-1.5, 2.75}}, nmcOCV, curve{{101.5, 4.35}, {103, 4.55}}),
	minSOC:           -3,
	maxSOC:           103,
	nominalVolts:     3.6,
	resistanceKelvin: 1800,
}

// chemistryOf returns the physics of c, or nil for a chemistry this package does not model.
func chemistryOf(c batbus.Chemistry) *chemistry {
	switch c {
	case batbus.ChemistryLFP:
		return lfp
	case batbus.ChemistryNMC:
		return nmc
	}
	return nil
}

// Temperatures the resistance factor is evaluated within: outside them the Arrhenius fit means
// nothing, and a runaway temperature (a pinned fault, a wrong ambient) must not send the
// resistance to zero or infinity.
const (
	resistanceMinCelsius = -40.0
	resistanceMaxCelsius = 85.0
	kelvinOffset         = 273.15
	referenceKelvin      = 25 + kelvinOffset
)

// resistanceFactor is the cell resistance at celsius relative to 25 °C: the Arrhenius law of the
// charge-transfer and electrolyte conduction that dominate a cell's DC resistance,
// exp(B·(1/T − 1/T₂₅)). It is 1 at 25 °C and grows in the cold.
//
// The clamp is written out rather than with math.Max and math.Min: this runs for every cell in
// every step, and their NaN and signed-zero handling cost a third of the factor.
func (ch *chemistry) resistanceFactor(celsius float64) float64 {
	if celsius < resistanceMinCelsius {
		celsius = resistanceMinCelsius
	} else if celsius > resistanceMaxCelsius {
		celsius = resistanceMaxCelsius
	}
	return math.Exp(ch.resistanceKelvin * (1/(celsius+kelvinOffset) - 1/referenceKelvin))
}

// inverse returns the x at which the curve takes y, for a strictly increasing curve; y beyond its
// ends gives the end's x.
func (c curve) inverse(y float64) float64 {
	if y <= c[0][1] {
		return c[0][0]
	}
	for i := 1; i < len(c); i++ {
		if y <= c[i][1] {
			a, b := c[i-1], c[i]
			return a[0] + (b[0]-a[0])*(y-a[1])/(b[1]-a[1])
		}
	}
	return c[len(c)-1][0]
}
