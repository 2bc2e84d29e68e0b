package iute

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/schema"
)

// ErrCashReleaseNotAllowed is returned by the cash_releases target when
// allow/cash/release does not (yet) allow the release: nothing was sent,
// and a later run tries the row again. It wraps connectors.ErrNotYet, so the
// push ledger keeps the row as waiting, never as an unknown outcome.
var ErrCashReleaseNotAllowed = fmt.Errorf("cash release is not allowed (yet) for this loan: %w", connectors.ErrNotYet)

// MaxFileBytes bounds one uploaded file.
const MaxFileBytes = 10 << 20

// Target returns a push target, once the refs the config imports are in
// the state store.
func (k *connector) Target(ctx context.Context, name string) (connectors.Target, error) {
	if err := k.refs.importConfigRefs(ctx); err != nil {
		return nil, err
	}
	switch name {
	case TargetLoans:
		return &loansTarget{k: k}, nil
	case TargetRepayments:
		return &repaymentsTarget{k: k}, nil
	case TargetCashReleases:
		return &cashReleaseTarget{k: k}, nil
	case TargetCancellations:
		return &cancelTarget{k: k}, nil
	case TargetAgreements:
		if k.cfg.AgreementsDir == "" {
			return nil, errors.New("iute: the agreements target needs agreements_dir in the config (the directory the PDFs are written to)")
		}
		return &agreementTarget{k: k}, nil
	case TargetLoanFiles:
		return &filesTarget{k: k}, nil
	}
	return nil, fmt.Errorf("iute: no push target %q (targets: %s, %s, %s, %s, %s, %s)", name,
		TargetLoans, TargetRepayments, TargetCashReleases, TargetCancellations, TargetAgreements, TargetLoanFiles)
}

// checkKnown adds a problem when ref is not a loan ref leadpipe knows: a
// mistyped ref could repay, release or cancel another client's loan (refs
// are sequential across all of Iute's partners).
func (k *connector) checkKnown(ctx context.Context, p *problems, field, ref string) {
	if ref == "" {
		return
	}
	ok, err := k.refs.known(ctx, ref)
	switch {
	case err != nil:
		p.add(field, "cannot check the known loan refs: "+err.Error())
	case !ok:
		p.add(field, fmt.Sprintf("loan ref %s is not known to leadpipe: submit the loan through leadpipe, or import its ref with loan_refs or import_refs_from", ref))
	}
}

// readFile reads an attachment named in a row.
func (k *connector) readFile(ctx context.Context, field, loc string) (filePart, error) {
	// Only the engine's OpenAttachment, which reads under the pipeline's
	// attachments_dir and nowhere else: a cell never picks a local file.
	if k.env.OpenAttachment == nil {
		return filePart{}, fmt.Errorf("iute: open %s file %s: no push.attachments_dir is declared, so no file can be attached", field, loc)
	}
	rc, err := k.env.OpenAttachment(ctx, loc)
	if err != nil {
		return filePart{}, fmt.Errorf("iute: open %s file %s: %w", field, loc, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, MaxFileBytes+1))
	switch {
	case err != nil:
		return filePart{}, fmt.Errorf("iute: read %s file %s: %w", field, loc, err)
	case len(data) > MaxFileBytes:
		return filePart{}, fmt.Errorf("iute: %s file %s is larger than %d MiB", field, loc, MaxFileBytes>>20)
	case len(data) == 0:
		return filePart{}, fmt.Errorf("iute: %s file %s is empty", field, loc)
	}
	name := path.Base(filepath.ToSlash(loc))
	return filePart{field: field, filename: name, contentType: fileFormats[strings.ToLower(path.Ext(name))], data: data}, nil
}

