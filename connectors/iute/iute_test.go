package iute_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/connectortest"
	"github.com/leadpipe/leadpipe/connectors/iute"
	"github.com/leadpipe/leadpipe/connectors/iute/iutetest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sources/attachments"
)

// The documented values, copied from iute-credit.txt. A value added here
// without a mapping fails the tests.
var (
	// check/status <approved>: 'true', 'rejected' (table) and false (sample).
	documentedApproved = []string{"true", "rejected", "false"}
	// allow/cash/release <loan_status>: only the example "normal".
	documentedLoanStatuses = []string{"normal"}
	// loan/info <status>: 0 (success) and -1 (No active loan found!).
	documentedInfoStatuses = []string{"0", "-1"}
)

func TestEveryDocumentedValueIsMapped(t *testing.T) {
	canonical := map[string]bool{}
	for _, s := range schema.Statuses {
		canonical[s] = true
	}
	for _, v := range documentedApproved {
		if s, ok := iute.ApprovedMap[v]; !ok || !canonical[s] {
			t.Errorf("approved %s maps to %q, not a canonical status", v, s)
		}
	}
	for _, v := range documentedLoanStatuses {
		if s, ok := iute.LoanStatusMap[v]; !ok || !canonical[s] {
			t.Errorf("loan_status %s maps to %q", v, s)
		}
	}
	for _, v := range documentedInfoStatuses {
		if _, ok := iute.InfoStatusMap[v]; !ok {
			t.Errorf("loan/info status %s is not mapped", v)
		}
	}
	// The sandbox was written from the same doc by someone else; the
	// loan_status values it answers must map too.
	for _, st := range iutetest.Statuses() {
		v := iutetest.LoanStatuses[st]
		if s, ok := iute.LoanStatusMap[v]; !ok || !canonical[s] {
			t.Errorf("sandbox loan_status %s (%s) maps to %q", v, st, s)
		}
	}
	if iute.UnknownStatus == schema.StatusFunded || iute.UnknownStatus == schema.StatusApproved || iute.UnknownStatus == schema.StatusDeclined {
		t.Errorf("unknown values map to %s", iute.UnknownStatus)
	}
}

// wantStatus is the canonical status of each sandbox state.
var wantStatus = map[string]string{
	iutetest.StatusNew:                schema.StatusApplication,
	iutetest.StatusApproved:           schema.StatusApproved,
	iutetest.StatusCashReleaseAllowed: schema.StatusApproved,
	iutetest.StatusRejected:           schema.StatusDeclined,
	iutetest.StatusCancelled:          schema.StatusLost,
	iutetest.StatusPaidOut:            schema.StatusFunded,
	iutetest.StatusClosed:             schema.StatusFunded,
}

// memRefs stands in for the engine's state store.
type memRefs struct {
	mu   sync.Mutex
	refs []string
	keys map[string]string
}

func (m *memRefs) AddRef(_ context.Context, ref, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = map[string]string{}
	}
	if _, ok := m.keys[ref]; !ok {
		m.refs = append(m.refs, ref)
		m.keys[ref] = key
	}
	return nil
}

func (m *memRefs) Refs(context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.refs), nil
}

func (m *memRefs) key(ref string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[ref]
	return k, ok
}

type env struct {
	srv  *iutetest.Server
	http *httptest.Server
	refs *memRefs
	*sandbox.Clock
	// files is the attachments directory: cells name files under it.
	files string
}

func start(t *testing.T, size int) *env {
	t.Helper()
	e := &env{Clock: sandbox.NewClock(iutetest.Anchor.Add(14*24*time.Hour + 9*time.Hour)), refs: &memRefs{}, files: t.TempDir()}
	e.srv = iutetest.New(sandbox.Options{Seed: 7, Size: size, Now: e.Now})
	e.http = httptest.NewServer(e.srv)
	t.Cleanup(e.http.Close)
	return e
}

// base is the config without loan refs.
func (e *env) base() string {
	return fmt.Sprintf("base_url: %s\nusername: %s\npartner_type: %s\ncurrency: MDL\nrate_limit: 1000\n",
		e.srv.Env(e.http.URL)["IUTE_BASE_URL"], iutetest.Username, iutetest.PartnerType)
}

func (e *env) configText(extra string) string {
	return e.base() + "password: " + iutetest.Password + "\n" + extra
}

// refsYAML imports every generated loan.
func (e *env) refsYAML() string {
	var s []string
	for _, r := range e.srv.LoanRefs() {
		s = append(s, strconv.Itoa(r))
	}
	return "loan_refs: [" + strings.Join(s, ", ") + "]\n"
}

func (e *env) config(t *testing.T, extra string) *iute.Config {
	t.Helper()
	return connectortest.Config(t, "iute", e.configText(extra)).(*iute.Config)
}

