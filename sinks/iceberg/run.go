package iceberg

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	"github.com/zeebo/xxh3"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/parquet"
)

// RunOptions configure one run's writes.
type RunOptions struct {
	RunID    string
	Pipeline string
	// ExtractedAt is the run's extraction time (every row's extracted_at).
	ExtractedAt time.Time
	// Tables are the tables the run writes (canonical tables, or their
	// projections by select and rename). They are checked, created and
	// evolved before anything is written; a table a batch brings that is
	// not listed is prepared when it first appears.
	Tables []*schema.Table
	// Journal is told about every data file before it is created, so a run
	// that fails or dies leaves a record of what to remove. Files are
	// journaled under their keys relative to the warehouse (Sink.Key).
	Journal sinks.Journal
}

// Run is one run's writes: data files streamed as batches arrive, and one
// atomic commit at the end. It is not safe for concurrent use.
type Run struct {
	s      *Sink
	opts   RunOptions
	props  iceberg.Properties
	day    iceberg.Date
	tables map[string]*runTable
	open   []*dataFile // open data files, least recently used first
	seq    int
	spills string // the spill directory ("" until the first spill)
	// closed: no more writes (Close or Abort); committed: Commit ran.
	closed, committed bool
}

// runTable is what a run writes for one canonical table.
type runTable struct {
	*prepared
	histOpen  map[string]*dataFile // by vendor (one day per run)
	histFiles []*dataFile          // finished
	// spills hold the run's current-state rows by partition until Close
	// (see spill.go); curFiles are the data files they became.
	spills   map[curPart]*spill
	spillSeq []*spill // by index (version.file)
	curFiles []*dataFile
	// seen holds each row key's newest version so far in the run;
	// replaced the replace-key values (nil when it is the row key).
	seen     map[xxh3.Uint128]version
	replaced map[xxh3.Uint128]struct{}
	vendors  map[string]bool
	rows     int64
}

// version locates a row of the current-state spills.
type version struct {
	file    int32
	pos     int64
	order   int64
	ordered bool
}

// curPart is a current-state partition: vendor and month (months since
// 1970-01; null when the row has no time).
type curPart struct {
	vendor string
	month  int32
	null   bool
}

// dataFile is one data file being written or finished.
type dataFile struct {
	rt      *runTable
	current bool
	path    string
	key     string
	w       iceio.FileWriter
	cw      *sinks.CountingWriter
	pw      parquet.MetadataWriter
	parts   map[int]any
	rows    int64
	df      iceberg.DataFile
}

// Begin checks, creates and evolves the run's tables and starts its
// writes. A refused schema change is a *sinks.SchemaChangeError, returned
// before anything is written.
func (s *Sink) Begin(ctx context.Context, opts RunOptions) (*Run, error) {
	ctx = s.ctx(ctx)
	r := &Run{
		s: s, opts: opts, tables: map[string]*runTable{},
		props: iceberg.Properties{PropRunID: opts.RunID, PropPipeline: opts.Pipeline},
		day:   iceberg.Date(opts.ExtractedAt.UTC().Unix() / 86400),
	}
	if len(opts.Tables) > 0 {
		ps, err := s.prepare(ctx, opts.Tables)
		if err != nil {
			return nil, err
		}
		for name, p := range ps {
			r.tables[name] = newRunTable(p)
		}
	}
	return r, nil
}

func newRunTable(p *prepared) *runTable {
	rt := &runTable{
		prepared: p, histOpen: map[string]*dataFile{}, spills: map[curPart]*spill{},
		seen: map[xxh3.Uint128]version{}, vendors: map[string]bool{},
	}
	if len(p.spec.rowKey) > 1 {
		rt.replaced = map[xxh3.Uint128]struct{}{}
	}
	return rt
}

// table returns the run's state for a canonical table, preparing the
// table when a batch first brings it.
func (r *Run) table(ctx context.Context, t *schema.Table) (*runTable, error) {
	if rt, ok := r.tables[t.Name]; ok {
		return rt, nil
	}
	ps, err := r.s.prepare(ctx, []*schema.Table{t})
	if err != nil {
		return nil, err
	}
	rt := newRunTable(ps[t.Name])
	r.tables[t.Name] = rt
	return rt, nil
}

