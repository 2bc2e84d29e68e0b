package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/leadpipe/leadpipe/pipelines/schedule"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

// Alert events.
const (
	EventRunFailed   = "run_failed"    // a run failed, or its pipeline file is no longer valid
	EventRowsNotSent = "rows_not_sent" // a push finished with rows unsent
	EventRecovered   = "recovered"     // the first good run after failing ones
)

// DefaultAlertRepeat is how long a pipeline that keeps failing waits before
// its alert is sent again.
const DefaultAlertRepeat = 6 * time.Hour

// Delivery results, for metrics.
const (
	DeliverySent       = "sent"
	DeliveryFailed     = "failed"
	DeliverySuppressed = "suppressed" // held back: the pipeline was already failing and alerted on
)

// Alerter posts alerts to on_failure webhooks. It fires on the change to
// failing (and on a change of failure, run_failed ↔ rows_not_sent), repeats
// while the pipeline keeps failing no more often than Repeat, and sends a
// recovery message at the first good run. Its state is the state store's, so
// it holds across restarts and across `leadpipe run` and `leadpipe schedule`.
type Alerter struct {
	// Default is the URL of pipelines without their own on_failure: ("":
	// none).
	Default string
	// Repeat is the least time between two alerts of one failing streak
	// (0: every failing run alerts).
	Repeat  time.Duration
	Webhook *schedule.Webhook
	Log     *slog.Logger
	// Delivered, if set, sees every decision (metrics).
	Delivered func(pipeline, result string)
	Now       func() time.Time
}

// Target is what an alert is about.
type Target struct {
	Pipeline string
	File     string
	// URL is the pipeline's own on_failure: ("": the Alerter's Default).
	URL   string
	Store *state.Store
}

// Notify tells the webhook about a finished run, when it should hear of it.
// A stopped or locked run says nothing about the pipeline's health and is
// not alerted on.
func (a *Alerter) Notify(ctx context.Context, t Target, res Result) {
	if a == nil || res.Outcome == OutcomeStopped || res.Outcome == OutcomeLocked || res.Outcome == OutcomeNone {
		return
	}
	url := t.URL
	if url == "" {
		url = a.Default
	}
	if url == "" {
		return
	}
	log := a.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	ctx = context.WithoutCancel(ctx) // a stop does not lose the alert of the run it stopped
	prev, err := t.Store.AlertState(ctx, t.Pipeline)
	if err != nil {
		// Without the state, alert: a duplicate is better than a silence.
		log.Warn("alert state unreadable; alerting without de-duplication", "pipeline", t.Pipeline, "error", err.Error())
		prev = state.AlertState{Pipeline: t.Pipeline}
	}
	event, next := decideAlert(prev, res.Outcome, now, a.Repeat)
	runID := ""
	if res.Summary != nil {
		runID = res.Summary.RunID
	}
	if event == "" {
		if res.Outcome.Failing() {
			a.delivered(t.Pipeline, DeliverySuppressed)
			log.Info("alert held back: the pipeline was already failing and its alert was sent", "pipeline", t.Pipeline, "run_id", runID,
				"failing_since", prev.Since.Format(time.RFC3339), "last_alert", prev.LastSent.Format(time.RFC3339), "repeat", a.Repeat.String())
		}
		a.save(ctx, t, next, log)
		return
	}
	streak := next
	if event == EventRecovered {
		streak = prev // the streak that ended
	}
	p := newAlert(t.Pipeline, t.File, event, res, streak)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	hook := a.Webhook
	if hook == nil {
		hook = &schedule.Webhook{}
	}
	if err := hook.Post(wctx, url, p); err != nil {
		a.delivered(t.Pipeline, DeliveryFailed)
		log.Error("could not send the alert; the next run tries again", "pipeline", t.Pipeline, "run_id", runID, "event", event, "error", err.Error())
		if event == EventRecovered {
			next = prev // still owed: the next good run sends it
		}
		a.save(ctx, t, next, log)
		return
	}
	a.delivered(t.Pipeline, DeliverySent)
	if event != EventRecovered {
		next.LastSent = now
	}
	log.Info("alert sent", "pipeline", t.Pipeline, "run_id", runID, "event", event, "to", schedule.RedactURL(url))
	a.save(ctx, t, next, log)
}

func (a *Alerter) delivered(pipeline, result string) {
	if a.Delivered != nil {
		a.Delivered(pipeline, result)
	}
}

func (a *Alerter) save(ctx context.Context, t Target, s state.AlertState, log *slog.Logger) {
	s.Pipeline = t.Pipeline
	if err := t.Store.SetAlertState(ctx, s); err != nil {
		log.Warn("could not record the alert state; the next run may alert again", "pipeline", t.Pipeline, "error", err.Error())
	}
}

