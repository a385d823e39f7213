package batbus

import (
	"testing"

	"go.einride.tech/can"
)

// fuzzFrame builds the frame the fuzzer describes. Identifiers above 11 bits are extended, as a
// transport would mark them; the length is taken as it comes, so that the decoders also see
// the impossible lengths (9 to 255) a hand-built frame can carry.
func fuzzFrame(id uint32, length uint8, data []byte) can.Frame {
	f := can.Frame{ID: id, Length: length, IsExtended: id > 0x7FF}
	copy(f.Data[:], data)
	return f
}

// FuzzBatbus feeds every decoder the same frame. None may panic, and what one accepts must
// survive its own encoder: encoding the value and decoding it again gives the value back.
// More seeds live in testdata/fuzz/FuzzBatbus.
func FuzzBatbus(f *testing.F) {
	for _, fr := range []can.Frame{
		Announce{Chemistry: ChemistryLFP, Model: 2, Cells: 8, CapacityAh: 280, Serial: 1746_0001, FromAddress: Unassigned}.Frame(),
		Assign{Serial: 1746_0001, Address: 3}.Frame(),
		Status{Address: 3, Millivolts: 26_670, Deciamps: -123, SOCHundredths: 6012}.Frame(),
		Cells{Address: 3, MinMillivolts: 3301, MaxMillivolts: 3342, MinDeciCelsius: -52, MaxDeciCelsius: 251}.Frame(),
	} {
		f.Add(fr.ID, fr.Length, fr.Data[:])
	}
	f.Fuzz(func(t *testing.T, id uint32, length uint8, data []byte) {
		fr := fuzzFrame(id, length, data)
		msg, addr, ok := Split(fr)
		if ok && ID(msg, addr) != fr.ID {
			t.Fatalf("Split(%08X) = %v, %d, but ID gives %08X back", fr.ID, msg, addr, ID(msg, addr))
		}

		parsed := 0
		if a, err := ParseAnnounce(fr); err == nil {
			parsed++
			back, err := ParseAnnounce(a.Frame())
			if err != nil || back != a {
				t.Fatalf("announce %+v from %v: re-encoded it parses to %+v, %v", a, fr, back, err)
			}
		}
		if a, err := ParseAssign(fr); err == nil {
			parsed++
			back, err := ParseAssign(a.Frame())
			if err != nil || back != a {
				t.Fatalf("assign %+v from %v: re-encoded it parses to %+v, %v", a, fr, back, err)
			}
		}
		if s, err := ParseStatus(fr); err == nil {
			parsed++
			back, err := ParseStatus(s.Frame())
			if err != nil || back != s {
				t.Fatalf("status %+v from %v: re-encoded it parses to %+v, %v", s, fr, back, err)
			}
		}
		if c, err := ParseCells(fr); err == nil {
			parsed++
			back, err := ParseCells(c.Frame())
			if err != nil || back != c {
				t.Fatalf("cells %+v from %v: re-encoded it parses to %+v, %v", c, fr, back, err)
			}
		}
		// A frame means one thing: no two decoders may accept it, and none may accept a frame
		// that is not of this protocol or whose length is not 8.
		if parsed > 1 {
			t.Fatalf("%v parses as %d messages", fr, parsed)
		}
		if parsed == 1 && (!ok || fr.Length != 8) {
			t.Fatalf("%v parses though it is not a well-formed batbus frame", fr)
		}
		if parsed == 1 {
			// What the battery bus carries, a CAN transport can carry.
			if err := fr.Validate(); err != nil {
				t.Fatalf("%v parses but is not a valid CAN frame: %v", fr, err)
			}
		}
	})
}
