package s3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/leadpipe/leadpipe/sinks/storage"
)

// What went wrong, for errors.Is. Object-level "not found" is
// storage.ErrNotExist.
var (
	ErrNoSuchBucket   = errors.New("the bucket does not exist")
	ErrAccessDenied   = errors.New("access denied")
	ErrBadCredentials = errors.New("the credentials were refused")
	ErrNoCredentials  = errors.New("no AWS credentials found")
	ErrWrongRegion    = errors.New("wrong region for the bucket")
	ErrUnreachable    = errors.New("cannot reach the S3 endpoint")
	ErrClockSkew      = errors.New("the clock is off")
)

// Error is a failed S3 operation: what was done where, what the server or
// network said, and what to check. It never shows a secret.
type Error struct {
	Op   string // "open", "upload", "list"...
	URL  string // s3://bucket/prefix/key
	Kind error  // one of the Err* values above, or storage.ErrNotExist; nil if unknown
	Hint string // what to check
	Err  error  // the SDK's error
	// redact are strings that must not appear in the message.
	redact []string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", e.Op, e.URL)
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
		b.WriteString(": ")
	}
	b.WriteString(short(e.Err))
	if e.Hint != "" {
		b.WriteString(". Check ")
		b.WriteString(e.Hint)
	}
	msg := b.String()
	for _, s := range e.redact {
		msg = strings.ReplaceAll(msg, s, "[REDACTED]")
	}
	return msg
}

// Unwrap exposes both the kind and the SDK error to errors.Is and As.
func (e *Error) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}

// short renders the SDK's error compactly: the server's code and message
// with the HTTP status and request id, or the network error.
func short(err error) string {
	var api smithy.APIError
	var re *awshttp.ResponseError
	if isNetwork(err) {
		return networkError(err).Error()
	}
	switch {
	case errors.As(err, &api):
		s := api.ErrorCode()
		if m := api.ErrorMessage(); m != "" {
			s += ": " + m
		}
		if errors.As(err, &re) {
			s += fmt.Sprintf(" (HTTP %d", re.HTTPStatusCode())
			if re.RequestID != "" {
				s += ", request id " + re.RequestID
			}
			s += ")"
		}
		return "server said " + s
	case errors.As(err, &re) && re.HTTPStatusCode() != 0:
		return fmt.Sprintf("server answered HTTP %d %s", re.HTTPStatusCode(), http.StatusText(re.HTTPStatusCode()))
	}
	return err.Error()
}

// networkError is the innermost network error of err.
func networkError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns
	}
	return err
}

// AWS: "the region 'us-east-1' is wrong; expecting 'eu-west-1'"; some
// compatible servers use double quotes.
var expectingRegion = regexp.MustCompile(`expecting ['"]([a-z0-9-]+)['"]`)

