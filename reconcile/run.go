package reconcile

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/leadpipe/leadpipe/sinks/storage"
)

// Result is a finished reconciliation.
type Result struct {
	Report *Report
	// Files are the URLs of the files written, sorted.
	Files []string
}

// Run builds the report and writes its files to o.Out (when set):
//
//	reconcile-<day>.md            the Markdown summary
//	reconcile-<day>.html          the self-contained HTML report
//	reconcile-<day>-<section>.csv one CSV per section
//
// It is the entry point of `leadpipe reconcile`, of the `reconcile:`
// pipeline kind and of the scheduler. Exceptions are in the result; they
// are not an error.
func Run(ctx context.Context, o Options) (*Result, error) {
	r, err := Build(ctx, o)
	if err != nil {
		return nil, err
	}
	res := &Result{Report: r}
	if o.Out == "" {
		return res, nil
	}
	files, err := r.Files(o.Formats)
	if err != nil {
		return nil, err
	}
	st, err := storage.Open(ctx, o.Out, o.OutStorage)
	if err != nil {
		return nil, fmt.Errorf("open report location: %w", err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := writeObject(ctx, st, n, files[n]); err != nil {
			return nil, fmt.Errorf("write report %s: %w", st.URL(n), err)
		}
		res.Files = append(res.Files, st.URL(n))
	}
	return res, nil
}

// Files renders the report in the formats, by file name.
func (r *Report) Files(formats []string) (map[string][]byte, error) {
	if len(formats) == 0 {
		formats = AllFormats
	}
	base := "reconcile-" + r.Day
	out := map[string][]byte{}
	if slices.Contains(formats, FormatMarkdown) {
		out[base+".md"] = []byte(r.Markdown())
	}
	if slices.Contains(formats, FormatHTML) {
		h, err := r.HTML()
		if err != nil {
			return nil, err
		}
		out[base+".html"] = h
	}
	if slices.Contains(formats, FormatCSV) {
		for name, b := range r.CSVFiles() {
			out[base+"-"+name] = b
		}
	}
	return out, nil
}

func writeObject(ctx context.Context, st storage.Storage, key string, b []byte) error {
	w, err := st.Create(ctx, key)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		_ = w.Abort()
		return err
	}
	return w.Close()
}
