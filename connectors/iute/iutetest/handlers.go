package iutetest

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxVarchar is the length limit of every varchar parameter.
const maxVarchar = 255

// Ages outside [MinAge, MaxAge] on the submission day are auto-rejected.
const (
	MinAge = 18
	MaxAge = 75
)

var (
	gsmRe       = regexp.MustCompile(`^0[0-9]{9}$`)
	phoneHomeRe = regexp.MustCompile(`^0[0-9]{8}$`)
	langRe      = regexp.MustCompile(`^[A-Za-z]{3}$`)
)

// Messages of the documented error cases.
const (
	msgMovedStep      = "Loan application has moved to another step"
	msgNoActiveLoan   = "No active loan found!"
	msgSuccess        = "success"
	msgLoanNotFound   = "Loan not found"
	msgCancelNotAllow = "Loan can be cancelled only in status NEW or APPROVED"
	msgCashNotAllowed = "Cash release is not allowed for this loan"
	msgNotApproved    = "Loan application is not approved"
)

type loanCalcXML struct {
	XMLName            xml.Name `xml:"loan_calc"`
	FirstRepaymentDate string   `xml:"first_repayment_date"`
	MonthlyPayment     string   `xml:"monthly_payment"`
	TotalLoanAmount    string   `xml:"total_loan_amount"`
}

type newLoanXML struct {
	XMLName            xml.Name `xml:"loan"`
	LoanRef            int      `xml:"loan_ref"`
	LoanPeriod         int      `xml:"loan_period"`
	FirstRepaymentDate string   `xml:"first_repayment_date"`
	ClientPIN          string   `xml:"client_pin"`
	ClientName         string   `xml:"client_name"`
}

type checkStatusXML struct {
	XMLName  xml.Name `xml:"loan"`
	Approved string   `xml:"approved"`
	LoanRef  int      `xml:"loan_ref"`
}

type allowXML struct {
	XMLName         xml.Name `xml:"loan"`
	Allowed         bool     `xml:"allowed"`
	LoanStatus      string   `xml:"loan_status"`
	LoanRef         int      `xml:"loan_ref"`
	LoanAmount      string   `xml:"loan_amount"`
	ClientPIN       string   `xml:"client_pin"`
	ClientFirstName string   `xml:"client_first_name"`
	ClientLastName  string   `xml:"client_last_name"`
}

type loanResponseXML struct {
	XMLName xml.Name     `xml:"loan_response"`
	Message string       `xml:"message"`
	Status  int          `xml:"status"`
	Loan    *loanInfoXML `xml:"loan,omitempty"`
}

type loanInfoXML struct {
	LoanRef          int              `xml:"loan_ref"`
	LoanPeriod       int              `xml:"loan_period"`
	TotalBalance     string           `xml:"total_balance"`
	Repaid           string           `xml:"repaid"`
	RemainingBalance string           `xml:"remaining_balance"`
	ClientPIN        string           `xml:"client_pin"`
	ClientName       string           `xml:"client_name"`
	Installments     []installmentXML `xml:"installment_table>installment"`
}

type installmentXML struct {
	Number   int    `xml:"number"`
	DueDate  string `xml:"due_date"`
	Total    string `xml:"total"`
	ToBePaid string `xml:"to_be_paid"`
}

// validator collects every field error of one request.
type validator struct {
	q    params
	errs []string
}

func (v *validator) add(field, msg string) { v.errs = append(v.errs, field+": "+msg) }

// text validates a required varchar parameter.
func (v *validator) text(field string) string {
	s := v.q.get(field)
	switch {
	case s == "":
		v.add(field, "is required")
	case utf8.RuneCountInString(s) > maxVarchar:
		v.add(field, fmt.Sprintf("must be at most %d characters", maxVarchar))
	}
	return s
}

func (v *validator) pattern(field string, re *regexp.Regexp, format, example string) string {
	s := v.q.get(field)
	switch {
	case s == "":
		v.add(field, "is required")
	case !re.MatchString(s):
		v.add(field, fmt.Sprintf("must match format %s, e.g. %s", format, example))
	}
	return s
}

func (v *validator) amount(field string) Cents { return required(v, field, parseAmount) }

func (v *validator) duration(field string) int { return required(v, field, parseDuration) }

func (v *validator) ref(field string) int { return required(v, field, parseRef) }

// required reads a parameter that must be present and parse; every problem
// is recorded on v, and the zero value stands in for a bad one.
func required[T any](v *validator, field string, parse func(string) (T, error)) T {
	var zero T
	s := v.q.get(field)
	if s == "" {
		v.add(field, "is required")
		return zero
	}
	n, err := parse(s)
	if err != nil {
		v.add(field, err.Error())
	}
	return n
}

