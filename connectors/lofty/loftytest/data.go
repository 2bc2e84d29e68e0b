package loftytest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

// Anchor is the fixed instant every generated date is relative to.
var Anchor = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// QueryZone is the zone leadUpdateTime and leadCreateTime are parsed in:
// "UCT-7" in the document, a fixed offset of -07:00 with no daylight saving.
var QueryZone = time.FixedZone("UTC-7", -7*60*60)

// Documented enumerations. The dataset carries every value at least once
// (when Options.Size >= MinCoverageSize).
var (
	// LeadTypeValues are the documented LeadRequest.leadType ids: Other (-1),
	// Seller (1), Buyer (2), Buyer & Seller (3), Renter (5).
	LeadTypeValues = []int32{-1, 1, 2, 3, 5}
	// LeadTypesValues are the documented leadTypes ids: Other (-1), Seller
	// (1), Buyer (2), Renter (5), Investor (6), Agent (7), Homeowner (8),
	// Landlord (9).
	LeadTypesValues = []int32{-1, 1, 2, 5, 6, 7, 8, 9}
	// CallingOutcomes are the documented LogType/Call calling outcomes.
	CallingOutcomes = []string{"Talked", "VoiceMessage", "NoAnswer", "BadNumber", "DNCNumber", "DNCContact"}
	// Directions are the documented call/email/text directions.
	Directions = []string{"Outbound", "Inbound"}
	// EmailTypes are the documented EmailResponse.emailType values.
	EmailTypes = []string{"Manual", "Auto"}
	// EmailEventTypes are the documented EmailResponse.eventType values.
	EmailEventTypes = []string{"Sent", "Opened", "Bounced"}
	// TextTypes are the documented TextResponse.textType values.
	TextTypes = []string{"Manual", "Auto"}
	// LogTypeKinds are the documented logType values.
	LogTypeKinds = []string{"logCall", "logEmail", "logText"}
	// CommunicationTypes are the documented CommunicationResponse values.
	CommunicationTypes = []string{"AUTO", "MANUAL", "LOGGED"}
	// CommunicationEventTypes are the documented CommunicationResponse
	// eventType values.
	CommunicationEventTypes = []string{"Call", "Text", "Opened Email", "Bounced Email", "Sent Email"}
	// SortValues are the documented values of GET /v1.0/leads?sort=.
	SortValues = []string{"Default", "LastContact", "LastCall", "LastEmail", "LastActivity", "CreateTime",
		"Inquries", "DeleteTime", "AssignTime", "Score", "Activity", "Communication", "HasDrip", "HasAlert",
		"Task", "Lender", "ActivitySearch", "ActivityViews", "ActivityFavorites", "DripStatus",
		"DripOpenRate", "AlertFrequency", "AlertOpenRate", "SCOREV2", "SmartPlanStatus"}

	// Values the document leaves open; these are the sandbox's vocabulary.

	// ActivityTypes are the LeadActivityRes.type values generated.
	ActivityTypes = []string{"View Property", "Favorite Property", "Property Search", "Website Visit",
		"Registration", "Inquiry", "Showing Request", "Open Email", "Click Link"}
	// CallStatuses are the CallResponse.status values generated.
	CallStatuses = []string{"completed", "no-answer", "busy", "failed", "canceled"}
	// TextOutcomes are the TextResponse.textOutcome values generated.
	TextOutcomes = []string{"Delivered", "Sent", "Failed", "Received"}
)

// Values InjectUnknownValues puts into the dataset; none is documented.
const (
	UnknownStageName      = "Underwriting Hold"
	UnknownStageID        = int64(5999)
	UnknownLeadType       = int32(4)
	UnknownLeadTypesValue = int32(10)
	UnknownDirection      = "Transferred"
	UnknownCallingOutcome = "LeftWithAssistant"
	UnknownEmailEventType = "Clicked"
	UnknownEmailType      = "Drip"
	UnknownTextType       = "AI"
	UnknownTextOutcome    = "Queued"
	UnknownActivityType   = "Virtual Tour"
)

// MinCoverageSize is the smallest Options.Size for which every documented
// enumeration value is guaranteed to be present.
const MinCoverageSize = 10

// DefaultSize is the number of leads generated when Options.Size is 0 (a
// negative Size generates none: an empty account).
const DefaultSize = 300

// TeamID is the team every lead belongs to.
const TeamID = int64(880001)

