package bmscan

import (
	"fmt"

	"go.einride.tech/can"
)

// State is the value of one 2-bit alarm or warning field of frame 0x35A. S2 p.4 names two values,
// "1=Alarm raised, 2=Alarm cleared" ("1=Warn. raised, 2=Warn. cleared" for warnings); 0 is
// "not supported" and 3 "reserved" as in the diyBMS and Safiery implementations of the same frame
// (S16, protocol.md §5).
type State uint8

// The values of a State.
const (
	Unsupported   State = 0 // the condition is not monitored (the zero value)
	Active        State = 1 // "Alarm raised" / "Warn. raised" (S2 p.4)
	OK            State = 2 // "Alarm cleared" / "Warn. cleared" (S2 p.4)
	StateReserved State = 3 // reserved; kept as is when parsed
)

func (s State) String() string {
	switch s {
	case Unsupported:
		return "unsupported"
	case Active:
		return "active"
	case OK:
		return "ok"
	case StateReserved:
		return "reserved"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Conditions is one half of frame 0x35A: the alarms (bytes 0–3) or the warnings (bytes 4–7), in
// the field order of S2 p.4 (the same in p.7 and in the protocol.md §5 table). Field n is at bits
// 2n and 2n+1 of the half, counted from bit 0 of its first byte. A State above 3 is sent as 3.
type Conditions struct {
	General               State // byte 0 bits 0–1, "General alarm" / "General warning"
	HighVoltage           State // byte 0 bits 2–3, "Battery high voltage"
	LowVoltage            State // byte 0 bits 4–5, "Battery low voltage"
	HighTemperature       State // byte 0 bits 6–7, "Battery high temperature"
	LowTemperature        State // byte 1 bits 0–1, "Battery low temperature"
	HighTemperatureCharge State // byte 1 bits 2–3, "Battery high temperature charge"
	LowTemperatureCharge  State // byte 1 bits 4–5, "Battery low temperature charge"
	HighCurrent           State // byte 1 bits 6–7, "Battery high current" (discharge)
	HighChargeCurrent     State // byte 2 bits 0–1, "Battery high charge current"
	Contactor             State // byte 2 bits 2–3, "Contactor"
	ShortCircuit          State // byte 2 bits 4–5, "Short circuit"
	BMSInternal           State // byte 2 bits 6–7, "BMS internal"
	CellImbalance         State // byte 3 bits 0–1, "Cell imbalance"
	// Reserved are byte 3 bits 2–3, 4–5 and 6–7, "Reserved" in S2; the master sends
	// Unsupported (0). They are kept so that a parsed frame re-encodes unchanged.
	Reserved [3]State
}

// conditionNames are the DBC names of the 16 fields of one half of 0x35A, in bit order (S2 p.4).
var conditionNames = [16]string{
	"General", "HighVoltage", "LowVoltage", "HighTemperature",
	"LowTemperature", "HighTemperatureCharge", "LowTemperatureCharge", "HighCurrent",
	"HighChargeCurrent", "Contactor", "ShortCircuit", "BMSInternal",
	"CellImbalance", "Reserved1", "Reserved2", "Reserved3",
}

// conditionSignals builds the 16 two-bit signals of one half of 0x35A, starting at bit base.
func conditionSignals(prefix string, base uint8) []Signal {
	s := make([]Signal, len(conditionNames))
	for i, n := range conditionNames {
		s[i] = bits(prefix+"_"+n, base+uint8(2*i), 2)
	}
	return s
}

// states lists the fields in conditionNames order.
func (c *Conditions) states() [16]State {
	return [16]State{c.General, c.HighVoltage, c.LowVoltage, c.HighTemperature,
		c.LowTemperature, c.HighTemperatureCharge, c.LowTemperatureCharge, c.HighCurrent,
		c.HighChargeCurrent, c.Contactor, c.ShortCircuit, c.BMSInternal,
		c.CellImbalance, c.Reserved[0], c.Reserved[1], c.Reserved[2]}
}

// conditionsFrom is the inverse of states, from physical values in conditionNames order.
func conditionsFrom(v []float64) Conditions {
	s := func(i int) State { return State(v[i]) }
	return Conditions{s(0), s(1), s(2), s(3), s(4), s(5), s(6), s(7), s(8), s(9), s(10), s(11), s(12),
		[3]State{s(13), s(14), s(15)}}
}

// AlarmsWarnings is frame 0x35A, "Alarm and warning information" (S2 p.4, p.7).
type AlarmsWarnings struct {
	Alarms   Conditions // bytes 0–3
	Warnings Conditions // bytes 4–7, same layout
}

// ID returns 0x35A.
func (AlarmsWarnings) ID() uint32 { return IDAlarmsWarnings }

// Frame encodes a.
func (a AlarmsWarnings) Frame() can.Frame {
	var v [32]float64
	for i, s := range a.Alarms.states() {
		v[i] = float64(s)
	}
	for i, s := range a.Warnings.states() {
		v[16+i] = float64(s)
	}
	return specAlarmsWarnings.Encode(v[:])
}

// ParseAlarmsWarnings decodes frame 0x35A.
func ParseAlarmsWarnings(f can.Frame) (AlarmsWarnings, error) {
	var v [32]float64
	if err := specAlarmsWarnings.Decode(f, v[:]); err != nil {
		return AlarmsWarnings{}, err
	}
	return AlarmsWarnings{conditionsFrom(v[:16]), conditionsFrom(v[16:])}, nil
}
