// Package storagetest is the conformance suite every storage backend runs:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Storage { return newEmptyStorage(t) })
//	}
//
// It tests behaviour through the storage.Storage interface only, never files
// on disk, so the local and S3 backends are held to the same contract:
//
//   - an object is invisible until its writer's Close returns nil, and a
//     Create over an existing key replaces it atomically (readers see the old
//     or the new object whole, never a mix or a prefix);
//   - Abort leaves nothing (and an existing object untouched); Close without
//     a Write creates an empty object;
//   - List(prefix) returns the objects whose key starts with prefix, as a
//     plain string prefix (S3 semantics): "a/b" matches "a/b.txt" and
//     "a/bc/d" as well as "a/b/c"; a prefix ending in "/" lists one
//     "directory". The result is recursive and sorted by key;
//   - Open, Stat and Rename of a missing key return an error wrapping
//     storage.ErrNotExist that names the key; Delete of a missing key is not
//     an error;
//   - keys that leave the root ("../x") or are absolute are rejected;
//   - the pull commit protocol's crash clean-up works (see crash.go): a
//     writer that dies leaves nothing visible, and deleting a dead run's
//     staged and published names removes it whole.
//
// The suite never uses one key as the "directory" of another ("a/b" and
// "a/b/c"), which a file system cannot hold.
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/sinks/storage"
)

// Run runs the suite. newStorage returns a new, empty storage for each
// subtest; it should clean up after itself with t.Cleanup.
func Run(t *testing.T, newStorage func(t *testing.T) storage.Storage) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Storage)
	}{
		{"WriteRead", testWriteRead},
		{"InvisibleUntilClose", testInvisibleUntilClose},
		{"EmptyObject", testEmptyObject},
		{"Overwrite", testOverwrite},
		{"OverwriteReadersSeeWholeObjects", testOverwriteConcurrentReaders},
		{"Abort", testAbort},
		{"List", testList},
		{"Delete", testDelete},
		{"Rename", testRename},
		{"Stat", testStat},
		{"NotExist", testNotExist},
		{"InvalidKeys", testInvalidKeys},
		{"LargeObjectStreaming", testLargeObject},
		{"ConcurrentWriters", testConcurrentWriters},
		{"CanceledContext", testCanceledContext},
		{"URL", testURL},
		{"CrashCleanup", testCrashCleanup},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStorage(t))
		})
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

