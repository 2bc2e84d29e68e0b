package httpclient

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Config configures a Client. The zero value of every field means its
// default.
type Config struct {
	// Vendor names the connector in errors, logs and metrics ("lumi").
	Vendor string
	// Timeout bounds one attempt, from sending to the end of the body.
	// Default 30s. The caller's context bounds the whole call.
	Timeout time.Duration
	// MaxRetries is the number of retries after the first attempt. Default
	// 5; a negative value disables retries.
	MaxRetries int
	// BackoffBase and BackoffMax shape the full-jitter exponential backoff:
	// the wait before retry n is uniform in [0, min(BackoffMax,
	// BackoffBase·2^(n-1))]. Defaults 500ms and 30s.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// MaxWait is the longest wait honored when the vendor asks for one
	// (Retry-After, X-RateLimit-Reset). A longer wait fails at once with
	// ErrRateLimitWaitTooLong. Default 2m.
	MaxWait time.Duration
	// RateLimit is the client's own request rate, in requests per second,
	// with Burst requests allowed at once. 0 means no limit. Burst defaults
	// to 1.
	RateLimit float64
	Burst     int
	// Concurrency is the maximum number of requests in flight. Default 4.
	Concurrency int
	// MaxBodyBytes caps a response body. Default 64 MiB.
	MaxBodyBytes int64
	// UserAgent defaults to "leadpipe/<module version>".
	UserAgent string
	// Logger receives one debug line per attempt and one warn line per
	// retry. Nil means no logs.
	Logger *slog.Logger
	// Observer, if set, is called after every attempt, from the goroutine
	// that made it. It must be quick and safe for concurrent use.
	Observer func(RequestInfo)
	// WrapTransport, if set, wraps the client's transports (e.g. to adapt a
	// vendor's headers before the client reads them). Unlike HTTPClient it
	// keeps the fresh-connection transport of non-idempotent requests.
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// HTTPClient replaces the default client built on NewTransport. Its
	// Timeout should be 0: per-attempt timeouts come from Timeout.
	HTTPClient *http.Client
	// Now and Sleep replace the clock used for every wait (rate limits,
	// pacing, Retry-After, backoff), so tests of long waits take no real
	// time. Sleep must return ctx.Err() if ctx ends first. Timeouts and
	// durations reported to the Observer always use real time.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Defaults applied by New.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRetries   = 5
	DefaultBackoffBase  = 500 * time.Millisecond
	DefaultBackoffMax   = 30 * time.Second
	DefaultMaxWait      = 2 * time.Minute
	DefaultConcurrency  = 4
	DefaultMaxBodyBytes = 64 << 20
)

func (cfg Config) withDefaults() Config {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 1
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "leadpipe/" + moduleVersion()
	}
	return cfg
}

// moduleVersion is the main module's version when built by `go install
// module@version`, "dev" otherwise.
func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Client is a vendor's HTTP client. It is safe for concurrent use; share one
// per connector instance so that requests share the rate limit, the pacing
// and the concurrency bound.
type Client struct {
	cfg     Config
	hc      *http.Client
	limiter *rate.Limiter // nil: unlimited
	sem     chan struct{}
	pacer   *pacer
	stats   counters
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error

	mu       sync.RWMutex
	authHdr  http.Header
	authFunc func(*http.Request)
	secrets  []string
	secSet   *secretSet
	hcOnce   *http.Client // for non-idempotent requests of replayable methods
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	cfg = cfg.withDefaults()
	c := &Client{
		cfg:     cfg,
		hc:      cfg.HTTPClient,
		sem:     make(chan struct{}, cfg.Concurrency),
		pacer:   newPacer(),
		now:     cfg.Now,
		sleep:   cfg.Sleep,
		authHdr: http.Header{},
	}
	if c.hc == nil {
		wrap := cfg.WrapTransport
		if wrap == nil {
			wrap = func(rt http.RoundTripper) http.RoundTripper { return rt }
		}
		c.hc = &http.Client{Transport: wrap(NewTransport(cfg.Concurrency))}
		// net/http silently resends a GET, HEAD, OPTIONS or TRACE when a
		// reused keep-alive connection turns out to be dead. Some vendors
		// (Iute) book repayments with GETs, so a request marked
		// non-idempotent goes on a fresh connection, where net/http never
		// replays it.
		once := NewTransport(cfg.Concurrency)
		once.DisableKeepAlives = true
		c.hcOnce = &http.Client{Transport: wrap(once)}
	} else {
		c.hcOnce = c.hc
	}
	if cfg.RateLimit > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(cfg.RateLimit), cfg.Burst)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	return c
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SetBasicAuth sends HTTP Basic credentials on every request and registers
// the password (and the encoded credential) as secrets.
func (c *Client) SetBasicAuth(user, pass string) {
	cred := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	c.setAuthHeader("Authorization", "Basic "+cred, pass, cred)
}

