package reconcile

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/leadpipe/leadpipe/schema"
	lakeparquet "github.com/leadpipe/leadpipe/sinks/parquet"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// The lake is read with Apache Arrow: pqarrow decodes only the columns the
// report needs from each Parquet file (CSV lakes are parsed into the same
// Arrow types), the files of a table are concatenated, and Arrow compute's
// stable multi-key sort_indices + take order each table by
// (*_uid, extracted_at DESC, updated_at DESC). The first row of each uid run
// is then the current state, exactly like the README's row_number() view.

// frame is one canonical table's selected columns, sorted so that the rows of
// one uid are adjacent, newest first.
type frame struct {
	table *schema.Table
	cols  map[string]arrow.Array
	n     int
	files int
}

func (f *frame) release() {
	for _, a := range f.cols {
		a.Release()
	}
}

func (f *frame) str(col string, i int) string {
	a, ok := f.cols[col].(*array.String)
	if !ok || a.IsNull(i) {
		return ""
	}
	return a.Value(i)
}

// dec returns a decimal column's value as an integer of its scale (cents
// for money) and whether it is set.
func (f *frame) dec(col string, i int) (int64, bool) {
	a, ok := f.cols[col].(*array.Decimal128)
	if !ok || a.IsNull(i) {
		return 0, false
	}
	v := a.Value(i)
	return int64(v.LowBits()), true
}

func (f *frame) ts(col string, i int) time.Time {
	a, ok := f.cols[col].(*array.Timestamp)
	if !ok || a.IsNull(i) {
		return time.Time{}
	}
	return time.UnixMicro(int64(a.Value(i))).UTC()
}

// lakeReader reads canonical tables from a lake root.
type lakeReader struct {
	st    storage.Storage
	url   string
	mem   memory.Allocator
	files func(ctx context.Context, table string) ([]string, error) // see Options.TableFiles
}

// list returns the keys of a table's files.
func (l *lakeReader) list(ctx context.Context, table string) ([]storage.ObjectInfo, error) {
	if l.files == nil {
		return l.st.List(ctx, table+"/")
	}
	keys, err := l.files(ctx, table)
	out := make([]storage.ObjectInfo, len(keys))
	for i, k := range keys {
		out[i] = storage.ObjectInfo{Key: k}
	}
	return out, err
}

// readTable reads every published file of a table (Parquet or CSV, any
// vendor and date partition), keeping the named columns. A file without a
// column (written by an older schema) gives nulls for it.
func (l *lakeReader) readTable(ctx context.Context, t *schema.Table, cols []string) (*frame, error) {
	objs, err := l.list(ctx, t.Name)
	if err != nil {
		return nil, fmt.Errorf("list lake table %s at %s: %w", t.Name, l.url, err)
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		col, ok := t.Column(c)
		if !ok {
			return nil, fmt.Errorf("reconcile: table %s has no column %s", t.Name, c)
		}
		fields[i] = arrow.Field{Name: c, Type: lakeparquet.ArrowType(col.Kind), Nullable: true}
	}
	sc := arrow.NewSchema(fields, nil)
	chunks := make([][]arrow.Array, len(cols))
	defer func() {
		for _, cs := range chunks {
			for _, a := range cs {
				a.Release()
			}
		}
	}()
	fr := &frame{table: t, cols: map[string]arrow.Array{}}
	for _, o := range objs {
		base := path.Base(o.Key)
		if strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".") {
			continue // staged (in progress) or hidden: not published
		}
		var rec arrow.RecordBatch
		switch {
		case strings.HasSuffix(base, ".parquet"):
			rec, err = l.readParquet(ctx, o.Key, sc)
		case strings.HasSuffix(base, ".csv"):
			rec, err = l.readCSV(ctx, o.Key, t, sc)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read lake file %s: %w", l.st.URL(o.Key), err)
		}
		fillVendor(rec, o.Key, sc, chunks, l.mem)
		fr.files++
		rec.Release()
	}
	for i, c := range cols {
		var a arrow.Array
		if len(chunks[i]) == 0 {
			a = array.MakeArrayOfNull(l.mem, fields[i].Type, 0)
		} else {
			a, err = array.Concatenate(chunks[i], l.mem)
			if err != nil {
				fr.release()
				return nil, fmt.Errorf("read lake table %s: %w", t.Name, err)
			}
		}
		fr.cols[c] = a
		fr.n = a.Len()
	}
	if err := fr.sortLatestFirst(ctx); err != nil {
		fr.release()
		return nil, err
	}
	return fr, nil
}

