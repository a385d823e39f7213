package master

import (
	"fmt"
	"time"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/events"
)

// Commands to one battery are acknowledged (docs/battery-bus.md §6): the master repeats one that
// is not acknowledged within batbus.CommandAckTimeout, with the same tag so that the battery does
// not act twice, at most batbus.CommandRetries times. A battery that still does not answer while
// its reports keep coming is a communication timeout: #39 from v1.32 (changelog 1.32-05 added
// the number); before, the only communication error the firmware reported, #23 [I].

// pendingCommand is the last command sent to one battery and not yet acknowledged.
type pendingCommand struct {
	active bool
	cmd    batbus.Command
	sentAt time.Duration
	tries  int // transmissions so far, the first included
}

// command sends c to battery b and waits for its acknowledgement. A newer command replaces one
// still unanswered: only the latest balancing mask matters.
func (m *Master) command(b *batteryInfo, c batbus.Command) {
	m.commandTag++
	c.To, c.Tag = b.address, m.commandTag
	b.command = pendingCommand{active: true, cmd: c, sentAt: m.now, tries: 1}
	m.send(m.batBus, c.Frame())
}

// onCommandAck matches an acknowledgement to the command it answers.
func (m *Master) onCommandAck(b *batteryInfo, a batbus.CommandAck) {
	p := &b.command
	if !p.active || a.Tag != p.cmd.Tag || a.Code != p.cmd.Code {
		m.counters.BatteryFramesIgnored++ // a late answer to a command already replaced
		return
	}
	if a.Result == batbus.ResultBusy {
		return // writing flash: the retry repeats it with the same tag
	}
	p.active = false
	if p.cmd.Code.IsUpdate() {
		m.onUpdateAck(b, a)
		return
	}
	if a.Result != batbus.ResultOK {
		m.counters.CommandsRefused++
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityWarning,
			Message: fmt.Sprintf("battery %d answered %v to %v", b.address, a.Result, a.Code)})
	}
}

// retryCommands repeats unanswered commands and gives up after the retries.
func (m *Master) retryCommands() {
	for _, b := range m.reg.batteries {
		p := &b.command
		timeout := batbus.CommandAckTimeout
		if p.cmd.Code.IsUpdate() {
			timeout = batbus.UpdateAckTimeout
		}
		if !p.active || m.now-p.sentAt < timeout {
			continue
		}
		if p.tries > batbus.CommandRetries {
			p.active = false
			why := fmt.Sprintf("battery %d (%s) did not acknowledge %v after %d tries", b.address, b.announce.SerialString(), p.cmd.Code, p.tries)
			if p.cmd.Code.IsUpdate() {
				m.updateFailed(events.ErrSlaveUpdate, why)
				return
			}
			m.log.Add(events.Entry{At: m.now, Severity: events.SeverityAlarm, Message: why})
			m.fail(events.ErrCommunicationTimeout)
			return
		}
		p.tries++
		p.sentAt = m.now
		m.counters.CommandRetries++
		m.send(m.batBus, p.cmd.Frame())
	}
}
