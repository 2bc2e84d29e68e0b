package iute

import (
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/transforms/normalize"
)

// Iute has no single status field. A loan's state is read from whichever
// interface answers for it, and vendor_status keeps that raw answer as
// "<interface>:<value>":
//
//	check_status:false | check_status:true | check_status:rejected
//	loan_info:0                       (paid out: the installment table)
//	loan_status:<allow/cash/release's loan_status>
//	loan_info:<other status>          (an undocumented loan/info status)
//	moved                             (check/status said "moved to another step" and nothing else told more)

// ApprovedMap maps check/status's <approved> values (documented: 'true',
// 'rejected', and 'false' in the sample answer). Values are compared in
// lower case.
var ApprovedMap = map[string]string{
	"false":    schema.StatusApplication, // submitted, waiting for Iute's decision
	"true":     schema.StatusApproved,
	"rejected": schema.StatusDeclined,
}

// LoanStatusMap maps allow/cash/release's <loan_status>. The doc documents
// only "normal" (its example, with allowed true: cash release authorized,
// not yet paid out). The other values are the ones the sandbox answers; they
// are mapped so that real answers with these words land sensibly. It is
// read only when check/status says the application moved on and loan/info
// has no active loan (cancelled, closed, or waiting for the cash release),
// and for approved applications (cash release allowed or not).
var LoanStatusMap = map[string]string{
	"normal":    schema.StatusApproved,
	"new":       schema.StatusApplication,
	"approved":  schema.StatusApproved,
	"rejected":  schema.StatusDeclined,
	"cancelled": schema.StatusLost,
	"active":    schema.StatusFunded,
	"closed":    schema.StatusFunded,
}

// The status maps as looked up: case, separators and the US spelling
// ("canceled") do not matter.
var (
	approvedStatuses = normalize.NewStatusTable(ApprovedMap)
	loanStatuses     = normalize.NewStatusTable(LoanStatusMap)
)

// Documented loan/info <status> values.
const (
	InfoStatusSuccess  = "0"  // "success": the loan is paid out; the answer has the installment table
	InfoStatusNoActive = "-1" // "No active loan found!": not paid out (yet), or no longer active
)

// InfoStatusMap maps loan/info's <status>. "-1" decides nothing by itself:
// the connector then asks allow/cash/release for the loan_status.
var InfoStatusMap = map[string]string{
	InfoStatusSuccess:  schema.StatusFunded,
	InfoStatusNoActive: "",
}

// UnknownStatus is where a loan lands when no answer says where it is (an
// undocumented value, or "moved to another step" with nothing more): every
// loan leadpipe knows was at least submitted, and an application is never
// counted as approved, funded or declined by mistake.
const UnknownStatus = schema.StatusApplication

// Product is the canonical product of every Iute loan: consumer instalment
// loans handed out at partner offices.
const Product = "consumer_loan"

// The date layout of every date in Iute's answers and of birth_date; and
// the layout of insert/repayment's date.
const (
	DateLayout          = "02.01.2006" // dd.MM.yyyy
	RepaymentDateLayout = "02012006"   // ddMMyyyy
)

// parseAmount reads an amount as Iute writes it: a decimal ("1095.68",
// "5000.0") or, for large values, a Java double in scientific notation
// ("1.0E7"). It never goes through a float.
func parseAmount(s string) (schema.Money, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return schema.Money{}, false
	}
	if m, err := schema.ParseMoney(s); err == nil && m.Valid {
		return m, true
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return schema.Money{}, false
	}
	r.Mul(r, big.NewRat(100, 1))
	// Round half away from zero to cents.
	num, den := new(big.Int).Set(r.Num()), r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if rem.Mul(rem, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return schema.Money{}, false
	}
	c := q.Int64()
	if neg {
		c = -c
	}
	return schema.MoneyFromCents(c), true
}

func parseDate(s string) (schema.Date, bool) {
	t, err := time.Parse(DateLayout, strings.TrimSpace(s))
	if err != nil {
		return normalize.Date(s)
	}
	return schema.DateOf(t), true
}

func parseInt(s string) (schema.Int, bool) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return schema.Int{}, false
	}
	return schema.IntOf(v), true
}

// lower is a value as the maps compare it.
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// normalizer turns the answers about one loan into canonical rows.
type normalizer struct {
	currency string
	unknown  *schema.Unknowns
}

// observation is everything one poll learned about one loan.
type observation struct {
	ref string

	check *checkResult     // check/status (nil when not asked)
	info  *loanResponseXML // loan/info (nil when not asked)
	allow *allowXML        // allow/cash/release (nil when not asked)
	// allowErr is allow/cash/release's 400 message, when it refused.
	allowErr string
}

// verdict is the canonical reading of an observation.
type verdict struct {
	status, vendorStatus string
	final                bool // nothing will change any more: stop polling
	paidOut              bool // past check/status: poll loan/info first
	unknown              bool // no answer explains the state: UnknownStatus stands in
}

