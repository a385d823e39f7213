package canbus

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
)

// An attachment with acceptance filters takes in the frames any filter accepts and error
// frames, counts the rest as filtered, and the other attachments are not affected.
func TestHubFilters(t *testing.T) {
	h := NewHub("bat")
	sender, filtered, plain := h.Attach(), h.Attach(), h.Attach()
	require.True(t, SetFilters(filtered, Filter{ID: 0x0B10000, Mask: 0x1FFFF800}, Filter{ID: 0x0B13000, Mask: 0x1FFFFF00}))
	ids := []uint32{0x0B10105, 0x0B10401, 0x0B11001, 0x0B13085, 0x0B21001, 0x0B107FF}
	for _, id := range ids {
		require.NoError(t, sender.Send(frame(id, 1)))
	}
	h.ReportError(0x40)
	h.Deliver()
	var got []uint32
	for _, f := range filtered.Receive(nil) {
		got = append(got, f.ID)
	}
	assert.Equal(t, []uint32{0x0B10105, 0x0B10401, 0x0B13085, 0x0B107FF, ErrFlag | 0x40}, got)
	st := filtered.Stats()
	assert.EqualValues(t, 2, st.Filtered)
	assert.EqualValues(t, 5, st.Received)
	assert.Len(t, plain.Receive(nil), len(ids)+1, "no filter: everything")
	assert.Zero(t, plain.Stats().Filtered)

	// No filters again: everything passes.
	SetFilters(filtered)
	require.NoError(t, sender.Send(frame(0x0B11001, 1)))
	h.Deliver()
	assert.Equal(t, []can.Frame{frame(0x0B11001, 1)}, filtered.Receive(nil))
}
