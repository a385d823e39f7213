package n2k

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
)

func TestRequestCanboatSamples(t *testing.T) {
	def := loadPGN(t, "059904-isoRequest.yaml")
	require.Equal(t, int(PGNRequest), def.PGN)
	require.Equal(t, int(RequestPriority), def.Priority)
	require.NotEmpty(t, def.Samples)
	for _, s := range def.Samples {
		t.Run(s.Raw, func(t *testing.T) {
			fr := s.frame(t)
			r, err := ParseRequest(fr)
			require.NoError(t, err)
			assert.Equal(t, PGN(s.Expects["pgn"].(int)), r.PGN)

			id := ParseCANID(fr.ID)
			again := r.Frame(id.Source, id.Destination)
			assert.Equal(t, fr.ID, again.ID)
			assert.Equal(t, uint8(3), again.Length, "no padding (protocol.md §2.6)")
			assert.Equal(t, fr.Data[:3], again.Data[:3])
			if fr.Length == 3 {
				assert.Equal(t, fr, again)
			}
		})
	}
}

func TestAckCanboatSamples(t *testing.T) {
	def := loadPGN(t, "059392-isoAcknowledgement.yaml")
	require.Equal(t, int(PGNAcknowledgement), def.PGN)
	require.Equal(t, int(AcknowledgementPriority), def.Priority)
	require.NotEmpty(t, def.Samples)
	for _, s := range def.Samples {
		t.Run(s.Raw, func(t *testing.T) {
			fr := s.frame(t)
			a, err := ParseAck(fr)
			require.NoError(t, err)
			assert.Equal(t, s.Expects["control"], a.Control.String())
			gf, present := s.Expects["groupFunction"]
			require.True(t, present)
			if gf == nil {
				assert.Equal(t, GroupFunctionNotAvailable, a.GroupFunction)
			} else {
				assert.Equal(t, gf, int(a.GroupFunction))
			}
			assert.Equal(t, PGN(s.Expects["pgn"].(int)), a.PGN)

			id := ParseCANID(fr.ID)
			assert.Equal(t, fr, a.Frame(id.Source, id.Destination), "re-encoded byte for byte")
		})
	}
}

// protocol.md §2.6 quotes the first sample: a NAK for PGN 65332.
func TestAckProtocolNAKSample(t *testing.T) {
	f := Ack{Control: NAK, GroupFunction: GroupFunctionNotAvailable, PGN: 65332}.Frame(14, 12)
	assert.Equal(t, can.Data{0x01, 0xff, 0xff, 0xff, 0xff, 0x34, 0xff, 0x00}, f.Data)
	assert.Equal(t, uint8(8), f.Length)
	assert.Equal(t, ID{Priority: 6, PGN: PGNAcknowledgement, Source: 14, Destination: 12}, ParseCANID(f.ID))
}

func TestParseRequestRefuses(t *testing.T) {
	good := Request{PGN: 126996}.Frame(0x20, 0x50)
	tests := []struct {
		name string
		edit func(*can.Frame)
		want error
	}{
		{"standard identifier", func(f *can.Frame) { f.IsExtended = false }, ErrNotData},
		{"remote frame", func(f *can.Frame) { f.IsRemote = true }, ErrNotData},
		{"identifier above 29 bits", func(f *can.Frame) { f.ID |= 1 << 29 }, ErrNotData},
		{"other PGN", func(f *can.Frame) { f.ID = ID{Priority: 6, PGN: 59392, Source: 1, Destination: 2}.CANID() }, ErrWrongPGN},
		{"2 bytes", func(f *can.Frame) { f.Length = 2 }, ErrLength},
		{"0 bytes", func(f *can.Frame) { f.Length = 0 }, ErrLength},
		{"9 bytes, impossible", func(f *can.Frame) { f.Length = 9 }, ErrLength},
		{"PGN above 18 bits", func(f *can.Frame) { f.Data[2] = 0x04 }, ErrPGNRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := good
			tt.edit(&f)
			_, err := ParseRequest(f)
			assert.ErrorIs(t, err, tt.want)
		})
	}
	for n := uint8(3); n <= 8; n++ {
		f := good
		f.Length = n
		r, err := ParseRequest(f)
		require.NoError(t, err, "length %d", n)
		assert.Equal(t, PGN(126996), r.PGN)
	}
}

