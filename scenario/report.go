package scenario

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
	"time"

	"github.com/lynxsim/lynxsim/events"
)

// WriteReport writes one self-contained HTML page (inline SVG and CSS, no script, nothing
// fetched) with, for each result, plots over time of pack voltage and current, SOC, the cell
// voltage and temperature extremes, the DVCC limits, the state as a band, the events as markers,
// and the expectations that failed.
func WriteReport(w io.Writer, results []*Result) error {
	b := &strings.Builder{}
	b.WriteString(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>lynxsim scenario report</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-top:1px solid #ccc;padding-top:.8em}
.pass{color:#1a7f37}.fail{color:#cf222e}
table{border-collapse:collapse;font-size:.85em}td,th{padding:.15em .6em;text-align:left;border-bottom:1px solid #eee}
svg{display:block;margin:.3em 0}
svg text{font-size:11px;fill:#444}
.grid{stroke:#eee}.axis{stroke:#999}
</style></head><body>
<h1>lynxsim scenario report</h1>
<table><tr><th>scenario</th><th>firmware</th><th>result</th><th>simulated</th></tr>
`)
	for i, r := range results {
		status := `<span class="pass">pass</span>`
		if !r.Passed() {
			status = fmt.Sprintf(`<span class="fail">%d failed</span>`, len(r.Failures))
		}
		fmt.Fprintf(b, "<tr><td><a href=\"#r%d\">%s</a></td><td>%v</td><td>%s</td><td>%v</td></tr>\n",
			i, html.EscapeString(r.Script.Name), r.Version, status, r.Script.Duration)
	}
	b.WriteString("</table>\n")
	for i, r := range results {
		writeResult(b, i, r)
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// series is one line of a plot.
type series struct {
	name  string
	color string
	value func(Sample) float64
}

// panel is one plot.
type panel struct {
	title  string
	series []series
}

var panels = []panel{
	{"Voltage (V)", []series{{"pack", "#0969da", func(s Sample) float64 { return s.Volts }}, {"bus", "#9a6700", func(s Sample) float64 { return s.BusVolts }}}},
	{"Current (A, + charging)", []series{{"I", "#8250df", func(s Sample) float64 { return s.Amps }}}},
	{"SOC (%)", []series{{"SOC", "#1a7f37", func(s Sample) float64 { return s.SOC }}}},
	{"Cell voltage (V)", []series{{"max", "#cf222e", func(s Sample) float64 { return s.MaxCell }}, {"min", "#0969da", func(s Sample) float64 { return s.MinCell }}}},
	{"Cell temperature (°C)", []series{{"max", "#cf222e", func(s Sample) float64 { return s.MaxTemp }}, {"min", "#0969da", func(s Sample) float64 { return s.MinTemp }}}},
	{"Charge voltage limit CVL (V)", []series{{"CVL", "#9a6700", func(s Sample) float64 { return s.CVL }}}},
	{"Current limits (A)", []series{{"CCL", "#1a7f37", func(s Sample) float64 { return s.CCL }}, {"DCL", "#bc4c00", func(s Sample) float64 { return s.DCL }}}},
}

const (
	plotWidth  = 900
	plotHeight = 120
	marginLeft = 60
	marginTop  = 24
	bandHeight = 26
)

func writeResult(b *strings.Builder, i int, r *Result) {
	fmt.Fprintf(b, "<h2 id=\"r%d\">%s — %v</h2>\n", i, html.EscapeString(r.Script.Name), r.Version)
	if len(r.Script.Covers) > 0 {
		fmt.Fprintf(b, "<p>Covers changelog items %s. File %s.</p>\n", html.EscapeString(strings.Join(r.Script.Covers, ", ")), html.EscapeString(r.Script.File))
	}
	if !r.Passed() {
		b.WriteString("<ul class=\"fail\">\n")
		for _, f := range r.Failures {
			fmt.Fprintf(b, "<li>%s</li>\n", html.EscapeString(f.Error()))
		}
		b.WriteString("</ul>\n")
	}
	end := r.Script.Duration
	if n := len(r.Samples); n > 0 {
		end = max(end, r.Samples[n-1].At)
	}
	writeStateBand(b, r, end)
	for _, p := range panels {
		writePanel(b, p, r, end)
	}
	b.WriteString("<table><tr><th>time</th><th>kind</th><th>what</th></tr>\n")
	for _, m := range r.Marks {
		fmt.Fprintf(b, "<tr><td>%v</td><td>%s</td><td>%s</td></tr>\n", m.At, m.Kind, html.EscapeString(m.Text))
	}
	b.WriteString("</table>\n")
}

func xOf(t, end time.Duration) float64 {
	if end <= 0 {
		return marginLeft
	}
	return marginLeft + float64(t)/float64(end)*(plotWidth-marginLeft-10)
}

// stateColors colour the state band.
func stateColor(s events.State) string {
	switch {
	case s == events.StateRunning:
		return "#2da44e"
	case s == events.StateError:
		return "#cf222e"
	case s == events.StateStandby, s == events.StateShutdown:
		return "#8c959f"
	case s == events.StatePreCharging, s == events.StateGoingToRun, s == events.StateContactorCheck:
		return "#bf8700"
	case s == events.StatePending:
		return "#fb8500"
	case s == events.StateSlaveUpdating:
		return "#8250df"
	}
	return "#d0d7de" // initializing
}

func writeStateBand(b *strings.Builder, r *Result, end time.Duration) {
	fmt.Fprintf(b, `<svg width="%d" height="%d" role="img" aria-label="state over time">`, plotWidth, bandHeight+16)
	fmt.Fprintf(b, `<text x="0" y="17">state</text>`)
	var marks []Mark
	for _, m := range r.Marks {
		if m.Kind == "state" {
			marks = append(marks, m)
		}
	}
	for k, m := range marks {
		to := end
		if k+1 < len(marks) {
			to = marks[k+1].At
		}
		x0, x1 := xOf(m.At, end), xOf(to, end)
		st, _, _ := parseState(m.Text)
		fmt.Fprintf(b, `<rect x="%.1f" y="2" width="%.1f" height="%d" fill="%s"><title>%v %s</title></rect>`,
			x0, max(x1-x0, 0.5), bandHeight-4, stateColor(st), m.At, html.EscapeString(m.Text))
		if x1-x0 > 60 {
			fmt.Fprintf(b, `<text x="%.1f" y="18" style="fill:#fff">%s</text>`, x0+3, html.EscapeString(m.Text))
		}
	}
	fmt.Fprintf(b, `<text x="%d" y="%d">0</text><text x="%d" y="%d" text-anchor="end">%v</text>`, marginLeft, bandHeight+13, plotWidth-10, bandHeight+13, end)
	b.WriteString("</svg>\n")
}

func writePanel(b *strings.Builder, p panel, r *Result, end time.Duration) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range r.Samples {
		for _, se := range p.series {
			if v := se.value(s); !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 0) {
		return // nothing known to plot
	}
	if hi-lo < 1e-6 {
		lo, hi = lo-1, hi+1
	}
	pad := (hi - lo) * 0.05
	lo, hi = lo-pad, hi+pad
	h := plotHeight - marginTop - 14.0
	yOf := func(v float64) float64 { return marginTop + (hi-v)/(hi-lo)*h }
	fmt.Fprintf(b, `<svg width="%d" height="%d" role="img" aria-label="%s">`, plotWidth, plotHeight, html.EscapeString(p.title))
	fmt.Fprintf(b, `<text x="0" y="12">%s</text>`, html.EscapeString(p.title))
	for k := 0; k <= 2; k++ {
		v := lo + (hi-lo)*float64(k)/2
		y := yOf(v)
		fmt.Fprintf(b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`,
			marginLeft, plotWidth-10, y, y, marginLeft-4, y+4, trimNumber(v))
	}
	// Events as markers: a thin line at each logged warning or worse, each stimulus dashed.
	for _, m := range r.Marks {
		if m.Kind == "state" || (m.Kind == "event" && m.Severity < events.SeverityWarning) {
			continue
		}
		x := xOf(m.At, end)
		style := "stroke:#cf222e;stroke-opacity:.5"
		if m.Kind == "action" {
			style = "stroke:#0969da;stroke-opacity:.5;stroke-dasharray:3 3"
		}
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.1f" style="%s"><title>%v %s</title></line>`,
			x, x, marginTop, marginTop+h, style, m.At, html.EscapeString(m.Text))
	}
	for si, se := range p.series {
		// One polyline per stretch of known values: a gap (not registered, not reported) breaks it.
		var segments []string
		var pts strings.Builder
		for _, s := range r.Samples {
			v := se.value(s)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				if pts.Len() > 0 {
					segments = append(segments, pts.String())
					pts.Reset()
				}
				continue
			}
			fmt.Fprintf(&pts, "%.1f,%.1f ", xOf(s.At, end), yOf(v))
		}
		if pts.Len() > 0 {
			segments = append(segments, pts.String())
		}
		for _, seg := range segments {
			fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"/>`, seg, se.color)
		}
		if len(p.series) > 1 {
			fmt.Fprintf(b, `<text x="%d" y="12" style="fill:%s">%s</text>`, plotWidth-120+si*50, se.color, html.EscapeString(se.name))
		}
	}
	fmt.Fprintf(b, `<line class="axis" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, marginLeft, plotWidth-10, marginTop+h, marginTop+h)
	b.WriteString("</svg>\n")
}

func trimNumber(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}