// Write adds a batch: every row to its table's history files, and each row
// key's newest version to the current-state files.
func (r *Run) Write(ctx context.Context, b *schema.Batch) error {
	if r.closed {
		return errors.New("iceberg: write after commit")
	}
	ctx = r.s.ctx(ctx)
	for _, rows := range b.Tables() {
		if rows.Len() == 0 {
			continue
		}
		rt, err := r.table(ctx, r.projection(rows.Table))
		if err != nil {
			return err
		}
		if err := r.writeHistory(ctx, rt, rows); err != nil {
			return err
		}
		if err := r.writeCurrent(rt, rows); err != nil {
			return err
		}
		rt.rows += int64(rows.Len())
	}
	return nil
}

// projection is the columns the run writes of a canonical table.
func (r *Run) projection(canon *schema.Table) *schema.Table {
	for _, t := range r.opts.Tables {
		if t.Name == canon.Name {
			return t
		}
	}
	return canon
}

func vendorOf(rt *runTable, row schema.Row) string {
	c, _ := rt.spec.canon.Column("vendor")
	if v := *row.Str(c); v != "" {
		return v
	}
	return "unknown"
}

func (r *Run) writeHistory(ctx context.Context, rt *runTable, rows schema.Rows) error {
	start := 0
	for i := 1; i <= rows.Len(); i++ {
		if i < rows.Len() && vendorOf(rt, rows.Row(i)) == vendorOf(rt, rows.Row(start)) {
			continue
		}
		v := vendorOf(rt, rows.Row(start))
		f, err := r.historyFile(ctx, rt, v)
		if err != nil {
			return err
		}
		if err := f.write(rows.Slice(start, i)); err != nil {
			return err
		}
		start = i
	}
	return nil
}

// writeCurrent spills each row to its current-state partition unless the
// run already holds a newer version of its key; a row that supersedes an
// earlier one of the run marks that one to be dropped at Close.
func (r *Run) writeCurrent(rt *runTable, rows schema.Rows) error {
	for i := range rows.Len() {
		row := rows.Row(i)
		key := rt.rowKey(row)
		v := version{}
		if rt.spec.order != nil {
			if ts := row.Timestamp(rt.spec.order); ts.Valid {
				v.order, v.ordered = ts.Micros, true
			}
		}
		if old, ok := rt.seen[key]; ok && !newer(v, old) {
			continue // an earlier row of this run is newer: this one is history only
		} else if ok {
			sp := rt.spillSeq[old.file]
			sp.drops = append(sp.drops, old.pos)
		}
		vendor := vendorOf(rt, row)
		rt.vendors[vendor] = true
		if rt.replaced != nil {
			rt.replaced[xxh3.HashString128(*row.Str(rt.replaceCol()))] = struct{}{}
		}
		part := rt.curPartOf(row, vendor)
		sp := rt.spills[part]
		if sp == nil {
			dir, err := r.spillDir()
			if err != nil {
				return err
			}
			if sp, err = newSpill(dir, part); err != nil {
				return err
			}
			rt.spills[part] = sp
			rt.spillSeq = append(rt.spillSeq, sp)
		}
		v.file, v.pos = int32(slices.Index(rt.spillSeq, sp)), sp.rows
		rt.seen[key] = v
		if err := sp.add(rt.spec.canon, row); err != nil {
			return err
		}
	}
	return nil
}

// spillDir is the run's directory of spill files, made when first needed.
func (r *Run) spillDir() (string, error) {
	if r.spills == "" {
		dir, err := os.MkdirTemp("", "leadpipe-iceberg-"+r.opts.RunID+"-")
		if err != nil {
			return "", fmt.Errorf("spill the run's current rows: %w", err)
		}
		r.spills = dir
	}
	return r.spills, nil
}

