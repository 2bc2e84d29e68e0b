package lumire

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
)

// client speaks LumireCRM's HTTP API: session or API-key auth, cursor
// paging in whatever envelope the lists use, and the CSV exports.
type client struct {
	http  *httpclient.Client
	cfg   *Config
	base  string
	clock func() time.Time
	pages pageParser

	// Session state. gen counts logins, so that requests that failed with
	// the same expired session trigger one login between them.
	mu       sync.Mutex
	gen      int
	loggedIn bool
	token    string
}

func newClient(c *Config, env connectors.Env) *client {
	h := env.NewClient(Vendor, connectors.ClientSettings{Timeout: c.Timeout, RateLimit: c.RateLimit, Concurrency: c.Concurrency})
	h.AddSecret(c.Password.Reveal(), c.TOTPCode.Reveal(), c.TOTPSecret.Reveal(), c.APIKey.Reveal())
	if c.Auth == AuthAPIKey {
		h.SetHeaderSecret(c.APIKeyHeader, c.APIKey.Reveal())
	}
	return &client{
		http: h, cfg: c, base: c.BaseURL, clock: env.Clock(),
		pages: pageParser{recordsPath: c.RecordsPath, cursorPath: c.NextCursorPath},
	}
}

// ---- auth ----

// loginAnswer is what POST /auth/login answers (undocumented: only the
// cookie is relied on).
type loginAnswer struct {
	ExpiresAt string `json:"expiresAt"`
}

// session makes sure a session exists (session auth) and returns its
// generation.
func (c *client) session(ctx context.Context) (int, error) {
	if c.cfg.Auth != AuthSession {
		return 0, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		if err := c.loginLocked(ctx); err != nil {
			return 0, err
		}
	}
	return c.gen, nil
}

// relogin logs in again after a 401 on a request sent with session gen,
// unless another request already did.
func (c *client) relogin(ctx context.Context, gen int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen && c.loggedIn {
		return nil
	}
	return c.loginLocked(ctx)
}

func (c *client) loginLocked(ctx context.Context) error {
	body := map[string]any{
		"email": c.cfg.Email, "password": c.cfg.Password.Reveal(), "tenantSlug": c.cfg.TenantSlug,
	}
	switch {
	case !c.cfg.TOTPSecret.IsZero():
		key, err := decodeTOTPSecret(c.cfg.TOTPSecret.Reveal())
		if err != nil {
			return fmt.Errorf("lumire: totp_secret: %w", err)
		}
		code := totp(key, c.clock())
		c.http.AddSecret(code)
		body["totpCode"] = code
	case !c.cfg.TOTPCode.IsZero():
		body["totpCode"] = c.cfg.TOTPCode.Reveal()
	}
	req, err := httpclient.NewJSONRequest(http.MethodPost, c.base+"/auth/login", body)
	if err != nil {
		return err
	}
	// Logging in twice only opens two sessions: safe to retry on 5xx and
	// dropped connections.
	req.Idempotent = new(true)
	var out loginAnswer
	resp, err := c.http.DoJSON(ctx, req, &out)
	if err != nil {
		hint := ""
		var se *httpclient.StatusError
		if errors.As(err, &se) && se.StatusCode == http.StatusUnauthorized {
			hint = " (check email, password and tenant_slug"
			if strings.Contains(strings.ToLower(se.Body), "totp") {
				hint = " (the user has TOTP enrolled: set totp_secret, or totp_code for a one-off run"
			}
			hint += ")"
		}
		return fmt.Errorf("log in to lumire tenant %q%s: %w", c.cfg.TenantSlug, hint, err)
	}
	token := sessionToken(resp.Header)
	if token == "" {
		return fmt.Errorf("lumire: POST %s/auth/login: answered %d without a %s cookie", c.base, resp.StatusCode, SessionCookie)
	}
	c.setToken(token)
	c.gen++
	c.loggedIn = true
	return nil
}

