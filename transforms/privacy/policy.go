// Package privacy is the PII policy of a pipeline: what leadpipe may store of
// the personal data vendors send and partners push. Every column of the
// canonical tables, every key inside `attributes` (nested objects included)
// and, for pushes, every input column is kept, dropped, masked or hashed
// before any byte reaches storage.
//
// Without a policy the safe defaults apply, judged from names (see
// Classify): government ids (licence, card and document numbers, PIN,
// passport) and dates of birth are dropped, emails and phones are hashed,
// and a home address loses its street. Keeping any of them takes an
// explicit `keep`, which `leadpipe validate` warns about.
//
// A hash is HMAC-SHA256 under a secret salt, truncated to 128 bits and
// written as 32 hex digits: the same value under the same salt always
// gives the same hash, so analysts can still join and count distinct
// values, and nobody without the salt can test a guess.
package privacy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/schema"
)

// Action is what the policy does to a value.
type Action uint8

// The actions.
const (
	Keep Action = iota // store the value as it is
	Drop               // store nothing (null, or the key removed)
	Mask               // store a shape useful for support: ***@domain, ***678
	Hash               // store HMAC-SHA256(salt, value): joinable, not readable
)

var actionNames = [...]string{"keep", "drop", "mask", "hash"}

func (a Action) String() string { return actionNames[a] }

// ParseAction reads an action's YAML name.
func ParseAction(s string) (Action, bool) {
	for i, n := range actionNames {
		if s == n {
			return Action(i), true
		}
	}
	return Keep, false
}

// Config is a `privacy:` transform in pipeline YAML.
type Config struct {
	// Salt keys the hashes; write it as a secret from the environment:
	// salt: ${LEADPIPE_PII_SALT}. Empty: the salt leadpipe generated once
	// and keeps in the state store.
	Salt config.Secret `yaml:"salt"`
	// Columns sets the action of canonical columns ("email" in every table,
	// or "leads.email") or, in a push pipeline, of input columns.
	Columns map[string]string `yaml:"columns" enum:"keep,drop,mask,hash"`
	// Attributes sets the action of keys inside attributes: a key name
	// matches at any depth ("drivers_license_number"), a dotted path from
	// the top ("home_address.postal_code") only there.
	Attributes map[string]string `yaml:"attributes" enum:"keep,drop,mask,hash"`
}

// MinSaltLength is the shortest salt validate accepts without a warning.
const MinSaltLength = 16

// HashHexLen is the length of a hash as written: 128 bits in hex.
const HashHexLen = 32

type rule struct {
	action   Action
	class    Class
	explicit bool // written in the pipeline's policy
	certain  bool // the class is declared, not guessed from a name
}

// Policy is a compiled privacy policy. Apply runs it on pull batches; Push
// builds the scrubber of a push run's receipts, rejects and ledger.
type Policy struct {
	push bool
	// configured is the salt from the pipeline file; bound is the salt in
	// use (configured, or the state store's, set by SetSalt).
	configured []byte
	bound      atomic.Pointer[[]byte]

	// Pull: canonical columns by table, and attribute rules.
	tables    map[*schema.Table]*tableRules
	attrKeys  map[string]rule // normalized key name → rule
	attrPaths map[string]rule // normalized dotted path → rule
	classes   sync.Map        // attribute key → keyInfo (keys repeat)
	cached    atomic.Int64    // entries stored in classes

	// Push: input column → rule, and where the rule is written.
	columns     map[string]rule
	columnLines map[string]int
	at          string
}

type tableRules struct {
	cols      []colRule // columns whose action is not keep
	attrs     *schema.Column
	attrsKeep bool      // attributes: keep — no key is touched
	decl      *declNode // the connector's attribute declarations
}

// Declared is what a connector declares of the attributes it writes: the
// privacy class of each key, per table (connectors.Spec.Attributes).
type Declared = map[*schema.Table]schema.AttrClasses

type colRule struct {
	col  *schema.Column
	rule rule
}

// Default is the safe default policy of a pull pipeline without a privacy
// transform, for attributes the connector declares with decl (nil: every
// attribute key is judged by its name).
func Default(decl Declared) *Policy {
	v, _ := config.NewValidator("")
	return Compile(v, "privacy", nil, false, decl)
}

// DefaultPush is the safe default policy of a push pipeline.
func DefaultPush() *Policy {
	v, _ := config.NewValidator("")
	return Compile(v, "privacy", nil, true, nil)
}

