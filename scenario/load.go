package scenario

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/n2k"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/driver"
	"github.com/lynxsim/lynxsim/events"
)

// The load test of issue 10 (item 5): "Real time with 64 batteries and the VE.Can at its
// 250 kbit/s load: no frame dropped, status still refreshing."
//
// Load runs the reference system (ReferenceConfig, charger and load profiles) paced against the
// wall clock at speed 1, with one more attachment on the in-memory VE.Can: a flood of other
// NMEA 2000 devices (GNSS, compass, engine, instruments, AIS, a battery monitor, a solar charger,
// each with its own address and NAME) and a GX-like node that keeps asking the master for
// registers by VREG and now and then for its product information. The flood tops the bus up,
// frame by frame, until lynxsim's own frames and the flood together offer the target share of
// the bus's 250 kbit/s, counted with the hub's exact bit times (canbus.FrameBits, stuff bits
// included).
//
// What "no frame dropped" means here. The in-memory hub has no capacity: it delivers whatever
// it is offered at the next step, however much that is. A real CAN bus never drops a frame for
// load either: arbitration delays the losers, and frames queue in their senders' controllers;
// only an offered load above 100 % for long makes those queues grow without end until transmit
// buffers overflow. So the flood is built never to offer more than the target, and the target
// is at most 1: after every step, the bits offered in the steps the flood has filled (lynxsim's
// and the flood's, the current step's pending frames included: canbus.Hub.Pending) stay within
// the target times the wire time those steps have (the hub delivers a step's frames at the next
// one, so each step's frames have the step after it). The offered load is then at most the
// target by construction, and the result reports it. What a real bus would do with the same
// frames is modelled beside the hub (wireModel): the frames a step delivers are released to a
// 250 kbit/s wire at the time they were sent and go out one at a time by CAN arbitration (lowest
// identifier first), so that the result also says how long a frame would have waited on a real
// bus at worst and how many were still queued at the end of a step: a wait bounded by a step or
// two means the bus keeps up and no controller's queue grows. Dropped, on every attachment of
// both buses, counts what a transport lost (full queues, failed writes): it must stay 0, and every
// delivered frame must reach every other attachment.

// LoadOptions configures Load. Zero values take the defaults.
type LoadOptions struct {
	// Batteries is the bank size: 1, or an even number up to 64 (2 in series). Default 64.
	Batteries int
	// Duration is the wall-clock time to run with the flood, at speed 1. Default 30 s.
	Duration time.Duration
	// TargetLoad is the share of the VE.Can's 250 kbit/s that lynxsim and the flood offer
	// together, above 0 and at most 1. Default 1: the whole bus.
	TargetLoad float64
	// VREGEvery is how often the GX-like node asks the master for a register. Default 100 ms.
	VREGEvery time.Duration
	// Observe, when set, is called on the driver's goroutine about every 10 ms of wall time with
	// the virtual time since the flood started: for a progress line.
	Observe func(elapsed time.Duration)
}

// Defaults of LoadOptions.
const (
	DefaultLoadBatteries = 64
	DefaultLoadDuration  = 30 * time.Second
	DefaultLoadTarget    = 1.0
	DefaultVREGEvery     = 100 * time.Millisecond
)

// batteryStatusPeriod is PGN 127508's period (protocol.md §2.1, S2 p.13).
const batteryStatusPeriod = 1500 * time.Millisecond

// ErrLoadOptions is wrapped by the errors Load gives for options it refuses.
var ErrLoadOptions = errors.New("load options")

func (o LoadOptions) withDefaults() (LoadOptions, error) {
	if o.Batteries == 0 {
		o.Batteries = DefaultLoadBatteries
	}
	if o.Duration == 0 {
		o.Duration = DefaultLoadDuration
	}
	if o.TargetLoad == 0 {
		o.TargetLoad = DefaultLoadTarget
	}
	if o.VREGEvery == 0 {
		o.VREGEvery = DefaultVREGEvery
	}
	switch n := o.Batteries; {
	case n < 1 || n > 64 || (n > 1 && n%2 != 0):
		return o, fmt.Errorf("%w: %d batteries: want 1, or an even number up to 64 (two in series)", ErrLoadOptions, n)
	case o.Duration < 0:
		return o, fmt.Errorf("%w: duration %v: want a positive wall-clock time", ErrLoadOptions, o.Duration)
	case !(o.TargetLoad > 0 && o.TargetLoad <= 1):
		// Above 1 the bus cannot carry what it is offered: frames queue without end (see above).
		return o, fmt.Errorf("%w: target load %v: want a share of the bus above 0 and at most 1 (1 is the whole 250 kbit/s; a CAN bus cannot carry more, it queues it)", ErrLoadOptions, o.TargetLoad)
	case o.VREGEvery < 0:
		return o, fmt.Errorf("%w: VREG period %v: want a positive duration", ErrLoadOptions, o.VREGEvery)
	}
	return o, nil
}

