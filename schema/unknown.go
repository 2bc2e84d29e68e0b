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
type Unknowns struct {
	mu sync.Mutex
	m  map[UnknownKey]int64
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
	out := make([]UnknownCount, 0, len(u.m))
	for k, c := range u.m {
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
