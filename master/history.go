package master

import (
	"math"
	"time"

	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
)

// history is what the master tracks over its life: the last four errors with their UTC times
// (0x2110-0x2114, S2 p.17-18), the shutdowns due to errors (0xEEFC), and the history registers
// of S2 p.19-20, kept in the non-volatile memory, with the value tracking (daily.go).
type history struct {
	lastErrors          [4]lastError // latest first
	shutdownsDueToError uint16
	autoSyncs           uint32 // SOC synchronisations to 100 % at full (0x0309)

	started                    bool
	minVolts, maxVolts         float64
	minKelvin, maxKelvin       float64
	minCellVolts, maxCellVolts float64
	drawnAh, deepestAh         float64 // drawnAh counts up; deepestAh is the lowest consumed Ah, ≤ 0
	chargedKWh, dischargedKWh  float64
	lastVolts, lastAmps        float64
	lastTrackedAt              time.Duration
	tracking                   Tracking
}

type lastError struct {
	code uint8
	unix uint32
}

// recordError counts a shutdown due to an error and puts its VE number (veError) first in the
// last-errors list, stamped with the wall-clock time the driver gave as the epoch plus the
// virtual time. An error without a number on this firmware is counted only.
func (m *Master) recordError(code events.ErrorCode) {
	h := &m.history
	h.shutdownsDueToError++
	if code = m.veError(code); code == events.ErrNone {
		return
	}
	copy(h.lastErrors[1:], h.lastErrors[:3])
	var unix uint32
	if !m.cfg.Epoch.IsZero() {
		unix = uint32(m.cfg.Epoch.Add(m.now).Unix())
	}
	h.lastErrors[0] = lastError{code: uint8(code), unix: unix}
}

// track updates the history from the present measurements.
func (m *Master) track(now time.Duration) {
	h := &m.history
	v, a := m.hw.BatteryVolts(), m.hw.ShuntAmps()
	e := m.ext
	if !h.started {
		h.started = true
		h.minVolts, h.maxVolts = v, v
		h.minKelvin, h.maxKelvin = math.Inf(1), math.Inf(-1)
		h.minCellVolts, h.maxCellVolts = math.Inf(1), math.Inf(-1)
		h.lastVolts, h.lastAmps, h.lastTrackedAt = v, a, now
		if h.tracking == (Tracking{}) {
			h.tracking = Tracking{MaxAmps: math.NaN(), MinAmps: math.NaN()}
		}
	}
	h.minVolts, h.maxVolts = min(h.minVolts, v), max(h.maxVolts, v)
	if e.ok {
		h.minKelvin = min(h.minKelvin, e.minCellCelsius+celsiusToKelvin)
		h.maxKelvin = max(h.maxKelvin, e.maxCellCelsius+celsiusToKelvin)
		h.minCellVolts = min(h.minCellVolts, e.minCellVolts)
		h.maxCellVolts = max(h.maxCellVolts, e.maxCellVolts)
	}
	// Energy and charge by the trapezoid rule over the step.
	dt := (now - h.lastTrackedAt).Hours()
	ah := (a + h.lastAmps) / 2 * dt
	kwh := (a*v + h.lastAmps*h.lastVolts) / 2 * dt / 1000
	if ah < 0 {
		h.drawnAh -= ah
	}
	var inKWh, outKWh float64
	if kwh < 0 {
		outKWh = -kwh
	} else {
		inKWh = kwh
	}
	h.dischargedKWh += outKWh
	h.chargedKWh += inKWh
	m.trackDay(now, dt, v, a, inKWh, outKWh)
	h.deepestAh = min(h.deepestAh, m.consumedAh())
	h.lastVolts, h.lastAmps, h.lastTrackedAt = v, a, now
}

// get gives the history registers (S2 p.19-20).
func (h *history) get(reg vecan.Register) (uint32, bool) {
	if !h.started {
		return 0, false
	}
	sn32 := func(v float64) uint32 { return uint32(int32(math.Round(v))) }
	switch reg {
	case vecan.RegHistDeepestDischarge:
		return sn32(h.deepestAh * 10), true
	case vecan.RegHistCumulativeAh:
		return sn32(-h.drawnAh * 10), true // drawn from the battery: negative as Victron counts
	case vecan.RegHistMinVoltage:
		return sn32(h.minVolts * 100), true
	case vecan.RegHistMaxVoltage:
		return sn32(h.maxVolts * 100), true
	case vecan.RegHistNrOfAutoSyncs:
		return h.autoSyncs, true
	case vecan.RegHistKWhOut:
		return uint32(math.Round(h.dischargedKWh * 100)), true
	case vecan.RegHistKWhIn:
		return uint32(math.Round(h.chargedKWh * 100)), true
	case vecan.RegHistMaxTemperature:
		if math.IsInf(h.maxKelvin, 0) {
			return 0, false
		}
		return uint32(math.Round(h.maxKelvin * 100)), true
	case vecan.RegHistMinTemperature:
		if math.IsInf(h.minKelvin, 0) {
			return 0, false
		}
		return uint32(math.Round(h.minKelvin * 100)), true
	case vecan.RegHistCellVoltageMinMax:
		if math.IsInf(h.minCellVolts, 0) {
			return 0, false
		}
		return pair(h.minCellVolts*100, h.maxCellVolts*100), true
	}
	return 0, false
}
