package loftytest

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Submission is one write request the sandbox received (after the fault
// injector, the rate limiter and authentication let it through).
type Submission struct {
	Method string
	Path   string // r.URL.Path as the sandbox saw it (prefix stripped)
	Query  url.Values
	Body   map[string]any // the parsed JSON body; nil when it was not an object
	Raw    []byte
	At     time.Time // the sandbox clock when it was received
	Status int       // the status answered
	ID     int64     // the id created or targeted; 0 when rejected
	Error  string    // errorMsg when rejected
}

func (s *Server) record(r *http.Request, raw []byte, status int, id int64, errMsg string) {
	sub := Submission{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Raw: slices.Clone(raw),
		At: s.now(), Status: status, ID: id, Error: errMsg}
	_ = json.Unmarshal(raw, &sub.Body)
	s.mu.Lock()
	s.received = append(s.received, sub)
	s.mu.Unlock()
}

// --- search ---

type searchMode int

const (
	searchList searchMode = iota
	searchCreateTime
	searchUpdateTime
)

func (s *Server) leadSearch(mode searchMode) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.handleLeadSearch(w, r, mode) }
}

type leadFilter struct {
	mode                                         searchMode
	allTags, anyTags, segments, stages, language []string
	segmentIDs                                   map[int64]bool
	assignedUserID                               *int64
	contacted                                    *bool
	email, phone                                 string
	precise                                      bool
	source                                       string
	since                                        *time.Time
	sortKey                                      string
	desc                                         bool
}

// ParseQueryTime parses leadUpdateTime / leadCreateTime the way the sandbox
// does: a wall-clock time without zone ("2006-01-02 15:04:05",
// "2006-01-02T15:04:05", optionally with fractional seconds, or a bare date
// "2006-01-02" meaning midnight) interpreted in UTC-7.
func ParseQueryTime(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, QueryZone); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not yyyy-MM-dd HH:mm:ss (UTC-7)", v)
}

// FormatQueryTime renders t as the sandbox expects leadUpdateTime and
// leadCreateTime: "yyyy-MM-dd HH:mm:ss" on the UTC-7 wall clock.
func FormatQueryTime(t time.Time) string { return t.In(QueryZone).Format("2006-01-02 15:04:05") }

func parseLeadFilter(q url.Values, mode searchMode) (*leadFilter, error) {
	f := &leadFilter{mode: mode, desc: true, sortKey: "Default", precise: mode != searchList}
	f.allTags, f.anyTags = multi(q, "allTags"), multi(q, "anyTags")
	f.segments = append(multi(q, "segments"), multi(q, "groups")...)
	f.stages = multi(q, "stage")
	var err error
	if f.contacted, err = boolParam(q, "contacted"); err != nil {
		return nil, err
	}
	f.email, f.phone = strings.TrimSpace(q.Get("email")), strings.TrimSpace(q.Get("phone"))
	f.source = strings.TrimSpace(q.Get("source"))
	switch mode {
	case searchList:
		if f.assignedUserID, err = int64Param(q, "assignedUserId"); err != nil {
			return nil, err
		}
		d, err := boolParam(q, "desc")
		if err != nil {
			return nil, err
		}
		if d != nil {
			f.desc = *d
		}
		p, err := boolParam(q, "preciseSearchFlag")
		if err != nil {
			return nil, err
		}
		f.precise = p != nil && *p
		if _, err := boolParam(q, "querySubGroup"); err != nil {
			return nil, err
		}
		f.language = multi(q, "languages")
		for _, name := range []string{"segmentIds", "groupIds"} {
			for _, v := range multi(q, name) {
				id, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, badParam("%s: %q is not an integer", name, v)
				}
				if f.segmentIDs == nil {
					f.segmentIDs = map[int64]bool{}
				}
				f.segmentIDs[id] = true
			}
		}
		if v := strings.TrimSpace(q.Get("sort")); v != "" {
			i := slices.IndexFunc(SortValues, func(s string) bool { return strings.EqualFold(s, v) })
			if i < 0 {
				return nil, badParam("sort: %q is not one of %s", v, strings.Join(SortValues, ", "))
			}
			f.sortKey = SortValues[i]
		}
	case searchCreateTime, searchUpdateTime:
		name := "leadCreateTime"
		if mode == searchUpdateTime {
			name = "leadUpdateTime"
		}
		if v := q.Get(name); strings.TrimSpace(v) != "" {
			t, err := ParseQueryTime(v)
			if err != nil {
				return nil, badParam("%s: %v", name, err)
			}
			f.since = &t
		}
	}
	return f, nil
}

