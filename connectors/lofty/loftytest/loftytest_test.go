package loftytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

type env struct {
	t    *testing.T
	s    *Server
	ts   *httptest.Server
	base string // ts.URL + "/v1.0"
}

// newEnv starts a sandbox with rate limiting off (tests of the limiter turn
// it back on).
func newEnv(t *testing.T, opts sandbox.Options) *env {
	t.Helper()
	s := New(opts)
	s.SetRateWindow(0)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &env{t: t, s: s, ts: ts, base: s.Env(ts.URL)["LOFTY_BASE_URL"]}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(method, path string, body any, hdr map[string]string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = e.base + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+AccessToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{res.StatusCode, res.Header, b}
}

// with returns a copy of e that reports failures to t (a subtest).
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

func (e *env) get(path string) resp { e.t.Helper(); return e.do("GET", path, nil, nil) }

func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

type leadList struct {
	Meta  MetaData `json:"_metadata"`
	Leads []Lead   `json:"leads"`
}

func (e *env) leads(path string) leadList {
	e.t.Helper()
	r := e.get(path)
	if r.status != 200 {
		e.t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	return decode[leadList](e.t, r)
}

func ids(ls []Lead) []int64 {
	out := make([]int64, len(ls))
	for i, l := range ls {
		out[i] = l.LeadID
	}
	return out
}

func wantError(t *testing.T, r resp, status int, code int32) Result {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	res := decode[Result](t, r)
	if res.ErrorCode != code || res.ErrorMsg == nil || *res.ErrorMsg == "" {
		t.Fatalf("error body %s, want errorCode %d with errorMsg", r.body, code)
	}
	return res
}

func TestRegistryAndEnv(t *testing.T) {
	f, ok := sandbox.Lookup("lofty")
	if !ok {
		t.Fatal("lofty not registered")
	}
	sb := f(sandbox.Options{Seed: 1, Size: 5})
	if sb.Vendor() != "lofty" {
		t.Fatalf("Vendor() = %q", sb.Vendor())
	}
	got := sb.Env("http://127.0.0.1:9000/lofty/")
	want := map[string]string{"LOFTY_BASE_URL": "http://127.0.0.1:9000/lofty/v1.0", "LOFTY_ACCESS_TOKEN": AccessToken, "LOFTY_VENDOR_KEY": VendorKey}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Env[%s] = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("Env has %d keys, want %d", len(got), len(want))
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 1, Size: 20})
	e.s.SetRateWindow(time.Hour) // limiting on, so that every answer carries the headers
	cases := []struct {
		name   string
		auth   string
		status int
	}{
		{"missing", "", 401},
		{"wrong token", "Bearer nope", 401},
		{"basic scheme", "Basic " + AccessToken, 401},
		{"token without scheme", AccessToken, 401},
		{"valid", "Bearer " + AccessToken, 200},
		{"lower-case scheme", "bearer " + AccessToken, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.with(t)
			r := e.do("GET", "/leads", nil, map[string]string{"Authorization": c.auth})
			if r.status != c.status {
				t.Fatalf("status %d, want %d", r.status, c.status)
			}
			if c.status == 401 && len(r.body) != 0 {
				t.Errorf("401 body %q, want none (documented: No Content)", r.body)
			}
			for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
				if r.header.Get(h) == "" {
					t.Errorf("missing %s", h)
				}
			}
		})
	}
	if r := e.get("/nowhere"); r.status != 404 {
		t.Errorf("unknown path: %d", r.status)
	}
	if r := e.do("PATCH", "/leads", "{}", nil); r.status != 405 {
		t.Errorf("PATCH /leads: %d", r.status)
	}
}

func TestRateLimit(t *testing.T) {
	cases := []struct {
		name  string
		hdr   map[string]string
		query string
		limit int
	}{
		{"without vendorKey", nil, "", RateLimitNoVendorKey},
		{"vendorKey header", map[string]string{VendorKeyHeader: VendorKey}, "", RateLimitWithVendorKey},
		{"vendorKey query", nil, "&vendorKey=" + VendorKey, RateLimitWithVendorKey},
		{"invalid vendorKey", map[string]string{VendorKeyHeader: "bogus"}, "", RateLimitNoVendorKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Options{Seed: 1, Size: 20})
			window := 300 * time.Millisecond
			e.s.SetRateWindow(window)
			start := time.Now()
			for i := 1; i <= c.limit; i++ {
				r := e.do("GET", "/leads?limit=1"+c.query, nil, c.hdr)
				if r.status != 200 {
					t.Fatalf("call %d: %d", i, r.status)
				}
				if got := r.header.Get("X-RateLimit-Limit"); got != strconv.Itoa(c.limit) {
					t.Fatalf("Limit %s, want %d", got, c.limit)
				}
				if got := r.header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(c.limit-i) {
					t.Fatalf("call %d: Remaining %s, want %d", i, got, c.limit-i)
				}
			}
			r := e.do("GET", "/leads?limit=1"+c.query, nil, c.hdr)
			if time.Since(start) >= window {
				t.Skip("machine too slow for a 300ms window")
			}
			if r.status != 429 || string(r.body) != `{"message":"Too Many Requests"}` {
				t.Fatalf("over limit: %d %s", r.status, r.body)
			}
			if r.header.Get("X-RateLimit-Remaining") != "0" {
				t.Errorf("429 Remaining = %q", r.header.Get("X-RateLimit-Remaining"))
			}
			reset, err := ParseRateLimitReset(r.header.Get("X-RateLimit-Reset"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.header.Get("X-RateLimit-Reset"), ".") {
				t.Errorf("sub-second window: Reset %q should carry milliseconds", r.header.Get("X-RateLimit-Reset"))
			}
			if d := time.Until(reset); d <= 0 || d > window+time.Millisecond {
				t.Errorf("reset in %v, want within (0, %v]", d, window)
			}
			if e.s.Requests() != c.limit+1 || e.s.Requests429() != 1 {
				t.Errorf("Requests=%d Requests429=%d, want %d and 1", e.s.Requests(), e.s.Requests429(), c.limit+1)
			}
			time.Sleep(time.Until(reset) + 5*time.Millisecond)
			if r := e.do("GET", "/leads?limit=1"+c.query, nil, c.hdr); r.status != 200 || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(c.limit-1) {
				t.Fatalf("after reset: %d remaining %s", r.status, r.header.Get("X-RateLimit-Remaining"))
			}
		})
	}
}

