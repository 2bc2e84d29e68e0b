package lumi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/connectortest"
	"github.com/leadpipe/leadpipe/connectors/lumi"
	"github.com/leadpipe/leadpipe/connectors/lumi/lumitest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/schema"
)

// The documented values, copied from lumi.txt. A value added here without a
// mapping fails the build's tests.
var (
	documentedStatuses = []string{"CLOSED", "DECLINED", "EXPIRED", "FUNDED", "MISSED_CALL", "WAITING_FOR_CALL",
		"AWAITING_CREDIT_APPROVAL", "AWAITING_LOAN_DOCUMENTS", "AWAITING_DISBURSEMENT", "IDENTITY_VERIFICATION",
		"SUBMITTED", "CALL_ATTEMPTED", "CREDIT_WAITING_DETAILS", "PROCESSING"}
	documentedLostReasons = []string{"unable_to_meet_capital_requirements", "has_competitor_loan",
		"funded_prior_to_lead_submitted", "company_age_too_low", "insufficient_monthly_turnover",
		"individual_veda_too_low", "fails_age_requirements", "starting_a_business",
		"looking_to_buy_a_business_no_existing_business", "client_declined_cost", "client_unresponsive",
		"credit_declined", "duplicate_lead", "incorrect_details", "client_declined_loan_not_required", "other"}
	documentedCreditDeclineReasons = []string{"insufficient_sales", "insufficient_credit_score_restricted_sector",
		"insufficient_credit_score_general_sector", "excessive_dishonours_cash_flow_unsuitable", "excluded_sector",
		"character", "time_in_business", "concurrent_loans", "bankruptcy", "excessive_ato_debt",
		"no_servicing_evident", "excessive_gambling", "adverse_credit_event", "poor_existing_lumi_conduct", "other"}
	// The list says STATUS_UPDATED, the examples say STATUS_CHANGE.
	documentedEventTypes = []string{"STATUS_UPDATED", "STATUS_CHANGE", "DOCUMENT_CAPTURE", "LOAN_DOCUMENTS", "CALL", "EMAIL"}
	documentedProducts   = []string{"DYNAMIC_TERM_LOAN", "REVOLVING_CREDIT", "term-loan", "line-of-credit"}
	documentedAppTypes   = []string{"REGULAR", "REFINANCE_INTERNAL", "REFINANCE_EXTERNAL"}
)

func TestEveryDocumentedValueIsMapped(t *testing.T) {
	canonical := map[string]bool{}
	for _, s := range schema.Statuses {
		canonical[s] = true
	}
	for _, s := range documentedStatuses {
		got, ok := lumi.StatusMap[s]
		if !ok || !canonical[got] {
			t.Errorf("lead status %s maps to %q, not a canonical status", s, got)
		}
	}
	for _, r := range documentedLostReasons {
		if !lumi.LostReasons[r] {
			t.Errorf("lost reason %s is not known", r)
		}
	}
	for _, r := range documentedCreditDeclineReasons {
		if !lumi.CreditDeclineReasons[r] {
			t.Errorf("credit decline reason %s is not known", r)
		}
	}
	for _, e := range documentedEventTypes {
		if _, ok := lumi.EventTypeMap[e]; !ok {
			t.Errorf("event type %s is not mapped", e)
		}
	}
	for _, p := range documentedProducts {
		if _, ok := lumi.ProductMap[p]; !ok {
			t.Errorf("product %s is not mapped", p)
		}
	}
	for _, a := range documentedAppTypes {
		if _, ok := lumi.ApplicationTypeMap[a]; !ok {
			t.Errorf("application type %s is not mapped", a)
		}
	}
	// The sandbox was written from the same doc by someone else; its lists
	// must agree with ours.
	for _, s := range lumitest.Statuses() {
		if _, ok := lumi.StatusMap[s]; !ok {
			t.Errorf("sandbox status %s is not mapped", s)
		}
	}
	for _, e := range lumitest.EventTypes() {
		if _, ok := lumi.EventTypeMap[e]; !ok {
			t.Errorf("sandbox event type %s is not mapped", e)
		}
	}
}

type env struct {
	srv  *lumitest.Server
	http *httptest.Server
	*sandbox.Clock
}

func start(t *testing.T, size int) *env {
	t.Helper()
	e := &env{Clock: sandbox.NewClock(lumitest.Anchor().Add(24 * time.Hour))}
	e.srv = lumitest.New(sandbox.Options{Seed: 7, Size: size, Now: e.Now})
	e.http = httptest.NewServer(e.srv)
	t.Cleanup(e.http.Close)
	return e
}

