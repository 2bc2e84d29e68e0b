package pipelines

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/reconcile"
)

// ReconcilePlan is a resolved `reconcile:` pipeline: instead of pulling or
// pushing, it writes the reconciliation report (package reconcile) from the
// state store and the lake. `leadpipe run` and the scheduler run it like any
// other pipeline; its run is journaled with kind "reconcile".
type ReconcilePlan struct {
	Config   *reconcile.Config
	Lake     string // resolved against the pipeline file
	Out      string
	Location *time.Location
	// Dir resolves the Pipelines globs.
	Dir string
	// Name is the reconcile pipeline's own name: it is running, so it is
	// left out of the staleness check.
	Name string
}

// ReconcileSummary is what a reconcile run reports.
type ReconcileSummary struct {
	Day        string         `json:"day"`
	Exceptions int            `json:"exceptions"`
	ByKind     map[string]int `json:"exceptions_by_kind,omitempty"`
	Files      []string       `json:"files,omitempty"`
	// Markdown is the report's summary, for the CLI to print.
	Markdown string `json:"-"`
}

// ErrExceptions is returned by a reconcile run with fail_on_exceptions
// when the report has exceptions.
var ErrExceptions = errors.New("the reconciliation found exceptions")

func resolveReconcile(f *config.File, p *config.Pipeline) *ReconcilePlan {
	cfg := &reconcile.Config{}
	f.V.Decode("reconcile", &p.Reconcile, cfg)
	rp := &ReconcilePlan{Config: cfg, Lake: f.Resolve(cfg.Lake), Out: f.Resolve(cfg.Out), Dir: f.Dir, Name: p.Name}
	if loc, err := reconcile.LoadLocation(p.Timezone); err == nil {
		rp.Location = loc // a bad zone is reported by checkSchedule
	}
	return rp
}

// Options are the reconciliation's options for a run at now.
func (rp *ReconcilePlan) Options(store *state.Store, now time.Time) (reconcile.Options, error) {
	c := rp.Config
	loc := rp.Location
	if loc == nil {
		loc = time.Local
	}
	day, err := reconcile.ParseDay(c.Date, now, loc)
	if err != nil {
		return reconcile.Options{}, err
	}
	o := reconcile.Options{
		Lake: rp.Lake, LakeStorage: reconcile.StorageOptions(c.Storage),
		Store: store,
		Out:   rp.Out, OutStorage: reconcile.StorageOptions(c.OutStorage),
		Formats: c.Formats, Day: day, Location: loc,
		NotSeenAfter: c.NotSeenAfter, StaleGrace: c.StaleGrace,
		Now: func() time.Time { return now },
	}
	if len(c.Pipelines) > 0 {
		sched, err := reconcile.ScheduledFromFiles(c.Pipelines, rp.Dir)
		if err != nil {
			return o, err
		}
		for _, s := range sched {
			if s.Name != rp.Name {
				o.Pipelines = append(o.Pipelines, s)
			}
		}
	}
	return o, nil
}

func runReconcile(ctx context.Context, plan *Plan, store *state.Store, opts Options) (*Summary, error) {
	started := opts.now()
	runID := opts.RunID
	if runID == "" {
		runID = NewRunID(started)
	}
	sum := &Summary{RunID: runID, Pipeline: plan.Name(), Kind: "reconcile", DryRun: opts.DryRun, StartedAt: started}
	log := opts.log().With("pipeline", plan.Name(), "run_id", runID)
	release, err := store.Lock(ctx, plan.Name())
	if err != nil {
		return nil, err
	}
	defer release()
	rp := plan.Reconcile
	if !opts.DryRun {
		if err := store.BeginRun(ctx, state.Run{ID: runID, Pipeline: plan.Name(), Kind: "reconcile", StartedAt: started, Sink: rp.Out}); err != nil {
			return nil, err
		}
	}
	finish := func(status string, err error) {
		sum.Duration = opts.now().Sub(started)
		sum.Status = status
		if err != nil {
			sum.Error = err.Error()
		}
		if opts.DryRun {
			return
		}
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if ferr := store.FinishRun(context.WithoutCancel(ctx), runID, status, msg, sum); ferr != nil {
			log.Error("record reconcile run", "err", ferr)
		}
	}
	ro, err := rp.Options(store, started)
	if err == nil {
		err = ReadIcebergLake(ctx, &ro)
	}
	if err == nil {
		if opts.DryRun {
			ro.Out = "" // build and print, write nothing
		}
		var res *reconcile.Result
		res, err = reconcile.Run(ctx, ro)
		if err == nil {
			r := res.Report
			sum.Reconcile = &ReconcileSummary{Day: r.Day, Exceptions: len(r.Exceptions), Files: res.Files, Markdown: r.Markdown()}
			if len(r.Exceptions) > 0 {
				sum.Reconcile.ByKind = r.ExceptionCounts()
			}
			log.Info("reconciliation written", "day", r.Day, "exceptions", len(r.Exceptions), "files", len(res.Files))
			if rp.Config.FailOnExceptions && len(r.Exceptions) > 0 {
				err = fmt.Errorf("%w: %s", ErrExceptions, r.ExceptionSummary())
			}
		}
	}
	if err != nil {
		finish(state.RunFailed, err)
		return sum, err
	}
	finish(state.RunSucceeded, nil)
	return sum, nil
}
