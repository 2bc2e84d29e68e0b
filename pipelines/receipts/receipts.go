// Package receipts reads the receipts push runs write: one CSV per run,
// named <pipeline>-<run id>.csv, with one line per input row (row, key,
// outcome, vendor_id, http_status, error). The push engine writes them; the
// ledger import and the reconciliation report read them.
package receipts

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/sinks/storage"
)

// Row is one receipt line.
type Row struct {
	Row        int
	Key        string
	Outcome    string
	VendorID   string
	HTTPStatus int
	Error      string
}

// File is one run's receipts file.
type File struct {
	URL      string
	Pipeline string
	RunID    string
}

// Started is when the file's run started, from its run id (zero when the
// id does not say).
func (f File) Started() time.Time {
	t, err := time.Parse("20060102T150405.000Z", strings.SplitN(f.RunID, "-", 2)[0])
	if err != nil {
		return time.Time{}
	}
	return t
}

// runFile matches <pipeline>-<run id>.csv; run ids are
// YYYYMMDDTHHMMSS.mmmZ-<6 hex digits> (pipelines.NewRunID), so they sort in
// time order.
var runFile = regexp.MustCompile(`^(.+)-(\d{8}T\d{6}(?:\.\d{3})?Z-[0-9a-f]+)\.csv$`)

// List finds the receipts files at a location: a directory (local, file://
// or s3://) of them, or one file. With pipeline set, only that pipeline's.
// They come in run order, oldest first. A location that does not exist has
// none.
func List(ctx context.Context, location, pipeline string, opts storage.Options) ([]File, error) {
	if m := runFile.FindStringSubmatch(path.Base(location)); m != nil {
		if pipeline != "" && m[1] != pipeline {
			return nil, fmt.Errorf("%s holds the receipts of pipeline %s, not %s", location, m[1], pipeline)
		}
		return []File{{URL: location, Pipeline: m[1], RunID: m[2]}}, nil
	}
	st, err := storage.Open(ctx, location, opts)
	if err != nil {
		return nil, fmt.Errorf("open receipts location %s: %w", location, err)
	}
	objs, err := st.List(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list receipts at %s: %w", st.URL(""), err)
	}
	var out []File
	for _, o := range objs {
		if path.Dir(o.Key) != "." {
			continue // only the location's own files
		}
		m := runFile.FindStringSubmatch(o.Key)
		if m == nil || pipeline != "" && m[1] != pipeline {
			continue
		}
		out = append(out, File{URL: st.URL(o.Key), Pipeline: m[1], RunID: m[2]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RunID < out[j].RunID })
	return out, nil
}

// Read reads one receipts file. Columns are found by name, so files with
// more or fewer columns than today's still read.
func Read(ctx context.Context, url string, opts storage.Options) ([]Row, error) {
	dir, key := storage.Split(url)
	st, err := storage.Open(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	rc, err := st.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	cr := csv.NewReader(rc)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", url, err)
	}
	at := map[string]int{}
	for i, h := range header {
		at[h] = i
	}
	get := func(rec []string, name string) string {
		if i, ok := at[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	var out []Row
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("read %s line %d: %w", url, line, err)
		}
		n, _ := strconv.Atoi(get(rec, "row"))
		h, _ := strconv.Atoi(get(rec, "http_status"))
		out = append(out, Row{Row: n, Key: get(rec, "key"), Outcome: get(rec, "outcome"), VendorID: get(rec, "vendor_id"),
			HTTPStatus: h, Error: get(rec, "error")})
	}
}
