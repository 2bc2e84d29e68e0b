package iceberg

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/klauspost/compress/s2"

	"github.com/leadpipe/leadpipe/schema"
)

// A run's rows reach the current-state tables partition by partition
// (vendor and month), and vendors hand them over in any order: a backfill
// touches every month of every batch. A Parquet writer per partition, all
// open at once, would hold a row group and page buffers each (and arrow-go's
// shared buffer pool spreads the largest buffers over every writer's
// encoders): memory would grow with the number of partitions. So the rows
// are spilled to a compact, compressed file per partition (a few hundred
// KiB of buffers each), and each spill becomes one data file at Close, one
// Parquet writer at a time.

// spillBlock is the s2 block size of a spill file; the writer holds about
// two blocks.
const spillBlock = 128 << 10

// spillFlush is how many encoded bytes a spill buffers before handing them
// to the compressor.
const spillFlush = 64 << 10

// spill is one current-state partition's rows of the run.
type spill struct {
	part  curPart
	path  string
	f     *os.File
	w     *s2.Writer
	buf   []byte
	rows  int64
	drops []int64 // rows a newer version later in the run superseded
}

func newSpill(dir string, part curPart) (*spill, error) {
	f, err := os.CreateTemp(dir, "current-*.spill")
	if err != nil {
		return nil, fmt.Errorf("spill the run's current rows: %w", err)
	}
	return &spill{
		part: part, path: f.Name(), f: f,
		w: s2.NewWriter(f, s2.WriterBlockSize(spillBlock), s2.WriterConcurrency(1)),
	}, nil
}

// add appends a row (every canonical column of t).
func (s *spill) add(t *schema.Table, row schema.Row) error {
	for i := range t.Columns {
		c := &t.Columns[i]
		switch c.Kind {
		case schema.KindString:
			v := *row.Str(c)
			s.buf = binary.AppendUvarint(s.buf, uint64(len(v)))
			s.buf = append(s.buf, v...)
		case schema.KindMoney:
			m := row.Money(c)
			s.buf = appendOpt(s.buf, m.Valid, m.Cents)
		case schema.KindRate:
			r := row.Rate(c)
			s.buf = appendOpt(s.buf, r.Valid, r.Micros)
		case schema.KindTimestamp:
			ts := row.Timestamp(c)
			s.buf = appendOpt(s.buf, ts.Valid, ts.Micros)
		case schema.KindDate:
			d := row.Date(c)
			s.buf = appendOpt(s.buf, d.Valid, int64(d.Days))
		case schema.KindInt:
			n := row.Int(c)
			s.buf = appendOpt(s.buf, n.Valid, n.V)
		}
	}
	s.rows++
	if len(s.buf) >= spillFlush {
		return s.flush()
	}
	return nil
}

func appendOpt(b []byte, valid bool, v int64) []byte {
	if !valid {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), v)
}

func (s *spill) flush() error {
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("spill the run's current rows: %w", err)
	}
	s.buf = s.buf[:0]
	return nil
}

// finish completes the spill file for reading.
func (s *spill) finish() error {
	err := s.flush()
	err = errors.Join(err, s.w.Close(), s.f.Close())
	return err
}

// remove deletes the spill file.
func (s *spill) remove() {
	_ = s.f.Close()
	_ = os.Remove(s.path)
}

// spillReader reads a finished spill back into rows.
type spillReader struct {
	f  *os.File
	br *bufio.Reader
	t  *schema.Table
}

func (s *spill) reader(t *schema.Table) (*spillReader, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return nil, err
	}
	return &spillReader{f: f, br: bufio.NewReaderSize(s2.NewReader(f), spillFlush), t: t}, nil
}

func (r *spillReader) Close() error { return r.f.Close() }

// read fills row with the next spilled row.
func (r *spillReader) read(row schema.Row) error {
	for i := range r.t.Columns {
		c := &r.t.Columns[i]
		if c.Kind == schema.KindString {
			n, err := binary.ReadUvarint(r.br)
			if err != nil {
				return err
			}
			b := make([]byte, n)
			if _, err := io.ReadFull(r.br, b); err != nil {
				return err
			}
			*row.Str(c) = string(b)
			continue
		}
		valid, err := r.br.ReadByte()
		if err != nil {
			return err
		}
		var v int64
		if valid == 1 {
			if v, err = binary.ReadVarint(r.br); err != nil {
				return err
			}
		}
		ok := valid == 1
		switch c.Kind {
		case schema.KindMoney:
			*row.Money(c) = schema.Money{Cents: v, Valid: ok}
		case schema.KindRate:
			*row.Rate(c) = schema.Rate{Micros: v, Valid: ok}
		case schema.KindTimestamp:
			*row.Timestamp(c) = schema.Timestamp{Micros: v, Valid: ok}
		case schema.KindDate:
			*row.Date(c) = schema.Date{Days: int32(v), Valid: ok}
		case schema.KindInt:
			*row.Int(c) = schema.Int{V: v, Valid: ok}
		}
	}
	return nil
}

// spillBatch is how many rows are read back and written at a time.
const spillBatch = 4096

// writeSpill turns a partition's spill into one current-state data file,
// leaving out the superseded rows. It returns nil when every row was.
func (r *Run) writeSpill(ctx context.Context, rt *runTable, sp *spill) (*dataFile, error) {
	if err := sp.finish(); err != nil {
		return nil, err
	}
	defer sp.remove()
	drops := slices.Compact(slices.Sorted(slices.Values(sp.drops)))
	if int64(len(drops)) == sp.rows {
		return nil, nil
	}
	rd, err := sp.reader(rt.spec.canon)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	f, err := r.currentFile(ctx, rt, sp.part)
	if err != nil {
		return nil, err
	}
	rows := rt.spec.canon.MakeRows(spillBatch)
	n, d := 0, 0
	for pos := int64(0); pos < sp.rows; pos++ {
		if err := rd.read(rows.Row(n)); err != nil {
			return nil, fmt.Errorf("read back the run's current rows (%s): %w", filepath.Base(sp.path), err)
		}
		if d < len(drops) && drops[d] == pos {
			d++
			continue
		}
		if n++; n == spillBatch {
			if err := f.write(rows); err != nil {
				return nil, err
			}
			n = 0
		}
	}
	if n > 0 {
		if err := f.write(rows.Slice(0, n)); err != nil {
			return nil, err
		}
	}
	return f, nil
}
