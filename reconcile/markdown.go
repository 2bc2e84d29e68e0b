package reconcile

import (
	"fmt"
	"strings"
)

// MaxListed bounds the rows the Markdown summary lists of the long tables
// (rejections, exceptions); the CSV files have them all.
const MaxListed = 20

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func (t table) markdown(b *strings.Builder) {
	fmt.Fprintf(b, "## %s\n\n", t.Title)
	if t.Intro != "" {
		b.WriteString(t.Intro + "\n\n")
	}
	if len(t.Rows) == 0 {
		b.WriteString(t.Empty + "\n\n")
		return
	}
	names := make([]string, len(t.Cols))
	for i, c := range t.Cols {
		names[i] = mdCell(c.Name)
	}
	b.WriteString("| " + strings.Join(names, " | ") + " |\n|")
	for _, c := range t.Cols {
		if c.Right {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for i, row := range t.Rows {
		if t.Limit && i == MaxListed {
			fmt.Fprintf(b, "\n… and %d more rows (all in %s.csv)\n", len(t.Rows)-MaxListed, t.ID)
			break
		}
		cells := make([]string, len(row))
		for j, c := range row {
			cells[j] = mdCell(c.Text)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	b.WriteString("\n")
	if t.After != "" {
		b.WriteString(t.After + "\n\n")
	}
}

// Markdown is the summary for email or chat: every section, with the same
// columns as the HTML and the CSV files.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# leadpipe reconciliation %s\n\n", r.Day)
	fmt.Fprintf(&b, "Day %s and month to date %s (%s). Made %s from the lake %s (%d files) and the push ledger.\n\n",
		r.Periods[0].Label, r.Periods[1].Label, r.Timezone, r.AsOf.In(r.Periods[0].From.Location()).Format("2006-01-02 15:04 MST"), r.Lake, r.LakeFiles)
	fmt.Fprintf(&b, "**%s**\n\n", r.ExceptionSummary())
	for _, t := range r.tables() {
		t.markdown(&b)
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
