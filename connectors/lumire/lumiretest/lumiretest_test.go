package lumiretest_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/lumire/lumiretest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     *testing.T
	s     *lumiretest.Server
	hs    *httptest.Server
	base  string // includes /v1
	clk   *clock
	basic *http.Client
}

func setup(t *testing.T, size int) *env {
	t.Helper()
	clk := &clock{t: lumiretest.Anchor.Add(21 * 24 * time.Hour)}
	s := lumiretest.New(sandbox.Options{Seed: 7, Size: size, Now: clk.Now})
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return &env{t: t, s: s, hs: hs, base: s.Env(hs.URL)["LUMIRE_BASE_URL"], clk: clk, basic: hs.Client()}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// do sends a request with the API key unless headers override it.
func (e *env) do(c *http.Client, method, path string, body any, headers map[string]string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	if c == nil {
		c = e.basic
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

var key = map[string]string{lumiretest.APIKeyHeader: lumiretest.APIKey}

func (e *env) get(path string) resp { e.t.Helper(); return e.do(nil, "GET", path, nil, key) }

func (e *env) post(path string, body any) resp {
	e.t.Helper()
	return e.do(nil, "POST", path, body, key)
}

func (e *env) sessionClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

func (e *env) login(c *http.Client) resp {
	e.t.Helper()
	return e.do(c, "POST", "/auth/login", map[string]any{"email": lumiretest.Email, "password": lumiretest.Password,
		"tenantSlug": lumiretest.TenantSlug}, nil)
}

func wantError(t *testing.T, r resp, status int, msg string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d: %s", r.status, status, r.body)
	}
	m := r.json(t)
	if int(m["statusCode"].(float64)) != status || m["error"] != http.StatusText(status) {
		t.Fatalf("error body %s", r.body)
	}
	if msg == "" {
		return
	}
	switch got := m["message"].(type) {
	case string:
		if got != msg {
			t.Fatalf("message = %q, want %q", got, msg)
		}
	case []any:
		for _, x := range got {
			if x == msg {
				return
			}
		}
		t.Fatalf("messages %v do not contain %q", got, msg)
	default:
		t.Fatalf("message of unexpected type: %s", r.body)
	}
}

func ids(t *testing.T, r resp, listKey string) []string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var items []map[string]any
	if listKey == "" {
		if err := json.Unmarshal(r.body, &items); err != nil {
			t.Fatal(err)
		}
	} else {
		m := r.json(t)
		raw, _ := json.Marshal(m[listKey])
		if err := json.Unmarshal(raw, &items); err != nil || items == nil {
			t.Fatalf("%q is not an array: %s", listKey, r.body)
		}
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it["id"].(string)
	}
	return out
}

func TestRegisteredAndEnv(t *testing.T) {
	f, ok := sandbox.Lookup("lumire")
	if !ok {
		t.Fatal("lumire not registered")
	}
	sb := f(sandbox.Options{Size: 5})
	if sb.Vendor() != "lumire" {
		t.Fatalf("vendor %q", sb.Vendor())
	}
	got := sb.Env("http://127.0.0.1:9/lumire")
	want := map[string]string{"LUMIRE_BASE_URL": "http://127.0.0.1:9/lumire/v1", "LUMIRE_EMAIL": lumiretest.Email,
		"LUMIRE_PASSWORD": lumiretest.Password, "LUMIRE_TENANT": lumiretest.TenantSlug,
		"LUMIRE_API_KEY": lumiretest.APIKey}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Env = %v", got)
	}
}

func TestAuth(t *testing.T) {
	e := setup(t, 20)
	login := func(body map[string]any) resp { return e.do(nil, "POST", "/auth/login", body, nil) }
	good := map[string]any{"email": lumiretest.Email, "password": lumiretest.Password, "tenantSlug": lumiretest.TenantSlug}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name   string
		r      func() resp
		status int
		msg    string
	}{
		{"no credentials", func() resp { return e.do(nil, "GET", "/sales/leads", nil, nil) }, 401, "Unauthorized"},
		{"wrong api key", func() resp {
			return e.do(nil, "GET", "/sales/leads", nil, map[string]string{lumiretest.APIKeyHeader: "nope"})
		}, 401, "Invalid API key"},
		{"unknown session cookie", func() resp {
			return e.do(nil, "GET", "/sales/leads", nil, map[string]string{"Cookie": lumiretest.SessionCookie + "=forged"})
		}, 401, "Unauthorized"},
		{"api key ok", func() resp { return e.get("/sales/leads") }, 200, ""},
		{"login wrong password", func() resp { return login(with("password", "x")) }, 401, "Invalid credentials"},
		{"login wrong tenant", func() resp { return login(with("tenantSlug", "other")) }, 401, "Invalid credentials"},
		{"login missing tenant", func() resp { return login(with("tenantSlug", nil)) }, 400, "tenantSlug should not be empty"},
		{"login bad email", func() resp { return login(with("email", "not-an-email")) }, 400, "email must be an email"},
		{"login unknown property", func() resp { return login(with("remember", true)) }, 400, "property remember should not exist"},
		{"login ok", func() resp { return login(good) }, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.r()
			if c.status >= 400 {
				wantError(t, r, c.status, c.msg)
			} else if r.status != c.status {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
		})
	}

	t.Run("session lifecycle", func(t *testing.T) {
		c := e.sessionClient()
		r := e.login(c)
		if r.status != 200 || !strings.Contains(r.header.Get("Set-Cookie"), lumiretest.SessionCookie+"=") {
			t.Fatalf("login: %d %v", r.status, r.header)
		}
		if r := e.do(c, "GET", "/auth/me", nil, nil); r.status != 200 || r.json(t)["authMethod"] != "session" {
			t.Fatalf("me: %d %s", r.status, r.body)
		}
		e.s.ExpireSessions()
		wantError(t, e.do(c, "GET", "/sales/leads", nil, nil), 401, "Session expired")
		e.login(c)
		if r := e.do(c, "GET", "/sales/leads", nil, nil); r.status != 200 {
			t.Fatalf("after re-login: %d", r.status)
		}
		e.do(c, "POST", "/auth/logout", nil, nil)
		wantError(t, e.do(c, "GET", "/sales/leads", nil, nil), 401, "")
	})

	t.Run("session TTL on the clock", func(t *testing.T) {
		e.s.SetSessionTTL(time.Minute)
		defer e.s.SetSessionTTL(0)
		c := e.sessionClient()
		e.login(c)
		e.clk.Add(59 * time.Second)
		if r := e.do(c, "GET", "/traders", nil, nil); r.status != 200 {
			t.Fatalf("before expiry: %d", r.status)
		}
		e.clk.Add(2 * time.Second)
		wantError(t, e.do(c, "GET", "/traders", nil, nil), 401, "Session expired")
	})

	t.Run("totp", func(t *testing.T) {
		e.s.RequireTOTP("123456")
		defer e.s.RequireTOTP("")
		wantError(t, login(good), 401, "TOTP code required")
		wantError(t, login(with("totpCode", "000000")), 401, "Invalid TOTP code")
		if r := login(with("totpCode", "123456")); r.status != 200 {
			t.Fatalf("totp login: %d %s", r.status, r.body)
		}
	})

	t.Run("public endpoints and unknown routes", func(t *testing.T) {
		res, err := http.Get(e.hs.URL + "/health")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("health: %v %v", err, res)
		}
		res.Body.Close()
		wantError(t, e.get("/nope"), 404, "Cannot GET /v1/nope")
		wantError(t, e.do(nil, "DELETE", "/sales/leads", nil, key), 404, "Cannot DELETE /v1/sales/leads")
	})
}

