package pipelines

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sources/attachments"
	"github.com/leadpipe/leadpipe/sources/file"
	"github.com/leadpipe/leadpipe/transforms/mapping"
	"github.com/leadpipe/leadpipe/transforms/privacy"
)

// Receipt outcomes.
const (
	OutcomeSubmitted  = "submitted"
	OutcomeUpdated    = "updated"
	OutcomeSkipped    = "skipped_duplicate"
	OutcomeRejected   = "rejected"
	OutcomeFailed     = "failed"
	OutcomeNeedsHuman = "needs_human"
	// OutcomeWaiting is a row the vendor does not accept yet (an Iute cash
	// release before Iute allows it): nothing was sent, and the next run
	// tries again.
	OutcomeWaiting   = "waiting"
	OutcomeWouldSend = "would_submit"
	OutcomeWouldUpd  = "would_update"
)

// Receipt is one line of a push run's receipts file.
type Receipt struct {
	Row        schema.Int `col:"row"`
	Key        string     `col:"key"`
	Outcome    string     `col:"outcome,dict"`
	VendorID   string     `col:"vendor_id"`
	HTTPStatus schema.Int `col:"http_status"`
	Error      string     `col:"error"`
}

// Reject is one problem of one rejected input row.
type Reject struct {
	Row    schema.Int `col:"row"`
	Line   schema.Int `col:"line"`
	Column string     `col:"column"`
	Field  string     `col:"field"`
	Value  string     `col:"value"`
	Reason string     `col:"reason"`
}

// ReceiptsTable and RejectsTable describe the files.
var (
	ReceiptsTable = schema.NewTable[Receipt]("receipts", "")
	RejectsTable  = schema.NewTable[Reject]("rejects", "")
)

// Previewer is implemented by targets that can show the request a row would
// make (dry runs).
type Previewer interface {
	Preview(rec connectors.Record, key string) ([]byte, error)
}

// Describer is implemented by targets that can say, for a human, which
// vendor record a row is (iute: the client's PIN and name).
type Describer interface {
	Describe(rec connectors.Record) string
}

// accounted is implemented by targets that can name the vendor account the
// ledger entries belong to.
type accounted interface{ Account() string }

type pushRun struct {
	plan    *Plan
	pp      *PushPlan
	store   *state.Store
	opts    Options
	log     *slog.Logger
	target  connectors.Target
	scope   string
	runID   string
	sum     *PushSummary
	mu      sync.Mutex // guards sum
	crashed atomic.Bool
	cancel  context.CancelFunc
	pii     *privacy.PushScrubber // what is stored of a row: receipts, rejects, ledger
	// attachments is where the files rows name are read from (nil: the
	// pipeline maps no file field).
	attachments *attachments.Dir
}

// item is one input row on its way through the run.
type item struct {
	seq     int
	row     file.Row
	rec     connectors.Record
	key     string // as stored: hashed when the privacy policy does not keep a key column
	sendKey string // as sent to the vendor (external_id...)
	hash    string
	pii     *privacy.RowScrub
	action  string // send | update | resolve | done (receipt ready)
	prev    state.LedgerEntry
	receipt Receipt
	rejects []Reject
	// failure says, for a failed row, what the next run does with it:
	// failRefused (the vendor said no: sent again once the row changes),
	// failRetry (not acted on: sent again) or failUnknown (may have
	// arrived: looked up first).
	failure string
}

const (
	failRefused = "refused"
	failRetry   = "retry"
	failUnknown = "unknown"
)

