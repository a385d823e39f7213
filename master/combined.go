package master

import (
	"fmt"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/n2k"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
)

// Combined systems (changelog 1.18-01): several masters, each with its bank, in parallel on the
// same loads and chargers, managed by a GX through DVCC. What the documents say and what lynxsim
// makes of it:
//
//   - VE_REG_LYNX_ION_BMS_COMBINED (0x0377) on: "the Lynx Ion BMS will not automatically close the
//     contactor, only on command from the user" (protocol.md §3.3, S3). A combined master
//     registers its batteries and waits in standby for a start: the button, or from v1.25 a start
//     over VE.Can (1.25-09).
//   - VE_REG_LYNX_ION_BMS_COMBINED_STATE (0x0378), 1 pre-charging, 2 running: "only broadcasted by
//     the Lynx Ion BMS that is pre-charging or in running state, this is to let other devices know
//     to not start on request anymore". A waiting master that hears another pre-charging refuses a
//     start; one that hears another running while the bus stands at its own battery voltage starts
//     by itself ("other Lynx Ion BMS's will start automatically because the system voltage should
//     still be stable", 1.21-02).
//   - From v1.21 a combined master waits 13 s after it runs before it allows charge or discharge
//     (1.21-02).
//   - Start and stop over VE.Can (1.25-09): the documents do not name the register (protocol.md
//     §8 item 5). lynxsim uses VE_REG_LYNX_ION_BMS_RESTART_REQUEST (0x0379): 1 starts (and
//     restarts from an error, on every version), 0 stops. startStopRegister is the one place to
//     change that.
//   - SOC synchronisation of parallel systems (1.11-02): masters with the same group (0x0374, 1-3)
//     synchronise: a master whose SOC synchronises to 100 % broadcasts VE_REG_LYNX_ION_BMS_SYNCHRONIZE
//     (0x0373) with its group, and the others of the group take 100 % too [I]. From v1.26 a master
//     whose contactor is open ignores it (1.26-03).

// startStopRegister carries the combined start and stop commands (an assumption, see above).
const startStopRegister = vecan.RegLynxIonRestartRequest

// combinedStartWait is the wait before charge or discharge is allowed (changelog 1.21-02).
const combinedStartWait = 13 * time.Second

// combinedHeard is how long a COMBINED_STATE broadcast from another master counts: the running
// master repeats it every combinedPeriod.
const (
	combinedPeriod = time.Second
	combinedHeard  = 3 * time.Second
)

// combined state of this master and what it heard of the others.
type combined struct {
	goAhead       bool          // a start was given: registration goes on to pre-charge
	stopped       bool          // stopped by command: no automatic start until a start command
	otherState    uint8         // the last COMBINED_STATE heard from another master
	otherAt       time.Duration // when
	nextBroadcast time.Duration
	runningSince  time.Duration
	syncsSent     uint32 // autoSyncs already announced to the group
}

// isCombined: the setting is on and the firmware has combined systems.
func (m *Master) isCombined() bool { return m.settings.Combined && m.cfg.Firmware.Has("1.18-01") }

// combinedState is this master's VE_REG_LYNX_ION_BMS_COMBINED_STATE: 1 pre-charging, 2 running,
// 0 otherwise (not broadcast).
func (m *Master) combinedState() uint8 {
	if !m.isCombined() {
		return 0
	}
	switch m.state {
	case stateContactorCheck, statePreCharging, stateGoingToRun:
		return 1
	case stateRunning:
		return 2
	}
	return 0
}

// otherCombined is what another master said recently: 0 when none spoke.
func (m *Master) otherCombined() uint8 {
	if m.combined.otherState == 0 || m.now-m.combined.otherAt > combinedHeard {
		return 0
	}
	return m.combined.otherState
}

// waitForStart: a combined master with its batteries registered waits in standby.
func (m *Master) waitForStart() bool {
	if !m.isCombined() || m.combined.goAhead {
		return false
	}
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: "combined: batteries registered, waiting for a start"})
	m.fire(evWait)
	return true
}

// combinedStart is a start command to a combined master (button or VE.Can). It is refused while
// another master pre-charges.
func (m *Master) combinedStart(why string) bool {
	if m.otherCombined() == 1 {
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityWarning, Message: "combined: start refused (" + why + "): another master is pre-charging"})
		return false
	}
	m.combined.goAhead, m.combined.stopped = true, false
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: "combined: start (" + why + ")"})
	if m.state == stateStandby && m.reg.assigned && !m.off {
		// Waiting with its batteries registered: on to the pre-charge at once, so that the others
		// hear COMBINED_STATE pre-charging from now on.
		m.beginPrecharge()
		return true
	}
	m.Start()
	return true
}

// stepCombined runs in every awake state: the automatic start of a waiting master, and the
// combined-state broadcast.
func (m *Master) stepCombined() {
	if !m.isCombined() {
		return
	}
	if m.state == stateStandby && !m.combined.goAhead && !m.combined.stopped && m.otherCombined() == 2 &&
		absf(m.hw.BusVolts()-m.hw.BatteryVolts()) <= m.cfg.PrechargeDoneVolts {
		m.combinedStart("another master runs and the bus stands at the battery voltage")
	}
	if m.state != stateRunning {
		m.combined.runningSince = -1
	} else if m.combined.runningSince < 0 {
		m.combined.runningSince = m.now
	}
}

