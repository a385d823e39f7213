package master

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/n2k"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/firmware"
)

const gxAddress = 0x20

// running brings a rig on firmware v to running with one battery.
func running(t *testing.T, v string) *rig {
	r := newRig(t, v, nil)
	r.advance(step)
	r.registerAndReport(1)
	r.advance(time.Second)
	require.Equal(t, events.StateRunning, r.m.State())
	return r
}

// ask sends frame f from the GX and returns what the master answered within 100 ms.
func (r *rig) ask(f can.Frame) []can.Frame {
	require.NoError(r.t, r.gx.Send(f))
	r.veFrames = r.veFrames[:0]
	r.advance(100 * time.Millisecond)
	var out []can.Frame
	for _, fr := range r.veFrames {
		id := n2k.ParseCANID(fr.ID)
		if id.PGN == vecan.PGNVREG || id.PGN == n2k.PGNAcknowledgement || id.PGN == vecan.PGNProductInformation {
			if v, ok := vecan.ParseVREG(fr); ok && id.PGN == vecan.PGNVREG && v.Register != vecan.RegAck {
				// Only answers to the question: the register asked about.
				if q, _ := vecan.ParseVREG(f); v.Register != q.Register && v.Register != vecan.Register(q.Value) {
					continue
				}
			}
			out = append(out, fr)
		}
	}
	return out
}

// The MG guide's example (S2 p.21), against the emulated master: a request for the firmware
// version from 0x20 is answered by a broadcast carrying the version as the device encodes it.
// From v1.14 the VUP bootloader's version follows under identifier 1 and the product id sets its
// VUP-support flag (changelog 1.14-10, lynxsim's reading of velib's multiple versions).
func TestVREGRequestFirmwareVersion_1_14_10(t *testing.T) {
	r := running(t, "1.38")
	got := r.ask(vecan.RequestFrame(gxAddress, 0x50, vecan.RegAppVersion))
	require.Len(t, got, 2)
	assert.Equal(t, "1CEFFF50#6699020100003801", got[0].String(), "v1.38 = 0x013800 (S2 p.17, p.21)")
	assert.Equal(t, "1CEFFF50#6699020101000001", got[1].String(), "the bootloader, identifier 1, v1.00")
	pid, _ := r.m.Get(vecan.RegProductID)
	assert.EqualValues(t, 0xFF, pid>>24, "VUP support")

	for _, v := range []string{"1.07", "1.13"} {
		r = running(t, v)
		got = r.ask(vecan.RequestFrame(gxAddress, 0x50, vecan.RegAppVersion))
		require.Len(t, got, 1, v)
		pid, _ = r.m.Get(vecan.RegProductID)
		assert.EqualValues(t, 0xFE, pid>>24, "no VUP flag before v1.14")
	}
	assert.Equal(t, "1CEFFF50#6699020100001301", got[0].String())
}

func TestVREGUnknownRequestIsNACKed(t *testing.T) {
	r := running(t, "1.38")
	got := r.ask(vecan.RequestFrame(gxAddress, 0x50, 0x1234))
	require.Len(t, got, 1)
	// S2 p.21: VACK (0x0002) for the register with code 0x8000, addressed to the requester.
	assert.Equal(t, "1CEF2050#6699020034120080", got[0].String())
}

// Changelog 1.09-07: the SOC can be written by VREG from v1.09; v1.08 refuses the command.
func TestVREGSOCWrite(t *testing.T) {
	r := running(t, "1.09")
	got := r.ask(vecan.CommandFrame(gxAddress, 0x50, vecan.RegSOC, 4250, 2))
	require.NotEmpty(t, got)
	assert.InDelta(t, 42.5, r.m.Snapshot().SOCPercent, 0.01)
	var acked, broadcast bool
	for _, f := range got {
		v, _ := vecan.ParseVREG(f)
		id := n2k.ParseCANID(f.ID)
		if v.Register == vecan.RegAck && id.Destination == gxAddress && v.Value>>16 == 0 {
			acked = true
		}
		if v.Register == vecan.RegSOC && id.Destination == n2k.Broadcast {
			broadcast = true
		}
	}
	assert.True(t, acked, "VACK 0x0000 to the writer: %v", got)
	assert.True(t, broadcast, "the new value broadcast: %v", got)

	r = running(t, "1.08")
	before := r.m.Snapshot().SOCPercent
	got = r.ask(vecan.CommandFrame(gxAddress, 0x50, vecan.RegSOC, 4250, 2))
	require.Len(t, got, 1)
	assert.Equal(t, "1CEF2050#66990200FF0F0081", got[0].String(), "VACK 0x8100 on v1.08")
	assert.InDelta(t, before, r.m.Snapshot().SOCPercent, 0.01)
}

