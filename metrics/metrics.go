// Package metrics exports what `leadpipe schedule` does in the Prometheus
// text format: runs and their outcomes, rows, run durations, HTTP requests by
// vendor and status, rate-limit waits and the last success of every
// pipeline. It keeps its own registry (no global state), so tests and
// several schedulers in one process do not share counters.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

// Metrics holds the collectors.
type Metrics struct {
	reg *prometheus.Registry

	runs         *prometheus.CounterVec
	skipped      *prometheus.CounterVec
	panics       *prometheus.CounterVec
	inProgress   *prometheus.GaugeVec
	duration     *prometheus.HistogramVec
	rows         *prometheus.CounterVec
	pushRows     *prometheus.CounterVec
	waited       *prometheus.CounterVec
	backoff      *prometheus.CounterVec
	lastSuccess  *prometheus.GaugeVec
	lastStatus   *prometheus.GaugeVec
	stale        *prometheus.GaugeVec
	lastRun      *prometheus.GaugeVec
	nextRun      *prometheus.GaugeVec
	httpRequests *prometheus.CounterVec
	httpRetries  *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpWait     *prometheus.CounterVec
	alerts       *prometheus.CounterVec
}

// New returns metrics on a fresh registry, with the Go runtime and process
// collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }

	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadpipe_runs_total",
		Help: "Finished runs by pipeline, kind (pull, push, reconcile) and final status (committed, succeeded, failed, cancelled).",
	}, []string{"pipeline", "kind", "status"})
	m.skipped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadpipe_runs_skipped_total",
		Help: "Scheduled runs that did not start: overlap (the previous run was still going), locked (running in another process), stopping, invalid (the pipeline file has errors).",
	}, []string{"pipeline", "reason"})
	m.panics = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadpipe_run_panics_total",
		Help: "Runs that panicked; the panic was recovered and the run recorded as failed.",
	}, []string{"pipeline"})
	m.inProgress = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadpipe_runs_in_progress",
		Help: "Runs going on now.",
	}, []string{"pipeline"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "leadpipe_run_duration_seconds",
		Help:    "How long runs took, from start to their final status.",
		Buckets: []float64{0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200},
	}, []string{"pipeline", "kind"})
	m.rows = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadpipe_rows_total",
		Help: "Rows committed to the lake by pull runs, by canonical table.",
	}, []string{"pipeline", "table"})
	m.pushRows = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadpipe_push_rows_total",
		Help: "Input rows of push runs by outcome (submitted, updated, skipped_duplicate, rejected, failed, needs_human, waiting).",
	}, []string{"pipeline", "outcome"})
	m.waited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadpipe_rate_limit_wait_seconds_total",
		Help: "Wall time runs spent with requests waiting on vendor rate limits (not summed over concurrent requests; from the run summaries).",
	}, []string{"pipeline"})
	m.backoff = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadpipe_retry_backoff_seconds_total",
		Help: "Wall time runs spent with requests waiting in retry backoff (after errors, not rate limits; from the run summaries).",
	}, []string{"pipeline"})
	m.lastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadpipe_last_success_timestamp_seconds",
		Help: "When the pipeline last finished successfully (Unix time), from the state store; 0 for a scheduled pipeline that never succeeded.",
	}, []string{"pipeline"})
	m.lastStatus = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadpipe_last_run_status",
		Help: "The outcome of the pipeline's latest run: 1 for its status (none, ok, failed, rows_not_sent, stopped), 0 for the others.",
	}, []string{"pipeline", "status"})
	m.stale = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadpipe_pipeline_stale",
		Help: "1 when a whole schedule interval passed after a success was due with no run succeeding (see /healthz), else 0.",
	}, []string{"pipeline"})
	m.lastRun = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadpipe_last_run_timestamp_seconds",
		Help: "When the pipeline's last run finished, whatever its status (Unix time).",
	}, []string{"pipeline"})
	m.nextRun = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadpipe_next_run_timestamp_seconds",
		Help: "When the scheduler will next start the pipeline (Unix time).",
	}, []string{"pipeline"})
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadpipe_http_requests_total",
		Help: "HTTP attempts to vendors, retries included, by vendor and response status (\"error\" when no response arrived).",
	}, []string{"vendor", "status"})
	m.httpRetries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadpipe_http_retries_total",
		Help: "HTTP attempts that were retries of an earlier attempt.",
	}, []string{"vendor"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "leadpipe_http_request_duration_seconds",
		Help:    "Duration of one HTTP attempt, from sending to the end of the body.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"vendor"})
	m.httpWait = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadpipe_http_wait_seconds_total",
		Help: "Time spent before HTTP attempts waiting on rate limits, Retry-After and backoff, by vendor, summed over attempts (concurrent waits each count).",
	}, []string{"vendor"})
	m.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadpipe_alerts_total",
		Help: "on_failure webhook alerts by result: sent, failed (not delivered), suppressed (held back: the pipeline was already failing and alerted on).",
	}, []string{"pipeline", "result"})
	for _, c := range []prometheus.Collector{m.runs, m.skipped, m.panics, m.inProgress, m.duration, m.rows, m.pushRows, m.waited, m.backoff,
		m.lastSuccess, m.lastStatus, m.stale, m.lastRun, m.nextRun, m.httpRequests, m.httpRetries, m.httpDuration, m.httpWait, m.alerts} {
		f(c)
	}
	return m
}

