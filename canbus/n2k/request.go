package n2k

import (
	"errors"
	"strconv"

	"go.einride.tech/can"
)

// Network-management PGNs and their default priorities (protocol.md §1.2 and §2.6; S1 YAML
// `priority:` 6 for 59392, 59904 and 60928).
const (
	PGNAcknowledgement PGN = 59392 // 0xE800, ISO Acknowledgement
	PGNRequest         PGN = 59904 // 0xEA00, ISO Request
	PGNAddressClaim    PGN = 60928 // 0xEE00, ISO Address Claim

	AcknowledgementPriority uint8 = 6
	RequestPriority         uint8 = 6
	AddressClaimPriority    uint8 = 6
)

// MaxPGN is the largest parameter group number: 18 bits, data page included (protocol.md §1.2;
// S1 059904/059392 yaml rangeMax 262143).
const MaxPGN PGN = 1<<18 - 1

// Errors of the decoders in this package. They are sentinels, so decoding bad input allocates
// nothing.
var (
	// ErrNotData: the frame is not an extended (29-bit) data frame, so no NMEA 2000 message.
	ErrNotData = errors.New("n2k: not a 29-bit data frame")
	// ErrWrongPGN: the frame carries another PGN than the decoder's.
	ErrWrongPGN = errors.New("n2k: frame carries another PGN")
	// ErrLength: the frame's data length is not one the PGN has.
	ErrLength = errors.New("n2k: data length out of range")
	// ErrPGNRange: a PGN field holds a number above MaxPGN.
	ErrPGNRange = errors.New("n2k: PGN field above 18 bits")
)

// parseData checks that f is an extended data frame of pgn with minLen to maxLen data bytes,
// and returns its identifier.
func parseData(f can.Frame, pgn PGN, minLen, maxLen uint8) (ID, error) {
	if !f.IsExtended || f.IsRemote || f.ID > can.MaxExtendedID {
		return ID{}, ErrNotData
	}
	id := ParseCANID(f.ID)
	if id.PGN != pgn {
		return id, ErrWrongPGN
	}
	if f.Length < minLen || f.Length > maxLen {
		return id, ErrLength
	}
	return id, nil
}

func putPGN(b []byte, p PGN) { b[0], b[1], b[2] = byte(p), byte(p>>8), byte(p>>16) }

func getPGN(b []byte) (PGN, error) {
	p := PGN(b[0]) | PGN(b[1])<<8 | PGN(b[2])<<16
	if p > MaxPGN {
		return 0, ErrPGNRange
	}
	return p, nil
}

// Request is an ISO Request (PGN 59904): a node asks for PGN.
type Request struct {
	PGN PGN
}

// Frame encodes r from src to dst (Broadcast asks every node). It has 3 data bytes, the PGN
// little-endian, "with no padding added to complete the single frame" (protocol.md §2.6; S1
// 059904-isoRequest.yaml).
func (r Request) Frame(src, dst uint8) can.Frame {
	f := can.Frame{
		ID:         ID{Priority: RequestPriority, PGN: PGNRequest, Source: src, Destination: dst}.CANID(),
		IsExtended: true,
		Length:     3,
	}
	putPGN(f.Data[:3], r.PGN&MaxPGN)
	return f
}

// ParseRequest decodes an ISO Request. It takes 3 to 8 data bytes: the standard length is 3, but
// some senders pad to 8 (S1 059904 sample 2, `00,ee,00,ff,ff,ff,ff,ff`); bytes after the third
// are ignored.
func ParseRequest(f can.Frame) (Request, error) {
	if _, err := parseData(f, PGNRequest, 3, 8); err != nil {
		return Request{}, err
	}
	p, err := getPGN(f.Data[:3])
	if err != nil {
		return Request{}, err
	}
	return Request{PGN: p}, nil
}

// AckControl is byte 0 of an ISO Acknowledgement (S1 lookup ISO_CONTROL; protocol.md §2.6).
type AckControl uint8

// The acknowledgement controls.
const (
	ACK          AckControl = 0
	NAK          AckControl = 1
	AccessDenied AckControl = 2
	AddressBusy  AckControl = 3
)

// String gives canboat's name of the control (S1 lookup ISO_CONTROL).
func (c AckControl) String() string {
	switch c {
	case ACK:
		return "ACK"
	case NAK:
		return "NAK"
	case AccessDenied:
		return "Access Denied"
	case AddressBusy:
		return "Address Busy"
	}
	return "AckControl(" + strconv.Itoa(int(c)) + ")"
}

// GroupFunctionNotAvailable is the Group Function of an acknowledgement that answers a plain
// ISO Request rather than a group function: the uint8 "not available" value (protocol.md §1.3;
// every S1 059392 sample carries 0xFF there, decoded as "~").
const GroupFunctionNotAvailable uint8 = 0xFF

