package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lynxsim/lynxsim/internal/atomicfile"
	"github.com/lynxsim/lynxsim/scenario"
)

func newBenchCmd() *cobra.Command {
	var sizes []int
	var simulated, duration, maxLag time.Duration
	var load bool
	var target float64
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure simulated-time speed of the reference system (2 series × n/2 parallel LFP 24 V 280 Ah, charger and load profile, both buses recorded)",
		Long: `Run the reference system of the performance targets for a simulated time at each bank size and
print simulated seconds per wall second, the cost of a simulated second, allocations per 10 ms
step, and the process's resident memory, with the machine and Go version. The target is 10 000 ×
real time for 8 batteries; docs/performance.md keeps the figures.

With --load, run the reference system in real time instead (64 batteries unless --batteries says
otherwise) for --duration of wall time, with other NMEA 2000 devices and a GX-like node flooding
its VE.Can until lynxsim and the flood together offer --target-load of its 250 kbit/s, and print
the frames offered and delivered on each bus, the frames dropped, the load reached, the largest
gap between two of the master's battery status frames (PGN 127508, every 1.5 s), the VREG
requests answered, the master's state and how late the paced loop ran. It exits 1 when a frame
was dropped, the status stopped refreshing, a request went unanswered, the master left Running,
or the loop fell more than --max-lag behind the wall clock (on a busy machine that is the
machine's doing, not the model's).

--cpuprofile writes a pprof CPU profile of the speed bench: of 8 batteries over a simulated
hour or more, it is the profile-guided optimisation profile the build uses
(cmd/lynxsim/default.pgo; docs/performance.md).`,
		Example: "  lynxsim bench\n  lynxsim bench --batteries 8 --simulated 24h\n  lynxsim bench --batteries 8 --simulated 2h --cpuprofile cmd/lynxsim/default.pgo\n  lynxsim bench --load --duration 60s\n  lynxsim bench --load --batteries 8 --target-load 0.5",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			if load {
				if f.Changed("simulated") {
					return usage("--simulated is for the speed bench; --load runs in real time for --duration")
				}
				if f.Changed("cpuprofile") {
					return usage("--cpuprofile is for the speed bench; --load runs in real time")
				}
				if !f.Changed("batteries") {
					sizes = []int{scenario.DefaultLoadBatteries}
				}
				return benchLoad(cmd.Context(), cmd.OutOrStdout(), sizes, duration, target, maxLag)
			}
			for _, name := range []string{"duration", "target-load", "max-lag"} {
				if f.Changed(name) {
					return usage("--%s is for --load; the speed bench takes --simulated", name)
				}
			}
			return bench(cmd.Context(), cmd.OutOrStdout(), sizes, simulated, cpuProfile)
		},
	}
	cmd.Flags().IntSliceVar(&sizes, "batteries", []int{1, 8, 16, 32, 64}, "bank sizes to measure, 1 to 64 (even from 2: two in series); with --load, 64")
	cmd.Flags().DurationVar(&simulated, "simulated", 10*time.Minute, "simulated time per measurement")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a pprof CPU profile of the speed bench to this file")
	cmd.Flags().BoolVar(&load, "load", false, "run in real time with the VE.Can flooded to --target-load (issue 10's load test)")
	cmd.Flags().DurationVar(&duration, "duration", scenario.DefaultLoadDuration, "with --load: wall-clock time to run each bank size")
	cmd.Flags().DurationVar(&maxLag, "max-lag", time.Second, "with --load: how late a paced step may start, and the status stay silent beyond its period, before the run fails")
	cmd.Flags().Float64Var(&target, "target-load", scenario.DefaultLoadTarget, "with --load: share of the VE.Can's 250 kbit/s that lynxsim and the flood offer together, above 0 and at most 1")
	return cmd
}

func checkSizes(sizes []int) error {
	for _, n := range sizes {
		if n < 1 || n > 64 || (n > 1 && n%2 != 0) {
			return usage("--batteries %d: want 1, or an even number up to 64 (two in series)", n)
		}
	}
	return nil
}

