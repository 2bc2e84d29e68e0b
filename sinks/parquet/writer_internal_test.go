package parquet

import (
	"bytes"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/schema"
)

// A chunk flushed early for its size leaves the row group open with the
// current chunk empty; Close must still close the row group, dictionary
// columns included.
func TestSizeFlushThenClose(t *testing.T) {
	old := chunkBytes
	chunkBytes = 64 << 10
	defer func() { chunkBytes = old }()

	f, err := New(Options{RowGroupRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw, err := f.NewWriter(&buf, schema.Events)
	if err != nil {
		t.Fatal(err)
	}
	w := tw.(*writer)
	big := strings.Repeat("x", 4<<10)
	rows := make([]schema.Event, 16)
	for i := range rows {
		rows[i] = schema.Event{EventUID: "lofty:e", EventType: schema.EventCall, Detail: big}
	}
	if err := w.Write(schema.RowsOf(schema.Events, rows)); err != nil {
		t.Fatal(err)
	}
	if w.cur.n != 0 || w.rgRows != 16 {
		t.Fatalf("after a size flush: chunk has %d rows, row group %d; want 0 and 16", w.cur.n, w.rgRows)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	meta, err := w.fw.FileMetadata()
	if err != nil {
		t.Fatal(err)
	}
	if meta.NumRows != 16 || meta.NumRowGroups() != 1 {
		t.Fatalf("file: %d rows in %d row groups, want 16 in 1", meta.NumRows, meta.NumRowGroups())
	}
}
