package lofty

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/transforms/normalize"
)

// DefaultStageMap maps stage names to canonical statuses. Lofty's stages are
// user-defined (LeadResponse.stage is free text, "less than 20 characters"),
// so this covers the stages lending teams commonly create; a pipeline's
// stage_map adds or overrides names. Names match case-insensitively.
var DefaultStageMap = map[string]string{
	"New":               schema.StatusNew,
	"New Lead":          schema.StatusNew,
	"Attempted Contact": schema.StatusContacting,
	"Contacted":         schema.StatusContacting,
	"Nurture":           schema.StatusContacting,
	"Qualified":         schema.StatusQualifying,
	"Application":       schema.StatusApplication,
	"Approved":          schema.StatusApproved,
	"Funded":            schema.StatusFunded,
	"Declined":          schema.StatusDeclined,
	"Closed Lost":       schema.StatusLost,
	"Lost":              schema.StatusLost,
	"Expired":           schema.StatusExpired,
}

// UnknownStatus is where a stage that no map knows lands: the start of the
// funnel, so an unknown stage never inflates funded, approved or declined
// counts. The stage name stays in vendor_status and is counted.
const UnknownStatus = schema.StatusNew

// LeadTypeNames are the documented leadType ids (LeadRequest/LeadResponse).
var LeadTypeNames = map[int32]string{-1: "Other", 1: "Seller", 2: "Buyer", 3: "Buyer & Seller", 5: "Renter"}

// LeadTypesNames are the documented leadTypes ids.
var LeadTypesNames = map[int32]string{-1: "Other", 1: "Seller", 2: "Buyer", 5: "Renter", 6: "Investor",
	7: "Agent", 8: "Homeowner", 9: "Landlord"}

// DirectionMap maps the documented directions ("Outbound or Inbound") of
// calls, emails, texts and logged communication; keys are lower-cased.
var DirectionMap = map[string]string{"outbound": "outbound", "inbound": "inbound"}

// CallingOutcomes are the documented callingOutcome values.
var CallingOutcomes = []string{"Talked", "VoiceMessage", "NoAnswer", "BadNumber", "DNCNumber", "DNCContact"}

// EmailEventTypes are the documented EmailResponse.eventType values.
var EmailEventTypes = []string{"Sent", "Opened", "Bounced"}

// EmailTypes are the documented EmailResponse.emailType values; TextTypes
// the TextResponse.textType values.
var (
	EmailTypes = []string{"Manual", "Auto"}
	TextTypes  = []string{"Manual", "Auto"}
)

// LogTypeMap maps the documented logType values to canonical event types.
var LogTypeMap = map[string]string{"logCall": schema.EventCall, "logEmail": schema.EventEmail, "logText": schema.EventSMS}

// ActivityTypeMap maps LeadActivityRes.type to a canonical event type. The
// document leaves "type" undescribed; these are the values Lofty's website
// and IDX produce (and the sandbox generates). An unknown type is an
// activity, counted.
var ActivityTypeMap = map[string]string{
	"View Property":     schema.EventActivity,
	"Favorite Property": schema.EventActivity,
	"Property Search":   schema.EventActivity,
	"Website Visit":     schema.EventActivity,
	"Registration":      schema.EventActivity,
	"Inquiry":           schema.EventActivity,
	"Showing Request":   schema.EventActivity,
	"Open Email":        schema.EventEmail,
	"Click Link":        schema.EventEmail,
}

// stageChange reads Lofty's system note of a stage change: "Stage changed
// from X to Y", or "Stage changed to Y" without the stage left.
var stageChange = regexp.MustCompile(`(?is)^\s*stage changed (?:from (.*?) )?to (.*?)\s*\.?\s*$`)

// normalizer turns Lofty records into canonical rows.
type normalizer struct {
	cfg     *Config
	unknown *schema.Unknowns
}

func (n *normalizer) stageStatus(stage string) string {
	stage = strings.TrimSpace(stage)
	if stage == "" {
		return UnknownStatus
	}
	if s, ok := n.cfg.stages[normalize.StatusKey(stage)]; ok {
		return s
	}
	n.unknown.Add(Vendor, "lead.stage", stage)
	return UnknownStatus
}

