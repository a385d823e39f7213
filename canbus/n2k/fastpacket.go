package n2k

import (
	"errors"
	"slices"
	"time"

	"go.einride.tech/can"
)

// Fast-packet framing (protocol.md §1.3; S1 crates/canboat-io/src/fastpacket.rs fragment; S2
// p.16; the same rules in velib nmea2k/n2k_fp.c, S7's library):
//
//   - every frame has 8 data bytes; byte 0 is seq<<5 | index, a 3-bit sequence counter and a
//     5-bit frame index;
//   - frame 0 carries the payload length in byte 1 and payload bytes 0–5 in bytes 2–7;
//   - frame n ≥ 1 carries the next 7 payload bytes in bytes 1–7;
//   - the last frame is padded with 0xFF;
//   - so the payload is at most 6 + 31×7 = 223 bytes (S1 analyzer.c "fast-packet's 223-byte").
const (
	MaxFastPayload = 223
	fastFirstBytes = 6 // payload bytes in frame 0
	fastNextBytes  = 7 // payload bytes in every later frame
	fastFrameLen   = 8
	fastIndexMask  = 0x1F
	fastSeqShift   = 5
	fastSeqMask    = 0x07
)

// DefaultFastTimeout is the longest gap between two frames of one fast-packet message before a
// receiver gives the message up: velib's "A fast packet message may be considered incomplete if
// a frame is not received within 750 milliseconds" (nmea2k/n2k_fp.h
// CFG_N2K_FP_RX_FRAME_TIMEOUT, 15+1 ticks of 50 ms, in the public velib copies of S7).
const DefaultFastTimeout = 750 * time.Millisecond

// Errors of FastSender.Append.
var (
	ErrFastTooLong = errors.New("n2k: fast-packet payload above 223 bytes")
	ErrNotFast     = errors.New("n2k: PGN does not travel as fast packet")
)

// fastMixed lists the PGNs of 0x1F000..0x1FEFF that travel as fast packets; every other PGN of
// that range is a single frame. It is canboat's database (S1 @01d0dc3, database/pgns/*.yaml
// `type: Fast`, as compiled into crates/canboat-io/src/fastpacket_generated.rs; the two agree
// entry for entry). Among them 126996 Product Information, 127506 DC Detailed Status and 127513
// Battery Configuration Status; absent, hence single: 126993 Heartbeat, 127501 Binary Status
// Report, 127508 Battery Status (protocol.md §1.3). Sorted, for binary search.
var fastMixed = [...]PGN{
	126983, 126984, 126985, 126986, 126987, 126988, 126996, 126998, 127233, 127237,
	127489, 127490, 127491, 127494, 127495, 127496, 127497, 127498, 127503, 127504,
	127506, 127507, 127509, 127510, 127511, 127512, 127513, 127514, 128275, 128520,
	128538, 129029, 129038, 129039, 129040, 129041, 129044, 129045, 129284, 129285,
	129301, 129302, 129538, 129540, 129541, 129542, 129545, 129547, 129549, 129551,
	129556, 129792, 129793, 129794, 129795, 129796, 129797, 129798, 129799, 129800,
	129801, 129802, 129803, 129804, 129805, 129806, 129807, 129808, 129809, 129810,
	129811, 129812, 129813, 129814, 129815, 129816, 130052, 130053, 130054, 130060,
	130061, 130064, 130065, 130066, 130067, 130068, 130069, 130070, 130071, 130072,
	130073, 130074, 130320, 130321, 130322, 130323, 130324, 130329, 130330, 130561,
	130562, 130563, 130564, 130565, 130566, 130567, 130568, 130569, 130570, 130571,
	130572, 130573, 130574, 130575, 130577, 130578, 130580, 130581, 130583, 130584,
	130586,
}

