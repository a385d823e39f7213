package firmware

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
)

// Kind says what a changelog item means for the emulator.
type Kind uint8

// The kinds of changelog-items.tsv's third column. They start at 1 so that the zero Kind of an
// empty Item is not mistaken for a behaviour.
const (
	KindBehaviour  Kind = iota + 1 // a change lynxsim reproduces, switched by Profile.Has
	KindKnownIssue                 // a defect lynxsim reproduces only on request (WithKnownIssues)
	KindRecord                     // a change lynxsim does not model in detail (battery types, boot loaders); Has still reports it
	KindNone                       // "more code improvements, not affecting functionality"
)

var kindNames = [...]string{
	KindBehaviour:  "behaviour",
	KindKnownIssue: "known-issue",
	KindRecord:     "record",
	KindNone:       "none",
}

// String gives the word changelog-items.tsv uses: "behaviour", "known-issue", "record" or "none".
func (k Kind) String() string {
	if k == 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("kind %d", uint8(k))
	}
	return kindNames[k]
}

func parseKind(s string) (Kind, bool) {
	for k, name := range kindNames {
		if k != 0 && name == s {
			return Kind(k), true
		}
	}
	return 0, false
}

// Item is one bullet of the firmware changelog (S19), as listed in changelog-items.tsv.
type Item struct {
	ID      string  // "1.25-05": the version and the bullet's position in that version's list
	Version Version // the version whose changelog entry lists the item
	Kind    Kind
	Text    string // the changelog's wording, on one line
}

//go:embed changelog-items.tsv
var itemsTSV string

// The tables below are built once, at package initialisation, and never written afterwards.
var (
	items          = mustParseItems(itemsTSV) // file order
	itemsByID      = indexItems(items)
	itemsByVersion = sortItemsByVersion(items) // oldest version first, file order within a version
)

const itemsHeader = "id\tversion\tkind\ttext"

// parseItems reads changelog-items.tsv: a header line, then one item per line with four
// tab-separated fields. Each id must be unique and start with its version ("1.25-05" for 1.25).
func parseItems(tsv string) ([]Item, error) {
	lines := strings.Split(strings.TrimSuffix(tsv, "\n"), "\n")
	if lines[0] != itemsHeader {
		return nil, fmt.Errorf("changelog items: line 1 is %q, want the header %q", lines[0], itemsHeader)
	}
	out := make([]Item, 0, len(lines)-1)
	seen := make(map[string]bool, len(lines)-1)
	for i, line := range lines[1:] {
		lineNo := i + 2
		fields := strings.Split(line, "\t")
		if len(fields) != 4 {
			return nil, fmt.Errorf("changelog items line %d: %d tab-separated fields, want 4 (id, version, kind, text)", lineNo, len(fields))
		}
		id, version, kind, text := fields[0], fields[1], fields[2], fields[3]
		v, err := Parse(version)
		if err != nil {
			return nil, fmt.Errorf("changelog items line %d: %w", lineNo, err)
		}
		num, ok := strings.CutPrefix(id, version+"-")
		if !ok || len(num) != 2 || !isDigits(num) {
			return nil, fmt.Errorf("changelog items line %d: id %q, want %s-NN with two digits", lineNo, id, version)
		}
		if seen[id] {
			return nil, fmt.Errorf("changelog items line %d: id %q appears twice", lineNo, id)
		}
		seen[id] = true
		k, ok := parseKind(kind)
		if !ok {
			return nil, fmt.Errorf("changelog items line %d: kind %q, want behaviour, known-issue, record or none", lineNo, kind)
		}
		if strings.TrimSpace(text) == "" {
			return nil, fmt.Errorf("changelog items line %d: item %s has no text", lineNo, id)
		}
		out = append(out, Item{ID: id, Version: v, Kind: k, Text: text})
	}
	return out, nil
}

// mustParseItems panics because the file is embedded: a bad file is a programmer error that
// TestEmbeddedItemsParse catches before any release.
func mustParseItems(tsv string) []Item {
	parsed, err := parseItems(tsv)
	if err != nil {
		panic(err)
	}
	return parsed
}

func indexItems(list []Item) map[string]Item {
	m := make(map[string]Item, len(list))
	for _, it := range list {
		m[it.ID] = it
	}
	return m
}

func sortItemsByVersion(list []Item) []Item {
	sorted := slices.Clone(list)
	slices.SortStableFunc(sorted, func(a, b Item) int { return a.Version.Compare(b.Version) })
	return sorted
}

// Items returns every changelog item in file order (newest version first, as the changelog
// reads). The slice is a copy.
func Items() []Item { return slices.Clone(items) }

// LookupItem finds an item by id, such as "1.25-05".
func LookupItem(id string) (Item, bool) {
	it, ok := itemsByID[id]
	return it, ok
}

// ItemsOf returns the items listed under exactly version v, in file order; nil when there are
// none.
func ItemsOf(v Version) []Item {
	var out []Item
	for _, it := range items {
		if it.Version == v {
			out = append(out, it)
		}
	}
	return out
}

// ItemsBetween returns what changes on an update from `from` to `to`: the items with
// from < item.Version <= to, oldest version first and in file order within a version. It is nil
// when to is not newer than from.
func ItemsBetween(from, to Version) []Item {
	var out []Item
	for _, it := range itemsByVersion {
		if from.Before(it.Version) && to.AtLeast(it.Version) {
			out = append(out, it)
		}
	}
	return out
}
