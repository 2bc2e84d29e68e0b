package lumiretest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

// Credentials of the sandbox tenant. They are fixed so that the shipped
// example pipelines and the connector tests can use them.
const (
	Email      = "integrations@leadpipe.test"
	Password   = "lumire-sandbox-password"
	TenantSlug = "leadpipe-demo"
	APIKey     = "lmr_sandbox_7c1e4b9a2f6d8035e1b4"
)

// Wire names.
const (
	// SessionCookie is the documented session cookie set by POST /v1/auth/login.
	SessionCookie = "lumirecrm_session"
	// APIKeyHeader carries the API key. The vendor document mentions API-key
	// auth but never names the header; this is the sandbox's choice.
	APIKeyHeader = "X-API-Key"
	// NextCursorHeader carries the next cursor when the response shape is
	// ShapeArray (a bare JSON array has nowhere else to put it).
	NextCursorHeader = "X-Next-Cursor"
	// BasePath is the API's documented base path; Env appends it to the URL.
	BasePath = "/v1"
)

// Response shapes for list endpoints (SetResponseShape).
const (
	// ShapeData is the default: {"data":[...],"nextCursor":"..."}, with
	// nextCursor absent on the last page.
	ShapeData = "data"
	// ShapeItems is {"items":[...],"next_cursor":"..."}, with next_cursor null
	// on the last page.
	ShapeItems = "items"
	// ShapeArray is a bare JSON array; the next cursor travels in the
	// X-Next-Cursor response header (absent on the last page).
	ShapeArray = "array"
	// ShapeNested is {"result":{"rows":[...],"paging":{"after":"..."}}},
	// with "after" absent on the last page: a shape no client can guess,
	// for testing a connector's configurable record and cursor paths.
	ShapeNested = "nested"
)

// Defaults.
const (
	DefaultSessionTTL = 8 * time.Hour
	DefaultExportCap  = 10000
	DefaultPageLimit  = 50
	MaxPageLimit      = 100
	DefaultSize       = 300
	// DefaultCursorParam is the query parameter that carries a list cursor
	// (SetCursorParam changes it).
	DefaultCursorParam = "cursor"
)

// Routes recorded in Received, as "METHOD pattern".
const (
	RouteCreateLead        = "POST /v1/sales/leads"
	RouteUpdateLead        = "PATCH /v1/sales/leads/{id}"
	RouteConvertLead       = "POST /v1/sales/leads/{id}/convert"
	RouteCreateActivity    = "POST /v1/sales/activities"
	RouteCreateTransaction = "POST /v1/transactions"
)

// Anchor is the fixed instant all generated data is anchored to.
var Anchor = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func init() {
	sandbox.Register("lumire", func(o sandbox.Options) sandbox.Sandbox { return New(o) })
}

// Submission is one write request the sandbox received (after
// authentication), whether it was accepted or rejected.
type Submission struct {
	Route  string         // e.g. RouteCreateLead
	Method string         // HTTP method
	Path   string         // request path relative to the API root, e.g. /v1/sales/leads
	Body   map[string]any // parsed JSON body (nil if it was not a JSON object)
	Raw    []byte         // body as received
	Time   time.Time      // server clock at receipt
	Status int            // HTTP status answered
	ID     string         // id of the record created or changed ("" if rejected)
}

type session struct {
	token     string
	userID    string
	expiresAt time.Time
	expired   bool // forced by ExpireSessions
	revoked   bool // logged out
}

type principal struct {
	user   User
	method string // "session" or "api_key"
}

// Server simulates the LumireCRM API. Create it with New.
type Server struct {
	opts    sandbox.Options
	now     func() time.Time
	faults  *sandbox.Faults
	handler http.Handler
	defs    []routeDef

	mu           sync.RWMutex
	idRand       *rand.Rand
	tenant       Tenant
	users        []User
	me           User
	pipeline     Pipeline
	leads        *coll[Lead]
	activities   *coll[Activity]
	actByLead    map[string][]*Activity
	traders      *coll[Trader]
	accounts     *coll[Account]
	deposits     *coll[Deposit]
	withdrawals  *coll[Withdrawal]
	transactions *coll[Transaction]
	txByExternal map[string]string
	shape        string
	cursorParam  string
	exportCap    int
	// exportMetadata adds a metadata column (JSON text) to the CSV
	// exports (SetExportMetadataColumn).
	exportMetadata bool
	sessionTTL     time.Duration
	totp           string
	sessions       map[string]*session
	received       []Submission
}

// New builds a sandbox with the dataset generated from opts.Seed and opts.Size.
func New(opts sandbox.Options) *Server {
	s := &Server{
		opts:         opts,
		now:          opts.Clock(),
		faults:       &sandbox.Faults{},
		shape:        ShapeData,
		cursorParam:  DefaultCursorParam,
		exportCap:    DefaultExportCap,
		sessionTTL:   DefaultSessionTTL,
		sessions:     map[string]*session{},
		actByLead:    map[string][]*Activity{},
		txByExternal: map[string]string{},
	}
	s.leads = newColl(func(l *Lead) (time.Time, string) { return l.CreatedAt.Time, l.ID })
	s.activities = newColl(func(a *Activity) (time.Time, string) { return a.OccurredAt.Time, a.ID })
	s.traders = newColl(func(t *Trader) (time.Time, string) { return t.CreatedAt.Time, t.ID })
	s.accounts = newColl(func(a *Account) (time.Time, string) { return a.CreatedAt.Time, a.ID })
	s.deposits = newColl(func(d *Deposit) (time.Time, string) { return d.CreatedAt.Time, d.ID })
	s.withdrawals = newColl(func(w *Withdrawal) (time.Time, string) { return w.CreatedAt.Time, w.ID })
	s.transactions = newColl(func(t *Transaction) (time.Time, string) { return t.OccurredAt.Time, t.ID })
	s.generate()
	s.defs = s.routes()
	s.handler = s.faults.Wrap(http.HandlerFunc(s.route))
	return s
}

