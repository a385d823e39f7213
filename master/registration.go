package master

import (
	"fmt"
	"sort"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/events"
)

// registration is what the master knows of its batteries (battery-bus protocol v1,
// docs/battery-bus.md).
type registration struct {
	batteries   []*batteryInfo // in serial order; addresses 1, 2, … once assigned
	lastNewSeen time.Duration
	assigned    bool
	// pending holds the last Announce from each temporary address until the Describe that
	// follows it from the same address.
	pending [int(batbus.LastTemporary-batbus.FirstTemporary) + 1]batbus.Announce

	nextHeartbeat time.Duration
	heartbeatSeq  uint8
	conflicts     int  // registrations restarted because two batteries shared an address
	verifying     bool // the identity check of start-up was asked for (from v1.38)
	// smallestAh is the smallest capacity among batteries while smallestOf is len(batteries):
	// bankAh is asked many times a step, the batteries change only by registration.
	smallestAh uint16
	smallestOf int
}

// announced is what a battery says of itself while unassigned: its Announce and its Describe.
type announced struct {
	batbus.Nameplate
	batbus.Describe
}

type batteryInfo struct {
	announce announced
	address  uint8

	// Assignment: the Assign is repeated until the battery acknowledges it.
	acked       bool
	assignedAt  time.Duration
	assignTries int
	identified  bool // its Identity confirmed the address (the start-up check of v1.38)

	status       batbus.Status
	cells        batbus.Extremes
	lastStatusAt time.Duration
	gotStat      bool
	gotCells     bool
	reported     bool // a Status and an Extremes have arrived

	firmware         batbus.Firmware
	environment      batbus.Environment
	terminals        batbus.Terminals
	cellMillivolt    [batbus.MaxCells]uint16
	sensorDeciC      [batbus.MaxTemperatureSensors]int16
	tempsHeard       bool // every sensor reported at least once
	cellsHeard       uint32
	cellsHeardAll    bool
	balanceMask      uint32 // the cells last commanded to bleed
	sensorsHeard     uint32
	terminalsHeard   bool
	deviatingSensors int // excluded by the v1.38 sensor check (changelog 1.38-08)
	command          pendingCommand
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
// string ("Lowest capacity will be used for calculations", changelog 1.38-07).
func (r *registration) bankAh(series int) float64 {
	if len(r.batteries) == 0 {
		return 0
	}
	if r.smallestOf != len(r.batteries) {
		r.smallestAh = r.batteries[0].announce.CapacityAh
		for _, b := range r.batteries {
			r.smallestAh = min(r.smallestAh, b.announce.CapacityAh)
		}
		r.smallestOf = len(r.batteries)
	}
	return float64(r.smallestAh) * float64(len(r.batteries)/series)
}

// detailFrames is how many CellVoltages and Temperatures frames the bank sends per round.
func (r *registration) detailFrames() int {
	n := 0
	for _, b := range r.batteries {
		n += batbus.IndexedFrames(int(b.announce.Cells)) + batbus.IndexedFrames(int(b.announce.TemperatureSensors))
	}
	return n
}

func (m *Master) receiveBatteryBus() {
	m.rx = m.batBus.Receive(m.rx[:0])
	if len(m.rx) > 0 {
		m.batteryInputs++
	}
	for _, f := range m.rx {
		msg, addr, ok := batbus.Split(f)
		if !ok {
			m.counters.BatteryFramesIgnored++
			continue
		}
		switch msg {
		case batbus.MsgAnnounce:
			m.onAnnounce(f)
			continue
		case batbus.MsgDescribe:
			if addr >= batbus.FirstTemporary {
				m.onDescribe(f)
				continue
			}
		case batbus.MsgAssign, batbus.MsgRelease, batbus.MsgCommand, batbus.MsgHeartbeat, batbus.MsgUpdateData:
			// Master messages: another master on our battery bus is a wiring fault, not ours to
			// act on.
			m.counters.BatteryFramesIgnored++
			continue
		}
		b := m.reg.byAddress(addr)
		if b == nil {
			m.counters.BatteryFramesIgnored++
			continue
		}
		m.onReport(b, msg, f)
	}
}

// onAnnounce keeps a battery's Announce until its Describe completes it (onDescribe). After
// registration a battery that announces again has lost its address (restarted): it is told its
// address again; an unknown one joining a running bank is ignored until the master restarts, as on
// the real device.
func (m *Master) onAnnounce(f can.Frame) {
	a, err := batbus.ParseAnnounce(f)
	if err != nil {
		m.counters.BatteryFramesRejected++
		return
	}
	if m.reg.assigned {
		if b := m.reg.find(a.Serial); b != nil {
			b.acked, b.assignedAt, b.assignTries = false, m.now, 1
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
	if m.reg.assigned {
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
	m.extStale, m.terminalsStale = true, true
	m.reg.lastNewSeen = m.now
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: fmt.Sprintf("battery %s announced: %s, %d cells, %d Ah", a.SerialString(), d.Chemistry, d.Cells, d.CapacityAh)})
}

// onReport takes a frame from an assigned address. A frame that fails its checks is counted and
// its values are never used.
func (m *Master) onReport(b *batteryInfo, msg batbus.Message, f can.Frame) {
	var err error
	switch msg {
	case batbus.MsgAssignAck:
		var a batbus.AssignAck
		if a, err = batbus.ParseAssignAck(f); err == nil {
			if a.Serial == b.announce.Serial && a.Prefix == b.announce.Prefix {
				b.acked = true
			} else {
				m.conflict(b, a.Nameplate)
			}
		}
	case batbus.MsgIdentity:
		var id batbus.Identity
		if id, err = batbus.ParseIdentity(f); err == nil {
			if id.Serial != b.announce.Serial || id.Prefix != b.announce.Prefix {
				m.conflict(b, id.Nameplate)
			} else {
				b.identified = true
			}
		}
	case batbus.MsgStatus:
		var s batbus.Status
		if s, err = batbus.ParseStatus(f); err == nil {
			b.status, b.gotStat, b.lastStatusAt = s, true, m.now
		}
	case batbus.MsgExtremes:
		var c batbus.Extremes
		if c, err = batbus.ParseExtremes(f); err == nil {
			b.cells, b.gotCells = c, true
			m.extStale = true
		}
	case batbus.MsgCellVoltages:
		var c batbus.CellVoltages
		if c, err = batbus.ParseCellVoltages(f); err == nil {
			// Count is the module's cell count; the frame carries cells First to First+2.
			for k := range batbus.PerFrame {
				if i := int(c.First) + k; i < int(c.Count) && i < len(b.cellMillivolt) {
					b.cellMillivolt[i] = c.Millivolts[k]
					b.cellsHeard |= 1 << i
				}
			}
			n := int(b.announce.Cells)
			b.cellsHeardAll = n > 0 && n <= 32 && b.cellsHeard&(1<<n-1) == 1<<n-1
		}
	case batbus.MsgTemperatures:
		var t batbus.Temperatures
		if t, err = batbus.ParseTemperatures(f); err == nil {
			for k := range batbus.PerFrame {
				if i := int(t.First) + k; i < int(t.Count) && i < len(b.sensorDeciC) {
					b.sensorDeciC[i] = t.DeciCelsius[k]
					b.sensorsHeard |= 1 << i
				}
			}
			n := int(b.announce.TemperatureSensors)
			b.tempsHeard = n > 0 && n <= 32 && b.sensorsHeard&(1<<n-1) == 1<<n-1
			m.extStale = true
		}
	case batbus.MsgTerminals:
		if b.terminals, err = batbus.ParseTerminals(f); err == nil {
			b.terminalsHeard = true
			m.terminalsStale = true
		}
	case batbus.MsgEnvironment:
		b.environment, err = batbus.ParseEnvironment(f)
	case batbus.MsgFirmware:
		b.firmware, err = batbus.ParseFirmware(f)
	case batbus.MsgDescribe:
		_, err = batbus.ParseDescribe(f)
	case batbus.MsgCommandAck:
		var a batbus.CommandAck
		if a, err = batbus.ParseCommandAck(f); err == nil {
			m.onCommandAck(b, a)
		}
	default:
		m.counters.BatteryFramesIgnored++
	}
	if err != nil {
		m.counters.BatteryFramesRejected++
		return
	}
	b.reported = b.gotStat && b.gotCells
}

// conflict: a battery other than the one registered there speaks from an address. From v1.38 the
// master resolves it during start-up by releasing every battery and registering again
// ("Previously versions registration of RS-batteries could sometimes get in conflict, resulting
// in fail-safe", changelog 1.38-05); before, and at any time once running, it is a fail-safe with
// #23 [I] (the changelog names no error number; "BMS slave failure" is the registration error
// S2 lists).
func (m *Master) conflict(b *batteryInfo, other batbus.Nameplate) {
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityWarning, Message: fmt.Sprintf("battery address %d claimed by %s and %s", b.address, b.announce.SerialString(), other.SerialString())})
	if m.state == stateInitializing && m.cfg.Firmware.Has("1.38-05") && m.reg.conflicts < maxRegistrationRestarts {
		m.reg.conflicts++
		m.restartRegistration(batbus.ReleaseConflict)
		return
	}
	m.fail(events.ErrSlaveFailure)
}

