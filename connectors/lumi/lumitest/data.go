package lumitest

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// DefaultSize is the number of generated leads when Options.Size is 0.
const DefaultSize = 300

// MinCoverageSize is the smallest Options.Size whose dataset is guaranteed to
// carry every documented enumeration value.
const MinCoverageSize = 40

var anchor = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Anchor is the fixed instant the generated dataset is anchored to: every
// generated timestamp lies in the ~180 days before it.
func Anchor() time.Time { return anchor }

// BrokerName is the submitted_by of leads created through the API (and of
// most generated leads); "Alex Nguyen" and "Jordan Lee" are other brokers of
// the same broker group.
const BrokerName = "Sandbox Broker"

// idGen makes MongoDB-style ObjectIDs: 4 bytes of seconds, 5 bytes constant
// per server ("machine"), 3 bytes counter. Ids made later in the same second
// sort after earlier ones, as real ObjectIDs do.
type idGen struct {
	machine [5]byte
	counter uint32
}

func newIDGen(r *rand.Rand) *idGen {
	g := &idGen{counter: uint32(r.IntN(1 << 20))}
	x := r.Uint64()
	for i := range g.machine {
		g.machine[i] = byte(x >> (8 * i))
	}
	return g
}

func (g *idGen) next(t time.Time) string {
	var b [12]byte
	s := uint32(t.Unix())
	b[0], b[1], b[2], b[3] = byte(s>>24), byte(s>>16), byte(s>>8), byte(s)
	copy(b[4:9], g.machine[:])
	g.counter++
	c := g.counter & 0xffffff
	b[9], b[10], b[11] = byte(c>>16), byte(c>>8), byte(c)
	return hex.EncodeToString(b[:])
}

var (
	aest = time.FixedZone("AEST", 10*3600)
	aedt = time.FixedZone("AEDT", 11*3600)
)

// sydney returns t (truncated to the second) in Sydney local time. Daylight
// saving runs from the first Sunday of October 02:00 AEST to the first
// Sunday of April 03:00 AEDT (both 16:00 UTC on the Saturday).
func sydney(t time.Time) time.Time {
	u := t.UTC().Truncate(time.Second)
	y := u.Year()
	end := firstSunday(y, time.April).Add(-8 * time.Hour)
	start := firstSunday(y, time.October).Add(-8 * time.Hour)
	if u.Before(end) || !u.Before(start) {
		return u.In(aedt)
	}
	return u.In(aest)
}

