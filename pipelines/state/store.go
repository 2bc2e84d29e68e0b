// Package state is leadpipe's state store: the cursors of every pipeline
// stream, the run journal, the push ledger, the loan refs leadpipe knows, and
// the per-pipeline run locks. It is an embedded SQLite database (pure Go, no
// cgo) in WAL mode with synchronous=FULL, so a committed transaction survives
// a crash or power loss, and one scheduler plus ad-hoc `leadpipe run` calls
// can share it.
package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

// Store is an open state database.
type Store struct {
	db       *sql.DB
	path     string
	now      func() time.Time
	warnings []string
}

const schemaSQL = `
CREATE TABLE IF NOT EXISTS cursors (
	pipeline   TEXT NOT NULL,
	stream     TEXT NOT NULL,
	value      TEXT NOT NULL,
	run_id     TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (pipeline, stream)
);
CREATE TABLE IF NOT EXISTS runs (
	run_id      TEXT PRIMARY KEY,
	pipeline    TEXT NOT NULL,
	kind        TEXT NOT NULL,
	status      TEXT NOT NULL,
	started_at  TEXT NOT NULL,
	finished_at TEXT,
	error       TEXT,
	sink        TEXT,
	cursors     TEXT,
	summary     TEXT,
	pid         INTEGER,
	host        TEXT
);
CREATE INDEX IF NOT EXISTS runs_pipeline ON runs (pipeline, started_at);
CREATE TABLE IF NOT EXISTS run_files (
	run_id    TEXT NOT NULL,
	staged    TEXT NOT NULL,
	final     TEXT NOT NULL,
	state     TEXT NOT NULL,
	tbl       TEXT NOT NULL,
	rows      INTEGER NOT NULL DEFAULT 0,
	bytes     INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (run_id, staged)
);
CREATE TABLE IF NOT EXISTS ledger (
	scope        TEXT NOT NULL,
	row_key      TEXT NOT NULL,
	content_hash TEXT NOT NULL,
	status       TEXT NOT NULL,
	vendor_id    TEXT,
	http_status  INTEGER,
	error        TEXT,
	extra        TEXT,
	pipeline     TEXT NOT NULL,
	run_id       TEXT NOT NULL,
	row_num      INTEGER,
	first_try_at TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	PRIMARY KEY (scope, row_key)
);
CREATE TABLE IF NOT EXISTS loan_refs (
	vendor     TEXT NOT NULL,
	ref        TEXT NOT NULL,
	pipeline   TEXT NOT NULL,
	row_key    TEXT,
	origin     TEXT NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (vendor, ref)
);
CREATE TABLE IF NOT EXISTS locks (
	pipeline    TEXT PRIMARY KEY,
	owner       TEXT NOT NULL,
	pid         INTEGER NOT NULL,
	host        TEXT NOT NULL,
	acquired_at TEXT NOT NULL,
	beat_at     TEXT NOT NULL
);
`

// DefaultPath is where the state lives when nothing else is configured.
func DefaultPath() string {
	if p := os.Getenv("LEADPIPE_STATE"); p != "" {
		return p
	}
	return filepath.Join(".leadpipe", "state.db")
}

// Open opens (creating if needed) the state database at path. The
// database and its directory are private (see private.go); creating it, its
// tables and its switch to WAL wait on the busy timeout, so processes that
// start together on a fresh file all open it (see init.go).
func Open(path string) (*Store, error) {
	warnings, err := preparePrivate(path)
	if err != nil {
		return nil, fmt.Errorf("open state store %s: %w", path, err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open state store %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	if err := initialize(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open state store %s: %w", path, err)
	}
	// SQLite gives the WAL and shared-memory files the database's mode, but
	// files left by an older version keep theirs: tighten them now.
	warnings = append(warnings, tightenSidecars(path)...)
	return &Store{db: db, path: path, now: time.Now, warnings: warnings}, nil
}

// Warnings are what Open changed and a person should know: a state file or
// directory that was readable by others and has been made private.
func (s *Store) Warnings() []string { return s.warnings }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// SetClock replaces the store's clock (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

func (s *Store) stamp() string { return s.now().UTC().Format(time.RFC3339Nano) }

func parseTime(v sql.NullString) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, v.String)
	return t
}

// tx runs fn in one immediate transaction.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Cursors returns the committed cursors of a pipeline, by stream.
func (s *Store) Cursors(ctx context.Context, pipeline string) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT stream, value FROM cursors WHERE pipeline = ?`, pipeline)
	if err != nil {
		return nil, fmt.Errorf("read cursors: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// ResetCursors forgets a pipeline's cursors (leadpipe state reset).
func (s *Store) ResetCursors(ctx context.Context, pipeline string, streams ...string) (int64, error) {
	var res sql.Result
	var err error
	if len(streams) == 0 {
		res, err = s.db.ExecContext(ctx, `DELETE FROM cursors WHERE pipeline = ?`, pipeline)
	} else {
		for _, st := range streams {
			res, err = s.db.ExecContext(ctx, `DELETE FROM cursors WHERE pipeline = ? AND stream = ?`, pipeline, st)
			if err != nil {
				break
			}
		}
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ErrNotFound is returned when a run or ledger row does not exist.
var ErrNotFound = errors.New("not found")
