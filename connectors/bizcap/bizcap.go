// Package bizcap is the connector for the Bizcap x Bizmate CRM Partner API
// (bizcap-bizmate.txt): it pulls leads and deals (the loan data, om* fields)
// and pushes new leads, lead updates and their attachments.
package bizcap

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
const Vendor = "bizcap"

// DefaultBaseURL is the documented API root.
const DefaultBaseURL = "https://bizmate.fasttask.net/api/v1"

// Regions are the markets Bizcap lends in, with their currency and the
// phone region assumed for numbers without a country code. The doc names
// AU, NZ and UK (its support addresses) and UEN, a Singapore number.
var Regions = map[string]struct{ Currency, Country string }{
	"AU": {"AUD", "AU"},
	"NZ": {"NZD", "NZ"},
	"UK": {"GBP", "GB"},
	"GB": {"GBP", "GB"},
	"SG": {"SGD", "SG"},
}

// List orders the connector knows how to page through (list_order).
const (
	// OrderCreatedAsc is what the API returns (and the sandbox simulates):
	// oldest first, new records appended at the end. An update can be on any
	// page, so every incremental run reads every page.
	OrderCreatedAsc = "created_asc"
	// OrderUpdatedDesc is for an API that lists the most recently updated
	// records first: a run stops at the first page older than its cursor.
	OrderUpdatedDesc = "updated_desc"
)

// Config is the `config:` block of a bizcap source or push.
type Config struct {
	BaseURL string `yaml:"base_url"`
	// Token is the API TOKEN from the Bizmate portal's Account Profile.
	Token config.Secret `yaml:"token"`
	// Region is the market of the partner account (AU, NZ, UK or SG). It
	// sets the default currency and phone region.
	Region string `yaml:"region" enum:"AU,NZ,UK,SG"`
	// Currency of the amounts of leads and deals whose broker is not in
	// BrokerRegions. Default: the region's.
	Currency string `yaml:"currency"`
	// PhoneRegion is the country assumed for a phone without a country code
	// (the API sends international numbers; some portal entries lack it).
	PhoneRegion string `yaml:"phone_region"`
	// BrokerRegions gives the market of brokers (by broker id or name) that
	// are not in Region, for accounts that span markets: their leads and
	// deals take that market's currency and phone region.
	BrokerRegions map[string]string `yaml:"broker_regions" enum:"AU,NZ,UK,SG"`
	// PageSize for GET /lead and GET /deal (1..100).
	PageSize int `yaml:"page_size"`
	// Concurrency bounds the requests in flight.
	Concurrency int `yaml:"concurrency"`
	// RateLimit in requests per second. Bizcap documents none.
	RateLimit float64 `yaml:"rate_limit"`
	// Timeout bounds one HTTP attempt.
	Timeout time.Duration `yaml:"timeout"`
	// Lookback is how far before the last cursor an incremental run starts
	// again (clock skew between leadpipe and the vendor, slow writes). The
	// push lookup uses it as the tolerance around "since" too.
	Lookback time.Duration `yaml:"lookback"`
	// ListOrder is the order the list endpoints return: created_asc (the
	// default, what the API does) or updated_desc.
	ListOrder string `yaml:"list_order" enum:"created_asc,updated_desc"`
	// PathCase is the case of the resource segments: lower (/lead, the doc's
	// examples, the default) or upper (/LEAD, the doc's endpoint lines).
	PathCase string `yaml:"path_case" enum:"lower,upper"`
	// RequiredFields are the create datapoints a row must have. The doc
	// marks First Name and Last Name as mandatory and leaves the API's
	// "Required?" column empty; firstName and lastName are always required.
	RequiredFields []string `yaml:"required_fields"`
	// MaxAttachmentBytes caps one attachment file (default 25 MiB).
	MaxAttachmentBytes int64 `yaml:"max_attachment_bytes"`
	// UnknownSubStatus decides the canonical status of a documented status
	// with an undocumented sub-status: by_status (default) maps it like its
	// status (Settled / "Paid Out Early" is still funded); safe maps it like
	// an unknown status (new for leads, application for deals), so no
	// unknown value ever counts as funded, approved or declined.
	UnknownSubStatus string `yaml:"unknown_sub_status" enum:"by_status,safe"`
	// ConvertNationalPhones lets a push turn national numbers (0412 345
	// 678) into international ones for phone_region before validation. Off
	// by default: the doc requires "+" and the country code, and a guessed
	// country can be wrong.
	ConvertNationalPhones bool `yaml:"convert_national_phones"`
}

// DefaultRequiredFields are the datapoints a new lead must have: the doc's
// mandatory names, and the company and phone Bizcap needs to call.
var DefaultRequiredFields = []string{"firstName", "lastName", "companyName", "phone"}

