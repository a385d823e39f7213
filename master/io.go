package master

import (
	"time"

	"github.com/lynxsim/lynxsim/events"
)

// The master's outputs: the allowed-to-charge and allowed-to-discharge relays and signals, and
// the programmable relay; and its one input, the start/stop button.

// RelayFunction is what the programmable relay does (changelog 1.09-04, 1.14-09, 1.25-03; the MG
// docs' list, limits.md §4.6, L3).
type RelayFunction uint8

// The relay functions.
const (
	RelayDisabled RelayFunction = iota // the relay follows VE_REG_RELAY_CONTROL (changelog 1.09-08)
	RelaySystemActivated
	RelayWarning
	RelayFailSafe
	RelayDischargeNotAllowedWarning // the default from v1.14 (changelog 1.14-09)
	RelayExternalPrecharge          // from v1.25 (changelog 1.25-03)
)

// IO is the state of the master's outputs, as a wiring diagram would show them.
type IO struct {
	ChargeRelay, ChargeSignal       bool // closed / high: charging allowed, unless inverted
	DischargeRelay, DischargeSignal bool
	ProgrammableRelay               bool // closed
}

// relayFunction is the programmable relay's function in force: the setting, or the default of
// the version (changelog 1.14-09: "changed the default function to 'Discharge not allowed
// warning', which is automatically selected by updating to this firmware"). Before v1.09 there is
// no programmable relay function at all (1.09-04).
func (m *Master) relayFunction() RelayFunction {
	switch {
	case !m.cfg.Firmware.Has("1.09-04"):
		return RelayDisabled
	case m.settings.RelayFunctionSet:
		f := m.settings.RelayFunction
		if f == RelayExternalPrecharge && !m.cfg.Firmware.Has("1.25-03") {
			return RelayDisabled
		}
		return f
	case m.cfg.Firmware.Has("1.14-09"):
		return RelayDischargeNotAllowedWarning
	}
	return RelayDisabled
}

// Outputs returns the outputs now. The invert settings exist from v1.09 (changelog 1.09-03).
func (m *Master) Outputs() IO {
	atc, atd := m.flags.Has(events.FlagAllowedToCharge), m.flags.Has(events.FlagAllowedToDischarge)
	inv := m.cfg.Firmware.Has("1.09-03")
	io := IO{
		ChargeRelay: atc != (inv && m.settings.InvertChargeRelay), ChargeSignal: atc != (inv && m.settings.InvertChargeSignal),
		DischargeRelay: atd != (inv && m.settings.InvertDischargeRelay), DischargeSignal: atd != (inv && m.settings.InvertDischargeSignal),
	}
	switch m.relayFunction() {
	case RelayDisabled:
		io.ProgrammableRelay = m.relayClosed
	case RelaySystemActivated:
		io.ProgrammableRelay = m.state == stateRunning
	case RelayWarning:
		io.ProgrammableRelay = m.warningActive()
	case RelayFailSafe:
		io.ProgrammableRelay = m.state == stateError
	case RelayDischargeNotAllowedWarning:
		// "normally closed and will open when the 'Discharge not allowed warning' occurs"
		// (changelog 1.14-09).
		io.ProgrammableRelay = !m.dischargeNotAllowedWarning()
	case RelayExternalPrecharge:
		io.ProgrammableRelay = m.state == statePreCharging
	}
	return io
}

// warningActive: any warning of the MG "Warning" list (limits.md §5.1, L3) is raised. Battery
// leakage and humidity join the list from v1.34 (changelog 1.34-05).
func (m *Master) warningActive() bool {
	for i := range diagnoses {
		if m.diag == nil || !m.diag[i].active {
			continue
		}
		switch diagnoses[i].name {
		case "battery leakage", "battery humidity":
			if !m.cfg.Firmware.Has("1.34-05") {
				continue
			}
		}
		return true
	}
	return false
}

