package lumitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: anchor.Add(10 * 24 * time.Hour)} }

func start(t *testing.T, opts sandbox.Options) (*Server, string) {
	t.Helper()
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL + "/v1"
}

type resp struct {
	code int
	body []byte
}

func do(t *testing.T, method, u string, body io.Reader, ctype string, auth bool) resp {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth {
		req.SetBasicAuth(Username, Password)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, b}
}

func get(t *testing.T, u string) resp { t.Helper(); return do(t, "GET", u, nil, "", true) }

func postJSON(t *testing.T, u string, v any) resp {
	t.Helper()
	b, _ := json.Marshal(v)
	return do(t, "POST", u, bytes.NewReader(b), "application/json", true)
}

func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, r.body)
	}
	return v
}

// wantError checks the documented error body and that one message contains want.
func wantError(t *testing.T, r resp, code int, want string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d: %s", r.code, code, r.body)
	}
	var errs []map[string]any
	if err := json.Unmarshal(r.body, &errs); err != nil || len(errs) == 0 {
		t.Fatalf("error body not [{status,error}]: %s", r.body)
	}
	found := false
	for _, e := range errs {
		if len(e) != 2 || e["status"] != false {
			t.Fatalf("bad error entry %v", e)
		}
		if m, _ := e["error"].(string); strings.Contains(m, want) {
			found = true
		}
	}
	if !found {
		t.Fatalf("no error containing %q in %s", want, r.body)
	}
}

func TestRegisteredAndEnv(t *testing.T) {
	f, ok := sandbox.Lookup("lumi")
	if !ok {
		t.Fatal("lumi not registered")
	}
	sb := f(sandbox.Options{Size: 5})
	if sb.Vendor() != "lumi" {
		t.Fatal(sb.Vendor())
	}
	env := sb.Env("http://127.0.0.1:9/lumi/")
	want := map[string]string{"LUMI_BASE_URL": "http://127.0.0.1:9/lumi/v1", "LUMI_USERNAME": Username, "LUMI_PASSWORD": Password}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
}

func TestAuth(t *testing.T) {
	s, base := start(t, sandbox.Options{Size: 10})
	cases := []struct {
		name   string
		method string
		path   string
		header string
		want   int
	}{
		{"no header", "GET", "/leads", "", 403},
		{"wrong password", "GET", "/leads", basic(Username, "nope"), 403},
		{"wrong user", "GET", "/leads", basic("someone", Password), 403},
		{"bearer", "GET", "/leads", "Bearer " + Password, 403},
		{"unknown path", "GET", "/nothing", "", 403},
		{"post unauthenticated", "POST", "/leads", "", 403},
		{"events", "GET", "/leads/events", "", 403},
		{"ok", "GET", "/leads", basic(Username, Password), 200},
		{"ok upper-case scheme", "GET", "/leads/loanReasons", "BASIC " + b64(Username+":"+Password), 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader("{}"))
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != c.want {
				t.Fatalf("status %d, want %d", res.StatusCode, c.want)
			}
			if c.want == 403 && string(b) != `[{"status": false, "error": "Unauthorized"}]` {
				t.Fatalf("body %s", b)
			}
		})
	}
	if s.Attempts() != 1 || len(s.Received()) != 0 {
		t.Fatalf("attempts %d received %d", s.Attempts(), len(s.Received()))
	}
}

func basic(u, p string) string { return "Basic " + b64(u+":"+p) }

func b64(s string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(s[:strings.Index(s, ":")], s[strings.Index(s, ":")+1:])
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

func leadIDs(ls []Lead) []string {
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = l.ID
	}
	return ids
}

func TestListPagination(t *testing.T) {
	s, base := start(t, sandbox.Options{Seed: 3, Size: 120})
	truth := leadIDs(s.Leads())
	cases := []struct {
		name       string
		query      string
		from, upto int // expected slice of truth
	}{
		{"default first page", "", 0, 50},
		{"page 2", "?page_index=2", 50, 100},
		{"last partial page", "?page_index=3", 100, 120},
		{"past the end", "?page_index=4", 120, 120},
		{"exact multiple last page", "?page_size=40&page_index=3", 80, 120},
		{"exact multiple past end", "?page_size=40&page_index=4", 120, 120},
		{"max page size", "?page_size=100", 0, 100},
		{"page size 1", "?page_size=1&page_index=120", 119, 120},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := get(t, base+"/leads"+c.query)
			if r.code != 200 {
				t.Fatalf("%d %s", r.code, r.body)
			}
			lr := decode[LeadsResponse](t, r)
			if !lr.Success || lr.Result.Count != 120 {
				t.Fatalf("success %v count %d", lr.Success, lr.Result.Count)
			}
			if got := leadIDs(lr.Result.Leads); !slices.Equal(got, truth[c.from:c.upto]) {
				t.Fatalf("got %d ids, want truth[%d:%d]", len(got), c.from, c.upto)
			}
			if c.from == c.upto && !bytes.Contains(r.body, []byte(`"leads":[]`)) {
				t.Fatalf("empty page must be [] not null: %s", r.body)
			}
		})
	}
	bad := []struct{ query, want string }{
		{"page_index=0", "page_index"},
		{"page_index=-1", "page_index"},
		{"page_index=x", "page_index"},
		{"page_size=0", "page_size"},
		{"page_size=101", "page_size must be an integer between 1 and 100"},
		{"page_size=1.5", "page_size"},
	}
	for _, b := range bad {
		t.Run("invalid "+b.query, func(t *testing.T) {
			wantError(t, get(t, base+"/leads?"+b.query), 400, b.want)
		})
	}
	// Ordering is created_at then id.
	ls := s.Leads()
	for i := 1; i < len(ls); i++ {
		if cmpLead(&ls[i-1], &ls[i]) >= 0 {
			t.Fatalf("leads not ordered at %d", i)
		}
	}
}

