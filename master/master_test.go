package master

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/firmware"
)

// fakeHW is hardware under the test's control: the bus follows the battery voltage at a set rate
// while pre-charging, and the contactor feedback follows the command unless told otherwise.
type fakeHW struct {
	batteryVolts, busVolts, shuntAmps float64
	precharge, contactorCommand       bool
	feedbackBroken                    bool
	prechargeStuck                    bool
	fuseBroken                        bool
	riseVoltsPerStep                  float64 // a slow pre-charge: the bus rises this much a step
	feedbackStuckClosed               bool    // the feedback says closed whatever the contactor does
	welded, weldedShut                bool    // welded contacts stay closed once they have closed
	interlockOpen                     bool
}

func (h *fakeHW) SetContactor(closed bool) {
	h.contactorCommand = closed
	h.weldedShut = h.weldedShut || (closed && h.welded)
}
func (h *fakeHW) SetPrecharge(on bool) { h.precharge = on }
func (h *fakeHW) ContactorClosed() bool {
	return (h.contactorCommand || h.weldedShut || h.feedbackStuckClosed) && !h.feedbackBroken
}
func (h *fakeHW) InterlockOpen() bool   { return h.interlockOpen }
func (h *fakeHW) UserVolts() float64    { return h.busVolts }
func (h *fakeHW) BatteryVolts() float64 { return h.batteryVolts }
func (h *fakeHW) BusVolts() float64     { return h.busVolts }
func (h *fakeHW) ShuntAmps() float64    { return h.shuntAmps }

// step moves the fake bus halfway to the battery each step while pre-charging.
func (h *fakeHW) step() {
	switch {
	case h.precharge && h.prechargeStuck:
		// Stuck half way: a load on the bus the pre-charge cannot lift (not a broken fuse).
		h.busVolts += (h.batteryVolts/2 - h.busVolts) / 2
	case h.precharge && h.fuseBroken:
	case h.precharge && h.riseVoltsPerStep > 0:
		h.busVolts = math.Min(h.batteryVolts, h.busVolts+h.riseVoltsPerStep)
	case h.precharge:
		h.busVolts += (h.batteryVolts - h.busVolts) / 2
	}
	if h.ContactorClosed() {
		h.busVolts = h.batteryVolts
	}
}

// rig is a master with hand-driven batteries: the test speaks the battery bus itself.
type rig struct {
	t        *testing.T
	hub, ve  *canbus.Hub
	bat, gx  canbus.Bus
	hw       *fakeHW
	m        *Master
	now      time.Duration
	veFrames []can.Frame
	// assignments are the Assigns the master sent, by serial; deaf batteries do not acknowledge.
	assignments map[uint32]uint8
	deaf        bool
	// The last report() is repeated every 500 ms, as batteries report (docs/battery-bus.md),
	// unless silent is set.
	// commandsDeaf: the batteries do not acknowledge commands (they do by default).
	commandsDeaf                 bool
	commandsSeen                 []batbus.Command
	reportN                      int
	minMillivolts, maxMillivolts uint16
	nextReport                   time.Duration
	silent                       bool
	// Cell and terminal temperatures the batteries report (0: 25.0 to 26.0 °C, no terminals).
	minDeciC, maxDeciC, terminalDeciC int16
	// statusDeciamps is the current each battery reports.
	statusDeciamps int16
}

func newRig(t *testing.T, v string, mutate func(*Config)) *rig {
	t.Helper()
	p, err := firmware.NewProfile(firmware.MustParse(v))
	require.NoError(t, err)
	r := &rig{t: t, hub: canbus.NewHub("batbus"), ve: canbus.NewHub("vecan"), hw: &fakeHW{batteryVolts: 26.4}}
	r.bat, r.gx = r.hub.Attach(), r.ve.Attach()
	cfg := DefaultConfig(p)
	if mutate != nil {
		mutate(&cfg)
	}
	r.m, err = New(cfg, r.hw, r.hub.Attach(), r.ve.Attach())
	require.NoError(t, err)
	return r
}

const step = 10 * time.Millisecond

