package bizcaptest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/bizcap/bizcaptest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

const invalidBody = `{"error":"Invalid request"}`

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

type env struct {
	s     *bizcaptest.Server
	base  string // BIZCAP_BASE_URL
	clock *clock
}

func start(t *testing.T, seed int64, size int) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 2, 9, 30, 0, 123e6, time.UTC)}
	s := bizcaptest.New(sandbox.Options{Seed: seed, Size: size, Now: c.Now})
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return &env{s: s, base: s.Env(hs.URL)["BIZCAP_BASE_URL"], clock: c}
}

func (e *env) do(t *testing.T, method, path string, body io.Reader, contentType string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+bizcaptest.Token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, bytes.TrimSpace(b)
}

func (e *env) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	return e.do(t, http.MethodGet, path, nil, "")
}

func (e *env) postJSON(t *testing.T, method, path, body string) (int, []byte) {
	t.Helper()
	return e.do(t, method, path, strings.NewReader(body), "application/json")
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %T: %v in %.300s", v, err, b)
	}
	return v
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

func TestRegisteredAndEnv(t *testing.T) {
	f, ok := sandbox.Lookup("bizcap")
	if !ok {
		t.Fatal("bizcap sandbox not registered")
	}
	sb := f(sandbox.Options{Seed: 1})
	if sb.Vendor() != "bizcap" {
		t.Errorf("Vendor() = %q", sb.Vendor())
	}
	got := sb.Env("http://127.0.0.1:9/bizcap/")
	want := map[string]string{"BIZCAP_BASE_URL": "http://127.0.0.1:9/bizcap/api/v1", "BIZCAP_TOKEN": bizcaptest.Token}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Env = %v, want %v", got, want)
	}
}

func TestAuth(t *testing.T) {
	e := start(t, 1, 0)
	cases := []struct {
		name, header string
		want         int
	}{
		{"missing", "", 401},
		{"wrong token", "Bearer nope", 401},
		{"token without scheme", bizcaptest.Token, 401},
		{"basic scheme", "Basic " + bizcaptest.Token, 401},
		{"valid", "Bearer " + bizcaptest.Token, 200},
		{"scheme case-insensitive", "bearer " + bizcaptest.Token, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/lead?page=1&pageSize=1", "/deal/not-an-id", "/nothing"} {
				req, _ := http.NewRequest(http.MethodGet, e.base+path, nil)
				if tc.header != "" {
					req.Header.Set("Authorization", tc.header)
				}
				status, body := send(t, req)
				if tc.want == 401 {
					if status != 401 || string(body) != `{"error":"Unauthorized"}` {
						t.Errorf("%s: got %d %s, want 401 Unauthorized", path, status, body)
					}
				} else if status == 401 {
					t.Errorf("%s: got 401 with a valid token", path)
				}
			}
		})
	}
}

func ids[T any](t *testing.T, b []byte, id func(T) string) []string {
	t.Helper()
	var out []string
	for _, r := range decode[[]T](t, b) {
		out = append(out, id(r))
	}
	return out
}

func TestPagination(t *testing.T) {
	e := start(t, 3, 100)
	leadIDs := func(b []byte) []string { return ids(t, b, func(l bizcaptest.Lead) string { return l.ID }) }
	dealIDs := func(b []byte) []string { return ids(t, b, func(d bizcaptest.Deal) string { return d.ID }) }
	var allLeads, allDeals []string
	for _, l := range e.s.Leads() {
		allLeads = append(allLeads, l.ID)
	}
	for _, d := range e.s.Deals() {
		allDeals = append(allDeals, d.ID)
	}
	if len(allLeads) != 100 {
		t.Fatalf("%d leads, want 100", len(allLeads))
	}
	cases := []struct {
		name, resource string
		page, size     int
		all            []string
		parse          func([]byte) []string
	}{
		{"leads first page", "lead", 1, 30, allLeads, leadIDs},
		{"leads last partial page", "lead", 4, 30, allLeads, leadIDs},
		{"leads past the end", "lead", 5, 30, allLeads, leadIDs},
		{"leads exact multiple last page", "lead", 4, 25, allLeads, leadIDs},
		{"leads exact multiple past end", "lead", 5, 25, allLeads, leadIDs},
		{"leads one page of max size", "lead", 1, 100, allLeads, leadIDs},
		{"leads far past the end", "lead", 1_000_000, 100, allLeads, leadIDs},
		{"deals first page", "deal", 1, 7, allDeals, dealIDs},
		{"deals last page", "deal", (len(allDeals) + 6) / 7, 7, allDeals, dealIDs},
		{"deals past the end", "deal", (len(allDeals)+6)/7 + 1, 7, allDeals, dealIDs},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.get(t, fmt.Sprintf("/%s?page=%d&pageSize=%d", tc.resource, tc.page, tc.size))
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			if !bytes.HasPrefix(body, []byte("[")) {
				t.Fatalf("not a bare array: %.50s", body)
			}
			from := min((tc.page-1)*tc.size, len(tc.all))
			want := tc.all[from:min(from+tc.size, len(tc.all))]
			if got := tc.parse(body); !slices.Equal(got, want) {
				t.Errorf("got %d ids, want %d (%v...)", len(got), len(want), want[:min(len(want), 2)])
			}
		})
	}
	t.Run("concatenated pages equal the dataset in createdAt order", func(t *testing.T) {
		var got []string
		for p := 1; ; p++ {
			_, body := e.get(t, fmt.Sprintf("/lead?page=%d&pageSize=33", p))
			ids := leadIDs(body)
			if len(ids) == 0 {
				break
			}
			got = append(got, ids...)
		}
		if !slices.Equal(got, allLeads) {
			t.Fatal("pages do not add up to Leads()")
		}
		leads := e.s.Leads()
		for i := 1; i < len(leads); i++ {
			if leads[i].CreatedAt.Before(leads[i-1].CreatedAt.Time) {
				t.Fatalf("lead %d created before lead %d", i, i-1)
			}
		}
		deals := e.s.Deals()
		for i := 1; i < len(deals); i++ {
			if deals[i].CreatedAt.Before(deals[i-1].CreatedAt.Time) {
				t.Fatalf("deal %d created before deal %d", i, i-1)
			}
		}
	})
	t.Run("defaults are page 1 and pageSize 100", func(t *testing.T) {
		_, body := e.get(t, "/lead")
		if got := leadIDs(body); !slices.Equal(got, allLeads[:100]) {
			t.Errorf("got %d leads", len(got))
		}
	})
	t.Run("no updated-since filter: unknown parameters are ignored", func(t *testing.T) {
		_, body := e.get(t, "/lead?page=1&pageSize=10&updatedSince=2030-01-01T00:00:00Z&partnerLeadReferenceId=x")
		if got := leadIDs(body); !slices.Equal(got, allLeads[:10]) {
			t.Errorf("filter applied: %d leads", len(got))
		}
	})
}

