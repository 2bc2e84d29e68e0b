package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/laketest"
	"github.com/leadpipe/leadpipe/transforms/privacy"
)

// masked is what a masked or hashed value looks like in the lake.
var masked = regexp.MustCompile(`\*\*\*|^[0-9a-f]{32}$`)

// TestDemoLakeIsRightOrFlagged runs `leadpipe demo` with the default privacy
// policy and checks the whole lake:
//
//   - no canonical column of any table holds a masked or hashed value unless
//     the vendor's pipeline policy acts on that column (term_unit is not a
//     street address), and every attribute key that holds one is personal by
//     its declared class, or by its name when no connector declares it
//     (houseToSell is not);
//   - the lead and loan tables hold no value a run summary counted as
//     unknown: every summary says none, and every status is canonical;
//   - every non-null phone is valid E.164 (libphonenumber's IsValidNumber):
//     the demo's pull pipelines are run again, keeping phones, against the
//     same sandboxes, since the demo's own lake holds them hashed.
func TestDemoLakeIsRightOrFlagged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errs := cli(t, "demo", "--out", dir)
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}

	// Sandboxes like the demo's, for loading its pipelines and, at the end,
	// reading again with phones kept.
	run, err := sandbox.Start("127.0.0.1:0", sandbox.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	for _, sb := range run.Sandboxes {
		if w, ok := sb.(interface{ SetRateWindow(time.Duration) }); ok {
			w.SetRateWindow(50 * time.Millisecond)
		}
	}
	env := run.Env()
	lake := filepath.Join(t.TempDir(), "lake")
	env["LEADPIPE_LAKE"] = lake
	for k, v := range demoRates {
		env[k] = v
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	// The pull pipeline of each vendor, and its policy.
	policies := map[string]*privacy.Policy{}
	pullFiles := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(dir, "pipelines", "*.yaml"))
	for _, f := range files {
		plan, err := pipelines.Load(context.Background(), f, lookup)
		if err != nil || plan.Kind() != "pull" || plan.Source == nil {
			continue
		}
		policies[plan.Source.Name] = plan.Privacy
		pullFiles[plan.Source.Name] = f
	}
	if len(policies) != 5 {
		t.Fatalf("pull pipelines for %d vendors: %v", len(policies), policies)
	}

	// Masks only where the policy means them.
	for _, tab := range schema.Tables {
		rows := laketest.Read(t, dir, tab.Name)
		if len(rows) == 0 && tab != schema.Installments {
			t.Errorf("the demo wrote no %s", tab.Name)
		}
		spurious := map[string]int{}
		for _, r := range rows {
			p := policies[r["vendor"]]
			for col, v := range r {
				if col == "attributes" || v == "" || !masked.MatchString(v) {
					continue
				}
				if p == nil || p.ColumnAction(tab, col) == privacy.Keep {
					spurious[r["vendor"]+" "+tab.Name+"."+col]++
				}
			}
			if a := r["attributes"]; a != "" {
				spec, _ := connectors.Lookup(r["vendor"])
				checkAttributes(t, spec, tab, a, spurious)
			}
		}
		for where, n := range spurious {
			t.Errorf("%s holds %d masked or hashed values the policy does not mean", where, n)
		}
	}

	// Nothing unknown.
	if n := strings.Count(out, "unknown vendor values:"); n == 0 || n != strings.Count(out, "unknown vendor values: none") {
		t.Errorf("a demo run counted unknown vendor values:\n%s", out)
	}
	for _, tab := range []string{"leads", "loans"} {
		for _, r := range laketest.Read(t, dir, tab) {
			if !slices.Contains(schema.Statuses, r["status"]) {
				t.Errorf("%s %s: status %q is not canonical", tab, r[tab[:4]+"_uid"], r["status"])
			}
		}
	}

	// Phones, kept this time, from the same sandboxes.
	st, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for vendor, f := range pullFiles {
		b, _ := os.ReadFile(f)
		keep := strings.Replace(string(b), "phone: mask", "phone: keep", 1)
		if keep == string(b) {
			keep += "transforms:\n  - privacy:\n      columns: {phone: keep}\n"
		}
		p := filepath.Join(filepath.Dir(f), "keep-phones-"+vendor+".yaml")
		os.WriteFile(p, []byte(keep), 0o644)
		plan, err := pipelines.Load(context.Background(), p, lookup)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if _, err := pipelines.Run(context.Background(), plan, st, pipelines.Options{}); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	phones := 0
	for _, r := range laketest.Read(t, lake, "leads") {
		ph := r["phone"]
		if ph == "" {
			continue
		}
		phones++
		n, err := phonenumbers.Parse(ph, "")
		if err != nil || !phonenumbers.IsValidNumber(n) || phonenumbers.Format(n, phonenumbers.E164) != ph {
			t.Errorf("%s: phone %q is not a valid E.164 number", r["lead_uid"], ph)
		}
	}
	if phones < 500 {
		t.Errorf("only %d phones to check", phones)
	}
}

// checkAttributes counts, into spurious, the attribute keys of one row that
// hold a masked or hashed value while neither their declared class nor (for
// keys nobody declares) their name says they are personal.
func checkAttributes(t *testing.T, spec *connectors.Spec, tab *schema.Table, attrs string, spurious map[string]int) {
	var v any
	if err := json.Unmarshal([]byte(attrs), &v); err != nil {
		t.Errorf("attributes are not JSON: %s", attrs)
		return
	}
	var decl schema.AttrClasses
	if spec != nil {
		decl = spec.Attributes[tab]
	}
	var walk func(v any, path []string)
	walk = func(v any, path []string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(e, append(path[:len(path):len(path)], k))
			}
		case []any:
			for _, e := range x {
				walk(e, path)
			}
		case string:
			if !masked.MatchString(x) || len(path) == 0 {
				return
			}
			c, wild, ok := decl.Lookup(path...)
			if !ok || wild {
				c = privacy.Classify(path[len(path)-1])
				if !c.Personal() && len(path) > 1 {
					c = privacy.Classify(path[len(path)-2]) // a key inside a personal object
				}
			}
			if !c.Personal() {
				spurious[spec.Name+" "+tab.Name+".attributes."+strings.Join(path, ".")]++
			}
		}
	}
	walk(v, nil)
}
