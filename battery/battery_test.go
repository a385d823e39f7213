package battery

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/batbus"
)

func lfp280(t testing.TB) Type {
	t.Helper()
	typ, err := LookupType("LFP-24V-280Ah")
	require.NoError(t, err)
	return typ
}

// chargeAh is the charge that has passed through the module: its cells are in series, so every
// cell moves by the same amount (no balancing here) and the mean is that amount.
func (b *Battery) chargeAh() float64 {
	var ah float64
	for _, c := range b.mod.cells {
		ah += c.chargeAh
	}
	return ah / float64(len(b.mod.cells))
}

// rig is one battery on a hub with the test as its master.
type rig struct {
	hub    *canbus.Hub
	master canbus.Bus
	b      *Battery
	now    time.Duration
}

const serial1 = 174600001

func newRig(t testing.TB, typeName string, serial uint32) *rig {
	t.Helper()
	typ, err := LookupType(typeName)
	require.NoError(t, err)
	hub := canbus.NewHub("bat")
	r := &rig{hub: hub, master: hub.Attach()}
	r.b, err = New(typ, serial, 60, 25, hub.Attach())
	require.NoError(t, err)
	return r
}

// run steps the battery for d and returns what it sent, by message.
func (r *rig) run(d time.Duration) map[batbus.Message][]can.Frame {
	out := map[batbus.Message][]can.Frame{}
	for end := r.now + d; r.now < end; {
		r.now += 10 * time.Millisecond
		r.hub.Deliver()
		r.b.Step(r.now)
		r.hub.Deliver()
		for _, f := range r.master.Receive(nil) {
			if msg, _, ok := batbus.Split(f); ok {
				out[msg] = append(out[msg], f)
			}
		}
	}
	return out
}

func (r *rig) send(t testing.TB, f can.Frame) {
	t.Helper()
	require.NoError(t, r.master.Send(f))
}

// assign registers the battery at address 3 with a heartbeat, as the master does.
func (r *rig) assign(t testing.TB) {
	r.send(t, batbus.Assign{Prefix: [2]byte{'H', 'Q'}, Serial: r.b.Serial(), Address: 3}.Frame())
	r.send(t, batbus.Heartbeat{State: 9, DetailSeconds: 1}.Frame())
}

func TestAnnouncesUntilAssigned(t *testing.T) {
	r := newRig(t, "LFP-24V-280Ah", serial1)
	sent := r.run(2 * time.Second)
	require.Len(t, sent[batbus.MsgAnnounce], 4, "every 500 ms")
	require.Len(t, sent[batbus.MsgDescribe], 4, "a Describe after each Announce")
	a, err := batbus.ParseAnnounce(sent[batbus.MsgAnnounce][0])
	require.NoError(t, err)
	assert.Equal(t, batbus.TemporaryAddress(a.Prefix, serial1, 0), a.Address, "from its temporary address")
	assert.Equal(t, "HQ174600001", a.SerialString())
	assert.Equal(t, lfp280(t).ProductID, a.Product)
	d, err := batbus.ParseDescribe(sent[batbus.MsgDescribe][0])
	require.NoError(t, err)
	assert.Equal(t, uint8(8), d.Cells)
	assert.Equal(t, uint16(280), d.CapacityAh)
	assert.Empty(t, sent[batbus.MsgStatus], "no measurements before an address")

	// An Assign for another serial changes nothing; one for ours is acknowledged with the
	// nameplate, a Describe and the firmware, and the announcing stops.
	r.send(t, batbus.Assign{Prefix: [2]byte{'H', 'Q'}, Serial: serial1 + 1, Address: 2}.Frame())
	r.run(time.Second)
	assert.Equal(t, batbus.Unassigned, r.b.Address())
	r.assign(t)
	sent = r.run(2 * time.Second)
	assert.Equal(t, uint8(3), r.b.Address())
	require.Len(t, sent[batbus.MsgAssignAck], 1)
	ack, err := batbus.ParseAssignAck(sent[batbus.MsgAssignAck][0])
	require.NoError(t, err)
	assert.Equal(t, uint32(serial1), ack.Serial)
	assert.Equal(t, uint8(3), ack.Address)
	assert.Len(t, sent[batbus.MsgFirmware], 1)
	assert.Empty(t, sent[batbus.MsgAnnounce])
}

