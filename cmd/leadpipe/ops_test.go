package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sinks/laketest"
)

// checkPullCommitted checks that the lake holds exactly the sandbox's leads
// once, from one committed run with its manifest, and nothing staged.
func checkPullCommitted(t *testing.T, b *lumiBox, st *state.Store, pipeline string) {
	t.Helper()
	leads := laketest.Read(t, b.lake, "leads")
	if d := laketest.Duplicates(laketest.Column(leads, "lead_uid")); len(d) > 0 {
		t.Errorf("%d leads twice in the lake", len(d))
	}
	if got, want := len(laketest.Latest(leads, "lead_uid")), len(b.srv.Leads()); got != want {
		t.Errorf("the lake has %d leads, the sandbox %d", got, want)
	}
	for _, f := range dataFiles(t, b.lake) {
		if strings.Contains(f, "inprogress") || strings.Contains(filepath.Base(f), "_part-") {
			t.Errorf("a staged file was left: %s", f)
		}
	}
	if cur, _ := st.Cursors(context.Background(), pipeline); len(cur) == 0 {
		t.Error("no cursor was committed")
	}
}

// runsOf returns a pipeline's runs, oldest first.
func runsOf(t *testing.T, st *state.Store, pipeline string) []state.Run {
	t.Helper()
	runs, err := st.Runs(context.Background(), state.RunFilter{Pipeline: pipeline})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(runs)-1; i < j; i, j = i+1, j-1 {
		runs[i], runs[j] = runs[j], runs[i]
	}
	return runs
}

func TestSIGTERMDuringAPullLetsItFinishAndCommit(t *testing.T) {
	b := newLumiBox(t, 8, http.MethodGet, 2)
	p := b.write(t, "pull.yaml", fmt.Sprintf(lumiPull, "sigterm-commit"))
	c := startChild(t, b.dir, b.env(), "run", "--grace", "2m", "--state", b.state, p)
	b.gate.waitHeld(t, 1) // the pull is in the middle of reading
	c.signal(syscall.SIGTERM)
	c.waitLog("stopping: no new run starts", 1)
	b.gate.open()
	if code := c.wait(); code != exitOK {
		t.Fatalf("exit %d, want %d (the run finished within the grace period)\n%s", code, exitOK, c.stderr())
	}
	st := b.store(t)
	runs := runsOf(t, st, "sigterm-commit")
	if len(runs) != 1 || runs[0].Status != state.RunCommitted {
		t.Fatalf("runs: %+v", runs)
	}
	checkPullCommitted(t, b, st, "sigterm-commit")
	if _, err := os.Stat(filepath.Join(b.lake, "_runs", runs[0].ID+".json")); err != nil {
		t.Errorf("no manifest: %v", err)
	}
}

func TestSignalAfterTheGraceRollsThePullBack(t *testing.T) {
	b := newLumiBox(t, 8, http.MethodGet, 2)
	p := b.write(t, "pull.yaml", fmt.Sprintf(lumiPull, "sigterm-rollback"))
	c := startChild(t, b.dir, b.env(), "run", "--grace", "2m", "--state", b.state, p)
	b.gate.waitHeld(t, 1)
	c.signal(syscall.SIGTERM)
	c.waitLog("stopping: no new run starts", 1)
	c.signal(syscall.SIGINT) // a second signal: stop now, do not wait for the grace period
	if code := c.wait(); code != exitInterrupted {
		t.Fatalf("exit %d, want %d (rolled back)\n%s", code, exitInterrupted, c.stderr())
	}
	st := b.store(t)
	runs := runsOf(t, st, "sigterm-rollback")
	if len(runs) != 1 || runs[0].Status != state.RunCancelled {
		t.Fatalf("runs: %+v", runs)
	}
	if files := dataFiles(t, b.lake); len(files) > 0 {
		t.Errorf("a rolled-back run left files: %v", files)
	}
	if cur, _ := st.Cursors(context.Background(), "sigterm-rollback"); len(cur) > 0 {
		t.Errorf("a rolled-back run moved the cursor: %v", cur)
	}
	// The next run reads everything, once.
	b.gate.open()
	b.setenv(t)
	if code, out, errs := cli(t, "run", "--state", b.state, p); code != 0 {
		t.Fatalf("rerun exit %d\n%s\n%s", code, out, errs)
	}
	checkPullCommitted(t, b, st, "sigterm-rollback")
}

