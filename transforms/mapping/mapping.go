// Package mapping turns the rows of a push pipeline's input into vendor
// records: each vendor field takes an input column, a constant or an
// expression (expr-lang), and the text is parsed into the field's type
// (numbers with thousands separators, dates in the input's format, phones
// normalized to the vendor's format) before the vendor's own validation.
package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"github.com/nyaruka/phonenumbers"
	"go.yaml.in/yaml/v3"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sources/file"
)

// Source is how one vendor field gets its value. In YAML it is a column
// name, or a mapping with exactly one of column, value or expr, plus
// options.
type Source struct {
	Column string `yaml:"column"`
	Value  any    `yaml:"value"`
	Expr   string `yaml:"expr"`
	// DateFormat is the input's date format, in the common tokens
	// (dd/mm/yyyy, mm/dd/yyyy, yyyy-mm-dd, d.m.yy, MMM d, yyyy, d MMMM
	// yyyy, EEE dd/MM/yyyy...) or as a Go layout (02/01/2006).
	DateFormat string `yaml:"date_format"`
	// Split separates list items (default "|", then ",").
	Split string `yaml:"split"`
	// Default is used when the column is empty.
	Default string `yaml:"default"`
}

var sourceKeys = []string{"column", "value", "expr", "date_format", "split", "default"}

// UnmarshalYAML accepts a bare column name, or a mapping of the known keys
// (an unknown one is an error, as everywhere in a pipeline file).
func (s *Source) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		s.Column = n.Value
		return nil
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; !slices.Contains(sourceKeys, k) {
				return fmt.Errorf("line %d: unknown key %q (known: %s)", n.Content[i].Line, k, strings.Join(sourceKeys, ", "))
			}
		}
	}
	type plain Source
	return n.Decode((*plain)(s))
}

// fieldMap is one compiled field.
type fieldMap struct {
	field   connectors.Field
	src     Source
	program *vm.Program
	layout  string
	line    int
	path    string
}

// Mapping is a compiled `fields:` block.
type Mapping struct {
	fields []fieldMap
}

// Compile decodes and checks a `fields:` block against the target's fields.
// Problems are recorded on v at path, with their lines.
func Compile(v *config.Validator, path string, node *yaml.Node, target []connectors.Field) *Mapping {
	m := &Mapping{}
	byName := map[string]connectors.Field{}
	var names []string
	for _, f := range target {
		byName[f.Name] = f
		names = append(names, f.Name)
	}
	if node == nil || node.Kind == 0 {
		v.Errorf(path, "is required: map each vendor field to an input column, a {value: ...} or an {expr: ...}")
		return m
	}
	if node.Kind != yaml.MappingNode {
		v.Errorf(path, "must be a mapping of vendor field → input column")
		return m
	}
	v.Mark(path, node.Line)
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, val := node.Content[i], node.Content[i+1]
		fp := path + "." + k.Value
		v.Mark(fp, k.Line)
		f, ok := byName[k.Value]
		if !ok {
			if best := config.Closest(k.Value, names); best != "" {
				v.Errorf(fp, "%q is not a field of this target (did you mean %q?)", k.Value, best)
			} else {
				v.Errorf(fp, "%q is not a field of this target (fields: %s)", k.Value, strings.Join(names, ", "))
			}
			continue
		}
		seen[k.Value] = true
		var src Source
		sub := v.At(fp)
		sub.Decode("", val, &src)
		fm := fieldMap{field: f, src: src, line: k.Line, path: fp}
		set := 0
		if src.Column != "" {
			set++
		}
		if src.Value != nil {
			set++
		}
		if src.Expr != "" {
			set++
			prog, err := expr.Compile(src.Expr, expr.Env(map[string]any{"row": map[string]string{}}), expr.AllowUndefinedVariables())
			if err != nil {
				v.Errorf(fp+".expr", "does not compile: %s", strings.Join(strings.Fields(err.Error()), " "))
			}
			fm.program = prog
		}
		if set != 1 {
			v.Errorf(fp, "set exactly one of column, value or expr")
		}
		if src.DateFormat != "" {
			layout, err := DateLayout(src.DateFormat)
			if err != nil {
				v.Errorf(fp+".date_format", "%v", err)
			}
			fm.layout = layout
			if f.Type != connectors.TypeDate {
				v.Errorf(fp+".date_format", "applies to date fields; %s is %s", f.Name, f.Type)
			}
		}
		m.fields = append(m.fields, fm)
	}
	for _, f := range target {
		if f.Required && !seen[f.Name] {
			v.Errorf(path, "required vendor field %q is not mapped", f.Name)
		}
	}
	return m
}

// HeaderProblems reports the mapped columns missing from the input header,
// with the YAML line that names each.
func (m *Mapping) HeaderProblems(pipelineFile string, header []string) config.Problems {
	have := map[string]bool{}
	for _, h := range header {
		have[h] = true
	}
	var probs config.Problems
	for _, f := range m.fields {
		if f.src.Column != "" && !have[f.src.Column] {
			probs = append(probs, config.Problem{File: pipelineFile, Line: f.line, Path: f.path,
				Msg: fmt.Sprintf("column %q is not in the input%s", f.src.Column, ColumnHint(f.src.Column, header))})
		}
	}
	return probs
}

