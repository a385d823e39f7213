package scenario

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/events"
)

// BenchmarkDefaultSystemHour runs the default system (2 × LFP 24 V 280 Ah, both buses in memory)
// for a simulated hour and reports how many times faster than real time that is.
func BenchmarkDefaultSystemHour(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sys, err := Build(context.Background(), DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		sys.Loop.RunFor(time.Hour)
		sys.Close()
	}
	b.ReportMetric(float64(b.N)*time.Hour.Seconds()/b.Elapsed().Seconds(), "x_realtime")
}

// BenchmarkScenarioLongest runs the suite's longest scenario (by simulated time) on its first
// version, expectations and trace included, and reports simulated seconds per wall second. The
// project's aim is 10 000 × real time for an 8-battery bank (issue 10).
func BenchmarkScenarioLongest(b *testing.B) {
	files, err := filepath.Glob(filepath.Join(suiteDir, "*.scen"))
	if err != nil || len(files) == 0 {
		b.Fatal("no scenarios", err)
	}
	var longest *Script
	for _, f := range files {
		s, err := ParseFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if longest == nil || s.Duration > longest.Duration {
			longest = s
		}
	}
	v := versionsOf(longest)[0]
	b.Logf("%s on %v: %v simulated, %d batteries", longest.File, v, longest.Duration, longest.Bank.Series*longest.Bank.Parallel)
	b.ReportAllocs()
	for b.Loop() {
		res, err := Run(context.Background(), longest, v, RunOptions{})
		if err != nil || !res.Passed() {
			b.Fatal(err, res.Failures)
		}
	}
	b.ReportMetric(float64(b.N)*longest.Duration.Seconds()/b.Elapsed().Seconds(), "x_realtime")
}

// BenchmarkReferenceSystem is the reference system of issue 10: 8 × LFP 24 V 280 Ah, 2 series × 4
// parallel, charger and load profiles, both buses recorded in candump format. The target is
// 10 000 × real time.
func BenchmarkReferenceSystem(b *testing.B) {
	b.ReportAllocs()
	var simulated, wall time.Duration
	var allocs float64
	for b.Loop() {
		r, err := Bench(context.Background(), 8, 10*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		simulated, wall, allocs = simulated+r.Simulated, wall+r.Wall, r.AllocsPerStep
	}
	// Over every run, not the last: one run is a fraction of a second on a shared machine.
	b.ReportMetric(simulated.Seconds()/wall.Seconds(), "x_realtime")
	b.ReportMetric(allocs, "allocs/step")
}

// TestReferenceProfilesBalance: over its hour the reference charger gives a string more than the
// load takes, so a bank left running climbs instead of running down into the master's
// under-voltage protection (a day-long bench once ended in error #14).
func TestReferenceProfilesBalance(t *testing.T) {
	charger, load := referenceProfiles(1)
	var chargeAh, loadAh float64
	const step = time.Second
	for at := time.Duration(0); at < time.Hour; at += step {
		chargeAh += charger.At(at) * step.Hours()
		loadAh += load.At(at) * step.Hours()
	}
	assert.InDelta(t, 100.0/3, chargeAh, 1e-6)
	assert.InDelta(t, 30, loadAh, 1e-6)
}

// TestReferenceSystemStaysRunning runs the reference system from nearly full and from nearly
// empty for three hours: the GX's DVCC must keep the charger and load inside the master's limits,
// so that the master is still running without an error at the end, however long a bench runs.
func TestReferenceSystemStaysRunning(t *testing.T) {
	for _, soc := range []float64{97, 5} {
		t.Run(fmt.Sprintf("soc_%g", soc), func(t *testing.T) {
			cfg := ReferenceConfig(2)
			cfg.SOCPercent = soc
			sys, err := Build(context.Background(), cfg)
			require.NoError(t, err)
			defer sys.Close()
			useReferenceProfiles(sys, cfg.Parallel)
			sys.Loop.RunFor(3 * time.Hour)
			assert.Equal(t, events.StateRunning, sys.Master.State(), "error %v", sys.Master.Error())
			assert.Equal(t, events.ErrNone, sys.Master.Error())
		})
	}
}
