package scenario

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/battery"
	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/n2k"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/firmware"
	"github.com/lynxsim/lynxsim/master"
	"github.com/lynxsim/lynxsim/plant"
)

// Result is one run of a scenario on one firmware version.
type Result struct {
	Script   *Script
	Version  firmware.Version
	Failures []Failure
	Trace    []string // state changes, events, notes and samples, one line each
	Samples  []Sample
	Marks    []Mark
	Steps    uint64
	// Skipped says why the scenario does not apply to this version (its requires line); nothing
	// ran.
	Skipped string
}

// Passed reports whether every expectation held (a skipped run passes).
func (r *Result) Passed() bool { return len(r.Failures) == 0 }

// Failure is an expectation that did not hold.
type Failure struct {
	File    string
	Line    int
	Version firmware.Version
	Msg     string
}

func (f Failure) Error() string {
	return fmt.Sprintf("%s:%d: %v: %s", f.File, f.Line, f.Version, f.Msg)
}

// Sample is the system at one moment, for plots.
type Sample struct {
	At                            time.Duration
	State                         events.State
	Volts, BusVolts, Amps, SOC    float64
	MinCell, MaxCell              float64
	MinTemp, MaxTemp              float64
	CVL, CCL, DCL                 float64
	AllowCharge, AllowDisch       bool
	ContactorClosed               bool
	ErrorCode                     events.ErrorCode
	ChargeReason, DischargeReason string
}

// Mark is an event on the timeline, for plots: a state change, a logged event, a stimulus.
type Mark struct {
	At       time.Duration
	Kind     string // "state", "event", "action"
	Severity events.Severity
	Text     string
}

// RunOptions changes how a scenario runs.
type RunOptions struct {
	// Record, when set, receives every frame of both buses (System.Record).
	Record *canbus.LogWriter
}

// Config builds the system configuration a script describes, for firmware version v.
func (s *Script) Config(v firmware.Version) (Config, error) {
	var opts []firmware.Option
	if len(s.KnownIssues) > 0 {
		opts = append(opts, firmware.WithKnownIssues(s.KnownIssues...))
	}
	profile, err := firmware.NewProfile(v, opts...)
	if err != nil {
		return Config{}, err
	}
	cfg := DefaultConfig()
	cfg.Firmware = profile
	b := s.Bank
	cfg.BatteryType, cfg.Series, cfg.Parallel = b.Type, b.Series, b.Parallel
	cfg.SOCPercent, cfg.AmbientCelsius, cfg.CellSpreadPercent = b.SOCPercent, b.AmbientCelsius, b.SpreadPercent
	n := b.Series * b.Parallel
	if len(b.Types) > 0 {
		cfg.BatteryTypes = make([]battery.Type, n)
		for i := range cfg.BatteryTypes {
			cfg.BatteryTypes[i] = b.Type
			if t, ok := b.Types[i+1]; ok {
				cfg.BatteryTypes[i] = t
			}
		}
	}
	if len(b.SOCs) > 0 {
		cfg.SOCPercents = make([]float64, n)
		for i := range cfg.SOCPercents {
			cfg.SOCPercents[i] = b.SOCPercent
			if soc, ok := b.SOCs[i+1]; ok {
				cfg.SOCPercents[i] = soc
			}
		}
	}
	cfg.LoadAmps, cfg.ChargerAmps = s.Plant.LoadAmps, s.Plant.ChargerAmps
	ps := s.Plant
	cfg.Plant = func(c *plant.Config) {
		if ps.BusFarads > 0 {
			c.BusFarads = ps.BusFarads
		}
		if ps.LoadsOnBus {
			c.Loads = plant.LoadsOnBus
		}
		if ps.ContactorClose > 0 {
			c.ContactorClose = ps.ContactorClose
		}
	}
	cfg.Masters = s.Masters
	settings := s.Settings
	cfg.Master = func(unit int, c *master.Config) {
		for _, st := range settings {
			if st.Unit < 0 || st.Unit == unit {
				st.apply(c)
			}
		}
	}
	return cfg, nil
}