// ts reads a response time: RFC 3339 (any offset), a zone-less time in the
// configured time zone, or epoch milliseconds.
func (n *normalizer) ts(raw flexTime) schema.Timestamp {
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return schema.Timestamp{}
	}
	if len(s) >= 11 && strings.Trim(s, "0123456789") == "" {
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			return schema.TimestampOf(time.UnixMilli(ms))
		}
	}
	t, _ := normalize.Timestamp(s, n.cfg.respLoc)
	return t
}

// parseAmount reads an amount typed into a custom field: "$40,000",
// "40000", "40k", "$1.2m", "40,000.00 USD". No float is involved.
func parseAmount(raw string) (schema.Money, bool) {
	s := strings.ToLower(strings.TrimSpace(raw))
	for _, cut := range []string{"usd", "us$", "$", " "} {
		s = strings.ReplaceAll(s, cut, "")
	}
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1000, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "m"):
		mult, s = 1000000, strings.TrimSuffix(s, "m")
	}
	if s == "" {
		return schema.Money{}, false
	}
	m, err := schema.ParseMoney(s)
	if err != nil || !m.Valid {
		return schema.Money{}, false
	}
	return schema.MoneyFromCents(m.Cents * mult), true
}

// leadKeys are the LeadResponse fields that feed canonical columns (or are
// rewritten into attributes): every other field goes to attributes as sent.
var leadKeys = map[string]bool{"leadId": true, "firstName": true, "lastName": true, "emails": true, "phones": true,
	"birthday": true, "stage": true, "source": true, "assignedUser": true, "city": true, "state": true, "zipCode": true,
	"createTime": true, "lastUpdateTime": true, "tags": true, "customAttributes": true, "groups": true}

func (n *normalizer) lead(r *rawLead) schema.Lead {
	w := &r.w
	id := string(w.LeadID)
	l := schema.Lead{
		LeadUID:      schema.UID(Vendor, id),
		VendorLeadID: id,
		Status:       n.stageStatus(w.Stage),
		VendorStatus: strings.TrimSpace(w.Stage),
		FirstName:    strings.TrimSpace(w.FirstName),
		LastName:     strings.TrimSpace(w.LastName),
		Source:       strings.TrimSpace(w.Source),
		Broker:       strings.TrimSpace(w.AssignedUser),
		State:        strings.TrimSpace(w.State),
		City:         strings.TrimSpace(w.City),
		PostalCode:   strings.TrimSpace(w.ZipCode),
		CreatedAt:    n.ts(w.CreateTime),
		UpdatedAt:    n.ts(w.LastUpdateTime),
		Common:       schema.Common{Vendor: Vendor},
	}
	attrs := normalize.Attributes{}
	for k, v := range r.all {
		if !leadKeys[k] && !emptyJSON(v) {
			attrs[k] = v
		}
	}

	// Primary e-mail and phone: the first usable one; the others stay raw.
	var otherEmails []string
	for _, e := range w.Emails {
		if norm, ok := normalize.Email(e); ok && l.Email == "" {
			l.Email = norm
		} else if strings.TrimSpace(e) != "" {
			otherEmails = append(otherEmails, e)
		}
	}
	attrs.Set("other_emails", otherEmails)
	// A number with a + is read as such; any other needs phone_region.
	// One that is not valid for its region is never converted: it stays
	// raw in other_phones and is counted.
	var otherPhones []string
	for _, p := range w.Phones {
		if norm, ok := normalize.CountedPhone(n.unknown, Vendor, "lead.phones", p, n.cfg.PhoneRegion); ok && l.Phone == "" {
			l.Phone = norm
		} else if strings.TrimSpace(p) != "" {
			otherPhones = append(otherPhones, p)
		}
	}
	attrs.Set("other_phones", otherPhones)

	if b := strings.TrimSpace(w.Birthday); b != "" {
		if t, err := time.Parse("Jan 2, 2006", b); err == nil {
			l.DateOfBirth = schema.DateOf(t)
		} else if d, ok := normalize.Date(b); ok {
			l.DateOfBirth = d
		} else {
			attrs.Set("birthday", b)
		}
		if l.DateOfBirth.Valid {
			l.BirthYear = schema.IntOf(int64(l.DateOfBirth.Time().Year()))
		}
	}
	if l.State != "" || l.City != "" || l.PostalCode != "" || w.StreetAddress != "" {
		l.Country = n.cfg.Country
	}

	var tags []string
	for _, t := range w.Tags {
		if name := strings.TrimSpace(t.TagName); name != "" {
			tags = append(tags, name)
			if n.cfg.KeyTag != "" && strings.HasPrefix(name, n.cfg.KeyTag) && l.PartnerRef == "" {
				l.PartnerRef = strings.TrimPrefix(name, n.cfg.KeyTag)
			}
		}
	}
	attrs.Set("tags", tags)
	if len(w.Groups) > 0 && !slices.Equal(w.Groups, w.Segments) {
		attrs.Set("groups", w.Groups)
	}

	if w.LeadType != nil {
		if name, ok := LeadTypeNames[*w.LeadType]; ok {
			attrs.Set("lead_type_name", name)
		} else {
			n.unknown.Add(Vendor, "lead.leadType", strconv.Itoa(int(*w.LeadType)))
		}
	}
	var typeNames []string
	for _, t := range w.LeadTypes {
		if name, ok := LeadTypesNames[t]; ok {
			typeNames = append(typeNames, name)
		} else {
			n.unknown.Add(Vendor, "lead.leadTypes", strconv.Itoa(int(t)))
			typeNames = append(typeNames, strconv.Itoa(int(t)))
		}
	}
	attrs.Set("lead_type_names", typeNames)

	// Custom fields: every one is kept by name; the configured ones also
	// fill their canonical column.
	custom := map[string]any{}
	byName := map[string]string{}
	for _, ca := range w.CustomAttributes {
		name := strings.TrimSpace(ca.AttributeName)
		if name == "" {
			continue
		}
		val := customValue(ca.Value)
		if val != "" {
			custom[name] = val
		}
		byName[strings.ToLower(name)] = val
	}
	attrs.Set("custom_fields", custom)
	for col, name := range n.cfg.customFields {
		raw := strings.TrimSpace(byName[strings.ToLower(name)])
		if raw == "" {
			continue
		}
		switch col {
		case "amount_requested", "monthly_turnover":
			m, ok := parseAmount(raw)
			if !ok {
				attrs.Set(col+"_raw", raw)
				continue
			}
			if col == "amount_requested" {
				l.AmountRequested = m
			} else {
				l.MonthlyTurnover = m
			}
		case "loan_purpose":
			l.LoanPurpose = raw
		case "company_name":
			l.CompanyName = raw
		case "business_number":
			l.BusinessNumber = raw
		case "industry":
			l.Industry = raw
		case "lost_reason":
			l.LostReason = raw
		case "partner_ref":
			if l.PartnerRef == "" {
				l.PartnerRef = raw
			}
		}
	}
	if l.AmountRequested.Valid || l.MonthlyTurnover.Valid {
		l.Currency = n.cfg.Currency
	}
	l.Attributes = attrs.JSON()
	return l
}

