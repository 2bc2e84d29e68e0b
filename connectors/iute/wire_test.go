package iute

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/schema"
)

// The sample answers of iute-credit.txt, as the doc prints them.
const (
	docCalc = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>

<loan_calc>
  <first_repayment_date>26.07.2018</first_repayment_date>
  <monthly_payment>865.24</monthly_payment>
  <total_loan_amount>6921.92</total_loan_amount>
</loan_calc>
`
	docNewLoan     = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?> <loan> <loan_ref>90000</loan_ref> <loan_period>6</loan_period> <first_repayment_date>26.07.2018</first_repayment_date> <client_pin>I12356789T</client_pin> <client_name>John Smith</client_name> </loan>`
	docCheckStatus = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?> <loan> <approved>false</approved> <loan_ref>90000</loan_ref> </loan>`
	docLoanInfo    = `<loan_response>
  <message>success</message>
  <status>0</status>
  <loan>
    <loan_ref>90000</loan_ref>
    <loan_period>6</loan_period>
    <total_balance>6574.08</total_balance>
    <repaid>1095.68</repaid>
    <remaining_balance>5478.4</remaining_balance>
    <client_pin>I123456789T</client_pin>
    <client_name>John Smith</client_name>
    <installment_table>
      <installment>
        <number>1</number>
        <due_date>26.07.2018</due_date>
        <total>1095.68</total>
        <to_be_paid>0.0</to_be_paid>
      </installment>
      <installment>
        <number>2</number>
        <due_date>26.08.2018</due_date>
        <total>1095.68</total>
        <to_be_paid>1095.68</to_be_paid>
      </installment>
      <installment>
        <number>3</number>
        <due_date>26.09.2018</due_date>
        <total>1095.68</total>
        <to_be_paid>1095.68</to_be_paid>
      </installment>
      <installment>
        <number>4</number>
        <due_date>26.10.2018</due_date>
        <total>1095.68</total>
        <to_be_paid>1095.68</to_be_paid>
      </installment>
      <installment>
        <number>5</number>
        <due_date>26.11.2018</due_date>
        <total>1095.68</total>
        <to_be_paid>1095.68</to_be_paid>
      </installment>
      <installment>
        <number>6</number>
    <due_date>26.12.2018</due_date>
    <total>1095.68</total>
    <to_be_paid>1095.68</to_be_paid>
  </installment>
</installment_table>
</loan>
</loan_response>`
	docNoActiveLoan = `<loan_response>
  <message>No active loan found!</message>
  <status>-1</status>
</loan_response>`
	docAllow = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<loan>
  <allowed>true</allowed>
  <loan_status>normal</loan_status>
  <loan_ref>90000</loan_ref>
  <loan_amount>5000.0</loan_amount>
  <client_pin>I123456789T</client_pin>
  <client_first_name>John</client_first_name>
  <client_last_name>Smith</client_last_name>
</loan>`
)

func TestDocSampleAnswersParse(t *testing.T) {
	inst := func(n, due, total, left string) installmentXML {
		return installmentXML{Number: n, DueDate: due, Total: total, ToBePaid: left}
	}
	for _, tc := range []struct {
		name  string
		body  string
		roots []string
		out   any
		want  any
	}{
		{"loan/calc", docCalc, []string{"loan_calc", "loan"}, &calcXML{},
			&calcXML{FirstRepaymentDate: "26.07.2018", MonthlyPayment: "865.24", TotalLoanAmount: "6921.92"}},
		{"new/loan", docNewLoan, []string{"loan"}, &newLoanXML{},
			&newLoanXML{LoanRef: "90000", LoanPeriod: "6", FirstRepaymentDate: "26.07.2018", ClientPIN: "I12356789T", ClientName: "John Smith"}},
		{"check/status", docCheckStatus, []string{"loan"}, &statusXML{}, &statusXML{Approved: "false", LoanRef: "90000"}},
		{"loan/info", docLoanInfo, []string{"loan_response"}, &loanResponseXML{}, &loanResponseXML{
			Message: "success", Status: "0", Loan: &loanInfoXML{
				LoanRef: "90000", LoanPeriod: "6", TotalBalance: "6574.08", Repaid: "1095.68", RemainingBalance: "5478.4",
				ClientPIN: "I123456789T", ClientName: "John Smith",
				Installments: []installmentXML{
					inst("1", "26.07.2018", "1095.68", "0.0"), inst("2", "26.08.2018", "1095.68", "1095.68"),
					inst("3", "26.09.2018", "1095.68", "1095.68"), inst("4", "26.10.2018", "1095.68", "1095.68"),
					inst("5", "26.11.2018", "1095.68", "1095.68"), inst("6", "26.12.2018", "1095.68", "1095.68"),
				}}}},
		{"loan/info no active loan", docNoActiveLoan, []string{"loan_response"}, &loanResponseXML{},
			&loanResponseXML{Message: "No active loan found!", Status: "-1"}},
		{"allow/cash/release", docAllow, []string{"loan"}, &allowXML{}, &allowXML{Allowed: "true", LoanStatus: "normal",
			LoanRef: "90000", LoanAmount: "5000.0", ClientPIN: "I123456789T", ClientFirstName: "John", ClientLastName: "Smith"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := decodeXML([]byte(tc.body), tc.out, tc.roots...); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tc.out, tc.want) {
				t.Errorf("got  %+v\nwant %+v", tc.out, tc.want)
			}
		})
	}
}