func TestListFilters(t *testing.T) {
	s, base := start(t, sandbox.Options{Seed: 7})
	truth := s.Leads()
	mid := truth[len(truth)/2].CreatedAt
	day := mid.UTC().Format("2006-01-02")
	dayStart, _ := time.Parse("2006-01-02", day)
	filter := func(keep func(Lead) bool) []string {
		var ids []string
		for _, l := range truth {
			if keep(l) {
				ids = append(ids, l.ID)
			}
		}
		return ids
	}
	cases := []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"status", url.Values{"status": {"FUNDED"}}, filter(func(l Lead) bool { return l.Status == "FUNDED" })},
		{"status WAITING_FOR_CALL", url.Values{"status": {"WAITING_FOR_CALL"}}, filter(func(l Lead) bool { return l.Status == "WAITING_FOR_CALL" })},
		{"application_status", url.Values{"application_status": {"SUBMITTED"}}, filter(func(l Lead) bool { return l.Loan.ApplicationStatus == "SUBMITTED" })},
		{"status and application_status", url.Values{"status": {"DECLINED"}, "application_status": {"IN_PROCESS"}},
			filter(func(l Lead) bool { return l.Status == "DECLINED" && l.Loan.ApplicationStatus == "IN_PROCESS" })},
		{"date_from datetime inclusive", url.Values{"date_from": {mid.Format(time.RFC3339)}}, filter(func(l Lead) bool { return !l.CreatedAt.Before(mid) })},
		{"date_to datetime inclusive", url.Values{"date_to": {mid.UTC().Format(time.RFC3339Nano)}}, filter(func(l Lead) bool { return !l.CreatedAt.After(mid) })},
		{"date_to date-only includes whole day", url.Values{"date_to": {day}}, filter(func(l Lead) bool { return l.CreatedAt.Before(dayStart.AddDate(0, 0, 1)) })},
		{"date_from date-only", url.Values{"date_from": {day}}, filter(func(l Lead) bool { return !l.CreatedAt.Before(dayStart) })},
		{"one day", url.Values{"date_from": {day}, "date_to": {day}},
			filter(func(l Lead) bool {
				return !l.CreatedAt.Before(dayStart) && l.CreatedAt.Before(dayStart.AddDate(0, 0, 1))
			})},
		{"inverted range", url.Values{"date_from": {"2026-10-01"}, "date_to": {"2026-09-01"}}, nil},
		{"date range and status", url.Values{"date_from": {"2026-08-01T00:00:00+10:00"}, "status": {"CLOSED"}},
			filter(func(l Lead) bool {
				return l.Status == "CLOSED" && !l.CreatedAt.Before(time.Date(2026, 7, 31, 14, 0, 0, 0, time.UTC))
			})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			count := -1
			for page := 1; ; page++ {
				q := url.Values{}
				for k, v := range c.query {
					q[k] = v
				}
				q.Set("page_size", "100")
				q.Set("page_index", fmt.Sprint(page))
				lr := decode[LeadsResponse](t, get(t, base+"/leads?"+q.Encode()))
				count = lr.Result.Count
				if len(lr.Result.Leads) == 0 {
					break
				}
				got = append(got, leadIDs(lr.Result.Leads)...)
			}
			if !slices.Equal(got, c.want) || count != len(c.want) {
				t.Fatalf("got %d (count %d), want %d", len(got), count, len(c.want))
			}
		})
	}
	bad := []struct{ query, want string }{
		{"status=Funded", "status must be one of"},
		{"application_status=DONE", "application_status must be one of"},
		{"date_from=yesterday", "date_from"},
		{"date_to=2026-13-01", "date_to"},
	}
	for _, b := range bad {
		t.Run("invalid "+b.query, func(t *testing.T) {
			wantError(t, get(t, base+"/leads?"+b.query), 400, b.want)
		})
	}
}

var fundedOnly = []string{"commission_percentage", "effective_commission", "annual_simple_rate", "loan_product_type"}

func TestListAndDetailsShapes(t *testing.T) {
	s, base := start(t, sandbox.Options{Seed: 1, Size: 60})
	r := get(t, base+"/leads?page_size=100")
	var raw struct {
		Result struct {
			Leads []map[string]any `json:"leads"`
		} `json:"result"`
	}
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, l := range raw.Result.Leads {
		for _, f := range fundedOnly {
			if _, ok := l[f]; ok {
				t.Fatalf("list lead %v carries %s", l["id"], f)
			}
		}
		loan := l["loan"].(map[string]any)
		if _, ok := loan["top_up_amount"]; ok {
			t.Fatal("list carries loan.top_up_amount")
		}
		for _, f := range []string{"id", "status", "lost_reason", "credit_decline_reasons", "stakeholder", "company",
			"loan", "broker_notes", "created_at", "updated_at", "application_id"} {
			if _, ok := l[f]; !ok {
				t.Fatalf("list lead lacks %s", f)
			}
		}
	}
	ts := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+1[01]:00$`)
	for _, l := range s.Leads() {
		t.Run(l.Status+"/"+l.ID, func(t *testing.T) {
			r := get(t, base+"/leads/"+l.ID)
			var m map[string]any
			_ = json.Unmarshal(r.body, &m)
			res := m["result"].(map[string]any)
			if !ts.MatchString(res["created_at"].(string)) || !ts.MatchString(res["updated_at"].(string)) {
				t.Fatalf("timestamp format %v %v", res["created_at"], res["updated_at"])
			}
			loan := res["loan"].(map[string]any)
			_, hasTop := loan["top_up_amount"]
			for _, f := range fundedOnly {
				if _, ok := res[f]; ok != (l.Status == "FUNDED") {
					t.Fatalf("%s present=%v for status %s", f, ok, l.Status)
				}
			}
			if hasTop != (l.Status == "FUNDED") {
				t.Fatalf("top_up_amount present=%v", hasTop)
			}
			d := decode[LeadResponse](t, r).Result
			if d.ID != l.ID || !d.CreatedAt.Equal(l.CreatedAt) || d.Status != l.Status {
				t.Fatal("details differ from truth")
			}
			if l.Status == "FUNDED" {
				if l.LoanID == "" || *l.EffectiveCommission != round2(l.Loan.Amount**l.CommissionPercentage/100) {
					t.Fatalf("funded lead inconsistent: %+v", l)
				}
				if r := *l.AnnualSimpleRate; r <= 0 || r >= 1 || r != round4(r) {
					t.Fatalf("rate %v", r)
				}
			}
		})
	}
	t.Run("unknown id", func(t *testing.T) {
		wantError(t, get(t, base+"/leads/000000000000000000000000"), 400, "lead not found")
		wantError(t, get(t, base+"/leads/000000000000000000000000/events"), 400, "lead not found")
	})
}

func TestEvents(t *testing.T) {
	s, base := start(t, sandbox.Options{Seed: 11, Size: 80})
	all := s.Events()
	dateRe := regexp.MustCompile(`"date":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"`)
	fetch := func(path string, q url.Values) ([]Event, int) {
		var out []Event
		total := -1
		for page := 1; ; page++ {
			q.Set("page_index", fmt.Sprint(page))
			r := get(t, base+path+"?"+q.Encode())
			if r.code != 200 {
				t.Fatalf("%d %s", r.code, r.body)
			}
			er := decode[EventsResponse](t, r)
			if er.Result.Page != page {
				t.Fatalf("page %d, want %d", er.Result.Page, page)
			}
			if len(er.Result.LeadEvents) > 0 && !dateRe.Match(r.body) {
				t.Fatalf("date format: %s", r.body[:200])
			}
			total = er.Result.Total
			if len(er.Result.LeadEvents) == 0 {
				return out, total
			}
			out = append(out, er.Result.LeadEvents...)
		}
	}
	ids := func(es []Event) []string {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.ID
		}
		return out
	}
	keep := func(f func(Event) bool) []string {
		var out []string
		for _, e := range all {
			if f(e) {
				out = append(out, e.ID)
			}
		}
		return out
	}
	lead := s.Leads()[40]
	since := all[len(all)/2].Date
	created := all[len(all)/3].RecordedAt
	cases := []struct {
		name string
		path string
		q    url.Values
		want []string
	}{
		{"all", "/leads/events", url.Values{}, keep(func(Event) bool { return true })},
		{"all page size 100", "/leads/events", url.Values{"page_size": {"100"}}, keep(func(Event) bool { return true })},
		{"one lead", "/leads/" + lead.ID + "/events", url.Values{}, keep(func(e Event) bool { return e.LeadID == lead.ID })},
		{"one lead by id param", "/leads/events", url.Values{"id": {lead.ID}}, keep(func(e Event) bool { return e.LeadID == lead.ID })},
		{"since inclusive", "/leads/events", url.Values{"since": {since.Format(time.RFC3339Nano)}}, keep(func(e Event) bool { return !e.Date.Before(since) })},
		{"since date", "/leads/events", url.Values{"since": {"2026-10-15"}},
			keep(func(e Event) bool { return !e.Date.Before(time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)) })},
		{"createdAtSince exclusive", "/leads/events", url.Values{"createdAtSince": {created.Format(time.RFC3339Nano)}},
			keep(func(e Event) bool { return e.RecordedAt.After(created) })},
		{"both", "/leads/events", url.Values{"since": {since.Format(time.RFC3339)}, "createdAtSince": {created.Format(time.RFC3339)}},
			keep(func(e Event) bool { return !e.Date.Before(since) && e.RecordedAt.After(created) })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, total := fetch(c.path, c.q)
			if !slices.Equal(ids(got), c.want) || total != len(c.want) {
				t.Fatalf("got %d (total %d), want %d", len(got), total, len(c.want))
			}
		})
	}
	t.Run("default page size 50", func(t *testing.T) {
		er := decode[EventsResponse](t, get(t, base+"/leads/events"))
		if len(er.Result.LeadEvents) != 50 || er.Result.Total != len(all) || er.Result.Page != 1 {
			t.Fatalf("%d events, total %d", len(er.Result.LeadEvents), er.Result.Total)
		}
	})
	for _, q := range []string{"page_size=101", "page_size=0", "page_index=0", "since=nope", "createdAtSince=2026-02-30"} {
		t.Run("invalid "+q, func(t *testing.T) {
			wantError(t, get(t, base+"/leads/events?"+q), 400, strings.SplitN(q, "=", 2)[0])
		})
	}
	t.Run("history consistent with status", func(t *testing.T) {
		checkHistory(t, s)
	})
}

