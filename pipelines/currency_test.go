package pipelines_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/connectors/bizcap/bizcaptest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

// The currency variants of one amount a spreadsheet may hold.
var foreignAmounts = []string{"$20,000", "USD 20,000", "£20,000", "EUR 20000"}

// checkCurrencyRejects runs a push and checks that the rows keyed in
// rejected are rejected with a reject on column col naming the marker, and
// the rows keyed in sent are sent.
func checkCurrencyRejects(t *testing.T, sum *pipelines.Summary, col string, rejected map[string]string, sent []string) {
	t.Helper()
	receipts := map[string]map[string]string{}
	for _, r := range readCSV(t, sum.Push.Receipts) {
		receipts[r["key"]] = r
	}
	var rejects []map[string]string
	if sum.Push.RejectsFile != "" {
		rejects = readCSV(t, sum.Push.RejectsFile)
	}
	for key, amount := range rejected {
		if r := receipts[key]; r["outcome"] != pipelines.OutcomeRejected || !strings.Contains(r["error"], "column "+col) {
			t.Errorf("%s (%s): receipt %v, want rejected on column %s", key, amount, r, col)
		}
		found := false
		for _, rj := range rejects {
			if rj["row"] == receipts[key]["row"] && rj["column"] == col && strings.Contains(rj["reason"], fmt.Sprintf("%q", amount)) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s (%s): no reject on column %s that quotes the amount in %v", key, amount, col, rejects)
		}
	}
	for _, key := range sent {
		if r := receipts[key]; r["outcome"] != pipelines.OutcomeSubmitted {
			t.Errorf("%s: receipt %v, want submitted", key, r)
		}
	}
	if sum.Push.Rejected != len(rejected) || sum.Push.Submitted != len(sent) {
		t.Errorf("summary %+v: want %d rejected and %d submitted", sum.Push, len(rejected), len(sent))
	}
}

// TestLumiRejectsForeignCurrencies: Lumi lends in AUD. An amount marked
// with another currency, or a bare "$" (which names no one currency), is
// rejected with its column; "AUD 20,000" and "20,000" are sent as 20000.
func TestLumiRejectsForeignCurrencies(t *testing.T) {
	e := newLumiEnv(t, 3)
	rejected := map[string]string{}
	var extra []string
	for i, amt := range foreignAmounts {
		key := fmt.Sprintf("X%d", i)
		rejected[key] = amt
		extra = append(extra, fmt.Sprintf("%s,Cur%d,Test,cur%d@example.com.au,04%08d,Cur Co %d,51824753556,\"%s\",52,cash_flow", key, i, i, 20000000+i, i, amt))
	}
	extra = append(extra, `AUD1,Aud,Test,aud@example.com.au,0420000099,Aud Co,51824753556,"AUD 20,000",52,cash_flow`)
	e.writeLeadsCSV(1, extra...)
	sum, err := pipelines.Run(context.Background(), e.pushPlan(2), e.store, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkCurrencyRejects(t, sum, "amount", rejected, []string{"R00001", "AUD1"})
	for _, s := range e.srv.Received() {
		if fmt.Sprint(s.Body["external_id"]) == "AUD1" {
			if got := fmt.Sprint(s.Body["loan"].(map[string]any)["requested_amount"]); got != "20000" {
				t.Errorf("AUD 20,000 was sent as %s", got)
			}
		}
	}
	for key := range rejected {
		if n := e.srv.CountByExternalID(key); n != 0 {
			t.Errorf("%s reached Lumi %d times", key, n)
		}
	}
}

// TestBizcapRejectsEveryCurrencyMarker: Bizcap's doc gives "$20,000" as
// an incorrect amount: any currency marker, even AUD, is rejected with its
// column; "20,000" is read as 20000.
func TestBizcapRejectsEveryCurrencyMarker(t *testing.T) {
	srv := bizcaptest.New(sandbox.Options{Seed: 4, Size: 3})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	env := srv.Env(hs.URL)
	env["LEADPIPE_LAKE"] = filepath.Join(t.TempDir(), "lake")
	dir := t.TempDir()
	copyExamples(t, dir)
	const header = "partner_ref,first_name,last_name,company,mobile,email,abn,amount,monthly_turnover,purpose,call,home_owner,products,dob,street,city,state,postcode,country,statement_file\n"
	row := func(ref, amount string) string {
		return fmt.Sprintf("%s,John,Smith,Acme %s Pty Ltd,+61412345678,%s@acmewidgets.com.au,51 824 753 556,\"%s\",85000.50,Working Capital / Cashflow,Call Client,Yes,LOC,02/01/1980,1 George St,Sydney,NSW,2000,Australia,\n",
			ref, ref, strings.ToLower(ref), amount)
	}
	var b strings.Builder
	b.WriteString(header)
	rejected := map[string]string{}
	for i, amt := range append(foreignAmounts, "AUD 20000") {
		key := fmt.Sprintf("BZ-X%d", i)
		rejected[key] = amt
		b.WriteString(row(key, amt))
	}
	b.WriteString(row("BZ-OK", "20,000"))
	if err := os.WriteFile(filepath.Join(dir, "data", "bizcap-leads.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := pipelines.Load(t.Context(), filepath.Join(dir, "backfill-bizcap.yaml"), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sum, err := pipelines.Run(context.Background(), plan, st, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkCurrencyRejects(t, sum, "amount", rejected, []string{"BZ-OK"})
	if n := srv.ReceivedCount(bizcaptest.KindCreateLead); n != 1 {
		t.Errorf("Bizcap received %d leads, want only BZ-OK", n)
	}
}
