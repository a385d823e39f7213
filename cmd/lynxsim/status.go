package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/master"
	"github.com/lynxsim/lynxsim/scenario"
)

// statusScreen shows the master's state: on a terminal one screen refreshed in place four times a
// wall second; elsewhere (a pipe, a CI log) a line at every state change.
type statusScreen struct {
	out       io.Writer
	tty       bool
	sys       *scenario.System
	screen    tableScreen
	lastDraw  time.Time
	lastState events.State
	lastErr   events.ErrorCode
	started   bool
	busDown   map[string]bool
	others    []events.State // the other masters' states last printed (combined mode)
}

const refreshEvery = 250 * time.Millisecond

func newStatusScreen(out io.Writer, tty bool, sys *scenario.System) *statusScreen {
	return &statusScreen{out: out, tty: tty, sys: sys}
}

// observe is called on the driver's goroutine between steps.
func (s *statusScreen) observe(time.Duration) {
	s.watchTransports()
	snap := s.sys.Master.Snapshot()
	if s.tty {
		if time.Since(s.lastDraw) < refreshEvery {
			return
		}
		s.lastDraw = time.Now()
		s.draw(s.render(snap))
		return
	}
	if !s.started || snap.State != s.lastState || snap.Error != s.lastErr {
		s.started, s.lastState, s.lastErr = true, snap.State, snap.Error
		fmt.Fprintln(s.out, s.line(snap))
	}
	for i, u := range s.sys.Units[1:] {
		m := u.Master.Snapshot()
		if s.others == nil {
			s.others = make([]events.State, len(s.sys.Units)-1)
			for k := range s.others {
				s.others[k] = 0xFF
			}
		}
		if m.State != s.others[i] {
			s.others[i] = m.State
			fmt.Fprintf(s.out, "%s  (master %d)\n", s.line(m), i+2)
		}
	}
}

// watchTransports logs a real bus going down and coming back (the transport reconnects by
// itself): on a terminal the screen shows it; in a log, a line for each change.
func (s *statusScreen) watchTransports() {
	if s.busDown == nil {
		s.busDown = map[string]bool{}
	}
	for _, t := range s.sys.Transports() {
		err := t.Err()
		if down := err != nil; down != s.busDown[t.Name] {
			s.busDown[t.Name] = down
			if s.tty {
				continue
			}
			if down {
				fmt.Fprintf(s.out, "%10s  bus %s down: %v: reconnecting\n", clock(s.sys.Loop.Now()), t.Name, err)
			} else {
				fmt.Fprintf(s.out, "%10s  bus %s back (reconnect %d)\n", clock(s.sys.Loop.Now()), t.Name, t.Bus.Stats().Reconnects)
			}
		}
	}
}

func (s *statusScreen) draw(text string) {
	s.screen.out = s.out
	s.screen.draw(text)
}

// line is the one-line form, for logs.
func (s *statusScreen) line(m master.Snapshot) string {
	return fmt.Sprintf("%10s  %-22s SOC %s  %s  %s  cells %s–%s  error %s",
		clock(m.At), stateText(m), pct(m.SOCPercent), volts(m.Volts), amps(m.Amps),
		volts3(m.MinCellVolts), volts3(m.MaxCellVolts), errText(m.Error))
}

