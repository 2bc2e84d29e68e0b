package lofty_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	_ "github.com/leadpipe/leadpipe/sinks/storage/local"
	_ "github.com/leadpipe/leadpipe/sinks/storage/s3"
)

// engineEnv loads a shipped example against the sandbox e and opens a
// state store in a temporary directory.
func engineEnv(t *testing.T, e *env, name string) (*pipelines.Plan, *state.Store) {
	t.Helper()
	vars := e.srv.Env(e.http.URL)
	vars["LEADPIPE_LAKE"] = t.TempDir()
	plan, err := pipelines.Load(t.Context(), filepath.Join(examplesDir, name), func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	store, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return plan, store
}

// TestPullExampleThroughTheEngine runs examples/lofty.yaml with the real
// engine twice: a full pull, then an incremental one that reads nothing new.
func TestPullExampleThroughTheEngine(t *testing.T) {
	e := start(t, 40)
	plan, store := engineEnv(t, e, "lofty.yaml")
	ctx := context.Background()
	first, err := pipelines.Run(ctx, plan, store, pipelines.Options{Now: e.clock})
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	tr := sandboxTruth(e)
	if first.Rows["leads"] != int64(tr.leads) || first.Rows["events"] != int64(tr.events()) {
		t.Errorf("first run rows %v, sandbox has %d leads, %d events", first.Rows, tr.leads, tr.events())
	}
	if first.HTTP.Requests == 0 || first.HTTP.RateLimited != 0 {
		t.Errorf("first run HTTP %+v", first.HTTP)
	}
	e.advance(time.Hour)
	second, err := pipelines.Run(ctx, plan, store, pipelines.Options{Now: e.clock})
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if second.TotalRows() != 0 {
		t.Errorf("the incremental run read %v", second.Rows)
	}
	if got, want := second.HTTP.Requests, int64(cost(0, 100, 1000, nil, 0, 0, 0)); got != want {
		t.Errorf("the incremental run made %d requests, the formula says %d", got, want)
	}
}

// TestBackfillExampleThroughTheEngine pushes examples/backfill-lofty.yaml with
// the real push engine: six rows rejected with reasons, five leads created
// and one found; a rerun sends nothing; a crash after Lofty created a lead
// is recovered by Lookup without a duplicate.
func TestBackfillExampleThroughTheEngine(t *testing.T) {
	e := start(t, 5)
	plan, store := engineEnv(t, e, "backfill-lofty.yaml")
	ctx := context.Background()

	// The process dies right after Lofty created the third lead.
	var sends atomic.Int32
	crash := func(point string) error {
		if point == pipelines.PointAfterSend {
			if sends.Add(1) == 3 {
				return pipelines.ErrCrashed
			}
		}
		return nil
	}
	if _, err := pipelines.Run(ctx, plan, store, pipelines.Options{Now: e.clock, CrashAt: crash}); !errors.Is(err, pipelines.ErrCrashed) {
		t.Fatalf("crashed run: %v", err)
	}
	created := e.srv.CreateCount()

	sum, err := pipelines.Run(ctx, plan, store, pipelines.Options{Now: e.clock})
	if err != nil {
		t.Fatalf("recovery run: %v", err)
	}
	p := sum.Push
	if p.Rejected != 6 || p.Recovered < 1 || p.NeedsHuman != 0 || p.Failed != 0 {
		t.Errorf("recovery run: %+v", p)
	}
	if n := e.srv.CreateCount(); n != 5 {
		t.Errorf("%d leads created in all (%d before the recovery), want 5", n, created)
	}
	for email, n := range e.srv.CreatesByEmail() {
		if n > 1 {
			t.Errorf("%s created %d times", email, n)
		}
	}

	again, err := pipelines.Run(ctx, plan, store, pipelines.Options{Now: e.clock})
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if again.Push.Submitted != 0 || e.srv.CreateCount() != 5 {
		t.Errorf("the rerun sent rows again: %+v", again.Push)
	}
}
