package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/examples"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sinks/laketest"
)

// TestMain lets a test run the real CLI in a child process (the kill -9
// test): with LEADPIPE_TEST_MAIN set, the test binary is leadpipe.
func TestMain(m *testing.M) {
	if os.Getenv("LEADPIPE_TEST_MAIN") != "" {
		code := run(os.Args[1:], os.Stdout, os.Stderr)
		if p := os.Getenv("LEADPIPE_TEST_PEAK_RSS"); p != "" {
			writePeakRSS(p)
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDemoRunsEveryExample(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errs := cli(t, "demo", "--out", dir)
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, name := range examples.Demo {
		p := strings.TrimSuffix(name, ".yaml")
		// A push with rows the demo means to be rejected ends with "!".
		if !strings.Contains(out, "✓ "+p+" (") && !strings.Contains(out, "! "+p+" (") {
			t.Errorf("the demo output does not show pipeline %s running to its end", p)
		}
	}
	if strings.Contains(out, "✗") {
		t.Errorf("a demo pipeline failed:\n%s", out)
	}
	// The printed queries read the views the demo wrote (leadpipe views).
	queries := regexp.MustCompile(`(?s)duckdb -c "\$\(cat ([^)]+)\)\s+(SELECT[^"]+)"`).FindAllStringSubmatch(out, -1)
	if len(queries) != 2 {
		t.Fatalf("the demo does not print two DuckDB queries over its views:\n%s", out)
	}
	views, err := os.ReadFile(queries[0][1])
	if err != nil || !strings.Contains(string(views), `CREATE OR REPLACE VIEW "leads_current"`) {
		t.Fatalf("views file %s: %v", queries[0][1], err)
	}
	byStatus := laketest.DuckDB(t, string(views), queries[0][2])
	distinct := len(laketest.Latest(laketest.Read(t, dir, "leads"), "lead_uid"))
	n := 0
	for _, r := range byStatus {
		c, _ := strconv.Atoi(fmt.Sprint(r["leads"]))
		n += c
	}
	if n != distinct {
		t.Errorf("the printed query counts %d leads, the lake has %d", n, distinct)
	}
	if got, _, _ := cli(t, "views", "--lake", dir); got != 0 {
		t.Errorf("leadpipe views on the demo's lake exited %d", got)
	}
	leads := laketest.Read(t, dir, "leads")
	if len(leads) == 0 {
		t.Fatal("the demo wrote no leads")
	}
	vendors := map[string]bool{}
	for _, r := range leads {
		vendors[r["vendor"]] = true
	}
	if !vendors["lumi"] {
		t.Errorf("no lumi leads in the lake: %v", vendors)
	}
	if len(laketest.Read(t, dir, "loans")) == 0 {
		t.Error("the demo wrote no loans")
	}
	// The demo replaces its own earlier output, and refuses anything else.
	if code, _, errs := cli(t, "demo", "--out", dir); code != 0 {
		t.Errorf("second demo into its own directory exited %d: %s", code, errs)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "precious.txt"), []byte("x"), 0o644)
	if code, _, errs := cli(t, "demo", "--out", other); code != exitInvalid || !strings.Contains(errs, "not empty") {
		t.Errorf("demo into a foreign directory: exit %d, %s", code, errs)
	}
	// Inside the demo's directory, the history, the ledger and the report
	// read the demo's state with no flags.
	t.Chdir(dir)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"runs"}, "backfill-lumi"},
		{[]string{"ledger", "--pipeline", "backfill-lumi"}, "lumi/leads"},
		{[]string{"reconcile", "--date", "today"}, "| lumi | leads |"},
	} {
		code, out, errs := cli(t, c.args...)
		if code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("leadpipe %s inside the demo: exit %d, want %q in:\n%s\n%s", strings.Join(c.args, " "), code, c.want, out, errs)
		}
	}
}

// sandboxEnv sets the variables the examples read.
func sandboxEnv(t *testing.T) {
	t.Helper()
	run, err := sandbox.Start("127.0.0.1:0", sandbox.Options{Size: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Close() })
	for k, v := range run.Env() {
		t.Setenv(k, v)
	}
}