func runPush(ctx context.Context, plan *Plan, store *state.Store, opts Options) (*Summary, error) {
	pp := plan.Push
	started := opts.now()
	sum := &Summary{RunID: opts.runID(started), Pipeline: plan.Name(), Kind: "push", DryRun: opts.DryRun, StartedAt: started}
	log := opts.log().With("pipeline", plan.Name(), "run_id", sum.RunID)

	release, err := store.Lock(ctx, plan.Name())
	if err != nil {
		return nil, err
	}
	defer release()

	// Read the whole input once before anything is sent: a byte not in its
	// encoding, a record over the length limit or a quote that swallows
	// lines fails the run here, not after half of the rows were sent.
	scan, err := file.ScanFile(ctx, pp.Input, pp.InputOpts)
	if err != nil {
		return nil, fmt.Errorf("%w; nothing was sent", inputError(plan, err))
	}
	if scan.Note != "" {
		log.Warn(scan.Note, "input", pp.Input)
	}
	inOpts := pp.InputOpts
	inOpts.Encoding = scan.Encoding
	in, err := file.Open(ctx, pp.Input, inOpts)
	if err != nil {
		return nil, inputError(plan, err)
	}
	defer in.Close()
	if probs := headerProblems(plan, in.Header()); len(probs) > 0 {
		return nil, probs
	}
	pii, err := bindPushPrivacy(ctx, plan, store, in.Header(), log, opts.DryRun)
	if err != nil {
		return nil, err
	}

	var att *attachments.Dir
	if pp.AttachmentsDir != "" {
		// The state store can never be attached, even from under the
		// directory.
		if att, err = attachments.New(pp.AttachmentsDir, StorageOptions(plan.Pipeline.Push.Storage), store.Path()); err != nil {
			return nil, err
		}
	}
	unknowns := &schema.Unknowns{}
	env := connectors.Env{
		Pipeline: plan.Name(), Logger: log.With("connector", pp.Spec.Name), Unknowns: unknowns, Now: opts.Now,
		RateLimit: pp.RateLimit, Concurrency: pp.Concurrency, Observer: opts.Observer,
		Refs: &refStore{store: store, vendor: pp.Spec.Name, pipeline: plan.Name(), key: pii.Key},
		Open: func(ctx context.Context, loc string) (io.ReadCloser, error) {
			return openLocation(ctx, plan.File.Resolve(loc), StorageOptions(plan.Pipeline.Push.Storage))
		},
	}
	if att != nil {
		env.OpenAttachment = att.Open
	}
	conn, err := pp.Spec.New(pp.Config, env)
	if err != nil {
		return nil, fmt.Errorf("start connector %s: %w", pp.Spec.Name, err)
	}
	defer connectors.CloseQuietly(conn)
	target, err := conn.(connectors.Pusher).Target(ctx, pp.Target)
	if err != nil {
		return nil, err
	}
	r := &pushRun{plan: plan, pp: pp, store: store, opts: opts, log: log, target: target, runID: sum.RunID, sum: &PushSummary{}, pii: pii, attachments: att}
	r.scope = pp.Spec.Name + "/" + pp.Target
	if a, ok := target.(accounted); ok {
		r.scope += "@" + a.Account()
	}
	sum.Push = r.sum
	if err := r.checkLedgerHere(ctx); err != nil {
		return nil, err
	}

	if !opts.DryRun {
		recovered, err := recoverPushes(ctx, plan, store, log)
		sum.Recovered = recovered
		if err != nil {
			return nil, err
		}
		if err := store.BeginRun(ctx, state.Run{ID: sum.RunID, Pipeline: plan.Name(), Kind: "push", StartedAt: started, Sink: r.scope}); err != nil {
			return nil, err
		}
	}
	log.Info("push started", "input", pp.Input, "target", r.scope, "dry_run", opts.DryRun)

	out, err := r.openOutputs(ctx)
	if err != nil {
		finishFailed(store, sum, state.RunFailed, err)
		return sum, err
	}
	total := int64(scan.Rows)
	if opts.Limit > 0 && total > int64(opts.Limit) {
		total = int64(opts.Limit)
	}
	var done atomic.Int64
	stopProgress := startPushProgress(opts.Progress, started, opts.now, &done, total, r)

	runCtx, cancel := context.WithCancel(ctx)
	r.cancel = cancel
	err = r.process(runCtx, in, out, &done)
	cancel()
	stopProgress()

	collectPush := func() {
		sum.Unknowns = unknowns.List()
		if sr, ok := conn.(connectors.StatsReporter); ok {
			sum.HTTP = sr.HTTPStats()
		}
		sum.Duration = opts.now().Sub(started)
	}
	collectPush()
	if r.crashed.Load() {
		out.abort()
		return sum, ErrCrashed
	}
	if cerr := out.close(ctx); cerr != nil && err == nil {
		err = cerr
	}
	r.sum.Receipts, r.sum.RejectsFile = out.receiptsURL, out.rejectsURL
	sort.Slice(r.sum.Previews, func(i, j int) bool { return r.sum.Previews[i].Row < r.sum.Previews[j].Row })
	if opts.DryRun {
		sum.Status = "dry_run"
		if err != nil {
			sum.Status, sum.Error = state.RunFailed, err.Error()
		}
		return sum, err
	}
	if err != nil {
		status := state.RunFailed
		if errors.Is(err, context.Canceled) || errors.Is(err, ErrStopped) {
			status = state.RunCancelled
		}
		finishFailed(store, sum, status, err)
		return sum, err
	}
	sum.Status = state.RunSucceeded
	if err := store.FinishRun(context.WithoutCancel(ctx), sum.RunID, state.RunSucceeded, "", sum); err != nil {
		return sum, err
	}
	log.Info("push finished", "summary", r.sum.String())
	return sum, nil
}

