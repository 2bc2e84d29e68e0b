package parquet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/leadpipe/leadpipe/schema"
)

const (
	// chunkRows is how many rows the writer collects before it encodes them
	// into the open row group, whatever the callers' batch sizes: many small
	// Writes cost the same as one large one, and full row groups form.
	chunkRows = 4096
	// blockRows is how many rows are copied column by column at a time: a
	// block of row structs stays in cache while each column is read from it.
	blockRows = 256
	// maxDecimal18 is the largest unscaled value of a DECIMAL(18, s).
	maxDecimal18 = 999_999_999_999_999_999
)

// chunkBytes encodes a chunk early when its strings are large (big
// attributes), so memory stays bounded and offsets stay 32-bit. A variable
// so tests can lower it.
var chunkBytes = 32 << 20

var (
	errClosed         = errors.New("parquet: writer is closed")
	errStringOverflow = errors.New("parquet: string data of one chunk exceeds 2 GiB")
)

// writer streams rows of one table into one Parquet file.
//
// Write copies rows into a chunk of column buffers (chunkRows rows). A full
// chunk is handed to a background encode while Write fills a second chunk.
// The encode spreads the columns over GOMAXPROCS workers: each column has its
// own chunk writer in a buffered row group, so columns encode and compress
// independently. What is in memory is therefore two chunks, the open row
// group (compressed pages, one uncompressed page per column, the dictionary
// columns' indices) and nothing that grows with the file.
type writer struct {
	t            *schema.Table
	rowGroupRows int
	workers      int
	order        []int // columns in encode order, costliest first

	bw  *bufio.Writer
	fw  *file.Writer
	rgw file.BufferedRowGroupWriter // nil between row groups
	// rgRows counts the rows given to the open row group, in chunks encoded
	// or in flight.
	rgRows int
	ctxs   []context.Context // one Arrow write context per worker

	cur, spare *chunk
	inflight   chan error // the background encode's result; nil when idle

	// dicts are the dictionaries of the open row group, one per dictionary
	// column (nil for the others), filled by Write. rgDicts gather the
	// same columns' indices on the encode side until the row group closes.
	dicts   []map[string]int32
	rgDicts []*rgDict
	dec     []*schema.Column
	err     error // sticky: a failed writer stays failed
	closed  bool
}

// chunk is a set of reusable column buffers.
type chunk struct {
	cols   []*column
	arrays []arrow.Array
	n      int
}

func newChunk(t *schema.Table) *chunk {
	c := &chunk{cols: make([]*column, len(t.Columns)), arrays: make([]arrow.Array, len(t.Columns))}
	for i := range t.Columns {
		c.cols[i] = newColumn(&t.Columns[i], chunkRows)
	}
	return c
}

func (c *chunk) reset() {
	for _, col := range c.cols {
		col.reset()
	}
	c.n = 0
}

func newWriter(w io.Writer, t *schema.Table, props *parquet.WriterProperties, rowGroupRows int, fieldIDs []int) (*writer, error) {
	sch := arrowSchema(t, fieldIDs)
	arrowProps := pqarrow.DefaultWriterProps()
	pqSchema, err := pqarrow.ToParquet(sch, props, arrowProps)
	if err != nil {
		return nil, fmt.Errorf("parquet: %s schema: %w", t.Name, err)
	}
	kv := metadata.NewKeyValueMetadata()
	if err := kv.Append(MetaTable, t.Name); err != nil {
		return nil, err
	}
	if err := kv.Append(MetaSchemaVersion, SchemaVersion); err != nil {
		return nil, err
	}
	// The buffer gathers the small writes (magic, page headers, footer); the
	// column chunks pass through it. bufio.Writer is not an io.Closer, so
	// the Parquet writer cannot close w.
	bw := bufio.NewWriterSize(w, 64<<10)
	fw, err := file.NewParquetWriterWithError(bw, pqSchema.Root(), file.WithWriterProps(props), file.WithWriteMetadata(kv))
	if err != nil {
		return nil, fmt.Errorf("parquet: start %s file: %w", t.Name, err)
	}
	wr := &writer{
		t:            t,
		rowGroupRows: rowGroupRows,
		workers:      max(1, min(runtime.GOMAXPROCS(0), len(t.Columns))),
		bw:           bw,
		fw:           fw,
		cur:          newChunk(t),
		spare:        newChunk(t),
	}
	for range wr.workers {
		wr.ctxs = append(wr.ctxs, pqarrow.NewArrowWriteContext(context.Background(), &arrowProps))
	}
	wr.order = encodeOrder(t)
	wr.dicts = make([]map[string]int32, len(t.Columns))
	wr.rgDicts = make([]*rgDict, len(t.Columns))
	for i, col := range wr.cur.cols {
		if col.dict {
			wr.dicts[i] = map[string]int32{}
			wr.rgDicts[i] = &rgDict{}
		}
	}
	for i := range t.Columns {
		if c := &t.Columns[i]; c.Kind == schema.KindMoney || c.Kind == schema.KindRate {
			wr.dec = append(wr.dec, c)
		}
	}
	return wr, nil
}

