package bizcaptest

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Submission kinds.
const (
	KindCreateLead        = "lead.create"        // POST /lead/new
	KindUpdateLead        = "lead.update"        // PATCH /lead/{id}
	KindUploadAttachments = "attachments.create" // POST /attachments/new
)

// Submission is one write request that passed authentication, accepted or
// not.
type Submission struct {
	Kind   string
	Method string
	Path   string
	// Body is the parsed JSON body of lead writes (nil when it was not JSON).
	Body map[string]any
	// Form and Files are the parts of a multipart upload.
	Form  map[string][]string
	Files []UploadedFile
	At    time.Time
	// ID is the lead created or updated, or the entityId of an upload.
	ID string
	// AttachmentIDs are the attachments an accepted upload created.
	AttachmentIDs []string
	// Status is the HTTP status answered; Error says why a request was
	// rejected (the vendor's body only says "Invalid request").
	Status int
	Error  string
}

// UploadedFile is one file part of a multipart upload.
type UploadedFile struct {
	Field    string
	FileName string
	Size     int64
}

func (s *Server) record(sub Submission) {
	s.mu.Lock()
	s.received = append(s.received, sub)
	s.mu.Unlock()
}

func (s *Server) reject(w http.ResponseWriter, sub *Submission, status int, err error) {
	sub.Status, sub.Error = status, err.Error()
	s.record(*sub)
	msg := msgInvalid
	if status == http.StatusNotFound {
		msg = msgNotFound
	}
	writeError(w, status, msg)
}

func pageParams(r *http.Request) (page, size int, ok bool) {
	q := r.URL.Query()
	page, size = 1, DefaultPageSize
	parse := func(key string, dst *int) bool {
		if !q.Has(key) {
			return true
		}
		n, err := strconv.Atoi(strings.TrimSpace(q.Get(key)))
		if err != nil || n < 1 {
			return false
		}
		*dst = n
		return true
	}
	if !parse("page", &page) || !parse("pageSize", &size) || size > MaxPageSize {
		return 0, 0, false
	}
	return page, size, true
}

func pageBounds(n, page, size int) (int, int) {
	if page-1 > n/size {
		return n, n
	}
	from := min((page-1)*size, n)
	return from, min(from+size, n)
}

func (s *Server) listLeads(w http.ResponseWriter, r *http.Request) {
	page, size, ok := pageParams(r)
	if !ok {
		writeError(w, http.StatusBadRequest, msgInvalid)
		return
	}
	s.mu.RLock()
	from, to := pageBounds(len(s.leads), page, size)
	body, err := marshal(s.leads[from:to])
	s.mu.RUnlock()
	writeMarshaled(w, body, err)
}

func (s *Server) listDeals(w http.ResponseWriter, r *http.Request) {
	page, size, ok := pageParams(r)
	if !ok {
		writeError(w, http.StatusBadRequest, msgInvalid)
		return
	}
	s.mu.RLock()
	from, to := pageBounds(len(s.deals), page, size)
	body, err := marshal(s.deals[from:to])
	s.mu.RUnlock()
	writeMarshaled(w, body, err)
}

func writeMarshaled(w http.ResponseWriter, body []byte, err error) {
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	writeBody(w, http.StatusOK, body)
}

