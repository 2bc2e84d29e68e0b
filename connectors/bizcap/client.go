package bizcap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
)

// client speaks the Bizmate Partner API: Bearer token, bare JSON arrays
// paged with page (from 1) and pageSize, records shaped
// {"id", "createdAt", "createdBy", "updatedAt", "updatedBy", "fields": {...}}.
type client struct {
	http   *httpclient.Client
	base   string
	pageSz int
	conc   int
	upper  bool
}

func newClient(c *Config, env connectors.Env) *client {
	conc := env.ConcurrencyOr(c.Concurrency)
	h := env.NewClient(Vendor, connectors.ClientSettings{Timeout: c.Timeout, RateLimit: c.RateLimit, Concurrency: c.Concurrency})
	h.SetBearer(c.Token.Reveal())
	return &client{http: h, base: c.BaseURL, pageSz: c.PageSize, conc: conc, upper: c.PathCase == "upper"}
}

// Resources. The doc writes /LEAD/... and /DEAL/... in its endpoint lines
// and /lead/... in every example; path_case picks one (lower by default).
const (
	resLead = "lead"
	resDeal = "deal"
)

func (c *client) path(res string, rest ...string) string {
	if c.upper {
		res = strings.ToUpper(res)
	}
	p := c.base + "/" + res
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// record is one lead or deal as the API sends it. Fields stay raw so that
// every datapoint, documented or not, reaches the canonical row or its
// attributes.
type record struct {
	ID        string `json:"id"`
	CreatedAt string `json:"createdAt"`
	CreatedBy string `json:"createdBy"`
	UpdatedAt string `json:"updatedAt"`
	UpdatedBy string `json:"updatedBy"`
	Fields    fields `json:"fields"`
}

// page fetches one page of a list.
func (c *client) page(ctx context.Context, res string, page, size int) ([]record, error) {
	q := url.Values{}
	q.Set("page", strconv.Itoa(page))
	q.Set("pageSize", strconv.Itoa(size))
	var out []record
	if _, err := c.http.DoJSON(ctx, &httpclient.Request{URL: c.path(res) + "?" + q.Encode()}, &out); err != nil {
		return nil, fmt.Errorf("fetch bizcap %ss page %d: %w", res, page, err)
	}
	return out, nil
}

// get fetches one record by id; a 404 is ErrNotFound.
func (c *client) get(ctx context.Context, res, id string) (*record, error) {
	var out record
	if _, err := c.http.DoJSON(ctx, &httpclient.Request{URL: c.path(res, url.PathEscape(id))}, &out); err != nil {
		var se *httpclient.StatusError
		if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("fetch bizcap %s %s: %w: %w", res, id, ErrNotFound, err)
		}
		return nil, fmt.Errorf("fetch bizcap %s %s: %w", res, id, err)
	}
	return &out, nil
}

// ErrNotFound is a 404 for a record id.
var ErrNotFound = errors.New("no such record")

