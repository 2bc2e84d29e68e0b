package sinks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/leadpipe/leadpipe/schema"
)

// LayoutColumn is one column of a table as stored: its name in the files,
// its type, and the canonical column it holds (which differs from the name
// after a rename transform).
type LayoutColumn struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Canonical string `json:"canonical,omitempty"`
}

// Layout is the columns of a table's files, in order.
type Layout []LayoutColumn

// LayoutOf is the layout t's files are written with (t may be a projection
// of a canonical table).
func LayoutOf(t *schema.Table) Layout {
	out := make(Layout, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = LayoutColumn{Name: c.Name, Type: c.Kind.String(), Canonical: c.Canonical}
	}
	return out
}

// Fingerprint identifies the set of columns and their types. Order is left
// out: every engine leadpipe targets resolves Parquet columns by name (or,
// for Iceberg, by field id), so reordering does not mix layouts.
func (l Layout) Fingerprint() string {
	cols := make([]string, len(l))
	for i, c := range l {
		cols[i] = c.Name + " " + c.Type
	}
	sort.Strings(cols)
	sum := sha256.Sum256([]byte(strings.Join(cols, "\n")))
	return hex.EncodeToString(sum[:8])
}

// Change is one difference between a table's stored layout and the layout
// a run would write.
type Change struct {
	Kind   string // "added", "removed", "renamed" or "retyped"
	Column string // the column as stored ("" for an added column)
	To     string // the new name (renamed, added) or type (retyped)
	From   string // the stored type (retyped)
}

// The kinds of change.
const (
	ChangeAdded   = "added"
	ChangeRemoved = "removed"
	ChangeRenamed = "renamed"
	ChangeRetyped = "retyped"
	ChangeFormat  = "format" // the files' format (From, To)
)

func (c Change) String() string {
	switch c.Kind {
	case ChangeAdded:
		return "column " + c.To + " would be added"
	case ChangeRemoved:
		return "column " + c.Column + " would be left out"
	case ChangeRenamed:
		return "column " + c.Column + " would be renamed to " + c.To
	case ChangeRetyped:
		return fmt.Sprintf("column %s would change type from %s to %s", c.Column, c.From, c.To)
	case ChangeFormat:
		return fmt.Sprintf("its files would change format from %s to %s", c.From, c.To)
	}
	return c.Kind + " " + c.Column
}

// Compare lists how next differs from the stored layout. A stored column
// that next has under another name, holding the same canonical column, is
// a rename; a name in both with another type is a retype.
func Compare(stored, next Layout) []Change {
	var out []Change
	byName := map[string]LayoutColumn{}
	for _, c := range stored {
		byName[c.Name] = c
	}
	nextNames := map[string]bool{}
	for _, c := range next {
		nextNames[c.Name] = true
	}
	matched := map[string]bool{}
	for _, n := range next {
		if s, ok := byName[n.Name]; ok {
			matched[s.Name] = true
			if s.Type != n.Type {
				out = append(out, Change{Kind: ChangeRetyped, Column: s.Name, From: s.Type, To: n.Type})
			}
			continue
		}
		renamed := false
		for _, s := range stored {
			if !matched[s.Name] && !nextNames[s.Name] && s.Canonical != "" && s.Canonical == n.Canonical {
				matched[s.Name], renamed = true, true
				out = append(out, Change{Kind: ChangeRenamed, Column: s.Name, To: n.Name})
				if s.Type != n.Type {
					out = append(out, Change{Kind: ChangeRetyped, Column: n.Name, From: s.Type, To: n.Type})
				}
				break
			}
		}
		if !renamed {
			out = append(out, Change{Kind: ChangeAdded, To: n.Name})
		}
	}
	for _, s := range stored {
		if !matched[s.Name] {
			out = append(out, Change{Kind: ChangeRemoved, Column: s.Name})
		}
	}
	return out
}

// SchemaChangeError refuses a run that would change a table's layout in a
// way its readers cannot follow. Nothing has been written when it is
// returned.
type SchemaChangeError struct {
	Table   string // the table as its readers know it (e.g. leads, leads_current)
	Where   string // the table's location, for the message
	Changes []Change
	Options []string
}

func (e *SchemaChangeError) Error() string {
	var b strings.Builder
	changes := make([]string, len(e.Changes))
	for i, c := range e.Changes {
		changes[i] = c.String()
	}
	fmt.Fprintf(&b, "table %s (%s): %s; its stored files would then have two layouts, so nothing was written",
		e.Table, e.Where, strings.Join(changes, ", "))
	if len(e.Options) > 0 {
		b.WriteString(". Options: ")
		for i, o := range e.Options {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "(%d) %s", i+1, o)
		}
	}
	return b.String()
}
