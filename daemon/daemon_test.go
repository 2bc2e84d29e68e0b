package daemon

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/leadpipe/leadpipe/config"
	_ "github.com/leadpipe/leadpipe/connectors/lumi"
	"github.com/leadpipe/leadpipe/connectors/lumi/lumitest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/pipelines/schedule"
	"github.com/leadpipe/leadpipe/pipelines/state"
	_ "github.com/leadpipe/leadpipe/sinks/storage/local"
)

// hookSink records the alerts a webhook receives.
type hookSink struct {
	mu     sync.Mutex
	alerts []alertPayload
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p alertPayload
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	h.mu.Lock()
	h.alerts = append(h.alerts, p)
	h.mu.Unlock()
}

func (h *hookSink) got() []alertPayload {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]alertPayload(nil), h.alerts...)
}

// clock is the real time moved on by an offset, so that the runs are real
// and the daemon's view of "now" can jump ahead.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

type env struct {
	mu sync.Mutex
	m  map[string]string
}

func (e *env) lookup(k string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.m[k]
	return v, ok
}

func (e *env) set(k, v string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[k] = v
}

const nightly = `name: nightly
schedule: "0 2 * * *"
timezone: UTC
source:
  connector: lumi
  config:
    base_url: ${LUMI_BASE_URL}
    username: ${LUMI_USERNAME}
    password: ${LUMI_PASSWORD}
    rate_limit: 1000
sink:
  path: lake
on_failure: ${HOOK}
`

// scrape reads /metrics: the value of each series by name and labels.
func scrape(t *testing.T, h http.Handler) map[string][]seriesValue {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	out := map[string][]seriesValue{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			sv := seriesValue{labels: map[string]string{}}
			for _, l := range m.GetLabel() {
				sv.labels[l.GetName()] = l.GetValue()
			}
			switch {
			case m.Gauge != nil:
				sv.v = m.GetGauge().GetValue()
			case m.Counter != nil:
				sv.v = m.GetCounter().GetValue()
			}
			out[name] = append(out[name], sv)
		}
	}
	return out
}

type seriesValue struct {
	labels map[string]string
	v      float64
}

// value finds the series of name whose labels include want.
func value(ms map[string][]seriesValue, name string, want map[string]string) (float64, bool) {
next:
	for _, s := range ms[name] {
		for k, v := range want {
			if s.labels[k] != v {
				continue next
			}
		}
		return s.v, true
	}
	return 0, false
}

func healthz(t *testing.T, h http.Handler) (int, Health) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	var body Health
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("/healthz: %v\n%s", err, rec.Body.String())
	}
	if len(body.Pipelines) != 1 {
		t.Fatalf("/healthz lists %d pipelines: %s", len(body.Pipelines), rec.Body.String())
	}
	return rec.Code, body
}

