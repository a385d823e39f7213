package scenario

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/firmware"
)

const header = "name test\nbank LFP-24V-280Ah 1s1p\n"

// Every kind of mistake is reported at its line with what to do, and nothing runs.
func TestParseErrors(t *testing.T) {
	for _, tt := range []struct {
		name, src, want string
	}{
		{"unknown directive", "name x\nbanks LFP 1s1p\n", "t.scen:2: unknown directive \"banks\""},
		{"no name", "bank LFP-24V-280Ah 1s1p\nat 0s start\n", "t.scen:1: no name line"},
		{"no bank", "name x\nat 0s start\n", "no bank line"},
		{"no timeline", header, "no timeline"},
		{"unknown battery type", "name x\nbank LFP-99V 1s1p\n", "t.scen:2: bank: "},
		{"bad topology", "name x\nbank LFP-24V-280Ah 2x2\n", "t.scen:2: bank: \"2x2\": want series×parallel"},
		{"too many batteries", "name x\nbank LFP-24V-280Ah 8s9p\n", "at most 64"},
		{"wrong unit", "name x\nbank LFP-24V-280Ah 1s1p soc=60V\n", "t.scen:2: soc=60V: \"60V\": the unit here is %"},
		{"out of range", "name x\nbank LFP-24V-280Ah 1s1p soc=160%\n", "out of range 0 to 100"},
		{"unknown key", "name x\nbank LFP-24V-280Ah 1s1p colour=red\n", "\"colour=red\": want one of soc, spread, temp"},
		{"key twice", "name x\nbank LFP-24V-280Ah 1s1p soc=1% soc=2%\n", "soc given twice"},
		{"never released", "name x\nfirmware 1.99\n" + "bank LFP-24V-280Ah 1s1p\n", "t.scen:2: firmware: "},
		{"backwards range", "name x\nfirmware 1.30..1.20\n", "runs backwards"},
		{"unknown item", "name x\ncovers 1.25-99\n", "t.scen:2: covers: \"1.25-99\" is not a changelog item"},
		{"unknown setting", header + "set colour=red\n", "t.scen:3: set \"colour=red\": want key=value"},
		{"bad setting value", header + "set strategy=fast\n", "t.scen:3: set strategy=fast: want economic (default) or performance"},
		{"times out of order", header + "at 2m start\nat 1m stop\n", "t.scen:4: at 1m0s comes before the previous line's 2m0s"},
		{"bad time", header + "at soon start\n", "t.scen:3: at \"soon\": want a time"},
		{"unknown action", header + "at 0s dance\n", "t.scen:3: unknown action \"dance\""},
		{"unknown injector", header + "at 1m inject battery 1 gremlins\n", "t.scen:3: battery fault \"gremlins\" is unknown"},
		{"unknown plant fault", header + "at 1m inject plant gremlins\n", "t.scen:3: "},
		{"injector arguments", header + "at 1m inject battery 1 hot-cell 2\n", "wants 2 arguments"},
		{"header after timeline", header + "at 0s start\nplant load=1A\n", "t.scen:4: \"plant\" after the timeline began"},
		{"unknown state", header + "at 0s expect state flying\n", "t.scen:3: state \"flying\" is unknown"},
		{"unknown flag", header + "at 0s expect flag happy on\n", "t.scen:3: flag \"happy\" is unknown"},
		{"unknown register", header + "at 0s expect register VE_REG_NOPE = 1\n", "t.scen:3: register \"VE_REG_NOPE\" is unknown"},
		{"bad operator", header + "at 0s expect soc ~ 50\n", "t.scen:3: soc: operator \"~\""},
		{"bad tolerance", header + "at 0s expect soc = 50 0.1\n", "write it ±0.1"},
		{"unclosed quote", header + "at 0s expect event \"oops\n", "t.scen:3: a quote is not closed"},
		{"event for", header + "at 0s expect event \"x\" for 1m\n", "events and frames take within D"},
		{"bad version range", header + "at 0s start [1.24]\n", "t.scen:3: version range [1.24]"},
		{"duration too short", header + "duration 1m\nat 2m start\n", "past the duration"},
		{"missing profile", header + "at 0s charger csv nothere.csv\n", "t.scen:3: plant: open nothere.csv"},
		{"bad profile shape", header + "at 0s charger csv x.csv cubic\n", "t.scen:3: charger csv FILE [linear]"},
		// Currents the plant's arithmetic cannot carry (plant.MaxInputAmps).
		{"absurd charger", header + "at 0s charger 1e300A\n", "t.scen:3: charger \"1e300A\": want a current from 0 to 100000A"},
		{"absurd load", header + "at 0s load 200kA\n", "t.scen:3: load \"200kA\": want a current from 0 to 100000A"},
		{"negative load", header + "at 0s load -1A\n", "t.scen:3: load \"-1A\": want a current from 0"},
		{"absurd ramp", header + "at 0s charger ramp 0A 1e9A 5m\n", "t.scen:3: charger ramp FROM TO OVER: currents from 0 to 100000A"},
		{"user charger at 0 V", header + "at 0s user-charger 10A 0V\n", "t.scen:3: user-charger \"0V\": want a voltage above 0 and at most 1000V"},
		{"user charger at infinite volts", header + "at 0s user-charger 10A 1e308kV\n", "t.scen:3: user-charger \"1e308kV\": want a voltage above 0"},
		{"absurd user charger", header + "at 0s user-charger 1e9A 50V\n", "t.scen:3: user-charger \"1e9A\": want a current from 0 to 100000A"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.src), "t.scen")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n", "one line")
		})
	}
}