// Run runs the script on firmware v in simulated time. An error means the system could not be
// built or a stimulus could not be applied; failed expectations are in the Result.
func Run(ctx context.Context, s *Script, v firmware.Version, opts RunOptions) (*Result, error) {
	for _, id := range s.Requires {
		if it, _ := firmware.LookupItem(id); it.Version.After(v) {
			return &Result{Script: s, Version: v, Skipped: fmt.Sprintf("needs changelog %s (from %v)", id, it.Version)}, nil
		}
	}
	cfg, err := s.Config(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", s.File, v, err)
	}
	sys, err := Build(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", s.File, v, err)
	}
	defer sys.Close()
	r := &run{script: s, version: v, sys: sys, clears: map[string]func(){}, res: &Result{Script: s, Version: v}}
	if r.gx, err = sys.Network.Open(ctx, cfg.VECan, canbus.DefaultName(VECanHub)); err != nil {
		return nil, err
	}
	defer r.gx.Close()
	if r.batTap, err = sys.Network.Open(ctx, cfg.BatteryBus, canbus.DefaultName(BatteryBusHub), canbus.ListenOnly()); err != nil {
		return nil, err
	}
	defer r.batTap.Close()
	if opts.Record != nil {
		if err := sys.Record(ctx, opts.Record); err != nil {
			return nil, err
		}
	}
	for _, st := range s.Steps {
		if st.Only.Contains(v) {
			r.steps = append(r.steps, st)
		}
	}
	sort.SliceStable(r.steps, func(i, j int) bool { return r.steps[i].At < r.steps[j].At })
	r.res.Trace = append(r.res.Trace, fmt.Sprintf("# %s on %v", s.Name, v))
	if s.Plant.DVCC {
		r.setCharger(plant.Constant(cfg.ChargerAmps))
		r.setLoad(plant.Constant(cfg.LoadAmps))
	}
	sys.Loop.Add(r)
	sys.Loop.RunFor(s.Duration)
	r.finish()
	r.res.Steps = sys.Loop.Steps()
	if err := sys.RecordErr(); err != nil {
		return r.res, err
	}
	return r.res, r.err
}

// run is the runner's node: stepped last in each step, it applies the stimuli that fall due,
// reads what the simulated GX and the battery-bus tap heard, checks the expectations and traces.
type run struct {
	script  *Script
	version firmware.Version
	sys     *System
	gx      canbus.Bus
	batTap  canbus.Bus
	// batSender sends the timeline's battery-bus frames (opened when first needed).
	batSender canbus.Bus
	res       *Result
	err       error

	now           time.Duration
	steps         []Step
	next          int // the next step to start
	active        []*active
	clears        map[string]func()
	veFrames      []can.Frame // heard this step
	batteryFrames []can.Frame
	newEvents     []events.Entry // logged since the last step
	units         []*unitWatch
	cur           int // the unit the line being applied or checked is about (its @N)
	// The GX's limits as last read, for dvcc=on.
	dvcc       gxDVCC
	nextSample time.Duration
	// bits holds, per in-memory bus, the bits delivered at each of the last second's steps.
	bits map[string][]uint64
}

// loadLastSecond is a bus's load over the last second, in percent of its bit rate.
func (r *run) loadLastSecond(hub string) float64 {
	ring := r.bits[hub]
	if len(ring) < 2 {
		return 0
	}
	for _, h := range r.sys.Network.Hubs() {
		if h.Name() == hub {
			span := time.Duration(len(ring)-1) * r.sys.Loop.StepSize()
			return 100 * float64(ring[len(ring)-1]-ring[0]) / (span.Seconds() * float64(h.Bitrate()))
		}
	}
	return 0
}

// recordBits keeps a second of each bus's delivered bits.
func (r *run) recordBits() {
	if r.bits == nil {
		r.bits = map[string][]uint64{}
	}
	keep := int(time.Second/r.sys.Loop.StepSize()) + 1
	for _, h := range r.sys.Network.Hubs() {
		ring := append(r.bits[h.Name()], h.Bits())
		if len(ring) > keep {
			ring = ring[len(ring)-keep:]
		}
		r.bits[h.Name()] = ring
	}
}

// unitWatch is what the runner follows of one master: its log and state, and its VREG values as
// the simulated GX last saw them.
type unitWatch struct {
	logTotal   int
	lastState  events.State
	stateKnown bool
	vreg       map[vecan.Register]uint32
}

// master and plant are the current line's unit's.
func (r *run) master() *master.Master { return r.sys.Units[r.cur].Master }
func (r *run) plant() *plant.Plant    { return r.sys.Units[r.cur].Plant }

// suffix marks trace lines of the second and later masters.
func (r *run) suffix(i int) string {
	if len(r.sys.Units) == 1 {
		return ""
	}
	return fmt.Sprintf(" @%d", i+1)
}

// active is an expectation being checked.
type active struct {
	step    Step
	start   time.Duration
	lastSaw string
	done    bool
}

