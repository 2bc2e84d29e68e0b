package lumire_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/connectortest"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/connectors/lumire"
	"github.com/leadpipe/leadpipe/connectors/lumire/lumiretest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/schema"
)

// The values the vendor document shows, one example per enumeration
// (lumirecrm.txt: PATCH /v1/sales/leads/{id} "status": "new", POST
// /v1/sales/activities "kind": "note", POST /v1/transactions "kind":
// "deposit" and "status": "pending", POST /v1/payments/deposits "kind":
// "card").
var (
	documentedLeadStatuses   = []string{"new"}
	documentedActivityKinds  = []string{"note"}
	documentedTxKinds        = []string{"deposit"}
	documentedTxStatuses     = []string{"pending"}
	documentedPaymentMethods = []string{"card"}
)

func TestEveryDocumentedValueIsMapped(t *testing.T) {
	canonical := map[string]bool{}
	for _, s := range schema.Statuses {
		canonical[s] = true
	}
	events := map[string]bool{}
	for _, e := range schema.EventTypes {
		events[e] = true
	}
	// The sandbox's enumerations were written from the same doc by someone
	// else; every one of their values must map too.
	for _, s := range append(documentedLeadStatuses, lumiretest.LeadStatuses...) {
		if got, ok := lumire.LeadStatusMap[s]; !ok || !canonical[got] {
			t.Errorf("lead status %s maps to %q, not a canonical status", s, got)
		}
	}
	for _, k := range append(documentedActivityKinds, lumiretest.ActivityKinds...) {
		if got, ok := lumire.EventTypeMap[k]; !ok || !events[got] {
			t.Errorf("activity kind %s maps to %q, not a canonical event type", k, got)
		}
	}
	for _, k := range append(documentedTxKinds, lumiretest.TransactionKinds...) {
		if _, ok := lumire.TransactionKindMap[k]; !ok {
			t.Errorf("transaction kind %s is not mapped", k)
		}
		if !slices.Contains(lumire.TransactionKinds, k) {
			t.Errorf("transaction kind %s cannot be pushed", k)
		}
	}
	for _, s := range append(documentedTxStatuses, lumiretest.TransactionStatuses...) {
		if _, ok := lumire.TransactionStatusMap[s]; !ok {
			t.Errorf("transaction status %s is not mapped", s)
		}
		if !slices.Contains(lumire.TransactionStatuses, s) {
			t.Errorf("transaction status %s cannot be pushed", s)
		}
	}
	for _, s := range lumiretest.DepositStatuses {
		if _, ok := lumire.DepositStatusMap[s]; !ok {
			t.Errorf("deposit status %s is not mapped", s)
		}
	}
	for _, s := range lumiretest.WithdrawalStatuses {
		if _, ok := lumire.WithdrawalStatusMap[s]; !ok {
			t.Errorf("withdrawal status %s is not mapped", s)
		}
	}
	for _, k := range append(documentedPaymentMethods, lumiretest.PaymentKinds...) {
		if !lumire.PaymentMethods[k] {
			t.Errorf("payment method %s is not known", k)
		}
	}
	// Unknown values land on safe ones.
	if lumire.UnknownLeadStatus != schema.StatusNew || lumire.UnknownPaymentStatus != lumire.PaymentPending {
		t.Error("unknown values must land on the least advanced value")
	}
}

// ---- sandbox environment ----

type env struct {
	srv  *lumiretest.Server
	http *httptest.Server
	*sandbox.Clock
}

func start(t *testing.T, size int) *env {
	t.Helper()
	e := &env{Clock: sandbox.NewClock(lumiretest.Anchor.Add(24 * time.Hour))}
	e.srv = lumiretest.New(sandbox.Options{Seed: 7, Size: size, Now: e.Now})
	e.http = httptest.NewServer(e.srv)
	t.Cleanup(e.http.Close)
	return e
}

func (e *env) baseURL() string { return e.srv.Env(e.http.URL)["LUMIRE_BASE_URL"] }

