package n2k

import (
	"testing"
	"time"

	"go.einride.tech/can"
)

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

// fuzzFrames turns the fuzzer's bytes into frames, 11 bytes a frame:
//
//	byte 0     bits 0–1 source (4 sources, so that messages interleave); bits 2–3 the PGN:
//	           127506, 126996, 126720 (addressed: bit 4 picks 0x20 or 0x21) or 127508 (single
//	           frame); bits 5–7: 5 an identifier above 29 bits (an error frame), 6 a remote
//	           frame, 7 an 11-bit frame, anything else a plain 29-bit data frame
//	byte 1     0xF0 to 0xFF: the length is the low 4 bits (0 to 15, impossible lengths
//	           included); otherwise 8
//	byte 2     time since the previous frame: below 200 in ms, from 200 on in steps of 50 ms
//	           up to 2.8 s, so that timeouts happen but not all the time
//	bytes 3–10 the data
func fuzzFrames(b []byte, visit func(now time.Duration, f can.Frame)) {
	pgns := [4]PGN{127506, 126996, 126720, 127508}
	var now time.Duration
	for ; len(b) >= 11; b = b[11:] {
		id := ID{Priority: 6, PGN: pgns[b[0]>>2&3], Source: b[0] & 3, Destination: Broadcast}
		if id.PGN.PDU1() {
			id.Destination = 0x20 + b[0]>>4&1
		}
		f := can.Frame{ID: id.CANID(), IsExtended: true, Length: 8}
		switch b[0] >> 5 {
		case 5:
			f.ID |= 1 << 29
		case 6:
			f.IsRemote = true
		case 7:
			f.IsExtended = false
		}
		if b[1] >= 0xF0 {
			f.Length = b[1] & 0x0F
		}
		copy(f.Data[:], b[3:11])
		if b[2] < 200 {
			now += time.Duration(b[2]) * time.Millisecond
		} else {
			now += time.Duration(b[2]-199) * 50 * time.Millisecond
		}
		visit(now, f)
	}
}

// FuzzReassembler: whatever frames arrive, in whatever order, Add never panics, never returns a
// payload longer than 223 bytes or other than the length the message's frame 0 declared, starts
// the payload with that frame 0's bytes, and keeps both ledgers of ReassemblerStats balanced.
// More seeds live in testdata/fuzz/FuzzReassembler.
func FuzzReassembler(f *testing.F) {
	f.Add([]byte{})
	// 127506 from source 1, 11 bytes in two frames, then the same again.
	f.Add([]byte{
		0x01, 0, 1, 0x00, 0x0B, 1, 2, 3, 4, 5, 6,
		0x01, 0, 1, 0x01, 7, 8, 9, 10, 11, 0xFF, 0xFF,
		0x01, 0, 1, 0x20, 0x0B, 1, 2, 3, 4, 5, 6,
		0x01, 0, 216, 0x21, 7, 8, 9, 10, 11, 0xFF, 0xFF, // 850 ms later: timed out
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		type key struct {
			pgn      PGN
			src, dst uint8
		}
		frame0 := map[key]can.Data{} // the last frame 0 that could start a message, per slot
		r := NewReassembler(0)
		var completed uint64
		fuzzFrames(b, func(now time.Duration, fr can.Frame) {
			msg, ok := r.Add(now, fr)
			id := ParseCANID(fr.ID)
			k := key{id.PGN, id.Source, id.Destination}
			if fr.IsExtended && !fr.IsRemote && fr.ID <= can.MaxExtendedID && IsFast(id.PGN) &&
				fr.Length == 8 && fr.Data[0]&0x1F == 0 && fr.Data[1] <= MaxFastPayload {
				frame0[k] = fr.Data
			}
			if !ok {
				return
			}
			completed++
			f0, seen := frame0[k]
			if !seen {
				t.Fatalf("%v completed a message no frame 0 began", fr)
			}
			if len(msg.Payload) > MaxFastPayload || len(msg.Payload) != int(f0[1]) {
				t.Fatalf("payload of %d bytes; frame 0 %x declared %d", len(msg.Payload), f0, f0[1])
			}
			if head := min(len(msg.Payload), 6); string(msg.Payload[:head]) != string(f0[2:2+head]) {
				t.Fatalf("payload %x does not begin with frame 0 %x", msg.Payload, f0)
			}
			if msg.ID != id {
				t.Fatalf("message id %v, completing frame %v", msg.ID, id)
			}
		})
		st := r.Stats()
		if st.Frames != st.Ignored+st.BadLength+st.Oversize+st.Repeated+st.Orphans+st.Accepted {
			t.Fatalf("frame ledger does not balance: %+v", st)
		}
		if st.Started != st.Completed+st.LostFrame+st.OutOfOrder+st.SequenceChange+st.Timeout+st.Evicted+st.InProgress {
			t.Fatalf("message ledger does not balance: %+v", st)
		}
		if st.Completed != completed || st.Frames != uint64(len(b)/11) {
			t.Fatalf("stats %+v, %d completed, %d frames", st, completed, len(b)/11)
		}
	})
}

