package master

import (
	"fmt"
	"math"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/bmscan"
	"github.com/lynxsim/lynxsim/events"
)

// ExternalProtocol is what the master speaks on its external CAN port: VE.Can (NMEA 2000), or one
// of MG's 11-bit CAN-bus BMS protocols; "a combination of SMA with NMEA2000 is not possible"
// (protocol.md §1.1, S2 p.2).
type ExternalProtocol uint8

// The external protocols.
const (
	ProtocolVECan   ExternalProtocol = iota
	ProtocolSMA                      // 48 V systems only (S2 p.3)
	ProtocolGeneral                  // from v1.24 (changelog 1.24-03)
)

func (p ExternalProtocol) String() string {
	switch p {
	case ProtocolSMA:
		return "SMA"
	case ProtocolGeneral:
		return "General BMS"
	}
	return "VE.Can"
}

func (p ExternalProtocol) bmscan() bmscan.Protocol {
	if p == ProtocolSMA {
		return bmscan.SMA
	}
	return bmscan.General
}

// bmsOut sends the CAN-bus BMS cycle every 500 ms (S2 p.3, p.6) in place of the VE.Can face.
type bmsOut struct {
	next    time.Duration
	refused bool // the protocol does not fit the system (SMA below 48 V): nothing is sent
	cycle   bmscan.Cycle
	tx      []can.Frame
}

func (m *Master) stepBMSOut(now time.Duration) {
	o := &m.bmsOut
	m.rx = m.veCan.Receive(m.rx[:0])
	// The inverter's frames (0x305 keep-alive and the like) need no answer.
	m.counters.VECanFramesIgnored += uint64(len(m.rx))
	if now < o.next || !m.reg.assigned || o.refused {
		return
	}
	o.next = now + bmscan.Interval
	p := m.cfg.External.bmscan()
	if err := bmscan.Supports(p, int(math.Round(m.systemNominalVolts()/24))*24); err != nil {
		o.refused = true
		m.log.Add(events.Entry{At: now, Severity: events.SeverityWarning, Message: fmt.Sprintf("%v: nothing sent", err)})
		return
	}
	m.fillCycle(&o.cycle)
	// The 120.0 A ceiling of the SMA current limits before v1.20 (changelog 1.20-01).
	ceiling := bmscan.CurrentCeilingAmps(m.cfg.Firmware.Has("1.20-01"))
	o.tx = o.cycle.AppendFrames(o.tx[:0], p, ceiling)
	for _, f := range o.tx {
		m.send(m.veCan, f)
	}
}

// fillCycle puts the master's state into the frames of S2's CAN-bus BMS protocols.
func (m *Master) fillCycle(c *bmscan.Cycle) {
	nan := math.NaN()
	l := m.limits
	c.Limits = bmscan.Limits{ChargeVoltage: l.ChargeVolts.Value, ChargeCurrent: l.ChargeAmps.Value, DischargeCurrent: l.DischargeAmps.Value, DischargeVoltage: l.DischargeVolts.Value}
	// Changelog 1.35-05 "Improved General and SMA CAN-bus protocol, maximum supported system
	// voltage handling": from v1.35 the charge voltage sent to the inverter never exceeds the
	// highest voltage the protocol's 48 V systems support; before, a bank whose charge voltage
	// lay above it (2 × HE in series: 14 × 4.20 V = 58.8 V) sent it as computed [I].
	if m.cfg.Firmware.Has("1.35-05") && c.Limits.ChargeVoltage > m.cfg.ExternalMaxSystemVolts {
		c.Limits.ChargeVoltage = m.cfg.ExternalMaxSystemVolts
	}
	soc := nan
	if m.socKnown {
		soc = m.socPct
	}
	c.Status = bmscan.Status{SOC: math.Floor(soc + 1e-9), SOH: nan, SOCHighRes: soc}
	temp := nan
	if m.ext.tempOK {
		temp = m.ext.maxCellCelsius
	}
	c.BasicInfo = bmscan.BasicInfo{Voltage: m.hw.BatteryVolts(), Current: m.hw.ShuntAmps(), TemperatureC: temp}
	c.AlarmsWarnings = m.alarmsWarnings()
	c.Events = bmscan.Events{PreventiveShutdown: m.state == stateShutdown || (m.opening.active && m.opening.event == evShutdown)}
	c.Manufacturer = bmscan.DefaultManufacturer()
	v := m.cfg.Firmware.Version()
	c.SystemInfo = bmscan.SystemInfo{MasterType: bmscan.MasterTypeID, SoftwareMajor: v.Major, SoftwareMinor: v.Minor,
		CapacityAh: m.reg.bankAh(m.cfg.Series), HardwareConfig: m.identity().ProductID}
	c.CellInfo = bmscan.CellInfo{MinCellVoltage: nan, MaxCellVoltage: nan, MinCellTemperatureK: nan, MaxCellTemperatureK: nan}
	if m.ext.ok {
		c.CellInfo.MinCellVoltage, c.CellInfo.MaxCellVoltage = m.ext.minCellVolts, m.ext.maxCellVolts
	}
	if m.ext.tempOK {
		c.CellInfo.MinCellTemperatureK = m.ext.minCellCelsius + celsiusToKelvin
		c.CellInfo.MaxCellTemperatureK = m.ext.maxCellCelsius + celsiusToKelvin
	}
	c.Energy = bmscan.Energy{ChargedKWh: m.history.chargedKWh, DischargedKWh: m.history.dischargedKWh}
	// A serial that does not fit the two 8-character frames goes out empty rather than cut.
	if hi, lo, err := bmscan.SplitSerial(m.cfg.Serial); err == nil {
		c.SerialHigh, c.SerialLow = hi, lo
	}
}

