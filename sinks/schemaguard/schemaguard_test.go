package schemaguard_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/csv"
	"github.com/leadpipe/leadpipe/sinks/parquet"
	"github.com/leadpipe/leadpipe/sinks/schemaguard"
	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sinks/storage/local"
)

func openLake(t *testing.T) storage.Storage {
	t.Helper()
	s, err := local.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func project(t *testing.T, cols ...schema.ColumnAs) *schema.Table {
	t.Helper()
	p, err := schema.Leads.Project(cols)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// write puts one run's leads into the lake in format f, as the engine does.
func write(t *testing.T, sto storage.Storage, f sinks.Format, runID string) {
	t.Helper()
	ctx := context.Background()
	lake := sinks.NewLake(sto, f, sinks.LakeOptions{RunID: runID, ExtractedAt: time.Now()})
	b := &schema.Batch{Leads: []schema.Lead{{LeadUID: "lumi:1", Status: "new", Common: schema.Common{Vendor: "lumi"}}}}
	if err := lake.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := lake.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := lake.Publish(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestChecksAgainstTheRecordedLayout(t *testing.T) {
	ctx := context.Background()
	sto := openLake(t)
	full := schema.Leads
	// A new lake: the run records its layout.
	recs, err := schemaguard.Check(ctx, sto, "parquet", "r1", []*schema.Table{full})
	if err != nil || len(recs) != 1 || recs[0].RunID != "r1" {
		t.Fatalf("first check: %v %v", recs, err)
	}
	if err := schemaguard.Write(ctx, sto, recs[0]); err != nil {
		t.Fatal(err)
	}
	// The same columns pass with nothing to record; so do they reordered.
	reordered := make([]schema.ColumnAs, 0, len(full.Columns))
	for i := len(full.Columns) - 1; i >= 0; i-- {
		reordered = append(reordered, schema.ColumnAs{From: full.Columns[i].Name})
	}
	for _, tt := range []*schema.Table{full, project(t, reordered...)} {
		if recs, err := schemaguard.Check(ctx, sto, "parquet", "r2", []*schema.Table{tt}); err != nil || len(recs) != 0 {
			t.Errorf("same layout: %v %v", recs, err)
		}
	}
	// A rename, a left-out column, another format: refused, with the options.
	renamed := project(t, append(reordered[:len(reordered)-1:len(reordered)-1], schema.ColumnAs{From: "lead_uid", As: "id"})...)
	for _, c := range []struct {
		format string
		t      *schema.Table
		want   string
	}{
		{"parquet", renamed, "column lead_uid would be renamed to id"},
		{"parquet", project(t, reordered[:len(reordered)-1]...), "column lead_uid would be left out"},
		{"csv", full, "its files would change format from parquet to csv"},
	} {
		_, err := schemaguard.Check(ctx, sto, c.format, "r3", []*schema.Table{c.t})
		var sce *sinks.SchemaChangeError
		if !errors.As(err, &sce) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "table leads (file://") ||
			!strings.Contains(err.Error(), "Options: (1) keep the table's columns") || !strings.Contains(err.Error(), "(3) start the table afresh: move ") {
			t.Errorf("%s: %v", c.want, err)
		}
	}
}

// A column the canonical schema gains passes, and the run records it.
func TestANewColumnIsRecorded(t *testing.T) {
	ctx := context.Background()
	sto := openLake(t)
	var cols []schema.ColumnAs
	for _, c := range schema.Leads.Columns {
		if c.Name != "broker" {
			cols = append(cols, schema.ColumnAs{From: c.Name})
		}
	}
	old := schemaguard.NewRecord(project(t, cols...), "parquet", "r1")
	if err := schemaguard.Write(ctx, sto, old); err != nil {
		t.Fatal(err)
	}
	recs, err := schemaguard.Check(ctx, sto, "parquet", "r2", []*schema.Table{schema.Leads})
	if err != nil || len(recs) != 1 || recs[0].Fingerprint == old.Fingerprint {
		t.Fatalf("check: %v %v", recs, err)
	}
	if got := schemaguard.Added(ctx, sto, recs[0]); fmt.Sprint(got) != "[broker]" {
		t.Errorf("added %v", got)
	}
}

// A lake written before layouts were recorded is checked against its
// newest file's columns, Parquet or CSV.
func TestALakeWithoutARecordIsCheckedAgainstItsFiles(t *testing.T) {
	ctx := context.Background()
	pf, _ := parquet.New(parquet.Options{})
	for _, f := range []sinks.Format{pf, csv.New(csv.Options{})} {
		t.Run(f.Name(), func(t *testing.T) {
			sto := openLake(t)
			write(t, sto, f, "r1")
			rec, err := schemaguard.Read(ctx, sto, "leads")
			if err != nil || rec == nil || rec.Format != f.Name() || rec.RunID != "" {
				t.Fatalf("read: %+v %v", rec, err)
			}
			if rec.Fingerprint != sinks.LayoutOf(schema.Leads).Fingerprint() {
				t.Errorf("the file's layout %v differs from the canonical table's", rec.Columns)
			}
			// The same layout is recorded from now on; a rename is refused.
			if recs, err := schemaguard.Check(ctx, sto, f.Name(), "r2", []*schema.Table{schema.Leads}); err != nil || len(recs) != 1 {
				t.Errorf("same layout: %v %v", recs, err)
			}
			var cols []schema.ColumnAs
			for _, c := range schema.Leads.Columns {
				cols = append(cols, schema.ColumnAs{From: c.Name})
			}
			cols[0].As = "id"
			if _, err := schemaguard.Check(ctx, sto, f.Name(), "r2", []*schema.Table{project(t, cols...)}); err == nil ||
				!strings.Contains(err.Error(), "column lead_uid would be renamed to id") {
				t.Errorf("rename: %v", err)
			}
		})
	}
}
