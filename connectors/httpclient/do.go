package httpclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Do sends r, retrying as the package doc describes, and returns the response
// with its body read.
//
// A 2xx answer returns (*Response, nil). Any other final answer returns the
// *Response too (so a caller can parse a vendor's validation errors from the
// full body) together with an error wrapping a *StatusError. Transport
// failures return a nil *Response. Errors wrap ErrOutcomeUnknown,
// ErrRateLimitWaitTooLong, ErrResponseTooLarge or the context's error where
// they apply.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, error) {
	resp, _, err := c.do(ctx, r)
	return resp, err
}

// DoJSON is Do followed by decoding a 2xx body into out (out may be nil to
// discard it). It sends "Accept: application/json" unless r sets Accept. A
// body that is empty or not valid JSON fails with an error wrapping
// ErrMalformedResponse that names the vendor, the URL and the byte offset,
// with a short snippet around it. A malformed body is not retried.
func (c *Client) DoJSON(ctx context.Context, r *Request, out any) (*Response, error) {
	if r.Header.Get("Accept") == "" {
		cp := *r
		cp.Header = r.Header.Clone()
		if cp.Header == nil {
			cp.Header = http.Header{}
		}
		cp.Header.Set("Accept", "application/json")
		r = &cp
	}
	resp, k, err := c.do(ctx, r)
	if err != nil || out == nil || resp.StatusCode == http.StatusNoContent || k.method == http.MethodHead {
		return resp, err
	}
	body := resp.Body
	if len(bytes.TrimSpace(body)) == 0 {
		return resp, k.errorf("%w: empty body, expected json", ErrMalformedResponse)
	}
	if err := json.Unmarshal(body, out); err != nil {
		off := int64(-1)
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = se.Offset
		case errors.As(err, &te):
			off = te.Offset
		}
		if off < 0 {
			return resp, k.errorf("%w: %w", ErrMalformedResponse, err)
		}
		lo, hi := max(off-40, 0), min(off+40, int64(len(body)))
		near := snippet(body[lo:hi], k.secretSet())
		return resp, k.errorf("%w: invalid json at byte %d: %w (near %q)", ErrMalformedResponse, off, err, near)
	}
	return resp, nil
}

// call is one Do: the request, its redacted names and its retry state.
type call struct {
	c          *Client
	r          *Request
	method     string
	rawURL     string
	url        string // redacted, for errors and logs
	idempotent bool
	reqSecrets []string
	set        *secretSet
}

// result is what one attempt produced.
type result struct {
	status   int // 0: no response
	header   http.Header
	body     []byte
	err      error // transport or body read error
	notSent  bool  // certainly never reached the server (dial failure)
	timedOut bool  // the per-attempt timeout fired
	dur      time.Duration
}

func (c *Client) do(ctx context.Context, r *Request) (*Response, *call, error) {
	k := &call{c: c, r: r, method: r.method(), rawURL: r.URL, idempotent: r.idempotent()}
	u, err := url.Parse(r.URL)
	if err != nil || !u.IsAbs() {
		k.url = c.Redact(r.URL)
		if err == nil {
			err = errors.New("url is not absolute")
		}
		return nil, k, k.errorf("invalid url: %w", unwrapURLError(err))
	}
	k.url = c.secretSet().replace(redactURL(u))

	var waited time.Duration // waits before the coming attempt
	for attempt := 1; ; attempt++ {
		gw, release, err := c.gate(ctx)
		waited += gw
		if err != nil {
			return nil, k, k.waitError(err, nil, attempt-1)
		}
		res := k.attempt(ctx)
		release(res.header)
		k.record(ctx, res, attempt, waited)
		waited = 0

		resp, retry, err := k.decide(ctx, res, attempt)
		if !retry {
			return resp, k, err
		}
		if attempt > c.cfg.MaxRetries {
			return resp, k, k.exhausted(res, attempt)
		}
		wait, hinted := time.Duration(0), false
		if res.status == http.StatusTooManyRequests || res.status == http.StatusServiceUnavailable {
			if h, ok := retryHint(res.status, res.header, c.now()); ok {
				// Every request of this client holds off, not just this one.
				c.pacer.pauseUntil(c.now().Add(h.wait), h.source)
				if h.wait > c.cfg.MaxWait {
					return resp, k, k.waitError(&waitTooLong{hint: h, max: c.cfg.MaxWait}, &res, attempt)
				}
				wait, hinted = h.wait, true
			}
		}
		if !hinted {
			wait = backoff(attempt, c.cfg.BackoffBase, c.cfg.BackoffMax)
		}
		k.logRetry(ctx, res, attempt, wait)
		wall := &c.stats.backoffWall
		if hinted {
			wall = &c.stats.rateLimitWall
		}
		wall.enter(c.now())
		err = c.sleep(ctx, wait)
		wall.leave(c.now())
		if err != nil {
			return nil, k, k.errorf("wait before retry: %w", err)
		}
		if hinted {
			c.stats.rateLimitWait.Add(int64(wait))
		} else {
			c.stats.backoffWait.Add(int64(wait))
		}
		c.stats.retries.Add(1)
		waited = wait
	}
}