// maxRegistrationRestarts bounds the conflict resolution: a battery that keeps claiming an address
// it was never given is a fault, not a conflict (an assumption).
const maxRegistrationRestarts = 3

// restartRegistration releases every battery (docs/battery-bus.md: Release, for reason) and waits
// for their announcements again.
func (m *Master) restartRegistration(reason batbus.ReleaseReason) {
	m.send(m.batBus, batbus.Release{To: batbus.Broadcast, Reason: reason}.Frame())
	conflicts, seq := m.reg.conflicts, m.reg.heartbeatSeq
	m.reg = registration{conflicts: conflicts, heartbeatSeq: seq, nextHeartbeat: m.now}
	m.batteryInputs++
	m.extStale, m.terminalsStale = true, true
	m.initPhase = events.StateWaitBoot
	m.stateSince = m.now
}

// sendBatteryHeartbeat keeps the batteries' communication check alive (docs/battery-bus.md:
// every second, with the master's state and the detail period the bank's size allows).
func (m *Master) sendBatteryHeartbeat() {
	if m.now < m.reg.nextHeartbeat {
		return
	}
	m.reg.nextHeartbeat = m.now + batbus.HeartbeatPeriod
	detail := uint8(batbus.DetailPeriod(m.reg.detailFrames()) / time.Second)
	m.send(m.batBus, batbus.Heartbeat{State: uint8(m.State()), Sequence: m.reg.heartbeatSeq, DetailSeconds: detail}.Frame())
	m.reg.heartbeatSeq++
}

