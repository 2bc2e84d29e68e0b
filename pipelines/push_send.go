package pipelines

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sources/file"
)

// handle performs a row's action. It returns an error only for what must
// stop the run (the state store failing, a simulated crash, a vendor that
// refuses every row).
func (r *pushRun) handle(ctx context.Context, it *item) error {
	if ctx.Err() != nil {
		it.fail(failRetry, "not sent: the run was stopped")
		return nil
	}
	if r.opts.DryRun {
		return r.preview(it)
	}
	switch it.action {
	case actResolve:
		return r.resolve(ctx, it)
	case actUpdate:
		return r.update(ctx, it)
	}
	return r.send(ctx, it, true)
}

func (r *pushRun) preview(it *item) error {
	it.receipt.Outcome = OutcomeWouldSend
	switch it.action {
	case actUpdate:
		it.receipt.Outcome = OutcomeWouldUpd
	case actResolve:
		it.receipt.Error = "an earlier run was interrupted sending this row: a real run looks it up at the vendor first"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sum.Previews) < 20 {
		body := ""
		if p, ok := r.target.(Previewer); ok {
			if b, err := p.Preview(it.rec, it.sendKey); err == nil {
				body = file.Cut(string(b), 4096) // a preview, not the whole of a huge row
			}
		}
		r.sum.Previews = append(r.sum.Previews, Preview{Row: it.row.Num, Key: it.key, Action: it.receipt.Outcome, Body: body})
	}
	return nil
}

func (r *pushRun) crash(point string) error {
	if err := r.opts.crash(point); err != nil {
		r.crashed.Store(true)
		r.cancel()
		return err
	}
	return nil
}

// send records the row as pending, sends it and records the answer. When
// the answer is lost, it asks the vendor whether the row arrived before
// sending it again (once).
func (r *pushRun) send(ctx context.Context, it *item, retryUnknown bool) error {
	var extra map[string]string
	if k, ok := r.target.(connectors.Keeper); ok {
		kept := k.Keep(ctx, it.rec)
		extra = it.scrubExtra(withPayment(kept.Extra, kept.Payment))
	}
	err := r.store.MarkPending(ctx, state.LedgerEntry{Scope: r.scope, Key: it.key, ContentHash: it.hash,
		Pipeline: r.plan.Name(), RunID: r.runID, Row: it.row.Num, Extra: extra})
	if err != nil {
		return err
	}
	if err := r.crash(PointAfterPending); err != nil {
		return err
	}
	rc, err := r.target.Send(ctx, it.rec, it.sendKey)
	if cerr := r.crash(PointAfterSend); cerr != nil {
		return cerr
	}
	return r.record(ctx, it, rc, err, retryUnknown, false)
}

// record turns a vendor answer into the ledger entry and the receipt
// (classify says what the answer means).
func (r *pushRun) record(ctx context.Context, it *item, rc connectors.Receipt, err error, retryUnknown, update bool) error {
	store := context.WithoutCancel(ctx) // an answer received is always recorded
	status := intOrNull(connectors.HTTPStatus(err))
	switch classify(err, update) {
	case vAccepted:
		if err := r.markDone(store, it, rc); err != nil {
			return err
		}
		it.receipt.Outcome, it.receipt.VendorID, it.receipt.HTTPStatus = OutcomeSubmitted, rc.VendorID, intOrNull(rc.HTTPStatus)
		if update {
			it.receipt.Outcome = OutcomeUpdated
		}
	case vPartial:
		// Created: the row must never be sent again, whatever failed after.
		var partial *connectors.PartialError
		errors.As(err, &partial)
		if err := r.markDone(store, it, partial.Receipt); err != nil {
			return err
		}
		it.done(OutcomeSubmitted, partial.Error())
		it.receipt.VendorID, it.receipt.HTTPStatus = partial.Receipt.VendorID, intOrNull(partial.Receipt.HTTPStatus)
	case vRejected:
		msg := rejection(err)
		if err := r.store.MarkFailed(store, r.scope, it.key, connectors.HTTPStatus(err), it.scrubText(msg)); err != nil {
			return err
		}
		it.fail(failRefused, msg)
		it.receipt.HTTPStatus = status
	case vWaiting:
		// Nothing was sent: the row waits in the ledger, and the next run
		// sends it as if it were new.
		if err := r.store.MarkWaiting(store, r.scope, it.key, it.scrubText(err.Error())); err != nil {
			return err
		}
		it.done(OutcomeWaiting, "not sent yet, the next run tries again: "+err.Error())
	case vLookup:
		return r.afterUnknown(ctx, it, err, retryUnknown)
	case vNotSent:
		// The vendor refused before acting: the row is safe to send again.
		if err := r.notActed(store, it, update); err != nil {
			return err
		}
		it.fail(failRetry, "rate limited; not sent, will be sent on the next run: "+err.Error())
		it.receipt.HTTPStatus = status
	case vStop:
		// Not this row's fault, and no row will fare better: the vendor
		// refused the credentials or the URL. The row was not acted on, so
		// it is forgotten (sent on the next run), and the run stops.
		if err := r.notActed(store, it, update); err != nil {
			return err
		}
		it.fail(failRetry, "not sent: "+err.Error())
		it.receipt.HTTPStatus = status
		return fmt.Errorf("push stopped%s: %w", authHint(err, "push.config"), err)
	default:
		// It may or may not have reached the vendor: the row stays pending,
		// and the next run looks it up before resending.
		it.fail(failUnknown, "outcome unknown; the next run checks with the vendor before resending: "+err.Error())
	}
	return nil
}

