package lofty_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/connectortest"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/connectors/lofty"
	"github.com/leadpipe/leadpipe/connectors/lofty/loftytest"
	"github.com/leadpipe/leadpipe/schema"
)

func newTarget(t testing.TB, cfgText string) (connectors.Target, connectors.StatsReporter) {
	t.Helper()
	spec, ok := connectors.Lookup("lofty")
	if !ok {
		t.Fatal("lofty is not registered")
	}
	conn, err := spec.New(connectortest.Config(t, "lofty", cfgText), connectors.Env{Pipeline: "test", Unknowns: &schema.Unknowns{}})
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := conn.(connectors.Pusher).Target(t.Context(), "leads")
	if err != nil {
		t.Fatal(err)
	}
	return tgt, conn.(connectors.StatsReporter)
}

func rec(row int, fields map[string]any) connectors.Record {
	return connectors.Record{Row: row, Fields: fields}
}

func TestPushFields(t *testing.T) {
	e := start(t, 1)
	tgt, _ := newTarget(t, e.baseConfig(""))
	names := map[string]connectors.Field{}
	for _, f := range tgt.Fields() {
		names[f.Name] = f
	}
	for _, n := range []string{"firstName", "lastName", "emails", "phones", "birthday", "stage", "leadType", "leadTypes",
		"tags", "segments", "source", "assignedUserId", "custom.Loan Amount", "custom.Loan Purpose", "custom.Business Name"} {
		if _, ok := names[n]; !ok {
			t.Errorf("no field %s", n)
		}
	}
	if f := names["birthday"]; f.Type != connectors.TypeDate || f.Format != lofty.BirthdayFormat {
		t.Errorf("birthday: %+v", f)
	}
	if _, err := tgt.(interface {
		Update(context.Context, string, connectors.Record, string) (connectors.Receipt, error)
	}); !err {
		t.Error("the target does not implement Updater")
	}
	spec, _ := connectors.Lookup("lofty")
	conn, _ := spec.New(connectortest.Config(t, "lofty", e.baseConfig("")), connectors.Env{})
	if _, err := conn.(connectors.Pusher).Target(t.Context(), "deals"); err == nil || !strings.Contains(err.Error(), "leads") {
		t.Errorf("unknown target: %v", err)
	}
}

func TestPushValidation(t *testing.T) {
	e := start(t, 1)
	tgt, _ := newTarget(t, e.baseConfig(""))
	tagged, _ := newTarget(t, e.baseConfig("key_tag: 'lp:'"))
	dob := connectors.Date{Time: time.Date(1985, 3, 4, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name   string
		target connectors.Target
		fields map[string]any
		want   []string // fields with problems; nil = valid
	}{
		{"valid", tgt, map[string]any{"firstName": "Ana", "emails": []string{"ana@example.com"}, "phones": []string{"(480) 555-0199"},
			"birthday": dob, "stage": "New Lead", "leadType": int64(2), "leadTypes": []string{"Buyer", "6"}, "tags": []string{"sba"},
			"assignedUserId": int64(10000000601), "leadRouting": true, "custom.Loan Amount": "50000"}, nil},
		{"phone only", tgt, map[string]any{"lastName": "Ng", "phones": []string{"+61 412 345 678"}}, nil},
		{"bad e-mail", tgt, map[string]any{"firstName": "A", "emails": []string{"ana@example"}}, []string{"emails"}},
		{"phone too long", tgt, map[string]any{"emails": []string{"a@b.co"}, "phones": []string{"+1 (480) 555-0199 ext. 12"}}, []string{"phones"}},
		{"blank phone", tgt, map[string]any{"emails": []string{"a@b.co"}, "phones": []string{" "}}, []string{"phones"}},
		{"stage of 20 characters", tgt, map[string]any{"emails": []string{"a@b.co"}, "stage": "Waiting For Document"}, []string{"stage"}},
		{"undocumented leadType", tgt, map[string]any{"emails": []string{"a@b.co"}, "leadType": int64(4)}, []string{"leadType"}},
		{"leadType by name", tgt, map[string]any{"emails": []string{"a@b.co"}, "leadType": "Buyer & Seller"}, nil},
		{"undocumented leadTypes", tgt, map[string]any{"emails": []string{"a@b.co"}, "leadTypes": []string{"Landlord", "12"}}, []string{"leadTypes"}},
		{"birthday text", tgt, map[string]any{"emails": []string{"a@b.co"}, "birthday": "Feb 30, 1990"}, []string{"birthday"}},
		{"no e-mail or phone", tgt, map[string]any{"firstName": "Ana"}, []string{"emails"}},
		{"no e-mail or phone, key tag", tagged, map[string]any{"firstName": "Ana"}, nil},
		{"nothing", tagged, map[string]any{"source": "Web"}, []string{"firstName"}},
		{"unknown field", tgt, map[string]any{"emails": []string{"a@b.co"}, "favouriteColour": "teal"}, []string{"favouriteColour"}},
		{"wrong type", tgt, map[string]any{"emails": int64(3), "phones": []string{"4805550199"}}, []string{"emails"}},
		{"negative user", tgt, map[string]any{"emails": []string{"a@b.co"}, "assignedUserId": int64(-5)}, []string{"assignedUserId"}},
		{"everything at once", tgt, map[string]any{"emails": []string{"x"}, "stage": strings.Repeat("s", 25), "leadType": int64(9)},
			[]string{"emails", "leadType", "stage"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.target.Validate(t.Context(), rec(1, tc.fields))
			var got []string
			for _, fe := range errs {
				got = append(got, fe.Field)
				if fe.Msg == "" {
					t.Errorf("%s: empty message", fe.Field)
				}
			}
			slices.Sort(got)
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems on %v, want %v: %v", got, tc.want, errs)
			}
		})
	}
}

