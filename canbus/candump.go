package canbus

// This file reads and writes the can-utils candump log format, the one
// `candump -L` (and `candump -l`) writes and `canplayer`, `log2asc` and
// `log2long` read:
//
//	(1700000000.123456) vcan0 19F21450#001C0A0700FF70FF
//
// The frame part follows can-utils lib.c: sprint_canframe for writing and
// parse_canframe for reading; the timestamp and field layout follow candump.c
// ("(%010llu.%06llu) %s " then the frame). Writing is byte-exact with
// can-utils so that logs produced by the simulator diff cleanly against logs
// captured on a real bus, and replay with canplayer.
//
// Deliberate differences from parse_canframe, which silently ignores most
// malformed input: this reader rejects 11-bit ids above 0x7FF, more than 8
// data bytes, odd hex digit counts, trailing text, CAN FD frames ("##") and the
// len8_dlc suffix ("_"), each with an error that names the problem, because a
// silently misread log is worse than a loud one in a test fixture.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"go.einride.tech/can"
)

// ErrFlag is CAN_ERR_FLAG from linux/can.h. A can.Frame whose ID has this bit
// set is an error frame: the remaining ID bits are the error class
// (linux/can/error.h) and the 8 data bytes carry the error detail. The
// project keeps error frames in can.Frame, exactly as Linux keeps them in
// struct can_frame, so that they flow through the same channels as data
// frames instead of needing a second type.
const ErrFlag = 0x20000000

// cdErrMask is CAN_ERR_MASK from linux/can.h: the error class bits that may
// accompany ErrFlag. sprint_canframe prints can_id & (CAN_ERR_MASK|CAN_ERR_FLAG).
const cdErrMask = 0x1FFFFFFF

// cdErrDLC is CAN_ERR_DLC from linux/can/error.h: the kernel always delivers
// error frames with 8 data bytes.
const cdErrDLC = 8

// cdMaxLineLen bounds a log line (without its line terminator). The longest
// line candump writes is well under 100 bytes; the bound only exists so that a
// binary file fed to the reader by mistake cannot make it buffer without limit.
const cdMaxLineLen = 4096

// cdMaxSeconds bounds the seconds part of a timestamp. 10^18 fits in an int64
// with room for the year-1 offset time.Time adds internally, so any accepted
// timestamp survives time.Unix and Time.Unix unchanged.
const cdMaxSeconds = 1_000_000_000_000_000_000

// cdErrTextLen is how much of a bad line LineError.Error quotes.
const cdErrTextLen = 60

// IsErrorFrame reports whether f is a CAN error frame, i.e. its ID carries
// ErrFlag. The flag is checked before anything else, as sprint_canframe in
// can-utils lib.c does, because an error frame's ID is not a bus identifier.
func IsErrorFrame(f can.Frame) bool {
	return f.ID&ErrFlag != 0
}

// Record is one line of a candump log: when a frame was seen, on which
// interface, and the frame itself.
type Record struct {
	// Time is when the frame was received. The log format has microsecond
	// precision; AppendRecord truncates finer detail and ParseRecord
	// returns UTC.
	Time time.Time
	// Interface is the CAN interface name, e.g. "vcan0". It must be
	// non-empty printable ASCII without spaces, because the log format
	// separates fields with single spaces.
	Interface string
	// Frame is the CAN frame. Error frames are represented as described at
	// ErrFlag.
	Frame can.Frame
}

// AppendRecord appends r to dst as one candump log line, including the
// trailing '\n', and returns the extended slice. It does not allocate when
// dst has enough capacity (about 60 bytes for a typical record), so a
// simulator can log every frame without garbage.
//
// The output is what candump -L prints for the same frame: "(%010d.%06d) ",
// the interface, a space, then the frame as sprint_canframe in can-utils
// lib.c formats it (3 uppercase hex digits for an 11-bit id, 8 for a 29-bit
// id or an error frame, '#', then "R" plus the DLC if non-zero for a remote
// frame, else the data bytes as uppercase hex).
//
// AppendRecord does not validate r; like sprint_canframe it masks the id to
// what the frame kind can carry and clamps Length to 8. LogWriter.Write
// validates first, so use it when the output must read back.
func AppendRecord(dst []byte, r Record) []byte {
	return cdAppendAfterStamp(cdAppendStamp(dst, r.Time), r)
}