// yaml is a config block that logs in with a session, plus extra lines.
func (e *env) yaml(extra string) string {
	return fmt.Sprintf("base_url: %s\nemail: %s\npassword: %s\ntenant_slug: %s\nrate_limit: 1000\n%s",
		e.baseURL(), lumiretest.Email, lumiretest.Password, lumiretest.TenantSlug, extra)
}

func (e *env) config(t *testing.T, extra string) any {
	t.Helper()
	return connectortest.Config(t, "lumire", e.yaml(extra))
}

var allStreams = []string{"leads", "events", "payments"}

func (e *env) read(t *testing.T, cfg any, state map[string]string, streams ...string) *connectortest.Result {
	t.Helper()
	if len(streams) == 0 {
		streams = allStreams
	}
	res := connectortest.Read(t, "lumire", cfg, &connectors.ReadRequest{Streams: streams, State: state, Now: e.Now()})
	if res.Err != nil {
		t.Fatalf("read: %v", res.Err)
	}
	return res
}

func (e *env) payments() int {
	return len(e.srv.Deposits()) + len(e.srv.Withdrawals()) + len(e.srv.Transactions())
}

func pages(n, size int) int { return max(1, (n+size-1)/size) }

func attrs(t *testing.T, s string) map[string]any {
	t.Helper()
	if s == "" {
		return map[string]any{}
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("attributes %q: %v", s, err)
	}
	return m
}

// ---- pull ----

func TestFullReadMatchesTheSandbox(t *testing.T) {
	for _, tc := range []struct {
		name     string
		size     int
		pageSize int
		shape    string
	}{
		{"default page", 120, 100, lumiretest.ShapeData},
		{"leads an exact multiple of the page size", 60, 20, lumiretest.ShapeData},
		{"items envelope with a null cursor", 40, 15, lumiretest.ShapeItems},
		{"bare array with the cursor in a header", 40, 15, lumiretest.ShapeArray},
		{"page of one", 6, 1, lumiretest.ShapeData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, tc.size)
			if err := e.srv.SetResponseShape(tc.shape); err != nil {
				t.Fatal(err)
			}
			res := e.read(t, e.config(t, fmt.Sprintf("page_size: %d\nconcurrency: 3", tc.pageSize)), nil)
			snap := e.srv.Snapshot()

			// Cursor paging to the end: one request per page, no more, no
			// fewer, and every record exactly once.
			want := 1 + 1 + pages(len(snap.Leads), tc.pageSize) + len(snap.Leads) + pages(len(snap.Activities), tc.pageSize) +
				pages(len(snap.Deposits), tc.pageSize) + pages(len(snap.Withdrawals), tc.pageSize) + pages(len(snap.Transactions), tc.pageSize)
			if res.HTTP.Requests != int64(want) {
				t.Errorf("%d requests, want %d (login, pipelines, pages and lead details)", res.HTTP.Requests, want)
			}
			if len(res.Batch.Leads) != len(snap.Leads) || len(res.Batch.Events) != len(snap.Activities) || len(res.Batch.Payments) != e.payments() {
				t.Fatalf("read %d leads, %d events, %d payments; the sandbox has %d, %d, %d", len(res.Batch.Leads),
					len(res.Batch.Events), len(res.Batch.Payments), len(snap.Leads), len(snap.Activities), e.payments())
			}

			leads := map[string]schema.Lead{}
			for _, l := range res.Batch.Leads {
				if _, dup := leads[l.VendorLeadID]; dup {
					t.Fatalf("lead %s emitted twice", l.VendorLeadID)
				}
				leads[l.VendorLeadID] = l
			}
			stages := map[string]bool{"New": true, "Contacted": true, "Qualified": true, "Won": true, "Lost": true}
			for _, w := range snap.Leads {
				l, ok := leads[w.ID]
				if !ok {
					t.Fatalf("lead %s missing", w.ID)
				}
				if l.LeadUID != "lumire:"+w.ID || l.VendorStatus != w.Status || l.Status != lumire.LeadStatusMap[w.Status] {
					t.Errorf("lead %s: uid %s status %s/%s, want %s", w.ID, l.LeadUID, l.Status, l.VendorStatus, w.Status)
				}
				if !l.CreatedAt.Time().Equal(w.CreatedAt.Time) || !l.UpdatedAt.Time().Equal(w.UpdatedAt.Time) {
					t.Errorf("lead %s times %s %s", w.ID, l.CreatedAt, l.UpdatedAt)
				}
				if l.Email != strings.ToLower(w.Email) {
					t.Errorf("lead %s email %q, want %q", w.ID, l.Email, strings.ToLower(w.Email))
				}
				if w.Country != nil && *w.Country != "" && l.Country != strings.ToUpper(*w.Country) {
					t.Errorf("lead %s country %q from %q", w.ID, l.Country, *w.Country)
				}
				if l.Phone != "" && !strings.HasPrefix(l.Phone, "+") {
					t.Errorf("lead %s phone %q is not E.164", w.ID, l.Phone)
				}
				if !stages[l.VendorSubStatus] {
					t.Errorf("lead %s stage %q is not a stage name", w.ID, l.VendorSubStatus)
				}
				a := attrs(t, l.Attributes)
				if len(w.Metadata) > 0 && a["metadata"] == nil {
					t.Errorf("lead %s lost its metadata (details): %s", w.ID, l.Attributes)
				}
				if w.ConvertedTraderID != nil && a["trader_id"] != *w.ConvertedTraderID {
					t.Errorf("lead %s trader link %v, want %s", w.ID, a["trader_id"], *w.ConvertedTraderID)
				}
			}

			statusChanges := 0
			for _, ev := range res.Batch.Events {
				if ev.EventType == schema.EventStatusChange {
					statusChanges++
					if ev.StatusTo == "" {
						t.Errorf("status change %s has no status_to: %q", ev.EventUID, ev.Detail)
					}
				}
			}
			if statusChanges == 0 {
				t.Error("no status change among the events")
			}

			checkPayments(t, e, res.Batch.Payments, true)
			for _, s := range allStreams {
				if res.Cursors[s] == "" {
					t.Errorf("no cursor for %s", s)
				}
			}
		})
	}
}