// checkHistory verifies ordering and that each lead's last status event is
// its current status and its first is SUBMITTED at created_at.
func checkHistory(t *testing.T, s *Server) {
	t.Helper()
	all := s.Events()
	lastStatus := map[string]string{}
	first := map[string]Event{}
	for i, e := range all {
		if i > 0 && cmpEvent(&all[i-1], &e) >= 0 {
			t.Fatalf("events not ordered at %d", i)
		}
		if e.RecordedAt.Before(e.Date) {
			t.Fatalf("event %s recorded before it happened", e.ID)
		}
		if e.EventType == "STATUS_CHANGE" || e.EventType == "STATUS_UPDATED" {
			if _, ok := first[e.LeadID]; !ok {
				first[e.LeadID] = e
			}
			lastStatus[e.LeadID] = e.EventText
		}
	}
	for _, l := range s.Leads() {
		if lastStatus[l.ID] != l.Status {
			t.Fatalf("lead %s status %s, last status event %q", l.ID, l.Status, lastStatus[l.ID])
		}
		if f := first[l.ID]; f.EventText != "SUBMITTED" || !f.Date.Equal(l.CreatedAt) {
			t.Fatalf("lead %s first status event %+v, created %v", l.ID, f, l.CreatedAt)
		}
		if l.UpdatedAt.Before(l.CreatedAt) {
			t.Fatalf("lead %s updated before created", l.ID)
		}
	}
}

// docExample is the doc's Create Lead example request.
const docExample = `{
"customer": {"first_name": "Ben", "last_name": "Blah", "email": "ben234@www.lumi.com.au", "phone": "0412352312",
  "date_of_birth": "2017-06-30", "address": {"street_number": "2", "street": "Sprint Street", "city": "Bondi Junction",
  "postal_code": "2022", "state": "NSW", "country": "Australia"}, "credit_score": 500, "defaults": 1,
  "drivers_license_number": "12312312", "drivers_license_state": "NSW", "drivers_license_card_number": "CN987654321",
  "has_property": "no", "property_info": "applicant doesn't have any property"},
"company": {"name": "Bens Burgers", "months_in_business": 24, "accounting_software": "Xero",
  "business_description": "Restaurant", "industry": "E", "industry_sector": "01", "industry_granular": "22",
  "average_monthly_turnover": 50000, "abn": "115213748", "address": {"street_number": "2", "street": "Sprint Street",
  "city": "Bondi Junction", "postal_code": "2022", "state": "NSW", "country": "Australia"},
  "website": "www.examplewebsite.com.au", "number_of_employees": 27, "ato_debt": "yes",
  "ato_debt_details": "details description", "credit_score": 500, "has_other_loans": "no",
  "other_loan_details": "other loan details"},
"loan": {"requested_amount": 15000, "installments": 52, "reason_for_loan": ["buy_equipment", "cash_flow"],
  "use_of_funds": "Purchasing new equipment", "preferred_loan_type": "term-loan"},
"broker_notes": "Some notes will provide more information for the application",
"contact_customer": true, "external_id": "ABC123", "referred_by": "lead_owner@email"}`

func example(t *testing.T) map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(docExample), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// set assigns v at a dotted path ("customer.email"); v == del removes it.
var del = struct{}{}

func set(m map[string]any, path string, v any) map[string]any {
	parts := strings.Split(path, ".")
	cur := m
	for _, p := range parts[:len(parts)-1] {
		cur = cur[p].(map[string]any)
	}
	if v == del {
		delete(cur, parts[len(parts)-1])
	} else {
		cur[parts[len(parts)-1]] = v
	}
	return m
}

