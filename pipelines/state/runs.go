package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// Run statuses. A run moves running → committing → committed, or ends
// failed (its files removed) or rolled_back (removed by a later run's
// recovery after a crash). A failed or cancelled run whose files could not
// all be removed (the storage was down) is failed_files_left or
// cancelled_files_left until the next run of its pipeline removes them; so
// the status always says whether a run's files are gone.
const (
	RunRunning    = "running"
	RunCommitting = "committing" // data files published, manifest being written
	RunCommitted  = "committed"
	RunFailed     = "failed"
	RunRolledBack = "rolled_back"
	RunSucceeded  = "succeeded" // push runs, which have no files to commit
	RunCancelled  = "cancelled"

	RunFailedFilesLeft    = RunFailed + filesLeft
	RunCancelledFilesLeft = RunCancelled + filesLeft
)

const filesLeft = "_files_left"

// FilesLeft is the status of a run that ended with status but whose files
// are not all removed yet.
func FilesLeft(status string) string {
	if strings.HasSuffix(status, filesLeft) {
		return status
	}
	return status + filesLeft
}

// Settled is a status without its "files left" mark: what the run's status
// becomes once its files are removed (failed_files_left → failed).
func Settled(status string) string { return strings.TrimSuffix(status, filesLeft) }

// endedStatuses are the statuses of runs that ended without committing.
// Their files are removed, or to be removed.
var endedStatuses = []string{RunFailed, RunCancelled, RunRolledBack, RunFailedFilesLeft, RunCancelledFilesLeft}

// Run is one entry of the run journal.
type Run struct {
	ID         string
	Pipeline   string
	Kind       string // pull | push
	Status     string
	StartedAt  time.Time
	FinishedAt time.Time
	Error      string
	Sink       string            // the sink location, for crash recovery
	Cursors    map[string]string // cursors staged by the run
	Summary    json.RawMessage
	PID        int
	Host       string
}

// Duration is how long the run took (so far).
func (r Run) Duration() time.Duration {
	if r.FinishedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

// RunFile is a data file a run wrote.
type RunFile struct {
	RunID  string
	Staged string // key written first, hidden from readers
	Final  string // key after publishing
	State  string // staged | published
	Table  string
	Rows   int64
	Bytes  int64
}

// BeginRun records the start of a run.
func (s *Store) BeginRun(ctx context.Context, r Run) error {
	host, _ := os.Hostname()
	_, err := s.db.ExecContext(ctx, `INSERT INTO runs (run_id, pipeline, kind, status, started_at, sink, pid, host)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Pipeline, r.Kind, RunRunning, r.StartedAt.UTC().Format(time.RFC3339Nano), r.Sink, os.Getpid(), host)
	if err != nil {
		return fmt.Errorf("record run start: %w", err)
	}
	return nil
}

// AddFile records a data file before it is created, so a crash at any
// point leaves a journal entry that names everything to clean up.
func (s *Store) AddFile(ctx context.Context, f RunFile) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO run_files (run_id, staged, final, state, tbl) VALUES (?, ?, ?, 'staged', ?)`,
		f.RunID, f.Staged, f.Final, f.Table)
	if err != nil {
		return fmt.Errorf("journal file %s: %w", f.Staged, err)
	}
	return nil
}

// FileWritten records the size of a finished data file.
func (s *Store) FileWritten(ctx context.Context, runID, staged string, rows, bytes int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE run_files SET rows = ?, bytes = ? WHERE run_id = ? AND staged = ?`,
		rows, bytes, runID, staged)
	return err
}

// FilePublished records that a staged file was moved to its final key.
func (s *Store) FilePublished(ctx context.Context, runID, staged string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE run_files SET state = 'published' WHERE run_id = ? AND staged = ?`, runID, staged)
	return err
}

