package canbus

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.einride.tech/can"
)

// referenceBits builds the frame's bit string explicitly, as text, and stuffs it the slow way: an
// implementation independent of FrameBits to check it against.
func referenceBits(f can.Frame) int {
	var sb strings.Builder
	put := func(v uint64, width int) {
		for i := width - 1; i >= 0; i-- {
			sb.WriteByte('0' + byte(v>>i&1))
		}
	}
	b := func(x bool) uint64 {
		if x {
			return 1
		}
		return 0
	}
	put(0, 1)
	if f.IsExtended {
		put(uint64(f.ID>>18), 11)
		put(1, 1)
		put(1, 1)
		put(uint64(f.ID&0x3FFFF), 18)
		put(b(f.IsRemote), 1)
		put(0, 2)
	} else {
		put(uint64(f.ID), 11)
		put(b(f.IsRemote), 1)
		put(0, 2)
	}
	put(uint64(f.Length), 4)
	if !f.IsRemote {
		for _, x := range f.Data[:f.Length] {
			put(uint64(x), 8)
		}
	}
	// CRC-15 by polynomial division of the bit string, the textbook way.
	bits := sb.String()
	var crc uint16
	for _, c := range bits {
		next := uint16(c-'0') ^ (crc >> 14 & 1)
		crc = crc << 1 & 0x7FFF
		if next == 1 {
			crc ^= 0x4599
		}
	}
	put(uint64(crc), 15)
	stream := sb.String()
	stuffed, run := 0, 0
	var last byte
	for i := 0; i < len(stream); i++ {
		if i > 0 && stream[i] == last {
			run++
		} else {
			last, run = stream[i], 1
		}
		if run == 5 {
			stuffed++
			last ^= 1 // the stuff bit is the opposite level and starts the next run
			run = 1
		}
	}
	return len(stream) + stuffed + 13
}

func TestFrameBitsKnown(t *testing.T) {
	// Without stuffing, a standard frame is 47 + 8n bits including the 3-bit intermission and
	// an extended one 67 + 8n; stuffing only adds.
	tests := []struct {
		name     string
		f        can.Frame
		min, max int
	}{
		{"standard empty", frame(0x555), 47, 47 + 8},
		{"standard 8 bytes", frame(0x351, 1, 2, 3, 4, 5, 6, 7, 8), 111, 111 + 24},
		{"extended 8 bytes", frame(0x19F21450, 0, 0x1c, 0x0a, 7, 0, 0xff, 0x70, 0xff), 131, 131 + 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FrameBits(tt.f)
			assert.GreaterOrEqual(t, got, tt.min)
			assert.LessOrEqual(t, got, tt.max)
			assert.Equal(t, referenceBits(tt.f), got)
		})
	}
	// All-zero data stuffs every fifth bit: far more than alternating data.
	zeros := frame(0x100, 0, 0, 0, 0, 0, 0, 0, 0)
	alternating := frame(0x100, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55)
	assert.Greater(t, FrameBits(zeros), FrameBits(alternating)+10)
}

func TestFrameBitsAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		f := can.Frame{IsExtended: r.IntN(2) == 1, IsRemote: r.IntN(8) == 0, Length: uint8(r.IntN(9))}
		if f.IsExtended {
			f.ID = r.Uint32() & 0x1FFFFFFF
		} else {
			f.ID = r.Uint32() & 0x7FF
		}
		for i := range f.Data {
			// Runs of zeros and ones, where stuffing happens, as often as random bytes.
			switch r.IntN(3) {
			case 0:
				f.Data[i] = 0
			case 1:
				f.Data[i] = 0xFF
			default:
				f.Data[i] = byte(r.Uint32())
			}
		}
		if assert.Equal(t, referenceBits(f), FrameBits(f), "%v", f) == false {
			return
		}
	}
}

func BenchmarkFrameBits(b *testing.B) {
	f := frame(0x19F21450, 0, 0x1c, 0x0a, 7, 0, 0xff, 0x70, 0xff)
	b.ReportAllocs()
	for b.Loop() {
		FrameBits(f)
	}
}

// FuzzFrameBits holds FrameBits, which counts by byte tables and pads the CRC's last bits, to
// the bitwise reference for any frame of 0 to 8 bytes, any identifier bits set.
func FuzzFrameBits(f *testing.F) {
	f.Add(uint32(0x19F21450), true, false, uint8(8), uint64(0x001C0A0700FF70FF))
	f.Add(uint32(0x100), false, false, uint8(8), uint64(0))
	f.Add(uint32(0x7FF), false, true, uint8(3), uint64(0))
	f.Add(uint32(0xFFFFFFFF), true, false, uint8(200), uint64(0xFFFFFFFFFFFFFFFF))
	f.Fuzz(func(t *testing.T, id uint32, extended, remote bool, length uint8, data uint64) {
		fr := can.Frame{ID: id, IsExtended: extended, IsRemote: remote, Length: length % (can.MaxDataLength + 1)}
		binary.BigEndian.PutUint64(fr.Data[:], data)
		if got, want := FrameBits(fr), referenceBits(fr); got != want {
			t.Fatalf("FrameBits(%v) = %d, the bitwise reference %d", fr, got, want)
		}
	})
}
