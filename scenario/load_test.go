package scenario

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
)

// loadWatchdog bounds the real-time runs: a hang becomes a failure, it measures nothing.
const loadWatchdog = time.Minute

// Issue 10, item 5: 64 batteries in real time, the VE.Can flooded to its whole 250 kbit/s. No
// frame is dropped, the status keeps refreshing, the master answers every VREG request and stays
// Running, and the paced loop keeps up. What the run models is deterministic (the flood is
// seeded); only the wall-clock figures depend on the machine, and their bound (a second) is
// for correctness, not speed.
func TestLoadRealTime64Batteries(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), loadWatchdog)
	defer cancel()
	observed := 0
	opts := LoadOptions{Duration: 3 * time.Second, Observe: func(time.Duration) { observed++ }}
	r, err := Load(ctx, opts)
	require.NoError(t, err)
	require.NoError(t, r.Check(LoadLimits{ModelOnly: true}))
	if err := r.Check(LoadLimits{}); err != nil {
		// The wall-clock bounds (a second) are the machine's to keep: a shared machine can
		// stall the process for that long. A loop that really cannot keep up fails twice.
		t.Logf("wall-clock bounds missed, running again: %v", err)
		r, err = Load(ctx, opts)
		require.NoError(t, err)
		require.NoError(t, r.Check(LoadLimits{}))
	}

	assert.Equal(t, 64, r.Batteries)
	assert.Equal(t, 3*time.Second, r.Simulated)
	assert.GreaterOrEqual(t, r.Wall, 3*time.Second-r.Step, "paced: it takes the wall time it simulates")
	assert.Positive(t, observed)

	// No frame dropped: nothing lost by any attachment of either bus, every frame offered was
	// delivered, and every delivered frame reached every other attachment or its acceptance
	// filter (the batteries take in only the master's frames and announcements).
	for _, b := range []BusLoad{r.VECan, r.BatBus} {
		assert.Zero(t, b.Dropped, b.Name)
		assert.Equal(t, b.Offered+b.PendingBefore, b.Delivered+b.PendingAfter, b.Name)
		assert.Equal(t, b.Delivered*uint64(b.Ports-1), b.Received+b.Filtered, b.Name)
	}
	assert.Zero(t, r.VECan.Filtered, "nothing filters VE.Can")
	assert.Positive(t, r.BatBus.Filtered, "the batteries filter each other's reports")
	assert.Equal(t, 3, r.VECan.Ports, "the master, the probe and the flood")
	assert.Equal(t, 65, r.BatBus.Ports, "64 batteries and the master")
	assert.Greater(t, r.BatBus.Load, 0.3, "64 batteries keep their bus busy")

	// The VE.Can offered its whole capacity and not a bit more: by construction of the flood.
	assert.LessOrEqual(t, r.OfferedLoad, 1.0)
	assert.Greater(t, r.OfferedLoad, 0.999)
	assert.Greater(t, r.OwnLoad, 0.005, "lynxsim's own frames are part of it")
	assert.InDelta(t, r.OfferedLoad, r.OwnLoad+r.FloodLoad, 1e-12)
	assert.InDelta(t, 1.0, r.VECan.Load, 0.01, "delivered over the window")
	// A real wire would have kept up: no frame waits more than about two steps for arbitration
	// (the master's product information, 20 frames in one step, is the longest burst), and a
	// status frame far less.
	assert.LessOrEqual(t, r.MaxWireDelay, 2*r.Step+2*time.Millisecond)
	assert.LessOrEqual(t, r.MaxStatusWireDelay, r.Step)
	assert.LessOrEqual(t, r.MaxWireQueue, 25)

	// Status still refreshing, every 1.5 s to the step.
	assert.Equal(t, 1500*time.Millisecond, r.StatusPeriod)
	assert.GreaterOrEqual(t, r.StatusFrames, uint64(2))
	assert.LessOrEqual(t, r.MaxStatusGap, r.StatusPeriod+r.Step)
	assert.LessOrEqual(t, r.MaxStatusGapWire, r.StatusPeriod+r.MaxStatusWireDelay)
	assert.Less(t, r.MaxStatusGapWall, r.StatusPeriod+r.Step+time.Second)

	// The master answers the GX-like node under load: one request every 100 ms.
	assert.GreaterOrEqual(t, r.VREGAsked, uint64(29))
	assert.Equal(t, r.VREGAsked, r.VREGAnswered+r.VREGPending)
	assert.Zero(t, r.VREGRefused)
	assert.Zero(t, r.VREGUnanswered)
	assert.LessOrEqual(t, r.MaxVREGResponse, 2*r.Step, "asked in one step, answered in the next, heard in the one after")

	assert.True(t, r.StayedRunning)
	assert.Equal(t, events.StateRunning, r.FinalState)
	assert.Positive(t, r.WarmUp)

	assert.Equal(t, uint64(1), r.Pace.Runs)
	assert.Equal(t, uint64(300), r.Pace.Steps)
	assert.Less(t, r.Pace.MaxLag, time.Second)
	assert.Zero(t, r.Pace.Behind)
	assert.LessOrEqual(t, r.Pace.Late, r.Pace.Steps)
}

