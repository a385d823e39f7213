package master

import (
	"math"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/canbus/n2k"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/firmware"
)

// VE.Can timing (protocol.md §2.1, §2.2: PGNs 127508 and 127506 every 1 500 ms, S2 p.13, p.15).
const statusPeriod = 1500 * time.Millisecond

// veFace is the master's VE.Can face: its NMEA 2000 address, the periodic PGNs, and the VREG
// server and broadcaster with the master as their store.
type veFace struct {
	m         *Master
	table     func(vecan.Register) (vecan.RegisterInfo, bool)
	claimer   *n2k.Claimer
	server    *vecan.Server
	publisher *vecan.Publisher
	fast      n2k.FastSender
	reasm     *n2k.Reassembler
	identity  vecan.Identity
	get       func(vecan.Register) (uint32, bool) // the broadcaster's view: Master.getBroadcast

	started       bool
	nextStatus    time.Duration
	nextHeartbeat time.Duration
	heartbeatSeq  uint8
	sid           uint8

	tx      []can.Frame
	payload []byte

	// Bus errors (busErrors.go).
	busOff        bool          // the controller went bus-off; from v1.25 the master waits it out
	resumeAt      time.Duration // when a bus-off wait ends
	gone          bool          // known issue 1.13-09: silent on VE.Can after bus errors
	received      uint64        // VE.Can frames received, for the v1.36 reception loss
	errorsSince   time.Duration // start of the window the error burst is counted in
	errorsInBurst int
}

func newVEFace(m *Master) *veFace {
	v := m.cfg.Firmware.Version()
	table := vecan.TableFor(v)
	f := &veFace{m: m, table: table, reasm: n2k.NewReassembler(n2k.DefaultFastTimeout), get: m.getBroadcast}
	f.identity = m.identity()
	fields := f.identity.NameFields(vecan.UniqueNumber(m.cfg.Serial), m.cfg.DeviceInstance)
	name, err := n2k.NameFields(fields).Name()
	if err != nil {
		// NameFields masks every field to its width, so this cannot fail; keep a valid NAME
		// rather than a zero one if it ever did.
		name = n2k.Name(0)
	}
	f.claimer = n2k.NewClaimer(name, m.cfg.SourceAddress)
	f.server = vecan.NewServer(table, m)
	f.server.AckOnSuccess = m.cfg.VREGAckOnSuccess
	f.publisher = vecan.NewPublisher(vecan.DefaultBroadcast(table), table, vecan.WithChangeCheck(m.cfg.RegisterChangeCheck))
	return f
}

// address returns the source address the master sends from, and whether it may send yet: only
// after its claim has stood for 250 ms without contention (limits.md §4.3, L5).
func (f *veFace) address(now time.Duration) (uint8, bool) {
	a := f.claimer.Address()
	return a, !f.claimer.Lost() && f.claimer.Claimed(now)
}

func (f *veFace) step(now time.Duration) {
	m := f.m
	f.tx = f.tx[:0]
	if !f.started {
		f.started = true
		f.tx = append(f.tx, f.claimer.Start(now))
	}
	m.rx = m.veCan.Receive(m.rx[:0])
	for _, fr := range m.rx {
		f.receive(now, fr)
	}
	if self, ok := f.address(now); ok {
		f.tx = f.publisher.Step(now, self, f.get, f.tx)
		f.combinedFrames(now, self)
		if now >= f.nextStatus {
			f.nextStatus = now + statusPeriod
			f.sendStatus(self)
		}
		if m.cfg.HeartbeatPeriod > 0 && now >= f.nextHeartbeat {
			f.nextHeartbeat = now + m.cfg.HeartbeatPeriod
			hb := n2k.NewHeartbeat(f.heartbeatSeq)
			hb.TransmitOffset = m.cfg.HeartbeatPeriod
			f.heartbeatSeq = n2k.NextHeartbeatSequence(f.heartbeatSeq)
			f.tx = append(f.tx, hb.Frame(self))
		}
	}
	f.tx = f.afterBusErrors(now, f.tx)
	for _, fr := range f.tx {
		m.send(m.veCan, fr)
	}
}

