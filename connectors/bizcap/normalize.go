package bizcap

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/transforms/normalize"
)

// StatusPair is a status with one of its sub-statuses.
type StatusPair struct{ Status, SubStatus string }

// LeadStatusMap maps every documented lead status (bizcap-bizmate.txt, "Lead
// Status") to the canonical status. It applies to a documented status with
// an undocumented sub-status; LeadSubStatusMap decides documented pairs.
var LeadStatusMap = map[string]string{
	"New":                   schema.StatusNew,
	"Attempting Contact":    schema.StatusContacting,
	"Difficulty Contacting": schema.StatusContacting,
	"Waiting on Customer":   schema.StatusQualifying,
	"Not Progressing":       schema.StatusLost,
	"Unreachable":           schema.StatusLost,
	"Closed":                schema.StatusLost,
	"Converted":             schema.StatusApplication,
}

// LeadSubStatusMap maps every documented lead status / sub-status pair to
// the canonical status. TestEveryDocumentedValueIsMapped fails if one is
// missing.
var LeadSubStatusMap = map[StatusPair]string{
	{"New", "Received"}:                 schema.StatusNew,
	{"New", "Pending Duplicate Review"}: schema.StatusNew,

	{"Attempting Contact", "Attempting 1"}:    schema.StatusContacting,
	{"Attempting Contact", "Attempting 2"}:    schema.StatusContacting,
	{"Attempting Contact", "Attempting 3"}:    schema.StatusContacting,
	{"Attempting Contact", "Attempting 4"}:    schema.StatusContacting,
	{"Difficulty Contacting", "Attempting 5"}: schema.StatusContacting,
	{"Difficulty Contacting", "Attempting 6"}: schema.StatusContacting,
	{"Difficulty Contacting", "Attempting 7"}: schema.StatusContacting,
	{"Difficulty Contacting", "Attempting 8"}: schema.StatusContacting,

	{"Waiting on Customer", "Call Back Customer"}:            schema.StatusContacting,
	{"Waiting on Customer", "Customer requested email only"}: schema.StatusContacting,
	{"Waiting on Customer", "Work in progress"}:              schema.StatusQualifying,
	{"Waiting on Customer", "With Broker"}:                   schema.StatusQualifying,
	{"Waiting on Customer", "Doing Application"}:             schema.StatusApplication,

	{"Not Progressing", "No longer Required"}:        schema.StatusLost,
	{"Not Progressing", "Not ready"}:                 schema.StatusLost,
	{"Not Progressing", "No reason provided"}:        schema.StatusLost,
	{"Not Progressing", "Cost"}:                      schema.StatusLost,
	{"Not Progressing", "Got another loan facility"}: schema.StatusLost,
	{"Not Progressing", "Term too short"}:            schema.StatusLost,
	{"Not Progressing", "Loan amount too low"}:       schema.StatusLost,

	{"Unreachable", "Wrong details"}: schema.StatusLost,

	{"Closed", "Duplicate"}:      schema.StatusLost,
	{"Closed", "Do not contact"}: schema.StatusLost,
	{"Closed", "Unqualified"}:    schema.StatusDeclined, // Bizcap turned the lead down

	// Bank statements are in and a deal is open: the deal's status (loans
	// table) tells how far it went.
	{"Converted", "Banks In"}: schema.StatusApplication,
}

// DealStatusMap maps every documented deal status to the canonical status
// (for a documented status with an undocumented sub-status).
var DealStatusMap = map[string]string{
	"Application Received":     schema.StatusApplication,
	"In Progress":              schema.StatusApplication,
	"Additional Info Required": schema.StatusApplication,
	"Approved":                 schema.StatusApproved,
	"Contract Requested":       schema.StatusApproved,
	"Contract Draft":           schema.StatusApproved,
	"Contracts Sent":           schema.StatusApproved,
	"Pending Settlement":       schema.StatusApproved,
	"Settled":                  schema.StatusFunded,
	"Withdrawn":                schema.StatusLost,
	"On Hold":                  schema.StatusApplication,
	"Declined":                 schema.StatusDeclined,
}

// DealSubStatusMap maps every documented deal status / sub-status pair. The
// doc has two deal lists (the portal guide's "Deal Status" table and the
// API's "Possible Values") that spell some sub-statuses differently; both
// spellings are here.
var DealSubStatusMap = map[StatusPair]string{}

