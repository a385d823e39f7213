package master

import (
	"errors"
	"fmt"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/events"
)

// Battery firmware update (state 13, SLAVE_UPDATING; docs/battery-bus.md §7.4): the master sends
// an image to one battery in 256-byte blocks of 32 UpdateData frames, each committed by an
// UpdateBlock command with its CRC-16, and closes with UpdateEnd and the image's CRC-16. Every
// step is a command to one battery, repeated with the same tag while unanswered. A battery that
// refuses to begin (another processor) is #29 "Slave update unavailable"; one that refuses a
// block three times, refuses the end, or stops answering is #28 "Slave update failure". A
// finished update registers the batteries again. The master updates only from standby, with the
// contactor open: the documents do not say, and a battery restarting under load would be a
// fail-safe [I].

// FirmwareImage is a battery firmware image and the processor it is built for.
type FirmwareImage struct {
	Data      []byte
	Processor uint8
}

// blockRefusals is how often a block may be refused (a CRC mismatch) before the update fails: an
// assumption, the same bound as the command retries.
const blockRefusals = batbus.CommandRetries

type update struct {
	active   bool
	battery  *batteryInfo
	image    []byte // padded to whole blocks with 0xFF
	blocks   int
	next     int // the block being sent
	refusals int
	// knownIssueFired: the v1.13 update failure (changelog 1.13-08) has happened once.
	knownIssueFired bool
}

// UpdateBattery starts updating the battery at address with img.
func (m *Master) UpdateBattery(address uint8, img FirmwareImage) error {
	b := m.reg.byAddress(address)
	switch {
	case m.state != stateStandby:
		return fmt.Errorf("master: a battery is updated from standby, with the contactor open; the master is %s", m.state)
	case b == nil:
		return fmt.Errorf("master: no battery registered at address %d", address)
	case len(img.Data) == 0 || len(img.Data) > batbus.MaxImageSize:
		return fmt.Errorf("master: a firmware image is 1 to %d bytes, not %d", batbus.MaxImageSize, len(img.Data))
	case img.Processor == 0 || img.Processor == 0xFF:
		return errors.New("master: a firmware image names its processor, 1 to 254")
	}
	blocks := (len(img.Data) + batbus.UpdateBlockSize - 1) / batbus.UpdateBlockSize
	padded := make([]byte, blocks*batbus.UpdateBlockSize)
	copy(padded, img.Data)
	for i := len(img.Data); i < len(padded); i++ {
		padded[i] = 0xFF
	}
	fired := m.update.knownIssueFired
	m.update = update{active: true, battery: b, image: padded, blocks: blocks, knownIssueFired: fired}
	m.fire(evUpdate)
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: fmt.Sprintf("updating battery %d (%s): %d blocks", address, b.announce.SerialString(), blocks)})
	m.command(b, batbus.Command{Code: batbus.CmdUpdateBegin, ImageSize: uint32(len(img.Data)), Processor: img.Processor})
	return nil
}

// onUpdateAck moves the update on by the battery's answer to its last update command.
func (m *Master) onUpdateAck(b *batteryInfo, a batbus.CommandAck) {
	u := &m.update
	if !u.active || b != u.battery || m.state != stateUpdating {
		return
	}
	switch a.Code {
	case batbus.CmdUpdateBegin:
		if a.Result != batbus.ResultOK {
			m.updateFailed(events.ErrSlaveUpdateUnavailable, "the battery refused the image")
			return
		}
		m.sendBlock()
	case batbus.CmdUpdateBlock:
		if a.Result != batbus.ResultOK {
			if u.refusals++; u.refusals > blockRefusals {
				m.updateFailed(events.ErrSlaveUpdate, fmt.Sprintf("block %d refused %d times", u.next, u.refusals))
				return
			}
			m.sendBlock()
			return
		}
		u.next++
		u.refusals = 0
		if m.knownUpdateFailure() {
			return
		}
		if u.next < u.blocks {
			m.sendBlock()
			return
		}
		m.command(b, batbus.Command{Code: batbus.CmdUpdateEnd, Blocks: uint16(u.blocks), CRC: batbus.CRC16(u.image)})
	case batbus.CmdUpdateEnd:
		if a.Result != batbus.ResultOK {
			m.updateFailed(events.ErrSlaveUpdate, "the battery refused the image at the end")
			return
		}
		m.update = update{knownIssueFired: u.knownIssueFired}
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: fmt.Sprintf("battery %d updated", b.address)})
		m.restartRegistration(batbus.ReleaseRestart)
		m.fire(evUpdated)
	}
}

// sendBlock sends block u.next: its 32 UpdateData frames, then the UpdateBlock that commits it.
func (m *Master) sendBlock() {
	u := &m.update
	block := u.image[u.next*batbus.UpdateBlockSize : (u.next+1)*batbus.UpdateBlockSize]
	for off := 0; off < len(block); off += 8 {
		var d batbus.UpdateData
		d.To = u.battery.address
		copy(d.Data[:], block[off:off+8])
		m.send(m.batBus, d.Frame())
	}
	m.command(u.battery, batbus.Command{Code: batbus.CmdUpdateBlock, Block: uint16(u.next), CRC: batbus.CRC16(block)})
}

// knownUpdateFailure reproduces changelog 1.13-08 when opted in on v1.13: "Firmware update might
// fail in some situations, but can be restarted. Fixed in v1.14". lynxsim's reading [I]: the first
// update fails half way with #28; started again, it completes.
func (m *Master) knownUpdateFailure() bool {
	u := &m.update
	if !m.cfg.Firmware.Reproduces("1.13-08") || u.knownIssueFired || u.next != u.blocks/2 || u.blocks < 2 {
		return false
	}
	u.knownIssueFired = true
	m.updateFailed(events.ErrSlaveUpdate, "update interrupted (known issue 1.13-08)")
	return true
}

// updateFailed aborts the update at the battery and enters the error state.
func (m *Master) updateFailed(code events.ErrorCode, why string) {
	u := m.update
	m.update = update{knownIssueFired: u.knownIssueFired}
	if u.battery != nil {
		m.command(u.battery, batbus.Command{Code: batbus.CmdUpdateAbort})
		u.battery.command.active = false // nobody waits for the abort's answer
	}
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityAlarm, Code: int(code), Message: "battery update failed: " + why})
	m.fail(code)
}
