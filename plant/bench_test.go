package plant_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/battery"
	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/plant"
)

// BenchmarkStep is one 10 ms step of a 2 series × 4 parallel bank of real battery modules with
// the contactor closed and a load drawing current: the plant's steady state.
func BenchmarkStep(b *testing.B) {
	typ, err := battery.LookupType("LFP-24V-280Ah")
	require.NoError(b, err)
	hub := canbus.NewHub("bat")
	modules := make([]plant.Cells, 8)
	for i := range modules {
		// Different SOCs, so that the strings circulate current as in a real bank.
		m, err := battery.New(typ, uint32(174601000+i), 50+float64(i%4), 25, hub.Attach())
		require.NoError(b, err)
		modules[i] = m
	}
	p, err := plant.New(plant.DefaultConfig(2), modules)
	require.NoError(b, err)
	p.SetContactor(true)
	p.SetLoadAmps(120)
	const step = 10 * time.Millisecond
	now := time.Duration(0)
	for range 10 {
		now += step
		p.Step(now)
	}
	require.True(b, p.ContactorClosed())
	b.ReportAllocs()
	for b.Loop() {
		now += step
		p.Step(now)
	}
}