func TestPageParamErrors(t *testing.T) {
	e := start(t, 1, 0)
	for _, q := range []string{"page=0", "page=-1", "page=abc", "pageSize=0", "pageSize=101", "pageSize=x", "page=1.5"} {
		for _, res := range []string{"lead", "deal"} {
			t.Run(res+"?"+q, func(t *testing.T) {
				status, body := e.get(t, "/"+res+"?"+q)
				if status != 400 || string(body) != invalidBody {
					t.Errorf("got %d %s", status, body)
				}
			})
		}
	}
}

func TestPathsAndIDs(t *testing.T) {
	e := start(t, 1, 0)
	lead := e.s.Leads()[5]
	deal := e.s.Deals()[5]
	cases := []struct {
		name, method, path string
		status             int
		wantID             string
	}{
		{"lead lower case", "GET", "/lead/" + lead.ID, 200, lead.ID},
		{"lead upper case path", "GET", "/LEAD/" + lead.ID, 200, lead.ID},
		{"lead upper case id", "GET", "/lead/" + strings.ToUpper(lead.ID), 200, lead.ID},
		{"lead trailing slash", "GET", "/lead/" + lead.ID + "/", 200, lead.ID},
		{"deal lower case", "GET", "/deal/" + deal.ID, 200, deal.ID},
		{"deal upper case", "GET", "/DEAL/" + deal.ID, 200, deal.ID},
		{"upper case list", "GET", "/LEAD?page=1&pageSize=1", 200, ""},
		{"unknown lead", "GET", "/lead/00000000-0000-4000-8000-000000000000", 404, ""},
		{"unknown deal", "GET", "/deal/00000000-0000-4000-8000-000000000000", 404, ""},
		{"deal id on lead path", "GET", "/lead/" + deal.ID, 404, ""},
		{"malformed lead id", "GET", "/lead/123", 400, ""},
		{"malformed deal id", "GET", "/deal/abc", 400, ""},
		{"unknown resource", "GET", "/contacts", 404, ""},
		{"delete not supported", "DELETE", "/lead/" + lead.ID, 404, ""},
		{"post list not supported", "POST", "/lead", 404, ""},
		{"patch deal not supported", "PATCH", "/deal/" + deal.ID, 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, tc.method, tc.path, nil, "")
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			switch {
			case tc.status == 404 && string(body) != `{"error":"Not Found"}`:
				t.Errorf("404 body %s", body)
			case tc.status == 400 && string(body) != invalidBody:
				t.Errorf("400 body %s", body)
			case tc.wantID != "":
				if got := decode[map[string]any](t, body)["id"]; got != tc.wantID {
					t.Errorf("id %v, want %s", got, tc.wantID)
				}
			}
		})
	}
	t.Run("outside the API root", func(t *testing.T) {
		req, _ := http.NewRequest("GET", strings.TrimSuffix(e.base, "/api/v1")+"/lead", nil)
		req.Header.Set("Authorization", "Bearer "+bizcaptest.Token)
		if status, _ := send(t, req); status != 404 {
			t.Errorf("status %d", status)
		}
	})
}

// docLeadKeys and docDealKeys are the keys of the vendor doc's samples.
var (
	docLeadKeys = strings.Fields(`status watchers statusSinceDate subStatusSinceDate delegateTo lastActivityDate
		subStatus firstName lastName companyName broker brokerRep residentialAddress businessAddress physicalAddress
		tradingAddress nzbn phone email bankStatementsUpdateLink bankStatementsCreditsSenseLink provisoLinkPdf
		bankStatementsReceived industryCategory industry dateOfBirth driversLicenseNumber citizenshipStatus
		soleDirector loanPurpose averageMonthlyTurnover callClientOrBroker applicationLink documentId tradingName
		applicationCompleted applicationCompletedDate bankStatementsReceivedDate businessStartDate amountRequested
		internalBdmUser secondaryPhone loanType homeOwner secondaryEmail suitableProducts driverVersionNumber
		leadSource numberOfCallsMade lastCallDate callOnBehalfOf partnerLeadReferenceId convertedDealId
		abn acn crn uen`)
	docDealKeys = strings.Fields(`status watchers statusSinceDate subStatusSinceDate lastActivityDate subStatus name
		customer callClientOrBroker broker brokerRep loanType internalBdmUser omNumberOfPayments omPaybackAmount
		omTermDays omDeclineReasons omCollectionFrequency omPrincipalAmount omAdvanceID omDateFunded omAdvanceType
		amount numberOfCallsMade bankStatementsCreditsSenseLink bankStatementsUpdateLink sfid lastCallDate
		callOnBehalfOf partnerLeadReferenceId applicationLink`)
	timeRE  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	moneyRE = regexp.MustCompile(`^\d+\.\d\d$`)
)

