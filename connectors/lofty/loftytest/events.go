package loftytest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ActivityPageSize is the documented page size of GET
// /v1.0/leads/{leadId}/activities ("One page has 100 data").
const ActivityPageSize = 100

// sortedActivities returns a copy of rec's activities, newest first (ties
// keep insertion order). The caller holds s.mu.
func sortedActivities(rec *leadRec) []Activity {
	out := append([]Activity{}, rec.activities...)
	slices.SortStableFunc(out, func(a, b Activity) int { return cmp.Compare(b.Created, a.Created) })
	return out
}

func (s *Server) handleActivities(w http.ResponseWriter, r *http.Request, rawID string) {
	id, ok := parseID(rawID)
	if !ok {
		writeParamError(w, badParam("leadId: %q is not an integer", rawID))
		return
	}
	page, err := intParam(r.URL.Query(), "curPage", 0, 0, maxInt32)
	if err != nil {
		writeParamError(w, err)
		return
	}
	s.mu.RLock()
	rec := s.st.byID[id]
	if rec == nil || rec.deleted {
		s.mu.RUnlock()
		w.WriteHeader(http.StatusNotFound)
		return
	}
	all := sortedActivities(rec)
	from := min(page*ActivityPageSize, len(all))
	body, err := json.Marshal(all[from:min(from+ActivityPageSize, len(all))])
	s.mu.RUnlock()
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeRaw(w, http.StatusOK, body)
}

func (s *Server) handleAddActivity(w http.ResponseWriter, r *http.Request, rawID string) {
	id, ok := parseID(rawID)
	if !ok {
		writeParamError(w, badParam("leadId: %q is not an integer", rawID))
		return
	}
	raw, _, ok := s.readJSONObject(w, r)
	if !ok {
		return
	}
	var a Activity
	if err := json.Unmarshal(raw, &a); err != nil {
		msg := "JSON parse error: " + err.Error()
		s.record(r, raw, http.StatusBadRequest, 0, msg)
		writeError(w, http.StatusBadRequest, ErrCodeInvalidBody, msg, nil)
		return
	}
	if strings.TrimSpace(a.Type) == "" {
		errs := []FieldError{{Field: "type", Message: "type is required"}}
		msg := validationError(w, errs)
		s.record(r, raw, http.StatusBadRequest, 0, msg)
		return
	}
	if err := s.AddActivity(id, a); err != nil {
		s.record(r, raw, http.StatusNotFound, 0, err.Error())
		w.WriteHeader(http.StatusNotFound)
		return
	}
	s.record(r, raw, http.StatusOK, id, "")
	writeOK(w, id)
}

// commParams are the paging parameters of the communication and logType
// searches.
type commParams struct {
	currentID, leadID *int64
	limit, offset     int
}

func parseCommParams(r *http.Request) (commParams, error) {
	q := r.URL.Query()
	var p commParams
	var err error
	if p.currentID, err = int64Param(q, "currentId"); err != nil {
		return p, err
	}
	if p.leadID, err = int64Param(q, "leadId"); err != nil {
		return p, err
	}
	if p.limit, err = intParam(q, "limit", 10, 1, 1000); err != nil {
		return p, err
	}
	if p.offset, err = intParam(q, "offset", 0, 0, maxInt32); err != nil {
		return p, err
	}
	return p, nil
}

// page filters xs by lead and currentId (ids strictly greater), keeps id
// order and applies offset and limit.
func page[T any](xs []T, p commParams, leadOf, idOf func(*T) int64) []T {
	out := []T{}
	skipped := 0
	for i := range xs {
		x := &xs[i]
		if p.leadID != nil && leadOf(x) != *p.leadID {
			continue
		}
		if p.currentID != nil && idOf(x) <= *p.currentID {
			continue
		}
		if skipped < p.offset {
			skipped++
			continue
		}
		if len(out) == p.limit {
			break
		}
		out = append(out, *x)
	}
	return out
}

func (s *Server) serveComm(w http.ResponseWriter, r *http.Request, fn func(p commParams) any) {
	p, err := parseCommParams(r)
	if err != nil {
		writeParamError(w, err)
		return
	}
	s.mu.RLock()
	body, err := json.Marshal(fn(p))
	s.mu.RUnlock()
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeRaw(w, http.StatusOK, body)
}

func (s *Server) handleCommCalls(w http.ResponseWriter, r *http.Request) {
	s.serveComm(w, r, func(p commParams) any {
		return page(s.st.calls, p, func(c *Call) int64 { return c.LeadID }, func(c *Call) int64 { return c.ID })
	})
}