func anyFold(xs []string, v string) bool {
	return slices.ContainsFunc(xs, func(x string) bool { return strings.EqualFold(x, v) })
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// normPhone is the key of a precise phone search: the digits, without the
// North American country code 1 on an 11-digit number.
func normPhone(s string) string {
	d := digits(s)
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	return d
}

func (f *leadFilter) match(st *store, rec *leadRec) bool {
	if rec.deleted {
		return false
	}
	l := &rec.lead
	tagNames := make([]string, len(l.Tags))
	for i, t := range l.Tags {
		tagNames[i] = t.TagName
	}
	for _, t := range f.allTags {
		if !anyFold(tagNames, t) {
			return false
		}
	}
	if len(f.anyTags) > 0 && !slices.ContainsFunc(f.anyTags, func(t string) bool { return anyFold(tagNames, t) }) {
		return false
	}
	if len(f.segments) > 0 && !slices.ContainsFunc(f.segments, func(sg string) bool { return anyFold(l.Segments, sg) }) {
		return false
	}
	if f.segmentIDs != nil && !slices.ContainsFunc(l.Segments, func(sg string) bool { return f.segmentIDs[st.segIDs[strings.ToLower(sg)]] }) {
		return false
	}
	if len(f.stages) > 0 && !anyFold(f.stages, l.Stage) {
		return false
	}
	if len(f.language) > 0 && !anyFold(f.language, l.Language) {
		return false
	}
	if f.assignedUserID != nil && (l.AssignedUserID == nil || *l.AssignedUserID != *f.assignedUserID) {
		return false
	}
	if f.contacted != nil && rec.contacted != *f.contacted {
		return false
	}
	if f.source != "" && !strings.EqualFold(l.Source, f.source) {
		return false
	}
	if f.email != "" {
		want := strings.ToLower(f.email)
		if !slices.ContainsFunc(l.Emails, func(e string) bool {
			e = strings.ToLower(strings.TrimSpace(e))
			if f.precise {
				return e == want
			}
			return strings.Contains(e, want)
		}) {
			return false
		}
	}
	if f.phone != "" {
		want := normPhone(f.phone)
		if !f.precise {
			want = digits(f.phone)
		}
		if want == "" || !slices.ContainsFunc(l.Phones, func(p string) bool {
			if f.precise {
				return normPhone(p) == want
			}
			return strings.Contains(digits(p), want)
		}) {
			return false
		}
	}
	if f.since != nil {
		t := rec.updated
		if f.mode == searchCreateTime {
			t = rec.created
		}
		if t.Before(*f.since) {
			return false
		}
	}
	return true
}

func (f *leadFilter) compare(a, b *leadRec) int {
	var c int
	switch f.mode {
	case searchCreateTime:
		return cmp.Or(a.created.Compare(b.created), cmp.Compare(a.lead.LeadID, b.lead.LeadID))
	case searchUpdateTime:
		return cmp.Or(a.updated.Compare(b.updated), cmp.Compare(a.lead.LeadID, b.lead.LeadID))
	}
	switch f.sortKey {
	case "LastContact", "LastCall", "LastEmail", "Communication":
		c = a.lastTouch.Compare(b.lastTouch)
	case "LastActivity", "Activity", "ActivitySearch", "ActivityViews", "ActivityFavorites":
		c = a.lastVisit.Compare(b.lastVisit)
	case "AssignTime":
		c = a.assigned.Compare(b.assigned)
	case "Score", "SCOREV2":
		c = cmp.Compare(a.lead.Score, b.lead.Score)
	default:
		c = a.created.Compare(b.created)
	}
	c = cmp.Or(c, cmp.Compare(a.lead.LeadID, b.lead.LeadID))
	if f.desc {
		return -c
	}
	return c
}

type scrollSnap struct {
	ids        []int64
	collection string
	limit      int
}

const maxScrolls = 64

func (s *Server) newScroll(ids []int64, limit int) int64 {
	s.scrollMu.Lock()
	defer s.scrollMu.Unlock()
	s.nextScroll++
	id := s.nextScroll
	s.scrolls[id] = &scrollSnap{ids: ids, collection: "leads", limit: limit}
	s.scrollOrder = append(s.scrollOrder, id)
	for len(s.scrollOrder) > maxScrolls {
		delete(s.scrolls, s.scrollOrder[0])
		s.scrollOrder = s.scrollOrder[1:]
	}
	return id
}

func scrollToken(snap int64, pos int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("lofty-scroll:%d:%d", snap, pos)))
}

