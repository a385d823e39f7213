package plant

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzProfileCSV reads any text as a CSV profile (`charger csv FILE` of a scenario), and builds
// profiles from any numbers. Beyond FuzzReadCSV's "finite values":
//
//   - an error is one line naming the file, a *CSVError with its line for a malformed row;
//   - a profile holds at least one point, at times from zero on, never decreasing, with finite
//     values;
//   - stepped, the value at any time is the last point's at or before it (the first before the
//     first); linear, it lies between the two points around it, whatever their magnitudes;
//   - one row of any seconds from 0 to the longest time.Duration is taken, at that time (to the
//     nanosecond, saturating at the top); outside that range, or not a number, it is refused at
//     line 2.
//
// Seeds: testdata/fuzz/FuzzProfileCSV.
func FuzzProfileCSV(f *testing.F) {
	f.Add("seconds,amps\n0,10\n60,70\n", 30.5, -1e308, 1e308)
	f.Fuzz(func(t *testing.T, src string, secs, lo, hi float64) {
		for _, shape := range []Shape{Stepped, Linear} {
			p, err := ReadCSV(strings.NewReader(src), "fuzz.csv", shape)
			if err != nil {
				if msg := err.Error(); !strings.HasPrefix(msg, "plant: fuzz.csv") || strings.ContainsAny(msg, "\r\n") {
					t.Fatalf("%q: error %q is not one line naming the file", src, msg)
				}
				var ce *CSVError
				if errors.As(err, &ce) && ce.Line < 1 {
					t.Fatalf("%q: error at line %d", src, ce.Line)
				}
				continue
			}
			checkPoints(t, src, p, shape)
		}

		// One row of seconds.
		row := "seconds,amps\n" + strconv.FormatFloat(secs, 'g', -1, 64) + ",1\n"
		p, err := ReadCSV(strings.NewReader(row), "fuzz.csv", Stepped)
		inRange := secs >= 0 && secs <= float64(math.MaxInt64)/float64(time.Second)
		switch {
		case inRange && err != nil:
			t.Fatalf("%q: %v", row, err)
		case !inRange:
			var ce *CSVError
			if !errors.As(err, &ce) || ce.Line != 2 {
				t.Fatalf("%q: %v; want a *CSVError at line 2", row, err)
			}
		default:
			at := p.(points).pts[0].At
			want := secs * float64(time.Second)
			if at < 0 || (want < float64(math.MaxInt64) && math.Abs(float64(at)-want) > math.Max(1, want*1e-15)) {
				t.Fatalf("%q: a point at %v (%d ns), want %v ns", row, at, int64(at), want)
			}
		}

		// Two points of any finite values, 2 s apart.
		if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) {
			if _, err := Ramps(Point{0, lo}, Point{2 * time.Second, hi}); err == nil {
				t.Fatalf("a profile through %v and %v", lo, hi)
			}
			return
		}
		for _, shape := range []Shape{Stepped, Linear} {
			p, err := NewProfile(shape, Point{0, lo}, Point{2 * time.Second, hi})
			if err != nil {
				t.Fatal(err)
			}
			checkPoints(t, "", p, shape)
		}
	})
}

// checkPoints checks a profile through its points, at each point's time, between points, before
// the first and at the end of time.
func checkPoints(t *testing.T, src string, prof Profile, shape Shape) {
	t.Helper()
	p, ok := prof.(points)
	if !ok || len(p.pts) == 0 || p.shape != shape {
		t.Fatalf("%q: profile %#v", src, prof)
	}
	for i, pt := range p.pts {
		if pt.At < 0 || (i > 0 && pt.At < p.pts[i-1].At) || math.IsNaN(pt.Value) || math.IsInf(pt.Value, 0) {
			t.Fatalf("%q: point %d %+v (points %v)", src, i, pt, p.pts)
		}
	}
	// valueAt is the stepped value at t: the last point at or before t, or the first.
	valueAt := func(at time.Duration) (float64, int) {
		v, i := p.pts[0].Value, 0
		for j, pt := range p.pts {
			if pt.At <= at {
				v, i = pt.Value, j
			}
		}
		return v, i
	}
	times := []time.Duration{-1, 0, math.MaxInt64}
	for i, pt := range p.pts {
		times = append(times, pt.At, pt.At-1, pt.At+1)
		if i > 0 {
			times = append(times, p.pts[i-1].At+(pt.At-p.pts[i-1].At)/2)
		}
	}
	for _, at := range times {
		if at < -1 {
			continue // pt.At-1 below zero, or an overflow of pt.At+1
		}
		got := p.At(at)
		want, i := valueAt(at)
		if math.IsNaN(got) || math.IsInf(got, 0) {
			t.Fatalf("%q (%v): At(%v) = %v", src, shape, at, got)
		}
		if shape == Stepped || i == len(p.pts)-1 || at < p.pts[0].At {
			if got != want {
				t.Fatalf("%q (%v): At(%v) = %v, want %v", src, shape, at, got, want)
			}
			continue
		}
		a, b := p.pts[i].Value, p.pts[i+1].Value
		if got < math.Min(a, b) || got > math.Max(a, b) {
			t.Fatalf("%q: At(%v) = %v, outside the points around it, %v and %v", src, at, got, a, b)
		}
	}
}
