package master

import (
	"math"
	"time"
)

// SOC and time to go.

// socHoldPercent is where SOC stops while the cells still allow charging: "The SOC is limited to
// 99,9% when charging is still allowed based on the cell voltages. This prevents Victron Energy
// generator start stop control to stop at 100% SOC when the battery is not fully charged"
// (changelog 1.25-05; protocol.md §7 on the GX's SOC == 100 tests).
const socHoldPercent = 99.9

// stepRunning counts charge through the shunt (trapezoidal over the step) into the SOC, holds it
// below 100 % while the cells still allow charging (from v1.25), synchronises it to 100 % when the
// cells reach the charge stop level while charging, and filters the current for the time to go.
func (m *Master) stepRunning(dt time.Duration) {
	amps := m.hw.ShuntAmps()
	capacity := m.reg.bankAh(m.cfg.Series)
	if capacity > 0 && dt > 0 {
		ah := (amps + m.lastShunt) / 2 * dt.Hours()
		m.socPct = max(0, min(100, m.socPct+100*ah/capacity))
	}
	m.lastShunt = amps
	belowStop := !m.ext.ok || m.ext.maxCellVolts < m.limitsFor().StopChargeVolts
	switch {
	case !belowStop && amps > chargingDeadbandAmps && m.socPct < 100:
		// Full: the cells reached the charge stop level with current still flowing in.
		m.socPct = 100
		m.history.autoSyncs++
	case belowStop && !m.atcCells.off && m.cfg.Firmware.Has("1.25-05"):
		// Charging still allowed by the cells (allowed-to-charge's hysteresis keeps a bank that
		// has been full at 100 % while it relaxes).
		m.socPct = min(m.socPct, socHoldPercent)
	}
	m.filterCurrent(amps, dt)
}

// filterCurrent keeps the average current the time to go is computed from: an exponential
// average with time constant TTGFilter, solved exactly over the step.
func (m *Master) filterCurrent(amps float64, dt time.Duration) {
	tau := m.cfg.TTGFilter
	if m.cfg.Firmware.Has("1.23-08") {
		tau = m.cfg.TTGFilterFast
	}
	if !m.ttgAvgKnown || tau <= 0 {
		m.ttgAvgAmps, m.ttgAvgKnown = amps, true
		return
	}
	if dt != m.ttgGainStep || tau != m.ttgTau {
		m.ttgGain, m.ttgGainStep, m.ttgTau = 1-math.Exp(-dt.Seconds()/tau.Seconds()), dt, tau
	}
	m.ttgAvgAmps += (amps - m.ttgAvgAmps) * m.ttgGain
}

// timeToGo is the time until empty at the averaged discharge current, or -1 when there is none:
// not discharging, SOC unknown, or a firmware before time to go existed (changelog 1.08-02).
func (m *Master) timeToGo() time.Duration {
	if !m.cfg.Firmware.Has("1.08-02") || !m.socKnown || !m.ttgAvgKnown || m.ttgAvgAmps >= -chargingDeadbandAmps {
		return -1
	}
	remainingAh := m.socPct / 100 * m.reg.bankAh(m.cfg.Series)
	return time.Duration(remainingAh / -m.ttgAvgAmps * float64(time.Hour))
}
