package scenario

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/battery"
	"github.com/lynxsim/lynxsim/events"
)

// Stop, start and restart with real batteries: the master releases them so that they register
// again, and runs.
func TestStopStartRestart(t *testing.T) {
	sys := runToRunning(t, DefaultConfig(), nil)
	require.Equal(t, events.StateRunning, sys.Master.State())
	sys.Master.Stop()
	sys.Loop.RunFor(6 * time.Second)
	require.Equal(t, events.StateStandby, sys.Master.State())
	assert.False(t, sys.Plant.ContactorClosed())
	sys.Master.Start()
	sys.Loop.RunUntil(30*time.Second, func() bool { return sys.Master.State() == events.StateRunning })
	require.Equal(t, events.StateRunning, sys.Master.State(), "error %v", sys.Master.Error())

	clear, err := sys.Batteries[0].Inject(battery.FaultSilent)
	require.NoError(t, err)
	sys.Loop.RunUntil(30*time.Second, func() bool { return sys.Master.State() == events.StateError })
	require.Equal(t, events.ErrSlaveFailure, sys.Master.Error())
	clear()
	require.True(t, sys.Master.Restart())
	sys.Loop.RunUntil(30*time.Second, func() bool { return sys.Master.State() == events.StateRunning })
	assert.Equal(t, events.StateRunning, sys.Master.State(), "error %v", sys.Master.Error())
}

// A cell driven over 3.62 V for 20 s (the L7 level): the over-voltage warning, then the alarm,
// the pre-alarm with allowed-to-charge off, and #13 with the contactor open 5 s later.
func TestCellOverVoltage(t *testing.T) {
	sys := runToRunning(t, DefaultConfig(), nil)
	require.Equal(t, events.StateRunning, sys.Master.State())
	_, err := sys.Batteries[1].Inject("over-voltage", 3, 3.7)
	require.NoError(t, err)
	sys.Loop.RunFor(12 * time.Second)
	assert.True(t, sys.Master.Snapshot().Flags.Has(events.FlagWarnOverVoltage))
	sys.Loop.RunUntil(30*time.Second, func() bool { return sys.Master.Snapshot().Flags.Has(events.FlagPreAlarm) })
	s := sys.Master.Snapshot()
	assert.True(t, s.Flags.Has(events.FlagAlarmOverVoltage))
	assert.False(t, s.Flags.Has(events.FlagAllowedToCharge))
	assert.True(t, sys.Plant.ContactorClosed())
	sys.Loop.RunFor(5100 * time.Millisecond)
	assert.Equal(t, events.ErrOverVoltage, sys.Master.Error())
	assert.False(t, sys.Plant.ContactorClosed())
}

// Changelog 1.38-08: a deviating temperature sensor is left out of the monitoring from v1.38; on
// v1.37 it counts, and a sensor reading 65 °C ends in over-temperature (#15).
func TestDeviatingSensor(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    events.ErrorCode
	}{
		{"1.37", events.ErrOverTemperature},
		{"1.38", events.ErrNone},
	} {
		t.Run(tt.version, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Firmware = profile(t, tt.version)
			sys := runToRunning(t, cfg, nil)
			require.Equal(t, events.StateRunning, sys.Master.State())
			_, err := sys.Batteries[0].Inject("deviating-temperature-sensor", 1, 40)
			require.NoError(t, err)
			sys.Loop.RunFor(30 * time.Second)
			assert.Equal(t, tt.want, sys.Master.Error())
			if tt.want == events.ErrNone {
				assert.Less(t, sys.Master.Snapshot().MaxCellCelsius, 30.0, "the deviating sensor is excluded")
			}
		})
	}
}

// More than two deviating sensors on one battery: fail-safe from v1.38 (changelog 1.38-08).
func TestThreeDeviatingSensors(t *testing.T) {
	sys := runToRunning(t, DefaultConfig(), nil)
	require.Equal(t, events.StateRunning, sys.Master.State())
	for _, s := range []float64{0, 1, 2} {
		_, err := sys.Batteries[0].Inject("deviating-temperature-sensor", s, -30)
		require.NoError(t, err)
	}
	sys.Loop.RunFor(30 * time.Second)
	assert.Equal(t, events.ErrMeasure, sys.Master.Error())
}

// Changelog 1.34-03 and 1.34-04: RS battery leakage raises a warning (bit 31 in lynxsim) from v1.34 only.
func TestLeakageWarning(t *testing.T) {
	rs, err := battery.LookupType("RS-24V-200Ah")
	require.NoError(t, err)
	for _, tt := range []struct {
		version string
		want    bool
	}{
		{"1.33", false},
		{"1.34", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Firmware = profile(t, tt.version)
			cfg.BatteryType = rs
			sys := runToRunning(t, cfg, nil)
			require.Equal(t, events.StateRunning, sys.Master.State())
			_, err := sys.Batteries[1].Inject("leakage")
			require.NoError(t, err)
			sys.Loop.RunFor(10 * time.Second)
			assert.Equal(t, tt.want, sys.Master.Snapshot().Flags.Has(events.FlagWarnServiceRequest))
			assert.Equal(t, events.StateRunning, sys.Master.State(), "a warning, not a fail-safe")
		})
	}
}
