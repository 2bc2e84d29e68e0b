package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"

	"github.com/leadpipe/leadpipe/sinks/storage"
)

// Create starts a streaming upload to key. Writes go through an io.Pipe
// into the transfer manager, which cuts them into parts; nothing appears
// under key until Close returns nil.
func (b *Bucket) Create(ctx context.Context, key string) (storage.Writer, error) {
	full, err := b.objectKey(key)
	if err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("create %s: %w", b.URL(key), err)
	}
	pr, pw := io.Pipe()
	w := &writer{b: b, key: key, pw: pw, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		_, err := b.tm.UploadObject(ctx, &transfermanager.UploadObjectInput{
			Bucket: aws.String(b.bucket), Key: aws.String(full), Body: pr,
		})
		// Unblock a Write still waiting on the pipe.
		if err != nil {
			pr.CloseWithError(err)
		} else {
			pr.CloseWithError(errUploadEnded)
		}
		w.err = err
	}()
	return w, nil
}

var (
	errAborted     = errors.New("writer was aborted")
	errUploadEnded = errors.New("upload already finished")
)

// writer is an object being uploaded.
type writer struct {
	b    *Bucket
	key  string
	pw   *io.PipeWriter
	done chan struct{} // closed when the upload goroutine has returned
	err  error         // the upload's result, set before done closes

	mu     sync.Mutex
	closed bool  // Close or Abort was called
	result error // what Close returned
	abort  bool
}

func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return 0, fmt.Errorf("write %s: %w", w.b.URL(w.key), os.ErrClosed)
	}
	n, err := w.pw.Write(p)
	if err != nil {
		// The upload stopped; its own error says why.
		<-w.done
		if w.err != nil {
			return n, w.b.explain("write", w.key, "s3:PutObject", w.err)
		}
		return n, fmt.Errorf("write %s: %w", w.b.URL(w.key), err)
	}
	return n, nil
}

// Close ends the stream and waits for the upload to complete. The object
// is visible once Close returns nil; on an error the key is unchanged.
func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		if w.abort {
			return fmt.Errorf("close %s: %w", w.b.URL(w.key), errAborted)
		}
		return w.result
	}
	w.closed = true
	_ = w.pw.Close()
	<-w.done
	if w.err != nil {
		w.result = w.b.explain("upload", w.key, "s3:PutObject", w.err)
	}
	return w.result
}

// Abort ends the stream with an error, so the transfer manager aborts the
// multipart upload (if one was started) and nothing appears under the key.
// After Close it does nothing.
func (w *writer) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed, w.abort = true, true
	_ = w.pw.CloseWithError(errAborted)
	<-w.done
	if w.err != nil && !errors.Is(w.err, errAborted) {
		// The transfer manager reports a failed AbortMultipartUpload in
		// the error text only.
		return fmt.Errorf("abort %s: %w (an unfinished multipart upload may remain; "+
			"deleting the key, or a bucket lifecycle rule with AbortIncompleteMultipartUpload, removes it)",
			w.b.URL(w.key), w.b.explain("abort", w.key, "s3:AbortMultipartUpload", w.err))
	}
	return nil
}
