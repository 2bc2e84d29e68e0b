// Package lofty is the connector for the Lofty CRM Open API (lofty.txt): it
// pulls leads and their events (activities, calls, emails, texts, notes)
// under Lofty's strict rate limit, and pushes new leads exactly once.
package lofty

import (
	_ "embed"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/transforms/normalize"
)

//go:embed sample.yaml
var sample []byte

// Vendor is the connector's name and the vendor column's value.
const Vendor = "lofty"

// DefaultBaseURL is the documented API root (host api.lofty.com, every path
// under /v1.0).
const DefaultBaseURL = "https://api.lofty.com/v1.0"

// Environment variables read when the config leaves the credentials empty.
const (
	EnvAccessToken = "LOFTY_ACCESS_TOKEN"
	EnvVendorKey   = "LOFTY_VENDOR_KEY"
)

// Event sources: the endpoints the events stream reads.
const (
	SourceActivities = "activities" // GET /leads/{leadId}/activities, per changed lead
	SourceCalls      = "calls"      // GET /communication/call (or /calls, see calls_endpoint)
	SourceEmails     = "emails"     // GET /communication/email
	SourceTexts      = "texts"      // GET /communication/text
	SourceNotes      = "notes"      // GET /notes
	SourceLogged     = "logged"     // GET /logType?logType=logCall|logEmail|logText
)

// EventSources lists every event source, in the order a run reads them.
var EventSources = []string{SourceActivities, SourceCalls, SourceEmails, SourceTexts, SourceNotes, SourceLogged}

// DefaultEventSources are read when event_sources is not set. Logged
// calls/emails/texts are off by default: the communication endpoints already
// carry what agents do, and every source costs requests.
var DefaultEventSources = []string{SourceActivities, SourceCalls, SourceEmails, SourceTexts, SourceNotes}

// CustomFieldColumns are the canonical lead columns a Lofty custom field
// (customAttributes) can fill, with custom_fields.
var CustomFieldColumns = []string{"amount_requested", "monthly_turnover", "loan_purpose", "company_name",
	"business_number", "industry", "lost_reason", "partner_ref"}

// DefaultCustomFields maps canonical columns to the custom field names a
// lending team typically creates in Lofty. custom_fields overrides them key
// by key ("" switches one off).
var DefaultCustomFields = map[string]string{
	"amount_requested": "Loan Amount",
	"loan_purpose":     "Loan Purpose",
	"company_name":     "Business Name",
}

