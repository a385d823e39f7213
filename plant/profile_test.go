package plant

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sec = time.Second

func TestProfiles(t *testing.T) {
	steps, err := Steps(Point{0, 10}, Point{5 * sec, 20}, Point{5 * sec, 25}, Point{8 * sec, 0})
	require.NoError(t, err)
	ramps, err := Ramps(Point{2 * sec, 0}, Point{4 * sec, 100}, Point{6 * sec, 50}, Point{6 * sec, 10})
	require.NoError(t, err)
	tests := []struct {
		name string
		p    Profile
		at   time.Duration
		want float64
	}{
		{"constant", Constant(42), 0, 42},
		{"constant later", Constant(42), 100 * time.Hour, 42},
		{"func", ProfileFunc(func(t time.Duration) float64 { return t.Seconds() }), 3 * sec, 3},
		{"steps at the first point", steps, 0, 10},
		{"steps between", steps, 4999 * time.Millisecond, 10},
		{"steps: two points at one time, the later holds", steps, 5 * sec, 25},
		{"steps after the jump", steps, 7 * sec, 25},
		{"steps at the last", steps, 8 * sec, 0},
		{"steps after the last", steps, time.Hour, 0},
		{"ramps before the first: its value", ramps, 0, 0},
		{"ramps at a point", ramps, 4 * sec, 100},
		{"ramps up", ramps, 3 * sec, 50},
		{"ramps a quarter of the way", ramps, 2500 * time.Millisecond, 25},
		{"ramps down", ramps, 5 * sec, 75},
		{"ramps just before a jump", ramps, 6*sec - time.Millisecond, 50.025},
		{"ramps at a jump: the later point", ramps, 6 * sec, 10},
		{"ramps after the last", ramps, time.Minute, 10},
	}
	for _, tt := range tests {
		assert.InDelta(t, tt.want, tt.p.At(tt.at), 1e-9, tt.name)
	}
}

func TestNewProfileRefuses(t *testing.T) {
	tests := []struct {
		name string
		pts  []Point
	}{
		{"no points", nil},
		{"negative time", []Point{{-sec, 1}}},
		{"time going back", []Point{{0, 1}, {2 * sec, 2}, {sec, 3}}},
		{"NaN", []Point{{0, math.NaN()}}},
		{"infinite", []Point{{0, 1}, {sec, math.Inf(1)}}},
	}
	for _, tt := range tests {
		for _, shape := range []Shape{Stepped, Linear} {
			p, err := NewProfile(shape, tt.pts...)
			assert.Error(t, err, "%s, %v", tt.name, shape)
			assert.Nil(t, p)
		}
	}
	_, err := NewProfile(Shape(9), Point{0, 1})
	assert.Error(t, err)

	// The profile keeps its own points.
	pts := []Point{{0, 1}, {sec, 2}}
	p, err := Steps(pts...)
	require.NoError(t, err)
	pts[1].Value = 99
	assert.Equal(t, 2.0, p.At(2*sec))
}