const chunkSize = 256

// process reads the input in chunks, decides each row against the ledger,
// sends what must be sent with bounded concurrency, and writes receipts in
// row order.
func (r *pushRun) process(ctx context.Context, in *file.Reader, out *outputs, done *atomic.Int64) error {
	conc := max(r.pp.Concurrency, 1)
	work := make(chan *item)
	results := make(chan *item, conc)
	var workers sync.WaitGroup
	var fatalMu sync.Mutex
	var fatal error
	setFatal := func(err error) {
		fatalMu.Lock()
		if fatal == nil {
			fatal = err
		}
		fatalMu.Unlock()
		r.cancel()
	}
	for range conc {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for it := range work {
				if err := safeCall(r.log, "push", func() error { return r.handle(ctx, it) }); err != nil {
					if errors.Is(err, ErrPanic) {
						it.receipt.Outcome, it.receipt.Error, it.failure = OutcomeFailed, err.Error(), failUnknown
					}
					setFatal(err)
				}
				results <- it
			}
		}()
	}
	// The writer puts receipts in row order; window bounds how far sends may
	// run ahead of the oldest unfinished row.
	window := make(chan struct{}, 4*chunkSize)
	writerDone := make(chan error, 1)
	go func() {
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
		writerDone <- werr
	}()

	seenKeys := map[string]string{} // key → hash of its first row in this file
	seenRow := map[string]int{}
	seq := 0
	var readErr error
	stopped := false // a graceful stop left rows unsent
	for readErr == nil && ctx.Err() == nil && !stopped {
		if r.opts.stopping() {
			stopped = true
			break
		}
		var chunk []*item
		for len(chunk) < chunkSize {
			if r.opts.Limit > 0 && seq+len(chunk) >= r.opts.Limit {
				break
			}
			row, err := in.Next()
			if err == io.EOF {
				readErr = io.EOF
				break
			}
			if err != nil {
				readErr = fmt.Errorf("read %s: %w", r.pp.Input, err)
				break
			}
			chunk = append(chunk, &item{seq: seq + len(chunk), row: row})
		}
		if len(chunk) == 0 {
			break
		}
		seq += len(chunk)
		r.prepare(ctx, chunk, seenKeys, seenRow)
		if err := r.lookupLedger(ctx, chunk); err != nil {
			setFatal(err)
			break
		}
		for _, it := range chunk {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
			case <-r.opts.Stop:
			}
			if ctx.Err() != nil {
				break
			}
			if r.opts.stopping() {
				// The rows already handed out are the batch in hand: they
				// finish and are recorded; this one and the rest wait for
				// the next run. (A window slot taken for this row is never
				// needed again: nothing more is dispatched.)
				stopped = true
				break
			}
			if it.action == "done" {
				results <- it
				continue
			}
			select {
			case work <- it:
			case <-ctx.Done():
			case <-r.opts.Stop:
				stopped = true
			}
			if stopped {
				break
			}
		}
		if r.opts.Limit > 0 && seq >= r.opts.Limit {
			break
		}
	}
	close(work)
	workers.Wait()
	close(results)
	werr := <-writerDone
	switch {
	case fatal != nil:
		return fatal
	case readErr != nil && readErr != io.EOF:
		return readErr
	case ctx.Err() != nil:
		return ctx.Err()
	case werr != nil:
		return werr
	case stopped:
		return fmt.Errorf("%w after %d rows: the rows in flight were finished and recorded; the next run sends the rest", ErrStopped, done.Load())
	}
	return werr
}