// rejection is the vendor's "no" as the receipt quotes it: a connector's
// *RejectedError says it best (without the wrapping context).
func rejection(err error) string {
	var rej *connectors.RejectedError
	if errors.As(err, &rej) {
		return rej.Error()
	}
	return err.Error()
}

// markDone records in the ledger that the vendor has a row.
func (r *pushRun) markDone(ctx context.Context, it *item, rc connectors.Receipt) error {
	return r.store.MarkDone(ctx, r.scope, it.key, rc.VendorID, rc.HTTPStatus, it.scrubExtra(withPayment(rc.Extra, rc.Payment)))
}

// afterUnknown handles a send whose answer was lost.
func (r *pushRun) afterUnknown(ctx context.Context, it *item, cause error, retry bool) error {
	rc, found, err := r.target.Lookup(ctx, it.rec, it.sendKey, r.opts.now().Add(-time.Minute))
	switch {
	case errors.Is(err, connectors.ErrNoLookup):
		return r.needsHuman(ctx, it, "the connection failed after sending ("+cause.Error()+") and the vendor offers no lookup")
	case err != nil:
		it.fail(failUnknown, "outcome unknown and the lookup failed; the next run checks again: "+err.Error())
		return nil
	case found:
		if err := r.markDone(context.WithoutCancel(ctx), it, rc); err != nil {
			return err
		}
		it.done(OutcomeSubmitted, "the answer was lost; the vendor has the row")
		it.receipt.VendorID = rc.VendorID
		return nil
	case retry:
		return r.send(ctx, it, false)
	}
	it.fail(failUnknown, "outcome unknown twice; the next run checks with the vendor before resending: "+cause.Error())
	return nil
}

func (r *pushRun) needsHuman(ctx context.Context, it *item, reason string) error {
	who := ""
	if d, ok := r.target.(Describer); ok {
		who = d.Describe(it.rec)
	}
	if who != "" {
		reason += "; check at the vendor: " + who
	}
	reason = it.scrubText(reason) // the ledger and the summary keep it
	if err := r.store.MarkNeedsHuman(context.WithoutCancel(ctx), r.scope, it.key, reason, nil); err != nil {
		return err
	}
	it.done(OutcomeNeedsHuman, reason)
	r.mu.Lock()
	r.sum.Human = append(r.sum.Human, fmt.Sprintf("row %d (key %s): %s", it.row.Num, it.key, reason))
	r.mu.Unlock()
	return nil
}

// resolve settles a row an earlier run left pending: it was being sent when
// that run stopped. The vendor is asked first; only a row it does not have
// is sent.
func (r *pushRun) resolve(ctx context.Context, it *item) error {
	if it.prev.VendorID != "" {
		// The row was sent before and an update of it was interrupted; an
		// update can safely be applied again.
		return r.update(ctx, it)
	}
	if it.prev.ContentHash != it.hash {
		// The row was edited since; the earlier version may exist at the
		// vendor, so the edit needs a person as much as the original did.
		return r.needsHuman(ctx, it, "an interrupted run was sending an earlier version of this row")
	}
	rc, found, err := r.target.Lookup(ctx, it.rec, it.sendKey, it.prev.FirstTryAt)
	switch {
	case errors.Is(err, connectors.ErrNoLookup):
		return r.needsHuman(ctx, it, fmt.Sprintf("run %s stopped while sending this row and the vendor offers no lookup", it.prev.RunID))
	case err != nil:
		it.fail(failUnknown, "could not check an interrupted send with the vendor; not resent: "+err.Error())
		return nil
	case found:
		if err := r.markDone(context.WithoutCancel(ctx), it, rc); err != nil {
			return err
		}
		it.done(OutcomeSubmitted, fmt.Sprintf("recovered: run %s sent it before stopping; the vendor has it", it.prev.RunID))
		it.receipt.VendorID = rc.VendorID
		r.mu.Lock()
		r.sum.Recovered++
		r.mu.Unlock()
		return nil
	}
	return r.send(ctx, it, true)
}

func (r *pushRun) update(ctx context.Context, it *item) error {
	up, ok := r.target.(connectors.Updater)
	if !ok {
		it.fail(failRefused, "the target cannot update")
		return nil
	}
	if err := r.store.MarkPending(ctx, state.LedgerEntry{Scope: r.scope, Key: it.key, ContentHash: it.hash,
		Pipeline: r.plan.Name(), RunID: r.runID, Row: it.row.Num}); err != nil {
		return err
	}
	rc, err := up.Update(ctx, it.prev.VendorID, it.rec, it.sendKey)
	if rc.VendorID == "" {
		rc.VendorID = it.prev.VendorID
	}
	return r.record(ctx, it, rc, err, false, true)
}

// notActed undoes the pending mark of a row the vendor certainly did not
// act on, so the next run sends it. An interrupted update stays pending
// instead: its ledger entry holds the vendor id, and forgetting it would
// make the next run create the record a second time (the next run applies
// the update again).
func (r *pushRun) notActed(ctx context.Context, it *item, update bool) error {
	if update {
		return nil
	}
	_, err := r.store.Forget(ctx, r.scope, it.key)
	return err
}
