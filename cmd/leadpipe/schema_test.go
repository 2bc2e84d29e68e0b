package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSchemaCommand(t *testing.T) {
	code, out, errs := cli(t, "schema")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "schema.md"))
	if err != nil || out != string(doc) {
		t.Errorf("leadpipe schema differs from docs/schema.md (%v)", err)
	}
	code, out, _ = cli(t, "schema", "loans", "--format", "json")
	var ref struct {
		Tables []struct {
			Name    string
			Columns []struct {
				Name     string
				Nullable bool
				Vendors  []string
				Privacy  string
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &ref); code != 0 || err != nil || len(ref.Tables) != 1 || ref.Tables[0].Name != "loans" {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	found := false
	for _, c := range ref.Tables[0].Columns {
		if c.Name == "funded_at_source" {
			found = c.Nullable && c.Privacy == "none" && strings.Contains(strings.Join(c.Vendors, ","), "iute")
		}
	}
	if !found {
		t.Errorf("loans.funded_at_source is not in the JSON reference as expected:\n%s", out)
	}
	if code, _, errs := cli(t, "schema", "nope"); code != exitInvalid || !strings.Contains(errs, `no table "nope"`) {
		t.Errorf("unknown table: exit %d %s", code, errs)
	}
	if code, _, errs := cli(t, "schema", "--format", "xml"); code != exitInvalid || !strings.Contains(errs, "--format must be md or json") {
		t.Errorf("unknown format: exit %d %s", code, errs)
	}
}
