package pipelines_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors/lumi"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sinks/laketest"
	"github.com/leadpipe/leadpipe/transforms/privacy"
)

// loadYAML writes a pipeline file into the env's directory and loads it.
func (e *lumiEnv) loadYAML(name, src string, env config.LookupEnv) (*pipelines.Plan, error) {
	e.t.Helper()
	path := filepath.Join(e.dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		e.t.Fatal(err)
	}
	if env == nil {
		env = e.env
	}
	return pipelines.Load(e.t.Context(), path, env)
}

const lumiSource = `source:
  connector: lumi
  streams: [leads, events, loans]
  config:
    base_url: ${LUMI_BASE_URL}
    username: ${LUMI_USERNAME}
    password: ${LUMI_PASSWORD}
    page_size: 25
    rate_limit: 1000
`

func TestTransformsShapeTheLake(t *testing.T) {
	e := newLumiEnv(t, 60)
	plan, err := e.loadYAML("shaped.yaml", `name: shaped
`+lumiSource+`sink:
  path: ${LAKE}
transforms:
  - filter:
      leads: status != "new"
      events: event_type == "status_change"
  - status_map:
      leads: {FUNDED: approved}
  - select:
      leads: [lead_uid, vendor, status, vendor_status, email, phone, amount_requested, extracted_at, attributes]
  - rename:
      leads: {amount_requested: requested, vendor_status: raw_status}
  - privacy:
      columns: {phone: mask}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.run(plan, pipelines.Options{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{} // lead uid → vendor status, for leads the filter keeps
	for _, l := range e.srv.Leads() {
		if st, ok := lumi.StatusMap[l.Status]; ok && st != "new" {
			want["lumi:"+l.ID] = l.Status
		}
	}
	leads := laketest.Read(t, e.lake, "leads")
	if len(leads) != len(want) || len(want) == 0 {
		t.Fatalf("%d leads in the lake, want the %d whose status is not new", len(leads), len(want))
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, r := range leads {
		var cols []string
		for c := range r {
			cols = append(cols, c)
		}
		sort.Strings(cols)
		if got := strings.Join(cols, ","); got != "attributes,email,extracted_at,lead_uid,phone,raw_status,requested,status,vendor" {
			t.Fatalf("lead columns %s", got)
		}
		raw, ok := want[r["lead_uid"]]
		switch {
		case !ok:
			t.Errorf("lead %s passed the filter", r["lead_uid"])
		case r["raw_status"] != raw:
			t.Errorf("lead %s raw_status %q, want %q", r["lead_uid"], r["raw_status"], raw)
		case raw == "FUNDED" && r["status"] != "approved":
			t.Errorf("funded lead %s has status %q; the status map says approved", r["lead_uid"], r["status"])
		}
		if r["phone"] != "" && !regexp.MustCompile(`^\*\*\*\d{3}$`).MatchString(r["phone"]) {
			t.Errorf("phone %q is not masked", r["phone"])
		}
		if r["email"] != "" && !hex32.MatchString(r["email"]) {
			t.Errorf("email %q is not hashed", r["email"])
		}
		if strings.Contains(r["attributes"], "drivers_license_number") {
			t.Errorf("attributes keep a licence number: %s", r["attributes"])
		}
	}
	for _, ev := range laketest.Read(t, e.lake, "events") {
		if ev["event_type"] != "status_change" {
			t.Fatalf("an event of type %q passed the filter", ev["event_type"])
		}
	}
	// Tables the transforms do not name are whole.
	if loans := laketest.Read(t, e.lake, "loans"); len(loans) == 0 || loans[0]["principal"] == "" && loans[0]["loan_uid"] == "" {
		t.Errorf("loans: %v", loans)
	}
}

func TestTransformErrorsNameFileAndLine(t *testing.T) {
	e := newLumiEnv(t, 1)
	_, err := e.loadYAML("bad.yaml", `name: bad
`+lumiSource+`sink:
  path: ${LAKE}
transforms:
  - filter:
      leads: stauts != "expired"
      loans: principal + "x"
      widgets: "true"
  - select:
      leads: [lead_uid, emial]
  - rename:
      leads: {lead_uid: "lead id"}
  - status_map:
      leads: {Won: won}
      events: {x: new}
  - dedupe: true
  - privacy:
      columns: {date_of_birth: hash}
`, nil)
	var probs config.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("err = %v", err)
	}
	text := err.Error()
	path := filepath.Join(e.dir, "bad.yaml")
	for _, want := range []string{
		path + `:15: transforms[0].filter.leads: stauts != "expired": unknown name stauts (1:1): leads has no such column`,
		path + `:16: transforms[0].filter.loans: principal + "x": invalid operation: + (mismatched types float64 and string)`,
		path + `:17: transforms[0].filter.widgets: no table "widgets"`,
		path + `:19: transforms[1].select.leads[1]: leads has no column "emial" (did you mean email?)`,
		path + `:21: transforms[2].rename.leads.lead_uid: "lead id" is not a column name`,
		path + `:23: transforms[3].status_map.leads.Won: "won" is not a canonical status`,
		path + `:24: transforms[3].status_map.events: events has no vendor_status to map from`,
		path + `:25: transforms[4].dedupe: is not available yet`,
		path + `:27: transforms[5].privacy.columns.date_of_birth: leads.date_of_birth is a date column: it can be kept or dropped, not hashed`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing\n  %s\nin:\n%s", want, text)
		}
	}

	// A push pipeline takes only a privacy policy.
	_, err = e.loadYAML("push.yaml", fmt.Sprintf(backfillPipeline, 1)+"transforms:\n  - filter: {leads: \"true\"}\n", nil)
	if err == nil || !strings.Contains(err.Error(), "push.yaml:29: transforms[0]: a push pipeline takes only a privacy transform") {
		t.Errorf("err = %v", err)
	}
}

func TestFilterErrorWhileRunningNamesTheLineAndTheRow(t *testing.T) {
	e := newLumiEnv(t, 1)
	os.WriteFile(filepath.Join(e.dir, "leads.jsonl"), []byte(
		`{"id":"a1","status":"FUNDED","stakeholder":{"first_name":"Ann"},"company":{"name":"A","average_monthly_turnover":1234.5},"loan":{}}`+"\n"+
			`{"id":"b2","status":"FUNDED","stakeholder":{"first_name":"Bob"},"company":{"name":"B"},"loan":{}}`+"\n"), 0o644)
	plan, err := e.loadYAML("turnover.yaml", `name: turnover
source:
  connector: lumi
  streams: [leads]
  file:
    path: leads.jsonl
sink:
  path: ${LAKE}
transforms:
  - filter:
      leads: monthly_turnover > 1000
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Bob's business has no turnover: a null the expression does not guard.
	_, err = e.run(plan, pipelines.Options{})
	path := filepath.Join(e.dir, "turnover.yaml")
	if err == nil || !strings.Contains(err.Error(), path+":11: transforms[0].filter.leads: leads row lead_uid lumi:b2: ") ||
		!strings.Contains(err.Error(), "(monthly_turnover is null in this row: guard it, e.g. monthly_turnover != nil && ...)") {
		t.Errorf("err = %v", err)
	}
	if files := laketest.Files(t, e.lake, "leads"); len(files) != 0 {
		t.Errorf("a failed run left %v", files)
	}
	// Guarded, it runs and keeps Ann only.
	plan, err = e.loadYAML("turnover.yaml", strings.Replace(mustRead(t, path), "monthly_turnover > 1000",
		"monthly_turnover != nil && monthly_turnover > 1000", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.run(plan, pipelines.Options{}); err != nil {
		t.Fatal(err)
	}
	if leads := laketest.Read(t, e.lake, "leads"); len(leads) != 1 || leads[0]["lead_uid"] != "lumi:a1" {
		t.Errorf("leads %v", leads)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// leadHashes pulls with the pipeline and returns lead uid → email column.
func leadEmails(t *testing.T, lake string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range laketest.Read(t, lake, "leads") {
		out[r["lead_uid"]] = r["email"]
	}
	return out
}

func TestHashesAreStableAcrossRunsAndChangeWithTheSalt(t *testing.T) {
	e := newLumiEnv(t, 20)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pull := func(name, salt, lake string) map[string]string {
		t.Helper()
		extra := ""
		if salt != "" {
			extra = "transforms:\n  - privacy:\n      salt: ${SALT}\n"
		}
		env := func(k string) (string, bool) {
			switch k {
			case "SALT":
				return salt, true
			case "LAKE":
				return lake, true
			}
			return e.env(k)
		}
		plan, err := e.loadYAML(name+".yaml", "name: "+name+"\n"+lumiSource+"sink:\n  path: ${LAKE}\n"+extra, env)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.run(plan, pipelines.Options{Logger: log, FullRefresh: true}); err != nil {
			t.Fatal(err)
		}
		return leadEmails(t, lake)
	}
	// No salt in the file: the state store's, generated once with a warning.
	a := pull("a", "", filepath.Join(e.dir, "lake-a"))
	b := pull("b", "", filepath.Join(e.dir, "lake-b"))
	if n := strings.Count(logs.String(), "generated one and keeps it in the state store"); n != 1 {
		t.Errorf("the generated salt was announced %d times:\n%s", n, logs.String())
	}
	salt, created, err := e.store.Salt(context.Background(), pipelines.SaltName)
	if err != nil || created {
		t.Fatalf("salt: %v (created now: %v)", err, created)
	}
	checked := 0
	for _, l := range e.srv.Leads() {
		uid := "lumi:" + l.ID
		if l.Stakeholder.Email == "" {
			continue
		}
		checked++
		if a[uid] != b[uid] || a[uid] != privacy.HashValue(salt, privacy.Email, strings.ToLower(l.Stakeholder.Email)) {
			t.Fatalf("lead %s: %q and %q; want both the hash of its email under the store's salt", uid, a[uid], b[uid])
		}
	}
	if checked == 0 {
		t.Fatal("no lead has an email")
	}
	// A salt in the file: stable across runs, different from the store's.
	c1 := pull("c", "first-salt-of-enough-length", filepath.Join(e.dir, "lake-c1"))
	c2 := pull("c", "first-salt-of-enough-length", filepath.Join(e.dir, "lake-c2"))
	if logs.Reset(); true {
		d := pull("c", "second-salt-of-enough-length", filepath.Join(e.dir, "lake-d"))
		for uid, h := range c1 {
			if h == "" {
				continue
			}
			if c2[uid] != h {
				t.Fatalf("lead %s hashes to %s, then %s, with one salt", uid, h, c2[uid])
			}
			if d[uid] == h || a[uid] == h {
				t.Fatalf("lead %s hashes the same under two salts", uid)
			}
		}
		if !strings.Contains(logs.String(), "the salt changed since this pipeline's last run") {
			t.Errorf("a changed salt was not noticed:\n%s", logs.String())
		}
	}
	for _, l := range []string{"first-salt", "second-salt"} {
		if strings.Contains(logs.String(), l) {
			t.Errorf("a salt reached the log")
		}
	}
}

const privatePush = `name: private-push
source:
  file:
    path: private.csv
push:
  connector: lumi
  target: leads
  config:
    base_url: ${LUMI_BASE_URL}
    username: ${LUMI_USERNAME}
    password: ${LUMI_PASSWORD}
    rate_limit: 1000
  key: [email]
  fields:
    customer.first_name: first
    customer.last_name: last
    customer.email: email
    customer.phone: mobile
    customer.date_of_birth: {column: dob, date_format: dd/mm/yyyy}
    company.name: company
    company.abn: abn
    loan.requested_amount: amount
    loan.installments: weeks
    loan.reason_for_loan: reasons
  receipts: out/receipts
  rejects: out/rejects
%s`

func TestPushStoresNoPersonalDataButSendsIt(t *testing.T) {
	e := newLumiEnv(t, 1)
	rows := []string{
		"first,last,email,mobile,dob,company,abn,amount,weeks,reasons",
		`Olivia,Nguyen,olivia.nguyen@harbourcafe.com.au,0412 345 678,14/02/1988,Harbour Cafe,51824753556,"25,000",52,cash_flow`,
		`Jack,Wilson,jack@wilsonplumbing.com.au,+61 423 456 789,30/07/1979,Wilson Plumbing,11222333444,"60,000",52,buy_equipment`,
		`Bad,Phone,bad.phone@example.com.au,12345,01/01/1990,Bad Pty,51824753556,"20,000",52,cash_flow`,
		`Bad,Date,bad.date@example.com.au,0498 765 432,31/13/1984,Date Pty,51824753556,"20,000",52,cash_flow`,
	}
	secrets := []string{"olivia.nguyen@harbourcafe.com.au", "jack@wilsonplumbing.com.au", "bad.phone@example.com.au",
		"bad.date@example.com.au", "0412 345 678", "0412345678", "+61412345678", "+61 423 456 789", "+61423456789",
		"+6112345", "0498 765 432", "0498765432", "+61498765432", "14/02/1988", "1988-02-14", "30/07/1979", "1979-07-30",
		"31/13/1984"}
	os.WriteFile(filepath.Join(e.dir, "private.csv"), []byte(strings.Join(rows, "\n")+"\n"), 0o644)
	plan, err := e.loadYAML("private.yaml", fmt.Sprintf(privatePush, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := e.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Push.Submitted != 2 || sum.Push.Rejected != 2 {
		t.Fatalf("push: %s", sum.Push)
	}
	// The vendor gets everything, and the raw key as its external_id.
	if e.srv.CountByExternalID("olivia.nguyen@harbourcafe.com.au") != 1 {
		t.Error("the vendor did not get the row keyed by the raw email")
	}
	// leadpipe keeps none of it: receipts, rejects, the ledger and the run
	// journal.
	receipts := readCSV(t, sum.Push.Receipts)
	rejects := readCSV(t, sum.Push.RejectsFile)
	if len(rejects) == 0 {
		t.Fatal("no rejects")
	}
	salt, _, _ := e.store.Salt(context.Background(), pipelines.SaltName)
	if receipts[0]["key"] != privacy.HashValue(salt, privacy.None, "olivia.nguyen@harbourcafe.com.au") {
		t.Errorf("receipt key %q is not the hashed email", receipts[0]["key"])
	}
	var badPhone map[string]string
	for _, r := range rejects {
		if r["column"] == "mobile" {
			badPhone = r
		}
	}
	// A reject describes a personal value by its shape, the same in its
	// value column and in its reason, never by a hash.
	if badPhone == nil || badPhone["value"] != "[5 digits starting 12]" ||
		badPhone["reason"] != "[5 digits starting 12] must be an Australian number in +61 or 04 form" {
		t.Errorf("the rejected phone: %v", badPhone)
	}
	var badDate map[string]string
	for _, r := range rejects {
		if r["column"] == "dob" {
			badDate = r
		}
	}
	if badDate == nil || badDate["value"] != "[a date written like 99/99/9999]" ||
		badDate["reason"] != "[a date written like 99/99/9999] does not match the date format dd/mm/yyyy" {
		t.Errorf("the rejected date of birth: %v", badDate)
	}
	e.store.Close()
	var stored []string
	filepath.Walk(e.dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && !strings.HasSuffix(p, ".csv") || strings.Contains(p, "/out/") {
			stored = append(stored, p)
		}
		return nil
	})
	if !slices.ContainsFunc(stored, func(p string) bool { return strings.HasSuffix(p, "state.db") }) {
		t.Fatalf("no state store among %v", stored)
	}
	for _, p := range stored {
		if strings.HasSuffix(p, ".yaml") {
			continue
		}
		b, _ := os.ReadFile(p)
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q", p, s)
			}
		}
	}

	// The ledger knows the rows by their hashed keys: a rerun sends nothing.
	st, err := state.Open(filepath.Join(e.dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	e.store = st
	t.Cleanup(func() { st.Close() })
	sum, err = e.run(plan, pipelines.Options{})
	if err != nil || sum.Push.Submitted != 0 || sum.Push.SkippedDuplicate != 2 {
		t.Fatalf("rerun: %v, %v", err, sum.Push)
	}
	// A new salt would make the ledger forget them: the run refuses.
	salted, err := e.loadYAML("private.yaml", fmt.Sprintf(privatePush, "transforms:\n  - privacy:\n      salt: a-new-salt-of-enough-length\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.run(salted, pipelines.Options{})
	if err == nil || !strings.Contains(err.Error(), "the salt changed since this pipeline last ran") {
		t.Errorf("err = %v", err)
	}
	// So does keeping the key as it is.
	kept, err := e.loadYAML("private.yaml", fmt.Sprintf(privatePush, "transforms:\n  - privacy:\n      columns: {email: keep}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.run(kept, pipelines.Options{})
	if err == nil || !strings.Contains(err.Error(), "holds its row keys hashed") {
		t.Errorf("err = %v", err)
	}
	if n := e.srv.CountByExternalID("olivia.nguyen@harbourcafe.com.au"); n != 1 {
		t.Errorf("the row reached the vendor %d times", n)
	}
}
