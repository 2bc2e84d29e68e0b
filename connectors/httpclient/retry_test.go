package httpclient_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/httpclient"
)

func TestRetryAfter429ThenSuccess(t *testing.T) {
	retryDate := newFakeClock().Now().Add(45 * time.Second).Format(http.TimeFormat)
	for _, tc := range []struct {
		name, retryAfter string
		want             time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"http date", retryDate, 45 * time.Second},
		{"zero", "0", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newScripted(t,
				status(http.StatusTooManyRequests, `{"message":"Too Many Requests"}`, "Retry-After", tc.retryAfter),
				ok(`{"ok":true}`))
			clk := newFakeClock()
			c := httpclient.New(fakeConfig(clk))
			resp, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL + "/v1/leads"})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || resp.Attempts != 2 || srv.Count() != 2 {
				t.Fatalf("status %d attempts %d server saw %d", resp.StatusCode, resp.Attempts, srv.Count())
			}
			if got := clk.Sleeps(); len(got) != 1 || got[0] != tc.want {
				t.Fatalf("sleeps %v, want [%v]", got, tc.want)
			}
			st := c.Stats()
			if st.RateLimited != 1 || st.Retries != 1 || st.Requests != 2 || st.RateLimitWait != tc.want {
				t.Fatalf("stats %+v", st)
			}
			if st.ByStatus[429] != 1 || st.ByStatus[200] != 1 {
				t.Fatalf("by status %v", st.ByStatus)
			}
		})
	}
}

func TestRetryAfterRealTime(t *testing.T) {
	srv := newScripted(t,
		status(http.StatusTooManyRequests, "slow down", "Retry-After", "1"),
		ok("fine"))
	c := httpclient.New(httpclient.Config{Vendor: "lumi"})
	start := time.Now()
	resp, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 950*time.Millisecond {
		t.Fatalf("retried after %v, Retry-After asked for 1s", elapsed)
	}
	if string(resp.Body) != "fine" || srv.Count() != 2 {
		t.Fatalf("body %q, server saw %d", resp.Body, srv.Count())
	}
}

func Test503TwiceThenSuccess(t *testing.T) {
	srv := newScripted(t,
		status(http.StatusServiceUnavailable, "down"),
		status(http.StatusServiceUnavailable, "down"),
		ok("up"))
	clk := newFakeClock()
	c := httpclient.New(fakeConfig(clk))
	resp, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Attempts != 3 || srv.Count() != 3 {
		t.Fatalf("attempts %d, server saw %d", resp.Attempts, srv.Count())
	}
	sleeps := clk.Sleeps()
	if len(sleeps) != 2 {
		t.Fatalf("sleeps %v", sleeps)
	}
	// Full jitter: retry n waits at most BackoffBase·2^(n-1).
	for i, capd := range []time.Duration{500 * time.Millisecond, time.Second} {
		if sleeps[i] < 0 || sleeps[i] > capd {
			t.Errorf("backoff %d = %v, want within [0, %v]", i+1, sleeps[i], capd)
		}
	}
	if st := c.Stats(); st.Retries != 2 || st.BackoffWait != sleeps[0]+sleeps[1] || st.ByStatus[503] != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func Test500BeyondMaxRetries(t *testing.T) {
	srv := newScripted(t, status(http.StatusInternalServerError, `{"error":"boom"}`))
	clk := newFakeClock()
	cfg := fakeConfig(clk)
	cfg.MaxRetries = 3
	c := httpclient.New(cfg)
	resp, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL + "/v1/leads"})
	var se *httpclient.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("want *StatusError, got %v", err)
	}
	if se.StatusCode != 500 || se.Attempts != 4 || srv.Count() != 4 {
		t.Fatalf("status %d attempts %d server saw %d", se.StatusCode, se.Attempts, srv.Count())
	}
	want := "lumi: GET " + srv.URL + `/v1/leads: 500 Internal Server Error after 4 attempts: {"error":"boom"}`
	if err.Error() != want {
		t.Fatalf("error\n got %s\nwant %s", err, want)
	}
	if resp == nil || string(resp.Body) != `{"error":"boom"}` {
		t.Fatalf("want the last response next to the error, got %+v", resp)
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 422} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			body := `[{"status":false,"error":"Unauthorized"}]`
			srv := newScripted(t, status(code, body+"\n"))
			c := httpclient.New(fakeConfig(newFakeClock()))
			resp, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL + "/v1/leads?page_index=3"})
			want := "lumi: GET " + srv.URL + "/v1/leads?page_index=3: " + strconv.Itoa(code) + " " + http.StatusText(code) + ": " + body
			if err == nil || err.Error() != want {
				t.Fatalf("error\n got %v\nwant %s", err, want)
			}
			var se *httpclient.StatusError
			if !errors.As(err, &se) || se.StatusCode != code || se.Vendor != "lumi" || se.Method != "GET" || se.Attempts != 1 {
				t.Fatalf("status error %+v", se)
			}
			if srv.Count() != 1 || resp == nil || resp.StatusCode != code || string(resp.Body) != body+"\n" {
				t.Fatalf("server saw %d; response %+v", srv.Count(), resp)
			}
		})
	}
}

