package lofty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/transforms/normalize"
)

// Target returns the push target "leads".
func (k *connector) Target(ctx context.Context, name string) (connectors.Target, error) {
	if name != "leads" {
		return nil, fmt.Errorf("lofty has no push target %q (targets: leads)", name)
	}
	return &leadTarget{k: k}, nil
}

// leadTarget creates leads with POST /v1.0/leads (LeadRequest).
type leadTarget struct{ k *connector }

// BirthdayFormat is the documented birthday pattern "MMM d, yyyy".
const BirthdayFormat = "Jan 2, 2006"

// CustomFieldPrefix names the push fields that fill a custom field:
// "custom.Loan Amount" becomes {"attributeName": "Loan Amount", "value":...}
// in customAttributeList. The names are the custom_fields of the config.
const CustomFieldPrefix = "custom."

// The documented lead type ids and names, both accepted.
var (
	leadTypeEnum  = enumOf(LeadTypeNames)
	leadTypesEnum = enumOf(LeadTypesNames)
)

func enumOf(names map[int32]string) []string {
	ids := make([]int, 0, len(names))
	for id := range names {
		ids = append(ids, int(id))
	}
	sort.Ints(ids)
	out := make([]string, 0, 2*len(ids))
	for _, id := range ids {
		out = append(out, strconv.Itoa(id))
	}
	for _, id := range ids {
		out = append(out, names[int32(id)])
	}
	return out
}

// leadFields are the LeadRequest fields a mapping can fill (section 6.44).
var leadFields = []connectors.Field{
	{Name: "firstName", Type: connectors.TypeString, Doc: "The first/given name of the lead"},
	{Name: "lastName", Type: connectors.TypeString, Doc: "The last/family name of the lead"},
	{Name: "emails", Type: connectors.TypeList, Doc: "E-mail addresses; the first is the lead's primary one"},
	{Name: "phones", Type: connectors.TypeList, Doc: "Phone numbers, no more than 20 characters each"},
	{Name: "birthday", Type: connectors.TypeDate, Format: BirthdayFormat, Doc: "Sent as MMM d, yyyy"},
	{Name: "source", Type: connectors.TypeString, Doc: "The source of the lead"},
	{Name: "stage", Type: connectors.TypeString, Doc: "One of the team's stages, less than 20 characters"},
	{Name: "leadType", Type: connectors.TypeString, Enum: leadTypeEnum,
		Doc: "Other (-1), Seller (1), Buyer (2), Buyer & Seller (3), Renter (5): the id or the name"},
	{Name: "leadTypes", Type: connectors.TypeList, Enum: leadTypesEnum,
		Doc: "Other (-1), Seller (1), Buyer (2), Renter (5), Investor (6), Agent (7), Homeowner (8), Landlord (9): ids or names"},
	{Name: "tags", Type: connectors.TypeList, Doc: "Tags of the lead"},
	{Name: "segments", Type: connectors.TypeList, Doc: "Segments the lead is in"},
	{Name: "groups", Type: connectors.TypeList, Doc: "Deprecated alias of segments"},
	{Name: "assignedUserId", Type: connectors.TypeInteger, Doc: "Id of the agent assigned to this contact"},
	{Name: "assignGroupId", Type: connectors.TypeInteger, Doc: "Group whose routing rule applies; -1 for the company rule"},
	{Name: "leadRouting", Type: connectors.TypeBool, Doc: "Assign the lead via Lead Routing"},
	{Name: "leadAlert", Type: connectors.TypeBool, Doc: "Send the new lead alert e-mail"},
	{Name: "welcomeEmail", Type: connectors.TypeBool, Doc: "Send the welcome e-mail"},
	{Name: "content", Type: connectors.TypeString, Doc: "A note added to the lead"},
	{Name: "isPin", Type: connectors.TypeBool, Doc: "Pin the note"},
	{Name: "isPrivate", Type: connectors.TypeBool, Doc: "The lead is private"},
	{Name: "cannotCall", Type: connectors.TypeBool},
	{Name: "cannotEmail", Type: connectors.TypeBool},
	{Name: "cannotText", Type: connectors.TypeBool},
	{Name: "unsubscription", Type: connectors.TypeBool, Doc: "Unsubscribe the e-mail"},
	{Name: "language", Type: connectors.TypeString, Doc: "Abbreviated language, e.g. en"},
	{Name: "referredBy", Type: connectors.TypeString},
	{Name: "streetAddress", Type: connectors.TypeString},
	{Name: "city", Type: connectors.TypeString},
	{Name: "state", Type: connectors.TypeString},
	{Name: "zipCode", Type: connectors.TypeString},
	{Name: "buyingTimeFrame", Type: connectors.TypeString},
	{Name: "sellingTimeFrame", Type: connectors.TypeString},
	{Name: "mortgage", Type: connectors.TypeString},
	{Name: "preQual", Type: connectors.TypeString},
	{Name: "fthb", Type: connectors.TypeString, Doc: "First time home buyer"},
	{Name: "houseToSell", Type: connectors.TypeString},
	{Name: "buyHouse", Type: connectors.TypeString},
	{Name: "withBuyerAgent", Type: connectors.TypeString},
	{Name: "withListingAgent", Type: connectors.TypeString},
	{Name: "hideVendorId", Type: connectors.TypeInteger, Doc: "Sent as a query parameter"},
}

