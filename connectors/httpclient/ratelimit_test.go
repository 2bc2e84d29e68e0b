package httpclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/httpclient"
)

// resetForms are the X-RateLimit-Reset encodings vendors use, each asking
// for a reset 30 s (or 2.5 s) after now, and the wait the client must derive.
// Whole seconds are read as the end of that second (+1 s).
func resetForms(now time.Time) []struct {
	name, value string
	want        time.Duration
} {
	epoch := now.Unix()
	return []struct {
		name, value string
		want        time.Duration
	}{
		{"epoch seconds", strconv.FormatInt(epoch+30, 10), 31 * time.Second},
		{"epoch seconds with decimals", strconv.FormatInt(epoch+30, 10) + ".5", 30500 * time.Millisecond},
		{"epoch milliseconds", strconv.FormatInt(now.UnixMilli()+30000, 10), 30 * time.Second},
		{"seconds until reset", "30", 31 * time.Second},
		{"fractional seconds until reset", "2.5", 2500 * time.Millisecond},
		{"http date", now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
	}
}

func TestRateLimitResetForms(t *testing.T) {
	for _, tc := range resetForms(newFakeClock().Now()) {
		t.Run("429/"+tc.name, func(t *testing.T) {
			srv := newScripted(t,
				status(http.StatusTooManyRequests, `{"message":"Too Many Requests"}`,
					"X-RateLimit-Limit", "10", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", tc.value),
				ok("{}"))
			clk := newFakeClock()
			c := httpclient.New(fakeConfig(clk))
			if _, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL}); err != nil {
				t.Fatal(err)
			}
			if got := clk.Sleeps(); len(got) != 1 || got[0] != tc.want || srv.Count() != 2 {
				t.Fatalf("sleeps %v, want [%v]; server saw %d", got, tc.want, srv.Count())
			}
		})
		// Proactive pacing: a 200 that spends the budget makes the NEXT
		// request wait for the reset instead of drawing a 429.
		t.Run("pacing/"+tc.name, func(t *testing.T) {
			srv := newScripted(t,
				status(http.StatusOK, "{}", "X-RateLimit-Limit", "10", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", tc.value),
				ok("{}"))
			clk := newFakeClock()
			c := httpclient.New(fakeConfig(clk))
			for range 2 {
				if _, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL}); err != nil {
					t.Fatal(err)
				}
			}
			if got := clk.Sleeps(); len(got) != 1 || got[0] != tc.want {
				t.Fatalf("sleeps %v, want [%v]", got, tc.want)
			}
			if st := c.Stats(); st.RateLimited != 0 || st.RateLimitWait != tc.want || st.Requests != 2 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestWaitAboveMaxWaitFailsFast(t *testing.T) {
	now := newFakeClock().Now()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    []string
		status  int
	}{
		{
			name:    "Retry-After",
			handler: status(http.StatusTooManyRequests, "later", "Retry-After", "600"),
			want:    []string{"lumi: GET ", ": 429 Too Many Requests: later: rate limit wait too long: the vendor asked to wait 10m0s (Retry-After: 600), more than the maximum of 2m0s"},
			status:  429,
		},
		{
			name: "X-RateLimit-Reset on a 429",
			handler: status(http.StatusTooManyRequests, "", "X-RateLimit-Remaining", "0",
				"X-RateLimit-Reset", strconv.FormatInt(now.Unix()+3600, 10)),
			want:   []string{"vendor asked to wait 1h0m1s (X-RateLimit-Reset: " + strconv.FormatInt(now.Unix()+3600, 10) + ")"},
			status: 429,
		},
		{
			name: "Retry-After on a 503",
			handler: status(http.StatusServiceUnavailable, "maintenance", "Retry-After",
				now.Add(3*time.Hour).Format(http.TimeFormat)),
			want:   []string{"503 Service Unavailable: maintenance: rate limit wait too long: the vendor asked to wait 3h0m0s"},
			status: 503,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newScripted(t, tc.handler, ok("{}"))
			clk := newFakeClock()
			c := httpclient.New(fakeConfig(clk))
			_, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL})
			if !errors.Is(err, httpclient.ErrRateLimitWaitTooLong) {
				t.Fatalf("want ErrRateLimitWaitTooLong, got %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			var se *httpclient.StatusError
			if !errors.As(err, &se) || se.StatusCode != tc.status {
				t.Fatalf("want a *StatusError %d in %v", tc.status, err)
			}
			if len(clk.Sleeps()) != 0 || srv.Count() != 1 {
				t.Fatalf("slept %v, server saw %d", clk.Sleeps(), srv.Count())
			}
			// The pause is shared: the next call fails too, without
			// hitting the vendor.
			if _, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL}); !errors.Is(err, httpclient.ErrRateLimitWaitTooLong) || srv.Count() != 1 {
				t.Fatalf("second call: %v, server saw %d", err, srv.Count())
			}
		})
	}
	t.Run("pacing", func(t *testing.T) {
		srv := newScripted(t, status(http.StatusOK, "{}", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "600"))
		clk := newFakeClock()
		c := httpclient.New(fakeConfig(clk))
		if _, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL + "/next"})
		want := "lumi: GET " + srv.URL + "/next: rate limit wait too long: the vendor asked to wait 10m1s (X-RateLimit-Reset: 600), more than the maximum of 2m0s"
		if !errors.Is(err, httpclient.ErrRateLimitWaitTooLong) || err.Error() != want {
			t.Fatalf("error\n got %v\nwant %s", err, want)
		}
		if srv.Count() != 1 || len(clk.Sleeps()) != 0 {
			t.Fatalf("server saw %d, slept %v", srv.Count(), clk.Sleeps())
		}
	})
}

