package lumitest

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

// Credentials accepted by the sandbox (HTTP Basic).
const (
	Username = "partner@sandbox.lumi.com.au"
	Password = "lumi-sandbox-password"
)

func init() {
	sandbox.Register("lumi", func(o sandbox.Options) sandbox.Sandbox { return New(o) })
}

// Server is the Lumi API simulator. It is safe for concurrent use.
type Server struct {
	now     func() time.Time
	faults  *sandbox.Faults
	handler http.Handler

	mu           sync.RWMutex
	ids          *idGen
	rng          *rand.Rand // runtime randomness (SetStatus fills), guarded by mu
	leads        []*Lead    // sorted by created_at, id
	byID         map[string]*Lead
	events       []*Event // sorted by date, id
	eventsByLead map[string][]*Event
	received     []Submission
	attempts     int
	documents    []Document
	bankFeeds    []BankFeed
	rejectDups   bool
	injected     bool
	// dateOnly reads the date filters by their date alone
	// (SetDateOnlyFilters).
	dateOnly bool
}

var _ sandbox.Sandbox = (*Server)(nil)

// New builds a simulator with the deterministic dataset of opts.Seed and
// opts.Size (DefaultSize when 0, none when negative).
func New(opts sandbox.Options) *Server {
	size := opts.Records(DefaultSize)
	ids, leads, events := generate(opts.Seed, size)
	s := &Server{
		now:          opts.Clock(),
		faults:       &sandbox.Faults{},
		ids:          ids,
		rng:          rand.New(rand.NewPCG(uint64(opts.Seed)+1, 0x5eed)),
		leads:        leads,
		byID:         make(map[string]*Lead, len(leads)),
		events:       events,
		eventsByLead: make(map[string][]*Event, len(leads)),
	}
	for _, l := range leads {
		s.byID[l.ID] = l
	}
	for _, e := range events {
		s.eventsByLead[e.LeadID] = append(s.eventsByLead[e.LeadID], e)
	}
	s.handler = s.faults.Wrap(http.HandlerFunc(s.serve))
	return s
}

// Vendor returns "lumi".
func (s *Server) Vendor() string { return "lumi" }

// Env returns LUMI_BASE_URL (baseURL + "/v1"), LUMI_USERNAME and LUMI_PASSWORD.
func (s *Server) Env(baseURL string) map[string]string {
	return map[string]string{
		"LUMI_BASE_URL": strings.TrimSuffix(baseURL, "/") + "/v1",
		"LUMI_USERNAME": Username,
		"LUMI_PASSWORD": Password,
	}
}

// Faults returns the fault injector that sits in front of every request.
func (s *Server) Faults() *sandbox.Faults { return s.faults }

// ServeHTTP serves the API; paths are relative to the API root (/v1/...).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// RejectDuplicates makes POST /v1/leads answer 400 "lead already exists" when
// the customer's email or phone matches a lead that has not EXPIRED. Off by
// default (duplicates are accepted).
func (s *Server) RejectDuplicates(on bool) {
	s.mu.Lock()
	s.rejectDups = on
	s.mu.Unlock()
}

