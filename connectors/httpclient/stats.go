package httpclient

import (
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
	RateLimitWait   time.Duration // time waited for rate limits: limiter, pacing, Retry-After and reset hints
	BackoffWait     time.Duration // time waited in jittered backoff between retries
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
}

func (s *counters) status(code int) {
	if code > 0 && code < len(s.byStatus) {
		s.byStatus[code].Add(1)
	}
}

func (s *counters) snapshot() Stats {
	out := Stats{
		Requests:        s.requests.Load(),
		Retries:         s.retries.Load(),
		RateLimited:     s.rateLimited.Load(),
		TransportErrors: s.transportErrors.Load(),
		OutcomeUnknown:  s.outcomeUnknown.Load(),
		RateLimitWait:   time.Duration(s.rateLimitWait.Load()),
		BackoffWait:     time.Duration(s.backoffWait.Load()),
		ByStatus:        map[int]int64{},
	}
	for code := range s.byStatus {
		if n := s.byStatus[code].Load(); n > 0 {
			out.ByStatus[code] = n
		}
	}
	return out
}
