package batbus

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
)

func TestRoundTrips(t *testing.T) {
	a := Announce{Chemistry: ChemistryLFP, Model: 3, Cells: 8, CapacityAh: 280, Serial: 1746_0001, FromAddress: Unassigned}
	gotA, err := ParseAnnounce(a.Frame())
	require.NoError(t, err)
	assert.Equal(t, a, gotA)
	assert.Equal(t, uint32(0x0B101FF), a.Frame().ID)

	as := Assign{Serial: 42, Address: 3}
	gotAs, err := ParseAssign(as.Frame())
	require.NoError(t, err)
	assert.Equal(t, as, gotAs)

	s := Status{Address: 3, Millivolts: 26_670, Deciamps: -123, SOCHundredths: 6012}
	gotS, err := ParseStatus(s.Frame())
	require.NoError(t, err)
	assert.Equal(t, s, gotS)

	c := Cells{Address: 3, MinMillivolts: 3301, MaxMillivolts: 3342, MinDeciCelsius: -52, MaxDeciCelsius: 251}
	gotC, err := ParseCells(c.Frame())
	require.NoError(t, err)
	assert.Equal(t, c, gotC)
}

func TestRejects(t *testing.T) {
	tests := []struct {
		name  string
		frame can.Frame
		parse func(can.Frame) error
		want  string
	}{
		{"status as cells", Status{Address: 1}.Frame(), func(f can.Frame) error { _, err := ParseCells(f); return err }, "not message 0x11"},
		{"short frame", func() can.Frame { f := Cells{Address: 1}.Frame(); f.Length = 4; return f }(), func(f can.Frame) error { _, err := ParseCells(f); return err }, "4 data bytes"},
		{"65 V cell", Cells{Address: 2, MinMillivolts: 3000, MaxMillivolts: 65000}.Frame(), func(f can.Frame) error { _, err := ParseCells(f); return err }, "impossible"},
		{"-300 °C", Cells{Address: 2, MinMillivolts: 3000, MaxMillivolts: 3000, MinDeciCelsius: -3000}.Frame(), func(f can.Frame) error { _, err := ParseCells(f); return err }, "impossible"},
		{"SOC above 100 %", Status{Address: 2, SOCHundredths: 10001}.Frame(), func(f can.Frame) error { _, err := ParseStatus(f); return err }, "above 100"},
		{"address 0 assigned", Assign{Serial: 1, Address: 0}.Frame(), func(f can.Frame) error { _, err := ParseAssign(f); return err }, "outside 1 to 64"},
		{"zero cells", Announce{Cells: 0, CapacityAh: 10}.Frame(), func(f can.Frame) error { _, err := ParseAnnounce(f); return err }, "impossible"},
		{"standard frame", can.Frame{ID: 0x351, Length: 8}, func(f can.Frame) error { _, err := ParseStatus(f); return err }, "not message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(tt.frame)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
