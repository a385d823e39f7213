package master

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/canbus/bmscan"
	"github.com/lynxsim/lynxsim/events"
)

// Changelog 1.09-03: the allowed-to-charge and -discharge relays and signals can be inverted from
// v1.09.
func TestInvertSettings(t *testing.T) {
	for _, tt := range []struct {
		version string
		relay   bool // the charge relay with charging allowed and "invert" set
	}{
		{"1.08", true},
		{"1.09", false},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, func(c *Config) { c.Settings.InvertChargeRelay = true })
			r.advance(step)
			r.registerAndReport(1)
			r.advance(time.Second)
			io := r.m.Outputs()
			assert.Equal(t, tt.relay, io.ChargeRelay)
			assert.True(t, io.ChargeSignal, "the signal is not inverted")
			assert.True(t, io.DischargeRelay)
		})
	}
}

// Changelog 1.14-09: the programmable relay's default becomes "Discharge not allowed warning":
// normally closed, open when almost discharged. Before, the default does nothing.
func TestDischargeNotAllowedWarningRelay(t *testing.T) {
	for _, tt := range []struct {
		version       string
		normal, empty bool
	}{
		{"1.13", false, false},
		{"1.14", true, false},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			assert.Equal(t, tt.normal, r.m.Outputs().ProgrammableRelay)
			r.m.socPct = 8 // "5~10% state of charge left" (L3)
			r.advance(step)
			assert.Equal(t, tt.empty, r.m.Outputs().ProgrammableRelay)
		})
	}
}

// Changelog 1.34-05: battery humidity (and leakage) join the relay's "Warning" function from v1.34.
func TestWarningRelayHumidity(t *testing.T) {
	for _, tt := range []struct {
		version string
		closed  bool
	}{
		{"1.33", false},
		{"1.34", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, func(c *Config) {
				c.Settings.RelayFunction, c.Settings.RelayFunctionSet = RelayWarning, true
			})
			r.advance(step)
			r.registerAndReport(1)
			r.advance(time.Second)
			assert.False(t, r.m.Outputs().ProgrammableRelay)
			env := batbus.Environment{Address: 1, HumidityPercent: 95, SOHPercent: batbus.NAUn8, Leakage: batbus.LeakageNA, Fan: batbus.FanStateNA, SelfTest: batbus.SelfTestNA}
			for range 70 {
				require.NoError(t, r.bat.Send(env.Frame()))
				r.advance(time.Second)
			}
			assert.Equal(t, tt.closed, r.m.Outputs().ProgrammableRelay)
		})
	}
}

// Changelog 1.25-03: the relay can drive an external pre-charge circuit, from v1.25.
func TestExternalPrechargeRelay(t *testing.T) {
	for _, tt := range []struct {
		version string
		closed  bool
	}{
		{"1.24", false},
		{"1.25", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, func(c *Config) {
				c.Settings.RelayFunction, c.Settings.RelayFunctionSet = RelayExternalPrecharge, true
			})
			r.hw.prechargeStuck = true
			r.advance(step)
			r.registerAndReport(1)
			r.advance(time.Second)
			assert.Equal(t, tt.closed, r.m.Outputs().ProgrammableRelay)
		})
	}
}

// Changelog 1.23-10: three presses of the start/stop button toggle Bluetooth, a second after the
// last press; from v1.23.
func TestButtonTogglesBluetooth(t *testing.T) {
	for _, tt := range []struct {
		version string
		toggled bool
	}{
		{"1.22", false},
		{"1.23", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			for range 3 {
				r.m.PressButton()
				r.advance(200 * time.Millisecond)
			}
			assert.False(t, r.m.settings.Bluetooth, "not before a second has passed")
			r.advance(time.Second)
			assert.Equal(t, tt.toggled, r.m.settings.Bluetooth)
			// Two presses do nothing.
			r.m.PressButton()
			r.advance(100 * time.Millisecond)
			r.m.PressButton()
			r.advance(2 * time.Second)
			assert.Equal(t, tt.toggled, r.m.settings.Bluetooth)
		})
	}
}

// Changelog 1.09-04: the programmable relay's functions exist from v1.09. Set to "System
// activated", the relay closes while running on v1.09; v1.08 has no function and the relay stays
// open.
func TestRelayFunctions_1_09_04(t *testing.T) {
	for _, tt := range []struct {
		version string
		closed  bool
	}{
		{"1.08", false},
		{"1.09", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, func(c *Config) {
				c.Settings.RelayFunction, c.Settings.RelayFunctionSet = RelaySystemActivated, true
			})
			r.advance(step)
			r.registerAndReport(1)
			r.advance(time.Second)
			require.Equal(t, events.StateRunning, r.m.State())
			assert.Equal(t, tt.closed, r.m.Outputs().ProgrammableRelay)
			r.m.Stop()
			r.advance(6 * time.Second)
			assert.False(t, r.m.Outputs().ProgrammableRelay, "open in standby")
		})
	}
}

// Changelog 1.34-08: the SMA general warning carries every warning without a field of its own
// (here the cell temperature deviation) from v1.34.
func TestSMAGeneralWarning_1_34_08(t *testing.T) {
	for _, tt := range []struct {
		version string
		general bmscan.State
	}{
		{"1.33", bmscan.OK},
		{"1.34", bmscan.Active},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, func(c *Config) { c.External, c.Series = ProtocolSMA, 2 })
			r.hw.batteryVolts = 52.8
			r.advance(step)
			r.announce(1, batbus.ChemistryNMC, 7, 7)
			r.announce(2, batbus.ChemistryNMC, 7, 7)
			r.advance(r.m.cfg.RegistrationQuiet + 50*time.Millisecond)
			r.minDeciC, r.maxDeciC = 200, 260
			r.report(2, 3700, 3710)
			r.advance(3 * time.Second)
			require.Equal(t, events.StateRunning, r.m.State())
			r.advance(time.Minute + time.Second)
			require.True(t, r.diagActive("cell temperature deviation"))
			r.veFrames = r.veFrames[:0]
			r.advance(time.Second)
			var last *bmscan.AlarmsWarnings
			for _, f := range r.veFrames {
				if f.ID == bmscan.IDAlarmsWarnings {
					aw, err := bmscan.ParseAlarmsWarnings(f)
					require.NoError(t, err)
					last = &aw
				}
			}
			require.NotNil(t, last)
			assert.Equal(t, tt.general, last.Warnings.General)
		})
	}
}
