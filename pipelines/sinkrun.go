package pipelines

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/iceberg"
	"github.com/leadpipe/leadpipe/sinks/schemaguard"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// runSink is the sink's side of one pull run, in the order runPull drives
// it: Write each batch; Close (the data is complete and durable, and
// invisible); Publish (the files are in place for the commit); Commit, the
// sink's commit point, after which the run is committed whatever happens
// to the process (the next run finishes it, see recoverRuns). Abort stops
// the writes of a failed run, whose files the journal lists for removal.
type runSink interface {
	Write(ctx context.Context, b *schema.Batch) error
	Close(ctx context.Context) error
	Publish(ctx context.Context) ([]sinks.WrittenFile, error)
	Commit(ctx context.Context, m *sinks.Manifest) error
	Abort()
}

// lakeRun is a run's writes to a lake of files: the commit point is the
// run's manifest. Before it, the layouts of the tables the run brings new
// columns (or their first files) to are recorded (schemaguard).
type lakeRun struct {
	*sinks.Lake
	sto     storage.Storage
	layouts []*schemaguard.Record
	log     *slog.Logger
}

func (l *lakeRun) Commit(ctx context.Context, m *sinks.Manifest) error {
	wrote := map[string]bool{}
	for _, f := range m.Files {
		wrote[f.Table] = true
	}
	for _, rec := range l.layouts {
		if !wrote[rec.Table] {
			continue
		}
		if added := schemaguard.Added(ctx, l.sto, rec); len(added) > 0 {
			l.log.Warn("the table gains columns; its older files lack them (read the lake by name with union_by_name, as leadpipe views does)",
				"table", rec.Table, "columns", added)
		}
		if err := schemaguard.Write(ctx, l.sto, rec); err != nil {
			return err
		}
	}
	return sinks.WriteManifest(ctx, l.sto, m)
}

// checkSinkSchema refuses, before anything is read or written, a run that
// would change a table's layout in a way its readers cannot follow (see
// schemaguard and iceberg.Sink.Check). statePath locates the default
// Iceberg catalog. A sink that cannot be reached to check is an error
// wrapped in errUnchecked.
func checkSinkSchema(ctx context.Context, plan *Plan, statePath string) error {
	tables := plan.SinkTables()
	if plan.Iceberg != nil {
		sink, err := OpenIceberg(ctx, plan, statePath, true)
		if errors.Is(err, iceberg.ErrNoCatalog) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %w", errUnchecked, err)
		}
		defer sink.Close()
		return sink.Check(ctx, tables)
	}
	sto, err := storage.Open(ctx, plan.SinkLocation, StorageOptions(plan.Pipeline.Sink.Storage))
	if err != nil {
		return fmt.Errorf("%w: %w", errUnchecked, err)
	}
	_, err = schemaguard.Check(ctx, sto, plan.Pipeline.Sink.Format, "", tables)
	return err
}

// errUnchecked marks a sink whose tables could not be checked.
var errUnchecked = errors.New("could not check the sink's tables")

// CheckSinkSchema is checkSinkSchema for `leadpipe validate`: a refused
// schema change is an error; a sink it cannot reach is a warning.
func CheckSinkSchema(ctx context.Context, plan *Plan, statePath string) (warning string, err error) {
	if plan.Kind() != "pull" {
		return "", nil
	}
	err = checkSinkSchema(ctx, plan, statePath)
	if errors.Is(err, errUnchecked) {
		return err.Error(), nil
	}
	return "", err
}

// lakeCommitted reports whether a dead run of a lake reached its commit
// point: its manifest exists.
func lakeCommitted(ctx context.Context, sto storage.Storage, runID string) (bool, error) {
	_, err := sinks.ReadManifest(ctx, sto, runID)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, storage.ErrNotExist):
		return false, nil
	}
	return false, err
}
