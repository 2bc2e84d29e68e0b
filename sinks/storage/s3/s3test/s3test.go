// Package s3test runs a real S3-compatible server for tests: versitygw
// (https://github.com/versity/versitygw, Apache-2.0) with its POSIX backend
// in a temporary directory, on a free loopback port.
//
//	srv := s3test.Start(t)        // stopped when the test ends
//	bucket := srv.NewBucket(t)    // a fresh, empty bucket
//	srv.SetEnv(t)                 // AWS_* variables that point the SDK's chain at it
//	srv.Stop(); srv.Restart(t)    // an outage, and the end of it
//
// The binary is found on PATH or in $(go env GOPATH)/bin. Without it the
// test is skipped with a loud message, except under CI (LEADPIPE_CI=1),
// where it fails: `.ci/run` installs it with
//
//	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/leadpipe/leadpipe/sinks/storage"
)

// Install is the command that installs the server.
const Install = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// Region is the region the server runs in.
const Region = "us-east-1"

// Server is a running versitygw.
type Server struct {
	// Endpoint is http://127.0.0.1:PORT.
	Endpoint string
	// AccessKey and SecretKey are the root account's, random per server.
	AccessKey, SecretKey string
	Dir                  string

	bin    string
	out    *lockedBuffer
	n      atomic.Int64
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan error
}

// Binary returns the path of versitygw, or "" when it is not installed.
func Binary() string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	var dirs []string
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		dirs = filepath.SplitList(strings.TrimSpace(string(out)))
	} else if home, err := os.UserHomeDir(); err == nil {
		dirs = []string{filepath.Join(home, "go")}
	}
	for _, d := range dirs {
		p := filepath.Join(d, "bin", "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// Start runs a server for the test and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		msg := "S3 TESTS SKIPPED: versitygw is not on PATH or in $(go env GOPATH)/bin; install it with `" + Install + "` (.ci/run does)"
		if os.Getenv("LEADPIPE_CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s := &Server{bin: bin, Dir: t.TempDir(), AccessKey: "LPTEST" + randHex(7), SecretKey: randHex(20), out: &lockedBuffer{}}
	for _, d := range []string{s.dataDir(), s.iamDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var lastErr error
	for range 5 { // another process may take the free port first
		addr, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if lastErr = s.start(addr); lastErr == nil {
			t.Cleanup(s.stop)
			return s
		}
	}
	t.Fatalf("versitygw did not start: %v\n%s", lastErr, s.out.String())
	return nil
}

func (s *Server) dataDir() string { return filepath.Join(s.Dir, "data") }
func (s *Server) iamDir() string  { return filepath.Join(s.Dir, "iam") }

// start runs versitygw on addr and waits until it answers.
func (s *Server) start(addr string) error {
	cmd := exec.Command(s.bin, "--port", addr, "--quiet", "--iam-dir", s.iamDir(), "posix", s.dataDir())
	cmd.Env = append(cleanEnv(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start versitygw: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s.Endpoint = "http://" + addr
	if err := waitReady(s.Endpoint, exited); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return err
	}
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	return nil
}

// stop ends the server (SIGTERM, then SIGKILL after 5 s); a stopped server
// is left alone.
func (s *Server) stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd, s.exited = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Stop takes the server down, as an outage would: from now on its port
// refuses connections. The objects stay on disk for Restart.
func (s *Server) Stop() { s.stop() }

// Restart brings a stopped server back on the same endpoint with the same
// objects and accounts.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	addr := strings.TrimPrefix(s.Endpoint, "http://")
	var err error
	for range 50 { // the old process's port may take a moment to free
		if err = s.start(addr); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("versitygw did not restart on %s: %v\n%s", addr, err, s.out.String())
}

// cleanEnv is the environment without settings that would change the
// server (VGW_*, ROOT_*).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "VGW_") || strings.HasPrefix(kv, "ROOT_") || strings.HasPrefix(kv, "ADMIN_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitReady polls until the server answers HTTP (any status).
func waitReady(endpoint string, exited <-chan error) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("versitygw exited: %v", err)
		default:
		}
		resp, err := c.Get(endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no answer from %s in 15s", endpoint)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))[:n*2]
}

// Client is an S3 client with the root account's credentials.
func (s *Server) Client() *awss3.Client {
	return s.ClientAs(s.AccessKey, s.SecretKey)
}

// ClientAs is an S3 client with the given credentials.
func (s *Server) ClientAs(access, secret string) *awss3.Client {
	return awss3.New(awss3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(access, secret, ""),
	})
}

// NewBucket creates an empty bucket with a name unique to the server.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("lp-%s-%d", strings.ToLower(randHex(3)), s.n.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

// Options are storage options that reach the server without any
// environment: the endpoint and the region. Credentials still come from the
// chain (see SetEnv).
func (s *Server) Options() storage.Options {
	return storage.Options{Endpoint: s.Endpoint, Region: Region}
}

// Env is the environment that points the AWS SDK's default chain at the
// server with the root account: credentials, region and endpoint.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":     s.AccessKey,
		"AWS_SECRET_ACCESS_KEY": s.SecretKey,
		"AWS_REGION":            Region,
		"AWS_ENDPOINT_URL_S3":   s.Endpoint,
	}
}

// SetEnv sets Env for the test (t.Setenv) and isolates the SDK from the
// machine's own AWS settings: no shared config or credentials files, no
// profile, no session token, no instance metadata.
func (s *Server) SetEnv(t testing.TB) {
	t.Helper()
	Isolate(t)
	for k, v := range s.Env() {
		t.Setenv(k, v)
	}
}

// Isolate clears the AWS settings of the machine for the test, so only
// what the test sets is used.
func Isolate(t testing.TB) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// CreateUser adds an account with the role "user" (it may use only the
// buckets it owns) through the server's admin API.
func (s *Server) CreateUser(t testing.TB, access, secret string) {
	t.Helper()
	cmd := exec.Command(s.bin, "admin", "--access", s.AccessKey, "--secret", s.SecretKey, "--endpoint-url", s.Endpoint,
		"create-user", "--access", access, "--secret", secret, "--role", "user")
	cmd.Env = cleanEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("versitygw admin create-user: %v\n%s", err, out)
	}
}

// Log is what the server printed.
func (s *Server) Log() string { return s.out.String() }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
