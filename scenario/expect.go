package scenario

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lynxsim/lynxsim/canbus/n2k"
	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/master"
)

// Expectation is a check of the timeline. Its window says when it is checked from its line's
// time: at that instant (Mode at), at some time within the window (within), throughout it (for);
// events and frames look from the line's time to the end of the window, or of the run.
type Expectation struct {
	What   string // "state running", for messages
	Mode   Mode
	Window time.Duration
	// check reports whether the expectation holds now, and what was seen.
	check func(r *run) (ok bool, seen string)
	// sticky expectations (events, frames) are true once seen in their window; absent ones fail
	// when seen.
	sticky, absent bool
}

// Mode is when an expectation is checked.
type Mode uint8

// The modes.
const (
	At     Mode = iota // at the line's time
	Within             // at some time in the window
	For                // at every step of the window
)

const expectHelp = "state NAME, error N|none, flag NAME on|off, register REG OP VALUE, load vecan|battery OP PERCENT, " +
	"soc|volts|amps|min-cell|max-cell|min-temp|max-temp|cvl|ccl|dcl|dvl|gx-ccl|gx-dcl OP VALUE, " +
	"output charge-relay|discharge-relay|relay open|closed, contactor open|closed, " +
	"event \"TEXT\", no event \"TEXT\", frame vecan|battery ID present|absent; then within D or for D"

// parseExpect reads what follows "expect".
func parseExpect(w []string) (*Expectation, error) {
	if len(w) == 0 {
		return nil, errors.New("expect what? " + expectHelp)
	}
	// The window comes last: "within 30s" or "for 1m".
	e := &Expectation{}
	if n := len(w); n >= 3 && (w[n-2] == "within" || w[n-2] == "for") {
		d, err := parseDuration(w[n-1])
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s %q: want a positive duration", w[n-2], w[n-1])
		}
		e.Window = d
		e.Mode = Within
		if w[n-2] == "for" {
			e.Mode = For
		}
		w = w[:n-2]
	}
	e.What = strings.Join(w, " ")
	var err error
	switch w[0] {
	case "state":
		err = e.parseState(w)
	case "error":
		err = e.parseError(w)
	case "flag":
		err = e.parseFlag(w)
	case "register":
		err = e.parseRegister(w)
	case "output", "contactor":
		err = e.parseOutput(w)
	case "event":
		err = e.parseEvent(w, false)
	case "no":
		if len(w) < 2 || w[1] != "event" {
			return nil, errors.New("no event \"TEXT\"")
		}
		err = e.parseEvent(w[1:], true)
	case "frame":
		err = e.parseFrame(w)
	case "load":
		err = e.parseLoad(w)
	case "gx-ccl", "gx-dcl":
		// The limits the GX gives the chargers and inverters under dvcc=on: several masters
		// combined (the lowest of the connected ones times their number).
		c, err := parseComparison(w[1:], "A")
		if err != nil {
			return nil, fmt.Errorf("%s: %v", w[0], err)
		}
		dcl := w[0] == "gx-dcl"
		e.check = func(r *run) (bool, string) {
			v := r.dvcc.ccl
			if dcl {
				v = r.dvcc.dcl
			}
			return c.holds(v), strconv.FormatFloat(v, 'f', 1, 64) + "A"
		}
	case "led":
		if len(w) != 2 {
			return nil, errors.New("expect led PATTERN: service, waiting-for-start, ready-to-start, on or off (combined mode, v1.25)")
		}
		want := w[1]
		e.check = func(r *run) (bool, string) {
			got := r.master().StatusLED()
			if got == "" {
				got = "none"
			}
			return got == want, got
		}
	default:
		if _, ok := values[w[0]]; ok {
			err = e.parseValue(w)
		} else {
			err = fmt.Errorf("expect %q: one of %s", w[0], expectHelp)
		}
	}
	if err != nil {
		return nil, err
	}
	if e.sticky && e.Mode == For {
		return nil, fmt.Errorf("expect %s: events and frames take within D (or nothing: to the end), not for", w[0])
	}
	return e, nil
}

func (e *Expectation) parseState(w []string) error {
	if len(w) != 2 {
		return errors.New("expect state NAME")
	}
	want, anyInit, err := parseState(w[1])
	if err != nil {
		return err
	}
	e.check = func(r *run) (bool, string) {
		s := r.master().State()
		return s == want || (anyInit && s.Initializing()), stateName(s)
	}
	return nil
}

// stateNames are the states' names as the traces write them, worked out once: expectations ask
// at every step.
var stateNames = func() map[events.State]string {
	m := map[events.State]string{}
	for _, st := range events.States() {
		m[st.Value] = strings.ToLower(st.Name)
	}
	return m
}()

func stateName(s events.State) string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return s.String()
}