// newer reports whether version a supersedes b: a later updated_at, or
// the same (or none) and later in the run.
func newer(a, b version) bool {
	if a.ordered && b.ordered {
		return a.order >= b.order
	}
	return a.ordered || !b.ordered
}

// rowKey identifies the row's entity in the current-state table.
func (rt *runTable) rowKey(row schema.Row) xxh3.Uint128 {
	if len(rt.spec.rowKey) == 1 {
		return xxh3.HashString128(*row.Str(rt.spec.rowKey[0]))
	}
	var b strings.Builder
	for i, c := range rt.spec.rowKey {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(row.Text(c))
	}
	return xxh3.HashString128(b.String())
}

// replaceCol is the canonical column whose values a run replaces.
func (rt *runTable) replaceCol() *schema.Column {
	name := rt.spec.canon.Key
	if k, ok := replaceKey[rt.spec.canon.Name]; ok {
		name = k
	}
	c, _ := rt.spec.canon.Column(name)
	return c
}

// isReplaced reports whether the run brings a replace-key value.
func (rt *runTable) isReplaced(h xxh3.Uint128) bool {
	if rt.replaced != nil {
		_, ok := rt.replaced[h]
		return ok
	}
	_, ok := rt.seen[h]
	return ok
}

func (rt *runTable) curPartOf(row schema.Row, vendor string) curPart {
	p := curPart{vendor: vendor, null: true}
	if rt.spec.curTime == "" {
		return p
	}
	c, _ := rt.spec.canon.Column(currentTime[rt.spec.canon.Name])
	var t time.Time
	switch c.Kind {
	case schema.KindTimestamp:
		t = row.Timestamp(c).Time()
	case schema.KindDate:
		t = row.Date(c).Time()
	}
	if t.IsZero() {
		return p
	}
	return curPart{vendor: vendor, month: int32((t.Year()-1970)*12 + int(t.Month()) - 1)}
}

func (r *Run) historyFile(ctx context.Context, rt *runTable, vendor string) (*dataFile, error) {
	if f, ok := rt.histOpen[vendor]; ok {
		r.touch(f)
		return f, nil
	}
	parts := map[int]any{rt.histPartIDs.vendor: vendor, rt.histPartIDs.time: r.day}
	dir := partPath(vendor, rt.spec.histTime+"_day", r.day.ToTime().Format("2006-01-02"))
	f, err := r.newFile(ctx, rt, false, dir, parts)
	if err != nil {
		return nil, err
	}
	rt.histOpen[vendor] = f
	return f, nil
}

func (r *Run) currentFile(ctx context.Context, rt *runTable, p curPart) (*dataFile, error) {
	parts := map[int]any{rt.curPartIDs.vendor: p.vendor}
	var dir string
	switch {
	case rt.spec.curTime == "":
		dir = partPath(p.vendor, "", "")
	case p.null:
		parts[rt.curPartIDs.time] = nil
		dir = partPath(p.vendor, rt.spec.curTime+"_month", "null")
	default:
		parts[rt.curPartIDs.time] = p.month
		dir = partPath(p.vendor, rt.spec.curTime+"_month", fmt.Sprintf("%04d-%02d", 1970+p.month/12, p.month%12+1))
	}
	return r.newFile(ctx, rt, true, dir, parts)
}

// partPath is a data file's directory under the table's data/ directory,
// Hive style like the Parquet lake.
func partPath(vendor, timeName, timeValue string) string {
	p := "vendor=" + url.PathEscape(vendor)
	if timeName != "" {
		p += "/" + timeName + "=" + timeValue
	}
	return p
}

