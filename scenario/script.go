package scenario

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lynxsim/lynxsim/battery"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/firmware"
	"github.com/lynxsim/lynxsim/master"
	"github.com/lynxsim/lynxsim/plant"
)

// A scenario file (docs/scenarios.md) is lines of words: a header that describes the system and
// a timeline of "at TIME ..." lines with stimuli and expectations. '#' starts a comment. Every
// mistake is reported as FILE:LINE: message, and a file with a mistake runs nothing.

// Script is a parsed scenario file.
type Script struct {
	File        string
	Name        string
	Covers      []string           // changelog ids
	Requires    []string           // changelog items a version must have for the scenario to apply
	Versions    []firmware.Version // empty: the latest release
	KnownIssues []string
	Bank        Bank
	Plant       PlantSpec
	Settings    []Setting
	Masters     int           // combined mode: this many masters, each with a bank as Bank (0: one)
	Duration    time.Duration // 0: the last timeline time plus a minute
	Sample      time.Duration // trace sampling period
	Steps       []Step        // in time order; lines at the same time in file order
}

// Bank is the battery bank of a scenario.
type Bank struct {
	Type             battery.Type
	Series, Parallel int
	SOCPercent       float64
	AmbientCelsius   float64
	SpreadPercent    float64
	// Per-battery overrides, by battery number 1…Series×Parallel.
	Types map[int]battery.Type
	SOCs  map[int]float64
}

// PlantSpec is the DC side of a scenario.
type PlantSpec struct {
	LoadAmps, ChargerAmps float64
	BusFarads             float64 // 0: the plant's default
	LoadsOnBus            bool
	ContactorClose        time.Duration // 0: the plant's default
	// DVCC: the chargers and loads follow the master's limits, as inverter-chargers under a GX
	// with DVCC do: the charge current at most CCL and none without allowed-to-charge, the
	// discharge current at most DCL and none without allowed-to-discharge. Off, they are dumb:
	// only the contactor stops them.
	DVCC bool
}

// Setting is one master setting of the header (`set key=value`).
type Setting struct {
	Line       int
	Unit       int // the master it is for (0 the first), -1 for all
	Key, Value string
	apply      func(*master.Config)
}

// Step is one timeline line.
type Step struct {
	Line     int
	At       time.Duration
	Text     string // the line as written, without its comment
	Do       string // what follows the time, without the version range
	Only     VersionRange
	Unit     int          // the master the line is about: 0 for the first, "@2" is 1
	Action   Action       // nil for an expectation
	Expect   *Expectation // nil for an action
	timeline int          // the order in the file, to keep it among equal times
}

// VersionRange limits a timeline line to some firmware versions: "[1.24..1.30]", "[1.25..]",
// "[..1.24]". The zero range is every version.
type VersionRange struct {
	From, To firmware.Version // zero: open
}

// Contains reports whether v is in the range.
func (r VersionRange) Contains(v firmware.Version) bool {
	return (r.From.IsZero() || v.AtLeast(r.From)) && (r.To.IsZero() || !r.To.Before(v))
}

func (r VersionRange) String() string {
	if r.From.IsZero() && r.To.IsZero() {
		return ""
	}
	s := "["
	if !r.From.IsZero() {
		s += r.From.String()
	}
	s += ".."
	if !r.To.IsZero() {
		s += r.To.String()
	}
	return s + "]"
}

