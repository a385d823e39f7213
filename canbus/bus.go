package canbus

import (
	"errors"

	"go.einride.tech/can"
)

// Bus is one node's attachment to a CAN bus.
//
// Neither method blocks: Send queues a frame for the transport, and Receive hands over what arrived
// since its previous call. When frames actually move is the transport's business (the in-memory
// hub moves them when the driver calls Hub.Deliver; network transports move them as the kernel
// does), which is what lets the same node code run in simulated and in real time.
//
// A Bus is used by one goroutine, the driver's.
type Bus interface {
	// Send queues f for transmission. It returns ErrClosed after Close, ErrListenOnly on a
	// listen-only attachment, and otherwise only errors that the transport reports.
	Send(f can.Frame) error
	// Receive appends every frame received since the previous call to buf, oldest first, and
	// returns the extended slice. A node's own frames are not received back.
	Receive(buf []can.Frame) []can.Frame
	// Stats returns the attachment's counters.
	Stats() Stats
	// Close detaches from the bus. Frames queued but not yet moved are dropped.
	Close() error
}

// Stats counts what an attachment has seen.
type Stats struct {
	Sent        uint64 // frames handed to the transport
	Received    uint64 // frames handed to the node, error frames included
	ErrorFrames uint64 // error frames among Received
	Dropped     uint64 // frames lost because a queue was full or the transport failed
	Filtered    uint64 // frames the attachment's acceptance filters kept from the node (Filterable)
	Reconnects  uint64 // times a failed transport was opened again (SocketCAN)
}

var (
	// ErrClosed is returned by Send after Close.
	ErrClosed = errors.New("canbus: bus is closed")
	// ErrListenOnly is returned by Send on an attachment opened listen-only.
	ErrListenOnly = errors.New("canbus: listen-only attachment does not transmit")
	// ErrNotSendable is returned for frames that no transport can put on a wire.
	ErrNotSendable = errors.New("canbus: error frames cannot be sent")
)

// checkSendable rejects frames that are not valid CAN 2.0 frames, before they reach a wire.
func checkSendable(f can.Frame) error {
	if IsErrorFrame(f) {
		return ErrNotSendable
	}
	return f.Validate()
}