func firstSunday(y int, m time.Month) time.Time {
	d := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	for d.Weekday() != time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

func eventTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

type leadSpec struct {
	status  string
	lost    string
	decline []string
	appType string
	product string
}

// coverageSpecs are the first leads generated: together they carry every
// status, lost reason, credit decline reason, application type and loan
// product type. Statuses come first so that even tiny datasets have them.
func coverageSpecs() []leadSpec {
	var s []leadSpec
	for _, st := range statuses {
		sp := leadSpec{status: st}
		switch st {
		case "FUNDED":
			sp.appType, sp.product = "REGULAR", "DYNAMIC_TERM_LOAN"
		case "CLOSED":
			sp.lost = "client_unresponsive"
		case "DECLINED":
			sp.lost, sp.decline = "credit_declined", creditDeclineReasons[0:3]
		}
		s = append(s, sp)
	}
	for _, at := range applicationTypes {
		for _, pt := range loanProductTypes {
			if at == "REGULAR" && pt == "DYNAMIC_TERM_LOAN" {
				continue
			}
			s = append(s, leadSpec{status: "FUNDED", appType: at, product: pt})
		}
	}
	for _, lr := range lostReasons {
		if lr == "client_unresponsive" || lr == "credit_declined" {
			continue
		}
		st := "CLOSED"
		if declinedLostReasons[lr] {
			st = "DECLINED"
		}
		s = append(s, leadSpec{status: st, lost: lr})
	}
	for i := 3; i < len(creditDeclineReasons); i += 3 {
		s = append(s, leadSpec{status: "DECLINED", lost: "credit_declined",
			decline: creditDeclineReasons[i:min(i+3, len(creditDeclineReasons))]})
	}
	return s
}

var statusWeights = []struct {
	s string
	w int
}{
	{"SUBMITTED", 4}, {"WAITING_FOR_CALL", 6}, {"CALL_ATTEMPTED", 4}, {"MISSED_CALL", 5},
	{"PROCESSING", 8}, {"IDENTITY_VERIFICATION", 4}, {"CREDIT_WAITING_DETAILS", 4},
	{"AWAITING_CREDIT_APPROVAL", 5}, {"AWAITING_LOAN_DOCUMENTS", 4}, {"AWAITING_DISBURSEMENT", 3},
	{"FUNDED", 20}, {"DECLINED", 12}, {"CLOSED", 14}, {"EXPIRED", 8},
}

// mainPath is the usual progression of a lead that gets funded.
var mainPath = []string{
	"SUBMITTED", "WAITING_FOR_CALL", "CALL_ATTEMPTED", "MISSED_CALL", "PROCESSING",
	"IDENTITY_VERIFICATION", "CREDIT_WAITING_DETAILS", "AWAITING_CREDIT_APPROVAL",
	"AWAITING_LOAN_DOCUMENTS", "AWAITING_DISBURSEMENT", "FUNDED",
}

var optionalSteps = map[string]bool{"CALL_ATTEMPTED": true, "MISSED_CALL": true, "CREDIT_WAITING_DETAILS": true}

// creditStage statuses mean the application has been submitted to credit.
var creditStage = map[string]bool{
	"AWAITING_CREDIT_APPROVAL": true, "AWAITING_LOAN_DOCUMENTS": true,
	"AWAITING_DISBURSEMENT": true, "FUNDED": true,
}

type generator struct {
	r   *rand.Rand
	ids *idGen
	// offsets make the cycled fields start at a seed-dependent value.
	off [8]int
}

func (g *generator) pick(list []string) string { return list[g.r.IntN(len(list))] }
func (g *generator) chance(p float64) bool     { return g.r.Float64() < p }
func (g *generator) between(lo, hi int) int    { return lo + g.r.IntN(hi-lo+1) }
func (g *generator) dur(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.r.Int64N(int64(hi-lo)+1))
}

func (g *generator) randomSpec() leadSpec {
	total := 0
	for _, sw := range statusWeights {
		total += sw.w
	}
	n := g.r.IntN(total)
	st := ""
	for _, sw := range statusWeights {
		if n < sw.w {
			st = sw.s
			break
		}
		n -= sw.w
	}
	sp := leadSpec{status: st}
	switch st {
	case "FUNDED":
		switch x := g.r.IntN(10); {
		case x < 7:
			sp.appType = "REGULAR"
		case x < 9:
			sp.appType = "REFINANCE_INTERNAL"
		default:
			sp.appType = "REFINANCE_EXTERNAL"
		}
	case "DECLINED":
		if g.chance(0.6) {
			sp.lost = "credit_declined"
			k := g.between(1, 3)
			perm := g.r.Perm(len(creditDeclineReasons))
			for _, p := range perm[:k] {
				sp.decline = append(sp.decline, creditDeclineReasons[p])
			}
		} else {
			var opts []string
			for _, lr := range lostReasons {
				if declinedLostReasons[lr] && lr != "credit_declined" {
					opts = append(opts, lr)
				}
			}
			sp.lost = g.pick(opts)
		}
	case "CLOSED":
		var opts []string
		for _, lr := range lostReasons {
			if !declinedLostReasons[lr] {
				opts = append(opts, lr)
			}
		}
		sp.lost = g.pick(opts)
	}
	return sp
}