// createOnly are the LeadRequest fields an edit (EditLeadRequest) does not
// take.
var createOnly = []string{"leadRouting", "leadAlert", "welcomeEmail", "content", "isPin", "assignGroupId", "hideVendorId"}

// Fields lists the LeadRequest fields and one "custom.<name>" field per
// configured custom field.
func (t *leadTarget) Fields() []connectors.Field {
	out := slices.Clone(leadFields)
	for _, col := range sortedKeys(t.k.cfg.customFields) {
		name := t.k.cfg.customFields[col]
		out = append(out, connectors.Field{Name: CustomFieldPrefix + name, Type: connectors.TypeString,
			Doc: "Lofty custom field " + strconv.Quote(name) + " (" + col + ")"})
	}
	return out
}

func (t *leadTarget) field(name string) (connectors.Field, bool) {
	for _, f := range t.Fields() {
		if f.Name == name {
			return f, true
		}
	}
	return connectors.Field{}, false
}

// Validate applies every documented LeadRequest rule, and the rules the
// exactly-once lookup needs, and returns every problem.
func (t *leadTarget) Validate(_ context.Context, rec connectors.Record) []connectors.FieldError {
	var errs []connectors.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, connectors.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	for _, name := range sortedKeys(rec.Fields) {
		f, ok := t.field(name)
		if !ok {
			add(name, "is not a Lofty lead field")
			continue
		}
		if _, err := typed(f, rec.Fields[name]); err != nil {
			add(name, "%v", err)
		}
	}
	emails, _ := listOf(rec.Fields["emails"])
	for i, e := range emails {
		if !validEmail(strings.TrimSpace(e)) {
			add("emails", "value %d %q is not an e-mail address (local@domain.tld)", i+1, e)
		}
	}
	phones, _ := listOf(rec.Fields["phones"])
	for i, p := range phones {
		switch n := utf8.RuneCountInString(strings.TrimSpace(p)); {
		case n == 0:
			add("phones", "value %d is blank", i+1)
		case n > 20:
			add("phones", "value %d %q has %d characters; Lofty allows no more than 20 per phone", i+1, p, n)
		}
	}
	if s, ok := rec.Fields["stage"].(string); ok {
		if n := utf8.RuneCountInString(strings.TrimSpace(s)); n >= 20 {
			add("stage", "%q has %d characters; Lofty requires less than 20", s, n)
		}
	}
	if v, ok := rec.Fields["assignedUserId"]; ok && v != nil {
		if n, err := intOf(v); err == nil && n <= 0 {
			add("assignedUserId", "must be a positive user id, got %d", n)
		}
	}
	if v, ok := rec.Fields["assignGroupId"]; ok && v != nil {
		if n, err := intOf(v); err == nil && n != -1 && n <= 0 {
			add("assignGroupId", "must be a group id or -1 (the company routing rule), got %d", n)
		}
	}
	hasEmail, hasPhone := len(nonBlank(emails)) > 0, len(nonBlank(phones)) > 0
	if !hasEmail && !hasPhone && strings.TrimSpace(rec.String("firstName")) == "" && strings.TrimSpace(rec.String("lastName")) == "" {
		add("firstName", "a lead needs at least one of firstName, lastName, emails or phones")
	} else if t.k.cfg.KeyTag == "" {
		by := t.k.cfg.LookupBy
		if !(hasEmail && slices.Contains(by, "email")) && !(hasPhone && slices.Contains(by, "phone")) {
			what := strings.ReplaceAll(strings.Join(by, " or "), "email", "e-mail")
			add(by[0]+"s", "at least one %s is required: Lofty has no reference field, so leadpipe finds a lead again by %s (set key_tag to allow rows without)",
				what, what)
		}
	}
	return errs
}

