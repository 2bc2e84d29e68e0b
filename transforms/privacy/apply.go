package privacy

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/leadpipe/leadpipe/schema"
)

var errNoSalt = errors.New("privacy: the policy hashes values but no salt is bound (the engine binds the " +
	"pipeline's salt, or the state store's, before a run)")

// invalidAttributes replaces attributes that are not JSON: the policy
// cannot tell what is in them, so nothing of them is stored.
const invalidAttributes = `{"_privacy":"the vendor's attributes were not valid JSON and were removed by the privacy policy"}`

// parallelRows is the batch size from which Apply splits a table's rows
// over the CPUs: hashing and rewriting attributes cost a few microseconds a
// row, and they sit on the engine's one writing goroutine.
const parallelRows = 2048

// Apply runs the policy on every row of a pull batch, in place.
func (p *Policy) Apply(_ context.Context, b *schema.Batch) error {
	if p.push {
		return nil
	}
	salt := p.Salt()
	for _, rows := range b.Tables() {
		if rows.Len() == 0 {
			continue
		}
		tr := p.tables[rows.Table]
		if tr == nil {
			continue
		}
		workers := min(runtime.GOMAXPROCS(0), rows.Len()/(parallelRows/2))
		if workers <= 1 {
			if err := p.applyRows(rows, tr, salt); err != nil {
				return err
			}
			continue
		}
		var wg sync.WaitGroup
		errs := make([]error, workers)
		per := (rows.Len() + workers - 1) / workers
		for i := range workers {
			from, to := i*per, min((i+1)*per, rows.Len())
			if from >= to {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = p.applyRows(rows.Slice(from, to), tr, salt)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	return nil
}

func (p *Policy) applyRows(rows schema.Rows, tr *tableRules, salt []byte) error {
	var h *hasher
	if salt != nil {
		h = newHasher(salt)
	}
	w := &rewriter{p: p, h: h, decl: tr.decl}
	for _, cr := range tr.cols {
		if cr.rule.action == Hash && h == nil {
			return errNoSalt
		}
	}
	rewrite := tr.attrs != nil && !tr.attrsKeep && !dropped(tr, tr.attrs)
	for i := range rows.Len() {
		row := rows.Row(i)
		for _, cr := range tr.cols {
			c := cr.col
			if c.Kind != schema.KindString {
				row.SetNull(c) // keep and drop are the only actions for typed columns
				continue
			}
			v := row.Str(c)
			if *v == "" {
				continue
			}
			switch cr.rule.action {
			case Drop:
				*v = ""
			case Hash:
				*v = h.sum(cr.rule.class, *v)
			case Mask:
				*v = MaskValue(cr.rule.class, *v)
			}
		}
		if !rewrite {
			continue
		}
		a := row.Str(tr.attrs)
		if *a == "" {
			continue
		}
		out, err := w.rewrite(*a)
		switch {
		case errors.Is(err, errNoSalt):
			return err
		case err != nil:
			out = invalidAttributes
		}
		*a = out
	}
	return nil
}

func dropped(tr *tableRules, c *schema.Column) bool {
	for _, cr := range tr.cols {
		if cr.col == c {
			return true
		}
	}
	return false
}

// Attributes applies the policy to one attributes JSON value of a pull
// pipeline (tools and tests; Apply does this for every row).
func (p *Policy) Attributes(attrs string) (string, error) {
	var h *hasher
	if s := p.Salt(); s != nil {
		h = newHasher(s)
	}
	out, err := (&rewriter{p: p, h: h}).rewrite(attrs)
	if err != nil && !errors.Is(err, errNoSalt) {
		return invalidAttributes, nil
	}
	return out, err
}
