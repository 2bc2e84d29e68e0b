package lumi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/schema"
)

type connector struct {
	cfg  *Config
	c    *client
	norm *normalizer
	log  *slog.Logger
}

func newConnector(c *Config, env connectors.Env) *connector {
	loc := c.location
	if loc == nil {
		loc, _ = time.LoadLocation(c.Timezone)
	}
	return &connector{
		cfg:  c,
		c:    newClient(c, env),
		norm: &normalizer{region: c.PhoneRegion, currency: c.Currency, loc: loc, unknown: env.Unknowns},
		log:  env.Log(),
	}
}

// HTTPStats reports the connector's HTTP traffic.
func (k *connector) HTTPStats() connectors.HTTPStats {
	s := k.c.http.Stats()
	return connectors.HTTPStats{Requests: s.Requests, Retries: s.Retries, RateLimited: s.RateLimited, Waited: s.RateLimitWait + s.BackoffWait}
}

// cursor is where a stream resumes: the start of the last run, and the
// events that run already emitted near its end. An incremental run re-reads
// a lookback window before the cursor, so that clock skew between leadpipe
// and Lumi or a late write at Lumi never leaves a gap; the remembered events
// keep that overlap from writing the same events (and the leads they touch)
// twice.
type cursor struct {
	At   time.Time `json:"at"`
	Seen []string  `json:"seen,omitempty"`
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// since returns where an incremental stream resumes (zero for a full read)
// and the events already emitted in its overlap.
func (k *connector) since(req *connectors.ReadRequest, stream string, seen map[string]bool) time.Time {
	v, ok := req.State[stream]
	if !ok || req.FullRefresh || v == "" {
		return time.Time{}
	}
	var c cursor
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		// An older cursor is a bare timestamp.
		t, terr := time.Parse(time.RFC3339Nano, v)
		if terr != nil {
			k.log.Warn("unreadable cursor; reading the stream in full", "stream", stream, "cursor", v)
			return time.Time{}
		}
		c.At = t
	}
	for _, id := range c.Seen {
		seen[id] = true
	}
	return c.At.Add(-k.cfg.Lookback)
}

// Read syncs the requested streams. One pass over the events serves all
// three streams: they are the events stream itself, they tell which leads
// changed since the last run (Lumi's date filters only see creation dates),
// and their FUNDED status changes give each loan its funding time.
func (k *connector) Read(ctx context.Context, req *connectors.ReadRequest, out connectors.Emitter) error {
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	wantLeads, wantEvents, wantLoans := req.Wants("leads"), req.Wants("events"), req.Wants("loans")
	seen := map[string]bool{}
	leadsSince, eventsSince, loansSince := k.since(req, "leads", seen), k.since(req, "events", seen), k.since(req, "loans", seen)
	// Events near the end of this run are remembered in the cursor.
	recentFrom := now.Add(-k.cfg.Lookback - time.Minute)
	var recent []string

	// The event pass reaches back to the earliest point any stream needs.
	var from time.Time
	first := true
	for _, s := range []struct {
		want  bool
		since time.Time
	}{{wantEvents, eventsSince}, {wantLeads, leadsSince}, {wantLoans, loansSince}} {
		if !s.want {
			continue
		}
		if first || s.since.Before(from) {
			from = s.since
		}
		first = false
	}
	changed := map[string]time.Time{} // lead id → its latest event
	funded := map[string]schema.Timestamp{}
	err := k.readEvents(ctx, from, func(evs []wireEvent) error {
		b := &schema.Batch{}
		for i := range evs {
			e := &evs[i]
			ev := k.norm.event(e)
			if seen[ev.EventUID] {
				continue // emitted by the last run, re-read in the overlap
			}
			if !ev.OccurredAt.Time().Before(recentFrom) {
				recent = append(recent, ev.EventUID)
			}
			if wantEvents {
				b.Events = append(b.Events, ev)
			}
			if at := ev.OccurredAt.Time(); at.After(changed[e.LeadID]) {
				changed[e.LeadID] = at
			}
			if ev.EventType == schema.EventStatusChange && e.EventText == "FUNDED" {
				if cur, ok := funded[e.LeadID]; !ok || ev.OccurredAt.Micros > cur.Micros {
					funded[e.LeadID] = ev.OccurredAt
				}
			}
		}
		if len(b.Events) == 0 {
			return nil
		}
		return out.Emit(ctx, b)
	})
	if err != nil {
		return err
	}

	// Details are shared between the leads and loans of an incremental run,
	// where the sets are small; a full read does not keep them, so its
	// memory does not grow with the number of funded leads.
	var details *detailCache
	if !leadsSince.IsZero() && !loansSince.IsZero() {
		details = newDetailCache()
	}
	if wantLeads {
		if err := k.syncLeads(ctx, leadsSince, now, changed, details, out); err != nil {
			return err
		}
	}
	if wantLoans {
		if err := k.syncLoans(ctx, loansSince, now, changed, funded, details, out); err != nil {
			return err
		}
	}
	next := cursor{At: now.UTC(), Seen: recent}.String()
	for _, s := range req.Streams {
		req.SetCursor(s, next)
	}
	return nil
}

