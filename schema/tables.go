package schema

// Canonical lead and loan statuses. Every documented vendor status maps to
// one of these; an unknown one maps to the nearest safe value and is counted.
const (
	StatusNew         = "new"
	StatusContacting  = "contacting"
	StatusQualifying  = "qualifying"
	StatusApplication = "application"
	StatusApproved    = "approved"
	StatusFunded      = "funded"
	StatusDeclined    = "declined"
	StatusLost        = "lost"
	StatusExpired     = "expired"
)

// Statuses lists every canonical status, in funnel order.
var Statuses = []string{
	StatusNew, StatusContacting, StatusQualifying, StatusApplication, StatusApproved,
	StatusFunded, StatusDeclined, StatusLost, StatusExpired,
}

// Values of loans.funded_at_source.
const (
	// FundedAtVendor: funded_at is the date the vendor gave.
	FundedAtVendor = "vendor"
	// FundedAtFirstSeen: the vendor gives no date; funded_at is the
	// extraction time (extracted_at) of the first run that saw the loan
	// funded.
	FundedAtFirstSeen = "first_seen"
)

// Canonical event types.
const (
	EventStatusChange = "status_change"
	EventCall         = "call"
	EventEmail        = "email"
	EventSMS          = "sms"
	EventNote         = "note"
	EventDocument     = "document"
	EventTask         = "task"
	EventActivity     = "activity"
)

// EventTypes lists every canonical event type.
var EventTypes = []string{
	EventStatusChange, EventCall, EventEmail, EventSMS, EventNote, EventDocument, EventTask, EventActivity,
}

// Common carries the bookkeeping columns every table has. The engine fills
// ExtractedAt and RunID; connectors fill Vendor.
type Common struct {
	Vendor      string    `col:"vendor" pii:"none"`
	ExtractedAt Timestamp `col:"extracted_at" pii:"none"`
	RunID       string    `col:"run_id" pii:"none"`
}

// Lead is one row of the leads table. Empty strings are written as null.
type Lead struct {
	LeadUID         string `col:"lead_uid" pii:"none"`
	VendorLeadID    string `col:"vendor_lead_id" pii:"none"`
	PartnerRef      string `col:"partner_ref" pii:"none"`
	Status          string `col:"status,dict" pii:"none"`
	VendorStatus    string `col:"vendor_status,dict" pii:"none"`
	VendorSubStatus string `col:"vendor_sub_status,dict" pii:"none"`
	LostReason      string `col:"lost_reason,dict" pii:"none"`

	FirstName   string `col:"first_name" pii:"name"`
	LastName    string `col:"last_name" pii:"name"`
	Email       string `col:"email" pii:"email"`
	Phone       string `col:"phone" pii:"phone"`
	DateOfBirth Date   `col:"date_of_birth" pii:"date_of_birth"`
	// BirthYear is derived from DateOfBirth so that the default privacy
	// policy can drop the date and still leave analysts an age band.
	BirthYear Int `col:"birth_year" pii:"none"`

	CompanyName        string `col:"company_name" pii:"none"`
	BusinessNumber     string `col:"business_number" pii:"none"`
	BusinessNumberType string `col:"business_number_type,dict" pii:"none"`
	Industry           string `col:"industry,dict" pii:"none"`
	MonthlyTurnover    Money  `col:"monthly_turnover" pii:"none"`

	AmountRequested Money  `col:"amount_requested" pii:"none"`
	Currency        string `col:"currency,dict" pii:"none"`
	LoanPurpose     string `col:"loan_purpose,dict" pii:"none"`
	Source          string `col:"source,dict" pii:"none"`
	Broker          string `col:"broker,dict" pii:"none"`

	Country    string `col:"country,dict" pii:"none"`
	State      string `col:"state,dict" pii:"none"`
	City       string `col:"city" pii:"none"`
	PostalCode string `col:"postal_code" pii:"none"`

	CreatedAt  Timestamp `col:"created_at" pii:"none"`
	UpdatedAt  Timestamp `col:"updated_at" pii:"none"`
	Attributes string    `col:"attributes" pii:"per_key"`
	Common
}

