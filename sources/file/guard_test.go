package file_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/sources/file"
)

// readErr reads a file to its end and returns the rows and the error that
// stopped it (nil at EOF).
func readErr(t *testing.T, data string, opts file.Options) ([]file.Row, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := file.Open(context.Background(), p, opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var rows []file.Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
}

func TestUndeclaredLatin1IsAnErrorNotReplaced(t *testing.T) {
	data := "name,city\nAmy,Sydney\nZo\xe9,caf\xe9\nBen,Perth\n"
	_, err := readErr(t, data, file.Options{})
	var ee *file.EncodingError
	if !errors.As(err, &ee) || ee.Line != 3 || ee.Column != 3 || ee.Byte != 0xe9 {
		t.Fatalf("error %v, want line 3, byte 3", err)
	}
	if !strings.Contains(err.Error(), "encoding: windows-1252") {
		t.Errorf("the error does not say what to declare: %v", err)
	}
	rows, err := readErr(t, data, file.Options{Encoding: "windows-1252"})
	if err != nil || len(rows) != 3 || rows[1].Values()["name"] != "Zoé" || rows[1].Values()["city"] != "café" {
		t.Fatalf("windows-1252: %v %v", rows, err)
	}
}

func TestValidUTF8AcrossReadBoundaries(t *testing.T) {
	// Multi-byte runes at every offset of the reader's buffers.
	var b strings.Builder
	b.WriteString("name,city\n")
	for i := range 20000 {
		b.WriteString(strings.Repeat("é", i%7) + "Zoë€𝄞,Zürich\n")
	}
	rows, err := readErr(t, b.String(), file.Options{})
	if err != nil || len(rows) != 20000 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
}

func TestEncodingAutoSaysWhatItChose(t *testing.T) {
	for _, tc := range []struct {
		name, data, want, note string
	}{
		{"utf-8", "name\nZoë\n", "utf-8", "every line is valid UTF-8"},
		{"windows-1252", "name\nAmy\nZo\xe9\n", "windows-1252", "line 3 is not valid UTF-8"},
		{"utf-16 BOM", "\xff\xfen\x00a\x00m\x00e\x00\n\x00Z\x00o\x00\n\x00", "utf-16le", "byte order mark"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "in.csv")
			os.WriteFile(p, []byte(tc.data), 0o644)
			sc, err := file.ScanFile(context.Background(), p, file.Options{Encoding: "auto"})
			if err != nil || sc.Encoding != tc.want || !strings.Contains(sc.Note, tc.note) || sc.Rows == 0 {
				t.Fatalf("scan %+v, %v; want %s and a note saying %q", sc, err, tc.want, tc.note)
			}
			rows, err := readErr(t, tc.data, file.Options{Encoding: sc.Encoding})
			if err != nil || len(rows) != sc.Rows {
				t.Fatalf("read with %s: %d rows, %v", sc.Encoding, len(rows), err)
			}
		})
	}
}

func TestLongLinesStopAtOnceWithAShortError(t *testing.T) {
	huge := strings.Repeat("x", 5<<20)
	for _, tc := range []struct {
		name, data  string
		line, lines int
	}{
		{"header", huge + "\n1\n", 1, 1},
		{"data line", "a,b\n1,2\n" + huge + ",3\n4,5\n", 3, 1},
		{"unclosed quote", "a,b\n1,2\n3,\"Sydney\n" + strings.Repeat("6,7\n", 2<<20), 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readErr(t, tc.data, file.Options{})
			var tl *file.TooLongError
			if !errors.As(err, &tl) || tl.Line != tc.line || (tc.lines > 0 && tl.Lines != tc.lines) {
				t.Fatalf("error %v, want line %d too long", err, tc.line)
			}
			if len(err.Error()) > 400 {
				t.Errorf("the error is %d bytes long", len(err.Error()))
			}
			if tc.lines == 0 && !strings.Contains(err.Error(), "quote opened on line 3") {
				t.Errorf("the error does not point at the quote: %v", err)
			}
		})
	}
	// A raised limit reads the same long line.
	rows, err := readErr(t, "a,b\n1,2\n"+huge+",3\n", file.Options{MaxLineBytes: 6 << 20})
	if err != nil || len(rows) != 2 {
		t.Fatalf("raised limit: %d rows, %v", len(rows), err)
	}
	_, err = readErr(t, `{"a":"`+huge+`"}`+"\n", file.Options{Format: "jsonl"})
	var tl *file.TooLongError
	if !errors.As(err, &tl) || tl.Line != 1 {
		t.Fatalf("jsonl: %v", err)
	}
}

