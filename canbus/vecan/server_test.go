package vecan

import (
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/n2k"
)

// cf reads a frame in cansend notation, "1CEF5020#669901000201FFFF" (29-bit id when it has more
// than three hex digits).
func cf(t testing.TB, s string) can.Frame {
	t.Helper()
	id, data, ok := strings.Cut(s, "#")
	require.True(t, ok, s)
	u, err := strconv.ParseUint(id, 16, 32)
	require.NoError(t, err, s)
	b, err := hex.DecodeString(data)
	require.NoError(t, err, s)
	require.LessOrEqual(t, len(b), 8, s)
	f := can.Frame{ID: uint32(u), IsExtended: len(id) > 3, Length: uint8(len(b))}
	copy(f.Data[:], b)
	return f
}

// testStore is a Store and LongStore backed by maps; it records the writes it is asked for.
type testStore struct {
	values map[Register]uint32
	long   map[Register][]byte
	refuse AckCode // returned by Set and SetLong when not AckOK
	sets   []Register
}

func newTestStore() *testStore {
	return &testStore{values: map[Register]uint32{}, long: map[Register][]byte{}}
}

func (s *testStore) Get(reg Register) (uint32, bool) {
	v, ok := s.values[reg]
	return v, ok
}

func (s *testStore) Set(_ time.Duration, reg Register, raw uint32) AckCode {
	s.sets = append(s.sets, reg)
	if s.refuse != AckOK {
		return s.refuse
	}
	s.values[reg] = raw
	return AckOK
}

func (s *testStore) GetLong(reg Register, dst []byte) ([]byte, bool) {
	v, ok := s.long[reg]
	if !ok {
		return dst, false
	}
	return append(dst, v...), true
}

func (s *testStore) SetLong(_ time.Duration, reg Register, value []byte) AckCode {
	s.sets = append(s.sets, reg)
	if s.refuse != AckOK {
		return s.refuse
	}
	s.long[reg] = append([]byte(nil), value...)
	return AckOK
}

// getOnly is a Store without LongStore.
type getOnly struct{ s *testStore }

func (g getOnly) Get(reg Register) (uint32, bool) { return g.s.Get(reg) }
func (g getOnly) Set(now time.Duration, reg Register, raw uint32) AckCode {
	return g.s.Set(now, reg, raw)
}

const (
	bms  uint8 = 0x50 // the Master LV's default address (S2 p.11)
	tool uint8 = 0x20 // the requester of S2 p.21
)

// S2 p.21, byte for byte: the request, the broadcast reply of a device with firmware 1.04, and
// the VACK 0x8000 of a device without register 0x0102.
func TestServerS2Examples(t *testing.T) {
	req := cf(t, "1CEF5020#669901000201FFFF")
	assert.Equal(t, req, RequestFrame(tool, bms, RegAppVersion), "RequestFrame builds S2's request")

	st := newTestStore()
	st.values[RegAppVersion] = PackAppVersion(0, 0x010400)
	out := NewServer(LookupRegister, st).Handle(0, bms, req, nil)
	require.Len(t, out, 1)
	assert.Equal(t, cf(t, "1CEFFF50#6699020100000401"), out[0])

	out = NewServer(LookupRegister, newTestStore()).Handle(0, bms, req, nil)
	require.Len(t, out, 1)
	assert.Equal(t, cf(t, "1CEF2050#6699020002010080"), out[0])
}

