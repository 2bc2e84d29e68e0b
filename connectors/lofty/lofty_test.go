package lofty_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/connectortest"
	"github.com/leadpipe/leadpipe/connectors/lofty"
	"github.com/leadpipe/leadpipe/connectors/lofty/loftytest"
	"github.com/leadpipe/leadpipe/schema"
)

// The documented values, copied from lofty.txt. A value added here without a
// mapping fails the tests.
var (
	documentedLeadTypes  = []int32{-1, 1, 2, 3, 5}          // LeadRequest.leadType
	documentedLeadTypesN = []int32{-1, 1, 2, 5, 6, 7, 8, 9} // leadTypes
	documentedDirections = []string{"Outbound", "Inbound"}  // "Outbound or Inbound"
	documentedOutcomes   = []string{"Talked", "VoiceMessage", "NoAnswer", "BadNumber", "DNCNumber", "DNCContact"}
	documentedEmailEvent = []string{"Sent", "Opened", "Bounced"} // EmailResponse.eventType
	documentedEmailTypes = []string{"Manual", "Auto"}            // emailType, textType
	documentedLogTypes   = []string{"logCall", "logEmail", "logText"}
)

func TestEveryDocumentedValueIsMapped(t *testing.T) {
	for _, v := range documentedLeadTypes {
		if _, ok := lofty.LeadTypeNames[v]; !ok {
			t.Errorf("leadType %d has no name", v)
		}
	}
	for _, v := range documentedLeadTypesN {
		if _, ok := lofty.LeadTypesNames[v]; !ok {
			t.Errorf("leadTypes %d has no name", v)
		}
	}
	for _, d := range documentedDirections {
		if _, ok := lofty.DirectionMap[strings.ToLower(d)]; !ok {
			t.Errorf("direction %s is not mapped", d)
		}
	}
	for _, o := range documentedOutcomes {
		if !slices.Contains(lofty.CallingOutcomes, o) {
			t.Errorf("calling outcome %s is not known", o)
		}
	}
	for _, v := range documentedEmailEvent {
		if !slices.Contains(lofty.EmailEventTypes, v) {
			t.Errorf("email eventType %s is not known", v)
		}
	}
	for _, v := range documentedEmailTypes {
		if !slices.Contains(lofty.EmailTypes, v) || !slices.Contains(lofty.TextTypes, v) {
			t.Errorf("email/text type %s is not known", v)
		}
	}
	for _, v := range documentedLogTypes {
		if _, ok := lofty.LogTypeMap[v]; !ok {
			t.Errorf("logType %s is not mapped", v)
		}
	}
	canonical := map[string]bool{}
	for _, s := range schema.Statuses {
		canonical[s] = true
	}
	for stage, s := range lofty.DefaultStageMap {
		if !canonical[s] {
			t.Errorf("stage %s maps to %q, not a canonical status", stage, s)
		}
	}
	events := map[string]bool{}
	for _, s := range schema.EventTypes {
		events[s] = true
	}
	for typ, e := range lofty.ActivityTypeMap {
		if !events[e] {
			t.Errorf("activity type %s maps to %q, not a canonical event type", typ, e)
		}
	}
	if s := lofty.UnknownStatus; s == schema.StatusFunded || s == schema.StatusApproved || s == schema.StatusDeclined {
		t.Errorf("unknown stages map to %s", s)
	}
	// The sandbox was written from the same document by someone else: its
	// vocabularies must agree with ours.
	for _, v := range loftytest.LeadTypeValues {
		if _, ok := lofty.LeadTypeNames[v]; !ok {
			t.Errorf("sandbox leadType %d has no name", v)
		}
	}
	for _, v := range loftytest.LeadTypesValues {
		if _, ok := lofty.LeadTypesNames[v]; !ok {
			t.Errorf("sandbox leadTypes %d has no name", v)
		}
	}
	for _, v := range loftytest.CallingOutcomes {
		if !slices.Contains(lofty.CallingOutcomes, v) {
			t.Errorf("sandbox calling outcome %s is not known", v)
		}
	}
	for _, v := range loftytest.EmailEventTypes {
		if !slices.Contains(lofty.EmailEventTypes, v) {
			t.Errorf("sandbox email eventType %s is not known", v)
		}
	}
	for _, v := range loftytest.ActivityTypes {
		if _, ok := lofty.ActivityTypeMap[v]; !ok {
			t.Errorf("sandbox activity type %s is not mapped", v)
		}
	}
	for _, v := range loftytest.LogTypeKinds {
		if _, ok := lofty.LogTypeMap[v]; !ok {
			t.Errorf("sandbox logType %s is not mapped", v)
		}
	}
}

