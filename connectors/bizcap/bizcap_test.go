package bizcap_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/bizcap"
	"github.com/leadpipe/leadpipe/connectors/bizcap/bizcaptest"
	"github.com/leadpipe/leadpipe/connectors/connectortest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/schema"
)

// The documented values, copied from bizcap-bizmate.txt. A value added here
// without a mapping fails the tests.
var (
	// "Lead Status" (Status / Sub-Status).
	documentedLeadStatuses = map[string][]string{
		"Closed":                {"Duplicate", "Do not contact", "Unqualified"},
		"Unreachable":           {"Wrong details"},
		"Converted":             {"Banks In"},
		"New":                   {"Received", "Pending Duplicate Review"},
		"Attempting Contact":    {"Attempting 1", "Attempting 2", "Attempting 3", "Attempting 4"},
		"Difficulty Contacting": {"Attempting 5", "Attempting 6", "Attempting 7", "Attempting 8"},
		"Waiting on Customer": {"Call Back Customer", "Doing Application", "Customer requested email only",
			"Work in progress", "With Broker"},
		"Not Progressing": {"No longer Required", "Not ready", "No reason provided", "Cost",
			"Got another loan facility", "Term too short", "Loan amount too low"},
	}
	// "Deal Status" (the portal guide's table).
	documentedDealStatusesGuide = map[string][]string{
		"Application Received":     {"Banks In"},
		"In Progress":              {"Under Review", "Scrubbing", "Scrubbing Complete", "Submitted to Credit"},
		"Additional Info Required": {"Pending info - with customer", "Pending info - with ISO", "Pending info"},
		"Approved":                 {"Pending Stips", "Pending Presentation", "Offer Made", "With ISO"},
		"Contract Requested":       {"Contract Requested", "Contract Pending Info"},
		"Contract Draft":           {"Contract Draft", "Contact Drafting", "Contract Drafted", "Contract Draft - Pending info"},
		"Contracts Sent":           {"Contract Sent", "Sent by SS", "Sent by DS", "DS Contract Viewed", "No Response"},
		"Pending Settlement": {"Contract Signed", "Pre-Final Review", "Final Review", "Final Review - Pending Info",
			"Pending Funding Call", "Funding Call Complete", "Funding Waiting Approval", "Pre-Final Review - Pending Info",
			"Funding Call Complete - Awaiting Stips"},
		"Settled": {"Performing", "Not performing", "Defaulted", "Closed"},
		"Withdrawn": {"Term too short", "Cost", "No longer Required", "Loan Amount Too Low", "Got another loan facility",
			"Not Ready", "No reason provided"},
		"On Hold": {"On Hold", "On Hold - Credit", "On Hold - Customer"},
		"Declined": {"Time in business too short", "Revenue too low", "Serviceability", "Credit history",
			"Bank Statement conduct", "ATO debt", "Other debts", "Not a business", "High risk industry",
			"Prohibited industry", "Insufficient Documentation", "Integrity of applicants", "Has competitor loan",
			"Rejected By Credit", "Customer Declined"},
	}
	// "Possible Values" under GET /deal/{id} (the API's table).
	documentedDealStatusesAPI = map[string][]string{
		"Application Received":     {"Banks In"},
		"In Progress":              {"Under Review", "Scrubbing", "Scrubbing Complete", "Submitted to Credit"},
		"Additional Info Required": {"Pending info - with customer", "Pending info - with ISO", "Pending info"},
		"Approved":                 {"Pending Stips", "Pending Presentation", "Offer Made", "With ISO"},
		"Contract Requested":       {"Contract Requested", "Contract Pending Info"},
		"Contract Draft":           {"Contract Drafting", "Contract Drafted", "Contract Draft - Pending Info", "Pre-Send Review"},
		"Contracts Sent":           {"Contract Sent", "Sent by SS", "Sent by DS", "DS Contract Viewed", "No Response"},
		"Pending Settlement": {"Contract Signed", "Pre-Final Review", "Pre-Final Review - Pending Info", "Final Review",
			"Final Review Working", "Final Review - Pending Info", "Pending Funding Call - Awaiting Stips",
			"Pending Funding Call", "Funding Call Complete", "Funding Waiting Approval"},
		"Settled": {"Performing", "Not performing", "Defaulted", "Closed"},
		"Withdrawn": {"Term too short", "Cost", "No longer Required", "Loan Amount Too Low", "Got another loan facility",
			"Not Ready", "No reason provided"},
		"On Hold": {"On Hold", "On Hold - Credit", "On Hold - Customer"},
		"Declined": {"Time in business too short", "Revenue too low", "Serviceability", "Credit History",
			"Bank statement conduct", "ATO debt", "Other debts", "Not a business", "High risk industry",
			"Prohibited industry", "Insufficient Documentation", "Integrity of applicants", "Has competitor loan",
			"Rejected By Credit", "Customer Declined"},
	}
	documentedLoanTypes          = []string{"New", "Renewal", "Add On", "Refinance"}
	documentedCallClientOrBroker = []string{"Call Client", "Call Broker"}
	documentedCitizenship        = []string{"Permanent Resident", "Temporary Resident", "Citizen"}
	documentedYesNo              = []string{"Yes", "No"}
	documentedLoanPurposes       = []string{"Equipment Purchase", "Inventory / Stock Purchase", "Expansion & Growth",
		"Working Capital / Cashflow", "Paying off a Business Debt", "Renovation", "Other"}
	documentedSuitableProducts = []string{"LOC", "2nd Mortgage", "Business Loan"}
	documentedAttachmentTypes  = []string{"Bank Statements", "Proof of Identity or ID", "Image"}
)

