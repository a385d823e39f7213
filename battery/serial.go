package battery

import (
	"fmt"
	"strconv"
	"strings"
)

// Serial numbers. An MG battery's serial reads as a prefix, "HQ", then the production year and
// week as YYWW, then a 5-digit unit number: changelog 1.09-14 cites "HQ1746*****" (2017, week 46).
// The prefix, the YYWW reading and the 5 digits are inferred from that one citation ("*****") and
// from the master's own serials in the same form (1.23-09 "1738****"). On the battery bus a
// serial travels as the number YYWW·100 000 + unit: at most 999 999 999, so it fits the bus's 32
// bits; the prefix comes from the battery's Type.
const (
	serialUnits = 100_000
	// FirstSerialRejectedBy107 is HQ174600000: changelog 1.09-14, "version 1.7 is not supporting
	// batteries with serial number HQ1746***** or higher". An "old serial" for a scenario is any
	// serial below it, e.g. SerialNumber(2017, 45, 1); a battery at or above it is one firmware
	// v1.07 does not support.
	FirstSerialRejectedBy107 uint32 = 1746 * serialUnits
)

// SerialNumber returns the serial of unit number unit made in week of year (2000–2099).
func SerialNumber(year, week, unit int) (uint32, error) {
	if year < 2000 || year > 2099 || week < 1 || week > 53 || unit < 0 || unit >= serialUnits {
		return 0, fmt.Errorf("serial year %d week %d unit %d: want 2000–2099, 1–53 and 0–99999", year, week, unit)
	}
	return uint32(((year-2000)*100+week)*serialUnits + unit), nil
}

// FormatSerial writes serial as prefix + YYWW + 5 digits, e.g. "HQ174600001".
func FormatSerial(prefix string, serial uint32) string { return fmt.Sprintf("%s%09d", prefix, serial) }

// ParseSerial reads a serial written as letters followed by exactly 9 digits (YYWW + 5), as
// FormatSerial writes it.
func ParseSerial(s string) (prefix string, serial uint32, err error) {
	i := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
	if i < 0 || len(s)-i != 9 {
		return "", 0, fmt.Errorf("serial %q: want letters then 9 digits (YYWW and a 5-digit unit), like HQ174600001", s)
	}
	for _, r := range s[:i] {
		if r < 'A' || r > 'Z' {
			return "", 0, fmt.Errorf("serial %q: the prefix must be capital letters", s)
		}
	}
	n, err := strconv.ParseUint(s[i:], 10, 32)
	if err != nil {
		return "", 0, fmt.Errorf("serial %q: %w", s, err)
	}
	return s[:i], uint32(n), nil
}