// Event is one row of the events table: a status change, call, email, etc.
type Event struct {
	EventUID        string    `col:"event_uid" pii:"none"`
	VendorEventID   string    `col:"vendor_event_id" pii:"none"`
	LeadUID         string    `col:"lead_uid" pii:"none"`
	EventType       string    `col:"event_type,dict" pii:"none"`
	VendorEventType string    `col:"vendor_event_type,dict" pii:"none"`
	Direction       string    `col:"direction,dict" pii:"none"`
	StatusTo        string    `col:"status_to,dict" pii:"none"`
	Detail          string    `col:"detail" pii:"free_text"`
	OccurredAt      Timestamp `col:"occurred_at" pii:"none"`
	Attributes      string    `col:"attributes" pii:"per_key"`
	Common
}

// Loan is one row of the loans table: a funded (or decided) facility.
type Loan struct {
	LoanUID      string `col:"loan_uid" pii:"none"`
	VendorLoanID string `col:"vendor_loan_id" pii:"none"`
	LeadUID      string `col:"lead_uid" pii:"none"`
	Status       string `col:"status,dict" pii:"none"`
	VendorStatus string `col:"vendor_status,dict" pii:"none"`

	Product          string `col:"product,dict" pii:"none"`
	ApplicationType  string `col:"application_type,dict" pii:"none"`
	TermCount        Int    `col:"term_count" pii:"none"`
	TermUnit         string `col:"term_unit,dict" pii:"none"`
	PaymentFrequency string `col:"payment_frequency,dict" pii:"none"`

	Principal        Money  `col:"principal" pii:"none"`
	TotalRepayable   Money  `col:"total_repayable" pii:"none"`
	Repaid           Money  `col:"repaid" pii:"none"`
	Outstanding      Money  `col:"outstanding" pii:"none"`
	Currency         string `col:"currency,dict" pii:"none"`
	InterestRate     Rate   `col:"interest_rate" pii:"none"`
	CommissionAmount Money  `col:"commission_amount" pii:"none"`
	CommissionRate   Rate   `col:"commission_rate" pii:"none"`

	FundedAt Timestamp `col:"funded_at" pii:"none"`
	// FundedAtSource says where FundedAt came from: the vendor's own date,
	// or (for vendors that give none) the first run that saw the loan
	// funded (see FundedAtVendor, FundedAtFirstSeen).
	FundedAtSource     string    `col:"funded_at_source,dict" pii:"none"`
	FirstRepaymentDate Date      `col:"first_repayment_date" pii:"none"`
	CreatedAt          Timestamp `col:"created_at" pii:"none"`
	UpdatedAt          Timestamp `col:"updated_at" pii:"none"`
	Attributes         string    `col:"attributes" pii:"per_key"`
	Common
}

// Installment is one row of a loan's repayment schedule.
type Installment struct {
	LoanUID           string `col:"loan_uid" pii:"none"`
	Number            Int    `col:"number" pii:"none"`
	DueDate           Date   `col:"due_date" pii:"none"`
	AmountDue         Money  `col:"amount_due" pii:"none"`
	AmountOutstanding Money  `col:"amount_outstanding" pii:"none"`
	Currency          string `col:"currency,dict" pii:"none"`
	Common
}

// Payment is one money movement: a repayment, deposit, withdrawal, etc.
type Payment struct {
	PaymentUID      string    `col:"payment_uid" pii:"none"`
	VendorPaymentID string    `col:"vendor_payment_id" pii:"none"`
	LoanUID         string    `col:"loan_uid" pii:"none"`
	AccountRef      string    `col:"account_ref" pii:"none"`
	Kind            string    `col:"kind,dict" pii:"none"`
	Status          string    `col:"status,dict" pii:"none"`
	Amount          Money     `col:"amount" pii:"none"`
	Currency        string    `col:"currency,dict" pii:"none"`
	OccurredAt      Timestamp `col:"occurred_at" pii:"none"`
	Attributes      string    `col:"attributes" pii:"per_key"`
	Common
}

// UID builds the canonical key "<vendor>:<vendor id>". An empty id gives an
// empty key, so a missing id stays visibly missing instead of "lumi:".
func UID(vendor, id string) string {
	if id == "" {
		return ""
	}
	return vendor + ":" + id
}
