// Package battery owns the simulated lithium batteries: their types as data, the cells inside
// them (charge, open-circuit voltage, resistance, temperature) and the small slave firmware each
// runs on the private battery bus (canbus/batbus).
//
// PROVISIONAL: this is the first, simple model, enough for the master to register batteries,
// pre-charge and run. The battery issue replaces it with the full catalogue (LFP, HE, RS), cell
// relaxation, sensors, balancing and fault injection.
package battery
