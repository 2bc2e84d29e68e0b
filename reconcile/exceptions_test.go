package reconcile_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/reconcile"
)

// TestSeededMismatchesAreExceptions: the basic case seeds a lead the vendor
// never received (P-3), a repayment the vendor's balance shows 50.00 short
// (loan 90006), a crashed push, a row that needs a human, a pipeline that
// never ran and an unknown status. Each is exactly one exception; the rows
// that do reconcile (P-1 found, P-4 still young, loan 90000) are not.
func TestSeededMismatchesAreExceptions(t *testing.T) {
	o := loadCase(t, "testcases/basic")
	r, err := reconcile.Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]reconcile.Exception{}
	for _, e := range r.Exceptions {
		got[e.Kind+" "+e.Vendor+" "+e.Ref] = e
	}
	want := map[string]string{
		"not_seen lumi P-3":                       "vendor id L3",
		"repayment_difference iute loan 90006":    "difference MDL -50.00",
		"pending_push bizcap BZ-2":                "run-bizcap-crash",
		"needs_human iute R-3":                    "the unconfirmed repayments of loan 90000 (MDL 75.00) most likely did not arrive",
		"stale_pipeline lofty lofty":              "never succeeded",
		"no_data lofty lake":                      "has no lofty data",
		"unknown_values lumi lead.status=ON_HOLD": "seen 2 times",
	}
	for k, detail := range want {
		e, ok := got[k]
		if !ok {
			t.Errorf("missing exception %q; have %v", k, keys(got))
			continue
		}
		if !strings.Contains(e.Detail, detail) {
			t.Errorf("%s: detail %q does not say %q", k, e.Detail, detail)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d exceptions, want %d: %v", len(got), len(want), keys(got))
	}

	// The repayment row carries the numbers, per period.
	var rows []reconcile.Repayment
	for _, rp := range r.Repayments {
		if rp.LoanRef == "90006" && rp.Period == "day" {
			rows = append(rows, rp)
		}
	}
	if len(rows) != 1 || rows[0].Expected != 50000 || rows[0].VendorChange != 45000 || rows[0].Difference != -5000 || rows[0].Status != reconcile.RepaymentDifference {
		t.Errorf("loan 90006: %+v", rows)
	}

	// A day later P-4 (accepted 10h before the report) is overdue too.
	later := o
	at := o.Now().Add(24 * time.Hour)
	later.Now = func() time.Time { return at }
	later.Day = o.Now().In(o.Location).AddDate(0, 0, -1)
	r2, err := reconcile.Build(context.Background(), later)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range r2.Exceptions {
		if e.Kind == reconcile.ExcNotSeen && e.Ref == "P-4" {
			found = true
		}
	}
	if !found {
		t.Errorf("P-4 not reported as not seen 34h after it was accepted: %v", r2.ExceptionSummary())
	}
}

func keys(m map[string]reconcile.Exception) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
