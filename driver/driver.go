// Package driver owns time. It advances a virtual clock in fixed steps and, at each step, steps
// every part of a system in a fixed order: in-memory hubs deliver, the plant moves, the firmware
// nodes run. The same loop runs as fast as the machine allows (tests, scenarios, --speed max) or
// paced against the wall clock at any speed (real buses, --speed 1). Nodes take time as an
// argument and never read the wall clock; this package is the only place that does.
package driver

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Stepper is anything the driver advances: a hub delivering frames, the plant, a firmware node.
// Step is called with the virtual time since the start, which grows by the step size each call.
type Stepper interface {
	Step(now time.Duration)
}

// StepFunc adapts a function to Stepper.
type StepFunc func(now time.Duration)

// Step calls f(now).
func (f StepFunc) Step(now time.Duration) { f(now) }

// DefaultStep is the step size lynxsim runs at: 10 ms resolves the shortest timing the documents
// name (the 250 ms MG register period of changelog 1.26-05) twenty-five times over, and a
// fast-packet burst leaves within one step as it does on the real bus.
const DefaultStep = 10 * time.Millisecond

// Loop steps a fixed list of Steppers in order.
type Loop struct {
	step     time.Duration
	steppers []Stepper
	now      time.Duration
	steps    uint64
	pace     PaceStats
}

// New returns a loop at virtual time 0 that advances by step and steps steppers in the given
// order at every step. A step of zero or less means DefaultStep.
func New(step time.Duration, steppers ...Stepper) *Loop {
	if step <= 0 {
		step = DefaultStep
	}
	// The loop keeps its own copy of the order: Insert shifts elements in place, and must not
	// write through into a slice the caller passed with spare capacity.
	return &Loop{step: step, steppers: append([]Stepper(nil), steppers...)}
}

// Add appends steppers to the order.
func (l *Loop) Add(s ...Stepper) { l.steppers = append(l.steppers, s...) }

// Insert puts s at position i of the order (0 is first; i beyond the end appends).
func (l *Loop) Insert(i int, s Stepper) {
	i = max(0, min(i, len(l.steppers)))
	l.steppers = append(l.steppers[:i], append([]Stepper{s}, l.steppers[i:]...)...)
}

// Now returns the virtual time of the last step.
func (l *Loop) Now() time.Duration { return l.now }

// StepSize returns the step size.
func (l *Loop) StepSize() time.Duration { return l.step }

// Steps returns how many steps have run.
func (l *Loop) Steps() uint64 { return l.steps }

// Advance runs one step.
func (l *Loop) Advance() {
	l.now += l.step
	l.steps++
	for _, s := range l.steppers {
		s.Step(l.now)
	}
}

// RunFor advances, as fast as the machine allows, until d of virtual time has passed.
func (l *Loop) RunFor(d time.Duration) {
	for end := l.now + d; l.now < end; {
		l.Advance()
	}
}

// RunUntil advances as fast as possible until done returns true after a step or limit of virtual
// time has passed, and reports whether done was reached.
func (l *Loop) RunUntil(limit time.Duration, done func() bool) bool {
	for end := l.now + limit; l.now < end; {
		l.Advance()
		if done() {
			return true
		}
	}
	return false
}

// PaceStats measures how closely paced runs (Run with a Speed) kept to the wall clock. A step's
// wall-clock time is when the wall clock, scaled by the speed, reaches the step's virtual time;
// a step that starts after it is late by the difference. Lateness comes from the ticker waking
// late (the scheduler), from steps that cost more than their share of wall time, and from
// Observe; a loop that keeps up is late by at most about one Tick.
//
// The counts cover every paced run of the loop since New; runs as fast as possible (Speed 0,
// RunFor, RunUntil) are not counted.
type PaceStats struct {
	Runs  uint64 // paced runs
	Wakes uint64 // times a paced run woke to catch up with the wall clock
	Steps uint64 // steps run paced
	// MaxLag is the worst lateness of a step, in wall time. TotalLag sums the lateness of every
	// paced step (MeanLag divides it by Steps).
	MaxLag, TotalLag time.Duration
	// Late counts the steps that started more than a Tick late: rare spikes (the machine busy
	// elsewhere) against a loop that keeps falling behind.
	Late uint64
	// Overruns counts the catch-ups cut short after a Tick of wall time with steps still due:
	// the machine could not keep up with the speed, for a while at least.
	Overruns uint64
	// Behind is how far behind the wall clock the last paced run ended, in wall time: the lag
	// it never caught up (0 for a run that kept up).
	Behind time.Duration
}

// MeanLag is the mean lateness of a paced step.
func (s PaceStats) MeanLag() time.Duration {
	if s.Steps == 0 {
		return 0
	}
	return s.TotalLag / time.Duration(s.Steps)
}

// PaceStats returns the loop's pacing statistics (see PaceStats).
func (l *Loop) PaceStats() PaceStats { return l.pace }

// Pace says how virtual time relates to the wall clock.
type Pace struct {
	// Speed is virtual seconds per wall second; 0 means as fast as possible.
	Speed float64
	// Tick is how often, in wall time, a paced loop wakes to catch up (default 10 ms) and how
	// often Observe is called.
	Tick time.Duration
	// Observe, when set, is called on the driver's goroutine between steps, at most once per
	// Tick of wall time, with the virtual time: the place to refresh a status screen.
	Observe func(now time.Duration)
}