// readEvents pages through /leads/events recorded since from (all of them
// when from is zero).
func (k *connector) readEvents(ctx context.Context, from time.Time, handle func([]wireEvent) error) error {
	f := eventFilter{createdAtSince: from}
	return readAll(ctx, k, func(ctx context.Context, p int) ([]wireEvent, int, error) {
		pg, err := k.c.eventsPage(ctx, f, p)
		if err != nil {
			return nil, 0, err
		}
		return pg.Result.LeadEvents, pg.Result.Total, nil
	}, handle)
}

// readLeads pages through /leads with the filter.
func (k *connector) readLeads(ctx context.Context, f leadFilter, handle func([]wireLead) error) error {
	return readAll(ctx, k, func(ctx context.Context, p int) ([]wireLead, int, error) {
		pg, err := k.c.leadsPage(ctx, f, p)
		if err != nil {
			return nil, 0, err
		}
		return pg.Result.Leads, pg.Result.Count, nil
	}, handle)
}

// readAll reads page 1, learns the total, fetches the other pages
// concurrently and hands every page over in order. The total is trusted to
// plan the concurrent fetches but not to end the read: while the last page
// is full, the next one is read too, so a total that undercounts (a page
// count, or records added during the read) never truncates a stream.
func readAll[T any](ctx context.Context, k *connector, page func(context.Context, int) ([]T, int, error), handle func([]T) error) error {
	first, total, err := page(ctx, 1)
	if err != nil {
		return err
	}
	if err := handle(first); err != nil {
		return err
	}
	last := len(first)
	pages := connectors.Pages(total, k.cfg.PageSize)
	err = connectors.FetchPages(ctx, k.cfg.Concurrency, pages,
		func(ctx context.Context, p int) ([]T, error) {
			items, _, err := page(ctx, p)
			return items, err
		},
		func(_ int, items []T) error {
			last = len(items)
			return handle(items)
		})
	if err != nil {
		return err
	}
	for p := max(pages, 1) + 1; last >= k.cfg.PageSize; p++ {
		items, _, err := page(ctx, p)
		if err != nil {
			return err
		}
		last = len(items)
		if err := handle(items); err != nil {
			return err
		}
	}
	return nil
}

