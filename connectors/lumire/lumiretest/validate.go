package lumiretest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// validator checks a JSON request body the way the vendor's DTO validation
// does (class-validator messages, unknown properties rejected). Optional
// properties that are null count as absent.
type validator struct {
	body    map[string]any
	allowed []string
	errs    []string
}

func newValidator(body map[string]any, allowed ...string) *validator {
	return &validator{body: body, allowed: allowed}
}

func (v *validator) addf(format string, a ...any) { v.errs = append(v.errs, fmt.Sprintf(format, a...)) }

// finish returns every problem found, unknown properties first.
func (v *validator) finish() []string {
	var unknown []string
	for k := range v.body {
		if !slices.Contains(v.allowed, k) {
			unknown = append(unknown, fmt.Sprintf("property %s should not exist", k))
		}
	}
	slices.Sort(unknown)
	return append(unknown, v.errs...)
}

func (v *validator) has(name string) bool { x, ok := v.body[name]; return ok && x != nil }

// raw returns the value, or nil when absent (recording "should not be empty"
// when required).
func (v *validator) raw(name string, required bool) any {
	x, ok := v.body[name]
	if !ok || x == nil {
		if required {
			v.addf("%s should not be empty", name)
		}
		return nil
	}
	return x
}

func (v *validator) str(name string, required bool, max int) *string {
	x := v.raw(name, required)
	if x == nil {
		return nil
	}
	s, ok := x.(string)
	if !ok {
		v.addf("%s must be a string", name)
		return nil
	}
	if required && strings.TrimSpace(s) == "" {
		v.addf("%s should not be empty", name)
		return nil
	}
	if max > 0 && len([]rune(s)) > max {
		v.addf("%s must be shorter than or equal to %d characters", name, max)
		return nil
	}
	return &s
}

