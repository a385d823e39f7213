package decode_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/decode"
	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/master"
	"github.com/lynxsim/lynxsim/scenario"
)

// What a GX would show after a simulated minute of the default system matches the master's own
// view: the VE.Can face carries state, SOC, voltage, current, limits and flags to the right paths.
func TestGXViewOfTheDefaultSystem(t *testing.T) {
	ctx := context.Background()
	sys, err := scenario.Build(ctx, scenario.DefaultConfig())
	require.NoError(t, err)
	defer sys.Close()
	var log bytes.Buffer
	w := canbus.NewLogWriter(&log)
	require.NoError(t, sys.Record(ctx, w))
	sys.Loop.RunFor(time.Minute)
	require.NoError(t, w.Flush())
	snap := sys.Master.Snapshot()

	view := decode.NewGXView()
	d := decode.New()
	r := canbus.NewLogReader(&log)
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if rec.Interface == scenario.VECanHub {
			d.Decode(rec, view.Apply)
		}
	}
	require.Len(t, view.Devices(), 1)
	dev := view.Devices()[0]
	assert.Equal(t, uint8(0x50), dev.Source)
	get := func(path string) float64 {
		p, ok := dev.Get(path)
		require.True(t, ok, "GX has %s", path)
		return p.Value
	}
	assert.Equal(t, float64(events.StateRunning), get("/State"))
	assert.Equal(t, 0.0, get("/ErrorCode"))
	assert.InDelta(t, snap.SOCPercent, get("/Soc"), 0.05)
	assert.InDelta(t, snap.Volts, get("/Dc/0/Voltage"), 0.01)
	assert.InDelta(t, snap.Amps, get("/Dc/0/Current"), 0.1)
	assert.InDelta(t, snap.Limits.ChargeVolts.Value, get("/Info/MaxChargeVoltage"), 0.01)
	assert.InDelta(t, snap.Limits.ChargeAmps.Value, get("/Info/MaxChargeCurrent"), 0.1)
	assert.InDelta(t, snap.Limits.DischargeAmps.Value, get("/Info/MaxDischargeCurrent"), 0.1)
	assert.Equal(t, 1.0, get("/Io/AllowToCharge"))
	assert.Equal(t, 1.0, get("/Io/AllowToDischarge"))
	assert.Equal(t, 0.0, get("/Alarms/HighVoltage"))
	assert.InDelta(t, snap.MinCellVolts, get("/System/MinCellVoltage"), 0.01)
	assert.Equal(t, 2.0, get("/System/NrOfBatteries"))
	assert.Equal(t, 560.0, get("/InstalledCapacity"))
	assert.False(t, math.IsNaN(get("/TimeToGo")), "discharging at 30 A: a time to go")
}

func TestGXViewAlarmPairs(t *testing.T) {
	view := decode.NewGXView()
	d := decode.New()
	feed := func(line string) {
		rec, err := canbus.ParseRecord([]byte(line))
		require.NoError(t, err)
		d.Decode(rec, view.Apply)
	}
	// VE_REG_BMS_FLAGS with bit 10 (warning over voltage), bits 15 and 16 (alarm and warning
	// over temperature) and bit 2 (discharged): 0x00018404.
	feed("(1.000000) vecan 1CEFFF50#6699002104840100")
	dev := view.Devices()[0]
	for path, want := range map[string]float64{
		"/Alarms/HighVoltage":     1,
		"/Alarms/HighTemperature": 2,
		"/Alarms/LowVoltage":      0,
		"/Alarms/LowCellVoltage":  2,
		"/Io/AllowToCharge":       0,
	} {
		p, ok := dev.Get(path)
		require.True(t, ok, path)
		assert.Equal(t, want, p.Value, path)
	}
}

// Two masters on one VE.Can: the GX sees two battery services, each at its own address, and
// combines them for DVCC: the lowest limit, from the master that sets it.
func TestGXViewCombined(t *testing.T) {
	ctx := context.Background()
	cfg := scenario.DefaultConfig()
	cfg.Masters = 2
	cfg.Master = func(unit int, c *master.Config) {
		if unit == 1 {
			c.MaxChargeAmps = 50
		}
	}
	sys, err := scenario.Build(ctx, cfg)
	require.NoError(t, err)
	defer sys.Close()
	var log bytes.Buffer
	w := canbus.NewLogWriter(&log)
	require.NoError(t, sys.Record(ctx, w))
	sys.Loop.RunFor(time.Minute)
	require.NoError(t, w.Flush())

	view := decode.NewGXView()
	d := decode.New()
	r := canbus.NewLogReader(&log)
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if rec.Interface == scenario.VECanHub {
			d.Decode(rec, view.Apply)
		}
	}
	require.Len(t, view.Devices(), 2, "two battery services")
	a, b := view.Devices()[0].Source, view.Devices()[1].Source
	assert.NotEqual(t, a, b, "address contention resolved")
	c, ok := view.Combined(scenario.VECanHub)
	require.True(t, ok)
	assert.Equal(t, 2, c.BMSes)
	assert.True(t, c.AllowCharge)
	assert.InDelta(t, 50, c.ChargeAmps.Value, 0.1)
	assert.Equal(t, sys.Units[1].Master.Address(), c.ChargeAmpsFrom)
	_, single := decode.NewGXView().Combined(scenario.VECanHub)
	assert.False(t, single)
}