// checkPayments compares the payments read with the sandbox's records.
func checkPayments(t *testing.T, e *env, got []schema.Payment, withMetadata bool) {
	t.Helper()
	type truth struct {
		source, amount, currency, status string
		occurred                         time.Time
	}
	want := map[string]truth{}
	for _, d := range e.srv.Deposits() {
		at := d.CreatedAt.Time
		if d.SettledAt != nil {
			at = d.SettledAt.Time
		}
		want[d.ID] = truth{"deposit", d.Amount, d.Currency, lumire.DepositStatusMap[d.Status], at}
	}
	for _, w := range e.srv.Withdrawals() {
		at := w.CreatedAt.Time
		if w.SettledAt != nil {
			at = w.SettledAt.Time
		}
		want[w.ID] = truth{"withdrawal", w.Amount, w.Currency, lumire.WithdrawalStatusMap[w.Status], at}
	}
	for _, x := range e.srv.Transactions() {
		want[x.ID] = truth{"transaction", x.Amount, x.Currency, lumire.TransactionStatusMap[x.Status], x.OccurredAt.Time}
	}
	seen := map[string]bool{}
	jpy := false
	for _, p := range got {
		if seen[p.PaymentUID] {
			t.Fatalf("payment %s emitted twice", p.PaymentUID)
		}
		seen[p.PaymentUID] = true
		w, ok := want[p.VendorPaymentID]
		if !ok {
			t.Fatalf("payment %s is not in the sandbox", p.VendorPaymentID)
		}
		m, _ := schema.ParseMoney(w.amount)
		if p.Amount != m || p.Currency != w.currency || p.Status != w.status || !p.OccurredAt.Time().Equal(w.occurred) {
			t.Errorf("payment %s: %s %s %s at %s, want %s %s %s at %s", p.VendorPaymentID, p.Amount, p.Currency,
				p.Status, p.OccurredAt, w.amount, w.currency, w.status, w.occurred)
		}
		a := attrs(t, p.Attributes)
		if a["source"] != w.source {
			t.Errorf("payment %s source %v, want %s", p.VendorPaymentID, a["source"], w.source)
		}
		if w.currency == "JPY" {
			jpy = true
			if strings.Contains(w.amount, ".") || p.Amount.Cents%100 != 0 {
				t.Errorf("JPY amount %s read as %s", w.amount, p.Amount)
			}
		}
		_ = withMetadata
	}
	if len(seen) != len(want) {
		t.Errorf("read %d payments, the sandbox has %d", len(seen), len(want))
	}
	if len(want) > 50 && !jpy {
		t.Error("no JPY amount was checked")
	}
}

