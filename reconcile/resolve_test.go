package reconcile_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/reconcile"
)

// writeLake writes CSV lake files: table/vendor=v/dt=d/part-<name>.csv.
func writeLake(t *testing.T, lake string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(lake, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const loansHeader = "loan_uid,vendor_loan_id,lead_uid,status,vendor_status,principal,repaid,currency,funded_at,created_at,updated_at,vendor,extracted_at,run_id\n"

// TestResolveTurnsAnExceptionIntoFound: an Iute application whose answer
// was lost needs a human; once a person finds loan 90211 at Iute and
// resolves the row, the report counts it as found and the exception is
// gone.
func TestResolveTurnsAnExceptionIntoFound(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lake := filepath.Join(dir, "lake")
	writeLake(t, lake, map[string]string{
		"loans/vendor=iute/dt=2026-11-21/part-r1-0.csv": loansHeader +
			"iute:90211,90211,,approved,loan_info:1,6000.00,0.00,MDL,,2026-11-20T21:00:00Z,,iute,2026-11-21T03:00:00Z,r1\n",
	})
	store, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sent := time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC)
	store.SetClock(func() time.Time { return sent })
	const scope = "iute/loans"
	if err := store.MarkPending(ctx, state.LedgerEntry{Scope: scope, Key: "APP-7", ContentHash: "h", Pipeline: "iute-apps", RunID: "r0", Row: 7}); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkNeedsHuman(ctx, scope, "APP-7", "the connection failed after sending and the vendor offers no lookup; check at the vendor: client 2001234567890 Ion Rusu", nil); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC)
	o := reconcile.Options{Lake: lake, Store: store, Now: func() time.Time { return now }, Location: time.UTC, Day: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}
	apps := func(r *reconcile.Report) reconcile.Submissions {
		for _, s := range r.Submissions {
			if s.Vendor == "iute" && s.Target == "loans" && s.Period == "mtd" {
				return s
			}
		}
		t.Fatalf("no iute/loans submissions row: %+v", r.Submissions)
		return reconcile.Submissions{}
	}

	before, err := reconcile.Build(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if s := apps(before); s.NeedsHuman != 1 || s.Found != 0 || len(before.Exceptions) != 1 || before.Exceptions[0].Kind != reconcile.ExcNeedsHuman {
		t.Fatalf("before: %+v, exceptions %v", s, before.ExceptionSummary())
	}
	if !strings.Contains(before.Exceptions[0].Detail, "check at the vendor: client 2001234567890 Ion Rusu") {
		t.Errorf("the exception lost the check-at-the-vendor detail: %s", before.Exceptions[0].Detail)
	}

	if _, err := store.Resolve(ctx, scope, "APP-7", "90211", "resolved by hand: found at the vendor as 90211", nil); err != nil {
		t.Fatal(err)
	}
	after, err := reconcile.Build(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if s := apps(after); s.NeedsHuman != 0 || s.Accepted != 1 || s.Found != 1 || len(after.Exceptions) != 0 {
		t.Errorf("after resolve: %+v, exceptions %v", s, after.ExceptionSummary())
	}
	if _, err := store.Resolve(ctx, scope, "APP-7", "90211", "again", nil); err == nil {
		t.Error("resolving a done row again succeeded")
	}
}
