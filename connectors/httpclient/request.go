package httpclient

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Request is one call to a vendor. The body is a byte slice so it can be sent
// again on a retry; build multipart bodies with mime/multipart into a buffer
// and set ContentType to the writer's FormDataContentType().
type Request struct {
	Method      string      // default GET
	URL         string      // absolute
	Header      http.Header // extra headers; auth is added by the Client
	Body        []byte
	ContentType string // sets Content-Type when Body is not nil
	// Idempotent says whether sending the request twice is harmless. Nil
	// means the method's default: true for GET, HEAD, PUT, DELETE, OPTIONS
	// and TRACE, false for POST, PATCH and anything else. Set it with
	// new(true) for a POST that only reads (a search), or new(false) for a
	// PUT or DELETE that must not be repeated.
	Idempotent *bool
}

// Response is a vendor's answer with its whole body read (at most
// Config.MaxBodyBytes).
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	Attempts   int // how many times the request was sent
}

// NewJSONRequest returns a request whose body is v encoded as JSON.
func NewJSONRequest(method, rawURL string, v any) (*Request, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode json body for %s: %w", method, err)
	}
	return &Request{Method: method, URL: rawURL, Body: b, ContentType: "application/json"}, nil
}

// NewFormRequest returns a request whose body is form, URL-encoded.
func NewFormRequest(method, rawURL string, form url.Values) *Request {
	return &Request{
		Method:      method,
		URL:         rawURL,
		Body:        []byte(form.Encode()),
		ContentType: "application/x-www-form-urlencoded",
	}
}

func (r *Request) method() string {
	if r.Method == "" {
		return http.MethodGet
	}
	return strings.ToUpper(r.Method)
}

func (r *Request) idempotent() bool {
	if r.Idempotent != nil {
		return *r.Idempotent
	}
	switch r.method() {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}
