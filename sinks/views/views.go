// Package views writes the DuckDB views that make a lake of files read as
// tables: <table>, the changelog, and <table>_current, the latest row of
// every *_uid. The changelog is read by column name (union_by_name), so the
// files of a table whose layout gained columns (see schemaguard) read as
// one table, with nulls where older files lack a column; the Hive
// partitions add dt, the extraction date (UTC).
package views

import (
	"context"
	"fmt"
	"strings"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/schemaguard"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// Table is one table of a lake as its files have it.
type Table struct {
	Canon   *schema.Table
	Format  string // parquet or csv
	Columns sinks.Layout
}

// column is the name the files give a canonical column ("" when they
// leave it out).
func (t Table) column(canonical string) string {
	for _, c := range t.Columns {
		if c.Canonical == canonical {
			return c.Name
		}
	}
	return ""
}

// Tables lists the canonical tables a lake has files of, with their
// layouts (recorded, or read from their newest file), in canonical order.
func Tables(ctx context.Context, sto storage.Storage) ([]Table, error) {
	var out []Table
	for _, t := range schema.Tables {
		rec, err := schemaguard.Read(ctx, sto, t.Name)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			continue
		}
		objs, err := sto.List(ctx, t.Name+"/")
		if err != nil {
			return nil, err
		}
		if !hasData(objs, rec.Format) {
			continue // a recorded layout whose files are gone
		}
		out = append(out, Table{Canon: t, Format: rec.Format, Columns: rec.Columns})
	}
	return out, nil
}

func hasData(objs []storage.ObjectInfo, format string) bool {
	for _, o := range objs {
		base := o.Key[strings.LastIndex(o.Key, "/")+1:]
		if !strings.HasPrefix(base, "_") && !strings.HasPrefix(base, ".") && strings.HasSuffix(base, "."+format) {
			return true
		}
	}
	return false
}

// quote is a DuckDB identifier.
func quote(id string) string { return `"` + strings.ReplaceAll(id, `"`, `""`) + `"` }

// literal is a DuckDB string literal.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// DuckDB returns the CREATE VIEW statements for the tables of the lake at
// root (a local path, or an s3:// URL DuckDB reads through httpfs).
func DuckDB(root string, tables []Table) string {
	var b strings.Builder
	root = strings.TrimRight(root, "/")
	fmt.Fprintf(&b, "-- DuckDB views over the leadpipe lake %s (made by leadpipe views).\n", root)
	b.WriteString("-- <table> is the changelog; <table>_current the latest row per *_uid: the newest\n")
	b.WriteString("-- extraction, then the newest updated_at. dt is the extraction date (UTC).\n")
	if strings.HasPrefix(root, "s3://") {
		b.WriteString("-- S3: LOAD httpfs; and CREATE SECRET (TYPE s3, ...) first.\n")
	}
	for _, t := range tables {
		name := t.Canon.Name
		reader := "read_parquet"
		if t.Format == "csv" {
			reader = "read_csv"
		}
		glob := literal(root + "/" + name + "/**/*." + t.Format)
		fmt.Fprintf(&b, "\nCREATE OR REPLACE VIEW %s AS\nSELECT * FROM %s(%s, hive_partitioning = true, union_by_name = true);\n",
			quote(name), reader, glob)
		b.WriteString(current(t))
	}
	return b.String()
}

// current is the view of a table's latest rows, or a comment saying why
// the files cannot give it.
func current(t Table) string {
	name := t.Canon.Name
	extracted := t.column("extracted_at")
	key := t.Canon.Key
	if key == "" {
		key = "loan_uid" // installments: each loan's schedule
	}
	keyCol := t.column(key)
	if keyCol == "" || extracted == "" {
		return fmt.Sprintf("-- %s%s: the lake's %s files have no %s or extracted_at column (a select left it out).\n",
			name, "_current", name, key)
	}
	order := quote(extracted) + " DESC"
	if u := t.column("updated_at"); u != "" {
		order += ", " + quote(u) + " DESC NULLS LAST"
	}
	if t.Canon.Key == "" {
		// The latest run that read a loan delivered its whole schedule.
		number := t.column("number")
		if number == "" {
			return fmt.Sprintf("-- %s_current: the lake's %s files have no number column (a select left it out).\n", name, name)
		}
		return fmt.Sprintf(`CREATE OR REPLACE VIEW %[1]s AS
SELECT * EXCLUDE (latest_, rn_) FROM (
  SELECT *, max(%[3]s) OVER (PARTITION BY %[4]s) AS latest_,
         row_number() OVER (PARTITION BY %[4]s, %[5]s ORDER BY %[6]s) AS rn_
  FROM %[2]s
) WHERE %[3]s = latest_ AND rn_ = 1;
`, quote(name+"_current"), quote(name), quote(extracted), quote(keyCol), quote(number), order)
	}
	return fmt.Sprintf(`CREATE OR REPLACE VIEW %[1]s AS
SELECT * EXCLUDE (rn_) FROM (
  SELECT *, row_number() OVER (PARTITION BY %[3]s ORDER BY %[4]s) AS rn_
  FROM %[2]s
) WHERE rn_ = 1;
`, quote(name+"_current"), quote(name), quote(keyCol), order)
}