// ID bases: every id is the base plus a sequence number.
const (
	leadIDBase     = int64(3400000000)
	leadUserIDBase = int64(5600000000)
	callIDBase     = int64(910000000)
	emailIDBase    = int64(920000000)
	textIDBase     = int64(930000000)
	noteIDBase     = int64(940000000)
	timelineIDBase = int64(945000000)
	logTypeIDBase  = int64(950000000)
	tagIDBase      = int64(9000)
	segmentIDBase  = int64(7000)
)

// OwnerUserID is the user the access token belongs to (GET /v1.0/me).
const OwnerUserID = int64(10000000514)

var members = []Member{
	{ID: 301, MemberUserID: OwnerUserID, FirstName: "Dana", LastName: "Whitfield", Email: "dana@harbourlending.example", Role: 1, RoleName: "Team Owner", IsAdmin: true, PhoneNumber: "(415) 555-0100", TimeZoneID: "America/Los_Angeles"},
	{ID: 302, MemberUserID: 10000000601, FirstName: "Marcus", LastName: "Oyelaran", Email: "marcus@harbourlending.example", Role: 2, RoleName: "Agent", PhoneNumber: "(415) 555-0101", TimeZoneID: "America/Los_Angeles"},
	{ID: 303, MemberUserID: 10000000602, FirstName: "Priya", LastName: "Raman", Email: "priya@harbourlending.example", Role: 2, RoleName: "Agent", PhoneNumber: "(602) 555-0102", TimeZoneID: "America/Phoenix"},
	{ID: 304, MemberUserID: 10000000603, FirstName: "Tom", LastName: "Becker", Email: "tom@harbourlending.example", Role: 3, RoleName: "Lender", PhoneNumber: "(303) 555-0103", TimeZoneID: "America/Denver"},
	{ID: 305, MemberUserID: 10000000604, FirstName: "Lucia", LastName: "Ferreira", Email: "lucia@harbourlending.example", Role: 2, RoleName: "Agent", PhoneNumber: "(212) 555-0104", TimeZoneID: "America/New_York"},
	{ID: 306, MemberUserID: 10000000605, FirstName: "Kenji", LastName: "Watanabe", Email: "kenji@harbourlending.example", Role: 4, RoleName: "Assistant", PhoneNumber: "(206) 555-0105", TimeZoneID: "America/Los_Angeles"},
}

// defaultStages are the team's user-defined stages, in pipeline order.
var defaultStages = []Stage{
	{5001, "New Lead"}, {5002, "Attempted Contact"}, {5003, "Nurture"}, {5004, "Qualified"},
	{5005, "Application"}, {5006, "Approved"}, {5007, "Funded"}, {5008, "Declined"}, {5009, "Closed Lost"},
}