// scan pages through a list from page 1 with c.conc pages in flight, and
// hands the pages to handle in order. The list ends at the first page with
// fewer than pageSize records (an empty page after an exact multiple).
// handle returns stop=true to end the scan early. The total is unknown (the
// API returns a bare array), so after page 1 up to conc-1 requests past the
// end are made and thrown away.
func (c *client) scan(ctx context.Context, res string, handle func(page int, recs []record) (stop bool, err error)) error {
	// Page 1 goes alone: a short list (or an empty account) costs one
	// request, and only longer lists fetch ahead.
	first, err := c.page(ctx, res, 1, c.pageSz)
	if err != nil {
		return err
	}
	if stop, err := handle(1, first); err != nil || stop || len(first) < c.pageSz {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		recs []record
		err  error
	}
	// A page is in flight from when its slot enters the queue until the
	// consumer has taken it: at most conc pages at once.
	queue := make(chan chan result, max(c.conc, 1)-1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(queue)
		for p := 2; ; p++ {
			ch := make(chan result, 1)
			select {
			case queue <- ch:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func(p int) {
				defer wg.Done()
				recs, err := c.page(ctx, res, p, c.pageSz)
				ch <- result{recs, err}
			}(p)
		}
	}()
	defer wg.Wait()
	defer cancel()
	p := 1
	for ch := range queue {
		p++
		var r result
		select {
		case r = <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil {
			return r.err
		}
		stop, err := handle(p, r.recs)
		if err != nil {
			return err
		}
		if stop || len(r.recs) < c.pageSz {
			return nil
		}
	}
	return ctx.Err()
}

// createLeadResponse is the documented answer of POST /lead/new.
type createLeadResponse struct {
	ID     string `json:"id"`
	Fields struct {
		BankStatementsUpdateLink string `json:"bankStatementsUpdateLink"`
		ApplicationLink          string `json:"applicationLink"`
		PartnerLeadReferenceID   string `json:"partnerLeadReferenceId"`
	} `json:"fields"`
}

// vendorError is the API's error body: {"error": "Invalid request"}.
type vendorError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

// rejection turns a definitive 400/404/422 answer into a RejectedError with
// the vendor's message; other errors come back unchanged.
func rejection(resp *httpclient.Response, err error) error {
	var se *httpclient.StatusError
	if !errors.As(err, &se) || errors.Is(err, httpclient.ErrOutcomeUnknown) {
		return err
	}
	switch se.StatusCode {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusConflict:
	default:
		return err
	}
	reason, field := http.StatusText(se.StatusCode), ""
	if resp != nil {
		var ve vendorError
		if json.Unmarshal(resp.Body, &ve) == nil {
			switch {
			case ve.Message != "" && ve.Error != "":
				reason = ve.Error + ": " + ve.Message
			case ve.Message != "":
				reason = ve.Message
			case ve.Error != "":
				reason = ve.Error
			}
			field = ve.Field
		} else if s := strings.TrimSpace(se.Body); s != "" {
			reason = s
		}
	}
	return &connectors.RejectedError{HTTPStatus: se.StatusCode, Field: field, Reason: reason}
}

func (c *client) createLead(ctx context.Context, body map[string]any) (*createLeadResponse, int, error) {
	req, err := httpclient.NewJSONRequest(http.MethodPost, c.path(resLead, "new"), map[string]any{"fields": body})
	if err != nil {
		return nil, 0, err
	}
	var out createLeadResponse
	resp, err := c.http.DoJSON(ctx, req, &out)
	if err != nil {
		return nil, statusOf(resp), fmt.Errorf("create bizcap lead: %w", rejection(resp, err))
	}
	if out.ID == "" {
		// A 200 without an id: the lead may exist; the caller must look
		// it up rather than send it again.
		return nil, resp.StatusCode, fmt.Errorf("create bizcap lead: answer has no id: %w", httpclient.ErrOutcomeUnknown)
	}
	return &out, resp.StatusCode, nil
}

// patchLead sends PATCH /lead/{id}. Setting fields to given values is
// idempotent, so the request is retried like a GET.
func (c *client) patchLead(ctx context.Context, id string, body map[string]any) (*httpclient.Response, error) {
	req, err := httpclient.NewJSONRequest(http.MethodPatch, c.path(resLead, url.PathEscape(id)), map[string]any{"fields": body})
	if err != nil {
		return nil, err
	}
	idem := true
	req.Idempotent = &idem
	resp, err := c.http.DoJSON(ctx, req, nil)
	if err != nil {
		return resp, fmt.Errorf("update bizcap lead %s: %w", id, rejection(resp, err))
	}
	return resp, nil
}

// upload sends POST /attachments/new (multipart/form-data).
func (c *client) upload(ctx context.Context, body []byte, contentType string) (*httpclient.Response, error) {
	req := &httpclient.Request{Method: http.MethodPost, URL: c.base + "/attachments/new", Body: body, ContentType: contentType}
	resp, err := c.http.DoJSON(ctx, req, nil)
	if err != nil {
		return resp, fmt.Errorf("upload bizcap attachments: %w", rejection(resp, err))
	}
	return resp, nil
}

func statusOf(resp *httpclient.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// parseTime reads the API's timestamps ("2024-08-02T05:43:45.884Z").
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}
