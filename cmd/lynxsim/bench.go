package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lynxsim/lynxsim/scenario"
)

func newBenchCmd() *cobra.Command {
	var sizes []int
	var simulated time.Duration
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure simulated-time speed of the reference system (2 series × n/2 parallel LFP 24 V 280 Ah, charger and load profile, both buses recorded)",
		Long: `Run the reference system of the performance targets for a simulated time at each bank size and
print simulated seconds per wall second, the cost of a simulated second, allocations per 10 ms
step, and the process's resident memory, with the machine and Go version. The target is 10 000 ×
real time for 8 batteries; docs/performance.md keeps the figures.`,
		Example: "  lynxsim bench\n  lynxsim bench --batteries 8 --simulated 24h",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return bench(cmd.Context(), cmd.OutOrStdout(), sizes, simulated)
		},
	}
	cmd.Flags().IntSliceVar(&sizes, "batteries", []int{1, 8, 16, 32, 64}, "bank sizes to measure, 1 to 64 (even from 2: two in series)")
	cmd.Flags().DurationVar(&simulated, "simulated", 10*time.Minute, "simulated time per measurement")
	return cmd
}

func bench(ctx context.Context, out io.Writer, sizes []int, simulated time.Duration) error {
	if simulated <= 0 {
		return usage("--simulated %v: want a positive duration", simulated)
	}
	for _, n := range sizes {
		if n < 1 || n > 64 || (n > 1 && n%2 != 0) {
			return usage("--batteries %d: want 1, or an even number up to 64 (two in series)", n)
		}
	}
	fmt.Fprintf(out, "lynxsim bench: %s, %s/%s, %d CPUs, %s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel())
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
