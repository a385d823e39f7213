package master

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
)

// Changelog 1.23-03: from v1.23 the contactor check (state 17) finds a feedback that says closed
// before the contactor was ever commanded (#26, nothing closed, no pre-charge); v1.22 pre-charges
// into it and runs as if all were well.
func TestContactorCheck_1_23_03(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    events.State
		err     events.ErrorCode
	}{
		{"1.22", events.StateRunning, events.ErrNone},
		{"1.23", events.StateError, events.ErrContactor},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, nil)
			r.hw.feedbackStuckClosed = true
			r.advance(step)
			for i := uint32(1); i <= 1; i++ {
				r.announce(i, batbus.ChemistryLFP, 2, 8)
			}
			r.advance(r.m.cfg.RegistrationQuiet + 50*time.Millisecond)
			r.report(1, 3300, 3310)
			r.advance(3 * time.Second)
			assert.Equal(t, tt.want, r.m.State())
			assert.Equal(t, tt.err, r.m.Error())
			if tt.err != events.ErrNone {
				assert.False(t, r.hw.contactorCommand, "never commanded closed")
				assert.False(t, r.hw.precharge, "never pre-charged")
			}
		})
	}
}

// Changelog 1.23-03: from v1.23 a contactor whose contacts stay closed after a stop is #26; v1.22
// believes its own command and sits in standby.
func TestContactorOpenFeedback_1_23_03(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    events.State
		err     events.ErrorCode
	}{
		{"1.22", events.StateStandby, events.ErrNone},
		{"1.23", events.StateError, events.ErrContactor},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.hw.welded = true
			r.hw.SetContactor(true) // the contacts weld on the next close; they are closed now
			r.m.Stop()
			r.advance(r.m.openDelay() + r.m.cfg.ContactorFeedbackTimeout + 2*step)
			assert.Equal(t, tt.want, r.m.State())
			assert.Equal(t, tt.err, r.m.Error())
			assert.False(t, r.hw.contactorCommand, "the coil is off either way")
			r.advance(5 * time.Second)
			assert.Equal(t, tt.want, r.m.State(), "no second error for the same contactor")
			wantShutdowns := uint16(0)
			if tt.err != events.ErrNone {
				wantShutdowns = 1
			}
			assert.Equal(t, wantShutdowns, r.m.history.shutdownsDueToError)
		})
	}
}

// Changelog 1.38-06: while a shutdown is pending (the opening sequence), v1.38 refuses VREG
// writes with VACK busy and reports state 18; v1.37 takes them.
func TestPendingRefusesWrites_1_38_06(t *testing.T) {
	for _, tt := range []struct {
		version string
		ack     vecan.AckCode
		soc     float64
	}{
		{"1.37", vecan.AckOK, 42.5},
		{"1.38", vecan.AckBusy, 50},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.m.Shutdown()
			r.advance(step)
			got := r.ask(vecan.CommandFrame(gxAddress, 0x50, vecan.RegSOC, 4250, 2))
			var ack vecan.AckCode = 0xFFFF
			for _, f := range got {
				if _, code, isAck, ok := vecan.MatchReply(f, 0x50, vecan.RegSOC); ok && isAck {
					ack = code
				}
			}
			assert.Equal(t, tt.ack, ack)
			assert.InDelta(t, tt.soc, r.m.Snapshot().SOCPercent, 0.01)
			// Once shut down the write is refused for another reason: the master is off.
			r.advance(20 * time.Second)
			assert.Equal(t, events.StateShutdown, r.m.State())
		})
	}
}

