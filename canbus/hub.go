package canbus

import (
	"encoding/binary"
	"time"

	"go.einride.tech/can"
)

// Hub is an in-memory CAN bus for simulated time. Frames sent through its attachments wait until
// Deliver, which hands each one, in the order they were sent, to every other attachment in the
// order they were attached. With the driver calling Deliver once per step, delivery is the same
// on every run and every machine.
//
// A Hub and its attachments are used by one goroutine, the driver's.
type Hub struct {
	name       string
	bitrate    int
	ports      []*hubPort
	pending    []pendingFrame
	totalBits  uint64
	totalFrame uint64
	bits       bitsCache
}

// bitsCache remembers the bit time of recent frames: a node sends the same frames again and again
// (a status that has not changed, a request), and counting one's stuff bits and CRC bit by bit
// was a tenth of a simulated step. Direct-mapped on a hash of the frame; a slot holds the whole
// frame, so a hit is exact.
type bitsCache [256]struct {
	frame can.Frame
	bits  int
}

func (c *bitsCache) frameBits(f can.Frame) int {
	h := uint64(f.ID)*0x9E3779B97F4A7C15 ^ binary.LittleEndian.Uint64(f.Data[:])*0xBF58476D1CE4E5B9 ^ uint64(f.Length)
	slot := &c[h>>56]
	if slot.bits != 0 && slot.frame == f {
		return slot.bits
	}
	slot.frame, slot.bits = f, FrameBits(f)
	return slot.bits
}

type pendingFrame struct {
	from  *hubPort
	frame can.Frame
}

// HubOption configures a Hub.
type HubOption func(*Hub)

// WithBitrate sets the bit rate, in bit/s, that Load reports against (default 250 000, VE.Can:
// protocol.md §1.1, S2 p.11).
func WithBitrate(bitsPerSecond int) HubOption {
	return func(h *Hub) {
		if bitsPerSecond > 0 {
			h.bitrate = bitsPerSecond
		}
	}
}

// DefaultBitrate is the VE.Can bit rate (protocol.md §1.1, S2 p.11: "Speed: 250 kbps").
const DefaultBitrate = 250_000

// NewHub returns an empty in-memory bus called name.
func NewHub(name string, opts ...HubOption) *Hub {
	h := &Hub{name: name, bitrate: DefaultBitrate}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Name returns the name the hub was created with; candump logs use it as the interface name.
func (h *Hub) Name() string { return h.name }

// Bitrate returns the bit rate Load reports against, in bit/s.
func (h *Hub) Bitrate() int { return h.bitrate }

// Attach returns a new attachment to the hub.
func (h *Hub) Attach() Bus { return h.attach(false) }

// AttachListenOnly returns an attachment that receives every frame and cannot send: a recorder's
// or monitor's view of the bus.
func (h *Hub) AttachListenOnly() Bus { return h.attach(true) }

func (h *Hub) attach(listenOnly bool) *hubPort {
	p := &hubPort{hub: h, listenOnly: listenOnly}
	h.ports = append(h.ports, p)
	return p
}

// ReportError makes every attachment receive an error frame of class (the CAN_ERR_* bits of
// linux/can/error.h, such as 0x40 for bus-off) at the next Deliver, as the kernel reports a
// controller's errors on SocketCAN. It takes no bus time.
func (h *Hub) ReportError(class uint32) {
	h.pending = append(h.pending, pendingFrame{frame: can.Frame{ID: ErrFlag | class&^ErrFlag, Length: 8}})
}

// Deliver hands every frame sent since the previous call to every other open attachment, and
// accounts its bit time.
func (h *Hub) Deliver() {
	for i := range h.pending {
		pf := &h.pending[i]
		if !IsErrorFrame(pf.frame) {
			h.totalBits += uint64(h.bits.frameBits(pf.frame))
			h.totalFrame++
		}
		for _, p := range h.ports {
			if p == pf.from || p.closed {
				continue
			}
			if !accepts(p.filters, pf.frame) {
				p.stats.Filtered++
				continue
			}
			p.inbox = append(p.inbox, pf.frame)
		}
	}
	clear(h.pending)
	h.pending = h.pending[:0]
}

// Frames returns how many frames have been delivered since the hub was created.
func (h *Hub) Frames() uint64 { return h.totalFrame }

// Bits returns how many bit times the delivered frames have occupied.
func (h *Hub) Bits() uint64 { return h.totalBits }

// Pending returns how many frames have been sent since the last Deliver and the bit times they
// will occupy when it delivers them: what the bus has been offered in the current step. Error
// frames take no bus time and are not counted.
func (h *Hub) Pending() (frames int, bits uint64) {
	for i := range h.pending {
		if f := h.pending[i].frame; !IsErrorFrame(f) {
			frames++
			bits += uint64(FrameBits(f))
		}
	}
	return frames, bits
}

// PortStats appends the counters of every attachment, in the order they were attached (closed
// ones included), to dst and returns the extended slice.
func (h *Hub) PortStats(dst []Stats) []Stats {
	for _, p := range h.ports {
		dst = append(dst, p.stats)
	}
	return dst
}

// Load returns the share of the bus's capacity at its bit rate that the delivered frames would
// have occupied over elapsed: 0.25 is 25 % bus load.
func (h *Hub) Load(elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(h.totalBits) / (float64(h.bitrate) * elapsed.Seconds())
}

type hubPort struct {
	hub        *Hub
	inbox      []can.Frame
	filters    []Filter
	stats      Stats
	listenOnly bool
	closed     bool
}

func (p *hubPort) Send(f can.Frame) error {
	switch {
	case p.closed:
		return ErrClosed
	case p.listenOnly:
		return ErrListenOnly
	}
	if err := checkSendable(f); err != nil {
		return err
	}
	p.hub.pending = append(p.hub.pending, pendingFrame{from: p, frame: f})
	p.stats.Sent++
	return nil
}

func (p *hubPort) Receive(buf []can.Frame) []can.Frame {
	for _, f := range p.inbox {
		if IsErrorFrame(f) {
			p.stats.ErrorFrames++
		}
	}
	buf = append(buf, p.inbox...)
	p.stats.Received += uint64(len(p.inbox))
	p.inbox = p.inbox[:0]
	return buf
}

func (p *hubPort) Stats() Stats { return p.stats }

// SetFilters sets the attachment's acceptance filters (Filterable).
func (p *hubPort) SetFilters(filters ...Filter) { p.filters = append(p.filters[:0], filters...) }

func (p *hubPort) Close() error {
	p.closed = true
	p.inbox = nil
	return nil
}
