package loftytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// --- request counters and rate limiting ---

// Requests is the number of HTTP requests received, counted before the fault
// injector, so it includes requests answered by injected faults, by the rate
// limiter (429) and by authentication (401).
func (s *Server) Requests() int { return int(s.requests.Load()) }

// Requests429 is the number of 429 responses sent, by the rate limiter or by
// Faults().Storm429.
func (s *Server) Requests429() int { return int(s.requests429.Load()) }

// ResetCounters zeroes Requests and Requests429.
func (s *Server) ResetCounters() {
	s.requests.Store(0)
	s.requests429.Store(0)
}

// SetRateWindow sets the rate-limit window (default DefaultRateWindow, one
// minute) and forgets every open window. The limits per window stay
// RateLimitNoVendorKey and RateLimitWithVendorKey calls, so tests can run
// e.g. 10 calls per 200 ms. d <= 0 turns rate limiting off: the sandbox is
// then an API without a limit and sends no X-RateLimit-* headers (headers
// announcing ten calls a window that is never enforced would make a client
// that paces itself by them crawl).
func (s *Server) SetRateWindow(d time.Duration) { s.limiter.setWindow(d) }

// RateWindow returns the current rate-limit window.
func (s *Server) RateWindow() time.Duration { return s.limiter.getWindow() }

// SetNestedLeads switches lead lists between the LeadListResponse schema
// ("leads": [LeadResponse...], the default) and the nesting of the document's
// pagination example ("leads": [{"lead": LeadResponse}...]).
func (s *Server) SetNestedLeads(on bool) {
	s.mu.Lock()
	s.nested = on
	s.mu.Unlock()
}

// SetMaxResultWindow bounds offset+limit on the lead searches (default
// DefaultMaxResultWindow); beyond it the search answers 400 and only scrollId
// pages further. n <= 0 removes the bound.
func (s *Server) SetMaxResultWindow(n int) {
	s.mu.Lock()
	s.maxWindow = n
	s.mu.Unlock()
}

// SetEndpointOff makes the account not serve an endpoint, given by its path
// under /v1.0 ("communication/call", "communication/email",
// "communication/text", "calls"): it answers 404 like any unknown path. The
// doc lists two endpoints for calls (GET /communication/call and GET
// /calls); an account may serve only one of them.
func (s *Server) SetEndpointOff(path string, off bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.off == nil {
		s.off = map[string]bool{}
	}
	s.off[strings.Trim(path, "/")] = off
}

// SetShortStageNotes makes the system notes of stage changes read "Stage
// changed to Y", without the stage left, as some Lofty accounts write them:
// the notes already there are rewritten and new ones follow. A connector
// must read both forms as status changes.
func (s *Server) SetShortStageNotes(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.shortStageNotes = on
	long := regexp.MustCompile(`^Stage changed from .* to (.*)$`)
	for i := range s.st.notes {
		n := &s.st.notes[i]
		if n.SystemNote && on {
			n.Content = long.ReplaceAllString(n.Content, "Stage changed to $1")
		}
	}
}

// UseAUPhones makes the account an Australian team's: every lead's phones
// become AU numbers written the national way, without a country code
// (0499 492 226), as such a team types them. The first lead with a phone
// gets exactly 0499 492 226. Times are not touched: the account was always
// like this. A connector must read these with phone_region AU, and must
// not turn them into US numbers (+10499492226) without it.
func (s *Server) UseAUPhones() {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, rec := range s.st.leads {
		for i := range rec.lead.Phones {
			x := (uint64(n)*2654435761 + 7) % 50000000
			d := fmt.Sprintf("%c%07d", "01236"[x/10000000], x%10000000) // 040x-043x, 046x: ranges in use
			p := "04" + d[:2] + " " + d[2:5] + " " + d[5:]
			if n == 0 {
				p = "0499 492 226"
			}
			rec.lead.Phones[i] = p
			n++
		}
		rec.render()
	}
}

// --- dataset accessors (deep copies) ---

func deepCopy[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// Leads returns deep copies of the leads the API lists (deleted leads
// excluded), in creation order.
func (s *Server) Leads() []Lead {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Lead, 0, len(s.st.leads))
	for _, rec := range s.st.leads {
		if !rec.deleted {
			out = append(out, rec.lead)
		}
	}
	return deepCopy(out)
}