// dealSubStatuses are the documented sub-statuses of each deal status, both
// lists of the doc merged, every spelling kept.
var dealSubStatuses = map[string][]string{
	"Application Received":     {"Banks In"},
	"In Progress":              {"Under Review", "Scrubbing", "Scrubbing Complete", "Submitted to Credit"},
	"Additional Info Required": {"Pending info - with customer", "Pending info - with ISO", "Pending info"},
	"Approved":                 {"Pending Stips", "Pending Presentation", "Offer Made", "With ISO"},
	"Contract Requested":       {"Contract Requested", "Contract Pending Info"},
	"Contract Draft": {"Contract Draft", "Contact Drafting", "Contract Drafting", "Contract Drafted",
		"Contract Draft - Pending info", "Contract Draft - Pending Info", "Pre-Send Review"},
	"Contracts Sent": {"Contract Sent", "Sent by SS", "Sent by DS", "DS Contract Viewed", "No Response"},
	"Pending Settlement": {"Contract Signed", "Pre-Final Review", "Pre-Final Review - Pending Info", "Final Review",
		"Final Review Working", "Final Review - Pending Info", "Pending Funding Call",
		"Pending Funding Call - Awaiting Stips", "Funding Call Complete", "Funding Call Complete - Awaiting Stips",
		"Funding Waiting Approval"},
	"Settled": {"Performing", "Not performing", "Defaulted", "Closed"},
	"Withdrawn": {"Term too short", "Cost", "No longer Required", "Loan Amount Too Low", "Got another loan facility",
		"Not Ready", "No reason provided"},
	"On Hold": {"On Hold", "On Hold - Credit", "On Hold - Customer"},
	"Declined": {"Time in business too short", "Revenue too low", "Serviceability", "Credit history", "Credit History",
		"Bank Statement conduct", "Bank statement conduct", "ATO debt", "Other debts", "Not a business",
		"High risk industry", "Prohibited industry", "Insufficient Documentation", "Integrity of applicants",
		"Has competitor loan", "Rejected By Credit", "Customer Declined"},
}

func init() {
	for status, subs := range dealSubStatuses {
		for _, sub := range subs {
			DealSubStatusMap[StatusPair{status, sub}] = DealStatusMap[status]
		}
	}
	// The customer, not Bizcap, said no.
	DealSubStatusMap[StatusPair{"Declined", "Customer Declined"}] = schema.StatusLost
}

// DeclineReasons are the documented reasons a deal is declined (the
// Declined sub-statuses): omDeclineReasons is checked against them.
var DeclineReasons = set(dealSubStatuses["Declined"]...)

// Unknown statuses land on the earliest safe stage, never funded, approved
// or declined; the raw value stays in vendor_status.
const (
	UnknownLeadStatus = schema.StatusNew
	UnknownDealStatus = schema.StatusApplication // a deal exists only once an application is in
)

// ApplicationTypeMap maps loanType (New / Renewal / Add On / Refinance).
var ApplicationTypeMap = map[string]string{
	"New":       "new",
	"Renewal":   "renewal",
	"Add On":    "top_up",
	"Refinance": "refinance",
}

// ProductMap maps omAdvanceType to the canonical product. The doc does not
// enumerate omAdvanceType; these are Bizcap's products (suitableProducts)
// and the names the portal uses for them.
var ProductMap = map[string]string{
	"Business Loan":         "term_loan",
	"LOC":                   "line_of_credit",
	"Line of Credit":        "line_of_credit",
	"2nd Mortgage":          "second_mortgage",
	"Merchant Cash Advance": "merchant_advance",
}

// FrequencyMap maps omCollectionFrequency (not enumerated by the doc) to the
// canonical payment frequency.
var FrequencyMap = map[string]string{
	"Daily":       "daily",
	"Weekly":      "weekly",
	"Fortnightly": "fortnightly",
	"Monthly":     "monthly",
}

// Documented enumerations of lead datapoints, checked on pull (an unknown
// value is counted and kept) and on push (an unknown value is a reject).
var (
	CallClientOrBrokerValues = []string{"Call Client", "Call Broker"}
	CitizenshipStatuses      = []string{"Permanent Resident", "Temporary Resident", "Citizen"}
	YesNo                    = []string{"Yes", "No"}
	LoanPurposes             = []string{"Equipment Purchase", "Inventory / Stock Purchase", "Expansion & Growth",
		"Working Capital / Cashflow", "Paying off a Business Debt", "Renovation", "Other"}
	SuitableProducts = []string{"LOC", "2nd Mortgage", "Business Loan"}
	LoanTypes        = []string{"New", "Renewal", "Add On", "Refinance"}
	AttachmentTypes  = []string{"Bank Statements", "Proof of Identity or ID", "Image"}
	// LeadSources: the doc shows "API" and names the portal's "Submit a
	// Lead" button and the Data Center's bulk upload.
	LeadSources = []string{"API", "Partner Portal", "Bulk Upload"}
)

