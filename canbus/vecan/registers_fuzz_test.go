package vecan

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRegisterValue decodes any raw value of any register of the table, as `lynxsim decode`, the
// GX view and `lynxsim vreg get` do, and encodes any physical value, as `lynxsim vreg set` does:
//
//   - Format never panics and gives one short line;
//   - Physical reads a number exactly for scalar registers and values other than not-available;
//     for those, InRange holds exactly when Raw takes the number back, and Raw then gives the
//     raw value (only the register's bytes) back;
//   - whatever Raw accepts is in range, reads back within half a step, and is a fixed point;
//   - an Un16Pair value survives PhysicalPair and RawPair bit for bit;
//   - the register is found by its name, its name's tail and its id, and FindRegister of any text
//     never panics and finds only registers of the table.
//
// Seeds: testdata/fuzz/FuzzRegisterValue.
func FuzzRegisterValue(f *testing.F) {
	f.Add(uint16(RegSOC), uint32(8765), 87.65, "soc")
	f.Add(uint16(0), uint32(math.MaxUint32), math.NaN(), "0x0FFF")
	f.Fuzz(func(t *testing.T, sel uint16, raw uint32, phys float64, find string) {
		table := Registers()
		info := table[int(sel)%len(table)]
		if r, ok := LookupRegister(Register(sel)); ok {
			info = r // ids of the table come up too
		}
		mask := info.mask()

		text := info.Format(raw)
		if text == "" || len(text) > 64 || strings.ContainsAny(text, "\r\n") || !utf8.ValidString(text) {
			t.Fatalf("%s: Format(0x%X) = %q", info.Name, raw, text)
		}

		v, ok := info.Physical(raw)
		scalar := info.Type.scalar()
		na := scalar && info.HasNotAvailable && raw&mask == info.NotAvailable&mask
		if ok != (scalar && !na) || ok == math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%s (%v): Physical(0x%X) = %v, %v", info.Name, info.Type, raw, v, ok)
		}
		if ok {
			back, err := info.Raw(v)
			if info.InRange(raw) != (err == nil) {
				t.Fatalf("%s: 0x%X reads %v; InRange %v, but Raw gives %v", info.Name, raw, v, info.InRange(raw), err)
			}
			if err == nil && back != raw&mask {
				t.Fatalf("%s: 0x%X reads %v, which Raw writes as 0x%X", info.Name, raw, v, back)
			}
		}

		if r, err := info.Raw(phys); err == nil {
			if !scalar || r&^mask != 0 {
				t.Fatalf("%s: Raw(%v) = 0x%X for type %v", info.Name, phys, r, info.Type)
			}
			got, ok := info.Physical(r)
			switch {
			case math.IsNaN(phys):
				if ok || r != info.NotAvailable {
					t.Fatalf("%s: Raw(NaN) = 0x%X, which reads %v", info.Name, r, got)
				}
			case !info.InRange(r) || !ok:
				t.Fatalf("%s: Raw(%v) = 0x%X, out of range or not available", info.Name, phys, r)
			case math.Abs(got-phys) > 0.5/info.perUnit()*(1+1e-9):
				t.Fatalf("%s: Raw(%v) = 0x%X, which reads %v", info.Name, phys, r, got)
			default:
				if again, err := info.Raw(got); err != nil || again != r {
					t.Fatalf("%s: 0x%X reads %v, which Raw writes as 0x%X, %v", info.Name, r, got, again, err)
				}
				if lo, hi := info.Range(); got < lo-1e-9 || got > hi+1e-9 {
					t.Fatalf("%s: Raw(%v) accepted %v outside Range %v..%v", info.Name, phys, got, lo, hi)
				}
			}
		} else if !scalar && err.Error() == "" {
			t.Fatal("empty error")
		}

		if lo, hi, ok := info.PhysicalPair(raw); ok {
			back, err := info.RawPair(lo, hi)
			if err != nil || back != raw {
				t.Fatalf("%s: 0x%08X reads %v : %v, which RawPair writes as 0x%08X, %v", info.Name, raw, lo, hi, back, err)
			}
		} else if info.Type == Un16Pair {
			t.Fatalf("%s: PhysicalPair refused", info.Name)
		}

		for _, s := range []string{info.Name, strings.ToLower(info.Name), fmt.Sprintf("0x%04X", uint16(info.ID)), fmt.Sprint(uint16(info.ID))} {
			if got, err := FindRegister(s); err != nil || got.ID != info.ID {
				t.Fatalf("FindRegister(%q) = %s, %v; want %s", s, got.Name, err, info.Name)
			}
		}
		if got, err := FindRegister(find); err == nil {
			if want, ok := LookupRegister(got.ID); !ok || want.Name != got.Name {
				t.Fatalf("FindRegister(%q) = %+v, not a register of the table", find, got)
			}
		} else if strings.Contains(err.Error(), "\n") {
			t.Fatalf("FindRegister(%q): a multi-line error %q", find, err)
		}
	})
}

