package scenario

import (
	"bytes"
	"context"
	stdimage "image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/firmware"
)

func reportOf(t *testing.T, file string, v string) []byte {
	t.Helper()
	s, err := ParseFile(filepath.Join(suiteDir, file))
	require.NoError(t, err)
	res, err := Run(context.Background(), s, firmware.MustParse(v), RunOptions{})
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, WriteReport(&b, []*Result{res}))
	return b.Bytes()
}

// The report is one self-contained page: inline SVG, no script, nothing fetched.
func TestReportSelfContained(t *testing.T) {
	page := string(reportOf(t, "interlock.scen", "1.32"))
	for _, want := range []string{"<!DOCTYPE html>", "<svg", "Voltage (V)", "SOC (%)", "Cell voltage (V)", "Cell temperature", "CVL", "Current limits (A)", "state", "interlock open"} {
		assert.Contains(t, page, want)
	}
	for _, never := range []string{"<script", "http://", "https://", "src="} {
		assert.NotContains(t, page, never)
	}
}

// The report renders in a headless browser (Debian's chromium): the screenshot has the page's
// plots in it, not a blank or an error page. Skipped where chromium is not installed
// (apt-get install chromium; .ci/run installs it).
func TestReportRendersHeadless(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium): the report is not rendered here")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	require.NoError(t, os.WriteFile(page, reportOf(t, "cell-drifts-high.scen", "1.24"), 0o644))
	shot := filepath.Join(dir, "report.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// The flags keep Chromium off the network and out of the user's profile (the machine's
	// network is closed; see .library/env).
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--window-size=1000,1400", "--screenshot="+shot, "file://"+page)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "chromium: %s", out)
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, stdimage.Rect(0, 0, 1000, 1400), img.Bounds())
	// The plots draw coloured lines: count pixels that are neither white nor grey.
	coloured := 0
	for y := 0; y < 1400; y += 2 {
		for x := 0; x < 1000; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			if max(r, g, b)-min(r, g, b) > 0x3000 {
				coloured++
			}
		}
	}
	assert.Greater(t, coloured, 2000, "the plots and the state band are drawn")
	assert.False(t, strings.Contains(string(out), "ERR_FILE_NOT_FOUND"))
}