func TestDocLoanInfoNormalizes(t *testing.T) {
	var info loanResponseXML
	if err := decodeXML([]byte(docLoanInfo), &info, "loan_response"); err != nil {
		t.Fatal(err)
	}
	var allow allowXML
	if err := decodeXML([]byte(docAllow), &allow, "loan"); err != nil {
		t.Fatal(err)
	}
	u := &schema.Unknowns{}
	n := &normalizer{currency: "MDL", unknown: u}
	o := &observation{ref: "90000", check: &checkResult{moved: "Loan application has moved to another step"}, info: &info}
	v := decide(o)
	if v.status != schema.StatusFunded || v.vendorStatus != "loan_info:0" || v.final || !v.paidOut {
		t.Fatalf("verdict %+v", v)
	}
	o.allow = &allow
	n.count(o)
	l, inst := n.loan(o, v)
	m := func(s string) schema.Money { x, _ := schema.ParseMoney(s); return x }
	if l.LoanUID != "iute:90000" || l.TotalRepayable != m("6574.08") || l.Repaid != m("1095.68") || l.Outstanding != m("5478.40") ||
		l.Principal != m("5000") || l.Currency != "MDL" || l.TermCount != schema.IntOf(6) || l.TermUnit != "month" {
		t.Errorf("loan %+v", l)
	}
	if got := l.FirstRepaymentDate.String(); got != "2018-07-26" {
		t.Errorf("first repayment date %s", got)
	}
	if !strings.Contains(l.Attributes, `"client_pin":"I123456789T"`) || !strings.Contains(l.Attributes, `"installments_paid":1`) {
		t.Errorf("attributes %s", l.Attributes)
	}
	if len(inst) != 6 || inst[0].AmountOutstanding != m("0") || inst[1].AmountDue != m("1095.68") || inst[5].DueDate.String() != "2018-12-26" || inst[5].Number != schema.IntOf(6) {
		t.Errorf("installments %+v", inst)
	}
	if u.Total() != 0 {
		t.Errorf("documented values counted as unknown: %v", u.List())
	}
}