// customValue renders a custom field value (a string, or for multi-selects
// a JSON list) as text.
func customValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

// emptyJSON reports a raw JSON value that carries no information.
func emptyJSON(v json.RawMessage) bool {
	switch string(bytes.TrimSpace(v)) {
	case "", "null", `""`, "[]", "{}":
		return true
	}
	return false
}

func (n *normalizer) direction(field, raw string, attrs normalize.Attributes) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	if d, ok := DirectionMap[strings.ToLower(raw)]; ok {
		return d
	}
	n.unknown.Add(Vendor, field, raw)
	attrs.Set("direction_raw", raw)
	return ""
}

func (n *normalizer) known(field, raw string, values []string) {
	if raw != "" && !slices.Contains(values, raw) {
		n.unknown.Add(Vendor, field, raw)
	}
}

func setID(attrs normalize.Attributes, key string, id flexID) { attrs.Set(key, string(id)) }

func setBool(attrs normalize.Attributes, key string, b *bool) {
	if b != nil {
		attrs.Set(key, *b)
	}
}

func setInt(attrs normalize.Attributes, key string, v *int64) {
	if v != nil {
		attrs.Set(key, *v)
	}
}

func setTime(attrs normalize.Attributes, key string, ts schema.Timestamp) {
	if ts.Valid {
		attrs.Set(key, ts.Time().UTC().Format(time.RFC3339Nano))
	}
}

