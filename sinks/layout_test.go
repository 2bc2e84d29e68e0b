package sinks_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
)

func TestCompareLayouts(t *testing.T) {
	col := func(name, typ, canon string) sinks.LayoutColumn {
		return sinks.LayoutColumn{Name: name, Type: typ, Canonical: canon}
	}
	stored := sinks.Layout{col("lead_uid", "string", "lead_uid"), col("amount", "decimal(18,2)", "amount_requested"), col("status", "string", "status")}
	for _, tc := range []struct {
		name string
		next sinks.Layout
		want string
	}{
		{"same", stored, "[]"},
		{"reordered", sinks.Layout{stored[2], stored[0], stored[1]}, "[]"},
		{"added", append(sinks.Layout{}, append(stored, col("broker", "string", "broker"))...), "[column broker would be added]"},
		{"left out", stored[:2], "[column status would be left out]"},
		{"renamed", sinks.Layout{stored[0], col("amount_requested", "decimal(18,2)", "amount_requested"), stored[2]},
			"[column amount would be renamed to amount_requested]"},
		{"retyped", sinks.Layout{stored[0], col("amount", "string", "amount_requested"), stored[2]},
			"[column amount would change type from decimal(18,2) to string]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(sinks.Compare(stored, tc.next)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			same := stored.Fingerprint() == tc.next.Fingerprint()
			if same != (tc.want == "[]") {
				t.Errorf("fingerprints equal = %v", same)
			}
		})
	}
}

func TestLayoutOfAProjectionKeepsTheCanonicalNames(t *testing.T) {
	p, err := schema.Leads.Project([]schema.ColumnAs{{From: "lead_uid"}, {From: "amount_requested", As: "requested"}})
	if err != nil {
		t.Fatal(err)
	}
	got := sinks.LayoutOf(p)
	if fmt.Sprint(got) != "[{lead_uid string lead_uid} {requested decimal(18,2) amount_requested}]" {
		t.Errorf("layout %v", got)
	}
	err = &sinks.SchemaChangeError{Table: "leads", Where: "lake/leads", Changes: sinks.Compare(sinks.LayoutOf(schema.Leads), got)[:1],
		Options: []string{"one", "two"}}
	if !strings.Contains(err.Error(), "table leads (lake/leads): column amount_requested would be renamed to requested;") ||
		!strings.HasSuffix(err.Error(), "Options: (1) one; (2) two") {
		t.Errorf("message: %v", err)
	}
}