// cdAppendStamp appends a record's "(seconds.microseconds) ".
func cdAppendStamp(dst []byte, t time.Time) []byte {
	dst = append(dst, '(')
	dst = cdAppendPadded(dst, t.Unix(), 10)
	dst = append(dst, '.')
	dst = cdAppendPadded(dst, int64(t.Nanosecond()/1000), 6)
	return append(dst, ')', ' ')
}

// cdAppendAfterStamp appends the rest of a record's line: interface, frame, newline.
func cdAppendAfterStamp(dst []byte, r Record) []byte {
	dst = append(dst, r.Interface...)
	dst = append(dst, ' ')
	dst = cdAppendFrame(dst, r.Frame)
	return append(dst, '\n')
}

const cdUpperHex = "0123456789ABCDEF"

// cdAppendPadded appends v in decimal, zero-padded to width like C's "%0*lld"
// (a '-' sign counts towards the width). strconv has no padding and fmt
// allocates, hence the hand-rolled version.
func cdAppendPadded(dst []byte, v int64, width int) []byte {
	u := uint64(v)
	if v < 0 {
		dst = append(dst, '-')
		u = uint64(-v) // also right for math.MinInt64, by two's complement
		width--
	}
	var buf [20]byte
	i := len(buf)
	for u >= 10 {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
	}
	i--
	buf[i] = byte('0' + u)
	for n := len(buf) - i; n < width; n++ {
		dst = append(dst, '0')
	}
	return append(dst, buf[i:]...)
}

// cdAppendFrame appends f in the can-utils compact ASCII format; see
// sprint_canframe in can-utils lib.c.
func cdAppendFrame(dst []byte, f can.Frame) []byte {
	var id uint32
	digits := 3
	switch {
	case IsErrorFrame(f):
		id, digits = f.ID&(ErrFlag|cdErrMask), 8
	case f.IsExtended:
		id, digits = f.ID&can.MaxExtendedID, 8
	default:
		id = f.ID & can.MaxID
	}
	for shift := 4 * (digits - 1); shift >= 0; shift -= 4 {
		dst = append(dst, cdUpperHex[(id>>uint(shift))&0xF])
	}
	dst = append(dst, '#')
	if f.IsRemote {
		// sprint_canframe: "print a given CAN 2.0B DLC if it's not zero".
		dst = append(dst, 'R')
		if f.Length > 0 && f.Length <= can.MaxDataLength {
			dst = append(dst, '0'+f.Length)
		}
		return dst
	}
	n := min(int(f.Length), can.MaxDataLength)
	for _, b := range f.Data[:n] {
		dst = append(dst, cdUpperHex[b>>4], cdUpperHex[b&0xF])
	}
	return dst
}

// ParseRecord parses one candump log line, without its line terminator.
//
// It accepts everything can-utils writes plus the input variations
// parse_canframe in can-utils lib.c accepts: lower-case hex, a '.' before any
// data byte, and "R0" for a remote frame without DLC. The seconds may have
// any number of digits; the fraction must have exactly 6 (microseconds). It
// rejects, with an error naming the problem, CAN FD frames ("##"), the
// len8_dlc suffix ("_"), 11-bit ids above 0x7FF, ids that are neither 3 nor
// 8 hex digits, odd data digit counts, more than 8 data bytes, error frames
// that are remote or do not carry 8 bytes, any trailing text, and a record
// whose line, as AppendRecord writes it, would exceed the 4096 bytes
// LogReader reads (an interface name of thousands of bytes).
//
// The only allocation on success is the Interface string, and not even that
// for common names such as "vcan0" or "can0".
func ParseRecord(line []byte) (Record, error) {
	return cdParseRecord(line, "")
}

