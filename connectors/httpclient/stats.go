package httpclient

import (
	"sync"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a Client's counters, for the run summary and
// metrics.
type Stats struct {
	Requests        int64         // HTTP attempts sent, retries included
	Retries         int64         // attempts after the first one of a call
	RateLimited     int64         // 429 responses
	TransportErrors int64         // attempts that got no complete response
	OutcomeUnknown  int64         // calls that failed with ErrOutcomeUnknown
	RateLimitWait   time.Duration // time waited for rate limits: limiter, pacing, Retry-After and reset hints, summed over requests
	BackoffWait     time.Duration // time waited in jittered backoff between retries, summed over requests
	// RateLimitWall and BackoffWall are the same waits in wall time: how
	// long at least one request was waiting, whatever the number of
	// requests waiting at once. A 10-minute run of 4 workers held back by
	// the rate limit throughout waited 40 minutes summed, 10 on the wall.
	RateLimitWall time.Duration
	BackoffWall   time.Duration
	ByStatus        map[int]int64 // responses per status code
}

// RequestInfo describes one attempt, for Config.Observer.
type RequestInfo struct {
	Vendor   string
	Method   string
	URL      string        // redacted
	Status   int           // 0 when no response arrived
	Err      error         // redacted transport or read error, nil when a response was read
	Attempt  int           // 1 for the first attempt
	Retry    bool          // Attempt > 1
	Duration time.Duration // from sending to the end of the body
	Waited   time.Duration // rate-limit and backoff waits before this attempt
}

type counters struct {
	requests, retries, rateLimited, transportErrors, outcomeUnknown atomic.Int64
	rateLimitWait, backoffWait                                      atomic.Int64 // nanoseconds
	byStatus                                                        [600]atomic.Int64
	rateLimitWall, backoffWall                                      wallClock
}

// wallClock measures the wall time during which at least one request is
// waiting: the union of the waiting intervals of concurrent requests.
type wallClock struct {
	mu     sync.Mutex
	active int
	since  time.Time
	total  time.Duration
}

// enter marks a request starting to wait at now.
func (w *wallClock) enter(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.active == 0 {
		w.since = now
	}
	w.active++
}

// leave marks a request done waiting at now.
func (w *wallClock) leave(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.active--
	if w.active == 0 && now.After(w.since) {
		w.total += now.Sub(w.since)
	}
}

// load is the wall time waited so far, the wait going on included.
func (w *wallClock) load(now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.total
	if w.active > 0 && now.After(w.since) {
		t += now.Sub(w.since)
	}
	return t
}

func (s *counters) status(code int) {
	if code > 0 && code < len(s.byStatus) {
		s.byStatus[code].Add(1)
	}
}

func (s *counters) snapshot(now time.Time) Stats {
	out := Stats{
		Requests:        s.requests.Load(),
		Retries:         s.retries.Load(),
		RateLimited:     s.rateLimited.Load(),
		TransportErrors: s.transportErrors.Load(),
		OutcomeUnknown:  s.outcomeUnknown.Load(),
		RateLimitWait:   time.Duration(s.rateLimitWait.Load()),
		BackoffWait:     time.Duration(s.backoffWait.Load()),
		RateLimitWall:   s.rateLimitWall.load(now),
		BackoffWall:     s.backoffWall.load(now),
		ByStatus:        map[int]int64{},
	}
	for code := range s.byStatus {
		if n := s.byStatus[code].Load(); n > 0 {
			out.ByStatus[code] = n
		}
	}
	return out
}