// file validates a file parameter (jpg or pdf). A part with an empty
// filename counts as not sent.
func (v *validator) file(field string, required bool) *File {
	fhs := v.q.files[field]
	if len(fhs) == 0 || fhs[0].Filename == "" {
		if required {
			v.add(field, "file is required")
		}
		return nil
	}
	fh := fhs[0]
	switch strings.ToLower(path.Ext(fh.Filename)) {
	case ".jpg", ".jpeg", ".pdf":
	default:
		v.add(field, "file format must be jpg or pdf")
		return nil
	}
	if fh.Size == 0 {
		v.add(field, "file is empty")
		return nil
	}
	return &File{Field: field, Filename: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Size: fh.Size}
}

func (v *validator) failed() bool { return len(v.errs) > 0 }

func (v *validator) reply() reply { return errReply(http.StatusBadRequest, v.errs...) }

// lookup finds the loan a validated ref names.
func (s *Server) lookup(ref int) (*Loan, *reply) {
	l, ok := s.loans[ref]
	if !ok {
		rep := errReply(http.StatusBadRequest, msgLoanNotFound+": "+strconv.Itoa(ref)).withRef(ref)
		return nil, &rep
	}
	return l, nil
}

func (s *Server) loanCalc(q params, now time.Time) reply {
	v := &validator{q: q}
	amt := v.amount("loan_amount")
	n := v.duration("loan_duration")
	if v.failed() {
		return v.reply()
	}
	monthly, total := Annuity(amt, n)
	return xmlReply(0, loanCalcXML{
		FirstRepaymentDate: formatDate(addMonths(dayOf(now), 1)),
		MonthlyPayment:     monthly.String(),
		TotalLoanAmount:    total.String(),
	})
}

func (s *Server) newLoan(q params, now time.Time) reply {
	v := &validator{q: q}
	today := dayOf(now)
	var a Application
	a.PIN = v.text("pin")
	a.FirstName = v.text("first_name")
	a.LastName = v.text("last_name")
	a.Patronymic = v.text("patronymic")
	a.BirthDate = q.get("birth_date")
	var birth time.Time
	switch {
	case a.BirthDate == "":
		v.add("birth_date", "is required")
	case !dateRe.MatchString(a.BirthDate):
		v.add("birth_date", "must be a date in format dd.MM.yyyy, e.g. 31.08.1997")
	default:
		b, err := time.Parse(dateLayout, a.BirthDate)
		switch {
		case err != nil:
			v.add("birth_date", "is not a valid date")
		case !b.Before(today):
			v.add("birth_date", "must be in the past")
		default:
			birth = b
		}
	}
	a.DocumentSerial = v.text("document_serial")
	a.GSM = v.pattern("gsm", gsmRe, `"0\d{9}"`, "0123456789")
	a.PhoneHome = v.pattern("phone_home", phoneHomeRe, `"0\d{8}"`, "012345678")
	a.AltContactName = v.text("alt_contact_name")
	a.AltContactRelation = v.text("alt_contact_relation")
	a.AltContactPhone = v.pattern("alt_contact_phone", gsmRe, `"0\d{9}"`, "0987654321")
	a.Town = v.text("town")
	a.Street = v.text("street")
	a.HouseNr = v.text("house_nr")
	a.ApartmentNr = q.get("apartment_nr")
	switch {
	case !q.has("apartment_nr"):
		v.add("apartment_nr", "is required (send it empty when there is no apartment)")
	case utf8.RuneCountInString(a.ApartmentNr) > maxVarchar:
		v.add("apartment_nr", fmt.Sprintf("must be at most %d characters", maxVarchar))
	}
	amt := v.amount("loan_amount")
	n := v.duration("loan_duration")
	a.SubmitPerson = v.text("submit_person")
	a.SubmitPostOffice = v.text("submit_post_office")
	for _, f := range []string{"id_copy", "data_verification"} {
		if file := v.file(f, false); file != nil {
			a.Files = append(a.Files, *file)
		}
	}
	if v.failed() {
		return v.reply()
	}

	ref := s.nextRef
	s.nextRef++
	monthly, total, inst := buildSchedule(today, amt, n)
	l := &Loan{
		Ref: ref, Status: StatusNew, Submitted: true, Application: a,
		Principal: amt, Duration: n, MonthlyPayment: monthly, TotalBalance: total,
		FirstRepaymentDate: inst[0].DueDate, Installments: inst,
		CreatedAt: now, UpdatedAt: now,
	}
	if yrs := age(birth, today); yrs < MinAge || yrs > MaxAge {
		l.Status, l.DecidedAt = StatusRejected, now
		l.RejectReason = fmt.Sprintf("autoreject: client age %d outside %d-%d", yrs, MinAge, MaxAge)
	} else if s.policy.ApproveOnSubmit {
		s.decide(l, now)
	}
	s.loans[ref] = l
	s.submitted = append(s.submitted, ref)
	return xmlReply(ref, newLoanXML{
		LoanRef: ref, LoanPeriod: n, FirstRepaymentDate: formatDate(l.FirstRepaymentDate),
		ClientPIN: a.PIN, ClientName: l.ClientName(),
	})
}