func TestWireShape(t *testing.T) {
	e := start(t, 9, 0)
	_, body := e.get(t, "/lead?page=1&pageSize=100")
	for _, l := range decode[[]map[string]any](t, body) {
		for _, k := range []string{"createdAt", "updatedAt"} {
			if s, _ := l[k].(string); !timeRE.MatchString(s) {
				t.Fatalf("%s %q", k, l[k])
			}
		}
		f := l["fields"].(map[string]any)
		for _, k := range docLeadKeys {
			if _, ok := f[k]; !ok {
				t.Fatalf("lead %v lacks %q", l["id"], k)
			}
		}
		for _, k := range []string{"amountRequested", "averageMonthlyTurnover"} {
			if v, ok := f[k].(string); f[k] != nil && (!ok || !moneyRE.MatchString(v)) {
				t.Errorf("%s = %#v, want a string like \"123.00\"", k, f[k])
			}
		}
		for _, k := range []string{"residentialAddress", "businessAddress", "physicalAddress", "tradingAddress"} {
			a, ok := f[k].(map[string]any)
			if !ok || len(a) != 7 {
				t.Fatalf("%s = %#v", k, f[k])
			}
		}
		if _, ok := f["suitableProducts"].([]any); !ok {
			t.Fatalf("suitableProducts = %#v", f["suitableProducts"])
		}
	}
	_, body = e.get(t, "/deal?page=1&pageSize=100")
	for _, d := range decode[[]map[string]any](t, body) {
		f := d["fields"].(map[string]any)
		for _, k := range docDealKeys {
			if _, ok := f[k]; !ok {
				t.Fatalf("deal %v lacks %q", d["id"], k)
			}
		}
		for _, k := range []string{"amount", "omPrincipalAmount", "omPaybackAmount"} {
			if v, ok := f[k].(string); f[k] != nil && (!ok || !moneyRE.MatchString(v)) {
				t.Errorf("%s = %#v", k, f[k])
			}
		}
		for _, k := range []string{"omTermDays", "omNumberOfPayments"} {
			if _, ok := f[k].(float64); f[k] != nil && !ok {
				t.Errorf("%s = %#v", k, f[k])
			}
		}
	}
}

func TestEveryDocumentedValueOccurs(t *testing.T) {
	for _, size := range []int{bizcaptest.MinSize, 0} {
		t.Run(fmt.Sprintf("size %d", size), func(t *testing.T) {
			e := start(t, 42, size)
			seen := map[string]bool{}
			mark := func(kind string, p *string) {
				if p != nil {
					seen[kind+"="+*p] = true
				}
			}
			for _, l := range e.s.Leads() {
				f := l.Fields
				seen["lead="+f.Status+"/"+f.SubStatus] = true
				mark("loanPurpose", f.LoanPurpose)
				mark("citizenshipStatus", f.CitizenshipStatus)
				mark("homeOwner", f.HomeOwner)
				mark("soleDirector", f.SoleDirector)
				mark("callClientOrBroker", f.CallClientOrBroker)
				mark("leadSource", &f.LeadSource)
				for _, p := range f.SuitableProducts {
					seen["suitableProducts="+p] = true
				}
				for name, n := range map[string]*string{"abn": f.ABN, "acn": f.ACN, "nzbn": f.NZBN, "crn": f.CRN, "uen": f.UEN} {
					if n != nil && *n != "" {
						seen["number="+name] = true
					}
				}
			}
			for _, d := range e.s.Deals() {
				f := d.Fields
				seen["deal="+f.Status+"/"+f.SubStatus] = true
				mark("loanType", f.LoanType)
				mark("frequency", f.OmCollectionFrequency)
				mark("advanceType", f.OmAdvanceType)
			}
			var want []string
			for _, g := range bizcaptest.LeadStatuses {
				for _, s := range g.SubStatuses {
					want = append(want, "lead="+g.Status+"/"+s)
				}
			}
			for _, g := range bizcaptest.DealStatuses {
				for _, s := range g.SubStatuses {
					want = append(want, "deal="+g.Status+"/"+s)
				}
			}
			add := func(kind string, vals []string) {
				for _, v := range vals {
					want = append(want, kind+"="+v)
				}
			}
			add("loanType", bizcaptest.LoanTypes)
			add("loanPurpose", bizcaptest.LoanPurposes)
			add("citizenshipStatus", bizcaptest.CitizenshipStatuses)
			add("homeOwner", bizcaptest.YesNo)
			add("soleDirector", bizcaptest.YesNo)
			add("callClientOrBroker", bizcaptest.CallClientOrBrokerValues)
			add("suitableProducts", bizcaptest.SuitableProducts)
			add("leadSource", bizcaptest.LeadSources)
			add("frequency", bizcaptest.CollectionFrequencies)
			add("advanceType", bizcaptest.AdvanceTypes)
			add("number", []string{"abn", "acn", "nzbn", "crn", "uen"})
			for _, w := range want {
				if !seen[w] {
					t.Errorf("never occurs: %s", w)
				}
			}
			if len(want) < 27+68 {
				t.Fatalf("only %d documented values listed", len(want))
			}
		})
	}
}

func TestDataVariety(t *testing.T) {
	e := start(t, 5, 0)
	count := map[string]int{}
	phoneRE := regexp.MustCompile(`^\+[0-9 ]+$`)
	for _, l := range e.s.Leads() {
		f := l.Fields
		if !phoneRE.MatchString(f.Phone) {
			t.Errorf("phone %q", f.Phone)
		}
		if strings.Contains(f.Phone, " ") {
			count["spaced phone"]++
		}
		if f.SecondaryPhone == nil {
			count["secondaryPhone null"]++
		} else if *f.SecondaryPhone == "" {
			count["secondaryPhone empty"]++
		}
		if f.ABN != nil && strings.Contains(*f.ABN, " ") {
			count["spaced abn"]++
		}
		if f.ResidentialAddress == (bizcaptest.Address{}) {
			count["empty address"]++
		}
		if a := f.TradingAddress; a.City != "" && a.AddressLine1 == "" {
			count["partial address"]++
		}
		if f.PartnerLeadReferenceID == nil {
			count["no reference"]++
		}
		if f.AmountRequested == nil {
			count["no amount"]++
		}
		if !l.UpdatedAt.Before(l.CreatedAt.Time) && l.UpdatedAt.After(bizcaptest.Anchor) {
			t.Errorf("lead %s updated after the anchor", l.ID)
		}
		if l.UpdatedAt.Before(l.CreatedAt.Time) {
			t.Errorf("lead %s updated before created", l.ID)
		}
	}
	for _, k := range []string{"spaced phone", "secondaryPhone null", "secondaryPhone empty", "spaced abn",
		"empty address", "partial address", "no reference", "no amount"} {
		if count[k] == 0 {
			t.Errorf("no lead with %s", k)
		}
	}
}

