package nvm

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fuzzRecord has the shapes of the master's record (master/memory.go): numbers, a string, a
// fixed array, a pointer, slices, times and durations.
type fuzzRecord struct {
	Firmware   string          `json:"firmware"`
	SOCPercent float64         `json:"soc_percent"`
	SOCValid   bool            `json:"soc_valid"`
	LastErrors [4]fuzzError    `json:"last_errors"`
	Shutdowns  uint16          `json:"shutdowns_due_to_error"`
	Tracking   *fuzzTracking   `json:"tracking,omitempty"`
	Events     []fuzzEvent     `json:"events,omitempty"`
	Extra      map[string]int8 `json:"extra,omitempty"`
	Saves      uint64          `json:"saves"`
}

type fuzzError struct {
	Code uint8  `json:"code"`
	Unix uint32 `json:"unix"`
}

type fuzzTracking struct {
	Since time.Duration `json:"since"`
}

type fuzzEvent struct {
	Time    time.Time     `json:"time,omitzero"`
	At      time.Duration `json:"at"`
	Message string        `json:"message"`
}

// sentinel is what the loaded value holds before Load: a failed Load must leave it so.
func sentinel() fuzzRecord {
	return fuzzRecord{Firmware: "untouched", SOCPercent: -1, Events: []fuzzEvent{{Message: "before"}}}
}

// FuzzLoad writes any bytes as a stored record and loads it, as the master does at power-up
// from a state directory that a crash, a full disk or a person may have damaged. Properties:
//
//   - Load never panics, and gives either nil or a *CorruptError with the file's path and a
//     one-line reason: never ErrNotStored for a file that exists, never another error;
//   - a failed Load leaves the value exactly as it was;
//   - a successful Load means the file is one envelope (magic, format 1, the CRC-32 of the
//     payload's bytes) with nothing but white space after it, and the value saves and loads
//     back unchanged;
//   - a record saved by Save loads back equal, and with any one byte of its file changed it
//     loads as corrupt or as the same value (the CRC-32 catches every change of the payload; a
//     change of the envelope's key case or white space is harmless);
//   - a record name that is not a plain lower-case word is refused before any file is touched.
//
// Seeds: testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"magic":"lynxsim-nvm","format":1,"crc32":2745614147,"payload":{}}`), "master", uint16(0), byte(1), "Lynx Ion")
	dir := fuzzDir(f)
	s, err := Open(dir)
	if err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(dir, "master.json")
	savedRec := fuzzRecord{Firmware: "v1.38", SOCPercent: 87.65, SOCValid: true, LastErrors: [4]fuzzError{{Code: 2, Unix: 1700000000}},
		Shutdowns: 1, Tracking: &fuzzTracking{Since: 5 * time.Second}, Extra: map[string]int8{"a": -1},
		Events: []fuzzEvent{{Time: time.Date(2024, 9, 9, 12, 0, 0, 0, time.FixedZone("", 7200)), At: time.Second, Message: "contactor open"}}, Saves: 42}
	if err := s.Save("master", savedRec); err != nil {
		f.Fatal(err)
	}
	saved, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, file []byte, name string, at uint16, flip byte, text string) {
		// Any bytes.
		if err := os.WriteFile(path, file, 0o644); err != nil {
			t.Fatal(err)
		}
		got := sentinel()
		err := s.Load("master", &got)
		checkLoad(t, s, path, file, err, &got)

		// A record saved by Save, damaged in one byte.
		if flip != 0 {
			damaged := bytes.Clone(saved)
			damaged[int(at)%len(damaged)] ^= flip
			if err := os.WriteFile(path, damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			got = sentinel()
			err := s.Load("master", &got)
			checkLoad(t, s, path, damaged, err, &got)
			if err == nil && !sameJSON(t, got, savedRec) {
				t.Fatalf("byte %d of %q changed by %02X: loaded %+v, not corrupt and not the record saved", int(at)%len(damaged), saved, flip, got)
			}
		} else if at%16 == 0 {
			// A record of the fuzzer's text (Save syncs to disk: slow, so not on every input).
			rec := fuzzRecord{Firmware: text, SOCPercent: float64(at) / 7, Events: []fuzzEvent{{At: time.Duration(at), Message: text}}}
			if err := s.Save("master", rec); err != nil {
				t.Fatalf("Save: %v", err)
			}
			got = sentinel()
			if err := s.Load("master", &got); err != nil || !sameJSON(t, got, rec) {
				t.Fatalf("saved %+v, loaded %+v, %v", rec, got, err)
			}
		}

		// Any record name.
		if !nameRE.MatchString(name) {
			v := sentinel()
			err := s.Load(name, &v)
			var ce *CorruptError
			if err == nil || errors.Is(err, ErrNotStored) || errors.As(err, &ce) || !strings.Contains(err.Error(), "record name") {
				t.Fatalf("Load(%q): %v; want the name refused", name, err)
			}
			if err := s.Save(name, savedRec); err == nil {
				t.Fatalf("Save(%q) accepted", name)
			}
		} else if name != "master" {
			if err := s.Load(name, new(fuzzRecord)); !errors.Is(err, ErrNotStored) {
				t.Fatalf("Load(%q) of nothing: %v", name, err)
			}
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Fatalf("the store holds %d files, want master.json alone", len(entries))
		}
	})
}