// pageAll walks a list with the given limit and returns the ids per page.
func (e *env) pageAll(path string, limit int, extra string) [][]string {
	e.t.Helper()
	var pages [][]string
	cursor := ""
	for i := 0; i < 1000; i++ {
		q := url.Values{"limit": {itoa(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		r := e.get(path + "?" + q.Encode() + extra)
		pages = append(pages, ids(e.t, r, "data"))
		m := r.json(e.t)
		nc, has := m["nextCursor"]
		if !has {
			return pages
		}
		cursor = nc.(string)
		if cursor == "" {
			e.t.Fatal("empty nextCursor present")
		}
	}
	e.t.Fatal("pagination does not end")
	return nil
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestPagination(t *testing.T) {
	const n = 30
	e := setup(t, n)
	truth := e.s.Leads() // oldest first; lists default to newest first
	var want []string
	for i := len(truth) - 1; i >= 0; i-- {
		want = append(want, truth[i].ID)
	}
	cases := []struct {
		name  string
		limit int
		sizes []int
	}{
		{"one page exactly", n, []int{n}},
		{"page larger than total", 100, []int{n}},
		{"exact multiple", 10, []int{10, 10, 10}},
		{"last partial page", 7, []int{7, 7, 7, 7, 2}},
		{"limit 1", 1, slices.Repeat([]int{1}, n)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pages := e.pageAll("/sales/leads", c.limit, "")
			var got []string
			var sizes []int
			for _, p := range pages {
				got = append(got, p...)
				sizes = append(sizes, len(p))
			}
			if !slices.Equal(sizes, c.sizes) {
				t.Fatalf("page sizes %v, want %v", sizes, c.sizes)
			}
			if !slices.Equal(got, want) {
				t.Fatal("pages do not reproduce the dataset in newest-first order")
			}
		})
	}
	t.Run("ascending order", func(t *testing.T) {
		pages := e.pageAll("/sales/leads", 8, "&order=asc")
		got := slices.Concat(pages...)
		slices.Reverse(got)
		if !slices.Equal(got, want) {
			t.Fatal("order=asc is not the reverse of the default")
		}
	})
	t.Run("past the end is an empty page", func(t *testing.T) {
		r := e.get("/sales/leads?order=asc&limit=1")
		cur := r.json(t)["nextCursor"].(string)
		oldest := truth[0].CreatedAt.String()
		r = e.get("/sales/leads?order=asc&limit=5&cursor=" + url.QueryEscape(cur) + "&to=" + url.QueryEscape(oldest))
		m := r.json(t)
		if d, ok := m["data"].([]any); !ok || len(d) != 0 {
			t.Fatalf("want empty data array, got %s", r.body)
		}
		if _, has := m["nextCursor"]; has {
			t.Fatal("empty page carries nextCursor")
		}
	})
	t.Run("created record appears between pages without duplicates", func(t *testing.T) {
		r := e.get("/sales/leads?limit=10")
		cur := r.json(t)["nextCursor"].(string)
		seen := ids(t, r, "data")
		if c := e.post("/sales/leads", map[string]any{"email": "mid.pull@example.com"}); c.status != 201 {
			t.Fatalf("create: %d %s", c.status, c.body)
		}
		for cur != "" {
			r = e.get("/sales/leads?limit=10&cursor=" + url.QueryEscape(cur))
			seen = append(seen, ids(t, r, "data")...)
			cur, _ = r.json(t)["nextCursor"].(string)
		}
		if len(seen) != n || len(slices.Compact(slices.Sorted(slices.Values(seen)))) != n {
			t.Fatalf("keyset pages: got %d ids", len(seen))
		}
	})
	t.Run("bad parameters", func(t *testing.T) {
		for _, c := range []struct{ q, msg string }{
			{"limit=0", "limit must not be less than 1"},
			{"limit=101", "limit must not be greater than 100"},
			{"limit=abc", "limit must be an integer number"},
			{"cursor=garbage", "cursor must be a cursor returned by this list with the same order"},
			{"order=sideways", "order must be one of the following values: asc, desc"},
			{"page=2", "property page should not exist"},
		} {
			wantError(t, e.get("/sales/leads?"+c.q), 400, c.msg)
		}
		// A cursor from one list is not accepted by another.
		cur := e.get("/traders?limit=1").json(t)["nextCursor"].(string)
		wantError(t, e.get("/sales/leads?cursor="+cur), 400, "")
	})
}

func TestResponseShapes(t *testing.T) {
	e := setup(t, 12)
	if err := e.s.SetResponseShape("xml"); err == nil {
		t.Fatal("unknown shape accepted")
	}
	t.Run("items", func(t *testing.T) {
		if err := e.s.SetResponseShape(lumiretest.ShapeItems); err != nil {
			t.Fatal(err)
		}
		r := e.get("/sales/leads?limit=10")
		m := r.json(t)
		cur, ok := m["next_cursor"].(string)
		if !ok || cur == "" || len(ids(t, r, "items")) != 10 {
			t.Fatalf("first page: %s", r.body)
		}
		r = e.get("/sales/leads?limit=10&cursor=" + url.QueryEscape(cur))
		m = r.json(t)
		if v, has := m["next_cursor"]; !has || v != nil || len(ids(t, r, "items")) != 2 {
			t.Fatalf("last page: %s", r.body)
		}
	})
	t.Run("bare array", func(t *testing.T) {
		_ = e.s.SetResponseShape(lumiretest.ShapeArray)
		r := e.get("/sales/leads?limit=10")
		cur := r.header.Get(lumiretest.NextCursorHeader)
		if cur == "" || len(ids(t, r, "")) != 10 {
			t.Fatalf("first page: %v %s", r.header, r.body)
		}
		r = e.get("/sales/leads?limit=10&cursor=" + url.QueryEscape(cur))
		if r.header.Get(lumiretest.NextCursorHeader) != "" || len(ids(t, r, "")) != 2 {
			t.Fatal("last page")
		}
	})
	t.Run("nested, with a renamed cursor parameter", func(t *testing.T) {
		_ = e.s.SetResponseShape(lumiretest.ShapeNested)
		e.s.SetCursorParam("after")
		defer e.s.SetCursorParam("")
		var page struct {
			Result struct {
				Rows   []map[string]any  `json:"rows"`
				Paging map[string]string `json:"paging"`
			} `json:"result"`
		}
		r := e.get("/sales/leads?limit=10")
		if err := json.Unmarshal(r.body, &page); err != nil || len(page.Result.Rows) != 10 || page.Result.Paging["after"] == "" {
			t.Fatalf("first page: %v %s", err, r.body)
		}
		cur := page.Result.Paging["after"]
		wantError(t, e.get("/sales/leads?limit=10&cursor="+url.QueryEscape(cur)), 400, "property cursor should not exist")
		page.Result.Rows, page.Result.Paging = nil, nil
		r = e.get("/sales/leads?limit=10&after=" + url.QueryEscape(cur))
		if err := json.Unmarshal(r.body, &page); err != nil || len(page.Result.Rows) != 2 {
			t.Fatalf("last page: %v %s", err, r.body)
		}
		if _, more := page.Result.Paging["after"]; more {
			t.Fatalf("last page has a cursor: %s", r.body)
		}
	})
	t.Run("back to data", func(t *testing.T) {
		_ = e.s.SetResponseShape(lumiretest.ShapeData)
		if got := ids(t, e.get("/sales/leads?limit=100"), "data"); len(got) != 12 {
			t.Fatalf("%d leads", len(got))
		}
	})
}

func count(t *testing.T, e *env, path string) int {
	t.Helper()
	total := 0
	cur := ""
	for {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		p := path + sep + "limit=100"
		if cur != "" {
			p += "&cursor=" + url.QueryEscape(cur)
		}
		r := e.get(p)
		total += len(ids(t, r, "data"))
		c, ok := r.json(t)["nextCursor"].(string)
		if !ok {
			return total
		}
		cur = c
	}
}

func TestFilters(t *testing.T) {
	e := setup(t, 60)
	d := e.s.Snapshot()
	lead := d.Leads[5]
	tx := d.Transactions[3]
	var withExt lumiretest.Transaction
	for _, x := range d.Transactions {
		if x.ExternalID != nil {
			withExt = x
			break
		}
	}
	cut := d.Leads[len(d.Leads)/2].CreatedAt
	countLeads := func(f func(lumiretest.Lead) bool) int {
		n := 0
		for _, l := range d.Leads {
			if f(l) {
				n++
			}
		}
		return n
	}
	countTx := func(f func(lumiretest.Transaction) bool) int {
		n := 0
		for _, x := range d.Transactions {
			if f(x) {
				n++
			}
		}
		return n
	}
	day := cut.UTC().Format("2006-01-02")
	cases := []struct {
		name string
		path string
		want int
	}{
		{"leads by status", "/sales/leads?status=qualified", countLeads(func(l lumiretest.Lead) bool { return l.Status == "qualified" })},
		{"lead by email, any case", "/sales/leads?email=" + url.QueryEscape(strings.ToUpper(lead.Email)), 1},
		{"leads from (inclusive)", "/sales/leads?from=" + url.QueryEscape(cut.String()),
			countLeads(func(l lumiretest.Lead) bool { return !l.CreatedAt.Before(cut.Time) })},
		{"leads to (timestamp, inclusive)", "/sales/leads?to=" + url.QueryEscape(cut.String()),
			countLeads(func(l lumiretest.Lead) bool { return !l.CreatedAt.After(cut.Time) })},
		{"leads to (date, whole day)", "/sales/leads?to=" + day,
			countLeads(func(l lumiretest.Lead) bool { return l.CreatedAt.Format("2006-01-02") <= day })},
		{"leads updatedSince", "/sales/leads?updatedSince=" + url.QueryEscape(cut.String()),
			countLeads(func(l lumiretest.Lead) bool { return !l.UpdatedAt.Before(cut.Time) })},
		{"transactions by trader", "/transactions?traderId=" + tx.TraderID,
			countTx(func(x lumiretest.Transaction) bool { return x.TraderID == tx.TraderID })},
		{"transactions by kind+status", "/transactions?kind=deposit&status=completed",
			countTx(func(x lumiretest.Transaction) bool { return x.Kind == "deposit" && x.Status == "completed" })},
		{"transactions by currency", "/transactions?currency=JPY",
			countTx(func(x lumiretest.Transaction) bool { return x.Currency == "JPY" })},
		{"transaction by externalId", "/transactions?externalId=" + *withExt.ExternalID, 1},
		{"activities of a lead", "/sales/activities?leadId=" + lead.ID, func() int {
			n := 0
			for _, a := range d.Activities {
				if a.LeadID != nil && *a.LeadID == lead.ID {
					n++
				}
			}
			return n
		}()},
		{"deposits reconciled", "/payments/deposits?status=settled&reconciled=true", func() int {
			n := 0
			for _, x := range d.Deposits {
				if x.Status == "settled" && x.Reconciled {
					n++
				}
			}
			return n
		}()},
		{"withdrawals by kind", "/payments/withdrawals?kind=crypto", func() int {
			n := 0
			for _, x := range d.Withdrawals {
				if x.Kind == "crypto" {
					n++
				}
			}
			return n
		}()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.want == 0 {
				t.Fatal("filter case matches nothing in the dataset; pick another")
			}
			if got := count(t, e, c.path); got != c.want {
				t.Fatalf("got %d records, want %d", got, c.want)
			}
		})
	}
	t.Run("invalid filters", func(t *testing.T) {
		for _, c := range []struct{ path, msg string }{
			{"/sales/leads?status=won", "status must be one of the following values: new, contacted, qualified, unqualified, converted, lost, nurturing"},
			{"/transactions?from=yesterday", "from must be a valid ISO 8601 date string"},
			{"/transactions?traderId=42", "traderId must be a UUID"},
			{"/payments/deposits?reconciled=yes", "reconciled must be a boolean value"},
			{"/transactions?trader_id=" + tx.TraderID, "property trader_id should not exist"},
		} {
			wantError(t, e.get(c.path), 400, c.msg)
		}
	})
	t.Run("details", func(t *testing.T) {
		r := e.get("/sales/leads/" + lead.ID)
		m := r.json(t)
		if r.status != 200 || m["id"] != lead.ID || m["metadata"] == nil && lead.Metadata != nil {
			t.Fatalf("detail: %s", r.body)
		}
		if _, ok := m["activities"].([]any); !ok {
			t.Fatal("detail has no activities array")
		}
		list := e.get("/sales/leads?email=" + url.QueryEscape(lead.Email)).json(t)["data"].([]any)[0].(map[string]any)
		if _, has := list["metadata"]; has {
			t.Fatal("list item carries metadata")
		}
		wantError(t, e.get("/sales/leads/not-a-uuid"), 400, "Validation failed (uuid is expected)")
		wantError(t, e.get("/sales/leads/00000000-0000-4000-8000-000000000000"), 404, "Lead not found")
		if r := e.get("/traders/" + tx.TraderID); r.status != 200 {
			t.Fatalf("trader detail %d", r.status)
		}
		if r := e.get("/accounts/" + *d.Transactions[0].AccountID); r.status != 200 && d.Transactions[0].AccountID != nil {
			t.Fatalf("account detail %d", r.status)
		}
	})
	t.Run("amounts are strings", func(t *testing.T) {
		r := e.get("/transactions?limit=100")
		for _, it := range r.json(t)["data"].([]any) {
			if _, ok := it.(map[string]any)["amount"].(string); !ok {
				t.Fatalf("amount not a string: %v", it)
			}
		}
	})
}

func TestCreateLead(t *testing.T) {
	e := setup(t, 10)
	valid := map[string]any{"email": "new.lead@example.com", "phone": "+44 7700 900123", "firstName": "New",
		"lastName": "Lead", "country": "GB", "source": "leadpipe", "assignedToId": e.s.Users()[1].ID, "score": 42,
		"metadata": map[string]any{"partnerRef": "row-1"}}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range valid {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name string
		body any
		msg  string
	}{
		{"missing email", with("email", nil), "email should not be empty"},
		{"bad email", with("email", "a@b"), "email must be an email"},
		{"score too high", with("score", 101), "score must not be greater than 100"},
		{"score not integer", with("score", 1.5), "score must be an integer number"},
		{"bad country", with("country", "XX"), "country must be a valid ISO31661 Alpha2 code"},
		{"bad phone", with("phone", "call me"), "phone must be a valid phone number"},
		{"metadata not object", with("metadata", "x"), "metadata must be an object"},
		{"status not allowed on create", with("status", "new"), "property status should not exist"},
		{"assignee not a UUID", with("assignedToId", "bob"), "assignedToId must be a UUID"},
		{"not JSON", "{", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, e.post("/sales/leads", c.body), 400, c.msg)
		})
	}
	t.Run("unknown assignee", func(t *testing.T) {
		wantError(t, e.post("/sales/leads", with("assignedToId", "00000000-0000-4000-8000-000000000000")), 400,
			"assignedToId is not a member of this tenant")
	})
	if n := e.s.CreatedCount(lumiretest.RouteCreateLead); n != 0 {
		t.Fatalf("rejected creates counted as created: %d", n)
	}
	if n := e.s.ReceivedCount(lumiretest.RouteCreateLead); n != len(cases)+1 {
		t.Fatalf("received %d, want %d", n, len(cases)+1)
	}
	r := e.post("/sales/leads", valid)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	m := r.json(t)
	id := m["id"].(string)
	if m["status"] != "new" || m["createdAt"] != lumiretest.TS(e.clk.Now()).String() {
		t.Fatalf("created lead: %s", r.body)
	}
	subs := e.s.Received()
	last := subs[len(subs)-1]
	if last.ID != id || last.Status != 201 || last.Body["email"] != valid["email"] || last.Path != "/v1/sales/leads" {
		t.Fatalf("submission %+v", last)
	}
	if got := ids(t, e.get("/sales/leads?email=NEW.LEAD@example.com"), "data"); !slices.Equal(got, []string{id}) {
		t.Fatalf("lookup by email: %v", got)
	}
	det := e.get("/sales/leads/" + id).json(t)
	if det["metadata"].(map[string]any)["partnerRef"] != "row-1" || det["assignedTo"] == nil {
		t.Fatalf("detail %v", det)
	}
	if l, ok := e.s.Lead(id); !ok || l.Score == nil || *l.Score != 42 {
		t.Fatal("Lead() does not show the created lead")
	}
	if e.s.CreatedCount(lumiretest.RouteCreateLead) != 1 {
		t.Fatal("CreatedCount")
	}
	t.Run("the phone formats of the dataset are accepted", func(t *testing.T) {
		seen := map[string]bool{}
		for i, l := range lumiretest.New(sandbox.Options{Seed: 9, Size: 60}).Leads() {
			if l.Phone == nil || *l.Phone == "" || seen[*l.Phone] {
				continue
			}
			seen[*l.Phone] = true
			r := e.post("/sales/leads", map[string]any{"email": "p" + itoa(i) + "@example.com", "phone": *l.Phone})
			if r.status != 201 {
				t.Fatalf("phone %q rejected: %s", *l.Phone, r.body)
			}
		}
	})
}