// truth counts what a full read of the default sources must emit.
type truth struct {
	leads, activities, calls, emails, texts, notes int
}

func (tr truth) events() int { return tr.activities + tr.calls + tr.emails + tr.texts + tr.notes }

func sandboxTruth(e *env) truth {
	snap := e.srv.Snapshot()
	tr := truth{leads: len(snap.Leads), calls: len(snap.Calls), emails: len(snap.Emails), texts: len(snap.Texts)}
	for _, acts := range snap.Activities {
		tr.activities += len(acts)
	}
	for _, n := range snap.Notes {
		if !n.DeleteFlag {
			tr.notes++
		}
	}
	return tr
}

func countTypes(evs []schema.Event) map[string]int {
	out := map[string]int{}
	for _, e := range evs {
		var a map[string]any
		_ = json.Unmarshal([]byte(e.Attributes), &a)
		out[fmt.Sprint(a["source"])]++
	}
	return out
}

func TestFullReadMatchesTheSandbox(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		size     int
		extra    string
		nested   bool
		noScroll bool
	}{
		{"default pages", 150, "", false, false},
		{"small pages", 40, "page_size: 7\ncomm_page_size: 13\nconcurrency: 3", false, false},
		{"page size divides the total", 40, "page_size: 10\ncomm_page_size: 50", false, false},
		{"nested leads as in the pagination example", 30, "page_size: 8", true, false},
		{"offset paging without scrollId", 45, "page_size: 10", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, tc.size)
			e.srv.SetNestedLeads(tc.nested)
			e.noScrol = tc.noScroll
			res := e.read(t, e.config(t, tc.extra), nil)
			tr := sandboxTruth(e)
			if len(res.Batch.Leads) != tr.leads {
				t.Fatalf("leads: got %d, sandbox has %d", len(res.Batch.Leads), tr.leads)
			}
			types := countTypes(res.Batch.Events)
			want := map[string]int{"activities": tr.activities, "calls": tr.calls, "emails": tr.emails, "texts": tr.texts, "notes": tr.notes}
			for k, n := range want {
				if types[k] != n {
					t.Errorf("%s events: got %d, sandbox has %d", k, types[k], n)
				}
			}
			seen := map[string]bool{}
			for _, ev := range res.Batch.Events {
				if seen[ev.EventUID] {
					t.Fatalf("event %s emitted twice", ev.EventUID)
				}
				seen[ev.EventUID] = true
				if !ev.OccurredAt.Valid || !strings.HasPrefix(ev.LeadUID, "lofty:") {
					t.Errorf("event %s: occurred_at %v lead %q", ev.EventUID, ev.OccurredAt, ev.LeadUID)
				}
			}
			byID := map[string]schema.Lead{}
			for _, l := range res.Batch.Leads {
				if _, dup := byID[l.VendorLeadID]; dup {
					t.Fatalf("lead %s emitted twice", l.VendorLeadID)
				}
				byID[l.VendorLeadID] = l
			}
			for _, w := range e.srv.Leads() {
				l, ok := byID[fmt.Sprint(w.LeadID)]
				if !ok {
					t.Fatalf("lead %d missing", w.LeadID)
				}
				checkLead(t, w, l)
			}
			for _, c := range []string{"leads", "events"} {
				if res.Cursors[c] == "" {
					t.Errorf("no cursor for %s", c)
				}
			}
			if res.HTTP.RateLimited != 0 {
				t.Errorf("%d 429s", res.HTTP.RateLimited)
			}
		})
	}
}

