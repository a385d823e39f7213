package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lynxsim/lynxsim/battery"
	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/driver"
	"github.com/lynxsim/lynxsim/firmware"
	"github.com/lynxsim/lynxsim/internal/atomicfile"
	"github.com/lynxsim/lynxsim/master"
	"github.com/lynxsim/lynxsim/nvm"
	"github.com/lynxsim/lynxsim/plant"
	"github.com/lynxsim/lynxsim/scenario"
)

type runOptions struct {
	duration    time.Duration
	speed       string
	firmware    string
	vecan       string
	batteryBus  string
	candump     string
	batteryType string
	series      int
	parallel    int
	soc         float64
	loadAmps    float64
	chargerAmps float64
	epoch       string
	identity    string
	instance    uint8
	remote      bool
	stateDir    string
	protocol    string
	listenOnly  bool
	masters     int
	combined    bool
	knownIssues []string
	bitrate     uint32 // VE.Can (or CAN-bus BMS) interface, 0: leave it
	batBitrate  uint32 // battery-bus interface, 0: leave it
}

// newRunOptions returns the defaults of lynxsim run.
func newRunOptions() runOptions {
	return runOptions{speed: "1", firmware: firmware.Latest().String(), vecan: "mem", batteryBus: "mem",
		batteryType: "LFP-24V-280Ah", series: 1, parallel: 2, soc: 60, loadAmps: 30, epoch: "now",
		identity: "lynx-ion", protocol: "vecan", masters: 1}
}

