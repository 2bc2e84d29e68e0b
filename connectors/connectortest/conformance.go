package connectortest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/schema"
)

// Harness describes a connector and its sandbox to the conformance suite.
type Harness struct {
	Connector string
	// Streams read by every check (all of the connector's streams when nil).
	Streams []string
	// PageSize is the smallest page size the connector accepts through its
	// config; the suite sizes datasets around it (empty, one record, an
	// exact multiple of the page size, a partial last page).
	PageSize int
	// Start starts a fresh sandbox holding size primary records and returns
	// how to reach it.
	Start func(t *testing.T, size int) *Sandbox
}

// Sandbox is one started sandbox, as the suite needs it.
type Sandbox struct {
	// Config is the YAML body of a `config:` block that reaches the sandbox
	// with valid credentials, a page size of Harness.PageSize and no rate
	// limit worth waiting for.
	Config string
	// BadAuthConfig is the same with a wrong secret, whose value is Secret.
	BadAuthConfig string
	Secret        string
	Faults        *sandbox.Faults
	// Truth counts the records of each canonical table the sandbox holds
	// for the streams read (the suite compares what a full read emits).
	Truth func(table string) int
	// InjectUnknownValues makes the sandbox send undocumented enum values.
	InjectUnknownValues func()
	// Change changes one record so that an incremental read has one new
	// thing to read (nil when the connector has no incremental stream).
	Change func(t *testing.T)
	// Now is the sandbox's clock; the suite reads with it (nil: time.Now).
	Now func() time.Time
}

func (h *Harness) streams() []string {
	if len(h.Streams) > 0 {
		return h.Streams
	}
	spec, _ := connectors.Lookup(h.Connector)
	var out []string
	for _, s := range spec.Streams {
		out = append(out, s.Name)
	}
	return out
}

func (s *Sandbox) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (h *Harness) read(t *testing.T, sb *Sandbox, cfgText string, state map[string]string) *Result {
	t.Helper()
	cfg := Config(t, h.Connector, cfgText)
	return Read(t, h.Connector, cfg, &connectors.ReadRequest{Streams: h.streams(), State: state, Now: sb.now()})
}

func counts(b *schema.Batch) map[string]int {
	return map[string]int{
		"leads": len(b.Leads), "events": len(b.Events), "loans": len(b.Loans),
		"installments": len(b.Installments), "payments": len(b.Payments),
	}
}