var (
	segmentNames = []string{"Website Leads", "Zillow Buyers", "Past Clients", "Refinance", "Commercial", "Sphere"}
	tagNames     = []string{"hot", "VIP", "follow-up", "self-employed", "needs-docs", "spanish-speaking", "SBA", "first-time"}
	sources      = []string{"Zillow", "Realtor.com", "Website", "Facebook", "Google Ads", "Referral", "Open House", "Open API", "Import", ""}
	firstNames   = []string{"Kunkun", "James", "Maria", "Wei", "Olivia", "Ahmed", "Sofia", "Liam", "Aroha", "Noah", "Chloe", "Mateo", "Grace", "Ravi", "Emma", "Jack", "Isla", "Hiroshi", "Zoe", "Ethan", "Mia", "Lucas", "Ava", "Tane"}
	lastNames    = []string{"An", "Smith", "Garcia", "Chen", "Nguyen", "O'Brien", "Kowalski", "Patel", "Johnson", "Müller", "Williams", "Brown", "Taylor", "Lee", "Martin", "Walker", "Ngata", "Rossi", "Dubois", "Kim"}
	domains      = []string{"gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "example.org", "Company.COM"}
	cities       = []struct{ city, state, zip string }{
		{"Phoenix", "AZ", "85004"}, {"Denver", "CO", "80202"}, {"Austin", "TX", "78701"}, {"San Diego", "CA", "92101"},
		{"Seattle", "WA", "98101"}, {"Miami", "FL", "33130"}, {"Portland", "OR", "97204"}, {"Boise", "ID", "83702"},
	}
	streets      = []string{"Main St", "Oak Ave", "Camelback Rd", "Pine St", "Elm Dr", "Sunset Blvd", "Lakeview Ter"}
	languages    = []string{"en", "en", "en", "es", "zh", "vi", ""}
	loanPurposes = []string{"Working Capital", "Equipment", "Expansion", "Refinance", "Inventory"}
	timeFrames   = []string{"", "0-3 months", "3-6 months", "6-12 months", "12+ months", "Just looking"}
)

// boundary places leads 3 and 4 one second before and exactly at midnight
// UTC-7 of 2026-10-31.
var boundary = map[int]time.Time{
	3: time.Date(2026, 10, 31, 6, 59, 59, 0, time.UTC),
	4: time.Date(2026, 10, 31, 7, 0, 0, 0, time.UTC),
}

// leadRec is one lead and the sandbox's bookkeeping for it.
type leadRec struct {
	lead       Lead
	created    time.Time
	updated    time.Time
	assigned   time.Time
	lastTouch  time.Time
	lastVisit  time.Time
	deleted    bool
	deletedAt  time.Time
	reason     string
	contacted  bool
	activities []Activity // any order; served newest first
}

// store is the whole dataset. It is guarded by Server.mu.
type store struct {
	stages   []Stage
	leads    []*leadRec // creation order
	byID     map[int64]*leadRec
	calls    []Call
	emails   []Email
	texts    []Text
	notes    []Note
	logTypes []LogType
	tagIDs   map[string]int64 // lower-case name -> id
	segIDs   map[string]int64 // lower-case segment name -> id

	nextLead, nextCall, nextEmail, nextText, nextNote, nextTimeline, nextLogType int64

	// shortStageNotes writes stage changes as "Stage changed to Y", without
	// the stage they left (SetShortStageNotes).
	shortStageNotes bool
}

// stageNote is the system note of a stage change.
func (st *store) stageNote(from, to string) string {
	if st.shortStageNotes {
		return "Stage changed to " + to
	}
	return fmt.Sprintf("Stage changed from %s to %s", from, to)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func int64p(v int64) *int64 { return &v }
func int32p(v int32) *int32 { return &v }

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// cover returns xs[i] while i indexes xs (so the first len(xs) records carry
// every value) and a random element afterwards.
func cover[T any](r *rand.Rand, xs []T, i int) T {
	if i < len(xs) {
		return xs[i]
	}
	return pick(r, xs)
}

// phoneFormat renders a phone number the way people type them, in one of
// eight formats: US numbers with and without +1, and AU mobiles with +61.
// Every number is valid (sandbox.ValidPhone): random digits often fall in
// area codes no one was given.
func phoneFormat(r *rand.Rand, i int) string {
	format := (i + r.IntN(3)) % 8
	return sandbox.ValidPhone("US", func() string {
		a, b, c := 200+r.IntN(800), 200+r.IntN(800), r.IntN(10000)
		switch format {
		case 0:
			return fmt.Sprintf("(%d) %d-%04d", a, b, c)
		case 1:
			return fmt.Sprintf("%d-%d-%04d", a, b, c)
		case 2:
			return fmt.Sprintf("%d%d%04d", a, b, c)
		case 3:
			return fmt.Sprintf("+1 %d %d %04d", a, b, c)
		case 4:
			return fmt.Sprintf("+1%d%d%04d", a, b, c)
		case 5:
			return fmt.Sprintf("1-%d-%d-%04d", a, b, c)
		case 6:
			return fmt.Sprintf("+61 4%02d %03d %03d", r.IntN(100), r.IntN(1000), r.IntN(1000))
		default:
			return fmt.Sprintf("%d.%d.%04d", a, b, c)
		}
	})
}

func emailFor(r *rand.Rand, first, last string, n int) string {
	f := strings.ToLower(strings.ReplaceAll(first, "'", ""))
	l := strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(last, "'", ""), "ü", "u"))
	if l == "" {
		l = "lead"
	}
	var local string
	switch r.IntN(4) {
	case 0:
		local = f + "." + l
	case 1:
		local = f + l + fmt.Sprint(n%100)
	case 2:
		local = string(f[0]) + l
	default:
		local = strings.ToUpper(f[:1]) + f[1:] + "." + strings.ToUpper(l[:1]) + l[1:]
	}
	return fmt.Sprintf("%s+%d@%s", local, n, pick(r, domains))
}

