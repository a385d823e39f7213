package decode_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/decode"
	"github.com/lynxsim/lynxsim/scenario"
)

// BenchmarkDecodeLogJSON decodes a VE.Can log of the default system to JSON, as `lynxsim decode
// --json` does, and reports frames per second. The million-frame comparison with canboat's
// analyzer is in docs/performance.md.
func BenchmarkDecodeLogJSON(b *testing.B) {
	ctx := context.Background()
	sys, err := scenario.Build(ctx, scenario.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	var all bytes.Buffer
	w := canbus.NewLogWriter(&all)
	if err := sys.Record(ctx, w); err != nil {
		b.Fatal(err)
	}
	sys.Loop.RunFor(2 * time.Hour)
	_ = w.Flush()
	sys.Close()
	var recs []canbus.Record
	r := canbus.NewLogReader(&all)
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if rec.Interface == scenario.VECanHub {
			recs = append(recs, rec)
		}
	}
	var line []byte
	emit := func(m *decode.Message) {
		line = decode.AppendJSON(line[:0], m)
		_, _ = io.Discard.Write(line)
	}
	b.ReportAllocs()
	b.ResetTimer()
	frames := 0
	for b.Loop() {
		d := decode.New()
		for _, rec := range recs {
			d.Decode(rec, emit)
		}
		frames += len(recs)
	}
	b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
}
