package iutetest

import (
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds a request body (multipart uploads included).
const maxBody = 20 << 20

// xmlDecl is the declaration JAXB writes in front of every XML response.
const xmlDecl = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

type endpoint struct {
	method        string
	kind          string // recorded write kind, "" for reads
	multipartOnly bool   // POST bodies must be multipart/form-data
	handle        func(s *Server, q params, now time.Time) reply
}

var endpoints = map[string]endpoint{
	"/loan/calc":            {method: http.MethodPost, handle: (*Server).loanCalc},
	"/new/loan":             {method: http.MethodPost, kind: KindNewLoan, multipartOnly: true, handle: (*Server).newLoan},
	"/cancel/loan":          {method: http.MethodGet, kind: KindCancelLoan, handle: (*Server).cancelLoan},
	"/loan/check/status":    {method: http.MethodPost, handle: (*Server).checkStatus},
	"/loan/info":            {method: http.MethodGet, handle: (*Server).loanInfo},
	"/generate/agreement":   {method: http.MethodGet, handle: (*Server).generateAgreement},
	"/loan/files/upload":    {method: http.MethodPost, kind: KindUploadFiles, multipartOnly: true, handle: (*Server).uploadFiles},
	"/allow/cash/release":   {method: http.MethodGet, handle: (*Server).allowCashRelease},
	"/confirm/cash/release": {method: http.MethodGet, kind: KindConfirmCashRelease, handle: (*Server).confirmCashRelease},
	"/insert/repayment":     {method: http.MethodGet, kind: KindInsertRepayment, handle: (*Server).insertRepayment},
}

// params are the request parameters: the query string for GET, the form
// body (and the query string) for POST.
type params struct {
	v     url.Values
	files map[string][]*multipart.FileHeader
}

func (p params) get(k string) string { return strings.TrimSpace(p.v.Get(k)) }
func (p params) has(k string) bool   { _, ok := p.v[k]; return ok }

func (p params) flat() map[string]string {
	m := make(map[string]string, len(p.v))
	for k, vs := range p.v {
		if len(vs) > 0 {
			m[k] = vs[0]
		}
	}
	return m
}

func (p params) fileList() []File {
	var out []File
	for field, fhs := range p.files {
		for _, fh := range fhs {
			out = append(out, File{Field: field, Filename: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Size: fh.Size})
		}
	}
	return out
}

// reply is a response before it is written.
type reply struct {
	status  int
	ctype   string
	headers map[string]string
	body    []byte
	errs    []string
	ref     int
}

func okEmpty(ref int) reply { return reply{status: http.StatusOK, ref: ref} }

func xmlReply(ref int, v any) reply {
	b, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return errReply(http.StatusInternalServerError, err.Error())
	}
	body := append([]byte(xmlDecl), b...)
	body = append(body, '\n')
	return reply{status: http.StatusOK, ctype: "application/xml;charset=UTF-8", body: body, ref: ref}
}

func errReply(status int, errs ...string) reply {
	return reply{status: status, ctype: "text/html;charset=UTF-8", body: errorPage(status, errs), errs: errs}
}

func (r reply) withRef(ref int) reply { r.ref = ref; return r }

// errorPage renders the HTML error page: every message is one <li> of
// <ul class="errors">.
func errorPage(status int, errs []string) []byte {
	title := fmt.Sprintf("%d %s", status, http.StatusText(status))
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"UTF-8\">\n<title>Error ")
	b.WriteString(title)
	b.WriteString("</title>\n</head>\n<body>\n<h1>HTTP Status ")
	b.WriteString(title)
	b.WriteString("</h1>\n<ul class=\"errors\">\n")
	for _, e := range errs {
		b.WriteString("<li>")
		b.WriteString(html.EscapeString(e))
		b.WriteString("</li>\n")
	}
	b.WriteString("</ul>\n</body>\n</html>\n")
	return []byte(b.String())
}