// BusLoad is one bus's traffic over a load run's measured window.
type BusLoad struct {
	Name    string
	Bitrate int
	Ports   int // attachments, all open
	// Offered is the frames the attachments sent in the window, Delivered those the hub put on
	// the bus, Received the frames the attachments took in and Filtered those their acceptance
	// filters kept out (the batteries hear only the master and announcements): every delivered
	// frame reaches every attachment but its sender, and every node takes its frames in at every
	// step, so Received + Filtered is Delivered × (Ports - 1) when none is lost.
	// PendingBefore and PendingAfter are the frames sent but not yet delivered at the window's
	// edges: Offered = Delivered - PendingBefore + PendingAfter.
	Offered, Delivered, Received, Filtered uint64
	PendingBefore, PendingAfter            uint64
	// Dropped sums Stats().Dropped over every attachment, over its whole life.
	Dropped uint64
	// Load is the delivered frames' bit time over the bus's capacity in the window.
	Load float64
}

// LoadResult is what Load measured, over the window from the flood's start to the run's end.
type LoadResult struct {
	Batteries  int
	TargetLoad float64
	// Simulated is the virtual time of the window, Wall the wall-clock time it took.
	Simulated, Wall time.Duration
	Step            time.Duration
	VECan, BatBus   BusLoad

	// OfferedLoad is the bit time of what was offered to the VE.Can in the steps the flood
	// filled (lynxsim's frames and the flood's, the last step's pending ones included) over the
	// wire time of those steps: at most TargetLoad by construction. OwnLoad is lynxsim's share
	// of it, FloodLoad the flood's.
	OfferedLoad, OwnLoad, FloodLoad float64
	FloodFrames                     uint64

	// On a real 250 kbit/s wire (wireModel): the longest any frame would have waited from its
	// step to the end of its transmission, the longest one of the master's would have (its
	// VREG answers included), the longest its 127508 would have, and the most frames still
	// waiting at the end of a step.
	MaxWireDelay, MaxOwnWireDelay, MaxStatusWireDelay time.Duration
	MaxWireQueue                                      int

	// Status is PGN 127508 from the master (its pack instance), every StatusPeriod: how many,
	// and the longest time without one, in virtual time as the hub delivered them and in wall
	// time as the run saw them, the window's edges included (from its start to the first, from
	// the last to its end), and between two on the modelled wire.
	StatusPeriod                   time.Duration
	StatusFrames                   uint64
	MaxStatusGap, MaxStatusGapWire time.Duration
	MaxStatusGapWall               time.Duration
	// VREG requests of the GX-like node: asked, answered with the value, refused with a VACK,
	// unanswered (still waiting when the register's turn came again, or a second before the
	// end), and pending (asked in the last second, an answer may still come).
	VREGAsked, VREGAnswered, VREGRefused uint64
	VREGUnanswered, VREGPending          uint64
	MaxVREGResponse                      time.Duration
	StayedRunning                        bool
	FinalState                           events.State
	LeftRunningAt                        time.Duration // when it first left Running (if it did), since the flood started
	Pace                                 driver.PaceStats
	WarmUp                               time.Duration // virtual time to Running, run as fast as possible
}

// LoadLimits are the bounds Check holds a result to. Zero values take the defaults.
type LoadLimits struct {
	// MaxLag is how late a paced step may start at worst (driver.PaceStats.MaxLag), and how
	// much longer than the period and a step the status may stay silent in wall time. Default
	// 1 s: correctness, not speed.
	MaxLag time.Duration
	// MaxWireDelay bounds the modelled wait of a frame on a real wire. Default 4 steps.
	MaxWireDelay time.Duration
	// ModelOnly checks only what the model decides, which is the same on every run, and not
	// the two wall-clock bounds (MaxLag), which a busy machine breaks by stalling the process.
	ModelOnly bool
}

