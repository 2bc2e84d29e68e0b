package bizcaptest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MaxLength is the documented maximum length of a text value.
const MaxLength = 255

// RequiredFields must be present and non-empty in POST /lead/new.
var RequiredFields = []string{"firstName", "lastName", "companyName", "phone"}

type fieldKind int

const (
	kText fieldKind = iota
	kEmail
	kPhone
	kNumber
	kDate
	kEnum
	kEnumList
	kAddress
	kBrokerRef
)

type fieldSpec struct {
	kind fieldKind
	enum []string
}

// leadInputFields are the datapoints of POST /lead/new (and PATCH).
var leadInputFields = map[string]fieldSpec{
	"brokerId":               {kind: kBrokerRef},
	"brokerRepId":            {kind: kBrokerRef},
	"callClientOrBroker":     {kEnum, CallClientOrBrokerValues},
	"companyName":            {kind: kText},
	"firstName":              {kind: kText},
	"lastName":               {kind: kText},
	"abn":                    {kind: kText},
	"acn":                    {kind: kText},
	"amountRequested":        {kind: kNumber},
	"averageMonthlyTurnover": {kind: kNumber},
	"brokerContactEmail":     {kind: kEmail},
	"brokerContactName":      {kind: kText},
	"brokerContactNumber":    {kind: kPhone},
	"businessAddress":        {kind: kAddress},
	"businessStartDate":      {kind: kDate},
	"callOnBehalfOf":         {kind: kText},
	"citizenshipStatus":      {kEnum, CitizenshipStatuses},
	"crn":                    {kind: kText},
	"dateOfBirth":            {kind: kDate},
	"documentId":             {kind: kText},
	"driversLicenseNumber":   {kind: kText},
	"driverVersionNumber":    {kind: kText},
	"email":                  {kind: kEmail},
	"homeOwner":              {kEnum, YesNo},
	"industryCategory":       {kind: kText},
	"industry":               {kind: kText},
	"loanPurpose":            {kEnum, LoanPurposes},
	"notes":                  {kind: kText},
	"nzbn":                   {kind: kText},
	"partnerLeadReferenceId": {kind: kText},
	"partnerNotes":           {kind: kText},
	"phone":                  {kind: kPhone},
	"physicalAddress":        {kind: kAddress},
	"residentialAddress":     {kind: kAddress},
	"secondaryEmail":         {kind: kEmail},
	"secondaryPhone":         {kind: kPhone},
	"soleDirector":           {kEnum, YesNo},
	"suitableProducts":       {kEnumList, SuitableProducts},
	"tradingAddress":         {kind: kAddress},
	"tradingName":            {kind: kText},
	"uen":                    {kind: kText},
}

var addressKeys = []string{"addressLine1", "addressLine2", "country", "city", "state", "zipCode"}