// A target below the whole bus is met as closely, and never exceeded.
func TestLoadTargetShare(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), loadWatchdog)
	defer cancel()
	r, err := Load(ctx, LoadOptions{Batteries: 8, Duration: 500 * time.Millisecond, TargetLoad: 0.4})
	require.NoError(t, err)
	require.NoError(t, r.Check(LoadLimits{ModelOnly: true}))
	assert.LessOrEqual(t, r.OfferedLoad, 0.4)
	assert.Greater(t, r.OfferedLoad, 0.399)
	assert.Equal(t, 8, r.Batteries)
	assert.Equal(t, 9, r.BatBus.Ports)
}

func TestLoadRefusesOptions(t *testing.T) {
	for _, o := range []LoadOptions{
		{Batteries: 63}, {Batteries: 66}, {Batteries: -2},
		{Duration: -time.Second},
		{TargetLoad: 1.01}, {TargetLoad: -0.5}, {TargetLoad: math.NaN()}, {TargetLoad: math.Inf(1)},
		{VREGEvery: -time.Millisecond},
	} {
		_, err := Load(context.Background(), o)
		require.Error(t, err, "%+v", o)
		assert.True(t, errors.Is(err, ErrLoadOptions), "%+v: %v", o, err)
	}
}

// A cancelled context ends a load run with its error.
func TestLoadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Load(ctx, LoadOptions{Batteries: 2, Duration: time.Hour})
	require.ErrorIs(t, err, context.Canceled)
}