func TestVREGCommandRefusals(t *testing.T) {
	r := running(t, "1.38")
	soc := r.m.Snapshot().SOCPercent
	tests := []struct {
		name string
		f    can.Frame
		want string
	}{
		{"out of range SOC", vecan.CommandFrame(gxAddress, 0x50, vecan.RegSOC, 10001, 2), "1CEF2050#66990200FF0F0081"},
		{"read-only state", vecan.CommandFrame(gxAddress, 0x50, vecan.RegLynxIonState, 9, 1), "1CEF2050#6699020071030081"},
		{"unknown register", vecan.CommandFrame(gxAddress, 0x50, 0x1234, 1, 1), "1CEF2050#6699020034120081"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.ask(tt.f)
			require.Len(t, got, 1)
			assert.Equal(t, tt.want, got[0].String())
		})
	}
	assert.InDelta(t, soc, r.m.Snapshot().SOCPercent, 0.01)
	assert.Equal(t, events.StateRunning, r.m.State())
}

// Broadcast VREG frames are never commands and never answered (protocol.md §3.2; the v1.09 flood
// of changelog 1.09-15 came from answering them).
func TestVREGBroadcastIgnored(t *testing.T) {
	r := running(t, "1.38")
	soc := r.m.Snapshot().SOCPercent
	got := r.ask(vecan.VREG{Register: vecan.RegSOC, Value: 1000, Size: 2}.Frame(gxAddress, n2k.Broadcast))
	assert.Empty(t, got)
	assert.InDelta(t, soc, r.m.Snapshot().SOCPercent, 0.01)
}

func TestVREGRelayControl(t *testing.T) {
	r := running(t, "1.38")
	r.ask(vecan.CommandFrame(gxAddress, 0x50, vecan.RegRelayControl, 1, 1))
	v, ok := r.m.Get(vecan.RegRelayControl)
	require.True(t, ok)
	assert.Equal(t, uint32(1), v)
}

// An ISO request for product information is answered with the 126996 fast packet; a request for
// a PGN the master does not send gets a NAK; 11-bit frames are ignored (changelog 1.16-01).
func TestISORequests(t *testing.T) {
	r := running(t, "1.38")
	got := r.ask(n2k.Request{PGN: vecan.PGNProductInformation}.Frame(gxAddress, 0x50))
	reasm := n2k.NewReassembler(n2k.DefaultFastTimeout)
	var pi vecan.ProductInformation
	for _, f := range got {
		if msg, ok := reasm.Add(0, f); ok {
			var good bool
			pi, good = vecan.ParseProductInformation(msg.Payload)
			require.True(t, good)
		}
	}
	assert.Equal(t, uint16(0xA390), pi.ProductCode)
	assert.Equal(t, "v1.38", pi.SoftwareVersion)

	got = r.ask(n2k.Request{PGN: 130306}.Frame(gxAddress, 0x50))
	require.Len(t, got, 1)
	ack, err := n2k.ParseAck(got[0])
	require.NoError(t, err)
	assert.Equal(t, n2k.NAK, ack.Control)
	assert.Equal(t, n2k.PGN(130306), ack.PGN)

	before := r.m.Counters().VECan11Bit
	r.ask(can.Frame{ID: 0x351, Length: 8})
	assert.Equal(t, before+1, r.m.Counters().VECan11Bit)
}

// The Master LV identity exists from v1.35 (changelog 1.35-02) and claims with MG's NAME.
func TestIdentity(t *testing.T) {
	p, err := firmwareProfile("1.34")
	require.NoError(t, err)
	hub := newRig(t, "1.38", nil).hub
	cfg := DefaultConfig(p)
	cfg.Identity = IdentityMasterLV
	_, err = New(cfg, &fakeHW{}, hub.Attach(), hub.Attach())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1.35-02")

	r := newRig(t, "1.35", func(c *Config) { c.Identity = IdentityMasterLV })
	r.advance(2 * step) // sent in the first step, delivered in the next
	var claim can.Frame
	for _, f := range r.veFrames {
		if n2k.ParseCANID(f.ID).PGN == n2k.PGNAddressClaim {
			claim = f
		}
	}
	require.NotZero(t, claim.ID)
	fields := n2k.NameFromBytes(claim.Data).Fields()
	assert.Equal(t, n2k.ManufacturerMG, fields.ManufacturerCode)
	assert.Equal(t, n2k.DeviceFunctionBattery, fields.DeviceFunction)
}

