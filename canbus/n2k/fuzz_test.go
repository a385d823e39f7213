package n2k

import "testing"

// FuzzParseCANID: decoding a 29-bit identifier and encoding the result gives the identifier back,
// for every identifier. It holds because ParseCANID keeps every bit: priority (26–28), R/DP and
// PDU format (16–25) in the PGN, PDU specific (8–15) in the PGN's low byte for PDU2 or in the
// destination for PDU1, and the source (0–7). Bits 29–31 are not part of an identifier and
// are ignored. The reverse does not hold in general (a PDU1 PGN with a non-zero low byte, or a
// priority above 7, has no identifier of its own), so it is not asked for. More seeds live in
// testdata/fuzz/FuzzParseCANID.
func FuzzParseCANID(f *testing.F) {
	f.Add(uint32(0x19F21450)) // 127508 from 0x50
	f.Add(uint32(0x1CEF5020)) // 61184 to 0x50 from 0x20
	f.Fuzz(func(t *testing.T, u uint32) {
		const mask = 1<<29 - 1
		id := ParseCANID(u & mask)
		if got := id.CANID(); got != u&mask {
			t.Fatalf("ParseCANID(%08X) = %v, which encodes as %08X", u&mask, id, got)
		}
		if ParseCANID(u) != id {
			t.Fatalf("bits above 28 of %08X changed the decoding", u)
		}
		if id.Priority > 7 || id.PGN > 0x3FFFF {
			t.Fatalf("ParseCANID(%08X) = %v: out of range", u&mask, id)
		}
		if id.PGN.PDU1() && id.PGN&0xFF != 0 {
			t.Fatalf("ParseCANID(%08X) = %v: a PDU1 PGN keeps its destination in the low byte", u&mask, id)
		}
		if !id.PGN.PDU1() && id.Destination != Broadcast {
			t.Fatalf("ParseCANID(%08X) = %v: a PDU2 message goes to everyone", u&mask, id)
		}
		// Encoding is a fixed point from here on.
		if again := ParseCANID(id.CANID()); again != id {
			t.Fatalf("%v re-decoded as %v", id, again)
		}
	})
}

func BenchmarkParseCANID(b *testing.B) {
	var sink uint32
	b.ReportAllocs()
	for b.Loop() {
		sink = ParseCANID(0x19F21450 + sink&1).CANID()
	}
}