// Check returns nil when the run shows what issue 10 asks, or an error listing every property
// that failed: no frame dropped or lost on either bus, the VE.Can offered at most its capacity
// and within 1 % of the target, the master's status refreshing every period (within a step, and
// within the lag bound in wall time), every VREG request answered, the master Running
// throughout, and the paced loop within the lag bound. Only the last and the status silence in
// wall time depend on the machine: a shared machine that stalls the process for a second breaks
// them with nothing wrong in the model (LoadLimits.ModelOnly leaves them out).
func (r LoadResult) Check(lim LoadLimits) error {
	if lim.MaxLag <= 0 {
		lim.MaxLag = time.Second
	}
	if lim.MaxWireDelay <= 0 {
		lim.MaxWireDelay = 4 * r.Step
	}
	var bad []string
	fail := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	for _, b := range []BusLoad{r.VECan, r.BatBus} {
		if b.Dropped != 0 {
			fail("%s: %d frames dropped", b.Name, b.Dropped)
		}
		if b.Offered+b.PendingBefore != b.Delivered+b.PendingAfter {
			fail("%s: %d frames offered, %d delivered (%d pending before, %d after)", b.Name, b.Offered, b.Delivered, b.PendingBefore, b.PendingAfter)
		}
		if want := b.Delivered * uint64(b.Ports-1); b.Received+b.Filtered != want {
			fail("%s: %d frames received and %d filtered by the attachments, want %d together (every delivered frame by all %d but its sender)", b.Name, b.Received, b.Filtered, want, b.Ports-1)
		}
		if b.Delivered == 0 {
			fail("%s: no traffic", b.Name)
		}
	}
	const slack = 1e-9 // float rounding of the capacity
	if r.OfferedLoad > 1+slack || r.OfferedLoad > r.TargetLoad+slack {
		fail("VE.Can offered %.4f of its capacity, above the target %.4f", r.OfferedLoad, r.TargetLoad)
	}
	if r.OfferedLoad < 0.99*r.TargetLoad && r.OwnLoad < r.TargetLoad {
		fail("VE.Can offered %.4f of its capacity, short of the target %.4f", r.OfferedLoad, r.TargetLoad)
	}
	if r.MaxWireDelay > lim.MaxWireDelay {
		fail("a frame would have waited %v on a real bus (bound %v): the bus does not keep up", r.MaxWireDelay, lim.MaxWireDelay)
	}
	if r.StatusFrames == 0 && r.Simulated > r.StatusPeriod+r.Step {
		fail("no battery status frame in %v", r.Simulated)
	}
	if r.MaxStatusGap > r.StatusPeriod+r.Step {
		fail("%v without a battery status frame, above the period %v and a step", r.MaxStatusGap, r.StatusPeriod)
	}
	if !lim.ModelOnly && r.MaxStatusGapWall > r.StatusPeriod+r.Step+lim.MaxLag {
		fail("%v of wall time without a battery status frame, above the period %v, a step and %v", r.MaxStatusGapWall, r.StatusPeriod, lim.MaxLag)
	}
	if r.VREGAsked == 0 {
		fail("no VREG request asked")
	}
	if r.VREGAnswered+r.VREGPending != r.VREGAsked || r.VREGRefused != 0 || r.VREGUnanswered != 0 {
		fail("VREG: %d asked, %d answered, %d refused, %d unanswered, %d pending at the end", r.VREGAsked, r.VREGAnswered, r.VREGRefused, r.VREGUnanswered, r.VREGPending)
	}
	if !r.StayedRunning {
		fail("the master left Running %v into the run: %v", r.LeftRunningAt, r.FinalState)
	}
	if !lim.ModelOnly && r.Pace.MaxLag > lim.MaxLag {
		fail("the paced loop ran a step %v late (bound %v)", r.Pace.MaxLag, lim.MaxLag)
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("load: %s", strings.Join(bad, "; "))
}

// Load builds the reference system with opts.Batteries batteries, brings it up to Running as fast
// as possible (at most 5 minutes of virtual time, not measured), then floods its VE.Can and runs
// it in real time for opts.Duration, measuring. It returns an error when the system does not
// come up or ctx ends first; whether the run met its bounds is LoadResult.Check's to say.
func Load(ctx context.Context, opts LoadOptions) (LoadResult, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return LoadResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return LoadResult{}, err
	}
	cfg := ReferenceConfig(opts.Batteries)
	sys, err := Build(ctx, cfg)
	if err != nil {
		return LoadResult{}, err
	}
	defer sys.Close()
	useReferenceProfiles(sys, cfg.Parallel)

	var veHub, batHub *canbus.Hub
	for _, h := range sys.Network.Hubs() {
		switch h.Name() {
		case VECanHub:
			veHub = h
		case BatteryBusHub:
			batHub = h
		}
	}
	if veHub == nil || batHub == nil {
		return LoadResult{}, errors.New("load: the system has no in-memory VE.Can or battery bus")
	}
	const warmUpLimit = 5 * time.Minute
	if !sys.Loop.RunUntil(warmUpLimit, func() bool { return sys.Master.State() == events.StateRunning }) {
		return LoadResult{}, fmt.Errorf("load: the reference system with %d batteries is not running after %v but %v (error %v)", opts.Batteries, warmUpLimit, sys.Master.State(), sys.Master.Error())
	}
	warmUp := sys.Loop.Now()
	if err := ctx.Err(); err != nil {
		return LoadResult{}, err
	}

	// Attached now, so that they see nothing of the warm-up.
	probePort := veHub.AttachListenOnly()
	floodPort := veHub.Attach()
	defer probePort.Close()
	defer floodPort.Close()
	step := sys.Loop.StepSize()
	master := sys.Master.Address()
	p := &loadProbe{
		port: probePort, master: master, instance: cfg.InstanceBase, step: step,
		state: sys.Master.State, wire: wireModel{bitrate: veHub.Bitrate()}, stayed: true,
	}
	fl := newFlooder(floodPort, veHub, master, opts.TargetLoad, opts.VREGEvery, step, vecan.TableFor(sys.Firmware()),
		func(r vecan.Register) bool { _, ok := sys.Master.Get(r); return ok })
	if len(fl.regs) == 0 {
		return LoadResult{}, fmt.Errorf("load: firmware %v has none of the registers the GX-like node asks for", sys.Firmware())
	}
	// The probe sees each step's deliveries right after the hubs deliver; the flood goes last,
	// after the master, so that the current step's frames are all pending when it fills.
	sys.Loop.Insert(len(sys.Network.Hubs()), p)
	sys.Loop.Add(fl)

	before := snapshot(veHub, batHub)
	start := sys.Loop.Now()
	fl.begin(start)
	wallStart := time.Now()
	p.begin(start, wallStart)
	var observe func(time.Duration)
	if opts.Observe != nil {
		observe = func(now time.Duration) { opts.Observe(now - start) }
	}
	runErr := sys.Loop.Run(ctx, opts.Duration, driver.Pace{Speed: 1, Observe: observe})
	wallEnd := time.Now()
	wall := wallEnd.Sub(wallStart)
	if runErr != nil {
		return LoadResult{}, runErr
	}
	after := snapshot(veHub, batHub)
	end := sys.Loop.Now()
	p.gap(end, wallEnd) // the silence since the last status frame counts too
	fl.finish(end)

	r := LoadResult{
		Batteries: opts.Batteries, TargetLoad: opts.TargetLoad,
		Simulated: end - start, Wall: wall, Step: step,
		VECan:        busLoad(veHub, before[0], after[0], end-start),
		BatBus:       busLoad(batHub, before[1], after[1], end-start),
		FloodFrames:  fl.frames,
		StatusPeriod: batteryStatusPeriod, StatusFrames: p.statusFrames,
		MaxStatusGap: p.maxGap, MaxStatusGapWire: p.wire.maxStatusGap, MaxStatusGapWall: p.maxGapWall,
		MaxWireDelay: p.wire.maxDelay, MaxOwnWireDelay: p.wire.maxOwnDelay, MaxStatusWireDelay: p.wire.maxStatusDelay, MaxWireQueue: p.wire.maxQueue,
		VREGAsked: fl.asked, VREGAnswered: fl.answered, VREGRefused: fl.refused,
		MaxVREGResponse: fl.maxResponse,
		StayedRunning:   p.stayed, FinalState: sys.Master.State(), LeftRunningAt: p.leftAt,
		Pace: sys.Loop.PaceStats(), WarmUp: warmUp,
		VREGUnanswered: fl.unanswered, VREGPending: fl.pending,
	}
	// Offered: every bit sent in the steps the flood filled, against the wire time they had.
	capacity := float64(veHub.Bitrate()) * (end - start).Seconds()
	offered := float64(after[0].bits + after[0].pendingBits - before[0].bits - before[0].pendingBits)
	r.OfferedLoad = offered / capacity
	r.FloodLoad = float64(fl.bits) / capacity
	r.OwnLoad = r.OfferedLoad - r.FloodLoad
	return r, nil
}

