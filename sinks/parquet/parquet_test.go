package parquet_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"unsafe"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/parquet"
)

// The tests read files back with parquet-go, a Parquet implementation
// independent of the Arrow writer under test.

// value is what the generator puts in column j of row i. null marks a null.
type value struct {
	null bool
	s    string
	i    int64 // money cents, rate micros, timestamp micros, date days, int
}

// gen returns a deterministic value for row i, column c: nulls, negative
// money, cents, extreme decimals, micro timestamps, dates before 1970 and
// unicode strings that need quoting.
func gen(i int, c *schema.Column) value {
	if (i+c.Index)%7 == 3 {
		return value{null: true}
	}
	switch c.Kind {
	case schema.KindString:
		if c.Dict {
			return value{s: fmt.Sprintf("%s_%d", c.Name, i%5)}
		}
		return value{s: fmt.Sprintf("%s-%d Zoë 日本 🙂, \"q\"\n", c.Name, i)}
	case schema.KindMoney:
		switch i % 11 {
		case 5:
			return value{i: 999_999_999_999_999_999} // max DECIMAL(18,2)
		case 6:
			return value{i: -999_999_999_999_999_999}
		}
		return value{i: int64(i)*1009 - 50_000 + int64(c.Index)} // negative, cents
	case schema.KindRate:
		return value{i: int64(i%50)*4_848 - 12_345 + int64(c.Index)} // e.g. 0.242400
	case schema.KindTimestamp:
		// Micro precision, before and after 1970.
		return value{i: -86_400_000_000*400 + int64(i)*7_777_777_777 + 123_457 + int64(c.Index)}
	case schema.KindDate:
		return value{i: int64(-20_000 + i*37 + c.Index)} // 1915-03-27 onwards
	case schema.KindInt:
		return value{i: int64(i*3 - 100 + c.Index)}
	}
	panic("unknown kind")
}

// fill sets every column of rows to the generated values, starting at row
// number base.
func fill(rows schema.Rows, base int) {
	for i := range rows.Len() {
		r := rows.Row(i)
		for ci := range rows.Table.Columns {
			c := &rows.Table.Columns[ci]
			v := gen(base+i, c)
			if v.null {
				r.SetNull(c)
				continue
			}
			switch c.Kind {
			case schema.KindString:
				*r.Str(c) = v.s
			case schema.KindMoney:
				*r.Money(c) = schema.Money{Cents: v.i, Valid: true}
			case schema.KindRate:
				*r.Rate(c) = schema.Rate{Micros: v.i, Valid: true}
			case schema.KindTimestamp:
				*r.Timestamp(c) = schema.Timestamp{Micros: v.i, Valid: true}
			case schema.KindDate:
				*r.Date(c) = schema.Date{Days: int32(v.i), Valid: true}
			case schema.KindInt:
				*r.Int(c) = schema.Int{V: v.i, Valid: true}
			}
		}
	}
}

// batch is a reusable slice of rows of any canonical table.
type batch struct {
	// slice returns the first n rows.
	slice func(n int) schema.Rows
	// overwrite garbles every row in place, as a caller reusing its batch
	// would, to prove the writer copied what it needed.
	overwrite func()
}

func newBatch(t *schema.Table, n int) *batch {
	switch t {
	case schema.Leads:
		return mkBatch(t, make([]schema.Lead, n))
	case schema.Events:
		return mkBatch(t, make([]schema.Event, n))
	case schema.Loans:
		return mkBatch(t, make([]schema.Loan, n))
	case schema.Installments:
		return mkBatch(t, make([]schema.Installment, n))
	case schema.Payments:
		return mkBatch(t, make([]schema.Payment, n))
	}
	panic("unknown table " + t.Name)
}