// activityID is the synthesized id of an activity (the API gives none): the
// lead, the time and a hash of the content, with ordinal > 0 telling apart
// identical activities of the same lead.
func activityID(leadID string, a *wireActivity, ordinal int) string {
	listing, _ := json.Marshal(a.Listing)
	h := sha256.Sum256([]byte(strings.Join([]string{leadID, strconv.FormatInt(a.Created, 10), a.Type, a.Text,
		a.Link, a.PageName, a.Picture, a.ScheduledDate, string(listing)}, "\x00")))
	id := leadID + "-" + strconv.FormatInt(a.Created, 10) + "-" + hex.EncodeToString(h[:5])
	if ordinal > 0 {
		id += "-" + strconv.Itoa(ordinal)
	}
	return id
}

func (n *normalizer) activity(leadID string, a *wireActivity, ordinal int) schema.Event {
	id := activityID(leadID, a, ordinal)
	e := schema.Event{
		EventUID:        schema.UID(Vendor, "activity:"+id),
		VendorEventID:   id,
		LeadUID:         schema.UID(Vendor, leadID),
		VendorEventType: a.Type,
		OccurredAt:      schema.TimestampOf(time.UnixMilli(a.Created)),
		Common:          schema.Common{Vendor: Vendor},
	}
	if t, ok := ActivityTypeMap[a.Type]; ok {
		e.EventType = t
	} else {
		e.EventType = schema.EventActivity
		if a.Type != "" {
			n.unknown.Add(Vendor, "activity.type", a.Type)
		}
	}
	switch {
	case a.Text != "":
		e.Detail = a.Text
	case a.PageName != "":
		e.Detail = a.PageName
	default:
		e.Detail = a.Link
	}
	attrs := normalize.Attributes{}
	attrs.Set("source", "activities")
	attrs.Set("link", a.Link)
	attrs.Set("page_name", a.PageName)
	attrs.Set("picture", a.Picture)
	attrs.Set("scheduled_date", a.ScheduledDate)
	attrs.Set("text", a.Text)
	attrs.Set("listing", a.Listing)
	e.Attributes = attrs.JSON()
	return e
}

func (n *normalizer) call(w *wireCall) schema.Event {
	attrs := normalize.Attributes{}
	e := schema.Event{
		EventUID:        schema.UID(Vendor, "call:"+string(w.ID)),
		VendorEventID:   string(w.ID),
		LeadUID:         schema.UID(Vendor, string(w.LeadID)),
		EventType:       schema.EventCall,
		VendorEventType: "Call",
		Direction:       n.direction("call.direction", w.Direction, attrs),
		OccurredAt:      n.ts(w.CreateTime),
		Common:          schema.Common{Vendor: Vendor},
	}
	if !e.OccurredAt.Valid {
		e.OccurredAt = n.ts(w.StartTime)
	}
	n.known("call.callingOutcome", w.CallingOutcome, CallingOutcomes)
	e.Detail = w.Note
	if e.Detail == "" {
		e.Detail = w.CallingOutcome
	}
	attrs.Set("source", "calls")
	attrs.Set("calling_outcome", w.CallingOutcome)
	attrs.Set("call_status", w.Status)
	setInt(attrs, "duration_seconds", w.Duration)
	attrs.Set("elapsed_time", w.ElapsedTime)
	setTime(attrs, "start_time", n.ts(w.StartTime))
	setTime(attrs, "end_time", n.ts(w.EndTime))
	setTime(attrs, "update_time", n.ts(w.UpdateTime))
	setID(attrs, "agent_id", w.AgentID)
	setID(attrs, "user_id", w.UserID)
	setID(attrs, "dialer_call_record_id", w.DialerCallRecordID)
	setBool(attrs, "is_machine_answered", w.IsMachineAnswered)
	setBool(attrs, "recording_switch", w.RecordingSwitch)
	attrs.Set("note", w.Note)
	attrs.Set("price", string(w.Price))
	setInt(attrs, "rate_score", w.RateScore)
	attrs.Set("lead_phone_number", w.LeadPhoneNumber)
	attrs.Set("show_user_number", w.ShowUserNumber)
	attrs.Set("user_phone_number", w.UserPhoneNumber)
	e.Attributes = attrs.JSON()
	return e
}