// fillVendor appends the record's columns to chunks; a null vendor (a file
// that does not carry the column) is taken from the vendor=... directory.
func fillVendor(rec arrow.RecordBatch, key string, sc *arrow.Schema, chunks [][]arrow.Array, mem memory.Allocator) {
	for i := range sc.Fields() {
		col := rec.Column(i)
		if sc.Field(i).Name == "vendor" && col.NullN() > 0 {
			v := partitionValue(key, "vendor")
			b := array.NewStringBuilder(mem)
			s := col.(*array.String)
			for j := 0; j < s.Len(); j++ {
				if s.IsNull(j) {
					b.Append(v)
				} else {
					b.Append(s.Value(j))
				}
			}
			chunks[i] = append(chunks[i], b.NewArray())
			b.Release()
			continue
		}
		col.Retain()
		chunks[i] = append(chunks[i], col)
	}
}

func partitionValue(key, name string) string {
	for _, part := range strings.Split(key, "/") {
		if v, ok := strings.CutPrefix(part, name+"="); ok {
			return v
		}
	}
	return ""
}

// sortLatestFirst orders the rows by uid, then newest extraction first, then
// newest update first, with Arrow compute (a stable sort, then take).
func (f *frame) sortLatestFirst(ctx context.Context) error {
	if f.n == 0 {
		return nil
	}
	names := []string{f.table.Key, "extracted_at", "updated_at"}
	if f.table.Key == "" {
		return nil
	}
	var fields []arrow.Field
	var arrs []arrow.Array
	var keys []compute.SortKey
	for _, n := range names {
		a, ok := f.cols[n]
		if !ok {
			continue
		}
		order := compute.SortOrderDescending
		if n == f.table.Key {
			order = compute.SortOrderAscending
		}
		keys = append(keys, compute.SortKey{ColumnIndex: len(arrs), Order: order, NullPlacement: compute.SortNullsAtEnd})
		fields = append(fields, arrow.Field{Name: n, Type: a.DataType(), Nullable: true})
		arrs = append(arrs, a)
	}
	rb := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(f.n))
	defer rb.Release()
	idx, err := compute.SortIndicesRecordBatch(ctx, rb, keys)
	if err != nil {
		return fmt.Errorf("sort lake table %s: %w", f.table.Name, err)
	}
	defer idx.Release()
	for name, a := range f.cols {
		sorted, err := compute.TakeArray(ctx, a, idx)
		if err != nil {
			return fmt.Errorf("sort lake table %s column %s: %w", f.table.Name, name, err)
		}
		a.Release()
		f.cols[name] = sorted
	}
	return nil
}