func mkBatch[T any](t *schema.Table, s []T) *batch {
	return &batch{
		slice: func(n int) schema.Rows { return schema.RowsOf(t, s[:n]) },
		overwrite: func() {
			rows := schema.RowsOf(t, s)
			// Strings that share one byte buffer, then the buffer mutated.
			buf := []byte(strings.Repeat("X", 64))
			shared := unsafe.String(unsafe.SliceData(buf), len(buf))
			for i := range rows.Len() {
				for ci := range t.Columns {
					c := &t.Columns[ci]
					if c.Kind == schema.KindString {
						*rows.Row(i).Str(c) = shared
					} else {
						rows.Row(i).SetNull(c)
					}
				}
			}
			clear(buf)
		},
	}
}

// writeFile writes total rows of t in Writes of batchSize rows.
func writeFile(t *testing.T, f *parquet.Format, tbl *schema.Table, total, batchSize int) []byte {
	t.Helper()
	data, err := writeRows(f, tbl, total, batchSize)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// writeRows writes total generated rows of tbl in Writes of batchSize rows,
// garbling the caller's batch after every Write.
func writeRows(f *parquet.Format, tbl *schema.Table, total, batchSize int) ([]byte, error) {
	var buf bytes.Buffer
	w, err := f.NewWriter(&buf, tbl)
	if err != nil {
		return nil, fmt.Errorf("NewWriter: %w", err)
	}
	b := newBatch(tbl, batchSize)
	for base := 0; base < total; base += batchSize {
		n := min(batchSize, total-base)
		rows := b.slice(n)
		fill(rows, base)
		if err := w.Write(rows); err != nil {
			return nil, fmt.Errorf("Write rows %d..%d: %w", base, base+n, err)
		}
		b.overwrite()
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("Close: %w", err)
	}
	return buf.Bytes(), nil
}

// file is a Parquet file read back with parquet-go.
type file struct {
	f    *pq.File
	meta *format.FileMetaData
	// values[column name][row]
	values map[string][]pq.Value
	leaves []format.SchemaElement
}

func readFile(t *testing.T, data []byte) *file {
	t.Helper()
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("parquet-go OpenFile: %v", err)
	}
	out := &file{f: f, meta: f.Metadata(), values: map[string][]pq.Value{}}
	for _, el := range out.meta.Schema[1:] {
		out.leaves = append(out.leaves, el)
	}
	for _, rg := range f.RowGroups() {
		rr := rg.Rows()
		buf := make([]pq.Row, 100)
		for {
			n, err := rr.ReadRows(buf)
			for _, row := range buf[:n] {
				for _, v := range row {
					name := out.leaves[v.Column()].Name
					out.values[name] = append(out.values[name], v.Clone())
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("ReadRows: %v", err)
			}
		}
		rr.Close()
	}
	return out
}

func mustFormat(t *testing.T, opts parquet.Options) *parquet.Format {
	t.Helper()
	f, err := parquet.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return f
}

func TestRoundTripEveryTable(t *testing.T) {
	f := mustFormat(t, parquet.Options{RowGroupRows: 1000})
	const total = 2500
	for _, tbl := range schema.Tables {
		t.Run(tbl.Name, func(t *testing.T) {
			data := writeFile(t, f, tbl, total, 333)
			pf := readFile(t, data)

			if got := pf.meta.NumRows; got != total {
				t.Fatalf("NumRows = %d, want %d", got, total)
			}
			if got := len(pf.meta.RowGroups); got != 3 {
				t.Errorf("row groups = %d, want 3 (1000+1000+500)", got)
			}
			for k, want := range map[string]string{"leadpipe.table": tbl.Name, "leadpipe.schema_version": "1"} {
				if got, ok := pf.f.Lookup(k); !ok || got != want {
					t.Errorf("metadata %s = %q (%v), want %q", k, got, ok, want)
				}
			}
			if len(pf.leaves) != len(tbl.Columns) {
				t.Fatalf("file has %d columns, table %d", len(pf.leaves), len(tbl.Columns))
			}
			for ci := range tbl.Columns {
				c := &tbl.Columns[ci]
				checkType(t, c, pf.leaves[ci])
				checkChunks(t, c, pf.meta)
				vals := pf.values[c.Name]
				if len(vals) != total {
					t.Fatalf("%s: %d values, want %d", c.Name, len(vals), total)
				}
				for i, v := range vals {
					if msg := compare(gen(i, c), c, v); msg != "" {
						t.Fatalf("%s row %d: %s", c.Name, i, msg)
					}
				}
			}
		})
	}
}

func compare(want value, c *schema.Column, v pq.Value) string {
	if want.null != v.IsNull() {
		return fmt.Sprintf("null = %v, want %v (value %v)", v.IsNull(), want.null, v)
	}
	if want.null {
		return ""
	}
	switch c.Kind {
	case schema.KindString:
		if got := string(v.ByteArray()); got != want.s {
			return fmt.Sprintf("got %q, want %q", got, want.s)
		}
	case schema.KindDate:
		if v.Kind() != pq.Int32 || int64(v.Int32()) != want.i {
			return fmt.Sprintf("got %v (%v), want INT32 %d", v, v.Kind(), want.i)
		}
	default:
		if v.Kind() != pq.Int64 || v.Int64() != want.i {
			return fmt.Sprintf("got %v (%v), want INT64 %d", v, v.Kind(), want.i)
		}
	}
	return ""
}

// checkType asserts the physical and logical type of a column.
func checkType(t *testing.T, c *schema.Column, el format.SchemaElement) {
	t.Helper()
	if el.Name != c.Name {
		t.Fatalf("column %d is %q, want %q", c.Index, el.Name, c.Name)
	}
	if rep, _ := el.RepetitionType.Get(); rep != format.Optional {
		t.Errorf("%s: repetition %v, want OPTIONAL", c.Name, rep)
	}
	phys, _ := el.Type.Get()
	lt := el.LogicalType.Value
	switch c.Kind {
	case schema.KindString:
		if _, ok := lt.(*format.StringType); !ok || phys != format.ByteArray {
			t.Errorf("%s: %v %v, want BYTE_ARRAY STRING", c.Name, phys, lt)
		}
	case schema.KindMoney, schema.KindRate:
		scale := int32(2)
		if c.Kind == schema.KindRate {
			scale = 6
		}
		d, ok := lt.(*format.DecimalType)
		if !ok || d.Precision != 18 || d.Scale != scale || phys != format.Int64 {
			t.Errorf("%s: %v %v, want INT64 DECIMAL(18,%d)", c.Name, phys, lt, scale)
		}
		// The legacy annotation too, for readers that predate logical types.
		conv, _ := el.ConvertedType.Get()
		p, _ := el.Precision.Get()
		sc, _ := el.Scale.Get()
		if conv != deprecated.Decimal || p != 18 || sc != scale {
			t.Errorf("%s: converted type %v (%d,%d), want DECIMAL(18,%d)", c.Name, conv, p, sc, scale)
		}
	case schema.KindTimestamp:
		ts, ok := lt.(*format.TimestampType)
		if !ok || !ts.IsAdjustedToUTC || phys != format.Int64 {
			t.Errorf("%s: %v %v, want INT64 TIMESTAMP(MICROS, UTC)", c.Name, phys, lt)
		} else if _, micros := ts.Unit.Value.(*format.MicroSeconds); !micros {
			t.Errorf("%s: timestamp unit %v, want MICROS", c.Name, &ts.Unit)
		}
		if conv, _ := el.ConvertedType.Get(); conv != deprecated.TimestampMicros {
			t.Errorf("%s: converted type %v, want TIMESTAMP_MICROS", c.Name, conv)
		}
	case schema.KindDate:
		if _, ok := lt.(*format.DateType); !ok || phys != format.Int32 {
			t.Errorf("%s: %v %v, want INT32 DATE", c.Name, phys, lt)
		}
	case schema.KindInt:
		it, ok := lt.(*format.IntType)
		if phys != format.Int64 || (ok && (it.BitWidth != 64 || !it.IsSigned)) {
			t.Errorf("%s: %v %v, want INT64", c.Name, phys, lt)
		}
	}
}

// checkChunks asserts every chunk of a column is zstd-compressed and
// dictionary-encoded exactly when the column is a Dict column.
func checkChunks(t *testing.T, c *schema.Column, meta *format.FileMetaData) {
	t.Helper()
	for gi, rg := range meta.RowGroups {
		md := rg.Columns[c.Index].MetaData
		if md.Codec != format.Zstd {
			t.Errorf("%s row group %d: codec %v, want ZSTD", c.Name, gi, md.Codec)
		}
		dict := md.DictionaryPageOffset > 0
		for _, e := range md.Encoding {
			if e == format.RLEDictionary || e == format.PlainDictionary {
				dict = true
			}
		}
		if dict != c.Dict {
			t.Errorf("%s row group %d: dictionary-encoded = %v, want %v (encodings %v)",
				c.Name, gi, dict, c.Dict, md.Encoding)
		}
	}
}

func TestSmallWritesFillRowGroups(t *testing.T) {
	f := mustFormat(t, parquet.Options{RowGroupRows: 3000})
	data := writeFile(t, f, schema.Leads, 10_000, 7)
	pf := readFile(t, data)
	var got []int64
	for _, rg := range pf.meta.RowGroups {
		got = append(got, rg.NumRows)
	}
	if fmt.Sprint(got) != "[3000 3000 3000 1000]" {
		t.Fatalf("row group sizes %v, want [3000 3000 3000 1000]", got)
	}
	c, _ := schema.Leads.Column("email")
	for i, v := range pf.values["email"] {
		if msg := compare(gen(i, c), c, v); msg != "" {
			t.Fatalf("email row %d: %s", i, msg)
		}
	}
}

func TestCodecs(t *testing.T) {
	for name, want := range map[string]format.CompressionCodec{
		"": format.Zstd, "zstd": format.Zstd, "ZSTD": format.Zstd, "snappy": format.Snappy,
		"gzip": format.Gzip, "none": format.Uncompressed,
	} {
		f := mustFormat(t, parquet.Options{Compression: name})
		pf := readFile(t, writeFile(t, f, schema.Payments, 50, 50))
		if got := pf.meta.RowGroups[0].Columns[0].MetaData.Codec; got != want {
			t.Errorf("compression %q: codec %v, want %v", name, got, want)
		}
	}
	f := mustFormat(t, parquet.Options{Compression: "zstd", CompressionLevel: 9})
	readFile(t, writeFile(t, f, schema.Payments, 50, 50))
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		opts parquet.Options
		want string
	}{
		{parquet.Options{Compression: "lz5"}, `unknown compression "lz5"`},
		{parquet.Options{Compression: "zstd", CompressionLevel: 40}, "out of range"},
		{parquet.Options{Compression: "gzip", CompressionLevel: 10}, "out of range"},
		{parquet.Options{Compression: "snappy", CompressionLevel: 3}, "takes no level"},
		{parquet.Options{RowGroupRows: -1}, "row group rows"},
	} {
		_, err := parquet.New(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want error containing %q", tc.opts, err, tc.want)
		}
	}
	f := mustFormat(t, parquet.Options{})
	if o := f.Options(); o.Compression != "zstd" || o.RowGroupRows != 128*1024 {
		t.Errorf("defaults = %+v", o)
	}
	if f.Name() != "parquet" || f.Ext() != ".parquet" {
		t.Errorf("Name/Ext = %q %q", f.Name(), f.Ext())
	}
	var _ sinks.Format = f
}

