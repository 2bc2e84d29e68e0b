package lofty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
)

// X-RateLimit-Reset readings (rate_limit_reset).
const (
	// ResetAuto reads epoch seconds or milliseconds by magnitude (the shared
	// client's rule), a small number (up to maxDelaySeconds) as seconds
	// until the reset, and a larger one below 1e9 as MILLISECONDS until the
	// reset: Lofty's window is one minute, so "23000" (the document's own
	// example) cannot mean 6.4 hours.
	ResetAuto = "auto"
	// ResetEpochSeconds trusts the document's table: UTC epoch seconds, and
	// trusts a whole number as never early (the sandbox rounds up). The
	// shared client otherwise adds a second to a whole-second reset, which
	// costs up to two idle seconds per window: 3% of a one-minute window,
	// more than half of a one-second one.
	ResetEpochSeconds = "epoch_seconds"
	// ResetDelaySeconds reads seconds until the reset.
	ResetDelaySeconds = "delay_seconds"
	// ResetDelayMillis reads milliseconds until the reset.
	ResetDelayMillis = "delay_milliseconds"
)

// ResetModes lists the rate_limit_reset values.
var ResetModes = []string{ResetAuto, ResetEpochSeconds, ResetDelaySeconds, ResetDelayMillis}

// maxDelaySeconds is the largest X-RateLimit-Reset that auto reads as
// seconds until the reset: two of Lofty's one-minute windows.
const maxDelaySeconds = 120

// resetRewriter normalizes X-RateLimit-Reset to a form the shared client
// reads unambiguously (epoch seconds, or seconds until the reset with
// decimals) before the client's pacer sees it.
type resetRewriter struct {
	base http.RoundTripper
	mode string
}

func (rt resetRewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rt.base.RoundTrip(req)
	if err != nil || resp == nil {
		return resp, err
	}
	if v := resp.Header.Get("X-RateLimit-Reset"); v != "" {
		if nv, ok := rewriteReset(v, rt.mode); ok {
			resp.Header.Set("X-RateLimit-Reset", nv)
		}
	}
	return resp, nil
}

// rewriteReset converts a reset value read per mode into the form the shared
// client reads the same way: epoch values stay, delays become seconds with
// decimals (a decimal point keeps the client from adding a second).
func rewriteReset(v, mode string) (string, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < 0 {
		return "", false
	}
	switch mode {
	case ResetEpochSeconds:
		if f < 1e9 || f >= 1e12 || strings.ContainsAny(v, ".eE") {
			return "", false // not whole epoch seconds: the shared client's reading
		}
		return strings.TrimSpace(v) + ".000", true
	case ResetDelaySeconds:
		return strconv.FormatFloat(f, 'f', 3, 64), true
	case ResetDelayMillis:
		return strconv.FormatFloat(f/1000, 'f', 3, 64), true
	default: // auto
		if f >= 1e9 || f <= maxDelaySeconds {
			return "", false
		}
		return strconv.FormatFloat(f/1000, 'f', 3, 64), true
	}
}

// client speaks Lofty's HTTP API: Bearer auth, an optional vendorKey, and
// the X-RateLimit-* pacing of the shared client.
type client struct {
	http *httpclient.Client
	base string
	cfg  *Config
}

func newClient(c *Config, env connectors.Env) *client {
	h := env.NewClient(Vendor, connectors.ClientSettings{
		Timeout: c.Timeout, RateLimit: c.RateLimit, Concurrency: c.Concurrency, MaxWait: c.MaxWait,
		WrapTransport: func(rt http.RoundTripper) http.RoundTripper {
			return resetRewriter{base: rt, mode: c.RateLimitReset}
		},
	})
	h.SetBearer(c.AccessToken.Reveal())
	if vk := c.VendorKey.Reveal(); vk != "" {
		if c.VendorKeyIn == "query" {
			h.AddSecret(vk)
		} else {
			h.SetHeaderSecret(c.VendorKeyName, vk)
		}
	}
	return &client{http: h, base: c.BaseURL, cfg: c}
}

