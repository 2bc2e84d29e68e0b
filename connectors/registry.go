// Package connectors defines what a vendor connector is and keeps the
// registry of them. Each connector lives in its own folder
// (connectors/<vendor>) and registers itself in init(); connectors/all
// imports them all.
//
// The core interface is small: a connector reads streams into canonical
// batches. Abilities beyond that are optional interfaces found by type
// assertion: Pusher (send rows to the vendor), io.Closer, StatsReporter.
package connectors

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/schema"
)

// Spec describes a connector to the registry, the CLI and the docs.
type Spec struct {
	Name    string
	Summary string
	Streams []StreamSpec
	Targets []TargetSpec
	// Sample is the connector's sample pipeline (its embedded sample.yaml),
	// shown by `leadpipe connectors NAME` and quoted in its README.
	Sample []byte
	// NewConfig returns a pointer to a zero typed config. The config package
	// decodes `source.config` / `push.config` into it strictly, then calls its
	// SetDefaults() and Validate(*config.Validator) methods if it has them.
	NewConfig func() any
	// New builds a connector from a decoded, valid config.
	New func(cfg any, env Env) (Connector, error)
	// Decodes lists the streams a file of vendor records can hold (see
	// Decoder); empty when the connector cannot read files.
	Decodes []string
	// Attributes declares the privacy class of every key the connector
	// writes into each table's attributes (see schema.AttrClasses). The
	// privacy policy acts on these classes; it judges by name only keys no
	// declaration covers (a vendor's new field, custom fields). The
	// conformance suite fails on a key the connector writes undeclared.
	Attributes map[*schema.Table]schema.AttrClasses
	// PushPrivacy declares the privacy class of the personal fields of each
	// push target (target → field → class), and of fields whose name
	// suggests what they are not (lofty's cannotEmail is a flag): what the
	// privacy policy does with them in receipts, rejects and the ledger.
	// Fields it leaves out are judged by name (phone-typed ones are phones).
	PushPrivacy map[string]map[string]schema.PrivacyClass
}

// TargetFields applies the spec's PushPrivacy to the fields of a target.
func (s *Spec) TargetFields(target string, fields []Field) []Field {
	decl := s.PushPrivacy[target]
	if len(decl) == 0 {
		return fields
	}
	out := make([]Field, len(fields))
	for i, f := range fields {
		if c, ok := decl[f.Name]; ok {
			f.Privacy = c
		}
		out[i] = f
	}
	return out
}

// StreamSpec describes one stream a connector can read.
type StreamSpec struct {
	Name        string
	Tables      []string // canonical tables the stream fills
	Incremental bool     // resumes from a cursor
	Cursor      string   // what the cursor tracks, for docs
	Description string
}

// TargetSpec describes one push target.
type TargetSpec struct {
	Name        string
	Description string
	Lookup      string // how a row of unknown outcome is found at the vendor ("" = none)
	Update      bool   // supports on_change: update
}

// Env is what the engine gives a connector.
type Env struct {
	Pipeline string
	Logger   *slog.Logger
	Unknowns *schema.Unknowns
	Now      func() time.Time
	// RateLimit and Concurrency override the connector's HTTP defaults when
	// non-zero (a push pipeline's rate_limit / concurrency).
	RateLimit   float64
	Concurrency int
	// Refs holds the vendor loan references leadpipe knows (state store).
	// Vendors without a list endpoint (iute) poll exactly these.
	Refs RefStore
	// Open reads a file the pipeline file names (iute's import_refs_from):
	// a local path relative to the pipeline file, or an s3:// URL. Never
	// call it with a name that came from data.
	Open func(ctx context.Context, location string) (io.ReadCloser, error)
	// OpenAttachment reads a file an input row names (a field of type
	// TypeFile): only a file under the pipeline's push.attachments_dir;
	// anything else is refused. nil when the pipeline declares no such
	// directory: a connector then refuses every file.
	OpenAttachment func(ctx context.Context, cell string) (io.ReadCloser, error)
	// Observer, when set, is passed to the connector's HTTP client
	// (httpclient.Config.Observer): it sees every attempt (metrics).
	Observer func(RequestInfo)
	// Phase, when set, hears what a connector is doing between the rows it
	// emits: a step with a known count, such as fetching the details of 536
	// loans (the progress line shows "loan details 123/536").
	Phase func(name string, done, total int)
}

// ReportPhase tells Env.Phase, if any, how far a step is.
func (e Env) ReportPhase(name string, done, total int) {
	if e.Phase != nil {
		e.Phase(name, done, total)
	}
}

// RequestInfo is what an Env.Observer sees of one HTTP attempt.
type RequestInfo = httpclient.RequestInfo

// RefStore keeps the loan references of one vendor in the state store.
type RefStore interface {
	// AddRef records a reference; rowKey is the push row that created it
	// ("" for an imported one).
	AddRef(ctx context.Context, ref, rowKey string) error
	// Refs lists every known reference, oldest first.
	Refs(ctx context.Context) ([]string, error)
}

