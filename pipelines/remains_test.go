package pipelines

import (
	"testing"

	"github.com/leadpipe/leadpipe/pipelines/receipts"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

func TestRemainsSaysWhatIsLeftAndWhatToDo(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    PushSummary
		want string
	}{
		{"all sent", PushSummary{Total: 3, Submitted: 2, SkippedDuplicate: 1}, "every row is sent or was sent before"},
		{"waiting only", PushSummary{Total: 2, Submitted: 1, Waiting: 1},
			"every row is sent or was sent before, except 1 waiting until the vendor accepts them: the next run tries again"},
		{"unknown and retry", PushSummary{Total: 5, Submitted: 2, Failed: 3, Unknown: 1, Retry: 1},
			"3 of 5 rows not sent: 1 refused by the vendor: fix the rows (reasons in the receipts); a changed row is sent again; " +
				"1 with an unknown outcome: rerun; the next run asks the vendor before resending; 1 not sent (rate limited or stopped): rerun to send them"},
		{"needs a human", PushSummary{Total: 1, NeedsHuman: 1},
			"1 of 1 rows not sent: 1 need a human: check each at the vendor, then `leadpipe ledger resolve --pipeline p KEY --vendor-id ID` if it arrived, or `leadpipe ledger forget --pipeline p KEY` if not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.Remains("p"); got != tc.want {
				t.Errorf("Remains:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestReceiptsSayWhatTheLedgerHeld(t *testing.T) {
	for _, tc := range []struct {
		rc     receipts.Row
		status string
		sent   bool
	}{
		{receipts.Row{Outcome: OutcomeSubmitted, VendorID: "L1", HTTPStatus: 200}, state.LedgerDone, true},
		{receipts.Row{Outcome: OutcomeSkipped, VendorID: "L1"}, state.LedgerDone, true},
		{receipts.Row{Outcome: OutcomeSkipped, Error: "same row as row 2 of this file"}, "", false},
		{receipts.Row{Outcome: OutcomeFailed, HTTPStatus: 400}, state.LedgerFailed, true},
		{receipts.Row{Outcome: OutcomeFailed, HTTPStatus: 401}, "", false}, // credentials refused: not sent
		{receipts.Row{Outcome: OutcomeFailed, HTTPStatus: 429}, "", false},
		{receipts.Row{Outcome: OutcomeFailed, HTTPStatus: 502}, state.LedgerPending, true},
		{receipts.Row{Outcome: OutcomeFailed, Error: "not sent: the run was stopped"}, state.LedgerPending, false},
		{receipts.Row{Outcome: OutcomeNeedsHuman}, state.LedgerNeedsHuman, true},
		{receipts.Row{Outcome: OutcomeRejected}, "", false},
		{receipts.Row{Outcome: OutcomeWaiting}, "", false},
	} {
		if got := ledgerOutcome(tc.rc); got != tc.status {
			t.Errorf("%+v: ledger status %q, want %q", tc.rc, got, tc.status)
		}
		if got := sentEvidence(tc.rc); got != tc.sent {
			t.Errorf("%+v: evidence of a sent row %v, want %v", tc.rc, got, tc.sent)
		}
	}
}
