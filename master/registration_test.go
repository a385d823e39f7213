package master

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/events"
)

// heard advances d and returns the battery-bus frames of message msg the master sent meanwhile.
func (r *rig) heard(d time.Duration, msg batbus.Message) []can.Frame {
	listen := r.hub.AttachListenOnly()
	defer listen.Close()
	var out []can.Frame
	for end := r.now + d; r.now < end; {
		r.advance(step)
		for _, f := range listen.Receive(nil) {
			if m, _, ok := batbus.Split(f); ok && m == msg {
				out = append(out, f)
			}
		}
	}
	return out
}

// The master's heartbeat goes out every second with its state and the detail period.
func TestBatteryHeartbeat(t *testing.T) {
	r := running(t, "1.38")
	hb := r.heard(3*time.Second, batbus.MsgHeartbeat)
	require.Len(t, hb, 3)
	h, err := batbus.ParseHeartbeat(hb[2])
	require.NoError(t, err)
	assert.Equal(t, uint8(events.StateRunning), h.State)
	assert.Equal(t, uint8(1), h.DetailSeconds, "one small battery: detail every second")
	prev, _ := batbus.ParseHeartbeat(hb[1])
	assert.Equal(t, prev.Sequence+1, h.Sequence)
}

// A battery that falls silent is lost after batbus.StatusTimeout: #23.
func TestSilentBattery(t *testing.T) {
	r := running(t, "1.38")
	r.silent = true
	// The last Status came at most 500 ms before the battery fell silent.
	r.advance(batbus.StatusTimeout - 500*time.Millisecond)
	assert.Equal(t, events.StateRunning, r.m.State(), "within the timeout")
	r.advance(time.Second)
	// Lost: the pre-alarm, allowed-to-charge and -discharge off, the contactor still closed for
	// the opening delay (changelog 1.08-04), then #23 with the contactor open.
	s := r.m.Snapshot()
	assert.True(t, s.Flags.Has(events.FlagPreAlarm))
	assert.False(t, s.Flags.Has(events.FlagAllowedToCharge))
	assert.True(t, r.hw.contactorCommand)
	r.advance(contactorOpenDelay)
	assert.Equal(t, events.StateError, r.m.State())
	assert.Equal(t, events.ErrSlaveFailure, r.m.Error())
	assert.False(t, r.hw.contactorCommand)
}

// An Assign never acknowledged is repeated batbus.AssignRetries times, then #23.
func TestAssignNeverAcknowledged(t *testing.T) {
	r := newRig(t, "1.38", nil)
	r.deaf = true
	r.advance(step)
	r.announce(1, batbus.ChemistryLFP, 2, 8)
	assigns := r.heard(r.m.cfg.RegistrationQuiet+time.Duration(batbus.AssignRetries+1)*batbus.AssignAckTimeout+100*time.Millisecond, batbus.MsgAssign)
	assert.Len(t, assigns, 1+batbus.AssignRetries)
	assert.Equal(t, events.StateError, r.m.State())
	assert.Equal(t, events.ErrSlaveFailure, r.m.Error())
}

// Changelog 1.38-05: two batteries on one address during start-up. v1.38 releases every battery
// and registers again; v1.37 goes to fail-safe.
func TestRegistrationConflict(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    events.State
	}{
		{"1.37", events.StateError},
		{"1.38", events.StateWaitBoot},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, nil)
			r.advance(step)
			r.announce(1, batbus.ChemistryLFP, 2, 8)
			r.announce(2, batbus.ChemistryLFP, 2, 8)
			r.advance(r.m.cfg.RegistrationQuiet + 50*time.Millisecond)
			require.Equal(t, events.StateInit, r.m.State())
			// A battery with a serial the master never assigned speaks from address 1.
			stranger := batbus.Nameplate{Prefix: batbus.PrefixHQ, Serial: 99, Product: 2}
			require.NoError(t, r.bat.Send(batbus.Identity{Address: 1, Nameplate: stranger}.Frame()))
			released := r.heard(50*time.Millisecond, batbus.MsgRelease)
			assert.Equal(t, tt.want, r.m.State())
			if tt.version == "1.38" {
				require.Len(t, released, 1)
				rel, err := batbus.ParseRelease(released[0])
				require.NoError(t, err)
				assert.Equal(t, batbus.ReleaseConflict, rel.Reason)
				assert.Equal(t, batbus.Broadcast, rel.To)
			} else {
				assert.Equal(t, events.ErrSlaveFailure, r.m.Error())
			}
		})
	}
}

// Changelog 1.38-07: RS batteries of different capacities but the same cells share a bank from
// v1.38, the lowest capacity counting; v1.37 refuses them as different types (#4).
func TestMixedRSCapacities(t *testing.T) {
	for _, tt := range []struct {
		version string
		wantErr events.ErrorCode
	}{
		{"1.37", events.ErrBatteryType},
		{"1.38", events.ErrNone},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := newRig(t, tt.version, nil)
			r.advance(step)
			rs := batbus.FeatureSelfTest | batbus.FeatureLeakage | batbus.FeatureSOH
			for i, ah := range []uint16{200, 100} {
				serial := uint32(i + 1)
				temp := batbus.TemporaryAddress(batbus.PrefixHQ, serial, 0)
				require.NoError(t, r.bat.Send(batbus.Announce{Address: temp, Nameplate: batbus.Nameplate{Prefix: batbus.PrefixHQ, Serial: serial, Product: 0x100 + ah}}.Frame()))
				require.NoError(t, r.bat.Send(batbus.Describe{Address: temp, Chemistry: batbus.ChemistryLFP, Cells: 8, CapacityAh: ah, Features: rs}.Frame()))
			}
			r.advance(r.m.cfg.RegistrationQuiet + 50*time.Millisecond)
			assert.Equal(t, tt.wantErr, r.m.Error())
			if tt.wantErr == events.ErrNone {
				assert.Equal(t, 100.0, r.m.reg.bankAh(1)/2, "the lowest capacity counts")
			}
		})
	}
}