// The reporting periods of docs/battery-bus.md, with values that parse back to the module's.
func TestReports(t *testing.T) {
	r := newRig(t, "RS-24V-200Ah", serial1)
	r.assign(t)
	r.run(20 * time.Millisecond)
	sent := r.run(10 * time.Second)
	assert.Len(t, sent[batbus.MsgStatus], 20)
	assert.Len(t, sent[batbus.MsgExtremes], 20)
	assert.Len(t, sent[batbus.MsgCellVoltages], 10*3, "8 cells, 3 a frame, every second")
	assert.Len(t, sent[batbus.MsgTemperatures], 10*2, "4 sensors, 3 a frame")
	assert.Len(t, sent[batbus.MsgTerminals], 10)
	assert.Len(t, sent[batbus.MsgEnvironment], 2)
	assert.Len(t, sent[batbus.MsgIdentity], 2)

	st, err := batbus.ParseStatus(sent[batbus.MsgStatus][19])
	require.NoError(t, err)
	assert.InDelta(t, r.b.Module().SOCPercent(), float64(st.SOCHundredths)/100, 0.01)
	assert.InDelta(t, r.b.Module().TerminalVolts(), float64(st.Centivolts)/100, 0.01)
	prev, _ := batbus.ParseStatus(sent[batbus.MsgStatus][18])
	assert.Equal(t, prev.Sequence+1, st.Sequence)

	cells := r.b.Module().CellVolts(nil)
	cv, err := batbus.ParseCellVoltages(sent[batbus.MsgCellVoltages][0])
	require.NoError(t, err)
	assert.InDelta(t, cells[0]*1000, float64(cv.Millivolts[0]), 1)
	for msg, frames := range sent {
		for _, f := range frames {
			spec, ok := batbus.SpecOf(msg)
			require.True(t, ok)
			values := make([]float64, len(spec.Signals))
			require.NoError(t, spec.Decode(f, values), "every frame the battery sends passes the protocol's checks")
		}
	}

	env, err := batbus.ParseEnvironment(sent[batbus.MsgEnvironment][1])
	require.NoError(t, err)
	assert.Equal(t, batbus.LeakageNone, env.Leakage, "RS has a leakage sensor (1.34-03)")
	assert.NotEqual(t, batbus.NAUn8, env.SOHPercent, "RS reports SOH (1.35-01)")
	assert.Equal(t, batbus.SelfTestPassed, env.SelfTest, "RS230 self-test (1.38-04)")
}

// Commands: balancing reaches the cells, a repeated tag is acknowledged without acting twice, an
// unknown fan on a battery without fans is refused, shutdown silences the firmware and wake brings
// it back.
func TestCommands(t *testing.T) {
	r := newRig(t, "LFP-24V-280Ah", serial1)
	r.assign(t)
	r.run(50 * time.Millisecond)
	ackOf := func(sent map[batbus.Message][]can.Frame) batbus.CommandAck {
		t.Helper()
		require.NotEmpty(t, sent[batbus.MsgCommandAck])
		a, err := batbus.ParseCommandAck(sent[batbus.MsgCommandAck][0])
		require.NoError(t, err)
		return a
	}
	r.send(t, batbus.Command{To: 3, Tag: 1, Code: batbus.CmdBalance, CellMask: 0b101}.Frame())
	a := ackOf(r.run(50 * time.Millisecond))
	assert.Equal(t, batbus.ResultOK, a.Result)
	assert.Equal(t, uint32(0b101), r.b.Module().BalancingMask())
	sent := r.run(600 * time.Millisecond)
	st, _ := batbus.ParseStatus(sent[batbus.MsgStatus][0])
	assert.True(t, st.Flags.Has(batbus.StatusBalancing))

	// The master repeats the same command (same tag): acknowledged, not executed again.
	require.NoError(t, r.b.Module().SetBalancing(0))
	before := r.b.Counters().Commands
	r.send(t, batbus.Command{To: 3, Tag: 1, Code: batbus.CmdBalance, CellMask: 0b101}.Frame())
	assert.Equal(t, batbus.ResultOK, ackOf(r.run(50*time.Millisecond)).Result)
	assert.Equal(t, before, r.b.Counters().Commands)
	assert.Zero(t, r.b.Module().BalancingMask())

	r.send(t, batbus.Command{To: 3, Tag: 2, Code: batbus.CmdFan, Fan: batbus.FanOn}.Frame())
	assert.Equal(t, batbus.ResultRefused, ackOf(r.run(50*time.Millisecond)).Result, "no fans on LFP")

	r.send(t, batbus.Command{To: 3, Tag: 3, Code: batbus.CmdShutdown}.Frame())
	r.run(50 * time.Millisecond)
	assert.Empty(t, r.run(2 * time.Second)[batbus.MsgStatus], "asleep: silent")
	r.send(t, batbus.Command{To: 3, Tag: 4, Code: batbus.CmdWake}.Frame())
	r.run(50 * time.Millisecond)
	assert.NotEmpty(t, r.run(time.Second)[batbus.MsgStatus])

	// Broadcast commands are executed and not acknowledged.
	r.send(t, batbus.Command{To: batbus.Broadcast, Tag: 5, Code: batbus.CmdBalance, CellMask: 1}.Frame())
	assert.Empty(t, r.run(50 * time.Millisecond)[batbus.MsgCommandAck])
	assert.Equal(t, uint32(1), r.b.Module().BalancingMask())
}

