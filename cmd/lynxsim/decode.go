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
	f, err := openLog(arg)
	if err != nil {
		return nil, "", err
	}
	return f, arg, nil
}

// openLog opens a candump log given on the command line: a file that is missing, unreadable or a
// directory is the user's mistake.
func openLog(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, usage("cannot read %s: %v", path, err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, usage("cannot read %s: it is a directory; give a candump -L log file", path)
	}
	return f, nil
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
	// Bad lines are reported once a good one shows that the input is a candump log: an input with
	// none (a binary, a CSV, the wrong file) is one error, not a report per line.
	var bad, good int
	var first error
	var pending []string
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var le *canbus.LineError
		if errors.As(err, &le) {
			bad++
			if first == nil {
				first = le
			}
			if bad <= maxReportedBadLines {
				msg := fmt.Sprintf("lynxsim: %s: %v (skipped)\n", name, le)
				if good == 0 {
					pending = append(pending, msg)
				} else {
					_, _ = io.WriteString(stderr, msg)
				}
			}
			continue
		}
		if err != nil {
			_ = w.Flush()
			return fmt.Errorf("reading %s: %v", name, err)
		}
		if good == 0 {
			for _, msg := range pending {
				_, _ = io.WriteString(stderr, msg)
			}
			pending = nil
		}
		good++
		d.Decode(rec, emit)
	}
	if good == 0 && bad > 0 {
		lines := fmt.Sprintf("none of its %d lines is a candump line", bad)
		if bad == 1 {
			lines = "its one line is not a candump line"
		}
		return usage("%s is not a candump -L log: %s (%v); record one with candump -L or lynxsim run --candump", name, lines, first)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing the decoded log: %v", err)
	}
	st := d.Stats()
	fs := d.FastStats()
	fmt.Fprintf(stderr, "lynxsim: %s: %d frames, %d messages (%d not decoded), %d error frames, %d bad lines skipped; fast packets: %d completed, %d dropped\n",
		name, st.Frames, st.Messages, st.Undecoded, st.ErrorFrames, bad, fs.Completed, fs.LostFrame+fs.OutOfOrder+fs.SequenceChange+fs.Timeout+fs.Evicted+fs.Oversize+fs.BadLength)
	return nil
}