var suitableProducts = set(SuitableProducts...)

// leadEnums are the lead datapoints with a documented enumeration.
var leadEnums = map[string]map[string]bool{
	"callClientOrBroker": set(CallClientOrBrokerValues...),
	"citizenshipStatus":  set(CitizenshipStatuses...),
	"homeOwner":          set(YesNo...),
	"soleDirector":       set(YesNo...),
	"loanPurpose":        set(LoanPurposes...),
	"loanType":           set(LoanTypes...),
	"leadSource":         set(LeadSources...),
}

func set(vals ...string) map[string]bool {
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[v] = true
	}
	return m
}

// BusinessNumbers are the business number datapoints, in the order one is
// chosen for business_number, with their business_number_type.
var BusinessNumbers = []struct{ Field, Type string }{
	{"abn", "abn"}, {"acn", "acn"}, {"nzbn", "nzbn"}, {"crn", "crn"}, {"uen", "uen"},
}

// AddressFields are the four address objects, in the order one is chosen
// for the canonical address columns: a business lender's lead is where the
// business is.
var AddressFields = []string{"businessAddress", "tradingAddress", "physicalAddress", "residentialAddress"}

// leadCanonical are the lead datapoints whose value is a canonical column;
// every other datapoint goes to attributes. A canonical datapoint whose
// value cannot be read is kept in attributes too.
var leadCanonical = set("status", "subStatus", "partnerLeadReferenceId", "firstName", "lastName", "email", "phone",
	"dateOfBirth", "companyName", "industry", "averageMonthlyTurnover", "amountRequested", "loanPurpose",
	"leadSource")

var dealCanonical = set("status", "loanType", "omPrincipalAmount", "omPaybackAmount", "omTermDays",
	"omCollectionFrequency", "omAdvanceType")

// fields is a record's "fields" object, kept raw.
type fields map[string]json.RawMessage

// str returns a datapoint as text: a string as is, a number or boolean as
// written, "" for null, missing, objects and arrays.
func (f fields) str(name string) string {
	raw := bytes.TrimSpace(f[name])
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		return strings.TrimSpace(s)
	case '{', '[', 'n':
		return ""
	}
	return string(raw)
}

func (f fields) list(name string) []string {
	var out []string
	if json.Unmarshal(f[name], &out) != nil {
		return nil
	}
	return out
}

func (f fields) obj(name string) fields {
	var out fields
	if json.Unmarshal(f[name], &out) != nil {
		return nil
	}
	return out
}

// clean decodes a raw JSON value for attributes, without empty parts (null,
// "", [], {}); numbers keep their text. ok is false when nothing is left.
func clean(raw json.RawMessage) (any, bool) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return string(raw), true
	}
	return prune(v)
}

func prune(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case string:
		return x, x != ""
	case []any:
		out := x[:0]
		for _, e := range x {
			if p, ok := prune(e); ok {
				out = append(out, p)
			}
		}
		return out, len(out) > 0
	case map[string]any:
		for k, e := range x {
			if p, ok := prune(e); ok {
				x[k] = p
			} else {
				delete(x, k)
			}
		}
		return x, len(x) > 0
	}
	return v, true
}

// normalizer turns Bizmate records into canonical rows.
type normalizer struct {
	cfg     *Config
	unknown *schema.Unknowns
}

// marketOf is a record's market: its currency, the phone region for its
// numbers without a country code, and what told it.
type marketOf struct {
	currency, phoneRegion, by string
}

// businessNumberMarkets are the markets a business number belongs to.
var businessNumberMarkets = map[string]string{"abn": "AU", "acn": "AU", "nzbn": "NZ", "crn": "UK", "uen": "SG"}