func TestCreateLead(t *testing.T) {
	clk := newClock()
	s, base := start(t, sandbox.Options{Seed: 5, Size: 50, Now: clk.Now})
	before := clk.Now()
	r := postJSON(t, base+"/leads", example(t))
	if r.code != 200 {
		t.Fatalf("%d %s", r.code, r.body)
	}
	cr := decode[CreateResponse](t, r)
	if !cr.Success || !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(cr.Result) {
		t.Fatalf("%s", r.body)
	}
	id := cr.Result

	d := decode[LeadResponse](t, get(t, base+"/leads/"+id)).Result
	if d.Status != "SUBMITTED" || d.ExternalID != "ABC123" || !d.CreatedAt.Equal(before) || !d.UpdatedAt.Equal(before) ||
		d.Stakeholder.Email != "ben234@www.lumi.com.au" || d.Stakeholder.BirthDate != "2017-06-30" ||
		d.Company.ABN != "115213748" || d.Loan.RequestedAmount != 15000 || d.Loan.Installments != 52 ||
		!slices.Equal(d.Loan.ReasonForLoan, []string{"buy_equipment", "cash_flow"}) || d.SubmittedBy != BrokerName {
		t.Fatalf("details: %+v", d)
	}
	if d.CommissionPercentage != nil || d.LoanProductType != "" {
		t.Fatal("new lead carries funded fields")
	}

	t.Run("in list with date filter", func(t *testing.T) {
		lr := decode[LeadsResponse](t, get(t, base+"/leads?date_from="+url.QueryEscape(before.Add(-time.Second).Format(time.RFC3339))))
		if lr.Result.Count != 1 || lr.Result.Leads[0].ID != id || lr.Result.Leads[0].ExternalID != "ABC123" {
			t.Fatalf("%+v", lr.Result)
		}
		lr = decode[LeadsResponse](t, get(t, base+"/leads?status=SUBMITTED&date_from="+before.Format("2006-01-02")))
		if lr.Result.Count != 1 {
			t.Fatalf("count %d", lr.Result.Count)
		}
	})
	t.Run("SUBMITTED event", func(t *testing.T) {
		er := decode[EventsResponse](t, get(t, base+"/leads/"+id+"/events"))
		if er.Result.Total != 1 || er.Result.LeadEvents[0].EventText != "SUBMITTED" || er.Result.LeadEvents[0].EventType != "STATUS_CHANGE" {
			t.Fatalf("%+v", er.Result)
		}
		er = decode[EventsResponse](t, get(t, base+"/leads/events?createdAtSince="+url.QueryEscape(before.Add(-time.Millisecond).Format(time.RFC3339Nano))))
		if er.Result.Total != 1 || er.Result.LeadEvents[0].LeadID != id {
			t.Fatalf("createdAtSince: %+v", er.Result)
		}
	})
	t.Run("recording", func(t *testing.T) {
		rec := s.Received()
		if len(rec) != 1 || rec[0].ID != id || rec[0].ExternalID != "ABC123" || rec[0].Method != "POST" ||
			rec[0].Path != "/v1/leads" || !rec[0].Time.Equal(before) || rec[0].Body["external_id"] != "ABC123" {
			t.Fatalf("%+v", rec)
		}
		if s.CountByExternalID("ABC123") != 1 || s.CountByExternalID("nope") != 0 || s.Attempts() != 1 {
			t.Fatal("counts")
		}
		// A duplicate is accepted by default and recorded twice.
		clk.Add(time.Minute)
		if r := postJSON(t, base+"/leads", example(t)); r.code != 200 {
			t.Fatalf("%d %s", r.code, r.body)
		}
		if s.CountByExternalID("ABC123") != 2 || s.Attempts() != 2 {
			t.Fatal("duplicate not recorded")
		}
		wantError(t, postJSON(t, base+"/leads", set(example(t), "loan.installments", 5)), 400, "loan.installments")
		if s.CountByExternalID("ABC123") != 2 || s.Attempts() != 3 || len(s.Leads()) != 52 {
			t.Fatal("rejected request recorded as created")
		}
	})
	checkHistory(t, s)
}

