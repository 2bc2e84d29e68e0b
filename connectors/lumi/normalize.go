package lumi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/transforms/normalize"
)

// StatusMap maps every documented Lumi lead status (lumi.txt, "Lead Status
// Values") to the canonical status. TestStatusMapIsComplete fails if a
// documented value is missing.
var StatusMap = map[string]string{
	"SUBMITTED":                schema.StatusNew,
	"WAITING_FOR_CALL":         schema.StatusContacting,
	"CALL_ATTEMPTED":           schema.StatusContacting,
	"MISSED_CALL":              schema.StatusContacting,
	"PROCESSING":               schema.StatusQualifying,
	"IDENTITY_VERIFICATION":    schema.StatusApplication,
	"CREDIT_WAITING_DETAILS":   schema.StatusApplication,
	"AWAITING_CREDIT_APPROVAL": schema.StatusApplication,
	"AWAITING_LOAN_DOCUMENTS":  schema.StatusApproved,
	"AWAITING_DISBURSEMENT":    schema.StatusApproved,
	"FUNDED":                   schema.StatusFunded,
	"DECLINED":                 schema.StatusDeclined,
	"CLOSED":                   schema.StatusLost,
	"EXPIRED":                  schema.StatusExpired,
}

// UnknownStatus is where an undocumented status lands: the earliest funnel
// stage, so an unknown value never inflates funded, approved or declined
// counts. The raw value stays in vendor_status.
const UnknownStatus = schema.StatusNew

// LostReasons are the documented lost_reason values. They are kept as they
// are (they are already snake_case); an undocumented one is counted.
var LostReasons = set("unable_to_meet_capital_requirements", "has_competitor_loan", "funded_prior_to_lead_submitted",
	"company_age_too_low", "insufficient_monthly_turnover", "individual_veda_too_low", "fails_age_requirements",
	"starting_a_business", "looking_to_buy_a_business_no_existing_business", "client_declined_cost",
	"client_unresponsive", "credit_declined", "duplicate_lead", "incorrect_details",
	"client_declined_loan_not_required", "other")

// CreditDeclineReasons are the documented credit_decline_reasons values.
var CreditDeclineReasons = set("insufficient_sales", "insufficient_credit_score_restricted_sector",
	"insufficient_credit_score_general_sector", "excessive_dishonours_cash_flow_unsuitable", "excluded_sector",
	"character", "time_in_business", "concurrent_loans", "bankruptcy", "excessive_ato_debt", "no_servicing_evident",
	"excessive_gambling", "adverse_credit_event", "poor_existing_lumi_conduct", "other")

// EventTypeMap maps Lumi event types to canonical event types. The doc
// lists STATUS_UPDATED but its examples send STATUS_CHANGE: both are
// status changes.
var EventTypeMap = map[string]string{
	"STATUS_CHANGE":    schema.EventStatusChange,
	"STATUS_UPDATED":   schema.EventStatusChange,
	"CALL":             schema.EventCall,
	"EMAIL":            schema.EventEmail,
	"DOCUMENT_CAPTURE": schema.EventDocument,
	"LOAN_DOCUMENTS":   schema.EventDocument,
}

// DirectionMap maps event directions.
var DirectionMap = map[string]string{"INBOUND": "inbound", "OUTBOUND": "outbound"}

// ProductMap maps loan_product_type (funded leads) and preferred_loan_type
// (requests) to the canonical product.
var ProductMap = map[string]string{
	"DYNAMIC_TERM_LOAN": "term_loan",
	"REVOLVING_CREDIT":  "line_of_credit",
	"term-loan":         "term_loan",
	"line-of-credit":    "line_of_credit",
}

// ApplicationTypeMap maps loan.application_type. An internal refinance with
// a top-up is a top_up (decided in normalizeLoan); without one it is a
// renewal of Lumi's own facility.
var ApplicationTypeMap = map[string]string{
	"REGULAR":            "new",
	"REFINANCE_INTERNAL": "renewal",
	"REFINANCE_EXTERNAL": "refinance",
}

