package scenario

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/battery"
	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/master"
	"github.com/lynxsim/lynxsim/plant"
)

// Action is a stimulus of the timeline.
type Action interface {
	apply(r *run) error
}

type actionFunc func(r *run) error

func (f actionFunc) apply(r *run) error { return f(r) }

// actionHelp lists the actions for error messages.
const actionHelp = "start, stop, shutdown, restart, unlock, button [N], charger A | charger ramp A A D | charger csv FILE, load …, " +
	"user-charger A V, inject battery N|all FAULT [ARGS], clear battery N|all FAULT, inject plant FAULT [ARGS], clear plant FAULT, " +
	"interlock open|closed, ambient TEMP [battery N], vreg set REG VALUE, vreg get REG, tool set KEY=VALUE, " +
	"bus vecan|battery error-frame [CLASS], bus vecan|battery send ID#DATA, update battery N BYTES [processor=P]"

// parseAction reads an action; dir is the scenario file's directory, for the files it names.
func parseAction(w []string, dir string) (Action, error) {
	switch w[0] {
	case "start", "stop", "shutdown", "restart", "unlock":
		if len(w) != 1 {
			return nil, fmt.Errorf("%s takes nothing more", w[0])
		}
		return masterCommand(w[0]), nil
	case "button":
		n := 1
		if len(w) == 2 {
			var err error
			if n, err = strconv.Atoi(w[1]); err != nil || n < 1 || n > 10 {
				return nil, fmt.Errorf("button %q: want the number of presses, 1 to 10", w[1])
			}
		} else if len(w) > 2 {
			return nil, errors.New("button [N]: at most the number of presses")
		}
		return actionFunc(func(r *run) error {
			for range n {
				r.master().PressButton()
			}
			return nil
		}), nil
	case "charger", "load":
		return parseCurrent(w, dir)
	case "user-charger":
		if len(w) != 3 {
			return nil, errors.New("user-charger A V: the current and the voltage of a charger on the user side")
		}
		a, err := parseQuantity(w[1], "A")
		if err != nil {
			return nil, err
		}
		if !(a >= 0 && a <= plant.MaxInputAmps) {
			return nil, fmt.Errorf("user-charger %q: want a current from 0 to %gA", w[1], plant.MaxInputAmps)
		}
		v, err := parseQuantity(w[2], "V")
		if err != nil {
			return nil, err
		}
		// The plant would drop a charger of 0 V or of infinite volts without a word: refuse them
		// here, with any voltage no DC system near a Lynx Ion has.
		const maxUserChargerVolts = 1000
		if !(v > 0 && v <= maxUserChargerVolts) {
			return nil, fmt.Errorf("user-charger %q: want a voltage above 0 and at most %dV", w[2], maxUserChargerVolts)
		}
		return actionFunc(func(r *run) error { r.plant().SetUserCharger(plant.Constant(a), v); return nil }), nil
	case "inject", "clear":
		return parseFault(w)
	case "interlock":
		if len(w) != 2 || (w[1] != "open" && w[1] != "closed") {
			return nil, errors.New("interlock open|closed")
		}
		open := w[1] == "open"
		return actionFunc(func(r *run) error { r.plant().SetInterlockOpen(open); return nil }), nil
	case "ambient":
		return parseAmbient(w)
	case "vreg":
		return parseVREG(w)
	case "tool":
		return parseTool(w)
	case "bus":
		return parseBus(w)
	case "update":
		return parseUpdate(w)
	}
	return nil, fmt.Errorf("unknown action %q: one of %s; or expect …", w[0], actionHelp)
}

func masterCommand(name string) Action {
	return actionFunc(func(r *run) error {
		m := r.master()
		switch name {
		case "start":
			m.Start()
		case "stop":
			m.Stop()
		case "shutdown":
			m.Shutdown()
		case "restart":
			m.Restart()
		case "unlock":
			m.Unlock()
		}
		return nil
	})
}

