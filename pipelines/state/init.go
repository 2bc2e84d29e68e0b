package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
)

// busyTimeout is how long any statement waits for another process's lock
// before it fails with "database is locked".
const busyTimeout = 10 * time.Second

// initialize switches a database to WAL and creates its tables. Both need a
// write lock, and on a fresh file several processes (a scheduler and a
// `leadpipe run`, or two runs started together) race for it. SQLite answers
// some of these races with SQLITE_BUSY at once, without calling the busy
// handler (the switch to WAL, a stale read snapshot), so every step is
// retried until busyTimeout has passed, like any other statement waits.
func initialize(db *sql.DB) error {
	ctx, cancel := context.WithTimeout(context.Background(), busyTimeout)
	defer cancel()
	return retryBusy(ctx, func() error {
		conn, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		var mode string
		if err := conn.QueryRowContext(ctx, `PRAGMA journal_mode=WAL`).Scan(&mode); err != nil {
			return fmt.Errorf("switch to WAL: %w", err)
		}
		if mode != "wal" {
			return fmt.Errorf("switch to WAL: the database stays in %s mode", mode)
		}
		tx, err := conn.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock)
		if err != nil {
			return fmt.Errorf("create tables: %w", err)
		}
		if _, err := tx.ExecContext(ctx, schemaSQL+saltSQL+fundedSQL+alertsSQL); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("create tables: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("create tables: %w", err)
		}
		return nil
	})
}

// retryBusy runs fn until it succeeds, fails with an error other than
// SQLITE_BUSY or SQLITE_LOCKED, or ctx ends (then the last error is
// returned).
func retryBusy(ctx context.Context, fn func() error) error {
	wait := 5 * time.Millisecond
	for {
		err := fn()
		if err == nil || !isBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// isBusy reports SQLITE_BUSY and SQLITE_LOCKED, with any extended code.
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
		return true
	}
	return false
}