// The last errors carry their UTC times, from the epoch the driver gives the master.
func TestLastErrors(t *testing.T) {
	epoch := time.Date(2024, 9, 9, 12, 0, 0, 0, time.UTC)
	r := newRig(t, "1.38", func(c *Config) { c.Epoch = epoch })
	r.advance(20 * time.Second) // no battery: #2 after the registration timeout
	require.Equal(t, events.ErrNoBatteryFound, r.m.Error())
	v, ok := r.m.Get(vecan.RegBMSLastErrors)
	require.True(t, ok)
	assert.Equal(t, uint32(events.ErrNoBatteryFound), v&0xFF)
	at, ok := r.m.Get(vecan.RegBMSLastError1Time)
	require.True(t, ok)
	assert.Equal(t, uint32(epoch.Add(r.m.cfg.RegistrationTimeout).Unix()), at)
	n, _ := r.m.Get(vecan.RegLynxIonShutdownsDueToError)
	assert.Equal(t, uint32(1), n)
}

// Changelog 1.35-08: settings that make no sense together are refused from v1.35 with VACK
// 0x8100 and change nothing; v1.34 stores them.
func TestSettingCombinations_1_35_08(t *testing.T) {
	for _, tt := range []struct {
		version string
		ack     vecan.AckCode
	}{
		{"1.34", vecan.AckOK},
		{"1.35", vecan.AckErrCmd},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			write := func(reg vecan.Register, raw uint32) vecan.AckCode {
				for _, f := range r.ask(vecan.CommandFrame(gxAddress, 0x50, reg, raw, 1)) {
					if _, code, isAck, ok := vecan.MatchReply(f, 0x50, reg); ok && isAck {
						return code
					}
				}
				t.Fatalf("no VACK for 0x%04X", uint16(reg))
				return 0
			}
			assert.Equal(t, tt.ack, write(vecan.RegLynxIonSyncGroup, 2), "group without combined")
			group, _ := r.m.Get(vecan.RegLynxIonSyncGroup)
			assert.Equal(t, tt.ack == vecan.AckOK, group == 2)

			assert.Equal(t, vecan.AckOK, write(vecan.RegBatterySeries, 8))
			assert.Equal(t, tt.ack, write(vecan.RegBatteryParallel, 9), "72 batteries")

			// Sensible combinations pass on both.
			assert.Equal(t, vecan.AckOK, write(vecan.RegLynxIonCombined, 1))
			assert.Equal(t, vecan.AckOK, write(vecan.RegLynxIonSyncGroup, 3))
			assert.Equal(t, vecan.AckOK, write(vecan.RegBatteryParallel, 4))
		})
	}
}

// Changelog 1.26-01: a strategy written by the GX over VE.Can acts on both versions, but before
// v1.26 it was not stored: after a power cycle the old strategy is back.
func TestStrategyFromGXStored_1_26_01(t *testing.T) {
	for _, tt := range []struct {
		version string
		after   uint32
	}{
		{"1.25", 0},
		{"1.26", 1},
	} {
		t.Run(tt.version, func(t *testing.T) {
			dir := t.TempDir()
			r := newRig(t, tt.version, func(c *Config) { c.Memory = newMemory(t, dir) })
			r.advance(step)
			r.registerAndReport(1)
			r.advance(time.Second)
			r.ask(vecan.CommandFrame(gxAddress, 0x50, vecan.RegLynxIonBatteryStrategy, 1, 1))
			got, _ := r.m.Get(vecan.RegLynxIonBatteryStrategy)
			assert.EqualValues(t, 1, got, "acts at once")
			assert.Equal(t, uint8(1), r.m.strategy())
			r.m.Shutdown()
			r.advance(r.m.openDelay() + step)

			r2 := newRig(t, tt.version, func(c *Config) { c.Memory = newMemory(t, dir) })
			got, _ = r2.m.Get(vecan.RegLynxIonBatteryStrategy)
			assert.Equal(t, tt.after, got)
		})
	}
}

// Changelog 1.34-06: a setting changed by MG's tool or app is broadcast on VE.Can from v1.34;
// before, the GX learns it only by asking.
func TestToolSettingBroadcast_1_34_06(t *testing.T) {
	for _, tt := range []struct {
		version   string
		broadcast bool
	}{
		{"1.33", false},
		{"1.34", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.advance(2 * time.Second)
			r.m.ChangeSettings(func(s *Settings) { s.StartupOnCharge = true })
			r.veFrames = r.veFrames[:0]
			r.advance(2 * time.Second)
			v, ok := r.lastVREG(vecan.RegLynxIonStartupOnCharge, 1)
			assert.Equal(t, tt.broadcast, ok && v == 1)
			// Asked, both answer with the new value.
			got := r.ask(vecan.RequestFrame(gxAddress, 0x50, vecan.RegLynxIonStartupOnCharge))
			require.NotEmpty(t, got)
			val, _, isAck, ok := vecan.MatchReply(got[0], 0x50, vecan.RegLynxIonStartupOnCharge)
			require.True(t, ok && !isAck)
			assert.EqualValues(t, 1, val&0xFF)
		})
	}
}

// errorFrame has the kernel report an error of class on the rig's VE.Can.
func (r *rig) errorFrame(class uint32) { r.ve.ReportError(class) }

