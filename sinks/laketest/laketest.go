// Package laketest reads a local lake back for tests with parquet-go, an
// implementation independent of the arrow-go writer that produced it, and
// with encoding/csv for CSV lakes.
package laketest

import (
	"encoding/csv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"
)

// Row is one row: column name → value as text ("" for null). Decimals are
// their unscaled integers for Parquet (the logical type tests check those);
// uids and strings are what tests compare.
type Row map[string]string

// Files lists the published data files of a table under root (staged and
// hidden files excluded), sorted.
func Files(t testing.TB, root, table string) []string {
	t.Helper()
	var out []string
	dir := filepath.Join(root, table)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return filepath.SkipAll
			}
			return err
		}
		name := d.Name()
		if d.IsDir() || strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") {
			return nil
		}
		if strings.HasSuffix(name, ".parquet") || strings.HasSuffix(name, ".csv") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("list %s: %v", dir, err)
	}
	sort.Strings(out)
	return out
}

// Read returns every row of a table under root.
func Read(t testing.TB, root, table string) []Row {
	t.Helper()
	var rows []Row
	for _, f := range Files(t, root, table) {
		if strings.HasSuffix(f, ".csv") {
			rows = append(rows, readCSV(t, f)...)
		} else {
			rows = append(rows, readParquet(t, f)...)
		}
	}
	return rows
}

// ReadFile reads one Parquet or CSV file.
func ReadFile(t testing.TB, path string) []Row {
	t.Helper()
	if strings.HasSuffix(path, ".csv") {
		return readCSV(t, path)
	}
	return readParquet(t, path)
}

func readParquet(t testing.TB, path string) []Row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := pq.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("parquet-go cannot open %s: %v", path, err)
	}
	var names []string
	for _, col := range pf.Schema().Columns() {
		names = append(names, strings.Join(col, "."))
	}
	r := pq.NewReader(pf)
	defer r.Close()
	var out []Row
	buf := make([]pq.Row, 64)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			m := Row{}
			for _, v := range row {
				if v.IsNull() {
					m[names[v.Column()]] = ""
					continue
				}
				m[names[v.Column()]] = v.String()
			}
			out = append(out, m)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("parquet-go read %s: %v", path, err)
		}
	}
	return out
}

func readCSV(t testing.TB, path string) []Row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if len(recs) == 0 {
		return nil
	}
	var out []Row
	for _, rec := range recs[1:] {
		m := Row{}
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

// Column collects one column of the rows.
func Column(rows []Row, col string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r[col]
	}
	return out
}

// Duplicates returns the values that occur more than once.
func Duplicates(vals []string) []string {
	seen := map[string]int{}
	for _, v := range vals {
		seen[v]++
	}
	var out []string
	for v, n := range seen {
		if n > 1 {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// Latest keeps the newest row per key, the way readers build the "current"
// view: the greatest extracted_at (microseconds), and the later row in file
// order when they tie.
func Latest(rows []Row, key string) map[string]Row {
	out := map[string]Row{}
	for _, r := range rows {
		if cur, ok := out[r[key]]; ok && newer(cur["extracted_at"], r["extracted_at"]) {
			continue
		}
		out[r[key]] = r
	}
	return out
}

// newer reports whether extracted_at a is after b (both as written by the
// readers: integer microseconds from Parquet, RFC 3339 text from CSV).
func newer(a, b string) bool {
	ai, aerr := strconv.ParseInt(a, 10, 64)
	bi, berr := strconv.ParseInt(b, 10, 64)
	if aerr == nil && berr == nil {
		return ai > bi
	}
	return a > b
}
