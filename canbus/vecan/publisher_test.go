package vecan

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/n2k"
)

// sent is one broadcast the publisher made.
type sent struct {
	at    time.Duration
	reg   Register
	value uint32
}

// change sets a register's value from a time on; held=false removes it.
type change struct {
	at    time.Duration
	reg   Register
	value uint32
	gone  bool
}

// runPublisher steps p every step from 0 to end with the values the changes give, and returns
// what went out.
func runPublisher(t *testing.T, p *Publisher, changes []change, step, end time.Duration) []sent {
	t.Helper()
	values := map[Register]uint32{}
	get := func(r Register) (uint32, bool) {
		v, ok := values[r]
		return v, ok
	}
	var out []sent
	buf := make([]can.Frame, 0, 16)
	for now := time.Duration(0); now <= end; now += step {
		for _, c := range changes {
			if c.at == now {
				if c.gone {
					delete(values, c.reg)
				} else {
					values[c.reg] = c.value
				}
			}
		}
		for _, f := range p.Step(now, bms, get, buf[:0]) {
			id := n2k.ParseCANID(f.ID)
			require.Equal(t, PGNVREG, id.PGN)
			require.Equal(t, bms, id.Source)
			require.Equal(t, n2k.Broadcast, id.Destination)
			v, ok := ParseVREG(f)
			require.True(t, ok)
			info, _ := LookupRegister(v.Register)
			out = append(out, sent{at: now, reg: v.Register, value: v.Value & info.mask()})
		}
	}
	return out
}

func times(s []sent, reg Register) []time.Duration {
	var out []time.Duration
	for _, x := range s {
		if x.reg == reg {
			out = append(out, x.at)
		}
	}
	return out
}

