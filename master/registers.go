package master

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
)

// IdentityKind chooses how the master presents itself on NMEA 2000 (changelog 1.35-02).
type IdentityKind uint8

// The identities.
const (
	IdentityLynxIon  IdentityKind = iota // Victron Energy "Lynx Ion BMS"
	IdentityMasterLV                     // MG Energy Systems "Master LV", from v1.35
)

func (m *Master) identity() vecan.Identity {
	if m.cfg.Identity == IdentityMasterLV {
		return vecan.IdentityMG(m.cfg.Model)
	}
	return vecan.IdentityVictron(m.cfg.Model)
}

// Settings are the master's user settings that VE.Can reads and writes (S2 p.20 "Settings: This
// VREG's can be read and written"). The strategy, charge-detect start-up and Bluetooth act; the
// combined setting decides whether a stop stores the SOC before v1.26. Synchronisation groups and
// the battery counts are held and reported only: they act with the combined-mode issue.
type Settings struct {
	SyncGroup       uint8 // 0x0374: 0 off, 1-3
	StartupOnCharge bool  // 0x0375
	Strategy        uint8 // 0x0376: 0 Economic (Default before 1.24-04), 1 Performance
	Combined        bool  // 0x0377
	Parallel        uint8 // 0x0387: 0 automatic, 1-96
	Series          uint8 // 0x0388: 0 automatic, 1-96
	Bluetooth       bool  // 0x0090
	DeviceName      string

	// IO settings, made with MG's tool (no VREG): the invert settings of changelog 1.09-03 and the
	// programmable relay's function (1.09-04; RelayFunctionSet false: the version's default).
	InvertChargeRelay, InvertChargeSignal       bool
	InvertDischargeRelay, InvertDischargeSignal bool
	RelayFunction                               RelayFunction
	RelayFunctionSet                            bool
	// InterlockEnabled switches the interlock input on (changelog 1.09-02; a tool setting).
	InterlockEnabled bool
}

// linkTimeout is how long a charger-link value written over VE.Can holds: velib marks the link
// registers "60s timeout" (protocol.md §3.3, S6).
const linkTimeout = 60 * time.Second

