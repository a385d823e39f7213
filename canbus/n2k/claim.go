package n2k

import (
	"time"

	"go.einride.tech/can"
)

// MaxAddress is the highest source address a node may claim: 0..252 are usable, 253 is
// reserved, 254 is NullSource and 255 Broadcast (protocol.md §1.2, S15).
const MaxAddress uint8 = 252

// ClaimWindow is how long a claim must stand without contention before the address is the
// node's: MG's Master LV owns its address "after 250ms" without a conflict (limits.md §4.3, L5;
// the same 250 ms as S1 canboat address_claim.rs CLAIM_TIMEOUT_MS and ISO 11783-5).
const ClaimWindow = 250 * time.Millisecond

// Claimer claims and defends a source address for one NAME (ISO 11783-5 as NMEA 2000 uses it).
// A node embeds one, calls Start once, hands it every received frame through Handle and sends
// what Handle returns. It is stepped by its caller: no goroutines, no clock of its own.
//
// The rules:
//
//   - Start claims the preferred address (PGN 60928 to Broadcast, the NAME as data).
//   - When another NAME claims the node's address, the lower NAME wins (the NAME as a 64-bit
//     number). Winning, the node repeats its claim; losing, it claims the next free address.
//   - The next free address is searched upward from the contested one, wrapping within
//     0..MaxAddress, skipping every address seen claimed by another NAME. With none left, or
//     when the NAME is not arbitrary-address capable, the node sends "cannot claim" (its claim
//     from NullSource) and stays silent until Start is called again.
//   - A request for 60928 sent to Broadcast, or to the node's address, is answered with the
//     node's claim (from NullSource once it has lost).
//   - The address is the node's (Claimed) ClaimWindow after its last claim that opened or
//     answered a contention: Start, a move, or a defence. Answering a request does not reopen
//     the window: nobody contested anything.
//
// Assumptions, where the documents are silent: a claim carrying the node's own NAME is its own
// (NAMEs are unique; S1 address_claim.rs ignores it too); a NAME seen at a new address no longer
// holds its old one; of two NAMEs seen claiming one address the lower keeps it in the table,
// because the higher is about to move; ISO 11783-5's pseudo-random delay before answering a
// request with "cannot claim" is left out, since simulated nodes do not collide on the wire.
//
// A Claimer is used by one goroutine. Handle does not allocate unless dst must grow.
type Claimer struct {
	name      Name
	preferred uint8
	address   uint8
	started   bool
	lost      bool
	claimedAt time.Duration // when the current claim window opened

	// The address table: who else has been seen claiming which address.
	taken  [int(MaxAddress) + 1]bool
	owners [int(MaxAddress) + 1]Name
}

// NewClaimer returns a Claimer for name that will claim preferred. A preferred address above
// MaxAddress cannot be claimed; the search then starts where it would wrap to, at 0.
func NewClaimer(name Name, preferred uint8) *Claimer {
	if preferred > MaxAddress {
		preferred = 0
	}
	return &Claimer{name: name, preferred: preferred, address: NullSource}
}

// Name returns the NAME the Claimer claims with.
func (c *Claimer) Name() Name { return c.name }

// Start (re)starts claiming: it returns the claim of the preferred address, sent at now. The
// table of addresses seen claimed by others is kept.
func (c *Claimer) Start(now time.Duration) can.Frame {
	c.started, c.lost = true, false
	c.address = c.preferred
	c.claimedAt = now
	return c.claimFrame()
}

// Reclaim announces the current address again, as a node does when it comes back to the bus (after
// a bus-off): the claim window starts over. A node that lost its address starts from its
// preferred one.
func (c *Claimer) Reclaim(now time.Duration) can.Frame {
	if c.lost || !c.started {
		return c.Start(now)
	}
	c.claimedAt = now
	return c.claimFrame()
}

// Address returns the current source address: the one claimed or being claimed, NullSource
// before Start and after losing.
func (c *Claimer) Address() uint8 { return c.address }

// Claimed reports whether the address is the node's at now: ClaimWindow has passed since the
// last claim that opened or answered a contention (limits.md §4.3, L5).
func (c *Claimer) Claimed(now time.Duration) bool {
	return c.started && !c.lost && now-c.claimedAt >= ClaimWindow
}

// Lost reports that no address could be had: the node announced "cannot claim" and must stay
// silent but for answering requests for its claim.
func (c *Claimer) Lost() bool { return c.lost }

// Handle looks at one received frame and appends to dst the frames to send in answer. It reads
// only address claims (60928) and ISO Requests (59904); every other frame is ignored at the cost
// of decoding its identifier.
func (c *Claimer) Handle(now time.Duration, f can.Frame, dst []can.Frame) []can.Frame {
	if !f.IsExtended || f.IsRemote || f.ID > can.MaxExtendedID {
		return dst
	}
	id := ParseCANID(f.ID)
	switch id.PGN {
	case PGNAddressClaim:
		if f.Length != 8 {
			return dst // a claim is the 8-byte NAME (protocol.md §2.4)
		}
		return c.handleClaim(now, id.Source, NameFromBytes(f.Data), dst)
	case PGNRequest:
		req, err := ParseRequest(f)
		if err != nil || req.PGN != PGNAddressClaim || !c.started {
			return dst
		}
		if id.Destination == Broadcast || (!c.lost && id.Destination == c.address) {
			return append(dst, c.claimFrame())
		}
	}
	return dst
}

func (c *Claimer) handleClaim(now time.Duration, src uint8, their Name, dst []can.Frame) []can.Frame {
	if their == c.name {
		return dst // our own claim: a NAME is unique
	}
	c.forget(their) // whatever address it held before, it claims src now
	if src > MaxAddress {
		return dst // "cannot claim" (NullSource) or the reserved 253: holds nothing
	}
	if !c.started || c.lost || src != c.address {
		c.record(src, their)
		return dst
	}
	// Contention on our address: the lower NAME wins (ISO 11783-5).
	if c.name < their {
		c.claimedAt = now
		return append(dst, c.claimFrame())
	}
	c.record(src, their)
	return c.move(now, src, dst)
}

// move claims the next free address after lost, or gives up.
func (c *Claimer) move(now time.Duration, lost uint8, dst []can.Frame) []can.Frame {
	if c.name.ArbitraryAddressCapable() {
		const n = int(MaxAddress) + 1
		for i := 1; i < n; i++ {
			a := (int(lost) + i) % n
			if !c.taken[a] {
				c.address = uint8(a)
				c.claimedAt = now
				return append(dst, c.claimFrame())
			}
		}
	}
	c.address, c.lost = NullSource, true
	return append(dst, c.claimFrame())
}

// record notes that n claims addr. Of two NAMEs on one address the lower stays: the higher loses
// the arbitration and moves.
func (c *Claimer) record(addr uint8, n Name) {
	if !c.taken[addr] || n < c.owners[addr] {
		c.taken[addr], c.owners[addr] = true, n
	}
}

// forget clears the address n was last seen holding, if any.
func (c *Claimer) forget(n Name) {
	for a := range c.owners {
		if c.taken[a] && c.owners[a] == n {
			c.taken[a] = false
		}
	}
}

func (c *Claimer) claimFrame() can.Frame {
	return can.Frame{
		ID:         ID{Priority: AddressClaimPriority, PGN: PGNAddressClaim, Source: c.address, Destination: Broadcast}.CANID(),
		IsExtended: true,
		Length:     8,
		Data:       c.name.Bytes(),
	}
}
