package connectors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leadpipe/leadpipe/schema"
)

// Pusher is implemented by connectors that can send rows to their vendor.
type Pusher interface {
	// Target returns the named push target (e.g. "leads").
	Target(name string) (Target, error)
}

// Target sends one kind of record to a vendor, one row per call.
type Target interface {
	// Fields lists the vendor fields a pipeline can map, with their types,
	// so the mapping layer can parse input text into typed values and
	// report a wrong field name with its line.
	Fields() []Field
	// Validate checks one mapped record against the vendor's documented
	// rules. A record with problems is never sent.
	Validate(rec Record) []FieldError
	// Send submits one record. key is leadpipe's stable row key; the target
	// stores it in the vendor's own reference field (external_id,
	// partnerLeadReferenceId...) unless the mapping set that field, so that
	// Lookup can find the row again.
	Send(ctx context.Context, rec Record, key string) (Receipt, error)
	// Lookup finds a record sent before whose outcome is unknown (the process
	// died, or the connection dropped, between sending and hearing back).
	// since is when leadpipe first tried to send it. A target whose vendor
	// offers no lookup returns ErrNoLookup: the row is then reported as
	// needing a human and is never resent automatically.
	Lookup(ctx context.Context, rec Record, key string, since time.Time) (Receipt, bool, error)
}

// Keeper is implemented by targets whose rows carry values the push ledger
// keeps from the first attempt, before the vendor answers (an Iute
// repayment's loan, date and amount). A row whose outcome turns out unknown
// can then still be checked against the vendor's balances, by a person and
// by the reconciliation report.
type Keeper interface {
	Keep(rec Record) map[string]string
}

// Updater is implemented by targets that can update a record sent before
// (a pipeline's on_change: update).
type Updater interface {
	Update(ctx context.Context, vendorID string, rec Record, key string) (Receipt, error)
}

// Receipt is the vendor's answer to one row.
type Receipt struct {
	VendorID   string
	HTTPStatus int
	// Extra holds vendor values worth keeping in the ledger (iute's loan_ref
	// is the VendorID; a client PIN a human needs to check goes here).
	Extra map[string]string
}

// PartialError says the vendor created the record (Receipt) but a
// follow-up step of the same row failed (Err), e.g. uploading its
// attachments. The row counts as sent: it is never created again, and the
// receipt carries the failure for a person to finish the job.
type PartialError struct {
	Receipt Receipt
	Err     error
}

func (e *PartialError) Error() string { return "created, but " + e.Err.Error() }
func (e *PartialError) Unwrap() error { return e.Err }

// ErrNotYet means the vendor does not accept the row yet and nothing was
// sent (an Iute cash release before Iute allows it). The row waits: the
// next run tries it again, and it is never counted as an unknown outcome.
var ErrNotYet = errors.New("the vendor does not accept this row yet; nothing was sent")

// ErrNoLookup means the vendor cannot be asked whether a row arrived.
var ErrNoLookup = errors.New("the vendor offers no way to look a row up")

// RejectedError is a vendor's definitive "no" to one row (a 400 with a
// validation message). The row fails; it is not retried, now or on a rerun,
// until its content changes.
type RejectedError struct {
	HTTPStatus int
	Field      string // vendor field, when the vendor names it
	Reason     string
}

func (e *RejectedError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("rejected by vendor (HTTP %d): %s: %s", e.HTTPStatus, e.Field, e.Reason)
	}
	return fmt.Sprintf("rejected by vendor (HTTP %d): %s", e.HTTPStatus, e.Reason)
}

// FieldType is the type a vendor field expects. The mapping layer parses
// input text into it before Validate sees the record.
type FieldType string

// The field types.
const (
	TypeString  FieldType = "string"
	TypeNumber  FieldType = "number"  // decimal; "15,000.50" → Number("15000.50")
	TypeInteger FieldType = "integer" // whole number
	TypeBool    FieldType = "bool"    // true/false/yes/no/1/0
	TypeDate    FieldType = "date"    // parsed from the input's format, sent in Field.Format
	TypeList    FieldType = "list"    // a list of strings; input split on "|" or ","
	TypeFile    FieldType = "file"    // a path (local or s3://) to upload
	// TypePhone is a phone number, normalized from any common input form
	// to Field.Format: "e164" (+61412345678, the default) or "national"
	// (0412345678), for the region in Field.Region. An input that is not a
	// phone number is passed on as written, for Validate to reject.
	TypePhone FieldType = "phone"
)

// Field describes one vendor field a mapping can fill.
type Field struct {
	Name     string // dotted path in the vendor body, e.g. "customer.first_name"
	Type     FieldType
	Required bool
	// Enum lists the allowed values, when the vendor documents them.
	Enum []string
	// Format is the wire format of a date (Go layout) or a phone ("e164",
	// "national"), when the vendor requires one.
	Format string
	// Region is the ISO country of national phone numbers ("AU", "MD").
	Region string
	// Currency is the currency (ISO 4217) of an amount field. An input
	// amount marked with another currency ("USD 20,000", "£20,000") is
	// rejected, and so is a bare "$", which names no one currency.
	Currency string
	// PlainNumber says the vendor documents plain numbers only: any
	// currency marker in the input is rejected.
	PlainNumber bool
	Doc         string
	// Privacy is the kind of personal data the field carries: what the
	// privacy policy does with it in receipts, rejects and the ledger. A
	// phone field is a phone without saying so; a field left Unclassified
	// is judged by its name.
	Privacy schema.PrivacyClass
}

// Class is the field's privacy class (TypePhone fields are phones).
func (f Field) Class() schema.PrivacyClass {
	if f.Privacy == schema.Unclassified && f.Type == TypePhone {
		return schema.Phone
	}
	return f.Privacy
}

// Number is a decimal number kept as its canonical text ("15000",
// "1234.5"), so no float ever rounds an amount on its way to the vendor.
type Number string

// Date is a calendar date parsed from input; targets format it themselves.
type Date struct{ time.Time }

// Record is one mapped input row: vendor field → typed value (string,
// Number, int64, bool, Date, []string). Row is the 1-based input row number.
type Record struct {
	Row    int
	Fields map[string]any
}

// String returns a field as text ("" when absent).
func (r Record) String(name string) string {
	switch v := r.Fields[name].(type) {
	case nil:
		return ""
	case string:
		return v
	case Number:
		return string(v)
	case Date:
		return v.Format("2006-01-02")
	default:
		return fmt.Sprint(v)
	}
}

// Has reports whether a field is present and not empty.
func (r Record) Has(name string) bool {
	v, ok := r.Fields[name]
	if !ok || v == nil {
		return false
	}
	switch x := v.(type) {
	case string:
		return x != ""
	case Number:
		return x != ""
	case []string:
		return len(x) > 0
	}
	return true
}

// FieldError is one validation problem with one vendor field.
type FieldError struct {
	Field string
	Msg   string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Msg }
