package lumire

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
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
	conc int
}

func newConnector(c *Config, env connectors.Env) (*connector, error) {
	if c.location == nil {
		loc, err := time.LoadLocation(c.Timezone)
		if err != nil {
			return nil, fmt.Errorf("lumire: timezone: %w", err)
		}
		c.location = loc
	}
	conc := c.Concurrency
	if env.Concurrency > 0 {
		conc = env.Concurrency
	}
	return &connector{
		cfg:  c,
		c:    newClient(c, env),
		norm: &normalizer{region: c.PhoneRegion, metadataKey: c.MetadataKey, unknown: env.Unknowns},
		log:  env.Log(),
		conc: max(conc, 1),
	}, nil
}

// HTTPStats reports the connector's HTTP traffic.
func (k *connector) HTTPStats() connectors.HTTPStats {
	return connectors.StatsOf(k.c.http.Stats())
}

// Close logs the session out, so that scheduled runs do not pile up open
// sessions at the vendor. It is best effort.
func (k *connector) Close() error {
	k.c.mu.Lock()
	loggedIn := k.c.loggedIn
	k.c.loggedIn = false
	k.c.mu.Unlock()
	if !loggedIn {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := &httpclient.Request{Method: http.MethodPost, URL: k.c.base + "/auth/logout", Idempotent: new(true)}
	if _, err := k.c.http.Do(ctx, req); err != nil {
		k.log.Debug("lumire logout failed", "error", err)
	}
	return nil
}

// wireTime formats a filter value.
func wireTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// since returns where an incremental stream resumes, or the zero time for a
// full read, and the stream's overlap: the versions the last run wrote near
// its end are not written again.
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

// Read syncs the requested streams one after the other. Each stream's cursor
// is the run's start, recorded once the stream is read to its end: every
// record changed before it has been emitted, and a record changed during
// the run is read again by the next one (updatedSince, minus the lookback).
func (k *connector) Read(ctx context.Context, req *connectors.ReadRequest, out connectors.Emitter) error {
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	steps := []struct {
		stream string
		read   func(context.Context, time.Time, time.Time, connectors.Emitter, *connectors.Overlap) error
	}{
		{"leads", k.syncLeads},
		{"events", k.syncEvents},
		{"payments", k.syncPayments},
	}
	for _, s := range steps {
		if !req.Wants(s.stream) {
			continue
		}
		since, overlap := k.since(req, s.stream, now)
		if err := s.read(ctx, since, now, overlap.Emitter(out), overlap); err != nil {
			return err
		}
		req.SetCursor(s.stream, overlap.Cursor(now).String())
	}
	return nil
}

// window returns the filters of a stream: updatedSince (or from, for lists
// without updatedAt) on an incremental run, from = start_date on a full
// one.
func (k *connector) window(since time.Time, sinceParam string) url.Values {
	q := url.Values{}
	switch {
	case !since.IsZero():
		q.Set(sinceParam, wireTime(since))
	case !k.cfg.startDate.IsZero():
		q.Set("from", wireTime(k.cfg.startDate))
	}
	return q
}

// ---- leads ----

func (k *connector) syncLeads(ctx context.Context, since, _ time.Time, out connectors.Emitter, _ *connectors.Overlap) error {
	if err := k.loadStages(ctx); err != nil {
		return err
	}
	return k.c.list(ctx, "leads", "/sales/leads", k.window(since, "updatedSince"), func(recs []json.RawMessage) error {
		ws := make([]wireLead, len(recs))
		for i, raw := range recs {
			if err := decodeLead(raw, &ws[i]); err != nil {
				return fmt.Errorf("decode lumire lead: %w", err)
			}
		}
		if k.cfg.leadDetails() {
			if err := k.details(ctx, ws); err != nil {
				return err
			}
		}
		b := &schema.Batch{Leads: make([]schema.Lead, 0, len(ws))}
		for i := range ws {
			b.Leads = append(b.Leads, k.norm.lead(&ws[i]))
		}
		return out.Emit(ctx, b)
	})
}

func decodeLead(raw json.RawMessage, w *wireLead) error {
	extra, err := decodeWire(raw, w, leadKeys)
	w.extra = extra
	return err
}

// details replaces each lead of a page by its details (metadata, assignee),
// fetching at most conc at once. A lead gone between the list and its
// details keeps its list record.
func (k *connector) details(ctx context.Context, ws []wireLead) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(ws))
	sem := make(chan struct{}, k.conc)
	var wg sync.WaitGroup
