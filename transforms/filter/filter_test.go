package filter_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/transforms/filter"
)

func compile(t *testing.T, src string) (*filter.Filter, config.Problems) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	v, probs := config.NewValidator("p.yaml")
	return filter.Compile(v, "p.yaml", "transforms[0].filter", doc.Content[0]), *probs
}

func TestFilterKeepsTheRowsItsExpressionAccepts(t *testing.T) {
	f, probs := compile(t, `
leads: status != "expired" && (amount_requested == nil || amount_requested >= 10000.5)
loans: funded_at != nil && funded_at > date("2026-01-01") && term_count >= 6
`)
	if f == nil {
		t.Fatal(probs.Error())
	}
	ts := func(s string) schema.Timestamp {
		tm, _ := time.Parse(time.RFC3339, s)
		return schema.TimestampOf(tm)
	}
	b := &schema.Batch{
		Leads: []schema.Lead{
			{LeadUID: "a", Status: "new", AmountRequested: schema.MoneyFromCents(1000050)},
			{LeadUID: "b", Status: "new", AmountRequested: schema.MoneyFromCents(1000049)},
			{LeadUID: "c", Status: "expired"},
			{LeadUID: "d", Status: "funded"},
		},
		Loans: []schema.Loan{
			{LoanUID: "x", FundedAt: ts("2026-02-01T00:00:00Z"), TermCount: schema.IntOf(12)},
			{LoanUID: "y", FundedAt: ts("2025-12-31T00:00:00Z"), TermCount: schema.IntOf(12)},
			{LoanUID: "z", TermCount: schema.IntOf(12)},
		},
		Events: []schema.Event{{EventUID: "e"}},
	}
	if err := f.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	var leads, loans []string
	for _, l := range b.Leads {
		leads = append(leads, l.LeadUID)
	}
	for _, l := range b.Loans {
		loans = append(loans, l.LoanUID)
	}
	if strings.Join(leads, ",") != "a,d" || strings.Join(loans, ",") != "x" || len(b.Events) != 1 {
		t.Errorf("kept leads %v, loans %v, events %d", leads, loans, len(b.Events))
	}
}

func TestFilterErrors(t *testing.T) {
	_, probs := compile(t, `
leads: stauts == "new"
events: event_type
loans: ""
`)
	text := probs.Error()
	for _, want := range []string{
		`p.yaml:2: transforms[0].filter.leads: stauts == "new": unknown name stauts (1:1): leads has no such column`,
		`p.yaml:3: transforms[0].filter.events: event_type: expected bool, but got string`,
		`p.yaml:4: transforms[0].filter.loans: is empty`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	if _, probs := compile(t, `status != "expired"`); !strings.Contains(probs.Error(), "needs the table each expression applies to") {
		t.Errorf("a bare expression: %v", probs)
	}
}
