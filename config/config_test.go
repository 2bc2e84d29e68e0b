package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func env(vars map[string]string) LookupEnv {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestInterpolation(t *testing.T) {
	e := env(map[string]string{"HOST": "example.com", "EMPTY": "", "N": "250"})
	for _, tc := range []struct{ in, want, err string }{
		{"https://${HOST}/v1", "https://example.com/v1", ""},
		{"${MISSING:-fallback}", "fallback", ""},
		{"${EMPTY:-fallback}", "fallback", ""},
		{"[${EMPTY}]", "[]", ""},
		{"cost $$5 and $HOST", "cost $5 and $HOST", ""},
		{"${MISSING}", "", "environment variable MISSING is not set"},
		{"${BAD-NAME}", "", "bad variable name"},
		{"${HOST", "", "unterminated"},
	} {
		got, err := expand(tc.in, e, nil)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("expand(%q): error %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestInterpolatedValuesKeepTheirType(t *testing.T) {
	f := Parse("p.yaml", []byte("name: p\nbatch_size: ${N}\nsource: {connector: x}\nsink: {path: \"${HOST}\"}\n"),
		env(map[string]string{"N": "250", "HOST": "a: b\nc: d"}))
	if f.Pipeline.BatchSize != 250 {
		t.Errorf("batch_size = %d, want 250 from the environment", f.Pipeline.BatchSize)
	}
	// A value from the environment is a value, never YAML structure.
	if f.Pipeline.Sink.Path != "a: b\nc: d" {
		t.Errorf("sink.path = %q", f.Pipeline.Sink.Path)
	}
}

func TestEveryProblemAtOnceWithFileAndLine(t *testing.T) {
	src := `name: Not Valid
batch_size: many
source:
  conector: lumi
  file:
    path: ""
    encoding: ebcdic
sink:
  path: ${LAKE}
  format: orc
  parquet:
    compresion: zstd
push:
  connector: lumi
`
	f := Parse("pipelines/bad.yaml", []byte(src), env(nil))
	got := f.Problems().Error()
	for _, want := range []string{
		`pipelines/bad.yaml:1: name: "Not Valid" must be lower-case`,
		`pipelines/bad.yaml:2: batch_size: cannot unmarshal text ` + "`many`" + ` into int`,
		`pipelines/bad.yaml:4: source.conector: unknown key "conector" (did you mean "connector"?)`,
		`pipelines/bad.yaml:6: source.file.path: is required`,
		`pipelines/bad.yaml:7: source.file.encoding: must be utf-8`,
		`pipelines/bad.yaml:9: sink.path: environment variable LAKE is not set`,
		`pipelines/bad.yaml:10: sink.format: must be parquet, csv or iceberg, got "orc"`,
		`pipelines/bad.yaml:12: sink.parquet.compresion: unknown key "compresion" (did you mean "compression"?)`,
		`push: a pipeline has exactly one destination`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if f.Err() == nil {
		t.Error("Err() is nil for an invalid file")
	}
}

func TestInvalidYAMLAndEmptyFile(t *testing.T) {
	f := Parse("p.yaml", []byte("name: [unclosed\n"), env(nil))
	if err := f.Err(); err == nil || !strings.Contains(err.Error(), "p.yaml:") || !strings.Contains(err.Error(), "invalid YAML") {
		t.Errorf("bad YAML: %v", err)
	}
	f = Parse("p.yaml", nil, env(nil))
	if err := f.Err(); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: %v", err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	var s struct {
		Password Secret `yaml:"password"`
	}
	if err := yaml.Unmarshal([]byte("password: hunter2\n"), &s); err != nil {
		t.Fatal(err)
	}
	if s.Password.Reveal() != "hunter2" {
		t.Fatal("Reveal lost the value")
	}
	j, _ := json.Marshal(s)
	y, _ := yaml.Marshal(s)
	for _, out := range []string{
		fmt.Sprint(s.Password), fmt.Sprintf("%v %+v %#v %s %q %x", s, s, s, s.Password, s.Password, s.Password),
		string(j), string(y), s.Password.String(),
	} {
		if strings.Contains(out, "hunter2") || strings.Contains(out, "68756e74657232") {
			t.Errorf("the secret printed: %s", out)
		}
	}
}

func TestValidatorFindsTheNearestLine(t *testing.T) {
	v, probs := NewValidator("f.yaml")
	v.Mark("source", 3)
	v.Mark("source.config", 5)
	v.At("source.config").Errorf("password", "is required")
	v.Errorf("source.streams[2]", "bad")
	if got := (*probs)[0].String(); got != "f.yaml:5: source.config.password: is required" {
		t.Errorf("got %q", got)
	}
	if got := (*probs)[1].String(); got != "f.yaml:3: source.streams[2]: bad" {
		t.Errorf("got %q", got)
	}
}