// checkLead compares one canonical lead with the sandbox's LeadResponse.
func checkLead(t *testing.T, w loftytest.Lead, l schema.Lead) {
	t.Helper()
	if l.LeadUID != fmt.Sprintf("lofty:%d", w.LeadID) || l.VendorStatus != w.Stage {
		t.Errorf("lead %d: uid %s vendor_status %q (stage %q)", w.LeadID, l.LeadUID, l.VendorStatus, w.Stage)
	}
	wantStatus := lofty.UnknownStatus
	if s, ok := lofty.DefaultStageMap[w.Stage]; ok {
		wantStatus = s
	}
	if l.Status != wantStatus {
		t.Errorf("lead %d: stage %q gave status %s, want %s", w.LeadID, w.Stage, l.Status, wantStatus)
	}
	created, _ := time.Parse(time.RFC3339, w.CreateTime)
	updated, _ := time.Parse(time.RFC3339, w.LastUpdateTime)
	if !l.CreatedAt.Time().Equal(created) || !l.UpdatedAt.Time().Equal(updated) {
		t.Errorf("lead %d: created %s updated %s, want %s %s", w.LeadID, l.CreatedAt, l.UpdatedAt, created, updated)
	}
	// The first e-mail and phone are the canonical ones; the rest stay.
	var attrs map[string]any
	if err := json.Unmarshal([]byte(l.Attributes), &attrs); err != nil {
		t.Fatalf("lead %d attributes: %v", w.LeadID, err)
	}
	if len(w.Emails) > 0 {
		if l.Email != strings.ToLower(strings.TrimSpace(w.Emails[0])) {
			t.Errorf("lead %d: email %q, want the first of %v lower-cased", w.LeadID, l.Email, w.Emails)
		}
		if len(w.Emails) > 1 && len(attrs["other_emails"].([]any)) != len(w.Emails)-1 {
			t.Errorf("lead %d: other_emails %v, emails %v", w.LeadID, attrs["other_emails"], w.Emails)
		}
	} else if l.Email != "" {
		t.Errorf("lead %d: email %q from no e-mail", w.LeadID, l.Email)
	}
	if len(w.Phones) > 0 && !strings.HasPrefix(l.Phone, "+") {
		t.Errorf("lead %d: phone %q from %v is not E.164", w.LeadID, l.Phone, w.Phones)
	}
	if len(w.Tags) > 0 {
		tags, _ := attrs["tags"].([]any)
		if len(tags) != len(w.Tags) {
			t.Errorf("lead %d: tags %v, want %d", w.LeadID, attrs["tags"], len(w.Tags))
		}
	}
	if len(w.Segments) > 0 && attrs["segments"] == nil {
		t.Errorf("lead %d: segments lost", w.LeadID)
	}
	if len(w.LeadTypes) > 0 && attrs["leadTypes"] == nil {
		t.Errorf("lead %d: leadTypes lost", w.LeadID)
	}
	if w.AssignedUser != l.Broker || w.Source != l.Source || w.City != l.City || w.ZipCode != l.PostalCode {
		t.Errorf("lead %d: broker/source/city/zip %q %q %q %q", w.LeadID, l.Broker, l.Source, l.City, l.PostalCode)
	}
	if w.StageID != nil && attrs["stageId"] == nil {
		t.Errorf("lead %d: stageId lost", w.LeadID)
	}
}