// market decides a record's market. An account's leads can be AU, NZ and UK
// leads at once, so the lead says it when it can: its business number
// (NZBN is New Zealand's), the country of its addresses, or the country code
// of its phone. Then its broker's market (broker_regions), then the
// account's region.
func (n *normalizer) market(f fields) marketOf {
	of := func(region, by string) marketOf {
		m := Regions[region]
		return marketOf{currency: m.Currency, phoneRegion: m.Country, by: by}
	}
	for _, bn := range BusinessNumbers {
		if f.str(bn.Field) != "" {
			return of(businessNumberMarkets[bn.Type], bn.Field)
		}
	}
	for _, name := range AddressFields {
		if c, ok := normalize.Country(f.obj(name).str("country")); ok {
			if _, known := Regions[c]; known {
				return of(c, name+".country")
			}
		}
	}
	for _, name := range []string{"phone", "secondaryPhone"} {
		if p, ok := normalize.Phone(f.str(name), ""); ok {
			if n, err := phonenumbers.Parse(p, ""); err == nil {
				if r := phonenumbers.GetRegionCodeForNumber(n); r != "" {
					if _, known := Regions[r]; known {
						return of(r, name)
					}
				}
			}
		}
	}
	b := f.obj("broker")
	if r := n.cfg.brokerRegion(b.str("id"), b.str("name")); r != "" {
		return of(r, "broker_regions")
	}
	return marketOf{currency: n.cfg.Currency, phoneRegion: n.cfg.PhoneRegion, by: "region"}
}

func (n *normalizer) enum(entity, name, value string) {
	if value == "" {
		return
	}
	if known, ok := leadEnums[name]; ok && !known[value] {
		n.unknown.Add(Vendor, entity+"."+name, value)
	}
}

// status maps a status pair: a documented pair by its own rule, a
// documented status with an unknown sub-status by the status's rule (or,
// with unknown_sub_status: safe, to the safe default), an unknown status to
// the safe default. Unknown values are counted.
func (n *normalizer) status(entity string, pairs map[StatusPair]string, statuses map[string]string, unknown, status, sub string) string {
	if s, ok := pairs[StatusPair{status, sub}]; ok {
		return s
	}
	// Written another way (case, separators, "Canceled"): the same status.
	if s, ok := foldedPairs[entity][StatusPair{normalize.StatusKey(status), normalize.StatusKey(sub)}]; ok {
		return s
	}
	if s, ok := foldedStatuses[entity].Lookup(status); ok {
		if sub == "" {
			return s
		}
		n.unknown.Add(Vendor, entity+".subStatus", status+" / "+sub)
		if n.cfg == nil || n.cfg.UnknownSubStatus != "safe" {
			return s
		}
		return unknown
	}
	if status != "" {
		n.unknown.Add(Vendor, entity+".status", status)
	}
	return unknown
}

// foldedPairs and foldedStatuses are the status maps by normalize.StatusKey,
// per entity (lead, deal).
// They are built in init, after the init that fills DealSubStatusMap.
var (
	foldedPairs    map[string]map[StatusPair]string
	foldedStatuses map[string]normalize.StatusTable
)

func init() {
	foldedPairs = map[string]map[StatusPair]string{"lead": foldPairs(LeadSubStatusMap), "deal": foldPairs(DealSubStatusMap)}
	foldedStatuses = map[string]normalize.StatusTable{
		"lead": normalize.NewStatusTable(LeadStatusMap), "deal": normalize.NewStatusTable(DealStatusMap),
	}
}

func foldPairs(m map[StatusPair]string) map[StatusPair]string {
	out := make(map[StatusPair]string, len(m))
	for p, s := range m {
		out[StatusPair{normalize.StatusKey(p.Status), normalize.StatusKey(p.SubStatus)}] = s
	}
	return out
}

// LeadStatus maps a lead's status and sub-status to the canonical status.
func LeadStatus(status, sub string) string {
	return (&normalizer{}).status("lead", LeadSubStatusMap, LeadStatusMap, UnknownLeadStatus, status, sub)
}

// DealStatus maps a deal's status and sub-status to the canonical status.
func DealStatus(status, sub string) string {
	return (&normalizer{}).status("deal", DealSubStatusMap, DealStatusMap, UnknownDealStatus, status, sub)
}

func ts(raw string) schema.Timestamp {
	t, _ := normalize.Timestamp(raw, time.UTC)
	return t
}

func money(raw string) (schema.Money, bool) {
	if raw == "" {
		return schema.Money{}, true
	}
	m, err := schema.ParseMoney(raw)
	if err != nil {
		return schema.Money{}, false
	}
	return m, true
}

