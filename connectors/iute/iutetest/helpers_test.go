package iutetest

import (
	"bytes"
	"encoding/xml"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

var testNow = time.Date(2026, 11, 15, 9, 30, 0, 0, time.UTC)

func newTest(t *testing.T, opts sandbox.Options) (*Server, *client) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, &client{t: t, base: s.Env(ts.URL)["IUTE_BASE_URL"], user: Username, pass: Password}
}

type client struct {
	t          *testing.T
	base       string
	user, pass string
	noAuth     bool
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) errors() []string {
	var out []string
	for _, m := range liRe.FindAllStringSubmatch(string(r.body), -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

var liRe = regexp.MustCompile(`<li>(.*?)</li>`)

func (c *client) do(req *http.Request) resp {
	c.t.Helper()
	if !c.noAuth {
		req.SetBasicAuth(c.user, c.pass)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func withPT(v url.Values) url.Values {
	out := url.Values{"partner_type": {PartnerType}}
	for k, vs := range v {
		out[k] = vs
	}
	return out
}

func (c *client) get(path string, q url.Values) resp {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path+"?"+q.Encode(), nil)
	return c.do(req)
}

func (c *client) postForm(path string, v url.Values) resp {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

type upload struct {
	name    string
	content []byte
}

func (c *client) postMultipart(path string, v url.Values, files map[string]upload) resp {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, val := range v[k] {
			_ = mw.WriteField(k, val)
		}
	}
	for field, f := range files {
		fw, err := mw.CreateFormFile(field, f.name)
		if err != nil {
			c.t.Fatal(err)
		}
		_, _ = fw.Write(f.content)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func refQ(ref string) url.Values { return withPT(url.Values{"loanRef": {ref}}) }

func validApplication() url.Values {
	return withPT(url.Values{
		"pin": {"I80606014N"}, "first_name": {"Nelea"}, "last_name": {"Iacovet"}, "patronymic": {"Ion"},
		"birth_date": {"31.08.1997"}, "document_serial": {"B01234567"}, "gsm": {"0602160911"},
		"phone_home": {"022123456"}, "alt_contact_name": {"June"}, "alt_contact_relation": {"sister"},
		"alt_contact_phone": {"0987654321"}, "town": {"Chisinau"}, "street": {"Long street"},
		"house_nr": {"11"}, "apartment_nr": {""}, "loan_amount": {"2000"}, "loan_duration": {"6"},
		"submit_person": {"Mike"}, "submit_post_office": {"o.p.6514"},
	})
}

// XML shapes as a connector would decode them.
type xLoan struct {
	LoanRef            int    `xml:"loan_ref"`
	LoanPeriod         int    `xml:"loan_period"`
	FirstRepaymentDate string `xml:"first_repayment_date"`
	ClientPIN          string `xml:"client_pin"`
	ClientName         string `xml:"client_name"`
	Approved           string `xml:"approved"`
	Allowed            string `xml:"allowed"`
	LoanStatus         string `xml:"loan_status"`
	LoanAmount         string `xml:"loan_amount"`
	ClientFirstName    string `xml:"client_first_name"`
	ClientLastName     string `xml:"client_last_name"`
}

type xInfo struct {
	Message string `xml:"message"`
	Status  int    `xml:"status"`
	Loan    *struct {
		LoanRef          int    `xml:"loan_ref"`
		LoanPeriod       int    `xml:"loan_period"`
		TotalBalance     string `xml:"total_balance"`
		Repaid           string `xml:"repaid"`
		RemainingBalance string `xml:"remaining_balance"`
		ClientPIN        string `xml:"client_pin"`
		ClientName       string `xml:"client_name"`
		Installments     []struct {
			Number   int    `xml:"number"`
			DueDate  string `xml:"due_date"`
			Total    string `xml:"total"`
			ToBePaid string `xml:"to_be_paid"`
		} `xml:"installment_table>installment"`
	} `xml:"loan"`
}

func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if err := xml.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

func (c *client) newLoan(t *testing.T, v url.Values) int {
	t.Helper()
	r := c.postMultipart("/new/loan", v, nil)
	return decode[xLoan](t, r).LoanRef
}

func (c *client) status(t *testing.T, ref int) resp {
	t.Helper()
	return c.postForm("/loan/check/status", withPT(url.Values{"loan_ref": {itoa(ref)}}))
}

func itoa(n int) string { return strconv.Itoa(n) }