// IsFast reports whether p travels as fast packet (protocol.md §1.3; S1 fastpacket.rs
// packet_type):
//
//	below 0x10000      single (ISO 11783 / J1939 PGNs: 59392, 59904, 60928, 61184 …)
//	0x10000..0x1EFFF   fast, always (126208 group function, 126720 VREG fast packet …)
//	0x1F000..0x1FEFF   per PGN, the fastMixed table from canboat's database
//	0x1FF00..0x1FFFF   fast (manufacturer proprietary, canboat's range default)
//	0x20000 and above  single: outside NMEA 2000's data pages
func IsFast(p PGN) bool {
	switch {
	case p < 0x10000 || p > 0x1FFFF:
		return false
	case p < 0x1F000 || p >= 0x1FF00:
		return true
	}
	_, found := slices.BinarySearch(fastMixed[:], p)
	return found
}

// FastFrames returns how many frames a payload of n bytes takes (n at most MaxFastPayload).
func FastFrames(n int) int {
	if n <= fastFirstBytes {
		return 1
	}
	return 1 + (n-fastFirstBytes+fastNextBytes-1)/fastNextBytes
}

// FastSender splits payloads into fast-packet frames. It keeps one 3-bit sequence counter per
// PGN, starting at 0 and advancing by one per message, whatever the destination: velib, whose
// firmware family the Lynx Ion's is, keeps a single counter for 0x1EF00 across every target
// (vecan/reg.h "Fast Packet sequence counter for 0x1EF00", veRegFpSeq, S7), and canboat keys the
// counter per (PGN, source) (S1 device/socketcan.rs next_fast_seq): a FastSender belongs to one
// node, so per PGN is the same thing. Receivers key messages by source, PGN and destination, so a
// shared counter is never ambiguous.
//
// The zero value is ready to use. Append allocates only to grow dst and, once per new PGN, the
// counter table.
type FastSender struct {
	seqs []fastSeq
}

type fastSeq struct {
	pgn  PGN
	next uint8
}

