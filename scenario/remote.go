package scenario

import (
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/plant"
)

// Hardware-in-the-loop halves. When the batteries run in another process or are real, the
// master's plant still needs the bank's electrical face, and the batteries' plant needs to know
// whether the master's contactor is closed. Both are read off the battery bus, the only thing the
// two halves share.

// remoteBank stands for batteries elsewhere: one module per battery-bus address 1..n, whose
// source voltage is what the battery last reported, corrected by its reported current through a
// small resistance. It carries no charge of its own; the real batteries count theirs.
type remoteBank struct {
	tap     canbus.Bus
	rx      []can.Frame
	modules []*remoteModule
}

type remoteModule struct {
	volts, amps float64
	heard       bool
}

// remoteOhms is the resistance a remote module presents to the plant: a typical 24 V, 280 Ah LFP
// module's, so that the bank voltage responds to current as a real one does (an assumption).
const remoteOhms = 3e-3

func (r *remoteModule) Thevenin() (volts, ohms float64) {
	return r.volts - r.amps*remoteOhms, remoteOhms
}
func (r *remoteModule) Flow(float64, time.Duration) {}

func newRemoteBank(tap canbus.Bus, n int, nominalVolts float64) *remoteBank {
	b := &remoteBank{tap: tap}
	for range n {
		b.modules = append(b.modules, &remoteModule{volts: nominalVolts})
	}
	return b
}

// Step takes the batteries' Status frames.
func (b *remoteBank) Step(time.Duration) {
	b.rx = b.tap.Receive(b.rx[:0])
	for _, f := range b.rx {
		s, err := batbus.ParseStatus(f)
		if err != nil || int(s.Address) > len(b.modules) || s.Address == 0 {
			continue
		}
		m := b.modules[s.Address-1]
		m.volts, m.amps, m.heard = float64(s.Centivolts)/100, float64(s.Deciamps)/10, true
	}
}

func (b *remoteBank) cells() []plant.Cells {
	out := make([]plant.Cells, len(b.modules))
	for i, m := range b.modules {
		out[i] = m
	}
	return out
}

// masterFollower closes the batteries' plant contactor while the master elsewhere says, in its
// battery-bus heartbeat, that it is running or going to run, and opens it otherwise or when the
// heartbeat stops (batbus.HeartbeatTimeout).
type masterFollower struct {
	tap       canbus.Bus
	rx        []can.Frame
	p         *plant.Plant
	state     uint8
	heardAt   time.Duration
	heard     bool
	precharge bool
}

// Master states in the heartbeat (VE_REG_LYNX_ION_BMS_STATE, protocol.md §4.3).
const (
	stateRunning    = 9
	stateGoingToRun = 15
	statePreCharge  = 16
)

func (m *masterFollower) Step(now time.Duration) {
	m.rx = m.tap.Receive(m.rx[:0])
	for _, f := range m.rx {
		if h, err := batbus.ParseHeartbeat(f); err == nil {
			m.state, m.heardAt, m.heard = h.State, now, true
		}
	}
	alive := m.heard && now-m.heardAt < batbus.HeartbeatTimeout
	closed := alive && (m.state == stateRunning || m.state == stateGoingToRun)
	m.p.SetPrecharge(alive && m.state == statePreCharge)
	m.p.SetContactor(closed)
}

// MasterState returns the state the master elsewhere last gave in its heartbeat, and whether it
// is heard.
func (s *System) MasterState(now time.Duration) (uint8, bool) {
	if s.follower == nil || !s.follower.heard {
		return 0, false
	}
	return s.follower.state, now-s.follower.heardAt < batbus.HeartbeatTimeout
}
