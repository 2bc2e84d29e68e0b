package bizcaptest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

// Anchor is the fixed instant all generated dates lie before.
var Anchor = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Dataset sizes: Size 0 gives DefaultSize leads, a negative Size none (an
// empty account), any other Size exactly that many leads. MinSize is the
// coverage size: the smallest dataset in which every documented lead and
// deal status (and every other documented enumeration value) occurs. A
// smaller dataset is the first leads of the MinSize plan.
const (
	DefaultSize = 300
	MinSize     = 100
)

// bdmUsers are Bizcap's internal users (delegateTo, watchers,
// internalBdmUser, updatedBy).
var bdmUsers = []Person{
	{"e3ca507e-3f06-47b8-80d9-62e7f98a1a4e", "Jack", "Morrison"},
	{"ef62415c-ba77-41c2-9328-36ed7eced734", "Sophie", "Nguyen"},
	{"b1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", "Tane", "Walker"},
	{"c2d3e4f5-b6c7-4d8e-9f0a-1b2c3d4e5f60", "Harriet", "Patel"},
}

type place struct{ city, state, zip string }

var places = map[string][]place{
	"AU": {{"Sydney", "NSW", "2000"}, {"Parramatta", "NSW", "2150"}, {"Melbourne", "VIC", "3000"}, {"Geelong", "VIC", "3220"},
		{"Brisbane", "QLD", "4000"}, {"Gold Coast", "QLD", "4217"}, {"Perth", "WA", "6000"}, {"Adelaide", "SA", "5000"},
		{"Hobart", "TAS", "7000"}, {"Canberra", "ACT", "2600"}, {"Darwin", "NT", "0800"}},
	"NZ": {{"Auckland", "Auckland", "1010"}, {"Wellington", "Wellington", "6011"}, {"Christchurch", "Canterbury", "8011"},
		{"Hamilton", "Waikato", "3204"}, {"Dunedin", "Otago", "9016"}, {"Tauranga", "Bay of Plenty", "3110"}},
	"GB": {{"London", "England", "EC1A 1BB"}, {"Manchester", "England", "M1 1AE"}, {"Birmingham", "England", "B1 1AA"},
		{"Leeds", "England", "LS1 4AP"}, {"Glasgow", "Scotland", "G1 1XQ"}, {"Edinburgh", "Scotland", "EH1 1YZ"},
		{"Cardiff", "Wales", "CF10 1EP"}, {"Bristol", "England", "BS1 4DJ"}},
	"SG": {{"Singapore", "", "018989"}, {"Singapore", "", "238859"}, {"Singapore", "", "409051"}},
}

var countryNames = map[string][2]string{ // full name, short form some partners send
	"AU": {"Australia", "AU"}, "NZ": {"New Zealand", "NZ"}, "GB": {"United Kingdom", "UK"}, "SG": {"Singapore", "SG"},
}

var (
	firstNames = []string{"James", "Olivia", "Jack", "Charlotte", "William", "Amelia", "Noah", "Isla", "Thomas", "Mia",
		"Lachlan", "Grace", "Aroha", "Nikau", "Siobhan", "Rhys", "Priya", "Wei", "Hamish", "Zoe", "Mohammed", "Chloe",
		"Liam", "Ava", "Harry", "Ella", "Raj", "Hana", "Connor", "Matilda"}
	lastNames = []string{"Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Anderson", "Thompson",
		"O'Brien", "Walker", "Kaur", "Singh", "Te Whata", "MacDonald", "Evans", "Davies", "Tan", "Lim", "Patel",
		"Murphy", "Kelly", "Chen", "Robinson", "Clarke", "Henare", "Lee", "Martin", "Young", "Hughes"}
	companyWords = []string{"Coastal", "Summit", "Redgum", "Harbour", "Ironbark", "Kauri", "Thistle", "Lion City",
		"Southern Cross", "Bluestone", "Pinnacle", "Riverside", "Northside", "Goldfield", "Westgate", "Oakridge",
		"Silverfern", "Brightside", "Heritage", "Evergreen"}
	streets = []string{"George St", "Queen St", "King St", "High St", "Station Rd", "Church St", "Victoria Rd",
		"Albert St", "Collins St", "Lambton Quay", "Orchard Rd", "Main Rd", "Park Ave", "Bridge St", "Market St"}
	suffix = map[string][]string{
		"AU": {"Pty Ltd", "Pty. Ltd.", ""}, "NZ": {"Limited", "Ltd", ""}, "GB": {"Ltd", "Limited", ""}, "SG": {"Pte. Ltd.", "Pte Ltd", ""},
	}
	tlds = map[string]string{"AU": ".com.au", "NZ": ".co.nz", "GB": ".co.uk", "SG": ".com.sg"}
)

type industryPair struct{ category, industry, word string }

var industries = []industryPair{
	{"Construction", "Building Construction", "Builders"}, {"Construction", "Electrical Services", "Electrical"},
	{"Construction", "Plumbing Services", "Plumbing"}, {"Accommodation & Food Services", "Cafes and Restaurants", "Cafe"},
	{"Accommodation & Food Services", "Takeaway Food", "Kitchen"}, {"Retail Trade", "Clothing Retailing", "Apparel"},
	{"Retail Trade", "Hardware Retailing", "Hardware"}, {"Transport, Postal & Warehousing", "Road Freight Transport", "Logistics"},
	{"Health Care & Social Assistance", "Medical Services", "Medical"}, {"Health Care & Social Assistance", "Dental Services", "Dental"},
	{"Professional Services", "Accounting Services", "Accounting"}, {"Professional Services", "Legal Services", "Legal"},
	{"Manufacturing", "Food Product Manufacturing", "Foods"}, {"Manufacturing", "Furniture Manufacturing", "Joinery"},
	{"Agriculture, Forestry & Fishing", "Horticulture", "Growers"}, {"Other Services", "Automotive Repair", "Auto"},
	{"Other Services", "Hairdressing and Beauty", "Beauty"}, {"Wholesale Trade", "Grocery Wholesaling", "Wholesale"},
}

type gen struct {
	r      *rand.Rand
	offers int // offers made so far, to cover every frequency and type
}

func (g *gen) intn(n int) int            { return g.r.IntN(n) }
func (g *gen) chance(p float64) bool     { return g.r.Float64() < p }
func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }
func (g *gen) between(lo, hi int) int    { return lo + g.r.IntN(hi-lo+1) }
func (g *gen) digits(n int) string       { return g.digitsFrom(n, "0123456789") }
func (g *gen) dur(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.r.Int64N(int64(hi-lo)+1))
}

