package batbus

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
	"go.einride.tech/can/pkg/dbc"

	"github.com/lynxsim/lynxsim/internal/dbcfile"
)

// dbcPath is the DBC of the protocol, at the root of the repository (docs/battery-bus.md §10).
const dbcPath = "../../testdata/battery-bus.dbc"

// loadDBC parses the DBC and checks the frame format of every message.
func loadDBC(t *testing.T) *dbcfile.File {
	t.Helper()
	f, err := dbcfile.Load(filepath.FromSlash(dbcPath))
	require.NoError(t, err)
	for _, m := range f.Messages {
		require.True(t, m.MessageID.IsExtended(), "%s: every frame is extended", m.Name)
	}
	return f
}

// TestDBCMatchesSpecs compares every message and signal of the DBC with the Go signal table, both
// ways: nothing in one is missing from the other, and every field is equal.
func TestDBCMatchesSpecs(t *testing.T) {
	file := loadDBC(t)
	specs := Specs()
	require.Len(t, file.Messages, len(specs), "the DBC and the Go table describe different message sets")
	for _, spec := range specs {
		// Every message is listed with the address byte of the master, the "any address"
		// placeholder (MasterAddress).
		id := spec.FrameID(MasterAddress)
		msg, ok := file.Messages[id]
		require.True(t, ok, "%08X %s is not in the DBC", id, spec.Name)
		t.Run(spec.Name, func(t *testing.T) {
			assert.Equal(t, spec.Name, string(msg.Name))
			assert.Equal(t, uint64(Length), msg.Size, "DLC")
			assert.Equal(t, spec.Sender.String(), string(msg.Transmitter))
			assert.Equal(t, spec.Period.Milliseconds(), file.Cycle[id], "GenMsgCycleTime")
			assert.Equal(t, "ExtendedCAN", file.Format[id], "VFrameFormat")
			assert.NotEmpty(t, file.Comments[id], "the message has a comment")
			receiver := "Master"
			if spec.Sender == NodeMaster {
				receiver = "Battery"
			}
			require.Len(t, msg.Signals, len(spec.Signals), "signal count")
			for i, s := range spec.Signals {
				d := msg.Signals[i]
				assert.Equal(t, s.Name, string(d.Name), "signal %d name", i)
				assert.Equal(t, uint64(s.Start), d.StartBit, "%s start bit", s.Name)
				assert.Equal(t, uint64(s.Length), d.Size, "%s length", s.Name)
				assert.False(t, d.IsBigEndian, "%s is little-endian", s.Name)
				assert.Equal(t, s.Signed, d.IsSigned, "%s signedness", s.Name)
				assert.Equal(t, s.Scale, d.Factor, "%s scale", s.Name)
				assert.Zero(t, d.Offset, "%s offset", s.Name)
				assert.Equal(t, s.Min, d.Minimum, "%s min", s.Name)
				assert.Equal(t, s.Max, d.Maximum, "%s max", s.Name)
				assert.Equal(t, s.Unit, d.Unit, "%s unit", s.Name)
				assert.Equal(t, []dbc.Identifier{dbc.Identifier(receiver)}, d.Receivers, "%s receiver", s.Name)
				assert.Equal(t, s.IsMux, d.IsMultiplexerSwitch, "%s multiplexer switch", s.Name)
				assert.Equal(t, s.Mux != NoMux, d.IsMultiplexed, "%s multiplexed", s.Name)
				if s.Mux != NoMux {
					assert.Equal(t, uint64(s.Mux), d.MultiplexerSwitch, "%s multiplexer value", s.Name)
				}
				assert.NoError(t, can.CheckBitRangeLittleEndian(Length, s.Start, s.Length), s.Name)

				// The value descriptions: NotAvailable exactly where the Go signal has one, and
				// the names of an enumeration.
				var na []float64
				named := map[int64]string{}
				for _, v := range file.Values[id][s.Name] {
					if v.Description == "NotAvailable" {
						na = append(na, v.Value)
					} else {
						named[int64(v.Value)] = v.Description
					}
				}
				if s.NA {
					assert.Equal(t, []float64{float64(s.NARaw())}, na, "%s NotAvailable value", s.Name)
				} else {
					assert.Empty(t, na, "%s has no not-available value", s.Name)
				}
				want := map[int64]string{}
				for _, v := range s.Values {
					want[v.Raw] = v.Name
				}
				assert.Equal(t, want, named, "%s value names", s.Name)
			}
		})
	}
}

// dbcDecode reads a signal's physical value out of data with nothing but the DBC definition.
func dbcDecode(d *dbc.SignalDef, data *can.Data) float64 {
	start, size := uint8(d.StartBit), uint8(d.Size)
	if d.IsSigned {
		return float64(data.SignedBitsLittleEndian(start, size))*d.Factor + d.Offset
	}
	return float64(data.UnsignedBitsLittleEndian(start, size))*d.Factor + d.Offset
}