func TestUpdateConvertAndActivities(t *testing.T) {
	e := setup(t, 10)
	r := e.post("/sales/leads", map[string]any{"email": "convert.me@example.com", "firstName": "Con", "lastName": "Vert"})
	id := r.json(t)["id"].(string)

	wantError(t, e.do(nil, "PATCH", "/sales/leads/"+id, map[string]any{"status": "won"}, key), 400,
		"status must be one of the following values: new, contacted, qualified, unqualified, converted, lost, nurturing")
	wantError(t, e.do(nil, "PATCH", "/sales/leads/"+id, map[string]any{"status": "converted"}, key), 400, "")
	e.clk.Add(time.Hour)
	r = e.do(nil, "PATCH", "/sales/leads/"+id, map[string]any{"status": "qualified", "phone": nil}, key)
	if r.status != 200 || r.json(t)["status"] != "qualified" || r.json(t)["phone"] != nil {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	acts := ids(t, e.get("/sales/activities?kind=status_change&leadId="+id), "data")
	if len(acts) != 1 {
		t.Fatalf("status_change activities: %v", acts)
	}

	r = e.post("/sales/leads/"+id+"/convert", nil)
	if r.status != 201 {
		t.Fatalf("convert: %d %s", r.status, r.body)
	}
	m := r.json(t)
	trader := m["trader"].(map[string]any)
	if m["lead"].(map[string]any)["status"] != "converted" || trader["email"] != "convert.me@example.com" ||
		trader["kycStatus"] != "not_started" {
		t.Fatalf("convert body: %s", r.body)
	}
	tid := trader["id"].(string)
	if r := e.get("/traders/" + tid); r.status != 200 {
		t.Fatalf("trader after convert: %d", r.status)
	}
	if l, _ := e.s.Lead(id); l.ConvertedTraderID == nil || *l.ConvertedTraderID != tid {
		t.Fatal("lead not linked to trader")
	}
	wantError(t, e.post("/sales/leads/"+id+"/convert", nil), 409, "Lead already converted")
	wantError(t, e.post("/sales/leads/00000000-0000-4000-8000-000000000000/convert", nil), 404, "Lead not found")

	wantError(t, e.post("/sales/activities", map[string]any{"kind": "note"}), 400, "leadId or traderId must be provided")
	wantError(t, e.post("/sales/activities", map[string]any{"leadId": id, "kind": "fax"}), 400, "")
	r = e.post("/sales/activities", map[string]any{"leadId": id, "traderId": tid, "kind": "call", "subject": "Intro",
		"body": "Talked, all good", "occurredAt": "2026-11-20T10:00:00Z"})
	if r.status != 201 || r.json(t)["occurredAt"] != "2026-11-20T10:00:00.000Z" {
		t.Fatalf("activity: %d %s", r.status, r.body)
	}
	if got := count(t, e, "/sales/activities?leadId="+id+"&kind=call"); got != 1 {
		t.Fatalf("activity not listed: %d", got)
	}
	if e.s.CreatedCount(lumiretest.RouteConvertLead) != 1 || e.s.ReceivedCount(lumiretest.RouteConvertLead) != 3 {
		t.Fatal("convert submissions")
	}
}

func TestCreateTransaction(t *testing.T) {
	e := setup(t, 10)
	acc := e.s.Accounts()[0]
	var other lumiretest.Account
	for _, a := range e.s.Accounts() {
		if a.TraderID != acc.TraderID {
			other = a
			break
		}
	}
	valid := map[string]any{"traderId": acc.TraderID, "accountId": acc.ID, "kind": "deposit", "status": "completed",
		"amount": "1234.50", "currency": "EUR", "reference": "CSV-1", "externalId": "lp-row-1",
		"occurredAt": "2026-11-15T09:30:00.000Z", "metadata": map[string]any{"row": 1}}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range valid {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name   string
		body   map[string]any
		status int
		msg    string
	}{
		{"amount as number", with("amount", 1234.5), 400, `amount must be a decimal string like "1234.50"`},
		{"amount garbage", with("amount", "12,50"), 400, `amount must be a decimal string like "1234.50"`},
		{"negative deposit", with("amount", "-10.00"), 400, "amount must be a positive number"},
		{"zero", with("amount", "0.00"), 400, "amount must not be zero"},
		{"lower-case currency", with("currency", "eur"), 400, "currency must be a valid ISO4217 currency code"},
		{"bad kind", with("kind", "refund"), 400, "kind must be one of the following values: deposit, withdrawal, commission, bonus, fee, adjustment, transfer"},
		{"bad status", with("status", "done"), 400, "status must be one of the following values: pending, completed, failed, cancelled, reversed"},
		{"missing trader", with("traderId", nil), 400, "traderId should not be empty"},
		{"bad occurredAt", with("occurredAt", "15/11/2026"), 400, "occurredAt must be a valid ISO 8601 date string"},
		{"unknown trader", with("traderId", "00000000-0000-4000-8000-000000000000"), 404, "Trader not found"},
		{"account of another trader", with("accountId", other.ID), 400, "Account does not belong to trader"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantError(t, e.post("/transactions", c.body), c.status, c.msg) })
	}
	r := e.post("/transactions", valid)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	m := r.json(t)
	id := m["id"].(string)
	if m["amount"] != "1234.50" || m["occurredAt"] != "2026-11-15T09:30:00.000Z" {
		t.Fatalf("created: %s", r.body)
	}
	wantError(t, e.post("/transactions", valid), 409, `Transaction with externalId "lp-row-1" already exists`)
	if got := ids(t, e.get("/transactions?externalId=lp-row-1"), "data"); !slices.Equal(got, []string{id}) {
		t.Fatalf("lookup by externalId: %v", got)
	}
	adj := with("kind", "adjustment")
	adj["amount"], adj["externalId"], adj["status"] = "-25.00", nil, nil
	if r := e.post("/transactions", adj); r.status != 201 || r.json(t)["status"] != "pending" {
		t.Fatalf("negative adjustment: %d %s", r.status, r.body)
	}
	if e.s.CreatedCount(lumiretest.RouteCreateTransaction) != 2 ||
		e.s.ReceivedCount(lumiretest.RouteCreateTransaction) != len(cases)+3 {
		t.Fatal("submission counts")
	}
	rows := exportRows(t, e, "/transactions/export.csv?externalId=lp-row-1")
	if len(rows) != 2 || rows[1][0] != id || rows[1][5] != "1234.50" {
		t.Fatalf("export: %v", rows)
	}
}

