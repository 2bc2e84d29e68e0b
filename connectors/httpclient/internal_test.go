package httpclient

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func TestParseReset(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration // after now; -1 = invalid
	}{
		{"1793534430", 31 * time.Second},            // epoch seconds, whole: end of that second
		{"1793534430.25", 30250 * time.Millisecond}, // epoch seconds with decimals
		{"1793534430000", 30 * time.Second},         // epoch milliseconds
		{"1793534430000.5", 30*time.Second + 500*time.Microsecond},
		{"30", 31 * time.Second},                           // seconds until reset
		{"0", time.Second},                                 // resets within this second
		{"0.25", 250 * time.Millisecond},                   // fractional seconds until reset
		{"999999999", 999999999*time.Second + time.Second}, // just below the epoch threshold: a delay
		{"Sun, 01 Nov 2026 12:00:30 GMT", 30 * time.Second},
		{"", -1}, {"soon", -1}, {"-5", -1}, {"NaN", -1},
	} {
		got, ok := parseReset(tc.in, now)
		if tc.want < 0 {
			if ok {
				t.Errorf("parseReset(%q) = %v, want invalid", tc.in, got)
			}
			continue
		}
		if !ok || got.Sub(now) != tc.want {
			t.Errorf("parseReset(%q) = %v (%v after now), want %v", tc.in, got, got.Sub(now), tc.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 1.5 ", 1500 * time.Millisecond, true},
		{"0", 0, true},
		{"Sun, 01 Nov 2026 12:01:00 GMT", time.Minute, true},
		{"Sun, 01 Nov 2026 11:00:00 GMT", 0, true}, // in the past: now
		{"-1", 0, false},
		{"later", 0, false},
	} {
		got, ok := parseRetryAfter(tc.in, now)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestHeaderCount(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "18": 18, "100, 100;w=60": 100, "4.7": 4, "-1": 0} {
		h := http.Header{"X-Ratelimit-Remaining": {in}}
		if got, ok := headerCount(h, remainingHeaders); !ok || got != want {
			t.Errorf("headerCount(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	if _, ok := headerCount(http.Header{}, remainingHeaders); ok {
		t.Error("missing header parsed")
	}
	if got, ok := headerCount(http.Header{"Ratelimit-Remaining": {"7"}}, remainingHeaders); !ok || got != 7 {
		t.Errorf("IETF spelling: %d %v", got, ok)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://h/v1/leads?page_index=3":                       "https://h/v1/leads?page_index=3",
		"https://u:p4ss@h/x?api_key=abc&page=2":                 "https://u:REDACTED@h/x?api_key=REDACTED&page=2",
		"https://h/x?Access_Token=a&apikey=b&sig=c&Signature=d": "https://h/x?Access_Token=REDACTED&apikey=REDACTED&sig=REDACTED&Signature=REDACTED",
		"https://h/x?password=a&client_secret=b&vendorKey=c":    "https://h/x?password=REDACTED&client_secret=REDACTED&vendorKey=REDACTED",
		"https://user@h/x?flag":                                 "https://user@h/x?flag",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := redactURL(u); got != want {
			t.Errorf("redactURL(%s)\n got %s\nwant %s", in, got, want)
		}
	}
}

func TestRedactPatterns(t *testing.T) {
	for in, want := range map[string]string{
		`Authorization: Bearer eyJ.abc-def`:          `Authorization: Bearer REDACTED`,
		`{"password":"hunter2","name":"Ada"}`:        `{"password":"REDACTED","name":"Ada"}`,
		`{"api_key": "a\"b", "ok": true}`:            `{"api_key": "REDACTED", "ok": true}`,
		`token=abc&page=2`:                           `token=REDACTED&page=2`,
		`see https://bob:pw@host/x`:                  `see https://bob:REDACTED@host/x`,
		`{"status":false,"error":"Unauthorized"}`:    `{"status":false,"error":"Unauthorized"}`,
		`rate limit: X-RateLimit-Reset: 30, page: 3`: `rate limit: X-RateLimit-Reset: 30, page: 3`,
	} {
		if got := redactPatterns(in); got != want {
			t.Errorf("redactPatterns(%s)\n got %s\nwant %s", in, got, want)
		}
	}
}

func TestSnippet(t *testing.T) {
	set := newSecretSet([]string{"s3cret"})
	long := strings.Repeat("word ", 200)
	if got := snippet([]byte(long), set); len(got) > snippetLen+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("long snippet %d bytes: %q", len(got), got)
	}
	if got := snippet([]byte("line one\n\tline two s3cret"), set); got != "line one line two REDACTED" {
		t.Errorf("snippet %q", got)
	}
	// A secret straddling the cut is redacted before the cut.
	body := strings.Repeat(" ", 4094) + "s3cret"
	if got := snippet([]byte(body), set); strings.Contains(got, "s3") {
		t.Errorf("snippet leaks a partial secret: %q", got)
	}
	if got := snippet([]byte(strings.Repeat("é", 300)), nil); !strings.HasSuffix(got, "…") || !isValidUTF8(got) {
		t.Errorf("snippet cut a rune: %q", got)
	}
}

func isValidUTF8(s string) bool { return strings.ToValidUTF8(s, "?") == s }

func TestSecretEncodings(t *testing.T) {
	set := newSecretSet([]string{"a b/c+d&e"})
	for _, in := range []string{"a b/c+d&e", url.QueryEscape("a b/c+d&e"), url.PathEscape("a b/c+d&e"), `a b\/c+d\u0026e`} {
		if got := set.replace("x " + in + " y"); strings.Contains(got, "c+d") || strings.Contains(got, "c%2Bd") {
			t.Errorf("%q not redacted: %q", in, got)
		}
	}
}

func TestErrorClassification(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	read := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	for _, tc := range []struct {
		name            string
		err             error
		transient, dial bool
	}{
		{"dial refused", dial, true, true},
		{"read reset", read, true, false},
		{"unexpected eof", io.ErrUnexpectedEOF, true, false},
		{"eof", io.EOF, true, false},
		{"dns temporary", &net.DNSError{IsTemporary: true}, true, true},
		{"dns not found", &net.DNSError{IsNotFound: true}, false, true},
		{"tls alert", &net.OpError{Op: "remote error", Err: tls.AlertError(70)}, false, false},
		{"too large", ErrResponseTooLarge, false, false},
		{"other", errors.New("unsupported protocol scheme"), false, false},
	} {
		if got := isTransient(tc.err); got != tc.transient {
			t.Errorf("%s: isTransient = %v", tc.name, got)
		}
		if got := isDialError(tc.err); got != tc.dial {
			t.Errorf("%s: isDialError = %v", tc.name, got)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	for attempt := 1; attempt <= 40; attempt++ {
		limit := min(500*time.Millisecond<<min(attempt-1, 20), 30*time.Second)
		for range 50 {
			if d := backoff(attempt, 500*time.Millisecond, 30*time.Second); d < 0 || d > limit {
				t.Fatalf("attempt %d: backoff %v outside [0, %v]", attempt, d, limit)
			}
		}
	}
}

func TestDefaultTransport(t *testing.T) {
	c := New(Config{Concurrency: 12})
	tr, ok := c.hc.Transport.(*http.Transport)
	if !ok || tr.TLSClientConfig.MinVersion != tls.VersionTLS12 || tr.MaxIdleConnsPerHost < 12 {
		t.Fatalf("default transport %+v", c.hc.Transport)
	}
	if c.cfg.Timeout != DefaultTimeout || c.cfg.MaxRetries != DefaultMaxRetries || c.cfg.MaxWait != DefaultMaxWait ||
		c.cfg.MaxBodyBytes != DefaultMaxBodyBytes || !strings.HasPrefix(c.cfg.UserAgent, "leadpipe/") {
		t.Fatalf("defaults %+v", c.cfg)
	}
	if New(Config{MaxRetries: -1}).cfg.MaxRetries != 0 {
		t.Fatal("negative MaxRetries must disable retries")
	}
}

func TestIdempotentDefaults(t *testing.T) {
	for m, want := range map[string]bool{"": true, "GET": true, "head": true, "PUT": true, "DELETE": true,
		"OPTIONS": true, "POST": false, "PATCH": false} {
		if got := (&Request{Method: m}).idempotent(); got != want {
			t.Errorf("%q: idempotent = %v", m, got)
		}
	}
}

// Responses arriving out of order must never raise the budget within a
// window.
func TestPacerOutOfOrderAnswers(t *testing.T) {
	c := New(Config{Now: func() time.Time { return now }, Sleep: func(context.Context, time.Duration) error { return nil }})
	p := c.pacer
	hdr := func(rem int) http.Header {
		return http.Header{
			"X-Ratelimit-Limit":     {"5"},
			"X-Ratelimit-Remaining": {strconv.Itoa(rem)},
			"X-Ratelimit-Reset":     {"1793534430000"}, // epoch ms, 30 s ahead
		}
	}
	ctx := context.Background()
	// Probe, then learn the budget.
	if _, err := p.acquire(ctx, c); err != nil {
		t.Fatal(err)
	}
	p.release(hdr(4), now)
	if p.remaining != 4 {
		t.Fatalf("remaining %d after the probe", p.remaining)
	}
	for range 3 {
		if _, err := p.acquire(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	// The server counted them as Remaining 3, 2, 1; the answers arrive
	// 1, 3, 2. Neither order nor a stale Remaining raises the budget.
	p.release(hdr(1), now)
	p.release(hdr(3), now)
	p.release(hdr(2), now)
	if p.remaining != 1 {
		t.Fatalf("remaining %d, want 1", p.remaining)
	}
	// Another client spends the budget: Remaining pulls the count down.
	if _, err := p.acquire(ctx, c); err != nil {
		t.Fatal(err)
	}
	p.release(hdr(0), now)
	if p.remaining != 0 {
		t.Fatalf("remaining %d, want 0", p.remaining)
	}
}