func TestLeadDealLinks(t *testing.T) {
	e := start(t, 11, 0)
	deals := map[string]bizcaptest.Deal{}
	for _, d := range e.s.Deals() {
		deals[d.ID] = d
	}
	refs := map[string]bool{}
	linked := map[string]bool{}
	for _, l := range e.s.Leads() {
		f := l.Fields
		if f.PartnerLeadReferenceID != nil && *f.PartnerLeadReferenceID != "" {
			refs[*f.PartnerLeadReferenceID] = true
		}
		if (f.Status == "Converted") != (f.ConvertedDealID != "") {
			t.Errorf("lead %s: status %s, convertedDealId %q", l.ID, f.Status, f.ConvertedDealID)
		}
		if f.ConvertedDealID == "" {
			continue
		}
		d, ok := deals[f.ConvertedDealID]
		if !ok {
			t.Fatalf("lead %s converted to unknown deal %s", l.ID, f.ConvertedDealID)
		}
		linked[d.ID] = true
		if str(d.Fields.PartnerLeadReferenceID) != str(f.PartnerLeadReferenceID) {
			t.Errorf("deal %s ref differs from its lead's", d.ID)
		}
	}
	refOnly := 0
	for _, d := range deals {
		if linked[d.ID] {
			continue
		}
		if r := d.Fields.PartnerLeadReferenceID; r != nil && refs[*r] {
			refOnly++
			if d.Fields.LoanType == nil || *d.Fields.LoanType == "New" {
				t.Errorf("follow-on deal %s has loan type %v", d.ID, d.Fields.LoanType)
			}
		}
	}
	if refOnly == 0 {
		t.Error("no deal linked to its lead by partnerLeadReferenceId only")
	}
}

func TestDeterminism(t *testing.T) {
	page := func(seed int64, size int, res string) []byte {
		_, b := start(t, seed, size).get(t, "/"+res+"?page=1&pageSize=100")
		return b
	}
	for _, res := range []string{"lead", "deal"} {
		if !bytes.Equal(page(7, 150, res), page(7, 150, res)) {
			t.Errorf("%s: same seed, different data", res)
		}
		if bytes.Equal(page(7, 150, res), page(8, 150, res)) {
			t.Errorf("%s: different seeds, same data", res)
		}
	}
	for _, tc := range []struct{ size, want int }{{0, bizcaptest.DefaultSize}, {-1, 0}, {1, 1}, {10, 10}, {250, 250}} {
		if got := len(start(t, 1, tc.size).s.Leads()); got != tc.want {
			t.Errorf("Size %d: %d leads, want %d", tc.size, got, tc.want)
		}
	}
}

// TestExactSizes checks sandbox.Options.Records: an empty account answers
// bare empty arrays, and small datasets are exactly their size and still
// consistent (deals only for converted leads, every deal linked).
func TestExactSizes(t *testing.T) {
	e := start(t, 1, -1)
	for _, res := range []string{"lead", "deal"} {
		status, body := e.get(t, "/"+res+"?page=1&pageSize=5")
		if status != 200 || string(body) != "[]" {
			t.Errorf("empty account %s: %d %s", res, status, body)
		}
	}
	for _, size := range []int{1, 2, 5, 11} {
		e := start(t, 3, size)
		leads, deals := e.s.Leads(), e.s.Deals()
		if len(leads) != size {
			t.Fatalf("Size %d: %d leads", size, len(leads))
		}
		converted := map[string]bool{}
		for _, l := range leads {
			if l.Fields.ConvertedDealID != "" {
				converted[l.Fields.ConvertedDealID] = true
			}
		}
		for _, d := range deals {
			if !converted[d.ID] && d.Fields.LoanType != nil && *d.Fields.LoanType == "New" {
				t.Errorf("Size %d: deal %s belongs to no lead", size, d.ID)
			}
		}
		if len(deals) < len(converted) {
			t.Errorf("Size %d: %d deals for %d converted leads", size, len(deals), len(converted))
		}
	}
}

const validLead = `{"fields":{
	"brokerId": "1e51262b-4f46-4dd2-9970-f12fe67bd001",
	"callClientOrBroker": "Call Client",
	"companyName": "Acme Widgets Pty Ltd",
	"firstName": "John",
	"lastName": "Smith",
	"abn": "51824753556",
	"amountRequested": 20000,
	"averageMonthlyTurnover": "85000.5",
	"businessAddress": {"addressLine1": "1 George St", "city": "Sydney", "state": "NSW", "zipCode": "2000", "country": "Australia"},
	"businessStartDate": "2015-03-01",
	"citizenshipStatus": "Citizen",
	"dateOfBirth": "1980-01-02",
	"email": "john@acme.com.au",
	"homeOwner": "Yes",
	"loanPurpose": "Working Capital / Cashflow",
	"partnerLeadReferenceId": "LP-0001",
	"phone": "+61412345678",
	"secondaryPhone": "+447512093211",
	"soleDirector": "No",
	"suitableProducts": ["LOC", "2nd Mortgage"]
}}`

