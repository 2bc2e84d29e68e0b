package bizcaptest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

// Fixed credentials and identities of the sandbox account.
const (
	// Token is the only API TOKEN the sandbox accepts
	// ("Authorization: Bearer <Token>").
	Token = "bizmate-sandbox-token-0b7e4c2a9f"
	// BasePath is the documented API base path (https://host/api/v1).
	BasePath = "/api/v1"
	// APIUserID is the user the token belongs to: createdBy/updatedBy of
	// everything written through the API.
	APIUserID = "2f7afce6-0b3c-4e5f-9a11-b3c078a66521"
	// DefaultBrokerID is the broker a lead created without brokerId gets.
	DefaultBrokerID = "1e51262b-4f46-4dd2-9970-f12fe67bd001"
	// DefaultPageSize is used when pageSize is absent; MaxPageSize is the
	// largest accepted.
	DefaultPageSize = 100
	MaxPageSize     = 100
)

// Env variable names.
const (
	EnvBaseURL = "BIZCAP_BASE_URL"
	EnvToken   = "BIZCAP_TOKEN"
)

// Broker is a partner (broker) account the token can submit leads for, with
// its partner contacts (brokerRep).
type Broker struct {
	ID      string
	Name    string
	Country string // ISO 3166-1 alpha-2 of the broker's market
	Reps    []Person
}

var brokers = []Broker{
	{DefaultBrokerID, "Test Bizcap", "AU", []Person{
		{"ee458b33-0039-480a-a62d-cbccce6b0001", "Test Bizcap", "Partner Contact"},
		{"ee458b33-0039-480a-a62d-cbccce6b0002", "Priya", "Raman"},
	}},
	{"5c0a7d1e-93b2-4c8e-8f3a-2d6b1a9e0002", "Harbour Lending Partners", "AU", []Person{
		{"7a1c2e33-5b7d-4f10-9c2e-1a2b3c4d0003", "Liam", "O'Connor"},
		{"7a1c2e33-5b7d-4f10-9c2e-1a2b3c4d0004", "Mei", "Chen"},
	}},
	{"8d2e4f60-1a3b-4c5d-9e7f-0a1b2c3d0005", "Kiwi Business Finance", "NZ", []Person{
		{"9b3d5f71-2c4e-4d6f-8a0b-1c2d3e4f0006", "Aroha", "Ngata"},
	}},
	{"3f6a8c9e-4b5d-4e7f-a1b2-c3d4e5f60007", "Thames Commercial Finance", "GB", []Person{
		{"4a7b9d0f-5c6e-4f8a-b2c3-d4e5f6a70008", "Oliver", "Hughes"},
		{"4a7b9d0f-5c6e-4f8a-b2c3-d4e5f6a70009", "Amelia", "Clarke"},
	}},
	{"6e9f1b2c-7d8e-4f0a-b3c4-d5e6f7a80010", "Merlion Business Funding", "SG", []Person{
		{"7f0a2c3d-8e9f-4a1b-c4d5-e6f7a8b90011", "Wei Ling", "Tan"},
	}},
}

// Brokers returns the broker accounts of the sandbox (valid brokerId and
// brokerRepId values for POST /lead/new).
func Brokers() []Broker {
	out := slices.Clone(brokers)
	for i := range out {
		out[i].Reps = slices.Clone(out[i].Reps)
	}
	return out
}

func findBroker(id string) (Broker, bool) {
	for _, b := range brokers {
		if b.ID == id {
			return b, true
		}
	}
	return Broker{}, false
}

func findRep(id string) (Broker, Person, bool) {
	for _, b := range brokers {
		for _, r := range b.Reps {
			if r.ID == id {
				return b, r, true
			}
		}
	}
	return Broker{}, Person{}, false
}

// Server simulates the Bizmate CRM Partner API. Create it with New.
type Server struct {
	opts    sandbox.Options
	now     func() time.Time
	faults  *sandbox.Faults
	handler http.Handler

	mu          sync.RWMutex
	leads       []*Lead
	leadIndex   map[string]int
	deals       []*Deal
	dealIndex   map[string]int
	attachments []Attachment
	received    []Submission
	idRNG       *rand.Rand // ids of records created after start-up
	injected    bool
}