func (e *env) config(t *testing.T, extra string) any {
	return connectortest.Config(t, "lumi", fmt.Sprintf("base_url: %s/v1\nusername: %s\npassword: %s\nrate_limit: 1000\n%s",
		e.http.URL, lumitest.Username, lumitest.Password, extra))
}

func (e *env) read(t *testing.T, cfg any, state map[string]string, streams ...string) *connectortest.Result {
	t.Helper()
	if len(streams) == 0 {
		streams = []string{"leads", "events", "loans"}
	}
	res := connectortest.Read(t, "lumi", cfg, &connectors.ReadRequest{Streams: streams, State: state, Now: e.Now()})
	if res.Err != nil {
		t.Fatalf("read: %v", res.Err)
	}
	return res
}

func TestFullReadMatchesTheSandbox(t *testing.T) {
	for _, tc := range []struct {
		name     string
		size     int
		pageSize int
	}{
		{"default page", 120, 100},
		{"exact multiple of the page size", 100, 25},
		{"page of one", 12, 1},
		{"more pages than workers", 90, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, tc.size)
			res := e.read(t, e.config(t, fmt.Sprintf("page_size: %d\nconcurrency: 3", tc.pageSize)), nil)
			truth := e.srv.Leads()
			if len(res.Batch.Leads) != len(truth) {
				t.Fatalf("leads: got %d, sandbox has %d", len(res.Batch.Leads), len(truth))
			}
			got := map[string]schema.Lead{}
			for _, l := range res.Batch.Leads {
				if _, dup := got[l.LeadUID]; dup {
					t.Fatalf("lead %s emitted twice", l.LeadUID)
				}
				got[l.LeadUID] = l
			}
			funded := 0
			for _, w := range truth {
				l, ok := got["lumi:"+w.ID]
				if !ok {
					t.Fatalf("lead %s missing", w.ID)
				}
				if l.VendorStatus != w.Status || l.Status != lumi.StatusMap[w.Status] {
					t.Errorf("lead %s status %s/%s, want %s", w.ID, l.Status, l.VendorStatus, w.Status)
				}
				if want := w.CreatedAt.UTC(); !l.CreatedAt.Time().Equal(want) {
					t.Errorf("lead %s created_at %s, want %s", w.ID, l.CreatedAt, want)
				}
				if l.Phone != "" && !strings.HasPrefix(l.Phone, "+61") {
					t.Errorf("lead %s phone %q is not E.164 AU", w.ID, l.Phone)
				}
				if w.Status == "FUNDED" {
					funded++
				}
			}
			events := e.srv.Events()
			if len(res.Batch.Events) != len(events) {
				t.Errorf("events: got %d, sandbox has %d", len(res.Batch.Events), len(events))
			}
			if len(res.Batch.Loans) != funded {
				t.Errorf("loans: got %d, sandbox has %d funded leads", len(res.Batch.Loans), funded)
			}
			for _, c := range []string{"leads", "events", "loans"} {
				if res.Cursors[c] == "" {
					t.Errorf("no cursor for %s", c)
				}
			}
		})
	}
}

func TestLoansCarryTheDetailsOnlyFields(t *testing.T) {
	e := start(t, 80)
	res := e.read(t, e.config(t, ""), nil, "loans")
	if len(res.Batch.Loans) == 0 {
		t.Fatal("no loans")
	}
	for _, l := range res.Batch.Loans {
		w, ok := e.srv.Lead(strings.TrimPrefix(l.LeadUID, "lumi:"))
		if !ok {
			t.Fatalf("loan %s has no lead", l.LoanUID)
		}
		if l.Status != schema.StatusFunded || l.Currency != "AUD" || l.TermUnit != "week" {
			t.Errorf("loan %s: status %s currency %s unit %s", l.LoanUID, l.Status, l.Currency, l.TermUnit)
		}
		if !l.CommissionAmount.Valid || !l.CommissionRate.Valid || !l.InterestRate.Valid || !l.Principal.Valid {
			t.Errorf("loan %s lacks commission, rate or principal: %+v", l.LoanUID, l)
			continue
		}
		want, _ := schema.ParseMoney(fmt.Sprintf("%.2f", *w.EffectiveCommission))
		if l.CommissionAmount != want {
			t.Errorf("loan %s commission %s, want %s", l.LoanUID, l.CommissionAmount, want)
		}
		if l.CommissionRate.Micros*100 != int64(*w.CommissionPercentage*1e6+0.5) {
			t.Errorf("loan %s commission rate %s, want %v%%", l.LoanUID, l.CommissionRate, *w.CommissionPercentage)
		}
		if l.Product != "term_loan" && l.Product != "line_of_credit" {
			t.Errorf("loan %s product %q", l.LoanUID, l.Product)
		}
		if !l.FundedAt.Valid {
			t.Errorf("loan %s has no funded_at", l.LoanUID)
		}
	}
}

