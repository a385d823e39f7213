package n2k

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
)

func TestHeartbeatCanboatSamples(t *testing.T) {
	def := loadPGN(t, "126993-heartbeat.yaml")
	require.Equal(t, int(PGNHeartbeat), def.PGN)
	require.Equal(t, int(HeartbeatPriority), def.Priority)
	require.Equal(t, "Single", def.Type)
	require.NotEmpty(t, def.Samples)

	// A lookup field canboat prints as "~" is the 2-bit "not available".
	state := func(v any) string {
		if v == nil {
			return "Not Available"
		}
		return v.(string)
	}
	for _, s := range def.Samples {
		t.Run(s.Raw, func(t *testing.T) {
			fr := s.frame(t)
			h, err := ParseHeartbeat(fr)
			require.NoError(t, err)
			seconds := s.Expects["dataTransmitOffset"].(float64)
			assert.Equal(t, time.Duration(math.Round(seconds*1000))*time.Millisecond, h.TransmitOffset)
			assert.Equal(t, s.Expects["sequenceCounter"], int(h.Sequence))
			assert.Equal(t, state(s.Expects["controller1State"]), h.Controller1.String())
			assert.Equal(t, state(s.Expects["controller2State"]), h.Controller2.String())
			assert.Equal(t, state(s.Expects["equipmentStatus"]), h.Equipment.String())

			id := ParseCANID(fr.ID)
			again := h.Frame(id.Source)
			assert.Equal(t, fr.ID, again.ID)
			back, err := ParseHeartbeat(again)
			require.NoError(t, err)
			assert.Equal(t, h, back)
			// Fields byte for byte; bits 6-7 of byte 3 and bytes 4-7 are reserved, sent as 1s
			// (one sample has them 0).
			assert.Equal(t, fr.Data[:3], again.Data[:3])
			assert.Equal(t, fr.Data[3]&0x3F, again.Data[3]&0x3F)
			assert.Equal(t, []byte{0xFF, 0xFF, 0xFF, 0xFF}, again.Data[4:8])
			assert.Equal(t, byte(0xC0), again.Data[3]&0xC0)
		})
	}
}

func TestHeartbeatNew(t *testing.T) {
	f := NewHeartbeat(155).Frame(0x50)
	// The Furuno sample of S1 126993: 60 s, sequence 155, 0xCC.
	assert.Equal(t, can.Data{0x60, 0xEA, 155, 0xCC, 0xFF, 0xFF, 0xFF, 0xFF}, f.Data)
	assert.Equal(t, uint32(0x1DF01150), f.ID, "protocol.md §1.2 worked identifier")
	assert.True(t, f.IsExtended)
	assert.Equal(t, uint8(8), f.Length)
}

func TestHeartbeatOffsetEncoding(t *testing.T) {
	tests := []struct {
		name   string
		offset time.Duration
		raw    uint16
		back   time.Duration
	}{
		{"zero: transmit immediately", 0, 0, 0},
		{"60 s", time.Minute, 60000, time.Minute},
		{"rounded to the millisecond", 1499 * time.Microsecond, 1, time.Millisecond},
		{"largest value", 65533 * time.Millisecond, 0xFFFD, 65533 * time.Millisecond},
		{"saturates", time.Hour, 0xFFFD, 65533 * time.Millisecond},
		{"not available", HeartbeatOffsetNotAvailable, 0xFFFF, HeartbeatOffsetNotAvailable},
		{"negative: not available", -time.Second, 0xFFFF, HeartbeatOffsetNotAvailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Heartbeat{TransmitOffset: tt.offset}.Frame(1)
			assert.Equal(t, tt.raw, uint16(f.Data[0])|uint16(f.Data[1])<<8)
			h, err := ParseHeartbeat(f)
			require.NoError(t, err)
			assert.Equal(t, tt.back, h.TransmitOffset)
		})
	}
	f := Heartbeat{}.Frame(1)
	f.Data[0], f.Data[1] = 0xFE, 0xFF // error value
	h, err := ParseHeartbeat(f)
	require.NoError(t, err)
	assert.Equal(t, HeartbeatOffsetNotAvailable, h.TransmitOffset)
}

func TestHeartbeatStatusBits(t *testing.T) {
	h := Heartbeat{Controller1: ControllerBusOff, Controller2: ControllerErrorPassive, Equipment: EquipmentFault}
	f := h.Frame(1)
	assert.Equal(t, byte(0xC0|2|1<<2|1<<4), f.Data[3])
	back, err := ParseHeartbeat(f)
	require.NoError(t, err)
	assert.Equal(t, h, back)
}

func TestHeartbeatRefuses(t *testing.T) {
	f := NewHeartbeat(0).Frame(1)
	f.Length = 7
	_, err := ParseHeartbeat(f)
	assert.ErrorIs(t, err, ErrLength)
	_, err = ParseHeartbeat(Request{}.Frame(1, 2))
	assert.ErrorIs(t, err, ErrWrongPGN)
}

func TestNextHeartbeatSequence(t *testing.T) {
	assert.Equal(t, uint8(1), NextHeartbeatSequence(0))
	assert.Equal(t, uint8(252), NextHeartbeatSequence(251))
	assert.Equal(t, uint8(0), NextHeartbeatSequence(252))
	assert.Equal(t, uint8(0), NextHeartbeatSequence(255))
}

func TestHeartbeatStateNames(t *testing.T) {
	assert.Equal(t, "Error Active", ControllerErrorActive.String())
	assert.Equal(t, "Error Passive", ControllerErrorPassive.String())
	assert.Equal(t, "Bus Off", ControllerBusOff.String())
	assert.Equal(t, "ControllerState(7)", ControllerState(7).String())
	assert.Equal(t, "Operational", EquipmentOperational.String())
	assert.Equal(t, "Fault", EquipmentFault.String())
	assert.Equal(t, "EquipmentStatus(2)", EquipmentStatus(2).String())
}
