package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"
)

// These are the ledger operations a person (or their tooling) performs, as
// opposed to those of a running push: resolving a row checked at the
// vendor, and rebuilding a lost ledger from receipts.

// LedgerCount counts a pipeline's ledger rows in a scope.
func (s *Store) LedgerCount(ctx context.Context, scope, pipeline string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM ledger WHERE scope = ? AND pipeline = ?`, scope, pipeline).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read push ledger: %w", err)
	}
	return n, nil
}

// Resolve records that a person found a row at the vendor, under vendorID:
// the row becomes done, so no run sends it again, and the report counts it
// like any row the vendor accepted. note says who found what; the row's
// earlier status and note are kept after it, and extra is merged into the
// row's extra values (with resolved_from, the earlier status).
func (s *Store) Resolve(ctx context.Context, scope, key, vendorID, note string, extra map[string]string) (LedgerEntry, error) {
	var prev LedgerEntry
	err := s.tx(ctx, func(tx *sql.Tx) error {
		e, err := scanLedger(tx.QueryRowContext(ctx, `SELECT `+ledgerCols+` FROM ledger WHERE scope = ? AND row_key = ?`, scope, key))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no ledger entry for %s in %s: %w", key, scope, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if e.Status == LedgerDone {
			return fmt.Errorf("%s in %s is already done (vendor id %s): %w", key, scope, e.VendorID, ErrAlreadyDone)
		}
		prev = e
		merged := map[string]string{}
		maps.Copy(merged, e.Extra)
		maps.Copy(merged, extra)
		merged["resolved_from"] = e.Status
		note += " (was " + e.Status
		if e.Error != "" {
			note += ": " + e.Error
		}
		note += ")"
		b, _ := json.Marshal(merged)
		_, err = tx.ExecContext(ctx, `UPDATE ledger SET status = ?, vendor_id = ?, error = ?, extra = ?, updated_at = ? WHERE scope = ? AND row_key = ?`,
			LedgerDone, vendorID, note, string(b), s.stamp(), scope, key)
		return err
	})
	return prev, err
}

// ErrAlreadyDone is returned by Resolve for a row that is done already.
var ErrAlreadyDone = errors.New("already done")

// ImportEntry adds a ledger row rebuilt from receipts, unless the ledger has
// the key already (what the ledger knows is never overwritten). It reports
// whether the row was added. Imported rows have no content hash: a run
// treats them as unchanged since they were sent. Zero times are now.
func (s *Store) ImportEntry(ctx context.Context, e LedgerEntry) (bool, error) {
	var extra any
	if len(e.Extra) > 0 {
		b, _ := json.Marshal(e.Extra)
		extra = string(b)
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return s.stamp()
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	first, updated := stamp(e.FirstTryAt), stamp(e.UpdatedAt)
	res, err := s.db.ExecContext(ctx, `INSERT INTO ledger (scope, row_key, content_hash, status, vendor_id, http_status, error, extra, pipeline, run_id, row_num, first_try_at, updated_at)
		VALUES (?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, row_key) DO NOTHING`,
		e.Scope, e.Key, e.Status, nullString(e.VendorID), e.HTTPStatus, nullString(e.Error), extra, e.Pipeline, e.RunID, e.Row, first, updated)
	if err != nil {
		return false, fmt.Errorf("import ledger row %s: %w", e.Key, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