// dbcEncode writes a physical value into data with nothing but the DBC definition.
func dbcEncode(d *dbc.SignalDef, data *can.Data, v float64) {
	start, size := uint8(d.StartBit), uint8(d.Size)
	raw := int64(math.Round((v - d.Offset) / d.Factor))
	if d.IsSigned {
		data.SetSignedBitsLittleEndian(start, size, raw)
	} else {
		data.SetUnsignedBitsLittleEndian(start, size, uint64(raw))
	}
}

// physicalValues is what a DBC tool must read from the frame of e: the fields of e in the units
// of the DBC, worked out here from the Go fields without the signal table. Only the signals
// present in the frame are listed (for multiplexed messages, those of its multiplexer value).
// Not-available values are the raw values scaled, as a DBC tool shows them.
func physicalValues(e Encoder) map[string]float64 {
	bits := func(m map[string]float64, names []string, v uint64) {
		for i, n := range names {
			m[n] = float64(v >> i & 1)
		}
	}
	nameplate := func(n Nameplate) map[string]float64 {
		return map[string]float64{"SerialPrefix0": float64(n.Prefix[0]), "SerialPrefix1": float64(n.Prefix[1]),
			"Serial": float64(n.Serial), "ProductID": float64(n.Product)}
	}
	switch e := e.(type) {
	case Assign:
		return map[string]float64{"SerialPrefix0": float64(e.Prefix[0]), "SerialPrefix1": float64(e.Prefix[1]),
			"Serial": float64(e.Serial), "Address": float64(e.Address)}
	case Release:
		return map[string]float64{"Reason": float64(e.Reason)}
	case Command:
		m := map[string]float64{"Code": float64(e.Code), "Tag": float64(e.Tag)}
		switch e.Code {
		case CmdBalance:
			m["CellMask"] = float64(e.CellMask)
		case CmdTransfer:
			m["FromCell"], m["ToCell"] = float64(e.FromCell), float64(e.ToCell)
		case CmdFan:
			m["FanMode"] = float64(e.Fan)
		case CmdIdentify:
			m["IdentifySeconds"] = float64(e.Seconds)
		case CmdUpdateBegin:
			m["ImageSize"], m["Processor"] = float64(e.ImageSize), float64(e.Processor)
		case CmdUpdateBlock:
			m["BlockIndex"], m["BlockCRC"] = float64(e.Block), float64(e.CRC)
		case CmdUpdateEnd:
			m["BlockCount"], m["ImageCRC"] = float64(e.Blocks), float64(e.CRC)
		}
		return m
	case Heartbeat:
		return map[string]float64{"State": float64(e.State), "Sequence": float64(e.Sequence), "DetailPeriod": float64(e.DetailSeconds)}
	case UpdateData:
		m := map[string]float64{}
		for i, b := range e.Data {
			m[fmt.Sprintf("Byte%d", i)] = float64(b)
		}
		return m
	case CommandAck:
		return map[string]float64{"Code": float64(e.Code), "Tag": float64(e.Tag), "Result": float64(e.Result), "NextBlock": float64(e.NextBlock)}
	case AssignAck:
		return nameplate(e.Nameplate)
	case Identity:
		return nameplate(e.Nameplate)
	case Announce:
		return nameplate(e.Nameplate)
	case Status:
		m := map[string]float64{"Voltage": float64(e.Centivolts) / 100, "Current": float64(e.Deciamps) / 10,
			"SOC": float64(e.SOCHundredths) / 100, "Sequence": float64(e.Sequence)}
		bits(m, []string{"Balancing", "FanOn", "ShutdownPending", "SensorFault", "SelfTestFailed", "CommTimeout", "Disconnected", "Updating"}, uint64(e.Flags))
		return m
	case Extremes:
		return map[string]float64{"MinCellVoltage": float64(e.MinMillivolts) / 1000, "MaxCellVoltage": float64(e.MaxMillivolts) / 1000,
			"MinCellTemperature": float64(e.MinDeciCelsius) / 10, "MaxCellTemperature": float64(e.MaxDeciCelsius) / 10}
	case CellVoltages:
		m := map[string]float64{"FirstCell": float64(e.First), "CellCount": float64(e.Count)}
		for k, mv := range e.Millivolts {
			if i := int(e.First) + k; i < MaxCells {
				m[fmt.Sprintf("Cell%d", i)] = float64(mv) / 1000
			}
		}
		return m
	case Temperatures:
		m := map[string]float64{"FirstSensor": float64(e.First), "SensorCount": float64(e.Count)}
		for k, dc := range e.DeciCelsius {
			if i := int(e.First) + k; i < MaxTemperatureSensors {
				m[fmt.Sprintf("Temperature%d", i)] = float64(dc) / 10
			}
		}
		return m
	case Terminals:
		return map[string]float64{"PositiveTerminal": float64(e.PositiveDeciCelsius) / 10, "NegativeTerminal": float64(e.NegativeDeciCelsius) / 10}
	case Environment:
		m := map[string]float64{"Humidity": float64(e.HumidityPercent), "SOH": float64(e.SOHPercent),
			"Leakage": float64(e.Leakage), "Fan": float64(e.Fan), "SelfTest": float64(e.SelfTest)}
		bits(m, []string{"SelfTestCPU", "SelfTestRAM", "SelfTestFlash", "SelfTestClock", "SelfTestWatchdog", "SelfTestADC"}, uint64(e.SelfTestFailures))
		bits(m, []string{"FaultCellVoltage", "FaultCellTemperature", "FaultPositiveTerminal", "FaultNegativeTerminal",
			"FaultCurrent", "FaultHumidity", "FaultLeakage", "FaultFan"}, uint64(e.SensorFaults))
		return m
	case Describe:
		m := map[string]float64{"Chemistry": float64(e.Chemistry), "Cells": float64(e.Cells), "Capacity": float64(e.CapacityAh),
			"TemperatureSensors": float64(e.TemperatureSensors), "ProtocolVersion": 1}
		bits(m, []string{"PassiveBalancing", "ActiveBalancing", "Fan", "HumiditySensor", "LeakageSensor",
			"PositiveTerminalSensor", "NegativeTerminalSensor", "SelfTest", "SOH", "CurrentSensor", "Disconnect"}, uint64(e.Features))
		return m
	case Firmware:
		return map[string]float64{"FirmwareMajor": float64(e.Major), "FirmwareMinor": float64(e.Minor), "Processor": float64(e.Processor)}
	}
	panic(fmt.Sprintf("physicalValues: %T", e))
}

