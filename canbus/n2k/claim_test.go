package n2k_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/n2k"
)

// battery returns a battery NAME (L5's codes) with the given unique number: the lower the
// number, the lower (stronger) the NAME.
func battery(t *testing.T, unique uint32) n2k.Name {
	t.Helper()
	n, err := n2k.NameFields{
		UniqueNumber:            unique,
		ManufacturerCode:        n2k.ManufacturerMG,
		DeviceFunction:          n2k.DeviceFunctionBattery,
		DeviceClass:             n2k.DeviceClassElectricalGeneration,
		IndustryGroup:           n2k.IndustryMarine,
		ArbitraryAddressCapable: true,
	}.Name()
	require.NoError(t, err)
	return n
}

// node is a Claimer on a hub attachment.
type node struct {
	c   *n2k.Claimer
	bus canbus.Bus
	in  []can.Frame
	out []can.Frame
}

// network is an in-memory bus with claiming nodes, stepped in simulated time.
type network struct {
	t     *testing.T
	hub   *canbus.Hub
	nodes []*node
	now   time.Duration
	log   []can.Frame // every frame sent, in order
}

func newNetwork(t *testing.T) *network {
	return &network{t: t, hub: canbus.NewHub("n2k-claim")}
}

func (n *network) add(name n2k.Name, preferred uint8) *node {
	nd := &node{c: n2k.NewClaimer(name, preferred), bus: n.hub.Attach()}
	n.nodes = append(n.nodes, nd)
	return nd
}

func (n *network) send(nd *node, f can.Frame) {
	n.t.Helper()
	require.NoError(n.t, nd.bus.Send(f))
	n.log = append(n.log, f)
}

func (n *network) start(nd *node) { n.send(nd, nd.c.Start(n.now)) }

// settle delivers and answers until the bus is quiet, 1 ms per round.
func (n *network) settle() {
	n.t.Helper()
	for round := 0; ; round++ {
		require.Less(n.t, round, 1000, "the claims do not settle")
		n.hub.Deliver()
		n.now += time.Millisecond
		sent := false
		for _, nd := range n.nodes {
			nd.in = nd.bus.Receive(nd.in[:0])
			for _, f := range nd.in {
				nd.out = nd.c.Handle(n.now, f, nd.out[:0])
				for _, o := range nd.out {
					n.send(nd, o)
					sent = true
				}
			}
		}
		if !sent {
			n.hub.Deliver()
			return
		}
	}
}

func (n *network) advance(d time.Duration) { n.now += d }

func TestClaimAlone(t *testing.T) {
	net := newNetwork(t)
	a := net.add(battery(t, 1), 0x50)
	assert.Equal(t, n2k.NullSource, a.c.Address(), "no address before Start")
	assert.False(t, a.c.Claimed(time.Hour))

	net.start(a)
	require.Len(t, net.log, 1)
	f := net.log[0]
	assert.Equal(t, n2k.ID{Priority: 6, PGN: n2k.PGNAddressClaim, Source: 0x50, Destination: n2k.Broadcast}, n2k.ParseCANID(f.ID))
	assert.Equal(t, battery(t, 1), n2k.NameFromBytes(f.Data))
	assert.Equal(t, uint8(8), f.Length)
	assert.Equal(t, uint8(0x50), a.c.Address())

	// Owned after 250 ms without contention (limits.md §4.3, L5), not before.
	assert.False(t, a.c.Claimed(249*time.Millisecond))
	assert.True(t, a.c.Claimed(250*time.Millisecond))
	assert.False(t, a.c.Lost())
}

func TestClaimTwoNodesSamePreferred(t *testing.T) {
	for _, order := range []string{"low first", "high first"} {
		t.Run(order, func(t *testing.T) {
			net := newNetwork(t)
			var low, high *node
			if order == "low first" {
				low, high = net.add(battery(t, 1), 0x50), net.add(battery(t, 2), 0x50)
			} else {
				high, low = net.add(battery(t, 2), 0x50), net.add(battery(t, 1), 0x50)
			}
			net.start(low)
			net.start(high)
			net.settle()

			assert.Equal(t, uint8(0x50), low.c.Address(), "the lower NAME keeps the address")
			assert.Equal(t, uint8(0x51), high.c.Address(), "the higher NAME moves to the next one")
			net.advance(n2k.ClaimWindow)
			assert.True(t, low.c.Claimed(net.now))
			assert.True(t, high.c.Claimed(net.now))
		})
	}
}

