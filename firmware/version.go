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

// AtLeast reports whether v is w or newer: the test for "this firmware has the change made in w".
func (v Version) AtLeast(w Version) bool { return v.Compare(w) >= 0 }

// VE_REG_APP_VER (0x0102) is an un24 0xHHMMLL. protocol.md §3.3, S3 ve_regs.h: when HH != 0 it
// is vHH.MM, with LL = 0xFF for a release and a beta revision otherwise; when HH == 0 it is the
// old form vMM.LL; 0xFFFFFF means no version.
//
// Assumption: the MG firmware writes MM as a binary number, not as BCD. The only evidence is
// S2's CAN-bus BMS frame 0x35F, "software version MSB first (0x0118 = V1.24)", where 0x18 = 24.
// So v1.38 is 0x0126FF, not 0x0138FF (BCD). No source gives a raw VE_REG_APP_VER of a Lynx
// Ion BMS with a minor of 10 or more, which would settle it (S2's example, 1.04, reads the same
// either way); if one shows BCD, change AppVer and FromAppVer together.
const (
	appVerNone     = 0xFFFFFF // protocol.md §3.3, S3: "0xFFFFFF = none"
	appVerRelease  = 0xFF     // protocol.md §3.3, S3: LL = 0xFF for a release
	appVerMinorMax = 99       // two-digit minors only, as the changelog writes them (S19)
)

// AppVer encodes v as the VE_REG_APP_VER value of a release: 0x01_26_FF for v1.38. A version
// with Major 0 has no HH byte to put it in, so it takes the old form 0x00_MM_LL with MM = 0, and
// the zero Version encodes as 0xFFFFFF ("none"); FromAppVer inverts all three.
func (v Version) AppVer() uint32 {
	switch {
	case v.IsZero():
		return appVerNone
	case v.Major == 0:
		return uint32(v.Minor)
	}
	return uint32(v.Major)<<16 | uint32(v.Minor)<<8 | appVerRelease
}

// FromAppVer decodes a VE_REG_APP_VER value. With HH != 0 it returns vHH.MM and ignores LL, so a
// beta decodes as the version it precedes; the MG guide's example reply 0x010400 is "firmware
// 1.04" (protocol.md §3.2, S2 p.21). With HH == 0 it returns the old form vMM.LL (S3).
func FromAppVer(u uint32) (Version, error) {
	switch {
	case u > appVerNone:
		return Version{}, fmt.Errorf("firmware: VE_REG_APP_VER 0x%X does not fit 24 bits: pass the un24 value without the identifier byte", u)
	case u == appVerNone:
		return Version{}, fmt.Errorf("firmware: VE_REG_APP_VER 0x%06X means no firmware version: treat the version as unknown", u)
	}
	hh, mm, ll := uint8(u>>16), uint8(u>>8), uint8(u)
	v := Version{Major: hh, Minor: mm}
	if hh == 0 {
		v = Version{Major: mm, Minor: ll}
	}
	switch {
	case v.IsZero():
		return Version{}, fmt.Errorf("firmware: VE_REG_APP_VER 0x%06X encodes v0.00: treat the version as unknown", u)
	case v.Minor > appVerMinorMax:
		return Version{}, fmt.Errorf("firmware: VE_REG_APP_VER 0x%06X has minor %d, above 99: check the byte order (the value is little-endian on the wire)", u, v.Minor)
	}
	return v, nil
}

// MarshalText gives "v1.38", and an empty text for the zero Version so that JSON fields tagged
// omitzero disappear and others stay round-trippable.
func (v Version) MarshalText() ([]byte, error) {
	if v.IsZero() {
		return []byte{}, nil
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
