package iute

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadpipe/leadpipe/connectors"
)

// Reading typed values out of a mapped record. The mapping layer parses
// input text into the field's type; these helpers also accept text, so a
// record built by hand (tests, tools) works the same.

// text is a field as trimmed text ("" when absent).
func text(rec connectors.Record, name string) string {
	switch v := rec.Fields[name].(type) {
	case connectors.Date:
		return v.Format(DateLayout)
	case time.Time:
		return v.Format(DateLayout)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strings.TrimSpace(rec.String(name))
}

var (
	decimalRe  = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	amountRe   = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,2})?$`)
	phoneSepRe = regexp.MustCompile(`[\s\-.()/]`)
	gsmRe      = regexp.MustCompile(`^0[0-9]{9}$`)
	homeRe     = regexp.MustCompile(`^0[0-9]{8}$`)
)

// amount validates a positive amount with at most two decimals and returns
// it as the wire text. problem is "" when the value is fine.
func amount(rec connectors.Record, name string) (wire, problem string) {
	s := text(rec, name)
	s = strings.TrimPrefix(s, "+")
	switch {
	case s == "":
		return "", "is required"
	case strings.HasPrefix(s, "-"):
		return "", fmt.Sprintf("must be greater than 0, got %s", s)
	case !decimalRe.MatchString(s):
		return "", fmt.Sprintf("must be a number such as 1000.55, got %q", s)
	case !amountRe.MatchString(s):
		return "", fmt.Sprintf("must have at most 2 decimals, got %s", s)
	case strings.Trim(strings.ReplaceAll(s, ".", ""), "0") == "":
		return "", fmt.Sprintf("must be greater than 0, got %s", s)
	}
	return s, ""
}

// integer reads a whole number.
func integer(rec connectors.Record, name string) (int64, bool, string) {
	switch v := rec.Fields[name].(type) {
	case nil:
		return 0, false, ""
	case int64:
		return v, true, ""
	case int:
		return int64(v), true, ""
	}
	s := text(rec, name)
	if s == "" {
		return 0, false, ""
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, true, fmt.Sprintf("must be a whole number, got %q", s)
	}
	return n, true, ""
}

// loanRef reads a loan ref field: required, a whole number.
func loanRef(rec connectors.Record, name string) (string, string) {
	n, ok, problem := integer(rec, name)
	switch {
	case problem != "":
		return "", "must be an Iute loan ref (a whole number such as 90000), got " + strconv.Quote(text(rec, name))
	case !ok:
		return "", "is required"
	case n <= 0:
		return "", fmt.Sprintf("must be an Iute loan ref (a whole number such as 90000), got %d", n)
	}
	return strconv.FormatInt(n, 10), ""
}

// date reads a date field: a connectors.Date from the mapping layer, or text
// in ISO or dd.MM.yyyy form.
func date(rec connectors.Record, name string) (time.Time, bool, string) {
	switch v := rec.Fields[name].(type) {
	case nil:
		return time.Time{}, false, ""
	case connectors.Date:
		return v.Time, true, ""
	case time.Time:
		return v, true, ""
	}
	s := text(rec, name)
	if s == "" {
		return time.Time{}, false, ""
	}
	for _, l := range []string{"2006-01-02", DateLayout, "02/01/2006", RepaymentDateLayout} {
		if t, err := time.Parse(l, s); err == nil {
			return t, true, ""
		}
	}
	return time.Time{}, true, fmt.Sprintf("must be a date such as 1997-08-31 or 31.08.1997, got %q", s)
}

// phone cleans separators from a phone and checks it against re.
func phone(rec connectors.Record, name string, re *regexp.Regexp, format, example string) (string, string) {
	raw := text(rec, name)
	s := phoneSepRe.ReplaceAllString(raw, "")
	switch {
	case raw == "":
		return "", "is required"
	case !re.MatchString(s):
		return "", fmt.Sprintf("must be %s (e.g. %s), got %q", format, example, raw)
	}
	return s, ""
}

// maxVarchar is the length the connector allows a varchar field (the doc
// gives none; 255 is the usual column size and what the sandbox enforces).
const maxVarchar = 255

// varchar checks a text field's length; required fields must not be blank.
func varchar(rec connectors.Record, name string, required bool) (string, string) {
	s := text(rec, name)
	switch {
	case s == "" && required:
		return "", "is required"
	case utf8.RuneCountInString(s) > maxVarchar:
		return "", fmt.Sprintf("must be at most %d characters, got %d", maxVarchar, utf8.RuneCountInString(s))
	}
	return s, ""
}

// fileFormats are the documented file formats (jpg, pdf).
var fileFormats = map[string]string{".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".pdf": "application/pdf"}

// fileField checks a file field's name; problem is "" when it is fine or
// absent and not required.
func fileField(rec connectors.Record, name string, required bool) (string, string) {
	loc := text(rec, name)
	if loc == "" {
		if required {
			return "", "is required (a path to a jpg or pdf file)"
		}
		return "", ""
	}
	if _, ok := fileFormats[strings.ToLower(path.Ext(loc))]; !ok {
		return "", fmt.Sprintf("must be a jpg or pdf file, got %q", path.Base(loc))
	}
	return loc, ""
}

// problems collects field errors.
type problems []connectors.FieldError

func (p *problems) add(field, msg string) {
	if msg != "" {
		*p = append(*p, connectors.FieldError{Field: field, Msg: msg})
	}
}
