// Package iceberg is the Apache Iceberg sink: every canonical table is an
// Iceberg table (the full changelog, as the Parquet lake keeps it) plus a
// current-state table <table>_current with one row per *_uid, in a
// namespace of an SQL catalog, with the data on local disk or S3.
//
// It is built on apache/iceberg-go for the table format (metadata,
// manifests, snapshots, schema evolution, scans) and on leadpipe's own
// Parquet writer for the data files, which therefore have exactly the
// Parquet lake's types (DECIMAL(18,2) as INT64, TIMESTAMP(MICROS, UTC),
// DATE) plus the field ids Iceberg resolves columns by.
//
// One run is one atomic commit across all its tables (see Run.Commit):
// each table gains exactly one snapshot, whose summary carries the run's
// id, so a process that dies after the commit is recognised by the next
// run (RunCommitted) and finished rather than repeated.
//
// The catalog is iceberg-go's SQL catalog on SQLite through the pure-Go
// modernc.org/sqlite driver (no cgo). Its iceberg_tables table is the JDBC
// catalog's, which Spark's JdbcCatalog reads as it is.
package iceberg

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	iceio "github.com/apache/iceberg-go/io"
	_ "github.com/apache/iceberg-go/io/gocloud/s3" // the s3:// file IO
	"github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/utils"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/parquet"
	"github.com/leadpipe/leadpipe/sinks/storage"
	s3store "github.com/leadpipe/leadpipe/sinks/storage/s3"
)

// DefaultNamespace is the namespace the tables are in unless a pipeline
// names another.
const DefaultNamespace = "leadpipe"

// Snapshot summary properties leadpipe sets on every snapshot it commits.
const (
	PropRunID    = "leadpipe.run_id"
	PropPipeline = "leadpipe.pipeline"
)

// Options configure a Sink.
type Options struct {
	// Warehouse is where the tables' files go: a local directory, a file://
	// URL or s3://bucket/prefix (the pipeline's sink.path). Table T lives
	// under <warehouse>/<namespace>/T.
	Warehouse string
	// Catalog is the SQL catalog's location: an SQLite file (a path or
	// sqlite:PATH).
	Catalog string
	// Namespace defaults to DefaultNamespace.
	Namespace string
	// Storage holds the S3 settings of an s3:// warehouse.
	Storage storage.Options
	// Parquet writes the data files (nil: the defaults).
	Parquet *parquet.Format
	// MaxOpenFiles bounds the history data files a run writes at once
	// (each holds its open row group in memory; a run writes one per
	// table and vendor); 0 means DefaultMaxOpenFiles. The current-state
	// rows go through spill files instead (see spill.go).
	MaxOpenFiles int
	// ReadOnly opens an existing catalog without creating or changing
	// anything (for validate); a missing catalog is ErrNoCatalog.
	ReadOnly bool
}

// DefaultMaxOpenFiles is how many data files a run keeps open at once.
const DefaultMaxOpenFiles = 12

// ErrNoCatalog is returned by a read-only Open when the catalog does not
// exist yet.
var ErrNoCatalog = errors.New("the Iceberg catalog does not exist yet")

// Sink is an opened catalog and warehouse.
type Sink struct {
	opts      Options
	cat       *sqlCatalog
	catDesc   string
	warehouse string // URL: file:///abs/dir or s3://bucket/prefix
	ns        table.Identifier
	awsConfig *aws.Config // for an s3:// warehouse
	props     iceberg.Properties
}

