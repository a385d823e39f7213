package vecan

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/n2k"
	"github.com/lynxsim/lynxsim/firmware"
)

// fuzzStore holds every register of the table, refuses some writes, and fails the test when it is
// asked to write what the server must not pass on.
type fuzzStore struct {
	t      *testing.T
	values map[Register]uint32
}

func newFuzzStore(t *testing.T) *fuzzStore {
	s := &fuzzStore{t: t, values: map[Register]uint32{}}
	for i, r := range registerTable {
		if r.Type != String {
			s.values[r.ID] = uint32(i * 0x01010101)
		}
	}
	return s
}

func (s *fuzzStore) Get(reg Register) (uint32, bool) {
	v, ok := s.values[reg]
	return v, ok
}

func (s *fuzzStore) Set(_ time.Duration, reg Register, raw uint32) AckCode {
	info, ok := LookupRegister(reg)
	if !ok || !info.Writable || !info.InRange(raw) || raw&^info.mask() != 0 {
		s.t.Fatalf("Set(0x%04X, 0x%X): not a writable register with an in-range value", uint16(reg), raw)
	}
	if raw%3 == 0 {
		return AckBusy
	}
	s.values[reg] = raw
	return AckOK
}

func (s *fuzzStore) GetLong(reg Register, dst []byte) ([]byte, bool) {
	if reg != RegSerialNumber {
		return dst, false
	}
	return append(dst, "17380123\x00"...), true
}

func (s *fuzzStore) SetLong(time.Duration, Register, []byte) AckCode { return AckOK }

// FuzzServerHandle: Handle never panics, never answers a broadcast, a frame for another node or
// anything but an addressed Victron VREG, sends at most the documented number of replies (1 for a
// single request or a refused command, 2 for a taken command, len(Registers()) for a group
// request), and every reply is a well-formed VREG from us: VACKs to the sender, values to all.
// More seeds live in testdata/fuzz/FuzzServerHandle.
func FuzzServerHandle(f *testing.F) {
	for _, fr := range []can.Frame{
		RequestFrame(0x20, 0x50, RegAppVersion),
		CommandFrame(0x20, 0x50, RegSOC, 5000, 2),
		RequestMaskFrame(0x20, 0x50, 0x0390, 0xFFF0),
	} {
		f.Add(fr.ID, fr.Length, fr.Data[:], uint8(0x50), false)
	}
	f.Fuzz(func(t *testing.T, id uint32, length uint8, data []byte, self uint8, ackOnSuccess bool) {
		fr := fuzzFrame(id, length, data)
		s := NewServer(LookupRegister, newFuzzStore(t))
		s.AckOnSuccess = ackOnSuccess
		out := s.Handle(time.Second, self, fr, nil)
		long := s.LongReplies()
		st := s.Stats()
		if st.Ignored()+st.Refused()+st.Requests+st.Writes != 1 {
			t.Fatalf("%+v: counted %+v", fr, st)
		}

		in := n2k.ParseCANID(fr.ID & 0x1FFFFFFF)
		v, isVREG := ParseVREG(fr)
		addressed := fr.IsExtended && fr.ID <= 0x1FFFFFFF && in.PGN == PGNVREG && isVREG &&
			self < n2k.NullSource && in.Destination == self && in.Source < n2k.NullSource
		if !addressed && (len(out) > 0 || len(long) > 0) {
			t.Fatalf("%+v (to %d, self %d) is not an addressed VREG, but got %v and %d long replies", fr, in.Destination, self, out, len(long))
		}
		limit := 1
		switch {
		case !addressed:
			limit = 0
		case v.Register == RegRequest && uint16(v.Value>>16) != 0xFFFF:
			limit = len(registerTable)
		case v.Register != RegRequest && ackOnSuccess:
			limit = 2
		}
		if len(out)+len(long) > limit {
			t.Fatalf("%+v: %d replies, at most %d", fr, len(out)+len(long), limit)
		}
		for _, r := range out {
			if err := r.Validate(); err != nil || !r.IsExtended || r.Length != 8 {
				t.Fatalf("reply %v is not an 8-byte extended frame (%v)", r, err)
			}
			rid := n2k.ParseCANID(r.ID)
			rv, ok := ParseVREG(r)
			if !ok || rid.PGN != PGNVREG || rid.Priority != VREGPriority || rid.Source != self {
				t.Fatalf("reply %v is not a VREG from %d", r, self)
			}
			if rv.Register == RegAck {
				if rid.Destination != in.Source {
					t.Fatalf("VACK %v not addressed to the sender %d", r, in.Source)
				}
				continue
			}
			if rid.Destination != n2k.Broadcast {
				t.Fatalf("value %v not broadcast", r)
			}
			if _, ok := LookupRegister(rv.Register); !ok {
				t.Fatalf("value %v of a register not in the table", r)
			}
		}
		for _, l := range long {
			if reg, _, ok := ParseLongPayload(l.Payload); !ok || reg != RegSerialNumber || l.Destination != n2k.Broadcast {
				t.Fatalf("long reply %+v", l)
			}
		}
	})
}

