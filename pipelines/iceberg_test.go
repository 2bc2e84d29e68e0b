package pipelines_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/iceberg"
	"github.com/leadpipe/leadpipe/sinks/iceberg/icebergtest"
	"github.com/leadpipe/leadpipe/sinks/laketest"
)

// read returns every row of a table of the env's sink: the lake's files,
// or the Iceberg table read with iceberg-go's scanner.
func (e *lumiEnv) read(table string) []laketest.Row {
	e.t.Helper()
	if e.format != "iceberg" {
		return laketest.Read(e.t, e.lake, table)
	}
	s := e.iceberg()
	if _, err := s.LoadTable(context.Background(), table); err != nil {
		return nil // a table no run wrote yet
	}
	return icebergtest.Scan(e.t, s, table)
}

// iceberg opens the env's Iceberg tables read-only, with the catalog the
// engine uses by default (beside the state).
func (e *lumiEnv) iceberg() *iceberg.Sink {
	e.t.Helper()
	s, err := iceberg.Open(context.Background(), iceberg.Options{
		Warehouse: e.lake, Catalog: filepath.Join(e.dir, pipelines.DefaultCatalogFile), ReadOnly: true,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { s.Close() })
	return s
}

// checkIceberg checks what no crash may leave behind in the Iceberg
// tables: a current-state table that is not the latest row per key of its
// history, a key twice, a run committed twice, or a data file of a history
// table (append-only) that no snapshot references.
func (e *lumiEnv) checkIceberg() {
	e.t.Helper()
	s := e.iceberg()
	committed := map[string]bool{}
	runs, _ := e.store.Runs(context.Background(), state.RunFilter{Pipeline: "lumi-test"})
	for _, r := range runs {
		committed[r.ID] = r.Status == state.RunCommitted
	}
	for _, tt := range []*schema.Table{schema.Leads, schema.Events, schema.Loans} {
		for _, name := range []string{tt.Name, tt.Name + iceberg.CurrentSuffix} {
			tbl, err := s.LoadTable(context.Background(), name)
			if err != nil {
				e.t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, snap := range tbl.Metadata().Snapshots() {
				id := snap.Summary.Properties[iceberg.PropRunID]
				if seen[id] || !committed[id] {
					e.t.Errorf("%s: snapshot of run %q (committed: %v, seen before: %v)", name, id, committed[id], seen[id])
				}
				seen[id] = true
			}
		}
		hist := icebergtest.Scan(e.t, s, tt.Name)
		cur := icebergtest.Scan(e.t, s, tt.Name+iceberg.CurrentSuffix)
		if d := laketest.Duplicates(laketest.Column(cur, tt.Key)); len(d) > 0 {
			e.t.Errorf("%s_current has %d keys twice, e.g. %s", tt.Name, len(d), d[0])
		}
		latest := laketest.Latest(hist, tt.Key)
		if len(latest) != len(cur) {
			e.t.Errorf("%s_current has %d rows, %s %d keys", tt.Name, len(cur), tt.Name, len(latest))
		}
		for _, r := range cur {
			if l := latest[r[tt.Key]]; l["run_id"] != r["run_id"] {
				e.t.Errorf("%s_current %s is from run %s, the latest in %s from %s", tt.Name, r[tt.Key], r["run_id"], tt.Name, l["run_id"])
			}
		}
		referenced := map[string]bool{}
		for _, f := range icebergtest.DataFiles(e.t, s, tt.Name) {
			referenced[f] = true
		}
		dir := filepath.Join(e.lake, "leadpipe", tt.Name, "data")
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !referenced[p] {
				e.t.Errorf("%s: data file %s is referenced by no snapshot", tt.Name, p)
			}
			return nil
		})
	}
}

// A pull into Iceberg tables: one snapshot per table per run that brings
// rows, none for a quiet run, the current-state tables following the
// vendor, and the run's summary saying what the commit did.
func TestIcebergSinkFollowsTheVendor(t *testing.T) {
	e := newLumiEnv(t, 80)
	plan := e.plan("iceberg")
	sum, err := e.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != state.RunCommitted || sum.Rows["leads"] != 80 || sum.Iceberg["leads"].CurrentRows != 80 {
		t.Fatalf("first run: %+v", sum)
	}
	for _, f := range sum.Files {
		if !strings.HasPrefix(f.Key, "leadpipe/"+f.Table+"/data/vendor=lumi/") || !strings.Contains(f.Key, sum.RunID) {
			t.Errorf("file %s of %s is not in the table's data directory", f.Key, f.Table)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, pipelines.DefaultCatalogFile)); err != nil {
		t.Errorf("the catalog is not beside the state: %v", err)
	}
	e.checkLake(true)
	e.checkIceberg()

	e.Advance(time.Hour)
	quiet, err := e.run(plan, pipelines.Options{})
	if err != nil || quiet.TotalRows() != 0 {
		t.Fatalf("quiet run: %v %v", quiet.Rows, err)
	}

	e.Advance(time.Hour)
	changed := e.setStatus("PROCESSING", "FUNDED", 1)[0]
	e.Advance(time.Minute)
	third, err := e.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tr := third.Iceberg["leads"]; tr.Rows != 1 || tr.CurrentRows != 1 || tr.ReplacedRows != 1 || tr.Rewritten != 1 {
		t.Errorf("third run: %+v", tr)
	}
	e.checkLake(false)
	e.checkIceberg()
	s := e.iceberg()
	tbl, err := s.LoadTable(context.Background(), "leads_current")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, snap := range tbl.Metadata().Snapshots() {
		ids = append(ids, snap.Summary.Properties[iceberg.PropRunID])
	}
	if strings.Join(ids, ",") != sum.RunID+","+third.RunID {
		t.Errorf("leads_current snapshots %v, want the first and third runs'", ids)
	}
	for _, r := range icebergtest.Scan(t, s, "leads_current") {
		if r["lead_uid"] == "lumi:"+changed && r["status"] != schema.StatusFunded {
			t.Errorf("leads_current says %s is %s", changed, r["status"])
		}
	}
}