// Ack is an ISO Acknowledgement (PGN 59392).
type Ack struct {
	Control       AckControl
	GroupFunction uint8 // GroupFunctionNotAvailable when answering an ISO Request
	PGN           PGN   // the PGN acknowledged or refused
}

// Frame encodes a from src to dst: control, group function, three reserved bytes 0xFF, the PGN
// little-endian; 8 bytes (protocol.md §2.6; S1 059392-isoAcknowledgement.yaml; reserved bits are
// 1s, S1 fieldtypes.yaml RESERVED).
func (a Ack) Frame(src, dst uint8) can.Frame {
	f := can.Frame{
		ID:         ID{Priority: AcknowledgementPriority, PGN: PGNAcknowledgement, Source: src, Destination: dst}.CANID(),
		IsExtended: true,
		Length:     8,
		Data:       can.Data{byte(a.Control), a.GroupFunction, 0xFF, 0xFF, 0xFF},
	}
	putPGN(f.Data[5:8], a.PGN&MaxPGN)
	return f
}

// ParseAck decodes an ISO Acknowledgement; it must have its 8 bytes. The reserved bytes are not
// checked. A control value outside the four known ones is kept as it is.
func ParseAck(f can.Frame) (Ack, error) {
	if _, err := parseData(f, PGNAcknowledgement, 8, 8); err != nil {
		return Ack{}, err
	}
	p, err := getPGN(f.Data[5:8])
	if err != nil {
		return Ack{}, err
	}
	return Ack{Control: AckControl(f.Data[0]), GroupFunction: f.Data[1], PGN: p}, nil
}

// IncomingRequest is a received ISO Request with its addressing.
type IncomingRequest struct {
	Request
	From        uint8 // the requester's source address
	Destination uint8 // the node's own address, or Broadcast
}

// Broadcast reports whether the request was sent to every node.
func (in IncomingRequest) Broadcast() bool { return in.Destination == Broadcast }

// ReplyTo is the destination of an addressed answer (a NAK, or a PDU1 PGN served on request):
// the requester, or Broadcast when the requester has no address (NullSource). The second rule is
// the J1939-21 convention for requests from the null address; the documents here are silent on
// it.
func (in IncomingRequest) ReplyTo() uint8 {
	if in.From == NullSource {
		return Broadcast
	}
	return in.From
}

// RequestAction is what a node does with a received frame, as AnswerRequest sees it.
type RequestAction uint8

// The actions.
const (
	// RequestIgnore: not an ISO Request, malformed, for another node, a request for 60928 (the
	// Claimer's), or a broadcast request for a PGN the node does not serve.
	RequestIgnore RequestAction = iota
	// RequestServe: send the requested PGN now (to in.ReplyTo() if it is a PDU1 PGN).
	RequestServe
	// RequestNAK: the request was addressed to the node for a PGN it does not serve; send the
	// returned NAK.
	RequestNAK
)

func (a RequestAction) String() string {
	switch a {
	case RequestIgnore:
		return "ignore"
	case RequestServe:
		return "serve"
	case RequestNAK:
		return "NAK"
	}
	return "RequestAction(" + strconv.Itoa(int(a)) + ")"
}

// AnswerRequest decides how the node at address self answers f. served reports whether the node
// sends a PGN. A request addressed to self for a PGN it does not serve gets a NAK (Ack control 1,
// group function 0xFF, the requested PGN) from self to the requester: the S1 059392 samples are
// such answers (`01,ff,ff,ff,ff,34,ff,00`, protocol.md §2.6). A broadcast request is never
// NAKed: only the nodes that have the PGN answer, as ISO 11783-3 / J1939-21 have it; otherwise
// every node would answer every broadcast request. A node without an address (self above 252,
// e.g. NullSource) answers nothing here.
//
// Requests for PGN 60928 are left to the Claimer, which answers them even without an address
// ("cannot claim"), so AnswerRequest ignores them.
//
// served is called only for requests that concern the node, and does not escape.
func AnswerRequest(f can.Frame, self uint8, served func(PGN) bool) (in IncomingRequest, action RequestAction, nak can.Frame) {
	id, err := parseData(f, PGNRequest, 3, 8)
	if err != nil || self > MaxAddress {
		return IncomingRequest{}, RequestIgnore, can.Frame{}
	}
	p, err := getPGN(f.Data[:3])
	if err != nil {
		return IncomingRequest{}, RequestIgnore, can.Frame{}
	}
	req := Request{PGN: p}
	in = IncomingRequest{Request: req, From: id.Source, Destination: id.Destination}
	if id.Destination != self && id.Destination != Broadcast || req.PGN == PGNAddressClaim {
		return in, RequestIgnore, can.Frame{}
	}
	switch {
	case served(req.PGN):
		return in, RequestServe, can.Frame{}
	case id.Destination == Broadcast:
		return in, RequestIgnore, can.Frame{}
	}
	return in, RequestNAK, Ack{Control: NAK, GroupFunction: GroupFunctionNotAvailable, PGN: req.PGN}.Frame(self, in.ReplyTo())
}