func parseScrollToken(tok string) (int64, int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, 0, false
	}
	var snap int64
	var pos int
	if n, err := fmt.Sscanf(string(b), "lofty-scroll:%d:%d", &snap, &pos); err != nil || n != 2 || pos < 0 {
		return 0, 0, false
	}
	return snap, pos, true
}

func (s *Server) handleLeadSearch(w http.ResponseWriter, r *http.Request, mode searchMode) {
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
	if tok := strings.TrimSpace(q.Get("scrollId")); tok != "" {
		s.serveScroll(w, tok, limit, strings.TrimSpace(q.Get("limit")) != "")
		return
	}
	f, err := parseLeadFilter(q, mode)
	if err != nil {
		writeParamError(w, err)
		return
	}
	s.mu.RLock()
	window := s.maxWindow
	if window > 0 && offset+limit > window {
		s.mu.RUnlock()
		writeError(w, http.StatusBadRequest, ErrCodeResultWindow,
			fmt.Sprintf("offset+limit must not exceed %d; use scrollId to page deeper", window), nil)
		return
	}
	var matches []*leadRec
	for _, rec := range s.st.leads {
		if f.match(s.st, rec) {
			matches = append(matches, rec)
		}
	}
	slices.SortStableFunc(matches, f.compare)
	total := len(matches)
	page := matches[min(offset, total):min(offset+limit, total)]
	meta := MetaData{Collection: "leads", Limit: limit, Offset: int64(offset), Total: int64(total)}
	if offset+limit < total {
		ids := make([]int64, total)
		for i, rec := range matches {
			ids[i] = rec.lead.LeadID
		}
		meta.ScrollID = scrollToken(s.newScroll(ids, limit), offset+limit)
	}
	body, err := s.renderLeads(page, meta)
	s.mu.RUnlock()
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeRaw(w, http.StatusOK, body)
}

func (s *Server) serveScroll(w http.ResponseWriter, tok string, limit int, limitGiven bool) {
	snapID, pos, ok := parseScrollToken(tok)
	s.scrollMu.Lock()
	snap := s.scrolls[snapID]
	s.scrollMu.Unlock()
	if !ok || snap == nil {
		writeError(w, http.StatusBadRequest, ErrCodeInvalidScroll, "scrollId is invalid or expired", nil)
		return
	}
	if !limitGiven {
		limit = snap.limit
	}
	total := len(snap.ids)
	pos = min(pos, total)
	ids := snap.ids[min(pos, total):min(pos+limit, total)]
	meta := MetaData{Collection: snap.collection, Limit: limit, Offset: int64(pos), Total: int64(total)}
	if pos+limit < total {
		meta.ScrollID = scrollToken(snapID, pos+limit)
	}
	s.mu.RLock()
	page := make([]*leadRec, 0, len(ids))
	for _, id := range ids {
		if rec := s.st.byID[id]; rec != nil && !rec.deleted {
			page = append(page, rec)
		}
	}
	body, err := s.renderLeads(page, meta)
	s.mu.RUnlock()
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeRaw(w, http.StatusOK, body)
}

// renderLeads marshals a LeadListResponse; the caller holds s.mu.
func (s *Server) renderLeads(page []*leadRec, meta MetaData) ([]byte, error) {
	items := make([]any, len(page))
	for i, rec := range page {
		if s.nested {
			items[i] = map[string]*Lead{"lead": &rec.lead}
		} else {
			items[i] = &rec.lead
		}
	}
	return json.Marshal(struct {
		Meta  MetaData `json:"_metadata"`
		Leads []any    `json:"leads"`
	}{meta, items})
}