// send runs one request with auth. With session auth, a 401 (the session
// expired or was revoked) logs in again and sends the same request once
// more: the vendor did not act on a request it refused, so this is safe for
// creates too, and a page is never skipped.
func (c *client) send(ctx context.Context, r *httpclient.Request, out any) (*httpclient.Response, error) {
	for try := 0; ; try++ {
		gen, err := c.session(ctx)
		if err != nil {
			return nil, err
		}
		var resp *httpclient.Response
		if out != nil {
			resp, err = c.http.DoJSON(ctx, r, out)
		} else {
			resp, err = c.http.Do(ctx, r)
		}
		if try == 0 && c.cfg.Auth == AuthSession && statusOf(err) == http.StatusUnauthorized {
			if err := c.relogin(ctx, gen); err != nil {
				return nil, err
			}
			continue
		}
		if resp != nil && c.cfg.Auth == AuthSession {
			c.renewed(resp.Header)
		}
		return resp, err
	}
}

// sessionToken is the session cookie a response sets ("" when none).
func sessionToken(h http.Header) string {
	token := ""
	for _, ck := range (&http.Response{Header: h}).Cookies() {
		if ck.Name == SessionCookie && ck.Value != "" {
			token = ck.Value
		}
	}
	return token
}

// renewed adopts a session cookie that a vendor with sliding sessions sets
// on an ordinary response.
func (c *client) renewed(h http.Header) {
	if len(h.Values("Set-Cookie")) == 0 {
		return
	}
	if token := sessionToken(h); token != "" {
		c.mu.Lock()
		c.setToken(token)
		c.mu.Unlock()
	}
}

// setToken sends token as the session cookie from now on (c.mu held). The
// client registers it as a secret.
func (c *client) setToken(token string) {
	if token == c.token {
		return
	}
	c.token = token
	c.http.SetHeaderSecret("Cookie", SessionCookie+"="+token)
}

// statusOf is the HTTP status of a *StatusError in err, 0 otherwise.
func statusOf(err error) int {
	var se *httpclient.StatusError
	if errors.As(err, &se) {
		return se.StatusCode
	}
	return 0
}

// decodeTOTPSecret reads an authenticator seed in base32, as authenticator
// apps show it (spaces and lower case allowed, padding optional).
func decodeTOTPSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
	s = strings.TrimRight(s, "=")
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("not a base32 authenticator seed")
	}
	return b, nil
}

// totp is the RFC 6238 code (HMAC-SHA1, 30-second steps, 6 digits) that
// authenticator apps show at t.
func totp(key []byte, t time.Time) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(t.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", code%1_000_000)
}

// ---- lists ----

// pageParser reads one page of a list whatever its envelope. LumireCRM
// documents none, so it accepts a bare array, or an object with the records
// under data, items or results (or records_path), and finds the next cursor
// under nextCursor, next_cursor or cursor (at the top, or under meta,
// pagination or paging; or next_cursor_path), then in the X-Next-Cursor
// header. An absent, null or empty cursor ends the list.
type pageParser struct {
	recordsPath string
	cursorPath  string
}

var (
	recordKeys    = []string{"data", "items", "results"}
	cursorKeys    = []string{"nextCursor", "next_cursor", "cursor"}
	cursorParents = []string{"", "meta", "pagination", "paging"}
)

// NextCursorHeader is where a bare-array list's next cursor is looked for.
const NextCursorHeader = "X-Next-Cursor"

func (p pageParser) parse(body []byte, h http.Header) ([]json.RawMessage, string, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, "", errors.New("empty body, expected a list")
	}
	var recs []json.RawMessage
	var obj map[string]json.RawMessage
	switch body[0] {
	case '[':
		if p.recordsPath != "" {
			return nil, "", fmt.Errorf("the body is an array, but records_path %q expects an object", p.recordsPath)
		}
		if err := json.Unmarshal(body, &recs); err != nil {
			return nil, "", err
		}
	case '{':
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, "", err
		}
		var err error
		if recs, err = p.records(obj); err != nil {
			return nil, "", err
		}
	default:
		return nil, "", errors.New("the body is neither a JSON array nor an object")
	}
	next, err := p.cursor(obj, h)
	return recs, next, err
}

