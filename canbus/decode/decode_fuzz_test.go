package decode

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/batbus"
	"github.com/lynxsim/lynxsim/canbus/n2k"
)

// fuzzIfaces are the interfaces a FuzzDecodeStream record can come from: two VE.Cans (so that
// GXView.Combined and per-interface reassembly are exercised), a CAN-bus BMS port and a battery
// bus.
var fuzzIfaces = [4]string{"vecan", "vecan2", "can1", "batbus"}

// fuzzSteps are the time steps between records: from none to an hour, so that fast-packet
// timeouts happen now and then.
var fuzzSteps = [8]time.Duration{0, time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2 * time.Second, time.Hour}

// fuzzRecordLen is the size of one record in FuzzDecodeStream's input.
const fuzzRecordLen = 14

// fuzzRecords turns the fuzzer's bytes into the records a LogReader can give, 14 bytes a record:
//
//	byte 0      bits 0–1 the interface (fuzzIfaces); bit 2 a 29-bit id; bit 3 a remote frame;
//	            bit 4 an error frame (the id then is its class); bits 5–7 the time step (fuzzSteps)
//	bytes 1–4   the id, big-endian, masked to what the frame kind carries
//	byte 5      the length, modulo 9
//	bytes 6–13  the data
func fuzzRecords(b []byte) []canbus.Record {
	var out []canbus.Record
	at := time.Unix(1725883200, 0).UTC()
	for ; len(b) >= fuzzRecordLen; b = b[fuzzRecordLen:] {
		at = at.Add(fuzzSteps[b[0]>>5])
		f := can.Frame{ID: binary.BigEndian.Uint32(b[1:5]), Length: b[5] % 9}
		copy(f.Data[:], b[6:14])
		switch {
		case b[0]&0x10 != 0:
			f.ID = canbus.ErrFlag | f.ID&can.MaxExtendedID
			f.Length = 8
		case b[0]&0x04 != 0:
			f.ID &= can.MaxExtendedID
			f.IsExtended = true
			f.IsRemote = b[0]&0x08 != 0
		default:
			f.ID &= can.MaxID
			f.IsRemote = b[0]&0x08 != 0
		}
		if f.IsRemote {
			f.Data = can.Data{}
		}
		out = append(out, canbus.Record{Time: at, Interface: fuzzIfaces[b[0]&3], Frame: f})
	}
	return out
}

// validRunes is s with each byte that is not valid UTF-8 replaced by U+FFFD, as appendJSONString
// writes it and encoding/json reads it.
func validRunes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += n
	}
	return b.String()
}

// oneLine reports whether s can go in one line of a terminal: valid UTF-8 without control
// characters.
func oneLine(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) {
			return false
		}
	}
	return true
}

// FuzzDecodeStream feeds any sequence of frames, on four interfaces, to one Decoder and one GXView,
// as `lynxsim decode` and `lynxsim monitor` do, and checks every message and the view:
//
//   - nothing panics; every message has the record's time, interface and CAN id, and either a
//     name and fields or an error;
//   - the text form is one printable line that starts with the time and interface; field names
//     are unique within a message;
//   - the JSON form is valid and says the same: timestamp, interface, canId, the error or every
//     field (null when not available or not finite, the text for text fields, else the number);
//   - the counters add up: frames = messages + pending, the undecoded and error-frame counts,
//     and the fast-packet ledgers of FastStats over the frames that went to reassembly;
//   - the GX view lists each (interface, source) once, in order; each device's paths are sorted,
//     unique and match Get; no value is infinite, and every value prints on one line;
//   - Combined agrees with the devices: the BMS count, the allow flags, who blocks, and the
//     lowest limits with their sources.
//
// Seeds: testdata/fuzz/FuzzDecodeStream (testdata/sample.log among them).
func FuzzDecodeStream(f *testing.F) {
	// A 127508 Battery Status and a two-frame 127506 DC Detailed Status from 0x50.
	f.Add([]byte{
		0x24, 0x19, 0xF2, 0x14, 0x50, 8, 0x00, 0x1C, 0x0A, 0x07, 0x00, 0xFF, 0x70, 0xFF,
		0x24, 0x19, 0xF2, 0x12, 0x50, 8, 0x40, 0x0B, 0x00, 0x00, 0x00, 0x57, 0xFF, 0xFF,
		0x24, 0x19, 0xF2, 0x12, 0x50, 8, 0x41, 0x00, 0xFF, 0xFF, 0x30, 0x02, 0xFF, 0xFF,
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		recs := fuzzRecords(data)
		d := New()
		g := NewGXView()
		var messages, undecoded, errorFrames, fastFrames uint64
		for _, rec := range recs {
			if canbus.IsErrorFrame(rec.Frame) {
				errorFrames++
			} else if _, _, isBatbus := batbus.Split(rec.Frame); rec.Frame.IsExtended && !isBatbus && n2k.IsFast(n2k.ParseCANID(rec.Frame.ID).PGN) {
				fastFrames++
			}
			d.Decode(rec, func(m *Message) {
				messages++
				if m.Err != "" {
					undecoded++
				}
				checkMessage(t, rec, m)
				g.Apply(m)
			})
		}

		st := d.Stats()
		if st.Frames != uint64(len(recs)) || st.Frames != st.Messages+st.Pending || st.Messages != messages ||
			st.Undecoded != undecoded || st.ErrorFrames != errorFrames {
			t.Fatalf("stats %+v: %d frames, %d messages, %d undecoded, %d error frames", st, len(recs), messages, undecoded, errorFrames)
		}
		fs := d.FastStats()
		if fs.Frames != fastFrames || fs.Frames != fs.Ignored+fs.BadLength+fs.Oversize+fs.Repeated+fs.Orphans+fs.Accepted ||
			fs.Started != fs.Completed+fs.LostFrame+fs.OutOfOrder+fs.SequenceChange+fs.Timeout+fs.Evicted+fs.InProgress {
			t.Fatalf("FastStats %+v after %d fast-packet frames: the ledgers do not balance", fs, fastFrames)
		}
		if st.Pending != fs.Frames-fs.Completed {
			t.Fatalf("%d frames pending, but %d fast-packet frames completed %d messages", st.Pending, fs.Frames, fs.Completed)
		}

		checkView(t, g)
	})
}

