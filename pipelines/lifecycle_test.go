package pipelines_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
)

// panicky is a test connector that panics where its config says: in New
// (the run's own goroutine), in Read after emitting a batch (the reader
// goroutine), or in Send for one row key (a push worker).
type panickyConfig struct {
	Mode string `yaml:"mode"`
}

type panicky struct{ mode string }

func init() {
	connectors.Register(&connectors.Spec{
		Name:      "panicky-test",
		Summary:   "a test connector that panics",
		Streams:   []connectors.StreamSpec{{Name: "leads", Tables: []string{"leads"}}},
		Targets:   []connectors.TargetSpec{{Name: "leads"}},
		NewConfig: func() any { return &panickyConfig{} },
		New: func(cfg any, env connectors.Env) (connectors.Connector, error) {
			c := cfg.(*panickyConfig)
			if c.Mode == "new" {
				panic("boom in New")
			}
			return &panicky{mode: c.Mode}, nil
		},
	})
}

func (p *panicky) Read(ctx context.Context, req *connectors.ReadRequest, out connectors.Emitter) error {
	b := &schema.Batch{Leads: []schema.Lead{{LeadUID: "t:1", VendorLeadID: "1", Status: "new", Common: schema.Common{Vendor: "t"}}}}
	if err := out.Emit(ctx, b); err != nil {
		return err
	}
	req.SetCursor("leads", "1")
	panic("boom in Read")
}

func (p *panicky) Target(context.Context, string) (connectors.Target, error) { return p, nil }
func (p *panicky) Fields() []connectors.Field {
	return []connectors.Field{{Name: "name", Type: connectors.TypeString, Required: true}}
}
func (p *panicky) Validate(context.Context, connectors.Record) []connectors.FieldError { return nil }
func (p *panicky) Send(ctx context.Context, rec connectors.Record, key string) (connectors.Receipt, error) {
	if key == "boom" {
		panic("boom in Send")
	}
	return connectors.Receipt{VendorID: "v-" + key, HTTPStatus: 201}, nil
}
func (p *panicky) Lookup(context.Context, connectors.Record, string, time.Time) (connectors.Receipt, bool, error) {
	return connectors.Receipt{}, false, connectors.ErrNoLookup
}

func loadYAML(t *testing.T, dir, name, body string) *pipelines.Plan {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := pipelines.Load(t.Context(), path, config.OSEnv)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return plan
}

func openStore(t *testing.T, dir string) *state.Store {
	t.Helper()
	st, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// lakeFiles lists every file under dir.
func lakeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestAPanicIsRecoveredRolledBackAndRecorded(t *testing.T) {
	for _, mode := range []string{"read", "new"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			lake := filepath.Join(dir, "lake")
			plan := loadYAML(t, dir, "p.yaml", "name: panicky\nsource:\n  connector: panicky-test\n  config: {mode: "+mode+"}\nsink:\n  path: lake\n")
			store := openStore(t, dir)
			for range 2 { // the lock was released: the second run is not "locked"
				sum, err := pipelines.Run(context.Background(), plan, store, pipelines.Options{})
				if !errors.Is(err, pipelines.ErrPanic) || !strings.Contains(err.Error(), "boom in") {
					t.Fatalf("err = %v, want a recovered panic", err)
				}
				if sum == nil || sum.Status != state.RunFailed || sum.RunID == "" {
					t.Fatalf("summary %+v", sum)
				}
				r, err := store.Run(context.Background(), sum.RunID)
				if err != nil {
					t.Fatalf("the panicked run is not in the history: %v", err)
				}
				if r.Status != state.RunFailed || !strings.Contains(r.Error, "panicked: boom in") {
					t.Errorf("history: status %s, error %q", r.Status, r.Error)
				}
			}
			if files := lakeFiles(t, lake); len(files) > 0 {
				t.Errorf("the panicked runs left files: %v", files)
			}
			if c, _ := store.Cursors(context.Background(), "panicky"); len(c) > 0 {
				t.Errorf("a panicked run moved the cursor: %v", c)
			}
			if runs, _ := store.UnfinishedRuns(context.Background(), "panicky"); len(runs) > 0 {
				t.Errorf("unfinished runs left: %+v", runs)
			}
		})
	}
}

func TestAPanicInAPushWorkerFailsTheRunNotTheProcess(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "rows.csv"), []byte("key,name\na,Amy\nboom,Bob\nc,Cat\n"), 0o644)
	plan := loadYAML(t, dir, "push.yaml", `name: panicky-push
source:
  file: {path: rows.csv}
push:
  connector: panicky-test
  target: leads
  config: {mode: send}
  key: [key]
  fields: {name: name}
  concurrency: 1
`)
	store := openStore(t, dir)
	sum, err := pipelines.Run(context.Background(), plan, store, pipelines.Options{})
	if !errors.Is(err, pipelines.ErrPanic) || sum == nil || sum.Status != state.RunFailed {
		t.Fatalf("err %v, summary %+v", err, sum)
	}
	r, _ := store.Run(context.Background(), sum.RunID)
	if r.Status != state.RunFailed || !strings.Contains(r.Error, "boom in Send") {
		t.Errorf("history: %s %q", r.Status, r.Error)
	}
}

