// Package csv is the CSV file format of the sinks: one header line of column
// names, then one record per row, written with encoding/csv (RFC 4180
// quoting: fields holding the delimiter, a quote or a line break are quoted,
// quotes doubled). Values are the canonical text of schema.Row.Text: money
// "1234.50", rates "0.2424", timestamps RFC 3339 in UTC with microseconds,
// dates YYYY-MM-DD; null is an empty field.
package csv

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
)

// Options configure the CSV format.
type Options struct {
	// Delimiter separates fields (default ',').
	Delimiter rune
	// Header writes the column names as the first line. nil means true, the
	// default; a pointer so that the zero Options are the defaults.
	Header *bool
}

// Format writes CSV files. It is safe for concurrent use.
type Format struct {
	delim  rune
	header bool
}

var _ sinks.Format = (*Format)(nil)

// New returns the format with the defaults applied. A delimiter that CSV
// cannot use (a quote, a line break, an invalid rune) is reported by
// NewWriter.
func New(opts Options) *Format {
	f := &Format{delim: opts.Delimiter, header: true}
	if f.delim == 0 {
		f.delim = ','
	}
	if opts.Header != nil {
		f.header = *opts.Header
	}
	return f
}

// Name is "csv".
func (f *Format) Name() string { return "csv" }

// Ext is ".csv".
func (f *Format) Ext() string { return ".csv" }

// Delimiter is the field delimiter in effect.
func (f *Format) Delimiter() rune { return f.delim }

// Header reports whether files start with a header line.
func (f *Format) Header() bool { return f.header }

// NewWriter starts a CSV file of table t on w, writing the header line if
// the format has one. Close flushes; it does not close w.
func (f *Format) NewWriter(w io.Writer, t *schema.Table) (sinks.TableWriter, error) {
	if !validDelim(f.delim) {
		return nil, fmt.Errorf("csv: invalid delimiter %q", f.delim)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	cw.Comma = f.delim
	wr := &writer{t: t, bw: bw, cw: cw, rec: make([]string, len(t.Columns))}
	if f.header {
		if err := cw.Write(t.ColumnNames()); err != nil {
			return nil, fmt.Errorf("csv: write %s header: %w", t.Name, err)
		}
	}
	return wr, nil
}

// validDelim mirrors encoding/csv's rule, so a bad delimiter fails before
// anything is written.
func validDelim(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

type writer struct {
	t      *schema.Table
	bw     *bufio.Writer
	cw     *csv.Writer
	rec    []string // reused for every record
	closed bool
}

// Write appends one record per row. It keeps no reference to rows.
func (w *writer) Write(rows schema.Rows) error {
	if w.closed {
		return fmt.Errorf("csv: %s writer is closed", w.t.Name)
	}
	if rows.Len() > 0 && rows.Table != w.t {
		return fmt.Errorf("csv: %s rows written to a %s file", rows.Table.Name, w.t.Name)
	}
	cols := w.t.Columns
	for i := range rows.Len() {
		r := rows.Row(i)
		for j := range cols {
			w.rec[j] = r.Text(&cols[j])
		}
		if err := w.cw.Write(w.rec); err != nil {
			return fmt.Errorf("csv: write %s row %d: %w", w.t.Name, i, err)
		}
	}
	clear(w.rec)
	return nil
}

// Close flushes the file. It does not close the underlying writer.
func (w *writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return fmt.Errorf("csv: finish %s file: %w", w.t.Name, err)
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("csv: finish %s file: %w", w.t.Name, err)
	}
	return nil
}
