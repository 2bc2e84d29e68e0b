package sinks

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"time"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// Journal is told about every file before it exists and as it progresses,
// so that a crash at any moment leaves a record of what to clean up. The
// engine backs it with the run journal in the state store.
type Journal interface {
	AddFile(ctx context.Context, staged, final, table string) error
	FileWritten(ctx context.Context, staged string, rows, bytes int64) error
	FilePublished(ctx context.Context, staged string) error
}

// LakeOptions configure one run's writes.
type LakeOptions struct {
	RunID       string
	ExtractedAt time.Time // its UTC date is the dt= partition
	// MaxRowsPerFile rolls to a new part file; 0 means one file per table
	// and partition per run.
	MaxRowsPerFile int
	Journal        Journal
}

// WrittenFile is one data file of a finished run.
type WrittenFile struct {
	Key    string `json:"key"`
	Table  string `json:"table"`
	Vendor string `json:"vendor"`
	Date   string `json:"dt"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
}

// Lake writes one run's batches as Hive-partitioned files:
//
//	<table>/vendor=<vendor>/dt=<YYYY-MM-DD>/part-<run_id>-<seq>.<ext>
//
// Files are first written under a staged name that readers ignore (leading
// "_", extra suffix), and only published under their final name by Publish,
// after every file of the run is complete. Lake is not safe for concurrent
// use: the engine writes from one goroutine.
type Lake struct {
	store  storage.Storage
	format Format
	opts   LakeOptions
	dt     string
	open   map[partKey]*partFile
	done   []*partFile
	seq    int
}

type partKey struct{ table, vendor string }

type partFile struct {
	staged, final string
	info          WrittenFile
	w             storage.Writer
	counter       *CountingWriter
	tw            TableWriter
}

// NewLake starts a run's writes to store.
func NewLake(store storage.Storage, format Format, opts LakeOptions) *Lake {
	return &Lake{
		store: store, format: format, opts: opts,
		dt:   opts.ExtractedAt.UTC().Format("2006-01-02"),
		open: map[partKey]*partFile{},
	}
}

// Write appends a batch. Rows are routed to their table's file for their
// vendor's partition.
func (l *Lake) Write(ctx context.Context, b *schema.Batch) error {
	for _, rows := range b.Tables() {
		if rows.Len() == 0 {
			continue
		}
		vendorCol, _ := rows.Table.Column("vendor")
		// Runs of rows with the same vendor go to one file in one call.
		start := 0
		for i := 1; i <= rows.Len(); i++ {
			if i < rows.Len() && *rows.Row(i).Str(vendorCol) == *rows.Row(start).Str(vendorCol) {
				continue
			}
			vendor := *rows.Row(start).Str(vendorCol)
			if err := l.writeRun(ctx, rows, start, i, vendor); err != nil {
				return err
			}
			start = i
		}
	}
	return nil
}

func (l *Lake) writeRun(ctx context.Context, rows schema.Rows, from, to int, vendor string) error {
	if vendor == "" {
		vendor = "unknown"
	}
	key := partKey{rows.Table.Name, vendor}
	for from < to {
		f, err := l.file(ctx, key)
		if err != nil {
			return err
		}
		n := to - from
		if l.opts.MaxRowsPerFile > 0 {
			n = min(n, l.opts.MaxRowsPerFile-int(f.info.Rows))
		}
		if err := f.tw.Write(rows.Slice(from, from+n)); err != nil {
			return fmt.Errorf("write %s: %w", l.store.URL(f.staged), err)
		}
		f.info.Rows += int64(n)
		from += n
		if l.opts.MaxRowsPerFile > 0 && f.info.Rows >= int64(l.opts.MaxRowsPerFile) {
			if err := l.finish(ctx, key); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *Lake) file(ctx context.Context, key partKey) (*partFile, error) {
	if f, ok := l.open[key]; ok {
		return f, nil
	}
	t, ok := schema.TableByName(key.table)
	if !ok {
		return nil, fmt.Errorf("lake: unknown table %q", key.table)
	}
	l.seq++
	dir := path.Join(key.table, "vendor="+key.vendor, "dt="+l.dt)
	name := fmt.Sprintf("part-%s-%04d%s", l.opts.RunID, l.seq, l.format.Ext())
	f := &partFile{
		final:  path.Join(dir, name),
		staged: path.Join(dir, StagedName(name)),
		info:   WrittenFile{Table: key.table, Vendor: key.vendor, Date: l.dt},
	}
	f.info.Key = f.final
	if l.opts.Journal != nil {
		if err := l.opts.Journal.AddFile(ctx, f.staged, f.final, key.table); err != nil {
			return nil, err
		}
	}
	w, err := l.store.Create(ctx, f.staged)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", l.store.URL(f.staged), err)
	}
	f.w = w
	f.counter = &CountingWriter{W: w}
	tw, err := l.format.NewWriter(f.counter, t)
	if err != nil {
		_ = w.Abort()
		return nil, fmt.Errorf("start %s: %w", l.store.URL(f.staged), err)
	}
	f.tw = tw
	l.open[key] = f
	return f, nil
}

// StagedName is the name a data file has until its run publishes it. Hive
// readers (Spark, Athena, Trino) skip names starting with "_", and a glob
// for *.parquet does not match the suffix.
func StagedName(name string) string { return "_" + name + ".inprogress" }

func (l *Lake) finish(ctx context.Context, key partKey) error {
	f := l.open[key]
	delete(l.open, key)
	if err := f.tw.Close(); err != nil {
		_ = f.w.Abort()
		return fmt.Errorf("finish %s: %w", l.store.URL(f.staged), err)
	}
	if err := f.w.Close(); err != nil {
		return fmt.Errorf("store %s: %w", l.store.URL(f.staged), err)
	}
	f.info.Bytes = f.counter.N
	l.done = append(l.done, f)
	if l.opts.Journal != nil {
		return l.opts.Journal.FileWritten(ctx, f.staged, f.info.Rows, f.info.Bytes)
	}
	return nil
}

// Close finishes every open file under its staged name.
func (l *Lake) Close(ctx context.Context) error {
	keys := make([]partKey, 0, len(l.open))
	for k := range l.open {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].table+keys[i].vendor < keys[j].table+keys[j].vendor
	})
	for _, k := range keys {
		if err := l.finish(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// Publish moves every finished file to its final name. Call it after Close
// and before the run's manifest is written.
func (l *Lake) Publish(ctx context.Context) ([]WrittenFile, error) {
	if len(l.open) > 0 {
		return nil, errors.New("lake: publish before close")
	}
	out := make([]WrittenFile, 0, len(l.done))
	for _, f := range l.done {
		if err := l.store.Rename(ctx, f.staged, f.final); err != nil {
			return nil, fmt.Errorf("publish %s: %w", l.store.URL(f.final), err)
		}
		if l.opts.Journal != nil {
			if err := l.opts.Journal.FilePublished(ctx, f.staged); err != nil {
				return nil, err
			}
		}
		out = append(out, f.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Abort discards the files still open. Files already closed or published
// are removed by the engine from the journal, the same way crash recovery
// removes them.
func (l *Lake) Abort() {
	for k, f := range l.open {
		_ = f.w.Abort()
		delete(l.open, k)
	}
}

// CountingWriter counts the bytes written through it: a data file's size
// without asking the storage.
type CountingWriter struct {
	W interface{ Write([]byte) (int, error) }
	N int64
}

func (c *CountingWriter) Write(p []byte) (int, error) {
	n, err := c.W.Write(p)
	c.N += int64(n)
	return n, err
}
