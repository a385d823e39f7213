package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// badRow is one wrong command line. In args and want, {fx} is the directory of input fixtures
// (never written to) and {out} a directory of the row's own for outputs, which holds one file,
// keep.log, that no failing command may change; nothing else may appear in it.
type badRow struct {
	name string
	args []string
	// code is the exit status: 0 here means 2, a usage mistake. 1 only with why, the reason the
	// failure is not the user's input.
	code int
	why  string
	want []string // substrings of the one line on stderr: the flag or file, and what is wrong
	// notRoot: the row needs file permissions, which root does not have.
	notRoot bool
	// udp: the row needs a UDP multicast bus of its own (port), skipped on a machine without one.
	udp string
}

const keepContent = "(1725883200.000000) vecan 18EEFF50#0102\n"

// badFixtures writes the input files: logs, scenario files, CSV profiles, a directory where a file
// is wanted, a file where a directory is wanted.
func badFixtures(t *testing.T) string {
	fx := t.TempDir()
	files := map[string]string{
		"good.log":         "(1725883200.000000) batbus 18EEFF50#0102\n",
		"empty.log":        "",
		"garbage.bin":      "garbage\x00\x01\xff\xfe\n\x89PNG\r\n\x1a\n",
		"trunc.log":        "(1725883200.000000) batbus 18EEFF5",
		"badts.log":        "(1725883200.0 batbus 123#00\n",
		"mixed.log":        "(1725883200.000000) batbus 18EEFF50#0102\nnot a candump line\n",
		"odd.log":          "(1725883200.000000) batbus 123#0\n",
		"long.log":         "(1725883200.000000) batbus 123#0102030405060708AA\n",
		"notadir.txt":      "a file, not a directory\n",
		"ok.scen":          "name ok\nbank LFP-24V-280Ah 1s1p\nat 0s expect state running within 15s\n",
		"empty.scen":       "",
		"action.scen":      "name x\nbank LFP-24V-280Ah 1s1p\nat 0s dance\n",
		"trunc.scen":       "name x\nbank LFP-24V-280Ah",
		"badrow.csv":       "seconds,amps\n0,1\n10,abc\n",
		"trunc.csv":        "seconds,amps\n0,1\n10",
		"header.csv":       "seconds,amps\n",
		"order.csv":        "seconds,amps\n10,1\n5,2\n",
		"nan.csv":          "seconds,amps\n0,NaN\n",
		"suite-bad/x.scen": "name x\nbank LFP-24V-280Ah 1s1p\nat 0s dance\n",
		"suite-ok/ok.scen": "name ok\nbank LFP-24V-280Ah 1s1p\nat 0s expect state running within 15s\n",
		"unreadable.log":   "(1725883200.000000) batbus 18EEFF50#0102\n",
		"unreadable.scen":  "name ok\nbank LFP-24V-280Ah 1s1p\nat 0s start\n",
	}
	for _, csv := range []string{"missing", "dir", "garbage.bin", "badrow", "trunc", "header", "order", "nan"} {
		target := csv + ".csv"
		switch csv {
		case "dir", "garbage.bin":
			target = csv
		}
		files["csv-"+strings.TrimSuffix(csv, ".bin")+".scen"] = "name csv\nbank LFP-24V-280Ah 1s1p\nat 1s charger csv " + target + "\n"
	}
	for name, content := range files {
		path := filepath.Join(fx, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	for _, d := range []string{"dir", "we[ird*"} {
		require.NoError(t, os.Mkdir(filepath.Join(fx, d), 0o755))
	}
	for _, f := range []string{"unreadable.log", "unreadable.scen"} {
		require.NoError(t, os.Chmod(filepath.Join(fx, f), 0))
	}
	return fx
}

// snapshot lists a tree: its directories, and its files with their sizes, modes and times: what
// a command must not change.
func snapshot(t *testing.T, dir string) []string {
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			// A directory's time changes with a temporary file created and removed in it.
			out = append(out, rel+"/")
			return nil
		}
		out = append(out, fmt.Sprintf("%s %v %d %d", rel, info.Mode(), info.Size(), info.ModTime().UnixNano()))
		return nil
	}))
	sort.Strings(out)
	return out
}

