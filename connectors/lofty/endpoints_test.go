package lofty_test

import (
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/lofty/loftytest"
)

// TestCallsFallBackToTheOtherDocumentedEndpoint runs accounts that serve
// only one of the doc's two calls endpoints, with calls_endpoint set to the
// other: the pull reads every call from the one served, says so once in the
// summary, and writes each call once over an incremental run. An account
// whose other communication endpoints are off (emails, texts) loses only
// those, and says so too.
func TestCallsFallBackToTheOtherDocumentedEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name, off, endpoint, want string
	}{
		{"communication off, the default endpoint", "communication/call", "communication", "calls were read from GET /v1.0/calls instead"},
		{"calls off, calls_endpoint: calls", "calls", "calls", "calls were read from GET /v1.0/communication/call instead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, 40)
			e.srv.SetEndpointOff(tc.off, true)
			cfg := e.config(t, "calls_endpoint: "+tc.endpoint+"\nevent_sources: [calls, notes]\n")
			first := e.read(t, cfg, nil, "events")
			tr := sandboxTruth(e)
			if got := countTypes(first.Batch.Events)["calls"]; got != tr.calls || got == 0 {
				t.Errorf("full read: %d calls, the sandbox has %d", got, tr.calls)
			}
			notes := first.Unknowns.Notes()
			if len(notes) != 1 || !strings.Contains(notes[0], tc.want) {
				t.Errorf("summary notes %q; want one saying %q", notes, tc.want)
			}
			// A new call, then incremental runs: it is written once.
			e.advance(time.Hour)
			lead := e.srv.Leads()[3].LeadID
			if _, err := e.srv.AddCall(lead, loftytest.Call{CallingOutcome: "Talked", Duration: 30}); err != nil {
				t.Fatal(err)
			}
			e.advance(time.Minute)
			next := e.read(t, cfg, first.Cursors, "events")
			if got := countTypes(next.Batch.Events)["calls"]; got != 1 {
				t.Errorf("incremental read: %d calls, want the new one", got)
			}
			again := e.read(t, cfg, next.Cursors, "events")
			if n := len(again.Batch.Events); n != 0 {
				t.Errorf("a read with nothing changed wrote %d events", n)
			}
		})
	}

	t.Run("every communication endpoint off", func(t *testing.T) {
		e := start(t, 40)
		for _, p := range []string{"communication/call", "communication/email", "communication/text"} {
			e.srv.SetEndpointOff(p, true)
		}
		res := e.read(t, e.config(t, ""), nil)
		tr := sandboxTruth(e)
		types := countTypes(res.Batch.Events)
		if types["calls"] != tr.calls || types["emails"] != 0 || types["texts"] != 0 || len(res.Batch.Leads) == 0 {
			t.Errorf("events %v, %d leads; want every call (%d) from /calls and no emails or texts", types, len(res.Batch.Leads), tr.calls)
		}
		notes := strings.Join(res.Unknowns.Notes(), "\n")
		for _, want := range []string{"/calls instead", "no emails were read", "no texts were read"} {
			if !strings.Contains(notes, want) {
				t.Errorf("summary notes lack %q:\n%s", want, notes)
			}
		}
	})
}
