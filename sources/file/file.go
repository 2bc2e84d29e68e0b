// Package file reads the rows of a push pipeline's input: a CSV file with a
// header row (delimiter and encoding configurable, a UTF-8 or UTF-16 byte
// order mark handled) or JSON lines, from any storage location (a local path
// or s3://), streaming.
package file

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

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
	// Encoding is utf-8 (the default: a byte that is not UTF-8 is an error,
	// never replaced), latin1, windows-1252, utf-16, or auto (Scan picks:
	// a byte order mark, else UTF-8 when the whole file is, else
	// windows-1252).
	Encoding string
	// MaxLineBytes bounds a record (a line, or the lines one quoted field
	// spans); 0 means DefaultMaxLineBytes.
	MaxLineBytes int
	Storage      storage.Options
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

// Open opens the file at location. Reading stops with an error, never a
// silent replacement or an unbounded buffer, at a byte that is not in the
// file's encoding (*EncodingError), a record longer than MaxLineBytes
// (*TooLongError) and a malformed record that swallows other lines
// (*MalformedError).
func Open(ctx context.Context, location string, opts Options) (*Reader, error) {
	rc, key, err := openObject(ctx, location, opts)
	if err != nil {
		return nil, err
	}
	raw := bufio.NewReaderSize(rc, 64<<10)
	bom, _ := raw.Peek(3)
	name := strings.ToLower(opts.Encoding)
	if name == "auto" {
		name, _ = bomEncoding(bom) // Scan settles the rest; here UTF-8 is checked
	}
	dec, err := decoder(name)
	if err != nil {
		rc.Close()
		return nil, err
	}
	var src io.Reader = raw
	if isUTF8(name) {
		if enc, ok := bomEncoding(bom); !ok || enc == "utf-8" {
			src = newUTF8Guard(raw) // a UTF-16 byte order mark decodes as UTF-16 instead
		}
	}
	text := transform.NewReader(src, dec)
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
		err = r.initCSV(newRecordGuard(text, opts.MaxLineBytes), opts.Delimiter)
	case "jsonl":
		err = r.initJSONL(text, maxLine(opts.MaxLineBytes))
	default:
		err = fmt.Errorf("unknown input format %q (csv or jsonl)", format)
	}
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("read input %s: %w", location, err)
	}
	return r, nil
}

func isUTF8(name string) bool { return name == "" || name == "utf-8" || name == "utf8" }

// bomEncoding names the encoding a byte order mark announces.
func bomEncoding(b []byte) (string, bool) {
	switch {
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		return "utf-8", true
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}):
		return "utf-16le", true
	case bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		return "utf-16be", true
	}
	return "", false
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
		return nil, fmt.Errorf("unknown encoding %q (utf-8, latin1, windows-1252, utf-16 or auto)", name)
	}
	return e.NewDecoder(), nil
}

func (r *Reader) initCSV(guard *recordGuard, delim string) error {
	comma := ','
	switch delim {
	case "", ",":
	case `\t`, "\t", "tab":
		comma = '\t'
	default:
		rs := []rune(delim)
		if len(rs) != 1 {
			return fmt.Errorf("delimiter must be one character, got %q", delim)
		}
		comma = rs[0]
	}
	guard.countFields(comma)
	cr := csv.NewReader(guard)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if guard.err != nil {
		return guard.err
	}
	if err == io.EOF {
		return errors.New("the file is empty: a CSV input needs a header row")
	}
	if err != nil {
		return fmt.Errorf("header row: %w", readError(err))
	}
	if len(header) > MaxColumns {
		return tooManyColumns(strconv.Itoa(len(header)))
	}
	header = slices.Clone(header)
	seen := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == "" {
			return fmt.Errorf("header row: column %d has no name", i+1)
		}
		if j, dup := seen[h]; dup {
			return fmt.Errorf("header row: column %q appears twice (columns %d and %d)", Short(h), j+1, i+1)
		}
		seen[h] = i
		header[i] = h
	}
	r.header = header
	guard.next(2)
	num := 0
	r.next = func() (Row, error) {
		rec, err := cr.Read()
		if guard.err != nil {
			return Row{}, guard.err
		}
		if err == io.EOF {
			return Row{}, io.EOF
		}
		num++
		var pe *csv.ParseError
		if errors.As(err, &pe) && pe.Err != nil && !errors.Is(pe.Err, ErrNotUTF8) {
			guard.next(pe.Line + 1)
			if pe.Line > pe.StartLine {
				// The reader went on past the record's line looking for a
				// closing quote: the rows on those lines would be lost in
				// this one, so the file cannot be read as it is.
				return Row{}, &MalformedError{From: pe.StartLine, To: pe.Line, Reason: pe.Err.Error()}
			}
			return Row{Num: num, Line: pe.StartLine, values: map[string]string{},
				Problem: fmt.Sprintf("malformed CSV at line %d, column %d: %v", pe.Line, pe.Column, pe.Err)}, nil
		}
		if err != nil {
			return Row{}, readError(err)
		}
		line, _ := cr.FieldPos(0)
		end := line
		for _, v := range rec {
			end += strings.Count(v, "\n")
		}
		guard.next(end + 1)
		row := Row{Num: num, Line: line, values: make(map[string]string, len(header))}
		if len(rec) != len(header) {
			if end > line {
				return Row{}, &MalformedError{From: line, To: end, Reason: fmt.Sprintf("they make one row of %d fields, and the header has %d", len(rec), len(header))}
			}
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

// readError unwraps the errors of the guards from the CSV reader's
// wrapping, so callers see *EncodingError and *TooLongError.
func readError(err error) error {
	var ee *EncodingError
	if errors.As(err, &ee) {
		return ee
	}
	return err
}

func tooManyColumns(n string) error {
	return fmt.Errorf("header row: %s columns; more than %d (the most a spreadsheet holds) means line 1 is not a header: is the delimiter right?",
		n, MaxColumns)
}

// MaxColumns is the most columns a CSV header may have: a spreadsheet's
// limit, far above any real input, and a bound on what a header costs.
const MaxColumns = 16384

// MalformedError is a record the CSV reader could only end lines later
// than it began: a quote opened and not closed where it should be. The rows
// of the lines in between would be lost inside it, so reading stops.
type MalformedError struct {
	From, To int // lines
	Reason   string
}

func (e *MalformedError) Error() string {
	lost := fmt.Sprintf("the row of line %d", e.To)
	if e.To > e.From+1 {
		lost = fmt.Sprintf("the rows of lines %d to %d", e.From+1, e.To)
	}
	return fmt.Sprintf("lines %d to %d were read as one row (%s): a quote opened on line %d is not closed on its line, so %s "+
		"would be lost inside it; close the quote, or write a quote inside a value as \"\"", e.From, e.To, e.Reason, e.From, lost)
}

// initJSONL reads JSON lines; the scanner bounds a line itself.
func (r *Reader) initJSONL(in io.Reader, limit int) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64*1024), limit+1)
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
			if errors.Is(err, bufio.ErrTooLong) {
				return Row{}, &TooLongError{Line: line + 1, Lines: 1, Limit: limit}
			}
			return Row{}, readError(err)
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