// ParseSpeed reads a --speed value: a positive number of virtual seconds per wall second, or "max".
func ParseSpeed(s string) (float64, error) {
	if s == "max" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0 && v <= 1e9) {
		return 0, fmt.Errorf("speed %q: want a positive number such as 1, 10 or 0.5, or max", s)
	}
	return v, nil
}

// Run advances until d of virtual time has passed (d <= 0: until ctx ends), paced as p says. It
// returns ctx.Err() when ctx ended first, nil otherwise. The loop is left at the last whole step,
// so the caller can still read a consistent state and write a summary.
func (l *Loop) Run(ctx context.Context, d time.Duration, p Pace) error {
	tick := p.Tick
	if tick <= 0 {
		tick = 10 * time.Millisecond
	}
	end := time.Duration(1<<63 - 1)
	if d > 0 {
		end = l.now + d
	}
	switch {
	case p.Speed == 0:
		return l.runFlat(ctx, end, tick, p.Observe)
	case !(p.Speed > 0):
		// Negative or NaN: time would never advance. ParseSpeed never gives one; a caller that
		// builds a Pace by hand gets told instead of a loop that waits for ever.
		return fmt.Errorf("driver: speed %v: want a positive number, or 0 for as fast as possible", p.Speed)
	}
	return l.runPaced(ctx, end, tick, p)
}

// checkEvery is how many steps run between looks at the context and the wall clock: few enough
// that cancellation is prompt, many enough that the looks cost nothing next to the steps.
const checkEvery = 256

// runFlat runs without pacing, looking at the context and the wall clock only every few hundred
// steps so that they cost nothing next to the steps themselves.
func (l *Loop) runFlat(ctx context.Context, end, tick time.Duration, observe func(time.Duration)) error {
	lastObserved := time.Now()
	for l.now < end {
		// The context is looked at before each burst, not after it, so that a context that has
		// already ended does not advance the system by a burst the caller did not ask for.
		if err := ctx.Err(); err != nil {
			return err
		}
		for i := 0; i < checkEvery && l.now < end; i++ {
			l.Advance()
		}
		if observe != nil && time.Since(lastObserved) >= tick {
			lastObserved = time.Now()
			observe(l.now)
		}
	}
	if observe != nil {
		observe(l.now)
	}
	return nil
}

func (l *Loop) runPaced(ctx context.Context, end, tick time.Duration, p Pace) error {
	// The start is read before the ticker starts, so that every tick comes at or after the wall
	// time of a step boundary (when the tick is the step's wall time): read after, it made the
	// ticks fall just before the boundaries, and every step wait a whole tick for the next.
	wallStart := time.Now()
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	virtualStart := l.now
	l.pace.Runs++
	l.pace.Behind = 0
	// lateness is how long after its wall-clock time a step that starts now, at virtual time
	// at, starts: negative when it is early.
	lateness := func(at time.Duration) time.Duration {
		return time.Since(wallStart) - time.Duration(float64(at-virtualStart)/p.Speed)
	}
	defer func() {
		// What was due and never run: positive only when the run stopped (its context ended)
		// behind the wall clock; a run that reached its end owes nothing.
		if l.now < end {
			l.pace.Behind = max(0, lateness(l.now+l.step))
		}
	}()
	for l.now < end {
		// Looked at before the select too, because select picks at random between a ready
		// ticker and an ended context: an end must win, not race one more burst.
		if err := ctx.Err(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
		l.pace.Wakes++
		target := pacedTarget(virtualStart, time.Since(wallStart), p.Speed)
		// Catch up to target, but never for longer than a tick of wall time without looking at
		// the context and letting Observe run: at a speed the machine cannot keep up with, one
		// tick's target can be millions of steps away, and a burst that long would leave a
		// cancelled run (Ctrl-C) and the status screen waiting for it.
		burstStart := time.Now()
		for n := 1; l.now+l.step <= target && l.now < end; n++ {
			// The step about to run is due when the wall clock reaches its virtual time.
			late := max(0, lateness(l.now+l.step))
			l.pace.Steps++
			l.pace.TotalLag += late
			l.pace.MaxLag = max(l.pace.MaxLag, late)
			if late > tick {
				l.pace.Late++
			}
			l.Advance()
			if n%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				if time.Since(burstStart) >= tick {
					if l.now+l.step <= target && l.now < end {
						l.pace.Overruns++
					}
					break
				}
			}
		}
		if p.Observe != nil {
			p.Observe(l.now)
		}
	}
	return nil
}

// pacedTarget is the virtual time a paced loop should have reached after elapsed wall time at
// speed. It saturates at the largest Duration instead of converting an out-of-range float: Go
// leaves that conversion's result to the implementation (on amd64 it is the most negative
// int64), which would make a very fast or very long paced run stop advancing for good.
func pacedTarget(virtualStart, elapsed time.Duration, speed float64) time.Duration {
	target := float64(virtualStart) + float64(elapsed)*speed
	if !(target < math.MaxInt64) {
		return math.MaxInt64
	}
	return time.Duration(target)
}
