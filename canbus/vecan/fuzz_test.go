package vecan

import (
	"encoding/binary"
	"math"
	"testing"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/n2k"
)

// fuzzFrame builds the frame the fuzzer describes; the length is taken as it comes, so that the
// decoders also see lengths a CAN frame cannot have.
func fuzzFrame(id uint32, length uint8, data []byte) can.Frame {
	f := can.Frame{ID: id, Length: length, IsExtended: id > 0x7FF}
	copy(f.Data[:], data)
	return f
}

// FuzzParseVREG: ParseVREG never panics, and a register it reads goes back on the wire with the
// same id and the same value bytes. More seeds live in testdata/fuzz/FuzzParseVREG.
func FuzzParseVREG(f *testing.F) {
	for _, fr := range []can.Frame{
		VREG{Register: RegSOC, Value: 8765, Size: 2}.Frame(0x50, n2k.Broadcast),
		VREG{Register: RegLynxIonState, Value: 9, Size: 1}.Frame(0x50, n2k.Broadcast),
		VREG{Register: 0x0001, Value: 0xFFFF0102, Size: 4}.Frame(0x20, 0x50),
	} {
		f.Add(fr.ID, fr.Length, fr.Data[:])
	}
	f.Fuzz(func(t *testing.T, id uint32, length uint8, data []byte) {
		fr := fuzzFrame(id, length, data)
		v, ok := ParseVREG(fr)
		if !ok {
			if fr.Length >= 4 && fr.Length <= 8 && fr.Data[0] == 0x66 && fr.Data[1] == 0x99 {
				t.Fatalf("%+v carries the Victron tag and a register id, but was refused", fr)
			}
			return
		}
		if fr.Length < 4 || fr.Length > 8 || fr.Data[0] != 0x66 || fr.Data[1] != 0x99 {
			t.Fatalf("%+v accepted without the Victron tag and a register id, or with a length CAN does not have", fr)
		}
		// The value is the bytes after the id that the frame holds, at most four.
		if want := min(int(fr.Length)-4, 4); int(v.Size) != want {
			t.Fatalf("%v: size %d, want %d", fr, v.Size, want)
		}
		if v.Size < 4 && v.Value>>(8*uint32(v.Size)) != 0 {
			t.Fatalf("%v: value %08X has bytes beyond its size %d", fr, v.Value, v.Size)
		}

		id2 := n2k.ParseCANID(fr.ID & 0x1FFFFFFF)
		out := v.Frame(id2.Source, id2.Destination)
		if got := n2k.ParseCANID(out.ID); got.PGN != PGNVREG || got.Priority != VREGPriority || !out.IsExtended || out.Length != 8 {
			t.Fatalf("re-encoded %+v as %v: not a VREG frame (%v)", v, out, got)
		}
		if err := out.Validate(); err != nil {
			t.Fatalf("re-encoded %+v as an invalid frame: %v", v, err)
		}
		back, ok := ParseVREG(out)
		if !ok {
			t.Fatalf("%+v re-encoded as %v does not parse", v, out)
		}
		// The register and the value's own bytes come back; the frame is always 8 bytes, so the
		// bytes beyond the value are the 0xFF padding velib sends.
		mask := uint32(1)<<(8*uint32(v.Size)) - 1 // a shift by 32 is 0, so all ones for size 4
		if back.Register != v.Register || back.Value&mask != v.Value || back.Size != 4 || back.Value|mask != math.MaxUint32 {
			t.Fatalf("%+v from %v came back as %+v", v, fr, back)
		}
		// A full-length frame is re-encoded byte for byte.
		if fr.Length >= 8 && out.Data != fr.Data {
			t.Fatalf("%v re-encoded as %v", fr, out)
		}
		// And after one trip the value is a fixed point.
		if again, _ := ParseVREG(back.Frame(id2.Source, id2.Destination)); again != back {
			t.Fatalf("second round trip changed %+v to %+v", back, again)
		}
	})
}