// The battery's own communication check: without the master's heartbeat for three seconds it
// stops balancing and says so in its Status.
func TestHeartbeatTimeout(t *testing.T) {
	r := newRig(t, "LFP-24V-280Ah", serial1)
	r.assign(t)
	r.run(50 * time.Millisecond)
	r.send(t, batbus.Command{To: 3, Tag: 1, Code: batbus.CmdBalance, CellMask: 1}.Frame())
	r.run(2 * time.Second)
	assert.False(t, r.b.CommTimeout())
	sent := r.run(2 * time.Second)
	assert.True(t, r.b.CommTimeout())
	assert.Zero(t, r.b.Module().BalancingMask())
	st, _ := batbus.ParseStatus(sent[batbus.MsgStatus][len(sent[batbus.MsgStatus])-1])
	assert.True(t, st.Flags.Has(batbus.StatusCommTimeout))

	// Released (a master restart): it announces again.
	r.send(t, batbus.Release{To: batbus.Broadcast, Reason: batbus.ReleaseRestart}.Frame())
	sent = r.run(time.Second)
	assert.Equal(t, batbus.Unassigned, r.b.Address())
	assert.NotEmpty(t, sent[batbus.MsgAnnounce])
}

// Two unassigned batteries whose serials give the same temporary address: the greater serial
// moves to its next attempt, so that the two never keep sending the same identifier.
func TestTemporaryAddressCollision(t *testing.T) {
	hub := canbus.NewHub("bat")
	listen := hub.Attach()
	typ := lfp280(t)
	a, err := New(typ, 174600001, 50, 25, hub.Attach())
	require.NoError(t, err)
	b, err := New(typ, 174600001+127, 50, 25, hub.Attach()) // serial mod 127 equal: same first address
	require.NoError(t, err)
	require.Equal(t, batbus.TemporaryAddress(a.nameplate.Prefix, a.Serial(), 0), batbus.TemporaryAddress(b.nameplate.Prefix, b.Serial(), 0))
	var now time.Duration
	for range 200 {
		now += 10 * time.Millisecond
		hub.Deliver()
		a.Step(now)
		b.Step(now)
	}
	hub.Deliver()
	from := map[uint32]map[uint8]bool{}
	for _, f := range listen.Receive(nil) {
		if an, err := batbus.ParseAnnounce(f); err == nil {
			if from[an.Serial] == nil {
				from[an.Serial] = map[uint8]bool{}
			}
			from[an.Serial][an.Address] = true
		}
	}
	assert.Equal(t, uint8(0), a.attempt, "the smaller serial keeps its address")
	assert.Equal(t, uint8(1), b.attempt, "the greater moves on")
	assert.True(t, from[b.Serial()][batbus.TemporaryAddress(b.nameplate.Prefix, b.Serial(), 1)])
}

