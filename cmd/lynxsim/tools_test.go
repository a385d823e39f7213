package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus"
)

// udpBus returns a UDP multicast bus of the test's own on loopback, or skips the test, saying
// why, on a machine without a multicast-capable interface.
func udpBus(t *testing.T, port string) string {
	t.Helper()
	group := "239.64.142.206:" + port
	probe, err := (&canbus.Network{}).Open(context.Background(), canbus.Spec{Kind: canbus.KindUDP, Name: group})
	if err != nil {
		t.Skipf("no multicast-capable interface on this machine: %v", err)
	}
	probe.Close()
	return "udp://" + group
}

// liveMaster runs `lynxsim run` with VE.Can on a UDP multicast group of its own, in real time, for
// the length of the test.
func liveMaster(t *testing.T, port string) string {
	t.Helper()
	bus := udpBus(t, port)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		o := newRunOptions()
		o.vecan = bus
		var out bytes.Buffer
		done <- run(ctx, &out, o)
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return bus
}

// vreg get and set against a live emulated master, as a GX would do it (protocol.md §3.2).
func TestVREGTool(t *testing.T) {
	t.Parallel() // real time on its own UDP group: run beside the others
	bus := liveMaster(t, "20501")
	o := vregOptions{bus: bus, node: "0x50", from: "0x20", timeout: time.Second}
	var out bytes.Buffer
	// The master answers once its address claim has stood 250 ms; retry until then.
	require.Eventually(t, func() bool {
		out.Reset()
		return vregRun(context.Background(), &out, o, "VE_REG_APP_VER", "") == nil
	}, 10*time.Second, 100*time.Millisecond)
	assert.Equal(t, "VE_REG_APP_VER (0x0102) = id 0, 0x013800\n", out.String())

	// From v1.38 writes are refused BUSY while the master is still checking its contactor
	// (changelog 1.38-06): retry until it has started.
	var writeErr error
	require.Eventually(t, func() bool {
		out.Reset()
		writeErr = vregRun(context.Background(), &out, o, "relay_control", "1")
		return writeErr == nil || !strings.Contains(writeErr.Error(), "BUSY")
	}, 20*time.Second, 200*time.Millisecond)
	require.NoError(t, writeErr)
	assert.Contains(t, out.String(), "VE_REG_RELAY_CONTROL")
	out.Reset()
	require.NoError(t, vregRun(context.Background(), &out, o, "0x034E", ""))
	assert.Equal(t, "VE_REG_RELAY_CONTROL (0x034E) = 1\n", out.String())

	out.Reset()
	require.NoError(t, vregRun(context.Background(), &out, o, "VE_REG_SERIAL_NUMBER", ""))
	assert.Contains(t, out.String(), "17380001")

	err := vregRun(context.Background(), &out, o, "VE_REG_LYNX_ION_BMS_STATE", "9")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "refused")

	o.node = "0x51"
	err = vregRun(context.Background(), &out, o, "SOC", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no answer from node 0x51")
}

func TestVREGToolBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"vreg", "get", "SOC"}, "--bus is required"},
		{[]string{"vreg", "get", "--bus", "mem", "SOC"}, "in-memory bus belongs to one process"},
		{[]string{"vreg", "get", "--bus", "udp://239.1.1.1:20000", "--node", "300", "SOC"}, "--node"},
		{[]string{"vreg", "get", "--bus", "udp://239.1.1.1:20000", "NOPE"}, `"NOPE" is unknown`},
		{[]string{"vreg", "get", "--bus", "udp://239.1.1.1:20000", "0x1234"}, "not in lynxsim's table"},
		{[]string{"vreg", "set", "--bus", "udp://239.1.1.1:20000", "SOC", "150"}, "outside"},
		{[]string{"vreg", "set", "--bus", "udp://239.1.1.1:20000", "SOC", "lots"}, "want a number"},
		{[]string{"monitor"}, "--bus is required"},
		{[]string{"monitor", "--bus", "nosuchcan0"}, "nosuchcan0"},
		{[]string{"decode", "/no/such/file.log"}, "cannot read /no/such/file.log"},
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

// monitor shows what a GX would: the paths of the master's battery service.
func TestMonitor(t *testing.T) {
	t.Parallel() // real time on its own UDP group: run beside the others
	bus := liveMaster(t, "20502")
	var out bytes.Buffer
	code := execute(context.Background(), []string{"monitor", "--bus", bus, "--duration", "3500ms", "--lines"}, &out, &out)
	require.Equal(t, 0, code, out.String())
	s := out.String()
	assert.Contains(t, s, "ISO Address Claim")
	assert.Contains(t, s, "battery service on udp, source 0x50")
	assert.Contains(t, s, "/Dc/0/Voltage")
	assert.Contains(t, s, "/State")
}
