package bizcap

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/connectors"
)

// MaxLength is the documented maximum length of a text datapoint.
const MaxLength = 255

// Attachment fields of the leads target: a file (local path or s3:// URL)
// per documented attachment type, uploaded after the lead is created.
var AttachmentFields = map[string]string{
	"attachments.bank_statements":   "Bank Statements",
	"attachments.proof_of_identity": "Proof of Identity or ID",
	"attachments.image":             "Image",
}

// addressKeys are the documented keys of an address object.
var addressKeys = []string{"addressLine1", "addressLine2", "city", "state", "zipCode", "country"}

var (
	phoneFields  = set("phone", "secondaryPhone", "brokerContactNumber")
	emailFields  = set("email", "secondaryEmail", "brokerContactEmail")
	numberFields = set("amountRequested", "averageMonthlyTurnover")
	dateFields   = set("dateOfBirth", "businessStartDate")
	enumFields   = map[string][]string{
		"callClientOrBroker": CallClientOrBrokerValues,
		"citizenshipStatus":  CitizenshipStatuses,
		"homeOwner":          YesNo,
		"soleDirector":       YesNo,
		"loanPurpose":        LoanPurposes,
	}
)

// leadFields are the datapoints of POST /lead/new, as documented.
var leadFields = buildLeadFields()

func buildLeadFields() []connectors.Field {
	doc := map[string]string{
		"brokerId":               "Partner: unique identifier of a broker",
		"brokerRepId":            "Partner Contact: identifier of a broker representative",
		"callClientOrBroker":     "whether Bizcap calls the client or the broker",
		"companyName":            "name of the company",
		"firstName":              "first name of the individual (last name in lastName)",
		"lastName":               "last name of the individual",
		"abn":                    "Australian Business Number (AU leads)",
		"acn":                    "Australian Company Number (AU leads)",
		"amountRequested":        "amount of funding requested, a plain number (no commas)",
		"averageMonthlyTurnover": "average monthly turnover, a plain number (no commas)",
		"brokerContactEmail":     "email address of the broker contact",
		"brokerContactName":      "name of the broker contact",
		"brokerContactNumber":    "phone of the broker contact, international format",
		"businessStartDate":      "date the business was established",
		"callOnBehalfOf":         "entity on whose behalf the call is made",
		"citizenshipStatus":      "citizenship status of the individual",
		"crn":                    "Company Registration Number (UK leads)",
		"dateOfBirth":            "date of birth of the individual",
		"documentId":             "Illion document id, for Bizcap to pull bank statements",
		"driversLicenseNumber":   "driver's licence number",
		"driverVersionNumber":    "driver's licence version number (NZ leads)",
		"email":                  "email address of the individual or business contact",
		"homeOwner":              "whether the individual owns a home",
		"industryCategory":       "category of the business's industry",
		"industry":               "industry of the business",
		"loanPurpose":            "purpose of the loan",
		"notes":                  "primary notes",
		"nzbn":                   "New Zealand Business Number (NZ leads)",
		"partnerLeadReferenceId": "your reference; leadpipe sets it to the row key when unmapped",
		"partnerNotes":           "additional notes",
		"phone":                  "phone of the individual or business, international format (+61...)",
		"secondaryEmail":         "secondary email address",
		"secondaryPhone":         "secondary phone, international format",
		"soleDirector":           "whether the individual is the sole director",
		"suitableProducts":       "Bizcap products suitable for the applicant",
		"tradingName":            "trading name of the business",
		"uen":                    "UEN of the business",
	}
	var out []connectors.Field
	for name, d := range doc {
		f := connectors.Field{Name: name, Type: connectors.TypeString, Doc: d}
		switch {
		case numberFields[name]:
			// The doc: "Incorrect: Amount Requested = $20,000".
			f.Type, f.PlainNumber = connectors.TypeNumber, true
		case dateFields[name]:
			f.Type, f.Format = connectors.TypeDate, "2006-01-02"
		case phoneFields[name]:
			f.Format = "e164"
		case name == "suitableProducts":
			f.Type, f.Enum = connectors.TypeList, SuitableProducts
		}
		if e, ok := enumFields[name]; ok {
			f.Enum = e
		}
		out = append(out, f)
	}
	for _, obj := range AddressFields {
		for _, k := range addressKeys {
			out = append(out, connectors.Field{Name: obj + "." + k, Type: connectors.TypeString, Doc: obj + " " + k})
		}
	}
	for name, typ := range AttachmentFields {
		out = append(out, connectors.Field{Name: name, Type: connectors.TypeFile,
			Doc: "file uploaded to the lead as " + typ + " (POST /attachments/new) once it is created"})
	}
	slices.SortFunc(out, func(a, b connectors.Field) int { return strings.Compare(a.Name, b.Name) })
	return out
}