// Registry is the registry behind Handler (for tests and extra collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveHTTP counts one HTTP attempt; it is the httpclient Observer hook.
func (m *Metrics) ObserveHTTP(i httpclient.RequestInfo) {
	vendor := i.Vendor
	if vendor == "" {
		vendor = "unknown"
	}
	status := "error"
	if i.Status > 0 {
		status = strconv.Itoa(i.Status)
	}
	m.httpRequests.WithLabelValues(vendor, status).Inc()
	if i.Retry {
		m.httpRetries.WithLabelValues(vendor).Inc()
	}
	m.httpDuration.WithLabelValues(vendor).Observe(i.Duration.Seconds())
	if i.Waited > 0 {
		m.httpWait.WithLabelValues(vendor).Add(i.Waited.Seconds())
	}
}

// Declare makes a pipeline's series exist at zero before its first run, so
// dashboards and alerts see it (a counter that appears late looks like a
// reset).
func (m *Metrics) Declare(pipeline, kind string) {
	for _, st := range []string{state.RunFailed, state.RunCancelled} {
		m.runs.WithLabelValues(pipeline, kind, st)
	}
	if kind == "pull" {
		m.runs.WithLabelValues(pipeline, kind, state.RunCommitted)
	} else {
		m.runs.WithLabelValues(pipeline, kind, state.RunSucceeded)
	}
	m.inProgress.WithLabelValues(pipeline)
	m.panics.WithLabelValues(pipeline)
	m.waited.WithLabelValues(pipeline)
	m.backoff.WithLabelValues(pipeline)
}

// RunStarted marks a run in progress.
func (m *Metrics) RunStarted(pipeline string) { m.inProgress.WithLabelValues(pipeline).Inc() }

// RunFinished records a run's outcome from its summary. A nil summary (the
// run never started: locked, invalid) only ends the in-progress mark.
func (m *Metrics) RunFinished(pipeline string, sum *pipelines.Summary) {
	m.inProgress.WithLabelValues(pipeline).Dec()
	if sum == nil || sum.RunID == "" {
		return
	}
	// A failed run whose files are left is a failed run; the label set
	// stays the same.
	status := state.Settled(sum.Status)
	if status == "" {
		status = state.RunFailed
	}
	m.runs.WithLabelValues(pipeline, sum.Kind, status).Inc()
	m.duration.WithLabelValues(pipeline, sum.Kind).Observe(sum.Duration.Seconds())
	now := time.Now()
	m.lastRun.WithLabelValues(pipeline).Set(float64(now.UnixNano()) / 1e9)
	if status == state.RunCommitted || status == state.RunSucceeded {
		m.lastSuccess.WithLabelValues(pipeline).Set(float64(now.UnixNano()) / 1e9)
		for table, n := range sum.Rows {
			m.rows.WithLabelValues(pipeline, table).Add(float64(n))
		}
	}
	if p := sum.Push; p != nil {
		for outcome, n := range map[string]int{
			pipelines.OutcomeSubmitted: p.Submitted, pipelines.OutcomeUpdated: p.Updated, pipelines.OutcomeSkipped: p.SkippedDuplicate,
			pipelines.OutcomeRejected: p.Rejected, pipelines.OutcomeFailed: p.Failed, pipelines.OutcomeNeedsHuman: p.NeedsHuman,
			pipelines.OutcomeWaiting: p.Waiting,
		} {
			m.pushRows.WithLabelValues(pipeline, outcome).Add(float64(n))
		}
	}
	if sum.HTTP.RateLimitWait > 0 {
		m.waited.WithLabelValues(pipeline).Add(sum.HTTP.RateLimitWait.Seconds())
	}
	if sum.HTTP.BackoffWait > 0 {
		m.backoff.WithLabelValues(pipeline).Add(sum.HTTP.BackoffWait.Seconds())
	}
}

// Skipped counts a run that did not start.
func (m *Metrics) Skipped(pipeline, reason string) { m.skipped.WithLabelValues(pipeline, reason).Inc() }

// Panicked counts a recovered panic.
func (m *Metrics) Panicked(pipeline string) { m.panics.WithLabelValues(pipeline).Inc() }

// Alert counts an on_failure alert by result (sent, failed, suppressed).
func (m *Metrics) Alert(pipeline, result string) {
	m.alerts.WithLabelValues(pipeline, result).Inc()
}

// SetLastSuccess sets a pipeline's last success (from the state store); a
// zero time exports 0, so that an alert on the age of the last success
// fires for a pipeline that never succeeded too.
func (m *Metrics) SetLastSuccess(pipeline string, t time.Time) {
	v := 0.0
	if !t.IsZero() {
		v = float64(t.UnixNano()) / 1e9
	}
	m.lastSuccess.WithLabelValues(pipeline).Set(v)
}

// SetLastRunStatus sets the status of a pipeline's latest run: 1 for
// status, 0 for every other of statuses.
func (m *Metrics) SetLastRunStatus(pipeline, status string, statuses []string) {
	for _, s := range statuses {
		v := 0.0
		if s == status {
			v = 1
		}
		m.lastStatus.WithLabelValues(pipeline, s).Set(v)
	}
}

// SetStale sets whether a pipeline is stale.
func (m *Metrics) SetStale(pipeline string, stale bool) {
	v := 0.0
	if stale {
		v = 1
	}
	m.stale.WithLabelValues(pipeline).Set(v)
}

// SetNextRun sets when a pipeline runs next.
func (m *Metrics) SetNextRun(pipeline string, t time.Time) {
	if t.IsZero() {
		m.nextRun.DeleteLabelValues(pipeline)
		return
	}
	m.nextRun.WithLabelValues(pipeline).Set(float64(t.Unix()))
}
