// Package parquettest generates realistic canonical rows for the tests and
// benchmarks of the file formats: every column populated, values varied the
// way real vendor data varies (high-cardinality ids, names and emails,
// low-cardinality statuses and currencies, JSON attributes), deterministic
// for a seed.
package parquettest

import (
	"math/rand/v2"
	"strconv"

	"github.com/leadpipe/leadpipe/schema"
)

var (
	firstNames = []string{"Olivia", "Jack", "Charlotte", "Noah", "Amelia", "William", "Isla", "Oliver", "Mia",
		"Thomas", "Ava", "James", "Grace", "Lucas", "Chloe", "Henry", "Zoë", "Mateo", "Aroha", "Nikau", "Priya",
		"Wei", "Siobhán", "José", "Léa", "Ngaio", "Tama", "Hannah", "Ethan", "Sofia", "Liam", "Ruby"}
	lastNames = []string{"Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Johnson", "Martin",
		"White", "Anderson", "Walker", "Thompson", "Thomas", "Lee", "Ryan", "Kelly", "Ngata", "Te Awa", "O'Brien",
		"García", "Müller", "Patel", "Chen", "Wang", "Singh", "Kaur", "Murphy", "Harris", "Clarke", "Young", "King"}
	domains  = []string{"gmail.com", "outlook.com", "yahoo.com.au", "bigpond.net.au", "xtra.co.nz", "icloud.com", "hotmail.co.uk"}
	suffixes = []string{"Pty Ltd", "Limited", "Ltd", "Holdings", "& Co", "Group", "Trading", "Services"}
	nouns    = []string{"Harbour", "Southern", "Coastal", "Summit", "Redgum", "Kauri", "Blue Wren", "Ironbark",
		"Pacific", "Wattle", "Granite", "Riverside", "Northside", "Evergreen", "Pioneer", "Silverfern"}
	trades = []string{"Plumbing", "Cafe", "Logistics", "Electrical", "Construction", "Dental", "Landscaping",
		"Freight", "Bakery", "Motors", "Fitness", "Joinery", "Printing", "Catering", "Cleaning", "Tiling"}
	vendorStatuses = []string{"New Lead", "Contact Attempted", "In Progress", "Application Sent", "Docs Received",
		"Submitted to Credit", "Approved", "Contract Out", "Settled", "Declined - Credit", "Declined - Serviceability",
		"Withdrawn", "Not Contactable", "Duplicate", "Expired"}
	subStatuses  = []string{"", "awaiting bank statements", "awaiting ID", "callback booked", "with underwriter", "conditions pending"}
	lostReasons  = []string{"price", "went elsewhere", "not eligible", "no longer needed", "uncontactable"}
	bnTypes      = []string{"abn", "acn", "nzbn", "crn"}
	industries   = []string{"construction", "hospitality", "retail", "transport", "health", "professional_services", "manufacturing", "agriculture", "automotive", "beauty"}
	currencies   = []string{"AUD", "AUD", "AUD", "NZD", "GBP"}
	purposes     = []string{"working_capital", "equipment", "expansion", "stock", "refinance", "cash_flow", "tax", "vehicle"}
	sources      = []string{"web", "broker", "partner_api", "referral", "phone", "email_campaign"}
	brokers      = []string{"Acme Finance", "Lendwise", "Capital Connect", "Funding Hub", "Fairway Brokers", "", "Southern Cross Finance"}
	countries    = []string{"AU", "AU", "AU", "NZ", "GB"}
	states       = map[string][]string{"AU": {"NSW", "VIC", "QLD", "WA", "SA", "TAS", "ACT", "NT"}, "NZ": {"AUK", "WGN", "CAN", "WKO", "BOP", "OTA"}, "GB": {"ENG", "SCT", "WLS", "NIR"}}
	cities       = []string{"Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide", "Hobart", "Canberra", "Darwin", "Auckland", "Wellington", "Christchurch", "Tauranga", "London", "Manchester", "Geelong", "Newcastle", "Wollongong", "Ōtaki"}
	utmSources   = []string{"google", "facebook", "linkedin", "newsletter", "bing", "direct"}
	utmCampaigns = []string{"eofy_push", "spring_sale", "brand", "retargeting", "cashflow_q3", "tradies"}
)

// LeadGenerator produces realistic leads.
type LeadGenerator struct {
	r           *rand.Rand
	seq         int64
	RunID       string
	ExtractedAt schema.Timestamp
	buf         []byte
}

// NewLeadGenerator returns a generator; the same seed gives the same leads.
func NewLeadGenerator(seed uint64) *LeadGenerator {
	return &LeadGenerator{
		r:           rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		RunID:       "20261122T173000Z-7f3a9c",
		ExtractedAt: schema.Timestamp{Micros: 1_795_369_800_123_456, Valid: true},
	}
}

func (g *LeadGenerator) pick(s []string) string { return s[g.r.IntN(len(s))] }

