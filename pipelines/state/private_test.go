package state_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/leadpipe/leadpipe/pipelines/state"
)

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestFreshStateIsPrivate opens a state store where none exists, under the
// usual umask 022, and writes to it (a ledger row and the generated salt):
// the database, its WAL and shared-memory files are 0600 and the directory
// made for them is 0700.
func TestFreshStateIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "project", ".leadpipe")
	path := filepath.Join(dir, "state.db")
	st, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if w := st.Warnings(); len(w) != 0 {
		t.Errorf("a fresh store warned: %v", w)
	}
	ctx := context.Background()
	if _, _, err := st.Salt(ctx, "pii"); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkPending(ctx, state.LedgerEntry{Scope: "lumi/leads", Key: "k1", ContentHash: "h", Pipeline: "p", RunID: "r"}); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("state directory is %04o, want 0700", m)
	}
	if m := mode(t, filepath.Dir(dir)); m != 0o755 {
		t.Errorf("the project directory above it is %04o, want it left at 0755", m)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s is %04o, want 0600", filepath.Base(p), m)
		}
	}
}

// TestExistingStateIsTightened opens a store an older leadpipe left
// world-readable: the files and the .leadpipe directory are made private,
// with a warning for each, and the data is still there.
func TestExistingStateIsTightened(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".leadpipe")
	path := filepath.Join(dir, "state.db")
	st, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Salt(context.Background(), "pii"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for p, m := range map[string]os.FileMode{dir: 0o755, path: 0o644} {
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	// A WAL file left by a process that died, readable by everyone.
	if err := os.WriteFile(path+"-wal", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path+"-wal", 0o644)

	st, err = state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	warnings := strings.Join(st.Warnings(), "\n")
	for _, p := range []string{dir, path, path + "-wal"} {
		if !strings.Contains(warnings, p+" was readable by others") {
			t.Errorf("no warning about %s in:\n%s", p, warnings)
		}
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("directory is %04o, want 0700", m)
	}
	for _, p := range []string{path, path + "-wal"} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s is %04o, want 0600", filepath.Base(p), m)
		}
	}
	if _, created, err := st.Salt(context.Background(), "pii"); err != nil || created {
		t.Errorf("the salt was lost when the store was tightened: created=%v err=%v", created, err)
	}
}

// TestStateInASharedDirectoryLeavesItAlone puts the state in a directory
// that is not leadpipe's own: the file is private, the directory untouched.
func TestStateInASharedDirectoryLeavesItAlone(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	st, err := state.Open(filepath.Join(dir, "leadpipe-state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if m := mode(t, dir); m != 0o755 {
		t.Errorf("a shared directory was changed to %04o", m)
	}
	if m := mode(t, filepath.Join(dir, "leadpipe-state.db")); m != 0o600 {
		t.Errorf("state file is %04o, want 0600", m)
	}
}
