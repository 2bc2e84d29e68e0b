package pipelines

import (
	"errors"
	"fmt"
	"testing"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

// TestDecide covers every branch of the ledger decision: each ledger status
// with the row unchanged, edited, or of unknown content (rebuilt from
// receipts), under both on_change policies, and a row the ledger never saw.
func TestDecide(t *testing.T) {
	const hash = "h1"
	entry := func(status, contentHash string) state.LedgerEntry {
		return state.LedgerEntry{Status: status, ContentHash: contentHash}
	}
	for _, tc := range []struct {
		name     string
		e        state.LedgerEntry
		known    bool
		onChange string
		want     action
	}{
		{"never seen", state.LedgerEntry{}, false, "skip", actSend},
		{"never seen, on_change update", state.LedgerEntry{}, false, "update", actSend},

		{"pending, unchanged", entry(state.LedgerPending, hash), true, "skip", actResolve},
		{"pending, edited", entry(state.LedgerPending, "h0"), true, "skip", actResolve},
		{"pending, edited, update", entry(state.LedgerPending, "h0"), true, "update", actResolve},

		{"waiting, unchanged", entry(state.LedgerWaiting, hash), true, "skip", actRetry},
		{"waiting, edited, update", entry(state.LedgerWaiting, "h0"), true, "update", actRetry},

		{"needs a human, unchanged", entry(state.LedgerNeedsHuman, hash), true, "skip", actHeldForHuman},
		{"needs a human, edited, update", entry(state.LedgerNeedsHuman, "h0"), true, "update", actHeldForHuman},

		{"done, unchanged", entry(state.LedgerDone, hash), true, "skip", actSkipSent},
		{"done, unchanged, update", entry(state.LedgerDone, hash), true, "update", actSkipSent},
		{"done, from receipts", entry(state.LedgerDone, ""), true, "update", actSkipSent},
		{"done, edited, skip", entry(state.LedgerDone, "h0"), true, "skip", actSkipChanged},
		{"done, edited, update", entry(state.LedgerDone, "h0"), true, "update", actUpdate},

		{"refused, unchanged", entry(state.LedgerFailed, hash), true, "skip", actRefusedBefore},
		{"refused, from receipts", entry(state.LedgerFailed, ""), true, "skip", actRefusedBefore},
		{"refused, edited", entry(state.LedgerFailed, "h0"), true, "skip", actResend},
		{"refused, edited, update", entry(state.LedgerFailed, "h0"), true, "update", actResend},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(hash, tc.e, tc.known, tc.onChange); got != tc.want {
				t.Errorf("decide = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestSettle checks the receipt of every action that settles a row
// without sending it, and that the sending actions are the only ones that
// reach the vendor.
func TestSettle(t *testing.T) {
	prev := state.LedgerEntry{RunID: "R1", VendorID: "V9", HTTPStatus: 422, Error: "email is invalid"}
	for _, tc := range []struct {
		a       action
		outcome string
		vendor  string
		status  int64
		failure failure
	}{
		{actSkipSent, OutcomeSkipped, "V9", 0, failNone},
		{actSkipChanged, OutcomeSkipped, "V9", 0, failNone},
		{actRefusedBefore, OutcomeFailed, "", 422, failRefused},
		{actHeldForHuman, OutcomeNeedsHuman, "", 0, failNone},
	} {
		it := &item{action: tc.a, prev: prev}
		it.settle()
		rc := it.receipt
		if rc.Outcome != tc.outcome || rc.VendorID != tc.vendor || rc.HTTPStatus.V != tc.status || it.failure != tc.failure || rc.Error == "" {
			t.Errorf("action %d: receipt %+v failure %d, want %s vendor %q status %d failure %d and a reason",
				tc.a, rc, it.failure, tc.outcome, tc.vendor, tc.status, tc.failure)
		}
		if tc.a.sends() {
			t.Errorf("action %d settles a row but sends it", tc.a)
		}
	}
	for _, a := range []action{actSend, actRetry, actResend, actResolve, actUpdate} {
		if !a.sends() {
			t.Errorf("action %d does not send", a)
		}
		it := &item{action: a, prev: prev}
		if it.settle(); it.receipt.Outcome != "" {
			t.Errorf("action %d got a receipt before it was sent: %+v", a, it.receipt)
		}
	}
	if actSettled.sends() || actUndecided.sends() {
		t.Error("a settled or undecided row is sent")
	}
}

// TestClassify covers every verdict a vendor's answer can get, as sends
// and as updates.
func TestClassify(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("create lead: %w", err) }
	partial := &connectors.PartialError{Receipt: connectors.Receipt{VendorID: "V1"}, Err: errors.New("upload failed")}
	for _, tc := range []struct {
		name           string
		err            error
		send, asUpdate verdict
	}{
		{"accepted", nil, vAccepted, vAccepted},
		{"created, follow-up failed", wrap(partial), vPartial, vPartial},
		{"rejected by the connector", wrap(&connectors.RejectedError{HTTPStatus: 400, Reason: "bad"}), vRejected, vRejected},
		{"rejected by status", wrap(connectors.ErrRejected), vRejected, vRejected},
		{"not yet", wrap(connectors.ErrNotYet), vWaiting, vUnknown},
		{"answer lost", wrap(connectors.ErrOutcomeUnknown), vLookup, vUnknown},
		{"rate limited", wrap(connectors.ErrNotSent), vNotSent, vNotSent},
		{"credentials refused", wrap(connectors.ErrCredentials), vStop, vStop},
		{"request refused", wrap(connectors.ErrRefused), vStop, vStop},
		{"anything else", errors.New("connection reset"), vUnknown, vUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify(tc.err, false); got != tc.send {
				t.Errorf("classify(send) = %d, want %d", got, tc.send)
			}
			if got := classify(tc.err, true); got != tc.asUpdate {
				t.Errorf("classify(update) = %d, want %d", got, tc.asUpdate)
			}
		})
	}
}