// open returns the object as something Parquet can seek in: a local file
// as it is, any other backend's object read into memory.
func (l *lakeReader) open(ctx context.Context, key string) (parquet.ReaderAtSeeker, func(), error) {
	rc, err := l.st.Open(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	if ras, ok := rc.(parquet.ReaderAtSeeker); ok {
		return ras, func() { rc.Close() }, nil
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, nil, err
	}
	return bytes.NewReader(b), func() {}, nil
}

func (l *lakeReader) readParquet(ctx context.Context, key string, sc *arrow.Schema) (arrow.RecordBatch, error) {
	r, closeFn, err := l.open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	pf, err := file.NewParquetReader(r)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 * 1024}, l.mem)
	if err != nil {
		return nil, err
	}
	fileSchema, err := fr.Schema()
	if err != nil {
		return nil, err
	}
	var indices []int
	for _, f := range sc.Fields() {
		if i := fileSchema.FieldIndices(f.Name); len(i) == 1 {
			// a top-level field's leaf index equals its field index in
			// the flat canonical schema
			indices = append(indices, i[0])
		}
	}
	groups := make([]int, pf.NumRowGroups())
	for i := range groups {
		groups[i] = i
	}
	tbl, err := fr.ReadRowGroups(ctx, indices, groups)
	if err != nil {
		return nil, err
	}
	defer tbl.Release()
	pos := map[string]int{}
	for i, f := range tbl.Schema().Fields() {
		pos[f.Name] = i
	}
	n := tbl.NumRows()
	cols := make([]arrow.Array, len(sc.Fields()))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, f := range sc.Fields() {
		p, ok := pos[f.Name]
		if !ok {
			cols[i] = array.MakeArrayOfNull(l.mem, f.Type, int(n))
			continue
		}
		ch := tbl.Column(p).Data()
		var a arrow.Array
		if len(ch.Chunks()) == 1 {
			a = ch.Chunk(0)
			a.Retain()
		} else {
			a, err = array.Concatenate(ch.Chunks(), l.mem)
			if err != nil {
				return nil, err
			}
		}
		if !arrow.TypeEqual(a.DataType(), f.Type) {
			c, err := compute.CastArray(ctx, a, compute.SafeCastOptions(f.Type))
			a.Release()
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", f.Name, err)
			}
			a = c
		}
		cols[i] = a
	}
	return array.NewRecordBatch(sc, cols, n), nil
}

// readCSV parses a CSV lake file (the csv sink's canonical text: money
// "1234.50", timestamps RFC 3339, dates YYYY-MM-DD, empty = null).
func (l *lakeReader) readCSV(ctx context.Context, key string, t *schema.Table, sc *arrow.Schema) (arrow.RecordBatch, error) {
	rc, err := l.st.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	cr := csv.NewReader(rc)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return array.NewRecordBatch(sc, nullColumns(sc, l.mem), 0), nil
	}
	if err != nil {
		return nil, err
	}
	at := map[string]int{}
	for i, h := range header {
		at[strings.TrimPrefix(h, "\ufeff")] = i
	}
	b := array.NewRecordBuilder(l.mem, sc)
	defer b.Release()
	line := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line++
		if err != nil {
			return nil, err
		}
		for i, f := range sc.Fields() {
			j, ok := at[f.Name]
			v := ""
			if ok && j < len(rec) {
				v = rec[j]
			}
			if err := appendText(b.Field(i), f.Type, v); err != nil {
				return nil, fmt.Errorf("line %d column %s: %w", line, f.Name, err)
			}
		}
	}
	return b.NewRecordBatch(), nil
}

func nullColumns(sc *arrow.Schema, mem memory.Allocator) []arrow.Array {
	out := make([]arrow.Array, len(sc.Fields()))
	for i, f := range sc.Fields() {
		out[i] = array.MakeArrayOfNull(mem, f.Type, 0)
	}
	return out
}

func appendText(b array.Builder, t arrow.DataType, v string) error {
	if v == "" {
		b.AppendNull()
		return nil
	}
	switch bb := b.(type) {
	case *array.StringBuilder:
		bb.Append(v)
	case *array.Decimal128Builder:
		scale := t.(*arrow.Decimal128Type).Scale
		var n int64
		if scale == 2 {
			m, err := schema.ParseMoney(v)
			if err != nil {
				return err
			}
			n = m.Cents
		} else {
			r, err := schema.ParseRate(v)
			if err != nil {
				return err
			}
			n = r.Micros
		}
		bb.Append(decimal128.FromI64(n))
	case *array.TimestampBuilder:
		ts, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return err
		}
		bb.Append(arrow.Timestamp(ts.UnixMicro()))
	case *array.Date32Builder:
		d, err := time.Parse("2006-01-02", v)
		if err != nil {
			return err
		}
		bb.Append(arrow.Date32FromTime(d))
	case *array.Int64Builder:
		var n int64
		if _, err := fmt.Sscan(v, &n); err != nil {
			return err
		}
		bb.Append(n)
	default:
		return fmt.Errorf("unsupported type %s", t)
	}
	return nil
}
