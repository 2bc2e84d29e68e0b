package lofty_test

import (
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/schema"
)

// TestStageNotesWithAndWithoutFromAreStatusChanges reads the system notes
// of stage changes in both forms Lofty writes them: "Stage changed from X
// to Y" (the sandbox's default) and "Stage changed to Y". Each is a
// status_change event whose status_to is Y's status, and none is counted
// as unknown.
func TestStageNotesWithAndWithoutFromAreStatusChanges(t *testing.T) {
	for _, short := range []bool{false, true} {
		name := "from X to Y"
		if short {
			name = "to Y"
		}
		t.Run(name, func(t *testing.T) {
			e := start(t, 30)
			e.srv.SetShortStageNotes(short)
			res := e.read(t, e.config(t, ""), nil, "events")
			seen := 0
			for _, ev := range res.Batch.Events {
				if !strings.Contains(ev.Detail, "Stage changed") {
					continue
				}
				seen++
				if short == strings.Contains(ev.Detail, " from ") {
					t.Fatalf("note %q is not in the %q form", ev.Detail, name)
				}
				to := ev.Detail[strings.LastIndex(ev.Detail, " to ")+4:]
				if ev.EventType != schema.EventStatusChange || ev.StatusTo == "" {
					t.Errorf("note %q: event_type %s, status_to %q", ev.Detail, ev.EventType, ev.StatusTo)
				}
				if !strings.Contains(ev.Attributes, `"stage_to":"`+to+`"`) {
					t.Errorf("note %q: attributes %s", ev.Detail, ev.Attributes)
				}
			}
			if seen == 0 {
				t.Fatal("the sandbox wrote no stage-change note")
			}
			if n := res.Unknowns.Total(); n != 0 {
				t.Errorf("unknown values: %v", res.Unknowns.List())
			}
		})
	}
}