func TestRateLimitDefaultMinuteWithClock(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 250_000_000, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := New(sandbox.Options{Seed: 1, Size: 10, Now: clock})
	if s.RateWindow() != time.Minute {
		t.Fatalf("default window %v", s.RateWindow())
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	e := &env{t: t, s: s, ts: ts, base: ts.URL + BasePath}
	for i := 0; i < RateLimitNoVendorKey; i++ {
		if r := e.get("/me"); r.status != 200 {
			t.Fatalf("call %d: %d", i, r.status)
		}
	}
	r := e.get("/me")
	if r.status != 429 {
		t.Fatalf("11th call: %d", r.status)
	}
	// Window started at 10:00:00.25; it resets at 10:01:00.25, reported as
	// whole epoch seconds rounded up.
	want := time.Date(2026, 11, 2, 10, 1, 1, 0, time.UTC).Unix()
	if got := r.header.Get("X-RateLimit-Reset"); got != strconv.FormatInt(want, 10) {
		t.Errorf("Reset %s, want %d", got, want)
	}
	// A 401 also counts and carries the headers.
	if r := e.do("GET", "/me", nil, map[string]string{"Authorization": "Bearer x"}); r.status != 401 || r.header.Get("X-RateLimit-Remaining") != "9" {
		t.Errorf("bad token: %d remaining %s", r.status, r.header.Get("X-RateLimit-Remaining"))
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if r := e.get("/me"); r.status != 200 {
		t.Fatalf("after a minute: %d", r.status)
	}
}

func TestFaultsInFront(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 1, Size: 10})
	e.s.SetRateWindow(time.Hour) // limiting on, so that every answer carries the headers
	e.s.Faults().Storm429(2, time.Second)
	for i := 0; i < 2; i++ {
		r := e.do("GET", "/leads", nil, map[string]string{"Authorization": ""}) // no auth: the storm comes first
		if r.status != 429 || r.header.Get("Retry-After") != "1" {
			t.Fatalf("storm %d: %d Retry-After %q", i, r.status, r.header.Get("Retry-After"))
		}
		if r.header.Get("X-RateLimit-Limit") == "" {
			t.Error("fault response without X-RateLimit-Limit")
		}
	}
	if r := e.do("GET", "/leads", nil, map[string]string{"Authorization": ""}); r.status != 401 {
		t.Fatalf("after storm: %d", r.status)
	}
	e.s.Faults().FailNext(1, 503, "down")
	if r := e.get("/leads"); r.status != 503 {
		t.Fatalf("FailNext: %d", r.status)
	}
	if e.s.Requests() != 4 || e.s.Requests429() != 2 {
		t.Errorf("Requests=%d Requests429=%d", e.s.Requests(), e.s.Requests429())
	}
	// Drop after handle: the create happens, the client never hears back.
	e.s.Faults().DropAfterHandleNext(1)
	req, _ := http.NewRequest("POST", e.base+"/leads", strings.NewReader(`{"firstName":"Lost","emails":["lost@example.com"]}`))
	req.Header.Set("Authorization", "Bearer "+AccessToken)
	req.Header.Set("Content-Type", "application/json")
	if res, err := e.ts.Client().Do(req); err == nil {
		res.Body.Close()
		t.Fatal("expected a dropped connection")
	}
	if e.s.CreatesFor("lost@example.com") != 1 {
		t.Errorf("the dropped create was not recorded")
	}
}

func TestLeadPagination(t *testing.T) {
	cases := []struct {
		name   string
		size   int
		offset int
		limit  int
		want   int
		scroll bool
	}{
		{"first page", 250, 0, 100, 100, true},
		{"middle page", 250, 100, 100, 100, true},
		{"last partial page", 250, 200, 100, 50, false},
		{"past the end", 250, 300, 100, 0, false},
		{"exact multiple last page", 200, 100, 100, 100, false},
		{"exact multiple past the end", 200, 200, 100, 0, false},
		{"default limit", 250, 0, 0, 10, true},
		{"limit one", 250, 249, 1, 1, false},
	}
	envs := map[int]*env{250: newEnv(t, sandbox.Options{Seed: 7, Size: 250}), 200: newEnv(t, sandbox.Options{Seed: 7, Size: 200})}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := envs[c.size].with(t)
			q := fmt.Sprintf("/leads?offset=%d", c.offset)
			if c.limit > 0 {
				q += fmt.Sprintf("&limit=%d", c.limit)
			}
			l := e.leads(q)
			if len(l.Leads) != c.want || l.Meta.Total != int64(c.size) || l.Meta.Collection != "leads" || l.Meta.Offset != int64(c.offset) {
				t.Fatalf("got %d leads, meta %+v", len(l.Leads), l.Meta)
			}
			if (l.Meta.ScrollID != "") != c.scroll {
				t.Errorf("scrollId %q, want present=%v", l.Meta.ScrollID, c.scroll)
			}
		})
	}
	t.Run("pages cover every lead once, newest first", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{Seed: 7, Size: 250})
		var got []int64
		var prev string
		for off := 0; ; off += 100 {
			l := e.leads(fmt.Sprintf("/leads?offset=%d&limit=100", off))
			if len(l.Leads) == 0 {
				break
			}
			for _, ld := range l.Leads {
				if prev != "" && ld.CreateTime > prev {
					t.Fatalf("not newest first: %s after %s", ld.CreateTime, prev)
				}
				prev = ld.CreateTime
			}
			got = append(got, ids(l.Leads)...)
		}
		want := ids(e.s.Leads())
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("pages returned %d ids, want the %d leads", len(got), len(want))
		}
	})
	t.Run("invalid paging", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{Seed: 7, Size: 20})
		for _, q := range []string{"limit=0", "limit=101", "limit=x", "offset=-1", "desc=maybe"} {
			wantError(t, e.get("/leads?"+q), 400, ErrCodeInvalidParam)
		}
	})
}

func TestNestedLeads(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 3, Size: 5})
	e.s.SetNestedLeads(true)
	var v struct {
		Meta  MetaData `json:"_metadata"`
		Leads []struct {
			Lead Lead `json:"lead"`
		} `json:"leads"`
	}
	v = decode[struct {
		Meta  MetaData `json:"_metadata"`
		Leads []struct {
			Lead Lead `json:"lead"`
		} `json:"leads"`
	}](t, e.get("/leads?limit=5"))
	if len(v.Leads) != 5 || v.Leads[0].Lead.LeadID == 0 || v.Leads[0].Lead.FirstName == "" {
		t.Fatalf("nested shape: %+v", v)
	}
	e.s.SetNestedLeads(false)
	if l := e.leads("/leads?limit=5"); l.Leads[0].LeadID == 0 {
		t.Fatal("flat shape lost")
	}
}