func (r reply) write(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range r.headers {
		h.Set(k, v)
	}
	if r.ctype != "" {
		h.Set("Content-Type", r.ctype)
	}
	h.Set("Content-Length", strconv.Itoa(len(r.body)))
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

// apiPath returns the path relative to BasePath, or false when the request
// is not for the API.
func apiPath(p string) (string, bool) {
	if strings.HasPrefix(p, ContextPath+BasePath+"/") {
		p = strings.TrimPrefix(p, ContextPath)
	}
	if !strings.HasPrefix(p, BasePath+"/") {
		return "", false
	}
	return strings.TrimPrefix(p, BasePath), true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	op, ok := apiPath(r.URL.Path)
	if !ok {
		errReply(http.StatusNotFound, "No resource found at "+r.URL.Path).write(w)
		return
	}
	if !checkBasicAuth(r) {
		errReply(http.StatusForbidden, "Access is denied: invalid or missing Basic authentication credentials").write(w)
		return
	}
	ep, ok := endpoints[op]
	if !ok {
		errReply(http.StatusNotFound, "No resource found at "+r.URL.Path).write(w)
		return
	}
	if r.Method != ep.method {
		rep := errReply(http.StatusMethodNotAllowed, "Request method '"+r.Method+"' is not supported; use "+ep.method)
		rep.headers = map[string]string{"Allow": ep.method}
		rep.write(w)
		return
	}
	now := s.now()
	q, perr := parseParams(w, r, ep)

	s.mu.Lock()
	var rep reply
	switch {
	case perr != nil:
		rep = *perr
	case q.get("partner_type") == "":
		rep = errReply(http.StatusBadRequest, "partner_type: is required")
	case q.get("partner_type") != PartnerType:
		rep = errReply(http.StatusForbidden, "Access is denied for partner_type '"+q.get("partner_type")+"'")
	default:
		rep = ep.handle(s, q, now)
	}
	if ep.kind != "" {
		s.received = append(s.received, Submission{
			Kind: ep.kind, Method: r.Method, Path: op, Params: q.flat(), Files: q.fileList(),
			Time: now, LoanRef: rep.ref, Status: rep.status, Accepted: rep.status == http.StatusOK,
			Errors: rep.errs,
		})
	}
	s.mu.Unlock()
	rep.write(w)
}

func parseParams(w http.ResponseWriter, r *http.Request, ep endpoint) (params, *reply) {
	q := params{v: r.URL.Query()}
	if r.Method != http.MethodPost {
		return q, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	want := "multipart/form-data or application/x-www-form-urlencoded"
	if ep.multipartOnly {
		want = "multipart/form-data"
	}
	fail := func(status int, msg string) (params, *reply) {
		rep := errReply(status, msg)
		return q, &rep
	}
	switch {
	case err == nil && mt == "multipart/form-data":
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return fail(http.StatusBadRequest, "Could not read multipart request: "+err.Error())
		}
		body := url.Values{}
		for k, vs := range r.MultipartForm.Value {
			body[k] = vs
		}
		q.v = merge(body, q.v)
		q.files = r.MultipartForm.File
		return q, nil
	case err == nil && mt == "application/x-www-form-urlencoded" && !ep.multipartOnly:
		if err := r.ParseForm(); err != nil {
			return fail(http.StatusBadRequest, "Could not read form request: "+err.Error())
		}
		q.v = merge(r.PostForm, q.v)
		return q, nil
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		ct = "none"
	}
	return fail(http.StatusUnsupportedMediaType, "Content type '"+ct+"' is not supported; use "+want)
}

// merge returns body values followed by query values of the same name.
func merge(body, query url.Values) url.Values {
	out := url.Values{}
	for k, vs := range body {
		out[k] = append(out[k], vs...)
	}
	for k, vs := range query {
		out[k] = append(out[k], vs...)
	}
	return out
}

var errRefFormat = errors.New("must be an integer")

func parseRef(s string) (int, error) {
	if !intRe.MatchString(s) {
		return 0, errRefFormat
	}
	return strconv.Atoi(s)
}
