// Package vecan owns the VE.Can application layer the Lynx Ion BMS speaks to a GX: the NMEA 2000
// PGNs it sends and Victron's VREG registers on PGN 61184. Codecs convert between physical units
// (volts, amps, kelvin, percent) and wire values here and nowhere else.
//
//   - PGN payloads: 127508 Battery Status (a single frame), and the fast-packet payloads of 127506
//     DC Detailed Status, 126996 Product Information and 127513 Battery Configuration Status.
//     Splitting payloads into frames and reassembling them is canbus/n2k's job.
//   - Identity: the Victron "Lynx Ion BMS" and MG "Master LV" presentations (changelog 1.35-02):
//     NAME fields and Product Information.
//   - VREG: the register table as data (Registers, LookupRegister, TableFor a firmware version),
//     the Server that answers requests and commands, the Publisher that broadcasts periodic and
//     changed registers, and the client frames tools use (RequestFrame, CommandFrame, MatchReply).
//
// Nothing here reads the wall clock: time is a time.Duration passed in. The per-frame paths
// (Server.Handle, Publisher.Step, the payload codecs) do not allocate when given room.
//
// Sources: ../shared/protocol.md §2 and §3 (S1 canboat, S2 MG Master LV communication guide,
// S3/S4/S7 velib), limits.md §7 (L5), and the changelog items cited where they apply.
package vecan