func TestClaimThreeNodes(t *testing.T) {
	net := newNetwork(t)
	c := net.add(battery(t, 30), 0x50)
	a := net.add(battery(t, 10), 0x50)
	b := net.add(battery(t, 20), 0x50)
	d := net.add(battery(t, 5), 0x51) // holds 0x51 already
	net.start(d)
	net.settle()
	net.advance(time.Second)
	net.start(c)
	net.start(a)
	net.start(b)
	net.settle()

	assert.Equal(t, uint8(0x50), a.c.Address())
	assert.Equal(t, uint8(0x51), d.c.Address())
	got := map[uint8]bool{a.c.Address(): true, b.c.Address(): true, c.c.Address(): true, d.c.Address(): true}
	assert.Len(t, got, 4, "four distinct addresses: a %02X b %02X c %02X d %02X",
		a.c.Address(), b.c.Address(), c.c.Address(), d.c.Address())
	assert.Equal(t, uint8(0x52), b.c.Address(), "b skips 0x51, seen claimed by d")
	assert.Equal(t, uint8(0x53), c.c.Address())
	net.advance(n2k.ClaimWindow)
	for _, nd := range []*node{a, b, c, d} {
		assert.True(t, nd.c.Claimed(net.now))
		assert.False(t, nd.c.Lost())
	}
}

// Contention after the 250 ms: a late joiner with a lower NAME takes the address from an
// established node, which moves.
func TestClaimLateJoinerWins(t *testing.T) {
	net := newNetwork(t)
	old := net.add(battery(t, 50), 0x50)
	net.start(old)
	net.settle()
	net.advance(10 * time.Second)
	require.True(t, old.c.Claimed(net.now))

	late := net.add(battery(t, 40), 0x50)
	net.start(late)
	net.settle()
	assert.Equal(t, uint8(0x50), late.c.Address())
	assert.Equal(t, uint8(0x51), old.c.Address())
	assert.False(t, old.c.Claimed(net.now), "a new claim opens a new window")
	net.advance(n2k.ClaimWindow)
	assert.True(t, old.c.Claimed(net.now))
	assert.True(t, late.c.Claimed(net.now))
}

// A late joiner with a higher NAME is refused: the established node defends, which reopens its
// window, and the joiner moves.
func TestClaimLateJoinerLoses(t *testing.T) {
	net := newNetwork(t)
	old := net.add(battery(t, 40), 0x50)
	net.start(old)
	net.settle()
	net.advance(10 * time.Second)

	late := net.add(battery(t, 50), 0x50)
	net.start(late)
	net.settle()
	assert.Equal(t, uint8(0x50), old.c.Address())
	assert.Equal(t, uint8(0x51), late.c.Address())
	assert.False(t, old.c.Claimed(net.now), "the defence reopens the window")
	net.advance(n2k.ClaimWindow)
	assert.True(t, old.c.Claimed(net.now))
	// The defence is a claim of 0x50 by old after late's.
	var claims []uint8
	for _, f := range net.log {
		claims = append(claims, n2k.ParseCANID(f.ID).Source)
	}
	assert.Equal(t, []uint8{0x50, 0x50, 0x50, 0x51}, claims)
}

// The search wraps from 252 to 0.
func TestClaimWraps(t *testing.T) {
	net := newNetwork(t)
	a := net.add(battery(t, 1), 252)
	b := net.add(battery(t, 2), 252)
	net.start(a)
	net.start(b)
	net.settle()
	assert.Equal(t, uint8(252), a.c.Address())
	assert.Equal(t, uint8(0), b.c.Address())
}

// claimFrame is another node's address claim.
func claimFrame(name n2k.Name, src uint8) can.Frame {
	return can.Frame{
		ID:         n2k.ID{Priority: 6, PGN: n2k.PGNAddressClaim, Source: src, Destination: n2k.Broadcast}.CANID(),
		IsExtended: true, Length: 8, Data: name.Bytes(),
	}
}