func sec(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// Periodic registers go out at once and then every 5 s (S2 p.20).
func TestPublisherPeriodic(t *testing.T) {
	p := NewPublisher([]Register{RegDCChannel1Voltage, RegSOC}, LookupRegister)
	out := runPublisher(t, p, []change{
		{at: 0, reg: RegDCChannel1Voltage, value: 2640},
		{at: 0, reg: RegSOC, value: 8765},
	}, 10*time.Millisecond, 20*time.Second)
	want := []time.Duration{0, sec(5), sec(10), sec(15), sec(20)}
	assert.Equal(t, want, times(out, RegDCChannel1Voltage))
	assert.Equal(t, want, times(out, RegSOC))
}

// On-change registers go out at once, and within 1 s when they changed soon after an unscheduled
// broadcast (S2 p.20); a value that is back to what was sent is not sent again.
func TestPublisherOnChange(t *testing.T) {
	p := NewPublisher([]Register{RegLynxIonState}, LookupRegister)
	out := runPublisher(t, p, []change{
		{at: 0, reg: RegLynxIonState, value: 0},
		{at: sec(0.5), reg: RegLynxIonState, value: 16}, // 0.5 s after the first value: waits to 1.0
		{at: sec(3), reg: RegLynxIonState, value: 9},    // at once
		{at: sec(3.2), reg: RegLynxIonState, value: 10}, // waits to 4.0
		{at: sec(6), reg: RegLynxIonState, value: 12},   // at once
		{at: sec(6.3), reg: RegLynxIonState, value: 14},
		{at: sec(6.6), reg: RegLynxIonState, value: 12}, // back to the value sent: nothing at 7.0
	}, 10*time.Millisecond, 20*time.Second)
	assert.Equal(t, []sent{
		{0, RegLynxIonState, 0},
		{sec(1), RegLynxIonState, 16},
		{sec(3), RegLynxIonState, 9},
		{sec(4), RegLynxIonState, 10},
		{sec(6), RegLynxIonState, 12},
	}, out, "not periodic: nothing without a change")
}

// A periodic register that also goes out on change keeps its 5 s cadence.
func TestPublisherPeriodicAndOnChange(t *testing.T) {
	p := NewPublisher([]Register{RegSOC}, LookupRegister)
	out := runPublisher(t, p, []change{
		{at: 0, reg: RegSOC, value: 8000},
		{at: sec(2.5), reg: RegSOC, value: 7999},
		{at: sec(2.7), reg: RegSOC, value: 7998}, // holdoff to 3.5
	}, 10*time.Millisecond, 11*time.Second)
	assert.Equal(t, []sent{
		{0, RegSOC, 8000},
		{sec(2.5), RegSOC, 7999},
		{sec(3.5), RegSOC, 7998},
		{sec(5), RegSOC, 7998},
		{sec(10), RegSOC, 7998},
	}, out)
}

// Every change goes out within 1 s, whatever the pattern.
func TestPublisherOnChangeBound(t *testing.T) {
	p := NewPublisher([]Register{RegBMSFlags}, LookupRegister)
	const step, end = 10 * time.Millisecond, 12 * time.Second
	changes := scatteredChanges()
	assertOnChangeBound(t, changes, runPublisher(t, p, changes, step, end), step, end, DefaultOnChangeHoldoff+step)
}

// scatteredChanges are 200 changes of RegBMSFlags at scattered times in the first 9 s.
func scatteredChanges() []change {
	var changes []change
	for i := range 200 {
		changes = append(changes, change{at: time.Duration(i*137%900*10) * time.Millisecond, reg: RegBMSFlags, value: uint32(i % 7)})
	}
	return changes
}

// assertOnChangeBound replays the values of changes: a value that differs from the one last
// published must be out less than bound after the moment it appeared, and what goes out is the
// value at that moment.
func assertOnChangeBound(t *testing.T, changes []change, out []sent, step, end, bound time.Duration) {
	t.Helper()
	require.NotEmpty(t, out)
	value := map[time.Duration]uint32{}
	for _, c := range changes {
		value[c.at] = c.value // the last change at a time wins, as in runPublisher
	}
	var cur, published uint32
	pending, since, i := false, time.Duration(0), 0
	for now := time.Duration(0); now <= end; now += step {
		if v, ok := value[now]; ok && (now == 0 || v != cur) {
			cur, since = v, now
			pending = now == 0 || cur != published
		}
		for ; i < len(out) && out[i].at == now; i++ {
			published = out[i].value
			assert.Equal(t, cur, published, "at %v the current value goes out", now)
			pending = false
		}
		if pending {
			require.Less(t, now-since, bound, "value %d from %v still not out at %v", cur, since, now)
		}
	}
}

// Registers the device does not hold are not sent; when they come back they count as new.
func TestPublisherNotHeld(t *testing.T) {
	p := NewPublisher([]Register{RegChargeVoltageLimit, RegBMSError}, LookupRegister)
	out := runPublisher(t, p, []change{
		{at: 0, reg: RegBMSError, value: 0},
		{at: sec(1), reg: RegBMSError, gone: true},
		{at: sec(2), reg: RegBMSError, value: 0}, // same value, but back: sent at once
		{at: sec(7), reg: RegChargeVoltageLimit, value: 2840},
	}, 10*time.Millisecond, 13*time.Second)
	assert.Equal(t, []time.Duration{0, sec(2)}, times(out, RegBMSError))
	assert.Equal(t, []time.Duration{sec(7), sec(12)}, times(out, RegChargeVoltageLimit))
}

// No/No registers are answered on request only.
func TestPublisherNeverSendsNoNo(t *testing.T) {
	p := NewPublisher([]Register{RegTTG}, LookupRegister)
	out := runPublisher(t, p, []change{{at: 0, reg: RegTTG, value: 100}, {at: sec(3), reg: RegTTG, value: 90}},
		10*time.Millisecond, 12*time.Second)
	assert.Empty(t, out)
}

// The 250 ms MG-register mode of changelog 1.26-05, and a custom holdoff.
func TestPublisherOptions(t *testing.T) {
	p := NewPublisher([]Register{RegDCChannel1Current}, LookupRegister, WithPeriod(MGRegisterPeriod), WithOnChangeHoldoff(0))
	out := runPublisher(t, p, []change{{at: 0, reg: RegDCChannel1Current, value: 10}}, 10*time.Millisecond, time.Second)
	assert.Equal(t, []time.Duration{0, sec(0.25), sec(0.5), sec(0.75), sec(1)}, times(out, RegDCChannel1Current))

	p = NewPublisher([]Register{RegBMSError}, LookupRegister, WithOnChangeHoldoff(200*time.Millisecond), WithPeriod(-1))
	assert.Equal(t, DefaultPeriod, p.period, "a non-positive period leaves the default")
	out = runPublisher(t, p, []change{{at: 0, reg: RegBMSError, value: 0}, {at: sec(0.1), reg: RegBMSError, value: 2}},
		10*time.Millisecond, time.Second)
	assert.Equal(t, []time.Duration{0, sec(0.2)}, times(out, RegBMSError))
}

// A late step sends once and restarts the cadence; Reset sends everything again.
func TestPublisherLateStepAndReset(t *testing.T) {
	p := NewPublisher([]Register{RegSOC}, LookupRegister)
	get := func(Register) (uint32, bool) { return 5000, true }
	assert.Len(t, p.Step(0, bms, get, nil), 1)
	assert.Len(t, p.Step(sec(12), bms, get, nil), 1, "two periods missed: one frame")
	assert.Empty(t, p.Step(sec(16.9), bms, get, nil))
	assert.Len(t, p.Step(sec(17), bms, get, nil), 1)
	p.Reset()
	assert.Len(t, p.Step(sec(17.5), bms, get, nil), 1, "after Reset the value is new")
}

// Frames carry the table's size and pad with 0x00 unless told otherwise.
func TestPublisherFrames(t *testing.T) {
	get := func(Register) (uint32, bool) { return 0xABCD0009, true }
	out := NewPublisher([]Register{RegLynxIonState}, LookupRegister).Step(0, bms, get, nil)
	assert.Equal(t, []can.Frame{cf(t, "1CEFFF50#6699710309000000")}, out)
	out = NewPublisher([]Register{RegLynxIonState}, LookupRegister, WithPadding(PadReserved)).Step(0, bms, get, nil)
	assert.Equal(t, []can.Frame{cf(t, "1CEFFF50#6699710309FFFFFF")}, out)
}

func TestPublisherRefusesBadLists(t *testing.T) {
	assert.Panics(t, func() { NewPublisher([]Register{0x4242}, LookupRegister) })
	assert.Panics(t, func() { NewPublisher([]Register{RegSerialNumber}, LookupRegister) })
	assert.Panics(t, func() { NewPublisher([]Register{RegDescription1}, TableFor(mustVersion(t, "1.20"))) })
	assert.NotPanics(t, func() {
		NewPublisher(DefaultBroadcast(TableFor(mustVersion(t, "1.07"))), TableFor(mustVersion(t, "1.07")))
	})
}

// With a change check every 100 ms, a change goes out at the first check after it, within the
// holdoff as before, and periodic broadcasts keep their exact cadence between checks.
func TestPublisherChangeCheck(t *testing.T) {
	p := NewPublisher([]Register{RegSOC, RegLynxIonState}, LookupRegister, WithChangeCheck(100*time.Millisecond))
	out := runPublisher(t, p, []change{
		{at: 0, reg: RegSOC, value: 8000},
		{at: sec(0.05), reg: RegLynxIonState, value: 3},   // noticed at the check at 0.1
		{at: sec(2.53), reg: RegLynxIonState, value: 9},   // at 2.6
		{at: sec(2.77), reg: RegLynxIonState, value: 10},  // holdoff to 3.6: at the check at 3.6
		{at: sec(4.99), reg: RegSOC, value: 7999},         // the periodic broadcast at 5.0 carries it
		{at: sec(6.01), reg: RegLynxIonState, gone: true}, // missing from the check at 6.1
		{at: sec(6.42), reg: RegLynxIonState, value: 11},  // back: new at 6.5
	}, 10*time.Millisecond, sec(10.05))
	assert.Equal(t, []sent{
		{0, RegSOC, 8000},
		{sec(0.1), RegLynxIonState, 3},
		{sec(2.6), RegLynxIonState, 9},
		{sec(3.6), RegLynxIonState, 10},
		{sec(5), RegSOC, 7999},
		{sec(6.5), RegLynxIonState, 11},
		{sec(10), RegSOC, 7999},
	}, out)
}

// Whatever the pattern, a change checked every 100 ms goes out within the holdoff plus the
// check interval.
func TestPublisherChangeCheckBound(t *testing.T) {
	const step, end, check = 10 * time.Millisecond, 12 * time.Second, 100 * time.Millisecond
	p := NewPublisher([]Register{RegBMSFlags}, LookupRegister, WithChangeCheck(check))
	changes := scatteredChanges()
	assertOnChangeBound(t, changes, runPublisher(t, p, changes, step, end), step, end, DefaultOnChangeHoldoff+check+step)
}
