package master

import (
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/events"
)

// CAN bus errors on VE.Can, as the kernel reports them in error frames (linux/can/error.h: the
// class bits of the id).
const (
	canErrBusOff    = 0x040 // CAN_ERR_BUSOFF: the controller left the bus
	canErrRestarted = 0x100 // CAN_ERR_RESTARTED: the controller is back after a bus-off
)

// busOffWait is how long a master of v1.25 or later keeps off VE.Can after a bus-off when no
// restart is reported ("Updated CAN-bus error handling", changelog 1.25-06): an assumption, a
// second, an order above Linux's usual restart-ms.
const busOffWait = time.Second

// The known issue of changelog 1.13-09 ("Device disappearing on VE-CAN-bus caused by CAN-bus
// errors, (produced by Venus GX reboot)", fixed in v1.14 by 1.14-01), reproduced on request: a
// burst of goneErrorBurst error frames within goneWindow silences the master on VE.Can until it is
// restarted. The burst size is an assumption: a GX rebooting disturbs the bus for a moment.
const (
	goneErrorBurst = 10
	goneWindow     = time.Second
)

// onErrorFrame counts an error frame and acts on its class.
func (f *veFace) onErrorFrame(now time.Duration, fr can.Frame) {
	m := f.m
	m.counters.VECanErrorFrames++
	class := fr.ID &^ canbus.ErrFlag
	if f.knownIssueGone() && !f.gone {
		if now-f.errorsSince > goneWindow {
			f.errorsSince, f.errorsInBurst = now, 0
		}
		if f.errorsInBurst++; f.errorsInBurst >= goneErrorBurst {
			f.gone = true
			m.log.Add(events.Entry{At: now, Severity: events.SeverityWarning, Message: "VE.Can: silent after a burst of bus errors (known issue 1.13-09)"})
		}
	}
	if !m.cfg.Firmware.Has("1.25-06") {
		return // before v1.25 the master goes on transmitting into whatever the controller does
	}
	switch {
	case class&canErrBusOff != 0 && !f.busOff:
		f.busOff, f.resumeAt = true, now+busOffWait
		m.log.Add(events.Entry{At: now, Severity: events.SeverityWarning, Message: "VE.Can: bus-off: transmitting stops until the bus is back"})
	case class&canErrRestarted != 0 && f.busOff:
		f.resumeAt = now
	}
}

// knownIssueGone: the 1.13-09 disappearance is opted in and the version has it (before 1.14).
func (f *veFace) knownIssueGone() bool {
	return f.m.cfg.Firmware.Reproduces("1.13-09")
}

// afterBusErrors filters what the face would send: nothing while silenced by the known issue or
// waiting out a bus-off; on the way back from a bus-off, the address claim first, so that the
// other nodes and the GX know the master is there again.
func (f *veFace) afterBusErrors(now time.Duration, tx []can.Frame) []can.Frame {
	switch {
	case f.gone:
		return tx[:0]
	case f.busOff && now < f.resumeAt:
		return tx[:0]
	case f.busOff:
		f.busOff = false
		f.m.log.Add(events.Entry{At: now, Severity: events.SeverityInfo, Message: "VE.Can: back after bus-off, claiming the address again"})
		return append(tx[:0], f.claimer.Reclaim(now))
	}
	return tx
}
