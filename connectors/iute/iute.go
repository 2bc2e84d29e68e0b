// Package iute is the connector for the Iute Credit Partner API
// (iute-credit.txt), used by partner post offices and shops that hand out
// Iute consumer loans and take their repayments.
//
// Pull: Iute has no list endpoint, so the connector polls every loan ref
// leadpipe knows (the refs it submitted, kept in the state store, and the
// refs a user imports with loan_refs or import_refs_from): check/status
// while the application is undecided, loan/info once it is paid out. The
// answers become canonical loans and installments.
//
// Push: new loan applications (multipart, with the optional ID and data
// verification files), repayments, confirm cash release, cancel, generate
// agreement and file upload. Iute offers no way to look a loan application
// or a repayment up, so a row whose outcome is unknown is reported as
// needing a human (Lookup returns connectors.ErrNoLookup) and never resent.
package iute

import (
	_ "embed"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/schema"
)

//go:embed sample.yaml
var sample []byte

// Vendor is the connector's name and the vendor column's value.
const Vendor = "iute"

// BasePath is the common prefix of every documented URI. base_url ends with
// it; the connector appends the rest ("/new/loan", "/loan/info"...).
const BasePath = "/rest/api/partner"

// Config is the `config:` block of an iute source or push.
type Config struct {
	// BaseURL is the API root including /rest/api/partner, e.g.
	// https://<host>/iute/rest/api/partner. Iute gives each partner its host
	// (the doc only shows localhost:8080/iute), so there is no default.
	BaseURL  string        `yaml:"base_url"`
	Username string        `yaml:"username"`
	Password config.Secret `yaml:"password"`
	// PartnerType is the partner_type value Iute assigned ("post" in the
	// doc); it is sent with every request.
	PartnerType string `yaml:"partner_type"`
	// Currency of every amount (ISO 4217: MDL in Moldova, ALL in Albania,
	// BAM in Bosnia and Herzegovina...). Required: the API never says.
	Currency string `yaml:"currency"`

	// LoanRefs imports loan refs leadpipe did not submit (the partner's
	// existing loan book) into the state store, so they are polled and
	// accepted by the repayment and other ref-based targets.
	LoanRefs []string `yaml:"loan_refs"`
	// ImportRefsFrom imports refs from a CSV file (local path relative to
	// the pipeline, or s3://): the column loan_ref (or loanRef, ref), or the
	// only column.
	ImportRefsFrom string `yaml:"import_refs_from"`

	// BatchSize is the number of loan refs polled per emitted batch.
	BatchSize int `yaml:"batch_size"`
	// Concurrency bounds the requests in flight.
	Concurrency int `yaml:"concurrency"`
	// RateLimit is the request rate in requests per second. Iute documents
	// none; the default is gentle.
	RateLimit float64 `yaml:"rate_limit"`
	// Timeout bounds one HTTP attempt.
	Timeout time.Duration `yaml:"timeout"`
	// LoanDetails calls allow/cash/release for every loan the pull emits,
	// for the principal (loan_amount), the client's names and loan_status,
	// which no other read interface gives. Default true.
	LoanDetails *bool `yaml:"loan_details"`
	// MaxUnknownPolls is how many runs in a row a loan may be in a state
	// no answer explains (an undocumented loan_status, "moved to another
	// step" and nothing more) before leadpipe stops polling it and reports
	// it: an exception in the run summary and the reconciliation report,
	// until a full refresh. Default 24.
	MaxUnknownPolls int `yaml:"max_unknown_polls"`

	// AgreementsDir is the local directory the agreements target writes the
	// generated PDFs to.
	AgreementsDir string `yaml:"agreements_dir"`
	// AgreementLang is the three-letter language of generated agreements
	// when a row gives none (e.g. "alb", "rum").
	AgreementLang string `yaml:"agreement_lang"`
}

// Defaults.
const (
	DefaultBatchSize   = 100
	DefaultConcurrency = 4
	DefaultRateLimit   = 5
	DefaultTimeout     = 60 * time.Second
	// DefaultMaxUnknownPolls is a day of hourly runs.
	DefaultMaxUnknownPolls = 24
)

var (
	refRe      = regexp.MustCompile(`^[0-9]{1,18}$`)
	currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)
	langRe     = regexp.MustCompile(`^[A-Za-z]{3}$`)
)

// SetDefaults fills the defaults.
func (c *Config) SetDefaults() {
	c.BaseURL = strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.LoanDetails == nil {
		c.LoanDetails = new(true)
	}
	if c.MaxUnknownPolls == 0 {
		c.MaxUnknownPolls = DefaultMaxUnknownPolls
	}
	for i, r := range c.LoanRefs {
		c.LoanRefs[i] = strings.TrimSpace(r)
	}
}