func TestEveryDocumentedValueIsMapped(t *testing.T) {
	canonical := map[string]bool{}
	for _, s := range schema.Statuses {
		canonical[s] = true
	}
	check := func(kind string, doc map[string][]string, statuses map[string]string, pairs map[bizcap.StatusPair]string) int {
		n := 0
		for status, subs := range doc {
			if got, ok := statuses[status]; !ok || !canonical[got] {
				t.Errorf("%s status %q maps to %q, not a canonical status", kind, status, got)
			}
			for _, sub := range subs {
				n++
				got, ok := pairs[bizcap.StatusPair{Status: status, SubStatus: sub}]
				if !ok || !canonical[got] {
					t.Errorf("%s %q / %q maps to %q, not a canonical status", kind, status, sub, got)
				}
			}
		}
		return n
	}
	if n := check("lead", documentedLeadStatuses, bizcap.LeadStatusMap, bizcap.LeadSubStatusMap); n != 27 {
		t.Errorf("the doc lists 27 lead sub-statuses, the test %d", n)
	}
	check("deal", documentedDealStatusesGuide, bizcap.DealStatusMap, bizcap.DealSubStatusMap)
	check("deal", documentedDealStatusesAPI, bizcap.DealStatusMap, bizcap.DealSubStatusMap)
	for _, lt := range documentedLoanTypes {
		if _, ok := bizcap.ApplicationTypeMap[lt]; !ok {
			t.Errorf("loanType %q is not mapped", lt)
		}
	}
	same := func(name string, got, want []string) {
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s = %q, the doc says %q", name, got, want)
		}
	}
	same("CallClientOrBrokerValues", bizcap.CallClientOrBrokerValues, documentedCallClientOrBroker)
	same("CitizenshipStatuses", bizcap.CitizenshipStatuses, documentedCitizenship)
	same("YesNo", bizcap.YesNo, documentedYesNo)
	same("LoanPurposes", bizcap.LoanPurposes, documentedLoanPurposes)
	same("SuitableProducts", bizcap.SuitableProducts, documentedSuitableProducts)
	same("AttachmentTypes", bizcap.AttachmentTypes, documentedAttachmentTypes)
	same("LoanTypes", bizcap.LoanTypes, documentedLoanTypes)

	// Known meanings that matter to reports.
	for pair, want := range map[bizcap.StatusPair]string{
		{Status: "Settled", SubStatus: "Defaulted"}:          schema.StatusFunded,
		{Status: "Declined", SubStatus: "Customer Declined"}: schema.StatusLost,
		{Status: "Declined", SubStatus: "Serviceability"}:    schema.StatusDeclined,
		{Status: "Withdrawn", SubStatus: "Cost"}:             schema.StatusLost,
		{Status: "Approved", SubStatus: "Offer Made"}:        schema.StatusApproved,
	} {
		if got := bizcap.DealSubStatusMap[pair]; got != want {
			t.Errorf("deal %v = %s, want %s", pair, got, want)
		}
	}
	// Unknown values never land on funded, approved or declined.
	for _, got := range []string{bizcap.LeadStatus("Archived", "Merged"), bizcap.DealStatus("Funded", "Awaiting Disbursement")} {
		if got == schema.StatusFunded || got == schema.StatusApproved || got == schema.StatusDeclined {
			t.Errorf("an unknown status maps to %s", got)
		}
	}

	// The sandbox was written from the same doc by someone else; its lists
	// must agree with ours.
	for _, g := range bizcaptest.LeadStatuses {
		for _, s := range g.SubStatuses {
			if _, ok := bizcap.LeadSubStatusMap[bizcap.StatusPair{Status: g.Status, SubStatus: s}]; !ok {
				t.Errorf("sandbox lead %s / %s is not mapped", g.Status, s)
			}
		}
	}
	for _, g := range bizcaptest.DealStatuses {
		for _, s := range g.SubStatuses {
			if _, ok := bizcap.DealSubStatusMap[bizcap.StatusPair{Status: g.Status, SubStatus: s}]; !ok {
				t.Errorf("sandbox deal %s / %s is not mapped", g.Status, s)
			}
		}
	}
	for _, v := range bizcaptest.CollectionFrequencies {
		if _, ok := bizcap.FrequencyMap[v]; !ok {
			t.Errorf("sandbox collection frequency %q is not mapped", v)
		}
	}
	for _, v := range bizcaptest.AdvanceTypes {
		if _, ok := bizcap.ProductMap[v]; !ok {
			t.Errorf("sandbox advance type %q is not mapped", v)
		}
	}
}

// env is one sandbox served over real HTTP, with a settable clock.
type env struct {
	srv  *bizcaptest.Server
	http *httptest.Server
	*sandbox.Clock
	mu    sync.Mutex // guards paths and hook
	paths []string   // every request: "METHOD /path?query"
	// hook, when set, sees every request first and answers it by
	// returning true.
	hook func(w http.ResponseWriter, r *http.Request) bool
}

func (e *env) record() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.paths...)
}