// FuzzParseBatteryStatus: ParseBatteryStatus never panics, and what it reads re-encodes to the
// same values (not-available fields as NaN) and to the same bytes, except that the NMEA 2000
// "error" sentinel reads as not available and so goes back as that. More seeds live in
// testdata/fuzz/FuzzParseBatteryStatus.
func FuzzParseBatteryStatus(f *testing.F) {
	for _, fr := range []can.Frame{
		{Length: 8, Data: can.Data{0x00, 0x1c, 0x0a, 0x07, 0x00, 0xff, 0x70, 0xff}}, // canboat sample
		BatteryStatus{Instance: 1, Volts: 3.21, Amps: math.NaN(), Kelvin: math.NaN()}.Frame(0x50),
		BatteryStatus{Instance: 2, Volts: -1.5, Amps: -3276.8, Kelvin: 655.33, SequenceID: 7, SequenceIDUsed: true}.Frame(0x50),
	} {
		f.Add(fr.ID, fr.Length, fr.Data[:])
	}
	f.Fuzz(func(t *testing.T, id uint32, length uint8, data []byte) {
		fr := fuzzFrame(id, length, data)
		s, ok := ParseBatteryStatus(fr)
		if ok != (fr.Length == 8) {
			t.Fatalf("%+v: ok = %v", fr, ok)
		}
		if !ok {
			return
		}
		out := s.Frame(0x50)
		if err := out.Validate(); err != nil {
			t.Fatalf("re-encoded %+v as an invalid frame: %v", s, err)
		}
		back, ok := ParseBatteryStatus(out)
		if !ok || !sameStatus(s, back) {
			t.Fatalf("%+v from %v came back as %+v", s, fr, back)
		}
		want := fr.Data
		normalise := func(at int, errorValue, notAvailable uint16) {
			if binary.LittleEndian.Uint16(want[at:]) == errorValue {
				binary.LittleEndian.PutUint16(want[at:], notAvailable)
			}
		}
		normalise(1, 0x7FFE, 0x7FFF)
		normalise(3, 0x7FFE, 0x7FFF)
		normalise(5, 0xFFFE, 0xFFFF)
		if out.Data != want {
			t.Fatalf("%v re-encoded as %v", fr, out)
		}
	})
}

// sameStatus compares two statuses, taking NaN (not available) as equal to NaN.
func sameStatus(a, b BatteryStatus) bool {
	same := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
	return a.Instance == b.Instance && same(a.Volts, b.Volts) && same(a.Amps, b.Amps) && same(a.Kelvin, b.Kelvin) &&
		a.SequenceID == b.SequenceID && a.SequenceIDUsed == b.SequenceIDUsed
}

func BenchmarkBatteryStatusFrame(b *testing.B) {
	s := BatteryStatus{Instance: 0, Volts: 26.67, Amps: -12.3, Kelvin: 298.15}
	var sink can.Frame
	b.ReportAllocs()
	for b.Loop() {
		sink = s.Frame(0x50)
	}
	_ = sink
}

func BenchmarkParseVREG(b *testing.B) {
	f := VREG{Register: RegSOC, Value: 8765, Size: 2}.Frame(0x50, n2k.Broadcast)
	var sink VREG
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = ParseVREG(f)
	}
	_ = sink
}

func BenchmarkVREGFrame(b *testing.B) {
	v := VREG{Register: RegSOC, Value: 8765, Size: 2}
	var sink can.Frame
	b.ReportAllocs()
	for b.Loop() {
		sink = v.Frame(0x50, n2k.Broadcast)
	}
	_ = sink
}

func BenchmarkParseBatteryStatus(b *testing.B) {
	f := BatteryStatus{Instance: 0, Volts: 26.67, Amps: -12.3, Kelvin: 298.15}.Frame(0x50)
	var sink BatteryStatus
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = ParseBatteryStatus(f)
	}
	_ = sink
}
