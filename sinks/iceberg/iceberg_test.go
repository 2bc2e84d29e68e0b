package iceberg_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/iceberg"
	"github.com/leadpipe/leadpipe/sinks/iceberg/icebergtest"
	"github.com/leadpipe/leadpipe/sinks/laketest"
)

var t0 = time.Date(2026, 11, 22, 10, 30, 0, 123456000, time.UTC)

// env is a local warehouse and catalog.
type env struct {
	t    *testing.T
	dir  string
	sink *iceberg.Sink
	jr   *journal
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	return openEnv(t, iceberg.Options{Warehouse: filepath.Join(dir, "warehouse"), Catalog: filepath.Join(dir, "state", "iceberg.db")}, dir)
}

func openEnv(t *testing.T, opts iceberg.Options, dir string) *env {
	t.Helper()
	s, err := iceberg.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &env{t: t, dir: dir, sink: s, jr: &journal{}}
}

// journal records what a run tells it.
type journal struct {
	mu    sync.Mutex
	files []string
}

func (j *journal) AddFile(_ context.Context, staged, final, _ string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if staged != final {
		return fmt.Errorf("journaled %s as %s: Iceberg files have one name", staged, final)
	}
	j.files = append(j.files, staged)
	return nil
}
func (j *journal) FileWritten(context.Context, string, int64, int64) error { return nil }
func (j *journal) FilePublished(context.Context, string) error             { return nil }

// run writes one batch as one run and commits it.
func (e *env) run(id string, at time.Time, b *schema.Batch, tables ...*schema.Table) *iceberg.Result {
	e.t.Helper()
	r := e.begin(id, at, tables...)
	b.Stamp(id, schema.TimestampOf(at))
	if err := r.Write(context.Background(), b); err != nil {
		e.t.Fatalf("write %s: %v", id, err)
	}
	res, err := r.Commit(context.Background())
	if err != nil {
		e.t.Fatalf("commit %s: %v", id, err)
	}
	return res
}

func (e *env) begin(id string, at time.Time, tables ...*schema.Table) *iceberg.Run {
	e.t.Helper()
	if len(tables) == 0 {
		tables = schema.Tables
	}
	r, err := e.sink.Begin(context.Background(), iceberg.RunOptions{RunID: id, Pipeline: "test", ExtractedAt: at, Tables: tables, Journal: e.jr})
	if err != nil {
		e.t.Fatalf("begin %s: %v", id, err)
	}
	return r
}

func lead(vendor string, i int, status string, updated time.Time) schema.Lead {
	l := schema.Lead{
		LeadUID: fmt.Sprintf("%s:L%03d", vendor, i), VendorLeadID: fmt.Sprintf("L%03d", i), Status: status,
		VendorStatus: strings.ToUpper(status), FirstName: "Ann", LastName: fmt.Sprintf("O'Brien %d", i),
		DateOfBirth: schema.DateOf(time.Date(1980, 2, 29, 0, 0, 0, 0, time.UTC)), BirthYear: schema.IntOf(1980),
		MonthlyTurnover: schema.MoneyFromCents(-1_050), AmountRequested: schema.MoneyFromCents(int64(2_500_000 + i)),
		Currency: "AUD", Country: "AU", City: "Perth",
		CreatedAt: schema.TimestampOf(t0.AddDate(0, -(i % 3), -i)), UpdatedAt: schema.TimestampOf(updated),
		Attributes: `{"k":"v"}`, Common: schema.Common{Vendor: vendor},
	}
	if i%7 == 6 {
		l.CreatedAt = schema.Timestamp{} // the null partition
	}
	return l
}

