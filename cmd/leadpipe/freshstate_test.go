package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTwoRunsOnAFreshStateEndOneAndThree starts the same pull pipeline
// twice at once, 20 times, each pair on a state file that does not exist
// yet, so both processes race to create it, make it WAL and create its
// tables. The vendor holds the first request it gets until one process has
// exited, so the runs overlap for sure: every pair must end as one run that
// succeeds (0) and one "already running" (3), never as a database-locked
// failure (1).
func TestTwoRunsOnAFreshStateEndOneAndThree(t *testing.T) {
	for i := range 20 {
		b := newLumiBox(t, 3, "GET", 0)
		pipeline := b.write(t, "pull.yaml", fmt.Sprintf(lumiPull, "race"))
		fresh := filepath.Join(b.dir, "fresh", ".leadpipe", "state.db")
		args := []string{"run", "--log-format", "json", "--state", fresh, pipeline}
		pair := []*child{startChild(t, b.dir, b.env(), args...), startChild(t, b.dir, b.env(), args...)}

		first, firstCode := -1, 0
		select {
		case firstCode = <-pair[0].exited:
			first = 0
		case firstCode = <-pair[1].exited:
			first = 1
		case <-time.After(60 * time.Second):
			t.Fatalf("pair %d: neither run ended in 60s", i)
		}
		b.gate.open()
		other := pair[1-first]
		otherCode := other.wait()
		if firstCode != exitLocked || otherCode != exitOK {
			t.Fatalf("pair %d: the runs ended %d (first) and %d, want 3 and 0\nfirst:\n%s\nother:\n%s",
				i, firstCode, otherCode, pair[first].stderr(), other.stderr())
		}
		if !strings.Contains(pair[first].stderr(), "already running") {
			t.Errorf("pair %d: the locked-out run did not say why:\n%s", i, pair[first].stderr())
		}
	}
}