// SetBearer sends "Authorization: Bearer <token>" on every request and
// registers the token as a secret.
func (c *Client) SetBearer(token string) {
	c.setAuthHeader("Authorization", "Bearer "+token, token)
}

// SetHeaderSecret sends the header name: value on every request (an API key,
// a session cookie) and registers value as a secret. An empty value removes
// the header.
func (c *Client) SetHeaderSecret(name, value string) {
	secrets := []string{value}
	if http.CanonicalHeaderKey(name) == "Cookie" {
		for ck := range strings.SplitSeq(value, ";") {
			if _, v, ok := strings.Cut(ck, "="); ok {
				secrets = append(secrets, strings.TrimSpace(v))
			}
		}
	}
	c.setAuthHeader(name, value, secrets...)
}

// SetAuth runs fn on every outgoing request, after the other auth settings,
// for schemes the helpers do not cover (signatures, tokens refreshed by the
// connector). Register what fn adds with AddSecret.
func (c *Client) SetAuth(fn func(*http.Request)) {
	c.mu.Lock()
	c.authFunc = fn
	c.mu.Unlock()
}

// AddSecret registers strings that must never appear in an error or a log
// line (they are also matched URL- and JSON-escaped).
func (c *Client) AddSecret(secrets ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range secrets {
		if s != "" {
			c.secrets = append(c.secrets, s)
		}
	}
	c.secSet = nil
}

func (c *Client) setAuthHeader(name, value string, secrets ...string) {
	c.AddSecret(secrets...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if value == "" {
		c.authHdr.Del(name)
		return
	}
	c.authHdr.Set(name, value)
}

// Redact removes from s the registered secrets, Authorization values, URL
// passwords and secret-looking key=value or "key": "value" pairs.
func (c *Client) Redact(s string) string {
	return redactPatterns(c.secretSet().replace(s))
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats { return c.stats.snapshot(c.now()) }

func (c *Client) secretSet() *secretSet {
	c.mu.RLock()
	set := c.secSet
	c.mu.RUnlock()
	if set != nil {
		return set
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.secSet == nil {
		c.secSet = newSecretSet(c.secrets)
	}
	return c.secSet
}

// applyAuth adds the auth headers and runs the auth func.
func (c *Client) applyAuth(req *http.Request) {
	c.mu.RLock()
	for name, vals := range c.authHdr {
		req.Header[name] = append([]string(nil), vals...)
	}
	fn := c.authFunc
	c.mu.RUnlock()
	if fn != nil {
		fn(req)
	}
}

// gate waits for a free concurrency slot, the vendor's budget (pacing) and
// the client's own rate limit, in that order. It returns the time spent
// waiting for rate limits and the function to call with the response header
// (nil without a response) when the attempt is over.
func (c *Client) gate(ctx context.Context) (time.Duration, func(http.Header), error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
	c.stats.rateLimitWall.enter(c.now())
	defer func() { c.stats.rateLimitWall.leave(c.now()) }()
	waited, err := c.pacer.acquire(ctx, c)
	if err != nil {
		<-c.sem
		c.stats.rateLimitWait.Add(int64(waited))
		return waited, nil, err
	}
	if c.limiter != nil {
		now := c.now()
		res := c.limiter.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			if err := c.sleep(ctx, d); err != nil {
				res.CancelAt(c.now())
				c.pacer.release(nil, c.now())
				<-c.sem
				c.stats.rateLimitWait.Add(int64(waited))
				return waited, nil, err
			}
			waited += d
		}
	}
	c.stats.rateLimitWait.Add(int64(waited))
	return waited, func(h http.Header) {
		c.pacer.release(h, c.now())
		<-c.sem
	}, nil
}
