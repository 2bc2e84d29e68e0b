package reconcile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/leadpipe/leadpipe/schema"
)

// MaxListed bounds the rejections and exceptions the Markdown summary lists
// one by one; the CSV files have them all.
const MaxListed = 20

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

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func mdTable(b *strings.Builder, header []string, rows [][]string, right map[int]bool) {
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for i := range header {
		if right[i] {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = mdCell(c)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
}

func rightFrom(n int) map[int]bool {
	m := map[int]bool{}
	for i := n; i < 40; i++ {
		m[i] = true
	}
	return m
}

// ExceptionSummary is one line: "3 exceptions: 1 not seen at vendor, ...".
func (r *Report) ExceptionSummary() string {
	if len(r.Exceptions) == 0 {
		return "No exceptions."
	}
	counts := r.ExceptionCounts()
	var parts []string
	for _, k := range []string{ExcNotSeen, ExcRepayment, ExcPending, ExcNeedsHuman, ExcStale, ExcUnknownValues} {
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

// Markdown is the summary for email or chat.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# leadpipe reconciliation %s\n\n", r.Day)
	fmt.Fprintf(&b, "Day %s and month to date %s (%s). Made %s from the lake %s (%d files) and the push ledger.\n\n",
		r.Periods[0].Label, r.Periods[1].Label, r.Timezone, r.AsOf.In(r.Periods[0].From.Location()).Format("2006-01-02 15:04 MST"), r.Lake, r.LakeFiles)
	if len(r.Exceptions) > 0 {
		fmt.Fprintf(&b, "**%s**\n\n", r.ExceptionSummary())
	} else {
		b.WriteString("**No exceptions.**\n\n")
	}

	b.WriteString("## Submissions\n\n")
	pushed := false
	for _, s := range r.Submissions {
		if s.Vendor != Total {
			pushed = true
		}
	}
	if !pushed {
		b.WriteString("Nothing was pushed in the month.\n\n")
	} else {
		var rows [][]string
		for _, s := range r.Submissions {
			found, notSeen := "n/a", "n/a"
			if s.Matchable {
				found, notSeen = fmt.Sprint(s.Found), fmt.Sprint(s.NotSeen)
				if s.Awaiting > 0 {
					found += fmt.Sprintf(" (+%d awaiting pull)", s.Awaiting)
				}
			}
			rows = append(rows, []string{s.Vendor, s.Target, r.periodName(s.Period), fmt.Sprint(s.Sent), fmt.Sprint(s.Accepted),
				fmt.Sprint(s.RejectedVendor + s.Failed), fmt.Sprint(s.RejectedValidation), fmt.Sprint(s.Pending + s.NeedsHuman),
				found, notSeen, fmt.Sprint(s.Funded), percent(s.Funded, s.Accepted)})
		}
		mdTable(&b, []string{"vendor", "target", "period", "sent", "accepted", "rejected by vendor", "rejected before sending",
			"unknown outcome", "found at vendor", "not seen", "funded", "submitted → funded"}, rows, rightFrom(3))
		b.WriteString("\n")
	}
	if len(r.Rejections) > 0 {
		day := 0
		for _, rj := range r.Rejections {
			if rj.Date == r.Day {
				day++
			}
		}
		fmt.Fprintf(&b, "Rejected rows: %d on %s, %d in the month (all in rejections.csv).\n\n", day, r.Day, len(r.Rejections))
		reasons := map[string]int{}
		for _, rj := range r.Rejections {
			reasons[rj.Vendor+"/"+rj.Target+" ("+rj.Stage+"): "+shortReason(rj.Reason)]++
		}
		keys := make([]string, 0, len(reasons))
		for k := range reasons {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if reasons[keys[i]] != reasons[keys[j]] {
				return reasons[keys[i]] > reasons[keys[j]]
			}
			return keys[i] < keys[j]
		})
		for i, k := range keys {
			if i == MaxListed {
				fmt.Fprintf(&b, "- … and %d more reasons\n", len(keys)-MaxListed)
				break
			}
			fmt.Fprintf(&b, "- %d × %s\n", reasons[k], k)
		}
		b.WriteString("\n")
	}

	b.WriteString("## Funnel\n\nLeads created in the period, by their current status (a lead counts at the furthest stage of itself or its loans).\n\n")
	if len(r.Funnel) == 0 {
		b.WriteString("No leads were created in the month.\n\n")
	} else {
		var rows [][]string
		for _, f := range r.Funnel {
			row := []string{f.Vendor, r.periodName(f.Period)}
			for _, st := range schema.Statuses {
				row = append(row, fmt.Sprint(f.Counts[st]))
			}
			rows = append(rows, append(row, fmt.Sprint(f.Total), f.Conversion()))
		}
		mdTable(&b, append(append([]string{"vendor", "period"}, schema.Statuses...), "total", "→ funded"), rows, rightFrom(2))
		b.WriteString("\n")
	}

	b.WriteString("## Funded and commission\n\n")
	if len(r.Funded) == 0 {
		b.WriteString("No loans were funded in the month.\n\n")
	} else {
		var rows [][]string
		for _, f := range r.Funded {
			com := "not reported"
			if f.CommissionLoans > 0 {
				com = Money{f.Commission, f.Currency}.String()
				if f.CommissionLoans < f.Loans {
					com += fmt.Sprintf(" (%d of %d loans)", f.CommissionLoans, f.Loans)
				}
			}
			rows = append(rows, []string{f.Vendor, r.periodName(f.Period), fmt.Sprint(f.Loans), Money{f.Principal, f.Currency}.String(), com})
		}
		mdTable(&b, []string{"vendor", "period", "loans", "funded", "commission"}, rows, rightFrom(2))
		b.WriteString("\nAmounts are per currency and never added across currencies.\n\n")
	}

	b.WriteString("## Repayments (Iute)\n\n")
	if len(r.Repayments) == 0 {
		b.WriteString("leadpipe inserted no repayments in the month.\n\n")
	} else {
		var rows [][]string
		for _, rp := range r.Repayments {
			rows = append(rows, []string{rp.LoanRef, r.periodName(rp.Period), fmt.Sprint(rp.Pushes), Money{rp.Pushed, rp.Currency}.String(),
				moneyIf(rp.Status != RepaymentNotInLake && rp.Status != RepaymentUnverified, rp.VendorChange, rp.Currency),
				moneyIf(rp.Status != RepaymentNotInLake && rp.Status != RepaymentUnverified, rp.Difference, rp.Currency),
				moneyIf(rp.HasRepaid, rp.RepaidNow, rp.Currency), rp.Status})
		}
		mdTable(&b, []string{"loan", "period", "repayments", "inserted", "vendor's repaid moved", "difference", "repaid now", "status"}, rows, map[int]bool{2: true, 3: true, 4: true, 5: true, 6: true})
		b.WriteString("\n")
	}

	b.WriteString("## Exceptions\n\n")
	if len(r.Exceptions) == 0 {
		b.WriteString("None.\n\n")
	} else {
		for i, e := range r.Exceptions {
			if i == MaxListed {
				fmt.Fprintf(&b, "- … and %d more (all in exceptions.csv)\n", len(r.Exceptions)-MaxListed)
				break
			}
			who := e.Ref
			if e.Vendor != "" {
				who = e.Vendor + " " + e.Ref
			}
			fmt.Fprintf(&b, "- **%s** %s: %s\n", excLabel(e.Kind), who, e.Detail)
		}
		b.WriteString("\n")
	}
	if len(r.Notes) > 0 {
		b.WriteString("Notes:\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func moneyIf(ok bool, cents int64, cur string) string {
	if !ok {
		return "—"
	}
	return Money{cents, cur}.String()
}

func shortReason(s string) string {
	const max = 160
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
