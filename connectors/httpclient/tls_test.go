package httpclient_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/leadpipe/leadpipe/connectors/httpclient"
)

func TestTransportDefaults(t *testing.T) {
	tr := httpclient.NewTransport(16)
	if tr.TLSClientConfig == nil || tr.TLSClientConfig.MinVersion != tls.VersionTLS12 {
		t.Fatalf("MinVersion %v, want TLS 1.2", tr.TLSClientConfig)
	}
	if tr.MaxIdleConnsPerHost < 16 {
		t.Fatalf("MaxIdleConnsPerHost %d < concurrency 16", tr.MaxIdleConnsPerHost)
	}
}

func TestTLSBelow12IsRefused(t *testing.T) {
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("hello")) })
	old := httptest.NewUnstartedServer(hello)
	old.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	old.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	old.StartTLS()
	defer old.Close()
	modern := httptest.NewTLSServer(hello)
	defer modern.Close()

	pool := x509.NewCertPool()
	pool.AddCert(old.Certificate())
	pool.AddCert(modern.Certificate())
	tr := httpclient.NewTransport(4)
	tr.TLSClientConfig.RootCAs = pool
	c := httpclient.New(httpclient.Config{Vendor: "lumi", HTTPClient: &http.Client{Transport: tr}})

	// The old server really speaks TLS 1.1: a client that allows it gets in.
	lax := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10}}}
	if resp, err := lax.Get(old.URL); err != nil {
		t.Skipf("this Go build cannot speak TLS 1.1 even when asked (%v); nothing to compare", err)
	} else {
		_ = resp.Body.Close()
	}

	if _, err := c.Do(context.Background(), &httpclient.Request{URL: old.URL}); err == nil {
		t.Fatal("a TLS 1.1 server was accepted")
	} else {
		t.Logf("refused as expected: %v", err)
	}
	if st := c.Stats(); st.Requests != 1 || st.Retries != 0 {
		t.Fatalf("a TLS failure was retried: %+v", st)
	}
	if resp, err := c.Do(context.Background(), &httpclient.Request{URL: modern.URL}); err != nil || string(resp.Body) != "hello" {
		t.Fatalf("TLS ≥ 1.2 server: %v", err)
	}
}