func (p pageParser) records(obj map[string]json.RawMessage) ([]json.RawMessage, error) {
	var recs []json.RawMessage
	if p.recordsPath != "" {
		raw, ok := lookupPath(obj, p.recordsPath)
		if !ok {
			return nil, fmt.Errorf("no %q in the list response (records_path)", p.recordsPath)
		}
		if isNull(raw) {
			return nil, nil
		}
		if err := json.Unmarshal(raw, &recs); err != nil {
			return nil, fmt.Errorf("%q is not an array of records (records_path)", p.recordsPath)
		}
		return recs, nil
	}
	for _, k := range recordKeys {
		raw, ok := obj[k]
		if !ok {
			continue
		}
		if isNull(raw) {
			return nil, nil
		}
		if json.Unmarshal(raw, &recs) == nil {
			return recs, nil
		}
	}
	keys := slices.Sorted(maps.Keys(obj))
	return nil, fmt.Errorf("no array of records under %s (the response has %s): set records_path",
		strings.Join(recordKeys, ", "), strings.Join(keys, ", "))
}

func (p pageParser) cursor(obj map[string]json.RawMessage, h http.Header) (string, error) {
	if p.cursorPath != "" {
		if name, ok := strings.CutPrefix(p.cursorPath, "header:"); ok {
			return strings.TrimSpace(h.Get(name)), nil
		}
		raw, ok := lookupPath(obj, p.cursorPath)
		if !ok {
			return "", nil
		}
		return cursorValue(raw, p.cursorPath)
	}
	for _, parent := range cursorParents {
		for _, k := range cursorKeys {
			path := k
			if parent != "" {
				path = parent + "." + k
			}
			if raw, ok := lookupPath(obj, path); ok {
				return cursorValue(raw, path)
			}
		}
	}
	return strings.TrimSpace(h.Get(NextCursorHeader)), nil
}

func cursorValue(raw json.RawMessage, path string) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), nil
	}
	return "", fmt.Errorf("the cursor at %q is neither a string nor a number", path)
}

func lookupPath(obj map[string]json.RawMessage, path string) (json.RawMessage, bool) {
	parts := strings.Split(path, ".")
	cur := obj
	for i, part := range parts {
		raw, ok := cur[part]
		if !ok {
			return nil, false
		}
		if i == len(parts)-1 {
			return raw, true
		}
		cur = nil
		if json.Unmarshal(raw, &cur) != nil || cur == nil {
			return nil, false
		}
	}
	return nil, false
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// list pages through a cursor-paginated list at path with the filters in q,
// calling handle with each non-empty page. It stops at a page without a
// cursor or without records.
func (c *client) list(ctx context.Context, what, path string, q url.Values, handle func([]json.RawMessage) error) error {
	cursor := ""
	for page := 1; ; page++ {
		v := url.Values{}
		for k, vals := range q {
			v[k] = vals
		}
		v.Set(c.cfg.LimitParam, strconv.Itoa(c.cfg.PageSize))
		if cursor != "" {
			v.Set(c.cfg.CursorParam, cursor)
		}
		u := c.base + path + "?" + v.Encode()
		resp, err := c.send(ctx, &httpclient.Request{URL: u, Header: http.Header{"Accept": {"application/json"}}}, nil)
		if err != nil {
			return fmt.Errorf("fetch lumire %s page %d: %w", what, page, err)
		}
		recs, next, err := c.pages.parse(resp.Body, resp.Header)
		if err != nil {
			return fmt.Errorf("lumire: GET %s: %w: %w", c.http.Redact(u), httpclient.ErrMalformedResponse, err)
		}
		if len(recs) > 0 {
			if err := handle(recs); err != nil {
				return err
			}
		}
		if next == "" || len(recs) == 0 {
			return nil
		}
		if next == cursor {
			return fmt.Errorf("lumire: GET %s: the list answered the cursor it was sent, so paging would never end: set next_cursor_path", c.http.Redact(u))
		}
		cursor = next
	}
}

// get fetches one record (details) and returns its JSON object.
func (c *client) get(ctx context.Context, path string) (json.RawMessage, error) {
	u := c.base + path
	resp, err := c.send(ctx, &httpclient.Request{URL: u, Header: http.Header{"Accept": {"application/json"}}}, nil)
	if err != nil {
		return nil, err
	}
	rec, err := recordOf(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("lumire: GET %s: %w: %w", c.http.Redact(u), httpclient.ErrMalformedResponse, err)
	}
	return rec, nil
}

// recordOf returns the record of a single-record body (details, creates),
// unwrapping {"data": {...}} when the object has no id of its own.
func recordOf(body []byte) (json.RawMessage, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, err
	}
	if probe == nil {
		return nil, errors.New("expected a JSON object, got null")
	}
	if _, ok := probe["id"]; !ok {
		if inner, ok := probe["data"]; ok {
			if t := bytes.TrimSpace(inner); len(t) > 0 && t[0] == '{' {
				return t, nil
			}
		}
	}
	return bytes.TrimSpace(body), nil
}

