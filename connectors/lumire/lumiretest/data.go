package lumiretest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// gen draws the deterministic dataset. Every choice comes from r, seeded by
// Options.Seed; dates are anchored to Anchor.
type gen struct {
	r      *rand.Rand
	s      *Server
	emails map[string]bool
}

func (g *gen) intn(n int) int { return g.r.IntN(n) }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

// weighted picks values[i] with probability proportional to weights[i].
func weighted(g *gen, values []string, weights []int) string {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := g.intn(total)
	for i, w := range weights {
		if n < w {
			return values[i]
		}
		n -= w
	}
	return values[len(values)-1]
}

// between returns a millisecond instant in [lo, hi).
func (g *gen) between(lo, hi time.Time) time.Time {
	d := hi.Sub(lo).Milliseconds()
	if d <= 0 {
		return lo.UTC().Truncate(time.Millisecond)
	}
	return lo.Add(time.Duration(g.r.Int64N(d)) * time.Millisecond).UTC().Truncate(time.Millisecond)
}

// after returns an instant up to max after t, never past the anchor.
func (g *gen) after(t time.Time, max time.Duration) time.Time {
	hi := t.Add(max)
	if hi.After(Anchor) {
		hi = Anchor
	}
	return g.between(t, hi)
}

func (g *gen) uuid() string { return newUUID(g.r) }

func sp(s string) *string { return &s }

func ip(i int) *int { return &i }

var (
	firstNames = []string{"Amelia", "Oliver", "Sofia", "Lucas", "Chloé", "Mateo", "Aisha", "Kenji", "Zoë", "Liam",
		"Priya", "Noah", "Fatima", "Ethan", "Isabella", "Jakub", "Mei", "Omar", "Hannah", "Diego", "Ana-Maria",
		"Seán", "Yuki", "Chidi", "Elena", "Björn", "Leila", "Tomás", "Grace", "Arjun"}
	lastNames = []string{"Hart", "Nguyen", "O'Brien", "Müller", "García", "Okafor", "Watanabe", "Smith",
		"van der Berg", "Kowalski", "Rossi", "Dubois", "Khan", "Silva", "Andersson", "Papadopoulos", "Cohen",
		"Ivanova", "Moreau", "Chen", "Fernández", "Walsh", "Haddad", "Tanaka", "Adeyemi", "Novak", "Larsen", "Costa",
		"Singh", "MacDonald"}
	emailDomains = []string{"example.com", "mail.example.org", "example.co.uk", "inbox.example.net", "example.de",
		"example.com.au"}
	leadCountries = []string{"GB", "AU", "DE", "AE", "ZA", "US", "CY", "SG", "JP", "NG", "ES", "FR"}
	leadSources   = []string{"website", "landing_page", "google_ads", "facebook_ads", "affiliate", "referral",
		"import", "ib_partner"}
	segmentsPool = []string{"vip", "high_value", "crypto", "es", "de", "dormant", "ib_client", "swap_free"}
	ascii        = strings.NewReplacer("é", "e", "ë", "e", "ü", "u", "ö", "o", "á", "a", "ó", "o", "í", "i",
		"ñ", "n", "'", "", " ", "", "-", "")
)