func sampleBatch() *schema.Batch {
	b := &schema.Batch{}
	for _, v := range []string{"lumi", "bizcap"} {
		for i := range 12 {
			b.Leads = append(b.Leads, lead(v, i, "new", t0.Add(-time.Hour)))
		}
	}
	b.Loans = []schema.Loan{{
		LoanUID: "lumi:LN1", VendorLoanID: "LN1", LeadUID: "lumi:L001", Status: "funded", TermCount: schema.IntOf(12),
		Principal: schema.MoneyFromCents(1_000_000), Currency: "AUD", InterestRate: schema.Rate{Micros: 242_400, Valid: true},
		FundedAt: schema.TimestampOf(t0.Add(-48 * time.Hour)), FirstRepaymentDate: schema.DateOf(t0.AddDate(0, 1, 0)),
		CreatedAt: schema.TimestampOf(t0.Add(-72 * time.Hour)), Common: schema.Common{Vendor: "lumi"},
	}}
	for n := 1; n <= 3; n++ {
		b.Installments = append(b.Installments, schema.Installment{
			LoanUID: "lumi:LN1", Number: schema.IntOf(int64(n)), DueDate: schema.DateOf(t0.AddDate(0, n, 0)),
			AmountDue: schema.MoneyFromCents(90_000), Currency: "AUD", Common: schema.Common{Vendor: "lumi"},
		})
	}
	b.Events = []schema.Event{{EventUID: "lumi:E1", LeadUID: "lumi:L001", EventType: "call", Direction: "outbound",
		OccurredAt: schema.TimestampOf(t0.Add(-time.Minute)), Common: schema.Common{Vendor: "lumi"}}}
	b.Payments = []schema.Payment{{PaymentUID: "lumire:P1", LoanUID: "lumire:LN9", Kind: "repayment", Amount: schema.MoneyFromCents(-4_512),
		Currency: "NZD", OccurredAt: schema.TimestampOf(t0.Add(-2 * time.Hour)), Common: schema.Common{Vendor: "lumire"}}}
	return b
}

// sortRows orders rows by every value, for comparing sets of rows.
func sortRows(rows []laketest.Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%s|", k, r[k])
		}
		out[i] = b.String()
	}
	sort.Strings(out)
	return out
}

func sameRows(t *testing.T, what string, got, want []laketest.Row) {
	t.Helper()
	g, w := sortRows(got), sortRows(want)
	if len(g) != len(w) {
		t.Errorf("%s: %d rows, want %d", what, len(g), len(w))
		return
	}
	for i := range g {
		if g[i] != w[i] {
			t.Errorf("%s: row differs:\n got %s\nwant %s", what, g[i], w[i])
			return
		}
	}
}

// The written rows read back the same with iceberg-go's scanner and with
// DuckDB over the data files the manifests list, with the Parquet lake's
// types; history files land in vendor/day partitions, current-state files
// in vendor/month partitions (null when the row has no time).
func TestReadBackTwoWays(t *testing.T) {
	e := newEnv(t)
	b := sampleBatch()
	res := e.run("r1", t0, b)
	if res.Tables["leads"].Rows != 24 || res.Tables["leads"].CurrentRows != 24 || res.Attempts != 1 {
		t.Errorf("result %+v", res)
	}
	want := map[string][]laketest.Row{}
	for _, rows := range b.Tables() {
		want[rows.Table.Name] = icebergtest.Want(rows)
	}
	for _, tt := range schema.Tables {
		for _, name := range []string{tt.Name, tt.Name + iceberg.CurrentSuffix} {
			sameRows(t, name+" (iceberg-go scan)", icebergtest.Scan(t, e.sink, name), want[tt.Name])
			got, types := icebergtest.DuckDB(t, e.sink, name, tt)
			sameRows(t, name+" (DuckDB)", got, want[tt.Name])
			for _, c := range tt.Columns {
				wantType := map[schema.Kind]string{
					schema.KindString: "VARCHAR", schema.KindMoney: "DECIMAL(18,2)", schema.KindRate: "DECIMAL(18,6)",
					schema.KindTimestamp: "TIMESTAMP WITH TIME ZONE", schema.KindDate: "DATE", schema.KindInt: "BIGINT",
				}[c.Kind]
				if types[c.Name] != wantType {
					t.Errorf("%s.%s: DuckDB reads %s, want %s", name, c.Name, types[c.Name], wantType)
				}
			}
		}
	}
	hist := icebergtest.DataFiles(t, e.sink, "leads")
	cur := icebergtest.DataFiles(t, e.sink, "leads_current")
	if len(hist) != 2 {
		t.Errorf("leads history has %d files, want one per vendor: %v", len(hist), hist)
	}
	for _, f := range hist {
		if !strings.Contains(f, "/extracted_at_day=2026-11-22/") || !strings.Contains(f, "/vendor=") {
			t.Errorf("history file %s is not in a vendor/day partition", f)
		}
	}
	var null, nov int
	for _, f := range cur {
		null += strings.Count(f, "/created_at_month=null/")
		nov += strings.Count(f, "/created_at_month=2026-11/")
	}
	if null != 2 || nov != 2 {
		t.Errorf("current files %v: want a null and a 2026-11 partition per vendor", cur)
	}
	// The journal named every data file before it existed, relative to the
	// warehouse.
	for _, f := range append(hist, cur...) {
		rel, _ := filepath.Rel(filepath.Join(e.dir, "warehouse"), f)
		found := false
		for _, j := range e.jr.files {
			found = found || j == filepath.ToSlash(rel)
		}
		if !found {
			t.Errorf("data file %s was not journaled (journal: %v)", rel, e.jr.files)
		}
	}
}