// url builds base+path?query, adding the vendorKey when it travels in the
// query string.
func (c *client) url(path string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	if vk := c.cfg.VendorKey.Reveal(); vk != "" && c.cfg.VendorKeyIn == "query" {
		q.Set(c.cfg.VendorKeyName, vk)
	}
	if len(q) == 0 {
		return c.base + path
	}
	return c.base + path + "?" + q.Encode()
}

func (c *client) getJSON(ctx context.Context, path string, q url.Values, out any) (*httpclient.Response, error) {
	return c.http.DoJSON(ctx, &httpclient.Request{URL: c.url(path, q)}, out)
}

// flexID accepts an id sent as a JSON number or string.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexID(strings.TrimSpace(s))
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexID(n.String())
	return nil
}

// flexTime accepts a time sent as a string or as epoch milliseconds.
type flexTime string

func (f *flexTime) UnmarshalJSON(b []byte) error {
	var id flexID
	if err := id.UnmarshalJSON(b); err != nil {
		return err
	}
	*f = flexTime(id)
	return nil
}

// metaData is the "_metadata" section of list responses.
type metaData struct {
	Collection string `json:"collection"`
	Limit      int    `json:"limit"`
	Offset     int64  `json:"offset"`
	ScrollID   string `json:"scrollId"`
	Total      int64  `json:"total"`
}

// leadsPage is a LeadListResponse. Each lead is kept raw: the schema
// ("leads": [LeadResponse]) and the document's pagination example ("leads":
// [{"lead": {...}}]) disagree, and every field not mapped to a canonical
// column goes to attributes.
type leadsPage struct {
	Meta  metaData          `json:"_metadata"`
	Leads []json.RawMessage `json:"leads"`
}

// wireTag is a UserLeadTagVo.
type wireTag struct {
	TagName string `json:"tagName"`
}

// wireCustom is a CustomAttribute.
type wireCustom struct {
	AttributeName string `json:"attributeName"`
	Value         any    `json:"value"`
}

// wireLead holds the LeadResponse fields that feed canonical columns.
type wireLead struct {
	LeadID           flexID       `json:"leadId"`
	FirstName        string       `json:"firstName"`
	LastName         string       `json:"lastName"`
	Emails           []string     `json:"emails"`
	Phones           []string     `json:"phones"`
	Birthday         string       `json:"birthday"`
	Stage            string       `json:"stage"`
	StageID          flexID       `json:"stageId"`
	Source           string       `json:"source"`
	AssignedUser     string       `json:"assignedUser"`
	City             string       `json:"city"`
	State            string       `json:"state"`
	ZipCode          string       `json:"zipCode"`
	StreetAddress    string       `json:"streetAddress"`
	CreateTime       flexTime     `json:"createTime"`
	LastUpdateTime   flexTime     `json:"lastUpdateTime"`
	Tags             []wireTag    `json:"tags"`
	Segments         []string     `json:"segments"`
	Groups           []string     `json:"groups"`
	LeadType         *int32       `json:"leadType"`
	LeadTypes        []int32      `json:"leadTypes"`
	CustomAttributes []wireCustom `json:"customAttributes"`
}

// rawLead is one lead as received: its mapped fields and every field, raw.
type rawLead struct {
	w   wireLead
	all map[string]json.RawMessage
}

func decodeLead(raw json.RawMessage) (*rawLead, error) {
	r := &rawLead{}
	if err := json.Unmarshal(raw, &r.all); err != nil {
		return nil, err
	}
	// The pagination example nests each lead: {"lead": {...}}.
	if inner, ok := r.all["lead"]; ok && len(r.all) == 1 {
		raw = inner
		r.all = nil
		if err := json.Unmarshal(raw, &r.all); err != nil {
			return nil, err
		}
	}
	if err := json.Unmarshal(raw, &r.w); err != nil {
		return nil, err
	}
	if r.w.LeadID == "" {
		return nil, errors.New("lead without leadId")
	}
	return r, nil
}

