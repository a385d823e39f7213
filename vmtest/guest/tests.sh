# The SocketCAN interop tests, run by /init inside the VM on a real kernel CAN stack (vcan0 is
# VE.Can, vcan1 the battery bus). lynxsim runs in real time here. Each test prints
# VMTEST PASS name or VMTEST FAIL name: why; VMTEST DATA lines carry measurements to the host.

L=/bin/lynxsim
pass() { echo "VMTEST PASS $1"; }
fail() { echo "VMTEST FAIL $1: $2"; }
last() { tail -n "${2:-3}" "$1" | tr '\n' '|'; }

# The summary's counters: "battery-bus frames ignored N, rejected N; VE.Can frames ignored N,
# 11-bit N, error frames N; send errors N".
counter() { sed -n "s/.*$2 \([0-9]*\).*/\1/p" "$1" | tail -n 1; }

# lynxsim on vcan0/vcan1 while candump records: the recording decodes to the master's PGNs and
# registers.
t_record() {
	candump -L vcan0 > /tmp/ve.log &
	cd=$!
	$L run --vecan vcan0 --battery-bus vcan1 --duration 12s --load-amps 10 > /tmp/run1.out 2>&1
	rc=$?
	kill $cd
	[ "$rc" = 0 ] || { fail record "run exited $rc: $(last /tmp/run1.out)"; return; }
	grep -q "Running" /tmp/run1.out || { fail record "never running: $(last /tmp/run1.out 6)"; return; }
	$L decode /tmp/ve.log > /tmp/ve.txt 2> /tmp/ve.err || { fail record "decode: $(last /tmp/ve.err)"; return; }
	for want in "127508 Battery Status" "127506 DC Detailed Status" "VE_REG_SOC" "VE_REG_LYNX_ION_BMS_STATE" "VE_REG_BMS_FLAGS" "VE_REG_BATTERY_LIMIT_CHARGE_VOLTAGE"; do
		grep -q "$want" /tmp/ve.txt || { fail record "no $want in the decoded recording"; return; }
	done
	echo "VMTEST DATA record_frames $(wc -l < /tmp/ve.log)"
	pass record
}

# cansend a VREG request for VE_REG_SOC and a SOC write (42.50 %) to the master at 0x50, from 0x20:
# the answer and the new value are broadcast (S2 p.21).
t_vreg() {
	$L run --vecan vcan0 --battery-bus vcan1 --duration 14s --load-amps 0 > /tmp/run2.out 2>&1 &
	lp=$!
	sleep 8
	candump -L vcan0 > /tmp/vreg.log &
	cd=$!
	sleep 1
	cansend vcan0 1CEF5020#66990100FF0FFFFF
	sleep 1
	cansend vcan0 1CEF5020#6699FF0F9A10FFFF
	sleep 2
	kill $cd
	wait $lp
	rc=$?
	[ "$rc" = 0 ] || { fail vreg "run exited $rc: $(last /tmp/run2.out)"; return; }
	grep -q "1CEFFF50#6699FF0F" /tmp/vreg.log || { fail vreg "no VE_REG_SOC answer from 0x50: $(grep -c . /tmp/vreg.log) frames"; return; }
	grep -q "1CEFFF50#6699FF0F9A10" /tmp/vreg.log || { fail vreg "the written SOC (0x109A) never broadcast"; return; }
	grep -q "42.5" /tmp/run2.out || { fail vreg "the summary does not show SOC 42.5 %: $(grep SOC /tmp/run2.out | tail -n 1)"; return; }
	pass vreg
}

# The HIL shape: the batteries and the master in two processes on one vcan.
t_hil() {
	$L batteries --bus vcan1 --count 2 > /tmp/bat.out 2>&1 &
	bp=$!
	$L master --battery-bus vcan1 --vecan vcan0 --parallel 2 --duration 15s > /tmp/m3.out 2>&1
	rc=$?
	kill $bp
	[ "$rc" = 0 ] || { fail hil "master exited $rc: $(last /tmp/m3.out)"; return; }
	grep -q "Running" /tmp/m3.out || { fail hil "never running: $(last /tmp/m3.out 6) batteries: $(last /tmp/bat.out)"; return; }
	grep -q "batteries 2" /tmp/m3.out || { fail hil "not two batteries: $(last /tmp/m3.out 8)"; return; }
	pass hil
}

# cangen floods both buses with random frames, 11-bit and 29-bit: lynxsim keeps running, counts
# the 11-bit frames on VE.Can (changelog 1.16-01) and the garbage, and ignores them.
t_flood() {
	$L run --vecan vcan0 --battery-bus vcan1 --duration 16s --load-amps 5 > /tmp/r4.out 2>&1 &
	lp=$!
	sleep 7
	cangen vcan0 -g 2 -n 1500 &
	g1=$!
	cangen vcan0 -g 2 -e -n 1500 &
	g2=$!
	cangen vcan1 -g 4 -e -n 800 &
	g3=$!
	wait $g1 $g2 $g3
	wait $lp
	rc=$?
	[ "$rc" = 0 ] || { fail flood "run exited $rc under the flood: $(last /tmp/r4.out)"; return; }
	eleven=$(counter /tmp/r4.out "11-bit")
	ignored=$(counter /tmp/r4.out "VE.Can frames ignored")
	bat=$(counter /tmp/r4.out "battery-bus frames ignored")
	[ "${eleven:-0}" -gt 1000 ] || { fail flood "11-bit frames counted: ${eleven:-none}"; return; }
	[ "${ignored:-0}" -gt 100 ] || { fail flood "29-bit garbage ignored: ${ignored:-none}"; return; }
	[ "${bat:-0}" -gt 100 ] || { fail flood "battery-bus garbage ignored: ${bat:-none}"; return; }
	tail -n 40 /tmp/r4.out | grep -q "state *Running" || { fail flood "not running at the end: $(grep -m1 state /tmp/r4.out)"; return; }
	echo "VMTEST DATA flood_11bit $eleven"
	pass flood
}