var emailRe = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$`)

func validEmail(s string) bool {
	if len(s) > 254 || !emailRe.MatchString(s) {
		return false
	}
	tld := s[strings.LastIndex(s, ".")+1:]
	return len(tld) >= 2
}

func (v *validator) email(name string, required bool) *string {
	s := v.str(name, required, 254)
	if s == nil {
		return nil
	}
	if !validEmail(*s) {
		v.addf("%s must be an email", name)
		return nil
	}
	return s
}

var phoneRe = regexp.MustCompile(`^\+?[0-9(][0-9 ().\-]{4,30}[0-9]$`)

func (v *validator) phone(name string) *string {
	s := v.str(name, false, 32)
	if s == nil || *s == "" {
		return s
	}
	digits := 0
	for _, c := range *s {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	if !phoneRe.MatchString(*s) || digits < 6 || digits > 15 {
		v.addf("%s must be a valid phone number", name)
		return nil
	}
	return s
}

func (v *validator) country(name string) *string {
	s := v.str(name, false, 2)
	if s == nil {
		return nil
	}
	if !isCountry(*s) {
		v.addf("%s must be a valid ISO31661 Alpha2 code", name)
		return nil
	}
	return s
}

func (v *validator) enum(name string, required bool, values []string) *string {
	x := v.raw(name, required)
	if x == nil {
		return nil
	}
	s, ok := x.(string)
	if !ok || !slices.Contains(values, s) {
		v.addf("%s must be one of the following values: %s", name, strings.Join(values, ", "))
		return nil
	}
	return &s
}

func (v *validator) uuid(name string, required bool) *string {
	x := v.raw(name, required)
	if x == nil {
		return nil
	}
	s, ok := x.(string)
	if !ok || !isUUID(s) {
		v.addf("%s must be a UUID", name)
		return nil
	}
	s = strings.ToLower(s)
	return &s
}

func (v *validator) integer(name string, min, max int) *int {
	x := v.raw(name, false)
	if x == nil {
		return nil
	}
	n, ok := x.(json.Number)
	if !ok {
		v.addf("%s must be an integer number", name)
		return nil
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1e9 {
		v.addf("%s must be an integer number", name)
		return nil
	}
	i := int(f)
	if i < min {
		v.addf("%s must not be less than %d", name, min)
		return nil
	}
	if i > max {
		v.addf("%s must not be greater than %d", name, max)
		return nil
	}
	return &i
}

func (v *validator) object(name string) (map[string]any, bool) {
	x := v.raw(name, false)
	if x == nil {
		return nil, false
	}
	m, ok := x.(map[string]any)
	if !ok {
		v.addf("%s must be an object", name)
		return nil, false
	}
	return m, true
}

func (v *validator) isoTime(name string) *time.Time {
	x := v.raw(name, false)
	if x == nil {
		return nil
	}
	s, ok := x.(string)
	if ok {
		if t, ok := parseISO(s); ok {
			return &t
		}
	}
	v.addf("%s must be a valid ISO 8601 date string", name)
	return nil
}

var decimalRe = regexp.MustCompile(`^-?[0-9]{1,12}(\.[0-9]{1,8})?$`)

// decimal validates a money amount sent as a string ("1234.50").
func (v *validator) decimal(name string, required, allowNegative bool) *string {
	x := v.raw(name, required)
	if x == nil {
		return nil
	}
	s, ok := x.(string)
	if !ok {
		v.addf(`%s must be a decimal string like "1234.50"`, name)
		return nil
	}
	if !decimalRe.MatchString(s) {
		v.addf(`%s must be a decimal string like "1234.50"`, name)
		return nil
	}
	zero := strings.Trim(strings.NewReplacer("-", "", ".", "").Replace(s), "0") == ""
	if zero {
		v.addf("%s must not be zero", name)
		return nil
	}
	if strings.HasPrefix(s, "-") && !allowNegative {
		v.addf("%s must be a positive number", name)
		return nil
	}
	return &s
}

func (v *validator) currency(name string, required bool) *string {
	x := v.raw(name, required)
	if x == nil {
		return nil
	}
	s, ok := x.(string)
	if !ok || !isCurrency(s) {
		v.addf("%s must be a valid ISO4217 currency code", name)
		return nil
	}
	return &s
}

// parseISO accepts an RFC 3339 timestamp (fraction optional) or a bare
// YYYY-MM-DD date (midnight UTC).
func parseISO(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// ---- query strings ----

// query validates list/export query parameters. Unknown parameters are
// rejected like unknown body properties.
type query struct {
	v       url.Values
	allowed []string
	errs    []string
}

func newQuery(v url.Values) *query { return &query{v: v} }

func (q *query) addf(format string, a ...any) { q.errs = append(q.errs, fmt.Sprintf(format, a...)) }

func (q *query) get(name string) (string, bool) {
	q.allowed = append(q.allowed, name)
	vals, ok := q.v[name]
	if !ok || len(vals) == 0 {
		return "", false
	}
	return vals[0], true
}

func (q *query) finish() []string {
	var unknown []string
	for k := range q.v {
		if !slices.Contains(q.allowed, k) {
			unknown = append(unknown, fmt.Sprintf("property %s should not exist", k))
		}
	}
	slices.Sort(unknown)
	return append(unknown, q.errs...)
}

func (q *query) str(name string) *string {
	s, ok := q.get(name)
	if !ok || s == "" {
		return nil
	}
	return &s
}

func (q *query) enum(name string, values []string) *string {
	s, ok := q.get(name)
	if !ok || s == "" {
		return nil
	}
	if !slices.Contains(values, s) {
		q.addf("%s must be one of the following values: %s", name, strings.Join(values, ", "))
		return nil
	}
	return &s
}

func (q *query) uuid(name string) *string {
	s, ok := q.get(name)
	if !ok || s == "" {
		return nil
	}
	if !isUUID(s) {
		q.addf("%s must be a UUID", name)
		return nil
	}
	s = strings.ToLower(s)
	return &s
}

func (q *query) boolean(name string) *bool {
	s, ok := q.get(name)
	if !ok || s == "" {
		return nil
	}
	switch s {
	case "true":
		b := true
		return &b
	case "false":
		b := false
		return &b
	}
	q.addf("%s must be a boolean value", name)
	return nil
}

// since returns an inclusive lower bound.
func (q *query) since(name string) *time.Time {
	s, ok := q.get(name)
	if !ok || s == "" {
		return nil
	}
	t, ok := parseISO(s)
	if !ok {
		q.addf("%s must be a valid ISO 8601 date string", name)
		return nil
	}
	return &t
}

// until returns an upper bound and whether it is exclusive: a bare date
// covers that whole day (exclusive bound at the next midnight), a timestamp
// is inclusive.
func (q *query) until(name string) (*time.Time, bool) {
	s, ok := q.get(name)
	if !ok || s == "" {
		return nil, false
	}
	t, ok := parseISO(s)
	if !ok {
		q.addf("%s must be a valid ISO 8601 date string", name)
		return nil, false
	}
	if len(s) == len("2006-01-02") {
		t = t.AddDate(0, 0, 1)
		return &t, true
	}
	return &t, false
}

// timeRange builds the from/to predicate on a record's primary timestamp.
func (q *query) timeRange() func(time.Time) bool {
	from := q.since("from")
	to, exclusive := q.until("to")
	return func(t time.Time) bool {
		if from != nil && t.Before(*from) {
			return false
		}
		if to != nil {
			if exclusive && !t.Before(*to) {
				return false
			}
			if !exclusive && t.After(*to) {
				return false
			}
		}
		return true
	}
}

func (q *query) limit() int {
	s, ok := q.get("limit")
	if !ok || s == "" {
		return DefaultPageLimit
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		q.addf("limit must be an integer number")
		return DefaultPageLimit
	}
	if n < 1 {
		q.addf("limit must not be less than 1")
		return DefaultPageLimit
	}
	if n > MaxPageLimit {
		q.addf("limit must not be greater than %d", MaxPageLimit)
		return DefaultPageLimit
	}
	return n
}

// order returns true for descending (the default).
func (q *query) order() bool {
	o := q.enum("order", []string{"asc", "desc"})
	return o == nil || *o == "desc"
}

// ---- reference data ----

var countryCodes = strings.Fields(`AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET
FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS
IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP
MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW`)

// isCountry accepts ISO 3166-1 alpha-2 codes in any letter case (as the
// validator library the vendor uses does).
func isCountry(s string) bool { return slices.Contains(countryCodes, strings.ToUpper(s)) }

var currencyCodes = strings.Fields(`AED ARS AUD BGN BRL CAD CHF CLP CNY COP CZK DKK EGP EUR GBP HKD HUF IDR ILS INR ISK JPY
KES KRW KWD MAD MXN MYR NGN NOK NZD PEN PHP PKR PLN QAR RON RSD SAR SEK SGD THB TRY TWD UAH USD VND ZAR USDT USDC BTC ETH`)

// isCurrency accepts upper-case ISO 4217 codes plus the crypto assets the
// CRM books (USDT, USDC, BTC, ETH).
func isCurrency(s string) bool { return slices.Contains(currencyCodes, s) }
