package vmtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The VM's kernel modules, loaded in this order (vcan needs can-dev, can-raw needs can).
var modules = []string{"kernel/net/can/can.ko", "kernel/net/can/can-raw.ko", "kernel/drivers/net/can/dev/can-dev.ko", "kernel/drivers/net/can/vcan.ko"}

// The can-utils and iproute2 programs the guest uses, copied with the libraries ldd names.
var guestPrograms = []string{"/usr/bin/candump", "/usr/bin/cansend", "/usr/bin/cangen", "/usr/sbin/ip"}

// Timeouts: no KVM here, so the kernel boots in software emulation (about 6 s on the
// development machine); the tests themselves run in real time, about two and a half minutes.
const (
	bootTimeout = 90 * time.Second
	vmTimeout   = 8 * time.Minute
)

// TestSocketCAN boots Debian's kernel under qemu with vcan and runs vmtest/guest/tests.sh inside:
// lynxsim against can-utils on a real kernel CAN stack. Without qemu and the packages it skips
// with the reason; .ci/run installs them.
func TestSocketCAN(t *testing.T) {
	if raceEnabled {
		t.Skip("the VM runs once, in the plain go test of .ci/run, not again under -race")
	}
	env := findEnvironment(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	buildGuest(t, env, root)
	initrd := filepath.Join(dir, "initrd.gz")
	packInitramfs(t, root, initrd)

	ctx, cancel := context.WithTimeout(context.Background(), vmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.qemu, "-kernel", env.kernel, "-initrd", initrd,
		"-append", "console=ttyS0 panic=-1 quiet", "-nographic", "-no-reboot", "-m", "512", "-smp", "2")
	console, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("qemu: %v", err)
	}
	res := readConsole(t, console, start)
	waitErr := cmd.Wait()
	if !res.booted {
		t.Fatalf("the VM did not come up within %v (qemu: %v); console:\n%s", bootTimeout, waitErr, res.log.String())
	}
	t.Logf("VM booted in %v (kernel %s); tests took %v", res.bootTime.Round(100*time.Millisecond), res.kernel, time.Since(start).Round(time.Second))
	if !res.done {
		t.Fatalf("the VM stopped before its tests ended (qemu: %v); console:\n%s", waitErr, res.log.String())
	}
	want := []string{"record", "vreg", "hil", "flood", "errors", "listen-only", "down-up", "bad-input", "realtime"}
	for _, name := range want {
		t.Run(name, func(t *testing.T) {
			why, failed := res.failed[name]
			switch {
			case failed:
				t.Errorf("%s", why)
			case !res.passed[name]:
				t.Errorf("no result")
			}
		})
	}
	for _, f := range res.setupFailures {
		t.Errorf("VM setup: %s", f)
	}
	if t.Failed() {
		t.Logf("console:\n%s", res.log.String())
	}
	reportRealtime(t, res.data)
}

type environment struct {
	qemu, kernel, modules, busybox string
}

func findEnvironment(t *testing.T) environment {
	t.Helper()
	var env environment
	var err error
	skip := func(why string) {
		t.Skipf("%s: install qemu-system-x86 linux-image-amd64 busybox-static can-utils cpio (.ci/run does) to run the SocketCAN tests in a VM", why)
	}
	if env.qemu, err = exec.LookPath("qemu-system-x86_64"); err != nil {
		skip("qemu-system-x86_64 not found")
	}
	if _, err := exec.LookPath("cpio"); err != nil {
		skip("cpio not found")
	}
	kernels, _ := filepath.Glob("/boot/vmlinuz-*")
	sort.Strings(kernels)
	if len(kernels) == 0 {
		skip("no kernel in /boot")
	}
	env.kernel = kernels[len(kernels)-1]
	version := strings.TrimPrefix(filepath.Base(env.kernel), "vmlinuz-")
	env.modules = filepath.Join("/lib/modules", version)
	for _, m := range modules {
		if _, err := os.Stat(filepath.Join(env.modules, m)); err != nil {
			skip(fmt.Sprintf("kernel module %s not found for %s", m, version))
		}
	}
	env.busybox = "/usr/bin/busybox"
	if out, err := exec.Command("file", "-L", env.busybox).Output(); err != nil || !bytes.Contains(out, []byte("statically linked")) {
		if _, err := os.Stat("/bin/busybox"); err == nil {
			env.busybox = "/bin/busybox"
		} else {
			skip("a static busybox not found")
		}
	}
	for _, p := range guestPrograms {
		if _, err := os.Stat(p); err != nil {
			skip(p + " not found")
		}
	}
	return env
}

