package config

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	nodeType        = reflect.TypeFor[yaml.Node]()
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	durationType    = reflect.TypeFor[time.Duration]()
)

// Decode decodes the YAML subtree n strictly into target (a pointer to a
// struct) at path: unknown keys and wrong types are problems with their
// lines. Then it applies defaults (SetDefaults) and validation (Validate)
// when target has them. Every problem is recorded; none stops the others.
func (v *Validator) Decode(path string, n *yaml.Node, target any) {
	if n == nil || n.Kind == 0 {
		n = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.line(join(v.base, path))}
	}
	full := join(v.base, path)
	v.walk(n, reflect.TypeOf(target).Elem(), full)
	// Decode and validate even after unknown keys, so one pass reports
	// everything; yaml.v3 skips the unknown keys here.
	if err := n.Decode(target); err != nil {
		v.typeErrors(err, full)
	}
	if d, ok := target.(interface{ SetDefaults() }); ok {
		d.SetDefaults()
	}
	if val, ok := target.(interface{ Validate(*Validator) }); ok {
		val.Validate(v.At(path))
	}
}

// walk records the line of every key and reports the keys target does not
// have.
func (v *Validator) walk(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if _, seen := v.lines[path]; !seen {
		v.lines[path] = n.Line
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nodeType || t == durationType || reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if !(n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
				v.problemAt(path, n.Line, "must be a mapping of keys to values, not %s", describe(n))
			}
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			kp := join(path, k.Value)
			f, ok := fields[k.Value]
			if !ok {
				v.problemAt(kp, k.Line, "unknown key %q%s", k.Value, suggest(k.Value, fields))
				continue
			}
			v.lines[kp] = k.Line
			v.walk(val, f, kp)
		}
	case reflect.Slice:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		if n.Kind != yaml.SequenceNode {
			v.problemAt(path, n.Line, "must be a list, not %s", describe(n))
			return
		}
		for i, c := range n.Content {
			v.walk(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			if !(n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
				v.problemAt(path, n.Line, "must be a mapping, not %s", describe(n))
			}
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kp := join(path, n.Content[i].Value)
			v.lines[kp] = n.Content[i].Line
			v.walk(n.Content[i+1], t.Elem(), kp)
		}
	case reflect.Interface:
	default:
		if n.Kind != yaml.ScalarNode {
			v.problemAt(path, n.Line, "must be a single value (%s), not %s", t.Kind(), describe(n))
		}
	}
}

func (v *Validator) problemAt(path string, line int, format string, args ...any) {
	v.record(Problem{File: v.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

var lineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// typeErrors turns yaml.v3's "line N: cannot unmarshal ..." messages into
// problems with the YAML path of that line.
func (v *Validator) typeErrors(err error, under string) {
	var msgs []string
	if te, ok := err.(*yaml.TypeError); ok {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	byLine := map[int]string{}
	for p, l := range v.lines {
		if strings.HasPrefix(p, under) {
			if cur, ok := byLine[l]; !ok || len(p) > len(cur) {
				byLine[l] = p
			}
		}
	}
	for _, m := range msgs {
		line, text := 0, m
		if sm := lineRE.FindStringSubmatch(m); sm != nil {
			line, _ = strconv.Atoi(sm[1])
			text = sm[2]
		}
		text = strings.ReplaceAll(text, "!!str", "text")
		text = strings.ReplaceAll(text, "!!int", "a number")
		text = strings.ReplaceAll(text, "!!float", "a number")
		text = strings.ReplaceAll(text, "!!bool", "true/false")
		text = strings.ReplaceAll(text, "!!map", "a mapping")
		text = strings.ReplaceAll(text, "!!seq", "a list")
		v.record(Problem{File: v.file, Line: line, Path: byLine[line], Msg: text})
	}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "an empty value"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected node"
}

// yamlFields maps the YAML keys of a struct type to their field types,
// following ",inline" like yaml.v3 does.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range yamlFields(ft) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// suggest proposes the closest known key for a misspelt one.
func suggest(key string, fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	if best := Closest(key, names); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return fmt.Sprintf(" (known keys: %s)", strings.Join(names, ", "))
}

// Closest is the name a misspelt one most likely meant: the nearest by
// edit distance, within two edits (one for names of up to three letters),
// compared without case; "" when none is that close. For "did you mean"
// in messages about keys, fields and columns.
func Closest(name string, names []string) string {
	best, bestD := "", 3
	if len(name) <= 3 {
		bestD = 2
	}
	lower := strings.ToLower(name)
	for _, k := range names {
		if d := editDistance(lower, strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