// decide applies the policy's automatic decision to a NEW loan.
func (s *Server) decide(l *Loan, now time.Time) {
	if s.policy.RejectIf != nil && s.policy.RejectIf(l.clone()) {
		l.Status, l.RejectReason = StatusRejected, "rejected by policy"
	} else {
		l.Status = StatusApproved
		if s.policy.ReleaseOnApproval {
			l.Status, l.CashReleaseAt = StatusCashReleaseAllowed, now
		}
	}
	l.DecidedAt, l.UpdatedAt = now, now
}

func (s *Server) cancelLoan(q params, now time.Time) reply {
	v := &validator{q: q}
	ref := v.ref("loanRef")
	if v.failed() {
		return v.reply()
	}
	l, bad := s.lookup(ref)
	if bad != nil {
		return *bad
	}
	if l.Status != StatusNew && l.Status != StatusApproved {
		return errReply(http.StatusBadRequest, msgCancelNotAllow).withRef(ref)
	}
	l.Status, l.CancelledAt, l.UpdatedAt = StatusCancelled, now, now
	return okEmpty(ref)
}

func (s *Server) checkStatus(q params, now time.Time) reply {
	v := &validator{q: q}
	ref := v.ref("loan_ref")
	if v.failed() {
		return v.reply()
	}
	l, bad := s.lookup(ref)
	if bad != nil {
		return *bad
	}
	l.StatusChecks++
	if l.Status == StatusNew && l.Submitted && s.policy.ApproveOnCheck > 0 && l.StatusChecks >= s.policy.ApproveOnCheck {
		s.decide(l, now)
	}
	var approved string
	switch {
	case l.UnknownApproved != "":
		approved = l.UnknownApproved
	case l.Status == StatusNew:
		approved = "false"
	case l.Status == StatusApproved, l.Status == StatusCashReleaseAllowed:
		approved = "true"
	case l.Status == StatusRejected:
		approved = "rejected"
	default:
		return errReply(http.StatusBadRequest, msgMovedStep).withRef(ref)
	}
	return xmlReply(ref, checkStatusXML{Approved: approved, LoanRef: ref})
}

func (s *Server) loanInfo(q params, now time.Time) reply {
	v := &validator{q: q}
	ref := v.ref("loanRef")
	if v.failed() {
		return v.reply()
	}
	l, ok := s.loans[ref]
	if !ok || (l.Status != StatusPaidOut && l.Status != StatusClosed) {
		return xmlReply(ref, loanResponseXML{Message: msgNoActiveLoan, Status: -1})
	}
	if l.UnknownInfoStatus != 0 {
		return xmlReply(ref, loanResponseXML{Message: l.UnknownInfoMessage, Status: l.UnknownInfoStatus})
	}
	info := &loanInfoXML{
		LoanRef: ref, LoanPeriod: l.Duration,
		TotalBalance: l.TotalBalance.String(), Repaid: l.Repaid.String(),
		RemainingBalance: l.RemainingBalance().String(),
		ClientPIN:        l.Application.PIN, ClientName: l.ClientName(),
	}
	for _, in := range l.Installments {
		info.Installments = append(info.Installments, installmentXML{
			Number: in.Number, DueDate: formatDate(in.DueDate), Total: in.Total.String(), ToBePaid: in.ToBePaid.String(),
		})
	}
	return xmlReply(ref, loanResponseXML{Message: msgSuccess, Status: 0, Loan: info})
}

func (s *Server) generateAgreement(q params, now time.Time) reply {
	v := &validator{q: q}
	ref := v.ref("loanRef")
	lang := v.pattern("lang", langRe, "three-letter language code", "alb")
	if v.failed() {
		return v.reply()
	}
	l, bad := s.lookup(ref)
	if bad != nil {
		return *bad
	}
	switch l.Status {
	case StatusApproved, StatusCashReleaseAllowed, StatusPaidOut, StatusClosed:
	default:
		return errReply(http.StatusBadRequest, msgNotApproved).withRef(ref)
	}
	return reply{
		status: http.StatusOK,
		ctype:  "application/pdf;charset=UTF-8",
		headers: map[string]string{
			"Content-Disposition": "attachment;filename=specific_agreement_" + strconv.Itoa(ref) + "_" + lang + ".pdf",
		},
		body: agreementPDF(l, lang, now),
		ref:  ref,
	}
}

