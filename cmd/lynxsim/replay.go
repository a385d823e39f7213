package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/lynxsim/lynxsim/battery"
	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/firmware"
	"github.com/lynxsim/lynxsim/internal/atomicfile"
	"github.com/lynxsim/lynxsim/scenario"
)

type replayOptions struct {
	firmware    string
	iface       string
	vecanIface  string
	compare     string
	candump     string
	batteryType string
	series      int
	loadAmps    float64
	chargerAmps float64
	tolerance   time.Duration
	tail        time.Duration
}

func newReplayCmd() *cobra.Command {
	o := replayOptions{firmware: firmware.Latest().String(), iface: scenario.BatteryBusHub, vecanIface: scenario.VECanHub,
		batteryType: "LFP-24V-280Ah", series: 1, tolerance: 100 * time.Millisecond}
	cmd := &cobra.Command{
		Use:   "replay LOG",
		Short: "Drive a master with the battery-bus traffic of a candump log, in place of batteries",
		Long: `Replay the battery frames of a candump -L log (recorded from lynxsim's batteries or real ones)
onto the battery bus of an emulated master, at their recorded times. The master registers and
monitors them as it would live batteries. --compare checks the master's state, error and flags on
VE.Can against a second log's (or the same log's, when it holds a master's VE.Can output).`,
		Example: `  lynxsim run --duration 2m --speed max --candump run.log
  lynxsim replay run.log --compare run.log --candump replayed.log`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return replay(cmd.Context(), cmd.OutOrStdout(), o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.firmware, "firmware", o.firmware, "firmware version of the master, v1.07 to v1.38")
	f.StringVar(&o.iface, "interface", o.iface, "the log's battery-bus interface name")
	f.StringVar(&o.vecanIface, "vecan-interface", o.vecanIface, "the --compare log's VE.Can interface name")
	f.StringVar(&o.compare, "compare", "", "a candump log whose VE.Can state, error and flags the replayed master must follow")
	f.StringVar(&o.candump, "candump", "", "record the replay (both buses) to this file")
	f.StringVar(&o.batteryType, "battery-type", o.batteryType, "battery type the plant assumes for the bank's nominal voltage")
	f.IntVar(&o.series, "series", o.series, "batteries in series per string (the count comes from the log's announcements)")
	f.Float64Var(&o.loadAmps, "load-amps", 0, "DC load while the contactor is closed, A")
	f.Float64Var(&o.chargerAmps, "charger-amps", 0, "charger current while the contactor is closed, A")
	f.DurationVar(&o.tolerance, "tolerance", o.tolerance, "how far apart in time two matching changes may be")
	f.DurationVar(&o.tail, "tail", 0, "run on this long after the last replayed frame")
	return cmd
}

func readCandump(path string) ([]canbus.Record, error) {
	f, err := openLog(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	records, err := readRecords(f)
	if err != nil {
		return nil, usage("%s: %v", path, err)
	}
	return records, nil
}

func readRecords(r io.Reader) ([]canbus.Record, error) {
	lr := canbus.NewLogReader(r)
	var out []canbus.Record
	for {
		rec, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
}

func replay(ctx context.Context, out io.Writer, o replayOptions, path string) error {
	cfg := scenario.DefaultConfig()
	v, err := firmware.ParseReleased(o.firmware)
	if err != nil {
		return usageError{err}
	}
	if cfg.Firmware, err = firmware.NewProfile(v); err != nil {
		return usageError{err}
	}
	if cfg.BatteryType, err = battery.LookupType(o.batteryType); err != nil {
		return usageError{err}
	}
	if o.series < 1 || o.series > 64 {
		return usage("--series %d: want 1 to 64", o.series)
	}
	if err := checkAmps(o.loadAmps, o.chargerAmps); err != nil {
		return err
	}
	if o.tolerance < 0 {
		return usage("--tolerance %v: want a duration of zero or more, such as 100ms", o.tolerance)
	}
	if o.tail < 0 {
		return usage("--tail %v: want a duration of zero or more, such as 30s", o.tail)
	}
	cfg.Series, cfg.LoadAmps, cfg.ChargerAmps = o.series, o.loadAmps, o.chargerAmps
	records, err := readCandump(path)
	if err != nil {
		return err
	}
	var want []scenario.Change
	if o.compare != "" {
		other, err := readCandump(o.compare)
		if err != nil {
			return err
		}
		if want = scenario.GXTimeline(other, o.vecanIface); len(want) == 0 {
			return usage("--compare %s: no state, error or flags broadcasts on interface %q (give --vecan-interface)", o.compare, o.vecanIface)
		}
	}
	// The replay is recorded in memory for the comparison, and to --candump when given.
	var mem bytes.Buffer
	var sink io.Writer = &mem
	var file *atomicfile.File
	if o.candump != "" {
		if file, err = atomicfile.Create(o.candump); err != nil {
			return usage("--candump %s: %v", o.candump, err)
		}
		sink = io.MultiWriter(file, &mem)
	}
	w := canbus.NewLogWriter(sink)
	res, err := scenario.Replay(ctx, cfg, records, scenario.ReplayOptions{BatteryInterface: o.iface, Tail: o.tail, Record: w})
	if res != nil && res.System != nil {
		defer res.System.Close()
	}
	if err == nil {
		err = w.Flush()
	}
	if file != nil {
		if err != nil {
			file.Abort()
		} else if err = file.Commit(); err != nil {
			return err
		}
	}
	if err != nil {
		return usage("%v", err)
	}
	m := res.System.Master
	fmt.Fprintf(out, "replayed %d battery frames over %v (%d other frames skipped): %d batteries, state %s, error %v\n",
		res.Sent, res.Duration, res.Skipped, m.Snapshot().Batteries, m.State(), m.Error())
	if o.compare == "" {
		return nil
	}
	mine, err := readRecords(&mem)
	if err != nil {
		return err
	}
	got := scenario.GXTimeline(mine, scenario.VECanHub)
	// Compare over the time the replay covers.
	for len(want) > 0 && want[len(want)-1].At > res.Duration {
		want = want[:len(want)-1]
	}
	matched, diff := scenario.CompareTimelines(want, got, o.tolerance)
	if diff == nil {
		fmt.Fprintf(out, "the master's state, error and flags follow %s: %d changes match\n", o.compare, matched)
		return nil
	}
	fmt.Fprintf(out, "%d changes match; change %d differs: %s has %s, the replay %s\n", matched, diff.Index+1, o.compare, diff.Want, diff.Got)
	return fmt.Errorf("the replay parts from %s at change %d", o.compare, diff.Index+1)
}