func (s *Server) handleGetLead(w http.ResponseWriter, r *http.Request, raw string) {
	id, ok := parseID(raw)
	if !ok {
		writeParamError(w, badParam("leadId: %q is not an integer", raw))
		return
	}
	withTrash, err := boolParam(r.URL.Query(), "withTrash")
	if err != nil {
		writeParamError(w, err)
		return
	}
	s.mu.RLock()
	rec := s.st.byID[id]
	if rec == nil || (rec.deleted && (withTrash == nil || !*withTrash)) {
		s.mu.RUnlock()
		w.WriteHeader(http.StatusNotFound)
		return
	}
	body, err := json.Marshal(&rec.lead)
	s.mu.RUnlock()
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeRaw(w, http.StatusOK, body)
}

// --- writes ---

// readJSONObject enforces the JSON content type and returns the raw body and
// its top-level keys. It writes the error response itself and returns
// ok=false when the request cannot be used.
func (s *Server) readJSONObject(w http.ResponseWriter, r *http.Request) (raw []byte, keys map[string]json.RawMessage, ok bool) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		msg := "request body too large or unreadable"
		s.record(r, raw, http.StatusBadRequest, 0, msg)
		writeError(w, http.StatusBadRequest, ErrCodeInvalidBody, msg, nil)
		return nil, nil, false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		s.record(r, raw, http.StatusUnsupportedMediaType, 0, "Content-Type must be application/json")
		w.WriteHeader(http.StatusUnsupportedMediaType)
		return nil, nil, false
	}
	if err := json.Unmarshal(raw, &keys); err != nil || keys == nil {
		msg := "JSON parse error: the body must be a JSON object"
		if err != nil {
			msg = "JSON parse error: " + err.Error()
		}
		s.record(r, raw, http.StatusBadRequest, 0, msg)
		writeError(w, http.StatusBadRequest, ErrCodeInvalidBody, msg, nil)
		return nil, nil, false
	}
	return raw, keys, true
}

func validEmail(e string) bool {
	if strings.IndexFunc(e, unicode.IsSpace) >= 0 || strings.Count(e, "@") != 1 {
		return false
	}
	local, domain, _ := strings.Cut(e, "@")
	return local != "" && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

func validBirthday(b string) bool {
	_, err := time.Parse("Jan 2, 2006", strings.TrimSpace(b))
	return err == nil
}

// validateLead applies the documented LeadRequest rules (and the sandbox's
// documented choices, see doc.go). The caller holds s.mu.
func validateLead(req *LeadRequest, create bool) []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	nonBlank := func(xs []string) bool {
		return slices.ContainsFunc(xs, func(x string) bool { return strings.TrimSpace(x) != "" })
	}
	if create && strings.TrimSpace(req.FirstName) == "" && strings.TrimSpace(req.LastName) == "" && !nonBlank(req.Emails) && !nonBlank(req.Phones) {
		add("lead", "at least one of firstName, lastName, emails or phones is required")
	}
	for i, e := range req.Emails {
		if !validEmail(strings.TrimSpace(e)) {
			add(fmt.Sprintf("emails[%d]", i), "%q is not a valid email address", e)
		}
	}
	checkPhones := func(prefix string, phones []string) {
		for i, p := range phones {
			switch {
			case strings.TrimSpace(p) == "":
				add(fmt.Sprintf("%s[%d]", prefix, i), "phone must not be blank")
			case utf8.RuneCountInString(p) > 20:
				add(fmt.Sprintf("%s[%d]", prefix, i), "no more than 20 characters per phone (got %d)", utf8.RuneCountInString(p))
			}
		}
	}
	checkPhones("phones", req.Phones)
	if n := utf8.RuneCountInString(req.Stage); n >= 20 {
		add("stage", "stage must be less than 20 characters (got %d)", n)
	}
	if req.Birthday != "" && !validBirthday(req.Birthday) {
		add("birthday", "%q does not match pattern MMM d, yyyy", req.Birthday)
	}
	if req.LeadType != nil && !slices.Contains(LeadTypeValues, *req.LeadType) {
		add("leadType", "%d is not a lead type id: Other (-1), Seller (1), Buyer (2), Buyer & Seller (3), Renter (5)", *req.LeadType)
	}
	for i, t := range req.LeadTypes {
		if !slices.Contains(LeadTypesValues, t) {
			add(fmt.Sprintf("leadTypes[%d]", i), "%d is not a lead type id: Other (-1), Seller (1), Buyer (2), Renter (5), Investor (6), Agent (7), Homeowner (8), Landlord (9)", t)
		}
	}
	if len(req.LeadFamilyMemberList) > 4 {
		add("leadFamilyMemberList", "you can add up to 4 family members (got %d)", len(req.LeadFamilyMemberList))
	}
	for i, m := range req.LeadFamilyMemberList {
		checkPhones(fmt.Sprintf("leadFamilyMemberList[%d].phones", i), m.Phones)
		if m.Birthday != "" && !validBirthday(m.Birthday) {
			add(fmt.Sprintf("leadFamilyMemberList[%d].birthday", i), "%q does not match pattern MMM d, yyyy", m.Birthday)
		}
		for j, e := range m.Emails {
			if !validEmail(strings.TrimSpace(e)) {
				add(fmt.Sprintf("leadFamilyMemberList[%d].emails[%d]", i, j), "%q is not a valid email address", e)
			}
		}
	}
	if req.AssignedUserID != nil {
		if _, ok := memberByUserID(*req.AssignedUserID); !ok {
			add("assignedUserId", "%d is not a member of the team", *req.AssignedUserID)
		}
	}
	return errs
}