// Changelog 1.09-02 (interlock enable) and 1.32-05 (#37, #38): with the setting on, an open
// interlock opens the contactor directly, without the 5 s opening delay. Open at start-up it is
// #37; opened while running, #38. Before v1.32 the GX sees the error state with no number; before
// v1.09 there is no interlock; with the setting off nothing happens.
func TestInterlock_1_09_02(t *testing.T) {
	enable := func(c *Config) { c.Settings.InterlockEnabled = true }
	t.Run("opened while running", func(t *testing.T) {
		for _, tt := range []struct {
			version string
			enabled bool
			state   events.State
			err     events.ErrorCode
		}{
			{"1.08", true, events.StateRunning, events.ErrNone},
			{"1.09", false, events.StateRunning, events.ErrNone},
			{"1.09", true, events.StateError, events.ErrNone},
			{"1.31", true, events.StateError, events.ErrNone},
			{"1.32", true, events.StateError, events.ErrEmergencyStop},
		} {
			t.Run(tt.version, func(t *testing.T) {
				mutate := func(*Config) {}
				if tt.enabled {
					mutate = enable
				}
				r := newRig(t, tt.version, mutate)
				r.advance(step)
				r.registerAndReport(1)
				r.advance(time.Second)
				require.Equal(t, events.StateRunning, r.m.State())
				r.hw.interlockOpen = true
				r.advance(2 * step)
				assert.Equal(t, tt.state, r.m.State())
				assert.Equal(t, tt.err, r.m.Error())
				assert.Equal(t, tt.state != events.StateError, r.hw.contactorCommand, "opened directly, not 5 s later")
				if tt.state == events.StateError {
					assert.EqualValues(t, 1, r.m.history.shutdownsDueToError)
					r.advance(r.m.cfg.RegisterChangeCheck) // the error's broadcast
					code, _ := r.lastVREG(vecan.RegBMSError, 1)
					assert.EqualValues(t, tt.err, code)
					// Closed again, the master restarts on request.
					r.hw.interlockOpen = false
					require.True(t, r.m.Restart())
					r.advance(step)
					assert.NotEqual(t, events.StateError, r.m.State())
				}
			})
		}
	})
	t.Run("open at start-up", func(t *testing.T) {
		r := newRig(t, "1.38", enable)
		r.hw.interlockOpen = true
		r.advance(step)
		r.announce(1, batbus.ChemistryLFP, 2, 8)
		r.advance(r.m.cfg.RegistrationQuiet + time.Second)
		assert.Equal(t, events.StateError, r.m.State())
		assert.Equal(t, events.ErrInterlock, r.m.Error())
		assert.False(t, r.hw.contactorCommand)
	})
}

// Commands to one battery are repeated until acknowledged (docs/battery-bus.md): a battery deaf to
// them while it still reports is a communication timeout, #39 from v1.32 (changelog 1.32-05),
// #23 before. The tries are counted: one transmission and batbus.CommandRetries repeats.
func TestCommandRetriesAndTimeout_1_32_05(t *testing.T) {
	for _, tt := range []struct {
		version string
		deaf    bool
		state   events.State
		err     events.ErrorCode
	}{
		{"1.38", false, events.StateRunning, events.ErrNone},
		{"1.31", true, events.StateError, events.ErrSlaveFailure},
		{"1.32", true, events.StateError, events.ErrCommunicationTimeout},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.commandsDeaf = tt.deaf
			r.commandsSeen = nil
			r.m.command(r.m.reg.batteries[0], batbus.Command{Code: batbus.CmdBalance, CellMask: 1})
			// The tries, then the opening sequence of the fail-safe.
			r.advance(time.Duration(batbus.CommandRetries+1)*batbus.CommandAckTimeout + r.m.openDelay() + 10*step)
			assert.Equal(t, tt.state, r.m.State())
			assert.Equal(t, tt.err, r.m.Error())
			var balance []batbus.Command
			for _, c := range r.commandsSeen {
				if c.Code == batbus.CmdBalance {
					balance = append(balance, c)
				}
			}
			if !tt.deaf {
				assert.Len(t, balance, 1, "acknowledged: sent once")
				assert.Zero(t, r.m.Counters().CommandRetries)
				return
			}
			require.Len(t, balance, batbus.CommandRetries+1)
			for _, c := range balance {
				assert.Equal(t, balance[0].Tag, c.Tag, "a retry keeps its tag")
			}
			assert.EqualValues(t, batbus.CommandRetries, r.m.Counters().CommandRetries)
		})
	}
}