func (g *gen) digitsFrom(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

// weighted picks an index with the given weights.
func (g *gen) weighted(weights ...int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := g.r.IntN(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// cover returns vals[i] while i < len(vals), so every value occurs, and a
// pick made by other() after that.
func cover(i int, vals []string, other func() string) string {
	if i < len(vals) {
		return vals[i]
	}
	return other()
}

func newUUID(r *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

func clip(t, maxT time.Time) time.Time {
	if t.After(maxT) {
		return maxT
	}
	return t
}

func latest(ts ...time.Time) time.Time {
	m := ts[0]
	for _, t := range ts[1:] {
		if t.After(m) {
			m = t
		}
	}
	return m
}

type pair struct{ status, sub string }

func pairs(groups []StatusGroup, skip string) []pair {
	var out []pair
	for _, g := range groups {
		if g.Status == skip {
			continue
		}
		for _, s := range g.SubStatuses {
			out = append(out, pair{g.Status, s})
		}
	}
	return out
}

func groupOf(groups []StatusGroup, status string) StatusGroup {
	for _, g := range groups {
		if g.Status == status {
			return g
		}
	}
	return StatusGroup{}
}

// leadStatusWeights and dealStatusWeights follow the order of LeadStatuses
// and DealStatuses.
var (
	leadStatusWeights = []int{10, 12, 6, 10, 10, 4, 6, 0}
	dealStatusWeights = []int{3, 8, 3, 6, 3, 3, 4, 6, 35, 8, 3, 15}
)

func (g *gen) weightedPair(groups []StatusGroup, weights []int) pair {
	grp := groups[g.weighted(weights...)]
	return pair{grp.Status, g.pick(grp.SubStatuses)}
}

// generate builds the dataset of n leads (exactly; 0 is an empty account)
// for seed: leads in createdAt order and deals in createdAt order.
func generate(seed int64, n int) ([]*Lead, []*Deal) {
	if n <= 0 {
		return []*Lead{}, []*Deal{}
	}
	// The status plan is made for at least MinSize leads, so that a dataset
	// of MinSize or more holds every documented value; a smaller one takes
	// the first n statuses of that plan.
	planN := max(n, MinSize)
	g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 0x6269_7a63_6170_0001))}

	// Lead statuses: every documented pair once, enough Converted leads for
	// every deal pair, the rest weighted; then shuffled.
	open := pairs(LeadStatuses, "Converted")
	dealPairs := pairs(DealStatuses, "")
	converted := min(max(len(dealPairs), planN*35/100), planN-len(open))
	statuses := slices.Clone(open)
	for range converted {
		statuses = append(statuses, pair{"Converted", "Banks In"})
	}
	for len(statuses) < planN {
		statuses = append(statuses, g.weightedPair(LeadStatuses, leadStatusWeights))
	}
	g.r.Shuffle(len(statuses), func(i, j int) { statuses[i], statuses[j] = statuses[j], statuses[i] })

	dealStatuses := slices.Clone(dealPairs)
	for len(dealStatuses) < converted {
		dealStatuses = append(dealStatuses, g.weightedPair(DealStatuses, dealStatusWeights))
	}
	g.r.Shuffle(len(dealStatuses), func(i, j int) {
		dealStatuses[i], dealStatuses[j] = dealStatuses[j], dealStatuses[i]
	})

	start := Anchor.Add(-365 * 24 * time.Hour)
	step := 365 * 24 * time.Hour / time.Duration(n)
	leads := make([]*Lead, 0, n)
	var deals []*Deal
	var refs []string
	refSeq := map[string]int{}
	primary := 0
	for i := 0; i < n; i++ {
		created := start.Add(time.Duration(i)*step + g.dur(0, step-time.Millisecond)).Truncate(time.Millisecond)
		l := g.lead(i, created, statuses[i], refSeq, refs)
		if ref := l.Fields.PartnerLeadReferenceID; ref != nil && *ref != "" {
			refs = append(refs, *ref)
		}
		if l.Fields.Status == "Converted" {
			d := g.deal(l, l.Fields.StatusSinceDate.Time, dealStatuses[primary], primaryLoanType(g, primary))
			primary++
			l.Fields.ConvertedDealID = d.ID
			l.Fields.LoanType = cloneP(d.Fields.LoanType)
			deals = append(deals, d)
			if d.Fields.Status == "Settled" && (d.Fields.SubStatus == "Performing" || d.Fields.SubStatus == "Closed") &&
				g.chance(0.35) {
				funded := d.Fields.StatusSinceDate.Time
				next := funded.Add(g.dur(60*24*time.Hour, 240*24*time.Hour))
				if next.Before(Anchor.Add(-48 * time.Hour)) {
					lt := []string{"Renewal", "Add On", "Refinance"}[g.weighted(60, 25, 15)]
					deals = append(deals, g.deal(l, next, g.weightedPair(DealStatuses, dealStatusWeights), &lt))
				}
			}
		}
		leads = append(leads, l)
	}
	slices.SortStableFunc(deals, func(a, b *Deal) int { return a.CreatedAt.Compare(b.CreatedAt.Time) })
	return leads, deals
}

func primaryLoanType(g *gen, k int) *string {
	if k < len(LoanTypes) {
		return sp(LoanTypes[k])
	}
	switch g.weighted(85, 4, 5, 3, 3) {
	case 0:
		return sp("New")
	case 1:
		return nil
	case 2:
		return sp("Renewal")
	case 3:
		return sp("Add On")
	default:
		return sp("Refinance")
	}
}

func (g *gen) lead(i int, created time.Time, st pair, refSeq map[string]int, refs []string) *Lead {
	maxT := Anchor.Add(-time.Minute)
	id := newUUID(g.r)
	var b Broker
	if i < len(brokers) {
		b = brokers[i]
	} else {
		b = brokers[g.weighted(35, 20, 15, 22, 8)]
	}
	cc := b.Country
	rep := b.Reps[g.intn(len(b.Reps))]
	source := cover(i, LeadSources, func() string { return LeadSources[g.weighted(60, 25, 15)] })
	first, last := g.pick(firstNames), g.pick(lastNames)
	ind := industries[g.intn(len(industries))]
	word := g.pick(companyWords)
	sfx := suffix[cc][g.weighted(60, 25, 15)]
	if i < len(brokers) {
		sfx = suffix[cc][0] // every market has a company, so every business number occurs
	}
	company := strings.TrimSpace(word + " " + ind.word + " " + sfx)

	f := LeadFields{
		Status: st.status, SubStatus: st.sub,
		Watchers:    []Ref{},
		FirstName:   first,
		LastName:    last,
		CompanyName: company,
		Broker:      Named{b.ID, b.Name},
		BrokerRep:   rep,
		LeadSource:  source,
	}
	bdm := bdmUsers[g.intn(len(bdmUsers))]
	f.DelegateTo = &Ref{"user", bdm.ID}
	if g.chance(0.3) {
		f.Watchers = append(f.Watchers, Ref{"user", bdmUsers[g.intn(len(bdmUsers))].ID})
	}

	// Timeline.
	statusAt := created
	if st.status != "New" {
		statusAt = clip(created.Add(g.dur(10*time.Minute, 30*24*time.Hour)), maxT)
	}
	statusAt = statusAt.Truncate(time.Second)
	updated := clip(statusAt.Add(g.dur(0, 72*time.Hour)), maxT)
	subAt := statusAt
	if len(groupOf(LeadStatuses, st.status).SubStatuses) > 1 && g.chance(0.6) {
		subAt = clip(statusAt.Add(g.dur(0, updated.Sub(statusAt))), maxT).Truncate(time.Second)
	}
	if st.status == "Converted" {
		updated = clip(statusAt.Add(g.dur(2*time.Second, 10*time.Second)), Anchor)
	}
	updated = latest(updated, subAt, created).Truncate(time.Millisecond)
	f.StatusSinceDate, f.SubStatusSinceDate = atPtr(statusAt), atPtr(subAt)

	calls := 0
	switch st.status {
	case "Attempting Contact", "Difficulty Contacting":
		fmt.Sscanf(st.sub, "Attempting %d", &calls)
	case "Waiting on Customer":
		calls = g.between(1, 4)
	case "Not Progressing":
		calls = g.between(1, 6)
	case "Unreachable":
		calls = g.between(3, 8)
	case "Closed":
		calls = g.between(0, 3)
	case "Converted":
		calls = g.between(1, 8)
	}
	f.NumberOfCallsMade = calls
	if calls > 0 {
		f.LastCallDate = atPtr(latest(subAt, created.Add(time.Minute)).Add(-g.dur(0, time.Minute)))
	}
	if st.status != "New" && g.chance(0.7) {
		f.LastActivityDate = atPtr(updated)
	}
	if st.status != "New" && g.chance(0.5) {
		p := bdmUsers[g.intn(len(bdmUsers))]
		f.InternalBdmUser = &p
	}

	// Contact details.
	spaced := source != "API" && g.chance(0.35)
	f.Phone = g.phone(cc, spaced)
	if g.chance(0.97) {
		f.Email = sp(g.email(first, last, word+ind.word, cc))
	}
	switch x := g.intn(10); {
	case x < 5:
	case x < 6:
		f.SecondaryPhone = sp("")
	default:
		f.SecondaryPhone = sp(g.phone(cc, spaced))
	}
	switch x := g.intn(10); {
	case x < 6:
	case x < 7:
		f.SecondaryEmail = sp("")
	default:
		f.SecondaryEmail = sp(g.email(last, first, "", cc))
	}

	// Business numbers.
	g.businessNumbers(&f, cc, sfx != "", source)

	// Addresses.
	biz := g.address(cc)
	f.BusinessAddress = biz
	f.ResidentialAddress = g.address(cc)
	switch x := g.intn(10); {
	case x < 2:
		f.ResidentialAddress = Address{}
	case x < 4:
		f.ResidentialAddress.AddressLine2 = ""
	}
	switch x := g.intn(10); {
	case x < 3:
		f.PhysicalAddress = Address{}
	case x < 7:
		f.PhysicalAddress = biz
	default:
		f.PhysicalAddress = g.address(cc)
	}
	switch x := g.intn(10); {
	case x < 4:
		f.TradingAddress = Address{}
	case x < 6:
		f.TradingAddress = biz
	default: // partly filled: suburb level only
		a := g.address(cc)
		f.TradingAddress = Address{City: a.City, State: a.State, Country: a.Country}
	}
	if g.chance(0.05) { // an address typed into line 1 only
		f.BusinessAddress = Address{AddressLine1: strings.Join([]string{biz.AddressLine1, biz.City, biz.State, biz.ZipCode}, " ")}
	}
	for _, a := range []*Address{&f.ResidentialAddress, &f.BusinessAddress, &f.PhysicalAddress, &f.TradingAddress} {
		a.refreshFull()
	}

	// Profile.
	f.IndustryCategory, f.Industry = sp(ind.category), sp(ind.industry)
	if g.chance(0.05) {
		f.IndustryCategory, f.Industry = nil, nil
	}
	if g.chance(0.8) {
		f.DateOfBirth = sp(time.Date(g.between(1955, 2002), time.Month(g.between(1, 12)), g.between(1, 28), 0, 0, 0, 0, time.UTC).Format("2006-01-02"))
	}
	if g.chance(0.9) {
		f.BusinessStartDate = sp(time.Date(g.between(1995, 2025), time.Month(g.between(1, 12)), g.between(1, 28), 0, 0, 0, 0, time.UTC).Format("2006-01-02"))
	}
	if i < len(CitizenshipStatuses) || g.chance(0.85) {
		f.CitizenshipStatus = sp(cover(i, CitizenshipStatuses, func() string { return CitizenshipStatuses[g.weighted(20, 10, 70)] }))
	}
	if i < 2 || g.chance(0.9) {
		f.SoleDirector = sp(cover(i, YesNo, func() string { return YesNo[g.weighted(65, 35)] }))
	}
	if i < 2 || g.chance(0.9) {
		f.HomeOwner = sp(cover(i, YesNo, func() string { return YesNo[g.weighted(55, 45)] }))
	}
	if i < len(LoanPurposes) || g.chance(0.9) {
		f.LoanPurpose = sp(cover(i, LoanPurposes, func() string { return g.pick(LoanPurposes) }))
	}
	f.SuitableProducts = g.products(i, f.HomeOwner)
	if i < 2 || g.chance(0.95) {
		f.CallClientOrBroker = sp(cover(i, CallClientOrBrokerValues, func() string {
			return CallClientOrBrokerValues[g.weighted(65, 35)]
		}))
	}
	if source == "API" || g.chance(0.9) {
		f.AmountRequested = sp(g.amount(5_000, 500_000))
		f.AverageMonthlyTurnover = sp(g.amount(10_000, 2_000_000))
	}
	switch cc {
	case "AU":
		f.DriversLicenseNumber = sp(g.digits(g.between(8, 10)))
	case "NZ":
		f.DriversLicenseNumber = sp(g.digitsFrom(2, "ABCDEFGHJKLMNPRSTUVWXYZ") + g.digits(6))
		f.DriverVersionNumber = sp(g.digits(3))
	case "GB":
		f.DriversLicenseNumber = sp(strings.ToUpper(strings.NewReplacer("'", "", " ", "").Replace(last) + "99999")[:5] + g.digits(6) + g.digitsFrom(2, "ABCDEFGHJKLMNPRSTUVWXYZ") + g.digits(1) + g.digitsFrom(2, "ABCDEFGHJKLMNPRSTUVWXYZ"))
	}
	if g.chance(0.3) {
		f.DriversLicenseNumber, f.DriverVersionNumber = nil, nil
	}
	if g.chance(0.3) {
		f.DocumentID = sp(g.digits(8))
	}
	switch x := g.intn(10); {
	case x < 5:
		f.TradingName = sp(strings.TrimSpace(word + " " + ind.word))
	case x < 8:
		f.TradingName = sp(g.pick(companyWords) + " " + ind.industry)
	}
	if g.chance(0.4) {
		f.CallOnBehalfOf = sp(b.Name)
	}

	// Reference, links and bookkeeping by source.
	createdBy := rep.ID
	switch source {
	case "API":
		createdBy = APIUserID
		f.BankStatementsUpdateLink, f.ApplicationLink = bankStatementsLink(id), applicationLink(id)
		if g.chance(0.9) {
			f.PartnerLeadReferenceID = sp(g.ref(b, refSeq, ""))
		} else {
			f.PartnerLeadReferenceID = sp(newUUID(g.r))
		}
		if g.chance(0.3) {
			f.Notes = sp("Client prefers a call after 2pm.")
		}
		if g.chance(0.3) {
			f.PartnerNotes = sp("Referred by accountant; " + strings.ToLower(ind.industry) + ".")
		}
		if f.CallClientOrBroker != nil && *f.CallClientOrBroker == "Call Broker" && g.chance(0.6) {
			f.BrokerContactName = sp(rep.FirstName + " " + rep.LastName)
			f.BrokerContactEmail = sp(g.email(rep.FirstName, rep.LastName, b.Name, cc))
			f.BrokerContactNumber = sp(g.phone(cc, false))
		}
	case "Bulk Upload":
		if g.chance(0.7) {
			f.PartnerLeadReferenceID = sp(g.ref(b, refSeq, "B"))
		}
	default:
		switch x := g.intn(10); {
		case x < 5:
		case x < 7:
			f.PartnerLeadReferenceID = sp("")
		default:
			f.PartnerLeadReferenceID = sp(g.ref(b, refSeq, ""))
		}
	}
	if st.sub == "Duplicate" && len(refs) > 0 && g.chance(0.5) {
		f.PartnerLeadReferenceID = sp(refs[g.intn(len(refs))]) // the partner sent the same lead twice
	}

	// Documents and application progress.
	f.BankStatementsReceived = "No"
	switch {
	case st.status == "Converted":
		f.BankStatementsReceived = "Yes"
		f.BankStatementsReceivedDate = atPtr(statusAt.Add(-g.dur(time.Minute, 48*time.Hour)))
		f.ApplicationCompleted = sp("Yes")
		f.ApplicationCompletedDate = atPtr(statusAt.Add(-g.dur(time.Hour, 72*time.Hour)))
		if g.chance(0.5) {
			f.BankStatementsCreditsSenseLink = "https://www.bizcap.nz/creditsense?leadid=" + id
		}
		if g.chance(0.3) {
			f.ProvisoLinkPdf = "https://www.bizcap.nz/proviso/" + id + ".pdf"
		}
	case st.status == "Waiting on Customer":
		f.ApplicationCompleted = sp("No")
		if g.chance(0.3) {
			f.BankStatementsReceived = "Yes"
			f.BankStatementsReceivedDate = atPtr(subAt)
		}
	}
	for _, p := range []**Timestamp{&f.BankStatementsReceivedDate, &f.ApplicationCompletedDate} {
		if *p != nil && (*p).Before(created) {
			*p = atPtr(created.Add(time.Second))
		}
	}

	updatedBy := bdm.ID
	if st.status == "New" {
		updatedBy = createdBy
	}
	return &Lead{ID: id, CreatedAt: At(created), CreatedBy: createdBy, UpdatedAt: At(updated), UpdatedBy: updatedBy, Fields: f}
}

func (g *gen) ref(b Broker, seq map[string]int, kind string) string {
	prefix := ""
	for _, w := range strings.Fields(b.Name) {
		prefix += w[:1]
	}
	seq[b.ID]++
	return fmt.Sprintf("%s-%s%05d", strings.ToUpper(prefix), kind, seq[b.ID])
}

func (g *gen) products(i int, homeOwner *string) []string {
	if i < len(SuitableProducts) {
		return []string{SuitableProducts[i]}
	}
	switch g.weighted(20, 35, 15, 15, 5) {
	case 0:
		return []string{}
	case 1:
		return []string{"Business Loan"}
	case 2:
		return []string{"LOC"}
	case 3:
		return []string{"LOC", "Business Loan"}
	}
	if homeOwner != nil && *homeOwner == "Yes" {
		return []string{"LOC", "2nd Mortgage", "Business Loan"}
	}
	return []string{"Business Loan"}
}

func (g *gen) amount(lo, hi int) string {
	cents := int64(g.between(lo/500, hi/500)) * 500 * 100
	if g.chance(0.1) {
		cents += int64(g.intn(100_000))
	}
	return money(cents)
}

// phone makes an international number valid in its country (see
// sandbox.ValidPhone); spaced ones are how people type them into the
// portal.
func (g *gen) phone(cc string, spaced bool) string {
	return sandbox.ValidPhone(cc, func() string { return g.anyPhone(cc, spaced) })
}

func (g *gen) anyPhone(cc string, spaced bool) string {
	var code, rest string
	switch cc {
	case "AU":
		code, rest = "61", g.pick([]string{"4", "4", "4", "2", "3", "7", "8"})+g.digits(8)
	case "NZ":
		code = "64"
		switch g.intn(4) {
		case 0:
			rest = "9" + g.digits(7)
		case 1:
			rest = "21" + g.digits(6)
		default:
			rest = g.pick([]string{"21", "22", "27"}) + g.digits(7)
		}
	case "GB":
		code, rest = "44", g.pick([]string{"7", "7", "20", "161"})
		rest += g.digits(10 - len(rest))
	default:
		code, rest = "65", g.pick([]string{"8", "9", "6"})+g.digits(7)
	}
	if !spaced {
		return "+" + code + rest
	}
	groups := []string{"+" + code}
	for len(rest) > 4 {
		n := 3
		if len(rest) == 8 || len(rest) == 7 {
			n = len(rest) - 4
		}
		groups, rest = append(groups, rest[:n]), rest[n:]
	}
	return strings.Join(append(groups, rest), " ")
}

func (g *gen) email(first, last, company, cc string) string {
	clean := func(s string) string {
		return strings.NewReplacer(" ", "", "'", "", ".", "").Replace(strings.ToLower(s))
	}
	domain := clean(company) + tlds[cc]
	if company == "" || g.chance(0.25) {
		domain = g.pick([]string{"gmail.com", "outlook.com", "yahoo.com", "icloud.com"})
	}
	return clean(first) + "." + clean(last) + "@" + domain
}

func (g *gen) address(cc string) Address {
	p := places[cc][g.intn(len(places[cc]))]
	country := countryNames[cc][0]
	if g.chance(0.1) {
		country = countryNames[cc][1]
	}
	a := Address{
		AddressLine1: fmt.Sprintf("%d %s", g.between(1, 450), g.pick(streets)),
		Country:      country, City: p.city, State: p.state, ZipCode: p.zip,
	}
	if g.chance(0.35) {
		a.AddressLine2 = fmt.Sprintf("%s %d", g.pick([]string{"Unit", "Suite", "Level"}), g.between(1, 30))
	}
	return a
}

// businessNumbers sets the numbers a business of country cc has: ABN (and
// ACN for companies) in AU, NZBN in NZ, CRN in the UK, UEN in Singapore.
func (g *gen) businessNumbers(f *LeadFields, cc string, company bool, source string) {
	spaced := source != "API" && g.chance(0.4)
	switch cc {
	case "AU":
		acn := g.digits(8)
		acn += fmt.Sprint(acnCheck(acn))
		abn := abnFor(acn)
		if !company {
			abn = abnFor(g.digits(9))
		} else {
			f.ACN = sp(acn)
			if spaced {
				f.ACN = sp(acn[:3] + " " + acn[3:6] + " " + acn[6:])
			}
		}
		f.ABN = sp(abn)
		if spaced {
			f.ABN = sp(abn[:2] + " " + abn[2:5] + " " + abn[5:8] + " " + abn[8:])
		}
	case "NZ":
		nz := "94290" + g.digits(7)
		f.NZBN = sp(nz + fmt.Sprint(gs1Check(nz)))
	case "GB":
		if company {
			f.CRN = sp(g.pick([]string{"0", "1", "SC", "NI", "OC"}))
			f.CRN = sp(*f.CRN + g.digits(8-len(*f.CRN)))
		}
	case "SG":
		if company {
			f.UEN = sp(fmt.Sprintf("%d%s%s", g.between(2005, 2024), g.digits(5), g.digitsFrom(1, "CDEGHKMNRWZ")))
		} else {
			f.UEN = sp(g.digits(8) + g.digitsFrom(1, "ABCDEJKLMWX"))
		}
	}
	if source == "API" && g.chance(0.05) { // some integrations send "" for numbers they lack
		for _, p := range []**string{&f.ABN, &f.ACN, &f.NZBN, &f.CRN, &f.UEN} {
			if *p == nil {
				*p = sp("")
			}
		}
	}
}

// acnCheck is the ASIC check digit of the first 8 digits of an ACN.
func acnCheck(d8 string) int {
	sum := 0
	for i := 0; i < 8; i++ {
		sum += int(d8[i]-'0') * (8 - i)
	}
	return (10 - sum%10) % 10
}

// abnFor prefixes 9 digits with the two digits that make a valid ABN.
func abnFor(d9 string) string {
	weights := []int{3, 5, 7, 9, 11, 13, 15, 17, 19}
	rest := 0
	for i := 0; i < 9; i++ {
		rest += int(d9[i]-'0') * weights[i]
	}
	// The first two digits contribute (10a-10)+b = p-10 for prefix p.
	p := 10 + ((89 - rest%89) % 89)
	return fmt.Sprintf("%02d%s", p, d9)
}

// gs1Check is the GS1 check digit (NZBN is a GLN).
func gs1Check(d string) int {
	sum := 0
	for i := len(d) - 1; i >= 0; i-- {
		w := 1
		if (len(d)-1-i)%2 == 0 {
			w = 3
		}
		sum += int(d[i]-'0') * w
	}
	return (10 - sum%10) % 10
}

// dealProgress is how long after its creation a deal reaches each status.
var dealProgress = map[string][2]time.Duration{
	"Application Received":     {time.Second, time.Second},
	"In Progress":              {12 * time.Hour, 5 * 24 * time.Hour},
	"Additional Info Required": {24 * time.Hour, 10 * 24 * time.Hour},
	"Approved":                 {2 * 24 * time.Hour, 12 * 24 * time.Hour},
	"Contract Requested":       {3 * 24 * time.Hour, 14 * 24 * time.Hour},
	"Contract Draft":           {3 * 24 * time.Hour, 15 * 24 * time.Hour},
	"Contracts Sent":           {4 * 24 * time.Hour, 16 * 24 * time.Hour},
	"Pending Settlement":       {5 * 24 * time.Hour, 20 * 24 * time.Hour},
	"Settled":                  {6 * 24 * time.Hour, 25 * 24 * time.Hour},
	"Withdrawn":                {2 * 24 * time.Hour, 30 * 24 * time.Hour},
	"On Hold":                  {2 * 24 * time.Hour, 30 * 24 * time.Hour},
	"Declined":                 {24 * time.Hour, 15 * 24 * time.Hour},
}

var offerStatuses = []string{"Approved", "Contract Requested", "Contract Draft", "Contracts Sent", "Pending Settlement", "Settled"}

// deal builds a deal for lead l created at t.
func (g *gen) deal(l *Lead, t time.Time, st pair, loanType *string) *Deal {
	maxT := Anchor.Add(-time.Minute)
	created := clip(t.Add(-g.dur(50*time.Millisecond, 1500*time.Millisecond)), maxT).Truncate(time.Millisecond)
	lf := &l.Fields
	bdm := bdmUsers[g.intn(len(bdmUsers))]
	f := DealFields{
		Status: st.status, SubStatus: st.sub,
		Watchers:                 []Ref{{"user", bdm.ID}},
		Name:                     lf.CompanyName,
		Customer:                 Named{newUUID(g.r), lf.CompanyName},
		CallClientOrBroker:       cloneP(lf.CallClientOrBroker),
		Broker:                   lf.Broker,
		BrokerRep:                lf.BrokerRep,
		LoanType:                 loanType,
		CallOnBehalfOf:           cloneP(lf.CallOnBehalfOf),
		PartnerLeadReferenceID:   cloneP(lf.PartnerLeadReferenceID),
		BankStatementsUpdateLink: nil,
	}
	if lf.BankStatementsUpdateLink != "" && g.chance(0.5) {
		f.BankStatementsUpdateLink = sp(lf.BankStatementsUpdateLink)
	}
	prog := dealProgress[st.status]
	statusAt := clip(created.Add(g.dur(prog[0], prog[1])), maxT).Truncate(time.Second)
	subAt := statusAt
	switch {
	case st.status == "Settled" && st.sub != "Performing":
		subAt = clip(statusAt.Add(g.dur(30*24*time.Hour, 300*24*time.Hour)), maxT).Truncate(time.Second)
	case len(groupOf(DealStatuses, st.status).SubStatuses) > 1 && g.chance(0.5):
		subAt = clip(statusAt.Add(g.dur(0, 5*24*time.Hour)), maxT).Truncate(time.Second)
	}
	updated := clip(latest(subAt, created).Add(g.dur(300*time.Millisecond, 48*time.Hour)), Anchor).Truncate(time.Millisecond)
	f.StatusSinceDate, f.SubStatusSinceDate = atPtr(statusAt), atPtr(subAt)
	if st.status != "Application Received" {
		f.InternalBdmUser = &bdm
		f.Sfid = sp("0065g00000" + g.digitsFrom(8, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
		if g.chance(0.6) {
			f.LastActivityDate = atPtr(updated)
		}
		f.NumberOfCallsMade = g.between(0, 6)
		if f.NumberOfCallsMade > 0 {
			f.LastCallDate = atPtr(latest(created, subAt.Add(-g.dur(0, time.Hour))))
		}
	}

	requested := int64(50_000_00)
	if lf.AmountRequested != nil {
		var whole, cents int64
		fmt.Sscanf(*lf.AmountRequested, "%d.%d", &whole, &cents)
		requested = whole*100 + cents
	}
	f.Amount = sp(money(requested))
	if contains(offerStatuses, st.status) || (st.status == "Withdrawn" && g.chance(0.4)) || (st.status == "On Hold" && g.chance(0.3)) {
		g.offer(&f, requested)
		if st.status == "Settled" {
			f.OmAdvanceID = sp("ADV-" + g.digits(7))
			f.OmDateFunded = sp(statusAt.Format("2006-01-02"))
		}
	}
	if st.status == "Declined" {
		reasons := st.sub
		if g.chance(0.3) {
			other := g.pick(groupOf(DealStatuses, "Declined").SubStatuses)
			if other != st.sub {
				reasons += ";" + other
			}
		}
		f.OmDeclineReasons = sp(reasons)
	}
	createdBy := bdm.ID
	return &Deal{ID: newUUID(g.r), CreatedAt: At(created), CreatedBy: createdBy, UpdatedAt: At(updated),
		UpdatedBy: bdmUsers[g.intn(len(bdmUsers))].ID, Fields: f}
}

// offer fills the om* terms of an offer on a requested amount (cents).
func (g *gen) offer(f *DealFields, requested int64) {
	principal := max(requested*int64(g.between(50, 100))/100/100_000*100_000, 5_000_00)
	freq := cover(g.offers, CollectionFrequencies, func() string { return CollectionFrequencies[g.weighted(45, 40, 10, 5)] })
	term := []int{90, 120, 150, 180, 240, 270, 300, 365, 450, 540}[g.intn(10)]
	payments := term * 5 / 7
	switch freq {
	case "Weekly":
		payments = term / 7
	case "Fortnightly":
		payments = term / 14
	case "Monthly":
		payments = max(term/30, 1)
	}
	rate := int64(g.between(112, 145))
	f.OmPrincipalAmount = sp(money(principal))
	f.OmPaybackAmount = sp(money(principal * rate / 100))
	f.OmTermDays = ip(term)
	f.OmNumberOfPayments = ip(payments)
	f.OmCollectionFrequency = sp(freq)
	f.OmAdvanceType = sp(cover(g.offers, AdvanceTypes, func() string { return AdvanceTypes[g.weighted(70, 25, 5)] }))
	g.offers++
	f.Amount = sp(money(principal))
}
