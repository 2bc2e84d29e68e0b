package iutetest

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

func TestRegistrationAndEnv(t *testing.T) {
	f, ok := sandbox.Lookup("iute")
	if !ok {
		t.Fatal("iute not registered")
	}
	sb := f(sandbox.Options{Seed: 1})
	if sb.Vendor() != "iute" {
		t.Fatalf("Vendor = %q", sb.Vendor())
	}
	env := sb.Env("http://127.0.0.1:9000/iute/")
	want := map[string]string{
		"IUTE_BASE_URL":     "http://127.0.0.1:9000/iute/rest/api/partner",
		"IUTE_USERNAME":     Username,
		"IUTE_PASSWORD":     Password,
		"IUTE_PARTNER_TYPE": PartnerType,
	}
	if !reflect.DeepEqual(env, want) {
		t.Fatalf("Env = %v, want %v", env, want)
	}
}

func TestAuthAndPartnerType(t *testing.T) {
	_, c := newTest(t, sandbox.Options{Seed: 1})
	ref := itoa(FirstLoanRef)
	tests := []struct {
		name       string
		user, pass string
		noAuth     bool
		q          url.Values
		status     int
		msg        string
	}{
		{"no credentials", "", "", true, refQ(ref), 403, "Access is denied: invalid or missing Basic authentication credentials"},
		{"wrong password", Username, "nope", false, refQ(ref), 403, "Access is denied: invalid or missing Basic authentication credentials"},
		{"wrong user", "someone", Password, false, refQ(ref), 403, "Access is denied: invalid or missing Basic authentication credentials"},
		{"missing partner_type", Username, Password, false, url.Values{"loanRef": {ref}}, 400, "partner_type: is required"},
		{"wrong partner_type", Username, Password, false, url.Values{"loanRef": {ref}, "partner_type": {"bank"}}, 403, "Access is denied for partner_type 'bank'"},
		{"ok", Username, Password, false, refQ(ref), 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cc := *c
			cc.t, cc.user, cc.pass, cc.noAuth = t, tc.user, tc.pass, tc.noAuth
			r := cc.get("/allow/cash/release", tc.q)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status == 200 {
				return
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q, want text/html", ct)
			}
			if errs := r.errors(); len(errs) != 1 || errs[0] != tc.msg {
				t.Errorf("errors %q, want %q", errs, tc.msg)
			}
		})
	}
}