func newRunCmd() *cobra.Command {
	o := newRunOptions()
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run a master with its batteries (default: in-process buses, 2 × LFP 24 V 280 Ah)",
		Long: `Run a Lynx Ion BMS master with its batteries, the DC side and both CAN buses, and show
its state on one refreshing screen; a summary is printed on exit, also on Ctrl-C.

Buses are named as: ` + canbus.SpecHelp + `.`,
		Example: `  lynxsim run --duration 2m --speed 20
  lynxsim run --vecan vcan0 --battery-bus vcan1
  lynxsim run --speed max --duration 1h --candump run.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), cmd.OutOrStdout(), o) },
	}
	f := cmd.Flags()
	f.DurationVar(&o.duration, "duration", 0, "virtual time to run, e.g. 90s or 2h (0: until Ctrl-C)")
	f.StringVar(&o.speed, "speed", o.speed, "virtual seconds per wall second, or max (other than 1 only on mem buses)")
	f.StringVar(&o.firmware, "firmware", o.firmware, "firmware version to emulate, v1.07 to v1.38 (see lynxsim firmware list)")
	f.StringVar(&o.vecan, "vecan", o.vecan, "VE.Can bus: "+canbus.SpecHelp)
	f.StringVar(&o.batteryBus, "battery-bus", o.batteryBus, "battery bus: "+canbus.SpecHelp)
	f.StringVar(&o.candump, "candump", "", "record both buses to this file in candump -L format")
	f.StringVar(&o.batteryType, "battery-type", o.batteryType, "battery type of the bank")
	f.IntVar(&o.series, "series", o.series, "batteries in series per string")
	f.IntVar(&o.parallel, "parallel", o.parallel, "strings in parallel")
	f.Float64Var(&o.soc, "soc", o.soc, "initial state of charge of every battery, percent")
	f.Float64Var(&o.loadAmps, "load-amps", o.loadAmps, "DC load while the contactor is closed, A")
	f.Float64Var(&o.chargerAmps, "charger-amps", o.chargerAmps, "charger current while the contactor is closed, A")
	f.StringVar(&o.epoch, "epoch", o.epoch, "wall-clock time of virtual time 0 (candump timestamps, error times): now, or RFC 3339 such as 2024-09-09T12:00:00Z")
	f.StringVar(&o.identity, "identity", o.identity, "NMEA 2000 identity: lynx-ion (Victron Lynx Ion BMS) or master-lv (MG Master LV, from v1.35)")
	f.StringVar(&o.protocol, "protocol", o.protocol, "external port protocol: vecan, general (General BMS, from v1.24) or sma (SMA, 48 V systems); on --vecan")
	f.StringVar(&o.stateDir, "state-dir", "", "keep the master's non-volatile memory (SOC, settings, history) in this directory across runs")
	f.BoolVar(&o.remote, "remote-batteries", false, "run the master and the DC side only: the batteries are elsewhere on --battery-bus (lynxsim batteries, or hardware speaking docs/battery-bus.md); --series and --parallel say how many")
	f.Uint8Var(&o.instance, "battery-instance", 0, "battery and DC instance of the pack on VE.Can: 0, 32, 64 … 224 (+1, +2 carry the lowest and highest cells)")
	f.IntVar(&o.masters, "masters", o.masters, "masters of a combined system (changelog 1.18-01), 1 to 4, each with its own bank on one VE.Can; set combined mode with --combined")
	f.BoolVar(&o.combined, "combined", false, "combined mode (VE_REG_LYNX_ION_BMS_COMBINED): the masters wait for a start (the button, or VE.Can from v1.25) instead of closing by themselves")
	addHILFlags(f, &o)
	_ = cmd.RegisterFlagCompletionFunc("identity", cobra.FixedCompletions([]string{"lynx-ion", "master-lv"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("battery-type", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var names []string
		for _, t := range battery.Types() {
			names = append(names, t.Name)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// systemConfig checks every option and turns them into a system configuration, before anything
// is opened or created.
func (o runOptions) systemConfig() (scenario.Config, float64, error) {
	cfg := scenario.DefaultConfig()
	speed, err := driver.ParseSpeed(o.speed)
	if err != nil {
		return cfg, 0, usageError{err}
	}
	v, err := firmware.ParseReleased(o.firmware)
	if err != nil {
		return cfg, 0, usageError{err}
	}
	if cfg.Firmware, err = firmware.NewProfile(v, firmware.WithKnownIssues(o.knownIssues...)); err != nil {
		return cfg, 0, usageError{err}
	}
	if cfg.VECan, err = canbus.ParseSpec(o.vecan); err != nil {
		return cfg, 0, usage("--vecan: %v", err)
	}
	if cfg.BatteryBus, err = canbus.ParseSpec(o.batteryBus); err != nil {
		return cfg, 0, usage("--battery-bus: %v", err)
	}
	if speed != 1 && (cfg.VECan.Kind != canbus.KindMem || cfg.BatteryBus.Kind != canbus.KindMem) {
		return cfg, 0, usage("--speed %s: a real bus runs in real time; use --speed 1 with %s and %s", o.speed, cfg.VECan, cfg.BatteryBus)
	}
	if cfg.BatteryType, err = battery.LookupType(o.batteryType); err != nil {
		return cfg, 0, usageError{err}
	}
	if o.series < 1 || o.parallel < 1 || o.series*o.parallel > 64 {
		return cfg, 0, usage("--series %d --parallel %d: want at least 1 of each and at most 64 batteries", o.series, o.parallel)
	}
	cfg.Series, cfg.Parallel = o.series, o.parallel
	if !(o.soc >= 0 && o.soc <= 100) {
		return cfg, 0, usage("--soc %g: want a percentage from 0 to 100", o.soc)
	}
	cfg.SOCPercent = o.soc
	if err := checkAmps(o.loadAmps, o.chargerAmps); err != nil {
		return cfg, 0, err
	}
	cfg.LoadAmps, cfg.ChargerAmps = o.loadAmps, o.chargerAmps
	if o.duration < 0 {
		return cfg, 0, usage("--duration %v: want a positive duration such as 90s, or 0 to run until Ctrl-C", o.duration)
	}
	switch o.identity {
	case "lynx-ion":
		cfg.Identity = master.IdentityLynxIon
	case "master-lv":
		if !cfg.Firmware.Has("1.35-02") {
			return cfg, 0, usage("--identity master-lv: the Master LV identity came with v1.35 (changelog 1.35-02); use --firmware 1.35 or later")
		}
		cfg.Identity = master.IdentityMasterLV
	default:
		return cfg, 0, usage("--identity %q: want lynx-ion or master-lv", o.identity)
	}
	if o.instance%32 != 0 {
		return cfg, 0, usage("--battery-instance %d: the instance moves in steps of 32: 0, 32, 64 … 224 (S2 p.12)", o.instance)
	}
	cfg.InstanceBase = o.instance
	switch o.protocol {
	case "vecan":
	case "general":
		if !cfg.Firmware.Has("1.24-03") {
			return cfg, 0, usage("--protocol general: the General BMS protocol came with v1.24 (changelog 1.24-03); use --firmware 1.24 or later")
		}
		cfg.External = master.ProtocolGeneral
	case "sma":
		if volts := cfg.BatteryType.NominalVolts() * float64(cfg.Series); volts < 40 {
			return cfg, 0, usage("--protocol sma: SMA supports 48 V systems only (MG guide p.3); this bank is %.1f V nominal: use --series 2 with 24 V batteries, or --protocol general", volts)
		}
		cfg.External = master.ProtocolSMA
	default:
		return cfg, 0, usage("--protocol %q: want vecan, general or sma", o.protocol)
	}
	cfg.ListenOnly = o.listenOnly
	if o.masters < 1 || o.masters > 4 {
		return cfg, 0, usage("--masters %d: want 1 to 4", o.masters)
	}
	if o.masters > 1 && (cfg.BatteryBus.Kind != canbus.KindMem || o.remote) {
		return cfg, 0, usage("--masters %d: several masters run with their batteries in this process, each on an in-memory battery bus; leave --battery-bus and --remote-batteries out", o.masters)
	}
	cfg.Masters = o.masters
	if o.combined {
		if !cfg.Firmware.Has("1.18-01") {
			return cfg, 0, usage("--combined: combined systems came with v1.18 (changelog 1.18-01), not %v", cfg.Firmware.Version())
		}
		cfg.Master = func(_ int, c *master.Config) { c.Settings.Combined = true }
	}
	for _, b := range []struct {
		flag string
		rate uint32
		spec canbus.Spec
	}{{"--bitrate", o.bitrate, cfg.VECan}, {"--battery-bitrate", o.batBitrate, cfg.BatteryBus}} {
		if b.rate != 0 && b.spec.Kind != canbus.KindSocketCAN {
			return cfg, 0, usage("%s %d: only a SocketCAN interface has a bit rate to set, not %s", b.flag, b.rate, b.spec)
		}
	}
	if o.remote {
		if cfg.BatteryBus.Kind == canbus.KindMem {
			return cfg, 0, usage("--remote-batteries: the batteries are in another process, so --battery-bus must be one it shares: udp://GROUP:PORT or a CAN interface")
		}
		cfg.Role = scenario.RoleMasterOnly
	}
	switch o.epoch {
	case "now":
		cfg.Epoch = time.Now().UTC().Truncate(time.Microsecond)
	default:
		if cfg.Epoch, err = time.Parse(time.RFC3339Nano, o.epoch); err != nil {
			return cfg, 0, usage("--epoch %q: want now or an RFC 3339 time such as 2024-09-09T12:00:00Z", o.epoch)
		}
		// candump logs count from 1970, the master's error times in 32-bit seconds from then.
		if cfg.Epoch.Before(time.Unix(0, 0)) || cfg.Epoch.After(time.Unix(math.MaxUint32, 0)) {
			return cfg, 0, usage("--epoch %s: want a time from 1970-01-01 to 2106-02-07 (candump and the master count seconds from 1970)", o.epoch)
		}
	}
	return cfg, speed, nil
}

func run(ctx context.Context, out io.Writer, o runOptions) (err error) {
	cfg, speed, err := o.systemConfig()
	if err != nil {
		return err
	}
	var log *atomicfile.File
	var logw *canbus.LogWriter
	if o.candump != "" {
		if log, err = atomicfile.Create(o.candump); err != nil {
			return usage("--candump: %v", err)
		}
		// Whatever happens below, a log that was not committed is removed, never left half-written.
		defer func() { _ = log.Abort() }()
		logw = canbus.NewLogWriter(log)
	}
	if o.stateDir != "" {
		var undo func()
		if cfg.Memory, undo, err = openStateDir(o.stateDir); err != nil {
			return err
		}
		// A run that fails before it saves anything leaves no new directory behind.
		defer func() {
			if err != nil {
				undo()
			}
		}()
	}
	if o.bitrate != 0 {
		if err := canbus.SetBitrate(cfg.VECan.Name, o.bitrate); err != nil {
			return usage("--bitrate: %v", err)
		}
	}
	if o.batBitrate != 0 {
		if err := canbus.SetBitrate(cfg.BatteryBus.Name, o.batBitrate); err != nil {
			return usage("--battery-bitrate: %v", err)
		}
	}
	sys, err := scenario.Build(ctx, cfg)
	if err != nil {
		return usageError{err}
	}
	defer func() { err = errors.Join(err, sys.Close()) }()
	if logw != nil {
		if err := sys.Record(ctx, logw); err != nil {
			return err
		}
	}

	screen := newStatusScreen(out, isTerminal(out), sys)
	runErr := sys.Loop.Run(ctx, o.duration, driver.Pace{Speed: speed, Observe: screen.observe})
	interrupted := errors.Is(runErr, context.Canceled)
	if runErr != nil && !interrupted {
		return runErr
	}
	screen.summary(interrupted)

	if log != nil {
		if err := errors.Join(sys.RecordErr(), logw.Flush()); err != nil {
			return fmt.Errorf("--candump %s: %v", o.candump, err)
		}
		if err := log.Commit(); err != nil {
			return fmt.Errorf("--candump %s: %v", o.candump, err)
		}
		fmt.Fprintf(out, "candump log written to %s\n", o.candump)
	}
	return nil
}

// openStateDir opens the --state-dir store, creating its directory, and returns a function that
// removes the directories it created while they are still empty.
func openStateDir(dir string) (*nvm.Store, func(), error) {
	var made []string // the leaf first
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		made = append(made, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	store, err := nvm.Open(dir)
	if err != nil {
		return nil, nil, usageError{err}
	}
	return store, func() {
		for _, d := range made {
			if os.Remove(d) != nil {
				return
			}
		}
	}, nil
}

// checkAmps checks the DC load and charger currents of run, batteries and replay.
func checkAmps(load, charger float64) error {
	for _, c := range []struct {
		flag string
		amps float64
	}{{"--load-amps", load}, {"--charger-amps", charger}} {
		if !(c.amps >= 0 && c.amps <= plant.MaxInputAmps) {
			return usage("%s %g: want a current from 0 to %g A", c.flag, c.amps, plant.MaxInputAmps)
		}
	}
	return nil
}

// isTerminal reports whether w is a character device, where the status screen refreshes in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// addHILFlags adds the flags of hardware in the loop to run and master.
func addHILFlags(f *pflag.FlagSet, o *runOptions) {
	f.StringSliceVar(&o.knownIssues, "known-issues", nil, "reproduce these known issues of the firmware (changelog ids of kind known-issue, such as 1.09-15; lynxsim firmware list)")
	f.BoolVar(&o.listenOnly, "listen-only", false, "transmit nothing on real interfaces (SocketCAN, UDP): watch a live system without taking part")
	f.Uint32Var(&o.bitrate, "bitrate", 0, "set the --vecan interface's bit rate first (needs root): 250000 for VE.Can, 500000 for the CAN-bus BMS profile")
	f.Uint32Var(&o.batBitrate, "battery-bitrate", 0, "set the --battery-bus interface's bit rate first (needs root)")
}

// newMasterCmd is the master alone, for hardware in the loop: real batteries (or lynxsim
// batteries in another process) on a battery-bus interface, the GX on VE.Can.
func newMasterCmd() *cobra.Command {
	o := newRunOptions()
	o.vecan, o.batteryBus, o.remote = "", "", true
	cmd := &cobra.Command{
		Use:   "master --battery-bus BUS --vecan BUS",
		Short: "Run the master alone against batteries on a real battery bus (hardware in the loop)",
		Long: `Run only the Lynx Ion BMS master and its DC side: the batteries are real, or lynxsim batteries in
another process, on --battery-bus (a CAN interface or udp://), speaking docs/battery-bus.md.
--series and --parallel say how many there are. Real time only.`,
		Example: `  lynxsim master --battery-bus can1 --vecan can0 --bitrate 250000 --parallel 4
  lynxsim master --battery-bus vcan1 --vecan vcan0 --listen-only`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.batteryBus == "" || o.vecan == "" {
				return usage("master: give --battery-bus and --vecan, such as --battery-bus can1 --vecan can0")
			}
			return run(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.duration, "duration", 0, "time to run, e.g. 90s or 2h (0: until Ctrl-C)")
	f.StringVar(&o.firmware, "firmware", o.firmware, "firmware version to emulate, v1.07 to v1.38")
	f.StringVar(&o.vecan, "vecan", "", "VE.Can bus: "+canbus.SpecHelp)
	f.StringVar(&o.batteryBus, "battery-bus", "", "the batteries' bus: "+canbus.SpecHelp)
	f.StringVar(&o.candump, "candump", "", "record both buses to this file in candump -L format")
	f.StringVar(&o.batteryType, "battery-type", o.batteryType, "battery type of the bank (for its nominal voltage)")
	f.IntVar(&o.series, "series", o.series, "batteries in series per string")
	f.IntVar(&o.parallel, "parallel", o.parallel, "strings in parallel")
	f.StringVar(&o.identity, "identity", o.identity, "NMEA 2000 identity: lynx-ion or master-lv (from v1.35)")
	f.StringVar(&o.protocol, "protocol", o.protocol, "external port protocol: vecan, general or sma")
	f.StringVar(&o.stateDir, "state-dir", "", "keep the master's non-volatile memory in this directory across runs")
	f.StringVar(&o.epoch, "epoch", o.epoch, "wall-clock time of time 0: now, or RFC 3339")
	f.Uint8Var(&o.instance, "battery-instance", 0, "battery and DC instance of the pack on VE.Can: 0, 32 … 224")
	addHILFlags(f, &o)
	return cmd
}