func (s *Server) handleCommCallsV2(w http.ResponseWriter, r *http.Request) {
	s.serveComm(w, r, func(p commParams) any {
		calls := page(s.st.calls, p, func(c *Call) int64 { return c.LeadID }, func(c *Call) int64 { return c.ID })
		out := make([]CallHistory, len(calls))
		for i, c := range calls {
			out[i] = CallHistory{AgentID: c.AgentID, CreateTime: c.CreateTime, Direction: c.Direction, ID: c.ID, LeadID: c.LeadID, LeadPhoneNumber: c.LeadPhoneNumber}
		}
		return out
	})
}

func (s *Server) handleCommEmails(w http.ResponseWriter, r *http.Request) {
	s.serveComm(w, r, func(p commParams) any {
		return page(s.st.emails, p, func(e *Email) int64 { return e.LeadID }, func(e *Email) int64 { return e.ID })
	})
}

func (s *Server) handleCommTexts(w http.ResponseWriter, r *http.Request) {
	s.serveComm(w, r, func(p commParams) any {
		return page(s.st.texts, p, func(t *Text) int64 { return t.LeadID }, func(t *Text) int64 { return t.ID })
	})
}

func (s *Server) handleLogTypes(w http.ResponseWriter, r *http.Request) {
	kind := strings.TrimSpace(r.URL.Query().Get("logType"))
	if kind != "" && !slices.Contains(LogTypeKinds, kind) {
		writeParamError(w, badParam("logType: %q is not one of logCall, logEmail, logText", kind))
		return
	}
	s.serveComm(w, r, func(p commParams) any {
		xs := s.st.logTypes
		if kind != "" {
			xs = slices.DeleteFunc(slices.Clone(xs), func(l LogType) bool { return l.Kind != kind })
		}
		return page(xs, p, func(l *LogType) int64 { return l.LeadID }, func(l *LogType) int64 { return l.ID })
	})
}