// connector builds a connector whose state store is e.refs.
func (e *env) connector(t *testing.T, cfg *iute.Config, u *schema.Unknowns) connectors.Connector {
	t.Helper()
	spec, _ := connectors.Lookup("iute")
	files, err := attachments.New(e.files, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := spec.New(cfg, connectors.Env{Pipeline: "test", Refs: e.refs, Unknowns: u, Now: e.Now, OpenAttachment: files.Open})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

type readResult struct {
	batch   schema.Batch
	batches int
	cursors map[string]string
	unknown *schema.Unknowns
	http    connectors.HTTPStats
}

func (e *env) read(t *testing.T, cfg *iute.Config, state map[string]string) *readResult {
	t.Helper()
	res := &readResult{unknown: &schema.Unknowns{}}
	conn := e.connector(t, cfg, res.unknown)
	req := &connectors.ReadRequest{Streams: []string{"loans"}, State: state, Now: e.Now()}
	err := conn.Read(context.Background(), req, connectors.EmitFunc(func(_ context.Context, b *schema.Batch) error {
		res.batches++
		if b.Len() > 600 {
			t.Errorf("batch of %d rows", b.Len())
		}
		res.batch.Loans = append(res.batch.Loans, b.Loans...)
		res.batch.Installments = append(res.batch.Installments, b.Installments...)
		return nil
	}))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	res.cursors = req.Cursors()
	res.http = conn.(connectors.StatsReporter).HTTPStats()
	return res
}

func money(t *testing.T, c iutetest.Cents) schema.Money {
	t.Helper()
	return schema.MoneyFromCents(int64(c))
}

func TestFullReadMatchesTheSandbox(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int
		batch int
	}{
		{"default batch", 60, 100},
		{"exact multiple of the batch", 40, 10},
		{"batch of one", 9, 1},
		{"more batches than workers", 31, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, tc.size)
			res := e.read(t, e.config(t, e.refsYAML()+fmt.Sprintf("batch_size: %d\nconcurrency: 3\n", tc.batch)), nil)
			truth := e.srv.Loans()
			if len(res.batch.Loans) != len(truth) {
				t.Fatalf("loans: got %d, sandbox has %d", len(res.batch.Loans), len(truth))
			}
			byUID := map[string]schema.Loan{}
			for _, l := range res.batch.Loans {
				if _, dup := byUID[l.LoanUID]; dup {
					t.Fatalf("loan %s emitted twice", l.LoanUID)
				}
				byUID[l.LoanUID] = l
			}
			inst := map[string][]schema.Installment{}
			for _, in := range res.batch.Installments {
				inst[in.LoanUID] = append(inst[in.LoanUID], in)
			}
			wantInst := 0
			for _, w := range truth {
				l, ok := byUID["iute:"+strconv.Itoa(w.Ref)]
				if !ok {
					t.Fatalf("loan %d missing", w.Ref)
				}
				if l.Status != wantStatus[w.Status] {
					t.Errorf("loan %d (%s): status %s (%s), want %s", w.Ref, w.Status, l.Status, l.VendorStatus, wantStatus[w.Status])
				}
				if l.Currency != "MDL" || l.Product != "consumer_loan" || l.Vendor != "iute" || l.VendorLoanID != strconv.Itoa(w.Ref) {
					t.Errorf("loan %d: %+v", w.Ref, l)
				}
				if l.Principal != money(t, w.Principal) {
					t.Errorf("loan %d principal %s, want %s", w.Ref, l.Principal, w.Principal)
				}
				if !strings.Contains(l.Attributes, `"client_pin":"`+w.Application.PIN+`"`) {
					t.Errorf("loan %d attributes lack the client PIN: %s", w.Ref, l.Attributes)
				}
				if w.Status == iutetest.StatusCashReleaseAllowed && !strings.Contains(l.Attributes, `"cash_release_allowed":true`) {
					t.Errorf("loan %d: cash release allowed is not said: %s", w.Ref, l.Attributes)
				}
				if w.Status != iutetest.StatusPaidOut && w.Status != iutetest.StatusClosed {
					if len(inst[l.LoanUID]) != 0 {
						t.Errorf("loan %d (%s) has installments", w.Ref, w.Status)
					}
					continue
				}
				wantInst += len(w.Installments)
				if l.TotalRepayable != money(t, w.TotalBalance) || l.Repaid != money(t, w.Repaid) || l.Outstanding != money(t, w.RemainingBalance()) {
					t.Errorf("loan %d balances %s/%s/%s, want %s/%s/%s", w.Ref, l.TotalRepayable, l.Repaid, l.Outstanding, w.TotalBalance, w.Repaid, w.RemainingBalance())
				}
				if l.TermCount != schema.IntOf(int64(w.Duration)) || l.TermUnit != "month" || l.PaymentFrequency != "monthly" {
					t.Errorf("loan %d term %v %s", w.Ref, l.TermCount, l.TermUnit)
				}
				if !l.FirstRepaymentDate.Valid || !l.FirstRepaymentDate.Time().Equal(w.FirstRepaymentDate) {
					t.Errorf("loan %d first repayment %s, want %s", w.Ref, l.FirstRepaymentDate, w.FirstRepaymentDate)
				}
				got := inst[l.LoanUID]
				if len(got) != len(w.Installments) {
					t.Fatalf("loan %d: %d installments, want %d", w.Ref, len(got), len(w.Installments))
				}
				for i, in := range w.Installments {
					g := got[i]
					if g.Number != schema.IntOf(int64(in.Number)) || !g.DueDate.Time().Equal(in.DueDate) ||
						g.AmountDue != money(t, in.Total) || g.AmountOutstanding != money(t, in.ToBePaid) || g.Currency != "MDL" {
						t.Errorf("loan %d installment %d: %+v, want %+v", w.Ref, in.Number, g, in)
					}
				}
			}
			if len(res.batch.Installments) != wantInst {
				t.Errorf("installments: got %d, want %d", len(res.batch.Installments), wantInst)
			}
			if res.cursors["loans"] == "" {
				t.Error("no cursor")
			}
		})
	}
}