// wireActivity is a LeadActivityRes.
type wireActivity struct {
	Created       int64          `json:"created"`
	Link          string         `json:"link"`
	Listing       map[string]any `json:"listing"`
	PageName      string         `json:"pageName"`
	Picture       string         `json:"picture"`
	ScheduledDate string         `json:"scheduledDate"`
	Text          string         `json:"text"`
	Type          string         `json:"type"`
}

// wireCall is a CallResponse (GET /communication/call and GET /calls).
type wireCall struct {
	AgentID            flexID   `json:"agentId"`
	CallingOutcome     string   `json:"callingOutcome"`
	CreateTime         flexTime `json:"createTime"`
	DialerCallRecordID flexID   `json:"dialerCallRecordId"`
	Direction          string   `json:"direction"`
	Duration           *int64   `json:"duration"`
	ElapsedTime        string   `json:"elapsedTime"`
	EndTime            flexTime `json:"endTime"`
	ID                 flexID   `json:"id"`
	IsMachineAnswered  *bool    `json:"isMachineAnswered"`
	LeadID             flexID   `json:"leadId"`
	LeadPhoneNumber    string   `json:"leadPhoneNumber"`
	Note               string   `json:"note"`
	// Price is kept as its JSON text: a number(double) in the document,
	// never parsed into a float here.
	Price           json.Number `json:"price"`
	RateScore       *int64      `json:"rateScore"`
	RecordingSwitch *bool       `json:"recordingSwitch"`
	ShowUserNumber  string      `json:"showUserNumber"`
	StartTime       flexTime    `json:"startTime"`
	Status          string      `json:"status"`
	UpdateTime      flexTime    `json:"updateTime"`
	UserID          flexID      `json:"userId"`
	UserPhoneNumber string      `json:"userPhoneNumber"`
}

// wireEmail is an EmailResponse.
type wireEmail struct {
	AgentID        flexID   `json:"agentId"`
	Direction      string   `json:"direction"`
	EmailEventTime flexTime `json:"emailEventTime"`
	EmailSubject   string   `json:"emailSubject"`
	EmailType      string   `json:"emailType"`
	EventType      string   `json:"eventType"`
	FromPond       *bool    `json:"fromPond"`
	ID             flexID   `json:"id"`
	LeadID         flexID   `json:"leadId"`
}

// wireText is a TextResponse.
type wireText struct {
	AgentID     flexID   `json:"agentId"`
	Direction   string   `json:"direction"`
	ID          flexID   `json:"id"`
	LeadID      flexID   `json:"leadId"`
	TextOutcome string   `json:"textOutcome"`
	TextTime    flexTime `json:"textTime"`
	TextType    string   `json:"textType"`
}

// wireNote is a NoteResponse.
type wireNote struct {
	Content        string   `json:"content"`
	CreateTime     flexTime `json:"createTime"`
	CreatorID      flexID   `json:"creatorId"`
	CreatorName    string   `json:"creatorName"`
	DeleteFlag     bool     `json:"deleteFlag"`
	ID             flexID   `json:"id"`
	IsPin          *bool    `json:"isPin"`
	LastEditorID   flexID   `json:"lastEditorId"`
	LastEditorName string   `json:"lastEditorName"`
	LastUpdate     flexTime `json:"lastUpdate"`
	LeadID         flexID   `json:"leadId"`
	NoteID         flexID   `json:"noteId"`
	SystemNote     bool     `json:"systemNote"`
}

// wireLog is a LogTypeResponse (logged call, email or text).
type wireLog struct {
	AgentID           flexID   `json:"agentId"`
	CallingOutcome    string   `json:"callingOutcome"`
	CreateTime        flexTime `json:"createTime"`
	ID                flexID   `json:"id"`
	IsPin             *bool    `json:"isPin"`
	LeadID            flexID   `json:"leadId"`
	LeadPhoneNumber   string   `json:"leadPhoneNumber"`
	OutboundOrInbound string   `json:"outboundOrInbound"`
}

// --- lead searches ---

// leadSearch is one lead search: the full list (GET /leads) or the leads
// updated since a time (GET /leads/updateTime).
type leadSearch struct {
	since time.Time // zero: GET /leads
}