func TestCreateLead(t *testing.T) {
	e := start(t, 1, 100)
	status, body := e.postJSON(t, "POST", "/lead/new", validLead)
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	resp := decode[bizcaptest.CreateLeadResponse](t, body)
	if resp.ID == "" || resp.Fields.PartnerLeadReferenceID == nil || *resp.Fields.PartnerLeadReferenceID != "LP-0001" ||
		resp.Fields.ApplicationLink != "https://www.bizcap.nz/more-about-you/?lead_id="+resp.ID ||
		resp.Fields.BankStatementsUpdateLink != "https://www.bizcap.nz/bankstatements?leadid="+resp.ID {
		t.Fatalf("response %s", body)
	}
	if keys := decode[struct{ Fields map[string]any }](t, body).Fields; len(keys) != 3 {
		t.Errorf("response fields %v", keys)
	}

	status, body = e.get(t, "/lead/"+resp.ID)
	if status != 200 {
		t.Fatalf("GET created lead: %d", status)
	}
	l := decode[bizcaptest.Lead](t, body)
	f := l.Fields
	checks := map[string][2]string{
		"status":          {f.Status + "/" + f.SubStatus, "New/Received"},
		"names":           {f.FirstName + "|" + f.LastName, "John|Smith"},
		"amountRequested": {*f.AmountRequested, "20000.00"},
		"turnover":        {*f.AverageMonthlyTurnover, "85000.50"},
		"ref":             {*f.PartnerLeadReferenceID, "LP-0001"},
		"leadSource":      {f.LeadSource, "API"},
		"createdAt":       {l.CreatedAt.Format(bizcaptest.TimeLayout), "2026-11-02T09:30:00.123Z"},
		"createdBy":       {l.CreatedBy, bizcaptest.APIUserID},
		"broker":          {f.Broker.Name, "Test Bizcap"},
		"fullAddress":     {f.BusinessAddress.FullAddress, "1 George St, Sydney, NSW, 2000, Australia"},
		"products":        {strings.Join(f.SuitableProducts, ","), "LOC,2nd Mortgage"},
		"unset is null":   {fmt.Sprint(f.TradingName == nil, f.ACN == nil), "true true"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}

	_, body = e.get(t, "/lead?page=2&pageSize=100")
	if got := ids(t, body, func(l bizcaptest.Lead) string { return l.ID }); !slices.Equal(got, []string{resp.ID}) {
		t.Errorf("created lead not on the last page: %v", got)
	}
	if n := e.s.AcceptedCount(bizcaptest.KindCreateLead); n != 1 {
		t.Errorf("AcceptedCount = %d", n)
	}
	sub := e.s.Received()[0]
	if sub.ID != resp.ID || sub.Status != 200 || sub.Body["fields"].(map[string]any)["firstName"] != "John" {
		t.Errorf("submission %+v", sub)
	}

	// No uniqueness on partnerLeadReferenceId: a resend creates a second lead.
	if status, _ := e.postJSON(t, "POST", "/LEAD/new", validLead); status != 200 {
		t.Fatalf("second create: %d", status)
	}
	n := 0
	for _, l := range e.s.Leads() {
		if r := l.Fields.PartnerLeadReferenceID; r != nil && *r == "LP-0001" {
			n++
		}
	}
	if n != 2 || len(e.s.Leads()) != 102 {
		t.Errorf("%d leads with the reference, %d leads", n, len(e.s.Leads()))
	}
}

// withField returns validLead with one field replaced (or removed when v is
// "").
func withField(t *testing.T, name, v string) string {
	t.Helper()
	var body map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(validLead), &body); err != nil {
		t.Fatal(err)
	}
	if v == "" {
		delete(body["fields"], name)
	} else {
		body["fields"][name] = json.RawMessage(v)
	}
	b, _ := json.Marshal(body)
	return string(b)
}

func TestCreateLeadValidation(t *testing.T) {
	e := start(t, 1, 100)
	long := `"` + strings.Repeat("x", 256) + `"`
	cases := []struct {
		name, body, contentType string
	}{
		{"not json", `{"fields":`, "application/json"},
		{"not an object", `[1,2]`, "application/json"},
		{"no fields wrapper", `{"firstName":"John","lastName":"Smith","companyName":"A","phone":"+61412345678"}`, "application/json"},
		{"fields not an object", `{"fields":"x"}`, "application/json"},
		{"wrong content type", validLead, "text/plain"},
		{"missing firstName", withField(t, "firstName", ""), ""},
		{"missing lastName", withField(t, "lastName", ""), ""},
		{"blank lastName", withField(t, "lastName", `"  "`), ""},
		{"missing companyName", withField(t, "companyName", ""), ""},
		{"missing phone", withField(t, "phone", ""), ""},
		{"null firstName", withField(t, "firstName", "null"), ""},
		{"full name in one field", withField(t, "name", `"John Smith"`), ""},
		{"phone without plus", withField(t, "phone", `"7512093211"`), ""},
		{"phone with spaces", withField(t, "phone", `"+44 7512 093211"`), ""},
		{"phone too short", withField(t, "phone", `"+44123"`), ""},
		{"secondary phone national", withField(t, "secondaryPhone", `"0412345678"`), ""},
		{"broker contact number bad", withField(t, "brokerContactNumber", `"(02) 9999 0000"`), ""},
		{"amount with comma", withField(t, "amountRequested", `"20,000"`), ""},
		{"amount with dollar", withField(t, "amountRequested", `"$20000"`), ""},
		{"amount negative", withField(t, "amountRequested", `-5`), ""},
		{"turnover with comma", withField(t, "averageMonthlyTurnover", `"1,000"`), ""},
		{"amount not a number", withField(t, "amountRequested", `true`), ""},
		{"callClientOrBroker case", withField(t, "callClientOrBroker", `"call client"`), ""},
		{"callClientOrBroker unknown", withField(t, "callClientOrBroker", `"Call Both"`), ""},
		{"citizenshipStatus unknown", withField(t, "citizenshipStatus", `"Visa"`), ""},
		{"homeOwner boolean", withField(t, "homeOwner", `true`), ""},
		{"homeOwner Y", withField(t, "homeOwner", `"Y"`), ""},
		{"soleDirector lower", withField(t, "soleDirector", `"yes"`), ""},
		{"loanPurpose unknown", withField(t, "loanPurpose", `"Tax Debt"`), ""},
		{"suitableProducts unknown", withField(t, "suitableProducts", `["Invoice Finance"]`), ""},
		{"suitableProducts not array", withField(t, "suitableProducts", `"LOC"`), ""},
		{"email invalid", withField(t, "email", `"john-at-acme"`), ""},
		{"secondaryEmail invalid", withField(t, "secondaryEmail", `"x@y"`), ""},
		{"dateOfBirth invalid", withField(t, "dateOfBirth", `"02/01/1980"`), ""},
		{"businessStartDate invalid", withField(t, "businessStartDate", `"2015-13-01"`), ""},
		{"text too long", withField(t, "companyName", long), ""},
		{"notes too long", withField(t, "notes", long), ""},
		{"text not a string", withField(t, "abn", `51824753556`), ""},
		{"address unknown key", withField(t, "tradingAddress", `{"street":"1 A St"}`), ""},
		{"address not object", withField(t, "tradingAddress", `"1 A St, Sydney"`), ""},
		{"address zip number", withField(t, "tradingAddress", `{"zipCode":2000}`), ""},
		{"unknown brokerId", withField(t, "brokerId", `"00000000-0000-4000-8000-000000000000"`), ""},
		{"unknown brokerRepId", withField(t, "brokerRepId", `"nobody"`), ""},
		{"read-only field", withField(t, "status", `"Converted"`), ""},
	}
	before := len(e.s.Leads())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			status, body := e.do(t, "POST", "/lead/new", strings.NewReader(tc.body), ct)
			if status != 400 || string(body) != invalidBody {
				t.Errorf("got %d %s, want 400 %s", status, body, invalidBody)
			}
		})
	}
	if after := len(e.s.Leads()); after != before {
		t.Errorf("rejected requests created %d leads", after-before)
	}
	if got, want := e.s.ReceivedCount(bizcaptest.KindCreateLead), len(cases); got != want {
		t.Errorf("ReceivedCount = %d, want %d", got, want)
	}
	if n := e.s.AcceptedCount(""); n != 0 {
		t.Errorf("AcceptedCount = %d", n)
	}
	for _, sub := range e.s.Received() {
		if sub.Status != 400 || sub.Error == "" {
			t.Errorf("submission %+v", sub)
		}
	}
	t.Run("minimal valid lead", func(t *testing.T) {
		status, body := e.postJSON(t, "POST", "/lead/new",
			`{"fields":{"firstName":"A","lastName":"B","companyName":"C","phone":"+6421234567","email":null}}`)
		if status != 200 {
			t.Errorf("got %d %s", status, body)
		}
	})
}