// Parse errors shared by several checks. They are plain values so that the
// success path and the common error paths do not allocate.
var (
	cdErrMissingFields = errors.New(`missing fields: want "(seconds.microseconds) interface frame"`)
	cdErrBadTimeStart  = errors.New("bad timestamp: want '(' at the start of the line")
	cdErrBadTimeClose  = errors.New("bad timestamp: missing ')'")
	cdErrBadTimeDot    = errors.New("bad timestamp: want seconds '.' microseconds")
	cdErrBadTimeSecs   = errors.New("bad timestamp: seconds must be decimal digits")
	cdErrBadTimeRange  = errors.New("bad timestamp: seconds out of range")
	cdErrBadSeparator  = errors.New("bad field separator: fields must be separated by a single space")
	cdErrBadIfaceByte  = errors.New("bad interface name: want printable ASCII without spaces")
	cdErrTrailing      = errors.New("unexpected text after the frame (one record per line; candump -x extra fields are not supported)")
	cdErrNoHash        = errors.New("bad frame: missing '#' between CAN id and data")
	cdErrFD            = errors.New("CAN FD frame ('##') is not supported, only classic CAN")
	cdErrLen8DLC       = errors.New("len8_dlc suffix ('_') is not supported")
	cdErrOddDigits     = errors.New("odd number of hex digits in data")
	cdErrTooLong       = errors.New("data too long: more than 8 bytes (CAN FD is not supported)")
	cdErrRemoteDLC     = errors.New("bad remote frame: want 'R' optionally followed by one DLC digit 0-8")
	cdErrErrRemote     = errors.New("bad error frame: error frames cannot be remote frames")
	cdErrErrLen        = errors.New("bad error frame: want exactly 8 data bytes (CAN_ERR_DLC)")
	cdErrLineTooLong   = fmt.Errorf("line too long: more than %d bytes", cdMaxLineLen)
	cdErrRecordTooLong = fmt.Errorf("record too long: written back with its seconds padded to 10 digits, its line would exceed %d bytes", cdMaxLineLen)
)

// cdParseRecord is ParseRecord with a hint: if the interface name equals
// prevIface, that string is reused instead of allocating a new one. LogReader
// passes the previous record's name, which makes reading a single-bus log
// allocation-free.
func cdParseRecord(line []byte, prevIface string) (Record, error) {
	var r Record
	if len(line) == 0 {
		return r, cdErrMissingFields
	}
	if line[0] != '(' {
		return r, cdErrBadTimeStart
	}
	closeAt := bytes.IndexByte(line, ')')
	if closeAt < 0 {
		return r, cdErrBadTimeClose
	}
	t, err := cdParseTime(line[1:closeAt])
	if err != nil {
		return r, err
	}
	r.Time = t

	rest := line[closeAt+1:]
	if len(rest) == 0 {
		return r, cdErrMissingFields
	}
	if rest[0] != ' ' {
		return r, cdErrBadSeparator
	}
	rest = rest[1:]
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return r, cdErrMissingFields
	}
	iface, frame := rest[:sp], rest[sp+1:]
	if len(iface) == 0 || len(frame) == 0 || frame[0] == ' ' {
		return r, cdErrBadSeparator
	}
	for _, c := range iface {
		if c <= ' ' || c > '~' {
			return r, cdErrBadIfaceByte
		}
	}
	if bytes.IndexByte(frame, ' ') >= 0 {
		return r, cdErrTrailing
	}
	r.Frame, err = cdParseFrame(frame)
	if err != nil {
		return r, err
	}
	// The canonical line is at most cdTimePad bytes longer than this one (the seconds padded to
	// 10 digits; every other rewrite shortens), so only long lines need the exact length.
	if len(line) > cdMaxLineLen-cdTimePad && cdLineLen(r.Time, len(iface), r.Frame) > cdMaxLineLen {
		return Record{}, cdErrRecordTooLong
	}
	r.Interface = cdInternIface(iface, prevIface)
	return r, nil
}