func exportRows(t *testing.T, e *env, path string) [][]string {
	t.Helper()
	r := e.get(path)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export %s: %d %v %s", path, r.status, r.header, r.body)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestExports(t *testing.T) {
	e := setup(t, 40)
	cases := []struct {
		name, export, list string
		header             []string
	}{
		{"transactions", "/transactions/export.csv", "/transactions", lumiretest.TransactionCSVColumns},
		{"transactions filtered", "/transactions/export.csv?kind=fee&order=asc", "/transactions?kind=fee", lumiretest.TransactionCSVColumns},
		{"deposits", "/payments/deposits/export.csv", "/payments/deposits", lumiretest.DepositCSVColumns},
		{"deposits filtered", "/payments/deposits/export.csv?status=settled&currency=USD", "/payments/deposits?status=settled&currency=USD", lumiretest.DepositCSVColumns},
		{"withdrawals", "/payments/withdrawals/export.csv", "/payments/withdrawals", lumiretest.WithdrawalCSVColumns},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows := exportRows(t, e, c.export)
			if !slices.Equal(rows[0], c.header) {
				t.Fatalf("header %v", rows[0])
			}
			if want := count(t, e, c.list); len(rows)-1 != want || want == 0 {
				t.Fatalf("%d rows, list has %d", len(rows)-1, want)
			}
		})
	}
	t.Run("cap truncates silently", func(t *testing.T) {
		e.s.SetExportCap(5)
		defer e.s.SetExportCap(0)
		rows := exportRows(t, e, "/transactions/export.csv")
		if len(rows) != 6 {
			t.Fatalf("%d rows with cap 5", len(rows)-1)
		}
	})
	t.Run("paging params are not export filters", func(t *testing.T) {
		wantError(t, e.get("/transactions/export.csv?limit=10"), 400, "property limit should not exist")
	})
	t.Run("needs auth", func(t *testing.T) {
		wantError(t, e.do(nil, "GET", "/payments/deposits/export.csv", nil, nil), 401, "Unauthorized")
	})
}