// attempt sends the request once and reads the whole body.
func (k *call) attempt(ctx context.Context) result {
	c := k.c
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var gotConn atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) },
	})
	var body io.Reader
	if k.r.Body != nil {
		body = bytes.NewReader(k.r.Body)
	}
	req, err := http.NewRequestWithContext(actx, k.method, k.rawURL, body)
	if err != nil {
		return result{err: unwrapURLError(err), notSent: true}
	}
	for name, vals := range k.r.Header {
		req.Header[name] = append([]string(nil), vals...)
	}
	if k.r.Body != nil && k.r.ContentType != "" {
		req.Header.Set("Content-Type", k.r.ContentType)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	c.applyAuth(req)
	k.learnSecrets(req)

	c.stats.requests.Add(1)
	start := time.Now()
	hc := c.hc
	if !k.idempotent && replayable(k.method) {
		hc = c.hcOnce
	}
	resp, err := hc.Do(req)
	if err != nil {
		err = unwrapURLError(err)
		return result{
			err:      err,
			notSent:  !gotConn.Load() && isDialError(err),
			timedOut: ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded),
			dur:      time.Since(start),
		}
	}
	defer resp.Body.Close()
	b, err := readBody(resp.Body, c.cfg.MaxBodyBytes, resp.ContentLength)
	return result{
		status:   resp.StatusCode,
		header:   resp.Header,
		body:     b,
		err:      err,
		timedOut: err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded),
		dur:      time.Since(start),
	}
}

