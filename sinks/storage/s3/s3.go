// Package s3 is the storage backend for Amazon S3 and S3-compatible stores
// (versitygw, MinIO, Ceph, R2...). It registers the "s3" scheme: a location
// is s3://bucket or s3://bucket/prefix, and keys are relative to the prefix.
//
// Settings come from the pipeline YAML (storage.Options) first, then from
// the standard AWS sources:
//
//   - credentials: the SDK's default chain (AWS_ACCESS_KEY_ID and
//     AWS_SECRET_ACCESS_KEY, the shared config and credentials files with
//     AWS_PROFILE or storage.profile, SSO, web identity, container and
//     instance roles). leadpipe never reads or stores keys itself;
//   - region: storage.region, AWS_REGION, the profile; "us-east-1" if none;
//   - endpoint: storage.endpoint, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the
//     profile's endpoint_url; none means AWS itself;
//   - path-style addressing: storage.use_path_style; when unset it is on for
//     an endpoint whose host is an IP address or localhost (a local
//     S3-compatible server), and off otherwise.
//
// Request checksums are sent, and response checksums checked, only when an
// operation requires them (RequestChecksumCalculation and
// ResponseChecksumValidation "when required"): S3-compatible servers differ
// in which of the newer flexible checksums they accept, and the Content-MD5
// of multipart parts is still verified by every server.
//
// Writes stream: a Writer feeds an io.Pipe into the transfer manager's
// upload, which sends parts of PartSize bytes with Concurrency parts in
// flight, so memory stays near (Concurrency+2)×PartSize however large the
// object. The object appears only when Close returns nil (PutObject, or
// CompleteMultipartUpload); Abort aborts the multipart upload.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/leadpipe/leadpipe/sinks/storage"
)

func init() {
	storage.Register("s3", func(ctx context.Context, location string, opts storage.Options) (storage.Storage, error) {
		return Open(ctx, location, opts)
	})
}

// Upload tuning. PartSize × 10,000 parts bounds one object (80 GiB).
const (
	PartSize    = 8 << 20
	Concurrency = 3
	// defaultRegion signs requests when no region is configured anywhere;
	// S3-compatible servers accept it, and AWS answers a wrong region with
	// an error that names the right one.
	defaultRegion = "us-east-1"
)

// Copies of objects up to copyLimit bytes are one CopyObject; larger ones
// (S3 caps CopyObject at 5 GiB) are copied in parts of copyPartSize.
var (
	copyLimit    int64 = 5 << 30
	copyPartSize int64 = 512 << 20
)

// Bucket is a Storage rooted at s3://bucket/prefix.
type Bucket struct {
	client *awss3.Client
	tm     *transfermanager.Client
	bucket string
	prefix string // "" or "a/b/" (with the trailing slash)
	region string
	// endpoint is the custom endpoint ("" for AWS), for messages.
	endpoint  string
	pathStyle bool
	profile   string
	// redact lists the secret strings no error may show.
	redact []string
}

var _ storage.Storage = (*Bucket)(nil)