func (n *normalizer) email(w *wireEmail) schema.Event {
	attrs := normalize.Attributes{}
	e := schema.Event{
		EventUID:      schema.UID(Vendor, "email:"+string(w.ID)),
		VendorEventID: string(w.ID),
		LeadUID:       schema.UID(Vendor, string(w.LeadID)),
		EventType:     schema.EventEmail,
		Direction:     n.direction("email.direction", w.Direction, attrs),
		Detail:        w.EmailSubject,
		OccurredAt:    n.ts(w.EmailEventTime),
		Common:        schema.Common{Vendor: Vendor},
	}
	// CommunicationResponse's vocabulary: "Sent Email", "Opened Email"...
	e.VendorEventType = strings.TrimSpace(w.EventType + " Email")
	n.known("email.eventType", w.EventType, EmailEventTypes)
	n.known("email.emailType", w.EmailType, EmailTypes)
	attrs.Set("source", "emails")
	attrs.Set("email_type", w.EmailType)
	attrs.Set("email_event_type", w.EventType)
	setBool(attrs, "from_pond", w.FromPond)
	setID(attrs, "agent_id", w.AgentID)
	e.Attributes = attrs.JSON()
	return e
}

func (n *normalizer) text(w *wireText) schema.Event {
	attrs := normalize.Attributes{}
	e := schema.Event{
		EventUID:        schema.UID(Vendor, "text:"+string(w.ID)),
		VendorEventID:   string(w.ID),
		LeadUID:         schema.UID(Vendor, string(w.LeadID)),
		EventType:       schema.EventSMS,
		VendorEventType: "Text",
		Direction:       n.direction("text.direction", w.Direction, attrs),
		Detail:          w.TextOutcome,
		OccurredAt:      n.ts(w.TextTime),
		Common:          schema.Common{Vendor: Vendor},
	}
	n.known("text.textType", w.TextType, TextTypes)
	attrs.Set("source", "texts")
	attrs.Set("text_type", w.TextType)
	attrs.Set("text_outcome", w.TextOutcome)
	setID(attrs, "agent_id", w.AgentID)
	e.Attributes = attrs.JSON()
	return e
}

func (n *normalizer) note(w *wireNote) schema.Event {
	id := string(w.NoteID)
	if id == "" {
		id = "t" + string(w.ID) // only the timeline id is known
	}
	e := schema.Event{
		EventUID:        schema.UID(Vendor, "note:"+id),
		VendorEventID:   id,
		LeadUID:         schema.UID(Vendor, string(w.LeadID)),
		EventType:       schema.EventNote,
		VendorEventType: "Note",
		Detail:          w.Content,
		OccurredAt:      n.ts(w.CreateTime),
		Common:          schema.Common{Vendor: Vendor},
	}
	attrs := normalize.Attributes{}
	if w.SystemNote {
		e.VendorEventType = "System Note"
		if m := stageChange.FindStringSubmatch(w.Content); m != nil {
			e.EventType = schema.EventStatusChange
			e.StatusTo = n.stageStatus(m[2])
			attrs.Set("stage_from", strings.TrimSpace(m[1]))
			attrs.Set("stage_to", strings.TrimSpace(m[2]))
		}
	}
	attrs.Set("source", "notes")
	setID(attrs, "timeline_id", w.ID)
	setID(attrs, "creator_id", w.CreatorID)
	attrs.Set("creator_name", w.CreatorName)
	setID(attrs, "last_editor_id", w.LastEditorID)
	attrs.Set("last_editor_name", w.LastEditorName)
	setTime(attrs, "last_update", n.ts(w.LastUpdate))
	setBool(attrs, "is_pin", w.IsPin)
	attrs.Set("system_note", w.SystemNote)
	e.Attributes = attrs.JSON()
	return e
}

func (n *normalizer) logged(kind string, w *wireLog) schema.Event {
	attrs := normalize.Attributes{}
	e := schema.Event{
		EventUID:        schema.UID(Vendor, "log:"+string(w.ID)),
		VendorEventID:   string(w.ID),
		LeadUID:         schema.UID(Vendor, string(w.LeadID)),
		EventType:       LogTypeMap[kind],
		VendorEventType: kind,
		Direction:       n.direction("logType.outboundOrInbound", w.OutboundOrInbound, attrs),
		Detail:          w.CallingOutcome,
		OccurredAt:      n.ts(w.CreateTime),
		Common:          schema.Common{Vendor: Vendor},
	}
	n.known("logType.callingOutcome", w.CallingOutcome, CallingOutcomes)
	attrs.Set("source", "logged")
	attrs.Set("calling_outcome", w.CallingOutcome)
	attrs.Set("lead_phone_number", w.LeadPhoneNumber)
	setID(attrs, "agent_id", w.AgentID)
	setBool(attrs, "is_pin", w.IsPin)
	e.Attributes = attrs.JSON()
	return e
}
