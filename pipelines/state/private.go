package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The state store holds the push ledger, the run journal and the generated
// PII salt, so it is as private as a credential: the database and the files
// SQLite keeps beside it are readable by their owner only, in a directory
// only its owner can list.
const (
	privateFileMode = 0o600
	privateDirMode  = 0o700
)

// sidecars are the files SQLite keeps beside the database.
var sidecars = []string{"-wal", "-shm", "-journal"}

// preparePrivate makes sure the database file exists with mode 0600 before
// SQLite opens it (SQLite would create it 0644 under the usual umask, and it
// gives its WAL and shared-memory files the database's mode). A directory it
// creates is 0700; an existing one is tightened when it is leadpipe's own
// (.leadpipe), never a directory the state merely sits in (/tmp, a home).
// It returns a warning for every file or directory it had to tighten.
func preparePrivate(path string) ([]string, error) {
	var warnings []string
	dir := filepath.Dir(path)
	created, err := makePrivateDir(dir)
	if err != nil {
		return nil, err
	}
	if !created && filepath.Base(dir) == ".leadpipe" {
		if w, err := tighten(dir, privateDirMode); err != nil {
			return nil, err
		} else if w != "" {
			warnings = append(warnings, w)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, privateFileMode)
	if err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if w, err := tighten(path, privateFileMode); err != nil {
		return nil, err
	} else if w != "" {
		warnings = append(warnings, w)
	}
	return append(warnings, tightenSidecars(path)...), nil
}

// makePrivateDir creates dir with mode 0700 (its parents 0755) and says
// whether it did.
func makePrivateDir(dir string) (bool, error) {
	if _, err := os.Stat(dir); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return false, err
	}
	err := os.Mkdir(dir, privateDirMode)
	if errors.Is(err, fs.ErrExist) {
		return false, nil // another process made it first
	}
	return err == nil, err
}

// tightenSidecars makes the WAL, shared-memory and journal files private.
// Failures are warnings: SQLite may remove a file between the two calls.
func tightenSidecars(path string) []string {
	var warnings []string
	for _, suffix := range sidecars {
		w, err := tighten(path+suffix, privateFileMode)
		switch {
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			warnings = append(warnings, fmt.Sprintf("could not make %s private: %v", path+suffix, err))
		case w != "":
			warnings = append(warnings, w)
		}
	}
	return warnings
}

// tighten removes the group and other permissions of p beyond mode and
// returns a warning when there were any.
func tighten(p string, mode fs.FileMode) (string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	if fi.Mode().Perm()&^mode == 0 {
		return "", nil
	}
	if err := os.Chmod(p, mode); err != nil {
		return "", fmt.Errorf("make %s private: %w", p, err)
	}
	return fmt.Sprintf("%s was readable by others (mode %04o); it holds the push ledger and the PII salt, so it is now %04o",
		p, fi.Mode().Perm(), mode), nil
}
