package bmscan

import (
	"testing"
)

// FuzzText: NewText and SplitSerial take exactly the texts that fit their frames (at most 8, or
// 16, bytes of printable ASCII) and refuse the rest with an error; what they take comes back from
// the frames (0x35E, 0x380, 0x381) through the parsers and Parse, and String and JoinSerial give
// the text back. Any 8 bytes of a parsed text frame re-encode unchanged. Seeds:
// testdata/fuzz/FuzzText.
func FuzzText(f *testing.F) {
	f.Add("MG-BMS", []byte("HQ2315ABCDEFGHIJ"))
	f.Fuzz(func(t *testing.T, s string, raw []byte) {
		printable := true
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7E {
				printable = false
			}
		}

		text, err := NewText(s)
		if (err == nil) != (printable && len(s) <= 8) {
			t.Fatalf("NewText(%q): %v", s, err)
		}
		if err == nil {
			m := Manufacturer{text}
			back, err := ParseManufacturer(m.Frame())
			if err != nil || back != m || back.Name.String() != s {
				t.Fatalf("NewText(%q) = % X: frame %v parses as %q, %v", s, text, m.Frame(), back.Name.String(), err)
			}
			if any, err := Parse(m.Frame()); err != nil || any != Message(m) {
				t.Fatalf("Parse of %v: %+v, %v", m.Frame(), any, err)
			}
		}

		hi, lo, err := SplitSerial(s)
		if (err == nil) != (printable && len(s) <= 16) {
			t.Fatalf("SplitSerial(%q): %v", s, err)
		}
		if err == nil {
			h2, err1 := ParseSerialHigh(hi.Frame())
			l2, err2 := ParseSerialLow(lo.Frame())
			if err1 != nil || err2 != nil || h2 != hi || l2 != lo || JoinSerial(h2, l2) != s {
				t.Fatalf("SplitSerial(%q) = %q %q: back %q %q (%v, %v), joined %q", s, hi.Chars, lo.Chars, h2.Chars, l2.Chars, err1, err2, JoinSerial(h2, l2))
			}
		}

		// Any bytes as a text frame.
		var chars Text
		copy(chars[:], raw)
		for _, m := range []Message{Manufacturer{chars}, SerialHigh{chars}, SerialLow{chars}} {
			fr := m.Frame()
			back, err := Parse(fr)
			if err != nil || back != m || back.Frame() != fr {
				t.Fatalf("%T % X: frame %v parses as %+v, %v", m, chars, fr, back, err)
			}
		}
	})
}