// ---- CSV exports ----

// export downloads one CSV export and returns its rows as JSON objects with
// the column names as keys (empty cell → null, "true"/"false" in boolCols →
// booleans), so they decode into the same wire types as the lists.
func (c *client) export(ctx context.Context, path string, q url.Values, boolCols map[string]bool) ([]json.RawMessage, error) {
	u := c.base + path + "?" + q.Encode()
	resp, err := c.send(ctx, &httpclient.Request{URL: u, Header: http.Header{"Accept": {"text/csv"}}}, nil)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(resp.Body))
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil // an empty export without even a header
	}
	if err != nil {
		return nil, fmt.Errorf("lumire: GET %s: %w: csv header: %w", c.http.Redact(u), httpclient.ErrMalformedResponse, err)
	}
	header = append([]string(nil), header...)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	var rows []json.RawMessage
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("lumire: GET %s: %w: csv row %d: %w", c.http.Redact(u), httpclient.ErrMalformedResponse, line, err)
		}
		obj := make(map[string]any, len(header))
		for i, name := range header {
			if i >= len(rec) || rec[i] == "" {
				obj[name] = nil
				continue
			}
			if boolCols[name] && (rec[i] == "true" || rec[i] == "false") {
				obj[name] = rec[i] == "true"
				continue
			}
			obj[name] = rec[i]
		}
		b, err := json.Marshal(obj)
		if err != nil {
			return nil, err
		}
		rows = append(rows, b)
	}
}

// ---- wire types (the sandbox's reading of the undocumented responses) ----

type wireUser struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
	Role        string `json:"role"`
}

type wireLead struct {
	ID                string         `json:"id"`
	Email             string         `json:"email"`
	Phone             string         `json:"phone"`
	FirstName         string         `json:"firstName"`
	LastName          string         `json:"lastName"`
	Country           string         `json:"country"`
	Source            string         `json:"source"`
	AssignedToID      string         `json:"assignedToId"`
	Score             json.Number    `json:"score"`
	Status            string         `json:"status"`
	PipelineStageID   string         `json:"pipelineStageId"`
	ConvertedTraderID string         `json:"convertedTraderId"`
	ConvertedAt       string         `json:"convertedAt"`
	Metadata          map[string]any `json:"metadata"`
	CreatedAt         string         `json:"createdAt"`
	UpdatedAt         string         `json:"updatedAt"`
	// Details only.
	AssignedTo *wireUser        `json:"assignedTo"`
	Activities *json.RawMessage `json:"activities"`

	extra map[string]any
}

type wireActivity struct {
	ID          string `json:"id"`
	LeadID      string `json:"leadId"`
	TraderID    string `json:"traderId"`
	Kind        string `json:"kind"`
	Subject     string `json:"subject"`
	Body        string `json:"body"`
	OccurredAt  string `json:"occurredAt"`
	CreatedByID string `json:"createdById"`
	CreatedAt   string `json:"createdAt"`

	extra map[string]any
}

