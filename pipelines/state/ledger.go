package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Ledger statuses. A row is recorded pending before it is sent and done
// (with the vendor's id) after the vendor accepted it. A pending row found by
// a later run is one whose outcome is unknown: it is looked up at the vendor
// before anything is resent.
const (
	LedgerPending    = "pending"
	LedgerDone       = "done"
	LedgerFailed     = "failed"      // the vendor said no; resent only if the row changes
	LedgerNeedsHuman = "needs_human" // outcome unknown and the vendor has no lookup
	// LedgerWaiting is a row the vendor does not accept yet: nothing was
	// sent, and the next run sends it as if it were new.
	LedgerWaiting = "waiting"
)

// LedgerEntry is the push ledger's record of one input row.
type LedgerEntry struct {
	Scope       string // which vendor target (and account) the key belongs to
	Key         string
	ContentHash string // hash of the mapped record, to notice edited rows
	Status      string
	VendorID    string
	HTTPStatus  int
	Error       string
	Extra       map[string]string
	Pipeline    string
	RunID       string
	Row         int
	FirstTryAt  time.Time
	UpdatedAt   time.Time
}

const ledgerCols = `scope, row_key, content_hash, status, vendor_id, http_status, error, extra, pipeline, run_id, row_num, first_try_at, updated_at`

func scanLedger(sc interface{ Scan(...any) error }) (LedgerEntry, error) {
	var e LedgerEntry
	var vendorID, errMsg, extra, first, updated sql.NullString
	var status, row sql.NullInt64
	if err := sc.Scan(&e.Scope, &e.Key, &e.ContentHash, &e.Status, &vendorID, &status, &errMsg, &extra,
		&e.Pipeline, &e.RunID, &row, &first, &updated); err != nil {
		return e, err
	}
	e.VendorID, e.Error, e.HTTPStatus, e.Row = vendorID.String, errMsg.String, int(status.Int64), int(row.Int64)
	e.FirstTryAt, e.UpdatedAt = parseTime(first), parseTime(updated)
	if extra.Valid && extra.String != "" {
		_ = json.Unmarshal([]byte(extra.String), &e.Extra)
	}
	return e, nil
}

