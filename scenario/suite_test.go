package scenario

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/firmware"
)

var updateGolden = flag.Bool("update", false, "rewrite the scenario traces under testdata/scenarios/golden")

const suiteDir = "../testdata/scenarios"

// versionsOf is the versions a script runs on: its own, or the latest release.
func versionsOf(s *Script) []firmware.Version {
	if len(s.Versions) == 0 {
		return []firmware.Version{firmware.Latest()}
	}
	return s.Versions
}

// The suite: every scenario of testdata/scenarios on each of its versions, every expectation
// holding and the trace equal to its golden file (go test ./scenario -update rewrites them).
func TestSuite(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(suiteDir, "*.scen"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		s, err := ParseFile(file)
		require.NoError(t, err)
		for _, v := range versionsOf(s) {
			name := strings.TrimSuffix(filepath.Base(file), ".scen") + "@" + v.String()
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				res, err := Run(context.Background(), s, v, RunOptions{})
				require.NoError(t, err)
				for _, f := range res.Failures {
					t.Error(f)
				}
				golden := filepath.Join(suiteDir, "golden", name+".trace")
				got := strings.Join(res.Trace, "\n") + "\n"
				if *updateGolden {
					require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
					require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
				}
				want, err := os.ReadFile(golden)
				require.NoError(t, err, "no golden trace: run go test ./scenario -update and review it")
				assert.Equal(t, string(want), got, "the trace changed: review the diff, then go test ./scenario -update")
			})
		}
	}
}

// The suite on every release: each scenario's expectations hold on all 32 versions (their version
// ranges and requires lines say what differs), or the scenario is skipped where it does not apply.
// The traces are not compared (the goldens are for the files' own versions). It runs once, in the
// plain go test, not again under -race; scenarios of more than everyVersionLimit of simulated time
// run on their own versions only here (lynxsim scenario test DIR --firmware all runs them all).
func TestSuiteOnEveryVersion(t *testing.T) {
	if raceEnabled {
		t.Skip("1 200 runs: the plain go test runs them, -race does not again")
	}
	files, err := filepath.Glob(filepath.Join(suiteDir, "*.scen"))
	require.NoError(t, err)
	for _, file := range files {
		s, err := ParseFile(file)
		require.NoError(t, err)
		if s.Duration > everyVersionLimit {
			continue
		}
		for _, r := range firmware.Releases() {
			t.Run(strings.TrimSuffix(filepath.Base(file), ".scen")+"@"+r.Version.String(), func(t *testing.T) {
				t.Parallel()
				res, err := Run(context.Background(), s, r.Version, RunOptions{})
				require.NoError(t, err)
				for _, f := range res.Failures {
					t.Error(f)
				}
			})
		}
	}
}

// everyVersionLimit keeps the hour-long scenarios out of the every-version sweep of go test.
const everyVersionLimit = 20 * time.Minute