// ---- HTTP plumbing ----

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeErrors writes the vendor's error body, one element per message:
// [{"status": false, "error": "..."}].
func writeErrors(w http.ResponseWriter, status int, msgs ...string) {
	var b strings.Builder
	b.WriteString("[")
	for i, m := range msgs {
		if i > 0 {
			b.WriteString(", ")
		}
		q, _ := json.Marshal(m)
		fmt.Fprintf(&b, `{"status": false, "error": %s}`, q)
	}
	b.WriteString("]")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

func badRequest(w http.ResponseWriter, msgs ...string) {
	writeErrors(w, http.StatusBadRequest, msgs...)
}

// UnauthorizedBody is the exact body of every 403 answer.
const UnauthorizedBody = `[{"status": false, "error": "Unauthorized"}]`

func (s *Server) authorized(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	uok := subtle.ConstantTimeCompare([]byte(u), []byte(Username)) == 1
	pok := subtle.ConstantTimeCompare([]byte(p), []byte(Password)) == 1
	return uok && pok
}

const apiRoot = "/v1/leads"

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	if r.Method == http.MethodPost && p == apiRoot {
		s.mu.Lock()
		s.attempts++
		s.mu.Unlock()
	}
	if !s.authorized(r) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(UnauthorizedBody))
		return
	}
	if p != apiRoot && !strings.HasPrefix(p, apiRoot+"/") {
		writeErrors(w, http.StatusNotFound, "Not Found")
		return
	}
	var segs []string
	if rest := strings.TrimPrefix(p, apiRoot+"/"); rest != p {
		segs = strings.Split(rest, "/")
	}
	method := func(m string, h func(http.ResponseWriter, *http.Request)) {
		if r.Method != m && !(m == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", m)
			writeErrors(w, http.StatusMethodNotAllowed, "Method Not Allowed")
			return
		}
		h(w, r)
	}
	switch {
	case len(segs) == 0:
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			s.handleList(w, r)
		case http.MethodPost:
			s.handleCreate(w, r, p)
		default:
			w.Header().Set("Allow", "GET, POST")
			writeErrors(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		}
	case len(segs) == 1 && segs[0] == "events":
		method(http.MethodGet, func(w http.ResponseWriter, r *http.Request) { s.handleEvents(w, r, "") })
	case len(segs) == 1 && segs[0] == "loanReasons":
		method(http.MethodGet, s.handleLoanReasons)
	case len(segs) == 1 && segs[0] == "resources":
		method(http.MethodGet, s.handleResources)
	case len(segs) == 1 && segs[0] != "":
		method(http.MethodGet, func(w http.ResponseWriter, r *http.Request) { s.handleDetails(w, segs[0]) })
	case len(segs) == 2 && segs[1] == "events" && segs[0] != "":
		method(http.MethodGet, func(w http.ResponseWriter, r *http.Request) { s.handleEvents(w, r, segs[0]) })
	case len(segs) == 2 && segs[1] == "documents" && segs[0] != "":
		method(http.MethodPost, func(w http.ResponseWriter, r *http.Request) { s.handleDocument(w, r, segs[0]) })
	case len(segs) == 2 && segs[1] == "bankfeeds" && segs[0] != "":
		method(http.MethodPost, func(w http.ResponseWriter, r *http.Request) { s.handleBankFeed(w, r, segs[0]) })
	default:
		writeErrors(w, http.StatusNotFound, "Not Found")
	}
}

// ---- test controls ----

// Leads returns deep copies of every lead (the current truth, as lead details
// would show them), ordered by created_at then id.
func (s *Server) Leads() []Lead {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Lead, len(s.leads))
	for i, l := range s.leads {
		out[i] = cloneLead(l)
	}
	return out
}

// Lead returns a copy of one lead.
func (s *Server) Lead(id string) (Lead, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.byID[id]
	if !ok {
		return Lead{}, false
	}
	return cloneLead(l), true
}

// Events returns copies of every event, ordered by date then id.
func (s *Server) Events() []Event {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Event, len(s.events))
	for i, e := range s.events {
		out[i] = *e
	}
	return out
}

// Received returns every POST /v1/leads that passed validation and created a
// lead, in arrival order.
func (s *Server) Received() []Submission {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.received)
}

// CountByExternalID counts the leads created through the API with external_id ext.
func (s *Server) CountByExternalID(ext string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, sub := range s.received {
		if sub.ExternalID == ext {
			n++
		}
	}
	return n
}

// Attempts counts every POST /v1/leads that reached the simulator (past the
// Faults wrapper): accepted, rejected by validation and rejected by auth.
func (s *Server) Attempts() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.attempts
}

// Documents returns the accepted document uploads.
func (s *Server) Documents() []Document {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.documents)
}

// BankFeeds returns the accepted bank feed submissions.
func (s *Server) BankFeeds() []BankFeed {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.bankFeeds)
}

// ErrNotFound is returned by the test controls for an unknown lead id.
var ErrNotFound = errors.New("lumitest: lead not found")

