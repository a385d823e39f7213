package canbus

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// logResult is what one LogReader.Next call gave: a record, or a *LineError.
type logResult struct {
	rec  Record
	lerr *LineError
	line int // Line() after the call
}

// readAllLog reads r to the end. It fails the test on an error that is neither a *LineError nor
// io.EOF, and on more calls than the input can have lines (the reader must make progress).
func readAllLog(t *testing.T, r io.Reader, maxLines int) (out []logResult, lastLine int) {
	t.Helper()
	lr := NewLogReader(r)
	for calls := 0; ; calls++ {
		if calls > maxLines+1 {
			t.Fatalf("LogReader gave %d results for at most %d lines", calls, maxLines)
		}
		rec, err := lr.Next()
		if err == io.EOF {
			// EOF is sticky.
			if _, again := lr.Next(); again != io.EOF {
				t.Fatalf("Next after io.EOF returned %v", again)
			}
			return out, lr.Line()
		}
		var le *LineError
		switch {
		case err == nil:
			out = append(out, logResult{rec: rec, line: lr.Line()})
		case errors.As(err, &le):
			if rec != (Record{}) {
				t.Fatalf("a LineError came with a record: %+v", rec)
			}
			out = append(out, logResult{lerr: le, line: lr.Line()})
		default:
			t.Fatalf("Next returned %v, neither a record, a *LineError nor io.EOF", err)
		}
	}
}

// FuzzLogReader reads any bytes as a whole candump -L log, the way `lynxsim decode` and `lynxsim
// replay` do. Properties:
//
//   - the reader never panics, always makes progress and ends with a sticky io.EOF;
//   - it agrees line for line with a model: split at '\n', drop one '\r', skip blank lines; a line
//     longer than 4096 bytes is a "line too long" LineError whatever it holds; every other line is
//     exactly what ParseRecord gives, record or error, at its 1-based line number;
//   - how the input arrives (one byte at a time, half reads) changes nothing;
//   - a LineError's message is one line of bounded length, and its Text is a prefix of the line;
//   - the records read, written back through LogWriter, read back identical, one line each.
//
// Seeds: testdata/fuzz/FuzzLogReader, and the logs of testdata/candump.
func FuzzLogReader(f *testing.F) {
	f.Add([]byte("(1700000000.123456) vcan0 19F21450#001C0A0700FF70FF\n"))
	f.Add([]byte("(1.000000) vcan0 123#R\r\n\r\n \t\n(2.000000) vcan0 123#0\n(3.000000) can1 7FF#0102030405060708"))
	f.Fuzz(func(t *testing.T, data []byte) {
		maxLines := bytes.Count(data, []byte{'\n'}) + 1
		got, lastLine := readAllLog(t, bytes.NewReader(data), maxLines)

		// The model.
		var want []logResult
		lines := bytes.Split(data, []byte{'\n'})
		if len(lines[len(lines)-1]) == 0 {
			lines = lines[:len(lines)-1] // the input ends with '\n' (or is empty)
		}
		for i, line := range lines {
			line = bytes.TrimSuffix(line, []byte{'\r'})
			n := i + 1
			switch {
			case len(line) > cdMaxLineLen:
				want = append(want, logResult{lerr: &LineError{Line: n, Err: cdErrLineTooLong}, line: n})
			case len(bytes.Trim(line, " \t")) == 0:
			default:
				rec, err := ParseRecord(line)
				if err != nil {
					want = append(want, logResult{lerr: &LineError{Line: n, Text: string(line), Err: err}, line: n})
				} else {
					want = append(want, logResult{rec: rec, line: n})
				}
			}
		}
		if lastLine != len(lines) {
			t.Fatalf("Line() at EOF is %d, the input has %d lines", lastLine, len(lines))
		}
		if len(got) != len(want) {
			t.Fatalf("%d results, the model gives %d:\ngot  %+v\nwant %+v", len(got), len(want), got, want)
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.line != w.line {
				t.Fatalf("result %d at Line() %d, the model says line %d", i, g.line, w.line)
			}
			if (g.lerr == nil) != (w.lerr == nil) {
				t.Fatalf("line %d: got %+v / %v, the model gives %+v / %v", w.line, g.rec, g.lerr, w.rec, w.lerr)
			}
			if g.lerr == nil {
				if g.rec != w.rec {
					t.Fatalf("line %d: record %+v, ParseRecord gives %+v", w.line, g.rec, w.rec)
				}
				continue
			}
			ge, we := g.lerr, w.lerr
			if ge.Line != we.Line || ge.Err.Error() != we.Err.Error() {
				t.Fatalf("line %d: %v, the model gives %v", w.line, ge, we)
			}
			raw := lines[we.Line-1]
			if !bytes.HasPrefix(raw, []byte(ge.Text)) || (we.Err != cdErrLineTooLong && ge.Text != we.Text) {
				t.Fatalf("line %d: LineError.Text %q is not the line %q", w.line, ge.Text, raw)
			}
			msg := ge.Error()
			if strings.ContainsAny(msg, "\r\n") || len(msg) > 1024 || !utf8.ValidString(msg) {
				t.Fatalf("LineError message is not one short line of UTF-8: %q", msg)
			}
			if !errors.Is(ge, ge.Err) {
				t.Fatalf("errors.Is(%v, its own Err) is false", ge)
			}
		}

		// Chunking does not matter (checked on inputs of a few lines' size, to keep the fuzzer fast).
		var pieces []io.Reader
		if len(data) <= 3*cdMaxLineLen {
			pieces = []io.Reader{iotest.OneByteReader(bytes.NewReader(data)), iotest.HalfReader(bytes.NewReader(data))}
		}
		for _, r := range pieces {
			again, line := readAllLog(t, r, maxLines)
			if len(again) != len(got) || line != lastLine {
				t.Fatalf("read in small pieces: %d results to line %d, in one piece %d to line %d", len(again), line, len(got), lastLine)
			}
			for i := range again {
				if again[i].rec != got[i].rec || again[i].line != got[i].line || (again[i].lerr == nil) != (got[i].lerr == nil) {
					t.Fatalf("read in small pieces, result %d differs: %+v vs %+v", i, again[i], got[i])
				}
			}
		}

		// What was read writes back and reads back the same.
		var buf bytes.Buffer
		w := NewLogWriter(&buf)
		var recs []Record
		for _, r := range got {
			if r.lerr == nil {
				if n, want := len(AppendRecord(nil, r.rec))-1, cdLineLen(r.rec.Time, len(r.rec.Interface), r.rec.Frame); n != want || n > cdMaxLineLen {
					t.Fatalf("%+v: AppendRecord writes %d bytes, cdLineLen says %d, the limit is %d", r.rec, n, want, cdMaxLineLen)
				}
				if err := w.Write(r.rec); err != nil {
					t.Fatalf("LogWriter refuses %+v, which LogReader read: %v", r.rec, err)
				}
				recs = append(recs, r.rec)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(buf.Bytes(), []byte{'\n'}); n != len(recs) {
			t.Fatalf("%d records written as %d lines", len(recs), n)
		}
		back, _ := readAllLog(t, &buf, len(recs)+1)
		if len(back) != len(recs) {
			t.Fatalf("%d records written, %d read back", len(recs), len(back))
		}
		for i, r := range back {
			if r.lerr != nil || r.rec != recs[i] || r.line != i+1 {
				t.Fatalf("record %d %+v read back as %+v (line %d, %v)", i, recs[i], r.rec, r.line, r.lerr)
			}
		}
	})
}
