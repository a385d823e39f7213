package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/decode"
)

func newDecodeCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "decode FILE|-",
		Short: "Decode a candump -L log into one line per message, with names and units",
		Long: `Decode a candump -L log (can-utils, or lynxsim run --candump) into one line per message:
NMEA 2000 PGNs with fast packets reassembled, VREG registers by name, the CAN-bus BMS frames
(0x351…) and lynxsim's battery bus. Lines that are not candump lines are counted, reported on
stderr with their line numbers, and skipped.`,
		Example: `  lynxsim decode run.log
  candump -L vcan0 | lynxsim decode - --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, name, err := openInput(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			defer in.Close()
			return decodeLog(in, name, cmd.OutOrStdout(), cmd.ErrOrStderr(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line, for machines")
	return cmd
}

func openInput(arg string, stdin io.Reader) (io.ReadCloser, string, error) {
	if arg == "-" {
		return io.NopCloser(stdin), "standard input", nil
	}
	f, err := os.Open(arg)
	if err != nil {
		return nil, "", usage("cannot read %s: %v", arg, errors.Unwrap(err))
	}
	return f, arg, nil
}

// maxReportedBadLines bounds the per-line reports; the rest are only counted.
const maxReportedBadLines = 10

func decodeLog(in io.Reader, name string, out, stderr io.Writer, asJSON bool) error {
	r := canbus.NewLogReader(in)
	w := bufio.NewWriterSize(out, 1<<16)
	d := decode.New()
	var line []byte
	emit := func(m *decode.Message) {
		if asJSON {
			line = decode.AppendJSON(line[:0], m)
		} else {
			line = decode.AppendText(line[:0], m)
		}
		line = append(line, '\n')
		_, _ = w.Write(line)
	}
	var bad int
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var le *canbus.LineError
		if errors.As(err, &le) {
			bad++
			if bad <= maxReportedBadLines {
				fmt.Fprintf(stderr, "lynxsim: %s: %v (skipped)\n", name, le)
			}
			continue
		}
		if err != nil {
			_ = w.Flush()
			return fmt.Errorf("reading %s: %v", name, err)
		}
		d.Decode(rec, emit)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing the decoded log: %v", err)
	}
	st := d.Stats()
	fs := d.FastStats()
	fmt.Fprintf(stderr, "lynxsim: %s: %d frames, %d messages (%d not decoded), %d error frames, %d bad lines skipped; fast packets: %d completed, %d dropped\n",
		name, st.Frames, st.Messages, st.Undecoded, st.ErrorFrames, bad, fs.Completed, fs.LostFrame+fs.OutOfOrder+fs.SequenceChange+fs.Timeout+fs.Oversize+fs.BadLength)
	return nil
}