func TestEveryExampleAndSampleIsValid(t *testing.T) {
	sandboxEnv(t)
	dir := t.TempDir()
	if _, err := prepareDemoDir(dir); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "pipelines", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, spec := range connectors.All() {
		if len(spec.Sample) == 0 {
			t.Errorf("connector %s ships no sample pipeline", spec.Name)
			continue
		}
		p := filepath.Join(dir, "pipelines", "sample-"+spec.Name+".yaml")
		os.WriteFile(p, spec.Sample, 0o644)
		files = append(files, p)
	}
	code, out, errs := cli(t, append([]string{"validate"}, files...)...)
	if code != 0 {
		t.Fatalf("validate exited %d:\n%s\n%s", code, out, errs)
	}
	if got := strings.Count(out, ": ok ("); got != len(files) {
		t.Errorf("%d of %d files reported ok:\n%s", got, len(files), out)
	}
}

func TestValidateReportsEveryProblemWithItsLine(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: Bad Name\nsource:\n  connector: nope\nsink:\n  path: x\n  format: xml\n  extra: 1\n"), 0o644)
	code, _, errs := cli(t, "validate", bad)
	if code != exitInvalid {
		t.Errorf("exit %d, want %d", code, exitInvalid)
	}
	for _, want := range []string{
		bad + ":1: name:", bad + `:3: source.connector: unknown connector "nope"`,
		bad + `:6: sink.format: must be parquet, csv or iceberg`, bad + `:7: sink.extra: unknown key "extra"`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("missing %q in:\n%s", want, errs)
		}
	}
}

func TestSecretsNeverReachTheOutput(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "p.yaml")
	os.WriteFile(p, []byte(`name: leak-check
source:
  connector: lumi
  config:
    base_url: http://127.0.0.1:1/v1
    username: someone
    password: ${SECRET_PW}
    timeout: 1s
sink:
  path: lake
`), 0o644)
	t.Setenv("SECRET_PW", "hunter2-very-secret")
	code, out, errs := cli(t, "run", "--log-level", "debug", "--state", filepath.Join(dir, "s.db"), p)
	if code != exitFailed {
		t.Errorf("exit %d, want %d (nothing listens on port 1)", code, exitFailed)
	}
	if strings.Contains(out+errs, "hunter2") {
		t.Errorf("the password reached the output:\n%s\n%s", out, errs)
	}
}

func TestConnectorsListsEveryVendor(t *testing.T) {
	code, out, _ := cli(t, "connectors")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range connectors.All() {
		if !strings.Contains(out, s.Name) {
			t.Errorf("connectors does not list %s", s.Name)
		}
	}
	code, out, _ = cli(t, "connectors", "lumi")
	if code != 0 || !strings.Contains(out, "Sample pipeline") || !strings.Contains(out, "external_id") {
		t.Errorf("connectors lumi: exit %d\n%s", code, out)
	}
}

