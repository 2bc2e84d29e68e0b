package reconcile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/leadpipe/leadpipe/schema"
)

// Every section of the report is one table model, rendered three ways:
// HTML (for people), Markdown (email and chat) and CSV (spreadsheets). The
// three carry the same columns in the same order, so what one shows the
// others show; only the formatting of a cell differs (the CSV writes plain
// numbers, "1234.50", where people read "1,234.50"). Money columns sit
// beside a currency column, and a value that is not known says so in words
// ("not reported", "n/a") in every format.

// NotReported is the cell of an amount no row reports (a vendor that gives
// no commission).
const NotReported = "not reported"

type column struct {
	Name  string // the header people read
	CSV   string // the CSV header
	Right bool   // a number: right-aligned
	Wide  bool   // long text: may wrap anywhere
}

type tcell struct {
	Text  string // as people read it
	Sort  string // the HTML sort key (numbers); "" = Text
	Class string // HTML class ("bad")
	// CSV is the cell for spreadsheets when it differs from Text (hasCSV):
	// plain numbers, RFC 3339 times, "" for a dash.
	CSV    string
	hasCSV bool
}

func (c tcell) csv() string {
	if c.hasCSV {
		return c.CSV
	}
	return c.Text
}

// forCSV sets the cell's CSV text.
func (c tcell) forCSV(s string) tcell {
	c.CSV, c.hasCSV = s, true
	return c
}

type table struct {
	ID    string // the CSV file is <ID>.csv; the HTML table t-<ID>
	Title string
	Intro string // said before the table
	Cols  []column
	Rows  [][]tcell
	Empty string // said instead of an empty table
	After string // said after the table
	// Limit: the Markdown lists at most MaxListed rows (the CSV has all).
	Limit bool
}

func text(s string) tcell { return tcell{Text: s} }

func count(n int) tcell { s := strconv.Itoa(n); return tcell{Text: s, Sort: s} }

// amount is money in a table that has a currency column: "1,234.50"
// (people), "1234.50" (CSV).
func amount(cents int64) tcell {
	p := plainCents(cents)
	return tcell{Text: groupCents(cents), Sort: p}.forCSV(p)
}

// amountIf is an amount, or "—" when it cannot be known.
func amountIf(ok bool, cents int64) tcell {
	if !ok {
		return tcell{Text: "—"}.forCSV("")
	}
	return amount(cents)
}

func fundedRatio(s Submissions) tcell {
	if !s.Fundable {
		return text("n/a")
	}
	return ratioCell(s.Funded, s.Accepted)
}

func ratioCell(num, den int) tcell {
	return tcell{Text: percent(num, den), Sort: ratio(num, den)}.forCSV(ratio(num, den))
}

// commission is a commission sum over the loans that report one, or
// NotReported when none does.
func commission(cents int64, loans int) tcell {
	if loans == 0 {
		return tcell{Text: NotReported, Sort: "-1"}
	}
	return amount(cents)
}

func num(name, csv string) column  { return column{Name: name, CSV: csv, Right: true} }
func word(name, csv string) column { return column{Name: name, CSV: csv} }
func wide(name, csv string) column { return column{Name: name, CSV: csv, Wide: true} }

func na(ok bool, n int) tcell {
	if !ok {
		return text("n/a")
	}
	return count(n)
}

