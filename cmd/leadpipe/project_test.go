package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSamePushFromTwoDirectories runs one push file from two working
// directories: both runs use the state beside the pipeline file, so the
// second sends nothing and the vendor holds each row once.
func TestSamePushFromTwoDirectories(t *testing.T) {
	b := newLumiBox(t, 3, "none", 0)
	b.setenv(t)
	b.writeRows(t, 5)
	p := b.write(t, "push.yaml", fmt.Sprintf(lumiPush, "two-dirs"))

	t.Chdir(t.TempDir())
	code, out, errs := cli(t, "run", p)
	if code != 0 || !strings.Contains(out, "submitted: 5 ") {
		t.Fatalf("first run: exit %d\n%s\n%s", code, out, errs)
	}
	t.Chdir(t.TempDir())
	code, out, errs = cli(t, "run", p)
	if code != 0 || !strings.Contains(out, "submitted: 0 ") || !strings.Contains(out, "skipped (already sent): 5") {
		t.Fatalf("second run from another directory: exit %d\n%s\n%s", code, out, errs)
	}
	for i := range 5 {
		if n := b.srv.CountByExternalID(fmt.Sprintf("K%04d", i)); n != 1 {
			t.Errorf("the vendor holds K%04d %d times", i, n)
		}
	}
	if _, err := os.Stat(filepath.Join(b.dir, ".leadpipe", "state.db")); err != nil {
		t.Errorf("without a project file the state belongs beside the pipeline file: %v", err)
	}
}

// TestProjectFileHoldsTheState: with a leadpipe.yaml above the pipeline
// file, the state is beside the project file, and commands typed anywhere
// in the project find it with no flags.
func TestProjectFileHoldsTheState(t *testing.T) {
	b := newLumiBox(t, 3, "none", 0)
	b.setenv(t)
	os.MkdirAll(filepath.Join(b.dir, "pipelines", "data"), 0o755)
	b.write(t, "leadpipe.yaml", "# the project\nstate: var/leadpipe.db\n")
	b.writeRows(t, 2)
	os.Rename(filepath.Join(b.dir, "rows.csv"), filepath.Join(b.dir, "pipelines", "rows.csv"))
	p := b.write(t, "pipelines/push.yaml", fmt.Sprintf(lumiPush, "in-project"))

	t.Chdir(filepath.Join(b.dir, "pipelines", "data"))
	if code, out, errs := cli(t, "run", p); code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(b.dir, "var", "leadpipe.db")); err != nil {
		t.Fatalf("the project file's state: was not used: %v", err)
	}
	code, out, errs := cli(t, "runs", "--pipeline", "in-project")
	if code != 0 || !strings.Contains(out, "in-project") || !strings.Contains(out, "2 submitted") {
		t.Errorf("runs inside the project: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = cli(t, "ledger", "--pipeline", "in-project")
	if code != 0 || !strings.Contains(out, "K0001") {
		t.Errorf("ledger inside the project: exit %d\n%s", code, out)
	}
	if code, _, errs := cli(t, "runs", "--pipeline", "in-projekt"); code != exitInvalid || !strings.Contains(errs, `pipeline "in-projekt" is unknown`) || !strings.Contains(errs, "in-project") {
		t.Errorf("an unknown pipeline: exit %d, %s", code, errs)
	}
	if code, _, errs := cli(t, "state", "show", "nope"); code != exitInvalid || !strings.Contains(errs, `"nope" is unknown`) {
		t.Errorf("state show of an unknown pipeline: exit %d, %s", code, errs)
	}
	if code, _, errs := cli(t, "ledger", "--pipeline", "nope"); code != exitInvalid || !strings.Contains(errs, `"nope" is unknown`) {
		t.Errorf("ledger of an unknown pipeline: exit %d, %s", code, errs)
	}
	// A project file that is really a pipeline file is named as such.
	b.write(t, "leadpipe.yaml", "name: oops\nsource: {}\n")
	if code, _, errs := cli(t, "runs"); code != exitInvalid || !strings.Contains(errs, "looks like a pipeline file") {
		t.Errorf("a pipeline named leadpipe.yaml: exit %d, %s", code, errs)
	}
}

// TestReadOnlyCommandsNeverCreateState: typed outside any project, the
// read-only commands say where they looked and exit non-zero, and leave no
// file behind.
func TestReadOnlyCommandsNeverCreateState(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, args := range [][]string{{"runs"}, {"runs", "show", "r1"}, {"state", "show", "p"}, {"state", "reset", "p"},
		{"ledger"}, {"ledger", "forget", "--pipeline", "p", "K"}, {"reconcile"}} {
		code, _, errs := cli(t, args...)
		if code != exitInvalid || !strings.Contains(errs, "no state store at "+filepath.Join(dir, ".leadpipe", "state.db")) ||
			!strings.Contains(errs, "no leadpipe.yaml in") {
			t.Errorf("%v outside a project: exit %d, %s", args, code, errs)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("read-only commands created %v", entries)
	}
}

// TestPushRefusesWithoutItsLedger: a push whose ledger is empty while
// receipts of earlier runs exist (here: another --state) refuses to send
// and prints the way out; `leadpipe ledger import` rebuilds the ledger from
// the receipts, and the rerun sends nothing.
func TestPushRefusesWithoutItsLedger(t *testing.T) {
	b := newLumiBox(t, 3, "none", 0)
	b.setenv(t)
	b.writeRows(t, 4, "LOW1,Amy,amy@example.com.au,0412345678,Low Pty,51824753556,1000,52")
	p := b.write(t, "push.yaml", fmt.Sprintf(lumiPush, "moved"))
	if code, out, errs := cli(t, "run", "--state", filepath.Join(b.dir, "first.db"), p); code != exitRowsLeft || !strings.Contains(out, "submitted: 4 ") {
		t.Fatalf("first run: exit %d\n%s\n%s", code, out, errs)
	}
	received := len(b.srv.Received())

	other := filepath.Join(b.dir, "other.db")
	code, out, errs := cli(t, "run", "--state", other, p)
	if code != exitFailed || !strings.Contains(errs, "holds nothing for pipeline moved") || !strings.Contains(errs, filepath.Join(b.dir, "out", "receipts")) ||
		!strings.Contains(errs, "--state PATH") || !strings.Contains(errs, "leadpipe ledger import ") {
		t.Fatalf("a push with an empty ledger and earlier receipts: exit %d\n%s\n%s", code, out, errs)
	}
	if n := len(b.srv.Received()); n != received {
		t.Fatalf("the refused push sent %d rows", n-received)
	}

	// The printed command rebuilds the ledger.
	var cmdLine string
	for _, l := range strings.Split(errs, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "leadpipe ledger import ") {
			cmdLine = strings.TrimSpace(l)
		}
	}
	args := strings.Fields(cmdLine)[1:]
	code, out, errs = cli(t, args...)
	if code != 0 || !strings.Contains(out, "imported 4 done into "+other) {
		t.Fatalf("%s: exit %d\n%s\n%s", cmdLine, code, out, errs)
	}
	code, out, errs = cli(t, "run", "--state", other, p)
	if code != exitRowsLeft || !strings.Contains(out, "submitted: 0 ") || !strings.Contains(out, "skipped (already sent): 4") || !strings.Contains(out, "rejected: 1") {
		t.Fatalf("after the import: exit %d\n%s\n%s", code, out, errs)
	}
	for i := range 4 {
		if n := b.srv.CountByExternalID(fmt.Sprintf("K%04d", i)); n != 1 {
			t.Errorf("the vendor holds K%04d %d times", i, n)
		}
	}
}