// Lead returns a deep copy of one lead, deleted or not.
func (s *Server) Lead(id int64) (Lead, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec := s.st.byID[id]
	if rec == nil {
		return Lead{}, false
	}
	return deepCopy(rec.lead), true
}

// Activities returns a lead's activities newest first, as the API pages
// them.
func (s *Server) Activities(leadID int64) []Activity {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec := s.st.byID[leadID]
	if rec == nil {
		return nil
	}
	return deepCopy(sortedActivities(rec))
}

// Calls returns every call in id order.
func (s *Server) Calls() []Call {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.st.calls)
}

// Emails returns every email event in id order.
func (s *Server) Emails() []Email {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.st.emails)
}

// Texts returns every text in id order.
func (s *Server) Texts() []Text {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.st.texts)
}

// Notes returns every note (system notes included) in id order.
func (s *Server) Notes() []Note {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.st.notes)
}

// LogTypes returns every logged call/email/text in id order.
func (s *Server) LogTypes() []LogType {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.st.logTypes)
}

// Members returns the team members.
func (s *Server) Members() []Member { return slices.Clone(members) }

// Stages returns the team's user-defined stages in pipeline order.
func (s *Server) Stages() []Stage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.st.stages)
}

// Snapshot is a deep copy of the whole dataset.
type Snapshot struct {
	Leads      []Lead
	Activities map[int64][]Activity // by leadId, newest first
	Calls      []Call
	Emails     []Email
	Texts      []Text
	Notes      []Note
	LogTypes   []LogType
}

// Snapshot returns a deep copy of the dataset.
func (s *Server) Snapshot() Snapshot {
	snap := Snapshot{Leads: s.Leads(), Activities: map[int64][]Activity{}, Calls: s.Calls(), Emails: s.Emails(),
		Texts: s.Texts(), Notes: s.Notes(), LogTypes: s.LogTypes()}
	for _, l := range snap.Leads {
		snap.Activities[l.LeadID] = s.Activities(l.LeadID)
	}
	return snap
}

// --- mutations ---

func (s *Server) rec(id int64) (*leadRec, error) {
	rec := s.st.byID[id]
	if rec == nil || rec.deleted {
		return nil, fmt.Errorf("loftytest: lead %d not found", id)
	}
	return rec, nil
}

func (s *Server) clockNow() time.Time { return s.now().UTC().Truncate(time.Second) }

// Touch sets a lead's lastUpdateTime to at (truncated to the second), so
// incremental tests can place a lead precisely around the UTC-7 boundary.
func (s *Server) Touch(leadID int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.rec(leadID)
	if err != nil {
		return err
	}
	rec.updated = at.UTC().Truncate(time.Second)
	rec.render()
	return nil
}

// UpdateLead changes a lead as the vendor would: fn edits the lead, then
// lastUpdateTime becomes the sandbox clock's now. fn must not change leadId;
// time fields are re-rendered from the sandbox's bookkeeping (use Touch to
// set lastUpdateTime). A changed stage name that names a known stage also
// updates stageId.
func (s *Server) UpdateLead(leadID int64, fn func(*Lead)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.rec(leadID)
	if err != nil {
		return err
	}
	old := rec.lead.Stage
	fn(&rec.lead)
	rec.lead.LeadID = leadID
	if rec.lead.Stage != old {
		if sg, ok := s.st.stageByName(rec.lead.Stage); ok {
			rec.lead.StageID = int64p(sg.ID)
		}
	}
	rec.updated = s.clockNow()
	rec.render()
	return nil
}

// SetStage moves a lead to one of the team's stages (see Stages): stage and
// stageId change, lastUpdateTime becomes now and a system note "Stage changed
// from X to Y" is added to the lead's notes.
func (s *Server) SetStage(leadID int64, stage string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.rec(leadID)
	if err != nil {
		return err
	}
	sg, ok := s.st.stageByName(stage)
	if !ok {
		return fmt.Errorf("loftytest: no stage %q", stage)
	}
	now := s.clockNow()
	old := rec.lead.Stage
	rec.lead.Stage, rec.lead.StageID = sg.Name, int64p(sg.ID)
	s.st.addNote(leadID, s.st.stageNote(old, sg.Name), false, true, members[0], now)
	rec.updated = now
	rec.render()
	return nil
}