func TestLeadMapping(t *testing.T) {
	e := start(t, 60)
	res := e.read(t, e.config(t, ""), nil, "leads")
	byID := map[string]schema.Lead{}
	for _, l := range res.Batch.Leads {
		byID[l.VendorLeadID] = l
	}
	amounts, purposes, birthdays := 0, 0, 0
	for _, w := range e.srv.Leads() {
		l := byID[fmt.Sprint(w.LeadID)]
		for _, ca := range w.CustomAttributes {
			switch ca.AttributeName {
			case "Loan Amount":
				if ca.Value == "" {
					continue
				}
				digits := strings.Map(func(r rune) rune {
					if r >= '0' && r <= '9' {
						return r
					}
					return -1
				}, strings.TrimSuffix(ca.Value, ".00"))
				if strings.HasSuffix(ca.Value, "k") {
					digits += "000"
				}
				if got := fmt.Sprint(l.AmountRequested.Cents / 100); !l.AmountRequested.Valid || got != digits || l.Currency != "USD" {
					t.Errorf("lead %d: amount %q read as %s %s", w.LeadID, ca.Value, l.AmountRequested, l.Currency)
				}
				amounts++
			case "Loan Purpose":
				if l.LoanPurpose != ca.Value {
					t.Errorf("lead %d: loan_purpose %q, want %q", w.LeadID, l.LoanPurpose, ca.Value)
				}
				purposes++
			case "Business Name":
				if l.CompanyName != strings.TrimSpace(ca.Value) {
					t.Errorf("lead %d: company %q, want %q", w.LeadID, l.CompanyName, ca.Value)
				}
			}
		}
		if w.Birthday != "" {
			want, _ := time.Parse("Jan 2, 2006", w.Birthday)
			if !l.DateOfBirth.Valid || !l.DateOfBirth.Time().Equal(want) || l.BirthYear.V != int64(want.Year()) {
				t.Errorf("lead %d: birthday %q read as %s", w.LeadID, w.Birthday, l.DateOfBirth)
			}
			birthdays++
		}
		if w.City != "" && l.Country != "US" {
			t.Errorf("lead %d: country %q", w.LeadID, l.Country)
		}
		if !strings.Contains(l.Attributes, `"custom_fields"`) && len(w.CustomAttributes) > 0 {
			t.Errorf("lead %d: custom fields lost: %s", w.LeadID, l.Attributes)
		}
	}
	if amounts == 0 || purposes == 0 || birthdays == 0 {
		t.Fatalf("the dataset exercised %d amounts, %d purposes, %d birthdays", amounts, purposes, birthdays)
	}
}

func TestEventMapping(t *testing.T) {
	e := start(t, 30)
	id := e.srv.Leads()[5].LeadID
	if err := e.srv.SetStage(id, "Funded"); err != nil {
		t.Fatal(err)
	}
	res := e.read(t, e.config(t, "event_sources: [activities, calls, emails, texts, notes, logged]"), nil, "events")
	byType := map[string][]schema.Event{}
	for _, ev := range res.Batch.Events {
		byType[ev.EventType] = append(byType[ev.EventType], ev)
		if ev.Direction != "" && ev.Direction != "inbound" && ev.Direction != "outbound" {
			t.Errorf("event %s direction %q", ev.EventUID, ev.Direction)
		}
	}
	for _, typ := range []string{schema.EventCall, schema.EventEmail, schema.EventSMS, schema.EventNote, schema.EventActivity, schema.EventStatusChange} {
		if len(byType[typ]) == 0 {
			t.Errorf("no %s events", typ)
		}
	}
	found := false
	for _, ev := range byType[schema.EventStatusChange] {
		if ev.LeadUID == fmt.Sprintf("lofty:%d", id) && ev.StatusTo == schema.StatusFunded {
			found = true
		}
	}
	if !found {
		t.Errorf("the stage change of lead %d to Funded is not a status_change to funded", id)
	}
	logged := len(e.srv.LogTypes())
	if got := countTypes(res.Batch.Events)["logged"]; got != logged {
		t.Errorf("logged events: got %d, sandbox has %d", got, logged)
	}
}

func TestIncrementalReadsOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	e := start(t, 120)
	cfg := e.config(t, "page_size: 20\ncomm_page_size: 100\nlookback: 0s")
	first := e.read(t, cfg, nil)

	// Nothing changed: one lead page, one request per communication search
	// and the notes; nothing emitted.
	e.advance(time.Hour)
	e.resetRequests()
	quiet := e.read(t, cfg, first.Cursors)
	if quiet.Batch.Len() != 0 {
		t.Errorf("quiet run emitted %d leads, %d events", len(quiet.Batch.Leads), len(quiet.Batch.Events))
	}
	if got, want := e.srv.Requests(), cost(0, 20, 100, nil, 0, 0, 0); got != want {
		t.Errorf("quiet run: %d requests, want %d", got, want)
	}

	// Three old leads change: a stage, a call, an activity. Lead 0 has 250
	// activities, of which only the new one is fetched (one page).
	e.advance(time.Hour)
	leads := e.srv.Leads()
	a, b, c := leads[0].LeadID, leads[7].LeadID, leads[9].LeadID
	if err := e.srv.SetStage(a, "Qualified"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.AddCall(b, loftytest.Call{CallingOutcome: "Talked", Duration: 60}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.AddActivity(c, loftytest.Activity{Type: "View Property", Link: "https://x.example/1"}); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Minute)
	qc, _ := connectors.ParseOverlapCursor(quiet.Cursors["leads"])
	since := qc.At
	e.resetRequests()
	next := e.read(t, cfg, quiet.Cursors)

	got := map[string]string{}
	for _, l := range next.Batch.Leads {
		got[l.VendorLeadID] = l.VendorStatus
	}
	if len(got) != 3 || got[fmt.Sprint(a)] != "Qualified" || got[fmt.Sprint(b)] == "" || got[fmt.Sprint(c)] == "" {
		t.Errorf("incremental leads = %v, want %d, %d and %d", got, a, b, c)
	}
	types := countTypes(next.Batch.Events)
	if types["calls"] != 1 || types["notes"] != 1 || types["emails"] != 0 || types["texts"] != 0 {
		t.Errorf("incremental events by source = %v", types)
	}
	hasNew := false
	for _, ev := range next.Batch.Events {
		if ev.LeadUID == fmt.Sprintf("lofty:%d", c) && ev.VendorEventType == "View Property" && !ev.OccurredAt.Time().Before(since) {
			hasNew = true
		}
	}
	if !hasNew {
		t.Error("the new activity was not read")
	}
	var acts []int
	for _, id := range []int64{a, b, c} {
		acts = append(acts, activitiesSince(e.srv.Activities(id), since))
	}
	if want := cost(3, 20, 100, acts, 1, 0, 0); e.srv.Requests() != want || int(next.HTTP.Requests) != want {
		t.Errorf("incremental run: sandbox saw %d requests, client counted %d, the formula says %d", e.srv.Requests(), next.HTTP.Requests, want)
	}
}

// TestIncrementalAcrossUTCMinus7Midnight reads from cursors around
// 2026-10-31T07:00:00Z, which is midnight of Oct 31 in UTC-7: lead 3 was
// last updated one second before, lead 4 exactly then.
func TestIncrementalAcrossUTCMinus7Midnight(t *testing.T) {
	e := start(t, 20)
	leads := e.srv.Leads()
	before, at := leads[3], leads[4]
	if before.LastUpdateTime != "2026-10-31T06:59:59Z" || at.LastUpdateTime != "2026-10-31T07:00:00Z" {
		t.Fatalf("sandbox probes moved: %s %s", before.LastUpdateTime, at.LastUpdateTime)
	}
	cfg := e.config(t, "lookback: 0s")
	for _, tc := range []struct {
		cursor    string
		wantParam string
		before    bool
		at        bool
	}{
		{"2026-10-31T06:59:59Z", "2026-10-30 23:59:59", true, true},
		{"2026-10-31T07:00:00Z", "2026-10-31 00:00:00", false, true},
		{"2026-10-31T07:00:00.9Z", "2026-10-31 00:00:00", false, true}, // seconds are cut, never rounded up
		{"2026-10-31T07:00:01Z", "2026-10-31 00:00:01", false, false},
		{"2026-10-31T08:00:00+01:00", "2026-10-31 00:00:00", false, true}, // any offset in a cursor
	} {
		t.Run(tc.cursor, func(t *testing.T) {
			e.resetRequests()
			res := e.read(t, cfg, map[string]string{"leads": tc.cursor}, "leads")
			cursor, _ := time.Parse(time.RFC3339Nano, tc.cursor)
			got := map[int64]bool{}
			for _, l := range res.Batch.Leads {
				var id int64
				fmt.Sscan(l.VendorLeadID, &id)
				got[id] = true
				if l.UpdatedAt.Time().Before(cursor.Truncate(time.Second)) {
					t.Errorf("lead %s updated %s, before the cursor", l.VendorLeadID, l.UpdatedAt)
				}
			}
			if got[before.LeadID] != tc.before || got[at.LeadID] != tc.at {
				t.Errorf("lead 3 read %v (want %v), lead 4 read %v (want %v)", got[before.LeadID], tc.before, got[at.LeadID], tc.at)
			}
			want := 0
			for _, w := range e.srv.Leads() {
				u, _ := time.Parse(time.RFC3339, w.LastUpdateTime)
				if !u.Before(cursor.Truncate(time.Second)) {
					want++
				}
			}
			if len(got) != want {
				t.Errorf("read %d leads, %d were updated since %s", len(got), want, tc.cursor)
			}
			reqs := e.requests()
			if len(reqs) == 0 || reqs[0].Path != "/v1.0/leads/updateTime" || reqs[0].Query().Get("leadUpdateTime") != tc.wantParam {
				t.Errorf("first request %v, want /v1.0/leads/updateTime?leadUpdateTime=%s", reqs[0].RequestURI(), tc.wantParam)
			}
		})
	}
}

