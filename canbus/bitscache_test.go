package canbus

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.einride.tech/can"
)

// TestBitsCacheExact checks the hub's cache of frame bit times against FrameBits on frames that
// repeat, differ in one bit, and collide in the cache's slots.
func TestBitsCacheExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var c bitsCache
	var frames []can.Frame
	for range 600 {
		f := can.Frame{ID: rng.Uint32() & 0x1FFFFFFF, IsExtended: true, Length: uint8(rng.IntN(9))}
		for i := range f.Length {
			f.Data[i] = byte(rng.Uint32())
		}
		frames = append(frames, f)
		g := f
		g.Data[0] ^= 1 // one bit apart
		frames = append(frames, g)
		std := f
		std.IsExtended, std.ID = false, f.ID&0x7FF
		frames = append(frames, std)
	}
	for round := range 3 {
		for _, f := range frames {
			assert.Equal(t, FrameBits(f), c.frameBits(f), "round %d, %v", round, f)
		}
	}
}

func BenchmarkHubDeliverBits(b *testing.B) {
	h := NewHub("vecan")
	port := h.Attach()
	f := can.Frame{ID: 0x19F21401, IsExtended: true, Length: 8, Data: can.Data{1, 2, 3, 4, 5, 6, 7, 8}}
	b.ReportAllocs()
	for b.Loop() {
		_ = port.Send(f)
		h.Deliver()
	}
}
