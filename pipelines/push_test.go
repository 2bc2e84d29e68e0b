package pipelines_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sinks/laketest"
)

const backfillPipeline = `name: backfill-test
source:
  file:
    path: leads.csv
push:
  connector: lumi
  target: leads
  config:
    base_url: ${LUMI_BASE_URL}
    username: ${LUMI_USERNAME}
    password: ${LUMI_PASSWORD}
    rate_limit: 1000
    page_size: 100
  key: [ref]
  fields:
    customer.first_name: first
    customer.last_name: last
    customer.email: email
    customer.phone: phone
    company.name: company
    company.abn: abn
    loan.requested_amount: amount
    loan.installments: weeks
    loan.reason_for_loan: reasons
  receipts: out/receipts
  rejects: out/rejects
  concurrency: %d
`

// writeLeadsCSV writes n valid rows plus the given extra rows.
func (e *lumiEnv) writeLeadsCSV(n int, extra ...string) {
	e.t.Helper()
	var b strings.Builder
	b.WriteString("ref,first,last,email,phone,company,abn,amount,weeks,reasons\n")
	for i := range n {
		fmt.Fprintf(&b, "R%05d,First%d,Last%d,lead%d@example.com.au,04%08d,Company %d,%d,\"%d,000\",52,cash_flow|buy_equipment\n",
			i+1, i, i, i, 10000000+i, i, 51824753000+i, 5+i%200)
	}
	for _, x := range extra {
		b.WriteString(x + "\n")
	}
	if err := os.WriteFile(filepath.Join(e.dir, "leads.csv"), []byte(b.String()), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *lumiEnv) pushPlan(concurrency int) *pipelines.Plan {
	e.t.Helper()
	path := filepath.Join(e.dir, "backfill.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(backfillPipeline, concurrency)), 0o644); err != nil {
		e.t.Fatal(err)
	}
	plan, err := pipelines.Load(e.t.Context(), path, e.env)
	if err != nil {
		e.t.Fatalf("load: %v", err)
	}
	return plan
}

func readCSV(t *testing.T, loc string) []map[string]string {
	t.Helper()
	f, err := os.Open(strings.TrimPrefix(loc, "file://"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// exactlyOnce checks that the sandbox holds each of the n valid rows once.
func (e *lumiEnv) exactlyOnce(n int) {
	e.t.Helper()
	for i := range n {
		ref := fmt.Sprintf("R%05d", i+1)
		if c := e.srv.CountByExternalID(ref); c != 1 {
			e.t.Errorf("row %s reached the vendor %d times", ref, c)
		}
	}
}

func TestPushSendsEachRowOnceAndRerunSendsNothing(t *testing.T) {
	e := newLumiEnv(t, 5)
	e.writeLeadsCSV(40,
		`BAD1,Amy,Low,amy@example.com.au,0412345678,Low Pty,51824753556,"1,000",52,cash_flow`,
		`BAD2,Ben,Phone,ben@example.com.au,555-1234,Phone Pty,51824753556,"20,000",52,cash_flow`,
		`BAD3,Cat,Term,cat@example.com.au,0412345679,Term Pty,51824753556,"20,000",90,cash_flow`,
		`BAD4,,NoName,nn@example.com.au,0412345670,NoName Pty,51824753556,"20,000",52,cash_flow`)
	plan := e.pushPlan(4)
	sum, err := e.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := sum.Push
	if p.Total != 44 || p.Submitted != 40 || p.Rejected != 4 || p.Failed != 0 {
		t.Fatalf("first push: %+v", p)
	}
	e.exactlyOnce(40)
	receipts := readCSV(t, p.Receipts)
	if len(receipts) != 44 {
		t.Fatalf("%d receipts for 44 rows", len(receipts))
	}
	for i, r := range receipts {
		if r["row"] != fmt.Sprint(i+1) {
			t.Fatalf("receipt %d is for row %s: receipts are not in row order", i, r["row"])
		}
		if i < 40 && (r["outcome"] != "submitted" || r["vendor_id"] == "" || r["key"] != fmt.Sprintf("R%05d", i+1)) {
			t.Errorf("receipt %d: %v", i, r)
		}
	}
	rejects := readCSV(t, p.RejectsFile)
	want := map[string]string{
		"41": "loan.requested_amount", "42": "customer.phone", "43": "loan.installments", "44": "customer.first_name",
	}
	got := map[string]string{}
	for _, r := range rejects {
		got[r["row"]] = r["field"]
		if r["reason"] == "" || r["column"] == "" {
			t.Errorf("reject without column or reason: %v", r)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rejects by row = %v, want %v", got, want)
	}
	if attempts := e.srv.Attempts(); attempts != 40 {
		t.Errorf("the vendor saw %d requests; rejected rows must never be sent", attempts)
	}

	// The same file again sends nothing.
	again, err := e.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Push.Submitted != 0 || again.Push.SkippedDuplicate != 40 || again.Push.Rejected != 4 {
		t.Errorf("rerun: %+v", again.Push)
	}
	if attempts := e.srv.Attempts(); attempts != 40 {
		t.Errorf("the rerun sent %d requests", attempts-40)
	}

	// An edited file sends only the new row; the edited one is skipped
	// (on_change: skip) and says so.
	e.writeLeadsCSV(41)
	csvPath := filepath.Join(e.dir, "leads.csv")
	b, _ := os.ReadFile(csvPath)
	edited := strings.Replace(string(b), "First0,", "Firstly,", 1)
	os.WriteFile(csvPath, []byte(edited), 0o644)
	third, err := e.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if third.Push.Submitted != 1 || third.Push.SkippedDuplicate != 40 {
		t.Errorf("edited file: %+v", third.Push)
	}
	rs := readCSV(t, third.Push.Receipts)
	if !strings.Contains(rs[0]["error"], "changed since it was sent") {
		t.Errorf("edited row's receipt: %v", rs[0])
	}
	e.exactlyOnce(41)
}

func TestPushCrashBetweenSendAndLedgerSendsNoRowTwice(t *testing.T) {
	for _, point := range []string{pipelines.PointAfterSend, pipelines.PointAfterPending} {
		t.Run(point, func(t *testing.T) {
			e := newLumiEnv(t, 5)
			e.writeLeadsCSV(1000)
			plan := e.pushPlan(8)
			var sends atomic.Int64
			_, err := e.run(plan, pipelines.Options{CrashAt: func(p string) error {
				if p == point && sends.Add(1) == 400 {
					return pipelines.ErrCrashed
				}
				return nil
			}})
			if !errors.Is(err, pipelines.ErrCrashed) {
				t.Fatalf("want the simulated crash, got %v", err)
			}
			before := len(e.srv.Received())
			if before < 390 || before > 420 {
				t.Logf("the vendor had %d leads when the process died", before)
			}
			pending, _ := e.store.LedgerList(context.Background(), "lumi/leads@"+lumiAccount(e), state.LedgerPending)
			if len(pending) == 0 {
				t.Fatal("the crash left no pending row: the test does not exercise recovery")
			}
			sum, err := e.run(plan, pipelines.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Push.Failed != 0 || sum.Push.Submitted+sum.Push.SkippedDuplicate != 1000 {
				t.Errorf("rerun: %+v", sum.Push)
			}
			if point == pipelines.PointAfterSend && sum.Push.Recovered == 0 {
				t.Errorf("no row was recovered by lookup: %+v", sum.Push)
			}
			e.exactlyOnce(1000)
			if n := len(e.srv.Received()); n != 1000 {
				t.Errorf("the vendor created %d leads for 1000 rows", n)
			}
		})
	}
}

func lumiAccount(e *lumiEnv) string {
	return "partner@sandbox.lumi.com.au@" + strings.TrimPrefix(e.url, "http://")
}

func TestPush429StormEndsWithEveryRowOnce(t *testing.T) {
	e := newLumiEnv(t, 5)
	e.writeLeadsCSV(30)
	e.srv.Faults().Storm429(8, time.Second)
	sum, err := e.run(e.pushPlan(4), pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Push.Submitted != 30 {
		t.Errorf("storm: %+v", sum.Push)
	}
	if sum.HTTP.RateLimited == 0 {
		t.Error("no 429 was seen: the storm did not happen")
	}
	e.exactlyOnce(30)
}

func TestPushVendor400FailsThatRowOnly(t *testing.T) {
	e := newLumiEnv(t, 5)
	existing := e.srv.Leads()[0]
	e.srv.RejectDuplicates(true)
	e.writeLeadsCSV(10, fmt.Sprintf(`DUP1,Dup,Licate,%s,0499999999,Dup Pty,51824753556,"20,000",52,cash_flow`, existing.Stakeholder.Email))
	sum, err := e.run(e.pushPlan(2), pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Push.Submitted != 10 || sum.Push.Failed != 1 {
		t.Fatalf("push: %+v", sum.Push)
	}
	rs := readCSV(t, sum.Push.Receipts)
	last := rs[len(rs)-1]
	if last["outcome"] != "failed" || last["http_status"] != "400" || !strings.Contains(last["error"], "already exists") {
		t.Errorf("the duplicate's receipt: %v", last)
	}
	// A rerun does not hammer the vendor with the row it refused.
	attempts := e.srv.Attempts()
	again, err := e.run(e.pushPlan(2), pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e.srv.Attempts() != attempts || again.Push.Failed != 1 {
		t.Errorf("rerun resent the refused row: %+v", again.Push)
	}
}

func TestPushDryRunSendsNothing(t *testing.T) {
	e := newLumiEnv(t, 5)
	e.writeLeadsCSV(12, `BAD,Amy,Low,amy@example.com.au,0412345678,Low Pty,51824753556,"1,000",52,cash_flow`)
	sum, err := e.run(e.pushPlan(2), pipelines.Options{DryRun: true, Limit: 13})
	if err != nil {
		t.Fatal(err)
	}
	if e.srv.Attempts() != 0 {
		t.Errorf("a dry run sent %d requests", e.srv.Attempts())
	}
	if sum.Push.WouldSend != 12 || sum.Push.Rejected != 1 || len(sum.Push.Previews) == 0 {
		t.Errorf("dry run: %+v", sum.Push)
	}
	if !strings.Contains(sum.Push.Previews[0].Body, `"external_id": "R00001"`) || !strings.Contains(sum.Push.Previews[0].Body, `"requested_amount": 5000`) {
		t.Errorf("preview body:\n%s", sum.Push.Previews[0].Body)
	}
	entries, _ := e.store.LedgerList(context.Background(), "lumi/leads@"+lumiAccount(e))
	if len(entries) != 0 {
		t.Errorf("a dry run wrote %d ledger entries", len(entries))
	}
}

func TestPushLimitTriesTheFirstRows(t *testing.T) {
	e := newLumiEnv(t, 5)
	e.writeLeadsCSV(20)
	sum, err := e.run(e.pushPlan(2), pipelines.Options{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Push.Total != 5 || sum.Push.Submitted != 5 || len(e.srv.Received()) != 5 {
		t.Errorf("limit 5: %+v, vendor has %d", sum.Push, len(e.srv.Received()))
	}
}

func TestPushMissingColumnNamesTheYAMLLine(t *testing.T) {
	e := newLumiEnv(t, 5)
	os.WriteFile(filepath.Join(e.dir, "leads.csv"), []byte("ref,first,last\nR1,a,b\n"), 0o644)
	_, err := e.run(e.pushPlan(1), pipelines.Options{})
	if err == nil || !strings.Contains(err.Error(), `backfill.yaml:18: push.fields.customer.email: column "email" is not in the input`) {
		t.Errorf("error: %v", err)
	}
	if e.srv.Attempts() != 0 {
		t.Error("rows were sent despite a broken mapping")
	}
}

func TestPushReceiptsAlsoAsParquet(t *testing.T) {
	e := newLumiEnv(t, 5)
	e.writeLeadsCSV(6, `BAD1,Amy,Low,amy@example.com.au,0412345678,Low Pty,51824753556,"1,000",52,cash_flow`)
	plan := e.pushPlan(2)
	plan.Push.Parquet = true
	sum, err := e.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pq := strings.TrimSuffix(strings.TrimPrefix(sum.Push.Receipts, "file://"), ".csv") + ".parquet"
	rows := laketest.ReadFile(t, pq)
	if len(rows) != 7 {
		t.Fatalf("%d Parquet receipts, want 7", len(rows))
	}
	if rows[0]["outcome"] != "submitted" || rows[0]["key"] != "R00001" || rows[6]["outcome"] != "rejected" || rows[6]["row"] != "7" {
		t.Errorf("receipts: first %v, last %v", rows[0], rows[6])
	}
}

func TestPushWithRefusedCredentialsStopsAndSendsEverythingLater(t *testing.T) {
	e := newLumiEnv(t, 5)
	e.writeLeadsCSV(30)
	path := filepath.Join(e.dir, "backfill.yaml")
	os.WriteFile(path, []byte(strings.Replace(fmt.Sprintf(backfillPipeline, 2), "${LUMI_PASSWORD}", "wrong-password", 1)), 0o644)
	bad, err := pipelines.Load(t.Context(), path, e.env)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.run(bad, pipelines.Options{})
	if err == nil || !strings.Contains(err.Error(), "refused the credentials: check push.config") || strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("refused credentials: %v", err)
	}
	// No row may be marked sent or failed. A row whose request was in
	// flight when the run stopped may stay pending: the next run looks it
	// up before sending it.
	entries, _ := e.store.LedgerList(context.Background(), "lumi/leads@"+lumiAccount(e), state.LedgerDone, state.LedgerFailed)
	if len(entries) != 0 {
		t.Errorf("the refused run marked %d rows done or failed; none of its rows reached Lumi", len(entries))
	}
	sum, err := e.run(e.pushPlan(2), pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Push.Submitted != 30 {
		t.Errorf("after fixing the password: %+v", sum.Push)
	}
	e.exactlyOnce(30)
}
