// Package statusmap is the `status_map` transform of a pull pipeline: it
// remaps the canonical `status` from the vendor's raw `vendor_status`, per
// table. It is for vendors whose stages the account defines itself (a Lofty
// account's own pipeline stages) and for a broker who reads a vendor's
// status differently from leadpipe's default mapping.
//
//	transforms:
//	  - status_map:
//	      leads:
//	        Hot Prospect: qualifying
//	        Signed: approved
//
// A vendor status is matched exactly, then ignoring case and surrounding
// spaces. A status the map does not name keeps the connector's mapping.
package statusmap

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/schema"
)

// StatusMap remaps status from vendor_status.
type StatusMap struct {
	tables map[*schema.Table]*tableMap
}

type tableMap struct {
	exact  map[string]string
	folded map[string]string
	status *schema.Column
	vendor *schema.Column
}

// Compile checks a status_map transform: table → vendor status → canonical
// status. Problems go to v with their lines; the result is nil when there
// were any.
func Compile(v *config.Validator, path string, m map[string]map[string]string) *StatusMap {
	if len(m) == 0 {
		v.Errorf(path, "names no table; e.g. status_map: {leads: {\"Hot Prospect\": qualifying}}")
		return nil
	}
	sm := &StatusMap{tables: map[*schema.Table]*tableMap{}}
	ok := true
	for _, tn := range sorted(m) {
		at := path + "." + tn
		t, found := schema.TableByName(tn)
		if !found {
			v.Errorf(at, "no table %q (status_map applies to leads and loans)", tn)
			ok = false
			continue
		}
		st, hasStatus := t.Column("status")
		vs, hasVendor := t.Column("vendor_status")
		if !hasStatus || !hasVendor {
			v.Errorf(at, "%s has no vendor_status to map from (status_map applies to leads and loans)", tn)
			ok = false
			continue
		}
		tm := &tableMap{exact: map[string]string{}, folded: map[string]string{}, status: st, vendor: vs}
		if len(m[tn]) == 0 {
			v.Errorf(at, "maps no vendor status")
			ok = false
		}
		for _, raw := range sorted(m[tn]) {
			to := strings.TrimSpace(m[tn][raw])
			if !slices.Contains(schema.Statuses, to) {
				v.Errorf(at+"."+raw, "%q is not a canonical status (statuses: %s)", to, strings.Join(schema.Statuses, ", "))
				ok = false
				continue
			}
			fold := strings.ToLower(strings.TrimSpace(raw))
			if prev, dup := tm.folded[fold]; dup && prev != to {
				v.Errorf(at+"."+raw, "maps to %s, but the same status written another way maps to %s", to, prev)
				ok = false
				continue
			}
			tm.exact[raw] = to
			tm.folded[fold] = to
		}
		sm.tables[t] = tm
	}
	if !ok {
		return nil
	}
	return sm
}

func sorted[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Apply remaps the status of every row whose vendor status the map names.
func (sm *StatusMap) Apply(_ context.Context, b *schema.Batch) error {
	for _, rows := range b.Tables() {
		tm := sm.tables[rows.Table]
		if tm == nil {
			continue
		}
		for i := range rows.Len() {
			r := rows.Row(i)
			raw := *r.Str(tm.vendor)
			if raw == "" {
				continue
			}
			to, ok := tm.exact[raw]
			if !ok {
				to, ok = tm.folded[strings.ToLower(strings.TrimSpace(raw))]
			}
			if ok {
				*r.Str(tm.status) = to
			}
		}
	}
	return nil
}

// String describes the map, for logs.
func (sm *StatusMap) String() string {
	var parts []string
	for t, tm := range sm.tables {
		parts = append(parts, fmt.Sprintf("%s: %d statuses", t.Name, len(tm.exact)))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}