func (s *Server) getLead(w http.ResponseWriter, id string) {
	if !uuidRE.MatchString(id) {
		writeError(w, http.StatusBadRequest, msgInvalid)
		return
	}
	s.mu.RLock()
	i, ok := s.leadIndex[strings.ToLower(id)]
	var body []byte
	var err error
	if ok {
		body, err = marshal(s.leads[i])
	}
	s.mu.RUnlock()
	if !ok {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	writeMarshaled(w, body, err)
}

func (s *Server) getDeal(w http.ResponseWriter, id string) {
	if !uuidRE.MatchString(id) {
		writeError(w, http.StatusBadRequest, msgInvalid)
		return
	}
	s.mu.RLock()
	i, ok := s.dealIndex[strings.ToLower(id)]
	var body []byte
	var err error
	if ok {
		body, err = marshal(s.deals[i])
	}
	s.mu.RUnlock()
	if !ok {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	writeMarshaled(w, body, err)
}

// CreateLeadResponse is the documented answer of POST /lead/new.
type CreateLeadResponse struct {
	ID     string `json:"id"`
	Fields struct {
		BankStatementsUpdateLink string  `json:"bankStatementsUpdateLink"`
		ApplicationLink          string  `json:"applicationLink"`
		PartnerLeadReferenceID   *string `json:"partnerLeadReferenceId"`
	} `json:"fields"`
}

func bankStatementsLink(id string) string {
	return "https://www.bizcap.nz/bankstatements?leadid=" + id
}

func applicationLink(id string) string {
	return "https://www.bizcap.nz/more-about-you/?lead_id=" + id
}

func (s *Server) createLead(w http.ResponseWriter, r *http.Request) {
	now := s.now().UTC()
	sub := Submission{Kind: KindCreateLead, Method: r.Method, Path: r.URL.Path, At: now}
	raw, body, err := decodeFieldsBody(r)
	sub.Body = body
	if err != nil {
		s.reject(w, &sub, http.StatusBadRequest, err)
		return
	}
	in, err := parseLeadInput(raw, true)
	if err != nil {
		s.reject(w, &sub, http.StatusBadRequest, err)
		return
	}

	s.mu.Lock()
	id := newUUID(s.idRNG)
	b := brokers[0]
	l := &Lead{
		ID: id, CreatedAt: At(now), CreatedBy: APIUserID, UpdatedAt: At(now), UpdatedBy: APIUserID,
		Fields: LeadFields{
			Status: "New", SubStatus: "Received",
			Watchers:                 []Ref{},
			StatusSinceDate:          atPtr(now.Truncate(time.Second)),
			SubStatusSinceDate:       atPtr(now.Truncate(time.Second)),
			DelegateTo:               &Ref{"user", bdmUsers[0].ID},
			Broker:                   Named{b.ID, b.Name},
			BrokerRep:                b.Reps[0],
			BankStatementsUpdateLink: bankStatementsLink(id),
			BankStatementsReceived:   "No",
			ApplicationLink:          applicationLink(id),
			SuitableProducts:         []string{},
			LeadSource:               "API",
		},
	}
	applyLeadInput(&l.Fields, in)
	for _, a := range []*Address{&l.Fields.ResidentialAddress, &l.Fields.BusinessAddress,
		&l.Fields.PhysicalAddress, &l.Fields.TradingAddress} {
		a.refreshFull()
	}
	s.leadIndex[id] = len(s.leads)
	s.leads = append(s.leads, l)
	sub.ID, sub.Status = id, http.StatusOK
	s.received = append(s.received, sub)
	var resp CreateLeadResponse
	resp.ID = id
	resp.Fields.BankStatementsUpdateLink = l.Fields.BankStatementsUpdateLink
	resp.Fields.ApplicationLink = l.Fields.ApplicationLink
	resp.Fields.PartnerLeadReferenceID = cloneP(l.Fields.PartnerLeadReferenceID)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) patchLead(w http.ResponseWriter, r *http.Request, id string) {
	now := s.now().UTC()
	sub := Submission{Kind: KindUpdateLead, Method: r.Method, Path: r.URL.Path, At: now, ID: id}
	if !uuidRE.MatchString(id) {
		s.reject(w, &sub, http.StatusBadRequest, invalid("lead id %q is not a uuid", id))
		return
	}
	s.mu.RLock()
	_, exists := s.leadIndex[strings.ToLower(id)]
	s.mu.RUnlock()
	if !exists {
		s.reject(w, &sub, http.StatusNotFound, fmt.Errorf("lead %s not found", id))
		return
	}
	raw, body, err := decodeFieldsBody(r)
	sub.Body = body
	if err != nil {
		s.reject(w, &sub, http.StatusBadRequest, err)
		return
	}
	in, err := parseLeadInput(raw, false)
	if err != nil {
		s.reject(w, &sub, http.StatusBadRequest, err)
		return
	}
	s.mu.Lock()
	l := s.leads[s.leadIndex[strings.ToLower(id)]]
	applyLeadInput(&l.Fields, in)
	l.UpdatedAt, l.UpdatedBy = At(now), APIUserID
	sub.ID, sub.Status = l.ID, http.StatusOK
	s.received = append(s.received, sub)
	out, err := marshal(l)
	s.mu.Unlock()
	writeMarshaled(w, out, err)
}

var attachmentKeyRE = regexp.MustCompile(`^attachments\[([0-9]+)\]\[(type|fileName|file)\]$`)

type attachmentPart struct {
	typ, fileName, uploadName string
	hasType, hasFile          bool
	content                   []byte
}

// maxUpload bounds one multipart request.
const maxUpload = 64 << 20

func (s *Server) uploadAttachments(w http.ResponseWriter, r *http.Request) {
	now := s.now().UTC()
	sub := Submission{Kind: KindUploadAttachments, Method: r.Method, Path: r.URL.Path, At: now}
	parts, entityID, err := parseUpload(r, &sub)
	if err != nil {
		s.reject(w, &sub, http.StatusBadRequest, err)
		return
	}
	s.mu.Lock()
	li, ok := s.leadIndex[strings.ToLower(entityID)]
	if !ok {
		s.mu.Unlock()
		s.reject(w, &sub, http.StatusBadRequest, invalid("entityId %q is not a lead", entityID))
		return
	}
	lead := s.leads[li]
	created := make([]Attachment, 0, len(parts))
	for _, p := range parts {
		name := p.fileName
		if name == "" {
			name = p.uploadName
		} else if path.Ext(name) == "" {
			name += path.Ext(p.uploadName)
		}
		a := Attachment{
			ID: newUUID(s.idRNG), CreatedAt: At(now), UpdatedAt: At(now), CreatedBy: APIUserID, UpdatedBy: APIUserID,
			Fields:  AttachmentFields{FileName: name, Type: p.typ, EntityType: "LEAD", EntityID: lead.ID},
			Size:    int64(len(p.content)),
			Content: p.content,
		}
		created = append(created, a)
		sub.AttachmentIDs = append(sub.AttachmentIDs, a.ID)
		if p.typ == "Bank Statements" && lead.Fields.BankStatementsReceived != "Yes" {
			lead.Fields.BankStatementsReceived = "Yes"
			lead.Fields.BankStatementsReceivedDate = atPtr(now)
		}
	}
	lead.UpdatedAt, lead.UpdatedBy = At(now), APIUserID
	s.attachments = append(s.attachments, created...)
	sub.ID, sub.Status = lead.ID, http.StatusOK
	s.received = append(s.received, sub)
	s.mu.Unlock()
	if len(created) == 1 {
		writeJSON(w, http.StatusOK, created[0])
		return
	}
	writeJSON(w, http.StatusOK, created)
}

func parseUpload(r *http.Request, sub *Submission) ([]attachmentPart, string, error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return nil, "", invalid("content type %q is not multipart/form-data", r.Header.Get("Content-Type"))
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxUpload)
	if err := r.ParseMultipartForm(maxUpload); err != nil {
		return nil, "", invalid("parse multipart body: %v", err)
	}
	form := r.MultipartForm
	defer func() { _ = form.RemoveAll() }()
	sub.Form = form.Value
	byIndex := map[int]*attachmentPart{}
	part := func(idx string) (*attachmentPart, error) {
		i, err := strconv.Atoi(idx)
		if err != nil || i > 1000 {
			return nil, invalid("attachment index %q out of range", idx)
		}
		if byIndex[i] == nil {
			byIndex[i] = &attachmentPart{}
		}
		return byIndex[i], nil
	}
	entityType, entityID := "", ""
	for key, vals := range form.Value {
		if len(vals) != 1 {
			return nil, "", invalid("form key %q given %d times", key, len(vals))
		}
		switch key {
		case "entityType":
			entityType = vals[0]
			continue
		case "entityId":
			entityID = vals[0]
			continue
		}
		m := attachmentKeyRE.FindStringSubmatch(key)
		if m == nil {
			return nil, "", invalid("unknown form key %q", key)
		}
		p, err := part(m[1])
		if err != nil {
			return nil, "", err
		}
		switch m[2] {
		case "type":
			p.typ, p.hasType = vals[0], true
		case "fileName":
			if len([]rune(vals[0])) > MaxLength {
				return nil, "", invalid("%s is longer than %d characters", key, MaxLength)
			}
			p.fileName = vals[0]
		case "file":
			return nil, "", invalid("%s must be a file part", key)
		}
	}
	for key, fhs := range form.File {
		for _, fh := range fhs {
			sub.Files = append(sub.Files, UploadedFile{Field: key, FileName: fh.Filename, Size: fh.Size})
		}
		m := attachmentKeyRE.FindStringSubmatch(key)
		if m == nil || m[2] != "file" || len(fhs) != 1 {
			return nil, "", invalid("unexpected file part %q", key)
		}
		p, err := part(m[1])
		if err != nil {
			return nil, "", err
		}
		f, err := fhs[0].Open()
		if err != nil {
			return nil, "", invalid("read %s: %v", key, err)
		}
		buf, err := io.ReadAll(f)
		_ = f.Close()
		if err != nil {
			return nil, "", invalid("read %s: %v", key, err)
		}
		p.content, p.uploadName, p.hasFile = buf, fhs[0].Filename, true
	}
	slices.SortFunc(sub.Files, func(a, b UploadedFile) int { return strings.Compare(a.Field, b.Field) })
	if entityType != "LEAD" {
		return nil, "", invalid("entityType %q is not LEAD", entityType)
	}
	if entityID == "" {
		return nil, "", invalid("entityId is missing")
	}
	sub.ID = entityID
	if len(byIndex) == 0 {
		return nil, "", invalid("no attachments")
	}
	idx := make([]int, 0, len(byIndex))
	for i := range byIndex {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	parts := make([]attachmentPart, 0, len(idx))
	for _, i := range idx {
		p := byIndex[i]
		if !p.hasType || !contains(AttachmentTypes, p.typ) {
			return nil, "", invalid("attachments[%d][type] %q is not one of %q", i, p.typ, AttachmentTypes)
		}
		if !p.hasFile {
			return nil, "", invalid("attachments[%d][file] is missing", i)
		}
		if p.fileName == "" && p.uploadName == "" {
			return nil, "", invalid("attachments[%d] has no file name", i)
		}
		parts = append(parts, *p)
	}
	return parts, entityID, nil
}
