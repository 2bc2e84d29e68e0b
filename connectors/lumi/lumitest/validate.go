package lumitest

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

var (
	// One "@", a local part without spaces, and a domain of dot-separated
	// labels. A TLD is not required: the doc's own example referred_by is
	// "lead_owner@email".
	emailRe   = regexp.MustCompile(`^[^\s@]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$`)
	phone04Re = regexp.MustCompile(`^04\d{8}$`)
	phone61Re = regexp.MustCompile(`^\+61[1-9]\d{8}$`)
)

func validEmail(s string) bool { return emailRe.MatchString(s) }

// ValidPhone reports whether p is accepted as a customer phone: after removing
// spaces and dashes it must be 04 followed by 8 digits, or +61 followed by 9
// digits (first digit not 0).
func ValidPhone(p string) bool {
	c := strings.NewReplacer(" ", "", "-", "").Replace(p)
	return phone04Re.MatchString(c) || phone61Re.MatchString(c)
}

// parseDOB accepts 'DD/MM/YYYY' or 'YYYY-MM-DD' (real calendar dates) and
// returns YYYY-MM-DD.
func parseDOB(s string) (string, bool) {
	for _, l := range []string{"02/01/2006", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

type checker struct{ errs []string }

func (c *checker) fail(format string, a ...any) { c.errs = append(c.errs, fmt.Sprintf(format, a...)) }

// present reports whether key has a value; null and "" count as absent.
func present(obj map[string]any, key string) bool {
	v, ok := obj[key]
	if !ok || v == nil {
		return false
	}
	if s, ok := v.(string); ok && s == "" {
		return false
	}
	return true
}

func (c *checker) str(obj map[string]any, key, path string) string {
	if !present(obj, key) {
		return ""
	}
	s, ok := obj[key].(string)
	if !ok {
		c.fail("%s must be a string", path)
	}
	return s
}

func (c *checker) required(obj map[string]any, key, path string) string {
	if !present(obj, key) {
		c.fail("%s is required", path)
		return ""
	}
	return c.str(obj, key, path)
}

func (c *checker) number(obj map[string]any, key, path string) (float64, bool) {
	if !present(obj, key) {
		return 0, false
	}
	f, ok := obj[key].(float64)
	if !ok {
		c.fail("%s must be a number", path)
		return 0, false
	}
	return f, true
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, v := range list {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

func (c *checker) enum(obj map[string]any, key, path string, allowed []string) string {
	if !present(obj, key) {
		return ""
	}
	s, ok := obj[key].(string)
	if !ok || !slices.Contains(allowed, s) {
		c.fail("%s must be one of %s", path, quoteList(allowed))
		return ""
	}
	return s
}

func (c *checker) object(obj map[string]any, key, path string, required bool) map[string]any {
	v, ok := obj[key]
	if !ok || v == nil {
		if required {
			c.fail("%s is required", path)
		}
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.fail("%s must be an object", path)
		return nil
	}
	return m
}

func (c *checker) address(obj map[string]any, key, path string) *Address {
	m := c.object(obj, key, path, false)
	if m == nil {
		return nil
	}
	return &Address{
		StreetNumber: c.str(m, "street_number", path+".street_number"),
		Street:       c.str(m, "street", path+".street"),
		City:         c.str(m, "city", path+".city"),
		PostalCode:   c.str(m, "postal_code", path+".postal_code"),
		State:        c.str(m, "state", path+".state"),
		Country:      c.str(m, "country", path+".country"),
	}
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// validateCreate applies every documented rule of Create Lead and returns the
// lead the body describes (without ids, status or timestamps) or one message
// per broken rule, each naming its field.
func validateCreate(body map[string]any) (Lead, []string) {
	c := &checker{}
	var l Lead

	// customer
	if cu := c.object(body, "customer", "customer", true); cu != nil {
		s := &l.Stakeholder
		s.FirstName = c.required(cu, "first_name", "customer.first_name")
		s.LastName = c.str(cu, "last_name", "customer.last_name")
		if e := c.required(cu, "email", "customer.email"); e != "" && !validEmail(e) {
			c.fail("customer.email must be a valid email")
		} else {
			s.Email = e
		}
		if p := c.required(cu, "phone", "customer.phone"); p != "" && !ValidPhone(p) {
			c.fail("customer.phone must be in +61 or 04 format")
		} else {
			s.Phone = p
		}
		if d := c.str(cu, "date_of_birth", "customer.date_of_birth"); d != "" {
			if iso, ok := parseDOB(d); ok {
				s.BirthDate = iso
			} else {
				c.fail("customer.date_of_birth must be in format 'DD/MM/YYYY' or 'YYYY-MM-DD'")
			}
		}
		s.Address = c.address(cu, "address", "customer.address")
		if f, ok := c.number(cu, "credit_score", "customer.credit_score"); ok {
			s.CreditScore = strconv.FormatFloat(f, 'f', -1, 64)
		}
		c.number(cu, "defaults", "customer.defaults")
		s.DriversLicenseNumber = c.str(cu, "drivers_license_number", "customer.drivers_license_number")
		s.DriversLicenseState = c.enum(cu, "drivers_license_state", "customer.drivers_license_state", licenseStates)
		s.DriversLicenseCardNumber = c.str(cu, "drivers_license_card_number", "customer.drivers_license_card_number")
		s.HasProperty = c.enum(cu, "has_property", "customer.has_property", yesNoUnknown)
		s.PropertyInfo = c.str(cu, "property_info", "customer.property_info")
	}

	// company
	if co := c.object(body, "company", "company", true); co != nil {
		k := &l.Company
		k.Name = c.required(co, "name", "company.name")
		c.number(co, "months_in_business", "company.months_in_business")
		if s := c.str(co, "accounting_software", "company.accounting_software"); s != "" {
			if n := runeLen(s); n < 3 || n > 12 {
				c.fail("company.accounting_software must be between 3 and 12 characters")
			}
		}
		if s := c.str(co, "business_description", "company.business_description"); runeLen(s) > 30 {
			c.fail("company.business_description must be between 0 and 30 characters")
		}
		k.Industry = c.enum(co, "industry", "company.industry", industries)
		for _, f := range []string{"industry_sector", "industry_granular"} {
			if s := c.str(co, f, "company."+f); s != "" {
				if n := runeLen(s); n < 2 || n > 3 {
					c.fail("company.%s must be a string of length 2-3", f)
				}
			}
		}
		if f, ok := c.number(co, "average_monthly_turnover", "company.average_monthly_turnover"); ok {
			k.AverageMonthlyTurnover = f
		}
		if !present(co, "abn") {
			c.fail("company.abn is required")
		} else if s, ok := co["abn"].(string); !ok || (runeLen(s) != 9 && runeLen(s) != 11) {
			c.fail("company.abn must be a string of length 9 or 11")
		} else {
			k.ABN = s
		}
		k.Address = c.address(co, "address", "company.address")
		k.Website = c.str(co, "website", "company.website")
		if f, ok := c.number(co, "number_of_employees", "company.number_of_employees"); ok {
			k.NumberOfEmployees = int(f)
		}
		k.ATODebt = c.enum(co, "ato_debt", "company.ato_debt", yesNoUnknown)
		k.ATODebtDetails = c.str(co, "ato_debt_details", "company.ato_debt_details")
		if present(co, "credit_score") {
			if f, ok := co["credit_score"].(float64); !ok || f != math.Trunc(f) {
				c.fail("company.credit_score must be an integer number")
			} else {
				k.CreditScore = int(f)
			}
		}
		k.HasOtherLoans = c.enum(co, "has_other_loans", "company.has_other_loans", yesNoUnknown)
		k.OtherLoanDetails = c.str(co, "other_loan_details", "company.other_loan_details")
	}

	// loan
	if lo := c.object(body, "loan", "loan", true); lo != nil {
		n := &l.Loan
		if !present(lo, "requested_amount") {
			c.fail("loan.requested_amount is required")
		} else if f, ok := lo["requested_amount"].(float64); !ok || f < 5000 || f > 300000 {
			c.fail("loan.requested_amount must be a number between 5,000 and 300,000")
		} else {
			n.RequestedAmount = f
		}
		if !present(lo, "installments") {
			c.fail("loan.installments is required")
		} else if f, ok := lo["installments"].(float64); !ok || f < 13 || f > 78 || f != math.Trunc(f) {
			c.fail("loan.installments must be a number between 13 and 78")
		} else {
			n.Installments = int(f)
		}
		n.ReasonForLoan = []string{}
		if v, ok := lo["reason_for_loan"]; ok && v != nil {
			arr, ok := v.([]any)
			if !ok {
				c.fail("loan.reason_for_loan must be an array of valid loan reasons")
			}
			for i, x := range arr {
				if s, ok := x.(string); ok && isLoanReason(s) {
					n.ReasonForLoan = append(n.ReasonForLoan, s)
				} else {
					c.fail("loan.reason_for_loan[%d] must be a valid loan reason (see GET /leads/loanReasons)", i)
				}
			}
		}
		n.UseOfFunds = c.str(lo, "use_of_funds", "loan.use_of_funds")
		n.PreferredLoanType = c.enum(lo, "preferred_loan_type", "loan.preferred_loan_type", preferredLoanTypes)
		n.ApplicationType = "REGULAR"
		n.ApplicationStatus = "IN_PROCESS"
	}

	// top level
	l.BrokerNotes = c.str(body, "broker_notes", "broker_notes")
	if v, ok := body["contact_customer"]; ok && v != nil {
		if _, ok := v.(bool); !ok {
			c.fail("contact_customer must be a boolean")
		}
	}
	l.ExternalID = c.str(body, "external_id", "external_id")
	if r := c.str(body, "referred_by", "referred_by"); r != "" && !validEmail(r) {
		c.fail("referred_by must be a valid email")
	}
	l.CreditDeclineReasons = []string{}
	return l, c.errs
}
