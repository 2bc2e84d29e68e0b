package lumire_test

import (
	"testing"

	"github.com/leadpipe/leadpipe/connectors/lumire"
	"github.com/leadpipe/leadpipe/schema"
)

// TestEveryStatusTheCRMHasLandsWhereItMeans reads the demo-sized dataset,
// which holds a lead kept warm (nurturing) and a withdrawal called off
// (cancelled), then sets a withdrawal to the US spelling "canceled": each
// maps to its meaning, none is counted as unknown, and no cancelled
// withdrawal lands as pending.
func TestEveryStatusTheCRMHasLandsWhereItMeans(t *testing.T) {
	e := start(t, 300)
	res := e.read(t, e.config(t, ""), nil)
	if n := res.Unknowns.Total(); n != 0 {
		t.Fatalf("unknown values in a dataset without injected ones: %v", res.Unknowns.List())
	}
	sawNurturing, sawCancelled := false, ""
	for _, l := range res.Batch.Leads {
		if l.VendorStatus == "nurturing" {
			sawNurturing = true
			if l.Status != schema.StatusContacting {
				t.Errorf("nurturing lead %s is %s; want contacting, as Lofty's Nurture", l.VendorLeadID, l.Status)
			}
		}
	}
	for _, p := range res.Batch.Payments {
		a := attrs(t, p.Attributes)
		if a["source"] == "withdrawal" && a["vendor_status"] == "cancelled" {
			sawCancelled = p.VendorPaymentID
			if p.Status != lumire.PaymentCancelled {
				t.Errorf("cancelled withdrawal %s is %s", p.VendorPaymentID, p.Status)
			}
		}
	}
	if !sawNurturing || sawCancelled == "" {
		t.Fatalf("the dataset lacks a nurturing lead (%v) or a cancelled withdrawal (%q)", sawNurturing, sawCancelled)
	}

	if err := e.srv.SetStatus(sawCancelled, "Canceled"); err != nil {
		t.Fatal(err)
	}
	res = e.read(t, e.config(t, ""), nil, "payments")
	for _, p := range res.Batch.Payments {
		if p.VendorPaymentID == sawCancelled && p.Status != lumire.PaymentCancelled {
			t.Errorf("a withdrawal spelled Canceled is %s", p.Status)
		}
	}
	if n := res.Unknowns.Total(); n != 0 {
		t.Errorf("the US spelling was counted as unknown: %v", res.Unknowns.List())
	}
}