func TestWideLinesStopAtOnce(t *testing.T) {
	wide := strings.Repeat("x,", 100000) + "x"
	for _, tc := range []struct {
		name, data string
		line       int
	}{
		{"header", wide + "\n1\n", 1},
		{"data line", "a,b\n1,2\n" + wide + "\n4,5\n", 3},
	} {
		_, err := readErr(t, tc.data, file.Options{})
		var tw *file.TooWideError
		if !errors.As(err, &tw) || tw.Line != tc.line || !strings.Contains(err.Error(), "16384") {
			t.Errorf("%s: %v, want line %d too wide", tc.name, err, tc.line)
		}
	}
	// Quoted delimiters are not fields: a quoted line is left to the reader.
	quoted := "a,b\n1,\"" + strings.Repeat("x,", 20000) + "\"\n"
	if rows, err := readErr(t, quoted, file.Options{}); err != nil || len(rows) != 1 {
		t.Errorf("quoted commas: %d rows, %v", len(rows), err)
	}
}

func TestMalformedRowsNeverSwallowOthers(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		rows       int    // rows read before the end or the error
		problems   []int  // rows that are problems (rejects)
		malformed  [2]int // lines of a *MalformedError (zero: none)
	}{
		{"unclosed quote to the end", "a,b,c\n1,2,3\n4,\"Sydney,6\n7,8,9\n", 1, nil, [2]int{3, 4}},
		{"quote closed lines later, wrong field count", "a,b,c\n1,2,3\n4,\"Syd,6\n7\",8,9\n10,11,12\n", 1, nil, [2]int{3, 4}},
		// A quote closed on a later line with the right number of fields
		// is a value with a line break in it: valid CSV, one row.
		{"quoted value across lines", "a,b,c\n1,2,3\n4,\"Syd,6\n7,8\",9\n10,11,12\n", 3, nil, [2]int{}},
		{"bare quote", "a,b,c\n1,2,3\n4,Syd\"ney,6\n7,8,9\n", 3, []int{2}, [2]int{}},
		{"too few fields", "a,b,c\n1,2,3\n4,5\n7,8,9\n", 3, []int{2}, [2]int{}},
		{"quoted newline is fine", "a,b,c\n1,\"two\nlines\",3\n7,8,9\n", 2, nil, [2]int{}},
		{"blank lines are not rows", "a,b,c\n\n1,2,3\n\n7,8,9\n", 2, nil, [2]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := readErr(t, tc.data, file.Options{})
			var me *file.MalformedError
			if tc.malformed != [2]int{} {
				if !errors.As(err, &me) || me.From != tc.malformed[0] || me.To != tc.malformed[1] {
					t.Fatalf("error %v, want lines %d to %d malformed", err, tc.malformed[0], tc.malformed[1])
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tc.rows {
				t.Errorf("%d rows, want %d", len(rows), tc.rows)
			}
			var problems []int
			for _, r := range rows {
				if r.Problem != "" {
					problems = append(problems, r.Num)
				}
			}
			if len(problems) != len(tc.problems) {
				t.Errorf("problem rows %v, want %v", problems, tc.problems)
			}
		})
	}
}

func TestShortCutsLongValues(t *testing.T) {
	if got := file.Short("abc"); got != "abc" {
		t.Error(got)
	}
	long := strings.Repeat("é", 1000)
	got := file.Short(long)
	if len(got) > 120 || !strings.Contains(got, "more bytes") {
		t.Errorf("%q", got)
	}
}
