package canbus

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
)

func frame(id uint32, b ...byte) can.Frame {
	f := can.Frame{ID: id, IsExtended: id > 0x7FF, Length: uint8(len(b))}
	copy(f.Data[:], b)
	return f
}

// Frames reach every other attachment in send order, whichever attachment sent them, and only at
// Deliver; a sender never hears itself.
func TestHubDeliveryOrder(t *testing.T) {
	h := NewHub("test")
	a, b, c := h.Attach(), h.Attach(), h.Attach()
	rec := h.AttachListenOnly()

	require.NoError(t, b.Send(frame(0x200, 1)))
	require.NoError(t, a.Send(frame(0x100, 2)))
	require.NoError(t, c.Send(frame(0x300, 3)))
	require.NoError(t, b.Send(frame(0x201, 4)))
	assert.Empty(t, a.Receive(nil), "nothing moves before Deliver")

	h.Deliver()
	ids := func(fs []can.Frame) (out []uint32) {
		for _, f := range fs {
			out = append(out, f.ID)
		}
		return out
	}
	assert.Equal(t, []uint32{0x200, 0x300, 0x201}, ids(a.Receive(nil)))
	assert.Equal(t, []uint32{0x100, 0x300}, ids(b.Receive(nil)))
	assert.Equal(t, []uint32{0x200, 0x100, 0x201}, ids(c.Receive(nil)))
	assert.Equal(t, []uint32{0x200, 0x100, 0x300, 0x201}, ids(rec.Receive(nil)))
	assert.Empty(t, a.Receive(nil), "Receive drains")
	assert.Equal(t, uint64(4), h.Frames())
	assert.Equal(t, Stats{Sent: 2, Received: 2}, b.Stats())
}

func TestHubRefusals(t *testing.T) {
	h := NewHub("test")
	a, rec := h.Attach(), h.AttachListenOnly()
	assert.ErrorIs(t, rec.Send(frame(0x100)), ErrListenOnly)
	assert.ErrorIs(t, a.Send(can.Frame{ID: ErrFlag | 4, Length: 8}), ErrNotSendable)
	assert.Error(t, a.Send(can.Frame{ID: 0x800}), "an 11-bit id above 0x7FF is invalid")
	require.NoError(t, rec.Close())
	require.NoError(t, a.Send(frame(0x100)))
	h.Deliver() // must not deliver to the closed attachment
	assert.Empty(t, rec.Receive(nil))
	require.NoError(t, a.Close())
	assert.ErrorIs(t, a.Send(frame(0x100)), ErrClosed)
}

// Load is bit time over capacity: 1 000 frames of 8 bytes in one second of a 250 kbit/s bus.
func TestHubLoad(t *testing.T) {
	h := NewHub("test", WithBitrate(250_000))
	a, _ := h.Attach(), h.Attach()
	f := frame(0x19F21450, 0, 0x1c, 0x0a, 7, 0, 0xff, 0x70, 0xff)
	for range 1000 {
		require.NoError(t, a.Send(f))
	}
	h.Deliver()
	bits := FrameBits(f)
	assert.Equal(t, uint64(1000*bits), h.Bits())
	assert.InDelta(t, float64(1000*bits)/250_000, h.Load(time.Second), 1e-12)
	assert.Zero(t, h.Load(0))
}

// ReportError reaches every attachment as an error frame, and takes no bus time.
func TestHubReportError(t *testing.T) {
	h := NewHub("x")
	a, b := h.Attach(), h.AttachListenOnly()
	h.ReportError(0x40)
	h.Deliver()
	for _, p := range []Bus{a, b} {
		got := p.Receive(nil)
		if assert.Len(t, got, 1) {
			assert.True(t, IsErrorFrame(got[0]))
			assert.Equal(t, uint32(ErrFlag|0x40), got[0].ID)
		}
	}
	assert.Zero(t, h.Frames())
	assert.Zero(t, h.Bits())
	assert.EqualValues(t, 1, a.Stats().ErrorFrames)
}

// Pending is what the next Deliver will put on the bus: frames and their exact bit times, error
// frames excepted; PortStats lists every attachment's counters in attach order.
func TestHubPendingAndPortStats(t *testing.T) {
	h := NewHub("x")
	a, b, rec := h.Attach(), h.Attach(), h.AttachListenOnly()
	n, bits := h.Pending()
	assert.Zero(t, n)
	assert.Zero(t, bits)
	f1 := frame(0x19F21450, 1, 2, 3, 4, 5, 6, 7, 8)
	f2 := frame(0x123, 0xAA)
	require.NoError(t, a.Send(f1))
	require.NoError(t, b.Send(f2))
	h.ReportError(0x40)
	n, bits = h.Pending()
	assert.Equal(t, 2, n)
	assert.Equal(t, uint64(FrameBits(f1)+FrameBits(f2)), bits)
	h.Deliver()
	assert.Equal(t, bits, h.Bits(), "Pending said what Deliver accounts")
	n, bits = h.Pending()
	assert.Zero(t, n)
	assert.Zero(t, bits)

	rec.Receive(nil)
	require.NoError(t, b.Close())
	got := h.PortStats(nil)
	assert.Equal(t, []Stats{{Sent: 1}, {Sent: 1}, {Received: 3, ErrorFrames: 1}}, got)
	assert.Len(t, h.PortStats(got), 6, "appends")
}
