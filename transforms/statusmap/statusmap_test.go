package statusmap_test

import (
	"context"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/transforms/statusmap"
)

func TestStatusMapRemapsFromVendorStatus(t *testing.T) {
	v, probs := config.NewValidator("p.yaml")
	sm := statusmap.Compile(v, "transforms[0].status_map", map[string]map[string]string{
		"leads": {"Hot Prospect": "qualifying", "Signed": "approved"},
		"loans": {"Settled": "funded"},
	})
	if sm == nil {
		t.Fatal(probs.Error())
	}
	b := &schema.Batch{
		Leads: []schema.Lead{
			{VendorStatus: "Hot Prospect", Status: "new"},
			{VendorStatus: " signed ", Status: "new"},
			{VendorStatus: "Cold", Status: "contacting"},
			{VendorStatus: "", Status: "new"},
		},
		Loans: []schema.Loan{{VendorStatus: "Settled", Status: "approved"}},
	}
	if err := sm.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range b.Leads {
		got = append(got, l.Status)
	}
	if strings.Join(got, ",") != "qualifying,approved,contacting,new" || b.Loans[0].Status != "funded" {
		t.Errorf("leads %v, loan %s", got, b.Loans[0].Status)
	}
}

func TestStatusMapErrors(t *testing.T) {
	v, probs := config.NewValidator("p.yaml")
	sm := statusmap.Compile(v, "transforms[0].status_map", map[string]map[string]string{
		"leads":    {"Won": "won", "Lost": "lost", "lost": "declined"},
		"payments": {"x": "new"},
	})
	if sm != nil {
		t.Fatal("a bad map compiled")
	}
	text := probs.Error()
	for _, want := range []string{
		`transforms[0].status_map.leads.Won: "won" is not a canonical status`,
		`transforms[0].status_map.leads.lost: maps to declined, but the same status written another way maps to lost`,
		`transforms[0].status_map.payments: payments has no vendor_status to map from`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
}
