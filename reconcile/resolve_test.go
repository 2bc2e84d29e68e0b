package reconcile_test

import (
	"context"
	"fmt"
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

// openStore opens a fresh state store in dir.
func openStore(t *testing.T, dir string) *state.Store {
	t.Helper()
	store, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// record puts a ledger row as a push leaves it at time at: pending, then
// done (with e.VendorID) or needing a human (with note).
func record(t *testing.T, store *state.Store, at time.Time, e state.LedgerEntry, status, note string) {
	t.Helper()
	ctx := context.Background()
	store.SetClock(func() time.Time { return at })
	e.ContentHash, e.RunID, e.Row = "h", "r0", max(e.Row, 1)
	err := store.MarkPending(ctx, e)
	if err == nil && status == state.LedgerDone {
		err = store.MarkDone(ctx, e.Scope, e.Key, e.VendorID, 200, nil)
	}
	if err == nil && status == state.LedgerNeedsHuman {
		err = store.MarkNeedsHuman(ctx, e.Scope, e.Key, note, nil)
	}
	if err != nil {
		t.Fatal(err)
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
	store := openStore(t, dir)
	const scope = "iute/loans"
	record(t, store, time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC), state.LedgerEntry{Scope: scope, Key: "APP-7", Pipeline: "iute-apps", Row: 7},
		state.LedgerNeedsHuman, "the connection failed after sending and the vendor offers no lookup; check at the vendor: client 2001234567890 Ion Rusu")
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

// TestImportedLoanBookDoesNotMoveTheDaysFunded: an Iute office imports its
// loan book (300 loans leadpipe first pulls already funded) on the report
// day, and leadpipe pays out one loan it submitted. Only that loan is
// funded that day; the book is "tracked from" the day, "funded before
// tracking", and is not in the funnel either.
func TestImportedLoanBookDoesNotMoveTheDaysFunded(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lake := filepath.Join(dir, "lake")
	// The pull stamps each with funded_at = its first sighting, and says
	// so in funded_at_source: no funding date.
	var book strings.Builder
	book.WriteString(strings.Replace(loansHeader, ",run_id", ",run_id,funded_at_source", 1))
	for i := range 300 {
		fmt.Fprintf(&book, "iute:%d,%d,,funded,loan_info:0,10000.00,2500.00,MDL,2026-11-21T01:00:00Z,,,iute,2026-11-21T01:00:00Z,r2,first_seen\n", 80000+i, 80000+i)
	}
	writeLake(t, lake, map[string]string{
		"loans/vendor=iute/dt=2026-11-21/part-r2-0.csv": book.String(),
		// the loan leadpipe submitted: approved at the first poll, funded
		// after leadpipe confirmed its cash release
		"loans/vendor=iute/dt=2026-11-20/part-r1-0.csv": loansHeader +
			"iute:90300,90300,,approved,check_status:true,6000.00,,MDL,,,,iute,2026-11-20T05:00:00Z,r1\n",
		"loans/vendor=iute/dt=2026-11-21/part-r3-0.csv": loansHeader +
			"iute:90300,90300,,funded,loan_info:0,6000.00,0.00,MDL,,,,iute,2026-11-21T05:00:00Z,r3\n",
	})
	store := openStore(t, dir)
	record(t, store, time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC), state.LedgerEntry{Scope: "iute/loans", Key: "APP-300", Pipeline: "p", VendorID: "90300"}, state.LedgerDone, "")
	record(t, store, time.Date(2026, 11, 21, 4, 0, 0, 0, time.UTC), state.LedgerEntry{Scope: "iute/cash_releases", Key: "90300", Pipeline: "p", VendorID: "90300"}, state.LedgerDone, "")
	now := time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC)
	r, err := reconcile.Build(ctx, reconcile.Options{Lake: lake, Store: store, Now: func() time.Time { return now }, Location: time.UTC,
		Day: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var day []reconcile.Funded
	for _, f := range r.Funded {
		if f.Period == "day" {
			day = append(day, f)
		}
	}
	if len(day) != 1 || day[0].Vendor != "iute" || day[0].Loans != 1 || day[0].Principal != 600000 || day[0].DatedBy != reconcile.DatedByPayout {
		t.Errorf("the day's funded: %+v, want only loan 90300 (MDL 6,000.00), dated by its payout", day)
	}
	if len(r.FundedByDay) != 1 || r.FundedByDay[0].Day != "2026-11-21" || r.FundedByDay[0].Loans != 1 {
		t.Errorf("funded by day: %+v", r.FundedByDay)
	}
	if len(r.Undated) != 1 || r.Undated[0].Loans != 300 || r.Undated[0].Principal != 300*1000000 ||
		r.Undated[0].Describe() != "tracked from 2026-11-21, funded before tracking" {
		t.Errorf("undated: %+v", r.Undated)
	}
	for _, f := range r.Funnel {
		if f.Vendor == "iute" && f.Total != 1 {
			t.Errorf("the funnel counts the imported book: %+v", f)
		}
	}
	md := r.Markdown()
	if !strings.Contains(md, "| iute | MDL | 300 | 3,000,000.00 | 2026-11-21 | — | tracked from 2026-11-21, funded before tracking |") {
		t.Errorf("the Markdown does not show the book as funded before tracking:\n%s", md)
	}
}

// TestUnconfirmedRepaymentShowsItsEvidence: a repayment whose answer was
// lost (needs_human) is the loan's only repayment; the loan's repaid moved
// by exactly its amount. The repayments section shows the loan, and the
// exception says the balance is evidence it arrived and how to resolve it.
func TestUnconfirmedRepaymentShowsItsEvidence(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lake := filepath.Join(dir, "lake")
	writeLake(t, lake, map[string]string{
		"loans/vendor=iute/dt=2026-11-20/part-r1-0.csv": loansHeader +
			"iute:90211,90211,,funded,loan_info:0,6000.00,1000.00,MDL,,,,iute,2026-11-20T05:00:00Z,r1\n",
		"loans/vendor=iute/dt=2026-11-21/part-r2-0.csv": loansHeader +
			"iute:90211,90211,,funded,loan_info:0,6000.00,1075.50,MDL,,,,iute,2026-11-21T05:00:00Z,r2\n",
	})
	store := openStore(t, dir)
	extra := map[string]string{"loan_ref": "90211", "amount": "75.50", "date": "21112026", "currency": "MDL"}
	record(t, store, time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC), state.LedgerEntry{Scope: "iute/repayments", Key: "RF-0016", Pipeline: "iute-repay", Row: 16, Extra: extra},
		state.LedgerNeedsHuman, "the connection failed after sending and Iute has no lookup")
	now := time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC)
	o := reconcile.Options{Lake: lake, Store: store, Now: func() time.Time { return now }, Location: time.UTC, Day: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}
	r, err := reconcile.Build(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	var rows []reconcile.Repayment
	for _, rp := range r.Repayments {
		if rp.Period == "day" {
			rows = append(rows, rp)
		}
	}
	if len(rows) != 1 || rows[0].LoanRef != "90211" || rows[0].Pushes != 0 || rows[0].Unconfirmed != 1 || rows[0].UnconfirmedAmount != 7550 ||
		rows[0].VendorChange != 7550 || rows[0].Status != reconcile.RepaymentUnconfirmedIn {
		t.Fatalf("repayments of the day: %+v", rows)
	}
	if len(r.Exceptions) != 1 || r.Exceptions[0].Kind != reconcile.ExcNeedsHuman ||
		!strings.Contains(r.Exceptions[0].Detail, "is exactly the unconfirmed repayments of loan 90211: they most likely arrived") ||
		!strings.Contains(r.Exceptions[0].Detail, "`leadpipe ledger resolve --pipeline iute-repay RF-0016 --vendor-id 90211`") {
		t.Errorf("exceptions: %+v", r.Exceptions)
	}
	// Resolved: the repayment is confirmed, and the balance agrees.
	if _, err := store.Resolve(ctx, "iute/repayments", "RF-0016", "90211", "found in the back office", nil); err != nil {
		t.Fatal(err)
	}
	r, err = reconcile.Build(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Exceptions) != 0 || r.Repayments[0].Status != reconcile.RepaymentOK || r.Repayments[0].Pushes != 1 {
		t.Errorf("after resolve: %+v %v", r.Repayments, r.ExceptionSummary())
	}
}