// buildGuest lays out the initramfs: busybox, the init and tests, lynxsim built statically, the
// CAN modules, and the guest programs with their shared libraries.
func buildGuest(t *testing.T, env environment, root string) {
	t.Helper()
	for _, d := range []string{"bin", "modules", "lib64", "lib/x86_64-linux-gnu", "usr/bin", "usr/sbin"} {
		must(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	copyFile(t, env.busybox, filepath.Join(root, "bin/busybox"), 0o755)
	copyFile(t, "guest/init", filepath.Join(root, "init"), 0o755)
	copyFile(t, "guest/tests.sh", filepath.Join(root, "tests.sh"), 0o644)
	for _, m := range modules {
		copyFile(t, filepath.Join(env.modules, m), filepath.Join(root, "modules", filepath.Base(m)), 0o644)
	}
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(root, "bin/lynxsim"), "../cmd/lynxsim")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build lynxsim: %v\n%s", err, out)
	}
	libs := map[string]bool{}
	for _, p := range guestPrograms {
		copyFile(t, p, filepath.Join(root, p), 0o755)
		out, err := exec.Command("ldd", p).Output()
		if err != nil {
			t.Fatalf("ldd %s: %v", p, err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			for _, f := range strings.Fields(line) {
				if strings.HasPrefix(f, "/") {
					libs[f] = true
				}
			}
		}
	}
	for lib := range libs {
		copyFile(t, lib, filepath.Join(root, lib), 0o755)
	}
}

// packInitramfs writes root as a gzipped newc cpio archive.
func packInitramfs(t *testing.T, root, out string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", "find . | cpio -o -H newc --quiet | gzip -1 > "+shellQuote(out))
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cpio: %v\n%s", err, b)
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	must(t, err)
	must(t, os.MkdirAll(filepath.Dir(to), 0o755))
	must(t, os.WriteFile(to, b, mode))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// consoleResult is what the VM said on its serial console.
type consoleResult struct {
	log           bytes.Buffer
	booted, done  bool
	bootTime      time.Duration
	kernel        string
	passed        map[string]bool
	failed        map[string]string
	setupFailures []string
	data          map[string][]string
}

// readConsole reads the serial console to its end; it stops waiting for the boot after
// bootTimeout (the caller's context kills qemu at the overall limit).
func readConsole(t *testing.T, r io.Reader, start time.Time) *consoleResult {
	res := &consoleResult{passed: map[string]bool{}, failed: map[string]string{}, data: map[string][]string{}}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
		for sc.Scan() {
			lines <- strings.TrimRight(sc.Text(), "\r")
		}
		close(lines)
	}()
	bootDeadline := time.After(bootTimeout)
	for {
		select {
		case <-bootDeadline:
			if !res.booted {
				return res
			}
		case line, ok := <-lines:
			if !ok {
				return res
			}
			res.log.WriteString(line + "\n")
			i := strings.Index(line, "VMTEST ")
			if i < 0 {
				continue
			}
			fields := strings.SplitN(line[i+len("VMTEST "):], " ", 2)
			rest := ""
			if len(fields) == 2 {
				rest = fields[1]
			}
			switch fields[0] {
			case "BOOTED":
				res.booted, res.bootTime, res.kernel = true, time.Since(start), rest
			case "PASS":
				res.passed[rest] = true
			case "FAIL":
				name, why, _ := strings.Cut(rest, ": ")
				if _, ok := res.failed[name]; ok || name == "modules" || name == "setup" {
					res.setupFailures = append(res.setupFailures, rest)
				} else {
					res.failed[name] = why
				}
			case "DATA":
				k, v, _ := strings.Cut(rest, " ")
				res.data[k] = append(res.data[k], v)
			case "DONE":
				res.done = true
			}
		}
	}
}

// reportRealtime logs the real-time quality measured in the VM: the jitter of the 1.5 s period
// of PGN 127508 from candump's timestamps (p50, p99 of |interval − 1.5 s|) and lynxsim's CPU use.
// docs/performance.md carries the figures with this command.
func reportRealtime(t *testing.T, data map[string][]string) {
	var stamps []float64
	for _, s := range data["t127508"] {
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			stamps = append(stamps, v)
		}
	}
	// Three frames (instances 0, 1, 2) go out together every 1.5 s: take each burst's first.
	var bursts []float64
	for _, s := range stamps {
		if len(bursts) == 0 || s-bursts[len(bursts)-1] > 0.5 {
			bursts = append(bursts, s)
		}
	}
	if len(bursts) < 10 {
		t.Errorf("real time: %d bursts of PGN 127508 in a minute, want about 40", len(bursts))
		return
	}
	var dev []float64
	for i := 1; i < len(bursts); i++ {
		d := bursts[i] - bursts[i-1] - 1.5
		if d < 0 {
			d = -d
		}
		dev = append(dev, d*1000)
	}
	sort.Float64s(dev)
	p := func(q float64) float64 { return dev[int(q*float64(len(dev)-1))] }
	t.Logf("PGN 127508 period jitter over %d periods: p50 %.2f ms, p99 %.2f ms, max %.2f ms", len(dev), p(0.5), p(0.99), dev[len(dev)-1])
	if cpu, ok := cpuShare(data); ok {
		t.Logf("lynxsim CPU in real time (default system, two batteries): %.1f %% of one core", cpu)
	}
}

// cpuShare is lynxsim's CPU time over its life, from /proc/PID/stat (fields 14, 15 utime and
// stime, 22 starttime, in clock ticks) and /proc/uptime.
func cpuShare(data map[string][]string) (float64, bool) {
	if len(data["stat"]) == 0 || len(data["uptime"]) == 0 {
		return 0, false
	}
	stat := data["stat"][0]
	if i := strings.LastIndex(stat, ")"); i >= 0 {
		stat = stat[i+2:]
	}
	f := strings.Fields(stat)
	if len(f) < 20 {
		return 0, false
	}
	tck := 100.0
	if len(data["clk_tck"]) > 0 {
		if v, err := strconv.ParseFloat(data["clk_tck"][0], 64); err == nil && v > 0 {
			tck = v
		}
	}
	// After the ")" the fields start at 3 (state): utime is field 14, so index 11.
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	startTicks, _ := strconv.ParseFloat(f[19], 64)
	up, _ := strconv.ParseFloat(strings.Fields(data["uptime"][0])[0], 64)
	life := up - startTicks/tck
	if life <= 0 {
		return 0, false
	}
	return 100 * (utime + stime) / tck / life, true
}
