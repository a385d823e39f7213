package firmware

import (
	"strings"
	"testing"
)

// FuzzAppVer decodes any VE_REG_APP_VER value (the un24 a GX reads from register 0x0102) and
// encodes any version:
//
//   - FromAppVer never panics; it refuses values above 24 bits, 0xFFFFFF ("none"), bytes that are
//     not two decimal digits and v0.00, each with a one-line error; what it accepts has two-digit
//     numbers, is not zero, and encodes back (AppVer) to a value that decodes to the same version
//     (the third byte, MG's third number or Victron's 0xFF marker, is not kept);
//   - AppVer of any version is 0xFFFFFF exactly for the zero version and numbers above 99, and
//     FromAppVer gives every other version back;
//   - Parse, String, MarshalText, UnmarshalText and ParseReleased agree (MarshalText refuses a
//     minor above 99, which has no text that reads back), and Compare is a total order
//     consistent with Before, After and AtLeast.
//
// Seeds: testdata/fuzz/FuzzAppVer.
func FuzzAppVer(f *testing.F) {
	f.Add(uint32(0x013800), uint8(1), uint8(38), "v1.38")
	f.Fuzz(func(t *testing.T, u uint32, major, minor uint8, s string) {
		v, err := FromAppVer(u)
		if err != nil {
			if v != (Version{}) || err.Error() == "" || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("FromAppVer(0x%X) = %v, %q", u, v, err)
			}
		} else {
			if u > 0xFFFFFF || u == 0xFFFFFF || v.IsZero() || v.Major > 99 || v.Minor > 99 {
				t.Fatalf("FromAppVer(0x%X) accepted %v", u, v)
			}
			if back, err := FromAppVer(v.AppVer()); err != nil || back != v {
				t.Fatalf("FromAppVer(0x%06X) = %v, which encodes as 0x%06X and decodes as %v, %v", u, v, v.AppVer(), back, err)
			}
			if u>>16 != 0 && v.AppVer() != u&^0xFF {
				t.Fatalf("FromAppVer(0x%06X) = %v, which encodes as 0x%06X", u, v, v.AppVer())
			}
		}

		w := Version{Major: major, Minor: minor}
		enc := w.AppVer()
		none := w.IsZero() || major > 99 || minor > 99
		if (enc == 0xFFFFFF) != none || enc > 0xFFFFFF {
			t.Fatalf("%v encodes as 0x%X", w, enc)
		}
		if !none {
			if back, err := FromAppVer(enc); err != nil || back != w {
				t.Fatalf("%v encodes as 0x%06X, which decodes as %v, %v", w, enc, back, err)
			}
		}

		// Text forms.
		if text, err := w.MarshalText(); (err != nil) != (minor > 99) {
			t.Fatalf("%v marshals as %q, %v", w, text, err)
		} else if err == nil {
			var back Version
			if err := back.UnmarshalText(text); err != nil || back != w {
				t.Fatalf("%v marshals as %q, which unmarshals as %v, %v", w, text, back, err)
			}
		}
		p, perr := Parse(s)
		r, rerr := ParseReleased(s)
		_, released := LookupRelease(p)
		switch {
		case perr != nil && (p != Version{} || rerr == nil || strings.ContainsAny(perr.Error(), "\r\n")):
			t.Fatalf("Parse(%q) = %v, %v; ParseReleased %v, %v", s, p, perr, r, rerr)
		case perr == nil && (rerr == nil) != released:
			t.Fatalf("Parse(%q) = %v (released %v), ParseReleased gives %v, %v", s, p, released, r, rerr)
		case rerr == nil && r != p:
			t.Fatalf("Parse(%q) = %v, ParseReleased %v", s, p, r)
		}
		if perr == nil {
			var back Version
			if err := back.UnmarshalText([]byte(s)); err != nil && s != "" || err == nil && back != p {
				t.Fatalf("UnmarshalText(%q) = %v, %v; Parse gives %v", s, back, err, p)
			}
		}

		// Order.
		for _, x := range []Version{p, v, Oldest(), Latest(), {}} {
			c := w.Compare(x)
			if c != -x.Compare(w) || (c == 0) != (w == x) || w.Before(x) != (c < 0) || w.After(x) != (c > 0) || w.AtLeast(x) != (c >= 0) {
				t.Fatalf("%v vs %v: Compare %d, reverse %d", w, x, c, x.Compare(w))
			}
			if c < 0 && (w.Major > x.Major || w.Major == x.Major && w.Minor >= x.Minor) {
				t.Fatalf("%v < %v", w, x)
			}
		}
	})
}