// lastEventDate is the date of the lead's latest event (zero if none).
func (s *Server) lastEventDate(id string) time.Time {
	evs := s.eventsByLead[id]
	if len(evs) == 0 {
		return time.Time{}
	}
	return evs[len(evs)-1].Date
}

// nowFor returns the clock now for a change to lead id, never earlier than
// the lead's latest event, so the new event is the lead's last one even when
// the clock is behind the dataset.
func (s *Server) nowFor(id string) time.Time {
	t := eventTime(s.now())
	if last := s.lastEventDate(id); t.Before(last) {
		t = last
	}
	return t
}

func (s *Server) addEventLocked(e *Event) {
	i, _ := slices.BinarySearchFunc(s.events, e, cmpEvent)
	s.events = slices.Insert(s.events, i, e)
	evs := s.eventsByLead[e.LeadID]
	j, _ := slices.BinarySearchFunc(evs, e, cmpEvent)
	s.eventsByLead[e.LeadID] = slices.Insert(evs, j, e)
}

func (s *Server) addLeadLocked(l *Lead) {
	i, _ := slices.BinarySearchFunc(s.leads, l, cmpLead)
	s.leads = slices.Insert(s.leads, i, l)
	s.byID[l.ID] = l
}

func (s *Server) newEventLocked(leadID, typ, text, dir string, at time.Time) *Event {
	e := &Event{ID: s.ids.next(at), LeadID: leadID, EventType: typ, EventText: text, Direction: dir,
		Date: eventTime(at), RecordedAt: eventTime(s.now())}
	if e.RecordedAt.Before(e.Date) {
		e.RecordedAt = e.Date
	}
	s.addEventLocked(e)
	return e
}

// SetDateOnlyFilters makes the date filters (date_from, since,
// createdAtSince) read only the date of the value they are given, from
// midnight UTC: the doc types date_from as a DateISO, and a real Lumi may
// honour the day alone. A connector reading incrementally then gets back
// every lead and event of the cursor's day, and must still write each
// version once.
func (s *Server) SetDateOnlyFilters(on bool) {
	s.mu.Lock()
	s.dateOnly = on
	s.mu.Unlock()
}