// statusPath is the status history of a lead whose current status is
// sp.status; its last element is always sp.status.
func (g *generator) statusPath(final string, sp leadSpec) []string {
	stopAt := func(target string) []string {
		var p []string
		for _, s := range mainPath {
			if s == target {
				p = append(p, s)
				break
			}
			if optionalSteps[s] && !g.chance(0.5) {
				continue
			}
			p = append(p, s)
			if s == "MISSED_CALL" && g.chance(0.3) {
				p = append(p, "WAITING_FOR_CALL") // the doc shows repeated statuses
			}
		}
		return p
	}
	idx := func(s string) int { return slices.Index(mainPath, s) }
	switch final {
	case "DECLINED":
		if sp.lost == "credit_declined" {
			return append(stopAt("AWAITING_CREDIT_APPROVAL"), final)
		}
		return append(stopAt(mainPath[g.between(idx("WAITING_FOR_CALL"), idx("AWAITING_CREDIT_APPROVAL"))]), final)
	case "CLOSED":
		return append(stopAt(mainPath[g.between(0, idx("AWAITING_LOAN_DOCUMENTS"))]), final)
	case "EXPIRED":
		return append(stopAt(mainPath[g.between(0, idx("PROCESSING"))]), final)
	}
	if idx(final) < 0 { // an unknown status
		return append(stopAt("PROCESSING"), final)
	}
	p := stopAt(final)
	if len(p) > 1 && g.chance(0.05) {
		p = append(p, final) // the same status reported twice
	}
	return p
}

type item struct {
	typ, text, dir string
	status         bool
	gap            time.Duration
}

// timeline returns the events of a lead in order, with gaps, for path.
func (g *generator) timeline(path []string, updatedType func(last bool) bool) []item {
	var it []item
	st := func(s string, gap time.Duration, last bool) {
		typ := "STATUS_CHANGE"
		if updatedType(last) {
			typ = "STATUS_UPDATED"
		}
		it = append(it, item{typ: typ, text: s, status: true, gap: gap})
	}
	ex := func(typ, text, dir string) {
		it = append(it, item{typ: typ, text: text, dir: dir, gap: g.dur(time.Minute, 6*time.Hour)})
	}
	for k, s := range path {
		last := k == len(path)-1
		gap := time.Duration(0)
		if k > 0 {
			gap = g.dur(10*time.Minute, 48*time.Hour)
			if s == "EXPIRED" {
				gap = g.dur(14*24*time.Hour, 16*24*time.Hour)
			}
		}
		st(s, gap, last)
		switch s {
		case "SUBMITTED":
			if g.chance(0.8) {
				ex("EMAIL", "", "OUTBOUND")
			}
		case "WAITING_FOR_CALL":
			if !last {
				ex("CALL", "", "OUTBOUND")
			}
			if g.chance(0.3) {
				ex("CALL", "", "INBOUND")
			}
		case "CALL_ATTEMPTED":
			ex("CALL", "", "OUTBOUND")
		case "MISSED_CALL":
			if g.chance(0.5) {
				ex("EMAIL", "", "OUTBOUND")
			}
			if g.chance(0.3) {
				ex("EMAIL", "", "INBOUND")
			}
		case "PROCESSING":
			ex("DOCUMENT_CAPTURE", "SENT", "")
			if !last {
				ex("DOCUMENT_CAPTURE", "COMPLETED", "")
			}
		case "IDENTITY_VERIFICATION":
			if g.chance(0.3) {
				ex("EMAIL", "", "INBOUND")
			}
		case "CREDIT_WAITING_DETAILS":
			ex("EMAIL", "", "OUTBOUND")
			ex("EMAIL", "", "INBOUND")
		case "AWAITING_LOAN_DOCUMENTS":
			ex("LOAN_DOCUMENTS", "SENT", "")
			if !last {
				ex("LOAN_DOCUMENTS", "SIGNED", "")
			}
		case "FUNDED":
			ex("EMAIL", "", "OUTBOUND")
			ex("CALL", "", "INBOUND")
		}
	}
	return it
}