func trimList(xs []string) []string {
	if xs == nil {
		return nil
	}
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func validationError(w http.ResponseWriter, errs []FieldError) string {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Field + ": " + e.Message
	}
	msg := strings.Join(msgs, "; ")
	writeError(w, http.StatusBadRequest, ErrCodeValidation, msg, errs)
	return msg
}

func (s *Server) handleCreateLead(w http.ResponseWriter, r *http.Request) {
	raw, keys, ok := s.readJSONObject(w, r)
	if !ok {
		return
	}
	if _, err := int64Param(r.URL.Query(), "hideVendorId"); err != nil {
		s.record(r, raw, http.StatusBadRequest, 0, err.Error())
		writeParamError(w, err)
		return
	}
	var req LeadRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		msg := "JSON parse error: " + err.Error()
		s.record(r, raw, http.StatusBadRequest, 0, msg)
		writeError(w, http.StatusBadRequest, ErrCodeInvalidBody, msg, nil)
		return
	}
	if errs := validateLead(&req, true); len(errs) > 0 {
		msg := validationError(w, errs)
		s.record(r, raw, http.StatusBadRequest, 0, msg)
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	st := s.st
	st.nextLead++
	rec := &leadRec{created: now, updated: now}
	rec.lead = Lead{LeadID: leadIDBase + st.nextLead, LeadUserID: leadUserIDBase + st.nextLead, TeamID: TeamID}
	s.applyLeadRequest(rec, &req, keys, now, true)
	st.leads = append(st.leads, rec)
	st.byID[rec.lead.LeadID] = rec
	id := rec.lead.LeadID
	if c := strings.TrimSpace(req.Content); c != "" {
		st.addNote(id, c, req.IsPin != nil && *req.IsPin, false, members[0], now)
	}
	if req.WelcomeEmail != nil && *req.WelcomeEmail && len(rec.lead.Emails) > 0 {
		st.nextEmail++
		st.emails = append(st.emails, Email{AgentID: OwnerUserID, Direction: "Outbound", EmailEventTime: fmtTime(now),
			EmailSubject: "Welcome to Harbour Lending", EmailType: "Auto", EventType: "Sent", ID: emailIDBase + st.nextEmail, LeadID: id})
		st.touch(id, "Outbound", now)
	}
	rec.render()
	s.mu.Unlock()
	s.record(r, raw, http.StatusOK, id, "")
	writeOK(w, id)
}