func set(vals ...string) map[string]bool {
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[v] = true
	}
	return m
}

// normalizer turns Lumi records into canonical rows.
type normalizer struct {
	region   string
	currency string
	loc      *time.Location
	unknown  *schema.Unknowns
}

// statuses is StatusMap as looked up: case, separators and spelling do not
// matter.
var statuses = normalize.NewStatusTable(StatusMap)

func (n *normalizer) status(raw string) string {
	if s, ok := statuses.Lookup(raw); ok {
		return s
	}
	if raw != "" {
		n.unknown.Add(Vendor, "lead.status", raw)
	}
	return UnknownStatus
}

func (n *normalizer) ts(raw string) schema.Timestamp {
	t, _ := normalize.Timestamp(raw, n.loc)
	return t
}

func money(raw json.Number) schema.Money {
	m, err := schema.ParseMoney(string(raw))
	if err != nil {
		return schema.Money{}
	}
	return m
}

func rate(raw json.Number) schema.Rate {
	r, err := schema.ParseRate(string(raw))
	if err != nil {
		return schema.Rate{}
	}
	return r
}

func (n *normalizer) lead(w *wireLead) schema.Lead {
	l := schema.Lead{
		LeadUID:      schema.UID(Vendor, w.ID),
		VendorLeadID: w.ID,
		PartnerRef:   w.ExternalID,
		Status:       n.status(w.Status),
		VendorStatus: w.Status,
		FirstName:    strings.TrimSpace(w.Stakeholder.FirstName),
		LastName:     strings.TrimSpace(w.Stakeholder.LastName),
		CompanyName:  strings.TrimSpace(w.Company.Name),
		Industry:     w.Company.Industry,
		Currency:     n.currency,
		Broker:       w.SubmittedBy,
		CreatedAt:    n.ts(w.CreatedAt),
		UpdatedAt:    n.ts(w.UpdatedAt),
		Common:       schema.Common{Vendor: Vendor},
	}
	l.VendorSubStatus = w.Loan.ApplicationStatus
	var attrs normalize.AttrWriter

	l.LostReason = w.LostReason
	if l.LostReason == "" && len(w.LostReasons) > 0 {
		l.LostReason = w.LostReasons[0]
	}
	if l.LostReason != "" && !LostReasons[l.LostReason] {
		n.unknown.Add(Vendor, "lead.lost_reason", l.LostReason)
	}
	for _, r := range w.CreditDeclineReasons {
		if !CreditDeclineReasons[r] {
			n.unknown.Add(Vendor, "lead.credit_decline_reasons", r)
		}
	}
	attrs.Strs("credit_decline_reasons", w.CreditDeclineReasons)
	if len(w.LostReasons) > 1 {
		attrs.Strs("lost_reasons", w.LostReasons)
	}

	if e, ok := normalize.Email(w.Stakeholder.Email); ok {
		l.Email = e
	} else {
		attrs.Str("email_raw", w.Stakeholder.Email)
	}
	if p, ok := normalize.CountedPhone(n.unknown, Vendor, "lead.stakeholder.phone", w.Stakeholder.Phone, n.region); ok {
		l.Phone = p
	} else {
		attrs.Str("phone_raw", w.Stakeholder.Phone)
	}
	if d, ok := normalize.Date(w.Stakeholder.BirthDate); ok {
		l.DateOfBirth = d
		l.BirthYear = schema.IntOf(int64(d.Time().Year()))
	}

	abn := digitsOnly(string(w.Company.ABN))
	l.BusinessNumber = abn
	switch len(abn) {
	case 11:
		l.BusinessNumberType = "abn"
	case 9:
		l.BusinessNumberType = "acn"
	case 0:
	default:
		l.BusinessNumberType = "abn"
		attrs.Str("business_number_note", "not 9 or 11 digits")
	}
	l.MonthlyTurnover = money(w.Company.AverageMonthlyTurnover)
	l.AmountRequested = money(w.Loan.RequestedAmount)
	if len(w.Loan.ReasonForLoan) > 0 {
		l.LoanPurpose = w.Loan.ReasonForLoan[0]
	}
	attrs.Strs("reason_for_loan", w.Loan.ReasonForLoan)

	// Business lending: the company's address is the lead's address; the
	// applicant's home address is kept in attributes.
	addr := w.Company.Address
	if addr == nil || addr.empty() {
		addr = w.Stakeholder.Address
	}
	if addr != nil {
		if c, ok := normalize.Country(addr.Country); ok {
			l.Country = c
		} else if addr.Country != "" {
			attrs.Str("country_raw", addr.Country)
		}
		l.State, l.City, l.PostalCode = addr.State, addr.City, addr.PostalCode
	}
	if l.Country == "" && (l.State != "" || l.Phone != "") {
		l.Country = "AU" // Lumi lends in Australia only
	}
	if a := w.Stakeholder.Address; a != nil && !a.empty() {
		a.write(&attrs, "home_address")
	}
	if a := w.Company.Address; a != nil && !a.empty() {
		a.write(&attrs, "company_address")
	}

	attrs.Str("drivers_license_number", w.Stakeholder.DriversLicenseNumber)
	attrs.Str("drivers_license_state", w.Stakeholder.DriversLicenseState)
	attrs.Str("drivers_license_card_number", w.Stakeholder.DriversLicenseCardNumber)
	attrs.Str("has_property", w.Stakeholder.HasProperty)
	attrs.Str("property_info", w.Stakeholder.PropertyInfo)
	attrs.Str("applicant_credit_score", string(w.Stakeholder.CreditScore))
	attrs.Str("company_credit_score", string(w.Company.CreditScore))
	attrs.Str("website", w.Company.Website)
	attrs.Str("number_of_employees", string(w.Company.NumberOfEmployees))
	attrs.Str("ato_debt", w.Company.ATODebt)
	attrs.Str("ato_debt_details", w.Company.ATODebtDetails)
	attrs.Str("has_other_loans", w.Company.HasOtherLoans)
	attrs.Str("other_loan_details", w.Company.OtherLoanDetails)
	attrs.Str("use_of_funds", w.Loan.UseOfFunds)
	attrs.Str("installments_weeks", string(w.Loan.Installments))
	attrs.Str("application_type", w.Loan.ApplicationType)
	attrs.Str("preferred_loan_type", w.Loan.PreferredLoanType)
	attrs.Str("loan_amount", string(w.Loan.Amount))
	attrs.Str("broker_notes", w.BrokerNotes)
	attrs.Str("loan_id", w.LoanID)
	attrs.Str("application_id", w.ApplicationID)
	attrs.Str("expires_at", w.ExpiresAt)
	l.Attributes = attrs.String()
	return l
}

