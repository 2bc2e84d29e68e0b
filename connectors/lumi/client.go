package lumi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
)

// client speaks Lumi's HTTP API: Basic auth, page_index from 1, and the
// {"success": true, "result": ...} envelope.
type client struct {
	http   *httpclient.Client
	base   string
	pageSz int
}

func newClient(c *Config, env connectors.Env) *client {
	h := env.NewClient(Vendor, c.client())
	h.SetBasicAuth(c.Username, c.Password.Reveal())
	return &client{http: h, base: c.BaseURL, pageSz: c.PageSize}
}

// wireAddress is an address as Lumi sends it.
type wireAddress struct {
	StreetNumber string `json:"street_number"`
	Street       string `json:"street"`
	City         string `json:"city"`
	PostalCode   string `json:"postal_code"`
	State        string `json:"state"`
	Country      string `json:"country"`
}

// flexString accepts a JSON string or number (Lumi's details send
// credit_score as "700" where the list sends 500).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	*f = flexString(b)
	return nil
}

type wireLead struct {
	ID                   string   `json:"id"`
	Status               string   `json:"status"`
	LostReason           string   `json:"lost_reason"`
	LostReasons          []string `json:"lost_reasons"`
	CreditDeclineReasons []string `json:"credit_decline_reasons"`
	Stakeholder          struct {
		FirstName                string       `json:"first_name"`
		LastName                 string       `json:"last_name"`
		Email                    string       `json:"email"`
		Phone                    string       `json:"phone"`
		BirthDate                string       `json:"birth_date"`
		Address                  *wireAddress `json:"address"`
		DriversLicenseNumber     string       `json:"drivers_license_number"`
		DriversLicenseState      string       `json:"drivers_license_state"`
		DriversLicenseCardNumber string       `json:"drivers_license_card_number"`
		HasProperty              string       `json:"has_property"`
		PropertyInfo             string       `json:"property_info"`
		CreditScore              flexString   `json:"credit_score"`
	} `json:"stakeholder"`
	Company struct {
		Name                   string       `json:"name"`
		ABN                    flexString   `json:"abn"`
		Industry               string       `json:"industry"`
		Address                *wireAddress `json:"address"`
		AverageMonthlyTurnover json.Number  `json:"average_monthly_turnover"`
		Website                string       `json:"website"`
		NumberOfEmployees      json.Number  `json:"number_of_employees"`
		ATODebt                string       `json:"ato_debt"`
		ATODebtDetails         string       `json:"ato_debt_details"`
		CreditScore            flexString   `json:"credit_score"`
		HasOtherLoans          string       `json:"has_other_loans"`
		OtherLoanDetails       string       `json:"other_loan_details"`
	} `json:"company"`
	Loan struct {
		ReasonForLoan     []string    `json:"reason_for_loan"`
		UseOfFunds        string      `json:"use_of_funds"`
		RequestedAmount   json.Number `json:"requested_amount"`
		ApplicationType   string      `json:"application_type"`
		ApplicationStatus string      `json:"application_status"`
		Installments      json.Number `json:"installments"`
		Amount            json.Number `json:"amount"`
		PreferredLoanType string      `json:"preferred_loan_type"`
		TopUpAmount       json.Number `json:"top_up_amount"`
	} `json:"loan"`
	BrokerNotes   string `json:"broker_notes"`
	CreatedAt     string `json:"created_at"`
	UpdatedAt     string `json:"updated_at"`
	SubmittedBy   string `json:"submitted_by"`
	ExternalID    string `json:"external_id"`
	LoanID        string `json:"loan_id"`
	ApplicationID string `json:"application_id"`
	Expired       *bool  `json:"expired"`
	ExpiresAt     string `json:"expires_at"`
	// Only on the details of FUNDED leads.
	CommissionPercentage json.Number `json:"commission_percentage"`
	EffectiveCommission  json.Number `json:"effective_commission"`
	AnnualSimpleRate     json.Number `json:"annual_simple_rate"`
	LoanProductType      string      `json:"loan_product_type"`
}

type wireEvent struct {
	ID        string `json:"id"`
	LeadID    string `json:"lead_id"`
	EventType string `json:"event_type"`
	EventText string `json:"event_text"`
	Direction string `json:"direction"`
	Date      string `json:"date"`
	CreatedAt string `json:"created_at"`
}

type leadsPage struct {
	Success bool `json:"success"`
	Result  struct {
		Leads []wireLead `json:"leads"`
		Count int        `json:"count"`
	} `json:"result"`
}

type eventsPage struct {
	Success bool `json:"success"`
	Result  struct {
		LeadEvents []wireEvent `json:"lead_events"`
		Total      int         `json:"total"`
		Page       int         `json:"page"`
	} `json:"result"`
}

type leadDetails struct {
	Success bool     `json:"success"`
	Result  wireLead `json:"result"`
}

// leadFilter is the query of GET /leads.
type leadFilter struct {
	status   string
	from, to time.Time
}

func (f leadFilter) query(page, size int) url.Values {
	q := url.Values{}
	q.Set("page_index", strconv.Itoa(page))
	q.Set("page_size", strconv.Itoa(size))
	if f.status != "" {
		q.Set("status", f.status)
	}
	if !f.from.IsZero() {
		q.Set("date_from", f.from.UTC().Format(time.RFC3339))
	}
	if !f.to.IsZero() {
		q.Set("date_to", f.to.UTC().Format(time.RFC3339))
	}
	return q
}

func (c *client) leadsPage(ctx context.Context, f leadFilter, page int) (*leadsPage, error) {
	var out leadsPage
	u := c.base + "/leads?" + f.query(page, c.pageSz).Encode()
	if _, err := c.http.DoJSON(ctx, &httpclient.Request{URL: u}, &out); err != nil {
		return nil, fmt.Errorf("fetch lumi leads page %d: %w", page, err)
	}
	return &out, nil
}

// eventFilter is the query of GET /leads/events.
type eventFilter struct {
	createdAtSince time.Time
	leadID         string
}

func (c *client) eventsPage(ctx context.Context, f eventFilter, page int) (*eventsPage, error) {
	q := url.Values{}
	q.Set("page_index", strconv.Itoa(page))
	q.Set("page_size", strconv.Itoa(c.pageSz))
	if !f.createdAtSince.IsZero() {
		q.Set("createdAtSince", f.createdAtSince.UTC().Format(time.RFC3339))
	}
	path := "/leads/events"
	if f.leadID != "" {
		path = "/leads/" + url.PathEscape(f.leadID) + "/events"
	}
	var out eventsPage
	if _, err := c.http.DoJSON(ctx, &httpclient.Request{URL: c.base + path + "?" + q.Encode()}, &out); err != nil {
		return nil, fmt.Errorf("fetch lumi events page %d: %w", page, err)
	}
	return &out, nil
}

func (c *client) lead(ctx context.Context, id string) (*wireLead, error) {
	var out leadDetails
	if _, err := c.http.DoJSON(ctx, &httpclient.Request{URL: c.base + "/leads/" + url.PathEscape(id)}, &out); err != nil {
		return nil, fmt.Errorf("fetch lumi lead %s: %w", id, err)
	}
	return &out.Result, nil
}
