package canbus

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
	"go.einride.tech/can/pkg/socketcan"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in   string
		want Spec
		err  string
	}{
		{in: "mem", want: Spec{Kind: KindMem}},
		{in: "mem:vecan", want: Spec{Kind: KindMem, Name: "vecan"}},
		{in: "vcan0", want: Spec{Kind: KindSocketCAN, Name: "vcan0"}},
		{in: "can0", want: Spec{Kind: KindSocketCAN, Name: "can0"}},
		{in: "can:slcan0", want: Spec{Kind: KindSocketCAN, Name: "slcan0"}},
		{in: "udp://239.64.142.206:20000", want: Spec{Kind: KindUDP, Name: "239.64.142.206:20000"}},
		{in: "", err: "not an interface name"},
		{in: "mem:", err: "hub name"},
		{in: "tcp://1.2.3.4:5", err: "unknown scheme"},
		{in: "udp://10.0.0.1:20000", err: "not an IPv4 multicast address"},
		{in: "udp://239.1.2.3", err: "no GROUP:PORT"},
		{in: "udp://239.1.2.3:0", err: "port 0"},
		{in: "udp://239.1.2.3:70000", err: "port 70000"},
		{in: "vcan0 extra", err: "not an interface name"},
		{in: "averyveryverylongname0", err: "not an interface name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpec(tt.in)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				assert.Contains(t, err.Error(), "want mem", "the error says what to write instead")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			back, err := ParseSpec(got.String())
			require.NoError(t, err)
			assert.Equal(t, got, back, "String round-trips")
		})
	}
}

func TestNetworkSharesHubsByName(t *testing.T) {
	var n Network
	ctx := context.Background()
	a, err := n.Open(ctx, Spec{Kind: KindMem}, DefaultName("vecan"))
	require.NoError(t, err)
	b, err := n.Open(ctx, Spec{Kind: KindMem, Name: "vecan"})
	require.NoError(t, err)
	other, err := n.Open(ctx, Spec{Kind: KindMem}, DefaultName("batbus"))
	require.NoError(t, err)
	require.Len(t, n.Hubs(), 2)

	require.NoError(t, a.Send(frame(0x123, 1)))
	for _, h := range n.Hubs() {
		h.Deliver()
	}
	assert.Len(t, b.Receive(nil), 1, "same name, same bus")
	assert.Empty(t, other.Receive(nil), "another name, another bus")
}

func TestSocketCANMissingInterface(t *testing.T) {
	var n Network
	_, err := n.Open(context.Background(), Spec{Kind: KindSocketCAN, Name: "nosuchcan9"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nosuchcan9 not found")
	assert.NotContains(t, err.Error(), "\n")
}

// Two attachments on one UDP multicast group hear each other and not themselves. The group is on
// loopback, so the test needs no network.
func TestUDPMulticast(t *testing.T) {
	var n Network
	ctx := context.Background()
	spec := Spec{Kind: KindUDP, Name: "239.64.142.206:20417"}
	a, err := n.Open(ctx, spec)
	if err != nil {
		t.Skipf("no multicast-capable interface on this machine: %v", err)
	}
	defer a.Close()
	b, err := n.Open(ctx, spec)
	require.NoError(t, err)
	defer b.Close()

	require.NoError(t, a.Send(frame(0x19F21450, 1, 2, 3)))
	require.NoError(t, b.Send(frame(0x123, 4)))
	var gotA, gotB []can.Frame
	require.Eventually(t, func() bool {
		gotA = a.Receive(gotA)
		gotB = b.Receive(gotB)
		return len(gotA) >= 1 && len(gotB) >= 1
	}, 5*time.Second, 5*time.Millisecond)
	time.Sleep(50 * time.Millisecond) // let any echo arrive before looking for it
	gotA, gotB = a.Receive(gotA), b.Receive(gotB)
	assert.Equal(t, []can.Frame{frame(0x123, 4)}, gotA)
	assert.Equal(t, []can.Frame{frame(0x19F21450, 1, 2, 3)}, gotB)
	assert.Equal(t, uint64(1), a.Stats().Sent)
}

// A network attachment whose transport fails (an interface going down) reports the error, drops
// what it is asked to send meanwhile, opens the transport again, and receives on it: a logged
// reconnect, never a hang.
func TestNetBusReconnects(t *testing.T) {
	near, far := net.Pipe()
	conns := make(chan net.Conn, 1)
	redial := func() (net.Conn, error) {
		select {
		case c := <-conns:
			return c, nil
		default:
			return nil, errors.New("interface still down")
		}
	}
	b := newNetBus(near, false, nil, redial)
	defer b.Close()
	tx := socketcan.NewTransmitter(far)
	require.NoError(t, tx.TransmitFrame(context.Background(), can.Frame{ID: 0x123, Length: 1}))
	require.Eventually(t, func() bool { return len(b.Receive(nil)) == 1 }, 2*time.Second, 5*time.Millisecond)

	far.Close() // the interface goes away
	require.Eventually(t, func() bool { return b.Err() != nil }, 2*time.Second, 5*time.Millisecond)
	require.NoError(t, b.Send(can.Frame{ID: 0x456, Length: 1}))
	require.Eventually(t, func() bool { return b.Stats().Dropped == 1 }, 2*time.Second, 5*time.Millisecond, "dropped while down")

	near2, far2 := net.Pipe()
	conns <- near2 // and comes back
	require.Eventually(t, func() bool { return b.Err() == nil && b.Stats().Reconnects == 1 }, 3*time.Second, 10*time.Millisecond)
	go func() {
		_ = socketcan.NewTransmitter(far2).TransmitFrame(context.Background(), can.Frame{ID: 0x124, Length: 1})
	}()
	require.Eventually(t, func() bool {
		got := b.Receive(nil)
		return len(got) == 1 && got[0].ID == 0x124
	}, 2*time.Second, 5*time.Millisecond, "receives on the new transport")
	// Close is prompt even while it would be redialling.
	far2.Close()
	done := make(chan struct{})
	go func() { b.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close hung")
	}
}
