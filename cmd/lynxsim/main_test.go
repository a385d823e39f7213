package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/nvm"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// The README's first command, shortened: the master reaches running with SOC and voltage shown.
func TestRunDefault(t *testing.T) {
	code, out, stderr := runCLI(t, "run", "--duration", "30s", "--speed", "max")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "Running (9)")
	assert.Contains(t, out, "SOC       59.")
	assert.Contains(t, out, "pack      26.")
	assert.Contains(t, out, "state pre_charging → going_to_run")
	assert.Empty(t, stderr)
}

func TestRunRecordsCandump(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.log")
	code, out, stderr := runCLI(t, "run", "--duration", "10s", "--speed", "max", "--epoch", "2024-09-09T12:00:00Z", "--candump", path)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "candump log written to "+path)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r := canbus.NewLogReader(f)
	ifaces := map[string]int{}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		ifaces[rec.Interface]++
		assert.False(t, rec.Time.Before(epochForTest), "stamped from the epoch on")
	}
	assert.Positive(t, ifaces["vecan"])
	assert.Positive(t, ifaces["batbus"])
}

// Bad input: a one-line error naming the problem, exit status 2, and no output file left.
func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "x.log")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"malformed firmware", []string{"run", "--firmware", "1.5x"}, `"1.5x"`},
		{"unreleased firmware", []string{"run", "--firmware", "1.39"}, "never released"},
		{"unknown transport", []string{"run", "--vecan", "foo://bar"}, "--vecan"},
		{"bad multicast group", []string{"run", "--battery-bus", "udp://10.1.1.1:20000"}, "multicast"},
		{"speed on a real bus", []string{"run", "--speed", "10", "--vecan", "vcan0"}, "real time"},
		{"bad speed", []string{"run", "--speed", "fast"}, `"fast"`},
		{"unknown battery type", []string{"run", "--battery-type", "AGM"}, "LFP-24V-280Ah"},
		{"bad soc", []string{"run", "--soc", "120"}, "--soc"},
		{"too many batteries", []string{"run", "--series", "9", "--parallel", "9"}, "at most 64"},
		{"negative duration", []string{"run", "--duration", "-5s"}, "--duration"},
		{"bad epoch", []string{"run", "--epoch", "yesterday"}, "--epoch"},
		{"missing directory", []string{"run", "--candump", filepath.Join(dir, "no", "such", "x.log")}, "--candump"},
		{"missing interface", []string{"run", "--vecan", "nosuchcan0", "--candump", log}, "nosuchcan0"},
		{"unknown flag", []string{"run", "--bogus"}, "unknown flag"},
		{"unknown identity", []string{"run", "--identity", "acme"}, "lynx-ion or master-lv"},
		{"Master LV before 1.35", []string{"run", "--identity", "master-lv", "--firmware", "1.34"}, "1.35-02"},
		{"instance off the grid", []string{"run", "--battery-instance", "33"}, "steps of 32"},
		{"unknown protocol", []string{"run", "--protocol", "modbus"}, "vecan, general or sma"},
		{"General before 1.24", []string{"run", "--protocol", "general", "--firmware", "1.23"}, "1.24-03"},
		{"SMA on 24 V", []string{"run", "--protocol", "sma"}, "48 V systems only"},
		{"state dir is a file", []string{"run", "--state-dir", "/dev/null/x"}, "--state-dir"},
		{"unknown command", []string{"fly"}, "unknown command"},
		{"stray argument", []string{"run", "now"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, tt.args...)
			assert.Equal(t, 2, code, "stdout %q stderr %q", out, stderr)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.True(t, strings.HasPrefix(stderr, "lynxsim: "))
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no partial or temporary file left behind")
}

var epochForTest = mustTime("2024-09-09T12:00:00Z")

func TestFirmwareList(t *testing.T) {
	code, out, _ := runCLI(t, "firmware", "list")
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Len(t, lines, 33, "a header and 32 releases")
	assert.Contains(t, lines[1], "v1.07")
	assert.Contains(t, out, "v1.38    2024-09-09")

	code, out, _ = runCLI(t, "firmware", "list", "--json")
	require.Equal(t, 0, code)
	var rows []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	assert.Len(t, rows, 32)
	assert.Equal(t, "v1.38", rows[31]["version"])
}

