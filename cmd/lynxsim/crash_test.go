package main

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/nvm"
)

// childEnv makes the test binary act as lynxsim, with the arguments in the variable, one per line.
const childEnv = "LYNXSIM_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childEnv); args != "" {
		os.Exit(execute(context.Background(), strings.Split(args, "\n"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// Crash safety: lynxsim keeps its non-volatile memory across 200 SIGKILLs at random moments, each
// while it runs flat out and writes the memory many times a second. After every kill the record
// loads, is not corrupt, is no older than the one read after the kill before (its write counter
// never goes back), and no half-written temporary file is left for long: the next start removes
// what a kill interrupted.
func TestCrashSafety(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 11))
	var last uint64
	written := 0
	// Under -race the child starts slowly: fewer kills, later.
	kills, minDelay, spread := 200, 5, 120
	if raceEnabled {
		kills, minDelay, spread = 40, 300, 500
	}
	for i := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+strings.Join([]string{"run", "--state-dir", dir, "--speed", "max",
			"--duration", "24h", "--epoch", "2024-09-09T12:00:00Z"}, "\n"))
		before := modTime(dir)
		require.NoError(t, cmd.Start())
		// A machine this loaded may start the child slowly: the random moment counts from its
		// first write of this run (or a few seconds), so that every kill falls among writes.
		deadline := time.Now().Add(5 * time.Second)
		for modTime(dir).Equal(before) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(minDelay+rng.IntN(spread)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()

		store, err := nvm.Open(dir)
		require.NoError(t, err)
		var rec struct {
			Saves      uint64  `json:"saves"`
			SOCPercent float64 `json:"soc_percent"`
		}
		err = store.Load("master", &rec)
		if errors.Is(err, nvm.ErrNotStored) {
			require.Zero(t, last, "kill %d: the record vanished", i)
			continue
		}
		var corrupt *nvm.CorruptError
		require.False(t, errors.As(err, &corrupt), "kill %d: %v", i, err)
		require.NoError(t, err, "kill %d", i)
		require.GreaterOrEqual(t, rec.Saves, last, "kill %d: an older record than after the kill before", i)
		if rec.Saves > last {
			written++
		}
		last = rec.Saves
		// Open removed what an interrupted write left.
		left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
		require.Empty(t, left, "kill %d", i)
	}
	assert.Greater(t, written, kills/2, "the memory was written between most kills")
	b, err := os.ReadFile(filepath.Join(dir, "master.json"))
	require.NoError(t, err)
	assert.True(t, json.Valid(b))
}

// modTime is when the master's record in dir was last replaced (zero before the first write).
func modTime(dir string) time.Time {
	fi, err := os.Stat(filepath.Join(dir, "master.json"))
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}
