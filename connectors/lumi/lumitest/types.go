package lumitest

import (
	"encoding/json"
	"time"
)

// Address is the vendor's Address object (customer home address, company
// trading address). Every field is optional; the vendor shows several
// shapes: fully structured with country "Australia", a single free-text
// street with country "AUS", or an empty object.
type Address struct {
	StreetNumber string `json:"street_number,omitempty"`
	Street       string `json:"street,omitempty"`
	City         string `json:"city,omitempty"`
	PostalCode   string `json:"postal_code,omitempty"`
	State        string `json:"state,omitempty"`
	Country      string `json:"country,omitempty"`
}

// Stakeholder is the customer as returned in a lead ("customer" in the
// create request, "stakeholder" in reads).
type Stakeholder struct {
	FirstName                string   `json:"first_name"`
	LastName                 string   `json:"last_name"`
	Email                    string   `json:"email"`
	Phone                    string   `json:"phone"`
	BirthDate                string   `json:"birth_date,omitempty"` // YYYY-MM-DD
	Address                  *Address `json:"address,omitempty"`
	DriversLicenseNumber     string   `json:"drivers_license_number,omitempty"`
	DriversLicenseState      string   `json:"drivers_license_state,omitempty"`
	DriversLicenseCardNumber string   `json:"drivers_license_card_number,omitempty"`
	// CreditScore is a string on the wire ("700"), as in the doc's Lead
	// Details example. It appears in lead details only, not in the list.
	CreditScore  string `json:"credit_score,omitempty"`
	HasProperty  string `json:"has_property,omitempty"`
	PropertyInfo string `json:"property_info,omitempty"`
}

// Company is the customer's business.
type Company struct {
	Name                   string   `json:"name"`
	ABN                    string   `json:"abn"`
	Industry               string   `json:"industry,omitempty"`
	Address                *Address `json:"address,omitempty"`
	AverageMonthlyTurnover float64  `json:"average_monthly_turnover,omitempty"`
	Website                string   `json:"website,omitempty"`
	NumberOfEmployees      int      `json:"number_of_employees,omitempty"`
	ATODebt                string   `json:"ato_debt,omitempty"`
	ATODebtDetails         string   `json:"ato_debt_details,omitempty"`
	CreditScore            int      `json:"credit_score,omitempty"`
	HasOtherLoans          string   `json:"has_other_loans,omitempty"`
	OtherLoanDetails       string   `json:"other_loan_details,omitempty"`
}

// Loan is the loan part of a lead.
type Loan struct {
	ReasonForLoan     []string `json:"reason_for_loan"`
	UseOfFunds        string   `json:"use_of_funds,omitempty"`
	RequestedAmount   float64  `json:"requested_amount"`
	ApplicationType   string   `json:"application_type"`   // REGULAR | REFINANCE_INTERNAL | REFINANCE_EXTERNAL
	ApplicationStatus string   `json:"application_status"` // IN_PROCESS | SUBMITTED
	Installments      int      `json:"installments"`
	// Amount is the approved (for FUNDED: funded) amount; 0 until a lead
	// reaches AWAITING_LOAN_DOCUMENTS. For REFINANCE_INTERNAL it is the total
	// new loan amount.
	Amount            float64 `json:"amount"`
	PreferredLoanType string  `json:"preferred_loan_type,omitempty"`
	// TopUpAmount appears in the details of FUNDED leads only (0 unless the
	// lead is a REFINANCE_INTERNAL).
	TopUpAmount *float64 `json:"top_up_amount,omitempty"`
}

// Lead is one lead exactly as the wire format carries it. Leads() and the
// details endpoint return the full object; the list endpoint omits
// stakeholder.credit_score, loan.top_up_amount and the FUNDED-only fields
// (commission_percentage, effective_commission, annual_simple_rate,
// loan_product_type).
//
// CreatedAt and UpdatedAt are second-precision instants in Sydney local time
// (+10:00 or +11:00), which is how they marshal ("2018-07-04T13:40:26+10:00").
type Lead struct {
	ID                   string      `json:"id"`
	Status               string      `json:"status"`
	LostReason           string      `json:"lost_reason"`
	CreditDeclineReasons []string    `json:"credit_decline_reasons"`
	Stakeholder          Stakeholder `json:"stakeholder"`
	Company              Company     `json:"company"`
	Loan                 Loan        `json:"loan"`
	BrokerNotes          string      `json:"broker_notes"`
	CreatedAt            time.Time   `json:"created_at"`
	UpdatedAt            time.Time   `json:"updated_at"`
	SubmittedBy          string      `json:"submitted_by"`
	LoanID               string      `json:"loan_id,omitempty"`
	ApplicationID        string      `json:"application_id"`
	ExternalID           string      `json:"external_id,omitempty"`
	// FUNDED leads only (lead details).
	CommissionPercentage *float64 `json:"commission_percentage,omitempty"`
	EffectiveCommission  *float64 `json:"effective_commission,omitempty"`
	AnnualSimpleRate     *float64 `json:"annual_simple_rate,omitempty"`
	LoanProductType      string   `json:"loan_product_type,omitempty"` // DYNAMIC_TERM_LOAN | REVOLVING_CREDIT
}

