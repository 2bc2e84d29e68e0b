package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/metrics"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/schedule"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

// Options configure a Daemon.
type Options struct {
	Logger *slog.Logger
	// Warnings receives the warnings of pipeline files (stderr).
	Warnings io.Writer
	Env      config.LookupEnv
	// StatePath applies the state rule (with the --state flag) to a
	// pipeline file.
	StatePath func(*config.File) (string, error)
	Parse     schedule.ParseOptions
	Jitter    time.Duration
	// OnFailure is the webhook of pipelines without their own on_failure:.
	OnFailure   string
	AlertRepeat time.Duration
	Webhook     *schedule.Webhook // nil: the default one
	// HTTPAddr serves /healthz and /metrics ("": none).
	HTTPAddr string
	// LenientHealth makes /healthz answer 503 only while stopping or when
	// a state store does not answer, not when a pipeline fails or is stale.
	LenientHealth bool
	// RunNow runs every pipeline once at start-up.
	RunNow bool
	// Stop is closed at the first SIGTERM or SIGINT: no new run starts.
	Stop <-chan struct{}
	// Signal names the signal that stopped the daemon (for messages).
	Signal func() string
	Now    func() time.Time
}

// ConfigError is a problem with the daemon's arguments or pipeline files
// that is not a config.Problems: the CLI exits 2.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// StoppedError says that a shutdown stopped runs before they finished: the
// CLI exits 5.
type StoppedError struct {
	Runs   int
	Signal string
}

func (e *StoppedError) Error() string {
	return fmt.Sprintf("%d run(s) were stopped by %s before they finished: rolled back, or a push stopped after its rows in flight; "+
		"their next runs finish the work", e.Runs, e.Signal)
}

// Daemon is one `leadpipe schedule` process.
type Daemon struct {
	o       Options
	log     *slog.Logger
	jobs    []*job
	byName  map[string]*job
	stores  map[string]*state.Store
	metrics *metrics.Metrics
	sched   *schedule.Scheduler
	alerts  *Alerter
	started time.Time
	// stopped counts runs a shutdown stopped before they finished.
	stopped atomic.Int32
	addr    atomic.Pointer[net.TCPAddr]
}

// job is one scheduled pipeline.
type job struct {
	name, path, kind string
	spec             *schedule.Spec
	store            *state.Store
	onFailure        string // the file's own on_failure: at start-up

	mu   sync.Mutex
	last lastRun // the latest outcome this process saw
}

// lastRun is a pipeline's latest outcome.
type lastRun struct {
	Outcome Outcome
	Error   string
	RunID   string
	At      time.Time // when it ended
}

// New loads the pipeline files (directories mean their *.yaml files) and
// schedules every one that has a schedule:. Every problem in every file is
// reported at once.
func New(ctx context.Context, o Options, args []string) (*Daemon, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Warnings == nil {
		o.Warnings = io.Discard
	}
	if o.Env == nil {
		o.Env = config.OSEnv
	}
	if o.Signal == nil {
		o.Signal = func() string { return "a signal" }
	}
	d := &Daemon{o: o, log: o.Logger, byName: map[string]*job{}, stores: map[string]*state.Store{}, metrics: metrics.New(), started: d0(o)}
	d.alerts = &Alerter{Default: o.OnFailure, Repeat: o.AlertRepeat, Webhook: o.Webhook, Log: o.Logger, Delivered: d.metrics.Alert, Now: o.Now}
	files, err := config.PipelineFiles(args)
	if err != nil {
		return nil, &ConfigError{err}
	}
	var probs config.Problems
	for _, path := range files {
		plan, err := pipelines.Load(ctx, path, o.Env)
		var ps config.Problems
		switch {
		case errors.As(err, &ps):
			probs = append(probs, ps...)
			continue
		case err != nil:
			probs = append(probs, config.Problem{File: path, Msg: err.Error()})
			continue
		}
		for _, w := range plan.Warnings {
			fmt.Fprintln(o.Warnings, w.String())
		}
		p := plan.Pipeline
		if p.Schedule == "" {
			d.log.Info("not scheduled: the pipeline has no schedule:", "file", path, "pipeline", p.Name)
			continue
		}
		if other, dup := d.byName[p.Name]; dup {
			probs = append(probs, config.Problem{File: path, Path: "name", Msg: fmt.Sprintf("pipeline %q is also defined in %s; names must be unique", p.Name, other.path)})
			continue
		}
		spec, err := schedule.Parse(p.Schedule, p.Timezone, o.Parse)
		if err != nil {
			probs = append(probs, config.Problem{File: path, Path: "schedule", Msg: err.Error()})
			continue
		}
		store, err := d.store(plan.File)
		if err != nil {
			d.Close()
			return nil, err
		}
		j := &job{name: p.Name, path: path, kind: plan.Kind(), spec: spec.WithJitter(p.Name, o.Jitter), store: store, onFailure: p.OnFailure,
			last: lastRun{Outcome: OutcomeNone}}
		d.jobs = append(d.jobs, j)
		d.byName[j.name] = j
	}
	if len(probs) > 0 {
		d.Close()
		return nil, probs
	}
	if len(d.jobs) == 0 {
		d.Close()
		return nil, &ConfigError{fmt.Errorf("none of %s has a schedule: (add e.g. schedule: \"0 2 * * *\")", strings.Join(files, ", "))}
	}
	d.sched = schedule.New(schedule.Options{
		Logger:  d.log,
		OnSkip:  func(name, reason string) { d.metrics.Skipped(name, reason) },
		OnPanic: func(name string, err error) { d.metrics.Panicked(name) },
	})
	for _, j := range d.jobs {
		if err := d.sched.Add(schedule.Job{Name: j.name, Spec: j.spec, Run: func(ctx context.Context) { d.runJob(ctx, j) }}); err != nil {
			d.Close()
			return nil, &ConfigError{err}
		}
	}
	return d, nil
}