// FilesRemoved records that every data file of a run (both of its names)
// and its manifest are gone from storage.
func (s *Store) FilesRemoved(ctx context.Context, runID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE run_files SET state = 'removed' WHERE run_id = ?`, runID)
	if err != nil {
		return fmt.Errorf("journal the removal of run %s's files: %w", runID, err)
	}
	return nil
}

// SettleRun gives a run whose files were left behind its settled status
// (Settled) now that they are removed, and adds note to its error.
func (s *Store) SettleRun(ctx context.Context, runID, note string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var status string
		var errMsg sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT status, error FROM runs WHERE run_id = ?`, runID).Scan(&status, &errMsg); err != nil {
			return fmt.Errorf("settle run %s: %w", runID, err)
		}
		msg := note
		if errMsg.String != "" {
			msg = errMsg.String + "; " + note
		}
		_, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, error = ? WHERE run_id = ?`, Settled(status), msg, runID)
		return err
	})
}

// Files lists a run's data files.
func (s *Store) Files(ctx context.Context, runID string) ([]RunFile, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, staged, final, state, tbl, rows, bytes FROM run_files WHERE run_id = ? ORDER BY final`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RunFile
	for rows.Next() {
		var f RunFile
		if err := rows.Scan(&f.RunID, &f.Staged, &f.Final, &f.State, &f.Table, &f.Rows, &f.Bytes); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// SetCommitting records that the run's files are published and its manifest
// is being written, with the cursors it will commit. Recovery after a crash
// finishes such a run if its manifest exists.
func (s *Store) SetCommitting(ctx context.Context, runID string, cursors map[string]string) error {
	b, _ := json.Marshal(cursors)
	_, err := s.db.ExecContext(ctx, `UPDATE runs SET status = ?, cursors = ? WHERE run_id = ?`, RunCommitting, string(b), runID)
	return err
}

// CommitRun advances the cursors and marks the run committed, in one
// transaction. It is the last step of the pull commit protocol.
func (s *Store) CommitRun(ctx context.Context, runID, pipeline string, cursors map[string]string, summary any) error {
	sum, _ := json.Marshal(summary)
	now := s.stamp()
	return s.tx(ctx, func(tx *sql.Tx) error {
		for stream, v := range cursors {
			if _, err := tx.ExecContext(ctx, `INSERT INTO cursors (pipeline, stream, value, run_id, updated_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (pipeline, stream) DO UPDATE SET value = excluded.value, run_id = excluded.run_id, updated_at = excluded.updated_at`,
				pipeline, stream, v, runID, now); err != nil {
				return fmt.Errorf("commit cursor %s: %w", stream, err)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, finished_at = ?, summary = COALESCE(?, summary) WHERE run_id = ?`,
			RunCommitted, now, nullJSON(sum), runID)
		return err
	})
}

// FinishRun ends a run with a final status (failed, rolled_back, succeeded,
// cancelled) and its summary.
func (s *Store) FinishRun(ctx context.Context, runID, status, errMsg string, summary any) error {
	var sum []byte
	if summary != nil {
		sum, _ = json.Marshal(summary)
	}
	_, err := s.db.ExecContext(ctx, `UPDATE runs SET status = ?, finished_at = ?, error = ?, summary = COALESCE(?, summary) WHERE run_id = ?`,
		status, s.stamp(), nullString(errMsg), nullJSON(sum), runID)
	return err
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullJSON(b []byte) any {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return string(b)
}

const runCols = `run_id, pipeline, kind, status, started_at, finished_at, error, sink, cursors, summary, pid, host`

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var started, finished, errMsg, sink, cursors, summary, host sql.NullString
	var pid sql.NullInt64
	if err := sc.Scan(&r.ID, &r.Pipeline, &r.Kind, &r.Status, &started, &finished, &errMsg, &sink, &cursors, &summary, &pid, &host); err != nil {
		return r, err
	}
	r.StartedAt, r.FinishedAt = parseTime(started), parseTime(finished)
	r.Error, r.Sink, r.Host, r.PID = errMsg.String, sink.String, host.String, int(pid.Int64)
	if cursors.Valid {
		_ = json.Unmarshal([]byte(cursors.String), &r.Cursors)
	}
	if summary.Valid {
		r.Summary = json.RawMessage(summary.String)
	}
	return r, nil
}

// UnfinishedRuns lists a pipeline's runs that never reached a final status:
// the process died during them.
func (s *Store) UnfinishedRuns(ctx context.Context, pipeline string) ([]Run, error) {
	return s.queryRuns(ctx, `SELECT `+runCols+` FROM runs WHERE pipeline = ? AND status IN (?, ?) ORDER BY started_at`,
		pipeline, RunRunning, RunCommitting)
}

// RunsToRecover lists what the next run of a pipeline must finish or clean
// before it writes anything, oldest first: the runs whose process died
// (running, committing), and the runs that ended without committing but
// still have data files not known to be removed (a failed run whose
// clean-up met a storage outage; a failure recorded by an older leadpipe,
// which did not journal removals).
func (s *Store) RunsToRecover(ctx context.Context, pipeline string) ([]Run, error) {
	ended := strings.TrimSuffix(strings.Repeat("?, ", len(endedStatuses)), ", ")
	args := []any{pipeline, RunRunning, RunCommitting}
	for _, st := range endedStatuses {
		args = append(args, st)
	}
	return s.queryRuns(ctx, `SELECT `+runCols+` FROM runs r WHERE pipeline = ? AND (status IN (?, ?) OR (status IN (`+ended+`)
		AND EXISTS (SELECT 1 FROM run_files f WHERE f.run_id = r.run_id AND f.state <> 'removed'))) ORDER BY started_at`, args...)
}

// RunFilter selects runs for `leadpipe runs`.
type RunFilter struct {
	Pipeline string
	Failed   bool
	Limit    int
}

// Runs lists runs, newest first.
func (s *Store) Runs(ctx context.Context, f RunFilter) ([]Run, error) {
	var where []string
	var args []any
	if f.Pipeline != "" {
		where = append(where, "pipeline = ?")
		args = append(args, f.Pipeline)
	}
	if f.Failed {
		where = append(where, "status IN ('failed', 'rolled_back', 'cancelled', 'failed_files_left', 'cancelled_files_left')")
	}
	q := `SELECT ` + runCols + ` FROM runs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY started_at DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return s.queryRuns(ctx, q, args...)
}

// Run returns one run.
func (s *Store) Run(ctx context.Context, id string) (Run, error) {
	runs, err := s.queryRuns(ctx, `SELECT `+runCols+` FROM runs WHERE run_id = ?`, id)
	if err != nil {
		return Run{}, err
	}
	if len(runs) == 0 {
		return Run{}, fmt.Errorf("run %s: %w", id, ErrNotFound)
	}
	return runs[0], nil
}

// LastSuccess returns when a pipeline last finished successfully.
func (s *Store) LastSuccess(ctx context.Context, pipeline string) (time.Time, error) {
	var v sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT MAX(finished_at) FROM runs WHERE pipeline = ? AND status IN (?, ?)`,
		pipeline, RunCommitted, RunSucceeded).Scan(&v)
	if err != nil {
		return time.Time{}, err
	}
	return parseTime(v), nil
}

func (s *Store) queryRuns(ctx context.Context, q string, args ...any) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read run journal: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