// busSnapshot is a hub's counters at one moment.
type busSnapshot struct {
	frames, bits            uint64
	pendingFrames           int
	pendingBits             uint64
	sent, received, dropped uint64
	filtered                uint64
	ports                   int
}

func snapshot(hubs ...*canbus.Hub) []busSnapshot {
	out := make([]busSnapshot, len(hubs))
	for i, h := range hubs {
		s := &out[i]
		s.frames, s.bits = h.Frames(), h.Bits()
		s.pendingFrames, s.pendingBits = h.Pending()
		stats := h.PortStats(nil)
		s.ports = len(stats)
		for _, st := range stats {
			s.sent += st.Sent
			s.received += st.Received
			s.filtered += st.Filtered
			s.dropped += st.Dropped
		}
	}
	return out
}

func busLoad(h *canbus.Hub, before, after busSnapshot, window time.Duration) BusLoad {
	b := BusLoad{
		Name: h.Name(), Bitrate: h.Bitrate(), Ports: after.ports,
		Offered: after.sent - before.sent, Delivered: after.frames - before.frames, Received: after.received - before.received,
		Filtered:      after.filtered - before.filtered,
		PendingBefore: uint64(before.pendingFrames), PendingAfter: uint64(after.pendingFrames),
		Dropped: after.dropped,
	}
	if window > 0 {
		b.Load = float64(after.bits-before.bits) / (float64(h.Bitrate()) * window.Seconds())
	}
	return b
}