// advance runs d of simulated time in steps, delivering frames both ways.
// advance runs d of simulated time in steps, delivering frames both ways. The test's batteries
// acknowledge every Assign at once and answer an identity request, as battery firmware does
// (docs/battery-bus.md), unless r.deaf or r.silent is set.
func (r *rig) advance(d time.Duration) {
	for end := r.now + d; r.now < end; {
		r.now += step
		r.hub.Deliver()
		r.ve.Deliver()
		r.hw.step()
		r.m.Step(r.now)
		r.veFrames = r.gx.Receive(r.veFrames)
		if r.reportN > 0 && !r.silent && r.now >= r.nextReport {
			r.report(r.reportN, r.minMillivolts, r.maxMillivolts)
		}
		for _, f := range r.bat.Receive(nil) {
			if c, err := batbus.ParseCommand(f); err == nil {
				r.commandsSeen = append(r.commandsSeen, c)
				if c.Code == batbus.CmdRequestIdentity && !r.silent {
					for serial, addr := range r.assignments {
						require.NoError(r.t, r.bat.Send(batbus.Identity{Address: addr, Nameplate: batbus.Nameplate{Prefix: batbus.PrefixHQ, Serial: serial, Product: 2}}.Frame()))
					}
				}
				if c.To != batbus.Broadcast && !r.commandsDeaf && !r.silent {
					require.NoError(r.t, r.bat.Send(batbus.CommandAck{Address: c.To, Code: c.Code, Tag: c.Tag, Result: batbus.ResultOK, NextBlock: batbus.NAUn16}.Frame()))
				}
				continue
			}
			a, err := batbus.ParseAssign(f)
			if err != nil {
				continue
			}
			if r.assignments == nil {
				r.assignments = map[uint32]uint8{}
			}
			r.assignments[a.Serial] = a.Address
			if !r.deaf {
				require.NoError(r.t, r.bat.Send(batbus.AssignAck{Address: a.Address, Nameplate: batbus.Nameplate{Prefix: a.Prefix, Serial: a.Serial, Product: 2}}.Frame()))
			}
		}
	}
}

// announce sends what an unassigned battery sends each period: an Announce and a Describe from its
// temporary address.
func (r *rig) announce(serial uint32, chem batbus.Chemistry, model, cells uint8) {
	temporary := batbus.TemporaryAddress(batbus.PrefixHQ, serial, 0)
	require.NoError(r.t, r.bat.Send(batbus.Announce{Address: temporary, Nameplate: batbus.Nameplate{Prefix: batbus.PrefixHQ, Serial: serial, Product: uint16(model)}}.Frame()))
	require.NoError(r.t, r.bat.Send(batbus.Describe{Address: temporary, Chemistry: chem, Cells: cells, CapacityAh: 280}.Frame()))
}

// runningHE brings a rig on firmware v to running with one HE battery (NMC, 7 cells, 280 Ah).
func runningHE(t *testing.T, v string, mutate func(*Config)) *rig {
	r := newRig(t, v, mutate)
	r.advance(step)
	r.announce(1, batbus.ChemistryNMC, 7, 7)
	r.advance(r.m.cfg.RegistrationQuiet + 50*time.Millisecond)
	r.report(1, 3700, 3710)
	r.advance(time.Second + r.m.cfg.ContactorCheckTime)
	require.Equal(t, events.StateRunning, r.m.State())
	return r
}

// report sends a status and a cells frame for every address 1..n, and keeps doing so every
// 500 ms from advance.
func (r *rig) report(n int, minMillivolts, maxMillivolts uint16) {
	r.reportN, r.minMillivolts, r.maxMillivolts = n, minMillivolts, maxMillivolts
	r.nextReport = r.now + 500*time.Millisecond
	for a := 1; a <= n; a++ {
		require.NoError(r.t, r.bat.Send(batbus.Status{Address: uint8(a), Centivolts: 2640, Deciamps: r.statusDeciamps, SOCHundredths: 5000}.Frame()))
		lo, hi := r.minDeciC, r.maxDeciC
		if lo == 0 && hi == 0 {
			lo, hi = 250, 260
		}
		require.NoError(r.t, r.bat.Send(batbus.Extremes{Address: uint8(a), MinMillivolts: minMillivolts, MaxMillivolts: maxMillivolts, MinDeciCelsius: lo, MaxDeciCelsius: hi}.Frame()))
		if r.terminalDeciC != 0 {
			require.NoError(r.t, r.bat.Send(batbus.Terminals{Address: uint8(a), PositiveDeciCelsius: r.terminalDeciC, NegativeDeciCelsius: batbus.NASn16}.Frame()))
		}
	}
}

func (r *rig) assigned() map[uint32]uint8 { return r.assignments }

