package lumire

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/transforms/normalize"
)

// LeadStatusMap maps every lead status to the canonical status. The doc
// shows one value ("new"); the others are the sandbox's reading of the CRM
// (lumiretest.LeadStatuses). TestEveryDocumentedValueIsMapped fails when one
// is missing.
//
// A converted lead became a trader (an account holder): the nearest lending
// stage is approved, not funded, because money only moves with a deposit,
// which the payments table shows. A pipeline that counts conversions as won
// can remap it with a status_map transform.
var LeadStatusMap = map[string]string{
	"new":         schema.StatusNew,
	"contacted":   schema.StatusContacting,
	"nurturing":   schema.StatusContacting, // kept warm, not yet qualified: as Lofty's Nurture
	"qualified":   schema.StatusQualifying,
	"unqualified": schema.StatusLost,
	"converted":   schema.StatusApproved,
	"lost":        schema.StatusLost,
}

// UnknownLeadStatus is where an undocumented lead status lands: the start
// of the funnel, so it never inflates approved, funded or declined counts.
// The raw value stays in vendor_status.
const UnknownLeadStatus = schema.StatusNew

// EventTypeMap maps activity kinds (doc example "note"; the rest from the
// sandbox) to canonical event types.
var EventTypeMap = map[string]string{
	"note":          schema.EventNote,
	"call":          schema.EventCall,
	"email":         schema.EventEmail,
	"sms":           schema.EventSMS,
	"meeting":       schema.EventActivity,
	"task":          schema.EventTask,
	"status_change": schema.EventStatusChange,
}

// UnknownEventType is the canonical type of an undocumented activity kind
// (the raw kind stays in vendor_event_type).
const UnknownEventType = schema.EventActivity

// Canonical payment statuses. DESIGN.md lists none, so this connector uses
// these, from the most to the least final.
const (
	PaymentPending   = "pending"
	PaymentApproved  = "approved"
	PaymentCompleted = "completed"
	PaymentFailed    = "failed"
	PaymentCancelled = "cancelled"
	PaymentReversed  = "reversed"
)

// TransactionKindMap maps ledger transaction kinds (doc example "deposit")
// to canonical payment kinds.
var TransactionKindMap = map[string]string{
	"deposit":    "deposit",
	"withdrawal": "withdrawal",
	"commission": "commission",
	"bonus":      "bonus",
	"fee":        "fee",
	"adjustment": "adjustment",
	"transfer":   "transfer",
}

// UnknownPaymentKind is the kind of an undocumented transaction kind (the
// raw kind stays in attributes.vendor_kind).
const UnknownPaymentKind = "other"

// TransactionStatusMap maps ledger transaction statuses (doc example
// "pending").
var TransactionStatusMap = map[string]string{
	"pending":   PaymentPending,
	"completed": PaymentCompleted,
	"failed":    PaymentFailed,
	"cancelled": PaymentCancelled,
	"reversed":  PaymentReversed,
}

// DepositStatusMap maps deposit statuses (from the doc's approve, settle,
// reject and reverse operations; a trader can withdraw a request before it
// is approved: cancelled).
var DepositStatusMap = map[string]string{
	"pending":   PaymentPending,
	"approved":  PaymentApproved,
	"settled":   PaymentCompleted,
	"rejected":  PaymentFailed,
	"reversed":  PaymentReversed,
	"cancelled": PaymentCancelled,
}

// WithdrawalStatusMap maps withdrawal statuses (the doc has approve, settle
// and reject operations, no reverse; a withdrawal the trader or the desk
// called off is cancelled).
var WithdrawalStatusMap = map[string]string{
	"pending":   PaymentPending,
	"approved":  PaymentApproved,
	"settled":   PaymentCompleted,
	"rejected":  PaymentFailed,
	"cancelled": PaymentCancelled,
}

// The status maps as looked up: case, separators and the US spelling
// ("canceled") do not matter.
var (
	leadStatuses        = normalize.NewStatusTable(LeadStatusMap)
	transactionStatuses = normalize.NewStatusTable(TransactionStatusMap)
	depositStatuses     = normalize.NewStatusTable(DepositStatusMap)
	withdrawalStatuses  = normalize.NewStatusTable(WithdrawalStatusMap)
	transactionKinds    = normalize.NewStatusTable(TransactionKindMap)
)

// UnknownPaymentStatus is where an undocumented payment status lands: not
// final, so an unknown value never counts as money that moved.
const UnknownPaymentStatus = PaymentPending

// PaymentMethods are the known `kind` values of deposits and withdrawals
// (doc example "card"). They are the payment method, kept in
// attributes.method; the canonical kind is deposit or withdrawal.
var PaymentMethods = map[string]bool{"card": true, "bank_wire": true, "crypto": true, "ewallet": true}

