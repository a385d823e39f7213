// Package nvm owns the master's non-volatile memory: what the real device keeps across a power
// cycle (SOC, history, the event log, settings, the device name). lynxsim keeps it as one file per
// master under a state directory, written atomically (a temporary file, fsync, rename, fsync of
// the directory) so that a process killed at any moment leaves either the previous record or the
// new one, never a mixture. A missing or corrupt file loads as "nothing stored" with a reason,
// never as a crash: the master then starts from defaults and logs an event, as a real device
// whose memory failed its checksum would.
package nvm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"

	"github.com/lynxsim/lynxsim/internal/atomicfile"
)

// Store is a state directory.
type Store struct {
	dir string
}

// Open returns the store in dir, creating the directory if needed. The temporary files of writes
// that a crash interrupted (the records themselves are never half-written: a write is a rename)
// are removed: a store has one writer, the process that opens it.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("state directory %s: %v: choose a writable directory with --state-dir", dir, err)
	}
	stale, _ := filepath.Glob(filepath.Join(dir, ".*.json.tmp-*"))
	for _, f := range stale {
		_ = os.Remove(f)
	}
	return &Store{dir: dir}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// magic heads every record, so that a foreign file is told apart from a corrupt one.
const magic = "lynxsim-nvm"

// formatVersion changes when the envelope changes; the record inside carries its own schema.
const formatVersion = 1

// envelope is what lies on disk: the record as JSON with a CRC-32 (IEEE) of exactly those bytes.
type envelope struct {
	Magic   string          `json:"magic"`
	Format  int             `json:"format"`
	CRC32   uint32          `json:"crc32"`
	Payload json.RawMessage `json:"payload"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func (s *Store) path(name string) (string, error) {
	if !nameRE.MatchString(name) {
		return "", fmt.Errorf("nvm record name %q: want lower-case letters, digits, '-' or '_'", name)
	}
	return filepath.Join(s.dir, name+".json"), nil
}

// Save writes v (any JSON-serialisable record) as the record name, atomically.
func (s *Store) Save(name string, v any) error {
	path, err := s.path(name)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("nvm %s: %v", name, err)
	}
	// Compact, not indented: indenting would rewrite the payload's bytes after the checksum.
	data, err := json.Marshal(envelope{Magic: magic, Format: formatVersion, CRC32: crc32.ChecksumIEEE(payload), Payload: payload})
	if err != nil {
		return fmt.Errorf("nvm %s: %v", name, err)
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Abort() }()
	if _, err := f.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("nvm %s: %v", name, err)
	}
	return f.Commit()
}

// ErrNotStored is returned by Load when no record of that name exists yet.
var ErrNotStored = errors.New("nothing stored")

// CorruptError is returned by Load for a record that exists but cannot be trusted.
type CorruptError struct {
	Path   string
	Reason string
}

func (e *CorruptError) Error() string { return fmt.Sprintf("nvm %s is corrupt: %s", e.Path, e.Reason) }

// Load reads the record name into v. It returns ErrNotStored when there is none, a *CorruptError
// when the file fails its checks (v is then left untouched), and other errors for I/O failures.
func (s *Store) Load(name string, v any) error {
	path, err := s.path(name)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ErrNotStored
	case err != nil:
		return fmt.Errorf("nvm %s: %v", path, err)
	}
	corrupt := func(reason string) error { return &CorruptError{Path: path, Reason: reason} }
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return corrupt("not a record: " + err.Error())
	}
	// Save writes one envelope and a newline: anything else after it is damage (a write torn
	// into another file's bytes, a second record appended), not something to ignore.
	if rest := data[dec.InputOffset():]; len(bytes.TrimSpace(rest)) != 0 {
		return corrupt(fmt.Sprintf("%d bytes after the record", len(rest)))
	}
	switch {
	case env.Magic != magic:
		return corrupt("not a lynxsim record")
	case env.Format != formatVersion:
		return corrupt(fmt.Sprintf("format %d, want %d", env.Format, formatVersion))
	case crc32.ChecksumIEEE(env.Payload) != env.CRC32:
		return corrupt("checksum mismatch")
	}
	// Decode into a fresh value of v's type, so that a payload of the wrong shape leaves v
	// untouched rather than half-filled.
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("nvm %s: Load needs a non-nil pointer, got %T", name, v)
	}
	fresh := reflect.New(rv.Elem().Type())
	if err := json.Unmarshal(env.Payload, fresh.Interface()); err != nil {
		return corrupt("payload: " + err.Error())
	}
	rv.Elem().Set(fresh.Elem())
	return nil
}
