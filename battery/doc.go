// Package battery owns the simulated lithium batteries: their types as data, the physics inside
// them, the faults that can be injected into that physics, and the small slave firmware each
// runs on the private battery bus (canbus/batbus).
//
// The files:
//   - types.go: the catalogue (MG LFP 12.8 V and 25.6 V incl. the LFP 24V 230Ah and 280Ah, the
//     HE 100–300 (NMC), the RS, the Victron Lynx Ion 24V/180Ah) as plain Type values, each
//     value cited from limits.md or the changelog or marked as an assumption with its reason;
//   - chemistry.go: OCV against SOC per chemistry (with the abuse ranges beyond 0 and 100 %),
//     and the Arrhenius factor by which resistance grows in the cold;
//   - cell.go: one cell, an OCV source with R0 and one RC pair, solved exactly over a step;
//   - module.go: Module, the cells in series with per-cell temperatures, terminals, sensors,
//     balancing and fans; the plant's electrical face (plant.Cells) and the firmware's
//     measurements and actuators;
//   - faults.go: named fault injectors on a Module (LookupFault for scenario files);
//   - serial.go: MG serial numbers, "HQ" + YYWW + 5 digits;
//   - battery.go, firmware.go: Battery, the slave firmware node on battery-bus protocol v1
//     (docs/battery-bus.md) around a Module, and the firmware faults (silent, babbling, wrong
//     type, self-test, stale address).
package battery
