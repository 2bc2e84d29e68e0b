package schema_test

import (
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/schema"
)

func TestProjectReadsTheSameRows(t *testing.T) {
	p, err := schema.Leads.Project([]schema.ColumnAs{{From: "status"}, {From: "lead_uid", As: "id"}, {From: "amount_requested"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.ColumnNames(), ","); got != "status,id,amount_requested" || p.Key != "id" || p.Name != "leads" {
		t.Fatalf("projection %s key %q", got, p.Key)
	}
	rows := schema.RowsOf(schema.Leads, []schema.Lead{{LeadUID: "lumi:1", Status: "funded", AmountRequested: schema.MoneyFromCents(150)}}).As(p)
	r := rows.Row(0)
	var got []string
	for i := range p.Columns {
		got = append(got, r.Text(&p.Columns[i]))
	}
	if strings.Join(got, ",") != "funded,lumi:1,1.50" {
		t.Errorf("row reads %v", got)
	}
	if c, ok := p.Column("id"); !ok || c.Index != 1 {
		t.Errorf("column id: %v %v", c, ok)
	}
	if _, err := schema.Leads.Project([]schema.ColumnAs{{From: "status"}, {From: "lead_uid", As: "status"}}); err == nil {
		t.Error("two columns of one name")
	}
	if _, err := schema.Leads.Project([]schema.ColumnAs{{From: "nope"}}); err == nil {
		t.Error("an unknown column")
	}
	defer func() {
		if recover() == nil {
			t.Error("loans rows read as leads")
		}
	}()
	schema.RowsOf(schema.Loans, []schema.Loan{{}}).As(p)
}
