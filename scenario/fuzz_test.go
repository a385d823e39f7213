package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: any input parses or fails with one line naming file and line; nothing panics, and a
// parsed script's timeline is in time order.
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
		s, err := Parse(strings.NewReader(src), "f.scen")
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "f.scen") || strings.Contains(msg, "\n") {
				t.Fatalf("error not one line at the file: %q", msg)
			}
			return
		}
		for i := 1; i < len(s.Steps); i++ {
			if s.Steps[i].At < s.Steps[i-1].At {
				t.Fatalf("timeline out of order: %v after %v", s.Steps[i].At, s.Steps[i-1].At)
			}
		}
		if s.Duration <= 0 {
			t.Fatalf("duration %v", s.Duration)
		}
	})
}