// watchBatteries is the master's communication check once the batteries are registered: a
// battery without a Status for batbus.StatusTimeout is lost (#23, "Battery comm. error" on the
// GX, S5).
func (m *Master) watchBatteries() {
	if !m.reg.assigned || m.state == stateError {
		return
	}
	m.retryCommands()
	for _, b := range m.reg.batteries {
		if b.gotStat && m.now-b.lastStatusAt > batbus.StatusTimeout {
			m.log.Add(events.Entry{At: m.now, Severity: events.SeverityAlarm, Message: fmt.Sprintf("battery %d (%s) silent for %v", b.address, b.announce.SerialString(), m.now-b.lastStatusAt)})
			m.fail(events.ErrSlaveFailure)
			return
		}
	}
}

// stepInitializing runs the initializing phases (protocol.md §4.3 values 0–8): wait for the
// batteries to announce (WAIT_BOOT), check and address them (INIT: every Assign acknowledged, every
// battery's first measurements in), then start pre-charging (MEAS_BAT_VOLTAGE).
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
			if !b.acked {
				if m.now-b.assignedAt < batbus.AssignAckTimeout {
					return
				}
				if b.assignTries > batbus.AssignRetries {
					m.log.Add(events.Entry{At: m.now, Severity: events.SeverityAlarm, Message: fmt.Sprintf("battery %s never acknowledged address %d", b.announce.SerialString(), b.address)})
					m.fail(events.ErrSlaveFailure)
					return
				}
				b.assignTries++
				b.assignedAt = m.now
				m.send(m.batBus, batbus.Assign{Prefix: b.announce.Prefix, Serial: b.announce.Serial, Address: b.address}.Frame())
				return
			}
		}
		if m.cfg.Firmware.Has("1.38-05") && !m.reg.verifying {
			// The registration update of v1.38 (changelog 1.38-05): once every battery has
			// acknowledged, ask every address who holds it, so that a battery that kept an old
			// address shows up now rather than as a fail-safe later.
			m.reg.verifying = true
			m.send(m.batBus, batbus.Command{To: batbus.Broadcast, Code: batbus.CmdRequestIdentity}.Frame())
		}
		for _, b := range m.reg.batteries {
			if !b.reported || (m.reg.verifying && !b.identified) {
				if m.now-m.stateSince >= m.cfg.FirstReportTimeout {
					m.fail(events.ErrSlaveFailure)
				}
				return
			}
		}
		m.initPhase = events.StateMeasBatVoltage
	case events.StateMeasBatVoltage:
		// The SOC the master kept across the power cycle, else the batteries' own.
		m.socPct = m.batterySOC()
		if m.storedSOCValid {
			m.socPct = m.storedSOC
		}
		m.socKnown = true
		if m.waitForStart() {
			return
		}
		m.beginPrecharge()
	}
}

