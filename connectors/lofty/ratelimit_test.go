package lofty_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/lofty"
	"github.com/leadpipe/leadpipe/connectors/lofty/loftytest"
)

// fullCost is the README's formula for a full read of both streams with the
// default sources, from the sandbox's truth (lead ids from ids, or from the
// sandbox when ids is nil).
func fullCost(e *env, pageSize, commPage int, ids ...int64) int {
	if ids == nil {
		for _, l := range e.srv.Leads() {
			ids = append(ids, l.LeadID)
		}
	}
	acts := make([]int, 0, len(ids))
	for _, id := range ids {
		acts = append(acts, len(e.srv.Activities(id)))
	}
	return cost(len(ids), pageSize, commPage, acts, len(e.srv.Calls()), len(e.srv.Emails()), len(e.srv.Texts()))
}

// TestRateLimitedPullCostsWhatTheFormulaSays pulls 2,000 leads with their
// events from a sandbox that allows 10 calls per 20 ms window, the
// no-vendorKey limit on a short clock: the client must pace itself from the
// X-RateLimit-* headers so that no request draws a 429, and the number of
// requests must be exactly the README's formula.
func TestRateLimitedPullCostsWhatTheFormulaSays(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("pulls 2,000 leads under a rate limit")
	}
	e := startReal(t, 2000, 20*time.Millisecond)
	res := e.read(t, e.config(t, ""), nil)
	var ids []int64
	for _, l := range res.Batch.Leads {
		var id int64
		fmt.Sscan(l.VendorLeadID, &id)
		ids = append(ids, id)
	}
	want := fullCost(e, 100, 1000, ids...)
	if got := e.srv.Requests(); got != want {
		t.Errorf("the sandbox saw %d requests, the formula says %d", got, want)
	}
	if res.HTTP.Requests != int64(want) {
		t.Errorf("HTTPStats counted %d requests, the formula says %d", res.HTTP.Requests, want)
	}
	if n := e.srv.Requests429(); n != 0 || res.HTTP.RateLimited != 0 {
		t.Errorf("%d 429s (client counted %d), want none", n, res.HTTP.RateLimited)
	}
	if res.HTTP.RateLimitWait <= 0 {
		t.Error("HTTPStats reports no time waited for the rate limit")
	}
	if len(res.Batch.Leads) != 2000 {
		t.Errorf("read %d leads", len(res.Batch.Leads))
	}
	t.Logf("%d requests, waited %s for the limit", want, res.HTTP.RateLimitWait)
}

// TestA429WaitsForTheReset starts a read in a window that someone else has
// already used up: the first answer is a 429, and the client must wait for
// X-RateLimit-Reset instead of retrying in a loop.
func TestA429WaitsForTheReset(t *testing.T) {
	const window = time.Second
	e := startReal(t, 5, window)
	// Another integration spends the token's budget.
	spent := time.Now()
	for range loftytest.RateLimitNoVendorKey {
		req, _ := http.NewRequest(http.MethodGet, e.http.URL+"/v1.0/me", nil)
		req.Header.Set("Authorization", "Bearer "+loftytest.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	e.resetRequests()
	res := e.read(t, e.config(t, "event_sources: [notes]"), nil)
	if n := e.srv.Requests429(); n != 1 {
		t.Errorf("%d 429s: want exactly one (the probe), then a wait for the reset", n)
	}
	if res.HTTP.RateLimited != 1 || res.HTTP.Retries != 1 {
		t.Errorf("HTTPStats: %d 429s, %d retries", res.HTTP.RateLimited, res.HTTP.Retries)
	}
	if elapsed := time.Since(spent); elapsed < window {
		t.Errorf("the read finished %s after the budget was spent, before the %s window reset", elapsed, window)
	}
	if res.HTTP.RateLimitWait <= 0 {
		t.Error("no wait recorded")
	}
}

// TestVendorKeyRaisesTheLimit: with a vendorKey the sandbox allows 20 calls a
// window, and the client paces by that limit.
func TestVendorKeyRaisesTheLimit(t *testing.T) {
	t.Parallel()
	e := startReal(t, 150, 20*time.Millisecond)
	want := fullCost(e, 100, 1000)
	res := e.read(t, e.config(t, "vendor_key: "+loftytest.VendorKey), nil)
	if e.srv.Requests() != want || e.srv.Requests429() != 0 {
		t.Errorf("%d requests (want %d), %d 429s", e.srv.Requests(), want, e.srv.Requests429())
	}
	if e.limits[fmt.Sprint(loftytest.RateLimitWithVendorKey)] != want {
		t.Errorf("answers by X-RateLimit-Limit: %v", e.limits)
	}
	_ = res
}

func TestResetHeaderReadings(t *testing.T) {
	// The shared client reads the rewritten value; what matters here is the
	// instant it stands for.
	for _, tc := range []struct {
		mode, in string
		want     string // "" = unchanged
	}{
		{"auto", "1793491200", ""},
		{"auto", "1793491200.250", ""},
		{"auto", "1793491200250", ""},
		{"auto", "45", ""},
		{"auto", "23000", "23.000"},
		{"auto", "21000", "21.000"},
		{"epoch_seconds", "23000", ""},
		{"epoch_seconds", "1793491200", "1793491200.000"},
		{"epoch_seconds", "1793491200.250", ""},
		{"delay_seconds", "23", "23.000"},
		{"delay_milliseconds", "23000", "23.000"},
		{"delay_milliseconds", "500", "0.500"},
		{"auto", "soon", ""},
	} {
		got, ok := lofty.RewriteReset(tc.in, tc.mode)
		if !ok {
			got = ""
		}
		if got != tc.want {
			t.Errorf("%s %s: got %q, want %q", tc.mode, tc.in, got, tc.want)
		}
	}
}
