package lofty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
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
	env  connectors.Env

	// push: identities (normalized e-mail or phone) created by this
	// connector, and a lock per identity so that two rows of one run with
	// the same e-mail cannot both create a lead.
	pushMu  sync.Mutex
	created map[string]string
	locks   map[string]*idLock

	// callsFallback is set (for the rest of the connector's life, a run)
	// when the configured calls endpoint answered 404 and calls are read
	// from the other documented one.
	callsFallback atomic.Bool
}

func newConnector(c *Config, env connectors.Env) *connector {
	return &connector{
		cfg:     c,
		c:       newClient(c, env),
		norm:    &normalizer{cfg: c, unknown: env.Unknowns},
		log:     env.Log(),
		env:     env,
		created: map[string]string{},
		locks:   map[string]*idLock{},
	}
}

// HTTPStats reports the connector's HTTP traffic: requests, 429s and the
// time spent waiting for Lofty's rate-limit windows.
func (k *connector) HTTPStats() connectors.HTTPStats {
	return connectors.StatsOf(k.c.http.Stats())
}

// eventsCursor is the events stream's cursor: the window start of the
// per-lead sources and the last id read from each id-ordered search.
type eventsCursor struct {
	Since string `json:"since"`
	// From and Seen are the overlap memory (connectors.Overlap): the
	// events written near the end of the last run, which the lookback
	// reads again.
	From     time.Time `json:"from,omitzero"`
	Seen     []string  `json:"seen,omitempty"`
	Calls    string    `json:"calls,omitempty"`
	Emails   string    `json:"emails,omitempty"`
	Texts    string    `json:"texts,omitempty"`
	LogCall  string    `json:"logCall,omitempty"`
	LogEmail string    `json:"logEmail,omitempty"`
	LogText  string    `json:"logText,omitempty"`
}

// since returns where an incremental stream resumes (the cursor minus the
// lookback), or the zero time for a full read, with the stream's cursor:
// the events cursor's ids, and the overlap memory of either.
func (k *connector) since(req *connectors.ReadRequest, stream string) (time.Time, eventsCursor, connectors.OverlapCursor) {
	var ec eventsCursor
	v, ok := req.State[stream]
	if !ok || v == "" || req.FullRefresh {
		return time.Time{}, ec, connectors.OverlapCursor{}
	}
	if stream == "events" {
		if err := json.Unmarshal([]byte(v), &ec); err != nil {
			k.log.Warn("unreadable cursor; reading the stream in full", "stream", stream, "cursor", v)
			return time.Time{}, eventsCursor{}, connectors.OverlapCursor{}
		}
		t, err := time.Parse(time.RFC3339Nano, ec.Since)
		if err != nil {
			k.log.Warn("unreadable cursor; reading the stream in full", "stream", stream, "cursor", v)
			return time.Time{}, eventsCursor{}, connectors.OverlapCursor{}
		}
		return t.Add(-*k.cfg.Lookback), ec, connectors.OverlapCursor{At: t, From: ec.From, Seen: ec.Seen}
	}
	c, ok := connectors.ParseOverlapCursor(v)
	if !ok {
		k.log.Warn("unreadable cursor; reading the stream in full", "stream", stream, "cursor", v)
		return time.Time{}, eventsCursor{}, connectors.OverlapCursor{}
	}
	return c.At.Add(-*k.cfg.Lookback), ec, c
}

