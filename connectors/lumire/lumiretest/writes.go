package lumiretest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// normalizeJSON turns json.Number into float64 (what encoding/json gives
// for numbers decoded into any), deep-copying maps and slices.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeJSON(e)
		}
		return out
	}
	return v
}

func normalizeBody(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	return normalizeJSON(m).(map[string]any)
}

// recordLocked appends a Submission; s.mu must be held for writing.
func (s *Server) recordLocked(route string, r *http.Request, body map[string]any, raw []byte, status int, id string) {
	s.received = append(s.received, Submission{
		Route:  route,
		Method: r.Method,
		Path:   r.URL.Path,
		Body:   normalizeBody(body),
		Raw:    append([]byte(nil), raw...),
		Time:   s.clock(),
		Status: status,
		ID:     id,
	})
}

func (s *Server) record(route string, r *http.Request, body map[string]any, raw []byte, status int, id string) {
	s.mu.Lock()
	s.recordLocked(route, r, body, raw, status, id)
	s.mu.Unlock()
}

// reject records and answers an error.
func (s *Server) reject(w http.ResponseWriter, route string, r *http.Request, body map[string]any, raw []byte,
	status int, message any) {
	s.record(route, r, body, raw, status, "")
	writeError(w, status, message)
}

// userExistsLocked reports whether id is a team member of the tenant.
func (s *Server) userExistsLocked(id string) bool {
	return slices.ContainsFunc(s.users, func(u User) bool { return u.ID == id })
}

// addActivityLocked stores a new activity.
func (s *Server) addActivityLocked(a *Activity) {
	s.activities.insert(a)
	if a.LeadID != nil {
		acts := s.actByLead[*a.LeadID]
		i, _ := slices.BinarySearchFunc(acts, a, func(x, y *Activity) int {
			if keyLess(x.OccurredAt.Time, x.ID, y.OccurredAt.Time, y.ID) {
				return -1
			}
			if x.ID == y.ID {
				return 0
			}
			return 1
		})
		s.actByLead[*a.LeadID] = slices.Insert(acts, i, a)
	}
}

func (s *Server) statusActivityLocked(l *Lead, from, to string, now time.Time, by *string) {
	subj := fmt.Sprintf("Status changed from %s to %s", from, to)
	s.addActivityLocked(&Activity{
		ID: newUUID(s.idRand), LeadID: &l.ID, TraderID: cloneStr(l.ConvertedTraderID), Kind: "status_change",
		Subject: &subj, OccurredAt: TS(now), CreatedByID: cloneStr(by), CreatedAt: TS(now),
	})
}

func (s *Server) stageForStatus(status string) *string {
	idx := map[string]int{"new": 0, "contacted": 1, "qualified": 2, "unqualified": 4, "converted": 3, "lost": 4}
	i, ok := idx[status]
	if !ok || i >= len(s.pipeline.Stages) {
		return nil
	}
	id := s.pipeline.Stages[i].ID
	return &id
}

func (s *Server) stageExists(id string) bool {
	return slices.ContainsFunc(s.pipeline.Stages, func(st PipelineStage) bool { return st.ID == id })
}

var leadFields = []string{"email", "phone", "firstName", "lastName", "country", "source", "assignedToId", "score",
	"metadata"}

