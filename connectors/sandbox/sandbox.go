// Package sandbox is the shared shape of the vendor simulators that live in
// connectors/<vendor>/<vendor>test. A simulator is an in-process HTTP server,
// faithful to its vendor's API document, used by connector tests over real
// HTTP, by `leadpipe sandbox` and by `leadpipe demo`.
//
// Each simulator package registers a Factory in its init function, the same
// way connectors register themselves, so the CLI discovers every sandbox
// through one blank import of connectors/all.
package sandbox

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Options configure a simulator. Every field has a usable zero value.
type Options struct {
	// Seed makes the generated dataset deterministic. The same seed and Size
	// always produce the same records.
	Seed int64
	// Size is the number of primary records (leads, loans...) to generate,
	// exactly. Zero means the simulator's default, which is small enough for
	// a demo; a negative Size means none (an empty account). Below a
	// simulator's documented coverage size, not every enumeration value can
	// occur.
	Size int
	// Now is the simulator's clock. Nil means time.Now. Generated data is
	// anchored to a fixed date, not to Now, so datasets are reproducible.
	Now func() time.Time
}

// Records returns the number of records to generate: Size, def when Size
// is 0, and 0 when Size is negative.
func (o Options) Records(def int) int {
	switch {
	case o.Size == 0:
		return def
	case o.Size < 0:
		return 0
	}
	return o.Size
}

// Clock returns Options.Now or time.Now.
func (o Options) Clock() func() time.Time {
	if o.Now != nil {
		return o.Now
	}
	return time.Now
}

// Sandbox is one vendor simulator.
type Sandbox interface {
	http.Handler
	// Vendor is the connector name this sandbox simulates, e.g. "lumi".
	Vendor() string
	// Env returns the environment variables that point a pipeline at this
	// sandbox when it is served at baseURL (scheme://host:port[/prefix]).
	// Keys follow the convention <VENDOR>_BASE_URL plus the credentials,
	// e.g. LUMI_BASE_URL, LUMI_USERNAME, LUMI_PASSWORD. The shipped example
	// pipelines read exactly these variables.
	Env(baseURL string) map[string]string
}

// Factory builds a simulator.
type Factory func(Options) Sandbox

var (
	mu        sync.RWMutex
	factories = map[string]Factory{}
)

// Register adds a simulator factory. It panics on a duplicate name, because
// two simulators for one vendor is a programming error found at start-up.
func Register(vendor string, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := factories[vendor]; dup {
		panic(fmt.Sprintf("sandbox: %q registered twice", vendor))
	}
	factories[vendor] = f
}

// Lookup returns the factory registered for vendor.
func Lookup(vendor string) (Factory, bool) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := factories[vendor]
	return f, ok
}

// Vendors lists the registered simulators in name order.
func Vendors() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(factories))
	for n := range factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Clock is a clock tests set and move by hand, shared by a sandbox (as its
// Options.Now) and the code under test, so both agree on "now". Safe for
// concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// ValidPhone draws numbers from gen until one is valid for region
// (libphonenumber's IsValidNumber; region is used for numbers without a
// "+"), so that a simulator's people have numbers someone could have:
// random digits often fall in ranges no operator was given. It gives up
// after 50 draws and returns the last one.
func ValidPhone(region string, gen func() string) string {
	var p string
	for range 50 {
		p = gen()
		if n, err := phonenumbers.Parse(p, region); err == nil && phonenumbers.IsValidNumber(n) {
			return p
		}
	}
	return p
}