func TestCreateValidation(t *testing.T) {
	s, base := start(t, sandbox.Options{Size: 5})
	long := strings.Repeat("x", 31)
	cases := []struct {
		name string
		path string
		v    any
		want string
	}{
		{"no customer", "customer", del, "customer is required"},
		{"customer not object", "customer", "Ben", "customer must be an object"},
		{"no company", "company", del, "company is required"},
		{"no loan", "loan", del, "loan is required"},
		{"first_name missing", "customer.first_name", del, "customer.first_name is required"},
		{"first_name empty", "customer.first_name", "", "customer.first_name is required"},
		{"first_name number", "customer.first_name", 5, "customer.first_name must be a string"},
		{"email missing", "customer.email", del, "customer.email is required"},
		{"email invalid", "customer.email", "ben@@x", "customer.email must be a valid email"},
		{"email spaces", "customer.email", "ben smith@x.com", "customer.email must be a valid email"},
		{"phone missing", "customer.phone", del, "customer.phone is required"},
		{"phone landline", "customer.phone", "0298765432", "customer.phone must be in +61 or 04 format"},
		{"phone short", "customer.phone", "041234567", "customer.phone must be in +61 or 04 format"},
		{"phone 0061", "customer.phone", "0061412345678", "customer.phone must be in +61 or 04 format"},
		{"phone parentheses", "customer.phone", "(04) 1234 5678", "customer.phone must be in +61 or 04 format"},
		{"dob US", "customer.date_of_birth", "06-30-2017", "customer.date_of_birth must be in format"},
		{"dob impossible", "customer.date_of_birth", "31/02/1990", "customer.date_of_birth"},
		{"credit_score string", "customer.credit_score", "500", "customer.credit_score must be a number"},
		{"defaults string", "customer.defaults", "one", "customer.defaults must be a number"},
		{"license state", "customer.drivers_license_state", "nsw", "customer.drivers_license_state must be one of"},
		{"has_property", "customer.has_property", "maybe", "customer.has_property must be one of"},
		{"address not object", "customer.address", "1 George St", "customer.address must be an object"},
		{"address field number", "customer.address.postal_code", 2022, "customer.address.postal_code must be a string"},
		{"company name", "company.name", del, "company.name is required"},
		{"abn missing", "company.abn", del, "company.abn is required"},
		{"abn length 10", "company.abn", "1152137481", "company.abn must be a string of length 9 or 11"},
		{"abn number", "company.abn", 115213748, "company.abn must be a string of length 9 or 11"},
		{"months_in_business", "company.months_in_business", "24", "company.months_in_business must be a number"},
		{"accounting_software short", "company.accounting_software", "MY", "company.accounting_software must be between 3 and 12"},
		{"accounting_software long", "company.accounting_software", "QuickBooks Online", "company.accounting_software"},
		{"business_description long", "company.business_description", long, "company.business_description must be between 0 and 30"},
		{"industry", "company.industry", "Z", "company.industry must be one of"},
		{"industry_sector", "company.industry_sector", "1", "company.industry_sector must be a string of length 2-3"},
		{"industry_granular", "company.industry_granular", "1234", "company.industry_granular"},
		{"turnover string", "company.average_monthly_turnover", "50k", "company.average_monthly_turnover must be a number"},
		{"employees string", "company.number_of_employees", "27", "company.number_of_employees must be a number"},
		{"ato_debt", "company.ato_debt", "true", "company.ato_debt must be one of"},
		{"has_other_loans", "company.has_other_loans", "No", "company.has_other_loans must be one of"},
		{"company credit_score fraction", "company.credit_score", 500.5, "company.credit_score must be an integer"},
		{"requested_amount missing", "loan.requested_amount", del, "loan.requested_amount is required"},
		{"requested_amount low", "loan.requested_amount", 4999, "loan.requested_amount must be a number between 5,000 and 300,000"},
		{"requested_amount high", "loan.requested_amount", 300001, "loan.requested_amount must be a number between 5,000 and 300,000"},
		{"requested_amount string", "loan.requested_amount", "15000", "loan.requested_amount must be a number between 5,000 and 300,000"},
		{"installments missing", "loan.installments", del, "loan.installments is required"},
		{"installments low", "loan.installments", 12, "loan.installments must be a number between 13 and 78"},
		{"installments high", "loan.installments", 79, "loan.installments must be a number between 13 and 78"},
		{"reason not array", "loan.reason_for_loan", "cash_flow", "loan.reason_for_loan must be an array"},
		{"reason unknown", "loan.reason_for_loan", []any{"cash_flow", "holiday"}, "loan.reason_for_loan[1]"},
		{"preferred_loan_type", "loan.preferred_loan_type", "overdraft", "loan.preferred_loan_type must be one of"},
		{"contact_customer", "contact_customer", "yes", "contact_customer must be a boolean"},
		{"external_id number", "external_id", 12, "external_id must be a string"},
		{"referred_by", "referred_by", "not an email", "referred_by must be a valid email"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, postJSON(t, base+"/leads", set(example(t), c.path, c.v)), 400, c.want)
		})
	}
	t.Run("several errors at once", func(t *testing.T) {
		m := set(set(example(t), "loan.installments", 5), "customer.email", "x")
		r := postJSON(t, base+"/leads", m)
		wantError(t, r, 400, "loan.installments")
		wantError(t, r, 400, "customer.email")
	})
	t.Run("not JSON", func(t *testing.T) {
		wantError(t, do(t, "POST", base+"/leads", strings.NewReader("{"), "application/json", true), 400, "JSON")
		wantError(t, do(t, "POST", base+"/leads", strings.NewReader("[]"), "application/json", true), 400, "JSON object")
	})
	accepted := []struct {
		name string
		path string
		v    any
	}{
		{"phone dashes", "customer.phone", "0401-234-567"},
		{"phone +61", "customer.phone", "+61433222111"},
		{"phone spaces", "customer.phone", "04 1234 5678"},
		{"phone +61 spaced", "customer.phone", "+61 433 222 111"},
		{"dob DD/MM/YYYY", "customer.date_of_birth", "14/02/1994"},
		{"abn 11", "company.abn", "51824753556"},
		{"amount bounds low", "loan.requested_amount", 5000},
		{"amount bounds high", "loan.requested_amount", 300000},
		{"installments 13", "loan.installments", 13},
		{"installments 78", "loan.installments", 78},
		{"description 30", "company.business_description", strings.Repeat("x", 30)},
		{"description empty", "company.business_description", ""},
		{"software 12", "company.accounting_software", "MYOB AccRigh"},
		{"no optional fields", "customer.address", del},
		{"null optional", "company.website", nil},
		{"empty reasons", "loan.reason_for_loan", []any{}},
		{"deprecated reason", "loan.reason_for_loan", []any{"relocation_expansion", "other"}},
		{"line of credit", "loan.preferred_loan_type", "line-of-credit"},
		{"industry OD", "company.industry", "OD"},
		{"unknown field ignored", "loan.reason_for_loan_other", "anything"},
	}
	for _, c := range accepted {
		t.Run("accept "+c.name, func(t *testing.T) {
			r := postJSON(t, base+"/leads", set(example(t), c.path, c.v))
			if r.code != 200 {
				t.Fatalf("%d %s", r.code, r.body)
			}
		})
	}
	if got := len(s.Received()); got != len(accepted) {
		t.Fatalf("received %d, want %d", got, len(accepted))
	}
	if s.Attempts() != len(cases)+len(accepted)+3 {
		t.Fatalf("attempts %d", s.Attempts())
	}
	for _, l := range s.Leads() {
		if l.ExternalID == "ABC123" && l.Stakeholder.BirthDate == "1994-02-14" {
			return // DD/MM/YYYY stored as YYYY-MM-DD
		}
	}
	t.Fatal("DD/MM/YYYY date of birth not normalised")
}

func TestRejectDuplicates(t *testing.T) {
	s, base := start(t, sandbox.Options{Seed: 2, Size: 30})
	var existing Lead
	for _, l := range s.Leads() {
		if l.Status != "EXPIRED" {
			existing = l
			break
		}
	}
	s.RejectDuplicates(true)
	wantError(t, postJSON(t, base+"/leads", set(example(t), "customer.email", strings.ToUpper(existing.Stakeholder.Email))), 400, "lead already exists")
	wantError(t, postJSON(t, base+"/leads", set(example(t), "customer.phone", existing.Stakeholder.Phone)), 400, "lead already exists")
	if r := postJSON(t, base+"/leads", example(t)); r.code != 200 {
		t.Fatalf("%d %s", r.code, r.body)
	}
	// The same customer again: now a duplicate of the lead just created.
	wantError(t, postJSON(t, base+"/leads", set(example(t), "customer.phone", "+61412352312")), 400, "lead already exists")
	s.RejectDuplicates(false)
	if r := postJSON(t, base+"/leads", example(t)); r.code != 200 {
		t.Fatalf("%d %s", r.code, r.body)
	}
	if len(s.Received()) != 2 || s.Attempts() != 5 {
		t.Fatalf("received %d attempts %d", len(s.Received()), s.Attempts())
	}
}

