package privacy

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/leadpipe/leadpipe/schema"
)

// keyInfo is what the policy knows of an attribute key name.
type keyInfo struct {
	norm   string
	class  Class
	street bool // a street line inside an address
	biz    bool // about a business: company_address, businessAddress
}

func (p *Policy) keyInfo(key string) keyInfo {
	if v, ok := p.classes.Load(key); ok {
		return v.(keyInfo)
	}
	ki := keyInfo{norm: Normalize(key), class: Classify(key), street: streetLevel(key), biz: business(key)}
	// Vendors whose keys are data (ids as keys) would grow the cache
	// without end in a long-lived scheduler: it stops growing instead.
	if p.cached.Add(1) <= maxCachedKeys {
		p.classes.Store(strings.Clone(key), ki)
	}
	return ki
}

// maxCachedKeys bounds the attribute keys a policy remembers.
const maxCachedKeys = 10000

// keyInfo looks a key up in the rewriter's own cache first: keys repeat on
// every row, and a plain map is cheaper than the policy's shared one.
func (w *rewriter) keyInfo(key string) keyInfo {
	if ki, ok := w.keys[key]; ok {
		return ki
	}
	ki := w.p.keyInfo(key)
	if w.keys == nil {
		w.keys = map[string]keyInfo{}
	}
	if len(w.keys) < maxCachedKeys {
		w.keys[strings.Clone(key)] = ki
	}
	return ki
}

var errSyntax = errors.New("not valid JSON")

// declNode is one level of a connector's attribute declarations
// (schema.AttrClasses) as a tree, so the rewriter finds a key's class with
// one map lookup as it walks the JSON.
type declNode struct {
	class    Class
	declared bool // the path itself is declared (not only keys under it)
	wild     bool // the keys under it are named by the vendor's users: judged by name
	kids     map[string]*declNode
}

// buildDecl turns declarations into a tree; nil when there are none.
func buildDecl(a schema.AttrClasses) *declNode {
	if len(a) == 0 {
		return nil
	}
	root := &declNode{}
	for path, c := range a {
		n := root
		for seg := range strings.SplitSeq(path, ".") {
			if seg == "*" {
				n.wild = true
				break
			}
			child := n.kids[seg]
			if child == nil {
				if n.kids == nil {
					n.kids = map[string]*declNode{}
				}
				child = &declNode{}
				n.kids[seg] = child
			}
			n = child
		}
		if !strings.HasSuffix(path, "*") {
			n.declared, n.class = true, c
			n.wild = n.wild || c == schema.Unclassified
		}
	}
	return root
}

// child is the node of key inside n (nil when nothing is declared there).
func (n *declNode) child(key string) *declNode {
	if n == nil || n.wild {
		return nil
	}
	return n.kids[key]
}

// rewriter applies the policy to one attributes JSON value at a time,
// copying it through and rewriting only what a rule touches: key order and
// every other byte stay as they were. It reuses its buffer, and returns the
// input string itself when nothing changed.
type rewriter struct {
	p         *Policy
	decl      *declNode // the connector's declarations for this table (nil: none)
	h         *hasher   // nil when no salt is bound
	out       []byte
	path      []string
	bizPath   int // how many keys of the path are about a business
	changed   bool
	errNoSalt bool
	keys      map[string]keyInfo
}

// rewrite returns attrs with the policy applied.
func (w *rewriter) rewrite(attrs string) (string, error) {
	w.out, w.path, w.bizPath, w.changed, w.errNoSalt = w.out[:0], w.path[:0], 0, false, false
	i := skipWS(attrs, 0)
	if i >= len(attrs) {
		return attrs, nil
	}
	end, err := w.value(attrs, i, "", w.decl, rule{}, false, 0)
	if err == nil && skipWS(attrs, end) != len(attrs) {
		err = errSyntax
	}
	if err != nil {
		return "", errSyntax
	}
	if w.errNoSalt {
		return "", errNoSalt
	}
	if !w.changed {
		return attrs, nil
	}
	return string(w.out), nil
}

