// Package columns is the `select` and `rename` transforms of a pull
// pipeline: which columns each table's files get, in which order, under
// which names.
//
//	transforms:
//	  - select:
//	      leads: [lead_uid, vendor, status, amount_requested, currency, created_at, extracted_at]
//	  - rename:
//	      leads: {amount_requested: requested}
//
// They shape the files only. The other transforms (filter, status_map,
// privacy) and the engine see every canonical column under its canonical
// name, whatever the order of the transforms. Select and rename apply in the
// order written, each naming the columns as the ones before left them.
// Tables a select does not name keep every column.
package columns

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
)

// Builder composes select and rename transforms into a projection.
type Builder struct {
	cur map[*schema.Table][]schema.ColumnAs
}

// NewBuilder starts with every table whole.
func NewBuilder() *Builder { return &Builder{cur: map[*schema.Table][]schema.ColumnAs{}} }

func (b *Builder) columns(t *schema.Table) []schema.ColumnAs {
	if cols, ok := b.cur[t]; ok {
		return cols
	}
	cols := make([]schema.ColumnAs, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = schema.ColumnAs{From: c.Name, As: c.Name}
	}
	return cols
}

func names(cols []schema.ColumnAs) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.As
	}
	return out
}

func find(cols []schema.ColumnAs, name string) int {
	for i, c := range cols {
		if c.As == name {
			return i
		}
	}
	return -1
}

func sortedTables[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func table(v *config.Validator, at, name string) (*schema.Table, bool) {
	t, ok := schema.TableByName(name)
	if !ok {
		var all []string
		for _, t := range schema.Tables {
			all = append(all, t.Name)
		}
		v.Errorf(at, "no table %q (tables: %s)", name, strings.Join(all, ", "))
	}
	return t, ok
}

// unknown is the message for a column the table does not have (any more).
func unknown(t *schema.Table, cols []schema.ColumnAs, name string) string {
	msg := fmt.Sprintf("%s has no column %q", t.Name, name)
	if c, ok := t.Column(name); ok && find(cols, name) < 0 {
		for _, x := range cols {
			if x.From == c.Name {
				return msg + fmt.Sprintf(" (an earlier rename calls it %s)", x.As)
			}
		}
		return msg + " (an earlier select left it out)"
	}
	best, bestD := "", 4
	for _, c := range cols {
		if d := distance(name, c.As); d < bestD {
			best, bestD = c.As, d
		}
	}
	if best != "" {
		return msg + fmt.Sprintf(" (did you mean %s?)", best)
	}
	return msg + fmt.Sprintf(" (columns: %s)", strings.Join(names(cols), ", "))
}

// Select keeps the listed columns of each named table, in the listed order.
func (b *Builder) Select(v *config.Validator, path string, sel map[string][]string) {
	for _, tn := range sortedTables(sel) {
		at := path + "." + tn
		t, ok := table(v, at, tn)
		if !ok {
			continue
		}
		cur := b.columns(t)
		if len(sel[tn]) == 0 {
			v.Errorf(at, "selects no column; list the columns to keep")
			continue
		}
		var out []schema.ColumnAs
		seen := map[string]bool{}
		good := true
		for i, name := range sel[tn] {
			cat := fmt.Sprintf("%s[%d]", at, i)
			j := find(cur, name)
			switch {
			case j < 0:
				v.Errorf(cat, "%s", unknown(t, cur, name))
				good = false
			case seen[name]:
				v.Errorf(cat, "%s is selected twice", name)
				good = false
			default:
				seen[name] = true
				out = append(out, cur[j])
			}
		}
		if !good {
			continue
		}
		b.cur[t] = out
		var missing []string
		for _, key := range []string{t.Key, "extracted_at"} {
			if key == "" {
				continue
			}
			if !containsFrom(out, key) {
				missing = append(missing, key)
			}
		}
		if len(missing) > 0 {
			v.Warnf(at, "leaves out %s: tables are changelogs, and readers take the latest row per %s by extracted_at",
				strings.Join(missing, " and "), orKey(t))
		}
	}
}

func orKey(t *schema.Table) string {
	if t.Key == "" {
		return "key"
	}
	return t.Key
}

func containsFrom(cols []schema.ColumnAs, from string) bool {
	for _, c := range cols {
		if c.From == from {
			return true
		}
	}
	return false
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Rename gives columns of each named table new names.
func (b *Builder) Rename(v *config.Validator, path string, ren map[string]map[string]string) {
	for _, tn := range sortedTables(ren) {
		at := path + "." + tn
		t, ok := table(v, at, tn)
		if !ok {
			continue
		}
		cur := append([]schema.ColumnAs(nil), b.columns(t)...)
		good := true
		for _, old := range sortedTables(ren[tn]) {
			cat := at + "." + old
			nw := ren[tn][old]
			j := find(b.columns(t), old)
			switch {
			case j < 0:
				v.Errorf(cat, "%s", unknown(t, b.columns(t), old))
				good = false
				continue
			case !identifier.MatchString(nw):
				v.Errorf(cat, "%q is not a column name: use letters, digits and _ (not starting with a digit)", nw)
				good = false
				continue
			}
			cur[j].As = nw
		}
		if !good {
			continue
		}
		seen := map[string]string{}
		for _, c := range cur {
			if prev, dup := seen[c.As]; dup {
				v.Errorf(at, "%s would have two columns named %s (from %s and %s)", t.Name, c.As, prev, c.From)
				good = false
			}
			seen[c.As] = c.From
		}
		if good {
			b.cur[t] = cur
		}
	}
}

// Build returns the projection, or nil when every table stays whole.
func (b *Builder) Build() (*Projection, error) {
	if len(b.cur) == 0 {
		return nil, nil
	}
	p := &Projection{tables: map[*schema.Table]*schema.Table{}}
	for t, cols := range b.cur {
		d, err := t.Project(cols)
		if err != nil {
			return nil, err
		}
		p.tables[t] = d
	}
	return p, nil
}

// Projection is the columns of each table's files.
type Projection struct {
	tables map[*schema.Table]*schema.Table
}

// Table is the table t's files are written as (t itself when whole, or
// when p is nil).
func (p *Projection) Table(t *schema.Table) *schema.Table {
	if p == nil {
		return t
	}
	if d, ok := p.tables[t]; ok {
		return d
	}
	return t
}

// Format wraps a file format so that every file it writes has the
// projected columns.
func (p *Projection) Format(f sinks.Format) sinks.Format {
	if p == nil {
		return f
	}
	return &format{Format: f, p: p}
}

type format struct {
	sinks.Format
	p *Projection
}

func (f *format) NewWriter(w io.Writer, t *schema.Table) (sinks.TableWriter, error) {
	d, ok := f.p.tables[t]
	if !ok {
		return f.Format.NewWriter(w, t)
	}
	tw, err := f.Format.NewWriter(w, d)
	if err != nil {
		return nil, err
	}
	return &writer{TableWriter: tw, t: d}, nil
}

type writer struct {
	sinks.TableWriter
	t *schema.Table
}

func (w *writer) Write(rows schema.Rows) error { return w.TableWriter.Write(rows.As(w.t)) }

// distance is the Levenshtein distance, for suggestions.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