func TestDeterminism(t *testing.T) {
	dump := func(o sandbox.Options) string {
		s := New(o)
		b, _ := json.Marshal(struct {
			L []Lead
			E []Event
		}{s.Leads(), s.Events()})
		return string(b)
	}
	a := dump(sandbox.Options{Seed: 42, Size: 100})
	if b := dump(sandbox.Options{Seed: 42, Size: 100, Now: time.Now}); a != b {
		t.Fatal("same seed, different data")
	}
	if b := dump(sandbox.Options{Seed: 43, Size: 100}); a == b {
		t.Fatal("different seed, same data")
	}
	if n := len(New(sandbox.Options{}).Leads()); n != DefaultSize {
		t.Fatalf("default size %d", n)
	}
}

func TestCoverage(t *testing.T) {
	for _, o := range []sandbox.Options{{}, {Seed: 9, Size: MinCoverageSize}, {Seed: -5, Size: MinCoverageSize}, {Seed: 123456789, Size: 1000}} {
		t.Run(fmt.Sprintf("seed %d size %d", o.Seed, o.Size), func(t *testing.T) { coverage(t, New(o)) })
	}
}

func coverage(t *testing.T, s *Server) {
	seen := map[string]map[string]bool{}
	add := func(k, v string) {
		if seen[k] == nil {
			seen[k] = map[string]bool{}
		}
		seen[k][v] = true
	}
	phoneFormats := map[string]*regexp.Regexp{
		"0401-234-567": regexp.MustCompile(`^04\d\d-\d{3}-\d{3}$`), "+61433222111": regexp.MustCompile(`^\+614\d{8}$`),
		"0412352312": regexp.MustCompile(`^04\d{8}$`), "04 1234 5678": regexp.MustCompile(`^04 \d{4} \d{4}$`),
	}
	oldest, newest := anchor, time.Time{}
	for _, l := range s.Leads() {
		add("status", l.Status)
		add("application_status", l.Loan.ApplicationStatus)
		add("application_type", l.Loan.ApplicationType)
		add("industry", l.Company.Industry)
		add("license_state", l.Stakeholder.DriversLicenseState)
		add("has_property", l.Stakeholder.HasProperty)
		add("ato_debt", l.Company.ATODebt)
		add("has_other_loans", l.Company.HasOtherLoans)
		add("preferred_loan_type", l.Loan.PreferredLoanType)
		for _, r := range l.Loan.ReasonForLoan {
			add("reason_for_loan", r)
		}
		add("has_external_id", fmt.Sprint(l.ExternalID != ""))
		add("company_address_nil", fmt.Sprint(l.Company.Address == nil))
		for f, re := range phoneFormats {
			if re.MatchString(l.Stakeholder.Phone) {
				add("phone", f)
			}
		}
		if !ValidPhone(l.Stakeholder.Phone) || !validEmail(l.Stakeholder.Email) {
			t.Fatalf("generated contact invalid: %q %q", l.Stakeholder.Phone, l.Stakeholder.Email)
		}
		if l.Status == "CLOSED" || l.Status == "DECLINED" {
			add("lost_reason", l.LostReason)
		} else if l.LostReason != "" || len(l.CreditDeclineReasons) > 0 {
			t.Fatalf("%s lead with lost reason", l.Status)
		}
		if l.Status == "DECLINED" && l.LostReason == "credit_declined" {
			if len(l.CreditDeclineReasons) == 0 {
				t.Fatal("credit_declined without reasons")
			}
			for _, r := range l.CreditDeclineReasons {
				add("credit_decline_reason", r)
			}
		}
		if l.Status == "FUNDED" {
			add("funded_application_type", l.Loan.ApplicationType)
			add("loan_product_type", l.LoanProductType)
			if (l.Loan.ApplicationType == "REFINANCE_INTERNAL") != (*l.Loan.TopUpAmount > 0) {
				t.Fatalf("top-up %v for %s", *l.Loan.TopUpAmount, l.Loan.ApplicationType)
			}
		}
		if l.CreatedAt.Before(oldest) {
			oldest = l.CreatedAt
		}
		if l.UpdatedAt.After(newest) {
			newest = l.UpdatedAt
		}
	}
	for _, e := range s.Events() {
		add("event_type", e.EventType)
		switch e.EventType {
		case "LOAN_DOCUMENTS", "DOCUMENT_CAPTURE":
			add(e.EventType, e.EventText)
		case "CALL", "EMAIL":
			add(e.EventType, e.Direction)
		case "STATUS_CHANGE", "STATUS_UPDATED":
			if !slices.Contains(statuses, e.EventText) {
				t.Fatalf("status event text %q", e.EventText)
			}
		}
	}
	want := map[string][]string{
		"status": statuses, "application_status": applicationStatuses, "application_type": applicationTypes,
		"funded_application_type": applicationTypes, "loan_product_type": loanProductTypes,
		"lost_reason": lostReasons, "credit_decline_reason": creditDeclineReasons, "event_type": eventTypes,
		"LOAN_DOCUMENTS": loanDocumentTexts, "DOCUMENT_CAPTURE": documentCaptureTexts, "CALL": directions,
		"EMAIL": directions, "industry": industries, "license_state": licenseStates, "has_property": yesNoUnknown,
		"ato_debt": yesNoUnknown, "has_other_loans": yesNoUnknown, "preferred_loan_type": preferredLoanTypes,
		"has_external_id": {"true", "false"}, "company_address_nil": {"true", "false"},
		"phone": {"0401-234-567", "+61433222111", "0412352312", "04 1234 5678"},
	}
	if len(s.Leads()) >= 300 {
		var rs []string
		for _, r := range loanReasons {
			rs = append(rs, r.Value)
		}
		want["reason_for_loan"] = rs
	}
	for k, vals := range want {
		for _, v := range vals {
			if !seen[k][v] {
				t.Errorf("%s %q never generated", k, v)
			}
		}
	}
	if span := anchor.Sub(oldest); span < 150*24*time.Hour || span > 181*24*time.Hour {
		if len(s.Leads()) >= 300 {
			t.Errorf("oldest lead %v before anchor", span)
		}
	}
	if newest.After(anchor) {
		t.Errorf("updated_at %v after anchor", newest)
	}
	checkHistory(t, s)
}

