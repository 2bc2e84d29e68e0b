package lumi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
)

// Target returns a push target. Lumi has one: "leads" (create lead).
func (k *connector) Target(ctx context.Context, name string) (connectors.Target, error) {
	if name != "leads" {
		return nil, fmt.Errorf("lumi has no push target %q (targets: leads)", name)
	}
	return &leadTarget{k: k}, nil
}

type leadTarget struct{ k *connector }

var (
	yesNoUnknown   = []string{"yes", "no", "unknown"}
	licenceStates  = []string{"ACT", "NSW", "NT", "QLD", "SA", "TAS", "VIC", "WA"}
	loanTypes      = []string{"term-loan", "line-of-credit"}
	industries     = []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "OD", "P", "Q", "R", "S", "X"}
	loanReasonList = []string{"buy_equipment", "cash_flow", "buy_inventory", "paying_off_existing_debt", "marketing_spend",
		"paying_staff", "tax", "relocation", "renovations", "buy_a_business", "start_a_business",
		"relocation_expansion", "buy_or_start_a_business", "other"}
)

func addressFields(prefix, what string) []connectors.Field {
	return []connectors.Field{
		{Name: prefix + ".street_number", Type: connectors.TypeString, Doc: what + " street number (with unit, e.g. 206/2)"},
		{Name: prefix + ".street", Type: connectors.TypeString, Doc: what + " street name and type"},
		{Name: prefix + ".city", Type: connectors.TypeString, Doc: what + " city or suburb"},
		{Name: prefix + ".postal_code", Type: connectors.TypeString, Doc: what + " post code"},
		{Name: prefix + ".state", Type: connectors.TypeString, Doc: what + " state"},
		{Name: prefix + ".country", Type: connectors.TypeString, Doc: what + " country (Australia)"},
	}
}

// Fields are the documented Create Lead body parameters (lumi.txt, "Create
// Lead"). Required marks the ✓* fields.
func (t *leadTarget) Fields() []connectors.Field {
	f := []connectors.Field{
		{Name: "customer.first_name", Type: connectors.TypeString, Required: true},
		{Name: "customer.last_name", Type: connectors.TypeString},
		{Name: "customer.email", Type: connectors.TypeString, Required: true, Doc: "a valid email"},
		{Name: "customer.phone", Type: connectors.TypePhone, Required: true, Format: "e164", Region: "AU", Doc: "+61 or 04 form"},
		{Name: "customer.date_of_birth", Type: connectors.TypeDate, Format: "2006-01-02"},
		{Name: "customer.credit_score", Type: connectors.TypeNumber},
		{Name: "customer.defaults", Type: connectors.TypeNumber},
		{Name: "customer.drivers_license_number", Type: connectors.TypeString},
		{Name: "customer.drivers_license_state", Type: connectors.TypeString, Enum: licenceStates},
		{Name: "customer.drivers_license_card_number", Type: connectors.TypeString},
		{Name: "customer.has_property", Type: connectors.TypeString, Enum: yesNoUnknown},
		{Name: "customer.property_info", Type: connectors.TypeString},
		{Name: "company.name", Type: connectors.TypeString, Required: true},
		{Name: "company.months_in_business", Type: connectors.TypeNumber},
		{Name: "company.accounting_software", Type: connectors.TypeString, Doc: "3-12 characters"},
		{Name: "company.business_description", Type: connectors.TypeString, Doc: "at most 30 characters"},
		{Name: "company.industry", Type: connectors.TypeString, Enum: industries, Doc: "first-level ANZSIC"},
		{Name: "company.industry_sector", Type: connectors.TypeString, Doc: "2-3 characters"},
		{Name: "company.industry_granular", Type: connectors.TypeString, Doc: "2-3 characters"},
		{Name: "company.average_monthly_turnover", Type: connectors.TypeNumber, Currency: t.k.cfg.Currency},
		{Name: "company.abn", Type: connectors.TypeString, Required: true, Doc: "9 or 11 digits"},
		{Name: "company.website", Type: connectors.TypeString},
		{Name: "company.number_of_employees", Type: connectors.TypeNumber},
		{Name: "company.ato_debt", Type: connectors.TypeString, Enum: yesNoUnknown},
		{Name: "company.ato_debt_details", Type: connectors.TypeString},
		{Name: "company.credit_score", Type: connectors.TypeInteger},
		{Name: "company.has_other_loans", Type: connectors.TypeString, Enum: yesNoUnknown},
		{Name: "company.other_loan_details", Type: connectors.TypeString},
		{Name: "loan.requested_amount", Type: connectors.TypeNumber, Required: true, Currency: t.k.cfg.Currency,
			Doc: "5,000 to 300,000, in the config's currency (AUD); an amount marked with another currency, or a bare $, is rejected"},
		{Name: "loan.installments", Type: connectors.TypeInteger, Required: true, Doc: "term in weeks, 13 to 78"},
		{Name: "loan.reason_for_loan", Type: connectors.TypeList, Enum: loanReasonList},
		{Name: "loan.use_of_funds", Type: connectors.TypeString},
		{Name: "loan.preferred_loan_type", Type: connectors.TypeString, Enum: loanTypes},
		{Name: "broker_notes", Type: connectors.TypeString},
		{Name: "contact_customer", Type: connectors.TypeBool},
		{Name: "external_id", Type: connectors.TypeString, Doc: "set to the row key unless mapped"},
		{Name: "referred_by", Type: connectors.TypeString, Doc: "a valid email of a partner in your organisation"},
	}
	f = append(f, addressFields("customer.address", "home")...)
	return append(f, addressFields("company.address", "trading")...)
}

