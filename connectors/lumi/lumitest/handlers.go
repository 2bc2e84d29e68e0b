package lumitest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	defaultPageSize = 50
	maxPageSize     = 100
	maxUploadBytes  = 20 << 20
)

// intParam parses an optional positive integer query parameter.
func intParam(q url.Values, name string, def, lo, hi int) (int, string) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return def, ""
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || (hi > 0 && n > hi) {
		if hi > 0 {
			return 0, fmt.Sprintf("%s must be an integer between %d and %d", name, lo, hi)
		}
		return 0, fmt.Sprintf("%s must be an integer greater than or equal to %d", name, lo)
	}
	return n, ""
}

var dateTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z07:00",
}

var naiveLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
}

// parseDate accepts YYYY-MM-DD (midnight UTC, dateOnly=true) and ISO-8601
// datetimes with an offset or Z; datetimes without an offset are UTC.
func parseDate(v string) (t time.Time, dateOnly bool, err error) {
	v = strings.TrimSpace(v)
	if d, err := time.Parse("2006-01-02", v); err == nil {
		return d, true, nil
	}
	for _, l := range dateTimeLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, false, nil
		}
	}
	for _, l := range naiveLayouts {
		if t, err := time.ParseInLocation(l, v, time.UTC); err == nil {
			return t, false, nil
		}
	}
	return time.Time{}, false, errors.New("bad date")
}

// ---- GET /v1/leads ----

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var errs []string
	pageIndex, e1 := intParam(q, "page_index", 1, 1, 0)
	pageSize, e2 := intParam(q, "page_size", defaultPageSize, 1, maxPageSize)
	for _, e := range []string{e1, e2} {
		if e != "" {
			errs = append(errs, e)
		}
	}
	status := q.Get("status")
	if status != "" && !slices.Contains(statuses, status) {
		errs = append(errs, "status must be one of "+strings.Join(statuses, ", "))
	}
	appStatus := q.Get("application_status")
	if appStatus != "" && !slices.Contains(applicationStatuses, appStatus) {
		errs = append(errs, "application_status must be one of "+strings.Join(applicationStatuses, ", "))
	}
	var from, toExcl time.Time
	hasFrom, hasTo := false, false
	if v := q.Get("date_from"); v != "" {
		t, _, err := parseDate(v)
		if err != nil {
			errs = append(errs, "date_from must be an ISO-8601 date (YYYY-MM-DD) or datetime")
		}
		from, hasFrom = s.filterTime(t), true
	}
	if v := q.Get("date_to"); v != "" {
		t, dateOnly, err := parseDate(v)
		if err != nil {
			errs = append(errs, "date_to must be an ISO-8601 date (YYYY-MM-DD) or datetime")
		}
		if dateOnly {
			toExcl = t.AddDate(0, 0, 1) // the whole day is included
		} else {
			toExcl = t.Add(time.Nanosecond) // inclusive
		}
		hasTo = true
	}
	if len(errs) > 0 {
		badRequest(w, errs...)
		return
	}

	s.mu.RLock()
	lo, hi := 0, len(s.leads)
	if hasFrom {
		lo, _ = slices.BinarySearchFunc(s.leads, from, func(l *Lead, t time.Time) int { return l.CreatedAt.Compare(t) })
	}
	if hasTo {
		hi, _ = slices.BinarySearchFunc(s.leads, toExcl, func(l *Lead, t time.Time) int { return l.CreatedAt.Compare(t) })
	}
	page := []Lead{}
	count := 0
	start := (pageIndex - 1) * pageSize
	for i := lo; i < hi; i++ {
		l := s.leads[i]
		if status != "" && l.Status != status || appStatus != "" && l.Loan.ApplicationStatus != appStatus {
			continue
		}
		if count >= start && count < start+pageSize {
			page = append(page, listView(l))
		}
		count++
	}
	s.mu.RUnlock()

	var resp LeadsResponse
	resp.Success = true
	resp.Result.Leads = page
	resp.Result.Count = count
	writeJSON(w, http.StatusOK, resp)
}

// ---- GET /v1/leads/{id} ----

