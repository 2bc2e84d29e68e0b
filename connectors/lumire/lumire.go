// Package lumire is the connector for LumireCRM (lumirecrm.txt), a CRM for
// brokers: it pulls sales leads, sales activities and money movements
// (deposits, withdrawals and the transaction ledger), and pushes new sales
// leads and ledger transactions.
//
// The vendor document is generated from an OpenAPI file that shows request
// bodies only: no response body, query parameter, error body or API-key
// header is documented. The connector's reading of it, and the settings
// that change each choice, are in README.md.
package lumire

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/schema"
)

//go:embed sample.yaml
var sample []byte

// Vendor is the connector's name and the vendor column's value.
const Vendor = "lumire"

// Documented names and defaults.
const (
	// DefaultBaseURL is the API root: the host of the documented Swagger UI
	// (https://api.lumirecrm.com/docs) with the /v1 prefix every documented
	// path has.
	DefaultBaseURL = "https://api.lumirecrm.com/v1"
	// SessionCookie is the documented session cookie set by /v1/auth/login.
	SessionCookie = "lumirecrm_session"
	// DefaultAPIKeyHeader carries the API key. The doc says "API-key auth"
	// without naming a header; this is the common convention (and the
	// sandbox's).
	DefaultAPIKeyHeader = "X-API-Key"
	// DefaultExportCap is the documented row limit of the CSV exports
	// ("Max 10,000 rows").
	DefaultExportCap = 10000
	// DefaultMetadataKey is the lead metadata property that carries
	// leadpipe's row key (push) and is read back as partner_ref (pull).
	DefaultMetadataKey = "leadpipe_key"
)

// Auth modes.
const (
	AuthSession = "session"
	AuthAPIKey  = "api_key"
)

// Read paths of the payments stream.
const (
	ReadAPI    = "api"
	ReadExport = "export"
)

// PaymentSources are the lists the payments stream reads, in order.
var PaymentSources = []string{"deposits", "withdrawals", "transactions"}

// Config is the `config:` block of a lumire source or push.
type Config struct {
	BaseURL string `yaml:"base_url"`
	// Auth is session (log in with email, password and tenant) or api_key.
	// Default: api_key when api_key is set, session otherwise.
	Auth       string        `yaml:"auth" enum:"session,api_key"`
	Email      string        `yaml:"email"`
	Password   config.Secret `yaml:"password"`
	TenantSlug string        `yaml:"tenant_slug"`
	// TOTPSecret is the base32 seed of the user's authenticator; the
	// connector computes the code at every login. TOTPCode is a fixed code,
	// for a one-off run.
	TOTPSecret config.Secret `yaml:"totp_secret"`
	TOTPCode   config.Secret `yaml:"totp_code"`
	APIKey     config.Secret `yaml:"api_key"`
	// APIKeyHeader is the header that carries the API key.
	APIKeyHeader string `yaml:"api_key_header"`

	// PageSize is the `limit` of list requests (1..100).
	PageSize int `yaml:"page_size"`
	// Concurrency bounds the requests in flight (lead details).
	Concurrency int `yaml:"concurrency"`
	// RateLimit is the request rate in requests per second. LumireCRM
	// documents none.
	RateLimit float64 `yaml:"rate_limit"`
	// Timeout bounds one HTTP attempt.
	Timeout time.Duration `yaml:"timeout"`
	// StartDate bounds a first or full-refresh run to records from that day
	// on (YYYY-MM-DD). Empty: everything.
	StartDate string `yaml:"start_date"`
	// Lookback is how far before the last cursor an incremental run starts
	// again (clock skew between leadpipe and the vendor, late writes).
	Lookback time.Duration `yaml:"lookback"`

	// LeadDetails fetches GET /sales/leads/{id} for every lead read: the
	// only place the lead's metadata (and so partner_ref) and its assignee
	// appear. false saves one request per lead.
	LeadDetails *bool `yaml:"lead_details"`
	// PaymentSources are the lists the payments stream reads.
	PaymentSources config.StringList `yaml:"payment_sources" enum:"deposits,withdrawals,transactions"`
	// ReadPath is how payments are read: api (cursor-paginated lists) or
	// export (the CSV exports, split by date window at the row cap).
	ReadPath string `yaml:"read_path" enum:"api,export"`
	// ExportCap is the row cap of one CSV export.
	ExportCap int `yaml:"export_cap"`

	// The list response shape is undocumented. RecordsPath is the dotted
	// path of the records array in a list response (default: the body when
	// it is an array, else data, items or results). NextCursorPath is the
	// dotted path of the next cursor, or "header:<Name>" (default:
	// nextCursor, next_cursor or cursor, at the top or under meta,
	// pagination or paging, then the X-Next-Cursor header). CursorParam and
	// LimitParam are the query parameters that send them back.
	RecordsPath    string `yaml:"records_path"`
	NextCursorPath string `yaml:"next_cursor_path"`
	CursorParam    string `yaml:"cursor_param"`
	LimitParam     string `yaml:"limit_param"`

	// PhoneRegion is the country assumed for a phone without a country
	// code when the lead has no country of its own. Empty: such phones are
	// kept raw in attributes.
	PhoneRegion string `yaml:"phone_region"`
	// MetadataKey is the lead metadata property holding leadpipe's row key.
	MetadataKey string `yaml:"metadata_key"`
	// Timezone reads pushed occurredAt values that carry no offset.
	Timezone string `yaml:"timezone"`

	startDate time.Time
	location  *time.Location
}