// FuzzParseDCDetailedStatus: the decoder never panics, takes every payload of 9 bytes or more,
// and re-encodes what it read to the same bytes, except that sentinels and values above S2's
// ranges come back as "not available" or saturated; after one trip the status is a fixed point.
// More seeds live in testdata/fuzz/FuzzParseDCDetailedStatus.
func FuzzParseDCDetailedStatus(f *testing.F) {
	f.Add([]byte{0x00, 0x0a, 0x00, 0x64, 0x00, 0x7f, 0x05, 0xff, 0xff}) // canboat sample
	f.Add(DCDetailedStatus{SID: 1, SOCPercent: 87.65, SOHPercent: math.NaN(), TimeRemaining: time.Hour, RippleVolts: math.NaN(), RemainingAh: 200}.AppendPayload(nil))
	f.Fuzz(func(t *testing.T, payload []byte) {
		s, ok := ParseDCDetailedStatus(payload)
		if ok != (len(payload) >= DCDetailedStatusMinLength) {
			t.Fatalf("% x: ok = %v", payload, ok)
		}
		if !ok {
			return
		}
		out := s.AppendPayload(nil)
		if len(out) != DCDetailedStatusLength {
			t.Fatalf("encoded %d bytes", len(out))
		}
		want := make([]byte, DCDetailedStatusLength)
		for i := range want {
			want[i] = 0xFF
		}
		copy(want, payload[:min(len(payload), DCDetailedStatusLength)])
		if len(payload) < DCDetailedStatusLength {
			want[9], want[10] = 0xFF, 0xFF
		}
		for _, at := range []int{3, 4} {
			switch want[at] {
			case 0xFE:
				want[at] = 0xFF
			case 0xFD:
				want[at] = 0xFC
			}
		}
		for _, at := range []int{5, 7, 9} {
			switch binary.LittleEndian.Uint16(want[at:]) {
			case 0xFFFE:
				binary.LittleEndian.PutUint16(want[at:], 0xFFFF)
			case 0xFFFD:
				binary.LittleEndian.PutUint16(want[at:], 0xFFFC)
			}
		}
		if !bytes.Equal(out, want) {
			t.Fatalf("% x re-encoded as % x, want % x", payload, out, want)
		}
		back, ok := ParseDCDetailedStatus(out)
		if !ok || !bytes.Equal(back.AppendPayload(nil), out) {
			t.Fatalf("% x is not a fixed point (%+v)", out, back)
		}
	})
}

// FuzzParseProductInformation: the decoder never panics, takes every payload of 132 bytes or
// more, keeps the numbers, and what it read is a fixed point of encode and decode. More seeds live
// in testdata/fuzz/FuzzParseProductInformation.
func FuzzParseProductInformation(f *testing.F) {
	f.Add(IdentityVictron(Model150).ProductInformation(firmware.MustParse("1.38"), "17380123").AppendPayload(nil))
	f.Add(bytes.Repeat([]byte{'@'}, ProductInformationLength))
	f.Fuzz(func(t *testing.T, payload []byte) {
		p, ok := ParseProductInformation(payload)
		if ok != (len(payload) >= ProductInformationMinLength) {
			t.Fatalf("%d bytes: ok = %v", len(payload), ok)
		}
		if !ok {
			return
		}
		out := p.AppendPayload(nil)
		if len(out) != ProductInformationLength || !bytes.Equal(out[:4], payload[:4]) {
			t.Fatalf("% x re-encoded as % x", payload[:4], out[:4])
		}
		if len(payload) >= ProductInformationLength && !bytes.Equal(out[132:], payload[132:134]) {
			t.Fatalf("certification and load % x became % x", payload[132:134], out[132:])
		}
		for _, s := range []string{p.ModelID, p.SoftwareVersion, p.ModelVersion, p.ModelSerial} {
			if len(s) > 32 || (s != "" && s[len(s)-1] == ' ') {
				t.Fatalf("string %q is longer than its field or ends in a space", s)
			}
			for i := 0; i < len(s); i++ {
				if c := s[i]; c == 0x00 || c == 0xFF || c == '@' {
					t.Fatalf("string %q holds a terminator at %d", s, i)
				}
			}
		}
		back, ok := ParseProductInformation(out)
		if !ok || back != p {
			t.Fatalf("%+v came back as %+v", p, back)
		}
	})
}
