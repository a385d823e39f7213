package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lynxsim bench --load: the reference system in real time with its VE.Can flooded, a table of
// what was measured, and the verdict. The lag bound is left wide: this tests the command, and a
// shared machine can stall the process for seconds (scenario's tests hold the model to it).
func TestBenchLoad(t *testing.T) {
	code, out, stderr := runCLI(t, "bench", "--load", "--batteries", "8", "--duration", "1s", "--max-lag", "10m")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)
	assert.Contains(t, out, "lynxsim bench: go", "the machine and Go version")
	assert.Contains(t, out, "VE.Can flooded to 100 % of 250 kbit/s")
	for _, row := range []string{"VE.Can offered load", "frames dropped (every port, both buses)", "127508 frames", "VREG answered / asked",
		"paced loop lag: worst / mean", "received by every other port"} {
		assert.Contains(t, out, row)
	}
	assert.Contains(t, out, "Running throughout")
	assert.NotContains(t, out, " NO ")
	assert.Contains(t, out, "ok: no frame dropped")
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "frames dropped") {
			assert.Equal(t, "0", strings.Fields(line)[len(strings.Fields(line))-1], line)
		}
	}
}

// Bad values of the load run's flags, and flags of one mode given to the other: one line on
// stderr naming the flag, exit status 2, nothing run.
func TestBenchLoadBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"target above the bus", []string{"--load", "--target-load", "1.5"}, "--target-load 1.5"},
		{"target zero", []string{"--load", "--target-load", "0"}, "--target-load 0"},
		{"target negative", []string{"--load", "--target-load", "-0.2"}, "--target-load"},
		{"target not a number", []string{"--load", "--target-load", "full"}, "target-load"},
		{"negative duration", []string{"--load", "--duration", "-5s"}, "--duration -5s"},
		{"zero duration", []string{"--load", "--duration", "0"}, "--duration 0s"},
		{"odd bank", []string{"--load", "--batteries", "63"}, "--batteries 63"},
		{"too many batteries", []string{"--load", "--batteries", "66"}, "--batteries 66"},
		{"duration without --load", []string{"--duration", "10s"}, "--duration is for --load"},
		{"target without --load", []string{"--target-load", "0.5"}, "--target-load is for --load"},
		{"simulated with --load", []string{"--load", "--simulated", "1h"}, "--simulated is for the speed bench"},
		{"zero lag bound", []string{"--load", "--max-lag", "0"}, "--max-lag 0s"},
		{"negative lag bound", []string{"--load", "--max-lag", "-1s"}, "--max-lag -1s"},
		{"lag bound without --load", []string{"--max-lag", "2s"}, "--max-lag is for --load"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, append([]string{"bench"}, tt.args...)...)
			assert.Equal(t, 2, code, stderr)
			assert.Empty(t, out)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.True(t, strings.HasPrefix(stderr, "lynxsim: "), stderr)
			assert.Contains(t, stderr, tt.want)
		})
	}
}

// lynxsim bench --cpuprofile: the speed bench's table, the build's PGO profile named in the
// machine line, and a pprof profile (gzip-compressed protobuf) written whole at the path.
func TestBenchCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pgo")
	code, out, stderr := runCLI(t, "bench", "--batteries", "2", "--simulated", "2m", "--cpuprofile", path)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "PGO: ")
	assert.Contains(t, out, "× real time")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Greater(t, len(b), 2)
	assert.Equal(t, []byte{0x1f, 0x8b}, b[:2], "gzip magic")
	left, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".*"))
	require.NoError(t, err)
	assert.Empty(t, left, "no temporary file left beside the profile")
}

// A bench that fails (here: cancelled before its first run) leaves no profile at all: not a
// fragment where default.pgo was.
func TestBenchCPUProfileNotLeftOnFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cpu.pgo")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := bench(ctx, io.Discard, []int{1}, time.Minute, path)
	require.ErrorIs(t, err, context.Canceled)
	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, left, "no profile and no temporary file")
}