// cdTimePad is how much longer AppendRecord can make a line than the one parsed: the seconds
// "1" become "0000000001".
const cdTimePad = 9

// cdParseTime parses "SECONDS.MICROSECONDS" (without the parentheses).
// candump.c prints "%010llu.%06llu"; older logs and hand-written fixtures
// may have fewer second digits, so any count is accepted, but the fraction
// must be 6 digits because anything else would be ambiguous (is ".5" half a
// second or 5 µs?).
func cdParseTime(b []byte) (time.Time, error) {
	dot := bytes.IndexByte(b, '.')
	if dot < 0 {
		return time.Time{}, cdErrBadTimeDot
	}
	secs, frac := b[:dot], b[dot+1:]
	if len(secs) == 0 {
		return time.Time{}, cdErrBadTimeSecs
	}
	var sec int64
	for _, c := range secs {
		if c < '0' || c > '9' {
			return time.Time{}, cdErrBadTimeSecs
		}
		sec = sec*10 + int64(c-'0')
		if sec >= cdMaxSeconds {
			return time.Time{}, cdErrBadTimeRange
		}
	}
	if len(frac) != 6 {
		return time.Time{}, fmt.Errorf("bad timestamp: want exactly 6 fraction digits (microseconds), got %d", len(frac))
	}
	var usec int64
	for _, c := range frac {
		if c < '0' || c > '9' {
			return time.Time{}, errors.New("bad timestamp: microseconds must be decimal digits")
		}
		usec = usec*10 + int64(c-'0')
	}
	return time.Unix(sec, usec*1000).UTC(), nil
}

// cdInternIface returns b as a string without allocating when it is the
// previous name or a common one; the switch on string(b) compiles to
// comparisons without a conversion.
func cdInternIface(b []byte, prev string) string {
	if prev != "" && string(b) == prev {
		return prev
	}
	switch string(b) {
	case "vcan0":
		return "vcan0"
	case "vcan1":
		return "vcan1"
	case "can0":
		return "can0"
	case "can1":
		return "can1"
	case "slcan0":
		return "slcan0"
	}
	return string(b)
}

// cdUnhex returns the value of an ASCII hex digit, or 0xFF if c is not one
// (asc2nibble in can-utils lib.c returns 16 for the same purpose).
func cdUnhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return 0xFF
}