var (
	firstNames = []string{"John", "Olivia", "Liam", "Charlotte", "Noah", "Amelia", "Jack", "Isla", "William",
		"Mia", "Oliver", "Ava", "James", "Grace", "Thomas", "Chloe", "Lachlan", "Zoe", "Ethan", "Ruby",
		"Mohammed", "Priya", "Wei", "Mai", "Lucas", "Sofia", "Hamish", "Aisha", "Ben", "Harper"}
	lastNames = []string{"Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Johnson",
		"Martin", "White", "Anderson", "Walker", "Thompson", "Kelly", "Singh", "Chen", "Ryan", "Harris",
		"Lee", "King", "O'Brien", "Patel", "Murphy", "Campbell", "Mitchell", "Van der Berg"}
	emailDomains = []string{"gmail.com", "outlook.com", "bigpond.com", "icloud.com", "yahoo.com.au",
		"smithfamily.com", "optusnet.com.au"}
	suburbs = []struct{ city, postcode, state string }{
		{"Bondi Junction", "2022", "NSW"}, {"Parramatta", "2150", "NSW"}, {"Newtown", "2042", "NSW"},
		{"Wollongong", "2500", "NSW"}, {"Richmond", "3121", "VIC"}, {"Fitzroy", "3065", "VIC"},
		{"Geelong", "3220", "VIC"}, {"Fortitude Valley", "4006", "QLD"}, {"Southport", "4215", "QLD"},
		{"Fremantle", "6160", "WA"}, {"Subiaco", "6008", "WA"}, {"Glenelg", "5045", "SA"},
		{"Hobart", "7000", "TAS"}, {"Launceston", "7250", "TAS"}, {"Braddon", "2612", "ACT"},
		{"Darwin City", "0800", "NT"}}
	streets = []string{"Sprint Street", "George Street", "Oxford Street", "King Street", "Chapel Street",
		"Brunswick Street", "High Street", "Beach Road", "Main Road", "Victoria Avenue", "Pacific Highway",
		"Smith Street", "Queen Street", "Bay Road"}
	companyHeads = []string{"FLYING SOLO", "Bens", "Harbour", "Southern Cross", "Blue Gum", "Koala",
		"Redback", "Coastal", "Outback", "Metro", "Golden Wattle", "Bright Spark", "Urban", "Eastside"}
	companyTails = []string{"Properties", "Burgers", "Plumbing", "Electrical", "Cafe", "Logistics",
		"Builders", "Dental", "Fitness", "Landscaping", "Motors", "Bakery", "Consulting", "Printing"}
	companySuffix = []string{"", " Pty Ltd", " PTY LTD", " & Co", " Pty. Ltd."}
	usesOfFunds   = []string{"Purchasing new equipment", "Stock for the Christmas period", "Paying the ATO",
		"Fit-out of a second store", "Hiring two apprentices", "Smoothing cash flow", "Marketing campaign",
		"Buying a delivery van", "Refinancing an existing facility", ""}
	brokerNotes = []string{"some notes", "Client prefers email contact", "Seasonal business, strong Q4",
		"Existing customer, looking to top up", "Call after 2pm", "", ""}
	propertyInfo = map[string]string{"yes": "details regarding property", "no": "applicant doesn't have any property",
		"unknown": ""}
)

