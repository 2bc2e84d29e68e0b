package daemon

import (
	"context"

	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

// RunOnce runs a planned pipeline once, classifies how it ended and alerts
// on it. A dry run writes nothing, so it neither alerts nor changes the
// alert state. It is the one place where a run is followed by its alert:
// `leadpipe run` and the scheduler both call it. finished, if set, sees the
// result before the alert goes out (metrics, logs).
func RunOnce(ctx context.Context, plan *pipelines.Plan, store *state.Store, opts pipelines.Options, alerts *Alerter, finished func(Result)) Result {
	sum, err := pipelines.Run(ctx, plan, store, opts) // recovers its own panics
	res := Classify(ctx, sum, err)
	if finished != nil {
		finished(res)
	}
	if !opts.DryRun {
		alerts.Notify(ctx, Target{Pipeline: plan.Name(), File: plan.File.Path, URL: plan.Pipeline.OnFailure, Store: store}, res)
	}
	return res
}
