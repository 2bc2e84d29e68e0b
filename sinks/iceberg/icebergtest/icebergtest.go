// Package icebergtest reads the Iceberg sink's tables back for tests, two
// independent ways: with iceberg-go's own scanner (metadata, manifests,
// pruning, field-id resolution), and with DuckDB reading exactly the data
// files the current snapshot's manifests list (DuckDB's iceberg extension
// cannot be downloaded on the test machines).
//
// Values are text in the canonical formats of schema.Row.Text, so a test
// compares them with the rows it wrote: decimals "1234.50", timestamps
// RFC 3339 in UTC with microseconds, dates YYYY-MM-DD, null "".
package icebergtest

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/iceberg"
	"github.com/leadpipe/leadpipe/sinks/laketest"
)

// Scan reads every row of a table with iceberg-go's scanner.
func Scan(t testing.TB, s *iceberg.Sink, name string) []laketest.Row {
	t.Helper()
	ctx := context.Background()
	tbl, err := s.LoadTable(ctx, name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	at, err := tbl.Scan().ToArrowTable(s.Context(ctx))
	if err != nil {
		t.Fatalf("scan %s: %v", name, err)
	}
	defer at.Release()
	var out []laketest.Row
	tr := array.NewTableReader(at, 1<<14)
	defer tr.Release()
	for tr.Next() {
		out = append(out, RecordRows(t, tr.RecordBatch())...)
	}
	return out
}

// RecordRows converts an Arrow record of a canonical table to rows.
func RecordRows(t testing.TB, rec arrow.RecordBatch) []laketest.Row {
	t.Helper()
	n := int(rec.NumRows())
	out := make([]laketest.Row, n)
	for i := range out {
		out[i] = laketest.Row{}
	}
	for c, f := range rec.Schema().Fields() {
		col := rec.Column(c)
		for i := range n {
			out[i][f.Name] = Text(t, col, i)
		}
	}
	return out
}

// Text formats value i of an Arrow array the way schema.Row.Text formats a
// column, so both sides of a comparison agree.
func Text(t testing.TB, a arrow.Array, i int) string {
	t.Helper()
	if a.IsNull(i) {
		return ""
	}
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Date32:
		return schema.Date{Days: int32(a.Value(i)), Valid: true}.String()
	case *array.Timestamp:
		typ := a.DataType().(*arrow.TimestampType)
		if typ.Unit != arrow.Microsecond || typ.TimeZone != "UTC" {
			t.Fatalf("timestamp column of type %s, want timestamp[us, tz=UTC]", typ)
		}
		return schema.Timestamp{Micros: int64(a.Value(i)), Valid: true}.String()
	case *array.Decimal128:
		typ := a.DataType().(*arrow.Decimal128Type)
		v := a.Value(i)
		switch {
		case typ.Precision == 18 && typ.Scale == 2:
			return schema.Money{Cents: int64(v.LowBits()), Valid: true}.String()
		case typ.Precision == 18 && typ.Scale == 6:
			return schema.Rate{Micros: int64(v.LowBits()), Valid: true}.String()
		}
		t.Fatalf("decimal column of type %s, want decimal(18, 2) or decimal(18, 6)", typ)
	}
	t.Fatalf("unexpected column type %s", a.DataType())
	return ""
}

// Want formats rows the test wrote (canonical rows, or a projection t of
// their table) the way Scan and DuckDB return them.
func Want(rows schema.Rows) []laketest.Row {
	out := make([]laketest.Row, rows.Len())
	for i := range out {
		r := rows.Row(i)
		m := laketest.Row{}
		for j := range rows.Table.Columns {
			c := &rows.Table.Columns[j]
			m[c.Name] = r.Text(c)
		}
		out[i] = m
	}
	return out
}

// DataFiles lists the data files of a table's current snapshot, as its
// manifests list them (local paths for a local warehouse).
func DataFiles(t testing.TB, s *iceberg.Sink, name string) []string {
	t.Helper()
	ctx := s.Context(context.Background())
	tbl, err := s.LoadTable(ctx, name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	if tbl.CurrentSnapshot() == nil {
		return nil
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatalf("plan %s: %v", name, err)
	}
	var out []string
	for _, task := range tasks {
		if len(task.DeleteFiles)+len(task.EqualityDeleteFiles)+len(task.DeletionVectorFiles) > 0 {
			t.Fatalf("%s: data file %s has delete files; the sink writes copy-on-write", name, task.File.FilePath())
		}
		p := task.File.FilePath()
		if u, err := url.Parse(p); err == nil && u.Scheme == "file" {
			p = filepath.FromSlash(u.Path)
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// ReadParquetSQL is a DuckDB read_parquet over exactly the given files.
func ReadParquetSQL(files []string) string {
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	return fmt.Sprintf("read_parquet([%s])", strings.Join(quoted, ", "))
}

// typeKey prefixes the result columns that hold DuckDB's type of a column.
const typeKey = "duckdb type of"

// DuckDB reads a table's current snapshot with DuckDB: the rows (every
// column cast to the canonical text) and the column types DuckDB sees.
func DuckDB(t testing.TB, s *iceberg.Sink, name string, tt *schema.Table) (rows []laketest.Row, types map[string]string) {
	t.Helper()
	return DuckDBFiles(t, DataFiles(t, s, name), tt)
}

// DuckDBFiles reads local data files of table tt with DuckDB, as DuckDB
// does.
func DuckDBFiles(t testing.TB, files []string, tt *schema.Table) (rows []laketest.Row, types map[string]string) {
	t.Helper()
	name := tt.Name
	if len(files) == 0 {
		return nil, nil
	}
	src := ReadParquetSQL(files)
	var sel []string
	for _, c := range tt.Columns {
		q := `"` + c.Name + `"`
		if c.Kind == schema.KindTimestamp {
			sel = append(sel, fmt.Sprintf(`epoch_us(%s)::VARCHAR AS %s`, q, q))
		} else {
			sel = append(sel, fmt.Sprintf(`%s::VARCHAR AS %s`, q, q))
		}
	}
	for _, c := range tt.Columns {
		sel = append(sel, fmt.Sprintf(`typeof("%s") AS "%s %s"`, c.Name, typeKey, c.Name))
	}
	got := laketest.DuckDB(t, "SET TimeZone = 'UTC'", "SELECT "+strings.Join(sel, ", ")+" FROM "+src)
	types = map[string]string{}
	for _, g := range got {
		r := laketest.Row{}
		for _, c := range tt.Columns {
			types[c.Name] = fmt.Sprint(g[typeKey+" "+c.Name])
			v, ok := g[c.Name].(string)
			if !ok || v == "" {
				r[c.Name] = ""
				continue
			}
			switch c.Kind {
			case schema.KindTimestamp:
				us, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatalf("duckdb %s.%s = %q", name, c.Name, v)
				}
				v = schema.Timestamp{Micros: us, Valid: true}.String()
			case schema.KindRate:
				rt, err := schema.ParseRate(v)
				if err != nil {
					t.Fatalf("duckdb %s.%s = %q", name, c.Name, v)
				}
				v = rt.String()
			}
			r[c.Name] = v
		}
		rows = append(rows, r)
	}
	return rows, types
}
