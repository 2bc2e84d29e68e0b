package state

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Some vendors never say when a loan was funded (Iute's loan status has no
// date). For those loans funded_at is the extraction time of the first run
// that saw the loan funded, and funded_at_source says so (first_seen). The
// store keeps that time per loan, with the run that saw it: a record counts
// once its run committed (or while that run is the one asking), so a run
// that failed or was rolled back leaves no date behind that its rows never
// reached the lake with.
const fundedSQL = `
CREATE TABLE IF NOT EXISTS funded_first_seen (
	loan_uid   TEXT PRIMARY KEY,
	first_seen INTEGER NOT NULL, -- microseconds since 1970-01-01 UTC
	run_id     TEXT NOT NULL
);
`

// fundedBatch bounds the loan uids of one query.
const fundedBatch = 500

// FirstSeenFunded returns when each loan was first seen funded. loans maps
// each loan's uid to whether this run sees it funded; a loan seen funded
// with no valid record is recorded as first seen at `at` by run runID
// (unless record is false: a dry run), and returned with that time. A loan
// not funded now and with no valid record is left out.
func (s *Store) FirstSeenFunded(ctx context.Context, runID string, at time.Time, loans map[string]bool, record bool) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(loans))
	uids := make([]string, 0, len(loans))
	for u := range loans {
		uids = append(uids, u)
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(uids); start += fundedBatch {
			chunk := uids[start:min(start+fundedBatch, len(uids))]
			args := make([]any, 0, len(chunk)+2)
			args = append(args, RunCommitted, runID)
			for _, u := range chunk {
				args = append(args, u)
			}
			rows, err := tx.QueryContext(ctx, `SELECT f.loan_uid, f.first_seen FROM funded_first_seen f
				LEFT JOIN runs r ON r.run_id = f.run_id
				WHERE (r.status = ? OR f.run_id = ?) AND f.loan_uid IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var uid string
				var us int64
				if err := rows.Scan(&uid, &us); err != nil {
					rows.Close()
					return err
				}
				out[uid] = time.UnixMicro(us).UTC()
			}
			if err := rows.Close(); err != nil {
				return err
			}
		}
		for _, u := range uids {
			if _, ok := out[u]; ok || !loans[u] {
				continue
			}
			out[u] = at.UTC().Truncate(time.Microsecond)
			if !record {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO funded_first_seen (loan_uid, first_seen, run_id) VALUES (?, ?, ?)
				ON CONFLICT (loan_uid) DO UPDATE SET first_seen = excluded.first_seen, run_id = excluded.run_id`,
				u, at.UnixMicro(), runID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("state store: funded loans: %w", err)
	}
	return out, nil
}