// prepare keys, maps and validates the rows of a chunk.
func (r *pushRun) prepare(ctx context.Context, chunk []*item, seenKeys map[string]string, seenRow map[string]int) {
	for _, it := range chunk {
		it.receipt.Row = schema.IntOf(int64(it.row.Num))
		if it.row.Problem != "" {
			r.reject(it, Reject{Reason: it.row.Problem})
			continue
		}
		// A key column gives the row its key before anything else, so even a
		// rejected row's receipt says which row it is.
		if len(r.pp.KeyColumns) > 0 {
			var parts []string
			for _, k := range r.pp.KeyColumns {
				v, _ := it.row.Get(k)
				if v == "" {
					r.reject(it, Reject{Column: k, Reason: "the key column is empty: every row needs a key to be sent exactly once"})
				}
				parts = append(parts, v)
			}
			it.sendKey = strings.Join(parts, "|")
			it.key = r.pii.Key(it.sendKey)
			it.receipt.Key = it.key
		}
		rec, probs := r.pp.Mapping.Apply(it.row.Num, it.row.Values())
		it.pii = r.pii.Row(it.row.Values(), &rec)
		for _, p := range probs {
			r.reject(it, Reject{Column: p.Column, Field: p.Field, Value: p.Value, Reason: p.Reason})
		}
		if len(probs) == 0 {
			cols := r.pp.Mapping.Columns()
			for _, fe := range r.target.Validate(ctx, rec) {
				col := cols[fe.Field]
				val, _ := it.row.Get(col)
				r.reject(it, Reject{Column: col, Field: fe.Field, Value: val, Reason: fe.Msg})
			}
			r.checkAttachments(ctx, it, rec, cols)
		}
		if len(it.rejects) > 0 {
			continue
		}
		it.rec = rec
		it.hash = mapping.Hash(rec)
		if it.key == "" {
			it.key, it.sendKey = it.hash, it.hash
			it.receipt.Key = it.key
		}
		if h, dup := seenKeys[it.key]; dup {
			if h == it.hash {
				it.action = "done"
				it.receipt.Outcome = OutcomeSkipped
				it.receipt.Error = fmt.Sprintf("same row as row %d of this file", seenRow[it.key])
			} else {
				r.reject(it, Reject{Column: strings.Join(r.pp.KeyColumns, "|"), Value: it.key,
					Reason: fmt.Sprintf("key %q is also on row %d with different values", it.key, seenRow[it.key])})
			}
			continue
		}
		seenKeys[it.key], seenRow[it.key] = it.hash, it.row.Num
	}
}

// checkAttachments rejects a row whose file fields name a file that cannot
// be attached (outside attachments_dir, a special file, the state...),
// before anything of the row is sent.
func (r *pushRun) checkAttachments(ctx context.Context, it *item, rec connectors.Record, cols map[string]string) {
	for _, f := range r.pp.FileFields {
		if !rec.Has(f) {
			continue
		}
		cell := rec.String(f)
		var err error
		if r.attachments == nil {
			err = errors.New("no push.attachments_dir is declared, so no file can be attached")
		} else {
			err = r.attachments.Check(ctx, cell)
		}
		if err != nil {
			r.reject(it, Reject{Column: cols[f], Field: f, Value: cell, Reason: err.Error()})
		}
	}
}

// bound cuts the input a row's receipt and rejects quote to a short
// prefix, so a huge cell costs a line, not megabytes, in the rejects, the
// receipts and the summary. It runs after redact, which must see whole
// values to find them.
func bound(it *item) {
	it.receipt.Error = file.Cut(it.receipt.Error, 1000)
	for i := range it.rejects {
		rj := &it.rejects[i]
		rj.Value, rj.Reason = file.Short(rj.Value), file.Cut(rj.Reason, 500)
	}
}

func (r *pushRun) reject(it *item, rj Reject) {
	rj.Row = schema.IntOf(int64(it.row.Num))
	rj.Line = schema.IntOf(int64(it.row.Line))
	it.rejects = append(it.rejects, rj)
	it.action = "done"
	it.receipt.Outcome = OutcomeRejected
	var reasons []string
	for _, x := range it.rejects {
		where := x.Field
		if x.Column != "" {
			where = "column " + x.Column
			if x.Field != "" {
				where += " (" + x.Field + ")"
			}
		}
		if where != "" {
			reasons = append(reasons, where+": "+x.Reason)
		} else {
			reasons = append(reasons, x.Reason)
		}
	}
	it.receipt.Error = strings.Join(reasons, "; ")
}

