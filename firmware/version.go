package firmware

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a Lynx Ion BMS master firmware version such as v1.38. The changelog (S19) always
// writes the minor number with two digits ("v01.38"), so Minor is 0..99 for every version that
// Parse or FromAppVer return. The zero Version means "no version": Since and Until fields in
// lynxsim use it for "unbounded", and it marshals as an empty text.
type Version struct{ Major, Minor uint8 }

// versionHint ends every syntax error: it shows the accepted forms.
const versionHint = "want a version such as 1.38 or v01.38"

// Parse reads a version as the changelog, the GX and people write it: "1.38", "v1.38",
// "V1.38", "v01.38" and "01.38", with surrounding spaces. The minor number must have exactly
// two digits: "1.7" could mean v1.07 or v1.70, so it is rejected with a hint.
func Parse(s string) (Version, error) {
	t := strings.TrimSpace(s)
	if t != "" && (t[0] == 'v' || t[0] == 'V') {
		t = t[1:]
	}
	major, minor, ok := strings.Cut(t, ".")
	if !ok || !isDigits(major) || !isDigits(minor) {
		return Version{}, fmt.Errorf("firmware %q: %s", s, versionHint)
	}
	switch {
	case len(minor) == 1:
		return Version{}, fmt.Errorf("firmware %q: the minor number needs two digits: write %s.0%s or %s.%s0",
			s, major, minor, major, minor)
	case len(minor) > 2:
		return Version{}, fmt.Errorf("firmware %q: the minor number has %d digits; %s", s, len(minor), versionHint)
	}
	maj, err := strconv.ParseUint(major, 10, 8)
	if err != nil {
		return Version{}, fmt.Errorf("firmware %q: major number %s is above 255; %s", s, major, versionHint)
	}
	return Version{Major: uint8(maj), Minor: (minor[0]-'0')*10 + minor[1] - '0'}, nil
}

// isDigits reports whether s is one or more ASCII decimal digits. strconv alone would also
// accept a sign ("+1.38").
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MustParse is Parse for version literals in lynxsim's own code and tables. It panics on a bad
// literal, which is a programmer error; never call it with user input.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// String gives the form the Venus OS GUI shows, "v1.38".
func (v Version) String() string {
	return fmt.Sprintf("v%d.%02d", v.Major, v.Minor)
}

// IsZero reports whether v is the zero Version ("no version"). encoding/json's omitzero uses it.
func (v Version) IsZero() bool { return v == Version{} }

// Compare returns -1 when v is older than w, 0 when they are equal and +1 when v is newer.
func (v Version) Compare(w Version) int {
	switch {
	case v.Major != w.Major:
		if v.Major < w.Major {
			return -1
		}
		return 1
	case v.Minor < w.Minor:
		return -1
	case v.Minor > w.Minor:
		return 1
	}
	return 0
}

// Before reports whether v is older than w.
func (v Version) Before(w Version) bool { return v.Compare(w) < 0 }

// After reports whether v is later than w.
func (v Version) After(w Version) bool { return v.Compare(w) > 0 }

// AtLeast reports whether v is w or newer: the test for "this firmware has the change made in w".
func (v Version) AtLeast(w Version) bool { return v.Compare(w) >= 0 }

// VE_REG_APP_VER (0x0102) is an un24 0xHHMMLL. The MG guide, the device's own interface
// description, says "Firmware version: 0x123456=v12.34.56" (protocol.md §3.3, S2 p.17): each byte
// holds two decimal digits, hex digit for digit, and its example reply for firmware 1.04 is
// 0x010400 (S2 p.21). So v1.38 goes out as 0x013800. This is also how a GX reads the value: velib
// prints the hex digits (S3: vHH.MM; S12's 0x0106FF is "v1.06"), so a binary minor (0x0126…)
// would show as v1.26. Victron's own products put 0xFF in LL for a release (S3); the MG firmware
// puts the third number there, 00 for every release in the changelog. When HH is 0 the value is
// the old form vMM.LL (S3); 0xFFFFFF means no version.
//
// Note that the CAN-bus BMS frame 0x35F carries the version differently, in binary ("0x0118 =
// V1.24", S2 p.5); that encoding belongs to canbus/bmscan.
const (
	appVerNone     = 0xFFFFFF // protocol.md §3.3, S2 p.17: "0xFFFFFF = no firmware present"
	appVerMinorMax = 99       // two-digit minors only, as the changelog writes them (S19)
)

