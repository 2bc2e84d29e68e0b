// Package normalize holds the parsing helpers every connector uses to turn
// vendor values into canonical ones: phones to E.164, countries to ISO
// 3166-1 alpha-2, timestamps to UTC, amounts to decimals. They never fail a
// run: a value they cannot read comes back with ok=false, and the connector
// keeps the raw value in attributes.
package normalize

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/biter777/countries"
	"github.com/nyaruka/phonenumbers"

	"github.com/leadpipe/leadpipe/schema"
)

// fastPlans are the regions with a fixed numbering plan whose numbers
// Phone reads without libphonenumber's parse, which costs tens of µs a
// number: too much for a million-lead backfill. nsn is the length of the
// national significant number (without the trunk "0" or the country code).
var fastPlans = map[string]struct {
	cc  string
	nsn int
}{"AU": {"61", 9}}

// Phone converts a phone number to E.164 ("+61401234567"). region is the
// ISO country assumed for a number written without a country code; "" when
// there is none, and then only a number with a "+" is read. ok is false
// when the text is not a number valid for its region (libphonenumber's
// IsValidNumber): a number that is merely possible (0499492226 read as a US
// number gives +10499492226) is never converted, since nobody has it. The
// caller keeps the raw text in attributes and counts it (Unknowns.Invalid).
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
	if len(digits) == 0 || len(digits) > 17 {
		return "", false
	}
	if plus {
		for r, p := range fastPlans {
			if len(digits) == len(p.cc)+p.nsn && string(digits[:len(p.cc)]) == p.cc {
				return fastPhone(r, p.cc, digits[len(p.cc):])
			}
		}
		return slowPhone("+"+string(digits), "")
	}
	if region == "" {
		return "", false
	}
	if p, ok := fastPlans[region]; ok && len(digits) == p.nsn+1 && digits[0] == '0' {
		return fastPhone(region, p.cc, digits[1:])
	}
	return slowPhone(string(digits), region)
}

// fastPhone checks a national significant number of a fastPlans region.
// A number is valid when it matches any number type of its region; the
// mobile and fixed-line patterns, compiled once, answer for nearly every
// number, and libphonenumber's own check decides the rest.
func fastPhone(region, cc string, nsn []byte) (string, bool) {
	if m := typesOf(region); m != nil && (m.mobile.Match(nsn) || m.fixed.Match(nsn)) {
		return "+" + cc + string(nsn), true
	}
	v, err := strconv.ParseUint(string(nsn), 10, 64)
	if err != nil {
		return "", false
	}
	code := int32(phonenumbers.GetCountryCodeForRegion(region))
	if !phonenumbers.IsValidNumberForRegion(&phonenumbers.PhoneNumber{CountryCode: &code, NationalNumber: &v}, region) {
		return "", false
	}
	return "+" + cc + string(nsn), true
}

type typePatterns struct{ mobile, fixed *regexp.Regexp }

var (
	quickOnce  sync.Once
	quickTypes map[string]*typePatterns // fastPlans region → its patterns
)

// typesOf returns the mobile and fixed-line patterns of a fastPlans region,
// read from libphonenumber's metadata once.
func typesOf(region string) *typePatterns {
	quickOnce.Do(func() {
		quickTypes = map[string]*typePatterns{}
		coll, err := phonenumbers.MetadataCollection()
		if err != nil {
			return
		}
		full := func(d *phonenumbers.PhoneNumberDesc) *regexp.Regexp {
			pat := d.GetNationalNumberPattern()
			if pat == "" {
				pat = "$^" // matches nothing
			}
			return regexp.MustCompile("^(?:" + pat + ")$")
		}
		for _, md := range coll.GetMetadata() {
			if _, ok := fastPlans[md.GetId()]; ok {
				quickTypes[md.GetId()] = &typePatterns{mobile: full(md.GetMobile()), fixed: full(md.GetFixedLine())}
			}
		}
	})
	return quickTypes[region]
}

// CountedPhone is Phone for a connector: a number that is there but not
// valid is counted on u as an invalid value of the vendor field, with the
// reason and never the number. The caller keeps the raw text in
// attributes.
func CountedPhone(u *schema.Unknowns, vendor, field, raw, region string) (string, bool) {
	p, ok := Phone(raw, region)
	if !ok && strings.TrimSpace(raw) != "" {
		switch {
		case strings.HasPrefix(strings.TrimSpace(raw), "+"):
			u.Invalid(vendor, field, "not a valid phone number")
		case region == "":
			u.Invalid(vendor, field, "no country code, and no phone_region to read it in")
		default:
			u.Invalid(vendor, field, "not a valid "+region+" phone number")
		}
	}
	return p, ok
}