func (s *Server) uploadFiles(q params, now time.Time) reply {
	v := &validator{q: q}
	ref := v.ref("loan_ref")
	agreement := v.file("loan_agreement", true)
	statement := v.file("bank_statement", true)
	if v.failed() {
		return v.reply().withRef(ref)
	}
	l, bad := s.lookup(ref)
	if bad != nil {
		return *bad
	}
	if l.Status != StatusApproved && l.Status != StatusCashReleaseAllowed {
		return errReply(http.StatusBadRequest, msgMovedStep).withRef(ref)
	}
	l.Uploads = append(l.Uploads, *agreement, *statement)
	l.UpdatedAt = now
	return okEmpty(ref)
}

func (s *Server) allowCashRelease(q params, now time.Time) reply {
	v := &validator{q: q}
	ref := v.ref("loanRef")
	if v.failed() {
		return v.reply()
	}
	l, bad := s.lookup(ref)
	if bad != nil {
		return *bad
	}
	if l.Status == StatusApproved && l.Submitted && (!s.policy.RequireFiles || len(l.Uploads) > 0) {
		l.ReleaseChecks++
		if n := s.policy.AllowCashReleaseOnCheck; n > 0 && l.ReleaseChecks >= n {
			l.Status, l.CashReleaseAt, l.UpdatedAt = StatusCashReleaseAllowed, now, now
		}
	}
	return xmlReply(ref, allowXML{
		Allowed:    l.Status == StatusCashReleaseAllowed,
		LoanStatus: s.spell(l.LoanStatus()),
		LoanRef:    ref, LoanAmount: l.Principal.String(),
		ClientPIN: l.Application.PIN, ClientFirstName: l.Application.FirstName, ClientLastName: l.Application.LastName,
	})
}

func (s *Server) confirmCashRelease(q params, now time.Time) reply {
	v := &validator{q: q}
	ref := v.ref("loanRef")
	if v.failed() {
		return v.reply()
	}
	l, bad := s.lookup(ref)
	if bad != nil {
		return *bad
	}
	if l.Status != StatusCashReleaseAllowed {
		return errReply(http.StatusBadRequest, msgCashNotAllowed).withRef(ref)
	}
	l.Status, l.PaidOutAt, l.UpdatedAt = StatusPaidOut, now, now
	return okEmpty(ref)
}

func (s *Server) insertRepayment(q params, now time.Time) reply {
	v := &validator{q: q}
	ref := v.ref("loanRef")
	ds := q.get("date")
	var date time.Time
	switch {
	case ds == "":
		v.add("date", "is required")
	case !repaymentDateRe.MatchString(ds):
		v.add("date", "must be a date in format ddMMyyyy, e.g. 22052018")
	default:
		d, err := time.Parse(repaymentLayout, ds)
		if err != nil {
			v.add("date", "is not a valid date")
		}
		date = d
	}
	amt := v.amount("amount")
	if v.failed() {
		return v.reply().withRef(ref)
	}
	l, bad := s.lookup(ref)
	if bad != nil {
		return *bad
	}
	if l.Status != StatusPaidOut {
		return errReply(http.StatusBadRequest, msgNoActiveLoan).withRef(ref)
	}
	if rem := l.RemainingBalance(); amt > rem {
		return errReply(http.StatusBadRequest, "amount: must not exceed the remaining balance "+rem.String()).withRef(ref)
	}
	applyRepayment(l, Repayment{Date: date, Amount: amt, ReceivedAt: now})
	l.UpdatedAt = now
	if l.Status == StatusClosed {
		l.ClosedAt = now
	}
	return okEmpty(ref)
}

// applyRepayment covers installments sequentially from 1 to n; the date has
// no effect on coverage. A loan whose balance reaches 0 is CLOSED.
func applyRepayment(l *Loan, r Repayment) {
	l.Repayments = append(l.Repayments, r)
	l.Repaid += r.Amount
	left := r.Amount
	for i := range l.Installments {
		if left == 0 {
			break
		}
		in := &l.Installments[i]
		pay := min(left, in.ToBePaid)
		in.ToBePaid -= pay
		left -= pay
	}
	if l.RemainingBalance() == 0 {
		l.Status = StatusClosed
	}
}

// spell writes a loan_status in the spelling the server was set to use.
// The caller holds s.mu.
func (s *Server) spell(loanStatus string) string {
	if s.usSpelling && loanStatus == LoanStatuses[StatusCancelled] {
		return "canceled"
	}
	return loanStatus
}