// Open opens (creating, unless read-only) the catalog and the namespace.
func Open(ctx context.Context, opts Options) (*Sink, error) {
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.MaxOpenFiles <= 0 {
		opts.MaxOpenFiles = DefaultMaxOpenFiles
	}
	if opts.Parquet == nil {
		pf, err := parquet.New(parquet.Options{})
		if err != nil {
			return nil, err
		}
		opts.Parquet = pf
	}
	s := &Sink{opts: opts, ns: table.Identifier{opts.Namespace}}
	props := iceberg.Properties{}
	switch storage.Scheme(opts.Warehouse) {
	case "file":
		p := strings.TrimPrefix(opts.Warehouse, "file://")
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("iceberg warehouse %s: %w", opts.Warehouse, err)
		}
		s.warehouse = (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	case "s3":
		cfg, err := s3store.LoadConfig(ctx, opts.Warehouse, opts.Storage)
		if err != nil {
			return nil, err
		}
		s.awsConfig = &cfg.Config
		s.warehouse = strings.TrimRight(opts.Warehouse, "/")
		props[iceio.S3Region] = cfg.Config.Region
		if cfg.Endpoint != "" {
			props[iceio.S3EndpointURL] = cfg.Endpoint
		}
		props[iceio.S3ForceVirtualAddressing] = strconv.FormatBool(!cfg.PathStyle)
	default:
		return nil, fmt.Errorf("iceberg warehouse %s: the Iceberg sink writes to a local directory or s3://", opts.Warehouse)
	}
	props["warehouse"] = s.warehouse
	s.props = props
	ctx = s.ctx(ctx)
	if opts.ReadOnly {
		if _, err := statCatalog(opts.Catalog); err != nil {
			return nil, fmt.Errorf("%w: %s", ErrNoCatalog, SQLitePath(opts.Catalog))
		}
	}
	cat, desc, err := openCatalog(ctx, opts.Catalog, props, opts.ReadOnly)
	if err != nil {
		return nil, err
	}
	s.cat, s.catDesc = cat, desc
	if !opts.ReadOnly {
		if err := cat.CreateNamespace(ctx, s.ns, nil); err != nil && !errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
			cat.Close()
			return nil, fmt.Errorf("create the Iceberg namespace %s: %w", opts.Namespace, err)
		}
	}
	return s, nil
}

// Close closes the catalog.
func (s *Sink) Close() error { return s.cat.Close() }

// Namespace is the tables' namespace.
func (s *Sink) Namespace() string { return s.opts.Namespace }

// Warehouse is the warehouse URL (file:///abs/dir or s3://bucket/prefix).
func (s *Sink) Warehouse() string { return s.warehouse }

// CatalogPath is the catalog database's file.
func (s *Sink) CatalogPath() string { return s.catDesc }

// Context returns ctx carrying what iceberg-go's file IO needs to reach
// the warehouse; use it for scans of the sink's tables.
func (s *Sink) Context(ctx context.Context) context.Context { return s.ctx(ctx) }

// ctx carries the AWS configuration that iceberg-go's S3 file IO picks up,
// so that it reaches S3 exactly as the storage backend does (profile,
// endpoint, region, path style).
func (s *Sink) ctx(ctx context.Context) context.Context {
	if s.awsConfig == nil {
		return ctx
	}
	return utils.WithAwsConfig(ctx, s.awsConfig)
}

// fs is the file IO of a location under the warehouse.
func (s *Sink) fs(ctx context.Context, loc string) (iceio.IO, error) {
	return iceio.LoadFS(s.ctx(ctx), s.props, loc)
}

// ident is a table's identifier.
func (s *Sink) ident(name string) table.Identifier {
	return append(table.Identifier{s.opts.Namespace}, name)
}

// location is where a table's files go.
func (s *Sink) location(name string) string { return s.warehouse + "/" + s.opts.Namespace + "/" + name }

// LoadTable loads a table of the namespace (leads, leads_current...).
func (s *Sink) LoadTable(ctx context.Context, name string) (*table.Table, error) {
	return s.cat.LoadTable(s.ctx(ctx), s.ident(name))
}

// TableNames lists the namespace's tables.
func (s *Sink) TableNames(ctx context.Context) ([]string, error) {
	var out []string
	for id, err := range s.cat.ListTables(s.ctx(ctx), s.ns) {
		if err != nil {
			return nil, err
		}
		out = append(out, catalog.TableNameFromIdent(id))
	}
	return out, nil
}

