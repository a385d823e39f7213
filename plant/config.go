package plant

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// PrechargeKind is the pre-charge circuit inside the master.
type PrechargeKind int

const (
	// PrechargeNTC is the NTC path of systems below 48 V (changelog 1.27-02).
	PrechargeNTC PrechargeKind = iota + 1
	// PrechargeResistor is the resistor path of systems above 48 V, with its overload
	// protection (changelog 1.27-02).
	PrechargeResistor
)

func (k PrechargeKind) String() string {
	switch k {
	case PrechargeNTC:
		return "NTC"
	case PrechargeResistor:
		return "resistor"
	}
	return fmt.Sprintf("PrechargeKind(%d)", int(k))
}

// PrechargeResistorVolts is the nominal system voltage from which the pre-charge is the resistor
// path: changelog 1.27-02 names the NTC "(<48V)" and the resistor "(>48V)".
//
// What a 48 V system gets is not stated (limits.md §4.2, "[?]"). Assumption: the resistor. The
// Master LV serves "24-48V" systems (limits.md §4.4, L8), and a 48 V-class bank works at 50–58 V,
// above the resistor's ">48V"; the NTC's "<48V" is then the 24 V class. Were 48 V to get the NTC,
// no system the Master LV supports would use the resistor.
const PrechargeResistorVolts = 48.0

// PrechargeKindFor is the pre-charge circuit of a system of nominalVolts: the NTC below
// PrechargeResistorVolts, the resistor from it on.
func PrechargeKindFor(nominalVolts float64) PrechargeKind {
	if nominalVolts < PrechargeResistorVolts {
		return PrechargeNTC
	}
	return PrechargeResistor
}

// ModuleNominalVolts is the nominal voltage DefaultConfig assumes for each module in a string.
// Assumption: every battery type lynxsim models is a 24 V-class module (limits.md §1: HE 25.2 V,
// LFP "24V", Lynx Ion 24V/180Ah), so a string of n modules is an n × 24 V system.
const ModuleNominalVolts = 24.0

// LoadControl says when the loads on the bus run.
type LoadControl int

const (
	// LoadsOnContactor: the loads run only while the main contacts are closed. This stands for
	// loads switched by the master's allowed-to-discharge contact (limits.md §1.4: "closed when
	// the system works normally"; §4.6), the usual installation. It is the default.
	LoadsOnContactor LoadControl = iota
	// LoadsOnBus: the loads run whenever the bus is up, contacts open or closed: an inverter
	// left switched on, which the pre-charge then has to feed.
	LoadsOnBus
)

func (c LoadControl) String() string {
	switch c {
	case LoadsOnContactor:
		return "on contactor"
	case LoadsOnBus:
		return "on bus"
	}
	return fmt.Sprintf("LoadControl(%d)", int(c))
}

