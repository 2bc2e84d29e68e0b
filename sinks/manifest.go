package sinks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/leadpipe/leadpipe/sinks/storage"
)

// SchemaVersion is the version of the canonical schema the files follow.
const SchemaVersion = 1

// Manifest is <root>/_runs/<run_id>.json: the record of one committed run.
// It is written after every data file of the run is in place, and before the
// run's cursors advance; a reader that wants strict all-or-nothing visibility
// reads the files a manifest lists instead of globbing.
type Manifest struct {
	RunID         string                  `json:"run_id"`
	Pipeline      string                  `json:"pipeline"`
	SchemaVersion int                     `json:"schema_version"`
	Format        string                  `json:"format"`
	StartedAt     time.Time               `json:"started_at"`
	FinishedAt    time.Time               `json:"finished_at"`
	Files         []WrittenFile           `json:"files"`
	Rows          map[string]int64        `json:"rows"`
	Cursors       map[string]CursorWindow `json:"cursors"`
}

// CursorWindow is how far a stream's cursor moved in the run.
type CursorWindow struct {
	From string `json:"from,omitempty"`
	To   string `json:"to"`
}

// ManifestKey is where a run's manifest lives.
func ManifestKey(runID string) string { return "_runs/" + runID + ".json" }

// WriteManifest stores m atomically.
func WriteManifest(ctx context.Context, store storage.Storage, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := storage.Put(ctx, store, ManifestKey(m.RunID), append(b, '\n')); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	return nil
}

// ReadManifest loads a run's manifest; a missing one wraps
// storage.ErrNotExist.
func ReadManifest(ctx context.Context, store storage.Storage, runID string) (*Manifest, error) {
	r, err := store.Open(ctx, ManifestKey(runID))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", store.URL(ManifestKey(runID)), err)
	}
	return &m, nil
}
