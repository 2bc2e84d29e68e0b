package lumire_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/connectors/lumire/lumiretest"
	"github.com/leadpipe/leadpipe/schema"
)

func (e *env) target(t *testing.T, name, extra string) connectors.Target {
	t.Helper()
	spec, _ := connectors.Lookup("lumire")
	conn, err := spec.New(e.config(t, extra), connectors.Env{Unknowns: &schema.Unknowns{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { connectors.CloseQuietly(conn) })
	tg, err := conn.(connectors.Pusher).Target(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func rec(fields map[string]any) connectors.Record { return connectors.Record{Row: 2, Fields: fields} }

func leadRec(email string) map[string]any {
	return map[string]any{"email": email, "firstName": "Ada", "lastName": "Lovelace", "phone": "+44 7400 123456",
		"country": "gb", "source": "partner_csv", "score": int64(70), "metadata": `{"campaign":"autumn"}`}
}

// traderAccount returns a trader and one of its trading accounts.
func (e *env) traderAccount(t *testing.T) (string, string) {
	t.Helper()
	for _, a := range e.srv.Accounts() {
		return a.TraderID, a.ID
	}
	t.Fatal("the sandbox has no account")
	return "", ""
}

func txRec(trader, account string) map[string]any {
	return map[string]any{"traderId": trader, "accountId": account, "kind": "commission", "status": "completed",
		"amount": connectors.Number("125.50"), "currency": "usd", "reference": "IB-0042",
		"occurredAt": "2026-10-30 14:05", "metadata": `{"batch":"2026-10"}`}
}

func fieldErrors(errs []connectors.FieldError) map[string]string {
	m := map[string]string{}
	for _, e := range errs {
		m[e.Field] = e.Msg
	}
	return m
}

func TestLeadValidation(t *testing.T) {
	e := start(t, 3)
	tg := e.target(t, "leads", "")
	for _, tc := range []struct {
		name   string
		change map[string]any
		field  string // "" = valid
		msg    string
	}{
		{"valid", nil, "", ""},
		{"country by name", map[string]any{"country": "Germany"}, "", ""},
		{"email missing", map[string]any{"email": ""}, "email", "is required"},
		{"email invalid", map[string]any{"email": "ada@localhost"}, "email", "not a valid email"},
		{"phone too short", map[string]any{"phone": "123"}, "phone", "6 to 15 digits"},
		{"phone with letters", map[string]any{"phone": "+44 77OO 900123"}, "phone", "not a phone number"},
		{"first name too long", map[string]any{"firstName": strings.Repeat("é", 101)}, "firstName", "at most 100"},
		{"country unknown", map[string]any{"country": "Atlantis"}, "country", "not a country"},
		{"assignee not a uuid", map[string]any{"assignedToId": "amelia"}, "assignedToId", "must be a UUID"},
		{"score above 100", map[string]any{"score": int64(101)}, "score", "from 0 to 100"},
		{"metadata not an object", map[string]any{"metadata": `["a"]`}, "metadata", "JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := leadRec("ada@example.com")
			for k, v := range tc.change {
				f[k] = v
			}
			errs := fieldErrors(tg.Validate(t.Context(), rec(f)))
			if tc.field == "" {
				if len(errs) != 0 {
					t.Fatalf("valid record rejected: %v", errs)
				}
				return
			}
			if !strings.Contains(errs[tc.field], tc.msg) || len(errs) != 1 {
				t.Errorf("problems %v, want %s: %s", errs, tc.field, tc.msg)
			}
		})
	}
	// Every problem at once.
	errs := fieldErrors(tg.Validate(t.Context(), rec(map[string]any{"phone": "x", "score": int64(-1), "country": "ZZ"})))
	if len(errs) != 4 {
		t.Errorf("want email, phone, score and country problems, got %v", errs)
	}
}

func TestTransactionValidation(t *testing.T) {
	e := start(t, 3)
	tg := e.target(t, "transactions", "")
	trader, account := e.traderAccount(t)
	for _, tc := range []struct {
		name   string
		change map[string]any
		field  string
		msg    string
	}{
		{"valid", nil, "", ""},
		{"crypto with 8 decimals", map[string]any{"currency": "BTC", "amount": connectors.Number("0.00012345")}, "", ""},
		{"negative adjustment", map[string]any{"kind": "adjustment", "amount": connectors.Number("-12.5")}, "", ""},
		{"bare date", map[string]any{"occurredAt": "2026-10-30"}, "", ""},
		{"trader missing", map[string]any{"traderId": nil}, "traderId", "is required"},
		{"trader not a uuid", map[string]any{"traderId": "T-1"}, "traderId", "UUID"},
		{"kind unknown", map[string]any{"kind": "refund"}, "kind", "not one of"},
		{"status unknown", map[string]any{"status": "done"}, "status", "not one of"},
		{"amount zero", map[string]any{"amount": connectors.Number("0.00")}, "amount", "must not be zero"},
		{"negative commission", map[string]any{"amount": connectors.Number("-5")}, "amount", "only an adjustment"},
		{"nine decimals", map[string]any{"amount": connectors.Number("1.123456789")}, "amount", "8 decimals"},
		{"thirteen digits", map[string]any{"amount": connectors.Number("1234567890123")}, "amount", "12 digits"},
		{"currency unknown", map[string]any{"currency": "DOGE"}, "currency", "ISO 4217"},
		{"reference too long", map[string]any{"reference": strings.Repeat("r", 101)}, "reference", "at most 100"},
		{"external id too long", map[string]any{"externalId": strings.Repeat("x", 101)}, "externalId", "at most 100"},
		{"occurredAt not a time", map[string]any{"occurredAt": "yesterday"}, "occurredAt", "ISO 8601"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := txRec(trader, account)
			for k, v := range tc.change {
				if v == nil {
					delete(f, k)
					continue
				}
				f[k] = v
			}
			errs := fieldErrors(tg.Validate(t.Context(), rec(f)))
			if tc.field == "" {
				if len(errs) != 0 {
					t.Fatalf("valid record rejected: %v", errs)
				}
				return
			}
			if !strings.Contains(errs[tc.field], tc.msg) || len(errs) != 1 {
				t.Errorf("problems %v, want %s: %s", errs, tc.field, tc.msg)
			}
		})
	}
}

func TestSentLeadCarriesItsKeyBackAsPartnerRef(t *testing.T) {
	e := start(t, 3)
	tg := e.target(t, "leads", "")
	r, err := tg.Send(context.Background(), rec(leadRec("ada@example.com")), "row-key-0001")
	if err != nil || r.VendorID == "" || r.HTTPStatus != 201 {
		t.Fatalf("send: %+v %v", r, err)
	}
	l, ok := e.srv.Lead(r.VendorID)
	if !ok {
		t.Fatalf("lead %s is not in the sandbox", r.VendorID)
	}
	if l.Metadata["leadpipe_key"] != "row-key-0001" || l.Metadata["campaign"] != "autumn" || *l.Country != "GB" ||
		*l.Score != 70 || l.Email != "ada@example.com" {
		t.Errorf("sandbox lead %+v", l)
	}
	res := e.read(t, e.config(t, ""), nil, "leads")
	found := false
	for _, got := range res.Batch.Leads {
		if got.VendorLeadID == r.VendorID {
			found = got.PartnerRef == "row-key-0001" && got.Phone == "+447400123456" && got.Status == schema.StatusNew
		}
	}
	if !found {
		t.Error("the pulled lead does not carry the row key as partner_ref")
	}

	// A mapped reference is used as it is, and found again.
	f := leadRec("grace@example.com")
	f["metadata.leadpipe_key"] = "PARTNER-77"
	r2, err := tg.Send(context.Background(), rec(f), "hash-ignored")
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := e.srv.Lead(r2.VendorID); l.Metadata["leadpipe_key"] != "PARTNER-77" {
		t.Errorf("mapped reference not sent: %v", l.Metadata)
	}
	got, ok, err := tg.Lookup(context.Background(), rec(f), "hash-ignored", e.Now())
	if err != nil || !ok || got.VendorID != r2.VendorID {
		t.Errorf("lookup by mapped reference: %+v %v %v", got, ok, err)
	}

	// on_change: update patches the lead.
	f["firstName"] = "Grace B."
	up, err := tg.(connectors.Updater).Update(context.Background(), r2.VendorID, rec(f), "hash-ignored")
	if err != nil || up.VendorID != r2.VendorID {
		t.Fatalf("update: %+v %v", up, err)
	}
	if l, _ := e.srv.Lead(r2.VendorID); *l.FirstName != "Grace B." || l.Metadata["leadpipe_key"] != "PARTNER-77" {
		t.Errorf("updated lead %+v", l)
	}
}

func TestRecordedTransactionKeepsTheExactAmount(t *testing.T) {
	e := start(t, 3)
	tg := e.target(t, "transactions", "")
	trader, account := e.traderAccount(t)
	f := txRec(trader, account)
	f["currency"], f["amount"] = "BTC", connectors.Number("0.12345678")
	r, err := tg.Send(context.Background(), rec(f), "tx-key-1")
	if err != nil {
		t.Fatal(err)
	}
	subs := e.srv.Received()
	body := subs[len(subs)-1].Raw
	var sent map[string]any
	_ = json.Unmarshal(body, &sent)
	if sent["amount"] != "0.12345678" || sent["externalId"] != "tx-key-1" || sent["currency"] != "BTC" ||
		sent["occurredAt"] != "2026-10-30T14:05:00.000Z" {
		t.Errorf("sent body %s", body)
	}
	res := e.read(t, e.config(t, "payment_sources: [transactions]"), nil, "payments")
	for _, p := range res.Batch.Payments {
		if p.VendorPaymentID != r.VendorID {
			continue
		}
		a := attrs(t, p.Attributes)
		if p.Amount.String() != "0.12" || p.Currency != "BTC" || a["amount_exact"] != "0.12345678" ||
			a["external_id"] != "tx-key-1" || p.Kind != "commission" || p.Status != "completed" {
			t.Errorf("pulled %+v", p)
		}
		return
	}
	t.Error("the recorded transaction was not pulled")
}

func TestVendorRejectionsAreRejectedErrors(t *testing.T) {
	e := start(t, 3)
	leads := e.target(t, "leads", "")
	txs := e.target(t, "transactions", "")
	trader, account := e.traderAccount(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		send   func() error
		status int
		field  string
		reason string
	}{
		{"400 validation message", func() error {
			f := leadRec("not-an-email") // Validate would stop it; the vendor does too
			_, err := leads.Send(ctx, rec(f), "k1")
			return err
		}, 400, "email", "email must be an email"},
		{"400 business rule", func() error {
			f := leadRec("ada@example.com")
			f["assignedToId"] = "6f1c2a4e-0000-4000-8000-000000000000"
			_, err := leads.Send(ctx, rec(f), "k2")
			return err
		}, 400, "assignedToId", "not a member of this tenant"},
		{"404 unknown trader", func() error {
			f := txRec("6f1c2a4e-0000-4000-8000-000000000001", "")
			delete(f, "accountId")
			_, err := txs.Send(ctx, rec(f), "k3")
			return err
		}, 404, "traderId", "Trader not found"},
		{"409 duplicate externalId", func() error {
			if _, err := txs.Send(ctx, rec(txRec(trader, account)), "dup-1"); err != nil {
				return err
			}
			_, err := txs.Send(ctx, rec(txRec(trader, account)), "dup-1")
			return err
		}, 409, "externalId", "already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.send()
			var rej *connectors.RejectedError
			if !errors.As(err, &rej) {
				t.Fatalf("error %v is not a RejectedError", err)
			}
			if rej.HTTPStatus != tc.status || rej.Field != tc.field || !strings.Contains(rej.Reason, tc.reason) {
				t.Errorf("rejection %+v, want %d %s %q", rej, tc.status, tc.field, tc.reason)
			}
		})
	}
	// A wrong base URL is not the row's fault.
	e.srv.Faults().FailNext(1, 404, `{"statusCode":404,"message":"Cannot POST /v1/transactions","error":"Not Found"}`)
	_, err := txs.Send(ctx, rec(txRec(trader, account)), "k5")
	var rej *connectors.RejectedError
	if err == nil || errors.As(err, &rej) {
		t.Errorf("a missing route became a row rejection: %v", err)
	}
}

func TestDroppedConnectionThenLookupFindsTheRow(t *testing.T) {
	e := start(t, 3)
	trader, account := e.traderAccount(t)
	for _, tc := range []struct {
		target string
		fields map[string]any
		route  string
	}{
		{"leads", leadRec("dropped@example.com"), lumiretest.RouteCreateLead},
		{"transactions", txRec(trader, account), lumiretest.RouteCreateTransaction},
	} {
		t.Run(tc.target, func(t *testing.T) {
			tg := e.target(t, tc.target, "")
			ctx := context.Background()
			before := e.Now()
			// The row was never sent: the lookup says so (and logs in).
			if _, ok, err := tg.Lookup(ctx, rec(tc.fields), "drop-key", before); err != nil || ok {
				t.Fatalf("lookup of an unsent row: %v %v", ok, err)
			}
			created := e.srv.CreatedCount(tc.route)
			e.srv.Faults().DropAfterHandleNext(1)
			_, err := tg.Send(ctx, rec(tc.fields), "drop-key")
			if !errors.Is(err, httpclient.ErrOutcomeUnknown) {
				t.Fatalf("send through a dropped connection: %v, want ErrOutcomeUnknown", err)
			}
			if got := e.srv.CreatedCount(tc.route); got != created+1 {
				t.Fatalf("the vendor created %d records, want 1", got-created)
			}
			subs := e.srv.Received()
			id := subs[len(subs)-1].ID
			r, ok, err := tg.Lookup(ctx, rec(tc.fields), "drop-key", before)
			if err != nil || !ok || r.VendorID != id {
				t.Errorf("lookup after the drop: %+v %v %v, want %s", r, ok, err, id)
			}
			// Another key, same content: not found.
			if _, ok, err := tg.Lookup(ctx, rec(tc.fields), "other-key", before); err != nil || ok {
				t.Errorf("lookup of another key: %v %v", ok, err)
			}
		})
	}
}

func TestPushLogsInAgainWhenTheSessionExpired(t *testing.T) {
	e := start(t, 3)
	tg := e.target(t, "leads", "")
	ctx := context.Background()
	if _, err := tg.Send(ctx, rec(leadRec("one@example.com")), "s-1"); err != nil {
		t.Fatal(err)
	}
	e.srv.ExpireSessions()
	if _, err := tg.Send(ctx, rec(leadRec("two@example.com")), "s-2"); err != nil {
		t.Fatal(err)
	}
	if n, logins := e.srv.CreatedCount(lumiretest.RouteCreateLead), e.srv.SessionCount(); n != 2 || logins != 2 {
		t.Errorf("%d leads created with %d logins, want 2 and 2", n, logins)
	}
}

func TestPreviewAndAccount(t *testing.T) {
	e := start(t, 3)
	tg := e.target(t, "transactions", "")
	trader, account := e.traderAccount(t)
	p, ok := tg.(interface {
		Preview(connectors.Record, string) ([]byte, error)
	})
	if !ok {
		t.Fatal("no Preview")
	}
	b, err := p.Preview(rec(txRec(trader, account)), "pk")
	if err != nil || !strings.Contains(string(b), `"amount": "125.50"`) || !strings.Contains(string(b), `"externalId": "pk"`) {
		t.Errorf("preview %s %v", b, err)
	}
	a, ok := tg.(interface{ Account() string })
	if !ok || a.Account() != lumiretest.TenantSlug+"@"+strings.TrimPrefix(e.http.URL, "http://") {
		t.Errorf("account %v", a)
	}
	if e.srv.ReceivedCount("") != 0 {
		t.Error("a preview sent something")
	}
	_ = time.Now
}
