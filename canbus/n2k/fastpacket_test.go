package n2k

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
)

func TestIsFast(t *testing.T) {
	tests := []struct {
		pgn  PGN
		fast bool
		why  string
	}{
		{59392, false, "ISO Acknowledgement"},
		{59904, false, "ISO Request"},
		{60928, false, "ISO Address Claim"},
		{61184, false, "VREG single frame"},
		{0xFFFF, false, "below the fast range"},
		{0x10000, true, "first PGN of the always-fast range"},
		{126208, true, "group function, 0x1ED00"},
		{126720, true, "VREG fast packet, 0x1EF00 (protocol.md §3.1, S7)"},
		{0x1EFFF, true, "last PGN of the always-fast range"},
		{0x1F000, false, "mixed range, not in canboat's table"},
		{126993, false, "Heartbeat"},
		{126996, true, "Product Information"},
		{127501, false, "Binary Status Report"},
		{127506, true, "DC Detailed Status"},
		{127508, false, "Battery Status"},
		{127513, true, "Battery Configuration Status"},
		{0x1FEFF, false, "last PGN of the mixed range, not in the table"},
		{0x1FF00, true, "proprietary, fast by default"},
		{0x1FFFF, true, "last PGN of data page 1"},
		{0x20000, false, "R bit set: not NMEA 2000"},
		{MaxPGN, false, "largest PGN"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.pgn, tt.why), func(t *testing.T) {
			assert.Equal(t, tt.fast, IsFast(tt.pgn))
		})
	}
}

// The table is sorted (binary search needs it) and inside the mixed range.
func TestFastMixedTable(t *testing.T) {
	for i, p := range fastMixed {
		require.True(t, p >= 0x1F000 && p < 0x1FF00, "%d outside the mixed range", p)
		if i > 0 {
			require.Less(t, fastMixed[i-1], p, "table not sorted at %d", p)
		}
	}
}

// IsFast agrees with the `type:` of every canboat definition in the reference directory.
func TestIsFastAgainstCanboat(t *testing.T) {
	dir := canboatDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "[0-9]*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		def := loadPGN(t, filepath.Base(file))
		if def.Type == "" {
			continue
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			require.Contains(t, []string{"Single", "Fast"}, def.Type)
			assert.Equal(t, def.Type == "Fast", IsFast(PGN(def.PGN)), "canboat says %s", def.Type)
		})
	}
}

func TestFastFrames(t *testing.T) {
	for n, want := range map[int]int{0: 1, 6: 1, 7: 2, 13: 2, 14: 3, 11: 2, 134: 20, 223: 32} {
		assert.Equal(t, want, FastFrames(n), "%d bytes", n)
	}
}

var (
	dcDetailed  = ID{Priority: 6, PGN: 127506, Source: 0x50, Destination: Broadcast}
	productInfo = ID{Priority: 6, PGN: 126996, Source: 0x50, Destination: Broadcast}
)

func payloadOf(n int, salt byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i)*7 + salt
	}
	return p
}

// Every length from 0 to 223 bytes goes out in the frames protocol.md §1.3 describes and comes
// back whole.
func TestFastRoundTrip(t *testing.T) {
	var s FastSender
	r := NewReassembler(0)
	for n := 0; n <= MaxFastPayload; n++ {
		payload := payloadOf(n, byte(n))
		frames, err := s.Append(nil, productInfo, payload)
		require.NoError(t, err)
		require.Len(t, frames, FastFrames(n), "%d bytes", n)
		seq := byte(n % 8)
		for i, f := range frames {
			assert.Equal(t, uint32(0x19F01450), f.ID)
			assert.True(t, f.IsExtended)
			assert.Equal(t, uint8(8), f.Length, "every frame is 8 bytes")
			assert.Equal(t, seq<<5|byte(i), f.Data[0], "%d bytes, frame %d", n, i)
		}
		assert.Equal(t, byte(n), frames[0].Data[1], "frame 0 byte 1 is the length")
		// Padding: everything after the payload in the last frame is 0xFF.
		last := frames[len(frames)-1]
		used := 1 + n - 6 - (len(frames)-2)*7 // header byte + payload bytes in the last frame
		if len(frames) == 1 {
			used = n + 2
		}
		for i := used; i < 8; i++ {
			assert.Equal(t, byte(0xFF), last.Data[i], "%d bytes: padding at %d", n, i)
		}

		for i, f := range frames {
			msg, ok := r.Add(time.Duration(n)*time.Second, f)
			require.Equal(t, i == len(frames)-1, ok, "%d bytes, frame %d", n, i)
			if ok {
				assert.Equal(t, productInfo, msg.ID)
				assert.Equal(t, payload, msg.Payload)
			}
		}
	}
	st := r.Stats()
	assert.Equal(t, uint64(MaxFastPayload+1), st.Completed)
	assert.Equal(t, uint64(MaxFastPayload+1), st.Started)
	assertLedgers(t, st)
}