// Event is one lead event. Date marshals with millisecond precision in UTC
// ("2019-07-09T01:07:54.000Z") as in the doc. RecordedAt is when the vendor
// recorded the event (what createdAtSince filters on); it is not on the wire.
type Event struct {
	ID         string    `json:"id"`
	LeadID     string    `json:"lead_id"`
	EventType  string    `json:"event_type"`
	EventText  string    `json:"event_text,omitempty"`
	Direction  string    `json:"direction,omitempty"`
	Date       time.Time `json:"date"`
	RecordedAt time.Time `json:"-"`
}

const eventDateLayout = "2006-01-02T15:04:05.000Z07:00"

type eventWire struct {
	LeadID    string `json:"lead_id"`
	EventText string `json:"event_text,omitempty"`
	EventType string `json:"event_type"`
	Direction string `json:"direction,omitempty"`
	ID        string `json:"id"`
	Date      string `json:"date"`
}

// MarshalJSON renders the event in the doc's field order and date format.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(eventWire{
		LeadID:    e.LeadID,
		EventText: e.EventText,
		EventType: e.EventType,
		Direction: e.Direction,
		ID:        e.ID,
		Date:      e.Date.UTC().Format(eventDateLayout),
	})
}

// UnmarshalJSON accepts the wire format produced by MarshalJSON.
func (e *Event) UnmarshalJSON(b []byte) error {
	var w eventWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	d, err := time.Parse(time.RFC3339Nano, w.Date)
	if err != nil {
		return err
	}
	*e = Event{ID: w.ID, LeadID: w.LeadID, EventType: w.EventType, EventText: w.EventText,
		Direction: w.Direction, Date: d}
	return nil
}

// Submission is one POST /v1/leads that passed validation and created a
// lead.
type Submission struct {
	Method     string
	Path       string // as received (after any http.StripPrefix)
	ID         string // the lead id assigned
	ExternalID string
	Body       map[string]any // the parsed JSON body
	Time       time.Time      // the sandbox clock when the lead was created
}

// Document is one accepted POST /v1/leads/{id}/documents upload.
type Document struct {
	ID          string
	LeadID      string
	Type        string
	Filename    string
	ContentType string
	Size        int
	Data        []byte // decoded content (base64 transfer encoding undone)
	Time        time.Time
}

// BankFeed is one accepted POST /v1/leads/{id}/bankfeeds.
type BankFeed struct {
	LeadID     string
	DocumentID string
	Time       time.Time
}

// LoanReason is one entry of GET /v1/leads/loanReasons.
type LoanReason struct {
	Value string `json:"value"`
	Text  string `json:"text"`
}

// Resource is one entry of GET /v1/leads/resources.
type Resource struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Extension string `json:"extension"`
	URL       string `json:"url"`
	ThumbURL  string `json:"thumbUrl,omitempty"`
}

// ErrorEntry is one element of the vendor's error body
// [{"status": false, "error": "..."}].
type ErrorEntry struct {
	Status bool   `json:"status"`
	Error  string `json:"error"`
}

// LeadsResponse is the body of GET /v1/leads.
type LeadsResponse struct {
	Success bool `json:"success"`
	Result  struct {
		Leads []Lead `json:"leads"`
		Count int    `json:"count"`
	} `json:"result"`
}

// LeadResponse is the body of GET /v1/leads/{id}.
type LeadResponse struct {
	Success bool `json:"success"`
	Result  Lead `json:"result"`
}

// EventsResponse is the body of GET /v1/leads/events and
// GET /v1/leads/{id}/events.
type EventsResponse struct {
	Success bool `json:"success"`
	Result  struct {
		LeadEvents []Event `json:"lead_events"`
		Total      int     `json:"total"`
		Page       int     `json:"page"`
	} `json:"result"`
}

// CreateResponse is the body of a successful POST /v1/leads.
type CreateResponse struct {
	Success bool   `json:"success"`
	Result  string `json:"result"`
}

func cloneLead(l *Lead) Lead {
	c := *l
	c.CreditDeclineReasons = append([]string{}, l.CreditDeclineReasons...)
	c.Loan.ReasonForLoan = append([]string{}, l.Loan.ReasonForLoan...)
	c.Stakeholder.Address = cloneAddr(l.Stakeholder.Address)
	c.Company.Address = cloneAddr(l.Company.Address)
	c.Loan.TopUpAmount = cloneF(l.Loan.TopUpAmount)
	c.CommissionPercentage = cloneF(l.CommissionPercentage)
	c.EffectiveCommission = cloneF(l.EffectiveCommission)
	c.AnnualSimpleRate = cloneF(l.AnnualSimpleRate)
	return c
}

// listView is the lead as the list endpoint shows it.
func listView(l *Lead) Lead {
	c := cloneLead(l)
	c.Stakeholder.CreditScore = ""
	c.Loan.TopUpAmount = nil
	c.CommissionPercentage, c.EffectiveCommission, c.AnnualSimpleRate = nil, nil, nil
	c.LoanProductType = ""
	return c
}

func cloneAddr(a *Address) *Address {
	if a == nil {
		return nil
	}
	c := *a
	return &c
}

func cloneF(f *float64) *float64 {
	if f == nil {
		return nil
	}
	c := *f
	return &c
}

func fp(f float64) *float64 { return &f }