func checkMessage(t *testing.T, rec canbus.Record, m *Message) {
	t.Helper()
	if !m.Time.Equal(rec.Time) || m.Interface != rec.Interface || m.CANID != rec.Frame.ID {
		t.Fatalf("%+v decoded as a message at %v on %s, id %08X", rec, m.Time, m.Interface, m.CANID)
	}
	if m.Name == "" || (m.Err != "" && len(m.Fields) != 0) {
		t.Fatalf("%v: message %q with error %q and %d fields", rec.Frame, m.Name, m.Err, len(m.Fields))
	}
	names := map[string]bool{}
	for _, fl := range m.Fields {
		if fl.Name == "" || names[fl.Name] {
			t.Fatalf("%v: %s has field %q twice (or unnamed): %+v", rec.Frame, m.Name, fl.Name, m.Fields)
		}
		names[fl.Name] = true
	}

	text := string(AppendText(nil, m))
	prefix := string(appendTime(nil, m)) + " " + rec.Interface + " "
	if !strings.HasPrefix(text, prefix) || !oneLine(text) {
		t.Fatalf("%v: text %q is not one printable line starting with %q", rec.Frame, text, prefix)
	}

	js := AppendJSON(nil, m)
	var got struct {
		Timestamp string                     `json:"timestamp"`
		Interface string                     `json:"interface"`
		CANID     uint32                     `json:"canId"`
		Error     *string                    `json:"error"`
		Fields    map[string]json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatalf("%v: JSON %s: %v", rec.Frame, js, err)
	}
	if ts, err := time.Parse("2006-01-02T15:04:05.000000Z", got.Timestamp); err != nil || !ts.Equal(m.Time.Truncate(time.Microsecond)) {
		t.Fatalf("JSON timestamp %q, the message's time %v (%v)", got.Timestamp, m.Time, err)
	}
	if got.Interface != validRunes(m.Interface) || got.CANID != m.CANID {
		t.Fatalf("JSON %s for a message on %s, id %d", js, m.Interface, m.CANID)
	}
	if m.Err != "" {
		if got.Error == nil || *got.Error != validRunes(m.Err) || got.Fields != nil {
			t.Fatalf("JSON %s for error %q", js, m.Err)
		}
		return
	}
	if got.Error != nil || len(got.Fields) != len(m.Fields) {
		t.Fatalf("JSON %s has %d fields, the message %d", js, len(got.Fields), len(m.Fields))
	}
	for _, fl := range m.Fields {
		raw := got.Fields[validRunes(fl.Name)]
		var want string
		switch {
		case fl.NA || (fl.Text == "" && (math.IsNaN(fl.Value) || math.IsInf(fl.Value, 0))):
			want = "null"
		case fl.Text != "":
			var s string
			if err := json.Unmarshal(raw, &s); err != nil || s != validRunes(fl.Text) {
				t.Fatalf("field %s: JSON %s for text %q", fl.Name, raw, fl.Text)
			}
			continue
		default:
			v, err := strconv.ParseFloat(string(raw), 64)
			if err != nil || v != fl.Value {
				t.Fatalf("field %s: JSON %s for %v", fl.Name, raw, fl.Value)
			}
			continue
		}
		if string(raw) != want {
			t.Fatalf("field %s: JSON %s, want %s", fl.Name, raw, want)
		}
	}
}