func TestPushSendCreatesTheLead(t *testing.T) {
	e := start(t, 5)
	tgt, _ := newTarget(t, e.baseConfig(""))
	r := rec(2, map[string]any{"firstName": "Ana", "lastName": "Silva", "emails": []string{"ana.silva@example.com"},
		"phones": []string{"(480) 555-0199"}, "birthday": connectors.Date{Time: time.Date(1985, 3, 4, 0, 0, 0, 0, time.UTC)},
		"stage": "Qualified", "leadType": int64(2), "tags": []string{"sba"}, "custom.Loan Amount": "$75,000", "hideVendorId": int64(1)})
	if errs := tgt.Validate(t.Context(), r); len(errs) > 0 {
		t.Fatal(errs)
	}
	rc, err := tgt.Send(context.Background(), r, "row-key-2")
	if err != nil {
		t.Fatal(err)
	}
	if rc.VendorID == "" || rc.Extra["existing"] != "false" || rc.HTTPStatus != 200 {
		t.Fatalf("receipt %+v", rc)
	}
	var id int64
	fmt.Sscan(rc.VendorID, &id)
	l, ok := e.srv.Lead(id)
	if !ok {
		t.Fatalf("lead %s not at the sandbox", rc.VendorID)
	}
	if l.FirstName != "Ana" || l.Birthday != "Mar 4, 1985" || l.Stage != "Qualified" || l.LeadType != 2 ||
		!slices.Equal(l.Emails, []string{"ana.silva@example.com"}) || len(l.Tags) != 1 {
		t.Errorf("lead at the sandbox: %s", pretty(l))
	}
	if len(l.CustomAttributes) != 1 || l.CustomAttributes[0].AttributeName != "Loan Amount" || l.CustomAttributes[0].Value != "$75,000" {
		t.Errorf("custom attributes: %+v", l.CustomAttributes)
	}
	if subs := e.srv.Creates(); len(subs) != 1 || subs[0].Query.Get("hideVendorId") != "1" {
		t.Errorf("creates: %+v", subs)
	}
}

