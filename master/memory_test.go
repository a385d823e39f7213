package master

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/nvm"
)

// countingMemory is an nvm.Store that counts its saves.
type countingMemory struct {
	*nvm.Store
	saves int
}

func (c *countingMemory) Save(name string, v any) error {
	c.saves++
	return c.Store.Save(name, v)
}

func newMemory(t *testing.T, dir string) *countingMemory {
	s, err := nvm.Open(dir)
	require.NoError(t, err)
	return &countingMemory{Store: s}
}

// The SOC, settings and history survive a power cycle: a second master on the same state
// directory starts from the first one's SOC rather than the batteries' own.
func TestMemorySurvivesPowerCycle(t *testing.T) {
	dir := t.TempDir()
	mem := newMemory(t, dir)
	r := newRig(t, "1.38", func(c *Config) { c.Memory = mem })
	r.advance(step)
	r.registerAndReport(1)
	r.advance(time.Second)
	r.m.Set(r.now, 0x0FFF, 7345) // SOC 73.45 % over VE.Can
	r.m.Set(r.now, 0x0376, 1)    // Performance
	r.m.Shutdown()
	r.advance(r.m.openDelay() + step)
	require.Equal(t, events.StateShutdown, r.m.State())
	require.Positive(t, mem.saves)

	r2 := newRig(t, "1.38", func(c *Config) { c.Memory = newMemory(t, dir) })
	r2.advance(step)
	r2.registerAndReport(1)
	assert.InDelta(t, 73.45, r2.m.Snapshot().SOCPercent, 0.01, "the stored SOC, not the batteries' 50 %")
	v, _ := r2.m.Get(0x0376)
	assert.Equal(t, uint32(1), v)
	// The event log of the first power cycle came along, ending with the shutdown.
	past := r2.m.PastEvents()
	require.NotEmpty(t, past)
	assert.LessOrEqual(t, len(past), storedEvents)
	assert.Contains(t, past[len(past)-1].Message, "shutdown")
}

// A corrupt record gives defaults and an event, never a crash.
func TestMemoryCorrupt(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "master.json"), []byte("{garbage"), 0o644))
	r := newRig(t, "1.38", func(c *Config) { c.Memory = newMemory(t, dir) })
	r.advance(step)
	var found bool
	for _, e := range r.m.Log().Entries() {
		if e.Severity == events.SeverityWarning && strings.HasPrefix(e.Message, "non-volatile memory corrupt") {
			found = true
		}
	}
	assert.True(t, found, "a corrupt memory is reported")
	r.registerAndReport(1)
	assert.InDelta(t, 50, r.m.Snapshot().SOCPercent, 0.01, "the batteries' SOC")
}

// Changelog 1.38-03: tracked data is saved when fail-safe triggers, from v1.38 only.
func TestMemorySavedOnFailSafe(t *testing.T) {
	for _, tt := range []struct {
		version string
		saved   bool
	}{
		{"1.37", false},
		{"1.38", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			mem := newMemory(t, t.TempDir())
			r := newRig(t, tt.version, func(c *Config) { c.Memory = mem; c.MemoryPeriod = 0 })
			r.advance(step)
			r.registerAndReport(1)
			r.advance(time.Second)
			r.silent = true
			r.advance(batbus.StatusTimeout + r.m.openDelay() + time.Second)
			require.Equal(t, events.StateError, r.m.State())
			assert.Equal(t, tt.saved, mem.saves > 0)
			if tt.saved {
				var s stored
				require.NoError(t, mem.Load("master", &s))
				assert.Equal(t, uint8(events.ErrSlaveFailure), s.LastErrors[0].Code)
			}
		})
	}
}

// Changelog 1.26-02: a combined master stores its SOC on a stop command from v1.26 only.
func TestMemoryCombinedStop(t *testing.T) {
	for _, tt := range []struct {
		version string
		saved   bool
	}{
		{"1.25", false},
		{"1.26", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			mem := newMemory(t, t.TempDir())
			r := newRig(t, tt.version, func(c *Config) { c.Memory = mem; c.MemoryPeriod = 0 })
			r.advance(step)
			r.registerAndReport(1)
			r.advance(time.Second)
			r.m.Set(r.now, 0x0377, 1) // combined
			r.m.Stop()
			r.advance(r.m.openDelay() + step)
			require.Equal(t, events.StateStandby, r.m.State())
			assert.Equal(t, tt.saved, mem.saves > 0)
		})
	}
}

// The record is plain JSON a person can read.
func TestMemoryRecordReadable(t *testing.T) {
	dir := t.TempDir()
	mem := newMemory(t, dir)
	r := newRig(t, "1.38", func(c *Config) { c.Memory = mem })
	r.advance(step)
	r.registerAndReport(1)
	r.advance(61 * time.Second)
	require.Positive(t, mem.saves, "saved every minute while running")
	data, err := os.ReadFile(filepath.Join(dir, "master.json"))
	require.NoError(t, err)
	var env struct {
		Payload stored `json:"payload"`
	}
	require.NoError(t, json.Unmarshal(data, &env))
	assert.True(t, env.Payload.SOCValid)
	assert.Equal(t, "v1.38", env.Payload.Firmware)
}

// failingMemory refuses every write, as a full or read-only store does.
type failingMemory struct{ saves int }

func (f *failingMemory) Load(string, any) error { return os.ErrNotExist }
func (f *failingMemory) Save(string, any) error {
	f.saves++
	return os.ErrPermission
}

// A store that refuses writes is tried once a memory period, and warned about once, not every
// step: the event log keeps its real events.
func TestMemoryWriteFailureBacksOff(t *testing.T) {
	mem := &failingMemory{}
	r := newRig(t, "1.38", func(c *Config) { c.Memory = mem })
	r.advance(step)
	r.registerAndReport(1)
	r.advance(3*time.Minute + time.Second)
	require.Equal(t, events.StateRunning, r.m.State())
	assert.InDelta(t, 3, mem.saves, 1, "one attempt a minute")
	assert.EqualValues(t, mem.saves, r.m.Counters().MemoryErrors)
	warnings := 0
	for _, e := range r.m.Log().Entries() {
		if strings.Contains(e.Message, "saving non-volatile memory") {
			warnings++
		}
	}
	assert.Equal(t, 1, warnings)
}