var leadFieldByName = func() map[string]connectors.Field {
	m := map[string]connectors.Field{}
	for _, f := range leadFields {
		m[f.Name] = f
	}
	return m
}()

// isCreateField reports whether name is a datapoint of POST /lead/new (or an
// address object or one of its keys).
func isCreateField(name string) bool {
	if slices.Contains(AddressFields, name) {
		return true
	}
	_, ok := leadFieldByName[name]
	return ok && !strings.HasPrefix(name, "attachments.")
}

// Target returns a push target: "leads".
func (k *connector) Target(ctx context.Context, name string) (connectors.Target, error) {
	if name != "leads" {
		return nil, fmt.Errorf("bizcap has no push target %q (targets: leads)", name)
	}
	return &leadsTarget{k: k}, nil
}

// leadsTarget creates leads (POST /lead/new), uploads their attachments and
// updates them (PATCH /lead/{id}).
type leadsTarget struct{ k *connector }

var _ connectors.Updater = (*leadsTarget)(nil)

// Fields lists the create datapoints (dotted for the address objects), the
// attachment files, and marks the required ones. Phones are text that must
// already be international, as the doc demands; with
// convert_national_phones they are TypePhone, so the mapping turns a
// national number into +<country code> for phone_region first.
func (t *leadsTarget) Fields() []connectors.Field {
	out := slices.Clone(leadFields)
	for i := range out {
		out[i].Required = t.required(out[i].Name)
		if phoneFields[out[i].Name] && t.k.cfg.ConvertNationalPhones {
			out[i].Type, out[i].Region = connectors.TypePhone, t.k.cfg.PhoneRegion
		}
	}
	return out
}

// Preview is the request body a dry run shows.
func (t *leadsTarget) Preview(rec connectors.Record, key string) ([]byte, error) {
	return json.MarshalIndent(map[string]any{"fields": t.createBody(rec, key)}, "", "  ")
}

// Account names the Bizmate API the ledger entries belong to (host and
// path of base_url): the sandbox and production never share a ledger, and
// a new API token does not make rows look unsent.
func (t *leadsTarget) Account() string {
	u, err := url.Parse(t.k.cfg.BaseURL)
	if err != nil {
		return t.k.cfg.BaseURL
	}
	return u.Host + strings.TrimRight(u.Path, "/")
}

// createBody is the body of POST /lead/new: the mapped datapoints, with
// partnerLeadReferenceId set to the row key unless the mapping set it.
func (t *leadsTarget) createBody(rec connectors.Record, key string) map[string]any {
	b := body(rec)
	if _, set := b["partnerLeadReferenceId"]; !set {
		b["partnerLeadReferenceId"] = key
	}
	return b
}

func (t *leadsTarget) required(name string) bool {
	return name == "firstName" || name == "lastName" || slices.Contains(t.k.cfg.RequiredFields, name)
}

var (
	e164RE   = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	emailRE  = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s.]+$`)
	amountRE = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,2})?$`)
)

// cleanPhone drops the separators people type inside a number ("+61 412
// 345-678"); the leading "+" and the digits stay.
func cleanPhone(s string) string {
	return strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "", "\u00a0", "").Replace(strings.TrimSpace(s))
}

