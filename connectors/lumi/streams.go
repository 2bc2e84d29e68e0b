package lumi

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
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
	env  connectors.Env // for ReportPhase
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
		env:  env,
	}
}

// HTTPStats reports the connector's HTTP traffic.
func (k *connector) HTTPStats() connectors.HTTPStats {
	return connectors.StatsOf(k.c.http.Stats())
}

// since returns where an incremental stream resumes (zero for a full read)
// and its cursor, whose overlap memory holds the versions the last run
// wrote near its end (see connectors.Overlap).
func (k *connector) since(req *connectors.ReadRequest, stream string) (time.Time, connectors.OverlapCursor) {
	v, ok := req.State[stream]
	if !ok || req.FullRefresh || v == "" {
		return time.Time{}, connectors.OverlapCursor{}
	}
	c, ok := connectors.ParseOverlapCursor(v)
	if !ok {
		k.log.Warn("unreadable cursor; reading the stream in full", "stream", stream, "cursor", v)
		return time.Time{}, connectors.OverlapCursor{}
	}
	return c.At.Add(-k.cfg.Lookback), c
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
	leadsSince, leadsCur := k.since(req, "leads")
	eventsSince, eventsCur := k.since(req, "events")
	loansSince, loansCur := k.since(req, "loans")
	// The streams share one cursor: its memory is what any of them wrote
	// (or, for events, read) near the end of the last run. Every row this
	// run reads again inside the lookback is dropped when the last run
	// wrote it, and every row near this run's end is remembered.
	prev := connectors.OverlapCursor{}
	for _, c := range []connectors.OverlapCursor{leadsCur, eventsCur, loansCur} {
		prev.Seen = append(prev.Seen, c.Seen...)
		if prev.From.IsZero() || c.From.Before(prev.From) {
			prev.From = c.From
		}
	}
	overlap := connectors.NewOverlap(prev, now, k.cfg.Lookback)
	out = overlap.Emitter(out)

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
		b := &schema.Batch{Events: make([]schema.Event, 0, len(evs))}
		leadOf := make(map[string]*wireEvent, len(evs))
		for i := range evs {
			if !from.IsZero() && k.before(evs[i].CreatedAt, evs[i].Date, from) {
				continue // a filter read by its day alone gave back what earlier runs wrote
			}
			ev := k.norm.event(&evs[i])
			b.Events = append(b.Events, ev)
			leadOf[ev.EventUID] = &evs[i]
		}
		// The events the last run read are dropped here, before they
		// mark their leads changed; all of them are remembered (in the
		// overlap) when they are recent, seen before or not.
		overlap.Filter(b)
		for _, ev := range b.Events {
			e := leadOf[ev.EventUID]
			if at := ev.OccurredAt.Time(); at.After(changed[e.LeadID]) {
				changed[e.LeadID] = at
			}
			if ev.EventType == schema.EventStatusChange && e.EventText == "FUNDED" {
				if cur, ok := funded[e.LeadID]; !ok || ev.OccurredAt.Micros > cur.Micros {
					funded[e.LeadID] = ev.OccurredAt
				}
			}
		}
		if !wantEvents || len(b.Events) == 0 {
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
	next := overlap.Cursor(now).String()
	for _, s := range req.Streams {
		req.SetCursor(s, next)
	}
	return nil
}

// before reports whether a record created at raw (or, without one, at
// fallback) lies before t. The doc types the date filters as dates: an API
// that honours the day alone gives back records from earlier in that day,
// which earlier runs wrote. A time that cannot be read is not before.
func (k *connector) before(raw, fallback string, t time.Time) bool {
	if raw == "" {
		raw = fallback
	}
	at := k.norm.ts(raw)
	return at.Valid && at.Time().Before(t)
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
			if !since.IsZero() && k.before(ls[i].CreatedAt, "", since) {
				continue // date_from read by its day alone: an earlier run wrote it (or its events tell it changed)
			}
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
	return k.eachDetail(ctx, "lead details", ids, details, func(ws []*wireLead) error {
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
	return k.eachDetail(ctx, "loan details", ids, details, func(ws []*wireLead) error {
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
// chunks of a page, reporting how far it is as phase.
func (k *connector) eachDetail(ctx context.Context, phase string, ids []string, cache *detailCache, handle func([]*wireLead) error) error {
	chunk := k.cfg.PageSize
	var fetched atomic.Int64
	k.env.ReportPhase(phase, 0, len(ids))
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		got := make([]*wireLead, len(part))
		errs := make([]error, len(part))
		var wg sync.WaitGroup
		sem := make(chan struct{}, k.cfg.Concurrency)
		for i, id := range part {
			if w, ok := cache.get(id); ok {
				got[i] = w
				fetched.Add(1)
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
				k.env.ReportPhase(phase, int(fetched.Add(1)), len(ids))
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
	k.env.ReportPhase(phase, len(ids), len(ids))
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