// S2 p.16: the MG Master LV's 127506 is 11 bytes in two frames:
// `[seq<<5|0] 0x0B SID Inst Type SOC SOH TTG_lo` / `[seq<<5|1] TTG_hi 0xFF 0xFF Ah_lo Ah_hi 0xFF 0xFF`.
func TestFastMG127506Layout(t *testing.T) {
	const sid, inst, typ, soc, soh = 0x07, 0x00, 0x00, 87, 0xFF // SOH not implemented (S2)
	const ttg, ah = 0x1234, 0x00C8
	payload := []byte{sid, inst, typ, soc, soh, ttg & 0xFF, ttg >> 8, 0xFF, 0xFF, ah & 0xFF, ah >> 8}

	var s FastSender
	for range 3 { // the fourth message of the PGN carries sequence 3
		_, err := s.Append(nil, dcDetailed, payload)
		require.NoError(t, err)
	}
	frames, err := s.Append(nil, dcDetailed, payload)
	require.NoError(t, err)
	const seq = 3
	assert.Equal(t, []can.Frame{
		{ID: 0x19F21250, IsExtended: true, Length: 8, Data: can.Data{seq<<5 | 0, 0x0B, sid, inst, typ, soc, soh, ttg & 0xFF}},
		{ID: 0x19F21250, IsExtended: true, Length: 8, Data: can.Data{seq<<5 | 1, ttg >> 8, 0xFF, 0xFF, ah & 0xFF, ah >> 8, 0xFF, 0xFF}},
	}, frames)
}

func TestFastSenderCounters(t *testing.T) {
	var s FastSender
	seqOf := func(id ID) byte {
		frames, err := s.Append(nil, id, []byte{1, 2, 3})
		require.NoError(t, err)
		return frames[0].Data[0] >> 5
	}
	vreg := func(dst uint8) ID { return ID{Priority: 7, PGN: 126720, Source: 0x50, Destination: dst} }
	// One counter per PGN: each starts at 0.
	assert.Equal(t, byte(0), seqOf(dcDetailed))
	assert.Equal(t, byte(0), seqOf(productInfo))
	assert.Equal(t, byte(1), seqOf(dcDetailed))
	// Shared by every destination (velib veRegFpSeq).
	assert.Equal(t, byte(0), seqOf(vreg(0x20)))
	assert.Equal(t, byte(1), seqOf(vreg(0x21)))
	// 3 bits: wraps after 7.
	for want := byte(2); want < 8; want++ {
		assert.Equal(t, want, seqOf(dcDetailed))
	}
	assert.Equal(t, byte(0), seqOf(dcDetailed))
}

func TestFastSenderRefuses(t *testing.T) {
	var s FastSender
	dst := []can.Frame{{ID: 1}}
	out, err := s.Append(dst, productInfo, make([]byte, 224))
	assert.ErrorIs(t, err, ErrFastTooLong)
	assert.Equal(t, dst, out)
	out, err = s.Append(dst, ID{Priority: 6, PGN: 127508, Source: 0x50, Destination: Broadcast}, []byte{1})
	assert.ErrorIs(t, err, ErrNotFast)
	assert.Equal(t, dst, out)
	// A refused message uses no sequence number.
	frames, err := s.Append(nil, productInfo, []byte{1})
	require.NoError(t, err)
	assert.Equal(t, byte(0), frames[0].Data[0]>>5)
	// 223 bytes is the largest, 32 frames with indexes 0..31.
	frames, err = s.Append(nil, productInfo, make([]byte, 223))
	require.NoError(t, err)
	require.Len(t, frames, 32)
	assert.Equal(t, byte(1<<5|31), frames[31].Data[0])
}