// Scan reads the whole file once, before anything is sent: it counts the
// rows, settles `encoding: auto`, and finds what would stop a run half way
// (a byte not in the encoding, a record over the length limit, a quote
// that swallows lines), so that such a file fails before its first row is
// sent instead of after.
type Scan struct {
	Rows     int
	Encoding string // as Open should read it ("" for the default)
	// Note says what `encoding: auto` chose and why.
	Note string
}

// ScanFile scans the file at location (see Scan).
func ScanFile(ctx context.Context, location string, opts Options) (Scan, error) {
	if strings.EqualFold(opts.Encoding, "auto") {
		return scanAuto(ctx, location, opts)
	}
	n, err := count(ctx, location, opts)
	return Scan{Rows: n, Encoding: opts.Encoding}, err
}

func scanAuto(ctx context.Context, location string, opts Options) (Scan, error) {
	bom, err := peek(ctx, location, opts, 3)
	if err != nil {
		return Scan{}, err
	}
	if enc, ok := bomEncoding(bom); ok {
		opts.Encoding = enc
		n, err := count(ctx, location, opts)
		return Scan{Rows: n, Encoding: enc, Note: "encoding: auto chose " + enc + " (the file starts with its byte order mark)"}, err
	}
	opts.Encoding = "utf-8"
	n, err := count(ctx, location, opts)
	var ee *EncodingError
	if !errors.As(err, &ee) {
		return Scan{Rows: n, Encoding: "utf-8", Note: "encoding: auto chose utf-8 (no byte order mark, and every line is valid UTF-8)"}, err
	}
	opts.Encoding = "windows-1252"
	n, err = count(ctx, location, opts)
	return Scan{Rows: n, Encoding: "windows-1252", Note: fmt.Sprintf("encoding: auto chose windows-1252 (no byte order mark, and line %d is not valid UTF-8); "+
		"if the text looks wrong, declare the encoding", ee.Line)}, err
}

// openObject opens the object at location (its key is the file name).
func openObject(ctx context.Context, location string, opts Options) (io.ReadCloser, string, error) {
	dir, key := storage.Split(location)
	st, err := storage.Open(ctx, dir, opts.Storage)
	if err != nil {
		return nil, "", err
	}
	rc, err := st.Open(ctx, key)
	if err != nil {
		return nil, "", fmt.Errorf("open input %s: %w", location, err)
	}
	return rc, key, nil
}

func peek(ctx context.Context, location string, opts Options, n int) ([]byte, error) {
	rc, _, err := openObject(ctx, location, opts)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b := make([]byte, n)
	k, err := io.ReadFull(rc, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read input %s: %w", location, err)
	}
	return b[:k], nil
}

func count(ctx context.Context, location string, opts Options) (int, error) {
	r, err := Open(ctx, location, opts)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n := 0
	for {
		if _, err := r.Next(); err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, fmt.Errorf("read input %s: %w", location, err)
		}
		n++
		if n%4096 == 0 && ctx.Err() != nil {
			return n, ctx.Err()
		}
	}
}

// Short cuts a value for an error message: input text is quoted at most
// this long, however long it is.
func Short(s string) string { return Cut(s, 80) }

// Cut shortens s to at most max bytes (on a rune boundary), saying how much
// was left out.
func Cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…(%d more bytes)", len(s)-cut)
}

// ColumnList lists a header for an error message: the first columns, each
// cut short, and how many more there are, so that a header of a million
// columns (or one column of 50 MB) gives a message of a few lines.
func ColumnList(header []string) string {
	const maxCols, maxLen = 30, 600
	var b strings.Builder
	for i, h := range header {
		if i == maxCols || b.Len() > maxLen {
			fmt.Fprintf(&b, ", … and %d more", len(header)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(Short(h))
	}
	return b.String()
}
