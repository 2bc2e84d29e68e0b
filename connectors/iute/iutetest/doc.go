// Package iutetest is an in-process simulator ("sandbox") of the Iute Credit
// Partner API (vendor doc: shared/vendor-docs/iute-credit.txt), used by the
// iute connector's black-box tests over real HTTP, by `leadpipe sandbox` and
// by `leadpipe demo`.
//
// # What is simulated
//
// Every documented interface, at its documented URI under BasePath
// (/rest/api/partner) with its documented method:
//
//	POST /loan/calc             loan_amount, loan_duration         -> <loan_calc> XML
//	POST /new/loan              multipart application (+ files)    -> <loan> with loan_ref
//	GET  /cancel/loan           loanRef                            -> 200, empty body
//	POST /loan/check/status     loan_ref                           -> <loan><approved>false|true|rejected</approved>
//	GET  /loan/info             loanRef                            -> <loan_response> status 0 / -1
//	GET  /generate/agreement    loanRef, lang                      -> application/pdf attachment
//	POST /loan/files/upload     loan_ref, loan_agreement, bank_statement (multipart) -> 200, empty body
//	GET  /allow/cash/release    loanRef                            -> <loan><allowed>...
//	GET  /confirm/cash/release  loanRef                            -> 200, empty body
//	GET  /insert/repayment      loanRef, date (ddMMyyyy), amount   -> 200, empty body
//
// Every call needs HTTP Basic authentication (Username, Password) and the
// partner_type parameter (PartnerType). POST parameters are read from a
// multipart/form-data or application/x-www-form-urlencoded body (plus the
// query string); GET parameters from the query string. Successful responses
// are XML (application/xml;charset=UTF-8, with the JAXB declaration
// `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`), or an empty
// body with 200. Errors are an HTML page (text/html;charset=UTF-8) listing
// every message as an <li> of <ul class="errors">: 400 for validation and
// process errors, 403 for authentication errors. Field errors read
// "<field>: <message>", e.g. `gsm: must match format "0\d{9}", e.g. 0123456789`.
// Dates in responses are dd.MM.yyyy; amounts are written like Java doubles,
// as the doc shows them: 5000.0, 5478.4, 1095.68, 0.0 (see Cents).
//
// The simulated loan lifecycle (Loan.Status; allow/cash/release's
// loan_status in brackets):
//
//	NEW (new) --Approve/policy--> APPROVED (approved) --AllowCashRelease/policy--> CASH_RELEASE_ALLOWED (normal)
//	    |                             |                                                  |
//	    +--Reject/policy/autoreject-> REJECTED (rejected)        confirm/cash/release --> PAID_OUT (active)
//	    +--cancel/loan (NEW or APPROVED)--> CANCELLED (cancelled)   insert/repayment until 0 --> CLOSED (closed)
//
// check/status answers false (NEW), true (APPROVED, CASH_RELEASE_ALLOWED),
// rejected (REJECTED), and for every other state (CANCELLED, PAID_OUT,
// CLOSED) HTTP 400 "Loan application has moved to another step". loan/info answers status 0 "success" with the installment table for
// PAID_OUT and CLOSED loans, and status -1 "No active loan found!" (HTTP 200)
// for every other loan and for unknown refs. Repayments cover installments
// sequentially from 1 to n; the repayment date has no effect on coverage.
//
// # Credentials and environment
//
// Username "leadpipe-partner", Password "iute-sandbox-secret", PartnerType
// "post". Env(baseURL) returns IUTE_BASE_URL = baseURL + "/rest/api/partner"
// (the common prefix of every documented URI, so the connector appends the
// URI suffix, e.g. IUTE_BASE_URL + "/new/loan"), IUTE_USERNAME,
// IUTE_PASSWORD and IUTE_PARTNER_TYPE. The sandbox also answers under the
// "/iute" context path of the doc's samples (/iute/rest/api/partner/...),
// and works behind http.StripPrefix.
//
// # Dataset
//
// New generates exactly Options.Size loans (DefaultSize = 50 when 0, none
// when negative: an empty account) from
// Options.Seed with a PCG generator, anchored to Anchor (2026-11-01 UTC),
// never to the clock. Refs start at FirstLoanRef (90000) and increase by 1
// to 3 (gaps are other partners' loans); LoanRefs() lists them. Every state
// appears at least once when Size >= 7; PAID_OUT loans come with no
// repayment, with whole installments repaid, or with a partly paid
// installment; CLOSED loans were repaid installment by installment or with
// an early lump sum. Applications vary PIN shapes (I80606014N, 13-digit
// IDNP, 112356789T), names with diacritics (Bălan, Ștefan, Çela), empty
// apartment_nr, and optional id_copy/data_verification files.
// Loans submitted through new/loan get the next refs and use Options.Clock
// for their timestamps and installment table.
//
// # Test controls
//
//   - Approve(ref), Reject(ref), AllowCashRelease(ref), SetStatus(ref, s).
//   - SetPolicy(Policy): automatic decisions for loans submitted through
//     new/loan (generated loans move only through the controls).
//     DefaultPolicy approves on the first check/status call and authorizes
//     cash release at once (ReleaseOnApproval), so submit → poll → confirm
//     cash release → repay works with no control; Policy{} is fully manual;
//     ApproveOnSubmit, ApproveOnCheck: N, AllowCashReleaseOnCheck: N (on the
//     Nth allow/cash/release call), ReleaseOnApproval, RequireFiles and
//     RejectIf tune it. RejectIf runs under the server's
//     lock and must not call the Server.
//   - Loans(), Loan(ref): deep copies; LoanRefs(), SubmittedRefs().
//   - Received(): every new loan, cancel, confirm cash release, repayment
//     and file upload request that passed Basic authentication, accepted or
//     not, with parameters, files, time, ref and answer; Count(kind) counts
//     the accepted ones; ResetReceived().
//   - InjectUnknownValues(): undocumented values (an <approved> of
//     "under_review", loan_status "under_review"/"restructured", a loan/info
//     <status>1</status>); returns the affected refs.
//   - Faults(): the sandbox.Faults in front of everything, auth included.
//
// # Choices where the vendor doc is silent
//
//   - Base URL: IUTE_BASE_URL ends in /rest/api/partner; "/iute" in the
//     samples is the deployment's context path and is accepted too.
//   - Authentication: a missing or wrong Basic credential answers 403 (no
//     401, no WWW-Authenticate), as "in case of any authentication errors
//     error code is 403". A missing partner_type answers 400
//     "partner_type: is required"; a partner_type other than the account's
//     answers 403. Auth is checked before routing, so an unknown path under
//     the API answers 403 without credentials and 404 with them.
//   - Methods and content types: each URI accepts only its documented
//     method (405 with Allow otherwise). new/loan and loan/files/upload
//     carry files and accept only multipart/form-data; loan/calc and
//     check/status accept both documented encodings; anything else is 415.
//   - Parameter names are taken literally from the doc: check/status and
//     loan/files/upload use loan_ref, the GET interfaces use loanRef.
//   - Validation reports every field error at once. All fields the doc
//     marks required are required and must not be blank; varchar fields are
//     at most 255 characters. birth_date is dd.MM.yyyy (the table's example
//     01/01/90 is rejected; the sample request's 31.08.1997 is the format),
//     a real date in the past. gsm and alt_contact_phone match 0\d{9} and
//     phone_home matches 0\d{8}, as the table says (the sample request's
//     10-digit phone_home would be rejected). apartment_nr is required but
//     may be empty (the doc's example is empty). loan_amount is a positive
//     decimal with at most 2 decimals, at most 1000000.0; loan_duration is
//     an integer from 1 to 60 months. Files must be .jpg/.jpeg/.pdf and not
//     empty; a multipart part with an empty filename counts as not sent.
//     In loan/files/upload both files are required as the table says (the
//     sample's empty bank_statement is rejected).
//   - Autoreject: an applicant younger than 18 or older than 75 on the
//     submission day is REJECTED at once (new/loan still answers 200 with the
//     loan_ref; check/status then answers rejected). The same application
//     sent twice creates two loans: there is no duplicate detection.
//   - The loan calculator is an annuity at 4.5% a month (MonthlyRate), the
//     payment rounded half-up to cents, total = payment × months; the first
//     repayment date is one month after the submission day, later
//     installments monthly on the same day (clamped to the month's end).
//     The table is fixed at submission. The sample response of loan/calc
//     (<loan_calc>) is followed even though the doc says responses are
//     wrapped in <loan>.
//   - check/status: an application stays approved (true) until it is paid
//     out, also once cash release is authorized; CANCELLED, PAID_OUT and
//     CLOSED are "other process steps" (400 "Loan application has moved to
//     another step").
//   - allow/cash/release answers for a loan in any state, with allowed true
//     only in CASH_RELEASE_ALLOWED; loan_status values other than the
//     documented "normal" are the sandbox's own (table above).
//   - confirm/cash/release is accepted only in CASH_RELEASE_ALLOWED; any
//     other state, a second confirm included, answers 400 "Cash release is
//     not allowed for this loan".
//   - cancel/loan outside NEW/APPROVED answers 400 "Loan can be cancelled
//     only in status NEW or APPROVED".
//   - generate/agreement needs APPROVED or a later state (400 "Loan
//     application is not approved" otherwise); lang is any three letters.
//     loan/files/upload is accepted in APPROVED and CASH_RELEASE_ALLOWED
//     only (400 "moved to another step" otherwise).
//   - loan/info keeps answering status 0 for fully repaid (CLOSED) loans,
//     with remaining_balance 0.0. Unknown refs answer -1 there; every other
//     interface answers 400 "Loan not found: <ref>" for an unknown ref.
//   - insert/repayment: date must be a real ddMMyyyy date, not checked
//     against the clock. The loan must be PAID_OUT (400 "No active loan
//     found!" otherwise) and amount must not exceed remaining_balance (400).
//     The repayment reaching 0 closes the loan.
//   - There is no list endpoint: a connector knows loans only by the refs
//     it submitted (tests import generated refs from LoanRefs()), so there
//     is nothing to paginate.
package iutetest