// Get gives the raw value of a register the master holds (vecan.Store). The table decides what
// each version has; this only says what the master knows now.
func (m *Master) Get(reg vecan.Register) (uint32, bool) {
	e := m.ext
	switch reg {
	case vecan.RegProductID:
		// Flags: bit 0 "VUP support", set from v1.14 when the master reports its VUP bootloader
		// (changelog 1.14-10; velib's VE_PROD_ID_F_VUP_SUPPORT, the rest reserved ones) [I].
		flags := uint8(0xFE)
		if m.cfg.Firmware.Has("1.14-10") {
			flags |= 0x01
		}
		return vecan.PackProductID(0, m.identity().ProductID, flags), true
	case vecan.RegAppVersion:
		return vecan.PackAppVersion(0, m.cfg.Firmware.Version().AppVer()), true
	case vecan.RegDeviceInstance:
		return uint32(m.cfg.DeviceInstance), true
	case vecan.RegDCChannel1Voltage:
		return uint32(uint16(int16(math.Round(m.hw.BatteryVolts() * 100)))), true
	case vecan.RegDCChannel1Current:
		return uint32(uint16(int16(math.Round(m.hw.ShuntAmps() * 10)))), true
	case vecan.RegMinMaxCellVoltage:
		if !e.ok {
			return 0, false
		}
		return pair(e.minCellVolts*100, e.maxCellVolts*100), true
	case vecan.RegMinMaxCellTemperature:
		if !e.ok {
			return 0, false
		}
		return pair((e.minCellCelsius+celsiusToKelvin)*100, (e.maxCellCelsius+celsiusToKelvin)*100), true
	case vecan.RegSOC:
		if !m.socKnown {
			return 0xFFFF, true
		}
		return uint32(math.Round(m.socPct * 100)), true
	case vecan.RegTTG:
		ttg := m.timeToGo()
		if ttg < 0 {
			return 0xFFFF, true
		}
		return uint32(min(ttg/time.Minute, 0xFFFE)), true
	case vecan.RegLynxIonConsumedAh, vecan.RegConsumedAh:
		return uint32(int32(math.Round(m.consumedAh() * 10))), true
	case vecan.RegBMSLastErrors, vecan.RegLynxIonLastError:
		h := &m.history.lastErrors
		return vecan.PackUn8x4(h[0].code, h[1].code, h[2].code, h[3].code), true
	case vecan.RegBMSLastError1Time, vecan.RegBMSLastError2Time, vecan.RegBMSLastError3Time, vecan.RegBMSLastError4Time:
		return m.history.lastErrors[reg-vecan.RegBMSLastError1Time].unix, true
	case vecan.RegBMSFlags:
		return uint32(m.flags), true
	case vecan.RegLynxIonFlags:
		// Bits 0-21 of VE_REG_BMS_FLAGS map 1-on-1 (protocol.md §4.2, S4).
		return uint32(m.flags) & (1<<22 - 1), true
	case vecan.RegLynxIonState:
		return uint32(m.State()), true
	case vecan.RegDeviceState:
		// Changelog 1.17-05 "Updated VE CAN-bus device state to support combined battery systems":
		// lynxsim's reading [I] is that from v1.17 the generic VE_REG_DEVICE_STATE carries the BMS
		// state, so that a GX managing several masters can read one register of each; before, it
		// is not answered.
		if !m.cfg.Firmware.Has("1.17-05") {
			return 0, false
		}
		return uint32(m.State()), true
	case vecan.RegLynxIonVoltage:
		// The combined control output voltage (0x037A): the bus while the contactor is closed,
		// N/A (0xFFFFFFFF) while the output is not active (protocol.md §3.3, S3).
		if !m.isCombined() || !m.hw.ContactorClosed() {
			return math.MaxUint32, true
		}
		return uint32(math.Round(m.hw.BusVolts() * 100)), true
	case vecan.RegLynxIonCombinedState:
		return uint32(m.combinedState()), true
	case vecan.RegBMSError, vecan.RegLynxIonErrorFlags:
		// 0x0372 is "a value, not a bit mask" (protocol.md §4.3, S3).
		return uint32(m.err), true
	case vecan.RegRelayControl:
		return boolRaw(m.Outputs().ProgrammableRelay), true
	case vecan.RegBatteryCapacity:
		if !m.reg.assigned {
			return 0, false
		}
		return uint32(math.Round(m.reg.bankAh(m.cfg.Series))), true
	case vecan.RegBatteryConfiguration:
		if !m.reg.assigned || len(m.reg.batteries) == 0 {
			return 0, false
		}
		n := len(m.reg.batteries)
		return vecan.PackUn8x4(uint8(n), m.reg.batteries[0].announce.Cells, uint8(n/m.cfg.Series), uint8(m.cfg.Series)), true
	case vecan.RegChargeVoltageLimit:
		return limitRaw(m.limits.ChargeVolts.Value, 100), true
	case vecan.RegChargeCurrentLimit:
		return limitRaw(m.limits.ChargeAmps.Value, 10), true
	case vecan.RegDischargeVoltageLimit:
		return limitRaw(m.limits.DischargeVolts.Value, 100), true
	case vecan.RegDischargeCurrentLimit:
		return limitRaw(m.limits.DischargeAmps.Value, 10), true
	case vecan.RegLinkChargeCurrentPercent:
		p, _ := m.chargerLink()
		if math.IsNaN(p) {
			return 0xFF, true
		}
		return uint32(math.Round(p)), true
	case vecan.RegLinkChargeCurrentLimit:
		_, a := m.chargerLink()
		if math.IsNaN(a) {
			return 0xFFFF, true
		}
		return uint32(min(math.Round(a*10), 0xFFFE)), true
	case vecan.RegLynxIonShutdownsDueToError:
		return uint32(m.history.shutdownsDueToError), true
	case vecan.RegLynxIonSyncGroup, vecan.RegLynxIonStartupOnCharge, vecan.RegLynxIonBatteryStrategy,
		vecan.RegLynxIonCombined, vecan.RegBatteryParallel, vecan.RegBatterySeries, vecan.RegBLEMode:
		s := m.settings
		s.Strategy = m.strategySetting()
		return settingRaw(&s, reg)
	}
	return m.history.get(reg)
}