func serveOne[T any](s *Server, w http.ResponseWriter, rawID, name string, xs func() []T, idOf func(*T) int64) {
	id, ok := parseID(rawID)
	if !ok {
		writeParamError(w, badParam("%s: %q is not an integer", name, rawID))
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	all := xs()
	for i := range all {
		if idOf(&all[i]) == id {
			writeJSON(w, http.StatusOK, &all[i])
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
}

func (s *Server) handleLogType(w http.ResponseWriter, r *http.Request, rawID string) {
	serveOne(s, w, rawID, "logTypeId", func() []LogType { return s.st.logTypes }, func(l *LogType) int64 { return l.ID })
}

func (s *Server) handleCall(w http.ResponseWriter, r *http.Request, rawID string) {
	serveOne(s, w, rawID, "callId", func() []Call { return s.st.calls }, func(c *Call) int64 { return c.ID })
}

func (s *Server) handleNote(w http.ResponseWriter, r *http.Request, rawID string) {
	serveOne(s, w, rawID, "noteId", func() []Note { return s.st.notes }, func(n *Note) int64 { return n.NoteID })
}

// handleCalls serves GET /v1.0/calls: a CallListResponse paged with
// offset/limit (default 10, at most 100).
func (s *Server) handleCalls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	leadID, err := int64Param(q, "leadId")
	if err != nil {
		writeParamError(w, err)
		return
	}
	limit, err := intParam(q, "limit", 10, 1, 100)
	if err != nil {
		writeParamError(w, err)
		return
	}
	offset, err := intParam(q, "offset", 0, 0, maxInt32)
	if err != nil {
		writeParamError(w, err)
		return
	}
	s.mu.RLock()
	var matched []*Call
	for i := range s.st.calls {
		if leadID == nil || s.st.calls[i].LeadID == *leadID {
			matched = append(matched, &s.st.calls[i])
		}
	}
	pg := matched[min(offset, len(matched)):min(offset+limit, len(matched))]
	if pg == nil {
		pg = []*Call{}
	}
	body, err := json.Marshal(struct {
		Meta  MetaData `json:"_metadata"`
		Calls []*Call  `json:"calls"`
	}{MetaData{Collection: "calls", Limit: limit, Offset: int64(offset), Total: int64(len(matched))}, pg})
	s.mu.RUnlock()
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeRaw(w, http.StatusOK, body)
}

// handleNotes serves GET /v1.0/notes: every note of the lead (or of the
// team without leadId) in id order, system notes only with
// includeSystemNote=true. The endpoint has no paging parameters.
func (s *Server) handleNotes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	leadID, err := int64Param(q, "leadId")
	if err != nil {
		writeParamError(w, err)
		return
	}
	sys, err := boolParam(q, "includeSystemNote")
	if err != nil {
		writeParamError(w, err)
		return
	}
	s.mu.RLock()
	out := []Note{}
	for _, n := range s.st.notes {
		if n.DeleteFlag || (leadID != nil && n.LeadID != *leadID) || (n.SystemNote && (sys == nil || !*sys)) {
			continue
		}
		out = append(out, n)
	}
	body, err := json.Marshal(out)
	s.mu.RUnlock()
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeRaw(w, http.StatusOK, body)
}

// handleAddNote serves POST /v1.0/notes with a NoteRequest.
func (s *Server) handleAddNote(w http.ResponseWriter, r *http.Request) {
	raw, _, ok := s.readJSONObject(w, r)
	if !ok {
		return
	}
	var req struct {
		Content string `json:"content"`
		IsPin   *bool  `json:"isPin"`
		LeadID  *int64 `json:"leadId"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		msg := "JSON parse error: " + err.Error()
		s.record(r, raw, http.StatusBadRequest, 0, msg)
		writeError(w, http.StatusBadRequest, ErrCodeInvalidBody, msg, nil)
		return
	}
	var errs []FieldError
	if strings.TrimSpace(req.Content) == "" {
		errs = append(errs, FieldError{Field: "content", Message: "content is required"})
	}
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	var rec *leadRec
	if req.LeadID == nil {
		errs = append(errs, FieldError{Field: "leadId", Message: "leadId is required"})
	} else if rec = s.st.byID[*req.LeadID]; rec == nil || rec.deleted {
		errs = append(errs, FieldError{Field: "leadId", Message: fmt.Sprintf("lead %d not found", *req.LeadID)})
	}
	if len(errs) > 0 {
		s.mu.Unlock()
		msg := validationError(w, errs)
		s.record(r, raw, http.StatusBadRequest, 0, msg)
		return
	}
	n := s.st.addNote(*req.LeadID, strings.TrimSpace(req.Content), req.IsPin != nil && *req.IsPin, false, members[0], now)
	rec.updated = now
	rec.render()
	s.mu.Unlock()
	s.record(r, raw, http.StatusOK, n.NoteID, "")
	writeOK(w, n.NoteID)
}

// handleAgentCommunication serves POST /v1.0/agent/communication.
func (s *Server) handleAgentCommunication(w http.ResponseWriter, r *http.Request) {
	raw, _, ok := s.readJSONObject(w, r)
	if !ok {
		return
	}
	var req struct {
		EndTime   *int64 `json:"endTime"`
		Limit     *int   `json:"limit"`
		Offset    *int   `json:"offset"`
		StartTime *int64 `json:"startTime"`
		TeamView  bool   `json:"teamView"`
		Type      string `json:"type"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		writeError(w, http.StatusBadRequest, ErrCodeInvalidBody, "JSON parse error: "+err.Error(), nil)
		return
	}
	var errs []FieldError
	if !slices.Contains([]string{"CALL", "EMAIL", "TEXT"}, req.Type) {
		errs = append(errs, FieldError{Field: "type", Message: "type must be CALL, EMAIL or TEXT"})
	}
	if req.StartTime == nil || req.EndTime == nil {
		errs = append(errs, FieldError{Field: "startTime", Message: "startTime and endTime are required"})
	} else if *req.EndTime < *req.StartTime {
		errs = append(errs, FieldError{Field: "endTime", Message: "endTime must not be before startTime"})
	} else if *req.EndTime-*req.StartTime > 24*60*60*1000 {
		errs = append(errs, FieldError{Field: "endTime", Message: "the maximum time interval for a single query is 24 hours"})
	}
	limit, offset := 10, 0
	if req.Limit != nil {
		limit = *req.Limit
	}
	if req.Offset != nil {
		offset = *req.Offset
	}
	if limit < 1 || limit > 1000 {
		errs = append(errs, FieldError{Field: "limit", Message: "limit must be in [1, 1000]"})
	}
	if offset < 0 || offset > maxInt32 {
		errs = append(errs, FieldError{Field: "offset", Message: "offset must be in [0, 2147483647]"})
	}
	if len(errs) > 0 {
		validationError(w, errs)
		return
	}
	from, to := time.UnixMilli(*req.StartTime), time.UnixMilli(*req.EndTime)
	type item struct {
		at time.Time
		c  Communication
	}
	var items []item
	in := func(ts string) (time.Time, bool) {
		t, err := time.Parse(time.RFC3339, ts)
		return t, err == nil && !t.Before(from) && t.Before(to)
	}
	s.mu.RLock()
	switch req.Type {
	case "CALL":
		for _, c := range s.st.calls {
			if t, ok := in(c.CreateTime); ok {
				items = append(items, item{t, Communication{AgentID: c.AgentID, CallDuration: fmt.Sprint(c.Duration), CallOutcome: c.CallingOutcome,
					CommunicationTime: c.CreateTime, CommunicationType: "MANUAL", Direction: c.Direction, EventType: "Call", ID: c.ID, LeadID: c.LeadID, Status: c.Status}})
			}
		}
	case "EMAIL":
		for _, e := range s.st.emails {
			if t, ok := in(e.EmailEventTime); ok {
				items = append(items, item{t, Communication{AgentID: e.AgentID, CommunicationTime: e.EmailEventTime, CommunicationType: strings.ToUpper(e.EmailType),
					Direction: e.Direction, EventType: e.EventType + " Email", FromPond: e.FromPond, ID: e.ID, LeadID: e.LeadID, Status: e.EventType}})
			}
		}
	case "TEXT":
		for _, x := range s.st.texts {
			if t, ok := in(x.TextTime); ok {
				items = append(items, item{t, Communication{AgentID: x.AgentID, CommunicationTime: x.TextTime, CommunicationType: strings.ToUpper(x.TextType),
					Direction: x.Direction, EventType: "Text", ID: x.ID, LeadID: x.LeadID, Status: x.TextOutcome}})
			}
		}
	}
	kind := map[string]string{"CALL": "logCall", "EMAIL": "logEmail", "TEXT": "logText"}[req.Type]
	event := map[string]string{"CALL": "Call", "EMAIL": "Sent Email", "TEXT": "Text"}[req.Type]
	for _, l := range s.st.logTypes {
		if t, ok := in(l.CreateTime); ok && l.Kind == kind {
			items = append(items, item{t, Communication{AgentID: l.AgentID, CallOutcome: l.CallingOutcome, CommunicationTime: l.CreateTime,
				CommunicationType: "LOGGED", Direction: l.OutboundOrInbound, EventType: event, ID: l.ID, LeadID: l.LeadID}})
		}
	}
	s.mu.RUnlock()
	if !req.TeamView {
		items = slices.DeleteFunc(items, func(it item) bool { return it.c.AgentID != OwnerUserID })
	}
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.c.ID, b.c.ID)) })
	pageData := []Communication{}
	for _, it := range items[min(offset, len(items)):min(offset+limit, len(items))] {
		pageData = append(pageData, it.c)
	}
	writeJSON(w, http.StatusOK, struct {
		HasMore  bool            `json:"hasMore"`
		Limit    int             `json:"limit"`
		Offset   int             `json:"offset"`
		PageData []Communication `json:"pageData"`
	}{offset+limit < len(items), limit, offset, pageData})
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	m := s.memberWithCounts(members[0])
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, m)
}

