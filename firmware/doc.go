// Package firmware owns the Lynx Ion BMS firmware releases v1.07 to v1.38: the Version type
// (parsing, ordering, the VE_REG_APP_VER encoding), the release list with dates, the changelog
// items as data, and the per-version Profile that every version-dependent behaviour of lynxsim
// asks (Profile.Has with a changelog-item id such as "1.25-05").
//
// It imports nothing of lynxsim's: every other package may depend on it.
package firmware
