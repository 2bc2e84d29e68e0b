// Package schemaguard keeps a lake's tables to one layout each. A lake
// records each table's columns and their types, with a fingerprint, in
// <lake>/_schema/<table>.json. A run checks the columns it would write
// against the record before anything is written:
//
//   - the same columns (in any order) pass;
//   - new columns pass (a newer canonical schema): readers that read by
//     name with union_by_name, as the views of `leadpipe views` do, see
//     them null in the older files, and the record takes them at commit;
//   - a column renamed, retyped or left out, or another file format, is
//     refused with a *sinks.SchemaChangeError that names the table, the
//     change and the options. DuckDB's plain globs, Hive and Athena tables
//     would otherwise fail on, or silently misread, the mixed files.
//
// A table with files but no record (written by an older leadpipe) is
// compared with the columns of its newest file.
package schemaguard

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
	lakeparquet "github.com/leadpipe/leadpipe/sinks/parquet"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// Record is a table's layout as the lake records it.
type Record struct {
	Table       string       `json:"table"`
	Format      string       `json:"format"`
	Fingerprint string       `json:"fingerprint"`
	Columns     sinks.Layout `json:"columns"`
	// RunID is the run that recorded this layout ("" when it was read
	// from the table's newest file).
	RunID string `json:"run_id,omitempty"`
}

// Key is where a lake records a table's layout.
func Key(table string) string { return "_schema/" + table + ".json" }

// NewRecord describes the files a run writes of t.
func NewRecord(t *schema.Table, format, runID string) *Record {
	l := sinks.LayoutOf(t)
	return &Record{Table: t.Name, Format: format, Fingerprint: l.Fingerprint(), Columns: l, RunID: runID}
}

// Read returns a table's recorded layout; without a record, the layout of
// its newest data file; nil when the table has no file yet.
func Read(ctx context.Context, sto storage.Storage, table string) (*Record, error) {
	r, err := sto.Open(ctx, Key(table))
	if err == nil {
		defer r.Close()
		var rec Record
		if err := json.NewDecoder(r).Decode(&rec); err != nil {
			return nil, fmt.Errorf("read %s: %w", sto.URL(Key(table)), err)
		}
		return &rec, nil
	}
	if !errors.Is(err, storage.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", sto.URL(Key(table)), err)
	}
	return fromNewestFile(ctx, sto, table)
}

// fromNewestFile reads the columns of the newest published data file of a
// table: a lake written before leadpipe recorded layouts.
func fromNewestFile(ctx context.Context, sto storage.Storage, table string) (*Record, error) {
	objs, err := sto.List(ctx, table+"/")
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", sto.URL(table+"/"), err)
	}
	var newest *storage.ObjectInfo
	for i, o := range objs {
		base := path.Base(o.Key)
		if strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".") ||
			!(strings.HasSuffix(base, ".parquet") || strings.HasSuffix(base, ".csv")) {
			continue
		}
		if newest == nil || o.ModTime.After(newest.ModTime) {
			newest = &objs[i]
		}
	}
	if newest == nil {
		return nil, nil
	}
	canon, _ := schema.TableByName(table)
	var rec *Record
	if strings.HasSuffix(newest.Key, ".csv") {
		rec, err = csvLayout(ctx, sto, newest.Key, canon)
	} else {
		rec, err = parquetLayout(ctx, sto, newest.Key, canon)
	}
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", sto.URL(newest.Key), err)
	}
	rec.Table, rec.Fingerprint = table, rec.Columns.Fingerprint()
	return rec, nil
}

// canonicalOf is the canonical column a stored column of this name holds
// ("" for a name the canonical table does not have: a renamed column,
// whose origin the file does not say).
func canonicalOf(canon *schema.Table, name string) string {
	if canon == nil {
		return ""
	}
	if _, ok := canon.Column(name); ok {
		return name
	}
	return ""
}

