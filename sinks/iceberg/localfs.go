package iceberg

import (
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"

	iceio "github.com/apache/iceberg-go/io"

	"github.com/leadpipe/leadpipe/sinks/storage/local"
)

// iceberg-go's local file IO creates files without syncing them. A run's
// cursors advance right after its commit, so everything the commit refers
// to (data files, manifests, metadata) must be on disk by then: this IO
// syncs each file it writes, and its directory, before reporting it
// written. It replaces the file:// (and plain path) registration.
func init() {
	factory := func(context.Context, *url.URL, map[string]string) (iceio.IO, error) { return durableFS{}, nil }
	for _, scheme := range []string{"file", ""} {
		iceio.Unregister(scheme)
		iceio.Register(scheme, factory)
	}
}

type durableFS struct{ iceio.LocalFS }

// Create writes a file that is synced, with its directory, on Close.
func (fs durableFS) Create(name string) (iceio.FileWriter, error) {
	w, err := fs.LocalFS.Create(name)
	if err != nil {
		return nil, err
	}
	f, ok := w.(*os.File)
	if !ok {
		return w, nil
	}
	return &syncedFile{File: f}, nil
}

// WriteFile writes and syncs a whole file.
func (fs durableFS) WriteFile(name string, p []byte) error {
	w, err := fs.Create(name)
	if err != nil {
		return err
	}
	if _, err := w.Write(p); err != nil {
		_ = w.Close()
		return err
	}
	return w.Close()
}

type syncedFile struct{ *os.File }

// ReadFrom copies through Write (os.File's own ReadFrom is fine too; this
// just keeps the type's method set explicit).
func (f *syncedFile) ReadFrom(r io.Reader) (int64, error) { return io.Copy(f.File, r) }

func (f *syncedFile) Close() error {
	err := f.File.Sync()
	err = errors.Join(err, f.File.Close())
	if err != nil {
		return err
	}
	return local.SyncDir(filepath.Dir(f.Name()))
}
