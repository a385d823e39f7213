package driver

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// watchdog bounds every test that runs against the wall clock. It is generous because these
// machines are noisy: it only turns a hang into a failure, it does not measure speed.
const watchdog = 30 * time.Second

// recorder is a Stepper that remembers every time it was stepped with.
type recorder struct{ times []time.Duration }

func (r *recorder) Step(now time.Duration) { r.times = append(r.times, now) }

func TestNewDefaultsStep(t *testing.T) {
	for _, step := range []time.Duration{0, -time.Second} {
		assert.Equal(t, DefaultStep, New(step).StepSize(), "step %v", step)
	}
	assert.Equal(t, 3*time.Millisecond, New(3*time.Millisecond).StepSize())
}

func TestRunForRunsExactSteps(t *testing.T) {
	tests := []struct {
		name  string
		step  time.Duration
		d     time.Duration
		steps uint64
	}{
		{"default step, 1 s", 0, time.Second, 100},
		{"1 ms, 250 ms", time.Millisecond, 250 * time.Millisecond, 250},
		{"10 ms, one step", 10 * time.Millisecond, 10 * time.Millisecond, 1},
		{"100 ms, 1 h", 100 * time.Millisecond, time.Hour, 36_000},
		{"zero duration", 10 * time.Millisecond, 0, 0},
		{"negative duration", 10 * time.Millisecond, -time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			l := New(tt.step, r)
			l.RunFor(tt.d)
			assert.Equal(t, tt.steps, l.Steps())
			assert.Equal(t, time.Duration(tt.steps)*l.StepSize(), l.Now())
			require.Len(t, r.times, int(tt.steps))
			// Each step sees the time after it, growing by exactly one step size.
			for i, got := range r.times {
				require.Equal(t, time.Duration(i+1)*l.StepSize(), got, "step %d", i)
			}
			// A second call continues from where the first stopped.
			l.RunFor(tt.d)
			assert.Equal(t, 2*tt.steps, l.Steps())
		})
	}
}

// A duration that is not a whole number of steps runs the step that crosses it: the loop only
// ever stands on step boundaries.
func TestRunForPartialStepRoundsUp(t *testing.T) {
	l := New(10 * time.Millisecond)
	l.RunFor(25 * time.Millisecond)
	assert.Equal(t, uint64(3), l.Steps())
	assert.Equal(t, 30*time.Millisecond, l.Now())
}

// named is a Stepper that appends its name to a shared log.
type named struct {
	name string
	log  *[]string
}

func (n named) Step(time.Duration) { *n.log = append(*n.log, n.name) }

func TestStepOrder(t *testing.T) {
	tests := []struct {
		name  string
		build func(l *Loop, mk func(string) Stepper)
		want  []string
	}{
		{"New then Add", func(l *Loop, mk func(string) Stepper) { l.Add(mk("c"), mk("d")) }, []string{"a", "b", "c", "d"}},
		{"Insert at 0", func(l *Loop, mk func(string) Stepper) { l.Insert(0, mk("x")) }, []string{"x", "a", "b"}},
		{"Insert in the middle", func(l *Loop, mk func(string) Stepper) { l.Insert(1, mk("x")) }, []string{"a", "x", "b"}},
		{"Insert at the end", func(l *Loop, mk func(string) Stepper) { l.Insert(2, mk("x")) }, []string{"a", "b", "x"}},
		{"Insert beyond the end", func(l *Loop, mk func(string) Stepper) { l.Insert(99, mk("x")) }, []string{"a", "b", "x"}},
		{"Insert before the start", func(l *Loop, mk func(string) Stepper) { l.Insert(-3, mk("x")) }, []string{"x", "a", "b"}},
		{"several Inserts and an Add", func(l *Loop, mk func(string) Stepper) {
			l.Insert(1, mk("x"))
			l.Add(mk("z"))
			l.Insert(0, mk("w"))
			l.Insert(3, mk("y"))
		}, []string{"w", "a", "x", "y", "b", "z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log []string
			mk := func(name string) Stepper { return named{name, &log} }
			l := New(0, mk("a"), mk("b"))
			tt.build(l, mk)
			l.RunFor(2 * DefaultStep)
			// The same order at every step.
			assert.Equal(t, append(append([]string(nil), tt.want...), tt.want...), log)
		})
	}
}

