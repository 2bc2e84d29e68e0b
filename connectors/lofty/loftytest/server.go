package loftytest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

// Credentials. They are fixed so that pipelines and tests can hard-code them.
const (
	// AccessToken is the only OAuth2 access token the sandbox accepts, sent
	// as "Authorization: Bearer <AccessToken>".
	AccessToken = "lofty-sandbox-access-token"
	// VendorKey is the only valid vendorKey. It is optional; sent as the
	// "vendorKey" request header (or the vendorKey query parameter), it
	// raises the rate limit from RateLimitNoVendorKey to
	// RateLimitWithVendorKey calls per window.
	VendorKey = "lofty-sandbox-vendor-key"
	// VendorKeyHeader is the header the vendorKey travels in.
	VendorKeyHeader = "vendorKey"
	// BasePath is the path prefix of every documented endpoint.
	BasePath = "/v1.0"
)

// Error codes carried in Result.errorCode of 400 responses.
const (
	ErrCodeInvalidParam  int32 = 400001 // a query or path parameter is invalid
	ErrCodeInvalidBody   int32 = 400002 // the body is not the JSON object expected
	ErrCodeValidation    int32 = 400003 // the body failed field validation
	ErrCodeInvalidScroll int32 = 400004 // unknown or expired scrollId
	ErrCodeResultWindow  int32 = 400005 // offset+limit beyond the result window
)

// DefaultMaxResultWindow bounds offset+limit on the lead searches; deeper
// pages must use scrollId.
const DefaultMaxResultWindow = 10000

func init() {
	sandbox.Register("lofty", func(o sandbox.Options) sandbox.Sandbox { return New(o) })
}

// Server simulates the Lofty Open API. Create it with New.
type Server struct {
	opts    sandbox.Options
	now     func() time.Time
	faults  *sandbox.Faults
	handler http.Handler
	limiter *limiter

	requests    atomic.Int64
	requests429 atomic.Int64

	mu        sync.RWMutex
	st        *store
	received  []Submission
	nested    bool
	maxWindow int
	off       map[string]bool // endpoints this account does not serve (SetEndpointOff)
	routing   int             // round-robin position for leadRouting

	scrollMu    sync.Mutex
	scrolls     map[int64]*scrollSnap
	scrollOrder []int64
	nextScroll  int64
}

// New builds a sandbox with the deterministic dataset for opts.Seed and
// opts.Size.
func New(opts sandbox.Options) *Server {
	s := &Server{
		opts:      opts,
		now:       opts.Clock(),
		faults:    &sandbox.Faults{},
		limiter:   newLimiter(),
		st:        generate(opts.Seed, opts.Records(DefaultSize)),
		maxWindow: DefaultMaxResultWindow,
		scrolls:   map[int64]*scrollSnap{},
	}
	s.handler = s.faults.Wrap(http.HandlerFunc(s.serveAPI))
	return s
}

// Vendor returns "lofty".
func (s *Server) Vendor() string { return "lofty" }

// Env returns LOFTY_BASE_URL (baseURL + "/v1.0"), LOFTY_ACCESS_TOKEN and
// LOFTY_VENDOR_KEY.
func (s *Server) Env(baseURL string) map[string]string {
	return map[string]string{
		"LOFTY_BASE_URL":     strings.TrimRight(baseURL, "/") + BasePath,
		"LOFTY_ACCESS_TOKEN": AccessToken,
		"LOFTY_VENDOR_KEY":   VendorKey,
	}
}

// Faults returns the fault injector in front of every request.
func (s *Server) Faults() *sandbox.Faults { return s.faults }

// ServeHTTP counts the request, then passes it through the fault injector,
// the rate limiter, authentication and the router, in that order.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	// Every response carries the rate-limit headers, including the ones the
	// fault injector writes; the limiter overwrites them with the state
	// after counting the request.
	key, limit := rateKey(r)
	st, _ := s.limiter.take(key, limit, s.now(), false)
	st.write(w.Header())
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if sw.status == http.StatusTooManyRequests {
			s.requests429.Add(1)
		}
	}()
	s.handler.ServeHTTP(sw, r)
}