func TestGraceZeroRollsBackAtOnceInScheduleMode(t *testing.T) {
	b := newLumiBox(t, 8, http.MethodGet, 2)
	os.Mkdir(filepath.Join(b.dir, "p"), 0o755)
	b.write(t, "p/pull.yaml", fmt.Sprintf(lumiPull, "sched-rollback")+"schedule: \"0 2 * * *\"\n")
	c := startChild(t, b.dir, b.env(), "schedule", "--run-now", "--grace", "0", "--http", "", "--state", b.state, "p")
	b.gate.waitHeld(t, 1)
	c.signal(syscall.SIGTERM)
	if code := c.wait(); code != exitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", code, exitInterrupted, c.stderr())
	}
	st := b.store(t)
	if runs := runsOf(t, st, "sched-rollback"); len(runs) != 1 || runs[0].Status != state.RunCancelled {
		t.Fatalf("runs: %+v", runs)
	}
	if files := dataFiles(t, b.lake); len(files) > 0 {
		t.Errorf("files left: %v", files)
	}
}

func TestSIGTERMDuringAPushFinishesTheRowsInFlight(t *testing.T) {
	const rows = 120
	b := newLumiBox(t, 3, http.MethodPost, 10)
	b.writeRows(t, rows)
	p := b.write(t, "push.yaml", fmt.Sprintf(lumiPush, "sigterm-push"))
	c := startChild(t, b.dir, b.env(), "run", "--state", b.state, p)
	b.gate.waitHeld(t, 4) // concurrency 4: the rows in flight
	c.signal(syscall.SIGTERM)
	c.waitLog("stopping: no new run starts", 1)
	b.gate.open()
	if code := c.wait(); code != exitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", code, exitInterrupted, c.stderr())
	}
	st := b.store(t)
	runs := runsOf(t, st, "sigterm-push")
	if len(runs) != 1 || runs[0].Status != state.RunCancelled {
		t.Fatalf("runs: %+v", runs)
	}
	var sum pipelines.Summary
	json.Unmarshal(runs[0].Summary, &sum)
	sent := len(b.srv.Received())
	if sent != 14 || sum.Push == nil || sum.Push.Submitted != sent {
		t.Errorf("the vendor holds %d rows (10 before the gate + 4 in flight), the summary says %+v", sent, sum.Push)
	}
	scopes, _ := st.LedgerScopes(context.Background(), "sigterm-push")
	for _, sc := range scopes {
		if pending, _ := st.LedgerList(context.Background(), sc, state.LedgerPending); len(pending) > 0 {
			t.Errorf("%d rows left pending", len(pending))
		}
	}
	b.setenv(t)
	if code, out, errs := cli(t, "run", "--state", b.state, p); code != 0 {
		t.Fatalf("rerun exit %d\n%s\n%s", code, out, errs)
	}
	for i := range rows {
		if n := b.srv.CountByExternalID(fmt.Sprintf("K%04d", i)); n != 1 {
			t.Errorf("row K%04d reached Lumi %d times", i, n)
		}
	}
}

