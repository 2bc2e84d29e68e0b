// Package connectortest helps connector tests: decode a connector's config
// from YAML the way a pipeline would, read streams into memory, and (in
// conformance.go) run the checks every connector must pass.
package connectortest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/schema"
	"go.yaml.in/yaml/v3"
)

// Config decodes src (the body of a `config:` block) into the connector's
// typed config, failing the test on any problem.
func Config(t testing.TB, name, src string) any {
	t.Helper()
	cfg, probs := TryConfig(name, src)
	if len(probs.Errors()) > 0 {
		t.Fatalf("config for %s:\n%s", name, probs.Error())
	}
	return cfg
}

// TryConfig decodes src and returns the problems instead of failing.
func TryConfig(name, src string) (any, config.Problems) {
	spec, ok := connectors.Lookup(name)
	if !ok {
		return nil, config.Problems{{Msg: "no connector " + name}}
	}
	v, probs := config.NewValidator("test.yaml")
	cfg := spec.NewConfig()
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(src), &root); err != nil {
		return nil, config.Problems{{Msg: err.Error()}}
	}
	var n *yaml.Node
	if len(root.Content) == 1 {
		n = root.Content[0]
	}
	v.Decode("config", n, cfg)
	return cfg, *probs
}

// Result is everything one Read produced.
type Result struct {
	Batch    schema.Batch // every row, in emit order
	Batches  int
	Cursors  map[string]string
	Unknowns *schema.Unknowns
	HTTP     connectors.HTTPStats
	Err      error
}

// Read runs one Read of the connector with cfg and collects the output.
func Read(t testing.TB, name string, cfg any, req *connectors.ReadRequest) *Result {
	t.Helper()
	spec, ok := connectors.Lookup(name)
	if !ok {
		t.Fatalf("no connector %s", name)
	}
	res := &Result{Unknowns: &schema.Unknowns{}}
	conn, err := spec.New(cfg, connectors.Env{Pipeline: "test", Unknowns: res.Unknowns})
	if err != nil {
		t.Fatalf("new %s: %v", name, err)
	}
	defer connectors.CloseQuietly(conn)
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	if req.State == nil {
		req.State = map[string]string{}
	}
	var mu sync.Mutex
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res.Err = conn.Read(ctx, req, connectors.EmitFunc(func(_ context.Context, b *schema.Batch) error {
		mu.Lock()
		defer mu.Unlock()
		res.Batches++
		res.Batch.Leads = append(res.Batch.Leads, b.Leads...)
		res.Batch.Events = append(res.Batch.Events, b.Events...)
		res.Batch.Loans = append(res.Batch.Loans, b.Loans...)
		res.Batch.Installments = append(res.Batch.Installments, b.Installments...)
		res.Batch.Payments = append(res.Batch.Payments, b.Payments...)
		return nil
	}))
	res.Cursors = req.Cursors()
	if sr, ok := conn.(connectors.StatsReporter); ok {
		res.HTTP = sr.HTTPStats()
	}
	return res
}
