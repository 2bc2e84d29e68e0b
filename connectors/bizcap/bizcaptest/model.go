package bizcaptest

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// TimeLayout is how the API writes timestamps: UTC, milliseconds, "Z".
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Timestamp is a time that marshals in the API's TimeLayout.
type Timestamp struct{ time.Time }

// At makes a Timestamp in UTC.
func At(t time.Time) Timestamp { return Timestamp{t.UTC()} }

func atPtr(t time.Time) *Timestamp { ts := At(t); return &ts }

// MarshalJSON writes the timestamp as "2006-01-02T15:04:05.000Z".
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(TimeLayout) + `"`), nil
}

// UnmarshalJSON reads an RFC 3339 timestamp.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("bizcap timestamp: %w", err)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("bizcap timestamp: %w", err)
	}
	t.Time = v.UTC()
	return nil
}

// Ref is a {"type","id"} reference (watchers, delegateTo).
type Ref struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Named is an {"id","name"} reference (broker, customer).
type Named struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Person is an {"id","firstName","lastName"} reference (brokerRep,
// internalBdmUser).
type Person struct {
	ID        string `json:"id"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

// Address is one of the four address objects of a lead. Missing parts are
// empty strings; FullAddress joins the non-empty parts.
type Address struct {
	AddressLine1 string `json:"addressLine1"`
	AddressLine2 string `json:"addressLine2"`
	Country      string `json:"country"`
	City         string `json:"city"`
	State        string `json:"state"`
	ZipCode      string `json:"zipCode"`
	FullAddress  string `json:"fullAddress"`
}

func (a *Address) refreshFull() {
	a.FullAddress = joinNonEmpty(", ", a.AddressLine1, a.AddressLine2, a.City, a.State, a.ZipCode, a.Country)
}

// Lead is a lead exactly as GET /lead/{id} returns it.
type Lead struct {
	ID        string     `json:"id"`
	CreatedAt Timestamp  `json:"createdAt"`
	CreatedBy string     `json:"createdBy"`
	UpdatedAt Timestamp  `json:"updatedAt"`
	UpdatedBy string     `json:"updatedBy"`
	Fields    LeadFields `json:"fields"`
}

// LeadFields is the "fields" object of a lead, in the document's order, with
// the create-only datapoints (abn, acn, crn, uen, notes, ...) added.
type LeadFields struct {
	Status                         string     `json:"status"`
	Watchers                       []Ref      `json:"watchers"`
	StatusSinceDate                *Timestamp `json:"statusSinceDate"`
	SubStatusSinceDate             *Timestamp `json:"subStatusSinceDate"`
	DelegateTo                     *Ref       `json:"delegateTo"`
	LastActivityDate               *Timestamp `json:"lastActivityDate"`
	SubStatus                      string     `json:"subStatus"`
	FirstName                      string     `json:"firstName"`
	LastName                       string     `json:"lastName"`
	CompanyName                    string     `json:"companyName"`
	Broker                         Named      `json:"broker"`
	BrokerRep                      Person     `json:"brokerRep"`
	ResidentialAddress             Address    `json:"residentialAddress"`
	BusinessAddress                Address    `json:"businessAddress"`
	PhysicalAddress                Address    `json:"physicalAddress"`
	TradingAddress                 Address    `json:"tradingAddress"`
	ABN                            *string    `json:"abn"`
	ACN                            *string    `json:"acn"`
	NZBN                           *string    `json:"nzbn"`
	CRN                            *string    `json:"crn"`
	UEN                            *string    `json:"uen"`
	Phone                          string     `json:"phone"`
	Email                          *string    `json:"email"`
	BankStatementsUpdateLink       string     `json:"bankStatementsUpdateLink"`
	BankStatementsCreditsSenseLink string     `json:"bankStatementsCreditsSenseLink"`
	ProvisoLinkPdf                 string     `json:"provisoLinkPdf"`
	BankStatementsReceived         string     `json:"bankStatementsReceived"`
	IndustryCategory               *string    `json:"industryCategory"`
	Industry                       *string    `json:"industry"`
	DateOfBirth                    *string    `json:"dateOfBirth"`
	DriversLicenseNumber           *string    `json:"driversLicenseNumber"`
	CitizenshipStatus              *string    `json:"citizenshipStatus"`
	SoleDirector                   *string    `json:"soleDirector"`
	LoanPurpose                    *string    `json:"loanPurpose"`
	AverageMonthlyTurnover         *string    `json:"averageMonthlyTurnover"`
	CallClientOrBroker             *string    `json:"callClientOrBroker"`
	ApplicationLink                string     `json:"applicationLink"`
	DocumentID                     *string    `json:"documentId"`
	TradingName                    *string    `json:"tradingName"`
	ApplicationCompleted           *string    `json:"applicationCompleted"`
	ApplicationCompletedDate       *Timestamp `json:"applicationCompletedDate"`
	BankStatementsReceivedDate     *Timestamp `json:"bankStatementsReceivedDate"`
	BusinessStartDate              *string    `json:"businessStartDate"`
	AmountRequested                *string    `json:"amountRequested"`
	InternalBdmUser                *Person    `json:"internalBdmUser"`
	SecondaryPhone                 *string    `json:"secondaryPhone"`
	LoanType                       *string    `json:"loanType"`
	HomeOwner                      *string    `json:"homeOwner"`
	SecondaryEmail                 *string    `json:"secondaryEmail"`
	SuitableProducts               []string   `json:"suitableProducts"`
	DriverVersionNumber            *string    `json:"driverVersionNumber"`
	LeadSource                     string     `json:"leadSource"`
	NumberOfCallsMade              int        `json:"numberOfCallsMade"`
	LastCallDate                   *Timestamp `json:"lastCallDate"`
	CallOnBehalfOf                 *string    `json:"callOnBehalfOf"`
	PartnerLeadReferenceID         *string    `json:"partnerLeadReferenceId"`
	ConvertedDealID                string     `json:"convertedDealId"`
	Notes                          *string    `json:"notes"`
	PartnerNotes                   *string    `json:"partnerNotes"`
	BrokerContactName              *string    `json:"brokerContactName"`
	BrokerContactEmail             *string    `json:"brokerContactEmail"`
	BrokerContactNumber            *string    `json:"brokerContactNumber"`
}

// Deal is a deal exactly as GET /deal/{id} returns it.
type Deal struct {
	ID        string     `json:"id"`
	CreatedAt Timestamp  `json:"createdAt"`
	CreatedBy string     `json:"createdBy"`
	UpdatedAt Timestamp  `json:"updatedAt"`
	UpdatedBy string     `json:"updatedBy"`
	Fields    DealFields `json:"fields"`
}

// DealFields is the "fields" object of a deal, in the document's order.
// Money is a string with two decimals ("123.00"); omDateFunded is a date
// ("2026-05-03"); omDeclineReasons is a ";"-separated list.
type DealFields struct {
	Status                         string     `json:"status"`
	Watchers                       []Ref      `json:"watchers"`
	StatusSinceDate                *Timestamp `json:"statusSinceDate"`
	SubStatusSinceDate             *Timestamp `json:"subStatusSinceDate"`
	LastActivityDate               *Timestamp `json:"lastActivityDate"`
	SubStatus                      string     `json:"subStatus"`
	Name                           string     `json:"name"`
	Customer                       Named      `json:"customer"`
	CallClientOrBroker             *string    `json:"callClientOrBroker"`
	Broker                         Named      `json:"broker"`
	BrokerRep                      Person     `json:"brokerRep"`
	LoanType                       *string    `json:"loanType"`
	InternalBdmUser                *Person    `json:"internalBdmUser"`
	OmNumberOfPayments             *int       `json:"omNumberOfPayments"`
	OmPaybackAmount                *string    `json:"omPaybackAmount"`
	OmTermDays                     *int       `json:"omTermDays"`
	OmDeclineReasons               *string    `json:"omDeclineReasons"`
	OmCollectionFrequency          *string    `json:"omCollectionFrequency"`
	OmPrincipalAmount              *string    `json:"omPrincipalAmount"`
	OmAdvanceID                    *string    `json:"omAdvanceID"`
	OmDateFunded                   *string    `json:"omDateFunded"`
	OmAdvanceType                  *string    `json:"omAdvanceType"`
	Amount                         *string    `json:"amount"`
	NumberOfCallsMade              int        `json:"numberOfCallsMade"`
	BankStatementsCreditsSenseLink string     `json:"bankStatementsCreditsSenseLink"`
	BankStatementsUpdateLink       *string    `json:"bankStatementsUpdateLink"`
	Sfid                           *string    `json:"sfid"`
	LastCallDate                   *Timestamp `json:"lastCallDate"`
	CallOnBehalfOf                 *string    `json:"callOnBehalfOf"`
	PartnerLeadReferenceID         *string    `json:"partnerLeadReferenceId"`
	ApplicationLink                string     `json:"applicationLink"`
}

// Attachment is a file uploaded through POST /attachments/new, as the
// response shows it.
type Attachment struct {
	ID        string           `json:"id"`
	CreatedAt Timestamp        `json:"createdAt"`
	UpdatedAt Timestamp        `json:"updatedAt"`
	UpdatedBy string           `json:"updatedBy"`
	CreatedBy string           `json:"createdBy"`
	Fields    AttachmentFields `json:"fields"`
	// Size and Content are the uploaded bytes; they are not part of the
	// response.
	Size    int64  `json:"-"`
	Content []byte `json:"-"`
}

// AttachmentFields is the "fields" object of an attachment.
type AttachmentFields struct {
	FileName   string `json:"fileName"`
	Type       string `json:"type"`
	EntityType string `json:"entityType"`
	EntityID   string `json:"entityId"`
}

func cloneP[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func (l Lead) clone() Lead {
	c := l
	f := &c.Fields
	f.Watchers = slices.Clone(l.Fields.Watchers)
	f.SuitableProducts = slices.Clone(l.Fields.SuitableProducts)
	f.StatusSinceDate = cloneP(f.StatusSinceDate)
	f.SubStatusSinceDate = cloneP(f.SubStatusSinceDate)
	f.DelegateTo = cloneP(f.DelegateTo)
	f.LastActivityDate = cloneP(f.LastActivityDate)
	f.ApplicationCompletedDate = cloneP(f.ApplicationCompletedDate)
	f.BankStatementsReceivedDate = cloneP(f.BankStatementsReceivedDate)
	f.LastCallDate = cloneP(f.LastCallDate)
	f.InternalBdmUser = cloneP(f.InternalBdmUser)
	for _, p := range []**string{&f.ABN, &f.ACN, &f.NZBN, &f.CRN, &f.UEN, &f.Email, &f.IndustryCategory, &f.Industry,
		&f.DateOfBirth, &f.DriversLicenseNumber, &f.CitizenshipStatus, &f.SoleDirector, &f.LoanPurpose,
		&f.AverageMonthlyTurnover, &f.CallClientOrBroker, &f.DocumentID, &f.TradingName, &f.ApplicationCompleted,
		&f.BusinessStartDate, &f.AmountRequested, &f.SecondaryPhone, &f.LoanType, &f.HomeOwner, &f.SecondaryEmail,
		&f.DriverVersionNumber, &f.CallOnBehalfOf, &f.PartnerLeadReferenceID, &f.Notes, &f.PartnerNotes,
		&f.BrokerContactName, &f.BrokerContactEmail, &f.BrokerContactNumber} {
		*p = cloneP(*p)
	}
	return c
}

func (d Deal) clone() Deal {
	c := d
	f := &c.Fields
	f.Watchers = slices.Clone(d.Fields.Watchers)
	f.StatusSinceDate = cloneP(f.StatusSinceDate)
	f.SubStatusSinceDate = cloneP(f.SubStatusSinceDate)
	f.LastActivityDate = cloneP(f.LastActivityDate)
	f.LastCallDate = cloneP(f.LastCallDate)
	f.InternalBdmUser = cloneP(f.InternalBdmUser)
	f.OmNumberOfPayments = cloneP(f.OmNumberOfPayments)
	f.OmTermDays = cloneP(f.OmTermDays)
	for _, p := range []**string{&f.CallClientOrBroker, &f.LoanType, &f.OmPaybackAmount, &f.OmDeclineReasons,
		&f.OmCollectionFrequency, &f.OmPrincipalAmount, &f.OmAdvanceID, &f.OmDateFunded, &f.OmAdvanceType,
		&f.Amount, &f.BankStatementsUpdateLink, &f.Sfid, &f.CallOnBehalfOf, &f.PartnerLeadReferenceID} {
		*p = cloneP(*p)
	}
	return c
}

func (a Attachment) clone() Attachment {
	c := a
	c.Content = slices.Clone(a.Content)
	return c
}

func sp(s string) *string { return &s }
func ip(i int) *int       { return &i }

func joinNonEmpty(sep string, parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += p
	}
	return out
}