func nonBlank(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// validEmail is the shape Lofty accepts: local@domain.tld, no spaces.
func validEmail(e string) bool {
	if e == "" || strings.IndexFunc(e, unicode.IsSpace) >= 0 || strings.Count(e, "@") != 1 {
		return false
	}
	local, domain, _ := strings.Cut(e, "@")
	return local != "" && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// typed converts a mapped value into its wire value, per the field type.
func typed(f connectors.Field, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch f.Name {
	case "leadType":
		n, err := leadTypeID(v, LeadTypeNames)
		if err != nil {
			return nil, err
		}
		return n, nil
	case "leadTypes":
		xs, err := listOf(v)
		if err != nil {
			return nil, err
		}
		out := make([]int32, 0, len(xs))
		for _, x := range nonBlank(xs) {
			n, err := leadTypeID(x, LeadTypesNames)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	case "birthday":
		return birthday(v)
	}
	switch f.Type {
	case connectors.TypeString:
		switch x := v.(type) {
		case string:
			return strings.TrimSpace(x), nil
		case connectors.Number:
			return string(x), nil
		case int64, bool:
			return fmt.Sprint(x), nil
		case connectors.Date:
			return x.Format("2006-01-02"), nil
		}
	case connectors.TypeList:
		xs, err := listOf(v)
		if err != nil {
			return nil, err
		}
		return nonBlank(xs), nil
	case connectors.TypeInteger:
		return intOf(v)
	case connectors.TypeBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true", "yes", "y", "1":
				return true, nil
			case "false", "no", "n", "0":
				return false, nil
			}
			return nil, fmt.Errorf("%q is not true or false", x)
		}
	}
	return nil, fmt.Errorf("has a %T where a %s is expected", v, f.Type)
}

func listOf(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []string:
		return x, nil
	case string:
		if strings.TrimSpace(x) == "" {
			return nil, nil
		}
		return strings.FieldsFunc(x, func(r rune) bool { return r == '|' || r == ',' }), nil
	}
	return nil, fmt.Errorf("has a %T where a list is expected", v)
}

func intOf(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case connectors.Number:
		return strconv.ParseInt(string(x), 10, 64)
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a whole number", x)
		}
		return n, nil
	}
	return 0, fmt.Errorf("has a %T where a whole number is expected", v)
}

// leadTypeID reads a lead type as its id or its documented name.
func leadTypeID(v any, names map[int32]string) (int32, error) {
	allowed := func() string {
		ids := make([]int, 0, len(names))
		for id := range names {
			ids = append(ids, int(id))
		}
		sort.Ints(ids)
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = fmt.Sprintf("%s (%d)", names[int32(id)], id)
		}
		return strings.Join(parts, ", ")
	}
	if s, ok := v.(string); ok {
		s = strings.TrimSpace(s)
		for id, name := range names {
			if strings.EqualFold(name, s) {
				return id, nil
			}
		}
		if _, err := strconv.ParseInt(s, 10, 32); err != nil {
			return 0, fmt.Errorf("%q is not a lead type: %s", s, allowed())
		}
	}
	n, err := intOf(v)
	if err != nil {
		return 0, err
	}
	if _, ok := names[int32(n)]; !ok || n != int64(int32(n)) {
		return 0, fmt.Errorf("%d is not a lead type: %s", n, allowed())
	}
	return int32(n), nil
}

