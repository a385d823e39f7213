// Package plant owns the DC side of a Lynx Ion system: the battery bank as series strings in
// parallel, the main contactor, the pre-charge circuit, the load-side bus capacitance, and the
// loads and chargers on that bus. It is physics, stepped by the driver before the firmware nodes,
// and it is the master's hardware: the master commands the contactor and the pre-charge and reads
// the voltages, the shunt current and the contactor's feedback through the methods of Plant.
// Time comes only from Step(now); nothing reads the wall clock.
//
// # Circuit
//
//	bank ──┬──[shunt]──┬──[main contactor]──────────────┬── bus (user side) ── C, bleed, loads, chargers
//	       │           └──[fuse]──[NTC or resistor]─────┤
//	       └──────────────[external pre-charge]─────────┘
//
// The bank is a Thévenin source: the strings are voltage sources (their modules' open-circuit
// voltages) with resistance, in parallel. Every string current is solved exactly, relative to the
// first string's voltage so that the string currents add up to the bank current however small the
// resistances (see solve). The shunt measures every current of the bank, pre-charge included.
//
// With the main contacts closed the bus is the bank terminal: the load, the chargers and the bleed
// are solved together with the bank in closed form. The bus capacitance's own charge is neglected
// while closed: it follows the battery voltage through the contacts (after a pre-charge to within
// 1 V that is C·1 V = 10 mC, about 3 µAh).
//
// With the contacts open the bus is a capacitor fed through the pre-charge paths and drained by the
// bleed, a short (a fault) and the loads, and fed by the user-side charger. Every one of these is
// linear in the bus voltage on each side of two thresholds (the loads' minimum voltage and the
// user charger's voltage), so the bus voltage is solved exactly as a chain of exponentials,
// switching branch at the exact instant it crosses a threshold. The charge and the I²t through the
// pre-charge element are the exact integrals of those exponentials.
//
// # Pre-charge
//
// The internal pre-charge path is an NTC below 48 V and a resistor above (changelog 1.27-02); a
// 48 V system gets the resistor (see PrechargeKindFor). Both heat by I²R into a thermal mass that
// cools to ambient. The NTC's resistance falls as it heats, R(T) = R25·exp(B·(1/T − 1/298.15 K)),
// so a self-heated NTC charges the bus faster, and a cold one (−20 °C) much slower: changelog
// 1.11-03's "cold system pre-charge fault". Because the resistance depends on the temperature the
// path is stepped in substeps that limit the element's temperature change to 0.05 K; within a
// substep the resistance is that at the substep's estimated mid-point temperature (a second-order
// scheme), and the bus is exact for that resistance. The measured error is in TestNTCSubstepError.
// A fixed resistor is exact at any step size.
//
// The resistor path has an overload protection (changelog 1.27-02): above a trip temperature it
// opens and stays open until the resistor has cooled below a reset temperature. The pre-charge
// fuse (changelog 1.34-02, 1.36-06) is in series with both kinds; it blows when its melting
// integral of I² above its rating is used up, and a broken fuse passes no current. An optional
// external pre-charge circuit, switched by the master's programmable relay (changelog 1.25-03),
// is a plain resistance beside the internal path.
//
// # Loads and chargers
//
// Loads and chargers are profiles of amps over time (Constant, Steps, Ramps, a CSV file), sampled
// at the middle of each step. A load is a constant-current load at or above Config.LoadMinVolts
// and a resistance below it (LoadMinVolts/amps: the same current at the threshold, so the bus
// voltage is continuous): a load on a bus that cannot carry it pulls the bus down instead of
// drawing its full current. Config.Loads says when the loads run: by default only with the main
// contacts closed (loads switched by the master's allowed-to-discharge contact, limits.md §1.4
// and §4.6), or whenever the bus is up (an inverter simply left on: a pre-charge then has to feed
// it; a small load leaves the bus short of the battery voltage by amps·R, a large one holds it
// down and the pre-charge fails, as on a real system). The chargers of SetCharger are switched by
// the allowed-to-charge contact: they feed only through closed contacts. The user-side charger of
// SetUserCharger is not switched by the master: a constant current up to its own voltage, which
// it then holds; it raises the bus (the user voltage) with the contacts open, which the master's
// charge-detect wake-up watches (register 0x0375, "user voltage rises above ~18V", protocol.md
// §3.3, limits.md §4.7).
//
// # Contactor and faults
//
// The main contactor closes a configured time after its coil is commanded and opens at once; its
// auxiliary contact reports the main contacts' state to the master. LookupFault names the faults
// that can be injected: a welded contactor, one that will not close, a lost or stuck feedback
// contact, a broken pre-charge fuse, a short across the bus and a huge bus capacitance.
package plant