// cdParseFrame parses the compact frame notation "ID#DATA"; see
// parse_canframe in can-utils lib.c for the grammar this follows.
func cdParseFrame(b []byte) (can.Frame, error) {
	var f can.Frame
	hash := bytes.IndexByte(b, '#')
	if hash < 0 {
		return f, cdErrNoHash
	}
	idText, data := b[:hash], b[hash+1:]
	// Check for "##" before judging the id, so that an FD frame is
	// reported as FD whatever its id looks like.
	if len(data) > 0 && data[0] == '#' {
		return f, cdErrFD
	}
	if len(idText) != 3 && len(idText) != 8 {
		return f, fmt.Errorf("bad CAN id %q: want 3 hex digits (11-bit) or 8 (29-bit or error frame)", idText)
	}
	var id uint32
	for _, c := range idText {
		v := cdUnhex(c)
		if v > 0xF {
			return f, fmt.Errorf("bad CAN id %q: invalid hex digit %q", idText, c)
		}
		id = id<<4 | uint32(v)
	}
	switch {
	case len(idText) == 3:
		// parse_canframe would take 0x800-0xFFF and let the kernel
		// mask them; an 11-bit bus cannot carry them, so refuse.
		if id > can.MaxID {
			return f, fmt.Errorf("bad CAN id %q: 11-bit id 0x%03X exceeds 0x7FF", idText, id)
		}
	case id&ErrFlag != 0:
		// 8 digits with CAN_ERR_FLAG: parse_canframe leaves
		// CAN_EFF_FLAG clear, so this is an error frame, not a
		// 29-bit id.
		if id&^(ErrFlag|cdErrMask) != 0 {
			return f, fmt.Errorf("bad CAN id %q: error frame id has bits outside CAN_ERR_FLAG|CAN_ERR_MASK", idText)
		}
	default:
		if id > can.MaxExtendedID {
			return f, fmt.Errorf("bad CAN id %q: 29-bit id 0x%08X exceeds 0x1FFFFFFF", idText, id)
		}
		f.IsExtended = true
	}
	f.ID = id

	if len(data) > 0 && (data[0] == 'R' || data[0] == 'r') {
		if f.ID&ErrFlag != 0 {
			return f, cdErrErrRemote
		}
		f.IsRemote = true
		switch len(data) {
		case 1:
		case 2:
			if data[1] < '0' || data[1] > '8' {
				return f, cdErrRemoteDLC
			}
			f.Length = data[1] - '0'
		default:
			if data[2] == '_' {
				return f, cdErrLen8DLC
			}
			return f, cdErrRemoteDLC
		}
		return f, nil
	}

	// Data bytes, each optionally preceded by '.', plus an optional
	// trailing '.': the DATA_SEPERATOR handling of parse_canframe.
	n := 0
	for i := 0; i < len(data); {
		if data[i] == '.' {
			i++
			if i == len(data) {
				break
			}
		}
		if data[i] == '_' {
			return f, cdErrLen8DLC
		}
		if n == can.MaxDataLength {
			return f, cdErrTooLong
		}
		hi := cdUnhex(data[i])
		if hi > 0xF {
			return f, fmt.Errorf("bad data: invalid hex digit %q", data[i])
		}
		if i+1 == len(data) {
			return f, cdErrOddDigits
		}
		lo := cdUnhex(data[i+1])
		if lo > 0xF {
			if data[i+1] == '.' || data[i+1] == '_' {
				return f, cdErrOddDigits
			}
			return f, fmt.Errorf("bad data: invalid hex digit %q", data[i+1])
		}
		f.Data[n] = hi<<4 | lo
		n++
		i += 2
	}
	f.Length = uint8(n)
	if f.ID&ErrFlag != 0 && f.Length != cdErrDLC {
		return f, cdErrErrLen
	}
	return f, nil
}

// cdCheckRecord reports why r cannot be written as a log line that reads
// back as the same Record, or nil if it can.
func cdCheckRecord(r Record) error {
	if r.Interface == "" {
		return errors.New("candump: empty interface name")
	}
	for i := 0; i < len(r.Interface); i++ {
		if c := r.Interface[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("candump: interface name %q: want printable ASCII without spaces", r.Interface)
		}
	}
	if s := r.Time.Unix(); s < 0 || s >= cdMaxSeconds {
		return fmt.Errorf("candump: time %v is outside the log format's range (1970 onwards)", r.Time)
	}
	f := r.Frame
	if f.Length > can.MaxDataLength {
		return fmt.Errorf("candump: frame length %d exceeds 8", f.Length)
	}
	// The reader refuses lines above cdMaxLineLen; AppendRecord pads the seconds to 10 digits,
	// so a record read from a shorter line can need a longer one.
	if n := cdLineLen(r.Time, len(r.Interface), f); n > cdMaxLineLen {
		return fmt.Errorf("candump: the line would be %d bytes, more than %d (interface name of %d bytes)", n, cdMaxLineLen, len(r.Interface))
	}
	if IsErrorFrame(f) {
		switch {
		case f.ID&^(ErrFlag|cdErrMask) != 0:
			return fmt.Errorf("candump: error frame id 0x%08X has bits outside CAN_ERR_FLAG|CAN_ERR_MASK", f.ID)
		case f.IsExtended || f.IsRemote:
			return errors.New("candump: error frame must be neither extended nor remote")
		case f.Length != cdErrDLC:
			return fmt.Errorf("candump: error frame length %d, want 8 (CAN_ERR_DLC)", f.Length)
		}
		return nil
	}
	if f.IsExtended && f.ID > can.MaxExtendedID {
		return fmt.Errorf("candump: 29-bit id 0x%X exceeds 0x1FFFFFFF", f.ID)
	}
	if !f.IsExtended && f.ID > can.MaxID {
		return fmt.Errorf("candump: 11-bit id 0x%X exceeds 0x7FF", f.ID)
	}
	return nil
}

