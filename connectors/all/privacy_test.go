package all_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/connectors"
	_ "github.com/leadpipe/leadpipe/connectors/all"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/transforms/privacy"
)

var update = flag.Bool("update", false, "rewrite testdata/privacy-classes.txt")

// TestEveryColumnAndAttributeKeyHasAPrivacyClass lists the privacy class
// of every canonical column, of every attribute key each connector
// declares, and of every push field, and compares the list with
// testdata/privacy-classes.txt, so a change of class is a reviewed diff. A
// column without a class fails, and so does a connector whose declarations
// name no canonical table; the conformance suite fails on an attribute key
// a connector writes without declaring it. Run with -update after a
// deliberate change.
func TestEveryColumnAndAttributeKeyHasAPrivacyClass(t *testing.T) {
	var lines []string
	for _, tab := range schema.Tables {
		for _, c := range tab.Columns {
			if c.Privacy == schema.Unclassified {
				t.Errorf("canonical column %s.%s has no privacy class: give its field a pii tag", tab.Name, c.Name)
			}
			lines = append(lines, fmt.Sprintf("column %s.%s: %s", tab.Name, c.Name, c.Privacy.Name()))
		}
	}
	for _, spec := range connectors.All() {
		if len(spec.Attributes) == 0 {
			t.Errorf("connector %s declares no attribute keys", spec.Name)
		}
		for tab, decl := range spec.Attributes {
			for _, path := range decl.Paths() {
				c := decl[path]
				name := c.Name()
				if c == schema.Unclassified {
					name = "judged by name"
				}
				lines = append(lines, fmt.Sprintf("attribute %s %s.%s: %s", spec.Name, tab.Name, path, name))
			}
		}
		lines = append(lines, pushFields(t, spec)...)
	}
	sort.Strings(lines)
	got := strings.Join(lines, "\n") + "\n"
	golden := filepath.Join("testdata", "privacy-classes.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./connectors/all -run PrivacyClass -update)", err)
	}
	if got != string(want) {
		wl := map[string]bool{}
		for _, l := range strings.Split(string(want), "\n") {
			wl[l] = true
		}
		gl := map[string]bool{}
		for _, l := range lines {
			gl[l] = true
			if !wl[l] {
				t.Errorf("new or changed: %s", l)
			}
		}
		for l := range wl {
			if l != "" && !gl[l] {
				t.Errorf("gone or changed: %s", l)
			}
		}
		t.Log("after a deliberate change: go test ./connectors/all -run PrivacyClass -update")
	}
}

// pushFields lists the class of every push field of the connector's
// targets: declared, or judged by the field's name.
func pushFields(t *testing.T, spec *connectors.Spec) []string {
	if len(spec.Targets) == 0 {
		return nil
	}
	cfg := spec.NewConfig()
	if d, ok := cfg.(interface{ SetDefaults() }); ok {
		d.SetDefaults()
	}
	conn, err := spec.New(cfg, connectors.Env{Pipeline: "test"})
	if err != nil {
		t.Fatalf("%s: %v", spec.Name, err)
	}
	defer connectors.CloseQuietly(conn)
	p, ok := conn.(connectors.Pusher)
	if !ok {
		return nil
	}
	var out []string
	for _, ts := range spec.Targets {
		tg, err := p.Target(t.Context(), ts.Name)
		if err != nil {
			// A target that needs settings a bare config lacks
			// (iute's agreements directory) sends no personal fields
			// worth listing here; its own tests cover it.
			t.Logf("%s target %s: %v", spec.Name, ts.Name, err)
			continue
		}
		fields := spec.TargetFields(ts.Name, tg.Fields())
		known := map[string]bool{}
		for _, f := range fields {
			known[f.Name] = true
		}
		for name := range spec.PushPrivacy[ts.Name] {
			if !known[name] {
				t.Errorf("%s declares the privacy of %s.%s, which is not a field of the target", spec.Name, ts.Name, name)
			}
		}
		for _, f := range fields {
			how := f.Class().Name()
			if f.Class() == schema.Unclassified {
				how = privacy.Classify(f.Name).Name() + " (by name)"
			}
			out = append(out, fmt.Sprintf("push %s %s.%s: %s", spec.Name, ts.Name, f.Name, how))
		}
	}
	return out
}
