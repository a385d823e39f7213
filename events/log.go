package events

import (
	"fmt"
	"sync"
	"time"
)

// Severity grades a log entry.
type Severity uint8

// Severities, mildest first.
const (
	SeverityInfo Severity = iota
	SeverityWarning
	SeverityAlarm
	SeverityError
)

var severityNames = [...]string{
	SeverityInfo:    "info",
	SeverityWarning: "warning",
	SeverityAlarm:   "alarm",
	SeverityError:   "error",
}

// String gives the lower-case word, e.g. "warning"; an undefined value gives "severity 7".
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity %d", uint8(s))
}

// Entry is one event of the master's event log.
type Entry struct {
	At       time.Duration // since the simulation started; nodes never read the wall clock
	Severity Severity
	Code     int // an ErrorCode, a Flag bit, or 0 when the event has neither
	Message  string
}

// Log is the master's event log: a ring buffer that keeps the newest entries and counts what it
// had to drop. It is safe for concurrent use, so a real-time driver can read it while the node
// writes.
type Log struct {
	mu      sync.Mutex
	ring    []Entry // fixed length: the capacity
	oldest  int     // index in ring of the oldest entry
	n       int     // entries held
	dropped int
}

// NewLog returns a log that holds up to capacity entries; a capacity below 1 becomes 1.
func NewLog(capacity int) *Log {
	return &Log{ring: make([]Entry, max(capacity, 1))}
}

// Add appends e, dropping the oldest entry when the log is full.
func (l *Log) Add(e Entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == len(l.ring) {
		l.ring[l.oldest] = e
		l.oldest = (l.oldest + 1) % len(l.ring)
		l.dropped++
		return
	}
	l.ring[(l.oldest+l.n)%len(l.ring)] = e
	l.n++
}

// Entries returns the entries held, oldest first. The slice is a copy.
func (l *Log) Entries() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Entry, l.n)
	for i := range out {
		out[i] = l.ring[(l.oldest+i)%len(l.ring)]
	}
	return out
}

// Total is the number of entries ever added: a reader keeps it to ask for what came after.
func (l *Log) Total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n + l.dropped
}

// Since appends to dst the entries added after the first total ones (Total's value at an earlier
// time), oldest first, as far as the log still holds them; it returns dst and the new total.
func (l *Log) Since(total int, dst []Entry) ([]Entry, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.n + l.dropped
	first := max(total, l.dropped) // entries before dropped are gone
	for i := first; i < now; i++ {
		dst = append(dst, l.ring[(l.oldest+i-l.dropped)%len(l.ring)])
	}
	return dst, now
}

// Len is the number of entries held.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// Dropped is the number of entries overwritten since the log was made.
func (l *Log) Dropped() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}
