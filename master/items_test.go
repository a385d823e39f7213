package master

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/canbus/n2k"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
)

// Changelog items of the master, each run on the version before it and the version of it, each
// asserting the difference.

// vregAck is the VACK the master gives a write, or 0xFFFF when it gave none.
func (r *rig) vregAck(f can.Frame, reg vecan.Register) vecan.AckCode {
	for _, got := range r.ask(f) {
		if _, code, isAck, ok := vecan.MatchReply(got, 0x50, reg); ok && isAck {
			return code
		}
	}
	return 0xFFFF
}

// Changelog 1.16-01: 11-bit frames on VE.Can are told apart and ignored from v1.16; before, they
// go through the NMEA 2000 handling and are counted with the other frames nobody acts on.
func TestElevenBitFrames_1_16_01(t *testing.T) {
	for _, tt := range []struct {
		version        string
		eleven, others uint64
	}{
		{"1.15", 0, 3},
		{"1.16", 3, 0},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			before := r.m.Counters()
			for range 3 {
				require.NoError(t, r.gx.Send(can.Frame{ID: 0x351, Length: 8}))
			}
			r.advance(2 * step)
			c := r.m.Counters()
			assert.Equal(t, tt.eleven, c.VECan11Bit-before.VECan11Bit)
			assert.Equal(t, tt.others, c.VECanFramesIgnored-before.VECanFramesIgnored)
		})
	}
}

// Changelog 1.37-01: v1.36 lost random VE.Can frames it received (lynxsim: one in lossEvery);
// v1.37 answers every request.
func TestReceptionLoss_1_37_01(t *testing.T) {
	for _, tt := range []struct {
		version string
		lost    bool
	}{
		{"1.35", false},
		{"1.36", true},
		{"1.37", false},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			answered := 0
			for range 100 {
				if len(r.ask(vecan.RequestFrame(gxAddress, 0x50, vecan.RegSOC))) > 0 {
					answered++
				}
			}
			assert.Equal(t, tt.lost, answered < 100, "%d of 100 answered", answered)
			assert.Equal(t, tt.lost, r.m.Counters().VECanFramesLost > 0)
		})
	}
}

// Changelog 1.32-01: the device name can be set over NMEA 2000 from v1.32; v1.31 refuses.
func TestDeviceNameByNMEA2000_1_32_01(t *testing.T) {
	for _, tt := range []struct {
		version string
		set     bool
	}{
		{"1.31", false},
		{"1.32", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			payload := vecan.AppendLongPayload(nil, vecan.RegDescription1, []byte("house bank\x00"))
			var fs n2k.FastSender
			frames, err := fs.Append(nil, n2k.ID{Priority: vecan.VREGPriority, PGN: vecan.PGNVREGLong, Source: gxAddress, Destination: 0x50}, payload)
			require.NoError(t, err)
			for _, f := range frames {
				require.NoError(t, r.gx.Send(f))
			}
			r.advance(100 * time.Millisecond)
			assert.Equal(t, tt.set, r.m.settings.DeviceName == "house bank", "name %q", r.m.settings.DeviceName)
		})
	}
}

// Changelog 1.32-06: the cell imbalance warning reaches VE_REG_BMS_FLAGS as bit 30 from v1.32;
// v1.31 warns but the GX sees no bit.
func TestImbalanceFlagBit_1_32_06(t *testing.T) {
	for _, tt := range []struct {
		version string
		bit     bool
	}{
		{"1.31", false},
		{"1.32", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.report(1, 3200, 3350)
			r.advance(time.Minute + 2*time.Second)
			require.True(t, r.diagActive("cell voltage deviation"))
			flags, ok := r.lastVREG(vecan.RegBMSFlags, 4)
			require.True(t, ok)
			assert.Equal(t, tt.bit, events.FlagSet(flags).Has(events.FlagWarnCellImbalance))
		})
	}
}