func TestDeterminism(t *testing.T) {
	a := lumiretest.New(sandbox.Options{Seed: 42, Size: 50}).Snapshot()
	b := lumiretest.New(sandbox.Options{Seed: 42, Size: 50}).Snapshot()
	c := lumiretest.New(sandbox.Options{Seed: 43, Size: 50}).Snapshot()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different data")
	}
	if reflect.DeepEqual(a.Leads, c.Leads) {
		t.Fatal("different seeds, same data")
	}
	if len(a.Leads) != 50 {
		t.Fatalf("Size 50 gave %d leads", len(a.Leads))
	}
	if n := len(lumiretest.New(sandbox.Options{}).Leads()); n != lumiretest.DefaultSize {
		t.Fatalf("default size gave %d leads", n)
	}
	for _, l := range a.Leads {
		if !l.CreatedAt.Before(lumiretest.Anchor) || l.UpdatedAt.After(lumiretest.Anchor) {
			t.Fatalf("lead %s not anchored: %v %v", l.ID, l.CreatedAt, l.UpdatedAt)
		}
	}
}

func TestSizeIsExactAndNegativeIsEmpty(t *testing.T) {
	for _, size := range []int{1, 5} {
		if n := len(lumiretest.New(sandbox.Options{Seed: 2, Size: size}).Leads()); n != size {
			t.Errorf("Size %d gave %d leads", size, n)
		}
	}
	d := lumiretest.New(sandbox.Options{Seed: 2, Size: -1}).Snapshot()
	if n := len(d.Leads) + len(d.Activities) + len(d.Traders) + len(d.Accounts) + len(d.Deposits) +
		len(d.Withdrawals) + len(d.Transactions); n != 0 {
		t.Errorf("an empty account holds %d records: %+v", n, d)
	}
	if len(d.Users) == 0 {
		t.Error("an empty account has no users to log in as")
	}
}