func d0(o Options) time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (d *Daemon) now() time.Time { return d0(d.o) }

// store opens each state database once: every run of the process shares it.
func (d *Daemon) store(f *config.File) (*state.Store, error) {
	p, err := d.o.StatePath(f)
	if err != nil {
		return nil, err
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	if s, ok := d.stores[p]; ok {
		return s, nil
	}
	s, err := state.Open(p)
	if err != nil {
		return nil, err
	}
	for _, w := range s.Warnings() {
		d.log.Warn(w, "state", p)
	}
	d.stores[p] = s
	return s, nil
}

// Close closes the state stores.
func (d *Daemon) Close() {
	for _, s := range d.stores {
		s.Close()
	}
	d.stores = map[string]*state.Store{}
}

// Addr is the address /healthz and /metrics are served on, once Run
// listens (nil before, or without HTTPAddr).
func (d *Daemon) Addr() *net.TCPAddr { return d.addr.Load() }

func (d *Daemon) stopping() bool {
	select {
	case <-d.o.Stop:
		return true
	default:
		return false
	}
}

// Handler serves /healthz and /metrics.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	metricsHandler := d.metrics.Handler()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		d.health(r.Context()) // the per-pipeline gauges, fresh from the state stores
		metricsHandler.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /healthz", d.healthz)
	return mux
}

// start declares every pipeline's series and reads where each one stands
// from its state store, so /healthz and /metrics describe a pipeline that
// never ran (last success 0, status none) from the first scrape.
func (d *Daemon) start(ctx context.Context) {
	for _, j := range d.jobs {
		d.metrics.Declare(j.name, j.kind)
		last, err := j.store.LastSuccess(ctx, j.name)
		if err != nil {
			d.log.Warn("could not read the last success", "pipeline", j.name, "error", err.Error())
		}
		d.metrics.SetLastSuccess(j.name, last)
		if r, ok, err := lastSettled(ctx, j.store, j.name); err == nil && ok {
			j.last = lastRun{Outcome: outcomeOf(r), Error: errorOf(r), RunID: r.ID, At: r.FinishedAt}
		}
		d.metrics.SetLastRunStatus(j.name, string(j.last.Outcome), outcomeNames())
		next := j.spec.Next(d.now())
		d.metrics.SetNextRun(j.name, next)
		d.log.Info("scheduled", "pipeline", j.name, "file", j.path, "schedule", j.spec.String(), "next", next.Format(time.RFC3339))
	}
}

func outcomeNames() []string {
	out := make([]string, len(Outcomes))
	for i, o := range Outcomes {
		out[i] = string(o)
	}
	return out
}