// generate builds the deterministic dataset for seed with exactly size leads
// (none when size is 0: an empty account; New passes Options.Records).
func generate(seed int64, size int) *store {
	size = max(size, 0)
	r := rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
	st := &store{
		stages: slices.Clone(defaultStages),
		byID:   make(map[int64]*leadRec, size),
		tagIDs: map[string]int64{},
		segIDs: map[string]int64{},
	}
	for i, n := range tagNames {
		st.tagIDs[strings.ToLower(n)] = tagIDBase + int64(i) + 1
	}
	for i, n := range segmentNames {
		st.segIDs[strings.ToLower(n)] = segmentIDBase + int64(i) + 1
	}
	type pending struct {
		at time.Time
		fn func(t time.Time)
	}
	var evCalls, evEmails, evTexts, evNotes, evLogs []pending
	var kCall, kEmail, kText, kLog int

	for i := 0; i < size; i++ {
		st.nextLead++
		id := leadIDBase + st.nextLead
		created := Anchor.Add(-time.Duration(1+r.IntN(365*24*60*60)) * time.Second)
		span := Anchor.Sub(created)
		updated := created.Add(time.Duration(r.Int64N(int64(span))))
		// Two leads sit exactly on the UTC-7 midnight boundary of Oct 31
		// (07:00Z) so incremental tests can probe it; nothing happens to
		// them afterwards.
		horizon := Anchor
		if at, ok := boundary[i]; ok {
			updated, horizon = at, at
		}
		if updated.Before(created) {
			created = updated.Add(-48 * time.Hour)
		}
		updated = updated.Truncate(time.Second)
		created = created.Truncate(time.Second)
		first, last := pick(r, firstNames), pick(r, lastNames)
		if r.IntN(25) == 0 {
			last = ""
		}
		loc := pick(r, cities)
		l := Lead{
			LeadID:           id,
			LeadUserID:       leadUserIDBase + st.nextLead,
			TeamID:           TeamID,
			FirstName:        first,
			LastName:         last,
			City:             loc.city,
			State:            loc.state,
			ZipCode:          loc.zip,
			StreetAddress:    fmt.Sprintf("%d %s", 100+r.IntN(9800), pick(r, streets)),
			Language:         pick(r, languages),
			Score:            int32(r.IntN(101)),
			BuyingTimeFrame:  pick(r, timeFrames),
			SellingTimeFrame: pick(r, timeFrames),
			Source:           cover(r, sources, i),
		}
		if l.Source != "" {
			l.LeadSource = int32(slices.Index(sources, l.Source) + 1)
		}
		if r.IntN(5) == 0 {
			l.StreetAddress, l.ZipCode = "", ""
		}
		// Emails: null, empty, one or several, mixed case.
		switch n := r.IntN(10); {
		case n == 0:
			l.Emails = nil
		case n == 1:
			l.Emails = []string{}
		case n < 7:
			l.Emails = []string{emailFor(r, first, last, i)}
		default:
			l.Emails = []string{emailFor(r, first, last, i), emailFor(r, first, last, i+size)}
		}
		if i < MinCoverageSize && len(l.Emails) == 0 {
			l.Emails = []string{emailFor(r, first, last, i)}
		}
		switch n := r.IntN(10); {
		case n == 0:
			l.Phones = nil
		case n == 1:
			l.Phones = []string{}
		case n < 8:
			l.Phones = []string{phoneFormat(r, i)}
		default:
			l.Phones = []string{phoneFormat(r, i), phoneFormat(r, i+1), phoneFormat(r, i+2)}
		}
		if i < MinCoverageSize && len(l.Phones) == 0 {
			l.Phones = []string{phoneFormat(r, i)}
		}
		if l.Phones != nil {
			l.PhoneStatuses = make([]int32, len(l.Phones))
			for j := range l.PhoneStatuses {
				l.PhoneStatuses[j] = int32(r.IntN(3))
			}
		}
		// Stage: user-defined, every stage covered, a few leads without one.
		if i >= len(st.stages) && r.IntN(30) == 0 {
			l.Stage = ""
		} else {
			sg := cover(r, st.stages, i)
			l.Stage, l.StageID = sg.Name, int64p(sg.ID)
		}
		l.LeadType = cover(r, LeadTypeValues, i)
		l.LeadTypes = []int32{cover(r, LeadTypesValues, i)}
		if r.IntN(3) == 0 {
			if extra := pick(r, LeadTypesValues); !slices.Contains(l.LeadTypes, extra) {
				l.LeadTypes = append(l.LeadTypes, extra)
			}
		}
		// Tags, segments (groups is the deprecated mirror of segments).
		nt := r.IntN(4)
		if i < len(tagNames) {
			nt = max(nt, 1)
		}
		seen := map[string]bool{}
		for j := 0; j < nt; j++ {
			name := pick(r, tagNames)
			if j == 0 && i < len(tagNames) {
				name = tagNames[i]
			}
			if seen[name] {
				continue
			}
			seen[name] = true
			at := created.Add(time.Duration(r.IntN(3600)) * time.Second)
			l.Tags = append(l.Tags, Tag{CreateTime: fmtTime(at), CreatorUserID: OwnerUserID, LeadID: id,
				TagID: st.tagIDs[strings.ToLower(name)], TagName: name, UpdateTime: fmtTime(at), VisibleType: int32(r.IntN(2))})
		}
		if r.IntN(8) == 0 && l.Tags == nil {
			l.Tags = []Tag{}
		}
		for j, n := 0, r.IntN(3); j < n; j++ {
			if s := pick(r, segmentNames); !slices.Contains(l.Segments, s) {
				l.Segments = append(l.Segments, s)
			}
		}
		if i < len(segmentNames) && !slices.Contains(l.Segments, segmentNames[i]) {
			l.Segments = append(l.Segments, segmentNames[i])
		}
		l.Groups = slices.Clone(l.Segments)
		// Assignment: most leads have an agent, some sit in the lead pond.
		assigned := created.Add(time.Duration(1+r.IntN(600)) * time.Second)
		rec := &leadRec{created: created, updated: updated}
		if r.IntN(8) == 0 {
			l.PondID, l.PondName = int64p(61), "Unclaimed Leads"
		} else {
			m := members[r.IntN(len(members)-1)] // never the assistant
			l.AssignedUserID, l.AssignedUser = int64p(m.MemberUserID), m.FirstName+" "+m.LastName
			l.AssignCompletionStatus = true
			rec.assigned = assigned
		}
		if r.IntN(4) == 0 {
			l.LenderUserID = int64p(members[3].MemberUserID)
			l.CustomRoleList = []CustomRole{{Assignee: members[3].Email, AssigneeID: members[3].MemberUserID, Role: "Loan Officer", RoleID: 3}}
		}
		if r.IntN(3) == 0 {
			l.Birthday = time.Date(1950+r.IntN(50), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC).Format("Jan 2, 2006")
		}
		l.CannotCall, l.CannotEmail, l.CannotText = r.IntN(15) == 0, r.IntN(15) == 0, r.IntN(10) == 0
		l.Unsubscription = r.IntN(12) == 0
		l.PrivateFlag = r.IntN(10) == 0
		if r.IntN(6) == 0 {
			l.ReferredBy = pick(r, firstNames) + " " + pick(r, lastNames)
		}
		if r.IntN(10) == 0 {
			l.Facebook = "facebook.com/" + strings.ToLower(first) + fmt.Sprint(i)
		}
		l.Mortgage = pick(r, []string{"", "Yes", "No", "Pre-approved"})
		l.PreQual = pick(r, []string{"", "Yes", "No"})
		l.Fthb = pick(r, []string{"", "Yes", "No"})
		// Lending details live in custom attributes, in messy formats.
		if r.IntN(5) != 0 {
			amt := 5000 + r.IntN(500)*1000
			amount := pick(r, []string{fmt.Sprintf("$%d,%03d", amt/1000, amt%1000), fmt.Sprint(amt),
				fmt.Sprintf("%dk", amt/1000), fmt.Sprintf("$%d,%03d.00", amt/1000, amt%1000), ""})
			l.CustomAttributes = []CustomAttribute{
				{AttributeName: "Loan Amount", AttributeType: "text", Value: amount},
				{AttributeName: "Loan Purpose", AttributeType: "select", Params: `{"option":["Working Capital","Equipment","Expansion","Refinance","Inventory"]}`, Value: pick(r, loanPurposes)},
			}
			if r.IntN(2) == 0 {
				l.CustomAttributes = append(l.CustomAttributes,
					CustomAttribute{AttributeName: "Business Name", AttributeType: "text", Value: last + " " + pick(r, []string{"Plumbing LLC", "Bakery", "Logistics Inc", "Dental Group", "Cafe"})},
					CustomAttribute{AttributeName: "Time In Business (months)", AttributeType: "number", Value: fmt.Sprint(r.IntN(240))})
			}
		}
		if r.IntN(6) == 0 {
			l.LeadFamilyMemberList = []FamilyMember{{FirstName: pick(r, firstNames), LastName: last, Relationship: pick(r, []string{"Spouse", "Husband", "Wife", "Partner", "Son"}),
				Emails: []string{}, Phones: []string{phoneFormat(r, i+3)}}}
		}
		if r.IntN(3) == 0 {
			pmin := int64(100000 + r.IntN(40)*10000)
			l.LeadInquiry = &Inquiry{ID: 7700000 + st.nextLead, LeadUserID: l.LeadUserID, CreateTime: fmtTime(created), UpdateTime: fmtTime(created),
				PriceMin: int64p(pmin), PriceMax: int64p(pmin + 150000), BedroomsMin: int32p(int32(1 + r.IntN(3))),
				BathroomsMin: fmt.Sprint(1 + r.IntN(2)), PropertyType: []string{pick(r, []string{"Single Family Home", "Condo", "Townhouse", "Multi-Family"})},
				Locations: []Location{{City: loc.city, StateCode: loc.state, ZipCode: loc.zip}}}
		}
		if r.IntN(5) == 0 {
			l.LeadPropertyList = []Property{{ID: 8800000 + st.nextLead, LeadUserID: l.LeadUserID, City: loc.city, State: loc.state, ZipCode: loc.zip,
				StreetAddress: l.StreetAddress, Price: int64(200000 + r.IntN(80)*10000), Bedrooms: int32(1 + r.IntN(5)), Bathrooms: float64(2+r.IntN(6)) / 2,
				SquareFeet: int64(800 + r.IntN(3000)), PropertyType: "Single Family Home", Label: "Home"}}
		}
		rec.lead = l
		st.leads = append(st.leads, rec)
		st.byID[id] = rec

		// Activities: lead 0 has 250 (two full pages and a partial one), lead
		// 1 exactly 100 (one full page), lead 2 none.
		na := r.IntN(9)
		switch i {
		case 0:
			na = 250
		case 1:
			na = 100
		case 2:
			na = 0
		}
		for j := 0; j < na; j++ {
			at := between(r, created, horizon)
			typ := pick(r, ActivityTypes)
			if i == 0 {
				typ = ActivityTypes[j%len(ActivityTypes)]
			}
			rec.activities = append(rec.activities, genActivity(r, typ, at, loc.city))
			if at.After(rec.lastVisit) {
				rec.lastVisit = at
			}
		}
		agent := OwnerUserID
		if l.AssignedUserID != nil {
			agent = *l.AssignedUserID
		}
		phone := ""
		if len(l.Phones) > 0 {
			phone = l.Phones[0]
		}
		atLeast := func(n int) int {
			if i < MinCoverageSize {
				return max(n, 1)
			}
			return n
		}
		for j, n := 0, atLeast(r.IntN(4)); j < n; j++ {
			k := kCall
			kCall++
			at := between(r, created, horizon)
			dur := int32(0)
			out := CallingOutcomes[k%len(CallingOutcomes)]
			if out == "Talked" {
				dur = int32(30 + r.IntN(1200))
			} else if out == "VoiceMessage" {
				dur = int32(15 + r.IntN(60))
			}
			c := Call{AgentID: agent, UserID: agent, CallingOutcome: out, Direction: Directions[(k/len(CallingOutcomes))%2],
				Duration: dur, ElapsedTime: fmt.Sprintf("%02d:%02d:%02d", dur/3600, dur/60%60, dur%60), IsMachineAnswered: out == "VoiceMessage",
				LeadID: id, LeadPhoneNumber: phone, Price: float64(r.IntN(40)) / 100, RateScore: int32(r.IntN(6)),
				RecordingSwitch: r.IntN(2) == 0, ShowUserNumber: "(415) 555-0199", Status: CallStatuses[k%len(CallStatuses)], UserPhoneNumber: "(415) 555-0100",
				DialerCallRecordID: 660000000 + int64(k)}
			if r.IntN(3) == 0 {
				c.Note = pick(r, []string{"Left details about SBA options", "Asked to call back next week", "Wants a quote for $50k", ""})
			}
			evCalls = append(evCalls, pending{at, func(t time.Time) {
				c.CreateTime, c.StartTime, c.UpdateTime = fmtTime(t), fmtTime(t), fmtTime(t.Add(time.Duration(dur)*time.Second))
				c.EndTime = c.UpdateTime
				st.nextCall++
				c.ID = callIDBase + st.nextCall
				st.calls = append(st.calls, c)
				st.touch(c.LeadID, c.Direction, t)
			}})
		}
		for j, n := 0, atLeast(r.IntN(5)); j < n; j++ {
			k := kEmail
			kEmail++
			e := Email{AgentID: agent, Direction: Directions[(k/6)%2], EmailType: EmailTypes[k%2], EventType: EmailEventTypes[k%3],
				EmailSubject: pick(r, []string{"Your financing options", "Re: loan application", "Documents needed", "Welcome to Harbour Lending", "Quick question"}),
				FromPond:     l.PondID != nil && r.IntN(2) == 0, LeadID: id}
			evEmails = append(evEmails, pending{between(r, created, horizon), func(t time.Time) {
				e.EmailEventTime = fmtTime(t)
				st.nextEmail++
				e.ID = emailIDBase + st.nextEmail
				st.emails = append(st.emails, e)
				st.touch(e.LeadID, e.Direction, t)
			}})
		}
		for j, n := 0, atLeast(r.IntN(4)); j < n; j++ {
			k := kText
			kText++
			tx := Text{AgentID: agent, Direction: Directions[(k/4)%2], TextType: TextTypes[k%2], TextOutcome: TextOutcomes[k%len(TextOutcomes)], LeadID: id}
			evTexts = append(evTexts, pending{between(r, created, horizon), func(t time.Time) {
				tx.TextTime = fmtTime(t)
				st.nextText++
				tx.ID = textIDBase + st.nextText
				st.texts = append(st.texts, tx)
				st.touch(tx.LeadID, tx.Direction, t)
			}})
		}
		for j, n := 0, atLeast(r.IntN(3)); j < n; j++ {
			m := members[r.IntN(len(members))]
			system := j == 0 && r.IntN(3) == 0
			content := pick(r, []string{"Spoke with borrower; sending application link.", "Needs 3 months bank statements.",
				"Interested in equipment finance.", "Prefers text over calls.", "Credit pull authorised.", "已发送申请表。"})
			if system {
				content = st.stageNote(st.stages[0].Name, l.Stage)
				m = members[0]
			}
			nt := Note{Content: content, CreatorID: m.MemberUserID, CreatorName: m.FirstName + " " + m.LastName, IsPin: r.IntN(10) == 0,
				LastEditorID: m.MemberUserID, LastEditorName: m.FirstName + " " + m.LastName, LeadID: id, SystemNote: system}
			evNotes = append(evNotes, pending{between(r, created, horizon), func(t time.Time) {
				nt.CreateTime, nt.LastUpdate = fmtTime(t), fmtTime(t)
				st.nextNote++
				st.nextTimeline++
				nt.NoteID, nt.ID = noteIDBase+st.nextNote, timelineIDBase+st.nextTimeline
				st.notes = append(st.notes, nt)
			}})
		}
		nLogs := r.IntN(3)
		if i < MinCoverageSize {
			nLogs = max(nLogs, 2)
		}
		for j := 0; j < nLogs; j++ {
			k := kLog
			kLog++
			lt := LogType{AgentID: agent, CallingOutcome: CallingOutcomes[k%len(CallingOutcomes)], IsPin: r.IntN(8) == 0, LeadID: id,
				LeadPhoneNumber: phone, OutboundOrInbound: Directions[(k/6)%2], Kind: LogTypeKinds[k%3]}
			if lt.Kind == "logCall" {
				lt.CallingOutcome = CallingOutcomes[(k/3)%len(CallingOutcomes)]
			} else {
				lt.CallingOutcome = ""
			}
			evLogs = append(evLogs, pending{between(r, created, horizon), func(t time.Time) {
				lt.CreateTime = fmtTime(t)
				st.nextLogType++
				lt.ID = logTypeIDBase + st.nextLogType
				st.logTypes = append(st.logTypes, lt)
				st.touch(lt.LeadID, lt.OutboundOrInbound, t)
			}})
		}
	}
	// Ids follow time: assign them in chronological order per type.
	for _, evs := range [][]pending{evCalls, evEmails, evTexts, evNotes, evLogs} {
		sort.SliceStable(evs, func(a, b int) bool { return evs[a].at.Before(evs[b].at) })
		for _, e := range evs {
			e.fn(e.at)
		}
	}
	for _, rec := range st.leads {
		if rec.updated.Before(rec.lastTouch) {
			rec.updated = rec.lastTouch
		}
		if rec.updated.Before(rec.lastVisit) {
			rec.updated = rec.lastVisit
		}
		rec.render()
	}
	// Two leads share an e-mail address (a duplicate a precise search finds
	// twice), and one lead's address is a superstring of another's (which
	// only a fuzzy search confuses).
	if len(st.leads) > 12 {
		a, b := st.leads[10], st.leads[11]
		if len(a.lead.Emails) > 0 {
			b.lead.Emails = append([]string{strings.ToUpper(a.lead.Emails[0])}, b.lead.Emails...)
		} else {
			a.lead.Emails = []string{"shared.inbox@example.org"}
			b.lead.Emails = []string{"Shared.Inbox@example.org"}
		}
		c := st.leads[12]
		c.lead.Emails = append([]string{"x" + strings.ToLower(a.lead.Emails[0])}, c.lead.Emails...)
	}
	return st
}

