package n2k

import (
	"testing"
	"time"

	"go.einride.tech/can"
)

func benchmarkAppend(b *testing.B, n int) {
	var s FastSender
	payload := payloadOf(n, 0)
	dst := make([]can.Frame, 0, FastFrames(n))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = s.Append(dst[:0], productInfo, payload); err != nil {
			b.Fatal(err)
		}
	}
}

// 127506 as the MG Master LV sends it (S2 p.16): 11 bytes, 2 frames.
func BenchmarkFastSenderAppend11(b *testing.B) { benchmarkAppend(b, 11) }

// 126996 Product Information (protocol.md §2.5): 134 bytes, 20 frames.
func BenchmarkFastSenderAppend134(b *testing.B) { benchmarkAppend(b, 134) }

// BenchmarkReassemblerAdd feeds 134-byte messages from two interleaved sources; ns/op is per
// frame.
func BenchmarkReassemblerAdd(b *testing.B) {
	var s FastSender
	var frames []can.Frame
	for range 8 { // every sequence number
		x, _ := s.Append(nil, ID{Priority: 6, PGN: 126996, Source: 1, Destination: Broadcast}, payloadOf(134, 1))
		y, _ := s.Append(nil, ID{Priority: 6, PGN: 126996, Source: 2, Destination: Broadcast}, payloadOf(134, 2))
		for i := range x {
			frames = append(frames, x[i], y[i])
		}
	}
	r := NewReassembler(0)
	var now time.Duration
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		now += 100 * time.Microsecond
		r.Add(now, frames[i])
		if i++; i == len(frames) {
			i = 0
		}
	}
	if st := r.Stats(); st.Completed == 0 && b.N > len(frames) || st.Orphans+st.LostFrame+st.SequenceChange+st.OutOfOrder != 0 {
		b.Fatalf("stats %+v", st)
	}
}

// BenchmarkClaimerHandleForeign: the cost every received frame pays to pass the Claimer.
func BenchmarkClaimerHandleForeign(b *testing.B) {
	c := NewClaimer(NameFromBytes(mgExampleClaim.Data), 0x50)
	c.Start(0)
	f := can.Frame{ID: ID{Priority: 6, PGN: 127508, Source: 0x51, Destination: Broadcast}.CANID(), IsExtended: true, Length: 8}
	dst := make([]can.Frame, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		dst = c.Handle(time.Second, f, dst[:0])
	}
	if len(dst) != 0 {
		b.Fatal("answered a foreign frame")
	}
}
