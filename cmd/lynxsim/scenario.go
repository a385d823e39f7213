package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/firmware"
	"github.com/lynxsim/lynxsim/internal/atomicfile"
	"github.com/lynxsim/lynxsim/scenario"
)

type scenarioOptions struct {
	firmware string
	candump  string
	report   string
	shard    string
	trace    bool
}

func newScenarioCmd() *cobra.Command {
	var o scenarioOptions
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "Run scenario files: firmware behaviour as a regression suite (docs/scenarios.md)",
	}
	run := &cobra.Command{
		Use:   "run FILE…",
		Short: "Run scenario files on their firmware versions and check their expectations",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return scenarioRun(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o, args, false)
		},
	}
	run.Flags().StringVar(&o.firmware, "firmware", "", "versions to run on instead of the files' own: 1.24, 1.20..1.38 or all")
	run.Flags().StringVar(&o.candump, "candump", "", "record both buses as candump -L logs to this file (one per run: NAME@VERSION is added when there are several)")
	run.Flags().StringVar(&o.report, "report", "", "write a self-contained HTML report with plots to this file")
	run.Flags().BoolVar(&o.trace, "trace", false, "print each run's trace")
	test := &cobra.Command{
		Use:   "test DIR",
		Short: "Run every scenario file of a directory and print a pass/fail table",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := scenarioFiles(args[0])
			if err != nil {
				return err
			}
			return scenarioRun(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o, files, true)
		},
	}
	test.Flags().StringVar(&o.firmware, "firmware", "", "versions to run on instead of the files' own: 1.24, 1.20..1.38 or all")
	test.Flags().StringVar(&o.shard, "shard", "", "run only shard I of N (1/4 … 4/4), for a CI matrix: files are dealt out in name order")
	test.Flags().StringVar(&o.report, "report", "", "write a self-contained HTML report with plots to this file")
	cmd.AddCommand(run, test)
	return cmd
}

// scenarioFiles lists the *.scen files of a suite directory (read, not globbed: a directory name
// may hold [ or *).
func scenarioFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
			return nil, usage("scenario test %s: not a directory; give the directory of a suite, or run a file with lynxsim scenario run %s", dir, dir)
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, usage("scenario test %s: %v", dir, err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".scen") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, usage("no *.scen files in %s", dir)
	}
	return files, nil
}

// checkOutput makes sure an output file can be created before anything runs: a directory, a
// missing directory or a read-only one is found now, not after minutes of runs.
func checkOutput(flag, path string) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return usage("%s %s: %v", flag, path, err)
	}
	return f.Abort()
}

// job is one scenario on one version.
type job struct {
	script  *scenario.Script
	version firmware.Version
}

func (j job) name() string {
	return strings.TrimSuffix(filepath.Base(j.script.File), ".scen") + "@" + j.version.String()
}

func scenarioRun(ctx context.Context, out, errOut io.Writer, o scenarioOptions, files []string, table bool) error {
	slices.Sort(files)
	if o.shard != "" {
		var err error
		if files, err = shardOf(files, o.shard); err != nil {
			return err
		}
	}
	// Parse everything first: a mistake anywhere runs nothing.
	var jobs []job
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.IsDir() {
			return usage("%s is a directory: give scenario files, or run a suite with lynxsim scenario test %s", f, f)
		}
		s, err := scenario.ParseFile(f)
		if err != nil {
			return usage("%v", err)
		}
		versions := s.Versions
		if o.firmware != "" {
			if versions, err = parseFirmwareSelection(o.firmware); err != nil {
				return usage("--firmware %q: %v", o.firmware, err)
			}
		}
		if len(versions) == 0 {
			versions = []firmware.Version{firmware.Latest()}
		}
		for _, v := range versions {
			jobs = append(jobs, job{s, v})
		}
	}
	if o.report != "" {
		if err := checkOutput("--report", o.report); err != nil {
			return err
		}
	}
	if o.candump != "" {
		// The name itself, then each run's (NAME@VERSION is added when there are several).
		if err := checkOutput("--candump", o.candump); err != nil {
			return err
		}
		for _, j := range jobs {
			if err := checkOutput("--candump", candumpPath(o.candump, j, len(jobs))); err != nil {
				return err
			}
		}
	}
	progress := newProgress(errOut, len(jobs), table)
	var results []*scenario.Result
	failed := 0
	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		opts := scenario.RunOptions{}
		var rec *recording
		if o.candump != "" {
			var err error
			if rec, err = newRecording(candumpPath(o.candump, j, len(jobs))); err != nil {
				return err
			}
			opts.Record = rec.w
		}
		start := time.Now()
		res, err := scenario.Run(ctx, j.script, j.version, opts)
		elapsed := time.Since(start)
		if rec != nil {
			if cerr := rec.close(err == nil); err == nil {
				err = cerr
			}
		}
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			// A system this version cannot build (a protocol it does not have): a failed run, and
			// the others go on.
			res = &scenario.Result{Script: j.script, Version: j.version, Failures: []scenario.Failure{{File: j.script.File, Line: 1, Version: j.version, Msg: err.Error()}}}
		}
		results = append(results, res)
		if !res.Passed() {
			failed++
		}
		progress.done(j.name(), res, elapsed)
		if !table {
			for _, f := range res.Failures {
				fmt.Fprintln(out, f.Error())
			}
			if o.trace {
				fmt.Fprintln(out, strings.Join(res.Trace, "\n"))
			}
		}
	}
	progress.finish()
	if table {
		printTable(out, results)
	} else {
		fmt.Fprintf(out, "%d runs, %d passed, %d failed\n", len(results), len(results)-failed, failed)
	}
	if o.report != "" {
		if err := writeReportFile(o.report, results); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d scenario runs failed", failed, len(results))
	}
	return nil
}

