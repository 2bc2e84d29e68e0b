package iceberg

import (
	"fmt"
	"strings"

	"github.com/apache/iceberg-go"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks"
)

// CurrentSuffix names a table's current-state table: leads_current.
const CurrentSuffix = "_current"

// currentTime is the time column a current-state table is partitioned by
// (by month): when the entity came to be. A lead keeps its created_at as it
// changes, so its new row lands in the partition its old row was in, and an
// upsert rewrites only the files of the months that changed; updates
// cluster on recent leads, so old months are left alone.
var currentTime = map[string]string{
	"leads":        "created_at",
	"events":       "occurred_at",
	"loans":        "created_at",
	"installments": "due_date",
	"payments":     "occurred_at",
}

// replaceKey is the column whose values a run replaces in the current-state
// table: the table's *_uid, except for installments, where a run that read
// a loan delivers the loan's whole schedule, so the schedule is replaced.
var replaceKey = map[string]string{"installments": "loan_uid"}

// tableSpec is how one canonical table is stored as two Iceberg tables.
type tableSpec struct {
	canon *schema.Table // the canonical table
	t     *schema.Table // the columns the files get (a projection of canon)
	// replace is the column (in t) whose values a run replaces in the
	// current-state table; rowKey the columns (canonical) identifying one
	// current row; order the canonical column that decides which of two
	// versions in one run is newer ("" for arrival order).
	replace string
	rowKey  []*schema.Column
	order   *schema.Column
	vendor  string // the vendor column in t
	// histTime and curTime are t's columns the tables are partitioned by
	// (curTime "" when the projection left it out).
	histTime, curTime string
}

// newTableSpec checks that the projection t of canonical table canon keeps
// what the Iceberg tables need: the vendor and extracted_at columns they
// are partitioned by, and the key the current-state table is kept by.
func newTableSpec(canon, t *schema.Table) (*tableSpec, error) {
	s := &tableSpec{canon: canon, t: t}
	named := func(canonical string) string {
		for _, c := range t.Columns {
			if c.Canonical == canonical {
				return c.Name
			}
		}
		return ""
	}
	var missing []string
	need := func(canonical string) string {
		n := named(canonical)
		if n == "" {
			missing = append(missing, canonical)
		}
		return n
	}
	s.vendor = need("vendor")
	s.histTime = need("extracted_at")
	key := canon.Key
	if k, ok := replaceKey[canon.Name]; ok {
		key = k
	}
	s.replace = need(key)
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: the Iceberg tables need the column(s) %s (partitioning and the %s%s key); keep them in select",
			canon.Name, strings.Join(missing, ", "), canon.Name, CurrentSuffix)
	}
	s.curTime = named(currentTime[canon.Name])
	if canon.Key != "" {
		c, _ := canon.Column(canon.Key)
		s.rowKey = []*schema.Column{c}
	} else {
		// installments: one row per loan and installment number.
		a, _ := canon.Column("loan_uid")
		b, _ := canon.Column("number")
		s.rowKey = []*schema.Column{a, b}
	}
	if c, ok := canon.Column("updated_at"); ok {
		s.order = c
	}
	return s, nil
}

// icebergType is the Iceberg type of a column kind: the same logical types
// as the Parquet lake.
func icebergType(k schema.Kind) iceberg.Type {
	switch k {
	case schema.KindString:
		return iceberg.PrimitiveTypes.String
	case schema.KindMoney:
		return iceberg.DecimalTypeOf(18, 2)
	case schema.KindRate:
		return iceberg.DecimalTypeOf(18, 6)
	case schema.KindTimestamp:
		return iceberg.PrimitiveTypes.TimestampTz
	case schema.KindDate:
		return iceberg.PrimitiveTypes.Date
	case schema.KindInt:
		return iceberg.PrimitiveTypes.Int64
	}
	panic("iceberg: unknown column kind " + k.String())
}

// kindName names an Iceberg type the way sinks.Layout names column kinds,
// so a stored table and a run's columns compare directly.
func kindName(t iceberg.Type) string {
	for k := schema.KindString; k <= schema.KindInt; k++ {
		if icebergType(k).Equals(t) {
			return k.String()
		}
	}
	return t.String()
}

// icebergSchema is the Iceberg schema of t: every column optional (a
// vendor may leave any of them empty), in order. Field ids are assigned by
// the catalog when the table is created.
func icebergSchema(t *schema.Table) *iceberg.Schema {
	fields := make([]iceberg.NestedField, len(t.Columns))
	for i, c := range t.Columns {
		fields[i] = iceberg.NestedField{ID: i + 1, Name: c.Name, Type: icebergType(c.Kind), Doc: columnDoc(c)}
	}
	return iceberg.NewSchema(0, fields...)
}

// columnDoc is the field's doc in the table's schema, which catalogs and
// engines show.
func columnDoc(c schema.Column) string {
	if c.Canonical != c.Name {
		return "leadpipe canonical column " + c.Canonical
	}
	return ""
}

// partitionSpec partitions a history table by vendor and extraction day
// (each run appends to one partition per vendor, as the Parquet lake's
// vendor=/dt= directories do) and a current-state table by vendor and the
// month of its time column (see currentTime).
func partitionSpec(sc *iceberg.Schema, vendor, timeCol string, current bool) (iceberg.PartitionSpec, error) {
	opts := []iceberg.PartitionOption{iceberg.AddPartitionFieldByName(vendor, vendor, iceberg.IdentityTransform{}, sc, nil)}
	switch {
	case !current:
		opts = append(opts, iceberg.AddPartitionFieldByName(timeCol, timeCol+"_day", iceberg.DayTransform{}, sc, nil))
	case timeCol != "":
		opts = append(opts, iceberg.AddPartitionFieldByName(timeCol, timeCol+"_month", iceberg.MonthTransform{}, sc, nil))
	}
	return iceberg.NewPartitionSpecOpts(opts...)
}

// layoutOf is a stored Iceberg schema as a sinks.Layout. The canonical
// name of a column renamed by a transform is in its doc.
func layoutOf(sc *iceberg.Schema) sinks.Layout {
	fields := sc.Fields()
	out := make(sinks.Layout, len(fields))
	for i, f := range fields {
		canon := f.Name
		if c, ok := strings.CutPrefix(f.Doc, "leadpipe canonical column "); ok {
			canon = c
		}
		out[i] = sinks.LayoutColumn{Name: f.Name, Type: kindName(f.Type), Canonical: canon}
	}
	return out
}

// schemaChanges sorts the differences between a stored table and the
// columns a run writes into the additions Iceberg can make (schema
// evolution) and the refusal of everything else. A column the run leaves
// out is refused too: the table would silently fill it with nulls.
func schemaChanges(name, where string, stored *iceberg.Schema, t *schema.Table) ([]schema.Column, error) {
	changes := sinks.Compare(layoutOf(stored), sinks.LayoutOf(t))
	var added []schema.Column
	var refused []sinks.Change
	for _, c := range changes {
		if c.Kind == sinks.ChangeAdded {
			col, _ := t.Column(c.To)
			added = append(added, *col)
			continue
		}
		refused = append(refused, c)
	}
	if len(refused) == 0 {
		return added, nil
	}
	return nil, &sinks.SchemaChangeError{Table: name, Where: where, Changes: refused, Options: []string{
		"keep the table's columns: undo the select, rename or type change in the pipeline's transforms",
		"write to new tables: give the sink another iceberg.namespace (or another path and catalog)",
		"change the table yourself with an engine that rewrites or renames columns (Spark, Trino: ALTER TABLE " + name +
			" RENAME COLUMN …), then run again",
	}}
}
