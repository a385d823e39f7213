package decode

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// AppendText appends m as one line for people, without the newline:
//
//	(1725883200.020000) vecan 127508 Battery Status 0x50→255: instance=0 voltage=26.48 V …
func AppendText(dst []byte, m *Message) []byte {
	dst = appendTime(dst, m)
	dst = append(dst, ' ')
	dst = append(dst, m.Interface...)
	dst = append(dst, ' ')
	if m.PGN != 0 {
		dst = strconv.AppendUint(dst, uint64(m.PGN), 10)
		dst = append(dst, ' ')
	}
	dst = append(dst, m.Name...)
	if m.Protocol == ProtoN2K || m.Protocol == ProtoVREG {
		dst = append(dst, " 0x"...)
		dst = appendHex2(dst, m.Source)
		dst = append(dst, "→"...)
		dst = strconv.AppendUint(dst, uint64(m.Destination), 10)
	} else if m.Protocol == ProtoBatteryBus {
		dst = append(dst, " battery "...)
		dst = strconv.AppendUint(dst, uint64(m.Source), 10)
	}
	dst = append(dst, ':')
	if m.Err != "" {
		dst = append(dst, " ("...)
		dst = appendTextValue(dst, m.Err)
		dst = append(dst, ") data="...)
		return appendHexBytes(dst, m.Data)
	}
	for i := range m.Fields {
		f := &m.Fields[i]
		dst = append(dst, ' ')
		dst = append(dst, f.Name...)
		dst = append(dst, '=')
		switch {
		case f.NA:
			dst = append(dst, "n/a"...)
			continue
		case f.Text != "":
			dst = appendTextValue(dst, f.Text)
			continue
		}
		dst = appendNumber(dst, f.Value)
		if f.Unit != "" {
			dst = append(dst, ' ')
			dst = append(dst, f.Unit...)
		}
	}
	return dst
}

// AppendJSON appends m as one JSON object, without the newline, in the spirit of canboat's
// analyzer -json: the fields as an object of name to value (a number, a string, or null when not
// available); units are those of AppendText and the field list in docs.
func AppendJSON(dst []byte, m *Message) []byte {
	dst = append(dst, `{"timestamp":"`...)
	dst = m.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
	dst = append(dst, `","interface":`...)
	dst = appendJSONString(dst, m.Interface)
	dst = append(dst, `,"protocol":"`...)
	dst = append(dst, m.Protocol.String()...)
	dst = append(dst, `","canId":`...)
	dst = strconv.AppendUint(dst, uint64(m.CANID), 10)
	if m.Protocol == ProtoN2K || m.Protocol == ProtoVREG {
		dst = append(dst, `,"pgn":`...)
		dst = strconv.AppendUint(dst, uint64(m.PGN), 10)
		dst = append(dst, `,"prio":`...)
		dst = strconv.AppendUint(dst, uint64(m.Priority), 10)
		dst = append(dst, `,"src":`...)
		dst = strconv.AppendUint(dst, uint64(m.Source), 10)
		dst = append(dst, `,"dst":`...)
		dst = strconv.AppendUint(dst, uint64(m.Destination), 10)
	} else if m.Protocol == ProtoBatteryBus {
		dst = append(dst, `,"src":`...)
		dst = strconv.AppendUint(dst, uint64(m.Source), 10)
	}
	dst = append(dst, `,"description":`...)
	dst = appendJSONString(dst, m.Name)
	if m.Err != "" {
		dst = append(dst, `,"error":`...)
		dst = appendJSONString(dst, m.Err)
		dst = append(dst, `,"data":"`...)
		dst = appendHexBytes(dst, m.Data)
		return append(dst, `"}`...)
	}
	dst = append(dst, `,"fields":{`...)
	for i := range m.Fields {
		f := &m.Fields[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, f.Name)
		dst = append(dst, ':')
		switch {
		case f.NA:
			dst = append(dst, "null"...)
		case f.Text != "":
			dst = appendJSONString(dst, f.Text)
		default:
			dst = appendJSONNumber(dst, f.Value)
		}
	}
	return append(dst, "}}"...)
}

func appendTime(dst []byte, m *Message) []byte {
	dst = append(dst, '(')
	us := m.Time.UnixMicro()
	sec, frac := us/1e6, us%1e6
	if frac < 0 {
		sec, frac = sec-1, frac+1e6
	}
	dst = strconv.AppendInt(dst, sec, 10)
	dst = append(dst, '.')
	for div := int64(100000); div > 0; div /= 10 {
		dst = append(dst, byte('0'+frac/div%10))
	}
	return append(dst, ')')
}

// appendTextValue appends a text field as it is when it is printable on one line, and else
// Go-quoted ("Lynx\nIon"): strings from the wire (model ids, serial numbers) may hold newlines,
// terminal escapes or bytes that are not UTF-8, and one message must stay one line.
func appendTextValue(dst []byte, s string) []byte {
	if printable(s) {
		return append(dst, s...)
	}
	return strconv.AppendQuote(dst, s)
}

// printable reports whether s is valid UTF-8 without control characters (C0, DEL, C1).
func printable(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7F {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || (r >= 0x80 && r < 0xA0) {
			return false
		}
		i += size
	}
	return true
}

// appendNumber writes the shortest decimal that reads back as v, so that 25.88 stays 25.88.
func appendNumber(dst []byte, v float64) []byte {
	return strconv.AppendFloat(dst, v, 'f', -1, 64)
}

func appendJSONNumber(dst []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, v, 'f', -1, 64)
}

const hexDigits = "0123456789ABCDEF"

func appendHex2(dst []byte, b uint8) []byte { return append(dst, hexDigits[b>>4], hexDigits[b&15]) }

func appendHexBytes(dst []byte, b []byte) []byte {
	for _, x := range b {
		dst = appendHex2(dst, x)
	}
	return dst
}

// appendJSONString quotes s for JSON, escaping what JSON requires and replacing invalid UTF-8
// (strings from the wire are not to be trusted).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20:
				dst = append(dst, `\u00`...)
				dst = appendHex2(dst, c)
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
