package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus"
)

const suite = "../../testdata/scenarios"

func TestScenarioRun(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "r.html")
	dump := filepath.Join(dir, "run.log")
	code, out, errOut := runCLI(t, "scenario", "run", filepath.Join(suite, "interlock.scen"), "--firmware", "1.32", "--report", report, "--candump", dump)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "1 runs, 1 passed, 0 failed")
	page, err := os.ReadFile(report)
	require.NoError(t, err)
	assert.Contains(t, string(page), "interlock opens the contactor directly")
	f, err := os.Open(dump)
	require.NoError(t, err)
	defer f.Close()
	lr := canbus.NewLogReader(f)
	buses := map[string]int{}
	for {
		rec, err := lr.Next()
		if err != nil {
			break
		}
		buses[rec.Interface]++
	}
	assert.Len(t, buses, 2, "both buses recorded: %v", buses)
}

// A failing scenario exits 1 with file:line of each failed expectation.
func TestScenarioRunFailure(t *testing.T) {
	file := filepath.Join(t.TempDir(), "wrong.scen")
	require.NoError(t, os.WriteFile(file, []byte("name wrong\nbank LFP-24V-280Ah 1s1p\nat 0s expect state running within 15s\nat 20s expect state error\n"), 0o644))
	code, out, errOut := runCLI(t, "scenario", "run", file)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, file+":4: v1.38: at 20s expect state error: saw running")
	assert.Contains(t, errOut, "1 of 1 scenario runs failed")
}

func TestScenarioBadInput(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.scen")
	require.NoError(t, os.WriteFile(bad, []byte("name x\nbank LFP-24V-280Ah 1s1p\nat 0s dance\n"), 0o644))
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"scenario", "run", bad}, "bad.scen:3: unknown action \"dance\""},
		{[]string{"scenario", "run", "/nonexistent.scen"}, "no such file"},
		{[]string{"scenario", "run", filepath.Join(suite, "interlock.scen"), "--firmware", "1.99"}, "--firmware \"1.99\": firmware v1.99 was never released"},
		{[]string{"scenario", "test", t.TempDir()}, "no *.scen files"},
		{[]string{"scenario", "test", suite, "--shard", "5/4"}, "--shard \"5/4\": want I/N"},
	} {
		code, _, errOut := runCLI(t, tt.args...)
		assert.Equal(t, 2, code, "%v: %s", tt.args, errOut)
		assert.Contains(t, errOut, tt.want)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "one line: %q", errOut)
	}
}

// Shards split a suite without overlap or gap; the table lists each run.
func TestScenarioTestShards(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(suite, "*.scen"))
	require.NoError(t, err)
	seen := map[string]int{}
	for _, shard := range []string{"1/3", "2/3", "3/3"} {
		got, err := shardOf(files, shard)
		require.NoError(t, err)
		for _, f := range got {
			seen[f]++
		}
	}
	assert.Len(t, seen, len(files))
	for f, n := range seen {
		assert.Equal(t, 1, n, f)
	}
	dir := t.TempDir()
	for _, name := range []string{"interlock.scen", "soc-write.scen"} {
		src, err := os.ReadFile(filepath.Join(suite, name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), src, 0o644))
	}
	code, out, errOut := runCLI(t, "scenario", "test", dir, "--shard", "2/2")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "soc-write")
	assert.NotContains(t, out, "interlock")
	assert.Contains(t, errOut, "[1/3] soc-write@v1.08 pass")
}

// lynxsim replay: a recording's battery traffic drives a master; its GX-visible behaviour follows
// the recorded master's on the same firmware and parts from it on another (v1.07 has no contactor
// check).
func TestReplayCommand(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "run.log")
	code, _, errOut := runCLI(t, "run", "--duration", "40s", "--speed", "max", "--load-amps", "0", "--candump", log)
	require.Equal(t, 0, code, errOut)

	replayed := filepath.Join(dir, "replayed.log")
	code, out, errOut := runCLI(t, "replay", log, "--compare", log, "--candump", replayed)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "2 batteries, state Running")
	assert.Contains(t, out, "changes match")
	_, err := os.Stat(replayed)
	assert.NoError(t, err)

	code, out, errOut = runCLI(t, "replay", log, "--compare", log, "--firmware", "1.07")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "differs")
	assert.Contains(t, errOut, "the replay parts from")

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"replay", filepath.Join(dir, "none.log")}, "no such file"},
		{[]string{"replay", log, "--interface", "can9"}, "no battery frames on interface \"can9\""},
		{[]string{"replay", log, "--compare", log, "--vecan-interface", "can9"}, "no state, error or flags broadcasts"},
		{[]string{"replay", log, "--firmware", "2.00"}, "never released"},
	} {
		code, _, errOut := runCLI(t, tt.args...)
		assert.Equal(t, 2, code, "%v: %s", tt.args, errOut)
		assert.Contains(t, errOut, tt.want)
	}
}

