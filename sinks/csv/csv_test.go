package csv_test

import (
	"bytes"
	stdcsv "encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/csv"
)

func ts(s string) schema.Timestamp {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return schema.TimestampOf(t)
}

func date(s string) schema.Date {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return schema.DateOf(t)
}

func loans() []schema.Loan {
	return []schema.Loan{
		{
			LoanUID: "iute:L-1", VendorLoanID: "L-1", LeadUID: "lumi:7", Status: schema.StatusFunded,
			VendorStatus: `Settled, "final"`, Product: "term_loan", TermCount: schema.IntOf(12), TermUnit: "month",
			Principal: schema.MoneyFromCents(1_234_50), TotalRepayable: schema.MoneyFromCents(-5),
			Repaid: schema.MoneyFromCents(0), Currency: "AUD",
			InterestRate:       schema.Rate{Micros: 242_400, Valid: true},
			FundedAt:           ts("2026-03-04T05:06:07.123456Z"),
			FirstRepaymentDate: date("1969-12-31"),
			CreatedAt:          ts("1960-01-01T00:00:00Z"),
			Attributes:         "{\"note\":\"line one\nline two\",\"tab\":\"a\tb\"}",
			Common:             schema.Common{Vendor: "iute", ExtractedAt: ts("2026-11-22T17:30:00.5Z"), RunID: "r1"},
		},
		{LoanUID: "iute:L-2", Attributes: "Zoë 日本 🙂; semi", Common: schema.Common{Vendor: "iute"}},
	}
}

// write writes loans to a CSV file one row per Write.
func write(t *testing.T, f *csv.Format, loans []schema.Loan) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := f.NewWriter(&buf, schema.Loans)
	if err != nil {
		t.Fatal(err)
	}
	for i := range loans {
		if err := w.Write(schema.RowsOf(schema.Loans, loans[i:i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestRoundTrip(t *testing.T) {
	out := write(t, csv.New(csv.Options{}), loans())

	r := stdcsv.NewReader(strings.NewReader(out))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read the output: %v\n%s", err, out)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want header + 2", len(recs))
	}
	if strings.Join(recs[0], ",") != strings.Join(schema.Loans.ColumnNames(), ",") {
		t.Fatalf("header = %v", recs[0])
	}
	get := func(rec []string, col string) string {
		c, _ := schema.Loans.Column(col)
		return rec[c.Index]
	}
	want := map[string]string{
		"loan_uid":             "iute:L-1",
		"vendor_status":        `Settled, "final"`,
		"term_count":           "12",
		"principal":            "1234.50",
		"total_repayable":      "-0.05",
		"repaid":               "0.00",
		"outstanding":          "", // null
		"interest_rate":        "0.2424",
		"commission_rate":      "",
		"funded_at":            "2026-03-04T05:06:07.123456Z",
		"first_repayment_date": "1969-12-31",
		"created_at":           "1960-01-01T00:00:00Z",
		"updated_at":           "",
		"attributes":           "{\"note\":\"line one\nline two\",\"tab\":\"a\tb\"}",
		"extracted_at":         "2026-11-22T17:30:00.5Z",
		"lead_uid":             "lumi:7",
	}
	for col, v := range want {
		if got := get(recs[1], col); got != v {
			t.Errorf("%s = %q, want %q", col, got, v)
		}
	}
	if got := get(recs[2], "attributes"); got != "Zoë 日本 🙂; semi" {
		t.Errorf("unicode attributes = %q", got)
	}
	if got := get(recs[2], "principal"); got != "" {
		t.Errorf("null principal = %q, want empty", got)
	}
	// RFC 4180: the embedded quote is doubled inside a quoted field.
	if !strings.Contains(out, `"Settled, ""final"""`) {
		t.Errorf("quotes not escaped per RFC 4180:\n%s", out)
	}
}

func TestDelimiterAndNoHeader(t *testing.T) {
	no := false
	f := csv.New(csv.Options{Delimiter: ';', Header: &no})
	if f.Delimiter() != ';' || f.Header() {
		t.Fatalf("options not applied: %q %v", f.Delimiter(), f.Header())
	}
	out := write(t, f, loans())
	r := stdcsv.NewReader(strings.NewReader(out))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0][0] != "iute:L-1" {
		t.Fatalf("records = %q", recs)
	}
	// The field holding the delimiter is quoted.
	if !strings.Contains(out, `"Zoë 日本 🙂; semi"`) {
		t.Errorf("field with the delimiter not quoted:\n%s", out)
	}
}

func TestDefaultsAndErrors(t *testing.T) {
	f := csv.New(csv.Options{})
	if f.Name() != "csv" || f.Ext() != ".csv" || f.Delimiter() != ',' || !f.Header() {
		t.Fatalf("defaults: %s %s %q %v", f.Name(), f.Ext(), f.Delimiter(), f.Header())
	}
	var _ sinks.Format = f
	for _, d := range []rune{'"', '\n', '\r', 0xD800} {
		if _, err := csv.New(csv.Options{Delimiter: d}).NewWriter(&bytes.Buffer{}, schema.Leads); err == nil {
			t.Errorf("delimiter %q accepted", d)
		}
	}

	var buf bytes.Buffer
	w, err := f.NewWriter(&buf, schema.Events)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(schema.RowsOf(schema.Leads, []schema.Lead{{}})); err == nil {
		t.Error("leads rows accepted by an events writer")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// An empty file still has its header.
	if got := buf.String(); got != strings.Join(schema.Events.ColumnNames(), ",")+"\n" {
		t.Errorf("empty file = %q", got)
	}
	if err := w.Write(schema.RowsOf(schema.Events, []schema.Event{{}})); err == nil {
		t.Error("Write after Close succeeded")
	}
}
