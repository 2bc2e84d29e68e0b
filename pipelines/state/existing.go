package state

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrNoStore means there is no state database where a read-only command
// looked. Such commands never create one: an empty store made wherever a
// command happened to be typed would only hide where the real one is.
var ErrNoStore = errors.New("no state store")

// OpenExisting opens the state database at path only if it exists.
func OpenExisting(path string) (*Store, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w at %s", ErrNoStore, path)
	case err != nil:
		return nil, fmt.Errorf("open state store %s: %w", path, err)
	case fi.IsDir():
		return nil, fmt.Errorf("open state store %s: it is a directory, not a state database", path)
	}
	return Open(path)
}

// KnownPipeline reports whether the store has ever heard of a pipeline: a
// run, a cursor or a ledger row under its name.
func (s *Store) KnownPipeline(ctx context.Context, name string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM runs WHERE pipeline = ?) OR
		EXISTS (SELECT 1 FROM cursors WHERE pipeline = ?) OR
		EXISTS (SELECT 1 FROM ledger WHERE pipeline = ?)`, name, name, name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read state store: %w", err)
	}
	return n != 0, nil
}

// Pipelines lists every pipeline the store knows, sorted.
func (s *Store) Pipelines(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT pipeline FROM runs UNION SELECT pipeline FROM cursors
		UNION SELECT pipeline FROM ledger ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("read state store: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