// Key is a file's key relative to the warehouse, the way the storage
// backend opened at the pipeline's sink.path names it ("" when the file is
// not under the warehouse).
func (s *Sink) Key(fileURL string) string {
	k, ok := strings.CutPrefix(fileURL, s.warehouse+"/")
	if !ok {
		return ""
	}
	return k
}

// specs are the table specs of a run's tables, by canonical name.
func specsOf(tables []*schema.Table) (map[string]*tableSpec, error) {
	out := map[string]*tableSpec{}
	var errs []error
	for _, t := range tables {
		canon, ok := schema.TableByName(t.Name)
		if !ok {
			errs = append(errs, fmt.Errorf("iceberg: %s is not a canonical table", t.Name))
			continue
		}
		spec, err := newTableSpec(canon, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[t.Name] = spec
	}
	return out, errors.Join(errs...)
}

// Check compares the tables a run would write (t may be projections of
// the canonical tables) with the stored ones, without changing anything:
// a column the table lacks is fine (Prepare adds it), a renamed, retyped
// or left-out column is a *sinks.SchemaChangeError naming the table, the
// change and the options.
func (s *Sink) Check(ctx context.Context, tables []*schema.Table) error {
	specs, err := specsOf(tables)
	if err != nil {
		return err
	}
	ctx = s.ctx(ctx)
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(specs)) {
		spec := specs[name]
		for _, n := range []string{name, name + CurrentSuffix} {
			tbl, err := s.cat.LoadTable(ctx, s.ident(n))
			if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
				continue
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("load Iceberg table %s: %w", n, err))
				continue
			}
			if _, err := schemaChanges(n, tbl.Location(), tbl.Schema(), spec.t); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// prepared is a run's pair of tables for one canonical table, with the
// field ids its files are written with.
type prepared struct {
	spec        *tableSpec
	hist, cur   *table.Table
	histIDs     []int
	curIDs      []int
	histPartIDs partIDs
	curPartIDs  partIDs
}

// partIDs are the partition field ids of a table's spec.
type partIDs struct{ vendor, time int }

// prepare loads the tables (creating missing ones), refuses incompatible
// changes and adds new columns (Iceberg schema evolution, a metadata-only
// commit of its own). It changes nothing when any table is refused.
func (s *Sink) prepare(ctx context.Context, tables []*schema.Table) (map[string]*prepared, error) {
	if err := s.Check(ctx, tables); err != nil {
		return nil, err
	}
	specs, err := specsOf(tables)
	if err != nil {
		return nil, err
	}
	out := map[string]*prepared{}
	for _, name := range slices.Sorted(maps.Keys(specs)) {
		spec := specs[name]
		p := &prepared{spec: spec}
		if p.hist, err = s.ensureTable(ctx, name, spec, false); err != nil {
			return nil, err
		}
		if p.cur, err = s.ensureTable(ctx, name+CurrentSuffix, spec, true); err != nil {
			return nil, err
		}
		p.histIDs, p.histPartIDs = fieldIDs(p.hist, spec.t)
		p.curIDs, p.curPartIDs = fieldIDs(p.cur, spec.t)
		out[name] = p
	}
	return out, nil
}

// ensureTable loads or creates one table and adds the columns it lacks.
func (s *Sink) ensureTable(ctx context.Context, name string, spec *tableSpec, current bool) (*table.Table, error) {
	ctx = s.ctx(ctx)
	tbl, err := s.cat.LoadTable(ctx, s.ident(name))
	if errors.Is(err, catalog.ErrNoSuchTable) {
		sc := icebergSchema(spec.t)
		timeCol := spec.histTime
		if current {
			timeCol = spec.curTime
		}
		ps, err := partitionSpec(sc, spec.vendor, timeCol, current)
		if err != nil {
			return nil, fmt.Errorf("partition spec of %s: %w", name, err)
		}
		tbl, err = s.cat.CreateTable(ctx, s.ident(name), sc,
			catalog.WithLocation(s.location(name)),
			catalog.WithPartitionSpec(&ps),
			catalog.WithProperties(iceberg.Properties{
				"format-version": "2",
				// Data files are rewritten, never given delete files: every
				// engine reads copy-on-write tables.
				table.WriteDeleteModeKey:          table.WriteModeCopyOnWrite,
				"write.parquet.compression-codec": "zstd",
			}))
		if errors.Is(err, catalog.ErrTableAlreadyExists) { // another pipeline created it first
			tbl, err = s.cat.LoadTable(ctx, s.ident(name))
		}
		if err != nil {
			return nil, fmt.Errorf("create Iceberg table %s: %w", name, err)
		}
		return tbl, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load Iceberg table %s: %w", name, err)
	}
	added, err := schemaChanges(name, tbl.Location(), tbl.Schema(), spec.t)
	if err != nil {
		return nil, err
	}
	if len(added) == 0 {
		return tbl, nil
	}
	tx := tbl.NewTransaction()
	up := tx.UpdateSchema(true, false)
	for _, c := range added {
		up.AddColumn([]string{c.Name}, icebergType(c.Kind), columnDoc(c), false, nil)
	}
	if err := up.Commit(); err != nil {
		return nil, fmt.Errorf("add columns to Iceberg table %s: %w", name, err)
	}
	if tbl, err = tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("add columns to Iceberg table %s: %w", name, err)
	}
	return tbl, nil
}