func init() {
	sandbox.Register("bizcap", func(o sandbox.Options) sandbox.Sandbox { return New(o) })
}

// New builds a sandbox with the dataset generated from opts.Seed and
// opts.Records(DefaultSize) leads: Size exactly, 0 means DefaultSize (300)
// and a negative Size an empty account. Every documented value occurs from
// MinSize (100) leads on.
func New(opts sandbox.Options) *Server {
	s := &Server{
		opts:   opts,
		now:    opts.Clock(),
		faults: &sandbox.Faults{},
		idRNG:  rand.New(rand.NewPCG(uint64(opts.Seed), 0x6269_7a63_6170_0002)),
	}
	s.leads, s.deals = generate(opts.Seed, opts.Records(DefaultSize))
	s.reindex()
	s.handler = s.faults.Wrap(http.HandlerFunc(s.route))
	return s
}

func (s *Server) reindex() {
	s.leadIndex = make(map[string]int, len(s.leads))
	for i, l := range s.leads {
		s.leadIndex[l.ID] = i
	}
	s.dealIndex = make(map[string]int, len(s.deals))
	for i, d := range s.deals {
		s.dealIndex[d.ID] = i
	}
}

// Vendor returns "bizcap".
func (s *Server) Vendor() string { return "bizcap" }

// Env returns BIZCAP_BASE_URL (baseURL + "/api/v1") and BIZCAP_TOKEN.
func (s *Server) Env(baseURL string) map[string]string {
	return map[string]string{
		EnvBaseURL: strings.TrimRight(baseURL, "/") + BasePath,
		EnvToken:   Token,
	}
}

// Faults returns the fault injector that sits in front of every request,
// auth included.
func (s *Server) Faults() *sandbox.Faults { return s.faults }

// ServeHTTP serves the API. Paths are relative to where the server is
// mounted: /api/v1/lead, /api/v1/deal/{id}, ...
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if !authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="bizmate"`)
		writeError(w, http.StatusUnauthorized, msgUnauthorized)
		return
	}
	p := r.URL.Path
	if len(p) < len(BasePath) || !strings.EqualFold(p[:len(BasePath)], BasePath) {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	rest := strings.Trim(p[len(BasePath):], "/")
	if p != BasePath && !strings.HasPrefix(p[len(BasePath):], "/") {
		rest = "\x00" // e.g. /api/v10: not the API
	}
	segs := strings.Split(rest, "/")
	is := func(i int, name string) bool { return strings.EqualFold(segs[i], name) }
	switch {
	case len(segs) == 1 && is(0, "lead") && r.Method == http.MethodGet:
		s.listLeads(w, r)
	case len(segs) == 2 && is(0, "lead") && is(1, "new") && r.Method == http.MethodPost:
		s.createLead(w, r)
	case len(segs) == 2 && is(0, "lead") && r.Method == http.MethodGet:
		s.getLead(w, segs[1])
	case len(segs) == 2 && is(0, "lead") && r.Method == http.MethodPatch:
		s.patchLead(w, r, segs[1])
	case len(segs) == 1 && is(0, "deal") && r.Method == http.MethodGet:
		s.listDeals(w, r)
	case len(segs) == 2 && is(0, "deal") && r.Method == http.MethodGet:
		s.getDeal(w, segs[1])
	case len(segs) == 2 && is(0, "attachments") && is(1, "new") && r.Method == http.MethodPost:
		s.uploadAttachments(w, r)
	default:
		writeError(w, http.StatusNotFound, msgNotFound)
	}
}

func authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(tok) == Token
}

// Error messages. Only "Invalid request" is in the vendor document.
const (
	msgInvalid      = "Invalid request"
	msgUnauthorized = "Unauthorized"
	msgNotFound     = "Not Found"
)

func writeError(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(map[string]string{"error": msg})
	writeBody(w, status, body)
}

// marshal encodes v as the API does: no HTML escaping, newline-terminated.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	writeBody(w, status, body)
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
