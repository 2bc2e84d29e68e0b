package daemon

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/leadpipe/leadpipe/pipelines/schedule"
)

// PipelineHealth is one pipeline in /healthz.
type PipelineHealth struct {
	Name     string     `json:"name"`
	Schedule string     `json:"schedule"`
	Timezone string     `json:"timezone"`
	NextRun  *time.Time `json:"next_run,omitempty"`
	Running  bool       `json:"running"`
	// LastStatus is the latest run's outcome: none, ok, failed,
	// rows_not_sent or stopped.
	LastStatus  Outcome    `json:"last_status"`
	LastRunID   string     `json:"last_run_id,omitempty"`
	LastRunAt   *time.Time `json:"last_run_at,omitempty"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	// Stale: no run has succeeded since the scheduled time after the last
	// success (or after the scheduler started, for a pipeline that never
	// succeeded), and the scheduled time after that one has passed too: a
	// whole interval went by with no good run. StaleSince is that second
	// time.
	Stale      bool       `json:"stale"`
	StaleSince *time.Time `json:"stale_since,omitempty"`
	Healthy    bool       `json:"healthy"`
}

// Health is the body of /healthz.
type Health struct {
	// Status is ok, failing (a pipeline's last run failed or left rows
	// unsent, or a pipeline is stale), stopping or error (a state store
	// does not answer).
	Status    string           `json:"status"`
	StartedAt time.Time        `json:"started_at"`
	Error     string           `json:"error,omitempty"`
	Pipelines []PipelineHealth `json:"pipelines"`
}

// staleSince applies the staleness rule: a success was due by the first
// scheduled time after ref (the last success, or the scheduler's start),
// with a whole interval of grace: the pipeline is stale once the scheduled
// time after that one has passed.
func staleSince(spec *schedule.Spec, ref, now time.Time) (time.Time, bool) {
	due := spec.Next(ref)
	if due.IsZero() {
		return time.Time{}, false
	}
	deadline := spec.Next(due)
	if deadline.IsZero() || !now.After(deadline) {
		return time.Time{}, false
	}
	return deadline, true
}

// health describes every scheduled pipeline, from this process's runs and
// the state stores (a `leadpipe run` of a scheduled pipeline counts too),
// and refreshes the per-pipeline gauges of /metrics.
func (d *Daemon) health(ctx context.Context) Health {
	h := Health{Status: "ok", StartedAt: d.started.UTC(), Pipelines: []PipelineHealth{}}
	now := d.now()
	running := map[string]bool{}
	next := map[string]time.Time{}
	if d.sched != nil {
		for _, st := range d.sched.Jobs() {
			running[st.Name], next[st.Name] = st.Running, st.Next
		}
	}
	failing := false
	for _, j := range d.jobs {
		j.mu.Lock()
		last := j.last
		j.mu.Unlock()
		p := PipelineHealth{Name: j.name, Schedule: j.spec.Expr, Timezone: j.spec.Zone(), Running: running[j.name]}
		if t := next[j.name]; !t.IsZero() {
			p.NextRun = &t
		}
		// The journal may know a newer run: one from `leadpipe run`.
		r, ok, err := lastSettled(ctx, j.store, j.name)
		if err != nil {
			h.Status, h.Error = "error", err.Error()
		} else if ok && r.FinishedAt.After(last.At) {
			last = lastRun{Outcome: outcomeOf(r), Error: errorOf(r), RunID: r.ID, At: r.FinishedAt}
		}
		success, err := j.store.LastSuccess(ctx, j.name)
		if err != nil {
			h.Status, h.Error = "error", "state store "+j.store.Path()+": "+err.Error()
		}
		p.LastStatus, p.LastRunID, p.LastError = last.Outcome, last.RunID, last.Error
		if !last.At.IsZero() {
			t := last.At.UTC()
			p.LastRunAt = &t
		}
		ref := d.started
		if !success.IsZero() {
			t := success.UTC()
			p.LastSuccess, ref = &t, success
		}
		if since, stale := staleSince(j.spec, ref, now); stale {
			p.Stale, p.StaleSince = true, &since
		}
		p.Healthy = !p.Stale && !p.LastStatus.Failing()
		failing = failing || !p.Healthy
		d.metrics.SetLastSuccess(j.name, success)
		d.metrics.SetLastRunStatus(j.name, string(p.LastStatus), outcomeNames())
		d.metrics.SetStale(j.name, p.Stale)
		h.Pipelines = append(h.Pipelines, p)
	}
	switch {
	case d.stopping():
		h.Status = "stopping"
	case h.Status == "error":
	case failing:
		h.Status = "failing"
	}
	return h
}

// healthz answers 200 when every scheduled pipeline is healthy, 503 when one
// is failing or stale (unless LenientHealth), while stopping, or when a
// state store does not answer; the JSON body says which and why.
func (d *Daemon) healthz(w http.ResponseWriter, r *http.Request) {
	h := d.health(r.Context())
	code := http.StatusOK
	switch h.Status {
	case "stopping", "error":
		code = http.StatusServiceUnavailable
	case "failing":
		if !d.o.LenientHealth {
			code = http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(h)
}
