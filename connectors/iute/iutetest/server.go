package iutetest

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

// Fixed credentials of the sandbox partner account.
const (
	Username    = "leadpipe-partner"
	Password    = "iute-sandbox-secret"
	PartnerType = "post"
)

// Paths. Every documented URI starts with BasePath; the vendor's samples
// show the API deployed under the ContextPath "/iute", which the sandbox
// also accepts.
const (
	BasePath    = "/rest/api/partner"
	ContextPath = "/iute"
)

// DefaultSize is the number of pre-existing loans when Options.Size is 0.
const DefaultSize = 50

// FirstLoanRef is the ref of the first generated loan (the doc's example).
const FirstLoanRef = 90000

// Anchor is the fixed instant all generated data is anchored to.
var Anchor = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Loan states of the simulated CRM.
const (
	StatusNew                = "NEW"                  // submitted, awaiting a decision
	StatusApproved           = "APPROVED"             // approved, cash release not yet authorized
	StatusRejected           = "REJECTED"             // rejected (by an employee or by autoreject)
	StatusCancelled          = "CANCELLED"            // withdrawn through cancel/loan
	StatusCashReleaseAllowed = "CASH_RELEASE_ALLOWED" // cash release authorized, not yet paid out
	StatusPaidOut            = "PAID_OUT"             // money paid out (confirm/cash/release), balance remaining
	StatusClosed             = "CLOSED"               // paid out and fully repaid
)

// Statuses lists every loan state in lifecycle order.
func Statuses() []string {
	return []string{StatusNew, StatusApproved, StatusRejected, StatusCancelled,
		StatusCashReleaseAllowed, StatusPaidOut, StatusClosed}
}

// LoanStatuses maps each state to the loan_status string that
// allow/cash/release reports ("normal" is the doc's example; the rest are
// the sandbox's choice).
var LoanStatuses = map[string]string{
	StatusNew:                "new",
	StatusApproved:           "approved",
	StatusRejected:           "rejected",
	StatusCancelled:          "cancelled",
	StatusCashReleaseAllowed: "normal",
	StatusPaidOut:            "active",
	StatusClosed:             "closed",
}

// Kinds of recorded write requests.
const (
	KindNewLoan            = "new_loan"
	KindCancelLoan         = "cancel_loan"
	KindConfirmCashRelease = "confirm_cash_release"
	KindInsertRepayment    = "insert_repayment"
	KindUploadFiles        = "upload_files"
)

// Application is what new/loan received (or what was generated).
type Application struct {
	PIN                string
	FirstName          string
	LastName           string
	Patronymic         string
	BirthDate          string // dd.MM.yyyy
	DocumentSerial     string
	GSM                string
	PhoneHome          string
	AltContactName     string
	AltContactRelation string
	AltContactPhone    string
	Town               string
	Street             string
	HouseNr            string
	ApartmentNr        string // may be empty
	SubmitPerson       string
	SubmitPostOffice   string
	Files              []File // id_copy, data_verification when sent
}

// File describes an uploaded file (its content is not kept).
type File struct {
	Field       string
	Filename    string
	ContentType string
	Size        int64
}

// Installment is one row of the installment table.
type Installment struct {
	Number   int
	DueDate  time.Time
	Total    Cents
	ToBePaid Cents
}

// Repayment is one accepted insert/repayment.
type Repayment struct {
	Date       time.Time // the date parameter
	Amount     Cents
	ReceivedAt time.Time // generated data: the date; API: the clock
}

