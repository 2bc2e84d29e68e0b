// Package attachments opens the files that input rows name (a push's file
// columns: a Bizcap bank statement, an Iute ID copy), and only files under
// the directory the pipeline declares (push.attachments_dir). A cell is
// data, often written by someone else, so it never chooses a file on its
// own: an absolute path, a ".." that leaves the directory, a symbolic link
// out of it, a file:// URL, another bucket or prefix, a special file (a
// FIFO, a device, /proc) and anything of leadpipe's own state are refused,
// with a reason fit for a reject.
package attachments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/leadpipe/leadpipe/sinks/storage"
)

// StateDir is the name of leadpipe's own directory: nothing under it can be
// attached, wherever it is.
const StateDir = ".leadpipe"

// Dir is the directory attachments are read from: a local directory or an
// s3://bucket/prefix.
type Dir struct {
	location string // as declared, resolved against the pipeline file
	opts     storage.Options
	s3       bool
	bucket   string // s3: "bucket/prefix", without a trailing slash
	// forbidden are files that can never be attached even when they are
	// under the directory: the state store and the files beside it.
	forbidden []string
}

// New returns the attachments directory at location (an absolute local
// path, or s3://bucket/prefix). forbid names files that can never be
// attached (the state database); the files SQLite keeps beside each are
// forbidden too.
func New(location string, opts storage.Options, forbid ...string) (*Dir, error) {
	d := &Dir{location: location, opts: opts}
	switch storage.Scheme(location) {
	case "s3":
		d.s3 = true
		d.bucket = strings.TrimSuffix(strings.TrimPrefix(location, location[:len("s3://")]), "/")
	case "file":
		if strings.Contains(location, "://") || !filepath.IsAbs(location) {
			return nil, fmt.Errorf("attachments_dir %q: give a directory (relative to the pipeline file) or s3://bucket/prefix", location)
		}
	default:
		return nil, fmt.Errorf("attachments_dir %q: give a directory (relative to the pipeline file) or s3://bucket/prefix", location)
	}
	for _, f := range forbid {
		if f == "" {
			continue
		}
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, err
		}
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			d.forbidden = append(d.forbidden, abs+suffix)
		}
	}
	return d, nil
}

// Location is the directory as declared.
func (d *Dir) Location() string { return d.location }

// ErrRefused wraps every reason a cell cannot be attached.
var ErrRefused = errors.New("cannot be attached")

func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

// name checks a cell's text and returns the relative name it gives under
// the directory (slash-separated, cleaned).
func (d *Dir) name(cell string) (string, error) {
	c := strings.TrimSpace(cell)
	lower := strings.ToLower(c)
	switch {
	case c == "":
		return "", refuse("the cell is empty")
	case strings.ContainsRune(c, 0):
		return "", refuse("the name holds a NUL byte")
	case strings.HasPrefix(lower, "file:"):
		return "", refuse("file: URLs are not accepted; name the file relative to attachments_dir (%s)", d.location)
	case strings.HasPrefix(lower, "s3://"):
		if !d.s3 {
			return "", refuse("an s3:// URL, and attachments_dir (%s) is local; name the file relative to it", d.location)
		}
		rest := c[len("s3://"):]
		if !strings.HasPrefix(rest, d.bucket+"/") {
			return "", refuse("%s is not under attachments_dir (%s)", c, d.location)
		}
		c = strings.TrimPrefix(rest, d.bucket+"/")
	case strings.Contains(c, "://"):
		return "", refuse("a URL; only files under attachments_dir (%s) can be attached", d.location)
	case strings.HasPrefix(c, "/") || filepath.IsAbs(c) || filepath.VolumeName(c) != "":
		return "", refuse("an absolute path; name the file relative to attachments_dir (%s)", d.location)
	case strings.HasPrefix(c, "~"):
		return "", refuse("a home-directory path; name the file relative to attachments_dir (%s)", d.location)
	}
	if strings.ContainsRune(c, '\\') {
		return "", refuse("a backslash in the name; separate directories with /")
	}
	for _, part := range strings.Split(c, "/") {
		switch part {
		case "..":
			return "", refuse("%q leaves attachments_dir (%s)", cell, d.location)
		case StateDir:
			return "", refuse("%s is leadpipe's state directory, which is never attached", StateDir)
		}
	}
	clean := path.Clean(c)
	if clean == "." || clean == "" {
		return "", refuse("%q names attachments_dir itself, not a file in it", cell)
	}
	return clean, nil
}

// Check says whether the file a cell names can be attached: its name, that
// it exists under the directory, and that it is a regular file. It reads no
// content. The error is the reason, for a reject.
func (d *Dir) Check(ctx context.Context, cell string) error {
	rc, err := d.Open(ctx, cell)
	if err != nil {
		return err
	}
	return rc.Close()
}

// Open opens the file a cell names, for reading, with every check of Check
// made on the file it opens (so a name that changes in between cannot
// escape).
func (d *Dir) Open(ctx context.Context, cell string) (io.ReadCloser, error) {
	name, err := d.name(cell)
	if err != nil {
		return nil, err
	}
	if d.s3 {
		return d.openS3(ctx, name)
	}
	return d.openLocal(name)
}

func (d *Dir) openS3(ctx context.Context, name string) (io.ReadCloser, error) {
	st, err := storage.Open(ctx, d.location, d.opts)
	if err != nil {
		return nil, err
	}
	rc, err := st.Open(ctx, name)
	if errors.Is(err, storage.ErrNotExist) {
		return nil, refuse("%s does not exist", st.URL(name))
	}
	return rc, err
}

func (d *Dir) openLocal(name string) (io.ReadCloser, error) {
	root, err := os.OpenRoot(d.location)
	if err != nil {
		return nil, fmt.Errorf("open attachments_dir %s: %w", d.location, err)
	}
	defer root.Close()
	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	// writer. A regular file ignores it.
	f, err := root.OpenFile(filepath.FromSlash(name), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, refuse("%s does not exist in attachments_dir (%s)", name, d.location)
	case err != nil && strings.Contains(err.Error(), "escapes"):
		return nil, refuse("%s is a link that leads out of attachments_dir (%s), or an absolute link", name, d.location)
	case err != nil:
		return nil, refuse("%s: %v", name, errors.Unwrap(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, refuse("%s is not a regular file (%s)", name, kind(fi.Mode()))
	}
	if err := d.notState(name, fi); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// notState refuses the state store (however it is reached: a link, a hard
// link, a custom state path under the directory) and anything under a
// .leadpipe directory a link leads to.
func (d *Dir) notState(name string, fi os.FileInfo) error {
	for _, p := range d.forbidden {
		if other, err := os.Stat(p); err == nil && os.SameFile(fi, other) {
			return refuse("%s is leadpipe's state store, which is never attached", name)
		}
	}
	real, err := filepath.EvalSymlinks(filepath.Join(d.location, filepath.FromSlash(name)))
	if err != nil {
		return nil // opened through the root, so inside it; the name checks held
	}
	base, err := filepath.EvalSymlinks(d.location)
	if err != nil {
		return nil
	}
	if rel, err := filepath.Rel(base, real); err == nil {
		for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
			if part == StateDir {
				return refuse("%s leads into leadpipe's state directory (%s), which is never attached", name, StateDir)
			}
		}
	}
	return nil
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return m.Type().String()
}
