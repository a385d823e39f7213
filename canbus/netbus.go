package canbus

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"go.einride.tech/can"
	"go.einride.tech/can/pkg/socketcan"
)

// queueFrames bounds both directions of a network attachment. At 250 kbit/s a bus carries at most
// about 1 900 frames a second, so 4 096 frames is two seconds of a saturated bus: a driver that
// falls that far behind has already lost real time, and counting the overflow beats blocking.
const queueFrames = 4096

// netBus is an attachment to a bus reached through a net.Conn that carries SocketCAN frames: a
// raw CAN socket, or einride's UDP multicast emulator. A reader goroutine fills the inbox and a
// writer goroutine drains the outbox, so that Send and Receive never block the driver.
type netBus struct {
	conn       net.Conn
	tx         *socketcan.Transmitter
	listenOnly bool
	// redial, when set, opens the transport again after it failed (an interface that went down
	// or away); the reader retries every redialPeriod until it succeeds or the bus is closed.
	redial func() (net.Conn, error)
	outbox chan can.Frame
	// echo, when set, removes this attachment's own frames from what it receives: UDP multicast
	// loops every datagram back to its sender, while a raw CAN socket does not.
	echo *echoFilter

	mu      sync.Mutex
	filters []Filter // acceptance filters, applied in software as frames arrive
	inbox   []can.Frame
	stats   Stats
	err     error // the transport's failure; nil while it works (again, after a reconnect)
	closed  bool
	done    chan struct{}
	wg      sync.WaitGroup
}

// redialPeriod is how often a failed SocketCAN attachment tries to open its interface again.
const redialPeriod = 500 * time.Millisecond

func newNetBus(conn net.Conn, listenOnly bool, echo *echoFilter, redial func() (net.Conn, error)) *netBus {
	b := &netBus{
		redial:     redial,
		conn:       conn,
		tx:         socketcan.NewTransmitter(conn),
		listenOnly: listenOnly,
		outbox:     make(chan can.Frame, queueFrames),
		echo:       echo,
		done:       make(chan struct{}),
	}
	b.wg.Add(1)
	go b.read()
	if !listenOnly {
		b.wg.Add(1)
		go b.write()
	}
	return b
}

// read receives until the transport fails; then, where it can redial, it waits for the
// interface to come back and receives on the new connection.
func (b *netBus) read() {
	defer b.wg.Done()
	for {
		b.mu.Lock()
		conn := b.conn
		b.mu.Unlock()
		err := b.receive(conn)
		b.fail(err)
		if b.redial == nil || !b.reconnect() {
			return
		}
	}
}

func (b *netBus) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// reconnect redials until it succeeds (true) or the bus is closed (false).
func (b *netBus) reconnect() bool {
	t := time.NewTicker(redialPeriod)
	defer t.Stop()
	for {
		select {
		case <-b.done:
			return false
		case <-t.C:
		}
		conn, err := b.redial()
		if err != nil {
			continue
		}
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			conn.Close()
			return false
		}
		old := b.conn
		b.conn, b.tx = conn, socketcan.NewTransmitter(conn)
		b.err = nil
		b.stats.Reconnects++
		b.mu.Unlock()
		old.Close()
		return true
	}
}

// receive reads frames from conn into the inbox until conn fails, and returns why.
func (b *netBus) receive(conn net.Conn) error {
	rx := socketcan.NewReceiver(conn)
	for rx.Receive() {
		var f can.Frame
		if rx.HasErrorFrame() {
			ef := rx.ErrorFrame()
			f = rx.Frame()
			f.ID = ErrFlag | uint32(ef.ErrorClass)
			f.IsExtended, f.IsRemote = false, false
		} else {
			f = rx.Frame()
			if b.echo != nil && b.echo.isEcho(f) {
				continue
			}
		}
		b.mu.Lock()
		if !accepts(b.filters, f) {
			b.stats.Filtered++
			b.mu.Unlock()
			continue
		}
		if len(b.inbox) >= queueFrames {
			b.stats.Dropped++
		} else {
			b.inbox = append(b.inbox, f)
		}
		b.mu.Unlock()
	}
	if err := rx.Err(); err != nil {
		return err
	}
	return io.EOF
}