// receive handles one VE.Can frame.
func (f *veFace) receive(now time.Duration, fr can.Frame) {
	m := f.m
	switch {
	case canbus.IsErrorFrame(fr):
		f.onErrorFrame(now, fr)
		return
	case f.lostInV136():
		return
	case !fr.IsExtended && !m.cfg.Firmware.Has("1.16-01"):
		// Before v1.16 an 11-bit frame went through the NMEA 2000 handling like any other and came
		// out as a frame of no PGN the master acts on [I]; from v1.16 it is told apart and ignored.
		m.counters.VECanFramesIgnored++
		return
	case !fr.IsExtended:
		// 11-bit frames have no meaning on VE.Can (changelog 1.16-01: "11-bit messages are
		// ignored").
		m.counters.VECan11Bit++
		return
	}
	f.tx = f.claimer.Handle(now, fr, f.tx)
	self, ok := f.address(now)
	if !ok {
		return
	}
	id := n2k.ParseCANID(fr.ID)
	switch id.PGN {
	case n2k.PGNRequest:
		in, action, nak := n2k.AnswerRequest(fr, self, f.serves)
		switch action {
		case n2k.RequestNAK:
			f.tx = append(f.tx, nak)
		case n2k.RequestServe:
			f.serve(self, in)
		}
	case vecan.PGNVREG:
		if f.fromOtherMaster(now, self, id, fr) {
			return
		}
		before := len(f.tx)
		f.tx = f.server.Handle(now, self, fr, f.tx)
		f.bootloaderVersion(self, id, fr)
		f.sendLong(self)
		if len(f.tx) == before && id.Destination == self {
			m.counters.VECanFramesIgnored++
		}
	case vecan.PGNVREGLong:
		if msg, done := f.reasm.Add(now, fr); done {
			f.tx = f.server.HandleLong(now, self, msg.ID, msg.Payload, f.tx)
			f.sendLong(self)
		}
	case n2k.PGNAddressClaim:
		// The claimer has seen it.
	default:
		m.counters.VECanFramesIgnored++
	}
}

// served PGNs: what the master sends, so what it answers an ISO request for.
func (f *veFace) serves(p n2k.PGN) bool {
	switch p {
	case vecan.PGNBatteryStatus, vecan.PGNDCDetailedStatus, vecan.PGNProductInformation, n2k.PGNHeartbeat:
		return true
	}
	return false
}

// serve answers an ISO request for a PGN the master sends.
func (f *veFace) serve(self uint8, in n2k.IncomingRequest) {
	switch in.PGN {
	case vecan.PGNBatteryStatus, vecan.PGNDCDetailedStatus:
		f.sendStatus(self)
	case vecan.PGNProductInformation:
		pi := f.identity.ProductInformation(f.m.cfg.Firmware.Version(), f.m.cfg.Serial)
		f.payload = pi.AppendPayload(f.payload[:0])
		f.sendFast(n2k.ID{Priority: vecan.ProductInformationPriority, PGN: vecan.PGNProductInformation, Source: self, Destination: n2k.Broadcast}, f.payload)
	case n2k.PGNHeartbeat:
		hb := n2k.NewHeartbeat(f.heartbeatSeq)
		hb.TransmitOffset = f.m.cfg.HeartbeatPeriod
		f.tx = append(f.tx, hb.Frame(self))
	}
}

// sendLong sends the string-register answers of the last Handle as fast packets on PGN 126720.
func (f *veFace) sendLong(self uint8) {
	for _, r := range f.server.LongReplies() {
		f.sendFast(n2k.ID{Priority: vecan.VREGPriority, PGN: vecan.PGNVREGLong, Source: self, Destination: r.Destination}, r.Payload)
	}
}

func (f *veFace) sendFast(id n2k.ID, payload []byte) {
	var err error
	if f.tx, err = f.fast.Append(f.tx, id, payload); err != nil {
		f.m.counters.SendErrors++
	}
}

