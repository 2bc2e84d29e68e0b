package main

import (
	"bufio"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/lumi/lumitest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

// TestPushSurvivesKill9 kills a real leadpipe process with SIGKILL in the
// middle of a push, then reruns the push: the vendor must hold every row
// exactly once.
func TestPushSurvivesKill9(t *testing.T) {
	srv := lumitest.New(sandbox.Options{Seed: 9, Size: 3})
	srv.Faults().SetLatency(3 * time.Millisecond)
	hs := httptest.NewServer(srv)
	defer hs.Close()

	dir := t.TempDir()
	const rows = 400
	var b strings.Builder
	b.WriteString("ref,first,email,phone,company,abn,amount,weeks\n")
	for i := range rows {
		fmt.Fprintf(&b, "K%04d,Name%d,k%d@example.com.au,04%08d,Co %d,51824753556,20000,52\n", i, i, i, 20000000+i, i)
	}
	os.WriteFile(filepath.Join(dir, "rows.csv"), []byte(b.String()), 0o644)
	pipeline := filepath.Join(dir, "push.yaml")
	os.WriteFile(pipeline, []byte(`name: kill-test
source:
  file:
    path: rows.csv
push:
  connector: lumi
  target: leads
  config:
    base_url: ${LUMI_BASE_URL}
    username: ${LUMI_USERNAME}
    password: ${LUMI_PASSWORD}
    rate_limit: 1000
  key: [ref]
  fields:
    customer.first_name: first
    customer.email: email
    customer.phone: phone
    company.name: company
    company.abn: abn
    loan.requested_amount: amount
    loan.installments: weeks
  concurrency: 8
`), 0o644)
	for k, v := range srv.Env(hs.URL) {
		t.Setenv(k, v)
	}
	state := filepath.Join(dir, "state.db")

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "run", "--state", state, pipeline)
	cmd.Env = append(os.Environ(), "LEADPIPE_TEST_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(srv.Received()) < rows/3 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the child sent only %d rows in 30s", len(srv.Received()))
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no clean-up of any kind
		t.Fatal(err)
	}
	_ = cmd.Wait()
	atKill := len(srv.Received())
	if atKill >= rows {
		t.Fatalf("the child finished (%d rows) before it was killed", atKill)
	}

	code, out, errs := cli(t, "run", "--state", state, pipeline)
	if code != 0 {
		t.Fatalf("rerun exited %d\n%s\n%s", code, out, errs)
	}
	for i := range rows {
		ref := fmt.Sprintf("K%04d", i)
		if n := srv.CountByExternalID(ref); n != 1 {
			t.Errorf("row %s reached Lumi %d times", ref, n)
		}
	}
	if n := len(srv.Received()); n != rows {
		t.Errorf("Lumi holds %d leads for %d rows (%d when the first process was killed)", n, rows, atKill)
	}
	t.Logf("killed after %d of %d rows; the rerun completed the rest exactly once:\n%s", atKill, rows, out)
}

func TestSandboxCommandPrintsURLsAndCredentials(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "sandbox", "--addr", "127.0.0.1:0", "lumi", "iute")
	cmd.Env = append(os.Environ(), "LEADPIPE_TEST_MAIN=1")
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "Ctrl-C") {
			break
		}
	}
	cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait()
	got := out.String()
	for _, want := range []string{"export LUMI_BASE_URL=http://127.0.0.1:", "/lumi/v1", "export LUMI_PASSWORD=" + lumitest.Password,
		"export IUTE_BASE_URL=", "# iute at", "# lumi at"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "bizcap") {
		t.Error("serves a vendor that was not asked for")
	}
}
