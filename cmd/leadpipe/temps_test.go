package main

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/pipelines/state"
)

// tempFiles lists the writers' temporary files under dir (".<name>.<random>.tmp").
func tempFiles(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".") && strings.HasSuffix(d.Name(), ".tmp") {
			out = append(out, strings.TrimPrefix(p, dir+"/"))
		}
		return nil
	})
	return out
}

// waitFor polls until cond holds (a file appears), or fails after 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen in 30s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestKilledPullLeavesNoTemporaryFiles kills a real pull with SIGKILL
// while its part files are being written (the vendor holds its next page),
// so their temporary files stay behind; the next run of the pipeline rolls
// the dead run back and removes them.
func TestKilledPullLeavesNoTemporaryFiles(t *testing.T) {
	b := newLumiBox(t, 60, http.MethodGet, 4)
	p := b.write(t, "pull.yaml", fmt.Sprintf(lumiPull, "kill-temps"))
	c := startChild(t, b.dir, b.env(), "run", "--state", b.state, p)
	b.gate.waitHeld(t, 1)
	waitFor(t, "a part file being written", func() bool { return len(tempFiles(b.lake)) > 0 })
	c.cmd.Process.Kill()
	c.wait()
	left := tempFiles(b.lake)
	t.Logf("the killed run left %v", left)

	b.gate.open()
	b.setenv(t)
	code, out, errs := cli(t, "run", "--state", b.state, p)
	if code != 0 {
		t.Fatalf("rerun exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "rolled back run") {
		t.Errorf("the rerun did not report the rollback:\n%s", out)
	}
	if tmp := tempFiles(b.lake); len(tmp) != 0 {
		t.Errorf("temporary files left after the next run: %v (the killed run left %v)", tmp, left)
	}
	checkPullCommitted(t, b, b.store(t), "kill-temps")
}

// TestKilledPushLeavesNoTemporaryFiles kills a real push with SIGKILL
// while its receipts are open; the next run closes the dead run in the
// journal and removes its receipts' temporary file.
func TestKilledPushLeavesNoTemporaryFiles(t *testing.T) {
	b := newLumiBox(t, 3, http.MethodPost, 10)
	b.writeRows(t, 40)
	p := b.write(t, "push.yaml", fmt.Sprintf(lumiPush, "kill-push-temps"))
	c := startChild(t, b.dir, b.env(), "run", "--state", b.state, p)
	b.gate.waitHeld(t, 1)
	out := filepath.Join(b.dir, "out")
	waitFor(t, "the receipts being written", func() bool { return len(tempFiles(out)) > 0 })
	c.cmd.Process.Kill()
	c.wait()
	left := tempFiles(out)

	b.gate.open()
	b.setenv(t)
	code, stdout, errs := cli(t, "run", "--state", b.state, p)
	if code != 0 {
		t.Fatalf("rerun exit %d\n%s\n%s", code, stdout, errs)
	}
	if tmp := tempFiles(out); len(tmp) != 0 {
		t.Errorf("temporary files left after the next run: %v (the killed run left %v)", tmp, left)
	}
	runs := runsOf(t, b.store(t), "kill-push-temps")
	if len(runs) != 2 || runs[0].Status != state.RunFailed || !strings.Contains(runs[0].Error, "process stopped") || runs[1].Status != state.RunSucceeded {
		t.Errorf("runs after the recovery: %+v", runs)
	}
	if !strings.Contains(stdout, "closed push run "+runs[0].ID) {
		t.Errorf("the rerun did not report the dead run:\n%s", stdout)
	}
	// Receipts hold what the partner sent: readable by their owner only.
	entries, _ := os.ReadDir(filepath.Join(out, "receipts"))
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("receipts file %s is %04o, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	if len(entries) == 0 {
		t.Error("no receipts file")
	}
}
