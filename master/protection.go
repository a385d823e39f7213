package master

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
)

// Protection, as a table (the diagnosis idea of foxBMS 2): each row is one monitored condition
// with the time it must hold before it counts (debounce), the time it must be gone before it
// clears, the flag bit it raises, and what it does: warn (the flag only), block charge or
// discharge (allowed-to-charge or -discharge off while active), or fail (the error, through the
// contactor's opening sequence). Rows gated by a changelog item exist from that firmware on.
//
// The MG battery manuals' "boundary limits" are not public (limits.md §2.1, §8): every threshold
// is a named parameter of CellLimits, with the published value where one exists (the Victron Lynx
// Ion 24V/180Ah's, L7; the HE datasheet's, L6) and an assumption elsewhere.

// CellLimits are the cell thresholds of one chemistry.
type CellLimits struct {
	// StopChargeVolts and StopDischargeVolts open allowed-to-charge and allowed-to-discharge;
	// ResumeChargeVolts and ResumeDischargeVolts close them again (allowed.go).
	StopChargeVolts, StopDischargeVolts     float64
	ResumeChargeVolts, ResumeDischargeVolts float64
	WarnHighVolts, AlarmHighVolts           float64 // over-voltage warning and fail-safe
	WarnLowVolts, AlarmLowVolts             float64 // under-voltage warning and fail-safe
	LockHighVolts, LockLowVolts             float64 // "far beyond the safe operating range": safety lock (#40)

	WarnHighCelsius, AlarmHighCelsius                 float64
	WarnLowChargeCelsius, AlarmLowChargeCelsius       float64 // below: charging blocked
	WarnLowDischargeCelsius, AlarmLowDischargeCelsius float64 // below: discharging blocked
	FailLowCelsius                                    float64 // below: fail-safe #16
	TerminalAlarmCelsius                              float64 // terminal over-temperature
	DeviationWarnVolts                                float64 // cell voltage deviation (1.17-07)
	DeviationWarnCelsius                              float64 // cell temperature deviation (1.17-07, 1.38-09)
	SensorDeviationCelsius                            float64 // a sensor this far from the others is excluded (1.38-08)
	HumidityWarnPercent                               float64 // 1.24-05
	// CriticalChargeC: a charge current above this multiple of the bank's capacity is the
	// critical over-charge current of changelog 1.25-04 ("See battery manual for the
	// conditions": not public, limits.md §5 [?]).
	CriticalChargeC float64
}

// LFPLimits: 3.62 V and 2.60 V for 20 s are the Victron Lynx Ion 24V/180Ah's contactor levels
// (limits.md §1.4, L7); the warning levels sit below them, assumptions. Temperatures: assumptions
// typical of LFP (no charging below 0 °C).
var LFPLimits = CellLimits{
	// 3.52 V and 2.8 V are the only published values of the family, the Victron Lynx Ion
	// 24V/180Ah's (limits.md §1.4, L7).
	StopChargeVolts: 3.52, StopDischargeVolts: 2.80, ResumeChargeVolts: 3.32, ResumeDischargeVolts: 3.35,
	WarnHighVolts: 3.55, AlarmHighVolts: 3.62, WarnLowVolts: 2.90, AlarmLowVolts: 2.60,
	LockHighVolts: 4.0, LockLowVolts: 1.5,
	WarnHighCelsius: 50, AlarmHighCelsius: 60,
	WarnLowChargeCelsius: 3, AlarmLowChargeCelsius: 0,
	WarnLowDischargeCelsius: -15, AlarmLowDischargeCelsius: -20, FailLowCelsius: -25,
	TerminalAlarmCelsius:   69, // the top of the HE derating band, changelog 1.19-01
	DeviationWarnVolts:     0.10,
	DeviationWarnCelsius:   5,
	SensorDeviationCelsius: 10,
	HumidityWarnPercent:    85,
	CriticalChargeC:        1.0, // twice the 0.5C charge rate lynxsim assumes for LFP [?]
}