func TestPatchLead(t *testing.T) {
	e := start(t, 1, 100)
	l := e.s.Leads()[10]
	e.clock.Set(time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC))
	status, body := e.postJSON(t, "PATCH", "/lead/"+l.ID,
		`{"fields":{"lastName":"Jones","amountRequested":75000,"tradingAddress":{"city":"Perth","state":"WA"},"notes":null}}`)
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	got := decode[bizcaptest.Lead](t, body)
	stored, _ := e.s.Lead(l.ID)
	if got.Fields.LastName != "Jones" || *got.Fields.AmountRequested != "75000.00" || got.Fields.Notes != nil ||
		got.Fields.TradingAddress.City != "Perth" || got.Fields.TradingAddress.Country != l.Fields.TradingAddress.Country {
		t.Errorf("patched lead %+v", got.Fields)
	}
	if got.Fields.FirstName != l.Fields.FirstName || got.Fields.Status != l.Fields.Status {
		t.Error("fields not sent were changed")
	}
	if !got.UpdatedAt.Equal(e.clock.Now()) || !stored.UpdatedAt.Equal(e.clock.Now()) {
		t.Errorf("updatedAt %v", got.UpdatedAt)
	}
	if stored.Fields.LastName != "Jones" {
		t.Error("patch not stored")
	}
	cases := []struct {
		name, path, body string
		status           int
	}{
		{"unknown id", "/lead/00000000-0000-4000-8000-000000000000", `{"fields":{"lastName":"X"}}`, 404},
		{"malformed id", "/lead/42", `{"fields":{"lastName":"X"}}`, 400},
		{"empty fields", "/lead/" + l.ID, `{"fields":{}}`, 400},
		{"clearing a required field", "/lead/" + l.ID, `{"fields":{"firstName":null}}`, 400},
		{"empty required field", "/lead/" + l.ID, `{"fields":{"phone":""}}`, 400},
		{"bad phone", "/lead/" + l.ID, `{"fields":{"phone":"0412345678"}}`, 400},
		{"bad enum", "/lead/" + l.ID, `{"fields":{"homeOwner":"Maybe"}}`, 400},
		{"status is not a datapoint", "/lead/" + l.ID, `{"fields":{"status":"Closed"}}`, 400},
		{"flat body", "/lead/" + l.ID, `{"lastName":"X"}`, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.postJSON(t, "PATCH", tc.path, tc.body)
			if status != tc.status {
				t.Errorf("got %d %s, want %d", status, body, tc.status)
			}
			if status == 400 && string(body) != invalidBody {
				t.Errorf("body %s", body)
			}
		})
	}
	if after, _ := e.s.Lead(l.ID); after.Fields.LastName != "Jones" || after.Fields.Phone != l.Fields.Phone {
		t.Error("a rejected patch changed the lead")
	}
	if e.s.ReceivedCount(bizcaptest.KindUpdateLead) != 1+len(cases) || e.s.AcceptedCount(bizcaptest.KindUpdateLead) != 1 {
		t.Errorf("received %d, accepted %d", e.s.ReceivedCount(bizcaptest.KindUpdateLead), e.s.AcceptedCount(bizcaptest.KindUpdateLead))
	}
}

type part struct{ key, value, file string }

func multipartBody(t *testing.T, parts []part) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.file != "" {
			fw, err := w.CreateFormFile(p.key, p.file)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(fw, "%%PDF-1.4 %s", p.value)
			continue
		}
		if err := w.WriteField(p.key, p.value); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, w.FormDataContentType()
}