// ruleFor decides the rule of a key: an explicit path rule, an explicit
// key rule, the class the connector declares for it, the class its name
// suggests (keys nobody declared), or the rule inherited from the object or
// list it is in. act is false when nothing applies (copy, but look inside).
func (w *rewriter) ruleFor(ki keyInfo, decl *declNode, parent rule, inherit bool, depth int) (rule, bool) {
	if len(w.p.attrPaths) > 0 && depth > 0 {
		if r, ok := w.p.attrPaths[strings.Join(w.path, ".")+"."+ki.norm]; ok {
			return r, true
		}
	}
	if r, ok := w.p.attrKeys[ki.norm]; ok {
		return r, true
	}
	if decl != nil && decl.declared && !decl.wild {
		r := rule{action: DefaultAction(decl.class), class: decl.class, certain: true}
		// A kept object with declarations inside is walked, not copied.
		return r, r.action != Keep || len(decl.kids) == 0
	}
	c := ki.class
	// Inside an object, a street line is only a home address when the
	// object is one (company_address.street is a business's), and no
	// address under a business is a home address.
	if depth > 0 && c == HomeAddress && (ki.street && ki.norm != "address" || w.bizPath > 0) {
		c = None
	}
	if c != None {
		return rule{action: DefaultAction(c), class: c}, true
	}
	if !inherit {
		return rule{}, false
	}
	if parent.class == HomeAddress && parent.action == Mask {
		// A masked address keeps its locality and loses its street.
		if ki.street {
			return rule{action: Drop, class: HomeAddress}, true
		}
		return rule{}, false
	}
	return parent, true
}

// object rewrites the object at s[i] == '{' and returns where it ends.
// decl is the declarations of the object's keys.
func (w *rewriter) object(s string, i int, decl *declNode, parent rule, inherit bool, depth int) (int, error) {
	w.out = append(w.out, '{')
	i++
	first := true
	for {
		i = skipWS(s, i)
		if i >= len(s) {
			return i, errSyntax
		}
		switch s[i] {
		case '}':
			w.out = append(w.out, '}')
			return i + 1, nil
		case ',':
			i++
			continue
		case '"':
		default:
			return i, errSyntax
		}
		kEnd, err := scanString(s, i)
		if err != nil {
			return i, err
		}
		rawKey := s[i:kEnd]
		key, err := unquote(rawKey)
		if err != nil {
			return i, err
		}
		i = skipWS(s, kEnd)
		if i >= len(s) || s[i] != ':' {
			return i, errSyntax
		}
		i = skipWS(s, i+1)
		ki := w.keyInfo(key)
		kd := decl.child(key)
		r, act := w.ruleFor(ki, kd, parent, inherit, depth)
		var vEnd int
		switch {
		case act && r.action == Drop:
			if vEnd, err = scanValue(s, i); err != nil {
				return vEnd, err
			}
			w.changed = true
			i = vEnd
			continue
		case act && r.action == Keep:
			if vEnd, err = scanValue(s, i); err != nil {
				return vEnd, err
			}
			if !first {
				w.out = append(w.out, ',')
			}
			w.out = append(w.out, rawKey...)
			w.out = append(w.out, ':')
			w.out = append(w.out, s[i:vEnd]...)
		default:
			if !first {
				w.out = append(w.out, ',')
			}
			w.out = append(w.out, rawKey...)
			w.out = append(w.out, ':')
			w.path = append(w.path, ki.norm)
			if ki.biz {
				w.bizPath++
			}
			vEnd, err = w.value(s, i, key, kd, r, act, depth+1)
			if ki.biz {
				w.bizPath--
			}
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return vEnd, err
			}
		}
		first = false
		i = vEnd
	}
}

