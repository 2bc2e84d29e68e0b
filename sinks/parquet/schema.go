package parquet

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/leadpipe/leadpipe/schema"
)

// SchemaVersion is the canonical schema version written into every file's
// key/value metadata as leadpipe.schema_version.
const SchemaVersion = "1"

// Metadata keys written into every file's footer.
const (
	MetaTable         = "leadpipe.table"
	MetaSchemaVersion = "leadpipe.schema_version"
)

// Arrow types of the column kinds. They are package-level so every schema and
// every array built by the writer shares one instance.
var (
	typeString    = arrow.BinaryTypes.String
	typeMoney     = &arrow.Decimal128Type{Precision: 18, Scale: 2}
	typeRate      = &arrow.Decimal128Type{Precision: 18, Scale: 6}
	typeTimestamp = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	typeDate      = arrow.FixedWidthTypes.Date32
	typeInt       = arrow.PrimitiveTypes.Int64
)

// ArrowType is the Arrow type a column kind is written as.
func ArrowType(k schema.Kind) arrow.DataType {
	switch k {
	case schema.KindString:
		return typeString
	case schema.KindMoney:
		return typeMoney
	case schema.KindRate:
		return typeRate
	case schema.KindTimestamp:
		return typeTimestamp
	case schema.KindDate:
		return typeDate
	case schema.KindInt:
		return typeInt
	}
	panic("parquet: unknown column kind " + k.String())
}

// ArrowSchema is the Arrow schema of a canonical table: one nullable field per
// column, in column order, with the table name and the schema version as
// schema metadata (the writer copies them into the file's key/value
// metadata).
//
//	string    → utf8 ("" is null)
//	money     → decimal128(18, 2)
//	rate      → decimal128(18, 6)
//	timestamp → timestamp[us, tz=UTC]
//	date      → date32
//	int       → int64
func ArrowSchema(t *schema.Table) *arrow.Schema { return arrowSchema(t, nil) }

// arrowSchema is ArrowSchema with a Parquet field id on every field when
// fieldIDs is given (pqarrow writes the PARQUET:field_id metadata into the
// file's schema).
func arrowSchema(t *schema.Table, fieldIDs []int) *arrow.Schema {
	fields := make([]arrow.Field, len(t.Columns))
	for i, c := range t.Columns {
		fields[i] = arrow.Field{Name: c.Name, Type: ArrowType(c.Kind), Nullable: true}
		if fieldIDs != nil {
			fields[i].Metadata = arrow.NewMetadata([]string{"PARQUET:field_id"}, []string{strconv.Itoa(fieldIDs[i])})
		}
	}
	md := arrow.NewMetadata(
		[]string{MetaTable, MetaSchemaVersion},
		[]string{t.Name, SchemaVersion},
	)
	return arrow.NewSchema(fields, &md)
}
