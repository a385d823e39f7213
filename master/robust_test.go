package master

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
)

// No state the master can get stuck in: under random stimuli (commands, the button, the interlock,
// contactor and pre-charge faults, batteries that fall silent, go deaf, come back or report
// anything, currents, VREG writes), every waiting state ends within its bound, the contactor is
// never commanded closed in a state that has it open, and no transition the master asks for is
// refused by its own state machine. The stimuli come from fixed seeds, so a failure repeats.
func TestNoStuckStates(t *testing.T) {
	// The longest any waiting state may last: registration (10 s to the first battery, 2 s quiet,
	// assignment retries, 5 s to the first report) and the longest pre-charge (30 s + 18 s) are
	// well inside it.
	const bound = 2 * time.Minute
	waiting := map[string]bool{stateInitializing: true, stateContactorCheck: true, statePreCharging: true, stateGoingToRun: true, stateUpdating: true}
	open := map[string]bool{stateInitializing: true, stateContactorCheck: true, statePreCharging: true, stateStandby: true, stateError: true, stateShutdown: true}
	visited := map[events.State]bool{}
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x1234))
			r := newRig(t, "1.38", func(c *Config) { c.Settings.InterlockEnabled = true })
			batteries := 1 + rng.IntN(3)
			r.advance(step)
			for i := 1; i <= batteries; i++ {
				r.announce(uint32(i), batbus.ChemistryLFP, 2, 8)
			}
			var since time.Duration
			last, lastPending := r.m.state, false
			var pendingSince time.Duration
			next := time.Duration(0)
			for r.now < 15*time.Minute {
				if r.now >= next {
					stimulate(r, rng, &batteries)
					next = r.now + time.Duration(500+rng.IntN(4500))*time.Millisecond
				}
				r.advance(step)
				visited[r.m.State()] = true
				if r.m.state != last {
					last, since = r.m.state, r.now
				}
				if waiting[r.m.state] && !r.m.off {
					require.Less(t, r.now-since, bound, "stuck in %s at %v", r.m.state, r.now)
				}
				pending := r.m.opening.active
				if pending != lastPending {
					lastPending, pendingSince = pending, r.now
				}
				if pending {
					require.LessOrEqual(t, r.now-pendingSince, r.m.openDelay()+step, "opening sequence overran")
				}
				if open[r.m.state] {
					require.False(t, r.hw.contactorCommand, "contactor commanded closed in %s at %v", r.m.state, r.now)
				}
			}
			for _, e := range r.m.Log().Entries() {
				require.False(t, strings.HasPrefix(e.Message, "internal:"), "%v: %s", e.At, e.Message)
			}
		})
	}
	// The stimuli reached every state a single master without firmware updates has, so the
	// checks above were made in each.
	for _, s := range []events.State{events.StateWaitBoot, events.StateInit, events.StateContactorCheck, events.StatePreCharging,
		events.StateGoingToRun, events.StateRunning, events.StatePending, events.StateStandby, events.StateError, events.StateShutdown} {
		require.True(t, visited[s], "never in %v", s)
	}
}

// stimulate applies one random stimulus to the rig.
func stimulate(r *rig, rng *rand.Rand, batteries *int) {
	switch rng.IntN(16) {
	case 0:
		r.m.Stop()
	case 1:
		r.m.Start()
	case 2:
		r.m.Restart()
	case 3:
		if rng.IntN(4) == 0 { // rarer: a shutdown ends the run until a start
			r.m.Shutdown()
		}
	case 4:
		r.m.PressButton()
	case 5:
		r.hw.interlockOpen = rng.IntN(3) == 0
	case 6:
		r.hw.feedbackBroken = rng.IntN(4) == 0
	case 7:
		r.hw.prechargeStuck = rng.IntN(4) == 0
		r.hw.fuseBroken = rng.IntN(6) == 0
	case 8:
		r.silent = rng.IntN(4) == 0
	case 9:
		r.commandsDeaf = rng.IntN(4) == 0
		r.deaf = rng.IntN(6) == 0
	case 10, 11:
		*batteries = 1 + rng.IntN(3)
		for i := 1; i <= *batteries; i++ {
			r.announce(uint32(i), batbus.ChemistryLFP, 2, 8)
		}
	case 12:
		lo := uint16(2500 + rng.IntN(1100))
		r.minDeciC = int16(-250 + rng.IntN(900))
		r.maxDeciC = r.minDeciC + int16(rng.IntN(80))
		r.report(*batteries, lo, lo+uint16(rng.IntN(150)))
	case 13:
		r.hw.shuntAmps = float64(rng.IntN(801) - 400)
	case 14:
		reg := []vecan.Register{vecan.RegSOC, vecan.RegLynxIonBatteryStrategy, vecan.RegLynxIonCombined, vecan.RegLynxIonSyncGroup, vecan.RegRelayControl}[rng.IntN(5)]
		r.m.Set(r.now, reg, uint32(rng.IntN(4)))
	case 15:
		r.hw.welded = rng.IntN(8) == 0
		if !r.hw.welded {
			r.hw.weldedShut = false
		}
	}
	if r.m.State() == events.StateError && rng.IntN(3) == 0 {
		r.hw.interlockOpen, r.hw.feedbackBroken, r.hw.welded, r.hw.weldedShut = false, false, false, false
	}
}