// ParseError is a mistake in a scenario file, at a line.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ParseFile reads and parses a scenario file.
func ParseFile(path string) (*Script, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse parses a scenario from r; name is the file name for messages.
func Parse(r io.Reader, name string) (*Script, error) {
	p := &parser{s: &Script{File: name, Sample: 10 * time.Second}}
	p.s.Bank = Bank{Series: 1, Parallel: 1, SOCPercent: 60, AmbientCelsius: 25}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		p.line++
		text := sc.Text()
		text = stripComment(text)
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		words, err := split(text)
		if err != nil {
			return nil, p.errorf("%v", err)
		}
		if err := p.parseLine(text, words); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p.finish()
}

type parser struct {
	s        *Script
	line     int
	timeline bool // an "at" line has been seen: no more header
	lastAt   time.Duration
	bankLine int
}

func (p *parser) errorf(format string, args ...any) error {
	return &ParseError{File: p.s.File, Line: p.line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) parseLine(text string, w []string) error {
	if w[0] == "at" {
		return p.parseTimeline(text, w)
	}
	if p.timeline {
		return p.errorf("%q after the timeline began: the header (name, firmware, bank, plant, set …) comes before the first \"at\" line", w[0])
	}
	s := p.s
	switch w[0] {
	case "name":
		if len(w) < 2 {
			return p.errorf("name: give the scenario a name")
		}
		s.Name = strings.Join(w[1:], " ")
	case "covers":
		for _, id := range w[1:] {
			if _, ok := firmware.LookupItem(id); !ok {
				return p.errorf("covers: %q is not a changelog item id (such as 1.25-05)", id)
			}
			s.Covers = append(s.Covers, id)
		}
	case "firmware":
		if len(w) < 2 {
			return p.errorf("firmware: give versions (1.24 1.38), a range (1.20..1.38) or all")
		}
		for _, a := range w[1:] {
			vs, err := parseVersions(a)
			if err != nil {
				return p.errorf("firmware: %v", err)
			}
			for _, v := range vs {
				if !slices.Contains(s.Versions, v) {
					s.Versions = append(s.Versions, v)
				}
			}
		}
		slices.SortFunc(s.Versions, firmware.Version.Compare)
	case "requires":
		for _, id := range w[1:] {
			if it, ok := firmware.LookupItem(id); !ok || it.Kind != firmware.KindBehaviour {
				return p.errorf("requires: %q is not a behaviour item of the changelog", id)
			}
			s.Requires = append(s.Requires, id)
		}
	case "known-issues":
		s.KnownIssues = append(s.KnownIssues, w[1:]...)
	case "bank":
		return p.parseBank(w)
	case "battery":
		return p.parseBattery(w)
	case "plant":
		return p.parsePlant(w)
	case "set":
		return p.parseSet(w)
	case "masters":
		n := 0
		if len(w) == 2 {
			n, _ = strconv.Atoi(w[1])
		}
		if n < 1 || n > 4 {
			return p.errorf("masters: give the number of masters of a combined system, 1 to 4")
		}
		s.Masters = n
	case "duration", "sample":
		if len(w) != 2 {
			return p.errorf("%s: give one duration, such as 30m", w[0])
		}
		d, err := parseDuration(w[1])
		if err != nil || d <= 0 {
			return p.errorf("%s %q: want a positive duration such as 90s or 1h30m", w[0], w[1])
		}
		if w[0] == "duration" {
			s.Duration = d
		} else {
			s.Sample = d
		}
	default:
		return p.errorf("unknown directive %q: the header has name, covers, requires, firmware, known-issues, masters, bank, battery, plant, set, duration, sample; the timeline \"at TIME …\"", w[0])
	}
	return nil
}

// parseVersions reads "1.24", "1.20..1.38", "..1.10", "1.30.." or "all".
func parseVersions(a string) ([]firmware.Version, error) {
	var all []firmware.Version
	for _, r := range firmware.Releases() {
		all = append(all, r.Version)
	}
	if a == "all" {
		return all, nil
	}
	if lo, hi, ok := strings.Cut(a, ".."); ok {
		r, err := parseRange(lo, hi)
		if err != nil {
			return nil, err
		}
		var out []firmware.Version
		for _, v := range all {
			if r.Contains(v) {
				out = append(out, v)
			}
		}
		return out, nil
	}
	v, err := firmware.ParseReleased(a)
	if err != nil {
		return nil, err
	}
	return []firmware.Version{v}, nil
}

func parseRange(lo, hi string) (VersionRange, error) {
	var r VersionRange
	var err error
	if lo != "" {
		if r.From, err = firmware.ParseReleased(lo); err != nil {
			return r, err
		}
	}
	if hi != "" {
		if r.To, err = firmware.ParseReleased(hi); err != nil {
			return r, err
		}
	}
	if !r.From.IsZero() && !r.To.IsZero() && r.To.Before(r.From) {
		return r, fmt.Errorf("range %s..%s runs backwards", lo, hi)
	}
	return r, nil
}

// parseBank reads "bank TYPE SxP [soc=60%] [temp=25C] [spread=2%]".
func (p *parser) parseBank(w []string) error {
	if p.bankLine != 0 {
		return p.errorf("a second bank line (the first is line %d)", p.bankLine)
	}
	p.bankLine = p.line
	if len(w) < 3 {
		return p.errorf("bank: give a battery type and series×parallel, such as: bank LFP-24V-280Ah 2s2p")
	}
	b := &p.s.Bank
	t, err := battery.LookupType(w[1])
	if err != nil {
		return p.errorf("bank: %v", err)
	}
	b.Type = t
	if b.Series, b.Parallel, err = parseTopology(w[2]); err != nil {
		return p.errorf("bank: %v", err)
	}
	return p.keyValues(w[3:], map[string]func(string) error{
		"soc":    func(v string) error { return quantityInto(v, "%", 0, 100, &b.SOCPercent) },
		"temp":   func(v string) error { return quantityInto(v, "C", -40, 80, &b.AmbientCelsius) },
		"spread": func(v string) error { return quantityInto(v, "%", 0, 50, &b.SpreadPercent) },
	})
}

// parseTopology reads "2s2p", "1s4p", "4p" or "2s".
func parseTopology(s string) (series, parallel int, err error) {
	series, parallel = 1, 1
	rest := strings.ToLower(s)
	if i := strings.IndexByte(rest, 's'); i >= 0 {
		if series, err = strconv.Atoi(rest[:i]); err != nil || series < 1 {
			return 0, 0, fmt.Errorf("%q: want series×parallel such as 2s2p", s)
		}
		rest = rest[i+1:]
	}
	if rest != "" {
		n, ok := strings.CutSuffix(rest, "p")
		if parallel, err = strconv.Atoi(n); !ok || err != nil || parallel < 1 {
			return 0, 0, fmt.Errorf("%q: want series×parallel such as 2s2p", s)
		}
	}
	// Each factor first: the product of two large ones overflows (2^32 × 2^32 is 0).
	if series > 64 || parallel > 64 || series*parallel > 64 {
		return 0, 0, fmt.Errorf("%s is more than 64 batteries: the battery bus addresses at most 64", s)
	}
	return series, parallel, nil
}

// parseBattery reads "battery N [type=TYPE] [soc=40%]".
func (p *parser) parseBattery(w []string) error {
	if p.bankLine == 0 {
		return p.errorf("battery: comes after the bank line")
	}
	b := &p.s.Bank
	if len(w) < 3 {
		return p.errorf("battery: give its number and what differs, such as: battery 2 soc=40%%")
	}
	n, err := strconv.Atoi(w[1])
	if err != nil || n < 1 || n > b.Series*b.Parallel {
		return p.errorf("battery %q: the bank has batteries 1 to %d", w[1], b.Series*b.Parallel)
	}
	return p.keyValues(w[2:], map[string]func(string) error{
		"type": func(v string) error {
			t, err := battery.LookupType(v)
			if err != nil {
				return err
			}
			if b.Types == nil {
				b.Types = map[int]battery.Type{}
			}
			b.Types[n] = t
			return nil
		},
		"soc": func(v string) error {
			var soc float64
			if err := quantityInto(v, "%", 0, 100, &soc); err != nil {
				return err
			}
			if b.SOCs == nil {
				b.SOCs = map[int]float64{}
			}
			b.SOCs[n] = soc
			return nil
		},
	})
}

// parsePlant reads "plant [load=30A] [charger=0A] [capacitance=47mF] [loads=on-bus|on-contactor]
// [dvcc=on|off]".
func (p *parser) parsePlant(w []string) error {
	ps := &p.s.Plant
	return p.keyValues(w[1:], map[string]func(string) error{
		"load":        func(v string) error { return quantityInto(v, "A", 0, 5000, &ps.LoadAmps) },
		"charger":     func(v string) error { return quantityInto(v, "A", 0, 5000, &ps.ChargerAmps) },
		"capacitance": func(v string) error { return quantityInto(v, "F", 1e-6, 100, &ps.BusFarads) },
		"contactor-close": func(v string) error {
			d, err := parseDuration(v)
			if err != nil || d < 0 || d > 10*time.Second {
				return fmt.Errorf("%q: want a duration such as 120ms, up to 10s", v)
			}
			ps.ContactorClose = d
			return nil
		},
		"dvcc": func(v string) error {
			if v != "on" && v != "off" {
				return fmt.Errorf("%q: want on or off", v)
			}
			ps.DVCC = v == "on"
			return nil
		},
		"loads": func(v string) error {
			switch v {
			case "on-bus":
				ps.LoadsOnBus = true
			case "on-contactor":
				ps.LoadsOnBus = false
			default:
				return fmt.Errorf("%q: want on-contactor or on-bus", v)
			}
			return nil
		},
	})
}

// keyValues applies key=value words through the setters, each key at most once.
func (p *parser) keyValues(words []string, setters map[string]func(string) error) error {
	seen := map[string]bool{}
	for _, kv := range words {
		k, v, ok := strings.Cut(kv, "=")
		set, known := setters[k]
		if !ok || !known {
			return p.errorf("%q: want one of %s as key=value", kv, strings.Join(sortedKeys(setters), ", "))
		}
		if seen[k] {
			return p.errorf("%s given twice", k)
		}
		seen[k] = true
		if err := set(v); err != nil {
			return p.errorf("%s=%s: %v", k, v, err)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// masterSettings are the keys of "set": each changes the master's configuration.
var masterSettings = map[string]func(v string) (func(*master.Config), error){
	"strategy": func(v string) (func(*master.Config), error) {
		s, ok := map[string]uint8{"economic": 0, "default": 0, "performance": 1}[v]
		if !ok {
			return nil, errors.New("want economic (default) or performance")
		}
		return func(c *master.Config) { c.Settings.Strategy = s }, nil
	},
	"relay": func(v string) (func(*master.Config), error) {
		f, ok := map[string]master.RelayFunction{"disabled": master.RelayDisabled, "system-activated": master.RelaySystemActivated,
			"warning": master.RelayWarning, "fail-safe": master.RelayFailSafe, "discharge-warning": master.RelayDischargeNotAllowedWarning,
			"external-precharge": master.RelayExternalPrecharge}[v]
		if !ok {
			return nil, errors.New("want disabled, system-activated, warning, fail-safe, discharge-warning or external-precharge")
		}
		return func(c *master.Config) { c.Settings.RelayFunction, c.Settings.RelayFunctionSet = f, true }, nil
	},
	"protocol": func(v string) (func(*master.Config), error) {
		pr, ok := map[string]master.ExternalProtocol{"vecan": master.ProtocolVECan, "sma": master.ProtocolSMA, "general": master.ProtocolGeneral}[v]
		if !ok {
			return nil, errors.New("want vecan, sma or general")
		}
		return func(c *master.Config) { c.External = pr }, nil
	},
	"identity": func(v string) (func(*master.Config), error) {
		id, ok := map[string]master.IdentityKind{"lynx-ion": master.IdentityLynxIon, "master-lv": master.IdentityMasterLV}[v]
		if !ok {
			return nil, errors.New("want lynx-ion or master-lv")
		}
		return func(c *master.Config) { c.Identity = id }, nil
	},
	"interlock":         onOff(func(c *master.Config, on bool) { c.Settings.InterlockEnabled = on }),
	"combined":          onOff(func(c *master.Config, on bool) { c.Settings.Combined = on }),
	"startup-on-charge": onOff(func(c *master.Config, on bool) { c.Settings.StartupOnCharge = on }),
	"bluetooth":         onOff(func(c *master.Config, on bool) { c.Settings.Bluetooth = on }),
	"max-charge":        amps(func(c *master.Config, a float64) { c.MaxChargeAmps = a }),
	"max-discharge":     amps(func(c *master.Config, a float64) { c.MaxDischargeAmps = a }),
	// firmware: one master of a combined system on another version than the file's (with @N).
	"firmware": func(v string) (func(*master.Config), error) {
		ver, err := firmware.ParseReleased(v)
		if err != nil {
			return nil, err
		}
		p, err := firmware.NewProfile(ver)
		if err != nil {
			return nil, err
		}
		return func(c *master.Config) { c.Firmware = p }, nil
	},
	"sync-group": func(v string) (func(*master.Config), error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 3 {
			return nil, errors.New("want 0 (off) to 3")
		}
		return func(c *master.Config) { c.Settings.SyncGroup = uint8(n) }, nil
	},
	"expected-batteries": func(v string) (func(*master.Config), error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 64 {
			return nil, errors.New("want 0 (any) to 64")
		}
		return func(c *master.Config) { c.ExpectedBatteries = n }, nil
	},
}

func onOff(set func(*master.Config, bool)) func(string) (func(*master.Config), error) {
	return func(v string) (func(*master.Config), error) {
		if v != "on" && v != "off" {
			return nil, errors.New("want on or off")
		}
		on := v == "on"
		return func(c *master.Config) { set(c, on) }, nil
	}
}

func amps(set func(*master.Config, float64)) func(string) (func(*master.Config), error) {
	return func(v string) (func(*master.Config), error) {
		var a float64
		if err := quantityInto(v, "A", 0, 10000, &a); err != nil {
			return nil, err
		}
		return func(c *master.Config) { set(c, a) }, nil
	}
}

// parseSet reads "set key=value … [@N]": for every master, or master N of a combined system.
func (p *parser) parseSet(w []string) error {
	unit := -1
	if last := w[len(w)-1]; strings.HasPrefix(last, "@") {
		n, err := strconv.Atoi(last[1:])
		if err != nil || n < 1 || n > max(p.s.Masters, 1) {
			return p.errorf("%s: the system has masters @1 to @%d (a masters line before it)", last, max(p.s.Masters, 1))
		}
		unit, w = n-1, w[:len(w)-1]
	}
	if len(w) < 2 {
		return p.errorf("set: give key=value, one of %s", strings.Join(sortedKeys(masterSettings), ", "))
	}
	for _, kv := range w[1:] {
		k, v, ok := strings.Cut(kv, "=")
		mk, known := masterSettings[k]
		if !ok || !known {
			return p.errorf("set %q: want key=value, one of %s", kv, strings.Join(sortedKeys(masterSettings), ", "))
		}
		apply, err := mk(v)
		if err != nil {
			return p.errorf("set %s=%s: %v", k, v, err)
		}
		p.s.Settings = append(p.s.Settings, Setting{Line: p.line, Unit: unit, Key: k, Value: v, apply: apply})
	}
	return nil
}

// parseTimeline reads "at TIME ACTION …" and "at TIME expect …", with an optional trailing
// version range "[1.24..1.30]".
func (p *parser) parseTimeline(text string, w []string) error {
	p.timeline = true
	if len(w) < 3 {
		return p.errorf("at: want \"at TIME ACTION\" or \"at TIME expect …\"")
	}
	at, err := parseDuration(w[1])
	if err != nil || at < 0 {
		return p.errorf("at %q: want a time such as 0s, 90s or 1h30m", w[1])
	}
	if at > maxTimelineTime {
		return p.errorf("at %q: the timeline goes up to %v", w[1], maxTimelineTime)
	}
	if at < p.lastAt {
		return p.errorf("at %v comes before the previous line's %v: keep the timeline in order", at, p.lastAt)
	}
	p.lastAt = at
	st := Step{Line: p.line, At: at, Text: text, timeline: len(p.s.Steps)}
	w = w[2:]
	if last := w[len(w)-1]; strings.HasPrefix(last, "[") && strings.HasSuffix(last, "]") {
		lo, hi, ok := strings.Cut(last[1:len(last)-1], "..")
		if !ok {
			return p.errorf("version range %s: want [1.24..1.30], [1.25..] or [..1.24]", last)
		}
		if st.Only, err = parseRange(lo, hi); err != nil {
			return p.errorf("version range %s: %v", last, err)
		}
		w = w[:len(w)-1]
		if len(w) == 0 {
			return p.errorf("a version range needs an action or expectation before it")
		}
	}
	if last := w[len(w)-1]; strings.HasPrefix(last, "@") {
		n, err := strconv.Atoi(last[1:])
		if err != nil || n < 1 || n > max(p.s.Masters, 1) {
			return p.errorf("%s: the system has masters @1 to @%d (the header's masters line)", last, max(p.s.Masters, 1))
		}
		st.Unit = n - 1
		w = w[:len(w)-1]
		if len(w) == 0 {
			return p.errorf("%s needs an action or expectation before it", last)
		}
	}
	st.Do = strings.Join(w, " ")
	if w[0] == "expect" {
		e, err := parseExpect(w[1:])
		if err != nil {
			return p.errorf("%v", err)
		}
		if e.Window > maxTimelineTime {
			return p.errorf("a window of %v: at most %v", e.Window, maxTimelineTime)
		}
		st.Expect = e
	} else {
		a, err := parseAction(w, filepath.Dir(p.s.File))
		if err != nil {
			return p.errorf("%v", err)
		}
		st.Action = a
	}
	p.s.Steps = append(p.s.Steps, st)
	return nil
}

// maxTimelineTime bounds the times of the timeline and the windows of expectations: ample for a
// simulation (eleven years), and far enough below the largest time.Duration (2562047h) that a
// line's time plus its window plus the minute of the default duration cannot overflow into a
// negative duration.
const maxTimelineTime = 100000 * time.Hour

func (p *parser) finish() (*Script, error) {
	s := p.s
	if s.Name == "" {
		return nil, &ParseError{File: s.File, Line: 1, Msg: "no name line: every scenario says what it is about"}
	}
	if p.bankLine == 0 {
		return nil, &ParseError{File: s.File, Line: max(1, p.line), Msg: "no bank line, such as: bank LFP-24V-280Ah 1s2p"}
	}
	if len(s.Steps) == 0 {
		return nil, &ParseError{File: s.File, Line: max(1, p.line), Msg: "no timeline: add \"at TIME …\" lines"}
	}
	end := s.Steps[len(s.Steps)-1].At
	for _, st := range s.Steps {
		if st.Expect != nil {
			end = max(end, st.At+st.Expect.Window)
		}
	}
	if s.Duration == 0 {
		s.Duration = end + time.Minute
	} else if s.Duration < end {
		return nil, &ParseError{File: s.File, Line: s.Steps[len(s.Steps)-1].Line, Msg: fmt.Sprintf("the timeline runs to %v, past the duration %v", end, s.Duration)}
	}
	return s, nil
}

// split cuts a line into words; "double quotes" keep spaces in one word (without the quotes).
func split(s string) ([]string, error) {
	var words []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, errors.New("a quote is not closed")
			}
			words = append(words, s[1:end+1])
			s = s[end+2:]
			continue
		}
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		words = append(words, s[:end])
		s = s[end:]
	}
	return words, nil
}

func inQuotes(s string, i int) bool { return strings.Count(s[:i], `"`)%2 == 1 }

// stripComment cuts a comment off a line: '#' at the start or after a space or tab, outside
// quotes. A '#' inside a word is part of it, as in the candump frame 1CEF5020#669902FF0F.
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') && !inQuotes(line, i) {
			return line[:i]
		}
	}
	return line
}