func TestReadCSV(t *testing.T) {
	const good = `seconds,amps
# a comment line
0,0
1.5, 30

2.5,30
10,-5
`
	linear, err := ReadCSV(strings.NewReader(good), "good.csv", Linear)
	require.NoError(t, err)
	assert.InDelta(t, 20, linear.At(sec), 1e-9)
	assert.InDelta(t, 30, linear.At(2*sec), 1e-9)
	assert.InDelta(t, 12.5, linear.At(6250*time.Millisecond), 1e-9)
	stepped, err := ReadCSV(strings.NewReader(good), "good.csv", Stepped)
	require.NoError(t, err)
	assert.Equal(t, 0.0, stepped.At(sec))
	assert.Equal(t, 30.0, stepped.At(1500*time.Millisecond))
	assert.Equal(t, -5.0, stepped.At(time.Hour), "the profile keeps the value; the plant counts it as zero")

	// Header names are free after "seconds"; CRLF line ends are fine.
	_, err = ReadCSV(strings.NewReader("Seconds,load_amps\r\n0,1\r\n"), "crlf.csv", Stepped)
	require.NoError(t, err)

	tests := []struct {
		name string
		csv  string
		line int
		want string
	}{
		{"empty", "", 1, "empty"},
		{"no header", "0,1\n1,2\n", 1, "header"},
		{"header of three fields", "seconds,amps,volts\n0,1\n", 1, "wrong number of fields"},
		{"row of one field", "seconds,amps\n0,1\n2\n", 3, "wrong number of fields"},
		{"row of three fields", "seconds,amps\n0,1\n# c\n2,3,4\n", 4, "wrong number of fields"},
		{"seconds not a number", "seconds,amps\n0,1\nten,3\n", 3, `seconds "ten"`},
		{"amps not a number", "seconds,amps\n0,1\n\n5,lots\n", 4, `value "lots"`},
		{"negative seconds", "seconds,amps\n-1,1\n", 2, `seconds "-1"`},
		{"NaN seconds", "seconds,amps\nNaN,1\n", 2, `seconds "NaN"`},
		{"seconds too large", "seconds,amps\n1e300,1\n", 2, `seconds "1e300"`},
		{"time going back", "seconds,amps\n0,1\n5,2\n4,3\n", 4, "before the previous point"},
		{"infinite amps", "seconds,amps\n0,Inf\n", 2, "finite"},
		{"bare quote", "seconds,amps\n0,1\n1,\"2\n", 3, "quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ReadCSV(strings.NewReader(tt.csv), "bad.csv", Linear)
			require.Error(t, err)
			assert.Nil(t, p)
			var ce *CSVError
			require.True(t, errors.As(err, &ce), "%v", err)
			assert.Equal(t, tt.line, ce.Line, "%v", err)
			assert.Equal(t, "bad.csv", ce.Name)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "bad.csv line")
		})
	}
	_, err = ReadCSV(strings.NewReader("seconds,amps\n# nothing\n"), "header-only.csv", Linear)
	assert.ErrorContains(t, err, "no rows")
}

func TestLoadCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "load.csv")
	require.NoError(t, os.WriteFile(path, []byte("seconds,amps\n0,10\n60,70\n"), 0o644))
	p, err := LoadCSV(path, Linear)
	require.NoError(t, err)
	assert.InDelta(t, 40, p.At(30*sec), 1e-9)

	require.NoError(t, os.WriteFile(path, []byte("seconds,amps\n0,10\n60,x\n"), 0o644))
	_, err = LoadCSV(path, Linear)
	assert.ErrorContains(t, err, path+" line 3")

	_, err = LoadCSV(filepath.Join(dir, "missing.csv"), Linear)
	assert.Error(t, err)
}

// FuzzReadCSV: any input gives a profile or an error, never a panic, and a profile gives finite
// values.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{"seconds,amps\n0,1\n", "seconds,amps\n0,1\n1,\"2\n", "seconds,a\n1e300,1\n", "", "seconds\n", "seconds,amps\n0,1\n0,2\n0,3\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, shape := range []Shape{Stepped, Linear} {
			p, err := ReadCSV(strings.NewReader(s), "fuzz.csv", shape)
			if err != nil {
				continue
			}
			for _, at := range []time.Duration{0, sec, time.Hour, math.MaxInt64} {
				v := p.At(at)
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%q at %v: %v", s, at, v)
				}
			}
		}
	})
}

// The plant samples profiles at the middle of each step: a step profile on the step grid changes
// the shunt on the step that starts at its time, and a ramp gives each step its average.
func TestPlantFollowsProfiles(t *testing.T) {
	p := newPlant(t, quiet(DefaultConfig(1)), stiff(26.4))
	load, err := Steps(Point{0, 10}, Point{200 * time.Millisecond, 40})
	require.NoError(t, err)
	charger, err := Ramps(Point{0, 0}, Point{sec, 100})
	require.NoError(t, err)
	p.SetLoad(load)
	p.SetCharger(charger)
	p.SetContactor(true)
	runTo(p, step, 100*time.Millisecond) // closed from 30 ms on
	require.True(t, p.ContactsClosed())
	assert.InDelta(t, 9.5-10, p.ShuntAmps(), 1e-9, "the ramp's average over (90, 100] ms is 9.5 A")
	runTo(p, step, 200*time.Millisecond)
	assert.InDelta(t, 19.5-10, p.ShuntAmps(), 1e-9, "the step at 200 ms has not come yet")
	p.Step(210 * time.Millisecond)
	assert.InDelta(t, 20.5-40, p.ShuntAmps(), 1e-9, "from 200 ms on")

	// The plant counts negative, NaN and infinite amps as none.
	for _, v := range []float64{-3, math.NaN(), math.Inf(1), math.Inf(-1)} {
		p.SetLoad(Constant(v))
		p.SetCharger(nil)
		p.Step(p.last + step)
		assert.InDelta(t, 0, p.ShuntAmps(), 1e-12, "%v A", v)
	}
}
