package pipelines

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/reconcile"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/iceberg"
	"github.com/leadpipe/leadpipe/sinks/parquet"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// The Iceberg sink (sink.format: iceberg) in the pull commit protocol: its
// data files are journaled and written as batches come (runSink.Write),
// closed (Close), and the catalog commit of all the run's tables is the
// run's commit point (Commit), between SetCommitting and CommitRun like a
// lake's manifest. A run that died after that commit is recognised by the
// snapshots carrying its run id (icebergCommitted), and finished.

// DefaultCatalogFile is the SQLite catalog's file name beside the state.
const DefaultCatalogFile = "iceberg.db"

// IcebergPlan is a pull pipeline's Iceberg sink.
type IcebergPlan struct {
	Namespace string
	// Catalog is the configured catalog ("": DefaultCatalogFile beside the
	// state, see CatalogFor).
	Catalog      string
	Parquet      *parquet.Format
	MaxOpenFiles int
}

func resolveIceberg(f *config.File, s *config.Sink, warehouse string) *IcebergPlan {
	v := f.V
	ip := &IcebergPlan{Namespace: s.Iceberg.Namespace, Catalog: s.Iceberg.Catalog, MaxOpenFiles: s.Iceberg.MaxOpenFiles}
	if ip.Namespace == "" {
		ip.Namespace = iceberg.DefaultNamespace
	}
	if ip.Catalog != "" {
		if err := iceberg.CheckCatalog(ip.Catalog); err != nil {
			v.Errorf("sink.iceberg.catalog", "%v", err)
		} else if iceberg.CatalogScheme(ip.Catalog) == "sqlite" {
			ip.Catalog = f.Resolve(iceberg.SQLitePath(ip.Catalog))
		}
	}
	if sc := storage.Scheme(warehouse); sc != "file" && sc != "s3" {
		v.Errorf("sink.path", "the Iceberg sink writes to a local directory or s3://bucket/prefix, not %s://", sc)
	}
	pf, err := parquet.New(parquet.Options{
		Compression:      s.Parquet.Compression,
		CompressionLevel: s.Parquet.CompressionLevel,
		RowGroupRows:     s.Parquet.RowGroupRows,
	})
	if err != nil {
		v.Errorf("sink.parquet", "%v", err)
	}
	ip.Parquet = pf
	return ip
}

// CatalogFor is the catalog the sink uses with the state at statePath.
func (ip *IcebergPlan) CatalogFor(statePath string) string {
	if ip.Catalog != "" {
		return ip.Catalog
	}
	return filepath.Join(filepath.Dir(statePath), DefaultCatalogFile)
}

// OpenIceberg opens a pipeline's Iceberg sink. Read-only, it creates
// nothing, and a catalog that does not exist yet is iceberg.ErrNoCatalog.
func OpenIceberg(ctx context.Context, plan *Plan, statePath string, readOnly bool) (*iceberg.Sink, error) {
	ip := plan.Iceberg
	return iceberg.Open(ctx, iceberg.Options{
		Warehouse: plan.SinkLocation, Catalog: ip.CatalogFor(statePath), Namespace: ip.Namespace,
		Storage: StorageOptions(plan.Pipeline.Sink.Storage), Parquet: ip.Parquet, MaxOpenFiles: ip.MaxOpenFiles,
		ReadOnly: readOnly,
	})
}

// icebergRun is one run's writes to the Iceberg tables.
type icebergRun struct {
	sink *iceberg.Sink
	run  *iceberg.Run
	sum  *Summary
}

// beginIceberg opens the sink and starts the run: the tables are checked
// (a refused schema change stops the run here, before the vendor is read),
// created and evolved.
func beginIceberg(ctx context.Context, plan *Plan, store *state.Store, sum *Summary) (*icebergRun, error) {
	sink, err := OpenIceberg(ctx, plan, store.Path(), false)
	if err != nil {
		return nil, err
	}
	run, err := sink.Begin(ctx, iceberg.RunOptions{
		RunID: sum.RunID, Pipeline: plan.Name(), ExtractedAt: sum.StartedAt, Tables: plan.SinkTables(),
		Journal: &journal{store: store, runID: sum.RunID},
	})
	if err != nil {
		sink.Close()
		return nil, err
	}
	return &icebergRun{sink: sink, run: run, sum: sum}, nil
}

func (r *icebergRun) Write(ctx context.Context, b *schema.Batch) error { return r.run.Write(ctx, b) }
func (r *icebergRun) Close(ctx context.Context) error                  { return r.run.Close(ctx) }

func (r *icebergRun) Publish(context.Context) ([]sinks.WrittenFile, error) { return r.run.Files(), nil }

// Commit is the catalog commit. When it fails in a way that leaves its
// outcome unknown, the catalog is asked: a commit that landed is the run's
// commit, and its files must stay.
func (r *icebergRun) Commit(ctx context.Context, _ *sinks.Manifest) error {
	defer r.sink.Close()
	res, err := r.run.Commit(ctx)
	switch {
	case errors.Is(err, iceberg.ErrNothingToCommit):
		return nil
	case err != nil:
		if ok, cerr := r.sink.RunCommitted(context.WithoutCancel(ctx), r.sum.RunID); cerr == nil && ok {
			return nil
		}
		return err
	}
	r.sum.Iceberg = res.Tables
	return nil
}

func (r *icebergRun) Abort() {
	r.run.Abort()
	r.sink.Close()
}

// icebergCommitted reports whether a dead run's catalog commit landed.
func icebergCommitted(ctx context.Context, plan *Plan, store *state.Store, runID string) (bool, error) {
	sink, err := OpenIceberg(ctx, plan, store.Path(), true)
	if errors.Is(err, iceberg.ErrNoCatalog) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open the Iceberg catalog: %w", err)
	}
	defer sink.Close()
	return sink.RunCommitted(ctx, runID)
}

// ReadIcebergLake points a reconciliation at the history tables when its
// lake is the warehouse of Iceberg tables in the project's catalog (beside
// the state): their data files are the ones the current snapshots name
// (a file of a run still in progress is named by none). A lake that is not
// such a warehouse is left to be read as a Parquet or CSV lake.
func ReadIcebergLake(ctx context.Context, o *reconcile.Options) error {
	if o.Store == nil || o.Lake == "" {
		return nil
	}
	open := func() (*iceberg.Sink, error) {
		return iceberg.Open(ctx, iceberg.Options{
			Warehouse: o.Lake, Catalog: filepath.Join(filepath.Dir(o.Store.Path()), DefaultCatalogFile),
			Storage: o.LakeStorage, ReadOnly: true,
		})
	}
	sink, err := open()
	if errors.Is(err, iceberg.ErrNoCatalog) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open the Iceberg catalog: %w", err)
	}
	defer sink.Close()
	tbl, err := sink.LoadTable(ctx, "leads")
	if err != nil || sink.Key(tbl.Location()+"/") == "" {
		return nil // no leads table, or one elsewhere: not this lake
	}
	o.TableFiles = func(ctx context.Context, table string) ([]string, error) {
		s, err := open()
		if err != nil {
			return nil, err
		}
		defer s.Close()
		return s.DataFileKeys(ctx, table)
	}
	return nil
}
