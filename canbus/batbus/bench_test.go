package batbus

import (
	"testing"

	"go.einride.tech/can"
)

// benchExamples is the first example of each message.
func benchExamples() []Encoder {
	seen := map[Message]bool{}
	var out []Encoder
	for _, e := range examples() {
		if !seen[e.Message()] {
			seen[e.Message()] = true
			out = append(out, e)
		}
	}
	return out
}

// BenchmarkEncode encodes one frame of each message.
func BenchmarkEncode(b *testing.B) {
	for _, e := range benchExamples() {
		b.Run(e.Message().String(), func(b *testing.B) {
			b.ReportAllocs()
			var f can.Frame
			for b.Loop() {
				f = e.Frame()
			}
			_ = f
		})
	}
}

// BenchmarkParse parses one frame of each message with its typed parser (through Check, which
// calls it and keeps the result off the heap).
func BenchmarkParse(b *testing.B) {
	for _, e := range benchExamples() {
		f := e.Frame()
		b.Run(e.Message().String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Check(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseStatus is the master's hottest path: a Status every 500 ms from each battery.
func BenchmarkParseStatus(b *testing.B) {
	f := Status{Address: 3, Centivolts: 2667, Deciamps: -123, SOCHundredths: 6012, Flags: StatusBalancing, Sequence: 9}.Frame()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseStatus(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode reads a multiplexed frame in physical units through the signal table, as a
// tool would.
func BenchmarkDecode(b *testing.B) {
	f := CellVoltages{Address: 1, First: 3, Count: 8, Millivolts: [3]uint16{3300, 3301, 3302}}.Frame()
	spec, _ := SpecOf(MsgCellVoltages)
	dst := make([]float64, len(spec.Signals))
	b.ReportAllocs()
	for b.Loop() {
		if err := spec.Decode(f, dst); err != nil {
			b.Fatal(err)
		}
	}
}