// Run serves /healthz and /metrics and runs the schedule until ctx ends or
// Stop is closed; then no new run starts, and Run waits for the runs in
// flight (cancel ctx to make them stop and roll back).
func (d *Daemon) Run(ctx context.Context) error {
	var srv *http.Server
	if d.o.HTTPAddr != "" {
		ln, err := net.Listen("tcp", d.o.HTTPAddr)
		if err != nil {
			return &ConfigError{fmt.Errorf("--http %s: %w", d.o.HTTPAddr, err)}
		}
		srv = &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		addr := ln.Addr().(*net.TCPAddr)
		d.addr.Store(addr)
		if !addr.IP.IsLoopback() {
			d.log.Warn("the HTTP endpoint is reachable from other machines", "addr", addr.String())
		}
		d.log.Info("http endpoint listening", "addr", addr.String(), "metrics", "http://"+addr.String()+"/metrics")
	}
	d.start(ctx)
	d.sched.Start(ctx)
	d.log.Info("scheduler started", "pipelines", len(d.jobs))
	if d.o.RunNow {
		for _, j := range d.jobs {
			d.sched.RunNow(j.name)
		}
	}

	select {
	case <-d.o.Stop:
	case <-ctx.Done():
	}
	d.log.Info("scheduler stopping: no new run starts; waiting for the runs in flight")
	done := d.sched.Stop()
	select {
	case <-done.Done():
	case <-ctx.Done():
		// The grace period is over: the runs were told to stop at once and
		// roll back. Give the roll-back a bounded time.
		select {
		case <-done.Done():
		case <-time.After(2 * time.Minute):
			d.log.Error("runs still going two minutes after they were stopped; exiting (the next run recovers them)")
			d.stopped.Add(1)
		}
	}
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		srv.Shutdown(sctx)
		cancel()
	}
	if n := d.stopped.Load(); n > 0 {
		return &StoppedError{Runs: int(n), Signal: d.o.Signal()}
	}
	d.log.Info("scheduler stopped; every run in flight finished")
	return nil
}

// runJob is one scheduled run of a pipeline.
func (d *Daemon) runJob(ctx context.Context, j *job) {
	defer func() { d.metrics.SetNextRun(j.name, d.sched.Next(j.name)) }()
	if d.stopping() {
		d.metrics.Skipped(j.name, schedule.SkipStopping)
		return
	}
	plan, err := pipelines.Load(ctx, j.path, d.o.Env)
	if err == nil && plan.Name() != j.name {
		err = fmt.Errorf("%s: the pipeline was renamed from %s to %s; restart the scheduler", j.path, j.name, plan.Name())
	}
	if err != nil {
		d.log.Error("run skipped: the pipeline file is no longer valid", "pipeline", j.name, "file", j.path, "error", err.Error())
		d.metrics.Skipped(j.name, "invalid")
		res := Result{Outcome: OutcomeFailed, Err: err}
		d.record(j, res)
		d.alerts.Notify(ctx, Target{Pipeline: j.name, File: j.path, URL: j.onFailure, Store: j.store}, res)
		return
	}
	runID := pipelines.NewRunID(d.now())
	log := d.log.With("pipeline", j.name, "run_id", runID)
	opts := pipelines.Options{Logger: d.log, RunID: runID, Stop: d.o.Stop, Observer: d.metrics.ObserveHTTP}
	d.metrics.RunStarted(j.name)
	RunOnce(ctx, plan, j.store, opts, d.alerts, func(res Result) {
		// Before the alert: /metrics and the log agree with what the
		// webhook hears.
		d.metrics.RunFinished(j.name, res.Summary)
		d.record(j, res)
		d.logResult(log, j, res)
	})
}

// record keeps a run's outcome for /healthz and /metrics.
func (d *Daemon) record(j *job, res Result) {
	switch res.Outcome {
	case OutcomeLocked:
		return // another process ran it: its run is in the journal
	}
	l := lastRun{Outcome: res.Outcome, At: d.now()}
	if res.Err != nil {
		l.Error = res.Err.Error()
	}
	if res.Summary != nil {
		l.RunID = res.Summary.RunID
	}
	j.mu.Lock()
	j.last = l
	j.mu.Unlock()
	d.metrics.SetLastRunStatus(j.name, string(res.Outcome), outcomeNames())
}

func (d *Daemon) logResult(log *slog.Logger, j *job, res Result) {
	status := state.RunFailed
	if res.Summary != nil && res.Summary.Status != "" {
		status = res.Summary.Status
	}
	switch res.Outcome {
	case OutcomeLocked:
		d.log.Warn("run skipped: the pipeline is running in another process", "pipeline", j.name, "error", res.Err.Error())
		d.metrics.Skipped(j.name, "locked")
	case OutcomeStopped:
		d.stopped.Add(1)
		log.Warn("run stopped by the shutdown", "status", status, "error", res.Err.Error())
	case OutcomeFailed:
		if errors.Is(res.Err, pipelines.ErrPanic) {
			d.metrics.Panicked(j.name)
		}
		log.Error("run failed", "status", status, "error", res.Err.Error())
	case OutcomeRowsNotSent:
		log.Warn("push finished with rows not sent", "status", status, "error", res.Err.Error())
	default:
		sum := res.Summary
		log.Info("run finished", "status", sum.Status, "rows", sum.TotalRows(), "duration", sum.Duration.Round(time.Millisecond).String())
	}
}