// parseCurrent reads "charger 40A", "load 0A", "charger ramp 0A 40A 5m" and "charger csv FILE
// [linear]" (a plant CSV profile, seconds from the line's time; FILE relative to the scenario).
func parseCurrent(w []string, dir string) (Action, error) {
	set := func(r *run, p plant.Profile) {
		if w[0] == "charger" {
			r.setCharger(p)
		} else {
			r.setLoad(p)
		}
	}
	switch {
	case len(w) == 2:
		a, err := parseQuantity(w[1], "A")
		if err != nil || !(a >= 0 && a <= plant.MaxInputAmps) {
			return nil, fmt.Errorf("%s %q: want a current from 0 to %gA, such as 40A", w[0], w[1], plant.MaxInputAmps)
		}
		return actionFunc(func(r *run) error { set(r, plant.Constant(a)); return nil }), nil
	case (len(w) == 3 || len(w) == 4) && w[1] == "csv":
		shape := plant.Stepped
		if len(w) == 4 {
			if w[3] != "linear" {
				return nil, fmt.Errorf("%s csv FILE [linear]: %q", w[0], w[3])
			}
			shape = plant.Linear
		}
		path := w[2]
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		p, err := plant.LoadCSV(path, shape)
		if err != nil {
			return nil, err
		}
		return actionFunc(func(r *run) error {
			start := r.now
			set(r, plant.ProfileFunc(func(t time.Duration) float64 { return max(0, p.At(t-start)) }))
			return nil
		}), nil
	case len(w) == 5 && w[1] == "ramp":
		from, err1 := parseQuantity(w[2], "A")
		to, err2 := parseQuantity(w[3], "A")
		over, err3 := parseDuration(w[4])
		inRange := func(a float64) bool { return a >= 0 && a <= plant.MaxInputAmps }
		if err := errors.Join(err1, err2, err3); err != nil || !inRange(from) || !inRange(to) || over <= 0 {
			return nil, fmt.Errorf("%s ramp FROM TO OVER: currents from 0 to %gA and a positive duration, such as: %s ramp 0A 40A 5m", w[0], plant.MaxInputAmps, w[0])
		}
		return actionFunc(func(r *run) error {
			p, err := rampProfile(r.now, from, to, over)
			if err != nil {
				return err
			}
			set(r, p)
			return nil
		}), nil
	}
	return nil, fmt.Errorf("%s A, %s ramp FROM TO OVER, or %s csv FILE [linear]", w[0], w[0], w[0])
}

// parseFault reads "inject battery N|all FAULT [ARGS]", "clear battery N|all FAULT",
// "inject plant FAULT [ARGS]", "clear plant FAULT". The fault is checked now, so that a name that
// does not exist fails the parse, not the run.
func parseFault(w []string) (Action, error) {
	inject := w[0] == "inject"
	if len(w) < 3 {
		return nil, fmt.Errorf("%s battery N FAULT [ARGS] or %s plant FAULT [ARGS]", w[0], w[0])
	}
	switch w[1] {
	case "plant":
		name := w[2]
		args, err := faultArgs(w[3:])
		if err != nil {
			return nil, err
		}
		if inject {
			if _, err := plant.LookupFault(name, args...); err != nil {
				return nil, err
			}
		}
		return actionFunc(func(r *run) error {
			key := "plant/" + name
			if !inject {
				if c, ok := r.clears[key]; ok {
					c()
					delete(r.clears, key)
				}
				return nil
			}
			f, err := plant.LookupFault(name, args...)
			if err != nil {
				return err
			}
			if err := f.Apply(r.plant()); err != nil {
				return err
			}
			r.clears[key] = func() { f.Clear(r.plant()) }
			return nil
		}), nil
	case "battery":
		if len(w) < 4 {
			return nil, fmt.Errorf("%s battery N|all FAULT [ARGS]", w[0])
		}
		which, name := w[2], w[3]
		n := 0
		if which != "all" {
			var err error
			if n, err = strconv.Atoi(which); err != nil || n < 1 {
				return nil, fmt.Errorf("battery %q: want its number, 1 and up, or all", which)
			}
		}
		args, err := faultArgs(w[4:])
		if err != nil {
			return nil, err
		}
		if inject && !isFirmwareFault(name) {
			if _, err := battery.LookupFault(name, args...); err != nil {
				return nil, err
			}
		}
		return actionFunc(func(r *run) error {
			targets := r.sys.Units[r.cur].Batteries
			if n > 0 {
				if n > len(targets) {
					return fmt.Errorf("battery %d: the bank has %d", n, len(targets))
				}
				targets = targets[n-1 : n]
			}
			for i, b := range targets {
				key := fmt.Sprintf("battery/%d/%s", b.Module().Serial(), name)
				if !inject {
					if c, ok := r.clears[key]; ok {
						c()
						delete(r.clears, key)
					}
					continue
				}
				c, err := b.Inject(name, args...)
				if err != nil {
					return fmt.Errorf("battery %d: %w", i+1, err)
				}
				r.clears[key] = c
			}
			return nil
		}), nil
	}
	return nil, fmt.Errorf("%s %q: battery or plant", w[0], w[1])
}