func start(t *testing.T, size int) *env {
	t.Helper()
	return startSeed(t, 7, size)
}

func startSeed(t *testing.T, seed int64, size int) *env {
	t.Helper()
	e := &env{Clock: sandbox.NewClock(bizcaptest.Anchor.Add(24 * time.Hour))}
	e.srv = bizcaptest.New(sandbox.Options{Seed: seed, Size: size, Now: e.Now})
	e.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.paths = append(e.paths, r.Method+" "+r.URL.RequestURI())
		hook := e.hook
		e.mu.Unlock()
		if hook != nil && hook(w, r) {
			return
		}
		e.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(e.http.Close)
	return e
}

func (e *env) baseURL() string { return e.srv.Env(e.http.URL)[bizcaptest.EnvBaseURL] }

// brokerRegions maps the sandbox's brokers to their markets.
func brokerRegions() string {
	var b strings.Builder
	b.WriteString("broker_regions:\n")
	for _, br := range bizcaptest.Brokers() {
		fmt.Fprintf(&b, "  %q: %s\n", br.ID, br.Country)
	}
	return b.String()
}

func (e *env) configText(extra string) string {
	return fmt.Sprintf("base_url: %s\ntoken: %s\nrate_limit: 1000\n%s%s", e.baseURL(), bizcaptest.Token, brokerRegions(), extra)
}

func (e *env) config(t *testing.T, extra string) any {
	t.Helper()
	return connectortest.Config(t, "bizcap", e.configText(extra))
}

func (e *env) read(t *testing.T, cfg any, state map[string]string, streams ...string) *connectortest.Result {
	t.Helper()
	if len(streams) == 0 {
		streams = []string{"leads", "deals"}
	}
	res := connectortest.Read(t, "bizcap", cfg, &connectors.ReadRequest{Streams: streams, State: state, Now: e.Now()})
	if res.Err != nil {
		t.Fatalf("read: %v", res.Err)
	}
	return res
}

func attrs(t *testing.T, s string) map[string]any {
	t.Helper()
	if s == "" {
		return map[string]any{}
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("attributes %q: %v", s, err)
	}
	return m
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func TestFullReadMatchesTheSandbox(t *testing.T) {
	for _, tc := range []struct {
		name           string
		size, pageSize int
		conc           int
	}{
		{"default page", 120, 100, 4},
		{"exact multiple of the page size", 100, 25, 3},
		{"page of one", 12, 1, 2},
		{"more pages than workers", 90, 7, 3},
		{"one worker", 30, 10, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, tc.size)
			res := e.read(t, e.config(t, fmt.Sprintf("page_size: %d\nconcurrency: %d\n", tc.pageSize, tc.conc)), nil)
			leads, deals := e.srv.Leads(), e.srv.Deals()
			if len(res.Batch.Leads) != len(leads) || len(res.Batch.Loans) != len(deals) {
				t.Fatalf("read %d leads and %d loans, the sandbox has %d and %d", len(res.Batch.Leads), len(res.Batch.Loans), len(leads), len(deals))
			}
			for i, l := range res.Batch.Leads {
				if want := "bizcap:" + leads[i].ID; l.LeadUID != want {
					t.Fatalf("lead %d is %s, want %s (list order)", i, l.LeadUID, want)
				}
			}
			for i, l := range res.Batch.Loans {
				if want := "bizcap:" + deals[i].ID; l.LoanUID != want {
					t.Fatalf("loan %d is %s, want %s (list order)", i, l.LoanUID, want)
				}
			}
			if res.Batches < 2 {
				t.Errorf("everything came in %d batch(es); batches should be about a page", res.Batches)
			}
			if res.Cursors["leads"] == "" || res.Cursors["deals"] == "" {
				t.Errorf("cursors %v", res.Cursors)
			}
			// Pages past the end: at most the workers' worth, per list.
			pages := (len(leads)+tc.pageSize-1)/tc.pageSize + (len(deals)+tc.pageSize-1)/tc.pageSize
			if got := int(res.HTTP.Requests); got < pages || got > pages+2*tc.conc {
				t.Errorf("%d requests for %d pages", got, pages)
			}
		})
	}
}