func TestEnumCoverage(t *testing.T) {
	for _, size := range []int{6, 0} {
		d := lumiretest.New(sandbox.Options{Seed: 1, Size: size}).Snapshot()
		seen := map[string]map[string]bool{}
		add := func(k, v string) {
			if seen[k] == nil {
				seen[k] = map[string]bool{}
			}
			seen[k][v] = true
		}
		for _, x := range d.Leads {
			add("lead status", x.Status)
		}
		for _, x := range d.Activities {
			add("activity kind", x.Kind)
		}
		for _, x := range d.Traders {
			add("kyc status", x.KYCStatus)
		}
		for _, x := range d.Accounts {
			add("platform", x.Platform)
			add("account status", x.Status)
			add("currency", x.Currency)
		}
		for _, x := range d.Deposits {
			add("payment kind", x.Kind)
			add("deposit status", x.Status)
		}
		for _, x := range d.Withdrawals {
			add("withdrawal kind", x.Kind)
			add("withdrawal status", x.Status)
		}
		for _, x := range d.Transactions {
			add("tx kind", x.Kind)
			add("tx status", x.Status)
			add("tx currency", x.Currency)
		}
		for _, c := range []struct {
			k    string
			want []string
		}{
			{"lead status", lumiretest.LeadStatuses}, {"activity kind", lumiretest.ActivityKinds},
			{"kyc status", lumiretest.KYCStatuses}, {"platform", lumiretest.AccountPlatforms},
			{"account status", lumiretest.AccountStatuses}, {"currency", lumiretest.Currencies},
			{"payment kind", lumiretest.PaymentKinds}, {"deposit status", lumiretest.DepositStatuses},
			{"withdrawal kind", lumiretest.PaymentKinds}, {"withdrawal status", lumiretest.WithdrawalStatuses},
			{"tx kind", lumiretest.TransactionKinds}, {"tx status", lumiretest.TransactionStatuses},
			{"tx currency", lumiretest.Currencies},
		} {
			t.Run(c.k, func(t *testing.T) {
				for _, v := range c.want {
					if !seen[c.k][v] {
						t.Errorf("size %d: %s %q never generated", size, c.k, v)
					}
				}
				for v := range seen[c.k] {
					rare := c.k == "lead status" && slices.Contains(lumiretest.RareLeadStatuses, v) ||
						c.k == "withdrawal status" && slices.Contains(lumiretest.RareWithdrawalStatuses, v)
					if !slices.Contains(c.want, v) && !rare {
						t.Errorf("size %d: undocumented %s %q without InjectUnknownValues", size, c.k, v)
					}
				}
			})
		}
	}
}