// Insert must not disturb the caller's slice when New was given one with spare capacity: the
// loop's order is its own.
func TestInsertLeavesCallerSliceAlone(t *testing.T) {
	var log []string
	a, b, x := named{"a", &log}, named{"b", &log}, named{"x", &log}
	steppers := make([]Stepper, 2, 8)
	steppers[0], steppers[1] = a, b
	l := New(0, steppers...)
	l.Insert(0, x)
	assert.Equal(t, []Stepper{a, b}, steppers)
	l.Advance()
	assert.Equal(t, []string{"x", "a", "b"}, log)
}

func TestStepFunc(t *testing.T) {
	var got []time.Duration
	l := New(5*time.Millisecond, StepFunc(func(now time.Duration) { got = append(got, now) }))
	l.RunFor(15 * time.Millisecond)
	assert.Equal(t, []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 15 * time.Millisecond}, got)
}

func TestRunUntil(t *testing.T) {
	tests := []struct {
		name      string
		limit     time.Duration
		doneAfter uint64 // done becomes true once this many steps have run; 0: never
		want      bool
		steps     uint64
	}{
		{"done at the first step", time.Second, 1, true, 1},
		{"done in the middle", time.Second, 37, true, 37},
		{"done at the last step of the limit", time.Second, 100, true, 100},
		{"done one step too late", time.Second, 101, false, 100},
		{"never done", time.Second, 0, false, 100},
		{"no time at all", 0, 1, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New(10 * time.Millisecond)
			calls := 0
			got := l.RunUntil(tt.limit, func() bool {
				calls++
				return tt.doneAfter > 0 && l.Steps() >= tt.doneAfter
			})
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.steps, l.Steps(), "it stops at the first true, or at the limit")
			assert.Equal(t, time.Duration(tt.steps)*10*time.Millisecond, l.Now())
			assert.Equal(t, int(tt.steps), calls, "done is asked once after every step")
		})
	}
}

func TestParseSpeed(t *testing.T) {
	good := []struct {
		in   string
		want float64
	}{
		{"1", 1},
		{"0.5", 0.5},
		{"10", 10},
		{"max", 0},
		{"1e9", 1e9},
	}
	for _, tt := range good {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpeed(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	bad := []string{"0", "-1", "abc", "NaN", "Inf", "+Inf", "-Inf", "1e12", "", "MAX", " 1", "1x"}
	for _, in := range bad {
		t.Run("bad "+in, func(t *testing.T) {
			_, err := ParseSpeed(in)
			require.Error(t, err)
			// The message quotes the input, so the user sees what was wrong.
			assert.Contains(t, err.Error(), `"`+in+`"`)
		})
	}
}

func TestRunFlatReachesExactTimeAndObserves(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
	}{
		{"shorter than one burst", 50 * time.Millisecond},
		{"exactly one burst", checkEvery * DefaultStep},
		{"several bursts", 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), watchdog)
			defer cancel()
			l := New(0)
			var observed []time.Duration
			err := l.Run(ctx, tt.d, Pace{Speed: 0, Observe: func(now time.Duration) { observed = append(observed, now) }})
			require.NoError(t, err)
			assert.Equal(t, tt.d, l.Now())
			assert.Equal(t, uint64(tt.d/DefaultStep), l.Steps())
			require.NotEmpty(t, observed)
			// The last observation is the final state, for a summary screen.
			assert.Equal(t, tt.d, observed[len(observed)-1])
			for i := 1; i < len(observed); i++ {
				assert.LessOrEqual(t, observed[i-1], observed[i], "observations go forward")
			}
		})
	}
}

func TestRunFlatWithoutObserve(t *testing.T) {
	l := New(0)
	require.NoError(t, l.Run(context.Background(), time.Second, Pace{}))
	assert.Equal(t, time.Second, l.Now())
}

func TestRunPacedReachesExactTime(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	l := New(0)
	observed := 0
	err := l.Run(ctx, time.Second, Pace{Speed: 200, Observe: func(time.Duration) { observed++ }})
	require.NoError(t, err, "1 s of virtual time at speed 200 must finish well within the watchdog")
	assert.Equal(t, time.Second, l.Now())
	assert.Equal(t, uint64(100), l.Steps())
	assert.Positive(t, observed)
}

