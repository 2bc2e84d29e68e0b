package iute

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
)

// The documented URIs, relative to BasePath.
const (
	opCalc           = "/loan/calc"
	opNewLoan        = "/new/loan"
	opCancel         = "/cancel/loan"
	opCheckStatus    = "/loan/check/status"
	opLoanInfo       = "/loan/info"
	opAgreement      = "/generate/agreement"
	opUpload         = "/loan/files/upload"
	opAllowRelease   = "/allow/cash/release"
	opConfirmRelease = "/confirm/cash/release"
	opRepayment      = "/insert/repayment"
)

// client speaks the Partner API: HTTP Basic, partner_type on every call,
// form-encoded or multipart requests, XML answers and HTML error pages.
type client struct {
	http        *httpclient.Client
	base        string
	partnerType string
}

func newClient(c *Config, env connectors.Env) *client {
	h := env.NewClient(Vendor, connectors.ClientSettings{Timeout: c.Timeout, RateLimit: c.RateLimit, Concurrency: c.Concurrency})
	h.SetBasicAuth(c.Username, c.Password.Reveal())
	return &client{http: h, base: c.BaseURL, partnerType: strings.TrimSpace(c.PartnerType)}
}

// call describes one request.
type call struct {
	op         string
	method     string
	params     url.Values // query (GET) or form (POST) values, partner_type added
	files      []filePart // multipart files (POST only)
	multipart  bool
	idempotent bool
}

// filePart is one file of a multipart request.
type filePart struct {
	field, filename, contentType string
	data                         []byte
}

// do sends the call. A non-2xx answer returns the *Response together with
// the error, so that callers can read the vendor's HTML error page.
func (c *client) do(ctx context.Context, k call) (*httpclient.Response, error) {
	params := url.Values{}
	for name, vs := range k.params {
		params[name] = vs
	}
	params.Set("partner_type", c.partnerType)
	req := &httpclient.Request{Method: k.method, URL: c.base + k.op, Idempotent: new(k.idempotent)}
	// A non-idempotent GET (insert/repayment...) is never replayed on a
	// dead keep-alive connection: the shared client sends it on a fresh one.
	switch {
	case k.method == http.MethodGet:
		req.URL += "?" + params.Encode()
	case k.multipart:
		body, ctype, err := multipartBody(params, k.files)
		if err != nil {
			return nil, fmt.Errorf("iute: build %s request: %w", k.op, err)
		}
		req.Body, req.ContentType = body, ctype
	default:
		req.Body, req.ContentType = []byte(params.Encode()), "application/x-www-form-urlencoded"
	}
	return c.http.Do(ctx, req)
}

