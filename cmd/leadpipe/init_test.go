package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/examples/scaffold"
)

// TestInitThenRunAgainstTheSandboxes: a project from `leadpipe init` runs
// as written against the vendor simulators, given only the variables
// `leadpipe sandbox` prints: every pull commits rows, every push sends its
// good rows (the samples' bad rows are rejected, and one Iute application
// refused by the vendor, on purpose: hence exit 6).
func TestInitThenRunAgainstTheSandboxes(t *testing.T) {
	for _, k := range []string{"LEADPIPE_LAKE", "LEADPIPE_FORMAT", "LEADPIPE_STATE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	run, err := sandbox.Start("127.0.0.1:0", sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	setRateWindows(run, 100*time.Millisecond) // leadpipe sandbox --rate-window
	for k, v := range run.Env() {             // what leadpipe sandbox prints
		t.Setenv(k, v)
	}
	for k, v := range demoRates { // the examples' production rates would only make the test slow
		t.Setenv(k, v)
	}
	dir := filepath.Join(t.TempDir(), "proj")
	code, out, errs := cli(t, "init", dir)
	if code != exitOK {
		t.Fatalf("init: exit %d\n%s%s", code, out, errs)
	}
	choices, _ := scaffold.Choices()
	var pipes []string
	for _, v := range scaffold.Vendors() {
		for _, name := range choices[v] {
			if name == "" {
				t.Errorf("vendor %s has no pull or no push example", v)
				continue
			}
			pipes = append(pipes, filepath.Join(dir, name))
		}
	}
	if len(pipes) != 10 {
		t.Fatalf("init wrote %d pipelines: %v", len(pipes), pipes)
	}
	if !strings.Contains(out, "leadpipe run "+strings.Join(pipes, " ")+"\n") || !strings.Contains(out, "leadpipe sandbox --rate-window 1s") {
		t.Errorf("init does not say how to run them:\n%s", out)
	}
	if code, out, errs := cli(t, "validate", dir); code != exitOK || strings.Count(out, ": ok (") != len(pipes) {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
	}

	code, out, errs = cli(t, append([]string{"run"}, pipes...)...)
	if code != exitRowsLeft {
		t.Errorf("run: exit %d, want %d (rejected sample rows only)\n%s%s", code, exitRowsLeft, out, errs)
	}
	pulls := regexp.MustCompile(`(?m)^✓ (\S+) \(pull\) run \S+: committed`).FindAllStringSubmatch(out, -1)
	if len(pulls) != 5 {
		t.Errorf("%d pulls committed, want 5:\n%s", len(pulls), out)
	}
	pushes := regexp.MustCompile(`(?m)^  rows: (\d+)  submitted: (\d+)  skipped \(already sent\): \d+  rejected: (\d+)  failed: (\d+)`).FindAllStringSubmatch(out, -1)
	if len(pushes) != 5 {
		t.Errorf("%d push summaries, want 5:\n%s", len(pushes), out)
	}
	for _, p := range pushes {
		if p[2] == "0" {
			t.Errorf("a push sent no row: %s", p[0])
		}
	}
	// What was not sent was rejected or refused on purpose: the samples
	// show both; nothing is left in doubt.
	if strings.Contains(out, "unknown outcome") || strings.Contains(out, "NEEDS A HUMAN") {
		t.Errorf("a row's outcome is in doubt:\n%s", out)
	}
	if strings.Contains(out, "no new rows") {
		t.Errorf("a pull read nothing:\n%s", out)
	}
	// The state and the lake are where the project file says, and the
	// .gitignore keeps both out of the repository.
	for _, p := range []string{".leadpipe/state.db", "lake/leads"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	ignore := string(mustRead(t, filepath.Join(dir, ".gitignore")))
	for _, p := range []string{".leadpipe/", "lake/"} {
		if !slices.Contains(strings.Split(ignore, "\n"), p) {
			t.Errorf(".gitignore does not hold %s:\n%s", p, ignore)
		}
	}
	// .env.example lists exactly the variables the pipelines look up.
	looked := map[string]bool{}
	for _, p := range pipes {
		config.Parse(p, mustRead(t, p), func(name string) (string, bool) {
			looked[name] = true
			return os.LookupEnv(name)
		})
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Z_0-9]+)=$`).FindAllStringSubmatch(string(mustRead(t, filepath.Join(dir, ".env.example"))), -1) {
		listed[m[1]] = true
	}
	for k := range looked {
		if !listed[k] {
			t.Errorf(".env.example does not list %s", k)
		}
	}
	for k := range listed {
		if !looked[k] {
			t.Errorf(".env.example lists %s, which no pipeline reads", k)
		}
	}
	// The project file follows the state rule: the state is the project's.
	loc, err := config.StateFor("", nil, dir, config.OSEnv)
	if err != nil || loc.Path != filepath.Join(dir, ".leadpipe", "state.db") {
		t.Errorf("the project's state: %+v %v", loc, err)
	}
	// init never writes over a file.
	if code, _, errs := cli(t, "init", dir, "--vendor", "lumi"); code != exitInvalid || !strings.Contains(errs, "already holds") {
		t.Errorf("init over a project: exit %d\n%s", code, errs)
	}
}