// phoneFor renders a phone number for country in one of several real-world
// formats (international with spaces, national, dashes, parentheses). Each
// is valid in its country: the fixed parts lie in ranges given to
// operators (not Ofcom's 07700 900 drama range or the US 555-01xx), and an
// AU mobile's second digit is mapped into 040x-043x and 046x. The number
// of digits drawn is what it always was, so the rest of the dataset does
// not move.
func (g *gen) phoneFor(country string) string {
	d := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteByte(byte('0' + g.intn(10)))
		}
		return b.String()
	}
	v := g.intn(3)
	switch country {
	case "GB":
		return []string{"+44 7400 123" + d(3), "07400 123" + d(3), "+447400123" + d(3)}[v]
	case "AU":
		au := func(n int) string { // 4 and n digits, a mobile range in use
			s := d(n)
			return string("01236"[(s[0]-'0')%5]) + s[1:]
		}
		return []string{"+61 4" + au(2) + " " + d(3) + " " + d(3), "04" + au(2) + " " + d(3) + " " + d(3), "+614" + au(8)}[v]
	case "DE":
		return []string{"+49 151 " + d(8), "0151 " + d(8), "+49-151-" + d(8)}[v]
	case "AE":
		return []string{"+971 50 " + d(3) + " " + d(4), "050 " + d(3) + " " + d(4), "+97150" + d(7)}[v]
	case "ZA":
		return []string{"+27 82 " + d(3) + " " + d(4), "082 " + d(3) + " " + d(4), "+2782" + d(7)}[v]
	case "US":
		return []string{"(212) 43" + d(1) + "-" + d(4), "+1-212-43" + d(1) + "-" + d(4), "+1 212 43" + d(1) + " " + d(4)}[v]
	case "SG":
		return []string{"+65 8" + d(3) + " " + d(4), "8" + d(3) + " " + d(4), "+658" + d(7)}[v]
	case "JP":
		return []string{"+81 90-" + d(4) + "-" + d(4), "090-" + d(4) + "-" + d(4), "+8190" + d(8)}[v]
	case "NG":
		return []string{"+234 803 " + d(3) + " " + d(4), "0803 " + d(3) + " " + d(4), "+234803" + d(7)}[v]
	case "ES":
		return []string{"+34 6" + d(2) + " " + d(3) + " " + d(3), "6" + d(2) + " " + d(2) + " " + d(2) + " " + d(2), "+346" + d(8)}[v]
	case "FR":
		return []string{"+33 6 " + d(2) + " " + d(2) + " " + d(2) + " " + d(2), "06." + d(2) + "." + d(2) + "." + d(2) + "." + d(2), "+336" + d(8)}[v]
	default:
		return []string{"+357 99 " + d(6), "99 " + d(6), "+35799" + d(6)}[v]
	}
}

type person struct {
	first, last, email, country string
}

// person draws a name, a unique email and a country.
func (g *gen) person() person {
	first, last := pick(g, firstNames), pick(g, lastNames)
	f, l := strings.ToLower(ascii.Replace(first)), strings.ToLower(ascii.Replace(last))
	dom := pick(g, emailDomains)
	var local string
	switch g.intn(6) {
	case 0:
		local = f + "." + l
	case 1:
		local = f + l + fmt.Sprint(g.intn(90)+10)
	case 2:
		local = f[:1] + "." + l
	case 3:
		local = f + "." + l + "+trading"
	case 4:
		local = strings.ToUpper(f[:1]) + f[1:] + "." + strings.ToUpper(l[:1]) + l[1:] // mixed case
	default:
		local = l + "_" + f
	}
	email := local + "@" + dom
	for n := 2; g.emails[strings.ToLower(email)]; n++ {
		email = fmt.Sprintf("%s%d@%s", local, n, dom)
	}
	g.emails[strings.ToLower(email)] = true
	return person{first: first, last: last, email: email, country: pick(g, leadCountries)}
}

// countryValue renders the country as stored: mostly upper case, sometimes
// lower case, empty or missing.
func (g *gen) countryValue(c string) *string {
	switch n := g.intn(20); {
	case n == 0:
		return nil
	case n == 1:
		return sp("")
	case n <= 3:
		return sp(strings.ToLower(c))
	}
	return sp(c)
}

