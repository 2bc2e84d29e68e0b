package reconcile

import (
	"context"
	"time"

	"github.com/leadpipe/leadpipe/schema"
)

// lead is the current state of one lead, from the latest row of its uid.
type lead struct {
	uid, vendor, vendorID, partnerRef, status string
	// created is the vendor's created_at, or when leadpipe first saw the
	// lead if the vendor gives none.
	created time.Time
}

// loanRow is one changelog row of a loan.
type loanRow struct {
	status                        string
	principal, repaid, commission int64
	hasPrincipal, hasRepaid       bool
	hasCommission                 bool
	fundedAt, extracted           time.Time
	// fundedSource is funded_at_source: vendor, or first_seen (the first
	// pull that saw the loan funded: no funding date). Empty in files
	// written before the column existed, when only vendors set funded_at.
	fundedSource string
}

// loan is one loan's history, newest row first.
type loan struct {
	uid, vendor, vendorID, leadUID, currency string
	created                                  time.Time // the vendor's created_at (zero when it gives none)
	rows                                     []loanRow
}

func (l *loan) latest() loanRow { return l.rows[0] }

// firstSeen is the first extraction of the loan: when leadpipe started
// tracking it.
func (l *loan) firstSeen() time.Time { return l.rows[len(l.rows)-1].extracted }

// vendorFunded is the vendor's own funding time (funded_at of the newest
// row that has one from the vendor), or zero.
func (l *loan) vendorFunded() time.Time {
	for _, r := range l.rows {
		if !r.fundedAt.IsZero() && (r.fundedSource == "" || r.fundedSource == schema.FundedAtVendor) {
			return r.fundedAt
		}
	}
	return time.Time{}
}

// fundedSeen is what the pulls saw of a funded loan with no funding date:
// the first extraction that showed it funded, and the last one before it
// that did not (zero when the very first pull already saw it funded: funded
// before leadpipe tracked it).
func (l *loan) fundedSeen() (first, lastNot time.Time) {
	for i := len(l.rows) - 1; i >= 0; i-- { // oldest first
		r := l.rows[i]
		if r.status == schema.StatusFunded {
			return r.extracted, lastNot
		}
		lastNot = r.extracted
	}
	return time.Time{}, time.Time{}
}

// lakeData is what the report needs from the lake.
type lakeData struct {
	leads    []*lead
	leadByID map[string]*lead // vendor + "\x00" + vendor_lead_id
	leadByRf map[string]*lead // vendor + "\x00" + partner_ref
	leadUID  map[string]*lead
	loans    []*loan
	loanByID map[string]*loan // vendor + "\x00" + vendor_loan_id
	payments map[string]bool  // vendor + "\x00" + vendor_payment_id
	files    int
	// lastPull is the newest extracted_at per vendor over every table.
	lastPull map[string]time.Time
}

func vk(vendor, id string) string { return vendor + "\x00" + id }

func loadLake(ctx context.Context, l *lakeReader) (*lakeData, error) {
	d := &lakeData{leadByID: map[string]*lead{}, leadByRf: map[string]*lead{}, leadUID: map[string]*lead{},
		loanByID: map[string]*loan{}, payments: map[string]bool{}, lastPull: map[string]time.Time{}}
	seen := func(vendor string, t time.Time) {
		if t.After(d.lastPull[vendor]) {
			d.lastPull[vendor] = t
		}
	}

	fl, err := l.readTable(ctx, schema.Leads, []string{"lead_uid", "vendor", "vendor_lead_id", "partner_ref", "status",
		"created_at", "updated_at", "extracted_at"})
	if err != nil {
		return nil, err
	}
	defer fl.release()
	d.files += fl.files
	for i := 0; i < fl.n; {
		uid := fl.str("lead_uid", i)
		j := i
		for j < fl.n && fl.str("lead_uid", j) == uid {
			seen(fl.str("vendor", j), fl.ts("extracted_at", j))
			j++
		}
		if uid != "" {
			ld := &lead{uid: uid, vendor: fl.str("vendor", i), vendorID: fl.str("vendor_lead_id", i),
				partnerRef: fl.str("partner_ref", i), status: fl.str("status", i), created: fl.ts("created_at", i)}
			if ld.created.IsZero() {
				ld.created = fl.ts("extracted_at", j-1) // the oldest row: first seen
			}
			d.leads = append(d.leads, ld)
			d.leadUID[uid] = ld
			if ld.vendorID != "" {
				d.leadByID[vk(ld.vendor, ld.vendorID)] = ld
			}
			if ld.partnerRef != "" {
				d.leadByRf[vk(ld.vendor, ld.partnerRef)] = ld
			}
		}
		i = j
	}

	fo, err := l.readTable(ctx, schema.Loans, []string{"loan_uid", "vendor", "vendor_loan_id", "lead_uid", "status",
		"principal", "repaid", "currency", "commission_amount", "funded_at", "funded_at_source", "created_at", "updated_at", "extracted_at"})
	if err != nil {
		return nil, err
	}
	defer fo.release()
	d.files += fo.files
	for i := 0; i < fo.n; {
		uid := fo.str("loan_uid", i)
		ln := &loan{uid: uid, vendor: fo.str("vendor", i), vendorID: fo.str("vendor_loan_id", i),
			leadUID: fo.str("lead_uid", i), currency: fo.str("currency", i), created: fo.ts("created_at", i)}
		j := i
		for j < fo.n && fo.str("loan_uid", j) == uid {
			r := loanRow{status: fo.str("status", j), fundedAt: fo.ts("funded_at", j), fundedSource: fo.str("funded_at_source", j), extracted: fo.ts("extracted_at", j)}
			r.principal, r.hasPrincipal = fo.dec("principal", j)
			r.repaid, r.hasRepaid = fo.dec("repaid", j)
			r.commission, r.hasCommission = fo.dec("commission_amount", j)
			ln.rows = append(ln.rows, r)
			seen(fo.str("vendor", j), r.extracted)
			j++
		}
		if uid != "" {
			d.loans = append(d.loans, ln)
			if ln.vendorID != "" {
				d.loanByID[vk(ln.vendor, ln.vendorID)] = ln
			}
		}
		i = j
	}

	fp, err := l.readTable(ctx, schema.Payments, []string{"payment_uid", "vendor", "vendor_payment_id", "extracted_at"})
	if err != nil {
		return nil, err
	}
	defer fp.release()
	d.files += fp.files
	for i := 0; i < fp.n; i++ {
		v := fp.str("vendor", i)
		seen(v, fp.ts("extracted_at", i))
		if id := fp.str("vendor_payment_id", i); id != "" {
			d.payments[vk(v, id)] = true
		}
	}
	return d, nil
}