// NMCLimits for the MG HE: 4.20 V maximum and 3.00 V cut-off per cell (29.4 V and 21.0 V over
// 7 cells, limits.md §1.1, L6); charge 0 to 45 °C, discharge −20 to 55 °C (L6). Warning levels
// and the rest are assumptions.
var NMCLimits = CellLimits{
	// Allowed-to-charge off just below the 4.20 V maximum, allowed-to-discharge off just above
	// the 3.00 V cut-off: assumptions.
	StopChargeVolts: 4.15, StopDischargeVolts: 3.05,
	// The resume levels keep L7's LFP hysteresis in proportion (0.20 V and 0.55 V of LFP's
	// 0.7 V window between 2.80 and 3.52 V): assumptions.
	ResumeChargeVolts: 4.00, ResumeDischargeVolts: 3.45,
	WarnHighVolts: 4.15, AlarmHighVolts: 4.20, WarnLowVolts: 3.10, AlarmLowVolts: 3.00,
	LockHighVolts: 4.40, LockLowVolts: 2.0,
	WarnHighCelsius: 50, AlarmHighCelsius: 55,
	WarnLowChargeCelsius: 3, AlarmLowChargeCelsius: 0,
	WarnLowDischargeCelsius: -15, AlarmLowDischargeCelsius: -20, FailLowCelsius: -25,
	TerminalAlarmCelsius:   69,
	DeviationWarnVolts:     0.10,
	DeviationWarnCelsius:   5,
	SensorDeviationCelsius: 10,
	HumidityWarnPercent:    85,
	CriticalChargeC:        1.5, // half again the 1.0C Performance rating (changelog 1.15-04) [?]
}

type action uint8

const (
	warn action = iota
	blockCharge
	blockDischarge
	blockBoth
	failSafe
	safetyLock
)

type diagnosis struct {
	name     string
	item     string // changelog item the row exists from ("" = every version)
	until    string // changelog item that removed the row ("" = still there)
	debounce time.Duration
	release  time.Duration
	flag     events.Flag
	hasFlag  bool
	act      action
	code     events.ErrorCode
	check    func(m *Master, l *CellLimits) bool
}

