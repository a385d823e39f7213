package bmscan

import (
	"math"
	"testing"

	"go.einride.tech/can"
)

// typedParsers are the typed parsers, each called on every fuzz input whatever its id.
var typedParsers = []func(can.Frame) (Message, error){
	wrap(ParseLimits), wrap(ParseStatus), wrap(ParseBasicInfo), wrap(ParseAlarmsWarnings),
	wrap(ParseEvents), wrap(ParseManufacturer), wrap(ParseSystemInfo), wrap(ParseCellInfo),
	wrap(ParseEnergy), wrap(ParseSerialHigh), wrap(ParseSerialLow),
}

// FuzzParse feeds any id, length, data and frame flags to every parser. No parser may panic, and
// a frame one of them accepts must re-encode to the identical frame: every format of this
// package is lossless on the wire (the invalid values decode to NaN and encode back to
// themselves, reserved bits are kept, every other raw value maps to one float64 and back, and
// text bytes are kept as they are). The only thing not carried is data past Length, which
// can.Frame holds but the bus does not send; the re-encoded frame has zeros there.
// Seeds: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add(uint32(0x351), uint8(8), []byte{0x38, 0x02, 0xE8, 0x03, 0xDC, 0x05, 0xB8, 0x01}, false, false)
	f.Fuzz(func(t *testing.T, id uint32, length uint8, data []byte, extended, remote bool) {
		in := can.Frame{ID: id, Length: length, IsExtended: extended, IsRemote: remote}
		copy(in.Data[:], data)

		accepted := 0
		for _, parse := range typedParsers {
			m, err := parse(in)
			if err != nil {
				continue
			}
			accepted++
			if m.ID() != id {
				t.Fatalf("parser of 0x%03X accepted id 0x%03X", m.ID(), id)
			}
		}
		m, err := Parse(in)
		if err != nil {
			if accepted != 0 {
				t.Fatalf("Parse rejects %v (%v) that a typed parser accepts", in, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if accepted != 1 {
			t.Fatalf("Parse accepts %v, %d typed parsers do", in, accepted)
		}
		out := m.Frame()
		want := in
		clear(want.Data[want.Length:]) // Length ≤ 8 here: the parser checked it
		if out != want {
			t.Fatalf("%v parsed as %+v re-encodes to %v", in, m, out)
		}
	})
}

// FuzzEncode feeds any float64 values to every float field. Encoding never panics, the frame
// always parses, and parse∘encode is a fixed point after one quantization: the parsed values
// encode to the same frame, and each is within half a step of the input clamped to the range
// (or NaN for NaN).
func FuzzEncode(f *testing.F) {
	f.Add(56.8, 120.0, -25.5, 44.0)
	f.Add(math.NaN(), math.Inf(1), math.Inf(-1), -0.0)
	f.Add(6553.45, 3276.75, -3276.75, 1e300)
	f.Fuzz(func(t *testing.T, a, b, c, d float64) {
		msgs := []Message{
			Limits{a, b, c, d}, Status{a, b, c}, BasicInfo{b, c, d},
			SystemInfo{CapacityAh: a}, CellInfo{a, b, c, d}, Energy{c, d},
		}
		for _, m := range msgs {
			f1 := m.Frame()
			p, err := Parse(f1)
			if err != nil {
				t.Fatalf("%+v encodes to %v, which does not parse: %v", m, f1, err)
			}
			if f2 := p.Frame(); f2 != f1 {
				t.Fatalf("%+v: %v parses to %+v, which encodes to %v", m, f1, p, f2)
			}
			spec, _ := SpecOf(m.ID())
			in := physicals(m)
			got := make([]float64, len(spec.Signals))
			if err := spec.Decode(f1, got); err != nil {
				t.Fatal(err)
			}
			for i, s := range spec.Signals {
				want := in[i]
				if math.IsNaN(want) {
					if s.NA && !math.IsNaN(got[i]) {
						t.Fatalf("%s: NaN came back as %v", s.Name, got[i])
					}
					continue
				}
				want = math.Max(s.Min, math.Min(s.Max, want))
				if math.Abs(got[i]-want) > s.Scale/2*(1+1e-9) {
					t.Fatalf("%s: %v came back as %v", s.Name, in[i], got[i])
				}
			}
		}
	})
}

// physicals lists the float fields of the messages FuzzEncode uses, in signal order.
func physicals(m Message) []float64 {
	switch m := m.(type) {
	case Limits:
		return []float64{m.ChargeVoltage, m.ChargeCurrent, m.DischargeCurrent, m.DischargeVoltage}
	case Status:
		return []float64{m.SOC, m.SOH, m.SOCHighRes}
	case BasicInfo:
		return []float64{m.Voltage, m.Current, m.TemperatureC}
	case SystemInfo:
		return []float64{float64(m.MasterType), float64(uint16(m.SoftwareMajor)<<8 | uint16(m.SoftwareMinor)), m.CapacityAh, float64(m.HardwareConfig)}
	case CellInfo:
		return []float64{m.MinCellVoltage, m.MaxCellVoltage, m.MinCellTemperatureK, m.MaxCellTemperatureK}
	case Energy:
		return []float64{m.ChargedKWh, m.DischargedKWh}
	}
	panic("physicals: unexpected message")
}
