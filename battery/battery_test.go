package battery

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/batbus"
)

const step = 10 * time.Millisecond

func lfp280(t testing.TB) Type {
	typ, err := LookupType("LFP-24V-280Ah")
	require.NoError(t, err)
	return typ
}

// loose returns a battery on a bus nobody listens to: enough for the electrical side.
func loose(t testing.TB, serial uint32, soc float64) *Battery {
	return New(lfp280(t), serial, soc, 25, canbus.NewHub("bat").Attach())
}

// chargeAh is the charge that has passed through the module: its cells are in series, so every
// cell moves by the same amount and the mean is that amount.
func (b *Battery) chargeAh() float64 {
	var sum float64
	for i := range b.cells {
		sum += b.cells[i].chargeAh
	}
	return sum / float64(len(b.cells))
}

func TestNewSpreadsCapacities(t *testing.T) {
	typ := lfp280(t)
	b := loose(t, 1746_0001, 50)
	require.Len(t, b.cells, typ.Cells)
	distinct := map[float64]bool{}
	for _, c := range b.cells {
		assert.InEpsilon(t, typ.CapacityAh, c.capacityAh, 0.0100001, "within ±1 %%")
		assert.InDelta(t, 50, c.soc(), 1e-12, "every cell starts at the same SOC")
		distinct[c.capacityAh] = true
	}
	assert.Greater(t, len(distinct), 1, "cells differ, so that they drift apart")
	// Repeatable: the same serial gives the same cells, another serial others.
	assert.Equal(t, b.cells, loose(t, 1746_0001, 50).cells)
	assert.NotEqual(t, b.cells, loose(t, 1746_0002, 50).cells)
}

func TestOpenCircuitVolts(t *testing.T) {
	for _, typ := range Types() {
		for _, soc := range []float64{0, 1, 5, 12.5, 33, 50, 77.7, 95, 99, 100, -10, 130} {
			b := New(typ, 42, soc, 25, canbus.NewHub("bat").Attach())
			clamped := math.Max(0, math.Min(100, soc))
			assert.InDelta(t, clamped, b.SOCPercent(), 1e-9, "%s at %v %%", typ.Name, soc)
			want := float64(typ.Cells) * lfpOCV.at(clamped)
			assert.InDelta(t, want, b.OpenCircuitVolts(), 1e-9, "%s at %v %%", typ.Name, soc)
			// Without current the terminal voltage of every cell is its OCV.
			low, high := b.CellVolts()
			assert.InDelta(t, lfpOCV.at(clamped), low, 1e-9)
			assert.InDelta(t, lfpOCV.at(clamped), high, 1e-9)
			assert.InDelta(t, typ.CellOhms*float64(typ.Cells), b.ResistanceOhms(), 1e-15)
		}
	}
}

func TestFlowMovesExactCharge(t *testing.T) {
	tests := []struct {
		name  string
		soc   float64
		amps  float64
		steps int // the hour in this many equal Flows
	}{
		{"charge 30 A in one Flow", 50, 30, 1},
		{"charge 30 A in 10 ms steps", 50, 30, 360_000},
		{"discharge 100 A in one Flow", 60, -100, 1},
		{"discharge 100 A in 1 s steps", 60, -100, 3600},
		{"no current", 50, 0, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := loose(t, 7, tt.soc)
			before := make([]float64, len(b.cells))
			for i, c := range b.cells {
				before[i] = c.chargeAh
			}
			dt := time.Hour / time.Duration(tt.steps)
			for range tt.steps {
				b.Flow(tt.amps, dt)
			}
			for i, c := range b.cells {
				// One hour at I amps is I Ah, in every cell of the series string; many small
				// steps only add rounding.
				assert.InDelta(t, tt.amps, c.chargeAh-before[i], 1e-7, "cell %d", i)
			}
		})
	}
}

func TestFlowClamps(t *testing.T) {
	tests := []struct {
		name string
		amps float64
		want float64 // SOC %
	}{
		{"overcharge stops at full", 1000, 100},
		{"overdischarge stops at empty", -1000, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := loose(t, 9, 50)
			b.Flow(tt.amps, time.Hour)
			assert.Equal(t, tt.want, b.SOCPercent())
			for i, c := range b.cells {
				assert.Equal(t, tt.want, c.soc(), "cell %d", i)
			}
			// And it comes back from the bound by exactly what flows the other way.
			b.Flow(-tt.amps/100, time.Hour)
			for i, c := range b.cells {
				assert.InDelta(t, tt.want/100*c.capacityAh-tt.amps/100, c.chargeAh, 1e-9, "cell %d", i)
			}
		})
	}
}