func bench(ctx context.Context, out io.Writer, sizes []int, simulated time.Duration, cpuProfile string) (err error) {
	if simulated <= 0 {
		return usage("--simulated %v: want a positive duration", simulated)
	}
	if err := checkSizes(sizes); err != nil {
		return err
	}
	if cpuProfile != "" {
		// Not :=, which would hide the named err from the deferred commit below: a failed or
		// interrupted bench must leave no profile (default.pgo is regenerated this way).
		var prof *atomicfile.File
		if prof, err = atomicfile.Create(cpuProfile); err != nil {
			return usage("--cpuprofile: %v", err)
		}
		// The profile appears only when the bench completes: never half a profile.
		defer func() { _ = prof.Abort() }()
		if err := pprof.StartCPUProfile(prof); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			if err == nil {
				if err = prof.Commit(); err != nil {
					err = fmt.Errorf("--cpuprofile: %w", err)
				}
			}
		}()
	}
	fmt.Fprintln(out, machineLine())
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "batteries\tsimulated\twall\t× real time\tms per simulated s\tallocs/step\tbytes/step\tRSS MB\t")
	for _, n := range sizes {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := scenario.Bench(ctx, n, simulated)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%d\t%v\t%v\t%.0f\t%.3f\t%.2f\t%.0f\t%.1f\t\n", n, r.Simulated, r.Wall.Round(time.Millisecond), r.RealTimeFactor(),
			r.NanosPerSimulatedSecond()/1e6, r.AllocsPerStep, r.BytesPerStep, rssMB())
	}
	return tw.Flush()
}

// machineLine names the program's Go version, platform, processor and the profile the build was
// optimised with.
func machineLine() string {
	return fmt.Sprintf("lynxsim bench: %s, %s/%s, %d CPUs, %s, PGO: %s", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), pgoProfile())
}

// pgoProfile is the profile-guided optimisation profile the binary was built with, "none"
// without one (go build picks cmd/lynxsim/default.pgo by itself; go test does not).
func pgoProfile() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "-pgo" && s.Value != "" {
				return filepath.Base(s.Value)
			}
		}
	}
	return "none"
}

// benchLoad runs scenario.Load for each bank size and prints one table: a column per size.
func benchLoad(ctx context.Context, out io.Writer, sizes []int, duration time.Duration, target float64, maxLag time.Duration) error {
	if duration <= 0 {
		return usage("--duration %v: want a positive wall-clock time, such as 30s", duration)
	}
	if maxLag <= 0 {
		return usage("--max-lag %v: want a positive duration, such as 1s", maxLag)
	}
	if !(target > 0 && target <= 1) {
		return usage("--target-load %v: want a share of the bus above 0 and at most 1 (1 is the whole 250 kbit/s: a CAN bus queues what is offered beyond it, it does not drop it)", target)
	}
	if err := checkSizes(sizes); err != nil {
		return err
	}
	fmt.Fprintln(out, machineLine())
	fmt.Fprintf(out, "load: reference system in real time for %v, VE.Can flooded to %.0f %% of 250 kbit/s\n", duration, 100*target)
	var results []scenario.LoadResult
	var failed []error
	for _, n := range sizes {
		r, err := scenario.Load(ctx, scenario.LoadOptions{Batteries: n, Duration: duration, TargetLoad: target})
		if err != nil {
			if errors.Is(err, scenario.ErrLoadOptions) {
				return usage("%v", err)
			}
			return err
		}
		results = append(results, r)
		if err := r.Check(scenario.LoadLimits{MaxLag: maxLag}); err != nil {
			failed = append(failed, fmt.Errorf("%d batteries: %w", n, err))
		}
	}
	if err := writeLoadTable(out, results); err != nil {
		return err
	}
	if len(failed) > 0 {
		return errors.Join(failed...)
	}
	fmt.Fprintln(out, "ok: no frame dropped, status refreshing, every VREG request answered, master running, loop on time")
	return nil
}

