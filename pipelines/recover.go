package pipelines

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// Recovery: everything a run does about the runs before it, in one place.
//
//   - A run that fails removes its files (rollbackFailed). When the storage
//     does not let it (an outage), the run ends failed_files_left and its
//     files stay journaled.
//   - The next run of the pipeline, before it writes anything, finishes or
//     rolls back the runs whose process died, and removes the files of the
//     runs that ended with files left (recoverRuns for pulls, recoverPushes
//     for pushes). It also removes the temporary files the dead writers of
//     those runs left, by the keys the journal names.
//
// So every data file under a lake belongs to a committed run's manifest
// once the next run has started, whatever failed before it.

// rollbackFailed removes a failed run's files and records the failure. The
// cursor is untouched, so the next run reads the same data again. A run
// whose files could not all be removed is recorded with its status marked
// "files left" (state.FilesLeft): the next run removes them.
func rollbackFailed(plan *Plan, store *state.Store, sto storage.Storage, sum *Summary, cause error, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	status := state.RunFailed
	if errors.Is(cause, context.Canceled) {
		status = state.RunCancelled
	}
	if err := removeRunFiles(ctx, store, sto, sum.RunID); err != nil {
		log.Error("could not remove the files of the failed run; the next run of the pipeline removes them before it writes anything", "error", err)
		status = state.FilesLeft(status)
		cause = fmt.Errorf("%w (and its files could not all be removed: %v; the next run removes them)", cause, err)
	}
	sum.Files = nil
	finishFailed(store, sum, status, cause)
	return cause
}

// removeRunFiles removes everything a run may have written to its sink:
// its manifest first (so no reader is told about files that are going),
// then both names of every journaled data file, then the temporary files
// of writers of those keys that died. It stops at the first failure (the
// storage is down, or refuses: the rest would fail the same way, each after
// its retries), and journals the removal only when all of it succeeded, so
// the next run starts over.
func removeRunFiles(ctx context.Context, store *state.Store, sto storage.Storage, runID string) error {
	files, err := store.Files(ctx, runID)
	if err != nil {
		return err
	}
	manifest := sinks.ManifestKey(runID)
	if err := sto.Delete(ctx, manifest); err != nil {
		return err
	}
	temps := []string{manifest}
	for _, f := range files {
		if err := sto.Delete(ctx, f.Staged); err != nil {
			return err
		}
		if err := sto.Delete(ctx, f.Final); err != nil {
			return err
		}
		temps = append(temps, f.Staged)
	}
	if _, err := storage.RemoveTemps(ctx, sto, temps...); err != nil {
		return err
	}
	return store.FilesRemoved(ctx, runID)
}

