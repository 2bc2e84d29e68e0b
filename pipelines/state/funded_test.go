package state_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/pipelines/state"
)

// A loan's first-seen funding time is kept once its run committed; a
// failed run's is replaced by the next run that sees the loan funded; a
// loan not seen funded gets none; a dry run records nothing.
func TestFirstSeenFunded(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t1 := time.Date(2026, 11, 1, 2, 3, 4, 567891000, time.UTC)
	t2, t3 := t1.Add(24*time.Hour), t1.Add(48*time.Hour)
	begin := func(id string, at time.Time) {
		if err := st.BeginRun(ctx, state.Run{ID: id, Pipeline: "p", Kind: "pull", StartedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	seen := func(id string, at time.Time, loans map[string]bool, record bool) map[string]time.Time {
		t.Helper()
		m, err := st.FirstSeenFunded(ctx, id, at, loans, record)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	// r1 sees A funded and B not; it asks again in a later batch.
	begin("r1", t1)
	if m := seen("r1", t1, map[string]bool{"iute:A": true, "iute:B": false}, true); !m["iute:A"].Equal(t1) || len(m) != 1 {
		t.Fatalf("r1: %v", m)
	}
	if m := seen("r1", t1, map[string]bool{"iute:A": true}, true); !m["iute:A"].Equal(t1) {
		t.Errorf("r1's second batch: %v", m)
	}
	// r1 failed: r2 sees A funded again and its time replaces r1's.
	if err := st.FinishRun(ctx, "r1", state.RunFailed, "boom", nil); err != nil {
		t.Fatal(err)
	}
	begin("r2", t2)
	if m := seen("r2", t2, map[string]bool{"iute:A": true}, true); !m["iute:A"].Equal(t2) {
		t.Errorf("after a failed run: %v, want r2's time", m)
	}
	if err := st.CommitRun(ctx, "r2", "p", nil, nil); err != nil {
		t.Fatal(err)
	}
	// r3 (A repaid and no longer reported funded) keeps r2's time; a dry
	// run sees C funded but records nothing.
	begin("r3", t3)
	if m := seen("r3", t3, map[string]bool{"iute:A": false, "iute:C": true}, false); !m["iute:A"].Equal(t2) || !m["iute:C"].Equal(t3) {
		t.Errorf("r3: %v", m)
	}
	if m := seen("r4", t3.Add(time.Hour), map[string]bool{"iute:C": false}, true); len(m) != 0 {
		t.Errorf("a dry run recorded C: %v", m)
	}
}