// A node that finds every address taken announces "cannot claim" from 254.
func TestClaimNoAddressLeft(t *testing.T) {
	me := battery(t, 1000)
	c := n2k.NewClaimer(me, 0x50)
	// Every usable address is claimed by a stronger NAME.
	for a := range int(n2k.MaxAddress) + 1 {
		assert.Empty(t, c.Handle(0, claimFrame(battery(t, uint32(a)), uint8(a)), nil))
	}
	first := c.Start(time.Second)
	assert.Equal(t, uint8(0x50), n2k.ParseCANID(first.ID).Source)
	// The owner of 0x50 defends.
	out := c.Handle(time.Second+time.Millisecond, claimFrame(battery(t, 0x50), 0x50), nil)
	require.Len(t, out, 1)
	assert.Equal(t, n2k.ID{Priority: 6, PGN: n2k.PGNAddressClaim, Source: n2k.NullSource, Destination: n2k.Broadcast},
		n2k.ParseCANID(out[0].ID))
	assert.Equal(t, me, n2k.NameFromBytes(out[0].Data))
	assert.True(t, c.Lost())
	assert.Equal(t, n2k.NullSource, c.Address())
	assert.False(t, c.Claimed(time.Hour))

	// Asked for its claim, it repeats "cannot claim"; it ignores requests to its old address.
	req := n2k.Request{PGN: n2k.PGNAddressClaim}
	out = c.Handle(2*time.Second, req.Frame(0x20, n2k.Broadcast), nil)
	require.Len(t, out, 1)
	assert.Equal(t, n2k.NullSource, n2k.ParseCANID(out[0].ID).Source)
	assert.Empty(t, c.Handle(2*time.Second, req.Frame(0x20, 0x50), nil))

	// Start tries again.
	assert.Equal(t, uint8(0x50), n2k.ParseCANID(c.Start(3*time.Second).ID).Source)
	assert.False(t, c.Lost())
}

// On a full bus two nodes contest the last free address; the loser cannot claim.
func TestClaimLastAddressOnHub(t *testing.T) {
	net := newNetwork(t)
	filler := net.hub.Attach()
	for a := range int(n2k.MaxAddress) + 1 {
		if a != 0x80 {
			require.NoError(t, filler.Send(claimFrame(battery(t, uint32(a)), uint8(a))))
		}
	}
	x := net.add(battery(t, 500), 0x80)
	y := net.add(battery(t, 600), 0x80)
	net.hub.Deliver()
	for _, nd := range []*node{x, y} {
		for _, f := range nd.bus.Receive(nil) {
			assert.Empty(t, nd.c.Handle(0, f, nil))
		}
	}
	net.start(x)
	net.start(y)
	net.settle()
	assert.Equal(t, uint8(0x80), x.c.Address())
	assert.True(t, y.c.Lost())
	assert.Equal(t, n2k.NullSource, y.c.Address())
	last := net.log[len(net.log)-1]
	assert.Equal(t, n2k.NullSource, n2k.ParseCANID(last.ID).Source, "cannot claim, from 254")
}

// A NAME that is not arbitrary-address capable cannot move: losing, it cannot claim.
func TestClaimNotArbitraryAddressCapable(t *testing.T) {
	fixed, err := n2k.NameFields{UniqueNumber: 9, ManufacturerCode: n2k.ManufacturerMG}.Name()
	require.NoError(t, err)
	c := n2k.NewClaimer(fixed, 0x50)
	c.Start(0)
	strong, err := n2k.NameFields{UniqueNumber: 1}.Name()
	require.NoError(t, err)
	out := c.Handle(time.Millisecond, claimFrame(strong, 0x50), nil)
	require.Len(t, out, 1)
	assert.Equal(t, n2k.NullSource, n2k.ParseCANID(out[0].ID).Source)
	assert.True(t, c.Lost())
}

func TestClaimAnswersRequests(t *testing.T) {
	net := newNetwork(t)
	a := net.add(battery(t, 1), 0x50)
	tool := net.hub.Attach()
	net.start(a)
	net.settle()
	tool.Receive(nil)

	tests := []struct {
		name    string
		request can.Frame
		answer  bool
	}{
		{"to everyone", n2k.Request{PGN: n2k.PGNAddressClaim}.Frame(0x20, n2k.Broadcast), true},
		{"to us", n2k.Request{PGN: n2k.PGNAddressClaim}.Frame(0x20, 0x50), true},
		{"from a node without address", n2k.Request{PGN: n2k.PGNAddressClaim}.Frame(n2k.NullSource, n2k.Broadcast), true},
		{"padded to 8 bytes", func() can.Frame {
			f := n2k.Request{PGN: n2k.PGNAddressClaim}.Frame(0x20, 0x50)
			f.Length = 8
			copy(f.Data[3:], []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF})
			return f
		}(), true},
		{"to another node", n2k.Request{PGN: n2k.PGNAddressClaim}.Frame(0x20, 0x51), false},
		{"for another PGN", n2k.Request{PGN: 126996}.Frame(0x20, 0x50), false},
		{"not a request", n2k.Ack{PGN: n2k.PGNAddressClaim}.Frame(0x20, 0x50), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tool.Send(tt.request))
			before := len(net.log)
			net.settle()
			got := tool.Receive(nil)
			if !tt.answer {
				assert.Empty(t, got)
				assert.Equal(t, before, len(net.log))
				return
			}
			require.Len(t, got, 1)
			assert.Equal(t, n2k.ID{Priority: 6, PGN: n2k.PGNAddressClaim, Source: 0x50, Destination: n2k.Broadcast},
				n2k.ParseCANID(got[0].ID))
			assert.Equal(t, battery(t, 1), n2k.NameFromBytes(got[0].Data))
		})
	}
	// Answering requests does not reopen the window.
	assert.True(t, a.c.Claimed(n2k.ClaimWindow))
}

