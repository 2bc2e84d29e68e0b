package bizcap

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/schema"
)

type connector struct {
	cfg  *Config
	c    *client
	norm *normalizer
	log  *slog.Logger
	env  connectors.Env

	// lastPage remembers where the end of the lead list was at the last
	// push lookup, so the next lookup starts probing there.
	mu       sync.Mutex
	lastPage int
}

func newConnector(c *Config, env connectors.Env) *connector {
	return &connector{
		cfg:  c,
		c:    newClient(c, env),
		norm: &normalizer{cfg: c, unknown: env.Unknowns},
		log:  env.Log(),
		env:  env,
	}
}

// HTTPStats reports the connector's HTTP traffic.
func (k *connector) HTTPStats() connectors.HTTPStats {
	return connectors.StatsOf(k.c.http.Stats())
}

// since returns where an incremental stream resumes (its cursor minus the
// lookback), or the zero time for a full read, and the stream's overlap:
// the versions the last run wrote near its end are not written again.
func (k *connector) since(req *connectors.ReadRequest, stream string, now time.Time) (time.Time, *connectors.Overlap) {
	v, ok := req.State[stream]
	if !ok || v == "" || req.FullRefresh {
		return time.Time{}, connectors.NewOverlap(connectors.OverlapCursor{}, now, k.cfg.Lookback)
	}
	c, ok := connectors.ParseOverlapCursor(v)
	if !ok {
		k.log.Warn("unreadable cursor; reading the stream in full", "stream", stream, "cursor", v)
		return time.Time{}, connectors.NewOverlap(connectors.OverlapCursor{}, now, k.cfg.Lookback)
	}
	return c.At.Add(-k.cfg.Lookback), connectors.NewOverlap(c, now, k.cfg.Lookback)
}

// Read syncs the requested streams. The API has no filter of any kind, so
// each stream reads its whole list (GET /lead, GET /deal) and emits the
// records updated since its cursor. Leads are read first: the deals stream
// needs every lead's convertedDealId and partnerLeadReferenceId to tie each
// deal to its lead, so a deals-only run reads the lead list too.
//
// The cursor is the run's start time, recorded only once a stream's list
// has been read to its end: every change after it has a later updatedAt
// and is read by the next run (the lookback covers clock skew).
func (k *connector) Read(ctx context.Context, req *connectors.ReadRequest, out connectors.Emitter) error {
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	wantLeads, wantDeals := req.Wants("leads"), req.Wants("deals")
	if !wantLeads && !wantDeals {
		return nil
	}
	var idx *leadIndex
	if wantDeals {
		idx = newLeadIndex()
	}
	leadsSince, leadsOverlap := k.since(req, "leads", now)
	leadsOut := leadsOverlap.Emitter(out)
	_, err := k.each(ctx, resLead, leadsSince, !wantDeals, func(all, changed []*record) error {
		if idx != nil {
			for _, w := range all {
				idx.add(w)
				idx.market[w.ID] = k.norm.market(w.Fields)
			}
		}
		if !wantLeads {
			return nil
		}
		b := &schema.Batch{Leads: make([]schema.Lead, 0, len(changed))}
		for _, w := range changed {
			b.Leads = append(b.Leads, k.norm.lead(w))
		}
		return emitIfAny(ctx, leadsOut, b)
	})
	if err != nil {
		return err
	}
	if wantLeads {
		req.SetCursor("leads", leadsOverlap.Cursor(now).String())
	}
	if !wantDeals {
		return nil
	}
	dealsSince, dealsOverlap := k.since(req, "deals", now)
	if err := k.syncDeals(ctx, dealsSince, idx, dealsOverlap.Emitter(out)); err != nil {
		return err
	}
	req.SetCursor("deals", dealsOverlap.Cursor(now).String())
	return nil
}

// syncDeals emits the deals updated since the cursor, each tied to its
// lead. A deal a lead names in convertedDealId that the list did not show
// is fetched by id (GET /deal/{id}).
func (k *connector) syncDeals(ctx context.Context, since time.Time, idx *leadIndex, out connectors.Emitter) error {
	seen := map[string]bool{}
	complete, err := k.each(ctx, resDeal, since, true, func(all, changed []*record) error {
		for _, w := range all {
			seen[strings.ToLower(w.ID)] = true
		}
		b := &schema.Batch{Loans: make([]schema.Loan, 0, len(changed))}
		for _, w := range changed {
			b.Loans = append(b.Loans, k.norm.loan(w, idx))
		}
		return emitIfAny(ctx, out, b)
	})
	if err != nil || !complete {
		return err // an early stop saw only the changed deals
	}
	var missing []string
	for id := range idx.byDeal {
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	for start := 0; start < len(missing); start += k.cfg.PageSize {
		b := &schema.Batch{}
		for _, id := range missing[start:min(start+k.cfg.PageSize, len(missing))] {
			w, err := k.c.get(ctx, resDeal, id)
			if errors.Is(err, ErrNotFound) {
				k.log.Warn("a lead names a deal the API does not have; skipped", "deal_id", id)
				continue
			}
			if err != nil {
				return err
			}
			if up, ok := parseTime(w.UpdatedAt); ok && !since.IsZero() && up.Before(since) {
				continue
			}
			b.Loans = append(b.Loans, k.norm.loan(w, idx))
		}
		if err := emitIfAny(ctx, out, b); err != nil {
			return err
		}
	}
	return nil
}

// each reads a list page by page and hands every page's records (all) and
// those updated since `since` (changed; all of them when since is zero) to
// handle. With list_order updated_desc and early=true, the read ends at the
// first record older than since (complete=false); if the pages turn out not
// to be in that order, it reads on to the end.
func (k *connector) each(ctx context.Context, res string, since time.Time, early bool,
	handle func(all, changed []*record) error) (complete bool, err error) {
	ordered := early && k.cfg.ListOrder == OrderUpdatedDesc && !since.IsZero()
	var prev time.Time
	complete = true
	err = k.c.scan(ctx, res, func(page int, recs []record) (bool, error) {
		all := make([]*record, len(recs))
		changed := make([]*record, 0, len(recs))
		older := false
		for i := range recs {
			w := &recs[i]
			all[i] = w
			up, ok := parseTime(w.UpdatedAt)
			if ordered && ok {
				if !prev.IsZero() && up.After(prev) {
					ordered = false
					k.log.Warn("list is not ordered by updatedAt descending; reading every page",
						"resource", res, "page", page)
				}
				prev = up
			}
			if since.IsZero() || !ok || !up.Before(since) {
				changed = append(changed, w)
			} else {
				older = true
			}
		}
		if err := handle(all, changed); err != nil {
			return false, err
		}
		if ordered && older {
			complete = false
			return true, nil
		}
		return false, nil
	})
	return complete, err
}

func emitIfAny(ctx context.Context, out connectors.Emitter, b *schema.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	return out.Emit(ctx, b)
}
