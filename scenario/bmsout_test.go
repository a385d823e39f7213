package scenario

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/bmscan"
	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/master"
)

// externalFrames runs cfg to running and returns what the master sent on its external port in
// the next two seconds.
func externalFrames(t *testing.T, cfg Config) (*System, []can.Frame) {
	t.Helper()
	sys := runToRunning(t, cfg, nil)
	require.Equal(t, events.StateRunning, sys.Master.State(), "error %v", sys.Master.Error())
	tap, err := sys.Network.Open(context.Background(), cfg.VECan, canbus.DefaultName(VECanHub), canbus.ListenOnly())
	require.NoError(t, err)
	sys.Loop.RunFor(2 * time.Second)
	return sys, tap.Receive(nil)
}

// The General BMS protocol of the MG guide (S2 §1.4), from v1.24 (changelog 1.24-03): every
// frame every 500 ms, the software version in binary (S2 p.5: 0x0118 = V1.24).
func TestGeneralBMSOutput(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Firmware = profile(t, "1.24")
	cfg.External = master.ProtocolGeneral
	sys, frames := externalFrames(t, cfg)
	count := map[uint32]int{}
	for _, f := range frames {
		count[f.ID]++
		assert.False(t, f.IsExtended, "11-bit frames only")
	}
	for _, id := range bmscan.General.Frames() {
		assert.Equal(t, 4, count[id], "0x%03X every 500 ms", id)
	}
	for _, f := range frames {
		switch f.ID {
		case bmscan.IDSystemInfo:
			si, err := bmscan.ParseSystemInfo(f)
			require.NoError(t, err)
			assert.Equal(t, uint8(1), si.SoftwareMajor)
			assert.Equal(t, uint8(24), si.SoftwareMinor)
			assert.Equal(t, 560.0, si.CapacityAh)
		case bmscan.IDStatus:
			st, err := bmscan.ParseStatus(f)
			require.NoError(t, err)
			assert.InDelta(t, sys.Master.Snapshot().SOCPercent, st.SOCHighRes, 0.05)
		}
	}
	assert.Zero(t, count[0x19F21450], "no NMEA 2000 beside it")

	cfg.Firmware = profile(t, "1.23")
	_, err := Build(context.Background(), cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1.24-03")
}

// SMA on a 48 V system: the 120.0 A ceiling of the current limits before v1.20, 1200.0 A from it
// (changelog 1.20-01). On a 24 V system SMA sends nothing (S2 p.3: 48 V only).
func TestSMAOutput(t *testing.T) {
	for _, tt := range []struct {
		version string
		ccl     float64
	}{
		{"1.19", 120},
		{"1.20", 280},
	} {
		t.Run(tt.version, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Firmware = profile(t, tt.version)
			cfg.External = master.ProtocolSMA
			cfg.Series, cfg.Parallel = 2, 2
			_, frames := externalFrames(t, cfg)
			var got []float64
			for _, f := range frames {
				if f.ID == bmscan.IDLimits {
					l, err := bmscan.ParseLimits(f)
					require.NoError(t, err)
					got = append(got, l.ChargeCurrent)
				}
			}
			require.NotEmpty(t, got)
			assert.InDelta(t, tt.ccl, got[len(got)-1], 0.05)
		})
	}
	cfg := DefaultConfig()
	cfg.External = master.ProtocolSMA
	_, frames := externalFrames(t, cfg)
	assert.Empty(t, frames, "SMA is for 48 V systems only")
}
