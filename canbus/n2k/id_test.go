package n2k

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The worked identifiers of protocol.md §1.2, all from source 0x50; 0x1CEFFF50 and 0x1CEF5020
// stand verbatim in S2 p.21.
func TestCANIDWorkedExamples(t *testing.T) {
	tests := []struct {
		name string
		id   ID
		can  uint32
	}{
		{"127508 battery status", ID{Priority: 6, PGN: 127508, Source: 0x50, Destination: Broadcast}, 0x19F21450},
		{"127506 DC detailed status", ID{Priority: 6, PGN: 127506, Source: 0x50, Destination: Broadcast}, 0x19F21250},
		{"126996 product information", ID{Priority: 6, PGN: 126996, Source: 0x50, Destination: Broadcast}, 0x19F01450},
		{"60928 address claim", ID{Priority: 6, PGN: 60928, Source: 0x50, Destination: Broadcast}, 0x18EEFF50},
		{"61184 VREG broadcast", ID{Priority: 7, PGN: 61184, Source: 0x50, Destination: Broadcast}, 0x1CEFFF50},
		{"61184 VREG request to 0x50 from 0x20", ID{Priority: 7, PGN: 61184, Source: 0x20, Destination: 0x50}, 0x1CEF5020},
		{"126720 VREG fast packet", ID{Priority: 7, PGN: 126720, Source: 0x50, Destination: 0x20}, 0x1DEF2050},
		{"126993 heartbeat", ID{Priority: 7, PGN: 126993, Source: 0x50, Destination: Broadcast}, 0x1DF01150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.can, tt.id.CANID(), "encode: got %08X", tt.id.CANID())
			assert.Equal(t, tt.id, ParseCANID(tt.can))
		})
	}
}

func TestPDU1(t *testing.T) {
	assert.True(t, PGN(61184).PDU1())   // 0xEF00
	assert.True(t, PGN(59904).PDU1())   // 0xEA00
	assert.True(t, PGN(60928).PDU1())   // 0xEE00: PF 238, addressed (to 255 when broadcast)
	assert.False(t, PGN(127508).PDU1()) // 0x1F214
}
