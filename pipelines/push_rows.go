package pipelines

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sources/file"
	"github.com/leadpipe/leadpipe/transforms/mapping"
	"github.com/leadpipe/leadpipe/transforms/privacy"
)

// item is one input row on its way through the run.
type item struct {
	seq     int
	row     file.Row
	rec     connectors.Record
	key     string // as stored: hashed when the privacy policy does not keep a key column
	sendKey string // as sent to the vendor (external_id...)
	hash    string
	pii     *privacy.RowScrub
	action  action
	prev    state.LedgerEntry
	receipt Receipt
	rejects []Reject
	failure failure
}

// failure says, for a failed row, what the next run does with it.
type failure int

const (
	failNone failure = iota
	// failRefused: the vendor said no; sent again once the row changes.
	failRefused
	// failRetry: not acted on (rate limited, stopped); sent again.
	failRetry
	// failUnknown: may have arrived; looked up before anything is resent.
	failUnknown
)

// done gives the row its receipt's outcome and note.
func (it *item) done(outcome, note string) {
	it.receipt.Outcome, it.receipt.Error = outcome, note
}

// fail gives the row a failed receipt, and says what the next run does.
func (it *item) fail(f failure, note string) {
	it.receipt.Outcome, it.receipt.Error, it.failure = OutcomeFailed, note, f
}

// prepare keys, maps and validates the rows of a chunk. seen holds the rows
// of this file met so far, by key.
func (r *pushRun) prepare(ctx context.Context, chunk []*item, seen map[string]seenRow) {
	for _, it := range chunk {
		it.receipt.Row = schema.IntOf(int64(it.row.Num))
		if it.row.Problem != "" {
			r.reject(it, Reject{Reason: it.row.Problem})
			continue
		}
		// A key column gives the row its key before anything else, so even a
		// rejected row's receipt says which row it is.
		if len(r.pp.KeyColumns) > 0 {
			r.keyRow(it)
		}
		rec, probs := r.pp.Mapping.Apply(it.row.Num, it.row.Values())
		it.pii = r.pii.Row(it.row.Values(), &rec)
		for _, p := range probs {
			r.reject(it, Reject{Column: p.Column, Field: p.Field, Value: p.Value, Reason: p.Reason})
		}
		if len(probs) == 0 {
			cols := r.pp.Mapping.Columns()
			for _, fe := range r.target.Validate(ctx, rec) {
				col := cols[fe.Field]
				val, _ := it.row.Get(col)
				r.reject(it, Reject{Column: col, Field: fe.Field, Value: val, Reason: fe.Msg})
			}
			r.checkAttachments(ctx, it, rec, cols)
		}
		if len(it.rejects) > 0 {
			continue
		}
		it.rec = rec
		it.hash = mapping.Hash(rec)
		if it.key == "" {
			it.key, it.sendKey = it.hash, it.hash
			it.receipt.Key = it.key
		}
		r.checkDuplicate(it, seen)
	}
}

// seenRow is the first row of this file with a key.
type seenRow struct {
	hash string
	num  int
}

// keyRow gives a row its key from the key columns.
func (r *pushRun) keyRow(it *item) {
	var parts []string
	for _, k := range r.pp.KeyColumns {
		v, _ := it.row.Get(k)
		if v == "" {
			r.reject(it, Reject{Column: k, Reason: "the key column is empty: every row needs a key to be sent exactly once"})
		}
		parts = append(parts, v)
	}
	it.sendKey = strings.Join(parts, "|")
	it.key = r.pii.Key(it.sendKey)
	it.receipt.Key = it.key
}

// checkDuplicate settles a row whose key an earlier row of the file has:
// skipped when it is the same row, rejected when it differs.
func (r *pushRun) checkDuplicate(it *item, seen map[string]seenRow) {
	first, dup := seen[it.key]
	if !dup {
		seen[it.key] = seenRow{hash: it.hash, num: it.row.Num}
		return
	}
	if first.hash == it.hash {
		it.action = actSettled
		it.done(OutcomeSkipped, fmt.Sprintf("same row as row %d of this file", first.num))
		return
	}
	r.reject(it, Reject{Column: strings.Join(r.pp.KeyColumns, "|"), Value: it.key,
		Reason: fmt.Sprintf("key %q is also on row %d with different values", it.key, first.num)})
}

// checkAttachments rejects a row whose file fields name a file that cannot
// be attached (outside attachments_dir, a special file, the state...),
// before anything of the row is sent.
func (r *pushRun) checkAttachments(ctx context.Context, it *item, rec connectors.Record, cols map[string]string) {
	for _, f := range r.pp.FileFields {
		if !rec.Has(f) {
			continue
		}
		cell := rec.String(f)
		var err error
		if r.attachments == nil {
			err = errors.New("no push.attachments_dir is declared, so no file can be attached")
		} else {
			err = r.attachments.Check(ctx, cell)
		}
		if err != nil {
			r.reject(it, Reject{Column: cols[f], Field: f, Value: cell, Reason: err.Error()})
		}
	}
}

// bound cuts the input a row's receipt and rejects quote to a short
// prefix, so a huge cell costs a line, not megabytes, in the rejects, the
// receipts and the summary. It runs after redact, which must see whole
// values to find them.
func bound(it *item) {
	it.receipt.Error = file.Cut(it.receipt.Error, 1000)
	for i := range it.rejects {
		rj := &it.rejects[i]
		rj.Value, rj.Reason = file.Short(rj.Value), file.Cut(rj.Reason, 500)
	}
}

// reject adds a problem to a row: it is not sent, and its receipt lists
// every problem.
func (r *pushRun) reject(it *item, rj Reject) {
	rj.Row = schema.IntOf(int64(it.row.Num))
	rj.Line = schema.IntOf(int64(it.row.Line))
	it.rejects = append(it.rejects, rj)
	it.action = actSettled
	var reasons []string
	for _, x := range it.rejects {
		where := x.Field
		if x.Column != "" {
			where = "column " + x.Column
			if x.Field != "" {
				where += " (" + x.Field + ")"
			}
		}
		if where != "" {
			reasons = append(reasons, where+": "+x.Reason)
		} else {
			reasons = append(reasons, x.Reason)
		}
	}
	it.done(OutcomeRejected, strings.Join(reasons, "; "))
}

func checkKeyColumns(plan *Plan, header []string) error {
	have := map[string]bool{}
	for _, h := range header {
		have[h] = true
	}
	for _, k := range plan.Push.KeyColumns {
		if !have[k] {
			return fmt.Errorf("%s: push.key: column %q is not in the input (columns: %s)", plan.File.Path, k, file.ColumnList(header))
		}
	}
	return nil
}