func TestIncrementalReadsOnlyWhatChanged(t *testing.T) {
	e := start(t, 150)
	cfg := e.config(t, "page_size: 20")
	first := e.read(t, cfg, nil)

	// Nothing changes: the next run reads no leads, no loans and at most the
	// events inside the lookback window.
	e.Advance(time.Hour)
	quiet := e.read(t, cfg, first.Cursors)
	if len(quiet.Batch.Leads) != 0 || len(quiet.Batch.Loans) != 0 || len(quiet.Batch.Events) != 0 {
		t.Errorf("quiet run read %d leads, %d loans, %d events", len(quiet.Batch.Leads), len(quiet.Batch.Loans), len(quiet.Batch.Events))
	}

	// Two old leads move on, one of them to FUNDED.
	e.Advance(time.Hour)
	var moved []string
	for _, l := range e.srv.Leads() {
		if l.Status == "WAITING_FOR_CALL" || l.Status == "AWAITING_DISBURSEMENT" {
			moved = append(moved, l.ID)
		}
		if len(moved) == 2 {
			break
		}
	}
	if err := e.srv.SetStatus(moved[0], "PROCESSING"); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SetStatus(moved[1], "FUNDED"); err != nil {
		t.Fatal(err)
	}
	e.Advance(time.Minute)
	next := e.read(t, cfg, quiet.Cursors)
	gotLeads := map[string]string{}
	for _, l := range next.Batch.Leads {
		gotLeads[l.VendorLeadID] = l.VendorStatus
	}
	if gotLeads[moved[0]] != "PROCESSING" || gotLeads[moved[1]] != "FUNDED" || len(gotLeads) != 2 {
		t.Errorf("incremental leads = %v, want %s PROCESSING and %s FUNDED only", gotLeads, moved[0], moved[1])
	}
	if len(next.Batch.Loans) != 1 || next.Batch.Loans[0].LeadUID != "lumi:"+moved[1] {
		t.Errorf("incremental loans = %+v, want the loan of %s", next.Batch.Loans, moved[1])
	}
	if len(next.Batch.Events) != 2 {
		t.Errorf("incremental events = %d, want the 2 status changes", len(next.Batch.Events))
	}
	if next.HTTP.Requests >= first.HTTP.Requests {
		t.Errorf("incremental run made %d requests, the full one %d", next.HTTP.Requests, first.HTTP.Requests)
	}
}

func TestFullRefreshIgnoresTheCursor(t *testing.T) {
	e := start(t, 30)
	cfg := e.config(t, "")
	first := e.read(t, cfg, nil)
	res := connectortest.Read(t, "lumi", cfg, &connectors.ReadRequest{
		Streams: []string{"leads"}, State: first.Cursors, FullRefresh: true, Now: e.Now(),
	})
	if res.Err != nil || len(res.Batch.Leads) != 30 {
		t.Fatalf("full refresh read %d leads (err %v), want 30", len(res.Batch.Leads), res.Err)
	}
}

func TestUnknownValuesAreKeptAndCounted(t *testing.T) {
	e := start(t, 60)
	e.srv.InjectUnknownValues()
	res := e.read(t, e.config(t, ""), nil)
	if res.Unknowns.Total() == 0 {
		t.Fatal("no unknown values counted")
	}
	fields := map[string]bool{}
	for _, u := range res.Unknowns.List() {
		fields[u.Field] = true
	}
	for _, f := range []string{"lead.status", "event.event_type"} {
		if !fields[f] {
			t.Errorf("no unknown %s counted; got %v", f, res.Unknowns.List())
		}
	}
	for _, l := range res.Batch.Leads {
		if _, known := lumi.StatusMap[l.VendorStatus]; !known && l.Status != lumi.UnknownStatus {
			t.Errorf("unknown status %s mapped to %s", l.VendorStatus, l.Status)
		}
	}
}