// Changelog 1.09-08: VE_REG_RELAY_CONTROL drives the relay from v1.09; v1.08 refuses the write.
func TestRelayControl_1_09_08(t *testing.T) {
	for _, tt := range []struct {
		version string
		ack     vecan.AckCode
		closed  bool
	}{
		{"1.08", vecan.AckErrCmd, false},
		{"1.09", vecan.AckOK, true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, func(c *Config) { c.Settings.RelayFunction, c.Settings.RelayFunctionSet = RelayDisabled, true })
			r.advance(step)
			r.registerAndReport(1)
			r.advance(time.Second)
			assert.Equal(t, tt.ack, r.vregAck(vecan.CommandFrame(gxAddress, 0x50, vecan.RegRelayControl, 1, 1), vecan.RegRelayControl))
			assert.Equal(t, tt.closed, r.m.Outputs().ProgrammableRelay)
		})
	}
}

// Changelog 1.23-07: the settings registers are broadcast on change from v1.23, their first value
// as the master comes up; v1.22 broadcasts none of them.
func TestSettingsOnChange_1_23_07(t *testing.T) {
	for _, tt := range []struct {
		version   string
		broadcast bool
	}{
		{"1.22", false},
		{"1.23", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.advance(2 * time.Second)
			_, ok := r.lastVREG(vecan.RegLynxIonBatteryStrategy, 1)
			assert.Equal(t, tt.broadcast, ok)
		})
	}
}

// Changelog 1.30-03: the negative terminal's temperature is read from v1.30; v1.29 looks at the
// positive one only, and a hot negative terminal goes unnoticed.
func TestNegativeTerminal_1_30_03(t *testing.T) {
	for _, tt := range []struct {
		version string
		seen    bool
	}{
		{"1.29", false},
		{"1.30", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := runningHE(t, tt.version, nil)
			require.NoError(t, r.bat.Send(batbus.Terminals{Address: 1, PositiveDeciCelsius: 300, NegativeDeciCelsius: 660}.Frame()))
			r.advance(2 * step)
			assert.Equal(t, tt.seen, r.m.maxTerminalCelsius() > 60)
			assert.Equal(t, tt.seen, r.m.Snapshot().Limits.ChargeAmps.Reason == "terminal temperature derating")
		})
	}
}

// Changelog 1.38-04: a battery reporting a failed processor self-test raises the service warning
// from v1.38; v1.37 does not look.
func TestSelfTestMonitoring_1_38_04(t *testing.T) {
	for _, tt := range []struct {
		version string
		warned  bool
	}{
		{"1.37", false},
		{"1.38", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.reportN = 0 // the test reports by hand
			for range 20 {
				require.NoError(t, r.bat.Send(batbus.Status{Address: 1, Centivolts: 2640, SOCHundredths: 5000, Flags: batbus.StatusSelfTestFailed}.Frame()))
				require.NoError(t, r.bat.Send(batbus.Extremes{Address: 1, MinMillivolts: 3300, MaxMillivolts: 3310, MinDeciCelsius: 250, MaxDeciCelsius: 260}.Frame()))
				r.advance(100 * time.Millisecond)
			}
			assert.Equal(t, tt.warned, r.diagActive("battery self-test failed"))
			assert.Equal(t, tt.warned, r.m.Snapshot().Flags.Has(events.FlagWarnServiceRequest))
		})
	}
}

// Changelog 1.35-01: PGN 127506 carries the batteries' SOH from v1.35 (the lowest reported); v1.34
// sends it not available.
func TestSOHOnNMEA2000_1_35_01(t *testing.T) {
	for _, tt := range []struct {
		version string
		soh     bool
	}{
		{"1.34", false},
		{"1.35", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			require.NoError(t, r.bat.Send(batbus.Environment{Address: 1, HumidityPercent: batbus.NAUn8, SOHPercent: 93,
				Leakage: batbus.LeakageNA, Fan: batbus.FanStateNA, SelfTest: batbus.SelfTestNA}.Frame()))
			r.advance(2 * step)
			soh := r.m.bankSOH()
			assert.Equal(t, tt.soh, soh == 93, "SOH %v", soh)
		})
	}
}

