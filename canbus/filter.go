package canbus

import "go.einride.tech/can"

// Filter is an acceptance filter, as a CAN controller has in hardware and SocketCAN offers as
// CAN_RAW_FILTER: a frame passes when its identifier equals ID in every bit set in Mask.
type Filter struct{ ID, Mask uint32 }

// Filterable is a Bus whose node can set acceptance filters: a node that needs few of the bus's
// frames (a battery, which hears only the master and announcements) is then not handed the rest.
// Without it a bank of n batteries costs n² frame deliveries a report round.
type Filterable interface {
	// SetFilters replaces the filters: a frame passes if any of them accepts it; none passes
	// everything. Error frames always pass.
	SetFilters(filters ...Filter)
}

// SetFilters sets filters on b when its transport can filter, and reports whether it could. A
// node must still check what it receives: a transport that cannot filter hands it every frame.
func SetFilters(b Bus, filters ...Filter) bool {
	f, ok := b.(Filterable)
	if ok {
		f.SetFilters(filters...)
	}
	return ok
}

// accepts reports whether filters let fr through.
func accepts(filters []Filter, fr can.Frame) bool {
	if len(filters) == 0 || IsErrorFrame(fr) {
		return true
	}
	for _, f := range filters {
		if fr.ID&f.Mask == f.ID&f.Mask {
			return true
		}
	}
	return false
}
