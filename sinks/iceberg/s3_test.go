package iceberg_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/iceberg"
	"github.com/leadpipe/leadpipe/sinks/iceberg/icebergtest"
	"github.com/leadpipe/leadpipe/sinks/laketest"
	"github.com/leadpipe/leadpipe/sinks/storage"
	_ "github.com/leadpipe/leadpipe/sinks/storage/s3"
	"github.com/leadpipe/leadpipe/sinks/storage/s3/s3test"
)

// The tables on a real S3 server (versitygw), reached with a named profile
// from a credentials file: iceberg-go's S3 file IO must use the same AWS
// settings as the storage backend (it would find no credentials on its
// own). The rows read back with iceberg-go's scanner, and with DuckDB from
// the data files the manifests list, downloaded.
func TestS3Integration(t *testing.T) {
	srv := s3test.Start(t)
	s3test.Isolate(t)
	creds := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(creds, []byte("[leadpipe-test]\naws_access_key_id = "+srv.AccessKey+
		"\naws_secret_access_key = "+srv.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	bucket := srv.NewBucket(t)
	opts := srv.Options()
	opts.Profile = "leadpipe-test"
	dir := t.TempDir()
	e := openEnv(t, iceberg.Options{Warehouse: "s3://" + bucket + "/lake", Catalog: filepath.Join(dir, "iceberg.db"), Storage: opts}, dir)

	b := sampleBatch()
	e.run("r1", t0, b)
	at := t0.Add(24 * time.Hour)
	b2 := &schema.Batch{Leads: []schema.Lead{lead("lumi", 2, "funded", at), lead("bizcap", 5, "lost", at)}}
	e.run("r2", at, b2)

	hist := icebergtest.Scan(t, e.sink, "leads")
	if len(hist) != 26 {
		t.Errorf("leads has %d rows, want 26", len(hist))
	}
	cur := icebergtest.Scan(t, e.sink, "leads_current")
	sameRows(t, "leads_current", cur, latest(t, hist, "lead_uid"))
	sameRows(t, "loans_current", icebergtest.Scan(t, e.sink, "loans_current"), icebergtest.Want(schema.RowsOf(schema.Loans, b.Loans)))

	sto, err := storage.Open(context.Background(), "s3://"+bucket, opts)
	if err != nil {
		t.Fatal(err)
	}
	files := icebergtest.DataFiles(t, e.sink, "leads_current")
	local := make([]string, len(files))
	for i, f := range files {
		key, ok := strings.CutPrefix(f, "s3://"+bucket+"/lake/leadpipe/leads_current/data/")
		if !ok {
			t.Fatalf("data file %s is not under the table's location", f)
		}
		local[i] = filepath.Join(dir, "dl", key)
		download(t, sto, strings.TrimPrefix(f, "s3://"+bucket+"/"), local[i])
	}
	duck, types := icebergtest.DuckDBFiles(t, local, schema.Leads)
	sameRows(t, "leads_current (DuckDB)", duck, cur)
	if types["amount_requested"] != "DECIMAL(18,2)" || types["updated_at"] != "TIMESTAMP WITH TIME ZONE" {
		t.Errorf("DuckDB types: %v", types)
	}
	for _, id := range []string{"r1", "r2"} {
		if ok, err := e.sink.RunCommitted(context.Background(), id); !ok || err != nil {
			t.Errorf("RunCommitted(%s) = %v, %v", id, ok, err)
		}
	}
	if len(laketest.Duplicates(laketest.Column(cur, "lead_uid"))) > 0 {
		t.Error("leads_current has a uid twice")
	}
}

func download(t *testing.T, sto storage.Storage, key, to string) {
	t.Helper()
	r, err := sto.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, r); err != nil {
		t.Fatal(err)
	}
}