// lookupLedger decides each row of a chunk from what the ledger knows.
func (r *pushRun) lookupLedger(ctx context.Context, chunk []*item) error {
	var keys []string
	for _, it := range chunk {
		if it.action == "" {
			keys = append(keys, it.key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	known, err := r.store.LedgerGet(ctx, r.scope, keys)
	if err != nil {
		return err
	}
	for _, it := range chunk {
		if it.action != "" {
			continue
		}
		e, ok := known[it.key]
		if ok && e.ContentHash == "" {
			// Rebuilt from receipts (leadpipe ledger import): what was
			// sent is unknown, so the row counts as unchanged.
			e.ContentHash = it.hash
		}
		it.prev = e
		switch {
		case !ok:
			it.action = "send"
		case e.Status == state.LedgerPending:
			it.action = "resolve"
		case e.Status == state.LedgerWaiting:
			it.action = "send" // nothing was sent: try again
		case e.Status == state.LedgerNeedsHuman:
			it.action = "done"
			it.receipt.Outcome = OutcomeNeedsHuman
			it.receipt.Error = "an earlier run could not tell whether the vendor received this row; check it and clear it with `leadpipe ledger forget` before it can be sent again: " + e.Error
		case e.ContentHash == it.hash && e.Status == state.LedgerDone:
			it.action = "done"
			it.receipt.Outcome, it.receipt.VendorID = OutcomeSkipped, e.VendorID
			it.receipt.Error = "already sent (run " + e.RunID + ")"
		case e.ContentHash == it.hash && e.Status == state.LedgerFailed:
			it.action = "done"
			it.receipt.Outcome, it.receipt.HTTPStatus, it.failure = OutcomeFailed, intOrNull(e.HTTPStatus), failRefused
			it.receipt.Error = "the vendor rejected this row in run " + e.RunID + " and it has not changed since; fix the row to send it again: " + e.Error
		case e.Status == state.LedgerFailed:
			it.action = "send" // edited since the vendor said no
		case r.pp.OnChange == "update":
			it.action = "update"
		default:
			it.action = "done"
			it.receipt.Outcome, it.receipt.VendorID = OutcomeSkipped, e.VendorID
			it.receipt.Error = "changed since it was sent in run " + e.RunID + "; not resent (on_change: skip)"
		}
	}
	return nil
}

func intOrNull(v int) schema.Int {
	if v == 0 {
		return schema.Int{}
	}
	return schema.IntOf(int64(v))
}

// handle performs a row's action. It returns an error only for what must
// stop the run (the state store failing, a simulated crash).
func (r *pushRun) handle(ctx context.Context, it *item) error {
	if ctx.Err() != nil {
		it.receipt.Outcome, it.receipt.Error, it.failure = OutcomeFailed, "not sent: the run was stopped", failRetry
		return nil
	}
	if r.opts.DryRun {
		return r.preview(it)
	}
	switch it.action {
	case "resolve":
		return r.resolve(ctx, it)
	case "update":
		return r.update(ctx, it)
	}
	return r.send(ctx, it, true)
}

func (r *pushRun) preview(it *item) error {
	it.receipt.Outcome = OutcomeWouldSend
	switch it.action {
	case "update":
		it.receipt.Outcome = OutcomeWouldUpd
	case "resolve":
		it.receipt.Error = "an earlier run was interrupted sending this row: a real run looks it up at the vendor first"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sum.Previews) < 20 {
		body := ""
		if p, ok := r.target.(Previewer); ok {
			if b, err := p.Preview(it.rec, it.sendKey); err == nil {
				body = file.Cut(string(b), 4096) // a preview, not the whole of a huge row
			}
		}
		r.sum.Previews = append(r.sum.Previews, Preview{Row: it.row.Num, Key: it.key, Action: it.receipt.Outcome, Body: body})
	}
	return nil
}

func (r *pushRun) crash(point string) error {
	if err := r.opts.crash(point); err != nil {
		r.crashed.Store(true)
		r.cancel()
		return err
	}
	return nil
}

// send records the row as pending, sends it and records the answer. When
// the answer is lost, it asks the vendor whether the row arrived before
// sending it again (once).
func (r *pushRun) send(ctx context.Context, it *item, retryUnknown bool) error {
	var extra map[string]string
	if k, ok := r.target.(connectors.Keeper); ok {
		kept := k.Keep(ctx, it.rec)
		extra = it.scrubExtra(withPayment(kept.Extra, kept.Payment))
	}
	err := r.store.MarkPending(ctx, state.LedgerEntry{Scope: r.scope, Key: it.key, ContentHash: it.hash,
		Pipeline: r.plan.Name(), RunID: r.runID, Row: it.row.Num, Extra: extra})
	if err != nil {
		return err
	}
	if err := r.crash(PointAfterPending); err != nil {
		return err
	}
	rc, err := r.target.Send(ctx, it.rec, it.sendKey)
	if cerr := r.crash(PointAfterSend); cerr != nil {
		return cerr
	}
	return r.record(ctx, it, rc, err, retryUnknown, false)
}

// record turns a vendor answer into the ledger entry and the receipt.
func (r *pushRun) record(ctx context.Context, it *item, rc connectors.Receipt, err error, retryUnknown, update bool) error {
	store := context.WithoutCancel(ctx)
	var rej *connectors.RejectedError
	var partial *connectors.PartialError
	if errors.As(err, &partial) {
		// Created: the row must never be sent again, whatever failed after.
		rc = partial.Receipt
		if err := r.store.MarkDone(store, r.scope, it.key, rc.VendorID, rc.HTTPStatus, it.scrubExtra(withPayment(rc.Extra, rc.Payment))); err != nil {
			return err
		}
		it.receipt.Outcome, it.receipt.VendorID, it.receipt.HTTPStatus = OutcomeSubmitted, rc.VendorID, intOrNull(rc.HTTPStatus)
		it.receipt.Error = partial.Error()
		return nil
	}
	switch {
	case err == nil:
		if err := r.store.MarkDone(store, r.scope, it.key, rc.VendorID, rc.HTTPStatus, it.scrubExtra(withPayment(rc.Extra, rc.Payment))); err != nil {
			return err
		}
		it.receipt.Outcome, it.receipt.VendorID, it.receipt.HTTPStatus = OutcomeSubmitted, rc.VendorID, intOrNull(rc.HTTPStatus)
		if update {
			it.receipt.Outcome = OutcomeUpdated
		}
		return nil
	case errors.As(err, &rej):
		if err := r.store.MarkFailed(store, r.scope, it.key, rej.HTTPStatus, it.scrubText(rej.Error())); err != nil {
			return err
		}
		it.receipt.Outcome, it.receipt.HTTPStatus, it.receipt.Error, it.failure = OutcomeFailed, intOrNull(rej.HTTPStatus), rej.Error(), failRefused
		return nil
	case errors.Is(err, connectors.ErrNotYet) && !update:
		// Nothing was sent: the row waits in the ledger, and the next run
		// sends it as if it were new.
		if err := r.store.MarkWaiting(store, r.scope, it.key, it.scrubText(err.Error())); err != nil {
			return err
		}
		it.receipt.Outcome, it.receipt.Error = OutcomeWaiting, "not sent yet, the next run tries again: "+err.Error()
		return nil
	case errors.Is(err, connectors.ErrOutcomeUnknown) && !update:
		return r.afterUnknown(ctx, it, err, retryUnknown)
	case errors.Is(err, connectors.ErrNotSent):
		// The vendor refused before acting: the row is safe to send again.
		if err := r.notActed(store, it, update); err != nil {
			return err
		}
		it.receipt.Outcome, it.receipt.HTTPStatus, it.receipt.Error, it.failure = OutcomeFailed, intOrNull(connectors.HTTPStatus(err)), "rate limited; not sent, will be sent on the next run: "+err.Error(), failRetry
		return nil
	case errors.Is(err, connectors.ErrRefused):
		// Not this row's fault, and no row will fare better: the vendor
		// refused the credentials or the URL. The row was not acted on, so
		// it is forgotten (sent on the next run), and the run stops.
		if err := r.notActed(store, it, update); err != nil {
			return err
		}
		it.receipt.Outcome, it.receipt.HTTPStatus, it.receipt.Error, it.failure = OutcomeFailed, intOrNull(connectors.HTTPStatus(err)), "not sent: "+err.Error(), failRetry
		return fmt.Errorf("push stopped%s: %w", authHint(err, "push.config"), err)
	case errors.Is(err, connectors.ErrRejected):
		status := connectors.HTTPStatus(err)
		if err := r.store.MarkFailed(store, r.scope, it.key, status, it.scrubText(err.Error())); err != nil {
			return err
		}
		it.receipt.Outcome, it.receipt.HTTPStatus, it.receipt.Error, it.failure = OutcomeFailed, intOrNull(status), err.Error(), failRefused
		return nil
	}
	// Anything else may or may not have reached the vendor: the row stays
	// pending, and the next run looks it up before resending.
	it.receipt.Outcome, it.receipt.Error, it.failure = OutcomeFailed, "outcome unknown; the next run checks with the vendor before resending: "+err.Error(), failUnknown
	return nil
}

// afterUnknown handles a send whose answer was lost.
func (r *pushRun) afterUnknown(ctx context.Context, it *item, cause error, retry bool) error {
	rc, found, err := r.target.Lookup(ctx, it.rec, it.sendKey, r.opts.now().Add(-time.Minute))
	switch {
	case errors.Is(err, connectors.ErrNoLookup):
		return r.needsHuman(ctx, it, "the connection failed after sending ("+cause.Error()+") and the vendor offers no lookup")
	case err != nil:
		it.receipt.Outcome, it.receipt.Error, it.failure = OutcomeFailed, "outcome unknown and the lookup failed; the next run checks again: "+err.Error(), failUnknown
		return nil
	case found:
		if err := r.store.MarkDone(context.WithoutCancel(ctx), r.scope, it.key, rc.VendorID, rc.HTTPStatus, it.scrubExtra(withPayment(rc.Extra, rc.Payment))); err != nil {
			return err
		}
		it.receipt.Outcome, it.receipt.VendorID = OutcomeSubmitted, rc.VendorID
		it.receipt.Error = "the answer was lost; the vendor has the row"
		return nil
	case retry:
		return r.send(ctx, it, false)
	}
	it.receipt.Outcome, it.receipt.Error, it.failure = OutcomeFailed, "outcome unknown twice; the next run checks with the vendor before resending: "+cause.Error(), failUnknown
	return nil
}

func (r *pushRun) needsHuman(ctx context.Context, it *item, reason string) error {
	who := ""
	if d, ok := r.target.(Describer); ok {
		who = d.Describe(it.rec)
	}
	if who != "" {
		reason += "; check at the vendor: " + who
	}
	reason = it.scrubText(reason) // the ledger and the summary keep it
	if err := r.store.MarkNeedsHuman(context.WithoutCancel(ctx), r.scope, it.key, reason, nil); err != nil {
		return err
	}
	it.receipt.Outcome, it.receipt.Error = OutcomeNeedsHuman, reason
	r.mu.Lock()
	r.sum.Human = append(r.sum.Human, fmt.Sprintf("row %d (key %s): %s", it.row.Num, it.key, reason))
	r.mu.Unlock()
	return nil
}

// resolve settles a row an earlier run left pending: it was being sent when
// that run stopped. The vendor is asked first; only a row it does not have
// is sent.
func (r *pushRun) resolve(ctx context.Context, it *item) error {
	if it.prev.VendorID != "" {
		// The row was sent before and an update of it was interrupted; an
		// update can safely be applied again.
		return r.update(ctx, it)
	}
	if it.prev.ContentHash != it.hash {
		// The row was edited since; the earlier version may exist at the
		// vendor, so the edit needs a person as much as the original did.
		return r.needsHuman(ctx, it, "an interrupted run was sending an earlier version of this row")
	}
	rc, found, err := r.target.Lookup(ctx, it.rec, it.sendKey, it.prev.FirstTryAt)
	switch {
	case errors.Is(err, connectors.ErrNoLookup):
		return r.needsHuman(ctx, it, fmt.Sprintf("run %s stopped while sending this row and the vendor offers no lookup", it.prev.RunID))
	case err != nil:
		it.receipt.Outcome, it.receipt.Error, it.failure = OutcomeFailed, "could not check an interrupted send with the vendor; not resent: "+err.Error(), failUnknown
		return nil
	case found:
		if err := r.store.MarkDone(context.WithoutCancel(ctx), r.scope, it.key, rc.VendorID, rc.HTTPStatus, it.scrubExtra(withPayment(rc.Extra, rc.Payment))); err != nil {
			return err
		}
		it.receipt.Outcome, it.receipt.VendorID = OutcomeSubmitted, rc.VendorID
		it.receipt.Error = fmt.Sprintf("recovered: run %s sent it before stopping; the vendor has it", it.prev.RunID)
		r.mu.Lock()
		r.sum.Recovered++
		r.mu.Unlock()
		return nil
	}
	return r.send(ctx, it, true)
}

func (r *pushRun) update(ctx context.Context, it *item) error {
	up, ok := r.target.(connectors.Updater)
	if !ok {
		it.receipt.Outcome, it.receipt.Error, it.failure = OutcomeFailed, "the target cannot update", failRefused
		return nil
	}
	if err := r.store.MarkPending(ctx, state.LedgerEntry{Scope: r.scope, Key: it.key, ContentHash: it.hash,
		Pipeline: r.plan.Name(), RunID: r.runID, Row: it.row.Num}); err != nil {
		return err
	}
	rc, err := up.Update(ctx, it.prev.VendorID, it.rec, it.sendKey)
	if rc.VendorID == "" {
		rc.VendorID = it.prev.VendorID
	}
	return r.record(ctx, it, rc, err, false, true)
}

func (r *pushRun) count(it *item) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sum
	s.Total++
	switch it.receipt.Outcome {
	case OutcomeSubmitted:
		s.Submitted++
	case OutcomeUpdated:
		s.Updated++
	case OutcomeSkipped:
		s.SkippedDuplicate++
	case OutcomeRejected:
		s.Rejected++
		if len(s.RejectSamples) < 20 {
			s.RejectSamples = append(s.RejectSamples, fmt.Sprintf("row %d: %s", it.row.Num, it.receipt.Error))
		}
	case OutcomeFailed:
		s.Failed++
		switch it.failure {
		case failUnknown:
			s.Unknown++
		case failRetry:
			s.Retry++
		}
	case OutcomeWaiting:
		s.Waiting++
	case OutcomeNeedsHuman:
		s.NeedsHuman++
	case OutcomeWouldSend, OutcomeWouldUpd:
		s.WouldSend++
	}
}

func startPushProgress(fn ProgressFunc, started time.Time, now func() time.Time, done *atomic.Int64, total int64, r *pushRun) func() {
	if fn == nil {
		return func() {}
	}
	var t int64
	if total > 0 {
		t = total
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				r.mu.Lock()
				detail := fmt.Sprintf("%d sent, %d rejected, %d failed", r.sum.Submitted, r.sum.Rejected, r.sum.Failed)
				r.mu.Unlock()
				fn(Progress{Rows: done.Load(), Total: t, Elapsed: now().Sub(started), Detail: detail})
			}
		}
	}()
	return func() {
		close(stop)
		<-finished
	}
}