// SetDefaults fills the defaults.
func (c *Config) SetDefaults() {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Auth == "" {
		c.Auth = AuthSession
		if !c.APIKey.IsZero() {
			c.Auth = AuthAPIKey
		}
	}
	if c.APIKeyHeader == "" {
		c.APIKeyHeader = DefaultAPIKeyHeader
	}
	if c.PageSize == 0 {
		c.PageSize = 100
	}
	if c.Concurrency == 0 {
		c.Concurrency = 4
	}
	if c.RateLimit == 0 {
		c.RateLimit = 10
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Lookback == 0 {
		c.Lookback = 10 * time.Minute
	}
	if c.LeadDetails == nil {
		c.LeadDetails = new(true)
	}
	if len(c.PaymentSources) == 0 {
		c.PaymentSources = slices.Clone(PaymentSources)
	}
	if c.ReadPath == "" {
		c.ReadPath = ReadAPI
	}
	if c.ExportCap == 0 {
		c.ExportCap = DefaultExportCap
	}
	if c.CursorParam == "" {
		c.CursorParam = "cursor"
	}
	if c.LimitParam == "" {
		c.LimitParam = "limit"
	}
	if c.MetadataKey == "" {
		c.MetadataKey = DefaultMetadataKey
	}
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
}

// Validate checks the config and reports every problem.
func (c *Config) Validate(v *config.Validator) {
	connectors.ValidateBaseURL(v, c.BaseURL, DefaultBaseURL, "use email and password, or api_key")
	switch c.Auth {
	case AuthSession:
		if c.Email == "" {
			v.Errorf("email", "is required for auth: session (the LumireCRM user to log in as)")
		}
		if c.Password.IsZero() {
			v.Errorf("password", "is required for auth: session")
		}
		if c.TenantSlug == "" {
			v.Errorf("tenant_slug", "is required for auth: session (your tenant's slug, as in the login form)")
		}
		if !c.TOTPSecret.IsZero() && !c.TOTPCode.IsZero() {
			v.Errorf("totp_code", "set totp_secret or totp_code, not both")
		}
		if !c.TOTPSecret.IsZero() {
			if _, err := decodeTOTPSecret(c.TOTPSecret.Reveal()); err != nil {
				v.Errorf("totp_secret", "must be the base32 seed of the authenticator (letters A-Z and digits 2-7)")
			}
		}
	case AuthAPIKey:
		if c.APIKey.IsZero() {
			v.Errorf("api_key", "is required for auth: api_key")
		}
		if !validHeaderName(c.APIKeyHeader) {
			v.Errorf("api_key_header", "%q is not an HTTP header name", c.APIKeyHeader)
		}
	default:
		v.Errorf("auth", "must be session or api_key, got %q", c.Auth)
	}
	if c.PageSize < 1 || c.PageSize > 100 {
		v.Errorf("page_size", "must be 1..100, got %d", c.PageSize)
	}
	connectors.ValidateClient(v, connectors.ClientSettings{Timeout: c.Timeout, RateLimit: c.RateLimit, Concurrency: c.Concurrency})
	if c.Lookback < 0 {
		v.Errorf("lookback", "must not be negative")
	}
	if c.StartDate != "" {
		t, err := time.Parse("2006-01-02", c.StartDate)
		if err != nil {
			v.Errorf("start_date", "must be a date like 2026-01-31, got %q", c.StartDate)
		}
		c.startDate = t
	}
	seen := map[string]bool{}
	for i, s := range c.PaymentSources {
		if !slices.Contains(PaymentSources, s) {
			v.Errorf(fmt.Sprintf("payment_sources[%d]", i), "must be one of %s, got %q", strings.Join(PaymentSources, ", "), s)
		}
		if seen[s] {
			v.Errorf(fmt.Sprintf("payment_sources[%d]", i), "%q is listed twice", s)
		}
		seen[s] = true
	}
	switch c.ReadPath {
	case ReadAPI, ReadExport:
	default:
		v.Errorf("read_path", "must be api or export, got %q", c.ReadPath)
	}
	if c.ExportCap < 1 || c.ExportCap > 1_000_000 {
		v.Errorf("export_cap", "must be 1..1000000 (LumireCRM documents 10000), got %d", c.ExportCap)
	}
	if c.RecordsPath != "" && !validPath(c.RecordsPath) {
		v.Errorf("records_path", "must be a dotted path of JSON keys such as data or result.rows, got %q", c.RecordsPath)
	}
	if p, isHeader := strings.CutPrefix(c.NextCursorPath, "header:"); c.NextCursorPath != "" {
		if isHeader && !validHeaderName(p) || !isHeader && !validPath(p) {
			v.Errorf("next_cursor_path", "must be a dotted path such as meta.nextCursor or header:X-Next-Cursor, got %q", c.NextCursorPath)
		}
	}
	for _, p := range []struct{ key, val string }{{"cursor_param", c.CursorParam}, {"limit_param", c.LimitParam}} {
		if strings.ContainsAny(p.val, "&=?# ") {
			v.Errorf(p.key, "%q is not a query parameter name", p.val)
		}
	}
	if c.PhoneRegion != "" && (len(c.PhoneRegion) != 2 || strings.ToUpper(c.PhoneRegion) != c.PhoneRegion) {
		v.Errorf("phone_region", "must be an ISO 3166-1 alpha-2 code such as GB, got %q", c.PhoneRegion)
	}
	if c.MetadataKey == "" || strings.ContainsAny(c.MetadataKey, ". ") {
		v.Errorf("metadata_key", "must be a metadata property name without dots or spaces, got %q", c.MetadataKey)
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		v.Errorf("timezone", "unknown time zone %q", c.Timezone)
	}
	c.location = loc
}

func validPath(p string) bool {
	for part := range strings.SplitSeq(p, ".") {
		if part == "" {
			return false
		}
	}
	return true
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

func (c *Config) leadDetails() bool { return c.LeadDetails == nil || *c.LeadDetails }

func init() {
	connectors.Register(&connectors.Spec{
		Name:    Vendor,
		Summary: "LumireCRM (broker CRM): sales leads, sales activities, deposits, withdrawals and ledger transactions; push sales leads and transactions",
		Streams: []connectors.StreamSpec{
			{Name: "leads", Tables: []string{schema.Leads.Name}, Incremental: true,
				Cursor:      "lead updatedAt (updatedSince = last run's start - lookback)",
				Description: "sales leads with their status, pipeline stage, metadata (partner_ref) and converted-trader link"},
			{Name: "events", Tables: []string{schema.Events.Name}, Incremental: true,
				Cursor:      "activity occurredAt (from = last run's start - lookback)",
				Description: "sales activities: notes, calls, emails, SMS, meetings, tasks and status changes"},
			{Name: "payments", Tables: []string{schema.Payments.Name}, Incremental: true,
				Cursor:      "deposit, withdrawal and transaction updatedAt (updatedSince = last run's start - lookback)",
				Description: "deposits, withdrawals and ledger transactions, from the lists (read_path: api) or the CSV exports (read_path: export)"},
		},
		Targets: []connectors.TargetSpec{
			{Name: "leads", Description: "create a sales lead (POST /v1/sales/leads)",
				Lookup: "metadata." + DefaultMetadataKey + " of the leads with the row's email (GET /v1/sales/leads?email=)", Update: true},
			{Name: "transactions", Description: "record a ledger transaction (POST /v1/transactions)",
				Lookup: "externalId (GET /v1/transactions?externalId=)"},
		},
		Sample:      sample,
		Attributes:  attributes,
		PushPrivacy: pushPrivacy,
		NewConfig:   func() any { return &Config{} },
		New: func(cfg any, env connectors.Env) (connectors.Connector, error) {
			c, ok := cfg.(*Config)
			if !ok {
				return nil, fmt.Errorf("lumire: config is %T", cfg)
			}
			return newConnector(c, env)
		},
	})
}