func (b *netBus) write() {
	defer b.wg.Done()
	for {
		select {
		case <-b.done:
			return
		case f := <-b.outbox:
			if b.echo != nil {
				b.echo.sent(f)
			}
			b.mu.Lock()
			tx, down := b.tx, b.err != nil
			b.mu.Unlock()
			if down {
				// The interface is gone: frames are dropped and counted, not queued for its return.
				b.mu.Lock()
				b.stats.Dropped++
				b.mu.Unlock()
				continue
			}
			// A failed write (ENOBUFS from a busy controller, ENETDOWN) loses the frame; only
			// the reader decides that the transport is down, since a write error can pass.
			if err := tx.TransmitFrame(context.Background(), f); err != nil {
				b.mu.Lock()
				b.stats.Dropped++
				closed := b.closed
				b.mu.Unlock()
				if closed {
					return
				}
			}
		}
	}
}

// fail records a transport error, unless it is the one Close itself causes; it stands until a
// reconnect clears it.
func (b *netBus) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err == nil || b.closed {
		return
	}
	if b.err == nil {
		b.err = err
	}
}

func (b *netBus) Send(f can.Frame) error {
	if b.listenOnly {
		return ErrListenOnly
	}
	if err := checkSendable(f); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	select {
	case b.outbox <- f:
		b.stats.Sent++
	default:
		b.stats.Dropped++
	}
	return nil
}

func (b *netBus) Receive(buf []can.Frame) []can.Frame {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, f := range b.inbox {
		if IsErrorFrame(f) {
			b.stats.ErrorFrames++
		}
	}
	b.stats.Received += uint64(len(b.inbox))
	buf = append(buf, b.inbox...)
	b.inbox = b.inbox[:0]
	return buf
}

// SetFilters sets the attachment's acceptance filters (Filterable).
func (b *netBus) SetFilters(filters ...Filter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.filters = append(b.filters[:0], filters...)
}

func (b *netBus) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// Err returns the error the transport failed with, or nil while it works (again, after a
// reconnect: Stats.Reconnects counts them).
func (b *netBus) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

func (b *netBus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	close(b.done)
	err := b.conn.Close()
	b.wg.Wait()
	return err
}

// echoFilter recognises the multicast echo of frames this attachment sent. Echoes come back in
// send order, so a received frame equal to the oldest unanswered sent frame is taken for its echo.
// A frame from another node identical to one of ours in every bit would be lost; on NMEA 2000 and
// on lynxsim's battery bus the sender's address is part of the identifier, so that cannot happen
// between well-behaved nodes.
type echoFilter struct {
	mu      sync.Mutex
	pending []can.Frame
}

// echoWindow bounds the frames awaiting their echo, so that a lost datagram cannot grow it.
const echoWindow = queueFrames

func (e *echoFilter) sent(f can.Frame) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.pending) == echoWindow {
		e.pending = append(e.pending[:0], e.pending[1:]...)
	}
	e.pending = append(e.pending, f)
}

func (e *echoFilter) isEcho(f can.Frame) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, p := range e.pending {
		if p == f {
			// Anything older than the match lost its echo; forget it too.
			e.pending = append(e.pending[:0], e.pending[i+1:]...)
			return true
		}
	}
	return false
}

// dialSocketCAN opens a raw CAN socket on a Linux interface such as can0 or vcan0, with error
// frames enabled so that bus errors reach the node.
func dialSocketCAN(ctx context.Context, iface string, listenOnly bool) (Bus, error) {
	if _, err := net.InterfaceByName(iface); err != nil {
		return nil, fmt.Errorf("CAN interface %s not found: create it (for example `ip link add dev %s type vcan && ip link set up %s`) or pick another with its name", iface, iface, iface)
	}
	conn, err := socketcan.DialContext(ctx, "can", iface, socketcan.WithReceiveErrorFrames())
	if err != nil {
		return nil, fmt.Errorf("open CAN interface %s: %v: check that SocketCAN is available and the interface is up", iface, err)
	}
	// An interface that goes down (or away and back, a USB adapter unplugged) is opened again.
	redial := func() (net.Conn, error) {
		ifc, err := net.InterfaceByName(iface)
		if err != nil {
			return nil, err
		}
		if ifc.Flags&net.FlagUp == 0 {
			return nil, fmt.Errorf("interface %s is down", iface)
		}
		return socketcan.DialContext(context.Background(), "can", iface, socketcan.WithReceiveErrorFrames())
	}
	return newNetBus(conn, listenOnly, nil, redial), nil
}

// dialUDP joins einride's UDP multicast CAN emulator at address (host:port).
func dialUDP(ctx context.Context, address string, listenOnly bool) (Bus, error) {
	conn, err := socketcan.DialContext(ctx, "udp", address)
	if err != nil {
		return nil, fmt.Errorf("join UDP multicast bus %s: %v: check that a multicast-capable interface (loopback will do) is up", address, err)
	}
	return newNetBus(conn, listenOnly, &echoFilter{}, nil), nil
}
