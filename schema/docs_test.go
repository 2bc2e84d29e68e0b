package schema

import "testing"

func TestEveryCanonicalColumnIsDocumented(t *testing.T) {
	for _, p := range checkDocs() {
		t.Error(p)
	}
	if c, _ := Leads.Column("extracted_at"); c.Doc == "" || !c.NotNull {
		t.Errorf("leads.extracted_at: %+v", c)
	}
}