// put writes data under key in chunks of chunk bytes (all at once if 0).
func put(t *testing.T, s storage.Storage, key string, data []byte, chunk int) {
	t.Helper()
	w, err := s.Create(ctx(t), key)
	if err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
	if chunk <= 0 {
		chunk = max(len(data), 1)
	}
	for off := 0; off < len(data); off += chunk {
		if _, err := w.Write(data[off:min(off+chunk, len(data))]); err != nil {
			w.Abort()
			t.Fatalf("Write(%q): %v", key, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close(%q): %v", key, err)
	}
}

// get reads the object under key.
func get(t *testing.T, s storage.Storage, key string) []byte {
	t.Helper()
	r, err := s.Open(ctx(t), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b
}

// keys lists the keys under prefix.
func keys(t *testing.T, s storage.Storage, prefix string) []string {
	t.Helper()
	infos, err := s.List(ctx(t), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	out := make([]string, 0, len(infos))
	for _, o := range infos {
		out = append(out, o.Key)
	}
	return out
}

func mustNotExist(t *testing.T, s storage.Storage, key string) {
	t.Helper()
	if r, err := s.Open(ctx(t), key); err == nil {
		r.Close()
		t.Fatalf("Open(%q) succeeded, want ErrNotExist", key)
	} else if !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("Open(%q) = %v, want ErrNotExist", key, err)
	}
	if _, err := s.Stat(ctx(t), key); !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("Stat(%q) = %v, want ErrNotExist", key, err)
	}
}

func testWriteRead(t *testing.T, s storage.Storage) {
	want := []byte("lead_uid,status\nlumi:1,new\n")
	put(t, s, "leads/vendor=lumi/dt=2026-11-22/part-r1-0.csv", want, 5)
	if got := get(t, s, "leads/vendor=lumi/dt=2026-11-22/part-r1-0.csv"); !bytes.Equal(got, want) {
		t.Fatalf("read back %q, want %q", got, want)
	}
	put(t, s, "top.json", []byte("{}"), 0)
	if got := keys(t, s, ""); !slices.Equal(got, []string{"leads/vendor=lumi/dt=2026-11-22/part-r1-0.csv", "top.json"}) {
		t.Fatalf("List = %q", got)
	}
}

func testInvisibleUntilClose(t *testing.T, s storage.Storage) {
	w, err := s.Create(ctx(t), "runs/r1.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(`{"run":"r1"}`)); err != nil {
		t.Fatal(err)
	}
	mustNotExist(t, s, "runs/r1.json")
	if got := keys(t, s, ""); len(got) != 0 {
		t.Fatalf("List before Close = %q, want nothing", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := string(get(t, s, "runs/r1.json")); got != `{"run":"r1"}` {
		t.Fatalf("after Close: %q", got)
	}
}

func testEmptyObject(t *testing.T, s storage.Storage) {
	w, err := s.Create(ctx(t), "empty/rejects.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "empty/rejects.csv"); len(got) != 0 {
		t.Fatalf("empty object holds %q", got)
	}
	info, err := s.Stat(ctx(t), "empty/rejects.csv")
	if err != nil || info.Size != 0 {
		t.Fatalf("Stat = %+v, %v; want size 0", info, err)
	}
	if got := keys(t, s, "empty/"); !slices.Equal(got, []string{"empty/rejects.csv"}) {
		t.Fatalf("List = %q", got)
	}
}

func testOverwrite(t *testing.T, s storage.Storage) {
	put(t, s, "state/cursor", []byte("old cursor value"), 0)
	w, err := s.Create(ctx(t), "state/cursor")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("new")); err != nil {
		t.Fatal(err)
	}
	// Until Close the old object is there, whole.
	if got := string(get(t, s, "state/cursor")); got != "old cursor value" {
		t.Fatalf("during overwrite: %q", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := string(get(t, s, "state/cursor")); got != "new" {
		t.Fatalf("after overwrite: %q", got)
	}
	if got := keys(t, s, "state/"); !slices.Equal(got, []string{"state/cursor"}) {
		t.Fatalf("List = %q, want one object", got)
	}
}

// Readers racing a series of overwrites always see one whole version.
func testOverwriteConcurrentReaders(t *testing.T, s storage.Storage) {
	const size = 256 << 10
	versions := [][]byte{bytes.Repeat([]byte("A"), size), bytes.Repeat([]byte("B"), size/2)}
	put(t, s, "hot/object", versions[0], 0)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := s.Open(context.Background(), "hot/object")
				if err != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("Open during overwrite: %v", err))
					mu.Unlock()
					return
				}
				b, err := io.ReadAll(r)
				r.Close()
				if err != nil || (!bytes.Equal(b, versions[0]) && !bytes.Equal(b, versions[1])) {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("read %d bytes (%v), not one whole version", len(b), err))
					mu.Unlock()
					return
				}
			}
		})
	}
	for i := range 20 {
		put(t, s, "hot/object", versions[(i+1)%2], 16<<10)
	}
	close(stop)
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
}