// cdLineLen is the length of the line AppendRecord writes for a record of time t, an interface
// name of ifaceLen bytes and frame f, without the '\n', for a time not before 1970 and a Length
// of at most 8.
func cdLineLen(t time.Time, ifaceLen int, f can.Frame) int {
	secs := 1
	for v := t.Unix(); v >= 10; v /= 10 {
		secs++
	}
	n := len("(") + max(secs, 10) + len(".000000) ") + ifaceLen + len(" ") + 3 + len("#")
	if IsErrorFrame(f) || f.IsExtended {
		n += 5 // 8 id digits, not 3
	}
	switch {
	case !f.IsRemote:
		n += 2 * int(f.Length)
	case f.Length > 0:
		n += len("R0")
	default:
		n += len("R")
	}
	return n
}

// LineError describes a log line that could not be parsed. LogReader
// returns it and then carries on with the next line, so tools can count
// and skip bad lines instead of giving up on the whole log.
type LineError struct {
	// Line is the 1-based line number.
	Line int
	// Text is the offending line without its terminator; for an
	// over-long line only its first few kilobytes.
	Text string
	// Err is the reason.
	Err error
}

// Error returns `line N: reason: "text"`, with the text cut to 60 bytes so
// that a binary file does not flood the terminal.
func (e *LineError) Error() string {
	text := e.Text
	cut := false
	if len(text) > cdErrTextLen {
		n := cdErrTextLen
		// Do not split a UTF-8 sequence; %q would show it as \x bytes.
		for n > 0 && !utf8.RuneStart(text[n]) {
			n--
		}
		text, cut = text[:n], true
	}
	if cut {
		return fmt.Sprintf("line %d: %v: %q...", e.Line, e.Err, text)
	}
	return fmt.Sprintf("line %d: %v: %q", e.Line, e.Err, text)
}

// Unwrap returns the reason, so errors.Is works on it.
func (e *LineError) Unwrap() error { return e.Err }

// LogReader reads candump log records one line at a time.
type LogReader struct {
	br    *bufio.Reader
	line  int
	iface string // previous interface name, reused to avoid allocating
	err   error  // sticky: io.EOF or a read error, returned from now on
}

// NewLogReader returns a LogReader reading from r. Lines may end in "\n"
// or "\r\n"; lines longer than 4096 bytes are reported as LineErrors and
// skipped, so a wrong input file cannot make the reader buffer it whole.
func NewLogReader(r io.Reader) *LogReader {
	// +2 leaves room for "\r\n", so the length check below, not the
	// buffer size, decides what "too long" means.
	return &LogReader{br: bufio.NewReaderSize(r, cdMaxLineLen+2)}
}