// Loan is one loan application in the simulated CRM.
type Loan struct {
	Ref                int
	Status             string
	Submitted          bool // created through new/loan, not generated
	Application        Application
	Principal          Cents
	Duration           int // months (loan_period)
	MonthlyPayment     Cents
	TotalBalance       Cents // total_balance: principal + fees and interest
	Repaid             Cents
	FirstRepaymentDate time.Time
	Installments       []Installment
	Repayments         []Repayment
	Uploads            []File // loan/files/upload
	RejectReason       string
	CreatedAt          time.Time
	UpdatedAt          time.Time
	DecidedAt          time.Time // approved or rejected
	CashReleaseAt      time.Time // cash release authorized
	PaidOutAt          time.Time
	CancelledAt        time.Time
	ClosedAt           time.Time
	StatusChecks       int // check/status calls received for this loan
	ReleaseChecks      int // allow/cash/release calls received for this loan

	// Undocumented values set by InjectUnknownValues.
	UnknownApproved    string // check/status <approved> value
	UnknownLoanStatus  string // allow/cash/release <loan_status> value
	UnknownInfoStatus  int    // loan/info <status>, when non-zero
	UnknownInfoMessage string // loan/info <message> with UnknownInfoStatus
}

// RemainingBalance is TotalBalance - Repaid.
func (l Loan) RemainingBalance() Cents { return l.TotalBalance - l.Repaid }

// ClientName is first name + ' ' + last name, as the API shows it.
func (l Loan) ClientName() string {
	return l.Application.FirstName + " " + l.Application.LastName
}

// LoanStatus is the loan_status allow/cash/release reports.
func (l Loan) LoanStatus() string {
	if l.UnknownLoanStatus != "" {
		return l.UnknownLoanStatus
	}
	return LoanStatuses[l.Status]
}

func (l *Loan) clone() Loan {
	c := *l
	c.Application.Files = slices.Clone(l.Application.Files)
	c.Installments = slices.Clone(l.Installments)
	c.Repayments = slices.Clone(l.Repayments)
	c.Uploads = slices.Clone(l.Uploads)
	return c
}

// Submission is one write request received (after authentication).
type Submission struct {
	Kind     string            // KindNewLoan, KindCancelLoan, ...
	Method   string            // GET or POST
	Path     string            // relative to BasePath, e.g. "/new/loan"
	Params   map[string]string // query and form values (first value of each)
	Files    []File            // multipart files
	Time     time.Time         // the clock when received
	LoanRef  int               // ref assigned (new loan) or addressed; 0 if none
	Status   int               // HTTP status answered
	Accepted bool              // Status == 200
	Errors   []string          // error messages answered, if any
}

// Policy is the automatic decision-making of the simulated Iute employees.
// It applies only to loans submitted through new/loan; generated loans move
// only through the test controls. The zero Policy is fully manual.
type Policy struct {
	// ApproveOnSubmit decides a new application at once (check/status
	// answers true, or rejected, on the first call).
	ApproveOnSubmit bool
	// ApproveOnCheck decides a NEW application on its Nth check/status call
	// (1 = the first call already answers true). 0 = only Approve/Reject.
	ApproveOnCheck int
	// AllowCashReleaseOnCheck authorizes cash release of an APPROVED loan on
	// its Nth allow/cash/release call (1 = the first call answers allowed
	// true). 0 = only AllowCashRelease.
	AllowCashReleaseOnCheck int
	// ReleaseOnApproval authorizes cash release at the moment of approval,
	// so confirm/cash/release works without an allow/cash/release call.
	ReleaseOnApproval bool
	// RequireFiles makes AllowCashReleaseOnCheck count only calls made after
	// loan/files/upload succeeded for the loan.
	RequireFiles bool
	// RejectIf, when set, is asked at the automatic decision: true rejects
	// the application instead of approving it.
	RejectIf func(Loan) bool
}

// DefaultPolicy approves an application on its first status check and
// authorizes its cash release at the same moment, so a pipeline-driven
// lifecycle (submit, poll, confirm cash release, repay) works without test
// controls.
func DefaultPolicy() Policy {
	return Policy{ApproveOnCheck: 1, ReleaseOnApproval: true}
}

// Server is the Iute Credit Partner API simulator.
type Server struct {
	opts    sandbox.Options
	now     func() time.Time
	faults  *sandbox.Faults
	handler http.Handler

	mu        sync.Mutex
	loans     map[int]*Loan
	generated []int
	submitted []int
	nextRef   int
	policy    Policy
	received  []Submission
	// usSpelling answers loan_status "canceled" for a cancelled loan.
	usSpelling bool
}