// Set takes a VREG write (vecan.Store). The server has checked that the register is writable on
// this firmware and the value in range.
func (m *Master) Set(now time.Duration, reg vecan.Register, raw uint32) vecan.AckCode {
	if m.pending() {
		return vecan.AckBusy // changelog 1.38-06
	}
	if why := m.badCombination(reg, raw); why != "" && m.cfg.Firmware.Has("1.35-08") {
		m.log.Add(events.Entry{At: now, Severity: events.SeverityWarning, Message: "setting refused: " + why})
		return vecan.AckErrCmd
	}
	switch reg {
	case vecan.RegSOC:
		// Changelog 1.09-07: the SOC can be changed by VREG command.
		m.socPct, m.socKnown = float64(raw)/100, true
		m.log.Add(events.Entry{At: now, Severity: events.SeverityInfo, Message: "SOC set over VE.Can"})
	case vecan.RegRelayControl:
		// Changelog 1.09-08: VE_REG_RELAY_CONTROL drives the programmable relay.
		m.relayClosed = raw == 1
	case vecan.RegLinkChargeCurrentPercent:
		m.linkOverride.percent, m.linkOverride.until = float64(raw), now+linkTimeout
	case vecan.RegLinkChargeCurrentLimit:
		m.linkOverride.amps, m.linkOverride.until = float64(raw)/10, now+linkTimeout
	case startStopRegister:
		return m.startStop(raw)
	case vecan.RegLynxIonSyncGroup:
		m.settings.SyncGroup = uint8(raw)
	case vecan.RegLynxIonStartupOnCharge:
		m.settings.StartupOnCharge = raw == 1
	case vecan.RegLynxIonBatteryStrategy:
		if m.cfg.Firmware.Has("1.26-01") {
			m.settings.Strategy = uint8(raw)
		} else {
			m.volatileStrategy = int(raw)
		}
	case vecan.RegLynxIonCombined:
		m.settings.Combined = raw == 1
	case vecan.RegBatteryParallel:
		m.settings.Parallel = uint8(raw)
	case vecan.RegBatterySeries:
		m.settings.Series = uint8(raw)
	case vecan.RegBLEMode:
		m.settings.Bluetooth = raw == 1
	default:
		return vecan.AckErrCmd
	}
	m.veSettings = m.settings
	if m.volatileStrategy >= 0 {
		m.veSettings.Strategy = uint8(m.volatileStrategy)
	}
	return vecan.AckOK
}

// badCombination says why writing raw to reg would leave settings that make no sense together,
// "" if it would not. From v1.35 such a write is refused ("Updated proper setting combinations
// handling", changelog 1.35-08); before, it was stored as it came. Which combinations the firmware
// checks is not published; lynxsim's choice [I]: a SOC synchronisation group (0x0374) only in a
// combined system (0x0377, the groups are "parallel-system" settings, changelog 1.11-02), and no
// more batteries in series × parallel (0x0387, 0x0388) than the battery bus can address.
func (m *Master) badCombination(reg vecan.Register, raw uint32) string {
	s := m.settings
	switch reg {
	case vecan.RegLynxIonSyncGroup:
		if raw != 0 && !s.Combined {
			return "a synchronisation group needs a combined system"
		}
	case vecan.RegLynxIonCombined:
		if raw == 0 && s.SyncGroup != 0 {
			return "leaving combined mode would orphan synchronisation group " + strconv.Itoa(int(s.SyncGroup))
		}
	case vecan.RegBatteryParallel, vecan.RegBatterySeries:
		series, parallel := uint32(s.Series), uint32(s.Parallel)
		if reg == vecan.RegBatterySeries {
			series = raw
		} else {
			parallel = raw
		}
		if series != 0 && parallel != 0 && series*parallel > batbus.MaxBatteries {
			return fmt.Sprintf("%d in series × %d in parallel is more than the %d batteries the master addresses", series, parallel, batbus.MaxBatteries)
		}
	}
	return ""
}

// settingRaw gives a setting register's raw value from s.
func settingRaw(s *Settings, reg vecan.Register) (uint32, bool) {
	switch reg {
	case vecan.RegLynxIonSyncGroup:
		return uint32(s.SyncGroup), true
	case vecan.RegLynxIonStartupOnCharge:
		return boolRaw(s.StartupOnCharge), true
	case vecan.RegLynxIonBatteryStrategy:
		return uint32(s.Strategy), true
	case vecan.RegLynxIonCombined:
		return boolRaw(s.Combined), true
	case vecan.RegBatteryParallel:
		return uint32(s.Parallel), true
	case vecan.RegBatterySeries:
		return uint32(s.Series), true
	case vecan.RegBLEMode:
		return boolRaw(s.Bluetooth), true
	}
	return 0, false
}