func checkView(t *testing.T, g *GXView) {
	t.Helper()
	devs := g.Devices()
	ifaces := map[string]bool{}
	for i, dev := range devs {
		ifaces[dev.Interface] = true
		if i > 0 {
			p := devs[i-1]
			if p.Interface > dev.Interface || (p.Interface == dev.Interface && p.Source >= dev.Source) {
				t.Fatalf("devices out of order or twice: %s/%d then %s/%d", p.Interface, p.Source, dev.Interface, dev.Source)
			}
		}
		paths := dev.Paths()
		if !slices.IsSortedFunc(paths, func(a, b PathValue) int { return strings.Compare(a.Path, b.Path) }) {
			t.Fatalf("paths not sorted: %v", paths)
		}
		for j, p := range paths {
			if j > 0 && paths[j-1].Path == p.Path {
				t.Fatalf("path %s twice", p.Path)
			}
			if got, ok := dev.Get(p.Path); !ok || got.Path != p.Path || got.Text != p.Text || !(got.Value == p.Value || math.IsNaN(got.Value) && math.IsNaN(p.Value)) {
				t.Fatalf("Paths has %+v, Get gives %+v, %v", p, got, ok)
			}
			if !strings.HasPrefix(p.Path, "/") || math.IsInf(p.Value, 0) {
				t.Fatalf("device %d: path %+v", dev.Source, p)
			}
			if s := p.String(); s == "" || !oneLine(s) {
				t.Fatalf("device %d: %s shows as %q, not one printable line", dev.Source, p.Path, s)
			}
		}
	}
	for iface := range ifaces {
		c, ok := g.Combined(iface)
		var bmses int
		allowC, allowD := true, true
		var blocking []uint8
		for _, dev := range devs {
			if dev.Interface != iface {
				continue
			}
			if _, isBMS := dev.Get("/State"); !isBMS {
				continue
			}
			bmses++
			atc, okc := dev.Get("/Io/AllowToCharge")
			atd, okd := dev.Get("/Io/AllowToDischarge")
			c1, d1 := okc && atc.Value == 1, okd && atd.Value == 1
			allowC, allowD = allowC && c1, allowD && d1
			if !c1 || !d1 {
				blocking = append(blocking, dev.Source)
			}
			for _, lim := range []struct {
				path string
				got  PathValue
				from uint8
			}{{"/Info/MaxChargeVoltage", c.ChargeVolts, c.ChargeVoltsFrom}, {"/Info/MaxChargeCurrent", c.ChargeAmps, c.ChargeAmpsFrom},
				{"/Info/MaxDischargeCurrent", c.DischargeAmps, c.DischargeAmpsFrom}} {
				if p, ok := dev.Get(lim.path); ok && !math.IsNaN(p.Value) && (lim.got.Path == "" || p.Value < lim.got.Value) {
					t.Fatalf("%s: Combined's lowest %s is %+v from %d, but %d has %v", iface, lim.path, lim.got, lim.from, dev.Source, p.Value)
				}
			}
		}
		if c.BMSes != bmses || ok != (bmses >= 2) || c.AllowCharge != allowC || c.AllowDischarge != allowD || !slices.Equal(c.Blocking, blocking) {
			t.Fatalf("%s: Combined %+v, %v; the devices give %d BMSes, charge %v, discharge %v, blocking %v", iface, c, ok, bmses, allowC, allowD, blocking)
		}
	}
}

// The fuzz record layout must stay what the seed files were written for.
func TestFuzzRecordsLayout(t *testing.T) {
	recs := fuzzRecords(bytes.Repeat([]byte{0xB5, 0xFF, 0xFF, 0xFF, 0xFF, 9, 1, 2, 3, 4, 5, 6, 7, 8}, 2))
	if len(recs) != 2 || recs[0].Interface != "vecan2" || !canbus.IsErrorFrame(recs[0].Frame) || recs[0].Frame.Length != 8 ||
		recs[1].Time.Sub(recs[0].Time) != time.Second {
		t.Fatalf("%+v", recs)
	}
}