func TestInjectUnknownValues(t *testing.T) {
	e := setup(t, 30)
	e.s.InjectUnknownValues()
	found := map[string]bool{}
	for _, path := range []string{"/sales/leads", "/sales/activities", "/transactions", "/payments/deposits",
		"/payments/withdrawals", "/traders", "/accounts"} {
		cur := ""
		for {
			p := path + "?limit=100"
			if cur != "" {
				p += "&cursor=" + url.QueryEscape(cur)
			}
			r := e.get(p)
			if r.status != 200 {
				t.Fatalf("%s: %d", path, r.status)
			}
			m := r.json(t)
			for _, it := range m["data"].([]any) {
				for _, f := range []string{"status", "kind", "kycStatus", "platform"} {
					if v, ok := it.(map[string]any)[f].(string); ok {
						found[v] = true
					}
				}
			}
			c, ok := m["nextCursor"].(string)
			if !ok {
				break
			}
			cur = c
		}
	}
	for _, v := range []string{lumiretest.UnknownLeadStatus, lumiretest.UnknownActivityKind,
		lumiretest.UnknownTransactionKind, lumiretest.UnknownTransactionStatus, lumiretest.UnknownPaymentKind,
		lumiretest.UnknownDepositStatus, lumiretest.UnknownWithdrawalStatus, lumiretest.UnknownKYCStatus,
		lumiretest.UnknownAccountPlatform} {
		if !found[v] {
			t.Errorf("unknown value %q not served", v)
		}
	}
	if rows := exportRows(t, e, "/transactions/export.csv"); len(rows) < 2 {
		t.Fatal("export broke after injection")
	}
}