loop:
	for i := range ws {
		if ws[i].ID == "" {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			raw, err := k.c.get(ctx, "/sales/leads/"+url.PathEscape(ws[i].ID))
			if st := statusOf(err); st == http.StatusNotFound || st == http.StatusGone {
				k.log.Warn("lumire lead details unavailable; kept the list record", "lead_id", ws[i].ID, "status", st)
				return
			}
			if err != nil {
				errs[i] = fmt.Errorf("fetch lumire lead %s: %w", ws[i].ID, err)
				cancel()
				return
			}
			var d wireLead
			if err := decodeLead(raw, &d); err != nil {
				errs[i] = fmt.Errorf("decode lumire lead %s: %w", ws[i].ID, err)
				cancel()
				return
			}
			ws[i] = d
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// loadStages reads the sales pipelines once per run, so that leads carry
// their stage's name (vendor_sub_status) instead of its id. A tenant whose
// role may not read pipelines (a 4xx answer) keeps the ids; any other
// failure fails the run, as the same failure would on the leads.
func (k *connector) loadStages(ctx context.Context) error {
	if k.norm.stages != nil {
		return nil
	}
	u := k.c.base + "/sales/pipelines"
	resp, err := k.c.send(ctx, &httpclient.Request{URL: u, Header: http.Header{"Accept": {"application/json"}}}, nil)
	if st := statusOf(err); st >= 400 && st < 500 && st != http.StatusUnauthorized && st != http.StatusTooManyRequests {
		k.log.Warn("lumire sales pipelines unavailable; leads keep their stage id", "error", err)
		k.norm.stages = map[string]string{}
		return nil
	}
	if err != nil {
		return fmt.Errorf("fetch lumire sales pipelines: %w", err)
	}
	recs, _, err := k.c.pages.parse(resp.Body, resp.Header)
	if err != nil {
		return fmt.Errorf("lumire: GET %s: %w: %w", k.c.http.Redact(u), httpclient.ErrMalformedResponse, err)
	}
	stages := map[string]string{}
	for _, raw := range recs {
		var p wirePipeline
		if json.Unmarshal(raw, &p) != nil {
			continue
		}
		for _, st := range p.Stages {
			if st.ID != "" && st.Name != "" {
				stages[st.ID] = st.Name
			}
		}
	}
	k.norm.stages = stages
	return nil
}

// ---- events ----

// syncEvents reads the sales activities. Activities have no updatedAt: an
// incremental run reads those that occurred since the cursor (minus the
// lookback).
func (k *connector) syncEvents(ctx context.Context, since, _ time.Time, out connectors.Emitter, _ *connectors.Overlap) error {
	return k.c.list(ctx, "activities", "/sales/activities", k.window(since, "from"), func(recs []json.RawMessage) error {
		b := &schema.Batch{Events: make([]schema.Event, 0, len(recs))}
		for _, raw := range recs {
			var w wireActivity
			extra, err := decodeWire(raw, &w, activityKeys)
			if err != nil {
				return fmt.Errorf("decode lumire activity: %w", err)
			}
			w.extra = extra
			b.Events = append(b.Events, k.norm.event(&w))
		}
		return out.Emit(ctx, b)
	})
}

// ---- payments ----

func (k *connector) syncPayments(ctx context.Context, since, now time.Time, out connectors.Emitter, overlap *connectors.Overlap) error {
	for _, name := range k.cfg.PaymentSources {
		src := sources[name]
		emit := func(ws []wireMoney) error {
			if len(ws) == 0 {
				return nil
			}
			b := &schema.Batch{Payments: make([]schema.Payment, 0, len(ws))}
			for i := range ws {
				p := k.norm.payment(src, &ws[i])
				// The lists are read by updatedAt, which a payment row
				// has no column for: the overlap judges it by that.
				if up := ts(ws[i].UpdatedAt); up.Valid {
					overlap.SelectedAt(p.PaymentUID, up.Time())
				}
				b.Payments = append(b.Payments, p)
			}
			return out.Emit(ctx, b)
		}
		var err error
		if k.cfg.ReadPath == ReadExport {
			err = k.exportPayments(ctx, src, since, now, emit)
		} else {
			err = k.c.list(ctx, src.name, src.path, k.window(since, "updatedSince"), func(recs []json.RawMessage) error {
				ws, err := decodeMoney(recs)
				if err != nil {
					return fmt.Errorf("decode lumire %s: %w", src.name, err)
				}
				return emit(ws)
			})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func decodeMoney(recs []json.RawMessage) ([]wireMoney, error) {
	ws := make([]wireMoney, len(recs))
	for i, raw := range recs {
		extra, err := decodeWire(raw, &ws[i], moneyKeys)
		if err != nil {
			return nil, err
		}
		ws[i].extra = extra
	}
	return ws, nil
}

// epoch is the lower bound of a full export when no start_date is set.
var epoch = time.Unix(0, 0).UTC()

// exportPayments reads one source through its CSV export, window by window.
// A first or full run covers [start_date or 1970, now]; an incremental one
// adds updatedSince. An export that returns export_cap rows may have been
// cut (the cut is silent), so its window is split in two and each half is
// exported again; a window too short to split is read from the list.
func (k *connector) exportPayments(ctx context.Context, src source, since, now time.Time, emit func([]wireMoney) error) error {
	q := url.Values{}
	if !since.IsZero() {
		q.Set("updatedSince", wireTime(since))
	}
	lo := epoch
	if !k.cfg.startDate.IsZero() {
		lo = k.cfg.startDate
	}
	return k.exportWindow(ctx, src, q, lo, now.UTC(), true, emit)
}

// exportWindow exports [lo, hi] (from and to are inclusive) and hands over
// the rows of [lo, hi), or of [lo, hi] for the last window: a row exactly at
// hi belongs to the next window, which starts there.
func (k *connector) exportWindow(ctx context.Context, src source, base url.Values, lo, hi time.Time, last bool, emit func([]wireMoney) error) error {
	q := url.Values{}
	for key, v := range base {
		q[key] = v
	}
	q.Set("from", wireTime(lo))
	q.Set("to", wireTime(hi))
	rows, err := k.c.export(ctx, src.exportPath, q, src.boolCols)
	if err != nil {
		return fmt.Errorf("export lumire %s %s..%s: %w", src.name, wireTime(lo), wireTime(hi), err)
	}
	if len(rows) >= k.cfg.ExportCap {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Millisecond)
		if !mid.After(lo) || !mid.Before(hi) {
			k.log.Warn("lumire export window too short to split at the row cap; reading it from the list",
				"source", src.name, "from", wireTime(lo), "to", wireTime(hi), "cap", k.cfg.ExportCap)
			return k.c.list(ctx, src.name, src.path, q, func(recs []json.RawMessage) error {
				ws, err := decodeMoney(recs)
				if err != nil {
					return fmt.Errorf("decode lumire %s: %w", src.name, err)
				}
				return emit(k.inWindow(src, ws, hi, last))
			})
		}
		k.log.Info("lumire export hit the row cap; splitting its window",
			"source", src.name, "from", wireTime(lo), "to", wireTime(hi), "rows", len(rows), "cap", k.cfg.ExportCap)
		if err := k.exportWindow(ctx, src, base, lo, mid, false, emit); err != nil {
			return err
		}
		return k.exportWindow(ctx, src, base, mid, hi, last, emit)
	}
	ws, err := decodeMoney(rows)
	if err != nil {
		return fmt.Errorf("decode lumire %s export: %w", src.name, err)
	}
	ws = k.inWindow(src, ws, hi, last)
	for start := 0; start < len(ws); start += k.cfg.PageSize {
		if err := emit(ws[start:min(start+k.cfg.PageSize, len(ws))]); err != nil {
			return err
		}
	}
	return nil
}

// inWindow drops the rows at exactly hi unless the window is the last one.
func (k *connector) inWindow(src source, ws []wireMoney, hi time.Time, last bool) []wireMoney {
	if last {
		return ws
	}
	kept := ws[:0]
	for i := range ws {
		if t := ts(src.sortKey(&ws[i])); t.Valid && t.Time().Equal(hi) {
			continue
		}
		kept = append(kept, ws[i])
	}
	return kept
}
