// Package local is the storage backend for the local file system. It
// registers the "file" scheme: a location is a plain path (relative or
// absolute) or a file:// URL.
//
// Objects are files under the root; keys are slash-separated paths relative
// to it and may not leave it. A write goes to a temporary file beside its
// target, named ".<name>.<random>.tmp" (List never shows these), which Close
// fsyncs and renames onto the key before it fsyncs the directory. A writer
// that is never closed (a crash) leaves only its temporary file; the key
// keeps its previous object, or none.
package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/leadpipe/leadpipe/sinks/storage"
)

func init() {
	storage.Register("file", func(ctx context.Context, location string, opts storage.Options) (storage.Storage, error) {
		fs, err := Open(location)
		if err != nil {
			return nil, err
		}
		fs.private = opts.Private
		return fs, nil
	})
}

// Temporary files are named tmpPrefix + base name + "." + random + tmpSuffix.
const (
	tmpPrefix = "."
	tmpSuffix = ".tmp"
)

// FS is a Storage rooted at a local directory.
type FS struct {
	root    string // absolute, cleaned, OS separators
	private bool   // objects 0600, new directories 0700 (storage.Options.Private)
}

var _ storage.Storage = (*FS)(nil)

// Open returns the storage rooted at location: a plain path or a file://
// URL (file:///abs/path, file://localhost/abs/path). The root directory need
// not exist yet; writes create it.
func Open(location string) (*FS, error) {
	p, err := rootPath(location)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", location, err)
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("open %s: %s is not a directory", location, abs)
	}
	return &FS{root: abs}, nil
}

// rootPath turns a location into a file system path.
func rootPath(location string) (string, error) {
	if location == "" {
		return "", errors.New("open local storage: empty location")
	}
	if storage.Scheme(location) != "file" {
		return "", fmt.Errorf("open %s: not a local location", location)
	}
	if !strings.Contains(location, "://") {
		return location, nil
	}
	u, err := url.Parse(location)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", location, err)
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("open %s: file URL names host %q; use file:///absolute/path or a plain relative path", location, u.Host)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("open %s: file URL with a query or fragment", location)
	}
	if u.Path == "" {
		return "", fmt.Errorf("open %s: file URL without a path", location)
	}
	return filepath.FromSlash(u.Path), nil
}

// Root is the absolute directory the storage is rooted at.
func (s *FS) Root() string { return s.root }

// ErrInvalidKey reports a key that is empty, absolute, leaves the root or
// names a temporary file.
var ErrInvalidKey = errors.New("invalid key")

// path validates key and returns its file path.
func (s *FS) path(key string) (string, error) {
	clean := path.Clean(key)
	switch {
	case key == "" || clean == "." || clean == "/":
		return "", fmt.Errorf("%w %q: empty", ErrInvalidKey, key)
	case path.IsAbs(key) || filepath.IsAbs(key) || filepath.VolumeName(key) != "":
		return "", fmt.Errorf("%w %q: absolute; keys are relative to %s", ErrInvalidKey, key, s.root)
	case clean == ".." || strings.HasPrefix(clean, "../"):
		return "", fmt.Errorf("%w %q: leaves the root %s", ErrInvalidKey, key, s.root)
	case strings.ContainsRune(key, 0) || strings.ContainsRune(key, '\\'):
		return "", fmt.Errorf("%w %q: NUL or backslash", ErrInvalidKey, key)
	case isTemp(path.Base(clean)):
		return "", fmt.Errorf("%w %q: names a temporary file (%s*%s)", ErrInvalidKey, key, tmpPrefix, tmpSuffix)
	}
	return filepath.Join(s.root, filepath.FromSlash(clean)), nil
}

func isTemp(name string) bool {
	return strings.HasPrefix(name, tmpPrefix) && strings.HasSuffix(name, tmpSuffix)
}

// key is the slash-separated key of a file path under the root.
func (s *FS) key(p string) string {
	rel, err := filepath.Rel(s.root, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

func notExist(op, p string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%s %s: %w", op, p, storage.ErrNotExist)
	}
	return fmt.Errorf("%s %s: %w", op, p, err)
}

// Create starts writing key. Nothing appears under key until Close returns
// nil; parent directories are created as needed.
func (s *FS) Create(ctx context.Context, key string) (storage.Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("create %s: %w", key, err)
	}
	p, err := s.path(key)
	if err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	dir := filepath.Dir(p)
	dirMode, fileMode := os.FileMode(0o755), os.FileMode(0o644)
	if s.private {
		dirMode, fileMode = 0o700, 0o600
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("create %s: %w", p, err)
	}
	f, err := os.CreateTemp(dir, tmpPrefix+filepath.Base(p)+".*"+tmpSuffix)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", p, err)
	}
	// CreateTemp makes the file 0600; objects are ordinary files unless the
	// storage is private.
	if err := f.Chmod(fileMode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("create %s: %w", p, err)
	}
	return &writer{f: f, bw: bufio.NewWriterSize(f, 64<<10), path: p}, nil
}

// writer is an object being written to its temporary file.
type writer struct {
	f    *os.File
	bw   *bufio.Writer
	path string
	done bool  // closed or aborted
	err  error // the result of Close, or errAborted
}

var errAborted = errors.New("writer was aborted")

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("write %s: %w", w.path, os.ErrClosed)
	}
	return w.bw.Write(p)
}

// Close flushes and fsyncs the temporary file, renames it onto the key and
// fsyncs the directory, so the object survives a crash once Close returns.
// On failure the temporary file is removed and the key is unchanged.
func (w *writer) Close() error {
	if w.done {
		if w.err == errAborted {
			return fmt.Errorf("close %s: %w", w.path, errAborted)
		}
		return w.err
	}
	w.done = true
	w.err = w.commit()
	return w.err
}