// slug turns a vendor reason into a stable snake_case value
// ("Got another loan facility" → "got_another_loan_facility").
func slug(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
			continue
		}
		under = true
	}
	return b.String()
}

func (n *normalizer) lead(w *record) schema.Lead {
	f := w.Fields
	mk := n.market(f)
	currency, phoneRegion := mk.currency, mk.phoneRegion
	status, sub := f.str("status"), f.str("subStatus")
	l := schema.Lead{
		LeadUID:         schema.UID(Vendor, w.ID),
		VendorLeadID:    w.ID,
		PartnerRef:      f.str("partnerLeadReferenceId"),
		Status:          n.status("lead", LeadSubStatusMap, LeadStatusMap, UnknownLeadStatus, status, sub),
		VendorStatus:    status,
		VendorSubStatus: sub,
		FirstName:       f.str("firstName"),
		LastName:        f.str("lastName"),
		CompanyName:     f.str("companyName"),
		Industry:        f.str("industry"),
		LoanPurpose:     f.str("loanPurpose"),
		Source:          f.str("leadSource"),
		Broker:          f.obj("broker").str("name"),
		Currency:        currency,
		CreatedAt:       ts(w.CreatedAt),
		UpdatedAt:       ts(w.UpdatedAt),
		Common:          schema.Common{Vendor: Vendor},
	}
	if l.Status == schema.StatusLost || l.Status == schema.StatusDeclined {
		l.LostReason = slug(sub)
	}
	attrs := normalize.Attributes{}
	keepRaw := func(name string) {
		if v, ok := clean(f[name]); ok {
			attrs.Set(name, v)
		}
	}
	for name, raw := range f {
		if leadCanonical[name] {
			continue
		}
		if v, ok := clean(raw); ok {
			attrs.Set(name, v)
		}
	}
	attrs.Set("createdBy", w.CreatedBy)
	attrs.Set("updatedBy", w.UpdatedBy)
	attrs.Set("market_from", mk.by)

	for _, name := range []string{"callClientOrBroker", "citizenshipStatus", "homeOwner", "soleDirector", "loanType"} {
		n.enum("lead", name, f.str(name))
	}
	n.enum("lead", "loanPurpose", l.LoanPurpose)
	n.enum("lead", "leadSource", l.Source)
	for _, p := range f.list("suitableProducts") {
		if !suitableProducts[p] {
			n.unknown.Add(Vendor, "lead.suitableProducts", p)
		}
	}

	if e, ok := normalize.Email(f.str("email")); ok {
		l.Email = e
	} else {
		keepRaw("email")
	}
	// A number not valid for its region stays raw in attributes (phone
	// among them) and is counted.
	if p, ok := normalize.CountedPhone(n.unknown, Vendor, "lead.phone", f.str("phone"), phoneRegion); ok {
		l.Phone = p
	} else {
		keepRaw("phone")
	}
	if p, ok := normalize.CountedPhone(n.unknown, Vendor, "lead.secondaryPhone", f.str("secondaryPhone"), phoneRegion); ok {
		attrs.Set("secondaryPhone", p)
	}
	if p, ok := normalize.CountedPhone(n.unknown, Vendor, "lead.brokerContactNumber", f.str("brokerContactNumber"), phoneRegion); ok {
		attrs.Set("brokerContactNumber", p)
	}
	if d, ok := normalize.Date(f.str("dateOfBirth")); ok {
		l.DateOfBirth = d
		l.BirthYear = schema.IntOf(int64(d.Time().Year()))
	} else {
		keepRaw("dateOfBirth")
	}
	var ok bool
	if l.MonthlyTurnover, ok = money(f.str("averageMonthlyTurnover")); !ok {
		keepRaw("averageMonthlyTurnover")
	}
	if l.AmountRequested, ok = money(f.str("amountRequested")); !ok {
		keepRaw("amountRequested")
	}

	// Business number: the first one present; all stay in attributes.
	for _, bn := range BusinessNumbers {
		raw := f.str(bn.Field)
		if raw == "" {
			continue
		}
		num, note := businessNumber(bn.Type, raw)
		l.BusinessNumber, l.BusinessNumberType = num, bn.Type
		if note != "" {
			attrs.Set("business_number_note", note)
		}
		break
	}

	// Address: the first of the four objects with a place in it.
	for _, name := range AddressFields {
		a := f.obj(name)
		if a.str("city") == "" && a.str("state") == "" && a.str("zipCode") == "" && a.str("country") == "" {
			continue
		}
		l.City, l.State, l.PostalCode = a.str("city"), a.str("state"), a.str("zipCode")
		if c, ok := normalize.Country(a.str("country")); ok {
			l.Country = c
		} else if a.str("country") != "" {
			attrs.Set("country_note", "unrecognised country "+a.str("country"))
		}
		attrs.Set("address_source", name)
		break
	}
	if l.Country == "" { // the chosen address has no country: another may
		for _, name := range AddressFields {
			if c, ok := normalize.Country(f.obj(name).str("country")); ok {
				l.Country = c
				break
			}
		}
	}
	l.Attributes = attrs.JSON()
	return l
}