func parquetLayout(ctx context.Context, sto storage.Storage, key string, canon *schema.Table) (*Record, error) {
	rc, err := sto.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	ra, ok := rc.(parquet.ReaderAtSeeker)
	if !ok {
		b, err := io.ReadAll(rc)
		if err != nil {
			return nil, err
		}
		ra = bytes.NewReader(b)
	}
	pf, err := file.NewParquetReader(ra)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	sc, err := pqarrow.FromParquet(pf.MetaData().Schema, nil, pf.MetaData().KeyValueMetadata())
	if err != nil {
		return nil, err
	}
	rec := &Record{Format: "parquet"}
	for _, f := range sc.Fields() {
		typ := f.Type.String()
		for k := schema.KindString; k <= schema.KindInt; k++ {
			if arrow.TypeEqual(lakeparquet.ArrowType(k), f.Type) {
				typ = k.String()
				break
			}
		}
		rec.Columns = append(rec.Columns, sinks.LayoutColumn{Name: f.Name, Type: typ, Canonical: canonicalOf(canon, f.Name)})
	}
	return rec, nil
}

// csvLayout reads a CSV file's header. CSV has no types: each column has
// the type of the canonical column of its name (text otherwise), so only
// names can differ.
func csvLayout(ctx context.Context, sto storage.Storage, key string, canon *schema.Table) (*Record, error) {
	rc, err := sto.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	r := csv.NewReader(bufio.NewReader(rc))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, err
	}
	rec := &Record{Format: "csv"}
	for _, name := range header {
		typ := schema.KindString.String()
		if canon != nil {
			if c, ok := canon.Column(name); ok {
				typ = c.Kind.String()
			}
		}
		rec.Columns = append(rec.Columns, sinks.LayoutColumn{Name: name, Type: typ, Canonical: canonicalOf(canon, name)})
	}
	return rec, nil
}

// Check compares the tables a run would write in format with the lake's
// layouts, and returns the records the run writes when it commits (a
// table's first files, or new columns). Every refused table is reported,
// joined.
func Check(ctx context.Context, sto storage.Storage, format, runID string, tables []*schema.Table) ([]*Record, error) {
	var out []*Record
	var errs []error
	for _, t := range tables {
		next := NewRecord(t, format, runID)
		stored, err := Read(ctx, sto, t.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if stored == nil {
			out = append(out, next)
			continue
		}
		var refused []sinks.Change
		if stored.Format != format {
			refused = append(refused, sinks.Change{Kind: sinks.ChangeFormat, From: stored.Format, To: format})
		}
		added := false
		for _, c := range sinks.Compare(stored.Columns, next.Columns) {
			if c.Kind == sinks.ChangeAdded {
				added = true
				continue
			}
			refused = append(refused, c)
		}
		switch {
		case len(refused) > 0:
			errs = append(errs, &sinks.SchemaChangeError{Table: t.Name, Where: sto.URL(t.Name + "/"), Changes: refused, Options: []string{
				"keep the table's columns: undo the select, rename or format change in the pipeline",
				"write to a new lake: give the sink another path",
				"start the table afresh: move " + sto.URL(t.Name+"/") + " and " + sto.URL(Key(t.Name)) + " away, then run again",
			}})
		case added || stored.RunID == "":
			out = append(out, next) // new columns, or a layout read from a file: record it
		}
	}
	return out, errors.Join(errs...)
}

// Added names the columns a record adds to the table's stored layout, for
// the run's log.
func Added(ctx context.Context, sto storage.Storage, rec *Record) []string {
	stored, err := Read(ctx, sto, rec.Table)
	if err != nil || stored == nil {
		return nil
	}
	var out []string
	for _, c := range sinks.Compare(stored.Columns, rec.Columns) {
		if c.Kind == sinks.ChangeAdded {
			out = append(out, c.To)
		}
	}
	return out
}

// Write records a layout (atomically: the object appears whole).
func Write(ctx context.Context, sto storage.Storage, rec *Record) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := storage.Put(ctx, sto, Key(rec.Table), append(b, '\n')); err != nil {
		return fmt.Errorf("record the layout of %s: %w", rec.Table, err)
	}
	return nil
}