func TestLedgerShowsAndForgetsRows(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "s.db")
	store, err := state.Open(st)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, k := range []string{"APP-1", "APP-2", "APP-3"} {
		store.MarkPending(ctx, state.LedgerEntry{Scope: "iute/loans@x", Key: k, ContentHash: "h", Pipeline: "apps", RunID: "r1", Row: 1})
	}
	const note = "the connection failed after sending (Post \"https://iute.example/api/loan/application\": read tcp: connection reset by peer) " +
		"and the vendor offers no lookup; check at the vendor: client 2001234567890 Ion Rusu, 6000 MDL over 6 months"
	store.MarkNeedsHuman(ctx, "iute/loans@x", "APP-1", "the connection dropped after sending", nil)
	store.MarkNeedsHuman(ctx, "iute/loans@x", "APP-3", note, nil)
	store.MarkDone(ctx, "iute/loans@x", "APP-2", "90001", 200, nil)
	store.Close()

	code, out, _ := cli(t, "ledger", "--state", st, "--status", "needs_human")
	if code != 0 || !strings.Contains(out, "APP-1") || strings.Contains(out, "APP-2") || !strings.Contains(out, "needs_human") {
		t.Errorf("ledger --status needs_human: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, note) {
		t.Errorf("the ledger cut the note; it must show it whole:\n%s", out)
	}
	// A person finds APP-3 at Iute as loan 90211: resolve records it as
	// done, and the poller learns the ref.
	code, out, errs := cli(t, "ledger", "resolve", "--state", st, "--pipeline", "apps", "APP-3", "--vendor-id", "90211")
	if code != 0 || !strings.Contains(out, "resolved APP-3 in iute/loans@x: done, vendor id 90211 (it was needs_human)") {
		t.Errorf("resolve: exit %d %s %s", code, out, errs)
	}
	code, out, _ = cli(t, "ledger", "--state", st, "--pipeline", "apps", "--status", "done")
	if code != 0 || !strings.Contains(out, "APP-3") || !strings.Contains(out, "90211") || !strings.Contains(out, "found at the vendor as 90211") || !strings.Contains(out, "(was needs_human: "+note+")") {
		t.Errorf("after resolve:\n%s", out)
	}
	if code, _, errs := cli(t, "ledger", "resolve", "--state", st, "--pipeline", "apps", "APP-3", "--vendor-id", "90211"); code != exitInvalid || !strings.Contains(errs, "already done") {
		t.Errorf("resolving a done row again: exit %d %s", code, errs)
	}
	if store, err = state.Open(st); err != nil {
		t.Fatal(err)
	}
	refs, _ := store.LoanRefs(ctx, "iute")
	store.Close()
	if len(refs) != 1 || refs[0].Ref != "90211" {
		t.Errorf("loan refs after resolving an application: %+v", refs)
	}
	code, out, _ = cli(t, "ledger", "forget", "--state", st, "--pipeline", "apps", "APP-1")
	if code != 0 || !strings.Contains(out, "forgot APP-1") {
		t.Errorf("forget: exit %d %s", code, out)
	}
	code, out, _ = cli(t, "ledger", "--state", st)
	if strings.Contains(out, "APP-1") || !strings.Contains(out, "APP-2") {
		t.Errorf("after forget:\n%s", out)
	}
	if code, _, errs := cli(t, "ledger", "forget", "--state", st, "--pipeline", "apps", "NOPE"); code != exitInvalid || !strings.Contains(errs, "no ledger entry for NOPE") {
		t.Errorf("forget of an unknown key: exit %d %s", code, errs)
	}
}

func TestIuteCalc(t *testing.T) {
	sandboxEnv(t)
	dir := t.TempDir()
	if _, err := prepareDemoDir(dir); err != nil {
		t.Fatal(err)
	}
	code, out, errs := cli(t, "iute", "calc", "--pipeline", filepath.Join(dir, "pipelines", "iute.yaml"), "--amount", "5000", "--months", "12")
	if code != 0 || !strings.Contains(out, "5000.00 MDL over 12 months") || !strings.Contains(out, "a month") {
		t.Errorf("iute calc: exit %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = cli(t, "iute", "calc", "--pipeline", filepath.Join(dir, "pipelines", "lumi.yaml"), "--amount", "5000", "--months", "12")
	if code != exitInvalid || !strings.Contains(errs, "no iute source or push") {
		t.Errorf("calc with a lumi pipeline: exit %d %s", code, errs)
	}
}

// TestCommandLineMistakesExitTwo: cobra's errors are typed where cobra
// raises them (flag errors, argument checks, unknown commands), not told
// apart by their wording.
func TestCommandLineMistakesExitTwo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"runn"}, `unknown command "runn" for "leadpipe" (did you mean run or runs?)`},
		{[]string{"state", "shw"}, `unknown command "shw" for "leadpipe state" (did you mean show?)`},
		{[]string{"run"}, "requires at least 1 arg(s)"},
		{[]string{"run", "--limit", "x", "p.yaml"}, `invalid argument "x" for "--limit" flag`},
		{[]string{"validate", "--bogus", "p.yaml"}, "unknown flag: --bogus"},
	} {
		code, _, errs := cli(t, tc.args...)
		if code != exitInvalid || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "--help' for usage") {
			t.Errorf("leadpipe %s: exit %d\n%s", strings.Join(tc.args, " "), code, errs)
		}
	}
	if code, out, _ := cli(t, "state"); code != exitOK || !strings.Contains(out, "Usage:") {
		t.Errorf("leadpipe state: exit %d, want its help\n%s", code, out)
	}
}
