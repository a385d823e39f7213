package plant

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Profile is a value, amps for loads and chargers, over the simulated time since start. The plant
// samples it at the middle of each step: exact for steps that change on the step grid, and the
// step's average for a ramp. Negative, NaN and infinite values count as zero.
type Profile interface {
	At(t time.Duration) float64
}

// ProfileFunc makes a function a Profile.
type ProfileFunc func(t time.Duration) float64

// At calls f.
func (f ProfileFunc) At(t time.Duration) float64 { return f(t) }

type constant float64

func (c constant) At(time.Duration) float64 { return float64(c) }

// Constant is v at every time.
func Constant(v float64) Profile { return constant(v) }

// Point is a profile's value from a time on.
type Point struct {
	At    time.Duration
	Value float64
}

// Shape is how a profile passes from one point to the next.
type Shape int

const (
	// Stepped holds each point's value until the next point's time.
	Stepped Shape = iota
	// Linear goes in a straight line from each point to the next.
	Linear
)

func (s Shape) String() string {
	switch s {
	case Stepped:
		return "stepped"
	case Linear:
		return "linear"
	}
	return fmt.Sprintf("Shape(%d)", int(s))
}

// points is a profile through points: before the first point it is the first value, after the
// last the last value. Points at one time make a jump: the later one holds from that time.
type points struct {
	shape Shape
	pts   []Point
}

// NewProfile is a profile of shape through points: at least one, at times from zero on and never
// decreasing, with finite values. The profile keeps its own copy of the points.
func NewProfile(shape Shape, pts ...Point) (Profile, error) {
	if shape != Stepped && shape != Linear {
		return nil, fmt.Errorf("plant: profile shape %v: want Stepped or Linear", shape)
	}
	if len(pts) == 0 {
		return nil, errors.New("plant: profile without points")
	}
	for i, p := range pts {
		if err := checkPoint(p, pts[max(0, i-1)].At); err != nil {
			return nil, fmt.Errorf("plant: profile point %d: %w", i, err)
		}
	}
	return points{shape: shape, pts: append([]Point(nil), pts...)}, nil
}

// Steps is NewProfile(Stepped, pts...): each value holds from its time to the next point's.
func Steps(pts ...Point) (Profile, error) { return NewProfile(Stepped, pts...) }

// Ramps is NewProfile(Linear, pts...): linear between the points.
func Ramps(pts ...Point) (Profile, error) { return NewProfile(Linear, pts...) }

func checkPoint(p Point, previous time.Duration) error {
	switch {
	case p.At < 0:
		return fmt.Errorf("time %v: want zero or later", p.At)
	case p.At < previous:
		return fmt.Errorf("time %v before the previous point's %v", p.At, previous)
	case math.IsNaN(p.Value) || math.IsInf(p.Value, 0):
		return fmt.Errorf("value %v: want a finite number", p.Value)
	}
	return nil
}

func (p points) At(t time.Duration) float64 {
	// The first point after t; the points before it are at or before t.
	i := sort.Search(len(p.pts), func(i int) bool { return p.pts[i].At > t })
	switch {
	case i == 0:
		return p.pts[0].Value
	case i == len(p.pts) || p.shape == Stepped:
		return p.pts[i-1].Value
	}
	a, b := p.pts[i-1], p.pts[i] // a.At ≤ t < b.At
	f := float64(t-a.At) / float64(b.At-a.At)
	v := a.Value + f*(b.Value-a.Value)
	if math.IsInf(b.Value-a.Value, 0) {
		// Finite values far apart (±1e308): the difference overflows, and 0×Inf is NaN.
		v = a.Value*(1-f) + b.Value*f
	}
	// Rounding must not take the line past its ends.
	return max(min(a.Value, b.Value), min(max(a.Value, b.Value), v))
}

// CSVError is a malformed line of a profile's CSV file.
type CSVError struct {
	Name string // the file, as given
	Line int    // 1-based
	Err  error
}

func (e *CSVError) Error() string {
	return fmt.Sprintf("plant: %s line %d: %v", e.Name, e.Line, e.Err)
}

func (e *CSVError) Unwrap() error { return e.Err }

// maxSeconds is the longest time a time.Duration holds, in seconds.
const maxSeconds = float64(math.MaxInt64) / float64(time.Second)

// ReadCSV reads a profile of shape from CSV: a header line whose first field is "seconds" (the
// second names the value, for example "amps"), then one "seconds,value" row per point, seconds
// from zero and never decreasing. Blank lines and lines starting with '#' are skipped. Any
// malformed line is a *CSVError with its line number; name labels it (a file name).
func ReadCSV(r io.Reader, name string, shape Shape) (Profile, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 2
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	var pts []Point
	header := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &CSVError{Name: name, Line: pe.Line, Err: pe.Err}
			}
			return nil, fmt.Errorf("plant: %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if header {
			header = false
			if !strings.EqualFold(strings.TrimSpace(rec[0]), "seconds") {
				return nil, &CSVError{Name: name, Line: line, Err: fmt.Errorf("header %q: want seconds,<name>", strings.Join(rec, ","))}
			}
			continue
		}
		secs, err := strconv.ParseFloat(strings.TrimSpace(rec[0]), 64)
		if err != nil || math.IsNaN(secs) || secs < 0 || secs > maxSeconds {
			return nil, &CSVError{Name: name, Line: line, Err: fmt.Errorf("seconds %q: want a number from 0 to %.0f", rec[0], maxSeconds)}
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if err != nil {
			return nil, &CSVError{Name: name, Line: line, Err: fmt.Errorf("value %q: not a number", rec[1])}
		}
		p := Point{At: toDuration(secs), Value: v}
		previous := time.Duration(0)
		if len(pts) > 0 {
			previous = pts[len(pts)-1].At
		}
		if err := checkPoint(p, previous); err != nil {
			return nil, &CSVError{Name: name, Line: line, Err: err}
		}
		pts = append(pts, p)
	}
	if header {
		return nil, &CSVError{Name: name, Line: 1, Err: errors.New("empty: want a header seconds,<name>")}
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("plant: %s: no rows after the header", name)
	}
	return NewProfile(shape, pts...)
}

// toDuration converts seconds from 0 to maxSeconds to a Duration, to the nearest nanosecond. The
// top of the range rounds to 2^63 ns, one more than a Duration holds, and converting that is
// implementation-defined (math.MinInt64 on amd64, a time before zero): it saturates instead.
func toDuration(secs float64) time.Duration {
	ns := math.Round(secs * float64(time.Second))
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

// LoadCSV reads a profile of shape from the CSV file at path (see ReadCSV).
func LoadCSV(path string, shape Shape) (Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("plant: %w", err)
	}
	defer f.Close()
	return ReadCSV(f, path, shape)
}
