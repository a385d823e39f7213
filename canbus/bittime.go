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
	var s bitStream
	s.put(0, 1) // start of frame (dominant)
	if f.IsExtended {
		s.put(f.ID>>18, 11) // base identifier
		s.put(1, 1)         // SRR (recessive)
		s.put(1, 1)         // IDE (recessive: extended)
		s.put(f.ID&0x3FFFF, 18)
		s.put(boolBit(f.IsRemote), 1) // RTR
		s.put(0, 2)                   // r1, r0
	} else {
		s.put(f.ID, 11)
		s.put(boolBit(f.IsRemote), 1) // RTR
		s.put(0, 1)                   // IDE (dominant: standard)
		s.put(0, 1)                   // r0
	}
	s.put(uint32(f.Length), 4)
	if !f.IsRemote {
		n := min(int(f.Length), 8)
		for _, b := range f.Data[:n] {
			s.put(uint32(b), 8)
		}
	}
	crc := s.crc
	s.put(uint32(crc), 15)
	// Stuffing applies from start of frame to the end of the CRC sequence; the fixed-form tail
	// is CRC delimiter 1, ACK slot 1, ACK delimiter 1, end of frame 7 and intermission 3.
	const tailBits = 1 + 1 + 1 + 7 + 3
	return s.n + s.stuffed + tailBits
}

// bitStream counts bits and stuff bits as they are put, and computes the CRC-15 of what it has
// seen so far (polynomial 0x4599, ISO 11898-1 §10.4.2.6).
type bitStream struct {
	n, stuffed int
	last       uint32 // level of the previous transmitted bit, stuff bits included
	run        int    // how many equal levels in a row end the transmitted stream
	crc        uint16
}

// put transmits the width low bits of v, most significant first: whole bytes by table (put8),
// the rest bit by bit.
func (s *bitStream) put(v uint32, width int) {
	for width >= 8 {
		width -= 8
		s.put8(v >> width & 0xFF)
	}
	s.putBits(v, width)
}

// put8 transmits the byte b as putBits(b, 8) would, by two table look-ups: counting a frame bit
// by bit was a tenth of a simulated step, and most of a frame is whole bytes.
func (s *bitStream) put8(b uint32) {
	s.n += 8
	// The CRC register is linear: eight steps shift it by eight and add the feedback of its top
	// eight bits and the byte.
	s.crc = (s.crc<<8)&0x7FFF ^ crc15Table[(uint32(s.crc>>7)^b)&0xFF]
	t := stuffTable[s.stuffState()][b]
	s.stuffed += int(t.stuffed)
	s.last, s.run = t.last, int(t.run)
}

// stuffState numbers the stuffing state: 0 before the first bit, else 1 + 4·last + (run − 1),
// run being 1 to 4 (a fifth equal bit is always followed by a stuff bit that starts a new run).
func (s *bitStream) stuffState() int {
	if s.run == 0 {
		return 0
	}
	return 1 + 4*int(s.last) + s.run - 1
}

// stuffStates is how many values stuffState takes.
const stuffStates = 9

type stuffStep struct {
	last    uint32
	run     uint8
	stuffed uint8
}

// crc15Table and stuffTable are putBits of every byte, from a zero CRC and from every stuffing
// state: built by the bitwise code itself, so that put8 cannot differ from it.
var crc15Table, stuffTable = byteTables()

func byteTables() (crc [256]uint16, stuff [stuffStates][256]stuffStep) {
	for b := range uint32(256) {
		var c bitStream
		c.putBits(b, 8)
		crc[b] = c.crc
		for st := range stuffStates {
			var s bitStream
			if st > 0 {
				s.last, s.run = uint32((st-1)/4), (st-1)%4+1
			}
			s.putBits(b, 8)
			stuff[st][b] = stuffStep{last: s.last, run: uint8(s.run), stuffed: uint8(s.stuffed)}
		}
	}
	return crc, stuff
}

// putBits transmits the width low bits of v, most significant first, bit by bit.
func (s *bitStream) putBits(v uint32, width int) {
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
		if s.run > 0 && bit == s.last {
			s.run++
		} else {
			s.last, s.run = bit, 1
		}
		if s.run == 5 {
			// Five equal bits: the transmitter inserts one of the opposite level, which itself
			// starts a new run.
			s.stuffed++
			s.last, s.run = bit^1, 1
		}
	}
}

func boolBit(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