// latest is the newest row per key of a history table: the greatest
// extracted_at, then updated_at.
func latest(t *testing.T, rows []laketest.Row, key string) []laketest.Row {
	t.Helper()
	at := func(r laketest.Row, c string) time.Time {
		if r[c] == "" {
			return time.Time{}
		}
		v, err := time.Parse(time.RFC3339Nano, r[c])
		if err != nil {
			t.Fatalf("%s = %q", c, r[c])
		}
		return v
	}
	best := map[string]laketest.Row{}
	for _, r := range rows {
		b, ok := best[r[key]]
		if ok {
			if e1, e2 := at(r, "extracted_at"), at(b, "extracted_at"); e1.Before(e2) || (e1.Equal(e2) && at(r, "updated_at").Before(at(b, "updated_at"))) {
				continue
			}
		}
		best[r[key]] = r
	}
	out := make([]laketest.Row, 0, len(best))
	for _, r := range best {
		out = append(out, r)
	}
	return out
}

// snapshots lists a table's snapshots' run ids, oldest first.
func snapshots(t *testing.T, s *iceberg.Sink, name string) []string {
	t.Helper()
	tbl, err := s.LoadTable(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, snap := range tbl.Metadata().Snapshots() {
		out = append(out, snap.Summary.Properties[iceberg.PropRunID])
	}
	return out
}

// After changes at the vendor, each run adds exactly one snapshot to each
// table, carrying its run id, and leads_current is the latest row per uid
// of leads, whichever order a run brought the versions in.
func TestIncrementalRunsKeepTheCurrentStateLatest(t *testing.T) {
	e := newEnv(t)
	at := t0
	var runs []string
	check := func() {
		t.Helper()
		hist := icebergtest.Scan(t, e.sink, "leads")
		cur := icebergtest.Scan(t, e.sink, "leads_current")
		sameRows(t, "leads_current vs latest of leads", cur, latest(t, hist, "lead_uid"))
		duck, _ := icebergtest.DuckDB(t, e.sink, "leads_current", schema.Leads)
		sameRows(t, "leads_current (DuckDB)", duck, cur)
		for _, n := range []string{"leads", "leads_current"} {
			if got := snapshots(t, e.sink, n); strings.Join(got, ",") != strings.Join(runs, ",") {
				t.Errorf("%s snapshots carry runs %v, want one per run %v", n, got, runs)
			}
		}
	}
	// Run 1: 40 leads.
	b := &schema.Batch{}
	for i := range 40 {
		b.Leads = append(b.Leads, lead("lumi", i, "new", at.Add(-time.Hour)))
	}
	e.run("r1", at, b, schema.Leads)
	runs = append(runs, "r1")
	check()

	// Run 2: ten leads change, five are new.
	at = at.Add(24 * time.Hour)
	b = &schema.Batch{}
	for i := 0; i < 10; i++ {
		b.Leads = append(b.Leads, lead("lumi", i*3, "contacting", at.Add(-time.Hour)))
	}
	for i := 40; i < 45; i++ {
		b.Leads = append(b.Leads, lead("lumi", i, "new", at.Add(-time.Hour)))
	}
	res := e.run("r2", at, b, schema.Leads)
	runs = append(runs, "r2")
	if tr := res.Tables["leads"]; tr.ReplacedRows != 10 || tr.CurrentRows != 15 || tr.Rewritten+tr.Removed == 0 {
		t.Errorf("run 2: %+v", tr)
	}
	check()

	// Run 3 brings two versions of L003 in one run, the newer first, and
	// two of L006 in order, in different batches.
	at = at.Add(24 * time.Hour)
	r := e.begin("r3", at, schema.Leads)
	b1 := &schema.Batch{Leads: []schema.Lead{lead("lumi", 3, "funded", at.Add(-time.Minute)), lead("lumi", 6, "application", at.Add(-2*time.Hour))}}
	b2 := &schema.Batch{Leads: []schema.Lead{lead("lumi", 3, "approved", at.Add(-time.Hour)), lead("lumi", 6, "approved", at.Add(-time.Hour))}}
	for _, bb := range []*schema.Batch{b1, b2} {
		bb.Stamp("r3", schema.TimestampOf(at))
		if err := r.Write(context.Background(), bb); err != nil {
			t.Fatal(err)
		}
	}
	res, err := r.Commit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	runs = append(runs, "r3")
	if tr := res.Tables["leads"]; tr.Rows != 4 || tr.CurrentRows != 2 {
		t.Errorf("run 3: %+v", tr)
	}
	check()
	statuses := map[string]string{}
	for _, row := range icebergtest.Scan(t, e.sink, "leads_current") {
		statuses[row["lead_uid"]] = row["status"]
	}
	if statuses["lumi:L003"] != "funded" || statuses["lumi:L006"] != "approved" {
		t.Errorf("current statuses of L003 and L006: %s, %s", statuses["lumi:L003"], statuses["lumi:L006"])
	}
	for _, id := range runs {
		if ok, err := e.sink.RunCommitted(context.Background(), id); !ok || err != nil {
			t.Errorf("RunCommitted(%s) = %v, %v", id, ok, err)
		}
	}
}

// installments_current holds each loan's schedule as the latest run that
// read the loan delivered it: a restructured loan's dropped installments
// go, other loans' stay.
func TestInstallmentsCurrentHoldsEachLoansLatestSchedule(t *testing.T) {
	e := newEnv(t)
	inst := func(loan string, n int, due int64) schema.Installment {
		return schema.Installment{LoanUID: loan, Number: schema.IntOf(int64(n)), DueDate: schema.DateOf(t0.AddDate(0, n, 0)),
			AmountDue: schema.MoneyFromCents(due), Currency: "EUR", Common: schema.Common{Vendor: "iute"}}
	}
	b := &schema.Batch{}
	for n := 1; n <= 4; n++ {
		b.Installments = append(b.Installments, inst("iute:A", n, 100), inst("iute:B", n, 200))
	}
	e.run("r1", t0, b, schema.Installments)
	b = &schema.Batch{Installments: []schema.Installment{inst("iute:A", 1, 150), inst("iute:A", 2, 150)}}
	e.run("r2", t0.Add(time.Hour), b, schema.Installments)
	count := map[string]int{}
	for _, row := range icebergtest.Scan(t, e.sink, "installments_current") {
		count[row["loan_uid"]+" "+row["amount_due"]]++
	}
	if count["iute:A 1.50"] != 2 || count["iute:A 1.00"] != 0 || count["iute:B 2.00"] != 4 || len(count) != 2 {
		t.Errorf("installments_current: %v", count)
	}
}

// A renamed column is refused before anything is written, with a message
// that names the table, the change and the options; a column the
// canonical schema gains is added to the tables (schema evolution).
func TestSchemaGuardAndEvolution(t *testing.T) {
	e := newEnv(t)
	var cols []schema.ColumnAs
	for _, c := range schema.Leads.Columns {
		if c.Name != "broker" {
			cols = append(cols, schema.ColumnAs{From: c.Name})
		}
	}
	noBroker, err := schema.Leads.Project(cols)
	if err != nil {
		t.Fatal(err)
	}
	b := &schema.Batch{Leads: []schema.Lead{lead("lumi", 1, "new", t0)}}
	b.Leads[0].Broker = "acme"
	e.run("r1", t0, b, noBroker)

	renamed, err := schema.Leads.Project(append(cols[:0:0], replaceAs(cols, "amount_requested", "requested")...))
	if err != nil {
		t.Fatal(err)
	}
	files := countFiles(t, filepath.Join(e.dir, "warehouse"))
	_, err = e.sink.Begin(context.Background(), iceberg.RunOptions{RunID: "r2", ExtractedAt: t0, Tables: []*schema.Table{renamed}})
	var sce *sinks.SchemaChangeError
	if !errors.As(err, &sce) {
		t.Fatalf("a rename was not refused: %v", err)
	}
	for _, want := range []string{"table leads ", "column amount_requested would be renamed to requested", "nothing was written", "Options: (1) keep the table's columns", "(2) write to new tables", "(3) change the table yourself"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, err)
		}
	}
	if err := e.sink.Check(context.Background(), []*schema.Table{renamed}); !errors.As(err, &sce) {
		t.Errorf("Check did not refuse the rename: %v", err)
	}
	if got := countFiles(t, filepath.Join(e.dir, "warehouse")); got != files {
		t.Errorf("the refused run wrote %d files", got-files)
	}
	if got := snapshots(t, e.sink, "leads"); len(got) != 1 {
		t.Errorf("snapshots after the refusal: %v", got)
	}

	// The full canonical table brings broker back: the tables gain it.
	b = &schema.Batch{Leads: []schema.Lead{lead("lumi", 1, "contacting", t0.Add(time.Hour))}}
	b.Leads[0].Broker = "acme"
	e.run("r2", t0.Add(time.Hour), b, schema.Leads)
	hist := icebergtest.Scan(t, e.sink, "leads")
	brokers := map[string]string{}
	for _, r := range hist {
		brokers[r["run_id"]] = r["broker"]
	}
	if brokers["r1"] != "" || brokers["r2"] != "acme" {
		t.Errorf("broker by run after evolution: %v", brokers)
	}
	cur := icebergtest.Scan(t, e.sink, "leads_current")
	if len(cur) != 1 || cur[0]["broker"] != "acme" {
		t.Errorf("leads_current after evolution: %v", cur)
	}
}