func init() {
	sandbox.Register("iute", func(o sandbox.Options) sandbox.Sandbox { return New(o) })
}

// New builds a simulator with a deterministic dataset of opts.Size loans
// (DefaultSize when 0, none when negative) and DefaultPolicy.
func New(opts sandbox.Options) *Server {
	s := &Server{
		opts:   opts,
		now:    opts.Clock(),
		faults: &sandbox.Faults{},
		loans:  map[int]*Loan{},
		policy: DefaultPolicy(),
	}
	for _, l := range generate(opts.Seed, opts.Records(DefaultSize)) {
		s.loans[l.Ref] = l
		s.generated = append(s.generated, l.Ref)
	}
	s.nextRef = FirstLoanRef
	if n := len(s.generated); n > 0 {
		s.nextRef = s.generated[n-1] + 1
	}
	s.handler = s.faults.Wrap(http.HandlerFunc(s.serve))
	return s
}

// Vendor returns "iute".
func (s *Server) Vendor() string { return "iute" }

// Env points a pipeline at the sandbox served at baseURL. IUTE_BASE_URL
// includes BasePath, so the connector appends the documented URI suffix
// ("/new/loan", "/loan/check/status", ...).
func (s *Server) Env(baseURL string) map[string]string {
	return map[string]string{
		"IUTE_BASE_URL":     strings.TrimRight(baseURL, "/") + BasePath,
		"IUTE_USERNAME":     Username,
		"IUTE_PASSWORD":     Password,
		"IUTE_PARTNER_TYPE": PartnerType,
	}
}

// Faults is the fault injector in front of every request.
func (s *Server) Faults() *sandbox.Faults { return s.faults }

// ServeHTTP serves the API through the fault injector.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// SetUSSpelling makes allow/cash/release spell a withdrawn loan's
// loan_status the US way, "canceled", as a real Iute answer can; the
// default is the sandbox's "cancelled". A connector must read both.
func (s *Server) SetUSSpelling(on bool) {
	s.mu.Lock()
	s.usSpelling = on
	s.mu.Unlock()
}

// SetPolicy replaces the automatic decision policy.
func (s *Server) SetPolicy(p Policy) {
	s.mu.Lock()
	s.policy = p
	s.mu.Unlock()
}

// Policy returns the current policy.
func (s *Server) Policy() Policy {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.policy
}

// LoanRefs returns the refs of the generated (pre-existing) loans in
// ascending order.
func (s *Server) LoanRefs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.generated)
}

// SubmittedRefs returns the refs assigned by new/loan, in order.
func (s *Server) SubmittedRefs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.submitted)
}

// Loans returns deep copies of every loan, ordered by ref.
func (s *Server) Loans() []Loan {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Loan, 0, len(s.loans))
	for _, l := range s.loans {
		out = append(out, l.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref < out[j].Ref })
	return out
}

// Loan returns a deep copy of one loan.
func (s *Server) Loan(ref int) (Loan, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.loans[ref]
	if !ok {
		return Loan{}, false
	}
	return l.clone(), true
}

// Received returns every write request received after authentication
// (new loan, cancel, confirm cash release, repayment, file upload),
// accepted or not, in arrival order.
func (s *Server) Received() []Submission {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Submission, len(s.received))
	for i, r := range s.received {
		out[i] = r
		out[i].Params = cloneMap(r.Params)
		out[i].Files = slices.Clone(r.Files)
		out[i].Errors = slices.Clone(r.Errors)
	}
	return out
}

// Count returns how many requests of kind were accepted (HTTP 200).
func (s *Server) Count(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.received {
		if r.Kind == kind && r.Accepted {
			n++
		}
	}
	return n
}

// ResetReceived forgets the recorded requests.
func (s *Server) ResetReceived() {
	s.mu.Lock()
	s.received = nil
	s.mu.Unlock()
}