func TestLeadsAreNormalized(t *testing.T) {
	e := start(t, 0) // 300 leads: every documented value and every market
	res := e.read(t, e.config(t, ""), nil, "leads")
	truth := map[string]bizcaptest.Lead{}
	for _, l := range e.srv.Leads() {
		truth["bizcap:"+l.ID] = l
	}
	regionOf := map[string]string{}
	for _, b := range bizcaptest.Brokers() {
		regionOf[b.ID] = b.Country
	}
	currency := map[string]string{"AU": "AUD", "NZ": "NZD", "GB": "GBP", "SG": "SGD"}
	types := map[string]int{}
	spaced, addrSources := 0, map[string]int{}
	for _, l := range res.Batch.Leads {
		w := truth[l.LeadUID]
		f := w.Fields
		if l.VendorStatus != f.Status || l.VendorSubStatus != f.SubStatus ||
			l.Status != bizcap.LeadSubStatusMap[bizcap.StatusPair{Status: f.Status, SubStatus: f.SubStatus}] {
			t.Errorf("%s: status %s (%s / %s), sandbox %s / %s", l.LeadUID, l.Status, l.VendorStatus, l.VendorSubStatus, f.Status, f.SubStatus)
		}
		if l.FirstName != f.FirstName || l.LastName != f.LastName || l.CompanyName != f.CompanyName {
			t.Errorf("%s: names %q %q %q", l.LeadUID, l.FirstName, l.LastName, l.CompanyName)
		}
		if !e164.MatchString(l.Phone) {
			t.Errorf("%s: phone %q (sandbox %q) is not E.164", l.LeadUID, l.Phone, f.Phone)
		}
		if strings.Contains(f.Phone, " ") {
			spaced++
		}
		if want := strings.ReplaceAll(f.Phone, " ", ""); l.Phone != want {
			t.Errorf("%s: phone %q, want %q", l.LeadUID, l.Phone, want)
		}
		if want := str(f.AmountRequested); l.AmountRequested.String() != want {
			t.Errorf("%s: amount_requested %q, want %q", l.LeadUID, l.AmountRequested, want)
		}
		if want := str(f.AverageMonthlyTurnover); l.MonthlyTurnover.String() != want {
			t.Errorf("%s: monthly_turnover %q, want %q", l.LeadUID, l.MonthlyTurnover, want)
		}
		if want := currency[regionOf[f.Broker.ID]]; l.Currency != want {
			t.Errorf("%s: currency %s, want %s (broker %s)", l.LeadUID, l.Currency, want, f.Broker.Name)
		}
		if l.PartnerRef != str(f.PartnerLeadReferenceID) || l.Broker != f.Broker.Name || l.Source != f.LeadSource {
			t.Errorf("%s: partner_ref %q broker %q source %q", l.LeadUID, l.PartnerRef, l.Broker, l.Source)
		}
		if !l.CreatedAt.Time().Equal(w.CreatedAt.Time) || !l.UpdatedAt.Time().Equal(w.UpdatedAt.Time) {
			t.Errorf("%s: created/updated %s %s", l.LeadUID, l.CreatedAt, l.UpdatedAt)
		}
		if f.DateOfBirth != nil && l.DateOfBirth.String() != *f.DateOfBirth {
			t.Errorf("%s: date_of_birth %s, want %s", l.LeadUID, l.DateOfBirth, *f.DateOfBirth)
		}
		// Business number: digits (and letters) only, with its type.
		if l.BusinessNumber != "" {
			types[l.BusinessNumberType]++
			raw := map[string]*string{"abn": f.ABN, "acn": f.ACN, "nzbn": f.NZBN, "crn": f.CRN, "uen": f.UEN}[l.BusinessNumberType]
			if want := strings.ReplaceAll(str(raw), " ", ""); l.BusinessNumber != want {
				t.Errorf("%s: business_number %q (%s), want %q", l.LeadUID, l.BusinessNumber, l.BusinessNumberType, want)
			}
		} else if str(f.ABN)+str(f.ACN)+str(f.NZBN)+str(f.CRN)+str(f.UEN) != "" {
			t.Errorf("%s: no business number", l.LeadUID)
		}
		// The four addresses are all in attributes; the canonical address
		// comes from the first one with a place.
		a := attrs(t, l.Attributes)
		for name, addr := range map[string]bizcaptest.Address{"businessAddress": f.BusinessAddress, "tradingAddress": f.TradingAddress,
			"physicalAddress": f.PhysicalAddress, "residentialAddress": f.ResidentialAddress} {
			got, _ := a[name].(map[string]any)
			if (addr == bizcaptest.Address{}) != (got == nil) {
				t.Errorf("%s: attribute %s = %v for %+v", l.LeadUID, name, got, addr)
			}
			if got != nil && got["fullAddress"] != addr.FullAddress {
				t.Errorf("%s: %s.fullAddress = %v", l.LeadUID, name, got["fullAddress"])
			}
		}
		src, _ := a["address_source"].(string)
		addrSources[src]++
		if l.City != "" && l.Country == "" {
			t.Errorf("%s: city %s without a country", l.LeadUID, l.City)
		}
		if l.Country != "" && l.Country != regionOf[f.Broker.ID] {
			t.Errorf("%s: country %s, broker market %s", l.LeadUID, l.Country, regionOf[f.Broker.ID])
		}
		for _, k := range []string{"status", "firstName", "amountRequested", "phone"} {
			if _, dup := a[k]; dup {
				t.Errorf("%s: canonical %s repeated in attributes", l.LeadUID, k)
			}
		}
		if f.ConvertedDealID != "" && a["convertedDealId"] != f.ConvertedDealID {
			t.Errorf("%s: convertedDealId not kept", l.LeadUID)
		}
		if (l.Status == schema.StatusLost || l.Status == schema.StatusDeclined) != (l.LostReason != "") {
			t.Errorf("%s: status %s with lost_reason %q", l.LeadUID, l.Status, l.LostReason)
		}
	}
	for _, typ := range []string{"abn", "nzbn", "crn", "uen"} {
		if types[typ] == 0 {
			t.Errorf("no lead with business_number_type %s (%v)", typ, types)
		}
	}
	if spaced == 0 {
		t.Error("the sandbox sent no spaced phone; the test proves nothing")
	}
	if addrSources["businessAddress"] == 0 || len(addrSources) < 2 {
		t.Errorf("address sources %v", addrSources)
	}
	if res.Unknowns.Total() != 0 {
		t.Errorf("documented data counted unknown values: %v", res.Unknowns.List())
	}
}

