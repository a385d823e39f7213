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
		e.minCellVolts = min(e.minCellVolts, float64(b.cells.MinMillivolts)/1000)
		e.maxCellVolts = max(e.maxCellVolts, float64(b.cells.MaxMillivolts)/1000)
		n := int(b.announce.TemperatureSensors)
		if !b.tempsHeard || n == 0 {
			if b.cells.MinDeciCelsius != batbus.NASn16 {
				e.tempOK = true
				e.minCellCelsius = min(e.minCellCelsius, float64(b.cells.MinDeciCelsius)/10)
				e.maxCellCelsius = max(e.maxCellCelsius, float64(b.cells.MaxDeciCelsius)/10)
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
			e.minCellCelsius = min(e.minCellCelsius, c)
			e.maxCellCelsius = max(e.maxCellCelsius, c)
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

// computeLimits sets the DVCC limits (protocol.md §7). Charge voltage and discharge voltage come
// from per-cell values of the chemistry; charge and discharge currents from the battery's rating
// (HE by strategy, changelog 1.15-04), capped by the user's maximum-current settings (1.23-02),
// derated with temperature in steps (1 °C from v1.25, 2 °C before: 1.25-11) and, for HE, with
// the terminal temperature between 64 and 69 °C (1.19-01); and dropped to zero while
// allowed-to-charge or -discharge is off. Each limit carries the reason that set it.
func (m *Master) computeLimits() Limits {
	nan := Limit{Value: math.NaN(), Reason: "not registered"}
	if m.state == stateShutdown {
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
	first := m.reg.batteries[0].announce
	cellsInSeries := float64(m.cfg.Series) * float64(first.Cells)
	bankAh := m.reg.bankAh(m.cfg.Series)
	chargeC, chargeWhy := m.cfg.ChargeC, "charge rating"
	if first.Chemistry == batbus.ChemistryNMC {
		chargeC, chargeWhy = m.heChargeC()
	}
	cellVolts, dischargeCellVolts := m.cfg.ChargeCellVolts, m.cfg.DischargeCellVolts
	if first.Chemistry == batbus.ChemistryNMC {
		cellVolts, dischargeCellVolts = m.cfg.NMCChargeCellVolts, m.cfg.NMCDischargeCellVolts
	}
	l := Limits{
		ChargeVolts:    Limit{cellsInSeries * cellVolts, "charge voltage per cell"},
		DischargeVolts: Limit{cellsInSeries * dischargeCellVolts, "discharge voltage per cell"},
		ChargeAmps:     Limit{bankAh * chargeC, chargeWhy},
		DischargeAmps:  Limit{bankAh * m.cfg.DischargeC, "discharge rating"},
	}
	// The user's maximum currents (changelog 1.23-02: "used by the parameter control (DVCC)").
	if m.cfg.Firmware.Has("1.23-02") {
		if max := m.cfg.MaxChargeAmps; max > 0 && max < l.ChargeAmps.Value {
			l.ChargeAmps = Limit{max, "maximum charge current setting"}
		}
		if max := m.cfg.MaxDischargeAmps; max > 0 && max < l.DischargeAmps.Value {
			l.DischargeAmps = Limit{max, "maximum discharge current setting"}
		}
	}
	if f, why := m.temperatureDerating(); f < 1 {
		l.ChargeAmps = Limit{l.ChargeAmps.Value * f, why}
	}
	if f, why := m.terminalDerating(); f < 1 {
		l.ChargeAmps = Limit{min(l.ChargeAmps.Value, l.ChargeAmps.Value*f), why}
		l.DischargeAmps = Limit{l.DischargeAmps.Value * f, why}
	}
	if !m.cfg.Firmware.Has("1.32-04") {
		l.ChargeAmps = wholePercent(l.ChargeAmps, bankAh*chargeC)
		l.DischargeAmps = wholePercent(l.DischargeAmps, bankAh*m.cfg.DischargeC)
	}
	if !m.flags.Has(events.FlagAllowedToCharge) {
		l.ChargeAmps = Limit{0, m.chargeBlockedReason()}
	}
	if !m.flags.Has(events.FlagAllowedToDischarge) {
		l.DischargeAmps = Limit{0, m.dischargeBlockedReason()}
	}
	return l
}

// wholePercent is the current limit as firmware before v1.32 computed it, lynxsim's reading of
// "Updated parameter control (DVCC) supporting low current limits in relative big systems"
// (changelog 1.32-04) [I]: in whole percent of the bank's rated current, rounded down, so that in
// a big bank (16 × 280 Ah: 1 % of the 2240 A charge rating is 22.4 A) a low limit such as a
// 10 A maximum-current setting came out as 0 A.
func wholePercent(l Limit, ratedAmps float64) Limit {
	if ratedAmps <= 0 || math.IsNaN(l.Value) || l.Value >= ratedAmps {
		return l
	}
	q := math.Floor(l.Value/ratedAmps*100+1e-9) * ratedAmps / 100
	if q == l.Value {
		return l
	}
	return Limit{q, l.Reason + ", in whole percent of the rating"}
}

// heChargeC is the HE charge rating: 0.3 C before v1.15, then 0.6 C in the default (Economic)
// strategy and 1.0 C in Performance (changelog 1.15-04; limits.md §1.1).
func (m *Master) heChargeC() (float64, string) {
	switch {
	case !m.cfg.Firmware.Has("1.15-04"):
		return 0.3, "HE charge rating 0.3C"
	case m.strategy() == strategyPerformance:
		return 1.0, "HE charge rating 1.0C (Performance)"
	}
	return 0.6, "HE charge rating 0.6C (" + m.strategyName() + ")"
}

// Battery strategies (VE_REG_LYNX_ION_BMS_BATTERY_STRATEGY 0x0376, S2 p.20).
const (
	strategyDefault     = 0 // "Default", renamed "Economic" in v1.24 (changelog 1.24-04)
	strategyPerformance = 1
)

// strategy is the strategy in force: a change takes effect at once from v1.23 (changelog
// 1.23-06: "on change there is NO master reboot required anymore"), before only at the next
// start.
func (m *Master) strategy() uint8 {
	if m.cfg.Firmware.Has("1.23-06") {
		return m.strategySetting()
	}
	return m.strategyAtStart
}

// strategySetting is the strategy setting: the one written over VE.Can by the GX's operating
// system, before v1.26, held apart from the stored settings ("Fixed battery strategy handling when
// changed in operating system", changelog 1.26-01): it acted, but a power cycle lost it [I].
func (m *Master) strategySetting() uint8 {
	if m.volatileStrategy >= 0 {
		return uint8(m.volatileStrategy)
	}
	return m.settings.Strategy
}

func (m *Master) strategyName() string {
	switch {
	case m.strategy() == strategyPerformance:
		return "Performance"
	case m.cfg.Firmware.Has("1.24-04"):
		return "Economic"
	}
	return "Default"
}

// temperatureDerating lowers the charge current as the cells near the temperature limits: to
// zero over the DeratingBandCelsius below the over-temperature alarm and above the no-charge
// temperature. The temperature is taken in steps: 1 °C from v1.25, 2 °C before (changelog
// 1.25-11: "Before this was be steps of 2 degree Celsius, now fixed to steps of 1"). The band is an
// assumption (limits.md §3: the HE charge current "will be reduced automatically", shape [?]).
func (m *Master) temperatureDerating() (float64, string) {
	if !m.ext.tempOK {
		return 1, ""
	}
	l := m.limitsFor()
	stepC := m.deratingStepCelsius()
	band := m.cfg.DeratingBandCelsius
	hot := math.Floor(m.ext.maxCellCelsius/stepC) * stepC
	cold := math.Ceil(m.ext.minCellCelsius/stepC) * stepC
	f := 1.0
	why := ""
	if x := (l.AlarmHighCelsius - hot) / band; x < f {
		f, why = max(0, x), "temperature derating (hot)"
	}
	if x := (cold - l.AlarmLowChargeCelsius) / band; x < f {
		f, why = max(0, x), "temperature derating (cold)"
	}
	return f, why
}

// deratingStepCelsius is the step the temperature is taken in for derating: 1 °C from v1.25,
// 2 °C before (changelog 1.25-11).
func (m *Master) deratingStepCelsius() float64 {
	if m.cfg.Firmware.Has("1.25-11") {
		return 1
	}
	return 2
}

// terminalDerating lowers charge and discharge current when an HE positive terminal is between 64
// and 69 °C (changelog 1.19-01: "DVCC will decrease charge and discharge current when terminal
// temperature comes above 64°C to 69°C"): linearly from full at 64 °C to zero at 69 °C.
func (m *Master) terminalDerating() (float64, string) {
	if !m.cfg.Firmware.Has("1.19-01") {
		return 1, ""
	}
	const from, to = 64.0, 69.0
	t := m.maxTerminalCelsius()
	if t <= from {
		return 1, ""
	}
	return max(0, (to-t)/(to-from)), "terminal temperature derating"
}

func (m *Master) chargeBlockedReason() string {
	if m.opening.active {
		return "contactor opening"
	}
	if m.combinedHold() {
		return "combined start-up wait"
	}
	if m.state != stateRunning {
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
	if m.combinedHold() {
		return "combined start-up wait"
	}
	if m.state != stateRunning {
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
	running := m.state == stateRunning
	e := m.ext
	if running && e.ok && !m.opening.active && !m.combinedHold() {
		f = f.Set(events.FlagAllowedToCharge, !m.atcCells.off && !m.blockCharge)
		f = f.Set(events.FlagAllowedToDischarge, !m.atdCells.off && !m.blockDischarge)
	}
	f |= m.diagFlags
	f = f.Set(events.FlagBalancing, m.balancing())
	// The pre-alarm announces that the contactor is about to open (protocol.md §4.2 bit 27).
	f = f.Set(events.FlagPreAlarm, m.opening.active)
	amps := m.hw.ShuntAmps()
	f = f.Set(events.FlagCharging, running && amps > chargingDeadbandAmps)
	f = f.Set(events.FlagDischarging, running && amps < -chargingDeadbandAmps)
	closed := m.hw.ContactorClosed()
	// S2 p.18 gives "Main safety contactor closed" for both bits 7 and 8.
	f = f.Set(events.FlagRelayDischarge, closed).Set(events.FlagRelayCharge, closed)
	f = f.Set(events.FlagLowSOC, m.socKnown && m.socPct < lowSOCPercent)
	// Bits 0-3 (L2 names them; the conditions are not published, limits.md §4.8 [?]): charged
	// once the SOC is synchronised to 100 %, almost charged from AlmostChargedSOCPercent,
	// discharged while the cells hold allowed-to-discharge off, almost discharged at the "5~10 %
	// left" of the relay's discharge warning (L3).
	if running {
		f = f.Set(events.FlagCharged, m.socKnown && m.socPct >= 100)
		f = f.Set(events.FlagAlmostCharged, m.socKnown && m.socPct >= m.cfg.AlmostChargedSOCPercent)
		f = f.Set(events.FlagDischarged, e.ok && m.atdCells.off)
		f = f.Set(events.FlagAlmostDischarged, m.socKnown && m.socPct <= m.cfg.DischargeWarningSOCPercent)
	}
	m.flags = f & m.versionFlags
}
