package pipelines

import (
	"context"
	"errors"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

// action is what a push run does with one input row. Rows rejected or
// duplicated within the file are settled before the ledger is asked
// (actSettled); decide gives every other row its action from its ledger
// entry.
type action int

const (
	actUndecided action = iota
	// actSettled: the row's receipt is written already (rejected before
	// sending, a duplicate within the file).
	actSettled
	// actSend: the ledger has never seen the row.
	actSend
	// actRetry: the vendor did not accept the row yet (waiting) and nothing
	// was sent: it is sent as if new.
	actRetry
	// actResend: the vendor refused the row, and it was edited since.
	actResend
	// actResolve: an earlier run was sending the row when it stopped; the
	// vendor is asked before anything is sent.
	actResolve
	// actUpdate: sent before and changed since, with on_change: update.
	actUpdate
	// actSkipSent: sent before and unchanged.
	actSkipSent
	// actSkipChanged: sent before and changed since, with on_change: skip.
	actSkipChanged
	// actRefusedBefore: the vendor refused the row and it has not changed.
	actRefusedBefore
	// actHeldForHuman: a person must say whether the vendor has the row.
	actHeldForHuman
)

// sends reports whether the action goes to the vendor (or the ledger);
// the other rows only get their receipt.
func (a action) sends() bool {
	switch a {
	case actSend, actRetry, actResend, actResolve, actUpdate:
		return true
	}
	return false
}

// decide is the ledger decision: what to do with a row whose mapped content
// hashes to hash, given its ledger entry (known is false when the ledger
// has none) and the pipeline's on_change. An entry rebuilt from receipts
// has no content hash: what was sent is unknown, so it counts as unchanged.
func decide(hash string, e state.LedgerEntry, known bool, onChange string) action {
	if !known {
		return actSend
	}
	unchanged := e.ContentHash == "" || e.ContentHash == hash
	switch {
	case e.Status == state.LedgerPending:
		return actResolve
	case e.Status == state.LedgerWaiting:
		return actRetry
	case e.Status == state.LedgerNeedsHuman:
		return actHeldForHuman
	case e.Status == state.LedgerDone && unchanged:
		return actSkipSent
	case e.Status == state.LedgerFailed && unchanged:
		return actRefusedBefore
	case e.Status == state.LedgerFailed:
		return actResend
	case onChange == "update":
		return actUpdate
	}
	return actSkipChanged
}

// settle writes the receipt of a row the ledger decision settles without
// sending it.
func (it *item) settle() {
	e := it.prev
	switch it.action {
	case actHeldForHuman:
		it.done(OutcomeNeedsHuman, "an earlier run could not tell whether the vendor received this row; check it and clear it with `leadpipe ledger forget` before it can be sent again: "+e.Error)
	case actSkipSent:
		it.done(OutcomeSkipped, "already sent (run "+e.RunID+")")
		it.receipt.VendorID = e.VendorID
	case actRefusedBefore:
		it.fail(failRefused, "the vendor rejected this row in run "+e.RunID+" and it has not changed since; fix the row to send it again: "+e.Error)
		it.receipt.HTTPStatus = intOrNull(e.HTTPStatus)
	case actSkipChanged:
		it.done(OutcomeSkipped, "changed since it was sent in run "+e.RunID+"; not resent (on_change: skip)")
		it.receipt.VendorID = e.VendorID
	}
}

// lookupLedger decides each undecided row of a chunk from what the ledger
// knows.
func (r *pushRun) lookupLedger(ctx context.Context, chunk []*item) error {
	var keys []string
	for _, it := range chunk {
		if it.action == actUndecided {
			keys = append(keys, it.key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	known, err := r.store.LedgerGet(ctx, r.scope, keys)
	if err != nil {
		return err
	}
	for _, it := range chunk {
		if it.action != actUndecided {
			continue
		}
		e, ok := known[it.key]
		if ok && e.ContentHash == "" {
			e.ContentHash = it.hash // rebuilt from receipts: unchanged (decide)
		}
		it.prev = e
		it.action = decide(it.hash, e, ok, r.pp.OnChange)
		it.settle()
	}
	return nil
}

// verdict is what a vendor's answer (the error of a send) means for the
// row: how the ledger records it and whether the run goes on.
type verdict int

const (
	// vAccepted: the vendor has the row (done).
	vAccepted verdict = iota
	// vPartial: the vendor created the row but a later step failed; it is
	// done (never created again) and its receipt says what failed.
	vPartial
	// vRejected: the vendor said no to the row; sent again once it changes.
	vRejected
	// vWaiting: the vendor does not accept the row yet; nothing was sent.
	vWaiting
	// vLookup: the answer was lost; the vendor is asked at once whether it
	// has the row.
	vLookup
	// vNotSent: the vendor did not act (rate limited); sent on the next run.
	vNotSent
	// vStop: the vendor refused the request as such (credentials, URL): no
	// row will fare better, so the run stops; this row was not acted on.
	vStop
	// vUnknown: the row may or may not have reached the vendor; it stays
	// pending and the next run looks it up before resending.
	vUnknown
)

// classify reads a send's error as a verdict. An update's lost answer is
// not looked up (the row exists; the next run applies the update again),
// and an update the vendor does not accept yet stays pending likewise.
func classify(err error, update bool) verdict {
	var partial *connectors.PartialError
	switch {
	case err == nil:
		return vAccepted
	case errors.As(err, &partial):
		return vPartial
	case errors.Is(err, connectors.ErrRejected):
		return vRejected
	case errors.Is(err, connectors.ErrNotYet) && !update:
		return vWaiting
	case errors.Is(err, connectors.ErrOutcomeUnknown) && !update:
		return vLookup
	case errors.Is(err, connectors.ErrNotSent):
		return vNotSent
	case errors.Is(err, connectors.ErrRefused):
		return vStop
	}
	return vUnknown
}
