package canbus

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// update rewrites golden files instead of comparing with them:
//
//	go test ./canbus/ -run TestName -update
//
// It is declared here, once for the package, because a flag name can be
// registered only once per test binary.
var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/<name>, or rewrites that file when
// -update is set. Review the diff of a rewritten golden file before
// committing it: the point of the file is that changes are deliberate.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		t.Logf("updated %s", path)
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing; run with -update to create it")
	// Compare as strings so a mismatch prints a readable line diff.
	require.Equal(t, string(want), string(got), "output differs from %s; run with -update if the change is intended", path)
}
