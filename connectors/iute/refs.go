package iute

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
)

// refBook is the set of loan refs leadpipe knows for Iute: the engine's
// state store (env.Refs) when there is one, an in-memory store otherwise
// (tests, tools), plus the refs the config imports (loan_refs,
// import_refs_from), which are added to that store on first use.
type refBook struct {
	store connectors.RefStore
	cfg   *Config
	open  func(ctx context.Context, location string) (io.ReadCloser, error)

	importMu sync.Mutex
	imported bool

	// A cache of the known refs for Validate, which has no context and is
	// called for every row.
	cacheMu  sync.Mutex
	cache    map[string]bool
	loadedAt time.Time
}

func newRefBook(cfg *Config, env connectors.Env) *refBook {
	b := &refBook{store: env.Refs, cfg: cfg, open: env.Open}
	if b.store == nil {
		b.store = &memRefs{}
	}
	if b.open == nil {
		b.open = func(_ context.Context, loc string) (io.ReadCloser, error) { return os.Open(loc) }
	}
	return b
}

// importConfigRefs adds the config's refs to the store, once.
func (b *refBook) importConfigRefs(ctx context.Context) error {
	b.importMu.Lock()
	defer b.importMu.Unlock()
	if b.imported {
		return nil
	}
	refs := slices.Clone(b.cfg.LoanRefs)
	if b.cfg.ImportRefsFrom != "" {
		more, err := b.readRefsFile(ctx, b.cfg.ImportRefsFrom)
		if err != nil {
			return err
		}
		refs = append(refs, more...)
	}
	for _, r := range refs {
		if err := b.store.AddRef(ctx, r, ""); err != nil {
			return fmt.Errorf("iute: import loan ref %s: %w", r, err)
		}
	}
	b.imported = true
	return nil
}

// readRefsFile reads the refs of a CSV file: the column loan_ref (or
// loanRef, ref), or the only column.
func (b *refBook) readRefsFile(ctx context.Context, loc string) ([]string, error) {
	rc, err := b.open(ctx, loc)
	if err != nil {
		return nil, fmt.Errorf("iute: import_refs_from %s: %w", loc, err)
	}
	defer rc.Close()
	r := csv.NewReader(rc)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("iute: import_refs_from %s: read the header: %w", loc, err)
	}
	col := -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "loan_ref", "loanref", "ref":
			col = i
		}
	}
	var refs []string
	if col < 0 {
		if len(header) != 1 {
			return nil, fmt.Errorf("iute: import_refs_from %s: no loan_ref column (columns: %s)", loc, strings.Join(header, ", "))
		}
		col = 0
		// A one-column file without a header: its first line is a ref.
		if h := strings.TrimSpace(strings.TrimPrefix(header[0], "\ufeff")); refRe.MatchString(h) {
			refs = append(refs, h)
		}
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("iute: import_refs_from %s: %w", loc, err)
		}
		if col >= len(rec) {
			continue
		}
		v := strings.TrimSpace(rec[col])
		if v == "" {
			continue
		}
		if !refRe.MatchString(v) {
			return nil, fmt.Errorf("iute: import_refs_from %s line %d: %q is not a loan ref (a whole number such as 90000)", loc, line, v)
		}
		refs = append(refs, v)
	}
	return refs, nil
}

// all lists every known ref, oldest first, without duplicates.
func (b *refBook) all(ctx context.Context) ([]string, error) {
	if err := b.importConfigRefs(ctx); err != nil {
		return nil, err
	}
	refs, err := b.store.Refs(ctx)
	if err != nil {
		return nil, fmt.Errorf("iute: list the known loan refs: %w", err)
	}
	seen := make(map[string]bool, len(refs))
	out := refs[:0:0]
	for _, r := range refs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out, nil
}

// add records a ref leadpipe just learned (a submitted loan).
func (b *refBook) add(ctx context.Context, ref, rowKey string) error {
	if err := b.store.AddRef(ctx, ref, rowKey); err != nil {
		return err
	}
	b.cacheMu.Lock()
	if b.cache != nil {
		b.cache[ref] = true
	}
	b.cacheMu.Unlock()
	return nil
}

// reloadEvery bounds how often a cache miss reloads the refs.
const reloadEvery = 2 * time.Second

// known reports whether ref is known. A miss reloads the refs (another
// pipeline may have submitted the loan since), at most every reloadEvery.
func (b *refBook) known(ctx context.Context, ref string) (bool, error) {
	b.cacheMu.Lock()
	defer b.cacheMu.Unlock()
	if b.cache[ref] {
		return true, nil
	}
	if b.cache != nil && time.Since(b.loadedAt) < reloadEvery {
		return false, nil
	}
	refs, err := b.all(ctx)
	if err != nil {
		return false, err
	}
	b.cache = make(map[string]bool, len(refs))
	for _, r := range refs {
		b.cache[r] = true
	}
	b.loadedAt = time.Now()
	return b.cache[ref], nil
}

// memRefs is a RefStore in memory, for a connector built without a state
// store.
type memRefs struct {
	mu   sync.Mutex
	refs []string
	seen map[string]bool
}

func (m *memRefs) AddRef(_ context.Context, ref, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	if !m.seen[ref] {
		m.seen[ref] = true
		m.refs = append(m.refs, ref)
	}
	return nil
}

func (m *memRefs) Refs(context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.refs), nil
}