// Run runs the checks every connector must pass: pagination boundaries and
// empty results, resuming from state, auth failure, 429 and 5xx retries,
// malformed bodies and unknown enum values.
func Run(t *testing.T, h Harness) {
	ps := max(h.PageSize, 1)
	t.Run("pagination", func(t *testing.T) {
		for _, size := range []int{0, 1, ps, 2 * ps, 2*ps + 1} {
			t.Run(fmt.Sprintf("%d records", size), func(t *testing.T) {
				sb := h.Start(t, size)
				res := h.read(t, sb, sb.Config, nil)
				if res.Err != nil {
					t.Fatalf("read: %v", res.Err)
				}
				for table, n := range counts(&res.Batch) {
					if want := sb.Truth(table); n != want {
						t.Errorf("%s: read %d rows, the sandbox holds %d", table, n, want)
					}
				}
				checkUIDs(t, &res.Batch)
			})
		}
	})
	t.Run("resume from state", func(t *testing.T) {
		sb := h.Start(t, 2*ps+1)
		first := h.read(t, sb, sb.Config, nil)
		if first.Err != nil {
			t.Fatalf("first read: %v", first.Err)
		}
		if len(first.Cursors) == 0 {
			t.Fatal("a full read recorded no cursor")
		}
		// Nothing changed at the vendor: every version was written.
		if again := h.read(t, sb, sb.Config, first.Cursors); again.Err != nil || again.Batch.Len() != 0 {
			t.Errorf("a read with nothing changed emitted %v (err %v)", counts(&again.Batch), again.Err)
		}
		if sb.Change == nil {
			return
		}
		sb.Change(t)
		next := h.read(t, sb, sb.Config, first.Cursors)
		if next.Err != nil {
			t.Fatalf("incremental read: %v", next.Err)
		}
		if next.Batch.Len() == 0 {
			t.Error("the incremental read missed the change")
		}
		if next.Batch.Len() >= first.Batch.Len() {
			t.Errorf("the incremental read emitted %d rows, the full read %d: it did not resume", next.Batch.Len(), first.Batch.Len())
		}
		// The change is recent, inside the next read's lookback: it is
		// read again, and must not be written again.
		if again := h.read(t, sb, sb.Config, next.Cursors); again.Err != nil || again.Batch.Len() != 0 {
			t.Errorf("a read after the change was written emitted %v again (err %v)", counts(&again.Batch), again.Err)
		}
	})
	t.Run("auth failure", func(t *testing.T) {
		sb := h.Start(t, 1)
		res := h.read(t, sb, sb.BadAuthConfig, nil)
		if res.Err == nil {
			t.Fatal("wrong credentials did not fail the read")
		}
		if sb.Secret != "" && strings.Contains(res.Err.Error(), sb.Secret) {
			t.Errorf("the error shows the secret: %v", res.Err)
		}
		if !strings.Contains(res.Err.Error(), h.Connector) {
			t.Errorf("the error does not name the vendor: %v", res.Err)
		}
	})
	for _, tc := range []struct {
		name   string
		inject func(*sandbox.Faults)
	}{
		{"429 then success", func(f *sandbox.Faults) { f.Storm429(2, 0) }},
		{"503 then success", func(f *sandbox.Faults) { f.FailNext(2, 503, "Service Unavailable") }},
		{"dropped connection then success", func(f *sandbox.Faults) { f.DropNext(1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := h.Start(t, ps+1)
			tc.inject(sb.Faults)
			res := h.read(t, sb, sb.Config, nil)
			if res.Err != nil {
				t.Fatalf("read: %v", res.Err)
			}
			for table, n := range counts(&res.Batch) {
				if want := sb.Truth(table); n != want {
					t.Errorf("%s: read %d rows, the sandbox holds %d", table, n, want)
				}
			}
			if res.HTTP.Requests > 0 && res.HTTP.Retries == 0 {
				t.Error("no retry was counted")
			}
		})
	}
	t.Run("malformed body", func(t *testing.T) {
		sb := h.Start(t, 1)
		sb.Faults.MalformedNext(1)
		res := h.read(t, sb, sb.Config, nil)
		if res.Err == nil {
			t.Fatal("a malformed body did not fail the read")
		}
		if !strings.Contains(res.Err.Error(), h.Connector) {
			t.Errorf("the error does not name the vendor: %v", res.Err)
		}
	})
	t.Run("every attribute key has a privacy class", func(t *testing.T) {
		sb := h.Start(t, max(3*ps, 60))
		res := h.read(t, sb, sb.Config, nil)
		if res.Err != nil {
			t.Fatalf("read: %v", res.Err)
		}
		spec, _ := connectors.Lookup(h.Connector)
		for _, key := range UndeclaredAttributes(spec, &res.Batch) {
			t.Errorf("%s writes attribute %s, and declares no privacy class for it (connectors.Spec.Attributes)", h.Connector, key)
		}
	})
	t.Run("unknown enum values", func(t *testing.T) {
		sb := h.Start(t, 3*ps)
		sb.InjectUnknownValues()
		res := h.read(t, sb, sb.Config, nil)
		if res.Err != nil {
			t.Fatalf("unknown values failed the read: %v", res.Err)
		}
		if res.Unknowns.Total() == 0 {
			t.Error("no unknown value was counted")
		}
	})
}

// UndeclaredAttributes lists the attribute keys (table.attributes.path) of
// the rows that the connector's declarations do not cover.
func UndeclaredAttributes(spec *connectors.Spec, b *schema.Batch) []string {
	found := map[string]bool{}
	for _, rows := range b.Tables() {
		col, ok := rows.Table.Column("attributes")
		if !ok {
			continue
		}
		decl := spec.Attributes[rows.Table]
		for i := range rows.Len() {
			raw := *rows.Row(i).Str(col)
			if raw == "" {
				continue
			}
			var v any
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				found[rows.Table.Name+".attributes (not JSON)"] = true
				continue
			}
			walkKeys(v, nil, func(path []string) {
				if _, _, ok := decl.Lookup(path...); !ok {
					found[rows.Table.Name+".attributes."+strings.Join(path, ".")] = true
				}
			})
		}
	}
	out := make([]string, 0, len(found))
	for k := range found {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// walkKeys calls fn with the path of every key in v; list elements share
// their key's path.
func walkKeys(v any, path []string, fn func([]string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := append(path[:len(path):len(path)], k)
			fn(p)
			walkKeys(e, p, fn)
		}
	case []any:
		for _, e := range x {
			walkKeys(e, path, fn)
		}
	}
}

// checkUIDs checks the canonical key of every row: present, prefixed with
// the vendor, and unique within one read.
func checkUIDs(t *testing.T, b *schema.Batch) {
	t.Helper()
	for _, rows := range b.Tables() {
		if rows.Table.Key == "" {
			continue
		}
		key, _ := rows.Table.Column(rows.Table.Key)
		vendor, _ := rows.Table.Column("vendor")
		seen := map[string]bool{}
		for i := range rows.Len() {
			r := rows.Row(i)
			uid := *r.Str(key)
			if uid == "" || !strings.HasPrefix(uid, *r.Str(vendor)+":") {
				t.Errorf("%s row %d: bad %s %q", rows.Table.Name, i, rows.Table.Key, uid)
			}
			if seen[uid] {
				t.Errorf("%s: %s %s emitted twice in one read", rows.Table.Name, rows.Table.Key, uid)
			}
			seen[uid] = true
		}
	}
}
