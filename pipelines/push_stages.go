package pipelines

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/leadpipe/leadpipe/sources/file"
)

const chunkSize = 256

// process runs a push's three stages, each waited for before it returns:
//
//   - the reader reads the input in chunks, keys, maps and validates each
//     row and decides it against the ledger (prepare, lookupLedger), then
//     hands the rows that go to the vendor to the senders and the others
//     straight to the writer;
//   - the senders (pp.Concurrency of them) perform the rows' actions;
//   - the writer writes the receipts in row order.
//
// A window bounds how far the sends run ahead of the oldest row not yet
// written. An error that must stop the run (the state store, a vendor
// refusing every row, a simulated crash) cancels the run: the rows in flight
// finish as "not sent" and are written too.
func (r *pushRun) process(ctx context.Context, in *file.Reader, out *outputs, done *atomic.Int64) error {
	conc := max(r.pp.Concurrency, 1)
	work := make(chan *item)
	results := make(chan *item, conc)
	window := make(chan struct{}, 4*chunkSize)
	var fatal firstError
	stop := func(err error) {
		fatal.set(err)
		r.cancel()
	}
	rd := &reader{r: r, in: in, work: work, results: results, window: window}

	var stages, senders errgroup.Group
	stages.Go(func() error {
		defer close(work)
		if err := rd.run(ctx); err != nil {
			stop(err)
		}
		return nil
	})
	for range conc {
		senders.Go(func() error {
			for it := range work {
				if err := safeCall(r.log, "push", func() error { return r.handle(ctx, it) }); err != nil {
					if errors.Is(err, ErrPanic) {
						it.fail(failUnknown, err.Error())
					}
					stop(err)
				}
				results <- it
			}
			return nil
		})
	}
	stages.Go(func() error {
		defer close(results)
		return senders.Wait()
	})
	var werr error
	stages.Go(func() error {
		werr = r.write(results, out, window, done)
		return nil
	})
	_ = stages.Wait() // the stages report through fatal, rd and werr, in the order below

	switch {
	case fatal.get() != nil:
		return fatal.get()
	case rd.err != nil:
		return rd.err
	case ctx.Err() != nil:
		return ctx.Err()
	case werr != nil:
		return werr
	case rd.stopped:
		return fmt.Errorf("%w after %d rows: the rows in flight were finished and recorded; the next run sends the rest", ErrStopped, done.Load())
	}
	return nil
}

// firstError keeps the first error set.
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// reader is the push's first stage.
type reader struct {
	r       *pushRun
	in      *file.Reader
	work    chan<- *item // rows for the senders
	results chan<- *item // rows settled without sending, for the writer
	window  chan struct{}
	seq     int
	seen    map[string]seenRow
	// err is the input's error (not io.EOF); stopped says a graceful stop
	// left rows unread or unsent.
	err     error
	stopped bool
}

// run reads and dispatches until the input ends, the run's limit is
// reached, or the run stops. It returns what must stop the run (the
// ledger failing).
func (rd *reader) run(ctx context.Context) error {
	r := rd.r
	rd.seen = map[string]seenRow{}
	for ctx.Err() == nil {
		if r.opts.stopping() {
			rd.stopped = true
			return nil
		}
		chunk, eof := rd.chunk()
		if len(chunk) == 0 {
			return nil
		}
		r.prepare(ctx, chunk, rd.seen)
		if err := r.lookupLedger(ctx, chunk); err != nil {
			return err
		}
		if !rd.dispatch(ctx, chunk) || eof || rd.err != nil || (r.opts.Limit > 0 && rd.seq >= r.opts.Limit) {
			return nil
		}
	}
	return nil
}

// chunk reads the next rows, up to chunkSize and the run's limit. eof says
// the input ended.
func (rd *reader) chunk() (chunk []*item, eof bool) {
	limit := rd.r.opts.Limit
	for len(chunk) < chunkSize {
		if limit > 0 && rd.seq+len(chunk) >= limit {
			break
		}
		row, err := rd.in.Next()
		if err == io.EOF {
			eof = true
			break
		}
		if err != nil {
			rd.err = fmt.Errorf("read %s: %w", rd.r.pp.Input, err)
			break
		}
		chunk = append(chunk, &item{seq: rd.seq + len(chunk), row: row})
	}
	rd.seq += len(chunk)
	return chunk, eof
}

// dispatch hands a chunk's rows on, each once the window has room. It
// returns false when the run stops: the rows already handed out are the
// batch in hand (they finish and are recorded); the rest wait for the next
// run.
func (rd *reader) dispatch(ctx context.Context, chunk []*item) bool {
	r := rd.r
	for _, it := range chunk {
		select {
		case rd.window <- struct{}{}:
		case <-ctx.Done():
		case <-r.opts.Stop:
		}
		if ctx.Err() != nil {
			return false
		}
		if r.opts.stopping() {
			// A window slot taken for this row is never needed again:
			// nothing more is dispatched.
			rd.stopped = true
			return false
		}
		if !it.action.sends() {
			rd.results <- it
			continue
		}
		select {
		case rd.work <- it:
		case <-ctx.Done():
			return false
		case <-r.opts.Stop:
			rd.stopped = true
			return false
		}
	}
	return true
}

// write is the push's last stage: it writes receipts in row order as the
// rows arrive, and frees a window slot for each. A write error is kept and
// returned; the rows still go through (counted), so no stage blocks.
func (r *pushRun) write(results <-chan *item, out *outputs, window <-chan struct{}, done *atomic.Int64) error {
	pending := map[int]*item{}
	next := 0
	var werr error
	for it := range results {
		pending[it.seq] = it
		for {
			cur, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			r.redact(cur)
			bound(cur)
			if werr == nil {
				werr = out.write(cur)
			}
			r.count(cur)
			done.Add(1)
			<-window
		}
	}
	return werr
}