// Bad input, everywhere: every command and subcommand, their flags and every file they read or
// write, given something wrong. Each fails before it runs anything, with one line on stderr that
// names the problem, exit status 2 (1 where the input was fine), nothing on stdout and no output
// file created, changed or left half-written.
func TestBadInputEverywhere(t *testing.T) {
	fx := badFixtures(t)
	before := snapshot(t, fx)
	const (
		udp  = "udp://239.64.142.206:20931"
		udp2 = "udp://239.64.142.206:20932"
	)
	rows := []badRow{
		// lynxsim itself, help and completion
		{name: "unknown command", args: []string{"fly"}, want: []string{`unknown command "fly" for "lynxsim"`}},
		{name: "unknown command, a near miss", args: []string{"rn"}, want: []string{`unknown command "rn"`, "run"}},
		{name: "unknown root flag", args: []string{"--bogus"}, want: []string{"unknown flag: --bogus"}},
		{name: "help on an unknown command", args: []string{"help", "fly"}, want: []string{"help fly: no such command"}},
		{name: "help on an unknown subcommand", args: []string{"help", "vreg", "fly"}, want: []string{"help vreg fly: no such command"}},
		{name: "completion for an unknown shell", args: []string{"completion", "tcsh"}, want: []string{`unknown command "tcsh" for "lynxsim completion"`, "bash"}},
		{name: "completion extra argument", args: []string{"completion", "bash", "extra"}, want: []string{`unknown command "extra"`}},

		// run
		{name: "run unknown flag", args: []string{"run", "--bogus"}, want: []string{"unknown flag: --bogus"}},
		{name: "run extra argument", args: []string{"run", "now"}, want: []string{`unknown command "now" for "lynxsim run"`}},
		{name: "run flag without value", args: []string{"run", "--duration"}, want: []string{"flag needs an argument: --duration"}},
		{name: "run duration without unit", args: []string{"run", "--duration", "5"}, want: []string{`"5" for "--duration"`, "missing unit"}},
		{name: "run bad duration", args: []string{"run", "--duration", "1fortnight"}, want: []string{`"1fortnight" for "--duration"`}},
		{name: "run negative duration", args: []string{"run", "--duration", "-5s"}, want: []string{"--duration -5s", "positive"}},
		{name: "run series not a number", args: []string{"run", "--series", "x"}, want: []string{`"x" for "--series"`}},
		{name: "run series 0", args: []string{"run", "--series", "0"}, want: []string{"--series 0", "at least 1"}},
		{name: "run too many batteries", args: []string{"run", "--parallel", "65"}, want: []string{"--parallel 65", "at most 64"}},
		{name: "run parallel not a number", args: []string{"run", "--parallel", "2.5"}, want: []string{`"2.5" for "--parallel"`}},
		{name: "run soc above 100", args: []string{"run", "--soc", "120"}, want: []string{"--soc 120", "0 to 100"}},
		{name: "run soc NaN", args: []string{"run", "--soc", "NaN"}, want: []string{"--soc NaN"}},
		{name: "run soc not a number", args: []string{"run", "--soc", "half"}, want: []string{`"half" for "--soc"`}},
		{name: "run negative load", args: []string{"run", "--load-amps", "-1"}, want: []string{"--load-amps -1", "from 0 to"}},
		{name: "run absurd load", args: []string{"run", "--load-amps", "1e300"}, want: []string{"--load-amps 1e+300", "from 0 to 100000 A"}},
		{name: "run infinite charger", args: []string{"run", "--charger-amps", "Inf"}, want: []string{"--charger-amps +Inf"}},
		{name: "run bad speed", args: []string{"run", "--speed", "fast"}, want: []string{`speed "fast"`, "max"}},
		{name: "run speed 0", args: []string{"run", "--speed", "0"}, want: []string{`speed "0"`, "positive"}},
		{name: "run speed on a real bus", args: []string{"run", "--speed", "10", "--vecan", udp}, want: []string{"--speed 10", "real time"}},
		{name: "run malformed firmware", args: []string{"run", "--firmware", "1.5x"}, want: []string{`firmware "1.5x"`}},
		{name: "run unknown firmware", args: []string{"run", "--firmware", "1.39"}, want: []string{"v1.39 was never released", "v1.07 to v1.38"}},
		{name: "run empty firmware", args: []string{"run", "--firmware", ""}, want: []string{`firmware ""`}},
		{name: "run unknown known issue", args: []string{"run", "--known-issues", "9.99-01"}, want: []string{`"9.99-01"`, "1.09-15"}},
		{name: "run behaviour as known issue", args: []string{"run", "--known-issues", "1.25-05"}, want: []string{"1.25-05 is a behaviour item, not a known issue"}},
		{name: "run known issues without value", args: []string{"run", "--known-issues"}, want: []string{"flag needs an argument: --known-issues"}},
		{name: "run socketcan: prefix", args: []string{"run", "--vecan", "socketcan:nonexistent0"}, want: []string{"--vecan", `"socketcan:nonexistent0"`, "vcan0"}},
		{name: "run missing interface", args: []string{"run", "--vecan", "nonexistent0", "--duration", "1s"}, want: []string{"nonexistent0 not found", "ip link add"}},
		{name: "run missing battery interface", args: []string{"run", "--battery-bus", "can:nonexistent1", "--duration", "1s"}, want: []string{"nonexistent1 not found"}},
		{name: "run unknown transport", args: []string{"run", "--vecan", "foo://bar"}, want: []string{"--vecan", `"foo://bar"`}},
		{name: "run empty bus", args: []string{"run", "--vecan", ""}, want: []string{"--vecan", `bus ""`}},
		{name: "run UDP port 0", args: []string{"run", "--battery-bus", "udp://239.1.1.1:0"}, want: []string{"--battery-bus", "port 0"}},
		{name: "run UDP port out of range", args: []string{"run", "--battery-bus", "udp://239.1.1.1:99999"}, want: []string{"--battery-bus", "port 99999"}},
		{name: "run UDP not multicast", args: []string{"run", "--battery-bus", "udp://10.1.1.1:20000"}, want: []string{"--battery-bus", "multicast"}},
		{name: "run unknown battery type", args: []string{"run", "--battery-type", "AGM"}, want: []string{`battery type "AGM" is unknown`, "LFP-24V-280Ah"}},
		{name: "run empty battery type", args: []string{"run", "--battery-type", ""}, want: []string{`battery type "" is unknown`}},
		{name: "run instance out of range", args: []string{"run", "--battery-instance", "256"}, want: []string{`"256" for "--battery-instance"`, "out of range"}},
		{name: "run instance off the grid", args: []string{"run", "--battery-instance", "33"}, want: []string{"--battery-instance 33", "steps of 32"}},
		{name: "run too many masters", args: []string{"run", "--masters", "5"}, want: []string{"--masters 5", "1 to 4"}},
		{name: "run masters on a shared bus", args: []string{"run", "--masters", "2", "--battery-bus", udp}, want: []string{"--masters 2", "in-memory battery bus"}},
		{name: "run combined before 1.18", args: []string{"run", "--combined", "--firmware", "1.17"}, want: []string{"--combined", "1.18-01"}},
		{name: "run unknown identity", args: []string{"run", "--identity", "acme"}, want: []string{`--identity "acme"`, "lynx-ion or master-lv"}},
		{name: "run Master LV before 1.35", args: []string{"run", "--identity", "master-lv", "--firmware", "1.34"}, want: []string{"--identity master-lv", "1.35-02"}},
		{name: "run unknown protocol", args: []string{"run", "--protocol", "modbus"}, want: []string{`--protocol "modbus"`, "vecan, general or sma"}},
		{name: "run General before 1.24", args: []string{"run", "--protocol", "general", "--firmware", "1.23"}, want: []string{"--protocol general", "1.24-03"}},
		{name: "run SMA on 24 V", args: []string{"run", "--protocol", "sma"}, want: []string{"--protocol sma", "48 V systems only"}},
		{name: "run bad epoch", args: []string{"run", "--epoch", "yesterday"}, want: []string{`--epoch "yesterday"`, "RFC 3339"}},
		{name: "run epoch before 1970", args: []string{"run", "--epoch", "1969-12-31T23:59:59Z", "--candump", "{out}/new.log"}, want: []string{"--epoch 1969-12-31T23:59:59Z", "from 1970-01-01"}},
		{name: "run epoch after 2106", args: []string{"run", "--epoch", "2200-01-01T00:00:00Z"}, want: []string{"--epoch 2200-01-01T00:00:00Z", "to 2106-02-07"}},
		{name: "run bitrate not a number", args: []string{"run", "--bitrate", "fast"}, want: []string{`"fast" for "--bitrate"`}},
		{name: "run bitrate negative", args: []string{"run", "--battery-bitrate", "-1"}, want: []string{`"-1" for "--battery-bitrate"`}},
		{name: "run bitrate on mem", args: []string{"run", "--bitrate", "250000"}, want: []string{"--bitrate 250000", "only a SocketCAN interface"}},
		{name: "run bitrate on a missing interface", args: []string{"run", "--vecan", "can:nosuchcan7", "--bitrate", "250000", "--duration", "1s"}, want: []string{"--bitrate", "nosuchcan7"}},
		{name: "run bitrate out of range", args: []string{"run", "--vecan", "can:nosuchcan7", "--bitrate", "2000000", "--duration", "1s"}, want: []string{"bit rate 2000000", "1 to 1000000"}},
		{name: "run remote batteries on mem", args: []string{"run", "--remote-batteries"}, want: []string{"--remote-batteries", "--battery-bus must be one it shares"}},
		{name: "run listen-only not a bool", args: []string{"run", "--listen-only=maybe"}, want: []string{`"maybe" for "--listen-only"`}},
		{name: "run candump in a missing directory", args: []string{"run", "--candump", "{out}/no/such/x.log"}, want: []string{"--candump", "{out}/no/such/", "does not exist"}},
		{name: "run candump is a directory", args: []string{"run", "--candump", "{fx}/dir"}, want: []string{"--candump", "{fx}/dir", "is a directory"}},
		{name: "run candump ends in a slash", args: []string{"run", "--candump", "{out}/"}, want: []string{"--candump", "not a file name"}},
		{name: "run candump, then a bad firmware", args: []string{"run", "--candump", "{out}/new.log", "--firmware", "9"}, want: []string{`firmware "9"`}},
		{name: "run candump kept when the bus is missing", args: []string{"run", "--candump", "{out}/keep.log", "--vecan", "nonexistent0"}, want: []string{"nonexistent0 not found"}},
		{name: "run state dir is a file", args: []string{"run", "--state-dir", "{fx}/notadir.txt"}, want: []string{"state directory {fx}/notadir.txt", "not a directory"}},
		{name: "run state dir under a file", args: []string{"run", "--state-dir", "{fx}/notadir.txt/x"}, want: []string{"{fx}/notadir.txt/x", "not a directory"}},
		{name: "run new state dir when the bus is missing", args: []string{"run", "--state-dir", "{out}/state/a", "--vecan", "nonexistent0"}, want: []string{"nonexistent0 not found"}},
		{name: "run new state dir, candump nowhere", args: []string{"run", "--state-dir", "{out}/state", "--candump", "{out}/no/x.log"}, want: []string{"--candump", "does not exist"}},

		// master
		{name: "master without buses", args: []string{"master"}, want: []string{"master: give --battery-bus and --vecan"}},
		{name: "master without VE.Can", args: []string{"master", "--battery-bus", udp}, want: []string{"master: give --battery-bus and --vecan"}},
		{name: "master on mem", args: []string{"master", "--battery-bus", "mem", "--vecan", "mem"}, want: []string{"--battery-bus must be one it shares"}},
		{name: "master socketcan: prefix", args: []string{"master", "--battery-bus", "socketcan:nonexistent0", "--vecan", udp2}, want: []string{"--battery-bus", `"socketcan:nonexistent0"`}},
		{name: "master missing interfaces", args: []string{"master", "--battery-bus", "nonexistent0", "--vecan", "nonexistent1"}, want: []string{"not found", "ip link add"}},
		{name: "master has no --soc", args: []string{"master", "--battery-bus", udp, "--vecan", udp2, "--soc", "50"}, want: []string{"unknown flag: --soc"}},
		{name: "master has no --speed", args: []string{"master", "--battery-bus", udp, "--vecan", udp2, "--speed", "10"}, want: []string{"unknown flag: --speed"}},
		{name: "master negative duration", args: []string{"master", "--battery-bus", udp, "--vecan", udp2, "--duration", "-1s"}, want: []string{"--duration -1s"}},
		{name: "master unknown firmware", args: []string{"master", "--battery-bus", udp, "--vecan", udp2, "--firmware", "0.99"}, want: []string{"v0.99 was never released"}},
		{name: "master series not a number", args: []string{"master", "--battery-bus", udp, "--vecan", udp2, "--series", "two"}, want: []string{`"two" for "--series"`}},
		{name: "master bad epoch", args: []string{"master", "--battery-bus", udp, "--vecan", udp2, "--epoch", "x"}, want: []string{`--epoch "x"`}},
		{name: "master bitrate on UDP", args: []string{"master", "--battery-bus", udp, "--vecan", udp2, "--bitrate", "250000"}, want: []string{"--bitrate 250000", "only a SocketCAN interface"}},
		{name: "master candump is a directory", args: []string{"master", "--battery-bus", udp, "--vecan", udp2, "--candump", "{fx}/dir"}, want: []string{"--candump", "is a directory"}},
		{name: "master state dir is a file", args: []string{"master", "--battery-bus", udp, "--vecan", udp2, "--state-dir", "{fx}/notadir.txt"}, want: []string{"{fx}/notadir.txt", "not a directory"}},
		{name: "master extra argument", args: []string{"master", "--battery-bus", udp, "--vecan", udp2, "extra"}, want: []string{`unknown command "extra" for "lynxsim master"`}},

		// batteries
		{name: "batteries without bus", args: []string{"batteries"}, want: []string{"--bus is required"}},
		{name: "batteries bus without value", args: []string{"batteries", "--bus"}, want: []string{"flag needs an argument: --bus"}},
		{name: "batteries socketcan: prefix", args: []string{"batteries", "--bus", "socketcan:nonexistent0"}, want: []string{"--bus", `"socketcan:nonexistent0"`}},
		{name: "batteries missing interface", args: []string{"batteries", "--bus", "nonexistent0"}, want: []string{"nonexistent0 not found"}},
		{name: "batteries extra argument", args: []string{"batteries", "--bus", "mem", "extra"}, want: []string{`unknown command "extra" for "lynxsim batteries"`}},
		{name: "batteries unknown type", args: []string{"batteries", "--bus", "mem", "--type", "AGM"}, want: []string{`battery type "AGM" is unknown`}},
		{name: "batteries count 0", args: []string{"batteries", "--bus", "mem", "--count", "0"}, want: []string{"--count 0", "at least 1"}},
		{name: "batteries count not a number", args: []string{"batteries", "--bus", "mem", "--count", "x"}, want: []string{`"x" for "--count"`}},
		{name: "batteries too many", args: []string{"batteries", "--bus", "mem", "--series", "65"}, want: []string{"--series 65", "at most 64"}},
		{name: "batteries soc above 100", args: []string{"batteries", "--bus", "mem", "--soc", "101"}, want: []string{"--soc 101"}},
		{name: "batteries load NaN", args: []string{"batteries", "--bus", "mem", "--load-amps", "NaN"}, want: []string{"--load-amps NaN"}},
		{name: "batteries infinite charger", args: []string{"batteries", "--bus", "mem", "--charger-amps", "Inf"}, want: []string{"--charger-amps +Inf"}},
		{name: "batteries negative serial", args: []string{"batteries", "--bus", "mem", "--first-serial", "-5"}, want: []string{`"-5" for "--first-serial"`}},
		{name: "batteries serial too long", args: []string{"batteries", "--bus", "mem", "--first-serial", "999999999"}, want: []string{"--first-serial 999999999", "at most 9 digits"}},
		{name: "batteries negative duration", args: []string{"batteries", "--bus", "mem", "--duration", "-1s"}, want: []string{"--duration -1s"}},
		{name: "batteries bad duration", args: []string{"batteries", "--bus", "mem", "--duration", "soon"}, want: []string{`"soon" for "--duration"`}},
		{name: "batteries speed 0", args: []string{"batteries", "--bus", "mem", "--speed", "0"}, want: []string{`speed "0"`}},
		{name: "batteries speed on a real bus", args: []string{"batteries", "--bus", "vcan9", "--speed", "10"}, want: []string{"--speed 10", "real time"}},
		{name: "batteries inject without number", args: []string{"batteries", "--bus", "mem", "--inject", "silent"}, want: []string{`--inject "silent"`, "no battery number"}},
		{name: "batteries inject battery 0", args: []string{"batteries", "--bus", "mem", "--inject", "0:silent"}, want: []string{"battery 0 is not 1 to 2"}},
		{name: "batteries inject battery 3 of 2", args: []string{"batteries", "--bus", "mem", "--inject", "3:silent"}, want: []string{"battery 3 is not 1 to 2"}},
		{name: "batteries inject argument not a number", args: []string{"batteries", "--bus", "mem", "--inject", "1:hot-cell=a"}, want: []string{`"a" is not a number`}},
		{name: "batteries inject empty argument", args: []string{"batteries", "--bus", "mem", "--inject", "1:hot-cell=1,,2"}, want: []string{`argument "" is not a number`}},
		{name: "batteries inject unknown fault", args: []string{"batteries", "--bus", "mem", "--inject", "1:gremlins"}, want: []string{`"gremlins" is unknown`, "hot-cell"}},
		{name: "batteries inject missing arguments", args: []string{"batteries", "--bus", "mem", "--inject", "1:hot-cell="}, want: []string{"--inject 1:hot-cell", "wants 2 arguments"}},
		{name: "batteries inject cell out of range", args: []string{"batteries", "--bus", "mem", "--inject", "1:hot-cell=99,60"}, want: []string{"hot-cell(99, 60)", "cells 0–7"}},
		{name: "batteries inject without value", args: []string{"batteries", "--bus", "mem", "--inject"}, want: []string{"flag needs an argument: --inject"}},
		{name: "batteries candump is a directory", args: []string{"batteries", "--bus", "mem", "--candump", "{fx}/dir"}, want: []string{"--candump", "is a directory"}},
		{name: "batteries candump in a missing directory", args: []string{"batteries", "--bus", "mem", "--candump", "{out}/no/x.log"}, want: []string{"--candump", "does not exist"}},
		{name: "batteries candump, then a bad fault", args: []string{"batteries", "--bus", "mem", "--candump", "{out}/new.log", "--inject", "1:gremlins"}, want: []string{"gremlins"}},
		{name: "batteries candump kept", args: []string{"batteries", "--bus", "mem", "--candump", "{out}/keep.log", "--inject", "2:hot-cell=9,60"}, want: []string{"hot-cell(9, 60)"}},

		// decode
		{name: "decode without file", args: []string{"decode"}, want: []string{"accepts 1 arg(s), received 0"}},
		{name: "decode two files", args: []string{"decode", "{fx}/good.log", "{fx}/good.log"}, want: []string{"accepts 1 arg(s), received 2"}},
		{name: "decode missing file", args: []string{"decode", "{fx}/none.log"}, want: []string{"cannot read {fx}/none.log", "no such file"}},
		{name: "decode directory", args: []string{"decode", "{fx}/dir"}, want: []string{"cannot read {fx}/dir", "is a directory"}},
		{name: "decode unreadable file", args: []string{"decode", "{fx}/unreadable.log"}, want: []string{"cannot read {fx}/unreadable.log", "permission denied"}, notRoot: true},
		{name: "decode garbage", args: []string{"decode", "{fx}/garbage.bin"}, want: []string{"{fx}/garbage.bin is not a candump -L log", "none of its 3 lines", "line 1"}},
		{name: "decode truncated line", args: []string{"decode", "{fx}/trunc.log"}, want: []string{"{fx}/trunc.log is not a candump -L log", "missing '#'"}},
		{name: "decode bad timestamp", args: []string{"decode", "{fx}/badts.log"}, want: []string{"{fx}/badts.log is not a candump -L log", "missing ')'"}},
		{name: "decode odd data", args: []string{"decode", "{fx}/odd.log"}, want: []string{"odd number of hex digits"}},
		{name: "decode CAN FD data", args: []string{"decode", "{fx}/long.log"}, want: []string{"more than 8 bytes"}},
		{name: "decode a scenario file", args: []string{"decode", "{fx}/ok.scen"}, want: []string{"{fx}/ok.scen is not a candump -L log"}},
		{name: "decode json not a bool", args: []string{"decode", "--json=x", "{fx}/good.log"}, want: []string{`"x" for "--json"`}},
		{name: "decode unknown flag", args: []string{"decode", "--format", "csv", "{fx}/good.log"}, want: []string{"unknown flag: --format"}},

		// monitor
		{name: "monitor without bus", args: []string{"monitor"}, want: []string{"--bus is required"}},
		{name: "monitor socketcan: prefix", args: []string{"monitor", "--bus", "socketcan:nonexistent0"}, want: []string{"--bus", `"socketcan:nonexistent0"`}},
		{name: "monitor missing interface", args: []string{"monitor", "--bus", "nonexistent0"}, want: []string{"--bus", "nonexistent0 not found"}},
		{name: "monitor in-memory bus", args: []string{"monitor", "--bus", "mem"}, want: []string{"--bus mem", "belongs to one process"}},
		{name: "monitor UDP not multicast", args: []string{"monitor", "--bus", "udp://10.0.0.1:20000"}, want: []string{"--bus", "multicast"}},
		{name: "monitor negative duration", args: []string{"monitor", "--bus", udp, "--duration", "-1s"}, want: []string{"--duration -1s"}},
		{name: "monitor bad duration", args: []string{"monitor", "--bus", udp, "--duration", "x"}, want: []string{`"x" for "--duration"`}},
		{name: "monitor lines not a bool", args: []string{"monitor", "--bus", udp, "--lines=2"}, want: []string{`"2" for "--lines"`}},
		{name: "monitor extra argument", args: []string{"monitor", "--bus", udp, "stray"}, want: []string{`unknown command "stray" for "lynxsim monitor"`}},

		// vreg
		{name: "vreg unknown subcommand", args: []string{"vreg", "read"}, want: []string{`unknown command "read" for "lynxsim vreg"`, "get, set"}},
		{name: "vreg get without register", args: []string{"vreg", "get", "--bus", udp}, want: []string{"accepts 1 arg(s), received 0"}},
		{name: "vreg get two registers", args: []string{"vreg", "get", "--bus", udp, "SOC", "extra"}, want: []string{"accepts 1 arg(s), received 2"}},
		{name: "vreg set without value", args: []string{"vreg", "set", "--bus", udp, "SOC"}, want: []string{"accepts 2 arg(s), received 1"}},
		{name: "vreg get without bus", args: []string{"vreg", "get", "SOC"}, want: []string{"--bus is required"}},
		{name: "vreg get on mem", args: []string{"vreg", "get", "--bus", "mem", "SOC"}, want: []string{"in-memory bus belongs to one process"}},
		{name: "vreg get socketcan: prefix", args: []string{"vreg", "get", "--bus", "socketcan:nonexistent0", "SOC"}, want: []string{"--bus", `"socketcan:nonexistent0"`}},
		{name: "vreg get missing interface", args: []string{"vreg", "get", "--bus", "nonexistent0", "SOC"}, want: []string{"--bus", "nonexistent0 not found"}},
		{name: "vreg node out of range", args: []string{"vreg", "get", "--bus", udp, "--node", "300", "SOC"}, want: []string{`--node "300"`, "0 to 252"}},
		{name: "vreg node not a number", args: []string{"vreg", "get", "--bus", udp, "--node", "abc", "SOC"}, want: []string{`--node "abc"`}},
		{name: "vreg from out of range", args: []string{"vreg", "get", "--bus", udp, "--from", "253", "SOC"}, want: []string{`--from "253"`}},
		{name: "vreg timeout 0", args: []string{"vreg", "get", "--bus", udp, "--timeout", "0s", "SOC"}, want: []string{"--timeout 0s", "positive"}},
		{name: "vreg negative timeout", args: []string{"vreg", "get", "--bus", udp, "--timeout", "-1s", "SOC"}, want: []string{"--timeout -1s"}},
		{name: "vreg timeout without unit", args: []string{"vreg", "get", "--bus", udp, "--timeout", "1", "SOC"}, want: []string{`"1" for "--timeout"`, "missing unit"}},
		{name: "vreg unknown register", args: []string{"vreg", "get", "--bus", udp, "NOPE"}, want: []string{`register "NOPE" is unknown`}},
		{name: "vreg register not in the table", args: []string{"vreg", "get", "--bus", udp, "0x1234"}, want: []string{"0x1234", "not in lynxsim's table"}},
		{name: "vreg empty register", args: []string{"vreg", "get", "--bus", udp, ""}, want: []string{`register "" is unknown`}},
		{name: "vreg set out of range", args: []string{"vreg", "set", "--bus", udp, "SOC", "150"}, want: []string{"value 150 for VE_REG_SOC", "outside"}},
		{name: "vreg set not a number", args: []string{"vreg", "set", "--bus", udp, "SOC", "lots"}, want: []string{`value "lots"`, "want a number"}},
		{name: "vreg set NaN", args: []string{"vreg", "set", "--bus", udp, "SOC", "NaN"}, want: []string{`value "NaN"`}},
		{name: "vreg set bad hex", args: []string{"vreg", "set", "--bus", udp, "SOC", "0xZZ"}, want: []string{`value "0xZZ"`, "not a hex number"}},
		{name: "vreg set raw wider than the register", args: []string{"vreg", "set", "--bus", udp, "SOC", "0x1FFFF"}, want: []string{"value 0x1FFFF", "VE_REG_SOC holds 2 bytes", "0xFFFF"}},
		{name: "vreg set raw beyond 32 bits", args: []string{"vreg", "set", "--bus", udp, "SOC", "0x1FFFFFFFF"}, want: []string{"value 0x1FFFFFFFF", "more than 32 bits"}},
		{name: "vreg set empty value", args: []string{"vreg", "set", "--bus", udp, "SOC", ""}, want: []string{"vreg set SOC", "value is empty"}},
		{name: "vreg set negative without --", args: []string{"vreg", "set", "--bus", udp, "SOC", "-5"}, want: []string{"-5", "put -- before the arguments"}},
		{name: "vreg unknown flag", args: []string{"vreg", "get", "--bus", udp, "--retries", "3", "SOC"}, want: []string{"unknown flag: --retries"}},
		{
			name: "vreg get, nobody answers", args: []string{"vreg", "get", "--bus", "udp://239.64.142.206:20933", "--timeout", "100ms", "SOC"},
			code: 1, why: "the request went out on a working bus and no node answered: nothing wrong with the command line",
			want: []string{"no answer from node 0x50 about VE_REG_SOC within 100ms", "check --bus and --node"}, udp: "20933",
		},

		// firmware
		{name: "firmware unknown subcommand", args: []string{"firmware", "bogus"}, want: []string{`unknown command "bogus" for "lynxsim firmware"`, "list"}},
		{name: "firmware list extra argument", args: []string{"firmware", "list", "extra"}, want: []string{`unknown command "extra"`}},
		{name: "firmware list json not a bool", args: []string{"firmware", "list", "--json=3"}, want: []string{`"3" for "--json"`}},
		{name: "firmware show without version", args: []string{"firmware", "show"}, want: []string{"accepts 1 arg(s), received 0"}},
		{name: "firmware show unknown version", args: []string{"firmware", "show", "1.99"}, want: []string{"v1.99 was never released"}},
		{name: "firmware show malformed version", args: []string{"firmware", "show", "abc"}, want: []string{`firmware "abc"`}},
		{name: "firmware show two versions", args: []string{"firmware", "show", "1.24", "1.25"}, want: []string{"accepts 1 arg(s), received 2"}},
		{name: "firmware show negative", args: []string{"firmware", "show", "--", "-1"}, want: []string{`firmware "-1"`}},
		{name: "firmware diff one version", args: []string{"firmware", "diff", "1.24"}, want: []string{"accepts 2 arg(s), received 1"}},
		{name: "firmware diff malformed version", args: []string{"firmware", "diff", "1.24", "x"}, want: []string{`firmware "x"`}},
		{name: "firmware diff unknown version", args: []string{"firmware", "diff", "1.06", "1.24"}, want: []string{"v1.06 was never released"}},
		{name: "firmware diff backwards", args: []string{"firmware", "diff", "1.38", "1.24"}, want: []string{"give the older version first"}},
		{name: "firmware diff three versions", args: []string{"firmware", "diff", "1.24", "1.25", "1.26"}, want: []string{"accepts 2 arg(s), received 3"}},
		{name: "firmware coverage extra argument", args: []string{"firmware", "coverage", "extra"}, want: []string{`unknown command "extra"`}},
		{name: "firmware coverage missing root", args: []string{"firmware", "coverage", "--root", "{fx}/none"}, want: []string{"{fx}/none is not lynxsim's source tree"}},
		{name: "firmware coverage root is a file", args: []string{"firmware", "coverage", "--root", "{fx}/notadir.txt"}, want: []string{"{fx}/notadir.txt is not lynxsim's source tree"}},
		{name: "firmware coverage root is another tree", args: []string{"firmware", "coverage", "--root", "{fx}/dir"}, want: []string{"{fx}/dir is not lynxsim's source tree"}},
		{name: "firmware coverage empty root", args: []string{"firmware", "coverage", "--root", ""}, want: []string{"--root is empty"}},
		{name: "firmware coverage uncovered not a bool", args: []string{"firmware", "coverage", "--uncovered=x"}, want: []string{`"x" for "--uncovered"`}},

		// events, version
		{name: "events extra argument", args: []string{"events", "extra"}, want: []string{`unknown command "extra" for "lynxsim events"`}},
		{name: "events json not a bool", args: []string{"events", "--json=x"}, want: []string{`"x" for "--json"`}},
		{name: "events unknown flag", args: []string{"events", "--csv"}, want: []string{"unknown flag: --csv"}},
		{name: "version extra argument", args: []string{"version", "extra"}, want: []string{`unknown command "extra" for "lynxsim version"`}},
		{name: "version unknown flag", args: []string{"version", "--short"}, want: []string{"unknown flag: --short"}},

		// scenario run
		{name: "scenario unknown subcommand", args: []string{"scenario", "bogus"}, want: []string{`unknown command "bogus" for "lynxsim scenario"`, "run, test"}},
		{name: "scenario run without file", args: []string{"scenario", "run"}, want: []string{"requires at least 1 arg(s)"}},
		{name: "scenario run missing file", args: []string{"scenario", "run", "{fx}/none.scen"}, want: []string{"{fx}/none.scen", "no such file"}},
		{name: "scenario run directory", args: []string{"scenario", "run", "{fx}/dir"}, want: []string{"{fx}/dir is a directory", "scenario test"}},
		{name: "scenario run unreadable file", args: []string{"scenario", "run", "{fx}/unreadable.scen"}, want: []string{"{fx}/unreadable.scen", "permission denied"}, notRoot: true},
		{name: "scenario run garbage", args: []string{"scenario", "run", "{fx}/garbage.bin"}, want: []string{"{fx}/garbage.bin:1: unknown directive"}},
		{name: "scenario run empty file", args: []string{"scenario", "run", "{fx}/empty.scen"}, want: []string{"{fx}/empty.scen:1: no name line"}},
		{name: "scenario run unknown action", args: []string{"scenario", "run", "{fx}/action.scen"}, want: []string{"{fx}/action.scen:3: unknown action \"dance\""}},
		{name: "scenario run truncated file", args: []string{"scenario", "run", "{fx}/trunc.scen"}, want: []string{"{fx}/trunc.scen:2: bank"}},
		{name: "scenario run a good and a bad file", args: []string{"scenario", "run", "{fx}/ok.scen", "{fx}/action.scen", "--report", "{out}/keep.log"}, want: []string{"action.scen:3"}},
		{name: "scenario CSV profile missing", args: []string{"scenario", "run", "{fx}/csv-missing.scen"}, want: []string{"csv-missing.scen:3", "missing.csv", "no such file"}},
		{name: "scenario CSV profile is a directory", args: []string{"scenario", "run", "{fx}/csv-dir.scen"}, want: []string{"csv-dir.scen:3", "is a directory"}},
		{name: "scenario CSV profile is garbage", args: []string{"scenario", "run", "{fx}/csv-garbage.scen"}, want: []string{"csv-garbage.scen:3", "garbage.bin line 1"}},
		{name: "scenario CSV bad value", args: []string{"scenario", "run", "{fx}/csv-badrow.scen"}, want: []string{"badrow.csv line 3", `value "abc": not a number`}},
		{name: "scenario CSV truncated", args: []string{"scenario", "run", "{fx}/csv-trunc.scen"}, want: []string{"trunc.csv line 3", "wrong number of fields"}},
		{name: "scenario CSV header only", args: []string{"scenario", "run", "{fx}/csv-header.scen"}, want: []string{"header.csv", "no rows after the header"}},
		{name: "scenario CSV out of order", args: []string{"scenario", "run", "{fx}/csv-order.scen"}, want: []string{"order.csv line 3", "before the previous point"}},
		{name: "scenario CSV NaN", args: []string{"scenario", "run", "{fx}/csv-nan.scen"}, want: []string{"nan.csv line 2", "finite"}},
		{name: "scenario run unknown firmware", args: []string{"scenario", "run", "{fx}/ok.scen", "--firmware", "1.99"}, want: []string{`--firmware "1.99"`, "never released"}},
		{name: "scenario run backwards range", args: []string{"scenario", "run", "{fx}/ok.scen", "--firmware", "1.38..1.07"}, want: []string{"runs backwards"}},
		{name: "scenario run malformed firmware", args: []string{"scenario", "run", "{fx}/ok.scen", "--firmware", "x,1.24"}, want: []string{`firmware "x"`}},
		{name: "scenario run report is a directory", args: []string{"scenario", "run", "{fx}/ok.scen", "--report", "{fx}/dir"}, want: []string{"--report {fx}/dir", "is a directory"}},
		{name: "scenario run report in a missing directory", args: []string{"scenario", "run", "{fx}/ok.scen", "--report", "{out}/no/r.html"}, want: []string{"--report", "does not exist"}},
		{name: "scenario run report, then a bad firmware", args: []string{"scenario", "run", "{fx}/ok.scen", "--report", "{out}/r.html", "--firmware", "2"}, want: []string{`--firmware "2"`}},
		{name: "scenario run candump is a directory", args: []string{"scenario", "run", "{fx}/ok.scen", "--firmware", "1.24,1.38", "--candump", "{fx}/dir"}, want: []string{"--candump {fx}/dir", "is a directory"}},
		{name: "scenario run candump in a missing directory", args: []string{"scenario", "run", "{fx}/ok.scen", "--firmware", "1.24,1.38", "--candump", "{out}/no/x.log"}, want: []string{"--candump", "does not exist"}},
		{name: "scenario run candump, then a report nowhere", args: []string{"scenario", "run", "{fx}/ok.scen", "--candump", "{out}/new.log", "--report", "{out}/no/r.html"}, want: []string{"--report", "does not exist"}},
		{name: "scenario run has no --shard", args: []string{"scenario", "run", "{fx}/ok.scen", "--shard", "1/2"}, want: []string{"unknown flag: --shard"}},
		{name: "scenario run trace not a bool", args: []string{"scenario", "run", "{fx}/ok.scen", "--trace=x"}, want: []string{`"x" for "--trace"`}},

		// scenario test
		{name: "scenario test without directory", args: []string{"scenario", "test"}, want: []string{"accepts 1 arg(s), received 0"}},
		{name: "scenario test two directories", args: []string{"scenario", "test", "{fx}/suite-ok", "{fx}/suite-bad"}, want: []string{"accepts 1 arg(s), received 2"}},
		{name: "scenario test missing directory", args: []string{"scenario", "test", "{fx}/none"}, want: []string{"scenario test {fx}/none", "no such file or directory"}},
		{name: "scenario test a file", args: []string{"scenario", "test", "{fx}/ok.scen"}, want: []string{"{fx}/ok.scen: not a directory", "scenario run"}},
		{name: "scenario test empty directory", args: []string{"scenario", "test", "{fx}/dir"}, want: []string{"no *.scen files in {fx}/dir"}},
		{name: "scenario test glob characters", args: []string{"scenario", "test", "{fx}/we[ird*"}, want: []string{"no *.scen files in {fx}/we[ird*"}},
		{name: "scenario test bad file", args: []string{"scenario", "test", "{fx}/suite-bad"}, want: []string{"suite-bad/x.scen:3: unknown action"}},
		{name: "scenario test bad shard", args: []string{"scenario", "test", "{fx}/suite-ok", "--shard", "x"}, want: []string{`--shard "x"`, "I/N"}},
		{name: "scenario test shard 0", args: []string{"scenario", "test", "{fx}/suite-ok", "--shard", "0/2"}, want: []string{`--shard "0/2"`}},
		{name: "scenario test shard beyond N", args: []string{"scenario", "test", "{fx}/suite-ok", "--shard", "5/4"}, want: []string{`--shard "5/4"`}},
		{name: "scenario test shard without N", args: []string{"scenario", "test", "{fx}/suite-ok", "--shard", "1/"}, want: []string{`--shard "1/"`}},
		{name: "scenario test unknown firmware", args: []string{"scenario", "test", "{fx}/suite-ok", "--firmware", "9.99"}, want: []string{"v9.99 was never released"}},
		{name: "scenario test report is a directory", args: []string{"scenario", "test", "{fx}/suite-ok", "--report", "{fx}/dir"}, want: []string{"--report {fx}/dir", "is a directory"}},
		{name: "scenario test has no --trace", args: []string{"scenario", "test", "{fx}/suite-ok", "--trace"}, want: []string{"unknown flag: --trace"}},

		// replay
		{name: "replay without log", args: []string{"replay"}, want: []string{"accepts 1 arg(s), received 0"}},
		{name: "replay two logs", args: []string{"replay", "{fx}/good.log", "{fx}/good.log"}, want: []string{"accepts 1 arg(s), received 2"}},
		{name: "replay missing log", args: []string{"replay", "{fx}/none.log"}, want: []string{"cannot read {fx}/none.log", "no such file"}},
		{name: "replay directory", args: []string{"replay", "{fx}/dir"}, want: []string{"cannot read {fx}/dir", "is a directory"}},
		{name: "replay unreadable log", args: []string{"replay", "{fx}/unreadable.log"}, want: []string{"cannot read {fx}/unreadable.log", "permission denied"}, notRoot: true},
		{name: "replay garbage", args: []string{"replay", "{fx}/garbage.bin"}, want: []string{"{fx}/garbage.bin: line 1", "bad timestamp"}},
		{name: "replay malformed line", args: []string{"replay", "{fx}/mixed.log"}, want: []string{"{fx}/mixed.log: line 2", "bad timestamp"}},
		{name: "replay truncated line", args: []string{"replay", "{fx}/trunc.log"}, want: []string{"{fx}/trunc.log: line 1", "missing '#'"}},
		{name: "replay odd data", args: []string{"replay", "{fx}/odd.log"}, want: []string{"line 1", "odd number of hex digits"}},
		{name: "replay empty log", args: []string{"replay", "{fx}/empty.log"}, want: []string{`no battery frames on interface "batbus"`, "--interface"}},
		{name: "replay unknown interface", args: []string{"replay", "{fx}/good.log", "--interface", "can9"}, want: []string{`no battery frames on interface "can9"`}},
		{name: "replay compare missing", args: []string{"replay", "{fx}/good.log", "--compare", "{fx}/none.log"}, want: []string{"cannot read {fx}/none.log"}},
		{name: "replay compare directory", args: []string{"replay", "{fx}/good.log", "--compare", "{fx}/dir"}, want: []string{"cannot read {fx}/dir", "is a directory"}},
		{name: "replay compare malformed", args: []string{"replay", "{fx}/good.log", "--compare", "{fx}/badts.log"}, want: []string{"{fx}/badts.log: line 1"}},
		{name: "replay compare without broadcasts", args: []string{"replay", "{fx}/good.log", "--compare", "{fx}/empty.log"}, want: []string{"--compare {fx}/empty.log", "no state, error or flags broadcasts"}},
		{name: "replay compare without value", args: []string{"replay", "{fx}/good.log", "--compare"}, want: []string{"flag needs an argument: --compare"}},
		{name: "replay malformed firmware", args: []string{"replay", "{fx}/good.log", "--firmware", "x"}, want: []string{`firmware "x"`}},
		{name: "replay unknown battery type", args: []string{"replay", "{fx}/good.log", "--battery-type", "AGM"}, want: []string{`battery type "AGM" is unknown`}},
		{name: "replay series 0", args: []string{"replay", "{fx}/good.log", "--series", "0"}, want: []string{"--series 0", "1 to 64"}},
		{name: "replay series not a number", args: []string{"replay", "{fx}/good.log", "--series", "x"}, want: []string{`"x" for "--series"`}},
		{name: "replay negative load", args: []string{"replay", "{fx}/good.log", "--load-amps", "-1"}, want: []string{"--load-amps -1"}},
		{name: "replay load NaN", args: []string{"replay", "{fx}/good.log", "--load-amps", "NaN"}, want: []string{"--load-amps NaN"}},
		{name: "replay infinite charger", args: []string{"replay", "{fx}/good.log", "--charger-amps", "Inf"}, want: []string{"--charger-amps +Inf"}},
		{name: "replay negative tolerance", args: []string{"replay", "{fx}/good.log", "--tolerance", "-1s"}, want: []string{"--tolerance -1s"}},
		{name: "replay bad tolerance", args: []string{"replay", "{fx}/good.log", "--tolerance", "x"}, want: []string{`"x" for "--tolerance"`}},
		{name: "replay negative tail", args: []string{"replay", "{fx}/good.log", "--tail", "-1s"}, want: []string{"--tail -1s"}},
		{name: "replay bad tail", args: []string{"replay", "{fx}/good.log", "--tail", "x"}, want: []string{`"x" for "--tail"`}},
		{name: "replay candump is a directory", args: []string{"replay", "{fx}/good.log", "--candump", "{fx}/dir"}, want: []string{"--candump {fx}/dir", "is a directory"}},
		{name: "replay candump in a missing directory", args: []string{"replay", "{fx}/good.log", "--candump", "{out}/no/x.log"}, want: []string{"--candump", "does not exist"}},
		{name: "replay candump, then no battery frames", args: []string{"replay", "{fx}/good.log", "--interface", "can9", "--candump", "{out}/new.log"}, want: []string{`interface "can9"`}},
		{name: "replay candump kept", args: []string{"replay", "{fx}/good.log", "--interface", "can9", "--candump", "{out}/keep.log"}, want: []string{`interface "can9"`}},

		// bench
		{name: "bench extra argument", args: []string{"bench", "extra"}, want: []string{`unknown command "extra" for "lynxsim bench"`}},
		{name: "bench batteries not a number", args: []string{"bench", "--batteries", "x"}, want: []string{`"x" for "--batteries"`}},
		{name: "bench odd batteries", args: []string{"bench", "--batteries", "3"}, want: []string{"--batteries 3", "even number"}},
		{name: "bench no batteries", args: []string{"bench", "--batteries", "0"}, want: []string{"--batteries 0"}},
		{name: "bench too many batteries", args: []string{"bench", "--batteries", "66"}, want: []string{"--batteries 66"}},
		{name: "bench simulated 0", args: []string{"bench", "--simulated", "0s"}, want: []string{"--simulated 0s", "positive"}},
		{name: "bench negative simulated", args: []string{"bench", "--simulated", "-1s"}, want: []string{"--simulated -1s"}},
		{name: "bench bad simulated", args: []string{"bench", "--simulated", "x"}, want: []string{`"x" for "--simulated"`}},
		{name: "bench unknown flag", args: []string{"bench", "--cpus", "2"}, want: []string{"unknown flag: --cpus"}},
		{name: "bench cpuprofile in a missing directory", args: []string{"bench", "--batteries", "1", "--simulated", "1s", "--cpuprofile", "{out}/no/such/cpu.pgo"}, want: []string{"--cpuprofile", "{out}/no/such/", "does not exist"}},
		{name: "bench cpuprofile with load", args: []string{"bench", "--load", "--cpuprofile", "{out}/cpu.pgo"}, want: []string{"--cpuprofile is for the speed bench"}},
	}

	names := map[string]bool{}
	for _, r := range rows {
		require.False(t, names[r.name], "two rows named %q", r.name)
		names[r.name] = true
		if r.code == 1 {
			require.NotEmpty(t, r.why, "%s: exit status 1 needs the reason the input is not at fault", r.name)
		}
	}
	t.Logf("%d rows", len(rows))

	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			if r.notRoot && os.Geteuid() == 0 {
				t.Skip("root reads files whatever their permissions")
			}
			if r.udp != "" {
				udpBus(t, r.udp)
			}
			out := t.TempDir()
			keep := filepath.Join(out, "keep.log")
			require.NoError(t, os.WriteFile(keep, []byte(keepContent), 0o644))
			outBefore := snapshot(t, out)
			expand := func(s string) string {
				return strings.NewReplacer("{fx}", fx, "{out}", out).Replace(s)
			}
			args := make([]string, len(r.args))
			for i, a := range r.args {
				args[i] = expand(a)
			}

			code, stdout, stderr := executeGuarded(t, args)

			want := r.code
			if want == 0 {
				want = 2
			}
			assert.Equal(t, want, code, "exit status; stderr %q", stderr)
			assert.True(t, strings.HasPrefix(stderr, "lynxsim: "), "stderr starts with lynxsim: %q", stderr)
			assert.True(t, strings.HasSuffix(stderr, "\n") && strings.Count(stderr, "\n") == 1, "stderr is one line: %q", stderr)
			for _, w := range r.want {
				assert.Contains(t, stderr, expand(w))
			}
			assert.Empty(t, stdout, "nothing on stdout when the command fails")
			assert.Equal(t, outBefore, snapshot(t, out), "outputs: nothing created, changed or left half-written")
			got, err := os.ReadFile(keep)
			require.NoError(t, err)
			assert.Equal(t, keepContent, string(got))
		})
	}
	assert.Equal(t, before, snapshot(t, fx), "the inputs are unchanged and nothing was written beside them")
}

