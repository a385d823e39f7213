package bmscan

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
	"go.einride.tech/can/pkg/dbc"

	"github.com/lynxsim/lynxsim/internal/dbcfile"
)

const dbcPath = "testdata/mg_master_lv.dbc"

// loadDBC parses the DBC and checks the frame format of every message.
func loadDBC(t *testing.T) *dbcfile.File {
	t.Helper()
	f, err := dbcfile.Load(filepath.FromSlash(dbcPath))
	require.NoError(t, err)
	for _, m := range f.Messages {
		require.False(t, m.MessageID.IsExtended(), "%s: every frame is 11-bit (S2 p.3)", m.Name)
	}
	return f
}

// TestDBCMatchesSpecs compares every message and signal of the DBC with the Go signal table, in
// both directions: nothing in one is missing from the other, and every field is equal.
func TestDBCMatchesSpecs(t *testing.T) {
	file := loadDBC(t)
	specs := Specs()
	require.Len(t, file.Messages, len(specs), "the DBC and the Go table describe different frame sets")
	for _, spec := range specs {
		msg, ok := file.Messages[spec.ID]
		require.True(t, ok, "0x%03X %s is not in the DBC", spec.ID, spec.Name)
		t.Run(spec.Name, func(t *testing.T) {
			assert.Equal(t, spec.Name, string(msg.Name))
			assert.Equal(t, uint64(spec.Length), msg.Size, "DLC")
			assert.Equal(t, "MasterLV", string(msg.Transmitter))
			assert.Equal(t, Interval.Milliseconds(), file.Cycle[spec.ID], "GenMsgCycleTime (S2: 500 ms)")
			require.Len(t, msg.Signals, len(spec.Signals), "signal count")
			for i, s := range spec.Signals {
				d := msg.Signals[i]
				assert.Equal(t, s.Name, string(d.Name), "signal %d name", i)
				assert.Equal(t, uint64(s.Start), d.StartBit, "%s start bit", s.Name)
				assert.Equal(t, uint64(s.Length), d.Size, "%s length", s.Name)
				assert.Equal(t, s.BigEndian, d.IsBigEndian, "%s byte order", s.Name)
				assert.Equal(t, s.Signed, d.IsSigned, "%s signedness", s.Name)
				assert.Equal(t, s.Scale, d.Factor, "%s scale", s.Name)
				assert.Equal(t, s.Offset, d.Offset, "%s offset", s.Name)
				assert.Equal(t, s.Min, d.Minimum, "%s min", s.Name)
				assert.Equal(t, s.Max, d.Maximum, "%s max", s.Name)
				assert.Equal(t, s.Unit, d.Unit, "%s unit", s.Name)
				assert.False(t, d.IsMultiplexed || d.IsMultiplexerSwitch, "%s multiplexing", s.Name)
				if d.IsBigEndian {
					assert.NoError(t, can.CheckBitRangeBigEndian(uint8(msg.Size), uint8(d.StartBit), uint8(d.Size)), s.Name)
				} else {
					assert.NoError(t, can.CheckBitRangeLittleEndian(uint8(msg.Size), uint8(d.StartBit), uint8(d.Size)), s.Name)
				}
				// The invalid value (S2 p.3, p.6) is named NotAvailable in the DBC exactly where
				// the Go signal has one.
				var na []float64
				for _, v := range file.Values[spec.ID][s.Name] {
					if v.Description == "NotAvailable" {
						na = append(na, v.Value)
					}
				}
				if s.NA {
					want := float64(s.naRaw())
					if s.Signed {
						want = -float64(s.naRaw())
					}
					assert.Equal(t, []float64{want}, na, "%s NotAvailable value", s.Name)
				} else {
					assert.Empty(t, na, "%s has no invalid value", s.Name)
				}
			}
		})
	}
}

// dbcDecode reads a signal's physical value out of data with nothing but the DBC definition.
func dbcDecode(d *dbc.SignalDef, data *can.Data) float64 {
	start, size := uint8(d.StartBit), uint8(d.Size)
	var raw float64
	switch {
	case d.IsBigEndian && d.IsSigned:
		raw = float64(data.SignedBitsBigEndian(start, size))
	case d.IsBigEndian:
		raw = float64(data.UnsignedBitsBigEndian(start, size))
	case d.IsSigned:
		raw = float64(data.SignedBitsLittleEndian(start, size))
	default:
		raw = float64(data.UnsignedBitsLittleEndian(start, size))
	}
	return raw*d.Factor + d.Offset
}

// dbcEncode writes a physical value into data with nothing but the DBC definition.
func dbcEncode(d *dbc.SignalDef, data *can.Data, v float64) {
	start, size := uint8(d.StartBit), uint8(d.Size)
	raw := int64(math.Round((v - d.Offset) / d.Factor))
	switch {
	case d.IsBigEndian && d.IsSigned:
		data.SetSignedBitsBigEndian(start, size, raw)
	case d.IsBigEndian:
		data.SetUnsignedBitsBigEndian(start, size, uint64(raw))
	case d.IsSigned:
		data.SetSignedBitsLittleEndian(start, size, raw)
	default:
		data.SetUnsignedBitsLittleEndian(start, size, uint64(raw))
	}
}