// LedgerGet returns the entries for keys, by key. Missing keys are absent.
func (s *Store) LedgerGet(ctx context.Context, scope string, keys []string) (map[string]LedgerEntry, error) {
	out := make(map[string]LedgerEntry, len(keys))
	const chunk = 500
	for start := 0; start < len(keys); start += chunk {
		part := keys[start:min(start+chunk, len(keys))]
		args := make([]any, 0, len(part)+1)
		args = append(args, scope)
		for _, k := range part {
			args = append(args, k)
		}
		q := `SELECT ` + ledgerCols + ` FROM ledger WHERE scope = ? AND row_key IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("read push ledger: %w", err)
		}
		for rows.Next() {
			e, err := scanLedger(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[e.Key] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// LedgerList returns every entry of a scope with one of the statuses (all
// statuses when none is given), ordered by key.
func (s *Store) LedgerList(ctx context.Context, scope string, statuses ...string) ([]LedgerEntry, error) {
	q := `SELECT ` + ledgerCols + ` FROM ledger WHERE scope = ?`
	args := []any{scope}
	if len(statuses) > 0 {
		q += ` AND status IN (?` + strings.Repeat(",?", len(statuses)-1) + `)`
		for _, st := range statuses {
			args = append(args, st)
		}
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY row_key`, args...)
	if err != nil {
		return nil, fmt.Errorf("read push ledger: %w", err)
	}
	defer rows.Close()
	var out []LedgerEntry
	for rows.Next() {
		e, err := scanLedger(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// LedgerScopes lists the scopes a pipeline pushed to.
func (s *Store) LedgerScopes(ctx context.Context, pipeline string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT scope FROM ledger WHERE pipeline = ? OR ? = '' ORDER BY scope`, pipeline, pipeline)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var sc string
		if err := rows.Scan(&sc); err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

// MarkPending durably records that a row is about to be sent. It must
// return before the request goes out: it is what makes a crash recoverable.
// e.Extra, when set, is kept from now on (what a person or the report needs
// to know about the row even if its outcome turns out unknown).
func (s *Store) MarkPending(ctx context.Context, e LedgerEntry) error {
	now := s.stamp()
	var extra any
	if len(e.Extra) > 0 {
		b, _ := json.Marshal(e.Extra)
		extra = string(b)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO ledger (scope, row_key, content_hash, status, extra, pipeline, run_id, row_num, first_try_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (scope, row_key) DO UPDATE SET content_hash = excluded.content_hash, status = excluded.status,
			error = NULL, extra = COALESCE(excluded.extra, ledger.extra), pipeline = excluded.pipeline, run_id = excluded.run_id, row_num = excluded.row_num,
			first_try_at = CASE WHEN ledger.status = 'pending' THEN ledger.first_try_at ELSE excluded.first_try_at END,
			updated_at = excluded.updated_at`,
		e.Scope, e.Key, e.ContentHash, LedgerPending, extra, e.Pipeline, e.RunID, e.Row, now, now)
	if err != nil {
		return fmt.Errorf("record row %s as pending in the push ledger: %w", e.Key, err)
	}
	return nil
}

// MarkDone records the vendor's acceptance of a row.
func (s *Store) MarkDone(ctx context.Context, scope, key, vendorID string, httpStatus int, extra map[string]string) error {
	return s.mark(ctx, scope, key, LedgerDone, vendorID, httpStatus, "", extra)
}

// MarkFailed records a definitive failure of a row.
func (s *Store) MarkFailed(ctx context.Context, scope, key string, httpStatus int, errMsg string) error {
	return s.mark(ctx, scope, key, LedgerFailed, "", httpStatus, errMsg, nil)
}

// MarkNeedsHuman records a row whose outcome cannot be known automatically.
func (s *Store) MarkNeedsHuman(ctx context.Context, scope, key, reason string, extra map[string]string) error {
	return s.mark(ctx, scope, key, LedgerNeedsHuman, "", 0, reason, extra)
}

// MarkWaiting records a row the vendor did not accept yet (nothing was
// sent).
func (s *Store) MarkWaiting(ctx context.Context, scope, key, reason string) error {
	return s.mark(ctx, scope, key, LedgerWaiting, "", 0, reason, nil)
}

// Forget removes a row from the ledger (after a human checked it, the
// operator may let it be sent again).
func (s *Store) Forget(ctx context.Context, scope, key string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM ledger WHERE scope = ? AND row_key = ?`, scope, key)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (s *Store) mark(ctx context.Context, scope, key, status, vendorID string, httpStatus int, errMsg string, extra map[string]string) error {
	var ex any
	if len(extra) > 0 {
		b, _ := json.Marshal(extra)
		ex = string(b)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE ledger SET status = ?, vendor_id = COALESCE(?, vendor_id), http_status = ?, error = ?,
		extra = COALESCE(?, extra), updated_at = ? WHERE scope = ? AND row_key = ?`,
		status, nullString(vendorID), httpStatus, nullString(errMsg), ex, s.stamp(), scope, key)
	if err != nil {
		return fmt.Errorf("record row %s as %s in the push ledger: %w", key, status, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("record row %s as %s: no pending entry: %w", key, status, ErrNotFound)
	}
	return nil
}

// LoanRef is a vendor loan reference leadpipe knows, because it submitted
// the loan or because a user imported it. Vendors without a list endpoint
// (iute) are polled for exactly these.
type LoanRef struct {
	Vendor    string
	Ref       string
	Pipeline  string
	RowKey    string
	Origin    string // submitted | imported
	CreatedAt time.Time
}

// AddLoanRef records a loan reference; adding a known one is a no-op.
func (s *Store) AddLoanRef(ctx context.Context, r LoanRef) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO loan_refs (vendor, ref, pipeline, row_key, origin, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (vendor, ref) DO NOTHING`, r.Vendor, r.Ref, r.Pipeline, nullString(r.RowKey), r.Origin, s.stamp())
	if err != nil {
		return fmt.Errorf("record loan ref %s: %w", r.Ref, err)
	}
	return nil
}

// LoanRefs lists the refs known for a vendor, oldest first.
func (s *Store) LoanRefs(ctx context.Context, vendor string) ([]LoanRef, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT vendor, ref, pipeline, row_key, origin, created_at FROM loan_refs WHERE vendor = ? ORDER BY created_at, ref`, vendor)
	if err != nil {
		return nil, fmt.Errorf("read loan refs: %w", err)
	}
	defer rows.Close()
	var out []LoanRef
	for rows.Next() {
		var r LoanRef
		var key, created sql.NullString
		if err := rows.Scan(&r.Vendor, &r.Ref, &r.Pipeline, &key, &r.Origin, &created); err != nil {
			return nil, err
		}
		r.RowKey, r.CreatedAt = key.String, parseTime(created)
		out = append(out, r)
	}
	return out, rows.Err()
}
