// Command lynxsim emulates a Lynx Ion BMS master (Victron Energy / MG Energy Systems) and its
// batteries, version by version, on in-process, UDP or SocketCAN buses.
//
// The command is thin: it turns flags into options for the packages that do the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
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
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
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
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newRunCmd(), newBatteriesCmd(), newDecodeCmd(), newMonitorCmd(), newVREGCmd(), newFirmwareCmd(), newEventsCmd(), newVersionCmd(), newScenarioCmd(), newReplayCmd(), newMasterCmd(), newBenchCmd())
	return root
}