// createLead implements POST /v1/sales/leads.
func (s *Server) createLead(w http.ResponseWriter, r *http.Request, _ []string, p *principal) {
	const route = RouteCreateLead
	body, raw, err := decodeObject(r)
	if err != nil {
		s.reject(w, route, r, nil, raw, http.StatusBadRequest, err.Error())
		return
	}
	v := newValidator(body, leadFields...)
	email := v.email("email", true)
	phone := v.phone("phone")
	first := v.str("firstName", false, 100)
	last := v.str("lastName", false, 100)
	country := v.country("country")
	source := v.str("source", false, 100)
	assigned := v.uuid("assignedToId", false)
	score := v.integer("score", 0, 100)
	meta, _ := v.object("metadata")
	if errs := v.finish(); len(errs) > 0 {
		s.reject(w, route, r, body, raw, http.StatusBadRequest, errs)
		return
	}
	s.mu.Lock()
	if assigned != nil && !s.userExistsLocked(*assigned) {
		s.recordLocked(route, r, body, raw, http.StatusBadRequest, "")
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "assignedToId is not a member of this tenant")
		return
	}
	now := s.clock()
	if meta == nil {
		meta = map[string]any{}
	}
	l := &Lead{
		ID: newUUID(s.idRand), Email: *email, Phone: phone, FirstName: first, LastName: last, Country: country,
		Source: source, AssignedToID: assigned, Score: score, Status: "new", PipelineStageID: s.stageForStatus("new"),
		Metadata: normalizeBody(meta), CreatedAt: TS(now), UpdatedAt: TS(now),
	}
	s.leads.insert(l)
	s.recordLocked(route, r, body, raw, http.StatusCreated, l.ID)
	b, err := json.Marshal(s.leadDetail(l))
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	writeRaw(w, http.StatusCreated, "application/json; charset=utf-8", b)
}

// updateLead implements PATCH /v1/sales/leads/{id}. A property sent as null
// clears it.
func (s *Server) updateLead(w http.ResponseWriter, r *http.Request, params []string, p *principal) {
	const route = RouteUpdateLead
	body, raw, err := decodeObject(r)
	if err != nil {
		s.reject(w, route, r, nil, raw, http.StatusBadRequest, err.Error())
		return
	}
	if !isUUID(params[0]) {
		s.reject(w, route, r, body, raw, http.StatusBadRequest, "Validation failed (uuid is expected)")
		return
	}
	v := newValidator(body, append(slices.Clone(leadFields), "status", "pipelineStageId")...)
	if x, ok := body["email"]; ok && x == nil {
		v.addf("email should not be empty")
	}
	email := v.email("email", false)
	phone := v.phone("phone")
	first := v.str("firstName", false, 100)
	last := v.str("lastName", false, 100)
	country := v.country("country")
	source := v.str("source", false, 100)
	assigned := v.uuid("assignedToId", false)
	score := v.integer("score", 0, 100)
	meta, _ := v.object("metadata")
	status := v.enum("status", false, append(slices.Clone(LeadStatuses), RareLeadStatuses...))
	stage := v.str("pipelineStageId", false, 100)
	if errs := v.finish(); len(errs) > 0 {
		s.reject(w, route, r, body, raw, http.StatusBadRequest, errs)
		return
	}
	if status != nil && *status == "converted" {
		s.reject(w, route, r, body, raw, http.StatusBadRequest,
			"Leads are converted with POST /v1/sales/leads/{id}/convert")
		return
	}
	s.mu.Lock()
	l := s.leads.get(strings.ToLower(params[0]))
	fail := func(status int, msg string) {
		s.recordLocked(route, r, body, raw, status, "")
		s.mu.Unlock()
		writeError(w, status, msg)
	}
	switch {
	case l == nil:
		fail(http.StatusNotFound, "Lead not found")
		return
	case assigned != nil && !s.userExistsLocked(*assigned):
		fail(http.StatusBadRequest, "assignedToId is not a member of this tenant")
		return
	case stage != nil && !s.stageExists(*stage):
		fail(http.StatusBadRequest, "pipelineStageId is not a stage of a sales pipeline")
		return
	}
	set := func(dst **string, name string, val *string) {
		if _, ok := body[name]; ok {
			*dst = val
		}
	}
	if email != nil {
		l.Email = *email
	}
	set(&l.Phone, "phone", phone)
	set(&l.FirstName, "firstName", first)
	set(&l.LastName, "lastName", last)
	set(&l.Country, "country", country)
	set(&l.Source, "source", source)
	set(&l.AssignedToID, "assignedToId", assigned)
	set(&l.PipelineStageID, "pipelineStageId", stage)
	if _, ok := body["score"]; ok {
		l.Score = score
	}
	if _, ok := body["metadata"]; ok {
		l.Metadata = normalizeBody(meta)
	}
	now := s.clock()
	if status != nil && *status != l.Status {
		old := l.Status
		l.Status = *status
		if stage == nil {
			if st := s.stageForStatus(*status); st != nil {
				l.PipelineStageID = st
			}
		}
		s.statusActivityLocked(l, old, *status, now, &p.user.ID)
	}
	l.UpdatedAt = TS(now)
	s.recordLocked(route, r, body, raw, http.StatusOK, l.ID)
	b, err := json.Marshal(s.leadDetail(l))
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	writeRaw(w, http.StatusOK, "application/json; charset=utf-8", b)
}

