package iute_test

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/iute/iutetest"
	"github.com/leadpipe/leadpipe/schema"
)

// TestCanceledIsReadLikeCancelled runs the sandbox spelling a withdrawn
// loan's loan_status the US way: the loan is lost, nothing is counted as
// unknown, and it is not polled again.
func TestCanceledIsReadLikeCancelled(t *testing.T) {
	e := start(t, 40)
	e.srv.SetUSSpelling(true)
	cfg := e.config(t, e.refsYAML())
	first := e.read(t, cfg, nil)
	cancelled := map[string]bool{}
	for _, l := range e.srv.Loans() {
		if l.Status == iutetest.StatusCancelled {
			cancelled[strconv.Itoa(l.Ref)] = true
		}
	}
	if len(cancelled) == 0 {
		t.Fatal("the dataset has no cancelled loan")
	}
	for _, l := range first.batch.Loans {
		if !cancelled[l.VendorLoanID] {
			continue
		}
		if l.Status != schema.StatusLost || l.VendorStatus != "loan_status:canceled" {
			t.Errorf("loan %s: %s / %s, want lost / loan_status:canceled", l.VendorLoanID, l.Status, l.VendorStatus)
		}
	}
	if n := first.unknown.Total(); n != 0 {
		t.Errorf("canceled counted as unknown: %v", first.unknown.List())
	}
	for ref := range cancelled {
		if !strings.Contains(first.cursors["loans"], " "+ref+"=f") {
			t.Errorf("cancelled loan %s is not final in the cursor %s", ref, first.cursors["loans"])
		}
	}
}

// TestALoanInAnUnknownStateIsPolledAtMostMaxUnknownPollsTimes keeps a loan
// in a state no answer explains (an undocumented loan_status) and runs the
// pull more times than max_unknown_polls allows: it is polled that many
// times, then reported (counted for the summary and the reconciliation
// report, with a note) and never asked about again.
func TestALoanInAnUnknownStateIsPolledAtMostMaxUnknownPollsTimes(t *testing.T) {
	e := start(t, 40)
	refs := e.srv.InjectUnknownValues()
	var stuck string
	for _, ref := range refs {
		if l, _ := e.srv.Loan(ref); l.Status == iutetest.StatusNew {
			stuck = strconv.Itoa(ref) // check/status <approved>under_review</approved>
		}
	}
	if stuck == "" {
		t.Fatalf("no application with an unknown state among %v", refs)
	}
	// Every request naming the loan is counted on its way to the sandbox.
	var n atomic.Int64
	e.http.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("loan_ref") == stuck || r.Form.Get("loanRef") == stuck {
			n.Add(1)
		}
		e.srv.ServeHTTP(w, r)
	})
	cfg := e.config(t, e.refsYAML()+"max_unknown_polls: 3\n")
	asked := func() int { return int(n.Load()) }
	var state map[string]string
	var stoppedAt int
	for run := 1; run <= 6; run++ {
		before := asked()
		res := e.read(t, cfg, state)
		state = res.cursors
		polled := asked() > before
		stopped := false
		for _, u := range res.unknown.List() {
			if u.Field == "loan.polling_stopped" && strings.HasPrefix(u.Value, stuck+" ") {
				stopped = true
			}
		}
		switch {
		case run <= 3 && !polled:
			t.Fatalf("run %d did not poll loan %s", run, stuck)
		case run > 3 && polled:
			t.Errorf("run %d polled loan %s again, after %d runs in an unknown state", run, stuck, 3)
		}
		if stopped {
			stoppedAt = run
			notes := strings.Join(res.unknown.Notes(), "\n")
			if !strings.Contains(notes, "loan "+stuck+" stopped being polled") {
				t.Errorf("no note about it: %q", notes)
			}
		}
		e.Advance(time.Hour)
	}
	if stoppedAt != 3 {
		t.Errorf("polling of loan %s stopped at run %d, want 3", stuck, stoppedAt)
	}
	// A full refresh asks again.
	before := asked()
	e.read(t, cfg, nil)
	if asked() == before {
		t.Error("a full refresh did not poll the loan again")
	}
}
