package httpclient

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// pacer shares the vendor's rate-limit budget, as its headers describe it,
// between all requests of one Client. See "Rate limits and proactive pacing"
// in the package doc.
//
// The budget is counted locally (every request sent takes one unit), and the
// vendor's X-RateLimit-Remaining can only lower it, never raise it, within a
// window: answers arrive out of order, and a Remaining read before other
// requests of ours were counted would overstate what is left. When this
// client is the only one spending the budget the local count is exact; when
// others spend it too, Remaining pulls the count down.
type pacer struct {
	mu sync.Mutex
	// seen is set once any response carried rate-limit headers.
	seen bool
	// limit is the window size: X-RateLimit-Limit, or at least one more than
	// the largest Remaining seen. 0 when unknown.
	limit int
	// remaining is how many more requests may start before reset; -1 means
	// no budget is known (no pacing).
	remaining int
	// counted is set when remaining is the local count of a window whose
	// budget was known when it started (after a reset with a known limit).
	counted bool
	// reset is the end of the current window; zero when unknown.
	reset    time.Time
	resetSrc string
	// pause holds every request until then (Retry-After on a 429/503).
	pause    time.Time
	pauseSrc string
	// inflight counts requests that took budget and have not answered yet.
	inflight int
	// changed is closed (and replaced) whenever an answer arrives.
	changed chan struct{}
}

// Until the first response arrives the budget is unknown, so the pacer starts
// with an empty budget and no reset: exactly one request goes out as a probe
// and the others wait for its headers. A vendor that sends no rate-limit
// headers costs one round trip of serialisation, once per Client.
func newPacer() *pacer {
	return &pacer{remaining: 0, changed: make(chan struct{})}
}

// sameWindow is how far apart two reset instants may be and still describe
// the same window: "seconds until reset" values drift with latency and
// rounding.
const sameWindow = time.Second

// acquire blocks until the budget allows one more request, then takes one
// unit of it. It returns the time it slept. A wait beyond MaxWait fails at
// once with ErrRateLimitWaitTooLong.
func (p *pacer) acquire(ctx context.Context, c *Client) (time.Duration, error) {
	var slept time.Duration
	for {
		p.mu.Lock()
		now := c.now()
		if !p.reset.IsZero() && !now.Before(p.reset) {
			// The window is over: a fresh budget, end not yet known.
			// Requests still in flight may land in the new window.
			p.reset, p.resetSrc = time.Time{}, ""
			p.remaining, p.counted = -1, false
			if p.limit > 0 {
				p.remaining, p.counted = max(p.limit-p.inflight, 0), true
			}
		}
		var wait waitHint
		switch {
		case now.Before(p.pause):
			wait = waitHint{p.pause.Sub(now), p.pauseSrc}
		case p.remaining != 0:
			if p.remaining > 0 {
				p.remaining--
			}
			p.inflight++
			p.mu.Unlock()
			return slept, nil
		case !p.reset.IsZero():
			wait = waitHint{p.reset.Sub(now), p.resetSrc}
		case p.inflight == 0:
			// Budget spent and nobody in flight to tell us when it comes
			// back: send one request as a probe.
			p.inflight++
			p.mu.Unlock()
			return slept, nil
		default:
			// Budget spent, reset unknown: wait for an in-flight answer.
			ch := p.changed
			p.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return slept, ctx.Err()
			}
		}
		p.mu.Unlock()
		if wait.wait > c.cfg.MaxWait {
			return slept, &waitTooLong{hint: wait, max: c.cfg.MaxWait}
		}
		if err := c.sleep(ctx, wait.wait); err != nil {
			return slept, err
		}
		slept += wait.wait
	}
}

// release returns the request's unit and learns from its response header (nil
// when no response arrived).
func (p *pacer) release(h http.Header, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight--
	if h != nil {
		p.learn(h, now)
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

// learn updates the budget from one response.
func (p *pacer) learn(h http.Header, now time.Time) {
	lim, okL := headerCount(h, limitHeaders)
	rem, okR := headerCount(h, remainingHeaders)
	resetName, resetVal := firstHeader(h, resetHeaders)
	if !okL && !okR && resetVal == "" {
		if !p.seen {
			p.remaining = -1 // the vendor does not send rate-limit headers
		}
		return
	}
	p.seen = true
	switch {
	case okL && lim > 0:
		p.limit = lim
	case okR && rem+1 > p.limit:
		p.limit = rem + 1
	}
	reset, okT := parseReset(resetVal, now)
	if !okR || !okT {
		// Without both a count and a reset there is nothing to pace by;
		// the 429 path handles the rest.
		if p.remaining == 0 && p.reset.IsZero() {
			p.remaining = -1
		}
		return
	}
	if !reset.After(now) {
		return // a late answer about a window that is already over
	}
	src := resetName + ": " + resetVal
	newWindow := p.reset.IsZero() || reset.After(p.reset.Add(sameWindow))
	movedOn := newWindow && !p.reset.IsZero() // the vendor's window changed before our reset
	if p.remaining >= 0 && p.counted && !movedOn {
		p.remaining = min(p.remaining, rem)
	} else {
		// No local count to trust (the first answer, or a window that
		// changed under us): assume none of the requests in flight has
		// been counted yet.
		p.remaining = max(rem-p.inflight, 0)
	}
	p.counted = true
	if newWindow || reset.After(p.reset) {
		p.reset, p.resetSrc = reset, src
	}
}

// pauseUntil holds every request until t (a Retry-After on a 429 or 503).
func (p *pacer) pauseUntil(t time.Time, src string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.After(p.pause) {
		p.pause, p.pauseSrc = t, src
	}
}