// assertLedgers checks that every frame and every message is accounted for once.
func assertLedgers(t *testing.T, st ReassemblerStats) {
	t.Helper()
	assert.Equal(t, st.Frames, st.Ignored+st.BadLength+st.Oversize+st.Repeated+st.Orphans+st.Accepted,
		"frame ledger %+v", st)
	assert.Equal(t, st.Started, st.Completed+st.LostFrame+st.OutOfOrder+st.SequenceChange+st.Timeout+st.Evicted+st.InProgress,
		"message ledger %+v", st)
}

// fastFrame builds one fast-packet frame by hand.
func fastFrame(id ID, seq, index byte, data ...byte) can.Frame {
	f := can.Frame{ID: id.CANID(), IsExtended: true, Length: 8, Data: can.Data{seq<<5 | index, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}}
	copy(f.Data[1:], data)
	return f
}

func framesOf(t *testing.T, id ID, seq byte, payload []byte) []can.Frame {
	t.Helper()
	var s FastSender
	s.seqs = []fastSeq{{pgn: id.PGN, next: seq}}
	frames, err := s.Append(nil, id, payload)
	require.NoError(t, err)
	return frames
}

func TestReassembler(t *testing.T) {
	ms := time.Millisecond
	a := ID{Priority: 6, PGN: 127506, Source: 0x10, Destination: Broadcast}
	b := ID{Priority: 6, PGN: 127506, Source: 0x11, Destination: Broadcast}
	p20a, p20b := payloadOf(20, 1), payloadOf(20, 2) // 3 frames each
	p27 := payloadOf(27, 3)                          // 4 frames
	A := framesOf(t, a, 1, p20a)
	B := framesOf(t, b, 5, p20b)
	C := framesOf(t, a, 2, p27)
	A2 := framesOf(t, a, 2, p20b) // the next message of a, another sequence number

	type step struct {
		at    time.Duration
		frame can.Frame
		want  []byte // the payload this frame completes, nil for none
	}
	tests := []struct {
		name  string
		steps []step
		stats ReassemblerStats
	}{
		{"one message", []step{{0, A[0], nil}, {1 * ms, A[1], nil}, {2 * ms, A[2], p20a}},
			ReassemblerStats{Frames: 3, Accepted: 3, Started: 1, Completed: 1}},
		{"interleaved sources", []step{{0, A[0], nil}, {0, B[0], nil}, {1 * ms, B[1], nil}, {1 * ms, A[1], nil},
			{2 * ms, A[2], p20a}, {2 * ms, B[2], p20b}},
			ReassemblerStats{Frames: 6, Accepted: 6, Started: 2, Completed: 2}},
		{"lost middle frame, then the next message", []step{{0, A[0], nil}, {1 * ms, A[2], nil},
			{5 * ms, A2[0], nil}, {6 * ms, A2[1], nil}, {7 * ms, A2[2], p20b}},
			ReassemblerStats{Frames: 5, Accepted: 4, Orphans: 1, Started: 2, Completed: 1, LostFrame: 1}},
		{"repeated frame is ignored", []step{{0, A[0], nil}, {1 * ms, A[1], nil}, {1 * ms, A[1], nil}, {2 * ms, A[2], p20a}},
			ReassemblerStats{Frames: 4, Accepted: 3, Repeated: 1, Started: 1, Completed: 1}},
		{"repeated frame 0 is ignored", []step{{0, A[0], nil}, {0, A[0], nil}, {1 * ms, A[1], nil}, {2 * ms, A[2], p20a}},
			ReassemblerStats{Frames: 4, Accepted: 3, Repeated: 1, Started: 1, Completed: 1}},
		{"same index, other data: out of order", []step{{0, A[0], nil}, {1 * ms, A[1], nil},
			{1 * ms, fastFrame(a, 1, 1, 9, 9, 9, 9, 9, 9, 9), nil}, {2 * ms, A[2], nil}},
			ReassemblerStats{Frames: 4, Accepted: 2, Orphans: 2, Started: 1, OutOfOrder: 1}},
		{"out of order: an earlier frame again", []step{{0, C[0], nil}, {1 * ms, C[1], nil}, {2 * ms, C[2], nil},
			{3 * ms, C[1], nil}, {4 * ms, C[3], nil}},
			ReassemblerStats{Frames: 5, Accepted: 3, Orphans: 2, Started: 1, OutOfOrder: 1}},
		{"out of order: swapped frames", []step{{0, C[0], nil}, {1 * ms, C[2], nil}, {2 * ms, C[1], nil}, {3 * ms, C[3], nil}},
			ReassemblerStats{Frames: 4, Accepted: 1, Orphans: 3, Started: 1, LostFrame: 1}},
		{"sequence change mid-message: new frame 0 restarts", []step{{0, A[0], nil}, {1 * ms, A[1], nil},
			{2 * ms, A2[0], nil}, {3 * ms, A2[1], nil}, {4 * ms, A2[2], p20b}},
			ReassemblerStats{Frames: 5, Accepted: 5, Started: 2, Completed: 1, SequenceChange: 1}},
		{"sequence change mid-message: a later frame of another sequence", []step{{0, A[0], nil},
			{1 * ms, A2[1], nil}, {2 * ms, A[2], nil}},
			ReassemblerStats{Frames: 3, Accepted: 1, Orphans: 2, Started: 1, SequenceChange: 1}},
		{"frame 0 again with the same sequence restarts", []step{{0, A[0], nil}, {1 * ms, A[1], nil},
			{2 * ms, A[0], nil}, {3 * ms, A[1], nil}, {4 * ms, A[2], p20a}},
			ReassemblerStats{Frames: 5, Accepted: 5, Started: 2, Completed: 1, OutOfOrder: 1}},
		{"750 ms between frames is still in time", []step{{0, A[0], nil}, {750 * ms, A[1], nil}, {1500 * ms, A[2], p20a}},
			ReassemblerStats{Frames: 3, Accepted: 3, Started: 1, Completed: 1}},
		{"timeout", []step{{0, A[0], nil}, {751 * ms, A[1], nil}, {752 * ms, A[2], nil}},
			ReassemblerStats{Frames: 3, Accepted: 1, Orphans: 2, Started: 1, Timeout: 1}},
		{"timeout counted on any later frame", []step{{0, A[0], nil}, {2 * time.Second, B[0], nil}},
			ReassemblerStats{Frames: 2, Accepted: 2, Started: 2, Timeout: 1, InProgress: 1}},
		{"frame 0 declaring 224 bytes", []step{{0, fastFrame(a, 0, 0, 224, 1, 2, 3, 4, 5, 6), nil}, {1 * ms, fastFrame(a, 0, 1), nil}},
			ReassemblerStats{Frames: 2, Oversize: 1, Orphans: 1}},
		{"declaring 224 bytes leaves a message in progress alone", []step{{0, A[0], nil},
			{0, fastFrame(a, 0, 0, 224), nil}, {1 * ms, A[1], nil}, {2 * ms, A[2], p20a}},
			ReassemblerStats{Frames: 4, Oversize: 1, Accepted: 3, Started: 1, Completed: 1}},
		{"wrong DLC", []step{{0, func() can.Frame { f := A[0]; f.Length = 7; return f }(), nil}},
			ReassemblerStats{Frames: 1, BadLength: 1}},
		{"wrong DLC in the middle loses the frame", []step{{0, A[0], nil},
			{1 * ms, func() can.Frame { f := A[1]; f.Length = 6; return f }(), nil}, {2 * ms, A[2], nil}},
			ReassemblerStats{Frames: 3, BadLength: 1, Accepted: 1, Orphans: 1, Started: 1, LostFrame: 1}},
		{"impossible DLC", []step{{0, func() can.Frame { f := A[0]; f.Length = 200; return f }(), nil}},
			ReassemblerStats{Frames: 1, BadLength: 1}},
		{"not fast packet", []step{
			{0, can.Frame{ID: ID{Priority: 6, PGN: 127508, Source: 1, Destination: Broadcast}.CANID(), IsExtended: true, Length: 8}, nil},
			{0, can.Frame{ID: 0x351, Length: 8}, nil},
			{0, func() can.Frame { f := A[0]; f.IsRemote = true; return f }(), nil},
			{0, func() can.Frame { f := A[0]; f.ID |= 1 << 29; return f }(), nil}},
			ReassemblerStats{Frames: 4, Ignored: 4}},
		{"a later frame alone", []step{{0, A[1], nil}},
			ReassemblerStats{Frames: 1, Orphans: 1}},
		{"6 bytes or less: one frame", []step{{0, fastFrame(a, 4, 0, 3, 0xA, 0xB, 0xC), []byte{0xA, 0xB, 0xC}}},
			ReassemblerStats{Frames: 1, Accepted: 1, Started: 1, Completed: 1}},
		{"0 bytes", []step{{0, fastFrame(a, 4, 0, 0), []byte{}}},
			ReassemblerStats{Frames: 1, Accepted: 1, Started: 1, Completed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReassembler(DefaultFastTimeout)
			for i, s := range tt.steps {
				msg, ok := r.Add(s.at, s.frame)
				if s.want == nil {
					assert.False(t, ok, "step %d completed %x", i, msg.Payload)
					continue
				}
				require.True(t, ok, "step %d", i)
				assert.Equal(t, s.want, msg.Payload, "step %d", i)
				assert.Equal(t, ParseCANID(s.frame.ID), msg.ID)
			}
			assert.Equal(t, tt.stats, r.Stats())
			assertLedgers(t, r.Stats())
		})
	}
}

