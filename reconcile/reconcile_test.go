package reconcile_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/reconcile"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/parquet"
	_ "github.com/leadpipe/leadpipe/sinks/storage/local"
)

var update = flag.Bool("update", false, "rewrite the expected files of testcases/*/expected")

// fixture is testcases/<case>/state.json: the push ledger and run journal
// loaded into a fresh state store, and the clock of the report.
type fixture struct {
	Now      time.Time `json:"now"`
	Timezone string    `json:"timezone"`
	Ledger   []struct {
		Scope      string            `json:"scope"`
		Key        string            `json:"key"`
		Status     string            `json:"status"`
		VendorID   string            `json:"vendor_id"`
		HTTP       int               `json:"http"`
		Error      string            `json:"error"`
		Extra      map[string]string `json:"extra"`
		Pipeline   string            `json:"pipeline"`
		RunID      string            `json:"run_id"`
		Row        int               `json:"row"`
		FirstTryAt time.Time         `json:"first_try_at"`
		UpdatedAt  time.Time         `json:"updated_at"`
	} `json:"ledger"`
	Runs []struct {
		ID         string          `json:"id"`
		Pipeline   string          `json:"pipeline"`
		Kind       string          `json:"kind"`
		Status     string          `json:"status"`
		Sink       string          `json:"sink"`
		StartedAt  time.Time       `json:"started_at"`
		FinishedAt time.Time       `json:"finished_at"`
		Summary    json.RawMessage `json:"summary"`
	} `json:"runs"`
}