func TestPushSendFindsAnExistingLead(t *testing.T) {
	e := start(t, 20)
	tgt, _ := newTarget(t, e.baseConfig(""))
	var withEmail, withPhone loftytest.Lead
	for _, l := range e.srv.Leads() {
		if len(l.Emails) > 0 && withEmail.LeadID == 0 {
			withEmail = l
		}
		if len(l.Emails) == 0 && len(l.Phones) > 0 && withPhone.LeadID == 0 {
			withPhone = l
		}
	}
	for _, tc := range []struct {
		name   string
		fields map[string]any
		want   int64
		by     string
	}{
		{"same e-mail in another case", map[string]any{"firstName": "X", "emails": []string{strings.ToUpper(withEmail.Emails[0])}}, withEmail.LeadID, "email"},
		{"same phone in another format", map[string]any{"firstName": "Y", "emails": []string{"nobody@example.net"}, "phones": []string{digitsOf(withPhone.Phones)}}, withPhone.LeadID, "phone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == 0 {
				t.Skip("no such lead in the dataset")
			}
			before := e.srv.CreateCount()
			rc, err := tgt.Send(context.Background(), rec(3, tc.fields), "k-"+tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if rc.VendorID != fmt.Sprint(tc.want) || rc.Extra["existing"] != "true" || rc.Extra["matched_by"] != tc.by {
				t.Errorf("receipt %+v, want lead %d matched by %s", rc, tc.want, tc.by)
			}
			if e.srv.CreateCount() != before {
				t.Error("a duplicate was created")
			}
		})
	}
}

func TestPushRowsWithTheSameEmailCreateOneLead(t *testing.T) {
	e := start(t, 3)
	tgt, _ := newTarget(t, e.baseConfig(""))
	var wg sync.WaitGroup
	ids := make([]string, 6)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc, err := tgt.Send(context.Background(), rec(i+1, map[string]any{"firstName": fmt.Sprint("Row", i),
				"emails": []string{"Same.Person@example.com"}}), fmt.Sprint("key-", i))
			if err != nil {
				t.Error(err)
			}
			ids[i] = rc.VendorID
		}()
	}
	wg.Wait()
	if n := e.srv.CreatesFor("same.person@example.com"); n != 1 {
		t.Errorf("%d leads created for one e-mail", n)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Errorf("receipts name different leads: %v", ids)
		}
	}
}

func TestPushRejectedByLofty(t *testing.T) {
	e := start(t, 3)
	tgt, _ := newTarget(t, e.baseConfig(""))
	// Valid for leadpipe (the team's members are not known offline), not
	// for Lofty.
	r := rec(4, map[string]any{"firstName": "Bo", "emails": []string{"bo@example.com"}, "assignedUserId": int64(999)})
	if errs := tgt.Validate(t.Context(), r); len(errs) > 0 {
		t.Fatal(errs)
	}
	_, err := tgt.Send(context.Background(), r, "k4")
	var rej *connectors.RejectedError
	if !errors.As(err, &rej) {
		t.Fatalf("error %v is not a RejectedError", err)
	}
	if rej.HTTPStatus != 400 || rej.Field != "assignedUserId" || !strings.Contains(rej.Reason, "999") {
		t.Errorf("rejection %+v", rej)
	}
	if e.srv.CreateCount() != 0 {
		t.Error("a rejected row created a lead")
	}
}

func TestPushRejectedUnder200(t *testing.T) {
	// Some Lofty endpoints answer 200 with a Result whose errorCode is set.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			fmt.Fprint(w, `{"_metadata":{"total":0},"leads":[]}`)
			return
		}
		fmt.Fprint(w, `{"data":null,"errorCode":400003,"errorData":[{"field":"stage","message":"unknown stage"}],"errorMsg":"stage: unknown stage"}`)
	}))
	defer ts.Close()
	tgt, _ := newTarget(t, fmt.Sprintf("base_url: %s/v1.0\naccess_token: x\nphone_region: US\n", ts.URL))
	_, err := tgt.Send(context.Background(), rec(1, map[string]any{"emails": []string{"a@b.co"}}), "k")
	var rej *connectors.RejectedError
	if !errors.As(err, &rej) || rej.Field != "stage" || rej.Reason != "unknown stage" {
		t.Errorf("error %v", err)
	}
}

