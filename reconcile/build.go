package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/pipelines/receipts"
	"github.com/leadpipe/leadpipe/pipelines/schedule"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// Build reads the state store and the lake and computes the report. It
// writes nothing.
func Build(ctx context.Context, o Options) (*Report, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	asOf := o.now()
	day := o.Day
	if day.IsZero() {
		day, _ = ParseDay("", asOf, o.Location)
	}
	d := day.In(o.Location)
	dayFrom := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, o.Location)
	dayTo := dayFrom.AddDate(0, 0, 1)
	mtdFrom := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, o.Location)
	r := &Report{
		Day:      dayFrom.Format("2006-01-02"),
		Timezone: o.Location.String(),
		AsOf:     asOf,
		Periods: []Period{
			{Key: "day", Label: dayFrom.Format("2006-01-02"), From: dayFrom, To: dayTo},
			{Key: "mtd", Label: mtdFrom.Format("2006-01-02") + " – " + dayFrom.Format("2006-01-02"), From: mtdFrom, To: dayTo},
		},
	}

	st, err := storage.Open(ctx, o.Lake, o.LakeStorage)
	if err != nil {
		return nil, fmt.Errorf("open lake: %w", err)
	}
	r.Lake = st.URL("")
	lake, err := loadLake(ctx, &lakeReader{st: st, url: r.Lake, mem: memory.DefaultAllocator, files: o.TableFiles})
	if err != nil {
		return nil, err
	}
	r.LakeFiles, r.LastPull = lake.files, lake.lastPull
	if lake.files == 0 {
		// Nothing read is no reason for a clean report.
		return nil, fmt.Errorf("%w: %s holds no published data file under leads/, loans/ or payments/; check the lake's location "+
			"(--lake, lake: in %s, or the reconcile pipeline's lake:)", ErrEmptyLake, r.Lake, config.ProjectFileName)
	}

	b := &builder{o: o, r: r, lake: lake, loansByLead: map[string][]*loan{}, exc: map[string]bool{}, proof: map[string]string{}}
	for _, ln := range lake.loans {
		if ln.leadUID != "" {
			b.loansByLead[ln.leadUID] = append(b.loansByLead[ln.leadUID], ln)
		}
	}
	if err := b.loadState(ctx); err != nil {
		return nil, err
	}
	b.submissions(ctx)
	b.funnel()
	b.funded()
	b.repayments()
	b.pendingAndHuman()
	b.stale(ctx)
	b.noData()
	b.unknownValues()
	sort.SliceStable(r.Exceptions, func(i, j int) bool {
		a, c := r.Exceptions[i], r.Exceptions[j]
		if a.Kind != c.Kind {
			return excOrder(a.Kind) < excOrder(c.Kind)
		}
		if a.Vendor != c.Vendor {
			return a.Vendor < c.Vendor
		}
		return a.Ref < c.Ref
	})
	return r, nil
}

// ErrEmptyLake is the error of a report whose lake has no data at all.
var ErrEmptyLake = errors.New("reconcile: the lake is empty")

func excOrder(kind string) int {
	for i, k := range excKinds {
		if k == kind {
			return i
		}
	}
	return 99
}

type builder struct {
	o           Options
	r           *Report
	lake        *lakeData
	loansByLead map[string][]*loan
	ledger      []ledgerRow
	runs        []state.Run
	runByID     map[string]state.Run
	exc         map[string]bool
	// submittedAt is when leadpipe submitted a loan the vendor accepted
	// (its creation, for vendors that give no created_at); paidOut when
	// leadpipe confirmed its payout (its funding, for vendors that give no
	// funded_at). By vendor and vendor loan id.
	submittedAt, paidOut map[string]time.Time
	// proof is what the lake says about a row whose outcome is unknown
	// (vendor + key → text), for its exception.
	proof map[string]string
}

// ledgerRow is a ledger entry with its parsed scope.
type ledgerRow struct {
	state.LedgerEntry
	vendor, target string
}

// parseScope splits "<connector>/<target>@account" (the account part is
// optional).
func parseScope(scope string) (vendor, target string) {
	s, _, _ := strings.Cut(scope, "@")
	vendor, target, _ = strings.Cut(s, "/")
	return vendor, target
}

