package httpclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// retryableStatus reports the statuses retried for idempotent requests. 429
// is retried for every request, idempotent or not.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff returns the full-jitter wait before retrying after the given failed
// attempt (1-based): uniform in [0, min(max, base·2^(attempt-1))].
func backoff(attempt int, base, ceiling time.Duration) time.Duration {
	d := ceiling
	if shift := attempt - 1; shift < 32 && base<<shift > 0 && base<<shift < ceiling {
		d = base << shift
	}
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// unwrapURLError drops net/http's *url.Error wrapper, whose message repeats
// the full, unredacted URL. The cause chain is kept for errors.Is.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// isTransient reports whether a transport error is worth retrying: dial
// errors, connection reset or refused, broken pipe, unexpected EOF and
// timeouts. TLS and certificate failures are permanent.
func isTransient(err error) bool {
	if err == nil || errors.Is(err, ErrResponseTooLarge) {
		return false
	}
	if isTLSError(err) {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	for _, errno := range []syscall.Errno{
		syscall.ECONNRESET, syscall.ECONNREFUSED, syscall.ECONNABORTED, syscall.EPIPE,
		syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH,
	} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{
		"connection reset", "broken pipe", "connection refused",
		"server closed idle connection", "client connection lost", "GOAWAY",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func isTLSError(err error) bool {
	var (
		alert     tls.AlertError
		record    *tls.RecordHeaderError
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	if errors.As(err, &alert) || errors.As(err, &record) || errors.As(err, &verify) ||
		errors.As(err, &authority) || errors.As(err, &hostname) || errors.As(err, &invalid) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "remote error" {
		return true // a TLS alert from the server
	}
	return strings.Contains(err.Error(), "tls: ")
}

// isDialError reports an error that happened while connecting, before any
// byte of the request could be written: the only transport failure after
// which a non-idempotent request is retried.
func isDialError(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && (opErr.Op == "dial" || opErr.Op == "proxyconnect") {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) || errors.Is(err, syscall.ECONNREFUSED)
}