func TestDroppedConnection(t *testing.T) {
	t.Run("GET is retried", func(t *testing.T) {
		srv := newScripted(t, hangUp, ok("again"))
		c := httpclient.New(fakeConfig(newFakeClock()))
		resp, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		if string(resp.Body) != "again" || srv.Count() != 2 {
			t.Fatalf("body %q, server saw %d", resp.Body, srv.Count())
		}
		if st := c.Stats(); st.TransportErrors != 1 || st.Retries != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("POST after the body was sent is not retried", func(t *testing.T) {
		var bodies atomic.Int64
		srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
			if b, _ := io.ReadAll(r.Body); string(b) == `{"first_name":"Ada"}` {
				bodies.Add(1)
			}
			hangUp(w, r)
		}, ok("must not be reached"))
		c := httpclient.New(fakeConfig(newFakeClock()))
		req, err := httpclient.NewJSONRequest(http.MethodPost, srv.URL+"/v1/leads", map[string]string{"first_name": "Ada"})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(context.Background(), req)
		if !errors.Is(err, httpclient.ErrOutcomeUnknown) {
			t.Fatalf("want ErrOutcomeUnknown, got %v", err)
		}
		if resp != nil || srv.Count() != 1 || bodies.Load() != 1 {
			t.Fatalf("server saw %d requests (%d full bodies), want exactly 1", srv.Count(), bodies.Load())
		}
		if !strings.HasPrefix(err.Error(), "lumi: POST "+srv.URL+"/v1/leads: outcome unknown") {
			t.Fatalf("error %q", err)
		}
		if st := c.Stats(); st.OutcomeUnknown != 1 || st.Retries != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestNonIdempotentOutcomeUnknown(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // lets the server notice the client hang up
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		status  int
	}{
		{"503", status(http.StatusServiceUnavailable, "busy", "Retry-After", "1"), 503},
		{"500", status(http.StatusInternalServerError, "oops"), 500},
		{"timeout waiting for the response", slow, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newScripted(t, tc.handler, status(http.StatusCreated, `{"id":"2"}`))
			cfg := fakeConfig(newFakeClock())
			cfg.Timeout = 100 * time.Millisecond
			c := httpclient.New(cfg)
			_, err := c.Do(context.Background(), &httpclient.Request{Method: "POST", URL: srv.URL, Body: []byte("a=1")})
			if !errors.Is(err, httpclient.ErrOutcomeUnknown) {
				t.Fatalf("want ErrOutcomeUnknown, got %v", err)
			}
			if srv.Count() != 1 {
				t.Fatalf("server saw %d requests, want 1", srv.Count())
			}
			var se *httpclient.StatusError
			if got := errors.As(err, &se); got != (tc.status != 0) || (got && se.StatusCode != tc.status) {
				t.Fatalf("status error %v in %v", se, err)
			}
		})
	}
}

func TestPOSTRetriedOn429(t *testing.T) {
	var acted atomic.Int64
	srv := newScripted(t,
		status(http.StatusTooManyRequests, `{"message":"Too Many Requests"}`, "Retry-After", "2"),
		func(w http.ResponseWriter, r *http.Request) {
			acted.Add(1)
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":"lead-1"}`))
		})
	c := httpclient.New(fakeConfig(newFakeClock()))
	var out struct{ ID string }
	resp, err := c.DoJSON(context.Background(), httpclient.NewFormRequest("POST", srv.URL+"/leads", map[string][]string{"name": {"Ada"}}), &out)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Count() != 2 || acted.Load() != 1 || out.ID != "lead-1" || resp.StatusCode != 201 {
		t.Fatalf("server saw %d, acted %d, id %q", srv.Count(), acted.Load(), out.ID)
	}
}

func TestIdempotentOverride(t *testing.T) {
	srv := newScripted(t, status(http.StatusBadGateway, ""), ok("[]"))
	c := httpclient.New(fakeConfig(newFakeClock()))
	_, err := c.Do(context.Background(), &httpclient.Request{Method: "POST", URL: srv.URL + "/search", Idempotent: new(true)})
	if err != nil || srv.Count() != 2 {
		t.Fatalf("err %v, server saw %d", err, srv.Count())
	}
	srv2 := newScripted(t, status(http.StatusBadGateway, ""), ok("[]"))
	_, err = c.Do(context.Background(), &httpclient.Request{Method: "PUT", URL: srv2.URL, Idempotent: new(false)})
	if !errors.Is(err, httpclient.ErrOutcomeUnknown) || srv2.Count() != 1 {
		t.Fatalf("err %v, server saw %d", err, srv2.Count())
	}
}

// A dial error happens before any byte is written, so even a POST is safe to
// send again.
func TestPOSTRetriedOnDialError(t *testing.T) {
	var acted atomic.Int64
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		acted.Add(1)
		w.WriteHeader(http.StatusCreated)
	})
	var dials atomic.Int64
	tr := httpclient.NewTransport(2)
	d := &net.Dialer{}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		return d.DialContext(ctx, network, addr)
	}
	cfg := fakeConfig(newFakeClock())
	cfg.HTTPClient = &http.Client{Transport: tr}
	c := httpclient.New(cfg)
	resp, err := c.Do(context.Background(), &httpclient.Request{Method: "POST", URL: srv.URL, Body: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Attempts != 2 || acted.Load() != 1 || dials.Load() != 2 {
		t.Fatalf("attempts %d acted %d dials %d", resp.Attempts, acted.Load(), dials.Load())
	}
}

func TestConnectionRefusedExhaustsRetries(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cfg := fakeConfig(newFakeClock())
	cfg.MaxRetries = 2
	c := httpclient.New(cfg)
	_, err = c.Do(context.Background(), &httpclient.Request{Method: "POST", URL: "http://" + addr + "/leads"})
	if !errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, httpclient.ErrOutcomeUnknown) {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "after 3 attempts") || c.Stats().Requests != 3 {
		t.Fatalf("got %v, stats %+v", err, c.Stats())
	}
}