// normalizer turns LumireCRM records into canonical rows.
type normalizer struct {
	region      string
	metadataKey string
	unknown     *schema.Unknowns
	stages      map[string]string // pipeline stage id → name
}

func (n *normalizer) leadStatus(raw string) string {
	if s, ok := leadStatuses.Lookup(raw); ok {
		return s
	}
	if raw != "" {
		n.unknown.Add(Vendor, "lead.status", raw)
	}
	return UnknownLeadStatus
}

func ts(raw string) schema.Timestamp {
	t, _ := normalize.Timestamp(raw, time.UTC)
	return t
}

func (n *normalizer) lead(w *wireLead) schema.Lead {
	l := schema.Lead{
		LeadUID:      schema.UID(Vendor, w.ID),
		VendorLeadID: w.ID,
		Status:       n.leadStatus(w.Status),
		VendorStatus: w.Status,
		FirstName:    strings.TrimSpace(w.FirstName),
		LastName:     strings.TrimSpace(w.LastName),
		Source:       w.Source,
		CreatedAt:    ts(w.CreatedAt),
		UpdatedAt:    ts(w.UpdatedAt),
		Common:       schema.Common{Vendor: Vendor},
	}
	attrs := normalize.Attributes{}
	if ref, ok := w.Metadata[n.metadataKey]; ok {
		l.PartnerRef = scalarText(ref)
	}
	l.VendorSubStatus = w.PipelineStageID
	if name := n.stages[w.PipelineStageID]; name != "" {
		l.VendorSubStatus = name
	}
	attrs.Set("pipeline_stage_id", w.PipelineStageID)

	if e, ok := normalize.Email(w.Email); ok {
		l.Email = e
	} else {
		attrs.Set("email_raw", w.Email)
	}
	if c, ok := country(w.Country); ok {
		l.Country = c
	} else {
		attrs.Set("country_raw", w.Country)
	}
	region := l.Country
	if region == "" {
		region = n.region
	}
	if p, ok := normalize.CountedPhone(n.unknown, Vendor, "lead.phone", w.Phone, region); ok {
		l.Phone = p
	} else {
		attrs.Set("phone_raw", w.Phone)
	}
	if w.Score != "" {
		if v, err := w.Score.Int64(); err == nil {
			attrs.Set("score", v)
		} else {
			attrs.Set("score", w.Score.String())
		}
	}
	attrs.Set("assigned_to_id", w.AssignedToID)
	if u := w.AssignedTo; u != nil {
		attrs.Set("assigned_to_name", u.DisplayName)
		attrs.Set("assigned_to_email", u.Email)
	}
	// A converted lead's trader: LumireCRM's customer record. There is no
	// canonical traders table; the link stays here.
	attrs.Set("trader_id", w.ConvertedTraderID)
	attrs.Set("converted_at", w.ConvertedAt)
	attrs.Set("metadata", w.Metadata)
	attrs.Set("extra", w.extra)
	l.Attributes = attrs.JSON()
	return l
}

// statusChangeRE reads the subject of a status_change activity, "Status
// changed from new to contacted".
var statusChangeRE = regexp.MustCompile(`(?i)\bfrom\s+([a-z0-9_-]+)\s+to\s+([a-z0-9_-]+)\s*\.?$`)

func (n *normalizer) event(w *wireActivity) schema.Event {
	e := schema.Event{
		EventUID:        schema.UID(Vendor, w.ID),
		VendorEventID:   w.ID,
		LeadUID:         schema.UID(Vendor, w.LeadID),
		VendorEventType: w.Kind,
		OccurredAt:      ts(w.OccurredAt),
		Common:          schema.Common{Vendor: Vendor},
	}
	if t, ok := EventTypeMap[w.Kind]; ok {
		e.EventType = t
	} else {
		e.EventType = UnknownEventType
		n.unknown.Add(Vendor, "activity.kind", w.Kind)
	}
	var detail []string
	for _, s := range []string{w.Subject, w.Body} {
		if s = strings.TrimSpace(s); s != "" {
			detail = append(detail, s)
		}
	}
	e.Detail = strings.Join(detail, "\n")
	attrs := normalize.Attributes{}
	if e.EventType == schema.EventStatusChange {
		if m := statusChangeRE.FindStringSubmatch(strings.TrimSpace(w.Subject)); m != nil {
			e.StatusTo = n.leadStatus(m[2])
			attrs.Set("status_from", m[1])
			attrs.Set("status_to", m[2])
		}
	}
	attrs.Set("subject", w.Subject)
	attrs.Set("trader_id", w.TraderID)
	attrs.Set("created_by_id", w.CreatedByID)
	attrs.Set("created_at", w.CreatedAt)
	attrs.Set("extra", w.extra)
	e.Attributes = attrs.JSON()
	return e
}

