package schema

import (
	"sort"
	"sync"
)

// Unknowns counts vendor values that no mapping knows: a status added by the
// vendor after the connector was written, say. Such a value never fails a
// run. It is kept raw in the row (vendor_status, vendor_event_type or
// attributes), mapped to the nearest safe canonical value, and counted here
// so the run summary shows it.
//
// It also counts invalid values (a phone number not valid for its region:
// the canonical column stays null and the raw text goes to attributes) and
// keeps notes a connector has for the summary (a fallback it took).
type Unknowns struct {
	mu      sync.Mutex
	m       map[UnknownKey]int64
	invalid map[UnknownKey]int64
	notes   []string
}

// UnknownKey names one unknown value of one vendor field.
type UnknownKey struct {
	Vendor string
	Field  string // vendor field, e.g. "lead.status"
	Value  string
}

// UnknownCount is one entry of the summary.
type UnknownCount struct {
	UnknownKey
	Count int64
}

// Add counts one occurrence. A nil receiver ignores it, so normalizers can be
// called without a collector in tests and tools.
func (u *Unknowns) Add(vendor, field, value string) {
	if u == nil {
		return
	}
	u.mu.Lock()
	if u.m == nil {
		u.m = map[UnknownKey]int64{}
	}
	u.m[UnknownKey{vendor, field, value}]++
	u.mu.Unlock()
}

// Total is the number of unknown occurrences.
func (u *Unknowns) Total() int64 {
	if u == nil {
		return 0
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	var n int64
	for _, c := range u.m {
		n += c
	}
	return n
}

// List returns the counts sorted by vendor, field and value.
func (u *Unknowns) List() []UnknownCount {
	if u == nil {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return sortedCounts(u.m)
}

func sortedCounts(m map[UnknownKey]int64) []UnknownCount {
	out := make([]UnknownCount, 0, len(m))
	for k, c := range m {
		out = append(out, UnknownCount{k, c})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Vendor != b.Vendor {
			return a.Vendor < b.Vendor
		}
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		return a.Value < b.Value
	})
	return out
}

// Invalid counts one value that a connector could not read into its
// canonical column. reason says what is wrong with it ("not a valid AU
// number"), never the value itself, which may be personal. The raw value
// stays in attributes. A nil receiver ignores it.
func (u *Unknowns) Invalid(vendor, field, reason string) {
	if u == nil {
		return
	}
	u.mu.Lock()
	if u.invalid == nil {
		u.invalid = map[UnknownKey]int64{}
	}
	u.invalid[UnknownKey{vendor, field, reason}]++
	u.mu.Unlock()
}

// InvalidList returns the invalid-value counts (Value is the reason), sorted.
func (u *Unknowns) InvalidList() []UnknownCount {
	if u == nil {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return sortedCounts(u.invalid)
}

// InvalidTotal is the number of invalid values.
func (u *Unknowns) InvalidTotal() int64 {
	var n int64
	for _, c := range u.InvalidList() {
		n += c.Count
	}
	return n
}

// Note records something the run summary should say: a fallback a
// connector took, say. A note said twice is kept once.
func (u *Unknowns) Note(text string) {
	if u == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, n := range u.notes {
		if n == text {
			return
		}
	}
	u.notes = append(u.notes, text)
}

// Notes returns the notes in the order they were made.
func (u *Unknowns) Notes() []string {
	if u == nil {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.notes...)
}