// tables are the report's sections, in order.
func (r *Report) tables() []table {
	loc := r.Periods[0].From.Location()
	var out []table

	t := table{ID: "submissions", Title: "Submissions",
		Intro: "Rows pushed to each vendor, by the day their first send was tried. Totals add up one kind of submission over the vendors, never different kinds.",
		Cols: []column{word("vendor", "vendor"), word("target", "target"), word("period", "period"), num("sent", "sent"),
			num("accepted", "accepted"), num("refused by vendor", "refused_by_vendor"), num("rejected before sending", "rejected_before_sending"),
			num("unknown outcome", "unknown_outcome"), num("waiting", "waiting"), num("found at vendor", "found_at_vendor"),
			num("awaiting pull", "awaiting_pull"), num("not seen", "not_seen"), num("funded", "funded"), num("accepted → funded", "funded_ratio")},
		Empty: "Nothing was pushed in the month."}
	for _, s := range r.Submissions {
		notSeen := na(s.Matchable, s.NotSeen)
		if s.NotSeen > 0 {
			notSeen.Class = "bad"
		}
		t.Rows = append(t.Rows, []tcell{text(s.Vendor), text(s.Target), text(r.periodName(s.Period)), count(s.Sent), count(s.Accepted),
			count(s.RejectedVendor + s.Failed), count(s.RejectedValidation), count(s.Pending + s.NeedsHuman), count(s.Waiting),
			na(s.Matchable, s.Found), na(s.Matchable, s.Awaiting), notSeen, na(s.Fundable, s.Funded), fundedRatio(s)})
	}
	out = append(out, t)

	t = table{ID: "rejections", Title: "Rejected rows (month to date)", Limit: true, Empty: "No rejected rows.",
		Cols: []column{word("date", "date"), word("vendor", "vendor"), word("target", "target"), word("pipeline", "pipeline"), num("row", "row"),
			wide("key", "key"), word("stage", "stage"), num("HTTP", "http_status"), wide("reason", "reason")}}
	for _, rj := range r.Rejections {
		http := ""
		if rj.HTTP != 0 {
			http = strconv.Itoa(rj.HTTP)
		}
		t.Rows = append(t.Rows, []tcell{text(rj.Date), text(rj.Vendor), text(rj.Target), text(rj.Pipeline), count(rj.Row), text(rj.Key),
			text(rj.Stage), text(http), text(rj.Reason)})
	}
	out = append(out, t)

	cols := []column{word("vendor", "vendor"), word("period", "period")}
	for _, st := range schema.Statuses {
		cols = append(cols, num(st, st))
	}
	t = table{ID: "funnel", Title: "Funnel", Cols: append(cols, num("total", "total"), num("→ funded", "funded_ratio")),
		Intro: "Leads created in the period, by their current status (a lead counts at the furthest stage of itself or its loans; a loan with no lead counts itself, from the day the vendor or leadpipe created it).",
		Empty: "No leads were created in the month."}
	for _, f := range r.Funnel {
		row := []tcell{text(f.Vendor), text(r.periodName(f.Period))}
		for _, st := range schema.Statuses {
			row = append(row, count(f.Counts[st]))
		}
		t.Rows = append(t.Rows, append(row, count(f.Total), ratioCell(f.Counts[schema.StatusFunded], f.Total)))
	}
	out = append(out, t)

	fundedCols := func(first ...column) []column {
		return append(first, word("currency", "currency"), num("loans", "loans"), num("funded", "funded"), num("commission", "commission"),
			num("loans with commission", "loans_with_commission"), word("funding date from", "funding_date_from"))
	}
	t = table{ID: "funded", Title: "Funded and commission", Cols: fundedCols(word("vendor", "vendor"), word("period", "period")),
		Intro: "Loans funded in the period, by the date the vendor gives (funded_at) or the payout leadpipe confirmed. Amounts are per currency and never added across currencies.",
		Empty: "No loan with a funding date was funded in the month."}
	for _, f := range r.Funded {
		t.Rows = append(t.Rows, []tcell{text(f.Vendor), text(r.periodName(f.Period)), text(f.Currency), count(f.Loans), amount(f.Principal),
			commission(f.Commission, f.CommissionLoans), count(f.CommissionLoans), text(f.DatedBy)})
	}
	out = append(out, t)

	t = table{ID: "funded_by_day", Title: "Funded by day (month to date)", Cols: fundedCols(word("day", "day"), word("vendor", "vendor")),
		Empty: "No loan with a funding date was funded in the month."}
	for _, d := range r.FundedByDay {
		t.Rows = append(t.Rows, []tcell{text(d.Day), text(d.Vendor), text(d.Currency), count(d.Loans), amount(d.Principal),
			commission(d.Commission, d.CommissionLoans), count(d.CommissionLoans), text(d.DatedBy)})
	}
	out = append(out, t)

	t = table{ID: "funded_undated", Title: "Funded, with no funding date",
		Intro: "Loans first pulled funded this month that nothing dates: the vendor gives no funded_at and the payout did not go through leadpipe. They are in no day's funded figure.",
		Cols: []column{word("vendor", "vendor"), word("currency", "currency"), num("loans", "loans"), num("funded", "funded"),
			word("first pulled funded", "first_pulled_funded"), word("last pulled not funded", "last_pulled_not_funded"), wide("funding", "funding")},
		Empty: "None."}
	for _, u := range r.Undated {
		t.Rows = append(t.Rows, []tcell{text(u.Vendor), text(u.Currency), count(u.Loans), amount(u.Principal), text(u.SeenFunded),
			text(orDash(u.SeenNotFunded)).forCSV(u.SeenNotFunded), text(u.Describe())})
	}
	out = append(out, t)

	t = table{ID: "repayments", Title: "Repayments",
		Intro: "Per loan: the repayments leadpipe inserted, against how much the loan's repaid moved between the last pull before them and the latest pull. Unconfirmed repayments have an unknown outcome; the balance is the evidence.",
		Cols: []column{word("loan", "loan_ref"), word("period", "period"), word("currency", "currency"), num("repayments", "repayments"),
			num("inserted", "inserted"), num("unconfirmed", "unconfirmed"), num("unconfirmed amount", "unconfirmed_amount"),
			word("compared since", "compared_since"), num("expected change", "expected_change"), num("vendor's repaid moved", "vendor_change"),
			num("difference", "difference"), num("repaid now", "repaid_now"), wide("status", "status")},
		Empty: "leadpipe inserted no repayments in the month."}
	for _, rp := range r.Repayments {
		compared := rp.Status != RepaymentNotInLake && rp.Status != RepaymentUnverified
		st := text(rp.Status)
		if rp.Status == RepaymentDifference || rp.Status == RepaymentNotInLake {
			st.Class = "bad"
		}
		since := tcell{Text: "—"}.forCSV("")
		if compared {
			since = text(stamp(rp.Since, loc)).forCSV(rfc(rp.Since))
		}
		t.Rows = append(t.Rows, []tcell{text(rp.LoanRef), text(r.periodName(rp.Period)), text(rp.Currency), count(rp.Pushes), amount(rp.Pushed),
			count(rp.Unconfirmed), amount(rp.UnconfirmedAmount), since, amountIf(compared, rp.Expected), amountIf(compared, rp.VendorChange),
			amountIf(compared, rp.Difference), amountIf(rp.HasRepaid, rp.RepaidNow), st})
	}
	out = append(out, t)

	t = table{ID: "exceptions", Title: "Exceptions", Limit: true, Empty: "None.",
		Cols: []column{word("kind", "kind"), word("vendor", "vendor"), wide("ref", "ref"), word("since", "since"), wide("detail", "detail")}}
	for _, e := range r.Exceptions {
		t.Rows = append(t.Rows, []tcell{text(excLabel(e.Kind)).forCSV(e.Kind), text(e.Vendor), text(e.Ref),
			text(stamp(e.Since, loc)).forCSV(rfc(e.Since)), text(e.Detail)})
	}
	out = append(out, t)
	return out
}