// Compile decodes a privacy transform at path (nil node: the defaults) and
// checks it, reporting problems and warnings through v. push selects what
// the columns name: canonical columns (pull) or input columns (push). decl
// is what the pull's connector declares of the attribute keys it writes.
//
// A canonical column's class is the one the schema declares
// (schema.Column.Privacy), an attribute key's the one its connector
// declares; only keys nobody declared are judged by name (Classify).
func Compile(v *config.Validator, path string, node *yaml.Node, push bool, decl Declared) *Policy {
	p := &Policy{push: push, attrKeys: map[string]rule{}, attrPaths: map[string]rule{},
		columns: map[string]rule{}, columnLines: map[string]int{}, at: path}
	var cfg Config
	if node != nil {
		v.Decode(path, node, &cfg)
		markLines(node, p.columnLines)
	}
	if s := cfg.Salt.Reveal(); s != "" {
		p.configured = []byte(s)
		p.bound.Store(&p.configured)
		if utf8.RuneCountInString(s) < MinSaltLength {
			v.Warnf(path+".salt", "is shorter than %d characters: a short salt can be guessed, and then every hash "+
				"reversed by trying likely values; use a long random secret (e.g. openssl rand -hex 32)", MinSaltLength)
		}
	}
	parse := func(at, s string) (Action, bool) {
		a, ok := ParseAction(s)
		if !ok {
			v.Errorf(at, "must be keep, drop, mask or hash, got %q", s)
		}
		return a, ok
	}
	if push {
		for _, name := range sortedKeys(cfg.Columns) {
			at := path + ".columns." + name
			a, ok := parse(at, cfg.Columns[name])
			if !ok {
				continue
			}
			c := Classify(name)
			p.columns[name] = rule{action: a, class: c, explicit: true}
			if a == Keep && c.Personal() {
				v.Warnf(at, "keeps %s (%s) as it is in receipts, rejects and the push ledger", name, c)
			}
		}
		if len(cfg.Attributes) > 0 {
			v.Errorf(path+".attributes", "a push pipeline stores no attributes; name its input columns under columns")
		}
		return p
	}

	p.tables = map[*schema.Table]*tableRules{}
	explicit := map[*schema.Table]map[string]rule{}
	for _, t := range schema.Tables {
		explicit[t] = map[string]rule{}
	}
	for _, name := range sortedKeys(cfg.Columns) {
		at := path + ".columns." + name
		a, ok := parse(at, cfg.Columns[name])
		if !ok {
			continue
		}
		tables := schema.Tables
		col := name
		if tn, cn, dotted := strings.Cut(name, "."); dotted {
			t, found := schema.TableByName(tn)
			if !found {
				v.Errorf(at, "no table %q (tables: %s)", tn, tableNames())
				continue
			}
			tables, col = []*schema.Table{t}, cn
		}
		matched, bad := false, false
		for _, t := range tables {
			c, ok := t.Column(col)
			if !ok {
				continue
			}
			matched = true
			switch {
			case bad:
			case c.Name == "attributes" && (a == Hash || a == Mask):
				v.Errorf(at, "attributes is a JSON object: set the action of its keys under %s.attributes, or drop or keep it whole", path)
				bad = true
			case c.Kind != schema.KindString && (a == Hash || a == Mask):
				hint := ""
				if c.Name == "date_of_birth" {
					hint = " (birth_year keeps the year)"
				}
				v.Errorf(at, "%s.%s is a %s column: it can be kept or dropped, not %sed%s", t.Name, c.Name, c.Kind, a, hint)
				bad = true
			default:
				explicit[t][c.Name] = rule{action: a, class: c.Privacy, explicit: true, certain: true}
			}
		}
		if !matched {
			v.Errorf(at, "%s", unknownColumn(name, tables))
			continue
		}
		if bad {
			continue
		}
		if c := columnClass(tables, col); a == Keep && c.Personal() {
			v.Warnf(at, "keeps %s (%s) in the lake as it is: every analyst who reads the lake will see it", name, c)
		}
		if col == "attributes" && a == Keep {
			v.Warnf(at, "keeps attributes exactly as vendors send them, with any licence numbers, PINs, dates of birth, "+
				"emails, phones and home addresses in them")
		}
	}
	for _, t := range schema.Tables {
		tr := &tableRules{}
		for i := range t.Columns {
			c := &t.Columns[i]
			r, ok := explicit[t][c.Name]
			if c.Name == "attributes" {
				tr.attrs = c
				if ok && r.action == Keep {
					tr.attrsKeep = true
				}
				if !ok || r.action == Keep {
					continue
				}
			}
			if !ok {
				// The schema's class, never a guess from the name:
				// term_unit is not a street address.
				r = rule{action: DefaultAction(c.Privacy), class: c.Privacy, certain: true}
			}
			if r.action != Keep {
				tr.cols = append(tr.cols, colRule{col: c, rule: r})
			}
		}
		tr.decl = buildDecl(decl[t])
		p.tables[t] = tr
	}
	for _, key := range sortedKeys(cfg.Attributes) {
		at := path + ".attributes." + key
		a, ok := parse(at, cfg.Attributes[key])
		if !ok {
			continue
		}
		segs := strings.Split(key, ".")
		norm := make([]string, len(segs))
		for i, s := range segs {
			norm[i] = Normalize(s)
			if norm[i] == "" {
				v.Errorf(at, "is not a key name or a dotted path of key names")
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		c, certain := attrClass(decl, segs)
		r := rule{action: a, class: c, explicit: true, certain: certain}
		if len(segs) == 1 {
			p.attrKeys[norm[0]] = r
		} else {
			p.attrPaths[strings.Join(norm, ".")] = r
		}
		if a == Keep && c.Personal() {
			v.Warnf(at, "keeps %s (%s) in the lake as it is: every analyst who reads the lake will see it", key, c)
		}
	}
	return p
}

// columnClass is the declared class of a canonical column (the most
// sensitive one when tables differ).
func columnClass(tables []*schema.Table, name string) Class {
	best := None
	for _, t := range tables {
		if c, ok := t.Column(name); ok && stronger(c.Privacy, best) {
			best = c.Privacy
		}
	}
	return best
}

// attrClass is the class of an attribute key or path a policy names: the
// connector's declaration (of that path, or for a bare key, of any key of
// that name at any depth), else what its name suggests.
func attrClass(decl Declared, segs []string) (Class, bool) {
	best, found := None, false
	for _, a := range decl {
		if len(segs) > 1 {
			if c, wild, ok := a.Lookup(segs...); ok && !wild {
				best, found = strongest(best, c), true
			}
			continue
		}
		want := Normalize(segs[0])
		for path, c := range a {
			parts := strings.Split(path, ".")
			if c != schema.Unclassified && Normalize(parts[len(parts)-1]) == want {
				best, found = strongest(best, c), true
			}
		}
	}
	if found {
		return best, true
	}
	return Classify(segs[len(segs)-1]), false
}

func strongest(a, b Class) Class {
	if stronger(b, a) {
		return b
	}
	return a
}

// ColumnAction is what a pull policy does to a canonical column: for tools
// and checks that ask whether a value in the lake was meant to be masked.
func (p *Policy) ColumnAction(t *schema.Table, column string) Action {
	if tr := p.tables[t]; tr != nil {
		for _, cr := range tr.cols {
			if cr.col.Name == column {
				return cr.rule.action
			}
		}
	}
	return Keep
}

// markLines records the line of every key under columns.
func markLines(node *yaml.Node, lines map[string]int) {
	if node == nil || node.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value != "columns" || node.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		m := node.Content[i+1]
		for j := 0; j+1 < len(m.Content); j += 2 {
			lines[m.Content[j].Value] = m.Content[j].Line
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func tableNames() string {
	var names []string
	for _, t := range schema.Tables {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}

func unknownColumn(name string, tables []*schema.Table) string {
	col := name
	if _, c, ok := strings.Cut(name, "."); ok {
		col = c
	}
	best, bestD := "", 4
	for _, t := range tables {
		for _, c := range t.Columns {
			if d := distance(col, c.Name); d < bestD {
				best, bestD = c.Name, d
			}
		}
	}
	where := "no canonical table has"
	if len(tables) == 1 {
		where = tables[0].Name + " has no"
	}
	msg := fmt.Sprintf("%s column %q", where, col)
	if best != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", best)
	}
	return msg
}

// distance is the Levenshtein distance, for suggestions.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// HasSalt reports whether the pipeline file sets the salt.
func (p *Policy) HasSalt() bool { return len(p.configured) > 0 }

// SetSalt binds the salt to hash with when the file sets none (the state
// store's). It does nothing when the file sets one.
func (p *Policy) SetSalt(salt []byte) {
	if p.HasSalt() {
		return
	}
	s := append([]byte(nil), salt...)
	p.bound.Store(&s)
}

// Salt is the salt in use, nil before one is bound.
func (p *Policy) Salt() []byte {
	if s := p.bound.Load(); s != nil {
		return *s
	}
	return nil
}

// Fingerprint identifies the salt in use without revealing it, so that a
// changed salt can be noticed: it is the hash of a fixed text.
func (p *Policy) Fingerprint() string {
	s := p.Salt()
	if s == nil {
		return ""
	}
	return newHasher(s).sum(None, "leadpipe/privacy/salt-fingerprint")
}

// hasher computes the policy's hashes with one reusable HMAC state and
// buffers: hashing allocates only the result.
type hasher struct {
	mac hash.Hash
	in  []byte
	buf []byte
	hex [HashHexLen]byte
}

func newHasher(salt []byte) *hasher {
	return &hasher{mac: hmac.New(sha256.New, salt), buf: make([]byte, 0, sha256.Size), in: make([]byte, 0, 64)}
}

// sum hashes v in the form of its class: emails lower-cased, phones as
// their digits (and +), everything else trimmed; so the same address or
// number written two ways hashes the same.
func (h *hasher) sum(c Class, v string) string {
	return string(h.appendSum(h.hex[:0], c, v))
}

// appendSum appends the hash of v in hex to dst.
func (h *hasher) appendSum(dst []byte, c Class, v string) []byte {
	h.in = appendCanonical(h.in[:0], c, v)
	h.mac.Reset()
	h.mac.Write(h.in)
	h.buf = h.mac.Sum(h.buf[:0])
	return hex.AppendEncode(dst, h.buf[:HashHexLen/2])
}

func appendCanonical(b []byte, c Class, v string) []byte {
	v = strings.TrimSpace(v)
	switch c {
	case Email:
		for i := 0; i < len(v); i++ {
			ch := v[i]
			if ch >= 'A' && ch <= 'Z' {
				ch += 'a' - 'A'
			}
			b = append(b, ch)
		}
		return b
	case Phone:
		n := len(b)
		for i := 0; i < len(v); i++ {
			if isDigit(v[i]) || v[i] == '+' {
				b = append(b, v[i])
			}
		}
		if len(b) > n {
			return b
		}
	}
	return append(b, v...)
}

func canonical(c Class, v string) string { return string(appendCanonical(nil, c, v)) }

// HashValue is what the policy stores for v of class c under salt: the
// value analysts join on. Tests and tools use it to find a hash.
func HashValue(salt []byte, c Class, v string) string { return newHasher(salt).sum(c, v) }

// MaskValue is the masked form of v of class c:
//
//	email        ***@example.com
//	phone        ***678 (the last 3 digits)
//	government id ***89T (the last 3 characters of a long id; *** else)
//	date of birth the year (1988), or ***
//	home address ***
//	account       ***6771 (the last 4 characters of a long one; *** else)
//	other        the first letter and *** (O***)
func MaskValue(c Class, v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	switch c {
	case Email:
		if i := strings.LastIndexByte(v, '@'); i >= 0 && i < len(v)-1 {
			return "***@" + strings.ToLower(v[i+1:])
		}
		return "***"
	case Phone:
		var d []byte
		for i := 0; i < len(v); i++ {
			if v[i] >= '0' && v[i] <= '9' {
				d = append(d, v[i])
			}
		}
		if len(d) >= 6 {
			return "***" + string(d[len(d)-3:])
		}
		return "***"
	case GovID:
		r := []rune(v)
		if len(r) >= 6 {
			return "***" + string(r[len(r)-3:])
		}
		return "***"
	case BirthDate:
		if y := yearIn(v); y != "" {
			return y
		}
		return "***"
	case HomeAddress:
		return "***"
	case Account:
		r := []rune(v)
		if len(r) >= 8 {
			return "***" + string(r[len(r)-4:])
		}
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(v)
	return string(r) + "***"
}

// yearIn finds a four-digit year (1900-2099) in a date written any way.
func yearIn(v string) string {
	for i := 0; i+4 <= len(v); i++ {
		s := v[i : i+4]
		if (s[:2] == "19" || s[:2] == "20") && isDigits(s) &&
			(i == 0 || !isDigit(v[i-1])) && (i+4 == len(v) || !isDigit(v[i+4])) {
			return s
		}
	}
	return ""
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// looksLike reports whether a value fits the class a name suggests; a
// default (not explicit) rule for emails and phones only touches values
// that do, so email_verified: "yes" or phone_type: "mobile" stay readable.
func looksLike(c Class, v string) bool {
	switch c {
	case Email:
		return strings.Contains(v, "@")
	case Phone:
		digits := 0
		for i := 0; i < len(v); i++ {
			switch b := v[i]; {
			case isDigit(b):
				digits++
			case b == '+' || b == ' ' || b == '-' || b == '(' || b == ')' || b == '.' || b == '/':
			default:
				if b != 'x' && b != 'X' { // extensions: +61 2 9999 9999 x12
					return false
				}
			}
		}
		return digits >= 6
	}
	return true
}
