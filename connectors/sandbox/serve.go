package sandbox

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Running is a set of sandboxes served on one address, each under
// /<vendor>/, as `leadpipe sandbox` and `leadpipe demo` run them.
type Running struct {
	URL       string // http://host:port
	Sandboxes map[string]Sandbox
	srv       *http.Server
}

// Start serves every registered sandbox (or only the named ones) on addr
// ("127.0.0.1:0" picks a free port).
func Start(addr string, opts Options, vendors ...string) (*Running, error) {
	if len(vendors) == 0 {
		vendors = Vendors()
	}
	mux := http.NewServeMux()
	r := &Running{Sandboxes: map[string]Sandbox{}}
	for _, v := range vendors {
		f, ok := Lookup(v)
		if !ok {
			return nil, fmt.Errorf("no sandbox for vendor %q (available: %v)", v, Vendors())
		}
		sb := f(opts)
		r.Sandboxes[v] = sb
		mux.Handle("/"+v+"/", http.StripPrefix("/"+v, sb))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve sandboxes on %s: %w", addr, err)
	}
	r.URL = "http://" + ln.Addr().String()
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// BaseURL is where one vendor's sandbox is served.
func (r *Running) BaseURL(vendor string) string { return r.URL + "/" + vendor }

// Env returns the environment variables of every sandbox, pointing at where
// it is served.
func (r *Running) Env() map[string]string {
	out := map[string]string{}
	for v, sb := range r.Sandboxes {
		for k, val := range sb.Env(r.BaseURL(v)) {
			out[k] = val
		}
	}
	return out
}

// Close stops serving.
func (r *Running) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return r.srv.Shutdown(ctx)
}