func (e *Expectation) parseError(w []string) error {
	if len(w) != 2 {
		return errors.New("expect error N, or expect error none")
	}
	want := events.ErrNone
	if w[1] != "none" {
		n, err := strconv.Atoi(strings.TrimPrefix(w[1], "#"))
		if err != nil || n < 0 || n > 255 {
			return fmt.Errorf("error %q: want a VE_REG_BMS_ERROR number (26 or #26) or none", w[1])
		}
		want = events.ErrorCode(n)
	}
	e.check = func(r *run) (bool, string) {
		got := r.master().Error()
		return got == want, got.String()
	}
	return nil
}

func (e *Expectation) parseFlag(w []string) error {
	if len(w) != 3 || (w[2] != "on" && w[2] != "off") {
		return errors.New("expect flag NAME on|off")
	}
	f, err := parseFlag(w[1])
	if err != nil {
		return err
	}
	on := w[2] == "on"
	e.check = func(r *run) (bool, string) {
		got := r.master().Snapshot().Flags.Has(f)
		return got == on, map[bool]string{true: "on", false: "off"}[got]
	}
	return nil
}

// comparison is OP VALUE [±TOL].
type comparison struct {
	op    string
	value float64
	tol   float64
}

func parseComparison(words []string, unit string) (comparison, error) {
	if len(words) != 2 && len(words) != 3 {
		return comparison{}, errors.New("want OP VALUE [±TOL], such as = 42.5 ±0.1")
	}
	c := comparison{op: words[0]}
	switch c.op {
	case "=", "!=", "<", "<=", ">", ">=":
	default:
		return c, fmt.Errorf("operator %q: one of = != < <= > >=", c.op)
	}
	var err error
	if c.value, err = parseQuantity(words[1], unit); err != nil {
		return c, err
	}
	if len(words) == 3 {
		t, ok := strings.CutPrefix(words[2], "±")
		if !ok {
			t, ok = strings.CutPrefix(words[2], "+-")
		}
		if !ok {
			return c, fmt.Errorf("tolerance %q: write it ±0.1", words[2])
		}
		if c.tol, err = parseQuantity(t, unit); err != nil || c.tol < 0 {
			return c, fmt.Errorf("tolerance %q: want a number of zero or more", words[2])
		}
	}
	return c, nil
}

func (c comparison) holds(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	switch c.op {
	case "=":
		return math.Abs(v-c.value) <= c.tol+1e-9
	case "!=":
		return math.Abs(v-c.value) > c.tol+1e-9
	case "<":
		return v < c.value
	case "<=":
		return v <= c.value+c.tol
	case ">":
		return v > c.value
	}
	return v >= c.value-c.tol
}

// parseRegister reads "register REG OP VALUE [±TOL]": the value of REG as the simulated GX last
// saw it on VE.Can (broadcast or answer), in the register's unit.
func (e *Expectation) parseRegister(w []string) error {
	if len(w) < 4 {
		return errors.New("expect register REG OP VALUE [±TOL]")
	}
	info, err := parseRegister(w[1])
	if err != nil {
		return err
	}
	c, err := parseComparison(w[2:], info.Unit)
	if err != nil {
		return fmt.Errorf("register %s: %v", info.Name, err)
	}
	e.check = func(r *run) (bool, string) {
		raw, ok := r.units[r.cur].vreg[info.ID]
		if !ok {
			return false, "never seen on VE.Can"
		}
		v, ok := info.Physical(raw)
		if !ok {
			return false, "not available"
		}
		return c.holds(v), info.Format(raw)
	}
	return nil
}

// values are the master's measurements and limits an expectation can compare.
var values = map[string]struct {
	unit string
	get  func(s master.Snapshot) float64
}{
	"soc":      {"%", func(s master.Snapshot) float64 { return s.SOCPercent }},
	"volts":    {"V", func(s master.Snapshot) float64 { return s.Volts }},
	"amps":     {"A", func(s master.Snapshot) float64 { return s.Amps }},
	"min-cell": {"V", func(s master.Snapshot) float64 { return s.MinCellVolts }},
	"max-cell": {"V", func(s master.Snapshot) float64 { return s.MaxCellVolts }},
	"min-temp": {"C", func(s master.Snapshot) float64 { return s.MinCellCelsius }},
	"max-temp": {"C", func(s master.Snapshot) float64 { return s.MaxCellCelsius }},
	"cvl":      {"V", func(s master.Snapshot) float64 { return s.Limits.ChargeVolts.Value }},
	"ccl":      {"A", func(s master.Snapshot) float64 { return s.Limits.ChargeAmps.Value }},
	"dcl":      {"A", func(s master.Snapshot) float64 { return s.Limits.DischargeAmps.Value }},
	"dvl":      {"V", func(s master.Snapshot) float64 { return s.Limits.DischargeVolts.Value }},
}

func (e *Expectation) parseValue(w []string) error {
	v := values[w[0]]
	c, err := parseComparison(w[1:], v.unit)
	if err != nil {
		return fmt.Errorf("%s: %v", w[0], err)
	}
	e.check = func(r *run) (bool, string) {
		got := v.get(r.master().Snapshot())
		return c.holds(got), strconv.FormatFloat(got, 'f', 3, 64) + v.unit
	}
	return nil
}

