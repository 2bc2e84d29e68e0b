package reconcile_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/reconcile"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/parquet"
)

// BenchmarkBuild measures a report over a lake of 200,000 lead rows (100,000
// leads, each seen twice) and 20,000 funded loans, written by leadpipe's
// Parquet writer, and a ledger of 2,000 pushed leads.
//
//	go test ./reconcile -run - -bench Build -benchmem
func BenchmarkBuild(b *testing.B) {
	dir := b.TempDir()
	lake := filepath.Join(dir, "lake")
	now := time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC)
	pf, err := parquet.New(parquet.Options{})
	if err != nil {
		b.Fatal(err)
	}
	write := func(rows schema.Rows, rel string) {
		p := filepath.Join(lake, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		tw, err := pf.NewWriter(f, rows.Table)
		if err != nil {
			b.Fatal(err)
		}
		if err := tw.Write(rows); err != nil {
			b.Fatal(err)
		}
		if err := tw.Close(); err != nil {
			b.Fatal(err)
		}
	}
	const n = 100_000
	statuses := schema.Statuses
	for pass := 0; pass < 2; pass++ {
		leads := make([]schema.Lead, n)
		for i := range leads {
			id := fmt.Sprintf("L%06d", i)
			leads[i] = schema.Lead{LeadUID: "lumi:" + id, VendorLeadID: id, PartnerRef: fmt.Sprintf("P-%06d", i),
				Status: statuses[(i+pass)%len(statuses)], CreatedAt: schema.TimestampOf(now.Add(-time.Duration(i) * time.Minute)),
				Common: schema.Common{Vendor: "lumi", ExtractedAt: schema.TimestampOf(now.Add(time.Duration(pass-2) * time.Hour))}}
		}
		write(schema.RowsOf(schema.Leads, leads), fmt.Sprintf("leads/vendor=lumi/dt=2026-11-21/part-%d-0.parquet", pass))
	}
	loans := make([]schema.Loan, n/5)
	for i := range loans {
		id := fmt.Sprintf("L%06d", i*5)
		loans[i] = schema.Loan{LoanUID: "lumi:" + id, VendorLoanID: id, LeadUID: "lumi:" + id, Status: schema.StatusFunded,
			Principal: schema.MoneyFromCents(int64(1_000_000 + i)), CommissionAmount: schema.MoneyFromCents(50_000), Currency: "AUD",
			FundedAt: schema.TimestampOf(now.Add(-time.Duration(i) * time.Minute)),
			Common:   schema.Common{Vendor: "lumi", ExtractedAt: schema.TimestampOf(now.Add(-time.Hour))}}
	}
	write(schema.RowsOf(schema.Loans, loans), "loans/vendor=lumi/dt=2026-11-21/part-0-0.parquet")

	store, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	store.SetClock(func() time.Time { return now.Add(-3 * time.Hour) })
	for i := 0; i < 2000; i++ {
		key := fmt.Sprintf("P-%06d", i*7)
		if err := store.MarkPending(ctx, state.LedgerEntry{Scope: "lumi/leads@x", Key: key, ContentHash: "h", Pipeline: "p", RunID: "r", Row: i}); err != nil {
			b.Fatal(err)
		}
		if err := store.MarkDone(ctx, "lumi/leads@x", key, fmt.Sprintf("L%06d", i*7), 200, nil); err != nil {
			b.Fatal(err)
		}
	}
	o := reconcile.Options{Lake: lake, Store: store, Location: time.UTC, Now: func() time.Time { return now }}
	b.ResetTimer()
	for b.Loop() {
		r, err := reconcile.Build(ctx, o)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Submissions) == 0 {
			b.Fatal("no submissions")
		}
	}
}
