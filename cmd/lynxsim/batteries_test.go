package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The hardware-in-the-loop shape, in two halves on one UDP battery bus: lynxsim batteries on one
// side, lynxsim run --remote-batteries on the other. The master registers the batteries, closes
// its contactor, and the batteries' side follows it.
func TestBatteriesAgainstRemoteMaster(t *testing.T) {
	t.Parallel() // real time on its own UDP group: run beside the others
	bus := udpBus(t, "20602")

	var batOut, masterOut bytes.Buffer
	done := make(chan error, 1)
	go func() {
		o := batteriesOptions{bus: bus, batteryType: "LFP-24V-280Ah", count: 2, series: 1, soc: 60,
			firstSerial: 174600001, speed: "1", duration: 9 * time.Second, loadAmps: 20}
		done <- runBatteries(context.Background(), &batOut, o)
	}()
	o := newRunOptions()
	o.batteryBus, o.remote, o.duration = bus, true, 7*time.Second
	require.NoError(t, run(context.Background(), &masterOut, o))
	require.NoError(t, <-done)

	assert.Contains(t, masterOut.String(), "state going_to_run → running")
	assert.Contains(t, masterOut.String(), "battery HQ174600002 announced")
	s := batOut.String()
	assert.Contains(t, s, "master Running (9), addresses 1 2")
	assert.Contains(t, s, "address 1")
	assert.Contains(t, s, "HQ174600002")
}

func TestBatteriesBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"batteries"}, "--bus is required"},
		{[]string{"batteries", "--bus", "mem", "--type", "AGM"}, "LFP-24V-280Ah"},
		{[]string{"batteries", "--bus", "mem", "--count", "0"}, "--count 0"},
		{[]string{"batteries", "--bus", "mem", "--inject", "3:silent"}, "battery 3 is not 1 to 2"},
		{[]string{"batteries", "--bus", "mem", "--inject", "silent"}, "no battery number"},
		{[]string{"batteries", "--bus", "mem", "--inject", "1:hot-cell=a"}, `"a" is not a number`},
		{[]string{"batteries", "--bus", "mem", "--inject", "1:gremlins"}, "gremlins"},
		{[]string{"batteries", "--bus", "mem", "--inject", "1:leakage"}, "leakage"},
		{[]string{"batteries", "--bus", "vcan9", "--speed", "10"}, "real time"},
		{[]string{"run", "--remote-batteries"}, "--battery-bus must be one it shares"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
		})
	}
}

// Batteries alone on an in-memory bus, simulated flat out, with a fault injected: the status
// table shows every battery.
func TestBatteriesOnMem(t *testing.T) {
	code, out, stderr := runCLI(t, "batteries", "--bus", "mem", "--count", "3", "--speed", "max", "--duration", "3s",
		"--type", "HE-24V-200Ah", "--inject", "2:hot-cell=0,50")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "master not heard")
	for _, serial := range []string{"HQ174600001", "HQ174600002", "HQ174600003"} {
		assert.Contains(t, out, serial)
	}
	assert.Contains(t, out, "HE-24V-200Ah")
	assert.Contains(t, out, "announcing")
}
