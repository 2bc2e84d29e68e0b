package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

// Outcome is how a run ended, as an operator sees it.
type Outcome string

// Outcomes.
const (
	// OutcomeNone: the pipeline has not run yet.
	OutcomeNone Outcome = "none"
	// OutcomeOK: the run finished; every row of a push is sent (or waits
	// for the vendor to accept it).
	OutcomeOK Outcome = "ok"
	// OutcomeFailed: the run failed, or its pipeline file is no longer
	// valid.
	OutcomeFailed Outcome = "failed"
	// OutcomeRowsNotSent: a push ran to its end but left rows unsent
	// (rejected, failed, needing a human): `leadpipe run` exits 6.
	OutcomeRowsNotSent Outcome = "rows_not_sent"
	// OutcomeStopped: SIGTERM or Ctrl-C stopped the run; it rolled back or
	// stopped after its rows in flight, and the next run finishes it.
	OutcomeStopped Outcome = "stopped"
	// OutcomeLocked: the pipeline is running in another process; this run
	// did not start.
	OutcomeLocked Outcome = "locked"
)

// Outcomes lists every outcome a pipeline's status can take, for metrics.
var Outcomes = []Outcome{OutcomeNone, OutcomeOK, OutcomeFailed, OutcomeRowsNotSent, OutcomeStopped}

// Failing reports whether the outcome needs a person: it alerts, and makes
// /healthz answer 503.
func (o Outcome) Failing() bool { return o == OutcomeFailed || o == OutcomeRowsNotSent }

// event is the alert event of a failing outcome.
func (o Outcome) event() string {
	if o == OutcomeRowsNotSent {
		return EventRowsNotSent
	}
	return EventRunFailed
}

// Result is a finished run: its summary (nil when it never started), how it
// ended, and the error that says why it is not OK.
type Result struct {
	Summary *pipelines.Summary
	Outcome Outcome
	Err     error
}

// Stopped reports whether a run's error comes from a stop: the graceful one
// (a push stopped after the rows in flight) or the context (rolled back).
func Stopped(ctx context.Context, err error) bool {
	return err != nil && (errors.Is(err, pipelines.ErrStopped) || ctx.Err() != nil)
}

// Classify turns what pipelines.Run returned into a Result.
func Classify(ctx context.Context, sum *pipelines.Summary, err error) Result {
	r := Result{Summary: sum, Err: err}
	switch {
	case errors.Is(err, state.ErrLocked):
		r.Outcome = OutcomeLocked
	case Stopped(ctx, err):
		r.Outcome = OutcomeStopped
	case err != nil:
		r.Outcome = OutcomeFailed
	case sum != nil && sum.Push != nil && sum.Push.Unsent() > 0:
		// The run ended, but rows are not sent: the same condition makes
		// `leadpipe run` exit 6 and the scheduler alert.
		r.Outcome, r.Err = OutcomeRowsNotSent, errors.New(sum.Push.Remains(sum.Pipeline))
	default:
		r.Outcome = OutcomeOK
	}
	return r
}

// outcomeOf reads the outcome of a run from the run journal (the state a
// scheduler starts from).
func outcomeOf(r state.Run) Outcome {
	switch state.Settled(r.Status) {
	case state.RunCommitted, state.RunSucceeded:
		var sum pipelines.Summary
		if json.Unmarshal(r.Summary, &sum) == nil && sum.Push != nil && sum.Push.Unsent() > 0 {
			return OutcomeRowsNotSent
		}
		return OutcomeOK
	case state.RunCancelled:
		return OutcomeStopped
	case state.RunRunning, state.RunCommitting:
		return OutcomeNone // still going, or its process died: the next run settles it
	}
	return OutcomeFailed
}

// errorOf is the message that explains a run's outcome from the journal.
func errorOf(r state.Run) string {
	if r.Error != "" {
		return r.Error
	}
	var sum pipelines.Summary
	if json.Unmarshal(r.Summary, &sum) == nil && sum.Push != nil && sum.Push.Unsent() > 0 {
		return sum.Push.Remains(sum.Pipeline)
	}
	return ""
}

// lastSettled returns a pipeline's newest run with a final status.
func lastSettled(ctx context.Context, st *state.Store, pipeline string) (state.Run, bool, error) {
	runs, err := st.Runs(ctx, state.RunFilter{Pipeline: pipeline, Limit: 10})
	if err != nil {
		return state.Run{}, false, fmt.Errorf("state store %s: %w", st.Path(), err)
	}
	for _, r := range runs {
		if outcomeOf(r) != OutcomeNone {
			return r, true, nil
		}
	}
	return state.Run{}, false, nil
}