func (n *normalizer) event(w *wireEvent) schema.Event {
	e := schema.Event{
		EventUID:        eventUID(w),
		VendorEventID:   w.ID,
		LeadUID:         schema.UID(Vendor, w.LeadID),
		VendorEventType: w.EventType,
		Detail:          w.EventText,
		OccurredAt:      n.ts(w.Date),
		Common:          schema.Common{Vendor: Vendor},
	}
	if t, ok := EventTypeMap[w.EventType]; ok {
		e.EventType = t
	} else {
		e.EventType = schema.EventActivity
		n.unknown.Add(Vendor, "event.event_type", w.EventType)
	}
	if w.Direction != "" {
		if d, ok := DirectionMap[w.Direction]; ok {
			e.Direction = d
		} else {
			n.unknown.Add(Vendor, "event.direction", w.Direction)
		}
	}
	if e.EventType == schema.EventStatusChange && w.EventText != "" {
		e.StatusTo = n.status(w.EventText)
	}
	attrs := normalize.Attributes{}
	attrs.Set("direction_raw", w.Direction)
	if w.CreatedAt != "" {
		attrs.Set("created_at", w.CreatedAt)
	}
	e.Attributes = attrs.JSON()
	return e
}

// eventUID is "lumi:<id>:<hash>". The doc's own example reuses one id for
// different events, so the id alone cannot key an event; the hash of what
// the event says keeps two different events apart while the same event,
// read again, keeps its uid.
func eventUID(w *wireEvent) string {
	h := sha256.Sum256([]byte(w.LeadID + "\x00" + w.EventType + "\x00" + w.EventText + "\x00" + w.Date))
	return Vendor + ":" + w.ID + ":" + hex.EncodeToString(h[:6])
}