// businessNumber cleans a business number (spaces and dots out, letters upper
// case) and notes a number that does not have its documented shape.
func businessNumber(typ, raw string) (string, string) {
	var b strings.Builder
	for _, r := range strings.ToUpper(raw) {
		if (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		}
	}
	num := b.String()
	if msg := checkBusinessNumber(typ, num); msg != "" {
		return num, typ + " " + msg
	}
	return num, ""
}

// checkBusinessNumber returns what is wrong with a cleaned business number
// ("" when it is well formed): ABN 11 digits with valid check digits, ACN 9
// digits with a valid check digit, NZBN 13 digits. CRN and UEN are only
// checked for length.
func checkBusinessNumber(typ, num string) string {
	digits := strings.Trim(num, "0123456789") == ""
	switch typ {
	case "abn":
		if len(num) != 11 || !digits {
			return "must be 11 digits"
		}
		weights := []int{10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19}
		sum := 0
		for i := range 11 {
			d := int(num[i] - '0')
			if i == 0 {
				d--
			}
			sum += d * weights[i]
		}
		if sum%89 != 0 {
			return "check digits are wrong"
		}
	case "acn":
		if len(num) != 9 || !digits {
			return "must be 9 digits"
		}
		sum := 0
		for i := range 8 {
			sum += int(num[i]-'0') * (8 - i)
		}
		if (10-sum%10)%10 != int(num[8]-'0') {
			return "check digit is wrong"
		}
	case "nzbn":
		if len(num) != 13 || !digits {
			return "must be 13 digits"
		}
	case "crn":
		if len(num) != 8 {
			return "must be 8 characters"
		}
	case "uen":
		if len(num) < 9 || len(num) > 10 {
			return "must be 9 or 10 characters"
		}
	}
	return ""
}

// link is how a deal was tied to its lead.
type link struct {
	leadID string
	by     string
}

// leadIndex ties deals to leads: a lead's convertedDealId names its deal;
// a later deal of the same customer (a renewal, an add-on) carries only the
// lead's partnerLeadReferenceId. It holds two ids per lead, not the leads.
type leadIndex struct {
	byDeal map[string]string
	byRef  map[string]refLead
	market map[string]marketOf // lead id → its market, for the currency of its deals
}

type refLead struct {
	id        string
	converted bool
	dup       int // other leads with the same reference
}

func newLeadIndex() *leadIndex {
	return &leadIndex{byDeal: map[string]string{}, byRef: map[string]refLead{}, market: map[string]marketOf{}}
}

// add indexes a lead. Leads come oldest first; for a reference shared by
// several leads (a partner sent one twice), a converted lead wins over one
// that is not, and then the oldest.
func (x *leadIndex) add(w *record) {
	deal := strings.ToLower(w.Fields.str("convertedDealId"))
	if deal != "" {
		x.byDeal[deal] = w.ID
	}
	ref := w.Fields.str("partnerLeadReferenceId")
	if ref == "" {
		return
	}
	cur, seen := x.byRef[ref]
	switch {
	case !seen:
		x.byRef[ref] = refLead{id: w.ID, converted: deal != ""}
	case deal != "" && !cur.converted:
		x.byRef[ref] = refLead{id: w.ID, converted: true, dup: cur.dup + 1}
	default:
		cur.dup++
		x.byRef[ref] = cur
	}
}

func (x *leadIndex) find(dealID, ref string) link {
	if id, ok := x.byDeal[strings.ToLower(dealID)]; ok {
		return link{id, "convertedDealId"}
	}
	if r, ok := x.byRef[ref]; ok && ref != "" {
		if r.dup > 0 {
			return link{r.id, "partnerLeadReferenceId (shared by several leads)"}
		}
		return link{r.id, "partnerLeadReferenceId"}
	}
	return link{}
}