// render is the full screen.
func (s *statusScreen) render(m master.Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "lynxsim  Lynx Ion BMS %s  virtual time %s\n", s.sysVersion(), clock(m.At))
	fmt.Fprintf(&b, "state     %s%s\n", stateText(m), ledText(s.sys.Master.StatusLED()))
	fmt.Fprintf(&b, "error     %s\n", errText(m.Error))
	fmt.Fprintf(&b, "SOC       %s\n", pct(m.SOCPercent))
	fmt.Fprintf(&b, "pack      %s  %s  contactor %s  batteries %d\n", volts(m.Volts), amps(m.Amps), closedText(m.ContactorClosed), m.Batteries)
	fmt.Fprintf(&b, "cells     %s – %s   %s – %s\n", volts3(m.MinCellVolts), volts3(m.MaxCellVolts), celsius(m.MinCellCelsius), celsius(m.MaxCellCelsius))
	fmt.Fprintf(&b, "CVL       %-10s (%s)\n", volts(m.Limits.ChargeVolts.Value), m.Limits.ChargeVolts.Reason)
	fmt.Fprintf(&b, "CCL       %-10s (%s)\n", amps(m.Limits.ChargeAmps.Value), m.Limits.ChargeAmps.Reason)
	fmt.Fprintf(&b, "DCL       %-10s (%s)\n", amps(m.Limits.DischargeAmps.Value), m.Limits.DischargeAmps.Reason)
	fmt.Fprintf(&b, "flags     0x%08X %s\n", uint32(m.Flags), m.Flags)
	for i, u := range s.sys.Units[1:] {
		o := u.Master.Snapshot()
		fmt.Fprintf(&b, "master %d  %s  SOC %s  %s  %s  contactor %s  error %s%s\n", i+2, stateText(o), pct(o.SOCPercent), volts(o.Volts), amps(o.Amps), closedText(o.ContactorClosed), errText(o.Error), ledText(u.Master.StatusLED()))
	}
	for _, h := range s.sys.Network.Hubs() {
		fmt.Fprintf(&b, "bus %-6s %d frames, load %.1f %%\n", h.Name(), h.Frames(), 100*h.Load(m.At))
	}
	for _, t := range s.sys.Transports() {
		st := t.Bus.Stats()
		health := "up"
		if err := t.Err(); err != nil {
			health = "DOWN (" + err.Error() + "), reconnecting"
		}
		fmt.Fprintf(&b, "bus %s %s: sent %d, received %d, error frames %d, dropped %d, reconnects %d\n", t.Name, health, st.Sent, st.Received, st.ErrorFrames, st.Dropped, st.Reconnects)
	}
	return b.String()
}

func (s *statusScreen) sysVersion() string { return s.sys.Firmware().String() }

// summary prints the final state and the event log, also after Ctrl-C.
func (s *statusScreen) summary(interrupted bool) {
	m := s.sys.Master.Snapshot()
	if s.tty {
		s.draw(s.render(m))
	}
	fmt.Fprintln(s.out)
	if interrupted {
		fmt.Fprintf(s.out, "interrupted at virtual time %s\n", clock(m.At))
	}
	fmt.Fprintln(s.out, "summary:")
	if !s.tty {
		io.WriteString(s.out, s.render(m))
	}
	c := s.sys.Master.Counters()
	fmt.Fprintf(s.out, "battery-bus frames ignored %d, rejected %d; VE.Can frames ignored %d, 11-bit %d, error frames %d; send errors %d\n",
		c.BatteryFramesIgnored, c.BatteryFramesRejected, c.VECanFramesIgnored, c.VECan11Bit, c.VECanErrorFrames, c.SendErrors)
	fmt.Fprintln(s.out, "events:")
	for _, e := range s.sys.Master.Log().Entries() {
		fmt.Fprintf(s.out, "  %10s  %-7s %s\n", clock(e.At), e.Severity, e.Message)
	}
}

func ledText(pattern string) string {
	if pattern == "" {
		return ""
	}
	return "  LED " + pattern
}

func stateText(m master.Snapshot) string {
	return fmt.Sprintf("%s (%d)", m.State, uint8(m.State))
}

func errText(c events.ErrorCode) string {
	if c == events.ErrNone {
		return "none"
	}
	return c.String()
}

func closedText(closed bool) string {
	if closed {
		return "closed"
	}
	return "open"
}

func clock(d time.Duration) string {
	d = d.Truncate(time.Millisecond)
	h := d / time.Hour
	d -= h * time.Hour
	mnt := d / time.Minute
	d -= mnt * time.Minute
	return fmt.Sprintf("%d:%02d:%06.3f", h, mnt, d.Seconds())
}

func na(v float64, format string) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf(format, v)
}

func pct(v float64) string     { return na(v, "%.2f %%") }
func volts(v float64) string   { return na(v, "%.2f V") }
func volts3(v float64) string  { return na(v, "%.3f V") }
func amps(v float64) string    { return na(v, "%.1f A") }
func celsius(v float64) string { return na(v, "%.1f °C") }