// executeGuarded runs the command line in process and returns even when it panics or hangs: a
// panic or a command still running after 30 s fails the row.
func executeGuarded(t *testing.T, args []string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	type result struct {
		code  int
		panic any
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{panic: p}
			}
		}()
		done <- result{code: execute(ctx, args, &out, &errb)}
	}()
	select {
	case r := <-done:
		require.Nil(t, r.panic, "execute panicked")
		return r.code, out.String(), errb.String()
	case <-time.After(30 * time.Second):
		cancel()
		<-done
		t.Fatalf("execute did not return within 30 s: it ran instead of failing; stdout %q", out.String())
		return 0, "", ""
	}
}

// What is accepted by design, not refused: a candump log with some bad lines among good ones is
// decoded with each bad line reported (decode --help), and a corrupt or foreign state file makes
// the master start from defaults and log it, as a real one whose memory fails its checksum does
// (package nvm). Neither leaves a file behind.
func TestBadInputAcceptedByDesign(t *testing.T) {
	fx := badFixtures(t)
	code, stdout, stderr := executeGuarded(t, []string{"decode", filepath.Join(fx, "mixed.log")})
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "ISO Address Claim")
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	require.Len(t, lines, 2, stderr)
	assert.Contains(t, lines[0], "mixed.log: line 2: bad timestamp")
	assert.Contains(t, lines[0], "(skipped)")
	assert.Contains(t, lines[1], "1 frames")
	assert.Contains(t, lines[1], "1 bad lines skipped")

	for _, tt := range []struct {
		name, content, want string
	}{
		{"truncated", `{"magic":"lynxsim-nvm","format":1,"crc32":17`, "non-volatile memory corrupt, defaults used"},
		{"garbage", "garbage\x00\xff", "non-volatile memory corrupt, defaults used"},
		{"wrong checksum", `{"magic":"lynxsim-nvm","format":1,"crc32":1,"payload":{"soc_percent":12}}`, "non-volatile memory corrupt, defaults used"},
	} {
		t.Run("state file "+tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "master.json")
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o644))
			code, stdout, stderr := executeGuarded(t, []string{"run", "--state-dir", dir, "--speed", "max", "--duration", "10ms"})
			assert.Equal(t, 0, code, stderr)
			assert.Empty(t, stderr)
			assert.Contains(t, stdout, tt.want)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, entries, 1, "no temporary file left")
		})
	}
}
