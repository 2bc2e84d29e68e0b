// Package httpclient is the one HTTP client every leadpipe connector uses. It
// adds to net/http what talking to lending vendors needs: per-attempt
// timeouts, retries that never duplicate a create, the vendor's rate-limit
// headers, a client-side rate limit and concurrency bound, redaction of every
// secret, and statistics.
//
//	c := httpclient.New(httpclient.Config{Vendor: "lumi", RateLimit: 5, Concurrency: 4})
//	c.SetBasicAuth(user, pass)
//	var page leadsPage
//	_, err := c.DoJSON(ctx, &httpclient.Request{URL: base + "/leads?page_index=3"}, &page)
//
// One Client per connector instance: the rate limit, the pacing and the
// concurrency bound are shared by every request made through it.
//
// # Retry policy
//
// A call is sent at most 1+MaxRetries times (default 6). It is retried on:
//
//   - 429 Too Many Requests;
//   - 500, 502, 503 and 504;
//   - connection errors: dial errors, connection reset or refused, broken
//     pipe, unexpected EOF, and timeouts (Config.Timeout bounds one attempt,
//     body included; the caller's context bounds the whole call).
//
// Other statuses (400, 401, 403, 404, 422...) are returned at once as a
// *StatusError, together with the *Response so that a caller can read the
// vendor's validation errors. TLS and certificate failures, a body larger
// than MaxBodyBytes and a malformed JSON body (DoJSON) are not retried either.
//
// The wait before a retry is the vendor's when it gives one (Retry-After on a
// 429 or 503; X-RateLimit-Reset on a 429), otherwise full-jitter exponential
// backoff: uniform in [0, min(BackoffMax, BackoffBase·2^(n-1))] before retry
// n. A wait the vendor asks for that is longer than MaxWait is not slept: the
// call fails at once with an error wrapping ErrRateLimitWaitTooLong that says
// how long the vendor asked for and which header said so.
//
// # Exactly-once: non-idempotent requests
//
// Request.Idempotent defaults to true for GET, HEAD, PUT, DELETE, OPTIONS and
// TRACE, and to false for POST, PATCH and anything else. A non-idempotent
// request (a create) is retried ONLY when the vendor certainly did not act
// on it:
//
//   - it answered 429 (the request was refused, not processed);
//   - the connection could not be established (dial, DNS or proxy-connect
//     error): no byte of the request was written.
//
// Every other failure after the request may have reached the vendor (the
// connection dropped after sending, the attempt timed out waiting for the
// answer, the body could not be read, the caller's context ended mid-flight,
// or any 5xx) is returned at once, wrapping ErrOutcomeUnknown. The push engine
// must then look the row up at the vendor (partner_ref, external id, email)
// before sending it again, and must not blindly resend.
//
// # Rate limits and proactive pacing
//
// Three mechanisms combine, in this order, before every attempt:
//
//  1. Concurrency: at most Config.Concurrency requests in flight.
//  2. Pacing from the vendor's headers (below), shared by all requests.
//  3. Config.RateLimit requests per second with Config.Burst
//     (golang.org/x/time/rate).
//
// Pacing keeps strict vendors (ten calls a minute) at zero 429s in the steady
// state. The client reads X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset (also spelled X-Rate-Limit-* or RateLimit-*) from every
// response and keeps one budget for the client: the requests it may still
// start before the reset. When the budget is spent the next request waits
// until the reset instead of drawing a 429. Every request sent takes one unit
// of the budget; X-RateLimit-Remaining can lower the budget (someone else
// spends it too) but never raise it within a window, because answers overtake
// each other and a Remaining read before our other in-flight requests were
// counted overstates what is left. After the reset the budget is
// X-RateLimit-Limit (or one more than the largest Remaining seen) minus the
// requests still in flight. Until the first response arrives the budget is
// unknown, so the first request goes alone; a vendor that sends no such
// headers is not paced. A Retry-After on a 429 or 503 also holds every other
// request of the client until it has passed.
//
// Pacing uses the local clock: a vendor clock that is far off makes the
// client wait too long (ahead) or fall back to one request at a time
// (behind).
//
// # Header interpretation
//
// Retry-After is a number of seconds (decimals accepted) or an HTTP date.
//
// X-RateLimit-Reset differs between vendors, so a number is read by its
// magnitude:
//
//   - ≥ 1e12: epoch milliseconds (1e12 ms is September 2001);
//   - ≥ 1e9: epoch seconds (1e9 s is September 2001; as a delay it would be
//     31 years);
//   - otherwise: seconds until the reset.
//
// Decimals are accepted in each form. A whole number of seconds, epoch or
// delay, is taken as the end of that second, because vendors usually
// truncate: waiting up to one second more is cheaper than a 429. An HTTP date
// is accepted too. A reset given as milliseconds until the reset cannot be
// told apart from seconds and is read as seconds.
//
// # Redaction
//
// The Authorization header, cookies, the password of URL userinfo, the values
// of query parameters whose names look secret (containing token, key,
// password, secret, signature, credential, session, auth...; case-insensitive)
// and every registered secret (SetBasicAuth, SetBearer, SetHeaderSecret,
// AddSecret; also matched URL- and JSON-escaped) never appear in an error
// string, a log line or an Observer call. Vendors that echo credentials in an
// error body are covered too: body snippets are redacted before they are cut.
// Errors read like
//
//	lumi: GET https://host/v1/leads?page_index=3: 403 Forbidden: [{"status":false,"error":"Unauthorized"}]
//
// # Observability
//
// Stats returns atomic counters: requests, retries, 429s, transport errors,
// calls with an unknown outcome, time waited for rate limits and in backoff,
// and responses per status. Config.Observer is called after every attempt.
// Config.Logger gets one debug line per attempt and one warn line per retry,
// with the keys vendor, method, url, status, attempt, duration, waited, wait,
// reason and error.
//
// # Tests
//
// Config.HTTPClient replaces the transport, and Config.Now and Config.Sleep
// replace the clock for every wait, so long waits can be tested without
// taking real time.
package httpclient
