package pipelineschema_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/config/pipelineschema"
	"github.com/leadpipe/leadpipe/config/pipelineschema/internal/docsrc"
	"github.com/leadpipe/leadpipe/connectors"
	_ "github.com/leadpipe/leadpipe/connectors/all"
)

const root = "../.."

// TestDocsAreFresh: docs_gen.go holds the doc comments the config types
// have now (go generate ./config/pipelineschema rewrites it).
func TestDocsAreFresh(t *testing.T) {
	docs, err := docsrc.Extract(root, pipelineschema.StructTypes(), pipelineschema.DocKey)
	if err != nil {
		t.Fatal(err)
	}
	want, err := docsrc.Render(docs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("docs_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("docs_gen.go is stale: a config field's comment changed; run go generate ./config/pipelineschema")
	}
	if len(docs) < 100 {
		t.Errorf("only %d field docs found", len(docs))
	}
}

// TestSchemaIsFresh: the committed docs/pipeline.schema.json is what
// `leadpipe schema --pipeline-json` prints.
func TestSchemaIsFresh(t *testing.T) {
	got, err := pipelineschema.Generate()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(root, "docs", "pipeline.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("docs/pipeline.schema.json is stale: run go generate ./config/pipelineschema")
	}
	again, _ := pipelineschema.Generate()
	if !bytes.Equal(got, again) {
		t.Error("two generations differ")
	}
}

func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := pipelineschema.Generate()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(pipelineschema.ID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(pipelineschema.ID)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// instance reads YAML as the JSON value an editor validates.
func instance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEveryExampleValidates: every example pipeline and every connector's
// sample validates against the schema, and carries the modeline that points
// an editor at it.
func TestEveryExampleValidates(t *testing.T) {
	s := compile(t)
	files, _ := filepath.Glob(filepath.Join(root, "examples", "*.yaml"))
	if len(files) < 10 {
		t.Fatalf("found %d examples", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(instance(t, data)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if !strings.HasPrefix(string(data), "# yaml-language-server: $schema=../docs/pipeline.schema.json\n") {
			t.Errorf("%s: no yaml-language-server modeline on its first line", f)
		}
	}
	for _, spec := range connectors.All() {
		if err := s.Validate(instance(t, spec.Sample)); err != nil {
			t.Errorf("%s's sample.yaml: %v", spec.Name, err)
		}
	}
}

// TestTheSchemaRejectsWhatValidateRejects: the schema is not a pass-all.
func TestTheSchemaRejectsWhatValidateRejects(t *testing.T) {
	s := compile(t)
	base := `name: p
source:
  connector: lumi
  streams: [leads]
  config:
    username: u
    password: ${LUMI_PASSWORD}
    page_size: ${PAGE_SIZE:-50}
    lookback: 10m
sink:
  path: lake
`
	lofty := strings.NewReplacer("connector: lumi", "connector: lofty", "username: u", "notes: team", "password:", "access_token:",
		"page_size: ${PAGE_SIZE:-50}", "phone_region: US", "[leads]", "[leads, events]").Replace(base)
	for _, good := range []string{base, lofty} {
		if err := s.Validate(instance(t, []byte(good))); err != nil {
			t.Fatalf("a good pipeline: %v\n%s", err, good)
		}
	}
	for name, bad := range map[string]string{
		"an unknown top-level key":   base + "sheduled: x\n",
		"an unknown connector key":   strings.Replace(base, "username: u", "user_name: u", 1),
		"a stream of another vendor": strings.Replace(base, "[leads]", "[deals]", 1),
		"an unknown connector":       strings.Replace(base, "connector: lumi", "connector: lumix", 1),
		"a number as text":           strings.Replace(base, "${PAGE_SIZE:-50}", "fifty", 1),
		"a bad duration":             strings.Replace(base, "10m", "ten minutes", 1),
		"a sink format":              base + "  format: orc\n",
		"a lofty enum":               strings.Replace(lofty, "notes: team", "notes: everyone", 1),
		"two keys in one transform":  base + "transforms:\n  - select: {leads: [lead_uid]}\n    rename: {leads: {a: b}}\n",
	} {
		if err := s.Validate(instance(t, []byte(bad))); err == nil {
			t.Errorf("%s passes the schema", name)
		}
	}
}

// TestEnumTagsMatchValidation: every value an enum tag of a connector's
// config lists passes the connector's own validation, and a value it does
// not list fails it, so the schema and `leadpipe validate` agree.
func TestEnumTagsMatchValidation(t *testing.T) {
	checked := 0
	for _, spec := range connectors.All() {
		typ := reflect.TypeOf(spec.NewConfig()).Elem()
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag, ok := f.Tag.Lookup("enum")
			if !ok {
				continue
			}
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			values := strings.Split(tag, ",")
			if tag == "$status" {
				values = []string{"funded", "lost"}
			}
			at := key
			yamlOf := func(v string) string { return fmt.Sprintf("%s: %q\n", key, v) }
			switch f.Type.Kind() {
			case reflect.Slice:
				at = key + "[0]"
				yamlOf = func(v string) string { return fmt.Sprintf("%s: [%q]\n", key, v) }
			case reflect.Map:
				at = key + ".x"
				yamlOf = func(v string) string { return fmt.Sprintf("%s: {x: %q}\n", key, v) }
			}
			problemAt := func(v string) bool {
				val, probs := config.NewValidator("test.yaml")
				var n yaml.Node
				if err := yaml.Unmarshal([]byte(yamlOf(v)), &n); err != nil {
					t.Fatal(err)
				}
				val.Decode("", n.Content[0], spec.NewConfig())
				for _, p := range *probs {
					if p.Path == at && !p.Warning {
						return true
					}
				}
				return false
			}
			for _, v := range values {
				if problemAt(v) {
					t.Errorf("%s %s: %q is in the enum tag, but validation rejects it", spec.Name, key, v)
				}
			}
			if !problemAt("not-a-value") {
				t.Errorf("%s %s: validation accepts a value the enum tag does not list", spec.Name, key)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Errorf("checked %d enum fields", checked)
	}
}