// Append appends the frames of payload sent with id to dst. It refuses payloads above
// MaxFastPayload (S1) and PGNs that IsFast says are single frames (wrapping those would make
// every receiver misread them: S1 fastpacket.rs, the 127508 regression). On error dst is
// returned unchanged and no sequence number is used.
func (s *FastSender) Append(dst []can.Frame, id ID, payload []byte) ([]can.Frame, error) {
	if len(payload) > MaxFastPayload {
		return dst, ErrFastTooLong
	}
	if !IsFast(id.PGN) {
		return dst, ErrNotFast
	}
	seq := s.take(id.PGN) << fastSeqShift
	f := can.Frame{ID: id.CANID(), IsExtended: true, Length: fastFrameLen}
	for index := 0; index == 0 || len(payload) > 0; index++ {
		f.Data = can.Data{seq | byte(index), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
		room := f.Data[1:]
		if index == 0 {
			f.Data[1] = byte(len(payload))
			room = f.Data[2:]
		}
		payload = payload[copy(room, payload):]
		dst = append(dst, f)
	}
	return dst, nil
}

// take returns the sequence number for the next message of p and advances it.
func (s *FastSender) take(p PGN) byte {
	for i := range s.seqs {
		if s.seqs[i].pgn == p {
			n := s.seqs[i].next
			s.seqs[i].next = (n + 1) & fastSeqMask
			return n
		}
	}
	s.seqs = append(s.seqs, fastSeq{pgn: p, next: 1})
	return 0
}

// Message is a reassembled fast-packet message.
type Message struct {
	ID      ID // the identifier of the frame that completed the message
	Payload []byte
}

// ReassemblerStats counts what a Reassembler did. Two ledgers hold at all times:
//
//	Frames  == Ignored + BadLength + Oversize + Repeated + Orphans + Accepted
//	Started == Completed + LostFrame + OutOfOrder + SequenceChange + Timeout + Evicted + InProgress
//
// The first counts frames, the second messages.
type ReassemblerStats struct {
	Frames    uint64 // frames handed to Add
	Ignored   uint64 // not fast packet: 11-bit, remote or error frames, or a PGN IsFast refuses
	BadLength uint64 // a fast-packet frame whose length is not 8 (S1: every frame is 8 bytes)
	Oversize  uint64 // a frame 0 declaring more than 223 bytes; it starts nothing
	Repeated  uint64 // an exact repeat of the previous frame of a message in progress, ignored
	Orphans   uint64 // a later frame that belongs to no message in progress, or that broke one
	Accepted  uint64 // frames that went into a message

	Started        uint64 // messages begun by a frame 0
	Completed      uint64 // messages returned by Add
	LostFrame      uint64 // dropped: a frame index was skipped (a frame went missing)
	OutOfOrder     uint64 // dropped: an index already received came again, not as an exact repeat
	SequenceChange uint64 // dropped: a frame of another sequence number came (often a new frame 0)
	Timeout        uint64 // dropped: no frame for longer than the timeout
	Evicted        uint64 // dropped: every slot was busy and this one was the least recently fed
	InProgress     uint64 // messages being assembled now
}

// MaxFastSlots is how many messages a Reassembler assembles at once. The documents give no
// figure; 64 concurrent (source, PGN, destination) messages is far more than a VE.Can network
// with a GX and a handful of devices produces, and a bound keeps a flood of frame 0s from
// growing memory without end.
const MaxFastSlots = 64

// Reassembler puts fast-packet messages back together, one slot per (source, PGN, destination):
// messages from different sources, and addressed messages to different nodes, may interleave
// freely. velib matches the whole identifier but the priority the same way (n2k_fp.c
// n2kFpData); canboat keys by (PGN, source) (S1 analyzer.c).
//
// Within a slot frames must come in order, as a CAN bus delivers them from one sender and as
// velib requires ("every frame of the fast packet must be received in numerical order with the
// same sequence value", n2k_fp.c):
//
//   - a frame 0 always starts a new message; one in progress in the slot is dropped and counted
//     (SequenceChange when the sequence number differs, OutOfOrder when it is the same);
//   - the frame with the next index is appended;
//   - an exact repeat of the previous frame (same index, same data) is ignored: CAN may deliver
//     a frame twice when the transmitter sees an error in the last bit of end-of-frame that the
//     receiver has already accepted (ISO 11898-1). velib would drop the message instead;
//   - any other index (skipped: LostFrame; earlier: OutOfOrder), or another sequence number
//     (SequenceChange), drops the message, and the frame is an orphan, as is a later frame with
//     no message in progress;
//   - a message with no frame for longer than the timeout is dropped (Timeout) at the next Add.
//
// A message is forgotten once complete, so a repeat of its last frame comes as an orphan (or,
// for a one-frame message, as a new message).
//
// A Reassembler is used by one goroutine. After warming up to the number of messages in flight
// at once, Add allocates nothing.
type Reassembler struct {
	timeout time.Duration
	slots   []fastSlot
	stats   ReassemblerStats
}

type fastKey struct {
	pgn      PGN
	src, dst uint8
}

type fastSlot struct {
	key      fastKey
	inUse    bool
	seq      uint8
	next     uint8 // index of the frame expected next
	size     uint8 // declared payload length
	got      uint8 // payload bytes received
	last     time.Duration
	lastData can.Data // the previous frame, for the repeat rule
	buf      [MaxFastPayload]byte
}

// NewReassembler returns a Reassembler that drops a message when more than timeout passes
// between two of its frames; timeout ≤ 0 means DefaultFastTimeout. The zero Reassembler works
// too, with DefaultFastTimeout.
func NewReassembler(timeout time.Duration) *Reassembler {
	return &Reassembler{timeout: timeout}
}

// Stats returns the counters.
func (r *Reassembler) Stats() ReassemblerStats {
	s := r.stats
	for i := range r.slots {
		if r.slots[i].inUse {
			s.InProgress++
		}
	}
	return s
}

// Add takes one received frame, at now. When the frame completes a message, Add returns it with
// ok. The payload is the Reassembler's own memory: it is valid until the next call to Add, so a
// caller that keeps it copies it. Frames that are not fast packet are counted as Ignored.
func (r *Reassembler) Add(now time.Duration, f can.Frame) (msg Message, ok bool) {
	st := &r.stats
	st.Frames++
	r.expire(now)
	if !f.IsExtended || f.IsRemote || f.ID > can.MaxExtendedID {
		st.Ignored++
		return Message{}, false
	}
	id := ParseCANID(f.ID)
	if !IsFast(id.PGN) {
		st.Ignored++
		return Message{}, false
	}
	if f.Length != fastFrameLen {
		st.BadLength++
		return Message{}, false
	}
	key := fastKey{pgn: id.PGN, src: id.Source, dst: id.Destination}
	index, seq := f.Data[0]&fastIndexMask, f.Data[0]>>fastSeqShift
	s := r.find(key)

	if index == 0 {
		size := f.Data[1]
		if size > MaxFastPayload {
			st.Oversize++
			return Message{}, false
		}
		if s != nil {
			if s.seq == seq && s.next == 1 && s.lastData == f.Data {
				st.Repeated++
				s.last = now
				return Message{}, false
			}
			if s.seq != seq {
				st.SequenceChange++
			} else {
				st.OutOfOrder++
			}
		} else {
			s = r.alloc()
		}
		*s = fastSlot{key: key, inUse: true, seq: seq, next: 1, size: size}
		st.Started++
		return r.append(s, now, id, f.Data, f.Data[2:])
	}

	switch {
	case s == nil:
	case seq != s.seq:
		st.SequenceChange++
		s.inUse = false
	case index+1 == s.next && f.Data == s.lastData:
		st.Repeated++
		s.last = now
		return Message{}, false
	case index > s.next:
		st.LostFrame++
		s.inUse = false
	case index < s.next:
		st.OutOfOrder++
		s.inUse = false
	default:
		s.next++
		return r.append(s, now, id, f.Data, f.Data[1:])
	}
	st.Orphans++
	return Message{}, false
}

// append adds the payload bytes of one accepted frame to s and completes the message when they
// are all in.
func (r *Reassembler) append(s *fastSlot, now time.Duration, id ID, data can.Data, room []byte) (Message, bool) {
	r.stats.Accepted++
	s.got += uint8(copy(s.buf[s.got:s.size], room))
	s.last, s.lastData = now, data
	if s.got < s.size {
		return Message{}, false
	}
	s.inUse = false
	r.stats.Completed++
	return Message{ID: id, Payload: s.buf[:s.size]}, true
}

func (r *Reassembler) find(k fastKey) *fastSlot {
	for i := range r.slots {
		if r.slots[i].inUse && r.slots[i].key == k {
			return &r.slots[i]
		}
	}
	return nil
}

// alloc returns a free slot, growing the table up to MaxFastSlots and then evicting the slot
// fed least recently.
func (r *Reassembler) alloc() *fastSlot {
	for i := range r.slots {
		if !r.slots[i].inUse {
			return &r.slots[i]
		}
	}
	if len(r.slots) < MaxFastSlots {
		r.slots = append(r.slots, fastSlot{})
		return &r.slots[len(r.slots)-1]
	}
	oldest := &r.slots[0]
	for i := range r.slots {
		if r.slots[i].last < oldest.last {
			oldest = &r.slots[i]
		}
	}
	r.stats.Evicted++
	oldest.inUse = false
	return oldest
}

// expire drops the messages that have waited longer than the timeout for their next frame.
func (r *Reassembler) expire(now time.Duration) {
	timeout := r.timeout
	if timeout <= 0 {
		timeout = DefaultFastTimeout
	}
	for i := range r.slots {
		if s := &r.slots[i]; s.inUse && now-s.last > timeout {
			s.inUse = false
			r.stats.Timeout++
		}
	}
}