func TestDealsAreLoansLinkedToTheirLeads(t *testing.T) {
	e := startSeed(t, 1, 0) // a dataset with renewals linked by reference only
	res := e.read(t, e.config(t, ""), nil)
	leads := e.srv.Leads()
	byDeal, byRef := map[string]string{}, map[string][]string{}
	converted := map[string]bool{}
	for _, l := range leads {
		converted["bizcap:"+l.ID] = l.Fields.ConvertedDealID != ""
		if l.Fields.ConvertedDealID != "" {
			byDeal[l.Fields.ConvertedDealID] = "bizcap:" + l.ID
		}
		if r := str(l.Fields.PartnerLeadReferenceID); r != "" {
			byRef[r] = append(byRef[r], "bizcap:"+l.ID)
		}
	}
	truth := map[string]bizcaptest.Deal{}
	for _, d := range e.srv.Deals() {
		truth["bizcap:"+d.ID] = d
	}
	byRefOnly, apps := 0, map[string]int{}
	for _, l := range res.Batch.Loans {
		d := truth[l.LoanUID]
		f := d.Fields
		if want, ok := byDeal[d.ID]; ok {
			if l.LeadUID != want {
				t.Errorf("%s: lead %s, want %s (convertedDealId)", l.LoanUID, l.LeadUID, want)
			}
		} else if r := str(f.PartnerLeadReferenceID); r != "" && len(byRef[r]) > 0 {
			byRefOnly++
			if !strings.Contains(strings.Join(byRef[r], ","), l.LeadUID) || l.LeadUID == "" {
				t.Errorf("%s: lead %s does not carry reference %s", l.LoanUID, l.LeadUID, r)
			}
			anyConverted := false
			for _, id := range byRef[r] {
				anyConverted = anyConverted || converted[id]
			}
			if anyConverted && !converted[l.LeadUID] {
				t.Errorf("%s: linked to %s, not to the converted lead with reference %s", l.LoanUID, l.LeadUID, r)
			}
		} else if l.LeadUID != "" {
			t.Errorf("%s: linked to %s with nothing to link by", l.LoanUID, l.LeadUID)
		}
		if l.VendorStatus != f.Status || l.Status != bizcap.DealSubStatusMap[bizcap.StatusPair{Status: f.Status, SubStatus: f.SubStatus}] {
			t.Errorf("%s: status %s / %s", l.LoanUID, l.Status, l.VendorStatus)
		}
		if l.Principal.String() != str(f.OmPrincipalAmount) || l.TotalRepayable.String() != str(f.OmPaybackAmount) {
			t.Errorf("%s: principal %s payback %s, want %s %s", l.LoanUID, l.Principal, l.TotalRepayable, str(f.OmPrincipalAmount), str(f.OmPaybackAmount))
		}
		if f.OmTermDays != nil && (l.TermCount.V != int64(*f.OmTermDays) || l.TermUnit != "day") {
			t.Errorf("%s: term %s %s, want %d days", l.LoanUID, l.TermCount, l.TermUnit, *f.OmTermDays)
		}
		if f.OmCollectionFrequency != nil && l.PaymentFrequency != strings.ToLower(*f.OmCollectionFrequency) {
			t.Errorf("%s: frequency %s", l.LoanUID, l.PaymentFrequency)
		}
		if f.LoanType != nil {
			apps[l.ApplicationType]++
			if l.ApplicationType != bizcap.ApplicationTypeMap[*f.LoanType] {
				t.Errorf("%s: application_type %s for %s", l.LoanUID, l.ApplicationType, *f.LoanType)
			}
		}
		if f.OmDateFunded != nil {
			if got := l.FundedAt.Time().Format("2006-01-02"); got != *f.OmDateFunded {
				t.Errorf("%s: funded_at %s, omDateFunded %s", l.LoanUID, l.FundedAt, *f.OmDateFunded)
			}
		} else if l.FundedAt.Valid {
			t.Errorf("%s: funded_at without omDateFunded", l.LoanUID)
		}
		if f.Status == "Settled" && (l.Status != schema.StatusFunded || !l.FundedAt.Valid) {
			t.Errorf("%s: settled but %s, funded_at %s", l.LoanUID, l.Status, l.FundedAt)
		}
		a := attrs(t, l.Attributes)
		if f.OmNumberOfPayments != nil && fmt.Sprint(a["omNumberOfPayments"]) != fmt.Sprint(*f.OmNumberOfPayments) {
			t.Errorf("%s: omNumberOfPayments %v", l.LoanUID, a["omNumberOfPayments"])
		}
		if f.OmAdvanceType != nil && (a["omAdvanceType"] != *f.OmAdvanceType || l.Product == "") {
			t.Errorf("%s: product %s, omAdvanceType %v", l.LoanUID, l.Product, a["omAdvanceType"])
		}
		if f.OmDeclineReasons != nil {
			rs, _ := a["decline_reasons"].([]any)
			if len(rs) == 0 || len(rs) != strings.Count(*f.OmDeclineReasons, ";")+1 {
				t.Errorf("%s: decline_reasons %v for %q", l.LoanUID, rs, *f.OmDeclineReasons)
			}
		}
		if a["subStatus"] != f.SubStatus {
			t.Errorf("%s: subStatus %v not kept", l.LoanUID, a["subStatus"])
		}
		if l.Currency == "" {
			t.Errorf("%s: no currency", l.LoanUID)
		}
	}
	if byRefOnly == 0 {
		t.Error("no deal was linked by partnerLeadReferenceId alone")
	}
	for _, want := range []string{"new", "renewal", "top_up", "refinance"} {
		if apps[want] == 0 {
			t.Errorf("no loan with application_type %s: %v", want, apps)
		}
	}
}