// windowServer allows limit requests per fixed window and answers with
// X-RateLimit-* headers on every response, like a strict vendor.
type windowServer struct {
	mu       sync.Mutex
	limit    int
	window   time.Duration
	reset    func(end, now time.Time) string
	start    time.Time
	count    int
	total    int
	rejected int
}

func (s *windowServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := time.Now()
	if s.start.IsZero() || !now.Before(s.start.Add(s.window)) {
		s.start, s.count = now, 0
	}
	s.count++
	s.total++
	rem := s.limit - s.count
	if rem < 0 {
		s.rejected++
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(rem, 0)))
	h.Set("X-RateLimit-Reset", s.reset(s.start.Add(s.window), now))
	s.mu.Unlock()
	if rem < 0 {
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"message":"Too Many Requests"}`))
		return
	}
	_, _ = w.Write([]byte(`{"ok":true}`))
}

func TestProactivePacingZero429s(t *testing.T) {
	// Both encodings round the reset UP to the millisecond, as a vendor
	// must for sub-second windows.
	forms := map[string]func(end, now time.Time) string{
		"epoch milliseconds": func(end, _ time.Time) string {
			return strconv.FormatInt((end.UnixNano()+int64(time.Millisecond)-1)/int64(time.Millisecond), 10)
		},
		"fractional seconds until reset": func(end, now time.Time) string {
			ms := (end.Sub(now) + time.Millisecond - 1) / time.Millisecond
			return fmt.Sprintf("%.3f", float64(ms)/1000)
		},
	}
	for name, reset := range forms {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, mode := range []struct {
				concurrent  bool
				concurrency int
			}{{false, 4}, {true, 4}, {true, 8}} {
				concurrent := mode.concurrent
				ws := &windowServer{limit: 5, window: 300 * time.Millisecond, reset: reset}
				srv := httptest.NewServer(ws)
				defer srv.Close()
				c := httpclient.New(httpclient.Config{Vendor: "lofty", Concurrency: mode.concurrency})
				start := time.Now()
				errs := make(chan error, 20)
				var wg sync.WaitGroup
				for i := range 20 {
					call := func() {
						_, err := c.Do(context.Background(), &httpclient.Request{URL: fmt.Sprintf("%s/leads?offset=%d", srv.URL, i)})
						errs <- err
					}
					if concurrent {
						wg.Go(call)
					} else {
						call()
					}
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatal(err)
					}
				}
				ws.mu.Lock()
				total, rejected := ws.total, ws.rejected
				ws.mu.Unlock()
				st := c.Stats()
				if rejected != 0 || st.RateLimited != 0 || total != 20 {
					t.Fatalf("%+v: server saw %d requests, rejected %d (client stats %+v)", mode, total, rejected, st)
				}
				t.Logf("%+v: 20 requests took %v (4 windows of %v)", mode, time.Since(start), ws.window)
				if st.RateLimitWait < 2*ws.window {
					t.Fatalf("%+v: waited only %v for 4 windows", mode, st.RateLimitWait)
				}
			}
		})
	}
}

// TestRateLimit checks the client's own rate limit on an injected clock:
// the limiter must hold each request after the first for exactly its
// interval, whatever the machine's load (no wall-clock assertion).
func TestRateLimit(t *testing.T) {
	srv := newScripted(t, ok("{}"))
	clk := newFakeClock()
	start := clk.Now()
	cfg := fakeConfig(clk)
	cfg.Vendor, cfg.RateLimit, cfg.Burst = "bizcap", 20, 1
	c := httpclient.New(cfg)
	const n = 10
	for range n {
		if _, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL}); err != nil {
			t.Fatal(err)
		}
	}
	// n requests at 20/s with a burst of 1: the first goes at once, each
	// other one waits 1/20 s.
	sleeps := clk.Sleeps()
	if len(sleeps) != n-1 {
		t.Fatalf("%d requests at 20/s slept %d times (%v), want %d", n, len(sleeps), sleeps, n-1)
	}
	for i, d := range sleeps {
		if d != 50*time.Millisecond {
			t.Fatalf("wait %d was %v, want 50ms (all: %v)", i+1, d, sleeps)
		}
	}
	if got := clk.Now().Sub(start); got != time.Duration(n-1)*50*time.Millisecond {
		t.Fatalf("the requests spanned %v of the clock, want %v", got, time.Duration(n-1)*50*time.Millisecond)
	}
	if st := c.Stats(); st.RateLimitWait != time.Duration(n-1)*50*time.Millisecond || st.Requests != n {
		t.Fatalf("stats %+v: want %d requests and %v of rate limit wait", st, n, time.Duration(n-1)*50*time.Millisecond)
	}
	if srv.Count() != n {
		t.Fatalf("server saw %d requests, want %d", srv.Count(), n)
	}
}

func TestConcurrencyBound(t *testing.T) {
	var inFlight, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
	}))
	defer srv.Close()
	c := httpclient.New(httpclient.Config{Vendor: "iute", Concurrency: 3})
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if _, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 3 {
		t.Fatalf("server saw %d requests in flight, Concurrency is 3", p)
	}
	if st := c.Stats(); st.Requests != 12 {
		t.Fatalf("stats %+v", st)
	}
}

// TestWaitsInWallTime: concurrent requests held back by the rate limit wait
// together; the wall time counts that once (the summed wait counts it per
// request), and retry backoff is counted apart from rate limits.
func TestWaitsInWallTime(t *testing.T) {
	srv := newScripted(t, ok("{}"))
	c := httpclient.New(httpclient.Config{Vendor: "lumi", RateLimit: 40, Burst: 1, Concurrency: 4})
	const n = 20
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n / 4 {
				if _, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	st := c.Stats()
	// At 40/s with a burst of 1, the 20 requests span at least 19/40 s,
	// and some request waits all along.
	if min := time.Duration(n-1) * time.Second / 40; st.RateLimitWall < min/2 || st.RateLimitWall > elapsed {
		t.Errorf("rate-limit wall time %v, want between %v and the %v the requests took", st.RateLimitWall, min/2, elapsed)
	}
	if st.RateLimitWait <= st.RateLimitWall {
		t.Errorf("4 workers waited %v summed and %v on the wall: the sum should be more", st.RateLimitWait, st.RateLimitWall)
	}
	if st.BackoffWall != 0 || st.BackoffWait != 0 {
		t.Errorf("no retry, but backoff %v / %v", st.BackoffWall, st.BackoffWait)
	}

	// Retries after 500s wait in backoff, not on the rate limit.
	clk := newFakeClock()
	c = httpclient.New(fakeConfig(clk))
	srv = newScripted(t, status(500, "no"), status(500, "no"), ok("{}"))
	if _, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	st = c.Stats()
	var slept time.Duration
	for _, d := range clk.Sleeps() {
		slept += d
	}
	if st.BackoffWall != slept || st.BackoffWait != slept || slept == 0 || st.RateLimitWall != 0 {
		t.Errorf("after two retries: %+v; slept %v", st, slept)
	}
}
