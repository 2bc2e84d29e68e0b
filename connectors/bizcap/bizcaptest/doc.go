// Package bizcaptest is an in-process simulator of the Bizcap x Bizmate CRM
// Partner API (vendor doc: shared/vendor-docs/bizcap-bizmate.txt), used by
// the bizcap connector's tests, by `leadpipe sandbox` and by `leadpipe demo`.
//
// # What is simulated
//
// Everything below is relative to the documented base URL
// https://bizmate.fasttask.net/api/v1 (BasePath "/api/v1"):
//
//   - GET /lead?page=&pageSize= and GET /deal?page=&pageSize=: a bare JSON
//     array of leads/deals (page is 1-based).
//   - GET /lead/{id}, GET /deal/{id}: one record, shaped as the doc's samples.
//   - POST /lead/new with {"fields":{...}}: the documented datapoints and
//     validation; answers 200 {"id":..., "fields":{"bankStatementsUpdateLink",
//     "applicationLink", "partnerLeadReferenceId"}}. The lead is then New /
//     Received, leadSource "API", and appears in later reads.
//   - PATCH /lead/{id} with {"fields":{...}}: any datapoint of the create,
//     only those sent change.
//   - POST /attachments/new (multipart/form-data): entityType=LEAD, entityId,
//     attachments[i][type] (Bank Statements | Proof of Identity or ID | Image),
//     attachments[i][fileName], attachments[i][file].
//
// Errors: 400 {"error":"Invalid request"} for any invalid request (the body
// never says more; Submission.Error records the reason for tests), 401
// {"error":"Unauthorized"}, 404 {"error":"Not Found"}.
//
// # Credentials and environment
//
// Authorization: Bearer <Token>. Env(baseURL) returns BIZCAP_BASE_URL =
// baseURL+"/api/v1" and BIZCAP_TOKEN = Token. The server routes on the path
// relative to where it is mounted, so http.StripPrefix("/bizcap", s) works.
// Faults() is in front of everything, auth included.
//
// # Dataset
//
// New(opts) generates opts.Records(DefaultSize) leads: exactly opts.Size,
// DefaultSize = 300 when Size is 0, none (an empty account) when Size is
// negative. They come from opts.Seed with a seeded PCG, all dated in the year
// before Anchor (2026-11-01T00:00:00Z). From MinSize = 100 leads on, every
// documented lead status/sub-status, deal status/sub-status, loanType,
// callClientOrBroker, citizenshipStatus, homeOwner, soleDirector,
// loanPurpose and suitableProducts value occurs; a smaller dataset is the
// first leads of the 100-lead plan, so not every value can occur in it. Leads come from five
// brokers in AU, NZ, the UK and Singapore, so abn (valid check digits), acn,
// nzbn, crn and uen all occur, some spaced ("51 824 753 556"), null when not
// applicable and "" from a few integrations. Phones are international;
// leads entered in the portal or by bulk upload sometimes carry spaces
// ("+61 412 345 678"). The four addresses are objects whose missing parts are
// "" (whole objects empty, suburb-only, line 2 missing, everything in line 1).
// Amounts are strings with two decimals ("42500.00").
//
// About 35% of leads are Converted / Banks In with convertedDealId set; the
// deal carries the lead's partnerLeadReferenceId. Some settled deals have a
// later Renewal / Add On / Refinance deal for the same customer that only the
// partnerLeadReferenceId links to its lead (the lead's convertedDealId keeps
// pointing at the first deal); deals of leads without a reference cannot be
// linked except through convertedDealId. About half of the Closed / Duplicate
// leads reuse the partnerLeadReferenceId of an earlier lead.
//
// # Test controls
//
//   - Leads(), Deals(), Attachments(), Lead(id), Deal(id): deep copies.
//   - Received() []Submission, ReceivedCount(kind), AcceptedCount(kind),
//     ResetReceived(): every write that passed auth (KindCreateLead,
//     KindUpdateLead, KindUploadAttachments), with body, status and reason.
//   - SetLeadStatus(id, status, subStatus), SetDealStatus(id, status,
//     subStatus): documented pairs only; bump updatedAt (and the since-dates
//     that change) to the clock's now.
//   - ConvertToDeal(leadID, loanType) (dealID, error): creates an Application
//     Received / Banks In deal and converts the lead.
//   - InjectUnknownValues(): puts the Unknown* values (undocumented statuses,
//     sub-statuses, loan type, enumerations) on every 20th lead and deal.
//   - Brokers(): valid brokerId / brokerRepId values.
//
// # Choices where the vendor doc is silent
//
//   - Paths: the doc writes /LEAD/... and /DEAL/... in its endpoint lines but
//     every example uses /lead/...; both are served: path segments are
//     matched case-insensitively (as Express, which the API's style suggests,
//     does by default). Record ids are UUIDs and compared case-insensitively;
//     an id that is not UUID-shaped is 400 "Invalid request", an unknown UUID
//     is 404. A trailing slash is ignored.
//   - Auth: missing, non-Bearer or wrong token is 401 with
//     {"error":"Unauthorized"} and WWW-Authenticate: Bearer (the doc gives
//     no body). The scheme name is case-insensitive. 403 is never returned.
//     Unknown paths and methods are 404 {"error":"Not Found"}, after auth.
//   - Pagination: page defaults to 1 and pageSize to 100 when absent;
//     non-integer or < 1 values and pageSize > 100 are 400. A page past the
//     end is []. Order is createdAt ascending, i.e. the order records were
//     created; records created through the API (or ConvertToDeal) are
//     appended at the end, so pages of older records never shift.
//     There is no filter of any kind (no updated-since, no
//     partnerLeadReferenceId search): unknown query parameters are ignored,
//     so a lookup by partnerLeadReferenceId means scanning the leads.
//   - Create: the body must be Content-Type application/json and exactly
//     {"fields":{...}}; unknown field names are 400 (so "name" or
//     "applicantName" instead of firstName/lastName fails). Required:
//     RequiredFields = firstName, lastName, companyName, phone (non-empty).
//     Text values are strings of at most 255 characters. phone,
//     secondaryPhone, brokerContactNumber must match ^\+[1-9][0-9]{6,14}$
//     (no spaces). Emails must look like a@b.c. amountRequested and
//     averageMonthlyTurnover take a JSON number or a string of digits with
//     an optional decimal part (no commas, no "$", not negative) and are
//     stored as "20000.00". dateOfBirth and businessStartDate take
//     YYYY-MM-DD (or an RFC 3339 time, stored as its date). Enumerations are
//     exact and case-sensitive. Addresses are objects with only the six
//     documented string keys (fullAddress is computed: non-empty parts joined
//     by ", " in the order line 1, line 2, city, state, zipCode, country).
//     brokerId / brokerRepId must be one of Brokers(); without them the lead
//     goes to DefaultBrokerID and its first contact. null means "not sent".
//     partnerLeadReferenceId is stored as sent and need not be unique.
//   - GET lead shows every create datapoint: abn, acn, crn, uen, notes,
//     partnerNotes and brokerContact* are added to the doc's sample, null
//     when never set; amountRequested/averageMonthlyTurnover are strings.
//   - Response links use the doc's host (www.bizcap.nz) for every market.
//   - Update: PATCH takes the same {"fields":{...}} and validation without the
//     required check; null clears a field (but not firstName, lastName,
//     companyName, phone, brokerId, brokerRepId); an address object is merged
//     key by key; an empty "fields" is 400. It answers 200 with the whole
//     updated lead (the doc's response sample is a placeholder) and bumps
//     updatedAt. Status cannot be changed through the API.
//   - Attachments: answered 200 with one object for one file and an array
//     for several, as the doc's two samples show. entityType must be "LEAD";
//     an entityId that is not a lead is 400; every index needs a type and a
//     file part; a fileName without extension takes the uploaded file's
//     ("Drivers_License_Front" + license.jpg -> "Drivers_License_Front.jpg",
//     as in the doc); no fileName means the uploaded file's name. A Bank
//     Statements upload sets the lead's bankStatementsReceived to "Yes" (and
//     its date) and bumps updatedAt. Attachments cannot be listed.
//   - Timestamps are UTC with milliseconds ("2024-08-02T05:43:45.884Z");
//     statusSinceDate/subStatusSinceDate have whole seconds, as in the doc.
//   - Deals: amounts (amount, omPrincipalAmount, omPaybackAmount) are strings
//     like "123.00"; omTermDays and omNumberOfPayments are integers;
//     omDateFunded is a date "2026-05-03"; omDeclineReasons is a
//     ";"-separated list (a Salesforce multi-select, as sfid suggests);
//     omCollectionFrequency is one of CollectionFrequencies; omAdvanceType
//     one of AdvanceTypes. Offer terms are set from Approved on (and on some
//     Withdrawn and On Hold deals), funded fields (omAdvanceID, omDateFunded)
//     on Settled, decline reasons on Declined, all null otherwise. loanType
//     is null on a few deals and on every lead that is not converted (a
//     converted lead shows its deal's).
//   - Deal statuses: the doc's two lists disagree; the dataset uses their
//     union verbatim (see DealStatuses).
//   - Undocumented value sets used by the data: leadSource (LeadSources),
//     applicationCompleted ("Yes"/"No"/null), internalBdmUser
//     ({"id","firstName","lastName"} or null).
package bizcaptest
