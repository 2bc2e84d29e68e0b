package local_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sinks/storage/local"
	"github.com/leadpipe/leadpipe/sinks/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		s, err := local.Open(filepath.Join(t.TempDir(), "lake"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// A writer that is never closed, as in a crash, leaves no object under its
// key: only a temporary file that List and Open ignore.
func TestCrashLeavesNoObject(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := local.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Create(ctx, "leads/part-0.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("PAR1 half a file")); err != nil {
		t.Fatal(err)
	}
	// No Close, no Abort: the process "dies" here.
	if _, err := os.Stat(filepath.Join(root, "leads", "part-0.parquet")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the final file exists after a crash: %v", err)
	}
	if _, err := s.Open(ctx, "leads/part-0.parquet"); !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("Open after a crash = %v, want ErrNotExist", err)
	}
	if objs, err := s.List(ctx, ""); err != nil || len(objs) != 0 {
		t.Fatalf("List after a crash = %v, %v; want nothing", objs, err)
	}
	// The temporary file is recognisable: ".<name>.<random>.tmp" beside the
	// target.
	entries, err := os.ReadDir(filepath.Join(root, "leads"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("leads/ holds %v (%v), want one temporary file", entries, err)
	}
	name := entries[0].Name()
	if !strings.HasPrefix(name, ".part-0.parquet.") || !strings.HasSuffix(name, ".tmp") {
		t.Fatalf("temporary file %q is not .part-0.parquet.*.tmp", name)
	}
	// A later writer of the same key is not disturbed by the leftover.
	w2, err := s.Create(ctx, "leads/part-0.parquet")
	if err != nil {
		t.Fatal(err)
	}
	w2.Write([]byte("whole"))
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	if objs, _ := s.List(ctx, ""); len(objs) != 1 || objs[0].Key != "leads/part-0.parquet" || objs[0].Size != 5 {
		t.Fatalf("List = %+v", objs)
	}
}

func TestLocations(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	abs, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ loc, root string }{
		{"lake", filepath.Join(abs, "lake")},
		{"./lake/sub", filepath.Join(abs, "lake", "sub")},
		{filepath.Join(abs, "x"), filepath.Join(abs, "x")},
		{"file://" + filepath.ToSlash(filepath.Join(abs, "y")), filepath.Join(abs, "y")},
		{"file://localhost" + filepath.ToSlash(filepath.Join(abs, "z")), filepath.Join(abs, "z")},
		{"FILE://" + filepath.ToSlash(filepath.Join(abs, "with space")), filepath.Join(abs, "with space")},
		{"file://" + filepath.ToSlash(filepath.Join(abs, "pct%20enc")), filepath.Join(abs, "pct enc")},
	} {
		s, err := storage.Open(context.Background(), tc.loc, storage.Options{})
		if err != nil {
			t.Errorf("storage.Open(%q): %v", tc.loc, err)
			continue
		}
		got := s.(*local.FS).Root()
		if real, err := filepath.EvalSymlinks(filepath.Dir(got)); err == nil {
			got = filepath.Join(real, filepath.Base(got))
		}
		if got != tc.root {
			t.Errorf("storage.Open(%q) root = %q, want %q", tc.loc, got, tc.root)
		}
	}
	for _, loc := range []string{"", "file://otherhost/x", "file://", "file:///x?y=1"} {
		if _, err := local.Open(loc); err == nil {
			t.Errorf("Open(%q) succeeded", loc)
		}
	}
	// A root that is a file is refused.
	os.WriteFile(filepath.Join(abs, "plain"), []byte("x"), 0o644)
	if _, err := local.Open(filepath.Join(abs, "plain")); err == nil {
		t.Error("Open of a file as root succeeded")
	}
}

func TestURLAndErrors(t *testing.T) {
	root := t.TempDir()
	s, err := local.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	want := "file://" + filepath.ToSlash(root) + "/leads/vendor=lumi/a%20b.parquet"
	if got := s.URL("leads/vendor=lumi/a b.parquet"); got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	if got := s.URL(""); got != "file://"+filepath.ToSlash(root) {
		t.Errorf("URL(root) = %q", got)
	}
	// Errors name the path.
	_, err = s.Open(context.Background(), "no/such.csv")
	if !errors.Is(err, storage.ErrNotExist) || !strings.Contains(err.Error(), filepath.Join(root, "no", "such.csv")) {
		t.Errorf("Open error = %v", err)
	}
	// Keys naming temporary files and keys leaving the root are rejected.
	for _, key := range []string{".part-0.parquet.123.tmp", "a/../../b", "../b"} {
		if _, err := s.Create(context.Background(), key); !errors.Is(err, local.ErrInvalidKey) {
			t.Errorf("Create(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
}

func TestFilePermissionsAndContent(t *testing.T) {
	root := t.TempDir()
	s, _ := local.Open(root)
	w, err := s.Create(context.Background(), "a/b/c.csv")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "x,y\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(root, "a", "b", "c.csv"))
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("file: %v %v", fi, err)
	}
	if got, _ := os.ReadFile(filepath.Join(root, "a", "b", "c.csv")); string(got) != "x,y\n" {
		t.Fatalf("content %q", got)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "a", "b"))
	if names := func() (n []string) {
		for _, e := range entries {
			n = append(n, e.Name())
		}
		return
	}(); !slices.Equal(names, []string{"c.csv"}) {
		t.Fatalf("directory holds %q, want only c.csv (no temporary file left)", names)
	}
}
