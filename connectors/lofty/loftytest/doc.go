// Package loftytest is an in-process simulator of the Lofty Open API
// (shared/vendor-docs/lofty.txt, "Lofty service API description", version
// 1.0), in the manner of net/http/httptest. It is used by the lofty
// connector's black-box tests, by `leadpipe sandbox` and by `leadpipe demo`.
//
//	s := loftytest.New(sandbox.Options{Seed: 1})
//	ts := httptest.NewServer(s)
//	env := s.Env(ts.URL) // LOFTY_BASE_URL, LOFTY_ACCESS_TOKEN, LOFTY_VENDOR_KEY
//
// # What is simulated
//
// Every path is relative to the API root and starts with /v1.0, so the
// server also works under http.StripPrefix (leadpipe serves it as /lofty/...).
//
//   - GET  /v1.0/leads: search (offset, limit in [1, 100], allTags, anyTags,
//     assignedUserId, contacted, desc, email, phone, preciseSearchFlag,
//     groups/groupIds (deprecated aliases), segments, segmentIds, languages,
//     querySubGroup, scrollId, sort, source, stage) answering a
//     LeadListResponse {"_metadata": MetaData, "leads": [LeadResponse]}.
//   - GET  /v1.0/leads/createTime?leadCreateTime= and
//     /v1.0/leads/updateTime?leadUpdateTime=: the same search from a minimum
//     create/update time parsed in UTC-7.
//   - GET, PUT, DELETE /v1.0/leads/{leadId} (GET takes withTrash; DELETE a
//     reason); POST /v1.0/leads creates a lead from a LeadRequest.
//   - GET  /v1.0/leads/{leadId}/activities?curPage= (100 per page) and
//     POST /v1.0/leads/{leadId}/activity.
//   - GET  /v1.0/calls (CallListResponse, offset/limit) and /v1.0/calls/{id}.
//   - GET  /v1.0/communication/call, /call/v2, /email, /text (currentId,
//     leadId, limit default 10 max 1000, offset default 0; bare arrays of
//     CallResponse, CallHistory, EmailResponse, TextResponse).
//   - POST /v1.0/agent/communication (CommunicationRequest -> PageResult).
//   - GET  /v1.0/notes (leadId, includeSystemNote), /v1.0/notes/{noteId};
//     POST /v1.0/notes (NoteRequest).
//   - GET  /v1.0/logType (currentId, leadId, limit, logType, offset) and
//     /v1.0/logType/{id}.
//   - GET  /v1.0/me and /v1.0/members (MemberListResponse).
//
// Other documented endpoints (routing, transactions, tasks, webhooks,
// listings, org, ...) are not simulated and answer 404.
//
// # Credentials and environment
//
// Authorization: Bearer AccessToken ("lofty-sandbox-access-token") on every
// call; anything else is 401 with no body (the document: "No Content") and a
// WWW-Authenticate header. VendorKey ("lofty-sandbox-vendor-key") is optional.
// Env(baseURL) returns LOFTY_BASE_URL = baseURL+"/v1.0", LOFTY_ACCESS_TOKEN
// and LOFTY_VENDOR_KEY.
//
// # Rate limiting
//
// Fixed windows, as documented ("only ten calls per minute ... The endpoints
// can be called again after one minute"): a window opens with the first
// request after the previous one closed and lasts RateWindow (one minute by
// default, SetRateWindow to change it, e.g. 200 ms in tests; 0 turns limiting
// off, and with it the X-RateLimit-* headers). Per window a client gets
// RateLimitNoVendorKey (10) calls, or RateLimitWithVendorKey (20) with a
// valid vendorKey. While limiting is on, every response,
// including 401s, 404s, 429s and the fault injector's answers, carries
// X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset. Past the
// limit the answer is 429 with {"message":"Too Many Requests"} and no
// Retry-After (none is documented). X-RateLimit-Reset is the instant the
// window resets in UTC epoch seconds, as the header table says: an integer
// rounded up when the window is whole seconds (the default), and with
// exactly three decimals (millisecond precision, rounded up, e.g.
// "1793491200.250") when the window is sub-second. ParseRateLimitReset
// reads both forms. Requests() counts every request received and
// Requests429() every 429 sent (limiter or Faults().Storm429).
//
// Order of processing: request counter -> Faults() -> rate limiter ->
// authentication -> router. A 429 storm therefore happens before auth.
//
// # Dataset
//
// New generates a deterministic dataset from Options.Seed and Options.Size
// (leads, exactly: Options.Records(DefaultSize), so 0 means DefaultSize = 300
// and a negative Size an empty account) with math/rand/v2 PCG, every date
// anchored to Anchor (2026-11-01T00:00:00Z). It has nine user-defined stages
// (Stages), six segments, eight tags, six members, and per lead activities,
// calls, emails, texts, notes (some system notes) and logged
// calls/emails/texts, with event ids increasing with time. Every documented
// enumeration value (leadType, leadTypes, callingOutcome, directions,
// emailType, email eventType, textType, logType) and every generated
// vocabulary value (stages, ActivityTypes, CallStatuses, TextOutcomes) is
// present when Size >= MinCoverageSize (10). Formats vary on purpose: phones
// in eight formats including +61 numbers, emails in mixed case, null versus
// empty arrays, leads without stage, pond leads without assignee, loan
// amounts as "$40,000", "40000", "40k" or "" in custom attributes. Fixed
// probes: lead index 0 has 250 activities, index 1 exactly 100, index 2
// none; indexes 3 and 4 were last updated at 2026-10-31T06:59:59Z and
// 07:00:00Z (either side of midnight UTC-7); indexes 10 and 11 share an
// e-mail address (different case) and index 12 carries an address that
// contains it.
//
// # Test controls
//
//   - Faults(): the shared sandbox.Faults injector in front of everything.
//   - SetRateWindow, RateWindow, Requests, Requests429, ResetCounters.
//   - SetNestedLeads(true): lead lists nest each lead as {"lead": {...}}.
//   - SetMaxResultWindow(n): offset+limit bound of the lead searches.
//   - Leads, Lead, Activities, Calls, Emails, Texts, Notes, LogTypes, Members,
//     Stages, Snapshot: deep copies of the truth.
//   - Touch(id, at) sets lastUpdateTime; UpdateLead(id, fn) edits a lead and
//     sets lastUpdateTime to now; SetStage(id, stage) / SetStatus(id, stage)
//     also add a system note "Stage changed from X to Y"; AddActivity,
//     AddCall, AddEmail, AddText, AddNote, DeleteLead.
//   - InjectUnknownValues: undocumented values (the Unknown* constants) in a
//     few records.
//   - Received: every write that reached the router (accepted or rejected),
//     with method, path, query, parsed body, time, status, assigned id and
//     error; Creates, CreateCount, CreatesByEmail, CreatesFor count accepted
//     POST /v1.0/leads per e-mail address.
//
// # Choices where the vendor doc is silent
//
//   - vendorKey transport: the document names a vendorKey but not how it is
//     sent. The sandbox reads the "vendorKey" request header, or a vendorKey
//     query parameter. An invalid vendorKey is not an error: the caller just
//     gets the no-key limit. The with-key limit (20) is the X-RateLimit-Limit
//     value of the document's example.
//   - Rate-limit scope: one window per Authorization header value and
//     vendorKey validity, so failed-auth probes do not eat a valid token's
//     budget. The document's example values of X-RateLimit-Reset (23000,
//     21000) contradict its own "UTC epoch seconds"; the sandbox follows the
//     table (see Rate limiting).
//   - Lead list shape: LeadListResponse's schema ("leads" holds LeadResponse
//     objects) by default; the pagination example's nesting
//     ({"lead": {...}}) with SetNestedLeads(true). A connector should accept
//     both.
//   - Timestamps: response times the document types as string (createTime,
//     lastUpdateTime, lastTouch, ...) are RFC 3339 in UTC with second
//     precision ("2026-10-31T07:00:00Z"); activity "created" is epoch
//     milliseconds as documented. All stored times are truncated to the
//     second.
//   - leadUpdateTime/leadCreateTime: "yyyy-MM-dd HH:mm:ss" (also with a "T"
//     separator, optional fractional seconds, or a bare "yyyy-MM-dd" meaning
//     00:00:00), always a wall-clock time in the fixed zone UTC-7 (no
//     daylight saving). Values with a zone or offset ("...Z", "+02:00") and
//     other formats are rejected with 400. The bound is inclusive
//     (lastUpdateTime >= bound). Absent means no bound. Results are sorted by
//     update (create) time ascending, then leadId. ParseQueryTime and
//     FormatQueryTime implement exactly this.
//   - GET /v1.0/leads order: sort=Default (and CreateTime) is createTime,
//     desc defaults to true (newest first); LastContact/LastCall/LastEmail/
//     Communication sort by lastTouch, LastActivity/Activity* by lastVisit,
//     AssignTime by assignTime, Score/SCOREV2 by score, the other documented
//     values by createTime; ties by leadId. An undocumented sort is 400.
//   - limit outside [1, 100] (leads), [1, 1000] (communication, logType) or
//     [1, 100] (calls, members: undocumented, chosen) and negative offsets
//     are 400, not clamped. The default limit is 10 everywhere.
//   - email/phone search: on /v1.0/leads, preciseSearchFlag=true means exact
//     matching (e-mail case-insensitive; phone by digits, ignoring a leading
//     North American "1" on 11 digits, so "(480) 555-0199" equals
//     "+14805550199"); without it the search is fuzzy (case-insensitive
//     substring of any e-mail, digit substring of any phone). The createTime
//     and updateTime searches have no flag and always match exactly
//     ("Precise search" in their parameter description).
//   - scrollId: every lead search page that has more results returns a
//     _metadata.scrollId. Passing it (other filters, offset and desc are then
//     ignored; limit defaults to the first request's) returns the next page
//     of a snapshot of the matching ids taken at the first request, with a
//     new scrollId, and none on the last page. A scrollId names a position,
//     so retrying a request returns the same page. Leads deleted since the
//     snapshot are skipped; their current data is served. The 64 most recent
//     snapshots are kept; an unknown one is 400 (errorCode 400004). Offset
//     paging is bounded by offset+limit <= 10000 (SetMaxResultWindow), beyond
//     which only scrollId pages further (400, errorCode 400005).
//   - Error body: the document gives no error schema except Result«long».
//     Validation and parameter errors are 400 with Result:
//     {"data":null,"errorCode":400003,"errorData":[{"field":"phones[0]",
//     "message":"..."}],"errorMsg":"phones[0]: ..."}, listing every problem
//     at once. Error codes: 400001 parameter, 400002 unparseable body,
//     400003 validation, 400004 scrollId, 400005 result window. 401, 403 and
//     404 have no body, as documented. A body that is not application/json
//     is 415 with no body.
//   - Write responses: the document types them as "string"; the sandbox
//     answers 200 with Result«long» whose data is the new (or edited) lead
//     id, or the noteId for POST /v1.0/notes: {"data":3400000301,
//     "errorCode":0,"errorData":null,"errorMsg":null}.
//   - POST /v1.0/leads validation: stage shorter than 20 characters; each
//     phone (also of family members) non-blank and at most 20 characters;
//     birthday matches "MMM d, yyyy"; leadType in {-1,1,2,3,5}; leadTypes in
//     {-1,1,2,5,6,7,8,9}; at most 4 family members (documented). Chosen:
//     at least one of firstName, lastName, emails, phones; e-mails look like
//     local@domain.tld; assignedUserId must be a team member. Unknown JSON
//     fields are ignored; wrong JSON types are 400 (errorCode 400002).
//   - Creates never deduplicate: the same body twice makes two leads (so a
//     duplicate push is visible in reads and in CreatesByEmail). Defaults of
//     a created lead: source "Open API", the first stage when stage is
//     absent or not one of the team's stages (an unknown stage name is
//     ignored on edit too), leadTypes derived from leadType (Buyer & Seller
//     (3) gives [1, 2]) or [-1], assignee the token owner unless
//     assignedUserId is given or leadRouting=true (round robin over agents).
//     content becomes a note; welcomeEmail=true adds an outbound Auto email.
//     hideVendorId is read from the query string (a request has one body).
//   - PUT /v1.0/leads/{id} applies only the keys present in the body (tags
//     replaces, tagsAdd adds); leadAlert, welcomeEmail, content and
//     leadRouting are ignored there. DELETE moves a lead to the trash: it
//     leaves the lists and GET by id needs withTrash=true.
//   - Update time: creating or editing a lead, a stage change, and any new
//     activity, call, email, text or note move the lead's lastUpdateTime to
//     now, so /leads/updateTime finds leads with new events. Outbound
//     communication sets lastTouch and makes the lead "contacted"; an
//     activity sets lastVisit.
//   - Activities: newest first by created; curPage is 0-based (default 0,
//     negative is 400); a page past the end is []. Activities carry no id and
//     no leadId, as documented. ActivityTypes is the sandbox's vocabulary
//     for the undocumented "type"; POST /activity requires a type.
//   - communication/* and logType: ordered by id ascending (ids increase with
//     time); currentId means "ids strictly greater than currentId" (pass the
//     last id seen), and offset applies after it. LogTypeResponse has no
//     logType field, as documented; filter with ?logType=.
//   - /v1.0/calls is ordered by id ascending; /v1.0/notes without leadId
//     returns the whole team's notes (no paging is documented), in id order,
//     system notes only with includeSystemNote=true.
//   - POST /v1.0/agent/communication: type (CALL, EMAIL, TEXT), startTime and
//     endTime (epoch ms, end - start <= 24 h, [start, end)) are required;
//     teamView=false returns only the token owner's communication; logged
//     entries have communicationType LOGGED; email eventType becomes
//     "<eventType> Email".
//   - CallResponse.status, TextResponse.textOutcome and the activity type are
//     undocumented strings: CallStatuses, TextOutcomes and ActivityTypes list
//     the values generated.
package loftytest
