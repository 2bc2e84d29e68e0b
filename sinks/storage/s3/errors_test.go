package s3_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sinks/storage/s3"
	"github.com/leadpipe/leadpipe/sinks/storage/s3/s3test"
)

// Every way S3 access commonly goes wrong gives an error that says what
// happened and what to check, and never shows a secret.
func TestErrorsSayWhatToCheckIntegration(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.NewBucket(t)
	srv.SetEnv(t)
	root := open(t, "s3://"+bucket, storage.Options{})
	put(t, root, "in/leads.csv", "partner_ref\nP1\n")
	srv.CreateUser(t, "LPUSERALICE", "alice-secret-0123456789")

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := "http://" + closed.Addr().String()
	closed.Close()

	// use runs one storage operation the way leadpipe does: Open the
	// location, then read or write one object.
	type use func(t *testing.T, loc string, opts storage.Options) error
	read := func(t *testing.T, loc string, opts storage.Options) error {
		s, err := storage.Open(t.Context(), loc, opts)
		if err != nil {
			return err
		}
		r, err := s.Open(t.Context(), "in/leads.csv")
		if err != nil {
			return err
		}
		defer r.Close()
		_, err = io.ReadAll(r)
		return err
	}
	write := func(t *testing.T, loc string, opts storage.Options) error {
		s, err := storage.Open(t.Context(), loc, opts)
		if err != nil {
			return err
		}
		w, err := s.Create(t.Context(), "receipts/r1.csv")
		if err != nil {
			return err
		}
		if _, err := w.Write([]byte("row,key\n")); err != nil {
			w.Abort()
			return err
		}
		return w.Close()
	}

	for _, tc := range []struct {
		name   string
		env    map[string]string // on top of the server's
		loc    string
		opts   storage.Options
		use    use
		kind   error
		want   []string
		secret string // must not appear
	}{
		{
			name: "missing bucket", loc: "s3://no-such-bucket-here/lake", use: write, kind: s3.ErrNoSuchBucket,
			want: []string{"s3://no-such-bucket-here/lake/", "the bucket does not exist", `Check the bucket name "no-such-bucket-here"`,
				"at " + srv.Endpoint, "NoSuchBucket"},
		},
		{
			name: "denied read", loc: "s3://" + bucket, use: read, kind: s3.ErrAccessDenied,
			env: map[string]string{"AWS_ACCESS_KEY_ID": "LPUSERALICE", "AWS_SECRET_ACCESS_KEY": "alice-secret-0123456789"},
			want: []string{"open s3://" + bucket + "/in/leads.csv", "access denied", "may s3:GetObject on arn:aws:s3:::" + bucket + "/*",
				"AWS_ACCESS_KEY_ID"},
			secret: "alice-secret-0123456789",
		},
		{
			name: "denied write", loc: "s3://" + bucket + "/lake", use: write, kind: s3.ErrAccessDenied,
			env: map[string]string{"AWS_ACCESS_KEY_ID": "LPUSERALICE", "AWS_SECRET_ACCESS_KEY": "alice-secret-0123456789"},
			want: []string{"upload s3://" + bucket + "/lake/receipts/r1.csv", "access denied",
				"may s3:PutObject on arn:aws:s3:::" + bucket + "/lake/*"},
			secret: "alice-secret-0123456789",
		},
		{
			name: "wrong secret key", loc: "s3://" + bucket, use: read, kind: s3.ErrBadCredentials,
			env:    map[string]string{"AWS_SECRET_ACCESS_KEY": "wrong-secret-9876543210"},
			want:   []string{"the credentials were refused", "SignatureDoesNotMatch", "Check the credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
			secret: "wrong-secret-9876543210",
		},
		{
			name: "unknown access key", loc: "s3://" + bucket, use: read, kind: s3.ErrBadCredentials,
			env:    map[string]string{"AWS_ACCESS_KEY_ID": "AKIANOSUCHKEY", "AWS_SECRET_ACCESS_KEY": "some-secret-1111111111"},
			want:   []string{"the credentials were refused", "InvalidAccessKeyId", "Check the credentials"},
			secret: "some-secret-1111111111",
		},
		{
			name: "wrong region", loc: "s3://" + bucket, use: read, kind: s3.ErrWrongRegion,
			opts: storage.Options{Region: "eu-west-1"},
			want: []string{"wrong region for the bucket", "is in us-east-1 but requests were signed for eu-west-1", "set storage.region: us-east-1"},
		},
		{
			name: "unreachable endpoint", loc: "s3://" + bucket + "/lake", use: write, kind: s3.ErrUnreachable,
			env: map[string]string{"AWS_ENDPOINT_URL_S3": unreachable, "AWS_MAX_ATTEMPTS": "1"},
			want: []string{"cannot reach the S3 endpoint", "connection refused", "Check that the endpoint " + unreachable + " is right and reachable",
				"AWS_ENDPOINT_URL_S3"},
		},
		{
			name: "no credentials", loc: "s3://" + bucket, use: read, kind: s3.ErrNoCredentials,
			env:  map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
			want: []string{"no AWS credentials found", "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"},
		},
		{
			name: "missing object", loc: "s3://" + bucket + "/in", use: func(t *testing.T, loc string, opts storage.Options) error {
				s, err := storage.Open(t.Context(), loc, opts)
				if err != nil {
					return err
				}
				_, err = s.Open(t.Context(), "leads-2026.csv")
				return err
			},
			kind: storage.ErrNotExist,
			want: []string{"open s3://" + bucket + "/in/leads-2026.csv", "object does not exist"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			err := tc.use(t, tc.loc, tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			t.Logf("%s: %v", tc.name, err)
			if !errors.Is(err, tc.kind) {
				t.Errorf("error is not %v: %v", tc.kind, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			for _, s := range []string{srv.SecretKey, tc.secret} {
				if s != "" && strings.Contains(err.Error(), s) {
					t.Errorf("error shows a secret key:\n%v", err)
				}
			}
		})
	}
}