func TestServerHandle(t *testing.T) {
	soc := func(raw uint32) can.Frame {
		return VREG{Register: RegSOC, Value: raw, Size: 2}.FramePadded(bms, n2k.Broadcast, PadBroadcast)
	}
	nack := func(reg Register, code AckCode) can.Frame { return AckFrame(bms, tool, reg, code) }
	tests := []struct {
		name    string
		in      can.Frame
		want    []can.Frame
		written map[Register]uint32 // store values after the frame; nil: unchanged
		stat    func(ServerStats) uint64
	}{
		{name: "request SOC", in: RequestFrame(tool, bms, RegSOC), want: []can.Frame{soc(8765)},
			stat: func(s ServerStats) uint64 { return s.Requests }},
		{name: "request a register the device does not hold", in: RequestFrame(tool, bms, RegTTG),
			want: []can.Frame{nack(RegTTG, AckErrReq)}, stat: func(s ServerStats) uint64 { return s.RefusedUnknownRequest }},
		{name: "request a register not in the table", in: RequestFrame(tool, bms, 0x4242),
			want: []can.Frame{nack(0x4242, AckErrReq)}, stat: func(s ServerStats) uint64 { return s.RefusedUnknownRequest }},
		{name: "write SOC 50 %", in: CommandFrame(tool, bms, RegSOC, 5000, 2), want: []can.Frame{soc(5000)},
			written: map[Register]uint32{RegSOC: 5000}, stat: func(s ServerStats) uint64 { return s.Writes }},
		{name: "write SOC 100.01 % is out of range", in: CommandFrame(tool, bms, RegSOC, 10001, 2),
			want: []can.Frame{nack(RegSOC, AckErrCmd)}, stat: func(s ServerStats) uint64 { return s.RefusedRange }},
		{name: "write SOC not-available is out of range", in: CommandFrame(tool, bms, RegSOC, 0xFFFF, 2),
			want: []can.Frame{nack(RegSOC, AckErrCmd)}, stat: func(s ServerStats) uint64 { return s.RefusedRange }},
		{name: "write sync group 4 is out of range (S2 p.20: 0-3)", in: CommandFrame(tool, bms, RegLynxIonSyncGroup, 4, 1),
			want: []can.Frame{nack(RegLynxIonSyncGroup, AckErrCmd)}, stat: func(s ServerStats) uint64 { return s.RefusedRange }},
		{name: "write 96 batteries in series", in: CommandFrame(tool, bms, RegBatterySeries, 96, 1),
			want:    []can.Frame{VREG{Register: RegBatterySeries, Value: 96, Size: 1}.FramePadded(bms, n2k.Broadcast, PadBroadcast)},
			written: map[Register]uint32{RegBatterySeries: 96}, stat: func(s ServerStats) uint64 { return s.Writes }},
		{name: "write an unknown register", in: CommandFrame(tool, bms, 0x4242, 1, 1),
			want: []can.Frame{nack(0x4242, AckErrCmd)}, stat: func(s ServerStats) uint64 { return s.RefusedUnknown }},
		{name: "write the read-only state", in: CommandFrame(tool, bms, RegLynxIonState, 9, 1),
			want: []can.Frame{nack(RegLynxIonState, AckErrCmd)}, stat: func(s ServerStats) uint64 { return s.RefusedReadOnly }},
		{name: "write SOC with one value byte", in: cf(t, "1CEF5020#6699FF0F10"),
			want: []can.Frame{nack(RegSOC, AckInvalid)}, stat: func(s ServerStats) uint64 { return s.RefusedFormat }},
		{name: "write the device name by single frame", in: CommandFrame(tool, bms, RegDescription1, 0x41, 1),
			want: []can.Frame{nack(RegDescription1, AckInvalid)}, stat: func(s ServerStats) uint64 { return s.RefusedFormat }},
		{name: "broadcast write of SOC is ignored (1.09-15)", in: CommandFrame(tool, n2k.Broadcast, RegSOC, 5000, 2),
			stat: func(s ServerStats) uint64 { return s.IgnoredBroadcast }},
		{name: "broadcast request is ignored", in: RequestFrame(tool, n2k.Broadcast, RegSOC),
			stat: func(s ServerStats) uint64 { return s.IgnoredBroadcast }},
		{name: "another master's SOC broadcast is ignored", in: soc(1234),
			stat: func(s ServerStats) uint64 { return s.IgnoredBroadcast }},
		{name: "request to another node is ignored", in: RequestFrame(tool, 0x51, RegSOC),
			stat: func(s ServerStats) uint64 { return s.IgnoredOtherNode }},
		{name: "write to another node is ignored", in: CommandFrame(tool, 0x51, RegSOC, 5000, 2),
			stat: func(s ServerStats) uint64 { return s.IgnoredOtherNode }},
		{name: "a VACK to us is never answered", in: AckFrame(tool, bms, RegSOC, AckErrCmd),
			stat: func(s ServerStats) uint64 { return s.IgnoredAck }},
		{name: "request without its mask is ignored", in: cf(t, "1CEF5020#66990100FF0F"),
			stat: func(s ServerStats) uint64 { return s.IgnoredMalformed }},
		{name: "request from the null address is ignored", in: RequestFrame(n2k.NullSource, bms, RegSOC),
			stat: func(s ServerStats) uint64 { return s.IgnoredMalformed }},
		{name: "other manufacturer on 61184 is ignored", in: cf(t, "1CEF5020#1234FF0F00000000"),
			stat: func(s ServerStats) uint64 { return s.IgnoredNotVictron }},
		{name: "11-bit frame is ignored (1.16-01)", in: cf(t, "351#669901000201FFFF"),
			stat: func(s ServerStats) uint64 { return s.IgnoredNotVREG }},
		{name: "other PGN is ignored", in: cf(t, "18EA5020#00EE00"),
			stat: func(s ServerStats) uint64 { return s.IgnoredNotVREG }},
		{name: "remote frame is ignored", in: func() can.Frame { f := RequestFrame(tool, bms, RegSOC); f.IsRemote = true; return f }(),
			stat: func(s ServerStats) uint64 { return s.IgnoredNotVREG }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newTestStore()
			st.values[RegSOC] = 8765
			st.values[RegLynxIonState] = 9
			st.values[RegLynxIonSyncGroup] = 0
			st.values[RegBatterySeries] = 0
			before := map[Register]uint32{}
			for k, v := range st.values {
				before[k] = v
			}
			s := NewServer(LookupRegister, st)
			got := s.Handle(time.Second, bms, tt.in, nil)
			assert.Equal(t, tt.want, got)
			assert.Empty(t, s.LongReplies())
			want := before
			for k, v := range tt.written {
				want[k] = v
			}
			assert.Equal(t, want, st.values, "store values")
			if tt.written == nil {
				assert.Empty(t, st.sets, "Set is not called")
			}
			assert.Equal(t, uint64(1), tt.stat(s.Stats()), "%+v", s.Stats())
			assert.Equal(t, uint64(1), s.Stats().Ignored()+s.Stats().Refused()+s.Stats().Requests+s.Stats().Writes,
				"each frame is counted once")
		})
	}
}

