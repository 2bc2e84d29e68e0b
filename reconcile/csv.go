package reconcile

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"

	"github.com/leadpipe/leadpipe/schema"
)

// CSV files are for spreadsheets: amounts are plain numbers with two
// decimals and no separators ("1234567.50") beside a currency column, so a
// spreadsheet reads them as numbers; times are RFC 3339.

// CSVFiles returns every section as a CSV file, by file name.
func (r *Report) CSVFiles() map[string][]byte {
	out := map[string][]byte{}
	put := func(name string, header []string, rows [][]string) {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(header)
		_ = w.WriteAll(rows)
		out[name] = buf.Bytes()
	}
	itoa := strconv.Itoa

	var rows [][]string
	for _, s := range r.Submissions {
		found, notSeen, awaiting := "", "", ""
		if s.Matchable {
			found, notSeen, awaiting = itoa(s.Found), itoa(s.NotSeen), itoa(s.Awaiting)
		}
		rows = append(rows, []string{s.Period, r.periodLabel(s.Period), s.Vendor, s.Target, itoa(s.Sent), itoa(s.Accepted),
			itoa(s.RejectedVendor), itoa(s.Failed), itoa(s.RejectedValidation), itoa(s.Pending), itoa(s.NeedsHuman),
			found, notSeen, awaiting, itoa(s.Funded)})
	}
	put("submissions.csv", []string{"period", "period_label", "vendor", "target", "sent", "accepted", "rejected_by_vendor", "failed",
		"rejected_before_sending", "pending", "needs_human", "found_at_vendor", "not_seen", "awaiting_pull", "funded"}, rows)

	rows = nil
	for _, rj := range r.Rejections {
		http := ""
		if rj.HTTP != 0 {
			http = itoa(rj.HTTP)
		}
		rows = append(rows, []string{rj.Date, rj.Vendor, rj.Target, rj.Pipeline, itoa(rj.Row), rj.Key, rj.Stage, http, rj.Reason})
	}
	put("rejections.csv", []string{"date", "vendor", "target", "pipeline", "row", "key", "stage", "http_status", "reason"}, rows)

	rows = nil
	for _, f := range r.Funnel {
		row := []string{f.Period, r.periodLabel(f.Period), f.Vendor}
		for _, st := range schema.Statuses {
			row = append(row, itoa(f.Counts[st]))
		}
		rows = append(rows, append(row, itoa(f.Total), ratio(f.Counts[schema.StatusFunded], f.Total)))
	}
	put("funnel.csv", append(append([]string{"period", "period_label", "vendor"}, schema.Statuses...), "total", "funded_ratio"), rows)

	rows = nil
	for _, f := range r.Funded {
		com := ""
		if f.CommissionLoans > 0 {
			com = plainCents(f.Commission)
		}
		rows = append(rows, []string{f.Period, r.periodLabel(f.Period), f.Vendor, f.Currency, itoa(f.Loans), plainCents(f.Principal),
			com, itoa(f.CommissionLoans)})
	}
	put("funded.csv", []string{"period", "period_label", "vendor", "currency", "loans", "funded", "commission", "loans_with_commission"}, rows)

	rows = nil
	for _, d := range r.FundedByDay {
		rows = append(rows, []string{d.Day, d.Vendor, d.Currency, itoa(d.Loans), plainCents(d.Principal), plainCents(d.Commission)})
	}
	put("funded_by_day.csv", []string{"day", "vendor", "currency", "loans", "funded", "commission"}, rows)

	rows = nil
	for _, rp := range r.Repayments {
		compared := rp.Status != RepaymentNotInLake && rp.Status != RepaymentUnverified
		since, change, diff, now := "", "", "", ""
		if compared {
			since, change, diff = rfc(rp.Since), plainCents(rp.VendorChange), plainCents(rp.Difference)
		}
		if rp.HasRepaid {
			now = plainCents(rp.RepaidNow)
		}
		rows = append(rows, []string{rp.Period, r.periodLabel(rp.Period), rp.LoanRef, rp.Currency, itoa(rp.Pushes), plainCents(rp.Pushed),
			since, plainCents(rp.Expected), change, diff, now, rp.Status})
	}
	put("repayments.csv", []string{"period", "period_label", "loan_ref", "currency", "repayments", "inserted", "compared_since",
		"expected_change", "vendor_change", "difference", "repaid_now", "status"}, rows)

	rows = nil
	for _, e := range r.Exceptions {
		rows = append(rows, []string{e.Kind, e.Vendor, e.Ref, rfc(e.Since), e.Detail})
	}
	put("exceptions.csv", []string{"kind", "vendor", "ref", "since", "detail"}, rows)
	return out
}

func (r *Report) periodLabel(key string) string {
	for _, p := range r.Periods {
		if p.Key == key {
			return p.Label
		}
	}
	return key
}

func ratio(num, den int) string {
	if den == 0 {
		return ""
	}
	return fmt.Sprintf("%.4f", float64(num)/float64(den))
}

func rfc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
