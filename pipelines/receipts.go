package pipelines

import (
	"context"
	"errors"
	"fmt"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/csv"
	"github.com/leadpipe/leadpipe/sinks/parquet"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// outputs are a push run's receipts (every row) and rejects (every problem
// of every rejected row). Each file appears only when the run ends: storage
// writes are atomic.
type outputs struct {
	dry                     bool
	receipts                []*tableFile
	rejects                 *tableFile
	rejectsLoc, rejectsName string
	receiptsURL, rejectsURL string
	rejectsStorage          storage.Options
	// ctx opens the rejects file when the first reject comes: the run's
	// context without its cancellation, since the rows in hand of a
	// stopped run are recorded too.
	ctx context.Context
}

type tableFile struct {
	w     storage.Writer
	tw    sinks.TableWriter
	table *schema.Table
}

func (r *pushRun) openOutputs(ctx context.Context) (*outputs, error) {
	o := &outputs{dry: r.opts.DryRun, ctx: context.WithoutCancel(ctx)}
	if o.dry {
		return o, nil
	}
	name := outputName(r.plan, r.runID)
	st, err := storage.Open(ctx, r.pp.Receipts, pushOutputStorage(r.plan))
	if err != nil {
		return nil, fmt.Errorf("open receipts location: %w", err)
	}
	formats := []sinks.Format{csv.New(csv.Options{})}
	if r.pp.Parquet {
		pf, err := parquet.New(parquet.Options{})
		if err != nil {
			return nil, err
		}
		formats = append(formats, pf)
	}
	for _, f := range formats {
		tf, err := openTableFile(ctx, st, name+f.Ext(), f, ReceiptsTable)
		if err != nil {
			o.abort()
			return nil, fmt.Errorf("create receipts: %w", err)
		}
		o.receipts = append(o.receipts, tf)
		if o.receiptsURL == "" {
			o.receiptsURL = st.URL(name + f.Ext())
		}
	}
	o.rejectsLoc, o.rejectsName = r.pp.Rejects, name+".csv"
	o.rejectsStorage = pushOutputStorage(r.plan)
	return o, nil
}

// outputName is the name of a push run's receipts and rejects files,
// without the extension.
func outputName(plan *Plan, runID string) string { return plan.Name() + "-" + runID }

// pushOutputStorage are the storage options of receipts and rejects: they
// hold what the partner sent, so local files are private (0600).
func pushOutputStorage(plan *Plan) storage.Options {
	o := StorageOptions(plan.Pipeline.Push.Storage)
	o.Private = true
	return o
}

func openTableFile(ctx context.Context, st storage.Storage, key string, f sinks.Format, t *schema.Table) (*tableFile, error) {
	w, err := st.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	tw, err := f.NewWriter(w, t)
	if err != nil {
		_ = w.Abort()
		return nil, err
	}
	return &tableFile{w: w, tw: tw, table: t}, nil
}

func (o *outputs) write(it *item) error {
	if o.dry {
		return nil
	}
	rows := []Receipt{it.receipt}
	for _, tf := range o.receipts {
		if err := tf.tw.Write(schema.RowsOf(ReceiptsTable, rows)); err != nil {
			return fmt.Errorf("write receipts: %w", err)
		}
	}
	if len(it.rejects) == 0 {
		return nil
	}
	if o.rejects == nil {
		st, err := storage.Open(o.ctx, o.rejectsLoc, o.rejectsStorage)
		if err != nil {
			return fmt.Errorf("open rejects location: %w", err)
		}
		tf, err := openTableFile(o.ctx, st, o.rejectsName, csv.New(csv.Options{}), RejectsTable)
		if err != nil {
			return fmt.Errorf("create rejects: %w", err)
		}
		o.rejects, o.rejectsURL = tf, st.URL(o.rejectsName)
	}
	return o.rejects.tw.Write(schema.RowsOf(RejectsTable, it.rejects))
}

func (o *outputs) all() []*tableFile {
	out := append([]*tableFile{}, o.receipts...)
	if o.rejects != nil {
		out = append(out, o.rejects)
	}
	return out
}

func (o *outputs) close(context.Context) error {
	var errs []error
	for _, tf := range o.all() {
		if err := tf.tw.Close(); err != nil {
			errs = append(errs, err)
			_ = tf.w.Abort()
			continue
		}
		if err := tf.w.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (o *outputs) abort() {
	for _, tf := range o.all() {
		_ = tf.w.Abort()
	}
}