func between(r *rand.Rand, from, to time.Time) time.Time {
	span := to.Sub(from)
	if span <= 0 {
		return from.Truncate(time.Second)
	}
	return from.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Second)
}

func genActivity(r *rand.Rand, typ string, at time.Time, city string) Activity {
	a := Activity{Created: at.UnixMilli(), Type: typ}
	mls := fmt.Sprintf("MLS%07d", r.IntN(10000000))
	switch typ {
	case "View Property", "Favorite Property", "Showing Request", "Inquiry":
		a.Link = "https://harbourlending.example/listing/" + mls
		a.Picture = "https://cdn.harbourlending.example/photos/" + mls + ".jpg"
		a.Listing = map[string]any{"mlsListingId": mls, "address": fmt.Sprintf("%d %s, %s", 100+r.IntN(9000), pick(r, streets), city),
			"price": 150000 + r.IntN(90)*10000, "beds": 1 + r.IntN(5), "baths": 1 + r.IntN(3)}
		if typ == "Showing Request" {
			a.ScheduledDate = at.Add(72 * time.Hour).In(QueryZone).Format("2006-01-02 15:04")
		}
	case "Property Search":
		a.Text = pick(r, []string{city + " 3 beds under $450k", "condo near downtown", "zip 85004", "commercial units"})
		a.Link = "https://harbourlending.example/search?q=" + strings.ReplaceAll(a.Text, " ", "+")
	case "Website Visit", "Registration":
		a.PageName = pick(r, []string{"Home", "Loan Calculator", "Apply Now", "SBA Loans", "Equipment Finance"})
		a.Link = "https://harbourlending.example/" + strings.ToLower(strings.ReplaceAll(a.PageName, " ", "-"))
	default:
		a.Text = pick(r, []string{"Your financing options", "Documents needed", "Rate update"})
	}
	return a
}