// Validate applies Bizcap's documented rules to one row and returns every
// problem: required datapoints, first and last name in their own fields,
// international phones with a leading "+", numbers without commas, the exact
// enumerations, dates, text of at most 255 characters, and well-formed ABN,
// ACN and NZBN.
func (t *leadsTarget) Validate(_ context.Context, rec connectors.Record) []connectors.FieldError {
	var errs []connectors.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, connectors.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	names := make([]string, 0, len(rec.Fields))
	for name := range rec.Fields {
		names = append(names, name)
	}
	slices.Sort(names)

	// Required datapoints.
	required := append([]string{"firstName", "lastName"}, t.k.cfg.RequiredFields...)
	seen := map[string]bool{}
	for _, name := range required {
		if seen[name] {
			continue
		}
		seen[name] = true
		present := rec.Has(name)
		if slices.Contains(AddressFields, name) {
			for _, k := range addressKeys {
				present = present || rec.Has(name+"."+k)
			}
		}
		if present {
			continue
		}
		if name == "lastName" && strings.Contains(strings.TrimSpace(rec.String("firstName")), " ") {
			bad(name, "is required: first and last name go in separate fields (firstName John, lastName Smith, not firstName \"John Smith\")")
			continue
		}
		bad(name, "is required")
	}
	if first, last := strings.TrimSpace(rec.String("firstName")), strings.TrimSpace(rec.String("lastName")); first != "" && last != "" &&
		len(first) > len(last) && strings.HasSuffix(strings.ToLower(first), " "+strings.ToLower(last)) {
		bad("firstName", "holds the full name %q: put only the first name here and the last name in lastName", first)
	}

	for _, name := range names {
		f, known := leadFieldByName[name]
		if !known {
			bad(name, "is not a Bizcap lead datapoint")
			continue
		}
		if !rec.Has(name) {
			continue
		}
		v := rec.Fields[name]
		switch {
		case f.Type == connectors.TypeFile:
			for _, p := range files(v) {
				if strings.TrimSpace(p) == "" {
					bad(name, "names an empty file path")
				} else if len([]rune(path.Base(p))) > MaxLength {
					bad(name, "file name is longer than %d characters", MaxLength)
				}
			}
			if len(files(v)) == 0 {
				bad(name, "must be a file path (local or s3://)")
			}
		case numberFields[name]:
			s := strings.TrimSpace(rec.String(name))
			switch {
			case strings.Contains(s, ","):
				bad(name, "must not contain commas: write 20000, not 20,000 (got %q)", s)
			case strings.HasPrefix(s, "-"):
				bad(name, "must not be negative (got %s)", s)
			case !amountRE.MatchString(s):
				bad(name, "must be a plain number with at most 2 decimals, without currency symbols (got %q)", s)
			}
		case dateFields[name]:
			d, ok := dateOf(v)
			if !ok {
				bad(name, "must be a date (YYYY-MM-DD), got %q", rec.String(name))
			} else if d.After(t.k.clock()) {
				bad(name, "is in the future (%s)", d.Format("2006-01-02"))
			}
		case name == "suitableProducts":
			for _, p := range list(v) {
				if !slices.Contains(SuitableProducts, p) {
					bad(name, "%q is not one of %s (exact spelling)", p, quoteList(SuitableProducts))
				}
			}
		default:
			s := rec.String(name)
			if b, ok := v.(bool); ok && (name == "homeOwner" || name == "soleDirector") {
				s = yesNo(b)
			}
			if len([]rune(s)) > MaxLength {
				bad(name, "is longer than %d characters (%d)", MaxLength, len([]rune(s)))
			}
			if allowed, ok := enumFields[name]; ok && !slices.Contains(allowed, s) {
				bad(name, "must be one of %s (exact spelling), got %q", quoteList(allowed), s)
			}
			switch {
			case phoneFields[name]:
				p := cleanPhone(s)
				switch {
				case !strings.HasPrefix(p, "+"):
					bad(name, "must be in international format: \"+\", the country code and the number, e.g. +447512093211 (got %q)", s)
				case !e164RE.MatchString(p):
					bad(name, "is not a phone number in international format (+ country code and 6 to 14 digits), got %q", s)
				}
			case emailFields[name]:
				if !emailRE.MatchString(strings.TrimSpace(s)) {
					bad(name, "is not an email address: %q", s)
				}
			case name == "abn" || name == "acn" || name == "nzbn":
				num, _ := businessNumber(name, s)
				if msg := checkBusinessNumber(name, num); msg != "" {
					bad(name, "%s %s (got %q)", strings.ToUpper(name), msg, s)
				}
			}
		}
	}
	return errs
}

