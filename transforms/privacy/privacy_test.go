package privacy_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/transforms/privacy"
)

func TestClassifyJudgesNamesVendorsUse(t *testing.T) {
	for name, want := range map[string]privacy.Class{
		// lumi
		"drivers_license_number": privacy.GovID, "drivers_license_card_number": privacy.GovID,
		"drivers_license_state": privacy.None, "home_address": privacy.HomeAddress, "company_address": privacy.None,
		"email_raw": privacy.Email, "phone_raw": privacy.Phone,
		// bizcap
		"driversLicenseNumber": privacy.GovID, "driverVersionNumber": privacy.GovID, "dateOfBirth": privacy.BirthDate,
		"secondaryEmail": privacy.Email, "secondaryPhone": privacy.Phone, "brokerContactNumber": privacy.Phone,
		"residentialAddress": privacy.HomeAddress, "businessAddress": privacy.None, "physicalAddress": privacy.None,
		"address_source": privacy.None, "abn": privacy.None,
		// iute
		"client_pin": privacy.GovID, "pin": privacy.GovID, "document_serial": privacy.GovID, "birth_date": privacy.BirthDate,
		"gsm": privacy.Phone, "phone_home": privacy.Phone, "alt_contact_phone": privacy.Phone, "street": privacy.HomeAddress,
		"client_name": privacy.None, "loan_ref": privacy.None,
		// lofty, lumire
		"birthday": privacy.BirthDate, "other_emails": privacy.Email, "other_phones": privacy.Phone,
		"lead_phone_number": privacy.Phone, "assigned_to_email": privacy.Email,
		// names vendors might give new fields
		"email": privacy.Email, "phone": privacy.Phone, "date_of_birth": privacy.BirthDate, "birth_year": privacy.None,
		"business_number": privacy.None, "partner_ref": privacy.None, "first_name": privacy.None, "postal_code": privacy.None,
		"account_ref": privacy.None, "detail": privacy.None,
		// whole words, and only words that say it: a unit, a house or a
		// flat alone is not a street address
		"term_unit": privacy.None, "houseToSell": privacy.None, "flat_fee": privacy.None, "unitPrice": privacy.None,
		"house_number": privacy.HomeAddress, "flatNo": privacy.HomeAddress, "emailable": privacy.None,
		// data about a value, not the value
		"email_status": privacy.None, "phone_type": privacy.None, "emailVerified": privacy.None,
	} {
		if got := privacy.Classify(name); got != want {
			t.Errorf("Classify(%q) = %s, want %s", name, got, want)
		}
	}
}

var salt = []byte("a-test-salt-of-enough-length")

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

func lumiLikeBatch() *schema.Batch {
	return &schema.Batch{Leads: []schema.Lead{{
		LeadUID: "lumi:1", Email: "olivia@harbourcafe.com.au", Phone: "+61412345678",
		DateOfBirth: schema.Date{Days: 6619, Valid: true}, BirthYear: schema.IntOf(1988), FirstName: "Olivia",
		Attributes: `{"email_raw":"Olivia@HarbourCafe.com.au ","reason_for_loan":["cash_flow"],` +
			`"home_address":{"street_number":"12","street":"Pier St","city":"Darling Harbour","postal_code":"2000","state":"NSW"},` +
			`"company_address":{"street":"1 George St","city":"Sydney"},"drivers_license_number":"12345678",` +
			`"drivers_license_state":"NSW","drivers_license_card_number":"C1234567","other_emails":["a@b.com","c@d.com"],` +
			`"email_status":"verified","phone_type":"mobile","nested":{"client":{"pin":"I80606014N","gsm":"0602160911"}}}`,
	}}}
}