var (
	phoneRE = regexp.MustCompile(`^(\+61\d{9}|04\d{8})$`)
	digitRE = regexp.MustCompile(`^\d+$`)
)

// Validate applies Lumi's documented rules.
func (t *leadTarget) Validate(_ context.Context, rec connectors.Record) []connectors.FieldError {
	var errs []connectors.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, connectors.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	for _, f := range t.Fields() {
		if f.Required && !rec.Has(f.Name) {
			bad(f.Name, "is required")
			continue
		}
		if len(f.Enum) == 0 || !rec.Has(f.Name) {
			continue
		}
		vals := []string{rec.String(f.Name)}
		if l, ok := rec.Fields[f.Name].([]string); ok {
			vals = l
		}
		for _, v := range vals {
			if !contains(f.Enum, v) {
				bad(f.Name, "%q is not one of %s", v, strings.Join(f.Enum, ", "))
			}
		}
	}
	if e := rec.String("customer.email"); e != "" && !validEmail(e) {
		bad("customer.email", "%q is not a valid email", e)
	}
	if e := rec.String("referred_by"); e != "" && !validEmail(e) {
		bad("referred_by", "%q is not a valid email", e)
	}
	if p := rec.String("customer.phone"); p != "" && !phoneRE.MatchString(strings.NewReplacer(" ", "", "-", "").Replace(p)) {
		bad("customer.phone", "%q must be an Australian number in +61 or 04 form", p)
	}
	if amt := rec.String("loan.requested_amount"); amt != "" {
		if v, err := strconv.ParseFloat(amt, 64); err != nil || v < 5000 || v > 300000 {
			bad("loan.requested_amount", "%s must be between 5,000 and 300,000", amt)
		}
	}
	if n, ok := rec.Fields["loan.installments"].(int64); ok && (n < 13 || n > 78) {
		bad("loan.installments", "%d must be between 13 and 78 (weeks)", n)
	}
	if abn := rec.String("company.abn"); abn != "" {
		d := strings.ReplaceAll(abn, " ", "")
		if !digitRE.MatchString(d) || (len(d) != 9 && len(d) != 11) {
			bad("company.abn", "%q must be 9 or 11 digits", abn)
		}
	}
	if s := rec.String("company.accounting_software"); s != "" && (len([]rune(s)) < 3 || len([]rune(s)) > 12) {
		bad("company.accounting_software", "%q must be 3 to 12 characters", s)
	}
	if s := rec.String("company.business_description"); len([]rune(s)) > 30 {
		bad("company.business_description", "must be at most 30 characters (has %d)", len([]rune(s)))
	}
	for _, f := range []string{"company.industry_sector", "company.industry_granular"} {
		if s := rec.String(f); s != "" && (len(s) < 2 || len(s) > 3) {
			bad(f, "%q must be 2 or 3 characters", s)
		}
	}
	if d, ok := rec.Fields["customer.date_of_birth"].(connectors.Date); ok && d.After(time.Now()) {
		bad("customer.date_of_birth", "%s is in the future", d.Format("2006-01-02"))
	}
	return errs
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s, "@")
}