func TestHeating(t *testing.T) {
	typ := lfp280(t)
	const ambient = 25.0
	const amps = 500.0
	rise := amps * amps * typ.CellOhms * thermalSeconds / cellHeatCapacity // equilibrium

	t.Run("a large current warms the cells", func(t *testing.T) {
		b := loose(t, 3, 50)
		b.Flow(amps, 10*time.Minute)
		low, high := b.CellCelsius()
		want := ambient + rise*(1-math.Exp(-600/thermalSeconds))
		assert.InDelta(t, want, low, 1e-9)
		assert.InDelta(t, want, high, 1e-9)
		assert.Greater(t, low, ambient+5, "500 A for 10 minutes is a clear rise")
		// Discharging heats just the same.
		d := loose(t, 3, 50)
		d.Flow(-amps, 10*time.Minute)
		dlow, _ := d.CellCelsius()
		assert.InDelta(t, low, dlow, 1e-12)
	})

	t.Run("it approaches its equilibrium and never passes it", func(t *testing.T) {
		b := loose(t, 3, 50)
		for range 10 {
			b.Flow(amps/10, time.Hour) // 50 A: a small rise, stays well within charge bounds
			_, high := b.CellCelsius()
			require.Less(t, high, ambient+rise/100+1e-9)
		}
		_, high := b.CellCelsius()
		assert.InDelta(t, ambient+rise/100, high, 1e-3)
	})

	t.Run("without current the cells relax to ambient", func(t *testing.T) {
		b := loose(t, 3, 50)
		b.Flow(amps, 30*time.Minute)
		hot, _ := b.CellCelsius()
		excess := hot - ambient
		require.Positive(t, excess)
		b.Flow(0, time.Duration(thermalSeconds)*time.Second)
		low, high := b.CellCelsius()
		assert.InDelta(t, ambient+excess/math.E, low, 1e-9, "one time constant leaves 1/e of the excess")
		assert.InDelta(t, low, high, 1e-12)
	})

	// The solution is exact over a step, so the step size does not matter, and a step longer
	// than the time constant does not overshoot below ambient.
	t.Run("step size does not matter", func(t *testing.T) {
		temps := map[time.Duration]float64{}
		for _, dt := range []time.Duration{10 * time.Millisecond, time.Second, time.Minute, 2 * time.Hour} {
			b := loose(t, 3, 50)
			b.Flow(amps, 30*time.Minute)
			for range int(2 * time.Hour / dt) {
				b.Flow(0, dt)
			}
			temps[dt], _ = b.CellCelsius()
			assert.Greater(t, temps[dt], ambient, "step %v: cooling never goes below ambient", dt)
		}
		for dt, got := range temps {
			assert.InEpsilon(t, temps[2*time.Hour], got, 1e-9, "step %v", dt)
		}
	})

	t.Run("a cold battery warms to ambient", func(t *testing.T) {
		b := New(typ, 3, 50, ambient, canbus.NewHub("bat").Attach())
		for i := range b.cells {
			b.cells[i].celsius = -10
		}
		b.Flow(0, 10*time.Hour)
		low, _ := b.CellCelsius()
		assert.InDelta(t, ambient, low, 35*math.Exp(-10)+1e-9)
		assert.Less(t, low, ambient)
	})
}

// rig is a battery and a master's attachment on one in-memory battery bus, stepped as the driver
// steps a system: the hub delivers, then the node runs.
type rig struct {
	hub    *canbus.Hub
	master canbus.Bus
	bat    *Battery
	now    time.Duration
	buf    []can.Frame
}

func newRig(t testing.TB, serial uint32, soc float64) *rig {
	hub := canbus.NewHub("bat")
	r := &rig{hub: hub, master: hub.Attach()}
	r.bat = New(lfp280(t), serial, soc, 25, hub.Attach())
	return r
}

// step advances one step and returns what the master received from it.
func (r *rig) step() []can.Frame {
	r.now += step
	r.hub.Deliver()
	r.bat.Step(r.now)
	r.hub.Deliver()
	r.buf = r.master.Receive(r.buf[:0])
	return r.buf
}

// timedFrame is a frame and the time it was sent.
type timedFrame struct {
	at time.Duration
	f  can.Frame
}

func (r *rig) run(d time.Duration) []timedFrame {
	var out []timedFrame
	for end := r.now + d; r.now < end; {
		for _, f := range r.step() {
			out = append(out, timedFrame{r.now, f})
		}
	}
	return out
}

func (r *rig) send(t testing.TB, f can.Frame) {
	require.NoError(t, r.master.Send(f))
}