func TestIncrementalPollsOnlyWhatChanged(t *testing.T) {
	e := start(t, 40)
	cfg := e.config(t, e.refsYAML()+"batch_size: 8\n")
	first := e.read(t, cfg, nil)

	// Nothing changes: nothing is emitted, and the loans that reached a
	// final state are not asked about again.
	e.Advance(time.Hour)
	quiet := e.read(t, cfg, first.cursors)
	if n := quiet.batch.Len(); n != 0 {
		t.Errorf("quiet run emitted %d rows", n)
	}
	final := 0
	for _, l := range e.srv.Loans() {
		switch l.Status {
		case iutetest.StatusRejected, iutetest.StatusCancelled, iutetest.StatusClosed:
			final++
		}
	}
	if final == 0 || quiet.http.Requests >= first.http.Requests-int64(final) {
		t.Errorf("quiet run made %d requests, the full one %d with %d final loans", quiet.http.Requests, first.http.Requests, final)
	}

	// One application is approved, one is rejected, one paid-out loan is
	// repaid in part.
	var newRefs, paid []int
	for _, l := range e.srv.Loans() {
		switch l.Status {
		case iutetest.StatusNew:
			newRefs = append(newRefs, l.Ref)
		case iutetest.StatusPaidOut:
			paid = append(paid, l.Ref)
		}
	}
	if len(newRefs) < 2 || len(paid) == 0 {
		t.Fatalf("dataset lacks NEW or PAID_OUT loans: %v %v", newRefs, paid)
	}
	if err := e.srv.Approve(newRefs[0]); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Reject(newRefs[1]); err != nil {
		t.Fatal(err)
	}
	repay := e.target(t, cfg, iute.TargetRepayments)
	if _, err := repay.Send(context.Background(), rec(map[string]any{"loanRef": int64(paid[0]), "date": day("2026-11-14"), "amount": connectors.Number("10.5")}), "r1"); err != nil {
		t.Fatal(err)
	}
	next := e.read(t, cfg, quiet.cursors)
	got := map[string]string{}
	for _, l := range next.batch.Loans {
		got[l.VendorLoanID] = l.Status
	}
	want := map[string]string{strconv.Itoa(newRefs[0]): schema.StatusApproved, strconv.Itoa(newRefs[1]): schema.StatusDeclined, strconv.Itoa(paid[0]): schema.StatusFunded}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("incremental loans = %v, want %v", got, want)
	}
	w, _ := e.srv.Loan(paid[0])
	if len(next.batch.Installments) != len(w.Installments) {
		t.Errorf("incremental installments %d, want the %d of loan %d", len(next.batch.Installments), len(w.Installments), paid[0])
	}

	// A full refresh asks about everything again.
	all := e.read(t, cfg, nil)
	if len(all.batch.Loans) != 40 {
		t.Errorf("full refresh emitted %d loans, want 40", len(all.batch.Loans))
	}
}

func TestUnknownRefsAreSkipped(t *testing.T) {
	e := start(t, 3)
	cfg := e.config(t, "loan_refs: [12345]\n")
	res := e.read(t, cfg, nil)
	if len(res.batch.Loans) != 0 {
		t.Errorf("a ref Iute does not know produced %d loans", len(res.batch.Loans))
	}
	if !strings.Contains(res.cursors["loans"], "12345=x") {
		t.Errorf("cursor %q does not mark 12345 as not found", res.cursors["loans"])
	}
	again := e.read(t, cfg, res.cursors)
	if again.http.Requests != 0 {
		t.Errorf("an unknown ref was asked about again (%d requests)", again.http.Requests)
	}
}

