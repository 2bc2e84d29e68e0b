package lumiretest

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// coll is one resource's records, kept sorted ascending by (key time, id) so
// that keyset (cursor) pagination is a binary search plus a scan.
type coll[T any] struct {
	items []*T
	byID  map[string]*T
	key   func(*T) (time.Time, string)
}

func newColl[T any](key func(*T) (time.Time, string)) *coll[T] {
	return &coll[T]{byID: map[string]*T{}, key: key}
}

func keyLess(t1 time.Time, id1 string, t2 time.Time, id2 string) bool {
	if !t1.Equal(t2) {
		return t1.Before(t2)
	}
	return id1 < id2
}

// add appends without keeping order; call sortAll afterwards.
func (c *coll[T]) add(x *T) {
	c.items = append(c.items, x)
	_, id := c.key(x)
	c.byID[id] = x
}

func (c *coll[T]) sortAll() {
	sort.SliceStable(c.items, func(i, j int) bool {
		ti, idi := c.key(c.items[i])
		tj, idj := c.key(c.items[j])
		return keyLess(ti, idi, tj, idj)
	})
}

// insert adds x at its sorted position.
func (c *coll[T]) insert(x *T) {
	t, id := c.key(x)
	i := sort.Search(len(c.items), func(i int) bool {
		ti, idi := c.key(c.items[i])
		return keyLess(t, id, ti, idi)
	})
	c.items = slices.Insert(c.items, i, x)
	c.byID[id] = x
}

func (c *coll[T]) get(id string) *T { return c.byID[id] }

// cursorKey is the position after which (in the list's order) a page starts.
type cursorKey struct {
	t  time.Time
	id string
}

// page returns up to limit matching records after the cursor position, in
// ascending or descending order, and whether more matching records follow.
// limit <= 0 means no limit.
func (c *coll[T]) page(desc bool, after *cursorKey, limit int, match func(*T) bool) (out []*T, more bool) {
	n := len(c.items)
	if !desc {
		start := 0
		if after != nil {
			start = sort.Search(n, func(i int) bool {
				ti, idi := c.key(c.items[i])
				return keyLess(after.t, after.id, ti, idi)
			})
		}
		for i := start; i < n; i++ {
			if match(c.items[i]) {
				if limit > 0 && len(out) == limit {
					return out, true
				}
				out = append(out, c.items[i])
			}
		}
		return out, false
	}
	end := n - 1
	if after != nil {
		end = sort.Search(n, func(i int) bool {
			ti, idi := c.key(c.items[i])
			return !keyLess(ti, idi, after.t, after.id)
		}) - 1
	}
	for i := end; i >= 0; i-- {
		if match(c.items[i]) {
			if limit > 0 && len(out) == limit {
				return out, true
			}
			out = append(out, c.items[i])
		}
	}
	return out, false
}

// ---- cursors ----

// encodeCursor makes the opaque nextCursor: it names the resource and order
// so a cursor cannot be replayed against another list.
func encodeCursor(resource string, desc bool, k cursorKey) string {
	order := "asc"
	if desc {
		order = "desc"
	}
	raw := fmt.Sprintf("v1|%s|%s|%d|%s", resource, order, k.t.UnixNano(), k.id)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(resource string, desc bool, s string) (*cursorKey, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	parts := strings.SplitN(string(b), "|", 5)
	if len(parts) != 5 || parts[0] != "v1" || parts[1] != resource {
		return nil, false
	}
	if (parts[2] == "desc") != desc || (parts[2] != "asc" && parts[2] != "desc") {
		return nil, false
	}
	ns, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || parts[4] == "" {
		return nil, false
	}
	return &cursorKey{t: time.Unix(0, ns).UTC(), id: parts[4]}, true
}

// ---- ids ----

// newUUID draws a version-4 UUID from r, so generated ids are deterministic.
func newUUID(r *rand.Rand) string {
	var b [16]byte
	a, c := r.Uint64(), r.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = byte(a >> (8 * i))
		b[8+i] = byte(c >> (8 * i))
	}
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