func TestAnnouncesUntilAssigned(t *testing.T) {
	for _, serial := range []uint32{1746_0000, 1746_0001, 1746_0004, batbus.MaxSerial} {
		t.Run(fmt.Sprint(serial), func(t *testing.T) {
			r := newRig(t, serial, 50)
			frames := r.run(2 * time.Second)
			temporary := batbus.TemporaryAddress(batbus.PrefixHQ, serial, 0)
			want := batbus.Announce{Address: temporary, Nameplate: batbus.Nameplate{Prefix: batbus.PrefixHQ, Serial: serial, Product: 2}}
			wantDescribe := batbus.Describe{Address: temporary, Chemistry: batbus.ChemistryLFP, Cells: 8, CapacityAh: 280}
			// The phase is spread by serial; after it, one announce every 500 ms.
			phase := time.Duration(serial%5) * 100 * time.Millisecond
			first := max(phase, step) // nothing is sent before the first step
			var at []time.Duration
			for i, tf := range frames {
				if i%2 == 1 { // a Describe follows every Announce
					d, err := batbus.ParseDescribe(tf.f)
					require.NoError(t, err)
					assert.Equal(t, wantDescribe, d)
					assert.Equal(t, frames[i-1].at, tf.at)
					continue
				}
				a, err := batbus.ParseAnnounce(tf.f)
				require.NoError(t, err)
				assert.Equal(t, want, a)
				at = append(at, tf.at)
			}
			var wantAt []time.Duration
			for ts := first; ts <= 2*time.Second; ts += 500 * time.Millisecond {
				wantAt = append(wantAt, ts)
			}
			assert.Equal(t, wantAt, at)
			assert.Equal(t, batbus.Unassigned, r.bat.Address())
		})
	}
}

func TestAssign(t *testing.T) {
	const serial = 1746_0002
	tests := []struct {
		name     string
		frame    can.Frame
		address  uint8 // after the frame; Unassigned: it was not taken
		rejected uint64
	}{
		{"for its serial", batbus.Assign{Prefix: batbus.PrefixHQ, Serial: serial, Address: 7}.Frame(), 7, 0},
		{"highest address", batbus.Assign{Prefix: batbus.PrefixHQ, Serial: serial, Address: batbus.MaxBatteries}.Frame(), batbus.MaxBatteries, 0},
		{"for another serial", batbus.Assign{Prefix: batbus.PrefixHQ, Serial: serial + 1, Address: 7}.Frame(), batbus.Unassigned, 0},
		// Malformed assigns, built by hand: the firmware counts them and keeps its state.
		{"address 0", assignFrame(serial, 0, 8), batbus.Unassigned, 1},
		{"address 65", assignFrame(serial, batbus.MaxBatteries+1, 8), batbus.Unassigned, 1},
		{"address 255", assignFrame(serial, 0xFF, 8), batbus.Unassigned, 1},
		{"short frame", assignFrame(serial, 7, 5), batbus.Unassigned, 1},
		// Frames of other messages or protocols are none of its business and not malformed.
		{"another battery's status", batbus.Status{Address: 3, SOCHundredths: 5000}.Frame(), batbus.Unassigned, 0},
		{"a VE.Can frame", can.Frame{ID: 0x19F21450, IsExtended: true, Length: 8}, batbus.Unassigned, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, serial, 50)
			r.run(time.Second)
			r.send(t, tt.frame)
			r.step()
			assert.Equal(t, tt.address, r.bat.Address())
			assert.Equal(t, tt.rejected, r.bat.Rejected())

			var announces, describes, reports int
			for _, tf := range r.run(3 * time.Second) {
				msg, addr, ok := batbus.Split(tf.f)
				require.True(t, ok)
				switch msg {
				case batbus.MsgAnnounce:
					announces++
				case batbus.MsgDescribe:
					describes++
				case batbus.MsgStatus, batbus.MsgExtremes:
					reports++
					assert.Equal(t, tt.address, addr, "reports come from the assigned address")
				default:
					t.Errorf("unexpected message 0x%02X", uint8(msg))
				}
			}
			if tt.address == batbus.Unassigned {
				assert.Equal(t, 6, announces, "an unassigned battery keeps announcing")
				assert.Equal(t, 6, describes, "and describing")
				assert.Zero(t, reports)
			} else {
				assert.Zero(t, announces, "an assigned battery stops announcing")
				assert.Zero(t, describes)
				assert.Equal(t, 12, reports)
			}
		})
	}
}

func assignFrame(serial uint32, address uint8, length uint8) can.Frame {
	f := can.Frame{ID: batbus.ID(batbus.MsgAssign, batbus.Broadcast), IsExtended: true, Length: length}
	f.Data = can.Data{'H', 'Q', byte(serial), byte(serial >> 8), byte(serial >> 16), byte(serial >> 24), address, 0xFF}
	return f
}