func (c *client) leadsFirst(ctx context.Context, s leadSearch) (*leadsPage, error) {
	return c.leadsOffset(ctx, s, 0)
}

func (c *client) leadsOffset(ctx context.Context, s leadSearch, offset int) (*leadsPage, error) {
	q := url.Values{}
	q.Set("offset", strconv.Itoa(offset))
	q.Set("limit", strconv.Itoa(c.cfg.PageSize))
	path := "/leads"
	if s.since.IsZero() {
		q.Set("sort", "CreateTime")
		q.Set("desc", "false")
	} else {
		path = "/leads/updateTime"
		q.Set("leadUpdateTime", formatQueryTime(s.since, c.cfg.queryLoc))
	}
	var out leadsPage
	if _, err := c.getJSON(ctx, path, q, &out); err != nil {
		return nil, fmt.Errorf("fetch lofty leads at offset %d: %w", offset, err)
	}
	return &out, nil
}

func (c *client) leadsScroll(ctx context.Context, s leadSearch, scrollID string, page int) (*leadsPage, error) {
	q := url.Values{}
	q.Set("scrollId", scrollID)
	q.Set("limit", strconv.Itoa(c.cfg.PageSize))
	path := "/leads"
	if !s.since.IsZero() {
		path = "/leads/updateTime"
	}
	var out leadsPage
	if _, err := c.getJSON(ctx, path, q, &out); err != nil {
		return nil, fmt.Errorf("fetch lofty leads page %d (scroll): %w", page, err)
	}
	return &out, nil
}

// formatQueryTime renders t as leadUpdateTime expects it: "yyyy-MM-dd
// HH:mm:ss" on the wall clock of the query zone (UTC-7). Sub-second parts
// are cut, which moves the inclusive bound earlier, never later.
func formatQueryTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04:05")
}

// --- searches with exact lookups (push) ---

// findLeads runs GET /leads with one exact filter (email, phone or anyTags).
func (c *client) findLeads(ctx context.Context, param, value string) ([]*rawLead, error) {
	q := url.Values{}
	q.Set(param, value)
	if param == "email" || param == "phone" {
		q.Set("preciseSearchFlag", "true")
	}
	q.Set("offset", "0")
	q.Set("limit", "100")
	var out leadsPage
	if _, err := c.getJSON(ctx, "/leads", q, &out); err != nil {
		return nil, fmt.Errorf("search lofty leads by %s: %w", param, err)
	}
	leads := make([]*rawLead, 0, len(out.Leads))
	for i, raw := range out.Leads {
		l, err := decodeLead(raw)
		if err != nil {
			return nil, fmt.Errorf("search lofty leads by %s: lead %d: %w", param, i, err)
		}
		leads = append(leads, l)
	}
	return leads, nil
}

// --- events ---

// activitiesPage fetches page (0-based, 100 a page, newest first) of a
// lead's activities.
func (c *client) activitiesPage(ctx context.Context, leadID string, page int) ([]wireActivity, error) {
	q := url.Values{}
	q.Set("curPage", strconv.Itoa(page))
	var out []wireActivity
	if _, err := c.getJSON(ctx, "/leads/"+url.PathEscape(leadID)+"/activities", q, &out); err != nil {
		return nil, fmt.Errorf("fetch lofty activities of lead %s page %d: %w", leadID, page, err)
	}
	return out, nil
}

// commPage fetches one page of a communication or logType search: the items
// with an id greater than after (all when after is ""), in id order.
func commPage[T any](ctx context.Context, c *client, path string, extra url.Values, after string) ([]T, error) {
	q := url.Values{}
	for k, v := range extra {
		q[k] = v
	}
	if after != "" {
		q.Set("currentId", after)
	}
	q.Set("limit", strconv.Itoa(c.cfg.CommPageSize))
	var out []T
	if _, err := c.getJSON(ctx, path, q, &out); err != nil {
		where := "start"
		if after != "" {
			where = "after id " + after
		}
		return nil, fmt.Errorf("fetch lofty %s from %s: %w", strings.TrimPrefix(path, "/"), where, err)
	}
	return out, nil
}