// loadProbe watches the VE.Can through a listen-only attachment, stepped right after the hubs
// deliver: the master's status frames, the master's state, and the wire model. It is
// instrumentation, not a node: it alone reads the wall clock, to time the status frames as the
// paced run saw them.
type loadProbe struct {
	port     canbus.Bus
	master   uint8
	instance uint8
	step     time.Duration
	state    func() events.State
	wire     wireModel
	start    time.Duration
	rx       []can.Frame

	statusFrames       uint64
	lastStatus         time.Duration
	lastStatusWall     time.Time
	maxGap, maxGapWall time.Duration
	stayed             bool
	leftAt             time.Duration
}

func (p *loadProbe) Step(now time.Duration) {
	p.rx = p.port.Receive(p.rx[:0])
	// The frames delivered now were sent in the previous step.
	sent := now - p.step
	wall := time.Now()
	for _, f := range p.rx {
		own, isStatus := false, false
		if f.IsExtended && !f.IsRemote {
			id := n2k.ParseCANID(f.ID)
			own = id.Source == p.master
			if own && id.PGN == vecan.PGNBatteryStatus {
				st, ok := vecan.ParseBatteryStatus(f)
				isStatus = ok && st.Instance == p.instance
			}
		}
		p.wire.release(sent, f, isStatus, own)
		if !isStatus {
			continue
		}
		p.gap(now, wall)
		p.statusFrames++
		p.lastStatus, p.lastStatusWall = now, wall
	}
	p.wire.run(sent + p.step)
	if p.stayed && p.state() != events.StateRunning {
		p.stayed, p.leftAt = false, now-p.start
	}
}

// begin opens the window at virtual time now and wall time wall.
func (p *loadProbe) begin(now time.Duration, wall time.Time) {
	p.start, p.lastStatus, p.lastStatusWall = now, now, wall
}

// gap accounts the time since the last status frame (or the window's start) up to now.
func (p *loadProbe) gap(now time.Duration, wall time.Time) {
	p.maxGap = max(p.maxGap, now-p.lastStatus)
	p.maxGapWall = max(p.maxGapWall, wall.Sub(p.lastStatusWall))
}

// wireModel is a 250 kbit/s CAN wire fed with the frames the hub delivers: each frame is released
// at the virtual time of the step that sent it, and whenever the wire is idle the waiting frame
// with the lowest identifier goes next (CAN arbitration; frames of equal identifier keep their
// order), taking its exact bit time. It measures the wait from release to the end of the
// transmission, which on a real bus would be the frame's latency.
type wireModel struct {
	bitrate int
	free    time.Duration // when the wire is next idle
	queue   []wireFrame
	seq     uint64

	maxDelay, maxOwnDelay, maxStatusDelay time.Duration
	maxQueue                              int
	statusDone                            time.Duration // end of the last status frame's transmission
	haveStatus                            bool
	maxStatusGap                          time.Duration
}

type wireFrame struct {
	key     uint64 // arbitration: lower wins
	seq     uint64
	release time.Duration
	bits    int
	status  bool // the master's 127508 of its pack instance
	own     bool // any of the master's frames
}

// arbitrationKey orders frames as CAN arbitration does: by the 11 base identifier bits, then a
// standard frame before an extended one with the same base (its RTR and IDE bits are dominant
// where the extended frame's SRR and IDE are recessive), then the 18 extension bits.
func arbitrationKey(f can.Frame) uint64 {
	if !f.IsExtended {
		return uint64(f.ID&0x7FF) << 19
	}
	return uint64(f.ID>>18&0x7FF)<<19 | 1<<18 | uint64(f.ID&0x3FFFF)
}

func (w *wireModel) release(at time.Duration, f can.Frame, status, own bool) {
	if canbus.IsErrorFrame(f) {
		return
	}
	w.seq++
	w.queue = append(w.queue, wireFrame{key: arbitrationKey(f), seq: w.seq, release: at, bits: canbus.FrameBits(f), status: status, own: own})
}

// run transmits waiting frames until the wire is busy past until (the next release).
func (w *wireModel) run(until time.Duration) {
	for len(w.queue) > 0 && w.free < until {
		best := 0
		for i := 1; i < len(w.queue); i++ {
			q, b := &w.queue[i], &w.queue[best]
			if q.key < b.key || q.key == b.key && q.seq < b.seq {
				best = i
			}
		}
		f := w.queue[best]
		w.queue = append(w.queue[:best], w.queue[best+1:]...)
		start := max(w.free, f.release)
		done := start + time.Duration(f.bits)*time.Second/time.Duration(w.bitrate)
		w.free = done
		w.maxDelay = max(w.maxDelay, done-f.release)
		if f.own {
			w.maxOwnDelay = max(w.maxOwnDelay, done-f.release)
		}
		if f.status {
			w.maxStatusDelay = max(w.maxStatusDelay, done-f.release)
			if w.haveStatus {
				w.maxStatusGap = max(w.maxStatusGap, done-w.statusDone)
			}
			w.statusDone, w.haveStatus = done, true
		}
	}
	w.maxQueue = max(w.maxQueue, len(w.queue))
}