// dbcCases are physical values for every frame, as a Go value and as DBC signal values (a signal
// left out of the map is 0). They include negative, big-endian and extreme values.
func dbcCases(t *testing.T) []struct {
	msg  Message
	sigs map[string]float64
} {
	serialHi, serialLo, err := SplitSerial("MG1234567890ABCD")
	require.NoError(t, err)
	return []struct {
		msg  Message
		sigs map[string]float64
	}{
		{Limits{56.8, 1200, -3276.7, 44.1},
			map[string]float64{"ChargeVoltage": 56.8, "ChargeCurrent": 1200, "DischargeCurrent": -3276.7, "DischargeVoltage": 44.1}},
		{Status{99, 87, 98.76},
			map[string]float64{"SOC": 99, "SOH": 87, "SOCHighRes": 98.76}},
		{BasicInfo{655.34, -1234.5, -40.5},
			map[string]float64{"Voltage": 655.34, "Current": -1234.5, "Temperature": -40.5}},
		{AlarmsWarnings{
			Alarms:   Conditions{General: Active, LowVoltage: OK, HighCurrent: Active, Contactor: OK, CellImbalance: Active, Reserved: [3]State{StateReserved}},
			Warnings: Conditions{HighVoltage: OK, LowTemperature: Active, HighChargeCurrent: StateReserved, BMSInternal: Active, Reserved: [3]State{0, 0, OK}},
		}, map[string]float64{
			"Alarm_General": 1, "Alarm_LowVoltage": 2, "Alarm_HighCurrent": 1, "Alarm_Contactor": 2, "Alarm_CellImbalance": 1, "Alarm_Reserved1": 3,
			"Warning_HighVoltage": 2, "Warning_LowTemperature": 1, "Warning_HighChargeCurrent": 3, "Warning_BMSInternal": 1, "Warning_Reserved3": 2,
		}},
		{Events{SOCRecalibrationStop: true, PowerLimitationStart: true, PreventiveShutdown: true, Reserved: 6},
			map[string]float64{"SOCRecalibrationStop": 1, "PowerLimitationStart": 1, "PreventiveShutdown": 1, "Reserved": 6}},
		{DefaultManufacturer(),
			map[string]float64{"Name_0": 'M', "Name_1": 'G', "Name_2": '-', "Name_3": 'B', "Name_4": 'M', "Name_5": 'S'}},
		{SystemInfo{MasterTypeID, 1, 24, 920, 0xBEEF},
			map[string]float64{"MasterTypeID": 0x3A9B, "SoftwareVersion": 0x0118, "Capacity": 920, "HardwareConfigID": 0xBEEF}},
		{CellInfo{2.9, 3.65, 268, 333},
			map[string]float64{"MinCellVoltage": 2.9, "MaxCellVoltage": 3.65, "MinCellTemperature": 268, "MaxCellTemperature": 333}},
		{Energy{42949672.94, 0.01},
			map[string]float64{"Charged": 42949672.94, "Discharged": 0.01}},
		{serialHi, map[string]float64{"Serial_0": 'M', "Serial_1": 'G', "Serial_2": '1', "Serial_3": '2', "Serial_4": '3', "Serial_5": '4', "Serial_6": '5', "Serial_7": '6'}},
		{serialLo, map[string]float64{"Serial_8": '7', "Serial_9": '8', "Serial_10": '9', "Serial_11": '0', "Serial_12": 'A', "Serial_13": 'B', "Serial_14": 'C', "Serial_15": 'D'}},
	}
}

// TestDBCDecodesGoFrames encodes with the Go codec and decodes with the DBC definitions; then
// encodes with the DBC definitions and parses with the Go codec. Both must give the same values
// and the same bytes.
func TestDBCDecodesGoFrames(t *testing.T) {
	file := loadDBC(t)
	cases := dbcCases(t)
	seen := map[uint32]bool{}
	for _, tc := range cases {
		msg := file.Messages[tc.msg.ID()]
		require.NotNil(t, msg, "0x%03X", tc.msg.ID())
		seen[tc.msg.ID()] = true
		t.Run(string(msg.Name), func(t *testing.T) {
			known := map[string]bool{}
			for i := range msg.Signals {
				known[string(msg.Signals[i].Name)] = true
			}
			for name := range tc.sigs {
				require.True(t, known[name], "case names unknown signal %s", name)
			}

			// Go → DBC.
			f := tc.msg.Frame()
			assert.Equal(t, uint8(msg.Size), f.Length)
			for i := range msg.Signals {
				d := &msg.Signals[i]
				assert.InDelta(t, tc.sigs[string(d.Name)], dbcDecode(d, &f.Data), 1e-9, "%s", d.Name)
			}

			// DBC → Go.
			g := can.Frame{ID: msg.MessageID.ToCAN(), Length: uint8(msg.Size)}
			for i := range msg.Signals {
				d := &msg.Signals[i]
				dbcEncode(d, &g.Data, tc.sigs[string(d.Name)])
			}
			assert.Equal(t, f, g, "bytes")
			back, err := Parse(g)
			require.NoError(t, err)
			assert.Equal(t, tc.msg, back)
		})
	}
	assert.Len(t, seen, len(Specs()), "every frame has a case")
}