func TestPushDroppedConnectionThenLookup(t *testing.T) {
	e := start(t, 5)
	tgt, _ := newTarget(t, e.baseConfig(""))
	r := rec(7, map[string]any{"firstName": "Lost", "lastName": "Reply", "emails": []string{"lost.reply@example.com"}, "phones": []string{"602-555-0142"}})
	since := e.clock()

	// The unsent row is not found.
	if _, found, err := tgt.Lookup(context.Background(), r, "k7", since); err != nil || found {
		t.Fatalf("lookup of an unsent row: found %v, err %v", found, err)
	}
	// Lofty creates the lead, then the connection drops before the answer.
	e.dropNextPost()
	_, err := tgt.Send(context.Background(), r, "k7")
	if !errors.Is(err, httpclient.ErrOutcomeUnknown) {
		t.Fatalf("error %v does not wrap ErrOutcomeUnknown", err)
	}
	var rej *connectors.RejectedError
	if errors.As(err, &rej) {
		t.Fatalf("an unknown outcome reported as a rejection: %v", err)
	}
	if n := e.srv.CreatesFor("lost.reply@example.com"); n != 1 {
		t.Fatalf("%d creates at the sandbox, want 1", n)
	}
	// Recovery: a fresh process (no memory of this run) finds the lead.
	fresh, _ := newTarget(t, e.baseConfig(""))
	rc, found, err := fresh.Lookup(context.Background(), r, "k7", since)
	if err != nil || !found {
		t.Fatalf("lookup after the drop: found %v, err %v", found, err)
	}
	created := e.srv.Creates()[0].ID
	if rc.VendorID != fmt.Sprint(created) || rc.Extra["existing"] != "false" || rc.Extra["matched_by"] != "email" {
		t.Errorf("lookup receipt %+v, want lead %d, not pre-existing, by email", rc, created)
	}
	// Sending again (a careless engine) still creates nothing.
	rc2, err := fresh.Send(context.Background(), r, "k7")
	if err != nil || rc2.VendorID != rc.VendorID || e.srv.CreatesFor("lost.reply@example.com") != 1 {
		t.Errorf("resend: %+v %v, creates %d", rc2, err, e.srv.CreatesFor("lost.reply@example.com"))
	}
}

func TestPushLookupTellsAnOlderLeadApart(t *testing.T) {
	e := start(t, 10)
	tgt, _ := newTarget(t, e.baseConfig(""))
	old := e.srv.Leads()[0]
	rc, found, err := tgt.Lookup(context.Background(), rec(1, map[string]any{"emails": old.Emails}), "k", e.clock())
	if err != nil || !found || rc.VendorID != fmt.Sprint(old.LeadID) || rc.Extra["existing"] != "true" {
		t.Errorf("lookup of a lead that existed before the push: %+v %v %v", rc, found, err)
	}
}

func TestPushKeyTag(t *testing.T) {
	e := start(t, 5)
	cfg := e.baseConfig("key_tag: 'lp:'\n")
	tgt, _ := newTarget(t, cfg)
	r := rec(9, map[string]any{"firstName": "Only", "lastName": "Name", "tags": []string{"vip"}})
	if errs := tgt.Validate(t.Context(), r); len(errs) > 0 {
		t.Fatal(errs)
	}
	since := e.clock()
	e.dropNextPost()
	if _, err := tgt.Send(context.Background(), r, "partner-9"); !errors.Is(err, httpclient.ErrOutcomeUnknown) {
		t.Fatalf("send: %v", err)
	}
	fresh, _ := newTarget(t, cfg)
	rc, found, err := fresh.Lookup(context.Background(), r, "partner-9", since)
	if err != nil || !found || rc.Extra["matched_by"] != "key_tag" {
		t.Fatalf("lookup by key tag: %+v %v %v", rc, found, err)
	}
	var id int64
	fmt.Sscan(rc.VendorID, &id)
	l, _ := e.srv.Lead(id)
	var tags []string
	for _, tg := range l.Tags {
		tags = append(tags, tg.TagName)
	}
	if !slices.Contains(tags, "lp:partner-9") || !slices.Contains(tags, "vip") {
		t.Errorf("tags %v", tags)
	}
	res := e.read(t, connectortest.Config(t, "lofty", cfg), nil, "leads")
	for _, ld := range res.Batch.Leads {
		if ld.VendorLeadID == rc.VendorID && ld.PartnerRef != "partner-9" {
			t.Errorf("partner_ref %q, want the row key", ld.PartnerRef)
		}
	}
}

