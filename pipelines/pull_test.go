package pipelines_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/config"
	_ "github.com/leadpipe/leadpipe/connectors/all"
	"github.com/leadpipe/leadpipe/connectors/lumi/lumitest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/laketest"
	_ "github.com/leadpipe/leadpipe/sinks/storage/local"
	_ "github.com/leadpipe/leadpipe/sinks/storage/s3"
)

// lumiEnv is a Lumi sandbox, a lake directory and a state store.
type lumiEnv struct {
	t     *testing.T
	srv   *lumitest.Server
	url   string
	dir   string
	lake  string
	store *state.Store
	// format is the sink's format of the last plan (parquet, csv, iceberg).
	format string
	*sandbox.Clock
}

func newLumiEnv(t *testing.T, size int) *lumiEnv {
	t.Helper()
	e := &lumiEnv{t: t, Clock: sandbox.NewClock(lumitest.Anchor().Add(48 * time.Hour)), dir: t.TempDir()}
	e.lake = filepath.Join(e.dir, "lake")
	e.srv = lumitest.New(sandbox.Options{Seed: 3, Size: size, Now: e.Now})
	hs := httptest.NewServer(e.srv)
	t.Cleanup(hs.Close)
	e.url = hs.URL
	st, err := state.Open(filepath.Join(e.dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.SetClock(e.Now)
	e.store = st
	return e
}

func (e *lumiEnv) env(name string) (string, bool) {
	switch name {
	case "LUMI_BASE_URL":
		return e.url + "/v1", true
	case "LUMI_USERNAME":
		return lumitest.Username, true
	case "LUMI_PASSWORD":
		return lumitest.Password, true
	case "LAKE":
		return e.lake, true
	}
	return "", false
}

const lumiPipeline = `name: lumi-test
source:
  connector: lumi
  streams: [leads, events, loans]
  config:
    base_url: ${LUMI_BASE_URL}
    username: ${LUMI_USERNAME}
    password: ${LUMI_PASSWORD}
    page_size: 25
    rate_limit: 1000
sink:
  path: ${LAKE}
  format: %s
`

func (e *lumiEnv) plan(format string) *pipelines.Plan {
	e.t.Helper()
	e.format = format
	path := filepath.Join(e.dir, "lumi.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(lumiPipeline, format)), 0o644); err != nil {
		e.t.Fatal(err)
	}
	plan, err := pipelines.Load(e.t.Context(), path, e.env)
	if err != nil {
		e.t.Fatalf("load: %v", err)
	}
	return plan
}

func (e *lumiEnv) run(plan *pipelines.Plan, opts pipelines.Options) (*pipelines.Summary, error) {
	opts.Now = e.Now
	return pipelines.Run(context.Background(), plan, e.store, opts)
}

// setStatus moves up to n of the sandbox's leads in status from to status
// to, and returns their ids.
func (e *lumiEnv) setStatus(from, to string, n int) []string {
	e.t.Helper()
	var moved []string
	for _, l := range e.srv.Leads() {
		if l.Status == from && len(moved) < n {
			moved = append(moved, l.ID)
		}
	}
	for _, id := range moved {
		if err := e.srv.SetStatus(id, to); err != nil {
			e.t.Fatal(err)
		}
	}
	if len(moved) == 0 {
		e.t.Fatalf("the sandbox has no lead in status %s", from)
	}
	return moved
}

func crashAt(point string) func(string) error {
	return func(p string) error {
		if p == point {
			return pipelines.ErrCrashed
		}
		return nil
	}
}

// checkLake compares the lake with the sandbox: no row twice in the table's
// changelog beyond what runs legitimately re-read, and the latest row of
// every lead is the sandbox's current state (no gap).
func (e *lumiEnv) checkLake(wantDupFree bool) {
	e.t.Helper()
	leads := e.read("leads")
	events := e.read("events")
	if d := laketest.Duplicates(laketest.Column(events, "event_uid")); len(d) > 0 {
		e.t.Errorf("%d events are in the lake twice, e.g. %s", len(d), d[0])
	}
	if wantDupFree {
		if d := laketest.Duplicates(laketest.Column(leads, "lead_uid")); len(d) > 0 {
			e.t.Errorf("%d leads are in the lake twice, e.g. %s", len(d), d[0])
		}
	}
	latest := laketest.Latest(leads, "lead_uid")
	truth := e.srv.Leads()
	if len(latest) != len(truth) {
		e.t.Errorf("lake has %d distinct leads, sandbox %d", len(latest), len(truth))
	}
	for _, l := range truth {
		row, ok := latest["lumi:"+l.ID]
		if !ok {
			e.t.Errorf("lead %s is missing from the lake", l.ID)
			continue
		}
		if row["vendor_status"] != l.Status {
			e.t.Errorf("lead %s: lake says %s, sandbox %s", l.ID, row["vendor_status"], l.Status)
		}
	}
	if got, want := len(laketest.Latest(events, "event_uid")), len(e.srv.Events()); got != want {
		e.t.Errorf("lake has %d distinct events, sandbox %d", got, want)
	}
}

func TestPullWritesTheLakeAndResumes(t *testing.T) {
	e := newLumiEnv(t, 120)
	plan := e.plan("parquet")
	sum, err := e.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != state.RunCommitted || sum.Rows["leads"] != 120 || sum.Rows["events"] == 0 || sum.Rows["loans"] == 0 {
		t.Fatalf("first run: %+v", sum)
	}
	if _, err := os.Stat(filepath.Join(e.lake, "_runs", sum.RunID+".json")); err != nil {
		t.Errorf("no manifest: %v", err)
	}
	for _, f := range sum.Files {
		if !strings.HasPrefix(f.Key, f.Table+"/vendor=lumi/dt=") || !strings.Contains(f.Key, "part-"+sum.RunID) {
			t.Errorf("file %s is not in the Hive layout", f.Key)
		}
	}
	e.checkLake(true)
	// Lumi dates its loans (the FUNDED status event): funded_at says so.
	sources := map[string]int{}
	for _, l := range laketest.Read(t, e.lake, "loans") {
		if (l["funded_at"] == "") != (l["funded_at_source"] == "") {
			t.Errorf("loan %s: funded_at %q with funded_at_source %q", l["loan_uid"], l["funded_at"], l["funded_at_source"])
		}
		sources[l["funded_at_source"]]++
	}
	if sources[schema.FundedAtVendor] == 0 {
		t.Errorf("no Lumi loan has a vendor funding date: %v", sources)
	}

	// A quiet second run reads nothing new and advances the cursor.
	e.Advance(time.Hour)
	again, err := e.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.TotalRows() != 0 {
		t.Errorf("quiet run wrote %v", again.Rows)
	}
	cur, _ := e.store.Cursors(context.Background(), "lumi-test")
	var c struct{ At time.Time }
	if err := json.Unmarshal([]byte(cur["leads"]), &c); err != nil || !c.At.Equal(e.Now()) {
		t.Errorf("cursor %q did not advance to the second run's start %s", cur["leads"], e.Now())
	}

	// Changes show up in the next run, and only they.
	e.Advance(time.Hour)
	e.setStatus("PROCESSING", "AWAITING_CREDIT_APPROVAL", 1)
	e.Advance(time.Minute)
	third, err := e.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if third.Rows["leads"] != 1 || third.Rows["events"] != 1 {
		t.Errorf("third run wrote %v, want 1 lead and 1 event", third.Rows)
	}
	e.checkLake(false)
}

func TestCrashBeforeTheCursorLeavesNoDuplicateAndNoGap(t *testing.T) {
	for _, format := range []string{"parquet", "iceberg"} {
		for _, point := range []string{pipelines.PointAfterData, pipelines.PointAfterPublish, pipelines.PointAfterManifest} {
			t.Run(format+"/"+point, func(t *testing.T) { testCrashAt(t, format, point) })
		}
	}
}

func testCrashAt(t *testing.T, format, point string) {
	e := newLumiEnv(t, 90)
	plan := e.plan(format)
	if _, err := e.run(plan, pipelines.Options{}); err != nil {
		t.Fatal(err)
	}
	// The vendor moves on, and the next run dies at the point.
	e.Advance(time.Hour)
	moved := e.setStatus("WAITING_FOR_CALL", "PROCESSING", 3)
	e.Advance(time.Minute)
	_, err := e.run(plan, pipelines.Options{CrashAt: crashAt(point)})
	if !errors.Is(err, pipelines.ErrCrashed) {
		t.Fatalf("want the simulated crash, got %v", err)
	}
	// More changes while the process is down.
	e.Advance(time.Hour)
	for _, id := range moved[:1] {
		if err := e.srv.SetStatus(id, "FUNDED"); err != nil {
			t.Fatal(err)
		}
	}
	e.Advance(time.Minute)
	sum, err := e.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatalf("run after the crash: %v", err)
	}
	if len(sum.Recovered) != 1 {
		t.Errorf("recovered = %v, want one note", sum.Recovered)
	}
	want := "rolled back"
	if point == pipelines.PointAfterManifest {
		want = "finished the commit"
	}
	if len(sum.Recovered) == 1 && !strings.Contains(sum.Recovered[0], want) {
		t.Errorf("recovery %q, want %q", sum.Recovered[0], want)
	}
	for _, l := range laketest.Files(t, e.lake, "leads") {
		if strings.Contains(filepath.Base(l), ".inprogress") {
			t.Errorf("staged file left behind: %s", l)
		}
	}
	if format == "iceberg" {
		e.checkIceberg()
	}
	e.checkLake(false)
	runs, _ := e.store.Runs(context.Background(), state.RunFilter{Pipeline: "lumi-test"})
	statuses := map[string]int{}
	for _, r := range runs {
		statuses[r.Status]++
	}
	if statuses[state.RunRunning]+statuses[state.RunCommitting] != 0 {
		t.Errorf("unfinished runs left in the journal: %v", statuses)
	}
}

func TestFailedRunRemovesItsFilesAndKeepsTheCursor(t *testing.T) {
	e := newLumiEnv(t, 60)
	plan := e.plan("parquet")
	if _, err := e.run(plan, pipelines.Options{}); err != nil {
		t.Fatal(err)
	}
	before, _ := e.store.Cursors(context.Background(), "lumi-test")
	files := laketest.Files(t, e.lake, "leads")
	e.Advance(time.Hour)
	e.srv.Faults().FailNext(100, 403, `[{"status": false, "error": "Unauthorized"}]`)
	sum, err := e.run(plan, pipelines.Options{FullRefresh: true})
	if err == nil {
		t.Fatal("run did not fail")
	}
	if !strings.Contains(err.Error(), "403") {
		t.Errorf("error does not say why: %v", err)
	}
	if sum == nil || sum.Status != state.RunFailed {
		t.Errorf("summary %+v", sum)
	}
	after, _ := e.store.Cursors(context.Background(), "lumi-test")
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("cursor moved on a failed run: %v → %v", before, after)
	}
	if got := laketest.Files(t, e.lake, "leads"); fmt.Sprint(got) != fmt.Sprint(files) {
		t.Errorf("files changed on a failed run: %v → %v", files, got)
	}
}

