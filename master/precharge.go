package master

import (
	"math"
	"time"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/events"
)

// Pre-charge (limits.md §4.2): the bus is charged through the NTC (systems below 48 V) or the
// resistor (above) until it is within PrechargeDoneVolts of the battery, then the contactor
// closes. How long it may take depends on the version: 30 s from v1.11 (changelog 1.11-03), with
// 18 s more from v1.27 when an NTC pre-charge is still rising at 30 s (1.27-02). A pre-charge whose
// bus does not rise at all has a broken fuse: from v1.36 the master says so at once (#25 and the
// "Broken fuse detected" event of 1.34-02; changelog 1.36-06); before, it runs into the time-out
// (#35).

// ntcVolts: systems below this nominal voltage pre-charge through the NTC (changelog 1.27-02:
// "NTC (<48V)", "resistor (>48V)").
const ntcVolts = 48

// Nominal cell voltages for the system voltage: 3.2 V LFP, 3.6 V NMC (25.2 V / 7, limits.md §1.1).
func nominalCellVolts(c batbus.Chemistry) float64 {
	if c == batbus.ChemistryNMC {
		return 3.6
	}
	return 3.2
}

func (m *Master) systemNominalVolts() float64 {
	if len(m.reg.batteries) == 0 {
		return 0
	}
	a := m.reg.batteries[0].announce
	return float64(m.cfg.Series) * float64(a.Cells) * nominalCellVolts(a.Chemistry)
}

func (m *Master) prechargeLimit() time.Duration {
	limit := m.cfg.PrechargeMaxBefore
	if m.cfg.Firmware.Has("1.11-03") {
		limit = m.cfg.PrechargeMax
	}
	if m.prechargeExtended {
		limit += m.cfg.PrechargeExtension
	}
	return limit
}

func (m *Master) stepPreCharging() {
	elapsed := m.now - m.stateSince
	if elapsed == 0 || m.prechargeLastAt == 0 {
		m.prechargeExtended = false
		m.prechargeLastVolts, m.prechargeLastAt = m.hw.BusVolts(), m.now
	}
	battery, bus := m.hw.BatteryVolts(), m.hw.BusVolts()
	if math.Abs(battery-bus) <= m.cfg.PrechargeDoneVolts {
		m.prechargeLastAt = 0
		m.hw.SetContactor(true)
		m.fire(evPrecharged)
		return
	}
	if m.cfg.Firmware.Has("1.36-06") && elapsed >= m.cfg.FuseCheckTime && bus < m.cfg.FuseCheckFraction*battery {
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityAlarm, Message: "Broken fuse detected"})
		m.prechargeLastAt = 0
		m.fail(events.ErrPreCharge)
		return
	}
	limit := m.prechargeLimit()
	if elapsed >= limit && !m.prechargeExtended && m.cfg.Firmware.Has("1.27-02") && m.systemNominalVolts() < ntcVolts {
		// Rising at the limit: the voltage over the last second.
		if dt := (m.now - m.prechargeLastAt).Seconds(); dt > 0 && (bus-m.prechargeLastVolts)/dt >= m.cfg.PrechargeRisingVoltsPerSecond {
			m.prechargeExtended = true
			m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: "pre-charge still rising: 18 s more"})
			return
		}
	}
	if elapsed >= limit {
		m.prechargeLastAt = 0
		// Changelog 1.34-02 added the master event "Broken fuse detected": from v1.34 a
		// pre-charge that never lifted the bus says so when it times out (v1.36 finds it early,
		// 1.36-06).
		if m.cfg.Firmware.Has("1.34-02") && bus < m.cfg.FuseCheckFraction*battery {
			m.log.Add(events.Entry{At: m.now, Severity: events.SeverityAlarm, Message: "Broken fuse detected"})
		}
		m.fail(events.ErrPreChargeTimeout)
		return
	}
	if m.now-m.prechargeLastAt >= time.Second {
		m.prechargeLastVolts, m.prechargeLastAt = bus, m.now
	}
}