// A write the store refuses goes back with the store's code; a write it takes is broadcast and,
// only with AckOnSuccess, acknowledged as well.
func TestServerWriteResults(t *testing.T) {
	st := newTestStore()
	st.values[RegRelayControl] = 0
	st.refuse = AckBusy
	s := NewServer(LookupRegister, st)
	out := s.Handle(0, bms, CommandFrame(tool, bms, RegRelayControl, 1, 1), nil)
	assert.Equal(t, []can.Frame{AckFrame(bms, tool, RegRelayControl, AckBusy)}, out)
	assert.Equal(t, uint32(0), st.values[RegRelayControl])
	assert.Equal(t, uint64(1), s.Stats().RefusedByStore)

	st.refuse = AckOK
	s.AckOnSuccess = true
	s.Padding = PadReserved
	out = s.Handle(0, bms, CommandFrame(tool, bms, RegRelayControl, 1, 1), nil)
	assert.Equal(t, []can.Frame{
		cf(t, "1CEFFF50#66994E0301FFFFFF"),
		AckFrame(bms, tool, RegRelayControl, AckOK),
	}, out)
}

// Firmware before 1.09 does not take SOC writes (changelog 1.09-07): the command is refused as
// read-only; 1.09 takes it.
func TestServerFirmwareTable(t *testing.T) {
	for _, tt := range []struct {
		fw   string
		want AckCode
	}{{"1.08", AckErrCmd}, {"1.09", AckOK}} {
		st := newTestStore()
		st.values[RegSOC] = 8765
		s := NewServer(TableFor(mustVersion(t, tt.fw)), st)
		out := s.Handle(0, bms, CommandFrame(tool, bms, RegSOC, 5000, 2), nil)
		require.Len(t, out, 1, tt.fw)
		_, code, isAck, ok := MatchReply(out[0], bms, RegSOC)
		require.True(t, ok, tt.fw)
		assert.Equal(t, tt.want != AckOK, isAck, tt.fw)
		assert.Equal(t, tt.want, code, tt.fw)
	}
}

