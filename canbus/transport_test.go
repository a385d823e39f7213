package canbus

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
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
