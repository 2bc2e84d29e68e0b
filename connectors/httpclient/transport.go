package httpclient

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// NewTransport returns the transport New uses when Config.HTTPClient is nil:
// TLS 1.2 or newer, HTTP/2 when the server offers it, proxies from the
// environment, and keep-alive sized for many small requests to one host
// (MaxIdleConnsPerHost ≥ concurrency, so no connection is closed and
// reopened between two calls). Tune a copy (for example add RootCAs) and pass
// it in Config.HTTPClient.
func NewTransport(concurrency int) *http.Transport {
	idle := max(concurrency, 2)
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(idle, 100),
		MaxIdleConnsPerHost:   idle,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