// A firmware update: begin, one block with the right CRC, a block with a wrong one refused with
// the block to send again, end with the image CRC.
func TestFirmwareUpdate(t *testing.T) {
	r := newRig(t, "LFP-24V-280Ah", serial1)
	r.assign(t)
	r.run(50 * time.Millisecond)
	ack := func() batbus.CommandAck {
		sent := r.run(30 * time.Millisecond)
		require.Len(t, sent[batbus.MsgCommandAck], 1)
		a, err := batbus.ParseCommandAck(sent[batbus.MsgCommandAck][0])
		require.NoError(t, err)
		return a
	}
	block := make([]byte, batbus.UpdateBlockSize)
	for i := range block {
		block[i] = byte(i * 7)
	}
	sendBlock := func() {
		for i := 0; i < len(block); i += 8 {
			var d [8]byte
			copy(d[:], block[i:])
			r.send(t, batbus.UpdateData{To: 3, Data: d}.Frame())
		}
	}
	r.send(t, batbus.Command{To: 3, Tag: 1, Code: batbus.CmdUpdateBegin, ImageSize: 2 * batbus.UpdateBlockSize, Processor: 1}.Frame())
	assert.Equal(t, batbus.ResultOK, ack().Result)
	sendBlock()
	r.send(t, batbus.Command{To: 3, Tag: 2, Code: batbus.CmdUpdateBlock, Block: 0, CRC: batbus.CRC16(block)}.Frame())
	a := ack()
	assert.Equal(t, batbus.ResultOK, a.Result)
	assert.Equal(t, uint16(1), a.NextBlock)
	sendBlock()
	r.send(t, batbus.Command{To: 3, Tag: 3, Code: batbus.CmdUpdateBlock, Block: 1, CRC: batbus.CRC16(block) ^ 1}.Frame())
	a = ack()
	assert.Equal(t, batbus.ResultRefused, a.Result)
	assert.Equal(t, uint16(1), a.NextBlock, "send block 1 again")
	sendBlock()
	r.send(t, batbus.Command{To: 3, Tag: 4, Code: batbus.CmdUpdateBlock, Block: 1, CRC: batbus.CRC16(block)}.Frame())
	assert.Equal(t, batbus.ResultOK, ack().Result)
	image := append(append([]byte(nil), block...), block...)
	r.send(t, batbus.Command{To: 3, Tag: 5, Code: batbus.CmdUpdateEnd, Blocks: 2, CRC: batbus.CRC16(image)}.Frame())
	assert.Equal(t, batbus.ResultOK, ack().Result)
}