const leadNotFound = "lead not found"

func (s *Server) handleDetails(w http.ResponseWriter, id string) {
	s.mu.RLock()
	l, ok := s.byID[id]
	var c Lead
	if ok {
		c = cloneLead(l)
	}
	s.mu.RUnlock()
	if !ok {
		badRequest(w, leadNotFound)
		return
	}
	writeJSON(w, http.StatusOK, LeadResponse{Success: true, Result: c})
}

// ---- GET /v1/leads/events and /v1/leads/{id}/events ----

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request, leadID string) {
	q := r.URL.Query()
	if leadID == "" {
		leadID = q.Get("id") // the doc lists id as a query parameter too
	}
	var errs []string
	pageIndex, e1 := intParam(q, "page_index", 1, 1, 0)
	pageSize, e2 := intParam(q, "page_size", defaultPageSize, 1, maxPageSize)
	for _, e := range []string{e1, e2} {
		if e != "" {
			errs = append(errs, e)
		}
	}
	var since, createdSince time.Time
	hasSince, hasCreated := false, false
	if v := q.Get("since"); v != "" {
		t, _, err := parseDate(v)
		if err != nil {
			errs = append(errs, "since must be an ISO-8601 date (YYYY-MM-DD) or datetime")
		}
		since, hasSince = s.filterTime(t), true
	}
	if v := q.Get("createdAtSince"); v != "" {
		t, _, err := parseDate(v)
		if err != nil {
			errs = append(errs, "createdAtSince must be an ISO-8601 date (YYYY-MM-DD) or datetime")
		}
		createdSince, hasCreated = s.filterTime(t), true
	}
	if len(errs) > 0 {
		badRequest(w, errs...)
		return
	}

	s.mu.RLock()
	src := s.events
	if leadID != "" {
		if _, ok := s.byID[leadID]; !ok {
			s.mu.RUnlock()
			badRequest(w, leadNotFound)
			return
		}
		src = s.eventsByLead[leadID]
	}
	lo := 0
	if hasSince {
		lo, _ = slices.BinarySearchFunc(src, since, func(e *Event, t time.Time) int { return e.Date.Compare(t) })
	}
	page := []Event{}
	total := 0
	start := (pageIndex - 1) * pageSize
	for _, e := range src[lo:] {
		if hasCreated && !e.RecordedAt.After(createdSince) {
			continue
		}
		if total >= start && total < start+pageSize {
			page = append(page, *e)
		}
		total++
	}
	s.mu.RUnlock()

	var resp EventsResponse
	resp.Success = true
	resp.Result.LeadEvents = page
	resp.Result.Total = total
	resp.Result.Page = pageIndex
	writeJSON(w, http.StatusOK, resp)
}

// ---- GET /v1/leads/loanReasons, /v1/leads/resources ----

func (s *Server) handleLoanReasons(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Success bool         `json:"success"`
		Reasons []LoanReason `json:"reasons"`
	}{true, loanReasons})
}

func (s *Server) handleResources(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Success   bool       `json:"success"`
		Resources []Resource `json:"resources"`
	}{true, resources})
}

// ---- POST /v1/leads ----

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, path string) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		badRequest(w, "request body too large or unreadable")
		return
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		badRequest(w, "request body must be valid JSON")
		return
	}
	body, ok := v.(map[string]any)
	if !ok {
		badRequest(w, "request body must be a JSON object")
		return
	}
	in, errs := validateCreate(body)
	if len(errs) > 0 {
		badRequest(w, errs...)
		return
	}

	s.mu.Lock()
	if s.rejectDups && s.duplicateLocked(in.Stakeholder.Email, in.Stakeholder.Phone) {
		s.mu.Unlock()
		badRequest(w, "lead already exists")
		return
	}
	now := s.now()
	l := in
	l.ID = s.ids.next(now)
	l.ApplicationID = s.ids.next(now)
	l.Status = "SUBMITTED"
	l.CreatedAt, l.UpdatedAt = sydney(now), sydney(now)
	l.SubmittedBy = BrokerName
	s.addLeadLocked(&l)
	s.newEventLocked(l.ID, "STATUS_CHANGE", "SUBMITTED", "", l.CreatedAt)
	s.received = append(s.received, Submission{Method: r.Method, Path: path, ID: l.ID,
		ExternalID: l.ExternalID, Body: body, Time: now})
	s.mu.Unlock()

	writeJSON(w, http.StatusOK, CreateResponse{Success: true, Result: l.ID})
}

