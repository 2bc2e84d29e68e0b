package bizcap_test

import (
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/connectors/bizcap/bizcaptest"
)

// TestEachLeadAndDealIsInItsOwnMarketsCurrency reads an AU account whose
// leads are AU, NZ and UK leads (the sandbox's brokers in each market): a
// lead's currency is its own market's, told by its business number, its
// address country or its phone's country code, and a deal's is its lead's.
// Nothing is AUD by default any more.
func TestEachLeadAndDealIsInItsOwnMarketsCurrency(t *testing.T) {
	e := start(t, 120)
	res := e.read(t, e.config(t, ""), nil)
	want := map[string]string{}
	byCountry := map[string]int{}
	for _, l := range e.srv.Leads() {
		cur := map[string]string{"AU": "AUD", "NZ": "NZD", "GB": "GBP", "SG": "SGD"}[leadCountry(l)]
		want["bizcap:"+l.ID] = cur
		byCountry[cur]++
	}
	if byCountry["NZD"] == 0 || byCountry["GBP"] == 0 || byCountry["AUD"] == 0 {
		t.Fatalf("the dataset lacks a market: %v", byCountry)
	}
	got := map[string]int{}
	for _, l := range res.Batch.Leads {
		if l.Currency != want[l.LeadUID] {
			t.Errorf("lead %s: %s, want %s (%s)", l.LeadUID, l.Currency, want[l.LeadUID], l.Attributes)
		}
		got[l.Currency]++
	}
	deals := 0
	for _, d := range res.Batch.Loans {
		if w, ok := want[d.LeadUID]; ok {
			deals++
			if d.Currency != w {
				t.Errorf("deal %s of lead %s: %s, want %s", d.LoanUID, d.LeadUID, d.Currency, w)
			}
			if !strings.Contains(d.Attributes, `"market_from":"lead `) {
				t.Errorf("deal %s does not say its market is its lead's: %s", d.LoanUID, d.Attributes)
			}
		}
	}
	if deals == 0 {
		t.Fatal("no deal is linked to a lead")
	}
	t.Logf("leads by currency %v", got)
}

// leadCountry is the sandbox lead's market: the country of its broker,
// which the generator gives its phone, addresses and business number.
func leadCountry(l bizcaptest.Lead) string {
	for _, b := range bizcaptest.Brokers() {
		if b.ID == l.Fields.Broker.ID {
			return b.Country
		}
	}
	return ""
}

