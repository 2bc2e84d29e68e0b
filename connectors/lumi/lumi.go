// Package lumi is the connector for Lumi's partner API (lumi.txt): it pulls
// leads, lead events and the loans of funded leads, and pushes new leads.
package lumi

import (
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/schema"
)

//go:embed sample.yaml
var sample []byte

// Vendor is the connector's name and the vendor column's value.
const Vendor = "lumi"

// DefaultBaseURL is the documented API root.
const DefaultBaseURL = "https://www.lumi.com.au/v1"

// Config is the `config:` block of a lumi source or push.
type Config struct {
	BaseURL  string        `yaml:"base_url"`
	Username string        `yaml:"username"`
	Password config.Secret `yaml:"password"`
	// PageSize is the page size for lists (the API allows 1..100).
	PageSize int `yaml:"page_size"`
	// Concurrency bounds the requests in flight (pages, lead details).
	Concurrency int `yaml:"concurrency"`
	// RateLimit is the request rate in requests per second. Lumi documents
	// none; the default is gentle.
	RateLimit float64 `yaml:"rate_limit"`
	// Timeout bounds one HTTP attempt.
	Timeout time.Duration `yaml:"timeout"`
	// StartDate bounds the first (and a full-refresh) run to leads created
	// on or after it (YYYY-MM-DD). Empty: everything.
	StartDate string `yaml:"start_date"`
	// Lookback is how far before the last cursor an incremental run starts
	// again, to tolerate clock skew and late writes at the vendor.
	Lookback time.Duration `yaml:"lookback"`
	// PhoneRegion is the country assumed for phones without a country code.
	PhoneRegion string `yaml:"phone_region"`
	// Currency of Lumi's amounts.
	Currency string `yaml:"currency"`
	// Timezone in which timestamps without an offset are read.
	Timezone string `yaml:"timezone"`

	startDate time.Time
	location  *time.Location
}

func (c *Config) client() connectors.ClientSettings {
	return connectors.ClientSettings{Timeout: c.Timeout, RateLimit: c.RateLimit, Concurrency: c.Concurrency}
}

// SetDefaults fills the documented defaults.
func (c *Config) SetDefaults() {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
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
	if c.PhoneRegion == "" {
		c.PhoneRegion = "AU"
	}
	if c.Currency == "" {
		c.Currency = "AUD"
	}
	if c.Timezone == "" {
		c.Timezone = "Australia/Sydney"
	}
}

// Validate checks the config.
func (c *Config) Validate(v *config.Validator) {
	connectors.ValidateBaseURL(v, c.BaseURL, DefaultBaseURL, "use username and password")
	if c.Username == "" {
		v.Errorf("username", "is required (your Lumi partner username)")
	}
	if c.Password.IsZero() {
		v.Errorf("password", "is required (your Lumi partner password)")
	}
	if c.PageSize < 1 || c.PageSize > 100 {
		v.Errorf("page_size", "must be 1..100 (Lumi's maximum), got %d", c.PageSize)
	}
	connectors.ValidateClient(v, c.client())
	if c.Lookback < 0 {
		v.Errorf("lookback", "must not be negative")
	}
	if c.StartDate != "" {
		t, err := time.Parse("2006-01-02", c.StartDate)
		if err != nil {
			v.Errorf("start_date", "must be a date like 2025-01-31, got %q", c.StartDate)
		}
		c.startDate = t
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		v.Errorf("timezone", "unknown time zone %q", c.Timezone)
	}
	c.location = loc
	if len(c.Currency) != 3 || strings.ToUpper(c.Currency) != c.Currency {
		v.Errorf("currency", "must be an ISO 4217 code such as AUD, got %q", c.Currency)
	}
}

func init() {
	connectors.Register(&connectors.Spec{
		Name:    Vendor,
		Summary: "Lumi business loans (AU): leads, lead events, funded loans; push new leads",
		Streams: []connectors.StreamSpec{
			{Name: "leads", Tables: []string{schema.Leads.Name}, Incremental: true, Cursor: "lead created_at + leads with events since the last run",
				Description: "every lead, with its status, people, company and request"},
			{Name: "events", Tables: []string{schema.Events.Name}, Incremental: true, Cursor: "event recorded time (createdAtSince)",
				Description: "status changes, calls, emails and document events"},
			{Name: "loans", Tables: []string{schema.Loans.Name}, Incremental: true, Cursor: "leads that became FUNDED since the last run",
				Description: "the loan of every funded lead, with commission and rate from lead details"},
		},
		Targets: []connectors.TargetSpec{
			{Name: "leads", Description: "create a lead (POST /leads) with Lumi's documented validation", Lookup: "external_id"},
		},
		Sample:      sample,
		Decodes:     []string{"leads", "loans"},
		Attributes:  attributes,
		PushPrivacy: pushPrivacy,
		NewConfig:   func() any { return &Config{} },
		New: func(cfg any, env connectors.Env) (connectors.Connector, error) {
			c, ok := cfg.(*Config)
			if !ok {
				return nil, fmt.Errorf("lumi: config is %T", cfg)
			}
			return newConnector(c, env), nil
		},
	})
}