// Read syncs the requested streams.
//
// One pass over the leads serves both streams: the leads changed since the
// cursor (GET /leads/updateTime, all leads on a full read) are the leads
// stream, and they are the only leads whose activities (and, per_lead,
// notes) the events stream fetches. Id-ordered searches (communication,
// logType) resume from the last id read; the team's notes are one request.
// Cursors are recorded only when every request succeeded.
func (k *connector) Read(ctx context.Context, req *connectors.ReadRequest, out connectors.Emitter) error {
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	wantLeads, wantEvents := req.Wants("leads"), req.Wants("events")
	if !wantLeads && !wantEvents {
		return nil
	}
	leadsSince, _, leadsCur := k.since(req, "leads")
	evSince, ec, evCur := k.since(req, "events")
	// What the lookback reads again is written only if the last run did
	// not write it (connectors.Overlap), per stream.
	leadsOverlap := connectors.NewOverlap(leadsCur, now, *k.cfg.Lookback)
	eventsOverlap := connectors.NewOverlap(evCur, now, *k.cfg.Lookback)
	leadsOut, eventsOut := leadsOverlap.Emitter(out), eventsOverlap.Emitter(out)
	src := k.cfg.sources
	perLead := wantEvents && (src[SourceActivities] || (src[SourceNotes] && k.cfg.Notes == "per_lead") ||
		(src[SourceCalls] && k.cfg.CallsEndpoint == "calls" && !evSince.IsZero()))

	if wantLeads || perLead {
		// The pass starts at the earliest point a stream needs.
		var from time.Time
		switch {
		case wantLeads && perLead:
			if !leadsSince.IsZero() && !evSince.IsZero() {
				from = minTime(leadsSince, evSince)
			}
		case wantLeads:
			from = leadsSince
		default:
			from = evSince
		}
		err := k.eachLeadPage(ctx, leadSearch{since: from}, func(leads []*rawLead) error {
			if wantLeads {
				b := &schema.Batch{Leads: make([]schema.Lead, 0, len(leads))}
				for _, l := range leads {
					b.Leads = append(b.Leads, k.norm.lead(l))
				}
				if err := emitIfAny(ctx, leadsOut, b); err != nil {
					return err
				}
			}
			if perLead {
				return k.leadEvents(ctx, leads, evSince, eventsOut)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}

	next := eventsCursor{Since: now.UTC().Format(time.RFC3339Nano)}
	if wantEvents {
		if evSince.IsZero() {
			ec = eventsCursor{} // a full read starts every search from the start
		}
		var err error
		if next, err = k.teamEvents(ctx, evSince, ec, next, eventsOut); err != nil {
			return err
		}
	}
	if wantLeads {
		req.SetCursor("leads", leadsOverlap.Cursor(now).String())
	}
	if wantEvents {
		oc := eventsOverlap.Cursor(now)
		next.From, next.Seen = oc.From, oc.Seen
		b, _ := json.Marshal(next)
		req.SetCursor("events", string(b))
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// eachLeadPage pages through a lead search: follow _metadata.scrollId when
// Lofty gives one (a snapshot, so leads updated meanwhile neither vanish nor
// repeat, and no offset+limit bound), otherwise offset pages up to the
// total, fetched concurrently. While handle works on a page (its per-lead
// requests), the next page is already being fetched, so the rate-limit
// budget of a window is not left unused between pages.
func (k *connector) eachLeadPage(ctx context.Context, s leadSearch, handle func([]*rawLead) error) error {
	first, err := k.c.leadsFirst(ctx, s)
	if err != nil {
		return err
	}
	if first.Meta.ScrollID == "" {
		if err := k.handlePage(first, 1, handle); err != nil {
			return err
		}
		size := k.cfg.PageSize
		pages := connectors.Pages(int(first.Meta.Total), size)
		if len(first.Leads) < size {
			pages = 1 // a short first page is the last one, whatever total says
		}
		return connectors.FetchPages(ctx, k.cfg.Concurrency, pages,
			func(ctx context.Context, p int) (*leadsPage, error) {
				return k.c.leadsOffset(ctx, s, (p-1)*size)
			},
			func(p int, pg *leadsPage) error { return k.handlePage(pg, p, handle) })
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type fetched struct {
		pg   *leadsPage
		page int
		err  error
	}
	next := make(chan fetched, 1) // one page ahead: memory stays at two pages
	go func() {
		defer close(next)
		scroll := first.Meta.ScrollID
		for page := 2; scroll != ""; page++ {
			pg, err := k.c.leadsScroll(ctx, s, scroll, page)
			select {
			case next <- fetched{pg, page, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(pg.Leads) == 0 {
				return
			}
			scroll = pg.Meta.ScrollID
		}
	}()
	if err := k.handlePage(first, 1, handle); err != nil {
		return err
	}
	for f := range next {
		if f.err != nil {
			return f.err
		}
		if err := k.handlePage(f.pg, f.page, handle); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (k *connector) handlePage(pg *leadsPage, page int, handle func([]*rawLead) error) error {
	leads := make([]*rawLead, 0, len(pg.Leads))
	for i, raw := range pg.Leads {
		l, err := decodeLead(raw)
		if err != nil {
			return fmt.Errorf("lofty: lead page %d item %d: %w: %w", page, i, httpclient.ErrMalformedResponse, err)
		}
		leads = append(leads, l)
	}
	if len(leads) == 0 {
		return nil
	}
	return handle(leads)
}

// leadEvents fetches the per-lead sources of a page of leads concurrently
// and emits their events in lead order.
func (k *connector) leadEvents(ctx context.Context, leads []*rawLead, since time.Time, out connectors.Emitter) error {
	src := k.cfg.sources
	results := make([][]schema.Event, len(leads))
	err := parallel(ctx, len(leads), k.cfg.Concurrency, func(ctx context.Context, i int) error {
		id := string(leads[i].w.LeadID)
		var evs []schema.Event
		if src[SourceActivities] {
			acts, err := k.activities(ctx, id, since)
			if err != nil {
				return err
			}
			evs = append(evs, acts...)
		}
		if src[SourceCalls] && k.cfg.CallsEndpoint == "calls" && !since.IsZero() && !k.callsFallback.Load() {
			err := k.callsList(ctx, id, func(cs []wireCall) error {
				for j := range cs {
					// A changed lead lists all its calls: the ones made
					// or updated before the window were written already.
					if k.changedSince(since, cs[j].CreateTime, cs[j].UpdateTime) {
						evs = append(evs, k.norm.call(&cs[j]))
					}
				}
				return nil
			})
			if notServed(err) {
				// /calls is not served: the team-wide pass reads the
				// window's calls from /communication/call instead.
				k.fallBack("/calls", "/communication/call")
				err = nil
			}
			if err != nil {
				return err
			}
		}
		if src[SourceNotes] && k.cfg.Notes == "per_lead" {
			err := k.c.notes(ctx, id, func(ns []wireNote) error {
				for j := range ns {
					if !ns[j].DeleteFlag {
						evs = append(evs, k.norm.note(&ns[j]))
					}
				}
				return nil
			})
			if gone(err) {
				k.log.Warn("lead gone before its notes were read; skipped", "lead_id", id)
				err = nil
			}
			if err != nil {
				return err
			}
		}
		results[i] = evs
		return nil
	})
	if err != nil {
		return err
	}
	b := &schema.Batch{}
	for _, evs := range results {
		b.Events = append(b.Events, evs...)
		if len(b.Events) >= emitChunk {
			if err := out.Emit(ctx, b); err != nil {
				return err
			}
			b = &schema.Batch{}
		}
	}
	return emitIfAny(ctx, out, b)
}

// emitChunk is the number of events that makes a batch worth emitting.
const emitChunk = 500

// activities reads a lead's activities, newest first, 100 a page. It
// stops at a short page, or at a page whose oldest activity is older than
// since: so a lead costs 1 + floor(a/100) requests, a being its activities
// created at or after since (all of them on a full read). The activities
// created at or after since are emitted; older ones on the same pages were
// written by earlier runs.
func (k *connector) activities(ctx context.Context, leadID string, since time.Time) ([]schema.Event, error) {
	var evs []schema.Event
	seen := map[string]int{}
	for page := 0; ; page++ {
		acts, err := k.c.activitiesPage(ctx, leadID, page)
		if gone(err) {
			k.log.Warn("lead gone before its activities were read; skipped", "lead_id", leadID)
			return evs, nil
		}
		if err != nil {
			return nil, err
		}
		for i := range acts {
			base := activityID(leadID, &acts[i], 0)
			ord := seen[base]
			seen[base]++
			if !since.IsZero() && acts[i].Created < since.UnixMilli() {
				continue
			}
			evs = append(evs, k.norm.activity(leadID, &acts[i], ord))
		}
		if len(acts) < activityPageSize {
			return evs, nil
		}
		if !since.IsZero() && acts[len(acts)-1].Created < since.UnixMilli() {
			return evs, nil
		}
	}
}

// activityPageSize is the documented page size: "One page has 100 data".
const activityPageSize = 100

// gone reports a 404 on a lead that was listed a moment ago: the lead was
// deleted (trashed) in between.
func gone(err error) bool {
	var se *httpclient.StatusError
	return errors.As(err, &se) && se.StatusCode == 404
}

// callsList reads GET /calls for one lead (or the team when leadID is ""),
// 100 a page, stopping at the total.
func (k *connector) callsList(ctx context.Context, leadID string, handle func([]wireCall) error) error {
	for offset := 0; ; {
		pg, err := k.c.callsPage(ctx, leadID, offset)
		if err != nil {
			return err
		}
		if err := handle(pg.Calls); err != nil {
			return err
		}
		offset += len(pg.Calls)
		if len(pg.Calls) == 0 || int64(offset) >= pg.Meta.Total {
			return nil
		}
	}
}

// teamEvents reads the team-wide sources: the communication searches from
// their last ids, the team's notes, and logged communication.
func (k *connector) teamEvents(ctx context.Context, since time.Time, prev, next eventsCursor, out connectors.Emitter) (eventsCursor, error) {
	src := k.cfg.sources
	next.Calls, next.Emails, next.Texts = prev.Calls, prev.Emails, prev.Texts
	next.LogCall, next.LogEmail, next.LogText = prev.LogCall, prev.LogEmail, prev.LogText
	var err error
	if src[SourceCalls] {
		if next.Calls, err = k.teamCalls(ctx, since, prev.Calls, out); err != nil {
			return next, err
		}
	}
	if src[SourceEmails] {
		next.Emails, err = commEvents(ctx, k, "/communication/email", nil, prev.Emails, out,
			func(w *wireEmail) (string, schema.Event) { return string(w.ID), k.norm.email(w) })
		if err = k.unserved(err, "/communication/email", "emails"); err != nil {
			return next, err
		}
	}
	if src[SourceTexts] {
		next.Texts, err = commEvents(ctx, k, "/communication/text", nil, prev.Texts, out,
			func(w *wireText) (string, schema.Event) { return string(w.ID), k.norm.text(w) })
		if err = k.unserved(err, "/communication/text", "texts"); err != nil {
			return next, err
		}
	}
	if src[SourceNotes] && k.cfg.Notes == "team" {
		err := k.c.notes(ctx, "", func(ns []wireNote) error {
			b := &schema.Batch{}
			for i := range ns {
				n := &ns[i]
				if n.DeleteFlag || (!since.IsZero() && !k.changedSince(since, n.CreateTime, n.LastUpdate)) {
					continue
				}
				b.Events = append(b.Events, k.norm.note(n))
			}
			return emitIfAny(ctx, out, b)
		})
		if err != nil {
			return next, err
		}
	}
	if src[SourceLogged] {
		for _, lt := range []struct {
			kind string
			cur  *string
		}{{"logCall", &next.LogCall}, {"logEmail", &next.LogEmail}, {"logText", &next.LogText}} {
			kind := lt.kind
			if *lt.cur, err = commEvents(ctx, k, "/logType", url.Values{"logType": {kind}}, *lt.cur, out,
				func(w *wireLog) (string, schema.Event) { return string(w.ID), k.norm.logged(kind, w) }); err != nil {
				return next, err
			}
		}
	}
	return next, nil
}

// notServed reports a 404 on a team-wide search: the account does not
// serve that endpoint (a lead's 404 is gone, a different case).
func notServed(err error) bool { return gone(err) }

// fallBack switches calls to the other documented endpoint for the rest of
// the run, once, and says so in the run summary.
func (k *connector) fallBack(from, to string) {
	if k.callsFallback.Swap(true) {
		return
	}
	msg := fmt.Sprintf("lofty: GET /v1.0%s answered 404 (this account does not serve it); calls were read from GET /v1.0%s instead", from, to)
	if to == "/calls" {
		msg += " (set calls_endpoint: calls to go there first)"
	} else {
		msg += " (set calls_endpoint: communication to go there first)"
	}
	k.log.Warn(msg)
	k.norm.unknown.Note(msg)
}

// teamCalls reads the calls of the team-wide pass and returns the calls
// cursor (the last id read from /communication/call). The configured
// endpoint is asked first; when it answers 404 (the account does not serve
// it), the other documented one is read instead, once, and the summary says
// so (fallBack). From /calls, only calls after the cursor's id, made or
// updated in the window, are written; from /communication/call after a
// fallback from /calls, only those made or updated in the window.
func (k *connector) teamCalls(ctx context.Context, since time.Time, after string, out connectors.Emitter) (string, error) {
	fromComm := func(window time.Time) (string, error) {
		return commEvents(ctx, k, "/communication/call", nil, after, out, func(w *wireCall) (string, schema.Event) {
			if !window.IsZero() && !k.changedSince(window, w.CreateTime, w.UpdateTime) {
				return string(w.ID), schema.Event{} // written before, from /calls
			}
			return string(w.ID), k.norm.call(w)
		})
	}
	switch {
	case k.cfg.CallsEndpoint == "communication" && !k.callsFallback.Load():
		next, err := fromComm(time.Time{})
		if !notServed(err) {
			return next, err
		}
		k.fallBack("/communication/call", "/calls")
		return k.teamCallsList(ctx, since, after, out)
	case k.cfg.CallsEndpoint == "communication":
		return k.teamCallsList(ctx, since, after, out)
	case k.callsFallback.Load(): // /calls answered 404 in the per-lead pass
		return fromComm(since)
	case since.IsZero(): // a full read of /calls
		_, err := k.teamCallsList(ctx, since, "", out)
		if !notServed(err) {
			return after, err
		}
		k.fallBack("/calls", "/communication/call")
		return fromComm(since)
	}
	return after, nil // incremental from /calls: per changed lead, in the lead pass
}

// unserved turns a 404 of a team-wide search that has no other endpoint
// (emails, texts) into a note: the account does not serve it, so the run
// reads what it can and says, in its summary, what it could not. The
// source's cursor stays where it was (commEvents returns it unchanged on an
// error), so nothing is skipped for good.
func (k *connector) unserved(err error, path, what string) error {
	if !notServed(err) {
		return err
	}
	msg := fmt.Sprintf("lofty: GET /v1.0%s answered 404 (this account does not serve it): no %s were read; "+
		"leave %s out of event_sources, or ask Lofty to turn it on", path, what, what)
	k.log.Warn(msg)
	k.norm.unknown.Note(msg)
	return nil
}

// teamCallsList reads GET /calls for the whole team and emits the calls
// after the id after (all on a full read) that were made or updated since
// since; it returns the last id read.
func (k *connector) teamCallsList(ctx context.Context, since time.Time, after string, out connectors.Emitter) (string, error) {
	last := after
	err := k.callsList(ctx, "", func(cs []wireCall) error {
		b := &schema.Batch{Events: make([]schema.Event, 0, len(cs))}
		for i := range cs {
			id := string(cs[i].ID)
			if idGreater(id, last) {
				last = id
			}
			if after != "" && !idGreater(id, after) {
				continue
			}
			if !since.IsZero() && !k.changedSince(since, cs[i].CreateTime, cs[i].UpdateTime) {
				continue
			}
			b.Events = append(b.Events, k.norm.call(&cs[i]))
		}
		return emitIfAny(ctx, out, b)
	})
	return last, err
}

// changedSince reports whether a note was created or edited at or after
// since.
func (k *connector) changedSince(since time.Time, times ...flexTime) bool {
	for _, t := range times {
		if ts := k.norm.ts(t); ts.Valid && !ts.Time().Before(since) {
			return true
		}
	}
	return false
}

// commEvents pages an id-ordered search (communication, logType) from the id
// after, emitting each page, until a page is short: 1 + floor(n/limit)
// requests for n new items. It returns the last id read (after when none).
func commEvents[T any](ctx context.Context, k *connector, path string, extra url.Values, after string, out connectors.Emitter,
	norm func(*T) (string, schema.Event)) (string, error) {
	last := after
	for {
		items, err := commPage[T](ctx, k.c, path, extra, last)
		if err != nil {
			return after, err
		}
		b := &schema.Batch{Events: make([]schema.Event, 0, len(items))}
		for i := range items {
			id, ev := norm(&items[i])
			if ev.EventUID != "" { // "": read, not written (it was before)
				b.Events = append(b.Events, ev)
			}
			if idGreater(id, last) {
				last = id
			}
		}
		if err := emitIfAny(ctx, out, b); err != nil {
			return after, err
		}
		if len(items) < k.cfg.CommPageSize {
			return last, nil
		}
	}
}

// idGreater compares ids numerically when both are numbers.
func idGreater(a, b string) bool {
	if b == "" {
		return a != ""
	}
	ai, errA := strconv.ParseInt(a, 10, 64)
	bi, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		return ai > bi
	}
	return len(a) > len(b) || (len(a) == len(b) && a > b)
}

// parallel runs fn(0..n-1) with at most conc at once and returns the first
// error (the others are cancelled).
func parallel(ctx context.Context, n, conc int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	next := make(chan int)
	for range min(max(conc, 1), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func emitIfAny(ctx context.Context, out connectors.Emitter, b *schema.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	return out.Emit(ctx, b)
}

// Decode reads one LeadResponse (an export line, or the payload of the
// "Lead Information" webhook, list 2) into a canonical lead.
func (k *connector) Decode(stream string, record []byte, b *schema.Batch) error {
	if stream != "leads" {
		return fmt.Errorf("lofty: records of stream %q cannot be read from a file (only leads)", stream)
	}
	l, err := decodeLead(record)
	if err != nil {
		return fmt.Errorf("lofty: lead record: %w", err)
	}
	b.Leads = append(b.Leads, k.norm.lead(l))
	return nil
}