func (b *builder) loadState(ctx context.Context) error {
	scopes, err := b.o.Store.LedgerScopes(ctx, "")
	if err != nil {
		return fmt.Errorf("read push ledger: %w", err)
	}
	for _, sc := range scopes {
		entries, err := b.o.Store.LedgerList(ctx, sc)
		if err != nil {
			return err
		}
		v, t := parseScope(sc)
		for _, e := range entries {
			b.ledger = append(b.ledger, ledgerRow{LedgerEntry: e, vendor: v, target: t})
		}
	}
	b.submittedAt, b.paidOut = map[string]time.Time{}, map[string]time.Time{}
	for _, e := range b.ledger {
		if e.Status != state.LedgerDone || e.VendorID == "" {
			continue
		}
		switch matchKind(e.target) {
		case "loan":
			b.submittedAt[vk(e.vendor, e.VendorID)] = e.FirstTryAt
		case "payout":
			b.paidOut[vk(e.vendor, e.VendorID)] = e.FirstTryAt
		}
	}
	b.runs, err = b.o.Store.Runs(ctx, state.RunFilter{})
	if err != nil {
		return err
	}
	b.runByID = map[string]state.Run{}
	for _, run := range b.runs {
		b.runByID[run.ID] = run
	}
	return nil
}

func (b *builder) addException(e Exception) {
	k := e.Kind + "\x00" + e.Vendor + "\x00" + e.Ref
	if b.exc[k] {
		return
	}
	b.exc[k] = true
	b.r.Exceptions = append(b.r.Exceptions, e)
}

// matchKind is what a push target creates at the vendor, and so where the
// latest pull shows it.
func matchKind(target string) string {
	switch target {
	case "leads":
		return "lead"
	case "loans":
		return "loan"
	case "transactions":
		return "payment"
	case "repayments":
		return "repayment"
	case "cash_releases":
		return "payout"
	}
	return ""
}

// found looks an accepted row up in the lake: a lead by the vendor's id or
// by partner_ref (the row key lumi writes to external_id and bizcap to
// partnerLeadReferenceId), a loan by its vendor id, a payment by its id.
func (b *builder) found(e ledgerRow) (ok bool, funded bool) {
	switch matchKind(e.target) {
	case "lead":
		ld := b.lake.leadByID[vk(e.vendor, e.VendorID)]
		if ld == nil || e.VendorID == "" {
			ld = b.lake.leadByRf[vk(e.vendor, e.Key)]
		}
		if ld == nil {
			return false, false
		}
		return true, b.leadStatus(ld) == schema.StatusFunded
	case "loan":
		ln := b.lake.loanByID[vk(e.vendor, e.VendorID)]
		if ln == nil {
			return false, false
		}
		return true, ln.latest().status == schema.StatusFunded
	case "payment":
		return b.lake.payments[vk(e.vendor, e.VendorID)], false
	}
	return false, false
}

var progression = map[string]int{
	schema.StatusNew: 0, schema.StatusContacting: 1, schema.StatusQualifying: 2,
	schema.StatusApplication: 3, schema.StatusApproved: 4, schema.StatusFunded: 5,
}

// leadStatus is a lead's furthest stage over itself and its loans: any
// funded loan makes it funded; a loan further along the funnel than the
// lead (a Bizcap deal approved while the lead says "application") moves
// it on. A lead's own final status (declined, lost, expired) stands.
func (b *builder) leadStatus(ld *lead) string {
	best := ld.status
	for _, ln := range b.loansByLead[ld.uid] {
		s := ln.latest().status
		if s == schema.StatusFunded {
			return s
		}
		rb, okb := progression[best]
		rs, oks := progression[s]
		if okb && oks && rs > rb {
			best = s
		}
	}
	return best
}

// ------------------------------------------------------------ submissions

type subKey struct{ period, vendor, target string }

