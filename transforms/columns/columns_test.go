package columns_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/csv"
	"github.com/leadpipe/leadpipe/transforms/columns"
)

func TestSelectAndRenameShapeTheFiles(t *testing.T) {
	v, probs := config.NewValidator("p.yaml")
	b := columns.NewBuilder()
	b.Rename(v, "transforms[0].rename", map[string]map[string]string{"leads": {"amount_requested": "requested"}})
	b.Select(v, "transforms[1].select", map[string][]string{"leads": {"lead_uid", "requested", "status", "extracted_at"}})
	b.Rename(v, "transforms[2].rename", map[string]map[string]string{"leads": {"lead_uid": "id", "status": "lead_uid"}})
	if len(*probs) > 0 {
		t.Fatal(probs.Error())
	}
	p, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	lt := p.Table(schema.Leads)
	if got := strings.Join(lt.ColumnNames(), ","); got != "id,requested,lead_uid,extracted_at" || lt.Key != "id" {
		t.Fatalf("columns %s, key %q", got, lt.Key)
	}
	if p.Table(schema.Loans) != schema.Loans {
		t.Error("a table no transform names is not whole")
	}
	var out bytes.Buffer
	w, err := p.Format(csv.New(csv.Options{})).NewWriter(&out, schema.Leads)
	if err != nil {
		t.Fatal(err)
	}
	rows := []schema.Lead{{LeadUID: "lumi:1", Status: "funded", AmountRequested: schema.MoneyFromCents(2500000)}}
	if err := w.Write(schema.RowsOf(schema.Leads, rows)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if got := out.String(); got != "id,requested,lead_uid,extracted_at\nlumi:1,25000.00,funded,\n" {
		t.Errorf("csv:\n%s", got)
	}
}

func TestSelectAndRenameErrors(t *testing.T) {
	v, probs := config.NewValidator("p.yaml")
	b := columns.NewBuilder()
	b.Select(v, "transforms[0].select", map[string][]string{"leads": {"lead_uid", "emial", "lead_uid"}, "widgets": {"x"}})
	b.Select(v, "transforms[1].select", map[string][]string{"loans": {"loan_uid", "status"}})
	b.Select(v, "transforms[2].select", map[string][]string{"loans": {"principal"}})
	b.Rename(v, "transforms[3].rename", map[string]map[string]string{"events": {"detail": "event_uid", "occurred_at": "2x"}})
	text := probs.Error()
	for _, want := range []string{
		`transforms[0].select.leads[1]: leads has no column "emial" (did you mean email?)`,
		`transforms[0].select.leads[2]: lead_uid is selected twice`,
		`transforms[0].select.widgets: no table "widgets"`,
		`warning: transforms[1].select.loans: leaves out extracted_at`,
		`transforms[2].select.loans[0]: loans has no column "principal" (an earlier select left it out)`,
		`transforms[3].rename.events.occurred_at: "2x" is not a column name`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	v, probs = config.NewValidator("p.yaml")
	b = columns.NewBuilder()
	b.Rename(v, "transforms[0].rename", map[string]map[string]string{"events": {"detail": "event_uid"}})
	if !strings.Contains(probs.Error(), "events would have two columns named event_uid") {
		t.Errorf("a rename onto another column: %v", probs)
	}
}
