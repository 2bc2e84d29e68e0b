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
	Vendor      string    `col:"vendor"`
	ExtractedAt Timestamp `col:"extracted_at"`
	RunID       string    `col:"run_id"`
}

// Lead is one row of the leads table. Empty strings are written as null.
type Lead struct {
	LeadUID         string `col:"lead_uid"`
	VendorLeadID    string `col:"vendor_lead_id"`
	PartnerRef      string `col:"partner_ref"`
	Status          string `col:"status,dict"`
	VendorStatus    string `col:"vendor_status,dict"`
	VendorSubStatus string `col:"vendor_sub_status,dict"`
	LostReason      string `col:"lost_reason,dict"`

	FirstName   string `col:"first_name"`
	LastName    string `col:"last_name"`
	Email       string `col:"email"`
	Phone       string `col:"phone"`
	DateOfBirth Date   `col:"date_of_birth"`
	// BirthYear is derived from DateOfBirth so that the default privacy
	// policy can drop the date and still leave analysts an age band.
	BirthYear Int `col:"birth_year"`

	CompanyName        string `col:"company_name"`
	BusinessNumber     string `col:"business_number"`
	BusinessNumberType string `col:"business_number_type,dict"`
	Industry           string `col:"industry,dict"`
	MonthlyTurnover    Money  `col:"monthly_turnover"`

	AmountRequested Money  `col:"amount_requested"`
	Currency        string `col:"currency,dict"`
	LoanPurpose     string `col:"loan_purpose,dict"`
	Source          string `col:"source,dict"`
	Broker          string `col:"broker,dict"`

	Country    string `col:"country,dict"`
	State      string `col:"state,dict"`
	City       string `col:"city"`
	PostalCode string `col:"postal_code"`

	CreatedAt  Timestamp `col:"created_at"`
	UpdatedAt  Timestamp `col:"updated_at"`
	Attributes string    `col:"attributes"`
	Common
}

// Event is one row of the events table: a status change, call, email, etc.
type Event struct {
	EventUID        string    `col:"event_uid"`
	VendorEventID   string    `col:"vendor_event_id"`
	LeadUID         string    `col:"lead_uid"`
	EventType       string    `col:"event_type,dict"`
	VendorEventType string    `col:"vendor_event_type,dict"`
	Direction       string    `col:"direction,dict"`
	StatusTo        string    `col:"status_to,dict"`
	Detail          string    `col:"detail"`
	OccurredAt      Timestamp `col:"occurred_at"`
	Attributes      string    `col:"attributes"`
	Common
}

// Loan is one row of the loans table: a funded (or decided) facility.
type Loan struct {
	LoanUID      string `col:"loan_uid"`
	VendorLoanID string `col:"vendor_loan_id"`
	LeadUID      string `col:"lead_uid"`
	Status       string `col:"status,dict"`
	VendorStatus string `col:"vendor_status,dict"`

	Product          string `col:"product,dict"`
	ApplicationType  string `col:"application_type,dict"`
	TermCount        Int    `col:"term_count"`
	TermUnit         string `col:"term_unit,dict"`
	PaymentFrequency string `col:"payment_frequency,dict"`

	Principal        Money  `col:"principal"`
	TotalRepayable   Money  `col:"total_repayable"`
	Repaid           Money  `col:"repaid"`
	Outstanding      Money  `col:"outstanding"`
	Currency         string `col:"currency,dict"`
	InterestRate     Rate   `col:"interest_rate"`
	CommissionAmount Money  `col:"commission_amount"`
	CommissionRate   Rate   `col:"commission_rate"`

	FundedAt           Timestamp `col:"funded_at"`
	FirstRepaymentDate Date      `col:"first_repayment_date"`
	CreatedAt          Timestamp `col:"created_at"`
	UpdatedAt          Timestamp `col:"updated_at"`
	Attributes         string    `col:"attributes"`
	Common
}

// Installment is one row of a loan's repayment schedule.
type Installment struct {
	LoanUID           string `col:"loan_uid"`
	Number            Int    `col:"number"`
	DueDate           Date   `col:"due_date"`
	AmountDue         Money  `col:"amount_due"`
	AmountOutstanding Money  `col:"amount_outstanding"`
	Currency          string `col:"currency,dict"`
	Common
}

// Payment is one money movement: a repayment, deposit, withdrawal, etc.
type Payment struct {
	PaymentUID      string    `col:"payment_uid"`
	VendorPaymentID string    `col:"vendor_payment_id"`
	LoanUID         string    `col:"loan_uid"`
	AccountRef      string    `col:"account_ref"`
	Kind            string    `col:"kind,dict"`
	Status          string    `col:"status,dict"`
	Amount          Money     `col:"amount"`
	Currency        string    `col:"currency,dict"`
	OccurredAt      Timestamp `col:"occurred_at"`
	Attributes      string    `col:"attributes"`
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