func TestTwoProcessesRacingForOnePipelineRunItOnce(t *testing.T) {
	b := newLumiBox(t, 5, http.MethodGet, 0) // the winner waits at its first request
	p := b.write(t, "pull.yaml", fmt.Sprintf(lumiPull, "race"))
	c1 := startChild(t, b.dir, b.env(), "run", "--state", b.state, p)
	c2 := startChild(t, b.dir, b.env(), "run", "--state", b.state, p)
	type exit struct {
		c    *child
		code int
	}
	exits := make(chan exit, 2)
	for _, c := range []*child{c1, c2} {
		go func() { exits <- exit{c, c.wait()} }()
	}
	first := <-exits // the loser: the winner is held at the gate
	if first.code != exitLocked || !strings.Contains(first.c.stderr(), "pipeline race is already running (pid ") {
		t.Errorf("the process that lost the race: exit %d\n%s", first.code, first.c.stderr())
	}
	b.gate.open()
	second := <-exits
	if second.code != exitOK {
		t.Errorf("the process that won the race: exit %d\n%s", second.code, second.c.stderr())
	}
	st := b.store(t)
	if runs := runsOf(t, st, "race"); len(runs) != 1 || runs[0].Status != state.RunCommitted {
		t.Errorf("runs: %+v", runs)
	}
	checkPullCommitted(t, b, st, "race")
}

// webhookSink records the alerts it receives.
type webhookSink struct {
	mu     sync.Mutex
	bodies []string
	got    chan struct{}
}

func newWebhookSink(t *testing.T) (*webhookSink, string) {
	w := &webhookSink{got: make(chan struct{}, 10)}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.bodies = append(w.bodies, string(b))
		w.mu.Unlock()
		w.got <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	return w, srv.URL + "/hooks/T000/very-secret-path"
}

