package laketest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// DuckDB runs SQL with DuckDB (tools/duckdb, through its Node API) and
// returns the rows of the last statement. DuckDB shares no code with
// leadpipe's writers, so it checks the files the way an analyst reads them.
//
// Without node or the installed package the test is skipped with a loud
// message, except under CI (LEADPIPE_CI=1), where it fails: `.ci/run`
// installs them.
func DuckDB(t testing.TB, sql ...string) []map[string]any {
	t.Helper()
	dir := toolsDir(t)
	node, err := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api"))
	if err != nil || modErr != nil {
		msg := "DuckDB CHECK SKIPPED: needs node and `npm install --prefix tools/duckdb` (.ci/run does both)"
		if os.Getenv("LEADPIPE_CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command(node, append([]string{filepath.Join(dir, "query.mjs")}, sql...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("duckdb: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("duckdb: %v", err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("duckdb output: %v: %s", err, out)
	}
	return rows
}

// toolsDir finds tools/duckdb from the test's working directory.
func toolsDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "tools", "duckdb")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("laketest: no go.mod above the working directory")
		}
		dir = parent
	}
}
