package plant

import (
	"testing"
	"time"
)

// benchBank is 2 series × 4 parallel fake modules at slightly different voltages: the plant's own
// cost, without the battery model's.
func benchBank() []Cells {
	var fs []*fake
	for i := range 8 {
		fs = append(fs, &fake{ocv: 26.2 + 0.01*float64(i/2), ohms: 2.5e-3})
	}
	return cells(fs...)
}

// BenchmarkStepClosedFakes is the steady state, contacts closed, a ramp load and a charger, on
// fake modules.
func BenchmarkStepClosedFakes(b *testing.B) {
	p, err := New(DefaultConfig(2), benchBank())
	if err != nil {
		b.Fatal(err)
	}
	load, err := Ramps(Point{0, 50}, Point{time.Hour, 150})
	if err != nil {
		b.Fatal(err)
	}
	p.SetLoad(load)
	p.SetChargerAmps(20)
	p.SetContactor(true)
	now := time.Duration(0)
	for range 10 {
		now += step
		p.Step(now)
	}
	if !p.ContactsClosed() {
		b.Fatal("open")
	}
	b.ReportAllocs()
	for b.Loop() {
		now += step
		p.Step(now)
	}
}

// BenchmarkStepPrecharging is the open bus pre-charging through the NTC, the costliest path: the
// NTC's heat is substepped. The bus is emptied every 2 s so that it keeps charging.
func BenchmarkStepPrecharging(b *testing.B) {
	cfg := ConfigFor(2, 24)
	cfg.Loads = LoadsOnBus
	p, err := New(cfg, benchBank())
	if err != nil {
		b.Fatal(err)
	}
	p.SetLoadAmps(0.01)
	p.SetPrecharge(true)
	now := time.Duration(0)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		now += step
		p.Step(now)
		if n++; n%200 == 0 {
			p.busVolts = 0
		}
	}
}