// parseDuration reads a Go duration ("90s", "1h30m", "250ms").
func parseDuration(s string) (time.Duration, error) { return time.ParseDuration(s) }

// siPrefixes scale a quantity: "47mF", "10mV", "2kA".
var siPrefixes = map[string]float64{"u": 1e-6, "µ": 1e-6, "m": 1e-3, "k": 1e3}

// parseQuantity reads a number with an optional unit ("40A", "-3.5A", "3.65V", "47mF", "25C",
// "60%"): the unit, when there, must be unit, with an optional SI prefix.
func parseQuantity(s, unit string) (float64, error) {
	num := strings.TrimRightFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9') && r != '.' })
	suffix := s[len(num):]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a number%s", s, unitHint(unit))
	}
	if suffix == "" {
		return v, nil
	}
	body, ok := strings.CutSuffix(suffix, unit)
	if unit == "C" && !ok {
		body, ok = strings.CutSuffix(suffix, "°C")
	}
	if !ok {
		return 0, fmt.Errorf("%q: the unit here is %s", s, unit)
	}
	if body == "" {
		return v, nil
	}
	f, ok := siPrefixes[body]
	if !ok || unit == "%" || unit == "C" {
		return 0, fmt.Errorf("%q: unknown prefix %q before %s", s, body, unit)
	}
	return v * f, nil
}

