package scenario

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/canbus/n2k"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/driver"
)

// Replay drives a master with recorded battery-bus traffic in place of simulated batteries: the
// frames of a candump log, from lynxsim's own batteries or real ones, go onto the battery bus at
// their recorded times, and the master answers them as it would the batteries themselves. Its
// VE.Can output can be recorded and compared with a second log (GXTimeline, CompareTimelines).
//
// A frame recorded at time T was received in the step at T; the replay sends it in that step
// before the hubs deliver, so that the master sees it in the same step as the recorded one did.
// The master's own battery-bus frames in the log (the interface carries both directions) are not
// sent again: those are the master's to send.

// ReplayOptions says what to replay and how.
type ReplayOptions struct {
	// BatteryInterface is the log's battery-bus interface name (default "batbus", as lynxsim
	// records it).
	BatteryInterface string
	// Record, when set, receives every frame of both buses during the replay.
	Record *canbus.LogWriter
	// Tail is how long to run on after the last replayed frame (default none: a master whose
	// batteries fall silent fails, which says nothing about the recording).
	Tail time.Duration
}

// ReplayResult is what a replay did.
type ReplayResult struct {
	Sent     int           // battery frames replayed
	Skipped  int           // the master's own frames in the log, and frames of other interfaces
	Duration time.Duration // simulated
	System   *System
}

// Replay runs cfg's master (its batteries are ignored: the log stands for them) on records.
func Replay(ctx context.Context, cfg Config, records []canbus.Record, o ReplayOptions) (*ReplayResult, error) {
	if o.BatteryInterface == "" {
		o.BatteryInterface = BatteryBusHub
	}
	var feed []canbus.Record
	res := &ReplayResult{}
	for _, r := range records {
		if r.Interface != o.BatteryInterface || fromMaster(r.Frame) {
			res.Skipped++
			continue
		}
		feed = append(feed, r)
	}
	if len(feed) == 0 {
		return nil, fmt.Errorf("replay: the log has no battery frames on interface %q (give --interface)", o.BatteryInterface)
	}
	if n := announcedBatteries(feed); n > 0 {
		if n%cfg.Series != 0 {
			return nil, fmt.Errorf("replay: %d batteries announce in the log: not whole strings of %d in series", n, cfg.Series)
		}
		cfg.Parallel = n / cfg.Series
	}
	cfg.Role = RoleMasterOnly
	cfg.BatteryBus = canbus.Spec{Kind: canbus.KindMem}
	cfg.replay = true
	sys, err := Build(ctx, cfg)
	if err != nil {
		return nil, err
	}
	res.System = sys
	bus, err := sys.Network.Open(ctx, cfg.BatteryBus, canbus.DefaultName(BatteryBusHub))
	if err != nil {
		sys.Close()
		return nil, err
	}
	if o.Record != nil {
		if err := sys.Record(ctx, o.Record); err != nil {
			sys.Close()
			return nil, err
		}
	}
	// Virtual time 0 is a step before the log's first record: lynxsim's recordings start at the
	// first step, and so the replayed frames arrive in the steps they were recorded in.
	t0 := records[0].Time.Add(-sys.Loop.StepSize())
	next := 0
	var sendErr error
	// Stepped first, before the hubs deliver.
	sys.Loop.Insert(0, driver.StepFunc(func(now time.Duration) {
		for next < len(feed) && feed[next].Time.Sub(t0) <= now {
			if err := bus.Send(feed[next].Frame); err != nil && sendErr == nil {
				sendErr = err
			}
			next++
			res.Sent++
		}
	}))
	end := feed[len(feed)-1].Time.Sub(t0) + sys.Loop.StepSize() + max(o.Tail, 0)
	for sys.Loop.Now() < end {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		sys.Loop.RunFor(min(time.Second, end-sys.Loop.Now()))
	}
	res.Duration = sys.Loop.Now()
	if sendErr != nil {
		return res, sendErr
	}
	return res, sys.RecordErr()
}

// fromMaster reports whether a battery-bus frame is one the master sends (Assign, Release,
// Heartbeat, Command, UpdateData).
func fromMaster(f can.Frame) bool {
	m, _, ok := batbus.Split(f)
	// Messages below 0x08 are the master's (docs/battery-bus.md §3).
	return ok && m < batbus.MsgCommandAck
}

// announcedBatteries counts the distinct batteries announcing in the log.
func announcedBatteries(feed []canbus.Record) int {
	serials := map[string]bool{}
	for _, r := range feed {
		if a, err := batbus.ParseAnnounce(r.Frame); err == nil {
			serials[a.SerialString()] = true
		}
	}
	return len(serials)
}

// Change is one change of what a GX decides on, read off VE.Can: the master's state, error or
// flags register taking a new value.
type Change struct {
	At       time.Duration // from the log's first record
	Register vecan.Register
	Value    uint32
}

func (c Change) String() string {
	name := fmt.Sprintf("0x%04X", uint16(c.Register))
	if info, ok := vecan.LookupRegister(c.Register); ok {
		return fmt.Sprintf("%v %s=%s", c.At, info.Name, info.Format(c.Value))
	}
	return fmt.Sprintf("%v %s=%d", c.At, name, c.Value)
}

// gxRegisters are the registers a GX acts on: state, error and flags.
var gxRegisters = []vecan.Register{vecan.RegLynxIonState, vecan.RegBMSError, vecan.RegBMSFlags}

// GXTimeline reads from the VREG broadcasts of interface iface each change of the master's state,
// error and flags. Measurements are left out on purpose: a replayed master measures a bank that
// exists only as the batteries' reports, so its voltages differ in the last digit.
func GXTimeline(records []canbus.Record, iface string) []Change {
	var out []Change
	last := map[vecan.Register]uint32{}
	var t0 time.Time
	if len(records) > 0 {
		t0 = records[0].Time
	}
	for _, r := range records {
		if r.Interface != iface || !r.Frame.IsExtended || n2k.ParseCANID(r.Frame.ID).PGN != vecan.PGNVREG {
			continue
		}
		v, ok := vecan.ParseVREG(r.Frame)
		if !ok || !slices.Contains(gxRegisters, v.Register) {
			continue
		}
		info, _ := vecan.LookupRegister(v.Register)
		val := v.Value & rawMask(info)
		if prev, seen := last[v.Register]; seen && prev == val {
			continue
		}
		last[v.Register] = val
		out = append(out, Change{At: r.Time.Sub(t0), Register: v.Register, Value: val})
	}
	return out
}

// Difference is where two GX timelines part.
type Difference struct {
	Index     int
	Want, Got string
}

// CompareTimelines compares two GX timelines change by change, times within tolerance. It
// returns how many changes match and the first difference, nil if none.
func CompareTimelines(want, got []Change, tolerance time.Duration) (int, *Difference) {
	n := min(len(want), len(got))
	for i := range n {
		w, g := want[i], got[i]
		d := w.At - g.At
		if w.Register != g.Register || w.Value != g.Value || d > tolerance || -d > tolerance {
			return i, &Difference{Index: i, Want: w.String(), Got: g.String()}
		}
	}
	if len(want) == len(got) {
		return n, nil
	}
	d := &Difference{Index: n, Want: "(end)", Got: "(end)"}
	if n < len(want) {
		d.Want = want[n].String()
	}
	if n < len(got) {
		d.Got = got[n].String()
	}
	return n, d
}
