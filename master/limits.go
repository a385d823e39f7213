package master

import (
	"math"
	"slices"

	"github.com/lynxsim/lynxsim/canbus/batbus"

	"github.com/lynxsim/lynxsim/events"
)

// Limit is one DVCC limit with the reason that set it, so that a person can see why the master
// asks what it asks.
type Limit struct {
	Value  float64 // volts or amps; NaN when not available
	Reason string
}

// Limits are the DVCC limits the master sends to the GX (protocol.md §7, S9): charge voltage
// (CVL), charge current (CCL), discharge current (DCL) and discharge voltage.
type Limits struct {
	ChargeVolts, ChargeAmps, DischargeAmps, DischargeVolts Limit
}

// Cell extremes of the bank, from the batteries' reports.
type extremes struct {
	minCellVolts, maxCellVolts     float64
	minCellCelsius, maxCellCelsius float64
	ok                             bool // cell voltages known
	tempOK                         bool // cell temperatures known
}

// extremes sums up the bank's cells. Temperatures come from every sensor where the batteries
// have reported them all; from v1.38 a sensor that deviates from the bank's others by more than
// SensorDeviationCelsius is left out ("likely an sensor defect … excluded from the monitoring
// process but still visible", changelog 1.38-08) and counted against its battery.
func (m *Master) extremes() extremes {
	e := extremes{minCellVolts: math.Inf(1), maxCellVolts: math.Inf(-1), minCellCelsius: math.Inf(1), maxCellCelsius: math.Inf(-1)}
	exclude := m.cfg.Firmware.Has("1.38-08")
	var median float64
	if exclude {
		median = m.sensorMedian()
	}
	dev := m.limitsFor().SensorDeviationCelsius
	for _, b := range m.reg.batteries {
		if !b.gotCells {
			continue
		}
		e.ok = true
		e.minCellVolts = math.Min(e.minCellVolts, float64(b.cells.MinMillivolts)/1000)
		e.maxCellVolts = math.Max(e.maxCellVolts, float64(b.cells.MaxMillivolts)/1000)
		n := int(b.announce.TemperatureSensors)
		if !b.tempsHeard || n == 0 {
			if b.cells.MinDeciCelsius != batbus.NASn16 {
				e.tempOK = true
				e.minCellCelsius = math.Min(e.minCellCelsius, float64(b.cells.MinDeciCelsius)/10)
				e.maxCellCelsius = math.Max(e.maxCellCelsius, float64(b.cells.MaxDeciCelsius)/10)
			}
			continue
		}
		b.deviatingSensors = 0
		for _, raw := range b.sensorDeciC[:n] {
			if raw == batbus.NASn16 {
				continue
			}
			c := float64(raw) / 10
			if exclude && !math.IsNaN(median) && math.Abs(c-median) > dev {
				b.deviatingSensors++
				continue
			}
			e.tempOK = true
			e.minCellCelsius = math.Min(e.minCellCelsius, c)
			e.maxCellCelsius = math.Max(e.maxCellCelsius, c)
		}
	}
	return e
}

// sensorMedian is the median of every cell temperature sensor of the bank, NaN without any.
func (m *Master) sensorMedian() float64 {
	m.medianBuf = m.medianBuf[:0]
	for _, b := range m.reg.batteries {
		if !b.tempsHeard {
			continue
		}
		for _, raw := range b.sensorDeciC[:b.announce.TemperatureSensors] {
			if raw != batbus.NASn16 {
				m.medianBuf = append(m.medianBuf, float64(raw)/10)
			}
		}
	}
	if len(m.medianBuf) == 0 {
		return math.NaN()
	}
	slices.Sort(m.medianBuf)
	n := len(m.medianBuf)
	if n%2 == 1 {
		return m.medianBuf[n/2]
	}
	return (m.medianBuf[n/2-1] + m.medianBuf[n/2]) / 2
}

