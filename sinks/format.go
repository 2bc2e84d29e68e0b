// Package sinks writes canonical batches to storage as a lake of files:
// <root>/<table>/vendor=<vendor>/dt=<YYYY-MM-DD>/part-<run_id>-<seq>.<ext>.
//
// The file formats (Parquet, CSV) live in subpackages and implement Format;
// the storage backends live under sinks/storage.
package sinks

import (
	"io"

	"github.com/leadpipe/leadpipe/schema"
)

// Format encodes rows of one canonical table into one file.
type Format interface {
	// Name is the format's name in pipeline YAML ("parquet", "csv").
	Name() string
	// Ext is the file extension including the dot.
	Ext() string
	// NewWriter starts a file of table t on w.
	NewWriter(w io.Writer, t *schema.Table) (TableWriter, error)
}

// TableWriter appends rows to one file.
type TableWriter interface {
	// Write appends rows. The writer may keep the rows' values only until
	// Write returns: callers reuse their batches.
	Write(rows schema.Rows) error
	// Close finishes the file (a Parquet footer, a CSV flush). It does not
	// close the underlying io.Writer.
	Close() error
}
