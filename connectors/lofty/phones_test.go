package lofty_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/leadpipe/leadpipe/connectors/connectortest"
	"github.com/leadpipe/leadpipe/connectors/lofty/loftytest"
)

// TestNationalPhonesAreReadForTheAccountsRegionOrNotAtAll runs an account
// whose numbers are AU numbers written without a country code (0499 492
// 226) under both readings of phone_region. With AU, every one becomes a
// valid +61 number. With US, none is converted (0499492226 is not a US
// number, and +10499492226 is no one's): the phone column stays null, the
// raw text stays in other_phones, and each is counted as an invalid value.
func TestNationalPhonesAreReadForTheAccountsRegionOrNotAtAll(t *testing.T) {
	e := start(t, 40)
	e.srv.UseAUPhones()
	raw := map[string][]string{}
	total := 0
	for _, l := range e.srv.Leads() {
		raw[fmt.Sprint(l.LeadID)] = l.Phones
		total += len(l.Phones)
	}
	if total == 0 {
		t.Fatal("the sandbox has no phones")
	}
	cfgFor := func(region string) any {
		return connectortest.Config(t, "lofty", fmt.Sprintf("base_url: %s/v1.0\naccess_token: %s\nphone_region: %s\n",
			e.http.URL, loftytest.AccessToken, region))
	}

	au := e.read(t, cfgFor("AU"), nil, "leads")
	sawIssueNumber := false
	for _, l := range au.Batch.Leads {
		if len(raw[l.VendorLeadID]) == 0 {
			continue
		}
		n, err := phonenumbers.Parse(l.Phone, "")
		if err != nil || !phonenumbers.IsValidNumber(n) || phonenumbers.GetRegionCodeForNumber(n) != "AU" {
			t.Errorf("lead %s: phone %q from %v is not a valid AU number", l.VendorLeadID, l.Phone, raw[l.VendorLeadID])
		}
		sawIssueNumber = sawIssueNumber || l.Phone == "+61499492226"
	}
	if !sawIssueNumber {
		t.Error("0499 492 226 did not become +61499492226")
	}
	if n := au.Unknowns.InvalidTotal(); n != 0 {
		t.Errorf("%d invalid values with phone_region AU: %v", n, au.Unknowns.InvalidList())
	}

	us := e.read(t, cfgFor("US"), nil, "leads")
	kept := 0
	for _, l := range us.Batch.Leads {
		if l.Phone != "" {
			t.Errorf("lead %s: phone %q made up from %v", l.VendorLeadID, l.Phone, raw[l.VendorLeadID])
		}
		var attrs struct {
			Other []string `json:"other_phones"`
		}
		json.Unmarshal([]byte(l.Attributes), &attrs)
		for _, o := range attrs.Other {
			if strings.HasPrefix(o, "+1") {
				t.Errorf("lead %s: a made-up +1 number in other_phones %v", l.VendorLeadID, attrs.Other)
			}
		}
		for _, p := range raw[l.VendorLeadID] {
			if !strings.Contains(strings.Join(attrs.Other, "|"), p) {
				t.Errorf("lead %s: raw %q is not in other_phones %v", l.VendorLeadID, p, attrs.Other)
			}
			kept++
		}
	}
	inv := us.Unknowns.InvalidList()
	if len(inv) != 1 || inv[0].Field != "lead.phones" || inv[0].Value != "not a valid US phone number" || inv[0].Count != int64(total) {
		t.Errorf("invalid values %v; want %d phones counted as not valid US numbers", inv, total)
	}
	if kept != total {
		t.Errorf("%d of %d raw numbers kept", kept, total)
	}
}
