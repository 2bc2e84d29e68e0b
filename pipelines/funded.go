package pipelines

import (
	"context"

	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
)

// fundedDates makes a loan's funding date data rather than folklore: every
// loan row with a funded_at says where it came from (funded_at_source), and
// a loan whose vendor gives no date (Iute) gets the extraction time of the
// first run that saw it funded, kept in the state store so that later runs
// repeat it instead of moving it.
type fundedDates struct {
	store  *state.Store
	runID  string
	at     schema.Timestamp
	record bool // false in a dry run: the store is not written
}

func (f *fundedDates) apply(ctx context.Context, b *schema.Batch) error {
	need := map[string]bool{}
	for i := range b.Loans {
		l := &b.Loans[i]
		switch {
		case l.FundedAt.Valid:
			l.FundedAtSource = schema.FundedAtVendor
		case l.LoanUID != "":
			need[l.LoanUID] = need[l.LoanUID] || l.Status == schema.StatusFunded
		}
	}
	if len(need) == 0 {
		return nil
	}
	seen, err := f.store.FirstSeenFunded(ctx, f.runID, f.at.Time(), need, f.record)
	if err != nil {
		return err
	}
	for i := range b.Loans {
		l := &b.Loans[i]
		if t, ok := seen[l.LoanUID]; ok && !l.FundedAt.Valid {
			l.FundedAt, l.FundedAtSource = schema.TimestampOf(t), schema.FundedAtFirstSeen
		}
	}
	return nil
}
