package batbus

import (
	"errors"
	"math"
	"testing"

	"go.einride.tech/can"
)

// typedParsers are the typed parsers, each called on every fuzz input whatever its identifier.
var typedParsers = []func(can.Frame) (Encoder, error){
	wrap(ParseAssign), wrap(ParseRelease), wrap(ParseCommand), wrap(ParseHeartbeat),
	wrap(ParseUpdateData), wrap(ParseCommandAck), wrap(ParseAssignAck), wrap(ParseStatus),
	wrap(ParseExtremes), wrap(ParseCellVoltages), wrap(ParseTemperatures), wrap(ParseTerminals),
	wrap(ParseEnvironment), wrap(ParseIdentity), wrap(ParseDescribe), wrap(ParseFirmware),
	wrap(ParseAnnounce),
}

func wrap[T Encoder](parse func(can.Frame) (T, error)) func(can.Frame) (Encoder, error) {
	return func(f can.Frame) (Encoder, error) {
		m, err := parse(f)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
}

// FuzzParse feeds any identifier, length, data and frame flags to every parser. None may panic
// or fail without a *FrameError; at most one accepts a frame, the one of its message, and Check
// agrees. A frame one of them accepts re-encodes to the identical frame: every format of v1 is
// lossless (fields hold wire units, reserved bits must be 1, not-available values are values).
// MessageSpec.Decode accepts the same frame and gives NaN exactly for not-available values and
// absent multiplexed signals. Seeds: testdata/fuzz/FuzzParse, and every example and rejection
// of codec_test.go.
func FuzzParse(f *testing.F) {
	for _, e := range examples() {
		fr := e.Frame()
		f.Add(fr.ID, fr.Length, fr.Data[:], fr.IsExtended, fr.IsRemote)
	}
	for _, r := range rejects() {
		f.Add(r.frame.ID, r.frame.Length, r.frame.Data[:], r.frame.IsExtended, r.frame.IsRemote)
	}
	f.Fuzz(func(t *testing.T, id uint32, length uint8, data []byte, extended, remote bool) {
		in := can.Frame{ID: id, Length: length, IsExtended: extended, IsRemote: remote}
		copy(in.Data[:], data)

		msg, addr, ok := Split(in)
		if ok && ID(msg, addr) != in.ID {
			t.Fatalf("Split(%08X) = %v, %d, but ID gives %08X back", in.ID, msg, addr, ID(msg, addr))
		}
		var accepted Encoder
		for _, parse := range typedParsers {
			m, err := parse(in)
			if err != nil {
				var fe *FrameError
				if !errors.As(err, &fe) || err.Error() == "" {
					t.Fatalf("%v: error %v is not a *FrameError with words", in, err)
				}
				continue
			}
			if accepted != nil {
				t.Fatalf("%v parses as %T and %T", in, accepted, m)
			}
			accepted = m
		}
		checkErr := Check(in)
		if (checkErr == nil) != (accepted != nil) {
			t.Fatalf("%v: Check says %v, the typed parsers accepted %v", in, checkErr, accepted)
		}
		if accepted == nil {
			return
		}
		if !ok || accepted.Message() != msg {
			t.Fatalf("%v parses as %T", in, accepted)
		}
		if err := in.Validate(); err != nil {
			t.Fatalf("%v parses but is not a valid CAN frame: %v", in, err)
		}
		if out := accepted.Frame(); out != in {
			t.Fatalf("%v parsed as %+v re-encodes to %v", in, accepted, out)
		}

		spec, _ := SpecOf(msg)
		vals := make([]float64, len(spec.Signals))
		if err := spec.Decode(in, vals); err != nil {
			t.Fatalf("%v: the typed parser accepts it, Decode says %v", in, err)
		}
		for i, s := range spec.Signals {
			if math.IsNaN(vals[i]) {
				continue
			}
			if vals[i] < s.Min || vals[i] > s.Max {
				t.Fatalf("%v: %s = %v outside [%v, %v]", in, s.Name, vals[i], s.Min, s.Max)
			}
		}
	})
}

// FuzzEncode: any field values encode without panicking; what the encoder makes either fails
// Check, or parses to a value that encodes to the same frame (the encoders drop what the wire
// does not carry: the arguments of other command codes, a slot past the last cell).
func FuzzEncode(f *testing.F) {
	f.Add(uint8(1), uint16(2648), uint16(6000), uint32(174_600_001), uint8(6), uint8(8), int16(-52))
	f.Fuzz(func(t *testing.T, addr uint8, u16 uint16, v16 uint16, u32 uint32, first, count uint8, s16 int16) {
		for _, e := range []Encoder{
			Status{Address: addr, Centivolts: u16, Deciamps: s16, SOCHundredths: v16, Flags: StatusFlags(first), Sequence: count},
			Extremes{Address: addr, MinMillivolts: u16, MaxMillivolts: v16, MinDeciCelsius: s16, MaxDeciCelsius: int16(v16)},
			CellVoltages{Address: addr, First: first, Count: count, Millivolts: [3]uint16{u16, v16, uint16(s16)}},
			Temperatures{Address: addr, First: first, Count: count, DeciCelsius: [3]int16{s16, int16(u16), int16(v16)}},
			Announce{Address: addr, Nameplate: Nameplate{Prefix: [2]byte{first, count}, Serial: u32, Product: u16}},
			Describe{Address: addr, Chemistry: Chemistry(first), Cells: count, CapacityAh: u16, TemperatureSensors: uint8(v16), Features: Features(v16)},
			Command{To: addr, Tag: first, Code: CommandCode(count), CellMask: u32, FromCell: first, ToCell: count,
				Fan: FanMode(first), Seconds: count, ImageSize: u32, Processor: first, Block: u16, Blocks: v16, CRC: uint16(s16)},
			CommandAck{Address: addr, Code: CommandCode(first), Tag: count, Result: Result(u16), NextBlock: v16},
			Environment{Address: addr, HumidityPercent: first, SOHPercent: count, Leakage: Leakage(u16), Fan: FanState(v16),
				SelfTest: SelfTest(s16), SelfTestFailures: SelfTestFailures(u32), SensorFaults: SensorFaults(u32 >> 8)},
		} {
			fr := e.Frame()
			if Check(fr) != nil {
				continue
			}
			back, err := parseAny(fr)
			if err != nil {
				t.Fatalf("%+v: Check accepts %v, the parser says %v", e, fr, err)
			}
			if back.Frame() != fr {
				t.Fatalf("%+v: %v parses to %+v, which encodes to %v", e, fr, back, back.Frame())
			}
		}
	})
}
