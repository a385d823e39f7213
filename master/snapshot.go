package master

import (
	"math"
	"time"

	"github.com/lynxsim/lynxsim/events"
)

// Snapshot is what a person or a test wants to see of the master at one moment.
type Snapshot struct {
	At              time.Duration
	State           events.State
	Error           events.ErrorCode
	Flags           events.FlagSet
	SOCPercent      float64 // NaN until known
	Volts, Amps     float64
	MinCellVolts    float64 // NaN until reported
	MaxCellVolts    float64
	MinCellCelsius  float64
	MaxCellCelsius  float64
	Limits          Limits
	Batteries       int
	ContactorClosed bool
}

// Snapshot returns the master's present view.
func (m *Master) Snapshot() Snapshot {
	s := Snapshot{
		At: m.now, State: m.State(), Error: m.err, Flags: m.flags,
		SOCPercent: math.NaN(), Volts: m.hw.BatteryVolts(), Amps: m.hw.ShuntAmps(),
		MinCellVolts: math.NaN(), MaxCellVolts: math.NaN(), MinCellCelsius: math.NaN(), MaxCellCelsius: math.NaN(),
		Limits: m.limits, Batteries: len(m.reg.batteries), ContactorClosed: m.hw.ContactorClosed(),
	}
	if m.socKnown {
		s.SOCPercent = m.socPct
	}
	if e := m.ext; e.ok {
		s.MinCellVolts, s.MaxCellVolts = e.minCellVolts, e.maxCellVolts
		s.MinCellCelsius, s.MaxCellCelsius = e.minCellCelsius, e.maxCellCelsius
	}
	return s
}
