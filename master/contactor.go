package master

import (
	"fmt"
	"time"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/events"
)

// Every path to standby, error or shutdown passes through opening the contactor, in order: with
// the contactor closed the master first drops allowed-to-charge and allowed-to-discharge and
// raises the pre-alarm (flag bit 27), so that the GX can stop chargers and loads, and opens the
// contactor ContactorOpenDelay later; then it takes the transition.

// opening is a transition waiting for the contactor to open.
type opening struct {
	active bool
	event  string
	code   events.ErrorCode
	at     time.Duration
}

// Delays of the firmware, by version (limits.md §4.3).
const (
	// "adjusted contactor opening delay from 2 to 5 seconds. To support BOL" (changelog 1.08-04).
	contactorOpenDelay       = 5 * time.Second
	contactorOpenDelayBefore = 2 * time.Second
	// "Updated shutdown time from 2 to 8 seconds to support DVCC" (changelog 1.09-06).
	shutdownTime       = 8 * time.Second
	shutdownTimeBefore = 2 * time.Second
)

func (m *Master) openDelay() time.Duration {
	if m.cfg.Firmware.Has("1.08-04") {
		return contactorOpenDelay
	}
	return contactorOpenDelayBefore
}

func (m *Master) shutdownTime() time.Duration {
	if m.cfg.Firmware.Has("1.09-06") {
		return shutdownTime
	}
	return shutdownTimeBefore
}

// fail enters the error state with code, through opening the contactor. A second failure while
// one is pending does not replace the first, which is the one the GX sees.
func (m *Master) fail(code events.ErrorCode) {
	if m.state == stateError || m.state == stateShutdown {
		return
	}
	m.leave(evFail, code)
}

// leave takes event after opening the contactor: at once when it is not closed, otherwise after
// the opening delay with allowed-to-charge and -discharge dropped and the pre-alarm raised.
func (m *Master) leave(event string, code events.ErrorCode) {
	if m.opening.active || !m.fsm.Can(event) {
		// Already leaving, or a command the state does not take (a stop in standby, a shutdown
		// while shut down): nothing to do.
		return
	}
	if !m.hw.ContactorClosed() {
		m.complete(event, code)
		return
	}
	m.opening = opening{active: true, event: event, code: code, at: m.now + m.openDelay()}
	why := event
	if code != events.ErrNone {
		why = code.String()
	}
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityAlarm, Code: int(code),
		Message: fmt.Sprintf("%s: allowed to charge and discharge off, contactor opens in %v", why, m.openDelay())})
}

// openNow opens the contactor this step, whatever the delay: the interlock of changelog 1.09-02
// ("an external emergency switch to directly open the main contactor").
func (m *Master) openNow(event string, code events.ErrorCode) {
	m.opening = opening{}
	m.complete(event, code)
}

func (m *Master) stepOpening() {
	if m.opening.active && m.now >= m.opening.at {
		o := m.opening
		m.opening = opening{}
		m.complete(o.event, o.code)
	}
}

// complete opens the pre-charge path and the contactor and takes the transition. From v1.23 the
// master then checks that the contactor's feedback follows (changelog 1.23-03, see stepOpenCheck).
func (m *Master) complete(event string, code events.ErrorCode) {
	wasClosed := m.hw.ContactorClosed()
	m.hw.SetPrecharge(false)
	m.hw.SetContactor(false)
	if wasClosed && m.cfg.Firmware.Has("1.23-03") {
		m.openCheckAt = m.now + m.cfg.ContactorFeedbackTimeout
	}
	if code != events.ErrNone {
		m.err = m.veError(code)
		m.recordError(code)
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityError, Code: int(code), Message: code.String()})
	}
	m.storeOnLeave(event)
	m.combined.goAhead = false // a combined master waits for a new start
	m.fire(event)
}

// veError is the number VE_REG_BMS_ERROR shows for code on this firmware. Changelog 1.32-05
// "Added new VE Error reports" 37-41: before v1.32 the conditions existed but had no number of
// their own. lynxsim's assumptions [I]: a terminal over-temperature was an over-temperature
// (#15), a communication timeout a battery communication error (#23); the interlock and the
// emergency stop had none, so the GX saw the error state with error 0.
func (m *Master) veError(code events.ErrorCode) events.ErrorCode {
	if m.cfg.Firmware.Has("1.32-05") {
		return code
	}
	switch code {
	case events.ErrTerminalOverTemperature:
		return events.ErrOverTemperature
	case events.ErrCommunicationTimeout:
		return events.ErrSlaveFailure
	case events.ErrInterlock, events.ErrEmergencyStop:
		return events.ErrNone
	}
	return code
}

// beginPrecharge starts pre-charging once the batteries are registered: from v1.23 through the
// contactor check (state 17), before straight away.
func (m *Master) beginPrecharge() {
	if m.cfg.Firmware.Has("1.23-03") {
		m.fire(evCheck)
		return
	}
	m.hw.SetPrecharge(true)
	m.fire(evRegistered)
}

