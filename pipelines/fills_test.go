package pipelines_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/examples"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/schema/schemadoc"
)

var updateFills = flag.Bool("update-fills", false, "rewrite "+schemadoc.FillsFile)

// TestColumnFills runs every example pipeline against the vendor sandboxes,
// as leadpipe demo does, and records which vendors fill each canonical
// column (before the privacy policy): the "vendors" of the schema
// reference, which must match schema/schemadoc/fills.txt. It also checks
// the reference's "never null" claims on every row.
func TestColumnFills(t *testing.T) {
	dir := t.TempDir()
	copyExamples(t, dir)
	run, err := sandbox.Start("127.0.0.1:0", sandbox.Options{Size: 60, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	for _, sb := range run.Sandboxes {
		if w, ok := sb.(interface{ SetRateWindow(time.Duration) }); ok {
			w.SetRateWindow(50 * time.Millisecond)
		}
	}
	env := run.Env()
	env["LEADPIPE_LAKE"] = filepath.Join(dir, "lake")
	for _, k := range []string{"LUMI", "IUTE", "BIZCAP", "LUMIRE"} {
		env[k+"_RATE_LIMIT"] = "1000"
		env[k+"_PUSH_RATE"] = "1000"
	}
	env["LOFTY_PUSH_RATE"] = "1000"
	lookup := func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
	st, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	fills := map[string]map[string]bool{}
	inspect := func(b *schema.Batch) {
		for _, rows := range b.Tables() {
			tab := rows.Table
			vendor, _ := tab.Column("vendor")
			for i := range rows.Len() {
				row := rows.Row(i)
				for j := range tab.Columns {
					c := &tab.Columns[j]
					key := tab.Name + "." + c.Name
					if row.IsNull(c) {
						if c.NotNull {
							t.Errorf("%s is documented never null, but %s left it null", key, *row.Str(vendor))
						}
						continue
					}
					if fills[key] == nil {
						fills[key] = map[string]bool{}
					}
					fills[key][*row.Str(vendor)] = true
				}
			}
		}
	}
	for _, name := range examples.Demo {
		plan, err := pipelines.Load(t.Context(), filepath.Join(dir, name), lookup)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := pipelines.Run(context.Background(), plan, st, pipelines.Options{Inspect: inspect}); err != nil && plan.Kind() == "pull" {
			t.Fatalf("%s: %v", name, err)
		}
	}
	out := map[string][]string{}
	for k, vs := range fills {
		for v := range vs {
			out[k] = append(out[k], v)
		}
	}
	got := schemadoc.FormatFills(out)
	path := filepath.Join("..", filepath.FromSlash(schemadoc.FillsFile))
	if *updateFills {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, _ := os.ReadFile(path)
	if got != string(want) {
		t.Errorf("%s is stale: the sandboxes fill\n%s\nRegenerate: go test ./pipelines -run TestColumnFills -update-fills (then go test ./schema/schemadoc -update)", schemadoc.FillsFile, got)
	}
}