func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func dateOf(v any) (time.Time, bool) {
	switch x := v.(type) {
	case connectors.Date:
		return x.Time, !x.IsZero()
	case time.Time:
		return x, !x.IsZero()
	case string:
		t, err := time.Parse("2006-01-02", strings.TrimSpace(x))
		return t, err == nil
	}
	return time.Time{}, false
}

func list(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case string:
		var out []string
		for _, p := range strings.FieldsFunc(x, func(r rune) bool { return r == '|' || r == ',' }) {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	return nil
}

// files returns the paths of a file field: one path, or a list of them.
func files(v any) []string {
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return nil
		}
		return []string{x}
	case []string:
		return x
	}
	return nil
}

func (k *connector) clock() time.Time { return k.env.Clock()() }

// body builds the "fields" object of a create or update from a validated
// record: nested address objects, numbers as JSON numbers (never floats),
// phones without separators, business numbers without spaces.
func body(rec connectors.Record) map[string]any {
	out := map[string]any{}
	for name, v := range rec.Fields {
		if !rec.Has(name) || strings.HasPrefix(name, "attachments.") {
			continue
		}
		if obj, key, ok := strings.Cut(name, "."); ok {
			m, _ := out[obj].(map[string]any)
			if m == nil {
				m = map[string]any{}
				out[obj] = m
			}
			m[key] = strings.TrimSpace(rec.String(name))
			continue
		}
		switch {
		case numberFields[name]:
			out[name] = json.Number(strings.TrimSpace(rec.String(name)))
		case dateFields[name]:
			d, _ := dateOf(v)
			out[name] = d.Format("2006-01-02")
		case name == "suitableProducts":
			out[name] = list(v)
		case phoneFields[name]:
			out[name] = cleanPhone(rec.String(name))
		case name == "abn" || name == "acn" || name == "nzbn" || name == "crn" || name == "uen":
			num, _ := businessNumber(name, rec.String(name))
			out[name] = num
		default:
			if b, ok := v.(bool); ok {
				out[name] = yesNo(b)
				continue
			}
			out[name] = strings.TrimSpace(rec.String(name))
		}
	}
	return out
}

// attachment is one file read for upload.
type attachment struct {
	typ, name string
	data      []byte
}