// multipartBody writes the fields in a stable order (partner_type last, as
// in the doc's sample) followed by the files.
func multipartBody(params url.Values, files []filePart) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	names := make([]string, 0, len(params))
	for n := range params {
		if n != "partner_type" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	names = append(names, "partner_type")
	for _, n := range names {
		for _, v := range params[n] {
			if err := w.WriteField(n, v); err != nil {
				return nil, "", err
			}
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, quoteEscaper.Replace(f.field), quoteEscaper.Replace(f.filename)))
		h.Set("Content-Type", f.contentType)
		pw, err := w.CreatePart(h)
		if err != nil {
			return nil, "", err
		}
		if _, err := pw.Write(f.data); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

// vendorError is a 4xx answer with the messages of Iute's HTML error page.
type vendorError struct {
	Status   int
	Messages []string
	err      error // the client's *StatusError, redacted
}

func (e *vendorError) Error() string {
	var se *httpclient.StatusError
	if !errors.As(e.err, &se) {
		return e.err.Error()
	}
	return fmt.Sprintf("%s: %s %s: %d %s: %s", se.Vendor, se.Method, se.URL, se.StatusCode, http.StatusText(se.StatusCode), e.text())
}
func (e *vendorError) Unwrap() error { return e.err }

// text is every message on one line.
func (e *vendorError) text() string { return strings.Join(e.Messages, "; ") }

// contains reports whether a message contains s (case-insensitive).
func (e *vendorError) contains(s string) bool {
	return strings.Contains(strings.ToLower(e.text()), strings.ToLower(s))
}

// vendorError turns a 4xx answer into a *vendorError whose messages are
// redacted, and returns other errors unchanged.
func (c *client) vendorError(resp *httpclient.Response, err error) error {
	err = asVendorError(resp, err)
	var ve *vendorError
	if errors.As(err, &ve) {
		for i, m := range ve.Messages {
			ve.Messages[i] = c.http.Redact(m)
		}
	}
	return err
}

// asVendorError turns a 4xx answer into a *vendorError and returns other
// errors unchanged. Its messages are not redacted: use client.vendorError.
func asVendorError(resp *httpclient.Response, err error) error {
	var se *httpclient.StatusError
	if err == nil || resp == nil || !errors.As(err, &se) || se.StatusCode < 400 || se.StatusCode >= 500 {
		return err
	}
	msgs := errorMessages(resp.Body)
	if len(msgs) == 0 {
		msgs = []string{fmt.Sprintf("HTTP %d %s", se.StatusCode, http.StatusText(se.StatusCode))}
	}
	return &vendorError{Status: se.StatusCode, Messages: msgs, err: err}
}

var (
	liRe    = regexp.MustCompile(`(?is)<li[^>]*>(.*?)</li>`)
	bodyRe  = regexp.MustCompile(`(?is)<body[^>]*>(.*?)</body>`)
	h1Re    = regexp.MustCompile(`(?is)<h1[^>]*>.*?</h1>`)
	tagRe   = regexp.MustCompile(`(?s)<[^>]*>`)
	spaceRe = regexp.MustCompile(`\s+`)
)

// errorMessages reads the messages of an HTML error page: its <li> items
// when it has a list (the sandbox's shape), otherwise the text of its body
// without the heading, cut to 500 characters. A body that is not HTML is
// taken as plain text.
func errorMessages(body []byte) []string {
	s := string(body)
	var out []string
	for _, m := range liRe.FindAllStringSubmatch(s, -1) {
		if t := cleanText(m[1]); t != "" {
			out = append(out, t)
		}
	}
	if len(out) > 0 {
		return out
	}
	if m := bodyRe.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	s = h1Re.ReplaceAllString(s, " ")
	if t := cleanText(s); t != "" {
		if r := []rune(t); len(r) > 500 {
			t = string(r[:500]) + "…"
		}
		return []string{t}
	}
	return nil
}

func cleanText(s string) string {
	s = tagRe.ReplaceAllString(s, " ")
	s = html.UnescapeString(s)
	return strings.TrimSpace(spaceRe.ReplaceAllString(s, " "))
}

// fieldOf splits a "field: message" error into its field and reason when
// the field is one of known.
func fieldOf(msg string, known map[string]bool) (string, string) {
	f, rest, ok := strings.Cut(msg, ":")
	f = strings.TrimSpace(f)
	if ok && known[f] {
		return f, strings.TrimSpace(rest)
	}
	return "", msg
}

// rejected turns the vendor's 400 into a *connectors.RejectedError. The
// field is set when every message names the same field.
func rejected(ve *vendorError, known map[string]bool, defaultField string) *connectors.RejectedError {
	field := ""
	var reasons []string
	same := true
	for i, m := range ve.Messages {
		f, r := fieldOf(m, known)
		if i == 0 {
			field = f
		} else if f != field {
			same = false
		}
		reasons = append(reasons, m)
		if len(ve.Messages) == 1 && f != "" {
			reasons[0] = r
		}
	}
	if !same {
		field = ""
	}
	if field != "" && len(ve.Messages) > 1 {
		for i, m := range reasons {
			_, reasons[i] = fieldOf(m, known)
		}
	}
	if field == "" && len(ve.Messages) == 1 {
		field = defaultField
	}
	return &connectors.RejectedError{HTTPStatus: ve.Status, Field: field, Reason: strings.Join(reasons, "; ")}
}

// decodeXML decodes an XML answer whose root element is one of roots.
func decodeXML(body []byte, out any, roots ...string) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = charsetReader
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("%w: no XML element in the answer (%s)", httpclient.ErrMalformedResponse, snippet(body))
			}
			return fmt.Errorf("%w: %w (%s)", httpclient.ErrMalformedResponse, err, snippet(body))
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		match := len(roots) == 0
		for _, r := range roots {
			match = match || se.Name.Local == r
		}
		if !match {
			return fmt.Errorf("%w: root element <%s>, expected <%s> (%s)", httpclient.ErrMalformedResponse, se.Name.Local, strings.Join(roots, "> or <"), snippet(body))
		}
		if err := d.DecodeElement(out, &se); err != nil {
			return fmt.Errorf("%w: %w (%s)", httpclient.ErrMalformedResponse, err, snippet(body))
		}
		return nil
	}
}

// charsetReader accepts the XML encodings a Java service may declare.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "latin1", "latin-1", "iso_8859-1":
		b, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return strings.NewReader(string(r)), nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q", label)
}

// snippet is the start of a body for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(spaceRe.ReplaceAllString(string(b), " "))
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…"
	}
	if s == "" {
		return "empty body"
	}
	return fmt.Sprintf("body %q", s)
}

// Wire types. Every value is kept as text and parsed by the normalizer, so
// a number written like a Java double (5000.0, 1.0E7) or a boolean in
// capitals (TRUE) never fails a decode.

// calcXML is loan/calc's answer (<loan_calc> in the doc's sample; <loan>
// is accepted too, as the doc says every answer is wrapped in it).
type calcXML struct {
	FirstRepaymentDate string `xml:"first_repayment_date"`
	MonthlyPayment     string `xml:"monthly_payment"`
	TotalLoanAmount    string `xml:"total_loan_amount"`
}

