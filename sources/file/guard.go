package file

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// DefaultMaxLineBytes is the longest record (a line, or the lines one
// quoted field spans) an input may have unless the pipeline raises it: far
// above any real row, far below what would exhaust memory.
const DefaultMaxLineBytes = 4 << 20

// TooLongError is a record longer than the limit. Reading stops there: the
// reader never holds more than about the limit in memory.
type TooLongError struct {
	Line  int // where the record starts
	Lines int // how many lines it spans so far
	Limit int
}

func (e *TooLongError) Error() string {
	if e.Lines > 1 {
		return fmt.Sprintf("the row starting on line %d runs over %d lines and past %s without ending: a quote opened on line %d is probably never closed "+
			"(raise source.file.max_line_bytes only if rows really are this long)", e.Line, e.Lines, size(e.Limit), e.Line)
	}
	return fmt.Sprintf("line %d is longer than %s (source.file.max_line_bytes): is this the right file, with the right delimiter?",
		e.Line, size(e.Limit))
}

func size(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// recordGuard counts the bytes and lines read since the current record
// began, and fails a read once the record is longer than the limit. The
// CSV reader reads ahead a little (its buffer), so the count is exact to
// within a few KiB.
type recordGuard struct {
	r         io.Reader
	limit     int
	n         int // bytes read since the record began
	newlines  int // line ends read since the record began
	startLine int // line where the record began
	err       error

	// With sep set, a line without quotes that holds more than MaxColumns
	// fields stops the reading as soon as it is seen to: splitting it
	// would cost many times its size, and no CSV row is that wide.
	sep    []byte
	fields int  // fields of the line being read so far
	quoted bool // the line being read has a quote (fields cannot be counted)
	line   int  // lines read (the line being read is line+1)
}

// countFields makes the guard count the fields of each line (see sep).
func (g *recordGuard) countFields(comma rune) {
	g.sep, g.fields = []byte(string(comma)), 1
}

// TooWideError is a line with more than MaxColumns fields.
type TooWideError struct{ Line int }

func (e *TooWideError) Error() string {
	if e.Line == 1 {
		return tooManyColumns(fmt.Sprintf("more than %d", MaxColumns)).Error()
	}
	return fmt.Sprintf("line %d has more than %d fields, the most a spreadsheet holds: is this the right file, with the right delimiter?", e.Line, MaxColumns)
}

// count follows the fields of the lines in b.
func (g *recordGuard) count(b []byte) {
	for len(b) > 0 && g.err == nil {
		seg := b
		i := bytes.IndexByte(b, '\n')
		if i >= 0 {
			seg = b[:i]
		}
		g.quoted = g.quoted || bytes.IndexByte(seg, '"') >= 0
		g.fields += bytes.Count(seg, g.sep)
		if g.fields > MaxColumns && !g.quoted {
			g.err = &TooWideError{Line: g.line + 1}
		}
		if i < 0 {
			return
		}
		g.line++
		g.fields, g.quoted = 1, false
		b = b[i+1:]
	}
}

func newRecordGuard(r io.Reader, limit int) *recordGuard {
	return &recordGuard{r: r, limit: maxLine(limit), startLine: 1}
}

func maxLine(limit int) int {
	if limit <= 0 {
		return DefaultMaxLineBytes
	}
	return limit
}

func (g *recordGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	g.n += n
	g.newlines += bytes.Count(p[:n], []byte{'\n'})
	if g.n > g.limit {
		g.err = &TooLongError{Line: g.startLine, Lines: g.newlines + 1, Limit: g.limit}
		return n, g.err
	}
	if g.sep != nil {
		g.count(p[:n])
		if g.err != nil {
			return n, g.err
		}
	}
	return n, err
}

// next marks the start of a record at line.
func (g *recordGuard) next(line int) {
	g.n, g.newlines, g.startLine = 0, 0, line
}

// EncodingError is input that is not valid UTF-8 where UTF-8 was expected.
type EncodingError struct {
	Line, Column int // the first invalid byte (column in bytes)
	Byte         byte
}

func (e *EncodingError) Error() string {
	return fmt.Sprintf("line %d is not valid UTF-8 (byte 0x%02x at byte %d of the line): the file is in another encoding; "+
		"declare it, e.g. `encoding: windows-1252` (Excel on Windows, most Western European files), or `encoding: auto`; nothing was sent",
		e.Line, e.Byte, e.Column)
}

// ErrNotUTF8 matches an *EncodingError with errors.Is.
var ErrNotUTF8 = errors.New("not valid UTF-8")

func (e *EncodingError) Is(target error) bool { return target == ErrNotUTF8 }

// utf8Guard passes bytes through and fails at the first byte that is not
// valid UTF-8, naming its line, instead of letting the decoder replace it
// with U+FFFD (which once sent "Zo\ufffd" to a vendor and exited 0).
type utf8Guard struct {
	r       io.Reader
	line    int // 1-based line of the next byte
	col     int // bytes since the line began
	pending []byte
	err     error
}

func newUTF8Guard(r io.Reader) *utf8Guard { return &utf8Guard{r: r, line: 1} }

func (g *utf8Guard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	// Keep back an incomplete sequence at the end of a read, so a rune cut
	// by the buffer is judged whole.
	n := copy(p, g.pending)
	g.pending = g.pending[n:]
	m, err := g.r.Read(p[n:])
	n += m
	buf := p[:n]
	end := len(buf)
	if err == nil {
		for i := 0; i < 3 && end-i-1 >= 0; i++ {
			b := buf[end-i-1]
			if b < 0x80 {
				break
			}
			if utf8.RuneStart(b) {
				if !utf8.FullRune(buf[end-i-1:]) {
					end = end - i - 1
				}
				break
			}
		}
	}
	for i := 0; i < end; {
		c := buf[i]
		if c < utf8.RuneSelf {
			if c == '\n' {
				g.line++
				g.col = 0
			} else {
				g.col++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(buf[i:end])
		if r == utf8.RuneError && size <= 1 {
			g.err = &EncodingError{Line: g.line, Column: g.col + 1, Byte: c}
			return i, g.err
		}
		g.col += size
		i += size
	}
	if end < n {
		g.pending = append([]byte(nil), buf[end:n]...)
		if m == 0 && err == nil {
			return end, nil
		}
	}
	return end, err
}