func TestAttachments(t *testing.T) {
	e := start(t, 1, 100)
	var lead bizcaptest.Lead
	for _, l := range e.s.Leads() {
		if l.Fields.BankStatementsReceived == "No" {
			lead = l
			break
		}
	}
	head := []part{{"entityType", "LEAD", ""}, {"entityId", lead.ID, ""}}
	one := append(slices.Clone(head),
		part{"attachments[0][type]", "Bank Statements", ""},
		part{"attachments[0][fileName]", "transaction.pdf", ""},
		part{"attachments[0][file]", "x", "transaction.pdf"})

	t.Run("single file answers one object", func(t *testing.T) {
		body, ct := multipartBody(t, one)
		status, resp := e.do(t, "POST", "/attachments/new", body, ct)
		if status != 200 {
			t.Fatalf("status %d: %s", status, resp)
		}
		a := decode[bizcaptest.Attachment](t, resp)
		want := bizcaptest.AttachmentFields{FileName: "transaction.pdf", Type: "Bank Statements", EntityType: "LEAD", EntityID: lead.ID}
		if a.Fields != want || a.ID == "" {
			t.Errorf("attachment %+v", a)
		}
		l, _ := e.s.Lead(lead.ID)
		if l.Fields.BankStatementsReceived != "Yes" || l.Fields.BankStatementsReceivedDate == nil {
			t.Error("bank statements not marked received")
		}
	})
	t.Run("several files answer an array", func(t *testing.T) {
		body, ct := multipartBody(t, append(slices.Clone(one),
			part{"attachments[1][type]", "Proof of Identity or ID", ""},
			part{"attachments[1][fileName]", "Drivers_License_Front", ""},
			part{"attachments[1][file]", "y", "license.jpg"},
			part{"attachments[2][type]", "Image", ""},
			part{"attachments[2][file]", "z", "shopfront.png"}))
		status, resp := e.do(t, "POST", "/attachments/new", body, ct)
		if status != 200 {
			t.Fatalf("status %d: %s", status, resp)
		}
		var names []string
		for _, a := range decode[[]bizcaptest.Attachment](t, resp) {
			names = append(names, a.Fields.Type+":"+a.Fields.FileName)
		}
		want := []string{"Bank Statements:transaction.pdf", "Proof of Identity or ID:Drivers_License_Front.jpg", "Image:shopfront.png"}
		if !slices.Equal(names, want) {
			t.Errorf("got %v, want %v", names, want)
		}
	})
	cases := []struct {
		name  string
		parts []part
	}{
		{"bad type", append(slices.Clone(head), part{"attachments[0][type]", "Payslip", ""}, part{"attachments[0][file]", "x", "a.pdf"})},
		{"type case", append(slices.Clone(head), part{"attachments[0][type]", "bank statements", ""}, part{"attachments[0][file]", "x", "a.pdf"})},
		{"no file", append(slices.Clone(head), part{"attachments[0][type]", "Image", ""}, part{"attachments[0][fileName]", "a.png", ""})},
		{"no type", append(slices.Clone(head), part{"attachments[0][file]", "x", "a.pdf"})},
		{"no attachments", head},
		{"unknown lead", []part{{"entityType", "LEAD", ""}, {"entityId", "00000000-0000-4000-8000-000000000000", ""},
			{"attachments[0][type]", "Image", ""}, {"attachments[0][file]", "x", "a.png"}}},
		{"entity type deal", []part{{"entityType", "DEAL", ""}, {"entityId", lead.ID, ""},
			{"attachments[0][type]", "Image", ""}, {"attachments[0][file]", "x", "a.png"}}},
		{"unknown key", append(slices.Clone(one), part{"comment", "hi", ""})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := multipartBody(t, tc.parts)
			status, resp := e.do(t, "POST", "/attachments/new", body, ct)
			if status != 400 || string(resp) != invalidBody {
				t.Errorf("got %d %s", status, resp)
			}
		})
	}
	t.Run("json instead of multipart", func(t *testing.T) {
		status, _ := e.postJSON(t, "POST", "/attachments/new", `{"entityType":"LEAD"}`)
		if status != 400 {
			t.Errorf("got %d", status)
		}
	})
	if n := len(e.s.Attachments()); n != 4 {
		t.Errorf("%d attachments stored, want 4", n)
	}
	if got, want := e.s.AcceptedCount(bizcaptest.KindUploadAttachments), 2; got != want {
		t.Errorf("accepted %d", got)
	}
}

func TestStatusControls(t *testing.T) {
	e := start(t, 1, 100)
	var open bizcaptest.Lead
	for _, l := range e.s.Leads() {
		if l.Fields.Status == "Attempting Contact" {
			open = l
			break
		}
	}
	now := time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC)
	e.clock.Set(now)
	if err := e.s.SetLeadStatus(open.ID, "Waiting on Customer", "Doing Application"); err != nil {
		t.Fatal(err)
	}
	_, body := e.get(t, "/lead/"+open.ID)
	l := decode[bizcaptest.Lead](t, body)
	if l.Fields.Status != "Waiting on Customer" || !l.UpdatedAt.Equal(now) || !l.Fields.StatusSinceDate.Equal(now) {
		t.Errorf("after SetLeadStatus: %s %v %v", l.Fields.Status, l.UpdatedAt, l.Fields.StatusSinceDate)
	}

	e.clock.Set(now.Add(time.Hour))
	dealID, err := e.s.ConvertToDeal(open.ID, "Renewal")
	if err != nil {
		t.Fatal(err)
	}
	_, body = e.get(t, "/deal/"+dealID)
	d := decode[bizcaptest.Deal](t, body)
	if d.Fields.Status != "Application Received" || str(d.Fields.LoanType) != "Renewal" ||
		str(d.Fields.PartnerLeadReferenceID) != str(open.Fields.PartnerLeadReferenceID) {
		t.Errorf("deal %+v", d.Fields)
	}
	deals := e.s.Deals()
	if deals[len(deals)-1].ID != dealID {
		t.Error("new deal is not last in list order")
	}
	l, _ = e.s.Lead(open.ID)
	if l.Fields.Status != "Converted" || l.Fields.SubStatus != "Banks In" || l.Fields.ConvertedDealID != dealID {
		t.Errorf("lead after conversion: %s/%s %s", l.Fields.Status, l.Fields.SubStatus, l.Fields.ConvertedDealID)
	}

	if err := e.s.SetDealStatus(dealID, "Settled", "Performing"); err != nil {
		t.Fatal(err)
	}
	d, _ = e.s.Deal(dealID)
	if d.Fields.OmDateFunded == nil || *d.Fields.OmDateFunded != "2026-11-05" || d.Fields.OmPrincipalAmount == nil {
		t.Errorf("settled deal terms: %+v", d.Fields)
	}

	errCases := []struct {
		name string
		err  error
		want error
	}{
		{"undocumented lead pair", e.s.SetLeadStatus(open.ID, "New", "Banks In"), bizcaptest.ErrUnknownStatus},
		{"unknown lead", e.s.SetLeadStatus("nope", "New", "Received"), bizcaptest.ErrNotFound},
		{"undocumented deal pair", e.s.SetDealStatus(dealID, "Funded", "x"), bizcaptest.ErrUnknownStatus},
		{"unknown deal", e.s.SetDealStatus("nope", "Settled", "Closed"), bizcaptest.ErrNotFound},
		{"converted twice", func() error { _, err := e.s.ConvertToDeal(open.ID, ""); return err }(), bizcaptest.ErrAlreadyConverted},
		{"bad loan type", func() error { _, err := e.s.ConvertToDeal(open.ID, "Top Up"); return err }(), bizcaptest.ErrUnknownLoanType},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.want) {
				t.Errorf("got %v, want %v", tc.err, tc.want)
			}
		})
	}
}

