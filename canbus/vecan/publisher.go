package vecan

import (
	"fmt"
	"math"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/n2k"
)

// Broadcast timing of the Master LV (S2 p.20): "If 'periodically' is 'Yes' the VREG is broadcasted
// with an interval of 5 seconds. If 'on change' is 'yes' the VREG will be broadcasted directly if
// the value has been changed. The 'on change' condition can have a maximum delay of 1 second."
// Changelog 1.26-05 adds an external CAN-bus protocol "VE-MG-NMEA2000" whose MG registers go out
// every 250 ms: MGRegisterPeriod, for WithPeriod.
const (
	DefaultPeriod          = 5 * time.Second
	DefaultOnChangeHoldoff = time.Second
	MGRegisterPeriod       = 250 * time.Millisecond
)

// PublisherOption changes a Publisher's timing or padding.
type PublisherOption func(*Publisher)

// WithPeriod sets the interval of periodic registers (DefaultPeriod; MGRegisterPeriod for the
// VE-MG-NMEA2000 mode of changelog 1.26-05). Values of zero or less leave the default.
func WithPeriod(d time.Duration) PublisherOption {
	return func(p *Publisher) {
		if d > 0 {
			p.period = d
		}
	}
}

// WithOnChangeHoldoff sets the least time between two on-change broadcasts of one register
// (DefaultOnChangeHoldoff). It is also the longest a change waits, so S2's 1 s bound holds for
// any holdoff up to 1 s (plus the caller's step interval). Negative values leave the default.
func WithOnChangeHoldoff(d time.Duration) PublisherOption {
	return func(p *Publisher) {
		if d >= 0 {
			p.holdoff = d
		}
	}
}

// WithChangeCheck sets how often the values of on-change registers are compared with those last
// sent (0, the default: at every Step). S2 allows an on-change broadcast up to 1 s late; a
// device with tens of registers and a 10 ms step spends most of its broadcasting time asking for
// values that have not changed. Periodic broadcasts keep their exact cadence whatever the
// interval. Negative values leave the default.
func WithChangeCheck(d time.Duration) PublisherOption {
	return func(p *Publisher) {
		if d >= 0 {
			p.changeCheck = d
		}
	}
}

// WithPadding sets the byte after values shorter than four bytes (PadBroadcast by default).
func WithPadding(b byte) PublisherOption { return func(p *Publisher) { p.padding = b } }

// Publisher broadcasts registers unasked, as the Master LV does (S2 p.20). The rule, register by
// register, at each Step:
//
//   - A register the device does not hold (get reports false) is not sent; when it comes back it
//     counts as new.
//   - A new register that is periodic or on change goes out at once (its first value).
//   - A periodic register goes out every period after that, on a fixed cadence from its first
//     broadcast (a late Step sends once and starts the cadence again from that Step), whatever
//     on-change broadcasts happen in between: velib marks periodic registers from a timer of its
//     own (S7 reg_prod.c veRegProdSfTick).
//   - An on-change register whose value differs from the value last sent goes out at once unless
//     it went out unscheduled (first value or change) less than the holdoff ago; then it goes out
//     at the first Step after the holdoff ends, with the value it has then, if that still differs.
//     This is velib's rate limit (S7 reg_prod.c veRegOnChangeNr: a change soon after an on-change
//     broadcast is marked "sent delayed" and queued when the rate-limit timer runs out).
//   - A register that is neither periodic nor on change (S2 "No/No") is never sent: it is
//     answered on request only (Server).
//
// With WithChangeCheck, "at once" and "at the first Step" above mean at the first change check,
// and a register that goes missing or comes back is noticed there too.
//
// Registers go out in the order given to NewPublisher.
type Publisher struct {
	regs        []published
	period      time.Duration
	holdoff     time.Duration
	changeCheck time.Duration
	padding     byte
	// nextCheck is when the next change check is due; nextPeriodic the earliest periodic
	// broadcast of a held register. A Step before both has nothing to do.
	nextCheck, nextPeriodic time.Duration
}