// Changelog 1.25-10: a fail-safe found while pre-charging stops the pre-charge at once from v1.25;
// v1.24 lets the contactor close first and opens it again through the opening sequence.
func TestFailSafeWhilePrecharging_1_25_10(t *testing.T) {
	for _, tt := range []struct {
		version     string
		everClosed  bool
		prechargeOn bool
	}{
		{"1.24", true, false},
		{"1.25", false, false},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, nil)
			r.hw.busVolts, r.hw.riseVoltsPerStep = 0, 0.01 // a 26 s pre-charge
			r.advance(step)
			r.announce(1, batbus.ChemistryLFP, 2, 8)
			r.advance(r.m.cfg.RegistrationQuiet + 50*time.Millisecond)
			r.report(1, 3300, 3650) // over the alarm level: the fail-safe after 20 s
			closed := false
			for range 4000 {
				r.advance(step)
				closed = closed || r.hw.contactorCommand
			}
			assert.Equal(t, events.StateError, r.m.State())
			assert.Equal(t, events.ErrOverVoltage, r.m.Error())
			assert.Equal(t, tt.everClosed, closed, "the contactor closed on the way")
			assert.Equal(t, tt.prechargeOn, r.hw.precharge)
		})
	}
}

// Changelog 1.38-11: after full, charging comes back once enough has been discharged, even with
// the highest cell still above the resume voltage: 2 % of the capacity from v1.38, 5 % before
// ("more discharge energy was required than expected").
func TestReenableAfterFull_1_38_11(t *testing.T) {
	for _, tt := range []struct {
		version string
		onAt3   bool // after 3 % discharged
	}{
		{"1.37", false},
		{"1.38", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.report(1, 3300, 3530)
			r.advance(cellAllowedDebounce + time.Second)
			require.False(t, r.m.Snapshot().Flags.Has(events.FlagAllowedToCharge))
			r.report(1, 3300, 3400) // below the stop level, above the 3.32 V resume level
			r.hw.shuntAmps = -100
			r.advance(303 * time.Second) // 3 % of 280 Ah at 100 A: 302.4 s
			r.hw.shuntAmps = 0
			r.advance(cellAllowedDebounce + time.Second)
			assert.Equal(t, tt.onAt3, r.m.Snapshot().Flags.Has(events.FlagAllowedToCharge))
		})
	}
}

// Changelog 1.09-14: v1.07 (and, lynxsim takes it, v1.08) does not support batteries with serial
// HQ1746 00000 and later: #3; v1.09 runs them.
func TestSerialSupport_1_09_14(t *testing.T) {
	for _, tt := range []struct {
		version string
		err     events.ErrorCode
	}{
		{"1.07", events.ErrUnknownProduct},
		{"1.09", events.ErrNone},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, nil)
			r.advance(step)
			r.announce(174600001, batbus.ChemistryLFP, 2, 8)
			r.advance(r.m.cfg.RegistrationQuiet + 50*time.Millisecond)
			r.report(1, 3300, 3310)
			r.advance(3 * time.Second)
			assert.Equal(t, tt.err, r.m.Error())
		})
	}
}

// Changelog 1.34-02: the "Broken fuse detected" event: from v1.34 a pre-charge that never lifted
// the bus says so at its time-out; v1.33 gives only #35.
func TestBrokenFuseEvent_1_34_02(t *testing.T) {
	for _, tt := range []struct {
		version string
		event   bool
	}{
		{"1.33", false},
		{"1.34", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, nil)
			r.hw.busVolts, r.hw.fuseBroken = 0, true
			r.advance(step)
			r.registerAndReport(1)
			r.advance(31 * time.Second)
			require.Equal(t, events.ErrPreChargeTimeout, r.m.Error())
			found := false
			for _, e := range r.m.Log().Entries() {
				found = found || e.Message == "Broken fuse detected"
			}
			assert.Equal(t, tt.event, found)
		})
	}
}