// Changelog 1.25-04: a charge current above the critical level (CriticalChargeC of the bank's
// capacity, here 1.0C of 280 Ah) is a fail-safe from v1.25; v1.24 keeps running.
func TestCriticalOverChargeCurrent_1_25_04(t *testing.T) {
	for _, tt := range []struct {
		version string
		amps    float64
		state   events.State
		err     events.ErrorCode
	}{
		{"1.24", 300, events.StateRunning, events.ErrNone},
		{"1.25", 270, events.StateRunning, events.ErrNone},
		{"1.25", 300, events.StateError, events.ErrMeasure},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.hw.shuntAmps = tt.amps
			r.advance(1900 * time.Millisecond)
			assert.Equal(t, events.StateRunning, r.m.State(), "debounced")
			r.advance(200*time.Millisecond + r.m.openDelay())
			assert.Equal(t, tt.state, r.m.State())
			assert.Equal(t, tt.err, r.m.Error())
		})
	}
}

// Each fail-safe of the protection table gives its error number, through the opening sequence,
// and the GX sees it in VE_REG_BMS_ERROR and the last errors.
func TestProtectionErrorNumbers(t *testing.T) {
	for _, tt := range []struct {
		name      string
		version   string
		setup     func(r *rig)
		debounce  time.Duration
		want      events.ErrorCode
		permanent bool
	}{
		{"over-voltage", "1.38", func(r *rig) { r.report(1, 3300, 3650) }, 20 * time.Second, events.ErrOverVoltage, false},
		{"under-voltage", "1.38", func(r *rig) { r.report(1, 2550, 3300) }, 20 * time.Second, events.ErrUnderVoltage, false},
		{"over-temperature", "1.38", func(r *rig) { r.minDeciC, r.maxDeciC = 300, 610 }, 10 * time.Second, events.ErrOverTemperature, false},
		{"under-temperature", "1.38", func(r *rig) { r.minDeciC, r.maxDeciC = -260, -250 }, 10 * time.Second, events.ErrUnderTemperature, false},
		{"terminal over-temperature", "1.38", func(r *rig) { r.terminalDeciC = 700 }, 10 * time.Second, events.ErrTerminalOverTemperature, false},
		{"terminal over-temperature before #41", "1.31", func(r *rig) { r.terminalDeciC = 700 }, 10 * time.Second, events.ErrOverTemperature, false}, // 1.32-05
		{"safety lock", "1.38", func(r *rig) { r.report(1, 3300, 4050) }, time.Second, events.ErrSafetyLock, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := running(t, tt.version)
			tt.setup(r)
			r.report(1, r.minMillivolts, r.maxMillivolts) // now, not at the next report
			r.advance(tt.debounce - time.Second)
			require.Equal(t, events.StateRunning, r.m.State(), "debounced")
			r.advance(time.Second + r.m.openDelay() + 2*step + r.m.cfg.RegisterChangeCheck)
			assert.Equal(t, events.StateError, r.m.State())
			assert.Equal(t, tt.want, r.m.Error())
			assert.False(t, r.hw.contactorCommand)
			code, ok := r.lastVREG(vecan.RegBMSError, 1)
			require.True(t, ok)
			assert.EqualValues(t, tt.want, code)
			last, ok := r.m.Get(vecan.RegBMSLastErrors)
			require.True(t, ok)
			assert.EqualValues(t, tt.want, last&0xFF, "first of the last errors")
			// Restart leaves the error state, except for a safety lock, which needs Unlock.
			assert.Equal(t, !tt.permanent, r.m.Restart())
			if tt.permanent {
				assert.Equal(t, events.StateError, r.m.State())
				r.m.Unlock()
				assert.NotEqual(t, events.StateError, r.m.State(), "unlocked: restarts at once")
			}
		})
	}
}