func TestImportRefsFromCSV(t *testing.T) {
	e := start(t, 10)
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("office,loan_ref\n")
	for _, r := range e.srv.LoanRefs()[:4] {
		fmt.Fprintf(&b, "o.p.6514,%d\n", r)
	}
	b.WriteString("o.p.6514,\n")
	file := filepath.Join(dir, "book.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	res := e.read(t, e.config(t, "import_refs_from: "+file+"\n"), nil)
	if len(res.batch.Loans) != 4 {
		t.Errorf("got %d loans, want the 4 imported", len(res.batch.Loans))
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("loan_ref\n90000\nninety\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conn := e.connector(t, e.config(t, "import_refs_from: "+bad+"\n"), nil)
	err := conn.Read(context.Background(), &connectors.ReadRequest{Streams: []string{"loans"}}, connectors.EmitFunc(func(context.Context, *schema.Batch) error { return nil }))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("a bad ref file gave %v", err)
	}
}

func TestUnknownValuesAreKeptAndCounted(t *testing.T) {
	e := start(t, 40)
	e.srv.InjectUnknownValues()
	res := e.read(t, e.config(t, e.refsYAML()), nil)
	fields := map[string]bool{}
	for _, u := range res.unknown.List() {
		fields[u.Field] = true
	}
	for _, f := range []string{"check_status.approved", "loan_info.status", "allow_cash_release.loan_status"} {
		if !fields[f] {
			t.Errorf("no unknown %s counted; got %v", f, res.unknown.List())
		}
	}
	for _, l := range res.batch.Loans {
		if strings.Contains(l.VendorStatus, "under_review") && l.Status != iute.UnknownStatus {
			t.Errorf("unknown %s mapped to %s", l.VendorStatus, l.Status)
		}
	}
}

func TestConfigProblems(t *testing.T) {
	_, probs := connectortest.TryConfig("iute", "base_url: ftp://x\nusername: ''\ncurrency: mdl\nloan_refs: [90000, abc]\nbatch_size: 0\nbogus: 1\nagreement_lang: albanian\n")
	msgs := probs.Error()
	for _, want := range []string{"config.base_url: must be an http(s) URL", "config.username: is required", "config.password: is required",
		"config.partner_type: is required", "config.currency: must be an ISO 4217 code", "config.loan_refs[1]: must be an Iute loan ref",
		`unknown key "bogus"`, "config.agreement_lang"} {
		if !strings.Contains(msgs, want) {
			t.Errorf("problems lack %q:\n%s", want, msgs)
		}
	}
	_, probs = connectortest.TryConfig("iute", "base_url: https://iute.example/iute/rest/api/partner\nusername: u\npassword: p\npartner_type: post\n")
	if !strings.Contains(probs.Error(), "config.currency: is required") {
		t.Errorf("a missing currency is not reported:\n%s", probs.Error())
	}
	_, probs = connectortest.TryConfig("iute", "base_url: https://iute.example/api\nusername: u\npassword: p\npartner_type: post\ncurrency: ALL\n")
	if len(probs.Errors()) != 0 || !strings.Contains(probs.Error(), "warning: config.base_url: does not end in /rest/api/partner") {
		t.Errorf("problems:\n%s", probs.Error())
	}
}

func TestReadmeQuotesTheSample(t *testing.T) {
	spec, _ := connectors.Lookup("iute")
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```yaml\n"+string(spec.Sample)+"```") {
		t.Error("README.md does not quote sample.yaml as it is; copy it again")
	}
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		Connector: "iute",
		PageSize:  3,
		Start: func(t *testing.T, size int) *connectortest.Sandbox {
			if size == 0 {
				size = -1 // an empty account
			}
			e := start(t, size)
			base := e.base() + "batch_size: 3\n" + e.refsYAML()
			return &connectortest.Sandbox{
				Config:        base + "password: " + iutetest.Password + "\n",
				BadAuthConfig: base + "password: not-the-password-42\n",
				Secret:        "not-the-password-42",
				Faults:        e.srv.Faults(),
				Now:           e.Now,
				Truth: func(table string) int {
					n := 0
					for _, l := range e.srv.Loans() {
						switch table {
						case "loans":
							n++
						case "installments":
							if l.Status == iutetest.StatusPaidOut || l.Status == iutetest.StatusClosed {
								n += len(l.Installments)
							}
						}
					}
					return n
				},
				InjectUnknownValues: func() { e.srv.InjectUnknownValues() },
				Change: func(t *testing.T) {
					e.Advance(time.Hour)
					for _, l := range e.srv.Loans() {
						if l.Status == iutetest.StatusNew {
							if err := e.srv.Approve(l.Ref); err != nil {
								t.Fatal(err)
							}
							return
						}
					}
					t.Fatal("no NEW loan to approve")
				},
			}
		},
	})
}
