package main

import (
	"fmt"
	"strings"
	"testing"
)

// lastLine is the last non-empty line of a command's output.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestPushExitStatus: 0 only when every row is sent or was sent before; 6
// when rows were rejected or failed; the summary's last line says what
// remains and what to do.
func TestPushExitStatus(t *testing.T) {
	b := newLumiBox(t, 3, "none", 0)
	b.setenv(t)
	p := b.write(t, "push.yaml", fmt.Sprintf(lumiPush, "exits"))

	b.writeRows(t, 3)
	code, out, errs := cli(t, "run", p)
	if code != exitOK || !strings.HasPrefix(out, "✓ exits (push)") || lastLine(out) != "→ every row is sent or was sent before" {
		t.Fatalf("all done: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = cli(t, "run", p)
	if code != exitOK || !strings.Contains(out, "skipped (already sent): 3") || lastLine(out) != "→ every row is sent or was sent before" {
		t.Errorf("all sent before: exit %d\n%s", code, out)
	}

	// Some rejected: Lumi lends from 5,000.
	b.writeRows(t, 3, "LOW1,Amy,amy@example.com.au,0412345678,Low Pty,51824753556,1000,52")
	code, out, errs = cli(t, "run", p)
	if code != exitRowsLeft || !strings.HasPrefix(out, "! exits (push)") || !strings.Contains(out, "finished, 1 of 4 rows not sent") ||
		!strings.HasPrefix(lastLine(out), "→ 1 of 4 rows not sent: 1 rejected before sending: fix them in the input (") {
		t.Errorf("some rejected: exit %d\n%s", code, out)
	}
	if !strings.Contains(errs, "error: pipeline exits: 1 of 4 rows not sent") {
		t.Errorf("some rejected: stderr %s", errs)
	}

	// Some failed: the vendor refuses one row. It stays refused (exit 6)
	// until it changes.
	b.writeRows(t, 5)
	b.srv.Faults().FailNext(1, 400, `{"status": false, "error": "company.abn: ABN is cancelled"}`)
	code, out, _ = cli(t, "run", p)
	want := "→ 1 of 5 rows not sent: 1 refused by the vendor: fix the rows (reasons in the receipts); a changed row is sent again"
	if code != exitRowsLeft || !strings.Contains(out, "failed: 1") || lastLine(out) != want {
		t.Errorf("one refused: exit %d\n%s", code, out)
	}
	code, out, _ = cli(t, "run", p)
	if code != exitRowsLeft || !strings.Contains(out, "submitted: 0 ") || lastLine(out) != want {
		t.Errorf("rerun: exit %d\n%s", code, out)
	}
}
