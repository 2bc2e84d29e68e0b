package attachments_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sources/attachments"
)

func TestOnlyFilesUnderTheDirectoryAreAttached(t *testing.T) {
	project := t.TempDir()
	dir := filepath.Join(project, "docs")
	os.MkdirAll(filepath.Join(dir, "2026", "11"), 0o755)
	os.WriteFile(filepath.Join(dir, "statement.pdf"), []byte("%PDF good"), 0o644)
	os.WriteFile(filepath.Join(dir, "2026", "11", "id.jpg"), []byte("jpeg"), 0o644)
	// The state lives in the project; attachments_dir is the project itself
	// in one of the cases below.
	state := filepath.Join(project, ".leadpipe", "state.db")
	os.MkdirAll(filepath.Dir(state), 0o700)
	os.WriteFile(state, []byte("SQLite format 3"), 0o600)
	os.Symlink("/etc/passwd", filepath.Join(dir, "passwd.pdf"))
	os.Symlink("statement.pdf", filepath.Join(dir, "alias.pdf"))
	os.Symlink(filepath.Join(dir, "statement.pdf"), filepath.Join(dir, "absolute-alias.pdf"))
	os.Symlink("../.leadpipe/state.db", filepath.Join(dir, "db.pdf"))
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.pdf"), 0o644); err != nil {
		t.Fatal(err)
	}

	docs, err := attachments.New(dir, storage.Options{}, state)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := attachments.New(project, storage.Options{}, state)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir    *attachments.Dir
		cell   string
		want   string // the content; "" when refused
		reason string // part of the refusal
	}{
		{docs, "statement.pdf", "%PDF good", ""},
		{docs, " 2026/11/id.jpg ", "jpeg", ""},
		{docs, "./2026/../statement.pdf", "", "leaves attachments_dir"},
		{docs, "alias.pdf", "%PDF good", ""},
		{docs, "/etc/passwd", "", "an absolute path"},
		{docs, "../../../../etc/hostname", "", "leaves attachments_dir"},
		{docs, "file:///etc/passwd", "", "file: URLs are not accepted"},
		{docs, "FILE:/etc/passwd", "", "file: URLs are not accepted"},
		{docs, "/proc/self/environ", "", "an absolute path"},
		{docs, ".leadpipe/state.db", "", "state directory"},
		{docs, "passwd.pdf", "", "leads out of attachments_dir"},
		{docs, "absolute-alias.pdf", "", "leads out of attachments_dir"},
		{docs, "db.pdf", "", "leads out of attachments_dir"},
		{docs, "pipe.pdf", "", "not a regular file (a FIFO)"},
		{docs, "2026", "", "not a regular file (a directory)"},
		{docs, "missing.pdf", "", "does not exist"},
		{docs, "s3://bucket/statement.pdf", "", "an s3:// URL, and attachments_dir"},
		{docs, "https://example.com/x.pdf", "", "a URL"},
		{docs, "~/x.pdf", "", "home-directory"},
		{docs, `..\..\etc\passwd`, "", "backslash"},
		{whole, ".leadpipe/state.db", "", "state directory"},
		{whole, "docs/db.pdf", "", "state store"},
		{whole, "docs/statement.pdf", "%PDF good", ""},
	} {
		done := make(chan struct{})
		var got []byte
		var err error
		go func() {
			defer close(done)
			var rc io.ReadCloser
			rc, err = tc.dir.Open(context.Background(), tc.cell)
			if err == nil {
				got, err = io.ReadAll(rc)
				rc.Close()
			}
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%q: opening it hung", tc.cell)
		}
		if tc.want != "" {
			if err != nil || string(got) != tc.want {
				t.Errorf("%q under %s: %q, %v; want %q", tc.cell, tc.dir.Location(), got, err, tc.want)
			}
			continue
		}
		if !errors.Is(err, attachments.ErrRefused) || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%q under %s: %q, %v; want a refusal saying %q", tc.cell, tc.dir.Location(), got, err, tc.reason)
		}
		if cerr := tc.dir.Check(context.Background(), tc.cell); !errors.Is(cerr, attachments.ErrRefused) {
			t.Errorf("%q: Check let it through (%v)", tc.cell, cerr)
		}
	}
}

func TestS3CellsStayUnderThePrefix(t *testing.T) {
	d, err := attachments.New("s3://lake/partners/acme/docs", storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for cell, reason := range map[string]string{
		"s3://lake/partners/other/docs/x.pdf":          "not under attachments_dir",
		"s3://lake/partners/acme/docs-evil/x.pdf":      "not under attachments_dir",
		"s3://other/partners/acme/docs/x.pdf":          "not under attachments_dir",
		"s3://lake/partners/acme/docs/../secret/x.pdf": "leaves attachments_dir",
		"s3://lake/partners/acme/docs/.leadpipe/x.pdf": "state directory",
		"/etc/passwd":        "an absolute path",
		"file:///etc/passwd": "file: URLs",
	} {
		if err := d.Check(context.Background(), cell); !errors.Is(err, attachments.ErrRefused) || !strings.Contains(err.Error(), reason) {
			t.Errorf("%q: %v; want a refusal saying %q", cell, err, reason)
		}
	}
}

func TestTheDirectoryMustBeAbsoluteOrS3(t *testing.T) {
	for _, loc := range []string{"docs", "file:///tmp/docs", "https://example.com/docs"} {
		if _, err := attachments.New(loc, storage.Options{}); err == nil {
			t.Errorf("New(%q) accepted it", loc)
		}
	}
}