func TestDefaultPolicyDropsIDsHashesContactsAndMasksHomeAddresses(t *testing.T) {
	p := privacy.Default(nil)
	p.SetSalt(salt)
	b := lumiLikeBatch()
	if err := p.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	l := b.Leads[0]
	if l.Email != privacy.HashValue(salt, privacy.Email, "olivia@harbourcafe.com.au") || !hex32.MatchString(l.Email) {
		t.Errorf("email %q is not its 128-bit hash", l.Email)
	}
	if l.Phone != privacy.HashValue(salt, privacy.Phone, "+61412345678") {
		t.Errorf("phone %q is not its hash", l.Phone)
	}
	if l.DateOfBirth.Valid || !l.BirthYear.Valid || l.BirthYear.V != 1988 || l.FirstName != "Olivia" {
		t.Errorf("date of birth %v / birth year %v / first name %q: want dropped / kept / kept", l.DateOfBirth, l.BirthYear, l.FirstName)
	}
	var attrs map[string]any
	if err := json.Unmarshal([]byte(l.Attributes), &attrs); err != nil {
		t.Fatalf("attributes are no longer JSON: %v\n%s", err, l.Attributes)
	}
	for _, gone := range []string{"drivers_license_number", "drivers_license_card_number"} {
		if _, ok := attrs[gone]; ok {
			t.Errorf("attributes still hold %s", gone)
		}
	}
	home := attrs["home_address"].(map[string]any)
	if _, ok := home["street"]; ok || home["street_number"] != nil || home["city"] != "Darling Harbour" || home["postal_code"] != "2000" {
		t.Errorf("home address %v: want the street gone and the locality kept", home)
	}
	if c := attrs["company_address"].(map[string]any); c["street"] != "1 George St" {
		t.Errorf("a business address lost its street: %v", c)
	}
	// email_raw is hashed in its canonical form: the same hash as the column.
	if attrs["email_raw"] != l.Email {
		t.Errorf("email_raw %v; want the hash of the same address, %s", attrs["email_raw"], l.Email)
	}
	others := attrs["other_emails"].([]any)
	if len(others) != 2 || others[0] != privacy.HashValue(salt, privacy.Email, "a@b.com") {
		t.Errorf("other_emails %v", others)
	}
	if attrs["email_status"] != "verified" || attrs["phone_type"] != "mobile" || attrs["drivers_license_state"] != "NSW" {
		t.Errorf("values about values were touched: %v", attrs)
	}
	client := attrs["nested"].(map[string]any)["client"].(map[string]any)
	if _, ok := client["pin"]; ok || client["gsm"] != privacy.HashValue(salt, privacy.Phone, "0602160911") {
		t.Errorf("nested client %v: want the pin dropped and the gsm hashed", client)
	}
	// Key order is the vendor's: the rewriter copies, it does not re-encode.
	if !strings.HasPrefix(l.Attributes, `{"email_raw":`) || strings.Index(l.Attributes, `"reason_for_loan"`) > strings.Index(l.Attributes, `"home_address"`) {
		t.Errorf("key order changed: %s", l.Attributes)
	}
}

func TestDeclaredClassesDecideAndNamesOnlyJudgeTheUndeclared(t *testing.T) {
	decl := privacy.Declared{schema.Leads: {
		"houseToSell":          schema.NotPersonal, // a Yes/No answer, whatever "house" suggests
		"streetAddress":        schema.HomeAddress,
		"contact_line":         schema.Phone, // a name that says nothing: declared, it is a phone
		"listing":              schema.NotPersonal,
		"listing.address":      schema.NotPersonal, // a property for sale, not the lead's home
		"listing.agent_mobile": schema.Phone,
		"custom_fields.*":      schema.Unclassified,
	}}
	p := privacy.Default(decl)
	p.SetSalt(salt)
	b := &schema.Batch{
		Leads: []schema.Lead{{LeadUID: "x:1", Attributes: `{"houseToSell":"Yes","streetAddress":"12 Pier St",` +
			`"contact_line":"ask for Ann","listing":{"address":"3 Bay Rd","agent_mobile":"0412 345 678","beds":"3"},` +
			`"custom_fields":{"Spouse Phone":"0400 000 001","Favourite Unit":"Unit 4"},"newVendorEmail":"a@b.com"}`}},
		Loans: []schema.Loan{{LoanUID: "x:1", TermUnit: "month", Attributes: `{"unit":"month"}`}},
	}
	if err := p.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	want := `{"houseToSell":"Yes","streetAddress":"***","contact_line":"` + privacy.HashValue(salt, privacy.Phone, "ask for Ann") + `",` +
		`"listing":{"address":"3 Bay Rd","agent_mobile":"` + privacy.HashValue(salt, privacy.Phone, "0412 345 678") + `","beds":"3"},` +
		`"custom_fields":{"Spouse Phone":"` + privacy.HashValue(salt, privacy.Phone, "0400 000 001") + `","Favourite Unit":"Unit 4"},` +
		`"newVendorEmail":"` + privacy.HashValue(salt, privacy.Email, "a@b.com") + `"}`
	if got := b.Leads[0].Attributes; got != want {
		t.Errorf("leads attributes\n got %s\nwant %s", got, want)
	}
	// A canonical column keeps its declared class whatever its name says.
	if l := b.Loans[0]; l.TermUnit != "month" || l.Attributes != `{"unit":"month"}` {
		t.Errorf("term_unit %q, attributes %s", l.TermUnit, l.Attributes)
	}
	for _, tab := range schema.Tables {
		for _, c := range tab.Columns {
			if c.Privacy == schema.Unclassified {
				t.Errorf("%s.%s has no privacy class", tab.Name, c.Name)
			}
		}
	}
}