func TestMalformedAnswers(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"json", `{"success": true, "result": {"leads": [{"id": "tr`},
		{"empty", ""},
		{"truncated xml", `<loan><approved>true</appr`},
		{"wrong root", `<html><body>oops</body></html>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out statusXML
			err := decodeXML([]byte(tc.body), &out, "loan")
			if !errors.Is(err, httpclient.ErrMalformedResponse) {
				t.Errorf("err = %v, want ErrMalformedResponse", err)
			}
		})
	}
}

func TestErrorPages(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want []string
	}{
		{"sandbox list", "<!DOCTYPE html>\n<html><head><title>Error 400</title></head><body><h1>HTTP Status 400 Bad Request</h1><ul class=\"errors\">\n<li>gsm: must match format &#34;0\\d{9}&#34;, e.g. 0123456789</li>\n<li>phone_home: is required</li></ul></body></html>",
			[]string{`gsm: must match format "0\d{9}", e.g. 0123456789`, "phone_home: is required"}},
		{"tomcat page", "<html><head><title>Error</title></head><body><h1>HTTP Status 400</h1><p><b>message</b> Loan application has moved to another step</p></body></html>",
			[]string{"message Loan application has moved to another step"}},
		{"plain text", "No active loan found!", []string{"No active loan found!"}},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errorMessages([]byte(tc.body)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRejectedNamesTheField(t *testing.T) {
	known := map[string]bool{"gsm": true, "phone_home": true, "amount": true}
	for _, tc := range []struct {
		msgs         []string
		field, reson string
	}{
		{[]string{"gsm: must match format"}, "gsm", "must match format"},
		{[]string{"gsm: bad", "gsm: worse"}, "gsm", "bad; worse"},
		{[]string{"gsm: bad", "phone_home: is required"}, "", "gsm: bad; phone_home: is required"},
		{[]string{"No active loan found!"}, "loanRef", "No active loan found!"},
	} {
		r := rejected(&vendorError{Status: 400, Messages: tc.msgs}, known, "loanRef")
		if r.Field != tc.field || r.Reason != tc.reson || r.HTTPStatus != 400 {
			t.Errorf("%q: got %+v", tc.msgs, r)
		}
	}
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]int64{
		"5000.0": 500000, "5478.4": 547840, "1095.68": 109568, "0.0": 0, "1.0E7": 1000000000,
		"1.23456789E5": 12345679, "-12.5": -1250, "6921.92": 692192,
	} {
		got, ok := parseAmount(in)
		if !ok || got.Cents != want {
			t.Errorf("parseAmount(%q) = %v %v, want %d cents", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "abc", "1,2,3x"} {
		if _, ok := parseAmount(bad); ok {
			t.Errorf("parseAmount(%q) accepted", bad)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	m := map[string]entry{"90000": {phaseApplication, "0a1b2c3d", 0}, "100001": {phasePaidOut, "ffffffff", 3},
		"90011": {phaseFinal, "12345678", 0}, "5": {phaseNotFound, "00000000", 0}, "90012": {phaseStopped, "87654321", 24}}
	s := encodeCursor(m)
	if !strings.HasPrefix(s, "v1 5=x") {
		t.Errorf("cursor %q is not in ref order", s)
	}
	got, ok := decodeCursor(s)
	if !ok || !reflect.DeepEqual(got, m) {
		t.Errorf("round trip: %v %v", got, ok)
	}
	if !strings.Contains(s, " 100001=pffffffff~3") || !strings.Contains(s, " 90000=u0a1b2c3d ") {
		t.Errorf("cursor %q", s)
	}
	for _, bad := range []string{"", "2025-01-01T00:00:00Z", "v1 abc=u", "v1 9000=z", "v1 9000=u0a1b2c3d~x"} {
		if _, ok := decodeCursor(bad); ok {
			t.Errorf("decodeCursor(%q) accepted", bad)
		}
	}
	if m, ok := decodeCursor("v1"); !ok || len(m) != 0 {
		t.Errorf("empty cursor: %v %v", m, ok)
	}
}

func TestDecide(t *testing.T) {
	moved := &checkResult{moved: "Loan application has moved to another step"}
	check := func(v string) *checkResult { return &checkResult{status: &statusXML{Approved: v}} }
	noLoan := &loanResponseXML{Message: "No active loan found!", Status: "-1"}
	active := &loanResponseXML{Status: "0", Loan: &loanInfoXML{RemainingBalance: "10.0"}}
	repaid := &loanResponseXML{Status: "0", Loan: &loanInfoXML{RemainingBalance: "0.0"}}
	allow := func(allowed, status string) *allowXML { return &allowXML{Allowed: allowed, LoanStatus: status} }
	for _, tc := range []struct {
		name string
		o    observation
		want verdict
	}{
		{"undecided", observation{check: check("false")}, verdict{schema.StatusApplication, "check_status:false", false, false, false}},
		{"approved in capitals", observation{check: check("TRUE")}, verdict{schema.StatusApproved, "check_status:TRUE", false, false, false}},
		{"rejected", observation{check: check("rejected")}, verdict{schema.StatusDeclined, "check_status:rejected", true, false, false}},
		{"unknown approved", observation{check: check("under_review")}, verdict{UnknownStatus, "check_status:under_review", false, false, true}},
		{"paid out", observation{check: moved, info: active}, verdict{schema.StatusFunded, "loan_info:0", false, true, false}},
		{"repaid in full", observation{info: repaid}, verdict{schema.StatusFunded, "loan_info:0", true, true, false}},
		{"waiting for the payout", observation{check: moved, info: noLoan, allow: allow("TRUE", "normal")}, verdict{schema.StatusApproved, "loan_status:normal", false, true, false}},
		{"cancelled", observation{check: moved, info: noLoan, allow: allow("false", "cancelled")}, verdict{schema.StatusLost, "loan_status:cancelled", true, true, false}},
		{"canceled, the US spelling", observation{check: moved, info: noLoan, allow: allow("false", "Canceled")}, verdict{schema.StatusLost, "loan_status:Canceled", true, true, false}},
		{"closed without info", observation{info: noLoan, allow: allow("false", "closed")}, verdict{schema.StatusFunded, "loan_status:closed", true, true, false}},
		{"back to approved", observation{info: noLoan, allow: allow("false", "approved")}, verdict{schema.StatusApproved, "loan_status:approved", false, false, false}},
		{"unknown loan_status, allowed", observation{info: noLoan, allow: allow("true", "restructured")}, verdict{schema.StatusApproved, "loan_status:restructured", false, true, false}},
		{"unknown loan_status", observation{info: noLoan, allow: allow("false", "restructured")}, verdict{UnknownStatus, "loan_status:restructured", false, true, true}},
		{"unknown info status", observation{info: &loanResponseXML{Status: "1", Message: "Loan is archived"}}, verdict{UnknownStatus, "loan_info:1", false, true, true}},
		{"nothing tells", observation{check: moved, info: noLoan, allowErr: "Loan not found"}, verdict{UnknownStatus, "loan_info:-1", false, true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(&tc.o); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	u := &schema.Unknowns{}
	n := &normalizer{unknown: u}
	n.count(&observation{check: check("under_review"), info: &loanResponseXML{Status: "1"}, allow: allow("maybe", "restructured")})
	if u.Total() != 4 {
		t.Errorf("counted %v", u.List())
	}
}
