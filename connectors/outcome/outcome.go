// Package outcome holds the errors by which a connector says what became of
// a request it sent to its vendor. The engine decides on these alone (with
// errors.Is), never on a transport's status codes; connectors/httpclient
// maps HTTP statuses onto them. Package connectors re-exports them: use
// them from there. They live in this leaf package only because httpclient,
// which connectors imports, must produce them too.
package outcome

import "errors"

var (
	// ErrNotSent means the vendor certainly did not act on the request (it
	// said "too many requests", or asked to wait longer than allowed): the
	// row is safe to send again.
	ErrNotSent = errors.New("not sent: the vendor did not act on the request")

	// ErrOutcomeUnknown means a request that changes something may have
	// reached the vendor, and whether the vendor acted on it cannot be
	// known: the connection dropped after the request was written, the
	// answer timed out, the vendor answered 5xx, or its answer could not be
	// read. The row must be looked up at the vendor before it is sent again.
	ErrOutcomeUnknown = errors.New("outcome unknown: the request may have reached the vendor")

	// ErrRefused means the vendor refused the request as such, not the row
	// in it: its credentials, its URL or its method (HTTP 401, 403, 404,
	// 405, 407). No other row would fare better, and the vendor did not act.
	ErrRefused = errors.New("the vendor refused the request")

	// ErrCredentials is the ErrRefused of credentials (HTTP 401, 403): a
	// wrong or expired key, or one without the permission. An error that is
	// ErrCredentials is ErrRefused too.
	ErrCredentials error = credentials{}

	// ErrRejected is the vendor's definitive "no" to the row itself (a
	// validation message, HTTP 4xx other than the above). Sending the same
	// row again would be refused again.
	ErrRejected = errors.New("rejected by the vendor")

	// ErrNotYet means the vendor does not accept the row yet and nothing was
	// sent (an Iute cash release before Iute allows it). The row waits: the
	// next run tries it again, and it is never counted as an unknown
	// outcome.
	ErrNotYet = errors.New("the vendor does not accept this row yet; nothing was sent")
)

// credentials is ErrCredentials: an ErrRefused of its own.
type credentials struct{}

func (credentials) Error() string        { return "the vendor refused the credentials" }
func (credentials) Is(target error) bool { return target == ErrRefused }

// ForStatus is the outcome an HTTP status that ended a request says, or nil
// for a success and for statuses that say nothing definite on their own
// (5xx: whether the request may have acted depends on the method, which
// the HTTP client knows and wraps ErrOutcomeUnknown for).
func ForStatus(code int) []error {
	switch {
	case code == 429:
		return []error{ErrNotSent}
	case code == 401 || code == 403:
		return []error{ErrCredentials, ErrRefused}
	case code == 404 || code == 405 || code == 407:
		return []error{ErrRefused}
	case code >= 400 && code < 500:
		return []error{ErrRejected}
	}
	return nil
}

// Is reports whether an HTTP status says target (for an error type's Is
// method).
func Is(code int, target error) bool {
	for _, e := range ForStatus(code) {
		if e == target {
			return true
		}
	}
	return false
}

// Coded is implemented by outcome errors that carry the HTTP status the
// vendor answered with, for receipts and the ledger.
type Coded interface {
	HTTPCode() int
}

// Code is the HTTP status the first Coded error in err's chain carries (0
// when none does).
func Code(err error) int {
	var c Coded
	if errors.As(err, &c) {
		return c.HTTPCode()
	}
	return 0
}