func slug(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// phone renders a unique mobile number in one of the doc's four formats.
// Every one is a valid AU mobile (040x-043x and 046x, ranges allocated to
// operators); none starts with 049, so tests can use 049x numbers knowing
// they are new.
func phone(i, offset int) string {
	x := (uint64(i)*2654435761 + uint64(offset)) % 50000000
	d := string("01236"[x/10000000]) + fmt.Sprintf("%07d", x%10000000)
	switch i % 4 {
	case 0:
		return "04" + d[0:2] + "-" + d[2:5] + "-" + d[5:8] // 0401-234-567
	case 1:
		return "+614" + d // +61433222111
	case 2:
		return "04" + d // 0412352312
	default:
		return "04 " + d[0:4] + " " + d[4:8] // 04 1234 5678
	}
}

func (g *generator) address(kind int) *Address {
	sb := suburbs[g.r.IntN(len(suburbs))]
	num := fmt.Sprint(g.between(1, 250))
	switch g.r.IntN(6) {
	case 0:
		num = fmt.Sprintf("%d/%s", g.between(1, 40), num)
	case 1:
		num += "A"
	}
	street := streets[g.r.IntN(len(streets))]
	switch kind {
	case 0: // structured, as in the list example
		return &Address{StreetNumber: num, Street: street, City: sb.city, PostalCode: sb.postcode,
			State: sb.state, Country: "Australia"}
	case 1: // single line, as in the details example
		return &Address{Street: fmt.Sprintf("%s %s, %s %s, Australia", num, street, sb.city, sb.state), Country: "AUS"}
	case 2: // structured with an ISO-3 country
		return &Address{StreetNumber: num, Street: street, City: sb.city, PostalCode: sb.postcode,
			State: sb.state, Country: "AUS"}
	case 3:
		return &Address{} // "address": {}
	}
	return nil
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
func round4(f float64) float64 { return math.Round(f*10000) / 10000 }

var commissionPercentages = []float64{2, 2.5, 3, 4, 5, 6, 8, 10}

// fund fills the FUNDED-only fields of l.
func fund(l *Lead, r *rand.Rand, product string) {
	if l.Loan.Amount == 0 {
		l.Loan.Amount = l.Loan.RequestedAmount
	}
	pct := commissionPercentages[r.IntN(len(commissionPercentages))]
	l.CommissionPercentage = fp(pct)
	l.EffectiveCommission = fp(round2(l.Loan.Amount * pct / 100))
	l.AnnualSimpleRate = fp(round4(0.12 + r.Float64()*0.33))
	if product == "" {
		product = "DYNAMIC_TERM_LOAN"
		if l.Loan.PreferredLoanType == "line-of-credit" {
			product = "REVOLVING_CREDIT"
		}
	}
	l.LoanProductType = product
	top := 0.0
	if l.Loan.ApplicationType == "REFINANCE_INTERNAL" {
		top = math.Max(500, math.Round(l.Loan.Amount*(0.2+r.Float64()*0.4)/500)*500)
	}
	l.Loan.TopUpAmount = fp(top)
}

func clearFunded(l *Lead) {
	l.CommissionPercentage, l.EffectiveCommission, l.AnnualSimpleRate = nil, nil, nil
	l.LoanProductType = ""
	l.Loan.TopUpAmount = nil
}

// generate builds the deterministic dataset.
func generate(seed int64, size int) (*idGen, []*Lead, []*Event) {
	r := rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
	g := &generator{r: r, ids: newIDGen(r)}
	for i := range g.off {
		g.off[i] = r.IntN(1000)
	}
	phoneOffset := r.IntN(90000000)
	specs := coverageSpecs()
	var leads []*Lead
	var events []*Event
	for i := 0; i < size; i++ {
		var sp leadSpec
		if i < len(specs) {
			sp = specs[i]
		} else {
			sp = g.randomSpec()
		}
		l, evs := g.lead(i, sp, phoneOffset)
		leads = append(leads, l)
		events = append(events, evs...)
	}
	sortLeads(leads)
	sortEvents(events)
	return g.ids, leads, events
}

func cyc[T any](list []T, i, off int) T { return list[(i+off)%len(list)] }

func (g *generator) lead(i int, sp leadSpec, phoneOffset int) (*Lead, []*Event) {
	// Creation time depends on how far along the lead is: a lead still
	// waiting for a call was submitted days ago, not months.
	maxAge := 180 * 24 * time.Hour
	minAge := 2 * time.Hour
	switch sp.status {
	case "SUBMITTED":
		maxAge = 3 * 24 * time.Hour
	case "WAITING_FOR_CALL", "CALL_ATTEMPTED":
		maxAge = 10 * 24 * time.Hour
	case "MISSED_CALL":
		maxAge = 14 * 24 * time.Hour
	case "PROCESSING", "IDENTITY_VERIFICATION", "CREDIT_WAITING_DETAILS", "AWAITING_CREDIT_APPROVAL",
		"AWAITING_LOAN_DOCUMENTS", "AWAITING_DISBURSEMENT":
		maxAge = 30 * 24 * time.Hour
	case "EXPIRED":
		minAge = 20 * 24 * time.Hour
	case "FUNDED":
		minAge = 3 * 24 * time.Hour
	}
	created := sydney(anchor.Add(-g.dur(minAge, maxAge)))

	first := cyc(firstNames, i, g.off[0]+g.r.IntN(3))
	last := lastNames[g.r.IntN(len(lastNames))]
	emailLast := last
	if g.chance(0.06) {
		last = "" // last_name is optional
	}
	l := &Lead{
		ID:          g.ids.next(created),
		Status:      sp.status,
		LostReason:  sp.lost,
		CreatedAt:   created,
		SubmittedBy: BrokerName,
		BrokerNotes: brokerNotes[g.r.IntN(len(brokerNotes))],
	}
	l.CreditDeclineReasons = append([]string{}, sp.decline...)
	l.ApplicationID = g.ids.next(created)
	switch x := g.r.IntN(20); {
	case x == 0:
		l.SubmittedBy = "Jordan Lee"
	case x < 3:
		l.SubmittedBy = "Alex Nguyen"
	}
	if i%5 == 0 || i%5 == 3 {
		if i%10 == 3 {
			l.ExternalID = fmt.Sprintf("CRM-%05d", i+1)
		} else {
			l.ExternalID = fmt.Sprintf("BRK-%06d", i+1)
		}
	}

	// stakeholder
	s := &l.Stakeholder
	s.FirstName, s.LastName = first, last
	s.Email = fmt.Sprintf("%s.%s%d@%s", slug(first), slug(emailLast), i+1, emailDomains[g.r.IntN(len(emailDomains))])
	if g.chance(0.1) {
		s.Email = strings.ToUpper(s.Email[:1]) + s.Email[1:]
	}
	s.Phone = phone(i, phoneOffset)
	if !g.chance(0.1) {
		dob := time.Date(g.between(1955, 2002), time.Month(g.between(1, 12)), g.between(1, 28), 0, 0, 0, 0, time.UTC)
		s.BirthDate = dob.Format("2006-01-02")
	}
	switch x := g.r.IntN(20); {
	case x < 14:
		s.Address = g.address(0)
	case x < 17:
		s.Address = g.address(1)
	case x < 19:
		s.Address = g.address(2)
	default:
		s.Address = nil
	}
	if !g.chance(0.15) {
		s.DriversLicenseNumber = fmt.Sprint(g.between(10000000, 999999999))
		s.DriversLicenseState = cyc(licenseStates, i, g.off[1])
		if g.chance(0.7) {
			s.DriversLicenseCardNumber = fmt.Sprintf("CN%09d", g.r.IntN(1000000000))
		}
	}
	if g.chance(0.8) {
		s.CreditScore = fmt.Sprint(g.between(300, 900))
	}
	s.HasProperty = cyc(yesNoUnknown, i, g.off[2])
	s.PropertyInfo = propertyInfo[s.HasProperty]

	// company
	c := &l.Company
	c.Name = companyHeads[g.r.IntN(len(companyHeads))] + " " + companyTails[g.r.IntN(len(companyTails))] +
		companySuffix[g.r.IntN(len(companySuffix))]
	if g.chance(0.3) {
		c.Name = strings.ToUpper(c.Name)
	}
	if g.chance(0.7) {
		c.ABN = fmt.Sprintf("%011d", g.r.Int64N(99999999999-10000000000)+10000000000)
	} else {
		c.ABN = fmt.Sprintf("%09d", g.r.IntN(999999999-100000000)+100000000)
	}
	c.Industry = cyc(industries, i, g.off[3])
	switch x := g.r.IntN(20); {
	case x < 12:
		c.Address = g.address(0)
	case x < 15:
		c.Address = g.address(1)
	case x < 17:
		c.Address = g.address(3)
	default:
		c.Address = nil
	}
	c.AverageMonthlyTurnover = float64(g.between(8, 2000) * 1000)
	if g.chance(0.05) {
		c.AverageMonthlyTurnover += float64(g.between(1, 999))
	}
	if g.chance(0.6) {
		c.Website = "www." + slug(c.Name) + ".com.au"
	}
	if g.chance(0.85) {
		c.NumberOfEmployees = g.between(1, 80)
	}
	c.ATODebt = cyc(yesNoUnknown, i, g.off[4])
	if c.ATODebt == "yes" {
		c.ATODebtDetails = fmt.Sprintf("Payment plan, $%d outstanding", g.between(2, 80)*1000)
	}
	if g.chance(0.7) {
		c.CreditScore = g.between(300, 900)
	}
	c.HasOtherLoans = cyc(yesNoUnknown, i, g.off[5])
	if c.HasOtherLoans == "yes" {
		c.OtherLoanDetails = "other loan details"
	}

	// loan
	lo := &l.Loan
	lo.ReasonForLoan = []string{}
	if !g.chance(0.05) {
		lo.ReasonForLoan = append(lo.ReasonForLoan, cyc(loanReasons, i, g.off[6]).Value)
		if g.chance(0.3) {
			if extra := loanReasons[g.r.IntN(len(loanReasons))].Value; extra != lo.ReasonForLoan[0] {
				lo.ReasonForLoan = append(lo.ReasonForLoan, extra)
			}
		}
	}
	lo.UseOfFunds = usesOfFunds[g.r.IntN(len(usesOfFunds))]
	f := g.r.Float64()
	lo.RequestedAmount = float64(5000 + 1000*int(f*f*295))
	lo.Installments = []int{13, 26, 39, 52, 52, 52, 65, 78}[g.r.IntN(8)]
	if g.chance(0.3) {
		lo.Installments = g.between(13, 78)
	}
	switch x := (i + g.off[7]) % 5; {
	case x < 3:
		lo.PreferredLoanType = "term-loan"
	case x == 3:
		lo.PreferredLoanType = "line-of-credit"
	}
	switch sp.product {
	case "DYNAMIC_TERM_LOAN":
		lo.PreferredLoanType = "term-loan"
	case "REVOLVING_CREDIT":
		lo.PreferredLoanType = "line-of-credit"
	}
	lo.ApplicationType = sp.appType
	if lo.ApplicationType == "" {
		switch x := g.r.IntN(25); {
		case x < 2:
			lo.ApplicationType = "REFINANCE_INTERNAL"
		case x < 3:
			lo.ApplicationType = "REFINANCE_EXTERNAL"
		default:
			lo.ApplicationType = "REGULAR"
		}
	}

	// history
	path := g.statusPath(sp.status, sp)
	lastStatusUpdated := i%7 == 3
	items := g.timeline(path, func(last bool) bool {
		return (last && lastStatusUpdated) || g.chance(0.08)
	})
	window := anchor.Add(-time.Minute).Sub(created)
	var sum time.Duration
	for _, it := range items {
		sum += it.gap
	}
	scale := 1.0
	if sum > window {
		scale = float64(window) / float64(sum)
	}
	t := created.UTC()
	var evs []*Event
	lo.ApplicationStatus = "IN_PROCESS"
	for k, it := range items {
		if k > 0 {
			gap := time.Duration(float64(it.gap) * scale).Truncate(time.Second)
			t = t.Add(max(gap, time.Second))
		}
		rec := t
		switch x := g.r.IntN(20); {
		case x < 5:
			rec = t.Add(g.dur(time.Second, 2*time.Minute))
		case x == 5:
			rec = t.Add(g.dur(time.Hour, 6*time.Hour))
		}
		if rec.After(anchor) {
			rec = anchor
		}
		e := &Event{ID: g.ids.next(t), LeadID: l.ID, EventType: it.typ, EventText: it.text,
			Direction: it.dir, Date: eventTime(t), RecordedAt: eventTime(rec)}
		evs = append(evs, e)
		if it.status {
			l.UpdatedAt = sydney(t)
			if creditStage[it.text] {
				lo.ApplicationStatus = "SUBMITTED"
			}
			if it.text == "AWAITING_LOAN_DOCUMENTS" && l.LoanID == "" {
				l.LoanID = g.ids.next(t)
			}
		}
	}
	if l.LoanID != "" || sp.status == "FUNDED" {
		if l.LoanID == "" {
			l.LoanID = g.ids.next(l.UpdatedAt)
		}
		amt := lo.RequestedAmount
		if g.chance(0.35) {
			amt = math.Max(5000, math.Round(amt*(0.6+g.r.Float64()*0.4)/500)*500)
		}
		lo.Amount = amt
	}
	if sp.status == "FUNDED" {
		fund(l, g.r, sp.product)
	}
	return l, evs
}

func cmpLead(a, b *Lead) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func cmpEvent(a, b *Event) int {
	if c := a.Date.Compare(b.Date); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func sortLeads(l []*Lead)   { slices.SortFunc(l, cmpLead) }
func sortEvents(e []*Event) { slices.SortFunc(e, cmpEvent) }