// Changelog 1.25-06: from v1.25 a bus-off silences the master until the bus is back, and it then
// claims its address again; v1.24 transmits on regardless and claims nothing.
func TestBusOff_1_25_06(t *testing.T) {
	for _, tt := range []struct {
		version string
		handled bool
	}{
		{"1.24", false},
		{"1.25", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			r.errorFrame(canErrBusOff)
			r.advance(2 * step) // what was on its way before the error arrives
			r.veFrames = r.veFrames[:0]
			r.advance(busOffWait/2 - 100*time.Millisecond)
			heard := len(r.veFrames)
			heard += len(r.ask(vecan.RequestFrame(gxAddress, 0x50, vecan.RegAppVersion))) // within 100 ms
			assert.Equal(t, !tt.handled, heard > 0, "silent during the bus-off wait, not even answering")
			r.veFrames = r.veFrames[:0]
			r.advance(busOffWait)
			claims := 0
			for _, f := range r.veFrames {
				if n2k.ParseCANID(f.ID).PGN == n2k.PGNAddressClaim {
					claims++
				}
			}
			assert.Equal(t, tt.handled, claims == 1, "claims again when back: %d", claims)
			assert.EqualValues(t, 1, r.m.Counters().VECanErrorFrames)
			r.errorFrame(canErrBusOff)
			r.advance(step)
			r.errorFrame(canErrRestarted) // the controller reports its restart: back at once
			r.veFrames = r.veFrames[:0]
			r.advance(5 * step)
			assert.NotEmpty(t, r.veFrames)
		})
	}
}

// Known issue 1.13-09, opted in: a burst of bus errors (a GX rebooting) silences a v1.13 master on
// VE.Can until it is started again; v1.14 fixed it (1.14-01) and stays.
func TestDisappearsAfterBusErrors_1_13_09_1_14_01(t *testing.T) {
	for _, tt := range []struct {
		version string
		gone    bool
	}{
		{"1.13", true},
		{"1.14", false},
	} {
		t.Run(tt.version, func(t *testing.T) {
			p, err := firmware.NewProfile(firmware.MustParse(tt.version), firmware.WithKnownIssues("1.13-09"))
			require.NoError(t, err)
			r := newRig(t, tt.version, func(c *Config) { c.Firmware = p })
			r.advance(step)
			r.registerAndReport(1)
			r.advance(time.Second)
			require.Equal(t, events.StateRunning, r.m.State())
			for range goneErrorBurst {
				r.errorFrame(0x004) // controller problems
			}
			r.advance(step)
			r.veFrames = r.veFrames[:0]
			r.advance(10 * time.Second)
			assert.Equal(t, tt.gone, len(r.veFrames) == 0)
			assert.Equal(t, events.StateRunning, r.m.State(), "the master itself runs on")
		})
	}
	// Not opted in, v1.13 stays too.
	r := running(t, "1.13")
	for range goneErrorBurst {
		r.errorFrame(0x004)
	}
	r.advance(step)
	r.veFrames = r.veFrames[:0]
	r.advance(5 * time.Second)
	assert.NotEmpty(t, r.veFrames)
}

// Changelog 1.17-05: from v1.17 VE_REG_DEVICE_STATE carries the BMS state (lynxsim's reading);
// v1.16 does not answer it. And the combined control output voltage (0x037A): the bus while a
// combined master's contactor is closed, N/A otherwise.
func TestDeviceStateAndOutputVoltage_1_17_05(t *testing.T) {
	for _, tt := range []struct {
		version string
		held    bool
	}{
		{"1.16", false},
		{"1.17", true},
	} {
		t.Run(tt.version, func(t *testing.T) {
			r := running(t, tt.version)
			got := r.ask(vecan.RequestFrame(gxAddress, 0x50, vecan.RegDeviceState))
			require.Len(t, got, 1)
			v, code, isAck, ok := vecan.MatchReply(got[0], 0x50, vecan.RegDeviceState)
			require.True(t, ok)
			if tt.held {
				assert.False(t, isAck)
				assert.EqualValues(t, events.StateRunning, v&0xFF)
			} else {
				assert.True(t, isAck && code.IsError(), "refused: %v", code)
			}
		})
	}
	r := running(t, "1.38")
	raw, _ := r.m.Get(vecan.RegLynxIonVoltage)
	assert.EqualValues(t, uint32(0xFFFFFFFF), raw, "not combined: no output")
	r.m.settings.Combined = true
	raw, _ = r.m.Get(vecan.RegLynxIonVoltage)
	assert.EqualValues(t, 2640, raw, "the bus, 26.40 V")
	r.m.Stop()
	r.advance(6 * time.Second)
	raw, _ = r.m.Get(vecan.RegLynxIonVoltage)
	assert.EqualValues(t, uint32(0xFFFFFFFF), raw, "contactor open: output not active")
}