// Debounces: 20 s for the fail-safe cell levels (L7: "for 20 sec"), 10 s for warnings (L7's
// allowed-to-charge/discharge "for 10 sec"); the rest are assumptions.
var diagnoses = []diagnosis{
	{name: "cell over-voltage warning", debounce: 10 * time.Second, release: 10 * time.Second, flag: events.FlagWarnOverVoltage, hasFlag: true, act: warn,
		check: func(m *Master, l *CellLimits) bool { return m.ext.ok && m.ext.maxCellVolts >= l.WarnHighVolts }},
	{name: "cell over-voltage", debounce: 20 * time.Second, flag: events.FlagAlarmOverVoltage, hasFlag: true, act: failSafe, code: events.ErrOverVoltage,
		check: func(m *Master, l *CellLimits) bool { return m.ext.ok && m.ext.maxCellVolts >= l.AlarmHighVolts }},
	{name: "cell under-voltage warning", debounce: 10 * time.Second, release: 10 * time.Second, flag: events.FlagWarnUnderVoltage, hasFlag: true, act: warn,
		check: func(m *Master, l *CellLimits) bool { return m.ext.ok && m.ext.minCellVolts <= l.WarnLowVolts }},
	{name: "cell under-voltage", debounce: 20 * time.Second, flag: events.FlagAlarmUnderVoltage, hasFlag: true, act: failSafe, code: events.ErrUnderVoltage,
		check: func(m *Master, l *CellLimits) bool { return m.ext.ok && m.ext.minCellVolts <= l.AlarmLowVolts }},
	{name: "cell voltage far out of range", debounce: time.Second, act: safetyLock, code: events.ErrSafetyLock, item: "1.32-05",
		check: func(m *Master, l *CellLimits) bool {
			return m.ext.ok && (m.ext.maxCellVolts >= l.LockHighVolts || m.ext.minCellVolts <= l.LockLowVolts)
		}},
	{name: "over-temperature warning", debounce: 10 * time.Second, release: 10 * time.Second, flag: events.FlagWarnOverTemperature, hasFlag: true, act: warn,
		check: func(m *Master, l *CellLimits) bool { return m.ext.tempOK && m.ext.maxCellCelsius >= l.WarnHighCelsius }},
	{name: "over-temperature", debounce: 10 * time.Second, flag: events.FlagAlarmOverTemperature, hasFlag: true, act: failSafe, code: events.ErrOverTemperature,
		check: func(m *Master, l *CellLimits) bool { return m.ext.tempOK && m.ext.maxCellCelsius >= l.AlarmHighCelsius }},
	{name: "under-temperature for charging warning", debounce: 10 * time.Second, release: 10 * time.Second, flag: events.FlagWarnUnderTemperatureCharge, hasFlag: true, act: warn,
		check: func(m *Master, l *CellLimits) bool {
			return m.ext.tempOK && m.ext.minCellCelsius <= l.WarnLowChargeCelsius
		}},
	{name: "under-temperature for charging", debounce: 10 * time.Second, release: 10 * time.Second, flag: events.FlagAlarmUnderTemperatureCharge, hasFlag: true, act: blockCharge,
		check: func(m *Master, l *CellLimits) bool {
			return m.ext.tempOK && m.ext.minCellCelsius <= l.AlarmLowChargeCelsius
		}},
	{name: "under-temperature for discharging warning", debounce: 10 * time.Second, release: 10 * time.Second, flag: events.FlagWarnUnderTemperatureDischarge, hasFlag: true, act: warn,
		check: func(m *Master, l *CellLimits) bool {
			return m.ext.tempOK && m.ext.minCellCelsius <= l.WarnLowDischargeCelsius
		}},
	{name: "under-temperature for discharging", debounce: 10 * time.Second, release: 10 * time.Second, flag: events.FlagAlarmUnderTemperatureDischarge, hasFlag: true, act: blockDischarge,
		check: func(m *Master, l *CellLimits) bool {
			return m.ext.tempOK && m.ext.minCellCelsius <= l.AlarmLowDischargeCelsius
		}},
	// Below the discharge limit the master blocks; colder still, 5 °C under it, the cells are out
	// of their operating range altogether: #16 "Under temperature detected" (S2 p.19) [?].
	{name: "under-temperature", debounce: 10 * time.Second, flag: events.FlagAlarmUnderTemperature, hasFlag: true, act: failSafe, code: events.ErrUnderTemperature,
		check: func(m *Master, l *CellLimits) bool { return m.ext.tempOK && m.ext.minCellCelsius <= l.FailLowCelsius }},
	// Changelog 1.17-07 added the cell voltage deviation warning; 1.32-06 gave it bit 30.
	{name: "cell voltage deviation", item: "1.17-07", debounce: time.Minute, release: time.Minute, flag: events.FlagWarnCellImbalance, hasFlag: true, act: warn,
		check: func(m *Master, l *CellLimits) bool {
			return m.ext.ok && m.ext.maxCellVolts-m.ext.minCellVolts >= l.DeviationWarnVolts
		}},
	// Changelog 1.17-07 also added the cell temperature deviation warning (an event: no flag bit
	// names it). LFP 24 V batteries joined the monitoring only with v1.38 ("Added LFP Battery 24V
	// cell temperature deviation monitoring", 1.38-09), so before it the row looks at the other
	// chemistries only.
	{name: "cell temperature deviation", item: "1.17-07", debounce: time.Minute, release: time.Minute, act: warn,
		check: func(m *Master, l *CellLimits) bool {
			lfp := m.cfg.Firmware.Has("1.38-09")
			return m.anyBattery(func(b *batteryInfo) bool {
				if !b.gotCells || (b.announce.Chemistry == batbus.ChemistryLFP && !lfp) || b.cells.MinDeciCelsius == batbus.NASn16 {
					return false
				}
				return float64(b.cells.MaxDeciCelsius-b.cells.MinDeciCelsius)/10 >= l.DeviationWarnCelsius
			})
		}},
	// Changelog 1.22-02 "Fixed service warning on batteries without battery terminal temperature":
	// from the terminal monitoring of v1.19 (1.19-01) until v1.22, a battery that reports no
	// terminal temperature raised the service warning [I]. Its flag is bit 31, which the GX sees
	// from v1.32 only (1.32-06), so on those versions it is an event and the "Warning" relay.
	{name: "service warning (no terminal temperature)", item: "1.19-01", until: "1.22-02", debounce: 10 * time.Second, release: 10 * time.Second, flag: events.FlagWarnServiceRequest, hasFlag: true, act: warn,
		check: func(m *Master, _ *CellLimits) bool {
			return m.anyBattery(func(b *batteryInfo) bool { return b.reported && !b.terminalsHeard })
		}},
	// Changelog 1.23-04 "Added new Lynx Ion BMS events", warnings without a flag bit [?]:
	//   - the system voltage the master measures outside the window of its batteries' own
	//     voltages (the strings' sums), by more than SystemVoltsWindowFraction;
	//   - invalid measurements: battery frames the master had to reject;
	//   - a battery's current above BatteryCurrentWarnC of its capacity.
	// The other two, high internal temperature and the active balance warning, need hardware
	// lynxsim does not model (the master's own temperature sensor, an active balancer's fault
	// report): not modelled.
	{name: "system voltage outside the batteries' window", item: "1.23-04", debounce: 10 * time.Second, release: 10 * time.Second, act: warn,
		check: func(m *Master, _ *CellLimits) bool {
			lo, hi, ok := m.stringVoltsWindow()
			v, f := m.hw.BatteryVolts(), m.cfg.SystemVoltsWindowFraction
			return ok && (v < lo*(1-f) || v > hi*(1+f))
		}},
	{name: "invalid measurements", item: "1.23-04", release: time.Minute, act: warn,
		check: func(m *Master, _ *CellLimits) bool { return m.counters.BatteryFramesRejected > m.rejectedSeen }},
	{name: "battery current too high", item: "1.23-04", debounce: 5 * time.Second, release: 5 * time.Second, act: warn,
		check: func(m *Master, _ *CellLimits) bool {
			return m.anyBattery(func(b *batteryInfo) bool {
				return b.gotStat && b.status.Deciamps != batbus.NASn16 &&
					math.Abs(float64(b.status.Deciamps)/10) > m.cfg.BatteryCurrentWarnC*float64(b.announce.CapacityAh)
			})
		}},
	// Changelog 1.32-05: #41 terminal over-temperature; before v1.32 it is an over-temperature (#15) [I].
	{name: "terminal over-temperature", item: "1.19-01", debounce: 10 * time.Second, act: failSafe, code: events.ErrTerminalOverTemperature,
		check: func(m *Master, l *CellLimits) bool { return m.maxTerminalCelsius() >= l.TerminalAlarmCelsius }},
	// Changelog 1.34-03/04: leakage of RS batteries, a warning. The changelog names no bit; lynxsim
	// raises bit 31 "warning service request" (1.32-06) for it [I]: a leak needs service.
	{name: "battery leakage", item: "1.34-03", debounce: time.Second, release: 10 * time.Second, flag: events.FlagWarnServiceRequest, hasFlag: true, act: warn,
		check: func(m *Master, _ *CellLimits) bool {
			return m.anyBattery(func(b *batteryInfo) bool { return b.environment.Leakage == batbus.LeakageDetected })
		}},
	// Changelog 1.38-04 "Added RS230 Battery processors self-tests monitoring": a battery that
	// reports a failed processor self-test raises the service warning (bit 31) [I: the changelog
	// names no flag]; before v1.38 the master does not look.
	{name: "battery self-test failed", item: "1.38-04", debounce: time.Second, release: 10 * time.Second, flag: events.FlagWarnServiceRequest, hasFlag: true, act: warn,
		check: func(m *Master, _ *CellLimits) bool {
			return m.anyBattery(func(b *batteryInfo) bool { return b.gotStat && b.status.Flags.Has(batbus.StatusSelfTestFailed) })
		}},
	// Changelog 1.24-05: humidity warning for NMC and RS batteries; an event, no bit [?].
	{name: "battery humidity", item: "1.24-05", debounce: time.Minute, release: time.Minute, act: warn,
		check: func(m *Master, l *CellLimits) bool {
			return m.anyBattery(func(b *batteryInfo) bool {
				h := b.environment.HumidityPercent
				return h != batbus.NAUn8 && float64(h) >= l.HumidityWarnPercent
			})
		}},
	// Over-current warnings (flag bits 13 and 14): from v1.24 against the master's supported
	// current ("Fixed over current warning based on maximum supported Lynx Ion BMS current",
	// changelog 1.24-02), before against the DVCC limits [I].
	{name: "charge current high", debounce: 5 * time.Second, release: 5 * time.Second, flag: events.FlagWarnChargeCurrent, hasFlag: true, act: warn,
		check: func(m *Master, _ *CellLimits) bool {
			return m.hw.ShuntAmps() > m.currentWarnAmps(m.limits.ChargeAmps.Value)
		}},
	{name: "discharge current high", debounce: 5 * time.Second, release: 5 * time.Second, flag: events.FlagWarnDischargeCurrent, hasFlag: true, act: warn,
		check: func(m *Master, _ *CellLimits) bool {
			return -m.hw.ShuntAmps() > m.currentWarnAmps(m.limits.DischargeAmps.Value)
		}},
	// Master supported current monitoring (changelog 1.35-06): an overload of the master raises
	// "Alarm high current, bit 29" (1.35-07). lynxsim blocks charge and discharge while it lasts,
	// so that the GX brings the current down (an assumption: the changelog says only that it is
	// detected and reported).
	{name: "master current overload", item: "1.35-06", debounce: 10 * time.Second, release: 10 * time.Second, flag: events.FlagAlarmHighCurrent, hasFlag: true, act: blockBoth,
		check: func(m *Master, _ *CellLimits) bool {
			return math.Abs(m.hw.ShuntAmps()) > m.cfg.OverloadFactor*m.ratedAmps()
		}},
	// Changelog 1.25-04: "critical over charge current handling" for LFP, HE and RS, a fail-safe.
	// The changelog names no error number and S2's list has no over-current error: lynxsim reports
	// #7 "Measure error", the generic measurement fault MG implements [I]; the flag is bit 29 "alarm
	// high current", which the GX sees from v1.35 (1.35-07). The 2 s debounce is an assumption.
	{name: "critical over-charge current", item: "1.25-04", debounce: 2 * time.Second, flag: events.FlagAlarmHighCurrent, hasFlag: true, act: failSafe, code: events.ErrMeasure,
		check: func(m *Master, l *CellLimits) bool {
			ah := m.reg.bankAh(m.cfg.Series)
			return ah > 0 && m.hw.ShuntAmps() > l.CriticalChargeC*ah
		}},
	// Changelog 1.38-08/09: more than 2 deviating temperature sensors on one LFP 24 V battery:
	// fail-safe. The changelog names no error number: #7 "Measure error" (S2) [I].
	{name: "deviating temperature sensors", item: "1.38-08", debounce: 10 * time.Second, act: failSafe, code: events.ErrMeasure,
		check: func(m *Master, _ *CellLimits) bool {
			return m.anyBattery(func(b *batteryInfo) bool { return b.deviatingSensors > 2 })
		}},
}

