package reconcile

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"time"
)

// CSV files are for spreadsheets: one per section, with the columns of the
// HTML and Markdown tables. Amounts are plain numbers with two decimals and
// no separators ("1234567.50") beside a currency column, so a spreadsheet
// reads them as numbers; ratios are fractions; times are RFC 3339.

// CSVFiles returns every section as a CSV file, by file name.
func (r *Report) CSVFiles() map[string][]byte {
	out := map[string][]byte{}
	for _, t := range r.tables() {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		header := make([]string, len(t.Cols))
		for i, c := range t.Cols {
			header[i] = c.CSV
		}
		_ = w.Write(header)
		for _, row := range t.Rows {
			rec := make([]string, len(row))
			for i, c := range row {
				rec[i] = c.csv()
			}
			_ = w.Write(rec)
		}
		w.Flush()
		out[t.ID+".csv"] = buf.Bytes()
	}
	return out
}

func ratio(num, den int) string {
	if den == 0 {
		return ""
	}
	return fmt.Sprintf("%.4f", float64(num)/float64(den))
}

func rfc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
