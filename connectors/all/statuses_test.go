package all_test

import (
	"testing"

	"github.com/leadpipe/leadpipe/connectors/bizcap"
	"github.com/leadpipe/leadpipe/connectors/iute"
	"github.com/leadpipe/leadpipe/connectors/lofty"
	"github.com/leadpipe/leadpipe/connectors/lumi"
	"github.com/leadpipe/leadpipe/connectors/lumire"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/transforms/normalize"
)

// meanings are vendor status words whose meaning does not depend on the
// vendor: wherever a connector maps one of them, it must map it here.
// Words whose meaning does are left out: "closed" is a lost lead at Bizcap
// and a repaid loan at Iute; "new" is a new lead, but a new Iute loan is an
// application waiting for its decision.
var meanings = map[string]string{
	"new lead":           schema.StatusNew,
	"attempted contact":  schema.StatusContacting,
	"attempting contact": schema.StatusContacting,
	"contacted":          schema.StatusContacting,
	"nurture":            schema.StatusContacting,
	"nurturing":          schema.StatusContacting,
	"qualified":          schema.StatusQualifying,
	"unqualified":        schema.StatusLost,
	"application":        schema.StatusApplication,
	"approved":           schema.StatusApproved,
	"funded":             schema.StatusFunded,
	"declined":           schema.StatusDeclined,
	"rejected":           schema.StatusDeclined,
	"cancelled":          schema.StatusLost,
	"withdrawn":          schema.StatusLost,
	"lost":               schema.StatusLost,
	"closed lost":        schema.StatusLost,
	"expired":            schema.StatusExpired,
}

// TestStatusMapsAgreeAcrossVendors checks every connector's lead and loan
// status maps against meanings, so that one word means one status whichever
// vendor sends it (LumireCRM's nurturing and Lofty's Nurture are both
// contacting), and that the payment statuses spell cancelled one way.
func TestStatusMapsAgreeAcrossVendors(t *testing.T) {
	tables := map[string]map[string]string{
		"lumi leads":          lumi.StatusMap,
		"bizcap leads":        bizcap.LeadStatusMap,
		"bizcap deals":        bizcap.DealStatusMap,
		"lofty stages":        lofty.DefaultStageMap,
		"lumire leads":        lumire.LeadStatusMap,
		"iute check_status":   iute.ApprovedMap,
		"iute loan_status":    iute.LoanStatusMap,
		"lumire transactions": lumire.TransactionStatusMap,
		"lumire deposits":     lumire.DepositStatusMap,
		"lumire withdrawals":  lumire.WithdrawalStatusMap,
	}
	checked := 0
	for name, m := range tables {
		payments := len(name) > 6 && name[:6] == "lumire" && name != "lumire leads"
		for raw, got := range m {
			key := normalize.StatusKey(raw)
			want, ok := meanings[key]
			if payments {
				// Payment statuses are their own vocabulary; cancelled
				// is one of them, however it is spelled.
				want, ok = map[string]string{"cancelled": lumire.PaymentCancelled}[key]
			}
			if !ok {
				continue
			}
			checked++
			if got != want {
				t.Errorf("%s maps %q to %s; the same word means %s everywhere else", name, raw, got, want)
			}
		}
	}
	if checked < 15 {
		t.Errorf("only %d statuses matched a meaning: the test checks too little", checked)
	}
	// Both spellings of cancelled land the same wherever cancelled is
	// mapped, at Iute (loan_status) and at LumireCRM (payments).
	for _, m := range []map[string]string{iute.LoanStatusMap, lumire.WithdrawalStatusMap, lumire.DepositStatusMap, lumire.TransactionStatusMap} {
		tbl := normalize.NewStatusTable(m)
		a, okA := tbl.Lookup("cancelled")
		b, okB := tbl.Lookup("Canceled")
		if !okA || !okB || a != b {
			t.Errorf("cancelled %q/%v and canceled %q/%v differ in %v", a, okA, b, okB, m)
		}
	}
}
