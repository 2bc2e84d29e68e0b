package pipelines_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

// TestS3OutageDuringPublishIntegration stops the S3 server (versitygw) as
// soon as the first data file of a run is published under its final name,
// so the run can neither publish the rest nor remove what it published.
// The run fails and says its files are left; once the server is back, the
// next run removes them before it writes anything, and from then on the
// files a reader sees are exactly the files the manifests list.
func TestS3OutageDuringPublishIntegration(t *testing.T) {
	l := newS3Lake(t, 90)
	// leadpipe reaches the server through a proxy that only watches: it
	// stops the real server right after the first publishing copy.
	upstream, err := url.Parse(l.s3srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var armed, stopped sync.Once
	arm := make(chan struct{})
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	proxy.ModifyResponse = func(resp *http.Response) error {
		r := resp.Request
		base := path.Base(r.URL.Path)
		select {
		case <-arm:
			if r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "" && strings.HasPrefix(base, "part-") && resp.StatusCode == 200 {
				stopped.Do(l.s3srv.Stop)
			}
		default:
		}
		return nil
	}
	proxy.ErrorLog = log.New(io.Discard, "", 0) // "connection refused" is the point
	ps := httptest.NewServer(proxy)
	defer ps.Close()
	t.Setenv("AWS_ENDPOINT_URL_S3", ps.URL)

	plan := l.plan("parquet")
	if _, err := l.run(plan, pipelines.Options{}); err != nil {
		t.Fatal(err)
	}
	l.Advance(time.Hour)
	for _, lead := range l.srv.Leads()[:5] {
		if err := l.srv.SetStatus(lead.ID, "PROCESSING"); err != nil {
			t.Fatal(err)
		}
	}
	l.Advance(time.Minute)

	armed.Do(func() { close(arm) })
	sum, err := l.run(plan, pipelines.Options{})
	if err == nil {
		t.Fatal("the run succeeded with the S3 server stopped during its publish")
	}
	stopped.Do(func() { t.Fatal("the proxy never saw a data file published") })
	failed, rerr := l.store.Run(context.Background(), sum.RunID)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if failed.Status != state.RunFailedFilesLeft || !strings.Contains(err.Error(), "the next run removes them") {
		t.Fatalf("the failed run is %q with error %v; want %q and a word about its files", failed.Status, err, state.RunFailedFilesLeft)
	}

	l.s3srv.Restart(t)
	if orphans := l.committedView(); len(orphans) == 0 {
		t.Fatal("the outage left no published file outside the manifests: the test did not stop the server mid-publish")
	} else {
		t.Logf("the failed run left %d published files outside any manifest: %v", len(orphans), orphans)
	}

	next, err := l.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatalf("the run after the outage: %v", err)
	}
	if !slices.ContainsFunc(next.Recovered, func(n string) bool { return strings.Contains(n, "removed the files run "+sum.RunID) }) {
		t.Errorf("recovered = %q, want a note that the failed run's files were removed", next.Recovered)
	}
	if orphans := l.committedView(); len(orphans) != 0 {
		t.Errorf("published files outside any manifest after the next run: %v", orphans)
	}
	for _, k := range l.keys() {
		if strings.Contains(k, ".inprogress") {
			t.Errorf("staged object left behind: %s", k)
		}
	}
	settled, _ := l.store.Run(context.Background(), sum.RunID)
	if settled.Status != state.RunFailed || !strings.Contains(settled.Error, "removed by the next run") {
		t.Errorf("after the clean-up the failed run is %q (%s), want failed with its files removed", settled.Status, settled.Error)
	}
	l.check(false)
}
