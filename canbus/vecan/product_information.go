package vecan

import (
	"bytes"
	"encoding/binary"

	"github.com/lynxsim/lynxsim/canbus/n2k"
)

// PGN 126996 Product Information: a fast packet of 134 payload bytes, priority 6, sent on request
// (protocol.md §2.5, S1 126996-productInformation.yaml). Some devices end it after the serial code
// (S1 minLength 132).
const (
	PGNProductInformation       n2k.PGN = 126996
	ProductInformationPriority  uint8   = 6
	ProductInformationLength            = 134
	ProductInformationMinLength         = 132
	productStringLength                 = 32 // STRING_FIX of 256 bits
)

// ProductInformation is PGN 126996.
type ProductInformation struct {
	NMEA2000Version    uint16 // resolution 0.001: 2100 is version 2.100
	ProductCode        uint16
	ModelID            string // STRING_FIX 32 bytes each
	SoftwareVersion    string
	ModelVersion       string
	ModelSerial        string
	CertificationLevel uint8 // lookup CERTIFICATION_LEVEL; 0xFF: not available
	LoadEquivalency    uint8 // in LEN, 50 mA each; 0xFF: not available
}

// AppendPayload appends the 134 payload bytes to dst. Strings longer than 32 bytes are cut;
// shorter ones are padded with 0xFF, as velib does for fixed strings ("padded with 0xFF,
// apparently some n2k corrigendum", S7 ve_ostream.c veOutFixedStr) and as NMEA 2000's "unknown"
// byte reads in canboat (S1 fieldtypes.yaml STRING_FIX). It does not allocate when dst has room.
func (p ProductInformation) AppendPayload(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, p.NMEA2000Version)
	dst = binary.LittleEndian.AppendUint16(dst, p.ProductCode)
	for _, s := range [...]string{p.ModelID, p.SoftwareVersion, p.ModelVersion, p.ModelSerial} {
		dst = appendFixedString(dst, s, productStringLength)
	}
	return append(dst, p.CertificationLevel, p.LoadEquivalency)
}

// ParseProductInformation decodes a reassembled 126996 payload of at least 132 bytes; without the
// last two bytes CertificationLevel and LoadEquivalency read 0xFF. Strings end at the first 0x00,
// 0xFF or '@' and lose trailing spaces, as canboat reads them (S1 fieldtypes.yaml STRING_FIX and
// the decoded samples).
func ParseProductInformation(payload []byte) (ProductInformation, bool) {
	if len(payload) < ProductInformationMinLength {
		return ProductInformation{}, false
	}
	str := func(i int) string {
		at := 4 + i*productStringLength
		return parseFixedString(payload[at : at+productStringLength])
	}
	p := ProductInformation{
		NMEA2000Version:    binary.LittleEndian.Uint16(payload[0:2]),
		ProductCode:        binary.LittleEndian.Uint16(payload[2:4]),
		ModelID:            str(0),
		SoftwareVersion:    str(1),
		ModelVersion:       str(2),
		ModelSerial:        str(3),
		CertificationLevel: 0xFF,
		LoadEquivalency:    0xFF,
	}
	if len(payload) >= ProductInformationLength {
		p.CertificationLevel, p.LoadEquivalency = payload[132], payload[133]
	}
	return p, true
}

// appendFixedString appends s in exactly n bytes, cut or padded with 0xFF.
func appendFixedString(dst []byte, s string, n int) []byte {
	s = s[:min(len(s), n)]
	dst = append(dst, s...)
	for range n - len(s) {
		dst = append(dst, 0xFF)
	}
	return dst
}

// parseFixedString reads a STRING_FIX field.
func parseFixedString(b []byte) string {
	end := len(b)
	for i, c := range b {
		if c == 0x00 || c == 0xFF || c == '@' {
			end = i
			break
		}
	}
	return string(bytes.TrimRight(b[:end], " "))
}