func slowPhone(raw, region string) (string, bool) {
	if region == "" && !strings.HasPrefix(strings.TrimSpace(raw), "+") {
		return "", false
	}
	n, err := phonenumbers.Parse(raw, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
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
	if v, ok := countryCache.Load(raw); ok {
		c := v.(string)
		return c, c != ""
	}
	c, _ := country(raw)
	if countryCacheSize.Add(1) < 10_000 {
		countryCache.Store(raw, c)
	}
	return c, c != ""
}

// Vendors spell a handful of countries a handful of ways; the lookup by name
// is slow enough to show in a million-row profile, so answers are kept.
var (
	countryCache     sync.Map
	countryCacheSize atomic.Int64
)

func country(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", false
	}
	switch strings.ToUpper(s) {
	case "UK", "GREAT BRITAIN", "ENGLAND", "SCOTLAND", "WALES", "NORTHERN IRELAND":
		return "GB", true
	}
	c := countries.ByName(s)
	// ByName answers "None" (and not Unknown) for some inputs.
	if a2 := c.Alpha2(); c != countries.Unknown && len(a2) == 2 {
		return a2, true
	}
	return "", false
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

// JSON encodes the attributes with sorted keys ("" when empty). Strings,
// string lists and nested maps of them are written directly: attributes are
// built for every row, and encoding/json's reflection over a map costs more
// than the rest of a row's normalization.
func (a Attributes) JSON() string {
	if len(a) == 0 {
		return ""
	}
	b := make([]byte, 0, 64*len(a))
	b, ok := appendMap(b, a)
	if !ok {
		out, err := json.Marshal(map[string]any(a))
		if err != nil {
			return ""
		}
		return string(out)
	}
	return string(b)
}

func appendMap[M ~map[string]any](b []byte, m M) ([]byte, bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		var ok bool
		if b, ok = appendValue(b, m[k]); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

func appendValue(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case string:
		return appendJSONString(b, x), true
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		return append(b, ']'), true
	case map[string]any:
		return appendMap(b, x)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[k] = v
		}
		return appendMap(b, m)
	case bool:
		return strconv.AppendBool(b, x), true
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	}
	return b, false
}

// jsonSafe marks the ASCII bytes a JSON string holds as they are.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s as a JSON string. Runs of plain bytes are
// copied in one go: attributes are written for every row, so this loop is
// on the hot path of a million-row load.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			if r == utf8.RuneError {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AttrWriter builds an attributes JSON object field by field, in the order
// written, without a map: the fast path for connectors that normalize
// millions of rows. Empty values are left out, like Attributes.Set. Its
// buffer comes from a pool and goes back to it when String is called, so
// call String once, at the end.
type AttrWriter struct {
	b   []byte
	buf *[]byte
}

// attrBufs recycles the writers' buffers: most rows' attributes take a few
// hundred bytes, and growing a fresh buffer for every row showed up in
// profiles as a tenth of a million-row load.
var attrBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func (w *AttrWriter) key(k string) {
	if w.buf == nil {
		w.buf = attrBufs.Get().(*[]byte)
		w.b = append((*w.buf)[:0], '{')
	} else {
		w.b = append(w.b, ',')
	}
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':')
}

// Str writes a string field.
func (w *AttrWriter) Str(k, v string) {
	if v == "" {
		return
	}
	w.key(k)
	w.b = appendJSONString(w.b, v)
}

// Strs writes a list of strings.
func (w *AttrWriter) Strs(k string, v []string) {
	if len(v) == 0 {
		return
	}
	w.key(k)
	w.b, _ = appendValue(w.b, v)
}

// Pairs writes a nested object of string fields given as key, value, key,
// value...; it is left out when every value is empty.
func (w *AttrWriter) Pairs(k string, kv ...string) {
	any := false
	for i := 1; i < len(kv); i += 2 {
		if kv[i] != "" {
			any = true
			break
		}
	}
	if !any {
		return
	}
	w.key(k)
	w.b = append(w.b, '{')
	first := true
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if !first {
			w.b = append(w.b, ',')
		}
		first = false
		w.b = appendJSONString(w.b, kv[i])
		w.b = append(w.b, ':')
		w.b = appendJSONString(w.b, kv[i+1])
	}
	w.b = append(w.b, '}')
}

// String returns the object, or "" when nothing was written, and returns
// the buffer to the pool: the writer is empty afterwards.
func (w *AttrWriter) String() string {
	if w.buf == nil {
		return ""
	}
	out := string(append(w.b, '}'))
	*w.buf = w.b[:0]
	attrBufs.Put(w.buf)
	w.b, w.buf = nil, nil
	return out
}

// usSpellings are the US spellings of status words that vendors also write
// the British way; StatusKey folds them.
var usSpellings = strings.NewReplacer("canceled", "cancelled", "cancelation", "cancellation", "canceling", "cancelling")

// StatusKey is the form a vendor's status words are compared in: lower
// case, trimmed, each run of spaces, underscores and dashes one space, and
// US spellings British ("Canceled", "CANCELLED" and "cancelled " are one
// status; so are "in_progress" and "In Progress").
func StatusKey(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if r == ' ' || r == '_' || r == '-' || r == '\t' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return usSpellings.Replace(b.String())
}

// StatusTable maps a vendor's status words (by StatusKey) to canonical
// values.
type StatusTable map[string]string

// NewStatusTable folds a status map's keys. Two keys that fold together
// must map to the same value: a map that says otherwise panics, at start.
func NewStatusTable(m map[string]string) StatusTable {
	t := make(StatusTable, len(m))
	for k, v := range m {
		fk := StatusKey(k)
		if prev, dup := t[fk]; dup && prev != v {
			panic("normalize: status " + k + " maps to " + v + " and, written another way, to " + prev)
		}
		t[fk] = v
	}
	return t
}

// Lookup maps a raw status.
func (t StatusTable) Lookup(raw string) (string, bool) {
	v, ok := t[StatusKey(raw)]
	return v, ok
}