func normPhone(p string) string {
	var b strings.Builder
	for _, c := range p {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	d := b.String()
	if strings.HasPrefix(d, "61") && len(d) == 11 {
		d = "0" + d[2:]
	}
	return d
}

func (s *Server) duplicateLocked(email, phone string) bool {
	np := normPhone(phone)
	for _, l := range s.leads {
		if l.Status == "EXPIRED" {
			continue
		}
		if strings.EqualFold(l.Stakeholder.Email, email) || normPhone(l.Stakeholder.Phone) == np {
			return true
		}
	}
	return false
}

// ---- POST /v1/leads/{id}/documents?type= ----

func (s *Server) handleDocument(w http.ResponseWriter, r *http.Request, leadID string) {
	s.mu.RLock()
	_, ok := s.byID[leadID]
	s.mu.RUnlock()
	if !ok {
		badRequest(w, leadNotFound)
		return
	}
	typ := r.URL.Query().Get("type")
	if typ == "" {
		badRequest(w, "type is required")
		return
	}
	if !slices.Contains(documentTypes, typ) {
		badRequest(w, "type must be one of "+strings.Join(documentTypes, ", "))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		badRequest(w, `request must be multipart/form-data with a "document" file`)
		return
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			badRequest(w, "malformed multipart body")
			return
		}
		if part.FormName() != "document" {
			_ = part.Close()
			continue
		}
		ct := part.Header.Get("Content-Type")
		mt, _, perr := mime.ParseMediaType(ct)
		if ct == "" || perr != nil {
			mt = "application/octet-stream"
		}
		if !slices.Contains(contentTypes, strings.ToLower(mt)) {
			badRequest(w, fmt.Sprintf("document content type %q is not allowed", mt))
			return
		}
		var rd io.Reader = part
		if strings.EqualFold(strings.TrimSpace(part.Header.Get("Content-Transfer-Encoding")), "base64") {
			rd = base64.NewDecoder(base64.StdEncoding, part)
		}
		data, err := io.ReadAll(rd)
		if err != nil {
			badRequest(w, "document could not be read (bad base64 or too large)")
			return
		}
		name := part.FileName()
		if name == "" {
			name = "document"
		}
		s.mu.Lock()
		now := s.now()
		d := Document{ID: s.ids.next(now), LeadID: leadID, Type: typ, Filename: name,
			ContentType: strings.ToLower(mt), Size: len(data), Data: bytes.Clone(data), Time: now}
		s.documents = append(s.documents, d)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{
			"success": true,
			"file":    map[string]any{"id": d.ID, "filename": d.Filename, "size": d.Size},
		})
		return
	}
	badRequest(w, `document is required (multipart field "document")`)
}

// ---- POST /v1/leads/{id}/bankfeeds ----

func (s *Server) handleBankFeed(w http.ResponseWriter, r *http.Request, leadID string) {
	s.mu.RLock()
	_, ok := s.byID[leadID]
	s.mu.RUnlock()
	if !ok {
		badRequest(w, leadNotFound)
		return
	}
	var body map[string]any
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil || json.Unmarshal(raw, &body) != nil || body == nil {
		badRequest(w, "request body must be a JSON object")
		return
	}
	id, ok := body["document_id"].(string)
	if !ok || strings.TrimSpace(id) == "" {
		badRequest(w, "document_id is required")
		return
	}
	s.mu.Lock()
	s.bankFeeds = append(s.bankFeeds, BankFeed{LeadID: leadID, DocumentID: id, Time: s.now()})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// filterTime is a lower bound as the server applies it: the day alone with
// SetDateOnlyFilters.
func (s *Server) filterTime(t time.Time) time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.dateOnly {
		return t.UTC().Truncate(24 * time.Hour)
	}
	return t
}