// wireMoney is a deposit, a withdrawal or a ledger transaction: the three
// share most fields, and each has a few of its own.
type wireMoney struct {
	ID        string `json:"id"`
	TraderID  string `json:"traderId"`
	AccountID string `json:"accountId"`
	Kind      string `json:"kind"`
	Status    string `json:"status"`
	Amount    string `json:"amount"`
	Currency  string `json:"currency"`
	// Deposits and withdrawals.
	PaymentMethodID string `json:"paymentMethodId"`
	FeeAmount       string `json:"feeAmount"`
	NetAmount       string `json:"netAmount"`
	DestinationRef  string `json:"destinationRef"`
	Reconciled      *bool  `json:"reconciled"`
	SettledAt       string `json:"settledAt"`
	// Transactions.
	Reference   string `json:"reference"`
	Description string `json:"description"`
	OccurredAt  string `json:"occurredAt"`
	// All.
	ExternalID string         `json:"externalId"`
	Metadata   map[string]any `json:"metadata"`
	CreatedAt  string         `json:"createdAt"`
	UpdatedAt  string         `json:"updatedAt"`

	extra map[string]any
}

type wirePipeline struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Stages []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"stages"`
}

// knownKeys lists the JSON keys of a wire type; decodeWire keeps the others
// in extra so no vendor field is lost.
func knownKeys(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

var (
	leadKeys = knownKeys("id", "email", "phone", "firstName", "lastName", "country", "source", "assignedToId",
		"score", "status", "pipelineStageId", "convertedTraderId", "convertedAt", "metadata", "createdAt",
		"updatedAt", "assignedTo", "activities")
	activityKeys = knownKeys("id", "leadId", "traderId", "kind", "subject", "body", "occurredAt", "createdById",
		"createdAt")
	moneyKeys = knownKeys("id", "traderId", "accountId", "kind", "status", "amount", "currency",
		"paymentMethodId", "feeAmount", "netAmount", "destinationRef", "reconciled", "settledAt", "reference",
		"description", "occurredAt", "externalId", "metadata", "createdAt", "updatedAt")
)

// decodeWire decodes raw into out (a pointer to a wire struct) and returns
// the fields it does not know. It never fails on a field: a value of the
// wrong JSON type for a known field is made to fit where it can (a number
// where text is expected is kept as its text; text holding JSON, as a CSV
// export's cell holds an object, is read as that JSON), and one that still
// does not fit is left out of the struct and returned with the unknown
// fields, so no vendor value is lost and no record fails the read. Only a
// record that is not a JSON object is an error.
func decodeWire(raw json.RawMessage, out any, known map[string]bool) (map[string]any, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	var misfits []string
	if err := json.Unmarshal(raw, out); err != nil {
		for _, k := range sortedFieldKeys(fields) {
			if !known[k] {
				continue
			}
			ok := false
			for _, v := range fitted(fields[k]) {
				one, _ := json.Marshal(map[string]json.RawMessage{k: v})
				if json.Unmarshal(one, out) == nil {
					ok = true
					break
				}
			}
			if !ok {
				misfits = append(misfits, k)
			}
		}
	}
	var extra map[string]any
	keep := func(k string, v json.RawMessage) {
		var x any
		if json.Unmarshal(v, &x) == nil && x != nil {
			if extra == nil {
				extra = map[string]any{}
			}
			extra[k] = x
		}
	}
	for k, v := range fields {
		if !known[k] {
			keep(k, v)
		}
	}
	for _, k := range misfits {
		keep(k, fields[k])
	}
	return extra, nil
}

// fitted are the readings of a value to try for a known field: as sent;
// text holding a JSON object or list, as that JSON; a number or boolean,
// as its text.
func fitted(v json.RawMessage) []json.RawMessage {
	out := []json.RawMessage{v}
	t := bytes.TrimSpace(v)
	if len(t) == 0 {
		return out
	}
	switch t[0] {
	case '"':
		var s string
		if json.Unmarshal(t, &s) == nil {
			if inner := strings.TrimSpace(s); inner != "" && (inner[0] == '{' || inner[0] == '[') && json.Valid([]byte(inner)) {
				out = append(out, json.RawMessage(inner))
			}
		}
	case '{', '[', 'n':
	default:
		b, _ := json.Marshal(string(t))
		out = append(out, b)
	}
	return out
}

func sortedFieldKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
