package pipelines_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/pipelines"
)

// TestProgressNamesThePhase: while a Lumi pull fetches the details of the
// funded leads (no rows come out meanwhile), the progress line says so,
// with its count.
func TestProgressNamesThePhase(t *testing.T) {
	e := newLumiEnv(t, 60)
	funded := 0
	for _, l := range e.srv.Leads() {
		if l.Status == "FUNDED" {
			funded++
		}
	}
	if funded < 3 {
		t.Fatalf("only %d funded leads", funded)
	}
	// Hold the third lead-details request until the progress has shown the
	// phase: the check does not depend on how fast the machine is.
	detail := regexp.MustCompile(`^/v1/leads/[^/]+$`)
	release := make(chan struct{})
	var once sync.Once
	var n int
	var mu sync.Mutex
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if detail.MatchString(r.URL.Path) && r.URL.Path != "/v1/leads/events" {
			mu.Lock()
			n++
			hold := n == 3
			mu.Unlock()
			if hold {
				select {
				case <-release:
				case <-time.After(30 * time.Second):
				}
			}
		}
		e.srv.ServeHTTP(w, r)
	}))
	defer hs.Close()
	e.url = hs.URL
	var phases []string
	var pmu sync.Mutex
	_, err := e.run(e.plan("parquet"), pipelines.Options{Progress: func(p pipelines.Progress) {
		if p.Phase == "" {
			return
		}
		pmu.Lock()
		phases = append(phases, p.Phase)
		pmu.Unlock()
		once.Do(func() { close(release) })
	}})
	if err != nil {
		t.Fatal(err)
	}
	pmu.Lock()
	defer pmu.Unlock()
	want := regexp.MustCompile(fmt.Sprintf(`^(lead details \d+/\d+|loan details \d+/%d)$`, funded))
	for _, p := range phases {
		if !want.MatchString(p) {
			t.Errorf("phase %q", p)
		}
	}
	if len(phases) == 0 || !strings.Contains(strings.Join(phases, ";"), " details ") {
		t.Errorf("no phase shown: %v", phases)
	}
}