// A mask other than 0xFFFF asks for every register with id & mask == reqReg (S7 veRegProdSfReq).
func TestServerRequestMask(t *testing.T) {
	st := newTestStore()
	for _, r := range []Register{RegChargeVoltageLimit, RegChargeCurrentLimit, RegDischargeCurrentLimit, RegSOC, RegBatteryConfiguration} {
		st.values[r] = 1
	}
	s := NewServer(LookupRegister, st)

	// 0x039x: the four limits of the table that the store holds (0x0392 it does not).
	out := s.Handle(0, bms, RequestMaskFrame(tool, bms, 0x0390, 0xFFF0), nil)
	var regs []Register
	for _, f := range out {
		v, ok := ParseVREG(f)
		require.True(t, ok)
		assert.Equal(t, uint32(0xEFFF50), f.ID&0xFFFFFF, "broadcast from us")
		regs = append(regs, v.Register)
	}
	assert.Equal(t, []Register{RegChargeVoltageLimit, RegChargeCurrentLimit, RegDischargeCurrentLimit}, regs)

	// A reqReg with bits outside the mask matches nothing, as in velib: VACK 0x8000.
	bad := VREG{Register: RegRequest, Value: 0x0391 | 0xFFF0<<16, Size: 4}.Frame(tool, bms)
	assert.Equal(t, []can.Frame{AckFrame(bms, tool, 0x0391, AckErrReq)}, s.Handle(0, bms, bad, nil))

	// Mask 0: everything the store holds, in id order.
	out = s.Handle(0, bms, RequestMaskFrame(tool, bms, 0, 0), nil)
	assert.Len(t, out, 5)
}

// String registers answer with a fast-packet payload on PGN 126720; their writes come that way.
func TestServerLongRegisters(t *testing.T) {
	st := newTestStore()
	st.long[RegSerialNumber] = []byte("17380123\x00")
	s := NewServer(LookupRegister, st)
	out := s.Handle(0, bms, RequestFrame(tool, bms, RegSerialNumber), nil)
	assert.Empty(t, out)
	require.Len(t, s.LongReplies(), 1)
	assert.Equal(t, LongReply{Destination: n2k.Broadcast, Payload: []byte("\x66\x99\x0a\x0117380123\x00")}, s.LongReplies()[0])

	// No model name held: VACK 0x8000, no long reply.
	out = s.Handle(0, bms, RequestFrame(tool, bms, RegModelName), nil)
	assert.Equal(t, []can.Frame{AckFrame(bms, tool, RegModelName, AckErrReq)}, out)
	assert.Empty(t, s.LongReplies())

	// The device name, written by fast packet (changelog 1.32-01).
	id := n2k.ID{Priority: VREGPriority, PGN: PGNVREGLong, Source: tool, Destination: bms}
	name := []byte("Port bank\x00")
	out = s.HandleLong(0, bms, id, AppendLongPayload(nil, RegDescription1, name), nil)
	assert.Empty(t, out)
	require.Len(t, s.LongReplies(), 1)
	assert.Equal(t, AppendLongPayload(nil, RegDescription1, name), s.LongReplies()[0].Payload)
	assert.Equal(t, name, st.long[RegDescription1])

	// Too long, read-only, broadcast, and by the old firmware.
	long := make([]byte, 66)
	assert.Equal(t, []can.Frame{AckFrame(bms, tool, RegDescription1, AckInvalid)},
		s.HandleLong(0, bms, id, AppendLongPayload(nil, RegDescription1, long), nil))
	assert.Equal(t, []can.Frame{AckFrame(bms, tool, RegModelName, AckErrCmd)},
		s.HandleLong(0, bms, id, AppendLongPayload(nil, RegModelName, name), nil))
	bc := id
	bc.Destination = n2k.Broadcast
	assert.Empty(t, s.HandleLong(0, bms, bc, AppendLongPayload(nil, RegDescription1, name), nil))
	old := NewServer(TableFor(mustVersion(t, "1.31")), st)
	assert.Equal(t, []can.Frame{AckFrame(bms, tool, RegDescription1, AckErrCmd)},
		old.HandleLong(0, bms, id, AppendLongPayload(nil, RegDescription1, name), nil))

	// A store without LongStore holds no String register.
	plain := NewServer(LookupRegister, getOnly{st})
	assert.Equal(t, []can.Frame{AckFrame(bms, tool, RegSerialNumber, AckErrReq)},
		plain.Handle(0, bms, RequestFrame(tool, bms, RegSerialNumber), nil))
}

