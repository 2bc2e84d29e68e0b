package schema

import (
	"fmt"
	"reflect"
	"strings"
	"unsafe"
)

// Kind is the logical type of a column.
type Kind uint8

// The column kinds and the Parquet logical types they map to.
const (
	KindString    Kind = iota // BYTE_ARRAY (STRING); "" is null
	KindMoney                 // DECIMAL(18,2)
	KindRate                  // DECIMAL(18,6)
	KindTimestamp             // TIMESTAMP(MICROS, UTC)
	KindDate                  // DATE
	KindInt                   // INT64
)

func (k Kind) String() string {
	return [...]string{"string", "decimal(18,2)", "decimal(18,6)", "timestamp", "date", "int64"}[k]
}

// Column describes one canonical column.
type Column struct {
	Name string
	// Canonical is the canonical column this one holds: Name itself, except
	// in a projection that renamed it.
	Canonical string
	Kind      Kind
	Dict      bool // low cardinality: dictionary-encode in Parquet
	// Privacy is the kind of personal data the column holds, from the
	// field's `pii` tag: what the privacy policy acts on, and what
	// `leadpipe schema` shows. Every canonical column declares one.
	Privacy PrivacyClass
	// Doc is what the column means and NotNull whether every row has a
	// value (canonical columns only; see docs.go).
	Doc     string
	NotNull bool
	Index   int
	// offset is where the field lives inside the row struct. Accessors use it
	// so that writers and transforms handle every table with one loop instead
	// of a hand-written accessor per column.
	offset uintptr
}

// Table describes one canonical table.
type Table struct {
	Name    string
	Key     string // the *_uid column readers deduplicate on ("" for installments)
	Columns []Column
	rowType reflect.Type
	byName  map[string]int
}

// The canonical tables.
var (
	Leads        = NewTable[Lead]("leads", "lead_uid")
	Events       = NewTable[Event]("events", "event_uid")
	Loans        = NewTable[Loan]("loans", "loan_uid")
	Installments = NewTable[Installment]("installments", "")
	Payments     = NewTable[Payment]("payments", "payment_uid")
)

// Tables lists every canonical table.
var Tables = []*Table{Leads, Events, Loans, Installments, Payments}

// TableByName finds a canonical table.
func TableByName(name string) (*Table, bool) {
	for _, t := range Tables {
		if t.Name == name {
			return t, true
		}
	}
	return nil, false
}

// Column returns the named column.
func (t *Table) Column(name string) (*Column, bool) {
	i, ok := t.byName[name]
	if !ok {
		return nil, false
	}
	return &t.Columns[i], true
}

// ColumnNames lists the column names in order.
func (t *Table) ColumnNames() []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out
}

var kindOf = map[reflect.Type]Kind{
	reflect.TypeFor[string]():    KindString,
	reflect.TypeFor[Money]():     KindMoney,
	reflect.TypeFor[Rate]():      KindRate,
	reflect.TypeFor[Timestamp](): KindTimestamp,
	reflect.TypeFor[Date]():      KindDate,
	reflect.TypeFor[Int]():       KindInt,
}

// NewTable describes the table whose rows are T, from T's `col` tags. The
// canonical tables are built this way; so are leadpipe's own outputs such as
// push receipts, so that every writer handles them alike.
func NewTable[T any](name, key string) *Table {
	t := &Table{Name: name, Key: key, rowType: reflect.TypeFor[T](), byName: map[string]int{}}
	var walk func(rt reflect.Type, base uintptr)
	walk = func(rt reflect.Type, base uintptr) {
		for i := range rt.NumField() {
			f := rt.Field(i)
			if f.Anonymous {
				walk(f.Type, base+f.Offset)
				continue
			}
			tag := f.Tag.Get("col")
			if tag == "" {
				continue
			}
			colName, opts, _ := strings.Cut(tag, ",")
			kind, ok := kindOf[f.Type]
			if !ok {
				panic(fmt.Sprintf("schema: %s.%s has unsupported type %s", name, f.Name, f.Type))
			}
			if _, dup := t.byName[colName]; dup {
				panic(fmt.Sprintf("schema: %s.%s declared twice", name, colName))
			}
			class := Unclassified
			if pii, ok := f.Tag.Lookup("pii"); ok {
				if class, ok = ParsePrivacyClass(pii); !ok || class == Unclassified {
					panic(fmt.Sprintf("schema: %s.%s has an unknown pii class %q", name, colName, pii))
				}
			}
			t.byName[colName] = len(t.Columns)
			t.Columns = append(t.Columns, Column{
				Name: colName, Canonical: colName, Kind: kind, Dict: opts == "dict", Privacy: class, Index: len(t.Columns),
				offset: base + f.Offset,
			})
		}
	}
	walk(t.rowType, 0)
	return t
}