// Validate checks the config and reports every problem.
func (c *Config) Validate(v *config.Validator) {
	switch u, err := url.Parse(c.BaseURL); {
	case c.BaseURL == "":
		v.Errorf("base_url", "is required: the API root Iute gave you, ending in %s (e.g. https://host/iute%s)", BasePath, BasePath)
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		v.Errorf("base_url", "must be an http(s) URL, got %q", c.BaseURL)
	case u.User != nil:
		v.Errorf("base_url", "must not hold credentials; use username and password")
	case u.RawQuery != "":
		v.Errorf("base_url", "must not have a query string")
	case !strings.HasSuffix(u.Path, BasePath):
		v.Warnf("base_url", "does not end in %s; the documented URIs are appended to it as they are (e.g. %s/new/loan)", BasePath, c.BaseURL)
	}
	if c.Username == "" {
		v.Errorf("username", "is required (your Iute partner username, HTTP Basic)")
	}
	if c.Password.IsZero() {
		v.Errorf("password", "is required (your Iute partner password, HTTP Basic)")
	}
	if strings.TrimSpace(c.PartnerType) == "" {
		v.Errorf("partner_type", "is required: the partner_type Iute gave you (e.g. post); it is sent with every request")
	}
	switch {
	case c.Currency == "":
		v.Errorf("currency", "is required: the ISO 4217 currency of your Iute amounts (e.g. MDL, ALL, BAM); the API does not say it")
	case !currencyRe.MatchString(c.Currency):
		v.Errorf("currency", "must be an ISO 4217 code in capitals such as MDL, got %q", c.Currency)
	}
	for i, r := range c.LoanRefs {
		if !refRe.MatchString(r) {
			v.Errorf(fmt.Sprintf("loan_refs[%d]", i), "must be an Iute loan ref (a whole number such as 90000), got %q", r)
		}
	}
	if c.BatchSize < 1 || c.BatchSize > 1000 {
		v.Errorf("batch_size", "must be 1..1000, got %d", c.BatchSize)
	}
	if c.MaxUnknownPolls < 1 {
		v.Errorf("max_unknown_polls", "must be at least 1, got %d", c.MaxUnknownPolls)
	}
	connectors.ValidateClient(v, connectors.ClientSettings{Timeout: c.Timeout, RateLimit: c.RateLimit, Concurrency: c.Concurrency})
	if c.AgreementsDir != "" && strings.Contains(c.AgreementsDir, "://") {
		v.Errorf("agreements_dir", "must be a local directory, got %q", c.AgreementsDir)
	}
	if c.AgreementLang != "" && !langRe.MatchString(c.AgreementLang) {
		v.Errorf("agreement_lang", "must be a three-letter language code such as alb, got %q", c.AgreementLang)
	}
}

func (c *Config) loanDetails() bool { return c.LoanDetails == nil || *c.LoanDetails }

// The push targets.
const (
	TargetLoans         = "loans"
	TargetRepayments    = "repayments"
	TargetCashReleases  = "cash_releases"
	TargetCancellations = "cancellations"
	TargetAgreements    = "agreements"
	TargetLoanFiles     = "loan_files"
)

func init() {
	connectors.Register(&connectors.Spec{
		Name:    Vendor,
		Summary: "Iute Credit partner loans (MD, AL, BA...): poll known loan refs for status, balances and installments; push loan applications, repayments, cash release, cancel, agreements, files",
		Streams: []connectors.StreamSpec{
			{Name: "loans", Tables: []string{schema.Loans.Name, schema.Installments.Name}, Incremental: true,
				Cursor:      "per known loan ref: its phase (undecided, paid out, final) and a fingerprint of what was last emitted",
				Description: "every loan ref leadpipe knows (submitted or imported): check/status while undecided, loan/info with the installment table once paid out; only loans that changed are emitted"},
		},
		Targets: []connectors.TargetSpec{
			{Name: TargetLoans, Description: "add a new loan application (POST new/loan, multipart, optional id_copy and data_verification files); stores the returned loan_ref"},
			{Name: TargetRepayments, Description: "notify Iute of a repayment taken at the office (insert/repayment)"},
			{Name: TargetCashReleases, Description: "confirm the cash was paid out (confirm/cash/release), only after allow/cash/release says allowed",
				Lookup: "loan/info: a paid-out loan was confirmed"},
			{Name: TargetCancellations, Description: "withdraw an application (cancel/loan), only in NEW or APPROVED",
				Lookup: "check/status still undecided means not cancelled; allow/cash/release loan_status cancelled means cancelled"},
			{Name: TargetAgreements, Description: "generate the specific agreement (generate/agreement) and save the PDF under agreements_dir",
				Lookup: "the PDF already saved under agreements_dir"},
			{Name: TargetLoanFiles, Description: "upload the signed agreement and bank statement (loan/files/upload)"},
		},
		Sample:      sample,
		Attributes:  attributes,
		PushPrivacy: pushPrivacy,
		NewConfig:   func() any { return &Config{} },
		New: func(cfg any, env connectors.Env) (connectors.Connector, error) {
			c, ok := cfg.(*Config)
			if !ok {
				return nil, fmt.Errorf("iute: config is %T", cfg)
			}
			return newConnector(c, env), nil
		},
	})
}
