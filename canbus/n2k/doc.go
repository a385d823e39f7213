// Package n2k owns the NMEA 2000 (ISO 11783) transport that VE.Can is built on, below any
// application PGN:
//
//   - the 29-bit identifier and its priority, PGN, source and destination (id.go);
//   - the 64-bit NAME of PGN 60928 and its fields (name.go);
//   - address claiming with NAME arbitration, moving on when it loses, "cannot claim" when no
//     address is left, and answering requests for the claim (claim.go, Claimer);
//   - ISO Request (59904) and ISO Acknowledgement (59392), with a helper that serves requests for
//     the PGNs a node sends and NAKs the rest (request.go);
//   - fast-packet framing: which PGNs use it, sending with a sequence counter per PGN, and
//     reassembly per source, PGN and destination with timeouts and counters (fastpacket.go);
//   - the Heartbeat (126993) codec (heartbeat.go).
//
// Application PGNs (127508, 127506, 126996, VREG on 61184) live in package vecan, which builds
// on this one.
//
// Everything here is a value or a state machine stepped by its caller: no goroutines, no wall
// clock (time is a time.Duration since start, passed in), and no allocation on the paths a node
// runs per frame once it has warmed up. Bad input is reported, never a panic.
//
// Sources, cited throughout as in ../shared/protocol.md (S1 canboat, S2 MG Master LV
// communication guide, S7 velib, S15 GX manuals) and ../shared/limits.md (L5 MG application
// note "Tracking MG device on NMEA2000 CAN bus"). Where the sources are silent, the comment says
// what was assumed and why.
package n2k