// --listen-only: a master on a real transport that transmits nothing, not one frame, while it
// runs; the same run without it is heard.
func TestListenOnlySendsNothing(t *testing.T) {
	for _, tt := range []struct {
		listenOnly bool
		heard      bool
	}{{true, false}, {false, true}} {
		spec, err := canbus.ParseSpec("udp://239.64.142.206:20111")
		require.NoError(t, err)
		var n canbus.Network
		tap, err := n.Open(context.Background(), spec, canbus.ListenOnly())
		require.NoError(t, err)
		args := []string{"run", "--vecan", "udp://239.64.142.206:20111", "--duration", "2s", "--load-amps", "0"}
		if tt.listenOnly {
			args = append(args, "--listen-only")
		}
		code, out, errOut := runCLI(t, args...)
		require.Equal(t, 0, code, errOut)
		assert.Contains(t, out, "summary:")
		time.Sleep(100 * time.Millisecond)
		got := tap.Receive(nil)
		tap.Close()
		assert.Equal(t, tt.heard, len(got) > 0, "--listen-only=%v: %d frames heard", tt.listenOnly, len(got))
	}
}

func TestHILFlagsBadInput(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"master"}, "master: give --battery-bus and --vecan"},
		{[]string{"master", "--battery-bus", "mem", "--vecan", "mem"}, "--remote-batteries: the batteries are in another process"},
		{[]string{"run", "--bitrate", "250000"}, "--bitrate 250000: only a SocketCAN interface has a bit rate to set, not mem"},
		{[]string{"run", "--vecan", "can:nosuchcan7", "--bitrate", "250000", "--duration", "1s"}, "--bitrate: CAN interface nosuchcan7"},
		{[]string{"run", "--vecan", "can:nosuchcan7", "--bitrate", "2000000", "--duration", "1s"}, "bit rate 2000000: want 1 to 1000000"},
	} {
		code, _, errOut := runCLI(t, tt.args...)
		assert.Equal(t, 2, code, "%v: %s", tt.args, errOut)
		assert.Contains(t, errOut, tt.want)
	}
}

// --known-issues reproduces a known issue: two v1.09 masters flood VE.Can (1.09-15); v1.10 has
// the fix. An id that is not a known issue is refused in one line.
func TestRunKnownIssues(t *testing.T) {
	load := func(v string) string {
		code, out, errOut := runCLI(t, "run", "--firmware", v, "--known-issues", "1.09-15", "--masters", "2", "--duration", "20s", "--speed", "max")
		require.Equal(t, 0, code, errOut)
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "bus vecan") {
				return line
			}
		}
		t.Fatalf("no bus line: %s", out)
		return ""
	}
	var flood, quiet float64
	line := load("1.09")
	_, err := fmt.Sscanf(line[strings.Index(line, "load")+5:], "%f", &flood)
	require.NoError(t, err)
	line = load("1.10")
	_, err = fmt.Sscanf(line[strings.Index(line, "load")+5:], "%f", &quiet)
	require.NoError(t, err)
	assert.Greater(t, flood, 30.0, "v1.09 floods the bus")
	assert.Less(t, quiet, 5.0, "v1.10 does not")
	code, _, errOut := runCLI(t, "run", "--known-issues", "1.25-05", "--duration", "1s")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "item 1.25-05 is a behaviour item, not a known issue")
}

func TestFirmwareShowDiffCoverage(t *testing.T) {
	code, out, errOut := runCLI(t, "firmware", "show", "1.13")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "Lynx Ion BMS v1.13, released")
	assert.Contains(t, out, "1.13-06  behaviour")
	assert.Contains(t, out, "contactor opening delay")
	assert.Contains(t, out, "1.13-07", "its known issues")

	code, out, errOut = runCLI(t, "firmware", "diff", "1.07", "1.09")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "1.08-04")
	assert.Contains(t, out, "contactor opening delay")
	assert.Contains(t, out, "2s → 5s")
	assert.Contains(t, out, "shutdown time")

	code, out, errOut = runCLI(t, "firmware", "coverage", "--root", "../..", "--uncovered")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "behaviour items covered on both sides")
	assert.NotContains(t, out, "UNCOVERED")

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"firmware", "show", "1.99"}, "never released"},
		{[]string{"firmware", "diff", "1.38", "1.24"}, "give the older version first"},
		{[]string{"firmware", "coverage", "--root", t.TempDir()}, "not lynxsim's source tree"},
	} {
		code, _, errOut := runCLI(t, tt.args...)
		assert.Equal(t, 2, code, "%v: %s", tt.args, errOut)
		assert.Contains(t, errOut, tt.want)
	}
}
