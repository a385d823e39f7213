package scenario

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lynxsim/lynxsim/firmware"
)

// FuzzParse: any input parses, or fails with one line naming the file and line; nothing panics.
// A parsed script is one the runner can take:
//
//   - it has a name, a bank of 1 to 64 batteries (series and parallel each at least 1, their
//     product computed without overflow) whose per-battery overrides name batteries of the bank;
//   - its versions are released, sorted and unique; every version range is of released versions
//     and does not run backwards; covers and requires name changelog items;
//   - its timeline is in time order, from zero on, each line an action or an expectation for a
//     master of the system; the duration is positive and reaches the end of every expectation's
//     window; the sampling period is positive;
//   - the settings are for every master or one that exists.
//
// Seeds: testdata/fuzz/FuzzParse, and every scenario of the suite (testdata/scenarios).
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(suiteDir, "*.scen"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(string(b))
		}
	}
	f.Add(header + "at 0s expect register 0x0FFF = 5 ±1 [1.20..]\n")
	f.Add(header + "at 1m inject battery all hot-cell 1 60C\nat 2m bus vecan send 1CEF5020#66990200\n")
	f.Fuzz(func(t *testing.T, src string) {
		// "charger csv FILE" reads FILE while parsing: keep the fuzzer away from device files,
		// which could block or never end.
		for _, dev := range []string{"/dev", "/proc", "/sys"} {
			if strings.Contains(src, dev) {
				t.Skip("names a device file")
			}
		}
		s, err := Parse(strings.NewReader(src), "f.scen")
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "f.scen") || strings.Contains(msg, "\n") {
				t.Fatalf("error not one line at the file: %q", msg)
			}
			return
		}
		if s.Name == "" || s.Sample <= 0 {
			t.Fatalf("name %q, sample %v", s.Name, s.Sample)
		}
		b := s.Bank
		if b.Series < 1 || b.Parallel < 1 || b.Series > 64 || b.Parallel > 64 || b.Series*b.Parallel > 64 {
			t.Fatalf("bank of %d series × %d parallel", b.Series, b.Parallel)
		}
		for n := range b.Types {
			if n < 1 || n > b.Series*b.Parallel {
				t.Fatalf("type override of battery %d in a bank of %d", n, b.Series*b.Parallel)
			}
		}
		for n := range b.SOCs {
			if n < 1 || n > b.Series*b.Parallel {
				t.Fatalf("SOC override of battery %d in a bank of %d", n, b.Series*b.Parallel)
			}
		}
		released := func(v firmware.Version) bool { _, ok := firmware.LookupRelease(v); return ok }
		for i, v := range s.Versions {
			if !released(v) || (i > 0 && !s.Versions[i-1].Before(v)) {
				t.Fatalf("versions %v: not released, sorted and unique", s.Versions)
			}
		}
		for _, id := range slices.Concat(s.Covers, s.Requires) {
			if _, ok := firmware.LookupItem(id); !ok {
				t.Fatalf("changelog item %q", id)
			}
		}
		if s.Masters < 0 || s.Masters > 4 {
			t.Fatalf("%d masters", s.Masters)
		}
		units := max(s.Masters, 1)
		for _, set := range s.Settings {
			if set.Unit < -1 || set.Unit >= units || set.apply == nil {
				t.Fatalf("setting %+v for a system of %d masters", set, units)
			}
		}
		if s.Duration <= 0 {
			t.Fatalf("duration %v", s.Duration)
		}
		for i, st := range s.Steps {
			if i > 0 && (st.At < s.Steps[i-1].At || st.Line <= s.Steps[i-1].Line) {
				t.Fatalf("timeline out of order: line %d at %v after line %d at %v", st.Line, st.At, s.Steps[i-1].Line, s.Steps[i-1].At)
			}
			if st.At < 0 || (st.Action == nil) == (st.Expect == nil) || st.Unit < 0 || st.Unit >= units {
				t.Fatalf("line %d: at %v, action %v, expectation %v, master %d of %d", st.Line, st.At, st.Action, st.Expect, st.Unit, units)
			}
			end := st.At
			if st.Expect != nil {
				if st.Expect.Window < 0 {
					t.Fatalf("line %d: window %v", st.Line, st.Expect.Window)
				}
				end += st.Expect.Window
			}
			if end < st.At || end > s.Duration {
				t.Fatalf("line %d at %v runs to %v, past the duration %v", st.Line, st.At, end, s.Duration)
			}
			r := st.Only
			if (!r.From.IsZero() && !released(r.From)) || (!r.To.IsZero() && !released(r.To)) ||
				(!r.From.IsZero() && !r.To.IsZero() && r.To.Before(r.From)) {
				t.Fatalf("line %d: version range %v", st.Line, r)
			}
		}
	})
}
