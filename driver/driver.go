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
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	wallStart := time.Now()
	virtualStart := l.now
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
		target := pacedTarget(virtualStart, time.Since(wallStart), p.Speed)
		// Catch up to target, but never for longer than a tick of wall time without looking at
		// the context and letting Observe run: at a speed the machine cannot keep up with, one
		// tick's target can be millions of steps away, and a burst that long would leave a
		// cancelled run (Ctrl-C) and the status screen waiting for it.
		burstStart := time.Now()
		for n := 1; l.now+l.step <= target && l.now < end; n++ {
			l.Advance()
			if n%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				if time.Since(burstStart) >= tick {
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