// protectInputs is everything the protection table's checks read, but the batteries' reports
// (counted by Master.batteryInputs) and the configuration: when it is the same as at the last
// step, so is every check's result, and protect only moves the rows' timers.
type protectInputs struct {
	batteryInputs               uint64
	shuntAmps, batteryVolts     float64
	chargeLimit, dischargeLimit float64
	ratedAmps                   float64
	rejected, rejectedSeen      uint64
	assigned, recovering        bool
}

func (m *Master) protectInputsNow() protectInputs {
	return protectInputs{
		batteryInputs: m.batteryInputs,
		shuntAmps:     m.hw.ShuntAmps(), batteryVolts: m.hw.BatteryVolts(),
		chargeLimit: m.limits.ChargeAmps.Value, dischargeLimit: m.limits.DischargeAmps.Value,
		ratedAmps: m.ratedAmps(),
		rejected:  m.counters.BatteryFramesRejected, rejectedSeen: m.rejectedSeen,
		assigned: m.reg.assigned, recovering: m.recovery.active,
	}
}

type diagState struct {
	active       bool
	since, clear time.Duration // condition first seen / first gone
	seen, gone   bool
}

func (m *Master) limitsFor() *CellLimits {
	if len(m.reg.batteries) > 0 && m.reg.batteries[0].announce.Chemistry == batbus.ChemistryNMC {
		return &m.cfg.NMCLimits
	}
	return &m.cfg.LFPLimits
}

