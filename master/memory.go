package master

import (
	"errors"
	"fmt"
	"time"

	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/nvm"
)

// Memory is the master's non-volatile memory: an nvm.Store in lynxsim run with --state-dir, nil
// where nothing is kept. Load reports nvm.ErrNotStored when nothing is there and an
// *nvm.CorruptError when what is there cannot be trusted.
type Memory interface {
	Load(name string, v any) error
	Save(name string, v any) error
}

// DefaultMemoryRecord is the master's record name in its Memory unless Config.MemoryRecord
// names another.
const DefaultMemoryRecord = "master"

// memoryRecord is the record the master loads and saves.
func (m *Master) memoryRecord() string {
	if m.cfg.MemoryRecord == "" {
		return DefaultMemoryRecord
	}
	return m.cfg.MemoryRecord
}

// stored is what the master keeps across a power cycle: SOC, settings and history.
type stored struct {
	Firmware   string   `json:"firmware"`
	SOCPercent float64  `json:"soc_percent"`
	SOCValid   bool     `json:"soc_valid"`
	Settings   Settings `json:"settings"`

	LastErrors          [4]storedError `json:"last_errors"`
	ShutdownsDueToError uint16         `json:"shutdowns_due_to_error"`
	AutoSyncs           uint32         `json:"auto_syncs"`
	DrawnAh             float64        `json:"drawn_ah"`
	ChargedKWh          float64        `json:"charged_kwh"`
	DischargedKWh       float64        `json:"discharged_kwh"`
	Tracking            *Tracking      `json:"tracking,omitempty"`
	Days                []DaySummary   `json:"days,omitempty"`
	Events              []StoredEvent  `json:"events,omitempty"`
	// Saves counts the writes over the master's life: it only grows, so that a record read back
	// after a crash can be told older or newer than another.
	Saves uint64 `json:"saves"`
}

// StoredEvent is an event log entry kept across power cycles. Its time is wall-clock (the
// driver's epoch plus the virtual time), or, without an epoch, the virtual time of the run that
// logged it.
type StoredEvent struct {
	Time     time.Time       `json:"time,omitzero"`
	At       time.Duration   `json:"at"`
	Severity events.Severity `json:"severity"`
	Code     int             `json:"code,omitempty"`
	Message  string          `json:"message"`
}

// storedEvents is how many of the newest events the memory keeps: an assumption, the device's
// log size is not published.
const storedEvents = 64

type storedError struct {
	Code uint8  `json:"code"`
	Unix uint32 `json:"unix"`
}

// load restores what the memory holds; a missing or corrupt record leaves the defaults and says
// so in the event log, never stops the master.
func (m *Master) load() {
	if m.cfg.Memory == nil {
		return
	}
	var s stored
	err := m.cfg.Memory.Load(m.memoryRecord(), &s)
	var corrupt *nvm.CorruptError
	switch {
	case errors.Is(err, nvm.ErrNotStored):
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: "non-volatile memory empty: defaults"})
		return
	case errors.As(err, &corrupt):
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityWarning, Message: "non-volatile memory corrupt, defaults used: " + corrupt.Reason})
		return
	case err != nil:
		m.log.Add(events.Entry{At: m.now, Severity: events.SeverityWarning, Message: "non-volatile memory unreadable, defaults used: " + err.Error()})
		return
	}
	m.storedSOC, m.storedSOCValid = s.SOCPercent, s.SOCValid
	m.settings = s.Settings
	m.strategyAtStart = s.Settings.Strategy
	for i, e := range s.LastErrors {
		m.history.lastErrors[i] = lastError{code: e.Code, unix: e.Unix}
	}
	m.history.shutdownsDueToError = s.ShutdownsDueToError
	m.history.autoSyncs = s.AutoSyncs
	m.history.drawnAh, m.history.chargedKWh, m.history.dischargedKWh = s.DrawnAh, s.ChargedKWh, s.DischargedKWh
	if s.Tracking != nil {
		m.history.tracking = *s.Tracking
	}
	m.restoreDays(s.Days)
	m.pastEvents = s.Events
	m.saves = s.Saves
	m.log.Add(events.Entry{At: m.now, Severity: events.SeverityInfo, Message: fmt.Sprintf("non-volatile memory loaded (saved by %s)", s.Firmware)})
}

// save writes the record. A failure is logged and counted, and the master runs on: its memory
// is not its reason to exist.
func (m *Master) save(why string) {
	if m.cfg.Memory == nil {
		return
	}
	s := stored{
		Firmware:   m.cfg.Firmware.Version().String(),
		SOCPercent: m.socPct, SOCValid: m.socKnown,
		Settings:            m.settings,
		ShutdownsDueToError: m.history.shutdownsDueToError,
		AutoSyncs:           m.history.autoSyncs,
		DrawnAh:             m.history.drawnAh, ChargedKWh: m.history.chargedKWh, DischargedKWh: m.history.dischargedKWh,
		Days:   m.DailySummary(),
		Events: m.storedEventLog(),
		Saves:  m.saves + 1,
	}
	if t := m.history.tracking; t != (Tracking{}) {
		s.Tracking = &t
	}
	if !m.socKnown {
		s.SOCPercent, s.SOCValid = m.storedSOC, m.storedSOCValid
	}
	for i, e := range m.history.lastErrors {
		s.LastErrors[i] = storedError{Code: e.code, Unix: e.unix}
	}
	// A failed write is tried again at the next period, not the next step, and warned about once
	// until it succeeds: a full or read-only store must not fill the event log with one warning.
	m.lastSaved = m.now
	if err := m.cfg.Memory.Save(m.memoryRecord(), s); err != nil {
		m.counters.MemoryErrors++
		if !m.memoryFailing {
			m.memoryFailing = true
			m.log.Add(events.Entry{At: m.now, Severity: events.SeverityWarning, Message: "saving non-volatile memory (" + why + "): " + err.Error()})
		}
		return
	}
	m.memoryFailing = false
	m.saves = s.Saves
}

// storedEventLog is the newest storedEvents entries: those carried over from earlier power cycles
// followed by this run's.
func (m *Master) storedEventLog() []StoredEvent {
	out := append([]StoredEvent(nil), m.pastEvents...)
	for _, e := range m.log.Entries() {
		se := StoredEvent{At: e.At, Severity: e.Severity, Code: e.Code, Message: e.Message}
		if !m.cfg.Epoch.IsZero() {
			se.Time = m.cfg.Epoch.Add(e.At).UTC()
		}
		out = append(out, se)
	}
	if len(out) > storedEvents {
		out = out[len(out)-storedEvents:]
	}
	return out
}

// PastEvents returns the event log entries the memory kept from earlier power cycles, oldest first.
func (m *Master) PastEvents() []StoredEvent { return append([]StoredEvent(nil), m.pastEvents...) }

// stepMemory saves periodically (MemoryPeriod) while the SOC is known.
func (m *Master) stepMemory() {
	if m.cfg.Memory != nil && m.cfg.MemoryPeriod > 0 && m.socKnown && m.now-m.lastSaved >= m.cfg.MemoryPeriod {
		m.save("periodic")
	}
}