func TestScheduleServesMetricsThatMatchTheRunHistory(t *testing.T) {
	b := newLumiBox(t, 6, http.MethodGet, 1<<30)
	hooks, hookURL := newWebhookSink(t)
	os.Mkdir(filepath.Join(b.dir, "p"), 0o755)
	b.writeRows(t, 8, "BAD1,Amy,amy@example.com.au,0412345678,Low Pty,51824753556,1000,52")
	b.write(t, "p/lumi.yaml", fmt.Sprintf(lumiPull, "nightly")+"schedule: \"0 2 * * *\"\ntimezone: Australia/Sydney\n")
	b.write(t, "p/push.yaml", strings.Replace(fmt.Sprintf(lumiPush, "crm-push"), "path: rows.csv", "path: ../rows.csv", 1)+
		"schedule: \"*/15 * * * *\"\non_failure: "+hookURL+"\n")
	b.write(t, "p/broken.yaml", strings.Replace(fmt.Sprintf(lumiPull, "broken"), "${LUMI_PASSWORD}", "wrong-password-xyz", 1)+
		"schedule: \"@hourly\"\non_failure: "+hookURL+"\n")
	b.write(t, "p/adhoc.yaml", fmt.Sprintf(lumiPull, "adhoc")) // no schedule: left out
	c := startChild(t, b.dir, b.env(), "schedule", "--run-now", "--http", "127.0.0.1:0", "--state", b.state, "p")
	addr := c.waitLog("http endpoint listening", 1)[0].str("addr")
	c.waitLog("run finished", 1)
	c.waitLog("push finished with rows not sent", 1) // the rejected row
	c.waitLog("run failed", 1)
	for range 2 { // the failed pull, and the push that left a row unsent
		select {
		case <-hooks.got:
		case <-time.After(60 * time.Second):
			t.Fatal("an alert did not reach the webhook")
		}
	}

	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation) // classic Prometheus names only
	fams, err := parser.TextToMetricFamilies(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	// metric returns the value of a series by its labels.
	metric := func(name string, labels map[string]string) (float64, bool) {
		f, ok := fams[name]
		if !ok {
			return 0, false
		}
	next:
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue(), true
			case m.Gauge != nil:
				return m.GetGauge().GetValue(), true
			}
		}
		return 0, false
	}
	sumOf := func(name string, labels map[string]string) float64 {
		var total float64
		f := fams[name]
	next:
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue next
				}
			}
			total += m.GetCounter().GetValue()
		}
		return total
	}

	st := b.store(t)
	all, err := st.Runs(context.Background(), state.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("%d runs in the history, want 3", len(all))
	}
	var lumiRequests int64
	for _, r := range all {
		if n, _ := metric("leadpipe_runs_total", map[string]string{"pipeline": r.Pipeline, "kind": r.Kind, "status": r.Status}); n != 1 {
			t.Errorf("leadpipe_runs_total{pipeline=%s,kind=%s,status=%s} = %v, the history has 1 run", r.Pipeline, r.Kind, r.Status, n)
		}
		var sum pipelines.Summary
		json.Unmarshal(r.Summary, &sum)
		lumiRequests += sum.HTTP.Requests
		for table, n := range sum.Rows {
			if got, _ := metric("leadpipe_rows_total", map[string]string{"pipeline": r.Pipeline, "table": table}); got != float64(n) {
				t.Errorf("leadpipe_rows_total{%s,%s} = %v, the run wrote %d", r.Pipeline, table, got, n)
			}
		}
		if p := sum.Push; p != nil {
			for outcome, n := range map[string]int{"submitted": p.Submitted, "rejected": p.Rejected, "failed": p.Failed} {
				if got, _ := metric("leadpipe_push_rows_total", map[string]string{"pipeline": r.Pipeline, "outcome": outcome}); got != float64(n) {
					t.Errorf("leadpipe_push_rows_total{%s,%s} = %v, the run says %d", r.Pipeline, outcome, got, n)
				}
			}
			if p.Submitted != 8 || p.Rejected != 1 {
				t.Errorf("push summary %+v", p)
			}
		}
		// Every scheduled pipeline has the series; 0 for one that never
		// succeeded.
		last, exported := metric("leadpipe_last_success_timestamp_seconds", map[string]string{"pipeline": r.Pipeline})
		if succeeded := r.Status != state.RunFailed; !exported || (last > 0) != succeeded {
			t.Errorf("%s (%s): last success %v (exported: %v)", r.Pipeline, r.Status, last, exported)
		}
	}
	if got := sumOf("leadpipe_http_requests_total", map[string]string{"vendor": "lumi"}); got != float64(lumiRequests) || got == 0 {
		t.Errorf("leadpipe_http_requests_total{vendor=lumi} = %v, the runs' summaries count %d", got, lumiRequests)
	}
	if got, _ := metric("leadpipe_http_requests_total", map[string]string{"vendor": "lumi", "status": "403"}); got < 1 {
		t.Errorf("no 403 counted for the broken pipeline: %v", fams["leadpipe_http_requests_total"])
	}
	for _, name := range []string{"leadpipe_run_duration_seconds", "leadpipe_next_run_timestamp_seconds", "leadpipe_rate_limit_wait_seconds_total", "leadpipe_runs_in_progress"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("%s is not exported", name)
		}
	}
	if _, ok := metric("leadpipe_runs_total", map[string]string{"pipeline": "adhoc"}); ok {
		t.Error("a pipeline without schedule: was scheduled")
	}

	// /healthz
	resp, err = http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		Status    string
		Pipelines []struct {
			Name, Timezone string
			NextRun        *time.Time `json:"next_run"`
			LastStatus     string     `json:"last_status"`
			LastError      string     `json:"last_error"`
		}
	}
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	// The broken pipeline fails, and the push left a row unsent: 503.
	if resp.StatusCode != 503 || health.Status != "failing" || len(health.Pipelines) != 3 {
		t.Errorf("/healthz: %d %+v", resp.StatusCode, health)
	}
	for _, p := range health.Pipelines {
		want := map[string]string{"nightly": "ok", "crm-push": "rows_not_sent", "broken": "failed"}[p.Name]
		if p.LastStatus != want || (want != "ok") != (p.LastError != "") {
			t.Errorf("/healthz: %s: last status %q (error %q), want %q", p.Name, p.LastStatus, p.LastError, want)
		}
	}

	// The alerts: the failed run, no secret; the push that left a row
	// unsent, with what remains.
	hooks.mu.Lock()
	bodies := append([]string(nil), hooks.bodies...)
	hooks.mu.Unlock()
	alerts := map[string]map[string]any{}
	for _, b := range bodies {
		var a map[string]any
		if err := json.Unmarshal([]byte(b), &a); err != nil {
			t.Fatalf("alert body: %v\n%s", err, b)
		}
		p, _ := a["pipeline"].(string)
		alerts[p] = a
	}
	if a := alerts["crm-push"]; a["event"] != "rows_not_sent" || !strings.Contains(fmt.Sprint(a["error"]), "1 of 9 rows not sent: 1 rejected") {
		t.Errorf("the push that left a row unsent: alert %v", a)
	}
	body := strings.Join(bodies, "\n")
	alert := alerts["broken"]
	failed, _ := st.Runs(context.Background(), state.RunFilter{Pipeline: "broken"})
	if alert["pipeline"] != "broken" || alert["event"] != "run_failed" || alert["status"] != "failed" || len(failed) != 1 || alert["run_id"] != failed[0].ID || alert["error"] == "" {
		t.Errorf("alert: %s", body)
	}
	if strings.Contains(body, "wrong-password-xyz") || strings.Contains(c.stderr(), "wrong-password-xyz") || strings.Contains(c.stderr(), "very-secret-path") {
		t.Errorf("a secret leaked into the alert or the log:\n%s\n%s", body, c.stderr())
	}

	c.signal(syscall.SIGTERM)
	if code := c.wait(); code != exitOK {
		t.Errorf("exit %d after SIGTERM with no run in flight\n%s", code, c.stderr())
	}
}

