package reconcile_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/config"
	_ "github.com/leadpipe/leadpipe/connectors/all" // every connector and sandbox
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/reconcile"
)

// TestReconcileSandboxIntegration runs the example pipelines of Lumi and
// Iute against the vendor sandboxes over real HTTP (pull, push the leads,
// pull again; submit loans, pull, insert repayments, pull again). The
// report then reconciles: every pushed lead is found, every repayment shows
// in the loan's repaid balance. Then two mismatches are seeded the way they
// happen in production: a teller takes a repayment at Iute outside
// leadpipe, and the ledger holds a lead the vendor never received. Both
// must come out as exceptions, with the loan ref and the exact difference.
func TestReconcileSandboxIntegration(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx := context.Background()
	run, err := sandbox.Start("127.0.0.1:0", sandbox.Options{}, "lumi", "iute")
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	dir := t.TempDir()
	lake := filepath.Join(dir, "lake")
	env := run.Env()
	env["LEADPIPE_LAKE"] = lake
	for _, k := range []string{"LUMI_RATE_LIMIT", "IUTE_RATE_LIMIT"} {
		env[k] = "500"
	}
	for _, k := range []string{"LUMI_PUSH_RATE", "IUTE_PUSH_RATE"} {
		env[k] = "200"
	}
	lookup := func(name string) (string, bool) {
		if v, ok := env[name]; ok {
			return v, true
		}
		return os.LookupEnv(name)
	}
	store, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	runExample := func(name string) {
		t.Helper()
		plan, err := pipelines.Load(t.Context(), filepath.Join("..", "examples", name), config.LookupEnv(lookup))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := pipelines.Run(ctx, plan, store, pipelines.Options{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"lumi.yaml", "backfill-lumi.yaml", "lumi.yaml",
		"iute-applications.yaml", "iute.yaml", "iute-repayments.yaml", "iute.yaml"} {
		runExample(name)
	}

	report := func(now time.Time) *reconcile.Report {
		t.Helper()
		r, err := reconcile.Build(ctx, reconcile.Options{Lake: lake, Store: store, Location: time.UTC,
			Day: now, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := report(time.Now())
	for _, e := range r.Exceptions {
		if e.Kind == reconcile.ExcNotSeen || e.Kind == reconcile.ExcRepayment {
			t.Errorf("before any mismatch: exception %s %s: %s", e.Kind, e.Ref, e.Detail)
		}
	}
	var lumiLeads *reconcile.Submissions
	for i, s := range r.Submissions {
		if s.Vendor == "lumi" && s.Target == "leads" && s.Period == "day" {
			lumiLeads = &r.Submissions[i]
		}
	}
	if lumiLeads == nil || lumiLeads.Accepted == 0 || lumiLeads.Found != lumiLeads.Accepted || lumiLeads.RejectedValidation == 0 {
		t.Errorf("lumi leads: %+v (want every accepted row found, and the example's invalid rows counted)", lumiLeads)
	}
	okLoans := 0
	for _, rp := range r.Repayments {
		if rp.Period != "day" {
			continue
		}
		if rp.Status != reconcile.RepaymentOK {
			t.Errorf("loan %s: %s (difference %d cents)", rp.LoanRef, rp.Status, rp.Difference)
		}
		okLoans++
	}
	if okLoans == 0 {
		t.Fatal("no repayment was reconciled")
	}

	// A repayment of 10.00 on loan 90000 taken at the counter, not through
	// leadpipe.
	q := url.Values{"loanRef": {"90000"}, "date": {time.Now().Format("02012006")}, "amount": {"10.00"}, "partner_type": {env["IUTE_PARTNER_TYPE"]}}
	req, _ := http.NewRequest(http.MethodGet, env["IUTE_BASE_URL"]+"/insert/repayment?"+q.Encode(), nil)
	req.SetBasicAuth(env["IUTE_USERNAME"], env["IUTE_PASSWORD"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("out-of-band repayment: HTTP %d", resp.StatusCode)
	}
	// A lead the ledger says Lumi accepted two days ago, which Lumi never
	// received.
	scopes, _ := store.LedgerScopes(ctx, "backfill-lumi")
	if len(scopes) != 1 || !strings.HasPrefix(scopes[0], "lumi/leads") {
		t.Fatalf("ledger scopes of backfill-lumi: %v", scopes)
	}
	store.SetClock(func() time.Time { return time.Now().Add(-48 * time.Hour) })
	if err := store.MarkPending(ctx, state.LedgerEntry{Scope: scopes[0], Key: "P-GHOST", ContentHash: "x", Pipeline: "backfill-lumi", RunID: "r0", Row: 99}); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkDone(ctx, scopes[0], "P-GHOST", "0000000000000000000ghost", 200, nil); err != nil {
		t.Fatal(err)
	}
	store.SetClock(time.Now)
	runExample("iute.yaml") // the pull sees the counter repayment

	r = report(time.Now())
	var diff, ghost *reconcile.Exception
	for i, e := range r.Exceptions {
		switch {
		case e.Kind == reconcile.ExcRepayment && e.Ref == "loan 90000":
			diff = &r.Exceptions[i]
		case e.Kind == reconcile.ExcNotSeen && e.Ref == "P-GHOST":
			ghost = &r.Exceptions[i]
		case e.Kind == reconcile.ExcNotSeen || e.Kind == reconcile.ExcRepayment:
			t.Errorf("unexpected exception %s %s: %s", e.Kind, e.Ref, e.Detail)
		}
	}
	if diff == nil || !strings.Contains(diff.Detail, "difference MDL 10.00") {
		t.Errorf("the counter repayment is not a repayment difference of MDL 10.00 on loan 90000: %+v\n%s", diff, r.ExceptionSummary())
	}
	if ghost == nil || ghost.Vendor != "lumi" {
		t.Errorf("the lead Lumi never received is not reported: %+v", ghost)
	}
}