// Rows is a view over a slice of rows of one table.
type Rows struct {
	Table *Table
	base  unsafe.Pointer
	size  uintptr
	n     int
}

// RowsOf wraps rows, which must be the row type of t.
func RowsOf[T any](t *Table, rows []T) Rows {
	if reflect.TypeFor[T]() != t.rowType {
		panic(fmt.Sprintf("schema: %T rows are not %s rows", rows, t.Name))
	}
	if len(rows) == 0 {
		return Rows{Table: t}
	}
	return Rows{Table: t, base: unsafe.Pointer(unsafe.SliceData(rows)), size: unsafe.Sizeof(rows[0]), n: len(rows)}
}

// MakeRows allocates n zero rows of t's row type, for a reader that fills
// them column by column through Row (a spill file read back).
func (t *Table) MakeRows(n int) Rows {
	if n == 0 {
		return Rows{Table: t}
	}
	v := reflect.MakeSlice(reflect.SliceOf(t.rowType), n, n)
	return Rows{Table: t, base: v.UnsafePointer(), size: t.rowType.Size(), n: n}
}

// Len is the number of rows.
func (r Rows) Len() int { return r.n }

// Row returns row i.
func (r Rows) Row(i int) Row {
	if i < 0 || i >= r.n {
		panic("schema: row index out of range")
	}
	return Row{p: unsafe.Add(r.base, uintptr(i)*r.size)}
}

// Row is one row; its accessors return pointers so callers can also redact in
// place. Calling an accessor of the wrong kind panics.
type Row struct{ p unsafe.Pointer }

func (r Row) field(c *Column, k Kind) unsafe.Pointer {
	if c.Kind != k {
		panic(fmt.Sprintf("schema: column %s is %s, not %s", c.Name, c.Kind, k))
	}
	return unsafe.Add(r.p, c.offset)
}

// Str returns the string field of a KindString column.
func (r Row) Str(c *Column) *string { return (*string)(r.field(c, KindString)) }

// Money returns the field of a KindMoney column.
func (r Row) Money(c *Column) *Money { return (*Money)(r.field(c, KindMoney)) }

// Rate returns the field of a KindRate column.
func (r Row) Rate(c *Column) *Rate { return (*Rate)(r.field(c, KindRate)) }

// Timestamp returns the field of a KindTimestamp column.
func (r Row) Timestamp(c *Column) *Timestamp { return (*Timestamp)(r.field(c, KindTimestamp)) }

// Date returns the field of a KindDate column.
func (r Row) Date(c *Column) *Date { return (*Date)(r.field(c, KindDate)) }

// Int returns the field of a KindInt column.
func (r Row) Int(c *Column) *Int { return (*Int)(r.field(c, KindInt)) }

// IsNull reports whether the column holds no value.
func (r Row) IsNull(c *Column) bool {
	switch c.Kind {
	case KindString:
		return *r.Str(c) == ""
	case KindMoney:
		return !r.Money(c).Valid
	case KindRate:
		return !r.Rate(c).Valid
	case KindTimestamp:
		return !r.Timestamp(c).Valid
	case KindDate:
		return !r.Date(c).Valid
	case KindInt:
		return !r.Int(c).Valid
	}
	return true
}

// SetNull clears the column.
func (r Row) SetNull(c *Column) {
	switch c.Kind {
	case KindString:
		*r.Str(c) = ""
	case KindMoney:
		*r.Money(c) = Money{}
	case KindRate:
		*r.Rate(c) = Rate{}
	case KindTimestamp:
		*r.Timestamp(c) = Timestamp{}
	case KindDate:
		*r.Date(c) = Date{}
	case KindInt:
		*r.Int(c) = Int{}
	}
}

// Text formats the column as text: what the CSV writer writes and what
// reports show. Null is "".
func (r Row) Text(c *Column) string {
	switch c.Kind {
	case KindString:
		return *r.Str(c)
	case KindMoney:
		return r.Money(c).String()
	case KindRate:
		return r.Rate(c).String()
	case KindTimestamp:
		return r.Timestamp(c).String()
	case KindDate:
		return r.Date(c).String()
	case KindInt:
		return r.Int(c).String()
	}
	return ""
}

// Slice returns rows [from, to).
func (r Rows) Slice(from, to int) Rows {
	if from < 0 || to > r.n || from > to {
		panic("schema: slice out of range")
	}
	if from == to {
		return Rows{Table: r.Table}
	}
	return Rows{Table: r.Table, base: unsafe.Add(r.base, uintptr(from)*r.size), size: r.size, n: to - from}
}
