package lumiretest

import (
	"encoding/json"
	"time"
)

// Enumerations. The vendor document shows exactly one example value for each
// enum (lead status "new", activity kind "note", transaction kind "deposit",
// transaction status "pending", payment kind "card", account platform "mt5",
// account status "active", trader kycStatus "not_started"); the remaining
// values are the sandbox's choice, taken where possible from other operations'
// descriptions in the same document (see doc.go).
var (
	LeadStatuses        = []string{"new", "contacted", "qualified", "unqualified", "converted", "lost"}
	ActivityKinds       = []string{"note", "call", "email", "sms", "meeting", "task", "status_change"}
	TransactionKinds    = []string{"deposit", "withdrawal", "commission", "bonus", "fee", "adjustment", "transfer"}
	TransactionStatuses = []string{"pending", "completed", "failed", "cancelled", "reversed"}
	PaymentKinds        = []string{"card", "bank_wire", "crypto", "ewallet"}
	DepositStatuses     = []string{"pending", "approved", "settled", "rejected", "reversed"}
	WithdrawalStatuses  = []string{"pending", "approved", "settled", "rejected"}
	AccountPlatforms    = []string{"mt4", "mt5", "ctrader", "matchtrader"}
	// RareLeadStatuses and RareWithdrawalStatuses are statuses the CRM has
	// that the weighted draws never produce: a dataset big enough holds one
	// of each (a lead kept warm, a withdrawal called off), set after the
	// draws so that nothing else in the dataset moves.
	RareLeadStatuses       = []string{"nurturing"}
	RareWithdrawalStatuses = []string{"cancelled"}
	AccountStatuses        = []string{"active", "disabled", "archived"}
	KYCStatuses            = []string{"not_started", "pending_review", "approved", "rejected"}
	Currencies             = []string{"USD", "EUR", "GBP", "AUD", "JPY", "USDT"}
)

// Values outside the documented enumerations, set by InjectUnknownValues.
const (
	UnknownLeadStatus        = "snoozed"
	UnknownActivityKind      = "whatsapp"
	UnknownTransactionKind   = "swap"
	UnknownTransactionStatus = "on_hold"
	UnknownPaymentKind       = "apple_pay"
	UnknownDepositStatus     = "chargeback_pending"
	UnknownWithdrawalStatus  = "awaiting_second_approval"
	UnknownAccountPlatform   = "dxtrade"
	UnknownKYCStatus         = "expired"
)

// Timestamp is a UTC instant serialized the way the vendor document shows it:
// ISO 8601 with milliseconds and a Z suffix ("2026-05-23T12:18:22.181Z").
type Timestamp struct{ time.Time }

// TimestampLayout is the wire format of every timestamp.
const TimestampLayout = "2006-01-02T15:04:05.000Z"

// TS normalizes t to a Timestamp (UTC, millisecond precision).
func TS(t time.Time) Timestamp { return Timestamp{t.UTC().Truncate(time.Millisecond)} }

func tsPtr(t time.Time) *Timestamp { v := TS(t); return &v }

// String returns the wire format.
func (t Timestamp) String() string { return t.UTC().Format(TimestampLayout) }

// MarshalJSON implements json.Marshaler.
func (t Timestamp) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*t = TS(v)
	return nil
}

// User is a team member of the tenant (sales operator, admin).
type User struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
	Role        string `json:"role"`
}

// Tenant is the broker tenant the credentials belong to.
type Tenant struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// Lead is a sales lead (GET /v1/sales/leads). Lists omit Metadata; the detail
// adds assignedTo and activities.
type Lead struct {
	ID                string         `json:"id"`
	Email             string         `json:"email"`
	Phone             *string        `json:"phone"`
	FirstName         *string        `json:"firstName"`
	LastName          *string        `json:"lastName"`
	Country           *string        `json:"country"`
	Source            *string        `json:"source"`
	AssignedToID      *string        `json:"assignedToId"`
	Score             *int           `json:"score"`
	Status            string         `json:"status"`
	PipelineStageID   *string        `json:"pipelineStageId"`
	ConvertedTraderID *string        `json:"convertedTraderId"`
	ConvertedAt       *Timestamp     `json:"convertedAt"`
	Metadata          map[string]any `json:"metadata"`
	CreatedAt         Timestamp      `json:"createdAt"`
	UpdatedAt         Timestamp      `json:"updatedAt"`
}