func (n *normalizer) loan(w *record, idx *leadIndex) schema.Loan {
	f := w.Fields
	mk := n.market(f) // a deal shows only its broker: the lead, when linked, says more
	status, sub := f.str("status"), f.str("subStatus")
	l := schema.Loan{
		LoanUID:      schema.UID(Vendor, w.ID),
		VendorLoanID: w.ID,
		Status:       n.status("deal", DealSubStatusMap, DealStatusMap, UnknownDealStatus, status, sub),
		VendorStatus: status,
		CreatedAt:    ts(w.CreatedAt),
		UpdatedAt:    ts(w.UpdatedAt),
		Common:       schema.Common{Vendor: Vendor},
	}
	attrs := normalize.Attributes{}
	keepRaw := func(name string) {
		if v, ok := clean(f[name]); ok {
			attrs.Set(name, v)
		}
	}
	for name, raw := range f {
		if dealCanonical[name] {
			continue
		}
		if v, ok := clean(raw); ok {
			attrs.Set(name, v)
		}
	}
	attrs.Set("createdBy", w.CreatedBy)
	attrs.Set("updatedBy", w.UpdatedBy)

	if idx != nil {
		lk := idx.find(w.ID, f.str("partnerLeadReferenceId"))
		l.LeadUID = schema.UID(Vendor, lk.leadID)
		attrs.Set("lead_link", lk.by)
		if lm, ok := idx.market[lk.leadID]; ok && lk.leadID != "" {
			mk = lm
			mk.by = "lead " + lm.by
		}
	}
	l.Currency = mk.currency
	attrs.Set("market_from", mk.by)

	if lt := f.str("loanType"); lt != "" {
		if a, ok := ApplicationTypeMap[lt]; ok {
			l.ApplicationType = a
		} else {
			n.unknown.Add(Vendor, "deal.loanType", lt)
			l.ApplicationType = "other"
			keepRaw("loanType")
		}
	}
	if at := f.str("omAdvanceType"); at != "" {
		if p, ok := ProductMap[at]; ok {
			l.Product = p
		} else {
			n.unknown.Add(Vendor, "deal.omAdvanceType", at)
			l.Product = "other"
		}
		attrs.Set("omAdvanceType", at)
	}
	if fr := f.str("omCollectionFrequency"); fr != "" {
		if p, ok := FrequencyMap[fr]; ok {
			l.PaymentFrequency = p
		} else {
			n.unknown.Add(Vendor, "deal.omCollectionFrequency", fr)
			keepRaw("omCollectionFrequency")
		}
	}
	if v, err := parseInt(f.str("omTermDays")); err == nil {
		l.TermCount, l.TermUnit = schema.IntOf(v), "day"
	} else {
		keepRaw("omTermDays")
	}
	var ok bool
	if l.Principal, ok = money(f.str("omPrincipalAmount")); !ok {
		keepRaw("omPrincipalAmount")
	}
	if l.TotalRepayable, ok = money(f.str("omPaybackAmount")); !ok {
		keepRaw("omPaybackAmount")
	}
	if raw := f.str("omDateFunded"); raw != "" {
		// A date (the sandbox's "2026-05-03") is funded_at at midnight UTC,
		// so DATE(funded_at) is the date Bizcap wrote; a time is kept.
		if t, ok := normalize.Timestamp(raw, time.UTC); ok {
			l.FundedAt = t
		}
	}
	if raw := f.str("omDeclineReasons"); raw != "" {
		var reasons []string
		for _, r := range strings.Split(raw, ";") {
			if r = strings.TrimSpace(r); r != "" {
				reasons = append(reasons, r)
				if !DeclineReasons[r] {
					n.unknown.Add(Vendor, "deal.omDeclineReasons", r)
				}
			}
		}
		attrs.Set("decline_reasons", reasons)
	}
	n.enum("deal", "callClientOrBroker", f.str("callClientOrBroker"))
	l.Attributes = attrs.JSON()
	return l
}

// parseInt reads a whole number written as a JSON number or string ("90",
// "90.0").
func parseInt(s string) (int64, error) {
	m, err := schema.ParseMoney(s)
	if err != nil {
		return 0, err
	}
	if !m.Valid || m.Cents%100 != 0 {
		return 0, schema.ErrDecimal
	}
	return m.Cents / 100, nil
}