// SetStatus changes a lead's status at the clock's now: it sets status and
// updated_at, appends a STATUS_CHANGE event dated now, keeps
// application_status, lost_reason and credit_decline_reasons consistent, and
// fills the loan fields (loan_id, amount, commission, rate, product type,
// top-up) when the lead becomes FUNDED. Unknown status values are accepted so
// tests can simulate the vendor adding one.
func (s *Server) SetStatus(id, status string) error {
	if status == "" {
		return errors.New("lumitest: empty status")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.byID[id]
	if !ok {
		return ErrNotFound
	}
	at := s.nowFor(id)
	l.Status = status
	l.UpdatedAt = sydney(at)
	if l.UpdatedAt.Before(l.CreatedAt) {
		l.UpdatedAt = l.CreatedAt
	}
	if creditStage[status] {
		l.Loan.ApplicationStatus = "SUBMITTED"
	}
	switch status {
	case "CLOSED":
		if l.LostReason == "" || declinedLostReasons[l.LostReason] {
			l.LostReason = "client_unresponsive"
		}
		l.CreditDeclineReasons = []string{}
	case "DECLINED":
		if l.LostReason == "" || !declinedLostReasons[l.LostReason] {
			l.LostReason = "credit_declined"
		}
		if l.LostReason == "credit_declined" && len(l.CreditDeclineReasons) == 0 {
			l.CreditDeclineReasons = []string{"other"}
		}
	default:
		l.LostReason = ""
		l.CreditDeclineReasons = []string{}
	}
	if status == "AWAITING_LOAN_DOCUMENTS" || status == "AWAITING_DISBURSEMENT" || status == "FUNDED" {
		if l.LoanID == "" {
			l.LoanID = s.ids.next(at)
		}
		if l.Loan.Amount == 0 {
			l.Loan.Amount = l.Loan.RequestedAmount
		}
	}
	if status == "FUNDED" {
		if l.CommissionPercentage == nil {
			fund(l, s.rng, "")
		}
	} else {
		clearFunded(l)
	}
	s.newEventLocked(id, "STATUS_CHANGE", status, "", at)
	return nil
}

// SetLostReason sets a lead's lost_reason and credit_decline_reasons (use it
// before or after SetStatus(id, "DECLINED"/"CLOSED")). It does not add an event.
func (s *Server) SetLostReason(id, reason string, creditDeclineReasons ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.byID[id]
	if !ok {
		return ErrNotFound
	}
	l.LostReason = reason
	l.CreditDeclineReasons = append([]string{}, creditDeclineReasons...)
	return nil
}

// AddEvent appends a non-status event (CALL, EMAIL, DOCUMENT_CAPTURE,
// LOAN_DOCUMENTS or anything else) to a lead, dated at the clock's now.
// Status events go through SetStatus so the history stays consistent.
func (s *Server) AddEvent(leadID, eventType, eventText, direction string) (Event, error) {
	if eventType == "STATUS_CHANGE" || eventType == "STATUS_UPDATED" {
		return Event{}, errors.New("lumitest: use SetStatus for status events")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[leadID]; !ok {
		return Event{}, ErrNotFound
	}
	e := s.newEventLocked(leadID, eventType, eventText, direction, s.nowFor(leadID))
	return *e, nil
}

// InjectUnknownValues adds, at the clock's now, records carrying values the
// doc does not list: a lead with status ON_HOLD (its history ends with a
// STATUS_CHANGE to ON_HOLD) and an SMS event; a CLOSED lead with lost_reason
// "customer_went_overseas"; a DECLINED lead with credit decline reason
// "crypto_exposure"; a FUNDED lead with loan_product_type "INVOICE_FINANCE";
// and an SMS event on the oldest generated lead. A second call does nothing.
func (s *Server) InjectUnknownValues() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.injected || len(s.leads) == 0 {
		return
	}
	s.injected = true
	at := sydney(s.now()).UTC() // second precision, like created_at
	base := s.leads[0]
	mk := func(n int, status, lost string, decline []string) *Lead {
		l := cloneLead(base)
		l.ID = s.ids.next(at)
		l.ApplicationID = s.ids.next(at)
		l.LoanID = ""
		l.ExternalID = fmt.Sprintf("UNKNOWN-%d", n)
		l.Stakeholder.Email = fmt.Sprintf("unknown.values%d@example.net", n)
		l.Stakeholder.Phone = fmt.Sprintf("+6149900000%d", n)
		l.Status, l.LostReason, l.CreditDeclineReasons = status, lost, decline
		l.CreatedAt, l.UpdatedAt = sydney(at), sydney(at)
		l.Loan.ApplicationType, l.Loan.ApplicationStatus, l.Loan.Amount = "REGULAR", "IN_PROCESS", 0
		clearFunded(&l)
		s.addLeadLocked(&l)
		s.newEventLocked(l.ID, "STATUS_CHANGE", "SUBMITTED", "", at)
		return &l
	}
	onHold := mk(1, "ON_HOLD", "", []string{})
	s.newEventLocked(onHold.ID, "SMS", "Reminder sent", "OUTBOUND", at)
	s.newEventLocked(onHold.ID, "STATUS_CHANGE", "ON_HOLD", "", at)
	closed := mk(2, "CLOSED", "customer_went_overseas", []string{})
	s.newEventLocked(closed.ID, "STATUS_CHANGE", "CLOSED", "", at)
	declined := mk(3, "DECLINED", "credit_declined", []string{"insufficient_sales", "crypto_exposure"})
	declined.Loan.ApplicationStatus = "SUBMITTED"
	s.newEventLocked(declined.ID, "STATUS_CHANGE", "DECLINED", "", at)
	funded := mk(4, "FUNDED", "", []string{})
	funded.Loan.ApplicationStatus = "SUBMITTED"
	funded.LoanID = s.ids.next(at)
	fund(funded, s.rng, "INVOICE_FINANCE")
	s.newEventLocked(funded.ID, "STATUS_CHANGE", "FUNDED", "", at)
	s.newEventLocked(base.ID, "SMS", "Follow-up text", "OUTBOUND", s.nowFor(base.ID))
}
