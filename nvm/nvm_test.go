package nvm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type record struct {
	SOCPercent float64 `json:"soc_percent"`
	DeviceName string  `json:"device_name"`
}

func TestSaveLoad(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state", "master0"))
	require.NoError(t, err, "Open creates the directory")
	var got record
	assert.ErrorIs(t, s.Load("master", &got), ErrNotStored)

	want := record{SOCPercent: 87.65, DeviceName: "Lynx Ion BMS"}
	require.NoError(t, s.Save("master", want))
	require.NoError(t, s.Load("master", &got))
	assert.Equal(t, want, got)

	want.SOCPercent = 12.5
	require.NoError(t, s.Save("master", want))
	require.NoError(t, s.Load("master", &got))
	assert.Equal(t, want, got)

	entries, err := os.ReadDir(s.Dir())
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")
}

// Every way a file can be damaged loads as corrupt, and leaves the caller's value as it was.
func TestCorrupt(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, s.Save("master", record{SOCPercent: 50}))
	path := filepath.Join(s.Dir(), "master.json")
	good, err := os.ReadFile(path)
	require.NoError(t, err)

	tests := []struct {
		name   string
		data   string
		reason string
	}{
		{"empty", "", "not a record"},
		{"truncated", string(good[:len(good)/2]), "not a record"},
		{"foreign", `{"magic":"other","format":1,"crc32":0,"payload":{}}`, "not a lynxsim record"},
		{"future format", strings.Replace(string(good), `"format":1`, `"format":2`, 1), "format 2"},
		{"bit flip in payload", strings.Replace(string(good), `50`, `51`, 1), "checksum"},
		{"unknown envelope field", strings.Replace(string(good), `{"magic"`, `{"x":1,"magic"`, 1), "not a record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(path, []byte(tt.data), 0o644))
			got := record{SOCPercent: -1}
			err := s.Load("master", &got)
			var ce *CorruptError
			require.True(t, errors.As(err, &ce), "%v", err)
			assert.Contains(t, ce.Error(), tt.reason)
			assert.Equal(t, record{SOCPercent: -1}, got, "untouched")
		})
	}
}

// A payload that passes its checksum but has the wrong shape is corrupt too, and the value is
// left untouched.
func TestWrongShape(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, s.Save("master", map[string]string{"soc_percent": "high"}))
	got := record{SOCPercent: 7}
	var ce *CorruptError
	require.ErrorAs(t, s.Load("master", &got), &ce)
	assert.Equal(t, 7.0, got.SOCPercent)
}

func TestBadNamesAndDirs(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	for _, name := range []string{"", "../x", "a/b", "UPPER", strings.Repeat("a", 65)} {
		assert.Error(t, s.Save(name, 1), name)
		assert.Error(t, s.Load(name, new(int)), name)
	}
	require.NoError(t, s.Save("master", record{}))
	err = s.Load("master", record{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "non-nil pointer")

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = Open(filepath.Join(file, "sub"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--state-dir")
}