// gate lets the first `pass` POSTs through, then holds the others until
// released, announcing each held request.
type gate struct {
	next    http.Handler
	pass    int32
	posts   atomic.Int32
	held    chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGate(next http.Handler, pass int) *gate {
	return &gate{next: next, pass: int32(pass), held: make(chan struct{}, 1000), release: make(chan struct{})}
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && g.posts.Add(1) > g.pass {
		g.held <- struct{}{}
		select {
		case <-g.release:
		case <-r.Context().Done():
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

func TestGracefulStopOfAPushFinishesTheRowsInFlight(t *testing.T) {
	e := newLumiEnv(t, 5)
	g := newGate(e.srv, 10)
	hs := httptest.NewServer(g)
	defer hs.Close()
	e.url = hs.URL
	defer g.open()
	const rows = 200
	e.writeLeadsCSV(rows)
	plan := e.pushPlan(4)
	stop := make(chan struct{})
	var requests atomic.Int64
	type result struct {
		sum *pipelines.Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		sum, err := e.run(plan, pipelines.Options{Stop: stop, Observer: func(httpclient.RequestInfo) { requests.Add(1) }})
		done <- result{sum, err}
	}()
	// Four workers end up held at the gate: the batch in hand.
	for range 4 {
		select {
		case <-g.held:
		case <-time.After(30 * time.Second):
			t.Fatal("the push never reached the gate")
		}
	}
	close(stop)
	g.open()
	res := <-done
	if !errors.Is(res.err, pipelines.ErrStopped) {
		t.Fatalf("err = %v, want ErrStopped", res.err)
	}
	sum := res.sum
	if sum.Status != state.RunCancelled || sum.Push.Submitted < 14 || sum.Push.Submitted >= rows || sum.Push.Failed != 0 {
		t.Fatalf("summary: %s %+v", sum.Status, sum.Push)
	}
	if r, _ := store(e).Run(context.Background(), sum.RunID); r.Status != state.RunCancelled || !strings.Contains(r.Error, "the next run sends the rest") {
		t.Errorf("history: %s %q", r.Status, r.Error)
	}
	if requests.Load() == 0 {
		t.Error("the Observer saw no request")
	}
	// Every row handed out was finished and recorded: nothing pending,
	// every sent row has a receipt and a done ledger entry.
	scopes, _ := e.store.LedgerScopes(context.Background(), "backfill-test")
	if len(scopes) != 1 {
		t.Fatalf("scopes %v", scopes)
	}
	if pending, _ := e.store.LedgerList(context.Background(), scopes[0], state.LedgerPending); len(pending) > 0 {
		t.Errorf("%d rows left pending by a graceful stop", len(pending))
	}
	doneRows, _ := e.store.LedgerList(context.Background(), scopes[0], state.LedgerDone)
	sent := len(e.srv.Received())
	if len(doneRows) != sent || sent != sum.Push.Submitted {
		t.Errorf("vendor holds %d, ledger done %d, summary submitted %d", sent, len(doneRows), sum.Push.Submitted)
	}
	if rc := readCSV(t, sum.Push.Receipts); len(rc) != sum.Push.Total {
		t.Errorf("%d receipts for %d rows handled", len(rc), sum.Push.Total)
	}
	// The next run sends the rest, each row once.
	again, err := e.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Push.Submitted != rows-sent {
		t.Errorf("rerun sent %d, want %d", again.Push.Submitted, rows-sent)
	}
	e.exactlyOnce(rows)
}

func store(e *lumiEnv) *state.Store { return e.store }

func TestValidationRejectsABadScheduleWithItsLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.yaml")
	os.WriteFile(path, []byte(`name: sched
schedule: "0 25 * * *"
timezone: Australia/Sydny
on_failure: ftp://example.com/x
source:
  connector: lumi
  config: {base_url: "http://127.0.0.1:1", username: u, password: p}
sink:
  path: lake
`), 0o644)
	_, err := pipelines.Load(t.Context(), path, config.OSEnv)
	var probs config.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("err = %v", err)
	}
	msg := probs.Error()
	for _, want := range []string{
		path + `:2: schedule: "0 25 * * *" is not a valid schedule`,
		path + `:3: timezone: unknown time zone "Australia/Sydny"`,
		path + `:4: on_failure:`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	os.WriteFile(path, []byte("name: sched\nschedule: \"CRON_TZ=Australia/Sydney 0 2 * * *\"\nsource:\n  connector: lumi\n  config: {base_url: \"http://127.0.0.1:1\", username: u, password: p}\nsink:\n  path: lake\n"), 0o644)
	if _, err := pipelines.Load(t.Context(), path, config.OSEnv); err != nil {
		t.Errorf("a valid schedule: %v", err)
	}
}
