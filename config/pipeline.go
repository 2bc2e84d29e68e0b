package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Pipeline is one pipeline file. A pipeline has exactly one source and
// exactly one destination: a file sink (`sink:`) or a vendor push (`push:`).
type Pipeline struct {
	// Name identifies the pipeline in the state store (cursors, ledger, run
	// history). Renaming a pipeline starts it from scratch.
	Name string `yaml:"name"`
	// Description is free text for people reading the file.
	Description string `yaml:"description"`
	// Schedule is a cron spec for `leadpipe schedule` (5 fields or @daily...).
	Schedule string `yaml:"schedule"`
	// Timezone of the schedule and of "yesterday" in reports (IANA name).
	Timezone string `yaml:"timezone"`
	// OnFailure is a webhook URL that receives a JSON summary of a failed run.
	OnFailure string `yaml:"on_failure"`

	// Source is where rows come from: a connector's streams (a pull) or a
	// file (a push).
	Source Source `yaml:"source"`
	// Transforms run in order between source and sink: filter, select,
	// rename, privacy, status_map (each entry sets exactly one).
	Transforms []Transform `yaml:"transforms"`
	// Sink writes the canonical tables as files (a pull's destination).
	Sink *Sink `yaml:"sink"`
	// Push sends each input row to a vendor exactly once (a push's
	// destination).
	Push *Push `yaml:"push"`
	// Reconcile makes the pipeline write the reconciliation report instead
	// of pulling or pushing (decoded by package reconcile; no source).
	Reconcile yaml.Node `yaml:"reconcile"`

	// BatchSize bounds memory: rows per batch between source and sink.
	BatchSize int `yaml:"batch_size"`
	// State is the SQLite state store (default: .leadpipe/state.db in the
	// working directory, or $LEADPIPE_STATE).
	State string `yaml:"state"`
}

// Source is where rows come from: a connector's streams, or a file.
type Source struct {
	// Connector is the vendor to pull from.
	Connector string `yaml:"connector"`
	// Streams are the connector's streams to read (default: all of them).
	Streams StringList `yaml:"streams"`
	// Config is the connector's own settings.
	Config yaml.Node `yaml:"config"`
	// File is the rows a push sends; or, with Connector, a file of the
	// vendor's own JSON records (an export, saved webhooks) to normalize
	// into the lake instead of calling the API.
	File *FileSource `yaml:"file"`
}

// FileSource reads rows from a CSV or JSON-lines file (local or S3).
type FileSource struct {
	Path      string `yaml:"path"`
	Format    string `yaml:"format" enum:"csv,jsonl"`                                                                        // csv | jsonl (default from the extension)
	Delimiter string `yaml:"delimiter"`                                                                                      // CSV only; default ","
	Encoding  string `yaml:"encoding" enum:"utf-8,utf8,latin1,iso-8859-1,windows-1252,cp1252,utf-16,utf-16le,utf-16be,auto"` // utf-8 (default, BOM handled) | latin1 | windows-1252 | utf-16 | auto
	// MaxLineBytes bounds one record of the input (default 4 MiB): a
	// longer one stops the run at once, before anything is sent.
	MaxLineBytes int            `yaml:"max_line_bytes"`
	Storage      StorageOptions `yaml:"storage"`
}

// StorageOptions configure a storage backend; they apply to s3:// locations.
type StorageOptions struct {
	Region       string `yaml:"region"`
	Endpoint     string `yaml:"endpoint"`
	UsePathStyle *bool  `yaml:"use_path_style"`
	Profile      string `yaml:"profile"`
}

// Sink writes the canonical tables as a lake of files.
type Sink struct {
	Path    string         `yaml:"path"`                              // local path, file:// or s3://bucket/prefix
	Format  string         `yaml:"format" enum:"parquet,csv,iceberg"` // parquet (default) | csv | iceberg
	Parquet ParquetOptions `yaml:"parquet"`
	CSV     CSVOptions     `yaml:"csv"`
	Iceberg IcebergOptions `yaml:"iceberg"`
	// MaxRowsPerFile rolls over to a new part file (0 = one file per
	// table and partition per run).
	MaxRowsPerFile int            `yaml:"max_rows_per_file"`
	Storage        StorageOptions `yaml:"storage"`
}

// ParquetOptions tune the Parquet writer.
type ParquetOptions struct {
	Compression      string `yaml:"compression" enum:"zstd,snappy,gzip,none"` // zstd (default) | snappy | gzip | none
	CompressionLevel int    `yaml:"compression_level"`
	RowGroupRows     int    `yaml:"row_group_rows"`
}

