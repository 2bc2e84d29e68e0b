package iute_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/connectors/iute"
	"github.com/leadpipe/leadpipe/connectors/iute/iutetest"
	"github.com/leadpipe/leadpipe/schema"
)

func rec(fields map[string]any) connectors.Record { return connectors.Record{Row: 1, Fields: fields} }

func day(s string) connectors.Date {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return connectors.Date{Time: t}
}

func (e *env) target(t *testing.T, cfg *iute.Config, name string) connectors.Target {
	t.Helper()
	tg, err := e.connector(t, cfg, nil).(connectors.Pusher).Target(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// dropAfterHandle serves e's sandbox so that the next request to path is
// handled by the sandbox and then has its connection dropped: the vendor
// acted, the client never hears back.
func (e *env) dropAfterHandle(t *testing.T, path string) {
	t.Helper()
	armed := true
	e.http.Close()
	e.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if armed && strings.HasSuffix(r.URL.Path, path) {
			armed = false
			e.srv.ServeHTTP(discard{h: http.Header{}}, r)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		e.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(e.http.Close)
}

type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

// application is a valid new/loan record.
func application(pin string) map[string]any {
	return map[string]any{
		"pin": pin, "first_name": "Nelea", "last_name": "Iacovet", "patronymic": "Ion", "birth_date": day("1997-08-31"),
		"document_serial": "B12345678", "gsm": "0602160911", "phone_home": "022123456", "alt_contact_name": "June",
		"alt_contact_relation": "sister", "alt_contact_phone": "0798765432", "town": "Chisinau", "street": "Long street",
		"house_nr": "11", "apartment_nr": "", "loan_amount": connectors.Number("2000"), "loan_duration": int64(6),
		"submit_person": "Mike", "submit_post_office": "o.p.6514",
	}
}

func with(base map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func fieldsOf(errs []connectors.FieldError) map[string]string {
	m := map[string]string{}
	for _, e := range errs {
		m[e.Field] = e.Msg
	}
	return m
}

func TestLoansTargetValidation(t *testing.T) {
	e := start(t, -1)
	tg := e.target(t, e.config(t, ""), iute.TargetLoans)
	ok := application("I80606014N")
	for _, tc := range []struct {
		name   string
		fields map[string]any
		want   map[string]string // field → part of the message
	}{
		{"valid", ok, nil},
		{"phones with separators", with(ok, "gsm", "060 216-0911", "phone_home", "(022) 123 456"), nil},
		{"birth date as text", with(ok, "birth_date", "31.08.1997"), nil},
		{"no apartment", with(ok, "apartment_nr", nil), nil},
		{"gsm of 9 digits", with(ok, "gsm", "060216091"), map[string]string{"gsm": `"0\d{9}"`}},
		{"gsm in international form", with(ok, "gsm", "+37360216091"), map[string]string{"gsm": `"0\d{9}"`}},
		{"phone_home of 10 digits (the doc's sample request)", with(ok, "phone_home", "0602160911"), map[string]string{"phone_home": `"0\d{8}"`}},
		{"alt contact phone missing", with(ok, "alt_contact_phone", ""), map[string]string{"alt_contact_phone": "is required"}},
		{"birth date missing", with(ok, "birth_date", nil), map[string]string{"birth_date": "is required"}},
		{"birth date in the future", with(ok, "birth_date", day("2031-01-01")), map[string]string{"birth_date": "in the past"}},
		{"birth date in the table's 01/01/90 form", with(ok, "birth_date", "01/01/90"), map[string]string{"birth_date": "must be a date"}},
		{"amount missing", with(ok, "loan_amount", nil), map[string]string{"loan_amount": "is required"}},
		{"amount negative", with(ok, "loan_amount", connectors.Number("-5")), map[string]string{"loan_amount": "greater than 0"}},
		{"amount zero", with(ok, "loan_amount", connectors.Number("0.00")), map[string]string{"loan_amount": "greater than 0"}},
		{"amount with 3 decimals", with(ok, "loan_amount", connectors.Number("1000.555")), map[string]string{"loan_amount": "at most 2 decimals"}},
		{"duration missing", with(ok, "loan_duration", nil), map[string]string{"loan_duration": "is required"}},
		{"duration zero", with(ok, "loan_duration", int64(0)), map[string]string{"loan_duration": "at least 1"}},
		{"pin blank", with(ok, "pin", "  "), map[string]string{"pin": "is required"}},
		{"name too long", with(ok, "first_name", strings.Repeat("a", 256)), map[string]string{"first_name": "at most 255"}},
		{"id copy not jpg or pdf", with(ok, "id_copy", "scans/id.png"), map[string]string{"id_copy": "jpg or pdf"}},
		{"every problem at once", with(ok, "gsm", "1", "phone_home", "2", "town", "", "loan_amount", nil, "loan_duration", nil),
			map[string]string{"gsm": "", "phone_home": "", "town": "", "loan_amount": "", "loan_duration": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fieldsOf(tg.Validate(t.Context(), rec(tc.fields)))
			if len(got) != len(tc.want) {
				t.Fatalf("problems %v, want fields %v", got, tc.want)
			}
			for f, part := range tc.want {
				if msg, ok := got[f]; !ok || !strings.Contains(msg, part) {
					t.Errorf("%s: %q, want %q", f, msg, part)
				}
			}
		})
	}
	names := map[string]connectors.Field{}
	for _, f := range tg.Fields() {
		names[f.Name] = f
	}
	if f := names["birth_date"]; f.Type != connectors.TypeDate || f.Format != "02.01.2006" || !f.Required {
		t.Errorf("birth_date field %+v", f)
	}
	if names["id_copy"].Type != connectors.TypeFile || names["data_verification"].Type != connectors.TypeFile {
		t.Error("the files are not TypeFile fields")
	}
	if len(names) != 21 {
		t.Errorf("%d fields, want the 21 of new/loan without partner_type", len(names))
	}
}

func TestLoansTargetSendsAndRecordsTheRef(t *testing.T) {
	e := start(t, 5)
	idCopy := "id_doc.jpg" // under the attachments directory
	if err := os.WriteFile(filepath.Join(e.files, idCopy), []byte("\xff\xd8\xff\xe0 a jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}
	tg := e.target(t, e.config(t, ""), iute.TargetLoans)
	r := rec(with(application("I80606014N"), "gsm", "060 216 0911", "id_copy", idCopy))
	got, err := tg.Send(context.Background(), r, "row-key-1")
	if err != nil {
		t.Fatal(err)
	}
	refs := e.srv.SubmittedRefs()
	if len(refs) != 1 || got.VendorID != strconv.Itoa(refs[0]) || got.HTTPStatus != 200 {
		t.Fatalf("receipt %+v, sandbox refs %v", got, refs)
	}
	if got.Extra["client_pin"] != "I80606014N" || got.Extra["client_name"] != "Nelea Iacovet" || got.Extra["loan_period"] != "6" {
		t.Errorf("receipt extra %v", got.Extra)
	}
	if key, ok := e.refs.key(got.VendorID); !ok || key != "row-key-1" {
		t.Errorf("state store has ref %s with key %q (%v)", got.VendorID, key, ok)
	}
	sub := e.srv.Received()
	last := sub[len(sub)-1]
	if !last.Accepted || last.Params["birth_date"] != "31.08.1997" || last.Params["gsm"] != "0602160911" ||
		last.Params["partner_type"] != "post" || last.Params["loan_amount"] != "2000" || last.Params["loan_duration"] != "6" {
		t.Errorf("sandbox received %+v", last)
	}
	if _, sent := last.Params["apartment_nr"]; !sent {
		t.Error("apartment_nr was not sent (it is required, even empty)")
	}
	if len(last.Files) != 1 || last.Files[0].Field != "id_copy" || last.Files[0].Filename != "id_doc.jpg" || last.Files[0].ContentType != "image/jpeg" {
		t.Errorf("files %+v", last.Files)
	}
	l, _ := e.srv.Loan(refs[0])
	if l.Status != iutetest.StatusNew || l.Application.PIN != "I80606014N" {
		t.Errorf("sandbox loan %+v", l)
	}
}

func TestLoansTargetVendorRejection(t *testing.T) {
	e := start(t, -1)
	tg := e.target(t, e.config(t, ""), iute.TargetLoans)
	// The doc gives no limit on the duration; the sandbox allows 1..60.
	_, err := tg.Send(context.Background(), rec(with(application("I80606014N"), "loan_duration", int64(72))), "k")
	var rej *connectors.RejectedError
	if !errors.As(err, &rej) || rej.HTTPStatus != 400 || rej.Field != "loan_duration" || !strings.Contains(rej.Reason, "60 months") {
		t.Fatalf("err = %v (%+v)", err, rej)
	}
	if refs, _ := e.refs.Refs(context.Background()); len(refs) != 0 {
		t.Errorf("a rejected row recorded refs %v", refs)
	}
}

func TestLoansTargetAmbiguousOutcomeNeedsAHuman(t *testing.T) {
	e := start(t, -1)
	tg := e.target(t, e.config(t, ""), iute.TargetLoans)
	r := rec(application("I80606014N"))
	e.srv.Faults().DropAfterHandleNext(1)
	_, err := tg.Send(context.Background(), r, "k1")
	if !errors.Is(err, httpclient.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	if n := e.srv.Count(iutetest.KindNewLoan); n != 1 {
		t.Fatalf("the sandbox created %d loans, want exactly 1 (no retry)", n)
	}
	_, found, err := tg.Lookup(context.Background(), r, "k1", e.Now())
	if !errors.Is(err, connectors.ErrNoLookup) || found {
		t.Errorf("Lookup = %v, %v; want ErrNoLookup", found, err)
	}
	d, ok := tg.(interface {
		Describe(connectors.Record) string
	})
	if !ok {
		t.Fatal("the loans target has no Describe")
	}
	desc := d.Describe(r)
	for _, want := range []string{"I80606014N", "Nelea Iacovet", "31.08.1997", "2000 MDL", "o.p.6514"} {
		if !strings.Contains(desc, want) {
			t.Errorf("Describe = %q, lacks %q", desc, want)
		}
	}
}

// loansIn returns the refs of the generated loans in a state.
func loansIn(e *env, status string) []int {
	var out []int
	for _, l := range e.srv.Loans() {
		if l.Status == status && !l.Submitted {
			out = append(out, l.Ref)
		}
	}
	return out
}

func TestRepaymentsTarget(t *testing.T) {
	e := start(t, 30)
	cfg := e.config(t, e.refsYAML())
	tg := e.target(t, cfg, iute.TargetRepayments)
	paid, closed := loansIn(e, iutetest.StatusPaidOut), loansIn(e, iutetest.StatusClosed)
	if len(paid) < 3 || len(closed) == 0 {
		t.Fatalf("dataset: paid %v closed %v", paid, closed)
	}
	ok := map[string]any{"loanRef": int64(paid[0]), "date": day("2026-11-14"), "amount": connectors.Number("100.50")}

	t.Run("validation", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			fields map[string]any
			field  string
			part   string
		}{
			{"unknown ref", with(ok, "loanRef", int64(12345)), "loanRef", "not known to leadpipe"},
			{"ref not a number", with(ok, "loanRef", "90ABC"), "loanRef", "whole number"},
			{"no ref", with(ok, "loanRef", nil), "loanRef", "is required"},
			{"negative amount", with(ok, "amount", connectors.Number("-5")), "amount", "greater than 0"},
			{"zero amount", with(ok, "amount", connectors.Number("0")), "amount", "greater than 0"},
			{"three decimals", with(ok, "amount", connectors.Number("1.234")), "amount", "at most 2 decimals"},
			{"no date", with(ok, "date", nil), "date", "is required"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := fieldsOf(tg.Validate(t.Context(), rec(tc.fields)))
				if len(got) != 1 || !strings.Contains(got[tc.field], tc.part) {
					t.Errorf("problems %v, want %s: %s", got, tc.field, tc.part)
				}
			})
		}
		if p := tg.Validate(t.Context(), rec(ok)); len(p) != 0 {
			t.Errorf("a valid row has problems %v", p)
		}
	})

	t.Run("sent", func(t *testing.T) {
		before, _ := e.srv.Loan(paid[0])
		got, err := tg.Send(context.Background(), rec(ok), "r1")
		if err != nil {
			t.Fatal(err)
		}
		after, _ := e.srv.Loan(paid[0])
		if after.Repaid-before.Repaid != 10050 || got.VendorID != strconv.Itoa(paid[0]) {
			t.Errorf("repaid %s → %s, receipt %+v", before.Repaid, after.Repaid, got)
		}
		sub := e.srv.Received()
		if p := sub[len(sub)-1].Params; p["date"] != "14112026" || p["amount"] != "100.50" || p["loanRef"] != strconv.Itoa(paid[0]) {
			t.Errorf("sandbox received %v", p)
		}
	})

	t.Run("closed loan", func(t *testing.T) {
		_, err := tg.Send(context.Background(), rec(with(ok, "loanRef", int64(closed[0]))), "r2")
		var rej *connectors.RejectedError
		if !errors.As(err, &rej) || rej.Field != "loanRef" || rej.Reason != "No active loan found!" {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("more than the balance", func(t *testing.T) {
		_, err := tg.Send(context.Background(), rec(with(ok, "loanRef", int64(paid[1]), "amount", connectors.Number("9999999"))), "r3")
		var rej *connectors.RejectedError
		if !errors.As(err, &rej) || rej.Field != "amount" {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("dropped after Iute booked it", func(t *testing.T) {
		before := e.srv.Count(iutetest.KindInsertRepayment)
		r := rec(with(ok, "loanRef", int64(paid[2])))
		e.srv.Faults().DropAfterHandleNext(1)
		_, err := tg.Send(context.Background(), r, "r4")
		if !errors.Is(err, httpclient.ErrOutcomeUnknown) {
			t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
		}
		if n := e.srv.Count(iutetest.KindInsertRepayment) - before; n != 1 {
			t.Errorf("the repayment was booked %d times, want once (the GET must not be retried)", n)
		}
		if _, found, err := tg.Lookup(context.Background(), r, "r4", e.Now()); !errors.Is(err, connectors.ErrNoLookup) || found {
			t.Errorf("Lookup = %v, %v; want ErrNoLookup", found, err)
		}
		desc := tg.(interface {
			Describe(connectors.Record) string
		}).Describe(r)
		if !strings.Contains(desc, "100.50 MDL on 14.11.2026 to loan "+strconv.Itoa(paid[2])) {
			t.Errorf("Describe = %q", desc)
		}
	})

	t.Run("503 is not retried", func(t *testing.T) {
		before := e.srv.Count(iutetest.KindInsertRepayment)
		e.srv.Faults().FailNext(1, 503, "unavailable")
		_, err := tg.Send(context.Background(), rec(ok), "r5")
		if !errors.Is(err, httpclient.ErrOutcomeUnknown) {
			t.Errorf("err = %v, want ErrOutcomeUnknown", err)
		}
		if e.srv.Count(iutetest.KindInsertRepayment) != before {
			t.Error("the repayment was sent again after a 503")
		}
	})
}

func TestCashReleaseTarget(t *testing.T) {
	e := start(t, 40)
	cfg := e.config(t, e.refsYAML())
	allowed, approved := loansIn(e, iutetest.StatusCashReleaseAllowed), loansIn(e, iutetest.StatusApproved)
	if len(allowed) < 3 || len(approved) == 0 {
		t.Fatalf("dataset: allowed %v approved %v", allowed, approved)
	}
	tg := e.target(t, cfg, iute.TargetCashReleases)
	ctx := context.Background()

	_, err := tg.Send(ctx, rec(map[string]any{"loanRef": int64(approved[0])}), "c0")
	if !errors.Is(err, iute.ErrCashReleaseNotAllowed) || !errors.Is(err, connectors.ErrNotYet) {
		t.Errorf("not allowed: err = %v (want a release that waits: connectors.ErrNotYet)", err)
	}
	l0, _ := e.srv.Loan(allowed[0])
	_, err = tg.Send(ctx, rec(map[string]any{"loanRef": int64(allowed[0]), "client_pin": "X" + l0.Application.PIN}), "c1")
	var rej *connectors.RejectedError
	if !errors.As(err, &rej) || rej.Field != "client_pin" {
		t.Errorf("PIN mismatch: err = %v", err)
	}
	if n := e.srv.Count(iutetest.KindConfirmCashRelease); n != 0 {
		t.Fatalf("%d confirmations sent for refused rows", n)
	}
	got, err := tg.Send(ctx, rec(map[string]any{"loanRef": int64(allowed[0]), "client_pin": l0.Application.PIN, "loan_amount": connectors.Number(l0.Principal.String())}), "c2")
	if err != nil || got.VendorID != strconv.Itoa(allowed[0]) {
		t.Fatalf("send: %+v %v", got, err)
	}
	if l, _ := e.srv.Loan(allowed[0]); l.Status != iutetest.StatusPaidOut {
		t.Errorf("loan %d is %s after the confirmation", allowed[0], l.Status)
	}

	// The confirmation reaches Iute, the answer is lost; the lookup finds it.
	r := rec(map[string]any{"loanRef": int64(allowed[1])})
	if _, found, err := tg.Lookup(ctx, r, "c3", e.Now()); err != nil || found {
		t.Fatalf("lookup before sending: %v %v", found, err)
	}
	e.dropAfterHandle(t, "/confirm/cash/release")
	tg = e.target(t, e.config(t, e.refsYAML()), iute.TargetCashReleases)
	_, err = tg.Send(ctx, r, "c3")
	if !errors.Is(err, httpclient.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	if l, _ := e.srv.Loan(allowed[1]); l.Status != iutetest.StatusPaidOut {
		t.Fatalf("the sandbox did not act: %s", l.Status)
	}
	got, found, err := tg.Lookup(ctx, r, "c3", e.Now())
	if err != nil || !found || got.VendorID != strconv.Itoa(allowed[1]) {
		t.Errorf("lookup after the drop: %+v %v %v", got, found, err)
	}
	// An allowed loan never confirmed is not found.
	if _, found, err := tg.Lookup(ctx, rec(map[string]any{"loanRef": int64(allowed[2])}), "c4", e.Now()); err != nil || found {
		t.Errorf("lookup of an unsent row: %v %v", found, err)
	}
}

func TestCancelTarget(t *testing.T) {
	e := start(t, 40)
	tg := e.target(t, e.config(t, e.refsYAML()), iute.TargetCancellations)
	ctx := context.Background()
	news, allowed, rejectedRefs, paid := loansIn(e, iutetest.StatusNew), loansIn(e, iutetest.StatusCashReleaseAllowed),
		loansIn(e, iutetest.StatusRejected), loansIn(e, iutetest.StatusPaidOut)
	r := rec(map[string]any{"loanRef": int64(news[0])})
	if _, found, err := tg.Lookup(ctx, r, "x1", e.Now()); err != nil || found {
		t.Fatalf("lookup of an application never cancelled: %v %v", found, err)
	}
	if _, err := tg.Send(ctx, r, "x1"); err != nil {
		t.Fatal(err)
	}
	if l, _ := e.srv.Loan(news[0]); l.Status != iutetest.StatusCancelled {
		t.Errorf("loan is %s", l.Status)
	}
	if got, found, err := tg.Lookup(ctx, r, "x1", e.Now()); err != nil || !found || got.VendorID != strconv.Itoa(news[0]) {
		t.Errorf("lookup after cancelling: %+v %v %v", got, found, err)
	}
	for _, ref := range []int{allowed[0], rejectedRefs[0], paid[0]} {
		_, err := tg.Send(ctx, rec(map[string]any{"loanRef": int64(ref)}), "x")
		var rej *connectors.RejectedError
		if !errors.As(err, &rej) || rej.Field != "loanRef" || !strings.Contains(rej.Reason, "only NEW or APPROVED") {
			t.Errorf("loan %d: err = %v", ref, err)
		}
	}
	if n := e.srv.Count(iutetest.KindCancelLoan); n != 1 {
		t.Errorf("%d cancellations sent, want 1", n)
	}
	if _, _, err := tg.Lookup(ctx, rec(map[string]any{"loanRef": int64(paid[0])}), "x", e.Now()); !errors.Is(err, connectors.ErrNoLookup) {
		t.Errorf("lookup of a paid-out loan: %v, want ErrNoLookup", err)
	}
}

func TestAgreementTarget(t *testing.T) {
	e := start(t, 30)
	spec, _ := connectors.Lookup("iute")
	conn, _ := spec.New(e.config(t, e.refsYAML()), connectors.Env{Refs: e.refs})
	if _, err := conn.(connectors.Pusher).Target(t.Context(), iute.TargetAgreements); err == nil || !strings.Contains(err.Error(), "agreements_dir") {
		t.Errorf("no agreements_dir: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "agreements")
	tg := e.target(t, e.config(t, e.refsYAML()+"agreements_dir: "+dir+"\nagreement_lang: alb\n"), iute.TargetAgreements)
	approved, news := loansIn(e, iutetest.StatusApproved), loansIn(e, iutetest.StatusNew)
	r := rec(map[string]any{"loanRef": int64(approved[0])})
	if _, found, err := tg.Lookup(context.Background(), r, "a1", e.Now()); err != nil || found {
		t.Fatalf("lookup before: %v %v", found, err)
	}
	got, err := tg.Send(context.Background(), r, "a1")
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "specific_agreement_"+strconv.Itoa(approved[0])+"_alb.pdf")
	b, err := os.ReadFile(want)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) || got.Extra["file"] != want {
		t.Fatalf("agreement %s: %v (receipt %+v)", want, err, got)
	}
	if _, found, err := tg.Lookup(context.Background(), r, "a1", e.Now()); err != nil || !found {
		t.Errorf("lookup after: %v %v", found, err)
	}
	_, err = tg.Send(context.Background(), rec(map[string]any{"loanRef": int64(news[0]), "lang": "rum"}), "a2")
	var rej *connectors.RejectedError
	if !errors.As(err, &rej) || !strings.Contains(rej.Reason, "not approved") {
		t.Errorf("agreement of a NEW loan: %v", err)
	}
	if p := fieldsOf(tg.Validate(t.Context(), rec(map[string]any{"loanRef": int64(approved[0]), "lang": "albanian"}))); p["lang"] == "" {
		t.Errorf("a bad lang passed: %v", p)
	}
}

func TestLoanFilesTarget(t *testing.T) {
	e := start(t, 30)
	tg := e.target(t, e.config(t, e.refsYAML()), iute.TargetLoanFiles)
	agreement, statement := "agreement_signed.pdf", "statement.jpg" // under the attachments directory
	for _, f := range []string{agreement, statement} {
		if err := os.WriteFile(filepath.Join(e.files, f), []byte("%PDF-1.4 signed"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	approved := loansIn(e, iutetest.StatusApproved)
	p := fieldsOf(tg.Validate(t.Context(), rec(map[string]any{"loan_ref": int64(approved[0]), "loan_agreement": "a.docx"})))
	if !strings.Contains(p["loan_agreement"], "jpg or pdf") || !strings.Contains(p["bank_statement"], "is required") {
		t.Errorf("problems %v", p)
	}
	r := rec(map[string]any{"loan_ref": int64(approved[0]), "loan_agreement": agreement, "bank_statement": statement})
	if _, err := tg.Send(context.Background(), r, "f1"); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.Count(iutetest.KindUploadFiles); n != 1 {
		t.Errorf("%d uploads", n)
	}
	l, _ := e.srv.Loan(approved[0])
	if n := len(l.Uploads); n < 2 || l.Uploads[n-1].Filename != "statement.jpg" {
		t.Errorf("uploads %+v", l.Uploads)
	}
	if _, _, err := tg.Lookup(context.Background(), r, "f1", e.Now()); !errors.Is(err, connectors.ErrNoLookup) {
		t.Errorf("Lookup: %v", err)
	}
}

func TestCalc(t *testing.T) {
	e := start(t, -1)
	cfg := e.config(t, "")
	got, err := iute.Calc(context.Background(), cfg, "1000.55", 6)
	if err != nil {
		t.Fatal(err)
	}
	monthly, total := iutetest.Annuity(100055, 6)
	if got.MonthlyPayment != schema.MoneyFromCents(int64(monthly)) || got.TotalLoanAmount != schema.MoneyFromCents(int64(total)) || got.Currency != "MDL" {
		t.Errorf("calc %+v, want %s / %s", got, monthly, total)
	}
	if d := got.FirstRepaymentDate.Time(); d.Month() != time.December || d.Day() != 15 {
		t.Errorf("first repayment %s", got.FirstRepaymentDate)
	}
	if !strings.Contains(got.String(), "1000.55 MDL over 6 months") {
		t.Errorf("String() = %q", got)
	}
	if _, err := iute.Calc(context.Background(), cfg, "-3", 6); err == nil {
		t.Error("a negative amount was asked about")
	}
	_, err = iute.Calc(context.Background(), cfg, "1000", 600)
	var rej *connectors.RejectedError
	if !errors.As(err, &rej) || rej.Field != "loan_duration" {
		t.Errorf("600 months: %v", err)
	}
}

// TestLifecycle drives a loan through Iute's whole process at connector
// level: submit → poll → confirm cash release → repay → poll.
func TestLifecycle(t *testing.T) {
	e := start(t, -1)
	cfg := e.config(t, "")
	ctx := context.Background()
	loans := e.target(t, cfg, iute.TargetLoans)
	var refs []string
	for i, a := range []map[string]any{
		application("I80606014N"),
		with(application("2004423474092"), "first_name", "Ștefan", "last_name", "Bălan", "loan_amount", connectors.Number("1000.55"), "loan_duration", int64(3)),
		with(application("112356789T"), "birth_date", day("2012-05-01")), // 14: autorejected
	} {
		r := rec(a)
		r.Row = i + 1
		got, err := loans.Send(ctx, r, "app-"+strconv.Itoa(i+1))
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, got.VendorID)
	}

	// The first poll: the sandbox's default policy approves on the first
	// check/status and authorizes cash release at once.
	first := e.read(t, cfg, nil)
	status := map[string]schema.Loan{}
	for _, l := range first.batch.Loans {
		status[l.VendorLoanID] = l
	}
	if len(status) != 3 || status[refs[0]].Status != schema.StatusApproved || status[refs[1]].Status != schema.StatusApproved ||
		status[refs[2]].Status != schema.StatusDeclined {
		t.Fatalf("first poll: %+v", first.batch.Loans)
	}
	if !strings.Contains(status[refs[0]].Attributes, `"cash_release_allowed":true`) || status[refs[1]].Principal != schema.MoneyFromCents(100055) {
		t.Errorf("approved loans: %+v", status)
	}

	release := e.target(t, cfg, iute.TargetCashReleases)
	for _, ref := range refs[:2] {
		n, _ := strconv.ParseInt(ref, 10, 64)
		if _, err := release.Send(ctx, rec(map[string]any{"loanRef": n}), "rel-"+ref); err != nil {
			t.Fatal(err)
		}
	}
	e.Advance(24 * time.Hour)
	repay := e.target(t, cfg, iute.TargetRepayments)
	m0, _ := iutetest.Annuity(200000, 6)
	repayments := map[string]string{refs[0]: m0.String(), refs[1]: "100"}
	for ref, amt := range repayments {
		n, _ := strconv.ParseInt(ref, 10, 64)
		if _, err := repay.Send(ctx, rec(map[string]any{"loanRef": n, "date": day("2026-11-16"), "amount": connectors.Number(amt)}), "rep-"+ref); err != nil {
			t.Fatal(err)
		}
	}

	next := e.read(t, cfg, first.cursors)
	if len(next.batch.Loans) != 2 {
		t.Fatalf("second poll emitted %d loans, want the 2 paid out", len(next.batch.Loans))
	}
	inst := map[string][]schema.Installment{}
	for _, in := range next.batch.Installments {
		inst[in.LoanUID] = append(inst[in.LoanUID], in)
	}
	for _, l := range next.batch.Loans {
		w, _ := e.srv.Loan(atoi(l.VendorLoanID))
		paid, _ := schema.ParseMoney(repayments[l.VendorLoanID])
		if l.Status != schema.StatusFunded || l.Repaid != paid || l.Outstanding.Cents != int64(w.TotalBalance)-paid.Cents ||
			l.TotalRepayable != schema.MoneyFromCents(int64(w.TotalBalance)) {
			t.Errorf("loan %s: %s repaid %s outstanding %s, want repaid %s of %s", l.VendorLoanID, l.Status, l.Repaid, l.Outstanding, paid, w.TotalBalance)
		}
		is := inst[l.LoanUID]
		if len(is) != w.Duration {
			t.Fatalf("loan %s: %d installments", l.VendorLoanID, len(is))
		}
		wantFirst := is[0].AmountDue.Cents - paid.Cents
		if is[0].AmountOutstanding.Cents != wantFirst || is[1].AmountOutstanding != is[1].AmountDue {
			t.Errorf("loan %s installments: %+v", l.VendorLoanID, is[:2])
		}
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