// str returns the generator's scratch buffer as a new string.
func (g *LeadGenerator) str() string { return string(g.buf) }

// Fill overwrites every row of dst with a new lead.
func (g *LeadGenerator) Fill(dst []schema.Lead) {
	for i := range dst {
		g.lead(&dst[i])
	}
}

func (g *LeadGenerator) lead(l *schema.Lead) {
	r := g.r
	g.seq++
	vendor := "lumi"
	if g.seq%3 == 1 {
		vendor = "bizcap"
	}
	id := strconv.FormatInt(10_000_000+g.seq*7919%90_000_000, 10)
	*l = schema.Lead{}
	l.Vendor = vendor
	l.RunID = g.RunID
	l.ExtractedAt = g.ExtractedAt
	l.VendorLeadID = id
	l.LeadUID = vendor + ":" + id
	g.buf = append(g.buf[:0], "PR-"...)
	g.buf = strconv.AppendInt(g.buf, int64(r.IntN(1_000_000)), 36)
	l.PartnerRef = g.str()

	l.Status = schema.Statuses[r.IntN(len(schema.Statuses))]
	l.VendorStatus = g.pick(vendorStatuses)
	l.VendorSubStatus = g.pick(subStatuses)
	if l.Status == schema.StatusLost || l.Status == schema.StatusDeclined {
		l.LostReason = g.pick(lostReasons)
	} else {
		l.LostReason = "n/a"
	}

	l.FirstName = g.pick(firstNames)
	l.LastName = g.pick(lastNames)
	g.buf = append(g.buf[:0], l.FirstName...)
	g.buf = append(g.buf, '.')
	g.buf = append(g.buf, l.LastName...)
	g.buf = strconv.AppendInt(g.buf, int64(r.IntN(10_000)), 10)
	g.buf = append(g.buf, '@')
	g.buf = append(g.buf, g.pick(domains)...)
	l.Email = g.str()
	g.buf = append(g.buf[:0], "+614"...)
	g.buf = strconv.AppendInt(g.buf, int64(10_000_000+r.IntN(89_999_999)), 10)
	l.Phone = g.str()
	dob := int32(-7_300 + r.IntN(18_250)) // 1950-01-06 .. 1999-12-20
	l.DateOfBirth = schema.Date{Days: dob, Valid: true}
	l.BirthYear = schema.IntOf(int64(l.DateOfBirth.Time().Year()))

	g.buf = append(g.buf[:0], g.pick(nouns)...)
	g.buf = append(g.buf, ' ')
	g.buf = append(g.buf, g.pick(trades)...)
	g.buf = append(g.buf, ' ')
	g.buf = append(g.buf, g.pick(suffixes)...)
	l.CompanyName = g.str()
	g.buf = strconv.AppendInt(g.buf[:0], 10_000_000_000+r.Int64N(89_999_999_999), 10)
	l.BusinessNumber = g.str()
	l.BusinessNumberType = g.pick(bnTypes)
	l.Industry = g.pick(industries)
	l.MonthlyTurnover = schema.MoneyFromCents(r.Int64N(500_000_00) + 1_000_00)

	l.AmountRequested = schema.MoneyFromCents(r.Int64N(50_000)*100 + int64(r.IntN(4))*25)
	l.Currency = g.pick(currencies)
	l.LoanPurpose = g.pick(purposes)
	l.Source = g.pick(sources)
	l.Broker = g.pick(brokers)

	l.Country = g.pick(countries)
	l.State = g.pick(states[l.Country])
	l.City = g.pick(cities)
	g.buf = strconv.AppendInt(g.buf[:0], int64(800+r.IntN(9000)), 10)
	l.PostalCode = g.str()

	created := int64(1_735_689_600_000_000) + r.Int64N(320*86_400_000_000) // 2025 onwards, micros
	l.CreatedAt = schema.Timestamp{Micros: created, Valid: true}
	l.UpdatedAt = schema.Timestamp{Micros: created + r.Int64N(30*86_400_000_000), Valid: true}

	g.buf = append(g.buf[:0], `{"utm_source":"`...)
	g.buf = append(g.buf, g.pick(utmSources)...)
	g.buf = append(g.buf, `","utm_campaign":"`...)
	g.buf = append(g.buf, g.pick(utmCampaigns)...)
	g.buf = append(g.buf, `","score":`...)
	g.buf = strconv.AppendInt(g.buf, int64(r.IntN(1000)), 10)
	g.buf = append(g.buf, `,"years_trading":`...)
	g.buf = strconv.AppendInt(g.buf, int64(r.IntN(40)), 10)
	g.buf = append(g.buf, `,"owner_id":"usr_`...)
	g.buf = strconv.AppendUint(g.buf, r.Uint64()>>16, 36)
	g.buf = append(g.buf, `"}`...)
	l.Attributes = g.str()
}