// Addressed fast packets from one source to two nodes interleave: the destination is part of
// the key.
func TestReassemblerByDestination(t *testing.T) {
	to20 := ID{Priority: 7, PGN: 126720, Source: 0x50, Destination: 0x20}
	to21 := ID{Priority: 7, PGN: 126720, Source: 0x50, Destination: 0x21}
	var s FastSender
	x, err := s.Append(nil, to20, payloadOf(15, 1))
	require.NoError(t, err)
	y, err := s.Append(nil, to21, payloadOf(15, 2))
	require.NoError(t, err)
	r := NewReassembler(0)
	var got [][]byte
	for i := range x {
		for _, f := range []can.Frame{x[i], y[i]} {
			if msg, ok := r.Add(0, f); ok {
				got = append(got, append([]byte(nil), msg.Payload...))
			}
		}
	}
	assert.Equal(t, [][]byte{payloadOf(15, 1), payloadOf(15, 2)}, got)
}

// With every slot busy, the least recently fed message makes room.
func TestReassemblerEviction(t *testing.T) {
	r := NewReassembler(time.Hour)
	for src := range MaxFastSlots + 1 {
		id := ID{Priority: 6, PGN: 126996, Source: uint8(src), Destination: Broadcast}
		_, ok := r.Add(time.Duration(src)*time.Millisecond, fastFrame(id, 0, 0, 100))
		require.False(t, ok)
	}
	st := r.Stats()
	assert.Equal(t, uint64(1), st.Evicted)
	assert.Equal(t, uint64(MaxFastSlots), st.InProgress)
	assertLedgers(t, st)
	// Source 0 was evicted: its next frame is an orphan; source 1 still assembles.
	r.Add(time.Second, fastFrame(ID{Priority: 6, PGN: 126996, Source: 0, Destination: Broadcast}, 0, 1))
	r.Add(time.Second, fastFrame(ID{Priority: 6, PGN: 126996, Source: 1, Destination: Broadcast}, 0, 1))
	st = r.Stats()
	assert.Equal(t, uint64(1), st.Orphans)
	assert.Equal(t, uint64(MaxFastSlots+2), st.Accepted)
}