func TestScroll(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 9, Size: 230})
	e.s.SetMaxResultWindow(150)
	wantError(t, e.get("/leads?offset=100&limit=100"), 400, ErrCodeResultWindow)
	first := e.leads("/leads?limit=100")
	got := ids(first.Leads)
	sid := first.Meta.ScrollID
	var pages int
	for sid != "" {
		// A retried scroll request answers the same page.
		p1 := e.leads("/leads?scrollId=" + url.QueryEscape(sid))
		p2 := e.leads("/leads?scrollId=" + url.QueryEscape(sid))
		if !slices.Equal(ids(p1.Leads), ids(p2.Leads)) {
			t.Fatal("scroll page not repeatable")
		}
		if p1.Meta.Total != 230 || p1.Meta.Limit != 100 {
			t.Fatalf("scroll meta %+v", p1.Meta)
		}
		got = append(got, ids(p1.Leads)...)
		sid = p1.Meta.ScrollID
		pages++
	}
	if pages != 2 || len(got) != 230 {
		t.Fatalf("scrolled %d pages, %d leads", pages, len(got))
	}
	u := slices.Clone(got)
	slices.Sort(u)
	if len(slices.Compact(u)) != 230 {
		t.Fatal("duplicate leads across scroll pages")
	}
	wantError(t, e.get("/leads?scrollId=bogus"), 400, ErrCodeInvalidScroll)
	// A scroll is a snapshot: a lead created meanwhile does not shift it.
	first = e.leads("/leads?limit=100")
	if r := e.do("POST", "/leads", map[string]any{"firstName": "New"}, nil); r.status != 200 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	next := e.leads("/leads?scrollId=" + url.QueryEscape(first.Meta.ScrollID))
	if next.Leads[0].LeadID != got[100] {
		t.Error("the scroll moved after a create")
	}
}

func TestUpdateTimeUTCMinus7(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 11, Size: 40})
	all := e.s.Leads()
	before, onBoundary := all[3], all[4] // 2026-10-31 06:59:59Z and 07:00:00Z
	if before.LastUpdateTime != "2026-10-31T06:59:59Z" || onBoundary.LastUpdateTime != "2026-10-31T07:00:00Z" {
		t.Fatalf("boundary leads: %s %s", before.LastUpdateTime, onBoundary.LastUpdateTime)
	}
	fetchAll := func(e *env, q string) []Lead {
		var out []Lead
		for off := 0; ; off += 100 {
			l := e.leads(q + fmt.Sprintf("&offset=%d&limit=100", off))
			out = append(out, l.Leads...)
			if len(l.Leads) < 100 {
				return out
			}
		}
	}
	cases := []struct {
		name      string
		param     string
		inBefore  bool
		inOnBound bool
	}{
		{"UTC-7 midnight", "2026-10-31 00:00:00", false, true},
		{"one second earlier", "2026-10-30 23:59:59", true, true},
		{"bare date", "2026-10-31", false, true},
		{"T separator", "2026-10-31T00:00:00", false, true},
		{"UTC wall clock is 7h too late", "2026-10-31 07:00:00", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.with(t)
			got := fetchAll(e, "/leads/updateTime?leadUpdateTime="+url.QueryEscape(c.param))
			bound, _ := ParseQueryTime(c.param)
			var want int
			for _, l := range all {
				if ts, _ := time.Parse(time.RFC3339, l.LastUpdateTime); !ts.Before(bound) {
					want++
				}
			}
			if len(got) != want {
				t.Fatalf("got %d leads, want %d", len(got), want)
			}
			for i := 1; i < len(got); i++ {
				if got[i].LastUpdateTime < got[i-1].LastUpdateTime {
					t.Fatal("not in ascending update order")
				}
			}
			if slices.Contains(ids(got), before.LeadID) != c.inBefore || slices.Contains(ids(got), onBoundary.LeadID) != c.inOnBound {
				t.Fatalf("boundary membership wrong: before=%v on=%v", slices.Contains(ids(got), before.LeadID), slices.Contains(ids(got), onBoundary.LeadID))
			}
		})
	}
	t.Run("Touch around the boundary", func(t *testing.T) {
		e := e.with(t)
		id := all[20].LeadID
		q := "/leads/updateTime?limit=100&leadUpdateTime=" + url.QueryEscape("2026-11-05 00:00:00")
		for _, c := range []struct {
			at   time.Time
			want bool
		}{
			{time.Date(2026, 11, 5, 6, 59, 59, 0, time.UTC), false},
			{time.Date(2026, 11, 5, 7, 0, 0, 0, time.UTC), true},
			{time.Date(2026, 11, 5, 0, 0, 0, 0, QueryZone).Add(-time.Second), false},
		} {
			if err := e.s.Touch(id, c.at); err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(ids(e.leads(q).Leads), id); got != c.want {
				t.Errorf("Touch(%s): included=%v, want %v", c.at, got, c.want)
			}
		}
	})
	t.Run("createTime", func(t *testing.T) {
		e := e.with(t)
		l := e.leads("/leads/createTime?limit=100&leadCreateTime=" + url.QueryEscape(FormatQueryTime(Anchor.Add(-30*24*time.Hour))))
		for _, ld := range l.Leads {
			if ts, _ := time.Parse(time.RFC3339, ld.CreateTime); ts.Before(Anchor.Add(-30 * 24 * time.Hour)) {
				t.Fatalf("lead created %s before the bound", ld.CreateTime)
			}
		}
	})
	for _, bad := range []string{"2026-10-31T00:00:00Z", "yesterday", "10/31/2026"} {
		wantError(t, e.get("/leads/updateTime?leadUpdateTime="+url.QueryEscape(bad)), 400, ErrCodeInvalidParam)
	}
}