func TestDecimalOverflowRejectsBatch(t *testing.T) {
	f := mustFormat(t, parquet.Options{})
	var buf bytes.Buffer
	w, err := f.NewWriter(&buf, schema.Leads)
	if err != nil {
		t.Fatal(err)
	}
	good := []schema.Lead{{LeadUID: "lumi:1", AmountRequested: schema.MoneyFromCents(-150)}}
	if err := w.Write(schema.RowsOf(schema.Leads, good)); err != nil {
		t.Fatal(err)
	}
	bad := []schema.Lead{{LeadUID: "lumi:2"}, {LeadUID: "lumi:3", AmountRequested: schema.MoneyFromCents(1e18)}}
	err = w.Write(schema.RowsOf(schema.Leads, bad))
	if err == nil || !strings.Contains(err.Error(), "row 1 column amount_requested") ||
		!strings.Contains(err.Error(), "decimal(18,2)") {
		t.Fatalf("Write(overflow) = %v, want a decimal(18,2) error naming row 1", err)
	}
	if err := w.Write(schema.RowsOf(schema.Leads, good)); err != nil {
		t.Fatalf("Write after a rejected batch: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	pf := readFile(t, buf.Bytes())
	if pf.meta.NumRows != 2 {
		t.Fatalf("NumRows = %d, want 2", pf.meta.NumRows)
	}
	if v := pf.values["amount_requested"][1]; v.Int64() != -150 {
		t.Fatalf("amount_requested = %v, want -150 cents", v)
	}
}

func TestEmptyFileAndWrongTable(t *testing.T) {
	f := mustFormat(t, parquet.Options{})
	var buf bytes.Buffer
	w, err := f.NewWriter(&buf, schema.Events)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(schema.RowsOf(schema.Leads, []schema.Lead{{}})); err == nil ||
		!strings.Contains(err.Error(), "leads rows written to a events file") {
		t.Fatalf("Write(wrong table) = %v", err)
	}
	if err := w.Write(schema.RowsOf[schema.Event](schema.Events, nil)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.Write(schema.RowsOf(schema.Events, []schema.Event{{}})); err == nil {
		t.Fatal("Write after Close succeeded")
	}
	pf := readFile(t, buf.Bytes())
	if pf.meta.NumRows != 0 || len(pf.leaves) != len(schema.Events.Columns) {
		t.Fatalf("empty file: %d rows, %d columns", pf.meta.NumRows, len(pf.leaves))
	}
}

type closeRecorder struct {
	bytes.Buffer
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestCloseLeavesUnderlyingWriterOpen(t *testing.T) {
	f := mustFormat(t, parquet.Options{})
	var out closeRecorder
	w, err := f.NewWriter(&out, schema.Installments)
	if err != nil {
		t.Fatal(err)
	}
	rows := []schema.Installment{{LoanUID: "iute:1", Number: schema.IntOf(1)}}
	if err := w.Write(schema.RowsOf(schema.Installments, rows)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if out.closed {
		t.Fatal("TableWriter.Close closed the underlying io.Writer")
	}
	if !bytes.HasSuffix(out.Bytes(), []byte("PAR1")) {
		t.Fatal("file does not end with the Parquet magic")
	}
}

func TestArrowSchema(t *testing.T) {
	s := parquet.ArrowSchema(schema.Loans)
	want := map[string]string{
		"loan_uid":             "utf8",
		"principal":            "decimal(18, 2)",
		"interest_rate":        "decimal(18, 6)",
		"funded_at":            "timestamp[us, tz=UTC]",
		"first_repayment_date": "date32",
		"term_count":           "int64",
	}
	for name, typ := range want {
		fs, ok := s.FieldsByName(name)
		if !ok || fs[0].Type.String() != typ || !fs[0].Nullable {
			t.Errorf("%s: %v, want nullable %s", name, fs, typ)
		}
	}
	if s.NumFields() != len(schema.Loans.Columns) {
		t.Errorf("%d fields, want %d", s.NumFields(), len(schema.Loans.Columns))
	}
	if v, _ := s.Metadata().GetValue("leadpipe.table"); v != "loans" {
		t.Errorf("metadata leadpipe.table = %q", v)
	}
}

// A dictionary column that turns out to hold many distinct values outgrows
// the dictionary page limit and falls back to plain encoding; its values
// must survive, as must an all-null dictionary column.
func TestDictionaryFallbackAndAllNull(t *testing.T) {
	f := mustFormat(t, parquet.Options{RowGroupRows: 20_000})
	const n = 30_000
	rows := make([]schema.Lead, n)
	for i := range rows {
		rows[i].LeadUID = fmt.Sprintf("lumi:%d", i)
		rows[i].VendorStatus = fmt.Sprintf("%06d %s", i, strings.Repeat("ß", 40)) // 2.5 MB of distinct values
		rows[i].Status = schema.StatusNew
		// lost_reason stays null in every row
	}
	var buf bytes.Buffer
	w, err := f.NewWriter(&buf, schema.Leads)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 777 {
		if err := w.Write(schema.RowsOf(schema.Leads, rows[i:min(i+777, n)])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	pf := readFile(t, buf.Bytes())
	for i := range n {
		if got := string(pf.values["vendor_status"][i].ByteArray()); got != rows[i].VendorStatus {
			t.Fatalf("vendor_status row %d = %q, want %q", i, got, rows[i].VendorStatus)
		}
		if got := string(pf.values["status"][i].ByteArray()); got != "new" {
			t.Fatalf("status row %d = %q", i, got)
		}
		if !pf.values["lost_reason"][i].IsNull() {
			t.Fatalf("lost_reason row %d = %v, want null", i, pf.values["lost_reason"][i])
		}
	}
}

// Row groups close exactly at RowGroupRows, including when the rows end on
// a boundary (no empty trailing row group) and when a row group is smaller
// than the writer's internal chunk.
func TestRowGroupBoundaries(t *testing.T) {
	for _, tc := range []struct{ rg, total, batch int }{
		{1000, 3000, 250},
		{1000, 3000, 3000},
		{7, 50, 3},
		{10_000, 10_000, 1},
	} {
		f := mustFormat(t, parquet.Options{RowGroupRows: tc.rg})
		pf := readFile(t, writeFile(t, f, schema.Payments, tc.total, tc.batch))
		var sizes []int64
		for _, rg := range pf.meta.RowGroups {
			sizes = append(sizes, rg.NumRows)
		}
		var want []int64
		for left := tc.total; left > 0; left -= tc.rg {
			want = append(want, int64(min(tc.rg, left)))
		}
		if fmt.Sprint(sizes) != fmt.Sprint(want) {
			t.Errorf("%+v: row groups %v, want %v", tc, sizes, want)
		}
		c, _ := schema.Payments.Column("amount")
		for i, v := range pf.values["amount"] {
			if msg := compare(gen(i, c), c, v); msg != "" {
				t.Fatalf("%+v: amount row %d: %s", tc, i, msg)
			}
		}
	}
}

// Writers are independent: several files written at once (sharing the
// pooled compressors) come out intact.
func TestConcurrentWriters(t *testing.T) {
	f := mustFormat(t, parquet.Options{RowGroupRows: 2000})
	out := make([][]byte, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for k := range out {
		wg.Go(func() { out[k], errs[k] = writeRows(f, schema.Tables[k], 5000, 600) })
	}
	wg.Wait()
	for k, data := range out {
		if errs[k] != nil {
			t.Fatalf("%s: %v", schema.Tables[k].Name, errs[k])
		}
		tbl := schema.Tables[k]
		pf := readFile(t, data)
		if pf.meta.NumRows != 5000 {
			t.Fatalf("%s: %d rows", tbl.Name, pf.meta.NumRows)
		}
		for ci := range tbl.Columns {
			c := &tbl.Columns[ci]
			for i, v := range pf.values[c.Name] {
				if msg := compare(gen(i, c), c, v); msg != "" {
					t.Fatalf("%s.%s row %d: %s", tbl.Name, c.Name, i, msg)
				}
			}
		}
	}
}