func (w *writer) commit() error {
	tmp := w.f.Name()
	fail := func(err error) error {
		w.f.Close()
		os.Remove(tmp)
		return fmt.Errorf("close %s: %w", w.path, err)
	}
	if err := w.bw.Flush(); err != nil {
		return fail(err)
	}
	if err := w.f.Sync(); err != nil {
		return fail(err)
	}
	if err := w.f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("close %s: %w", w.path, err)
	}
	if err := os.Rename(tmp, w.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("close %s: %w", w.path, err)
	}
	if err := SyncDir(filepath.Dir(w.path)); err != nil {
		return fmt.Errorf("close %s: sync directory: %w", w.path, err)
	}
	return nil
}

// Abort discards the temporary file. After Close it does nothing.
func (w *writer) Abort() error {
	if w.done {
		return nil
	}
	w.done, w.err = true, errAborted
	w.f.Close()
	if err := os.Remove(w.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("abort %s: %w", w.path, err)
	}
	return nil
}

// SyncDir makes a rename in dir (or a new file in it) durable. File systems that cannot sync a
// directory (EINVAL) are not an error.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}

// Open reads an object.
func (s *FS) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, notExist("open", p, err)
	}
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		f.Close()
		if err == nil {
			err = fs.ErrNotExist // a directory is not an object
		}
		return nil, notExist("open", p, err)
	}
	return f, nil
}

// Stat describes an object.
func (s *FS) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	p, err := s.path(key)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	fi, err := os.Stat(p)
	if err == nil && fi.IsDir() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return storage.ObjectInfo{}, notExist("stat", p, err)
	}
	return storage.ObjectInfo{Key: s.key(p), Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// List returns every object whose key starts with prefix (a plain string
// prefix, as in S3: "a/b" matches "a/b.txt" and "a/bc/d"; end the prefix
// with "/" to list one directory), recursively, sorted by key. Temporary
// files are skipped. A prefix under no directory lists nothing.
func (s *FS) List(ctx context.Context, prefix string) ([]storage.ObjectInfo, error) {
	if strings.HasPrefix(prefix, "/") || strings.Contains("/"+prefix, "/../") || prefix == ".." {
		return nil, fmt.Errorf("list: %w %q: prefixes are relative to %s", ErrInvalidKey, prefix, s.root)
	}
	// Walk only the deepest directory the prefix names.
	start := s.root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		start = filepath.Join(s.root, filepath.FromSlash(prefix[:i]))
	}
	var out []storage.ObjectInfo
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		key := s.key(p)
		if d.IsDir() {
			// Skip directories that cannot hold a match.
			if p != start && !strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if isTemp(d.Name()) || !strings.HasPrefix(key, prefix) {
			return nil
		}
		fi, err := os.Stat(p) // follows a symlink to its file
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted meanwhile, or a dangling link
			}
			return err
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		out = append(out, storage.ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s under %s: %w", prefix, s.root, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes an object; a missing object is not an error.
func (s *FS) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	fi, err := os.Lstat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", p, err)
	}
	if fi.IsDir() {
		return nil // no object has this key
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	return nil
}

// Rename moves an object to a new key atomically, replacing any object
// there; parent directories of the new key are created.
func (s *FS) Rename(ctx context.Context, from, to string) error {
	src, err := s.path(from)
	if err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	dst, err := s.path(to)
	if err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	fi, err := os.Stat(src)
	if err == nil && fi.IsDir() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return notExist("rename", src, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("rename %s to %s: %w", src, dst, err)
	}
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("rename %s to %s: %w", src, dst, err)
	}
	if err := SyncDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("rename %s to %s: sync directory: %w", src, dst, err)
	}
	if filepath.Dir(src) != filepath.Dir(dst) {
		if err := SyncDir(filepath.Dir(src)); err != nil {
			return fmt.Errorf("rename %s to %s: sync directory: %w", src, dst, err)
		}
	}
	return nil
}

// RemoveTemps removes the temporary files (".<name>.<random>.tmp") that
// writers of keys left when their process died. It reads each directory
// once, however many keys it holds.
func (s *FS) RemoveTemps(ctx context.Context, keys []string) (int, error) {
	byDir := map[string]map[string]bool{} // directory → base names
	for _, key := range keys {
		p, err := s.path(key)
		if err != nil {
			return 0, fmt.Errorf("remove temporary files: %w", err)
		}
		dir := filepath.Dir(p)
		if byDir[dir] == nil {
			byDir[dir] = map[string]bool{}
		}
		byDir[dir][filepath.Base(p)] = true
	}
	removed := 0
	var errs []error
	for dir, bases := range byDir {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remove temporary files in %s: %w", dir, err))
			continue
		}
		for _, e := range entries {
			if !isTemp(e.Name()) || e.IsDir() || !bases[tempOwner(e.Name())] {
				continue
			}
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("remove %s: %w", filepath.Join(dir, e.Name()), err))
				continue
			}
			removed++
		}
	}
	return removed, errors.Join(errs...)
}

// tempOwner is the base name a temporary file was written for:
// ".<name>.<random>.tmp" → "<name>".
func tempOwner(tmp string) string {
	name := strings.TrimSuffix(strings.TrimPrefix(tmp, tmpPrefix), tmpSuffix)
	if i := strings.LastIndex(name, "."); i > 0 {
		return name[:i]
	}
	return ""
}

// URL is file:// and the absolute path of key ("" for the root).
func (s *FS) URL(key string) string {
	p := s.root
	if key != "" {
		p = filepath.Join(s.root, filepath.FromSlash(path.Clean(key)))
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(p)}
	if !strings.HasPrefix(u.Path, "/") { // a Windows drive: file:///C:/...
		u.Path = "/" + u.Path
	}
	return u.String()
}