func birthday(v any) (string, error) {
	switch x := v.(type) {
	case connectors.Date:
		return x.Format(BirthdayFormat), nil
	case time.Time:
		return x.Format(BirthdayFormat), nil
	case string:
		s := strings.TrimSpace(x)
		if t, err := time.Parse(BirthdayFormat, s); err == nil {
			return t.Format(BirthdayFormat), nil
		}
		if d, ok := normalize.Date(s); ok {
			return d.Time().Format(BirthdayFormat), nil
		}
		return "", fmt.Errorf("%q is not a date (MMM d, yyyy or YYYY-MM-DD)", x)
	}
	return "", fmt.Errorf("has a %T where a date is expected", v)
}

// body builds the LeadRequest JSON object and the query (hideVendorId).
func (t *leadTarget) body(rec connectors.Record, key string, create bool) (map[string]any, url.Values, error) {
	body := map[string]any{}
	q := url.Values{}
	var custom []map[string]any
	for _, name := range sortedKeys(rec.Fields) {
		f, ok := t.field(name)
		if !ok {
			return nil, nil, fmt.Errorf("lofty: %s is not a Lofty lead field", name)
		}
		v, err := typed(f, rec.Fields[name])
		if err != nil {
			return nil, nil, fmt.Errorf("lofty: %s: %w", name, err)
		}
		if v == nil || v == "" {
			continue
		}
		if xs, ok := v.([]string); ok && len(xs) == 0 {
			continue
		}
		switch {
		case strings.HasPrefix(name, CustomFieldPrefix):
			custom = append(custom, map[string]any{"attributeName": strings.TrimPrefix(name, CustomFieldPrefix), "value": v})
		case name == "hideVendorId":
			if create {
				q.Set("hideVendorId", fmt.Sprint(v))
			}
		case !create && slices.Contains(createOnly, name):
		default:
			body[name] = v
		}
	}
	if len(custom) > 0 {
		body["customAttributeList"] = custom
	}
	if tag := t.keyTag(key); tag != "" {
		tags, _ := body["tags"].([]string)
		if !slices.Contains(tags, tag) {
			body["tags"] = append(slices.Clone(tags), tag)
		}
	}
	return body, q, nil
}

func (t *leadTarget) keyTag(key string) string {
	if t.k.cfg.KeyTag == "" || key == "" {
		return ""
	}
	return t.k.cfg.KeyTag + key
}

// identities are the searches that find this row's lead at Lofty, in the
// order they are tried: the key tag, then each e-mail, then each phone.
type identity struct{ param, value string }

func (id identity) lockKey() string {
	switch id.param {
	case "email":
		return "email:" + strings.ToLower(id.value)
	case "phone":
		d := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, id.value)
		if len(d) == 11 && d[0] == '1' {
			d = d[1:]
		}
		return "phone:" + d
	}
	return id.param + ":" + id.value
}

func (t *leadTarget) identities(rec connectors.Record, key string) []identity {
	var ids []identity
	if tag := t.keyTag(key); tag != "" {
		ids = append(ids, identity{"anyTags", tag})
	}
	for _, by := range t.k.cfg.LookupBy {
		xs, _ := listOf(rec.Fields[by+"s"])
		for _, x := range nonBlank(xs) {
			ids = append(ids, identity{by, x})
		}
	}
	return ids
}