func TestInjectUnknownValues(t *testing.T) {
	e := start(t, 1, 100)
	documented := func(groups []bizcaptest.StatusGroup, status, sub string) bool {
		for _, g := range groups {
			if g.Status == status {
				return slices.Contains(g.SubStatuses, sub)
			}
		}
		return false
	}
	countUnknown := func() (leads, deals int) {
		_, body := e.get(t, "/lead?page=1&pageSize=100")
		for _, l := range decode[[]bizcaptest.Lead](t, body) {
			if !documented(bizcaptest.LeadStatuses, l.Fields.Status, l.Fields.SubStatus) {
				leads++
			}
		}
		for p := 1; p <= 2; p++ {
			_, body = e.get(t, fmt.Sprintf("/deal?page=%d&pageSize=100", p))
			for _, d := range decode[[]bizcaptest.Deal](t, body) {
				if !documented(bizcaptest.DealStatuses, d.Fields.Status, d.Fields.SubStatus) {
					deals++
				}
			}
		}
		return
	}
	if l, d := countUnknown(); l+d != 0 {
		t.Fatalf("undocumented statuses before injection: %d leads, %d deals", l, d)
	}
	e.s.InjectUnknownValues()
	e.s.InjectUnknownValues()
	l, d := countUnknown()
	if l == 0 || d == 0 {
		t.Fatalf("after injection: %d leads, %d deals with undocumented statuses", l, d)
	}
	seen := map[string]bool{}
	for _, l := range e.s.Leads() {
		f := l.Fields
		seen[f.Status], seen[f.SubStatus], seen[f.LeadSource] = true, true, true
		for _, p := range []*string{f.CitizenshipStatus, f.LoanPurpose, f.CallClientOrBroker} {
			if p != nil {
				seen[*p] = true
			}
		}
		for _, p := range f.SuitableProducts {
			seen[p] = true
		}
	}
	for _, d := range e.s.Deals() {
		f := d.Fields
		seen[f.Status], seen[f.SubStatus] = true, true
		for _, p := range []*string{f.LoanType, f.OmCollectionFrequency, f.OmAdvanceType} {
			if p != nil {
				seen[*p] = true
			}
		}
	}
	for _, v := range []string{bizcaptest.UnknownLeadStatus, bizcaptest.UnknownLeadSubStatus, bizcaptest.UnknownNewSubStatus,
		bizcaptest.UnknownDealStatus, bizcaptest.UnknownDealSubStatus, bizcaptest.UnknownSettledSubStatus,
		bizcaptest.UnknownLoanType, bizcaptest.UnknownCitizenshipStatus, bizcaptest.UnknownLoanPurpose,
		bizcaptest.UnknownSuitableProduct, bizcaptest.UnknownCallClientOrBroker, bizcaptest.UnknownLeadSource,
		bizcaptest.UnknownCollectionFrequency, bizcaptest.UnknownAdvanceType} {
		if !seen[v] {
			t.Errorf("%q not injected", v)
		}
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	s := bizcaptest.New(sandbox.Options{Seed: 2})
	mux := http.NewServeMux()
	mux.Handle("/bizcap/", http.StripPrefix("/bizcap", s))
	hs := httptest.NewServer(mux)
	defer hs.Close()
	base := s.Env(hs.URL + "/bizcap")["BIZCAP_BASE_URL"]
	req, _ := http.NewRequest("GET", base+"/lead/"+s.Leads()[0].ID, nil)
	req.Header.Set("Authorization", "Bearer "+bizcaptest.Token)
	if status, body := send(t, req); status != 200 || !strings.Contains(string(body), s.Leads()[0].ID) {
		t.Fatalf("got %d %.100s", status, body)
	}
	req, _ = http.NewRequest("POST", base+"/lead/new", strings.NewReader(validLead))
	req.Header.Set("Authorization", "Bearer "+bizcaptest.Token)
	req.Header.Set("Content-Type", "application/json")
	if status, body := send(t, req); status != 200 {
		t.Fatalf("create under prefix: %d %s", status, body)
	}
}

func TestFaultsInFront(t *testing.T) {
	e := start(t, 1, 100)
	t.Run("429 storm before auth", func(t *testing.T) {
		e.s.Faults().Storm429(2, 3*time.Second)
		for i := 0; i < 2; i++ {
			req, _ := http.NewRequest("GET", e.base+"/lead", nil) // no credentials
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
				t.Errorf("request %d: %d Retry-After %q", i, resp.StatusCode, resp.Header.Get("Retry-After"))
			}
		}
		if status, _ := e.get(t, "/lead?page=1&pageSize=1"); status != 200 {
			t.Errorf("after the storm: %d", status)
		}
	})
	t.Run("fail next", func(t *testing.T) {
		e.s.Faults().FailNext(1, 503, `{"error":"Service Unavailable"}`)
		if status, _ := e.get(t, "/lead"); status != 503 {
			t.Errorf("got %d", status)
		}
	})
	t.Run("dropped after handling still creates", func(t *testing.T) {
		e.s.Faults().DropAfterHandleNext(1)
		req, _ := http.NewRequest("POST", e.base+"/lead/new", strings.NewReader(validLead))
		req.Header.Set("Authorization", "Bearer "+bizcaptest.Token)
		req.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatal("expected a dropped connection")
		}
		if n := e.s.AcceptedCount(bizcaptest.KindCreateLead); n != 1 {
			t.Errorf("AcceptedCount = %d, want 1", n)
		}
	})
}

func TestConcurrentAccess(t *testing.T) {
	e := start(t, 1, 300)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func(p int) {
			defer wg.Done()
			if status, _ := e.get(t, fmt.Sprintf("/lead?page=%d&pageSize=50", p%6+1)); status != 200 {
				t.Errorf("page %d: %d", p, status)
			}
		}(i)
		go func(i int) {
			defer wg.Done()
			if status, _ := e.postJSON(t, "POST", "/lead/new", withField(t, "partnerLeadReferenceId", fmt.Sprintf(`"C-%d"`, i))); status != 200 {
				t.Errorf("create %d: %d", i, status)
			}
		}(i)
	}
	wg.Wait()
	if n := len(e.s.Leads()); n != 308 {
		t.Errorf("%d leads, want 308", n)
	}
}

func TestCopiesAreDeep(t *testing.T) {
	e := start(t, 1, 100)
	leads := e.s.Leads()
	leads[0].Fields.SuitableProducts = append(leads[0].Fields.SuitableProducts[:0], "changed")
	*leads[0].Fields.Email = "changed@example.com"
	leads[0].Fields.FirstName = "changed"
	deals := e.s.Deals()
	deals[0].Fields.Watchers[0].ID = "changed"
	again := e.s.Leads()[0]
	if again.Fields.FirstName == "changed" || (again.Fields.Email != nil && *again.Fields.Email == "changed@example.com") ||
		slices.Contains(again.Fields.SuitableProducts, "changed") || e.s.Deals()[0].Fields.Watchers[0].ID == "changed" {
		t.Error("a copy shares memory with the server")
	}
}