func TestLeadFilters(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 5, Size: 60})
	all := e.s.Leads()
	shared := all[10].Emails[0]
	count := func(pred func(Lead) bool) int {
		n := 0
		for _, l := range all {
			if pred(l) {
				n++
			}
		}
		return n
	}
	hasTag := func(l Lead, n string) bool {
		return slices.ContainsFunc(l.Tags, func(t Tag) bool { return t.TagName == n })
	}
	p0 := all[0].Phones[0]
	var two []string
	for _, l := range all {
		if len(l.Tags) >= 2 {
			two = []string{l.Tags[0].TagName, l.Tags[1].TagName}
			break
		}
	}
	cases := []struct {
		name  string
		query string
		want  []int64 // exact ids, when known
		n     int     // else the count
	}{
		{"precise email finds the duplicate pair", "email=" + url.QueryEscape(strings.ToUpper(shared)) + "&preciseSearchFlag=true", []int64{all[10].LeadID, all[11].LeadID}, 0},
		{"fuzzy email also matches the superstring", "email=" + url.QueryEscape(shared), []int64{all[10].LeadID, all[11].LeadID, all[12].LeadID}, 0},
		{"precise phone ignores formatting", "phone=" + url.QueryEscape("+1 "+digits(p0)) + "&preciseSearchFlag=true", nil, count(func(l Lead) bool {
			return slices.ContainsFunc(l.Phones, func(p string) bool { return normPhone(p) == normPhone(p0) })
		})},
		{"stage", "stage=Funded", nil, count(func(l Lead) bool { return l.Stage == "Funded" })},
		{"two stages", "stage=Funded&stage=Declined", nil, count(func(l Lead) bool { return l.Stage == "Funded" || l.Stage == "Declined" })},
		{"anyTags", "anyTags=VIP&anyTags=hot", nil, count(func(l Lead) bool { return hasTag(l, "VIP") || hasTag(l, "hot") })},
		{"allTags", "allTags=" + url.QueryEscape(two[0]) + "&allTags=" + url.QueryEscape(two[1]), nil, count(func(l Lead) bool { return hasTag(l, two[0]) && hasTag(l, two[1]) })},
		{"segments", "segments=Refinance", nil, count(func(l Lead) bool { return slices.Contains(l.Segments, "Refinance") })},
		{"segmentIds", "segmentIds=" + strconv.FormatInt(segmentIDBase+4, 10), nil, count(func(l Lead) bool { return slices.Contains(l.Segments, "Refinance") })},
		{"source", "source=zillow", nil, count(func(l Lead) bool { return l.Source == "Zillow" })},
		{"assignedUserId", "assignedUserId=" + strconv.FormatInt(OwnerUserID, 10), nil, count(func(l Lead) bool { return l.AssignedUserID != nil && *l.AssignedUserID == OwnerUserID })},
		{"languages", "languages=es", nil, count(func(l Lead) bool { return l.Language == "es" })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.with(t)
			l := e.leads("/leads?limit=100&" + c.query)
			got := ids(l.Leads)
			if c.want != nil {
				slices.Sort(got)
				if !slices.Equal(got, c.want) {
					t.Fatalf("got %v, want %v", got, c.want)
				}
				return
			}
			if len(got) != c.n || l.Meta.Total != int64(c.n) || c.n == 0 {
				t.Fatalf("got %d (total %d), want %d (> 0)", len(got), l.Meta.Total, c.n)
			}
		})
	}
	t.Run("contacted splits the set", func(t *testing.T) {
		e := e.with(t)
		a, b := e.leads("/leads?limit=1&contacted=true"), e.leads("/leads?limit=1&contacted=false")
		if a.Meta.Total+b.Meta.Total != int64(len(all)) || a.Meta.Total == 0 || b.Meta.Total == 0 {
			t.Fatalf("contacted %d + not %d != %d", a.Meta.Total, b.Meta.Total, len(all))
		}
	})
	t.Run("sort by score ascending", func(t *testing.T) {
		e := e.with(t)
		l := e.leads("/leads?limit=100&sort=Score&desc=false")
		for i := 1; i < len(l.Leads); i++ {
			if l.Leads[i].Score < l.Leads[i-1].Score {
				t.Fatal("not ascending by score")
			}
		}
		wantError(t, e.get("/leads?sort=Bogus"), 400, ErrCodeInvalidParam)
	})
}

