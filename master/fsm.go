package master

import (
	"context"
	"fmt"

	"github.com/looplab/fsm"

	"github.com/lynxsim/lynxsim/events"
)

// Top-level states. Each maps onto a VE_REG_LYNX_ION_BMS_STATE value (protocol.md §4.3, S4,
// S2 p.18); initializing covers the values 0–8, told apart by its substate.
const (
	stateInitializing   = "initializing"
	stateContactorCheck = "contactor_check"
	statePreCharging    = "pre_charging"
	stateGoingToRun     = "going_to_run"
	stateRunning        = "running"
	stateStandby        = "standby"
	stateShutdown       = "shutdown"
	stateError          = "error"
	stateUpdating       = "updating_battery"
)

// Events of the top-level machine.
const (
	evRegistered = "registered" // batteries found and consistent: start pre-charging (before v1.23)
	evCheck      = "check"      // batteries found and consistent: check the contactor is open first (from v1.23)
	evChecked    = "checked"    // the contactor's feedback says open: start pre-charging
	evPrecharged = "precharged" // bus voltage reached the battery voltage: contactor commanded
	evClosed     = "closed"     // contactor feedback confirmed
	evFail       = "fail"       // an error: open everything
	evStop       = "stop"       // stop command: contactor open, master awake (standby)
	evStart      = "start"      // start command from standby or shutdown
	evShutdown   = "shutdown"   // power down after the shutdown time
	evRestart    = "restart"    // leave the error state and start again
	evWait       = "wait"       // combined mode: batteries registered, wait in standby for a start
	evUpdate     = "update"     // update a battery's firmware (from standby)
	evUpdated    = "updated"    // the battery took its new firmware: register again
)

// Every state the master runs in, for the event lists below.
var (
	operating = []string{stateInitializing, stateContactorCheck, statePreCharging, stateGoingToRun, stateRunning}
	awake     = append(append([]string(nil), operating...), stateStandby, stateUpdating)
)

func newFSM() *fsm.FSM {
	return fsm.NewFSM(stateInitializing, fsm.Events{
		// From standby too: a combined master waits there with its batteries registered, and a start
		// goes straight on to the pre-charge.
		{Name: evRegistered, Src: []string{stateInitializing, stateStandby}, Dst: statePreCharging},
		{Name: evCheck, Src: []string{stateInitializing, stateStandby}, Dst: stateContactorCheck},
		{Name: evChecked, Src: []string{stateContactorCheck}, Dst: statePreCharging},
		{Name: evPrecharged, Src: []string{statePreCharging}, Dst: stateGoingToRun},
		{Name: evClosed, Src: []string{stateGoingToRun}, Dst: stateRunning},
		{Name: evFail, Src: awake, Dst: stateError},
		{Name: evStop, Src: operating, Dst: stateStandby},
		{Name: evStart, Src: []string{stateStandby, stateShutdown}, Dst: stateInitializing},
		{Name: evRestart, Src: []string{stateError}, Dst: stateInitializing},
		{Name: evWait, Src: []string{stateInitializing}, Dst: stateStandby},
		{Name: evUpdate, Src: []string{stateStandby}, Dst: stateUpdating},
		{Name: evUpdated, Src: []string{stateUpdating}, Dst: stateInitializing},
		{Name: evShutdown, Src: append(append([]string(nil), awake...), stateError), Dst: stateShutdown},
	}, nil)
}

// fire takes a transition and logs it. A refused transition is a bug in the master's own logic,
// so it is logged as an alarm rather than ignored.
func (m *Master) fire(event string) {
	from := m.state
	if err := m.fsm.Event(context.Background(), event); err != nil {
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityAlarm, Message: fmt.Sprintf("internal: event %s refused in %s: %v", event, from, err)})
		return
	}
	m.stateSince = m.now
	// The state is read many times a step; looplab/fsm guards Current with a lock, so the master
	// keeps its own copy, changed only here.
	m.state = m.fsm.Current()
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Code: int(m.State()), Message: fmt.Sprintf("state %s → %s", from, m.state)})
}

// State returns the VE_REG_LYNX_ION_BMS_STATE value of the present state.
func (m *Master) State() events.State {
	if m.pending() && m.state != stateContactorCheck {
		return events.StatePending
	}
	switch m.state {
	case stateContactorCheck:
		return events.StateContactorCheck
	case statePreCharging:
		return events.StatePreCharging
	case stateGoingToRun:
		return events.StateGoingToRun
	case stateRunning:
		return events.StateRunning
	case stateError:
		return events.StateError
	case stateStandby:
		return events.StateStandby
	case stateUpdating:
		return events.StateSlaveUpdating
	case stateShutdown:
		return events.StateShutdown
	}
	return m.initPhase
}