// value writes the value at s[i] with rule r applied (act false: no rule,
// but an object or list inside may hold keys that have one) and returns
// where it ends.
func (w *rewriter) value(s string, i int, key string, decl *declNode, r rule, act bool, depth int) (int, error) {
	if i >= len(s) {
		return i, errSyntax
	}
	switch c := s[i]; {
	case c == '{':
		return w.object(s, i, decl, r, act, depth)
	case c == '[':
		w.out = append(w.out, '[')
		j := skipWS(s, i+1)
		first := true
		for {
			if j >= len(s) {
				return j, errSyntax
			}
			switch s[j] {
			case ']':
				w.out = append(w.out, ']')
				return j + 1, nil
			case ',':
				j = skipWS(s, j+1)
				continue
			}
			if !first {
				w.out = append(w.out, ',')
			}
			first = false
			// Elements share their key's rule (a dropped key never gets
			// here).
			e, err := w.value(s, j, key, decl, r, act, depth)
			if err != nil {
				return e, err
			}
			j = skipWS(s, e)
		}
	}
	end, err := scanValue(s, i)
	if err != nil {
		return end, err
	}
	c := s[i]
	if !act || r.action == Keep || c == 't' || c == 'f' || c == 'n' {
		w.out = append(w.out, s[i:end]...)
		return end, nil
	}
	text := s[i:end]
	if c == '"' {
		if text, err = unquote(text); err != nil {
			return end, err
		}
	}
	if !r.explicit && !r.certain && !looksLike(r.class, text) {
		w.out = append(w.out, s[i:end]...)
		return end, nil
	}
	switch r.action {
	case Hash:
		if w.h == nil {
			w.errNoSalt = true
			return end, nil
		}
		w.out = append(w.out, '"')
		w.out = w.h.appendSum(w.out, r.class, text)
		w.out = append(w.out, '"')
	case Mask:
		w.out = appendJSONString(w.out, MaskValue(r.class, text))
	}
	w.changed = true
	return end, nil
}

func skipWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the end of the JSON string starting at s[i] == '"'.
func scanString(s string, i int) (int, error) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return len(s), errSyntax
}

// scanValue returns the end of the JSON value starting at s[i].
func scanValue(s string, i int) (int, error) {
	if i >= len(s) {
		return i, errSyntax
	}
	switch c := s[i]; {
	case c == '"':
		return scanString(s, i)
	case c == '{' || c == '[':
		close := byte('}')
		if c == '[' {
			close = ']'
		}
		j := skipWS(s, i+1)
		if j < len(s) && s[j] == close {
			return j + 1, nil
		}
		for {
			if c == '{' {
				if j >= len(s) || s[j] != '"' {
					return j, errSyntax
				}
				e, err := scanString(s, j)
				if err != nil {
					return e, err
				}
				j = skipWS(s, e)
				if j >= len(s) || s[j] != ':' {
					return j, errSyntax
				}
				j = skipWS(s, j+1)
			}
			e, err := scanValue(s, j)
			if err != nil {
				return e, err
			}
			j = skipWS(s, e)
			if j >= len(s) {
				return j, errSyntax
			}
			if s[j] == close {
				return j + 1, nil
			}
			if s[j] != ',' {
				return j, errSyntax
			}
			j = skipWS(s, j+1)
		}
	case c == 't':
		return literal(s, i, "true")
	case c == 'f':
		return literal(s, i, "false")
	case c == 'n':
		return literal(s, i, "null")
	case c == '-' || isDigit(c):
		j := i + 1
		for j < len(s) && (isDigit(s[j]) || s[j] == '.' || s[j] == 'e' || s[j] == 'E' || s[j] == '+' || s[j] == '-') {
			j++
		}
		return j, nil
	}
	return i, errSyntax
}

func literal(s string, i int, lit string) (int, error) {
	if strings.HasPrefix(s[i:], lit) {
		return i + len(lit), nil
	}
	return i, errSyntax
}

// unquote decodes a JSON string literal.
func unquote(q string) (string, error) {
	if len(q) < 2 {
		return "", errSyntax
	}
	if !strings.ContainsRune(q, '\\') {
		return q[1 : len(q)-1], nil
	}
	var out string
	if err := json.Unmarshal([]byte(q), &out); err != nil {
		return "", errSyntax
	}
	return out, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