// TestHealthMetricsAndAlertsFollowAPipelineThatNeverSucceededFailsAndRecovers
// drives one scheduled pipeline through the states an operator alerts on:
// never succeeded (and stale), failing, still failing (the alert is held
// back, then repeated), and recovered.
func TestHealthMetricsAndAlertsFollowAPipelineThatNeverSucceededFailsAndRecovers(t *testing.T) {
	srv := lumitest.New(sandbox.Options{Seed: 3, Size: 4})
	api := httptest.NewServer(srv)
	defer api.Close()
	hooks := &hookSink{}
	hook := httptest.NewServer(hooks)
	defer hook.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "nightly.yaml")
	if err := os.WriteFile(path, []byte(nightly), 0o644); err != nil {
		t.Fatal(err)
	}
	e := &env{m: srv.Env(api.URL)}
	e.set("HOOK", hook.URL+"/alerts")
	good := e.m["LUMI_PASSWORD"]
	e.set("LUMI_PASSWORD", "wrong-password")
	clk := &clock{}
	stop := make(chan struct{})
	d, err := New(t.Context(), Options{
		Env: e.lookup, Now: clk.now, Stop: stop, AlertRepeat: time.Hour,
		Webhook:   &schedule.Webhook{Backoff: time.Millisecond},
		StatePath: func(f *config.File) (string, error) { return filepath.Join(dir, "state.db"), nil },
	}, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	d.start(ctx)
	h := d.Handler()
	j := d.jobs[0]

	// Never ran: status none, last success 0, healthy.
	code, body := healthz(t, h)
	p := body.Pipelines[0]
	if code != 200 || body.Status != "ok" || p.LastStatus != OutcomeNone || p.LastSuccess != nil || p.Stale || !p.Healthy {
		t.Errorf("never ran: %d %+v", code, body)
	}
	ms := scrape(t, h)
	if v, ok := value(ms, "leadpipe_last_success_timestamp_seconds", map[string]string{"pipeline": "nightly"}); !ok || v != 0 {
		t.Errorf("never succeeded: leadpipe_last_success_timestamp_seconds = %v (exported: %v), want 0", v, ok)
	}
	for _, o := range Outcomes {
		want := 0.0
		if o == OutcomeNone {
			want = 1
		}
		if v, ok := value(ms, "leadpipe_last_run_status", map[string]string{"pipeline": "nightly", "status": string(o)}); !ok || v != want {
			t.Errorf("never ran: leadpipe_last_run_status{status=%s} = %v (exported: %v), want %v", o, v, ok, want)
		}
	}
	// Two nights later, still no success: stale, and 503.
	clk.advance(49 * time.Hour)
	code, body = healthz(t, h)
	if p := body.Pipelines[0]; code != 503 || body.Status != "failing" || !p.Stale || p.StaleSince == nil || p.Healthy {
		t.Errorf("never succeeded, two nights on: %d %+v", code, body)
	}
	if v, _ := value(scrape(t, h), "leadpipe_pipeline_stale", map[string]string{"pipeline": "nightly"}); v != 1 {
		t.Errorf("leadpipe_pipeline_stale = %v, want 1", v)
	}
	clk.advance(-49 * time.Hour)

	// The password is refused: failing, 503, one alert.
	d.runJob(ctx, j)
	code, body = healthz(t, h)
	p = body.Pipelines[0]
	if code != 503 || body.Status != "failing" || p.LastStatus != OutcomeFailed || p.LastRunID == "" || p.Healthy ||
		!strings.Contains(p.LastError, "refused the credentials") {
		t.Errorf("failing: %d %+v", code, body)
	}
	ms = scrape(t, h)
	if v, _ := value(ms, "leadpipe_last_run_status", map[string]string{"pipeline": "nightly", "status": "failed"}); v != 1 {
		t.Errorf("failing: leadpipe_last_run_status{status=failed} = %v", v)
	}
	if v, _ := value(ms, "leadpipe_last_success_timestamp_seconds", map[string]string{"pipeline": "nightly"}); v != 0 {
		t.Errorf("failing: last success %v", v)
	}
	if a := hooks.got(); len(a) != 1 || a[0].Event != EventRunFailed || a[0].RunID != p.LastRunID || a[0].Failures != 1 {
		t.Fatalf("the first failure: alerts %+v", a)
	}
	// A lenient /healthz still lists the failure, with 200.
	d.o.LenientHealth = true
	if code, body := healthz(t, h); code != 200 || body.Status != "failing" {
		t.Errorf("lenient: %d %+v", code, body)
	}
	d.o.LenientHealth = false

	// Failing again within the repeat interval: no alert.
	d.runJob(ctx, j)
	if a := hooks.got(); len(a) != 1 {
		t.Fatalf("a second failure within --alert-repeat alerted: %+v", a)
	}
	if v, _ := value(scrape(t, h), "leadpipe_alerts_total", map[string]string{"pipeline": "nightly", "result": DeliverySuppressed}); v != 1 {
		t.Errorf("leadpipe_alerts_total{result=suppressed} = %v, want 1", v)
	}
	// An hour on, it is repeated, saying how long it has failed.
	clk.advance(61 * time.Minute)
	d.runJob(ctx, j)
	a := hooks.got()
	if len(a) != 2 || a[1].Event != EventRunFailed || a[1].Failures != 3 || a[1].FailingSince == nil || !strings.Contains(a[1].Text, "3 runs") {
		t.Fatalf("the repeat: alerts %+v", a)
	}
	if strings.Contains(a[1].Text+a[1].Error, "wrong-password") {
		t.Errorf("the alert holds the password: %+v", a[1])
	}

	// The password is fixed: recovered, one recovery message, healthy.
	e.set("LUMI_PASSWORD", good)
	d.runJob(ctx, j)
	a = hooks.got()
	if len(a) != 3 || a[2].Event != EventRecovered || a[2].Failures != 3 || a[2].Status != state.RunCommitted || !strings.Contains(a[2].Text, "recovered") {
		t.Fatalf("recovery: alerts %+v", a)
	}
	code, body = healthz(t, h)
	p = body.Pipelines[0]
	if code != 200 || body.Status != "ok" || p.LastStatus != OutcomeOK || p.LastSuccess == nil || p.LastError != "" || !p.Healthy {
		t.Errorf("recovered: %d %+v", code, body)
	}
	ms = scrape(t, h)
	if v, _ := value(ms, "leadpipe_last_success_timestamp_seconds", map[string]string{"pipeline": "nightly"}); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("recovered: last success %v", v)
	}
	if v, _ := value(ms, "leadpipe_last_run_status", map[string]string{"pipeline": "nightly", "status": "ok"}); v != 1 {
		t.Errorf("recovered: leadpipe_last_run_status{status=ok} = %v", v)
	}
	if v, _ := value(ms, "leadpipe_last_run_status", map[string]string{"pipeline": "nightly", "status": "failed"}); v != 0 {
		t.Errorf("recovered: leadpipe_last_run_status{status=failed} = %v", v)
	}
	// Good again: nothing more to say.
	d.runJob(ctx, j)
	if a := hooks.got(); len(a) != 3 {
		t.Errorf("a good run after the recovery alerted: %+v", a[3:])
	}

	// A new process starts from the journal, not from "none".
	d2, err := New(t.Context(), Options{Env: e.lookup, StatePath: d.o.StatePath}, []string{path})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	d2.start(ctx)
	if _, body := healthz(t, d2.Handler()); body.Pipelines[0].LastStatus != OutcomeOK || body.Pipelines[0].LastRunID == "" {
		t.Errorf("after a restart: %+v", body)
	}
}