// present reports whether the DBC signal d is in a frame whose multiplexer is mux.
func present(d *dbc.SignalDef, mux float64) bool {
	return !d.IsMultiplexed || float64(d.MultiplexerSwitch) == mux
}

// multiplexer returns the value of msg's multiplexer switch in values, or NaN.
func multiplexer(msg *dbc.MessageDef, values map[string]float64) float64 {
	for i := range msg.Signals {
		if msg.Signals[i].IsMultiplexerSwitch {
			return values[string(msg.Signals[i].Name)]
		}
	}
	return math.NaN()
}

// TestDBCDecodesGoFrames encodes every example with the Go codec and decodes it with the DBC
// definitions; then encodes the same values with the DBC definitions (from all-ones data: bits no
// signal covers are 1) and parses them with the Go codec. Both must give the same values and the
// same bytes. Every message and every multiplexer value is covered.
func TestDBCDecodesGoFrames(t *testing.T) {
	file := loadDBC(t)
	seen := map[string]bool{}
	for i, e := range examples() {
		f := e.Frame()
		msg := file.Messages[f.ID&^0xFF]
		require.NotNil(t, msg, "%08X", f.ID)
		t.Run(fmt.Sprintf("%d_%s", i, msg.Name), func(t *testing.T) {
			want := physicalValues(e)
			mux := multiplexer(msg, want)
			seen[fmt.Sprintf("%s/%v", msg.Name, mux)] = true
			listed := 0
			for k := range msg.Signals {
				d := &msg.Signals[k]
				if !present(d, mux) {
					continue
				}
				listed++
				v, ok := want[string(d.Name)]
				require.True(t, ok, "%s is in the frame but not in the expected values", d.Name)
				// Go → DBC.
				assert.InDelta(t, v, dbcDecode(d, &f.Data), 1e-9, "%s", d.Name)
			}
			assert.Equal(t, len(want), listed, "every expected value is a signal of the frame")

			// DBC → Go.
			g := can.Frame{ID: f.ID, IsExtended: true, Length: uint8(msg.Size)}
			g.Data.UnpackLittleEndian(math.MaxUint64)
			for k := range msg.Signals {
				if d := &msg.Signals[k]; present(d, mux) {
					dbcEncode(d, &g.Data, want[string(d.Name)])
				}
			}
			assert.Equal(t, f, g, "bytes")
			back, err := parseAny(g)
			require.NoError(t, err)
			assert.Equal(t, e, back)
		})
	}
	for _, spec := range Specs() {
		if spec.Multiplexer() < 0 {
			assert.True(t, seen[spec.Name+"/NaN"], "%s has an example", spec.Name)
			continue
		}
		for _, s := range spec.Signals {
			if s.Mux != NoMux {
				assert.True(t, seen[fmt.Sprintf("%s/%d", spec.Name, s.Mux)], "%s multiplexer %d has an example", spec.Name, s.Mux)
			}
		}
	}
}