func TestRoutingMethodsContentTypes(t *testing.T) {
	_, c := newTest(t, sandbox.Options{Seed: 1})
	t.Run("unknown endpoint", func(t *testing.T) {
		if r := c.get("/loan/list", withPT(nil)); r.status != 404 {
			t.Fatalf("status %d", r.status)
		}
	})
	t.Run("outside the API", func(t *testing.T) {
		cc := *c
		cc.base = strings.TrimSuffix(c.base, BasePath)
		if r := cc.get("/health", nil); r.status != 404 {
			t.Fatalf("status %d", r.status)
		}
	})
	t.Run("GET on a POST interface", func(t *testing.T) {
		r := c.get("/loan/calc", withPT(url.Values{"loan_amount": {"100"}, "loan_duration": {"3"}}))
		if r.status != 405 || r.header.Get("Allow") != "POST" {
			t.Fatalf("status %d Allow %q", r.status, r.header.Get("Allow"))
		}
	})
	t.Run("POST on a GET interface", func(t *testing.T) {
		if r := c.postForm("/loan/info", refQ("90000")); r.status != 405 {
			t.Fatalf("status %d", r.status)
		}
	})
	t.Run("new loan needs multipart", func(t *testing.T) {
		r := c.postForm("/new/loan", validApplication())
		if r.status != 415 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
	t.Run("check status accepts both encodings", func(t *testing.T) {
		v := withPT(url.Values{"loan_ref": {"90000"}})
		for _, r := range []resp{c.postForm("/loan/check/status", v), c.postMultipart("/loan/check/status", v, nil)} {
			if r.status != 200 && r.status != 400 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if r.status == 400 && !slices.Contains(r.errors(), msgMovedStep) {
				t.Fatalf("unexpected 400: %s", r.body)
			}
		}
	})
	t.Run("context path /iute", func(t *testing.T) {
		cc := *c
		cc.base = strings.TrimSuffix(c.base, BasePath) + ContextPath + BasePath
		if r := cc.get("/loan/info", refQ("90000")); r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
	})
}

func TestMountedUnderPrefix(t *testing.T) {
	s := New(sandbox.Options{Seed: 3, Size: 10})
	mux := http.NewServeMux()
	mux.Handle("/iute/", http.StripPrefix("/iute", s))
	ts := httptest.NewServer(mux)
	defer ts.Close()
	c := &client{t: t, base: s.Env(ts.URL + "/iute")["IUTE_BASE_URL"], user: Username, pass: Password}
	ref := c.newLoan(t, validApplication())
	if _, ok := s.Loan(ref); !ok {
		t.Fatalf("loan %d not stored", ref)
	}
	if r := c.status(t, ref); r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
}

func TestFaultsInFrontOfAuth(t *testing.T) {
	s, c := newTest(t, sandbox.Options{Seed: 1})
	cc := *c
	cc.noAuth = true
	s.Faults().Storm429(1, 2*time.Second)
	r := cc.get("/loan/info", refQ("90000"))
	if r.status != 429 || r.header.Get("Retry-After") != "2" {
		t.Fatalf("storm: status %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	if r := cc.get("/loan/info", refQ("90000")); r.status != 403 {
		t.Fatalf("after storm: status %d", r.status)
	}
	s.Faults().FailNext(1, 503, "down")
	if r := c.get("/loan/info", refQ("90000")); r.status != 503 {
		t.Fatalf("FailNext: status %d", r.status)
	}

	// The vendor does the work, the client never hears back.
	s.Faults().DropAfterHandleNext(1)
	req, _ := http.NewRequest(http.MethodGet, c.base+"/cancel/loan", nil)
	req.SetBasicAuth(Username, Password)
	var newRef int
	for _, l := range s.Loans() {
		if l.Status == StatusNew {
			newRef = l.Ref
			break
		}
	}
	req.URL.RawQuery = refQ(itoa(newRef)).Encode()
	// A fresh connection: Go's transport silently retries an idempotent
	// request whose reused keep-alive connection closes.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if res, err := fresh.Do(req); err == nil {
		res.Body.Close()
		t.Fatal("expected a dropped connection")
	}
	if l, _ := s.Loan(newRef); l.Status != StatusCancelled {
		t.Fatalf("status after dropped cancel = %s", l.Status)
	}
	if n := s.Count(KindCancelLoan); n != 1 {
		t.Fatalf("Count(cancel) = %d", n)
	}
}

func TestDeterministicDatasetCoversEveryState(t *testing.T) {
	a, b := New(sandbox.Options{Seed: 42}), New(sandbox.Options{Seed: 42})
	if !reflect.DeepEqual(a.Loans(), b.Loans()) {
		t.Fatal("same seed gave different data")
	}
	if reflect.DeepEqual(a.Loans(), New(sandbox.Options{Seed: 43}).Loans()) {
		t.Fatal("different seeds gave the same data")
	}
	if n := len(a.LoanRefs()); n != DefaultSize {
		t.Fatalf("default size %d", n)
	}
	if n := len(New(sandbox.Options{Seed: 1, Size: 7}).LoanRefs()); n != 7 {
		t.Fatalf("size 7 gave %d", n)
	}
	if refs := New(sandbox.Options{Seed: 1, Size: 1}).LoanRefs(); len(refs) != 1 || refs[0] != FirstLoanRef {
		t.Fatalf("size 1 gave %v", refs)
	}
	empty := New(sandbox.Options{Seed: 1, Size: -1})
	if n := len(empty.LoanRefs()); n != 0 {
		t.Fatalf("a negative size gave %d loans, want an empty account", n)
	}
	if len(empty.Loans()) != 0 {
		t.Fatal("an empty account holds loans")
	}
	for _, size := range []int{7, 20, DefaultSize, 300} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			s := New(sandbox.Options{Seed: int64(size), Size: size})
			seen := map[string]int{}
			loanStatus := map[string]bool{}
			var partial, noRepay, apartmentEmpty bool
			refs := s.LoanRefs()
			if refs[0] != FirstLoanRef || !slices.IsSorted(refs) {
				t.Fatalf("refs %v", refs[:3])
			}
			for _, l := range s.Loans() {
				seen[l.Status]++
				loanStatus[l.LoanStatus()] = true
				checkLoanInvariants(t, l)
				if l.Status == StatusPaidOut && len(l.Repayments) == 0 {
					noRepay = true
				}
				for _, in := range l.Installments {
					if l.Status == StatusPaidOut && in.ToBePaid > 0 && in.ToBePaid < in.Total {
						partial = true
					}
				}
				if l.Application.ApartmentNr == "" {
					apartmentEmpty = true
				}
				if !l.CreatedAt.Before(Anchor) {
					t.Errorf("loan %d created %v, after Anchor", l.Ref, l.CreatedAt)
				}
			}
			for _, st := range Statuses() {
				if seen[st] == 0 {
					t.Errorf("no loan in %s", st)
				}
				if !loanStatus[LoanStatuses[st]] {
					t.Errorf("no loan_status %s", LoanStatuses[st])
				}
			}
			if size >= 20 && (!partial || !noRepay || !apartmentEmpty) {
				t.Errorf("variety: partial=%v noRepay=%v emptyApartment=%v", partial, noRepay, apartmentEmpty)
			}
		})
	}
}