// parseOutput reads "output charge-relay|discharge-relay|charge-signal|discharge-signal|relay
// open|closed" and "contactor open|closed" (the feedback the master reads).
func (e *Expectation) parseOutput(w []string) error {
	if w[0] == "contactor" {
		if len(w) != 2 || (w[1] != "open" && w[1] != "closed") {
			return errors.New("expect contactor open|closed")
		}
		closed := w[1] == "closed"
		e.check = func(r *run) (bool, string) {
			got := r.plant().ContactorClosed()
			return got == closed, map[bool]string{true: "closed", false: "open"}[got]
		}
		return nil
	}
	if len(w) != 3 || (w[2] != "open" && w[2] != "closed") {
		return errors.New("expect output NAME open|closed")
	}
	outputs := map[string]func(master.IO) bool{
		"charge-relay": func(o master.IO) bool { return o.ChargeRelay }, "charge-signal": func(o master.IO) bool { return o.ChargeSignal },
		"discharge-relay": func(o master.IO) bool { return o.DischargeRelay }, "discharge-signal": func(o master.IO) bool { return o.DischargeSignal },
		"relay": func(o master.IO) bool { return o.ProgrammableRelay },
	}
	get, ok := outputs[w[1]]
	if !ok {
		return fmt.Errorf("output %q: one of %s", w[1], strings.Join(sortedKeys(outputs), ", "))
	}
	closed := w[2] == "closed"
	e.check = func(r *run) (bool, string) {
		got := get(r.master().Outputs())
		return got == closed, map[bool]string{true: "closed", false: "open"}[got]
	}
	return nil
}

// parseEvent reads `event "TEXT"`: an entry of the master's event log containing TEXT, logged at
// or after the line's time.
func (e *Expectation) parseEvent(w []string, absent bool) error {
	if len(w) != 2 || w[1] == "" {
		return errors.New(`expect event "TEXT" (a part of the log message, in quotes)`)
	}
	text := strings.ToLower(w[1])
	e.sticky, e.absent = true, absent
	e.check = func(r *run) (bool, string) {
		for _, ev := range r.newEvents {
			if strings.Contains(strings.ToLower(ev.Message), text) {
				return true, fmt.Sprintf("%q at %v", ev.Message, ev.At)
			}
		}
		return false, "no such event"
	}
	return nil
}

// parseFrame reads "frame vecan|battery ID present|absent": ID is an 11-bit id (0x351), a 29-bit
// id (0x19F21450) or pgn=N for any NMEA 2000 frame of that PGN.
func (e *Expectation) parseFrame(w []string) error {
	if len(w) != 4 || (w[1] != "vecan" && w[1] != "battery") || (w[3] != "present" && w[3] != "absent") {
		return errors.New("expect frame vecan|battery ID|pgn=N present|absent")
	}
	match, err := frameMatcher(w[2])
	if err != nil {
		return err
	}
	onVECan := w[1] == "vecan"
	e.sticky, e.absent = true, w[3] == "absent"
	e.check = func(r *run) (bool, string) {
		frames := r.batteryFrames
		if onVECan {
			frames = r.veFrames
		}
		for _, f := range frames {
			if match(f.ID, f.IsExtended) {
				return true, "seen: " + f.String()
			}
		}
		return false, "not seen"
	}
	return nil
}

func frameMatcher(s string) (func(id uint32, extended bool) bool, error) {
	if p, ok := strings.CutPrefix(s, "pgn="); ok {
		pgn, err := strconv.ParseUint(p, 0, 32)
		if err != nil || pgn > 0x3FFFF {
			return nil, fmt.Errorf("pgn %q: want a PGN such as 127508", p)
		}
		return func(id uint32, ext bool) bool { return ext && n2k.ParseCANID(id).PGN == n2k.PGN(pgn) }, nil
	}
	id, err := strconv.ParseUint(s, 0, 32)
	if err != nil || id > 0x1FFFFFFF {
		return nil, fmt.Errorf("frame id %q: want 0x351, 0x19F21450 or pgn=127508", s)
	}
	extended := id > 0x7FF
	return func(got uint32, ext bool) bool { return got == uint32(id) && ext == extended }, nil
}

// parseLoad reads "load vecan|battery OP PERCENT": the bus load over the last second, from the
// exact bit times of the frames (an in-memory bus).
func (e *Expectation) parseLoad(w []string) error {
	if len(w) < 4 || (w[1] != "vecan" && w[1] != "battery") {
		return errors.New("expect load vecan|battery OP PERCENT")
	}
	c, err := parseComparison(w[2:], "%")
	if err != nil {
		return fmt.Errorf("load: %v", err)
	}
	hub := BatteryBusHub
	if w[1] == "vecan" {
		hub = VECanHub
	}
	e.check = func(r *run) (bool, string) {
		pct := r.loadLastSecond(hub)
		return c.holds(pct), strconv.FormatFloat(pct, 'f', 1, 64) + "%"
	}
	return nil
}
