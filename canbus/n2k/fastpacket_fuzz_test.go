package n2k

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"go.einride.tech/can"
)

// fuzzFastPGNs are the PGNs FuzzFastPacketRoundTrip sends on: fast ones of each range IsFast
// knows (126720 is addressed, PDU1), and two single-frame PGNs FastSender must refuse.
var fuzzFastPGNs = [...]PGN{126996, 127506, 127513, 126720, 0x1FF00, 127508, 59904, 0x1F001}

// fuzzPayloads cuts b into payloads: a length byte (0–255, so that some are above 223), then that
// many bytes, or what is left.
func fuzzPayloads(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 && len(out) < 32 {
		n := min(int(b[0]), len(b)-1)
		out = append(out, b[1:1+n])
		b = b[1+n:]
	}
	return out
}

// FuzzFastPacketRoundTrip: what FastSender splits, a Reassembler puts back together, byte for
// byte, even with two senders' frames interleaved in any order and every frame delivered twice.
// FastSender refuses payloads above 223 bytes and single-frame PGNs, leaving dst as it was;
// otherwise it sends FastFrames(n) frames of 8 bytes with the identifier asked for, indexes 0, 1,
// 2 …, one sequence number per message that advances by one per message of the PGN, the length
// in frame 0 and 0xFF padding after the payload. The Reassembler completes each message exactly
// once (a one-frame message twice when doubled: its repeat comes after it is complete and is a
// new message, as documented), ends with nothing in progress, and its ledgers balance. Seeds:
// testdata/fuzz/FuzzFastPacketRoundTrip.
func FuzzFastPacketRoundTrip(f *testing.F) {
	f.Add([]byte{11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, []byte{3, 0xAA, 0xBB, 0xCC}, uint8(0), uint32(0x5555), false)
	f.Fuzz(func(t *testing.T, a, b []byte, pgnSel uint8, order uint32, double bool) {
		pgn := fuzzFastPGNs[int(pgnSel)%len(fuzzFastPGNs)]
		// Two senders: sources 0x20 and 0x21 to one destination, or, for an addressed PGN, one
		// source to two destinations (velib's shared counter: FastSender is per node).
		ids := [2]ID{{Priority: 3, PGN: pgn, Source: 0x20, Destination: Broadcast}, {Priority: 3, PGN: pgn, Source: 0x21, Destination: Broadcast}}
		if pgn.PDU1() {
			ids[0].Destination, ids[1].Destination = 0x50, 0x51
			ids[1].Source = 0x20
		}
		var senders [2]FastSender
		type sent struct {
			payload []byte
			frames  []can.Frame
		}
		var streams [2][]sent
		seqs := [2]int{}
		for k, input := range [2][]byte{a, b} {
			s := &senders[k]
			if pgn.PDU1() {
				s = &senders[0] // one node
			}
			for _, p := range fuzzPayloads(input) {
				before := []can.Frame{{ID: 1}}
				frames, err := s.Append(before, ids[k], p)
				switch {
				case len(p) > MaxFastPayload || !IsFast(pgn):
					want := ErrNotFast
					if len(p) > MaxFastPayload {
						want = ErrFastTooLong
					}
					if !errors.Is(err, want) || len(frames) != 1 || frames[0] != before[0] {
						t.Fatalf("%d bytes on %d: %v, %d frames; want %v and dst unchanged", len(p), pgn, err, len(frames), want)
					}
					continue
				case err != nil:
					t.Fatalf("%d bytes on %d: %v", len(p), pgn, err)
				}
				frames = frames[1:]
				if len(frames) != FastFrames(len(p)) {
					t.Fatalf("%d bytes in %d frames, FastFrames says %d", len(p), len(frames), FastFrames(len(p)))
				}
				// The sequence number: per PGN for the node, so shared by the two streams of an
				// addressed PGN.
				counter := &seqs[k]
				if pgn.PDU1() {
					counter = &seqs[0]
				}
				seq := byte(*counter % 8)
				*counter++
				var joined []byte
				for i, fr := range frames {
					if fr.ID != ids[k].CANID() || !fr.IsExtended || fr.IsRemote || fr.Length != 8 {
						t.Fatalf("frame %d of %d bytes: %+v", i, len(p), fr)
					}
					if fr.Data[0] != seq<<5|byte(i) {
						t.Fatalf("frame %d of message %d: byte 0 is %02X, want sequence %d index %d", i, *counter-1, fr.Data[0], seq, i)
					}
					if i == 0 {
						if int(fr.Data[1]) != len(p) {
							t.Fatalf("frame 0 declares %d bytes, the payload has %d", fr.Data[1], len(p))
						}
						joined = append(joined, fr.Data[2:]...)
					} else {
						joined = append(joined, fr.Data[1:]...)
					}
				}
				if !bytes.Equal(joined[:len(p)], p) || bytes.Count(joined[len(p):], []byte{0xFF}) != len(joined)-len(p) {
					t.Fatalf("frames carry % X for payload % X, padding not all 0xFF", joined, p)
				}
				streams[k] = append(streams[k], sent{payload: p, frames: frames})
			}
		}

		// Interleave the two streams as the bits of order say (then round-robin), each frame
		// doubled when asked, and check every message comes back once, in its stream's order.
		r := NewReassembler(0)
		var now time.Duration
		var pos [2]struct{ msg, frame int }
		var got [2][][]byte
		var frames uint64
		add := func(fr can.Frame) {
			now += time.Millisecond
			frames++
			if m, ok := r.Add(now, fr); ok {
				k := 0
				if m.ID != ids[0] {
					k = 1
				}
				if m.ID != ids[k] {
					t.Fatalf("message completed with id %v, sent with %v or %v", m.ID, ids[0], ids[1])
				}
				got[k] = append(got[k], append([]byte(nil), m.Payload...))
			}
		}
		for step := 0; ; step++ {
			k := int(order>>(step%32)) & 1
			if step >= 32 {
				k = step & 1
			}
			if pos[k].msg >= len(streams[k]) {
				k ^= 1
				if pos[k].msg >= len(streams[k]) {
					break
				}
			}
			m := streams[k][pos[k].msg]
			fr := m.frames[pos[k].frame]
			add(fr)
			if double {
				add(fr)
			}
			if pos[k].frame++; pos[k].frame == len(m.frames) {
				pos[k].msg, pos[k].frame = pos[k].msg+1, 0
			}
		}
		for k := range streams {
			var want [][]byte
			for _, m := range streams[k] {
				want = append(want, m.payload)
				if double && len(m.frames) == 1 {
					want = append(want, m.payload)
				}
			}
			if len(got[k]) != len(want) {
				t.Fatalf("stream %d: %d messages sent (doubled: %v), %d came back", k, len(streams[k]), double, len(got[k]))
			}
			for i := range want {
				if !bytes.Equal(got[k][i], want[i]) {
					t.Fatalf("stream %d message %d: sent % X, got % X", k, i, want[i], got[k][i])
				}
			}
		}
		st := r.Stats()
		if st.InProgress != 0 || st.Frames != frames || st.Completed != uint64(len(got[0])+len(got[1])) {
			t.Fatalf("stats %+v after %d frames and %d messages", st, frames, len(got[0])+len(got[1]))
		}
		if st.LostFrame+st.OutOfOrder+st.SequenceChange+st.Timeout+st.Evicted+st.Ignored+st.BadLength+st.Oversize != 0 {
			t.Fatalf("a clean stream dropped something: %+v", st)
		}
		if st.Frames != st.Ignored+st.BadLength+st.Oversize+st.Repeated+st.Orphans+st.Accepted ||
			st.Started != st.Completed+st.LostFrame+st.OutOfOrder+st.SequenceChange+st.Timeout+st.Evicted+st.InProgress {
			t.Fatalf("ledgers do not balance: %+v", st)
		}
	})
}
