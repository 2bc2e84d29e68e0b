package lumiretest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// leadListView is a lead as lists show it: without metadata.
type leadListView struct {
	*Lead
	Metadata *struct{} `json:"metadata,omitempty"`
}

// leadDetailView is GET /v1/sales/leads/{id}: the lead with metadata, its
// assignee and its activities (newest first).
type leadDetailView struct {
	*Lead
	AssignedTo *User       `json:"assignedTo"`
	Activities []*Activity `json:"activities"`
}

// marshalList renders a list page in the current response shape.
func marshalList(shape string, views []any, next string) ([]byte, error) {
	if views == nil {
		views = []any{}
	}
	switch shape {
	case ShapeItems:
		var nc any
		if next != "" {
			nc = next
		}
		return json.Marshal(map[string]any{"items": views, "next_cursor": nc})
	case ShapeArray:
		return json.Marshal(views)
	case ShapeNested:
		paging := map[string]any{}
		if next != "" {
			paging["after"] = next
		}
		return json.Marshal(map[string]any{"result": map[string]any{"rows": views, "paging": paging}})
	default:
		if next != "" {
			return json.Marshal(map[string]any{"data": views, "nextCursor": next})
		}
		return json.Marshal(map[string]any{"data": views})
	}
}

// serveList answers a cursor-paginated list.
func serveList[T any](s *Server, w http.ResponseWriter, r *http.Request, resource string, c *coll[T],
	filter func(*query) func(*T) bool, view func(*T) any) {
	q := newQuery(r.URL.Query())
	limit := q.limit()
	desc := q.order()
	s.mu.RLock()
	cursorParam := s.cursorParam
	s.mu.RUnlock()
	var after *cursorKey
	if cur := q.str(cursorParam); cur != nil {
		k, ok := decodeCursor(resource, desc, *cur)
		if !ok {
			q.addf("%s must be a cursor returned by this list with the same order", cursorParam)
		}
		after = k
	}
	match := filter(q)
	if errs := q.finish(); len(errs) > 0 {
		writeError(w, http.StatusBadRequest, errs)
		return
	}
	s.mu.RLock()
	items, more := c.page(desc, after, limit, match)
	views := make([]any, len(items))
	for i, it := range items {
		views[i] = view(it)
	}
	next := ""
	if more {
		t, id := c.key(items[len(items)-1])
		next = encodeCursor(resource, desc, cursorKey{t: t, id: id})
	}
	shape := s.shape
	body, err := marshalList(shape, views, next)
	s.mu.RUnlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	if shape == ShapeArray && next != "" {
		w.Header().Set(NextCursorHeader, next)
	}
	writeRaw(w, http.StatusOK, "application/json; charset=utf-8", body)
}