type published struct {
	info         RegisterInfo
	held         bool          // sent since it was last missing
	last         uint32        // value last sent
	nextPeriodic time.Duration // when the periodic broadcast is due
	lastChange   time.Duration // when it last went out unscheduled
}

// NewPublisher broadcasts regs as table describes them (TableFor a firmware version, or
// LookupRegister). A register the table does not know, or a String register, is a programming
// error and panics: the list is fixed by the caller's code.
func NewPublisher(regs []Register, table func(Register) (RegisterInfo, bool), opts ...PublisherOption) *Publisher {
	p := &Publisher{
		regs:    make([]published, 0, len(regs)),
		period:  DefaultPeriod,
		holdoff: DefaultOnChangeHoldoff,
		padding: PadBroadcast,
	}
	for _, o := range opts {
		o(p)
	}
	for _, id := range regs {
		info, ok := table(id)
		if !ok {
			panic(fmt.Sprintf("vecan: NewPublisher: register 0x%04X is not in the table", uint16(id)))
		}
		if info.Type == String {
			panic(fmt.Sprintf("vecan: NewPublisher: %s (0x%04X) is a long register; it is sent on request only", info.Name, uint16(id)))
		}
		p.regs = append(p.regs, published{info: info})
	}
	return p
}

// Reset forgets what was sent: every register counts as new at the next Step (after the node
// lost and regained its address, for example).
func (p *Publisher) Reset() {
	for i := range p.regs {
		p.regs[i].held = false
	}
}

// Step appends the broadcasts due at now, sent from self, to dst. get gives a register's raw
// value, ok=false when the device does not hold it. Step does not allocate when dst has room.
func (p *Publisher) Step(now time.Duration, self uint8, get func(Register) (uint32, bool), dst []can.Frame) []can.Frame {
	check := now >= p.nextCheck
	if !check && now < p.nextPeriodic {
		return dst
	}
	if check {
		// On a grid of virtual time, not from the first Step: two runs of the same system
		// check at the same moments whenever their publishers started or were reset.
		p.nextCheck = now + 1
		if p.changeCheck > 0 {
			p.nextCheck = (now/p.changeCheck + 1) * p.changeCheck
		}
	}
	p.nextPeriodic = math.MaxInt64
	for i := range p.regs {
		r := &p.regs[i]
		if !r.info.Periodic && !r.info.OnChange {
			continue
		}
		if !check && r.held && !(r.info.Periodic && now >= r.nextPeriodic) {
			if r.info.Periodic {
				p.nextPeriodic = min(p.nextPeriodic, r.nextPeriodic)
			}
			continue
		}
		dst = p.step(r, now, self, get, dst)
		if r.held && r.info.Periodic {
			p.nextPeriodic = min(p.nextPeriodic, r.nextPeriodic)
		}
	}
	return dst
}

// step looks at one register at now and appends its broadcast to dst when one is due.
func (p *Publisher) step(r *published, now time.Duration, self uint8, get func(Register) (uint32, bool), dst []can.Frame) []can.Frame {
	raw, ok := get(r.info.ID)
	if !ok {
		r.held = false
		return dst
	}
	raw &= r.info.mask()
	due := false
	switch {
	case !r.held:
		due = true
		r.held, r.nextPeriodic, r.lastChange = true, now+p.period, now
	case r.info.OnChange && raw != r.last && now-r.lastChange >= p.holdoff:
		due = true
		r.lastChange = now
	}
	if r.info.Periodic && now >= r.nextPeriodic {
		due = true
		r.nextPeriodic += p.period
		if r.nextPeriodic <= now {
			r.nextPeriodic = now + p.period
		}
	}
	if !due {
		return dst
	}
	r.last = raw
	return append(dst, VREG{Register: r.info.ID, Value: raw, Size: uint8(r.info.Size())}.FramePadded(self, n2k.Broadcast, p.padding))
}
