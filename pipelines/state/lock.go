package state

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// LockedError says another process is running the pipeline.
type LockedError struct {
	Pipeline string
	PID      int
	Host     string
	Since    time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("pipeline %s is already running (pid %d on %s since %s); wait for it to finish, "+
		"or if that process is gone, its lock expires %s after its last heartbeat",
		e.Pipeline, e.PID, e.Host, e.Since.Format(time.RFC3339), lockTTL)
}

// ErrLocked matches a *LockedError with errors.Is.
var ErrLocked = errors.New("pipeline is locked")

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

const (
	lockTTL       = 90 * time.Second
	lockHeartbeat = 20 * time.Second
)

// Lock takes the pipeline's run lock, so that two runs of one pipeline never
// overlap, whichever process started them. The lock is a row in the state
// store, kept alive by a heartbeat; a lock whose process is gone (same host)
// or whose heartbeat stopped is taken over. Call release when the run ends.
func (s *Store) Lock(ctx context.Context, pipeline string) (release func(), err error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	owner := hex.EncodeToString(b[:])
	host, _ := os.Hostname()
	pid := os.Getpid()
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var curOwner, curHost, acquired, beat string
		var curPID int
		err := tx.QueryRowContext(ctx, `SELECT owner, pid, host, acquired_at, beat_at FROM locks WHERE pipeline = ?`, pipeline).
			Scan(&curOwner, &curPID, &curHost, &acquired, &beat)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			beatAt, _ := time.Parse(time.RFC3339Nano, beat)
			stale := s.now().Sub(beatAt) > lockTTL || (curHost == host && !processAlive(curPID))
			if !stale {
				since, _ := time.Parse(time.RFC3339Nano, acquired)
				return &LockedError{Pipeline: pipeline, PID: curPID, Host: curHost, Since: since}
			}
		}
		now := s.stamp()
		_, err = tx.ExecContext(ctx, `INSERT INTO locks (pipeline, owner, pid, host, acquired_at, beat_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (pipeline) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,
			acquired_at = excluded.acquired_at, beat_at = excluded.beat_at`, pipeline, owner, pid, host, now, now)
		return err
	})
	if err != nil {
		var le *LockedError
		if errors.As(err, &le) {
			return nil, err
		}
		return nil, fmt.Errorf("take the run lock of %s: %w", pipeline, err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(lockHeartbeat)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				_, _ = s.db.Exec(`UPDATE locks SET beat_at = ? WHERE pipeline = ? AND owner = ?`, s.stamp(), pipeline, owner)
			}
		}
	}()
	var released bool
	return func() {
		if released {
			return
		}
		released = true
		close(stop)
		<-done
		_, _ = s.db.Exec(`DELETE FROM locks WHERE pipeline = ? AND owner = ?`, pipeline, owner)
	}, nil
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