// Config sizes the DC side. Every physical value without a public source (limits.md §4.2: the
// pre-charge resistance, capacitance and success criterion are "[?]") is a field here, with its
// default and the reason for it in DefaultConfig.
type Config struct {
	// Series is the number of modules in each string; the bank's modules are taken in order,
	// Series at a time, to form the parallel strings.
	Series int

	// BusFarads is the load-side capacitance the pre-charge has to fill (inverter input
	// capacitors).
	BusFarads float64
	// BleedOhms is the resistance always across the bus (bleed resistors, standby consumers):
	// it discharges the bus while it is disconnected. Positive and finite.
	BleedOhms float64
	// ContactorClose is the time from the coil command to the main contacts closing (and the
	// auxiliary feedback contact following them).
	ContactorClose time.Duration

	// Precharge is the internal pre-charge circuit; PrechargeKindFor picks it by voltage.
	Precharge PrechargeKind

	// NTCOhms25 and NTCBetaKelvin give the NTC's resistance R(T) = R25·exp(B·(1/T − 1/298.15 K)).
	NTCOhms25, NTCBetaKelvin float64
	// NTCJoulesPerKelvin is the NTC's heat capacity and NTCWattsPerKelvin its dissipation
	// factor to ambient (its cooling time constant is their ratio).
	NTCJoulesPerKelvin, NTCWattsPerKelvin float64

	// PrechargeOhms is the resistor path's resistance.
	PrechargeOhms float64
	// ResistorJoulesPerKelvin and ResistorWattsPerKelvin are the resistor's heat capacity and
	// its thermal conductance to ambient.
	ResistorJoulesPerKelvin, ResistorWattsPerKelvin float64
	// ResistorTripCelsius is the temperature at which the overload protection opens the resistor
	// path (changelog 1.27-02), and ResistorResetCelsius the one below which it closes again.
	ResistorTripCelsius, ResistorResetCelsius float64

	// FuseAmps is the pre-charge fuse's rating: it never blows at or below it.
	// FuseAmpsSquaredSeconds is its melting integral: it blows once ∫(I² − FuseAmps²)dt, which
	// never falls below zero, reaches it.
	FuseAmps, FuseAmpsSquaredSeconds float64

	// ExternalPrechargeOhms is the resistance of the optional external pre-charge circuit
	// (changelog 1.25-03).
	ExternalPrechargeOhms float64

	// AmbientCelsius is the temperature the pre-charge element starts at and cools towards.
	AmbientCelsius float64

	// Loads says when the loads run; LoadMinVolts is the bus voltage at and above which they
	// draw their current (below it they are a resistance, see the package documentation).
	Loads        LoadControl
	LoadMinVolts float64

	// SolveInterval is how long the plant may hold the currents it solved while its main contacts
	// stay closed and its inputs (loads, chargers, a bus short) do not change: the bank's voltage
	// moves with its RC relaxation (tens of seconds) and its charge, far slower than that, and
	// the batteries report every 500 ms. Holding lets the modules integrate whole intervals at
	// once (battery.Module.Flow), most of a simulated step's work otherwise. 0 solves every step.
	SolveInterval time.Duration
}

// DefaultConfig is the DC side of a system of series 24 V-class modules in each string
// (ModuleNominalVolts): ConfigFor(series, series × 24 V).
func DefaultConfig(series int) Config {
	return ConfigFor(series, float64(series)*ModuleNominalVolts)
}

// ConfigFor is the DC side of a system of nominalVolts with series modules in each string: the
// pre-charge circuit is chosen by PrechargeKindFor, and the loads' minimum voltage scales with
// the system voltage. All other values are the same for every system.
func ConfigFor(series int, nominalVolts float64) Config {
	return Config{
		Series: series,
		// Assumption: 10 mF, the input capacitance of a few kVA of inverters.
		BusFarads: 10e-3,
		// Assumption: 10 kΩ, 2.6 mA at 26 V; with 10 mF a 100 s time constant.
		BleedOhms: 10e3,
		// Assumption: DC contactors close in tens of milliseconds.
		ContactorClose: 30 * time.Millisecond,

		Precharge: PrechargeKindFor(nominalVolts),
		// Assumption: a 33 Ω disc power NTC of B = 3560 K, 2 J/K and 20 mW/K (a 100 s cooling
		// time constant), the order of the inrush limiters' data sheets. At 25 °C it pre-charges
		// 10 mF to within 1 V of 26.4 V in 1.0 s, and cold (−20 °C, 8.3 × R25) in 10.6 s; 47 mF
		// in 4.0 s, and cold in 36 s: past the 30 s of changelog 1.11-03, within the 48 s of
		// 1.27-02's extension (TestNTCHeatingShortensPrecharge).
		NTCOhms25:          33,
		NTCBetaKelvin:      3560,
		NTCJoulesPerKelvin: 2,
		NTCWattsPerKelvin:  0.02,

		// Assumption: 47 Ω (1.1 A and 58 W into an empty bus at 52 V), a 10 J/K resistor on a
		// 0.1 W/K mount (100 s). Into a short it reaches the trip temperature in about 18 s, within
		// one 30 s pre-charge (1.11-03); a normal pre-charge of 10 mF at 52 V (13.5 J) warms it by
		// 1.4 K. Trip at 120 °C, reset at 60 °C: below the ratings of power resistors, and about
		// 100 s of cooling before the path can be used again.
		PrechargeOhms:           47,
		ResistorJoulesPerKelvin: 10,
		ResistorWattsPerKelvin:  0.1,
		ResistorTripCelsius:     120,
		ResistorResetCelsius:    60,

		// Assumption: a 5 A time-delay fuse of 25 A²s. A normal pre-charge peaks at 0.8 A (NTC at
		// 25 °C) or 1.1 A (resistor); an NTC running away into a short passes tens of amps.
		FuseAmps:               5,
		FuseAmpsSquaredSeconds: 25,

		// Assumption: 10 Ω, an external circuit for more capacitance than the internal one
		// handles.
		ExternalPrechargeOhms: 10,

		// Assumption: room temperature.
		AmbientCelsius: 25,

		Loads: LoadsOnContactor,
		// Assumption: 0.75 × nominal (18 V on a 24 V system), the order of an inverter's
		// low-battery cut-off.
		LoadMinVolts: 0.75 * nominalVolts,

		// 100 ms: a fifth of the batteries' report period. The currents it holds differ from
		// those solved every 10 ms by well under a milliampere in a bank at rest or under a steady
		// load (TestSolveIntervalAccuracy).
		SolveInterval: 100 * time.Millisecond,
	}
}

