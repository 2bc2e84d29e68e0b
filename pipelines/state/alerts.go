package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The alert state of each pipeline: whether its last run was failing, since
// when, and when its last alert went out. `leadpipe schedule` and `leadpipe
// run` read and write it, so an alert fires on the change to failing, is
// repeated no more often than asked, and is followed by a recovery message,
// across restarts and across the two commands (a cron `leadpipe run` does not
// alert on every run either). Open creates the table.
const alertsSQL = `
CREATE TABLE IF NOT EXISTS alert_state (
	pipeline   TEXT PRIMARY KEY,
	failing    INTEGER NOT NULL,
	event      TEXT NOT NULL,
	since      TEXT,
	last_sent  TEXT,
	failures   INTEGER NOT NULL DEFAULT 0,
	updated_at TEXT NOT NULL
);
`

// AlertState is a pipeline's alert state. The zero value is a pipeline that
// is not failing.
type AlertState struct {
	Pipeline string
	Failing  bool
	// Event is the kind of failure last alerted on (run_failed,
	// rows_not_sent).
	Event string
	// Since is the end of the first failing run of the current streak.
	Since time.Time
	// LastSent is when the last alert of the streak was delivered (zero:
	// none was, yet).
	LastSent time.Time
	// Failures counts the failing runs of the streak.
	Failures int
}

// AlertState returns a pipeline's alert state (the zero state when it has
// none).
func (s *Store) AlertState(ctx context.Context, pipeline string) (AlertState, error) {
	a := AlertState{Pipeline: pipeline}
	var failing int
	var since, sent sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT failing, event, since, last_sent, failures FROM alert_state WHERE pipeline = ?`, pipeline).
		Scan(&failing, &a.Event, &since, &sent, &a.Failures)
	if errors.Is(err, sql.ErrNoRows) {
		return a, nil
	}
	if err != nil {
		return a, fmt.Errorf("state store: alert state of %s: %w", pipeline, err)
	}
	a.Failing, a.Since, a.LastSent = failing != 0, parseTime(since), parseTime(sent)
	return a, nil
}

// SetAlertState records a pipeline's alert state.
func (s *Store) SetAlertState(ctx context.Context, a AlertState) error {
	stamp := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	failing := 0
	if a.Failing {
		failing = 1
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO alert_state (pipeline, failing, event, since, last_sent, failures, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (pipeline) DO UPDATE SET failing = excluded.failing, event = excluded.event, since = excluded.since,
		last_sent = excluded.last_sent, failures = excluded.failures, updated_at = excluded.updated_at`,
		a.Pipeline, failing, a.Event, stamp(a.Since), stamp(a.LastSent), a.Failures, s.stamp())
	if err != nil {
		return fmt.Errorf("state store: alert state of %s: %w", a.Pipeline, err)
	}
	return nil
}