// ErrNotFound is returned by the test controls for an unknown ref.
var ErrNotFound = errors.New("iutetest: loan not found")

func (s *Server) control(ref int, f func(l *Loan, now time.Time) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.loans[ref]
	if !ok {
		return fmt.Errorf("%w: %d", ErrNotFound, ref)
	}
	now := s.now()
	if err := f(l, now); err != nil {
		return err
	}
	l.UpdatedAt = now
	return nil
}

// Approve moves a NEW loan to APPROVED (an employee approved it).
func (s *Server) Approve(ref int) error {
	return s.control(ref, func(l *Loan, now time.Time) error {
		if l.Status != StatusNew {
			return fmt.Errorf("iutetest: loan %d is %s, not NEW", ref, l.Status)
		}
		l.Status, l.DecidedAt = StatusApproved, now
		return nil
	})
}

// Reject moves a NEW or APPROVED loan to REJECTED.
func (s *Server) Reject(ref int) error {
	return s.control(ref, func(l *Loan, now time.Time) error {
		if l.Status != StatusNew && l.Status != StatusApproved {
			return fmt.Errorf("iutetest: loan %d is %s, not NEW or APPROVED", ref, l.Status)
		}
		l.Status, l.DecidedAt, l.RejectReason = StatusRejected, now, "rejected by employee"
		return nil
	})
}

// AllowCashRelease moves an APPROVED loan to CASH_RELEASE_ALLOWED (an
// employee checked the files and authorized cash release).
func (s *Server) AllowCashRelease(ref int) error {
	return s.control(ref, func(l *Loan, now time.Time) error {
		if l.Status != StatusApproved {
			return fmt.Errorf("iutetest: loan %d is %s, not APPROVED", ref, l.Status)
		}
		l.Status, l.CashReleaseAt = StatusCashReleaseAllowed, now
		return nil
	})
}

// SetStatus forces a loan into any state of Statuses, setting the matching
// timestamp and UpdatedAt. Balances and installments are left as they are.
func (s *Server) SetStatus(ref int, status string) error {
	if !slices.Contains(Statuses(), status) {
		return fmt.Errorf("iutetest: unknown status %q", status)
	}
	return s.control(ref, func(l *Loan, now time.Time) error {
		l.Status = status
		switch status {
		case StatusApproved, StatusRejected:
			l.DecidedAt = now
		case StatusCancelled:
			l.CancelledAt = now
		case StatusCashReleaseAllowed:
			l.CashReleaseAt = now
		case StatusPaidOut:
			l.PaidOutAt = now
		case StatusClosed:
			l.ClosedAt = now
		}
		return nil
	})
}

// InjectUnknownValues makes a few generated loans answer with values the
// vendor doc does not list, and returns their refs:
//   - the first NEW loan: check/status <approved>under_review</approved> and
//     allow/cash/release <loan_status>under_review</loan_status>;
//   - the first PAID_OUT loan: <loan_status>restructured</loan_status>;
//   - the first CLOSED loan: loan/info <status>1</status> with the message
//     "Loan is archived" and no <loan> element.
func (s *Server) InjectUnknownValues() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var refs []int
	done := map[string]bool{}
	for _, ref := range s.generated {
		l := s.loans[ref]
		if done[l.Status] {
			continue
		}
		switch l.Status {
		case StatusNew:
			l.UnknownApproved, l.UnknownLoanStatus = "under_review", "under_review"
		case StatusPaidOut:
			l.UnknownLoanStatus = "restructured"
		case StatusClosed:
			l.UnknownInfoStatus, l.UnknownInfoMessage = 1, "Loan is archived"
		default:
			continue
		}
		done[l.Status] = true
		refs = append(refs, ref)
	}
	sort.Ints(refs)
	return refs
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func checkBasicAuth(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	uok := subtle.ConstantTimeCompare([]byte(u), []byte(Username)) == 1
	pok := subtle.ConstantTimeCompare([]byte(p), []byte(Password)) == 1
	return uok && pok
}