// sendError turns a failed write into the error Send returns: a
// *connectors.RejectedError for a 4xx other than 401/403 (the vendor's
// definitive no), the error itself otherwise (ErrOutcomeUnknown stays
// wrapped).
func (c *client) sendError(what string, resp *httpclient.Response, err error, fields map[string]bool, defaultField string) error {
	err = c.vendorError(resp, err)
	var ve *vendorError
	if errors.As(err, &ve) && ve.Status != http.StatusUnauthorized && ve.Status != http.StatusForbidden {
		return rejected(ve, fields, defaultField)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func fieldSet(fs []connectors.Field) map[string]bool {
	m := make(map[string]bool, len(fs))
	for _, f := range fs {
		m[f.Name] = true
	}
	m["partner_type"] = true
	return m
}

// ---------------------------------------------------------------- loans

// loansTarget adds new loan applications (POST new/loan, multipart).
type loansTarget struct{ k *connector }

var loanTextFields = []struct {
	name, doc string
	required  bool
}{
	{"pin", "identification number of the person (e.g. I12356789T)", true},
	{"first_name", "first name", true},
	{"last_name", "last name", true},
	{"patronymic", "father's name", true},
	{"document_serial", "document serial number", true},
	{"alt_contact_name", "alternative contact name", true},
	{"alt_contact_relation", "alternative contact relation (e.g. sister)", true},
	{"town", "home town", true},
	{"street", "home street", true},
	{"house_nr", "house number", true},
	{"apartment_nr", "apartment number; sent empty when there is none", false},
	{"submit_person", "name of the person who submitted the application", true},
	{"submit_post_office", "name of the office where it was submitted", true},
}

// Fields lists new/loan's parameters (partner_type comes from the config).
func (t *loansTarget) Fields() []connectors.Field {
	fs := []connectors.Field{}
	for _, f := range loanTextFields {
		fs = append(fs, connectors.Field{Name: f.name, Type: connectors.TypeString, Required: f.required, Doc: f.doc})
	}
	fs = append(fs,
		connectors.Field{Name: "birth_date", Type: connectors.TypeDate, Required: true, Format: DateLayout, Doc: "birth date, sent as dd.MM.yyyy"},
		connectors.Field{Name: "gsm", Type: connectors.TypeString, Required: true, Doc: `mobile phone, "0\d{9}" (e.g. 0123456789); spaces and dashes are removed`},
		connectors.Field{Name: "phone_home", Type: connectors.TypeString, Required: true, Doc: `home phone, "0\d{8}" (e.g. 012345678)`},
		connectors.Field{Name: "alt_contact_phone", Type: connectors.TypeString, Required: true, Doc: `alternative contact's phone, "0\d{9}"`},
		connectors.Field{Name: "loan_amount", Type: connectors.TypeNumber, Required: true, Currency: t.k.cfg.Currency, Doc: "loan amount in the config's currency, e.g. 1000.55"},
		connectors.Field{Name: "loan_duration", Type: connectors.TypeInteger, Required: true, Doc: "loan period in months"},
		connectors.Field{Name: "id_copy", Type: connectors.TypeFile, Doc: "copy of the identification document (jpg or pdf)"},
		connectors.Field{Name: "data_verification", Type: connectors.TypeFile, Doc: "copy of the data verification document (jpg or pdf)"},
	)
	return fs
}

// form validates a record and builds its parameters.
func (t *loansTarget) form(rec connectors.Record) (url.Values, map[string]string, problems) {
	var p problems
	q := url.Values{}
	for _, f := range loanTextFields {
		v, msg := varchar(rec, f.name, f.required)
		p.add(f.name, msg)
		q.Set(f.name, v)
	}
	if bd, ok, msg := date(rec, "birth_date"); msg != "" {
		p.add("birth_date", msg)
	} else if !ok {
		p.add("birth_date", "is required")
	} else {
		today := t.k.env.Clock()().UTC()
		switch {
		case !bd.Before(today.Truncate(24 * time.Hour)):
			p.add("birth_date", fmt.Sprintf("must be in the past, got %s", bd.Format(DateLayout)))
		case bd.Year() < 1900:
			p.add("birth_date", fmt.Sprintf("is not a plausible birth date: %s", bd.Format(DateLayout)))
		default:
			q.Set("birth_date", bd.Format(DateLayout))
		}
	}
	gsm, msg := phone(rec, "gsm", gsmRe, `"0\d{9}"`, "0123456789")
	p.add("gsm", msg)
	q.Set("gsm", gsm)
	home, msg := phone(rec, "phone_home", homeRe, `"0\d{8}"`, "012345678")
	p.add("phone_home", msg)
	q.Set("phone_home", home)
	alt, msg := phone(rec, "alt_contact_phone", gsmRe, `"0\d{9}"`, "0987654321")
	p.add("alt_contact_phone", msg)
	q.Set("alt_contact_phone", alt)
	amt, msg := amount(rec, "loan_amount")
	p.add("loan_amount", msg)
	q.Set("loan_amount", amt)
	switch n, ok, msg := integer(rec, "loan_duration"); {
	case msg != "":
		p.add("loan_duration", msg)
	case !ok:
		p.add("loan_duration", "is required")
	case n < 1:
		p.add("loan_duration", fmt.Sprintf("must be at least 1 month, got %d", n))
	default:
		q.Set("loan_duration", fmt.Sprint(n))
	}
	files := map[string]string{}
	for _, f := range []string{"id_copy", "data_verification"} {
		loc, msg := fileField(rec, f, false)
		p.add(f, msg)
		if loc != "" {
			files[f] = loc
		}
	}
	return q, files, p
}

// Validate applies every documented rule of new/loan.
func (t *loansTarget) Validate(ctx context.Context, rec connectors.Record) []connectors.FieldError {
	_, _, p := t.form(rec)
	return p
}

// Send submits the application and records the loan_ref Iute returns.
// Iute has no reference field for the row key: the key is kept with the
// loan_ref in the state store.
func (t *loansTarget) Send(ctx context.Context, rec connectors.Record, key string) (connectors.Receipt, error) {
	q, files, p := t.form(rec)
	if len(p) > 0 {
		return connectors.Receipt{}, fmt.Errorf("iute: row %d is not valid: %v", rec.Row, p[0])
	}
	var parts []filePart
	for _, f := range []string{"id_copy", "data_verification"} {
		if loc := files[f]; loc != "" {
			fp, err := t.k.readFile(ctx, f, loc)
			if err != nil {
				return connectors.Receipt{}, err
			}
			parts = append(parts, fp)
		}
	}
	resp, err := t.k.c.do(ctx, call{op: opNewLoan, method: http.MethodPost, params: q, files: parts, multipart: true})
	if err != nil {
		return connectors.Receipt{}, t.k.c.sendError(fmt.Sprintf("submit iute loan application of row %d", rec.Row), resp, err, fieldSet(t.Fields()), "")
	}
	var out newLoanXML
	if err := decodeXML(resp.Body, &out, "loan"); err != nil || !refRe.MatchString(strings.TrimSpace(out.LoanRef)) {
		if err == nil {
			err = fmt.Errorf("%w: no loan_ref in the answer", httpclient.ErrMalformedResponse)
		}
		// Iute answered 200, so the loan exists, but its ref is unreadable.
		return connectors.Receipt{HTTPStatus: resp.StatusCode}, fmt.Errorf("iute: row %d: the application was accepted but its loan_ref could not be read: %w: %w", rec.Row, httpclient.ErrOutcomeUnknown, err)
	}
	ref := strings.TrimSpace(out.LoanRef)
	extra := map[string]string{"loan_ref": ref}
	for k, v := range map[string]string{"client_pin": out.ClientPIN, "client_name": out.ClientName,
		"loan_period": out.LoanPeriod, "first_repayment_date": out.FirstRepaymentDate} {
		if v = strings.TrimSpace(v); v != "" {
			extra[k] = v
		}
	}
	if err := t.k.refs.add(context.WithoutCancel(ctx), ref, key); err != nil {
		// The loan exists at Iute: failing the row would invite a resend.
		t.k.log.Error("the loan was submitted but its ref could not be recorded for polling; import it with loan_refs",
			"loan_ref", ref, "row", rec.Row, "error", err)
		extra["ref_not_recorded"] = err.Error()
	}
	return connectors.Receipt{VendorID: ref, HTTPStatus: resp.StatusCode, Extra: extra}, nil
}

// Lookup: Iute offers no way to find an application (no list, no search,
// no partner reference field). A row whose outcome is unknown needs a
// human; Describe tells them what to look for.
func (t *loansTarget) Lookup(context.Context, connectors.Record, string, time.Time) (connectors.Receipt, bool, error) {
	return connectors.Receipt{}, false, connectors.ErrNoLookup
}

// Describe identifies the application for the person who checks Iute's CRM
// by hand.
func (t *loansTarget) Describe(rec connectors.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "loan application for client PIN %s, %s %s", orDash(text(rec, "pin")), text(rec, "first_name"), text(rec, "last_name"))
	if bd := text(rec, "birth_date"); bd != "" {
		fmt.Fprintf(&b, " (born %s)", bd)
	}
	if amt := text(rec, "loan_amount"); amt != "" {
		fmt.Fprintf(&b, ": %s %s over %s months", amt, t.k.cfg.Currency, orDash(text(rec, "loan_duration")))
	}
	if o := text(rec, "submit_post_office"); o != "" {
		fmt.Fprintf(&b, ", submitted at %s", o)
	}
	if s := text(rec, "submit_person"); s != "" {
		fmt.Fprintf(&b, " by %s", s)
	}
	b.WriteString(". Iute offers no lookup: search its CRM for this PIN before sending again")
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ---------------------------------------------------------------- repayments

// repaymentsTarget notifies Iute of repayments (GET insert/repayment).
type repaymentsTarget struct{ k *connector }

func (t *repaymentsTarget) Fields() []connectors.Field {
	return []connectors.Field{
		{Name: "loanRef", Type: connectors.TypeInteger, Required: true, Doc: "ref of the loan repaid; must be known to leadpipe"},
		{Name: "date", Type: connectors.TypeDate, Required: true, Format: RepaymentDateLayout, Doc: "repayment date, sent as ddMMyyyy"},
		{Name: "amount", Type: connectors.TypeNumber, Required: true, Currency: t.k.cfg.Currency, Doc: "amount paid back, e.g. 1095.68"},
	}
}

func (t *repaymentsTarget) params(ctx context.Context, rec connectors.Record) (url.Values, problems) {
	var p problems
	ref, msg := loanRef(rec, "loanRef")
	p.add("loanRef", msg)
	t.k.checkKnown(ctx, &p, "loanRef", ref)
	q := url.Values{"loanRef": {ref}}
	switch d, ok, msg := date(rec, "date"); {
	case msg != "":
		p.add("date", msg)
	case !ok:
		p.add("date", "is required")
	default:
		q.Set("date", d.Format(RepaymentDateLayout))
	}
	amt, msg := amount(rec, "amount")
	p.add("amount", msg)
	q.Set("amount", amt)
	return q, p
}

// Validate checks the ref (a whole number leadpipe knows), the date and a
// positive amount with at most two decimals.
func (t *repaymentsTarget) Validate(ctx context.Context, rec connectors.Record) []connectors.FieldError {
	_, p := t.params(ctx, rec)
	return p
}

// Send inserts the repayment. The GET is not idempotent: a dropped
// connection is an unknown outcome, never retried.
func (t *repaymentsTarget) Send(ctx context.Context, rec connectors.Record, _ string) (connectors.Receipt, error) {
	q, p := t.params(ctx, rec)
	if len(p) > 0 {
		return connectors.Receipt{}, fmt.Errorf("iute: row %d is not valid: %v", rec.Row, p[0])
	}
	resp, err := t.k.c.do(ctx, call{op: opRepayment, method: http.MethodGet, params: q})
	if err != nil {
		return connectors.Receipt{}, t.k.c.sendError(fmt.Sprintf("insert iute repayment of row %d on loan %s", rec.Row, q.Get("loanRef")), resp, err, fieldSet(t.Fields()), "loanRef")
	}
	kept := t.kept(q)
	return connectors.Receipt{VendorID: q.Get("loanRef"), HTTPStatus: resp.StatusCode, Payment: kept.Payment, Extra: kept.Extra}, nil
}

// kept is the repayment as the ledger keeps it: the loan, amount and
// currency typed, the date as sent.
func (t *repaymentsTarget) kept(q url.Values) connectors.Kept {
	amount, _ := schema.ParseMoney(q.Get("amount")) // amount() checked it: an invalid one is null
	return connectors.Kept{
		Payment: connectors.Payment{Loan: q.Get("loanRef"), Amount: amount, Currency: t.k.cfg.Currency},
		Extra:   map[string]string{"date": q.Get("date")},
	}
}

// Keep gives the ledger the repayment's loan, date and amount before it is
// sent: Iute gives repayments no id, so when the answer is lost these are
// what a person and the report compare with the loan's repaid balance.
func (t *repaymentsTarget) Keep(ctx context.Context, rec connectors.Record) connectors.Kept {
	q, _ := t.params(ctx, rec)
	return t.kept(q)
}

// Lookup: Iute gives repayments no id, and loan/info shows only the total
// repaid and what each installment still owes, so a repayment cannot be
// told apart from another of the same amount (or from one taken by
// another office).
func (t *repaymentsTarget) Lookup(context.Context, connectors.Record, string, time.Time) (connectors.Receipt, bool, error) {
	return connectors.Receipt{}, false, connectors.ErrNoLookup
}

// Describe identifies the repayment for the person who checks.
func (t *repaymentsTarget) Describe(rec connectors.Record) string {
	d := text(rec, "date")
	if v, ok, _ := date(rec, "date"); ok {
		d = v.Format(DateLayout)
	}
	return fmt.Sprintf("repayment of %s %s on %s to loan %s. Iute gives repayments no id: compare the loan's repaid amount (loan/info) with your records before sending again",
		orDash(text(rec, "amount")), t.k.cfg.Currency, orDash(d), orDash(text(rec, "loanRef")))
}

// ---------------------------------------------------------------- cash release

// cashReleaseTarget confirms that the cash was paid out (GET
// confirm/cash/release), after allow/cash/release said it is allowed.
type cashReleaseTarget struct{ k *connector }

func (t *cashReleaseTarget) Fields() []connectors.Field {
	return []connectors.Field{
		{Name: "loanRef", Type: connectors.TypeInteger, Required: true, Doc: "ref of the loan paid out; must be known to leadpipe"},
		{Name: "client_pin", Type: connectors.TypeString, Doc: "optional: must match the client PIN Iute has for the loan"},
		{Name: "loan_amount", Type: connectors.TypeNumber, Currency: t.k.cfg.Currency, Doc: "optional: must match the principal Iute has for the loan"},
	}
}

func (t *cashReleaseTarget) Validate(ctx context.Context, rec connectors.Record) []connectors.FieldError {
	var p problems
	ref, msg := loanRef(rec, "loanRef")
	p.add("loanRef", msg)
	t.k.checkKnown(ctx, &p, "loanRef", ref)
	if rec.Has("loan_amount") {
		_, msg := amount(rec, "loan_amount")
		p.add("loan_amount", msg)
	}
	return p
}

// Send asks allow/cash/release first and confirms only when it says
// allowed (and the optional PIN and amount match).
func (t *cashReleaseTarget) Send(ctx context.Context, rec connectors.Record, _ string) (connectors.Receipt, error) {
	if p := t.Validate(ctx, rec); len(p) > 0 {
		return connectors.Receipt{}, fmt.Errorf("iute: row %d is not valid: %v", rec.Row, p[0])
	}
	ref, _ := loanRef(rec, "loanRef")
	a, err := t.k.c.allowCashRelease(ctx, ref)
	var ve *vendorError
	if errors.As(err, &ve) && ve.Status == http.StatusBadRequest {
		return connectors.Receipt{}, rejected(ve, fieldSet(t.Fields()), "loanRef")
	}
	if err != nil {
		return connectors.Receipt{}, err
	}
	if !isTrue(a.Allowed) {
		return connectors.Receipt{}, fmt.Errorf("iute: loan %s (loan_status %q): %w", ref, strings.TrimSpace(a.LoanStatus), ErrCashReleaseNotAllowed)
	}
	if pin := text(rec, "client_pin"); pin != "" && !strings.EqualFold(pin, strings.TrimSpace(a.ClientPIN)) {
		return connectors.Receipt{}, &connectors.RejectedError{HTTPStatus: http.StatusOK, Field: "client_pin",
			Reason: fmt.Sprintf("Iute has another client PIN for loan %s; nothing was confirmed", ref)}
	}
	if rec.Has("loan_amount") {
		want, _ := amount(rec, "loan_amount")
		w, _ := parseAmount(want)
		got, ok := parseAmount(a.LoanAmount)
		if !ok || got != w {
			return connectors.Receipt{}, &connectors.RejectedError{HTTPStatus: http.StatusOK, Field: "loan_amount",
				Reason: fmt.Sprintf("Iute's principal for loan %s is %s, not %s; nothing was confirmed", ref, got, w)}
		}
	}
	resp, err := t.k.c.do(ctx, call{op: opConfirmRelease, method: http.MethodGet, params: url.Values{"loanRef": {ref}}})
	if err != nil {
		return connectors.Receipt{}, t.k.c.sendError(fmt.Sprintf("confirm iute cash release of loan %s", ref), resp, err, fieldSet(t.Fields()), "loanRef")
	}
	return connectors.Receipt{VendorID: ref, HTTPStatus: resp.StatusCode, Extra: map[string]string{
		"loan_ref": ref, "client_pin": strings.TrimSpace(a.ClientPIN), "loan_amount": strings.TrimSpace(a.LoanAmount)}}, nil
}

// Lookup: a loan that loan/info shows paid out had its cash release
// confirmed.
func (t *cashReleaseTarget) Lookup(ctx context.Context, rec connectors.Record, _ string, _ time.Time) (connectors.Receipt, bool, error) {
	ref, msg := loanRef(rec, "loanRef")
	if msg != "" {
		return connectors.Receipt{}, false, fmt.Errorf("iute: loanRef %s", msg)
	}
	info, err := t.k.c.loanInfo(ctx, ref)
	if err != nil {
		return connectors.Receipt{}, false, err
	}
	if strings.TrimSpace(info.Status) == InfoStatusSuccess && info.Loan != nil {
		return connectors.Receipt{VendorID: ref, HTTPStatus: http.StatusOK, Extra: map[string]string{"loan_ref": ref, "found_by": "loan/info"}}, true, nil
	}
	return connectors.Receipt{}, false, nil
}

func (t *cashReleaseTarget) Describe(rec connectors.Record) string {
	return fmt.Sprintf("cash release of loan %s", orDash(text(rec, "loanRef")))
}

// ---------------------------------------------------------------- cancel

// cancelTarget withdraws applications (GET cancel/loan), only in NEW or
// APPROVED.
type cancelTarget struct{ k *connector }

func (t *cancelTarget) Fields() []connectors.Field {
	return []connectors.Field{{Name: "loanRef", Type: connectors.TypeInteger, Required: true, Doc: "ref of the application to withdraw; must be known to leadpipe"}}
}

func (t *cancelTarget) Validate(ctx context.Context, rec connectors.Record) []connectors.FieldError {
	var p problems
	ref, msg := loanRef(rec, "loanRef")
	p.add("loanRef", msg)
	t.k.checkKnown(ctx, &p, "loanRef", ref)
	return p
}

// Send checks that the application is NEW (check/status false) or APPROVED
// (true, and cash release not yet allowed), then cancels it.
func (t *cancelTarget) Send(ctx context.Context, rec connectors.Record, _ string) (connectors.Receipt, error) {
	if p := t.Validate(ctx, rec); len(p) > 0 {
		return connectors.Receipt{}, fmt.Errorf("iute: row %d is not valid: %v", rec.Row, p[0])
	}
	ref, _ := loanRef(rec, "loanRef")
	no := func(reason string) error {
		return &connectors.RejectedError{HTTPStatus: http.StatusOK, Field: "loanRef",
			Reason: fmt.Sprintf("loan %s %s; only NEW or APPROVED applications can be cancelled", ref, reason)}
	}
	cr, err := t.k.c.checkStatus(ctx, ref)
	switch {
	case err != nil:
		return connectors.Receipt{}, err
	case cr.notFound != "":
		return connectors.Receipt{}, &connectors.RejectedError{HTTPStatus: http.StatusBadRequest, Field: "loanRef", Reason: cr.notFound}
	case cr.moved != "":
		return connectors.Receipt{}, no("has moved to another step (" + cr.moved + ")")
	}
	switch lower(cr.status.Approved) {
	case "false":
	case "true":
		a, err := t.k.c.allowCashRelease(ctx, ref)
		if err != nil {
			return connectors.Receipt{}, err
		}
		if isTrue(a.Allowed) {
			return connectors.Receipt{}, no("already has its cash release authorized")
		}
	case "rejected":
		return connectors.Receipt{}, no("was rejected")
	default:
		return connectors.Receipt{}, fmt.Errorf("iute: loan %s: check/status answered approved=%q, which the doc does not list; not cancelling", ref, cr.status.Approved)
	}
	resp, err := t.k.c.do(ctx, call{op: opCancel, method: http.MethodGet, params: url.Values{"loanRef": {ref}}})
	if err != nil {
		return connectors.Receipt{}, t.k.c.sendError(fmt.Sprintf("cancel iute loan %s", ref), resp, err, fieldSet(t.Fields()), "loanRef")
	}
	return connectors.Receipt{VendorID: ref, HTTPStatus: resp.StatusCode, Extra: map[string]string{"loan_ref": ref}}, nil
}

// Lookup: an application check/status still calls undecided or approved
// was not cancelled; one whose allow/cash/release loan_status says
// cancelled was. Anything else cannot be told apart and needs a human.
func (t *cancelTarget) Lookup(ctx context.Context, rec connectors.Record, _ string, _ time.Time) (connectors.Receipt, bool, error) {
	ref, msg := loanRef(rec, "loanRef")
	if msg != "" {
		return connectors.Receipt{}, false, fmt.Errorf("iute: loanRef %s", msg)
	}
	cr, err := t.k.c.checkStatus(ctx, ref)
	if err != nil {
		return connectors.Receipt{}, false, err
	}
	if cr.status != nil {
		switch lower(cr.status.Approved) {
		case "false", "true":
			return connectors.Receipt{}, false, nil
		}
	}
	a, err := t.k.c.allowCashRelease(ctx, ref)
	var ve *vendorError
	if err != nil && !errors.As(err, &ve) {
		return connectors.Receipt{}, false, err // could not ask: try the lookup again later
	}
	if err == nil && lower(a.LoanStatus) == "cancelled" {
		return connectors.Receipt{VendorID: ref, HTTPStatus: http.StatusOK, Extra: map[string]string{"loan_ref": ref, "found_by": "allow/cash/release loan_status"}}, true, nil
	}
	state := "unknown"
	if a != nil {
		state = "loan_status " + a.LoanStatus
	}
	return connectors.Receipt{}, false, fmt.Errorf("%w: loan %s has moved on (%s) and Iute does not say whether it was cancelled", connectors.ErrNoLookup, ref, state)
}

func (t *cancelTarget) Describe(rec connectors.Record) string {
	return fmt.Sprintf("cancellation of loan application %s", orDash(text(rec, "loanRef")))
}

// ---------------------------------------------------------------- agreements

// agreementTarget generates the specific agreement (GET
// generate/agreement) and saves the PDF as
// <agreements_dir>/specific_agreement_<ref>_<lang>.pdf.
type agreementTarget struct{ k *connector }

func (t *agreementTarget) Fields() []connectors.Field {
	return []connectors.Field{
		{Name: "loanRef", Type: connectors.TypeInteger, Required: true, Doc: "ref of an approved loan; must be known to leadpipe"},
		{Name: "lang", Type: connectors.TypeString, Required: t.k.cfg.AgreementLang == "", Doc: "three-letter language of the agreement (e.g. alb); default agreement_lang"},
	}
}

func (t *agreementTarget) params(ctx context.Context, rec connectors.Record) (string, string, problems) {
	var p problems
	ref, msg := loanRef(rec, "loanRef")
	p.add("loanRef", msg)
	t.k.checkKnown(ctx, &p, "loanRef", ref)
	lang := text(rec, "lang")
	if lang == "" {
		lang = t.k.cfg.AgreementLang
	}
	switch {
	case lang == "":
		p.add("lang", "is required (or set agreement_lang in the config)")
	case !langRe.MatchString(lang):
		p.add("lang", fmt.Sprintf("must be a three-letter language code such as alb, got %q", lang))
	}
	return ref, strings.ToLower(lang), p
}

func (t *agreementTarget) Validate(ctx context.Context, rec connectors.Record) []connectors.FieldError {
	_, _, p := t.params(ctx, rec)
	return p
}

func (t *agreementTarget) file(ref, lang string) string {
	return filepath.Join(t.k.cfg.AgreementsDir, "specific_agreement_"+ref+"_"+lang+".pdf")
}

// Send downloads the agreement and writes it atomically.
func (t *agreementTarget) Send(ctx context.Context, rec connectors.Record, _ string) (connectors.Receipt, error) {
	ref, lang, p := t.params(ctx, rec)
	if len(p) > 0 {
		return connectors.Receipt{}, fmt.Errorf("iute: row %d is not valid: %v", rec.Row, p[0])
	}
	resp, err := t.k.c.do(ctx, call{op: opAgreement, method: http.MethodGet, params: url.Values{"loanRef": {ref}, "lang": {lang}}, idempotent: true})
	if err != nil {
		return connectors.Receipt{}, t.k.c.sendError(fmt.Sprintf("generate iute agreement of loan %s", ref), resp, err, fieldSet(t.Fields()), "loanRef")
	}
	if !bytes.HasPrefix(bytes.TrimLeft(resp.Body, " \r\n\t"), []byte("%PDF")) {
		return connectors.Receipt{}, fmt.Errorf("iute: generate agreement of loan %s: %w: the answer is not a PDF (%s)", ref, httpclient.ErrMalformedResponse, snippet(resp.Body))
	}
	dst := t.file(ref, lang)
	if err := writeAtomic(dst, resp.Body); err != nil {
		return connectors.Receipt{}, fmt.Errorf("iute: save agreement of loan %s: %w", ref, err)
	}
	extra := map[string]string{"loan_ref": ref, "file": dst, "bytes": fmt.Sprint(len(resp.Body))}
	if _, ps, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil && ps["filename"] != "" {
		extra["vendor_filename"] = ps["filename"]
	}
	return connectors.Receipt{VendorID: ref, HTTPStatus: resp.StatusCode, Extra: extra}, nil
}

// Lookup finds the PDF already saved.
func (t *agreementTarget) Lookup(ctx context.Context, rec connectors.Record, _ string, _ time.Time) (connectors.Receipt, bool, error) {
	ref, lang, p := t.params(ctx, rec)
	if len(p) > 0 {
		return connectors.Receipt{}, false, fmt.Errorf("iute: row %d is not valid: %v", rec.Row, p[0])
	}
	dst := t.file(ref, lang)
	fi, err := os.Stat(dst)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return connectors.Receipt{}, false, nil
	case err != nil:
		return connectors.Receipt{}, false, err
	}
	return connectors.Receipt{VendorID: ref, Extra: map[string]string{"loan_ref": ref, "file": dst, "bytes": fmt.Sprint(fi.Size())}}, true, nil
}

func (t *agreementTarget) Describe(rec connectors.Record) string {
	return fmt.Sprintf("agreement of loan %s", orDash(text(rec, "loanRef")))
}

// writeAtomic writes data to dst through a temporary file and a rename, so
// that dst is either absent or complete.
func writeAtomic(dst string, data []byte) error {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(dst)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// ---------------------------------------------------------------- files

// filesTarget uploads the signed agreement and the bank statement (POST
// loan/files/upload, multipart).
type filesTarget struct{ k *connector }

func (t *filesTarget) Fields() []connectors.Field {
	return []connectors.Field{
		{Name: "loan_ref", Type: connectors.TypeInteger, Required: true, Doc: "ref of the loan; must be known to leadpipe"},
		{Name: "loan_agreement", Type: connectors.TypeFile, Required: true, Doc: "the agreement signed by the client (jpg or pdf)"},
		{Name: "bank_statement", Type: connectors.TypeFile, Required: true, Doc: "the client's bank statement (jpg or pdf)"},
	}
}

func (t *filesTarget) params(ctx context.Context, rec connectors.Record) (string, map[string]string, problems) {
	var p problems
	ref, msg := loanRef(rec, "loan_ref")
	p.add("loan_ref", msg)
	t.k.checkKnown(ctx, &p, "loan_ref", ref)
	files := map[string]string{}
	for _, f := range []string{"loan_agreement", "bank_statement"} {
		loc, msg := fileField(rec, f, true)
		p.add(f, msg)
		files[f] = loc
	}
	return ref, files, p
}

func (t *filesTarget) Validate(ctx context.Context, rec connectors.Record) []connectors.FieldError {
	_, _, p := t.params(ctx, rec)
	return p
}

func (t *filesTarget) Send(ctx context.Context, rec connectors.Record, _ string) (connectors.Receipt, error) {
	ref, files, p := t.params(ctx, rec)
	if len(p) > 0 {
		return connectors.Receipt{}, fmt.Errorf("iute: row %d is not valid: %v", rec.Row, p[0])
	}
	var parts []filePart
	for _, f := range []string{"loan_agreement", "bank_statement"} {
		fp, err := t.k.readFile(ctx, f, files[f])
		if err != nil {
			return connectors.Receipt{}, err
		}
		parts = append(parts, fp)
	}
	resp, err := t.k.c.do(ctx, call{op: opUpload, method: http.MethodPost, params: url.Values{"loan_ref": {ref}}, files: parts, multipart: true})
	if err != nil {
		return connectors.Receipt{}, t.k.c.sendError(fmt.Sprintf("upload iute files of loan %s", ref), resp, err, fieldSet(t.Fields()), "loan_ref")
	}
	return connectors.Receipt{VendorID: ref, HTTPStatus: resp.StatusCode, Extra: map[string]string{"loan_ref": ref}}, nil
}

// Lookup: Iute does not list a loan's files.
func (t *filesTarget) Lookup(context.Context, connectors.Record, string, time.Time) (connectors.Receipt, bool, error) {
	return connectors.Receipt{}, false, connectors.ErrNoLookup
}

func (t *filesTarget) Describe(rec connectors.Record) string {
	return fmt.Sprintf("file upload (%s, %s) for loan %s", path.Base(text(rec, "loan_agreement")), path.Base(text(rec, "bank_statement")), orDash(text(rec, "loan_ref")))
}
