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
	// ahSince is the charge moved the other way since the output went off (discharged after
	// full, charged after empty): enough of it enables the output again (changelog 1.38-11).
	ahSince float64
}

// Re-enabling after full or empty by energy (changelog 1.38-11: "Updated handling required
// discharge/charge energy after fully charge/discharge condition is detected to enable the
// charge/discharge again. After fully charge more discharge energy was required than expected"):
// an output the cells switched off comes back when its resume voltage is reached (allowed.go's
// hysteresis) or when this share of the bank's capacity has moved the other way. Neither share is
// published: 2 % from v1.38 and 5 % before ("more than expected") are assumptions.
const (
	reenablePercent       = 2.0
	reenablePercentBefore = 5.0
)

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
	// The charge moved since the last step, for the energy condition.
	ah := m.hw.ShuntAmps() * (m.now - m.lastAllowedStep).Hours()
	m.lastAllowedStep = m.now
	required := reenablePercentBefore
	if m.cfg.Firmware.Has("1.38-11") {
		required = reenablePercent
	}
	requiredAh := required / 100 * m.reg.bankAh(m.cfg.Series)
	if m.atcCells.off {
		m.atcCells.ahSince -= ah // discharged: positive
	}
	if m.atdCells.off {
		m.atdCells.ahSince += ah // charged: positive
	}

	chargeOff := e.maxCellVolts >= l.StopChargeVolts
	chargeOn := !chargeOff
	if hysteresisCharge {
		chargeOn = e.maxCellVolts < l.ResumeChargeVolts
	}
	chargeOn = chargeOn || (m.atcCells.off && requiredAh > 0 && m.atcCells.ahSince >= requiredAh && !chargeOff)
	wasOff := m.atcCells.off
	m.atcCells.step(m.now, chargeOff, chargeOn, debounce)
	if m.atcCells.off && !wasOff {
		m.atcCells.ahSince = 0
	}
	dischargeOff := e.minCellVolts <= l.StopDischargeVolts
	dischargeOn := !dischargeOff
	if full {
		dischargeOn = e.minCellVolts > l.ResumeDischargeVolts
	}
	dischargeOn = dischargeOn || (m.atdCells.off && requiredAh > 0 && m.atdCells.ahSince >= requiredAh && !dischargeOff)
	wasOff = m.atdCells.off
	m.atdCells.step(m.now, dischargeOff, dischargeOn, debounce)
	if m.atdCells.off && !wasOff {
		m.atdCells.ahSince = 0
	}
}