func TestKeepingADeclaredKeyWarnsOnlyWhenItIsPersonal(t *testing.T) {
	var doc yaml.Node
	yaml.Unmarshal([]byte("columns: {term_unit: keep, email: keep}\nattributes: {houseToSell: keep, streetAddress: keep, house_number: keep}\n"), &doc)
	v, probs := config.NewValidator("p.yaml")
	privacy.Compile(v, "privacy", doc.Content[0], false, privacy.Declared{schema.Leads: {
		"houseToSell": schema.NotPersonal, "streetAddress": schema.HomeAddress}})
	text := probs.Warnings().Error()
	for _, quiet := range []string{"term_unit", "houseToSell"} {
		if strings.Contains(text, quiet) {
			t.Errorf("a warning about %s, which is not personal:\n%s", quiet, text)
		}
	}
	for _, want := range []string{"columns.email: keeps email (an email address)",
		"attributes.streetAddress: keeps streetAddress (a home address)",
		"attributes.house_number: keeps house_number (a home address)"} {
		if !strings.Contains(text, want) {
			t.Errorf("no warning %q in:\n%s", want, text)
		}
	}
}

func TestAddressesOfBusinessesAreKept(t *testing.T) {
	p := privacy.Default(nil)
	p.SetSalt(salt)
	in := `{"businessAddress":{"addressLine1":"1 George St","fullAddress":"1 George St, Sydney","city":"Sydney"},` +
		`"residentialAddress":{"addressLine1":"12 Pier St","fullAddress":"12 Pier St, Hobart","city":"Hobart","zipCode":"7000"},` +
		`"company":{"address":"1 George St"},"client":{"address":"12 Pier St","phones":[{"number":"+61 412 345 678","type":"mobile"}]},` +
		`"streetAddress":"12 Pier St","businessStartDate":"2001-10-18"}`
	out, err := p.Attributes(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"businessAddress":{"addressLine1":"1 George St","fullAddress":"1 George St, Sydney","city":"Sydney"},` +
		`"residentialAddress":{"city":"Hobart","zipCode":"7000"},` +
		`"company":{"address":"1 George St"},"client":{"address":"***","phones":[{"number":"` +
		privacy.HashValue(salt, privacy.Phone, "+61412345678") + `","type":"mobile"}]},` +
		`"streetAddress":"***","businessStartDate":"2001-10-18"}`
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestHashesAreStableForOneSaltAndDifferForAnother(t *testing.T) {
	run := func(s []byte) schema.Lead {
		p := privacy.Default(nil)
		p.SetSalt(s)
		b := lumiLikeBatch()
		if err := p.Apply(context.Background(), b); err != nil {
			t.Fatal(err)
		}
		return b.Leads[0]
	}
	a, b, c := run(salt), run(salt), run([]byte("another-salt-of-enough-length"))
	if a.Email != b.Email || a.Phone != b.Phone || a.Attributes != b.Attributes {
		t.Errorf("two runs with one salt differ:\n%v\n%v", a, b)
	}
	if a.Email == c.Email || a.Phone == c.Phone {
		t.Errorf("two salts give the same hash: %s", a.Email)
	}
	// The hash does not depend on how the address is written.
	if privacy.HashValue(salt, privacy.Email, " Olivia@HarbourCafe.com.AU") != a.Email {
		t.Error("an address in another case hashes differently")
	}
}

func TestLargeBatchesGiveTheSameResultInParallel(t *testing.T) {
	p := privacy.Default(nil)
	p.SetSalt(salt)
	one := lumiLikeBatch()
	if err := p.Apply(context.Background(), one); err != nil {
		t.Fatal(err)
	}
	big := &schema.Batch{Leads: make([]schema.Lead, 5000)}
	for i := range big.Leads {
		big.Leads[i] = lumiLikeBatch().Leads[0]
	}
	if err := p.Apply(context.Background(), big); err != nil {
		t.Fatal(err)
	}
	for i, l := range big.Leads {
		if l != one.Leads[0] {
			t.Fatalf("row %d differs:\n%+v\n%+v", i, l, one.Leads[0])
		}
	}
}

func TestHashingWithoutASaltFails(t *testing.T) {
	p := privacy.Default(nil)
	err := p.Apply(context.Background(), lumiLikeBatch())
	if err == nil || !strings.Contains(err.Error(), "no salt") {
		t.Errorf("err = %v; want a missing salt", err)
	}
}

func TestInvalidAttributesAreRemovedNotStored(t *testing.T) {
	p := privacy.Default(nil)
	p.SetSalt(salt)
	b := &schema.Batch{Leads: []schema.Lead{{LeadUID: "x:1", Attributes: `{"drivers_license_number": "123456`}}}
	if err := p.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.Leads[0].Attributes, "123456") || !json.Valid([]byte(b.Leads[0].Attributes)) {
		t.Errorf("attributes %q", b.Leads[0].Attributes)
	}
}

func compile(t *testing.T, src string, push bool) (*privacy.Policy, config.Problems) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	v, probs := config.NewValidator("p.yaml")
	p := privacy.Compile(v, "privacy", doc.Content[0], push, nil)
	return p, *probs
}

func TestExplicitPolicy(t *testing.T) {
	p, probs := compile(t, `
salt: an-explicit-salt-long-enough
columns:
  email: keep
  phone: mask
  leads.first_name: hash
attributes:
  home_address: drop
  drivers_license_number: mask
  nested.client.pin: keep
`, false)
	if len(probs.Errors()) > 0 {
		t.Fatalf("errors: %v", probs)
	}
	warnings := probs.Warnings().Error()
	for _, want := range []string{"p.yaml:4: warning: privacy.columns.email: keeps email (an email address)", "p.yaml:10: warning: privacy.attributes.nested.client.pin: keeps"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("no warning %q in:\n%s", want, warnings)
		}
	}
	b := lumiLikeBatch()
	if err := p.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	l := b.Leads[0]
	if l.Email != "olivia@harbourcafe.com.au" || l.Phone != "***678" || l.FirstName != privacy.HashValue([]byte("an-explicit-salt-long-enough"), privacy.None, "Olivia") {
		t.Errorf("email %q phone %q first name %q", l.Email, l.Phone, l.FirstName)
	}
	var attrs map[string]any
	json.Unmarshal([]byte(l.Attributes), &attrs)
	if _, ok := attrs["home_address"]; ok || attrs["drivers_license_number"] != "***678" {
		t.Errorf("attributes %v", attrs)
	}
	if pin := attrs["nested"].(map[string]any)["client"].(map[string]any)["pin"]; pin != "I80606014N" {
		t.Errorf("an explicit path keep did not keep: %v", pin)
	}
	// A salt set in the file is not replaced by the state store's.
	p.SetSalt(salt)
	if string(p.Salt()) != "an-explicit-salt-long-enough" {
		t.Error("the file's salt was replaced")
	}
}

func TestPolicyErrorsNameTheLine(t *testing.T) {
	_, probs := compile(t, `
salt: short
columns:
  emial: hash
  date_of_birth: mask
  leads.phone: scramble
  widgets.x: drop
  created_at: hash
attributes:
  home_address: hide
`, false)
	text := probs.Error()
	if n := strings.Count(text, "columns.created_at"); n != 1 {
		t.Errorf("a column of several tables is reported %d times:\n%s", n, text)
	}
	for _, want := range []string{
		`p.yaml:2: warning: privacy.salt: is shorter than 16 characters`,
		`p.yaml:4: privacy.columns.emial: no canonical table has column "emial" (did you mean email?)`,
		`p.yaml:5: privacy.columns.date_of_birth: leads.date_of_birth is a date column: it can be kept or dropped, not masked (birth_year keeps the year)`,
		`p.yaml:6: privacy.columns.leads.phone: must be keep, drop, mask or hash, got "scramble"`,
		`p.yaml:7: privacy.columns.widgets.x: no table "widgets"`,
		`p.yaml:8: privacy.columns.created_at: leads.created_at is a timestamp column`,
		`p.yaml:10: privacy.attributes.home_address: must be keep, drop, mask or hash, got "hide"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	if strings.Contains(text, "short\n") || strings.Contains(text, ": short") {
		t.Errorf("the salt reached a message:\n%s", text)
	}
}

func TestMaskShapes(t *testing.T) {
	for _, tc := range []struct {
		c    privacy.Class
		in   string
		want string
	}{
		{privacy.Email, "Olivia@HarbourCafe.com.au", "***@harbourcafe.com.au"},
		{privacy.Phone, "+61 412 345 678", "***678"},
		{privacy.GovID, "I80606014N", "***14N"},
		{privacy.GovID, "1234", "***"},
		{privacy.BirthDate, "14/02/1988", "1988"},
		{privacy.HomeAddress, "12 Pier St", "***"},
		{privacy.None, "Olivia", "O***"},
	} {
		if got := privacy.MaskValue(tc.c, tc.in); got != tc.want {
			t.Errorf("MaskValue(%s, %q) = %q, want %q", tc.c, tc.in, got, tc.want)
		}
	}
}

func TestPushScrubber(t *testing.T) {
	p, probs := compile(t, "columns: {notes: hash}\n", true)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	p.SetSalt(salt)
	header := []string{"application_id", "pin", "email", "mobile", "birth_date", "notes", "street", "company_street", "abn"}
	fields := map[string]string{"pin": "pin", "customer.phone": "mobile", "birth_date": "birth_date",
		"company.address.street": "company_street", "street": "street", "company.abn": "abn"}
	classes := map[string]privacy.Class{"customer.phone": privacy.Phone, "pin": privacy.GovID}
	s, err := p.Push("p.yaml", header, fields, classes, []string{"email"})
	if err != nil {
		t.Fatal(err)
	}
	got := s.Sensitive()
	want := map[string]privacy.Action{"pin": privacy.Drop, "email": privacy.Hash, "mobile": privacy.Hash,
		"birth_date": privacy.Drop, "notes": privacy.Hash, "street": privacy.Mask}
	for c, a := range want {
		if got[c] != a {
			t.Errorf("column %s: %s, want %s", c, got[c], a)
		}
	}
	if _, ok := got["company_street"]; ok || len(got) != len(want) {
		t.Errorf("sensitive columns %v", got)
	}
	if !s.KeyHashed() || s.Key("ann@example.com") != privacy.HashValue(salt, privacy.None, "ann@example.com") {
		t.Error("a key on an email column is not stored hashed")
	}
	values := map[string]string{"application_id": "APP-1", "pin": "I80606014N", "email": "Ann@Example.com",
		"mobile": "0412 345 678", "birth_date": "31/08/1997", "notes": "call after 5", "street": "Stefan cel Mare",
		"abn": "5541234567"}
	rec := connectors.Record{Row: 1, Fields: map[string]any{"pin": "I80606014N", "customer.phone": "+61412345678",
		"birth_date": connectors.Date{Time: time.Date(1997, 8, 31, 0, 0, 0, 0, time.UTC)}, "company.abn": "5541234567"}}
	rs := s.Row(values, &rec)
	msg := rs.Text(`PIN I80606014N born 31.08.1997 (1997-08-31): "+61412345678" is not mobile 0412345678, 0412 345 678; write to ann@example.com`)
	for _, raw := range []string{"I80606014N", "31.08.1997", "1997-08-31", "+61412345678", "0412345678", "0412 345 678", "ann@example.com"} {
		if strings.Contains(msg, raw) {
			t.Errorf("%q is still in %q", raw, msg)
		}
	}
	// Each value is described by its shape, never by a hash.
	for _, shape := range []string{"[an id of 10 characters (letters and digits)]", "[a date written like 99/99/9999]",
		"[10 digits starting 04]", "[an email at example.com]"} {
		if !strings.Contains(msg, shape) {
			t.Errorf("no %q in %q", shape, msg)
		}
	}
	if strings.Contains(msg, `"[`) || regexp.MustCompile(`[0-9a-f]{32}`).MatchString(msg) {
		t.Errorf("a quoted shape or a hash in %q", msg)
	}
	// Whole values only: the phone's digits inside the ABN stay, and so
	// does the ABN, which is not personal.
	if got := rs.Text(`ABN "5541234567" must be 9 or 11 digits`); got != `ABN "5541234567" must be 9 or 11 digits` {
		t.Errorf("text inside another value was replaced: %q", got)
	}
	if v := rs.Value("abn", "company.abn", "5541234567"); v != "5541234567" {
		t.Errorf("a value that is not sensitive changed: %q", v)
	}
	if v := rs.Value("mobile", "customer.phone", "0412 345 678"); v != "[10 digits starting 04]" {
		t.Errorf("reject value %q", v)
	}
	if v := rs.Value("pin", "pin", "I80606014N"); v != "[an id of 10 characters (letters and digits)]" {
		t.Errorf("a government id in a reject's value: %q", v)
	}
	if v := rs.Value("application_id", "", "APP-1"); v != "APP-1" {
		t.Errorf("a plain value changed: %q", v)
	}
	// A short value is replaced where it is quoted, as the whole value.
	short := s.Row(map[string]string{"mobile": "12"}, nil)
	if got := short.Text(`"12" is not a phone number (6 to 15 digits)`); got != `[2 digits] is not a phone number (6 to 15 digits)` {
		t.Errorf("short quoted value: %q", got)
	}
	extra := rs.Extra(map[string]string{"loan_ref": "90001", "client_pin": "I80606014N", "client_name": "Ann Smith"})
	if _, ok := extra["client_pin"]; ok || extra["loan_ref"] != "90001" || extra["client_name"] != "Ann Smith" {
		t.Errorf("extra %v", extra)
	}

	// An explicit keep covers the fields the column feeds, in text too.
	p3, _ := compile(t, "columns:\n  mobile: keep\n", true)
	p3.SetSalt(salt)
	s3, err := p3.Push("p.yaml", header, fields, classes, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := s3.Row(values, &rec).Text("+61412345678 and 0412 345 678"); got != "+61412345678 and 0412 345 678" {
		t.Errorf("a kept phone was replaced: %q", got)
	}

	// A policy column that is not in the input names its line.
	p2, _ := compile(t, "columns:\n  mobil: keep\n", true)
	_, err = p2.Push("p.yaml", header, fields, classes, nil)
	var ps config.Problems
	if !errors.As(err, &ps) || !strings.Contains(err.Error(), `p.yaml:2: privacy.columns.mobil: column "mobil" is not in the input`) {
		t.Errorf("err = %v", err)
	}
}

func TestDescribeShapes(t *testing.T) {
	for _, tc := range []struct {
		c        privacy.Class
		in, want string
	}{
		{privacy.Email, "Olivia@HarbourCafe.com.au", "[an email at harbourcafe.com.au]"},
		{privacy.Email, "olivia.example.com", "[18 characters without @]"},
		{privacy.Phone, "0499 492 226", "[10 digits starting 04]"},
		{privacy.Phone, "+44 7700 900123", "[12 digits starting +44]"},
		{privacy.Phone, "call me", "[7 characters, no digits]"},
		{privacy.BirthDate, "Jul 4, 1990", "[a date written like aaa 9, 9999]"},
		{privacy.GovID, "12345678", "[an id of 8 characters (digits only)]"},
		{privacy.HomeAddress, "12 Pier St", "[a street address of 10 characters]"},
		{privacy.None, "", ""},
	} {
		if got := privacy.Describe(tc.c, tc.in); got != tc.want {
			t.Errorf("Describe(%s, %q) = %q, want %q", tc.c.Name(), tc.in, got, tc.want)
		}
	}
}

func BenchmarkDefaultPolicy(b *testing.B) {
	p := privacy.Default(nil)
	p.SetSalt(salt)
	src := lumiLikeBatch().Leads[0]
	batch := &schema.Batch{Leads: make([]schema.Lead, 5000)}
	b.ReportAllocs()
	for b.Loop() {
		for i := range batch.Leads {
			batch.Leads[i] = src
		}
		if err := p.Apply(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch.Leads)), "ns/row")
}