func TestIncrementalReadsWhatChanged(t *testing.T) {
	e := start(t, 150)
	cfg := e.config(t, "page_size: 20\n")
	first := e.read(t, cfg, nil)

	e.Advance(time.Hour)
	quiet := e.read(t, cfg, first.Cursors)
	if n := quiet.Batch.Len(); n != 0 {
		t.Errorf("a run without changes emitted %d rows", n)
	}
	if quiet.HTTP.Requests < first.HTTP.Requests-8 {
		t.Errorf("the quiet run made %d requests; without an update filter it must read every page (%d)", quiet.HTTP.Requests, first.HTTP.Requests)
	}

	e.Advance(time.Hour)
	var leadID, dealID string
	for _, l := range e.srv.Leads() {
		if l.Fields.Status == "New" && leadID == "" {
			leadID = l.ID
		}
	}
	for _, d := range e.srv.Deals() {
		if d.Fields.Status == "Approved" && dealID == "" {
			dealID = d.ID
		}
	}
	if err := e.srv.SetLeadStatus(leadID, "Attempting Contact", "Attempting 1"); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SetDealStatus(dealID, "Settled", "Performing"); err != nil {
		t.Fatal(err)
	}
	converted := ""
	for _, l := range e.srv.Leads() {
		if l.Fields.Status == "Waiting on Customer" {
			converted = l.ID
			break
		}
	}
	newDeal, err := e.srv.ConvertToDeal(converted, "Renewal")
	if err != nil {
		t.Fatal(err)
	}
	e.Advance(time.Minute)
	next := e.read(t, cfg, quiet.Cursors)
	gotLeads := map[string]string{}
	for _, l := range next.Batch.Leads {
		gotLeads[l.VendorLeadID] = l.Status
	}
	if len(gotLeads) != 2 || gotLeads[leadID] != schema.StatusContacting || gotLeads[converted] != schema.StatusApplication {
		t.Errorf("incremental leads %v, want %s contacting and %s application", gotLeads, leadID, converted)
	}
	gotLoans := map[string]schema.Loan{}
	for _, l := range next.Batch.Loans {
		gotLoans[l.VendorLoanID] = l
	}
	if len(gotLoans) != 2 || gotLoans[dealID].Status != schema.StatusFunded || !gotLoans[dealID].FundedAt.Valid {
		t.Errorf("incremental loans %+v, want %s funded and %s", gotLoans, dealID, newDeal)
	}
	if l := gotLoans[newDeal]; l.LeadUID != "bizcap:"+converted || l.ApplicationType != "renewal" {
		t.Errorf("the new deal is %+v, want it linked to %s as a renewal", l, converted)
	}
	if next.Cursors["leads"] <= quiet.Cursors["leads"] || next.Cursors["deals"] <= quiet.Cursors["deals"] {
		t.Errorf("cursors did not move: %v then %v", quiet.Cursors, next.Cursors)
	}

	// A full refresh ignores the cursors.
	res := connectortest.Read(t, "bizcap", cfg, &connectors.ReadRequest{Streams: []string{"leads"}, State: next.Cursors, FullRefresh: true, Now: e.Now()})
	if res.Err != nil || len(res.Batch.Leads) != 150 {
		t.Errorf("full refresh read %d leads (%v)", len(res.Batch.Leads), res.Err)
	}
}

func TestFailedReadSetsNoCursor(t *testing.T) {
	e := start(t, 60)
	e.srv.Faults().FailNext(50, 400, `{"error":"Invalid request"}`)
	cfg := connectortest.Config(t, "bizcap", e.configText("page_size: 10\nconcurrency: 1\n"))
	res := connectortest.Read(t, "bizcap", cfg, &connectors.ReadRequest{Streams: []string{"leads", "deals"}, Now: e.Now()})
	if res.Err == nil {
		t.Fatal("no error")
	}
	if len(res.Cursors) != 0 {
		t.Errorf("cursors %v set after a failed read", res.Cursors)
	}
}

func TestDealsOnlyStillLinks(t *testing.T) {
	e := start(t, 100)
	res := e.read(t, e.config(t, ""), nil, "deals")
	if len(res.Batch.Leads) != 0 || len(res.Batch.Loans) != len(e.srv.Deals()) {
		t.Fatalf("deals-only read emitted %d leads, %d loans", len(res.Batch.Leads), len(res.Batch.Loans))
	}
	linked := 0
	for _, l := range res.Batch.Loans {
		if l.LeadUID != "" {
			linked++
		}
	}
	if linked < len(res.Batch.Loans)*8/10 {
		t.Errorf("only %d of %d loans linked", linked, len(res.Batch.Loans))
	}
	if _, ok := res.Cursors["leads"]; ok {
		t.Error("a deals-only read set the leads cursor")
	}
}