// SetStatus is SetStage with the lead id as a string, the shape shared by
// every sandbox.
func (s *Server) SetStatus(id, status string) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("loftytest: lead id %q: %w", id, err)
	}
	return s.SetStage(n, status)
}

// AddActivity adds an activity to a lead (created defaults to now); the
// lead's lastVisit and lastUpdateTime become now.
func (s *Server) AddActivity(leadID int64, a Activity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.rec(leadID)
	if err != nil {
		return err
	}
	now := s.clockNow()
	if a.Created == 0 {
		a.Created = now.UnixMilli()
	}
	a = deepCopy(a)
	rec.activities = append(rec.activities, a)
	if t := time.UnixMilli(a.Created).UTC(); t.After(rec.lastVisit) {
		rec.lastVisit = t.Truncate(time.Second)
	}
	rec.updated = now
	rec.render()
	return nil
}

// bumpComm records a communication at t: outbound ones make the lead
// contacted and move lastTouch; every one moves lastUpdateTime to now.
func (s *Server) bumpComm(rec *leadRec, direction string, t time.Time) {
	s.st.touch(rec.lead.LeadID, direction, t)
	rec.updated = s.clockNow()
	rec.render()
}

func orNow(ts string, now time.Time) (string, time.Time) {
	if t, err := time.Parse(time.RFC3339, ts); err == nil {
		return fmtTime(t), t.UTC()
	}
	return fmtTime(now), now
}

// AddCall adds a call to a lead and returns its id. Empty time fields
// default to now; Direction defaults to Outbound.
func (s *Server) AddCall(leadID int64, c Call) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.rec(leadID)
	if err != nil {
		return 0, err
	}
	now := s.clockNow()
	var at time.Time
	c.CreateTime, at = orNow(c.CreateTime, now)
	c.StartTime, _ = orNow(c.StartTime, at)
	c.EndTime, _ = orNow(c.EndTime, at.Add(time.Duration(c.Duration)*time.Second))
	c.UpdateTime, _ = orNow(c.UpdateTime, at)
	if c.Direction == "" {
		c.Direction = "Outbound"
	}
	s.st.nextCall++
	c.ID, c.LeadID = callIDBase+s.st.nextCall, leadID
	s.st.calls = append(s.st.calls, c)
	s.bumpComm(rec, c.Direction, at)
	return c.ID, nil
}

// AddEmail adds an email event to a lead and returns its id.
func (s *Server) AddEmail(leadID int64, e Email) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.rec(leadID)
	if err != nil {
		return 0, err
	}
	var at time.Time
	e.EmailEventTime, at = orNow(e.EmailEventTime, s.clockNow())
	if e.Direction == "" {
		e.Direction = "Outbound"
	}
	s.st.nextEmail++
	e.ID, e.LeadID = emailIDBase+s.st.nextEmail, leadID
	s.st.emails = append(s.st.emails, e)
	s.bumpComm(rec, e.Direction, at)
	return e.ID, nil
}

// AddText adds a text to a lead and returns its id.
func (s *Server) AddText(leadID int64, t Text) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.rec(leadID)
	if err != nil {
		return 0, err
	}
	var at time.Time
	t.TextTime, at = orNow(t.TextTime, s.clockNow())
	if t.Direction == "" {
		t.Direction = "Outbound"
	}
	s.st.nextText++
	t.ID, t.LeadID = textIDBase+s.st.nextText, leadID
	s.st.texts = append(s.st.texts, t)
	s.bumpComm(rec, t.Direction, at)
	return t.ID, nil
}

// AddNote adds a note (a system note when system is true) by the token's
// user and returns its noteId.
func (s *Server) AddNote(leadID int64, content string, system bool) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.rec(leadID)
	if err != nil {
		return 0, err
	}
	now := s.clockNow()
	n := s.st.addNote(leadID, content, false, system, members[0], now)
	rec.updated = now
	rec.render()
	return n.NoteID, nil
}

// DeleteLead moves a lead to the trash: it leaves every list and GET
// /v1.0/leads/{id} answers 404 unless withTrash=true.
func (s *Server) DeleteLead(leadID int64, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.rec(leadID)
	if err != nil {
		return err
	}
	now := s.clockNow()
	rec.deleted, rec.deletedAt, rec.reason = true, now, reason
	rec.updated = now
	rec.render()
	return nil
}

