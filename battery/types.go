package battery

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lynxsim/lynxsim/canbus/batbus"
)

// Type describes a battery model.
type Type struct {
	Name       string // as the CLI names it, e.g. "LFP-24V-280Ah"
	Chemistry  batbus.Chemistry
	Model      uint8 // announced on the battery bus; a bank's batteries must agree
	Cells      int   // in series
	CapacityAh float64
	// CellOhms is the DC resistance of one cell with its share of busbars and wiring.
	CellOhms float64
}

// The catalogue of this first model. The MG LFP Battery 24V 230Ah and 280Ah are named in
// changelog 1.38-08 (limits.md §1.2); 8 cells in series is inferred there from "24V" = 8 × 3.2 V.
// No MG datasheet gives the resistance: 0.35 mΩ per cell is a typical published figure for
// 230–280 Ah prismatic LFP cells plus about 0.1 mΩ of busbar per cell (an assumption).
var catalogue = []Type{
	{Name: "LFP-24V-230Ah", Chemistry: batbus.ChemistryLFP, Model: 1, Cells: 8, CapacityAh: 230, CellOhms: 0.40e-3},
	{Name: "LFP-24V-280Ah", Chemistry: batbus.ChemistryLFP, Model: 2, Cells: 8, CapacityAh: 280, CellOhms: 0.35e-3},
}

// Types returns the battery types, sorted by name.
func Types() []Type {
	out := append([]Type(nil), catalogue...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupType finds a type by name, ignoring case. Its error lists the valid names.
func LookupType(name string) (Type, error) {
	var names []string
	for _, t := range Types() {
		if strings.EqualFold(t.Name, name) {
			return t, nil
		}
		names = append(names, t.Name)
	}
	return Type{}, fmt.Errorf("battery type %q is unknown: choose one of %s", name, strings.Join(names, ", "))
}

// lfpOCV is the open-circuit voltage of an LFP cell against state of charge, at 25 °C, after rest:
// the steep knee below 10 %, the flat plateau around 3.3 V, the rise above 95 %. The points follow
// the shape of published LiFePO4 OCV curves (no MG curve is public); interpolation between them
// is linear.
var lfpOCV = curve{
	{0, 2.50}, {2, 2.90}, {5, 3.10}, {10, 3.20}, {20, 3.25}, {30, 3.275}, {40, 3.29},
	{50, 3.30}, {60, 3.31}, {70, 3.32}, {80, 3.33}, {90, 3.34}, {95, 3.35}, {98, 3.40}, {100, 3.55},
}

// curve is a piecewise-linear function given by points with increasing x.
type curve [][2]float64

func (c curve) at(x float64) float64 {
	if x <= c[0][0] {
		return c[0][1]
	}
	for i := 1; i < len(c); i++ {
		if x <= c[i][0] {
			a, b := c[i-1], c[i]
			return a[1] + (b[1]-a[1])*(x-a[0])/(b[0]-a[0])
		}
	}
	return c[len(c)-1][1]
}