func TestCreateLead(t *testing.T) {
	now := time.Date(2026, 11, 3, 15, 4, 5, 0, time.UTC)
	var mu sync.Mutex
	s := New(sandbox.Options{Seed: 2, Size: 30, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	s.SetRateWindow(0)
	ts := httptest.NewServer(s)
	defer ts.Close()
	e := &env{t: t, s: s, ts: ts, base: ts.URL + BasePath}

	body := map[string]any{
		"firstName": "Ada", "lastName": "Lovelace", "emails": []string{" Ada@Example.com "}, "phones": []string{"(480) 555-0199"},
		"stage": "qualified", "leadTypes": []int{2, 6}, "tags": []string{"VIP", "brand-new"}, "segments": []string{"Refinance"},
		"source": "Partner CSV", "birthday": "Dec 10, 1985", "content": "Imported from CSV row 7",
		"customAttributeList":  []map[string]string{{"attributeName": "Loan Amount", "attributeType": "text", "value": "$40,000"}},
		"leadFamilyMemberList": []map[string]any{{"firstName": "Byron", "relationship": "Father", "phones": []string{"555-0100"}}},
	}
	r := e.do("POST", "/leads?hideVendorId=12", body, nil)
	if r.status != 200 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	res := decode[Result](t, r)
	if res.Data == nil || res.ErrorCode != 0 || res.ErrorMsg != nil {
		t.Fatalf("result %s", r.body)
	}
	id := *res.Data
	got := decode[Lead](t, e.get(fmt.Sprintf("/leads/%d", id)))
	if got.FirstName != "Ada" || got.Emails[0] != "Ada@Example.com" || got.Stage != "Qualified" || got.StageID == nil ||
		got.CreateTime != "2026-11-03T15:04:05Z" || got.LastUpdateTime != got.CreateTime || got.Source != "Partner CSV" ||
		len(got.Tags) != 2 || got.LeadType != 2 || !slices.Equal(got.LeadTypes, []int32{2, 6}) || got.AssignedUserID == nil {
		t.Fatalf("created lead %+v", got)
	}
	if l := e.leads("/leads?preciseSearchFlag=true&email=ada@example.com"); len(l.Leads) != 1 || l.Leads[0].LeadID != id {
		t.Fatalf("created lead not found by precise email: %+v", l.Meta)
	}
	if l := e.leads("/leads/updateTime?leadUpdateTime=" + url.QueryEscape(FormatQueryTime(now))); !slices.Contains(ids(l.Leads), id) {
		t.Fatal("created lead missing from the incremental search")
	}
	notes := decode[[]Note](t, e.get(fmt.Sprintf("/notes?leadId=%d", id)))
	if len(notes) != 1 || notes[0].Content != "Imported from CSV row 7" {
		t.Fatalf("note from content: %+v", notes)
	}
	// A second identical push creates a second lead: the vendor does not dedupe.
	if r := e.do("POST", "/leads", body, nil); r.status != 200 {
		t.Fatal(r.status)
	}
	if s.CreateCount() != 2 || s.CreatesFor("ADA@example.com") != 2 || s.CreatesByEmail()["ada@example.com"] != 2 {
		t.Fatalf("creates %d, by email %v", s.CreateCount(), s.CreatesByEmail())
	}
	subs := s.Received()
	if len(subs) != 2 || subs[0].ID != id || subs[0].Body["firstName"] != "Ada" || subs[0].Query.Get("hideVendorId") != "12" || !subs[0].At.Equal(now) {
		t.Fatalf("received %+v", subs[0])
	}

	long := strings.Repeat("9", 21)
	cases := []struct {
		name   string
		body   any
		ctype  string
		status int
		code   int32
		fields []string
	}{
		{"empty lead", map[string]any{}, "", 400, ErrCodeValidation, []string{"lead"}},
		{"phone over 20 chars", map[string]any{"firstName": "A", "phones": []string{long}}, "", 400, ErrCodeValidation, []string{"phones[0]"}},
		{"stage 20 chars", map[string]any{"firstName": "A", "stage": strings.Repeat("s", 20)}, "", 400, ErrCodeValidation, []string{"stage"}},
		{"birthday pattern", map[string]any{"firstName": "A", "birthday": "1985-12-10"}, "", 400, ErrCodeValidation, []string{"birthday"}},
		{"undocumented leadType", map[string]any{"firstName": "A", "leadType": 4}, "", 400, ErrCodeValidation, []string{"leadType"}},
		{"undocumented leadTypes", map[string]any{"firstName": "A", "leadTypes": []int{2, 10}}, "", 400, ErrCodeValidation, []string{"leadTypes[1]"}},
		{"five family members", map[string]any{"firstName": "A", "leadFamilyMemberList": make([]FamilyMember, 5)}, "", 400, ErrCodeValidation, []string{"leadFamilyMemberList"}},
		{"bad email", map[string]any{"emails": []string{"not-an-email"}}, "", 400, ErrCodeValidation, []string{"emails[0]"}},
		{"unknown assignee", map[string]any{"firstName": "A", "assignedUserId": 42}, "", 400, ErrCodeValidation, []string{"assignedUserId"}},
		{"every problem at once", map[string]any{"emails": []string{"x"}, "phones": []string{long}, "stage": strings.Repeat("s", 25)}, "", 400, ErrCodeValidation, []string{"emails[0]", "phones[0]", "stage"}},
		{"not JSON", "{", "", 400, ErrCodeInvalidBody, nil},
		{"array body", "[]", "", 400, ErrCodeInvalidBody, nil},
		{"wrong type", `{"leadType":"buyer"}`, "", 400, ErrCodeInvalidBody, nil},
		{"form content type", "firstName=A", "application/x-www-form-urlencoded", 415, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.with(t)
			before := s.CreateCount()
			hdr := map[string]string{}
			if c.ctype != "" {
				hdr["Content-Type"] = c.ctype
			}
			r := e.do("POST", "/leads", c.body, hdr)
			if c.status == 415 {
				if r.status != 415 {
					t.Fatalf("status %d", r.status)
				}
			} else {
				res := wantError(t, r, c.status, c.code)
				var fields []string
				for _, f := range res.ErrorData {
					fields = append(fields, f.Field)
				}
				if !slices.Equal(fields, c.fields) {
					t.Errorf("errorData fields %v, want %v", fields, c.fields)
				}
			}
			if s.CreateCount() != before {
				t.Error("a rejected lead was created")
			}
			subs := s.Received()
			if last := subs[len(subs)-1]; last.Status != c.status || last.ID != 0 {
				t.Errorf("rejection not recorded: %+v", last)
			}
		})
	}
}

func TestEditAndDeleteLead(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 4, Size: 20})
	l := e.s.Leads()[5]
	r := e.do("PUT", fmt.Sprintf("/leads/%d", l.LeadID), map[string]any{"stage": "Funded", "tagsAdd": []string{"funded-2026"}}, nil)
	if r.status != 200 {
		t.Fatalf("edit: %d %s", r.status, r.body)
	}
	got, _ := e.s.Lead(l.LeadID)
	if got.Stage != "Funded" || got.FirstName != l.FirstName || len(got.Tags) != len(l.Tags)+1 || got.LastUpdateTime == l.LastUpdateTime {
		t.Fatalf("edited lead %+v", got)
	}
	wantError(t, e.do("PUT", fmt.Sprintf("/leads/%d", l.LeadID), map[string]any{"phones": []string{strings.Repeat("1", 21)}}, nil), 400, ErrCodeValidation)
	if r := e.do("PUT", "/leads/1", map[string]any{"firstName": "X"}, nil); r.status != 404 {
		t.Fatalf("edit unknown: %d", r.status)
	}
	if r := e.do("DELETE", fmt.Sprintf("/leads/%d?reason=spam", l.LeadID), nil, nil); r.status != 200 {
		t.Fatalf("delete: %d", r.status)
	}
	if r := e.get(fmt.Sprintf("/leads/%d", l.LeadID)); r.status != 404 {
		t.Fatalf("deleted lead: %d", r.status)
	}
	if r := e.get(fmt.Sprintf("/leads/%d?withTrash=true", l.LeadID)); r.status != 200 {
		t.Fatalf("withTrash: %d", r.status)
	}
	if tot := e.leads("/leads?limit=1").Meta.Total; tot != 19 {
		t.Fatalf("total after delete %d", tot)
	}
	if r := e.get("/leads/abc"); r.status != 400 {
		t.Fatalf("non-numeric id: %d", r.status)
	}
}