func TestLookbackRereadsTheOverlap(t *testing.T) {
	e := start(t, 20)
	res := e.read(t, e.config(t, "lookback: 2m"), map[string]string{"leads": "2026-10-31T07:01:00Z"}, "leads")
	found := false
	for _, l := range res.Batch.Leads {
		if l.VendorLeadID == fmt.Sprint(e.srv.Leads()[4].LeadID) {
			found = true
		}
	}
	if !found {
		t.Error("a lead updated inside the lookback window was not read")
	}
}

func TestFullRefreshIgnoresTheCursor(t *testing.T) {
	e := start(t, 30)
	cfg := e.config(t, "")
	first := e.read(t, cfg, nil)
	res := connectortest.Read(t, "lofty", cfg, &connectors.ReadRequest{
		Streams: []string{"leads", "events"}, State: first.Cursors, FullRefresh: true, Now: e.clock(),
	})
	if res.Err != nil || len(res.Batch.Leads) != 30 || len(res.Batch.Events) != len(first.Batch.Events) {
		t.Fatalf("full refresh read %d leads, %d events (err %v), want 30, %d", len(res.Batch.Leads), len(res.Batch.Events), res.Err, len(first.Batch.Events))
	}
}

func TestStageMapOverrideAndUnknownStages(t *testing.T) {
	e := start(t, 40)
	e.srv.InjectUnknownValues()
	res := e.read(t, e.config(t, "stage_map:\n  nurture: qualifying\n  Funded: approved\n"), nil, "leads")
	seenUnknown := false
	for _, l := range res.Batch.Leads {
		switch l.VendorStatus {
		case "Nurture":
			if l.Status != schema.StatusQualifying {
				t.Errorf("Nurture mapped to %s, the YAML says qualifying", l.Status)
			}
		case "Funded":
			if l.Status != schema.StatusApproved {
				t.Errorf("Funded mapped to %s, the YAML says approved", l.Status)
			}
		case "Qualified":
			if l.Status != schema.StatusQualifying {
				t.Errorf("Qualified (default map) mapped to %s", l.Status)
			}
		case loftytest.UnknownStageName:
			seenUnknown = true
			if l.Status != lofty.UnknownStatus {
				t.Errorf("unknown stage mapped to %s", l.Status)
			}
		}
	}
	if !seenUnknown {
		t.Fatal("the unknown stage was not read")
	}
	fields := map[string]bool{}
	for _, u := range res.Unknowns.List() {
		fields[u.Field+"="+u.Value] = true
	}
	for _, f := range []string{"lead.stage=" + loftytest.UnknownStageName, "lead.leadType=4", "lead.leadTypes=10"} {
		if !fields[f] {
			t.Errorf("unknown %s not counted; got %v", f, res.Unknowns.List())
		}
	}
}

func TestUnknownEventValuesAreKeptAndCounted(t *testing.T) {
	e := start(t, 40)
	e.srv.InjectUnknownValues()
	res := e.read(t, e.config(t, ""), nil, "events")
	fields := map[string]bool{}
	for _, u := range res.Unknowns.List() {
		fields[u.Field] = true
	}
	for _, f := range []string{"activity.type", "call.direction", "call.callingOutcome", "email.eventType", "email.emailType", "text.textType", "text.direction"} {
		if !fields[f] {
			t.Errorf("no unknown %s counted; got %v", f, res.Unknowns.List())
		}
	}
	for _, ev := range res.Batch.Events {
		if ev.VendorEventType == loftytest.UnknownActivityType && ev.EventType != schema.EventActivity {
			t.Errorf("unknown activity type became %s", ev.EventType)
		}
		if strings.Contains(ev.Attributes, loftytest.UnknownDirection) && ev.Direction != "" {
			t.Errorf("unknown direction became %q", ev.Direction)
		}
	}
}