func TestClaimIgnores(t *testing.T) {
	me := battery(t, 100)
	c := n2k.NewClaimer(me, 0x50)
	c.Start(0)
	tests := []struct {
		name string
		f    can.Frame
	}{
		{"our own claim echoed", claimFrame(me, 0x50)},
		{"a claim on another address", claimFrame(battery(t, 1), 0x60)},
		{"a short claim on our address", func() can.Frame { f := claimFrame(battery(t, 1), 0x50); f.Length = 7; return f }()},
		{"a standard frame", can.Frame{ID: 0x351, Length: 8}},
		{"a remote frame", func() can.Frame { f := claimFrame(battery(t, 1), 0x50); f.IsRemote = true; return f }()},
		{"an error frame", func() can.Frame { f := claimFrame(battery(t, 1), 0x50); f.ID |= 1 << 29; return f }()},
		{"battery status", can.Frame{ID: 0x19F21451, IsExtended: true, Length: 8}},
		{"cannot claim from another node", claimFrame(battery(t, 1), n2k.NullSource)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Empty(t, c.Handle(time.Millisecond, tt.f, nil))
			assert.Equal(t, uint8(0x50), c.Address())
		})
	}
	assert.True(t, c.Claimed(n2k.ClaimWindow))
}

// A NAME that moves frees the address it held: the table follows it.
func TestClaimFollowsMovingNames(t *testing.T) {
	me := battery(t, 100)
	c := n2k.NewClaimer(me, 0x50)
	other := battery(t, 1)
	c.Handle(0, claimFrame(other, 0x51), nil) // other at 0x51
	c.Handle(0, claimFrame(other, 0x60), nil) // other moved to 0x60
	c.Start(0)
	out := c.Handle(time.Millisecond, claimFrame(battery(t, 2), 0x50), nil)
	require.Len(t, out, 1)
	assert.Equal(t, uint8(0x51), c.Address(), "0x51 is free again")

	// A NAME that announces "cannot claim" frees its address too.
	c2 := n2k.NewClaimer(me, 0x50)
	c2.Handle(0, claimFrame(other, 0x51), nil)
	c2.Handle(0, claimFrame(other, n2k.NullSource), nil)
	c2.Start(0)
	c2.Handle(time.Millisecond, claimFrame(battery(t, 2), 0x50), nil)
	assert.Equal(t, uint8(0x51), c2.Address())
}

// A preferred address outside 0..252 cannot be claimed; the search starts at 0.
func TestClaimPreferredOutOfRange(t *testing.T) {
	for _, p := range []uint8{253, n2k.NullSource, n2k.Broadcast} {
		c := n2k.NewClaimer(battery(t, 1), p)
		assert.Equal(t, uint8(0), n2k.ParseCANID(c.Start(0).ID).Source)
	}
}

func TestClaimHandleZeroAlloc(t *testing.T) {
	c := n2k.NewClaimer(battery(t, 1), 0x50)
	c.Start(0)
	f := can.Frame{ID: 0x19F21451, IsExtended: true, Length: 8}
	dst := make([]can.Frame, 0, 4)
	assert.Zero(t, testing.AllocsPerRun(100, func() { dst = c.Handle(time.Second, f, dst[:0]) }))
	req := n2k.Request{PGN: n2k.PGNAddressClaim}.Frame(0x20, n2k.Broadcast)
	assert.Zero(t, testing.AllocsPerRun(100, func() { dst = c.Handle(time.Second, req, dst[:0]) }))
}
