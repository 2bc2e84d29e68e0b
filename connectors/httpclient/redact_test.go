package httpclient_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/leadpipe/leadpipe/connectors/httpclient"
)

const (
	basicPass    = "pa55-w0rd-secret"
	bearerToken  = "tok-eyJhbGciOi-secret"
	apiKey       = "K3Y-abcdef-123"
	userinfoPass = "userinfo-pw-123"
	headerKey    = "vendor-key-777"
	sessionID    = "sess-secret-999"
)

// everySecret lists the values (and encodings of them) that must never show.
var everySecret = []string{
	basicPass, b64("alice:" + basicPass), bearerToken, apiKey, userinfoPass,
	b64("bob:" + userinfoPass), headerKey, sessionID,
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// echoServer answers 503 then 400, each time echoing everything the client
// sent (headers, URL, body) in its body, the way careless vendors do.
func echoServer(t *testing.T) *scripted {
	echo := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Set-Cookie", "session="+sessionID)
			w.Header().Set("X-Echo-Auth", r.Header.Get("Authorization"))
			w.Header().Set("X-Request-Id", "req-1")
			w.WriteHeader(code)
			js, _ := json.Marshal(map[string]string{
				"error":         "invalid credentials",
				"authorization": r.Header.Get("Authorization"),
				"url":           r.URL.String(),
				"vendor_key":    r.Header.Get("X-Vendor-Key"),
			})
			fmt.Fprintf(w, "%s\nyou sent %s to %s with %s and %s and body %s",
				js, r.Header.Get("Authorization"), r.URL.RequestURI(), r.Header.Get("X-Vendor-Key"), r.Header.Get("Cookie"), body)
		}
	}
	return newScripted(t, echo(http.StatusServiceUnavailable), echo(http.StatusBadRequest))
}

func TestRedaction(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(c *httpclient.Client)
		url   func(base string) string
		// registered are the secrets the client knows, for Client.Redact.
		registered []string
	}{
		{"basic auth", func(c *httpclient.Client) { c.SetBasicAuth("alice", basicPass) }, nil,
			[]string{basicPass, b64("alice:" + basicPass)}},
		{"bearer", func(c *httpclient.Client) { c.SetBearer(bearerToken) }, nil, []string{bearerToken}},
		{"header secret and cookie", func(c *httpclient.Client) {
			c.SetHeaderSecret("X-Vendor-Key", headerKey)
			c.SetHeaderSecret("Cookie", "session="+sessionID)
		}, nil, []string{headerKey, sessionID}},
		{"url userinfo", func(*httpclient.Client) {}, func(base string) string {
			return strings.Replace(base, "http://", "http://bob:"+userinfoPass+"@", 1)
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := echoServer(t)
			var logs syncBuffer
			var infos []httpclient.RequestInfo
			cfg := fakeConfig(newFakeClock())
			cfg.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			cfg.Observer = func(i httpclient.RequestInfo) { infos = append(infos, i) }
			c := httpclient.New(cfg)
			tc.setup(c)
			base := srv.URL
			if tc.url != nil {
				base = tc.url(base)
			}
			rawURL := base + "/v1/leads?api_key=" + apiKey + "&page=2"
			req := httpclient.NewFormRequest("PUT", rawURL, map[string][]string{"password": {basicPass}, "name": {"Ada"}})
			_, err := c.Do(context.Background(), req)
			var se *httpclient.StatusError
			if !errors.As(err, &se) || se.StatusCode != 400 {
				t.Fatalf("want a 400 *StatusError, got %v", err)
			}
			t.Logf("error: %v", err)
			shown := map[string]string{
				"error":  err.Error(),
				"body":   se.Body,
				"header": fmt.Sprint(se.Header),
				"logs":   logs.String(),
				"infos":  fmt.Sprint(infos),
				"Redact": c.Redact(strings.Join(tc.registered, " ") + " " + rawURL + " Authorization: Bearer " + bearerToken),
			}
			for where, text := range shown {
				for _, s := range everySecret {
					if strings.Contains(text, s) {
						t.Errorf("%s leaks %q:\n%s", where, s, text)
					}
				}
			}
			// What is not secret stays readable.
			for _, want := range []string{"api_key=REDACTED&page=2", "invalid credentials", "400 Bad Request"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lost %q: %s", want, err)
				}
			}
			for _, want := range []string{`"level":"WARN","msg":"http retry"`, `"level":"DEBUG","msg":"http attempt"`, `"vendor":"lumi"`, `"attempt":2`, `"status":503`} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("logs lack %s:\n%s", want, logs.String())
				}
			}
			if se.Header.Get("X-Request-Id") != "req-1" || se.Header.Get("Set-Cookie") != "REDACTED" {
				t.Errorf("header %v", se.Header)
			}
		})
	}
}

func TestRedactionOfTransportErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	var logs syncBuffer
	cfg := fakeConfig(newFakeClock())
	cfg.MaxRetries = 1
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := httpclient.New(cfg)
	c.SetBearer(bearerToken)
	u := "http://bob:" + userinfoPass + "@" + addr + "/leads?access_token=" + bearerToken + "&signature=" + apiKey + "&page=2"
	_, err = c.Do(context.Background(), &httpclient.Request{URL: u})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, text := range []string{err.Error(), logs.String()} {
		for _, s := range everySecret {
			if strings.Contains(text, s) {
				t.Errorf("leaks %q:\n%s", s, text)
			}
		}
	}
	want := "lumi: GET http://bob:REDACTED@" + addr + "/leads?access_token=REDACTED&signature=REDACTED&page=2: after 2 attempts: dial tcp"
	if !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error\n got %s\nwant prefix %s", err, want)
	}

	// An unparsable URL is redacted too.
	_, err = c.Do(context.Background(), &httpclient.Request{URL: "http://bob:" + userinfoPass + "@host:bad/?api_key=" + apiKey})
	if err == nil || strings.Contains(err.Error(), userinfoPass) || strings.Contains(err.Error(), apiKey) {
		t.Fatalf("got %v", err)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