// loan builds the loan of a FUNDED lead from its details. fundedAt is the
// time of its FUNDED status event when known.
func (n *normalizer) loan(w *wireLead, fundedAt schema.Timestamp) schema.Loan {
	id := w.LoanID
	if id == "" {
		id = w.ID
	}
	l := schema.Loan{
		LoanUID:          schema.UID(Vendor, id),
		VendorLoanID:     w.LoanID,
		LeadUID:          schema.UID(Vendor, w.ID),
		Status:           n.status(w.Status),
		VendorStatus:     w.Status,
		TermUnit:         "week",
		PaymentFrequency: "weekly",
		Principal:        money(w.Loan.Amount),
		Currency:         n.currency,
		InterestRate:     rate(w.AnnualSimpleRate),
		CommissionAmount: money(w.EffectiveCommission),
		CommissionRate:   schema.PercentToRate(rate(w.CommissionPercentage)),
		FundedAt:         fundedAt,
		CreatedAt:        n.ts(w.CreatedAt),
		UpdatedAt:        n.ts(w.UpdatedAt),
		Common:           schema.Common{Vendor: Vendor},
	}
	if v, err := schema.ParseMoney(string(w.Loan.Installments)); err == nil && v.Valid {
		l.TermCount = schema.IntOf(v.Cents / 100)
	}
	product := w.LoanProductType
	if product == "" {
		product = w.Loan.PreferredLoanType
	}
	if p, ok := ProductMap[product]; ok {
		l.Product = p
	} else if product != "" {
		n.unknown.Add(Vendor, "lead.loan_product_type", product)
		l.Product = "other"
	}
	top := money(w.Loan.TopUpAmount)
	if a, ok := ApplicationTypeMap[w.Loan.ApplicationType]; ok {
		l.ApplicationType = a
		if w.Loan.ApplicationType == "REFINANCE_INTERNAL" && top.Valid && top.Cents > 0 {
			l.ApplicationType = "top_up"
		}
	} else if w.Loan.ApplicationType != "" {
		n.unknown.Add(Vendor, "lead.loan.application_type", w.Loan.ApplicationType)
		l.ApplicationType = "other"
	}
	attrs := normalize.Attributes{}
	attrs.Set("loan_product_type", w.LoanProductType)
	attrs.Set("application_type", w.Loan.ApplicationType)
	if top.Valid {
		attrs.Set("top_up_amount", top.String())
	}
	attrs.Set("commission_percentage", string(w.CommissionPercentage))
	attrs.Set("application_id", w.ApplicationID)
	attrs.Set("requested_amount", string(w.Loan.RequestedAmount))
	if !fundedAt.Valid {
		attrs.Set("funded_at_note", "no FUNDED status event seen")
	}
	l.Attributes = attrs.JSON()
	return l
}

func (a *wireAddress) empty() bool {
	return a.Street == "" && a.StreetNumber == "" && a.City == "" && a.PostalCode == "" && a.State == "" && a.Country == ""
}

func (a *wireAddress) write(w *normalize.AttrWriter, key string) {
	w.Pairs(key, "street_number", a.StreetNumber, "street", a.Street, "city", a.City,
		"postal_code", a.PostalCode, "state", a.State, "country", a.Country)
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
