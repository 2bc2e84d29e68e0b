package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sinks/storage/s3"
	"github.com/leadpipe/leadpipe/sinks/storage/s3/s3test"
	"github.com/leadpipe/leadpipe/sinks/storage/storagetest"
)

// The conformance suite, on a real S3-compatible server: once at the root
// of a fresh bucket per subtest, once under a prefix of a shared bucket
// (where the other subtests' objects must stay invisible). The server is
// found through the environment only (AWS_ENDPOINT_URL_S3 and the
// credential chain), as `leadpipe` finds it.
func TestConformanceIntegration(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	t.Run("BucketRoot", func(t *testing.T) {
		storagetest.Run(t, func(t *testing.T) storage.Storage {
			return open(t, "s3://"+srv.NewBucket(t), storage.Options{})
		})
	})
	shared := srv.NewBucket(t)
	n := 0
	t.Run("UnderPrefix", func(t *testing.T) {
		storagetest.Run(t, func(t *testing.T) storage.Storage {
			n++
			// A neighbour whose name extends the prefix must not leak in.
			neighbour := open(t, fmt.Sprintf("s3://%s/lake/run%d-x", shared, n), storage.Options{})
			put(t, neighbour, "a/b", "neighbour")
			return open(t, fmt.Sprintf("s3://%s/lake/run%d/", shared, n), storage.Options{})
		})
	})
}

func open(t *testing.T, loc string, opts storage.Options) storage.Storage {
	t.Helper()
	s, err := storage.Open(t.Context(), loc, opts)
	if err != nil {
		t.Fatalf("open %s: %v", loc, err)
	}
	return s
}

func put(t *testing.T, s storage.Storage, key, data string) {
	t.Helper()
	w, err := s.Create(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, s storage.Storage, key string) string {
	t.Helper()
	r, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func uploads(t *testing.T, srv *s3test.Server, bucket string) []string {
	t.Helper()
	out, err := srv.Client().ListMultipartUploads(t.Context(), &awss3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys
}

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct{ loc, bucket, prefix, err string }{
		{"s3://leads-lake", "leads-lake", "", ""},
		{"s3://leads-lake/", "leads-lake", "", ""},
		{"s3://leads-lake/prod/lake", "leads-lake", "prod/lake/", ""},
		{"s3://leads-lake/prod/lake/", "leads-lake", "prod/lake/", ""},
		{"S3://leads-lake/x", "leads-lake", "x/", ""},
		{"s3:///lake", "", "", "no bucket"},
		{"s3://b/lake", "", "", "not a valid bucket name"},
		{"s3://leads-lake/a//b", "", "", "empty, '.' or '..' segment"},
		{"s3://leads-lake/a/../b", "", "", "empty, '.' or '..' segment"},
		{"s3://leads-lake/a?versionId=1", "", "", "query or fragment"},
		{"s3://AKIA:secret@leads-lake/a", "", "", "holds credentials"},
	} {
		b, p, err := s3.ParseLocation(tc.loc)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseLocation(%q) = %v, want an error with %q", tc.loc, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("ParseLocation(%q) error shows the secret: %v", tc.loc, err)
			}
			continue
		}
		if err != nil || b != tc.bucket || p != tc.prefix {
			t.Errorf("ParseLocation(%q) = %q, %q, %v; want %q, %q", tc.loc, b, p, err, tc.bucket, tc.prefix)
		}
	}
}

func TestPathStyleForLocalEndpoints(t *testing.T) {
	for e, want := range map[string]bool{
		"http://127.0.0.1:7070": true, "http://localhost:7070": true, "http://[::1]:7070": true,
		"https://10.0.0.5": true, "http://minio.localhost:9000": true,
		"https://s3.eu-west-1.amazonaws.com": false, "https://storage.example.com": false, "": false,
	} {
		if got := s3.LocalEndpoint(e); got != want {
			t.Errorf("path style for %q = %v, want %v", e, got, want)
		}
	}
}

// The endpoint may come from the YAML (storage.Options) instead of the
// environment, "localhost" gets path-style addressing on its own, and an
// explicit use_path_style wins.
func TestEndpointFromOptionsIntegration(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.NewBucket(t)
	s3test.Isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	local := strings.Replace(srv.Endpoint, "127.0.0.1", "localhost", 1)
	s := open(t, "s3://"+bucket+"/p", storage.Options{Endpoint: local})
	put(t, s, "k", "v")
	yes := true
	s = open(t, "s3://"+bucket+"/p", storage.Options{Endpoint: srv.Endpoint, Region: "us-east-1", UsePathStyle: &yes})
	if got := get(t, s, "k"); got != "v" {
		t.Fatalf("read back %q", got)
	}
	if u := s.URL("k"); u != "s3://"+bucket+"/p/k" {
		t.Errorf("URL = %q", u)
	}
}