// applyLeadRequest copies a LeadRequest onto rec. On an edit only the keys
// present in the body are applied. The caller holds s.mu for writing.
func (s *Server) applyLeadRequest(rec *leadRec, req *LeadRequest, keys map[string]json.RawMessage, now time.Time, create bool) {
	st := s.st
	l := &rec.lead
	has := func(k string) bool {
		_, ok := keys[k]
		return ok
	}
	str := func(k string, dst *string, v string) {
		if create || has(k) {
			*dst = strings.TrimSpace(v)
		}
	}
	flag := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	str("firstName", &l.FirstName, req.FirstName)
	str("lastName", &l.LastName, req.LastName)
	str("birthday", &l.Birthday, req.Birthday)
	str("buyHouse", &l.BuyHouse, req.BuyHouse)
	str("buyingTimeFrame", &l.BuyingTimeFrame, req.BuyingTimeFrame)
	str("sellingTimeFrame", &l.SellingTimeFrame, req.SellingTimeFrame)
	str("city", &l.City, req.City)
	str("state", &l.State, req.State)
	str("streetAddress", &l.StreetAddress, req.StreetAddress)
	str("zipCode", &l.ZipCode, req.ZipCode)
	str("fthb", &l.Fthb, req.Fthb)
	str("houseToSell", &l.HouseToSell, req.HouseToSell)
	str("language", &l.Language, req.Language)
	str("mortgage", &l.Mortgage, req.Mortgage)
	str("preQual", &l.PreQual, req.PreQual)
	str("referredBy", &l.ReferredBy, req.ReferredBy)
	str("withBuyerAgent", &l.WithBuyerAgent, req.WithBuyerAgent)
	str("withListingAgent", &l.WithListingAgent, req.WithListingAgent)
	str("source", &l.Source, req.Source)
	if create && l.Source == "" {
		l.Source = "Open API"
	}
	if i := slices.Index(sources, l.Source); i >= 0 && l.Source != "" {
		l.LeadSource = int32(i + 1)
	} else if create || has("source") {
		l.LeadSource = 0
	}
	flag(&l.CannotCall, req.CannotCall)
	flag(&l.CannotEmail, req.CannotEmail)
	flag(&l.CannotText, req.CannotText)
	flag(&l.Unsubscription, req.Unsubscription)
	flag(&l.PrivateFlag, req.IsPrivate)
	if create || has("emails") {
		l.Emails = trimList(req.Emails)
		if l.Emails == nil {
			l.Emails = []string{}
		}
	}
	if create || has("phones") {
		l.Phones = trimList(req.Phones)
		if l.Phones == nil {
			l.Phones = []string{}
		}
		l.PhoneStatuses = make([]int32, len(l.Phones))
	}
	// Stage: an unknown name is ignored (a new lead gets the first stage).
	if create || has("stage") {
		old := l.Stage
		if sg, ok := st.stageByName(strings.TrimSpace(req.Stage)); ok {
			l.Stage, l.StageID = sg.Name, int64p(sg.ID)
		} else if create {
			l.Stage, l.StageID = st.stages[0].Name, int64p(st.stages[0].ID)
		}
		if !create && l.Stage != old {
			st.addNote(l.LeadID, st.stageNote(old, l.Stage), false, true, members[0], now)
		}
	}
	// Lead types.
	switch {
	case has("leadTypes") && req.LeadTypes != nil:
		l.LeadTypes = slices.Clone(req.LeadTypes)
	case req.LeadType != nil && *req.LeadType == 3:
		l.LeadTypes = []int32{1, 2}
	case req.LeadType != nil:
		l.LeadTypes = []int32{*req.LeadType}
	case create:
		l.LeadTypes = []int32{-1}
	}
	switch {
	case req.LeadType != nil:
		l.LeadType = *req.LeadType
	case create && len(l.LeadTypes) > 0 && slices.Contains(LeadTypeValues, l.LeadTypes[0]):
		l.LeadType = l.LeadTypes[0]
	case create:
		l.LeadType = -1
	}
	// Tags: tags replaces, tagsAdd adds.
	if create || has("tags") {
		l.Tags = []Tag{}
		for _, n := range trimList(req.Tags) {
			l.addTag(st, n, now)
		}
	}
	for _, n := range trimList(req.TagsAdd) {
		l.addTag(st, n, now)
	}
	// Segments (groups is the deprecated alias).
	if create || has("segments") || has("groups") {
		l.Segments = []string{}
		for _, n := range append(trimList(req.Segments), trimList(req.Groups)...) {
			if !anyFold(l.Segments, n) {
				l.Segments = append(l.Segments, n)
				st.segmentID(n)
			}
		}
		l.Groups = slices.Clone(l.Segments)
	}
	// Assignment.
	var assignee *Member
	if req.AssignedUserID != nil {
		m, _ := memberByUserID(*req.AssignedUserID)
		assignee = &m
	} else if create && req.LeadRouting != nil && *req.LeadRouting {
		var agents []Member
		for _, m := range members {
			if m.RoleName == "Agent" {
				agents = append(agents, m)
			}
		}
		m := agents[s.routing%len(agents)]
		s.routing++
		assignee = &m
	} else if create {
		m := members[0]
		assignee = &m
	}
	if assignee != nil {
		l.AssignedUserID, l.AssignedUser = int64p(assignee.MemberUserID), assignee.FirstName+" "+assignee.LastName
		l.AssignCompletionStatus = true
		l.PondID, l.PondName = nil, ""
		rec.assigned = now
	}
	if create || has("customAttributeList") {
		l.CustomAttributes = slices.Clone(req.CustomAttributeList)
		if l.CustomAttributes == nil {
			l.CustomAttributes = []CustomAttribute{}
		}
	}
	if create || has("leadFamilyMemberList") {
		l.LeadFamilyMemberList = slices.Clone(req.LeadFamilyMemberList)
		if l.LeadFamilyMemberList == nil {
			l.LeadFamilyMemberList = []FamilyMember{}
		}
	}
	if req.Inquiry != nil {
		inq := *req.Inquiry
		inq.ID, inq.LeadUserID = 7700000+l.LeadID%1000000, l.LeadUserID
		inq.CreateTime, inq.UpdateTime = fmtTime(now), fmtTime(now)
		l.LeadInquiry = &inq
	}
	if req.Property != nil {
		p := *req.Property
		p.ID, p.LeadUserID = 8800000+l.LeadID%1000000, l.LeadUserID
		l.LeadPropertyList = []Property{p}
	} else if create {
		l.LeadPropertyList = []Property{}
	}
	rec.updated = now
}