# Error frames from the kernel reach the master: counted; a bus-off is handled (changelog 1.25-06).
t_errors() {
	$L run --vecan vcan0 --battery-bus vcan1 --duration 12s > /tmp/r5.out 2>&1 &
	lp=$!
	sleep 7
	cansend vcan0 20000004#0000000000000000
	cansend vcan0 20000040#0000000000000000
	wait $lp
	rc=$?
	[ "$rc" = 0 ] || { fail errors "run exited $rc: $(last /tmp/r5.out)"; return; }
	n=$(counter /tmp/r5.out "error frames")
	[ "${n:-0}" -ge 2 ] || { fail errors "error frames counted: ${n:-none}"; return; }
	grep -q "bus-off" /tmp/r5.out || { fail errors "no bus-off event"; return; }
	grep -q "back after bus-off" /tmp/r5.out || { fail errors "never back after the bus-off"; return; }
	pass errors
}

# --listen-only transmits nothing on either interface: zero frames.
t_listen_only() {
	candump -L vcan0 > /tmp/lo0.log &
	c0=$!
	candump -L vcan1 > /tmp/lo1.log &
	c1=$!
	$L run --vecan vcan0 --battery-bus vcan1 --listen-only --duration 6s > /tmp/r6.out 2>&1
	rc=$?
	sleep 1
	kill $c0 $c1
	[ "$rc" = 0 ] || { fail listen-only "run exited $rc: $(last /tmp/r6.out)"; return; }
	n0=$(grep -c . /tmp/lo0.log)
	n1=$(grep -c . /tmp/lo1.log)
	[ "$n0" = 0 ] && [ "$n1" = 0 ] || { fail listen-only "frames sent: $n0 on vcan0, $n1 on vcan1"; return; }
	pass listen-only
}

# VE.Can going down and up under a running master: a logged reconnect, then frames again.
t_down_up() {
	$L run --vecan vcan0 --battery-bus vcan1 --duration 20s > /tmp/r7.out 2>&1 &
	lp=$!
	sleep 7
	ip link set vcan0 down
	sleep 2
	ip link set vcan0 up
	sleep 3
	candump -L vcan0 > /tmp/r7.log &
	cd=$!
	sleep 3
	kill $cd
	wait $lp
	rc=$?
	[ "$rc" = 0 ] || { fail down-up "run exited $rc: $(last /tmp/r7.out)"; return; }
	grep -q "vcan0 down" /tmp/r7.out || { fail down-up "the interface going down was not logged: $(last /tmp/r7.out 5)"; return; }
	grep -q "vcan0 back" /tmp/r7.out || { fail down-up "no reconnect logged"; return; }
	[ "$(grep -c . /tmp/r7.log)" -gt 5 ] || { fail down-up "silent after the interface came back"; return; }
	pass down-up
}

# Bad input on a real stack: a missing interface, and a bit rate for a vcan (which has none) through
# netlink (einride candevice): one line each, exit status 2, nothing left running.
t_bad_input() {
	$L run --vecan vcan9 --duration 2s > /tmp/b1.out 2> /tmp/b1.err
	rc=$?
	[ "$rc" = 2 ] || { fail bad-input "missing interface: exit $rc: $(last /tmp/b1.err)"; return; }
	grep -q "CAN interface vcan9 not found" /tmp/b1.err || { fail bad-input "missing interface: $(last /tmp/b1.err)"; return; }
	[ "$(grep -c . /tmp/b1.err)" = 1 ] || { fail bad-input "not one line: $(last /tmp/b1.err 5)"; return; }
	$L run --vecan vcan0 --bitrate 250000 --duration 2s > /tmp/b2.out 2> /tmp/b2.err
	rc=$?
	[ "$rc" = 2 ] || { fail bad-input "bit rate on vcan: exit $rc: $(last /tmp/b2.err)"; return; }
	grep -q "vcan" /tmp/b2.err || { fail bad-input "bit rate on vcan: $(last /tmp/b2.err)"; return; }
	ip link show vcan0 | grep -q "UP" || { fail bad-input "vcan0 left down by the refused bit rate"; return; }
	pass bad-input
}

# Real-time quality: a minute of the default system; the host computes the jitter of PGN 127508
# (every 1.5 s) from these candump timestamps, and lynxsim's CPU use from /proc.
t_realtime() {
	candump -L vcan0 > /tmp/rt.log &
	cd=$!
	$L run --vecan vcan0 --battery-bus vcan1 --duration 62s > /tmp/rt.out 2>&1 &
	lp=$!
	sleep 61
	stat=$(cat /proc/$lp/stat 2>/dev/null)
	wait $lp
	kill $cd
	echo "VMTEST DATA clk_tck $(getconf CLK_TCK 2>/dev/null || echo 100)"
	echo "VMTEST DATA stat $stat"
	echo "VMTEST DATA uptime $(cat /proc/uptime)"
	grep " vcan0 19F21450#" /tmp/rt.log | sed 's/^(\([0-9.]*\)).*/VMTEST DATA t127508 \1/'
	pass realtime
}

for t in t_record t_vreg t_hil t_flood t_errors t_listen_only t_down_up t_bad_input t_realtime; do
	echo "VMTEST RUN $t"
	$t
done