func rateKey(r *http.Request) (string, int) {
	vk := r.Header.Get(VendorKeyHeader)
	if vk == "" {
		vk = r.URL.Query().Get("vendorKey")
	}
	if vk == VendorKey {
		return "vk|" + r.Header.Get("Authorization"), RateLimitWithVendorKey
	}
	return "nokey|" + r.Header.Get("Authorization"), RateLimitNoVendorKey
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	key, limit := rateKey(r)
	st, ok := s.limiter.take(key, limit, s.now(), true)
	st.write(w.Header())
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"message":"Too Many Requests"}`))
		return
	}
	if !authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="lofty", error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	s.route(w, r)
}

func authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(tok) == AccessToken
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, BasePath+"/")
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	seg := strings.Split(strings.Trim(rest, "/"), "/")
	s.mu.RLock()
	off := s.off[strings.Join(seg, "/")]
	s.mu.RUnlock()
	if off {
		w.WriteHeader(http.StatusNotFound) // as an unknown path: no body
		return
	}
	m := r.Method
	var h map[string]http.HandlerFunc
	switch {
	case len(seg) == 1 && seg[0] == "me":
		h = map[string]http.HandlerFunc{"GET": s.handleMe}
	case len(seg) == 1 && seg[0] == "members":
		h = map[string]http.HandlerFunc{"GET": s.handleMembers}
	case len(seg) == 1 && seg[0] == "leads":
		h = map[string]http.HandlerFunc{"GET": s.leadSearch(searchList), "POST": s.handleCreateLead}
	case len(seg) == 2 && seg[0] == "leads" && seg[1] == "createTime":
		h = map[string]http.HandlerFunc{"GET": s.leadSearch(searchCreateTime)}
	case len(seg) == 2 && seg[0] == "leads" && seg[1] == "updateTime":
		h = map[string]http.HandlerFunc{"GET": s.leadSearch(searchUpdateTime)}
	case len(seg) == 2 && seg[0] == "leads":
		id := seg[1]
		h = map[string]http.HandlerFunc{
			"GET":    func(w http.ResponseWriter, r *http.Request) { s.handleGetLead(w, r, id) },
			"PUT":    func(w http.ResponseWriter, r *http.Request) { s.handleEditLead(w, r, id) },
			"DELETE": func(w http.ResponseWriter, r *http.Request) { s.handleDeleteLead(w, r, id) },
		}
	case len(seg) == 3 && seg[0] == "leads" && seg[2] == "activities":
		id := seg[1]
		h = map[string]http.HandlerFunc{"GET": func(w http.ResponseWriter, r *http.Request) { s.handleActivities(w, r, id) }}
	case len(seg) == 3 && seg[0] == "leads" && seg[2] == "activity":
		id := seg[1]
		h = map[string]http.HandlerFunc{"POST": func(w http.ResponseWriter, r *http.Request) { s.handleAddActivity(w, r, id) }}
	case len(seg) == 1 && seg[0] == "calls":
		h = map[string]http.HandlerFunc{"GET": s.handleCalls}
	case len(seg) == 2 && seg[0] == "calls":
		id := seg[1]
		h = map[string]http.HandlerFunc{"GET": func(w http.ResponseWriter, r *http.Request) { s.handleCall(w, r, id) }}
	case len(seg) == 2 && seg[0] == "communication" && seg[1] == "call":
		h = map[string]http.HandlerFunc{"GET": s.handleCommCalls}
	case len(seg) == 3 && seg[0] == "communication" && seg[1] == "call" && seg[2] == "v2":
		h = map[string]http.HandlerFunc{"GET": s.handleCommCallsV2}
	case len(seg) == 2 && seg[0] == "communication" && seg[1] == "email":
		h = map[string]http.HandlerFunc{"GET": s.handleCommEmails}
	case len(seg) == 2 && seg[0] == "communication" && seg[1] == "text":
		h = map[string]http.HandlerFunc{"GET": s.handleCommTexts}
	case len(seg) == 2 && seg[0] == "agent" && seg[1] == "communication":
		h = map[string]http.HandlerFunc{"POST": s.handleAgentCommunication}
	case len(seg) == 1 && seg[0] == "notes":
		h = map[string]http.HandlerFunc{"GET": s.handleNotes, "POST": s.handleAddNote}
	case len(seg) == 2 && seg[0] == "notes":
		id := seg[1]
		h = map[string]http.HandlerFunc{"GET": func(w http.ResponseWriter, r *http.Request) { s.handleNote(w, r, id) }}
	case len(seg) == 1 && seg[0] == "logType":
		h = map[string]http.HandlerFunc{"GET": s.handleLogTypes}
	case len(seg) == 2 && seg[0] == "logType":
		id := seg[1]
		h = map[string]http.HandlerFunc{"GET": func(w http.ResponseWriter, r *http.Request) { s.handleLogType(w, r, id) }}
	default:
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if f, ok := h[m]; ok {
		f(w, r)
		return
	}
	allow := make([]string, 0, len(h))
	for k := range h {
		allow = append(allow, k)
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	w.WriteHeader(http.StatusMethodNotAllowed)
}

// statusWriter remembers the status code and keeps the Hijacker the fault
// injector needs.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if hj, ok := w.ResponseWriter.(http.Hijacker); ok {
		return hj.Hijack()
	}
	return nil, nil, errors.New("loftytest: hijacking not supported")
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// --- response helpers ---

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, code int32, msg string, fields []FieldError) {
	writeJSON(w, status, Result{ErrorCode: code, ErrorMsg: &msg, ErrorData: fields})
}

func writeOK(w http.ResponseWriter, id int64) {
	writeJSON(w, http.StatusOK, Result{Data: &id})
}

// --- parameter helpers ---

// maxInt32 bounds offset-like parameters, which the document types int32.
const maxInt32 = 1<<31 - 1

type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

func badParam(format string, args ...any) error {
	return &paramError{msg: fmt.Sprintf(format, args...)}
}

func intParam(q map[string][]string, name string, def, lo, hi int) (int, error) {
	vs := q[name]
	if len(vs) == 0 || strings.TrimSpace(vs[0]) == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(vs[0]))
	if err != nil {
		return 0, badParam("%s: %q is not an integer", name, vs[0])
	}
	if n < lo || (hi > 0 && n > hi) {
		if hi > 0 {
			return 0, badParam("%s: %d is out of range [%d, %d]", name, n, lo, hi)
		}
		return 0, badParam("%s: %d must be >= %d", name, n, lo)
	}
	return n, nil
}

func int64Param(q map[string][]string, name string) (*int64, error) {
	vs := q[name]
	if len(vs) == 0 || strings.TrimSpace(vs[0]) == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(vs[0]), 10, 64)
	if err != nil {
		return nil, badParam("%s: %q is not an integer", name, vs[0])
	}
	return &n, nil
}

func boolParam(q map[string][]string, name string) (*bool, error) {
	vs := q[name]
	if len(vs) == 0 || strings.TrimSpace(vs[0]) == "" {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(vs[0])) {
	case "true":
		b := true
		return &b, nil
	case "false":
		b := false
		return &b, nil
	}
	return nil, badParam("%s: %q is not a boolean", name, vs[0])
}

// multi reads an array(multi) parameter: repeated (?a=x&a=y) or
// comma-separated (?a=x,y), as Spring binds both.
func multi(q map[string][]string, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func parseID(raw string) (int64, bool) {
	id, err := strconv.ParseInt(raw, 10, 64)
	return id, err == nil
}

func writeParamError(w http.ResponseWriter, err error) {
	writeError(w, http.StatusBadRequest, ErrCodeInvalidParam, err.Error(), nil)
}