// The payload belongs to the Reassembler until the next Add.
func TestReassemblerPayloadOwnership(t *testing.T) {
	a := ID{Priority: 6, PGN: 127506, Source: 0x10, Destination: Broadcast}
	r := NewReassembler(0)
	var first Message
	for _, f := range framesOf(t, a, 0, payloadOf(10, 1)) {
		if msg, ok := r.Add(0, f); ok {
			first = msg
		}
	}
	kept := append([]byte(nil), first.Payload...)
	for _, f := range framesOf(t, a, 1, payloadOf(10, 2)) {
		r.Add(0, f)
	}
	assert.Equal(t, payloadOf(10, 1), kept, "a copy survives")
	assert.NotEqual(t, kept, first.Payload, "the slot was reused")
}

// Steady state allocates nothing: the paths a node runs per frame.
func TestFastZeroAlloc(t *testing.T) {
	var s FastSender
	payload := payloadOf(134, 0)
	dst := make([]can.Frame, 0, 32)
	_, _ = s.Append(dst, productInfo, payload) // first use of the PGN adds its counter
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		dst, _ = s.Append(dst[:0], productInfo, payload)
	}))

	r := NewReassembler(0)
	frames := framesOf(t, productInfo, 0, payload)
	var now time.Duration
	feed := func() {
		for _, f := range frames {
			now += time.Millisecond
			r.Add(now, f)
		}
	}
	feed()
	assert.Zero(t, testing.AllocsPerRun(100, feed))
	assert.Equal(t, uint64(101+1), r.Stats().Completed)
}
