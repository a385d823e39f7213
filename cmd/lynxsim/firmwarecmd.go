package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lynxsim/lynxsim/firmware"
	"github.com/lynxsim/lynxsim/internal/coverage"
	"github.com/lynxsim/lynxsim/master"
)

// addFirmwareCommands adds show, diff and coverage to `lynxsim firmware`.
func addFirmwareCommands(cmd *cobra.Command) {
	var asJSON bool
	show := &cobra.Command{
		Use:     "show VERSION",
		Short:   "A release: its date, its changelog items, the parameters in force, its known issues",
		Example: "  lynxsim firmware show 1.24\n  lynxsim firmware show v1.38 --json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return firmwareShow(cmd.OutOrStdout(), args[0], asJSON)
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	diff := &cobra.Command{
		Use:     "diff A B",
		Short:   "What changed from A to B: the changelog items between them and the parameters that differ",
		Example: "  lynxsim firmware diff 1.24 1.38",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return firmwareDiff(cmd.OutOrStdout(), args[0], args[1], asJSON)
		},
	}
	diff.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	var root string
	var uncoveredOnly bool
	cov := &cobra.Command{
		Use:   "coverage",
		Short: "Each changelog item and the tests and scenarios that cover it (run in lynxsim's source tree)",
		Long: `Read lynxsim's source tree (the current directory, or --root) and list each changelog item with the
tests and scenarios that claim it (a test's name or doc comment, a scenario's covers line) and
whether they run on both sides of its version. Behaviour items without such a claim are listed
last, with docs/fidelity.md's reason where it gives one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return firmwareCoverage(cmd.OutOrStdout(), root, uncoveredOnly, asJSON)
		},
	}
	cov.Flags().StringVar(&root, "root", ".", "lynxsim's source tree")
	cov.Flags().BoolVar(&uncoveredOnly, "uncovered", false, "list only the behaviour items without a covering test or scenario")
	cov.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(show, diff, cov)
}

func profileOf(s string) (*firmware.Profile, error) {
	v, err := firmware.ParseReleased(s)
	if err != nil {
		return nil, usageError{err}
	}
	return firmware.NewProfile(v)
}

type itemRow struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Text string `json:"text"`
}

type showResult struct {
	Version     firmware.Version   `json:"version"`
	Date        string             `json:"date"`
	Items       []itemRow          `json:"items"`
	InForce     int                `json:"behaviours_in_force"`
	Parameters  []master.Parameter `json:"parameters"`
	KnownIssues []itemRow          `json:"known_issues"`
}

func firmwareShow(w io.Writer, version string, asJSON bool) error {
	p, err := profileOf(version)
	if err != nil {
		return err
	}
	v := p.Version()
	rel, _ := firmware.LookupRelease(v)
	res := showResult{Version: v, Date: rel.Date.Format("2006-01-02"), Parameters: master.Parameters(p, master.Config{})}
	for _, it := range firmware.ItemsOf(v) {
		res.Items = append(res.Items, itemRow{it.ID, it.Kind.String(), it.Text})
	}
	for _, it := range firmware.Items() {
		if it.Kind == firmware.KindBehaviour && p.Has(it.ID) {
			res.InForce++
		}
	}
	for _, id := range p.AffectingKnownIssues() {
		it, _ := firmware.LookupItem(id)
		res.KnownIssues = append(res.KnownIssues, itemRow{id, it.Kind.String(), it.Text})
	}
	if asJSON {
		return writeJSON(w, res)
	}
	fmt.Fprintf(w, "Lynx Ion BMS %v, released %s: %d behaviour items of the changelog in force\n\n", v, res.Date, res.InForce)
	fmt.Fprintf(w, "changelog of %v:\n", v)
	for _, it := range res.Items {
		fmt.Fprintf(w, "  %s  %-11s %s\n", it.ID, it.Kind, it.Text)
	}
	fmt.Fprintln(w, "\nparameters in force:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, prm := range res.Parameters {
		fmt.Fprintf(tw, "  %s\t%s\t(%s)\n", prm.Name, prm.Value, prm.Item)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nknown issues of this version (reproduce with --known-issues ID):")
	if len(res.KnownIssues) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, it := range res.KnownIssues {
		fmt.Fprintf(w, "  %s  %s\n", it.ID, it.Text)
	}
	return nil
}

type paramChange struct {
	Name, From, To, Item string
}

type diffResult struct {
	From, To   firmware.Version `json:"-"`
	FromText   string           `json:"from"`
	ToText     string           `json:"to"`
	Items      []itemRow        `json:"items"`
	Parameters []paramChange    `json:"parameters"`
}

func firmwareDiff(w io.Writer, a, b string, asJSON bool) error {
	pa, err := profileOf(a)
	if err != nil {
		return err
	}
	pb, err := profileOf(b)
	if err != nil {
		return err
	}
	from, to := pa.Version(), pb.Version()
	if to.Before(from) {
		return usage("firmware diff %v %v: give the older version first", from, to)
	}
	res := diffResult{From: from, To: to, FromText: from.String(), ToText: to.String()}
	for _, it := range firmware.ItemsBetween(from, to) {
		res.Items = append(res.Items, itemRow{it.ID, it.Kind.String(), it.Text})
	}
	qa, qb := master.Parameters(pa, master.Config{}), master.Parameters(pb, master.Config{})
	for i := range qa {
		if qa[i].Value != qb[i].Value {
			res.Parameters = append(res.Parameters, paramChange{qa[i].Name, qa[i].Value, qb[i].Value, qa[i].Item})
		}
	}
	if asJSON {
		return writeJSON(w, res)
	}
	fmt.Fprintf(w, "from %v to %v: %d changelog items\n", from, to, len(res.Items))
	for _, it := range res.Items {
		fmt.Fprintf(w, "  %s  %-11s %s\n", it.ID, it.Kind, it.Text)
	}
	fmt.Fprintln(w, "\nwhat changes in lynxsim's parameters:")
	if len(res.Parameters) == 0 {
		fmt.Fprintln(w, "  nothing")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range res.Parameters {
		fmt.Fprintf(tw, "  %s\t%s → %s\t(%s)\n", c.Name, c.From, c.To, c.Item)
	}
	return tw.Flush()
}

type coverageRow struct {
	ID         string               `json:"id"`
	Kind       string               `json:"kind"`
	Covered    bool                 `json:"covered"`
	Unmodelled string               `json:"unmodelled,omitempty"`
	References []coverage.Reference `json:"references"`
}

func firmwareCoverage(w io.Writer, root string, uncoveredOnly, asJSON bool) error {
	if root == "" {
		return usage("--root is empty: give lynxsim's source tree, such as --root .")
	}
	r, err := coverage.Scan(root)
	if err != nil {
		return usage("%v", err)
	}
	unmodelled, err := coverage.Unmodelled(root)
	if err != nil {
		return err
	}
	var rows []coverageRow
	covered, behaviours := 0, 0
	for _, it := range firmware.Items() {
		if it.Kind == firmware.KindNone {
			continue
		}
		row := coverageRow{ID: it.ID, Kind: it.Kind.String(), Covered: r.Covered(it.ID), Unmodelled: unmodelled[it.ID], References: r.Items[it.ID]}
		if it.Kind == firmware.KindBehaviour {
			behaviours++
			if row.Covered {
				covered++
			}
		}
		if uncoveredOnly && (row.Covered || it.Kind != firmware.KindBehaviour) {
			continue
		}
		rows = append(rows, row)
	}
	if asJSON {
		return writeJSON(w, rows)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Covered && !rows[j].Covered })
	for _, row := range rows {
		status := "covered"
		switch {
		case row.Unmodelled != "":
			status = "not modelled: " + row.Unmodelled
		case !row.Covered && row.Kind == firmware.KindBehaviour.String():
			status = "UNCOVERED"
		case !row.Covered:
			status = "(" + row.Kind + ")"
		}
		var names []string
		for _, ref := range row.References {
			mark := ""
			if ref.Claim && ref.TwoSided {
				mark = "*"
			}
			names = append(names, ref.Name+mark)
		}
		fmt.Fprintf(w, "%s  %-9s %s  %s\n", row.ID, row.Kind, status, strings.Join(names, " "))
	}
	fmt.Fprintf(w, "%d of %d behaviour items covered on both sides of their version (* marks a covering claim)\n", covered, behaviours)
	return nil
}