// floodDevice is one of the other NMEA 2000 devices on the flooded VE.Can: its address, NAME and
// the messages it sends.
type floodDevice struct {
	address uint8
	name    n2k.Name
	msgs    []floodMsg
	fast    n2k.FastSender
}

// floodMsg is one message kind: a PGN at its NMEA 2000 default priority, with its usual payload
// length (canboat's database, S1), or a frame made by build.
type floodMsg struct {
	pgn      n2k.PGN
	priority uint8
	length   int // payload bytes; single frames are always 8
	build    func(src uint8, r *rand.Rand) can.Frame
	payload  func(dst []byte, r *rand.Rand) []byte
}

// The GX-like node's address, and the other devices' first address.
const (
	floodGXAddress    uint8 = 0x20
	floodFirstAddress uint8 = 0x10
)

// floodCatalogue is the flood's mix: what a boat's or a vehicle's NMEA 2000 backbone carries
// beside a Lynx Ion BMS. The NAMEs' manufacturer, class and function codes are indicative.
func floodCatalogue() []floodDevice {
	single := func(pgn n2k.PGN, prio uint8) floodMsg { return floodMsg{pgn: pgn, priority: prio, length: 8} }
	fast := func(pgn n2k.PGN, prio uint8, n int) floodMsg { return floodMsg{pgn: pgn, priority: prio, length: n} }
	name := func(unique uint32, mfr uint16, class, function uint8) n2k.Name {
		nm, err := n2k.NameFields{UniqueNumber: unique, ManufacturerCode: mfr, DeviceClass: class, DeviceFunction: function,
			IndustryGroup: n2k.IndustryMarine, ArbitraryAddressCapable: true}.Name()
		if err != nil {
			panic(err) // constant fields that fit
		}
		return nm
	}
	return []floodDevice{
		{name: name(101, 229, 60, 145), msgs: []floodMsg{ // GNSS receiver
			single(129025, 2), single(129026, 2), fast(129029, 3, 43), single(126992, 3), single(129539, 6)}},
		{name: name(102, 229, 60, 140), msgs: []floodMsg{ // heading sensor
			single(127250, 2), single(127251, 2), single(127257, 3)}},
		{name: name(103, 1862, 50, 140), msgs: []floodMsg{ // engine interface
			single(127488, 2), fast(127489, 2, 26), single(127505, 6)}},
		{name: name(104, 1851, 85, 130), msgs: []floodMsg{ // wind, depth and speed instrument
			single(130306, 2), single(128267, 3), single(128259, 2), single(130310, 5), single(130312, 5)}},
		{name: name(105, 1851, 60, 195), msgs: []floodMsg{ // AIS transponder
			fast(129038, 4, 28), fast(129039, 4, 27), fast(129794, 6, 75)}},
		{name: name(106, n2k.ManufacturerVictron, n2k.DeviceClassElectricalGeneration, n2k.DeviceFunctionBattery), msgs: []floodMsg{ // battery monitor, battery instance 1
			{pgn: vecan.PGNBatteryStatus, build: func(src uint8, r *rand.Rand) can.Frame {
				return vecan.BatteryStatus{Instance: 1, Volts: 12.5 + r.Float64(), Amps: 20*r.Float64() - 10, Kelvin: 298, SequenceID: uint8(r.IntN(253)), SequenceIDUsed: true}.Frame(src)
			}},
			{pgn: vecan.PGNDCDetailedStatus, priority: vecan.DCDetailedStatusPriority, payload: func(dst []byte, r *rand.Rand) []byte {
				return vecan.DCDetailedStatus{SID: uint8(r.IntN(253)), Instance: 1, DCType: vecan.DCTypeBattery, SOCPercent: float64(r.IntN(101)),
					SOHPercent: 100, TimeRemaining: time.Duration(r.IntN(600)) * time.Minute, RippleVolts: 0.01, RemainingAh: 50}.AppendPayload(dst)
			}}}},
		{name: name(107, n2k.ManufacturerVictron, n2k.DeviceClassElectricalGeneration, 153), msgs: []floodMsg{ // solar charger: VREG broadcasts of registers the master does not read
			{pgn: vecan.PGNVREG, build: func(src uint8, r *rand.Rand) can.Frame {
				return vecan.VREG{Register: 0xEDBB, Value: uint32(1800 + r.IntN(400)), Size: 2}.FramePadded(src, n2k.Broadcast, vecan.PadBroadcast)
			}},
			{pgn: vecan.PGNVREG, build: func(src uint8, r *rand.Rand) can.Frame {
				return vecan.VREG{Register: 0xEDD7, Value: uint32(r.IntN(300)), Size: 2}.FramePadded(src, n2k.Broadcast, vecan.PadBroadcast)
			}}}},
	}
}

// floodFrame is a frame waiting to go, with the register it asks for when it is a VREG request.
type floodFrame struct {
	frame can.Frame
	asks  vecan.Register
}

