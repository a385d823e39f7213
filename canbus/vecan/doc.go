// Package vecan owns the VE.Can application layer the Lynx Ion BMS speaks to a GX: the NMEA 2000
// PGNs it sends and Victron's VREG registers on PGN 61184. Codecs convert between physical units
// (volts, amps, kelvin, percent) and wire values here and nowhere else.
//
// Sources: ../shared/protocol.md §2 and §3 (S1 canboat, S2 MG Master LV communication guide,
// S3/S7 velib).
package vecan