func checkLoanInvariants(t *testing.T, l Loan) {
	t.Helper()
	if len(l.Installments) != l.Duration {
		t.Errorf("loan %d: %d installments for %d months", l.Ref, len(l.Installments), l.Duration)
	}
	var total, left Cents
	for i, in := range l.Installments {
		total += in.Total
		left += in.ToBePaid
		if in.Number != i+1 {
			t.Errorf("loan %d: installment %d numbered %d", l.Ref, i+1, in.Number)
		}
		// Sequential coverage: nothing unpaid before a touched installment.
		if i > 0 && in.ToBePaid < in.Total && l.Installments[i-1].ToBePaid != 0 {
			t.Errorf("loan %d: installment %d covered before %d", l.Ref, i+1, i)
		}
	}
	if total != l.TotalBalance || left != l.RemainingBalance() {
		t.Errorf("loan %d: totals %v/%v, remaining %v/%v", l.Ref, total, l.TotalBalance, left, l.RemainingBalance())
	}
	var repaid Cents
	for _, r := range l.Repayments {
		repaid += r.Amount
	}
	if repaid != l.Repaid {
		t.Errorf("loan %d: repayments sum %v, repaid %v", l.Ref, repaid, l.Repaid)
	}
	if (l.Status == StatusClosed) != (l.Repaid == l.TotalBalance) {
		t.Errorf("loan %d: status %s with repaid %v of %v", l.Ref, l.Status, l.Repaid, l.TotalBalance)
	}
}

func TestCentsFormat(t *testing.T) {
	for c, want := range map[Cents]string{0: "0.0", 500000: "5000.0", 547840: "5478.4", 109568: "1095.68", 5: "0.05", 100055: "1000.55", -150: "-1.5"} {
		if got := c.String(); got != want {
			t.Errorf("%d: %q, want %q", int64(c), got, want)
		}
	}
}