// Vendor returns "lumire".
func (s *Server) Vendor() string { return "lumire" }

// Env returns the variables that point a pipeline at this sandbox served at
// baseURL. LUMIRE_BASE_URL includes the /v1 base path, so the connector
// appends "/sales/leads", "/transactions", "/auth/login"...
func (s *Server) Env(baseURL string) map[string]string {
	return map[string]string{
		"LUMIRE_BASE_URL": strings.TrimSuffix(baseURL, "/") + BasePath,
		"LUMIRE_EMAIL":    Email,
		"LUMIRE_PASSWORD": Password,
		"LUMIRE_TENANT":   TenantSlug,
		"LUMIRE_API_KEY":  APIKey,
	}
}

// Faults returns the fault injector that sits in front of every request,
// including authentication.
func (s *Server) Faults() *sandbox.Faults { return s.faults }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// ---- routing ----

type handlerFunc func(w http.ResponseWriter, r *http.Request, params []string, p *principal)

type routeDef struct {
	method  string
	pattern string
	public  bool
	segs    []string
	h       handlerFunc
}

func (s *Server) routes() []routeDef {
	defs := []routeDef{
		{method: "GET", pattern: "/health", public: true, h: s.health},
		{method: "POST", pattern: "/v1/auth/login", public: true, h: s.login},
		{method: "POST", pattern: "/v1/auth/logout", public: true, h: s.logout},
		{method: "GET", pattern: "/v1/auth/me", h: s.authMe},
		{method: "GET", pattern: "/v1/sales/leads", h: s.listLeads},
		{method: "POST", pattern: "/v1/sales/leads", h: s.createLead},
		{method: "GET", pattern: "/v1/sales/leads/{id}", h: s.getLead},
		{method: "PATCH", pattern: "/v1/sales/leads/{id}", h: s.updateLead},
		{method: "POST", pattern: "/v1/sales/leads/{id}/convert", h: s.convertLead},
		{method: "GET", pattern: "/v1/sales/activities", h: s.listActivities},
		{method: "POST", pattern: "/v1/sales/activities", h: s.createActivity},
		{method: "GET", pattern: "/v1/sales/pipelines", h: s.listPipelines},
		{method: "GET", pattern: "/v1/traders", h: s.listTraders},
		{method: "GET", pattern: "/v1/traders/{id}", h: s.getTrader},
		{method: "GET", pattern: "/v1/accounts", h: s.listAccounts},
		{method: "GET", pattern: "/v1/accounts/{id}", h: s.getAccount},
		{method: "GET", pattern: "/v1/payments/deposits", h: s.listDeposits},
		{method: "GET", pattern: "/v1/payments/deposits/export.csv", h: s.exportDeposits},
		{method: "GET", pattern: "/v1/payments/withdrawals", h: s.listWithdrawals},
		{method: "GET", pattern: "/v1/payments/withdrawals/export.csv", h: s.exportWithdrawals},
		{method: "GET", pattern: "/v1/transactions", h: s.listTransactions},
		{method: "POST", pattern: "/v1/transactions", h: s.createTransaction},
		{method: "GET", pattern: "/v1/transactions/export.csv", h: s.exportTransactions},
	}
	for i := range defs {
		defs[i].segs = strings.Split(strings.Trim(defs[i].pattern, "/"), "/")
	}
	return defs
}

func matchSegs(pattern, path []string) ([]string, bool) {
	if len(pattern) != len(path) {
		return nil, false
	}
	var params []string
	for i, p := range pattern {
		if p == "{id}" {
			if path[i] == "" {
				return nil, false
			}
			params = append(params, path[i])
			continue
		}
		if p != path[i] {
			return nil, false
		}
	}
	return params, true
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, rd := range s.defs {
		if rd.method != r.Method {
			continue
		}
		params, ok := matchSegs(rd.segs, segs)
		if !ok {
			continue
		}
		var p *principal
		if !rd.public {
			var msg string
			p, msg = s.authenticate(r)
			if p == nil {
				writeError(w, http.StatusUnauthorized, msg)
				return
			}
		}
		rd.h(w, r, params, p)
		return
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path))
}

// ---- responses ----

// errorBody is the error shape (NestJS's HttpException body): message is a
// string, or an array of strings for validation errors.
type errorBody struct {
	StatusCode int    `json:"statusCode"`
	Message    any    `json:"message"`
	Error      string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, message any) {
	writeJSON(w, status, errorBody{StatusCode: status, Message: message, Error: http.StatusText(status)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	writeRaw(w, status, "application/json; charset=utf-8", b)
}

func writeRaw(w http.ResponseWriter, status int, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) health(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "time": TS(s.clock())})
}

// decodeObject reads a JSON object body. An empty body is an empty object.
func decodeObject(r *http.Request) (map[string]any, []byte, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, 1<<20)); err != nil {
		return nil, buf.Bytes(), fmt.Errorf("request body too large or unreadable")
	}
	raw := buf.Bytes()
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]any{}, raw, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, raw, fmt.Errorf("Unexpected token in JSON body: %v", err)
	}
	if dec.More() {
		return nil, raw, fmt.Errorf("Unexpected data after JSON body")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, raw, fmt.Errorf("Request body must be a JSON object")
	}
	return m, raw, nil
}
