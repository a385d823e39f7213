package events

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func entryAt(seconds int) Entry {
	return Entry{At: time.Duration(seconds) * time.Second, Severity: SeverityInfo, Message: "e"}
}

func seconds(entries []Entry) []int {
	out := make([]int, 0, len(entries))
	for _, e := range entries {
		out = append(out, int(e.At/time.Second))
	}
	return out
}

func TestLogRing(t *testing.T) {
	tests := []struct {
		name        string
		capacity    int
		adds        int
		wantAt      []int
		wantDropped int
	}{
		{"empty", 3, 0, []int{}, 0},
		{"partly full", 3, 2, []int{1, 2}, 0},
		{"exactly full", 3, 3, []int{1, 2, 3}, 0},
		{"wrapped once", 3, 4, []int{2, 3, 4}, 1},
		{"wrapped past the start twice", 3, 8, []int{6, 7, 8}, 5},
		{"capacity 0 becomes 1", 0, 3, []int{3}, 2},
		{"negative capacity becomes 1", -5, 2, []int{2}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLog(tt.capacity)
			for i := 1; i <= tt.adds; i++ {
				l.Add(entryAt(i))
			}
			assert.Equal(t, tt.wantAt, seconds(l.Entries()), "oldest first")
			assert.Equal(t, len(tt.wantAt), l.Len())
			assert.Equal(t, tt.wantDropped, l.Dropped())
		})
	}
}

func TestLogEntriesIsACopy(t *testing.T) {
	l := NewLog(2)
	l.Add(Entry{Severity: SeverityError, Code: int(ErrPreCharge), Message: ErrPreCharge.String()})
	got := l.Entries()
	require.Len(t, got, 1)
	got[0].Message = "changed"
	assert.Equal(t, "#25 Pre-Charge error", l.Entries()[0].Message)
	assert.Equal(t, 25, l.Entries()[0].Code)
}

func TestLogConcurrentUse(t *testing.T) {
	l := NewLog(16)
	const writers, perWriter = 4, 100
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				l.Add(entryAt(i))
				_ = l.Entries()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 16, l.Len())
	assert.Equal(t, writers*perWriter-16, l.Dropped())
}

func TestSeverityString(t *testing.T) {
	tests := []struct {
		s    Severity
		want string
	}{
		{SeverityInfo, "info"},
		{SeverityWarning, "warning"},
		{SeverityAlarm, "alarm"},
		{SeverityError, "error"},
		{7, "severity 7"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.s.String())
	}
}

// Since gives what came after a reader's total, also across the ring's wrap, and no more than the
// log still holds.
func TestLogSince(t *testing.T) {
	l := NewLog(3)
	got, total := l.Since(0, nil)
	assert.Empty(t, got)
	assert.Zero(t, total)
	for i := range 2 {
		l.Add(Entry{Code: i})
	}
	got, total = l.Since(0, nil)
	assert.Equal(t, []Entry{{Code: 0}, {Code: 1}}, got)
	assert.Equal(t, 2, total)
	for i := 2; i < 5; i++ {
		l.Add(Entry{Code: i})
	}
	got, total = l.Since(2, nil)
	assert.Equal(t, []Entry{{Code: 2}, {Code: 3}, {Code: 4}}, got)
	assert.Equal(t, 5, total)
	l.Add(Entry{Code: 5})
	l.Add(Entry{Code: 6})
	got, total = l.Since(3, got[:0])
	assert.Equal(t, []Entry{{Code: 4}, {Code: 5}, {Code: 6}}, got, "entry 3 was dropped")
	assert.Equal(t, 7, total)
	assert.Equal(t, 7, l.Total())
}
