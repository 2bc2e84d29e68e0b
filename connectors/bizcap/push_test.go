package bizcap_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/bizcap"
	"github.com/leadpipe/leadpipe/connectors/bizcap/bizcaptest"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sources/attachments"
)

// pusher is the leads target of a connector reaching the sandbox.
type pusher struct {
	connectors.Target
	conn   connectors.Connector
	opened []string
	mu     sync.Mutex
	// files is the attachments directory: cells name files under it.
	files string
}

func (p *pusher) requests() int64 {
	return p.conn.(connectors.StatsReporter).HTTPStats().Requests
}

func (p *pusher) update() connectors.Updater { return p.Target.(connectors.Updater) }

func (e *env) pusher(t *testing.T, extra string) *pusher {
	t.Helper()
	spec, _ := connectors.Lookup("bizcap")
	p := &pusher{files: t.TempDir()}
	dir, err := attachments.New(p.files, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := spec.New(e.config(t, extra), connectors.Env{
		Pipeline: "test", Unknowns: &schema.Unknowns{}, Now: e.Now,
		OpenAttachment: func(ctx context.Context, cell string) (io.ReadCloser, error) {
			p.mu.Lock()
			p.opened = append(p.opened, cell)
			p.mu.Unlock()
			return dir.Open(ctx, cell)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { connectors.CloseQuietly(conn) })
	tgt, err := conn.(connectors.Pusher).Target(t.Context(), "leads")
	if err != nil {
		t.Fatal(err)
	}
	p.Target, p.conn = tgt, conn
	return p
}

// good is a row that passes every rule.
func good(row int) connectors.Record {
	return connectors.Record{Row: row, Fields: map[string]any{
		"firstName":                    "John",
		"lastName":                     "Smith",
		"companyName":                  "Acme Widgets Pty Ltd",
		"phone":                        "+61 412 345 678",
		"secondaryPhone":               "+447512093211",
		"email":                        "john@acme.com.au",
		"amountRequested":              connectors.Number("20000"),
		"averageMonthlyTurnover":       connectors.Number("85000.50"),
		"abn":                          "51 824 753 556",
		"acn":                          "004 085 616",
		"callClientOrBroker":           "Call Client",
		"citizenshipStatus":            "Citizen",
		"homeOwner":                    "Yes",
		"soleDirector":                 false,
		"loanPurpose":                  "Working Capital / Cashflow",
		"suitableProducts":             []string{"LOC", "Business Loan"},
		"dateOfBirth":                  connectors.Date{Time: time.Date(1980, 1, 2, 0, 0, 0, 0, time.UTC)},
		"businessStartDate":            connectors.Date{Time: time.Date(2015, 3, 1, 0, 0, 0, 0, time.UTC)},
		"businessAddress.addressLine1": "1 George St",
		"businessAddress.city":         "Sydney",
		"businessAddress.state":        "NSW",
		"businessAddress.zipCode":      "2000",
		"businessAddress.country":      "Australia",
	}}
}

func with(rec connectors.Record, kv ...any) connectors.Record {
	out := connectors.Record{Row: rec.Row, Fields: map[string]any{}}
	for k, v := range rec.Fields {
		out.Fields[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out.Fields, kv[i].(string))
			continue
		}
		out.Fields[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestFieldsDeclareTheDatapoints(t *testing.T) {
	e := start(t, 5)
	p := e.pusher(t, "")
	byName := map[string]connectors.Field{}
	for _, f := range p.Fields() {
		byName[f.Name] = f
	}
	for name, want := range map[string]connectors.FieldType{
		"firstName": connectors.TypeString, "amountRequested": connectors.TypeNumber, "dateOfBirth": connectors.TypeDate,
		"suitableProducts": connectors.TypeList, "tradingAddress.zipCode": connectors.TypeString,
		"attachments.bank_statements": connectors.TypeFile, "attachments.proof_of_identity": connectors.TypeFile,
		"attachments.image": connectors.TypeFile, "partnerLeadReferenceId": connectors.TypeString,
	} {
		if f, ok := byName[name]; !ok || f.Type != want {
			t.Errorf("field %s: %+v, want type %s", name, f, want)
		}
	}
	for _, name := range []string{"firstName", "lastName", "companyName", "phone"} {
		if !byName[name].Required {
			t.Errorf("%s is not required", name)
		}
	}
	if !slices.Equal(byName["loanPurpose"].Enum, bizcap.LoanPurposes) || byName["phone"].Format != "e164" {
		t.Errorf("enum or format missing: %+v %+v", byName["loanPurpose"], byName["phone"])
	}
	if _, err := p.conn.(connectors.Pusher).Target(t.Context(), "deals"); err == nil {
		t.Error("a deals target exists")
	}
	// With convert_national_phones, phones are TypePhone for the mapping
	// layer to convert; by default they must arrive international.
	conv := e.pusher(t, "convert_national_phones: true\nregion: NZ\n")
	for _, f := range conv.Fields() {
		if f.Name == "phone" && (f.Type != connectors.TypePhone || f.Region != "NZ" || f.Format != "e164") {
			t.Errorf("converted phone field %+v", f)
		}
	}
	// Dry runs preview the body; the ledger is per API.
	prev, err := p.Target.(interface {
		Preview(connectors.Record, string) ([]byte, error)
	}).Preview(good(1), "row-9")
	if err != nil || !strings.Contains(string(prev), `"partnerLeadReferenceId": "row-9"`) || !strings.Contains(string(prev), `"amountRequested": 20000`) {
		t.Errorf("preview %s %v", prev, err)
	}
	if acc := p.Target.(interface{ Account() string }).Account(); !strings.HasSuffix(acc, "/api/v1") || strings.Contains(acc, "http") {
		t.Errorf("account %q", acc)
	}
	// required_fields relaxes the defaults, never below first and last name.
	relaxed := e.pusher(t, "required_fields: [firstName]\n")
	errs := relaxed.Validate(t.Context(), connectors.Record{Row: 1, Fields: map[string]any{"firstName": "Ann", "lastName": "Lee"}})
	if len(errs) != 0 {
		t.Errorf("relaxed required fields: %v", errs)
	}
}

// TestValidateRejectsWithRowAndReason runs a small input through Validate
// and checks the rejects it would write: every bad row with its row number,
// field and reason, and no good row.
func TestValidateRejectsWithRowAndReason(t *testing.T) {
	e := start(t, 5)
	p := e.pusher(t, "")
	long := strings.Repeat("x", 256)
	future := connectors.Date{Time: e.Now().Add(48 * time.Hour)}
	cases := []struct {
		rec  connectors.Record
		want []string // "field: reason fragment"; none for a good row
	}{
		{good(1), nil},
		{with(good(2), "homeOwner", true, "phone", "+61412345678", "averageMonthlyTurnover", nil), nil},
		{with(good(3), "firstName", nil), []string{"firstName: is required"}},
		{with(good(4), "firstName", "John Smith", "lastName", nil), []string{"lastName: is required: first and last name go in separate fields"}},
		{with(good(5), "firstName", "John Smith"), []string{`firstName: holds the full name "John Smith"`}},
		{with(good(6), "phone", "0412345678"), []string{`phone: must be in international format: "+", the country code`}},
		{with(good(7), "secondaryPhone", "7512093211"), []string{"secondaryPhone: must be in international format"}},
		{with(good(8), "phone", "+61 4123 abc"), []string{"phone: is not a phone number in international format"}},
		{with(good(9), "amountRequested", "20,000"), []string{"amountRequested: must not contain commas"}},
		{with(good(10), "averageMonthlyTurnover", "$85000"), []string{"averageMonthlyTurnover: must be a plain number"}},
		{with(good(11), "amountRequested", connectors.Number("-5")), []string{"amountRequested: must not be negative"}},
		{with(good(12), "callClientOrBroker", "call client"), []string{`callClientOrBroker: must be one of "Call Client", "Call Broker" (exact spelling), got "call client"`}},
		{with(good(13), "citizenshipStatus", "Visa Holder", "homeOwner", "Y", "soleDirector", "maybe"),
			[]string{"citizenshipStatus: must be one of", "homeOwner: must be one of", "soleDirector: must be one of"}},
		{with(good(14), "loanPurpose", "Tax Debt"), []string{"loanPurpose: must be one of"}},
		{with(good(15), "suitableProducts", []string{"LOC", "Invoice Finance"}), []string{`suitableProducts: "Invoice Finance" is not one of`}},
		{with(good(16), "email", "john.acme.com.au"), []string{"email: is not an email address"}},
		{with(good(17), "abn", "12 345 678 901", "acn", "123"), []string{"abn: ABN check digits are wrong", "acn: ACN must be 9 digits"}},
		{with(good(18), "notes", long), []string{"notes: is longer than 255 characters"}},
		{with(good(19), "dateOfBirth", future), []string{"dateOfBirth: is in the future"}},
		{with(good(20), "applicantName", "John Smith"), []string{"applicantName: is not a Bizcap lead datapoint"}},
		{connectors.Record{Row: 21, Fields: map[string]any{"firstName": "Ann", "lastName": "Lee"}},
			[]string{"companyName: is required", "phone: is required"}},
		{with(good(22), "nzbn", "94290000001"), []string{"nzbn: NZBN must be 13 digits"}},
		{with(good(23), "businessAddress.city", long), []string{"businessAddress.city: is longer than 255"}},
	}
	var rejects, want []string
	for _, tc := range cases {
		for _, fe := range p.Validate(t.Context(), tc.rec) {
			rejects = append(rejects, fmt.Sprintf("row %d: %s: %s", tc.rec.Row, fe.Field, fe.Msg))
		}
		for _, w := range tc.want {
			want = append(want, fmt.Sprintf("row %d: %s", tc.rec.Row, w))
		}
	}
	for _, w := range want {
		found := false
		for _, r := range rejects {
			found = found || strings.HasPrefix(r, w)
		}
		if !found {
			t.Errorf("no reject %q", w)
		}
	}
	if len(rejects) != len(want) {
		t.Errorf("%d rejects, want %d:\n%s", len(rejects), len(want), strings.Join(rejects, "\n"))
	}
}

func TestSendCreatesTheLead(t *testing.T) {
	e := start(t, 10)
	p := e.pusher(t, "")
	rec := good(1)
	if errs := p.Validate(t.Context(), rec); len(errs) != 0 {
		t.Fatal(errs)
	}
	rc, err := p.Send(context.Background(), rec, "row-key-0001")
	if err != nil {
		t.Fatal(err)
	}
	l, ok := e.srv.Lead(rc.VendorID)
	if !ok {
		t.Fatalf("lead %s not in the sandbox", rc.VendorID)
	}
	f := l.Fields
	for name, got := range map[string]string{
		"partnerLeadReferenceId": str(f.PartnerLeadReferenceID), "phone": f.Phone, "secondaryPhone": str(f.SecondaryPhone),
		"amountRequested": str(f.AmountRequested), "averageMonthlyTurnover": str(f.AverageMonthlyTurnover),
		"abn": str(f.ABN), "acn": str(f.ACN), "soleDirector": str(f.SoleDirector), "dateOfBirth": str(f.DateOfBirth),
		"businessAddress": f.BusinessAddress.FullAddress, "status": f.Status + "/" + f.SubStatus,
	} {
		want := map[string]string{
			"partnerLeadReferenceId": "row-key-0001", "phone": "+61412345678", "secondaryPhone": "+447512093211",
			"amountRequested": "20000.00", "averageMonthlyTurnover": "85000.50", "abn": "51824753556", "acn": "004085616",
			"soleDirector": "No", "dateOfBirth": "1980-01-02", "businessAddress": "1 George St, Sydney, NSW, 2000, Australia",
			"status": "New/Received",
		}[name]
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !slices.Equal(f.SuitableProducts, []string{"LOC", "Business Loan"}) {
		t.Errorf("suitableProducts %v", f.SuitableProducts)
	}
	subs := e.srv.Received()
	body := subs[len(subs)-1].Body["fields"].(map[string]any)
	if _, isNumber := body["amountRequested"].(float64); !isNumber {
		t.Errorf("amountRequested sent as %T, want a JSON number", body["amountRequested"])
	}
	if rc.HTTPStatus != 200 || rc.Extra["applicationLink"] == "" || rc.Extra["partnerLeadReferenceId"] != "row-key-0001" {
		t.Errorf("receipt %+v", rc)
	}
	// A mapped reference is sent as is, and is what Lookup looks for.
	rc2, err := p.Send(context.Background(), with(good(2), "partnerLeadReferenceId", "CRM-42"), "row-key-0002")
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := e.srv.Lead(rc2.VendorID); str(l.Fields.PartnerLeadReferenceID) != "CRM-42" {
		t.Errorf("mapped reference became %q", str(l.Fields.PartnerLeadReferenceID))
	}
	found, ok, err := p.Lookup(context.Background(), with(good(2), "partnerLeadReferenceId", "CRM-42"), "row-key-0002", e.Now())
	if err != nil || !ok || found.VendorID != rc2.VendorID {
		t.Errorf("lookup by mapped reference: %+v %v %v", found, ok, err)
	}
}

func TestVendorRejectIsRejectedError(t *testing.T) {
	e := start(t, 10)
	p := e.pusher(t, "")
	before := e.srv.AcceptedCount(bizcaptest.KindCreateLead)
	// The sandbox knows its brokers; an unknown brokerId is a 400.
	rec := with(good(7), "brokerId", "0b0b0b0b-0000-4000-8000-000000000000")
	if errs := p.Validate(t.Context(), rec); len(errs) != 0 {
		t.Fatal(errs)
	}
	_, err := p.Send(context.Background(), rec, "k-7")
	var rej *connectors.RejectedError
	if !errors.As(err, &rej) || rej.HTTPStatus != 400 || rej.Reason != "Invalid request" {
		t.Fatalf("error %v, want a RejectedError 400 Invalid request", err)
	}
	if errors.Is(err, httpclient.ErrOutcomeUnknown) {
		t.Error("a reject is not an unknown outcome")
	}
	if e.srv.AcceptedCount(bizcaptest.KindCreateLead) != before {
		t.Error("a lead was created")
	}
}

func TestDroppedConnectionThenLookup(t *testing.T) {
	e := start(t, 300)
	p := e.pusher(t, "")
	since := e.Now()
	e.Advance(time.Second)
	e.srv.Faults().DropAfterHandleNext(1)
	_, err := p.Send(context.Background(), good(3), "row-key-drop")
	if !errors.Is(err, httpclient.ErrOutcomeUnknown) {
		t.Fatalf("error %v, want one wrapping ErrOutcomeUnknown", err)
	}
	if n := e.srv.AcceptedCount(bizcaptest.KindCreateLead); n != 1 {
		t.Fatalf("the sandbox created %d leads, want 1", n)
	}
	created := e.srv.Leads()[300]

	// The lookup reads the newest page first: a few requests, not the list.
	reqs := p.requests()
	rc, ok, err := p.Lookup(context.Background(), good(3), "row-key-drop", since)
	if err != nil || !ok {
		t.Fatalf("lookup: %v %v", ok, err)
	}
	if rc.VendorID != created.ID {
		t.Errorf("lookup found %s, the sandbox created %s", rc.VendorID, created.ID)
	}
	if n := p.requests() - reqs; n > 5 {
		t.Errorf("the lookup made %d requests", n)
	}
	// A second lookup starts at the page found last time.
	reqs = p.requests()
	if _, ok, _ := p.Lookup(context.Background(), good(3), "row-key-drop", since); !ok {
		t.Error("second lookup missed")
	}
	if n := p.requests() - reqs; n > 2 {
		t.Errorf("the second lookup made %d requests", n)
	}
	if e.srv.AcceptedCount(bizcaptest.KindCreateLead) != 1 {
		t.Error("lookup created something")
	}
}

func TestLookupMissesWhatWasNotSent(t *testing.T) {
	for _, order := range []string{bizcap.OrderCreatedAsc, bizcap.OrderUpdatedDesc} {
		t.Run(order, func(t *testing.T) {
			e := start(t, 300)
			p := e.pusher(t, "list_order: "+order+"\n")
			reqs := p.requests()
			_, ok, err := p.Lookup(context.Background(), good(4), "never-sent", e.Now())
			if err != nil || ok {
				t.Fatalf("lookup of an unsent row: %v %v", ok, err)
			}
			if n := p.requests() - reqs; n > 5 {
				t.Errorf("the lookup made %d requests; it should stop at the first page older than since", n)
			}
		})
	}
	t.Run("since unknown reads everything", func(t *testing.T) {
		e := start(t, 300)
		p := e.pusher(t, "")
		old := e.srv.Leads()[5]
		ref := str(old.Fields.PartnerLeadReferenceID)
		rc, ok, err := p.Lookup(context.Background(), with(good(1), "partnerLeadReferenceId", ref), "x", time.Time{})
		if err != nil || !ok {
			t.Fatalf("lookup %q: %v %v", ref, ok, err)
		}
		if got, _ := e.srv.Lead(rc.VendorID); str(got.Fields.PartnerLeadReferenceID) != ref {
			t.Errorf("found %s with another reference", rc.VendorID)
		}
	})
	t.Run("an older lead with the same reference is not this row", func(t *testing.T) {
		e := start(t, 20)
		p := e.pusher(t, "")
		if _, err := p.Send(context.Background(), good(1), "reused-key"); err != nil {
			t.Fatal(err)
		}
		e.Advance(2 * time.Hour)
		if _, ok, err := p.Lookup(context.Background(), good(1), "reused-key", e.Now()); ok || err != nil {
			t.Errorf("found a lead created before the row was first sent: %v %v", ok, err)
		}
	})
}

func TestAttachmentsAreUploadedAfterTheLead(t *testing.T) {
	e := start(t, 10)
	p := e.pusher(t, "")
	stmt, id := "statement-march.pdf", "ids/licence.jpg" // under the attachments directory
	os.Mkdir(filepath.Join(p.files, "ids"), 0o755)
	if err := os.WriteFile(filepath.Join(p.files, stmt), []byte("%PDF-1.4 bank statement"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.files, id), []byte("\xff\xd8\xff jpeg"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := with(good(1), "attachments.bank_statements", stmt, "attachments.proof_of_identity", id)
	if errs := p.Validate(t.Context(), rec); len(errs) != 0 {
		t.Fatal(errs)
	}
	rc, err := p.Send(context.Background(), rec, "row-with-files")
	if err != nil {
		t.Fatal(err)
	}
	atts := e.srv.Attachments()
	if len(atts) != 2 {
		t.Fatalf("%d attachments", len(atts))
	}
	got := map[string]bizcaptest.Attachment{}
	for _, a := range atts {
		got[a.Fields.Type] = a
		if a.Fields.EntityID != rc.VendorID || a.Fields.EntityType != "LEAD" {
			t.Errorf("attachment %+v is not on lead %s", a.Fields, rc.VendorID)
		}
	}
	if a := got["Bank Statements"]; a.Fields.FileName != "statement-march.pdf" || !bytes.Equal(a.Content, []byte("%PDF-1.4 bank statement")) {
		t.Errorf("bank statement %+v", a.Fields)
	}
	if a := got["Proof of Identity or ID"]; a.Fields.FileName != "licence.jpg" {
		t.Errorf("ID %+v", a.Fields)
	}
	if l, _ := e.srv.Lead(rc.VendorID); l.Fields.BankStatementsReceived != "Yes" {
		t.Error("the lead does not show bank statements received")
	}
	if rc.Extra["attachments"] != "2 uploaded" || len(p.opened) != 2 {
		t.Errorf("receipt %+v, files opened through env.OpenAttachment: %v", rc.Extra, p.opened)
	}

	t.Run("a missing file fails the row before the lead is created", func(t *testing.T) {
		before := e.srv.AcceptedCount(bizcaptest.KindCreateLead)
		_, err := p.Send(context.Background(), with(good(2), "attachments.image", "nope.png"), "row-missing-file")
		if err == nil || !strings.Contains(err.Error(), "attachments.image") {
			t.Fatalf("error %v", err)
		}
		if e.srv.AcceptedCount(bizcaptest.KindCreateLead) != before {
			t.Error("a lead was created")
		}
	})

	t.Run("a failed upload after the create is looked up, not resent", func(t *testing.T) {
		e.mu.Lock()
		e.hook = func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "attachments") {
				w.WriteHeader(400)
				_, _ = w.Write([]byte(`{"error":"Invalid request"}`))
				return true
			}
			return false
		}
		e.mu.Unlock()
		defer func() { e.mu.Lock(); e.hook = nil; e.mu.Unlock() }()
		since := e.Now()
		rc, err := p.Send(context.Background(), with(good(3), "attachments.image", id), "row-upload-fails")
		var partial *connectors.PartialError
		if !errors.As(err, &partial) || partial.Receipt.VendorID == "" || rc.VendorID != partial.Receipt.VendorID {
			t.Fatalf("error %v, receipt %+v: want a PartialError with the lead id", err, rc)
		}
		if !strings.Contains(err.Error(), "attachments were not uploaded") {
			t.Errorf("the partial error does not say what failed: %v", err)
		}
		found, ok, lerr := p.Lookup(context.Background(), with(good(3), "attachments.image", id), "row-upload-fails", since)
		if lerr != nil || !ok || found.VendorID != partial.Receipt.VendorID || !strings.HasPrefix(found.Extra["attachments"], "unknown") {
			t.Errorf("lookup after a partial send: %+v %v %v", found, ok, lerr)
		}
	})
}

func TestUpdatePatchesTheLead(t *testing.T) {
	e := start(t, 10)
	p := e.pusher(t, "")
	spec, _ := connectors.Lookup("bizcap")
	if !spec.Targets[0].Update {
		t.Error("the leads target does not declare updates")
	}
	rc, err := p.Send(context.Background(), good(1), "row-1")
	if err != nil {
		t.Fatal(err)
	}
	change := connectors.Record{Row: 1, Fields: map[string]any{
		"lastName": "Smyth", "amountRequested": connectors.Number("30000"), "businessAddress.city": "Parramatta",
		"businessAddress.zipCode": "2150", "phone": "+61 400 000 001",
	}}
	// PATCH sets values: sending it twice is harmless, so a dropped
	// connection is retried.
	e.srv.Faults().DropAfterHandleNext(1)
	up, err := p.update().Update(context.Background(), rc.VendorID, change, "row-1")
	if err != nil || up.VendorID != rc.VendorID || up.HTTPStatus != 200 {
		t.Fatalf("update: %+v %v", up, err)
	}
	l, _ := e.srv.Lead(rc.VendorID)
	f := l.Fields
	if f.LastName != "Smyth" || str(f.AmountRequested) != "30000.00" || f.Phone != "+61400000001" ||
		f.BusinessAddress.FullAddress != "1 George St, Parramatta, NSW, 2150, Australia" || f.FirstName != "John" ||
		str(f.PartnerLeadReferenceID) != "row-1" {
		t.Errorf("after the update: %+v", f)
	}
	if n := e.srv.AcceptedCount(bizcaptest.KindUpdateLead); n != 2 {
		t.Errorf("%d PATCHes accepted, want 2 (one dropped, one retried)", n)
	}
	_, err = p.update().Update(context.Background(), "0b0b0b0b-0000-4000-8000-000000000000", change, "row-2")
	var rej *connectors.RejectedError
	if !errors.As(err, &rej) || rej.HTTPStatus != 404 {
		t.Errorf("update of an unknown lead: %v, want a RejectedError 404", err)
	}
}

// TestLookupAtPageBoundaries sends one row into accounts whose lead count
// then ends a page exactly, or starts a new one, and looks it up; and looks
// up in an empty account.
func TestLookupAtPageBoundaries(t *testing.T) {
	t.Run("empty account", func(t *testing.T) {
		e := start(t, -1)
		p := e.pusher(t, "page_size: 10\n")
		if _, ok, err := p.Lookup(context.Background(), good(1), "nothing", e.Now()); ok || err != nil {
			t.Fatalf("lookup in an empty account: %v %v", ok, err)
		}
		if n := p.requests(); n != 1 {
			t.Errorf("%d requests for an empty account", n)
		}
	})
	for _, size := range []int{-1, 9, 10, 19, 39, 40} {
		t.Run(fmt.Sprintf("%d leads before", max(size, 0)), func(t *testing.T) {
			e := start(t, size)
			p := e.pusher(t, "page_size: 10\n")
			since := e.Now()
			rc, err := p.Send(context.Background(), good(1), "boundary-key")
			if err != nil {
				t.Fatal(err)
			}
			// The list grows between lookups: the remembered end moves.
			for round := range 3 {
				got, ok, err := p.Lookup(context.Background(), good(1), "boundary-key", since)
				if err != nil || !ok || got.VendorID != rc.VendorID {
					t.Fatalf("round %d: lookup %+v %v %v, want %s", round, got, ok, err, rc.VendorID)
				}
				for i := range 7 {
					if _, err := p.Send(context.Background(), good(2), fmt.Sprintf("filler-%d-%d", round, i)); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}