// ColumnHint ends a message about a column missing from header: the
// column it most likely meant, and the header.
func ColumnHint(col string, header []string) string {
	if best := config.Closest(col, header); best != "" {
		return fmt.Sprintf(" (did you mean %q? columns: %s)", best, file.ColumnList(header))
	}
	return fmt.Sprintf(" (columns: %s)", file.ColumnList(header))
}

// Columns lists the input columns the mapping reads, by vendor field.
func (m *Mapping) Columns() map[string]string {
	out := map[string]string{}
	for _, f := range m.fields {
		if f.src.Column != "" {
			out[f.field.Name] = f.src.Column
		}
	}
	return out
}

// FieldsOfType lists the mapped vendor fields of a type, in mapping order,
// with the YAML path of each (push.fields.<name>).
func (m *Mapping) FieldsOfType(t connectors.FieldType) (names, paths []string) {
	for _, f := range m.fields {
		if f.field.Type == t {
			names = append(names, f.field.Name)
			paths = append(paths, f.path)
		}
	}
	return names, paths
}

// Classes gives the privacy class of every mapped vendor field, as the
// connector declares it (Unclassified: judged by its name).
func (m *Mapping) Classes() map[string]schema.PrivacyClass {
	out := make(map[string]schema.PrivacyClass, len(m.fields))
	for _, f := range m.fields {
		out[f.field.Name] = f.field.Class()
	}
	return out
}

// Problem is one value that could not be mapped.
type Problem struct {
	Column string // input column ("" for constants and expressions)
	Field  string // vendor field
	Value  string
	Reason string
}

// Apply maps one input row. values is column → text.
func (m *Mapping) Apply(num int, values map[string]string) (connectors.Record, []Problem) {
	rec := connectors.Record{Row: num, Fields: make(map[string]any, len(m.fields))}
	var probs []Problem
	var env map[string]any
	for _, f := range m.fields {
		var raw any
		switch {
		case f.src.Column != "":
			s := values[f.src.Column]
			if s == "" {
				s = f.src.Default
			}
			raw = s
		case f.program != nil:
			if env == nil {
				// Columns are variables by name; row["First Name"] reaches
				// names that are not identifiers.
				env = make(map[string]any, len(values)+1)
				for k, v := range values {
					env[k] = v
				}
				env["row"] = values
			}
			out, err := expr.Run(f.program, env)
			if err != nil {
				probs = append(probs, Problem{Field: f.field.Name, Reason: "expression failed: " + err.Error()})
				continue
			}
			raw = out
		default:
			raw = f.src.Value
		}
		v, err := parse(f, raw)
		if err != nil {
			probs = append(probs, Problem{Column: f.src.Column, Field: f.field.Name, Value: fmt.Sprint(raw), Reason: err.Error()})
			continue
		}
		if v != nil {
			rec.Fields[f.field.Name] = v
		}
	}
	return rec, probs
}

// parse converts a raw value to the field's type. Empty text is absent.
func parse(f fieldMap, raw any) (any, error) {
	switch x := raw.(type) {
	case nil:
		return nil, nil
	case bool:
		if f.field.Type == connectors.TypeBool {
			return x, nil
		}
		raw = strconv.FormatBool(x)
	case int:
		raw = strconv.Itoa(x)
	case int64:
		raw = strconv.FormatInt(x, 10)
	case float64:
		raw = strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		if f.field.Type == connectors.TypeList {
			out := make([]string, 0, len(x))
			for _, e := range x {
				out = append(out, fmt.Sprint(e))
			}
			return out, nil
		}
		raw = fmt.Sprint(x)
	}
	s, ok := raw.(string)
	if !ok {
		s = fmt.Sprint(raw)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	switch f.field.Type {
	case connectors.TypeNumber:
		if err := checkCurrency(s, f.field); err != nil {
			return nil, err
		}
		n, err := ParseNumber(s)
		if err != nil {
			return nil, err
		}
		return connectors.Number(n), nil
	case connectors.TypeInteger:
		n, err := ParseNumber(s)
		if err != nil {
			return nil, err
		}
		if strings.Contains(n, ".") {
			return nil, fmt.Errorf("%q is not a whole number", s)
		}
		i, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is out of range", s)
		}
		return i, nil
	case connectors.TypeBool:
		switch strings.ToLower(s) {
		case "true", "yes", "y", "1", "t":
			return true, nil
		case "false", "no", "n", "0", "f":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not true/false or yes/no", s)
	case connectors.TypeDate:
		return parseDate(s, f.layout, f.src.DateFormat)
	case connectors.TypeList:
		sep := f.src.Split
		if sep == "" {
			sep = "|"
			if !strings.Contains(s, "|") {
				sep = ","
			}
		}
		var out []string
		for _, p := range strings.Split(s, sep) {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	case connectors.TypePhone:
		return normalizePhone(s, f.field), nil
	}
	return s, nil
}

// ParseNumber reads "15,000", "15 000.50", "$1,234.5", "-12" as canonical
// decimal text ("15000", "15000.50", "1234.5", "-12"), without floats.
func ParseNumber(s string) (string, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimLeft(t, "$€£")
	for _, cur := range []string{"AUD", "NZD", "GBP", "USD", "MDL", "EUR"} {
		t = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(t, cur), cur))
	}
	var b strings.Builder
	seenDigit, seenDot := false, false
	for i, r := range t {
		switch {
		case r >= '0' && r <= '9':
			seenDigit = true
			b.WriteRune(r)
		case r == '-' && i == 0, r == '+' && i == 0:
			if r == '-' {
				b.WriteRune(r)
			}
		case r == '.' && !seenDot:
			seenDot = true
			b.WriteRune(r)
		case (r == ',' || r == ' ' || r == '_' || r == '\'') && !seenDot && seenDigit:
		default:
			return "", fmt.Errorf("%q is not a number", s)
		}
	}
	out := strings.TrimSuffix(b.String(), ".")
	if !seenDigit {
		return "", fmt.Errorf("%q is not a number", s)
	}
	return out, nil
}