// combinedHold: from v1.21 a combined master allows neither charge nor discharge for 13 s after
// it starts running (changelog 1.21-02).
func (m *Master) combinedHold() bool {
	return m.isCombined() && m.cfg.Firmware.Has("1.21-02") && m.state == stateRunning &&
		m.combined.runningSince >= 0 && m.now-m.combined.runningSince < combinedStartWait
}

// combinedFrames adds what the VE.Can face sends for combined mode: COMBINED_STATE every
// combinedPeriod while pre-charging or running, and the group's SOC synchronisation.
func (f *veFace) combinedFrames(now time.Duration, self uint8) {
	m := f.m
	if st := m.combinedState(); st != 0 && now >= m.combined.nextBroadcast {
		m.combined.nextBroadcast = now + combinedPeriod
		f.tx = append(f.tx, vecan.VREG{Register: vecan.RegLynxIonCombinedState, Value: uint32(st), Size: 1}.Frame(self, n2k.Broadcast))
	}
	if g := m.settings.SyncGroup; g != 0 && m.cfg.Firmware.Has("1.11-02") && m.history.autoSyncs != m.combined.syncsSent {
		m.combined.syncsSent = m.history.autoSyncs
		f.tx = append(f.tx, vecan.VREG{Register: vecan.RegLynxIonSynchronize, Value: uint32(g), Size: 1}.Frame(self, n2k.Broadcast))
	}
}

// fromOtherMaster takes a VREG broadcast of another device that combined mode and the group
// synchronisation listen to. It reports whether it was one of those.
func (f *veFace) fromOtherMaster(now time.Duration, self uint8, id n2k.ID, fr can.Frame) bool {
	m := f.m
	v, ok := vecan.ParseVREG(fr)
	if !ok || id.Source == self || id.Destination != n2k.Broadcast {
		return false
	}
	switch v.Register {
	case vecan.RegLynxIonCombinedState:
		m.combined.otherState, m.combined.otherAt = uint8(v.Value), now
		return true
	case vecan.RegLynxIonSynchronize:
		g := m.settings.SyncGroup
		if g == 0 || uint8(v.Value) != g || !m.cfg.Firmware.Has("1.11-02") {
			return true
		}
		if m.cfg.Firmware.Has("1.26-03") && !m.hw.ContactorClosed() {
			m.log.Add(events.Entry{At: now, Severity: events.SeverityInfo, Message: "SOC synchronisation ignored: contactor open"})
			return true
		}
		if m.socKnown && m.socPct < 100 {
			m.socPct = 100
			m.log.Add(events.Entry{At: now, Severity: events.SeverityInfo, Message: fmt.Sprintf("SOC synchronised to 100 %% by group %d", g)})
		}
		return true
	case vecan.RegSOC:
		// Known issue 1.09-15 (fixed in v1.10, 1.10-01): "More than one Lynx Ion BMS connected to
		// the VE-CAN result in 100% busload because devices constantly answer to each other,
		// caused by SOC Vreg." Opted in on v1.09, a master answers another's SOC broadcast with its
		// own at once, and two of them never stop [I].
		if m.cfg.Firmware.Reproduces("1.09-15") {
			if raw, ok := m.Get(vecan.RegSOC); ok {
				f.tx = append(f.tx, vecan.VREG{Register: vecan.RegSOC, Value: raw, Size: 2}.Frame(self, n2k.Broadcast))
			}
		}
		return false
	}
	return false
}

func absf(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// startStop takes a write of startStopRegister: 1 restarts a master in error (every version) and,
// from v1.25, starts one in standby or shut down (changelog 1.25-09); 0 stops it, from v1.25.
func (m *Master) startStop(raw uint32) vecan.AckCode {
	if raw == 1 && m.state == stateError {
		if !m.Restart() {
			return vecan.AckBusy // a safety lock needs its unlock code
		}
		return vecan.AckOK
	}
	if !m.cfg.Firmware.Has("1.25-09") {
		return vecan.AckErrCmd
	}
	if raw == 0 {
		m.Stop()
		return vecan.AckOK
	}
	if !m.fsm.Can(evStart) {
		return vecan.AckOK // already running or starting
	}
	if m.isCombined() {
		if !m.combinedStart("VE.Can") {
			return vecan.AckBusy
		}
		return vecan.AckOK
	}
	m.Start()
	return vecan.AckOK
}

// LED patterns of the green status LED in combined mode (changelog 1.25-09): "Short pulse,
// service mode; on/off toggle, waiting for start command; Long pulse, ready to start when output
// voltage is the same as the battery voltage."
const (
	LEDService         = "service"           // short pulse (lynxsim: while updating a battery [I])
	LEDWaitingForStart = "waiting-for-start" // on/off toggle
	LEDReadyToStart    = "ready-to-start"    // long pulse: the bus stands at the battery voltage
	LEDOn              = "on"
	LEDOff             = "off"
)

// StatusLED is the green LED's pattern as a reported state, for a combined master from v1.25;
// "" where the documents give no pattern (not combined, or before v1.25).
func (m *Master) StatusLED() string {
	if !m.isCombined() || !m.cfg.Firmware.Has("1.25-09") {
		return ""
	}
	switch m.state {
	case stateUpdating:
		return LEDService
	case stateStandby:
		if absf(m.hw.BusVolts()-m.hw.BatteryVolts()) <= m.cfg.PrechargeDoneVolts {
			return LEDReadyToStart
		}
		return LEDWaitingForStart
	case stateRunning:
		return LEDOn
	}
	return LEDOff
}
