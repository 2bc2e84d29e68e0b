// Package lumitest is an in-process simulator of the Lumi partner API
// (vendor doc: shared/vendor-docs/lumi.txt), used by the lumi connector's
// black-box tests over real HTTP, by `leadpipe sandbox` and by `leadpipe demo`.
// It registers itself as the "lumi" sandbox.
//
// # What is simulated
//
// Paths are relative to the API root, so the server also works mounted under
// a prefix with http.StripPrefix (`leadpipe sandbox` serves it as /lumi/v1/...).
//
//	GET  /v1/leads                    list: page_index, page_size, status, application_status, date_from, date_to
//	POST /v1/leads                    create lead, with every documented validation rule
//	GET  /v1/leads/{id}               lead details (FUNDED leads carry the commission/rate/product fields)
//	GET  /v1/leads/events             all events: page_index, page_size, since, createdAtSince, id
//	GET  /v1/leads/{id}/events        one lead's events, same parameters
//	GET  /v1/leads/loanReasons        the documented loan reasons
//	GET  /v1/leads/resources          the documented broker resources
//	POST /v1/leads/{id}/documents     multipart upload (field "document"), ?type= one of the Document Types
//	POST /v1/leads/{id}/bankfeeds     {"document_id": "..."} -> {"success": true}
//
// Lists answer {"success":true,"result":{"leads":[...],"count":N}} and
// {"success":true,"result":{"lead_events":[...],"total":N,"page":P}}. Errors
// answer the documented body [{"status": false, "error": "<message>"}].
// Webhooks are not simulated (the sandbox has nowhere to send them).
//
// Every request first goes through Faults() (a sandbox.Faults), then auth,
// then routing: a 429 storm is answered before credentials are looked at.
//
// # Credentials and environment
//
// HTTP Basic with Username / Password (the scheme name is case-insensitive,
// the doc writes "BASIC"). Anything else answers 403 with exactly
// [{"status": false, "error": "Unauthorized"}]. Env(baseURL) returns
// LUMI_BASE_URL = baseURL+"/v1", LUMI_USERNAME and LUMI_PASSWORD.
//
// # Dataset
//
// New(opts) generates opts.Size leads (DefaultSize = 300 when 0) from
// opts.Seed with math/rand/v2 PCG; the same Seed and Size always give the same
// leads and events. Timestamps are anchored to Anchor() (2026-11-01T00:00:00Z),
// never to the wall clock: leads are created over the ~180 days before it
// (recent statuses such as SUBMITTED were created days before it, FUNDED and
// lost leads up to 180 days), and updated_at >= created_at. With Size >=
// MinCoverageSize (40) the dataset carries every documented value: the 14
// statuses, the 16 lost reasons (on CLOSED/DECLINED leads), the 15 credit
// decline reasons (on DECLINED leads with lost_reason credit_declined), both
// application statuses, the 3 application types and both loan product types
// on FUNDED leads, all industries, license states, yes/no/unknown answers and
// (at the default size) every loan reason; the phone formats "0401-234-567",
// "+61433222111", "0412352312" and "04 1234 5678"; leads with and
// without external_id; company addresses structured, single-line ("AUS"),
// empty {} and absent; stakeholder credit_score present and absent.
// FUNDED leads have loan_id, effective_commission = amount *
// commission_percentage / 100 (rounded to cents), annual_simple_rate such as
// 0.2424 and loan.top_up_amount (> 0 only for REFINANCE_INTERNAL).
//
// Every lead's history starts with a SUBMITTED status event at created_at and
// its last status event is its current status. Status events use
// STATUS_CHANGE (as the doc's examples do) and, for some events, STATUS_UPDATED
// (as the doc's list says), so connectors must accept both. Other events:
// CALL and EMAIL with direction INBOUND/OUTBOUND, DOCUMENT_CAPTURE with
// event_text SENT/COMPLETED, LOAN_DOCUMENTS with SENT/SIGNED. Each event also
// has a RecordedAt (usually equal to or slightly after its date, sometimes
// hours later) that createdAtSince filters on.
//
// Ids are 24-hex MongoDB-style ObjectIDs whose first 4 bytes are the creation
// second. Generated phones never start with 049 and generated emails never use
// example.com, so tests can make up new customers safely.
//
// # Test controls
//
//	Leads() []Lead, Lead(id) (Lead, bool), Events() []Event   deep copies of the current truth
//	Received() []Submission, CountByExternalID(ext) int         every created lead (POST /v1/leads)
//	Attempts() int                                              every POST /v1/leads, rejected ones included
//	Documents() []Document, BankFeeds() []BankFeed              accepted uploads and bank feeds
//	SetStatus(id, status) error                                 status change at the clock's now (+ event)
//	SetLostReason(id, reason, creditDeclineReasons...) error
//	AddEvent(leadID, type, text, direction) (Event, error)      a non-status event at the clock's now
//	RejectDuplicates(bool)                                      duplicate email/phone -> 400 "lead already exists"
//	InjectUnknownValues()                                       values the doc does not list (see below)
//	Faults() *sandbox.Faults                                    429 storms, failures, dropped connections
//
// InjectUnknownValues adds, at the clock's now, a lead with status ON_HOLD
// (and an SMS event), a CLOSED lead with lost_reason "customer_went_overseas",
// a DECLINED lead with credit decline reason "crypto_exposure", a FUNDED lead
// with loan_product_type "INVOICE_FINANCE", and an SMS event on the oldest
// lead.
//
// # Choices where the vendor doc is silent
//
//   - Unknown lead id (details, events, documents, bankfeeds): 400 with
//     [{"status": false, "error": "lead not found"}], because the doc says the
//     API only answers 400 and 403. Unknown paths answer 404 and wrong methods
//     405, with the same error body shape.
//   - Error bodies carry one element per problem found: a create request with
//     three invalid fields gets three {"status": false, "error": ...} entries,
//     in the doc's field order (customer, company, loan, then top-level
//     fields). Each message names the field with its full path, e.g.
//     "loan.requested_amount must be a number between 5,000 and 300,000".
//   - GET /v1/leads: page_index starts at 1 (default 1; 0, negative or
//     non-integer is a 400). page_size defaults to 50 and accepts 1..100; more
//     than 100 is a 400, not a silent cap. The events endpoints use the same
//     rules (the doc's "Max: 100"). A page past the end is 200 with an empty
//     array and the real count/total. count is the TOTAL number of matching
//     leads, so a client can fetch the remaining pages concurrently.
//   - Leads are ordered by created_at then id; events by date then id. Both
//     orders are stable, and a new lead or event sorts into place.
//   - date_from/date_to filter created_at. Both accept YYYY-MM-DD and
//     ISO-8601 datetimes (RFC 3339 with Z or an offset, optional fractional
//     seconds; without an offset the time is UTC). A date without a time means
//     midnight UTC. date_from is inclusive. date_to is inclusive: a datetime
//     includes leads created at exactly that instant, and a date includes the
//     whole (UTC) day. A range with date_from after date_to is empty, not an
//     error. A "+" in an offset must be URL-encoded (%2B), as for any query.
//   - status and application_status must be one of the documented values
//     (case-sensitive), otherwise 400, so a typo never looks like an empty
//     result. They match exactly one value each.
//   - application_status is shown as loan.application_status (where the
//     doc's webhook example puts it) in both list and details. It is
//     SUBMITTED once a lead has reached AWAITING_CREDIT_APPROVAL or a later
//     credit stage, otherwise IN_PROCESS.
//   - The list object has the fields of the doc's list example plus
//     submitted_by and loan.application_status. It never carries
//     commission_percentage, effective_commission, annual_simple_rate,
//     loan_product_type, loan.top_up_amount or stakeholder.credit_score. Lead
//     details carry the whole lead; the four commission/rate/product fields and
//     loan.top_up_amount appear only for FUNDED leads. stakeholder.credit_score
//     is a string ("700") as in the details example.
//   - Empty optional fields are omitted (for example loan_id before loan
//     documents, external_id when none was given). lost_reason ("") and
//     credit_decline_reasons ([]) are always present, as in the list example.
//   - loan.amount is 0 until the lead reaches AWAITING_LOAN_DOCUMENTS; then it
//     is the approved amount (FUNDED: the funded amount; for
//     REFINANCE_INTERNAL the total new loan, with top_up_amount the increase).
//   - Lead timestamps have second precision and are rendered in Sydney local
//     time (+10:00, or +11:00 during daylight saving), like the doc's
//     "2018-07-04T13:40:26+10:00". A lead created through the API gets
//     created_at = the clock's now truncated to the second, so a client
//     looking up its own lead by date_from should allow at least a second of
//     margin. Event dates are UTC with milliseconds ("...T01:07:54.000Z").
//   - Events: since keeps events whose date is at or after it; createdAtSince
//     keeps events recorded strictly after it (the recorded time is not on
//     the wire, so a client uses its own request time as the next cursor);
//     both may be combined. No upper bound ("until now") is applied. The
//     documented id query parameter filters /v1/leads/events by lead.
//   - The event type list and the examples disagree (STATUS_UPDATED vs
//     STATUS_CHANGE): the sandbox emits both, mostly STATUS_CHANGE. Changes
//     made through the API or SetStatus emit STATUS_CHANGE.
//   - Create lead: the body must be a JSON object (any Content-Type); unknown
//     fields and reason_for_loan_other (deprecated) are accepted and ignored.
//     customer, company and loan are required objects. Required (✓*):
//     customer.first_name, customer.email, customer.phone, company.name,
//     company.abn, loan.requested_amount, loan.installments. For optional
//     fields, null and "" mean "not given". "Must be a number" means a JSON
//     number: "500" (a string) is rejected. company.credit_score must be an
//     integer. loan.requested_amount is 5,000..300,000 and loan.installments
//     13..78, bounds included; installments must be whole weeks.
//     number_of_employees (type Number) must be a number too.
//   - Phone: spaces and dashes are allowed as separators (the doc's own data
//     shows "0401-234-567" and "04 1234 5678"); after removing them the number
//     must be 04 + 8 digits, or +61 + 9 digits not starting with 0. Nothing
//     else (parentheses, 0061, landlines in 02 format) is accepted. The phone
//     is stored as sent.
//   - Email (customer.email, referred_by): one "@", no spaces, a domain of
//     dot-separated labels; a TLD is not required because the doc's own
//     example referred_by is "lead_owner@email". referred_by never changes
//     attribution in the sandbox (no partner accounts exist): submitted_by is
//     always BrokerName, as the doc says for a non-matching email.
//   - date_of_birth: 'DD/MM/YYYY' or 'YYYY-MM-DD' and a real calendar date;
//     it is stored and returned as birth_date in YYYY-MM-DD. No age check.
//   - company.abn: a string of 9 or 11 characters; digits are not checked and
//     spaces count (the doc's rule is about length only). accounting_software
//     3..12 and business_description 0..30 characters (counted in runes).
//     company.industry must be one of the documented ANZSIC letters;
//     industry_sector/industry_granular only need length 2-3 (the doc accepts
//     "incorrect industry levels"). reason_for_loan must be an array whose
//     every element is a value of GET /v1/leads/loanReasons (deprecated values
//     included); an empty array is accepted.
//   - Duplicates: the doc says "We check for existing leads with this field"
//     (email, phone) without saying what follows. By default duplicates are
//     accepted (a second lead is created). RejectDuplicates(true) answers 400
//     "lead already exists" when the email (case-insensitive) or the phone
//     (04... and +614... compared as the same number) matches a lead that is
//     not EXPIRED (the doc says an expired lead may be submitted again).
//     external_id is never checked for uniqueness: resending a row creates a
//     second lead, which is what exactly-once tests must detect.
//   - A new lead gets status SUBMITTED, application_status IN_PROCESS,
//     application_type REGULAR, amount 0, a new application_id, no loan_id,
//     and one STATUS_CHANGE SUBMITTED event dated at created_at.
//   - Attempts() counts POST /v1/leads requests that got past the Faults
//     wrapper, including ones rejected by auth or validation. A request
//     handled under DropAfterHandleNext is created and counted although the
//     client never sees the answer.
//   - Documents: type is required and must be a documented Document Type; the
//     part's Content-Type must be one of the documented content types (a part
//     without one is application/octet-stream and is rejected). A part with
//     Content-Transfer-Encoding: base64 (as in the doc's example) is decoded,
//     and size is the decoded byte count. A missing filename becomes
//     "document". Uploads are limited to 20 MiB.
//   - Bank feeds: document_id is required (a non-empty string).
//   - SetStatus accepts any non-empty status (so tests can simulate a new
//     vendor status). It keeps the lead consistent: CLOSED/DECLINED get a lost
//     reason if they have none (client_unresponsive / credit_declined with
//     credit_decline_reasons ["other"]), other statuses clear it; entering a
//     credit stage sets application_status SUBMITTED; AWAITING_LOAN_DOCUMENTS
//     and later fill loan_id and amount; FUNDED fills the commission, rate,
//     product type (from preferred_loan_type) and top-up; leaving FUNDED clears
//     them. If the clock is behind the lead's latest event, the new event is
//     dated at that latest event so it remains the last one.
package lumitest