func TestPathCase(t *testing.T) {
	for _, tc := range []struct{ pathCase, want string }{{"lower", "/api/v1/lead?"}, {"upper", "/api/v1/LEAD?"}} {
		t.Run(tc.pathCase, func(t *testing.T) {
			e := start(t, 5)
			e.read(t, e.config(t, "path_case: "+tc.pathCase+"\n"), nil, "leads")
			paths := e.record()
			if len(paths) == 0 || !strings.Contains(paths[0], tc.want) {
				t.Errorf("requests %v, want %s", paths, tc.want)
			}
		})
	}
}

// TestUpdatedDescOrderStopsEarly serves the sandbox's leads newest update
// first, as an API with that order would, and checks that an incremental
// run stops at the first page older than its cursor.
func TestUpdatedDescOrderStopsEarly(t *testing.T) {
	e := start(t, 100)
	leads := e.srv.Leads()
	for i := range leads {
		for j := i + 1; j < len(leads); j++ {
			if leads[j].UpdatedAt.After(leads[i].UpdatedAt.Time) {
				leads[i], leads[j] = leads[j], leads[i]
			}
		}
	}
	cutoff := leads[15].UpdatedAt.Time // 15 leads are newer
	var mu sync.Mutex
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+bizcaptest.Token {
			w.WriteHeader(401)
			return
		}
		var page, size int
		fmt.Sscan(r.URL.Query().Get("page"), &page)
		fmt.Sscan(r.URL.Query().Get("pageSize"), &size)
		from := min((page-1)*size, len(leads))
		_ = json.NewEncoder(w).Encode(leads[from:min(from+size, len(leads))])
	}))
	t.Cleanup(srv.Close)
	cfg := connectortest.Config(t, "bizcap", fmt.Sprintf("base_url: %s/api/v1\ntoken: %s\nrate_limit: 1000\npage_size: 10\nconcurrency: 1\nlist_order: updated_desc\nlookback: 1ns\n",
		srv.URL, bizcaptest.Token))
	state := map[string]string{"leads": cutoff.Add(2 * time.Nanosecond).Format(time.RFC3339Nano)} // since = cutoff + 1ns
	res := connectortest.Read(t, "bizcap", cfg, &connectors.ReadRequest{Streams: []string{"leads"}, State: state, Now: e.Now()})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Batch.Leads) != 15 {
		t.Errorf("read %d leads, want the 15 updated after the cursor", len(res.Batch.Leads))
	}
	if requests != 2 {
		t.Errorf("%d requests, want 2 (the second page holds the cursor)", requests)
	}
	// The same API with the default order reads every page.
	requests = 0
	cfg = connectortest.Config(t, "bizcap", fmt.Sprintf("base_url: %s/api/v1\ntoken: %s\nrate_limit: 1000\npage_size: 10\nconcurrency: 1\nlookback: 1ns\n",
		srv.URL, bizcaptest.Token))
	res = connectortest.Read(t, "bizcap", cfg, &connectors.ReadRequest{Streams: []string{"leads"}, State: state, Now: e.Now()})
	if res.Err != nil || len(res.Batch.Leads) != 15 || requests != 11 {
		t.Errorf("created_asc: %d leads in %d requests (%v), want 15 in 11", len(res.Batch.Leads), requests, res.Err)
	}
}

func TestUnknownValuesAreKeptAndCounted(t *testing.T) {
	e := start(t, 200)
	e.srv.InjectUnknownValues()
	res := e.read(t, e.config(t, ""), nil)
	fields := map[string]bool{}
	for _, u := range res.Unknowns.List() {
		fields[u.Field] = true
	}
	for _, f := range []string{"lead.status", "lead.subStatus", "lead.citizenshipStatus", "lead.loanPurpose",
		"lead.suitableProducts", "lead.callClientOrBroker", "lead.leadSource", "deal.status", "deal.subStatus",
		"deal.loanType", "deal.omCollectionFrequency", "deal.omAdvanceType"} {
		if !fields[f] {
			t.Errorf("no unknown %s counted; got %v", f, res.Unknowns.List())
		}
	}
	for _, l := range res.Batch.Leads {
		if l.VendorStatus == bizcaptest.UnknownLeadStatus && l.Status != bizcap.UnknownLeadStatus {
			t.Errorf("unknown lead status mapped to %s", l.Status)
		}
	}
	for _, l := range res.Batch.Loans {
		switch {
		case l.VendorStatus == bizcaptest.UnknownDealStatus && l.Status != bizcap.UnknownDealStatus:
			t.Errorf("unknown deal status mapped to %s", l.Status)
		case strings.Contains(l.Attributes, bizcaptest.UnknownLoanType) && l.ApplicationType != "other":
			t.Errorf("unknown loan type mapped to %s", l.ApplicationType)
		}
	}
}

func TestUnknownSubStatusChoice(t *testing.T) {
	for _, tc := range []struct{ choice, want string }{{"by_status", schema.StatusFunded}, {"safe", bizcap.UnknownDealStatus}} {
		t.Run(tc.choice, func(t *testing.T) {
			e := start(t, 200)
			e.srv.InjectUnknownValues()
			res := e.read(t, e.config(t, "unknown_sub_status: "+tc.choice+"\n"), nil, "deals")
			seen := 0
			for _, l := range res.Batch.Loans {
				if strings.Contains(l.Attributes, bizcaptest.UnknownSettledSubStatus) {
					seen++
					if l.Status != tc.want || l.VendorStatus != "Settled" {
						t.Errorf("Settled / %s is %s, want %s", bizcaptest.UnknownSettledSubStatus, l.Status, tc.want)
					}
				}
			}
			if seen == 0 {
				t.Fatal("no deal with the unknown Settled sub-status")
			}
		})
	}
}

