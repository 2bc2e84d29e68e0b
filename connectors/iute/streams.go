package iute

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/schema"
)

type connector struct {
	cfg  *Config
	env  connectors.Env
	c    *client
	norm *normalizer
	refs *refBook
	log  *slog.Logger
}

func newConnector(c *Config, env connectors.Env) *connector {
	return &connector{
		cfg:  c,
		env:  env,
		c:    newClient(c, env),
		norm: &normalizer{currency: c.Currency, unknown: env.Unknowns},
		refs: newRefBook(c, env),
		log:  env.Log(),
	}
}

// HTTPStats reports the connector's HTTP traffic.
func (k *connector) HTTPStats() connectors.HTTPStats {
	return connectors.StatsOf(k.c.http.Stats())
}

// The phases a loan ref goes through, as the cursor records them.
const (
	phaseApplication = 'u' // undecided or approved: ask check/status
	phasePaidOut     = 'p' // past check/status: ask loan/info
	phaseFinal       = 'f' // declined, cancelled or repaid: not polled again
	phaseNotFound    = 'x' // Iute does not know the ref: not polled again
	phaseStopped     = 's' // in a state no answer explains for max_unknown_polls runs: reported, not polled again
)

// cursorVersion starts every cursor.
const cursorVersion = "v1"

// entry is one ref's line in the cursor: its phase, the fingerprint of
// what was last emitted for it, and how many runs in a row it was in a
// state no answer explains.
type entry struct {
	phase   byte
	fp      string
	unknown int
}

// encodeCursor writes "v1 <ref>=<phase><fingerprint>[~<unknown polls>] ..."
// in ref order.
func encodeCursor(m map[string]entry) string {
	refs := make([]string, 0, len(m))
	for r := range m {
		refs = append(refs, r)
	}
	sort.Slice(refs, func(i, j int) bool {
		if len(refs[i]) != len(refs[j]) {
			return len(refs[i]) < len(refs[j])
		}
		return refs[i] < refs[j]
	})
	var b strings.Builder
	b.Grow(len(refs) * 16)
	b.WriteString(cursorVersion)
	for _, r := range refs {
		e := m[r]
		b.WriteByte(' ')
		b.WriteString(r)
		b.WriteByte('=')
		b.WriteByte(e.phase)
		b.WriteString(e.fp)
		if e.unknown > 0 {
			b.WriteByte('~')
			b.WriteString(strconv.Itoa(e.unknown))
		}
	}
	return b.String()
}

// decodeCursor reads a cursor; ok is false when it is not one.
func decodeCursor(s string) (map[string]entry, bool) {
	fields := strings.Fields(s)
	if len(fields) == 0 || fields[0] != cursorVersion {
		return nil, false
	}
	m := make(map[string]entry, len(fields)-1)
	for _, f := range fields[1:] {
		ref, v, ok := strings.Cut(f, "=")
		if !ok || !refRe.MatchString(ref) || v == "" {
			return nil, false
		}
		switch v[0] {
		case phaseApplication, phasePaidOut, phaseFinal, phaseNotFound, phaseStopped:
		default:
			return nil, false
		}
		e := entry{phase: v[0], fp: v[1:]}
		if fp, n, ok := strings.Cut(e.fp, "~"); ok {
			polls, err := strconv.Atoi(n)
			if err != nil || polls < 0 {
				return nil, false
			}
			e.fp, e.unknown = fp, polls
		}
		m[ref] = e
	}
	return m, true
}

// maxBatchRows is the size at which a batch is emitted.
const maxBatchRows = 500

// Read polls every known loan ref. A first run (or a full refresh) asks
// about every ref and emits every loan; a later run skips the refs whose
// loan reached a final state, starts each other ref at the interface its
// phase calls for, and emits only the loans whose answers changed.
func (k *connector) Read(ctx context.Context, req *connectors.ReadRequest, out connectors.Emitter) error {
	if !req.Wants("loans") {
		return nil
	}
	refs, err := k.refs.all(ctx)
	if err != nil {
		return err
	}
	if len(refs) == 0 {
		k.log.Warn("no Iute loan refs are known: submit loans through leadpipe (target loans) or import refs with loan_refs or import_refs_from")
	}
	prev := map[string]entry{}
	if v, ok := req.State["loans"]; ok && v != "" && !req.FullRefresh {
		if m, ok := decodeCursor(v); ok {
			prev = m
		} else {
			k.log.Warn("unreadable cursor; polling every loan ref afresh", "stream", "loans")
		}
	}
	next := make(map[string]entry, len(refs))
	b := &schema.Batch{}
	for start := 0; start < len(refs); start += k.cfg.BatchSize {
		k.env.ReportPhase("loans polled", start, len(refs))
		chunk := refs[start:min(start+k.cfg.BatchSize, len(refs))]
		results, err := k.pollChunk(ctx, chunk, prev)
		if err != nil {
			return err
		}
		for i, ref := range chunk {
			r := results[i]
			if r == nil { // final at the last run: not polled
				next[ref] = prev[ref]
				continue
			}
			next[ref] = r.entry
			if r.loan == nil {
				continue
			}
			b.Loans = append(b.Loans, *r.loan)
			b.Installments = append(b.Installments, r.installments...)
			if b.Len() >= maxBatchRows {
				if err := out.Emit(ctx, b); err != nil {
					return err
				}
				b = &schema.Batch{}
			}
		}
	}
	k.env.ReportPhase("loans polled", len(refs), len(refs))
	if b.Len() > 0 {
		if err := out.Emit(ctx, b); err != nil {
			return err
		}
	}
	req.SetCursor("loans", encodeCursor(next))
	return nil
}

