package master

import (
	"fmt"
	"math"
	"time"

	"github.com/lynxsim/lynxsim/events"
)

// Start-up and shutdown policies.

// Critical under-cell-voltage start-up (changelog 1.09-01): "User gets 2 minutes to start charging
// with at least 4 amps. The lowest cell voltage has to come above warning level within 10 minutes
// else the system will shut down again." Meanwhile the under-voltage fail-safe waits. Before
// v1.09 a bank that starts below the warning level runs into the under-voltage fail-safe.
const (
	recoveryChargeWithin = 2 * time.Minute
	recoveryChargeAmps   = 4
	recoveryWithin       = 10 * time.Minute
)

type recovery struct {
	active   bool
	since    time.Duration
	charging bool // at least 4 A of charge seen
}

// startRecovery is called as the master starts running.
//
// The windows count from the contactor closing from v1.23 ("Fixed minor bug, under voltage check on
// system startup to give charger time to start charging", changelog 1.23-05); before, lynxsim
// assumes, they counted from the start, so that registration and pre-charge ate into the
// charger's two minutes. A charger detected at start-up counts as charging (see
// stepChargeDetectAwake).
func (m *Master) startRecovery() {
	if m.cfg.Firmware.Has("1.09-01") && m.ext.ok && m.ext.minCellVolts <= m.limitsFor().WarnLowVolts {
		since := m.now
		if !m.cfg.Firmware.Has("1.23-05") {
			since = m.startedAt
		}
		m.recovery = recovery{active: true, since: since, charging: m.chargerDetected}
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityWarning, Message: fmt.Sprintf("critical cell voltage at start-up: charge with at least %d A within %v", recoveryChargeAmps, recoveryChargeWithin)})
	}
}

func (m *Master) stepRecovery() {
	r := &m.recovery
	if !r.active || m.state != stateRunning {
		return
	}
	if m.hw.ShuntAmps() >= recoveryChargeAmps {
		r.charging = true
	}
	elapsed := m.now - r.since
	switch {
	case m.ext.ok && m.ext.minCellVolts > m.limitsFor().WarnLowVolts:
		r.active = false
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: "cells recovered above the warning level"})
	case !r.charging && elapsed >= recoveryChargeWithin, elapsed >= recoveryWithin:
		r.active = false
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityAlarm, Message: "cells did not recover at start-up: shutting down"})
		m.Shutdown()
	}
}

// Automatic shutdown when almost discharged (changelog 1.13-06: "when almost discharged and no
// energy flow detected"), reported from v1.21 as error 18 in the last errors (1.21-01: "Added
// VE_INTERFACE_BMS_ERROR_UNDER_CHARGE_STANDBY to last error report"; S2 rev 7: "Battery protection
// automatic shutdown"). Before v1.13 the detection did not look at the energy flow [I]. Thresholds:
// no source (limits.md §4.8 [?]), named parameters.
func (m *Master) stepAutoShutdown() {
	if m.state != stateRunning || m.opening.active || m.recovery.active {
		m.almostEmptySince = -1
		return
	}
	almost := (m.socKnown && m.socPct <= m.cfg.AutoShutdownSOCPercent) || (m.ext.ok && m.ext.minCellVolts <= m.limitsFor().WarnLowVolts)
	noFlow := math.Abs(m.hw.ShuntAmps()) < m.cfg.AutoShutdownNoFlowAmps || !m.cfg.Firmware.Has("1.13-06")
	if !almost || !noFlow {
		m.almostEmptySince = -1
		return
	}
	if m.almostEmptySince < 0 {
		m.almostEmptySince = m.now
	}
	if m.now-m.almostEmptySince < m.cfg.AutoShutdownDelay {
		return
	}
	m.almostEmptySince = -1
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityWarning, Code: int(events.ErrUnderChargeStandby), Message: "almost discharged: automatic shutdown"})
	if m.cfg.Firmware.Has("1.21-01") {
		m.recordError(events.ErrUnderChargeStandby)
	}
	m.Shutdown()
}
