package pipelines

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// fileSource reads a file of vendor records (JSON lines) through the
// connector's Decoder. It is a Connector to the engine, so a file lands in
// the lake under the same commit protocol as an API pull. Lines are decoded
// in parallel, a chunk per worker, and emitted in file order.
type fileSource struct {
	dec      connectors.Decoder
	location string
	opts     storage.Options
	chunk    int // lines per batch
}

type lineChunk struct {
	first int // line number of the first line
	data  []byte
	ends  []int // end offset of each line in data
}

func (f *fileSource) Read(ctx context.Context, req *connectors.ReadRequest, out connectors.Emitter) error {
	rc, err := openLocation(ctx, f.location, f.opts)
	if err != nil {
		return fmt.Errorf("open %s: %w", f.location, err)
	}
	defer rc.Close()
	workers := max(runtime.GOMAXPROCS(0), 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type job struct {
		chunk *lineChunk
		done  chan result
	}
	jobs := make(chan job, workers)
	order := make(chan chan result, workers)
	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(jobs)
		readErr <- f.chunks(ctx, rc, func(c *lineChunk) bool {
			j := job{chunk: c, done: make(chan result, 1)}
			select {
			case order <- j.done:
			case <-ctx.Done():
				return false
			}
			select {
			case jobs <- j:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	for range workers {
		go func() {
			for j := range jobs {
				b, err := f.decode(req.Streams, j.chunk)
				j.done <- result{b, err}
			}
		}()
	}
	for done := range order {
		var r result
		select {
		case r = <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil {
			cancel()
			return r.err
		}
		if r.b.Len() == 0 {
			continue
		}
		if err := out.Emit(ctx, r.b); err != nil {
			cancel()
			return err
		}
	}
	if err := <-readErr; err != nil {
		return err
	}
	return ctx.Err()
}

type result struct {
	b   *schema.Batch
	err error
}

func (f *fileSource) decode(streams []string, c *lineChunk) (*schema.Batch, error) {
	b := &schema.Batch{}
	start := 0
	for i, end := range c.ends {
		line := bytes.TrimSpace(c.data[start:end])
		start = end
		if len(line) == 0 {
			continue
		}
		for _, s := range streams {
			if err := f.dec.Decode(s, line, b); err != nil {
				return nil, fmt.Errorf("%s line %d: %w", f.location, c.first+i, err)
			}
		}
	}
	return b, nil
}

// chunks splits the input into chunks of f.chunk lines.
func (f *fileSource) chunks(ctx context.Context, r io.Reader, emit func(*lineChunk) bool) error {
	br := bufio.NewReaderSize(r, 1<<20)
	line := 1
	c := &lineChunk{first: line}
	for {
		part, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: keep reading it.
			c.data = append(c.data, part...)
			continue
		}
		c.data = append(c.data, part...)
		if len(part) > 0 || err == nil {
			c.ends = append(c.ends, len(c.data))
			line++
		}
		if len(c.ends) >= f.chunk || (err != nil && len(c.ends) > 0) {
			if !emit(c) {
				return ctx.Err()
			}
			c = &lineChunk{first: line, data: make([]byte, 0, len(c.data)), ends: make([]int, 0, f.chunk)}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", f.location, err)
		}
	}
}
