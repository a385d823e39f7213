package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus"
)

var update = flag.Bool("update", false, "rewrite golden files")

// decodeFile decodes testdata/name with format and returns the output and the decoder.
func decodeFile(t *testing.T, name string, format func([]byte, *Message) []byte) ([]byte, *Decoder, int) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	r := canbus.NewLogReader(f)
	d := New()
	var out []byte
	bad := 0
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bad++
			continue
		}
		d.Decode(rec, func(m *Message) {
			out = format(out, m)
			out = append(out, '\n')
		})
	}
	return out, d, bad
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./canbus/decode -update to create it")
	assert.Equal(t, string(want), string(got))
}

// The sample holds one of every kind: the MG guide's VREG request, reply and NACK (S2 p.21), the
// MG address claim (limits.md §7, L5), canboat's 127508 sample, a 127506 fast packet interleaved
// with another source's, a NAK, an unknown register, an error frame, CAN-bus BMS frames, battery-bus
// frames of every kind (the last a Status with every status bit set), a garbage line, and a
// fast packet cut short by a new sequence from the same source.
func TestDecodeGolden(t *testing.T) {
	text, d, bad := decodeFile(t, "sample.log", AppendText)
	golden(t, "sample.txt", text)
	assert.Equal(t, 1, bad)
	st := d.Stats()
	assert.Equal(t, uint64(36), st.Frames)
	assert.Equal(t, uint64(1), st.ErrorFrames)
	assert.Equal(t, uint64(2), d.FastStats().Completed)
	assert.Equal(t, uint64(1), d.FastStats().SequenceChange, "the broken fast packet is dropped")

	js, _, _ := decodeFile(t, "sample.log", AppendJSON)
	golden(t, "sample.jsonl", js)
	for _, line := range bytes.Split(bytes.TrimSpace(js), []byte("\n")) {
		var v map[string]any
		require.NoError(t, json.Unmarshal(line, &v), "%s", line)
	}
}

// The S2 p.21 examples decode to what the guide says they are.
func TestDecodeMGExamples(t *testing.T) {
	d := New()
	var got []Message
	for _, line := range []string{
		"(1.000000) vecan 1CEF5020#669901000201FFFF",
		"(1.000000) vecan 1CEFFF50#6699020100000401",
		"(1.000000) vecan 1CEF2050#6699020002010080",
	} {
		rec, err := canbus.ParseRecord([]byte(line))
		require.NoError(t, err)
		d.Decode(rec, func(m *Message) {
			c := *m
			c.Fields = append([]Field(nil), m.Fields...)
			got = append(got, c)
		})
	}
	require.Len(t, got, 3)
	assert.Equal(t, "VREG Request", got[0].Name)
	assert.Equal(t, "0x0102 VE_REG_APP_VER", got[0].Fields[0].Text)
	assert.Equal(t, uint8(0x20), got[0].Source)
	assert.Equal(t, uint8(0x50), got[0].Destination)
	assert.Equal(t, uint16(0x0102), got[1].Register)
	assert.Equal(t, uint32(0x01040000), got[1].Raw, "identifier 0, version 0x010400")
	assert.Equal(t, "VREG Ack", got[2].Name)
	assert.Contains(t, got[2].Fields[1].Text, "0x8000")
}

func BenchmarkDecodeJSON(b *testing.B) {
	rec, err := canbus.ParseRecord([]byte("(1725883200.040000) vecan 19F21450#001C0A0700FF70FF"))
	require.NoError(b, err)
	d := New()
	var out []byte
	emit := func(m *Message) { out = AppendJSON(out[:0], m) }
	b.ReportAllocs()
	for b.Loop() {
		d.Decode(rec, emit)
	}
}

// FuzzDecode: any record decodes without panicking, and its text and JSON forms are produced;
// the JSON is valid.
func FuzzDecode(f *testing.F) {
	for _, line := range []string{
		"(1.000000) vecan 19F21450#001C0A0700FF70FF",
		"(1.000000) vecan 19F21250#400B00000057FFFF",
		"(1.000000) vecan 1CEFFF50#6699FF0F3D22FFFF",
		"(1.000000) vecan 1DEFFF50#40086699100A4C59",
		"(1.000000) can1 35A#AAAAAAAAAAAAAAAA",
		"(1.000000) batbus 00B11101#E90CE90CFA00FA00",
		"(1.000000) vecan 20000004#0004000000000000",
	} {
		rec, err := canbus.ParseRecord([]byte(line))
		require.NoError(f, err)
		fr := rec.Frame
		f.Add(fr.ID, fr.Length, fr.Data[:], fr.IsExtended, fr.IsRemote)
	}
	d := New()
	f.Fuzz(func(t *testing.T, id uint32, length uint8, data []byte, ext, remote bool) {
		var rec canbus.Record
		rec.Interface = "vecan"
		rec.Frame.ID, rec.Frame.Length, rec.Frame.IsExtended, rec.Frame.IsRemote = id, length%9, ext, remote
		copy(rec.Frame.Data[:], data)
		d.Decode(rec, func(m *Message) {
			_ = AppendText(nil, m)
			js := AppendJSON(nil, m)
			if !json.Valid(js) {
				t.Fatalf("invalid JSON %s", js)
			}
		})
	})
}
