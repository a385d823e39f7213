package master

import "github.com/lynxsim/lynxsim/events"

// The interlock (changelog 1.09-02): "Added setting for interlock enable. The interlock can be used
// for an external emergency switch to directly open the main contactor." With the setting on, an
// open interlock loop opens the contactor at once, without the opening sequence's delay, and the
// master goes to the error state. Changelog 1.32-05 gave the GX two numbers, 37 "Interlock" and 38
// "Emergency stop"; no document says which condition takes which. lynxsim's assumption [I]: an
// interlock found open before the contactor has closed (start-up) is #37, the master refusing to
// connect; one that opens while the contactor is closed is #38, the emergency switch. Restart (the
// button or VREG 0x0379) starts again once the loop is closed.

// interlockInput is the hardware that has the interlock input (the plant has).
type interlockInput interface {
	InterlockOpen() bool
}

func (m *Master) stepInterlock() {
	if !m.settings.InterlockEnabled || !m.cfg.Firmware.Has("1.09-02") {
		return
	}
	in, ok := m.hw.(interlockInput)
	if !ok || !in.InterlockOpen() {
		return
	}
	switch m.state {
	case stateError, stateShutdown, stateStandby:
		return
	}
	code := events.ErrInterlock
	if m.hw.ContactorClosed() {
		code = events.ErrEmergencyStop
	}
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityAlarm, Code: int(code), Message: "interlock open: contactor opened directly"})
	m.openNow(evFail, code)
}