// Clock returns Env.Now or time.Now.
func (e Env) Clock() func() time.Time {
	if e.Now != nil {
		return e.Now
	}
	return time.Now
}

// Log returns Env.Logger or a logger that drops everything.
func (e Env) Log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Connector reads a vendor's streams.
type Connector interface {
	// Read pulls the requested streams and emits canonical batches. It
	// records the cursor each stream reaches with req.SetCursor; the engine
	// commits those cursors only after the emitted data is durable.
	Read(ctx context.Context, req *ReadRequest, out Emitter) error
}

// Emitter receives batches. Emit blocks while the sink catches up, which is
// what bounds memory. The batch belongs to the emitter once passed: the
// connector must not touch it again.
type Emitter interface {
	Emit(ctx context.Context, b *schema.Batch) error
}

// EmitFunc adapts a function to Emitter.
type EmitFunc func(ctx context.Context, b *schema.Batch) error

// Emit calls f.
func (f EmitFunc) Emit(ctx context.Context, b *schema.Batch) error { return f(ctx, b) }

// ReadRequest is one run's request to a connector.
type ReadRequest struct {
	Streams []string
	// State holds each stream's cursor from the last committed run. It is
	// empty for a first run and for --full-refresh.
	State       map[string]string
	FullRefresh bool
	// Now is the run's start; incremental windows end here.
	Now time.Time

	mu      sync.Mutex
	cursors map[string]string
}

// Wants reports whether stream was requested.
func (r *ReadRequest) Wants(stream string) bool {
	for _, s := range r.Streams {
		if s == stream {
			return true
		}
	}
	return false
}

// SetCursor records the cursor stream has reached. Safe for concurrent use.
func (r *ReadRequest) SetCursor(stream, cursor string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cursors == nil {
		r.cursors = map[string]string{}
	}
	r.cursors[stream] = cursor
}

// Cursors returns the cursors recorded so far.
func (r *ReadRequest) Cursors() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]string, len(r.cursors))
	for k, v := range r.cursors {
		out[k] = v
	}
	return out
}

// Decoder is implemented by connectors whose vendor records can also come
// from a file of the vendor's own JSON, one object per line: an export, or
// the payloads of the vendor's webhooks. A pull pipeline with both a
// connector and a file reads the file through Decode instead of the API.
type Decoder interface {
	// Decode appends the canonical rows of one vendor record of stream to b.
	Decode(stream string, record []byte, b *schema.Batch) error
}

// StatsReporter is implemented by connectors that count their HTTP traffic.
type StatsReporter interface {
	HTTPStats() HTTPStats
}

// HTTPStats is a connector's HTTP traffic for the run summary.
type HTTPStats struct {
	Requests    int64
	Retries     int64
	RateLimited int64 // 429 answers
	// RateLimitWait and BackoffWait are the wall time during which some
	// request waited on the vendor's rate limit (the client's limit,
	// pacing, Retry-After) and in retry backoff: not summed over the
	// requests waiting at once.
	RateLimitWait time.Duration
	BackoffWait   time.Duration
}

// StatsOf is the summary's view of an HTTP client's counters.
func StatsOf(s httpclient.Stats) HTTPStats {
	return HTTPStats{Requests: s.Requests, Retries: s.Retries, RateLimited: s.RateLimited,
		RateLimitWait: s.RateLimitWall, BackoffWait: s.BackoffWall}
}

var (
	mu    sync.RWMutex
	specs = map[string]*Spec{}
)

// Register adds a connector. It panics on a duplicate or incomplete spec:
// both are programming errors that must fail at start-up.
func Register(s *Spec) {
	mu.Lock()
	defer mu.Unlock()
	if s.Name == "" || s.NewConfig == nil || s.New == nil {
		panic(fmt.Sprintf("connectors: spec %q is incomplete", s.Name))
	}
	if _, dup := specs[s.Name]; dup {
		panic(fmt.Sprintf("connectors: %q registered twice", s.Name))
	}
	specs[s.Name] = s
}

// Lookup finds a registered connector.
func Lookup(name string) (*Spec, bool) {
	mu.RLock()
	defer mu.RUnlock()
	s, ok := specs[name]
	return s, ok
}

// All lists the registered connectors by name.
func All() []*Spec {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]*Spec, 0, len(specs))
	for _, s := range specs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names lists the registered connector names.
func Names() []string {
	var out []string
	for _, s := range All() {
		out = append(out, s.Name)
	}
	return out
}

// Stream finds a stream of the spec.
func (s *Spec) Stream(name string) (StreamSpec, bool) {
	for _, st := range s.Streams {
		if st.Name == name {
			return st, true
		}
	}
	return StreamSpec{}, false
}

// CloseQuietly closes c if it is an io.Closer.
func CloseQuietly(c any) {
	if cl, ok := c.(io.Closer); ok {
		_ = cl.Close()
	}
}
