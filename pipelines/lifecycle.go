package pipelines

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/pipelines/schedule"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// ErrStopped is returned by a run that stopped gracefully (Options.Stop)
// before the end of its input. Its journal status is "cancelled".
var ErrStopped = errors.New("stopped before the end of the input")

// ErrPanic matches a *PanicError with errors.Is.
var ErrPanic = errors.New("panic")

// PanicError is a panic recovered during a run: a bug in leadpipe or in a
// connector. The run is rolled back and recorded as failed; the stack goes
// to the log.
type PanicError struct {
	Where string // "run", "connector lumi", "push"
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("%s panicked: %v (a bug in leadpipe: the run was rolled back; please report it with the stack from the log)", e.Where, e.Value)
}

// Is makes errors.Is(err, ErrPanic) true.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// safeCall runs fn and turns a panic into a *PanicError, logged with its
// stack. The engine's own goroutines (the connector's reader, the push
// workers) use it: a panic there would otherwise end the whole process,
// scheduler included.
func safeCall(log *slog.Logger, where string, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			pe := &PanicError{Where: where, Value: p, Stack: debug.Stack()}
			log.Error(where+" panicked", "error", fmt.Sprint(p), "stack", string(pe.Stack))
			err = pe
		}
	}()
	return fn()
}

// recoverPanic is deferred by Run: a panic anywhere in the run's own
// goroutine ends here. The run's files are removed and the run is recorded
// as failed with the panic, so the history says what happened and the next
// run starts clean. The run lock was released by the unwinding.
func recoverPanic(plan *Plan, store *state.Store, opts Options, sum **Summary, err *error) {
	p := recover()
	if p == nil {
		return
	}
	pe := &PanicError{Where: "run", Value: p, Stack: debug.Stack()}
	log := opts.log().With("pipeline", plan.Name(), "run_id", opts.RunID)
	log.Error("the run panicked; it is rolled back and recorded as failed", "error", fmt.Sprint(p), "stack", string(pe.Stack))
	s := &Summary{RunID: opts.RunID, Pipeline: plan.Name(), Kind: plan.Kind(), Status: state.RunFailed, Error: pe.Error(), StartedAt: opts.now()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if r, e := store.Run(ctx, opts.RunID); e == nil {
		s.StartedAt, s.Duration = r.StartedAt, opts.now().Sub(r.StartedAt)
		if r.Status == state.RunRunning {
			if r.Kind == "pull" {
				if sto, e := storage.Open(ctx, r.Sink, StorageOptions(plan.Pipeline.Sink.Storage)); e != nil {
					log.Error("could not open the sink to remove the files of the run; the next run will", "error", e.Error())
				} else if e := removeRunFiles(ctx, store, sto, r.ID); e != nil {
					log.Error("could not remove the files of the run; the next run will retry", "error", e.Error())
				}
			}
			finishFailed(store, s, state.RunFailed, pe)
		}
		// A run that panicked while committing is finished or rolled back
		// by the next run's recovery, like one whose process died.
	} else if errors.Is(e, state.ErrNotFound) && !opts.DryRun {
		// It panicked before its journal entry: record it all the same, so
		// the history shows the failure.
		if e := store.BeginRun(ctx, state.Run{ID: s.RunID, Pipeline: s.Pipeline, Kind: s.Kind, StartedAt: s.StartedAt}); e == nil {
			finishFailed(store, s, state.RunFailed, pe)
		}
	}
	*sum, *err = s, pe
}

func (o *Options) runID(started time.Time) string {
	if o.RunID != "" {
		return o.RunID
	}
	return NewRunID(started)
}

// stopping reports whether a graceful stop was asked for.
func (o *Options) stopping() bool {
	select {
	case <-o.Stop:
		return true
	default:
		return false
	}
}

// checkSchedule validates schedule:, timezone: and on_failure: with the
// file's lines.
func checkSchedule(v *config.Validator, p *config.Pipeline) {
	tz := p.Timezone
	if tz != "" {
		if _, err := schedule.LoadLocation(tz); err != nil {
			v.Errorf("timezone", "%v", err)
			tz = "" // reported once; still check the spec itself
		}
	}
	if p.Schedule != "" {
		if _, err := schedule.Parse(p.Schedule, tz, schedule.ParseOptions{}); err != nil {
			v.Errorf("schedule", "%v", err)
		}
	}
	if p.OnFailure != "" {
		if err := schedule.ValidateURL(p.OnFailure); err != nil {
			v.Errorf("on_failure", "%v: give the http(s) URL of a webhook that accepts a JSON POST", err)
		}
	}
}
