package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lynxsim/lynxsim/battery"
	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/driver"
	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/internal/atomicfile"
	"github.com/lynxsim/lynxsim/scenario"
)

type batteriesOptions struct {
	bus         string
	batteryType string
	count       int
	series      int
	soc         float64
	firstSerial uint32
	loadAmps    float64
	chargerAmps float64
	duration    time.Duration
	speed       string
	inject      []string
	candump     string
}

func newBatteriesCmd() *cobra.Command {
	o := batteriesOptions{batteryType: "LFP-24V-280Ah", count: 2, series: 1, soc: 60, firstSerial: 174600001, speed: "1"}
	cmd := &cobra.Command{
		Use:   "batteries --bus BUS",
		Short: "Run only the batteries, on any bus, for a master elsewhere (hardware in the loop)",
		Long: `Run simulated batteries and their DC side on the battery bus, without a master: for a master
in another process (lynxsim run --remote-batteries) or hardware that speaks lynxsim's battery-bus
protocol (docs/battery-bus.md). The contactor of the simulated DC side follows the state the master
gives in its battery-bus heartbeat. Faults can be injected per battery with --inject.

Battery types: ` + strings.Join(battery.TypeNames(), ", ") + `.`,
		Example: `  lynxsim batteries --bus udp://239.64.142.206:20001 --count 4 &
  lynxsim run --battery-bus udp://239.64.142.206:20001 --remote-batteries --parallel 4
  lynxsim batteries --bus vcan1 --type HE-24V-200Ah --inject 2:hot-cell=0,60 --inject 3:silent`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBatteries(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bus, "bus", "", "battery bus: "+canbus.SpecHelp)
	f.StringVar(&o.batteryType, "type", o.batteryType, "battery type")
	f.IntVar(&o.count, "count", o.count, "strings in parallel")
	f.IntVar(&o.series, "series", o.series, "batteries in series per string")
	f.Float64Var(&o.soc, "soc", o.soc, "initial SOC of every battery, percent")
	f.Uint32Var(&o.firstSerial, "first-serial", o.firstSerial, "serial number of the first battery (YYWW and 5 digits; HQ is the prefix)")
	f.Float64Var(&o.loadAmps, "load-amps", 0, "DC load while the master's contactor is closed, A")
	f.Float64Var(&o.chargerAmps, "charger-amps", 0, "charger current while the master's contactor is closed, A")
	f.DurationVar(&o.duration, "duration", 0, "virtual time to run (0: until Ctrl-C)")
	f.StringVar(&o.speed, "speed", o.speed, "virtual seconds per wall second, or max (other than 1 only on mem buses)")
	f.StringArrayVar(&o.inject, "inject", nil, "a fault on one battery: N:FAULT or N:FAULT=ARG,ARG (N counts from 1); repeatable")
	f.StringVar(&o.candump, "candump", "", "record the battery bus to this file in candump -L format")
	_ = cmd.RegisterFlagCompletionFunc("type", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return battery.TypeNames(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// injection is one --inject: battery index (from 0), fault name, arguments.
type injection struct {
	battery int
	fault   string
	args    []float64
}

func parseInjection(s string, batteries int) (injection, error) {
	bad := func(why string) (injection, error) {
		return injection{}, usage("--inject %q: %s; write N:FAULT or N:FAULT=ARG,ARG, e.g. 2:hot-cell=0,60 (faults: %s, %s)", s, why,
			strings.Join(battery.FaultNames(), ", "), "silent, babbling, wrong-type(product id), self-test(bits), stale-address(address)")
	}
	num, rest, ok := strings.Cut(s, ":")
	if !ok {
		return bad("no battery number")
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > batteries {
		return bad(fmt.Sprintf("battery %s is not 1 to %d", num, batteries))
	}
	name, argText, _ := strings.Cut(rest, "=")
	in := injection{battery: n - 1, fault: name}
	if argText != "" {
		for _, a := range strings.Split(argText, ",") {
			v, err := strconv.ParseFloat(a, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return bad(fmt.Sprintf("argument %q is not a number", a))
			}
			in.args = append(in.args, v)
		}
	}
	return in, nil
}

// maxSerial is the largest battery serial number: YYWW and a 5-digit unit number.
const maxSerial = 999_999_999

func runBatteries(ctx context.Context, out io.Writer, o batteriesOptions) (err error) {
	if o.bus == "" {
		return usage("batteries: --bus is required, e.g. --bus vcan1 or --bus udp://239.64.142.206:20001")
	}
	cfg := scenario.DefaultConfig()
	cfg.Role = scenario.RoleBatteriesOnly
	if cfg.BatteryBus, err = canbus.ParseSpec(o.bus); err != nil {
		return usage("--bus: %v", err)
	}
	speed, err := driver.ParseSpeed(o.speed)
	if err != nil {
		return usageError{err}
	}
	if speed != 1 && cfg.BatteryBus.Kind != canbus.KindMem {
		return usage("--speed %s: a real bus runs in real time; use --speed 1 with %s", o.speed, cfg.BatteryBus)
	}
	if cfg.BatteryType, err = battery.LookupType(o.batteryType); err != nil {
		return usageError{err}
	}
	if o.count < 1 || o.series < 1 || o.count*o.series > 64 {
		return usage("--count %d --series %d: want at least 1 of each and at most 64 batteries", o.count, o.series)
	}
	cfg.Series, cfg.Parallel = o.series, o.count
	if !(o.soc >= 0 && o.soc <= 100) {
		return usage("--soc %g: want a percentage from 0 to 100", o.soc)
	}
	if last := uint64(o.firstSerial) + uint64(o.count*o.series) - 1; last > maxSerial {
		return usage("--first-serial %d: the last of %d batteries would be %d; serials have at most 9 digits (YYWW and a 5-digit unit number), such as 174600001", o.firstSerial, o.count*o.series, last)
	}
	cfg.SOCPercent, cfg.FirstSerial = o.soc, o.firstSerial
	if err := checkAmps(o.loadAmps, o.chargerAmps); err != nil {
		return err
	}
	if o.duration < 0 {
		return usage("--duration %v: want a positive duration such as 90s, or 0 to run until Ctrl-C", o.duration)
	}
	cfg.LoadAmps, cfg.ChargerAmps = o.loadAmps, o.chargerAmps
	var injections []injection
	for _, s := range o.inject {
		in, err := parseInjection(s, o.count*o.series)
		if err != nil {
			return err
		}
		injections = append(injections, in)
	}
	cfg.Epoch = time.Now().UTC().Truncate(time.Microsecond)

	sys, err := scenario.Build(ctx, cfg)
	if err != nil {
		return usageError{err}
	}
	defer func() { err = errors.Join(err, sys.Close()) }()
	for _, in := range injections {
		if _, err := sys.Batteries[in.battery].Inject(in.fault, in.args...); err != nil {
			return usage("--inject %d:%s: %v", in.battery+1, in.fault, err)
		}
	}
	var log *atomicfile.File
	var logw *canbus.LogWriter
	if o.candump != "" {
		if log, err = atomicfile.Create(o.candump); err != nil {
			return usage("--candump: %v", err)
		}
		defer func() { _ = log.Abort() }()
		logw = canbus.NewLogWriter(log)
		if err := sys.Record(ctx, logw); err != nil {
			return err
		}
	}
	screen := &batteryScreen{out: out, tty: isTerminal(out), sys: sys}
	runErr := sys.Loop.Run(ctx, o.duration, driver.Pace{Speed: speed, Observe: screen.observe})
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	screen.summary()
	if log != nil {
		if err := errors.Join(sys.RecordErr(), logw.Flush(), log.Commit()); err != nil {
			return fmt.Errorf("--candump %s: %v", o.candump, err)
		}
	}
	return nil
}

// batteryScreen shows each battery: on a terminal a table refreshed in place, elsewhere a line
// when the master's state or an address changes.
type batteryScreen struct {
	out      io.Writer
	tty      bool
	sys      *scenario.System
	table    tableScreen
	lastDraw time.Time
	last     string
}

func (s *batteryScreen) observe(now time.Duration) {
	if s.tty {
		if time.Since(s.lastDraw) >= refreshEvery {
			s.lastDraw = time.Now()
			s.table.out = s.out
			s.table.draw(s.render(now))
		}
		return
	}
	line := "master " + s.masterText(now) + ", addresses"
	for _, b := range s.sys.Batteries {
		line += " " + strconv.Itoa(int(b.Address()))
	}
	if line != s.last {
		s.last = line
		fmt.Fprintf(s.out, "%10s  %s\n", clock(now), line)
	}
}

func (s *batteryScreen) masterText(now time.Duration) string {
	st, alive := s.sys.MasterState(now)
	if !alive {
		return "not heard"
	}
	return fmt.Sprintf("%s (%d)", events.State(st), st)
}

func (s *batteryScreen) render(now time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "lynxsim batteries  virtual time %s  master %s  contactor %s\n", clock(now), s.masterText(now), closedText(s.sys.Plant.ContactorClosed()))
	fmt.Fprintf(&b, "%-4s %-12s %-14s %8s %8s %9s %7s %7s %7s  %s\n", "#", "serial", "type", "SOC", "volts", "amps", "cellmin", "cellmax", "°C max", "state")
	var cells, temps []float64
	for i, bat := range s.sys.Batteries {
		m := bat.Module()
		cells = m.CellVolts(cells[:0])
		temps = m.CellCelsius(temps[:0])
		lo, hi, th := math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, v := range cells {
			lo, hi = min(lo, v), max(hi, v)
		}
		for _, v := range temps {
			th = max(th, v)
		}
		state := "address " + strconv.Itoa(int(bat.Address()))
		if bat.Address() == 0xFF {
			state = "announcing"
		}
		if bat.CommTimeout() {
			state += ", master lost"
		}
		if m.BalancingMask() != 0 {
			state += ", balancing"
		}
		fmt.Fprintf(&b, "%-4d %-12s %-14s %7.2f%% %8.2f %9.1f %7.3f %7.3f %7.1f  %s\n", i+1, bat.SerialString(), bat.Type().Name,
			m.SOCPercent(), m.TerminalVolts(), m.Amps(), lo, hi, th, state)
	}
	return b.String()
}

func (s *batteryScreen) summary() {
	now := s.sys.Loop.Now()
	if s.tty {
		s.table.draw(s.render(now))
		return
	}
	fmt.Fprintln(s.out)
	_, _ = io.WriteString(s.out, s.render(now))
}