func TestCallsFromTheCallsEndpoint(t *testing.T) {
	e := start(t, 50)
	cfg := e.config(t, "calls_endpoint: calls\nnotes: per_lead\nevent_sources: [calls, notes]\nlookback: 0s")
	first := e.read(t, cfg, nil, "events")
	tr := sandboxTruth(e)
	types := countTypes(first.Batch.Events)
	if types["calls"] != tr.calls || types["notes"] != tr.notes {
		t.Errorf("full read: %v, sandbox has %d calls, %d notes", types, tr.calls, tr.notes)
	}
	e.advance(time.Hour)
	id := e.srv.Leads()[8].LeadID
	callID, err := e.srv.AddCall(id, loftytest.Call{})
	if err != nil {
		t.Fatal(err)
	}
	next := e.read(t, cfg, first.Cursors, "events")
	calls := 0
	for _, c := range e.srv.Calls() {
		if c.LeadID == id {
			calls++
		}
	}
	// The changed lead lists all its calls; only the new one is written:
	// the others were, by the first read.
	types = countTypes(next.Batch.Events)
	if calls < 2 || types["calls"] != 1 {
		t.Errorf("incremental read of lead %d: %v, want only the new of its %d calls", id, types, calls)
	}
	for _, ev := range next.Batch.Events {
		if ev.EventType == schema.EventCall && ev.VendorEventID != fmt.Sprint(callID) {
			t.Errorf("call %s written again", ev.VendorEventID)
		}
	}
}

func TestAuthFailureIsClearAndHidesTheToken(t *testing.T) {
	e := start(t, 5)
	cfg := connectortest.Config(t, "lofty", fmt.Sprintf("base_url: %s/v1.0\naccess_token: wrong-token-123\nphone_region: US\n", e.http.URL))
	res := connectortest.Read(t, "lofty", cfg, &connectors.ReadRequest{Streams: []string{"leads"}, Now: e.clock()})
	if res.Err == nil {
		t.Fatal("no error with a wrong token")
	}
	msg := res.Err.Error()
	if !strings.Contains(msg, "401") || !strings.Contains(msg, "lofty") || strings.Contains(msg, "wrong-token-123") {
		t.Errorf("error: %s", msg)
	}
	if len(res.Cursors) != 0 {
		t.Errorf("a failed read set cursors %v", res.Cursors)
	}
}

func TestAFailedReadSetsNoCursor(t *testing.T) {
	e := start(t, 30)
	// Leads and activities go through; the text search is refused.
	e.fail = "/communication/text"
	res := connectortest.Read(t, "lofty", e.config(t, ""), &connectors.ReadRequest{Streams: []string{"leads", "events"}, Now: e.clock()})
	if res.Err == nil {
		t.Fatal("the read did not fail")
	}
	if len(res.Batch.Leads) == 0 {
		t.Fatal("nothing was read before the failure")
	}
	if len(res.Cursors) != 0 {
		t.Errorf("cursors set after a failure: %v", res.Cursors)
	}
}

func TestConfigProblems(t *testing.T) {
	t.Setenv(lofty.EnvAccessToken, "")
	t.Setenv(lofty.EnvVendorKey, "")
	_, probs := connectortest.TryConfig("lofty", strings.Join([]string{
		"base_url: ftp://x", "page_size: 500", "comm_page_size: 0", "max_wait: 30s", "query_timezone: Mars/Base",
		"stage_map:", "  Hot: scorching", "custom_fields:", "  favourite_colour: Colour",
		"event_sources: [activities, tweets]", "calls_endpoint: dialer", "notes: some", "lookup_by: [fax]",
		"rate_limit_reset: hours", "vendor_key_in: body", "bogus: 1", ""}, "\n"))
	msgs := probs.Error()
	for _, want := range []string{"config.base_url", "config.access_token: is required", "config.page_size: must be 1..100",
		"config.max_wait", "config.query_timezone", "config.stage_map.Hot: must be a canonical status",
		"config.custom_fields.favourite_colour", "config.event_sources[1]", "config.calls_endpoint", "config.notes",
		"config.lookup_by[0]", "config.rate_limit_reset", "config.vendor_key_in", `unknown key "bogus"`,
		"config.phone_region: is required: Lofty has no market of its own"} {
		if !strings.Contains(msgs, want) {
			t.Errorf("problems lack %q:\n%s", want, msgs)
		}
	}
}

