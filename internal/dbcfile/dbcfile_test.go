package dbcfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoad(t *testing.T) {
	f, err := Load(filepath.Join("..", "..", "testdata", "battery-bus.dbc"))
	require.NoError(t, err)
	assert.NotEmpty(t, f.Messages)
	assert.NotEmpty(t, f.Cycle)

	dir := t.TempDir()
	dup := filepath.Join(dir, "dup.dbc")
	require.NoError(t, os.WriteFile(dup, []byte("VERSION \"\"\n\nBU_: A\n\nBO_ 256 M1: 8 A\n\nBO_ 256 M2: 8 A\n"), 0o644))
	_, err = Load(dup)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "listed twice")

	_, err = Load(filepath.Join(dir, "missing.dbc"))
	assert.Error(t, err)
}