func (g *gen) leadMetadata(i int) map[string]any {
	switch i % 5 {
	case 0:
		return map[string]any{}
	case 1:
		return map[string]any{"utm": map[string]any{"source": pick(g, []string{"google", "facebook", "newsletter"}),
			"medium": "cpc", "campaign": fmt.Sprintf("fx-q%d-2026", 1+g.intn(4))}}
	case 2:
		return map[string]any{"landingPage": "https://lp.example.com/gold-cfd?ref=" + fmt.Sprint(g.intn(1000)),
			"tags": []any{"warm", pick(g, []string{"es", "de", "en"})}, "affiliateId": fmt.Sprintf("AFF-%03d", g.intn(300))}
	case 3:
		return map[string]any{"import": map[string]any{"batch": "2026-09-12", "row": float64(g.intn(500) + 1)},
			"consent": map[string]any{"marketing": g.chance(0.5), "ts": "2026-09-12T08:00:00.000Z"}}
	}
	return nil
}

var (
	activitySubjects = map[string][]string{
		"note":    {"Follow-up note", "Qualification notes", "Internal note"},
		"call":    {"Outbound call", "Inbound call", "Call back requested"},
		"email":   {"Welcome pack sent", "Re: account opening", "Documents reminder"},
		"sms":     {"SMS reminder"},
		"meeting": {"Zoom onboarding", "Platform walkthrough"},
		"task":    {"Request proof of address", "Schedule demo", "Verify phone number"},
	}
	activityBodies = []string{
		"Prefers contact after 6pm, interested in \"gold\" CFDs, EUR account.",
		"Spoke 12 min; asked about leverage, fees and swap-free accounts.",
		"No answer, left voicemail.",
		"Agenda:\n- platform tour\n- KYC documents\n- first deposit options",
		"Cliente pidió información sobre cuentas en € y comisiones.",
		"Sent welcome email with MT5 download links.",
		"Reminder: your demo account expires in 3 days.",
		"",
	}
)

func (g *gen) activity(kind string, lead *Lead, trader *string, at time.Time) *Activity {
	a := &Activity{ID: g.uuid(), Kind: kind, TraderID: cloneStr(trader), OccurredAt: TS(at)}
	if lead != nil {
		a.LeadID = sp(lead.ID)
	}
	if subs, ok := activitySubjects[kind]; ok && !(kind == "sms" && g.chance(0.5)) {
		a.Subject = sp(pick(g, subs))
	}
	if !g.chance(0.15) {
		a.Body = sp(pick(g, activityBodies))
	}
	if g.chance(0.85) {
		a.CreatedByID = sp(pick(g, g.s.users[1:]).ID)
	}
	a.CreatedAt = TS(g.after(at, 2*time.Minute))
	return a
}

// ---- money ----

var usdRate = map[string]float64{"USD": 1, "EUR": 0.92, "GBP": 0.79, "AUD": 1.52, "JPY": 150, "USDT": 1}

func exponent(cur string) int {
	if cur == "JPY" {
		return 0
	}
	return 2
}

// minorFromUSD converts a USD amount in cents into minor units of cur.
func minorFromUSD(usdCents int64, cur string) int64 {
	v := float64(usdCents) * usdRate[cur]
	if exponent(cur) == 0 {
		v /= 100
	}
	return int64(math.Round(v))
}

// formatMinor renders minor units as the API's decimal string.
func formatMinor(m int64, cur string) string {
	if exponent(cur) == 0 {
		return fmt.Sprint(m)
	}
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d.%02d", sign, m/100, m%100)
}

// ---- generation ----