// decide reads the observation's state. It counts nothing: count does.
func decide(o *observation) verdict {
	var v verdict
	if o.check != nil && o.check.status != nil {
		raw := o.check.status.Approved
		v.vendorStatus = "check_status:" + strings.TrimSpace(raw)
		s, ok := approvedStatuses.Lookup(raw)
		if !ok {
			v.status, v.unknown = UnknownStatus, true
			return v
		}
		v.status = s
		v.final = s == schema.StatusDeclined
		return v
	}
	v.paidOut = true // check/status was skipped (known paid out) or said "moved"
	if o.info != nil {
		st := strings.TrimSpace(o.info.Status)
		v.vendorStatus = "loan_info:" + st
		if s := InfoStatusMap[st]; s != "" && o.info.Loan != nil {
			v.status = s
			rem, ok := parseAmount(o.info.Loan.RemainingBalance)
			v.final = ok && rem.Cents == 0
			return v
		}
	}
	if o.allow != nil {
		raw := normalize.StatusKey(o.allow.LoanStatus)
		v.vendorStatus = "loan_status:" + strings.TrimSpace(o.allow.LoanStatus)
		s, ok := loanStatuses.Lookup(raw)
		switch {
		case isTrue(o.allow.Allowed):
			s = schema.StatusApproved // cash release allowed: approved, whatever loan_status says
		case !ok:
			s, v.unknown = UnknownStatus, true
		}
		v.status = s
		v.final = s == schema.StatusDeclined || s == schema.StatusLost || raw == "closed"
		if raw == "new" || raw == "approved" {
			v.paidOut = false // back to check/status, which answers for these
		}
		return v
	}
	if v.vendorStatus == "" {
		v.vendorStatus = "moved"
	}
	v.status, v.unknown = UnknownStatus, true
	return v
}

func isTrue(s string) bool { return lower(s) == "true" }

// count counts every undocumented value the observation holds.
func (n *normalizer) count(o *observation) {
	if o.check != nil && o.check.status != nil {
		if _, ok := approvedStatuses.Lookup(o.check.status.Approved); !ok {
			n.unknown.Add(Vendor, "check_status.approved", o.check.status.Approved)
		}
	}
	if o.info != nil {
		if _, ok := InfoStatusMap[strings.TrimSpace(o.info.Status)]; !ok {
			n.unknown.Add(Vendor, "loan_info.status", o.info.Status)
		}
	}
	if a := o.allow; a != nil {
		if _, ok := loanStatuses.Lookup(a.LoanStatus); !ok && strings.TrimSpace(a.LoanStatus) != "" {
			n.unknown.Add(Vendor, "allow_cash_release.loan_status", a.LoanStatus)
		}
		switch lower(a.Allowed) {
		case "true", "false", "":
		default:
			n.unknown.Add(Vendor, "allow_cash_release.allowed", a.Allowed)
		}
	}
}

// loan builds the loan row (and the installments of a paid-out loan).
func (n *normalizer) loan(o *observation, v verdict) (schema.Loan, []schema.Installment) {
	l := schema.Loan{
		LoanUID:      schema.UID(Vendor, o.ref),
		VendorLoanID: o.ref,
		Status:       v.status,
		VendorStatus: v.vendorStatus,
		Product:      Product,
		Currency:     n.currency,
		Common:       schema.Common{Vendor: Vendor},
	}
	attrs := normalize.Attributes{}
	if c := o.check; c != nil {
		if c.status != nil {
			attrs.Set("approved", strings.TrimSpace(c.status.Approved))
		}
		if c.moved != "" {
			attrs.Set("check_status_message", c.moved)
		}
	}
	var inst []schema.Installment
	if o.info != nil {
		if msg := strings.TrimSpace(o.info.Message); msg != "" && lower(msg) != "success" {
			attrs.Set("loan_info_message", msg)
		}
		if w := o.info.Loan; w != nil {
			l.TermCount, _ = parseInt(w.LoanPeriod)
			l.TermUnit, l.PaymentFrequency = "month", "monthly"
			l.TotalRepayable, _ = parseAmount(w.TotalBalance)
			l.Repaid, _ = parseAmount(w.Repaid)
			l.Outstanding, _ = parseAmount(w.RemainingBalance)
			attrs.Set("client_pin", strings.TrimSpace(w.ClientPIN))
			attrs.Set("client_name", strings.TrimSpace(w.ClientName))
			paid := 0
			for _, in := range w.Installments {
				row := schema.Installment{LoanUID: l.LoanUID, Currency: n.currency, Common: schema.Common{Vendor: Vendor}}
				row.Number, _ = parseInt(in.Number)
				row.DueDate, _ = parseDate(in.DueDate)
				row.AmountDue, _ = parseAmount(in.Total)
				row.AmountOutstanding, _ = parseAmount(in.ToBePaid)
				if row.Number.Valid && row.Number.V == 1 {
					l.FirstRepaymentDate = row.DueDate
				}
				if row.AmountOutstanding.Valid && row.AmountOutstanding.Cents == 0 {
					paid++
				}
				inst = append(inst, row)
			}
			if !l.FirstRepaymentDate.Valid && len(inst) > 0 {
				l.FirstRepaymentDate = inst[0].DueDate
			}
			if len(inst) > 0 {
				attrs.Set("installments_paid", paid)
			}
		}
	}
	if a := o.allow; a != nil {
		l.Principal, _ = parseAmount(a.LoanAmount)
		attrs.Set("cash_release_allowed", isTrue(a.Allowed))
		attrs.Set("loan_status", strings.TrimSpace(a.LoanStatus))
		if _, ok := attrs["client_pin"]; !ok {
			attrs.Set("client_pin", strings.TrimSpace(a.ClientPIN))
		}
		attrs.Set("client_first_name", strings.TrimSpace(a.ClientFirstName))
		attrs.Set("client_last_name", strings.TrimSpace(a.ClientLastName))
	}
	if o.allowErr != "" {
		attrs.Set("allow_cash_release_message", o.allowErr)
	}
	if l.Status == schema.StatusFunded && l.Outstanding.Valid && l.Outstanding.Cents == 0 {
		attrs.Set("repaid_in_full", true)
	}
	l.Attributes = attrs.JSON()
	return l, inst
}
