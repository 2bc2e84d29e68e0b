package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/metrics"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/schedule"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

// defaultHTTPAddr is where `leadpipe schedule` serves /healthz and /metrics:
// loopback only, unless told otherwise.
const defaultHTTPAddr = "127.0.0.1:9464"

type scheduleOptions struct {
	httpAddr  string
	grace     time.Duration
	jitter    time.Duration
	onFailure string
	timezone  string
	runNow    bool
}

func newScheduleCmd(g *globals) *cobra.Command {
	var o scheduleOptions
	cmd := &cobra.Command{
		Use:   "schedule DIR|FILE...",
		Short: "Run every pipeline that has a schedule:, in one long-lived process",
		Long: `Run every pipeline that has a schedule: on its cron spec, until SIGTERM or
Ctrl-C. A directory means its *.yaml files; files without a schedule: are
left out.

  schedule: "0 2 * * *"          # 5 fields: minute hour day-of-month month day-of-week
  timezone: Australia/Sydney     # or CRON_TZ=Australia/Sydney in the spec; default --timezone
  on_failure: https://hooks.example.com/...   # gets a JSON summary of a failed run

@hourly, @daily, @weekly, @monthly and @every 30m work too. Each wall-clock
time fires once across daylight-saving changes. Every pipeline fires at a
stable offset of up to --jitter after its time (leadpipe validate shows the
exact times), so pipelines on one vendor do not start in the same second.

A run still going when its next time comes is skipped, and so is a pipeline
already running in another process (leadpipe run). A panic in a run is
recovered and recorded as a failed run. The pipeline file is read again for
every run; a changed schedule: needs a restart.

On SIGTERM no new run starts; runs in flight finish within --grace (a push
finishes the rows in flight; a pull commits or, when the grace is over, rolls
back). Exit status 0: every run in flight finished; 5: some were stopped.

The HTTP endpoint (--http) serves /healthz and /metrics (Prometheus).`,
		Example: `  leadpipe schedule pipelines/
  leadpipe schedule --http 0.0.0.0:9464 --on-failure https://hooks.example.com/T0/B0/x pipelines/*.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.logLevel == "" {
				g.logLevel = "info" // a service: its log is the record, even on a terminal
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			g.shutdown.Graceful(o.grace, log)
			d, err := newDaemon(g, log, o, args)
			if err != nil {
				return err
			}
			defer d.close()
			return d.run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.httpAddr, "http", defaultHTTPAddr, "address of the /healthz and /metrics endpoint (\"\" to serve none)")
	f.DurationVar(&o.grace, "grace", defaultGrace, "on SIGTERM/SIGINT, how long runs in flight may take to finish before they are stopped and rolled back")
	f.DurationVar(&o.jitter, "jitter", schedule.DefaultJitter, "largest offset added to each pipeline's time (stable per pipeline; at most a tenth of its interval)")
	f.StringVar(&o.onFailure, "on-failure", "", "webhook URL for failed runs of pipelines without their own on_failure:")
	f.StringVar(&o.timezone, "timezone", "", "time zone of schedules that name none (default: this machine's)")
	f.BoolVar(&o.runNow, "run-now", false, "also run every pipeline once at start-up")
	return cmd
}

// daemon is one `leadpipe schedule` process.
type daemon struct {
	g       *globals
	log     *slog.Logger
	o       scheduleOptions
	jobs    []*schedJob
	stores  map[string]*state.Store
	metrics *metrics.Metrics
	sched   *schedule.Scheduler
	webhook *schedule.Webhook
	started time.Time
	// stopped counts runs a shutdown stopped before they finished.
	stopped atomic.Int32
}

type schedJob struct {
	name, path, kind string
	spec             *schedule.Spec
	store            *state.Store
	onFailure        string
}

func newDaemon(g *globals, log *slog.Logger, o scheduleOptions, args []string) (*daemon, error) {
	d := &daemon{g: g, log: log, o: o, stores: map[string]*state.Store{}, metrics: metrics.New(), webhook: &schedule.Webhook{}, started: time.Now()}
	if o.onFailure != "" {
		if err := schedule.ValidateURL(o.onFailure); err != nil {
			return nil, withCode(exitInvalid, fmt.Errorf("--on-failure: %v", err))
		}
	}
	popts := schedule.ParseOptions{}
	if o.timezone != "" {
		loc, err := schedule.LoadLocation(o.timezone)
		if err != nil {
			return nil, withCode(exitInvalid, fmt.Errorf("--timezone: %v", err))
		}
		popts.Location = loc
	}
	files, err := pipelineFiles(args)
	if err != nil {
		return nil, withCode(exitInvalid, err)
	}
	var probs config.Problems
	byName := map[string]string{}
	for _, path := range files {
		plan, err := pipelines.Load(path, config.OSEnv)
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
			fmt.Fprintln(g.stderr, w.String())
		}
		p := plan.Pipeline
		if p.Schedule == "" {
			log.Info("not scheduled: the pipeline has no schedule:", "file", path, "pipeline", p.Name)
			continue
		}
		if other, dup := byName[p.Name]; dup {
			probs = append(probs, config.Problem{File: path, Path: "name", Msg: fmt.Sprintf("pipeline %q is also defined in %s; names must be unique", p.Name, other)})
			continue
		}
		byName[p.Name] = path
		spec, err := schedule.Parse(p.Schedule, p.Timezone, popts)
		if err != nil {
			probs = append(probs, config.Problem{File: path, Path: "schedule", Msg: err.Error()})
			continue
		}
		store, err := d.store(plan.File)
		if err != nil {
			d.close()
			return nil, err
		}
		onFailure := p.OnFailure
		if onFailure == "" {
			onFailure = o.onFailure
		}
		d.jobs = append(d.jobs, &schedJob{name: p.Name, path: path, kind: plan.Kind(), spec: spec.WithJitter(p.Name, o.jitter), store: store, onFailure: onFailure})
	}
	if len(probs) > 0 {
		d.close()
		return nil, probs
	}
	if len(d.jobs) == 0 {
		d.close()
		return nil, withCode(exitInvalid, fmt.Errorf("none of %s has a schedule: (add e.g. schedule: \"0 2 * * *\")", strings.Join(files, ", ")))
	}
	d.sched = schedule.New(schedule.Options{
		Logger:  log,
		OnSkip:  func(name, reason string) { d.metrics.Skipped(name, reason) },
		OnPanic: func(name string, err error) { d.metrics.Panicked(name) },
	})
	for _, j := range d.jobs {
		if err := d.sched.Add(schedule.Job{Name: j.name, Spec: j.spec, Run: func(ctx context.Context) { d.runJob(ctx, j) }}); err != nil {
			d.close()
			return nil, withCode(exitInvalid, err)
		}
	}
	return d, nil
}

// pipelineFiles expands directories into their *.yaml and *.yml files.
func pipelineFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("pipeline %s: %w", a, err)
		}
		if !fi.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		for _, pat := range []string{"*.yaml", "*.yml"} {
			m, _ := filepath.Glob(filepath.Join(a, pat))
			for _, f := range m {
				if filepath.Base(f) != config.ProjectFileName { // the project file, not a pipeline
					found = append(found, f)
				}
			}
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("directory %s holds no *.yaml pipeline file", a)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// store opens each state database once: every run of the process shares it.
// The state rule is the same as for `leadpipe run` (config.StateFor).
func (d *daemon) store(f *config.File) (*state.Store, error) {
	loc, err := d.g.stateLocation(f)
	if err != nil {
		return nil, err
	}
	p := loc.Path
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

func (d *daemon) close() {
	for _, s := range d.stores {
		s.Close()
	}
	d.stores = map[string]*state.Store{}
}

func (d *daemon) run(ctx context.Context) error {
	var srv *http.Server
	if d.o.httpAddr != "" {
		ln, err := net.Listen("tcp", d.o.httpAddr)
		if err != nil {
			return withCode(exitInvalid, fmt.Errorf("--http %s: %w", d.o.httpAddr, err))
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", d.metrics.Handler())
		mux.HandleFunc("GET /healthz", d.healthz)
		srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		addr := ln.Addr().(*net.TCPAddr)
		if !addr.IP.IsLoopback() {
			d.log.Warn("the HTTP endpoint is reachable from other machines", "addr", addr.String())
		}
		d.log.Info("http endpoint listening", "addr", addr.String(), "metrics", "http://"+addr.String()+"/metrics")
	}
	for _, j := range d.jobs {
		d.metrics.Declare(j.name, j.kind)
		if t, err := j.store.LastSuccess(ctx, j.name); err == nil {
			d.metrics.SetLastSuccess(j.name, t)
		}
		next := j.spec.Next(time.Now())
		d.metrics.SetNextRun(j.name, next)
		d.log.Info("scheduled", "pipeline", j.name, "file", j.path, "schedule", j.spec.String(), "next", next.Format(time.RFC3339))
	}
	d.sched.Start(ctx)
	d.log.Info("scheduler started", "pipelines", len(d.jobs))
	if d.o.runNow {
		for _, j := range d.jobs {
			d.sched.RunNow(j.name)
		}
	}

	select {
	case <-d.g.shutdown.Stopping():
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
		return withCode(exitInterrupted, fmt.Errorf("%d run(s) were stopped by %s before they finished: rolled back, or a push stopped after its rows in flight; "+
			"their next runs finish the work", n, d.g.shutdown.Signal()))
	}
	d.log.Info("scheduler stopped; every run in flight finished")
	return nil
}

// runJob is one scheduled run of a pipeline.
func (d *daemon) runJob(ctx context.Context, j *schedJob) {
	defer func() { d.metrics.SetNextRun(j.name, d.sched.Next(j.name)) }()
	if d.g.shutdown.stopping() {
		d.metrics.Skipped(j.name, schedule.SkipStopping)
		return
	}
	plan, err := pipelines.Load(j.path, config.OSEnv)
	if err == nil && plan.Name() != j.name {
		err = fmt.Errorf("%s: the pipeline was renamed from %s to %s; restart the scheduler", j.path, j.name, plan.Name())
	}
	if err != nil {
		d.log.Error("run skipped: the pipeline file is no longer valid", "pipeline", j.name, "file", j.path, "error", err.Error())
		d.metrics.Skipped(j.name, "invalid")
		d.alert(ctx, j, nil, nil, err)
		return
	}
	runID := pipelines.NewRunID(time.Now())
	log := d.log.With("pipeline", j.name, "run_id", runID)
	opts := pipelines.Options{Logger: d.log, RunID: runID, Stop: d.g.shutdown.Stopping(), Observer: d.metrics.ObserveHTTP}
	d.metrics.RunStarted(j.name)
	sum, err := pipelines.Run(ctx, plan, j.store, opts) // recovers its own panics
	d.metrics.RunFinished(j.name, sum)                  // before the log line: /metrics agrees with what the log says
	switch {
	case errors.Is(err, state.ErrLocked):
		d.log.Warn("run skipped: the pipeline is running in another process", "pipeline", j.name, "error", err.Error())
		d.metrics.Skipped(j.name, "locked")
	case interrupted(ctx, err) && d.g.shutdown.stopping():
		d.stopped.Add(1)
		log.Warn("run stopped by the shutdown", "status", statusOf(sum), "error", err.Error())
	case err != nil:
		if errors.Is(err, pipelines.ErrPanic) {
			d.metrics.Panicked(j.name)
		}
		log.Error("run failed", "status", statusOf(sum), "error", err.Error())
		d.alert(ctx, j, plan, sum, err)
	case unsentRows(sum) != nil:
		// The run ended, but rows are not sent: the same condition that
		// makes `leadpipe run` exit 6 alerts here.
		err := unsentRows(sum)
		log.Warn("push finished with rows not sent", "status", sum.Status, "error", err.Error())
		d.alert(ctx, j, plan, sum, err)
	default:
		log.Info("run finished", "status", sum.Status, "rows", sum.TotalRows(), "duration", sum.Duration.Round(time.Millisecond).String())
	}
}

func statusOf(sum *pipelines.Summary) string {
	if sum == nil {
		return state.RunFailed
	}
	return sum.Status
}

func (d *daemon) alert(ctx context.Context, j *schedJob, plan *pipelines.Plan, sum *pipelines.Summary, cause error) {
	if j.onFailure == "" {
		return
	}
	p := newAlert(j.name, j.path, sum, cause)
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	err := d.webhook.Post(actx, j.onFailure, p)
	d.metrics.Alert(j.name, err)
	if err != nil {
		d.log.Error("could not send the failure alert", "pipeline", j.name, "run_id", p.RunID, "error", err.Error())
		return
	}
	d.log.Info("failure alert sent", "pipeline", j.name, "run_id", p.RunID, "to", schedule.RedactURL(j.onFailure))
}

// alertPayload is what an on_failure webhook receives. It carries counts and
// the error message only: no configuration, no credentials, no row data.
type alertPayload struct {
	Event           string           `json:"event"` // "run_failed", or "rows_not_sent" for a push that finished with rows unsent
	Text            string           `json:"text"`  // one line for chat webhooks
	Pipeline        string           `json:"pipeline"`
	File            string           `json:"file"`
	RunID           string           `json:"run_id,omitempty"`
	Kind            string           `json:"kind,omitempty"`
	Status          string           `json:"status"`
	Error           string           `json:"error"`
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

func newAlert(name, file string, sum *pipelines.Summary, cause error) alertPayload {
	host, _ := os.Hostname()
	p := alertPayload{Event: "run_failed", Pipeline: name, File: file, Status: state.RunFailed, Error: cause.Error(), Host: host}
	if sum != nil && sum.Status == state.RunSucceeded && sum.Push != nil && sum.Push.Unsent() > 0 {
		p.Event = "rows_not_sent" // the run finished; some of its rows did not
	}
	if sum != nil {
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
	what := p.Status
	if p.Event == "rows_not_sent" {
		what = "left rows unsent"
	}
	p.Text = fmt.Sprintf("leadpipe: pipeline %s %s on %s: %s", name, what, host, p.Error)
	return p
}

// sendAlert posts a failed run's summary (leadpipe run).
func sendAlert(ctx context.Context, url string, plan *pipelines.Plan, sum *pipelines.Summary, cause error) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	return (&schedule.Webhook{}).Post(actx, url, newAlert(plan.Name(), plan.File.Path, sum, cause))
}

// healthz answers 200 while the scheduler runs and its state stores answer,
// 503 otherwise, with a JSON body describing every scheduled pipeline.
func (d *daemon) healthz(w http.ResponseWriter, r *http.Request) {
	type pipe struct {
		Name        string     `json:"name"`
		Schedule    string     `json:"schedule"`
		Timezone    string     `json:"timezone"`
		NextRun     *time.Time `json:"next_run,omitempty"`
		Running     bool       `json:"running"`
		LastSuccess *time.Time `json:"last_success,omitempty"`
	}
	body := struct {
		Status    string    `json:"status"`
		StartedAt time.Time `json:"started_at"`
		Error     string    `json:"error,omitempty"`
		Pipelines []pipe    `json:"pipelines"`
	}{Status: "ok", StartedAt: d.started.UTC(), Pipelines: []pipe{}}
	code := http.StatusOK
	if d.g.shutdown.stopping() {
		body.Status, code = "stopping", http.StatusServiceUnavailable
	}
	byName := map[string]*schedJob{}
	for _, j := range d.jobs {
		byName[j.name] = j
	}
	for _, st := range d.sched.Jobs() {
		j := byName[st.Name]
		p := pipe{Name: st.Name, Schedule: j.spec.Expr, Timezone: j.spec.Zone(), Running: st.Running}
		if !st.Next.IsZero() {
			t := st.Next
			p.NextRun = &t
		}
		last, err := j.store.LastSuccess(r.Context(), j.name)
		if err != nil {
			body.Status, body.Error, code = "error", "state store "+j.store.Path()+": "+err.Error(), http.StatusServiceUnavailable
		} else if !last.IsZero() {
			p.LastSuccess = &last
		}
		body.Pipelines = append(body.Pipelines, p)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(body)
}
