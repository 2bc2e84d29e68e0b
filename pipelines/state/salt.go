package state

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
)

// The privacy policy's hashes need a secret salt. A pipeline names its own
// (privacy.salt: ${LEADPIPE_PII_SALT}); when it names none, leadpipe uses a
// salt it generated once and keeps here, so hashes stay stable across runs
// of every pipeline that shares this store. The store also remembers a
// fingerprint of the salt each pipeline last hashed with, so that a changed
// salt is noticed instead of silently breaking joins (and, for a push whose
// ledger keys are hashed, exactly-once delivery). Open creates the tables.
const saltSQL = `
CREATE TABLE IF NOT EXISTS secrets (
	name       TEXT PRIMARY KEY,
	value      BLOB NOT NULL,
	created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS salt_fingerprints (
	pipeline    TEXT PRIMARY KEY,
	fingerprint TEXT NOT NULL,
	updated_at  TEXT NOT NULL
);
`

// SaltBytes is the size of a generated salt.
const SaltBytes = 32

// Salt returns the store's salt of the given name, generating and keeping
// SaltBytes random bytes the first time. created reports that this call made
// it. Two processes racing to create it get the same salt.
func (s *Store) Salt(ctx context.Context, name string) (salt []byte, created bool, err error) {
	fresh := make([]byte, SaltBytes)
	if _, err := rand.Read(fresh); err != nil {
		return nil, false, fmt.Errorf("state store: generate a salt: %w", err)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO secrets (name, value, created_at) VALUES (?, ?, ?)`,
			name, fresh, s.stamp())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		created = n == 1
		return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&salt)
	})
	if err != nil {
		return nil, false, fmt.Errorf("state store: salt: %w", err)
	}
	return salt, created, nil
}

// SaltFingerprint returns the fingerprint of the salt a pipeline last
// hashed with ("" before its first run).
func (s *Store) SaltFingerprint(ctx context.Context, pipeline string) (string, error) {
	var fp string
	err := s.db.QueryRowContext(ctx, `SELECT fingerprint FROM salt_fingerprints WHERE pipeline = ?`, pipeline).Scan(&fp)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("state store: salt fingerprint: %w", err)
	}
	return fp, nil
}

// SetSaltFingerprint records the fingerprint of the salt a pipeline hashes
// with.
func (s *Store) SetSaltFingerprint(ctx context.Context, pipeline, fingerprint string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO salt_fingerprints (pipeline, fingerprint, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (pipeline) DO UPDATE SET fingerprint = excluded.fingerprint, updated_at = excluded.updated_at`,
		pipeline, fingerprint, s.stamp())
	if err != nil {
		return fmt.Errorf("state store: salt fingerprint: %w", err)
	}
	return nil
}
