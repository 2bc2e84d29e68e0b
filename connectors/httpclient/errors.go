package httpclient

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/connectors/outcome"
)

// Sentinel errors. Errors returned by Client.Do wrap them with %w, so test
// them with errors.Is. Errors also answer errors.Is for the outcomes of
// package connectors (connectors/outcome) their status says: a
// *StatusError with 429 is connectors.ErrNotSent, 401 and 403
// connectors.ErrCredentials, and so on (outcome.ForStatus).
var (
	// ErrOutcomeUnknown means a non-idempotent request (a POST that creates
	// something) may have reached the vendor, and the client cannot tell
	// whether the vendor acted on it: the connection dropped after the
	// request was written, the attempt timed out waiting for the response, or
	// the vendor answered 5xx. It is never retried. The push engine must look
	// the row up at the vendor before sending it again. It is
	// connectors.ErrOutcomeUnknown.
	ErrOutcomeUnknown = outcome.ErrOutcomeUnknown

	// ErrRateLimitWaitTooLong means the vendor asked the client to wait
	// (Retry-After, X-RateLimit-Reset) longer than Config.MaxWait. The error
	// message says how long the vendor asked for. Nothing was sent: the
	// error is connectors.ErrNotSent too.
	ErrRateLimitWaitTooLong = errors.New("rate limit wait too long")

	// ErrMalformedResponse means a 2xx response body could not be decoded
	// (DoJSON). It is not retried: the vendor would most likely send the same
	// body again.
	ErrMalformedResponse = errors.New("malformed response body")

	// ErrResponseTooLarge means a response body was larger than
	// Config.MaxBodyBytes. It is not retried.
	ErrResponseTooLarge = errors.New("response body too large")
)

// StatusError is returned when the vendor answers with a status that is not
// 2xx and the client will not (or can no longer) retry. Every field is safe to
// log: URL, Body and Header are redacted.
type StatusError struct {
	Vendor     string
	Method     string
	URL        string // redacted
	StatusCode int
	// Body is a short, redacted, single-line snippet of the response body.
	// The full body is in the *Response that Do returns next to the error.
	Body string
	// Header is the response header with cookies and secret-looking headers
	// removed.
	Header http.Header
	// Attempts is how many times the request was sent.
	Attempts int
}

// Error formats as
// "lumi: GET https://host/v1/leads?page_index=3: 403 Forbidden: <body>".
func (e *StatusError) Error() string {
	var b strings.Builder
	writePrefix(&b, e.Vendor, e.Method, e.URL)
	fmt.Fprintf(&b, "%d %s", e.StatusCode, statusText(e.StatusCode))
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Body != "" {
		b.WriteString(": ")
		b.WriteString(e.Body)
	}
	return b.String()
}

// Is says which outcome of package connectors the status is
// (outcome.ForStatus): errors.Is(err, connectors.ErrRejected) holds for a
// 422.
func (e *StatusError) Is(target error) bool { return outcome.Is(e.StatusCode, target) }

// HTTPCode is the status, for receipts (outcome.Coded).
func (e *StatusError) HTTPCode() int { return e.StatusCode }

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "status"
}

// writePrefix writes the "vendor: METHOD url: " context every error starts
// with.
func writePrefix(b *strings.Builder, vendor, method, url string) {
	if vendor != "" {
		b.WriteString(vendor)
		b.WriteString(": ")
	}
	b.WriteString(method)
	b.WriteString(" ")
	b.WriteString(url)
	b.WriteString(": ")
}

// redactedError carries an error chain whose message has been redacted. The
// chain stays intact, so errors.Is and errors.As work; only Error() changes.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// waitTooLong reports a wait the vendor asked for that exceeds MaxWait.
type waitTooLong struct {
	hint waitHint
	max  time.Duration
}

func (e *waitTooLong) Error() string {
	return fmt.Sprintf("%s: the vendor asked to wait %s (%s), more than the maximum of %s",
		ErrRateLimitWaitTooLong, e.hint.wait.Round(time.Millisecond), e.hint.source, e.max)
}

func (e *waitTooLong) Unwrap() error { return ErrRateLimitWaitTooLong }

// Is: the request was not sent (or the vendor said 429 and asked for the
// long wait): safe to send again.
func (e *waitTooLong) Is(target error) bool { return target == outcome.ErrNotSent }

// HTTPCode: a rate limit, whether the vendor's answer or the client's own
// pacing held the request back.
func (e *waitTooLong) HTTPCode() int { return http.StatusTooManyRequests }
