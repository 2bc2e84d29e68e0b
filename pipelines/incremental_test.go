package pipelines_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

// TestUnchangedIncrementalPullWritesNothing runs each connector's example
// pull twice against a sandbox nothing changes in between, the second time
// from the first run's cursor, and counts the rows of the second run: every
// version was written by the first, so it must write none. Each connector is
// also run after a push, the way the demo runs it, because what was pushed
// is new at the vendor, inside every lookback window: the pull after it
// writes the pushed rows, and one more pull must write nothing again.
func TestUnchangedIncrementalPullWritesNothing(t *testing.T) {
	for _, tc := range []struct {
		vendor, pull string
		before       []string // pipelines that make the first pull meaningful
		push         []string // pushes whose rows come back in the next pull
	}{
		{vendor: "lumi", pull: "lumi.yaml", push: []string{"backfill-lumi.yaml"}},
		{vendor: "bizcap", pull: "bizcap.yaml", push: []string{"backfill-bizcap.yaml"}},
		{vendor: "lumire", pull: "lumire.yaml", push: []string{"backfill-lumire.yaml", "push-lumire-transactions.yaml"}},
		{vendor: "lofty", pull: "lofty.yaml", push: []string{"backfill-lofty.yaml"}},
		{vendor: "iute", pull: "iute.yaml", before: []string{"iute-applications.yaml"}, push: []string{"iute-repayments.yaml"}},
	} {
		t.Run(tc.vendor, func(t *testing.T) {
			run, err := sandbox.Start("127.0.0.1:0", sandbox.Options{Seed: 1}, tc.vendor)
			if err != nil {
				t.Fatal(err)
			}
			defer run.Close()
			for _, sb := range run.Sandboxes {
				if w, ok := sb.(interface{ SetRateWindow(time.Duration) }); ok {
					w.SetRateWindow(50 * time.Millisecond)
				}
			}
			env := run.Env()
			dir := t.TempDir()
			env["LEADPIPE_LAKE"] = filepath.Join(dir, "lake")
			for _, v := range []string{"LUMI", "IUTE", "BIZCAP", "LUMIRE", "LOFTY"} {
				env[v+"_RATE_LIMIT"], env[v+"_PUSH_RATE"] = "500", "500"
			}
			copyExamples(t, dir)
			st, err := state.Open(filepath.Join(dir, "state.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			runOne := func(name string) *pipelines.Summary {
				t.Helper()
				plan, err := pipelines.Load(t.Context(), filepath.Join(dir, name), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
				if err != nil {
					t.Fatalf("load %s: %v", name, err)
				}
				sum, err := pipelines.Run(context.Background(), plan, st, pipelines.Options{})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				return sum
			}
			for _, b := range tc.before {
				runOne(b)
			}
			if first := runOne(tc.pull); first.TotalRows() == 0 {
				t.Fatalf("the first pull wrote nothing: the test would prove nothing")
			}
			if again := runOne(tc.pull); again.TotalRows() != 0 {
				t.Errorf("an unchanged second pull wrote %v", again.Rows)
			}
			for _, p := range tc.push {
				if sum := runOne(p); sum.Push == nil || sum.Push.Submitted == 0 {
					t.Fatalf("%s sent nothing: the test would prove nothing", p)
				}
			}
			if after := runOne(tc.pull); after.TotalRows() == 0 {
				t.Errorf("the pull after %v wrote nothing: the pushed rows did not come back", tc.push)
			}
			if again := runOne(tc.pull); again.TotalRows() != 0 {
				t.Errorf("an unchanged pull after the push wrote %v", again.Rows)
			}
		})
	}
}