func TestLoanCalc(t *testing.T) {
	_, c := newTest(t, sandbox.Options{Seed: 1})
	tests := []struct {
		name   string
		amount string
		months string
		errs   []string
	}{
		{"ok decimals", "1000.55", "6", nil},
		{"ok integer", "5000", "12", nil},
		{"missing both", "", "", []string{"loan_amount: is required", "loan_duration: is required"}},
		{"comma decimal", "1000,55", "6", []string{"loan_amount: must be a number with at most 2 decimal places, e.g. 1000.55"}},
		{"three decimals", "10.555", "6", []string{"loan_amount: must be a number with at most 2 decimal places, e.g. 1000.55"}},
		{"zero", "0", "6", []string{"loan_amount: must be greater than 0"}},
		{"duration not int", "100", "6.5", []string{"loan_duration: must be an integer number of months"}},
		{"duration too long", "100", "61", []string{"loan_duration: must be between 1 and 60 months"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := withPT(url.Values{})
			if tc.amount != "" {
				v.Set("loan_amount", tc.amount)
			}
			if tc.months != "" {
				v.Set("loan_duration", tc.months)
			}
			r := c.postForm("/loan/calc", v)
			if tc.errs != nil {
				if r.status != 400 || !reflect.DeepEqual(r.errors(), tc.errs) {
					t.Fatalf("status %d errors %q, want %q", r.status, r.errors(), tc.errs)
				}
				return
			}
			if !bytes.HasPrefix(r.body, []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`)) || !bytes.Contains(r.body, []byte("<loan_calc>")) {
				t.Fatalf("body %s", r.body)
			}
			got := decode[struct {
				First   string `xml:"first_repayment_date"`
				Monthly string `xml:"monthly_payment"`
				Total   string `xml:"total_loan_amount"`
			}](t, r)
			amt, _ := parseAmount(tc.amount)
			n, _ := strconv.Atoi(tc.months)
			m, tot := Annuity(amt, n)
			if got.First != "15.12.2026" || got.Monthly != m.String() || got.Total != tot.String() {
				t.Fatalf("got %+v, want 15.12.2026 %v %v", got, m, tot)
			}
		})
	}
}

func TestNewLoanValidation(t *testing.T) {
	s, c := newTest(t, sandbox.Options{Seed: 1, Size: 10})
	jpg := upload{"id_doc.jpg", []byte("\xff\xd8\xff\xe0jpeg")}
	tests := []struct {
		name  string
		edit  func(v url.Values)
		files map[string]upload
		errs  []string // nil = accepted
	}{
		{"valid, no files", func(url.Values) {}, nil, nil},
		{"valid with files", func(url.Values) {}, map[string]upload{"id_copy": jpg, "data_verification": {"data_ver.PDF", []byte("%PDF-1.4")}}, nil},
		{"gsm 9 digits", func(v url.Values) { v.Set("gsm", "060216091") }, nil, []string{`gsm: must match format "0\d{9}", e.g. 0123456789`}},
		{"gsm not starting with 0", func(v url.Values) { v.Set("gsm", "6602160911") }, nil, []string{`gsm: must match format "0\d{9}", e.g. 0123456789`}},
		{"gsm with +373", func(v url.Values) { v.Set("gsm", "+37360216091") }, nil, []string{`gsm: must match format "0\d{9}", e.g. 0123456789`}},
		{"phone_home 10 digits (doc sample)", func(v url.Values) { v.Set("phone_home", "0602160911") }, nil, []string{`phone_home: must match format "0\d{8}", e.g. 012345678`}},
		{"alt phone", func(v url.Values) { v.Set("alt_contact_phone", "098765432") }, nil, []string{`alt_contact_phone: must match format "0\d{9}", e.g. 0987654321`}},
		{"birth date doc example 01/01/90", func(v url.Values) { v.Set("birth_date", "01/01/90") }, nil, []string{"birth_date: must be a date in format dd.MM.yyyy, e.g. 31.08.1997"}},
		{"birth date 31.02", func(v url.Values) { v.Set("birth_date", "31.02.1990") }, nil, []string{"birth_date: is not a valid date"}},
		{"birth date future", func(v url.Values) { v.Set("birth_date", "01.01.2030") }, nil, []string{"birth_date: must be in the past"}},
		{"amount and duration missing", func(v url.Values) { v.Del("loan_amount"); v.Del("loan_duration") }, nil, []string{"loan_amount: is required", "loan_duration: is required"}},
		{"apartment_nr absent", func(v url.Values) { v.Del("apartment_nr") }, nil, []string{"apartment_nr: is required (send it empty when there is no apartment)"}},
		{"blank names", func(v url.Values) { v.Set("first_name", " "); v.Del("patronymic") }, nil, []string{"first_name: is required", "patronymic: is required"}},
		{"too long", func(v url.Values) { v.Set("street", strings.Repeat("x", 256)) }, nil, []string{"street: must be at most 255 characters"}},
		{"file format", func(url.Values) {}, map[string]upload{"id_copy": {"id.png", []byte("png")}}, []string{"id_copy: file format must be jpg or pdf"}},
		{"empty file", func(url.Values) {}, map[string]upload{"data_verification": {"d.jpg", nil}}, []string{"data_verification: file is empty"}},
		{"everything missing", func(v url.Values) {
			for k := range v {
				if k != "partner_type" {
					v.Del(k)
				}
			}
		}, nil, []string{"pin: is required", "first_name: is required", "last_name: is required", "patronymic: is required",
			"birth_date: is required", "document_serial: is required", "gsm: is required", "phone_home: is required",
			"alt_contact_name: is required", "alt_contact_relation: is required", "alt_contact_phone: is required",
			"town: is required", "street: is required", "house_nr: is required",
			"apartment_nr: is required (send it empty when there is no apartment)", "loan_amount: is required",
			"loan_duration: is required", "submit_person: is required", "submit_post_office: is required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := validApplication()
			tc.edit(v)
			before := len(s.Loans())
			r := c.postMultipart("/new/loan", v, tc.files)
			if tc.errs == nil {
				got := decode[xLoan](t, r)
				l, ok := s.Loan(got.LoanRef)
				if !ok || l.Status != StatusNew || got.ClientName != "Nelea Iacovet" || got.ClientPIN != "I80606014N" ||
					got.LoanPeriod != 6 || got.FirstRepaymentDate != "15.12.2026" || len(l.Application.Files) != len(tc.files) {
					t.Fatalf("response %+v, loan %+v", got, l)
				}
				return
			}
			if r.status != 400 || !reflect.DeepEqual(r.errors(), tc.errs) {
				t.Fatalf("status %d errors %q, want %q", r.status, r.errors(), tc.errs)
			}
			if len(s.Loans()) != before {
				t.Fatal("a rejected request created a loan")
			}
		})
	}
	rec := s.Received()
	if len(rec) != len(tests) || s.Count(KindNewLoan) != 2 {
		t.Fatalf("recorded %d, accepted %d", len(rec), s.Count(KindNewLoan))
	}
	if rec[0].Params["pin"] != "I80606014N" || rec[0].LoanRef == 0 || rec[0].Time != testNow || rec[2].Accepted {
		t.Fatalf("recording %+v", rec[0])
	}
	if refs := s.SubmittedRefs(); len(refs) != 2 || refs[0] != s.LoanRefs()[9]+1 {
		t.Fatalf("submitted refs %v after %v", refs, s.LoanRefs())
	}
}

func TestAutoreject(t *testing.T) {
	_, c := newTest(t, sandbox.Options{Seed: 1, Size: 7})
	for _, tc := range []struct{ birth, want string }{
		{"20.11.2008", "rejected"}, // 17
		{"15.11.2008", "true"},     // 18 today
		{"01.01.1940", "rejected"}, // 86
	} {
		v := validApplication()
		v.Set("birth_date", tc.birth)
		ref := c.newLoan(t, v)
		if got := decode[xLoan](t, c.status(t, ref)).Approved; got != tc.want {
			t.Errorf("birth %s: approved %q, want %q", tc.birth, got, tc.want)
		}
	}
}

func TestLifecycleManual(t *testing.T) {
	s, c := newTest(t, sandbox.Options{Seed: 7, Size: 10})
	s.SetPolicy(Policy{})
	ref := c.newLoan(t, validApplication())
	r := itoa(ref)

	expectApproved := func(want string) {
		t.Helper()
		if got := decode[xLoan](t, c.status(t, ref)); got.Approved != want || got.LoanRef != ref {
			t.Fatalf("check/status %+v, want %s", got, want)
		}
	}
	expectAllowed := func(allowed, status string) {
		t.Helper()
		got := decode[xLoan](t, c.get("/allow/cash/release", refQ(r)))
		if got.Allowed != allowed || got.LoanStatus != status || got.LoanAmount != "2000.0" ||
			got.ClientFirstName != "Nelea" || got.ClientLastName != "Iacovet" || got.ClientPIN != "I80606014N" {
			t.Fatalf("allow %+v, want %s %s", got, allowed, status)
		}
	}
	expect400 := func(rsp resp, msg string) {
		t.Helper()
		if rsp.status != 400 || !slices.Contains(rsp.errors(), msg) {
			t.Fatalf("status %d errors %q, want 400 %q", rsp.status, rsp.errors(), msg)
		}
	}
	noActive := func() {
		t.Helper()
		got := decode[xInfo](t, c.get("/loan/info", refQ(r)))
		if got.Status != -1 || got.Message != "No active loan found!" || got.Loan != nil {
			t.Fatalf("info %+v", got)
		}
	}

	expectApproved("false")
	expectApproved("false")
	expectAllowed("false", "new")
	expect400(c.get("/generate/agreement", withPT(url.Values{"loanRef": {r}, "lang": {"alb"}})), msgNotApproved)
	expect400(c.get("/confirm/cash/release", refQ(r)), msgCashNotAllowed)
	noActive()

	if err := s.Approve(ref); err != nil {
		t.Fatal(err)
	}
	if err := s.Approve(ref); err == nil {
		t.Fatal("second Approve succeeded")
	}
	expectApproved("true")
	expectAllowed("false", "approved")
	pdf := c.get("/generate/agreement", withPT(url.Values{"loanRef": {r}, "lang": {"alb"}}))
	checkPDF(t, pdf, "specific_agreement_"+r+"_alb.pdf")
	up := c.postMultipart("/loan/files/upload", withPT(url.Values{"loan_ref": {r}}), map[string]upload{
		"loan_agreement": {"agreement.pdf", []byte("%PDF-1.4 signed")}, "bank_statement": {"statement.jpg", []byte("\xff\xd8")},
	})
	if up.status != 200 || len(up.body) != 0 {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}

	if err := s.AllowCashRelease(ref); err != nil {
		t.Fatal(err)
	}
	expectAllowed("true", "normal")
	expectApproved("true")
	expect400(c.get("/cancel/loan", refQ(r)), msgCancelNotAllow)
	expect400(c.get("/insert/repayment", withPT(url.Values{"loanRef": {r}, "date": {"22052026"}, "amount": {"10"}})), msgNoActiveLoan)
	noActive()

	if rsp := c.get("/confirm/cash/release", refQ(r)); rsp.status != 200 || len(rsp.body) != 0 {
		t.Fatalf("confirm: %d %s", rsp.status, rsp.body)
	}
	expect400(c.get("/confirm/cash/release", refQ(r)), msgCashNotAllowed)
	expectAllowed("false", "active")
	expect400(c.status(t, ref), msgMovedStep)

	l, _ := s.Loan(ref)
	m := l.MonthlyPayment
	info := decode[xInfo](t, c.get("/loan/info", refQ(r)))
	if info.Status != 0 || info.Message != "success" || info.Loan.LoanPeriod != 6 || len(info.Loan.Installments) != 6 ||
		info.Loan.TotalBalance != (m*6).String() || info.Loan.Repaid != "0.0" || info.Loan.ClientName != "Nelea Iacovet" ||
		info.Loan.Installments[0].DueDate != "15.12.2026" || info.Loan.Installments[5].DueDate != "15.05.2027" {
		t.Fatalf("info %+v", info.Loan)
	}

	// One and a half installments, in two repayments; the date has no effect.
	repay := func(date string, amt Cents) resp {
		return c.get("/insert/repayment", withPT(url.Values{"loanRef": {r}, "date": {date}, "amount": {amt.String()}}))
	}
	for _, rp := range []struct {
		date string
		amt  Cents
	}{{"01012027", m + m/2}, {"01011999", m / 4}} {
		if rsp := repay(rp.date, rp.amt); rsp.status != 200 || len(rsp.body) != 0 {
			t.Fatalf("repayment: %d %s", rsp.status, rsp.body)
		}
	}
	info = decode[xInfo](t, c.get("/loan/info", refQ(r)))
	paid := m + m/2 + m/4
	wantLeft := []Cents{0, m - (m/2 + m/4), m, m, m, m}
	if info.Loan.Repaid != paid.String() || info.Loan.RemainingBalance != (6*m-paid).String() {
		t.Fatalf("repaid %s remaining %s", info.Loan.Repaid, info.Loan.RemainingBalance)
	}
	for i, in := range info.Loan.Installments {
		if in.ToBePaid != wantLeft[i].String() || in.Total != m.String() || in.Number != i+1 {
			t.Errorf("installment %d: %+v, want to_be_paid %v", i+1, in, wantLeft[i])
		}
	}
	for _, bad := range []struct {
		q   url.Values
		msg string
	}{
		{url.Values{"loanRef": {r}, "date": {"22.05.2026"}, "amount": {"1"}}, "date: must be a date in format ddMMyyyy, e.g. 22052018"},
		{url.Values{"loanRef": {r}, "date": {"32012026"}, "amount": {"1"}}, "date: is not a valid date"},
		{url.Values{"loanRef": {r}, "date": {"22052026"}}, "amount: is required"},
		{url.Values{"loanRef": {r}, "date": {"22052026"}, "amount": {"-5"}}, "amount: must be a number with at most 2 decimal places, e.g. 1000.55"},
		{url.Values{"loanRef": {r}, "date": {"22052026"}, "amount": {(6*m - paid + 1).String()}}, "amount: must not exceed the remaining balance " + (6*m - paid).String()},
		{url.Values{"loanRef": {"abc"}, "date": {"22052026"}, "amount": {"1"}}, "loanRef: must be an integer"},
		{url.Values{"loanRef": {"1"}, "date": {"22052026"}, "amount": {"1"}}, "Loan not found: 1"},
	} {
		expect400(c.get("/insert/repayment", withPT(bad.q)), bad.msg)
	}
	if rsp := repay("15052027", 6*m-paid); rsp.status != 200 {
		t.Fatalf("final repayment: %d %s", rsp.status, rsp.body)
	}
	info = decode[xInfo](t, c.get("/loan/info", refQ(r)))
	if info.Status != 0 || info.Loan.RemainingBalance != "0.0" || info.Loan.Installments[5].ToBePaid != "0.0" {
		t.Fatalf("closed info %+v", info.Loan)
	}
	expectAllowed("false", "closed")
	expect400(repay("16052027", 1), msgNoActiveLoan)
	l, _ = s.Loan(ref)
	checkLoanInvariants(t, l)
	if l.Status != StatusClosed || len(l.Repayments) != 3 || len(l.Uploads) != 2 || s.Count(KindInsertRepayment) != 3 ||
		s.Count(KindConfirmCashRelease) != 1 || s.Count(KindUploadFiles) != 1 {
		t.Fatalf("loan %s repayments %d uploads %d counts %d/%d", l.Status, len(l.Repayments), len(l.Uploads),
			s.Count(KindInsertRepayment), s.Count(KindConfirmCashRelease))
	}
}

func checkPDF(t *testing.T, r resp, filename string) {
	t.Helper()
	if r.status != 200 || r.header.Get("Content-Type") != "application/pdf;charset=UTF-8" ||
		r.header.Get("Content-Disposition") != "attachment;filename="+filename {
		t.Fatalf("pdf: %d %v", r.status, r.header)
	}
	b := r.body
	if !bytes.HasPrefix(b, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(b, []byte("%%EOF\n")) {
		t.Fatal("not a PDF")
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(b[xref:], []byte("xref\n")) {
		t.Fatal("startxref does not point at xref")
	}
	for i, off := range regexp.MustCompile(`(\d{10}) 00000 n `).FindAllSubmatch(b[xref:], -1) {
		o, _ := strconv.Atoi(string(off[1]))
		if !bytes.HasPrefix(b[o:], []byte(strconv.Itoa(i+1)+" 0 obj")) {
			t.Fatalf("xref entry %d points at %q", i+1, b[o:o+10])
		}
	}
	lm := regexp.MustCompile(`/Length (\d+) >>\nstream\n`).FindSubmatchIndex(b)
	n, _ := strconv.Atoi(string(b[lm[2]:lm[3]]))
	if !bytes.HasPrefix(b[lm[1]+n:], []byte("endstream")) {
		t.Fatal("stream /Length is wrong")
	}
}

func TestPolicies(t *testing.T) {
	t.Run("approve on 3rd check, cash release on 2nd call", func(t *testing.T) {
		s, c := newTest(t, sandbox.Options{Seed: 1, Size: 7})
		s.SetPolicy(Policy{ApproveOnCheck: 3, AllowCashReleaseOnCheck: 2})
		ref := c.newLoan(t, validApplication())
		for i, want := range []string{"false", "false", "true", "true"} {
			if got := decode[xLoan](t, c.status(t, ref)).Approved; got != want {
				t.Fatalf("check %d: %q, want %q", i+1, got, want)
			}
		}
		for i, want := range []string{"false", "true"} {
			if got := decode[xLoan](t, c.get("/allow/cash/release", refQ(itoa(ref)))).Allowed; got != want {
				t.Fatalf("allow %d: %q, want %q", i+1, got, want)
			}
		}
	})
	t.Run("default policy", func(t *testing.T) {
		s, c := newTest(t, sandbox.Options{Seed: 1, Size: 7})
		ref := c.newLoan(t, validApplication())
		if got := decode[xLoan](t, c.status(t, ref)).Approved; got != "true" {
			t.Fatalf("approved %q", got)
		}
		// Cash release is authorized with the approval: confirm works at once.
		if r := c.get("/confirm/cash/release", refQ(itoa(ref))); r.status != 200 {
			t.Fatalf("confirm: %d %s", r.status, r.body)
		}
		if r := c.status(t, ref); r.status != 400 || !slices.Contains(r.errors(), msgMovedStep) {
			t.Fatalf("check after payout: %d %s", r.status, r.body)
		}
		// Generated loans are not touched by the policy.
		for _, l := range s.Loans() {
			if l.Status == StatusNew && !l.Submitted {
				if got := decode[xLoan](t, c.status(t, l.Ref)).Approved; got != "false" {
					t.Fatalf("generated NEW loan answered %q", got)
				}
			}
		}
	})
	t.Run("on submit with RejectIf", func(t *testing.T) {
		s, c := newTest(t, sandbox.Options{Seed: 1, Size: 7})
		s.SetPolicy(Policy{ApproveOnSubmit: true, RejectIf: func(l Loan) bool { return l.Principal > 300000 }})
		small, big := validApplication(), validApplication()
		big.Set("loan_amount", "3000.01")
		if got := decode[xLoan](t, c.status(t, c.newLoan(t, small))).Approved; got != "true" {
			t.Fatalf("small: %q", got)
		}
		if got := decode[xLoan](t, c.status(t, c.newLoan(t, big))).Approved; got != "rejected" {
			t.Fatalf("big: %q", got)
		}
	})
	t.Run("require files", func(t *testing.T) {
		s, c := newTest(t, sandbox.Options{Seed: 1, Size: 7})
		s.SetPolicy(Policy{ApproveOnSubmit: true, AllowCashReleaseOnCheck: 1, RequireFiles: true})
		ref := itoa(c.newLoan(t, validApplication()))
		if got := decode[xLoan](t, c.get("/allow/cash/release", refQ(ref))).Allowed; got != "false" {
			t.Fatalf("before files: %q", got)
		}
		bad := c.postMultipart("/loan/files/upload", withPT(url.Values{"loan_ref": {ref}}), map[string]upload{"loan_agreement": {"a.pdf", []byte("x")}})
		if bad.status != 400 || !reflect.DeepEqual(bad.errors(), []string{"bank_statement: file is required"}) {
			t.Fatalf("upload without statement: %d %q", bad.status, bad.errors())
		}
		c.postMultipart("/loan/files/upload", withPT(url.Values{"loan_ref": {ref}}), map[string]upload{
			"loan_agreement": {"a.pdf", []byte("x")}, "bank_statement": {"b.pdf", []byte("y")}})
		if got := decode[xLoan](t, c.get("/allow/cash/release", refQ(ref))).Allowed; got != "true" {
			t.Fatalf("after files: %q", got)
		}
	})
}

func TestCancel(t *testing.T) {
	s, c := newTest(t, sandbox.Options{Seed: 5, Size: 30})
	s.SetPolicy(Policy{})
	byStatus := map[string]int{}
	for _, l := range s.Loans() {
		if _, ok := byStatus[l.Status]; !ok {
			byStatus[l.Status] = l.Ref
		}
	}
	for _, st := range Statuses() {
		t.Run(st, func(t *testing.T) {
			r := c.get("/cancel/loan", refQ(itoa(byStatus[st])))
			ok := st == StatusNew || st == StatusApproved
			if ok != (r.status == 200) {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if !ok && !slices.Contains(r.errors(), msgCancelNotAllow) {
				t.Fatalf("errors %q", r.errors())
			}
			if ok {
				if l, _ := s.Loan(byStatus[st]); l.Status != StatusCancelled {
					t.Fatalf("status %s", l.Status)
				}
				if rs := c.status(t, byStatus[st]); rs.status != 400 {
					t.Fatalf("check after cancel: %d", rs.status)
				}
			}
		})
	}
	if s.Count(KindCancelLoan) != 2 || len(s.Received()) != len(Statuses()) {
		t.Fatalf("accepted %d of %d", s.Count(KindCancelLoan), len(s.Received()))
	}
}

func TestLoanInfoMatchesDataset(t *testing.T) {
	s, c := newTest(t, sandbox.Options{Seed: 11, Size: 40})
	for _, l := range s.Loans() {
		info := decode[xInfo](t, c.get("/loan/info", refQ(itoa(l.Ref))))
		if l.Status != StatusPaidOut && l.Status != StatusClosed {
			if info.Status != -1 || info.Loan != nil {
				t.Errorf("loan %d (%s): %+v", l.Ref, l.Status, info)
			}
			continue
		}
		li := info.Loan
		if info.Status != 0 || li.LoanRef != l.Ref || li.ClientPIN != l.Application.PIN || li.ClientName != l.ClientName() ||
			li.TotalBalance != l.TotalBalance.String() || li.Repaid != l.Repaid.String() ||
			li.RemainingBalance != l.RemainingBalance().String() || len(li.Installments) != l.Duration {
			t.Errorf("loan %d: %+v", l.Ref, li)
			continue
		}
		for i, in := range li.Installments {
			want := l.Installments[i]
			if in.DueDate != want.DueDate.Format("02.01.2006") || in.ToBePaid != want.ToBePaid.String() {
				t.Errorf("loan %d installment %d: %+v", l.Ref, i+1, in)
			}
		}
	}
	if r := decode[xInfo](t, c.get("/loan/info", refQ("1"))); r.Status != -1 {
		t.Fatalf("unknown ref: %+v", r)
	}
}

func TestInjectUnknownValues(t *testing.T) {
	s, c := newTest(t, sandbox.Options{Seed: 2, Size: 30})
	refs := s.InjectUnknownValues()
	if len(refs) != 3 {
		t.Fatalf("refs %v", refs)
	}
	var seenApproved, seenStatus, seenInfo bool
	for _, ref := range refs {
		l, _ := s.Loan(ref)
		switch l.Status {
		case StatusNew:
			seenApproved = decode[xLoan](t, c.status(t, ref)).Approved == "under_review"
		case StatusPaidOut:
			seenStatus = decode[xLoan](t, c.get("/allow/cash/release", refQ(itoa(ref)))).LoanStatus == "restructured"
		case StatusClosed:
			info := decode[xInfo](t, c.get("/loan/info", refQ(itoa(ref))))
			seenInfo = info.Status == 1 && info.Message == "Loan is archived"
		}
	}
	if !seenApproved || !seenStatus || !seenInfo {
		t.Fatalf("approved %v loan_status %v info %v", seenApproved, seenStatus, seenInfo)
	}
}

func TestLoansAreDeepCopies(t *testing.T) {
	s := New(sandbox.Options{Seed: 1, Size: 20})
	for _, l := range s.Loans() {
		if len(l.Installments) > 0 {
			l.Installments[0].ToBePaid = 12345
			l.Application.Files = append(l.Application.Files, File{Field: "x"})
			got, _ := s.Loan(l.Ref)
			if got.Installments[0].ToBePaid == 12345 {
				t.Fatal("Loans() shares installment tables")
			}
			return
		}
	}
}

func TestSetStatusAndControls(t *testing.T) {
	s := New(sandbox.Options{Seed: 1, Size: 7, Now: func() time.Time { return testNow }})
	ref := s.LoanRefs()[0]
	if err := s.SetStatus(ref, "WHATEVER"); err == nil {
		t.Fatal("unknown status accepted")
	}
	if err := s.SetStatus(ref, StatusNew); err != nil {
		t.Fatal(err)
	}
	if err := s.Reject(ref); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Loan(ref); l.Status != StatusRejected || !l.UpdatedAt.Equal(testNow) {
		t.Fatalf("%s %v", l.Status, l.UpdatedAt)
	}
	if err := s.AllowCashRelease(ref); err == nil {
		t.Fatal("AllowCashRelease on a rejected loan")
	}
	if err := s.Approve(1); err == nil {
		t.Fatal("Approve on an unknown ref")
	}
}

func TestConcurrentSubmissions(t *testing.T) {
	s, c := newTest(t, sandbox.Options{Seed: 1, Size: 7})
	const n = 24
	refs := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.postMultipart("/new/loan", validApplication(), nil)
			var got xLoan
			if err := xml.Unmarshal(r.body, &got); r.status != 200 || err != nil {
				t.Errorf("new loan: %d %v", r.status, err)
				return
			}
			refs[i] = got.LoanRef
			c.postForm("/loan/check/status", withPT(url.Values{"loan_ref": {itoa(got.LoanRef)}}))
			c.get("/loan/info", refQ(itoa(got.LoanRef)))
		}()
	}
	wg.Wait()
	slices.Sort(refs)
	if len(slices.Compact(slices.Clone(refs))) != n || s.Count(KindNewLoan) != n {
		t.Fatalf("refs %v, accepted %d", refs, s.Count(KindNewLoan))
	}
}
