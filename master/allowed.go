package master

import "time"

// Allowed-to-charge and allowed-to-discharge from the cell voltages. The only published rule is
// the Victron Lynx Ion 24V/180Ah's (limits.md §1.4, L7): charge off when a cell reaches 3.52 V for
// 10 s and on again when the highest drops below 3.32 V for 10 s; discharge off below 2.80 V for
// 10 s and on again above 3.35 V for 10 s. How the master's versions came to it is lynxsim's
// reading of the changelog [I]:
//   - v1.07: both switch on the stop levels at once, without hysteresis;
//   - v1.08 "Added dynamic allow to charge algorithm" (1.08-03): allowed-to-charge gets the
//     hysteresis, so that a bank that just reached the stop level does not flick the charger on
//     and off;
//   - v1.12 "Updated allow-to-charge and allow-to-discharge control" (1.12-02): both have the
//     hysteresis and the 10 s of L7.

// cellAllowedDebounce is L7's "for 10 sec.".
const cellAllowedDebounce = 10 * time.Second

// allowedByCells is one of the two outputs' cell-voltage state.
type allowedByCells struct {
	off     bool          // switched off by the cells
	pending bool          // the condition to switch has been seen
	since   time.Duration // when it was first seen
}

// step moves the output: offNow says the cells are past the stop level, onNow that they are back
// past the resume level (equal to offNow's negation without hysteresis).
func (a *allowedByCells) step(now time.Duration, offNow, onNow bool, debounce time.Duration) {
	want := a.off
	switch {
	case !a.off && offNow:
		want = true
	case a.off && onNow:
		want = false
	}
	if want == a.off {
		a.pending = false
		return
	}
	if !a.pending {
		a.pending, a.since = true, now
	}
	if now-a.since >= debounce {
		a.off, a.pending = want, false
	}
}

// stepAllowedByCells updates both outputs from the cell extremes.
func (m *Master) stepAllowedByCells() {
	e := m.ext
	if !e.ok {
		return
	}
	l := m.limitsFor()
	hysteresisCharge := m.cfg.Firmware.Has("1.08-03")
	full := m.cfg.Firmware.Has("1.12-02")
	var debounce time.Duration
	if full {
		debounce = cellAllowedDebounce
	}
	chargeOff := e.maxCellVolts >= l.StopChargeVolts
	chargeOn := !chargeOff
	if hysteresisCharge {
		chargeOn = e.maxCellVolts < l.ResumeChargeVolts
	}
	m.atcCells.step(m.now, chargeOff, chargeOn, debounce)
	dischargeOff := e.minCellVolts <= l.StopDischargeVolts
	dischargeOn := !dischargeOff
	if full {
		dischargeOn = e.minCellVolts > l.ResumeDischargeVolts
	}
	m.atdCells.step(m.now, dischargeOff, dischargeOn, debounce)
}
