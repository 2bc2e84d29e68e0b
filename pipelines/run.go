package pipelines

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/iceberg"
)

// Options control one run.
type Options struct {
	FullRefresh bool
	DryRun      bool
	// Limit stops a push after the first N input rows (a trial run).
	Limit  int
	Logger *slog.Logger
	// Progress receives live progress; nil shows none.
	Progress ProgressFunc
	Now      func() time.Time
	// CrashAt is a fault-injection hook for tests: when it returns an error
	// at a named point of the commit protocol, the run stops right there
	// without any clean-up, exactly as if the process had been killed.
	CrashAt func(point string) error
	// Stop, when closed, asks the run to stop gracefully (SIGTERM): a push
	// sends no new row, finishes the rows in flight and records them; a pull
	// goes on, because it commits all or nothing. Cancelling the context
	// stops a run at once instead: a pull rolls back, a push abandons its
	// requests in flight (they stay pending and the next run checks them).
	Stop <-chan struct{}
	// Observer sees every HTTP attempt of the run's connector (metrics).
	Observer func(connectors.RequestInfo)
	// Inspect, when set, sees every batch of a pull as the connector
	// normalized it (stamped, funding dates filled), before the transforms:
	// what a vendor fills, whatever the privacy policy then keeps. For
	// tests and tools; it must not keep the batch.
	Inspect func(*schema.Batch)
	// RunID names the run; empty means a new one.
	RunID string
}

// Crash points of the pull commit protocol, in order.
const (
	PointAfterData     = "after-data"         // files written under staged names
	PointAfterPublish  = "after-publish"      // files under final names, manifest not written
	PointAfterManifest = "after-manifest"     // manifest written, cursor not committed
	PointAfterPending  = "push-after-pending" // ledger says pending, request not sent
	PointAfterSend     = "push-after-send"    // vendor accepted, ledger not updated
)

// ErrCrashed is what CrashAt hooks usually return.
var ErrCrashed = errors.New("simulated crash")

// Progress is a snapshot of a run in flight.
type Progress struct {
	Rows    int64
	Total   int64 // 0 when unknown
	Elapsed time.Duration
	// Phase is what the run is doing besides emitting rows, with its own
	// count: "loan details 123/536" ("" when nothing of the kind).
	Phase string
	// ETA is the time left, from the rate of the rows that are being sent
	// (a push), 0 when unknown.
	ETA    time.Duration
	Detail string
}

// ProgressFunc receives progress snapshots.
type ProgressFunc func(Progress)

func (o *Options) log() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Options) crash(point string) error {
	if o.CrashAt == nil {
		return nil
	}
	return o.CrashAt(point)
}

// Summary is what a run did; the CLI prints it and the run journal keeps it.
type Summary struct {
	RunID     string              `json:"run_id"`
	Pipeline  string              `json:"pipeline"`
	Kind      string              `json:"kind"`
	Status    string              `json:"status"`
	DryRun    bool                `json:"dry_run,omitempty"`
	StartedAt time.Time           `json:"started_at"`
	Duration  time.Duration       `json:"duration_ns"`
	Rows      map[string]int64    `json:"rows,omitempty"`
	Files     []sinks.WrittenFile `json:"files,omitempty"`
	// Iceberg is what an Iceberg sink's commit did to each table pair.
	Iceberg  map[string]iceberg.TableResult `json:"iceberg,omitempty"`
	Sink     string                         `json:"sink,omitempty"`
	Cursors  map[string]sinks.CursorWindow  `json:"cursors,omitempty"`
	Unknowns []schema.UnknownCount          `json:"unknown_values,omitempty"`
	// Invalid counts vendor values no canonical column could hold (Value
	// is the reason); the raw values are in attributes.
	Invalid []schema.UnknownCount `json:"invalid_values,omitempty"`
	// Notes are what the connector had to say: a fallback it took.
	Notes     []string             `json:"notes,omitempty"`
	HTTP      connectors.HTTPStats `json:"http"`
	Recovered []string             `json:"recovered,omitempty"`
	Push      *PushSummary         `json:"push,omitempty"`
	Reconcile *ReconcileSummary    `json:"reconcile,omitempty"`
	Error     string               `json:"error,omitempty"`
}

// TotalRows is the number of rows over every table.
func (s *Summary) TotalRows() int64 {
	var n int64
	for _, v := range s.Rows {
		n += v
	}
	return n
}

// NewRunID returns a run id that sorts by start time, to the millisecond,
// and is unique: 20261122T171800.123Z-3f9a1c.
func NewRunID(t time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

// Run executes a planned pipeline once. A panic during the run is recovered:
// the run is rolled back and recorded as failed (see recoverPanic).
func Run(ctx context.Context, plan *Plan, store *state.Store, opts Options) (sum *Summary, err error) {
	if opts.RunID == "" {
		opts.RunID = NewRunID(opts.now())
	}
	defer recoverPanic(plan, store, opts, &sum, &err)
	if plan.Reconcile != nil {
		return runReconcile(ctx, plan, store, opts)
	}
	if plan.Push != nil {
		return runPush(ctx, plan, store, opts)
	}
	return runPull(ctx, plan, store, opts)
}

// fail records a failed run and returns err.
func finishFailed(store *state.Store, sum *Summary, status string, err error) {
	sum.Status = status
	sum.Error = err.Error()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = store.FinishRun(ctx, sum.RunID, status, err.Error(), sum)
}
