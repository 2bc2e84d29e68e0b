package pipelines

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sources/attachments"
	"github.com/leadpipe/leadpipe/sources/file"
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

// pushRun is one push run.
type pushRun struct {
	plan    *Plan
	pp      *PushPlan
	store   *state.Store
	opts    Options
	log     *slog.Logger
	conn    connectors.Connector
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
	unknowns    *schema.Unknowns
}

// runPush sends a file's rows to a vendor target: each row once, with a
// receipt for every row and the rejects of every invalid one.
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
	in, rows, err := openPushInput(ctx, plan, log)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	pii, err := bindPushPrivacy(ctx, plan, store, in.Header(), log, opts.DryRun)
	if err != nil {
		return nil, err
	}
	r, err := startPush(ctx, plan, store, opts, log, pii, sum.RunID)
	if r != nil {
		defer connectors.CloseQuietly(r.conn)
	}
	if err != nil {
		return nil, err
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
	total := int64(rows)
	if opts.Limit > 0 && total > int64(opts.Limit) {
		total = int64(opts.Limit)
	}
	var done atomic.Int64
	stopProgress := startProgress(opts.Progress, r.progress(started, &done, total))
	runCtx, cancel := context.WithCancel(ctx)
	r.cancel = cancel
	err = r.process(runCtx, in, out, &done)
	cancel()
	stopProgress()
	return r.finish(ctx, sum, out, err)
}

// openPushInput reads the whole input once before anything is sent (a byte
// not in its encoding, a record over the length limit or a quote that
// swallows lines fails the run here, not after half of the rows were sent),
// then opens it for the run and checks its header. It returns the number of
// rows.
func openPushInput(ctx context.Context, plan *Plan, log *slog.Logger) (*file.Reader, int, error) {
	pp := plan.Push
	scan, err := file.ScanFile(ctx, pp.Input, pp.InputOpts)
	if err != nil {
		return nil, 0, fmt.Errorf("%w; nothing was sent", inputError(plan, err))
	}
	if scan.Note != "" {
		log.Warn(scan.Note, "input", pp.Input)
	}
	inOpts := pp.InputOpts
	inOpts.Encoding = scan.Encoding
	in, err := file.Open(ctx, pp.Input, inOpts)
	if err != nil {
		return nil, 0, inputError(plan, err)
	}
	if probs := headerProblems(plan, in.Header()); len(probs) > 0 {
		in.Close()
		return nil, 0, probs
	}
	return in, scan.Rows, nil
}

// startPush starts the connector and its target. The run it returns holds
// the connector (to close) even with an error.
func startPush(ctx context.Context, plan *Plan, store *state.Store, opts Options, log *slog.Logger, pii *privacy.PushScrubber, runID string) (*pushRun, error) {
	pp := plan.Push
	r := &pushRun{plan: plan, pp: pp, store: store, opts: opts, log: log, runID: runID, sum: &PushSummary{}, pii: pii, unknowns: &schema.Unknowns{}}
	if pp.AttachmentsDir != "" {
		// The state store can never be attached, even from under the
		// directory.
		att, err := attachments.New(pp.AttachmentsDir, StorageOptions(plan.Pipeline.Push.Storage), store.Path())
		if err != nil {
			return nil, err
		}
		r.attachments = att
	}
	env := connectors.Env{
		Pipeline: plan.Name(), Logger: log.With("connector", pp.Spec.Name), Unknowns: r.unknowns, Now: opts.Now,
		RateLimit: pp.RateLimit, Concurrency: pp.Concurrency, Observer: opts.Observer,
		Refs: &refStore{store: store, vendor: pp.Spec.Name, pipeline: plan.Name(), key: pii.Key},
		Open: func(ctx context.Context, loc string) (io.ReadCloser, error) {
			return openLocation(ctx, plan.File.Resolve(loc), StorageOptions(plan.Pipeline.Push.Storage))
		},
	}
	if r.attachments != nil {
		env.OpenAttachment = r.attachments.Open
	}
	conn, err := pp.Spec.New(pp.Config, env)
	if err != nil {
		return nil, fmt.Errorf("start connector %s: %w", pp.Spec.Name, err)
	}
	r.conn = conn
	if r.target, err = conn.(connectors.Pusher).Target(ctx, pp.Target); err != nil {
		return r, err
	}
	r.scope = pp.Spec.Name + "/" + pp.Target
	if a, ok := r.target.(accounted); ok {
		r.scope += "@" + a.Account()
	}
	return r, nil
}

// finish closes the run's outputs and records how it ended.
func (r *pushRun) finish(ctx context.Context, sum *Summary, out *outputs, err error) (*Summary, error) {
	sum.Unknowns = r.unknowns.List()
	if sr, ok := r.conn.(connectors.StatsReporter); ok {
		sum.HTTP = sr.HTTPStats()
	}
	sum.Duration = r.opts.now().Sub(sum.StartedAt)
	if r.crashed.Load() {
		out.abort()
		return sum, ErrCrashed
	}
	if cerr := out.close(ctx); cerr != nil && err == nil {
		err = cerr
	}
	r.sum.Receipts, r.sum.RejectsFile = out.receiptsURL, out.rejectsURL
	sort.Slice(r.sum.Previews, func(i, j int) bool { return r.sum.Previews[i].Row < r.sum.Previews[j].Row })
	if r.opts.DryRun {
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
		finishFailed(r.store, sum, status, err)
		return sum, err
	}
	sum.Status = state.RunSucceeded
	if err := r.store.FinishRun(context.WithoutCancel(ctx), sum.RunID, state.RunSucceeded, "", sum); err != nil {
		return sum, err
	}
	r.log.Info("push finished", "summary", r.sum.String())
	return sum, nil
}
