package vecan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/n2k"
)

func TestClientFrames(t *testing.T) {
	assert.Equal(t, cf(t, "1CEF5020#669901000201FFFF"), RequestFrame(tool, bms, RegAppVersion), "S2 p.21")
	assert.Equal(t, cf(t, "1CEF5020#669901009003F0FF"), RequestMaskFrame(tool, bms, 0x0391, 0xFFF0), "the id goes out masked")
	assert.Equal(t, cf(t, "1CEF5020#6699FF0F8813FFFF"), CommandFrame(tool, bms, RegSOC, 5000, 2))
	assert.Equal(t, cf(t, "1CEF5020#66994E0301FFFFFF"), CommandFrame(tool, bms, RegRelayControl, 1, 0), "size clamped to 1")
	assert.Equal(t, cf(t, "1CEF5020#6699900378563412"), CommandFrame(tool, bms, RegChargeVoltageLimit, 0x12345678, 9), "size clamped to 4")
}

func TestMatchReply(t *testing.T) {
	tests := []struct {
		name      string
		f         can.Frame
		reg       Register
		value     uint32
		ack       AckCode
		isAck, ok bool
	}{
		{"S2 p.21 reply", cf(t, "1CEFFF50#6699020100000401"), RegAppVersion, 0x01040000, 0, false, true},
		{"S2 p.21 NACK", cf(t, "1CEF2050#6699020002010080"), RegAppVersion, 0, AckErrReq, true, true},
		{"write acknowledged", AckFrame(bms, tool, RegSOC, AckOK), RegSOC, 0, AckOK, true, true},
		{"addressed value", VREG{Register: RegSOC, Value: 5000, Size: 2}.Frame(bms, tool), RegSOC, 0xFFFF1388, 0, false, true},
		{"other register", cf(t, "1CEFFF50#6699020100000401"), RegSOC, 0, 0, false, false},
		{"VACK for another register", cf(t, "1CEF2050#6699020002010080"), RegSOC, 0, 0, false, false},
		{"other node", cf(t, "1CEFFF51#6699020100000401"), RegAppVersion, 0, 0, false, false},
		{"other PGN", cf(t, "19F21450#001c0a0700ff70ff"), RegAppVersion, 0, 0, false, false},
		{"not Victron", cf(t, "1CEFFF50#1234020100000401"), RegAppVersion, 0, 0, false, false},
		{"short VACK", cf(t, "1CEF2050#669902000201"), RegAppVersion, 0, 0, false, false},
		{"11-bit", cf(t, "350#6699020100000401"), RegAppVersion, 0, 0, false, false},
		{"a request is no reply", RequestFrame(bms, tool, RegSOC), RegRequest, 0, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			value, ack, isAck, ok := MatchReply(tt.f, bms, tt.reg)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.isAck, isAck)
			assert.Equal(t, tt.ack, ack)
			assert.Equal(t, tt.value, value)
		})
	}
}

// A tool and a server talk: get, set, get.
func TestClientServerRoundTrip(t *testing.T) {
	st := newTestStore()
	st.values[RegBatteryParallel] = 0
	s := NewServer(LookupRegister, st)
	info, _ := LookupRegister(RegBatteryParallel)

	out := s.Handle(0, bms, CommandFrame(tool, bms, RegBatteryParallel, 3, info.Size()), nil)
	assert.Len(t, out, 1)
	value, _, isAck, ok := MatchReply(out[0], bms, RegBatteryParallel)
	assert.True(t, ok)
	assert.False(t, isAck, "a taken write is answered by the broadcast value")
	assert.Equal(t, uint32(3), value&info.mask())
	assert.Equal(t, n2k.Broadcast, n2k.ParseCANID(out[0].ID).Destination)

	out = s.Handle(0, bms, RequestFrame(tool, bms, RegBatteryParallel), nil)
	value, _, _, ok = MatchReply(out[0], bms, RegBatteryParallel)
	assert.True(t, ok)
	assert.Equal(t, "3", info.Format(value))
}