func TestPushUpdate(t *testing.T) {
	e := start(t, 5)
	tgt, _ := newTarget(t, e.baseConfig(""))
	r := rec(1, map[string]any{"firstName": "Ana", "emails": []string{"ana.u@example.com"}, "stage": "New Lead"})
	rc, err := tgt.Send(context.Background(), r, "k")
	if err != nil {
		t.Fatal(err)
	}
	r.Fields["stage"] = "Application"
	r.Fields["welcomeEmail"] = true // create-only: not sent on an edit
	up, err := tgt.(connectors.Updater).Update(context.Background(), rc.VendorID, r, "k")
	if err != nil || up.VendorID != rc.VendorID {
		t.Fatalf("update: %+v %v", up, err)
	}
	var id int64
	fmt.Sscan(rc.VendorID, &id)
	if l, _ := e.srv.Lead(id); l.Stage != "Application" {
		t.Errorf("stage after update %q", l.Stage)
	}
	subs := e.srv.Received()
	if last := subs[len(subs)-1]; last.Method != http.MethodPut || last.Body["welcomeEmail"] != nil {
		t.Errorf("update request %s %v", last.Method, last.Body)
	}
}

// TestPushUnderTheRateLimit pushes rows against the 10-calls-a-window limit:
// no 429, and each new row costs one search per e-mail and phone plus the
// create.
func TestPushUnderTheRateLimit(t *testing.T) {
	e := startReal(t, 3, 30*time.Millisecond)
	tgt, stats := newTarget(t, e.baseConfig("concurrency: 4"))
	const rows = 25
	var wg sync.WaitGroup
	for i := range rows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rec(i+1, map[string]any{"firstName": "P", "emails": []string{fmt.Sprintf("p%d@example.com", i)},
				"phones": []string{fmt.Sprintf("602-555-%04d", 1000+i)}})
			if _, err := tgt.Send(context.Background(), r, fmt.Sprint(i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got, want := e.srv.Requests(), rows*3; got != want {
		t.Errorf("%d requests, want %d (two searches and a create per row)", got, want)
	}
	if e.srv.Requests429() != 0 || stats.HTTPStats().RateLimited != 0 {
		t.Errorf("%d 429s", e.srv.Requests429())
	}
	if e.srv.CreateCount() != rows {
		t.Errorf("%d creates", e.srv.CreateCount())
	}
}

// digitsOf is the first phone written as bare digits.
func digitsOf(phones []string) string {
	if len(phones) == 0 {
		return ""
	}
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, phones[0])
}

func TestPushPreviewAccountDescribe(t *testing.T) {
	e := start(t, 1)
	tgt, _ := newTarget(t, e.baseConfig(""))
	r := rec(1, map[string]any{"firstName": "Ana", "lastName": "Silva", "emails": []string{"ana@example.com"},
		"phones": []string{"4805550199"}, "hideVendorId": int64(3)})
	b, err := tgt.(interface {
		Preview(connectors.Record, string) ([]byte, error)
	}).Preview(r, "k1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"request": "POST /v1.0/leads?hideVendorId=3"`, `"firstName": "Ana"`,
		"GET /v1.0/leads?email=ana%40example.com&preciseSearchFlag=true", "GET /v1.0/leads?phone=4805550199"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("preview lacks %s:\n%s", want, b)
		}
	}
	if e.srv.Requests() != 0 {
		t.Error("a preview sent requests")
	}
	acct := tgt.(interface{ Account() string }).Account()
	if !strings.HasSuffix(acct, "/v1.0") || !strings.Contains(acct, "127.0.0.1") {
		t.Errorf("account %q", acct)
	}
	if d := tgt.(interface {
		Describe(connectors.Record) string
	}).Describe(r); d != "the lead Ana Silva, ana@example.com, 4805550199" {
		t.Errorf("describe %q", d)
	}
}