func TestEveryLogLineOfARunNamesItsPipelineAndRun(t *testing.T) {
	b := newLumiBox(t, 4, http.MethodGet, 1<<30)
	b.setenv(t)
	b.writeRows(t, 5, "BAD1,Amy,amy@example.com.au,0412345678,Low Pty,51824753556,1000,52")
	pull := b.write(t, "pull.yaml", fmt.Sprintf(lumiPull, "logs-pull"))
	push := b.write(t, "push.yaml", fmt.Sprintf(lumiPush, "logs-push"))
	b.srv.Faults().Storm429(2, 0) // retries and 429s in the log too
	for _, p := range []string{pull, push} {
		code, out, errs := cli(t, "run", "--log-format", "json", "--log-level", "debug", "--state", b.state, p)
		if want := map[string]int{pull: exitOK, push: exitRowsLeft}[p]; code != want { // the push's BAD1 is rejected
			t.Fatalf("%s: exit %d\n%s\n%s", p, code, out, errs)
		}
		n := 0
		for _, line := range strings.Split(strings.TrimSpace(errs), "\n") {
			var m logLine
			if json.Unmarshal([]byte(line), &m) != nil {
				continue // a warning printed for people
			}
			n++
			if m.str("pipeline") == "" || m.str("run_id") == "" {
				t.Errorf("a log line without pipeline or run_id: %s", line)
			}
		}
		if n < 3 {
			t.Errorf("%s: only %d log lines:\n%s", p, n, errs)
		}
	}
}