var (
	phoneRE  = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	emailRE  = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s.]+$`)
	amountRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	uuidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// value is one validated datapoint.
type value struct {
	null bool
	str  string
	list []string
	addr map[string]string // only the keys that were sent
}

// requestError is a 400 "Invalid request"; its text is kept in the
// Submission for tests (the vendor's body carries no detail).
type requestError struct{ reason string }

func (e *requestError) Error() string { return e.reason }

func invalid(format string, a ...any) error { return &requestError{fmt.Sprintf(format, a...)} }

// decodeFieldsBody reads a JSON body {"fields":{...}}. It returns the fields
// and the whole body as parsed JSON (for the record of submissions).
func decodeFieldsBody(r *http.Request) (map[string]json.RawMessage, map[string]any, error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/json" {
		return nil, nil, invalid("content type %q is not application/json", r.Header.Get("Content-Type"))
	}
	raw, err := readAll(r, 1<<20)
	if err != nil {
		return nil, nil, invalid("read body: %v", err)
	}
	var parsed map[string]any
	_ = json.Unmarshal(raw, &parsed)
	dec := json.NewDecoder(bytes.NewReader(raw))
	var top map[string]json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return nil, parsed, invalid("body is not a JSON object: %v", err)
	}
	if dec.More() {
		return nil, parsed, invalid("trailing data after the JSON object")
	}
	for k := range top {
		if k != "fields" {
			return nil, parsed, invalid("unknown top-level key %q (datapoints go inside \"fields\")", k)
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(top["fields"], &fields); err != nil || fields == nil {
		return nil, parsed, invalid("\"fields\" must be a JSON object")
	}
	return fields, parsed, nil
}

// parseLeadInput validates the datapoints of a create (required fields
// enforced, null means absent) or an update (null clears a field).
func parseLeadInput(raw map[string]json.RawMessage, create bool) (map[string]value, error) {
	out := make(map[string]value, len(raw))
	for name, msg := range raw {
		spec, ok := leadInputFields[name]
		if !ok {
			return nil, invalid("unknown field %q", name)
		}
		if isNull(msg) {
			if create {
				continue
			}
			if contains(RequiredFields, name) || spec.kind == kBrokerRef {
				return nil, invalid("field %q cannot be null", name)
			}
			out[name] = value{null: true}
			continue
		}
		v, err := parseValue(name, spec, msg)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	if create {
		for _, name := range RequiredFields {
			if v, ok := out[name]; !ok || strings.TrimSpace(v.str) == "" {
				return nil, invalid("required field %q is missing", name)
			}
		}
	} else {
		for _, name := range RequiredFields {
			if v, ok := out[name]; ok && strings.TrimSpace(v.str) == "" {
				return nil, invalid("required field %q cannot be empty", name)
			}
		}
	}
	if len(out) == 0 && !create {
		return nil, invalid("no datapoints to update")
	}
	return out, nil
}

func isNull(msg json.RawMessage) bool { return string(bytes.TrimSpace(msg)) == "null" }

func parseString(name string, msg json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(msg, &s); err != nil {
		return "", invalid("field %q must be a string", name)
	}
	if len([]rune(s)) > MaxLength {
		return "", invalid("field %q is longer than %d characters", name, MaxLength)
	}
	return s, nil
}

func parseValue(name string, spec fieldSpec, msg json.RawMessage) (value, error) {
	switch spec.kind {
	case kNumber:
		s, err := parseAmount(name, msg)
		return value{str: s}, err
	case kEnumList:
		var list []string
		if err := json.Unmarshal(msg, &list); err != nil {
			return value{}, invalid("field %q must be an array of strings", name)
		}
		for _, v := range list {
			if !contains(spec.enum, v) {
				return value{}, invalid("field %q: %q is not one of %q", name, v, spec.enum)
			}
		}
		if list == nil {
			list = []string{}
		}
		return value{list: list}, nil
	case kAddress:
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(msg, &obj); err != nil || obj == nil {
			return value{}, invalid("field %q must be an address object", name)
		}
		addr := map[string]string{}
		for k, m := range obj {
			if !contains(addressKeys, k) {
				return value{}, invalid("field %q: unknown address key %q", name, k)
			}
			if isNull(m) {
				addr[k] = ""
				continue
			}
			s, err := parseString(name+"."+k, m)
			if err != nil {
				return value{}, err
			}
			addr[k] = s
		}
		return value{addr: addr}, nil
	}
	s, err := parseString(name, msg)
	if err != nil {
		return value{}, err
	}
	switch spec.kind {
	case kEmail:
		if !emailRE.MatchString(s) {
			return value{}, invalid("field %q: %q is not an email address", name, s)
		}
	case kPhone:
		if !phoneRE.MatchString(s) {
			return value{}, invalid("field %q: %q is not in international format (+ country code and number, digits only)", name, s)
		}
	case kDate:
		d, err := parseDate(s)
		if err != nil {
			return value{}, invalid("field %q: %q is not a date (YYYY-MM-DD)", name, s)
		}
		s = d
	case kEnum:
		if !contains(spec.enum, s) {
			return value{}, invalid("field %q: %q is not one of %q", name, s, spec.enum)
		}
	case kBrokerRef:
		if name == "brokerId" {
			if _, ok := findBroker(s); !ok {
				return value{}, invalid("brokerId %q is not a broker of this account", s)
			}
		} else if _, _, ok := findRep(s); !ok {
			return value{}, invalid("brokerRepId %q is not a partner contact of this account", s)
		}
	}
	return value{str: s}, nil
}

// parseAmount accepts a JSON number or a string of digits with an optional
// decimal part, and returns it with two decimals ("20000.00").
func parseAmount(name string, msg json.RawMessage) (string, error) {
	text := string(bytes.TrimSpace(msg))
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal(msg, &text); err != nil {
			return "", invalid("field %q must be a number", name)
		}
		if !amountRE.MatchString(text) {
			return "", invalid("field %q: %q is not a plain number (no commas, no currency symbols)", name, text)
		}
	} else {
		var n json.Number
		if err := json.Unmarshal(msg, &n); err != nil {
			return "", invalid("field %q must be a number", name)
		}
		text = n.String()
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || f >= 1e13 {
		return "", invalid("field %q: %s is not a valid amount", name, text)
	}
	return strconv.FormatFloat(f, 'f', 2, 64), nil
}

func parseDate(s string) (string, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Format("2006-01-02"), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", err
	}
	return t.UTC().Format("2006-01-02"), nil
}

// applyLeadInput writes validated datapoints into f.
func applyLeadInput(f *LeadFields, in map[string]value) {
	for name, v := range in {
		if p := leadStringField(f, name); p != nil {
			if v.null {
				*p = nil
			} else {
				*p = sp(v.str)
			}
			continue
		}
		switch name {
		case "firstName":
			f.FirstName = v.str
		case "lastName":
			f.LastName = v.str
		case "companyName":
			f.CompanyName = v.str
		case "phone":
			f.Phone = v.str
		case "suitableProducts":
			f.SuitableProducts = v.list
			if v.null {
				f.SuitableProducts = []string{}
			}
		case "residentialAddress", "businessAddress", "physicalAddress", "tradingAddress":
			a := leadAddress(f, name)
			if v.null {
				*a = Address{}
				continue
			}
			for k, s := range v.addr {
				switch k {
				case "addressLine1":
					a.AddressLine1 = s
				case "addressLine2":
					a.AddressLine2 = s
				case "country":
					a.Country = s
				case "city":
					a.City = s
				case "state":
					a.State = s
				case "zipCode":
					a.ZipCode = s
				}
			}
			a.refreshFull()
		}
	}
	// A partner contact belongs to one broker: brokerRepId wins over a
	// brokerId that disagrees with it.
	if v, ok := in["brokerId"]; ok {
		b, _ := findBroker(v.str)
		f.Broker = Named{b.ID, b.Name}
		if _, ok := in["brokerRepId"]; !ok && len(b.Reps) > 0 && !brokerHasRep(b, f.BrokerRep.ID) {
			f.BrokerRep = b.Reps[0]
		}
	}
	if v, ok := in["brokerRepId"]; ok {
		b, rep, _ := findRep(v.str)
		f.Broker = Named{b.ID, b.Name}
		f.BrokerRep = rep
	}
}

func brokerHasRep(b Broker, repID string) bool {
	for _, r := range b.Reps {
		if r.ID == repID {
			return true
		}
	}
	return false
}

func leadAddress(f *LeadFields, name string) *Address {
	switch name {
	case "residentialAddress":
		return &f.ResidentialAddress
	case "businessAddress":
		return &f.BusinessAddress
	case "physicalAddress":
		return &f.PhysicalAddress
	default:
		return &f.TradingAddress
	}
}

func leadStringField(f *LeadFields, name string) **string {
	switch name {
	case "callClientOrBroker":
		return &f.CallClientOrBroker
	case "abn":
		return &f.ABN
	case "acn":
		return &f.ACN
	case "nzbn":
		return &f.NZBN
	case "crn":
		return &f.CRN
	case "uen":
		return &f.UEN
	case "amountRequested":
		return &f.AmountRequested
	case "averageMonthlyTurnover":
		return &f.AverageMonthlyTurnover
	case "brokerContactEmail":
		return &f.BrokerContactEmail
	case "brokerContactName":
		return &f.BrokerContactName
	case "brokerContactNumber":
		return &f.BrokerContactNumber
	case "businessStartDate":
		return &f.BusinessStartDate
	case "callOnBehalfOf":
		return &f.CallOnBehalfOf
	case "citizenshipStatus":
		return &f.CitizenshipStatus
	case "dateOfBirth":
		return &f.DateOfBirth
	case "documentId":
		return &f.DocumentID
	case "driversLicenseNumber":
		return &f.DriversLicenseNumber
	case "driverVersionNumber":
		return &f.DriverVersionNumber
	case "email":
		return &f.Email
	case "homeOwner":
		return &f.HomeOwner
	case "industryCategory":
		return &f.IndustryCategory
	case "industry":
		return &f.Industry
	case "loanPurpose":
		return &f.LoanPurpose
	case "notes":
		return &f.Notes
	case "partnerLeadReferenceId":
		return &f.PartnerLeadReferenceID
	case "partnerNotes":
		return &f.PartnerNotes
	case "secondaryEmail":
		return &f.SecondaryEmail
	case "secondaryPhone":
		return &f.SecondaryPhone
	case "soleDirector":
		return &f.SoleDirector
	case "tradingName":
		return &f.TradingName
	}
	return nil
}

func readAll(r *http.Request, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("empty body")
	}
	return buf.Bytes(), nil
}