func TestCSVSink(t *testing.T) {
	e := newLumiEnv(t, 30)
	if _, err := e.run(e.plan("csv"), pipelines.Options{}); err != nil {
		t.Fatal(err)
	}
	e.checkLake(true)
}

func TestDryRunWritesNothing(t *testing.T) {
	e := newLumiEnv(t, 30)
	sum, err := e.run(e.plan("parquet"), pipelines.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows["leads"] != 30 {
		t.Errorf("dry run counted %v", sum.Rows)
	}
	if _, err := os.Stat(e.lake); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(e.lake)
		if len(entries) > 0 {
			t.Errorf("dry run wrote %v", entries)
		}
	}
	cur, _ := e.store.Cursors(context.Background(), "lumi-test")
	if len(cur) != 0 {
		t.Errorf("dry run committed cursors %v", cur)
	}
}

func TestTwoRunsOfOnePipelineNeverOverlap(t *testing.T) {
	e := newLumiEnv(t, 200)
	plan := e.plan("parquet")
	e.srv.Faults().SetLatency(20 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.run(plan, pipelines.Options{})
		}()
	}
	wg.Wait()
	locked := 0
	for _, err := range errs {
		if errors.Is(err, state.ErrLocked) {
			locked++
		} else if err != nil {
			t.Errorf("unexpected error: %v", err)
		}
	}
	if locked != 1 {
		t.Errorf("%d runs were refused, want exactly 1 (errors %v)", locked, errs)
	}
}

func TestInvalidPipelineReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	src := `name: bad
source:
  connector: lumi
  streams: [leads, deals]
  config:
    base_url: ftp://nowhere
    username: u
    pasword: p
    page_size: 1000
sink:
  path: ./lake
  format: orc
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := pipelines.Load(t.Context(), path, func(string) (string, bool) { return "", false })
	var probs config.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("want config.Problems, got %v", err)
	}
	var lines []string
	for _, p := range probs {
		lines = append(lines, p.String())
	}
	sort.Strings(lines)
	got := strings.Join(lines, "\n")
	for _, want := range []string{
		path + `:4: source.streams[1]: connector lumi has no stream "deals"`,
		path + `:6: source.config.base_url: must be an http(s) URL`,
		path + `:8: source.config.pasword: unknown key "pasword" (did you mean "password"?)`,
		path + `:9: source.config.page_size: must be 1..100`,
		path + `:12: sink.format: must be parquet, csv or iceberg, got "orc"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

func TestDuckDBReadsTheLakeWithTheRightTypes(t *testing.T) {
	e := newLumiEnv(t, 80)
	sum, err := e.run(e.plan("parquet"), pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	glob := func(table string) string {
		return fmt.Sprintf("read_parquet('%s/%s/**/*.parquet', hive_partitioning = true)", e.lake, table)
	}
	types := map[string]string{}
	for _, table := range []string{"leads", "loans", "events"} {
		for _, r := range laketest.DuckDB(t, "DESCRIBE SELECT * FROM "+glob(table)) {
			types[table+"."+r["column_name"].(string)] = r["column_type"].(string)
		}
	}
	for col, want := range map[string]string{
		"leads.amount_requested": "DECIMAL(18,2)", "leads.monthly_turnover": "DECIMAL(18,2)",
		"leads.created_at": "TIMESTAMP WITH TIME ZONE", "leads.date_of_birth": "DATE", "leads.lead_uid": "VARCHAR",
		"leads.birth_year": "BIGINT", "loans.principal": "DECIMAL(18,2)", "loans.commission_amount": "DECIMAL(18,2)",
		"loans.interest_rate": "DECIMAL(18,6)", "loans.funded_at": "TIMESTAMP WITH TIME ZONE",
		"events.occurred_at": "TIMESTAMP WITH TIME ZONE", "leads.extracted_at": "TIMESTAMP WITH TIME ZONE",
		"leads.vendor": "VARCHAR", "leads.dt": "DATE",
	} {
		if types[col] != want {
			t.Errorf("DuckDB reads %s as %q, want %s", col, types[col], want)
		}
	}
	rows := laketest.DuckDB(t, "SELECT count(*) AS n, count(DISTINCT lead_uid) AS uids, sum(amount_requested)::VARCHAR AS total FROM "+glob("leads"))
	var want int64
	for _, l := range e.srv.Leads() {
		want += int64(l.Loan.RequestedAmount * 100)
	}
	if got := rows[0]; fmt.Sprint(got["n"]) != fmt.Sprint(sum.Rows["leads"]) || fmt.Sprint(got["uids"]) != "80" ||
		got["total"] != fmt.Sprintf("%d.%02d", want/100, want%100) {
		t.Errorf("DuckDB sees %v; want 80 leads totalling %d cents", got, want)
	}
}

func TestFileOfVendorRecordsLandsInTheLake(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		`{"id":"a1","status":"FUNDED","stakeholder":{"first_name":"Ann","phone":"0401-234-567","email":"Ann@Example.com"},"company":{"name":"A Pty","abn":"51824753556","average_monthly_turnover":1234.5},"loan":{"requested_amount":8000,"amount":8000,"installments":52,"application_type":"REGULAR"},"created_at":"2018-07-04T13:40:26+10:00","effective_commission":800,"commission_percentage":10,"annual_simple_rate":0.2424,"loan_product_type":"DYNAMIC_TERM_LOAN","loan_id":"L1"}`,
		``,
		`{"type":"STATUS_UPDATED","lead":{"id":"b2","status":"ON_HOLD","stakeholder":{"first_name":"Bob"},"company":{"name":"B"},"loan":{},"created_at":"2019-05-15T04:58:29.000Z"}}`,
	}
	in := filepath.Join(dir, "leads.jsonl")
	os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	src := `name: lumi-file
source:
  connector: lumi
  streams: [leads, loans]
  file:
    path: leads.jsonl
sink:
  path: lake
transforms:
  - privacy: # this test checks the normalized values themselves
      columns: {email: keep, phone: keep}
`
	path := filepath.Join(dir, "p.yaml")
	os.WriteFile(path, []byte(src), 0o644)
	plan, err := pipelines.Load(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := state.Open(filepath.Join(dir, "state.db"))
	defer st.Close()
	sum, err := pipelines.Run(context.Background(), plan, st, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows["leads"] != 2 || sum.Rows["loans"] != 1 {
		t.Fatalf("rows %v", sum.Rows)
	}
	if len(sum.Unknowns) != 1 || sum.Unknowns[0].Value != "ON_HOLD" {
		t.Errorf("unknowns %v", sum.Unknowns)
	}
	leads := laketest.Latest(laketest.Read(t, filepath.Join(dir, "lake"), "leads"), "lead_uid")
	a := leads["lumi:a1"]
	if a["phone"] != "+61401234567" || a["email"] != "ann@example.com" || a["status"] != "funded" || a["business_number_type"] != "abn" {
		t.Errorf("lead a1: %v", a)
	}
	if leads["lumi:b2"]["status"] != "new" || leads["lumi:b2"]["vendor_status"] != "ON_HOLD" {
		t.Errorf("lead b2 (from a webhook payload): %v", leads["lumi:b2"])
	}

	// A broken line fails the run with its line number, and nothing lands.
	os.WriteFile(in, []byte(lines[0]+"\n{\"id\": \"c3\", \"status\": \n"), 0o644)
	_, err = pipelines.Run(context.Background(), plan, st, pipelines.Options{})
	if err == nil || !strings.Contains(err.Error(), "leads.jsonl line 2") {
		t.Errorf("error %v does not name line 2", err)
	}
	if n := len(laketest.Files(t, filepath.Join(dir, "lake"), "leads")); n != 1 {
		t.Errorf("%d lead files after the failed run, want the first run's 1", n)
	}
}