// IcebergOptions configure the Iceberg sink (format: iceberg). The data
// files are Parquet, tuned by `parquet:`.
type IcebergOptions struct {
	// Namespace holds the tables (default "leadpipe").
	Namespace string `yaml:"namespace"`
	// Catalog is the SQL catalog's SQLite file (default: iceberg.db beside
	// the state). Relative paths are relative to the pipeline file.
	Catalog string `yaml:"catalog"`
	// MaxOpenFiles bounds the history data files a run writes at once
	// (default 12; a run writes one per table and vendor).
	MaxOpenFiles int `yaml:"max_open_files"`
}

// CSVOptions tune the CSV writer.
type CSVOptions struct {
	Delimiter string `yaml:"delimiter"`
}

// Push sends every input row to a vendor, exactly once.
type Push struct {
	Connector string    `yaml:"connector"`
	Target    string    `yaml:"target"` // e.g. "leads"
	Config    yaml.Node `yaml:"config"`
	// Key names the input column(s) whose value identifies a row across
	// runs. Empty: a hash of the mapped row.
	Key StringList `yaml:"key"`
	// Fields maps each vendor field to an input column, a constant or an
	// expression.
	Fields yaml.Node `yaml:"fields"`
	// OnChange decides what happens to a row whose key was sent before but
	// whose content changed: skip (default) or update (when the target can).
	OnChange string `yaml:"on_change" enum:"skip,update"`
	// Receipts and Rejects are directories (local or s3://) for the per-run
	// files. Defaults: receipts/ and rejects/ next to the input file.
	// AttachmentsDir is where the files an input row names (a file field:
	// a bank statement, an ID copy) are read from: a directory relative to
	// this file, or s3://bucket/prefix. A cell can name only a file under
	// it; without it, file fields cannot be mapped.
	AttachmentsDir  string         `yaml:"attachments_dir"`
	Receipts        string         `yaml:"receipts"`
	Rejects         string         `yaml:"rejects"`
	ReceiptsParquet bool           `yaml:"receipts_parquet"`
	RateLimit       float64        `yaml:"rate_limit"`  // requests per second; 0 = the connector's default
	Concurrency     int            `yaml:"concurrency"` // in-flight requests; default 4
	Storage         StorageOptions `yaml:"storage"`
}

// Transform is one step between source and sink. Exactly one field is set.
// The transforms packages decode and check their own parts (see
// pipelines/transforms.go).
type Transform struct {
	Filter    yaml.Node                    `yaml:"filter"`                    // table → expression (transforms/filter)
	Select    map[string][]string          `yaml:"select"`                    // table → columns
	Rename    map[string]map[string]string `yaml:"rename"`                    // table → column → new name
	Privacy   yaml.Node                    `yaml:"privacy"`                   // transforms/privacy.Config
	StatusMap map[string]map[string]string `yaml:"status_map" enum:"$status"` // table → vendor status → status
	Dedupe    bool                         `yaml:"dedupe"`
}

// File is a parsed pipeline file together with its problems. Components
// (connectors, transforms) decode their own sub-configs through V, so that a
// single pass reports every problem in the file.
type File struct {
	Path     string
	Dir      string // directory relative paths in the file resolve against
	Pipeline *Pipeline
	V        *Validator
	// Unchecked lists the variables a NoEnv lookup left unset (validate
	// --no-env): the values that come from them were not judged.
	Unchecked []string
	root      *yaml.Node
	problems  Problems
}

// Problems returns every problem found so far, sorted by line.
func (f *File) Problems() Problems {
	f.problems.sort()
	return f.problems
}

// Err returns the problems as an error when any of them is not a warning.
func (f *File) Err() error {
	if len(f.Problems().Errors()) == 0 {
		return nil
	}
	return f.problems
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// namespacePattern is an Iceberg namespace every engine accepts unquoted.
var namespacePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ReadFile reads and parses a pipeline file with the process environment.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pipeline: %w", err)
	}
	return Parse(path, data, OSEnv), nil
}

