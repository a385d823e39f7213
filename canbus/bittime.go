package canbus

import "go.einride.tech/can"

// FrameBits returns the number of bit times f occupies on the wire: the frame from start of frame
// to the end of frame, the stuff bits its content really needs, and the 3-bit intermission that
// separates it from the next frame. It is exact for CAN 2.0 (ISO 11898-1): stuff bits are counted
// on the actual bit stream, CRC-15 included, rather than estimated.
//
// An extended 8-byte frame comes to about 130 to 160 bits depending on its content; a standard
// 8-byte frame to about 110 to 135.
func FrameBits(f can.Frame) int {
	// The arbitration and control fields, start of frame first, as one field: a field of a
	// few bits each was a call of its own.
	var header uint64 // start of frame: dominant 0
	var width int
	if f.IsExtended {
		// base identifier, SRR and IDE (recessive: extended), identifier extension, RTR, r1, r0
		header = uint64(f.ID>>18&0x7FF)<<27 | 1<<26 | 1<<25 | uint64(f.ID&0x3FFFF)<<7 | uint64(boolBit(f.IsRemote))<<6
		width = 1 + 11 + 1 + 1 + 18 + 1 + 2 + 4
	} else {
		// identifier, RTR, IDE (dominant: standard), r0
		header = uint64(f.ID&0x7FF)<<7 | uint64(boolBit(f.IsRemote))<<6
		width = 1 + 11 + 1 + 1 + 1 + 4
	}
	header |= uint64(f.Length & 0xF) // data length code
	var s bitStream
	s.put(header, width)
	if !f.IsRemote {
		n := min(int(f.Length), 8)
		for _, b := range f.Data[:n] {
			s.putByte(b)
		}
	}
	// The CRC covers the bits still queued; they go out with the CRC's own.
	s.crc = crcBits(s.crc, uint32(s.acc), s.queued)
	s.put(uint64(s.crc), 15)
	s.finish()
	// Stuffing applies from start of frame to the end of the CRC sequence; the fixed-form tail
	// is CRC delimiter 1, ACK slot 1, ACK delimiter 1, end of frame 7 and intermission 3.
	const tailBits = 1 + 1 + 1 + 7 + 3
	return s.n + s.stuffed + tailBits
}

// bitStream counts bits and stuff bits as they are put, and computes the CRC-15 of what it has
// seen so far (polynomial 0x4599, ISO 11898-1 §10.4.2.6).
type bitStream struct {
	n, stuffed int
	// state is where the stream stands for bit stuffing: 0 before the first bit, else
	// 1 + 4·last + (run − 1), last being the level of the previous transmitted bit (stuff bits
	// included) and run how many equal levels in a row end the stream, 1 to 4 (a fifth equal bit
	// is always followed by a stuff bit that starts a new run).
	state uint8
	crc   uint16
	// acc holds the last queued bits, the low queued of them not yet transmitted: put queues
	// fields of any width and transmits whole bytes by table, whatever the fields' boundaries.
	acc    uint64
	queued int
}

// stuffStates is how many values bitStream.state takes.
const stuffStates = 9

// putByte queues and transmits a byte: put(b, 8), which always transmits exactly one byte.
func (s *bitStream) putByte(b byte) {
	s.acc = s.acc<<8 | uint64(b)
	s.put8(uint32(s.acc>>s.queued) & 0xFF)
}

// put queues the width (at most 48) low bits of v, most significant first, and transmits every
// whole byte queued (put8), whatever the fields' boundaries: fields of 1 to 18 bits put bit by
// bit were a sixth of a frame's cost.
func (s *bitStream) put(v uint64, width int) {
	s.acc = s.acc<<width | v&(1<<width-1)
	s.queued += width
	for s.queued >= 8 {
		s.queued -= 8
		s.put8(uint32(s.acc>>s.queued) & 0xFF)
	}
}

// finish transmits the queued bits that do not make a byte, counting their stuff bits only (the
// CRC is not updated): it is for the end of the CRC field. The bits are padded to a byte with
// levels that alternate from the opposite of the last one, which cannot make a run of five, so
// the byte's stuff bits are the queued bits' own.
func (s *bitStream) finish() {
	k := s.queued
	if k == 0 {
		return
	}
	pad := uint32(0x55) // 0101…: after a last bit of 1
	if s.acc&1 == 0 {
		pad = 0xAA // 1010…: after a last bit of 0
	}
	b := uint32(s.acc)<<(8-k)&0xFF | pad>>k
	t := stuffTable[s.state][b]
	s.stuffed += int(t.stuffed)
	s.state = t.next
	s.n += k
	s.queued = 0
}

// crcBits is crc after the width low bits of v, most significant first.
func crcBits(crc uint16, v uint32, width int) uint16 {
	for i := width - 1; i >= 0; i-- {
		next := (v>>i)&1 ^ uint32(crc>>14&1)
		crc = (crc << 1) & 0x7FFF
		if next == 1 {
			crc ^= 0x4599
		}
	}
	return crc
}

// put8 transmits the byte b as putBits(b, 8) would, by two table look-ups: counting a frame bit
// by bit was a tenth of a simulated step, and most of a frame is whole bytes.
func (s *bitStream) put8(b uint32) {
	s.n += 8
	// The CRC register is linear: eight steps shift it by eight and add the feedback of its top
	// eight bits and the byte.
	s.crc = (s.crc<<8)&0x7FFF ^ crc15Table[(uint32(s.crc>>7)^b)&0xFF]
	t := stuffTable[s.state][b&0xFF]
	s.stuffed += int(t.stuffed)
	s.state = t.next
}

type stuffStep struct {
	next, stuffed uint8
}

// crc15Table and stuffTable are putBits of every byte, from a zero CRC and from every stuffing
// state: built by the bitwise code itself, so that put8 cannot differ from it.
var crc15Table, stuffTable = byteTables()

func byteTables() (crc [256]uint16, stuff [stuffStates][256]stuffStep) {
	for b := range uint32(256) {
		var c bitStream
		c.putBits(b, 8)
		crc[b] = c.crc
		for st := range uint8(stuffStates) {
			s := bitStream{state: st}
			s.putBits(b, 8)
			stuff[st][b] = stuffStep{next: s.state, stuffed: uint8(s.stuffed)}
		}
	}
	return crc, stuff
}

// putBits transmits the width low bits of v, most significant first, bit by bit.
func (s *bitStream) putBits(v uint32, width int) {
	var last uint32
	var run int
	if s.state > 0 {
		last, run = uint32(s.state-1)/4, int(s.state-1)%4+1
	}
	for i := width - 1; i >= 0; i-- {
		bit := (v >> i) & 1
		s.n++
		// CRC covers start of frame through the data field; by the time the CRC bits themselves
		// are put the caller has already read s.crc, so updating it further is harmless.
		next := bit ^ uint32(s.crc>>14&1)
		s.crc = (s.crc << 1) & 0x7FFF
		if next == 1 {
			s.crc ^= 0x4599
		}
		if run > 0 && bit == last {
			run++
		} else {
			last, run = bit, 1
		}
		if run == 5 {
			// Five equal bits: the transmitter inserts one of the opposite level, which itself
			// starts a new run.
			s.stuffed++
			last, run = bit^1, 1
		}
	}
	if run > 0 {
		s.state = uint8(1 + 4*int(last) + run - 1)
	}
}

func boolBit(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
