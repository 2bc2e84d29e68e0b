package schema

import "fmt"

// ColumnAs names one column of a projection: the column From of the table,
// written under the name As ("" keeps the name).
type ColumnAs struct {
	From string
	As   string
}

// Project derives a table that has some of t's columns, in the given order,
// possibly under new names. The derived table reads the same rows as t
// (its columns keep their place in the row struct), so a writer given the
// projection writes only those columns; bind rows to it with Rows.As. The
// key is renamed with its column, or "" when the projection leaves it out.
func (t *Table) Project(cols []ColumnAs) (*Table, error) {
	if len(cols) == 0 {
		return nil, fmt.Errorf("a projection of %s needs at least one column", t.Name)
	}
	p := &Table{Name: t.Name, rowType: t.rowType, byName: map[string]int{}}
	for _, ca := range cols {
		c, ok := t.Column(ca.From)
		if !ok {
			return nil, fmt.Errorf("%s has no column %q", t.Name, ca.From)
		}
		col := *c
		if ca.As != "" {
			col.Name = ca.As
		}
		if _, dup := p.byName[col.Name]; dup {
			return nil, fmt.Errorf("%s would have two columns named %q", t.Name, col.Name)
		}
		col.Index = len(p.Columns)
		p.byName[col.Name] = col.Index
		p.Columns = append(p.Columns, col)
		if ca.From == t.Key {
			p.Key = col.Name
		}
	}
	return p, nil
}

// As returns the same rows described by t, which must read the same row type
// as the rows' table (a projection of it, or the table itself).
func (r Rows) As(t *Table) Rows {
	if r.Table != nil && t.rowType != r.Table.rowType {
		panic(fmt.Sprintf("schema: %s rows cannot be read as %s rows", r.Table.Name, t.Name))
	}
	r.Table = t
	return r
}