// explain classifies an SDK error for an operation on key (a key relative
// to the root, or "" for the root) that needed the IAM action.
func (b *Bucket) explain(op, key, action string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s %s: %w", op, b.URL(key), err)
	}
	e := &Error{Op: op, URL: b.URL(key), Err: err, redact: b.redact}
	code, status := "", 0
	var api smithy.APIError
	if errors.As(err, &api) {
		code = api.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var nsb *types.NoSuchBucket
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	switch {
	case errors.As(err, &nsb) || code == "NoSuchBucket":
		e.Kind = ErrNoSuchBucket
		e.Hint = fmt.Sprintf("the bucket name %q in the location, and that it exists %s (create it, or fix the name)", b.bucket, b.where())
	case errors.As(err, &nsk) || errors.As(err, &nf) || code == "NoSuchKey" || (status == http.StatusNotFound && code != "NoSuchUpload"):
		e.Kind = storage.ErrNotExist
		e.Hint = "the path: no object has this key"
	case code == "AuthorizationHeaderMalformed" && strings.Contains(errMessage(api), "region"),
		code == "PermanentRedirect", code == "IllegalLocationConstraintException", code == "IncorrectEndpoint",
		status == http.StatusMovedPermanently:
		e.Kind = ErrWrongRegion
		want := ""
		if re != nil && re.Response != nil {
			want = re.Response.Header.Get("X-Amz-Bucket-Region")
		}
		if m := expectingRegion.FindStringSubmatch(errMessage(api)); want == "" && m != nil {
			want = m[1]
		}
		if want != "" {
			e.Hint = fmt.Sprintf("the region: the bucket %q is in %s but requests were signed for %s; set storage.region: %s in the pipeline (or AWS_REGION)",
				b.bucket, want, b.region, want)
		} else {
			e.Hint = fmt.Sprintf("the region: requests were signed for %s; set storage.region in the pipeline (or AWS_REGION) to the bucket's region", b.region)
		}
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "InvalidToken" ||
		code == "ExpiredToken" || code == "TokenRefreshRequired" || code == "InvalidClientTokenId" ||
		code == "InvalidSecurity" || code == "ExpiredTokenException":
		e.Kind = ErrBadCredentials
		e.Hint = "the credentials: " + b.credentialSources() + "; an unknown access key id or a secret key that does not match it is refused " +
			"(and a custom endpoint must be the server that issued the keys)"
		if code == "SignatureDoesNotMatch" {
			e.Hint += fmt.Sprintf("; some S3-compatible servers also refuse a signature for the wrong region (signed for %s)", b.region)
		}
	case code == "RequestTimeTooSkewed":
		e.Kind = ErrClockSkew
		e.Hint = "this machine's clock (S3 refuses requests more than 15 minutes off)"
	case code == "AccessDenied" || code == "AllAccessDisabled" || code == "AccountProblem" || status == http.StatusForbidden:
		e.Kind = ErrAccessDenied
		e.Hint = fmt.Sprintf("that the identity in use may %s on arn:aws:s3:::%s/%s* (IAM policy and bucket policy); credentials come from %s",
			action, b.bucket, b.prefix, b.credentialSources())
	case isNetwork(err):
		e.Kind = ErrUnreachable
		e.Hint = fmt.Sprintf("that the endpoint %s is right and reachable from here (storage.endpoint in the pipeline, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL; "+
			"network, firewall, proxy)", b.endpointName())
	}
	return e
}

func errMessage(api smithy.APIError) string {
	if api == nil {
		return ""
	}
	return api.ErrorMessage()
}

// isNetwork reports an error that never got an HTTP answer.
func isNetwork(err error) bool {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		return false
	}
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) {
		return true
	}
	var op *net.OpError
	var dns *net.DNSError
	var ne net.Error
	return errors.As(err, &op) || errors.As(err, &dns) || (errors.As(err, &ne) && ne.Timeout()) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no such host")
}

// where describes the server: the custom endpoint, or AWS and the region.
func (b *Bucket) where() string {
	if b.endpoint != "" {
		return "at " + b.endpointName()
	}
	return "in AWS region " + b.region
}

func (b *Bucket) endpointName() string {
	if b.endpoint == "" {
		return "s3." + b.region + ".amazonaws.com"
	}
	return redactURL(b.endpoint)
}

func (b *Bucket) credentialSources() string {
	if b.profile != "" {
		return fmt.Sprintf("the profile %q (storage.profile) in ~/.aws/credentials or ~/.aws/config", b.profile)
	}
	return "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or else AWS_PROFILE and ~/.aws/credentials, or the instance or web identity role"
}

// noCredentials explains a credential chain that found nothing.
func (b *Bucket) noCredentials(where string, err error) error {
	return &Error{
		Op: "open", URL: where, Kind: ErrNoCredentials, Err: err,
		Hint: "that credentials are available: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (storage.profile) " +
			"with ~/.aws/credentials, or run where a web identity or instance role is available",
	}
}