// periodName is a period as a table cell: its day, or "month to date".
func (r *Report) periodName(key string) string {
	for _, p := range r.Periods {
		if p.Key == key {
			if key == "mtd" {
				return "month to date"
			}
			return p.Label
		}
	}
	return key
}

// ExceptionSummary is one line: "3 exceptions: 1 not seen at vendor, ...".
func (r *Report) ExceptionSummary() string {
	if len(r.Exceptions) == 0 {
		return "No exceptions."
	}
	counts := r.ExceptionCounts()
	var parts []string
	for _, k := range excKinds {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], excLabel(k)))
		}
	}
	noun := "exceptions"
	if len(r.Exceptions) == 1 {
		noun = "exception"
	}
	return fmt.Sprintf("%d %s: %s.", len(r.Exceptions), noun, strings.Join(parts, ", "))
}

func excLabel(kind string) string {
	switch kind {
	case ExcNoData:
		return "vendor with no data"
	case ExcNotSeen:
		return "not seen at the vendor"
	case ExcRepayment:
		return "repayment difference"
	case ExcPending:
		return "push with an unknown outcome"
	case ExcNeedsHuman:
		return "push that needs a human"
	case ExcStale:
		return "stale pipeline"
	case ExcUnknownValues:
		return "unknown vendor value"
	}
	return kind
}