func (l *Lead) addTag(st *store, name string, now time.Time) {
	for _, t := range l.Tags {
		if strings.EqualFold(t.TagName, name) {
			return
		}
	}
	l.Tags = append(l.Tags, Tag{CreateTime: fmtTime(now), CreatorUserID: OwnerUserID, LeadID: l.LeadID,
		TagID: st.tagID(name), TagName: name, UpdateTime: fmtTime(now), VisibleType: 1})
}

func (st *store) addNote(leadID int64, content string, pin, system bool, by Member, now time.Time) Note {
	st.nextNote++
	st.nextTimeline++
	n := Note{Content: content, CreateTime: fmtTime(now), CreatorID: by.MemberUserID, CreatorName: by.FirstName + " " + by.LastName,
		ID: timelineIDBase + st.nextTimeline, IsPin: pin, LastEditorID: by.MemberUserID, LastEditorName: by.FirstName + " " + by.LastName,
		LastUpdate: fmtTime(now), LeadID: leadID, NoteID: noteIDBase + st.nextNote, SystemNote: system}
	st.notes = append(st.notes, n)
	return n
}

func (s *Server) handleEditLead(w http.ResponseWriter, r *http.Request, rawID string) {
	id, ok := parseID(rawID)
	if !ok {
		writeParamError(w, badParam("leadId: %q is not an integer", rawID))
		return
	}
	raw, keys, ok := s.readJSONObject(w, r)
	if !ok {
		return
	}
	var req LeadRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		msg := "JSON parse error: " + err.Error()
		s.record(r, raw, http.StatusBadRequest, 0, msg)
		writeError(w, http.StatusBadRequest, ErrCodeInvalidBody, msg, nil)
		return
	}
	// leadAlert, welcomeEmail and content are not part of EditLeadRequest.
	req.LeadAlert, req.WelcomeEmail, req.Content, req.LeadRouting = nil, nil, "", nil
	if errs := validateLead(&req, false); len(errs) > 0 {
		msg := validationError(w, errs)
		s.record(r, raw, http.StatusBadRequest, 0, msg)
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	rec := s.st.byID[id]
	if rec == nil || rec.deleted {
		s.mu.Unlock()
		s.record(r, raw, http.StatusNotFound, 0, "lead not found")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	s.applyLeadRequest(rec, &req, keys, now, false)
	rec.render()
	s.mu.Unlock()
	s.record(r, raw, http.StatusOK, id, "")
	writeOK(w, id)
}

func (s *Server) handleDeleteLead(w http.ResponseWriter, r *http.Request, rawID string) {
	id, ok := parseID(rawID)
	if !ok {
		writeParamError(w, badParam("leadId: %q is not an integer", rawID))
		return
	}
	if err := s.DeleteLead(id, r.URL.Query().Get("reason")); err != nil {
		s.record(r, nil, http.StatusNotFound, 0, err.Error())
		w.WriteHeader(http.StatusNotFound)
		return
	}
	s.record(r, nil, http.StatusOK, id, "")
	writeOK(w, id)
}