var bucketName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{1,254}$`)

// ParseLocation splits s3://bucket/prefix into the bucket and the prefix
// ("" or ending in "/").
func ParseLocation(location string) (bucket, prefix string, err error) {
	u, err := url.Parse(location)
	if err != nil {
		return "", "", fmt.Errorf("open %s: %w", location, err)
	}
	if !strings.EqualFold(u.Scheme, "s3") {
		return "", "", fmt.Errorf("open %s: not an s3:// location", location)
	}
	if u.User != nil {
		return "", "", fmt.Errorf("open s3://%s%s: the location holds credentials; give them through the AWS credential chain instead", u.Host, u.Path)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("open %s: an s3:// location cannot have a query or fragment", location)
	}
	if u.Host == "" {
		return "", "", fmt.Errorf("open %s: no bucket; write s3://bucket or s3://bucket/prefix", location)
	}
	if !bucketName.MatchString(u.Host) {
		return "", "", fmt.Errorf("open %s: %q is not a valid bucket name (letters, digits, '.', '-', 3 to 63 characters)", location, u.Host)
	}
	p := strings.Trim(u.Path, "/")
	if p != "" {
		for _, seg := range strings.Split(p, "/") {
			if seg == "" || seg == "." || seg == ".." {
				return "", "", fmt.Errorf("open %s: the prefix %q has an empty, '.' or '..' segment", location, p)
			}
		}
		p += "/"
	}
	return u.Host, p, nil
}

// Open returns the storage rooted at an s3:// location. It checks the
// settings with one cheap request (a listing of at most one key under the
// prefix), so a missing bucket, bad credentials, a wrong region or an
// unreachable endpoint fail here with a message that says what to check.
// A denied listing is not an error at this point: a pipeline may hold
// only the permissions it needs (reading one file, say), and a denied
// operation is reported when it happens.
func Open(ctx context.Context, location string, opts storage.Options) (*Bucket, error) {
	bucket, prefix, err := ParseLocation(location)
	if err != nil {
		return nil, err
	}
	b, err := newBucket(ctx, bucket, prefix, opts)
	if err != nil {
		return nil, err
	}
	if err := b.probe(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

func newBucket(ctx context.Context, bucket, prefix string, opts storage.Options) (*Bucket, error) {
	where := "s3://" + bucket + "/" + prefix
	sc, err := loadConfig(ctx, where, opts)
	if err != nil {
		return nil, err
	}
	cfg := sc.Config
	b := &Bucket{bucket: bucket, prefix: prefix, region: cfg.Region, profile: opts.Profile, endpoint: sc.Endpoint, pathStyle: sc.PathStyle}
	b.client = awss3.NewFromConfig(cfg, sc.ClientOptions)

	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, b.noCredentials(where, err)
	}
	b.redact = nonEmpty(creds.SecretAccessKey, creds.SessionToken)

	b.tm = transfermanager.New(b.client, func(o *transfermanager.Options) {
		o.PartSizeBytes = PartSize
		o.MultipartUploadThreshold = PartSize
		o.Concurrency = Concurrency
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		// Abort a failed multipart upload even when the run's context is
		// what failed.
		o.FailTimeout = 30 * time.Second
	})
	return b, nil
}

// Config is the AWS configuration an s3:// location is reached with,
// resolved from storage.Options and the standard AWS sources exactly as the
// storage backend resolves it. Other S3 clients (the Iceberg sink's file IO)
// use it so that one pipeline setting means the same thing everywhere.
type Config struct {
	Config aws.Config
	// Endpoint is the custom endpoint ("" for AWS).
	Endpoint  string
	PathStyle bool
}

// ClientOptions applies the endpoint and addressing style to an S3 client.
func (c Config) ClientOptions(o *awss3.Options) {
	if c.Endpoint != "" {
		o.BaseEndpoint = aws.String(c.Endpoint)
	}
	o.UsePathStyle = c.PathStyle
}

// LoadConfig resolves the AWS configuration for an s3:// location.
func LoadConfig(ctx context.Context, location string, opts storage.Options) (Config, error) {
	bucket, prefix, err := ParseLocation(location)
	if err != nil {
		return Config{}, err
	}
	return loadConfig(ctx, "s3://"+bucket+"/"+prefix, opts)
}

func loadConfig(ctx context.Context, where string, opts storage.Options) (Config, error) {
	if opts.Endpoint != "" {
		if err := checkEndpoint(opts.Endpoint); err != nil {
			return Config{}, fmt.Errorf("open %s: storage.endpoint %w", where, err)
		}
	}
	httpClient := awshttp.NewBuildableClient().WithDialerOptions(func(d *net.Dialer) {
		d.Timeout = 10 * time.Second
	})
	loads := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if opts.Region != "" {
		loads = append(loads, config.WithRegion(opts.Region))
	}
	if opts.Profile != "" {
		loads = append(loads, config.WithSharedConfigProfile(opts.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		hint := "check AWS_PROFILE, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE"
		if opts.Profile != "" {
			hint = fmt.Sprintf("check that the profile %q (storage.profile) exists in ~/.aws/config or ~/.aws/credentials", opts.Profile)
		}
		return Config{}, fmt.Errorf("open %s: load the AWS configuration: %w; %s", where, err, hint)
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	out := Config{Config: cfg}
	// The endpoint decides path-style addressing, so resolve it the way the
	// SDK does (YAML, then AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL and the
	// profile) before building the client for good.
	base := awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
	}).Options()
	if base.BaseEndpoint != nil {
		out.Endpoint = *base.BaseEndpoint
		if opts.Endpoint == "" {
			if err := checkEndpoint(out.Endpoint); err != nil {
				return Config{}, fmt.Errorf("open %s: the endpoint from AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or the profile %w", where, err)
			}
		}
	}
	out.PathStyle = localEndpoint(out.Endpoint)
	if opts.UsePathStyle != nil {
		out.PathStyle = *opts.UsePathStyle
	}
	return out, nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// checkEndpoint accepts an http(s) URL without credentials.
func checkEndpoint(e string) error {
	u, err := url.Parse(e)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q must be a URL such as https://s3.example.com or http://127.0.0.1:7070", redactURL(e))
	}
	if u.User != nil {
		return fmt.Errorf("%q must not hold credentials; give them through the AWS credential chain", redactURL(e))
	}
	return nil
}

// redactURL drops the user info of a URL-like string.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	return s
}

// localEndpoint reports an endpoint on an IP address or localhost, which
// cannot serve bucket-named virtual hosts.
func localEndpoint(endpoint string) bool {
	if endpoint == "" {
		return false
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return net.ParseIP(h) != nil || h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// probe lists at most one key under the prefix.
func (b *Bucket) probe(ctx context.Context) error {
	_, err := b.client.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{
		Bucket: aws.String(b.bucket), Prefix: aws.String(b.prefix), MaxKeys: aws.Int32(1),
	})
	if err == nil {
		return nil
	}
	e := b.explain("open", "", "s3:ListBucket", err)
	if errors.Is(e, ErrAccessDenied) {
		return nil // reported by the operation that needs it
	}
	return e
}

// Bucket is the bucket's name; Prefix is the root prefix ("" or "a/b/").
func (b *Bucket) Bucket() string { return b.bucket }

// Prefix is the root prefix under the bucket: "" or ending in "/".
func (b *Bucket) Prefix() string { return b.prefix }

// Endpoint is the custom endpoint in use ("" for AWS itself), without
// credentials.
func (b *Bucket) Endpoint() string { return redactURL(b.endpoint) }

// PathStyle reports path-style addressing (http://host/bucket/key).
func (b *Bucket) PathStyle() bool { return b.pathStyle }

// Region is the region requests are signed for.
func (b *Bucket) Region() string { return b.region }

// Client is the S3 client, for tests and tools.
func (b *Bucket) Client() *awss3.Client { return b.client }

// ErrInvalidKey reports a key that is empty, absolute or leaves the root.
var ErrInvalidKey = errors.New("invalid key")

// objectKey validates key and returns the full S3 key.
func (b *Bucket) objectKey(key string) (string, error) {
	clean := path.Clean(key)
	switch {
	case key == "" || clean == "." || clean == "/":
		return "", fmt.Errorf("%w %q: empty", ErrInvalidKey, key)
	case strings.HasPrefix(key, "/"):
		return "", fmt.Errorf("%w %q: absolute; keys are relative to %s", ErrInvalidKey, key, b.URL(""))
	case clean == ".." || strings.HasPrefix(clean, "../"):
		return "", fmt.Errorf("%w %q: leaves the root %s", ErrInvalidKey, key, b.URL(""))
	case strings.ContainsRune(key, 0) || strings.ContainsRune(key, '\\'):
		return "", fmt.Errorf("%w %q: NUL or backslash", ErrInvalidKey, key)
	}
	return b.prefix + clean, nil
}

// URL is s3://bucket/prefix/key.
func (b *Bucket) URL(key string) string {
	if key == "" {
		return "s3://" + b.bucket + "/" + b.prefix
	}
	return "s3://" + b.bucket + "/" + b.prefix + path.Clean(key)
}

// Stat describes an object.
func (b *Bucket) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	full, err := b.objectKey(key)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	out, err := b.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(full)})
	if err != nil {
		return storage.ObjectInfo{}, b.explain("stat", key, "s3:GetObject", err)
	}
	return storage.ObjectInfo{Key: path.Clean(key), Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)}, nil
}

// List returns every object whose key starts with prefix (a plain string
// prefix), recursively, sorted by key.
func (b *Bucket) List(ctx context.Context, prefix string) ([]storage.ObjectInfo, error) {
	if strings.HasPrefix(prefix, "/") || prefix == ".." || strings.HasPrefix(prefix, "../") || strings.Contains(prefix, "/../") {
		return nil, fmt.Errorf("list: %w %q: prefixes are relative to %s", ErrInvalidKey, prefix, b.URL(""))
	}
	var out []storage.ObjectInfo
	p := awss3.NewListObjectsV2Paginator(b.client, &awss3.ListObjectsV2Input{
		Bucket: aws.String(b.bucket), Prefix: aws.String(b.prefix + prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, b.explain("list", prefix, "s3:ListBucket", err)
		}
		for _, o := range page.Contents {
			k := strings.TrimPrefix(aws.ToString(o.Key), b.prefix)
			if k == "" || strings.HasSuffix(k, "/") {
				continue // a "directory" marker, not an object
			}
			out = append(out, storage.ObjectInfo{Key: k, Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes an object, and aborts any unfinished multipart upload to
// its key (the parts a writer left when its process died), so crash
// clean-up frees them too. A missing object is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	full, err := b.objectKey(key)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if err := b.deleteObject(ctx, key, full); err != nil {
		return err
	}
	return b.abortUploads(ctx, key, full)
}

func (b *Bucket) deleteObject(ctx context.Context, key, full string) error {
	_, err := b.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(full)})
	if err != nil {
		if e := b.explain("delete", key, "s3:DeleteObject", err); !errors.Is(e, storage.ErrNotExist) || errors.Is(e, ErrNoSuchBucket) {
			return e
		}
	}
	return nil
}

// abortUploads aborts the unfinished multipart uploads to exactly full. A
// store that cannot list uploads (no permission, not implemented) is left
// to its lifecycle rules.
func (b *Bucket) abortUploads(ctx context.Context, key, full string) error {
	out, err := b.client.ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{
		Bucket: aws.String(b.bucket), Prefix: aws.String(full),
	})
	if err != nil {
		return nil
	}
	var errs []error
	for _, u := range out.Uploads {
		if aws.ToString(u.Key) != full {
			continue
		}
		_, err := b.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{
			Bucket: aws.String(b.bucket), Key: u.Key, UploadId: u.UploadId,
		})
		if err != nil {
			if e := b.explain("abort the unfinished upload of", key, "s3:AbortMultipartUpload", err); !errors.Is(e, storage.ErrNotExist) {
				errs = append(errs, e)
			}
		}
	}
	return errors.Join(errs...)
}

// Rename copies an object to its new key on the server and deletes the old
// one. It is not atomic on S3: a crash in between leaves both keys, which
// the pull engine's recovery handles (it deletes or keeps a run's files by
// the run's manifest).
func (b *Bucket) Rename(ctx context.Context, from, to string) error {
	src, err := b.objectKey(from)
	if err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	dst, err := b.objectKey(to)
	if err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	head, err := b.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(src)})
	if err != nil {
		return b.explain("rename", from, "s3:GetObject", err)
	}
	size := aws.ToInt64(head.ContentLength)
	if size > copyLimit {
		err = b.copyParts(ctx, src, dst, size, head.ETag)
	} else {
		_, err = b.client.CopyObject(ctx, &awss3.CopyObjectInput{
			Bucket: aws.String(b.bucket), Key: aws.String(dst),
			CopySource: aws.String(copySource(b.bucket, src)),
		})
	}
	if err != nil {
		return b.explain("rename "+b.URL(from)+" to", to, "s3:GetObject and s3:PutObject", err)
	}
	return b.deleteObject(ctx, from, src)
}

// copySource is the URL-encoded "bucket/key" of CopyObject.
func copySource(bucket, key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return bucket + "/" + strings.Join(segs, "/")
}

// copyParts copies an object larger than CopyObject allows with a
// multipart upload of UploadPartCopy ranges.
func (b *Bucket) copyParts(ctx context.Context, src, dst string, size int64, etag *string) error {
	mpu, err := b.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String(b.bucket), Key: aws.String(dst)})
	if err != nil {
		return err
	}
	abort := func(cause error) error {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, _ = b.client.AbortMultipartUpload(actx, &awss3.AbortMultipartUploadInput{Bucket: aws.String(b.bucket), Key: aws.String(dst), UploadId: mpu.UploadId})
		return cause
	}
	var parts []types.CompletedPart
	for n, off := int32(1), int64(0); off < size; n, off = n+1, off+copyPartSize {
		end := min(off+copyPartSize, size) - 1
		out, err := b.client.UploadPartCopy(ctx, &awss3.UploadPartCopyInput{
			Bucket: aws.String(b.bucket), Key: aws.String(dst), UploadId: mpu.UploadId, PartNumber: aws.Int32(n),
			CopySource: aws.String(copySource(b.bucket, src)), CopySourceIfMatch: etag,
			CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
		})
		if err != nil {
			return abort(err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.CopyPartResult.ETag, PartNumber: aws.Int32(n)})
	}
	_, err = b.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket: aws.String(b.bucket), Key: aws.String(dst), UploadId: mpu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return abort(err)
	}
	return nil
}

// Open reads an object, streaming. A connection that breaks mid-object is
// resumed from the byte it stopped at (a ranged GET of the same ETag), so a
// long backfill file survives a network blip.
func (b *Bucket) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	full, err := b.objectKey(key)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	out, err := b.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(full)})
	if err != nil {
		return nil, b.explain("open", key, "s3:GetObject", err)
	}
	return &reader{ctx: ctx, b: b, key: key, full: full, body: out.Body, etag: out.ETag, size: aws.ToInt64(out.ContentLength)}, nil
}

// reader streams an object's body and resumes it after a broken
// connection.
type reader struct {
	ctx       context.Context
	b         *Bucket
	key, full string
	body      io.ReadCloser
	etag      *string
	size, off int64
	resumes   int
}

const maxResumes = 5

func (r *reader) Read(p []byte) (int, error) {
	for {
		if r.body == nil {
			return 0, fmt.Errorf("read %s: %w", r.b.URL(r.key), io.ErrClosedPipe)
		}
		n, err := r.body.Read(p)
		r.off += int64(n)
		if err == nil || err == io.EOF {
			return n, err
		}
		if r.ctx.Err() != nil || r.resumes >= maxResumes || r.off >= r.size {
			return n, fmt.Errorf("read %s at byte %d: %w", r.b.URL(r.key), r.off, err)
		}
		r.resumes++
		r.body.Close()
		r.body = nil
		out, gerr := r.b.client.GetObject(r.ctx, &awss3.GetObjectInput{
			Bucket: aws.String(r.b.bucket), Key: aws.String(r.full), IfMatch: r.etag,
			Range: aws.String(fmt.Sprintf("bytes=%d-", r.off)),
		})
		if gerr != nil {
			return n, fmt.Errorf("read %s: resume at byte %d after %v: %w", r.b.URL(r.key), r.off, err,
				r.b.explain("open", r.key, "s3:GetObject", gerr))
		}
		r.body = out.Body
		if n > 0 {
			return n, nil
		}
	}
}

func (r *reader) Close() error {
	if r.body == nil {
		return nil
	}
	err := r.body.Close()
	r.body = nil
	return err
}