// newFile starts a data file, closing the least recently used open file
// when MaxOpenFiles are open.
func (r *Run) newFile(ctx context.Context, rt *runTable, current bool, dir string, parts map[int]any) (*dataFile, error) {
	for len(r.open) >= r.s.opts.MaxOpenFiles {
		if err := r.finish(ctx, r.open[0]); err != nil {
			return nil, err
		}
	}
	tbl, ids := rt.hist, rt.histIDs
	if current {
		tbl, ids = rt.cur, rt.curIDs
	}
	r.seq++
	path := tbl.Location() + "/data/" + dir + "/" + fmt.Sprintf("%s-%05d.parquet", r.opts.RunID, r.seq)
	f := &dataFile{rt: rt, current: current, path: path, key: r.s.Key(path), parts: parts}
	w, err := r.create(ctx, path, tbl.Identifier())
	if err != nil {
		return nil, err
	}
	f.w, f.cw = w, &sinks.CountingWriter{W: w}
	f.pw, err = r.s.opts.Parquet.NewWriterWithIDs(f.cw, rt.spec.t, ids)
	if err != nil {
		_ = w.Close()
		return nil, err
	}
	r.open = append(r.open, f)
	return f, nil
}

// create journals and creates a data file.
func (r *Run) create(ctx context.Context, path string, ident table.Identifier) (iceio.FileWriter, error) {
	key := r.s.Key(path)
	if r.opts.Journal != nil && key != "" {
		if err := r.opts.Journal.AddFile(ctx, key, key, catalog.TableNameFromIdent(ident)); err != nil {
			return nil, err
		}
	}
	fs, err := r.s.fs(ctx, path)
	if err != nil {
		return nil, err
	}
	wfs, ok := fs.(iceio.WriteFileIO)
	if !ok {
		return nil, fmt.Errorf("iceberg: %s is read-only", path)
	}
	w, err := wfs.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return w, nil
}

func (f *dataFile) write(rows schema.Rows) error {
	if err := f.pw.Write(rows.As(f.rt.spec.t)); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	f.rows += int64(rows.Len())
	return nil
}

// touch marks f as just used.
func (r *Run) touch(f *dataFile) {
	for i, g := range r.open {
		if g == f {
			if i == len(r.open)-1 {
				return
			}
			copy(r.open[i:], r.open[i+1:])
			r.open[len(r.open)-1] = f
			return
		}
	}
}

// finish completes a data file and describes it for its table.
func (r *Run) finish(ctx context.Context, f *dataFile) error {
	for i, g := range r.open {
		if g == f {
			r.open = append(r.open[:i], r.open[i+1:]...)
			break
		}
	}
	rt := f.rt
	if !f.current {
		for v, g := range rt.histOpen {
			if g == f {
				delete(rt.histOpen, v)
			}
		}
		rt.histFiles = append(rt.histFiles, f)
	}
	if err := f.pw.Close(); err != nil {
		_ = f.w.Close()
		return fmt.Errorf("finish %s: %w", f.path, err)
	}
	if err := f.w.Close(); err != nil {
		return fmt.Errorf("store %s: %w", f.path, err)
	}
	md, err := f.pw.FileMetadata()
	if err != nil {
		return err
	}
	tbl := rt.hist
	if f.current {
		tbl = rt.cur
	}
	f.df, err = table.DataFileFromMetadata(table.DataFileArgs{
		Schema: tbl.Schema(), Spec: tbl.Spec(), Format: iceberg.ParquetFile, Metadata: md,
		FilePath: f.path, FileSize: f.cw.N, Content: iceberg.EntryContentData,
		PartitionValues: f.parts, Properties: tbl.Properties(), FormatVersion: tbl.Metadata().Version(),
	})
	if err != nil {
		return fmt.Errorf("describe %s: %w", f.path, err)
	}
	if r.opts.Journal != nil && f.key != "" {
		return r.opts.Journal.FileWritten(ctx, f.key, f.rows, f.cw.N)
	}
	return nil
}

// Close finishes the run's data files: every one is complete and durable,
// and referenced by no snapshot until Commit. Rows a newer version later
// in the run superseded are dropped from the current-state files here.
func (r *Run) Close(ctx context.Context) error {
	if r.closed {
		return nil
	}
	ctx = r.s.ctx(ctx)
	for len(r.open) > 0 {
		if err := r.finish(ctx, r.open[0]); err != nil {
			return err
		}
	}
	r.closed = true
	defer r.removeSpills()
	for _, name := range slices.Sorted(maps.Keys(r.tables)) {
		rt := r.tables[name]
		for _, sp := range rt.spillSeq {
			f, err := r.writeSpill(ctx, rt, sp)
			if err != nil {
				return err
			}
			if f == nil {
				continue
			}
			if err := r.finish(ctx, f); err != nil {
				return err
			}
			rt.curFiles = append(rt.curFiles, f)
		}
	}
	return nil
}