func TestDecideAlert(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	failing := state.AlertState{Pipeline: "p", Failing: true, Event: EventRunFailed, Since: t0, LastSent: t0, Failures: 2}
	unsent := failing
	unsent.LastSent = time.Time{}
	for _, tc := range []struct {
		name    string
		prev    state.AlertState
		out     Outcome
		at      time.Time
		repeat  time.Duration
		event   string
		failing bool
		count   int
	}{
		{"ok stays quiet", state.AlertState{Pipeline: "p"}, OutcomeOK, t0, time.Hour, "", false, 0},
		{"the first failure alerts", state.AlertState{Pipeline: "p"}, OutcomeFailed, t0, time.Hour, EventRunFailed, true, 1},
		{"rows left unsent alert", state.AlertState{Pipeline: "p"}, OutcomeRowsNotSent, t0, time.Hour, EventRowsNotSent, true, 1},
		{"failing within the repeat is held back", failing, OutcomeFailed, t0.Add(59 * time.Minute), time.Hour, "", true, 3},
		{"failing after the repeat alerts again", failing, OutcomeFailed, t0.Add(time.Hour), time.Hour, EventRunFailed, true, 3},
		{"repeat 0 alerts every failing run", failing, OutcomeFailed, t0.Add(time.Second), 0, EventRunFailed, true, 3},
		{"a different failure is news", failing, OutcomeRowsNotSent, t0.Add(time.Minute), time.Hour, EventRowsNotSent, true, 3},
		{"an undelivered alert is tried again", unsent, OutcomeFailed, t0.Add(time.Minute), time.Hour, EventRunFailed, true, 3},
		{"a good run after failures recovers", failing, OutcomeOK, t0.Add(time.Minute), time.Hour, EventRecovered, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, next := decideAlert(tc.prev, tc.out, tc.at, tc.repeat)
			if ev != tc.event || next.Failing != tc.failing || next.Failures != tc.count || next.Pipeline != "p" {
				t.Errorf("decideAlert = %q, %+v; want %q, failing %v, %d failures", ev, next, tc.event, tc.failing, tc.count)
			}
			if tc.event == EventRowsNotSent && next.Event != EventRowsNotSent {
				t.Errorf("the state keeps event %q", next.Event)
			}
		})
	}
}

func TestStaleness(t *testing.T) {
	spec, err := schedule.Parse("0 2 * * *", "UTC", schedule.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	success := time.Date(2026, 12, 1, 2, 10, 0, 0, time.UTC) // Tuesday's run succeeded
	for _, tc := range []struct {
		now   time.Time
		stale bool
	}{
		{time.Date(2026, 12, 2, 2, 5, 0, 0, time.UTC), false}, // Wednesday's run is going (or failed): within the grace
		{time.Date(2026, 12, 3, 1, 59, 0, 0, time.UTC), false},
		{time.Date(2026, 12, 3, 2, 0, 1, 0, time.UTC), true}, // Thursday's time came with no success since Tuesday
	} {
		since, stale := staleSince(spec, success, tc.now)
		if stale != tc.stale || stale && !since.Equal(time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)) {
			t.Errorf("at %s: stale %v since %s, want %v", tc.now, stale, since, tc.stale)
		}
	}
}
