// Package normalize holds the parsing helpers every connector uses to turn
// vendor values into canonical ones: phones to E.164, countries to ISO
// 3166-1 alpha-2, timestamps to UTC, amounts to decimals. They never fail a
// run: a value they cannot read comes back with ok=false, and the connector
// keeps the raw value in attributes.
package normalize

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/biter777/countries"
	"github.com/nyaruka/phonenumbers"

	"github.com/leadpipe/leadpipe/schema"
)

// nationalLength is the length, trunk "0" included, of every national
// number in regions with a fixed numbering plan. Numbers of these regions
// in that shape are converted without the full libphonenumber parse, which
// costs about 9 µs a number: too much for a million-lead backfill.
var nationalLength = map[string]int{"AU": 10}

// Phone converts a phone number to E.164 ("+61401234567"). region is the
// ISO country assumed for numbers written without a country code. ok is
// false when the text is not a phone number.
func Phone(raw, region string) (string, bool) {
	digits := make([]byte, 0, 16)
	plus := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == '+' && len(digits) == 0:
			plus = true
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.':
		default:
			return slowPhone(raw, region)
		}
	}
	if len(digits) == 0 {
		return "", false
	}
	if plus {
		if len(digits) < 8 || len(digits) > 15 {
			return "", false
		}
		return "+" + string(digits), true
	}
	if n, fixed := nationalLength[region]; fixed && len(digits) == n && digits[0] == '0' {
		cc := phonenumbers.GetCountryCodeForRegion(region)
		return "+" + itoa(cc) + string(digits[1:]), true
	}
	return slowPhone(raw, region)
}

func slowPhone(raw, region string) (string, bool) {
	n, err := phonenumbers.Parse(raw, region)
	if err != nil {
		return "", false
	}
	if !phonenumbers.IsPossibleNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var b [12]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

// Country converts a country name or code ("Australia", "AUS", "au") to ISO
// 3166-1 alpha-2 ("AU").
func Country(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", false
	}
	switch strings.ToUpper(s) {
	case "UK", "GREAT BRITAIN", "ENGLAND", "SCOTLAND", "WALES", "NORTHERN IRELAND":
		return "GB", true
	}
	c := countries.ByName(s)
	if c == countries.Unknown {
		return "", false
	}
	return c.Alpha2(), true
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// Timestamp parses an ISO-8601 timestamp with any offset and returns it in
// UTC. A timestamp without an offset is read in loc (UTC when nil).
func Timestamp(raw string, loc *time.Location) (schema.Timestamp, bool) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return schema.Timestamp{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return schema.TimestampOf(t), true
		}
	}
	return schema.Timestamp{}, false
}

var dateLayouts = []string{"2006-01-02", "02/01/2006", "02.01.2006", "2/1/2006", "02-01-2006", "20060102"}

// Date parses a calendar date in ISO (YYYY-MM-DD) or day-first form
// (DD/MM/YYYY, DD.MM.YYYY), the forms the vendors leadpipe serves use. A
// timestamp is cut to its date.
func Date(raw string) (schema.Date, bool) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return schema.Date{}, false
	}
	if len(s) > 10 && s[4] == '-' {
		s = s[:10]
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return schema.DateOf(t), true
		}
	}
	return schema.Date{}, false
}

// Email trims and lower-cases an address; ok is false when it has no "@".
func Email(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	if s == "" || strings.IndexByte(s, '@') <= 0 {
		return "", false
	}
	return strings.ToLower(s), true
}

// Attributes collects the vendor fields that have no canonical column, so
// no information is lost. Empty values are left out.
type Attributes map[string]any

// Set stores a value unless it is empty.
func (a Attributes) Set(key string, v any) {
	switch x := v.(type) {
	case nil:
		return
	case string:
		if x == "" {
			return
		}
	case []string:
		if len(x) == 0 {
			return
		}
	case map[string]any:
		if len(x) == 0 {
			return
		}
	}
	a[key] = v
}

// JSON encodes the attributes with sorted keys ("" when empty).
func (a Attributes) JSON() string {
	if len(a) == 0 {
		return ""
	}
	b, err := json.Marshal(map[string]any(a))
	if err != nil {
		return ""
	}
	return string(b)
}