// writeLoadTable prints the measurements, a row per figure and a column per bank size.
func writeLoadTable(out io.Writer, rs []scenario.LoadResult) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	pct := func(x float64) string { return fmt.Sprintf("%.2f %%", 100*x) }
	frames := func(b scenario.BusLoad) string {
		return fmt.Sprintf("%d / %d (in flight: %d at the start, %d at the end)", b.Offered, b.Delivered, b.PendingBefore, b.PendingAfter)
	}
	received := func(b scenario.BusLoad) string {
		verdict := "yes"
		if b.Received+b.Filtered != b.Delivered*uint64(b.Ports-1) {
			verdict = "NO"
		}
		if b.Filtered > 0 {
			return fmt.Sprintf("%s (%d + %d filtered = %d × %d)", verdict, b.Received, b.Filtered, b.Delivered, b.Ports-1)
		}
		return fmt.Sprintf("%s (%d = %d × %d)", verdict, b.Received, b.Delivered, b.Ports-1)
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	rows := []struct {
		name string
		cell func(r scenario.LoadResult) string
	}{
		{"batteries", func(r scenario.LoadResult) string { return fmt.Sprint(r.Batteries) }},
		{"wall time (virtual)", func(r scenario.LoadResult) string {
			return fmt.Sprintf("%v (%v)", r.Wall.Round(time.Millisecond), r.Simulated)
		}},
		{"VE.Can offered load", func(r scenario.LoadResult) string {
			return fmt.Sprintf("%s (lynxsim %s, flood %s)", pct(r.OfferedLoad), pct(r.OwnLoad), pct(r.FloodLoad))
		}},
		{"VE.Can frames offered / delivered", func(r scenario.LoadResult) string { return frames(r.VECan) }},
		{"  received by every other port", func(r scenario.LoadResult) string { return received(r.VECan) }},
		{"battery-bus frames offered / delivered", func(r scenario.LoadResult) string { return frames(r.BatBus) }},
		{"  received or filtered by every other port", func(r scenario.LoadResult) string { return received(r.BatBus) }},
		{"battery-bus load", func(r scenario.LoadResult) string { return pct(r.BatBus.Load) }},
		{"frames dropped (every port, both buses)", func(r scenario.LoadResult) string {
			return fmt.Sprint(r.VECan.Dropped + r.BatBus.Dropped)
		}},
		{"127508 frames, longest without (period 1.5 s)", func(r scenario.LoadResult) string {
			return fmt.Sprintf("%d, %v", r.StatusFrames, r.MaxStatusGap)
		}},
		{"  wall clock / between two on the modelled wire", func(r scenario.LoadResult) string {
			wire := "-"
			if r.StatusFrames > 1 {
				wire = ms(r.MaxStatusGapWire)
			}
			return fmt.Sprintf("%s / %s", ms(r.MaxStatusGapWall), wire)
		}},
		{"modelled wire: worst wait, any / master / 127508", func(r scenario.LoadResult) string {
			return fmt.Sprintf("%s / %s / %s", ms(r.MaxWireDelay), ms(r.MaxOwnWireDelay), ms(r.MaxStatusWireDelay))
		}},
		{"VREG answered / asked (slowest)", func(r scenario.LoadResult) string {
			return fmt.Sprintf("%d / %d (%v)", r.VREGAnswered, r.VREGAsked-r.VREGPending, r.MaxVREGResponse)
		}},
		{"master state", func(r scenario.LoadResult) string {
			if r.StayedRunning {
				return r.FinalState.String() + " throughout"
			}
			return fmt.Sprintf("left Running at %v: %v", r.LeftRunningAt, r.FinalState)
		}},
		{"paced loop lag: worst / mean", func(r scenario.LoadResult) string {
			return fmt.Sprintf("%s / %s", ms(r.Pace.MaxLag), ms(r.Pace.MeanLag()))
		}},
		{"  steps started more than 10 ms late", func(r scenario.LoadResult) string {
			return fmt.Sprintf("%d of %d", r.Pace.Late, r.Pace.Steps)
		}},
		{"RSS MB", func(scenario.LoadResult) string { return fmt.Sprintf("%.1f", rssMB()) }},
	}
	for _, row := range rows {
		fmt.Fprint(tw, row.name)
		for _, r := range rs {
			fmt.Fprint(tw, "\t"+row.cell(r))
		}
		fmt.Fprintln(tw, "\t")
	}
	return tw.Flush()
}

// cpuModel is the processor's name from /proc/cpuinfo, "" where there is none.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// rssMB is the process's resident set from /proc/self/status, NaN-free: 0 where unknown.
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.Fields(v)[0], 64)
			return kb / 1024
		}
	}
	return 0
}