func replaceAs(cols []schema.ColumnAs, from, to string) []schema.ColumnAs {
	out := make([]schema.ColumnAs, len(cols))
	for i, c := range cols {
		out[i] = c
		if c.From == from {
			out[i].As = to
		}
	}
	return out
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// Two pipelines commit to the same tables: the one that loses the race
// rebuilds its commit on the winner's and both runs' rows are there.
func TestACommitThatLostTheRaceIsRebuilt(t *testing.T) {
	e := newEnv(t)
	e.run("r0", t0, &schema.Batch{Leads: []schema.Lead{lead("lumi", 1, "new", t0), lead("bizcap", 1, "new", t0)}}, schema.Leads)
	at := t0.Add(time.Hour)
	a := e.begin("a", at, schema.Leads)
	b := e.begin("b", at, schema.Leads)
	ba := &schema.Batch{Leads: []schema.Lead{lead("lumi", 1, "funded", at), lead("lumi", 2, "new", at)}}
	bb := &schema.Batch{Leads: []schema.Lead{lead("bizcap", 1, "declined", at)}}
	ba.Stamp("a", schema.TimestampOf(at))
	bb.Stamp("b", schema.TimestampOf(at))
	if err := a.Write(context.Background(), ba); err != nil {
		t.Fatal(err)
	}
	if err := b.Write(context.Background(), bb); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := b.Commit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 2 {
		t.Errorf("the second commit took %d attempts, want 2", res.Attempts)
	}
	cur := icebergtest.Scan(t, e.sink, "leads_current")
	got := map[string]string{}
	for _, r := range cur {
		got[r["lead_uid"]] = r["status"]
	}
	if fmt.Sprint(got) != "map[bizcap:L001:declined lumi:L001:funded lumi:L002:new]" {
		t.Errorf("leads_current: %v", got)
	}
	sameRows(t, "leads_current", cur, latest(t, icebergtest.Scan(t, e.sink, "leads"), "lead_uid"))
}

// A run that never commits is invisible and recognisably uncommitted; a
// run with no rows makes no snapshot.
func TestAnUncommittedRunIsInvisible(t *testing.T) {
	e := newEnv(t)
	e.run("r1", t0, sampleBatch())
	r := e.begin("r2", t0.Add(time.Hour))
	b := sampleBatch()
	b.Stamp("r2", schema.TimestampOf(t0.Add(time.Hour)))
	if err := r.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	r.Abort()
	if ok, err := e.sink.RunCommitted(context.Background(), "r2"); ok || err != nil {
		t.Errorf("RunCommitted(r2) = %v, %v", ok, err)
	}
	if got := len(icebergtest.Scan(t, e.sink, "leads")); got != 24 {
		t.Errorf("leads has %d rows after an aborted run, want 24", got)
	}
	if _, err := e.begin("r3", t0).Commit(context.Background()); !errors.Is(err, iceberg.ErrNothingToCommit) {
		t.Errorf("an empty run: %v", err)
	}
}

func TestCatalogLocations(t *testing.T) {
	for _, loc := range []string{"postgres://u@h/db", "https://rest.example.com", "glue:eu-west-1"} {
		if err := iceberg.CheckCatalog(loc); err == nil || !strings.Contains(err.Error(), "not offered yet") {
			t.Errorf("%s: %v", loc, err)
		}
	}
	for _, loc := range []string{"/x/iceberg.db", "sqlite:/x/iceberg.db", "sqlite:///x/iceberg.db", "rel/iceberg.db"} {
		if err := iceberg.CheckCatalog(loc); err != nil {
			t.Errorf("%s: %v", loc, err)
		}
	}
	dir := t.TempDir()
	cat := filepath.Join(dir, "iceberg.db")
	_, err := iceberg.Open(context.Background(), iceberg.Options{Warehouse: dir, Catalog: "sqlite:" + cat, ReadOnly: true})
	if !errors.Is(err, iceberg.ErrNoCatalog) {
		t.Errorf("read-only open of a missing catalog: %v", err)
	}
	if _, err := os.Stat(cat); !os.IsNotExist(err) {
		t.Errorf("a read-only open created the catalog: %v", err)
	}
	e := openEnv(t, iceberg.Options{Warehouse: dir, Catalog: "sqlite:" + cat}, dir)
	e.run("r1", t0, sampleBatch(), schema.Leads)
	if fi, err := os.Stat(cat); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("catalog file: %v %v", fi, err)
	}
	ro, err := iceberg.Open(context.Background(), iceberg.Options{Warehouse: dir, Catalog: cat, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.Check(context.Background(), []*schema.Table{schema.Leads}); err != nil {
		t.Error(err)
	}
}

// Rows that come in any order of partitions (three months and the null
// one, interleaved, several versions of each key) still make one
// current-state file per partition, however few files a run keeps open,
// with the last version of each key.
func TestInterleavedPartitionsMakeOneFileEach(t *testing.T) {
	dir := t.TempDir()
	e := openEnv(t, iceberg.Options{Warehouse: filepath.Join(dir, "w"), Catalog: filepath.Join(dir, "c.db"), MaxOpenFiles: 2}, dir)
	b := &schema.Batch{}
	for i := range 60 { // three months and a null partition, interleaved
		b.Leads = append(b.Leads, lead("lumi", i%20, fmt.Sprint("s", i/20), t0.Add(time.Duration(i)*time.Minute)))
	}
	res := e.run("r1", t0, b, schema.Leads)
	if tr := res.Tables["leads"]; tr.Rows != 60 || tr.CurrentRows != 20 || tr.CurrentFiles != 4 || tr.HistoryFiles != 1 {
		t.Errorf("result %+v: want 20 current rows in one file per partition (4)", tr)
	}
	cur := icebergtest.Scan(t, e.sink, "leads_current")
	sameRows(t, "leads_current", cur, latest(t, icebergtest.Scan(t, e.sink, "leads"), "lead_uid"))
	for _, r := range cur {
		if r["status"] != "s2" {
			t.Errorf("%s: status %s, want the last version s2", r["lead_uid"], r["status"])
		}
	}
}