// decideAlert is the alert rule, without I/O: given the pipeline's alert
// state and the outcome of its latest run, the event to send ("" for none)
// and the next state (LastSent is set by the caller once the alert is
// delivered).
func decideAlert(prev state.AlertState, out Outcome, now time.Time, repeat time.Duration) (string, state.AlertState) {
	if !out.Failing() {
		if prev.Failing {
			return EventRecovered, state.AlertState{Pipeline: prev.Pipeline}
		}
		return "", state.AlertState{Pipeline: prev.Pipeline}
	}
	ev := out.event()
	if !prev.Failing {
		return ev, state.AlertState{Pipeline: prev.Pipeline, Failing: true, Event: ev, Since: now, Failures: 1}
	}
	next := prev
	next.Failures++
	switch {
	case prev.Event != ev: // a different failure is news
		next.Event = ev
		return ev, next
	case prev.LastSent.IsZero(), now.Sub(prev.LastSent) >= repeat:
		return ev, next
	}
	return "", next
}

// alertPayload is what an on_failure webhook receives. It carries counts and
// the error message only: no configuration, no credentials, no row data.
type alertPayload struct {
	// Event is run_failed, rows_not_sent (a push that finished with rows
	// unsent) or recovered.
	Event    string `json:"event"`
	Text     string `json:"text"` // one line for chat webhooks
	Pipeline string `json:"pipeline"`
	File     string `json:"file"`
	RunID    string `json:"run_id,omitempty"`
	Kind     string `json:"kind,omitempty"`
	Status   string `json:"status"`
	Error    string `json:"error,omitempty"`
	// FailingSince and Failures describe the failing streak: the first
	// failing run's end and how many runs failed (for recovered, the
	// streak that ended).
	FailingSince    *time.Time       `json:"failing_since,omitempty"`
	Failures        int              `json:"failures,omitempty"`
	StartedAt       *time.Time       `json:"started_at,omitempty"`
	DurationSeconds float64          `json:"duration_seconds"`
	Rows            map[string]int64 `json:"rows,omitempty"`
	Push            *alertPush       `json:"push,omitempty"`
	HTTP            alertHTTP        `json:"http"`
	Host            string           `json:"host"`
	Details         string           `json:"details,omitempty"`
}

type alertPush struct {
	Total      int `json:"total"`
	Submitted  int `json:"submitted"`
	Rejected   int `json:"rejected"`
	Failed     int `json:"failed"`
	Unknown    int `json:"unknown_outcome"`
	NeedsHuman int `json:"needs_human"`
	Waiting    int `json:"waiting"`
}

type alertHTTP struct {
	Requests    int64 `json:"requests"`
	Retries     int64 `json:"retries"`
	RateLimited int64 `json:"rate_limited"`
}

func newAlert(name, file, event string, res Result, streak state.AlertState) alertPayload {
	host, _ := os.Hostname()
	p := alertPayload{Event: event, Pipeline: name, File: file, Status: state.RunFailed, Host: host}
	if res.Err != nil {
		p.Error = res.Err.Error()
	}
	if sum := res.Summary; sum != nil {
		p.RunID, p.Kind, p.Rows = sum.RunID, sum.Kind, sum.Rows
		if sum.Status != "" {
			p.Status = sum.Status
		}
		if !sum.StartedAt.IsZero() {
			t := sum.StartedAt.UTC()
			p.StartedAt = &t
		}
		p.DurationSeconds = sum.Duration.Seconds()
		if s := sum.Push; s != nil {
			p.Push = &alertPush{Total: s.Total, Submitted: s.Submitted, Rejected: s.Rejected, Failed: s.Failed, Unknown: s.Unknown, NeedsHuman: s.NeedsHuman, Waiting: s.Waiting}
		}
		p.HTTP = alertHTTP{Requests: sum.HTTP.Requests, Retries: sum.HTTP.Retries, RateLimited: sum.HTTP.RateLimited}
		if sum.RunID != "" {
			p.Details = "leadpipe runs show " + sum.RunID
		}
	}
	if !streak.Since.IsZero() {
		t := streak.Since.UTC()
		p.FailingSince = &t
	}
	p.Failures = streak.Failures
	switch event {
	case EventRecovered:
		p.Text = fmt.Sprintf("leadpipe: pipeline %s recovered on %s: run %s %s", name, host, p.RunID, p.Status)
	case EventRowsNotSent:
		p.Text = fmt.Sprintf("leadpipe: pipeline %s left rows unsent on %s: %s", name, host, p.Error)
	default:
		p.Text = fmt.Sprintf("leadpipe: pipeline %s %s on %s: %s", name, p.Status, host, p.Error)
	}
	if streak.Failures > 1 && event != EventRecovered {
		p.Text += fmt.Sprintf(" (failing since %s, %d runs)", streak.Since.UTC().Format(time.RFC3339), streak.Failures)
	}
	return p
}