// FuzzParseLongPayload: a PGN 126720 payload with the Victron tag and a register id splits into
// the id and the rest, which AppendLongPayload joins back byte for byte; without them it is
// refused. Seeds: testdata/fuzz/FuzzParseLongPayload.
func FuzzParseLongPayload(f *testing.F) {
	f.Add(AppendLongPayload(nil, RegSerialNumber, []byte("17380123\x00")))
	f.Fuzz(func(t *testing.T, payload []byte) {
		reg, value, ok := ParseLongPayload(payload)
		if ok != (len(payload) >= 4 && payload[0] == 0x66 && payload[1] == 0x99) {
			t.Fatalf("% X: ok = %v", payload, ok)
		}
		if !ok {
			return
		}
		if uint16(reg) != binary.LittleEndian.Uint16(payload[2:]) {
			t.Fatalf("% X: register 0x%04X", payload, uint16(reg))
		}
		if out := AppendLongPayload(nil, reg, value); !bytes.Equal(out, payload) {
			t.Fatalf("% X split as 0x%04X % X, joined as % X", payload, uint16(reg), value, out)
		}
		if info, ok := LookupRegister(reg); ok && info.Type == String {
			if s := info.FormatLong(value); strings.ContainsAny(s, "\r\n") || !utf8.ValidString(s) {
				t.Fatalf("FormatLong(% X) = %q", value, s)
			}
		}
	})
}

// FuzzParseBatteryConfigurationStatus: any payload of 8 bytes or more decodes, never panics, and
// re-encodes to its first 8 bytes but for the documented normalisations: the two reserved bits
// of byte 1 are sent as ones; the "error" values read as not available and go back as that
// (0xFFFE capacity, 0x7E percentages, 0xFE Peukert exponent); a Peukert exponent above 1.5 (raw
// 251 to 253) is sent as 1.5. After one trip the status is a fixed point. Seeds:
// testdata/fuzz/FuzzParseBatteryConfigurationStatus.
func FuzzParseBatteryConfigurationStatus(f *testing.F) {
	f.Add([]byte{0x00, 0xC2, 0x12, 0xC8, 0x00, 0x00, 0x19, 0x5F})
	f.Fuzz(func(t *testing.T, payload []byte) {
		c, ok := ParseBatteryConfigurationStatus(payload)
		if ok != (len(payload) >= BatteryConfigurationStatusLength) {
			t.Fatalf("%d bytes: ok = %v", len(payload), ok)
		}
		if !ok {
			return
		}
		out := c.AppendPayload(nil)
		want := append([]byte(nil), payload[:BatteryConfigurationStatusLength]...)
		want[1] |= 0xC0
		if binary.LittleEndian.Uint16(want[3:]) == 0xFFFE {
			want[3], want[4] = 0xFF, 0xFF
		}
		for _, at := range []int{5, 7} {
			if want[at] == 0x7E {
				want[at] = 0x7F
			}
		}
		switch {
		case want[6] == 0xFE:
			want[6] = 0xFF
		case want[6] > 250 && want[6] < 0xFE:
			want[6] = 250
		}
		if !bytes.Equal(out, want) {
			t.Fatalf("% X decoded as %+v, re-encoded as % X, want % X", payload, c, out, want)
		}
		back, ok := ParseBatteryConfigurationStatus(out)
		if !ok || !bytes.Equal(back.AppendPayload(nil), out) {
			t.Fatalf("% X is not a fixed point (%+v)", out, back)
		}
	})
}