// Parse parses pipeline YAML. It never fails outright: everything wrong is in
// the returned File's problems.
func Parse(path string, data []byte, env LookupEnv) *File {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	f := &File{Path: path, Dir: filepath.Dir(abs), Pipeline: &Pipeline{}}
	f.V = &Validator{file: path, lines: map[string]int{}, problems: &f.problems, unknown: map[int]bool{}}

	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		line := 0
		msg := err.Error()
		if sm := regexp.MustCompile(`line (\d+): (.*)`).FindStringSubmatch(msg); sm != nil {
			fmt.Sscan(sm[1], &line)
			msg = sm[2]
		}
		if errors.Is(err, io.EOF) || strings.Contains(msg, "EOF") {
			msg = "the file is empty"
		}
		f.problems = append(f.problems, Problem{File: path, Line: line, Msg: "invalid YAML: " + msg})
		return f
	}
	var extra yaml.Node
	if dec.Decode(&extra) == nil {
		f.problems = append(f.problems, Problem{File: path, Line: extra.Line, Msg: "a pipeline file holds one YAML document; found another after ---"})
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	f.root = root
	interpolate(root, env, func(line int, msg string) {
		f.problems = append(f.problems, Problem{File: path, Line: line, Path: f.pathOfLine(line), Msg: msg})
	}, func(line int, name string) {
		f.V.unknown[line] = true
		if !slices.Contains(f.Unchecked, name) {
			f.Unchecked = append(f.Unchecked, name)
		}
	})
	f.V.lines[""] = root.Line
	f.V.Decode("", root, f.Pipeline)
	return f
}