// lastVREG returns the last broadcast value of reg, sizeBytes long, on VE.Can.
func (r *rig) lastVREG(reg vecan.Register, sizeBytes uint) (uint32, bool) {
	var v uint32
	found := false
	for _, f := range r.veFrames {
		if x, ok := vecan.ParseVREG(f); ok && x.Register == reg {
			// The frame is padded with 0xFF after the value (protocol.md §3.1, S7).
			v, found = x.Value&(uint32(1)<<(8*sizeBytes)-1), true
		}
	}
	return v, found
}

func TestStartUpToRunning(t *testing.T) {
	r := newRig(t, "1.38", nil)
	r.advance(100 * time.Millisecond)
	assert.Equal(t, events.StateWaitBoot, r.m.State())
	// Announced out of serial order: addresses still follow the serials.
	r.announce(20, batbus.ChemistryLFP, 2, 8)
	r.announce(10, batbus.ChemistryLFP, 2, 8)
	r.advance(r.m.cfg.RegistrationQuiet + 50*time.Millisecond)
	assert.Equal(t, map[uint32]uint8{10: 1, 20: 2}, r.assigned())
	assert.Equal(t, events.StateInit, r.m.State())

	r.report(2, 3300, 3310)
	r.advance(50 * time.Millisecond)
	// Changelog 1.23-03: the contactor check (state 17) before pre-charging.
	assert.Equal(t, events.StateContactorCheck, r.m.State())
	assert.False(t, r.hw.precharge)
	assert.False(t, r.hw.contactorCommand)
	r.advance(r.m.cfg.ContactorCheckTime)
	assert.Equal(t, events.StatePreCharging, r.m.State())
	assert.True(t, r.hw.precharge)
	assert.InDelta(t, 50, r.m.Snapshot().SOCPercent, 1e-9, "SOC starts from the batteries' own")

	r.advance(time.Second)
	assert.Equal(t, events.StateRunning, r.m.State())
	assert.True(t, r.hw.contactorCommand)
	assert.False(t, r.hw.precharge, "pre-charge path off once the contactor is confirmed")
	assert.Equal(t, events.ErrNone, r.m.Error())

	// Changed registers reach VE.Can within at most a second (S2 p.20).
	r.advance(time.Second) // the on-change holdoff of vecan.Publisher
	state, ok := r.lastVREG(vecan.RegLynxIonState, 1)
	require.True(t, ok)
	assert.Equal(t, uint32(events.StateRunning), state)
	flags, ok := r.lastVREG(0x2100, 4)
	require.True(t, ok)
	set := events.FlagSet(flags)
	assert.True(t, set.Has(events.FlagAllowedToCharge))
	assert.True(t, set.Has(events.FlagAllowedToDischarge))
	assert.True(t, set.Has(events.FlagRelayCharge))
}

func TestStartUpErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		setup  func(r *rig)
		want   events.ErrorCode
	}{
		{"no battery announces (#2)", nil, func(r *rig) {}, events.ErrNoBatteryFound},
		{"different battery types (#4)", nil, func(r *rig) {
			r.announce(1, batbus.ChemistryLFP, 2, 8)
			r.announce(2, batbus.ChemistryLFP, 1, 8)
		}, events.ErrBatteryType},
		{"wrong number of batteries (#5)", func(c *Config) { c.ExpectedBatteries = 3 }, func(r *rig) {
			r.announce(1, batbus.ChemistryLFP, 2, 8)
			r.announce(2, batbus.ChemistryLFP, 2, 8)
		}, events.ErrNumberOfBatteries},
		{"bank does not divide into strings (#9)", func(c *Config) { c.Series = 2 }, func(r *rig) {
			r.announce(1, batbus.ChemistryLFP, 2, 8)
		}, events.ErrBatteriesInSeries},
		{"battery never reports (#23)", nil, func(r *rig) {
			r.announce(1, batbus.ChemistryLFP, 2, 8)
		}, events.ErrSlaveFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, "1.38", tt.mutate)
			r.advance(step)
			tt.setup(r)
			r.advance(20 * time.Second)
			assert.Equal(t, events.StateError, r.m.State())
			assert.Equal(t, tt.want, r.m.Error())
			assert.False(t, r.hw.contactorCommand)
			assert.False(t, r.hw.precharge)
			code, ok := r.lastVREG(0x2101, 1)
			require.True(t, ok)
			assert.Equal(t, uint32(tt.want), code, "the GX sees the error")
		})
	}
}