// Activity is a sales activity (GET /v1/sales/activities).
type Activity struct {
	ID          string    `json:"id"`
	LeadID      *string   `json:"leadId"`
	TraderID    *string   `json:"traderId"`
	Kind        string    `json:"kind"`
	Subject     *string   `json:"subject"`
	Body        *string   `json:"body"`
	OccurredAt  Timestamp `json:"occurredAt"`
	CreatedByID *string   `json:"createdById"`
	CreatedAt   Timestamp `json:"createdAt"`
}

// Trader is a customer of the broker (GET /v1/traders).
type Trader struct {
	ID           string         `json:"id"`
	Email        string         `json:"email"`
	Phone        *string        `json:"phone"`
	FirstName    *string        `json:"firstName"`
	LastName     *string        `json:"lastName"`
	Country      *string        `json:"country"`
	DateOfBirth  *string        `json:"dateOfBirth"`
	Segments     []string       `json:"segments"`
	Source       *string        `json:"source"`
	AssignedToID *string        `json:"assignedToId"`
	KYCStatus    string         `json:"kycStatus"`
	LeadID       *string        `json:"leadId"`
	Metadata     map[string]any `json:"metadata"`
	CreatedAt    Timestamp      `json:"createdAt"`
	UpdatedAt    Timestamp      `json:"updatedAt"`
}

// Account is a trading account (GET /v1/accounts).
type Account struct {
	ID            string         `json:"id"`
	TraderID      string         `json:"traderId"`
	Platform      string         `json:"platform"`
	ExternalID    *string        `json:"externalId"`
	AccountNumber string         `json:"accountNumber"`
	Currency      string         `json:"currency"`
	Balance       string         `json:"balance"`
	Equity        string         `json:"equity"`
	Leverage      int            `json:"leverage"`
	IsDemo        bool           `json:"isDemo"`
	Status        string         `json:"status"`
	Metadata      map[string]any `json:"metadata"`
	CreatedAt     Timestamp      `json:"createdAt"`
	UpdatedAt     Timestamp      `json:"updatedAt"`
}

// Deposit is a payment in (GET /v1/payments/deposits).
type Deposit struct {
	ID              string         `json:"id"`
	TraderID        string         `json:"traderId"`
	AccountID       *string        `json:"accountId"`
	PaymentMethodID *string        `json:"paymentMethodId"`
	Kind            string         `json:"kind"`
	Status          string         `json:"status"`
	Amount          string         `json:"amount"`
	Currency        string         `json:"currency"`
	FeeAmount       *string        `json:"feeAmount"`
	NetAmount       *string        `json:"netAmount"`
	ExternalID      *string        `json:"externalId"`
	Reconciled      bool           `json:"reconciled"`
	SettledAt       *Timestamp     `json:"settledAt"`
	Metadata        map[string]any `json:"metadata"`
	CreatedAt       Timestamp      `json:"createdAt"`
	UpdatedAt       Timestamp      `json:"updatedAt"`
}

// Withdrawal is a payment out (GET /v1/payments/withdrawals).
type Withdrawal struct {
	ID              string         `json:"id"`
	TraderID        string         `json:"traderId"`
	AccountID       *string        `json:"accountId"`
	PaymentMethodID *string        `json:"paymentMethodId"`
	Kind            string         `json:"kind"`
	Status          string         `json:"status"`
	Amount          string         `json:"amount"`
	Currency        string         `json:"currency"`
	FeeAmount       *string        `json:"feeAmount"`
	NetAmount       *string        `json:"netAmount"`
	DestinationRef  *string        `json:"destinationRef"`
	ExternalID      *string        `json:"externalId"`
	Reconciled      bool           `json:"reconciled"`
	SettledAt       *Timestamp     `json:"settledAt"`
	Metadata        map[string]any `json:"metadata"`
	CreatedAt       Timestamp      `json:"createdAt"`
	UpdatedAt       Timestamp      `json:"updatedAt"`
}

// Transaction is a ledger entry (GET /v1/transactions). Amount is a decimal
// string such as "1234.50" ("150000" for JPY).
type Transaction struct {
	ID          string         `json:"id"`
	TraderID    string         `json:"traderId"`
	AccountID   *string        `json:"accountId"`
	Kind        string         `json:"kind"`
	Status      string         `json:"status"`
	Amount      string         `json:"amount"`
	Currency    string         `json:"currency"`
	Reference   *string        `json:"reference"`
	Description *string        `json:"description"`
	ExternalID  *string        `json:"externalId"`
	OccurredAt  Timestamp      `json:"occurredAt"`
	Metadata    map[string]any `json:"metadata"`
	CreatedAt   Timestamp      `json:"createdAt"`
	UpdatedAt   Timestamp      `json:"updatedAt"`
}