func TestSessionExpiryMidRunLogsInAgainWithoutLosingAPage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		expire func(e *env)
	}{
		{"sessions expired by the vendor", func(e *env) { e.srv.ExpireSessions() }},
		{"session lifetime passed on the vendor clock", func(e *env) { e.Advance(9 * time.Hour) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, 90)
			spec, _ := connectors.Lookup("lumire")
			conn, err := spec.New(e.config(t, "page_size: 10\nconcurrency: 4"), connectors.Env{Unknowns: &schema.Unknowns{}})
			if err != nil {
				t.Fatal(err)
			}
			defer connectors.CloseQuietly(conn)
			var got schema.Batch
			batches := 0
			req := &connectors.ReadRequest{Streams: allStreams, Now: e.Now()}
			err = conn.Read(context.Background(), req, connectors.EmitFunc(func(_ context.Context, b *schema.Batch) error {
				batches++
				got.Leads = append(got.Leads, b.Leads...)
				got.Events = append(got.Events, b.Events...)
				got.Payments = append(got.Payments, b.Payments...)
				if batches == 2 || batches == 12 { // mid-leads, and mid-events
					tc.expire(e)
				}
				return nil
			}))
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if n := e.srv.SessionCount(); n != 3 {
				t.Errorf("%d logins, want 3 (one, then one after each expiry)", n)
			}
			if len(got.Leads) != 90 || len(got.Events) != len(e.srv.Activities()) || len(got.Payments) != e.payments() {
				t.Errorf("read %d leads, %d events, %d payments; want 90, %d, %d", len(got.Leads), len(got.Events),
					len(got.Payments), len(e.srv.Activities()), e.payments())
			}
			seen := map[string]bool{}
			for _, l := range got.Leads {
				if seen[l.LeadUID] {
					t.Fatalf("lead %s read twice", l.LeadUID)
				}
				seen[l.LeadUID] = true
			}
		})
	}
}

func TestUndocumentedResponseShapeThroughTheYAMLOverride(t *testing.T) {
	e := start(t, 25)
	if err := e.srv.SetResponseShape(lumiretest.ShapeNested); err != nil {
		t.Fatal(err)
	}
	e.srv.SetCursorParam("after")

	// Without the override the connector says what it could not find and
	// which setting fixes it, instead of reading nothing.
	res := connectortest.Read(t, "lumire", e.config(t, ""), &connectors.ReadRequest{Streams: []string{"leads"}, Now: e.Now()})
	if res.Err == nil {
		t.Fatal("an unknown envelope did not fail the read")
	}
	for _, want := range []string{"lumire", "records_path", "result"} {
		if !strings.Contains(res.Err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, res.Err)
		}
	}
	if !errors.Is(res.Err, httpclient.ErrMalformedResponse) {
		t.Errorf("error does not wrap ErrMalformedResponse: %v", res.Err)
	}

	cfg := e.config(t, "page_size: 7\nrecords_path: result.rows\nnext_cursor_path: result.paging.after\ncursor_param: after\n")
	got := e.read(t, cfg, nil)
	if len(got.Batch.Leads) != 25 || len(got.Batch.Events) != len(e.srv.Activities()) || len(got.Batch.Payments) != e.payments() {
		t.Errorf("read %d leads, %d events, %d payments; want 25, %d, %d", len(got.Batch.Leads), len(got.Batch.Events),
			len(got.Batch.Payments), len(e.srv.Activities()), e.payments())
	}
	checkPayments(t, e, got.Batch.Payments, true)
	if l := got.Batch.Leads[0]; l.VendorSubStatus == "" || strings.Count(l.VendorSubStatus, "-") == 4 {
		t.Errorf("the pipelines list was not read through the override: stage %q", l.VendorSubStatus)
	}
}