// registerAndReport brings the rig to pre-charging with n batteries.
func (r *rig) registerAndReport(n int) {
	for i := 1; i <= n; i++ {
		r.announce(uint32(i), batbus.ChemistryLFP, 2, 8)
	}
	r.advance(r.m.cfg.RegistrationQuiet + 50*time.Millisecond)
	r.report(n, 3300, 3310)
	r.advance(50 * time.Millisecond)
	if r.m.cfg.Firmware.Has("1.23-03") {
		// The contactor check of v1.23 comes first (state 17).
		require.Equal(r.t, events.StateContactorCheck, r.m.State())
		r.advance(r.m.cfg.ContactorCheckTime)
	}
	require.Equal(r.t, events.StatePreCharging, r.m.State())
}

// A pre-charge that never converges ends after 30 s (changelog 1.11-03) with #35, the contactor
// never commanded.
func TestPrechargeTimeout(t *testing.T) {
	r := newRig(t, "1.38", nil)
	r.hw.prechargeStuck = true
	r.advance(step)
	r.registerAndReport(1)
	r.advance(29 * time.Second)
	assert.Equal(t, events.StatePreCharging, r.m.State())
	r.advance(1100 * time.Millisecond)
	assert.Equal(t, events.StateError, r.m.State())
	assert.Equal(t, events.ErrPreChargeTimeout, r.m.Error())
	assert.False(t, r.hw.precharge)
	assert.False(t, r.hw.contactorCommand)
}

// A contactor whose feedback never follows the command gives #26 and is opened again.
func TestContactorFeedbackMissing(t *testing.T) {
	r := newRig(t, "1.38", nil)
	r.hw.feedbackBroken = true
	r.advance(step)
	r.registerAndReport(1)
	r.advance(2 * time.Second)
	assert.Equal(t, events.StateError, r.m.State())
	assert.Equal(t, events.ErrContactor, r.m.Error())
	assert.False(t, r.hw.contactorCommand)
}

// Frames from batteries that were never registered are counted and ignored; impossible values
// are rejected and counted, and do not reach the limits.
func TestHostileBatteryFrames(t *testing.T) {
	r := newRig(t, "1.38", nil)
	r.advance(step)
	r.registerAndReport(1)
	before := r.m.Counters()
	require.NoError(t, r.bat.Send(batbus.Status{Address: 9, SOCHundredths: 100}.Frame()))
	require.NoError(t, r.bat.Send(batbus.Extremes{Address: 1, MinMillivolts: 3000, MaxMillivolts: 65000}.Frame()))
	require.NoError(t, r.bat.Send(can.Frame{ID: 0x123, Length: 2}))
	r.advance(step)
	c := r.m.Counters()
	assert.Equal(t, before.BatteryFramesIgnored+2, c.BatteryFramesIgnored)
	assert.Equal(t, before.BatteryFramesRejected+1, c.BatteryFramesRejected)
	assert.InDelta(t, 3.31, r.m.Snapshot().MaxCellVolts, 1e-9, "the impossible 65 V cell was not taken")
}

// SOC counts charge at the shunt: 140 A for half an hour into 280 Ah is 25 %.
func TestCoulombCounting(t *testing.T) {
	r := newRig(t, "1.38", nil)
	r.advance(step)
	r.registerAndReport(1)
	r.advance(time.Second)
	require.Equal(t, events.StateRunning, r.m.State())
	start := r.m.Snapshot().SOCPercent
	r.hw.shuntAmps = 140
	r.advance(30 * time.Minute)
	assert.InDelta(t, start+25, r.m.Snapshot().SOCPercent, 0.01)
	soc, ok := r.lastVREG(vecan.RegSOC, 2)
	require.True(t, ok)
	assert.InDelta(t, (start+25)*100, float64(soc), 2, "VE_REG_SOC in 0.01 %")
}

