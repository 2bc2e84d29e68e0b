package metrics_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/metrics"
	"github.com/leadpipe/leadpipe/pipelines"
)

func TestCountersFollowRunsAndRequests(t *testing.T) {
	m := metrics.New()
	m.Declare("lumi", "pull")
	m.Declare("backfill", "push")
	for _, i := range []httpclient.RequestInfo{
		{Vendor: "lumi", Status: 200, Duration: 20 * time.Millisecond},
		{Vendor: "lumi", Status: 429, Duration: time.Millisecond},
		{Vendor: "lumi", Status: 200, Retry: true, Attempt: 2, Waited: 1500 * time.Millisecond},
		{Vendor: "lumi", Err: errors.New("connection reset"), Duration: time.Millisecond},
	} {
		m.ObserveHTTP(i)
	}
	m.RunStarted("lumi")
	m.RunFinished("lumi", &pipelines.Summary{RunID: "r1", Kind: "pull", Status: "committed", Duration: 3 * time.Second,
		Rows: map[string]int64{"leads": 10, "events": 30}, HTTP: connectors.HTTPStats{Requests: 4, RateLimitWait: 2 * time.Second}})
	m.RunStarted("lumi")
	m.RunFinished("lumi", &pipelines.Summary{RunID: "r2", Kind: "pull", Status: "cancelled", Rows: map[string]int64{"leads": 99}})
	m.RunStarted("backfill")
	m.RunFinished("backfill", &pipelines.Summary{RunID: "r3", Kind: "push", Status: "succeeded",
		Push: &pipelines.PushSummary{Total: 12, Submitted: 7, Rejected: 5}})
	m.RunStarted("backfill")
	m.RunFinished("backfill", nil) // locked: never started
	m.Skipped("lumi", "overlap")

	reg := m.Registry()
	for _, tc := range []struct {
		name string
		want string
	}{
		{"leadpipe_http_requests_total", `
leadpipe_http_requests_total{status="200",vendor="lumi"} 2
leadpipe_http_requests_total{status="429",vendor="lumi"} 1
leadpipe_http_requests_total{status="error",vendor="lumi"} 1
`},
		{"leadpipe_http_retries_total", `leadpipe_http_retries_total{vendor="lumi"} 1
`},
		{"leadpipe_http_wait_seconds_total", `leadpipe_http_wait_seconds_total{vendor="lumi"} 1.5
`},
		{"leadpipe_runs_total", `
leadpipe_runs_total{kind="pull",pipeline="lumi",status="cancelled"} 1
leadpipe_runs_total{kind="pull",pipeline="lumi",status="committed"} 1
leadpipe_runs_total{kind="pull",pipeline="lumi",status="failed"} 0
leadpipe_runs_total{kind="push",pipeline="backfill",status="cancelled"} 0
leadpipe_runs_total{kind="push",pipeline="backfill",status="failed"} 0
leadpipe_runs_total{kind="push",pipeline="backfill",status="succeeded"} 1
`},
		// Only committed rows count: the cancelled run's 99 leads were rolled back.
		{"leadpipe_rows_total", `
leadpipe_rows_total{pipeline="lumi",table="events"} 30
leadpipe_rows_total{pipeline="lumi",table="leads"} 10
`},
		{"leadpipe_runs_in_progress", `
leadpipe_runs_in_progress{pipeline="backfill"} 0
leadpipe_runs_in_progress{pipeline="lumi"} 0
`},
		{"leadpipe_rate_limit_wait_seconds_total", `
leadpipe_rate_limit_wait_seconds_total{pipeline="backfill"} 0
leadpipe_rate_limit_wait_seconds_total{pipeline="lumi"} 2
`},
		{"leadpipe_runs_skipped_total", `leadpipe_runs_skipped_total{pipeline="lumi",reason="overlap"} 1
`},
	} {
		if err := testutil.GatherAndCompare(reg, strings.NewReader(header(t, reg, tc.name)+tc.want), tc.name); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	pushed := `
leadpipe_push_rows_total{outcome="failed",pipeline="backfill"} 0
leadpipe_push_rows_total{outcome="needs_human",pipeline="backfill"} 0
leadpipe_push_rows_total{outcome="rejected",pipeline="backfill"} 5
leadpipe_push_rows_total{outcome="skipped_duplicate",pipeline="backfill"} 0
leadpipe_push_rows_total{outcome="submitted",pipeline="backfill"} 7
leadpipe_push_rows_total{outcome="updated",pipeline="backfill"} 0
leadpipe_push_rows_total{outcome="waiting",pipeline="backfill"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(header(t, reg, "leadpipe_push_rows_total")+pushed), "leadpipe_push_rows_total"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "leadpipe_last_success_timestamp_seconds"); err != nil || n != 2 {
		t.Errorf("last success series: %d %v", n, err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "leadpipe_") {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}

	// The handler serves the Prometheus text format.
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("not Prometheus text: %v", err)
	}
	if _, ok := fams["leadpipe_run_duration_seconds"]; !ok {
		t.Error("no run duration histogram")
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
}

// header returns the HELP and TYPE lines of a registered metric.
func header(t *testing.T, reg prometheus.Gatherer, name string) string {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return fmt.Sprintf("# HELP %s %s\n# TYPE %s %s\n", name, f.GetHelp(), name, strings.ToLower(f.GetType().String()))
		}
	}
	t.Fatalf("%s is not registered", name)
	return ""
}
