package sandbox

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Faults injects the failures real vendor APIs produce, so that tests,
// benchmarks and the demo can exercise retries and exactly-once recovery
// against a sandbox. Every simulator wraps its handler with one Faults and
// exposes it, so a test can say "answer the next 50 requests with 429".
//
// The zero value injects nothing. Methods are safe for concurrent use.
type Faults struct {
	mu            sync.Mutex
	latency       time.Duration
	storm         int // requests still to answer with 429
	stormRetry    time.Duration
	failNext      int // requests still to answer with failStatus
	failStatus    int
	failBody      string
	dropNext      int // requests whose connection is closed without a response
	malformedNext int // requests answered 200 with a truncated JSON body
	// afterHandle counts requests that must be processed by the real handler
	// and then have their connection dropped: the vendor did the work but the
	// client never heard back, the hardest case for exactly-once.
	dropAfterHandle int
}

// SetLatency adds d before every response (0 disables).
func (f *Faults) SetLatency(d time.Duration) {
	f.mu.Lock()
	f.latency = d
	f.mu.Unlock()
}

// Storm429 answers the next n requests with 429 Too Many Requests and a
// Retry-After header of retryAfter (rounded up to whole seconds, at least 1
// when retryAfter > 0; 0 sends "0").
func (f *Faults) Storm429(n int, retryAfter time.Duration) {
	f.mu.Lock()
	f.storm, f.stormRetry = n, retryAfter
	f.mu.Unlock()
}

// FailNext answers the next n requests with status and body.
func (f *Faults) FailNext(n, status int, body string) {
	f.mu.Lock()
	f.failNext, f.failStatus, f.failBody = n, status, body
	f.mu.Unlock()
}

// DropNext closes the connection of the next n requests without answering.
func (f *Faults) DropNext(n int) {
	f.mu.Lock()
	f.dropNext = n
	f.mu.Unlock()
}

// MalformedNext answers the next n requests with 200 and a broken JSON body.
func (f *Faults) MalformedNext(n int) {
	f.mu.Lock()
	f.malformedNext = n
	f.mu.Unlock()
}

// DropAfterHandleNext lets the next n requests reach the simulator (so a
// create really happens) and then closes the connection instead of sending
// the response.
func (f *Faults) DropAfterHandleNext(n int) {
	f.mu.Lock()
	f.dropAfterHandle = n
	f.mu.Unlock()
}

// Reset clears every injected fault.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	// Every field but the mutex (overwriting a held mutex would unlock it
	// twice).
	f.latency, f.storm, f.stormRetry = 0, 0, 0
	f.failNext, f.failStatus, f.failBody = 0, 0, ""
	f.dropNext, f.malformedNext, f.dropAfterHandle = 0, 0, 0
}

type action int

const (
	pass action = iota
	storm
	fail
	drop
	malformed
	dropAfter
)

func (f *Faults) next() (action, time.Duration, time.Duration, int, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.storm > 0:
		f.storm--
		return storm, f.latency, f.stormRetry, 0, ""
	case f.failNext > 0:
		f.failNext--
		return fail, f.latency, 0, f.failStatus, f.failBody
	case f.dropNext > 0:
		f.dropNext--
		return drop, f.latency, 0, 0, ""
	case f.malformedNext > 0:
		f.malformedNext--
		return malformed, f.latency, 0, 0, ""
	case f.dropAfterHandle > 0:
		f.dropAfterHandle--
		return dropAfter, f.latency, 0, 0, ""
	}
	return pass, f.latency, 0, 0, ""
}

// Wrap returns h with the faults applied in front of it.
func (f *Faults) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		act, latency, retry, status, body := f.next()
		if latency > 0 {
			select {
			case <-time.After(latency):
			case <-r.Context().Done():
				return
			}
		}
		switch act {
		case storm:
			secs := int((retry + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"message":"Too Many Requests"}`))
		case fail:
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		case drop:
			hijackAndClose(w)
		case malformed:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"success": true, "result": {"leads": [{"id": "tr`))
		case dropAfter:
			h.ServeHTTP(discardWriter{header: http.Header{}}, r)
			hijackAndClose(w)
		default:
			h.ServeHTTP(w, r)
		}
	})
}

func hijackAndClose(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// Without a hijacker (HTTP/2) the closest thing is an aborted handler.
	panic(http.ErrAbortHandler)
}

// discardWriter lets a handler run to completion while its response is thrown
// away.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}