func TestAuthFailureIsClearAndHidesTheToken(t *testing.T) {
	e := start(t, 5)
	cfg := connectortest.Config(t, "bizcap", fmt.Sprintf("base_url: %s\ntoken: wrong-token-123\n", e.baseURL()))
	res := connectortest.Read(t, "bizcap", cfg, &connectors.ReadRequest{Streams: []string{"leads"}, Now: e.Now()})
	if res.Err == nil {
		t.Fatal("no error with a wrong token")
	}
	msg := res.Err.Error()
	if !strings.Contains(msg, "401") || !strings.Contains(msg, "bizcap") {
		t.Errorf("error does not say bizcap 401: %s", msg)
	}
	if strings.Contains(msg, "wrong-token-123") {
		t.Errorf("error leaks the token: %s", msg)
	}
}

// TestSandboxErrors checks what the connector relies on: 401 without a
// token, 400 {"error":"Invalid request"}, 404 for an unknown id.
func TestSandboxErrors(t *testing.T) {
	e := start(t, 5)
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, e.baseURL()+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = fmt.Fprint(&b, readAll(resp))
		return resp.StatusCode, strings.TrimSpace(b.String())
	}
	for _, tc := range []struct {
		name, path, token string
		status            int
		body              string
	}{
		{"no token", "/lead", "", 401, ""},
		{"bad token", "/lead", "nope", 401, ""},
		{"bad page size", "/lead?pageSize=1000", bizcaptest.Token, 400, `{"error":"Invalid request"}`},
		{"unknown lead", "/lead/0b0b0b0b-0000-4000-8000-000000000000", bizcaptest.Token, 404, ""},
		{"unknown deal", "/deal/0b0b0b0b-0000-4000-8000-000000000000", bizcaptest.Token, 404, ""},
		{"upper-case path", "/LEAD?page=1&pageSize=1", bizcaptest.Token, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(tc.path, tc.token)
			if status != tc.status || (tc.body != "" && body != tc.body) {
				t.Errorf("%s: %d %s, want %d %s", tc.path, status, body, tc.status, tc.body)
			}
		})
	}
}

func readAll(resp *http.Response) string {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

func TestConfigProblems(t *testing.T) {
	_, probs := connectortest.TryConfig("bizcap", "base_url: ftp://x\npage_size: 500\nregion: FR\nlist_order: random\npath_case: mixed\n"+
		"required_fields: [firstName, nickname]\nbroker_regions: {b1: US}\nbogus: 1\n")
	msgs := probs.Error()
	for _, want := range []string{"config.base_url", "config.token: is required", "config.page_size: must be 1..100",
		"config.region: must be one of", "config.list_order", "config.path_case", `config.required_fields[1]: "nickname"`,
		"config.broker_regions.b1", `unknown key "bogus"`} {
		if !strings.Contains(msgs, want) {
			t.Errorf("problems lack %q:\n%s", want, msgs)
		}
	}
	cfg, probs := connectortest.TryConfig("bizcap", "token: x\nregion: uk\n")
	if len(probs.Errors()) != 0 {
		t.Fatal(probs.Error())
	}
	c := cfg.(*bizcap.Config)
	if c.Currency != "GBP" || c.PhoneRegion != "GB" || c.BaseURL != bizcap.DefaultBaseURL || c.ListOrder != bizcap.OrderCreatedAsc {
		t.Errorf("defaults for region uk: %+v", c)
	}
	if strings.Contains(fmt.Sprintf("%v %+v", c, c), "token: x") {
		t.Error("the token prints")
	}
}

func TestReadmeQuotesTheSample(t *testing.T) {
	spec, _ := connectors.Lookup("bizcap")
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```yaml\n"+string(spec.Sample)+"```") {
		t.Error("README.md does not quote sample.yaml as it is")
	}
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		Connector: "bizcap",
		PageSize:  5,
		Start: func(t *testing.T, size int) *connectortest.Sandbox {
			if size == 0 {
				size = -1 // an empty account
			}
			e := start(t, size)
			base := fmt.Sprintf("base_url: %s\nrate_limit: 1000\npage_size: 5\n", e.baseURL())
			return &connectortest.Sandbox{
				Config:        base + "token: " + bizcaptest.Token + "\n",
				BadAuthConfig: base + "token: not-the-token-42\n",
				Secret:        "not-the-token-42",
				Faults:        e.srv.Faults(),
				Now:           e.Now,
				Truth: func(table string) int {
					switch table {
					case "leads":
						return len(e.srv.Leads())
					case "loans":
						return len(e.srv.Deals())
					}
					return 0
				},
				InjectUnknownValues: e.srv.InjectUnknownValues,
				Change: func(t *testing.T) {
					e.Advance(time.Hour)
					l := e.srv.Leads()[0]
					if err := e.srv.SetLeadStatus(l.ID, "Closed", "Do not contact"); err != nil {
						t.Fatal(err)
					}
					e.Advance(time.Minute)
				},
			}
		},
	})
}