func TestParseAckRefuses(t *testing.T) {
	good := Ack{Control: AccessDenied, GroupFunction: 0xFF, PGN: 130313}.Frame(5, 1)
	tests := []struct {
		name string
		edit func(*can.Frame)
		want error
	}{
		{"standard identifier", func(f *can.Frame) { f.IsExtended = false }, ErrNotData},
		{"other PGN", func(f *can.Frame) { f.ID = Request{}.Frame(1, 2).ID }, ErrWrongPGN},
		{"7 bytes", func(f *can.Frame) { f.Length = 7 }, ErrLength},
		{"PGN above 18 bits", func(f *can.Frame) { f.Data[7] = 0xFF }, ErrPGNRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := good
			tt.edit(&f)
			_, err := ParseAck(f)
			assert.ErrorIs(t, err, tt.want)
		})
	}
	a, err := ParseAck(good)
	require.NoError(t, err)
	assert.Equal(t, Ack{Control: AccessDenied, GroupFunction: 0xFF, PGN: 130313}, a)
}

func TestAckControlNames(t *testing.T) {
	for c, name := range map[AckControl]string{ACK: "ACK", NAK: "NAK", AccessDenied: "Access Denied",
		AddressBusy: "Address Busy", 9: "AckControl(9)"} {
		assert.Equal(t, name, c.String())
	}
}

func TestAnswerRequest(t *testing.T) {
	const self, requester = 0x50, 0x20
	serves := func(p PGN) bool { return p == 126996 || p == 127506 }
	tests := []struct {
		name   string
		frame  can.Frame
		action RequestAction
		nakTo  uint8
	}{
		{"served, addressed", Request{PGN: 126996}.Frame(requester, self), RequestServe, 0},
		{"served, broadcast", Request{PGN: 127506}.Frame(requester, Broadcast), RequestServe, 0},
		{"not served, addressed: NAK", Request{PGN: 126998}.Frame(requester, self), RequestNAK, requester},
		{"not served, broadcast: silence", Request{PGN: 126998}.Frame(requester, Broadcast), RequestIgnore, 0},
		{"for another node", Request{PGN: 126996}.Frame(requester, 0x51), RequestIgnore, 0},
		{"60928 is the Claimer's", Request{PGN: PGNAddressClaim}.Frame(requester, self), RequestIgnore, 0},
		{"not served, from the null address: NAK to everyone", Request{PGN: 126998}.Frame(NullSource, self), RequestNAK, Broadcast},
		{"not a request", Ack{PGN: 126996}.Frame(requester, self), RequestIgnore, 0},
		{"short request", func() can.Frame { f := Request{PGN: 126996}.Frame(requester, self); f.Length = 2; return f }(), RequestIgnore, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, action, nak := AnswerRequest(tt.frame, self, serves)
			assert.Equal(t, tt.action, action, "got %v", action)
			if action == RequestIgnore && tt.frame.Length < 3 {
				return
			}
			if action != RequestNAK {
				assert.Equal(t, can.Frame{}, nak)
				return
			}
			a, err := ParseAck(nak)
			require.NoError(t, err)
			assert.Equal(t, Ack{Control: NAK, GroupFunction: 0xFF, PGN: in.PGN}, a)
			assert.Equal(t, ID{Priority: 6, PGN: PGNAcknowledgement, Source: self, Destination: tt.nakTo}, ParseCANID(nak.ID))
		})
	}

	in, _, _ := AnswerRequest(Request{PGN: 126996}.Frame(requester, Broadcast), self, serves)
	assert.Equal(t, IncomingRequest{Request: Request{PGN: 126996}, From: requester, Destination: Broadcast}, in)
	assert.True(t, in.Broadcast())
	assert.Equal(t, uint8(requester), in.ReplyTo())

	// Without an address a node answers nothing but its claim.
	_, action, _ := AnswerRequest(Request{PGN: 126998}.Frame(requester, Broadcast), NullSource, serves)
	assert.Equal(t, RequestIgnore, action)
	called := false
	_, action, _ = AnswerRequest(Request{PGN: 126996}.Frame(requester, 0x51), self, func(PGN) bool { called = true; return true })
	assert.Equal(t, RequestIgnore, action)
	assert.False(t, called, "served is asked only about requests for the node")
}

func TestAnswerRequestZeroAlloc(t *testing.T) {
	served := map[PGN]bool{126996: true}
	req := Request{PGN: 126998}.Frame(0x20, 0x50)
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		_, action, nak := AnswerRequest(req, 0x50, func(p PGN) bool { return served[p] })
		if action != RequestNAK || nak.Length != 8 {
			t.Fatal("no NAK")
		}
	}))
}