// Next returns the next record, skipping blank lines. At the end of the
// input it returns io.EOF. A line that does not parse gives a *LineError;
// calling Next again continues with the following line. Any other error
// comes from the underlying reader and is returned by every later call.
func (r *LogReader) Next() (Record, error) {
	for {
		if r.err != nil {
			return Record{}, r.err
		}
		b, err := r.br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			r.line++
			lerr := &LineError{Line: r.line, Text: string(b), Err: cdErrLineTooLong}
			// Skip the rest of the line so that Next resumes at
			// the following one.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.br.ReadSlice('\n')
			}
			switch {
			case err == io.EOF:
				r.err = io.EOF
			case err != nil:
				r.err = fmt.Errorf("candump: reading after line %d: %w", r.line, err)
			}
			return Record{}, lerr
		case err == io.EOF:
			r.err = io.EOF
			if len(b) == 0 {
				return Record{}, io.EOF
			}
			// An unterminated last line is still a line.
		case err != nil:
			// A partial line is not parsed: it was cut by the I/O
			// error, not by its writer.
			r.err = fmt.Errorf("candump: reading after line %d: %w", r.line, err)
			return Record{}, r.err
		}
		r.line++
		b = bytes.TrimSuffix(b, []byte{'\n'})
		b = bytes.TrimSuffix(b, []byte{'\r'})
		// Length first, as for the lines that overflow the buffer above: a line longer than
		// cdMaxLineLen is an error whatever it holds, blanks included.
		if len(b) > cdMaxLineLen {
			return Record{}, &LineError{Line: r.line, Text: string(b), Err: cdErrLineTooLong}
		}
		if len(bytes.Trim(b, " \t")) == 0 {
			continue
		}
		rec, perr := cdParseRecord(b, r.iface)
		if perr != nil {
			return Record{}, &LineError{Line: r.line, Text: string(b), Err: perr}
		}
		r.iface = rec.Interface
		return rec, nil
	}
}

// Line returns the 1-based number of the line the last Next call read: the
// line of the record or LineError it returned, or the last line of the input
// after io.EOF. It is 0 before the first call.
func (r *LogReader) Line() int { return r.line }

// LogWriter writes candump log records through a buffer. Call Flush when
// done; like bufio.Writer, the first write error is returned by every later
// Write and Flush.
type LogWriter struct {
	bw *bufio.Writer
	// stamp is the formatted time of stampAt: the frames of one step share their time, and
	// formatting it was a third of a record's cost.
	stamp   []byte
	stampAt time.Time
}

// NewLogWriter returns a LogWriter writing to w.
func NewLogWriter(w io.Writer) *LogWriter {
	return &LogWriter{bw: bufio.NewWriter(w)}
}

// Write appends r to the log. It first checks that r can be written so that
// it reads back unchanged (non-empty interface name without spaces, time not
// before 1970, ids and lengths in range, error frames with 8 bytes, a line of
// at most 4096 bytes) and
// returns an error without writing anything if not: a log that canplayer
// misreads is worse than a refused record. Time is truncated to microseconds.
func (w *LogWriter) Write(r Record) error {
	if err := cdCheckRecord(r); err != nil {
		return err
	}
	// Formatting straight into bufio's free space avoids a copy and any
	// allocation while the record fits.
	if w.stamp == nil || r.Time != w.stampAt {
		w.stamp, w.stampAt = cdAppendStamp(w.stamp[:0], r.Time), r.Time
	}
	// A line longer than the buffer's free space would make append grow a new slice for it:
	// write out what is buffered first (the output is the same), so that logging allocates
	// nothing. The frame's text is at most an 8-digit id, '#' and 16 hex digits.
	const maxFrameText = 8 + 1 + 16
	if w.bw.Available() < len(w.stamp)+len(r.Interface)+len(" ")+maxFrameText+len("\n") && w.bw.Buffered() > 0 {
		if err := w.bw.Flush(); err != nil {
			return err
		}
	}
	_, err := w.bw.Write(cdAppendAfterStamp(append(w.bw.AvailableBuffer(), w.stamp...), r))
	return err
}

// Flush writes any buffered records to the underlying writer.
func (w *LogWriter) Flush() error {
	return w.bw.Flush()
}