// newLoanXML is new/loan's answer.
type newLoanXML struct {
	LoanRef            string `xml:"loan_ref"`
	LoanPeriod         string `xml:"loan_period"`
	FirstRepaymentDate string `xml:"first_repayment_date"`
	ClientPIN          string `xml:"client_pin"`
	ClientName         string `xml:"client_name"`
}

// statusXML is check/status's answer.
type statusXML struct {
	Approved string `xml:"approved"`
	LoanRef  string `xml:"loan_ref"`
}

// loanResponseXML is loan/info's answer: status 0 with the loan, or -1
// "No active loan found!".
type loanResponseXML struct {
	Message string       `xml:"message"`
	Status  string       `xml:"status"`
	Loan    *loanInfoXML `xml:"loan"`
}

type loanInfoXML struct {
	LoanRef          string           `xml:"loan_ref"`
	LoanPeriod       string           `xml:"loan_period"`
	TotalBalance     string           `xml:"total_balance"`
	Repaid           string           `xml:"repaid"`
	RemainingBalance string           `xml:"remaining_balance"`
	ClientPIN        string           `xml:"client_pin"`
	ClientName       string           `xml:"client_name"`
	Installments     []installmentXML `xml:"installment_table>installment"`
}

type installmentXML struct {
	Number   string `xml:"number"`
	DueDate  string `xml:"due_date"`
	Total    string `xml:"total"`
	ToBePaid string `xml:"to_be_paid"`
}

// allowXML is allow/cash/release's answer.
type allowXML struct {
	Allowed         string `xml:"allowed"`
	LoanStatus      string `xml:"loan_status"`
	LoanRef         string `xml:"loan_ref"`
	LoanAmount      string `xml:"loan_amount"`
	ClientPIN       string `xml:"client_pin"`
	ClientFirstName string `xml:"client_first_name"`
	ClientLastName  string `xml:"client_last_name"`
}

// Answers of the read interfaces.

// checkResult is check/status's answer: the <approved> value, or the
// documented 400 "moved to another step", or an unknown ref.
type checkResult struct {
	status   *statusXML
	moved    string // the 400 message when the application moved on
	notFound string // the 400 message when Iute does not know the ref
}

// isNotFound reports whether a 400 says the ref is unknown (the sandbox's
// "Loan not found: <ref>"; the doc names no such case).
func isNotFound(ve *vendorError) bool {
	return ve.Status == http.StatusBadRequest && ve.contains("not found") && !ve.contains("no active loan")
}

func (c *client) checkStatus(ctx context.Context, ref string) (*checkResult, error) {
	resp, err := c.do(ctx, call{op: opCheckStatus, method: http.MethodPost, params: url.Values{"loan_ref": {ref}}, idempotent: true})
	if err = c.vendorError(resp, err); err != nil {
		var ve *vendorError
		if errors.As(err, &ve) && ve.Status == http.StatusBadRequest {
			if isNotFound(ve) {
				return &checkResult{notFound: ve.text()}, nil
			}
			// The doc's only 400 for a valid request: "If loan application
			// has moved to any other process step then HTTP code 400 is
			// returned".
			return &checkResult{moved: ve.text()}, nil
		}
		return nil, fmt.Errorf("check iute loan %s status: %w", ref, err)
	}
	var out statusXML
	if err := decodeXML(resp.Body, &out, "loan"); err != nil {
		return nil, fmt.Errorf("iute: check loan %s status: %w", ref, err)
	}
	return &checkResult{status: &out}, nil
}

func (c *client) loanInfo(ctx context.Context, ref string) (*loanResponseXML, error) {
	resp, err := c.do(ctx, call{op: opLoanInfo, method: http.MethodGet, params: url.Values{"loanRef": {ref}}, idempotent: true})
	if err = c.vendorError(resp, err); err != nil {
		return nil, fmt.Errorf("read iute loan %s info: %w", ref, err)
	}
	var out loanResponseXML
	if err := decodeXML(resp.Body, &out, "loan_response"); err != nil {
		return nil, fmt.Errorf("iute: read loan %s info: %w", ref, err)
	}
	return &out, nil
}

// allowCashRelease asks whether cash release is allowed. A 400 comes back
// as a *vendorError.
func (c *client) allowCashRelease(ctx context.Context, ref string) (*allowXML, error) {
	resp, err := c.do(ctx, call{op: opAllowRelease, method: http.MethodGet, params: url.Values{"loanRef": {ref}}, idempotent: true})
	if err = c.vendorError(resp, err); err != nil {
		return nil, fmt.Errorf("ask iute whether cash release of loan %s is allowed: %w", ref, err)
	}
	var out allowXML
	if err := decodeXML(resp.Body, &out, "loan"); err != nil {
		return nil, fmt.Errorf("iute: allow cash release of loan %s: %w", ref, err)
	}
	return &out, nil
}
