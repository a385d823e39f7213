package master

import (
	"fmt"
	"sort"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/events"
)

// registration is what the master knows of its batteries.
type registration struct {
	batteries   []*batteryInfo // in address order once assigned
	lastNewSeen time.Duration
	assigned    bool
}

type batteryInfo struct {
	announce batbus.Announce
	address  uint8
	status   batbus.Status
	cells    batbus.Cells
	reported bool // a status and a cells frame have arrived
	gotCells bool
	gotStat  bool
}

func (r *registration) find(serial uint32) *batteryInfo {
	for _, b := range r.batteries {
		if b.announce.Serial == serial {
			return b
		}
	}
	return nil
}

func (r *registration) byAddress(addr uint8) *batteryInfo {
	if addr == 0 || int(addr) > len(r.batteries) || !r.assigned {
		return nil
	}
	return r.batteries[addr-1]
}

// bankAh is the bank capacity: the parallel strings times the smallest battery, which limits each
// string.
func (r *registration) bankAh(series int) float64 {
	if len(r.batteries) == 0 {
		return 0
	}
	smallest := r.batteries[0].announce.CapacityAh
	for _, b := range r.batteries {
		smallest = min(smallest, b.announce.CapacityAh)
	}
	return float64(smallest) * float64(len(r.batteries)/series)
}

func (m *Master) receiveBatteryBus() {
	m.rx = m.batBus.Receive(m.rx[:0])
	for _, f := range m.rx {
		msg, addr, ok := batbus.Split(f)
		if !ok {
			m.counters.BatteryFramesIgnored++
			continue
		}
		switch msg {
		case batbus.MsgAnnounce:
			m.onAnnounce(f)
		case batbus.MsgStatus, batbus.MsgCells:
			b := m.reg.byAddress(addr)
			if b == nil {
				m.counters.BatteryFramesIgnored++
				continue
			}
			m.onReport(b, msg, f)
		default:
			m.counters.BatteryFramesIgnored++
		}
	}
}

// onAnnounce registers a battery that announces itself while registration is open. Announces
// after registration closed are counted and ignored: a battery joining a running bank needs a
// restart of the master, as on the real device.
func (m *Master) onAnnounce(f can.Frame) {
	a, err := batbus.ParseAnnounce(f)
	if err != nil {
		m.counters.BatteryFramesRejected++
		return
	}
	if m.reg.assigned {
		if b := m.reg.find(a.Serial); b != nil && a.FromAddress == batbus.Unassigned {
			// The battery lost its address (restarted): tell it again.
			m.send(m.batBus, batbus.Assign{Serial: a.Serial, Address: b.address}.Frame())
			return
		}
		m.counters.BatteryFramesIgnored++
		return
	}
	if m.reg.find(a.Serial) != nil {
		return
	}
	if len(m.reg.batteries) == batbus.MaxBatteries {
		m.counters.BatteryFramesIgnored++
		return
	}
	m.reg.batteries = append(m.reg.batteries, &batteryInfo{announce: a})
	m.reg.lastNewSeen = m.now
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: fmt.Sprintf("battery serial %d announced: %s, %d cells, %d Ah", a.Serial, a.Chemistry, a.Cells, a.CapacityAh)})
}

func (m *Master) onReport(b *batteryInfo, msg batbus.Message, f can.Frame) {
	switch msg {
	case batbus.MsgStatus:
		s, err := batbus.ParseStatus(f)
		if err != nil {
			m.counters.BatteryFramesRejected++
			return
		}
		b.status, b.gotStat = s, true
	case batbus.MsgCells:
		c, err := batbus.ParseCells(f)
		if err != nil {
			m.counters.BatteryFramesRejected++
			return
		}
		b.cells, b.gotCells = c, true
	}
	b.reported = b.gotStat && b.gotCells
}

// stepInitializing runs the initializing phases (protocol.md §4.3 values 0–8): wait for the
// batteries to announce (WAIT_BOOT), check and address them (INIT), wait for their first
// measurements (MEAS_BAT_VOLTAGE), then start pre-charging.
func (m *Master) stepInitializing() {
	switch m.initPhase {
	case events.StateWaitStart:
		// The slice starts at power-up; the start/stop button comes with the master issue.
		m.initPhase = events.StateWaitBoot
		m.stateSince = m.now
	case events.StateWaitBoot:
		if len(m.reg.batteries) == 0 {
			if m.now-m.stateSince >= m.cfg.RegistrationTimeout {
				m.fail(events.ErrNoBatteryFound)
			}
			return
		}
		if m.now-m.reg.lastNewSeen < m.cfg.RegistrationQuiet {
			return
		}
		if code := m.checkBank(); code != events.ErrNone {
			m.fail(code)
			return
		}
		m.assignAddresses()
		m.initPhase = events.StateInit
		m.stateSince = m.now
	case events.StateInit:
		for _, b := range m.reg.batteries {
			if !b.reported {
				if m.now-m.stateSince >= m.cfg.FirstReportTimeout {
					m.fail(events.ErrSlaveFailure)
				}
				return
			}
		}
		m.initPhase = events.StateMeasBatVoltage
	case events.StateMeasBatVoltage:
		m.socPct = m.batterySOC()
		m.socKnown = true
		m.hw.SetPrecharge(true)
		m.fire(evRegistered)
	}
}

// checkBank checks the announced batteries against each other and the configuration.
func (m *Master) checkBank() events.ErrorCode {
	first := m.reg.batteries[0].announce
	for _, b := range m.reg.batteries[1:] {
		a := b.announce
		if a.Chemistry != first.Chemistry || a.Model != first.Model || a.Cells != first.Cells {
			return events.ErrBatteryType // #4, S2 p.18
		}
	}
	n := len(m.reg.batteries)
	if m.cfg.ExpectedBatteries != 0 && n != m.cfg.ExpectedBatteries {
		return events.ErrNumberOfBatteries // #5, S2 p.18
	}
	if n%m.cfg.Series != 0 {
		return events.ErrBatteriesInSeries // #9
	}
	return events.ErrNone
}

// assignAddresses gives addresses 1, 2, … in serial-number order, so that the same bank gets the
// same addresses whatever order its batteries announced in.
func (m *Master) assignAddresses() {
	sort.Slice(m.reg.batteries, func(i, j int) bool {
		return m.reg.batteries[i].announce.Serial < m.reg.batteries[j].announce.Serial
	})
	for i, b := range m.reg.batteries {
		b.address = uint8(i + 1)
		m.send(m.batBus, batbus.Assign{Serial: b.announce.Serial, Address: b.address}.Frame())
	}
	m.reg.assigned = true
}

// batterySOC is the capacity-weighted mean of the batteries' own SOC: the master's starting
// point until it has counted charge itself (NVM comes with the master issue).
func (m *Master) batterySOC() float64 {
	var ah, weighted float64
	for _, b := range m.reg.batteries {
		c := float64(b.announce.CapacityAh)
		ah += c
		weighted += c * float64(b.status.SOCHundredths) / 100
	}
	if ah == 0 {
		return 0
	}
	return weighted / ah
}