// AppVer encodes v as the device sends it in VE_REG_APP_VER: 0x013800 for v1.38 (S2 p.17, p.21).
// A version with Major 0 takes the old form 0x00MMLL with MM = 0, and the zero Version encodes
// as 0xFFFFFF ("none"); FromAppVer inverts all three. Majors above 99 have no two-digit form and
// encode as "none".
func (v Version) AppVer() uint32 {
	switch {
	case v.IsZero() || v.Major > 99 || v.Minor > appVerMinorMax:
		return appVerNone
	case v.Major == 0:
		return uint32(bcd(v.Minor))
	}
	return uint32(bcd(v.Major))<<16 | uint32(bcd(v.Minor))<<8
}

// FromAppVer decodes a VE_REG_APP_VER value. With HH != 0 it returns vHH.MM and ignores LL (the
// MG third number, or Victron's 0xFF release marker or beta revision); with HH == 0 it returns
// the old form vMM.LL (S3). Bytes that are not two decimal digits are refused.
func FromAppVer(u uint32) (Version, error) {
	switch {
	case u > appVerNone:
		return Version{}, fmt.Errorf("firmware: VE_REG_APP_VER 0x%X does not fit 24 bits: pass the un24 value without the identifier byte", u)
	case u == appVerNone:
		return Version{}, fmt.Errorf("firmware: VE_REG_APP_VER 0x%06X means no firmware version: treat the version as unknown", u)
	}
	hh, mm, ll := uint8(u>>16), uint8(u>>8), uint8(u)
	major, minor := hh, mm
	if hh == 0 {
		major, minor = mm, ll
	}
	maj, ok1 := fromBCD(major)
	mnr, ok2 := fromBCD(minor)
	v := Version{Major: maj, Minor: mnr}
	switch {
	case !ok1 || !ok2:
		return Version{}, fmt.Errorf("firmware: VE_REG_APP_VER 0x%06X is not two decimal digits a byte (0x013800 is v1.38): check the byte order (the value is little-endian on the wire)", u)
	case v.IsZero():
		return Version{}, fmt.Errorf("firmware: VE_REG_APP_VER 0x%06X encodes v0.00: treat the version as unknown", u)
	}
	return v, nil
}

// bcd writes n (0–99) as two decimal digits in one byte: 38 → 0x38.
func bcd(n uint8) uint8 { return n/10<<4 | n%10 }

// fromBCD reads a byte of two decimal digits.
func fromBCD(b uint8) (uint8, bool) {
	hi, lo := b>>4, b&0x0F
	return hi*10 + lo, hi <= 9 && lo <= 9
}

// MarshalText gives "v1.38", and an empty text for the zero Version so that JSON fields tagged
// omitzero disappear and others stay round-trippable. A minor number above 99 (a Version no
// parser returns, built in code) has no text that UnmarshalText reads back: it is an error rather
// than a text that fails later.
func (v Version) MarshalText() ([]byte, error) {
	switch {
	case v.IsZero():
		return []byte{}, nil
	case v.Minor > appVerMinorMax:
		return nil, fmt.Errorf("firmware: %v has no text form: the minor number is two digits, 0 to 99", v)
	}
	return []byte(v.String()), nil
}

// UnmarshalText accepts what Parse accepts, and an empty text as the zero Version.
func (v *Version) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*v = Version{}
		return nil
	}
	parsed, err := Parse(string(text))
	if err != nil {
		return err
	}
	*v = parsed
	return nil
}