// memberWithCounts fills the lead counters; the caller holds s.mu.
func (s *Server) memberWithCounts(m Member) Member {
	for _, rec := range s.st.leads {
		if !rec.deleted && rec.lead.AssignedUserID != nil && *rec.lead.AssignedUserID == m.MemberUserID {
			m.AssignedLeadCount++
			if !rec.contacted {
				m.NewLeadCount++
			}
		}
	}
	m.FirstLetter = m.FirstName[:1]
	m.AccountStatus, m.Status, m.GroupName = "Active", 1, "Harbour Lending"
	return m
}

// handleMembers serves GET /v1.0/members (MemberListResponse).
func (s *Server) handleMembers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := intParam(q, "limit", 10, 1, 100)
	if err != nil {
		writeParamError(w, err)
		return
	}
	offset, err := intParam(q, "offset", 0, 0, maxInt32)
	if err != nil {
		writeParamError(w, err)
		return
	}
	s.mu.RLock()
	out := []Member{}
	for _, m := range members[min(offset, len(members)):min(offset+limit, len(members))] {
		out = append(out, s.memberWithCounts(m))
	}
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, struct {
		Meta    MetaData `json:"_metadata"`
		Members []Member `json:"members"`
	}{MetaData{Collection: "members", Limit: limit, Offset: int64(offset), Total: int64(len(members))}, out})
}