func (b *builder) submissions(ctx context.Context) {
	rows := map[subKey]*Submissions{}
	get := func(p, v, t string) *Submissions {
		k := subKey{p, v, t}
		if s := rows[k]; s != nil {
			return s
		}
		s := &Submissions{Period: p, Vendor: v, Target: t, Matchable: matchKind(t) == "lead" || matchKind(t) == "loan" || matchKind(t) == "payment",
			Fundable: matchKind(t) == "lead" || matchKind(t) == "loan"}
		rows[k] = s
		return s
	}
	asOf := b.r.AsOf
	for _, e := range b.ledger {
		found, funded := false, false
		matchable := get("", e.vendor, e.target).Matchable
		if e.Status == state.LedgerDone && matchable {
			found, funded = b.found(e)
			if !found && asOf.Sub(e.UpdatedAt) > b.o.NotSeenAfter {
				b.addException(Exception{Kind: ExcNotSeen, Vendor: e.vendor, Ref: e.Key, Since: e.UpdatedAt,
					Detail: fmt.Sprintf("%s accepted %s (vendor id %s, pipeline %s, row %d) %s ago; the latest pull does not show it",
						e.target, stamp(e.UpdatedAt, b.o.Location), orDash(e.VendorID), e.Pipeline, e.Row, ago(asOf.Sub(e.UpdatedAt)))})
			}
		}
		for _, p := range b.r.Periods {
			if !p.has(e.FirstTryAt) {
				continue
			}
			s := get(p.Key, e.vendor, e.target)
			if e.Status == state.LedgerWaiting {
				s.Waiting++ // not sent: the vendor does not accept it yet
				continue
			}
			s.Sent++
			switch e.Status {
			case state.LedgerDone:
				s.Accepted++
				if matchable {
					switch {
					case found:
						s.Found++
					case asOf.Sub(e.UpdatedAt) > b.o.NotSeenAfter:
						s.NotSeen++
					default:
						s.Awaiting++
					}
				}
				if funded {
					s.Funded++
				}
			case state.LedgerFailed:
				if e.HTTPStatus >= 400 && e.HTTPStatus < 500 {
					s.RejectedVendor++
				} else {
					s.Failed++
				}
			case state.LedgerPending:
				s.Pending++
			case state.LedgerNeedsHuman:
				s.NeedsHuman++
			}
		}
		if e.Status == state.LedgerFailed && b.r.Periods[1].has(e.FirstTryAt) {
			stage := "vendor"
			if e.HTTPStatus < 400 || e.HTTPStatus >= 500 {
				stage = "failed"
			}
			b.r.Rejections = append(b.r.Rejections, Rejection{Date: e.FirstTryAt.In(b.o.Location).Format("2006-01-02"),
				Vendor: e.vendor, Target: e.target, Pipeline: e.Pipeline, Row: e.Row, Key: e.Key, Stage: stage,
				HTTP: e.HTTPStatus, Reason: e.Error})
		}
	}
	b.validationRejects(ctx, get)

	var out []Submissions
	for _, s := range rows {
		if s.Period == "" {
			continue
		}
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if a.Vendor != c.Vendor {
			return a.Vendor < c.Vendor
		}
		if a.Target != c.Target {
			return a.Target < c.Target
		}
		return a.Period == "day" && c.Period != "day"
	})
	// Totals add up one kind of submission over the vendors (leads with
	// leads), never different kinds: an application, a repayment and a
	// cash release are not three of anything.
	for _, p := range b.r.Periods {
		byTarget := map[string][]Submissions{}
		var targets []string
		for _, s := range out {
			if s.Period != p.Key {
				continue
			}
			if byTarget[s.Target] == nil {
				targets = append(targets, s.Target)
			}
			byTarget[s.Target] = append(byTarget[s.Target], s)
		}
		sort.Strings(targets)
		for _, tg := range targets {
			rows := byTarget[tg]
			if len(rows) < 2 {
				continue
			}
			t := Submissions{Period: p.Key, Vendor: Total, Target: tg, Matchable: rows[0].Matchable, Fundable: rows[0].Fundable}
			for _, s := range rows {
				t.Sent += s.Sent
				t.Accepted += s.Accepted
				t.RejectedVendor += s.RejectedVendor
				t.Failed += s.Failed
				t.RejectedValidation += s.RejectedValidation
				t.Pending += s.Pending
				t.NeedsHuman += s.NeedsHuman
				t.Waiting += s.Waiting
				t.Found += s.Found
				t.NotSeen += s.NotSeen
				t.Awaiting += s.Awaiting
				t.Funded += s.Funded
			}
			out = append(out, t)
		}
	}
	b.r.Submissions = out
	sort.SliceStable(b.r.Rejections, func(i, j int) bool {
		a, c := b.r.Rejections[i], b.r.Rejections[j]
		if a.Date != c.Date {
			return a.Date > c.Date
		}
		if a.Vendor != c.Vendor {
			return a.Vendor < c.Vendor
		}
		if a.Pipeline != c.Pipeline {
			return a.Pipeline < c.Pipeline
		}
		return a.Row < c.Row
	})
}

// runSummary is the part of a run's summary JSON the report reads.
type runSummary struct {
	Unknowns []schema.UnknownCount `json:"unknown_values"`
	Push     *struct {
		Receipts string `json:"receipts"`
	} `json:"push"`
}