func TestSetStatus(t *testing.T) {
	clk := newClock()
	s, base := start(t, sandbox.Options{Seed: 8, Size: 60, Now: clk.Now})
	var l Lead
	for _, x := range s.Leads() {
		if x.Status == "AWAITING_CREDIT_APPROVAL" {
			l = x
		}
	}
	cursor := clk.Now()
	clk.Add(time.Hour)
	for _, st := range []string{"AWAITING_LOAN_DOCUMENTS", "AWAITING_DISBURSEMENT", "FUNDED"} {
		if err := s.SetStatus(l.ID, st); err != nil {
			t.Fatal(err)
		}
	}
	d := decode[LeadResponse](t, get(t, base+"/leads/"+l.ID)).Result
	if d.Status != "FUNDED" || !d.UpdatedAt.Equal(clk.Now()) || d.LoanID == "" || d.CommissionPercentage == nil ||
		*d.EffectiveCommission != round2(d.Loan.Amount**d.CommissionPercentage/100) || d.AnnualSimpleRate == nil ||
		d.Loan.TopUpAmount == nil || d.Loan.ApplicationStatus != "SUBMITTED" ||
		(d.LoanProductType != "DYNAMIC_TERM_LOAN" && d.LoanProductType != "REVOLVING_CREDIT") {
		t.Fatalf("%+v", d)
	}
	er := decode[EventsResponse](t, get(t, base+"/leads/events?since="+url.QueryEscape(cursor.Format(time.RFC3339))))
	if er.Result.Total != 3 || er.Result.LeadEvents[2].EventText != "FUNDED" || er.Result.LeadEvents[2].EventType != "STATUS_CHANGE" {
		t.Fatalf("%+v", er.Result)
	}
	lr := decode[LeadsResponse](t, get(t, base+"/leads?status=FUNDED&page_size=100"))
	if !slices.Contains(leadIDs(lr.Result.Leads), l.ID) {
		t.Fatal("funded lead not in status filter")
	}
	if err := s.SetStatus(l.ID, "DECLINED"); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Lead(l.ID); d.CommissionPercentage != nil || d.LostReason != "credit_declined" {
		t.Fatalf("%+v", d)
	}
	if err := s.SetLostReason(l.ID, "credit_declined", "bankruptcy"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus("000000000000000000000000", "FUNDED"); err == nil {
		t.Fatal("unknown id accepted")
	}
	if _, err := s.AddEvent(l.ID, "CALL", "", "INBOUND"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddEvent(l.ID, "STATUS_CHANGE", "FUNDED", ""); err == nil {
		t.Fatal("status event accepted by AddEvent")
	}
	// A clock behind the data still keeps the new status last.
	back := New(sandbox.Options{Seed: 8, Size: 60, Now: func() time.Time { return anchor.AddDate(-1, 0, 0) }})
	id := back.Leads()[59].ID
	if err := back.SetStatus(id, "CLOSED"); err != nil {
		t.Fatal(err)
	}
	checkHistory(t, back)
	checkHistory(t, s)
}

func TestInjectUnknownValues(t *testing.T) {
	clk := newClock()
	s, base := start(t, sandbox.Options{Seed: 4, Size: 40, Now: clk.Now})
	s.InjectUnknownValues()
	s.InjectUnknownValues() // idempotent
	if n := len(s.Leads()); n != 44 {
		t.Fatalf("%d leads", n)
	}
	body := string(get(t, base+"/leads?page_size=100").body)
	for _, v := range []string{`"ON_HOLD"`, `"customer_went_overseas"`, `"crypto_exposure"`} {
		if !strings.Contains(body, v) {
			t.Errorf("list lacks %s", v)
		}
	}
	var funded Lead
	for _, l := range s.Leads() {
		if l.LoanProductType == "INVOICE_FINANCE" {
			funded = l
		}
	}
	if !strings.Contains(string(get(t, base+"/leads/"+funded.ID).body), `"INVOICE_FINANCE"`) {
		t.Error("details lack unknown loan_product_type")
	}
	ev := string(get(t, base+"/leads/events?page_size=100&since="+url.QueryEscape(clk.Now().Format(time.RFC3339))).body)
	if !strings.Contains(ev, `"SMS"`) || !strings.Contains(ev, `"ON_HOLD"`) {
		t.Errorf("events lack unknown values: %s", ev)
	}
	// history stays consistent even with unknown statuses and events
	checkHistory(t, s)
}

func TestPrefixAndFaults(t *testing.T) {
	s := New(sandbox.Options{Size: 10})
	mux := http.NewServeMux()
	mux.Handle("/lumi/", http.StripPrefix("/lumi", s))
	ts := httptest.NewServer(mux)
	defer ts.Close()
	base := s.Env(ts.URL + "/lumi")["LUMI_BASE_URL"]

	t.Run("prefix", func(t *testing.T) {
		lr := decode[LeadsResponse](t, get(t, base+"/leads"))
		if lr.Result.Count != 10 {
			t.Fatalf("count %d", lr.Result.Count)
		}
		if r := get(t, base+"/leads/"+lr.Result.Leads[0].ID+"/"); r.code != 200 {
			t.Fatalf("trailing slash: %d", r.code)
		}
	})
	t.Run("429 storm before auth", func(t *testing.T) {
		s.Faults().Storm429(2, 2*time.Second)
		for i := 0; i < 2; i++ {
			r := do(t, "GET", base+"/leads", nil, "", false)
			if r.code != 429 {
				t.Fatalf("status %d", r.code)
			}
		}
		if r := do(t, "GET", base+"/leads", nil, "", false); r.code != 403 {
			t.Fatalf("status %d", r.code)
		}
	})
	t.Run("fail next", func(t *testing.T) {
		s.Faults().FailNext(1, 503, "down")
		if r := get(t, base+"/leads"); r.code != 503 {
			t.Fatalf("status %d", r.code)
		}
		if r := get(t, base+"/leads"); r.code != 200 {
			t.Fatalf("status %d", r.code)
		}
	})
	t.Run("drop after handle still creates", func(t *testing.T) {
		s.Faults().DropAfterHandleNext(1)
		b, _ := json.Marshal(set(example(t), "external_id", "DROP-1"))
		req, _ := http.NewRequest("POST", base+"/leads", bytes.NewReader(b))
		req.SetBasicAuth(Username, Password)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			t.Fatal("expected a dropped connection")
		}
		if s.CountByExternalID("DROP-1") != 1 {
			t.Fatal("lead not created")
		}
	})
	t.Run("not found and method", func(t *testing.T) {
		wantError(t, get(t, base+"/nothing"), 404, "Not Found")
		wantError(t, do(t, "DELETE", base+"/leads", nil, "", true), 405, "Method Not Allowed")
	})
}

func multipartBody(t *testing.T, field, filename, ctype, cte string, data []byte) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filename))
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	if cte != "" {
		h.Set("Content-Transfer-Encoding", cte)
	}
	pw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = pw.Write(data)
	_ = mw.Close()
	return &buf, mw.FormDataContentType()
}

// The doc's example upload: a 1x1 JPEG sent base64-encoded.
const docJPEG = `/9j/4AAQSkZJRgABAQEAYABgAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0a
HBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIy
MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCAABAAEDASIA
AhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAf/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFAEB
AAAAAAAAAAAAAAAAAAAAAP/EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAMAwEAAhEDEQA/AL+AD//Z`