// shardOf deals files out: shard i of n takes files i-1, i-1+n, … in name order.
func shardOf(files []string, spec string) ([]string, error) {
	a, b, ok := strings.Cut(spec, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return nil, usage("--shard %q: want I/N with 1 ≤ I ≤ N, such as 2/4", spec)
	}
	var out []string
	for k := i - 1; k < len(files); k += n {
		out = append(out, files[k])
	}
	return out, nil
}

// parseFirmwareSelection reads 1.24, 1.20..1.38, ..1.10, 1.30.., all, or a comma list of these.
func parseFirmwareSelection(s string) ([]firmware.Version, error) {
	src := "name x\nfirmware " + strings.ReplaceAll(s, ",", " ") + "\nbank LFP-24V-280Ah 1s1p\nat 0s start\n"
	sc, err := scenario.Parse(strings.NewReader(src), "--firmware")
	if err != nil {
		var pe *scenario.ParseError
		if errors.As(err, &pe) {
			return nil, errors.New(strings.TrimPrefix(pe.Msg, "firmware: "))
		}
		return nil, err
	}
	return sc.Versions, nil
}

func candumpPath(path string, j job, jobs int) string {
	if jobs == 1 {
		return path
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + j.name() + ext
}

// recording is a candump file being written atomically.
type recording struct {
	f *atomicfile.File
	w *canbus.LogWriter
}

func newRecording(path string) (*recording, error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, usage("--candump %s: %v", path, err)
	}
	return &recording{f: f, w: canbus.NewLogWriter(f)}, nil
}

func (r *recording) close(keep bool) error {
	if !keep {
		r.f.Abort()
		return nil
	}
	if err := r.w.Flush(); err != nil {
		r.f.Abort()
		return err
	}
	return r.f.Commit()
}

func writeReportFile(path string, results []*scenario.Result) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return usage("--report %s: %v", path, err)
	}
	if err := scenario.WriteReport(f, results); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

func printTable(out io.Writer, results []*scenario.Result) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tFIRMWARE\tRESULT\tSIMULATED")
	failed := 0
	for _, r := range results {
		status := "pass"
		switch {
		case r.Skipped != "":
			status = "skip: " + r.Skipped
		case !r.Passed():
			status = fmt.Sprintf("FAIL (%d)", len(r.Failures))
			failed++
		}
		fmt.Fprintf(tw, "%s\t%v\t%s\t%v\n", strings.TrimSuffix(filepath.Base(r.Script.File), ".scen"), r.Version, status, r.Script.Duration)
	}
	tw.Flush()
	for _, r := range results {
		for _, f := range r.Failures {
			fmt.Fprintln(out, f.Error())
		}
	}
	fmt.Fprintf(out, "%d runs, %d passed, %d failed\n", len(results), len(results)-failed, failed)
}

// progress shows how far a run of many scenarios is: a bar redrawn in place on a terminal, a line
// per run elsewhere (a CI log).
type progress struct {
	w        io.Writer
	total, n int
	terminal bool
	show     bool
}

func newProgress(w io.Writer, total int, show bool) *progress {
	p := &progress{w: w, total: total, show: show}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *progress) done(name string, r *scenario.Result, elapsed time.Duration) {
	p.n++
	if !p.show {
		return
	}
	status := "pass"
	switch {
	case r.Skipped != "":
		status = "skip (" + r.Skipped + ")"
	case !r.Passed():
		status = "FAIL"
	}
	speed := ""
	if elapsed > 0 {
		speed = fmt.Sprintf(" %.0f× real time", r.Script.Duration.Seconds()/elapsed.Seconds())
	}
	if p.terminal {
		const width = 30
		filled := width * p.n / max(p.total, 1)
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d %s %s%s\033[K", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), p.n, p.total, name, status, speed)
		return
	}
	fmt.Fprintf(p.w, "[%d/%d] %s %s%s\n", p.n, p.total, name, status, speed)
}

func (p *progress) finish() {
	if p.show && p.terminal {
		fmt.Fprintln(p.w)
	}
}
