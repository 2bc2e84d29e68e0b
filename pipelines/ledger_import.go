package pipelines

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/pipelines/receipts"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// ErrLedgerElsewhere stops a push whose ledger holds nothing for it while
// receipts show that earlier runs sent rows: those runs kept their ledger
// in another state store, and sending now would send their rows again.
var ErrLedgerElsewhere = errors.New("refusing to send: this push's ledger is not the one its earlier runs used")

// ledgerOutcome tells what a receipt's outcome says about the ledger row the
// run left: the status to rebuild, or "" for rows that left none (rejected
// before sending, waiting, not sent).
func ledgerOutcome(rc receipts.Row) string {
	switch rc.Outcome {
	case OutcomeSubmitted, OutcomeUpdated:
		return state.LedgerDone
	case OutcomeSkipped:
		if rc.VendorID != "" {
			return state.LedgerDone
		}
	case OutcomeNeedsHuman:
		return state.LedgerNeedsHuman
	case OutcomeFailed:
		switch h := rc.HTTPStatus; {
		case connectors.StatusIs(h, connectors.ErrNotSent) || connectors.StatusIs(h, connectors.ErrRefused):
			return "" // refused before acting on the row: not sent
		case connectors.StatusIs(h, connectors.ErrRejected):
			return state.LedgerFailed // the vendor said no to this row
		}
		// An unknown outcome, or a row that was not sent (the receipt
		// cannot say which): pending is the safe reading, since the next
		// run looks a pending row up at the vendor before sending it (or
		// hands it to a person where the vendor has no lookup).
		return state.LedgerPending
	}
	return ""
}

// sentEvidence says whether a receipt shows the row reached the vendor (or
// may have): the vendor accepted, refused or half-answered it, or a person
// must check. A failed row without an HTTP status may just not have been
// sent (a stopped run), so it is no evidence.
func sentEvidence(rc receipts.Row) bool {
	switch ledgerOutcome(rc) {
	case "":
		return false
	case state.LedgerPending:
		return rc.HTTPStatus != 0
	}
	return true
}

// checkLedgerHere refuses a push whose ledger holds nothing for this
// pipeline and target while the receipts location holds receipts of runs
// that sent rows.
func (r *pushRun) checkLedgerHere(ctx context.Context) error {
	n, err := r.store.LedgerCount(ctx, r.scope, r.plan.Name())
	if err != nil || n > 0 {
		return err
	}
	opts := StorageOptions(r.plan.Pipeline.Push.Storage)
	files, err := receipts.List(ctx, r.pp.Receipts, r.plan.Name(), opts)
	if err != nil {
		return fmt.Errorf("check the receipts of earlier runs: %w", err)
	}
	for _, f := range files {
		rows, err := receipts.Read(ctx, f.URL, opts)
		if err != nil {
			return fmt.Errorf("check the receipts of earlier runs: %w", err)
		}
		for _, rc := range rows {
			if !sentEvidence(rc) {
				continue
			}
			loc := r.pp.Receipts
			return fmt.Errorf("%w. The push ledger in %s holds nothing for pipeline %s and target %s, but the receipts of its earlier runs in %s "+
				"show rows sent to the vendor (%s). Sending now would send those rows again. Either run with the state store those runs used "+
				"(--state PATH), or rebuild this ledger from their receipts:\n  leadpipe ledger import %s --pipeline %s --scope %s --state %s",
				ErrLedgerElsewhere, r.store.Path(), r.plan.Name(), r.scope, loc, f.URL,
				shellQuote(loc), r.plan.Name(), shellQuote(r.scope), shellQuote(r.store.Path()))
		}
	}
	return nil
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("@%+=:,./_-", c))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ImportResult counts what a ledger import did.
type ImportResult struct {
	Files    int
	ByStatus map[string]int // rows added, by ledger status
	Known    int            // keys the ledger had already (left as they were)
	Skipped  int            // receipt rows that leave no ledger row (rejected, waiting, not sent)
}

// ImportLedger rebuilds a pipeline's push ledger rows in scope from the
// receipts of its runs at location (a directory of receipts files or one
// file), oldest run first, so that a push whose ledger was lost or kept
// elsewhere does not send its rows again. A key the ledger already has is
// left alone; for a key in several runs, the latest that says something
// about it wins.
func ImportLedger(ctx context.Context, store *state.Store, location, pipeline, scope string, opts storage.Options) (*ImportResult, error) {
	files, err := receipts.List(ctx, location, pipeline, opts)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no receipts of pipeline %s at %s (receipts files are named %s-<run id>.csv)", pipeline, location, pipeline)
	}
	res := &ImportResult{Files: len(files), ByStatus: map[string]int{}}
	latest := map[string]state.LedgerEntry{}
	var order []string
	for _, f := range files {
		rows, err := receipts.Read(ctx, f.URL, opts)
		if err != nil {
			return nil, err
		}
		for _, rc := range rows {
			status := ledgerOutcome(rc)
			if status == "" || rc.Key == "" {
				res.Skipped++
				continue
			}
			prev, seen := latest[rc.Key]
			if rc.Outcome == OutcomeSkipped && seen {
				continue // a skip repeats what an earlier run said
			}
			if !seen {
				order = append(order, rc.Key)
			}
			at := f.Started()
			e := state.LedgerEntry{Scope: scope, Key: rc.Key, Status: status, VendorID: rc.VendorID, HTTPStatus: rc.HTTPStatus,
				Error: rc.Error, Pipeline: pipeline, RunID: f.RunID, Row: rc.Row, FirstTryAt: at, UpdatedAt: at,
				Extra: map[string]string{"imported_from": f.URL}}
			if e.VendorID == "" {
				e.VendorID = prev.VendorID
			}
			latest[rc.Key] = e
		}
	}
	for _, k := range order {
		added, err := store.ImportEntry(ctx, latest[k])
		if err != nil {
			return res, err
		}
		if added {
			res.ByStatus[latest[k].Status]++
		} else {
			res.Known++
		}
	}
	return res, nil
}