func TestCredentialsFromTheEnvironment(t *testing.T) {
	e := startReal(t, 3, time.Minute)
	t.Setenv(lofty.EnvAccessToken, loftytest.AccessToken)
	t.Setenv(lofty.EnvVendorKey, loftytest.VendorKey)
	cfg := connectortest.Config(t, "lofty", fmt.Sprintf("base_url: %s/v1.0\nphone_region: US\n", e.http.URL))
	res := e.read(t, cfg, nil, "leads")
	if len(res.Batch.Leads) != 3 {
		t.Errorf("read %d leads", len(res.Batch.Leads))
	}
	if e.limits["20"] == 0 {
		t.Errorf("the vendorKey from the environment was not sent: limits %v", e.limits)
	}
}

func TestVendorKeyInTheQuery(t *testing.T) {
	e := startReal(t, 3, time.Minute)
	cfg := e.config(t, "vendor_key: "+loftytest.VendorKey+"\nvendor_key_in: query\n")
	e.read(t, cfg, nil, "leads")
	if e.limits["20"] == 0 {
		t.Errorf("the vendorKey query parameter was not honored: %v", e.limits)
	}
	for _, u := range e.requests() {
		if u.Query().Get("vendorKey") != loftytest.VendorKey {
			t.Errorf("request %s has no vendorKey", u.Path)
		}
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	connectortest.Run(t, connectortest.Harness{
		Connector: "lofty",
		PageSize:  5,
		Start: func(t *testing.T, size int) *connectortest.Sandbox {
			if size == 0 {
				size = -1 // an empty account
			}
			e := start(t, size)
			base := fmt.Sprintf("base_url: %s/v1.0\npage_size: 5\ncomm_page_size: 5\nlookback: 0s\n", e.http.URL)
			return &connectortest.Sandbox{
				Config:        base + "access_token: " + loftytest.AccessToken + "\nphone_region: US\n",
				BadAuthConfig: base + "access_token: not-the-token-42\nphone_region: US\n",
				Secret:        "not-the-token-42",
				Faults:        e.srv.Faults(),
				Now:           e.clock,
				Truth: func(table string) int {
					tr := sandboxTruth(e)
					switch table {
					case "leads":
						return tr.leads
					case "events":
						return tr.events()
					}
					return 0
				},
				InjectUnknownValues: e.srv.InjectUnknownValues,
				Change: func(t *testing.T) {
					e.advance(time.Hour)
					leads := e.srv.Leads()
					if err := e.srv.SetStage(leads[len(leads)-1].LeadID, "Approved"); err != nil {
						t.Fatal(err)
					}
					e.advance(time.Minute)
				},
			}
		},
	})
}

func TestDecodeLeadRecords(t *testing.T) {
	e := start(t, 3)
	spec, _ := connectors.Lookup("lofty")
	if !slices.Equal(spec.Decodes, []string{"leads"}) {
		t.Fatalf("Decodes %v", spec.Decodes)
	}
	conn, err := spec.New(e.config(t, ""), connectors.Env{Unknowns: &schema.Unknowns{}})
	if err != nil {
		t.Fatal(err)
	}
	dec := conn.(connectors.Decoder)
	w := e.srv.Leads()[0]
	line, _ := json.Marshal(w)
	nested, _ := json.Marshal(map[string]any{"lead": w})
	var b schema.Batch
	for _, rec := range [][]byte{line, nested} {
		if err := dec.Decode("leads", rec, &b); err != nil {
			t.Fatal(err)
		}
	}
	if len(b.Leads) != 2 || b.Leads[0].LeadUID != fmt.Sprintf("lofty:%d", w.LeadID) || b.Leads[0] != b.Leads[1] {
		t.Errorf("decoded %+v", b.Leads)
	}
	checkLead(t, w, b.Leads[0])
	if err := dec.Decode("events", line, &b); err == nil {
		t.Error("events decoded from a file")
	}
	if err := dec.Decode("leads", []byte(`{"firstName":"no id"}`), &b); err == nil {
		t.Error("a lead without leadId decoded")
	}
}