// callsList is a CallListResponse (GET /calls).
type callsList struct {
	Meta  metaData   `json:"_metadata"`
	Calls []wireCall `json:"calls"`
}

// callsPage fetches GET /calls at offset (100 a page), for one lead or the
// whole team (leadID "").
func (c *client) callsPage(ctx context.Context, leadID string, offset int) (*callsList, error) {
	q := url.Values{}
	if leadID != "" {
		q.Set("leadId", leadID)
	}
	q.Set("offset", strconv.Itoa(offset))
	q.Set("limit", strconv.Itoa(callsPageSize))
	var out callsList
	if _, err := c.getJSON(ctx, "/calls", q, &out); err != nil {
		return nil, fmt.Errorf("fetch lofty calls at offset %d: %w", offset, err)
	}
	return &out, nil
}

// callsPageSize is the page size of GET /calls (undocumented; 100 is the
// largest the lead search allows, and what the sandbox accepts).
const callsPageSize = 100

// notes fetches GET /notes for one lead (or the team when leadID is "") and
// hands them over in chunks as they are decoded.
func (c *client) notes(ctx context.Context, leadID string, handle func([]wireNote) error) error {
	q := url.Values{}
	if leadID != "" {
		q.Set("leadId", leadID)
	}
	if *c.cfg.SystemNotes {
		q.Set("includeSystemNote", "true")
	}
	resp, err := c.http.Do(ctx, &httpclient.Request{URL: c.url("/notes", q), Header: http.Header{"Accept": {"application/json"}}})
	if err != nil {
		return fmt.Errorf("fetch lofty notes: %w", err)
	}
	// A team's notes come in one array with no paging: decode it element by
	// element so that only a chunk of rows is ever held.
	dec := json.NewDecoder(bytes.NewReader(resp.Body))
	malformed := func(err error) error {
		return fmt.Errorf("fetch lofty notes: %w: %w", httpclient.ErrMalformedResponse, err)
	}
	tok, err := dec.Token()
	if err != nil {
		return malformed(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		if tok == nil {
			return nil // null: no notes
		}
		return malformed(fmt.Errorf("expected an array of notes, got %v", tok))
	}
	chunk := make([]wireNote, 0, noteChunk)
	for dec.More() {
		var n wireNote
		if err := dec.Decode(&n); err != nil {
			return malformed(err)
		}
		chunk = append(chunk, n)
		if len(chunk) == noteChunk {
			if err := handle(chunk); err != nil {
				return err
			}
			chunk = make([]wireNote, 0, noteChunk)
		}
	}
	if _, err := dec.Token(); err != nil {
		return malformed(err)
	}
	if len(chunk) > 0 {
		return handle(chunk)
	}
	return nil
}

const noteChunk = 500

// --- writes ---

// result is Lofty's Result«long» envelope, used for write answers and
// errors.
type result struct {
	Data      json.RawMessage `json:"data"`
	ErrorCode int64           `json:"errorCode"`
	ErrorData json.RawMessage `json:"errorData"`
	ErrorMsg  *string         `json:"errorMsg"`
}

type fieldErr struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// writeID reads the id a create or edit answered: Result«long» with data,
// or the bare id ("string" in the document).
func writeID(body []byte) (string, error) {
	body = bytes.TrimSpace(body)
	var r result
	if err := json.Unmarshal(body, &r); err == nil && len(r.Data) > 0 && string(r.Data) != "null" {
		var id flexID
		if err := json.Unmarshal(r.Data, &id); err == nil && id != "" {
			return string(id), nil
		}
	}
	var id flexID
	if err := json.Unmarshal(body, &id); err == nil && id != "" {
		if _, err := strconv.ParseInt(string(id), 10, 64); err == nil {
			return string(id), nil
		}
	}
	if s := string(body); s != "" && len(s) < 32 && strings.Trim(s, "0123456789") == "" {
		return s, nil
	}
	return "", fmt.Errorf("%w: no lead id in the answer", httpclient.ErrMalformedResponse)
}