func (s *Server) generate() {
	seed := uint64(s.opts.Seed)
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x6c756d697265)), s: s, emails: map[string]bool{}}
	s.idRand = rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, 0x1d2c3b4a))
	size := s.opts.Records(DefaultSize)

	s.tenant = Tenant{ID: g.uuid(), Slug: TenantSlug, Name: "Leadpipe Demo Brokerage"}
	s.me = User{ID: g.uuid(), Email: Email, DisplayName: "Leadpipe Integration", Role: "admin"}
	s.users = []User{s.me,
		{ID: g.uuid(), Email: "amelia.hart@lumire-demo.test", DisplayName: "Amelia Hart", Role: "sales"},
		{ID: g.uuid(), Email: "kenji.watanabe@lumire-demo.test", DisplayName: "Kenji Watanabe", Role: "sales"},
		{ID: g.uuid(), Email: "sofia.marin@lumire-demo.test", DisplayName: "Sofía Marín", Role: "sales_manager"},
		{ID: g.uuid(), Email: "daniel.okafor@lumire-demo.test", DisplayName: "Daniel Okafor", Role: "sales"},
	}
	s.pipeline = Pipeline{ID: g.uuid(), Slug: "default", Name: "Default sales pipeline", IsDefault: true}
	for i, st := range []struct {
		name string
		p    int
	}{{"New", 10}, {"Contacted", 25}, {"Qualified", 50}, {"Won", 100}, {"Lost", 0}} {
		s.pipeline.Stages = append(s.pipeline.Stages, PipelineStage{ID: g.uuid(), Name: st.name, Position: i, Probability: st.p})
	}
	if size == 0 {
		return // an empty account: the tenant, its users and its pipeline only
	}

	start := Anchor.AddDate(0, 0, -180)
	var traders []*Trader

	// Leads, their activities, and traders for converted leads.
	actIdx := 0
	for i := 0; i < size; i++ {
		p := g.person()
		status := weighted(g, LeadStatuses, []int{25, 20, 15, 10, 15, 15})
		if i < len(LeadStatuses) {
			status = LeadStatuses[i]
		}
		created := g.between(start, Anchor.Add(-time.Hour))
		l := &Lead{ID: g.uuid(), Email: p.email, Status: status, CreatedAt: TS(created)}
		if !g.chance(0.1) {
			l.Phone = sp(g.phoneFor(p.country))
		} else if g.chance(0.5) {
			l.Phone = sp("")
		}
		l.FirstName = sp(p.first)
		if g.chance(0.08) {
			l.LastName = nil
		} else {
			l.LastName = sp(p.last)
		}
		l.Country = g.countryValue(p.country)
		if !g.chance(0.12) {
			l.Source = sp(pick(g, leadSources))
		}
		if !g.chance(0.15) {
			l.AssignedToID = sp(pick(g, s.users[1:]).ID)
		}
		if !g.chance(0.2) {
			l.Score = ip(g.intn(101))
		}
		l.PipelineStageID = s.stageForStatus(status)
		l.Metadata = g.leadMetadata(i)
		updated := g.after(created, 30*24*time.Hour)
		var traderID *string
		if status == "converted" {
			conv := g.after(created, 20*24*time.Hour)
			if conv.After(updated) {
				updated = conv
			}
			t := &Trader{
				ID: g.uuid(), Email: l.Email, Phone: cloneStr(l.Phone), FirstName: cloneStr(l.FirstName),
				LastName: cloneStr(l.LastName), Country: cloneStr(l.Country), Segments: []string{},
				Source: cloneStr(l.Source), AssignedToID: cloneStr(l.AssignedToID), LeadID: sp(l.ID),
				Metadata: map[string]any{"convertedFromLeadId": l.ID}, CreatedAt: TS(conv),
			}
			traders = append(traders, t)
			l.ConvertedTraderID, l.ConvertedAt = sp(t.ID), tsPtr(conv)
			traderID = l.ConvertedTraderID
		}
		l.UpdatedAt = TS(updated)
		s.leads.add(l)

		n := 1 + g.intn(5)
		for k := 0; k < n; k++ {
			kind := weighted(g, ActivityKinds[:6], []int{25, 30, 20, 8, 7, 10})
			if actIdx < len(ActivityKinds)-1 {
				kind = ActivityKinds[actIdx]
			}
			actIdx++
			a := g.activity(kind, l, nil, g.between(created, updated.Add(time.Millisecond)))
			if traderID != nil && l.ConvertedAt != nil && !a.OccurredAt.Before(l.ConvertedAt.Time) {
				a.TraderID = cloneStr(traderID)
			}
			s.activities.add(a)
		}
		if status != "new" {
			to := status
			subj := "Status changed from new to " + to
			a := &Activity{ID: g.uuid(), LeadID: sp(l.ID), TraderID: cloneStr(traderID), Kind: "status_change",
				Subject: &subj, OccurredAt: TS(updated), CreatedAt: TS(updated)}
			if l.AssignedToID != nil {
				a.CreatedByID = cloneStr(l.AssignedToID)
			}
			s.activities.add(a)
		}
	}

	// Traders that did not come from a lead.
	nTraders := max(size*3/5, 12, len(traders))
	for i := len(traders); i < nTraders; i++ {
		p := g.person()
		t := &Trader{ID: g.uuid(), Email: p.email, FirstName: sp(p.first), LastName: sp(p.last),
			Country: g.countryValue(p.country), CreatedAt: TS(g.between(start.AddDate(0, -6, 0), Anchor.Add(-2*time.Hour)))}
		if !g.chance(0.1) {
			t.Phone = sp(g.phoneFor(p.country))
		}
		if !g.chance(0.3) {
			t.Source = sp(pick(g, leadSources))
		}
		if !g.chance(0.2) {
			t.AssignedToID = sp(pick(g, s.users[1:]).ID)
		}
		t.Segments = []string{}
		for k := g.intn(3); k > 0; k-- {
			seg := pick(g, segmentsPool)
			if !strings.Contains(strings.Join(t.Segments, ","), seg) {
				t.Segments = append(t.Segments, seg)
			}
		}
		switch i % 4 {
		case 0:
			t.Metadata = map[string]any{}
		case 1:
			t.Metadata = map[string]any{"ib": map[string]any{"code": fmt.Sprintf("IB-%04d", g.intn(9999)), "tier": "silver"}}
		case 2:
			t.Metadata = map[string]any{"legacyId": fmt.Sprint(100000 + g.intn(900000))}
		}
		traders = append(traders, t)
	}
	var accounts []*Account
	for i, t := range traders {
		t.KYCStatus = weighted(g, KYCStatuses, []int{20, 20, 50, 10})
		if i < len(KYCStatuses) {
			t.KYCStatus = KYCStatuses[i]
		}
		switch g.intn(8) {
		case 0:
			t.DateOfBirth = nil
		case 1:
			t.DateOfBirth = sp(fmt.Sprintf("%d-01-01T00:00:00.000Z", 1960+g.intn(45)))
		default:
			t.DateOfBirth = sp(fmt.Sprintf("%d-%02d-%02d", 1960+g.intn(45), 1+g.intn(12), 1+g.intn(28)))
		}
		t.UpdatedAt = TS(g.after(t.CreatedAt.Time, 40*24*time.Hour))
		s.traders.add(t)

		n := 1
		if g.chance(0.4) {
			n = 2
		}
		for k := 0; k < n; k++ {
			j := len(accounts)
			a := &Account{ID: g.uuid(), TraderID: t.ID,
				Platform: weighted(g, AccountPlatforms, []int{25, 50, 15, 10}),
				Status:   weighted(g, AccountStatuses, []int{80, 12, 8}),
				Currency: weighted(g, Currencies, []int{40, 20, 12, 10, 8, 10}),
				Leverage: pick(g, []int{30, 50, 100, 200, 500}), IsDemo: g.chance(0.1),
				AccountNumber: fmt.Sprint(1000000 + g.intn(899000000)),
				CreatedAt:     TS(g.after(t.CreatedAt.Time, 10*24*time.Hour))}
			if j < len(AccountPlatforms) {
				a.Platform = AccountPlatforms[j]
			}
			if j < len(AccountStatuses) {
				a.Status = AccountStatuses[j]
			}
			if j < len(Currencies) {
				a.Currency = Currencies[j]
			}
			if !g.chance(0.2) {
				a.ExternalID = sp(a.Platform + "-" + a.AccountNumber)
			}
			bal := int64(g.intn(5000000))
			a.Balance = formatMinor(minorFromUSD(bal, a.Currency), a.Currency)
			a.Equity = formatMinor(minorFromUSD(bal+int64(g.intn(int(bal/5)+1))-bal/10, a.Currency), a.Currency)
			if g.chance(0.5) {
				a.Metadata = map[string]any{"server": "LumireMarkets-Live0" + fmt.Sprint(1+g.intn(3)), "group": "real\\" + a.Currency}
			} else {
				a.Metadata = map[string]any{}
			}
			a.UpdatedAt = TS(g.after(a.CreatedAt.Time, 60*24*time.Hour))
			accounts = append(accounts, a)
			s.accounts.add(a)
		}
	}

	// Deposits and withdrawals, each with its ledger transaction.
	var txs []*Transaction
	payment := func(kind, status string, acc *Account, deposit bool) (amount, fee, net *string, settled *Timestamp, created, updated time.Time, cur string) {
		cur = acc.Currency
		usd := int64(5000 + g.intn(2000000))
		if !deposit {
			usd /= 2
		}
		m := minorFromUSD(usd, cur)
		amount = sp(formatMinor(m, cur))
		created = g.between(acc.CreatedAt.Time, Anchor.Add(-time.Minute))
		updated = created
		if status == "settled" || status == "reversed" {
			st := g.after(created, 72*time.Hour)
			settled = tsPtr(st)
			bps := map[string]int64{"card": 250, "crypto": 100, "ewallet": 150, "bank_wire": 0}[kind]
			f := m * bps / 10000
			fee, net = sp(formatMinor(f, cur)), sp(formatMinor(m-f, cur))
			updated = st
			if status == "reversed" {
				updated = g.after(st, 10*24*time.Hour)
			}
		} else if status != "pending" {
			updated = g.after(created, 48*time.Hour)
		}
		return
	}
	txFor := func(kind, status, traderID string, accountID *string, amount, cur, ref string, at, updated time.Time, desc string) *Transaction {
		return &Transaction{ID: g.uuid(), TraderID: traderID, AccountID: cloneStr(accountID), Kind: kind,
			Status: txStatusFor(status), Amount: amount, Currency: cur, Reference: sp(ref), Description: sp(desc),
			OccurredAt: TS(at), Metadata: map[string]any{}, CreatedAt: TS(at), UpdatedAt: TS(updated)}
	}
	kindLabel := map[string]string{"card": "Card", "bank_wire": "Bank wire", "crypto": "Crypto", "ewallet": "E-wallet"}
	nDeposits := max(len(traders)*2, 20)
	for j := 0; j < nDeposits; j++ {
		acc := pick(g, accounts)
		kind := weighted(g, PaymentKinds, []int{45, 25, 20, 10})
		status := weighted(g, DepositStatuses, []int{12, 10, 55, 15, 8})
		if j < 20 {
			kind, status = PaymentKinds[j%4], DepositStatuses[(j/4)%5]
		}
		amount, fee, net, settled, created, updated, cur := payment(kind, status, acc, true)
		d := &Deposit{ID: g.uuid(), TraderID: acc.TraderID, AccountID: sp(acc.ID), Kind: kind, Status: status,
			Amount: *amount, Currency: cur, FeeAmount: fee, NetAmount: net, SettledAt: settled,
			CreatedAt: TS(created), UpdatedAt: TS(updated)}
		if g.chance(0.05) {
			d.AccountID = nil
		}
		if g.chance(0.7) {
			d.PaymentMethodID = sp(g.uuid())
		}
		d.Reconciled = status == "settled" && g.chance(0.5)
		if !g.chance(0.1) {
			switch kind {
			case "card":
				d.ExternalID = sp(fmt.Sprintf("ch_%016x", g.r.Uint64()))
			case "bank_wire":
				d.ExternalID = sp(fmt.Sprintf("WIRE-%s-%05d", created.Format("20060102"), g.intn(100000)))
			case "crypto":
				d.ExternalID = sp(fmt.Sprintf("0x%016x%016x%016x%016x", g.r.Uint64(), g.r.Uint64(), g.r.Uint64(), g.r.Uint64()))
			default:
				d.ExternalID = sp(fmt.Sprintf("SKR-%08d", g.intn(100000000)))
			}
		}
		switch kind {
		case "card":
			d.Metadata = map[string]any{"psp": "stripe", "cardBrand": pick(g, []string{"visa", "mastercard"}), "last4": fmt.Sprintf("%04d", g.intn(10000))}
		case "bank_wire":
			d.Metadata = map[string]any{"bankName": pick(g, []string{"Barclays", "Deutsche Bank", "Emirates NBD"}), "reference": "LMR" + fmt.Sprint(g.intn(1000000))}
		case "crypto":
			d.Metadata = map[string]any{"chain": pick(g, []string{"BSC", "Base", "TRON"}), "confirmations": float64(12 + g.intn(40))}
		default:
			d.Metadata = map[string]any{}
		}
		s.deposits.add(d)
		at := created
		if settled != nil {
			at = settled.Time
		}
		txs = append(txs, txFor("deposit", status, d.TraderID, d.AccountID, d.Amount, cur, d.ID, at, updated,
			kindLabel[kind]+" deposit"))
	}
	nWithdrawals := max(len(traders)*4/5, 8)
	for j := 0; j < nWithdrawals; j++ {
		acc := pick(g, accounts)
		kind := weighted(g, PaymentKinds, []int{25, 45, 25, 5})
		status := weighted(g, WithdrawalStatuses, []int{15, 10, 60, 15})
		if j < 8 {
			kind, status = PaymentKinds[j%4], WithdrawalStatuses[j%4]
		}
		amount, fee, net, settled, created, updated, cur := payment(kind, status, acc, false)
		wd := &Withdrawal{ID: g.uuid(), TraderID: acc.TraderID, AccountID: sp(acc.ID), Kind: kind, Status: status,
			Amount: *amount, Currency: cur, FeeAmount: fee, NetAmount: net, SettledAt: settled,
			CreatedAt: TS(created), UpdatedAt: TS(updated), Metadata: map[string]any{}}
		if g.chance(0.6) {
			wd.PaymentMethodID = sp(g.uuid())
		}
		switch kind {
		case "bank_wire":
			wd.DestinationRef = sp(fmt.Sprintf("GB%02dNWBK6016%010d", g.intn(100), g.intn(1000000000)))
		case "crypto":
			wd.DestinationRef = sp(fmt.Sprintf("T%033x", g.r.Uint64()))
		case "card":
			wd.DestinationRef = sp(fmt.Sprintf("card ****%04d", g.intn(10000)))
		default:
			if g.chance(0.5) {
				wd.DestinationRef = sp("skrill:" + strings.ToLower(ascii.Replace(pick(g, firstNames))) + "@example.com")
			}
		}
		if status == "settled" {
			wd.ExternalID = sp(fmt.Sprintf("PO-%08d", g.intn(100000000)))
			wd.Reconciled = g.chance(0.5)
		}
		s.withdrawals.add(wd)
		at := created
		if settled != nil {
			at = settled.Time
		}
		txs = append(txs, txFor("withdrawal", status, wd.TraderID, wd.AccountID, wd.Amount, cur, wd.ID, at, updated,
			kindLabel[kind]+" withdrawal"))
	}

	// Stand-alone ledger entries: commissions, bonuses, fees, adjustments...
	descriptions := map[string][]string{
		"deposit":    {"Manual deposit, back-office"},
		"withdrawal": {"Manual withdrawal, back-office"},
		"commission": {"IB commission, EURUSD 12.5 lots", "Rebate \"Gold Rush\" campaign", "Commission — XAUUSD"},
		"bonus":      {"Welcome bonus 20%", "Bonus \"Refer a friend\", credited", "Loyalty bonus"},
		"fee":        {"Inactivity fee", "Swap fee, weekend", "Wire fee"},
		"adjustment": {"Balance correction, ticket #4512", "Negative balance protection", ""},
		"transfer":   {"Internal transfer between accounts", "Transfer to MAM sub-account"},
	}
	nExtra := max(len(traders), 14)
	for j := 0; j < nExtra; j++ {
		acc := pick(g, accounts)
		if j < len(Currencies) {
			for _, a := range accounts {
				if a.Currency == Currencies[j] {
					acc = a
					break
				}
			}
		}
		kind := weighted(g, TransactionKinds, []int{2, 2, 30, 20, 25, 10, 15})
		status := weighted(g, TransactionStatuses, []int{10, 70, 7, 8, 5})
		if j < 14 {
			kind, status = TransactionKinds[j%7], TransactionStatuses[j%5]
		}
		usd := map[string]int64{"commission": 20000, "bonus": 50000, "fee": 5000, "adjustment": 30000, "transfer": 500000}[kind]
		if usd == 0 {
			usd = 100000
		}
		m := minorFromUSD(100+g.r.Int64N(usd), acc.Currency)
		if kind == "adjustment" && g.chance(0.5) {
			m = -m
		}
		at := g.between(acc.CreatedAt.Time, Anchor.Add(-time.Minute))
		t := &Transaction{ID: g.uuid(), TraderID: acc.TraderID, AccountID: sp(acc.ID), Kind: kind, Status: status,
			Amount: formatMinor(m, acc.Currency), Currency: acc.Currency, OccurredAt: TS(at), CreatedAt: TS(at),
			UpdatedAt: TS(g.after(at, 24*time.Hour)), Metadata: map[string]any{}}
		if d := pick(g, descriptions[kind]); d != "" {
			t.Description = sp(d)
		}
		if g.chance(0.6) {
			t.ExternalID = sp(fmt.Sprintf("ext-%010d", g.intn(1000000000)))
			for s.txByExternal[*t.ExternalID] != "" {
				t.ExternalID = sp(fmt.Sprintf("ext-%010d", g.intn(1000000000)))
			}
			s.txByExternal[*t.ExternalID] = t.ID
		}
		if kind == "commission" && g.chance(0.7) {
			t.Reference = sp(fmt.Sprintf("IB-%04d", g.intn(10000)))
			t.Metadata = map[string]any{"symbol": pick(g, []string{"EURUSD", "XAUUSD", "US30"}), "lots": float64(g.intn(500)) / 10}
		}
		if kind == "adjustment" && g.chance(0.5) {
			t.AccountID = nil
		}
		txs = append(txs, t)
	}
	// The rare statuses: one withdrawal the trader called off (a pending
	// one, so nothing was paid: its ledger entry is cancelled too), and one
	// contacted lead kept warm.
	pending := 0
	for _, w := range s.withdrawals.items {
		if w.Status == "pending" {
			if pending++; pending < 2 {
				continue
			}
			w.Status = RareWithdrawalStatuses[0]
			for _, t := range txs {
				if t.Reference != nil && *t.Reference == w.ID {
					t.Status = "cancelled"
				}
			}
			break
		}
	}
	contacted := 0
	for _, l := range s.leads.items {
		if l.Status == "contacted" && l.ConvertedTraderID == nil {
			if contacted++; contacted == 2 { // the first keeps every status covered in a small dataset
				l.Status = RareLeadStatuses[0]
				break
			}
		}
	}
	for _, t := range txs {
		s.transactions.add(t)
	}

	s.leads.sortAll()
	s.activities.sortAll()
	s.traders.sortAll()
	s.accounts.sortAll()
	s.deposits.sortAll()
	s.withdrawals.sortAll()
	s.transactions.sortAll()
	for _, a := range s.activities.items {
		if a.LeadID != nil {
			s.actByLead[*a.LeadID] = append(s.actByLead[*a.LeadID], a)
		}
	}
}
