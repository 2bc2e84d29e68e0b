package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/schemaguard"
	"github.com/leadpipe/leadpipe/sinks/storage/local"
)

// validate refuses a pipeline whose select or rename would mix two layouts
// in a table its lake already has, naming the file, the line, the table,
// the change and the options.
func TestValidateRefusesALayoutChange(t *testing.T) {
	sandboxEnv(t)
	dir := t.TempDir()
	lake := filepath.Join(dir, "lake")
	sto, err := local.Open(lake)
	if err != nil {
		t.Fatal(err)
	}
	if err := schemaguard.Write(context.Background(), sto, schemaguard.NewRecord(schema.Leads, "parquet", "r1")); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "lumi.yaml")
	body := `name: lumi
source:
  connector: lumi
  streams: [leads]
  config: {base_url: "${LUMI_BASE_URL}", username: "${LUMI_USERNAME}", password: "${LUMI_PASSWORD}"}
transforms:
  - rename:
      leads: {amount_requested: requested}
sink:
  path: ./lake
`
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := cli(t, "--state", filepath.Join(dir, "state.db"), "validate", p)
	if code != exitInvalid {
		t.Errorf("exit %d, want %d: %s", code, exitInvalid, errs)
	}
	for _, want := range []string{p + ":9: sink: table leads (file://", "column amount_requested would be renamed to requested", "Options: (1)"} {
		if !strings.Contains(errs, want) {
			t.Errorf("missing %q in:\n%s", want, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "state.db")); !os.IsNotExist(err) {
		t.Errorf("validate created the state: %v", err)
	}
	// Without the rename the file is valid.
	os.WriteFile(p, []byte(strings.Replace(body, "transforms:\n  - rename:\n      leads: {amount_requested: requested}\n", "", 1)), 0o644)
	if code, out, errs := cli(t, "--state", filepath.Join(dir, "state.db"), "validate", p); code != 0 {
		t.Errorf("the original pipeline: exit %d\n%s%s", code, out, errs)
	}
}

func TestViewsOfAnEmptyLakeFail(t *testing.T) {
	code, _, errs := cli(t, "views", "--lake", t.TempDir())
	if code != exitFailed || !strings.Contains(errs, "holds no table") {
		t.Errorf("exit %d: %s", code, errs)
	}
}