// polled is one ref's result: its cursor entry and, when it changed, its
// rows.
type polled struct {
	entry        entry
	loan         *schema.Loan
	installments []schema.Installment
}

// pollChunk polls the refs of one chunk concurrently; results are in chunk
// order (nil for a ref not polled).
func (k *connector) pollChunk(ctx context.Context, chunk []string, prev map[string]entry) ([]*polled, error) {
	results := make([]*polled, len(chunk))
	errs := make([]error, len(chunk))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, k.cfg.Concurrency)
	for i, ref := range chunk {
		p, seen := prev[ref]
		if seen && (p.phase == phaseFinal || p.phase == phaseNotFound || p.phase == phaseStopped) {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r, err := k.poll(ctx, ref, p, seen)
			if err != nil {
				errs[i] = err
				cancel()
				return
			}
			results[i] = r
		}()
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return nil, err
	}
	return results, nil
}

// firstError is the first error that is not a consequence of cancelling the
// others.
func firstError(errs []error) error {
	var fallback error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if !errors.Is(err, context.Canceled) {
			return err
		}
		if fallback == nil {
			fallback = err
		}
	}
	return fallback
}

// poll asks Iute about one loan ref, the fewest calls its phase allows:
//
//   - application phase: check/status; an approved application also costs
//     allow/cash/release (is cash release allowed yet?); "moved to another
//     step" goes on to loan/info;
//   - paid-out phase: loan/info; "No active loan found!" goes on to
//     allow/cash/release, whose loan_status tells cancelled, closed or
//     waiting for the cash release.
//
// The loan is emitted when the answers differ from the last run's; an
// emitted loan whose principal is not known yet costs one more
// allow/cash/release when loan_details is on.
func (k *connector) poll(ctx context.Context, ref string, prev entry, seen bool) (*polled, error) {
	o := &observation{ref: ref}
	if !seen || prev.phase != phasePaidOut {
		cr, err := k.c.checkStatus(ctx, ref)
		if err != nil {
			return nil, err
		}
		if cr.notFound != "" {
			k.log.Warn("Iute does not know this loan ref; it is not polled again until a full refresh", "loan_ref", ref, "message", cr.notFound)
			return &polled{entry: entry{phase: phaseNotFound}}, nil
		}
		o.check = cr
		if cr.status != nil && lower(cr.status.Approved) == "true" {
			if err := k.fetchAllow(ctx, o); err != nil {
				return nil, err
			}
		}
	}
	if o.check == nil || o.check.status == nil {
		info, err := k.c.loanInfo(ctx, ref)
		if err != nil {
			return nil, err
		}
		o.info = info
		if strings.TrimSpace(info.Status) != InfoStatusSuccess || info.Loan == nil {
			if err := k.fetchAllow(ctx, o); err != nil {
				return nil, err
			}
		}
	}
	k.norm.count(o)
	v := decide(o)
	e := entry{phase: phaseApplication, fp: fingerprint(o)}
	switch {
	case v.final:
		e.phase = phaseFinal
	case v.paidOut:
		e.phase = phasePaidOut
	}
	if v.unknown {
		// A state no answer explains may never change: after
		// max_unknown_polls runs in a row the ref is reported and no
		// longer polled, never polled forever.
		if seen {
			e.unknown = prev.unknown
		}
		e.unknown++
		if e.unknown >= k.cfg.MaxUnknownPolls {
			e.phase = phaseStopped
			k.norm.unknown.Add(Vendor, "loan.polling_stopped", ref+" ("+v.vendorStatus+")")
			k.norm.unknown.Note(fmt.Sprintf("iute: loan %s stopped being polled: no answer explained its state (%s) "+
				"in %d runs; ask Iute about it (leadpipe polls it again after a full refresh)", ref, v.vendorStatus, e.unknown))
		}
	}
	r := &polled{entry: e}
	if seen && prev.fp == e.fp {
		return r, nil // nothing changed since the last run
	}
	if o.allow == nil && o.allowErr == "" && k.cfg.loanDetails() {
		if err := k.fetchAllow(ctx, o); err != nil {
			return nil, err
		}
		k.norm.count(&observation{allow: o.allow})
	}
	l, inst := k.norm.loan(o, v)
	r.loan, r.installments = &l, inst
	return r, nil
}

// fetchAllow asks allow/cash/release; its 400 is kept as a message, not an
// error (the doc does not say which states it answers for).
func (k *connector) fetchAllow(ctx context.Context, o *observation) error {
	a, err := k.c.allowCashRelease(ctx, o.ref)
	var ve *vendorError
	switch {
	case errors.As(err, &ve) && ve.Status == http.StatusBadRequest:
		o.allowErr = ve.text()
		return nil
	case err != nil:
		return err
	}
	o.allow = a
	return nil
}

// fingerprint hashes the answers that decide a loan's row, so that the next
// run can tell whether anything changed.
func fingerprint(o *observation) string {
	h := fnv.New64a()
	w := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
	}
	if c := o.check; c != nil && c.status != nil {
		w("approved", lower(c.status.Approved))
	}
	if i := o.info; i != nil {
		w("info", strings.TrimSpace(i.Status))
		if l := i.Loan; l != nil {
			w(l.LoanPeriod, l.TotalBalance, l.Repaid, l.RemainingBalance, l.ClientPIN, l.ClientName)
			for _, in := range l.Installments {
				w(in.Number, in.DueDate, in.Total, in.ToBePaid)
			}
		}
	}
	if a := o.allow; a != nil {
		w("allow", lower(a.Allowed), lower(a.LoanStatus), a.LoanAmount)
	}
	if o.allowErr != "" {
		w("allow-refused")
	}
	return fmt.Sprintf("%08x", uint32(h.Sum64()))
}
