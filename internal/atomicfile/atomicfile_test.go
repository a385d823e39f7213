package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dirNames lists a directory, hidden files included, so tests can see
// leftover temporary files.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.log")

	f, err := Create(path)
	require.NoError(t, err)
	_, err = f.Write([]byte("hello "))
	require.NoError(t, err)
	names := dirNames(t, dir)
	require.Len(t, names, 1)
	assert.True(t, strings.HasPrefix(names[0], ".run.log.tmp-"), "temp file is hidden and names its target: %q", names[0])
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, fs.ErrNotExist, "nothing at the path before Commit")

	_, err = f.Write([]byte("world\n"))
	require.NoError(t, err)
	require.NoError(t, f.Commit())

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "hello world\n", string(got))
	assert.Equal(t, []string{"run.log"}, dirNames(t, dir), "no temp file left")
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o644), st.Mode().Perm(), "not CreateTemp's 0600")
	}

	// Abort after Commit is a no-op, so it can be deferred.
	require.NoError(t, f.Abort())
	_, err = os.Stat(path)
	require.NoError(t, err, "Abort after Commit keeps the file")

	_, err = f.Write([]byte("late"))
	assert.ErrorIs(t, err, fs.ErrClosed)
	assert.ErrorIs(t, f.Commit(), fs.ErrClosed)
}

func TestAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.log")

	f, err := Create(path)
	require.NoError(t, err)
	// More than the buffer, so some data has reached the temp file.
	_, err = f.Write(make([]byte, 200<<10))
	require.NoError(t, err)
	require.NoError(t, f.Abort())

	assert.Empty(t, dirNames(t, dir), "no file and no temp file")
	require.NoError(t, f.Abort(), "Abort twice is fine")
	assert.ErrorIs(t, f.Commit(), fs.ErrClosed, "Commit after Abort")
	assert.Empty(t, dirNames(t, dir))
}

func TestReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.log")
	require.NoError(t, os.WriteFile(path, []byte("old complete log\n"), 0o600))

	f, err := Create(path)
	require.NoError(t, err)
	_, err = f.Write([]byte("new"))
	require.NoError(t, err)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "old complete log\n", string(got), "the old file is intact while writing")

	require.NoError(t, f.Abort())
	got, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "old complete log\n", string(got), "Abort leaves the old file")

	f, err = Create(path)
	require.NoError(t, err)
	_, err = f.Write([]byte("new\n"))
	require.NoError(t, err)
	require.NoError(t, f.Commit())
	got, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "new\n", string(got))
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o600), st.Mode().Perm(), "the replaced file's mode is kept")
	}
	assert.Equal(t, []string{"run.log"}, dirNames(t, dir))
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		path string
		want []string
	}{
		{
			"missing directory", filepath.Join(dir, "no", "such", "run.log"),
			[]string{filepath.Join(dir, "no", "such", "run.log"), "does not exist", "create it first"},
		},
		{"path is a directory", dir, []string{"is a directory"}},
		{"no file name", dir + string(filepath.Separator), []string{"not a file name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Create(tc.path)
			require.Error(t, err)
			assert.Nil(t, f)
			assert.NotContains(t, err.Error(), "\n", "one line")
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	assert.Empty(t, dirNames(t, dir), "failed creates leave nothing behind")

	notDir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o644))
	_, err := Create(filepath.Join(notDir, "run.log"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a directory")
}

// TestAtomicFileCommitFailure checks that when the rename cannot happen the
// temp file is removed and the error names the path.
func TestCommitFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.log")
	f, err := Create(path)
	require.NoError(t, err)
	_, err = f.Write([]byte("data"))
	require.NoError(t, err)
	// A non-empty directory appears at the path after Create
	// checked it: rename over it fails on every OS.
	require.NoError(t, os.MkdirAll(filepath.Join(path, "x"), 0o755))

	err = f.Commit()
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	assert.Equal(t, []string{"run.log"}, dirNames(t, dir), "temp file removed")
	require.NoError(t, f.Abort())
}
