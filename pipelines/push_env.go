package pipelines

import (
	"context"
	"io"
	"maps"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// What a push gives its connector (connectors.Env) and its ledger.

// refStore scopes the state store's loan refs to one vendor.
type refStore struct {
	store    *state.Store
	vendor   string
	pipeline string
	key      func(string) string // the row key as stored (privacy); nil: as it is
}

func (s *refStore) AddRef(ctx context.Context, ref, rowKey string) error {
	origin := "submitted"
	if rowKey == "" {
		origin = "imported"
	}
	if s.key != nil {
		rowKey = s.key(rowKey)
	}
	return s.store.AddLoanRef(ctx, state.LoanRef{Vendor: s.vendor, Ref: ref, Pipeline: s.pipeline, RowKey: rowKey, Origin: origin})
}

func (s *refStore) Refs(ctx context.Context) ([]string, error) {
	refs, err := s.store.LoanRefs(ctx, s.vendor)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Ref
	}
	return out, nil
}

func openLocation(ctx context.Context, loc string, opts storage.Options) (io.ReadCloser, error) {
	dir, key := storage.Split(loc)
	st, err := storage.Open(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	return st.Open(ctx, key)
}

// withPayment adds a row's payment to the vendor values the ledger keeps.
func withPayment(extra map[string]string, p connectors.Payment) map[string]string {
	if p.IsZero() {
		return extra
	}
	out := make(map[string]string, len(extra)+3)
	maps.Copy(out, extra)
	out["loan_ref"], out["amount"], out["currency"] = p.Loan, p.Amount.String(), p.Currency
	return out
}

// intOrNull is a status for a receipt: null when there is none.
func intOrNull(v int) schema.Int {
	if v == 0 {
		return schema.Int{}
	}
	return schema.IntOf(int64(v))
}
