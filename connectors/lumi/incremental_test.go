package lumi_test

import (
	"testing"
	"time"
)

// TestEachVersionIsWrittenOnceWhateverTheDateFiltersHonour runs
// incremental reads under both readings of the doc's DateISO filters: the
// time given (the sandbox's default), and the day alone
// (SetDateOnlyFilters), where every lead and event of the cursor's day
// comes back. Either way a run writes what changed since the last one and
// nothing it wrote before, and a run with nothing changed writes nothing.
func TestEachVersionIsWrittenOnceWhateverTheDateFiltersHonour(t *testing.T) {
	for _, dateOnly := range []bool{false, true} {
		name := "exact times"
		if dateOnly {
			name = "the day alone"
		}
		t.Run(name, func(t *testing.T) {
			e := start(t, 80)
			e.srv.SetDateOnlyFilters(dateOnly)
			cfg := e.config(t, "page_size: 20")
			first := e.read(t, cfg, nil)
			// Changes near midday, so the day's filters reach back past
			// the lookback to the run before.
			e.Advance(12*time.Hour - time.Duration(e.Now().UTC().Hour())*time.Hour)
			state := first.Cursors
			var changed []string
			for _, l := range e.srv.Leads() {
				if l.Status == "WAITING_FOR_CALL" || l.Status == "SUBMITTED" {
					changed = append(changed, l.ID)
				}
			}
			if len(changed) < 3 {
				t.Fatalf("too few leads to change: %v", changed)
			}
			for i, id := range changed[:3] {
				e.Advance(time.Hour)
				if err := e.srv.SetStatus(id, "PROCESSING"); err != nil {
					t.Fatal(err)
				}
				e.Advance(time.Minute)
				res := e.read(t, cfg, state)
				if len(res.Batch.Leads) != 1 || res.Batch.Leads[0].VendorLeadID != id || len(res.Batch.Events) != 1 {
					var got []string
					for _, l := range res.Batch.Leads {
						got = append(got, l.VendorLeadID)
					}
					t.Errorf("change %d: leads %v and %d events; want lead %s and its status change", i, got, len(res.Batch.Events), id)
				}
				state = res.Cursors
				if again := e.read(t, cfg, state); again.Batch.Len() != 0 {
					t.Errorf("after change %d, a run with nothing changed wrote %d leads, %d events, %d loans",
						i, len(again.Batch.Leads), len(again.Batch.Events), len(again.Batch.Loans))
				}
			}
		})
	}
}