// serveExport answers a CSV export: the list's filters, no paging, at most
// the export cap rows (silently truncated, as the doc says nothing more).
func serveExport[T any](s *Server, w http.ResponseWriter, r *http.Request, filename string, c *coll[T],
	filter func(*query) func(*T) bool, header []string, row func(*T) []string) {
	q := newQuery(r.URL.Query())
	desc := q.order()
	match := filter(q)
	if errs := q.finish(); len(errs) > 0 {
		writeError(w, http.StatusBadRequest, errs)
		return
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	s.mu.RLock()
	withMeta := s.exportMetadata
	if withMeta {
		header = append(slices.Clone(header), "metadata")
	}
	_ = cw.Write(header)
	items, _ := c.page(desc, nil, s.exportCap, match)
	for _, it := range items {
		cells := row(it)
		if withMeta {
			cells = append(cells, metadataText(it))
		}
		_ = cw.Write(cells)
	}
	s.mu.RUnlock()
	cw.Flush()
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	writeRaw(w, http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// metadataText is a record's metadata as JSON text, "{}" when it has none.
func metadataText(record any) string {
	var m struct {
		Metadata map[string]any `json:"metadata"`
	}
	if b, err := json.Marshal(record); err == nil {
		_ = json.Unmarshal(b, &m)
	}
	if m.Metadata == nil {
		return "{}"
	}
	b, _ := json.Marshal(m.Metadata)
	return string(b)
}

// ---- helpers for filters and CSV cells ----

func eqPtr(p *string, want *string) bool {
	if want == nil {
		return true
	}
	return p != nil && *p == *want
}

func eqFoldPtr(p *string, want *string) bool {
	if want == nil {
		return true
	}
	return p != nil && strings.EqualFold(*p, *want)
}

func eqStr(s string, want *string) bool { return want == nil || s == *want }

func notBefore(t time.Time, since *time.Time) bool { return since == nil || !t.Before(*since) }

func cell(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func tsCell(p *Timestamp) string {
	if p == nil {
		return ""
	}
	return p.String()
}

// ---- leads ----

func leadFilter(q *query) func(*Lead) bool {
	status := q.enum("status", append(slices.Clone(LeadStatuses), RareLeadStatuses...))
	source := q.str("source")
	assigned := q.uuid("assignedToId")
	email := q.str("email")
	country := q.str("country")
	inRange := q.timeRange()
	updated := q.since("updatedSince")
	return func(l *Lead) bool {
		return eqStr(l.Status, status) && eqPtr(l.Source, source) && eqPtr(l.AssignedToID, assigned) &&
			(email == nil || strings.EqualFold(l.Email, *email)) && eqFoldPtr(l.Country, country) &&
			inRange(l.CreatedAt.Time) && notBefore(l.UpdatedAt.Time, updated)
	}
}

func (s *Server) listLeads(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	serveList(s, w, r, "leads", s.leads, leadFilter, func(l *Lead) any { return leadListView{Lead: l} })
}

// leadDetail must be called with s.mu held.
func (s *Server) leadDetail(l *Lead) leadDetailView {
	d := leadDetailView{Lead: l, Activities: []*Activity{}}
	if l.AssignedToID != nil {
		for i := range s.users {
			if s.users[i].ID == *l.AssignedToID {
				u := s.users[i]
				d.AssignedTo = &u
			}
		}
	}
	acts := s.actByLead[l.ID]
	for i := len(acts) - 1; i >= 0; i-- {
		d.Activities = append(d.Activities, acts[i])
	}
	return d
}

func badUUID(w http.ResponseWriter) {
	writeError(w, http.StatusBadRequest, "Validation failed (uuid is expected)")
}

func (s *Server) getLead(w http.ResponseWriter, _ *http.Request, params []string, _ *principal) {
	if !isUUID(params[0]) {
		badUUID(w)
		return
	}
	s.mu.RLock()
	l := s.leads.get(strings.ToLower(params[0]))
	if l == nil {
		s.mu.RUnlock()
		writeError(w, http.StatusNotFound, "Lead not found")
		return
	}
	b, err := json.Marshal(s.leadDetail(l))
	s.mu.RUnlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	writeRaw(w, http.StatusOK, "application/json; charset=utf-8", b)
}

// ---- activities ----

func activityFilter(q *query) func(*Activity) bool {
	lead := q.uuid("leadId")
	trader := q.uuid("traderId")
	kind := q.enum("kind", ActivityKinds)
	inRange := q.timeRange()
	return func(a *Activity) bool {
		return eqPtr(a.LeadID, lead) && eqPtr(a.TraderID, trader) && eqStr(a.Kind, kind) && inRange(a.OccurredAt.Time)
	}
}

func (s *Server) listActivities(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	serveList(s, w, r, "activities", s.activities, activityFilter, func(a *Activity) any { return a })
}

func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	q := newQuery(r.URL.Query())
	if errs := q.finish(); len(errs) > 0 {
		writeError(w, http.StatusBadRequest, errs)
		return
	}
	s.mu.RLock()
	shape := s.shape
	body, _ := marshalList(shape, []any{s.pipeline}, "")
	s.mu.RUnlock()
	writeRaw(w, http.StatusOK, "application/json; charset=utf-8", body)
}

// ---- traders and accounts ----

func traderFilter(q *query) func(*Trader) bool {
	email := q.str("email")
	kyc := q.enum("kycStatus", KYCStatuses)
	country := q.str("country")
	inRange := q.timeRange()
	updated := q.since("updatedSince")
	return func(t *Trader) bool {
		return (email == nil || strings.EqualFold(t.Email, *email)) && eqStr(t.KYCStatus, kyc) &&
			eqFoldPtr(t.Country, country) && inRange(t.CreatedAt.Time) && notBefore(t.UpdatedAt.Time, updated)
	}
}

func (s *Server) listTraders(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	serveList(s, w, r, "traders", s.traders, traderFilter, func(t *Trader) any { return t })
}

func getOne[T any](s *Server, w http.ResponseWriter, c *coll[T], id, notFound string) {
	if !isUUID(id) {
		badUUID(w)
		return
	}
	s.mu.RLock()
	x := c.get(strings.ToLower(id))
	if x == nil {
		s.mu.RUnlock()
		writeError(w, http.StatusNotFound, notFound)
		return
	}
	b, err := json.Marshal(x)
	s.mu.RUnlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	writeRaw(w, http.StatusOK, "application/json; charset=utf-8", b)
}

func (s *Server) getTrader(w http.ResponseWriter, _ *http.Request, params []string, _ *principal) {
	getOne(s, w, s.traders, params[0], "Trader not found")
}

func accountFilter(q *query) func(*Account) bool {
	trader := q.uuid("traderId")
	platform := q.enum("platform", AccountPlatforms)
	status := q.enum("status", AccountStatuses)
	currency := q.str("currency")
	return func(a *Account) bool {
		return eqStr(a.TraderID, trader) && eqStr(a.Platform, platform) && eqStr(a.Status, status) &&
			eqStr(a.Currency, currency)
	}
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	serveList(s, w, r, "accounts", s.accounts, accountFilter, func(a *Account) any { return a })
}

func (s *Server) getAccount(w http.ResponseWriter, _ *http.Request, params []string, _ *principal) {
	getOne(s, w, s.accounts, params[0], "Account not found")
}

// ---- deposits and withdrawals ----

func depositFilter(q *query) func(*Deposit) bool {
	trader := q.uuid("traderId")
	account := q.uuid("accountId")
	status := q.enum("status", DepositStatuses)
	kind := q.enum("kind", PaymentKinds)
	currency := q.str("currency")
	external := q.str("externalId")
	reconciled := q.boolean("reconciled")
	inRange := q.timeRange()
	updated := q.since("updatedSince")
	return func(d *Deposit) bool {
		return eqStr(d.TraderID, trader) && eqPtr(d.AccountID, account) && eqStr(d.Status, status) &&
			eqStr(d.Kind, kind) && eqStr(d.Currency, currency) && eqPtr(d.ExternalID, external) &&
			(reconciled == nil || d.Reconciled == *reconciled) && inRange(d.CreatedAt.Time) &&
			notBefore(d.UpdatedAt.Time, updated)
	}
}

func (s *Server) listDeposits(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	serveList(s, w, r, "deposits", s.deposits, depositFilter, func(d *Deposit) any { return d })
}

// DepositCSVColumns are the columns of GET /v1/payments/deposits/export.csv.
var DepositCSVColumns = []string{"id", "traderId", "accountId", "paymentMethodId", "kind", "status", "amount",
	"currency", "feeAmount", "netAmount", "externalId", "reconciled", "settledAt", "createdAt", "updatedAt"}

func (s *Server) exportDeposits(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	serveExport(s, w, r, "deposits.csv", s.deposits, depositFilter, DepositCSVColumns, func(d *Deposit) []string {
		return []string{d.ID, d.TraderID, cell(d.AccountID), cell(d.PaymentMethodID), d.Kind, d.Status, d.Amount,
			d.Currency, cell(d.FeeAmount), cell(d.NetAmount), cell(d.ExternalID), strconv.FormatBool(d.Reconciled),
			tsCell(d.SettledAt), d.CreatedAt.String(), d.UpdatedAt.String()}
	})
}

func withdrawalFilter(q *query) func(*Withdrawal) bool {
	trader := q.uuid("traderId")
	account := q.uuid("accountId")
	status := q.enum("status", append(slices.Clone(WithdrawalStatuses), RareWithdrawalStatuses...))
	kind := q.enum("kind", PaymentKinds)
	currency := q.str("currency")
	external := q.str("externalId")
	reconciled := q.boolean("reconciled")
	inRange := q.timeRange()
	updated := q.since("updatedSince")
	return func(d *Withdrawal) bool {
		return eqStr(d.TraderID, trader) && eqPtr(d.AccountID, account) && eqStr(d.Status, status) &&
			eqStr(d.Kind, kind) && eqStr(d.Currency, currency) && eqPtr(d.ExternalID, external) &&
			(reconciled == nil || d.Reconciled == *reconciled) && inRange(d.CreatedAt.Time) &&
			notBefore(d.UpdatedAt.Time, updated)
	}
}

func (s *Server) listWithdrawals(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	serveList(s, w, r, "withdrawals", s.withdrawals, withdrawalFilter, func(d *Withdrawal) any { return d })
}

// WithdrawalCSVColumns are the columns of GET /v1/payments/withdrawals/export.csv.
var WithdrawalCSVColumns = []string{"id", "traderId", "accountId", "paymentMethodId", "kind", "status", "amount",
	"currency", "feeAmount", "netAmount", "destinationRef", "externalId", "reconciled", "settledAt", "createdAt",
	"updatedAt"}

func (s *Server) exportWithdrawals(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	serveExport(s, w, r, "withdrawals.csv", s.withdrawals, withdrawalFilter, WithdrawalCSVColumns,
		func(d *Withdrawal) []string {
			return []string{d.ID, d.TraderID, cell(d.AccountID), cell(d.PaymentMethodID), d.Kind, d.Status, d.Amount,
				d.Currency, cell(d.FeeAmount), cell(d.NetAmount), cell(d.DestinationRef), cell(d.ExternalID),
				strconv.FormatBool(d.Reconciled), tsCell(d.SettledAt), d.CreatedAt.String(), d.UpdatedAt.String()}
		})
}

// ---- transactions ----

func transactionFilter(q *query) func(*Transaction) bool {
	trader := q.uuid("traderId")
	account := q.uuid("accountId")
	kind := q.enum("kind", TransactionKinds)
	status := q.enum("status", TransactionStatuses)
	currency := q.str("currency")
	external := q.str("externalId")
	reference := q.str("reference")
	inRange := q.timeRange()
	updated := q.since("updatedSince")
	return func(t *Transaction) bool {
		return eqStr(t.TraderID, trader) && eqPtr(t.AccountID, account) && eqStr(t.Kind, kind) &&
			eqStr(t.Status, status) && eqStr(t.Currency, currency) && eqPtr(t.ExternalID, external) &&
			eqPtr(t.Reference, reference) && inRange(t.OccurredAt.Time) && notBefore(t.UpdatedAt.Time, updated)
	}
}

func (s *Server) listTransactions(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	serveList(s, w, r, "transactions", s.transactions, transactionFilter, func(t *Transaction) any { return t })
}

// TransactionCSVColumns are the columns of GET /v1/transactions/export.csv.
var TransactionCSVColumns = []string{"id", "traderId", "accountId", "kind", "status", "amount", "currency",
	"reference", "description", "externalId", "occurredAt", "createdAt", "updatedAt"}

func (s *Server) exportTransactions(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	serveExport(s, w, r, "transactions.csv", s.transactions, transactionFilter, TransactionCSVColumns,
		func(t *Transaction) []string {
			return []string{t.ID, t.TraderID, cell(t.AccountID), t.Kind, t.Status, t.Amount, t.Currency,
				cell(t.Reference), cell(t.Description), cell(t.ExternalID), t.OccurredAt.String(),
				t.CreatedAt.String(), t.UpdatedAt.String()}
		})
}
