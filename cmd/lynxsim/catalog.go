package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/firmware"
)

func newFirmwareCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "firmware",
		Short: "The emulated firmware releases",
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the released versions with their dates and changelog items",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return firmwareList(cmd.OutOrStdout(), asJSON)
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(list)
	addFirmwareCommands(cmd)
	return cmd
}

type releaseRow struct {
	Version    firmware.Version `json:"version"`
	Date       string           `json:"date"`
	Behaviours int              `json:"behaviours"`
	KnownIssue int              `json:"known_issues"`
	Records    int              `json:"records"`
	Latest     bool             `json:"latest,omitempty"`
}

func firmwareList(w io.Writer, asJSON bool) error {
	var rows []releaseRow
	for _, r := range firmware.Releases() {
		row := releaseRow{Version: r.Version, Date: r.Date.Format("2006-01-02"), Latest: r.Version == firmware.Latest()}
		for _, it := range firmware.ItemsOf(r.Version) {
			switch it.Kind {
			case firmware.KindBehaviour:
				row.Behaviours++
			case firmware.KindKnownIssue:
				row.KnownIssue++
			case firmware.KindRecord:
				row.Records++
			}
		}
		rows = append(rows, row)
	}
	if asJSON {
		return writeJSON(w, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tDATE\tBEHAVIOURS\tKNOWN ISSUES\tRECORDS\t")
	for _, r := range rows {
		latest := ""
		if r.Latest {
			latest = "latest"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", r.Version, r.Date, r.Behaviours, r.KnownIssue, r.Records, latest)
	}
	return tw.Flush()
}

func newEventsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "events",
		Short: "The catalogue: error numbers, BMS flag bits and states, with their firmware versions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return eventsCatalogue(cmd.OutOrStdout(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func eventsCatalogue(w io.Writer, asJSON bool) error {
	if asJSON {
		return writeJSON(w, struct {
			Errors []events.ErrorInfo `json:"errors"`
			Flags  []events.FlagInfo  `json:"flags"`
			States []events.StateInfo `json:"states"`
		}{events.Errors(), events.Flags(), events.States()})
	}
	since := func(v firmware.Version) string {
		if v.IsZero() {
			return ""
		}
		return "since " + v.String()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ERROR\tNAME\tGUI TEXT\tMG TEXT\tVERSIONS\t")
	for _, e := range events.Errors() {
		fmt.Fprintf(tw, "#%d\t%s\t%s\t%s\t%s\n", e.Code, e.Name, e.Text, e.MGText, since(e.Since))
	}
	fmt.Fprintln(tw, "\t\t\t\t\t")
	fmt.Fprintln(tw, "FLAG BIT\tNAME\tMG TEXT\tDBUS\tVERSIONS\t")
	for _, f := range events.Flags() {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", f.Bit, f.Name, f.MGText, f.DbusPath, since(f.Since))
	}
	fmt.Fprintln(tw, "\t\t\t\t\t")
	fmt.Fprintln(tw, "STATE\tNAME\tGUI TEXT\tMG TEXT\t\t")
	for _, s := range events.States() {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t\n", s.Value, s.Name, s.GUIText, s.MGText)
	}
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// version is set at build time with -ldflags "-X main.version=…"; otherwise the module version
// from the build information is used.
var version = ""

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print lynxsim's version and the firmware versions it emulates",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			v := version
			if v == "" {
				v = "(devel)"
				if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
					v = bi.Main.Version
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "lynxsim %s (%s %s/%s)\nemulates Lynx Ion BMS firmware %s to %s\n",
				v, runtime.Version(), runtime.GOOS, runtime.GOARCH, firmware.Oldest(), firmware.Latest())
		},
	}
}
