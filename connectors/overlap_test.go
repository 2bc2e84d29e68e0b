package connectors_test

import (
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/schema"
)

func lead(id, status string, updated time.Time) schema.Lead {
	return schema.Lead{LeadUID: "x:" + id, VendorLeadID: id, Status: status, UpdatedAt: schema.TimestampOf(updated),
		Common: schema.Common{Vendor: "x"}}
}

func uids(b *schema.Batch) []string {
	var out []string
	for _, l := range b.Leads {
		out = append(out, l.VendorLeadID+"/"+l.Status)
	}
	return out
}

// TestOverlapWritesEachVersionOnce plays three incremental runs whose
// lookback reads again the end of the run before.
func TestOverlapWritesEachVersionOnce(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	lookback := 10 * time.Minute

	// Run 1 at t0 writes an old lead and two recent ones.
	o := connectors.NewOverlap(connectors.OverlapCursor{}, t0, lookback)
	b := &schema.Batch{Leads: []schema.Lead{lead("old", "new", t0.Add(-time.Hour)), lead("a", "new", t0.Add(-2*time.Minute)),
		lead("b", "new", t0.Add(-time.Minute))}}
	if got := uids(o.Filter(b)); len(got) != 3 {
		t.Fatalf("run 1 wrote %v", got)
	}
	c1 := o.Cursor(t0)
	if len(c1.Seen) != 2 {
		t.Errorf("run 1 remembered %v; want the two recent leads only", c1.Seen)
	}
	parsed, ok := connectors.ParseOverlapCursor(c1.String())
	if !ok || len(parsed.Seen) != 2 || !parsed.At.Equal(t0) {
		t.Fatalf("cursor round trip: %+v %v", parsed, ok)
	}

	// Run 2, five minutes later, reads from t0-lookback: a and b again, b
	// changed since; and a new lead c.
	t1 := t0.Add(5 * time.Minute)
	o = connectors.NewOverlap(parsed, t1, lookback)
	b = &schema.Batch{Leads: []schema.Lead{lead("a", "new", t0.Add(-2*time.Minute)), lead("b", "contacting", t1.Add(-time.Minute)),
		lead("c", "new", t1.Add(-30*time.Second))}}
	if got := uids(o.Filter(b)); len(got) != 2 || got[0] != "b/contacting" || got[1] != "c/new" {
		t.Errorf("run 2 wrote %v; want the changed b and the new c", got)
	}
	c2 := o.Cursor(t1)
	// a was seen again and is still inside the next window: remembered
	// again, or run 3 would write it once more.
	if len(c2.Seen) != 3 {
		t.Errorf("run 2 remembered %v; want a, b's new version and c", c2.Seen)
	}

	// Run 3 reads all of it again: nothing is written.
	o = connectors.NewOverlap(c2, t1.Add(time.Minute), lookback)
	b = &schema.Batch{Leads: []schema.Lead{lead("a", "new", t0.Add(-2*time.Minute)), lead("b", "contacting", t1.Add(-time.Minute)),
		lead("c", "new", t1.Add(-30*time.Second))}}
	if got := uids(o.Filter(b)); len(got) != 0 {
		t.Errorf("run 3, with nothing changed, wrote %v", got)
	}

	// A bare timestamp (a cursor from before the memory) is read.
	if c, ok := connectors.ParseOverlapCursor(t0.Format(time.RFC3339Nano)); !ok || !c.At.Equal(t0) || len(c.Seen) != 0 {
		t.Errorf("bare cursor: %+v %v", c, ok)
	}
}