func (r *run) Step(now time.Duration) {
	r.now = now
	r.veFrames = r.gx.Receive(r.veFrames[:0])
	r.batteryFrames = r.batTap.Receive(r.batteryFrames[:0])
	if r.units == nil {
		for range r.sys.Units {
			r.units = append(r.units, &unitWatch{vreg: map[vecan.Register]uint32{}})
		}
	}
	for _, f := range r.veFrames {
		if !f.IsExtended || canbus.IsErrorFrame(f) {
			continue
		}
		id := n2k.ParseCANID(f.ID)
		if id.PGN != vecan.PGNVREG {
			continue
		}
		for i, u := range r.sys.Units {
			if id.Source != u.Master.Address() {
				continue
			}
			if v, ok := vecan.ParseVREG(f); ok && v.Register != vecan.RegAck {
				if info, ok := vecan.LookupRegister(v.Register); ok {
					r.units[i].vreg[v.Register] = v.Value & rawMask(info)
				}
			}
		}
	}
	r.newEvents = r.newEvents[:0]
	for i, u := range r.sys.Units {
		w := r.units[i]
		first := len(r.newEvents)
		r.newEvents, w.logTotal = u.Master.Log().Since(w.logTotal, r.newEvents)
		for _, e := range r.newEvents[first:] {
			sev := e.Severity.String()
			code := ""
			if e.Code != 0 && !strings.HasPrefix(e.Message, "#") {
				code = fmt.Sprintf(" #%d", e.Code)
			}
			if strings.HasPrefix(e.Message, "state ") {
				continue // the state line below says it
			}
			r.trace("event %s%s %s%s", sev, code, e.Message, r.suffix(i))
			r.res.Marks = append(r.res.Marks, Mark{At: now, Kind: "event", Severity: e.Severity, Text: e.Message + r.suffix(i)})
		}
		if st := u.Master.State(); !w.stateKnown || st != w.lastState {
			w.stateKnown, w.lastState = true, st
			r.trace("state %s (%d)%s", stateName(st), st, r.suffix(i))
			if i == 0 {
				r.res.Marks = append(r.res.Marks, Mark{At: now, Kind: "state", Text: stateName(st)})
			}
		}
	}
	if now >= r.nextSample {
		r.sample()
		r.nextSample = (now/r.script.Sample + 1) * r.script.Sample
	}
	for r.next < len(r.steps) && r.steps[r.next].At <= now {
		st := r.steps[r.next]
		r.next++
		if st.Action != nil {
			r.trace("do %s", st.Do)
			r.res.Marks = append(r.res.Marks, Mark{At: now, Kind: "action", Text: st.Text})
			r.cur = st.Unit
			if err := st.Action.apply(r); err != nil && r.err == nil {
				r.err = fmt.Errorf("%s:%d: %v: %w", r.script.File, st.Line, r.version, err)
			}
			continue
		}
		r.active = append(r.active, &active{step: st, start: now})
	}
	r.recordBits()
	r.checkActive(false)
	if r.script.Plant.DVCC {
		r.dvcc.read(r.sys.Units)
	}
}

// checkActive checks the expectations in force; at the end of the run every open window closes.
func (r *run) checkActive(end bool) {
	keep := r.active[:0]
	for _, a := range r.active {
		e := a.step.Expect
		r.cur = a.step.Unit
		ok, seen := e.check(r)
		a.lastSaw = seen
		windowOver := e.Window > 0 && r.now >= a.start+e.Window
		switch {
		case e.sticky && e.absent:
			if ok {
				r.fail(a, "seen although expected absent: "+seen)
				continue
			}
			if windowOver || end {
				continue // never seen: passed
			}
		case e.sticky:
			if ok {
				continue // passed
			}
			if windowOver || end {
				r.fail(a, "not seen")
				continue
			}
		case e.Mode == At:
			if !ok {
				r.fail(a, "saw "+seen)
			}
			continue
		case e.Mode == Within:
			if ok {
				continue
			}
			if windowOver || end {
				r.fail(a, fmt.Sprintf("not within %v: saw %s", e.Window, seen))
				continue
			}
		case e.Mode == For:
			if !ok {
				r.fail(a, fmt.Sprintf("broken after %v: saw %s", r.now-a.start, seen))
				continue
			}
			if windowOver || end {
				continue
			}
		}
		keep = append(keep, a)
	}
	r.active = keep
}

func (r *run) fail(a *active, msg string) {
	r.res.Failures = append(r.res.Failures, Failure{File: r.script.File, Line: a.step.Line, Version: r.version,
		Msg: fmt.Sprintf("at %v expect %s: %s", r.now, a.step.Expect.What, msg)})
	r.trace("FAIL line %d: expect %s: %s", a.step.Line, a.step.Expect.What, msg)
}

