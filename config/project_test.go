package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStateRule(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	os.MkdirAll(deep, 0o755)
	noEnv := env(nil)

	loc, err := StateFor("", nil, deep, noEnv)
	if err != nil || loc.Path != filepath.Join(deep, ".leadpipe", "state.db") || !strings.Contains(loc.Why, "no leadpipe.yaml") {
		t.Errorf("without a project file: %+v, %v", loc, err)
	}
	os.WriteFile(filepath.Join(root, ProjectFileName), []byte("lake: s3://bucket/lake\n"), 0o644)
	loc, err = StateFor("", nil, deep, noEnv)
	if err != nil || loc.Path != filepath.Join(root, ".leadpipe", "state.db") {
		t.Errorf("with a project file above: %+v, %v", loc, err)
	}
	p, _ := FindProject(deep, noEnv)
	if p.LakePath() != "s3://bucket/lake" || p.Dir != root {
		t.Errorf("project: %+v", p)
	}
	os.WriteFile(filepath.Join(root, ProjectFileName), []byte("state: ${STATE_DIR}/s.db\nlake: lake\n"), 0o644)
	loc, _ = StateFor("", nil, deep, env(map[string]string{"STATE_DIR": "var"}))
	if loc.Path != filepath.Join(root, "var", "s.db") {
		t.Errorf("interpolated project state: %+v", loc)
	}
	// The pipeline's own state: is relative to the pipeline file; the
	// environment and the flag come before the project.
	f := Parse(filepath.Join(deep, "p.yaml"), []byte("name: p\nstate: here.db\n"), noEnv)
	if loc, _ := StateFor("", f, "/elsewhere", noEnv); loc.Path != filepath.Join(deep, "here.db") {
		t.Errorf("pipeline state: %+v", loc)
	}
	if loc, _ := StateFor("", nil, deep, env(map[string]string{"LEADPIPE_STATE": "/x.db"})); loc.Path != "/x.db" || loc.Why != "$LEADPIPE_STATE" {
		t.Errorf("$LEADPIPE_STATE: %+v", loc)
	}
	if loc, _ := StateFor("/flag.db", f, deep, noEnv); loc.Path != "/flag.db" {
		t.Errorf("--state: %+v", loc)
	}
	os.WriteFile(filepath.Join(root, ProjectFileName), []byte("stat: x\n"), 0o644)
	if _, err := StateFor("", nil, deep, noEnv); err == nil || !strings.Contains(err.Error(), ProjectFileName+":1: stat:") {
		t.Errorf("an unknown key in the project file: %v", err)
	}
}
