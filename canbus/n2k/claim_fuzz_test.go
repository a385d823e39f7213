package n2k

import (
	"testing"
	"time"

	"go.einride.tech/can"
)

// claimModel is the address table of the Claimer's documentation, kept by the test: a NAME seen
// at a new address no longer holds its old one; of two NAMEs seen claiming one address the lower
// keeps it; the node records what it hears, except the claim it wins.
type claimModel struct {
	owner map[uint8]Name
}

func (m *claimModel) forget(n Name) {
	for a, o := range m.owner {
		if o == n {
			delete(m.owner, a)
		}
	}
}

func (m *claimModel) record(a uint8, n Name) {
	if o, ok := m.owner[a]; !ok || n < o {
		m.owner[a] = n
	}
}

// firstFree is where a node that lost a at arbitration moves to: the first address above a,
// wrapping within 0..MaxAddress, that nobody holds; ok is false when there is none.
func (m *claimModel) firstFree(a uint8) (uint8, bool) {
	const n = int(MaxAddress) + 1
	for i := 1; i < n; i++ {
		b := uint8((int(a) + i) % n)
		if _, held := m.owner[b]; !held {
			return b, true
		}
	}
	return 0, false
}

// FuzzClaimer runs a Claimer through any sequence of address claims (from four other NAMEs and
// its own, from any source address), ISO Requests for the claim (to any destination), unrelated
// frames, Reclaims and the passing of time, and checks it against its documented rules:
//
//   - everything it sends is its own claim (PGN 60928, priority 6, to Broadcast, its NAME as
//     the data) from its current address, NullSource once it has lost;
//   - its address is 0..252 while it has one, NullSource when Lost;
//   - a claim with its own NAME, and any frame other than a claim or a request, changes nothing;
//   - contention on its address: the lower NAME wins; winning, it repeats its claim; losing, it
//     moves to the first address above the contested one that the table of claims heard leaves
//     free, or, with none free or without the arbitrary-address-capable bit, sends "cannot claim"
//     and is Lost;
//   - a request for the claim to Broadcast, or to its address while it has one, gets one claim;
//   - Claimed holds exactly when ClaimWindow has passed since the last Start, Reclaim, move or
//     defence.
//
// Seeds: testdata/fuzz/FuzzClaimer.
func FuzzClaimer(f *testing.F) {
	// A lower NAME takes our address, then everyone asks for claims.
	f.Add(uint64(0x8000_0000_0000_1000), uint8(0x50), []byte{0, 0x50, 10, 4, 0xFF, 10, 5, 0, 250})
	f.Fuzz(func(t *testing.T, self uint64, preferred uint8, events []byte) {
		name := Name(self)
		others := [4]Name{}
		for i := range others {
			// Both sides of ours, and one that differs only in the low bit.
			others[i] = name ^ Name(uint64(i+1)*0x9E37_79B9_7F4A_7C15)
		}
		others[3] = name ^ 1

		c := NewClaimer(name, preferred)
		if c.Address() != NullSource || c.Lost() || c.Claimed(time.Hour) {
			t.Fatalf("before Start: address %d, lost %v", c.Address(), c.Lost())
		}
		m := claimModel{owner: map[uint8]Name{}}
		now := time.Duration(0)
		check := func(what string, out []can.Frame, wantFrames int) {
			t.Helper()
			if len(out) != wantFrames {
				t.Fatalf("%s: %d frames sent, want %d: %v", what, len(out), wantFrames, out)
			}
			for _, fr := range out {
				id := ParseCANID(fr.ID)
				if !fr.IsExtended || fr.IsRemote || fr.Length != 8 || id.PGN != PGNAddressClaim || id.Priority != AddressClaimPriority ||
					id.Destination != Broadcast || NameFromBytes(fr.Data) != name || id.Source != c.Address() {
					t.Fatalf("%s: sent %v (%v), not our claim from %d", what, fr, id, c.Address())
				}
			}
			if c.Lost() != (c.Address() == NullSource) || (!c.Lost() && c.Address() > MaxAddress) {
				t.Fatalf("%s: address %d, lost %v", what, c.Address(), c.Lost())
			}
		}

		want := preferred
		if want > MaxAddress {
			want = 0
		}
		fr := c.Start(now)
		check("Start", []can.Frame{fr}, 1)
		if c.Address() != want {
			t.Fatalf("Start claimed %d, preferred %d", c.Address(), preferred)
		}
		windowFrom := now

		for ; len(events) >= 3; events = events[3:] {
			kind, arg, dt := events[0], events[1], events[2]
			now += time.Duration(dt) * 2 * time.Millisecond
			addr, lost := c.Address(), c.Lost()
			switch kind % 8 {
			case 0, 1, 2, 3: // another NAME claims arg
				their := others[kind%4]
				out := c.Handle(now, claimFrameOf(arg, their), nil)
				m.forget(their)
				switch {
				case arg > MaxAddress:
					check("a claim from a reserved address", out, 0)
				case lost || arg != addr:
					m.record(arg, their)
					check("a claim elsewhere", out, 0)
				case name < their:
					check("a contention we win", out, 1)
					if c.Address() != addr {
						t.Fatalf("won the contention for %d but moved to %d", addr, c.Address())
					}
					windowFrom = now
				default:
					m.record(arg, their)
					next, free := m.firstFree(arg)
					if !name.ArbitraryAddressCapable() || !free {
						check("a contention we lose with nowhere to go", out, 1)
						if !c.Lost() {
							t.Fatalf("lost %d with nowhere to go (free %v, capable %v), but not Lost", addr, free, name.ArbitraryAddressCapable())
						}
						break
					}
					check("a contention we lose", out, 1)
					if c.Address() != next {
						t.Fatalf("lost %d to %v, moved to %d; the first free address is %d (table %v)", addr, their, c.Address(), next, m.owner)
					}
					windowFrom = now
				}
			case 4: // a request for the claim, to arg
				req := Request{PGN: PGNAddressClaim}.Frame(0x20+kind>>4, arg)
				out := c.Handle(now, req, nil)
				answer := 0
				if arg == Broadcast || (!lost && arg == addr) {
					answer = 1
				}
				check("a request", out, answer)
				if c.Address() != addr || c.Lost() != lost {
					t.Fatalf("a request moved us from %d to %d", addr, c.Address())
				}
			case 5: // something else: a request for another PGN, a claim of the wrong length, a remote frame
				others := []can.Frame{
					Request{PGN: 126996}.Frame(0x20, Broadcast),
					{ID: ID{Priority: 6, PGN: PGNAddressClaim, Source: arg}.CANID(), IsExtended: true, Length: 7},
					{ID: ID{Priority: 6, PGN: PGNAddressClaim, Source: arg}.CANID(), IsExtended: true, IsRemote: true, Length: 8},
					{ID: uint32(arg), Length: 8},
				}
				out := c.Handle(now, others[int(kind>>3)%len(others)], nil)
				check("an unrelated frame", out, 0)
				if c.Address() != addr || c.Lost() != lost {
					t.Fatalf("an unrelated frame moved us from %d to %d", addr, c.Address())
				}
			case 6: // Reclaim: the same address, or, lost, the preferred one again
				out := c.Reclaim(now)
				check("Reclaim", []can.Frame{out}, 1)
				if (lost && c.Address() != want) || (!lost && c.Address() != addr) {
					t.Fatalf("Reclaim from %d (lost %v) claimed %d", addr, lost, c.Address())
				}
				windowFrom = now
			case 7: // our own NAME, from anywhere
				out := c.Handle(now, claimFrameOf(arg, name), nil)
				check("our own NAME", out, 0)
				if c.Address() != addr || c.Lost() != lost {
					t.Fatalf("our own NAME moved us from %d to %d", addr, c.Address())
				}
			}
			if want := !c.Lost() && now-windowFrom >= ClaimWindow; c.Claimed(now) != want {
				t.Fatalf("Claimed(%v) = %v; the window opened at %v, lost %v", now, c.Claimed(now), windowFrom, c.Lost())
			}
		}
	})
}

// claimFrameOf is the claim of n from src.
func claimFrameOf(src uint8, n Name) can.Frame {
	return can.Frame{
		ID:         ID{Priority: AddressClaimPriority, PGN: PGNAddressClaim, Source: src, Destination: Broadcast}.CANID(),
		IsExtended: true, Length: 8, Data: n.Bytes(),
	}
}