func (r *run) finish() {
	r.checkActive(true)
	// Expectations whose time never came (a timeline past the duration is refused by the parser,
	// so only when the run stopped early).
	for ; r.next < len(r.steps); r.next++ {
		st := r.steps[r.next]
		if st.Expect != nil {
			r.res.Failures = append(r.res.Failures, Failure{File: r.script.File, Line: st.Line, Version: r.version, Msg: "the run ended before this line's time"})
		}
	}
	r.sample()
}

func (r *run) sample() {
	s := r.sys.Master.Snapshot()
	smp := Sample{At: r.now, State: s.State, Volts: s.Volts, BusVolts: r.sys.Plant.BusVolts(), Amps: s.Amps, SOC: s.SOCPercent,
		MinCell: s.MinCellVolts, MaxCell: s.MaxCellVolts, MinTemp: s.MinCellCelsius, MaxTemp: s.MaxCellCelsius,
		CVL: s.Limits.ChargeVolts.Value, CCL: s.Limits.ChargeAmps.Value, DCL: s.Limits.DischargeAmps.Value,
		AllowCharge: s.Flags.Has(events.FlagAllowedToCharge), AllowDisch: s.Flags.Has(events.FlagAllowedToDischarge),
		ContactorClosed: s.ContactorClosed, ErrorCode: s.Error,
		ChargeReason: s.Limits.ChargeAmps.Reason, DischargeReason: s.Limits.DischargeAmps.Reason}
	r.res.Samples = append(r.res.Samples, smp)
	for i, u := range r.sys.Units[1:] {
		m := u.Master.Snapshot()
		r.trace("sample @%d state=%s V=%s I=%s SOC=%s CCL=%s DCL=%s flags=0x%08X", i+2, stateName(m.State),
			num(m.Volts, 2), num(m.Amps, 1), num(m.SOCPercent, 2), num(m.Limits.ChargeAmps.Value, 1), num(m.Limits.DischargeAmps.Value, 1), uint32(m.Flags))
	}
	r.trace("sample V=%s bus=%s I=%s SOC=%s cells=%s..%s T=%s..%s CVL=%s CCL=%s DCL=%s flags=0x%08X",
		num(s.Volts, 2), num(smp.BusVolts, 2), num(s.Amps, 1), num(s.SOCPercent, 2), num(s.MinCellVolts, 3), num(s.MaxCellVolts, 3),
		num(s.MinCellCelsius, 1), num(s.MaxCellCelsius, 1), num(smp.CVL, 2), num(smp.CCL, 1), num(smp.DCL, 1), uint32(s.Flags))
}

func num(v float64, prec int) string {
	if math.IsNaN(v) {
		return "-"
	}
	if v == 0 {
		v = 0 // no "-0.0"
	}
	s := fmt.Sprintf("%.*f", prec, v)
	if s == "-"+fmt.Sprintf("%.*f", prec, 0.0) {
		s = s[1:]
	}
	return s
}

func (r *run) trace(format string, args ...any) {
	r.res.Trace = append(r.res.Trace, fmt.Sprintf("%-9s ", formatAt(r.now))+fmt.Sprintf(format, args...))
}

// note records something the runner noticed that is not a failure, such as a refused command.
func (r *run) note(format string, args ...any) { r.trace("note "+format, args...) }

// formatAt writes a time as the timeline does: 0s, 1.5s, 10m0s, 1h0m0s.
func formatAt(d time.Duration) string { return d.String() }

// setCharger and setLoad give the plant a current profile; with dvcc=on it is limited by the
// master's DVCC limits and allowed-to-charge/-discharge as the runner last read them (a step
// late, as a GX is always later than that).
func (r *run) setCharger(p plant.Profile) {
	if r.script.Plant.DVCC {
		p = r.dvcc.charger(p)
	}
	r.sys.SetCharger(p)
}

func (r *run) setLoad(p plant.Profile) {
	if r.script.Plant.DVCC {
		p = r.dvcc.load(p)
	}
	r.sys.SetLoad(p)
}

func (r *run) gxSend(f can.Frame) error { return r.gx.Send(f) }

// batterySend puts a frame on the battery bus through a sending attachment of its own, made when
// first needed (the tap only listens).
func (r *run) batterySend(f can.Frame) error {
	if r.batSender == nil {
		bus, err := r.sys.Network.Open(context.Background(), r.sys.cfg.BatteryBus, canbus.DefaultName(BatteryBusHub))
		if err != nil {
			return err
		}
		r.sys.attached = append(r.sys.attached, bus)
		r.batSender = bus
	}
	return r.batSender.Send(f)
}

func rawMask(info vecan.RegisterInfo) uint32 {
	if n := info.Size(); n > 0 && n < 4 {
		return 1<<(8*n) - 1
	}
	return math.MaxUint32
}