func TestEventsCatalogue(t *testing.T) {
	code, out, _ := runCLI(t, "events")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "#25")
	assert.Contains(t, out, "Pre-Charge error")
	assert.Contains(t, out, "since v1.32")

	code, out, _ = runCLI(t, "events", "--json")
	require.Equal(t, 0, code)
	var cat struct {
		Errors []map[string]any `json:"errors"`
		Flags  []map[string]any `json:"flags"`
		States []map[string]any `json:"states"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &cat))
	assert.Len(t, cat.Flags, 32)
	assert.Len(t, cat.States, 19)
	assert.GreaterOrEqual(t, len(cat.Errors), 44)
}

func TestVersionAndCompletion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "v1.07 to v1.38")
	code, out, _ = runCLI(t, "completion", "bash")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "lynxsim")
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// --identity master-lv and --battery-instance 32 reach the wire: MG's NAME (manufacturer 1160,
// limits.md §7) and PGN 127508 on instances 32, 33 and 34 (S2 p.12).
func TestRunIdentityAndInstance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.log")
	code, _, stderr := runCLI(t, "run", "--duration", "5s", "--speed", "max", "--firmware", "1.35",
		"--identity", "master-lv", "--battery-instance", "32", "--candump", path)
	require.Equal(t, 0, code, stderr)
	var out bytes.Buffer
	in, err := os.Open(path)
	require.NoError(t, err)
	defer in.Close()
	require.NoError(t, decodeLog(in, path, &out, io.Discard, false))
	s := out.String()
	assert.Contains(t, s, "manufacturerCode=1160")
	for _, inst := range []string{"instance=32 ", "instance=33 ", "instance=34 "} {
		assert.Contains(t, s, "Battery Status 0x50→255: "+inst)
	}
	assert.NotContains(t, s, "Battery Status 0x50→255: instance=0 ")
}

// --state-dir: a second run starts from the SOC the first one left, not the batteries' own.
func TestRunStateDir(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "run", "--speed", "max", "--duration", "10m", "--load-amps", "100", "--state-dir", dir)
	require.Equal(t, 0, code, stderr)
	code, out, stderr := runCLI(t, "run", "--speed", "max", "--duration", "10s", "--load-amps", "0", "--state-dir", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "non-volatile memory loaded")
	assert.NotContains(t, out, "SOC       60.00 %", "the first run's discharge is remembered")
	// 100 A for 10 minutes from 560 Ah at 60 %: about 57 %, as last saved (every minute).
	assert.Contains(t, out, "SOC       57.")
}

// The masters of a combined system keep their memories side by side in one state directory,
// each its own record, and each starts from its own the next time.
func TestRunMastersKeepTheirOwnMemory(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "run", "--masters", "2", "--state-dir", dir, "--duration", "2m", "--speed", "max")
	require.Equal(t, 0, code, stderr)
	store, err := nvm.Open(dir)
	require.NoError(t, err)
	// Each record is its own master's: its own batteries announced in its event log.
	for name, battery := range map[string]string{"master": "HQ174500001", "master-2": "HQ174501001"} {
		var rec struct {
			SOCValid bool `json:"soc_valid"`
			Events   []struct {
				Message string `json:"message"`
			} `json:"events"`
		}
		require.NoError(t, store.Load(name, &rec), "record %s", name)
		assert.True(t, rec.SOCValid, "record %s", name)
		var messages []string
		for _, e := range rec.Events {
			messages = append(messages, e.Message)
		}
		assert.Contains(t, strings.Join(messages, "\n"), "battery "+battery+" announced", "record %s", name)
	}
	code, _, stderr = runCLI(t, "run", "--masters", "2", "--state-dir", dir, "--duration", "30s", "--speed", "max")
	require.Equal(t, 0, code, stderr)
}
