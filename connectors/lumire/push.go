package lumire

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/currency"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/transforms/normalize"
)

// Target returns a push target: "leads" (create a sales lead) or
// "transactions" (record a ledger transaction).
func (k *connector) Target(ctx context.Context, name string) (connectors.Target, error) {
	switch name {
	case "leads":
		return &leadTarget{k: k}, nil
	case "transactions":
		return &txTarget{k: k}, nil
	}
	return nil, fmt.Errorf("lumire has no push target %q (targets: leads, transactions)", name)
}

// TransactionKinds and TransactionStatuses are the values POST
// /v1/transactions accepts (the doc shows "deposit" and "pending"; the rest
// are the sandbox's reading, the keys of TransactionKindMap and
// TransactionStatusMap).
var (
	TransactionKinds    = []string{"deposit", "withdrawal", "commission", "bonus", "fee", "adjustment", "transfer"}
	TransactionStatuses = []string{"pending", "completed", "failed", "cancelled", "reversed"}
	// CryptoCurrencies are the non-ISO currency codes the ledger books.
	CryptoCurrencies = []string{"USDT", "USDC", "BTC", "ETH"}
)

// The vendor's validation rules as the sandbox models them (class-validator
// DTOs; the doc shows example bodies only).
var (
	emailRE   = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$`)
	phoneRE   = regexp.MustCompile(`^\+?[0-9(][0-9 ().\-]{4,30}[0-9]$`)
	uuidRE    = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	amountRE  = regexp.MustCompile(`^-?[0-9]{1,12}(\.[0-9]{1,8})?$`)
	alpha2RE  = regexp.MustCompile(`^[A-Z]{2}$`)
	currRE    = regexp.MustCompile(`^[A-Za-z]{3,5}$`)
	notFounds = map[string]string{"trader": "traderId", "account": "accountId", "lead": "leadId"}
)

func validEmail(s string) bool {
	if len(s) > 254 || !emailRE.MatchString(s) {
		return false
	}
	return len(s[strings.LastIndex(s, ".")+1:]) >= 2
}

func validPhone(s string) bool {
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return phoneRE.MatchString(s) && digits >= 6 && digits <= 15
}

// country converts a country code or name to ISO 3166-1 alpha-2. It also
// refuses what normalize.Country wrongly accepts ("XX" → "None").
func country(s string) (string, bool) {
	c, ok := normalize.Country(s)
	return c, ok && alpha2RE.MatchString(c)
}

func validCurrency(s string) bool {
	up := strings.ToUpper(s)
	if slices.Contains(CryptoCurrencies, up) {
		return true
	}
	if len(up) != 3 || !currRE.MatchString(up) {
		return false
	}
	_, err := currency.ParseISO(up)
	return err == nil
}

// jsonObject parses a metadata field: a JSON object written as text.
func jsonObject(s string) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		return nil, errors.New(`must be a JSON object such as {"campaign": "spring"}`)
	}
	return m, nil
}

// parseWhen reads an occurredAt: RFC 3339, a date-time without offset (in
// loc) or a bare date.
func parseWhen(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	for _, l := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

type checker struct {
	errs []connectors.FieldError
}

func (c *checker) bad(field, format string, args ...any) {
	c.errs = append(c.errs, connectors.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (c *checker) maxLen(rec connectors.Record, field string, n int) {
	if s := rec.String(field); len([]rune(s)) > n {
		c.bad(field, "must be at most %d characters (has %d)", n, len([]rune(s)))
	}
}

func (c *checker) required(rec connectors.Record, fields []connectors.Field) {
	for _, f := range fields {
		if f.Required && !rec.Has(f.Name) {
			c.bad(f.Name, "is required")
		}
	}
}

func (c *checker) uuid(rec connectors.Record, field string) {
	if s := rec.String(field); s != "" && !uuidRE.MatchString(s) {
		c.bad(field, "%q must be a UUID (the LumireCRM id)", s)
	}
}

func (c *checker) enum(rec connectors.Record, field string, values []string) {
	if s := rec.String(field); s != "" && !slices.Contains(values, s) {
		c.bad(field, "%q is not one of %s", s, strings.Join(values, ", "))
	}
}

func (c *checker) object(rec connectors.Record, field string) {
	if rec.Has(field) {
		if _, err := jsonObject(rec.String(field)); err != nil {
			c.bad(field, "%v", err)
		}
	}
}

// wireField turns a typed record value into its JSON form.
func wireField(v any) any {
	switch x := v.(type) {
	case connectors.Number:
		return json.Number(x)
	case connectors.Date:
		return x.Format("2006-01-02")
	case string:
		return strings.TrimSpace(x)
	}
	return v
}

// account identifies the LumireCRM account, so a push ledger is never
// mistaken for another account's.
func (k *connector) account() string {
	host := k.cfg.BaseURL
	if u, err := url.Parse(host); err == nil {
		host = u.Host
	}
	if k.cfg.Auth == AuthAPIKey {
		h := sha256.Sum256([]byte(k.cfg.APIKey.Reveal()))
		return "api-key-" + hex.EncodeToString(h[:4]) + "@" + host
	}
	return k.cfg.TenantSlug + "@" + host
}

// create POSTs (or PATCHes) body and returns the new record's id.
func (k *connector) create(ctx context.Context, method, path, what string, body map[string]any, fields []connectors.Field) (connectors.Receipt, error) {
	req, err := httpclient.NewJSONRequest(method, k.c.base+path, body)
	if err != nil {
		return connectors.Receipt{}, err
	}
	var raw json.RawMessage
	resp, err := k.c.send(ctx, req, &raw)
	if err != nil {
		if rej := rejection(resp, err, fields); rej != nil {
			return connectors.Receipt{HTTPStatus: rej.HTTPStatus}, rej
		}
		return connectors.Receipt{}, fmt.Errorf("%s: %w", what, err)
	}
	rec, err := recordOf(raw)
	var out struct {
		ID string `json:"id"`
	}
	if err == nil {
		err = json.Unmarshal(rec, &out)
	}
	if err != nil || out.ID == "" {
		// The vendor acted (2xx) but its answer names no record: a lookup
		// must find it before anything is sent again.
		return connectors.Receipt{HTTPStatus: resp.StatusCode}, fmt.Errorf("%s: %w: answered %d without an id: %.200s",
			what, httpclient.ErrOutcomeUnknown, resp.StatusCode, k.c.http.Redact(string(resp.Body)))
	}
	return connectors.Receipt{VendorID: out.ID, HTTPStatus: resp.StatusCode}, nil
}

// vendorError is LumireCRM's error body (NestJS HttpException): message is
// a string, or a list of strings for validation errors.
type vendorError struct {
	StatusCode int             `json:"statusCode"`
	Message    json.RawMessage `json:"message"`
	Error      string          `json:"error"`
}

// rejection turns a definitive "no" into a *RejectedError: 400 and 422
// (validation), 409 (a duplicate externalId) and 404 naming a missing
// record ("Trader not found"). A 404 for the route itself ("Cannot POST
// ...") is a configuration error, not the row's fault, and stays an error.
func rejection(resp *httpclient.Response, err error, fields []connectors.Field) *connectors.RejectedError {
	code := statusOf(err)
	var msgs []string
	if resp != nil {
		var ve vendorError
		if json.Unmarshal(resp.Body, &ve) == nil {
			var list []string
			var one string
			switch {
			case json.Unmarshal(ve.Message, &list) == nil:
				msgs = list
			case json.Unmarshal(ve.Message, &one) == nil && one != "":
				msgs = []string{one}
			}
		}
	}
	if len(msgs) == 0 {
		var se *httpclient.StatusError
		if errors.As(err, &se) && se.Body != "" {
			msgs = []string{se.Body}
		}
	}
	switch code {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusConflict:
	case http.StatusNotFound:
		if len(msgs) == 0 || strings.HasPrefix(msgs[0], "Cannot ") || !strings.Contains(strings.ToLower(msgs[0]), "not found") {
			return nil
		}
	default:
		return nil
	}
	if len(msgs) == 0 {
		msgs = []string{http.StatusText(code)}
	}
	field := ""
	for i, m := range msgs {
		f := fieldOf(m, fields)
		if i > 0 && f != field {
			field = ""
			break
		}
		field = f
	}
	return &connectors.RejectedError{HTTPStatus: code, Field: field, Reason: strings.Join(msgs, "; ")}
}

// fieldOf finds the vendor field a message is about: its first word
// ("email must be an email"), a field it names, or the record it did not
// find ("Trader not found" → traderId).
func fieldOf(msg string, fields []connectors.Field) string {
	first, _, _ := strings.Cut(msg, " ")
	for _, f := range fields {
		if f.Name == first {
			return f.Name
		}
	}
	lower := strings.ToLower(msg)
	for _, f := range fields {
		if !strings.Contains(f.Name, ".") && strings.Contains(msg, f.Name) {
			return f.Name
		}
	}
	for word, f := range notFounds {
		if strings.HasPrefix(lower, word+" ") {
			return f
		}
	}
	return ""
}

// ---- leads ----

// leadTarget creates sales leads. Exactly-once: the row key goes into the
// lead's metadata (metadata_key); Lookup lists the leads with the row's
// email (emails are not unique in LumireCRM) and reads their metadata.
type leadTarget struct{ k *connector }

func (t *leadTarget) refField() string { return "metadata." + t.k.cfg.MetadataKey }

// Fields are the properties of POST /v1/sales/leads (the doc's example
// body). metadata is a JSON object written as text; metadata.<metadata_key>
// is leadpipe's reference, set to the row key unless mapped.
func (t *leadTarget) Fields() []connectors.Field {
	phone := connectors.Field{Name: "phone", Type: connectors.TypeString,
		Doc: "6 to 15 digits; spaces, dashes, dots, parentheses and a leading + allowed"}
	if r := t.k.cfg.PhoneRegion; r != "" {
		phone.Type, phone.Format, phone.Region = connectors.TypePhone, "e164", r
	}
	return []connectors.Field{
		{Name: "email", Type: connectors.TypeString, Required: true, Doc: "a valid email address (not unique in LumireCRM)"},
		phone,
		{Name: "firstName", Type: connectors.TypeString, Doc: "at most 100 characters"},
		{Name: "lastName", Type: connectors.TypeString, Doc: "at most 100 characters"},
		{Name: "country", Type: connectors.TypeString, Doc: "ISO 3166-1 alpha-2 (a name or alpha-3 code is converted)"},
		{Name: "source", Type: connectors.TypeString, Doc: "at most 100 characters"},
		{Name: "assignedToId", Type: connectors.TypeString, Doc: "UUID of a user of the tenant"},
		{Name: "score", Type: connectors.TypeInteger, Doc: "0 to 100"},
		{Name: "metadata", Type: connectors.TypeString, Doc: `a JSON object, e.g. {"campaign": "spring"}`},
		{Name: t.refField(), Type: connectors.TypeString, Doc: "leadpipe's reference, read back as partner_ref; the row key unless mapped"},
	}
}

// Validate applies the create-lead rules.
func (t *leadTarget) Validate(_ context.Context, rec connectors.Record) []connectors.FieldError {
	c := &checker{}
	c.required(rec, t.Fields())
	if e := strings.TrimSpace(rec.String("email")); e != "" && !validEmail(e) {
		c.bad("email", "%q is not a valid email address", e)
	}
	if p := strings.TrimSpace(rec.String("phone")); p != "" && !validPhone(p) {
		c.bad("phone", "%q is not a phone number (6 to 15 digits)", p)
	}
	c.maxLen(rec, "firstName", 100)
	c.maxLen(rec, "lastName", 100)
	c.maxLen(rec, "source", 100)
	if s := strings.TrimSpace(rec.String("country")); s != "" {
		if _, ok := country(s); !ok {
			c.bad("country", "%q is not a country (ISO 3166-1 alpha-2 such as GB)", s)
		}
	}
	c.uuid(rec, "assignedToId")
	if v, ok := rec.Fields["score"]; ok && v != nil {
		if n, ok := v.(int64); !ok {
			c.bad("score", "must be a whole number from 0 to 100")
		} else if n < 0 || n > 100 {
			c.bad("score", "%d must be from 0 to 100", n)
		}
	}
	c.object(rec, "metadata")
	return c.errs
}

// body builds the JSON body of a create or an update.
func (t *leadTarget) body(rec connectors.Record, key string) map[string]any {
	ref := t.refField()
	b := map[string]any{}
	for _, f := range t.Fields() {
		if f.Name == "metadata" || f.Name == ref || !rec.Has(f.Name) {
			continue
		}
		b[f.Name] = wireField(rec.Fields[f.Name])
	}
	if s, ok := b["country"].(string); ok {
		if c, ok := country(s); ok {
			b["country"] = c
		}
	}
	meta := map[string]any{}
	if rec.Has("metadata") {
		meta, _ = jsonObject(rec.String("metadata"))
	}
	meta[t.k.cfg.MetadataKey] = t.ref(rec, key)
	b["metadata"] = meta
	return b
}

func (t *leadTarget) ref(rec connectors.Record, key string) string {
	if r := strings.TrimSpace(rec.String(t.refField())); r != "" {
		return r
	}
	return key
}

// Preview is the request body a dry run shows.
func (t *leadTarget) Preview(rec connectors.Record, key string) ([]byte, error) {
	return json.MarshalIndent(t.body(rec, key), "", "  ")
}

// Account identifies the LumireCRM account.
func (t *leadTarget) Account() string { return t.k.account() }

// Send creates the lead.
func (t *leadTarget) Send(ctx context.Context, rec connectors.Record, key string) (connectors.Receipt, error) {
	return t.k.create(ctx, http.MethodPost, "/sales/leads", "create lumire lead", t.body(rec, key), t.Fields())
}

// Update changes a lead sent before (PATCH /v1/sales/leads/{id}).
func (t *leadTarget) Update(ctx context.Context, vendorID string, rec connectors.Record, key string) (connectors.Receipt, error) {
	if !uuidRE.MatchString(vendorID) {
		return connectors.Receipt{}, fmt.Errorf("update lumire lead: %q is not a LumireCRM lead id", vendorID)
	}
	return t.k.create(ctx, http.MethodPatch, "/sales/leads/"+url.PathEscape(vendorID), "update lumire lead "+vendorID, t.body(rec, key), t.Fields())
}

// lookupMargin widens a lookup's time window for clock skew between
// leadpipe and the vendor.
const lookupMargin = time.Hour

// Lookup finds a lead sent before: the leads with the row's email created
// since the first attempt (minus a margin), whose metadata holds the row's
// reference. The list omits metadata, so each candidate costs one details
// request.
func (t *leadTarget) Lookup(ctx context.Context, rec connectors.Record, key string, since time.Time) (connectors.Receipt, bool, error) {
	email := strings.TrimSpace(rec.String("email"))
	if email == "" {
		return connectors.Receipt{}, false, nil
	}
	ref := t.ref(rec, key)
	q := url.Values{"email": {email}}
	if !since.IsZero() {
		q.Set("from", wireTime(since.Add(-lookupMargin)))
	}
	var found string
	errFound := errors.New("found")
	match := func(w *wireLead) bool { return scalarText(w.Metadata[t.k.cfg.MetadataKey]) == ref }
	err := t.k.c.list(ctx, "leads", "/sales/leads", q, func(recs []json.RawMessage) error {
		for _, raw := range recs {
			var w wireLead
			if err := decodeLead(raw, &w); err != nil || w.ID == "" {
				continue
			}
			if w.Metadata == nil {
				d, err := t.k.c.get(ctx, "/sales/leads/"+url.PathEscape(w.ID))
				if statusOf(err) == http.StatusNotFound {
					continue
				}
				if err != nil {
					return err
				}
				if err := decodeLead(d, &w); err != nil {
					return fmt.Errorf("decode lumire lead %s: %w", w.ID, err)
				}
			}
			if match(&w) {
				found = w.ID
				return errFound
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return connectors.Receipt{}, false, fmt.Errorf("look up lumire lead with metadata.%s %s: %w", t.k.cfg.MetadataKey, ref, err)
	}
	if found == "" {
		return connectors.Receipt{}, false, nil
	}
	return connectors.Receipt{VendorID: found, HTTPStatus: http.StatusOK}, true, nil
}

// ---- transactions ----

// txTarget records ledger transactions. Exactly-once: the row key goes into
// externalId (unique per tenant), and Lookup filters the ledger by it.
type txTarget struct{ k *connector }

// Fields are the properties of POST /v1/transactions (the doc's example
// body).
func (t *txTarget) Fields() []connectors.Field {
	return []connectors.Field{
		{Name: "traderId", Type: connectors.TypeString, Required: true, Doc: "UUID of the trader"},
		{Name: "accountId", Type: connectors.TypeString, Doc: "UUID of one of the trader's trading accounts"},
		{Name: "kind", Type: connectors.TypeString, Required: true, Enum: TransactionKinds},
		{Name: "status", Type: connectors.TypeString, Enum: TransactionStatuses, Doc: "default pending"},
		{Name: "amount", Type: connectors.TypeNumber, Required: true,
			Doc: "sent as a decimal string; up to 12 digits and 8 decimals, not zero, negative only for an adjustment"},
		{Name: "currency", Type: connectors.TypeString, Required: true, Doc: "ISO 4217 code, or USDT, USDC, BTC, ETH"},
		{Name: "reference", Type: connectors.TypeString, Doc: "at most 100 characters"},
		{Name: "description", Type: connectors.TypeString, Doc: "at most 500 characters"},
		{Name: "externalId", Type: connectors.TypeString, Doc: "unique per tenant, at most 100 characters; the row key unless mapped"},
		{Name: "occurredAt", Type: connectors.TypeString, Doc: "ISO 8601 timestamp or date (default: now); without an offset it is read in the config's timezone"},
		{Name: "metadata", Type: connectors.TypeString, Doc: `a JSON object, e.g. {"batch": "2026-11"}`},
	}
}

// Validate applies the record-transaction rules.
func (t *txTarget) Validate(_ context.Context, rec connectors.Record) []connectors.FieldError {
	c := &checker{}
	c.required(rec, t.Fields())
	c.uuid(rec, "traderId")
	c.uuid(rec, "accountId")
	c.enum(rec, "kind", TransactionKinds)
	c.enum(rec, "status", TransactionStatuses)
	if a := rec.String("amount"); a != "" {
		switch {
		case !amountRE.MatchString(a):
			c.bad("amount", "%s must be a decimal with at most 12 digits and 8 decimals", a)
		case strings.Trim(strings.NewReplacer("-", "", ".", "").Replace(a), "0") == "":
			c.bad("amount", "must not be zero")
		case strings.HasPrefix(a, "-") && rec.String("kind") != "adjustment":
			c.bad("amount", "%s is negative: only an adjustment may be", a)
		}
	}
	if cur := strings.TrimSpace(rec.String("currency")); cur != "" && !validCurrency(cur) {
		c.bad("currency", "%q is not an ISO 4217 currency code (or USDT, USDC, BTC, ETH)", cur)
	}
	c.maxLen(rec, "reference", 100)
	c.maxLen(rec, "description", 500)
	c.maxLen(rec, "externalId", 100)
	if s := strings.TrimSpace(rec.String("occurredAt")); s != "" {
		if _, ok := parseWhen(s, t.k.cfg.location); !ok {
			c.bad("occurredAt", "%q is not an ISO 8601 timestamp or date", s)
		}
	}
	c.object(rec, "metadata")
	return c.errs
}

func (t *txTarget) externalID(rec connectors.Record, key string) string {
	if e := strings.TrimSpace(rec.String("externalId")); e != "" {
		return e
	}
	return key
}

func (t *txTarget) body(rec connectors.Record, key string) map[string]any {
	b := map[string]any{}
	for _, f := range t.Fields() {
		if rec.Has(f.Name) {
			b[f.Name] = wireField(rec.Fields[f.Name])
		}
	}
	// Amounts are strings in this API ("amount": "string"): the exact
	// decimal text, never a float.
	if rec.Has("amount") {
		b["amount"] = rec.String("amount")
	}
	if s, ok := b["currency"].(string); ok {
		b["currency"] = strings.ToUpper(s)
	}
	if s, ok := b["occurredAt"].(string); ok {
		if when, ok := parseWhen(s, t.k.cfg.location); ok {
			b["occurredAt"] = when.UTC().Format("2006-01-02T15:04:05.000Z")
		}
	}
	if rec.Has("metadata") {
		b["metadata"], _ = jsonObject(rec.String("metadata"))
	}
	b["externalId"] = t.externalID(rec, key)
	return b
}

// Preview is the request body a dry run shows.
func (t *txTarget) Preview(rec connectors.Record, key string) ([]byte, error) {
	return json.MarshalIndent(t.body(rec, key), "", "  ")
}

// Account identifies the LumireCRM account.
func (t *txTarget) Account() string { return t.k.account() }

// Send records the transaction.
func (t *txTarget) Send(ctx context.Context, rec connectors.Record, key string) (connectors.Receipt, error) {
	if ext := t.externalID(rec, key); len([]rune(ext)) > 100 {
		return connectors.Receipt{}, &connectors.RejectedError{Field: "externalId",
			Reason: fmt.Sprintf("the row key is %d characters; externalId allows 100: map externalId to a shorter column", len([]rune(ext)))}
	}
	return t.k.create(ctx, http.MethodPost, "/transactions", "record lumire transaction", t.body(rec, key), t.Fields())
}

// Lookup finds a transaction sent before by its externalId.
func (t *txTarget) Lookup(ctx context.Context, rec connectors.Record, key string, _ time.Time) (connectors.Receipt, bool, error) {
	ext := t.externalID(rec, key)
	var found string
	errFound := errors.New("found")
	err := t.k.c.list(ctx, "transactions", "/transactions", url.Values{"externalId": {ext}}, func(recs []json.RawMessage) error {
		for _, raw := range recs {
			var w wireMoney
			if _, err := decodeWire(raw, &w, moneyKeys); err == nil && w.ExternalID == ext && w.ID != "" {
				found = w.ID
				return errFound
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return connectors.Receipt{}, false, fmt.Errorf("look up lumire transaction with externalId %s: %w", ext, err)
	}
	if found == "" {
		return connectors.Receipt{}, false, nil
	}
	return connectors.Receipt{VendorID: found, HTTPStatus: http.StatusOK}, true, nil
}
