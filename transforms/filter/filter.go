// Package filter is the `filter` transform of a pull pipeline: per table,
// an expression (expr-lang/expr) that a row must satisfy to be written.
//
//	transforms:
//	  - filter:
//	      leads: status != "expired" && country == "AU"
//	      loans: principal != nil && principal >= 5000
//
// Columns are variables by their canonical name. Strings are strings (""
// when null); money and rates are numbers, timestamps and dates are times
// (compare with now(), date("2026-01-01"), duration("24h")), integers are
// ints; a null number, time or integer is nil, so guard it (x != nil && x > 1).
// The expression is type-checked against the table when the pipeline is
// loaded: a misspelt column or a type mismatch is an error with the line.
// Tables without an expression pass unfiltered.
package filter

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
	"go.yaml.in/yaml/v3"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/schema"
)

// Filter keeps the rows for which their table's expression is true.
type Filter struct {
	tables map[*schema.Table]*program
}

type program struct {
	table *schema.Table
	src   string
	prog  *vm.Program
	cols  []*schema.Column // the columns the expression reads
	where string           // "file:line: path", for errors while running
	key   *schema.Column
}

// Compile checks a filter transform at path (the YAML mapping of table →
// expression). Problems go to v with their lines; the result is nil when
// there were any.
func Compile(v *config.Validator, file, path string, node *yaml.Node) *Filter {
	if node != nil && node.Kind == yaml.ScalarNode {
		v.Errorf(path, "needs the table each expression applies to, e.g. filter: {leads: 'status != \"expired\"'}")
		return nil
	}
	var exprs map[string]string
	v.Decode(path, node, &exprs)
	lines := map[string]int{}
	if node != nil && node.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(node.Content); i += 2 {
			lines[node.Content[i].Value] = node.Content[i+1].Line
		}
	}
	if len(exprs) == 0 {
		v.Errorf(path, "names no table; e.g. filter: {leads: 'status != \"expired\"'}")
		return nil
	}
	f := &Filter{tables: map[*schema.Table]*program{}}
	ok := true
	names := make([]string, 0, len(exprs))
	for n := range exprs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		at := path + "." + name
		t, found := schema.TableByName(name)
		if !found {
			v.Errorf(at, "no table %q (tables: %s)", name, tableNames())
			ok = false
			continue
		}
		src := strings.TrimSpace(exprs[name])
		if src == "" {
			v.Errorf(at, "is empty: write an expression that is true for the rows to keep")
			ok = false
			continue
		}
		p, err := compileFor(t, src)
		if err != nil {
			v.Errorf(at, "%s", err)
			ok = false
			continue
		}
		p.where = fmt.Sprintf("%s:%d: %s", file, lines[name], at)
		f.tables[t] = p
	}
	if !ok {
		return nil
	}
	return f
}

func tableNames() string {
	var names []string
	for _, t := range schema.Tables {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}

// typeEnv describes the table's columns to the type checker.
func typeEnv(t *schema.Table) map[string]any {
	env := make(map[string]any, len(t.Columns))
	for _, c := range t.Columns {
		switch c.Kind {
		case schema.KindString:
			env[c.Name] = ""
		case schema.KindMoney, schema.KindRate:
			env[c.Name] = float64(0)
		case schema.KindTimestamp, schema.KindDate:
			env[c.Name] = time.Time{}
		case schema.KindInt:
			env[c.Name] = 0
		}
	}
	return env
}

func compileFor(t *schema.Table, src string) (*program, error) {
	prog, err := expr.Compile(src, expr.Env(typeEnv(t)), expr.AsBool())
	if err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		if strings.HasPrefix(msg, "unknown name ") {
			msg += fmt.Sprintf(": %s has no such column (columns: %s)", t.Name, strings.Join(t.ColumnNames(), ", "))
		}
		return nil, fmt.Errorf("%s: %s", src, msg)
	}
	p := &program{table: t, src: src, prog: prog}
	if t.Key != "" {
		p.key, _ = t.Column(t.Key)
	}
	seen := map[string]bool{}
	ast.Find(prog.Node(), func(n ast.Node) bool {
		if id, ok := n.(*ast.IdentifierNode); ok && !seen[id.Value] {
			if c, ok := t.Column(id.Value); ok {
				seen[id.Value] = true
				p.cols = append(p.cols, c)
			}
		}
		return false
	})
	return p, nil
}

// value is a column's value as the expression sees it.
func value(r schema.Row, c *schema.Column) any {
	if c.Kind != schema.KindString && r.IsNull(c) {
		return nil
	}
	switch c.Kind {
	case schema.KindString:
		return *r.Str(c)
	case schema.KindMoney:
		return float64(r.Money(c).Cents) / 100
	case schema.KindRate:
		return float64(r.Rate(c).Micros) / 1e6
	case schema.KindTimestamp:
		return r.Timestamp(c).Time()
	case schema.KindDate:
		return r.Date(c).Time()
	case schema.KindInt:
		return int(r.Int(c).V)
	}
	return nil
}

// keep evaluates the expression on every row.
func (p *program) keep(rows schema.Rows) ([]bool, error) {
	env := make(map[string]any, len(p.cols))
	out := make([]bool, rows.Len())
	for i := range rows.Len() {
		r := rows.Row(i)
		for _, c := range p.cols {
			env[c.Name] = value(r, c)
		}
		res, err := expr.Run(p.prog, env)
		if err != nil {
			msg, _, _ := strings.Cut(err.Error(), "\n")
			var nulls []string
			for _, c := range p.cols {
				if env[c.Name] == nil {
					nulls = append(nulls, c.Name)
				}
			}
			hint := ""
			if len(nulls) > 0 {
				hint = fmt.Sprintf(" (%s is null in this row: guard it, e.g. %s != nil && ...)", strings.Join(nulls, ", "), nulls[0])
			}
			row := ""
			if p.key != nil {
				row = fmt.Sprintf(" %s %s", p.key.Name, *r.Str(p.key))
			}
			return nil, fmt.Errorf("%s: %s row%s: %s%s", p.where, p.table.Name, row, msg, hint)
		}
		out[i] = res.(bool)
	}
	return out, nil
}

// Apply drops the rows whose table's expression is false.
func (f *Filter) Apply(_ context.Context, b *schema.Batch) error {
	for _, rows := range b.Tables() {
		p := f.tables[rows.Table]
		if p == nil || rows.Len() == 0 {
			continue
		}
		keep, err := p.keep(rows)
		if err != nil {
			return err
		}
		switch rows.Table {
		case schema.Leads:
			b.Leads = compact(b.Leads, keep)
		case schema.Events:
			b.Events = compact(b.Events, keep)
		case schema.Loans:
			b.Loans = compact(b.Loans, keep)
		case schema.Installments:
			b.Installments = compact(b.Installments, keep)
		case schema.Payments:
			b.Payments = compact(b.Payments, keep)
		}
	}
	return nil
}

// compact keeps the rows marked true, in order, and clears the rest so
// their strings can be collected.
func compact[T any](s []T, keep []bool) []T {
	n := 0
	for i := range s {
		if keep[i] {
			s[n] = s[i]
			n++
		}
	}
	clear(s[n:])
	return s[:n]
}
