package views_test

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/laketest"
	"github.com/leadpipe/leadpipe/sinks/parquet"
	"github.com/leadpipe/leadpipe/sinks/schemaguard"
	"github.com/leadpipe/leadpipe/sinks/storage/local"
	"github.com/leadpipe/leadpipe/sinks/views"
)

// The views read a lake whose leads gained a column between two runs as
// one table, and <table>_current is the latest row of every key: the newer
// run, then the newer updated_at; a loan's latest schedule.
func TestViewsReadTheLakeAsTables(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sto, err := local.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	pf, _ := parquet.New(parquet.Options{})
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	lead := func(id, status string, updated time.Time) schema.Lead {
		return schema.Lead{LeadUID: "lumi:" + id, Status: status, Broker: "acme", UpdatedAt: schema.TimestampOf(updated), Common: schema.Common{Vendor: "lumi"}}
	}
	inst := func(n int64, due int64) schema.Installment {
		return schema.Installment{LoanUID: "iute:A", Number: schema.IntOf(n), AmountDue: schema.MoneyFromCents(due), Common: schema.Common{Vendor: "iute"}}
	}
	// Run 1 wrote leads without broker (an older layout).
	var cols []schema.ColumnAs
	for _, c := range schema.Leads.Columns {
		if c.Name != "broker" {
			cols = append(cols, schema.ColumnAs{From: c.Name})
		}
	}
	noBroker, _ := schema.Leads.Project(cols)
	runs := []struct {
		id     string
		at     time.Time
		format sinks.Format
		batch  *schema.Batch
	}{
		{"r1", t0, projected{pf, noBroker}, &schema.Batch{
			Leads:        []schema.Lead{lead("1", "new", t0), lead("2", "new", t0), lead("3", "new", t0)},
			Installments: []schema.Installment{inst(1, 100), inst(2, 100), inst(3, 100)},
		}},
		{"r2", t0.Add(24 * time.Hour), pf, &schema.Batch{
			// Two versions of lead 2 in one run, the newer first.
			Leads:        []schema.Lead{lead("2", "funded", t0.Add(23*time.Hour)), lead("2", "approved", t0.Add(22*time.Hour)), lead("4", "new", t0)},
			Installments: []schema.Installment{inst(1, 150), inst(2, 150)},
		}},
	}
	for _, r := range runs {
		r.batch.Stamp(r.id, schema.TimestampOf(r.at))
		lake := sinks.NewLake(sto, r.format, sinks.LakeOptions{RunID: r.id, ExtractedAt: r.at})
		if err := lake.Write(ctx, r.batch); err != nil {
			t.Fatal(err)
		}
		if err := lake.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := lake.Publish(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []*schema.Table{schema.Leads, schema.Installments} {
		if err := schemaguard.Write(ctx, sto, schemaguard.NewRecord(tt, "parquet", "r2")); err != nil {
			t.Fatal(err)
		}
	}
	tables, err := views.Tables(ctx, sto)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 2 {
		t.Fatalf("tables %v", tables)
	}
	sql := views.DuckDB(dir, tables)
	rows := laketest.DuckDB(t, sql, `SELECT lead_uid, status, coalesce(broker, '-') AS broker, run_id, dt::VARCHAR AS dt FROM leads_current ORDER BY lead_uid`)
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%v %v %v %v %v", r["lead_uid"], r["status"], r["broker"], r["run_id"], r["dt"]))
	}
	want := []string{"lumi:1 new - r1 2026-11-20", "lumi:2 funded acme r2 2026-11-21", "lumi:3 new - r1 2026-11-20", "lumi:4 new acme r2 2026-11-21"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("leads_current:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	rows = laketest.DuckDB(t, sql, `SELECT number, amount_due::VARCHAR AS due FROM installments_current`)
	got = nil
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%v=%v", r["number"], r["due"]))
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "1=1.50,2=1.50" {
		t.Errorf("installments_current: %v, want the second run's two installments", got)
	}
	if n := laketest.DuckDB(t, sql, `SELECT count(*) AS n FROM leads`)[0]["n"]; fmt.Sprint(n) != "6" {
		t.Errorf("leads has %v rows, want all 6", n)
	}
}

// projected writes a format's files with a projection's columns.
type projected struct {
	sinks.Format
	t *schema.Table
}

func (p projected) NewWriter(w io.Writer, t *schema.Table) (sinks.TableWriter, error) {
	if t != schema.Leads {
		return p.Format.NewWriter(w, t)
	}
	tw, err := p.Format.NewWriter(w, p.t)
	return projWriter{tw, p.t}, err
}

type projWriter struct {
	sinks.TableWriter
	t *schema.Table
}

func (w projWriter) Write(rows schema.Rows) error { return w.TableWriter.Write(rows.As(w.t)) }
