// Package pipelines is the engine: it plans a run from a pipeline file,
// drives source → transforms → sink in bounded batches, keeps the run
// journal and commits cursors after the data is durable.
package pipelines

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/csv"
	"github.com/leadpipe/leadpipe/sinks/parquet"
	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/transforms"
	"github.com/leadpipe/leadpipe/transforms/columns"
	"github.com/leadpipe/leadpipe/transforms/privacy"
	"go.yaml.in/yaml/v3"
)

// Plan is a pipeline file resolved into the components that run it.
type Plan struct {
	File     *config.File
	Pipeline *config.Pipeline
	// Warnings are problems that do not stop the pipeline.
	Warnings config.Problems

	// Pull: a connector source and a file sink.
	Source       *connectors.Spec
	SourceConfig any
	Streams      []string
	// DecodeFile is a file of vendor records read instead of the API.
	DecodeFile string
	// Sink is the file format of a lake (parquet, csv); nil for an
	// Iceberg sink, which Iceberg describes.
	Sink         sinks.Format
	Iceberg      *IcebergPlan
	SinkLocation string
	// Projection is the columns each table's files get (select, rename);
	// nil when every table is whole.
	Projection *columns.Projection
	Transforms transforms.Chain
	// Privacy is the PII policy: a step of Transforms for a pull, the
	// scrubber of receipts, rejects and ledger for a push.
	Privacy *privacy.Policy

	// Push: a file source and a vendor target.
	Push *PushPlan

	// Reconcile: the reconciliation report (no source).
	Reconcile *ReconcilePlan
}

// Kind is "pull", "push" or "reconcile".
func (p *Plan) Kind() string {
	if p.Reconcile != nil {
		return "reconcile"
	}
	if p.Push != nil {
		return "push"
	}
	return "pull"
}

// SinkTables are the tables a pull pipeline writes, as its files have
// them (projected by select and rename), in canonical order.
func (p *Plan) SinkTables() []*schema.Table {
	if p.Source == nil {
		return nil
	}
	want := map[string]bool{}
	for _, s := range p.Streams {
		if st, ok := p.Source.Stream(s); ok {
			for _, t := range st.Tables {
				want[t] = true
			}
		}
	}
	var out []*schema.Table
	for _, t := range schema.Tables {
		if want[t.Name] {
			out = append(out, p.Projection.Table(t))
		}
	}
	return out
}

// Name is the pipeline's name.
func (p *Plan) Name() string { return p.Pipeline.Name }

// StorageOptions converts YAML storage settings.
func StorageOptions(o config.StorageOptions) storage.Options {
	return storage.Options{Region: o.Region, Endpoint: o.Endpoint, UsePathStyle: o.UsePathStyle, Profile: o.Profile}
}

// Load reads a pipeline file and resolves every component. All problems in
// the file are returned together as config.Problems.
func Load(ctx context.Context, path string, env config.LookupEnv) (*Plan, error) {
	data, err := readPipelineFile(path)
	if err != nil {
		return nil, err
	}
	if env == nil {
		env = config.OSEnv
	}
	f := config.Parse(path, data, env)
	return Resolve(ctx, f)
}

// Resolve turns a parsed file into a plan, decoding the component configs
// the config package does not know (connectors, transforms). A push
// target may read what it needs to describe its fields (iute: the loan refs
// the config imports), under ctx.
func Resolve(ctx context.Context, f *config.File) (*Plan, error) {
	p := f.Pipeline
	plan := &Plan{File: f, Pipeline: p}
	v := f.V
	if p.Source.Connector != "" {
		plan.Source, plan.SourceConfig = resolveConnector(v, "source", p.Source.Connector, &p.Source.Config, p.Source.File != nil)
		if plan.Source != nil {
			plan.Streams = resolveStreams(v, plan.Source, p.Source.Streams)
		}
		if plan.Source != nil && p.Source.File != nil && p.Push == nil {
			plan.DecodeFile = f.Resolve(p.Source.File.Path)
			if len(plan.Source.Decodes) == 0 {
				v.Errorf("source.file", "connector %s cannot read its records from a file", plan.Source.Name)
			}
			for i, st := range plan.Streams {
				if !slices.Contains(plan.Source.Decodes, st) {
					v.Errorf(fmt.Sprintf("source.streams[%d]", i), "connector %s cannot read %s from a file (it can read %s)",
						plan.Source.Name, st, strings.Join(plan.Source.Decodes, ", "))
				}
			}
		}
	}
	if p.Sink != nil {
		plan.SinkLocation = f.Resolve(p.Sink.Path)
		switch p.Sink.Format {
		case "parquet":
			pf, err := parquet.New(parquet.Options{
				Compression:      p.Sink.Parquet.Compression,
				CompressionLevel: p.Sink.Parquet.CompressionLevel,
				RowGroupRows:     p.Sink.Parquet.RowGroupRows,
			})
			if err != nil {
				v.Errorf("sink.parquet", "%v", err)
			} else {
				plan.Sink = pf
			}
		case "csv":
			delim := ','
			if d := []rune(p.Sink.CSV.Delimiter); len(d) == 1 {
				delim = d[0]
			} else if len(d) > 1 {
				v.Errorf("sink.csv.delimiter", "must be one character, got %q", p.Sink.CSV.Delimiter)
			}
			plan.Sink = csv.New(csv.Options{Delimiter: delim})
		case "iceberg":
			plan.Iceberg = resolveIceberg(f, p.Sink, plan.SinkLocation)
		}
	}
	resolveTransforms(f, plan)
	checkSchedule(v, p)
	if p.Push != nil {
		plan.Push = resolvePush(ctx, f, p)
	}
	if p.Reconcile.Kind != 0 {
		plan.Reconcile = resolveReconcile(f, p)
	}
	probs := f.Problems()
	plan.Warnings = probs.Warnings()
	if err := f.Err(); err != nil {
		return plan, err
	}
	return plan, nil
}

func resolveConnector(v *config.Validator, at, name string, node *yaml.Node, defaultsOnly bool) (*connectors.Spec, any) {
	spec, ok := connectors.Lookup(name)
	if !ok {
		v.Errorf(at+".connector", "unknown connector %q (available: %s)", name, strings.Join(connectors.Names(), ", "))
		return nil, nil
	}
	cfg := spec.NewConfig()
	if defaultsOnly {
		// Reading a file of vendor records needs no credentials: the
		// connector runs with its defaults.
		if d, ok := cfg.(interface{ SetDefaults() }); ok {
			d.SetDefaults()
		}
		return spec, cfg
	}
	v.Decode(at+".config", node, cfg)
	return spec, cfg
}

func resolveStreams(v *config.Validator, spec *connectors.Spec, streams []string) []string {
	if len(streams) == 0 {
		out := make([]string, 0, len(spec.Streams))
		for _, s := range spec.Streams {
			out = append(out, s.Name)
		}
		return out
	}
	seen := map[string]bool{}
	for i, s := range streams {
		if _, ok := spec.Stream(s); !ok {
			var names []string
			for _, st := range spec.Streams {
				names = append(names, st.Name)
			}
			v.Errorf(fmt.Sprintf("source.streams[%d]", i), "connector %s has no stream %q (streams: %s)", spec.Name, s, strings.Join(names, ", "))
		}
		if seen[s] {
			v.Errorf(fmt.Sprintf("source.streams[%d]", i), "stream %q is listed twice", s)
		}
		seen[s] = true
	}
	return streams
}

func readPipelineFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pipeline %s: %w", path, err)
	}
	return data, nil
}