func TestReports(t *testing.T) {
	const serial = 1746_0003
	const amps = -42.3
	r := newRig(t, serial, 63.21)
	r.run(700 * time.Millisecond)
	r.send(t, batbus.Assign{Prefix: batbus.PrefixHQ, Serial: serial, Address: 5}.Frame())
	r.bat.Flow(amps, step)
	assignedAt := r.now + step

	var statuses, cells []time.Duration
	for range 300 { // 3 s
		// The plant would flow current every step; keep the state moving so that each report
		// has to be of the state at its own time.
		r.bat.Flow(amps, step)
		for _, f := range r.step() {
			msg, addr, ok := batbus.Split(f)
			require.True(t, ok)
			require.Equal(t, uint8(5), addr)
			switch msg {
			case batbus.MsgStatus:
				statuses = append(statuses, r.now)
				s, err := batbus.ParseStatus(f)
				require.NoError(t, err)
				assert.InDelta(t, r.bat.SOCPercent(), float64(s.SOCHundredths)/100, 0.005)
				terminal := r.bat.OpenCircuitVolts() + amps*r.bat.ResistanceOhms()
				assert.InDelta(t, terminal, float64(s.Centivolts)/100, 0.0105, "10 mV on the wire")
				assert.Equal(t, int16(-423), s.Deciamps)
			case batbus.MsgExtremes:
				cells = append(cells, r.now)
				c, err := batbus.ParseExtremes(f)
				require.NoError(t, err)
				low, high := r.bat.CellVolts()
				assert.InDelta(t, low, float64(c.MinMillivolts)/1000, 0.0005)
				assert.InDelta(t, high, float64(c.MaxMillivolts)/1000, 0.0005)
				lowT, highT := r.bat.CellCelsius()
				assert.InDelta(t, lowT, float64(c.MinDeciCelsius)/10, 0.05)
				assert.InDelta(t, highT, float64(c.MaxDeciCelsius)/10, 0.05)
			default:
				t.Fatalf("unexpected message 0x%02X after assignment", uint8(msg))
			}
		}
	}
	// The first report in the step that took the address, then every 500 ms.
	var want []time.Duration
	for ts := assignedAt; ts <= r.now; ts += 500 * time.Millisecond {
		want = append(want, ts)
	}
	assert.Equal(t, want, statuses)
	assert.Equal(t, want, cells)
}

// Out-of-range readings saturate on the wire instead of wrapping to the other sign.
func TestReportsSaturate(t *testing.T) {
	tests := []struct {
		name          string
		amps          float64
		deciamps      int16
		zeroMillivolt bool // the terminal voltage is below zero
	}{
		{"4 kA charge", 4000, math.MaxInt16 - 1, false}, // 0x7FFF is "not available"
		{"4 kA discharge", -4000, math.MinInt16, false},
		{"short circuit", -100_000, math.MinInt16, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 11, 50)
			r.send(t, batbus.Assign{Prefix: batbus.PrefixHQ, Serial: 11, Address: 1}.Frame())
			r.bat.Flow(tt.amps, time.Millisecond)
			frames := r.step()
			require.Len(t, frames, 2)
			s, err := batbus.ParseStatus(frames[0])
			require.NoError(t, err)
			assert.Equal(t, tt.deciamps, s.Deciamps)
			c, err := batbus.ParseExtremes(frames[1])
			require.NoError(t, err)
			if tt.zeroMillivolt {
				assert.Zero(t, s.Centivolts)
				assert.Zero(t, c.MinMillivolts)
			} else {
				assert.Positive(t, s.Centivolts)
			}
		})
	}
}

// BenchmarkStep is the steady state of a registered battery: one driver step (hub delivery,
// the firmware, the master draining its inbox), every step a report step in "reporting".
func BenchmarkStep(b *testing.B) {
	for _, bc := range []struct {
		name string
		dt   time.Duration
	}{{"10ms", step}, {"reporting", reportPeriod}} {
		b.Run(bc.name, func(b *testing.B) {
			r := newRig(b, 21, 50)
			r.send(b, batbus.Assign{Prefix: batbus.PrefixHQ, Serial: 21, Address: 1}.Frame())
			r.step()
			require.Equal(b, uint8(1), r.bat.Address())
			r.run(time.Second) // let every buffer reach its working size
			b.ReportAllocs()
			for b.Loop() {
				r.now += bc.dt
				r.hub.Deliver()
				r.bat.Step(r.now)
				r.hub.Deliver()
				r.buf = r.master.Receive(r.buf[:0])
			}
		})
	}
}

func BenchmarkFlow(b *testing.B) {
	bat := loose(b, 1, 50)
	b.ReportAllocs()
	for b.Loop() {
		bat.Flow(1, step)
	}
}
