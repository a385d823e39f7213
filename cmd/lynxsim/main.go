// Command lynxsim emulates a Lynx Ion BMS master (Victron Energy / MG Energy Systems) and its
// batteries, version by version, on in-process, UDP or SocketCAN buses.
//
// The command is thin: it turns flags into options for the packages that do the work.
//
// Exit status: 0 on success; 2 for a mistake in what the user asked (an unknown command or flag,
// a malformed or out-of-range value, a missing, unreadable or malformed input file, an output path
// that cannot be written, a bus that does not exist); 1 for any other failure (a scenario
// expectation that fails, a replay that parts from its comparison, a node that does not answer,
// an I/O error while running). Either way stderr gets one line, "lynxsim: " and the problem with
// what to do about it; an output file (--candump, --report) is written whole or not at all.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// usageError marks a mistake in what the user asked: a bad flag, a bad value, a missing file.
// It exits with status 2; any other failure exits with 1.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usage(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// execute runs the command line args and returns the exit status: 0, 1 for a failure, 2 for a
// usage mistake. Errors are one line on stderr.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if args == nil {
		args = []string{} // cobra would read os.Args for nil
	}
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	strictCommands(root)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "lynxsim: "+oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return 2
	}
	return 1
}

// isCobraUsage recognises cobra's own argument errors, which are not typed.
func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires ", "invalid argument", "flag needs an argument"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "lynxsim",
		Short: "Emulate a Lynx Ion BMS master and its batteries on CAN",
		Long: `lynxsim emulates the Lynx Ion BMS master firmware (v1.07 to v1.38) and its lithium
batteries: it registers the batteries on a private CAN bus, pre-charges, closes the contactor,
counts SOC and reports to a Victron GX over VE.Can, on in-process, UDP multicast or SocketCAN buses.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newRunCmd(), newBatteriesCmd(), newDecodeCmd(), newMonitorCmd(), newVREGCmd(), newFirmwareCmd(), newEventsCmd(), newVersionCmd(), newScenarioCmd(), newReplayCmd(), newMasterCmd(), newBenchCmd())
	return root
}

// strictCommands makes every command that only groups others, and help, refuse what they do not
// know with a usage error. cobra adds help and completion when it runs: they are added here
// first, once the root's outputs are set (completion keeps the writer it is made with).
func strictCommands(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.HasSubCommands() && !sub.Runnable() {
				requireSubcommand(sub)
			}
			if sub.Name() == "help" && sub.Run != nil {
				sub.Run, sub.RunE = nil, helpTopic
			}
			walk(sub)
		}
	}
	walk(root)
}

// flagError marks cobra's flag errors as usage mistakes. A negative number after the flags, as in
// `vreg set … CURRENT -5`, reads as a shorthand flag: the message says how to give it.
func flagError(c *cobra.Command, err error) error {
	if rest, ok := strings.CutPrefix(err.Error(), "unknown shorthand flag: "); ok {
		if _, tok, ok := strings.Cut(rest, " in "); ok {
			if _, perr := strconv.ParseFloat(tok, 64); perr == nil {
				return usage("%v: a negative number is taken for a flag; put -- before the arguments: %s [flags] -- … %s", err, c.CommandPath(), tok)
			}
		}
	}
	return usageError{err}
}

// requireSubcommand makes a command that only groups others (vreg, firmware, scenario,
// completion) refuse an argument that is none of them: cobra would print the help and exit 0.
// Alone, it still prints its help.
func requireSubcommand(cmd *cobra.Command) {
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		var names []string
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		return usage("unknown command %q for %q: want one of %s", args[0], c.CommandPath(), strings.Join(names, ", "))
	}
	cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
}

// helpTopic is `lynxsim help COMMAND…`: cobra's prints "Unknown help topic" and exits 0.
func helpTopic(c *cobra.Command, args []string) error {
	cmd, rest, err := c.Root().Find(args)
	if err != nil || cmd == nil || len(rest) > 0 {
		return usage("help %s: no such command; lynxsim --help lists them", strings.Join(args, " "))
	}
	return cmd.Help()
}