func testAbort(t *testing.T, s storage.Storage) {
	w, err := s.Create(ctx(t), "aborted/part-0.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("half a file")); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	mustNotExist(t, s, "aborted/part-0.parquet")
	if got := keys(t, s, ""); len(got) != 0 {
		t.Fatalf("List after Abort = %q, want nothing", got)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after Abort succeeded")
	}
	mustNotExist(t, s, "aborted/part-0.parquet")

	// Aborting an overwrite keeps the old object.
	put(t, s, "kept", []byte("v1"), 0)
	w, err = s.Create(ctx(t), "kept")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("v2"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := string(get(t, s, "kept")); got != "v1" {
		t.Fatalf("after an aborted overwrite: %q, want v1", got)
	}

	// Abort after Close is safe and keeps the object.
	w, err = s.Create(ctx(t), "closed")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("done"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort after Close: %v", err)
	}
	if got := string(get(t, s, "closed")); got != "done" {
		t.Fatalf("after Abort following Close: %q", got)
	}
}

func testList(t *testing.T, s storage.Storage) {
	all := []string{
		"_runs/r1.json",
		"a.txt",
		"a/b",
		"a/c/d",
		"ab",
		"leads/vendor=lumi/dt=2026-01-01/part-r1-0.parquet",
		"leads/vendor=lumi/dt=2026-01-15/part-r2-0.parquet",
		"leads/vendor=lumi/dt=2026-02-01/part-r3-0.parquet",
		"leads/vendor=lumire/dt=2026-01-01/part-r1-0.parquet",
	}
	for i, k := range slices.Backward(all) {
		put(t, s, k, []byte(strings.Repeat("x", i+1)), 0)
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"", all},
		// Plain string prefixes, sorted bytewise ("." < "/" < "b").
		{"a", []string{"a.txt", "a/b", "a/c/d", "ab"}},
		{"a/", []string{"a/b", "a/c/d"}},
		{"a/c", []string{"a/c/d"}},
		{"a/c/", []string{"a/c/d"}},
		{"a/c/d", []string{"a/c/d"}},
		{"a/b", []string{"a/b"}},
		{"a/bb", nil},
		{"leads/vendor=lumi", all[5:9]}, // lumire too: a string prefix
		{"leads/vendor=lumi/", all[5:8]},
		{"leads/vendor=lumi/dt=2026-01", all[5:7]},
		{"leads/vendor=lumi/dt=2026-01-15/", all[6:7]},
		{"_runs/", all[0:1]},
		{"zzz", nil},
		{"nope/deeper/", nil},
	} {
		if got := keys(t, s, tc.prefix); !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
	infos, err := s.List(ctx(t), "a/c/")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Size != int64(slices.Index(all, "a/c/d")+1) || infos[0].ModTime.IsZero() {
		t.Errorf("List info = %+v", infos)
	}
}

func testDelete(t *testing.T, s storage.Storage) {
	put(t, s, "d/one", []byte("1"), 0)
	put(t, s, "d/two", []byte("2"), 0)
	if err := s.Delete(ctx(t), "d/one"); err != nil {
		t.Fatal(err)
	}
	mustNotExist(t, s, "d/one")
	if err := s.Delete(ctx(t), "d/one"); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if err := s.Delete(ctx(t), "never/was/here"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	if got := keys(t, s, ""); !slices.Equal(got, []string{"d/two"}) {
		t.Fatalf("List = %q", got)
	}
}

func testRename(t *testing.T, s storage.Storage) {
	put(t, s, "tmp/part-0", []byte("data"), 0)
	if err := s.Rename(ctx(t), "tmp/part-0", "leads/dt=2026-11-22/part-0"); err != nil {
		t.Fatal(err)
	}
	mustNotExist(t, s, "tmp/part-0")
	if got := string(get(t, s, "leads/dt=2026-11-22/part-0")); got != "data" {
		t.Fatalf("renamed object: %q", got)
	}
	// Onto an existing key: replaced.
	put(t, s, "tmp/part-1", []byte("newer"), 0)
	if err := s.Rename(ctx(t), "tmp/part-1", "leads/dt=2026-11-22/part-0"); err != nil {
		t.Fatal(err)
	}
	if got := string(get(t, s, "leads/dt=2026-11-22/part-0")); got != "newer" {
		t.Fatalf("replaced object: %q", got)
	}
	if got := keys(t, s, ""); !slices.Equal(got, []string{"leads/dt=2026-11-22/part-0"}) {
		t.Fatalf("List = %q", got)
	}
	err := s.Rename(ctx(t), "tmp/missing", "x")
	if !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("Rename of a missing key = %v, want ErrNotExist", err)
	}
	mustNotExist(t, s, "x")
}

func testStat(t *testing.T, s storage.Storage) {
	before := time.Now().Add(-time.Minute)
	put(t, s, "s/obj", bytes.Repeat([]byte{7}, 12345), 1000)
	info, err := s.Stat(ctx(t), "s/obj")
	if err != nil {
		t.Fatal(err)
	}
	if info.Key != "s/obj" || info.Size != 12345 || info.ModTime.Before(before) {
		t.Fatalf("Stat = %+v", info)
	}
}

func testNotExist(t *testing.T, s storage.Storage) {
	put(t, s, "exists/file", []byte("x"), 0)
	for _, key := range []string{"missing", "exists/missing", "missing/deeper/key", "exists/file/under"} {
		_, err := s.Open(ctx(t), key)
		if !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("Open(%q) = %v, want ErrNotExist", key, err)
		} else if !strings.Contains(err.Error(), key) {
			t.Errorf("Open(%q) error %q does not name the key", key, err)
		}
		_, err = s.Stat(ctx(t), key)
		if !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("Stat(%q) = %v, want ErrNotExist", key, err)
		} else if !strings.Contains(err.Error(), key) {
			t.Errorf("Stat(%q) error %q does not name the key", key, err)
		}
	}
	// A "directory" is not an object.
	mustNotExist(t, s, "exists")
}