// computeLimits sets the provisional limits: fixed per-cell voltages and C-rates from the
// configuration, charge and discharge currents dropped to zero while allowed-to-charge or
// allowed-to-discharge is off. The master issue replaces this with temperature derating, the
// battery-type ratings and the strategies.
func (m *Master) computeLimits() Limits {
	nan := Limit{Value: math.NaN(), Reason: "not registered"}
	if m.fsm.Current() == stateShutdown {
		// DVCC set-points at shutdown: the actual voltage, so that nothing charges or discharges
		// (changelog 1.17-01: "without offset" from v1.17).
		v := m.hw.BatteryVolts()
		if !m.cfg.Firmware.Has("1.17-01") {
			v += m.cfg.ShutdownVoltageOffset
		}
		zero := Limit{0, "shutting down"}
		return Limits{ChargeVolts: Limit{v, "shutting down: actual voltage"}, ChargeAmps: zero, DischargeAmps: zero, DischargeVolts: Limit{m.hw.BatteryVolts(), "shutting down: actual voltage"}}
	}
	if !m.reg.assigned || len(m.reg.batteries) == 0 {
		return Limits{nan, nan, nan, nan}
	}
	cellsInSeries := float64(m.cfg.Series) * float64(m.reg.batteries[0].announce.Cells)
	bankAh := m.reg.bankAh(m.cfg.Series)
	l := Limits{
		ChargeVolts:    Limit{cellsInSeries * m.cfg.ChargeCellVolts, "charge voltage per cell"},
		DischargeVolts: Limit{cellsInSeries * m.cfg.DischargeCellVolts, "discharge voltage per cell"},
		ChargeAmps:     Limit{bankAh * m.cfg.ChargeC, "charge rating"},
		DischargeAmps:  Limit{bankAh * m.cfg.DischargeC, "discharge rating"},
	}
	if !m.flags.Has(events.FlagAllowedToCharge) {
		l.ChargeAmps = Limit{0, m.chargeBlockedReason()}
	}
	if !m.flags.Has(events.FlagAllowedToDischarge) {
		l.DischargeAmps = Limit{0, m.dischargeBlockedReason()}
	}
	return l
}

func (m *Master) chargeBlockedReason() string {
	if m.opening.active {
		return "contactor opening"
	}
	if m.fsm.Current() != stateRunning {
		return "not running"
	}
	if m.blockCharge {
		return "too cold to charge"
	}
	return "cell voltage high"
}

func (m *Master) dischargeBlockedReason() string {
	if m.opening.active {
		return "contactor opening"
	}
	if m.fsm.Current() != stateRunning {
		return "not running"
	}
	if m.blockDischarge {
		return "too cold to discharge"
	}
	return "cell voltage low"
}

// chargingDeadbandAmps keeps the charging and discharging flags from flickering around zero
// current: an assumption, no source gives it.
const chargingDeadbandAmps = 0.5

// lowSOCPercent sets flag bit 21 (protocol.md §4.2, S2 p.18: "Low SOC (< 20%)").
const lowSOCPercent = 20

// updateFlags sets VE_REG_BMS_FLAGS (protocol.md §4.2).
func (m *Master) updateFlags() {
	var f events.FlagSet
	running := m.fsm.Current() == stateRunning
	e := m.ext
	if running && e.ok && !m.opening.active {
		f = f.Set(events.FlagAllowedToCharge, e.maxCellVolts < m.cfg.ChargeStopCellVolts && !m.blockCharge)
		f = f.Set(events.FlagAllowedToDischarge, e.minCellVolts > m.cfg.DischargeStopCellVolts && !m.blockDischarge)
	}
	f |= m.diagFlags
	// The pre-alarm announces that the contactor is about to open (protocol.md §4.2 bit 27).
	f = f.Set(events.FlagPreAlarm, m.opening.active)
	amps := m.hw.ShuntAmps()
	f = f.Set(events.FlagCharging, running && amps > chargingDeadbandAmps)
	f = f.Set(events.FlagDischarging, running && amps < -chargingDeadbandAmps)
	closed := m.hw.ContactorClosed()
	// S2 p.18 gives "Main safety contactor closed" for both bits 7 and 8.
	f = f.Set(events.FlagRelayDischarge, closed).Set(events.FlagRelayCharge, closed)
	f = f.Set(events.FlagLowSOC, m.socKnown && m.socPct < lowSOCPercent)
	m.flags = f.Mask(m.cfg.Firmware.Version())
}