// convertLead implements POST /v1/sales/leads/{id}/convert: the lead
// becomes a trader (an existing trader with the same email is linked
// instead of creating a duplicate).
func (s *Server) convertLead(w http.ResponseWriter, r *http.Request, params []string, p *principal) {
	const route = RouteConvertLead
	body, raw, err := decodeObject(r)
	if err != nil {
		body = nil
	}
	if !isUUID(params[0]) {
		s.reject(w, route, r, body, raw, http.StatusBadRequest, "Validation failed (uuid is expected)")
		return
	}
	s.mu.Lock()
	l := s.leads.get(strings.ToLower(params[0]))
	if l == nil {
		s.recordLocked(route, r, body, raw, http.StatusNotFound, "")
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Lead not found")
		return
	}
	if l.ConvertedTraderID != nil {
		s.recordLocked(route, r, body, raw, http.StatusConflict, "")
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "Lead already converted")
		return
	}
	now := s.clock()
	var t *Trader
	for _, x := range s.traders.items {
		if strings.EqualFold(x.Email, l.Email) {
			t = x
			break
		}
	}
	if t == nil {
		t = &Trader{
			ID: newUUID(s.idRand), Email: l.Email, Phone: cloneStr(l.Phone), FirstName: cloneStr(l.FirstName),
			LastName: cloneStr(l.LastName), Country: cloneStr(l.Country), Segments: []string{},
			Source: cloneStr(l.Source), AssignedToID: cloneStr(l.AssignedToID), KYCStatus: "not_started",
			LeadID: &l.ID, Metadata: map[string]any{"convertedFromLeadId": l.ID},
			CreatedAt: TS(now), UpdatedAt: TS(now),
		}
		s.traders.insert(t)
	}
	old := l.Status
	l.Status = "converted"
	l.ConvertedTraderID = &t.ID
	l.ConvertedAt = tsPtr(now)
	l.PipelineStageID = s.stageForStatus("converted")
	l.UpdatedAt = TS(now)
	s.statusActivityLocked(l, old, "converted", now, &p.user.ID)
	s.recordLocked(route, r, body, raw, http.StatusCreated, t.ID)
	b, err := json.Marshal(map[string]any{"lead": s.leadDetail(l), "trader": t})
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	writeRaw(w, http.StatusCreated, "application/json; charset=utf-8", b)
}