// Each injector has its observable effect on the bus.
func TestInjectorsOnTheBus(t *testing.T) {
	t.Run("silent", func(t *testing.T) {
		r := newRig(t, "LFP-24V-280Ah", serial1)
		r.assign(t)
		r.run(time.Second)
		clear, err := r.b.Inject(FaultSilent)
		require.NoError(t, err)
		assert.Empty(t, r.run(2*time.Second))
		clear()
		assert.NotEmpty(t, r.run(time.Second)[batbus.MsgStatus])
	})
	t.Run("babbling", func(t *testing.T) {
		r := newRig(t, "LFP-24V-280Ah", serial1)
		r.assign(t)
		r.run(time.Second)
		_, err := r.b.Inject(FaultBabbling)
		require.NoError(t, err)
		assert.Len(t, r.run(time.Second)[batbus.MsgStatus], 100, "a Status every 10 ms step")
	})
	t.Run("deaf", func(t *testing.T) {
		r := newRig(t, "LFP-24V-280Ah", serial1)
		r.assign(t)
		r.run(time.Second)
		clear, err := r.b.Inject(FaultDeaf)
		require.NoError(t, err)
		r.send(t, batbus.Command{To: 3, Tag: 1, Code: batbus.CmdBalance, CellMask: 1}.Frame())
		sent := r.run(time.Second)
		assert.Empty(t, sent[batbus.MsgCommandAck], "no acknowledgement")
		assert.NotEmpty(t, sent[batbus.MsgStatus], "still reporting")
		assert.Zero(t, r.b.Module().BalancingMask(), "not executed")
		clear()
		r.send(t, batbus.Command{To: 3, Tag: 2, Code: batbus.CmdBalance, CellMask: 1}.Frame())
		assert.NotEmpty(t, r.run(50 * time.Millisecond)[batbus.MsgCommandAck])
		assert.Equal(t, uint32(1), r.b.Module().BalancingMask())
	})
	t.Run("wrong type", func(t *testing.T) {
		r := newRig(t, "LFP-24V-280Ah", serial1)
		_, err := r.b.Inject(FaultWrongType, 0x1234)
		require.NoError(t, err)
		a, err := batbus.ParseAnnounce(r.run(time.Second)[batbus.MsgAnnounce][0])
		require.NoError(t, err)
		assert.Equal(t, uint16(0x1234), a.Product)
	})
	t.Run("hot cell", func(t *testing.T) {
		r := newRig(t, "LFP-24V-280Ah", serial1)
		r.assign(t)
		r.run(50 * time.Millisecond)
		// The cell under the first temperature sensor, so that a sensor reads it.
		_, err := r.b.Inject("hot-cell", float64(r.b.Module().SensorCell(0)), 70)
		require.NoError(t, err)
		sent := r.run(time.Second)
		e, err := batbus.ParseExtremes(sent[batbus.MsgExtremes][1])
		require.NoError(t, err)
		assert.InDelta(t, 700, e.MaxDeciCelsius, 30)
	})
	t.Run("leakage", func(t *testing.T) {
		r := newRig(t, "RS-24V-200Ah", serial1)
		r.assign(t)
		r.run(50 * time.Millisecond)
		_, err := r.b.Inject("leakage")
		require.NoError(t, err)
		sent := r.run(5 * time.Second)
		env, err := batbus.ParseEnvironment(sent[batbus.MsgEnvironment][0])
		require.NoError(t, err)
		assert.Equal(t, batbus.LeakageDetected, env.Leakage)
	})
	t.Run("self-test", func(t *testing.T) {
		r := newRig(t, "RS-24V-200Ah", serial1)
		r.assign(t)
		r.run(50 * time.Millisecond)
		_, err := r.b.Inject(FaultSelfTest, float64(batbus.SelfTestRAM))
		require.NoError(t, err)
		sent := r.run(5 * time.Second)
		env, err := batbus.ParseEnvironment(sent[batbus.MsgEnvironment][0])
		require.NoError(t, err)
		assert.Equal(t, batbus.SelfTestFailed, env.SelfTest)
		assert.Equal(t, batbus.SelfTestRAM, env.SelfTestFailures)
	})
	t.Run("unknown", func(t *testing.T) {
		r := newRig(t, "LFP-24V-280Ah", serial1)
		_, err := r.b.Inject("gremlins")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "hot-cell")
		assert.Contains(t, err.Error(), "babbling")
		_, err = r.b.Inject(FaultSelfTest)
		assert.Error(t, err, "LFP has no self-test")
	})
}

// Malformed frames of the protocol are counted and ignored, never trusted.
func TestRejectsHostileFrames(t *testing.T) {
	r := newRig(t, "LFP-24V-280Ah", serial1)
	r.assign(t)
	r.run(50 * time.Millisecond)
	bad := batbus.Command{To: 3, Tag: 1, Code: batbus.CmdBalance, CellMask: 1}.Frame()
	bad.Length = 3
	r.send(t, bad)
	r.send(t, can.Frame{ID: batbus.ID(batbus.MsgAssign, batbus.Broadcast), IsExtended: true, Length: 8})
	r.run(50 * time.Millisecond)
	assert.Equal(t, uint64(2), r.b.Counters().Rejected)
	assert.Zero(t, r.b.Module().BalancingMask())
	assert.Equal(t, uint8(3), r.b.Address())
}

func BenchmarkStep(b *testing.B) {
	r := newRig(b, "LFP-24V-280Ah", serial1)
	r.assign(b)
	r.run(time.Second)
	b.ReportAllocs()
	for b.Loop() {
		r.now += 10 * time.Millisecond
		r.b.Step(r.now)
		r.master.Receive(nil)
		r.hub.Deliver()
	}
}