// InjectUnknownValues puts undocumented values (the Unknown* constants) into
// a few records in the middle of the dataset: a stage that is not one of
// Stages(), leadType 4 and leadTypes 10, a call direction and calling
// outcome, an email eventType and emailType, a text type, outcome and
// direction, a logType direction and outcome, and an activity type. Update
// times do not change.
func (s *Server) InjectUnknownValues() {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	mid := func(n int) (int, int, bool) { return n / 2, min(n/2+1, n-1), n > 0 }
	if a, b, ok := mid(len(st.leads)); ok {
		la := &st.leads[a].lead
		la.Stage, la.StageID = UnknownStageName, int64p(UnknownStageID)
		lb := &st.leads[b].lead
		lb.LeadType = UnknownLeadType
		if !slices.Contains(lb.LeadTypes, UnknownLeadTypesValue) {
			lb.LeadTypes = append(lb.LeadTypes, UnknownLeadTypesValue)
		}
		acts := st.leads[a].activities
		if len(acts) == 0 {
			st.leads[a].activities = append(acts, Activity{Created: st.leads[a].created.UnixMilli(), Type: UnknownActivityType})
		} else {
			acts[0].Type = UnknownActivityType
		}
	}
	if a, b, ok := mid(len(st.calls)); ok {
		st.calls[a].Direction = UnknownDirection
		st.calls[b].CallingOutcome = UnknownCallingOutcome
	}
	if a, b, ok := mid(len(st.emails)); ok {
		st.emails[a].EventType = UnknownEmailEventType
		st.emails[b].EmailType = UnknownEmailType
	}
	if a, b, ok := mid(len(st.texts)); ok {
		st.texts[a].TextType, st.texts[a].TextOutcome = UnknownTextType, UnknownTextOutcome
		st.texts[b].Direction = UnknownDirection
	}
	if a, _, ok := mid(len(st.logTypes)); ok {
		st.logTypes[a].OutboundOrInbound = UnknownDirection
		st.logTypes[a].CallingOutcome = UnknownCallingOutcome
	}
}

// --- recorded writes ---

// Received returns every write request that reached the API (POST/PUT/DELETE
// on leads, activities and notes), accepted or rejected, in arrival order.
func (s *Server) Received() []Submission {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Submission, len(s.received))
	for i, sub := range s.received {
		sub.Raw = slices.Clone(sub.Raw)
		sub.Body = nil
		_ = json.Unmarshal(sub.Raw, &sub.Body)
		sub.Query = cloneValues(sub.Query)
		out[i] = sub
	}
	return out
}

func cloneValues(v map[string][]string) map[string][]string {
	out := make(map[string][]string, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func isCreate(sub Submission) bool {
	return sub.Method == http.MethodPost && sub.Path == BasePath+"/leads" && sub.Status == http.StatusOK
}

// Creates returns the accepted POST /v1.0/leads requests.
func (s *Server) Creates() []Submission {
	return slices.DeleteFunc(s.Received(), func(sub Submission) bool { return !isCreate(sub) })
}

// CreateCount is the number of leads created through the API.
func (s *Server) CreateCount() int { return len(s.Creates()) }

// CreatesByEmail counts the leads created through the API per e-mail address
// (lower-cased, trimmed; every address of a lead counts; a lead without
// e-mail counts under ""). A value above 1 is a duplicate push.
func (s *Server) CreatesByEmail() map[string]int {
	out := map[string]int{}
	for _, sub := range s.Creates() {
		var emails []string
		seen := map[string]bool{}
		if list, ok := sub.Body["emails"].([]any); ok {
			for _, e := range list {
				if str, ok := e.(string); ok && strings.TrimSpace(str) != "" {
					if k := strings.ToLower(strings.TrimSpace(str)); !seen[k] {
						seen[k] = true
						emails = append(emails, k)
					}
				}
			}
		}
		if len(emails) == 0 {
			emails = []string{""}
		}
		for _, e := range emails {
			out[e]++
		}
	}
	return out
}

// CreatesFor is the number of leads created through the API carrying email.
func (s *Server) CreatesFor(email string) int {
	return s.CreatesByEmail()[strings.ToLower(strings.TrimSpace(email))]
}
