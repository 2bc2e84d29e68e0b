package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/sinks/iceberg"
	"github.com/leadpipe/leadpipe/sinks/iceberg/icebergtest"
	"github.com/leadpipe/leadpipe/sinks/laketest"
)

// `leadpipe demo --format iceberg` writes the whole demo as Iceberg tables,
// with current-state tables that hold the latest row of every key, runs
// the report on them, and prints DuckDB, Spark and Trino commands that name
// files and locations that exist.
func TestDemoWritesIcebergTables(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errs := cli(t, "demo", "--format", "iceberg", "--out", dir, "--size", "40")
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if strings.Contains(out, "✗") {
		t.Errorf("a demo pipeline failed:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "leads")); !os.IsNotExist(err) {
		t.Errorf("the Iceberg demo wrote a Parquet lake too: %v", err)
	}
	catalog := filepath.Join(dir, ".leadpipe", "iceberg.db")
	for _, want := range []string{"INSTALL iceberg; LOAD iceberg;", "catalog-impl=org.apache.iceberg.jdbc.JdbcCatalog",
		"uri=jdbc:sqlite:" + catalog, "register_table(schema_name => 'leadpipe', table_name => 'leads_current'"} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo output lacks %q", want)
		}
	}
	scans := regexp.MustCompile(`iceberg_scan\('([^']+)'\)`).FindAllStringSubmatch(out, -1)
	if len(scans) != 2 {
		t.Fatalf("want two iceberg_scan queries, got %v", scans)
	}
	for _, m := range scans {
		if _, err := os.Stat(m[1]); err != nil {
			t.Errorf("iceberg_scan names %s: %v", m[1], err)
		}
	}

	s, err := iceberg.Open(context.Background(), iceberg.Options{Warehouse: dir, Catalog: catalog, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vendors := map[string]bool{}
	for _, c := range []struct{ table, key string }{{"leads", "lead_uid"}, {"loans", "loan_uid"}, {"events", "event_uid"}, {"payments", "payment_uid"}} {
		hist := icebergtest.Scan(t, s, c.table)
		cur := icebergtest.Scan(t, s, c.table+"_current")
		if len(cur) == 0 {
			t.Errorf("%s_current is empty", c.table)
		}
		if d := laketest.Duplicates(laketest.Column(cur, c.key)); len(d) > 0 {
			t.Errorf("%s_current holds %s twice", c.table, d[0])
		}
		latest := laketest.Latest(hist, c.key)
		if len(latest) != len(cur) {
			t.Errorf("%s_current has %d rows, %s %d keys", c.table, len(cur), c.table, len(latest))
		}
		for _, r := range cur {
			if latest[r[c.key]]["run_id"] != r["run_id"] {
				t.Errorf("%s_current %s is not the latest row of %s", c.table, r[c.key], c.table)
				break
			}
			vendors[r["vendor"]] = true
		}
	}
	if len(vendors) != 5 {
		t.Errorf("the current-state tables hold the vendors %v, want all five", vendors)
	}

	// The report inside the demo's directory reads the Iceberg tables.
	t.Chdir(dir)
	code, rep, errs := cli(t, "reconcile", "--date", "today")
	if code != 0 || !strings.Contains(rep, "| lumi | leads |") || regexp.MustCompile(`\(0 files\)`).MatchString(rep) {
		t.Errorf("reconcile inside the Iceberg demo: exit %d\n%s\n%s", code, rep, errs)
	}
}

func TestDemoRefusesAnUnknownFormat(t *testing.T) {
	code, _, errs := cli(t, "demo", "--format", "orc", "--out", t.TempDir())
	if code != exitInvalid || !strings.Contains(errs, "--format must be parquet or iceberg") {
		t.Errorf("exit %d: %s", code, errs)
	}
}