// lock serializes the sends of rows that share an identity, for the whole
// check-then-create. Locks are reference-counted, so the table holds only the
// identities of rows in flight.
func (k *connector) lock(ids []identity) func() {
	keys := make([]string, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, id.lockKey())
	}
	sort.Strings(keys)
	keys = slices.Compact(keys)
	k.pushMu.Lock()
	ls := make([]*idLock, len(keys))
	for i, key := range keys {
		l := k.locks[key]
		if l == nil {
			l = &idLock{}
			k.locks[key] = l
		}
		l.refs++
		ls[i] = l
	}
	k.pushMu.Unlock()
	for _, l := range ls {
		l.mu.Lock()
	}
	return func() {
		for i := len(ls) - 1; i >= 0; i-- {
			ls[i].mu.Unlock()
		}
		k.pushMu.Lock()
		for i, l := range ls {
			if l.refs--; l.refs == 0 {
				delete(k.locks, keys[i])
			}
		}
		k.pushMu.Unlock()
	}
}

// idLock is one identity's lock and the number of sends holding or
// awaiting it.
type idLock struct {
	mu   sync.Mutex
	refs int
}

// match is a lead found at Lofty.
type match struct {
	id      string
	by      string
	created time.Time
	tagged  bool
}

// find searches the row's identities in order and returns the best lead of
// the first search that finds any: the one carrying the key tag, else the
// oldest created at or after since (ours), else the oldest.
func (t *leadTarget) find(ctx context.Context, rec connectors.Record, key string, since time.Time) (*match, error) {
	tag := t.keyTag(key)
	for _, id := range t.identities(rec, key) {
		leads, err := t.k.c.findLeads(ctx, id.param, id.value)
		if err != nil {
			return nil, err
		}
		var ms []match
		for _, l := range leads {
			m := match{id: string(l.w.LeadID), by: id.param}
			if id.param == "anyTags" {
				m.by = "key_tag"
			}
			if ts := t.k.norm.ts(l.w.CreateTime); ts.Valid {
				m.created = ts.Time()
			}
			for _, tg := range l.w.Tags {
				if tag != "" && tg.TagName == tag {
					m.tagged = true
				}
			}
			ms = append(ms, m)
		}
		if len(ms) == 0 {
			continue
		}
		sort.SliceStable(ms, func(a, b int) bool {
			ma, mb := ms[a], ms[b]
			if ma.tagged != mb.tagged {
				return ma.tagged
			}
			oursA := !since.IsZero() && !ma.created.Before(since.Add(-lookupSkew))
			oursB := !since.IsZero() && !mb.created.Before(since.Add(-lookupSkew))
			if oursA != oursB {
				return oursA
			}
			if !ma.created.Equal(mb.created) {
				return ma.created.Before(mb.created)
			}
			return idGreater(mb.id, ma.id)
		})
		return &ms[0], nil
	}
	return nil, nil
}

// lookupSkew tolerates a vendor clock behind ours when telling a lead we
// created (created at or after the first send) from one that existed.
const lookupSkew = time.Minute

func (k *connector) remembered(ids []identity) string {
	k.pushMu.Lock()
	defer k.pushMu.Unlock()
	for _, id := range ids {
		if v, ok := k.created[id.lockKey()]; ok {
			return v
		}
	}
	return ""
}

// maxRemembered bounds the identities a connector remembers from this run;
// past it the memory starts over (the search at Lofty still finds them).
const maxRemembered = 100000

func (k *connector) remember(ids []identity, leadID string) {
	k.pushMu.Lock()
	defer k.pushMu.Unlock()
	if len(k.created)+len(ids) > maxRemembered {
		clear(k.created)
	}
	for _, id := range ids {
		k.created[id.lockKey()] = leadID
	}
}