func TestParseScript(t *testing.T) {
	src := `# a comment
name   parse everything   # trailing comment
covers 1.25-05 1.08-04
firmware 1.24 1.30..1.32
bank   LFP-24V-280Ah 2s2p soc=55% temp=10C spread=2%
battery 3 soc=40%
plant  load=12A charger=3A capacitance=47mF loads=on-bus
set    strategy=performance relay=warning interlock=on max-charge=100A
sample 5s
at 0s     expect state running within 30s
at 1m30s  charger ramp 0A 40A 5m
at 1m30s  expect register VE_REG_SOC = 55 ±0.5 [1.25..]
at 2m     expect event "cell over-voltage" within 1m
`
	s, err := Parse(strings.NewReader(src), "p.scen")
	require.NoError(t, err)
	assert.Equal(t, "parse everything", s.Name)
	assert.Equal(t, []string{"1.25-05", "1.08-04"}, s.Covers)
	var vs []string
	for _, v := range s.Versions {
		vs = append(vs, v.String())
	}
	assert.Equal(t, []string{"v1.24", "v1.30", "v1.31", "v1.32"}, vs)
	assert.Equal(t, 2, s.Bank.Series)
	assert.Equal(t, 2, s.Bank.Parallel)
	assert.InDelta(t, 55, s.Bank.SOCPercent, 1e-9)
	assert.InDelta(t, 10, s.Bank.AmbientCelsius, 1e-9)
	assert.InDelta(t, 40, s.Bank.SOCs[3], 1e-9)
	assert.InDelta(t, 0.047, s.Plant.BusFarads, 1e-12)
	assert.True(t, s.Plant.LoadsOnBus)
	assert.Len(t, s.Settings, 4)
	assert.Equal(t, 5*time.Second, s.Sample)
	require.Len(t, s.Steps, 4)
	assert.Equal(t, 11, s.Steps[1].Line)
	assert.Equal(t, 90*time.Second, s.Steps[1].At)
	assert.False(t, s.Steps[2].Only.Contains(firmware.MustParse("1.24")))
	assert.True(t, s.Steps[2].Only.Contains(firmware.MustParse("1.25")))
	assert.Equal(t, Within, s.Steps[3].Expect.Mode)
	assert.Equal(t, 3*time.Minute+time.Minute, s.Duration, "the last window ends at 3m; a minute more")
}

// A deliberately wrong scenario fails, each wrong expectation at its own line with what was seen.
func TestWrongExpectationsFail(t *testing.T) {
	src := header + `at 0s  expect state running within 30s
at 1m  expect state error
at 1m  expect flag allowed-to-charge off within 10s
at 1m  expect soc < 10
at 1m  expect event "no such thing ever"
at 1m  expect frame vecan pgn=127508 absent within 5s
at 1m  expect state running for 30s
`
	s, err := Parse(strings.NewReader(src), "wrong.scen")
	require.NoError(t, err)
	res, err := Run(context.Background(), s, firmware.Latest(), RunOptions{})
	require.NoError(t, err)
	var lines []int
	for _, f := range res.Failures {
		lines = append(lines, f.Line)
	}
	assert.Equal(t, []int{4, 6, 8, 5, 7}, lines, "%v", res.Failures)
	assert.Contains(t, res.Failures[0].Error(), "wrong.scen:4: v1.38: at 1m0s expect state error: saw running")
	assert.Contains(t, res.Failures[1].Error(), "saw 60.000%")
	assert.Contains(t, res.Failures[2].Error(), "seen although expected absent")
	assert.Contains(t, res.Failures[4].Error(), "not seen")
	assert.False(t, res.Passed())
}

// The same scenario gives the same trace twice.
func TestRunIsDeterministic(t *testing.T) {
	s, err := ParseFile(suiteDir + "/cell-drifts-high.scen")
	require.NoError(t, err)
	a, err := Run(context.Background(), s, firmware.MustParse("1.24"), RunOptions{})
	require.NoError(t, err)
	b, err := Run(context.Background(), s, firmware.MustParse("1.24"), RunOptions{})
	require.NoError(t, err)
	assert.Equal(t, a.Trace, b.Trace)
	assert.Equal(t, a.Steps, b.Steps)
}

// A requires line skips the versions that lack the item, with the reason, and runs the others.
func TestRequiresSkips(t *testing.T) {
	s, err := Parse(strings.NewReader("name r\nrequires 1.18-01\nbank LFP-24V-280Ah 1s1p\nat 0s expect state running within 15s\n"), "r.scen")
	require.NoError(t, err)
	res, err := Run(context.Background(), s, firmware.MustParse("1.17"), RunOptions{})
	require.NoError(t, err)
	assert.Equal(t, "needs changelog 1.18-01 (from v1.18)", res.Skipped)
	assert.True(t, res.Passed())
	assert.Empty(t, res.Trace)
	res, err = Run(context.Background(), s, firmware.MustParse("1.18"), RunOptions{})
	require.NoError(t, err)
	assert.Empty(t, res.Skipped)
	assert.True(t, res.Passed(), "%v", res.Failures)
	_, err = Parse(strings.NewReader("name r\nrequires 1.13-07\n"), "r.scen")
	assert.ErrorContains(t, err, `r.scen:2: requires: "1.13-07" is not a behaviour item`)
}
