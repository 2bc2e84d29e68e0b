package schedule

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Webhook posts JSON alerts (a failed run's summary) to an on_failure URL.
// Delivery is at least once: a 5xx answer, a 429 or a failed connection is
// retried with backoff, a 4xx is not.
type Webhook struct {
	Client   *http.Client
	Attempts int           // default 3
	Backoff  time.Duration // before the 2nd attempt, doubled each time; default 1s
}

// ValidateURL checks an on_failure URL.
func ValidateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%s is not an http(s) URL", RedactURL(raw))
	}
	return nil
}

// RedactURL keeps a webhook URL's scheme and host: the path and query of a
// chat webhook are its secret.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(a URL)"
	}
	out := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		out += "/…"
	}
	return out
}

// Post sends v as JSON to rawURL.
func (w *Webhook) Post(ctx context.Context, rawURL string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	hc := w.Client
	if hc == nil {
		hc = &http.Client{
			Timeout:   15 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}, Proxy: http.ProxyFromEnvironment},
		}
	}
	attempts := w.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	backoff := w.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	where := RedactURL(rawURL)
	var last error
	for i := range attempts {
		if i > 0 {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("alert to %s: %w (last: %v)", where, ctx.Err(), last)
			case <-t.C:
			}
			backoff *= 2
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("alert to %s: %s", where, "the URL is not valid")
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "leadpipe-alert")
		resp, err := hc.Do(req)
		if err != nil {
			// The error may quote the URL: keep only the host.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			last = err
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		switch {
		case resp.StatusCode < 300:
			return nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			last = fmt.Errorf("HTTP %d", resp.StatusCode)
			continue
		}
		return fmt.Errorf("alert to %s: HTTP %d; check the on_failure URL", where, resp.StatusCode)
	}
	return fmt.Errorf("alert to %s failed after %d attempts: %v", where, attempts, last)
}