// sendStatus sends PGN 127508 for the three instances and PGN 127506 (S2 p.11-16): base+0 the
// pack (voltage, current, highest battery temperature), base+1 the lowest and base+2 the highest
// cell voltage and temperature; 127506 with SOC, time to go and remaining capacity on the DC
// instance equal to the battery instance base (S2 p.12).
func (f *veFace) sendStatus(self uint8) {
	m := f.m
	e := m.ext
	nan := math.NaN()
	lowV, highV, lowK, highK := nan, nan, nan, nan
	if e.ok {
		lowV, highV = e.minCellVolts, e.maxCellVolts
		lowK, highK = e.minCellCelsius+celsiusToKelvin, e.maxCellCelsius+celsiusToKelvin
	}
	base := m.cfg.InstanceBase
	sid := f.sid
	f.sid = (f.sid + 1) % 253 // 0..252: 253 and above are reserved and N/A (S2 p.13 "Range 0 to 252")
	f.tx = append(f.tx,
		vecan.BatteryStatus{Instance: base, Volts: m.hw.BatteryVolts(), Amps: m.hw.ShuntAmps(), Kelvin: highK, SequenceID: sid, SequenceIDUsed: true}.Frame(self),
		vecan.BatteryStatus{Instance: base + 1, Volts: lowV, Amps: nan, Kelvin: lowK, SequenceID: sid, SequenceIDUsed: true}.Frame(self),
		vecan.BatteryStatus{Instance: base + 2, Volts: highV, Amps: nan, Kelvin: highK, SequenceID: sid, SequenceIDUsed: true}.Frame(self),
	)
	soc := nan
	if m.socKnown {
		soc = m.socPct
	}
	remaining := nan
	if capacity := m.reg.bankAh(m.cfg.Series); capacity > 0 && m.socKnown {
		remaining = capacity * m.socPct / 100
	}
	f.payload = vecan.DCDetailedStatus{
		SID: sid, Instance: base, DCType: vecan.DCTypeBattery,
		SOCPercent: soc, SOHPercent: m.bankSOH(),
		TimeRemaining: m.timeToGo(), RippleVolts: nan, RemainingAh: remaining,
	}.AppendPayload(f.payload[:0])
	f.sendFast(n2k.ID{Priority: vecan.DCDetailedStatusPriority, PGN: vecan.PGNDCDetailedStatus, Source: self, Destination: n2k.Broadcast}, f.payload)
}

const celsiusToKelvin = 273.15

// Address is the NMEA 2000 source address the master uses on VE.Can (its claim's).
func (m *Master) Address() uint8 { return m.face.claimer.Address() }

// bootloaderVersion: "Report version of VUP bootloader" (changelog 1.14-10). velib lets one node
// report several versions in VE_REG_APP_VER, one per identifier ("multiple versions can be reported
// by a single node"): from v1.14 a request for it is answered with the application's (identifier
// 0) and then the bootloader's (identifier 1) [I].
func (f *veFace) bootloaderVersion(self uint8, id n2k.ID, fr can.Frame) {
	m := f.m
	if !m.cfg.Firmware.Has("1.14-10") || id.Destination != self {
		return
	}
	if v, ok := vecan.ParseVREG(fr); ok && v.Register == vecan.RegRequest && vecan.Register(v.Value) == vecan.RegAppVersion {
		f.tx = append(f.tx, vecan.VREG{Register: vecan.RegAppVersion, Value: vecan.PackAppVersion(1, m.cfg.BootloaderVersion.AppVer()), Size: 4}.Frame(self, n2k.Broadcast))
	}
}

// bankSOH is the SOH 127506 carries: the lowest the batteries report ("SOH only available for
// RS-batteries"), from v1.35 ("Fixed NMEA2000 SOH data handling", changelog 1.35-01); before, and
// without a battery that reports one, not available [I].
func (m *Master) bankSOH() float64 {
	soh := math.NaN()
	if !m.cfg.Firmware.Has("1.35-01") {
		return soh
	}
	for _, b := range m.reg.batteries {
		if p := b.environment.SOHPercent; p != batbus.NAUn8 && (math.IsNaN(soh) || float64(p) < soh) {
			soh = float64(p)
		}
	}
	return soh
}

// lossEvery: v1.36 loses one received VE.Can frame in this many ("Fixed issue where random CAN-bus
// message reception was lost due to unexpected internal task handling (introduced in version
// 1.36)", changelog 1.37-01). The rate is not published: an assumption, and deterministic so that
// runs repeat.
const lossEvery = 25

// lostInV136 reports whether the frame being received is one v1.36 loses.
func (f *veFace) lostInV136() bool {
	f.received++
	v := f.m.cfg.Firmware.Version()
	if v != firmware.MustParse("1.36") {
		return false
	}
	if f.received%lossEvery == 0 {
		f.m.counters.VECanFramesLost++
		return true
	}
	return false
}
