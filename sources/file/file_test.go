package file_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	_ "github.com/leadpipe/leadpipe/sinks/storage/local"
	_ "github.com/leadpipe/leadpipe/sinks/storage/s3"
	"github.com/leadpipe/leadpipe/sources/file"
)

func readAll(t *testing.T, name string, data []byte, opts file.Options) ([]string, []file.Row) {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := file.Open(context.Background(), p, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer r.Close()
	var rows []file.Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	return r.Header(), rows
}

func TestCSVVariants(t *testing.T) {
	utf16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String("name;city\nZoë;Zürich\n")
	latin1, _ := charmap.ISO8859_1.NewEncoder().String("name,city\nZoë,Zürich\n")
	for _, tc := range []struct {
		name string
		data string
		opts file.Options
	}{
		{"plain", "name,city\nZoë,Zürich\n", file.Options{}},
		{"utf-8 BOM", "\xef\xbb\xbfname,city\r\nZoë,Zürich\r\n", file.Options{}},
		{"semicolon utf-16 BOM", utf16, file.Options{Delimiter: ";"}},
		{"latin1", latin1, file.Options{Encoding: "latin1"}},
		{"tab", "name\tcity\nZoë\tZürich\n", file.Options{Delimiter: `\t`}},
		{"quoted", "name,city\n\"Zoë\",\"Zürich\"\n", file.Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header, rows := readAll(t, "in.csv", []byte(tc.data), tc.opts)
			if strings.Join(header, "|") != "name|city" {
				t.Fatalf("header %q", header)
			}
			if len(rows) != 1 {
				t.Fatalf("%d rows", len(rows))
			}
			if v, _ := rows[0].Get("city"); v != "Zürich" || rows[0].Num != 1 || rows[0].Line != 2 {
				t.Errorf("row %+v city %q", rows[0], v)
			}
		})
	}
}

func TestBadRowsAreReportedAndReadingGoesOn(t *testing.T) {
	_, rows := readAll(t, "in.csv", []byte("a,b\n1,2\n3\n\"bad\"quote,4\n5,6\n"), file.Options{})
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	if rows[1].Problem == "" || !strings.Contains(rows[1].Problem, "1 fields, the header has 2") {
		t.Errorf("short row: %q", rows[1].Problem)
	}
	if !strings.Contains(rows[2].Problem, "line 4") {
		t.Errorf("bad quote: %q", rows[2].Problem)
	}
	if rows[3].Problem != "" || rows[3].Num != 4 {
		t.Errorf("the row after a bad one: %+v", rows[3])
	}
}

func TestHeaderProblems(t *testing.T) {
	for data, want := range map[string]string{
		"":             "empty",
		"a,,b\n":       "column 2 has no name",
		"a,b,a\n1,2,3": `"a" appears twice`,
	} {
		p := filepath.Join(t.TempDir(), "in.csv")
		os.WriteFile(p, []byte(data), 0o644)
		_, err := file.Open(context.Background(), p, file.Options{})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%q: %v, want %q and the path", data, err, want)
		}
	}
	_, err := file.Open(context.Background(), filepath.Join(t.TempDir(), "missing.csv"), file.Options{})
	if err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("missing file: %v", err)
	}
}

func TestJSONLines(t *testing.T) {
	header, rows := readAll(t, "in.jsonl", []byte(`{"name":"Ann","n":5,"tags":["a"],"x":null}`+"\n\n"+`{"name":"Bob","city":"Perth"}`+"\nnot json\n"), file.Options{})
	if strings.Join(header, ",") != "n,name,tags,x,city" {
		t.Errorf("header %v", header)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	if v, _ := rows[0].Get("n"); v != "5" {
		t.Errorf("n = %q", v)
	}
	if v, _ := rows[0].Get("tags"); v != `["a"]` {
		t.Errorf("tags = %q", v)
	}
	if rows[1].Line != 3 || rows[2].Problem == "" {
		t.Errorf("rows %+v", rows[1:])
	}
}
