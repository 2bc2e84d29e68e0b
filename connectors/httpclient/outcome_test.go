package httpclient_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
)

// TestOutcomes checks how the answers that end a POST map onto the
// outcomes the push engine decides on (package connectors), over real HTTP:
// the engine reads these errors, never a status code.
func TestOutcomes(t *testing.T) {
	all := []error{connectors.ErrNotSent, connectors.ErrOutcomeUnknown, connectors.ErrRefused,
		connectors.ErrCredentials, connectors.ErrRejected, connectors.ErrNotYet}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    []error // every outcome the error is; the others it is not
		code    int     // connectors.HTTPStatus
	}{
		{"429 after the retries", status(429, `{"message":"slow down"}`), []error{connectors.ErrNotSent}, 429},
		{"429 asking for too long a wait", status(429, "", "Retry-After", "3600"), []error{connectors.ErrNotSent}, 429},
		{"401", status(401, "no"), []error{connectors.ErrRefused, connectors.ErrCredentials}, 401},
		{"403", status(403, "no"), []error{connectors.ErrRefused, connectors.ErrCredentials}, 403},
		{"404", status(404, "no such path"), []error{connectors.ErrRefused}, 404},
		{"405", status(405, ""), []error{connectors.ErrRefused}, 405},
		{"407", status(407, ""), []error{connectors.ErrRefused}, 407},
		{"400", status(400, `{"error":"email is invalid"}`), []error{connectors.ErrRejected}, 400},
		{"409", status(409, "duplicate"), []error{connectors.ErrRejected}, 409},
		{"422", status(422, "bad"), []error{connectors.ErrRejected}, 422},
		{"500 on a POST", status(500, "oops"), []error{connectors.ErrOutcomeUnknown}, 500},
		{"503 on a POST", status(503, ""), []error{connectors.ErrOutcomeUnknown}, 503},
		{"connection dropped after the request", hangUp, []error{connectors.ErrOutcomeUnknown}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newScripted(t, tc.handler)
			cfg := fakeConfig(newFakeClock())
			cfg.MaxRetries, cfg.MaxWait = 1, time.Minute
			c := httpclient.New(cfg)
			req, err := httpclient.NewJSONRequest(http.MethodPost, srv.URL+"/leads", map[string]string{"name": "Ann"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Do(t.Context(), req)
			if err == nil {
				t.Fatal("no error")
			}
			for _, o := range all {
				want := false
				for _, w := range tc.want {
					want = want || w == o
				}
				if got := errors.Is(err, o); got != want {
					t.Errorf("errors.Is(%v, %q) = %v, want %v", err, o, got, want)
				}
			}
			if got := connectors.HTTPStatus(err); got != tc.code {
				t.Errorf("HTTPStatus = %d, want %d (%v)", got, tc.code, err)
			}
		})
	}
}

// TestRejectedError: a connector's own "no" is ErrRejected, with its status.
func TestRejectedError(t *testing.T) {
	var err error = &connectors.RejectedError{HTTPStatus: 422, Field: "email", Reason: "is invalid"}
	if !errors.Is(err, connectors.ErrRejected) || errors.Is(err, connectors.ErrOutcomeUnknown) {
		t.Errorf("RejectedError outcomes wrong: %v", err)
	}
	if got := connectors.HTTPStatus(err); got != 422 {
		t.Errorf("HTTPStatus = %d, want 422", got)
	}
	if got := connectors.HTTPStatus(errors.New("plain")); got != 0 {
		t.Errorf("HTTPStatus of a plain error = %d, want 0", got)
	}
}