// Config is the `config:` block of a lofty source or push.
type Config struct {
	BaseURL string `yaml:"base_url"`
	// AccessToken is the OAuth 2.0 access token sent as a Bearer token.
	// Empty: $LOFTY_ACCESS_TOKEN.
	AccessToken config.Secret `yaml:"access_token"`
	// VendorKey raises the rate limit (10 calls a minute without one).
	// Empty: $LOFTY_VENDOR_KEY, and none when that is empty too.
	VendorKey config.Secret `yaml:"vendor_key"`
	// VendorKeyIn says how the vendorKey travels: a request header (default)
	// or a query parameter; VendorKeyName names it (default "vendorKey").
	// The document does not say.
	VendorKeyIn   string `yaml:"vendor_key_in" enum:"header,query"`
	VendorKeyName string `yaml:"vendor_key_name"`

	// PageSize is the lead search page size (1..100).
	PageSize int `yaml:"page_size"`
	// CommPageSize is the page size of the communication and logType
	// searches (1..1000).
	CommPageSize int `yaml:"comm_page_size"`
	// Concurrency bounds the requests in flight (activities of several
	// leads at once; pages).
	Concurrency int `yaml:"concurrency"`
	// RateLimit is an optional client-side ceiling in requests per second.
	// 0 (default): none; the client paces itself from Lofty's
	// X-RateLimit-* headers, which is what keeps a run free of 429s.
	RateLimit float64 `yaml:"rate_limit"`
	// Timeout bounds one HTTP attempt.
	Timeout time.Duration `yaml:"timeout"`
	// MaxWait is the longest rate-limit wait honored (the window is one
	// minute, so it must be longer than that).
	MaxWait time.Duration `yaml:"max_wait"`
	// RateLimitReset says how X-RateLimit-Reset is read: auto (default),
	// epoch_seconds, delay_seconds or delay_milliseconds. The document's
	// table says epoch seconds but its examples (23000, 21000) look like
	// milliseconds until the reset.
	RateLimitReset string `yaml:"rate_limit_reset" enum:"auto,epoch_seconds,delay_seconds,delay_milliseconds"`

	// Lookback is how far before the last cursor an incremental run starts
	// again (clock skew, second-precision update times). Default 1m; 0s
	// turns it off.
	Lookback *time.Duration `yaml:"lookback"`
	// QueryTimezone is the zone Lofty parses leadUpdateTime in: "UTC-7" as
	// documented ("UCT-7"). Accepts UTC±H[:MM] or an IANA name.
	QueryTimezone string `yaml:"query_timezone"`
	// Timezone reads response timestamps that carry no offset. Default: the
	// query time zone.
	Timezone string `yaml:"timezone"`
	// PhoneRegion is the country whose numbers the account's phones
	// without a country code are (US, AU...). Lofty serves several markets
	// and has none of its own, so it is required: a number with a "+" is
	// read as such, and any other number that is not valid for this region
	// is never converted (it stays raw in attributes.other_phones and is
	// counted as an invalid value).
	PhoneRegion string `yaml:"phone_region"`
	// Country fills the country column of leads with an address (Lofty's
	// addresses have no country).
	Country string `yaml:"country"`
	// Currency of the amounts read from custom fields.
	Currency string `yaml:"currency"`

	// StageMap maps the team's (user-defined) stage names to canonical
	// statuses, over DefaultStageMap; names match case-insensitively.
	StageMap map[string]string `yaml:"stage_map" enum:"$status"`
	// CustomFields maps canonical columns to custom field names, over
	// DefaultCustomFields.
	CustomFields map[string]string `yaml:"custom_fields"`

	// EventSources lists what the events stream reads (see EventSources).
	EventSources []string `yaml:"event_sources" enum:"activities,calls,emails,texts,notes,logged"`
	// CallsEndpoint is where calls come from: "communication" (default,
	// GET /communication/call, 1000 a page, resumable by id) or "calls"
	// (GET /calls, 100 a page; per changed lead in incremental runs).
	CallsEndpoint string `yaml:"calls_endpoint" enum:"communication,calls"`
	// Notes is "team" (default: one GET /notes for the whole team per run)
	// or "per_lead" (GET /notes?leadId= for every changed lead).
	Notes string `yaml:"notes" enum:"team,per_lead"`
	// SystemNotes includes system notes ("Stage changed from X to Y" become
	// status_change events). Default true.
	SystemNotes *bool `yaml:"system_notes"`

	// KeyTag, when set, makes a push tag every lead it creates with
	// KeyTag+<row key>, and Lookup search by that tag first. Empty (default):
	// no tag (one tag per row clutters the team's tag list); Lookup uses
	// e-mail and phone, which every row must then have.
	KeyTag string `yaml:"key_tag"`
	// CheckBeforeCreate makes Send look the lead up (key tag, e-mail, phone)
	// before creating it, and answer with the existing lead instead of a
	// duplicate. Default true. Each check costs requests.
	CheckBeforeCreate *bool `yaml:"check_before_create"`
	// LookupBy is what identifies a lead at Lofty: email, phone or both
	// (default, in that order).
	LookupBy []string `yaml:"lookup_by" enum:"email,phone"`

	queryLoc     *time.Location
	respLoc      *time.Location
	stages       map[string]string // stage name (normalize.StatusKey) → status
	customFields map[string]string // canonical column → custom field name
	sources      map[string]bool
}