// Check names every property that failed.
func TestLoadCheckReportsEachFailure(t *testing.T) {
	good := LoadResult{
		TargetLoad: 1, Simulated: 3 * time.Second, Step: 10 * time.Millisecond,
		VECan:       BusLoad{Name: "vecan", Ports: 3, Offered: 10, Delivered: 10, Received: 20},
		BatBus:      BusLoad{Name: "batbus", Ports: 2, Offered: 5, Delivered: 5, Received: 5},
		OfferedLoad: 1, StatusPeriod: 1500 * time.Millisecond, StatusFrames: 2,
		MaxStatusGap: 1500 * time.Millisecond, MaxStatusGapWall: 1500 * time.Millisecond,
		VREGAsked: 3, VREGAnswered: 2, VREGPending: 1, StayedRunning: true, FinalState: events.StateRunning,
	}
	require.NoError(t, good.Check(LoadLimits{}))

	tests := []struct {
		name   string
		change func(*LoadResult)
		want   string
	}{
		{"dropped", func(r *LoadResult) { r.BatBus.Dropped = 1 }, "batbus: 1 frames dropped"},
		{"not received", func(r *LoadResult) { r.VECan.Received = 19 }, "vecan: 19 frames received"},
		{"lost in the hub", func(r *LoadResult) { r.VECan.Offered = 11 }, "11 frames offered"},
		{"over capacity", func(r *LoadResult) { r.OfferedLoad = 1.01 }, "above the target"},
		{"short of the target", func(r *LoadResult) { r.OfferedLoad = 0.9 }, "short of the target"},
		{"a frame waits", func(r *LoadResult) { r.MaxWireDelay = time.Second }, "does not keep up"},
		{"no status", func(r *LoadResult) { r.StatusFrames = 0 }, "no battery status frame"},
		{"status stops", func(r *LoadResult) { r.MaxStatusGap = 1520 * time.Millisecond }, "without a battery status frame"},
		{"status late in wall time", func(r *LoadResult) { r.MaxStatusGapWall = 3 * time.Second }, "of wall time"},
		{"answers missing", func(r *LoadResult) { r.VREGAnswered = 1 }, "VREG: 3 asked, 1 answered"},
		{"refused", func(r *LoadResult) { r.VREGRefused = 1 }, "1 refused"},
		{"unanswered in time", func(r *LoadResult) { r.VREGUnanswered = 1 }, "1 unanswered"},
		{"left running", func(r *LoadResult) { r.StayedRunning, r.FinalState = false, events.StateError }, "left Running"},
		{"lagging", func(r *LoadResult) { r.Pace.MaxLag = 2 * time.Second }, "late"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.change(&r)
			err := r.Check(LoadLimits{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	r := good
	r.Pace.MaxLag = 2 * time.Second
	r.MaxStatusGapWall = 3 * time.Second
	assert.NoError(t, r.Check(LoadLimits{MaxLag: 3 * time.Second}), "the bound is the caller's")
	assert.NoError(t, r.Check(LoadLimits{ModelOnly: true}), "the machine's bounds left out")
	r.VECan.Dropped = 1
	assert.Error(t, r.Check(LoadLimits{ModelOnly: true}))
}

// The wire model sends by CAN arbitration, one frame at a time at the bit rate: the lowest
// identifier first, a standard frame before an extended one of the same base identifier, equal
// identifiers in their order.
func TestWireModelArbitration(t *testing.T) {
	const bitrate = 250_000
	bitTime := time.Second / bitrate
	ext := func(id uint32, b byte) can.Frame {
		return can.Frame{ID: id, IsExtended: true, Length: 8, Data: can.Data{b, 1, 2, 3, 4, 5, 6, 7}}
	}
	low, high, same := ext(0x19F20000, 1), ext(0x09F20000, 2), ext(0x19F20000, 3)
	std := can.Frame{ID: 0x19F20000 >> 18, Length: 1}
	w := wireModel{bitrate: bitrate}
	w.release(0, low, false, false)
	w.release(0, high, true, false)
	w.release(0, same, false, true)
	w.release(0, std, false, false)
	w.run(10 * time.Millisecond)

	// Order: high (lowest identifier), std (same base as low, but standard), low, same.
	d1 := time.Duration(canbus.FrameBits(high)) * bitTime
	d2 := d1 + time.Duration(canbus.FrameBits(std))*bitTime
	d3 := d2 + time.Duration(canbus.FrameBits(low))*bitTime
	d4 := d3 + time.Duration(canbus.FrameBits(same))*bitTime
	assert.Equal(t, d1, w.maxStatusDelay, "the status frame went first")
	assert.Equal(t, d4, w.maxOwnDelay, "the own frame, equal to low, went after it")
	assert.Equal(t, d4, w.maxDelay)
	assert.Equal(t, d4, w.free)
	assert.Zero(t, w.maxQueue)

	// A frame released while the wire is idle goes at once; frames that do not fit before the
	// next release wait for it, and count as queued.
	w = wireModel{bitrate: bitrate}
	w.release(5*time.Millisecond, low, false, false)
	w.run(6 * time.Millisecond)
	assert.Equal(t, 5*time.Millisecond+time.Duration(canbus.FrameBits(low))*bitTime, w.free)
	for range 20 {
		w.release(6*time.Millisecond, low, false, false)
	}
	w.run(7 * time.Millisecond)
	assert.Positive(t, w.maxQueue)
	assert.Less(t, w.maxQueue, 20)
	w.run(time.Second)
	assert.Empty(t, w.queue)
	assert.Equal(t, 20*time.Duration(canbus.FrameBits(low))*bitTime, w.maxDelay, "the last of the 20 waited for the 19 before it")

	// Error frames take no bus time.
	w = wireModel{bitrate: bitrate}
	w.release(0, can.Frame{ID: canbus.ErrFlag | 0x40, Length: 8}, false, false)
	assert.Empty(t, w.queue)
}

// Requests still waiting at the end are pending if asked within the answer window, unanswered
// otherwise; a register asked again before its last request was answered counts one unanswered.
func TestFlooderSortsUnansweredRequests(t *testing.T) {
	h := canbus.NewHub("vecan")
	master := h.Attach()
	f := newFlooder(h.Attach(), h, 0x50, 1, 100*time.Millisecond, 10*time.Millisecond,
		func(vecan.Register) (vecan.RegisterInfo, bool) { return vecan.RegisterInfo{}, true },
		func(r vecan.Register) bool { return r == vecan.RegProductID || r == vecan.RegTTG })
	require.Equal(t, []vecan.Register{vecan.RegProductID, vecan.RegTTG}, f.regs)
	f.begin(0)
	var now time.Duration
	step := func() {
		now += 10 * time.Millisecond
		h.Deliver()
		master.Receive(nil)
		f.Step(now)
	}
	// Product id at 10 ms, TTG at 110 ms, product id again at 210 ms: no answers at all.
	for now < 250*time.Millisecond {
		step()
	}
	assert.Equal(t, uint64(3), f.asked)
	assert.Equal(t, uint64(1), f.unanswered, "product id asked again without an answer")
	// The master answers TTG, as a broadcast.
	require.NoError(t, master.Send(vecan.VREG{Register: vecan.RegTTG, Value: 600, Size: 2}.Frame(0x50, 0xFF)))
	step()
	assert.Equal(t, uint64(1), f.answered)
	assert.Equal(t, 150*time.Millisecond, f.maxResponse, "asked at 110 ms, heard at 260 ms")
	f.finish(now + 2*time.Second)
	assert.Equal(t, uint64(2), f.unanswered, "product id, asked at 210 ms, had its second")
	assert.Zero(t, f.pending)
}