// dischargeNotAllowedWarning: the battery is almost discharged (5~10 % SOC left, L3), the
// temperature is near a discharge limit (2 °C below the high one, 1 °C above the low one, L3), the
// master is in fail-safe, or it is about to shut down.
func (m *Master) dischargeNotAllowedWarning() bool {
	l := m.limitsFor()
	switch {
	case m.state == stateError, m.state == stateShutdown, m.opening.active && m.opening.event == evShutdown:
		return true
	case m.socKnown && m.socPct <= m.cfg.DischargeWarningSOCPercent:
		return true
	case m.ext.tempOK && (m.ext.maxCellCelsius >= l.AlarmHighCelsius-2 || m.ext.minCellCelsius <= l.AlarmLowDischargeCelsius+1):
		return true
	}
	return false
}

// externalPrecharge drives an external pre-charge circuit through the programmable relay, where
// the hardware has one (changelog 1.25-03).
func (m *Master) externalPrecharge() {
	if ep, ok := m.hw.(interface{ SetExternalPrecharge(bool) }); ok && m.relayFunction() == RelayExternalPrecharge {
		ep.SetExternalPrecharge(m.state == statePreCharging)
	}
}

// The start/stop button: "When master is active, push the start/stop button 3 times, after 1
// seconds this will be acknowledged by 3 fast beeps and LED flashes. Bluetooth is enabled or
// disabled" (changelog 1.23-10). Presses more than a second apart start a new count [I].
const (
	buttonPresses    = 3
	buttonSettleTime = time.Second
)

// PressButton is one press of the start/stop button. A master that is off or in standby starts.
func (m *Master) PressButton() {
	if m.off || m.state == stateStandby {
		if m.isCombined() && !m.off {
			m.combinedStart("button")
		} else {
			m.Start()
		}
		m.buttonStart = true
		return
	}
	if m.now-m.lastPress > buttonSettleTime {
		m.presses = 0
	}
	m.presses++
	m.lastPress = m.now
}

func (m *Master) stepButton() {
	if m.presses == 0 || m.now-m.lastPress < buttonSettleTime {
		return
	}
	n := m.presses
	m.presses = 0
	if n == buttonPresses && m.cfg.Firmware.Has("1.23-10") && m.state != stateShutdown {
		m.settings.Bluetooth = !m.settings.Bluetooth
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: "Bluetooth toggled by the button (3 beeps)"})
	}
}

// Charge-detect wake-up: a master that is off starts when the user-side voltage rises through about
// 18 V and the setting is on (VE_REG_LYNX_ION_BMS_STARTUP_ON_CHARGE_DETECT 0x0375: "automatically
// startup when user voltage rises above ~18V", protocol.md §3.3, S3). Before v1.36 it also woke
// with the setting off ("Fixed unwanted charger detect wake up in case the setting is disabled",
// changelog 1.36-08).
const chargeDetectVolts = 18

func (m *Master) stepWake() {
	if !m.off {
		return
	}
	hw, ok := m.hw.(interface{ UserVolts() float64 })
	if !ok {
		return
	}
	// A rise through the level, not a level: the bus that was just disconnected is still
	// charged and only decays through the bleed.
	v, prev := hw.UserVolts(), m.prevUserVolts
	m.prevUserVolts = v
	if !(prev <= chargeDetectVolts && v > chargeDetectVolts) {
		return
	}
	if m.settings.StartupOnCharge || !m.cfg.Firmware.Has("1.36-08") {
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: "charger detected: starting"})
		m.Start()
	}
}

// stepChargeDetectAwake: after a start from the button, the master's own pre-charge raises the
// user-side voltage through the charge-detect level. Before v1.30 the detector, still armed, took
// that for an external charger ("Fixed unwanted external charger detection when start button is
// pressed", changelog 1.30-06), which counted as the charging the critical start-up of 1.09-01
// waits for [I]: a bank with no charger got ten minutes instead of two.
func (m *Master) stepChargeDetectAwake() {
	hw, ok := m.hw.(interface{ UserVolts() float64 })
	if !ok {
		return
	}
	v, prev := hw.UserVolts(), m.prevUserVolts
	m.prevUserVolts = v
	if !m.buttonStart || m.cfg.Firmware.Has("1.30-06") || m.chargerDetected {
		return
	}
	switch m.state {
	case stateInitializing, stateContactorCheck, statePreCharging, stateGoingToRun:
	default:
		return
	}
	if prev <= chargeDetectVolts && v > chargeDetectVolts {
		m.chargerDetected = true
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: "external charger detected"})
	}
}
