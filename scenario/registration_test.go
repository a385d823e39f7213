package scenario

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/battery"
	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/firmware"
)

func profile(t *testing.T, v string) *firmware.Profile {
	t.Helper()
	p, err := firmware.NewProfile(firmware.MustParse(v))
	require.NoError(t, err)
	return p
}

// runToRunning builds cfg, applies inject to the batteries, and runs until the master runs or
// fails, at most a minute.
func runToRunning(t *testing.T, cfg Config, inject func(*System)) *System {
	t.Helper()
	sys, err := Build(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { sys.Close() })
	if inject != nil {
		inject(sys)
	}
	sys.Loop.RunUntil(time.Minute, func() bool {
		s := sys.Master.State()
		return s == events.StateRunning || s == events.StateError
	})
	return sys
}

// Registration of 1 to 16 real batteries on the battery bus: every one gets a distinct address
// 1..n in serial order and the master reaches running.
func TestRegistrationOfBanks(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 8, 16} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Series, cfg.Parallel = 1, n
			sys := runToRunning(t, cfg, nil)
			require.Equal(t, events.StateRunning, sys.Master.State(), "error %v", sys.Master.Error())
			seen := map[uint8]bool{}
			for i, b := range sys.Batteries {
				assert.Equal(t, uint8(i+1), b.Address(), "serial order")
				assert.False(t, seen[b.Address()])
				seen[b.Address()] = true
			}
			assert.Equal(t, n, sys.Master.Snapshot().Batteries)
		})
	}
}

// Changelog 1.38-05: a battery keeping an old address collides with the one the master assigns
// there. v1.38 finds it in its start-up check, releases the bank, registers it again and runs;
// v1.37 runs on until the two identities on one address show, then goes to fail-safe.
func TestRegistrationConflictWithRealBatteries(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    events.State
	}{
		{"1.37", events.StateError},
		{"1.38", events.StateRunning},
	} {
		t.Run(tt.version, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Firmware = profile(t, tt.version)
			cfg.Parallel = 4
			sys := runToRunning(t, cfg, func(s *System) {
				_, err := s.Batteries[3].Inject(battery.FaultStaleAddress, 1)
				require.NoError(t, err)
			})
			// Long enough for two identity rounds (batbus.IdentityPeriod).
			sys.Loop.RunUntil(15*time.Second, func() bool { return sys.Master.State() == events.StateError })
			assert.Equal(t, tt.want, sys.Master.State())
			if tt.want == events.StateRunning {
				for i, b := range sys.Batteries {
					assert.Equal(t, uint8(i+1), b.Address())
				}
			} else {
				assert.Equal(t, events.ErrSlaveFailure, sys.Master.Error())
			}
		})
	}
}

// Changelog 1.38-07 with real RS batteries of 100 and 200 Ah.
func TestMixedRSBank(t *testing.T) {
	rs100, err := battery.LookupType("RS-24V-100Ah")
	require.NoError(t, err)
	rs200, err := battery.LookupType("RS-24V-200Ah")
	require.NoError(t, err)
	for _, tt := range []struct {
		version string
		want    events.ErrorCode
	}{
		{"1.37", events.ErrBatteryType},
		{"1.38", events.ErrNone},
	} {
		t.Run(tt.version, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Firmware = profile(t, tt.version)
			cfg.BatteryTypes = []battery.Type{rs200, rs100}
			sys := runToRunning(t, cfg, nil)
			assert.Equal(t, tt.want, sys.Master.Error())
		})
	}
}

// A silent battery in a running bank: the master's communication check gives #23 and opens the
// contactor.
func TestSilentBatteryInBank(t *testing.T) {
	sys := runToRunning(t, DefaultConfig(), nil)
	require.Equal(t, events.StateRunning, sys.Master.State())
	_, err := sys.Batteries[1].Inject(battery.FaultSilent)
	require.NoError(t, err)
	sys.Loop.RunFor(10 * time.Second) // the communication timeout, then the 5 s opening delay
	assert.Equal(t, events.ErrSlaveFailure, sys.Master.Error())
	assert.False(t, sys.Plant.ContactorClosed())
}

// A battery of another type in the bank: #4.
func TestWrongTypeInBank(t *testing.T) {
	sys := runToRunning(t, DefaultConfig(), func(s *System) {
		_, err := s.Batteries[0].Inject(battery.FaultWrongType, 0x7777)
		require.NoError(t, err)
	})
	assert.Equal(t, events.ErrBatteryType, sys.Master.Error())
}
