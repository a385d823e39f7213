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
	// pending holds the last Announce from each temporary address until the Describe that
	// follows it from the same address (protocol v1, docs/battery-bus.md §5.1).
	pending [int(batbus.LastTemporary-batbus.FirstTemporary) + 1]batbus.Announce
}

// announced is what a battery says of itself while unassigned: its Announce and its Describe.
type announced struct {
	batbus.Nameplate
	batbus.Describe
}

type batteryInfo struct {
	announce announced
	address  uint8
	status   batbus.Status
	cells    batbus.Extremes
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
		case batbus.MsgDescribe:
			m.onDescribe(f)
		case batbus.MsgStatus, batbus.MsgExtremes:
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

// onAnnounce keeps a battery's Announce until its Describe completes it (onDescribe). Announces
// after registration closed are counted and ignored: a battery joining a running bank needs a
// restart of the master, as on the real device.
func (m *Master) onAnnounce(f can.Frame) {
	a, err := batbus.ParseAnnounce(f)
	if err != nil {
		m.counters.BatteryFramesRejected++
		return
	}
	if m.reg.assigned {
		if b := m.reg.find(a.Serial); b != nil {
			// The battery lost its address (restarted): tell it again.
			m.send(m.batBus, batbus.Assign{Prefix: a.Prefix, Serial: a.Serial, Address: b.address}.Frame())
			return
		}
		m.counters.BatteryFramesIgnored++
		return
	}
	m.reg.pending[a.Address-batbus.FirstTemporary] = a
}

// onDescribe registers a battery that announced itself while registration is open: the Describe
// from the temporary address of its Announce.
func (m *Master) onDescribe(f can.Frame) {
	d, err := batbus.ParseDescribe(f)
	if err != nil {
		m.counters.BatteryFramesRejected++
		return
	}
	if m.reg.assigned || d.Address < batbus.FirstTemporary {
		return
	}
	a := &m.reg.pending[d.Address-batbus.FirstTemporary]
	if a.Address != d.Address {
		m.counters.BatteryFramesIgnored++ // no Announce before it
		return
	}
	if m.reg.find(a.Serial) != nil {
		return
	}
	if len(m.reg.batteries) == batbus.MaxBatteries {
		m.counters.BatteryFramesIgnored++
		return
	}
	m.reg.batteries = append(m.reg.batteries, &batteryInfo{announce: announced{a.Nameplate, d}})
	m.reg.lastNewSeen = m.now
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: fmt.Sprintf("battery serial %d announced: %s, %d cells, %d Ah", a.Serial, d.Chemistry, d.Cells, d.CapacityAh)})
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
	case batbus.MsgExtremes:
		c, err := batbus.ParseExtremes(f)
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
		if a.Chemistry != first.Chemistry || a.Product != first.Product || a.Cells != first.Cells {
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
		m.send(m.batBus, batbus.Assign{Prefix: b.announce.Prefix, Serial: b.announce.Serial, Address: b.address}.Frame())
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