func TestActivities(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 6, Size: 20})
	all := e.s.Leads()
	cases := []struct {
		name string
		lead int
		page int
		want int
	}{
		{"first full page", 0, 0, 100},
		{"second full page", 0, 1, 100},
		{"last partial page", 0, 2, 50},
		{"past the end", 0, 3, 0},
		{"exact multiple", 1, 0, 100},
		{"exact multiple past the end", 1, 1, 0},
		{"no activities", 2, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.with(t)
			r := e.get(fmt.Sprintf("/leads/%d/activities?curPage=%d", all[c.lead].LeadID, c.page))
			if r.status != 200 || !bytes.HasPrefix(r.body, []byte("[")) {
				t.Fatalf("%d %s", r.status, r.body)
			}
			acts := decode[[]Activity](t, r)
			if len(acts) != c.want {
				t.Fatalf("got %d activities, want %d", len(acts), c.want)
			}
			for i := 1; i < len(acts); i++ {
				if acts[i].Created > acts[i-1].Created {
					t.Fatal("not newest first")
				}
			}
		})
	}
	if acts := decode[[]Activity](t, e.get(fmt.Sprintf("/leads/%d/activities", all[0].LeadID))); len(acts) != 100 {
		t.Fatalf("default curPage: %d", len(acts))
	}
	wantError(t, e.get(fmt.Sprintf("/leads/%d/activities?curPage=-1", all[0].LeadID)), 400, ErrCodeInvalidParam)
	if r := e.get("/leads/1/activities"); r.status != 404 {
		t.Fatalf("unknown lead: %d", r.status)
	}
	// Added activities (control and API) come first and bump the lead.
	if err := e.s.AddActivity(all[2].LeadID, Activity{Type: "Website Visit", PageName: "Apply Now"}); err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", fmt.Sprintf("/leads/%d/activity", all[2].LeadID), map[string]any{"type": "Inquiry", "text": "hi", "created": Anchor.Add(time.Hour).UnixMilli()}, nil); r.status != 200 {
		t.Fatalf("POST activity: %d %s", r.status, r.body)
	}
	acts := decode[[]Activity](t, e.get(fmt.Sprintf("/leads/%d/activities", all[2].LeadID)))
	if len(acts) != 2 {
		t.Fatalf("after adds: %+v", acts)
	}
	wantError(t, e.do("POST", fmt.Sprintf("/leads/%d/activity", all[2].LeadID), map[string]any{"text": "no type"}, nil), 400, ErrCodeValidation)
}

func TestEvents(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 8, Size: 40})
	calls := e.s.Calls()
	t.Run("calls list paging", func(t *testing.T) {
		e := e.with(t)
		var got []int64
		for off := 0; ; off += 7 {
			v := decode[struct {
				Meta  MetaData `json:"_metadata"`
				Calls []Call   `json:"calls"`
			}](t, e.get(fmt.Sprintf("/calls?offset=%d&limit=7", off)))
			if v.Meta.Total != int64(len(calls)) || v.Meta.Collection != "calls" {
				t.Fatalf("meta %+v", v.Meta)
			}
			if len(v.Calls) == 0 {
				break
			}
			for _, c := range v.Calls {
				got = append(got, c.ID)
			}
		}
		if len(got) != len(calls) {
			t.Fatalf("paged %d calls of %d", len(got), len(calls))
		}
		one := decode[Call](t, e.get(fmt.Sprintf("/calls/%d", calls[3].ID)))
		if one != calls[3] {
			t.Fatalf("call by id: %+v", one)
		}
		wantError(t, e.get("/calls?limit=101"), 400, ErrCodeInvalidParam)
	})
	walk := func(t *testing.T, path string) []int64 {
		var got []int64
		cur := int64(0)
		for {
			q := path + "?limit=13"
			if cur > 0 {
				q += fmt.Sprintf("&currentId=%d", cur)
			}
			var items []struct {
				ID int64 `json:"id"`
			}
			r := e.get(q)
			if r.status != 200 || !bytes.HasPrefix(r.body, []byte("[")) {
				t.Fatalf("%s: %d %s", q, r.status, r.body)
			}
			items = decode[[]struct {
				ID int64 `json:"id"`
			}](t, r)
			if len(items) == 0 {
				return got
			}
			for _, it := range items {
				got = append(got, it.ID)
			}
			cur = items[len(items)-1].ID
		}
	}
	idsOf := func(n int, id func(int) int64) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = id(i)
		}
		return out
	}
	cases := []struct {
		name, path string
		want       []int64
	}{
		{"communication/call", "/communication/call", idsOf(len(calls), func(i int) int64 { return calls[i].ID })},
		{"communication/call/v2", "/communication/call/v2", idsOf(len(calls), func(i int) int64 { return calls[i].ID })},
		{"communication/email", "/communication/email", idsOf(len(e.s.Emails()), func(i int) int64 { return e.s.Emails()[i].ID })},
		{"communication/text", "/communication/text", idsOf(len(e.s.Texts()), func(i int) int64 { return e.s.Texts()[i].ID })},
		{"logType", "/logType", idsOf(len(e.s.LogTypes()), func(i int) int64 { return e.s.LogTypes()[i].ID })},
	}
	for _, c := range cases {
		t.Run(c.name+" currentId walk", func(t *testing.T) {
			e := e.with(t)
			if got := walk(t, c.path); !slices.Equal(got, c.want) {
				t.Fatalf("walked %d ids, want %d", len(got), len(c.want))
			}
			wantError(t, e.get(c.path+"?limit=1001"), 400, ErrCodeInvalidParam)
			if r := e.get(c.path + "?limit=1000"); r.status != 200 {
				t.Fatalf("limit=1000: %d", r.status)
			}
		})
	}
	t.Run("offset and leadId", func(t *testing.T) {
		e := e.with(t)
		lead := calls[0].LeadID
		var want []int64
		for _, c := range calls {
			if c.LeadID == lead {
				want = append(want, c.ID)
			}
		}
		got := decode[[]Call](t, e.get(fmt.Sprintf("/communication/call?leadId=%d&offset=1&limit=1000", lead)))
		if len(got) != len(want)-1 {
			t.Fatalf("got %d, want %d", len(got), len(want)-1)
		}
	})
	t.Run("logType filter", func(t *testing.T) {
		e := e.with(t)
		got := decode[[]LogType](t, e.get("/logType?logType=logText&limit=1000"))
		var n int
		for _, l := range e.s.LogTypes() {
			if l.Kind == "logText" {
				n++
			}
		}
		if len(got) != n || n == 0 {
			t.Fatalf("got %d, want %d", len(got), n)
		}
		wantError(t, e.get("/logType?logType=logFax"), 400, ErrCodeInvalidParam)
	})
	t.Run("notes", func(t *testing.T) {
		e := e.with(t)
		all := e.s.Notes()
		var user, system int
		for _, n := range all {
			if n.SystemNote {
				system++
			} else {
				user++
			}
		}
		if n := len(decode[[]Note](t, e.get("/notes"))); n != user {
			t.Fatalf("notes without system: %d, want %d", n, user)
		}
		if n := len(decode[[]Note](t, e.get("/notes?includeSystemNote=true"))); n != user+system || system == 0 {
			t.Fatalf("notes with system: %d, want %d", n, user+system)
		}
		lead := e.s.Leads()[0].LeadID
		r := e.do("POST", "/notes", map[string]any{"leadId": lead, "content": "Called back", "isPin": true}, nil)
		if r.status != 200 {
			t.Fatalf("POST note: %d %s", r.status, r.body)
		}
		noteID := *decode[Result](t, r).Data
		if n := decode[Note](t, e.get(fmt.Sprintf("/notes/%d", noteID))); n.Content != "Called back" || !n.IsPin || n.LeadID != lead {
			t.Fatalf("note %+v", n)
		}
		res := wantError(t, e.do("POST", "/notes", map[string]any{"leadId": 1}, nil), 400, ErrCodeValidation)
		if len(res.ErrorData) != 2 {
			t.Fatalf("errorData %+v", res.ErrorData)
		}
	})
	t.Run("agent communication", func(t *testing.T) {
		e := e.with(t)
		end := Anchor.UnixMilli()
		body := map[string]any{"type": "CALL", "startTime": end - 24*3600*1000, "endTime": end, "teamView": true, "limit": 1000}
		r := e.do("POST", "/agent/communication", body, nil)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		body["startTime"] = end - 24*3600*1000 - 1
		wantError(t, e.do("POST", "/agent/communication", body, nil), 400, ErrCodeValidation)
		body["startTime"], body["type"] = end-3600*1000, "FAX"
		wantError(t, e.do("POST", "/agent/communication", body, nil), 400, ErrCodeValidation)
	})
	t.Run("me and members", func(t *testing.T) {
		e := e.with(t)
		me := decode[Member](t, e.get("/me"))
		if me.MemberUserID != OwnerUserID {
			t.Fatalf("me %+v", me)
		}
		v := decode[struct {
			Meta    MetaData `json:"_metadata"`
			Members []Member `json:"members"`
		}](t, e.get("/members?limit=4&offset=4"))
		if v.Meta.Total != int64(len(members)) || len(v.Members) != len(members)-4 {
			t.Fatalf("members %+v", v.Meta)
		}
	})
}

