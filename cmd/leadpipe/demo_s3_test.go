package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/sinks/laketest"
	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sinks/storage/s3/s3test"
)

// `leadpipe demo --out s3://...` writes the whole lake (data, manifests,
// receipts, rejects) to S3, found through the environment
// (AWS_ENDPOINT_URL_S3 on a loopback IP: path-style on its own), and keeps
// only the pipelines and the state store local.
func TestDemoToS3Integration(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	bucket := srv.NewBucket(t)
	out := "s3://" + bucket + "/leadpipe-demo"
	state := filepath.Join(t.TempDir(), "state")
	code, stdout, stderr := cli(t, "demo", "--out", out, "--state-dir", state, "--size", "20")
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "✗") {
		t.Errorf("a demo pipeline failed:\n%s", stdout)
	}
	for _, want := range []string{
		"output in " + out, "pipelines and state store in " + state,
		"$(cat " + filepath.Join(state, "views.sql") + ")", "URL_STYLE 'path'", "KEY_ID '$AWS_ACCESS_KEY_ID'",
		"receipts: " + out + "/receipts/backfill-lumi-",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the demo output lacks %q", want)
		}
	}
	if views, err := os.ReadFile(filepath.Join(state, "views.sql")); err != nil ||
		!strings.Contains(string(views), "read_parquet('"+out+"/leads/**/*.parquet'") {
		t.Errorf("the views the demo wrote do not read the lake on S3: %v\n%s", err, views)
	}
	if strings.Contains(stdout+stderr, srv.SecretKey) {
		t.Error("the demo printed the secret key")
	}

	st, err := storage.Open(context.Background(), out, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := st.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	mirror := t.TempDir()
	seen := map[string]int{}
	for _, o := range objs {
		top, _, _ := strings.Cut(o.Key, "/")
		seen[top]++
		if strings.HasSuffix(o.Key, ".inprogress") {
			t.Errorf("staged object left: %s", o.Key)
		}
		r, err := st.Open(context.Background(), o.Key)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		p := filepath.Join(mirror, filepath.FromSlash(o.Key))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, b, 0o644)
	}
	for _, top := range []string{"leads", "loans", "events", "_runs", "receipts", "rejects"} {
		if seen[top] == 0 {
			t.Errorf("nothing under %s/%s/ (found %v)", out, top, seen)
		}
	}
	vendors := map[string]bool{}
	for _, r := range laketest.Read(t, mirror, "leads") {
		vendors[r["vendor"]] = true
	}
	if !vendors["lumi"] || !vendors["bizcap"] {
		t.Errorf("leads on S3 are from %v, want lumi and bizcap among them", vendors)
	}

	// Local: the pipelines and the state store, and no lake.
	for _, p := range []string{"pipelines/lumi.yaml", ".leadpipe/state.db"} {
		if _, err := os.Stat(filepath.Join(state, p)); err != nil {
			t.Errorf("local %s: %v", p, err)
		}
	}
	for _, p := range []string{"leads", "_runs", "receipts"} {
		if _, err := os.Stat(filepath.Join(state, p)); err == nil {
			t.Errorf("the demo wrote %s locally", p)
		}
	}

	// A prefix that holds something else is refused.
	code, _, stderr = cli(t, "demo", "--out", "s3://"+bucket, "--state-dir", filepath.Join(t.TempDir(), "s2"), "--size", "20")
	if code != exitInvalid || !strings.Contains(stderr, "not empty and was not made by leadpipe demo") {
		t.Errorf("demo into a foreign prefix: exit %d, %s", code, stderr)
	}
}