// removeSpills deletes the run's spill files.
func (r *Run) removeSpills() {
	for _, rt := range r.tables {
		for _, sp := range rt.spillSeq {
			sp.remove()
		}
		rt.spills, rt.spillSeq = map[curPart]*spill{}, nil
	}
	if r.spills != "" {
		_ = os.RemoveAll(r.spills)
		r.spills = ""
	}
}

// Files describes the run's data files, once closed: the history files
// and the current-state files it adds (keys relative to the warehouse).
func (r *Run) Files() []sinks.WrittenFile {
	var out []sinks.WrittenFile
	day := r.day.ToTime().Format("2006-01-02")
	for _, name := range slices.Sorted(maps.Keys(r.tables)) {
		rt := r.tables[name]
		for _, group := range [][]*dataFile{rt.histFiles, rt.curFiles} {
			for _, f := range group {
				if f.df == nil || f.rows == 0 {
					continue
				}
				t := name
				if f.current {
					t += CurrentSuffix
				}
				vendor, _ := f.parts[rt.histPartIDs.vendor].(string)
				if f.current {
					vendor, _ = f.parts[rt.curPartIDs.vendor].(string)
				}
				out = append(out, sinks.WrittenFile{Key: r.s.Key(f.path), Table: t, Vendor: vendor, Date: day, Rows: f.rows, Bytes: f.df.FileSizeBytes()})
			}
		}
	}
	return out
}

// Abort stops the run's writes. The files already written are referenced
// by no snapshot; the journal lists them for removal.
func (r *Run) Abort() {
	for _, f := range r.open {
		_ = f.w.Close()
	}
	r.open = nil
	r.removeSpills()
	r.closed, r.committed = true, true
}

// TableResult is what a run committed to one canonical table's pair of
// Iceberg tables.
type TableResult struct {
	Rows int64 `json:"rows"`
	// HistoryFiles are the data files appended to <table>.
	HistoryFiles int   `json:"history_files"`
	HistoryBytes int64 `json:"history_bytes"`
	// CurrentRows are the rows the run put in <table>_current (its newest
	// version of each key); CurrentFiles the data files it added there.
	CurrentRows  int64 `json:"current_rows"`
	CurrentFiles int   `json:"current_files"`
	// Rewritten are the stored current-state files that held a replaced
	// row and were rewritten without it; Removed those that held only
	// replaced rows and were dropped.
	Rewritten int `json:"rewritten_files"`
	Removed   int `json:"removed_files"`
	// ReplacedRows are the stored rows the run's rows replaced.
	ReplacedRows int64 `json:"replaced_rows"`
}

// Result is a committed run.
type Result struct {
	Tables   map[string]TableResult `json:"tables"`
	Attempts int                    `json:"attempts"`
}

// ErrNothingToCommit is returned by Commit when the run wrote no rows: no
// snapshot is made.
var ErrNothingToCommit = errors.New("iceberg: the run wrote no rows")

// maxAttempts bounds the commit retries after a concurrent commit of
// another pipeline to the same tables.
const maxAttempts = 5