// readAttachments opens every file the record names, before anything is
// sent, so that a missing file fails the row without creating a lead.
func (t *leadsTarget) readAttachments(ctx context.Context, rec connectors.Record) ([]attachment, error) {
	var names []string
	for name := range AttachmentFields {
		if rec.Has(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var out []attachment
	for _, name := range names {
		for _, loc := range files(rec.Fields[name]) {
			data, err := t.k.readFile(ctx, loc)
			if err != nil {
				return nil, fmt.Errorf("bizcap: %s: %w", name, err)
			}
			out = append(out, attachment{typ: AttachmentFields[name], name: path.Base(loc), data: data})
		}
	}
	return out, nil
}

func (k *connector) readFile(ctx context.Context, loc string) ([]byte, error) {
	// Only the engine's OpenAttachment, which reads under the pipeline's
	// attachments_dir and nowhere else: a cell never picks a local file.
	if k.env.OpenAttachment == nil {
		return nil, fmt.Errorf("open attachment %s: no push.attachments_dir is declared, so no file can be attached", loc)
	}
	rc, err := k.env.OpenAttachment(ctx, loc)
	if err != nil {
		return nil, fmt.Errorf("open attachment %s: %w", loc, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, k.cfg.MaxAttachmentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read attachment %s: %w", loc, err)
	}
	if int64(len(data)) > k.cfg.MaxAttachmentBytes {
		return nil, fmt.Errorf("attachment %s is larger than max_attachment_bytes (%d)", loc, k.cfg.MaxAttachmentBytes)
	}
	return data, nil
}

// Send creates the lead and uploads its attachments. partnerLeadReferenceId
// carries the row key unless the mapping set it, so Lookup can find the
// lead after a crash.
func (t *leadsTarget) Send(ctx context.Context, rec connectors.Record, key string) (connectors.Receipt, error) {
	atts, err := t.readAttachments(ctx, rec)
	if err != nil {
		return connectors.Receipt{}, err
	}
	b := t.createBody(rec, key)
	if ref := fmt.Sprint(b["partnerLeadReferenceId"]); len([]rune(ref)) > MaxLength {
		return connectors.Receipt{}, fmt.Errorf("bizcap: row key is longer than %d characters; map partnerLeadReferenceId", MaxLength)
	}
	created, status, err := t.k.c.createLead(ctx, b)
	if err != nil {
		return connectors.Receipt{HTTPStatus: status}, err
	}
	rc := connectors.Receipt{VendorID: created.ID, HTTPStatus: status, Extra: map[string]string{
		"partnerLeadReferenceId": fmt.Sprint(b["partnerLeadReferenceId"]),
	}}
	if created.Fields.ApplicationLink != "" {
		rc.Extra["applicationLink"] = created.Fields.ApplicationLink
	}
	if created.Fields.BankStatementsUpdateLink != "" {
		rc.Extra["bankStatementsUpdateLink"] = created.Fields.BankStatementsUpdateLink
	}
	if len(atts) == 0 {
		return rc, nil
	}
	ids, err := t.upload(ctx, created.ID, atts)
	if err != nil {
		rc.Extra["attachments"] = "not uploaded: " + err.Error()
		return rc, &connectors.PartialError{Receipt: rc, Err: fmt.Errorf("bizcap: lead %s created, but its attachments were not uploaded: %w", created.ID, err)}
	}
	rc.Extra["attachments"] = fmt.Sprintf("%d uploaded", len(atts))
	if len(ids) > 0 {
		rc.Extra["attachment_ids"] = strings.Join(ids, ",")
	}
	return rc, nil
}

// upload sends the files in one POST /attachments/new and returns the
// attachment ids (one object for one file, an array for several, as the
// doc's two samples show).
func (t *leadsTarget) upload(ctx context.Context, leadID string, files []attachment) ([]string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("entityType", "LEAD")
	_ = mw.WriteField("entityId", leadID)
	for i, f := range files {
		_ = mw.WriteField(fmt.Sprintf("attachments[%d][type]", i), f.typ)
		_ = mw.WriteField(fmt.Sprintf("attachments[%d][fileName]", i), f.name)
		w, err := mw.CreateFormFile(fmt.Sprintf("attachments[%d][file]", i), f.name)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	resp, err := t.k.c.upload(ctx, buf.Bytes(), mw.FormDataContentType())
	if err != nil {
		return nil, err
	}
	type att struct {
		ID string `json:"id"`
	}
	var many []att
	if json.Unmarshal(resp.Body, &many) != nil {
		var one att
		if json.Unmarshal(resp.Body, &one) == nil && one.ID != "" {
			many = []att{one}
		}
	}
	ids := make([]string, 0, len(many))
	for _, a := range many {
		ids = append(ids, a.ID)
	}
	return ids, nil
}

// Update sends the mapped datapoints with PATCH /lead/{id}. Attachments are
// not uploaded again (the API cannot list them, so a second upload would
// duplicate the files).
func (t *leadsTarget) Update(ctx context.Context, vendorID string, rec connectors.Record, key string) (connectors.Receipt, error) {
	b := body(rec)
	if len(b) == 0 {
		return connectors.Receipt{VendorID: vendorID}, nil
	}
	resp, err := t.k.c.patchLead(ctx, vendorID, b)
	if err != nil {
		return connectors.Receipt{VendorID: vendorID, HTTPStatus: statusOf(resp)}, err
	}
	return connectors.Receipt{VendorID: vendorID, HTTPStatus: resp.StatusCode}, nil
}

// Lookup finds a lead sent before by its partnerLeadReferenceId (the row
// key, or the mapped value). The API cannot filter, so it reads the lead
// list from the newest page backwards (records are appended at the end) and
// stops at the first page older than since minus the lookback; with
// list_order updated_desc it reads from page 1 instead. See the README for
// the cost.
func (t *leadsTarget) Lookup(ctx context.Context, rec connectors.Record, key string, since time.Time) (connectors.Receipt, bool, error) {
	ref := strings.TrimSpace(rec.String("partnerLeadReferenceId"))
	if ref == "" {
		ref = key
	}
	var window time.Time
	if !since.IsZero() {
		window = since.Add(-t.k.cfg.Lookback)
	}
	match := func(w *record) bool {
		if w.Fields.str("partnerLeadReferenceId") != ref {
			return false
		}
		created, ok := parseTime(w.CreatedAt)
		return window.IsZero() || !ok || !created.Before(window)
	}
	var found *record
	var err error
	if t.k.cfg.ListOrder == OrderUpdatedDesc {
		found, err = t.lookupForward(ctx, match, window)
	} else {
		found, err = t.lookupBackward(ctx, match, window)
	}
	if err != nil || found == nil {
		return connectors.Receipt{}, false, err
	}
	rc := connectors.Receipt{VendorID: found.ID, HTTPStatus: 200, Extra: map[string]string{
		"found_by": "partnerLeadReferenceId", "partnerLeadReferenceId": ref,
	}}
	for name := range AttachmentFields {
		if rec.Has(name) {
			rc.Extra["attachments"] = "unknown: attachments cannot be listed; check the lead's files in the portal"
			break
		}
	}
	return rc, true, nil
}

func (t *leadsTarget) lookupForward(ctx context.Context, match func(*record) bool, window time.Time) (*record, error) {
	var found *record
	err := t.k.c.scan(ctx, resLead, func(_ int, recs []record) (bool, error) {
		for i := range recs {
			w := &recs[i]
			if match(w) {
				found = w
				return true, nil
			}
			if up, ok := parseTime(w.UpdatedAt); ok && !window.IsZero() && up.Before(window) {
				return true, nil // older than anything sent since
			}
		}
		return false, nil
	})
	return found, err
}

func (t *leadsTarget) lookupBackward(ctx context.Context, match func(*record) bool, window time.Time) (*record, error) {
	last, cached, err := t.k.lastLeadPage(ctx)
	if err != nil {
		return nil, err
	}
	for p := last; p >= 1; p-- {
		recs, ok := cached[p]
		if !ok {
			if recs, err = t.k.c.page(ctx, resLead, p, t.k.c.pageSz); err != nil {
				return nil, err
			}
		}
		for i := len(recs) - 1; i >= 0; i-- {
			if match(&recs[i]) {
				return &recs[i], nil
			}
		}
		if len(recs) > 0 && !window.IsZero() {
			if created, ok := parseTime(recs[0].CreatedAt); ok && created.Before(window) {
				return nil, nil // every earlier page is older still
			}
		}
	}
	return nil, nil
}

// lastLeadPage finds the last non-empty page of the lead list (0 for none)
// by galloping up from the page found last time (+1, +2, +4...) and then
// bisecting: about 2·log2(pages) requests the first time, 1 when the list
// has not grown past that page, a few when it has grown by a few pages. The
// pages it read are returned so they are not read again.
func (k *connector) lastLeadPage(ctx context.Context) (int, map[int][]record, error) {
	k.mu.Lock()
	p := max(k.lastPage, 1)
	k.mu.Unlock()
	size := k.c.pageSz
	cached := map[int][]record{}
	lo, hi := 0, 0 // lo: highest page known full, hi: lowest page known empty (0 = none yet)
	step := 1
	for {
		recs, err := k.c.page(ctx, resLead, p, size)
		if err != nil {
			return 0, nil, err
		}
		switch n := len(recs); {
		case n > 0 && n < size:
			cached[p] = recs
			k.rememberLastPage(p)
			return p, cached, nil
		case n >= size:
			cached[p] = recs
			lo = p
		default:
			hi = p
		}
		if hi != 0 && lo+1 >= hi {
			k.rememberLastPage(lo)
			return lo, cached, nil
		}
		if hi == 0 { // gallop up from the last full page: +1, +2, +4...
			p = lo + step
			step *= 2
		} else {
			p = lo + (hi-lo)/2
		}
	}
}

func (k *connector) rememberLastPage(p int) {
	k.mu.Lock()
	k.lastPage = p
	k.mu.Unlock()
}