func testInvalidKeys(t *testing.T, s storage.Storage) {
	for _, key := range []string{"", "../escape", "a/../../escape", "/etc/passwd", ".."} {
		if w, err := s.Create(ctx(t), key); err == nil {
			w.Abort()
			t.Errorf("Create(%q) succeeded", key)
		}
		if r, err := s.Open(ctx(t), key); err == nil {
			r.Close()
			t.Errorf("Open(%q) succeeded", key)
		}
		if err := s.Rename(ctx(t), key, "x"); err == nil {
			t.Errorf("Rename(%q, x) succeeded", key)
		}
	}
	if _, err := s.List(ctx(t), "../"); err == nil {
		t.Error(`List("../") succeeded`)
	}
}

// A large object written in small chunks streams through and reads back
// intact.
func testLargeObject(t *testing.T, s storage.Storage) {
	const size = 20 << 20
	data := make([]byte, size)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range data {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		data[i] = byte(x)
	}
	put(t, s, "big/object.bin", data, 4000)
	info, err := s.Stat(ctx(t), "big/object.bin")
	if err != nil || info.Size != size {
		t.Fatalf("Stat = %+v, %v; want %d bytes", info, err, size)
	}
	r, err := s.Open(ctx(t), "big/object.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, r, make([]byte, 32<<10))
	if err != nil || n != size {
		t.Fatalf("read %d bytes, %v", n, err)
	}
	if want := sha256.Sum256(data); !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("large object differs from what was written")
	}
}

func testConcurrentWriters(t *testing.T, s storage.Storage) {
	const writers = 16
	var wg sync.WaitGroup
	errs := make([]error, writers)
	content := func(i int) []byte { return bytes.Repeat([]byte(fmt.Sprintf("writer %d;", i)), 5000) }
	for i := range writers {
		wg.Go(func() {
			key := fmt.Sprintf("leads/vendor=v%d/dt=2026-11-22/part-%d", i%3, i)
			w, err := s.Create(context.Background(), key)
			if err != nil {
				errs[i] = err
				return
			}
			data := content(i)
			for off := 0; off < len(data); off += 1000 {
				if _, err := w.Write(data[off:min(off+1000, len(data))]); err != nil {
					w.Abort()
					errs[i] = err
					return
				}
			}
			errs[i] = w.Close()
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if got := keys(t, s, "leads/"); len(got) != writers {
		t.Fatalf("List found %d objects, want %d: %q", len(got), writers, got)
	}
	for i := range writers {
		key := fmt.Sprintf("leads/vendor=v%d/dt=2026-11-22/part-%d", i%3, i)
		if !bytes.Equal(get(t, s, key), content(i)) {
			t.Fatalf("%s holds another writer's data", key)
		}
	}
}

func testCanceledContext(t *testing.T, s storage.Storage) {
	c, cancel := context.WithCancel(context.Background())
	cancel()
	if w, err := s.Create(c, "canceled"); err == nil {
		w.Abort()
		t.Fatal("Create with a canceled context succeeded")
	}
	mustNotExist(t, s, "canceled")
}

func testURL(t *testing.T, s storage.Storage) {
	u := s.URL("leads/vendor=lumi/part-0.parquet")
	if !strings.Contains(u, "://") || !strings.HasSuffix(u, "leads/vendor=lumi/part-0.parquet") {
		t.Fatalf("URL = %q, want scheme://.../leads/vendor=lumi/part-0.parquet", u)
	}
	if strings.Contains(u, "@") {
		t.Fatalf("URL %q may hold credentials", u)
	}
}