// recoverRuns finishes or rolls back the runs of this pipeline that a dead
// process left unfinished, and removes the files of runs that ended with
// files left. A dead run whose manifest was written is finished (its
// cursors committed); any other is rolled back (its files deleted). An error
// stops the run before it writes anything: the storage is still failing.
func recoverRuns(ctx context.Context, plan *Plan, store *state.Store, current storage.Storage, log *slog.Logger) ([]string, error) {
	runs, err := store.RunsToRecover(ctx, plan.Name())
	if err != nil {
		return nil, err
	}
	var notes []string
	note := func(msg string) {
		log.Warn(msg)
		notes = append(notes, msg)
	}
	for _, r := range runs {
		dead := r.Status == state.RunRunning || r.Status == state.RunCommitting
		// A run an older leadpipe recorded as failed, without journaling
		// the removal of its files (which it most likely did): checked,
		// but never a reason to stop the pipeline.
		legacy := !dead && r.Status == state.Settled(r.Status)
		sto := current
		if r.Sink != "" && r.Sink != plan.SinkLocation {
			sto, err = storage.Open(ctx, r.Sink, StorageOptions(plan.Pipeline.Sink.Storage))
			if err != nil && legacy {
				log.Warn("could not check that an old failed run's files are gone", "failed_run", r.ID, "sink", r.Sink, "error", err)
				continue
			}
			if err != nil {
				return notes, fmt.Errorf("recover run %s: open its sink %s: %w", r.ID, r.Sink, err)
			}
		}
		switch {
		case dead:
			if r.Status == state.RunCommitting {
				committed, point, err := sinkCommitted(ctx, plan, store, sto, r.ID)
				if err != nil {
					return notes, fmt.Errorf("recover run %s: %w", r.ID, err)
				}
				if committed {
					if err := store.CommitRun(ctx, r.ID, plan.Name(), r.Cursors, nil); err != nil {
						return notes, fmt.Errorf("recover run %s: %w", r.ID, err)
					}
					note(fmt.Sprintf("finished the commit of run %s, which stopped after %s", r.ID, point))
					continue
				}
			}
			if err := removeRunFiles(ctx, store, sto, r.ID); err != nil {
				return notes, fmt.Errorf("recover run %s: remove its files: %w", r.ID, err)
			}
			if err := store.FinishRun(ctx, r.ID, state.RunRolledBack, "the process stopped during the run; its files were removed by "+
				"the next run", nil); err != nil {
				return notes, err
			}
			note(fmt.Sprintf("rolled back run %s, which stopped before committing; its data will be read again", r.ID))
		case legacy:
			if err := removeRunFiles(ctx, store, sto, r.ID); err != nil {
				log.Warn("could not check that an old failed run's files are gone", "failed_run", r.ID, "error", err)
			}
		default: // failed or cancelled, with files left
			if err := removeRunFiles(ctx, store, sto, r.ID); err != nil {
				return notes, fmt.Errorf("remove the files run %s left when it failed: %w", r.ID, err)
			}
			if err := store.SettleRun(ctx, r.ID, "its files were removed by the next run"); err != nil {
				return notes, err
			}
			note(fmt.Sprintf("removed the files run %s left when it failed", r.ID))
		}
	}
	return notes, nil
}

// sinkCommitted reports whether a dead run reached its sink's commit point,
// and names that point.
func sinkCommitted(ctx context.Context, plan *Plan, store *state.Store, sto storage.Storage, runID string) (bool, string, error) {
	if plan.Iceberg != nil {
		ok, err := icebergCommitted(ctx, plan, store, runID)
		return ok, "its Iceberg commit", err
	}
	ok, err := lakeCommitted(ctx, sto, runID)
	if err != nil {
		err = fmt.Errorf("read its manifest: %w", err)
	}
	return ok, "writing its manifest", err
}

// recoverPushes deals with the push runs of this pipeline whose process
// died: their rows were settled by the ledger already (a pending row is
// looked up at the vendor before it is resent), so what is left is their
// journal entry, still "running", and the temporary files their receipts
// and rejects writers left. The receipts and rejects locations are the
// pipeline's current ones.
func recoverPushes(ctx context.Context, plan *Plan, store *state.Store, log *slog.Logger) ([]string, error) {
	runs, err := store.UnfinishedRuns(ctx, plan.Name())
	if err != nil || len(runs) == 0 {
		return nil, err
	}
	pp := plan.Push
	opts := pushOutputStorage(plan)
	var notes []string
	for _, r := range runs {
		for _, loc := range []string{pp.Receipts, pp.Rejects} {
			sto, err := storage.Open(ctx, loc, opts)
			if err != nil {
				return notes, fmt.Errorf("recover push run %s: %w", r.ID, err)
			}
			base := outputName(plan, r.ID)
			if _, err := storage.RemoveTemps(ctx, sto, base+".csv", base+".parquet"); err != nil {
				return notes, fmt.Errorf("recover push run %s: %w", r.ID, err)
			}
		}
		if err := store.FinishRun(ctx, r.ID, state.RunFailed, "the process stopped during the run; the next run checked the rows "+
			"it left pending with the vendor before sending anything again", nil); err != nil {
			return notes, err
		}
		msg := fmt.Sprintf("closed push run %s, which stopped before it finished; rows it left pending are checked with the vendor, not resent blindly", r.ID)
		log.Warn(msg)
		notes = append(notes, msg)
	}
	return notes, nil
}
