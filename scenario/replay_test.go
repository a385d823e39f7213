package scenario

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/events"
)

// record runs cfg for d and returns its candump log.
func record(t *testing.T, cfg Config, d time.Duration) []canbus.Record {
	t.Helper()
	sys, err := Build(context.Background(), cfg)
	require.NoError(t, err)
	defer sys.Close()
	var buf bytes.Buffer
	w := canbus.NewLogWriter(&buf)
	require.NoError(t, sys.Record(context.Background(), w))
	sys.Loop.RunFor(d)
	require.NoError(t, w.Flush())
	require.NoError(t, sys.RecordErr())
	return readLog(t, buf.Bytes())
}

func readLog(t *testing.T, b []byte) []canbus.Record {
	t.Helper()
	r := canbus.NewLogReader(bytes.NewReader(b))
	var out []canbus.Record
	for {
		rec, err := r.Next()
		if err != nil {
			break
		}
		out = append(out, rec)
	}
	return out
}

// Battery-bus traffic recorded from simulated batteries drives a master in their place: it
// registers the same batteries and runs, and its VE.Can output matches the recorded master's.
func TestReplay(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LoadAmps = 0
	log := record(t, cfg, 30*time.Second)

	var out bytes.Buffer
	w := canbus.NewLogWriter(&out)
	res, err := Replay(context.Background(), cfg, log, ReplayOptions{Record: w})
	require.NoError(t, err)
	defer res.System.Close()
	require.NoError(t, w.Flush())
	assert.Equal(t, events.StateRunning, res.System.Master.State(), "error %v", res.System.Master.Error())
	assert.Equal(t, 2, res.System.Master.Snapshot().Batteries)
	assert.Positive(t, res.Sent)
	assert.Positive(t, res.Skipped, "the recorded master's own frames are not replayed")

	replayed := readLog(t, out.Bytes())
	want, got := GXTimeline(log, VECanHub), GXTimeline(replayed, VECanHub)
	require.NotEmpty(t, want)
	matched, diff := CompareTimelines(want, got, 50*time.Millisecond)
	assert.Nil(t, diff, "the replayed master's state, error and flags follow the recorded one's")
	assert.Equal(t, len(want), matched)
}

func TestReplayBadInput(t *testing.T) {
	_, err := Replay(context.Background(), DefaultConfig(), nil, ReplayOptions{})
	assert.ErrorContains(t, err, "no battery frames on interface \"batbus\"")
	log := record(t, DefaultConfig(), 5*time.Second)
	_, err = Replay(context.Background(), DefaultConfig(), log, ReplayOptions{BatteryInterface: "can7"})
	assert.ErrorContains(t, err, "give --interface")
}

func TestCompareTimelines(t *testing.T) {
	a := []Change{{At: 0, Register: 0x0371, Value: 3}, {At: time.Second, Register: 0x0371, Value: 9}}
	n, d := CompareTimelines(a, a, 0)
	assert.Equal(t, 2, n)
	assert.Nil(t, d)
	b := []Change{a[0], {At: 2 * time.Second, Register: 0x0371, Value: 9}}
	n, d = CompareTimelines(a, b, 500*time.Millisecond)
	assert.Equal(t, 1, n, "a second late")
	require.NotNil(t, d)
	assert.Contains(t, d.Got, "2s VE_REG_LYNX_ION_BMS_STATE=")
	n, d = CompareTimelines(a, b, 2*time.Second)
	assert.Equal(t, 2, n)
	assert.Nil(t, d)
	n, d = CompareTimelines(a, a[:1], 0)
	assert.Equal(t, 1, n)
	assert.Equal(t, "(end)", d.Got)
}
