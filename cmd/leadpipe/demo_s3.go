package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sinks/storage/s3"
)

// demoS3 is `leadpipe demo --out s3://bucket/prefix`: the whole lake (data,
// manifests, receipts, rejects) goes to S3; the pipelines and the state
// store stay in a local directory.
type demoS3 struct {
	location string // s3://bucket/prefix, without a trailing slash
	bucket   *s3.Bucket
}

// prepareDemoS3 opens the S3 location (settings from the environment:
// AWS_ENDPOINT_URL_S3, the credential chain...), empties an earlier demo's
// objects there, refuses a prefix that holds anything else, and marks it as
// the demo's.
func prepareDemoS3(ctx context.Context, out string) (*demoS3, error) {
	st, err := storage.Open(ctx, out, storage.Options{})
	if err != nil {
		return nil, err
	}
	b, ok := st.(*s3.Bucket)
	if !ok {
		return nil, fmt.Errorf("%s: not an S3 location", out)
	}
	objs, err := b.List(ctx, "")
	if err != nil {
		return nil, err
	}
	if len(objs) > 0 {
		if _, err := b.Stat(ctx, demoMarker); err != nil {
			return nil, fmt.Errorf("%s is not empty and was not made by leadpipe demo; choose another --out", b.URL(""))
		}
		for _, o := range objs {
			if err := b.Delete(ctx, o.Key); err != nil {
				return nil, err
			}
		}
	}
	w, err := b.Create(ctx, demoMarker)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write([]byte("made by leadpipe demo; rerunning the demo replaces everything under this prefix\n")); err != nil {
		_ = w.Abort()
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return &demoS3{location: strings.TrimSuffix(b.URL(""), "/"), bucket: b}, nil
}

// duckDBSecret is the DuckDB statement that lets read_parquet reach the
// same server (the httpfs extension). It names the environment variables,
// never their values: the shell expands them when the command is pasted.
func (d *demoS3) duckDBSecret() string {
	parts := []string{"TYPE s3", "KEY_ID '$AWS_ACCESS_KEY_ID'", "SECRET '$AWS_SECRET_ACCESS_KEY'", "REGION '" + d.bucket.Region() + "'"}
	if e := d.bucket.Endpoint(); e != "" {
		if u, err := url.Parse(e); err == nil {
			parts = append(parts, "ENDPOINT '"+u.Host+"'")
			if u.Scheme == "http" {
				parts = append(parts, "USE_SSL false")
			}
		}
	}
	if d.bucket.PathStyle() {
		parts = append(parts, "URL_STYLE 'path'")
	}
	return "CREATE SECRET (" + strings.Join(parts, ", ") + ");"
}
