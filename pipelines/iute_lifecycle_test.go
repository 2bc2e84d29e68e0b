package pipelines_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/connectors/iute/iutetest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/laketest"
)

const iuteConfig = `
  config:
    base_url: ${IUTE_BASE_URL}
    username: ${IUTE_USERNAME}
    password: ${IUTE_PASSWORD}
    partner_type: ${IUTE_PARTNER_TYPE}
    currency: MDL
    rate_limit: 1000`

// TestIuteLifecycleDrivenByPipelines walks a loan through Iute the way a
// partner office does, with nothing but pipelines: an applications CSV is
// pushed, polling finds the loans approved, a cash-release CSV pays them
// out, a repayments CSV books repayments, and the next poll's loan/info
// shows exactly what was repaid.
func TestIuteLifecycleDrivenByPipelines(t *testing.T) {
	srv := iutetest.New(sandbox.Options{Seed: 5, Size: -1})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	env := srv.Env(hs.URL)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	dir := t.TempDir()
	lake := filepath.Join(dir, "lake")
	st, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(name, yaml string) *pipelines.Summary {
		t.Helper()
		plan, err := pipelines.Load(t.Context(), write(name, yaml), lookup)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sum, err := pipelines.Run(context.Background(), plan, st, pipelines.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return sum
	}

	// 1. Applications.
	write("applications.csv", "app,pin,first,last,patronymic,born,serial,gsm,home,alt,rel,altphone,town,street,house,flat,amount,months,clerk,office\n"+
		"A1,2001234567890,Ion,Rusu,Petru,14.02.1980,B1234567,0691234567,022123456,Ana,wife,0791112223,Chisinau,Dacia,1,,6000,6,Mihai,o.p.1\n"+
		"A2,2009876543210,Maria,Cojocaru,Ion,1975-07-30,B7654321,079 654 3210,023123456,Vlad,son,0692223334,Balti,Pacii,2,5,3000,3,Mihai,o.p.1\n")
	sum := run("applications.yaml", `name: iute-apps
source:
  file: {path: applications.csv}
push:
  connector: iute
  target: loans`+iuteConfig+`
  key: [app]
  fields:
    pin: pin
    first_name: first
    last_name: last
    patronymic: patronymic
    birth_date: born
    document_serial: serial
    gsm: gsm
    phone_home: home
    alt_contact_name: alt
    alt_contact_relation: rel
    alt_contact_phone: altphone
    town: town
    street: street
    house_nr: house
    apartment_nr: flat
    loan_amount: amount
    loan_duration: months
    submit_person: clerk
    submit_post_office: office
`)
	if sum.Push.Submitted != 2 {
		t.Fatalf("applications: %+v %v", sum.Push, sum.Push.RejectSamples)
	}
	refs, err := st.LoanRefs(context.Background(), "iute")
	if err != nil || len(refs) != 2 {
		t.Fatalf("the state store knows %d loan refs (%v), want the 2 submitted", len(refs), err)
	}

	// 1b. A cash release before Iute allows it waits: nothing is sent, it
	// is no unknown outcome, and the run has left nothing undone.
	var rb strings.Builder
	rb.WriteString("ref\n")
	for _, r := range refs {
		rb.WriteString(r.Ref + "\n")
	}
	write("release.csv", rb.String())
	release := `name: iute-release
source:
  file: {path: release.csv}
push:
  connector: iute
  target: cash_releases` + iuteConfig + `
  key: [ref]
  fields:
    loanRef: ref
`
	sum = run("release.yaml", release)
	if p := sum.Push; p.Waiting != 2 || p.Submitted != 0 || p.Failed != 0 || p.Unsent() != 0 {
		t.Fatalf("cash release before Iute allows it: %+v", p)
	}
	waiting, err := st.LedgerList(context.Background(), "iute/cash_releases", state.LedgerWaiting)
	if err != nil || len(waiting) != 2 {
		t.Fatalf("ledger: %d waiting rows (%v), want 2", len(waiting), err)
	}

	// 2. Polling: the refs leadpipe stored are polled; the sandbox approves
	// on the first status check.
	poll := `name: iute-poll
source:
  connector: iute
  streams: [loans]` + iuteConfig + `
sink:
  path: ` + lake + "\n"
	sum = run("poll.yaml", poll)
	if sum.Rows["loans"] != 2 {
		t.Fatalf("first poll: %v", sum.Rows)
	}
	latest := func() map[string]laketest.Row { return laketest.Latest(laketest.Read(t, lake, "loans"), "loan_uid") }
	for uid, l := range latest() {
		if l["status"] != schema.StatusApproved {
			t.Errorf("loan %s is %s after the first poll, want approved", uid, l["status"])
		}
	}

	// 3. Cash release of both loans: the waiting rows are sent now.
	sum = run("release.yaml", release)
	if sum.Push.Submitted != 2 {
		t.Fatalf("cash release: %+v", sum.Push)
	}
	fundedPoll := run("poll.yaml", poll)
	// Iute gives no funding date: funded_at is the first run that saw the
	// loan funded, and says so.
	fundedAt := strconv.FormatInt(fundedPoll.StartedAt.UnixMicro(), 10)
	for uid, l := range latest() {
		if l["status"] != schema.StatusFunded || l["repaid"] != "0" {
			t.Errorf("loan %s after cash release: status %s repaid %s, want funded and nothing repaid", uid, l["status"], l["repaid"])
		}
		if l["funded_at"] != fundedAt || l["funded_at_source"] != schema.FundedAtFirstSeen {
			t.Errorf("loan %s: funded_at %s (%s), want the funding poll's %s (first_seen)", uid, l["funded_at"], l["funded_at_source"], fundedAt)
		}
	}
	for _, l := range laketest.Read(t, lake, "loans") {
		if l["status"] == schema.StatusApproved && (l["funded_at"] != "" || l["funded_at_source"] != "") {
			t.Errorf("an approved loan's row has funded_at %q (%s)", l["funded_at"], l["funded_at_source"])
		}
	}

	// 4. Repayments, two on the first loan and one on the second.
	first, second := refs[0].Ref, refs[1].Ref
	write("repayments.csv", fmt.Sprintf("receipt,ref,paid,amount\nR1,%s,2026-11-20,100.00\nR2,%s,2026-11-21,\"1,000.50\"\nR3,%s,21/11/2026,250\n", first, first, second))
	sum = run("repayments.yaml", `name: iute-repay
source:
  file: {path: repayments.csv}
push:
  connector: iute
  target: repayments`+iuteConfig+`
  key: [receipt]
  fields:
    loanRef: ref
    date: paid
    amount: amount
  concurrency: 1
`)
	if sum.Push.Submitted != 3 {
		t.Fatalf("repayments: %+v", sum.Push)
	}

	// 5. loan/info matches what was repaid, cent for cent; the funding
	// date stays the first run's.
	run("poll.yaml", poll)
	for uid, l := range latest() {
		if l["funded_at"] != fundedAt || l["funded_at_source"] != schema.FundedAtFirstSeen {
			t.Errorf("loan %s on a later poll: funded_at %s (%s), want %s (first_seen)", uid, l["funded_at"], l["funded_at_source"], fundedAt)
		}
	}
	want := map[string]string{"iute:" + first: "110050", "iute:" + second: "25000"}
	for uid, l := range latest() {
		if l["repaid"] != want[uid] {
			t.Errorf("loan %s: repaid %s (cents), want %s", uid, l["repaid"], want[uid])
		}
	}
	// The repayment table moved with it: the first loan's earliest
	// installment is partly paid.
	inst := laketest.Read(t, lake, "installments")
	if len(inst) == 0 {
		t.Error("no installments in the lake")
	}
}
