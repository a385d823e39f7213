package plant

import "time"

// feedbackFault is a fault of the contactor's auxiliary (feedback) contact.
type feedbackFault int

const (
	feedbackWorks feedbackFault = iota
	// feedbackLost: the auxiliary contact reads open whatever the main contacts do (a broken
	// wire or contact).
	feedbackLost
	// feedbackStuckClosed: the auxiliary contact reads closed whatever the main contacts do.
	feedbackStuckClosed
)

// contactor is the main contactor: its coil command, its main contacts, its auxiliary contact
// and its faults.
//
// The main contacts close ContactorClose after the coil is commanded (on the first step whose
// time reaches it, and count as closed for that whole step) and open at once when the command is
// withdrawn. A welded contactor's contacts stay closed once they have closed; one that will not
// close never closes. Only the closings are counted: each is one operation (a close-open cycle).
type contactor struct {
	closeTime time.Duration

	command bool
	since   time.Duration // when the command to close was given
	closed  bool          // the main contacts
	cycles  int

	welded, wontClose bool
	feedback          feedbackFault
}

// set drives the coil at now.
func (c *contactor) set(on bool, now time.Duration) {
	if on && !c.command {
		c.since = now
	}
	c.command = on
	if !on && !c.welded {
		c.closed = false
	}
}

// step closes the contacts when the coil has been on for the closing time.
func (c *contactor) step(now time.Duration) {
	if c.command && !c.closed && !c.wontClose && now-c.since >= c.closeTime {
		c.closed = true
		c.cycles++
	}
}

// auxiliary is the feedback contact as the master reads it.
func (c *contactor) auxiliary() bool {
	switch c.feedback {
	case feedbackLost:
		return false
	case feedbackStuckClosed:
		return true
	}
	return c.closed
}

// unweld clears the weld: contacts no longer commanded closed open at once.
func (c *contactor) unweld() {
	c.welded = false
	if !c.command {
		c.closed = false
	}
}

// free clears a contactor that would not close: if its coil is still on, it closes the closing
// time after now.
func (c *contactor) free(now time.Duration) {
	c.wontClose = false
	c.since = now
}