// flooder is the extra attachment of a load run: every step, after the master, it sends frames
// of the flood devices while the bits offered on the bus since the flood started, the current
// step's pending frames included, stay within the target share of the bus's capacity up to the
// end of the step. Requests of the GX-like node go first.
type flooder struct {
	port    canbus.Bus
	hub     *canbus.Hub
	master  uint8
	target  float64
	step    time.Duration
	every   time.Duration
	bitrate float64
	rng     *rand.Rand

	started bool
	start   time.Duration
	base    uint64 // the hub's delivered bits when the flood started

	devices  []floodDevice
	next     int // round robin over every device's messages
	cycle    []struct{ dev, msg int }
	urgent   []floodFrame
	queue    []can.Frame
	payload  []byte
	gxName   n2k.Name
	heartbAt time.Duration
	heartSeq uint8

	regs        []vecan.Register
	nextReg     int
	nextAsk     time.Duration
	nextInfo    time.Duration
	outstanding map[vecan.Register]time.Duration
	asked       uint64
	answered    uint64
	refused     uint64
	unanswered  uint64
	pending     uint64
	maxResponse time.Duration

	frames, bits uint64
	rx           []can.Frame
}

// floodRegisters are what the GX-like node asks the master for, in turn: registers a GX reads on
// request (history, identity, consumed Ah, time to go), none of which the master broadcasts by
// itself, so that every value seen from the master answers a request.
var floodRegisters = []vecan.Register{
	vecan.RegProductID, vecan.RegDeviceInstance, vecan.RegHistDeepestDischarge, vecan.RegHistCumulativeAh,
	vecan.RegHistMinVoltage, vecan.RegHistMaxVoltage, vecan.RegHistKWhOut, vecan.RegHistKWhIn,
	vecan.RegConsumedAh, vecan.RegTTG, vecan.RegLynxIonLastError, vecan.RegLynxIonConsumedAh,
}

// newFlooder makes the flood; table and held say which of floodRegisters the master has.
func newFlooder(port canbus.Bus, hub *canbus.Hub, master uint8, target float64, every, step time.Duration,
	table func(vecan.Register) (vecan.RegisterInfo, bool), held func(vecan.Register) bool) *flooder {
	f := &flooder{
		port: port, hub: hub, master: master, target: target, step: step, every: every,
		bitrate: float64(hub.Bitrate()), rng: rand.New(rand.NewPCG(2024, 9)),
		devices: floodCatalogue(), outstanding: map[vecan.Register]time.Duration{},
	}
	for i := range f.devices {
		f.devices[i].address = floodFirstAddress + uint8(i)
		for j := range f.devices[i].msgs {
			f.cycle = append(f.cycle, struct{ dev, msg int }{i, j})
		}
	}
	gx, err := n2k.NameFields{UniqueNumber: 100, ManufacturerCode: n2k.ManufacturerVictron, DeviceClass: 25, DeviceFunction: 130,
		IndustryGroup: n2k.IndustryMarine, ArbitraryAddressCapable: true}.Name()
	if err != nil {
		panic(err)
	}
	f.gxName = gx
	for _, r := range floodRegisters {
		if info, ok := table(r); ok && !info.Periodic && !info.OnChange && info.Type != vecan.String && held(r) {
			f.regs = append(f.regs, r)
		}
	}
	return f
}

// begin starts the flood at virtual time now (the step before the first it fills): every device
// and the GX-like node claim their addresses first.
func (f *flooder) begin(now time.Duration) {
	f.started, f.start = true, now
	// The frames sent in the step before have the wire to themselves until now + step: the
	// budget counts from the first step the flood fills.
	_, pending := f.hub.Pending()
	f.base = f.hub.Bits() + pending
	f.nextAsk, f.nextInfo, f.heartbAt = now+f.step, now+f.step, now+f.step
	f.urgent = append(f.urgent, floodFrame{frame: n2k.NewClaimer(f.gxName, floodGXAddress).Start(now)})
	for i := range f.devices {
		d := &f.devices[i]
		f.queue = append(f.queue, n2k.NewClaimer(d.name, d.address).Start(now))
	}
}