// FuzzParseRequestAck feeds one frame (flags: bit 0 extended, bit 1 remote) to every decoder of
// the network-management PGNs and to the two state machines that read them, as the node at self. Nothing panics; what a decoder accepts, its encoder
// gives back; a NAK is a well-formed acknowledgement of the requested PGN. More seeds live in
// testdata/fuzz/FuzzParseRequestAck.
func FuzzParseRequestAck(f *testing.F) {
	for _, fr := range []can.Frame{
		Request{PGN: 126996}.Frame(14, 0),
		Request{PGN: PGNAddressClaim}.Frame(0x20, Broadcast),
		Ack{Control: NAK, GroupFunction: 0xFF, PGN: 65332}.Frame(14, 12),
		NewHeartbeat(209).Frame(0),
	} {
		f.Add(fr.ID, uint8(1), fr.Length, uint8(0x50), fr.Data[:])
	}
	f.Fuzz(func(t *testing.T, id uint32, flags, length, self uint8, data []byte) {
		fr := can.Frame{ID: id, IsExtended: flags&1 != 0, IsRemote: flags&2 != 0, Length: length}
		copy(fr.Data[:], data)
		cid := ParseCANID(fr.ID)

		if r, err := ParseRequest(fr); err == nil {
			if fr.Length < 3 || fr.Length > 8 || !fr.IsExtended || cid.PGN != PGNRequest || r.PGN > MaxPGN {
				t.Fatalf("ParseRequest accepted %v as %+v", fr, r)
			}
			again := r.Frame(cid.Source, cid.Destination)
			back, err := ParseRequest(again)
			if err != nil || back != r || again.ID != fr.ID&can.MaxExtendedID || [3]byte(again.Data[:3]) != [3]byte(fr.Data[:3]) {
				t.Fatalf("request %+v from %v re-encodes as %v (%+v, %v)", r, fr, again, back, err)
			}
		}
		if a, err := ParseAck(fr); err == nil {
			again := a.Frame(cid.Source, cid.Destination)
			back, err := ParseAck(again)
			if err != nil || back != a || again.ID != fr.ID || [2]byte(again.Data[:2]) != [2]byte(fr.Data[:2]) || [3]byte(again.Data[5:]) != [3]byte(fr.Data[5:]) {
				t.Fatalf("ack %+v from %v re-encodes as %v (%+v, %v)", a, fr, again, back, err)
			}
		}
		if h, err := ParseHeartbeat(fr); err == nil {
			back, err := ParseHeartbeat(h.Frame(cid.Source))
			if err != nil || back != h {
				t.Fatalf("heartbeat %+v from %v re-encodes to %+v, %v", h, fr, back, err)
			}
		}

		in, action, nak := AnswerRequest(fr, self, func(p PGN) bool { return p&1 == 0 })
		switch action {
		case RequestIgnore:
		case RequestServe, RequestNAK:
			if r, err := ParseRequest(fr); err != nil || r != in.Request {
				t.Fatalf("%v answered (%v) though ParseRequest gives %+v, %v", fr, action, r, err)
			}
			if action == RequestNAK {
				a, err := ParseAck(nak)
				nid := ParseCANID(nak.ID)
				if err != nil || a.Control != NAK || a.PGN != in.PGN || nid.Source != self || in.Broadcast() {
					t.Fatalf("NAK %v for %+v: %+v, %v", nak, in, a, err)
				}
			}
		default:
			t.Fatalf("action %v", action)
		}

		c := NewClaimer(Name(id)|1<<63, self)
		c.Start(0)
		for _, out := range c.Handle(time.Millisecond, fr, nil) {
			if ParseCANID(out.ID).PGN != PGNAddressClaim || NameFromBytes(out.Data) != c.Name() {
				t.Fatalf("Handle(%v) sent %v", fr, out)
			}
		}
	})
}

// FuzzNameRoundTrip: every 64-bit NAME survives the wire and the field view (but for the spare
// bit, which the field view drops), and NameFields.Name refuses exactly the fields that do not
// fit their bits. More seeds live in testdata/fuzz/FuzzNameRoundTrip.
func FuzzNameRoundTrip(f *testing.F) {
	f.Add(uint64(0xC046AA00911000AE), uint32(0x1000AE), uint16(1160), uint8(0), uint8(0), uint8(170), uint8(35), uint8(0), uint8(4), true)
	f.Fuzz(func(t *testing.T, u uint64, unique uint32, mfr uint16, instLo, instHi, function, class, system, industry uint8, aac bool) {
		n := Name(u)
		if NameFromBytes(n.Bytes()) != n {
			t.Fatalf("%016X does not survive the wire", u)
		}
		fields := n.Fields()
		back, err := fields.Name()
		if err != nil || back != n&^(1<<48) || back.Fields() != fields {
			t.Fatalf("%016X: fields %+v give %016X, %v", u, fields, uint64(back), err)
		}

		in := NameFields{UniqueNumber: unique, ManufacturerCode: mfr, DeviceInstanceLower: instLo,
			DeviceInstanceUpper: instHi, DeviceFunction: function, DeviceClass: class, SystemInstance: system,
			IndustryGroup: industry, ArbitraryAddressCapable: aac}
		fits := unique < 1<<21 && mfr < 1<<11 && instLo < 8 && instHi < 32 && class < 128 && system < 16 && industry < 8
		packed, err := in.Name()
		switch {
		case fits && err != nil:
			t.Fatalf("%+v refused: %v", in, err)
		case !fits && err == nil:
			t.Fatalf("%+v accepted as %016X", in, uint64(packed))
		case fits && packed.Fields() != in:
			t.Fatalf("%+v packs to %016X, which unpacks to %+v", in, uint64(packed), packed.Fields())
		}
	})
}
