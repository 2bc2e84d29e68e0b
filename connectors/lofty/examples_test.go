package lofty_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/schema"
)

const examplesDir = "../../examples"

// parsePipeline parses a pipeline file with the sandbox's environment and
// decodes its lofty config block, failing on any problem.
func parsePipeline(t *testing.T, e *env, path string) (*config.File, any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vars := e.srv.Env(e.http.URL)
	vars["LEADPIPE_LAKE"] = t.TempDir()
	f := config.Parse(path, data, func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	})
	spec, _ := connectors.Lookup("lofty")
	cfg := spec.NewConfig()
	p := f.Pipeline
	switch {
	case p.Source.Connector == "lofty":
		f.V.Decode("source.config", &p.Source.Config, cfg)
	case p.Push != nil && p.Push.Connector == "lofty":
		f.V.Decode("push.config", &p.Push.Config, cfg)
	default:
		t.Fatalf("%s uses no lofty connector", path)
	}
	if err := f.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f, cfg
}

// TestSampleAndPullExampleRun decodes the embedded sample and the shipped pull
// example and runs each against the sandbox.
func TestSampleAndPullExampleRun(t *testing.T) {
	for _, path := range []string{"sample.yaml", filepath.Join(examplesDir, "lofty.yaml")} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			e := start(t, 25)
			f, cfg := parsePipeline(t, e, path)
			if !slices.Equal(f.Pipeline.Source.Streams, []string{"leads", "events"}) {
				t.Errorf("streams %v", f.Pipeline.Source.Streams)
			}
			res := e.read(t, cfg, nil, f.Pipeline.Source.Streams...)
			if len(res.Batch.Leads) != 25 || len(res.Batch.Events) == 0 {
				t.Errorf("read %d leads, %d events", len(res.Batch.Leads), len(res.Batch.Events))
			}
		})
	}
	spec, _ := connectors.Lookup("lofty")
	embedded, _ := os.ReadFile("sample.yaml")
	if string(spec.Sample) != string(embedded) {
		t.Error("Spec.Sample is not sample.yaml")
	}
	readme, _ := os.ReadFile("README.md")
	if !strings.Contains(string(readme), "```yaml\n"+string(embedded)+"```") {
		t.Error("README.md does not quote sample.yaml as it is")
	}
}

// TestBackfillExample maps the example CSV the way the push engine does,
// checks that exactly the rows meant to be rejected are, then sends the
// others to the sandbox: one lead each, except the row that repeats an
// e-mail, which finds the first row's lead.
func TestBackfillExample(t *testing.T) {
	e := start(t, 5)
	path := filepath.Join(examplesDir, "backfill-lofty.yaml")
	f, cfg := parsePipeline(t, e, path)
	p := f.Pipeline
	spec, _ := connectors.Lookup("lofty")
	conn, err := spec.New(cfg, connectors.Env{Unknowns: &schema.Unknowns{}})
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := conn.(connectors.Pusher).Target(t.Context(), p.Push.Target)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]connectors.FieldType{}
	for _, fd := range tgt.Fields() {
		types[fd.Name] = fd.Type
	}

	// fields: vendor field -> column name or {value: const}.
	type mapping struct{ column, value string }
	fields := map[string]mapping{}
	fn := &p.Push.Fields
	for i := 0; i+1 < len(fn.Content); i += 2 {
		k, v := fn.Content[i].Value, fn.Content[i+1]
		if _, ok := types[k]; !ok {
			t.Errorf("fields.%s is not a lofty lead field", k)
		}
		switch v.Kind {
		case yaml.ScalarNode:
			fields[k] = mapping{column: v.Value}
		case yaml.MappingNode:
			var m map[string]string
			if err := v.Decode(&m); err != nil {
				t.Fatal(err)
			}
			fields[k] = mapping{value: m["value"]}
		}
	}

	file, err := os.Open(filepath.Join(filepath.Dir(path), p.Source.File.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	rows, err := csv.NewReader(file).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for k, m := range fields {
		if _, ok := col[m.column]; m.column != "" && !ok {
			t.Errorf("fields.%s reads column %q, which the CSV lacks", k, m.column)
		}
	}
	if _, ok := col[p.Push.Key[0]]; !ok {
		t.Fatalf("key column %s missing", p.Push.Key[0])
	}

	var rejected []string
	sent := map[string]connectors.Receipt{}
	for n, row := range rows[1:] {
		key := row[col[p.Push.Key[0]]]
		r := connectors.Record{Row: n + 1, Fields: map[string]any{}}
		var problems []string
		for k, m := range fields {
			text := m.value
			if m.column != "" {
				text = strings.TrimSpace(row[col[m.column]])
			}
			if text == "" {
				continue
			}
			v, err := parseAs(types[k], text)
			if err != nil {
				problems = append(problems, k+": "+err.Error())
				continue
			}
			r.Fields[k] = v
		}
		for _, fe := range tgt.Validate(t.Context(), r) {
			problems = append(problems, fe.Error())
		}
		if len(problems) > 0 {
			rejected = append(rejected, key)
			t.Logf("reject %s: %s", key, strings.Join(problems, "; "))
			continue
		}
		rc, err := tgt.Send(context.Background(), r, key)
		if err != nil {
			t.Fatalf("send %s: %v", key, err)
		}
		sent[key] = rc
	}
	wantRejected := []string{"PR-1007", "PR-1008", "PR-1009", "PR-1010", "PR-1011", "PR-1012"}
	if !slices.Equal(rejected, wantRejected) {
		t.Errorf("rejected %v, want %v", rejected, wantRejected)
	}
	if e.srv.CreateCount() != 5 {
		t.Errorf("%d leads created, want 5", e.srv.CreateCount())
	}
	if dup, first := sent["PR-1006"], sent["PR-1001"]; dup.VendorID != first.VendorID || dup.Extra["existing"] != "true" {
		t.Errorf("PR-1006 %+v should find PR-1001's lead %s", dup, first.VendorID)
	}
}

// parseAs converts CSV text into the typed value the push engine hands to a
// target (the engine's own parser does this in production).
func parseAs(ft connectors.FieldType, text string) (any, error) {
	switch ft {
	case connectors.TypeList:
		return strings.FieldsFunc(text, func(r rune) bool { return r == '|' }), nil
	case connectors.TypeInteger:
		return strconv.ParseInt(text, 10, 64)
	case connectors.TypeBool:
		return strconv.ParseBool(text)
	case connectors.TypeDate:
		t, err := time.Parse("2006-01-02", text)
		if err != nil {
			return nil, err
		}
		return connectors.Date{Time: t}, nil
	case connectors.TypeNumber:
		return connectors.Number(text), nil
	}
	return text, nil
}
