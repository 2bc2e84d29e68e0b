package lofty_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/lofty/loftytest"
)

// BenchmarkPullUnderRateLimit measures a full pull (leads and events) against
// the sandbox's fixed-window limit and reports the wall time against the
// theoretical minimum, requests ÷ allowed rate = requests × window / limit
// (metric wall/min; the goal is ≤ 1.2). Run it with
//
//	go test -run '^$' -bench PullUnderRateLimit -benchtime 1x ./connectors/lofty/
func BenchmarkPullUnderRateLimit(b *testing.B) {
	for _, bc := range []struct {
		leads     int
		window    time.Duration
		vendorKey bool
	}{
		{300, 50 * time.Millisecond, false},
		{300, 200 * time.Millisecond, false},
		{1000, 50 * time.Millisecond, false},
		{600, 50 * time.Millisecond, true},
	} {
		name := fmt.Sprintf("leads=%d/window=%s/limit=%d", bc.leads, bc.window, loftytest.RateLimitNoVendorKey)
		limit := loftytest.RateLimitNoVendorKey
		if bc.vendorKey {
			limit = loftytest.RateLimitWithVendorKey
			name = fmt.Sprintf("leads=%d/window=%s/limit=%d(vendorKey)", bc.leads, bc.window, limit)
		}
		b.Run(name, func(b *testing.B) {
			e := startReal(b, bc.leads, bc.window)
			extra := ""
			if bc.vendorKey {
				extra = "vendor_key: " + loftytest.VendorKey
			}
			cfg := e.config(b, extra)
			var wall time.Duration
			var reqs, r429 int
			for b.Loop() {
				e.resetRequests()
				// Start in a fresh window, as a scheduled run would.
				time.Sleep(bc.window)
				t0 := time.Now()
				e.read(b, cfg, nil)
				wall += time.Since(t0)
				reqs += e.srv.Requests()
				r429 += e.srv.Requests429()
			}
			n := float64(b.N)
			minimum := time.Duration(float64(reqs) / n * float64(bc.window) / float64(limit))
			avg := time.Duration(float64(wall) / n)
			b.ReportMetric(float64(reqs)/n, "requests/op")
			b.ReportMetric(float64(r429)/n, "429s/op")
			b.ReportMetric(minimum.Seconds(), "min-s/op")
			b.ReportMetric(avg.Seconds(), "wall-s/op")
			b.ReportMetric(float64(avg)/float64(minimum), "wall/min")
		})
	}
}

// BenchmarkPullUnthrottled is the same pull with the limit off: the CPU and
// loopback cost that the rate-limited pull has to hide inside its windows.
func BenchmarkPullUnthrottled(b *testing.B) {
	e := startReal(b, 1000, 0)
	cfg := e.config(b, "")
	for b.Loop() {
		e.read(b, cfg, nil)
	}
	b.ReportMetric(float64(e.srv.Requests())/float64(b.N), "requests/op")
}