func unitHint(unit string) string {
	if unit == "" {
		return ""
	}
	return " (such as 40" + unit + ")"
}

func quantityInto(s, unit string, lo, hi float64, dst *float64) error {
	v, err := parseQuantity(s, unit)
	if err != nil {
		return err
	}
	if v < lo || v > hi {
		return fmt.Errorf("%s is out of range %g to %g %s", s, lo, hi, unit)
	}
	*dst = v
	return nil
}

// parseState reads a state name: the velib name (RUNNING, pre_charging), the GUI text
// ("pre-charging") or "initializing" for any of 0 to 8.
func parseState(s string) (events.State, bool, error) {
	norm := strings.ToUpper(strings.NewReplacer("-", "_", " ", "_").Replace(s))
	if norm == "INITIALIZING" {
		return 0, true, nil
	}
	var names []string
	for _, st := range events.States() {
		if st.Name == norm || strings.ToUpper(strings.ReplaceAll(st.GUIText, "-", "_")) == norm {
			return st.Value, false, nil
		}
		names = append(names, strings.ToLower(st.Name))
	}
	return 0, false, fmt.Errorf("state %q is unknown: one of initializing, %s", s, strings.Join(names, ", "))
}

// parseFlag reads a flag name (ALLOWED_TO_CHARGE, allowed-to-charge) or "bit N".
func parseFlag(s string) (events.Flag, error) {
	norm := strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
	for _, f := range events.Flags() {
		if f.Name == norm {
			return f.Bit, nil
		}
	}
	if n, ok := strings.CutPrefix(norm, "BIT"); ok {
		if b, err := strconv.Atoi(n); err == nil && b >= 0 && b < 32 {
			return events.Flag(b), nil
		}
	}
	return 0, fmt.Errorf("flag %q is unknown: a name of VE_REG_BMS_FLAGS such as allowed-to-charge, or bit0 to bit31", s)
}

// parseRegister finds a VREG by id or name.
func parseRegister(s string) (vecan.RegisterInfo, error) { return vecan.FindRegister(s) }

// plantProfile builds a charger or load profile: a constant from at, or a ramp.
func rampProfile(at time.Duration, from, to float64, over time.Duration) (plant.Profile, error) {
	return plant.Ramps(plant.Point{At: at, Value: from}, plant.Point{At: at + over, Value: to})
}