// A speed so high that virtual time overflows a Duration must not stall the loop: the target
// saturates instead of wrapping negative.
func TestRunPacedAbsurdSpeedStillAdvances(t *testing.T) {
	for _, speed := range []float64{1e300, math.Inf(1)} {
		t.Run(fmt.Sprint(speed), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), watchdog)
			defer cancel()
			l := New(0)
			require.NoError(t, l.Run(ctx, time.Second, Pace{Speed: speed}))
			assert.Equal(t, time.Second, l.Now())
		})
	}
}

func TestPacedTarget(t *testing.T) {
	tests := []struct {
		name         string
		start, since time.Duration
		speed        float64
		want         time.Duration
	}{
		{"real time", 0, time.Second, 1, time.Second},
		{"ten times", 5 * time.Second, time.Second, 10, 15 * time.Second},
		{"half speed", 0, time.Second, 0.5, 500 * time.Millisecond},
		{"overflow saturates", 0, time.Hour, 1e9, math.MaxInt64},
		{"infinite speed saturates", 0, time.Millisecond, math.Inf(1), math.MaxInt64},
		{"NaN saturates", 0, time.Millisecond, math.NaN(), math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, pacedTarget(tt.start, tt.since, tt.speed))
		})
	}
}

func TestRunCancelled(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, d := range []time.Duration{0, time.Hour, DefaultStep} {
		t.Run("flat, already cancelled, d="+d.String(), func(t *testing.T) {
			l := New(0)
			err := l.Run(cancelled, d, Pace{})
			require.ErrorIs(t, err, context.Canceled)
			assert.Zero(t, l.Steps(), "a context that has ended advances nothing")
		})
		t.Run("paced, already cancelled, d="+d.String(), func(t *testing.T) {
			l := New(0)
			err := l.Run(cancelled, d, Pace{Speed: 1})
			require.ErrorIs(t, err, context.Canceled)
			assert.Zero(t, l.Steps())
		})
	}
}

// Cancelling while running stops the loop within one burst of steps (counted, not timed).
func TestRunCancelledWhileRunning(t *testing.T) {
	const cancelAt = 1000
	tests := []struct {
		name  string
		speed float64
	}{
		{"flat", 0},
		// Far faster than any machine can step: before the burst limit, one tick's target was
		// ten million virtual seconds away and cancellation waited for all of it.
		{"paced beyond the machine", 1e9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			watch, stop := context.WithTimeout(context.Background(), watchdog)
			defer stop()
			l := New(0)
			l.Add(StepFunc(func(time.Duration) {
				switch l.Steps() {
				case cancelAt:
					cancel()
				case cancelAt + 100*checkEvery:
					// On the test's goroutine: Run is called from it below.
					t.Fatalf("still stepping %d steps after the context was cancelled", 100*checkEvery)
				}
				if watch.Err() != nil {
					t.Fatal("watchdog expired")
				}
			}))
			err := l.Run(ctx, 0, Pace{Speed: tt.speed})
			require.ErrorIs(t, err, context.Canceled)
			assert.GreaterOrEqual(t, l.Steps(), uint64(cancelAt))
			assert.LessOrEqual(t, l.Steps(), uint64(cancelAt+checkEvery))
		})
	}
}

// A paced run without an end stops when the context does, from the Observe callback too.
func TestRunPacedCancelledFromObserve(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	l := New(0)
	observed := 0
	err := l.Run(ctx, 0, Pace{Speed: 1, Tick: time.Millisecond, Observe: func(time.Duration) {
		observed++
		if observed == 3 {
			cancel()
		}
	}})
	require.ErrorIs(t, err, context.Canceled, "cancelled by Observe, not by the watchdog")
	assert.Equal(t, 3, observed)
}

// A context that ends after the duration was reached does not turn success into an error.
func TestRunFinishesBeforeDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	l := New(0)
	require.NoError(t, l.Run(ctx, 3*DefaultStep, Pace{}))
	assert.Equal(t, 3*DefaultStep, l.Now())
}

func BenchmarkAdvance(b *testing.B) {
	var n int
	l := New(0, StepFunc(func(time.Duration) { n++ }), StepFunc(func(time.Duration) { n++ }))
	b.ReportAllocs()
	for b.Loop() {
		l.Advance()
	}
	_ = n
}