func parseSummary(raw json.RawMessage) runSummary {
	var s runSummary
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

// validationRejects reads the receipts of the push runs of the month: rows
// rejected before sending are in no ledger. A key rejected by several runs
// counts once (its latest run); a key that was later sent is not counted.
func (b *builder) validationRejects(ctx context.Context, get func(p, v, t string) *Submissions) {
	mtd := b.r.Periods[1]
	inLedger := map[string]bool{}
	for _, e := range b.ledger {
		inLedger[e.vendor+"/"+e.target+"\x00"+e.Key] = true
	}
	type rej struct {
		Rejection
		at time.Time
	}
	latest := map[string]rej{}
	runs := append([]state.Run(nil), b.runs...)
	sort.Slice(runs, func(i, j int) bool { return runs[i].StartedAt.Before(runs[j].StartedAt) })
	for _, run := range runs {
		if run.Kind != "push" || !mtd.has(run.StartedAt) {
			continue
		}
		sum := parseSummary(run.Summary)
		if sum.Push == nil || sum.Push.Receipts == "" {
			continue
		}
		vendor, target := parseScope(run.Sink)
		recs, err := receipts.Read(ctx, sum.Push.Receipts, b.o.LakeStorage)
		if err != nil {
			b.r.Notes = append(b.r.Notes, fmt.Sprintf("receipts of run %s (%s) could not be read, so its rejected rows are not counted: %v", run.ID, run.Pipeline, err))
			continue
		}
		for _, rc := range recs {
			if rc.Outcome != "rejected" {
				continue
			}
			key := rc.Key
			if key == "" {
				key = "row " + strconv.Itoa(rc.Row)
			}
			if inLedger[vendor+"/"+target+"\x00"+key] {
				continue
			}
			latest[run.Pipeline+"\x00"+key] = rej{at: run.StartedAt, Rejection: Rejection{
				Date: run.StartedAt.In(b.o.Location).Format("2006-01-02"), Vendor: vendor, Target: target,
				Pipeline: run.Pipeline, Row: rc.Row, Key: rc.Key, Stage: "validation", Reason: rc.Error}}
		}
	}
	for _, rj := range latest {
		for _, p := range b.r.Periods {
			if p.has(rj.at) {
				get(p.Key, rj.Vendor, rj.Target).RejectedValidation++
			}
		}
		b.r.Rejections = append(b.r.Rejections, rj.Rejection)
	}
}

// ------------------------------------------------------------ funnel

func (b *builder) funnel() {
	type fk struct{ period, vendor string }
	rows := map[fk]*Funnel{}
	add := func(vendor, status string, created time.Time) {
		for _, p := range b.r.Periods {
			if !p.has(created) {
				continue
			}
			for _, v := range []string{vendor, Total} {
				f := rows[fk{p.Key, v}]
				if f == nil {
					f = &Funnel{Period: p.Key, Vendor: v, Counts: map[string]int{}}
					rows[fk{p.Key, v}] = f
				}
				f.Counts[status]++
				f.Total++
			}
		}
	}
	for _, ld := range b.lake.leads {
		add(ld.vendor, b.leadStatus(ld), ld.created)
	}
	// A loan with no lead in the lake (Iute has no leads) is its own
	// funnel entry.
	undated := 0
	for _, ln := range b.lake.loans {
		if ln.leadUID != "" && b.lake.leadUID[ln.leadUID] != nil {
			continue
		}
		created := ln.created
		if created.IsZero() {
			created = b.submittedAt[vk(ln.vendor, ln.vendorID)] // leadpipe's own application
		}
		if created.IsZero() {
			// Neither the vendor nor leadpipe says when it was created (an
			// imported loan book): the day of its first pull would count
			// old loans as new.
			if b.r.Periods[1].has(ln.firstSeen()) {
				undated++
			}
			continue
		}
		add(ln.vendor, ln.latest().status, created)
	}
	if undated > 0 {
		b.r.Notes = append(b.r.Notes, fmt.Sprintf("%d loans first pulled this month have no creation date (the vendor gives none and leadpipe did not submit them: an imported loan book), so they are not in the funnel", undated))
	}
	var out []Funnel
	for _, f := range rows {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if (a.Vendor == Total) != (c.Vendor == Total) {
			return c.Vendor == Total
		}
		if a.Vendor != c.Vendor {
			return a.Vendor < c.Vendor
		}
		return a.Period == "day" && c.Period != "day"
	})
	b.r.Funnel = out
}

// Conversion is funded / total, as a percentage string.
func (f Funnel) Conversion() string { return percent(f.Counts[schema.StatusFunded], f.Total) }

// ------------------------------------------------------------ funded

// fundingDate is when a funded loan was funded and what says so: the
// vendor's funded_at, or the payout leadpipe itself confirmed to the vendor
// (an Iute cash release: Iute's own answer at a known time). Zero when
// nothing gives a date: such a loan is never counted in a day's figure.
func (b *builder) fundingDate(ln *loan) (time.Time, string) {
	if t := ln.vendorFunded(); !t.IsZero() {
		return t, DatedByVendor
	}
	if t, ok := b.paidOut[vk(ln.vendor, ln.vendorID)]; ok {
		return t, DatedByPayout
	}
	return time.Time{}, ""
}