func readBody(r io.Reader, limit, contentLength int64) ([]byte, error) {
	tooLarge := fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, limit)
	if contentLength > limit {
		return nil, tooLarge
	}
	var buf bytes.Buffer
	if contentLength > 0 {
		buf.Grow(int(contentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if n > limit {
		return nil, tooLarge
	}
	return buf.Bytes(), nil
}

// decide turns an attempt's result into the call's answer, or asks for a
// retry.
func (k *call) decide(ctx context.Context, res result, attempt int) (resp *Response, retry bool, err error) {
	if res.status != 0 {
		resp = &Response{StatusCode: res.status, Header: res.header, Body: res.body, Attempts: attempt}
	}
	if res.err != nil {
		resp = nil
		if ctx.Err() != nil { // the caller gave up
			if !k.idempotent && !res.notSent {
				return nil, false, k.unknown(fmt.Errorf("%w: %w", res.err, ctx.Err()))
			}
			return nil, false, k.errorf("%w", ctx.Err())
		}
		transient := res.timedOut || isTransient(res.err)
		if !k.idempotent {
			switch {
			case res.notSent && transient:
				return nil, true, nil
			case res.notSent: // e.g. an unknown host: nothing was sent
				return nil, false, k.errorf("%w", k.transportCause(res))
			}
			return nil, false, k.unknown(k.transportCause(res))
		}
		if transient {
			return nil, true, nil
		}
		return nil, false, k.errorf("%w", k.transportCause(res))
	}
	switch code := res.status; {
	case code >= 200 && code < 300:
		return resp, false, nil
	case code == http.StatusTooManyRequests:
		return resp, true, nil // the vendor did not act: safe for any method
	case !k.idempotent && code >= 500:
		return resp, false, k.unknown(k.statusError(res, attempt))
	case retryableStatus(code):
		return resp, true, nil
	default:
		return resp, false, k.statusError(res, attempt)
	}
}

// exhausted is the error once MaxRetries is used up.
func (k *call) exhausted(res result, attempt int) error {
	if res.err != nil {
		return k.errorf("after %d attempts: %w", attempt, k.transportCause(res))
	}
	return k.statusError(res, attempt)
}

func (k *call) transportCause(res result) error {
	switch {
	case res.timedOut && res.status != 0:
		return fmt.Errorf("%d %s: attempt timed out after %s reading the body: %w",
			res.status, statusText(res.status), k.c.cfg.Timeout, res.err)
	case res.timedOut:
		return fmt.Errorf("attempt timed out after %s: %w", k.c.cfg.Timeout, res.err)
	case res.status != 0:
		return fmt.Errorf("%d %s: %w", res.status, statusText(res.status), res.err)
	case errors.Is(res.err, io.EOF) || errors.Is(res.err, io.ErrUnexpectedEOF):
		return fmt.Errorf("connection closed without a response: %w", res.err)
	}
	return res.err
}

// unknown wraps cause with ErrOutcomeUnknown.
func (k *call) unknown(cause error) error {
	k.c.stats.outcomeUnknown.Add(1)
	var se *StatusError
	if errors.As(cause, &se) {
		return fmt.Errorf("%w: %w", cause, ErrOutcomeUnknown)
	}
	return k.errorf("%w: %w", ErrOutcomeUnknown, cause)
}

// waitError reports a failure while waiting to send: a wait beyond MaxWait
// or the caller's context. res is the response that asked for the wait, if
// any.
func (k *call) waitError(err error, res *result, attempts int) error {
	if res != nil && res.status != 0 {
		return fmt.Errorf("%w: %w", k.statusError(*res, attempts), err)
	}
	return k.errorf("%w", err)
}

func (k *call) statusError(res result, attempts int) *StatusError {
	set := k.secretSet()
	return &StatusError{
		Vendor:     k.c.cfg.Vendor,
		Method:     k.method,
		URL:        k.url,
		StatusCode: res.status,
		Body:       snippet(res.body, set),
		Header:     redactHeader(res.header, set),
		Attempts:   attempts,
	}
}

// errorf builds "vendor: METHOD url: <message>", redacting the message while
// keeping the wrapped chain for errors.Is and errors.As.
func (k *call) errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	var b strings.Builder
	writePrefix(&b, k.c.cfg.Vendor, k.method, k.url)
	b.WriteString(k.redact(err.Error()))
	return &redactedError{msg: b.String(), err: err}
}

func (k *call) redact(s string) string {
	return redactPatterns(k.secretSet().replace(s))
}

// learnSecrets notes the secrets an outgoing request carries (URL password,
// secret-looking query values, auth headers) so that an echo of them in a
// body or error is redacted too.
func (k *call) learnSecrets(req *http.Request) {
	for _, s := range requestSecrets(req) {
		known := false
		for _, have := range k.reqSecrets {
			if have == s {
				known = true
				break
			}
		}
		if !known {
			k.reqSecrets = append(k.reqSecrets, s)
			k.set = nil
		}
	}
}

func (k *call) secretSet() *secretSet {
	if k.set == nil {
		k.c.mu.RLock()
		client := k.c.secrets
		k.c.mu.RUnlock()
		k.set = newSecretSet(client, k.reqSecrets)
	}
	return k.set
}

// record updates the statistics, calls the observer and logs the attempt.
func (k *call) record(ctx context.Context, res result, attempt int, waited time.Duration) {
	c := k.c
	if res.status != 0 {
		c.stats.status(res.status)
		if res.status == http.StatusTooManyRequests {
			c.stats.rateLimited.Add(1)
		}
	}
	if res.err != nil {
		c.stats.transportErrors.Add(1)
	}
	var rerr error
	if res.err != nil {
		rerr = &redactedError{msg: k.redact(res.err.Error()), err: res.err}
	}
	if c.cfg.Observer != nil {
		c.cfg.Observer(RequestInfo{
			Vendor: c.cfg.Vendor, Method: k.method, URL: k.url, Status: res.status, Err: rerr,
			Attempt: attempt, Retry: attempt > 1, Duration: res.dur, Waited: waited,
		})
	}
	if l := c.cfg.Logger; l != nil && l.Enabled(ctx, slog.LevelDebug) {
		attrs := []slog.Attr{
			slog.String("vendor", c.cfg.Vendor),
			slog.String("method", k.method),
			slog.String("url", k.url),
			slog.Int("status", res.status),
			slog.Int("attempt", attempt),
			slog.Duration("duration", res.dur),
			slog.Duration("waited", waited),
		}
		if rerr != nil {
			attrs = append(attrs, slog.String("error", rerr.Error()))
		}
		l.LogAttrs(ctx, slog.LevelDebug, "http attempt", attrs...)
	}
}

func (k *call) logRetry(ctx context.Context, res result, attempt int, wait time.Duration) {
	l := k.c.cfg.Logger
	if l == nil || !l.Enabled(ctx, slog.LevelWarn) {
		return
	}
	var reason string
	switch {
	case res.err != nil:
		reason = k.redact(k.transportCause(res).Error())
	default:
		reason = fmt.Sprintf("%d %s", res.status, statusText(res.status))
	}
	l.LogAttrs(ctx, slog.LevelWarn, "http retry",
		slog.String("vendor", k.c.cfg.Vendor),
		slog.String("method", k.method),
		slog.String("url", k.url),
		slog.Int("status", res.status),
		slog.Int("attempt", attempt),
		slog.Duration("wait", wait),
		slog.String("reason", reason),
	)
}

// replayable reports whether net/http may resend a request of this method
// on its own after a dropped keep-alive connection.
func replayable(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return false
}