// validate refuses values the model cannot run with.
func (c Config) validate() error {
	var errs []error
	positive := func(name string, v float64) {
		if !(v > 0) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("%s %v: want positive and finite", name, v))
		}
	}
	positive("BusFarads", c.BusFarads)
	positive("BleedOhms", c.BleedOhms)
	positive("LoadMinVolts", c.LoadMinVolts)
	if c.ContactorClose < 0 {
		errs = append(errs, fmt.Errorf("ContactorClose %v: want zero or more", c.ContactorClose))
	}
	switch c.Precharge {
	case PrechargeNTC:
		positive("NTCOhms25", c.NTCOhms25)
		if !(c.NTCBetaKelvin >= 0) || math.IsInf(c.NTCBetaKelvin, 0) {
			errs = append(errs, fmt.Errorf("NTCBetaKelvin %v: want zero or more", c.NTCBetaKelvin))
		}
		positive("NTCWattsPerKelvin", c.NTCWattsPerKelvin)
		// An infinite heat capacity is an NTC held at its temperature.
		if !(c.NTCJoulesPerKelvin > 0) {
			errs = append(errs, fmt.Errorf("NTCJoulesPerKelvin %v: want positive", c.NTCJoulesPerKelvin))
		}
	case PrechargeResistor:
		positive("PrechargeOhms", c.PrechargeOhms)
		positive("ResistorWattsPerKelvin", c.ResistorWattsPerKelvin)
		if !(c.ResistorJoulesPerKelvin > 0) {
			errs = append(errs, fmt.Errorf("ResistorJoulesPerKelvin %v: want positive", c.ResistorJoulesPerKelvin))
		}
		if !(c.ResistorResetCelsius < c.ResistorTripCelsius) || !(c.ResistorResetCelsius > c.AmbientCelsius) {
			errs = append(errs, fmt.Errorf("resistor protection resets at %v °C, trips at %v °C: want ambient (%v °C) < reset < trip",
				c.ResistorResetCelsius, c.ResistorTripCelsius, c.AmbientCelsius))
		}
	default:
		errs = append(errs, fmt.Errorf("pre-charge kind %v: want PrechargeNTC or PrechargeResistor", c.Precharge))
	}
	if !(c.FuseAmps >= 0) || math.IsInf(c.FuseAmps, 0) {
		errs = append(errs, fmt.Errorf("FuseAmps %v: want zero or more", c.FuseAmps))
	}
	if !(c.FuseAmpsSquaredSeconds > 0) {
		errs = append(errs, fmt.Errorf("FuseAmpsSquaredSeconds %v: want positive (+Inf: a fuse that never blows)", c.FuseAmpsSquaredSeconds))
	}
	positive("ExternalPrechargeOhms", c.ExternalPrechargeOhms)
	if math.IsNaN(c.AmbientCelsius) || c.AmbientCelsius <= -zeroCelsius || math.IsInf(c.AmbientCelsius, 0) {
		errs = append(errs, fmt.Errorf("AmbientCelsius %v: want above absolute zero", c.AmbientCelsius))
	}
	if c.Loads != LoadsOnContactor && c.Loads != LoadsOnBus {
		errs = append(errs, fmt.Errorf("loads %v: want LoadsOnContactor or LoadsOnBus", c.Loads))
	}
	if len(errs) > 0 {
		return fmt.Errorf("plant: config: %w", errors.Join(errs...))
	}
	return nil
}