func addSource(list, src string) string {
	for _, s := range strings.Split(list, "; ") {
		if s == src {
			return list
		}
	}
	if list == "" {
		return src
	}
	return list + "; " + src
}

func (b *builder) funded() {
	type key struct{ period, vendor, currency string }
	type dkey struct{ day, vendor, currency string }
	type ukey struct{ vendor, currency, from, to string }
	rows := map[key]*Funded{}
	days := map[dkey]*FundedDay{}
	undated := map[ukey]*UndatedFunded{}
	mtd := b.r.Periods[1]
	dayOf := func(t time.Time) string { return t.In(b.o.Location).Format("2006-01-02") }
	for _, ln := range b.lake.loans {
		lr := ln.latest()
		if lr.status != schema.StatusFunded {
			continue
		}
		ft, src := b.fundingDate(ln)
		if ft.IsZero() {
			first, lastNot := ln.fundedSeen()
			if !mtd.has(first) {
				continue
			}
			k := ukey{ln.vendor, ln.currency, "", dayOf(first)}
			if !lastNot.IsZero() {
				k.from = dayOf(lastNot)
			}
			u := undated[k]
			if u == nil {
				u = &UndatedFunded{Vendor: k.vendor, Currency: k.currency, SeenNotFunded: k.from, SeenFunded: k.to}
				undated[k] = u
			}
			u.Loans++
			u.Principal += lr.principal
			continue
		}
		for _, p := range b.r.Periods {
			if !p.has(ft) {
				continue
			}
			for _, v := range []string{ln.vendor, Total} {
				k := key{p.Key, v, ln.currency}
				f := rows[k]
				if f == nil {
					f = &Funded{Period: p.Key, Vendor: v, Currency: ln.currency}
					rows[k] = f
				}
				f.Loans++
				f.Principal += lr.principal
				if lr.hasCommission {
					f.Commission += lr.commission
					f.CommissionLoans++
				}
				f.DatedBy = addSource(f.DatedBy, src)
			}
		}
		if mtd.has(ft) {
			k := dkey{dayOf(ft), ln.vendor, ln.currency}
			d := days[k]
			if d == nil {
				d = &FundedDay{Day: k.day, Vendor: k.vendor, Currency: k.currency}
				days[k] = d
			}
			d.Loans++
			d.Principal += lr.principal
			if lr.hasCommission {
				d.Commission += lr.commission
				d.CommissionLoans++
			}
			d.DatedBy = addSource(d.DatedBy, src)
		}
	}
	// A total over one vendor repeats its row.
	vendors := map[key]int{}
	for k := range rows {
		if k.vendor != Total {
			vendors[key{k.period, Total, k.currency}]++
		}
	}
	for k, f := range rows {
		if k.vendor == Total && vendors[k] < 2 {
			continue
		}
		b.r.Funded = append(b.r.Funded, *f)
	}
	sort.Slice(b.r.Funded, func(i, j int) bool {
		a, c := b.r.Funded[i], b.r.Funded[j]
		if (a.Vendor == Total) != (c.Vendor == Total) {
			return c.Vendor == Total
		}
		if a.Vendor != c.Vendor {
			return a.Vendor < c.Vendor
		}
		if a.Currency != c.Currency {
			return a.Currency < c.Currency
		}
		return a.Period == "day" && c.Period != "day"
	})
	for _, d := range days {
		b.r.FundedByDay = append(b.r.FundedByDay, *d)
	}
	sort.Slice(b.r.FundedByDay, func(i, j int) bool {
		a, c := b.r.FundedByDay[i], b.r.FundedByDay[j]
		if a.Day != c.Day {
			return a.Day < c.Day
		}
		if a.Vendor != c.Vendor {
			return a.Vendor < c.Vendor
		}
		return a.Currency < c.Currency
	})
	for _, u := range undated {
		b.r.Undated = append(b.r.Undated, *u)
	}
	sort.Slice(b.r.Undated, func(i, j int) bool {
		a, c := b.r.Undated[i], b.r.Undated[j]
		if a.SeenFunded != c.SeenFunded {
			return a.SeenFunded < c.SeenFunded
		}
		if a.Vendor != c.Vendor {
			return a.Vendor < c.Vendor
		}
		if a.Currency != c.Currency {
			return a.Currency < c.Currency
		}
		return a.SeenNotFunded < c.SeenNotFunded
	})
}

// ------------------------------------------------------------ repayments