// checkBank checks the announced batteries against each other and the configuration: one type
// (#4), except RS batteries of different capacities with the same cells from v1.38 (changelog
// 1.38-07); the expected count (#5); whole strings (#9).
func (m *Master) checkBank() events.ErrorCode {
	first := m.reg.batteries[0].announce
	// "Previously version 1.7 is not supporting batteries with serial number HQ1746***** or
	// higher" (changelog 1.09-14): before v1.09 such a battery is an unknown battery, #3 [I: the
	// note names no error; v1.08 is taken to be like v1.07].
	if !m.cfg.Firmware.Has("1.09-14") {
		for _, b := range m.reg.batteries {
			if a := b.announce; a.Prefix == batbus.PrefixHQ && a.Serial >= firstUnsupportedSerial {
				m.log.Add(events.Entry{At: m.now, Severity: events.SeverityAlarm, Message: "battery " + a.SerialString() + " is not supported by this firmware (HQ1746 and later need v1.09)"})
				return events.ErrUnknownProduct
			}
		}
	}
	for _, b := range m.reg.batteries[1:] {
		a := b.announce
		same := a.Chemistry == first.Chemistry && a.Cells == first.Cells
		if !same || (a.Product != first.Product && !m.mixesRS(first, a)) {
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
	// "Updated batteries series and parallel check on startup" (changelog 1.17-02): from v1.17 the
	// measured system voltage must also fit the configured series, every cell between the
	// chemistry's fail-safe levels; a bank wired in parallel but set up in series (or the reverse)
	// is #9 [I]. Before, the count alone was checked.
	if m.cfg.Firmware.Has("1.17-02") {
		l := m.limitsFor()
		cells := float64(m.cfg.Series) * float64(first.Cells)
		if v := m.hw.BatteryVolts(); v < cells*l.AlarmLowVolts || v > cells*l.AlarmHighVolts {
			m.log.Add(events.Entry{At: m.now, Severity: events.SeverityAlarm, Message: fmt.Sprintf("system voltage %.2f V does not fit %d in series (%.1f to %.1f V)", v, m.cfg.Series, cells*l.AlarmLowVolts, cells*l.AlarmHighVolts)})
			return events.ErrBatteriesInSeries
		}
	}
	return events.ErrNone
}

// mixesRS reports whether two batteries of different products may share a bank: RS batteries
// (those with the RS230 self-test, changelog 1.38-04) of the same cells and features, from v1.38
// (1.38-07). The feature bits standing for "RS" are lynxsim's reading: the real master knows its
// product ids.
func (m *Master) mixesRS(a, b announced) bool {
	return m.cfg.Firmware.Has("1.38-07") && a.Features.Has(batbus.FeatureSelfTest) && a.Features == b.Features
}

// assignAddresses gives addresses 1, 2, … in serial-number order, so that the same bank gets the
// same addresses whatever order its batteries announced in.
func (m *Master) assignAddresses() {
	sort.Slice(m.reg.batteries, func(i, j int) bool {
		a, b := m.reg.batteries[i].announce, m.reg.batteries[j].announce
		return batbus.CompareSerials(a.Prefix, a.Serial, b.Prefix, b.Serial) < 0
	})
	for i, b := range m.reg.batteries {
		b.address = uint8(i + 1)
		b.assignedAt, b.assignTries = m.now, 1
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

// firstUnsupportedSerial is HQ1746 00000: week 46 of 2017 (changelog 1.09-14).
const firstUnsupportedSerial = 174600000
