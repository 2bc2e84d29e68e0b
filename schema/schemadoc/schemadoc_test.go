package schemadoc_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/schema/schemadoc"
)

var update = flag.Bool("update", false, "rewrite docs/schema.md")

// docs/schema.md is what `leadpipe schema --format md` prints; it fails
// here when the schema descriptor, its docs or fills.txt changed since.
func TestDocsSchemaIsCurrent(t *testing.T) {
	tables, err := schemadoc.Tables()
	if err != nil {
		t.Fatal(err)
	}
	got := schemadoc.Markdown(tables)
	path := filepath.Join("..", "..", "docs", "schema.md")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != got {
		t.Errorf("docs/schema.md is stale (%v): regenerate with go test ./schema/schemadoc -update", err)
	}
}

// Every column is in the reference with its type, nullability, meaning,
// vendors and privacy class, and the reference says what dt and
// extracted_at mean.
func TestTheReferenceIsComplete(t *testing.T) {
	tables, err := schemadoc.Tables()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tt := range tables {
		canon, _ := schema.TableByName(tt.Name)
		if len(tt.Columns) != len(canon.Columns) {
			t.Errorf("%s: %d columns, want %d", tt.Name, len(tt.Columns), len(canon.Columns))
		}
		for _, c := range tt.Columns {
			n++
			if c.Type == "" || c.Meaning == "" || c.Privacy == "" || c.Privacy == "unclassified" || c.PrivacyNote == "" {
				t.Errorf("%s.%s is incomplete: %+v", tt.Name, c.Name, c)
			}
			if len(c.Vendors) == 0 && c.Name != "funded_at_source" {
				t.Logf("%s.%s: no vendor seen filling it", tt.Name, c.Name)
			}
		}
	}
	if n == 0 {
		t.Fatal("no columns")
	}
	md := schemadoc.Markdown(tables)
	for _, want := range []string{
		"**dt** is not a column of the files", "the UTC date of extracted_at",
		"**extracted_at**: when leadpipe extracted the row: the start time of the run that read it",
		"| `funded_at_source` | string | yes | none (kept) | bizcap, iute, lumi |",
		"| `email` | string | yes | email (hashed by default) |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the reference lacks %q", want)
		}
	}
	one, err := schemadoc.Tables("loans")
	if err != nil || len(one) != 1 || one[0].Name != "loans" {
		t.Fatalf("one table: %v %v", one, err)
	}
	if _, err := schemadoc.Tables("lead"); err == nil || !strings.Contains(err.Error(), "no table \"lead\" (tables: leads, events") {
		t.Errorf("unknown table: %v", err)
	}
	b, err := schemadoc.JSON(one)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Tables []schemadoc.Table `json:"tables"`
	}
	if err := json.Unmarshal(b, &back); err != nil || len(back.Tables) != 1 || back.Tables[0].Columns[0].Name != "loan_uid" {
		t.Errorf("JSON: %v %s", err, b)
	}
}
