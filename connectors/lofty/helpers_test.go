package lofty_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/connectortest"
	"github.com/leadpipe/leadpipe/connectors/lofty/loftytest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

// env is one sandbox served over real HTTP, with a recording of every
// request URL.
type env struct {
	srv  *loftytest.Server
	http *httptest.Server

	mu       sync.Mutex
	now      time.Time // fake clock; zero: real time
	urls     []*url.URL
	limits   map[string]int // X-RateLimit-Limit values answered
	noScrol  bool           // strip _metadata.scrollId from answers
	fail     string         // answer 403 to paths containing it
	dropPost bool           // the next POST is handled, then its connection dropped
}

// dropNextPost makes the sandbox act on the next POST and then drop the
// connection before answering (sandbox Faults.DropAfterHandleNext), whatever
// searches come before it.
func (e *env) dropNextPost() {
	e.mu.Lock()
	e.dropPost = true
	e.mu.Unlock()
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.now.IsZero() {
		return time.Now()
	}
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// start serves a sandbox with size leads on a fake clock one day after the
// dataset's anchor, with rate limiting off (a fake clock never ends a
// window); rate-limit tests use startReal.
func start(t testing.TB, size int) *env {
	t.Helper()
	e := &env{now: loftytest.Anchor.Add(24 * time.Hour), limits: map[string]int{}}
	e.srv = loftytest.New(sandbox.Options{Seed: 11, Size: size, Now: e.clock})
	e.srv.SetRateWindow(0)
	e.serve(t)
	return e
}

// startReal serves a sandbox on the real clock, limited to 10 calls (20
// with a vendorKey) per window.
func startReal(t testing.TB, size int, window time.Duration) *env {
	t.Helper()
	e := &env{limits: map[string]int{}}
	e.srv = loftytest.New(sandbox.Options{Seed: 11, Size: size})
	e.srv.SetRateWindow(window)
	e.serve(t)
	return e
}

func (e *env) serve(t testing.TB) {
	e.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		u := *r.URL
		e.urls = append(e.urls, &u)
		strip, fail := e.noScrol, e.fail
		if e.dropPost && r.Method == http.MethodPost {
			e.dropPost = false
			e.srv.Faults().DropAfterHandleNext(1)
		}
		e.mu.Unlock()
		if fail != "" && strings.Contains(r.URL.Path, fail) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if !strip {
			rw := &limitRecorder{ResponseWriter: w, e: e}
			e.srv.ServeHTTP(rw, r)
			return
		}
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			if meta, ok := m["_metadata"].(map[string]any); ok {
				delete(meta, "scrollId")
				body, _ = json.Marshal(m)
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	}))
	t.Cleanup(e.http.Close)
}

// limitRecorder notes the X-RateLimit-Limit of every answer.
type limitRecorder struct {
	http.ResponseWriter
	e *env
}

func (w *limitRecorder) WriteHeader(code int) {
	var n int
	fmt.Sscan(w.Header().Get("X-RateLimit-Limit"), &n)
	w.e.mu.Lock()
	w.e.limits[fmt.Sprint(n)]++
	w.e.mu.Unlock()
	w.ResponseWriter.WriteHeader(code)
}

func (w *limitRecorder) Write(b []byte) (int, error) { return w.ResponseWriter.Write(b) }

// Hijack keeps the fault injector's dropped connections working.
func (w *limitRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.ResponseWriter.(http.Hijacker).Hijack()
}

func (e *env) requests() []*url.URL {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*url.URL(nil), e.urls...)
}

func (e *env) resetRequests() {
	e.mu.Lock()
	e.urls = nil
	e.mu.Unlock()
	e.srv.ResetCounters()
}

func (e *env) baseConfig(extra string) string {
	return fmt.Sprintf("base_url: %s/v1.0\naccess_token: %s\nphone_region: US\n%s", e.http.URL, loftytest.AccessToken, extra)
}

func (e *env) config(t testing.TB, extra string) any {
	t.Helper()
	return connectortest.Config(t, "lofty", e.baseConfig(extra))
}

func (e *env) read(t testing.TB, cfg any, state map[string]string, streams ...string) *connectortest.Result {
	t.Helper()
	if len(streams) == 0 {
		streams = []string{"leads", "events"}
	}
	res := connectortest.Read(t, "lofty", cfg, &connectors.ReadRequest{Streams: streams, State: state, Now: e.clock()})
	if res.Err != nil {
		t.Fatalf("read: %v", res.Err)
	}
	return res
}

// activitiesSince counts a lead's activities created at or after since
// (all of them when since is zero).
func activitiesSince(acts []loftytest.Activity, since time.Time) int {
	n := 0
	for _, a := range acts {
		if since.IsZero() || a.Created >= since.UnixMilli() {
			n++
		}
	}
	return n
}

// cost is the README's request formula for a run of the leads and events
// streams with the default sources (activities, calls, emails, texts, team
// notes):
//
//	max(1, ceil(N/p)) + Σ (1 + floor(a_i/100)) + Σ_t (1 + floor(n_t/m)) + 1
func cost(n, p, m int, activities []int, comm ...int) int {
	r := max(1, (n+p-1)/p)
	for _, a := range activities {
		r += 1 + a/100
	}
	for _, c := range comm {
		r += 1 + c/m
	}
	return r + 1 // the team's notes
}

func pretty(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return b.String()
}