// Step takes the master's answers in, then fills the step's share of the bus.
func (f *flooder) Step(now time.Duration) {
	f.rx = f.port.Receive(f.rx[:0])
	if !f.started {
		return
	}
	for _, fr := range f.rx {
		f.receive(now, fr)
	}
	if now >= f.nextAsk && len(f.regs) > 0 {
		f.nextAsk += f.every
		reg := f.regs[f.nextReg]
		f.nextReg = (f.nextReg + 1) % len(f.regs)
		f.urgent = append(f.urgent, floodFrame{frame: vecan.RequestFrame(floodGXAddress, f.master, reg), asks: reg})
	}
	if now >= f.nextInfo {
		// A GX asks a device it discovers for its product information (PGN 126996): the master
		// answers with a fast packet of 134 bytes, a burst of 20 frames in one step.
		f.nextInfo += 10 * time.Second
		f.urgent = append(f.urgent, floodFrame{frame: n2k.Request{PGN: vecan.PGNProductInformation}.Frame(floodGXAddress, f.master)})
	}
	if now >= f.heartbAt {
		f.heartbAt += n2k.HeartbeatInterval
		hb := n2k.NewHeartbeat(f.heartSeq)
		f.heartSeq = n2k.NextHeartbeatSequence(f.heartSeq)
		f.urgent = append(f.urgent, floodFrame{frame: hb.Frame(floodGXAddress)})
		for _, d := range f.devices {
			f.urgent = append(f.urgent, floodFrame{frame: hb.Frame(d.address)})
		}
	}

	// What may still go: the capacity from the first step the flood filled to the end of this
	// one, less everything offered since (delivered, and pending in this step: the master's
	// frames included). A step's frames have the wire for the step after it (the hub delivers
	// them then), so the budget ends at now + step and starts at start + step.
	_, pending := f.hub.Pending()
	allowed := f.target*f.bitrate*(now-f.start).Seconds() - float64(f.hub.Bits()+pending-f.base)
	for {
		var fr floodFrame
		switch {
		case len(f.urgent) > 0:
			fr = f.urgent[0]
		default:
			if len(f.queue) == 0 {
				f.generate()
			}
			fr = floodFrame{frame: f.queue[0]}
		}
		bits := canbus.FrameBits(fr.frame)
		if float64(bits) > allowed {
			return
		}
		if err := f.port.Send(fr.frame); err != nil {
			return // a closed port: the run is over
		}
		if len(f.urgent) > 0 {
			f.urgent = f.urgent[1:]
		} else {
			f.queue = f.queue[1:]
		}
		allowed -= float64(bits)
		f.frames++
		f.bits += uint64(bits)
		if fr.asks != 0 {
			if _, waiting := f.outstanding[fr.asks]; waiting {
				f.unanswered++ // a whole round of the registers without an answer
			}
			f.outstanding[fr.asks] = now
			f.asked++
		}
	}
}

// vregAnswerWindow is how long an answer may take before the request counts as unanswered at the
// end of a run: fifty times what it takes (a step to the master, a step back).
const vregAnswerWindow = time.Second

// finish sorts the requests still waiting at virtual time end: pending when asked within
// vregAnswerWindow, unanswered otherwise.
func (f *flooder) finish(end time.Duration) {
	for reg, at := range f.outstanding {
		if end-at < vregAnswerWindow {
			f.pending++
		} else {
			f.unanswered++
		}
		delete(f.outstanding, reg)
	}
}

// generate queues the frames of the next message of the round robin.
func (f *flooder) generate() {
	c := f.cycle[f.next]
	f.next = (f.next + 1) % len(f.cycle)
	d := &f.devices[c.dev]
	m := d.msgs[c.msg]
	switch {
	case m.build != nil:
		f.queue = append(f.queue, m.build(d.address, f.rng))
	case m.payload != nil || n2k.IsFast(m.pgn):
		if m.payload != nil {
			f.payload = m.payload(f.payload[:0], f.rng)
		} else {
			f.payload = f.randomPayload(m.length)
		}
		id := n2k.ID{Priority: m.priority, PGN: m.pgn, Source: d.address, Destination: n2k.Broadcast}
		var err error
		if f.queue, err = d.fast.Append(f.queue, id, f.payload); err != nil {
			panic(fmt.Sprintf("load: flood message %d: %v", m.pgn, err)) // the catalogue's own mistake
		}
	default:
		fr := can.Frame{ID: n2k.ID{Priority: m.priority, PGN: m.pgn, Source: d.address, Destination: n2k.Broadcast}.CANID(), IsExtended: true, Length: 8}
		copy(fr.Data[:], f.randomPayload(8))
		f.queue = append(f.queue, fr)
	}
}

func (f *flooder) randomPayload(n int) []byte {
	f.payload = f.payload[:0]
	for range n {
		f.payload = append(f.payload, byte(f.rng.UintN(256)))
	}
	return f.payload
}

// receive matches the master's answers to outstanding requests: a value broadcast (or a VACK
// refusing it) about a register asked for.
func (f *flooder) receive(now time.Duration, fr can.Frame) {
	if len(f.outstanding) == 0 || !fr.IsExtended || n2k.ParseCANID(fr.ID).PGN != vecan.PGNVREG {
		return
	}
	for reg, at := range f.outstanding {
		_, ack, isAck, ok := vecan.MatchReply(fr, f.master, reg)
		if !ok || isAck && !ack.IsError() {
			continue
		}
		delete(f.outstanding, reg)
		if isAck {
			f.refused++
			return
		}
		f.answered++
		f.maxResponse = max(f.maxResponse, now-at)
		return
	}
}
