package storagetest

import (
	"slices"
	"testing"

	"github.com/leadpipe/leadpipe/sinks/storage"
)

// testCrashCleanup walks the pull commit protocol (DESIGN.md) through the
// storage interface alone: data under staged names, published by Rename,
// the manifest written last; and the clean-up the next run does after a
// crash, by deleting both names of every file the dead run journaled.
//
//   - A writer that is never closed nor aborted (the process died while
//     writing) leaves nothing a reader can see, does not block a new write
//     to the same key, and the clean-up's Delete of its key succeeds.
//   - A run that died half way through publishing is removed whole: no
//     staged or published file of it remains, and the committed run before
//     it is untouched.
//   - A run that died after its manifest keeps every file, readable.
func testCrashCleanup(t *testing.T, s storage.Storage) {
	type file struct{ staged, final string }
	run := func(id string) []file {
		return []file{
			{"leads/vendor=lumi/dt=2026-11-22/_part-" + id + "-0001.parquet.inprogress", "leads/vendor=lumi/dt=2026-11-22/part-" + id + "-0001.parquet"},
			{"events/vendor=lumi/dt=2026-11-22/_part-" + id + "-0002.parquet.inprogress", "events/vendor=lumi/dt=2026-11-22/part-" + id + "-0002.parquet"},
		}
	}
	commit := func(id string, files []file, publish int, manifest bool) {
		for _, f := range files {
			put(t, s, f.staged, []byte("rows of "+f.final), 1000)
		}
		for _, f := range files[:publish] {
			if err := s.Rename(ctx(t), f.staged, f.final); err != nil {
				t.Fatalf("publish %s: %v", f.final, err)
			}
		}
		if manifest {
			put(t, s, "_runs/"+id+".json", []byte(`{"run_id":"`+id+`"}`), 0)
		}
	}
	cleanUp := func(files []file) {
		for _, f := range files {
			for _, k := range []string{f.staged, f.final} {
				if err := s.Delete(ctx(t), k); err != nil {
					t.Fatalf("clean-up Delete(%q): %v", k, err)
				}
			}
		}
	}
	published := func(files []file) []string {
		var out []string
		for _, f := range files {
			out = append(out, f.final)
		}
		return out
	}

	// r1 commits.
	r1 := run("r1")
	commit("r1", r1, len(r1), true)
	want := append(published(r1), "_runs/r1.json")
	slices.Sort(want)

	// r2 dies while writing its first file.
	r2 := run("r2")
	w, err := s.Create(ctx(t), r2[0].staged)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Abort() }) // the "dead" writer's resources, after the checks
	if _, err := w.Write(make([]byte, 100<<10)); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, s, ""); !slices.Equal(got, want) {
		t.Fatalf("after a crash mid-write, List = %q, want only the committed run %q", got, want)
	}
	mustNotExist(t, s, r2[0].staged)
	cleanUp(r2)
	if got := keys(t, s, ""); !slices.Equal(got, want) {
		t.Fatalf("after clean-up, List = %q, want %q", got, want)
	}

	// r3 dies after publishing one of its two files: rolled back whole.
	r3 := run("r3")
	commit("r3", r3, 1, false)
	cleanUp(r3)
	if got := keys(t, s, ""); !slices.Equal(got, want) {
		t.Fatalf("after rolling back a half-published run, List = %q, want %q", got, want)
	}

	// r4 dies after its manifest: kept, every file readable.
	r4 := run("r4")
	commit("r4", r4, len(r4), true)
	want = append(want, append(published(r4), "_runs/r4.json")...)
	slices.Sort(want)
	if got := keys(t, s, ""); !slices.Equal(got, want) {
		t.Fatalf("after a run that wrote its manifest, List = %q, want %q", got, want)
	}
	for _, f := range append(r1, r4...) {
		if got := string(get(t, s, f.final)); got != "rows of "+f.final {
			t.Errorf("%s holds %q", f.final, got)
		}
	}

	// The key the dead writer held can be written again.
	put(t, s, r2[0].staged, []byte("retry"), 0)
	if got := string(get(t, s, r2[0].staged)); got != "retry" {
		t.Errorf("rewrite after a crash: %q", got)
	}
}