// Send creates the lead, unless check_before_create finds it at Lofty
// already: then no request creates anything and the receipt carries the
// existing lead's id with Extra["existing"] = "true" and Extra["matched_by"]
// (key_tag, email or phone). A lead created earlier in this run for the same
// e-mail or phone counts as existing too.
func (t *leadTarget) Send(ctx context.Context, rec connectors.Record, key string) (connectors.Receipt, error) {
	body, q, err := t.body(rec, key, true)
	if err != nil {
		return connectors.Receipt{}, err
	}
	ids := t.identities(rec, key)
	unlock := t.k.lock(ids)
	defer unlock()
	if *t.k.cfg.CheckBeforeCreate {
		if id := t.k.remembered(ids); id != "" {
			return connectors.Receipt{VendorID: id, HTTPStatus: http.StatusOK,
				Extra: map[string]string{"existing": "true", "matched_by": "this_run"}}, nil
		}
		m, err := t.find(ctx, rec, key, time.Time{})
		if err != nil {
			return connectors.Receipt{}, fmt.Errorf("check lofty for an existing lead (row %d): %w", rec.Row, err)
		}
		if m != nil {
			t.k.remember(ids, m.id)
			return connectors.Receipt{VendorID: m.id, HTTPStatus: http.StatusOK,
				Extra: map[string]string{"existing": "true", "matched_by": m.by}}, nil
		}
	}
	req, err := httpclient.NewJSONRequest(http.MethodPost, t.k.c.url("/leads", q), body)
	if err != nil {
		return connectors.Receipt{}, err
	}
	resp, err := t.k.c.http.Do(ctx, req)
	if err != nil {
		return connectors.Receipt{}, t.writeError(resp, err, "create lofty lead (row %d)", rec.Row)
	}
	id, err := t.answer(resp)
	if err != nil {
		return connectors.Receipt{}, fmt.Errorf("create lofty lead (row %d): %w", rec.Row, err)
	}
	t.k.remember(ids, id)
	return connectors.Receipt{VendorID: id, HTTPStatus: resp.StatusCode, Extra: map[string]string{"existing": "false"}}, nil
}

// answer reads the id from a 2xx answer. A Result with a non-zero errorCode
// is a rejection even under 200; an answer without an id leaves the outcome
// unknown (the lead may exist), so the engine looks it up.
func (t *leadTarget) answer(resp *httpclient.Response) (string, error) {
	var r result
	if json.Unmarshal(bytes.TrimSpace(resp.Body), &r) == nil && r.ErrorCode != 0 && (len(r.Data) == 0 || string(r.Data) == "null") {
		return "", rejection(resp.StatusCode, resp.Body)
	}
	id, err := writeID(resp.Body)
	if err != nil {
		return "", fmt.Errorf("%w: %w", httpclient.ErrOutcomeUnknown, err)
	}
	return id, nil
}