func isFirmwareFault(name string) bool {
	switch name {
	case battery.FaultSilent, battery.FaultBabbling, battery.FaultDeaf, battery.FaultWrongType, battery.FaultSelfTest, battery.FaultStaleAddress:
		return true
	}
	return false
}

// faultArgs reads fault arguments: numbers, with or without their unit ("3", "3.65V", "47mF").
func faultArgs(words []string) ([]float64, error) {
	out := make([]float64, len(words))
	for i, s := range words {
		num := strings.TrimRightFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9') && r != '.' })
		unit := strings.TrimLeft(s[len(num):], "umkµ")
		v, err := parseQuantity(s, unit)
		if err != nil {
			return nil, fmt.Errorf("fault argument %q: %v", s, err)
		}
		out[i] = v
	}
	return out, nil
}

// parseAmbient reads "ambient 35C" or "ambient 35C battery 2".
func parseAmbient(w []string) (Action, error) {
	if len(w) != 2 && len(w) != 4 {
		return nil, errors.New("ambient TEMP [battery N]")
	}
	c, err := parseQuantity(w[1], "C")
	if err != nil {
		return nil, err
	}
	n := 0
	if len(w) == 4 {
		if w[2] != "battery" {
			return nil, errors.New("ambient TEMP [battery N]")
		}
		if n, err = strconv.Atoi(w[3]); err != nil || n < 1 {
			return nil, fmt.Errorf("battery %q: want its number, 1 and up", w[3])
		}
	}
	return actionFunc(func(r *run) error {
		bats := r.sys.Units[r.cur].Batteries
		for i, b := range bats {
			if n == 0 || n == i+1 {
				b.Module().SetAmbientCelsius(c)
			}
		}
		if n > len(bats) {
			return fmt.Errorf("battery %d: the bank has %d", n, len(bats))
		}
		return nil
	}), nil
}

// parseVREG reads "vreg set REG VALUE" (VALUE in the register's unit) and "vreg get REG": the
// simulated GX sends them to the master over VE.Can.
func parseVREG(w []string) (Action, error) {
	if len(w) < 3 || (w[1] == "set" && len(w) != 4) || (w[1] == "get" && len(w) != 3) || (w[1] != "set" && w[1] != "get") {
		return nil, errors.New("vreg set REG VALUE, or vreg get REG")
	}
	info, err := parseRegister(w[2])
	if err != nil {
		return nil, err
	}
	if w[1] == "get" {
		return actionFunc(func(r *run) error {
			return r.gxSend(vecan.RequestFrame(gxAddress, r.master().Address(), info.ID))
		}), nil
	}
	v, err := parseQuantity(w[3], info.Unit)
	if err != nil {
		return nil, err
	}
	raw, err := info.Raw(v)
	if err != nil {
		return nil, fmt.Errorf("vreg set %s %s: %v", info.Name, w[3], err)
	}
	return actionFunc(func(r *run) error {
		return r.gxSend(vecan.CommandFrame(gxAddress, r.master().Address(), info.ID, raw, info.Size()))
	}), nil
}