func TestRunsShowsEveryItemOfARun(t *testing.T) {
	b := newLumiBox(t, 4, http.MethodGet, 1<<30)
	b.setenv(t)
	b.writeRows(t, 5, "BAD1,Amy,amy@example.com.au,0412345678,Low Pty,51824753556,1000,52")
	pull := b.write(t, "pull.yaml", fmt.Sprintf(lumiPull, "hist-pull"))
	push := b.write(t, "push.yaml", fmt.Sprintf(lumiPush, "hist-push"))
	broken := b.write(t, "broken.yaml", strings.Replace(fmt.Sprintf(lumiPull, "hist-broken"), "${LUMI_PASSWORD}", "nope", 1))
	b.srv.Faults().Storm429(2, 0)
	cli(t, "run", "--state", b.state, pull)
	cli(t, "run", "--state", b.state, push)
	cli(t, "run", "--state", b.state, broken)

	code, out, errs := cli(t, "runs", "--state", b.state)
	if code != 0 {
		t.Fatalf("runs: exit %d %s", code, errs)
	}
	for _, want := range []string{"STARTED", "DURATION", "STATUS", "hist-pull", "committed", "leads=4", "events=",
		"hist-push", "succeeded", "5 submitted, 1 rejected, 0 failed", "2 retries, 2×429", "hist-broken", "failed", "403"} {
		if !strings.Contains(out, want) {
			t.Errorf("runs: missing %q in:\n%s", want, out)
		}
	}
	code, out, _ = cli(t, "runs", "--state", b.state, "--failed")
	if code != 0 || !strings.Contains(out, "hist-broken") || strings.Contains(out, "hist-pull") {
		t.Errorf("runs --failed:\n%s", out)
	}
	st := b.store(t)
	for _, tc := range []struct {
		pipeline string
		want     []string
	}{
		{"hist-pull", []string{"committed", "leads", "http:", "retries", "rate-limited", "started:", "finished:", "process: pid"}},
		{"hist-push", []string{"submitted: 5", "rejected: 1", "failed: 0", "receipts:"}},
		{"hist-broken", []string{"failed", "error:", "403"}},
	} {
		runs := runsOf(t, st, tc.pipeline)
		if len(runs) != 1 {
			t.Fatalf("%s: %d runs", tc.pipeline, len(runs))
		}
		_, out, _ := cli(t, "runs", "show", "--state", b.state, runs[0].ID)
		for _, want := range tc.want {
			if !strings.Contains(out, want) {
				t.Errorf("runs show %s: missing %q in:\n%s", tc.pipeline, want, out)
			}
		}
	}
}

func TestValidateShowsTheNextRunsAndRejectsABadSchedule(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("name: nightly\nschedule: \"0 2 * * *\"\ntimezone: Australia/Sydney\n"+
		"source:\n  connector: lumi\n  config: {base_url: \"http://127.0.0.1:1\", username: u, password: p}\nsink:\n  path: lake\n"), 0o644)
	code, out, errs := cli(t, "validate", good)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	syd, _ := time.LoadLocation("Australia/Sydney")
	var times []time.Time
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "next: "); ok {
			tm, err := time.Parse("Mon 2006-01-02 15:04:05 MST (-07:00)", v)
			if err != nil {
				t.Fatalf("%q: %v", v, err)
			}
			times = append(times, tm.In(syd))
		}
	}
	if len(times) != 3 || !strings.Contains(out, `schedule: "0 2 * * *" in Australia/Sydney`) {
		t.Fatalf("validate output:\n%s", out)
	}
	for i, tm := range times {
		if tm.Hour() != 2 || tm.Minute() != 0 || !tm.After(time.Now()) {
			t.Errorf("next run %s is not a coming 02:00 in Sydney", tm)
		}
		if i > 0 && times[i].Sub(times[i-1]).Round(time.Hour) != 24*time.Hour {
			t.Errorf("runs %s and %s are not a day apart", times[i-1], times[i])
		}
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: nightly\nschedule: \"0 2 * *\"\ntimezone: Sydney\n"+
		"source:\n  connector: lumi\n  config: {base_url: \"http://127.0.0.1:1\", username: u, password: p}\nsink:\n  path: lake\n"), 0o644)
	code, _, errs = cli(t, "validate", bad)
	if code != exitInvalid || !strings.Contains(errs, bad+":2: schedule:") || !strings.Contains(errs, bad+`:3: timezone: unknown time zone "Sydney"`) {
		t.Errorf("exit %d:\n%s", code, errs)
	}
}
