package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/pipelines/state"
)

// reconcileSetup makes a state store whose ledger holds a lead Lumi
// accepted two days ago, and an empty lake: the lead is not seen at the
// vendor, which is an exception.
func reconcileSetup(t *testing.T) (dir, statePath string) {
	t.Helper()
	dir = t.TempDir()
	statePath = filepath.Join(dir, "state.db")
	store, err := state.Open(statePath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	store.SetClock(func() time.Time { return time.Now().Add(-48 * time.Hour) })
	if err := store.MarkPending(ctx, state.LedgerEntry{Scope: "lumi/leads@x", Key: "P-1", ContentHash: "h", Pipeline: "backfill-lumi", RunID: "r1", Row: 1}); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkDone(ctx, "lumi/leads@x", "P-1", "L1", 200, nil); err != nil {
		t.Fatal(err)
	}
	// The lake has Lumi's data, but not that lead.
	leads := filepath.Join(dir, "lake", "leads", "vendor=lumi", "dt=2026-11-20")
	if err := os.MkdirAll(leads, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(leads, "part-r1-0.csv"), []byte("lead_uid,vendor_lead_id,partner_ref,status,vendor,created_at,extracted_at,run_id\n"+
		"lumi:L9,L9,P-9,new,lumi,2026-11-20T01:00:00Z,2026-11-20T02:00:00Z,r1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, statePath
}

// TestReconcileOfAnEmptyLakeFails: a lake with no data file is never a
// clean report: exit 2 naming the path (whatever the other flags), and a
// failed run for a reconcile pipeline.
func TestReconcileOfAnEmptyLakeFails(t *testing.T) {
	dir, st := reconcileSetup(t)
	empty := filepath.Join(dir, "no-lake-here")
	os.MkdirAll(empty, 0o755)
	for _, extra := range [][]string{nil, {"--fail-on-exceptions"}} {
		code, stdout, stderr := cli(t, append([]string{"reconcile", "--state", st, "--lake", empty}, extra...)...)
		if code != exitInvalid || !strings.Contains(stderr, "the lake is empty") || !strings.Contains(stderr, empty) || strings.Contains(stdout, "No exceptions") {
			t.Errorf("reconcile %v of an empty lake: exit %d\n%s\n%s", extra, code, stdout, stderr)
		}
	}
	file := filepath.Join(dir, "reconcile.yaml")
	os.WriteFile(file, []byte("name: empty-reconcile\nreconcile:\n  lake: no-lake-here\n  out: reports\n"), 0o644)
	if code, stdout, stderr := cli(t, "run", "--state", st, file); code != exitFailed || !strings.Contains(stderr, "the lake is empty") {
		t.Errorf("a reconcile pipeline over an empty lake: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestReconcileCommandExitCodes(t *testing.T) {
	dir, st := reconcileSetup(t)
	lake, out := filepath.Join(dir, "lake"), filepath.Join(dir, "reports")
	base := []string{"reconcile", "--state", st, "--lake", lake, "--timezone", "UTC", "--date", "today"}

	code, stdout, stderr := cli(t, base...)
	if code != 0 {
		t.Fatalf("reconcile exited %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "**1 exception: 1 not seen at the vendor.**") || !strings.Contains(stdout, "| not seen at the vendor | lumi | P-1 |") {
		t.Errorf("the summary does not show the missing lead:\n%s", stdout)
	}

	code, _, stderr = cli(t, append(base, "--fail-on-exceptions", "--out", out, "-q")...)
	if code != exitExceptions {
		t.Errorf("--fail-on-exceptions with an exception exited %d, want %d: %s", code, exitExceptions, stderr)
	}
	day := time.Now().UTC().Format("2006-01-02")
	for _, f := range []string{".md", ".html", "-submissions.csv", "-exceptions.csv", "-funnel.csv", "-funded.csv", "-funded_by_day.csv", "-funded_undated.csv", "-repayments.csv", "-rejections.csv"} {
		if _, err := os.Stat(filepath.Join(out, "reconcile-"+day+f)); err != nil {
			t.Errorf("report file %s not written: %v", f, err)
		}
	}
	exc, _ := os.ReadFile(filepath.Join(out, "reconcile-"+day+"-exceptions.csv"))
	if !strings.Contains(string(exc), "not_seen,lumi,P-1,") {
		t.Errorf("exceptions.csv:\n%s", exc)
	}

	if code, _, stderr := cli(t, append(base, "--date", "2026-13-01")...); code != exitInvalid || !strings.Contains(stderr, "--date") {
		t.Errorf("a bad --date exited %d: %s", code, stderr)
	}
}

// TestReconcilePipelineKind runs a pipeline file with `reconcile:` through
// `leadpipe run`, the way the scheduler runs it: it is journaled, writes
// its files, and with fail_on_exceptions fails the run.
func TestReconcilePipelineKind(t *testing.T) {
	dir, st := reconcileSetup(t)
	file := filepath.Join(dir, "reconcile.yaml")
	yaml := `name: nightly-reconcile
timezone: UTC
reconcile:
  lake: lake
  out: reports
  date: today
  fail_on_exceptions: true
`
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := cli(t, "validate", file); code != 0 {
		t.Fatalf("validate exited %d: %s %s", code, out, stderr)
	}
	code, stdout, stderr := cli(t, "run", "--state", st, file)
	if code != exitFailed || !strings.Contains(stderr, "exceptions") {
		t.Errorf("a reconcile run with an exception and fail_on_exceptions exited %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "nightly-reconcile (reconcile)") || !strings.Contains(stdout, "1 exceptions (not_seen 1)") {
		t.Errorf("run summary:\n%s", stdout)
	}
	day := time.Now().UTC().Format("2006-01-02")
	if _, err := os.Stat(filepath.Join(dir, "reports", "reconcile-"+day+".html")); err != nil {
		t.Errorf("the run wrote no HTML report next to the pipeline file: %v", err)
	}
	store, err := state.Open(st)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	runs, err := store.Runs(context.Background(), state.RunFilter{Pipeline: "nightly-reconcile"})
	if err != nil || len(runs) != 1 || runs[0].Kind != "reconcile" || runs[0].Status != state.RunFailed {
		t.Errorf("journal: %+v %v", runs, err)
	}

	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: r\nsource: {connector: lumi}\nreconcile:\n  formats: [pdf]\n"), 0o644)
	code, _, stderr = cli(t, "validate", bad)
	for _, want := range []string{"reconcile.lake: is required", "reconcile.out: is required", "reconcile.formats[0]", "remove source"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("validate of a bad reconcile pipeline (exit %d) does not say %q:\n%s", code, want, stderr)
		}
	}
}
