package pipelines

import (
	"context"
	"errors"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
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
// run's manifest.
type lakeRun struct {
	*sinks.Lake
	sto storage.Storage
}

func (l *lakeRun) Commit(ctx context.Context, m *sinks.Manifest) error {
	return sinks.WriteManifest(ctx, l.sto, m)
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
