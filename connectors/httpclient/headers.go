package httpclient

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The rate-limit headers understood, in order of preference: the de facto
// X-RateLimit-*, its X-Rate-Limit-* spelling and the IETF draft RateLimit-*.
var (
	limitHeaders     = []string{"X-RateLimit-Limit", "X-Rate-Limit-Limit", "RateLimit-Limit"}
	remainingHeaders = []string{"X-RateLimit-Remaining", "X-Rate-Limit-Remaining", "RateLimit-Remaining"}
	resetHeaders     = []string{"X-RateLimit-Reset", "X-Rate-Limit-Reset", "RateLimit-Reset"}
)

// Thresholds that decide what a numeric X-RateLimit-Reset means.
const (
	// epochMillisMin: 1e12 ms is 2001-09-09. Read as seconds it would be
	// the year 33658, so larger values can only be epoch milliseconds.
	epochMillisMin = 1e12
	// epochSecondsMin: 1e9 s is 2001-09-09. Read as a delay it would be 31
	// years, so values from here up are epoch seconds.
	epochSecondsMin = 1e9
)

// firstHeader returns the first non-empty value among names.
func firstHeader(h http.Header, names []string) (name, value string) {
	for _, n := range names {
		if v := strings.TrimSpace(h.Get(n)); v != "" {
			return n, v
		}
	}
	return "", ""
}

// headerCount parses a count such as X-RateLimit-Remaining. It accepts a
// leading integer followed by anything (the IETF draft allows
// "100, 100;w=60") and a decimal, rounded down.
func headerCount(h http.Header, names []string) (int, bool) {
	_, v := firstHeader(h, names)
	if v == "" {
		return 0, false
	}
	end := strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != '-' })
	if end >= 0 {
		v = v[:end]
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return int(math.Max(0, math.Floor(f))), true
}

// parseRetryAfter reads a Retry-After value: a number of seconds (decimals
// accepted) or an HTTP date. A date in the past means "now".
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return 0, false
		}
		return secondsToDuration(f), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// parseReset reads an X-RateLimit-Reset value and returns the instant the
// window resets. Vendors differ, so a number is read by its magnitude:
//
//   - ≥ 1e12: epoch milliseconds;
//   - ≥ 1e9: epoch seconds;
//   - below: seconds until the reset.
//
// Decimals are accepted in every form. A whole number of seconds (epoch or
// delay) is taken as the END of that second, because vendors usually truncate
// it and waiting up to one second more is cheaper than a 429. An HTTP date is
// accepted too.
func parseReset(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		if t, err := http.ParseTime(v); err == nil {
			return t, true
		}
		return time.Time{}, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return time.Time{}, false
	}
	whole := !strings.ContainsAny(v, ".eE")
	switch {
	case f >= epochMillisMin:
		ms := math.Floor(f)
		return time.UnixMilli(int64(ms)).Add(time.Duration((f - ms) * float64(time.Millisecond))), true
	case f >= epochSecondsMin:
		sec := math.Floor(f)
		t := time.Unix(int64(sec), int64((f-sec)*1e9))
		if whole {
			t = t.Add(time.Second)
		}
		return t, true
	default:
		t := now.Add(secondsToDuration(f))
		if whole {
			t = t.Add(time.Second)
		}
		return t, true
	}
}

func secondsToDuration(f float64) time.Duration {
	const maxSeconds = float64(math.MaxInt64 / int64(time.Second))
	if f > maxSeconds {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(f * float64(time.Second))
}

// waitHint is what a response tells the client about when to come back.
type waitHint struct {
	wait   time.Duration
	source string // e.g. "Retry-After: 120", for error messages
}

// retryHint extracts the wait a 429 or 503 asks for: Retry-After first, then
// (for a 429 only) the rate-limit reset.
func retryHint(status int, h http.Header, now time.Time) (waitHint, bool) {
	if v := h.Get("Retry-After"); v != "" {
		if d, ok := parseRetryAfter(v, now); ok {
			return waitHint{d, "Retry-After: " + strings.TrimSpace(v)}, true
		}
	}
	if status == http.StatusTooManyRequests {
		if name, v := firstHeader(h, resetHeaders); v != "" {
			if t, ok := parseReset(v, now); ok {
				return waitHint{max(t.Sub(now), 0), name + ": " + v}, true
			}
		}
	}
	return waitHint{}, false
}