// loadCase opens a fresh state store holding the case's ledger and runs,
// and returns the options of its report over the case's CSV lake.
func loadCase(t *testing.T, dir string) reconcile.Options {
	t.Helper()
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx fixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatalf("state.json: %v", err)
	}
	store, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	at := func(ts time.Time) { store.SetClock(func() time.Time { return ts }) }
	for _, e := range fx.Ledger {
		at(e.FirstTryAt)
		if err := store.MarkPending(ctx, state.LedgerEntry{Scope: e.Scope, Key: e.Key, ContentHash: "h", Pipeline: e.Pipeline, RunID: e.RunID, Row: e.Row}); err != nil {
			t.Fatal(err)
		}
		at(e.UpdatedAt)
		switch e.Status {
		case state.LedgerDone:
			err = store.MarkDone(ctx, e.Scope, e.Key, e.VendorID, e.HTTP, e.Extra)
		case state.LedgerFailed:
			err = store.MarkFailed(ctx, e.Scope, e.Key, e.HTTP, e.Error)
		case state.LedgerNeedsHuman:
			err = store.MarkNeedsHuman(ctx, e.Scope, e.Key, e.Error, e.Extra)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range fx.Runs {
		sum := r.Summary
		if len(sum) > 0 {
			// receipts paths in the fixture are relative to the case
			var m map[string]any
			_ = json.Unmarshal(sum, &m)
			if p, ok := m["push"].(map[string]any); ok {
				p["receipts"] = "file://" + filepath.Join(absDir(t, dir), p["receipts"].(string))
			}
			sum, _ = json.Marshal(m)
		}
		if err := store.BeginRun(ctx, state.Run{ID: r.ID, Pipeline: r.Pipeline, Kind: r.Kind, StartedAt: r.StartedAt, Sink: r.Sink}); err != nil {
			t.Fatal(err)
		}
		at(r.FinishedAt)
		if err := store.FinishRun(ctx, r.ID, r.Status, "", json.RawMessage(sum)); err != nil {
			t.Fatal(err)
		}
	}
	loc, err := time.LoadLocation(fx.Timezone)
	if err != nil {
		t.Fatal(err)
	}
	sched, err := reconcile.ScheduledFromFiles([]string{"pipelines/*.yaml"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	now := fx.Now
	return reconcile.Options{Lake: filepath.Join(dir, "lake"), Store: store, Location: loc, Pipelines: sched,
		Now: func() time.Time { return now }}
}

func absDir(t *testing.T, dir string) string {
	a, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestGolden builds the report of each testcases/<case> from its CSV lake
// and from the same lake converted to Parquet, and compares every file with
// expected/ (go test ./reconcile -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	cases, _ := filepath.Glob("testcases/*/state.json")
	if len(cases) == 0 {
		t.Fatal("no testcases")
	}
	for _, c := range cases {
		dir := filepath.Dir(c)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			o := loadCase(t, dir)
			csvLake := o.Lake
			pqLake := filepath.Join(t.TempDir(), "lake")
			toParquet(t, csvLake, pqLake)
			var first map[string][]byte
			for _, lake := range []string{csvLake, pqLake} {
				o.Lake = lake
				r, err := reconcile.Build(context.Background(), o)
				if err != nil {
					t.Fatalf("%s: %v", lake, err)
				}
				files, err := r.Files(nil)
				if err != nil {
					t.Fatal(err)
				}
				for name, b := range files {
					files[name] = bytes.ReplaceAll(b, []byte(r.Lake), []byte("LAKE"))
					files[name] = bytes.ReplaceAll(files[name], []byte(`(`+strconv.Itoa(r.LakeFiles)+` files)`), []byte("(N files)"))
				}
				if first == nil {
					first = files
					continue
				}
				for name, b := range files {
					if !bytes.Equal(b, first[name]) {
						t.Errorf("%s differs between the CSV lake and the Parquet lake:\n%s", name, diffLines(first[name], b))
					}
				}
			}
			exp := filepath.Join(dir, "expected")
			if *update {
				_ = os.RemoveAll(exp)
				if err := os.MkdirAll(exp, 0o755); err != nil {
					t.Fatal(err)
				}
				for name, b := range first {
					if err := os.WriteFile(filepath.Join(exp, name), b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			have, _ := os.ReadDir(exp)
			if len(have) != len(first) {
				var names []string
				for n := range first {
					names = append(names, n)
				}
				sort.Strings(names)
				t.Errorf("expected/ has %d files, the report %d: %s (run with -update after a deliberate change)", len(have), len(first), strings.Join(names, ", "))
			}
			for name, b := range first {
				want, err := os.ReadFile(filepath.Join(exp, name))
				if err != nil {
					t.Errorf("%s: %v (run with -update after a deliberate change)", name, err)
					continue
				}
				if !bytes.Equal(want, b) {
					t.Errorf("%s differs from expected/ (run with -update after a deliberate change):\n%s", name, diffLines(want, b))
				}
			}
		})
	}
}

// diffLines shows the first lines that differ.
func diffLines(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	var out []string
	for i := 0; i < max(len(w), len(g)) && len(out) < 12; i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			out = append(out, "  line "+strconv.Itoa(i+1)+"\n    want: "+a+"\n    got:  "+b)
		}
	}
	return strings.Join(out, "\n")
}

// toParquet rewrites a CSV lake as Parquet with leadpipe's own Parquet
// writer (sinks/parquet), keeping the Hive layout.
func toParquet(t *testing.T, from, to string) {
	t.Helper()
	pf, err := parquet.New(parquet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".csv") {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		tbl, ok := schema.TableByName(strings.Split(filepath.ToSlash(rel), "/")[0])
		if !ok {
			t.Fatalf("%s: not a canonical table", rel)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			return err
		}
		var rows schema.Rows
		switch tbl {
		case schema.Leads:
			rows = schema.RowsOf(tbl, make([]schema.Lead, len(recs)-1))
		case schema.Loans:
			rows = schema.RowsOf(tbl, make([]schema.Loan, len(recs)-1))
		case schema.Payments:
			rows = schema.RowsOf(tbl, make([]schema.Payment, len(recs)-1))
		default:
			t.Fatalf("%s: no fixture support for table %s", rel, tbl.Name)
		}
		for i, rec := range recs[1:] {
			row := rows.Row(i)
			for j, name := range recs[0] {
				c, ok := tbl.Column(name)
				if !ok {
					t.Fatalf("%s: no column %s in %s", rel, name, tbl.Name)
				}
				setText(t, row, c, rec[j])
			}
		}
		out := filepath.Join(to, strings.TrimSuffix(rel, ".csv")+".parquet")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		w, err := os.Create(out)
		if err != nil {
			return err
		}
		defer w.Close()
		tw, err := pf.NewWriter(w, tbl)
		if err != nil {
			return err
		}
		if err := tw.Write(rows); err != nil {
			return err
		}
		return tw.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

func setText(t *testing.T, row schema.Row, c *schema.Column, v string) {
	t.Helper()
	if v == "" {
		row.SetNull(c)
		return
	}
	switch c.Kind {
	case schema.KindString:
		*row.Str(c) = v
	case schema.KindMoney:
		m, err := schema.ParseMoney(v)
		if err != nil {
			t.Fatalf("%s %q: %v", c.Name, v, err)
		}
		*row.Money(c) = m
	case schema.KindRate:
		r, err := schema.ParseRate(v)
		if err != nil {
			t.Fatalf("%s %q: %v", c.Name, v, err)
		}
		*row.Rate(c) = r
	case schema.KindTimestamp:
		ts, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			t.Fatalf("%s %q: %v", c.Name, v, err)
		}
		*row.Timestamp(c) = schema.TimestampOf(ts)
	case schema.KindDate:
		d, err := time.Parse("2006-01-02", v)
		if err != nil {
			t.Fatalf("%s %q: %v", c.Name, v, err)
		}
		*row.Date(c) = schema.DateOf(d)
	default:
		t.Fatalf("%s: kind %s not supported in fixtures", c.Name, c.Kind)
	}
}
