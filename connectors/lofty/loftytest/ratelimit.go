package loftytest

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate limits per window: ten calls without a valid vendorKey (section 2.1),
// and the X-RateLimit-Limit figure of the document's example (20) with one.
const (
	RateLimitNoVendorKey   = 10
	RateLimitWithVendorKey = 20
	// DefaultRateWindow is the documented window: "the endpoints can be
	// called again after one minute".
	DefaultRateWindow = time.Minute
)

// bucket is one fixed window: it starts with the first request after the
// previous window ended and lasts exactly one window length.
type bucket struct {
	start time.Time
	count int
}

type limiter struct {
	mu      sync.Mutex
	window  time.Duration
	buckets map[string]*bucket
}

type rateState struct {
	limit, remaining int
	reset            time.Time
	window           time.Duration
}

func newLimiter() *limiter {
	return &limiter{window: DefaultRateWindow, buckets: map[string]*bucket{}}
}

func (l *limiter) setWindow(d time.Duration) {
	l.mu.Lock()
	l.window = d
	l.buckets = map[string]*bucket{}
	l.mu.Unlock()
}

func (l *limiter) getWindow() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.window
}

// take counts one request for key (consume) or only reports the state
// (!consume). ok is false when the request is over the limit.
func (l *limiter) take(key string, limit int, now time.Time, consume bool) (rateState, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := rateState{limit: limit, remaining: limit, window: l.window}
	if l.window <= 0 {
		st.reset = now
		return st, true
	}
	b := l.buckets[key]
	if b == nil || !now.Before(b.start.Add(l.window)) {
		b = &bucket{start: now}
		if consume {
			if len(l.buckets) > 1024 {
				for k, old := range l.buckets {
					if !now.Before(old.start.Add(l.window)) {
						delete(l.buckets, k)
					}
				}
			}
			l.buckets[key] = b
		}
	}
	st.reset = b.start.Add(l.window)
	ok := true
	if consume {
		if b.count >= limit {
			ok = false
		} else {
			b.count++
		}
	}
	st.remaining = max(0, limit-b.count)
	return st, ok
}

func (st rateState) write(h http.Header) {
	if st.window <= 0 {
		// Limiting is off: no limit to announce.
		h.Del("X-RateLimit-Limit")
		h.Del("X-RateLimit-Remaining")
		h.Del("X-RateLimit-Reset")
		return
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(st.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(st.remaining))
	h.Set("X-RateLimit-Reset", FormatRateLimitReset(st.reset, st.window))
}

// FormatRateLimitReset renders the X-RateLimit-Reset value: the instant the
// window resets, in UTC epoch seconds as documented. With a window that is a
// whole number of seconds (the default minute) the value is an integer,
// rounded up so that it is never early. With a sub-second window (only after
// SetRateWindow) whole seconds would be too coarse, so the value carries
// exactly three decimals (epoch seconds with millisecond precision, rounded
// up), e.g. "1793491200.250".
func FormatRateLimitReset(t time.Time, window time.Duration) string {
	ms := t.UnixMilli()
	if t.Sub(time.UnixMilli(ms)) > 0 {
		ms++
	}
	if window%time.Second == 0 {
		return strconv.FormatInt(int64(math.Ceil(float64(ms)/1000)), 10)
	}
	return fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
}

// ParseRateLimitReset parses an X-RateLimit-Reset value in either form
// FormatRateLimitReset produces.
func ParseRateLimitReset(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	secs, frac, _ := strings.Cut(v, ".")
	s, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("X-RateLimit-Reset %q: %w", v, err)
	}
	var ms int64
	if frac != "" {
		frac = (frac + "000")[:3]
		if ms, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return time.Time{}, fmt.Errorf("X-RateLimit-Reset %q: %w", v, err)
		}
	}
	return time.UnixMilli(s*1000 + ms).UTC(), nil
}