// Cell voltages above the stop level drop allowed-to-charge and CCL, with the reason.
// Allowed-to-charge and -discharge from the cell voltages (allowed.go): v1.07 switches on the stop
// levels at once both ways; v1.08 gives allowed-to-charge the hysteresis (1.08-03, back on below
// 3.32 V); v1.12 gives both the hysteresis and L7's 10 s (1.12-02).
func TestAllowedByCellVoltage_1_08_03_1_12_02(t *testing.T) {
	for _, tt := range []struct {
		version               string
		offAfter              time.Duration // high cell to allowed-to-charge off
		onAt3_40              bool          // back on when the highest cell falls to 3.40 V
		dischargeOnAt3_00     bool          // allowed-to-discharge back on at 3.00 V after 2.79 V
		dischargeOffAfter     time.Duration
		chargeDebounceStillOn bool
	}{
		{"1.07", 2 * step, true, true, 2 * step, false},
		{"1.08", 2 * step, false, true, 2 * step, false},
		{"1.11", 2 * step, false, true, 2 * step, false},
		{"1.12", cellAllowedDebounce + 2*step, false, false, cellAllowedDebounce + 2*step, true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.report(1, 3300, 3530)
			if tt.chargeDebounceStillOn {
				r.advance(cellAllowedDebounce / 2)
				assert.True(t, r.m.Snapshot().Flags.Has(events.FlagAllowedToCharge), "10 s before it counts")
			}
			r.advance(tt.offAfter)
			s := r.m.Snapshot()
			assert.False(t, s.Flags.Has(events.FlagAllowedToCharge))
			assert.True(t, s.Flags.Has(events.FlagAllowedToDischarge))
			assert.Equal(t, Limit{0, "cell voltage high"}, s.Limits.ChargeAmps)
			assert.InDelta(t, 8*3.5, s.Limits.ChargeVolts.Value, 1e-9)
			assert.False(t, math.IsNaN(s.Limits.DischargeAmps.Value))

			r.report(1, 3300, 3400)
			r.advance(cellAllowedDebounce + 2*step)
			assert.Equal(t, tt.onAt3_40, r.m.Snapshot().Flags.Has(events.FlagAllowedToCharge), "hysteresis")
			r.report(1, 3300, 3310)
			r.advance(cellAllowedDebounce + 2*step)
			assert.True(t, r.m.Snapshot().Flags.Has(events.FlagAllowedToCharge), "below 3.32 V: on again")

			r.report(1, 2790, 3000)
			r.advance(tt.dischargeOffAfter)
			assert.False(t, r.m.Snapshot().Flags.Has(events.FlagAllowedToDischarge))
			r.report(1, 3000, 3010)
			r.advance(cellAllowedDebounce + 2*step)
			assert.Equal(t, tt.dischargeOnAt3_00, r.m.Snapshot().Flags.Has(events.FlagAllowedToDischarge))
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	p, err := firmware.NewProfile(firmware.Latest())
	require.NoError(t, err)
	hub := canbus.NewHub("x")
	hw := &fakeHW{}
	_, err = New(Config{}, hw, hub.Attach(), hub.Attach())
	assert.Error(t, err)
	cfg := DefaultConfig(p)
	cfg.Series = 0
	_, err = New(cfg, hw, hub.Attach(), hub.Attach())
	assert.Error(t, err)
	_, err = New(DefaultConfig(p), nil, hub.Attach(), hub.Attach())
	assert.Error(t, err)
}

func firmwareProfile(v string) (*firmware.Profile, error) {
	return firmware.NewProfile(firmware.MustParse(v))
}

// Parameters reads the master's own version gates: a few values on both sides of their items.
func TestParameters(t *testing.T) {
	value := func(v, name string) string {
		p, err := firmware.NewProfile(firmware.MustParse(v))
		require.NoError(t, err)
		for _, prm := range Parameters(p, Config{}) {
			if prm.Name == name {
				return prm.Value
			}
		}
		t.Fatalf("no parameter %q", name)
		return ""
	}
	assert.Equal(t, "2s", value("1.07", "contactor opening delay"))
	assert.Equal(t, "5s", value("1.08", "contactor opening delay"))
	assert.Equal(t, "2s", value("1.08", "shutdown time"))
	assert.Equal(t, "8s", value("1.09", "shutdown time"))
	assert.Equal(t, "0.3C / 0.3C", value("1.14", "HE charge rating, default / Performance"))
	assert.Equal(t, "0.6C / 1C", value("1.15", "HE charge rating, default / Performance"))
	assert.Equal(t, "120.0 A", value("1.19", "SMA current limit ceiling"))
	assert.Equal(t, "1200.0 A", value("1.20", "SMA current limit ceiling"))
	assert.Equal(t, "2 °C", value("1.24", "temperature derating step"))
	assert.Equal(t, "1 °C", value("1.25", "temperature derating step"))
}