// body builds the nested JSON body from the dotted fields.
func (t *leadTarget) body(rec connectors.Record, key string) map[string]any {
	root := map[string]any{}
	for name, v := range rec.Fields {
		parts := strings.Split(name, ".")
		m := root
		for _, p := range parts[:len(parts)-1] {
			child, ok := m[p].(map[string]any)
			if !ok {
				child = map[string]any{}
				m[p] = child
			}
			m = child
		}
		m[parts[len(parts)-1]] = wire(v)
	}
	if _, ok := root["external_id"]; !ok {
		root["external_id"] = key
	}
	return root
}

// wire turns a typed value into what Lumi expects: numbers as JSON numbers
// (from their exact decimal text), dates as YYYY-MM-DD.
func wire(v any) any {
	switch x := v.(type) {
	case connectors.Number:
		return json.Number(x)
	case connectors.Date:
		return x.Format("2006-01-02")
	}
	return v
}

// Preview is the request body a dry run shows.
func (t *leadTarget) Preview(rec connectors.Record, key string) ([]byte, error) {
	return json.MarshalIndent(t.body(rec, key), "", "  ")
}

// Send creates the lead.
func (t *leadTarget) Send(ctx context.Context, rec connectors.Record, key string) (connectors.Receipt, error) {
	req, err := httpclient.NewJSONRequest("POST", t.k.c.base+"/leads", t.body(rec, key))
	if err != nil {
		return connectors.Receipt{}, err
	}
	var out struct {
		Success bool   `json:"success"`
		Result  string `json:"result"`
	}
	resp, err := t.k.c.http.DoJSON(ctx, req, &out)
	if err != nil {
		var se *httpclient.StatusError
		if errors.As(err, &se) && se.StatusCode == 400 {
			return connectors.Receipt{HTTPStatus: 400}, &connectors.RejectedError{HTTPStatus: 400, Reason: lumiError(resp, se)}
		}
		return connectors.Receipt{}, fmt.Errorf("create lumi lead: %w", err)
	}
	if !out.Success || out.Result == "" {
		return connectors.Receipt{HTTPStatus: resp.StatusCode}, &connectors.RejectedError{HTTPStatus: resp.StatusCode, Reason: "Lumi answered without a lead id: " + string(resp.Body)}
	}
	return connectors.Receipt{VendorID: out.Result, HTTPStatus: resp.StatusCode}, nil
}

// lumiError extracts the messages of Lumi's documented error body
// [{"status": false, "error": "..."}].
func lumiError(resp *httpclient.Response, se *httpclient.StatusError) string {
	if resp != nil {
		var entries []struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(resp.Body, &entries) == nil && len(entries) > 0 {
			var msgs []string
			for _, e := range entries {
				msgs = append(msgs, e.Error)
			}
			return strings.Join(msgs, "; ")
		}
	}
	return se.Body
}

// Lookup finds a lead sent before by its external_id. Lumi has no filter
// for it, so the lookup lists the leads created since the first attempt
// (minus a margin for clock skew) and compares.
func (t *leadTarget) Lookup(ctx context.Context, rec connectors.Record, key string, since time.Time) (connectors.Receipt, bool, error) {
	ext := rec.String("external_id")
	if ext == "" {
		ext = key
	}
	f := leadFilter{}
	if !since.IsZero() {
		f.from = since.Add(-time.Hour)
	}
	var found string
	errStop := errors.New("found")
	err := t.k.readLeads(ctx, f, func(ls []wireLead) error {
		for i := range ls {
			if ls[i].ExternalID == ext {
				found = ls[i].ID
				return errStop
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return connectors.Receipt{}, false, fmt.Errorf("look up lumi lead with external_id %s: %w", ext, err)
	}
	if found == "" {
		return connectors.Receipt{}, false, nil
	}
	return connectors.Receipt{VendorID: found, HTTPStatus: 200}, true, nil
}

// Account identifies the Lumi account, so the push ledger of one account is
// never mistaken for another's.
func (t *leadTarget) Account() string {
	host := t.k.cfg.BaseURL
	if u, err := url.Parse(host); err == nil {
		host = u.Host
	}
	return t.k.cfg.Username + "@" + host
}