func TestDeterminism(t *testing.T) {
	snap := func(seed int64) []byte {
		s := New(sandbox.Options{Seed: seed, Size: 50})
		b, err := json.Marshal(s.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := snap(42), snap(42), snap(43)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different data")
	}
	if bytes.Equal(a, c) {
		t.Fatal("different seeds, same data")
	}
	if n := len(New(sandbox.Options{Seed: 1}).Leads()); n != DefaultSize {
		t.Fatalf("default size %d", n)
	}
	// Accessors return copies.
	s := New(sandbox.Options{Seed: 1, Size: 12})
	ls := s.Leads()
	ls[0].Emails[0] = "mutated@example.com"
	ls[0].Tags = nil
	if got, _ := s.Lead(ls[0].LeadID); got.Emails[0] == "mutated@example.com" || got.Tags == nil {
		t.Fatal("Leads() is not a deep copy")
	}
}

func TestEnumCoverage(t *testing.T) {
	for _, size := range []int{MinCoverageSize, 0} {
		t.Run(fmt.Sprintf("size %d", size), func(t *testing.T) {
			s := New(sandbox.Options{Seed: 99, Size: size})
			snap := s.Snapshot()
			seen := map[string]bool{}
			mark := func(kind string, v any) { seen[fmt.Sprintf("%s=%v", kind, v)] = true }
			for _, l := range snap.Leads {
				mark("leadType", l.LeadType)
				for _, v := range l.LeadTypes {
					mark("leadTypes", v)
				}
				mark("stage", l.Stage)
				for _, a := range snap.Activities[l.LeadID] {
					mark("activity", a.Type)
				}
			}
			for _, c := range snap.Calls {
				mark("callingOutcome", c.CallingOutcome)
				mark("callDirection", c.Direction)
				mark("callStatus", c.Status)
			}
			for _, m := range snap.Emails {
				mark("emailType", m.EmailType)
				mark("emailEvent", m.EventType)
				mark("emailDirection", m.Direction)
			}
			for _, x := range snap.Texts {
				mark("textType", x.TextType)
				mark("textOutcome", x.TextOutcome)
				mark("textDirection", x.Direction)
			}
			for _, l := range snap.LogTypes {
				mark("logType", l.Kind)
				mark("logDirection", l.OutboundOrInbound)
				if l.Kind == "logCall" {
					mark("logOutcome", l.CallingOutcome)
				}
			}
			for _, n := range snap.Notes {
				mark("systemNote", n.SystemNote)
			}
			want := map[string][]any{}
			add := func(kind string, vs ...any) { want[kind] = append(want[kind], vs...) }
			for _, v := range LeadTypeValues {
				add("leadType", v)
			}
			for _, v := range LeadTypesValues {
				add("leadTypes", v)
			}
			for _, st := range s.Stages() {
				add("stage", st.Name)
			}
			for _, v := range CallingOutcomes {
				add("callingOutcome", v)
				add("logOutcome", v)
			}
			for _, v := range Directions {
				add("callDirection", v)
				add("emailDirection", v)
				add("textDirection", v)
				add("logDirection", v)
			}
			for _, v := range EmailTypes {
				add("emailType", v)
			}
			for _, v := range EmailEventTypes {
				add("emailEvent", v)
			}
			for _, v := range TextTypes {
				add("textType", v)
			}
			for _, v := range TextOutcomes {
				add("textOutcome", v)
			}
			for _, v := range CallStatuses {
				add("callStatus", v)
			}
			for _, v := range LogTypeKinds {
				add("logType", v)
			}
			for _, v := range ActivityTypes {
				add("activity", v)
			}
			add("systemNote", true, false)
			for kind, vs := range want {
				for _, v := range vs {
					if !seen[fmt.Sprintf("%s=%v", kind, v)] {
						t.Errorf("%s %v never generated", kind, v)
					}
				}
			}
		})
	}
}

func TestInjectUnknownValues(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 13, Size: 30})
	e.s.InjectUnknownValues()
	var stage, lt bool
	for off := 0; off < 30; off += 10 {
		for _, l := range e.leads(fmt.Sprintf("/leads?offset=%d", off)).Leads {
			stage = stage || (l.Stage == UnknownStageName && l.StageID != nil && *l.StageID == UnknownStageID)
			lt = lt || (l.LeadType == UnknownLeadType && slices.Contains(l.LeadTypes, UnknownLeadTypesValue))
		}
	}
	body := string(e.get("/communication/call?limit=1000").body) + string(e.get("/communication/email?limit=1000").body) +
		string(e.get("/communication/text?limit=1000").body) + string(e.get("/logType?limit=1000").body)
	for _, v := range []string{UnknownDirection, UnknownCallingOutcome, UnknownEmailEventType, UnknownEmailType, UnknownTextType, UnknownTextOutcome} {
		if !strings.Contains(body, `"`+v+`"`) {
			t.Errorf("%s not served", v)
		}
	}
	mid := e.s.Leads()[15].LeadID
	if acts := decode[[]Activity](t, e.get(fmt.Sprintf("/leads/%d/activities", mid))); !slices.ContainsFunc(acts, func(a Activity) bool { return a.Type == UnknownActivityType }) {
		t.Error("unknown activity type not served")
	}
	if !stage || !lt {
		t.Errorf("unknown stage served=%v, leadType served=%v", stage, lt)
	}
}