// writeError turns a failed write into the push engine's vocabulary: a
// definitive 400/422 answer is a *connectors.RejectedError; anything else
// (ErrOutcomeUnknown included) is returned wrapped.
func (t *leadTarget) writeError(resp *httpclient.Response, err error, format string, args ...any) error {
	var se *httpclient.StatusError
	if errors.As(err, &se) && !errors.Is(err, httpclient.ErrOutcomeUnknown) &&
		(se.StatusCode == http.StatusBadRequest || se.StatusCode == http.StatusUnprocessableEntity) {
		var body []byte
		if resp != nil {
			body = resp.Body
		}
		return rejection(se.StatusCode, body)
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// rejection reads Lofty's Result error: errorMsg, and the first field of
// errorData when it names one.
func rejection(status int, body []byte) *connectors.RejectedError {
	rej := &connectors.RejectedError{HTTPStatus: status}
	var r result
	if json.Unmarshal(bytes.TrimSpace(body), &r) == nil {
		if r.ErrorMsg != nil {
			rej.Reason = *r.ErrorMsg
		}
		var fields []fieldErr
		if json.Unmarshal(r.ErrorData, &fields) == nil && len(fields) > 0 {
			rej.Field = fields[0].Field
			if len(fields) == 1 && fields[0].Message != "" {
				rej.Reason = fields[0].Message
			}
		}
	}
	if rej.Reason == "" {
		s := strings.TrimSpace(string(body))
		if len(s) > 300 {
			s = s[:300]
		}
		if s == "" {
			s = http.StatusText(status)
		}
		rej.Reason = s
	}
	return rej
}

// Lookup finds the lead of a row whose outcome is unknown: by key tag (when
// key_tag is set), then e-mail, then phone, with Lofty's precise search.
// Extra["existing"] says whether the lead existed before since (so it was not
// this row's create).
func (t *leadTarget) Lookup(ctx context.Context, rec connectors.Record, key string, since time.Time) (connectors.Receipt, bool, error) {
	ids := t.identities(rec, key)
	if len(ids) == 0 {
		return connectors.Receipt{}, false, fmt.Errorf("lofty: row %d has no key tag, e-mail or phone to look up: %w", rec.Row, connectors.ErrNoLookup)
	}
	m, err := t.find(ctx, rec, key, since)
	if err != nil {
		return connectors.Receipt{}, false, fmt.Errorf("look up lofty lead (row %d): %w", rec.Row, err)
	}
	if m == nil {
		return connectors.Receipt{}, false, nil
	}
	existing := "false"
	if !since.IsZero() && !m.created.IsZero() && m.created.Before(since.Add(-lookupSkew)) {
		existing = "true"
	}
	t.k.remember(ids, m.id)
	return connectors.Receipt{VendorID: m.id, HTTPStatus: http.StatusOK,
		Extra: map[string]string{"existing": existing, "matched_by": m.by}}, true, nil
}

// Update edits a lead sent before (PUT /v1.0/leads/{leadId},
// EditLeadRequest): only the mapped fields change; tags replace the lead's
// tags (the key tag is kept).
func (t *leadTarget) Update(ctx context.Context, vendorID string, rec connectors.Record, key string) (connectors.Receipt, error) {
	body, _, err := t.body(rec, key, false)
	if err != nil {
		return connectors.Receipt{}, err
	}
	req, err := httpclient.NewJSONRequest(http.MethodPut, t.k.c.url("/leads/"+url.PathEscape(vendorID), nil), body)
	if err != nil {
		return connectors.Receipt{}, err
	}
	resp, err := t.k.c.http.Do(ctx, req)
	if err != nil {
		return connectors.Receipt{}, t.writeError(resp, err, "update lofty lead %s (row %d)", vendorID, rec.Row)
	}
	if _, err := t.answer(resp); err != nil {
		var rej *connectors.RejectedError
		if errors.As(err, &rej) {
			return connectors.Receipt{}, rej
		}
	}
	return connectors.Receipt{VendorID: vendorID, HTTPStatus: resp.StatusCode}, nil
}

// Preview is what a dry run shows for a row: the create request and the
// searches that run before it.
func (t *leadTarget) Preview(rec connectors.Record, key string) ([]byte, error) {
	body, q, err := t.body(rec, key, true)
	if err != nil {
		return nil, err
	}
	req := "POST /v1.0/leads"
	if len(q) > 0 {
		req += "?" + q.Encode()
	}
	out := map[string]any{"request": req, "body": body}
	if *t.k.cfg.CheckBeforeCreate {
		var checks []string
		for _, id := range t.identities(rec, key) {
			v := url.Values{id.param: {id.value}}
			if id.param != "anyTags" {
				v.Set("preciseSearchFlag", "true")
			}
			checks = append(checks, "GET /v1.0/leads?"+v.Encode())
		}
		out["checked_first"] = checks
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Account names the Lofty API the ledger entries belong to (host and path
// of base_url): the sandbox and production never share a ledger, and a new
// access token does not make rows look unsent.
func (t *leadTarget) Account() string {
	u, err := url.Parse(t.k.cfg.BaseURL)
	if err != nil {
		return t.k.cfg.BaseURL
	}
	return u.Host + strings.TrimRight(u.Path, "/")
}

// Describe says, for a person checking a row at Lofty, which lead it is.
func (t *leadTarget) Describe(rec connectors.Record) string {
	var parts []string
	if name := strings.TrimSpace(rec.String("firstName") + " " + rec.String("lastName")); name != "" {
		parts = append(parts, name)
	}
	for _, f := range []string{"emails", "phones"} {
		xs, _ := listOf(rec.Fields[f])
		parts = append(parts, nonBlank(xs)...)
	}
	if len(parts) == 0 {
		return ""
	}
	return "the lead " + strings.Join(parts, ", ")
}
