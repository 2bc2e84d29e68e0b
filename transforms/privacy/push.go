package privacy

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/schema"
)

// PushScrubber applies a push pipeline's policy to what leadpipe stores of
// a run: receipts, rejects (whose value column holds the input as written)
// and the push ledger. What is sent to the vendor is never touched: the
// vendor needs the data, the broker's own records do not.
type PushScrubber struct {
	cols      map[string]rule   // input column → rule, sensitive ones only
	fedBy     map[string]string // vendor field → the input column it reads
	fields    map[string]rule   // vendor field → rule, sensitive ones only
	kept      map[string]bool   // vendor fields fed by a column the policy keeps explicitly
	keyHashed bool
	pool      sync.Pool // *hasher
	salted    bool
}

// Push builds the scrubber of a push run over the input's header. fields
// maps each vendor field to the input column it reads (the mapping's
// Columns), and classes gives the class the connector declares for its
// fields (a field it leaves Unclassified is judged by its name); keyColumns
// are the pipeline's key. A policy column missing from the input is an
// error naming file and line.
//
// An input column is judged by its name and by the vendor fields it feeds,
// whichever says more (a column "mobile" feeding customer.phone is a phone),
// except that a street line feeding a business address field
// (company.address.street) is not a home address.
func (p *Policy) Push(file string, header []string, fields map[string]string, classes map[string]Class, keyColumns []string) (*PushScrubber, error) {
	have := map[string]bool{}
	for _, h := range header {
		have[h] = true
	}
	var probs config.Problems
	for _, name := range sortedRuleKeys(p.columns) {
		if !have[name] {
			probs = append(probs, config.Problem{File: file, Line: p.columnLines[name], Path: p.at + ".columns." + name,
				Msg: fmt.Sprintf("column %q is not in the input (columns: %s)", name, strings.Join(header, ", "))})
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	fieldClass := func(f string) (Class, bool) {
		if c, ok := classes[f]; ok && c != schema.Unclassified {
			return c, true
		}
		return Classify(f), false
	}
	s := &PushScrubber{cols: map[string]rule{}, fields: map[string]rule{}, kept: map[string]bool{}, fedBy: fields}
	feeds := map[string][]string{}
	for f, col := range fields {
		feeds[col] = append(feeds[col], f)
	}
	for f := range classes {
		if c, certain := fieldClass(f); c.Personal() {
			s.fields[f] = rule{action: DefaultAction(c), class: c, certain: certain}
		}
	}
	for f := range fields {
		if c, certain := fieldClass(f); c.Personal() {
			s.fields[f] = rule{action: DefaultAction(c), class: c, certain: certain}
		}
	}
	for _, col := range header {
		r, explicit := p.columns[col]
		if !explicit {
			c := Classify(col)
			for _, f := range feeds[col] {
				if c == HomeAddress && business(f) {
					c = None
				}
			}
			for _, f := range feeds[col] {
				if fc, _ := fieldClass(f); stronger(fc, c) {
					c = fc
				}
			}
			r = rule{action: DefaultAction(c), class: c}
		}
		if r.action != Keep {
			s.cols[col] = r
			for _, f := range feeds[col] {
				s.fields[f] = r // a field fed by a column follows the column's rule
			}
		} else if explicit {
			for _, f := range feeds[col] {
				delete(s.fields, f) // an explicit keep covers what the column feeds
				s.kept[f] = true
			}
		}
	}
	for _, k := range keyColumns {
		if _, ok := s.cols[k]; ok {
			s.keyHashed = true
		}
	}
	salt := p.Salt()
	s.salted = salt != nil
	s.pool.New = func() any { return newHasher(salt) }
	if !s.salted && s.needsSalt() {
		return nil, errNoSalt
	}
	return s, nil
}

func (s *PushScrubber) needsSalt() bool {
	if s.keyHashed {
		return true
	}
	for _, r := range s.cols {
		if r.action == Hash {
			return true
		}
	}
	for _, r := range s.fields {
		if r.action == Hash {
			return true
		}
	}
	return false
}

func sortedRuleKeys(m map[string]rule) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// business reports whether a name is about a business (company.address.*).
func business(name string) bool {
	for _, t := range Tokens(name) {
		if bizWords[t] {
			return true
		}
	}
	return false
}

// strength orders classes by what a wrong guess costs.
var strength = map[Class]int{None: 0, HomeAddress: 1, Phone: 2, Email: 3, Account: 4, BirthDate: 5, GovID: 6}

func stronger(a, b Class) bool { return strength[a] > strength[b] }

// Sensitive lists the input columns the policy does not keep, with their
// action: for documentation and dry runs.
func (s *PushScrubber) Sensitive() map[string]Action {
	out := map[string]Action{}
	for c, r := range s.cols {
		out[c] = r.action
	}
	return out
}

// KeyHashed reports whether row keys are stored hashed: a key column is
// one the policy does not keep. The ledger then holds the hash, so a row is
// still recognised across runs, as long as the salt stays the same.
func (s *PushScrubber) KeyHashed() bool { return s.keyHashed }

// Key is the stored form of a row key.
func (s *PushScrubber) Key(raw string) string {
	if !s.keyHashed || raw == "" {
		return raw
	}
	return s.hash(None, raw)
}

func (s *PushScrubber) hash(c Class, v string) string {
	h := s.pool.Get().(*hasher)
	defer s.pool.Put(h)
	return h.sum(c, v)
}

// stored is what the ledger keeps of v under r ("" when dropped).
func (s *PushScrubber) stored(r rule, v string) string {
	if strings.TrimSpace(v) == "" {
		return v
	}
	switch r.action {
	case Drop:
		return ""
	case Hash:
		return s.hash(r.class, v)
	case Mask:
		return MaskValue(r.class, v)
	}
	return v
}

// shown is what a person reads in place of v under r: a rejects file or an
// error message gets its shape, never its hash (which says nothing to the
// person fixing the row).
func shown(r rule, v string) string {
	if r.action == Keep || strings.TrimSpace(v) == "" {
		return v
	}
	if r.action == Mask {
		return MaskValue(r.class, v)
	}
	return Describe(r.class, v)
}

// RowScrub scrubs what is stored about one input row.
type RowScrub struct {
	s    *PushScrubber
	repl []replacement
}

type replacement struct{ from, to string }

// Row prepares the scrubbing of one row from its input values (column →
// text) and, when the mapping produced one, its record: every sensitive
// value, in each form it may take in a message (as written, trimmed, lower
// case, digits only, E.164 and national for phones, the common layouts for
// dates), is replaced by its shape wherever it stands as a whole value.
func (s *PushScrubber) Row(values map[string]string, rec *connectors.Record) *RowScrub {
	rs := &RowScrub{s: s}
	seen := map[string]bool{}
	add := func(r rule, v, typed string) {
		// A value stands for what the row's author typed: the mapped
		// (normalized) form of a phone or date gets the shape of the input,
		// as the reject's value column does.
		to := shown(r, typed)
		for _, form := range variants(r.class, v) {
			if form == "" || seen[form] {
				continue
			}
			seen[form] = true
			rs.repl = append(rs.repl, replacement{form, to})
		}
	}
	for col, r := range s.cols {
		if v := values[col]; strings.TrimSpace(v) != "" {
			add(r, v, v)
		}
	}
	if rec != nil {
		for f, x := range rec.Fields {
			r, ok := s.fields[f]
			if !ok {
				continue
			}
			for _, v := range texts(x) {
				typed := v
				if in := values[s.fedBy[f]]; strings.TrimSpace(in) != "" {
					typed = in
				}
				add(r, v, typed)
			}
		}
	}
	sort.Slice(rs.repl, func(i, j int) bool { return len(rs.repl[i].from) > len(rs.repl[j].from) })
	return rs
}

// minBare is the shortest form replaced where it stands unquoted: a shorter
// one ("12") is too likely to be part of the message itself. Quoted ("12")
// it is replaced at any length.
const minBare = 4

// Text replaces every sensitive value of the row in free text (an error
// message, a reason, a vendor's answer) by its shape. Only whole values
// are replaced: a form that is part of a longer run of letters or digits
// (a phone's digits inside an ABN) is left alone, and a quoted value loses
// its quotes with it.
func (rs *RowScrub) Text(t string) string {
	if rs == nil || t == "" || len(rs.repl) == 0 {
		return t
	}
	type span struct {
		from, to int
		with     string
	}
	var spans []span
	taken := func(a, b int) bool {
		for _, sp := range spans {
			if a < sp.to && sp.from < b {
				return true
			}
		}
		return false
	}
	for _, r := range rs.repl {
		for off := 0; off < len(t); {
			i := strings.Index(t[off:], r.from)
			if i < 0 {
				break
			}
			a, b := off+i, off+i+len(r.from)
			off = a + 1
			quoted := a > 0 && b < len(t) && t[a-1] == '"' && t[b] == '"'
			switch {
			case quoted:
				a, b = a-1, b+1
			case len(r.from) < minBare, wordByte(t, a-1), wordByte(t, b):
				continue
			}
			if !taken(a, b) {
				spans = append(spans, span{a, b, r.to})
			}
		}
	}
	if len(spans) == 0 {
		return t
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	var out strings.Builder
	last := 0
	for _, sp := range spans {
		out.WriteString(t[last:sp.from])
		out.WriteString(sp.with)
		last = sp.to
	}
	out.WriteString(t[last:])
	return out.String()
}

// wordByte reports whether t[i] continues a word or number (a letter or
// digit); outside t it does not.
func wordByte(t string, i int) bool {
	if i < 0 || i >= len(t) {
		return false
	}
	c := t[i]
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// Value is what a reject's value column stores: the shape of the value
// when its column or field is sensitive, else the value as typed with any
// whole sensitive value in it replaced.
func (rs *RowScrub) Value(column, field, value string) string {
	if r, ok := rs.s.cols[column]; ok {
		return shown(r, value)
	}
	if r, ok := rs.s.fields[field]; ok && field != "" && !rs.s.kept[field] {
		return shown(r, value)
	}
	return rs.Text(value)
}

// Extra scrubs the vendor values a push keeps in the ledger (iute's
// client_pin beside the loan_ref): a key whose name is sensitive gets its
// class's default, and every value loses the row's sensitive values.
func (rs *RowScrub) Extra(m map[string]string) map[string]string {
	if len(m) == 0 {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if c := Classify(k); c != None && looksLike(c, v) {
			r := rule{action: DefaultAction(c), class: c}
			if r.action == Drop {
				continue
			}
			v = rs.s.stored(r, v)
		}
		out[k] = rs.Text(v)
	}
	return out
}

// texts gives a record value as the texts it may appear as.
func texts(x any) []string {
	switch v := x.(type) {
	case nil:
		return nil
	case string:
		return []string{v}
	case connectors.Date:
		return dateForms(v.Time)
	case time.Time:
		return dateForms(v)
	case []string:
		return v
	case connectors.Number:
		return []string{string(v)}
	case bool:
		return nil
	}
	return []string{fmt.Sprint(x)}
}

var dateLayouts = []string{"2006-01-02", "02/01/2006", "01/02/2006", "02.01.2006", "2006/01/02", "20060102",
	"02-01-2006", "2 January 2006", "January 2, 2006", "2 Jan 2006", "Jan 2, 2006", "2/1/2006", "1/2/2006", "2.1.2006"}

func dateForms(t time.Time) []string {
	if t.IsZero() {
		return nil
	}
	out := make([]string, 0, len(dateLayouts))
	for _, l := range dateLayouts {
		out = append(out, t.Format(l))
	}
	return out
}

// variants are the forms a value may take in a message.
func variants(c Class, v string) []string {
	t := strings.TrimSpace(v)
	out := []string{v, t}
	switch c {
	case Email:
		out = append(out, strings.ToLower(t))
	case GovID:
		out = append(out, strings.ToUpper(t), strings.ToLower(t))
	case Phone:
		digits := canonical(Phone, t)
		out = append(out, digits, strings.TrimPrefix(digits, "+"))
		if n, err := phonenumbers.Parse(digits, ""); err == nil && strings.HasPrefix(digits, "+") {
			nsn := phonenumbers.GetNationalSignificantNumber(n)
			out = append(out, nsn, "0"+nsn, phonenumbers.Format(n, phonenumbers.NATIONAL),
				phonenumbers.Format(n, phonenumbers.INTERNATIONAL))
		}
	case BirthDate:
		for _, l := range dateLayouts {
			if d, err := time.Parse(l, t); err == nil {
				out = append(out, dateForms(d)...)
				break
			}
		}
	}
	return out
}