// SetDefaults fills the documented defaults.
func (c *Config) SetDefaults() {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	c.Region = strings.ToUpper(strings.TrimSpace(c.Region))
	if c.Region == "" {
		c.Region = "AU"
	}
	if r, ok := Regions[c.Region]; ok {
		if c.Currency == "" {
			c.Currency = r.Currency
		}
		if c.PhoneRegion == "" {
			c.PhoneRegion = r.Country
		}
	}
	if c.PageSize == 0 {
		c.PageSize = 100
	}
	if c.Concurrency == 0 {
		c.Concurrency = 4
	}
	if c.RateLimit == 0 {
		c.RateLimit = 5
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Lookback == 0 {
		c.Lookback = 10 * time.Minute
	}
	if c.ListOrder == "" {
		c.ListOrder = OrderCreatedAsc
	}
	if c.PathCase == "" {
		c.PathCase = "lower"
	}
	if c.UnknownSubStatus == "" {
		c.UnknownSubStatus = "by_status"
	}
	if c.RequiredFields == nil {
		c.RequiredFields = slices.Clone(DefaultRequiredFields)
	}
	if c.MaxAttachmentBytes == 0 {
		c.MaxAttachmentBytes = 25 << 20
	}
}

// Validate checks the config.
func (c *Config) Validate(v *config.Validator) {
	connectors.ValidateBaseURL(v, c.BaseURL, DefaultBaseURL, "put the API token in token")
	if c.Token.IsZero() {
		v.Errorf("token", "is required (the API TOKEN of your Bizmate Account Profile)")
	}
	if _, ok := Regions[c.Region]; !ok {
		v.Errorf("region", "must be one of AU, NZ, UK, SG, got %q", c.Region)
	}
	if len(c.Currency) != 3 || strings.ToUpper(c.Currency) != c.Currency {
		v.Errorf("currency", "must be an ISO 4217 code such as AUD, got %q", c.Currency)
	}
	if len(c.PhoneRegion) != 2 || strings.ToUpper(c.PhoneRegion) != c.PhoneRegion {
		v.Errorf("phone_region", "must be an ISO 3166-1 alpha-2 code such as AU, got %q", c.PhoneRegion)
	}
	for b, r := range c.BrokerRegions {
		if _, ok := Regions[strings.ToUpper(r)]; !ok {
			v.Errorf("broker_regions."+b, "must be one of AU, NZ, UK, SG, got %q", r)
		}
	}
	if c.PageSize < 1 || c.PageSize > 100 {
		v.Errorf("page_size", "must be 1..100, got %d", c.PageSize)
	}
	connectors.ValidateClient(v, connectors.ClientSettings{Timeout: c.Timeout, RateLimit: c.RateLimit, Concurrency: c.Concurrency})
	if c.Lookback < 0 {
		v.Errorf("lookback", "must not be negative")
	}
	if c.ListOrder != OrderCreatedAsc && c.ListOrder != OrderUpdatedDesc {
		v.Errorf("list_order", "must be %s or %s, got %q", OrderCreatedAsc, OrderUpdatedDesc, c.ListOrder)
	}
	if c.PathCase != "lower" && c.PathCase != "upper" {
		v.Errorf("path_case", "must be lower or upper, got %q", c.PathCase)
	}
	if c.UnknownSubStatus != "by_status" && c.UnknownSubStatus != "safe" {
		v.Errorf("unknown_sub_status", "must be by_status or safe, got %q", c.UnknownSubStatus)
	}
	for i, f := range c.RequiredFields {
		if !isCreateField(f) {
			v.Errorf(fmt.Sprintf("required_fields[%d]", i), "%q is not a datapoint of POST /lead/new", f)
		}
	}
	if c.MaxAttachmentBytes < 0 {
		v.Errorf("max_attachment_bytes", "must not be negative")
	}
}

// brokerRegion returns the region of a broker (by id, then name) or "".
func (c *Config) brokerRegion(id, name string) string {
	if len(c.BrokerRegions) == 0 {
		return ""
	}
	if r, ok := c.BrokerRegions[id]; ok && id != "" {
		return strings.ToUpper(r)
	}
	if r, ok := c.BrokerRegions[name]; ok && name != "" {
		return strings.ToUpper(r)
	}
	return ""
}

func init() {
	connectors.Register(&connectors.Spec{
		Name:    Vendor,
		Summary: "Bizcap / Bizmate CRM (AU, NZ, UK): leads and deals (loans); push new leads, lead updates, attachments",
		Streams: []connectors.StreamSpec{
			{Name: "leads", Tables: []string{schema.Leads.Name}, Incremental: true,
				Cursor:      "lead updatedAt (every page is read: the API has no update filter)",
				Description: "every lead with its status and sub-status, applicant, business, request and four addresses"},
			{Name: "deals", Tables: []string{schema.Loans.Name}, Incremental: true,
				Cursor:      "deal updatedAt (every page is read: the API has no update filter)",
				Description: "every deal as a loan: om* offer and funding terms, loan type, linked to its lead"},
		},
		Targets: []connectors.TargetSpec{
			{Name: "leads", Description: "create a lead (POST /lead/new) with Bizcap's documented rules, then upload its attachments (POST /attachments/new); update with PATCH /lead/{id}",
				Lookup: "partnerLeadReferenceId (set to the row key), found by scanning GET /lead newest pages first", Update: true},
		},
		Sample:      sample,
		Attributes:  attributes,
		PushPrivacy: pushPrivacy,
		NewConfig:   func() any { return &Config{} },
		New: func(cfg any, env connectors.Env) (connectors.Connector, error) {
			c, ok := cfg.(*Config)
			if !ok {
				return nil, fmt.Errorf("bizcap: config is %T", cfg)
			}
			return newConnector(c, env), nil
		},
	})
}
