package lumire_test

import (
	"testing"
)

// TestExportsWithAnExtraColumnAreRead reads the payments through the CSV
// exports of a tenant whose exports carry a column the documented ones do
// not: metadata, each record's object as JSON text ("{}" mostly). The read
// succeeds, every payment arrives as through the API, and the metadata
// lands in attributes as the object it is.
func TestExportsWithAnExtraColumnAreRead(t *testing.T) {
	e := start(t, 60)
	api := e.read(t, e.config(t, ""), nil, "payments")
	e.srv.SetExportMetadataColumn(true)
	res := e.read(t, e.config(t, "read_path: export\n"), nil, "payments")
	if len(res.Batch.Payments) != len(api.Batch.Payments) || len(res.Batch.Payments) == 0 {
		t.Fatalf("the export gave %d payments, the API %d", len(res.Batch.Payments), len(api.Batch.Payments))
	}
	byID := map[string]string{}
	for _, p := range api.Batch.Payments {
		byID[p.VendorPaymentID] = p.Status + " " + p.Amount.String() + " " + p.Currency
	}
	withMeta := 0
	for _, p := range res.Batch.Payments {
		if got := p.Status + " " + p.Amount.String() + " " + p.Currency; got != byID[p.VendorPaymentID] {
			t.Errorf("payment %s: %s through the export, %s through the API", p.VendorPaymentID, got, byID[p.VendorPaymentID])
		}
		a := attrs(t, p.Attributes)
		if m, ok := a["metadata"].(map[string]any); ok && len(m) > 0 {
			withMeta++
		}
		if _, ok := a["metadata"].(string); ok {
			t.Errorf("payment %s: metadata kept as text: %s", p.VendorPaymentID, p.Attributes)
		}
	}
	if withMeta == 0 {
		t.Error("no payment's metadata came through the export column")
	}
}