// pathOfLine finds the YAML path of the key on a line, for interpolation
// errors found before the strict walk records paths.
func (f *File) pathOfLine(line int) string {
	var found string
	var visit func(n *yaml.Node, path string)
	visit = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := join(path, n.Content[i].Value)
				if n.Content[i].Line == line || n.Content[i+1].Line == line && n.Content[i+1].Kind == yaml.ScalarNode {
					if found == "" {
						found = p
					}
				}
				visit(n.Content[i+1], p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				if c.Line == line && c.Kind == yaml.ScalarNode && found == "" {
					found = fmt.Sprintf("%s[%d]", path, i)
				}
				visit(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	visit(f.root, "")
	return found
}

// Resolve turns a location in the file into one usable from the working
// directory: relative local paths are relative to the pipeline file.
func (f *File) Resolve(location string) string {
	if location == "" || strings.Contains(location, "://") || filepath.IsAbs(location) {
		return location
	}
	return filepath.Join(f.Dir, location)
}

// SetDefaults fills the defaults of a pipeline.
func (p *Pipeline) SetDefaults() {
	if p.BatchSize == 0 {
		p.BatchSize = 5000
	}
	if p.Sink != nil && p.Sink.Format == "" {
		p.Sink.Format = "parquet"
	}
	if p.Push != nil {
		if p.Push.OnChange == "" {
			p.Push.OnChange = "skip"
		}
		if p.Push.Concurrency == 0 {
			p.Push.Concurrency = 4
		}
	}
}

// Validate checks the parts of a pipeline the config package owns. The
// connector, transform and sink parts are validated by their packages.
func (p *Pipeline) Validate(v *Validator) {
	switch {
	case p.Name == "":
		v.Errorf("name", "is required: it keys the pipeline's cursors, ledger and run history")
	case !namePattern.MatchString(p.Name):
		v.Errorf("name", "%q must be lower-case letters, digits, '_', '-' or '.'", p.Name)
	}
	if p.BatchSize < 1 || p.BatchSize > 1_000_000 {
		v.Errorf("batch_size", "must be between 1 and 1000000, got %d", p.BatchSize)
	}
	switch {
	case p.Reconcile.Kind != 0:
		if p.Source.Connector != "" || p.Source.File != nil {
			v.Errorf("source", "a reconcile pipeline reads the state store and the lake; remove source")
		}
		if p.Sink != nil || p.Push != nil {
			v.Errorf("reconcile", "a pipeline has exactly one destination; remove `sink:` or `push:`")
		}
	case p.Source.Connector == "" && p.Source.File == nil:
		v.Errorf("source", "needs a connector (a vendor to pull from) or a file (rows to push)")
	case p.Source.Connector != "" && p.Source.File != nil && p.Push != nil:
		v.Errorf("source", "has both a connector and a file; a push reads a file only")
	case p.Source.Connector != "" && p.Source.File != nil && p.Source.Config.Kind != 0:
		v.Errorf("source.config", "a file of vendor records is read with the connector's defaults; remove config")
	}
	if p.Source.File != nil {
		fs := p.Source.File
		if fs.Path == "" {
			v.Errorf("source.file.path", "is required")
		}
		switch fs.Format {
		case "", "csv", "jsonl":
		default:
			v.Errorf("source.file.format", "must be csv or jsonl, got %q", fs.Format)
		}
		if fs.Delimiter != "" && len([]rune(fs.Delimiter)) != 1 && fs.Delimiter != `\t` {
			v.Errorf("source.file.delimiter", "must be a single character, got %q", fs.Delimiter)
		}
		switch strings.ToLower(fs.Encoding) {
		case "", "utf-8", "utf8", "latin1", "iso-8859-1", "windows-1252", "cp1252", "utf-16", "utf-16le", "utf-16be", "auto":
		default:
			v.Errorf("source.file.encoding", "must be utf-8, latin1, windows-1252, utf-16 or auto, got %q", fs.Encoding)
		}
		if fs.MaxLineBytes < 0 || fs.MaxLineBytes > 1<<30 {
			v.Errorf("source.file.max_line_bytes", "must be between 1 and 1073741824 (0: the default, 4 MiB), got %d", fs.MaxLineBytes)
		}
	}
	switch {
	case p.Sink == nil && p.Push == nil && p.Reconcile.Kind == 0:
		v.Errorf("", "needs a destination: `sink:` (write files), `push:` (send rows to a vendor) or `reconcile:` (write the reconciliation report)")
	case p.Sink != nil && p.Push != nil:
		v.Errorf("push", "a pipeline has exactly one destination, and `sink:` is also set")
	}
	if p.Sink != nil {
		if p.Sink.Path == "" {
			v.Errorf("sink.path", "is required (a directory, file:// or s3://bucket/prefix)")
		}
		switch p.Sink.Format {
		case "parquet", "csv", "iceberg":
		default:
			v.Errorf("sink.format", "must be parquet, csv or iceberg, got %q", p.Sink.Format)
		}
		ice := p.Sink.Iceberg
		if p.Sink.Format != "iceberg" && ice != (IcebergOptions{}) {
			v.Errorf("sink.iceberg", "applies to format: iceberg only")
		}
		if ice.Namespace != "" && !namespacePattern.MatchString(ice.Namespace) {
			v.Errorf("sink.iceberg.namespace", "%q must be lower-case letters, digits and '_', starting with a letter", ice.Namespace)
		}
		if ice.MaxOpenFiles < 0 {
			v.Errorf("sink.iceberg.max_open_files", "must not be negative")
		}
		if p.Sink.Format == "iceberg" && p.Sink.MaxRowsPerFile != 0 {
			v.Errorf("sink.max_rows_per_file", "does not apply to format: iceberg (a run writes one file per table and partition; see sink.iceberg.max_open_files)")
		}
		if p.Sink.MaxRowsPerFile < 0 {
			v.Errorf("sink.max_rows_per_file", "must not be negative")
		}
		if p.Source.File != nil && p.Source.Connector == "" {
			v.Errorf("source", "to land a file in the lake, name the connector whose records it holds (connector: lumi) and the stream (streams: [leads])")
		}
	}
	if p.Push != nil {
		if p.Push.Connector == "" {
			v.Errorf("push.connector", "is required")
		}
		if p.Push.Target == "" {
			v.Errorf("push.target", "is required")
		}
		if p.Source.File == nil && p.Source.Connector != "" {
			v.Errorf("push", "push sends the rows of a file source; this pipeline's source is a connector")
		}
		switch p.Push.OnChange {
		case "skip", "update":
		default:
			v.Errorf("push.on_change", "must be skip or update, got %q", p.Push.OnChange)
		}
		if p.Push.RateLimit < 0 {
			v.Errorf("push.rate_limit", "must not be negative")
		}
		if p.Push.Concurrency < 1 || p.Push.Concurrency > 64 {
			v.Errorf("push.concurrency", "must be between 1 and 64, got %d", p.Push.Concurrency)
		}
	}
	for i, t := range p.Transforms {
		n := 0
		if t.Filter.Kind != 0 {
			n++
		}
		if t.Select != nil {
			n++
		}
		if t.Rename != nil {
			n++
		}
		if t.Privacy.Kind != 0 {
			n++
		}
		if t.StatusMap != nil {
			n++
		}
		if t.Dedupe {
			n++
		}
		if n != 1 {
			v.Errorf(fmt.Sprintf("transforms[%d]", i), "each transform sets exactly one of filter, select, rename, privacy, status_map, dedupe")
		}
	}
}