// source is one of the lists the payments stream reads.
type source struct {
	name       string // deposits | withdrawals | transactions
	row        string // deposit | withdrawal | transaction (attributes.source)
	path       string // list path
	exportPath string
	// sortKey is the timestamp the list sorts by and from/to filter on.
	sortKey  func(*wireMoney) string
	boolCols map[string]bool
}

var sources = map[string]source{
	"deposits": {name: "deposits", row: "deposit", path: "/payments/deposits", exportPath: "/payments/deposits/export.csv",
		sortKey: func(w *wireMoney) string { return w.CreatedAt }, boolCols: map[string]bool{"reconciled": true}},
	"withdrawals": {name: "withdrawals", row: "withdrawal", path: "/payments/withdrawals", exportPath: "/payments/withdrawals/export.csv",
		sortKey: func(w *wireMoney) string { return w.CreatedAt }, boolCols: map[string]bool{"reconciled": true}},
	"transactions": {name: "transactions", row: "transaction", path: "/transactions", exportPath: "/transactions/export.csv",
		sortKey: func(w *wireMoney) string { return w.OccurredAt }},
}

func (n *normalizer) payment(src source, w *wireMoney) schema.Payment {
	p := schema.Payment{
		PaymentUID:      schema.UID(Vendor, w.ID),
		VendorPaymentID: w.ID,
		AccountRef:      w.AccountID,
		Currency:        strings.ToUpper(strings.TrimSpace(w.Currency)),
		Common:          schema.Common{Vendor: Vendor},
	}
	attrs := normalize.Attributes{}
	attrs.Set("source", src.row)
	attrs.Set("vendor_status", w.Status)
	var statuses normalize.StatusTable
	switch src.name {
	case "transactions":
		statuses = transactionStatuses
		attrs.Set("vendor_kind", w.Kind)
		if k, ok := transactionKinds.Lookup(w.Kind); ok {
			p.Kind = k
		} else {
			p.Kind = UnknownPaymentKind
			n.unknown.Add(Vendor, "transaction.kind", w.Kind)
		}
		p.OccurredAt = ts(w.OccurredAt)
	default:
		statuses = depositStatuses
		if src.name == "withdrawals" {
			statuses = withdrawalStatuses
		}
		p.Kind = src.row
		attrs.Set("method", w.Kind)
		if w.Kind != "" && !PaymentMethods[w.Kind] {
			n.unknown.Add(Vendor, src.row+".kind", w.Kind)
		}
		// A payment happens when it settles; until then, when it was asked
		// for (the ledger transaction of a payment uses the same times).
		p.OccurredAt = ts(w.SettledAt)
	}
	if !p.OccurredAt.Valid {
		p.OccurredAt = ts(w.CreatedAt)
	}
	if s, ok := statuses.Lookup(w.Status); ok {
		p.Status = s
	} else {
		p.Status = UnknownPaymentStatus
		n.unknown.Add(Vendor, src.row+".status", w.Status)
	}
	p.Amount = amount(w.Amount, "amount", attrs)
	attrs.Set("trader_id", w.TraderID)
	attrs.Set("external_id", w.ExternalID)
	attrs.Set("reference", w.Reference)
	attrs.Set("description", w.Description)
	attrs.Set("fee_amount", w.FeeAmount)
	attrs.Set("net_amount", w.NetAmount)
	attrs.Set("payment_method_id", w.PaymentMethodID)
	attrs.Set("destination_ref", w.DestinationRef)
	if w.Reconciled != nil {
		attrs.Set("reconciled", *w.Reconciled)
	}
	attrs.Set("settled_at", w.SettledAt)
	attrs.Set("created_at", w.CreatedAt)
	attrs.Set("updated_at", w.UpdatedAt)
	attrs.Set("metadata", w.Metadata)
	attrs.Set("extra", w.extra)
	p.Attributes = attrs.JSON()
	return p
}

// amount parses a decimal string amount without floats. The canonical
// column holds two decimals (DECIMAL(18,2)), rounded half away from zero;
// when that changes the value (crypto amounts carry up to 8 decimals), the
// vendor's exact text is kept in attributes as <field>_exact. Text that is
// not a number is kept as <field>_raw and the amount is null.
func amount(raw, field string, attrs normalize.Attributes) schema.Money {
	raw = strings.TrimSpace(raw)
	m, err := schema.ParseMoney(raw)
	if err != nil {
		attrs.Set(field+"_raw", raw)
		return schema.Money{}
	}
	if moreThanTwoDecimals(raw) {
		attrs.Set(field+"_exact", raw)
	}
	return m
}

func moreThanTwoDecimals(s string) bool {
	_, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) <= 2 {
		return false
	}
	return strings.Trim(frac[2:], "0") != ""
}

// scalarText renders a metadata value as text: strings as they are,
// numbers and booleans in their JSON form.
func scalarText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
