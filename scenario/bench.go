package scenario

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/driver"
	"github.com/lynxsim/lynxsim/plant"
)

// The reference system of the performance targets (issue 10): 8 × LFP 24 V 280 Ah in 2 series × 4
// parallel (48 V), a charger and a load that change every few minutes, both buses recorded.

// ReferenceConfig returns the reference system with n batteries: 2 in series, n/2 strings (one
// string of one battery for n = 1).
func ReferenceConfig(n int) Config {
	cfg := DefaultConfig()
	cfg.Series, cfg.Parallel = 2, max(n/2, 1)
	if n == 1 {
		cfg.Series = 1
	}
	cfg.SOCPercent = 50
	return cfg
}

// referenceProfiles are the charger and load of the reference system: a day's pattern compressed
// into an hour, repeating. A string takes 33.3 Ah an hour and gives 30 Ah, so the bank climbs
// slowly from its 50 % and a run of any length stays in range: a day ends near 80 %, and a longer
// run is held at full by DVCC (useReferenceProfiles).
func referenceProfiles(strings int) (charger, load plant.Profile) {
	per := float64(strings)
	period := time.Hour
	charger = plant.ProfileFunc(func(t time.Duration) float64 {
		switch ph := t % period; {
		case ph < 30*time.Minute:
			return 60 * per
		case ph < 40*time.Minute:
			return 20 * per
		}
		return 0
	})
	load = plant.ProfileFunc(func(t time.Duration) float64 {
		switch ph := t % period; {
		case ph < 10*time.Minute:
			return 10 * per
		case ph < 40*time.Minute:
			return 40 * per
		}
		return 25 * per
	})
	return charger, load
}

// referenceDVCCPeriod is how often the reference system's GX reads the master's limits: about
// the second at which Venus OS applies DVCC (an assumption; its code runs it on a timer of a
// few seconds at most).
const referenceDVCCPeriod = time.Second

// useReferenceProfiles gives the system the reference charger and load under a GX's DVCC: both
// follow the master's current limits and allowed-to-charge/-discharge as the GX last read them,
// as a real system's would, so that the bank never runs past the master's protections.
func useReferenceProfiles(sys *System, strings int) {
	charger, load := referenceProfiles(strings)
	gx := &gxDVCC{}
	gx.read(sys.Units)
	sys.SetCharger(gx.charger(charger))
	sys.SetLoad(gx.load(load))
	var next time.Duration
	sys.Loop.Add(driver.StepFunc(func(now time.Duration) {
		if now >= next {
			next = now + referenceDVCCPeriod
			gx.read(sys.Units)
		}
	}))
}

// BenchResult is one measurement of simulated speed.
type BenchResult struct {
	Batteries      int
	Simulated      time.Duration
	Wall           time.Duration
	Steps          uint64
	AllocsPerStep  float64
	BytesPerStep   float64
	HeapAfterBytes uint64
}

// RealTimeFactor is simulated seconds per wall second.
func (b BenchResult) RealTimeFactor() float64 { return b.Simulated.Seconds() / b.Wall.Seconds() }

// NanosPerSimulatedSecond is the cost of a simulated second.
func (b BenchResult) NanosPerSimulatedSecond() float64 {
	return float64(b.Wall.Nanoseconds()) / b.Simulated.Seconds()
}

// Bench runs the reference system with n batteries for simulated time d, recording both buses in
// candump format to nowhere (every frame formatted), and measures it.
func Bench(ctx context.Context, n int, d time.Duration) (BenchResult, error) {
	cfg := ReferenceConfig(n)
	sys, err := Build(ctx, cfg)
	if err != nil {
		return BenchResult{}, err
	}
	defer sys.Close()
	useReferenceProfiles(sys, cfg.Parallel)
	w := canbus.NewLogWriter(io.Discard)
	if err := sys.Record(ctx, w); err != nil {
		return BenchResult{}, err
	}
	// A minute to come up, not measured.
	sys.Loop.RunFor(time.Minute)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	steps := sys.Loop.Steps()
	start := time.Now()
	sys.Loop.RunFor(d)
	wall := time.Since(start)
	runtime.ReadMemStats(&after)
	if err := sys.RecordErr(); err != nil {
		return BenchResult{}, err
	}
	if st := sys.Master.State(); st.String() != "Running" {
		return BenchResult{}, fmt.Errorf("bench: the reference system with %d batteries is not running but %v (error %v)", n, st, sys.Master.Error())
	}
	s := float64(sys.Loop.Steps() - steps)
	return BenchResult{Batteries: n, Simulated: d, Wall: wall, Steps: uint64(s),
		AllocsPerStep: float64(after.Mallocs-before.Mallocs) / s, BytesPerStep: float64(after.TotalAlloc-before.TotalAlloc) / s,
		HeapAfterBytes: after.HeapAlloc}, nil
}