// encodeOrder lists the columns costliest first (plain strings, dictionary
// strings, then fixed width), so the workers finish together.
func encodeOrder(t *schema.Table) []int {
	var order []int
	for _, pass := range []func(c *schema.Column) bool{
		func(c *schema.Column) bool { return c.Kind == schema.KindString && !c.Dict },
		func(c *schema.Column) bool { return c.Kind == schema.KindString && c.Dict },
		func(c *schema.Column) bool { return c.Kind != schema.KindString },
	} {
		for i := range t.Columns {
			if pass(&t.Columns[i]) {
				order = append(order, i)
			}
		}
	}
	return order
}

// Write copies rows into the column buffers, encoding a chunk whenever one
// fills. It keeps no reference to rows once it returns.
func (w *writer) Write(rows schema.Rows) error {
	switch {
	case w.closed:
		return errClosed
	case w.err != nil:
		return w.err
	case rows.Len() == 0:
		return nil
	case rows.Table != w.t:
		return fmt.Errorf("parquet: %s rows written to a %s file", rows.Table.Name, w.t.Name)
	}
	// Validate before copying anything, so a rejected batch leaves the
	// writer as it was.
	if err := w.checkDecimals(rows); err != nil {
		return err
	}
	for from := 0; from < rows.Len(); {
		c := w.cur
		// A chunk never spans two row groups.
		limit := min(chunkRows, w.rowGroupRows-w.rgRows)
		to := min(from+blockRows, rows.Len(), from+limit-c.n)
		size := 0
		for i, col := range c.cols {
			if err := col.appendRows(rows, from, to, w.dicts[i]); err != nil {
				w.err = fmt.Errorf("parquet: write %s column %s: %w", w.t.Name, col.c.Name, err)
				return w.err
			}
			size += col.size()
		}
		c.n += to - from
		from = to
		if c.n >= limit || size >= chunkBytes {
			if err := w.flush(false); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDecimals rejects money and rates outside DECIMAL(18, s).
func (w *writer) checkDecimals(rows schema.Rows) error {
	for _, c := range w.dec {
		for i := range rows.Len() {
			r := rows.Row(i)
			var v int64
			if c.Kind == schema.KindMoney {
				v = r.Money(c).Cents
			} else {
				v = r.Rate(c).Micros
			}
			if v > maxDecimal18 || v < -maxDecimal18 {
				return fmt.Errorf("parquet: %s row %d column %s: %s does not fit %s",
					w.t.Name, i, c.Name, r.Text(c), c.Kind)
			}
		}
	}
	return nil
}

// wait waits for the background encode, if any, and returns the writer's
// error.
func (w *writer) wait() error {
	if w.inflight != nil {
		if err := <-w.inflight; err != nil && w.err == nil {
			w.err = err
		}
		w.inflight = nil
	}
	return w.err
}

// flush hands the current chunk to a background encode and swaps in the
// spare chunk, once the previous encode has finished with it. The chunk
// closes the row group when the row group is full, or when last is set.
func (w *writer) flush(last bool) error {
	if err := w.wait(); err != nil {
		return err
	}
	c := w.cur
	if c.n == 0 && (!last || w.rgRows == 0) {
		return nil
	}
	w.cur, w.spare = w.spare, c
	w.cur.reset()
	w.rgRows += c.n
	endRowGroup := last || w.rgRows >= w.rowGroupRows
	if endRowGroup {
		w.rgRows = 0
		for _, d := range w.dicts {
			clear(d)
		}
	}
	w.inflight = make(chan error, 1)
	go func(done chan<- error) { done <- w.encode(c, endRowGroup) }(w.inflight)
	return nil
}

// encode writes a chunk into the open row group, one column per worker at a
// time, and closes the row group (writing its column chunks to the file)
// when it is full. Only one encode runs at a time.
func (w *writer) encode(c *chunk, endRowGroup bool) error {
	if w.rgw == nil {
		rgw, err := w.fw.AppendBufferedRowGroupChecked()
		if err != nil {
			return fmt.Errorf("parquet: start %s row group: %w", w.t.Name, err)
		}
		w.rgw = rgw
	}
	for i, col := range c.cols {
		if col.dict {
			w.rgDicts[i].add(col)
			if endRowGroup {
				c.arrays[i] = w.rgDicts[i].array()
			}
		} else {
			c.arrays[i] = col.array()
		}
	}
	defer func() {
		for i, a := range c.arrays {
			if a != nil {
				a.Release()
				c.arrays[i] = nil
			}
			if d := w.rgDicts[i]; d != nil && endRowGroup {
				d.reset()
			}
		}
	}()

	var (
		next atomic.Int32
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	work := func(ctx context.Context) {
		for {
			k := int(next.Add(1)) - 1
			if k >= len(w.order) {
				return
			}
			i := w.order[k]
			if c.arrays[i] == nil {
				continue // a dictionary column, written when its row group closes
			}
			def := c.cols[i].def
			if c.cols[i].dict {
				def = w.rgDicts[i].def
			}
			err := w.encodeColumn(ctx, i, c.arrays[i], def)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}
	}
	for k := 1; k < w.workers; k++ {
		wg.Add(1)
		go func(ctx context.Context) {
			defer wg.Done()
			work(ctx)
		}(w.ctxs[k])
	}
	work(w.ctxs[0])
	wg.Wait()
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if endRowGroup {
		return w.closeRowGroup()
	}
	return nil
}

// closeRowGroup writes the open row group's column chunks to the file.
func (w *writer) closeRowGroup() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parquet: write %s row group: panic: %v", w.t.Name, r)
		}
	}()
	rgw := w.rgw
	w.rgw = nil
	if err := rgw.Close(); err != nil {
		return fmt.Errorf("parquet: write %s row group: %w", w.t.Name, err)
	}
	return nil
}

func (w *writer) encodeColumn(ctx context.Context, i int, arr arrow.Array, def []int16) (err error) {
	// The encode runs on background goroutines, where a panic in the
	// Parquet library would end the process: make it this file's error.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parquet: encode %s column %s: panic: %v", w.t.Name, w.t.Columns[i].Name, r)
		}
	}()
	cw, err := w.rgw.Column(i)
	if err != nil {
		return fmt.Errorf("parquet: %s column %s: %w", w.t.Name, w.t.Columns[i].Name, err)
	}
	if err := pqarrow.WriteArrowToColumn(ctx, cw, arr, def, nil, true); err != nil {
		return fmt.Errorf("parquet: encode %s column %s: %w", w.t.Name, w.t.Columns[i].Name, err)
	}
	return nil
}

// Close encodes the last chunk, writes the footer and flushes. It does not
// close the underlying writer. Closing twice is a no-op.
func (w *writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err == nil {
		_ = w.flush(true)
	}
	if err := w.wait(); err != nil {
		return err
	}
	if err := w.fw.Close(); err != nil {
		w.err = fmt.Errorf("parquet: finish %s file: %w", w.t.Name, err)
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("parquet: finish %s file: %w", w.t.Name, err)
		return w.err
	}
	w.cur, w.spare = nil, nil
	return nil
}

// FileMetadata is the footer the writer wrote; valid after Close.
func (w *writer) FileMetadata() (*metadata.FileMetaData, error) {
	if !w.closed || w.err != nil {
		return nil, errors.New("parquet: file metadata of an unfinished file")
	}
	return w.fw.FileMetadata()
}