func (m *Master) anyBattery(f func(*batteryInfo) bool) bool {
	return slices.ContainsFunc(m.reg.batteries, f)
}

// maxTerminalCelsius is the hottest terminal of the bank (changelog 1.19-01, 1.30-03), -Inf
// without terminal sensors.
// Before v1.30 only the positive terminal is read (the HE monitoring of 1.19-01: "positive battery
// terminal temperature"); from v1.30 both, where the battery has them ("Added support for positive
// and negative battery terminal temperature readings if supported by battery", 1.30-03).
func (m *Master) maxTerminalCelsius() float64 {
	if m.terminalsStale {
		m.maxTerminal, m.terminalsStale = m.hottestTerminalCelsius(), false
	}
	return m.maxTerminal
}

// hottestTerminalCelsius works maxTerminalCelsius out from the batteries' last reports.
func (m *Master) hottestTerminalCelsius() float64 {
	hottest := math.Inf(-1)
	both := m.cfg.Firmware.Has("1.30-03")
	for _, b := range m.reg.batteries {
		if !b.terminalsHeard {
			continue
		}
		for i, c := range [2]int16{b.terminals.PositiveDeciCelsius, b.terminals.NegativeDeciCelsius} {
			if c != batbus.NASn16 && (i == 0 || both) {
				hottest = max(hottest, float64(c)/10)
			}
		}
	}
	return hottest
}