// alarmsWarnings maps the BMS flags onto 0x35A (S2 p.4): each condition OK or active; the
// general alarm and warning summarise the rest. From v1.34 the general warning also carries every
// warning that has no field of its own ("Updated SMA general warning with all warnings that are not
// handled", changelog 1.34-08).
func (m *Master) alarmsWarnings() bmscan.AlarmsWarnings {
	f := m.flags
	st := func(on bool) bmscan.State {
		if on {
			return bmscan.Active
		}
		return bmscan.OK
	}
	a := bmscan.Conditions{
		HighVoltage: st(f.Has(events.FlagAlarmOverVoltage)), LowVoltage: st(f.Has(events.FlagAlarmUnderVoltage)),
		HighTemperature: st(f.Has(events.FlagAlarmOverTemperature)), LowTemperature: st(f.Has(events.FlagAlarmUnderTemperatureDischarge) || f.Has(events.FlagAlarmUnderTemperature)),
		HighTemperatureCharge: st(false), LowTemperatureCharge: st(f.Has(events.FlagAlarmUnderTemperatureCharge)),
		HighCurrent: st(f.Has(events.FlagAlarmHighCurrent)), HighChargeCurrent: st(false),
		Contactor: st(m.err == events.ErrContactor), ShortCircuit: st(f.Has(events.FlagAlarmShortCircuit)),
		BMSInternal: st(f.Has(events.FlagAlarmHardwareFailure)), CellImbalance: st(false),
	}
	a.General = st(m.state == stateError || a.HighVoltage == bmscan.Active || a.LowVoltage == bmscan.Active ||
		a.HighTemperature == bmscan.Active || a.HighCurrent == bmscan.Active)
	w := bmscan.Conditions{
		HighVoltage: st(f.Has(events.FlagWarnOverVoltage)), LowVoltage: st(f.Has(events.FlagWarnUnderVoltage)),
		HighTemperature: st(f.Has(events.FlagWarnOverTemperature)), LowTemperature: st(f.Has(events.FlagWarnUnderTemperatureDischarge)),
		HighTemperatureCharge: st(false), LowTemperatureCharge: st(f.Has(events.FlagWarnUnderTemperatureCharge)),
		HighCurrent: st(f.Has(events.FlagWarnDischargeCurrent)), HighChargeCurrent: st(f.Has(events.FlagWarnChargeCurrent)),
		Contactor: st(f.Has(events.FlagWarnBadContactor)), ShortCircuit: st(false), BMSInternal: st(false),
		CellImbalance: st(f.Has(events.FlagWarnCellImbalance)),
	}
	general := f.Has(events.FlagWarnOverVoltage) || f.Has(events.FlagWarnUnderVoltage) || f.Has(events.FlagWarnOverTemperature)
	if m.cfg.Firmware.Has("1.34-08") {
		general = general || m.warningActive()
	}
	w.General = st(general)
	return bmscan.AlarmsWarnings{Alarms: a, Warnings: w}
}