// getBroadcast is Get as the VE.Can broadcaster sees it. Before v1.34 a setting changed by MG's
// tool or app did not reach it: the broadcaster saw the settings as VE.Can had last set them, so
// the GX learned of the change only by asking ("Updated broadcasting VREG settings when changed by
// tool or app", changelog 1.34-06).
func (m *Master) getBroadcast(reg vecan.Register) (uint32, bool) {
	if !m.broadcastsLiveSettings { // changelog 1.34-06
		if raw, ok := settingRaw(&m.veSettings, reg); ok {
			return raw, true
		}
	}
	return m.Get(reg)
}

// ChangeSettings changes the settings as MG's tool or app does (over Bluetooth or USB, not VE.Can).
func (m *Master) ChangeSettings(change func(*Settings)) {
	change(&m.settings)
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: "settings changed by the tool or app"})
}

// GetLong gives string registers (vecan.LongStore): serial number, model name, device name, as
// velib's stringZeroEnded with the terminating zero.
func (m *Master) GetLong(reg vecan.Register, dst []byte) ([]byte, bool) {
	var s string
	switch reg {
	case vecan.RegSerialNumber:
		s = m.cfg.Serial
	case vecan.RegModelName:
		s = m.identity().ModelID
	case vecan.RegDescription1:
		s = m.settings.DeviceName
	default:
		return dst, false
	}
	return append(append(dst, s...), 0), true
}

// SetLong takes the device name (changelog 1.32-01: "set device name by NMEA2000").
func (m *Master) SetLong(now time.Duration, reg vecan.Register, value []byte) vecan.AckCode {
	if reg != vecan.RegDescription1 {
		return vecan.AckErrCmd
	}
	if m.pending() {
		return vecan.AckBusy // changelog 1.38-06
	}
	for i, c := range value {
		if c == 0 {
			value = value[:i]
			break
		}
	}
	m.settings.DeviceName = string(value)
	return vecan.AckOK
}

// chargerLink is what the master tells chargers on the link registers: the charge current limit
// as amps and as a share of the bank's rated charge current ("controlled %" and "controlled amps"
// from v1.09, changelog 1.09-09/10), unless a value written over VE.Can is still in force [I].
// Before v1.09 the percentage was "0 or 100%" and the limit, lynxsim assumes, the rated current or
// nothing, following allowed-to-charge.
func (m *Master) chargerLink() (percent, amps float64) {
	percent, amps = math.NaN(), m.limits.ChargeAmps.Value
	rated := m.reg.bankAh(m.cfg.Series) * m.cfg.ChargeC
	if rated > 0 && !math.IsNaN(amps) {
		allowed := m.flags.Has(events.FlagAllowedToCharge)
		percent = min(100, 100*amps/rated)
		if !m.cfg.Firmware.Has("1.09-09") {
			percent = 0
			if allowed {
				percent = 100
			}
		}
		if !m.cfg.Firmware.Has("1.09-10") {
			amps = 0
			if allowed {
				amps = rated
			}
		}
	}
	if o := m.linkOverride; m.now < o.until {
		if o.percent >= 0 {
			percent = o.percent
		}
		if o.amps >= 0 {
			amps = o.amps
		}
	}
	return percent, amps
}

// consumedAh is the charge taken from a full bank, negative as Victron shows it.
func (m *Master) consumedAh() float64 {
	if !m.socKnown {
		return 0
	}
	return (m.socPct - 100) / 100 * m.reg.bankAh(m.cfg.Series)
}

func pair(lo, hi float64) uint32 {
	return uint32(uint16(math.Round(lo))) | uint32(uint16(math.Round(hi)))<<16
}

func boolRaw(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func limitRaw(v, perUnit float64) uint32 {
	if math.IsNaN(v) {
		return math.MaxUint32 // N/A (S2 p.20)
	}
	return uint32(max(0, math.Round(v*perUnit)))
}