func TestDocumentsBankFeedsAndStatic(t *testing.T) {
	s, base := start(t, sandbox.Options{Size: 5})
	id := s.Leads()[0].ID
	upload := func(query, field, ctype, cte string, data []byte) resp {
		body, ct := multipartBody(t, field, "image.jpg", ctype, cte, data)
		return do(t, "POST", base+"/leads/"+id+"/documents"+query, body, ct, true)
	}
	t.Run("base64 jpeg", func(t *testing.T) {
		r := upload("?type=DRIVERS_LICENSE_FRONT", "document", "image/jpeg", "base64", []byte(docJPEG))
		if r.code != 200 {
			t.Fatalf("%d %s", r.code, r.body)
		}
		var m struct {
			Success bool `json:"success"`
			File    struct {
				ID       string `json:"id"`
				Filename string `json:"filename"`
				Size     int    `json:"size"`
			} `json:"file"`
		}
		_ = json.Unmarshal(r.body, &m)
		docs := s.Documents()
		if !m.Success || m.File.Filename != "image.jpg" || len(docs) != 1 || docs[0].Size != m.File.Size ||
			docs[0].ID != m.File.ID || !bytes.HasPrefix(docs[0].Data, []byte{0xff, 0xd8}) {
			t.Fatalf("%s %+v", r.body, docs)
		}
	})
	t.Run("plain pdf", func(t *testing.T) {
		if r := upload("?type=BANK_STATEMENTS", "document", "application/pdf", "", []byte("%PDF-1.4")); r.code != 200 {
			t.Fatalf("%d %s", r.code, r.body)
		}
	})
	bad := []struct {
		name, query, field, ctype, want string
	}{
		{"missing type", "", "document", "image/jpeg", "type is required"},
		{"bad type", "?type=SELFIE", "document", "image/jpeg", "type must be one of"},
		{"bad content type", "?type=PNL_REPORT", "document", "application/zip", "content type"},
		{"no content type", "?type=PNL_REPORT", "document", "", "content type"},
		{"wrong field", "?type=PNL_REPORT", "file", "image/jpeg", "document is required"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			wantError(t, upload(b.query, b.field, b.ctype, "", []byte("x")), 400, b.want)
		})
	}
	t.Run("not multipart", func(t *testing.T) {
		wantError(t, do(t, "POST", base+"/leads/"+id+"/documents?type=PNL_REPORT", strings.NewReader("x"), "text/plain", true), 400, "multipart")
	})
	t.Run("unknown lead", func(t *testing.T) {
		body, ct := multipartBody(t, "document", "a.pdf", "application/pdf", "", []byte("x"))
		wantError(t, do(t, "POST", base+"/leads/000000000000000000000000/documents?type=PNL_REPORT", body, ct, true), 400, "lead not found")
	})
	t.Run("bankfeeds", func(t *testing.T) {
		r := postJSON(t, base+"/leads/"+id+"/bankfeeds", map[string]string{"document_id": "78190NAD"})
		if r.code != 200 || string(r.body) != `{"success":true}` {
			t.Fatalf("%d %s", r.code, r.body)
		}
		wantError(t, postJSON(t, base+"/leads/"+id+"/bankfeeds", map[string]string{}), 400, "document_id is required")
		if bf := s.BankFeeds(); len(bf) != 1 || bf[0].DocumentID != "78190NAD" || bf[0].LeadID != id {
			t.Fatalf("%+v", bf)
		}
	})
	t.Run("loanReasons", func(t *testing.T) {
		var m struct {
			Success bool         `json:"success"`
			Reasons []LoanReason `json:"reasons"`
		}
		_ = json.Unmarshal(get(t, base+"/leads/loanReasons").body, &m)
		if !m.Success || len(m.Reasons) != 14 || m.Reasons[0].Value != "buy_equipment" || m.Reasons[6].Text != "Pay off tax tebt" {
			t.Fatalf("%+v", m)
		}
	})
	t.Run("resources", func(t *testing.T) {
		body := string(get(t, base+"/leads/resources").body)
		if !strings.Contains(body, `"thumbUrl":"http://www.lumi.com.au/broker-assets/lumi-v-screen.png/thumb.png"`) ||
			!strings.Contains(body, `"id":42190807566`) {
			t.Fatal(body)
		}
	})
}

func TestConcurrentPagesAndCreates(t *testing.T) {
	s, base := start(t, sandbox.Options{Seed: 6, Size: 200})
	call := func(method, u string, body []byte) error {
		req, err := http.NewRequest(method, u, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.SetBasicAuth(Username, Password)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		if res.StatusCode != 200 {
			return fmt.Errorf("%s %s: %d", method, u, res.StatusCode)
		}
		return nil
	}
	ids := leadIDs(s.Leads())
	errs := make(chan error, 100)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		body, _ := json.Marshal(set(example(t), "external_id", fmt.Sprint("C", i)))
		wg.Add(2)
		go func() {
			defer wg.Done()
			for p := 1; p <= 4; p++ {
				errs <- call("GET", fmt.Sprintf("%s/leads?page_index=%d", base, p), nil)
				errs <- call("GET", fmt.Sprintf("%s/leads/events?page_index=%d&page_size=100", base, p), nil)
			}
		}()
		go func() {
			defer wg.Done()
			errs <- call("POST", base+"/leads", body)
			errs <- s.SetStatus(ids[i], "CLOSED")
		}()
	}
	go func() { wg.Wait(); close(errs) }()
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if len(s.Received()) != 8 || len(s.Leads()) != 208 {
		t.Fatalf("received %d leads %d", len(s.Received()), len(s.Leads()))
	}
	checkHistory(t, s)
}

func TestWallClock(t *testing.T) {
	s, base := start(t, sandbox.Options{Seed: 12, Size: 20}) // Now nil: time.Now, sub-second precision
	before := time.Now()
	cr := decode[CreateResponse](t, postJSON(t, base+"/leads", example(t)))
	s.InjectUnknownValues()
	if err := s.SetStatus(cr.Result, "WAITING_FOR_CALL"); err != nil {
		t.Fatal(err)
	}
	checkHistory(t, s)
	er := decode[EventsResponse](t, get(t, base+"/leads/events?createdAtSince="+url.QueryEscape(before.Add(-time.Millisecond).Format(time.RFC3339Nano))))
	if er.Result.Total != 1+1+10 { // created lead: SUBMITTED + WAITING_FOR_CALL; injected: 10 events
		t.Fatalf("total %d", er.Result.Total)
	}
}
