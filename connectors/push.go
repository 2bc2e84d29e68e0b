package connectors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leadpipe/leadpipe/connectors/outcome"
	"github.com/leadpipe/leadpipe/schema"
)

// Pusher is implemented by connectors that can send rows to their vendor.
type Pusher interface {
	// Target returns the named push target (e.g. "leads"). It may read
	// what the target needs (iute: the loan refs a pipeline imports), under
	// ctx.
	Target(ctx context.Context, name string) (Target, error)
}

// Target sends one kind of record to a vendor, one row per call.
type Target interface {
	// Fields lists the vendor fields a pipeline can map, with their types,
	// so the mapping layer can parse input text into typed values and
	// report a wrong field name with its line.
	Fields() []Field
	// Validate checks one mapped record against the vendor's documented
	// rules. A record with problems is never sent. A rule may read the state
	// (iute: is the loan ref known?), under ctx.
	Validate(ctx context.Context, rec Record) []FieldError
	// Send submits one record. key is leadpipe's stable row key; the target
	// stores it in the vendor's own reference field (external_id,
	// partnerLeadReferenceId...) unless the mapping set that field, so that
	// Lookup can find the row again.
	//
	// Its error says what became of the row, with the outcome errors below
	// (errors.Is): ErrRejected (the vendor's "no", a *RejectedError),
	// ErrNotSent, ErrRefused (ErrCredentials), ErrOutcomeUnknown, ErrNotYet;
	// a *PartialError when the row was created but a later step failed. An
	// error that is none of these leaves the outcome unknown too, but the
	// engine does not look the row up at once: the next run does.
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
	Keep(ctx context.Context, rec Record) Kept
}

// Kept is what the push ledger keeps of a row from its first attempt.
type Kept struct {
	Payment Payment
	Extra   map[string]string
}

// Payment is the money a row moves at the vendor (a repayment): typed
// fields of the push ledger, which the reconciliation report compares with
// the loan's balance. The zero value is a row that moves none.
type Payment struct {
	// Loan is the vendor's id of the loan the money goes to.
	Loan     string
	Amount   schema.Money
	Currency string // ISO 4217
}

// IsZero reports a row that moves no money.
func (p Payment) IsZero() bool { return p == Payment{} }

// Updater is implemented by targets that can update a record sent before
// (a pipeline's on_change: update).
type Updater interface {
	Update(ctx context.Context, vendorID string, rec Record, key string) (Receipt, error)
}

// Receipt is the vendor's answer to one row.
type Receipt struct {
	VendorID   string
	HTTPStatus int
	// Payment is the money the row moved, when it moves any (a repayment).
	Payment Payment
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

// The outcomes of a request to a vendor (package outcome has their full
// documentation). Connectors return them, wrapped with %w; the HTTP client
// maps statuses onto them; the push engine decides on them alone.
var (
	// ErrNotSent: the vendor certainly did not act (rate limited); the row
	// is safe to send again.
	ErrNotSent = outcome.ErrNotSent
	// ErrOutcomeUnknown: the request may have reached the vendor; look the
	// row up before sending it again.
	ErrOutcomeUnknown = outcome.ErrOutcomeUnknown
	// ErrRefused: the vendor refused the request as such (credentials, URL,
	// method), not the row: no row will fare better.
	ErrRefused = outcome.ErrRefused
	// ErrCredentials: the ErrRefused of credentials.
	ErrCredentials = outcome.ErrCredentials
	// ErrRejected: the vendor's definitive "no" to the row.
	ErrRejected = outcome.ErrRejected
	// ErrNotYet: the vendor does not accept the row yet and nothing was
	// sent (an Iute cash release before Iute allows it). The row waits: the
	// next run tries it again, and it is never counted as an unknown
	// outcome.
	ErrNotYet = outcome.ErrNotYet
)

// StatusIs reports whether an HTTP status says the outcome target
// (ErrNotSent for 429, ...): how receipts, which keep the status, are read
// back.
func StatusIs(code int, target error) bool { return outcome.Is(code, target) }

// HTTPStatus is the status code an outcome error carries (the vendor's
// answer), for receipts and the ledger; 0 when it carries none.
func HTTPStatus(err error) int { return outcome.Code(err) }

// ErrNoLookup means the vendor cannot be asked whether a row arrived.
var ErrNoLookup = errors.New("the vendor offers no way to look a row up")

// RejectedError is a vendor's definitive "no" to one row (a 400 with a
// validation message): it is ErrRejected, with the vendor's reason. The row
// fails; it is not retried, now or on a rerun, until its content changes.
type RejectedError struct {
	HTTPStatus int
	Field      string // vendor field, when the vendor names it
	Reason     string
}

// Is makes a *RejectedError ErrRejected.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// HTTPCode is the vendor's status (outcome.Coded).
func (e *RejectedError) HTTPCode() int { return e.HTTPStatus }

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
