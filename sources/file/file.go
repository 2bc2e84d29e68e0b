// Package file reads the rows of a push pipeline's input: a CSV file with a
// header row (delimiter and encoding configurable, a UTF-8 or UTF-16 byte
// order mark handled) or JSON lines, from any storage location (a local path
// or s3://), streaming.
package file

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/leadpipe/leadpipe/sinks/storage"
)

// Options describe the file.
type Options struct {
	Format    string // csv | jsonl; "" picks by extension (.jsonl/.ndjson/.json → jsonl)
	Delimiter string // CSV only; default ","; `\t` for tab
	Encoding  string // utf-8 (default) | latin1 | windows-1252 | utf-16
	Storage   storage.Options
}

// Row is one input row.
type Row struct {
	// Num is the data row number: 1 is the first row after the header.
	Num int
	// Line is the line in the file where the row starts.
	Line   int
	values map[string]string
	// Problem is set when the row itself is malformed (a bad quote, a wrong
	// number of fields); such a row is rejected, the rest are read on.
	Problem string
}

// Get returns a column's value.
func (r Row) Get(col string) (string, bool) {
	v, ok := r.values[col]
	return v, ok
}

// Values returns the row as column → value.
func (r Row) Values() map[string]string { return r.values }

// Reader reads rows.
type Reader struct {
	Location string
	header   []string
	next     func() (Row, error)
	closer   io.Closer
}

// Header lists the columns (for JSON lines, the keys of the first row, then
// any new key in the order met).
func (r *Reader) Header() []string { return r.header }

// Next returns the next row, or io.EOF.
func (r *Reader) Next() (Row, error) { return r.next() }

// Close releases the file.
func (r *Reader) Close() error { return r.closer.Close() }

// Open opens the file at location.
func Open(ctx context.Context, location string, opts Options) (*Reader, error) {
	dir, key := storage.Split(location)
	st, err := storage.Open(ctx, dir, opts.Storage)
	if err != nil {
		return nil, err
	}
	rc, err := st.Open(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("open input %s: %w", location, err)
	}
	dec, err := decoder(opts.Encoding)
	if err != nil {
		rc.Close()
		return nil, err
	}
	in := transform.NewReader(rc, dec)
	format := opts.Format
	if format == "" {
		switch strings.ToLower(path.Ext(key)) {
		case ".jsonl", ".ndjson", ".json":
			format = "jsonl"
		default:
			format = "csv"
		}
	}
	r := &Reader{Location: location, closer: rc}
	switch format {
	case "csv":
		err = r.initCSV(in, opts.Delimiter)
	case "jsonl":
		err = r.initJSONL(in)
	default:
		err = fmt.Errorf("unknown input format %q (csv or jsonl)", format)
	}
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("read input %s: %w", location, err)
	}
	return r, nil
}

func decoder(name string) (transform.Transformer, error) {
	var e encoding.Encoding
	switch strings.ToLower(name) {
	case "", "utf-8", "utf8":
		// A UTF-8 or UTF-16 byte order mark, if present, decides.
		return unicode.BOMOverride(unicode.UTF8.NewDecoder()), nil
	case "latin1", "iso-8859-1":
		e = charmap.ISO8859_1
	case "windows-1252", "cp1252":
		e = charmap.Windows1252
	case "utf-16", "utf-16le":
		e = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	case "utf-16be":
		e = unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	default:
		return nil, fmt.Errorf("unknown encoding %q (utf-8, latin1, windows-1252 or utf-16)", name)
	}
	return e.NewDecoder(), nil
}

func (r *Reader) initCSV(in io.Reader, delim string) error {
	cr := csv.NewReader(in)
	switch delim {
	case "", ",":
	case `\t`, "\t", "tab":
		cr.Comma = '\t'
	default:
		rs := []rune(delim)
		if len(rs) != 1 {
			return fmt.Errorf("delimiter must be one character, got %q", delim)
		}
		cr.Comma = rs[0]
	}
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return errors.New("the file is empty: a CSV input needs a header row")
	}
	if err != nil {
		return fmt.Errorf("header row: %w", err)
	}
	seen := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == "" {
			return fmt.Errorf("header row: column %d has no name", i+1)
		}
		if j, dup := seen[h]; dup {
			return fmt.Errorf("header row: column %q appears twice (columns %d and %d)", h, j+1, i+1)
		}
		seen[h] = i
		header[i] = h
	}
	r.header = header
	num := 0
	r.next = func() (Row, error) {
		rec, err := cr.Read()
		if err == io.EOF {
			return Row{}, io.EOF
		}
		num++
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Row{Num: num, Line: pe.StartLine, values: map[string]string{},
				Problem: fmt.Sprintf("malformed CSV at line %d, column %d: %v", pe.Line, pe.Column, pe.Err)}, nil
		}
		if err != nil {
			return Row{}, err
		}
		line, _ := cr.FieldPos(0)
		row := Row{Num: num, Line: line, values: make(map[string]string, len(header))}
		if len(rec) != len(header) {
			row.Problem = fmt.Sprintf("has %d fields, the header has %d", len(rec), len(header))
		}
		for i, h := range header {
			if i < len(rec) {
				row.values[h] = strings.TrimSpace(rec[i])
			}
		}
		return row, nil
	}
	return nil
}

func (r *Reader) initJSONL(in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	known := map[string]bool{}
	line, num := 0, 0
	parse := func() (Row, error) {
		for sc.Scan() {
			line++
			text := strings.TrimSpace(sc.Text())
			if text == "" {
				continue
			}
			num++
			row := Row{Num: num, Line: line, values: map[string]string{}}
			var obj map[string]json.RawMessage
			if err := json.Unmarshal([]byte(text), &obj); err != nil {
				row.Problem = fmt.Sprintf("line %d is not a JSON object: %v", line, err)
				return row, nil
			}
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				row.values[k] = jsonText(obj[k])
				if !known[k] {
					known[k] = true
					r.header = append(r.header, k)
				}
			}
			return row, nil
		}
		if err := sc.Err(); err != nil {
			return Row{}, err
		}
		return Row{}, io.EOF
	}
	// Read the first row now, so the header is known before the first Next.
	first, err := parse()
	if err == io.EOF {
		return errors.New("the file is empty")
	}
	if err != nil {
		return err
	}
	pending := &first
	r.next = func() (Row, error) {
		if pending != nil {
			row := *pending
			pending = nil
			return row, nil
		}
		return parse()
	}
	return nil
}

// jsonText turns a JSON value into the text a CSV cell would hold: strings
// unquoted, numbers and booleans as written, null as "", anything else as
// compact JSON.
func jsonText(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "null":
		return ""
	case strings.HasPrefix(s, `"`):
		var v string
		if json.Unmarshal(raw, &v) == nil {
			return v
		}
	}
	return s
}

// Count counts the data rows of a local CSV or JSON-lines file quickly, for
// progress; it returns -1 when the count is not cheap (remote storage).
func Count(ctx context.Context, location string, opts Options) int {
	if storage.Scheme(location) != "file" {
		return -1
	}
	r, err := Open(ctx, location, opts)
	if err != nil {
		return -1
	}
	defer r.Close()
	n := 0
	for {
		_, err := r.Next()
		if err != nil {
			break
		}
		n++
	}
	return n
}