// touch records a communication with a lead at t.
func (st *store) touch(leadID int64, direction string, t time.Time) {
	rec := st.byID[leadID]
	if rec == nil {
		return
	}
	if direction == "Outbound" {
		rec.contacted = true
		if t.After(rec.lastTouch) {
			rec.lastTouch = t
		}
	}
}

// render refreshes the lead's time strings from the bookkeeping times.
func (rec *leadRec) render() {
	l := &rec.lead
	l.CreateTime = fmtTime(rec.created)
	l.LastUpdateTime = fmtTime(rec.updated)
	l.AssignTime = fmtTime(rec.assigned)
	l.LastTouch = fmtTime(rec.lastTouch)
	l.LastVisit = fmtTime(rec.lastVisit)
}

func (st *store) stageByName(name string) (Stage, bool) {
	for _, s := range st.stages {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Stage{}, false
}

func (st *store) tagID(name string) int64 {
	k := strings.ToLower(name)
	if id, ok := st.tagIDs[k]; ok {
		return id
	}
	id := tagIDBase + int64(len(st.tagIDs)) + 1
	st.tagIDs[k] = id
	return id
}

func memberByUserID(id int64) (Member, bool) {
	for _, m := range members {
		if m.MemberUserID == id {
			return m, true
		}
	}
	return Member{}, false
}

func (st *store) segmentID(name string) int64 {
	k := strings.ToLower(name)
	if id, ok := st.segIDs[k]; ok {
		return id
	}
	id := segmentIDBase + int64(len(st.segIDs)) + 1
	st.segIDs[k] = id
	return id
}