// fieldIDs are the ids of t's columns in tbl's schema, and the partition
// fields' ids.
func fieldIDs(tbl *table.Table, t *schema.Table) ([]int, partIDs) {
	sc := tbl.Schema()
	ids := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		f, _ := sc.FindFieldByName(c.Name) // present: prepare checked
		ids[i] = f.ID
	}
	var p partIDs
	spec := tbl.Spec()
	for _, f := range spec.Fields() {
		if _, ok := f.Transform.(iceberg.IdentityTransform); ok {
			p.vendor = f.FieldID
		} else {
			p.time = f.FieldID
		}
	}
	return ids, p
}

// RunCommitted reports whether a run's commit is in the catalog: whether
// any table of the namespace has a snapshot whose summary carries the
// run's id. A run commits all its tables at once, so one is enough.
func (s *Sink) RunCommitted(ctx context.Context, runID string) (bool, error) {
	names, err := s.TableNames(ctx)
	if err != nil {
		return false, err
	}
	for _, n := range names {
		tbl, err := s.LoadTable(ctx, n)
		if err != nil {
			return false, err
		}
		for _, snap := range tbl.Metadata().Snapshots() {
			if snap.Summary != nil && snap.Summary.Properties[PropRunID] == runID {
				return true, nil
			}
		}
	}
	return false, nil
}

// DataFileKeys lists the data files of a table's current snapshot, as keys
// relative to the warehouse; a table that does not exist has none.
func (s *Sink) DataFileKeys(ctx context.Context, name string) ([]string, error) {
	ctx = s.ctx(ctx)
	tbl, err := s.cat.LoadTable(ctx, s.ident(name))
	if errors.Is(err, catalog.ErrNoSuchTable) {
		return nil, nil
	}
	if err != nil || tbl.CurrentSnapshot() == nil {
		return nil, err
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the data files of %s: %w", name, err)
	}
	out := make([]string, 0, len(tasks))
	for _, t := range tasks {
		k := s.Key(t.File.FilePath())
		if k == "" {
			return nil, fmt.Errorf("%s: data file %s is outside the warehouse %s", name, t.File.FilePath(), s.warehouse)
		}
		out = append(out, k)
	}
	return out, nil
}