// parseTool reads "tool set KEY=VALUE": a setting changed by MG's tool or app rather than VE.Can
// (changelog 1.34-06), with the keys of the header's set.
func parseTool(w []string) (Action, error) {
	if len(w) != 3 || w[1] != "set" {
		return nil, errors.New("tool set KEY=VALUE")
	}
	k, v, _ := strings.Cut(w[2], "=")
	mk, ok := masterSettings[k]
	if !ok {
		return nil, fmt.Errorf("tool set %q: one of %s", w[2], strings.Join(sortedKeys(masterSettings), ", "))
	}
	apply, err := mk(v)
	if err != nil {
		return nil, fmt.Errorf("tool set %s: %v", w[2], err)
	}
	return actionFunc(func(r *run) error {
		r.master().ChangeSettings(func(s *master.Settings) {
			c := master.Config{Settings: *s}
			apply(&c)
			*s = c.Settings
		})
		return nil
	}), nil
}

// parseBus reads "bus vecan|battery error-frame" and "bus vecan|battery send ID#DATA" (candump
// notation): frames another node puts on a bus.
func parseBus(w []string) (Action, error) {
	if len(w) < 3 || (w[1] != "vecan" && w[1] != "battery") {
		return nil, errors.New("bus vecan|battery error-frame [CLASS], or bus vecan|battery send ID#DATA")
	}
	onVECan := w[1] == "vecan"
	hubName := BatteryBusHub
	if onVECan {
		hubName = VECanHub
	}
	var f can.Frame
	switch {
	case w[2] == "error-frame" && (len(w) == 3 || len(w) == 4):
		// The kernel's report of a controller error: CAN_ERR_CRTL (0x004) unless a class is given,
		// such as 0x040 for bus-off (linux/can/error.h).
		class := uint64(0x004)
		if len(w) == 4 {
			var err error
			if class, err = strconv.ParseUint(w[3], 0, 29); err != nil || class == 0 {
				return nil, fmt.Errorf("error-frame class %q: want the CAN_ERR_* bits, such as 0x040 for bus-off", w[3])
			}
		}
		return actionFunc(func(r *run) error {
			for _, h := range r.sys.Network.Hubs() {
				if h.Name() == hubName {
					h.ReportError(uint32(class))
					return nil
				}
			}
			return fmt.Errorf("bus %s is not in memory: error frames are injected into in-memory buses only", w[1])
		}), nil
	case w[2] == "send" && len(w) == 4:
		if err := f.UnmarshalString(w[3]); err != nil {
			return nil, fmt.Errorf("bus send %q: %v (candump notation, such as 1CEF5020#669902FF0F)", w[3], err)
		}
	default:
		return nil, errors.New("bus vecan|battery error-frame [CLASS], or bus vecan|battery send ID#DATA")
	}
	return actionFunc(func(r *run) error {
		if onVECan {
			return r.gxSend(f)
		}
		return r.batterySend(f)
	}), nil
}

// parseUpdate reads "update battery N BYTES [processor=P]": the master updates a battery's
// firmware with an image of that size.
func parseUpdate(w []string) (Action, error) {
	if len(w) < 4 || len(w) > 5 || w[1] != "battery" {
		return nil, errors.New("update battery N BYTES [processor=P]")
	}
	n, err := strconv.Atoi(w[2])
	if err != nil || n < 1 || n > 64 {
		return nil, fmt.Errorf("battery %q: want its address, 1 to 64", w[2])
	}
	size, err := strconv.Atoi(w[3])
	if err != nil || size < 1 {
		return nil, fmt.Errorf("image size %q: want a number of bytes", w[3])
	}
	proc := 1
	if len(w) == 5 {
		v, ok := strings.CutPrefix(w[4], "processor=")
		if proc, err = strconv.Atoi(v); !ok || err != nil || proc < 1 || proc > 254 {
			return nil, fmt.Errorf("%q: want processor=1 to 254", w[4])
		}
	}
	return actionFunc(func(r *run) error {
		img := master.FirmwareImage{Data: make([]byte, size), Processor: uint8(proc)}
		for i := range img.Data {
			img.Data[i] = byte(i*31 + 7)
		}
		if err := r.master().UpdateBattery(uint8(n), img); err != nil {
			r.note("update refused: %v", err)
		}
		return nil
	}), nil
}

// gxAddress is the simulated GX's NMEA 2000 address.
const gxAddress = 0x20
