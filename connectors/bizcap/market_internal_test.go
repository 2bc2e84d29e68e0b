package bizcap

import (
	"encoding/json"
	"testing"

	"github.com/leadpipe/leadpipe/config"
)

// TestTheLeadsOwnEvidenceDecidesItsMarket checks the order of evidence on
// single records: business number, then address country, then phone,
// then the broker (broker_regions), then the account's region.
func TestTheLeadsOwnEvidenceDecidesItsMarket(t *testing.T) {
	for _, tc := range []struct {
		name, fields string
		brokers      map[string]string
		want, by     string
	}{
		{"NZBN over an AU phone", `"nzbn":"9429041234567","phone":"+61412345678"`, nil, "NZD", "nzbn"},
		{"address country", `"businessAddress":{"city":"Leeds","country":"United Kingdom"},"phone":"+61412345678"`, nil, "GBP", "businessAddress.country"},
		{"phone country code alone", `"phone":"+64211234567"`, nil, "NZD", "phone"},
		{"nothing shown: the broker's market", `"broker":{"id":"b-1","name":"Kiwi"}`, map[string]string{"b-1": "NZ"}, "NZD", "broker_regions"},
		{"nothing at all: the account's region", `"firstName":"Ann"`, nil, "AUD", "region"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &Config{Region: "AU", BrokerRegions: tc.brokers, Token: config.NewSecret("x")}
			cfg.SetDefaults()
			var f fields
			if err := json.Unmarshal([]byte("{"+tc.fields+"}"), &f); err != nil {
				t.Fatal(err)
			}
			n := &normalizer{cfg: cfg}
			l := n.lead(&record{ID: "x1", Fields: f})
			if l.Currency != tc.want || n.market(f).by != tc.by {
				t.Errorf("currency %s by %s, want %s by %s", l.Currency, n.market(f).by, tc.want, tc.by)
			}
		})
	}
}