type pushedRepayment struct {
	ledgerRow
	amount   int64
	currency string
	// unconfirmed: the outcome is unknown (needs_human or pending), so the
	// repayment may or may not be in the vendor's balance.
	unconfirmed bool
}

// repayments compares, loan by loan, what leadpipe inserted at Iute with
// how the loan's `repaid` moved between the last pull before the period's
// first repayment and the latest pull. Repayments whose outcome is unknown
// are shown beside the confirmed ones: the balance is the evidence a person
// needs to settle them.
func (b *builder) repayments() {
	byLoan := map[string][]pushedRepayment{}
	for _, e := range b.ledger {
		if matchKind(e.target) != "repayment" {
			continue
		}
		unconfirmed := false
		switch e.Status {
		case state.LedgerDone:
		case state.LedgerNeedsHuman, state.LedgerPending:
			unconfirmed = true
		default:
			continue
		}
		ref := e.Extra["loan_ref"]
		if ref == "" && !unconfirmed {
			ref = e.VendorID
		}
		m, err := schema.ParseMoney(e.Extra["amount"])
		if err != nil || !m.Valid || ref == "" {
			b.r.Notes = append(b.r.Notes, fmt.Sprintf("repayment %s (pipeline %s, row %d, %s) has no readable loan and amount in the push ledger; it is not reconciled", e.Key, e.Pipeline, e.Row, e.Status))
			continue
		}
		byLoan[e.vendor+"\x00"+ref] = append(byLoan[e.vendor+"\x00"+ref], pushedRepayment{ledgerRow: e, amount: m.Cents, currency: e.Extra["currency"], unconfirmed: unconfirmed})
	}
	keys := make([]string, 0, len(byLoan))
	for k := range byLoan {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	asOf := b.r.AsOf
	for _, p := range b.r.Periods {
		for _, k := range keys {
			vendor, ref, _ := strings.Cut(k, "\x00")
			pushes := byLoan[k]
			sort.Slice(pushes, func(i, j int) bool { return pushes[i].FirstTryAt.Before(pushes[j].FirstTryAt) })
			var first time.Time
			var unsettled []pushedRepayment
			row := Repayment{Period: p.Key, LoanRef: ref}
			for _, pr := range pushes {
				if !p.has(pr.FirstTryAt) {
					continue
				}
				if first.IsZero() {
					first = pr.FirstTryAt
				}
				if pr.unconfirmed {
					row.Unconfirmed++
					row.UnconfirmedAmount += pr.amount
					unsettled = append(unsettled, pr)
				} else {
					row.Pushes++
					row.Pushed += pr.amount
				}
				if row.Currency == "" {
					row.Currency = pr.currency
				}
			}
			if row.Pushes+row.Unconfirmed == 0 {
				continue
			}
			ln := b.lake.loanByID[vk(vendor, ref)]
			if ln == nil {
				row.Status = RepaymentNotInLake
				row.Expected = row.Pushed
				if asOf.Sub(first) > b.o.NotSeenAfter {
					b.addException(Exception{Kind: ExcNotSeen, Vendor: vendor, Ref: "loan " + ref, Since: first,
						Detail: fmt.Sprintf("repayments inserted since %s, but the lake has no loan info for loan %s", stamp(first, b.o.Location), ref)})
				}
				b.r.Repayments = append(b.r.Repayments, row)
				continue
			}
			if row.Currency == "" {
				row.Currency = ln.currency
			}
			latest := ln.latest()
			row.RepaidNow, row.HasRepaid = latest.repaid, latest.hasRepaid
			var base *loanRow
			for i := range ln.rows {
				if ln.rows[i].extracted.Before(first) {
					base = &ln.rows[i]
					break
				}
			}
			if base == nil || !base.hasRepaid || !latest.hasRepaid {
				row.Status = RepaymentUnverified
				row.Expected = row.Pushed
				b.r.Notes = append(b.r.Notes, fmt.Sprintf("loan %s: no loan info was pulled before its first repayment of %s, so the repayments cannot be compared with the vendor's balance", ref, p.Label))
				b.r.Repayments = append(b.r.Repayments, row)
				continue
			}
			row.Since = base.extracted
			var oldestAwaiting time.Time
			for _, pr := range pushes {
				if pr.unconfirmed || !pr.FirstTryAt.After(base.extracted) {
					continue
				}
				if pr.UpdatedAt.After(latest.extracted) {
					if oldestAwaiting.IsZero() {
						oldestAwaiting = pr.UpdatedAt
					}
					continue
				}
				row.Expected += pr.amount
			}
			row.VendorChange = latest.repaid - base.repaid
			row.Difference = row.VendorChange - row.Expected
			money := func(c int64) Money { return Money{c, row.Currency} }
			moved := fmt.Sprintf("since %s the vendor's repaid moved by %s (%s → %s), and leadpipe's confirmed repayments account for %s",
				stamp(base.extracted, b.o.Location), money(row.VendorChange), money(base.repaid), money(latest.repaid), money(row.Expected))
			switch {
			case row.Unconfirmed > 0 && oldestAwaiting.IsZero() && row.Difference == row.UnconfirmedAmount:
				row.Status = RepaymentUnconfirmedIn
				b.evidence(unsettled, fmt.Sprintf("evidence: %s; the rest, %s, is exactly the unconfirmed repayments of loan %s: they most likely arrived. Check, then `leadpipe ledger resolve --pipeline P KEY --vendor-id %s`",
					moved, money(row.Difference), ref, ref))
			case row.Unconfirmed > 0 && oldestAwaiting.IsZero() && row.Difference == 0:
				row.Status = RepaymentUnconfirmedOut
				b.evidence(unsettled, fmt.Sprintf("evidence: %s, nothing more: the unconfirmed repayments of loan %s (%s) most likely did not arrive. Check, then `leadpipe ledger forget --pipeline P KEY` to send them",
					moved, ref, money(row.UnconfirmedAmount)))
			case row.Difference != 0:
				row.Status = RepaymentDifference
				detail := fmt.Sprintf("leadpipe inserted %s since %s; the vendor's repaid moved by %s (%s → %s): difference %s",
					money(row.Expected), stamp(base.extracted, b.o.Location), money(row.VendorChange),
					money(base.repaid), money(latest.repaid), money(row.Difference))
				if row.Unconfirmed > 0 {
					detail += fmt.Sprintf(" (with %s of repayments whose outcome is unknown)", money(row.UnconfirmedAmount))
					b.evidence(unsettled, "evidence: "+moved+"; that does not settle these repayments")
				}
				b.addException(Exception{Kind: ExcRepayment, Vendor: vendor, Ref: "loan " + ref, Since: base.extracted, Detail: detail})
			case !oldestAwaiting.IsZero():
				row.Status = RepaymentAwaiting
				if asOf.Sub(oldestAwaiting) > b.o.NotSeenAfter {
					b.addException(Exception{Kind: ExcNotSeen, Vendor: vendor, Ref: "loan " + ref, Since: oldestAwaiting,
						Detail: fmt.Sprintf("a repayment inserted %s is not in any loan info pulled since", stamp(oldestAwaiting, b.o.Location))})
				}
			default:
				row.Status = RepaymentOK
			}
			b.r.Repayments = append(b.r.Repayments, row)
		}
	}
}

// evidence records, for ledger rows whose outcome is unknown, what the
// lake says about them; their exceptions carry it.
func (b *builder) evidence(rows []pushedRepayment, text string) {
	for _, pr := range rows {
		b.proof[vk(pr.vendor, pr.Key)] = strings.ReplaceAll(text, "--pipeline P KEY", "--pipeline "+pr.Pipeline+" "+pr.Key)
	}
}

// ------------------------------------------------------------ exceptions

// pendingAndHuman lists ledger rows whose outcome is unknown: pending rows
// no running run is working on (a crash, a lost answer) and rows that need
// a human.
func (b *builder) pendingAndHuman() {
	for _, e := range b.ledger {
		switch e.Status {
		case state.LedgerPending:
			if run, ok := b.runByID[e.RunID]; ok && run.Status == state.RunRunning {
				continue // being sent right now
			}
			detail := fmt.Sprintf("%s row %d of pipeline %s (run %s) was sent, or being sent, when its answer was lost or its run stopped; the next run of %s checks with the vendor before resending",
				e.target, e.Row, e.Pipeline, e.RunID, e.Pipeline)
			if p := b.proof[vk(e.vendor, e.Key)]; p != "" {
				detail += ". " + p
			}
			b.addException(Exception{Kind: ExcPending, Vendor: e.vendor, Ref: e.Key, Since: e.UpdatedAt, Detail: detail})
		case state.LedgerNeedsHuman:
			detail := fmt.Sprintf("%s row %d of pipeline %s: %s", e.target, e.Row, e.Pipeline, orDash(e.Error))
			if amt := e.Extra["amount"]; amt != "" {
				detail += " (amount " + amt + ")"
			}
			if p := b.proof[vk(e.vendor, e.Key)]; p != "" {
				detail += ". " + p
			}
			b.addException(Exception{Kind: ExcNeedsHuman, Vendor: e.vendor, Ref: e.Key, Since: e.UpdatedAt, Detail: detail})
		}
	}
}

// stale lists scheduled pipelines with no successful run since their last
// fire time (plus the grace period).
func (b *builder) stale(ctx context.Context) {
	asOf := b.r.AsOf
	for _, sp := range b.o.Pipelines {
		if sp.Schedule == "" {
			continue
		}
		spec, err := schedule.Parse(sp.Schedule, sp.Timezone, schedule.ParseOptions{Location: b.o.Location})
		if err != nil {
			b.addException(Exception{Kind: ExcStale, Vendor: sp.Vendor, Ref: sp.Name, Detail: fmt.Sprintf("%s: schedule %q cannot be read: %v", sp.File, sp.Schedule, err)})
			continue
		}
		due, ok := lastFire(spec, asOf.Add(-b.o.StaleGrace))
		if !ok {
			continue
		}
		last, err := b.o.Store.LastSuccess(ctx, sp.Name)
		if err != nil {
			b.r.Notes = append(b.r.Notes, fmt.Sprintf("last success of %s could not be read: %v", sp.Name, err))
			continue
		}
		if !last.Before(due) {
			continue
		}
		lastTxt := "it has never succeeded"
		if !last.IsZero() {
			lastTxt = "its last success was " + stamp(last, b.o.Location) + " (" + ago(asOf.Sub(last)) + " ago)"
		}
		b.addException(Exception{Kind: ExcStale, Vendor: sp.Vendor, Ref: sp.Name, Since: due,
			Detail: fmt.Sprintf("scheduled %q: a run was due %s; %s", sp.Schedule, stamp(due, b.o.Location), lastTxt)})
	}
}

// lastFire is the latest fire time of spec at or before t.
func lastFire(spec *schedule.Spec, t time.Time) (time.Time, bool) {
	for back := time.Hour; back <= 800*24*time.Hour; back *= 2 {
		var last time.Time
		for f := spec.Next(t.Add(-back)); !f.IsZero() && !f.After(t); f = spec.Next(f) {
			last = f
		}
		if !last.IsZero() {
			return last, true
		}
	}
	return time.Time{}, false
}

// noData lists the vendors that have a pipeline (a push in the ledger, or a
// pipeline file given to the report) but no row in the lake: their part of
// the report would look clean because nothing was read.
func (b *builder) noData() {
	why := map[string][]string{}
	add := func(vendor, what string) {
		if vendor == "" || slices.Contains(why[vendor], what) {
			return
		}
		why[vendor] = append(why[vendor], what)
	}
	for _, e := range b.ledger {
		add(e.vendor, "pipeline "+e.Pipeline+" pushed to it")
	}
	for _, p := range b.o.Pipelines {
		add(p.Vendor, "pipeline "+p.Name+" ("+p.File+")")
	}
	for vendor, reasons := range why {
		if !b.r.LastPull[vendor].IsZero() {
			continue
		}
		sort.Strings(reasons)
		b.addException(Exception{Kind: ExcNoData, Vendor: vendor, Ref: "lake",
			Detail: fmt.Sprintf("the lake %s has no %s data, although %s: its part of this report read nothing. Is the pull pipeline writing to another lake, or has it never run?",
				b.r.Lake, vendor, strings.Join(reasons, "; "))})
	}
}

// unknownValues lists the vendor values no mapping knew, seen by runs since
// the start of the report day.
func (b *builder) unknownValues() {
	type agg struct {
		count     int64
		pipelines map[string]bool
		first     time.Time
	}
	m := map[schema.UnknownKey]*agg{}
	for _, run := range b.runs {
		if run.StartedAt.Before(b.r.Periods[0].From) || run.StartedAt.After(b.r.AsOf) {
			continue
		}
		for _, u := range parseSummary(run.Summary).Unknowns {
			a := m[u.UnknownKey]
			if a == nil {
				a = &agg{pipelines: map[string]bool{}, first: run.StartedAt}
				m[u.UnknownKey] = a
			}
			a.count += u.Count
			a.pipelines[run.Pipeline] = true
			if run.StartedAt.Before(a.first) {
				a.first = run.StartedAt
			}
		}
	}
	for k, a := range m {
		var ps []string
		for p := range a.pipelines {
			ps = append(ps, p)
		}
		sort.Strings(ps)
		b.addException(Exception{Kind: ExcUnknownValues, Vendor: k.Vendor, Ref: k.Field + "=" + k.Value, Since: a.first,
			Detail: fmt.Sprintf("%s %q is not a documented value: seen %d times by %s; kept raw and mapped to a safe value, add it to the connector's map",
				k.Field, k.Value, a.count, strings.Join(ps, ", "))})
	}
}

// ------------------------------------------------------------ helpers

func stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

func ago(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