// createActivity implements POST /v1/sales/activities.
func (s *Server) createActivity(w http.ResponseWriter, r *http.Request, _ []string, p *principal) {
	const route = RouteCreateActivity
	body, raw, err := decodeObject(r)
	if err != nil {
		s.reject(w, route, r, nil, raw, http.StatusBadRequest, err.Error())
		return
	}
	v := newValidator(body, "leadId", "traderId", "kind", "subject", "body", "occurredAt")
	lead := v.uuid("leadId", false)
	trader := v.uuid("traderId", false)
	if !v.has("leadId") && !v.has("traderId") {
		v.addf("leadId or traderId must be provided")
	}
	kind := v.enum("kind", true, ActivityKinds)
	subject := v.str("subject", false, 200)
	text := v.str("body", false, 10000)
	occurred := v.isoTime("occurredAt")
	if errs := v.finish(); len(errs) > 0 {
		s.reject(w, route, r, body, raw, http.StatusBadRequest, errs)
		return
	}
	s.mu.Lock()
	fail := func(status int, msg string) {
		s.recordLocked(route, r, body, raw, status, "")
		s.mu.Unlock()
		writeError(w, status, msg)
	}
	if lead != nil && s.leads.get(*lead) == nil {
		fail(http.StatusNotFound, "Lead not found")
		return
	}
	if trader != nil && s.traders.get(*trader) == nil {
		fail(http.StatusNotFound, "Trader not found")
		return
	}
	now := s.clock()
	at := now
	if occurred != nil {
		at = *occurred
	}
	a := &Activity{
		ID: newUUID(s.idRand), LeadID: lead, TraderID: trader, Kind: *kind, Subject: subject, Body: text,
		OccurredAt: TS(at), CreatedByID: &p.user.ID, CreatedAt: TS(now),
	}
	s.addActivityLocked(a)
	s.recordLocked(route, r, body, raw, http.StatusCreated, a.ID)
	b, err := json.Marshal(a)
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	writeRaw(w, http.StatusCreated, "application/json; charset=utf-8", b)
}

// createTransaction implements POST /v1/transactions.
func (s *Server) createTransaction(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	const route = RouteCreateTransaction
	body, raw, err := decodeObject(r)
	if err != nil {
		s.reject(w, route, r, nil, raw, http.StatusBadRequest, err.Error())
		return
	}
	v := newValidator(body, "traderId", "accountId", "kind", "status", "amount", "currency", "reference",
		"description", "externalId", "occurredAt", "metadata")
	trader := v.uuid("traderId", true)
	account := v.uuid("accountId", false)
	kind := v.enum("kind", true, TransactionKinds)
	status := v.enum("status", false, TransactionStatuses)
	amount := v.decimal("amount", true, kind != nil && *kind == "adjustment")
	currency := v.currency("currency", true)
	reference := v.str("reference", false, 100)
	description := v.str("description", false, 500)
	external := v.str("externalId", false, 100)
	occurred := v.isoTime("occurredAt")
	meta, _ := v.object("metadata")
	if errs := v.finish(); len(errs) > 0 {
		s.reject(w, route, r, body, raw, http.StatusBadRequest, errs)
		return
	}
	s.mu.Lock()
	fail := func(status int, msg string) {
		s.recordLocked(route, r, body, raw, status, "")
		s.mu.Unlock()
		writeError(w, status, msg)
	}
	if s.traders.get(*trader) == nil {
		fail(http.StatusNotFound, "Trader not found")
		return
	}
	if account != nil {
		a := s.accounts.get(*account)
		if a == nil {
			fail(http.StatusNotFound, "Account not found")
			return
		}
		if a.TraderID != *trader {
			fail(http.StatusBadRequest, "Account does not belong to trader")
			return
		}
	}
	if external != nil && *external != "" {
		if _, dup := s.txByExternal[*external]; dup {
			fail(http.StatusConflict, fmt.Sprintf("Transaction with externalId %q already exists", *external))
			return
		}
	}
	now := s.clock()
	at := now
	if occurred != nil {
		at = *occurred
	}
	st := "pending"
	if status != nil {
		st = *status
	}
	if meta == nil {
		meta = map[string]any{}
	}
	t := &Transaction{
		ID: newUUID(s.idRand), TraderID: *trader, AccountID: account, Kind: *kind, Status: st, Amount: *amount,
		Currency: *currency, Reference: reference, Description: description, ExternalID: external,
		OccurredAt: TS(at), Metadata: normalizeBody(meta), CreatedAt: TS(now), UpdatedAt: TS(now),
	}
	s.transactions.insert(t)
	if external != nil && *external != "" {
		s.txByExternal[*external] = t.ID
	}
	s.recordLocked(route, r, body, raw, http.StatusCreated, t.ID)
	b, err := json.Marshal(t)
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	writeRaw(w, http.StatusCreated, "application/json; charset=utf-8", b)
}