// Without an address the server says nothing.
func TestServerWithoutAddress(t *testing.T) {
	st := newTestStore()
	st.values[RegSOC] = 1
	s := NewServer(LookupRegister, st)
	assert.Empty(t, s.Handle(0, n2k.NullSource, RequestFrame(tool, n2k.NullSource, RegSOC), nil))
	assert.Equal(t, uint64(1), s.Stats().IgnoredNoAddress)
}

func TestAckCodeString(t *testing.T) {
	assert.Equal(t, "0x8000 ERR_REQ", AckErrReq.String())
	assert.Equal(t, "0xC001", AckCode(0xC001).String())
	assert.True(t, AckInitializing.IsError())
	assert.False(t, AckOK.IsError())
}

// oddLongStore answers GetLong with a slice that is not dst grown.
type oddLongStore struct{ *testStore }

func (oddLongStore) GetLong(Register, []byte) ([]byte, bool) { return nil, true }

// A store that breaks the GetLong contract gets no reply out, and no panic.
func TestServerOddLongStore(t *testing.T) {
	s := NewServer(LookupRegister, oddLongStore{newTestStore()})
	out := s.Handle(0, bms, RequestFrame(tool, bms, RegSerialNumber), nil)
	assert.Equal(t, []can.Frame{AckFrame(bms, tool, RegSerialNumber, AckErrReq)}, out)
	assert.Empty(t, s.LongReplies())
}

// A group request over long registers: each payload stays intact while the buffer grows.
func TestServerGroupOfLongRegisters(t *testing.T) {
	st := newTestStore()
	st.long[RegSerialNumber] = []byte("17380123\x00")
	st.long[RegModelName] = append([]byte(strings.Repeat("M", 64)), 0, 0, 0) // cut to 65 bytes
	st.long[RegDescription1] = []byte("Port\x00")
	s := NewServer(LookupRegister, st)
	out := s.Handle(0, bms, RequestMaskFrame(tool, bms, 0x0108, 0xFFF8), nil) // 0x0108-0x010F
	assert.Empty(t, out)
	require.Len(t, s.LongReplies(), 3)
	assert.Equal(t, AppendLongPayload(nil, RegSerialNumber, st.long[RegSerialNumber]), s.LongReplies()[0].Payload)
	assert.Equal(t, AppendLongPayload(nil, RegModelName, st.long[RegModelName][:65]), s.LongReplies()[1].Payload)
	assert.Equal(t, AppendLongPayload(nil, RegDescription1, st.long[RegDescription1]), s.LongReplies()[2].Payload)
}