func TestExportCapSplitsTheDateWindow(t *testing.T) {
	e := start(t, 40)
	api := e.read(t, e.config(t, ""), nil, "payments")

	const limit = 7
	e.srv.SetExportCap(limit)
	cfg := e.config(t, fmt.Sprintf("read_path: export\nexport_cap: %d\npage_size: 5", limit))
	exp := e.read(t, cfg, nil, "payments")
	checkPayments(t, e, exp.Batch.Payments, false)
	if minimum := int64(1 + (e.payments()+limit-1)/limit); exp.HTTP.Requests < minimum {
		t.Errorf("%d requests: the exports cannot all fit under the cap of %d", exp.HTTP.Requests, limit)
	}
	byID := map[string]schema.Payment{}
	for _, p := range api.Batch.Payments {
		byID[p.PaymentUID] = p
	}
	for _, p := range exp.Batch.Payments {
		a := byID[p.PaymentUID]
		if p.Amount != a.Amount || p.Currency != a.Currency || p.Status != a.Status || p.Kind != a.Kind ||
			p.OccurredAt != a.OccurredAt || p.AccountRef != a.AccountRef {
			t.Errorf("export row %s differs from the list's:\n%+v\n%+v", p.PaymentUID, p, a)
		}
	}

	// The same cap without splitting would have lost rows: the sandbox
	// really truncates.
	if e.payments() <= 3*limit {
		t.Fatalf("the dataset (%d payments) does not exceed the cap", e.payments())
	}

	// An incremental export reads what changed.
	e.Advance(time.Hour)
	dep := e.srv.Deposits()[3]
	if err := e.srv.SetStatus(dep.ID, "rejected"); err != nil {
		t.Fatal(err)
	}
	e.Advance(time.Minute)
	next := e.read(t, cfg, exp.Cursors, "payments")
	got := map[string]string{}
	for _, p := range next.Batch.Payments {
		got[p.VendorPaymentID] = p.Status
	}
	if got[dep.ID] != lumire.PaymentFailed || len(got) != 2 {
		t.Errorf("incremental export read %v; want deposit %s failed and its ledger transaction", got, dep.ID)
	}
}