// DateLayout turns a date_format into a Go layout. It reads the tokens
// people write: yyyy and yy (year); mm, m, MM and M (month number: these
// are dates, so m is never minutes); MMM (Jan) and MMMM (January), in any
// case; dd and d (day); EEE or ddd (Mon) and EEEE or dddd (Monday).
// Everything else is kept as written. A format with digits in it is
// already a Go layout (02/01/2006) and is used as it is.
func DateLayout(format string) (string, error) {
	if strings.ContainsAny(format, "0123456789") {
		return format, nil
	}
	var b strings.Builder
	for i := 0; i < len(format); {
		c := format[i]
		j := i
		for j < len(format) && lowerASCII(format[j]) == lowerASCII(c) {
			j++
		}
		n := j - i
		tok := format[i:j]
		switch lowerASCII(c) {
		case 'y':
			switch n {
			case 4:
				b.WriteString("2006")
			case 2:
				b.WriteString("06")
			default:
				return "", fmt.Errorf("%q: a year is yyyy or yy, not %s", format, tok)
			}
		case 'm':
			switch {
			case n == 1:
				b.WriteString("1")
			case n == 2:
				b.WriteString("01")
			case n == 3:
				b.WriteString("Jan")
			default:
				b.WriteString("January")
			}
		case 'd':
			switch {
			case n == 1:
				b.WriteString("2")
			case n == 2:
				b.WriteString("02")
			case n == 3:
				b.WriteString("Mon")
			default:
				b.WriteString("Monday")
			}
		case 'e':
			if n == 3 {
				b.WriteString("Mon")
			} else {
				b.WriteString("Monday")
			}
		default:
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
				return "", fmt.Errorf("%q: %q is not a date token (use yyyy, mm, MMM, dd, EEE)", format, tok)
			}
			b.WriteString(tok)
		}
		i = j
	}
	return b.String(), nil
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// defaultDates are tried in order when no date_format is given: ISO, then
// day-first (the convention of every market leadpipe's vendors serve).
var defaultDates = []string{"2006-01-02", "02/01/2006", "2/1/2006", "02.01.2006", "2.1.2006", "02-01-2006", "2006/01/02"}

// parseDate reads s with layout, the Go form of format (the date_format
// as the user wrote it, which is what an error quotes).
func parseDate(s, layout, format string) (any, error) {
	if layout != "" {
		t, err := time.Parse(layout, s)
		if err != nil {
			return nil, fmt.Errorf("%q does not match the date format %s", s, format)
		}
		return connectors.Date{Time: t}, nil
	}
	if len(s) > 10 && s[4] == '-' && (s[10] == 'T' || s[10] == ' ') {
		s = s[:10]
	}
	for _, l := range defaultDates {
		if t, err := time.Parse(l, s); err == nil {
			return connectors.Date{Time: t}, nil
		}
	}
	return nil, fmt.Errorf("%q is not a date (YYYY-MM-DD or DD/MM/YYYY; set date_format for others)", s)
}

func normalizePhone(s string, f connectors.Field) string {
	region := f.Region
	if region == "" && !strings.HasPrefix(strings.TrimSpace(s), "+") {
		// Without a region a national number cannot be read: pass it on as
		// written, for the vendor's validation to judge.
		return s
	}
	// A number that is not valid for its region is passed on as written:
	// converting it would make up a number, and the vendor's validation
	// (or the vendor) judges it as typed.
	n, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return s
	}
	if f.Format == "national" {
		nat := phonenumbers.Format(n, phonenumbers.NATIONAL)
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, nat)
	}
	return phonenumbers.Format(n, phonenumbers.E164)
}

// Hash is a stable digest of a record's content: the same mapped values
// give the same hash, whatever the input column order. It identifies rows
// without a key column, and tells an edited row from the one sent before.
func Hash(rec connectors.Record) string {
	keys := make([]string, 0, len(rec.Fields))
	for k := range rec.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		b, _ := json.Marshal(rec.Fields[k])
		fmt.Fprintf(h, "%s=%s\x00", k, b)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
