// Package storage is the one interface behind every place leadpipe reads or
// writes files: the lake root of a sink, the file source of a push, receipts,
// rejects and reports. A location is a local path, a file:// URL or (with
// the S3 backend) an s3://bucket/prefix URL.
//
// Keys are slash-separated and relative to the root the Storage was opened
// at. Writes are atomic per object: nothing is visible under a key until the
// writer's Close returns nil, so a crash never leaves a half-written file
// under its final name.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// ErrNotExist is returned (wrapped) when an object does not exist.
var ErrNotExist = errors.New("object does not exist")

// Storage is a flat namespace of objects under one root.
type Storage interface {
	// Create opens key for writing. The object appears under key only when
	// Close returns nil; Abort discards everything written.
	Create(ctx context.Context, key string) (Writer, error)
	// Open reads an object, streaming.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat describes one object.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List returns every object whose key starts with prefix, recursively,
	// sorted by key.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Delete removes an object. Deleting a missing object is not an error, so
	// crash clean-up can be repeated.
	Delete(ctx context.Context, key string) error
	// Rename moves an object to a new key, replacing any object there.
	Rename(ctx context.Context, from, to string) error
	// URL is a human-readable location for messages and manifests
	// (file:///abs/root/key or s3://bucket/prefix/key). It never holds
	// credentials.
	URL(key string) string
}

// Writer is an object being written.
type Writer interface {
	io.Writer
	// Close makes the object visible under its key.
	Close() error
	// Abort discards the object. It is safe to call after Close.
	Abort() error
}

// ObjectInfo describes an object.
type ObjectInfo struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Opener opens a Storage for a location of one URL scheme.
type Opener func(ctx context.Context, location string, opts Options) (Storage, error)

// Options are the settings a pipeline can give a storage backend. Backends
// ignore the ones that do not apply to them.
type Options struct {
	// S3 settings (see the S3 backend).
	Region       string
	Endpoint     string
	UsePathStyle *bool
	Profile      string
	// Private makes the objects readable by their owner only, where the
	// backend has owners (local files 0600 in directories it creates 0700):
	// receipts and rejects hold what a partner sent.
	Private bool
}

// TempRemover is implemented by backends whose writers keep a temporary
// object beside its key until Close (the local file system). A writer whose
// process died leaves it behind; the run that recovers the dead one removes
// it by the keys the dead run journaled.
type TempRemover interface {
	// RemoveTemps removes the temporary files of writers of these keys and
	// returns how many it removed. Only call it for keys no live writer
	// writes.
	RemoveTemps(ctx context.Context, keys []string) (int, error)
}

// RemoveTemps removes the temporary files of writers of keys that died, on
// backends that have any (see TempRemover).
func RemoveTemps(ctx context.Context, st Storage, keys ...string) (int, error) {
	tr, ok := st.(TempRemover)
	if !ok || len(keys) == 0 {
		return 0, nil
	}
	return tr.RemoveTemps(ctx, keys)
}

// Put writes a whole object: it appears under key, complete, or not at
// all. The error names the object's URL.
func Put(ctx context.Context, st Storage, key string, data []byte) error {
	w, err := st.Create(ctx, key)
	if err != nil {
		return fmt.Errorf("write %s: %w", st.URL(key), err)
	}
	if _, err := w.Write(data); err != nil {
		_ = w.Abort()
		return fmt.Errorf("write %s: %w", st.URL(key), err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", st.URL(key), err)
	}
	return nil
}

var (
	mu      sync.RWMutex
	openers = map[string]Opener{}
)

// Register adds a backend for a URL scheme ("file", "s3"). It panics on a
// duplicate scheme.
func Register(scheme string, o Opener) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := openers[scheme]; dup {
		panic(fmt.Sprintf("storage: scheme %q registered twice", scheme))
	}
	openers[scheme] = o
}

// Scheme returns the URL scheme of a location; plain paths are "file".
func Scheme(location string) string {
	if i := strings.Index(location, "://"); i > 0 {
		return strings.ToLower(location[:i])
	}
	return "file"
}

// Open opens the storage rooted at location.
func Open(ctx context.Context, location string, opts Options) (Storage, error) {
	scheme := Scheme(location)
	mu.RLock()
	o, ok := openers[scheme]
	mu.RUnlock()
	if !ok {
		known := make([]string, 0, len(openers))
		for s := range openers {
			known = append(known, s+"://")
		}
		sort.Strings(known)
		return nil, fmt.Errorf("open %s: unsupported location scheme %q (supported: plain paths, %s)",
			location, scheme, strings.Join(known, ", "))
	}
	return o(ctx, location, opts)
}

// Split separates a location that names one object ("./in/leads.csv",
// "s3://b/in/leads.csv") into its parent location and the object's key, so a
// caller can Open the parent and read the key.
func Split(location string) (dir, key string) {
	i := strings.LastIndex(location, "/")
	if i < 0 {
		return ".", location
	}
	if j := strings.Index(location, "://"); j >= 0 && i < j+3 {
		return location, ""
	}
	dir, key = location[:i], location[i+1:]
	if dir == "" {
		dir = "/"
	}
	return dir, key
}