func TestRunRefusesBackwardSpeeds(t *testing.T) {
	for _, speed := range []float64{-1, math.NaN()} {
		l := New(0)
		err := l.Run(context.Background(), time.Second, Pace{Speed: speed})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "positive")
		assert.Zero(t, l.Now())
	}
}

// A paced run that keeps up counts its steps and wakes; runs as fast as possible count nothing.
func TestPaceStatsCountPacedRunsOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	l := New(0)
	l.RunFor(time.Second)
	require.NoError(t, l.Run(ctx, time.Second, Pace{}))
	assert.Zero(t, l.PaceStats(), "flat runs are not paced")

	require.NoError(t, l.Run(ctx, time.Second, Pace{Speed: 200}))
	s := l.PaceStats()
	assert.Equal(t, uint64(1), s.Runs)
	assert.Equal(t, uint64(100), s.Steps)
	// The first tick (10 ms of wall time) is already 2 s of virtual time at speed 200: one wake
	// runs the whole second.
	assert.Equal(t, uint64(1), s.Wakes)
	assert.Zero(t, s.Overruns)
	assert.GreaterOrEqual(t, s.MaxLag, s.MeanLag())
	assert.Equal(t, s.TotalLag/100, s.MeanLag())
	// Correctness, not speed: an empty loop is late by scheduler noise only.
	assert.Less(t, s.MaxLag, time.Second)
	assert.Zero(t, s.Behind, "a run that reached its end owes nothing")

	require.NoError(t, l.Run(ctx, 100*time.Millisecond, Pace{Speed: 200}))
	assert.Equal(t, uint64(2), l.PaceStats().Runs)
	assert.Equal(t, uint64(110), l.PaceStats().Steps, "counts add up across paced runs")
	assert.Zero(t, PaceStats{}.MeanLag())
}

// A step that takes longer than its share of wall time makes the steps after it late, by at
// least what it overran: lower bounds only, since the machine may add to them.
func TestPaceStatsMeasureLateness(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	l := New(10 * time.Millisecond)
	l.Add(StepFunc(func(now time.Duration) {
		if now == 100*time.Millisecond {
			time.Sleep(50 * time.Millisecond)
		}
	}))
	require.NoError(t, l.Run(ctx, 300*time.Millisecond, Pace{Speed: 1}))
	s := l.PaceStats()
	// Step 110 ms started no earlier than 150 ms of wall time: 40 ms late at least.
	assert.GreaterOrEqual(t, s.MaxLag, 40*time.Millisecond)
	assert.GreaterOrEqual(t, s.TotalLag, 40*time.Millisecond)
	assert.Equal(t, uint64(30), s.Steps)
	assert.Positive(t, s.Late, "step 110 ms started 40 ms late, four ticks")
	assert.Zero(t, s.Behind)
}

// A run stopped behind the wall clock says how far behind; steps too slow for the speed are late.
func TestPaceStatsBehindWhenStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watch, stop := context.WithTimeout(context.Background(), watchdog)
	defer stop()
	l := New(10 * time.Millisecond)
	l.Add(StepFunc(func(time.Duration) {
		time.Sleep(30 * time.Millisecond) // three times the step's share of wall time
		if l.Steps() == 5 || watch.Err() != nil {
			cancel()
		}
	}))
	require.ErrorIs(t, l.Run(ctx, 0, Pace{Speed: 1}), context.Canceled)
	s := l.PaceStats()
	// A catch-up burst looks at the context only every few hundred steps, so it may finish the
	// steps that were due when it started.
	n := s.Steps
	require.GreaterOrEqual(t, n, uint64(5))
	// n steps took at least 10 + 30n ms of wall time, and step n+1 was due at 10(n+1) ms.
	assert.GreaterOrEqual(t, s.Behind, time.Duration(20*n)*time.Millisecond)
	// Step n was due at 10n ms and could not start before 10 + 30(n-1) ms.
	assert.GreaterOrEqual(t, s.MaxLag, time.Duration(20*n-20)*time.Millisecond)
	// From the third step on, each started more than a tick (10 ms) late.
	assert.GreaterOrEqual(t, s.Late, n-2)
}