func TestSetStatus(t *testing.T) {
	e := setup(t, 20)
	l := e.s.Leads()[0]
	to := "lost"
	if l.Status == "lost" {
		to = "contacted"
	}
	if err := e.s.SetStatus(l.ID, to); err != nil {
		t.Fatal(err)
	}
	now := lumiretest.TS(e.clk.Now()).String()
	det := e.get("/sales/leads/" + l.ID).json(t)
	if det["status"] != to || det["updatedAt"] != now {
		t.Fatalf("lead after SetStatus: %v", det)
	}
	if a := det["activities"].([]any)[0].(map[string]any); a["kind"] != "status_change" || a["occurredAt"] != now {
		t.Fatalf("newest activity %v", a)
	}
	if got := count(t, e, "/sales/leads?updatedSince="+url.QueryEscape(now)); got != 1 {
		t.Fatalf("updatedSince after SetStatus: %d", got)
	}
	var dep lumiretest.Deposit
	for _, d := range e.s.Deposits() {
		if d.Status == "pending" {
			dep = d
			break
		}
	}
	if err := e.s.SetStatus(dep.ID, "settled"); err != nil {
		t.Fatal(err)
	}
	rows := ids(t, e.get("/transactions?reference="+dep.ID+"&status=completed"), "data")
	if len(rows) != 1 {
		t.Fatalf("linked transaction not completed: %v", rows)
	}
	if err := e.s.SetStatus("00000000-0000-4000-8000-000000000000", "x"); err == nil {
		t.Fatal("unknown id accepted")
	}
}

func TestPrefixMount(t *testing.T) {
	s := lumiretest.New(sandbox.Options{Seed: 3, Size: 8})
	mux := http.NewServeMux()
	mux.Handle("/lumire/", http.StripPrefix("/lumire", s))
	hs := httptest.NewServer(mux)
	defer hs.Close()
	e := &env{t: t, s: s, hs: hs, base: s.Env(hs.URL + "/lumire")["LUMIRE_BASE_URL"], basic: hs.Client()}
	if got := ids(t, e.get("/sales/leads?limit=100"), "data"); len(got) != 8 {
		t.Fatalf("%d leads under prefix", len(got))
	}
	c := e.sessionClient()
	if r := e.login(c); r.status != 200 {
		t.Fatalf("login under prefix: %d", r.status)
	}
	if r := e.do(c, "GET", "/transactions?limit=1", nil, nil); r.status != 200 {
		t.Fatalf("session under prefix: %d", r.status)
	}
}

func TestFaultsInFront(t *testing.T) {
	e := setup(t, 10)
	t.Run("429 storm before auth", func(t *testing.T) {
		e.s.Faults().Storm429(2, time.Second)
		for i := 0; i < 2; i++ {
			r := e.do(nil, "GET", "/sales/leads", nil, nil)
			if r.status != 429 || r.header.Get("Retry-After") != "1" {
				t.Fatalf("want 429, got %d", r.status)
			}
		}
		wantError(t, e.do(nil, "GET", "/sales/leads", nil, nil), 401, "")
	})
	t.Run("failure injection", func(t *testing.T) {
		e.s.Faults().FailNext(1, 503, `{"statusCode":503}`)
		if r := e.get("/transactions"); r.status != 503 {
			t.Fatalf("want 503, got %d", r.status)
		}
	})
	t.Run("create happens when the connection drops after handling", func(t *testing.T) {
		e.s.Faults().DropAfterHandleNext(1)
		req, _ := http.NewRequest("POST", e.base+"/sales/leads", strings.NewReader(`{"email":"dropped@example.com"}`))
		req.Header.Set(lumiretest.APIKeyHeader, lumiretest.APIKey)
		if res, err := e.basic.Do(req); err == nil {
			res.Body.Close()
			t.Fatal("expected a dropped connection")
		}
		if e.s.CreatedCount(lumiretest.RouteCreateLead) != 1 {
			t.Fatal("the create did not happen")
		}
		if got := ids(t, e.get("/sales/leads?email=dropped@example.com"), "data"); len(got) != 1 {
			t.Fatal("exactly-once lookup cannot find the dropped create")
		}
	})
}

func TestConcurrentReadsAndWrites(t *testing.T) {
	e := setup(t, 100)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				body, _ := json.Marshal(map[string]any{"email": "c" + itoa(i*10+j) + "@example.com"})
				req, _ := http.NewRequest("POST", e.base+"/sales/leads", bytes.NewReader(body))
				req.Header.Set(lumiretest.APIKeyHeader, lumiretest.APIKey)
				if res, err := e.basic.Do(req); err != nil || res.StatusCode != 201 {
					errs <- "create failed"
				} else {
					res.Body.Close()
				}
				req, _ = http.NewRequest("GET", e.base+"/transactions?limit=50", nil)
				req.Header.Set(lumiretest.APIKeyHeader, lumiretest.APIKey)
				if res, err := e.basic.Do(req); err != nil || res.StatusCode != 200 {
					errs <- "list failed"
				} else {
					res.Body.Close()
				}
				_ = e.s.SetStatus(e.s.Leads()[j].ID, "contacted")
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(e.s.Leads()); n != 140 {
		t.Fatalf("%d leads after 40 concurrent creates", n)
	}
}