func TestControls(t *testing.T) {
	now := time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)
	s := New(sandbox.Options{Seed: 21, Size: 15, Now: func() time.Time { return now }})
	l := s.Leads()[7]
	if err := s.SetStatus(strconv.FormatInt(l.LeadID, 10), "Approved"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Lead(l.LeadID)
	if got.Stage != "Approved" || got.StageID == nil || *got.StageID != 5006 || got.LastUpdateTime != "2026-11-04T12:00:00Z" {
		t.Fatalf("after SetStatus %+v", got)
	}
	notes := s.Notes()
	if last := notes[len(notes)-1]; !last.SystemNote || last.LeadID != l.LeadID || !strings.Contains(last.Content, "to Approved") {
		t.Fatalf("stage change note %+v", last)
	}
	if err := s.SetStage(l.LeadID, "Nope"); err == nil {
		t.Fatal("unknown stage accepted")
	}
	if err := s.UpdateLead(l.LeadID, func(x *Lead) { x.FirstName = "Changed"; x.Stage = "Funded" }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Lead(l.LeadID); got.FirstName != "Changed" || *got.StageID != 5007 {
		t.Fatalf("UpdateLead %+v", got)
	}
	id, err := s.AddCall(l.LeadID, Call{CallingOutcome: "Talked", Duration: 60})
	if err != nil || id == 0 {
		t.Fatal(err)
	}
	if got, _ := s.Lead(l.LeadID); got.LastTouch != "2026-11-04T12:00:00Z" {
		t.Fatalf("lastTouch %s", got.LastTouch)
	}
	if _, err := s.AddEmail(1, Email{}); err == nil {
		t.Fatal("AddEmail on unknown lead")
	}
	if _, err := s.AddText(l.LeadID, Text{TextType: "Manual"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddNote(l.LeadID, "hello", false); err != nil {
		t.Fatal(err)
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	s := New(sandbox.Options{Seed: 1, Size: 10})
	s.SetRateWindow(0)
	mux := http.NewServeMux()
	mux.Handle("/lofty/", http.StripPrefix("/lofty", s))
	ts := httptest.NewServer(mux)
	defer ts.Close()
	e := &env{t: t, s: s, ts: ts, base: s.Env(ts.URL + "/lofty")["LOFTY_BASE_URL"]}
	if l := e.leads("/leads?limit=3"); len(l.Leads) != 3 {
		t.Fatal("prefixed list failed")
	}
	if r := e.do("POST", "/leads", map[string]any{"firstName": "Prefixed", "emails": []string{"p@example.com"}}, nil); r.status != 200 {
		t.Fatalf("prefixed create: %d", r.status)
	}
	if s.CreatesFor("p@example.com") != 1 {
		t.Fatal("prefixed create not recorded as a create")
	}
}

func TestConcurrency(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 1, Size: 100})
	leadIDs := ids(e.s.Leads())
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				e.get(fmt.Sprintf("/leads?offset=%d&limit=20", j*20))
				e.do("POST", "/leads", map[string]any{"firstName": "C", "emails": []string{fmt.Sprintf("c%d-%d@example.com", i, j)}}, nil)
				e.get("/leads/updateTime?leadUpdateTime=2026-10-01")
				_ = e.s.Touch(leadIDs[j], Anchor)
			}
		}(i)
	}
	wg.Wait()
	if e.s.CreateCount() != 40 || e.s.Requests() != 120 {
		t.Fatalf("creates %d requests %d", e.s.CreateCount(), e.s.Requests())
	}
	if tot := e.leads("/leads?limit=1").Meta.Total; tot != 140 {
		t.Fatalf("total %d", tot)
	}
}

func TestNoRateLimitHeadersWhenLimitingIsOff(t *testing.T) {
	e := newEnv(t, sandbox.Options{Seed: 1, Size: 3})
	r := e.get("/leads")
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		if v := r.header.Get(h); v != "" {
			t.Errorf("limiting is off but %s: %s", h, v)
		}
	}
}

func TestSizeFollowsOptionsRecords(t *testing.T) {
	for _, tc := range []struct{ size, want int }{{0, DefaultSize}, {-1, 0}, {1, 1}, {7, 7}} {
		s := New(sandbox.Options{Seed: 1, Size: tc.size})
		if got := len(s.Leads()); got != tc.want {
			t.Errorf("Size %d: %d leads, want %d", tc.size, got, tc.want)
		}
	}
	e := newEnv(t, sandbox.Options{Seed: 1, Size: -1})
	r := e.get("/leads")
	if r.status != 200 || !strings.Contains(string(r.body), `"total":0`) {
		t.Errorf("empty account: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/communication/call", "/communication/email", "/communication/text", "/notes", "/calls"} {
		if r := e.get(p); r.status != 200 {
			t.Errorf("empty account %s: %d %s", p, r.status, r.body)
		}
	}
}
