package pipelines

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/schemaguard"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// runPull runs a connector → transforms → lake pipeline under the pull
// commit protocol:
//
//  1. every data file is journaled, then written under a staged name;
//  2. the files are published under their final names;
//  3. the run's manifest is written;
//  4. the cursors advance, in the same transaction that marks the run
//     committed.
//
// A run that fails removes its files. A run that dies is finished or rolled
// back by the next run of the pipeline (recoverRuns), so the lake never keeps
// a duplicate row and the cursor never skips data.
func runPull(ctx context.Context, plan *Plan, store *state.Store, opts Options) (*Summary, error) {
	log := opts.log().With("pipeline", plan.Name())
	started := opts.now()
	sum := &Summary{
		RunID: opts.runID(started), Pipeline: plan.Name(), Kind: "pull", DryRun: opts.DryRun,
		StartedAt: started, Rows: map[string]int64{}, Sink: plan.SinkLocation,
	}
	log = log.With("run_id", sum.RunID)

	release, err := store.Lock(ctx, plan.Name())
	if err != nil {
		return nil, err
	}
	defer release()
	if err := bindPullPrivacy(ctx, plan, store, log, opts.DryRun); err != nil {
		return nil, err
	}

	sto, err := storage.Open(ctx, plan.SinkLocation, StorageOptions(plan.Pipeline.Sink.Storage))
	if err != nil {
		return nil, fmt.Errorf("open sink: %w", err)
	}
	if !opts.DryRun {
		recovered, err := recoverRuns(ctx, plan, store, sto, log)
		sum.Recovered = recovered
		if err != nil {
			return nil, err
		}
	}

	prev, err := store.Cursors(ctx, plan.Name())
	if err != nil {
		return nil, err
	}
	req := &connectors.ReadRequest{Streams: plan.Streams, State: map[string]string{}, FullRefresh: opts.FullRefresh, Now: started}
	if !opts.FullRefresh {
		for _, s := range plan.Streams {
			if v, ok := prev[s]; ok {
				req.State[s] = v
			}
		}
	}

	unknowns := &schema.Unknowns{}
	var phase atomic.Pointer[string] // what the connector does between rows
	env := connectors.Env{
		Phase: func(name string, done, total int) {
			p := fmt.Sprintf("%s %d/%d", name, done, total)
			if done >= total {
				p = ""
			}
			phase.Store(&p)
		},
		Pipeline: plan.Name(), Logger: log.With("connector", plan.Source.Name), Unknowns: unknowns, Now: opts.Now,
		Refs: &refStore{store: store, vendor: plan.Source.Name, pipeline: plan.Name()}, Observer: opts.Observer,
		Open: func(ctx context.Context, loc string) (io.ReadCloser, error) {
			return openLocation(ctx, plan.File.Resolve(loc), storage.Options{})
		},
	}
	conn, err := plan.Source.New(plan.SourceConfig, env)
	if err != nil {
		return nil, fmt.Errorf("start connector %s: %w", plan.Source.Name, err)
	}
	defer connectors.CloseQuietly(conn)
	if plan.DecodeFile != "" {
		dec, ok := conn.(connectors.Decoder)
		if !ok {
			return nil, fmt.Errorf("connector %s cannot read files", plan.Source.Name)
		}
		conn = &fileSource{dec: dec, location: plan.DecodeFile, opts: StorageOptions(plan.Pipeline.Source.File.Storage), chunk: plan.Pipeline.BatchSize}
	}
	collect := func() {
		sum.Unknowns = unknowns.List()
		sum.Invalid = unknowns.InvalidList()
		sum.Notes = unknowns.Notes()
		if sr, ok := conn.(connectors.StatsReporter); ok {
			sum.HTTP = sr.HTTPStats()
		}
		sum.Duration = opts.now().Sub(started)
	}

	if !opts.DryRun {
		if err := store.BeginRun(ctx, state.Run{ID: sum.RunID, Pipeline: plan.Name(), Kind: "pull", StartedAt: started, Sink: plan.SinkLocation}); err != nil {
			return nil, err
		}
	}
	log.Info("run started", "streams", plan.Streams, "sink", plan.SinkLocation, "full_refresh", opts.FullRefresh, "dry_run", opts.DryRun)

	var rs runSink
	switch {
	case opts.DryRun:
	case plan.Iceberg != nil:
		ir, err := beginIceberg(ctx, plan, store, sum)
		if err != nil {
			finishFailed(store, sum, state.RunFailed, err)
			return sum, err
		}
		rs = ir
	default:
		layouts, err := schemaguard.Check(ctx, sto, plan.Pipeline.Sink.Format, sum.RunID, plan.SinkTables())
		if err != nil {
			finishFailed(store, sum, state.RunFailed, err)
			return sum, err
		}
		rs = &lakeRun{sto: sto, layouts: layouts, log: log, Lake: sinks.NewLake(sto, plan.Sink, sinks.LakeOptions{
			RunID: sum.RunID, ExtractedAt: started, MaxRowsPerFile: plan.Pipeline.Sink.MaxRowsPerFile,
			Journal: &journal{store: store, runID: sum.RunID},
		})}
	}
	extracted := schema.TimestampOf(started)
	funded := &fundedDates{store: store, runID: sum.RunID, at: extracted, record: !opts.DryRun}

	// The connector reads in its own goroutine(s) and hands over batches
	// through a small channel: at most two batches wait, so memory is set by
	// the batch size and never by the size of the vendor's data.
	batches := make(chan *schema.Batch, 2)
	readCtx, cancelRead := context.WithCancel(ctx)
	defer cancelRead()
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		readErr <- safeCall(log, "connector "+plan.Source.Name, func() error {
			return conn.Read(readCtx, req, connectors.EmitFunc(func(ctx context.Context, b *schema.Batch) error {
				select {
				case batches <- b:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}))
		})
	}()

	var rows atomic.Int64
	stopProgress := startProgress(opts.Progress, func() Progress {
		p := Progress{Rows: rows.Load(), Elapsed: opts.now().Sub(started)}
		if ph := phase.Load(); ph != nil {
			p.Phase = *ph
		}
		return p
	})
	var writeErr error
	for b := range batches {
		if writeErr != nil {
			continue // drain so the reader can finish
		}
		b.Stamp(sum.RunID, extracted)
		if err := funded.apply(ctx, b); err != nil {
			writeErr = err
			cancelRead()
			continue
		}
		if opts.Inspect != nil {
			opts.Inspect(b)
		}
		if err := plan.Transforms.Apply(ctx, b); err != nil {
			writeErr = err
			cancelRead()
			continue
		}
		for _, t := range b.Tables() {
			sum.Rows[t.Table.Name] += int64(t.Len())
		}
		rows.Add(int64(b.Len()))
		if opts.DryRun {
			continue
		}
		if err := rs.Write(ctx, b); err != nil {
			writeErr = err
			cancelRead()
		}
	}
	stopProgress()
	err = <-readErr
	if writeErr != nil {
		err = writeErr
	} else if err != nil {
		err = fmt.Errorf("read %s%s: %w", plan.Source.Name, authHint(err, "source.config"), err)
	}
	for k, v := range sum.Rows {
		if v == 0 {
			delete(sum.Rows, k)
		}
	}
	cursors := req.Cursors()
	sum.Cursors = map[string]sinks.CursorWindow{}
	for s, to := range cursors {
		sum.Cursors[s] = sinks.CursorWindow{From: req.State[s], To: to}
	}
	collect()

	if opts.DryRun {
		sum.Status = "dry_run"
		if err != nil {
			sum.Status, sum.Error = "failed", err.Error()
		}
		return sum, err
	}
	if err == nil {
		err = rs.Close(ctx)
	}
	if err != nil {
		rs.Abort()
		return sum, rollbackFailed(plan, store, sto, sum, err, log)
	}
	if err := opts.crash(PointAfterData); err != nil {
		return sum, err
	}
	files, err := rs.Publish(ctx)
	if err != nil {
		return sum, rollbackFailed(plan, store, sto, sum, err, log)
	}
	sum.Files = files
	if err := opts.crash(PointAfterPublish); err != nil {
		return sum, err
	}
	if err := store.SetCommitting(ctx, sum.RunID, cursors); err != nil {
		return sum, rollbackFailed(plan, store, sto, sum, err, log)
	}
	collect()
	man := &sinks.Manifest{
		RunID: sum.RunID, Pipeline: plan.Name(), SchemaVersion: sinks.SchemaVersion, Format: plan.Pipeline.Sink.Format,
		StartedAt: started.UTC(), FinishedAt: opts.now().UTC(), Files: files, Rows: sum.Rows, Cursors: sum.Cursors,
	}
	if err := rs.Commit(ctx, man); err != nil {
		return sum, rollbackFailed(plan, store, sto, sum, err, log)
	}
	if err := opts.crash(PointAfterManifest); err != nil {
		return sum, err
	}
	sum.Status = state.RunCommitted
	if err := store.CommitRun(context.WithoutCancel(ctx), sum.RunID, plan.Name(), cursors, sum); err != nil {
		// The manifest is durable, so the next run finishes this commit.
		return sum, fmt.Errorf("commit cursors (the next run will finish this commit): %w", err)
	}
	log.Info("run committed", "rows", sum.TotalRows(), "files", len(files), "duration", sum.Duration.Round(time.Millisecond))
	return sum, nil
}

// journal connects the lake's file journal to the run journal.
type journal struct {
	store *state.Store
	runID string
}

func (j *journal) AddFile(ctx context.Context, staged, final, table string) error {
	return j.store.AddFile(ctx, state.RunFile{RunID: j.runID, Staged: staged, Final: final, Table: table})
}

func (j *journal) FileWritten(ctx context.Context, staged string, rows, bytes int64) error {
	return j.store.FileWritten(ctx, j.runID, staged, rows, bytes)
}

func (j *journal) FilePublished(ctx context.Context, staged string) error {
	return j.store.FilePublished(ctx, j.runID, staged)
}

// authHint tells a person what to check when the vendor refused the
// credentials, the most common first-run failure.
func authHint(err error, where string) string {
	if errors.Is(err, connectors.ErrCredentials) {
		return fmt.Sprintf(" (the vendor refused the credentials: check %s)", where)
	}
	return ""
}