// SetDefaults fills the documented defaults.
func (c *Config) SetDefaults() {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.AccessToken.IsZero() {
		c.AccessToken = config.NewSecret(os.Getenv(EnvAccessToken))
	}
	if c.VendorKey.IsZero() {
		c.VendorKey = config.NewSecret(os.Getenv(EnvVendorKey))
	}
	if c.VendorKeyIn == "" {
		c.VendorKeyIn = "header"
	}
	if c.VendorKeyName == "" {
		c.VendorKeyName = "vendorKey"
	}
	if c.PageSize == 0 {
		c.PageSize = 100
	}
	if c.CommPageSize == 0 {
		c.CommPageSize = 1000
	}
	if c.Concurrency == 0 {
		c.Concurrency = 4
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MaxWait == 0 {
		c.MaxWait = 2 * time.Minute
	}
	if c.RateLimitReset == "" {
		c.RateLimitReset = ResetAuto
	}
	if c.Lookback == nil {
		c.Lookback = new(time.Minute)
	}
	if c.QueryTimezone == "" {
		c.QueryTimezone = "UTC-7"
	}
	if c.Timezone == "" {
		c.Timezone = c.QueryTimezone
	}
	if c.Country == "" {
		c.Country = "US"
	}
	if c.Currency == "" {
		c.Currency = "USD"
	}
	if c.EventSources == nil {
		c.EventSources = slices.Clone(DefaultEventSources)
	}
	if c.CallsEndpoint == "" {
		c.CallsEndpoint = "communication"
	}
	if c.Notes == "" {
		c.Notes = "team"
	}
	if c.SystemNotes == nil {
		c.SystemNotes = new(true)
	}
	if c.CheckBeforeCreate == nil {
		c.CheckBeforeCreate = new(true)
	}
	if c.LookupBy == nil {
		c.LookupBy = []string{"email", "phone"}
	}
}

// Validate checks the config and reports every problem.
func (c *Config) Validate(v *config.Validator) {
	connectors.ValidateBaseURL(v, c.BaseURL, DefaultBaseURL, "use access_token and vendor_key")
	if c.AccessToken.IsZero() {
		v.Errorf("access_token", "is required (a Lofty OAuth 2.0 access token; or set $%s)", EnvAccessToken)
	}
	switch c.VendorKeyIn {
	case "header", "query":
	default:
		v.Errorf("vendor_key_in", "must be header or query, got %q", c.VendorKeyIn)
	}
	if strings.ContainsAny(c.VendorKeyName, " :=&?") {
		v.Errorf("vendor_key_name", "must be a plain header or parameter name, got %q", c.VendorKeyName)
	}
	if c.PageSize < 1 || c.PageSize > 100 {
		v.Errorf("page_size", "must be 1..100 (Lofty's lead search limit), got %d", c.PageSize)
	}
	if c.CommPageSize < 1 || c.CommPageSize > 1000 {
		v.Errorf("comm_page_size", "must be 1..1000 (Lofty's communication search limit), got %d", c.CommPageSize)
	}
	connectors.ValidateClient(v, connectors.ClientSettings{Timeout: c.Timeout, RateLimit: c.RateLimit, Concurrency: c.Concurrency})
	if c.MaxWait < time.Minute+5*time.Second {
		v.Errorf("max_wait", "must be at least 65s: Lofty's rate-limit window is one minute, got %s", c.MaxWait)
	}
	if !slices.Contains(ResetModes, c.RateLimitReset) {
		v.Errorf("rate_limit_reset", "must be one of %s, got %q", strings.Join(ResetModes, ", "), c.RateLimitReset)
	}
	if *c.Lookback < 0 {
		v.Errorf("lookback", "must not be negative")
	}
	var err error
	if c.queryLoc, err = parseZone(c.QueryTimezone); err != nil {
		v.Errorf("query_timezone", "%v", err)
	}
	if c.respLoc, err = parseZone(c.Timezone); err != nil {
		v.Errorf("timezone", "%v", err)
	}
	if len(c.Country) != 2 || strings.ToUpper(c.Country) != c.Country {
		v.Errorf("country", "must be an ISO 3166-1 alpha-2 code such as US, got %q", c.Country)
	}
	switch {
	case c.PhoneRegion == "":
		v.Errorf("phone_region", "is required: Lofty has no market of its own, so say which country the account's "+
			"numbers without a +country code belong to (e.g. US or AU)")
	case len(c.PhoneRegion) != 2 || strings.ToUpper(c.PhoneRegion) != c.PhoneRegion:
		v.Errorf("phone_region", "must be an ISO 3166-1 alpha-2 code such as US, got %q", c.PhoneRegion)
	}
	if len(c.Currency) != 3 || strings.ToUpper(c.Currency) != c.Currency {
		v.Errorf("currency", "must be an ISO 4217 code such as USD, got %q", c.Currency)
	}

	c.stages = make(map[string]string, len(DefaultStageMap)+len(c.StageMap))
	for k, s := range DefaultStageMap {
		c.stages[normalize.StatusKey(k)] = s
	}
	for _, k := range sortedKeys(c.StageMap) {
		s := c.StageMap[k]
		if !slices.Contains(schema.Statuses, s) {
			v.Errorf("stage_map."+k, "must be a canonical status (%s), got %q", strings.Join(schema.Statuses, ", "), s)
			continue
		}
		c.stages[normalize.StatusKey(k)] = s
	}

	c.customFields = map[string]string{}
	for k, name := range DefaultCustomFields {
		c.customFields[k] = name
	}
	for _, k := range sortedKeys(c.CustomFields) {
		if !slices.Contains(CustomFieldColumns, k) {
			v.Errorf("custom_fields."+k, "is not a column a custom field can fill (%s)", strings.Join(CustomFieldColumns, ", "))
			continue
		}
		if name := strings.TrimSpace(c.CustomFields[k]); name == "" {
			delete(c.customFields, k)
		} else {
			c.customFields[k] = name
		}
	}

	c.sources = map[string]bool{}
	for i, s := range c.EventSources {
		if !slices.Contains(EventSources, s) {
			v.Errorf("event_sources["+strconv.Itoa(i)+"]", "must be one of %s, got %q", strings.Join(EventSources, ", "), s)
		}
		c.sources[s] = true
	}
	switch c.CallsEndpoint {
	case "communication", "calls":
	default:
		v.Errorf("calls_endpoint", "must be communication or calls, got %q", c.CallsEndpoint)
	}
	switch c.Notes {
	case "team", "per_lead":
	default:
		v.Errorf("notes", "must be team or per_lead, got %q", c.Notes)
	}
	if len(c.LookupBy) == 0 && c.KeyTag == "" {
		v.Errorf("lookup_by", "must list email and/or phone (or set key_tag): a push needs a way to find a lead again")
	}
	for i, s := range c.LookupBy {
		if s != "email" && s != "phone" {
			v.Errorf("lookup_by["+strconv.Itoa(i)+"]", "must be email or phone, got %q", s)
		}
	}
	if strings.ContainsAny(c.KeyTag, ",") || len(c.KeyTag) > 40 {
		v.Errorf("key_tag", "must be a short tag prefix without commas, got %q", c.KeyTag)
	}
}

// resolved returns the config with its derived fields filled, for configs
// built without Validate (tests, tools).
func (c *Config) resolved() *Config {
	if c.stages == nil || c.queryLoc == nil || c.respLoc == nil || c.sources == nil || c.customFields == nil {
		cp := *c
		cp.SetDefaults()
		v, _ := config.NewValidator("lofty")
		cp.Validate(v)
		if cp.queryLoc == nil {
			cp.queryLoc = time.FixedZone("UTC-7", -7*3600)
		}
		if cp.respLoc == nil {
			cp.respLoc = cp.queryLoc
		}
		return &cp
	}
	return c
}

// parseZone reads "UTC", "UTC-7", "UTC+05:30", "-07:00" or an IANA name.
func parseZone(s string) (*time.Location, error) {
	s = strings.TrimSpace(s)
	up := strings.ToUpper(s)
	if up == "UTC" || up == "Z" {
		return time.UTC, nil
	}
	off := up
	for _, p := range []string{"UTC", "UCT", "GMT"} {
		off = strings.TrimPrefix(off, p)
	}
	if off != "" && (off[0] == '+' || off[0] == '-') {
		sign := 1
		if off[0] == '-' {
			sign = -1
		}
		hh, mm, _ := strings.Cut(off[1:], ":")
		h, err1 := strconv.Atoi(hh)
		m := 0
		var err2 error
		if mm != "" {
			m, err2 = strconv.Atoi(mm)
		}
		if err1 != nil || err2 != nil || h > 14 || m > 59 {
			return nil, fmt.Errorf("%q is not an offset like UTC-7 or UTC+05:30", s)
		}
		return time.FixedZone(s, sign*(h*3600+m*60)), nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (use UTC-7 or an IANA name such as America/Phoenix)", s)
	}
	return loc, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func init() {
	connectors.Register(&connectors.Spec{
		Name:    Vendor,
		Summary: "Lofty CRM: leads and their activities, calls, emails, texts and notes under a 10-calls-a-minute limit; push new leads",
		Streams: []connectors.StreamSpec{
			{Name: "leads", Tables: []string{schema.Leads.Name}, Incremental: true,
				Cursor:      "lead lastUpdateTime (GET /leads/updateTime, parsed in UTC-7)",
				Description: "every lead, with its stage mapped to a status, primary e-mail and phone, tags, segments, lead types, assignee and source"},
			{Name: "events", Tables: []string{schema.Events.Name}, Incremental: true,
				Cursor:      "lead lastUpdateTime for per-lead activities and notes; the last id of each communication search",
				Description: "activities (per changed lead), calls, emails, texts, notes and stage changes"},
		},
		Targets: []connectors.TargetSpec{
			{Name: "leads", Description: "create a lead (POST /v1.0/leads) after checking it is not already at Lofty",
				Lookup: "key tag (key_tag), then e-mail, then phone (GET /v1.0/leads with preciseSearchFlag)", Update: true},
		},
		Sample:      sample,
		Decodes:     []string{"leads"},
		Attributes:  attributes,
		PushPrivacy: pushPrivacy,
		NewConfig:   func() any { return &Config{} },
		New: func(cfg any, env connectors.Env) (connectors.Connector, error) {
			c, ok := cfg.(*Config)
			if !ok {
				return nil, fmt.Errorf("lofty: config is %T", cfg)
			}
			return newConnector(c.resolved(), env), nil
		},
	})
}