// protect evaluates the table once a step, while the batteries are registered.
func (m *Master) protect() {
	if !m.reg.assigned || m.state == stateError || m.state == stateShutdown {
		return
	}
	if m.diag == nil {
		m.diag = make([]diagState, len(diagnoses))
		m.protectSettled = false // a restart cleared the rows: the outputs are stale
	}
	if m.diagOn == nil {
		// The firmware does not change while the master runs: which rows exist is decided once.
		m.diagOn = make([]bool, len(diagnoses))
		for i := range diagnoses {
			d := &diagnoses[i]
			m.diagOn[i] = (d.item == "" || m.cfg.Firmware.Has(d.item)) && (d.until == "" || !m.cfg.Firmware.Has(d.until))
		}
	}
	l := m.limitsFor()
	// The checks are functions of their inputs: evaluated again only when one moved (a NaN
	// reading never compares equal, so it is always evaluated).
	in := m.protectInputsNow()
	evaluate := m.diagResult == nil || in != m.protectSeen
	if !evaluate && m.protectSettled {
		// Same results, no timer to move: the table's outputs stand as the last pass left them.
		return
	}
	if m.diagResult == nil {
		m.diagResult = make([]bool, len(diagnoses))
	}
	m.protectSeen = in
	m.blockCharge, m.blockDischarge, m.diagFlags = false, false, 0
	m.protectSettled = true
	for i := range diagnoses {
		d, s := &diagnoses[i], &m.diag[i]
		if !m.diagOn[i] {
			continue
		}
		if m.recovery.active && d.code == events.ErrUnderVoltage {
			continue // the start-up recovery of changelog 1.09-01 decides instead
		}
		if evaluate {
			m.diagResult[i] = d.check(m, l)
		}
		on := m.diagResult[i]
		switch {
		case on && !s.seen:
			s.seen, s.since, s.gone = true, m.now, false
		case !on && s.seen && !s.gone:
			s.gone, s.clear = true, m.now
		case on:
			s.gone = false
		}
		if !on && s.gone && m.now-s.clear >= d.release {
			if s.active {
				m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: d.name + " cleared"})
			}
			*s = diagState{}
		}
		if on && !s.active && m.now-s.since >= d.debounce {
			s.active = true
			m.raise(d)
		}
		if (on && !s.active) || s.gone {
			m.protectSettled = false // a debounce or release still counting
		}
		if !s.active {
			continue
		}
		if d.hasFlag {
			m.diagFlags = m.diagFlags.With(d.flag)
		}
		switch d.act {
		case blockCharge:
			m.blockCharge = true
		case blockDischarge:
			m.blockDischarge = true
		case blockBoth:
			m.blockCharge, m.blockDischarge = true, true
		}
	}
}

