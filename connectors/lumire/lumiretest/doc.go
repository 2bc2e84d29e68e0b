// Package lumiretest is an in-process simulator of the LumireCRM API
// (vendor doc: shared/vendor-docs/lumirecrm.txt), the "lumire" sandbox. It is
// used by the lumire connector's black-box tests over real HTTP, by
// `leadpipe sandbox` (mounted under /lumire with http.StripPrefix) and by
// `leadpipe demo`.
//
// # What is simulated
//
// Only the operations leadpipe needs, out of the 468 the document lists:
//
//	POST  /v1/auth/login                   session login, sets the lumirecrm_session cookie (public)
//	POST  /v1/auth/logout                  revokes the session, clears the cookie (public, always 200)
//	GET   /v1/auth/me                      current user + tenant
//	GET   /v1/sales/leads                  cursor-paginated list
//	POST  /v1/sales/leads                  create a lead (201, lead detail)
//	GET   /v1/sales/leads/{id}             lead detail
//	PATCH /v1/sales/leads/{id}             update a lead (200, lead detail)
//	POST  /v1/sales/leads/{id}/convert     lead -> trader (201, {"lead":...,"trader":...})
//	GET   /v1/sales/activities             cursor-paginated list
//	POST  /v1/sales/activities             create an activity (201)
//	GET   /v1/sales/pipelines              the default pipeline and its stages
//	GET   /v1/traders, /v1/traders/{id}    traders (list + detail)
//	GET   /v1/accounts, /v1/accounts/{id}  trading accounts (list + detail)
//	GET   /v1/payments/deposits            cursor-paginated list
//	GET   /v1/payments/deposits/export.csv CSV export (list filters, capped)
//	GET   /v1/payments/withdrawals         cursor-paginated list
//	GET   /v1/payments/withdrawals/export.csv
//	GET   /v1/transactions                 cursor-paginated list
//	POST  /v1/transactions                 record a transaction (201)
//	GET   /v1/transactions/export.csv      CSV export (list filters, capped)
//	GET   /health                          liveness probe (public, outside /v1)
//
// Any other path or method answers 404 {"statusCode":404,"message":"Cannot GET
// /v1/...","error":"Not Found"}, including documented operations the sandbox
// does not simulate.
//
// # Credentials and environment
//
// Email / Password / TenantSlug log in (no TOTP unless RequireTOTP is
// called); APIKey authenticates in the X-API-Key header. Env(baseURL)
// returns:
//
//	LUMIRE_BASE_URL = baseURL + "/v1"   (the connector appends "/sales/leads", "/transactions", "/auth/login"...)
//	LUMIRE_EMAIL    = Email
//	LUMIRE_PASSWORD = Password
//	LUMIRE_TENANT   = TenantSlug
//	LUMIRE_API_KEY  = APIKey
//
// # Dataset
//
// Deterministic for (Options.Seed, Options.Size), anchored to Anchor
// (2026-11-01T00:00:00Z; records span the 180 days before it). Size is the
// number of leads, exactly (0 means DefaultSize = 300, which gives about 1,100
// activities, 180 traders, 260 accounts, 360 deposits, 140 withdrawals and 680
// transactions; a negative Size is an empty account: the tenant, its users
// and its sales pipeline, and no lead, activity, trader, account, payment or
// transaction). Traders come from converted leads plus traders with no lead;
// every deposit and withdrawal has a ledger transaction (kind deposit or
// withdrawal, reference = the payment id); the other transactions are
// commissions, bonuses, fees, adjustments (possibly negative) and transfers.
// Currencies: USD, EUR, GBP, AUD, JPY (no decimals: "155013") and USDT.
// Every value of every enumeration below appears at least once when Size >= 6
// (the derived collections have minimum sizes). Formats vary on purpose:
// phones in international, national, dashed and parenthesized forms or empty
// or null, countries in upper or lower case or "" or null, mixed-case emails,
// null optional fields, nested metadata objects, CSV-hostile descriptions
// (commas, quotes, newlines, non-ASCII), dateOfBirth as a date, a timestamp or
// null.
//
// # Test controls
//
//	Faults()                      the sandbox.Faults in front of everything (also auth)
//	ExpireSessions()              every session issued so far answers 401 "Session expired"
//	SetSessionTTL(d)              lifetime of new sessions on the Options clock (default 8h)
//	RequireTOTP(code)             login then needs "totpCode": code ("" disables)
//	SetResponseShape(s)           list envelope: ShapeData (default), ShapeItems, ShapeArray, ShapeNested
//	SetCursorParam(name)          query parameter of the list cursor (default "cursor")
//	SetExportCap(n)               CSV export row cap (default 10,000)
//	SetStatus(id, status)         change a lead/transaction/deposit/withdrawal status, trader kycStatus or account status
//	InjectUnknownValues()         some records get undocumented enum values (Unknown* constants)
//	Leads(), Activities(), Traders(), Accounts(), Deposits(), Withdrawals(), Transactions(), Users(),
//	Lead(id), Snapshot()          deep copies of the data, oldest first
//	Received(), ReceivedCount(route), CreatedCount(route), ResetReceived()
//	                              every write received after auth (accepted or rejected), by Route* constant
//	SessionCount()                logins that succeeded
//
// # Choices where the vendor doc is silent
//
// The LumireCRM document is generated from an OpenAPI file: for each
// operation it gives the method, the path, a one-line summary and an example
// request body. It documents no query parameters, no response bodies, no
// error bodies, no validation rules, no API-key header, no CSV columns and,
// for each enumeration, a single example value. Everything below is
// therefore the sandbox's choice; the API's style (Swagger UI at /docs,
// "tenantSlug", class-validator-like DTOs) suggests a NestJS service, and the
// choices follow NestJS conventions.
//
//  1. Base path. The documented paths all start with /v1, so LUMIRE_BASE_URL
//     ends in /v1 and the connector appends the rest. /health is at the root.
//  2. Sessions. POST /v1/auth/login answers 200 {"user":{...},"tenant":{...},
//     "expiresAt":"..."} and sets lumirecrm_session (Path=/, HttpOnly,
//     SameSite=Lax, no Expires/Max-Age: the server enforces the TTL, default
//     8h, so a fake clock never confuses a cookie jar). Wrong email, password
//     or tenant: 401 "Invalid credentials"; TOTP enrolled: 401 "TOTP code
//     required" / "Invalid TOTP code"; missing fields: 400. An expired session
//     answers 401 "Session expired"; a missing, unknown or logged-out session
//     401 "Unauthorized". The connector should log in again on 401.
//  3. API key. The doc says "API-key auth" but names no header: the key goes
//     in X-API-Key. When that header is present it decides alone: a wrong key
//     is 401 "Invalid API key" even with a valid cookie.
//  4. Errors are NestJS HttpException bodies:
//     {"statusCode":400,"message":...,"error":"Bad Request"}. message is an
//     array of strings for validation errors (class-validator wording, e.g.
//     "email must be an email", "property foo should not exist") and a
//     string otherwise. Unknown body properties AND unknown query parameters
//     are rejected with 400. A path id that is not a UUID is 400 "Validation
//     failed (uuid is expected)"; an unknown id is 404 "Lead not found"
//     (Trader, Account...).
//  5. Wire formats. Ids are UUIDs. Timestamps are UTC ISO 8601 with
//     milliseconds ("2026-05-23T12:18:22.181Z", as in the doc's examples).
//     Money amounts are decimal strings ("1234.50"; JPY has no decimals).
//     Absent optional values are present as null.
//  6. Pagination. Query parameters limit (1-100, default 50; outside that is
//     400), cursor (opaque; only valid for the list and order that issued it,
//     otherwise 400) and order (desc = newest first, the default; or asc).
//     Lists are sorted by (timestamp, id): createdAt for leads, traders,
//     accounts, deposits and withdrawals; occurredAt for activities and
//     transactions. Cursors are keyset positions, so records created during a
//     pull never shift or repeat pages. nextCursor is only sent when a further
//     non-empty page exists: a list whose size is an exact multiple of limit
//     ends without a cursor, and a cursor past the end gives an empty page.
//  7. Response shapes (undocumented). Default {"data":[...],"nextCursor":"..."}
//     with nextCursor ABSENT on the last page. SetResponseShape(ShapeItems):
//     {"items":[...],"next_cursor":"..."} with next_cursor NULL on the last
//     page. SetResponseShape(ShapeArray): a bare array with the cursor in the
//     X-Next-Cursor response header. SetResponseShape(ShapeNested):
//     {"result":{"rows":[...],"paging":{"after":"..."}}} with "after" absent
//     on the last page, a shape no client can guess (it exercises a client's
//     configurable record and cursor paths; SetCursorParam renames the
//     cursor's query parameter for the same purpose). Single records
//     (details, creates) are bare objects in every shape.
//  8. Filters (all optional, exact match unless said otherwise):
//     leads: status, source, assignedToId, email (case-insensitive), country
//     (case-insensitive), from, to, updatedSince;
//     activities: leadId, traderId, kind, from, to;
//     traders: email (case-insensitive), kycStatus, country, from, to,
//     updatedSince; accounts: traderId, platform, status, currency;
//     deposits and withdrawals: traderId, accountId, status, kind, currency,
//     externalId, reconciled (true|false), from, to, updatedSince;
//     transactions: traderId, accountId, kind, status, currency, externalId,
//     reference, from, to, updatedSince.
//     from/to apply to the list's sort timestamp. from is inclusive; to is
//     inclusive for a timestamp, and a bare date (YYYY-MM-DD) covers that
//     whole UTC day. updatedSince is inclusive on updatedAt. Enum filters
//     accept only the documented values (400 otherwise).
//  9. Details. Lists omit a lead's metadata; GET /v1/sales/leads/{id} adds
//     metadata, assignedTo (the user, or null) and activities (newest
//     first). The doc has no detail endpoint for deposits, withdrawals or
//     transactions, so neither has the sandbox.
//  10. CSV exports take the list's filters and order (not limit/cursor: 400)
//     and return at most 10,000 rows (SetExportCap). Truncation is SILENT, as
//     the doc only says "Max 10,000 rows": no header, no marker row. A
//     connector that receives exactly the cap must assume more rows exist and
//     split its window (or use the paginated list). Format: RFC 4180, header
//     row, LF line ends, UTF-8, empty cell for null, booleans true/false.
//     Columns: TransactionCSVColumns, DepositCSVColumns, WithdrawalCSVColumns
//     (the JSON field names, without metadata).
//  11. POST /v1/sales/leads: email required (valid address), phone (6-15
//     digits with spaces, dashes, dots, parentheses, optional leading +),
//     firstName/lastName (<= 100 chars), country (ISO 3166-1 alpha-2, any
//     case), source (<= 100), assignedToId (UUID of a tenant user, else 400),
//     score (integer 0-100, as the doc's "Score 0-100" elsewhere), metadata
//     (object, default {}). status is not a create property (400); new leads
//     are "new". Emails are NOT unique (the CRM has a merge-duplicates
//     feature): the exactly-once lookup is GET /v1/sales/leads?email=.
//  12. PATCH /v1/sales/leads/{id}: the same fields plus status and
//     pipelineStageId; null clears a field; status "converted" is refused
//     (use /convert); a status change adds a "status_change" activity.
//  13. POST /v1/sales/leads/{id}/convert takes no body, answers 201
//     {"lead":...,"trader":...}, links an existing trader with the same email
//     instead of creating a duplicate, and answers 409 "Lead already
//     converted" the second time.
//  14. POST /v1/transactions: traderId required (UUID of a trader, else 404
//     "Trader not found"); accountId optional (must exist, 404, and belong to
//     the trader, 400); kind required; status optional (default "pending");
//     amount required as a STRING with up to 12 digits and 8 decimals, not
//     zero, negative only for kind "adjustment"; currency required, upper-case
//     ISO 4217 or USDT/USDC/BTC/ETH (not checked against the account's
//     currency); reference (<= 100), description (<= 500), externalId
//     (<= 100, UNIQUE per tenant: a repeat is 409); occurredAt (ISO 8601,
//     default now); metadata (object). The exactly-once lookup is
//     GET /v1/transactions?externalId=.
//  15. POST /v1/sales/activities: leadId or traderId required (existing, else
//     404), kind required, subject (<= 200), body, occurredAt (default now).
//  16. Enumerations (documented example first): lead status new, contacted,
//     qualified, unqualified, converted, lost; activity kind note, call,
//     email, sms, meeting, task, status_change; transaction kind deposit,
//     withdrawal, commission (named in the doc's compliance export), bonus,
//     fee, adjustment, transfer; transaction status pending, completed,
//     failed, cancelled, reversed; payment kind card, bank_wire, crypto,
//     ewallet; deposit status pending, approved, settled, rejected, reversed
//     and withdrawal status pending, approved, settled, rejected (from the
//     doc's approve/settle/reject/reverse operations); account platform mt5,
//     mt4, ctrader, matchtrader; account status active, disabled, archived;
//     trader kycStatus not_started, pending_review (named in the KYC submit
//     operation), approved, rejected. A payment's ledger transaction follows
//     its status: settled -> completed, rejected -> failed, reversed ->
//     reversed, pending/approved -> pending.
//  17. "now" (createdAt of created records, default occurredAt, session
//     expiry, SetStatus) comes from Options.Now.
//  18. No rate limiting of its own: 429s come only from Faults().Storm429.
package lumiretest
