package scenario

import (
	"context"
	"testing"
	"time"
)

// BenchmarkDefaultSystemHour runs the default system (2 × LFP 24 V 280 Ah, both buses in memory)
// for a simulated hour and reports how many times faster than real time that is.
func BenchmarkDefaultSystemHour(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sys, err := Build(context.Background(), DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		sys.Loop.RunFor(time.Hour)
		sys.Close()
	}
	b.ReportMetric(float64(b.N)*time.Hour.Seconds()/b.Elapsed().Seconds(), "x_realtime")
}