// raise acts on a diagnosis that has just become active.
func (m *Master) raise(d *diagnosis) {
	sev := events.SeverityWarning
	if d.act == failSafe || d.act == safetyLock {
		sev = events.SeverityAlarm
	}
	m.log.Add(events.Entry{At: m.now, Severity: sev, Code: int(d.code), Message: d.name})
	switch d.act {
	case failSafe:
		// "Fixed fail-safe handling while pre-charging" (changelog 1.25-10): before v1.25 a
		// fail-safe found while pre-charging waited for the contactor to close and took effect
		// from running, through the opening sequence [I].
		if m.state == statePreCharging && !m.cfg.Firmware.Has("1.25-10") {
			if m.deferredFail == events.ErrNone {
				m.deferredFail = d.code
				m.log.Add(events.Entry{At: m.now, Severity: events.SeverityWarning, Message: "fail-safe while pre-charging: acted on once running"})
			}
			return
		}
		m.fail(d.code) // the number the GX sees depends on the version: veError
	case safetyLock:
		// "A Safety lock is a permanent failure state" (limits.md §5.2, L4): the master stays
		// in fail-safe until unlocked; Restart does not clear it.
		m.locked = true
		m.fail(d.code)
	}
}

// DescribeProtection lists the protection table as people read it: for documentation and
// `lynxsim firmware show`.
func DescribeProtection() []string {
	var out []string
	for _, d := range diagnoses {
		s := fmt.Sprintf("%s: after %v", d.name, d.debounce)
		if d.hasFlag {
			s += fmt.Sprintf(", flag %d %v", d.flag, d.flag)
		}
		switch d.act {
		case blockCharge:
			s += ", charging blocked"
		case blockDischarge:
			s += ", discharging blocked"
		case blockBoth:
			s += ", charging and discharging blocked"
		case failSafe, safetyLock:
			s += ", fail-safe " + d.code.String()
		}
		if d.item != "" {
			s += " (from changelog " + d.item + ")"
		}
		if d.until != "" {
			s += " (until changelog " + d.until + ")"
		}
		out = append(out, s)
	}
	return out
}

// ratedAmps is the current the master's hardware supports: its model's rating (the models are
// named by it, limits.md §4.1 [I]; the "general" model's is a parameter).
func (m *Master) ratedAmps() float64 {
	switch m.cfg.Model {
	case vecan.Model150:
		return 150
	case vecan.Model400:
		return 400
	case vecan.Model600:
		return 600
	case vecan.Model1000:
		return 1000
	}
	return m.cfg.GeneralModelAmps
}

// currentWarnAmps is the over-current warning level: the supported current from v1.24
// (1.24-02), the DVCC limit before.
func (m *Master) currentWarnAmps(limit float64) float64 {
	if m.cfg.Firmware.Has("1.24-02") {
		return m.ratedAmps()
	}
	if math.IsNaN(limit) || limit <= 0 {
		return math.Inf(1)
	}
	return limit
}

// stringVoltsWindow is the lowest and highest string voltage by the batteries' own reports: each
// string is Series batteries in address order.
func (m *Master) stringVoltsWindow() (lo, hi float64, ok bool) {
	n, series := len(m.reg.batteries), m.cfg.Series
	if n == 0 || n%series != 0 {
		return 0, 0, false
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for s := 0; s < n; s += series {
		sum := 0.0
		for _, b := range m.reg.batteries[s : s+series] {
			if !b.gotStat || b.status.Centivolts == batbus.NAUn16 {
				return 0, 0, false
			}
			sum += float64(b.status.Centivolts) / 100
		}
		lo, hi = min(lo, sum), max(hi, sum)
	}
	return lo, hi, true
}
