package connectors

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/leadpipe/leadpipe/schema"
)

// Overlap keeps an incremental stream from writing a record version twice.
//
// An incremental read starts a lookback before its cursor, so that clock
// skew or a late write at the vendor never leaves a gap. It therefore reads
// again what the last run wrote near its end. The cursor carries the
// versions that run wrote inside the next run's window (Seen), and Overlap
// drops them when they come again, while remembering every version this
// run writes inside the window of the run after it: newly seen ones always,
// and the ones seen again too, since they are read again next time.
//
// A version is a row's key (its *_uid) and a fingerprint of its canonical
// columns: the same record read again is the same version; a record the
// vendor changed is a new one, written again, as a changelog should.
type Overlap struct {
	mu       sync.Mutex
	prev     map[string]bool
	prevFrom time.Time // rows older than this cannot be among prev
	from     time.Time // rows at or after this are remembered
	next     map[string]bool
	hints    map[string]time.Time
}

// OverlapMargin is added to the lookback when deciding what to remember:
// the next run starts a little later than this one ends.
const OverlapMargin = time.Minute

// OverlapCursor is an incremental cursor with its overlap memory, as JSON:
// {"at": ..., "from": ..., "seen": [...]}. A bare RFC 3339 time (a cursor
// written before the memory existed) reads as a cursor with no memory.
type OverlapCursor struct {
	At   time.Time `json:"at"`
	From time.Time `json:"from,omitzero"` // the window the seen versions were taken from
	Seen []string  `json:"seen,omitempty"`
}

// ParseOverlapCursor reads a cursor; ok is false when it is neither form.
func ParseOverlapCursor(s string) (OverlapCursor, bool) {
	var c OverlapCursor
	if err := json.Unmarshal([]byte(s), &c); err == nil && !c.At.IsZero() {
		return c, true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return OverlapCursor{}, false
	}
	return OverlapCursor{At: t}, true
}

func (c OverlapCursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// NewOverlap starts the overlap of a run at now with the given lookback,
// from the last cursor (the zero cursor for a full read).
func NewOverlap(prev OverlapCursor, now time.Time, lookback time.Duration) *Overlap {
	o := &Overlap{prev: make(map[string]bool, len(prev.Seen)), prevFrom: prev.From,
		from: now.Add(-lookback - OverlapMargin), next: map[string]bool{}}
	for _, v := range prev.Seen {
		o.prev[v] = true
	}
	return o
}

// Cursor is the cursor this run records: at, and the versions it saw in
// the next run's window.
func (o *Overlap) Cursor(at time.Time) OverlapCursor {
	o.mu.Lock()
	defer o.mu.Unlock()
	seen := make([]string, 0, len(o.next))
	for v := range o.next {
		seen = append(seen, v)
	}
	slices.Sort(seen)
	return OverlapCursor{At: at.UTC(), From: o.from.UTC(), Seen: seen}
}

// SelectedAt tells the time an incremental read selects a row by, for a
// row whose canonical columns do not hold it (a payment re-read by its
// updatedAt, which has no column): the row of that key is judged by at
// instead of its own timestamps. Call it before the row is emitted.
func (o *Overlap) SelectedAt(key string, at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.hints == nil {
		o.hints = map[string]time.Time{}
	}
	o.hints[key] = at
}

// Filter removes from b the rows the last run wrote and remembers the rows
// the next run will read again. It works in place and returns b.
func (o *Overlap) Filter(b *schema.Batch) *schema.Batch {
	o.mu.Lock()
	defer o.mu.Unlock()
	b.Leads = overlapRows(o, schema.Leads, b.Leads)
	b.Events = overlapRows(o, schema.Events, b.Events)
	b.Loans = overlapRows(o, schema.Loans, b.Loans)
	b.Payments = overlapRows(o, schema.Payments, b.Payments)
	return b
}

// Emitter wraps out: every batch is filtered before it goes on, and an
// emptied batch is not emitted.
func (o *Overlap) Emitter(out Emitter) Emitter {
	return EmitFunc(func(ctx context.Context, b *schema.Batch) error {
		if o.Filter(b).Len() == 0 {
			return nil
		}
		return out.Emit(ctx, b)
	})
}

func overlapRows[T any](o *Overlap, t *schema.Table, rows []T) []T {
	if len(rows) == 0 {
		return rows
	}
	view := schema.RowsOf(t, rows)
	key, _ := t.Column(t.Key)
	keep := rows[:0]
	for i := range rows {
		r := view.Row(i)
		at, known := latest(t, r)
		if h, ok := o.hints[*r.Str(key)]; ok {
			at, known = h, !h.IsZero()
			delete(o.hints, *r.Str(key))
		}
		if known && at.Before(o.from) && (len(o.prev) == 0 || at.Before(o.prevFrom)) {
			keep = append(keep, rows[i]) // outside both windows: nothing to decide
			continue
		}
		v := *r.Str(key) + "@" + fingerprint(t, r)
		seen := o.prev[v]
		if !known || !at.Before(o.from) {
			o.next[v] = true
		}
		if !seen {
			keep = append(keep, rows[i])
		}
	}
	clear(rows[len(keep):])
	return keep
}

// latest is the latest of the row's timestamps (created_at, updated_at,
// occurred_at): the time an incremental read selects it by.
func latest(t *schema.Table, r schema.Row) (time.Time, bool) {
	var best schema.Timestamp
	for _, name := range []string{"created_at", "updated_at", "occurred_at"} {
		if c, ok := t.Column(name); ok {
			if ts := *r.Timestamp(c); ts.Valid && (!best.Valid || ts.Micros > best.Micros) {
				best = ts
			}
		}
	}
	return best.Time(), best.Valid
}

// fingerprint hashes every canonical column but the run's bookkeeping.
func fingerprint(t *schema.Table, r schema.Row) string {
	h := fnv.New64a()
	for i := range t.Columns {
		c := &t.Columns[i]
		if c.Name == "extracted_at" || c.Name == "run_id" {
			continue
		}
		h.Write([]byte(r.Text(c)))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}