// Commit finishes the data files and commits the run: for each table, the
// history table gains an append snapshot of the run's rows, and the
// current-state table one overwrite snapshot that removes every stored row
// whose key the run brings (rewriting the files that held them) and adds
// the run's newest row per key. All tables move in one catalog transaction,
// and every snapshot's summary carries the run id. When another pipeline
// committed to the same tables in between, the commit is rebuilt on the
// new state and tried again.
func (r *Run) Commit(ctx context.Context) (*Result, error) {
	if r.committed {
		return nil, errors.New("iceberg: a run commits once")
	}
	if err := r.Close(ctx); err != nil {
		return nil, err
	}
	r.committed = true
	ctx = r.s.ctx(ctx)
	res := &Result{Tables: map[string]TableResult{}}
	var total int64
	for _, rt := range r.tables {
		total += rt.rows
	}
	if total == 0 {
		return nil, ErrNothingToCommit
	}
	for attempt := 1; ; attempt++ {
		res.Attempts = attempt
		written, err := r.commitOnce(ctx, res)
		if err == nil {
			return res, nil
		}
		r.removeFiles(ctx, written)
		if !errors.Is(err, table.ErrCommitFailed) || attempt == maxAttempts {
			return nil, fmt.Errorf("commit run %s to the Iceberg catalog: %w", r.opts.RunID, err)
		}
		time.Sleep(time.Duration(attempt*attempt) * 50 * time.Millisecond)
		if err := r.reload(ctx); err != nil {
			return nil, err
		}
	}
}

// commitOnce builds every table's transaction on the tables as loaded and
// commits them together. It returns the files it rewrote, which nothing
// references when the commit fails.
func (r *Run) commitOnce(ctx context.Context, res *Result) ([]string, error) {
	mtx, err := catalog.NewMultiTableTransaction(r.s.cat)
	if err != nil {
		return nil, err
	}
	var written []string
	opts := []table.WriteOption{table.WithoutAutoNameMapping(), table.WithoutDuplicateCheck()}
	for _, name := range slices.Sorted(maps.Keys(r.tables)) {
		rt := r.tables[name]
		if rt.rows == 0 {
			continue
		}
		tr := TableResult{Rows: rt.rows}
		var hist []iceberg.DataFile
		for _, f := range rt.histFiles {
			hist = append(hist, f.df)
			tr.HistoryFiles++
			tr.HistoryBytes += f.cw.N
		}
		htx := rt.hist.NewTransaction()
		if err := htx.AddDataFiles(ctx, hist, r.props, opts...); err != nil {
			return written, fmt.Errorf("append to %s: %w", name, err)
		}
		if err := mtx.AddTransaction(htx); err != nil {
			return written, err
		}

		var cur []iceberg.DataFile
		for _, f := range rt.curFiles {
			if f.df != nil && f.rows > 0 {
				cur = append(cur, f.df)
				tr.CurrentFiles++
				tr.CurrentRows += f.rows
			}
		}
		plan, err := r.replaceRows(ctx, rt)
		written = append(written, plan.written...)
		if err != nil {
			return written, fmt.Errorf("upsert %s%s: %w", name, CurrentSuffix, err)
		}
		tr.Rewritten, tr.Removed, tr.ReplacedRows = len(plan.add), len(plan.remove)-len(plan.add), plan.rows
		ctx2 := rt.cur.NewTransaction()
		if err := ctx2.ReplaceDataFilesWithDataFiles(ctx, plan.remove, append(plan.add, cur...), r.props, opts...); err != nil {
			return written, fmt.Errorf("upsert %s%s: %w", name, CurrentSuffix, err)
		}
		if err := mtx.AddTransaction(ctx2); err != nil {
			return written, err
		}
		res.Tables[name] = tr
	}
	return written, mtx.Commit(ctx)
}

// reload loads every table again after a failed commit.
func (r *Run) reload(ctx context.Context) error {
	for name, rt := range r.tables {
		var err error
		if rt.hist, err = r.s.cat.LoadTable(ctx, r.s.ident(name)); err != nil {
			return err
		}
		if rt.cur, err = r.s.cat.LoadTable(ctx, r.s.ident(name+CurrentSuffix)); err != nil {
			return err
		}
	}
	return nil
}

// removeFiles deletes files no snapshot references (best effort: the
// journal still lists them).
func (r *Run) removeFiles(ctx context.Context, paths []string) {
	for _, p := range paths {
		if fs, err := r.s.fs(ctx, p); err == nil {
			_ = fs.Remove(p)
		}
	}
}
