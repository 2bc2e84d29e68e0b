package mapping

import (
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/connectors"
)

func TestCurrencyMarkers(t *testing.T) {
	for in, want := range map[string][2]string{
		"$20,000": {"$", ""}, "USD 20,000": {"USD", "USD"}, "£20,000": {"£", "GBP"}, "EUR 20000": {"EUR", "EUR"},
		"20000 AUD": {"AUD", "AUD"}, "A$20,000": {"A$", "AUD"}, "-$20": {"$", ""}, "NZ$ 5": {"NZ$", "NZD"},
		"aud 300": {"aud", "AUD"}, "1000 lei": {"lei", "MDL"}, "€ 9.50": {"€", "EUR"},
	} {
		marker, code, ok := currencyMarker(in)
		if !ok || marker != want[0] || code != want[1] {
			t.Errorf("currencyMarker(%q) = %q, %q, %v; want %q, %q", in, marker, code, ok, want[0], want[1])
		}
	}
	for _, in := range []string{"20,000", "20000", "twenty thousand", "-12.5", "abc"} {
		if marker, _, ok := currencyMarker(in); ok {
			t.Errorf("currencyMarker(%q) found %q", in, marker)
		}
	}
	aud := connectors.Field{Name: "loan.requested_amount", Type: connectors.TypeNumber, Currency: "AUD"}
	plain := connectors.Field{Name: "amountRequested", Type: connectors.TypeNumber, PlainNumber: true}
	free := connectors.Field{Name: "customer.credit_score", Type: connectors.TypeNumber}
	for _, tc := range []struct {
		in   string
		f    connectors.Field
		want string // "" = accepted
	}{
		{"AUD 20,000", aud, ""}, {"20,000", aud, ""}, {"A$20,000", aud, ""},
		{"$20,000", aud, "names no one currency"}, {"USD 20,000", aud, "is in USD; this field is in AUD"},
		{"£20,000", aud, "is in GBP"}, {"EUR 20000", aud, "is in EUR"},
		{"20,000", plain, ""}, {"$20,000", plain, "plain numbers only"}, {"AUD 20000", plain, "plain numbers only"},
		{"$700", free, ""},
	} {
		err := checkCurrency(tc.in, tc.f)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q for %s: %v, want accepted", tc.in, tc.f.Name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q for %s: %v, want an error saying %q", tc.in, tc.f.Name, err, tc.want)
		}
	}
}