// refStore scopes the state store's loan refs to one vendor.
type refStore struct {
	store    *state.Store
	vendor   string
	pipeline string
	key      func(string) string // the row key as stored (privacy); nil: as it is
}

func (s *refStore) AddRef(ctx context.Context, ref, rowKey string) error {
	origin := "submitted"
	if rowKey == "" {
		origin = "imported"
	}
	if s.key != nil {
		rowKey = s.key(rowKey)
	}
	return s.store.AddLoanRef(ctx, state.LoanRef{Vendor: s.vendor, Ref: ref, Pipeline: s.pipeline, RowKey: rowKey, Origin: origin})
}

func (s *refStore) Refs(ctx context.Context) ([]string, error) {
	refs, err := s.store.LoanRefs(ctx, s.vendor)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Ref
	}
	return out, nil
}

func openLocation(ctx context.Context, loc string, opts storage.Options) (io.ReadCloser, error) {
	dir, key := storage.Split(loc)
	st, err := storage.Open(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	return st.Open(ctx, key)
}

// notActed undoes the pending mark of a row the vendor certainly did not
// act on, so the next run sends it. An interrupted update stays pending
// instead: its ledger entry holds the vendor id, and forgetting it would
// make the next run create the record a second time (the next run applies
// the update again).
func (r *pushRun) notActed(ctx context.Context, it *item, update bool) error {
	if update {
		return nil
	}
	_, err := r.store.Forget(ctx, r.scope, it.key)
	return err
}

// withPayment adds a row's payment to the vendor values the ledger keeps.
func withPayment(extra map[string]string, p connectors.Payment) map[string]string {
	if p.IsZero() {
		return extra
	}
	out := make(map[string]string, len(extra)+3)
	maps.Copy(out, extra)
	out["loan_ref"], out["amount"], out["currency"] = p.Loan, p.Amount.String(), p.Currency
	return out
}
