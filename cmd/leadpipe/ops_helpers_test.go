package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/lumi/lumitest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

// gate holds a vendor's requests of one method after the first `pass`,
// until it is opened, and announces every request it holds.
type gate struct {
	next    http.Handler
	method  string
	pass    int32
	seen    atomic.Int32
	held    chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGate(next http.Handler, method string, pass int) *gate {
	return &gate{next: next, method: method, pass: int32(pass), held: make(chan struct{}, 10000), release: make(chan struct{})}
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == g.method && g.seen.Add(1) > g.pass {
		g.held <- struct{}{}
		select {
		case <-g.release:
		case <-r.Context().Done():
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// waitHeld waits until the gate holds n requests.
func (g *gate) waitHeld(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-g.held:
		case <-time.After(60 * time.Second):
			t.Fatalf("the gate saw only some of %d requests in 60s", n)
		}
	}
}

// lumiBox is a Lumi sandbox behind a gate, with a work directory.
type lumiBox struct {
	srv   *lumitest.Server
	gate  *gate
	url   string
	dir   string
	state string
	lake  string
}

func newLumiBox(t *testing.T, size int, method string, pass int) *lumiBox {
	t.Helper()
	b := &lumiBox{srv: lumitest.New(sandbox.Options{Seed: 21, Size: size}), dir: t.TempDir()}
	b.gate = newGate(b.srv, method, pass)
	hs := httptest.NewServer(b.gate)
	t.Cleanup(hs.Close)
	t.Cleanup(b.gate.open)
	b.url = hs.URL
	b.state = filepath.Join(b.dir, "state.db")
	b.lake = filepath.Join(b.dir, "lake")
	return b
}

func (b *lumiBox) env() []string {
	var out []string
	for k, v := range b.srv.Env(b.url) {
		out = append(out, k+"="+v)
	}
	return append(out, "LAKE="+b.lake)
}

func (b *lumiBox) setenv(t *testing.T) {
	for _, kv := range b.env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

func (b *lumiBox) write(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(b.dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const lumiPull = `name: %s
source:
  connector: lumi
  config:
    base_url: ${LUMI_BASE_URL}
    username: ${LUMI_USERNAME}
    password: ${LUMI_PASSWORD}
    rate_limit: 1000
sink:
  path: ${LAKE}
`

const lumiPush = `name: %s
source:
  file:
    path: rows.csv
push:
  connector: lumi
  target: leads
  config:
    base_url: ${LUMI_BASE_URL}
    username: ${LUMI_USERNAME}
    password: ${LUMI_PASSWORD}
    rate_limit: 1000
  key: [ref]
  fields:
    customer.first_name: first
    customer.email: email
    customer.phone: phone
    company.name: company
    company.abn: abn
    loan.requested_amount: amount
    loan.installments: weeks
  receipts: out/receipts
  rejects: out/rejects
  concurrency: 4
`

// writeRows writes n valid push rows and the given extra lines.
func (b *lumiBox) writeRows(t *testing.T, n int, extra ...string) {
	var s strings.Builder
	s.WriteString("ref,first,email,phone,company,abn,amount,weeks\n")
	for i := range n {
		fmt.Fprintf(&s, "K%04d,Name%d,k%d@example.com.au,04%08d,Co %d,51824753556,20000,52\n", i, i, i, 30000000+i, i)
	}
	for _, x := range extra {
		s.WriteString(x + "\n")
	}
	b.write(t, "rows.csv", s.String())
}

func (b *lumiBox) store(t *testing.T) *state.Store {
	t.Helper()
	st, err := state.Open(b.state)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// child is the leadpipe CLI running as a separate process (the test binary
// with LEADPIPE_TEST_MAIN set), whose stderr is watched line by line.
type child struct {
	t      *testing.T
	cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []string
	notify chan struct{}
	stdout strings.Builder
	exited chan int
}

func startChild(t *testing.T, dir string, env []string, args ...string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, notify: make(chan struct{}, 1), exited: make(chan int, 1)}
	c.cmd = exec.Command(exe, args...)
	c.cmd.Dir = dir
	c.cmd.Env = append(append(os.Environ(), "LEADPIPE_TEST_MAIN=1"), env...)
	c.cmd.Stdout = &syncWriter{w: &c.stdout, mu: &c.mu}
	errPipe, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(errPipe)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			c.mu.Lock()
			c.lines = append(c.lines, sc.Text())
			c.mu.Unlock()
			select {
			case c.notify <- struct{}{}:
			default:
			}
		}
	}()
	go func() {
		<-read
		err := c.cmd.Wait()
		code := 0
		if err != nil {
			code = -1
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
		}
		c.exited <- code
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			c.cmd.Process.Kill()
			<-c.exited
		}
	})
	return c
}

type syncWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// stderr is everything the child logged so far.
func (c *child) stderr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "\n")
}

// logLine is one JSON log line.
type logLine map[string]any

func (l logLine) str(k string) string { s, _ := l[k].(string); return s }

// logs parses the child's JSON log lines.
func (c *child) logs() []logLine {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []logLine
	for _, l := range c.lines {
		var m logLine
		if json.Unmarshal([]byte(l), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// waitLog waits until n log lines have a message containing msg.
func (c *child) waitLog(msg string, n int) []logLine {
	c.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		var found []logLine
		for _, l := range c.logs() {
			if strings.Contains(l.str("msg"), msg) {
				found = append(found, l)
			}
		}
		if len(found) >= n {
			return found
		}
		select {
		case <-c.notify:
		case code := <-c.exited:
			c.t.Fatalf("the child exited (%d) before logging %q %d times:\n%s", code, msg, n, c.stderr())
		case <-deadline:
			c.t.Fatalf("the child did not log %q %d times in 60s:\n%s", msg, n, c.stderr())
		}
	}
}

func (c *child) signal(sig os.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatal(err)
	}
}

// wait returns the child's exit code.
func (c *child) wait() int {
	c.t.Helper()
	select {
	case code := <-c.exited:
		return code
	case <-time.After(90 * time.Second):
		c.cmd.Process.Kill()
		c.t.Fatalf("the child did not exit in 90s:\n%s", c.stderr())
	}
	return 0
}

// dataFiles lists the files under the lake, manifests included.
func dataFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, dir+"/"))
		}
		return nil
	})
	return out
}
