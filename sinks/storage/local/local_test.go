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

// The temporary files of writers that died are removed by their keys, and
// only theirs: another key's temporary file, in the same directory, stays.
func TestRemoveTempsOfDeadWriters(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := local.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	dead1, _ := s.Create(ctx, "leads/dt=1/_part-a-0001.parquet.inprogress")
	dead2, _ := s.Create(ctx, "_runs/a.json")
	live, err := s.Create(ctx, "leads/dt=1/_part-b-0001.parquet.inprogress")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = dead1, dead2 // never closed: their process "died"
	n, err := storage.RemoveTemps(ctx, s, "leads/dt=1/_part-a-0001.parquet.inprogress", "_runs/a.json", "leads/dt=2/none.parquet")
	if err != nil || n != 2 {
		t.Fatalf("removed %d, %v; want 2", n, err)
	}
	var left []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, filepath.Base(p))
		}
		return nil
	})
	if len(left) != 1 || !strings.HasPrefix(left[0], "._part-b-0001.parquet.inprogress.") {
		t.Fatalf("left %v, want only the live writer's temporary file", left)
	}
	live.Write([]byte("x"))
	if err := live.Close(); err != nil {
		t.Fatalf("the live writer lost its file: %v", err)
	}
}

// A private storage (receipts, rejects) makes files 0600 in directories it
// creates 0700, whatever the umask.
func TestPrivateStorage(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "out")
	s, err := storage.Open(ctx, root, storage.Options{Private: true})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Create(ctx, "receipts/r.csv")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("row\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{filepath.Join(root, "receipts"): 0o700, filepath.Join(root, "receipts", "r.csv"): 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s is %04o, want %04o", p, fi.Mode().Perm(), want)
		}
	}
}