// PipelineStage is one stage of the default sales pipeline.
type PipelineStage struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Position    int    `json:"position"`
	Probability int    `json:"probability"`
}

// Pipeline is a sales pipeline (GET /v1/sales/pipelines).
type Pipeline struct {
	ID        string          `json:"id"`
	Slug      string          `json:"slug"`
	Name      string          `json:"name"`
	IsDefault bool            `json:"isDefault"`
	Stages    []PipelineStage `json:"stages"`
}

// Dataset is a deep copy of everything the sandbox holds.
type Dataset struct {
	Users        []User
	Leads        []Lead
	Activities   []Activity
	Traders      []Trader
	Accounts     []Account
	Deposits     []Deposit
	Withdrawals  []Withdrawal
	Transactions []Transaction
}

// ---- deep copies ----

func cloneStr(p *string) *string {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneInt(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneTS(p *Timestamp) *Timestamp {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneAny(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneAny(e)
		}
		return out
	default:
		return x
	}
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneAny(v)
	}
	return out
}

func (l *Lead) clone() Lead {
	c := *l
	c.Phone, c.FirstName, c.LastName = cloneStr(l.Phone), cloneStr(l.FirstName), cloneStr(l.LastName)
	c.Country, c.Source, c.AssignedToID = cloneStr(l.Country), cloneStr(l.Source), cloneStr(l.AssignedToID)
	c.Score = cloneInt(l.Score)
	c.PipelineStageID, c.ConvertedTraderID = cloneStr(l.PipelineStageID), cloneStr(l.ConvertedTraderID)
	c.ConvertedAt = cloneTS(l.ConvertedAt)
	c.Metadata = cloneMap(l.Metadata)
	return c
}

func (a *Activity) clone() Activity {
	c := *a
	c.LeadID, c.TraderID = cloneStr(a.LeadID), cloneStr(a.TraderID)
	c.Subject, c.Body, c.CreatedByID = cloneStr(a.Subject), cloneStr(a.Body), cloneStr(a.CreatedByID)
	return c
}

func (t *Trader) clone() Trader {
	c := *t
	c.Phone, c.FirstName, c.LastName = cloneStr(t.Phone), cloneStr(t.FirstName), cloneStr(t.LastName)
	c.Country, c.DateOfBirth, c.Source = cloneStr(t.Country), cloneStr(t.DateOfBirth), cloneStr(t.Source)
	c.AssignedToID, c.LeadID = cloneStr(t.AssignedToID), cloneStr(t.LeadID)
	if t.Segments != nil {
		c.Segments = append([]string{}, t.Segments...)
	}
	c.Metadata = cloneMap(t.Metadata)
	return c
}

func (a *Account) clone() Account {
	c := *a
	c.ExternalID = cloneStr(a.ExternalID)
	c.Metadata = cloneMap(a.Metadata)
	return c
}

func (d *Deposit) clone() Deposit {
	c := *d
	c.AccountID, c.PaymentMethodID = cloneStr(d.AccountID), cloneStr(d.PaymentMethodID)
	c.FeeAmount, c.NetAmount, c.ExternalID = cloneStr(d.FeeAmount), cloneStr(d.NetAmount), cloneStr(d.ExternalID)
	c.SettledAt = cloneTS(d.SettledAt)
	c.Metadata = cloneMap(d.Metadata)
	return c
}

func (w *Withdrawal) clone() Withdrawal {
	c := *w
	c.AccountID, c.PaymentMethodID = cloneStr(w.AccountID), cloneStr(w.PaymentMethodID)
	c.FeeAmount, c.NetAmount = cloneStr(w.FeeAmount), cloneStr(w.NetAmount)
	c.DestinationRef, c.ExternalID = cloneStr(w.DestinationRef), cloneStr(w.ExternalID)
	c.SettledAt = cloneTS(w.SettledAt)
	c.Metadata = cloneMap(w.Metadata)
	return c
}

func (t *Transaction) clone() Transaction {
	c := *t
	c.AccountID, c.Reference = cloneStr(t.AccountID), cloneStr(t.Reference)
	c.Description, c.ExternalID = cloneStr(t.Description), cloneStr(t.ExternalID)
	c.Metadata = cloneMap(t.Metadata)
	return c
}