// fuzzDir is the state directory of FuzzLoad: on /dev/shm where there is one, since every input
// writes a file and a disk makes that the slowest part by far; else the test's temporary
// directory.
func fuzzDir(f *testing.F) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "lynxsim-nvm-fuzz-"); err == nil {
			f.Cleanup(func() { _ = os.RemoveAll(dir) })
			return dir
		}
	}
	return f.TempDir()
}

// checkLoad checks the outcome of a Load of file into got.
func checkLoad(t *testing.T, s *Store, path string, file []byte, err error, got *fuzzRecord) {
	t.Helper()
	if err != nil {
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.Path != path || ce.Reason == "" || strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("%q: Load gave %v (%T); want a *CorruptError with a one-line reason", file, err, err)
		}
		if !sameJSON(t, *got, sentinel()) {
			t.Fatalf("%q: Load failed (%v) but changed the value to %+v", file, err, *got)
		}
		return
	}
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(file))
	if err := dec.Decode(&env); err != nil || env.Magic != magic || env.Format != formatVersion {
		t.Fatalf("%q loaded, but is not an envelope: %+v, %v", file, env, err)
	}
	if rest := file[dec.InputOffset():]; len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("%q loaded with %q after the record", file, rest)
	}
	// The value is one Save can write and Load read back.
	loaded := *got
	if err := s.Save("master", loaded); err != nil {
		t.Fatalf("%+v, loaded, does not save: %v", loaded, err)
	}
	again := sentinel()
	if err := s.Load("master", &again); err != nil || !sameJSON(t, again, loaded) {
		t.Fatalf("%+v saved and loaded as %+v, %v", loaded, again, err)
	}
}

// sameJSON compares two records by their JSON, which is what the store keeps: times from
// different loads carry different but equal zones, and JSON keeps strings as UTF-8, so a byte
// that is not UTF-8 is saved, and loads, as U+FFFD (encoding/json writes it as the escape
// \ufffd, and the rune itself once it has been through a load: hence the second trip).
func sameJSON(t *testing.T, a, b fuzzRecord) bool {
	t.Helper()
	canonical := func(r fuzzRecord) []byte {
		j, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var v any
		if err := json.Unmarshal(j, &v); err != nil {
			t.Fatalf("unmarshal %s: %v", j, err)
		}
		if j, err = json.Marshal(v); err != nil {
			t.Fatalf("marshal: %v", err)
		}
		return j
	}
	return bytes.Equal(canonical(a), canonical(b))
}