func TestExportWindowTooShortToSplitFallsBackToTheList(t *testing.T) {
	e := start(t, 1)
	trader, account := e.traderAccount(t)
	tg := e.target(t, "transactions", "")
	var ids []string
	for i, at := range []string{"2026-11-01T12:00:00.000Z", "2026-11-01T12:00:00.000Z", "2026-11-01T13:00:00.000Z"} {
		f := txRec(trader, account)
		f["occurredAt"] = at
		r, err := tg.Send(context.Background(), rec(f), fmt.Sprintf("same-ms-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.VendorID)
	}
	// Two rows share one millisecond: no date window holds fewer than two,
	// so a cap of one can only be met by reading that instant from the list.
	e.srv.SetExportCap(1)
	res := e.read(t, e.config(t, "read_path: export\nexport_cap: 1\npayment_sources: [transactions]\nstart_date: 2026-11-01"), nil, "payments")
	var got []string
	for _, p := range res.Batch.Payments {
		got = append(got, p.VendorPaymentID)
	}
	slices.Sort(got)
	slices.Sort(ids)
	if !slices.Equal(got, ids) {
		t.Errorf("read %v, want exactly %v", got, ids)
	}
}

func TestIncrementalReadsOnlyWhatChanged(t *testing.T) {
	e := start(t, 80)
	cfg := e.config(t, "page_size: 20")
	first := e.read(t, cfg, nil)

	e.Advance(time.Hour)
	quiet := e.read(t, cfg, first.Cursors)
	if n := quiet.Batch.Len(); n != 0 {
		t.Errorf("a run with no change read %d rows", n)
	}

	e.Advance(time.Hour)
	lead := e.srv.Leads()[5]
	to := "contacted"
	if lead.Status == to {
		to = "qualified"
	}
	if err := e.srv.SetStatus(lead.ID, to); err != nil {
		t.Fatal(err)
	}
	tx := e.srv.Transactions()[10]
	if err := e.srv.SetStatus(tx.ID, "cancelled"); err != nil {
		t.Fatal(err)
	}
	e.Advance(time.Minute)
	next := e.read(t, cfg, quiet.Cursors)
	if len(next.Batch.Leads) != 1 || next.Batch.Leads[0].VendorLeadID != lead.ID || next.Batch.Leads[0].VendorStatus != to {
		t.Errorf("incremental leads = %+v, want %s %s", next.Batch.Leads, lead.ID, to)
	}
	if len(next.Batch.Events) != 1 || next.Batch.Events[0].EventType != schema.EventStatusChange ||
		next.Batch.Events[0].StatusTo != lumire.LeadStatusMap[to] {
		t.Errorf("incremental events = %+v, want the status change", next.Batch.Events)
	}
	if len(next.Batch.Payments) != 1 || next.Batch.Payments[0].VendorPaymentID != tx.ID || next.Batch.Payments[0].Status != lumire.PaymentCancelled {
		t.Errorf("incremental payments = %+v, want %s cancelled", next.Batch.Payments, tx.ID)
	}
	if next.HTTP.Requests >= first.HTTP.Requests/4 {
		t.Errorf("the incremental run made %d requests, the full one %d", next.HTTP.Requests, first.HTTP.Requests)
	}

	full := connectortest.Read(t, "lumire", cfg, &connectors.ReadRequest{Streams: []string{"leads"}, State: next.Cursors,
		FullRefresh: true, Now: e.Now()})
	if full.Err != nil || len(full.Batch.Leads) != 80 {
		t.Errorf("full refresh read %d leads (%v), want 80", len(full.Batch.Leads), full.Err)
	}
}

func TestStartDateBoundsAFirstRun(t *testing.T) {
	e := start(t, 50)
	day := lumiretest.Anchor.AddDate(0, 0, -60)
	res := e.read(t, e.config(t, "start_date: "+day.Format("2006-01-02")), nil, "leads", "payments")
	want := 0
	for _, l := range e.srv.Leads() {
		if !l.CreatedAt.Before(day) {
			want++
		}
	}
	if len(res.Batch.Leads) != want || want == 0 || want == 50 {
		t.Errorf("read %d leads created since %s, want %d", len(res.Batch.Leads), day.Format("2006-01-02"), want)
	}
}

func TestAPIKeyAuth(t *testing.T) {
	e := start(t, 12)
	base := fmt.Sprintf("base_url: %s\nrate_limit: 1000\n", e.baseURL())
	res := e.read(t, connectortest.Config(t, "lumire", base+"api_key: "+lumiretest.APIKey+"\n"), nil)
	if len(res.Batch.Leads) != 12 || e.srv.SessionCount() != 0 {
		t.Errorf("api key read %d leads with %d logins", len(res.Batch.Leads), e.srv.SessionCount())
	}
	// The header is configurable; a vendor that expects another one
	// answers 401, and the key never shows.
	cfg := connectortest.Config(t, "lumire", base+"api_key: "+lumiretest.APIKey+"\napi_key_header: X-Lumire-Key\n")
	bad := connectortest.Read(t, "lumire", cfg, &connectors.ReadRequest{Streams: []string{"leads"}, Now: e.Now()})
	if bad.Err == nil || !strings.Contains(bad.Err.Error(), "401") {
		t.Fatalf("wrong header: %v", bad.Err)
	}
	cfg = connectortest.Config(t, "lumire", base+"api_key: lmr_wrong_key_0042\n")
	bad = connectortest.Read(t, "lumire", cfg, &connectors.ReadRequest{Streams: []string{"leads"}, Now: e.Now()})
	if bad.Err == nil || !strings.Contains(bad.Err.Error(), "Invalid API key") || strings.Contains(bad.Err.Error(), "lmr_wrong_key_0042") {
		t.Errorf("wrong key: %v", bad.Err)
	}
}

func TestTOTP(t *testing.T) {
	e := start(t, 5)
	e.srv.RequireTOTP("287082")
	res := connectortest.Read(t, "lumire", e.config(t, ""), &connectors.ReadRequest{Streams: []string{"leads"}, Now: e.Now()})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "totp_secret") {
		t.Fatalf("a TOTP-enrolled user without a code: %v", res.Err)
	}
	if got := e.read(t, e.config(t, "totp_code: '287082'"), nil, "leads"); len(got.Batch.Leads) != 5 {
		t.Errorf("totp_code read %d leads", len(got.Batch.Leads))
	}
	// RFC 6238's SHA-1 test seed gives 287082 at T=59s.
	spec, _ := connectors.Lookup("lumire")
	cfg := e.config(t, "totp_secret: GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	conn, err := spec.New(cfg, connectors.Env{Now: func() time.Time { return time.Unix(59, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	defer connectors.CloseQuietly(conn)
	n := 0
	err = conn.Read(context.Background(), &connectors.ReadRequest{Streams: []string{"leads"}, Now: e.Now()},
		connectors.EmitFunc(func(_ context.Context, b *schema.Batch) error { n += len(b.Leads); return nil }))
	if err != nil || n != 5 {
		t.Errorf("totp_secret read %d leads: %v", n, err)
	}
}

func TestAuthFailureIsClearAndHidesThePassword(t *testing.T) {
	e := start(t, 5)
	cfg := connectortest.Config(t, "lumire", fmt.Sprintf("base_url: %s\nemail: %s\npassword: wrong-secret-123\ntenant_slug: %s\n",
		e.baseURL(), lumiretest.Email, lumiretest.TenantSlug))
	res := connectortest.Read(t, "lumire", cfg, &connectors.ReadRequest{Streams: []string{"leads"}, Now: e.Now()})
	if res.Err == nil {
		t.Fatal("no error with a wrong password")
	}
	msg := res.Err.Error()
	for _, want := range []string{"lumire", "401", "Invalid credentials", "tenant_slug"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "wrong-secret-123") {
		t.Errorf("error leaks the password: %s", msg)
	}
}

func TestUnknownValuesAreKeptAndCounted(t *testing.T) {
	e := start(t, 60)
	e.srv.InjectUnknownValues()
	res := e.read(t, e.config(t, ""), nil)
	fields := map[string]bool{}
	for _, u := range res.Unknowns.List() {
		fields[u.Field] = true
	}
	for _, f := range []string{"lead.status", "activity.kind", "transaction.kind", "transaction.status",
		"deposit.status", "deposit.kind", "withdrawal.status", "withdrawal.kind"} {
		if !fields[f] {
			t.Errorf("no unknown %s counted; got %v", f, res.Unknowns.List())
		}
	}
	for _, l := range res.Batch.Leads {
		if l.VendorStatus == lumiretest.UnknownLeadStatus && l.Status != lumire.UnknownLeadStatus {
			t.Errorf("unknown status %s mapped to %s", l.VendorStatus, l.Status)
		}
	}
	for _, p := range res.Batch.Payments {
		a := attrs(t, p.Attributes)
		switch a["vendor_status"] {
		case lumiretest.UnknownTransactionStatus, lumiretest.UnknownDepositStatus, lumiretest.UnknownWithdrawalStatus:
			if p.Status != lumire.UnknownPaymentStatus {
				t.Errorf("unknown payment status %v mapped to %s", a["vendor_status"], p.Status)
			}
		}
		if a["vendor_kind"] == lumiretest.UnknownTransactionKind && p.Kind != lumire.UnknownPaymentKind {
			t.Errorf("unknown transaction kind mapped to %s", p.Kind)
		}
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject func(f *sandbox.Faults)
	}{
		{"429 with Retry-After", func(f *sandbox.Faults) { f.Storm429(3, 0) }},
		{"503", func(f *sandbox.Faults) { f.FailNext(2, 503, "unavailable") }},
		{"dropped connection", func(f *sandbox.Faults) { f.DropNext(2) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, 20)
			tc.inject(e.srv.Faults())
			res := e.read(t, e.config(t, "concurrency: 1"), nil, "leads")
			if len(res.Batch.Leads) != 20 || res.HTTP.Retries == 0 {
				t.Errorf("got %d leads with %d retries", len(res.Batch.Leads), res.HTTP.Retries)
			}
		})
	}
}

func TestConfigProblems(t *testing.T) {
	_, probs := connectortest.TryConfig("lumire", "base_url: ftp://x\npage_size: 500\nauth: oauth\nread_path: csv\n"+
		"payment_sources: [deposits, refunds]\nexport_cap: 0\ntimezone: Mars/Base\nbogus: 1\n")
	msgs := probs.Error()
	for _, want := range []string{"config.base_url", "config.page_size: must be 1..100", "config.auth: must be session or api_key",
		"config.read_path: must be api or export", `config.payment_sources[1]: must be one of deposits, withdrawals, transactions, got "refunds"`,
		"config.timezone", `unknown key "bogus"`} {
		if !strings.Contains(msgs, want) {
			t.Errorf("problems lack %q:\n%s", want, msgs)
		}
	}
	_, probs = connectortest.TryConfig("lumire", "email: a@b.test\n")
	for _, want := range []string{"config.password: is required for auth: session", "config.tenant_slug: is required"} {
		if !strings.Contains(probs.Error(), want) {
			t.Errorf("problems lack %q:\n%s", want, probs.Error())
		}
	}
	_, probs = connectortest.TryConfig("lumire", "auth: api_key\napi_key_header: 'bad header'\n")
	for _, want := range []string{"config.api_key: is required for auth: api_key", "config.api_key_header"} {
		if !strings.Contains(probs.Error(), want) {
			t.Errorf("problems lack %q:\n%s", want, probs.Error())
		}
	}
	_, probs = connectortest.TryConfig("lumire", "api_key: k\ntotp_secret: not-base32!\nauth: session\nemail: a\npassword: b\ntenant_slug: c\n")
	if !strings.Contains(probs.Error(), "config.totp_secret") {
		t.Errorf("a bad totp_secret passed:\n%s", probs.Error())
	}
	cfg, probs := connectortest.TryConfig("lumire", "api_key: k\n")
	if len(probs.Errors()) > 0 || cfg.(*lumire.Config).Auth != lumire.AuthAPIKey || cfg.(*lumire.Config).APIKeyHeader != "X-API-Key" {
		t.Errorf("api_key alone should select auth api_key with X-API-Key: %+v %v", cfg, probs)
	}
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		Connector: "lumire",
		PageSize:  5,
		Start: func(t *testing.T, size int) *connectortest.Sandbox {
			if size == 0 {
				size = -1 // an empty account
			}
			e := start(t, size)
			base := fmt.Sprintf("base_url: %s\nemail: %s\ntenant_slug: %s\nrate_limit: 1000\npage_size: 5\n",
				e.baseURL(), lumiretest.Email, lumiretest.TenantSlug)
			return &connectortest.Sandbox{
				Config:        base + "password: " + lumiretest.Password + "\n",
				BadAuthConfig: base + "password: not-the-password-42\n",
				Secret:        "not-the-password-42",
				Faults:        e.srv.Faults(),
				Now:           e.Now,
				Truth: func(table string) int {
					switch table {
					case "leads":
						return len(e.srv.Leads())
					case "events":
						return len(e.srv.Activities())
					case "payments":
						return e.payments()
					}
					return 0
				},
				InjectUnknownValues: e.srv.InjectUnknownValues,
				Change: func(t *testing.T) {
					e.Advance(time.Hour)
					l := e.srv.Leads()[0]
					to := "lost"
					if l.Status == to {
						to = "contacted"
					}
					if err := e.srv.SetStatus(l.ID, to); err != nil {
						t.Fatal(err)
					}
					e.Advance(time.Minute)
				},
			}
		},
	})
}