func TestAttemptTimeoutIsRetriedForGET(t *testing.T) {
	srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}, ok("quick"))
	cfg := fakeConfig(newFakeClock())
	cfg.Timeout = 100 * time.Millisecond
	c := httpclient.New(cfg)
	resp, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL})
	if err != nil || string(resp.Body) != "quick" || srv.Count() != 2 {
		t.Fatalf("err %v, server saw %d", err, srv.Count())
	}
}

func TestCallerCancelStopsRetrying(t *testing.T) {
	srv := newScripted(t, status(http.StatusServiceUnavailable, ""))
	ctx, cancel := context.WithCancel(context.Background())
	cfg := httpclient.Config{Vendor: "lumi", BackoffBase: time.Hour, BackoffMax: time.Hour}
	c := httpclient.New(cfg)
	go func() {
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	_, err := c.Do(ctx, &httpclient.Request{URL: srv.URL})
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Fatalf("got %v after %v", err, time.Since(start))
	}
}

func TestMalformedJSON(t *testing.T) {
	const broken = `{"success": true, "result": {"leads": [{"id": "tr`
	srv := newScripted(t, ok(broken), ok(`{}`))
	c := httpclient.New(fakeConfig(newFakeClock()))
	var out map[string]any
	_, err := c.DoJSON(context.Background(), &httpclient.Request{URL: srv.URL + "/v1/leads?page_index=2"}, &out)
	if !errors.Is(err, httpclient.ErrMalformedResponse) {
		t.Fatalf("want ErrMalformedResponse, got %v", err)
	}
	for _, want := range []string{"lumi: GET " + srv.URL + "/v1/leads?page_index=2: ", "at byte " + strconv.Itoa(len(broken)), `"id\": \"tr`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if srv.Count() != 1 {
		t.Fatalf("a malformed body was retried: server saw %d", srv.Count())
	}

	t.Run("type mismatch names the offset", func(t *testing.T) {
		srv := newScripted(t, ok(`{"page": 1, "total": "many"}`))
		var out struct{ Total int }
		_, err := c.DoJSON(context.Background(), &httpclient.Request{URL: srv.URL}, &out)
		if !errors.Is(err, httpclient.ErrMalformedResponse) || !strings.Contains(err.Error(), "at byte 27") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("empty body", func(t *testing.T) {
		srv := newScripted(t, ok(""))
		_, err := c.DoJSON(context.Background(), &httpclient.Request{URL: srv.URL}, &out)
		if !errors.Is(err, httpclient.ErrMalformedResponse) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("sends Accept", func(t *testing.T) {
		var accept atomic.Value
		srv := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
			accept.Store(r.Header.Get("Accept"))
			_, _ = w.Write([]byte(`{"a":1}`))
		})
		if _, err := c.DoJSON(context.Background(), &httpclient.Request{URL: srv.URL}, &out); err != nil || out["a"] != 1.0 {
			t.Fatalf("err %v out %v", err, out)
		}
		if accept.Load() != "application/json" {
			t.Fatalf("Accept %v", accept.Load())
		}
	})
}

func TestBodyIsResentOnRetry(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	var types []string
	record := func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			bodies = append(bodies, string(b))
			types = append(types, r.Header.Get("Content-Type"))
			next(w, r)
		}
	}
	srv := newScripted(t, record(status(429, "")), record(status(201, "")))
	c := httpclient.New(fakeConfig(newFakeClock()))
	req, _ := httpclient.NewJSONRequest("POST", srv.URL, map[string]int{"amount": 5000})
	if _, err := c.Do(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 || bodies[0] != `{"amount":5000}` || bodies[1] != bodies[0] || types[1] != "application/json" {
		t.Fatalf("bodies %q types %q", bodies, types)
	}
}

func TestResponseTooLarge(t *testing.T) {
	srv := newScripted(t, ok(strings.Repeat("x", 1000)))
	cfg := fakeConfig(newFakeClock())
	cfg.MaxBodyBytes = 100
	c := httpclient.New(cfg)
	_, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL})
	if !errors.Is(err, httpclient.ErrResponseTooLarge) || srv.Count() != 1 {
		t.Fatalf("got %v, server saw %d", err, srv.Count())
	}
}

