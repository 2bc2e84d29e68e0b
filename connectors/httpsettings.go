package connectors

import (
	"net/http"
	"net/url"
	"time"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
)

// ClientSettings are the HTTP settings a connector reads from its config.
type ClientSettings struct {
	Timeout       time.Duration
	RateLimit     float64 // requests per second
	Concurrency   int
	MaxWait       time.Duration
	WrapTransport func(http.RoundTripper) http.RoundTripper
}

// Concurrency is the concurrency a connector runs with: a push pipeline's
// own setting wins over the connector's.
func (e Env) ConcurrencyOr(connector int) int {
	if e.Concurrency > 0 {
		return e.Concurrency
	}
	return connector
}

// NewClient builds a connector's HTTP client: the connector's settings,
// with a push pipeline's rate_limit and concurrency taking precedence, and
// the engine's logger and observer. One client per connector instance, so
// all its requests share the rate limit and the concurrency bound.
func (e Env) NewClient(vendor string, s ClientSettings) *httpclient.Client {
	rate := s.RateLimit
	if e.RateLimit > 0 {
		rate = e.RateLimit
	}
	conc := e.ConcurrencyOr(s.Concurrency)
	return httpclient.New(httpclient.Config{
		Vendor: vendor, Timeout: s.Timeout, RateLimit: rate, Burst: max(1, conc), Concurrency: conc,
		MaxWait: s.MaxWait, WrapTransport: s.WrapTransport, Logger: e.Logger, Observer: e.Observer,
	})
}

// ValidateBaseURL checks a connector's base_url: an http(s) URL with a
// host, no credentials (credentialsHint says where they go instead) and no
// query. example is the documented URL, shown in the message.
func ValidateBaseURL(v *config.Validator, raw, example, credentialsHint string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		v.Errorf("base_url", "must be an http(s) URL such as %s, got %q", example, raw)
	case u.User != nil:
		v.Errorf("base_url", "must not hold credentials; %s", credentialsHint)
	case u.RawQuery != "":
		v.Errorf("base_url", "must not have a query string")
	}
}

// ValidateClient checks the HTTP settings every connector has.
func ValidateClient(v *config.Validator, s ClientSettings) {
	if s.Concurrency < 1 || s.Concurrency > 32 {
		v.Errorf("concurrency", "must be 1..32, got %d", s.Concurrency)
	}
	if s.RateLimit < 0 {
		v.Errorf("rate_limit", "must not be negative")
	}
	if s.Timeout < 0 {
		v.Errorf("timeout", "must not be negative")
	}
}