// Abort of a writer that already started a multipart upload aborts it: no
// object, no parts left on the server.
func TestAbortDiscardsTheMultipartUploadIntegration(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	bucket := srv.NewBucket(t)
	s := open(t, "s3://"+bucket+"/lake", storage.Options{})
	w, err := s.Create(t.Context(), "leads/_part-1.parquet.inprogress")
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	for range 3*s3.PartSize>>20 + 1 {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if got := uploads(t, srv, bucket); len(got) != 1 {
		t.Fatalf("uploads in flight = %q, want the writer's one multipart upload", got)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if got := uploads(t, srv, bucket); len(got) != 0 {
		t.Errorf("uploads left after Abort: %q", got)
	}
	if objs, err := s.List(t.Context(), ""); err != nil || len(objs) != 0 {
		t.Errorf("List after Abort = %v, %v", objs, err)
	}
}

// A writer whose process died leaves an unfinished multipart upload; the
// crash clean-up's Delete of that key removes it.
func TestDeleteRemovesAnUnfinishedUploadIntegration(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	bucket := srv.NewBucket(t)
	c := srv.Client()
	key := "lake/leads/_part-r1-0001.parquet.inprogress"
	for _, k := range []string{key, key + "-other"} {
		mpu, err := c.CreateMultipartUpload(t.Context(), &awss3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.UploadPart(t.Context(), &awss3.UploadPartInput{
			Bucket: aws.String(bucket), Key: aws.String(k), UploadId: mpu.UploadId, PartNumber: aws.Int32(1),
			Body: bytes.NewReader(bytes.Repeat([]byte("p"), 5<<20)),
		}); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, "s3://"+bucket+"/lake", storage.Options{})
	if err := s.Delete(t.Context(), "leads/_part-r1-0001.parquet.inprogress"); err != nil {
		t.Fatal(err)
	}
	if got := uploads(t, srv, bucket); !slices.Equal(got, []string{key + "-other"}) {
		t.Errorf("uploads after Delete = %q, want only the other key's", got)
	}
}

// Objects over CopyObject's limit are renamed with a multipart copy.
func TestRenameCopiesLargeObjectsInPartsIntegration(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	defer s3.SetCopyParts(1, 5<<20)()
	s := open(t, "s3://"+srv.NewBucket(t)+"/lake", storage.Options{})
	data := make([]byte, 12<<20+17)
	for i := range data {
		data[i] = byte(i * 7 / 5)
	}
	w, _ := s.Create(t.Context(), "_staged.inprogress")
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename(t.Context(), "_staged.inprogress", "leads/part-1.parquet"); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "leads/part-1.parquet"); sha256.Sum256([]byte(got)) != sha256.Sum256(data) {
		t.Fatalf("renamed object differs (%d bytes, want %d)", len(got), len(data))
	}
	if _, err := s.Stat(t.Context(), "_staged.inprogress"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("source still there: %v", err)
	}
}

// A read that loses its connection mid-object resumes where it stopped.
func TestReadResumesAfterABrokenConnectionIntegration(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	bucket := srv.NewBucket(t)
	data := make([]byte, 6<<20)
	for i := range data {
		data[i] = byte(i % 251)
	}
	put(t, open(t, "s3://"+bucket, storage.Options{}), "in/leads.csv", string(data))

	proxy := newCuttingProxy(t, strings.TrimPrefix(srv.Endpoint, "http://"), 2<<20)
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://"+proxy.addr)
	s := open(t, "s3://"+bucket+"/in", storage.Options{})
	r, err := s.Open(t.Context(), "leads.csv")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes that differ from the %d written", len(got), len(data))
	}
	if proxy.cuts.Load() == 0 {
		t.Fatal("the proxy never cut a connection; the test tested nothing")
	}
}

// Keys that leave the root are refused before any request.
func TestInvalidKeysIntegration(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	s := open(t, "s3://"+srv.NewBucket(t)+"/lake", storage.Options{})
	for _, key := range []string{"../other", "/abs", "", "a/../../x"} {
		if _, err := s.Stat(context.Background(), key); !errors.Is(err, s3.ErrInvalidKey) {
			t.Errorf("Stat(%q) = %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(context.Background(), key); !errors.Is(err, s3.ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
}