// syncLeads emits the leads created since the cursor (all leads on a full
// read), then the details of older leads that had events since it.
func (k *connector) syncLeads(ctx context.Context, since, now time.Time, changed map[string]time.Time, details *detailCache, out connectors.Emitter) error {
	f := leadFilter{from: since, to: now}
	if since.IsZero() {
		f.from = k.cfg.startDate
	}
	seen := map[string]bool{}
	err := k.readLeads(ctx, f, func(ls []wireLead) error {
		b := &schema.Batch{Leads: make([]schema.Lead, 0, len(ls))}
		for i := range ls {
			seen[ls[i].ID] = true
			b.Leads = append(b.Leads, k.norm.lead(&ls[i]))
		}
		return emitIfAny(ctx, out, b)
	})
	if err != nil || since.IsZero() {
		return err
	}
	var ids []string
	for id, at := range changed {
		if !seen[id] && !at.Before(since) {
			ids = append(ids, id)
		}
	}
	return k.eachDetail(ctx, ids, details, func(ws []*wireLead) error {
		b := &schema.Batch{}
		for _, w := range ws {
			b.Leads = append(b.Leads, k.norm.lead(w))
		}
		return emitIfAny(ctx, out, b)
	})
}

// syncLoans emits the loan of every funded lead (full read) or of every lead
// that became FUNDED since the cursor. The commission and rate fields exist
// only in lead details, so each loan costs one details call.
func (k *connector) syncLoans(ctx context.Context, since, now time.Time, changed map[string]time.Time, funded map[string]schema.Timestamp, details *detailCache, out connectors.Emitter) error {
	var ids []string
	if since.IsZero() {
		f := leadFilter{status: "FUNDED", from: k.cfg.startDate, to: now}
		if err := k.readLeads(ctx, f, func(ls []wireLead) error {
			for i := range ls {
				ids = append(ids, ls[i].ID)
			}
			return nil
		}); err != nil {
			return err
		}
	} else {
		for id, at := range funded {
			if !at.Time().Before(since) {
				ids = append(ids, id)
			}
		}
	}
	return k.eachDetail(ctx, ids, details, func(ws []*wireLead) error {
		b := &schema.Batch{}
		for _, w := range ws {
			if w.Status != "FUNDED" {
				continue // funded and then moved on (closed after repayment); its loan row stays from earlier runs
			}
			b.Loans = append(b.Loans, k.norm.loan(w, funded[w.ID]))
		}
		return emitIfAny(ctx, out, b)
	})
}

// eachDetail fetches lead details concurrently and hands them over in
// chunks of a page.
func (k *connector) eachDetail(ctx context.Context, ids []string, cache *detailCache, handle func([]*wireLead) error) error {
	chunk := k.cfg.PageSize
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		got := make([]*wireLead, len(part))
		errs := make([]error, len(part))
		var wg sync.WaitGroup
		sem := make(chan struct{}, k.cfg.Concurrency)
		for i, id := range part {
			if w, ok := cache.get(id); ok {
				got[i] = w
				continue
			}
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				w, err := k.c.lead(ctx, id)
				var se *httpclient.StatusError
				if errors.As(err, &se) && (se.StatusCode == 400 || se.StatusCode == 404) {
					// Gone between the list and the details: skip it.
					k.log.Warn("lead details unavailable; skipped", "lead_id", id, "status", se.StatusCode)
					return
				}
				if err != nil {
					errs[i] = err
					return
				}
				cache.put(id, w)
				got[i] = w
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		got = slices.DeleteFunc(got, func(w *wireLead) bool { return w == nil })
		if err := handle(got); err != nil {
			return err
		}
	}
	return nil
}

func emitIfAny(ctx context.Context, out connectors.Emitter, b *schema.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	return out.Emit(ctx, b)
}

// detailCache keeps the lead details fetched in one run, so a lead that is
// both changed and funded costs one call.
type detailCache struct {
	mu sync.Mutex
	m  map[string]*wireLead
}

func newDetailCache() *detailCache { return &detailCache{m: map[string]*wireLead{}} }

func (c *detailCache) get(id string) (*wireLead, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.m[id]
	return w, ok
}

func (c *detailCache) put(id string, w *wireLead) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.m[id] = w
	c.mu.Unlock()
}
