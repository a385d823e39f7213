package vecan

import (
	"math"
	"testing"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/firmware"
)

// benchStore is a Store over a fixed map, taking every write.
type benchStore map[Register]uint32

func (s benchStore) Get(reg Register) (uint32, bool) {
	v, ok := s[reg]
	return v, ok
}

func (s benchStore) Set(_ time.Duration, reg Register, raw uint32) AckCode {
	s[reg] = raw
	return AckOK
}

func lynxValues() benchStore {
	s := benchStore{}
	for _, r := range DefaultBroadcast(LookupRegister) {
		s[r] = 1
	}
	s[RegSOC] = 8765
	s[RegAppVersion] = PackAppVersion(0, 0x013800)
	return s
}

// BenchmarkServerHandle: a request and a command each get one reply; a broadcast is ignored.
func BenchmarkServerHandle(b *testing.B) {
	for _, bm := range []struct {
		name    string
		frame   can.Frame
		replies int
	}{
		{"Request", RequestFrame(0x20, 0x50, RegSOC), 1},
		{"Command", CommandFrame(0x20, 0x50, RegSOC, 5000, 2), 1},
		{"Ignored", CommandFrame(0x51, 0xFF, RegSOC, 5000, 2), 0},
	} {
		b.Run(bm.name, func(b *testing.B) {
			s := NewServer(LookupRegister, lynxValues())
			dst := make([]can.Frame, 0, 4)
			b.ReportAllocs()
			for b.Loop() {
				dst = s.Handle(0, 0x50, bm.frame, dst[:0])
			}
			if len(dst) != bm.replies {
				b.Fatalf("%d replies, want %d", len(dst), bm.replies)
			}
		})
	}
}

// benchPeriod keeps periodic registers from falling due while a benchmark runs: 100 years, more
// than 10^9 steps of a second.
const benchPeriod = 100 * 365 * 24 * time.Hour

// The Lynx Ion's broadcast list, stepped every 10 ms with nothing due.
func BenchmarkPublisherStepIdle(b *testing.B) {
	values := lynxValues()
	get := values.Get
	p := NewPublisher(DefaultBroadcast(LookupRegister), LookupRegister, WithPeriod(benchPeriod))
	dst := make([]can.Frame, 0, 64)
	p.Step(0, 0x50, get, dst)
	now := time.Duration(0)
	b.ReportAllocs()
	for b.Loop() {
		now += 10 * time.Millisecond
		if dst = p.Step(now, 0x50, get, dst[:0]); len(dst) != 0 {
			b.Fatalf("%d frames due", len(dst))
		}
	}
}

// The same list with one register changed at every step (a step a holdoff apart).
func BenchmarkPublisherStepOneDue(b *testing.B) {
	values := lynxValues()
	get := values.Get
	p := NewPublisher(DefaultBroadcast(LookupRegister), LookupRegister, WithPeriod(benchPeriod))
	dst := make([]can.Frame, 0, 64)
	p.Step(0, 0x50, get, dst)
	now := time.Duration(0)
	b.ReportAllocs()
	for b.Loop() {
		now += DefaultOnChangeHoldoff
		values[RegBMSFlags]++
		if dst = p.Step(now, 0x50, get, dst[:0]); len(dst) != 1 {
			b.Fatalf("%d frames due", len(dst))
		}
	}
}

func BenchmarkDCDetailedStatusAppend(b *testing.B) {
	s := DCDetailedStatus{SID: 1, SOCPercent: 87.65, SOHPercent: math.NaN(), TimeRemaining: 3 * time.Hour, RippleVolts: math.NaN(), RemainingAh: 245}
	buf := make([]byte, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		buf = s.AppendPayload(buf[:0])
	}
}

func BenchmarkParseDCDetailedStatus(b *testing.B) {
	payload := DCDetailedStatus{SID: 1, SOCPercent: 87.65, SOHPercent: math.NaN(), TimeRemaining: 3 * time.Hour, RippleVolts: math.NaN(), RemainingAh: 245}.AppendPayload(nil)
	var sink DCDetailedStatus
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = ParseDCDetailedStatus(payload)
	}
	_ = sink
}

func BenchmarkProductInformationAppend(b *testing.B) {
	p := IdentityVictron(Model150).ProductInformation(firmware.MustParse("1.38"), "17380123")
	buf := make([]byte, 0, ProductInformationLength)
	b.ReportAllocs()
	for b.Loop() {
		buf = p.AppendPayload(buf[:0])
	}
}