// A failed run leaves the Iceberg tables and the cursor as they were: its
// data files are removed, and no snapshot names it.
func TestIcebergFailedRunLeavesNoTrace(t *testing.T) {
	e := newLumiEnv(t, 40)
	plan := e.plan("iceberg")
	if _, err := e.run(plan, pipelines.Options{}); err != nil {
		t.Fatal(err)
	}
	before := dataFiles(t, e.lake)
	e.Advance(time.Hour)
	e.srv.Faults().FailNext(100, 500, `oops`)
	sum, err := e.run(plan, pipelines.Options{FullRefresh: true})
	if err == nil {
		t.Fatal("run did not fail")
	}
	if got := dataFiles(t, e.lake); strings.Join(got, "\n") != strings.Join(before, "\n") {
		t.Errorf("data files changed on a failed run:\n%v\n→\n%v", before, got)
	}
	if ok, err := e.iceberg().RunCommitted(context.Background(), sum.RunID); ok || err != nil {
		t.Errorf("RunCommitted(failed run) = %v, %v", ok, err)
	}
	e.checkIceberg()
}

func dataFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// The Iceberg sink on S3 (versitygw): a run that dies before or after its
// catalog commit is rolled back or finished by the next one, which leaves
// no duplicate, no gap and no data file of a history table outside the
// snapshots.
func TestIcebergOnS3SurvivesCrashesIntegration(t *testing.T) {
	for _, point := range []string{pipelines.PointAfterData, pipelines.PointAfterManifest} {
		t.Run(point, func(t *testing.T) {
			l := newS3Lake(t, 60)
			plan := l.plan("iceberg")
			if _, err := l.run(plan, pipelines.Options{}); err != nil {
				t.Fatal(err)
			}
			l.Advance(time.Hour)
			moved := l.setStatus("WAITING_FOR_CALL", "PROCESSING", 1)[0]
			l.Advance(time.Minute)
			if _, err := l.run(plan, pipelines.Options{CrashAt: crashAt(point)}); !errors.Is(err, pipelines.ErrCrashed) {
				t.Fatalf("want the simulated crash, got %v", err)
			}
			l.Advance(time.Hour)
			if err := l.srv.SetStatus(moved, "FUNDED"); err != nil {
				t.Fatal(err)
			}
			l.Advance(time.Minute)
			sum, err := l.run(plan, pipelines.Options{})
			if err != nil {
				t.Fatalf("run after the crash: %v", err)
			}
			if len(sum.Recovered) != 1 {
				t.Errorf("recovered = %q", sum.Recovered)
			}
			l.checkLake(false)
			l.checkIceberg()
			s := l.iceberg()
			for _, table := range []string{"leads", "events", "loans"} {
				referenced := map[string]bool{}
				for _, f := range icebergtest.DataFiles(t, s, table) {
					referenced[f] = true
				}
				for _, k := range l.keys() {
					if strings.HasPrefix(k, "leadpipe/"+table+"/data/") && !referenced[l.lake+"/"+k] {
						t.Errorf("%s: data file %s is referenced by no snapshot", table, k)
					}
				}
			}
		})
	}
}

// An Iceberg sink's settings are checked with the pipeline, every problem
// at once with its place.
func TestIcebergSinkSettingsAreValidated(t *testing.T) {
	e := newLumiEnv(t, 1)
	path := filepath.Join(e.dir, "bad.yaml")
	yaml := strings.Replace(fmt.Sprintf(lumiPipeline, "iceberg"), "  format: iceberg\n",
		"  format: iceberg\n  max_rows_per_file: 10\n  iceberg:\n    namespace: Bad-Name\n    catalog: postgres://u@db/x\n", 1)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := pipelines.Load(t.Context(), path, e.env)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"sink.iceberg.namespace: \"Bad-Name\" must be lower-case letters",
		"sink.iceberg.catalog: postgres: Postgres catalogs are not offered yet",
		"sink.max_rows_per_file: does not apply to format: iceberg",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	yaml = strings.Replace(fmt.Sprintf(lumiPipeline, "parquet"), "  format: parquet\n", "  format: parquet\n  iceberg: {namespace: x}\n", 1)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := pipelines.Load(t.Context(), path, e.env); err == nil || !strings.Contains(err.Error(), "sink.iceberg: applies to format: iceberg only") {
		t.Errorf("iceberg settings on a Parquet sink: %v", err)
	}
}