func TestObserverAndUserAgent(t *testing.T) {
	var ua atomic.Value
	srv := newScripted(t, status(503, ""), func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.Header.Get("User-Agent"))
	})
	var infos []httpclient.RequestInfo
	cfg := fakeConfig(newFakeClock())
	cfg.Observer = func(i httpclient.RequestInfo) { infos = append(infos, i) }
	c := httpclient.New(cfg)
	if _, err := c.Do(context.Background(), &httpclient.Request{Method: "delete", URL: srv.URL + "/x"}); err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 || infos[0].Status != 503 || infos[0].Retry || !infos[1].Retry || infos[1].Attempt != 2 ||
		infos[1].Method != "DELETE" || infos[1].Vendor != "lumi" || infos[1].URL != srv.URL+"/x" {
		t.Fatalf("infos %+v", infos)
	}
	if infos[1].Waited != c.Stats().BackoffWait {
		t.Fatalf("waited %v, backoff %v", infos[1].Waited, c.Stats().BackoffWait)
	}
	if got, _ := ua.Load().(string); !strings.HasPrefix(got, "leadpipe/") {
		t.Fatalf("User-Agent %q", got)
	}
}

func TestPOSTToUnknownHostIsAPlainError(t *testing.T) {
	tr := httpclient.NewTransport(2)
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "vendor.invalid", IsNotFound: true}}
	}
	cfg := fakeConfig(newFakeClock())
	cfg.HTTPClient = &http.Client{Transport: tr}
	c := httpclient.New(cfg)
	_, err := c.Do(context.Background(), &httpclient.Request{Method: "POST", URL: "https://vendor.invalid/leads"})
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || errors.Is(err, httpclient.ErrOutcomeUnknown) || c.Stats().Requests != 1 {
		t.Fatalf("got %v, stats %+v", err, c.Stats())
	}
}