func TestAuthFailureIsClearAndHidesThePassword(t *testing.T) {
	e := start(t, 5)
	cfg := connectortest.Config(t, "lumi", fmt.Sprintf("base_url: %s/v1\nusername: %s\npassword: wrong-secret-123\n", e.http.URL, lumitest.Username))
	res := connectortest.Read(t, "lumi", cfg, &connectors.ReadRequest{Streams: []string{"leads"}, Now: e.Now()})
	if res.Err == nil {
		t.Fatal("no error with a wrong password")
	}
	msg := res.Err.Error()
	if !strings.Contains(msg, "403") || !strings.Contains(msg, "Unauthorized") {
		t.Errorf("error does not say 403 Unauthorized: %s", msg)
	}
	if strings.Contains(msg, "wrong-secret-123") {
		t.Errorf("error leaks the password: %s", msg)
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject func(f *sandbox.Faults)
	}{
		{"429 with Retry-After", func(f *sandbox.Faults) { f.Storm429(3, 0) }},
		{"503", func(f *sandbox.Faults) { f.FailNext(2, 503, "unavailable") }},
		{"dropped connection", func(f *sandbox.Faults) { f.DropNext(2) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, 20)
			tc.inject(e.srv.Faults())
			res := e.read(t, e.config(t, "concurrency: 1"), nil, "leads")
			if len(res.Batch.Leads) != 20 {
				t.Errorf("got %d leads, want 20", len(res.Batch.Leads))
			}
			if res.HTTP.Retries == 0 {
				t.Error("no retries recorded")
			}
		})
	}
}

func TestMalformedBodyFailsClearly(t *testing.T) {
	e := start(t, 5)
	e.srv.Faults().MalformedNext(1)
	res := connectortest.Read(t, "lumi", e.config(t, ""), &connectors.ReadRequest{Streams: []string{"leads"}, Now: e.Now()})
	if res.Err == nil {
		t.Fatal("a malformed body did not fail the read")
	}
	if !strings.Contains(res.Err.Error(), "lumi") {
		t.Errorf("error does not name the vendor: %v", res.Err)
	}
}

func TestConfigProblems(t *testing.T) {
	_, probs := connectortest.TryConfig("lumi", "base_url: ftp://x\npage_size: 500\nusername: ''\ntimezone: Mars/Base\nbogus: 1\n")
	msgs := probs.Error()
	for _, want := range []string{"config.base_url", "config.page_size: must be 1..100", "config.username: is required",
		"config.password: is required", "config.timezone", `unknown key "bogus"`} {
		if !strings.Contains(msgs, want) {
			t.Errorf("problems lack %q:\n%s", want, msgs)
		}
	}
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		Connector: "lumi",
		PageSize:  5,
		Start: func(t *testing.T, size int) *connectortest.Sandbox {
			if size == 0 {
				size = -1 // an empty account
			}
			e := start(t, size)
			base := fmt.Sprintf("base_url: %s/v1\nusername: %s\nrate_limit: 1000\npage_size: 5\n", e.http.URL, lumitest.Username)
			return &connectortest.Sandbox{
				Config:        base + "password: " + lumitest.Password + "\n",
				BadAuthConfig: base + "password: not-the-password-42\n",
				Secret:        "not-the-password-42",
				Faults:        e.srv.Faults(),
				Now:           e.Now,
				Truth: func(table string) int {
					switch table {
					case "leads":
						return len(e.srv.Leads())
					case "events":
						return len(e.srv.Events())
					case "loans":
						n := 0
						for _, l := range e.srv.Leads() {
							if l.Status == "FUNDED" {
								n++
							}
						}
						return n
					}
					return 0
				},
				InjectUnknownValues: e.srv.InjectUnknownValues,
				Change: func(t *testing.T) {
					e.Advance(time.Hour)
					for _, l := range e.srv.Leads() {
						if l.Status == "SUBMITTED" || l.Status == "WAITING_FOR_CALL" {
							if err := e.srv.SetStatus(l.ID, "PROCESSING"); err != nil {
								t.Fatal(err)
							}
							break
						}
					}
					e.Advance(time.Minute)
				},
			}
		},
	})
}

// A total that undercounts (a page count, or leads created during the read)
// must not truncate the stream: full pages are followed until a short one.
func TestUndercountingTotalDoesNotTruncate(t *testing.T) {
	srv := lumitest.New(sandbox.Options{Seed: 7, Size: 23})
	lying := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		body := regexp.MustCompile(`"(count|total)":\s*\d+`).ReplaceAll(rec.Body.Bytes(), []byte(`"$1":1`))
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	defer lying.Close()
	cfg := connectortest.Config(t, "lumi", fmt.Sprintf("base_url: %s/v1\nusername: %s\npassword: %s\nrate_limit: 1000\npage_size: 5\n",
		lying.URL, lumitest.Username, lumitest.Password))
	res := connectortest.Read(t, "lumi", cfg, &connectors.ReadRequest{Streams: []string{"leads", "events"}, Now: lumitest.Anchor()})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Batch.Leads) != 23 || len(res.Batch.Events) != len(srv.Events()) {
		t.Errorf("read %d leads and %d events, the sandbox has 23 and %d", len(res.Batch.Leads), len(res.Batch.Events), len(srv.Events()))
	}
}