// stepContactorCheck: "Fixed contactor and pre-charge failure feedback" (changelog 1.23-03). The
// master reads the feedback of the contactor it has not commanded yet: closed means welded
// contacts or a stuck feedback, and pre-charging into them would hide it, so it is #26 at once.
// Before v1.23 the pre-charge met a bus already at the battery voltage and "succeeded" [I].
func (m *Master) stepContactorCheck() {
	m.hw.SetContactor(false)
	if m.hw.ContactorClosed() {
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityAlarm, Message: "contactor feedback closed before the contactor was commanded"})
		m.openNow(evFail, events.ErrContactor)
		return
	}
	if m.now-m.stateSince >= m.cfg.ContactorCheckTime {
		m.hw.SetPrecharge(true)
		m.fire(evChecked)
	}
}

// stepOpenCheck: from v1.23 a contactor whose feedback still says closed ContactorFeedbackTimeout
// after it was opened is #26 (changelog 1.23-03), also in standby or after a fail-safe, where
// the GX would otherwise believe the bank disconnected.
func (m *Master) stepOpenCheck() {
	if m.openCheckAt < 0 || m.now < m.openCheckAt {
		return
	}
	m.openCheckAt = -1
	if !m.hw.ContactorClosed() || m.err == events.ErrContactor {
		return
	}
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityAlarm, Message: "contactor feedback still closed after opening"})
	switch m.state {
	case stateError, stateShutdown:
		// Already open as far as the master can: the failure joins the last errors.
		m.err = events.ErrContactor
		m.recordError(events.ErrContactor)
	default:
		m.openNow(evFail, events.ErrContactor)
	}
}

// pending: a start-up or shutdown is under way and the state reads "Pending" (18) from v1.38,
// when VREG writes are refused ("Request is rejected/stopped when, start-up or shutdown is
// pending", changelog 1.38-06). lynxsim counts as pending the opening sequence of a stop or
// shutdown and the contactor check before pre-charge [I]: the changelog does not say which
// steps of the firmware are "pending", nor from which version the GUI's state 18 is sent.
func (m *Master) pending() bool {
	if !m.cfg.Firmware.Has("1.38-06") {
		return false
	}
	return m.state == stateContactorCheck || (m.opening.active && (m.opening.event == evStop || m.opening.event == evShutdown))
}

// storeOnLeave writes the memory as the master leaves running: always on shutdown; on a stop,
// except for a combined master before v1.26 ("Fixed SOC storage when Lynx Ion BMS is in combined
// mode and received stop command", changelog 1.26-02); on a fail-safe from v1.38 ("Saving
// tracked data when an fail-safe condition is triggered", 1.38-03).
func (m *Master) storeOnLeave(event string) {
	switch event {
	case evShutdown:
		m.save("shutdown")
	case evStop:
		if !m.settings.Combined || m.cfg.Firmware.Has("1.26-02") {
			m.save("stop")
		}
	case evFail:
		if m.cfg.Firmware.Has("1.38-03") {
			m.save("fail-safe")
		}
	}
}

// Stop takes the master to standby: contactor open through the opening sequence, the master
// awake and reporting, waiting for Start.
func (m *Master) Stop() {
	m.combined.stopped = true // a combined master stopped on purpose does not start by itself
	m.leave(evStop, events.ErrNone)
}

// Start starts a master in standby or shut down: it registers its batteries again and
// pre-charges. An error state needs Restart.
func (m *Master) Start() {
	if !m.fsm.Can(evStart) {
		return
	}
	m.off = false
	m.combined.goAhead, m.combined.stopped = true, false // a start is the command a combined master waits for
	m.strategyAtStart = m.strategySetting()
	m.startedAt, m.chargerDetected, m.deferredFail = m.now, false, events.ErrNone
	m.face.gone = false // a start brings a master silenced by bus errors back (known issue 1.13-09)
	m.restartRegistration(batbus.ReleaseRestart)
	m.fire(evStart)
}

// Shutdown powers the master down: contactor open through the opening sequence, then the shutdown
// state for the shutdown time (8 s from v1.09, changelog 1.09-06) with the DVCC set-points at the
// actual voltage (changelog 1.17-01) so that the GX stops charging and discharging, then silence.
func (m *Master) Shutdown() {
	// Known issue 1.28-03: "With version 1.27 there is a small chance that turning off a Lynx Ion
	// BMS is not possible anymore." Opted in, a v1.27 master does not turn off [I].
	if m.cfg.Firmware.Reproduces("1.28-03") {
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityWarning, Message: "turning off failed (known issue 1.28-03)"})
		return
	}
	m.leave(evShutdown, events.ErrNone)
}

func (m *Master) stepShutdown() {
	if !m.off && m.now-m.stateSince >= m.shutdownTime() {
		m.prevUserVolts = m.hw.BusVolts()
		m.off = true
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: "powered down"})
	}
}

// Restart leaves the error state and starts again, as the restart request (VREG 0x0379, S2 p.20)
// or the start button does. A safety lock (#40) is not left this way; it reports false.
func (m *Master) Restart() bool {
	if m.locked || !m.fsm.Can(evRestart) {
		return false
	}
	m.err = events.ErrNone
	m.diag = nil
	m.strategyAtStart = m.strategySetting()
	m.startedAt, m.chargerDetected, m.buttonStart, m.deferredFail = m.now, false, false, events.ErrNone
	m.restartRegistration(batbus.ReleaseRestart)
	m.fire(evRestart)
	return true
}

// Unlock ends a safety lock, as MG's unlock code does: "The BMS will restart immediately after
// unlocking" (limits.md §5.2, L4).
func (m *Master) Unlock() {
	m.locked = false
	m.Restart()
}
